//! aarch64 system call instruction.

use core::arch::asm;

/// Performs system call `nr` with six arguments and returns the raw result
/// (`-errno` on failure).
///
/// # Safety
/// The caller guarantees the arguments are valid for system call `nr`.
#[inline(always)]
pub(crate) unsafe fn syscall6(
    nr: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
    a6: usize,
) -> usize {
    let ret;
    // SAFETY: `svc 0` only writes x0 (declared); memory effects are the
    // caller's contract.
    unsafe {
        asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a1 => ret,
            in("x1") a2,
            in("x2") a3,
            in("x3") a4,
            in("x4") a5,
            in("x5") a6,
            options(nostack, preserves_flags)
        );
    }
    ret
}
