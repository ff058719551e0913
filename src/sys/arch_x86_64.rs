//! x86_64 system call instruction.

use core::arch::asm;

/// Performs system call `nr` with six arguments and returns the raw result
/// (`-errno` on failure).
///
/// # Safety
/// The caller guarantees the arguments are valid for system call `nr`
/// (pointers point to memory of the size and mutability the kernel expects).
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
    // SAFETY: the `syscall` instruction only clobbers rax, rcx and r11,
    // which are declared; memory effects are the caller's contract.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") nr => ret,
            in("rdi") a1,
            in("rsi") a2,
            in("rdx") a3,
            in("r10") a4,
            in("r8") a5,
            in("r9") a6,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, preserves_flags)
        );
    }
    ret
}
