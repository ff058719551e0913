//! File descriptors: reading, writing, duplicating, closing, listing.

use core::ffi::CStr;
use core::mem::MaybeUninit;

use super::{SysResult, g};

/// `read(fd, buf)`.
#[inline]
pub(crate) fn read(fd: i32, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe { syscall!(g::__NR_read, fd, buf.as_mut_ptr(), buf.len()) }
}

/// `write(fd, buf)`.
#[inline]
pub(crate) fn write(fd: i32, buf: &[u8]) -> SysResult<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    unsafe { syscall!(g::__NR_write, fd, buf.as_ptr(), buf.len()) }
}

/// `close(fd)`.
#[inline]
pub(crate) fn close(fd: i32) -> SysResult<()> {
    // SAFETY: integer argument only; the child owns its fd table.
    unsafe { syscall!(g::__NR_close, fd) }.map(drop)
}

/// `close_range(first, last, flags)` (5.9+).
#[inline]
pub(crate) fn close_range(first: u32, last: u32, flags: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_close_range, first, last, flags) }.map(drop)
}

/// `close_range` flag: first unshare a shared fd table, copying only the
/// fds below `first` when the range runs to the end (linux/close_range.h).
pub(crate) const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;

/// `close_range` flag: mark close-on-exec instead of closing (5.11+).
pub(crate) const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// `dup3(old, new, flags)`.
#[inline]
pub(crate) fn dup3(old: i32, new: i32, flags: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_dup3, old, new, flags) }.map(drop)
}

/// `openat(AT_FDCWD, path, flags)` without `O_CREAT`.
#[inline]
pub(crate) fn open(path: &CStr, flags: u32) -> SysResult<i32> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_openat, g::AT_FDCWD, path.as_ptr(), flags, 0) }.map(|fd| fd as i32)
}

pub(crate) const O_RDONLY_DIRECTORY_CLOEXEC: u32 = g::O_RDONLY | g::O_DIRECTORY | g::O_CLOEXEC;

/// `O_RDWR | O_NOCTTY | O_CLOEXEC`, for opening `/dev/tty`.
pub(crate) const O_RDWR_NOCTTY_CLOEXEC: u32 = g::O_RDWR | g::O_NOCTTY | g::O_CLOEXEC;

/// `O_WRONLY | O_CLOEXEC`.
pub(crate) const O_WRONLY_CLOEXEC: u32 = g::O_WRONLY | g::O_CLOEXEC;

/// `getdents64(fd, buf)`: fills `buf` with `linux_dirent64` records.
///
/// Takes an uninitialized buffer (zeroing one would be a `memset` call in
/// the child) and returns the initialized prefix the kernel filled.
#[inline]
pub(crate) fn getdents64(fd: i32, buf: &mut [MaybeUninit<u8>]) -> SysResult<&[u8]> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { syscall!(g::__NR_getdents64, fd, buf.as_mut_ptr(), buf.len()) }?;
    let n = n.min(buf.len());
    // SAFETY: the kernel initialized the first `n` bytes (n <= buf.len()),
    // and MaybeUninit<u8> has u8's layout.
    Ok(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) })
}

/// `pipe2(O_CLOEXEC)`: `(read end, write end)`.
#[inline]
pub(crate) fn pipe_cloexec() -> SysResult<(i32, i32)> {
    let mut fds = [-1i32; 2];
    // SAFETY: the kernel writes two ints into `fds`.
    unsafe { syscall!(g::__NR_pipe2, fds.as_mut_ptr(), g::O_CLOEXEC) }?;
    let [read, write] = fds;
    Ok((read, write))
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, min)`: a close-on-exec copy of `fd` at the
/// lowest free number at or above `min`.
#[inline]
pub(crate) fn dupfd_cloexec(fd: i32, min: i32) -> SysResult<i32> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_fcntl, fd, g::F_DUPFD_CLOEXEC, min) }.map(|copy| copy as i32)
}

/// `fcntl(fd, F_SETFD, FD_CLOEXEC)`.
#[inline]
pub(crate) fn set_cloexec(fd: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_fcntl, fd, g::F_SETFD, g::FD_CLOEXEC) }.map(drop)
}

/// `fcntl(fd, F_SETFD, 0)`: clears `FD_CLOEXEC`.
#[inline]
pub(crate) fn clear_cloexec(fd: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_fcntl, fd, g::F_SETFD, 0) }.map(drop)
}

/// `openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)`:
/// a file to write, made if missing (with `mode`), emptied if not.
#[inline]
pub(crate) fn create(path: &CStr, mode: u32) -> SysResult<i32> {
    let flags = g::O_WRONLY | g::O_CREAT | g::O_TRUNC | g::O_CLOEXEC | g::O_NOCTTY;
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_openat, g::AT_FDCWD, path.as_ptr(), flags, mode) }.map(|fd| fd as i32)
}
