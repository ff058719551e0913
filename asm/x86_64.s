// clonexec clone trampolines, x86_64 (Intel syntax, the Rust global_asm default).
//
// Both functions start a child on its own stack and call `child(arg)` there;
// the child function never returns (`-> !`), so the child never unwinds into
// a parent frame (docs/design.md trap 6: CET shadow stacks, shared memory).
// In the parent they return the child's pid or -errno.
//
// The kernel preserves every register but rax, rcx and r11 across `syscall`,
// in the parent and in the child, so `child` and `arg` ride in r8/r9, which
// clone3 ignores and clone reads only with CLONE_SETTLS (never passed).

    .text

// long clonexec_v0_clone3(struct clone_args *args, size_t size,
//                         void (*child)(void *), void *arg);
    .globl  clonexec_v0_clone3
    .hidden clonexec_v0_clone3
    .type   clonexec_v0_clone3,@function
    .p2align 4
clonexec_v0_clone3:
    .cfi_startproc
    mov     r8, rdx
    mov     r9, rcx
    mov     eax, 435            // __NR_clone3
    syscall
    test    rax, rax
    jz      2f
    ret
2:
    .cfi_undefined rip
    xor     ebp, ebp            // end of the frame chain for debuggers
    and     rsp, -16
    mov     rdi, r9
    call    r8
    ud2
    .cfi_endproc
    .size   clonexec_v0_clone3, .-clonexec_v0_clone3

// long clonexec_v0_clone(unsigned long flags, void *stack_top, int *parent_tid,
//                        void (*child)(void *), void *arg);
// Kernel order on x86_64: clone(flags, newsp, parent_tid, child_tid, tls).
    .globl  clonexec_v0_clone
    .hidden clonexec_v0_clone
    .type   clonexec_v0_clone,@function
    .p2align 4
clonexec_v0_clone:
    .cfi_startproc
    mov     r9, rcx             // child function
                                // r8 = arg (the tls slot, unused without CLONE_SETTLS)
    xor     r10d, r10d          // child_tid = NULL
    mov     eax, 56             // __NR_clone
    syscall
    test    rax, rax
    jz      2f
    ret
2:
    .cfi_undefined rip
    xor     ebp, ebp
    and     rsp, -16
    mov     rdi, r8
    call    r9
    ud2
    .cfi_endproc
    .size   clonexec_v0_clone, .-clonexec_v0_clone
