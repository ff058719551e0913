//! x86 (i386) system call instruction.
//!
//! The i386 kernel ABI takes the number in eax and the six arguments in
//! ebx, ecx, edx, esi, edi and ebp. LLVM reserves esi (base pointer of
//! realigned frames) and ebp (frame pointer), so they cannot be asm
//! operands: the fourth and sixth arguments travel through memory and are
//! loaded into esi/ebp inside the asm block, which saves and restores both
//! (the rustix technique). `int 0x80` rather than the vDSO's
//! `__kernel_vsyscall`: finding the vDSO means reading the auxiliary
//! vector, and the child must not depend on anything but its stack.

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
    // esi, ebp and the number, read through eax (which then takes the
    // number and, after `int 0x80`, the result).
    let spill: [usize; 3] = [a4, a6, nr];
    let ret;
    // SAFETY: `int 0x80` only writes eax (declared). esi and ebp are pushed
    // before and popped after the call, so the compiler sees them
    // unchanged; the pushes are why the block is not `nostack`. `spill` is
    // live for the whole block. Memory effects are the caller's contract.
    unsafe {
        asm!(
            "push ebp",
            "push esi",
            "mov esi, dword ptr [eax]",
            "mov ebp, dword ptr [eax + 4]",
            "mov eax, dword ptr [eax + 8]",
            "int 0x80",
            "pop esi",
            "pop ebp",
            inlateout("eax") spill.as_ptr() => ret,
            in("ebx") a1,
            in("ecx") a2,
            in("edx") a3,
            in("edi") a5,
            options(preserves_flags)
        );
    }
    ret
}
