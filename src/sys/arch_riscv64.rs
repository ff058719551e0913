//! riscv64 system call instruction.

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
    // SAFETY: `ecall` only writes a0 (declared); memory effects are the
    // caller's contract.
    unsafe {
        asm!(
            "ecall",
            in("a7") nr,
            inlateout("a0") a1 => ret,
            in("a1") a2,
            in("a2") a3,
            in("a3") a4,
            in("a4") a5,
            in("a5") a6,
            options(nostack, preserves_flags)
        );
    }
    ret
}
