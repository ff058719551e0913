//! Signal dispositions and masks: the kernel's own `struct sigaction` and
//! 64-bit signal sets (not libc's).

use super::{SysResult, g};

pub(crate) const SIG_DFL: usize = 0;

pub(crate) const SIG_IGN: usize = 1;

/// Highest signal number on Linux (`_NSIG - 1`).
pub(crate) const MAX_SIGNAL: i32 = 64;

/// The kernel's `struct sigaction` (not libc's): handler, flags, restorer
/// where the architecture has one, and a 64-bit mask.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct KernelSigaction {
    pub handler: usize,
    pub flags: usize,
    #[cfg(not(target_arch = "riscv64"))]
    pub restorer: usize,
    pub mask: u64,
}

// The kernel reads the mask right after the pointer-sized fields, with no
// padding: offset 12 on i386 (where u64 is 4-byte aligned), 16 on riscv64,
// 24 elsewhere.
const _: () = assert!(
    core::mem::offset_of!(KernelSigaction, mask)
        == core::mem::size_of::<usize>() * if cfg!(target_arch = "riscv64") { 2 } else { 3 }
);

impl KernelSigaction {
    /// The default disposition: `SIG_DFL`, no flags, empty mask.
    pub(crate) const DEFAULT: Self = Self {
        handler: SIG_DFL,
        flags: 0,
        #[cfg(not(target_arch = "riscv64"))]
        restorer: 0,
        mask: 0,
    };

    /// `SIG_IGN`, no flags, empty mask.
    pub(crate) const IGNORE: Self = Self {
        handler: SIG_IGN,
        ..Self::DEFAULT
    };
}

/// `rt_sigaction(sig, new, old)`.
#[inline]
pub(crate) fn rt_sigaction(
    sig: i32,
    new: Option<&KernelSigaction>,
    old: Option<&mut KernelSigaction>,
) -> SysResult<()> {
    let new = new.map_or(core::ptr::null(), |n| n as *const KernelSigaction);
    let old = old.map_or(core::ptr::null_mut(), |o| o as *mut KernelSigaction);
    // SAFETY: both pointers are null or point to a live `KernelSigaction`,
    // whose layout matches the kernel's for this architecture; the size
    // argument is the kernel's 64-bit sigset size.
    unsafe { syscall!(g::__NR_rt_sigaction, sig, new, old, 8) }.map(drop)
}

/// `rt_sigprocmask(how, set, old)` on this thread, with 64-bit sets.
#[inline]
pub(crate) fn rt_sigprocmask(how: u32, set: Option<&u64>, old: Option<&mut u64>) -> SysResult<()> {
    let set = set.map_or(core::ptr::null(), |s| s as *const u64);
    let old = old.map_or(core::ptr::null_mut(), |o| o as *mut u64);
    // SAFETY: both pointers are null or point to a live u64, which is the
    // kernel's sigset_t size (8) passed as the last argument.
    unsafe { syscall!(g::__NR_rt_sigprocmask, how, set, old, 8) }.map(drop)
}

pub(crate) const SIG_SETMASK: u32 = g::SIG_SETMASK;
