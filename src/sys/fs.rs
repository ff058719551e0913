//! The filesystem view: working and root directory, mounts.

use core::ffi::CStr;

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
