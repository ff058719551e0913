//! The filesystem view: working and root directory, mounts.

use core::ffi::CStr;
use core::mem::MaybeUninit;

use super::{SysResult, g};

/// `chdir(path)`.
#[inline]
pub(crate) fn chdir(path: &CStr) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_chdir, path.as_ptr()) }.map(drop)
}

/// `chroot(path)`.
#[inline]
pub(crate) fn chroot(path: &CStr) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_chroot, path.as_ptr()) }.map(drop)
}

/// `pivot_root(new_root, put_old)`.
#[inline]
pub(crate) fn pivot_root(new_root: &CStr, put_old: &CStr) -> SysResult<()> {
    // SAFETY: both paths are NUL-terminated and outlive the call.
    unsafe { syscall!(g::__NR_pivot_root, new_root.as_ptr(), put_old.as_ptr()) }.map(drop)
}

fn opt_ptr(s: Option<&CStr>) -> *const core::ffi::c_char {
    s.map_or(core::ptr::null(), CStr::as_ptr)
}

/// `mount(source, target, fstype, flags, data)`.
#[inline]
pub(crate) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u32,
    data: Option<&CStr>,
) -> SysResult<()> {
    // SAFETY: every pointer is null or a NUL-terminated string that outlives
    // the call.
    unsafe {
        syscall!(
            g::__NR_mount,
            opt_ptr(source),
            target.as_ptr(),
            opt_ptr(fstype),
            flags,
            opt_ptr(data)
        )
    }
    .map(drop)
}

/// `umount2(target, flags)`.
#[inline]
pub(crate) fn umount2(target: &CStr, flags: u32) -> SysResult<()> {
    // SAFETY: `target` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_umount2, target.as_ptr(), flags) }.map(drop)
}

/// The `ST_*` mount flags of the filesystem at `path` (`statfs().f_flags`).
#[inline]
pub(crate) fn statfs_flags(path: &CStr) -> SysResult<u64> {
    // i386's plain statfs has 32-bit counters and fails with EOVERFLOW on
    // large filesystems; statfs64 takes the struct size as an argument.
    #[cfg(target_arch = "x86")]
    let mut buf = core::mem::MaybeUninit::<g::statfs64>::uninit();
    #[cfg(target_arch = "x86")]
    // SAFETY: the kernel fills one struct statfs64 of the size passed.
    unsafe {
        syscall!(
            g::__NR_statfs64,
            path.as_ptr(),
            core::mem::size_of::<g::statfs64>(),
            buf.as_mut_ptr()
        )
    }?;
    #[cfg(not(target_arch = "x86"))]
    let mut buf = core::mem::MaybeUninit::<g::statfs>::uninit();
    #[cfg(not(target_arch = "x86"))]
    // SAFETY: the kernel fills one struct statfs of this architecture.
    unsafe { syscall!(g::__NR_statfs, path.as_ptr(), buf.as_mut_ptr()) }?;
    // SAFETY: statfs succeeded, so the kernel initialised the struct.
    Ok(unsafe { buf.assume_init() }.f_flags as u64)
}

/// `mkdirat(AT_FDCWD, path, mode)`.
#[inline]
pub(crate) fn mkdir(path: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_mkdirat, g::AT_FDCWD, path.as_ptr(), mode) }.map(drop)
}

/// `mknodat(AT_FDCWD, path, S_IFREG | mode, 0)`: an empty regular file,
/// made without opening it (`EEXIST` if anything is there).
#[inline]
pub(crate) fn create_empty_file(path: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe {
        syscall!(
            g::__NR_mknodat,
            g::AT_FDCWD,
            path.as_ptr(),
            g::S_IFREG | mode,
            0
        )
    }
    .map(drop)
}

/// `symlinkat(target, AT_FDCWD, path)`: a symbolic link at `path` whose
/// contents are `target`.
#[inline]
pub(crate) fn symlink(target: &CStr, path: &CStr) -> SysResult<()> {
    // SAFETY: both strings are NUL-terminated and outlive the call.
    unsafe {
        syscall!(
            g::__NR_symlinkat,
            target.as_ptr(),
            g::AT_FDCWD,
            path.as_ptr()
        )
    }
    .map(drop)
}

/// `readlinkat(AT_FDCWD, path, buf)`: the link's contents, as far as they
/// fit in `buf` (a result as long as `buf` may be cut short).
///
/// Takes an uninitialized buffer (zeroing one would be a `memset` call in
/// the child) and returns the initialized prefix the kernel filled.
#[inline]
pub(crate) fn readlink<'a>(path: &CStr, buf: &'a mut [MaybeUninit<u8>]) -> SysResult<&'a [u8]> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`;
    // `path` is NUL-terminated and outlives the call.
    let n = unsafe {
        syscall!(
            g::__NR_readlinkat,
            g::AT_FDCWD,
            path.as_ptr(),
            buf.as_mut_ptr(),
            buf.len()
        )
    }?;
    let n = n.min(buf.len());
    // SAFETY: the kernel initialized the first `n` bytes (n <= buf.len()),
    // and MaybeUninit<u8> has u8's layout.
    Ok(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) })
}

/// `fchmodat(AT_FDCWD, path, mode)` (symlinks followed).
#[inline]
pub(crate) fn chmod(path: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_fchmodat, g::AT_FDCWD, path.as_ptr(), mode) }.map(drop)
}

/// `umask(mask)`: sets the file mode creation mask, returns the old one
/// (it cannot fail).
#[inline]
pub(crate) fn umask(mask: u32) -> u32 {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_umask, mask) }.map_or(0, |old| old as u32)
}

/// The file type of what `path` names, symlinks followed: the `S_IFMT`
/// bits of its mode (`statx` with `STATX_TYPE`).
#[inline]
pub(crate) fn file_type(path: &CStr) -> SysResult<u32> {
    let mut buf = MaybeUninit::<g::statx>::uninit();
    // SAFETY: the kernel fills at most one struct statx, which `buf` has
    // room for; `path` is NUL-terminated and outlives the call.
    unsafe {
        syscall!(
            g::__NR_statx,
            g::AT_FDCWD,
            path.as_ptr(),
            0,
            g::STATX_TYPE,
            buf.as_mut_ptr()
        )
    }?;
    // SAFETY: statx succeeded, so the kernel wrote the struct (every field
    // it does not fill is zeroed).
    Ok(u32::from(unsafe { buf.assume_init() }.stx_mode) & g::S_IFMT)
}

/// `mount_setattr(AT_FDCWD, path, flags, {attr_set})` (Linux 5.12+): sets
/// the `MOUNT_ATTR_*` bits of `attr_set` on the mount at `path`, and on
/// every mount below it when `recursive`.
#[inline]
pub(crate) fn mount_setattr(path: &CStr, recursive: bool, attr_set: u64) -> SysResult<()> {
    let attr = g::mount_attr {
        attr_set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { g::AT_RECURSIVE } else { 0 };
    // SAFETY: the kernel reads one struct mount_attr of the size passed;
    // `path` is NUL-terminated; both outlive the call.
    unsafe {
        syscall!(
            g::__NR_mount_setattr,
            g::AT_FDCWD,
            path.as_ptr(),
            flags,
            &raw const attr,
            core::mem::size_of::<g::mount_attr>()
        )
    }
    .map(drop)
}

/// `open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)` (Linux
/// 5.2+): a detached bind mount of `path`, as an fd, to attach with
/// [`attach_mount`] (later mounts over `path` do not change it).
#[inline]
pub(crate) fn clone_mount(path: &CStr) -> SysResult<i32> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe {
        syscall!(
            g::__NR_open_tree,
            g::AT_FDCWD,
            path.as_ptr(),
            g::OPEN_TREE_CLONE | g::OPEN_TREE_CLOEXEC
        )
    }
    .map(|fd| fd as i32)
}

/// `move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)`:
/// attaches the detached mount `fd` (from [`clone_mount`]) at `target`.
#[inline]
pub(crate) fn attach_mount(fd: i32, target: &CStr) -> SysResult<()> {
    // SAFETY: both paths are NUL-terminated and outlive the call.
    unsafe {
        syscall!(
            g::__NR_move_mount,
            fd,
            c"".as_ptr(),
            g::AT_FDCWD,
            target.as_ptr(),
            g::MOVE_MOUNT_F_EMPTY_PATH
        )
    }
    .map(drop)
}
