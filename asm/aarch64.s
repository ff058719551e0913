// clonexec clone trampolines, aarch64.
//
// Both functions start a child on its own stack and call `child(arg)` there;
// the child function never returns. In the parent they return the child's
// pid or -errno. The kernel preserves x1..x30 across `svc` in the parent and
// copies them into the child, so `child` and `arg` ride in x9/x10.

    .text

// long clonexec_v0_clone3(struct clone_args *args, size_t size,
//                         void (*child)(void *), void *arg);
    .globl  clonexec_v0_clone3
    .hidden clonexec_v0_clone3
    .type   clonexec_v0_clone3,%function
    .p2align 2
clonexec_v0_clone3:
    .cfi_startproc
    mov     x9, x2
    mov     x10, x3
    mov     x8, #435            // __NR_clone3
    svc     #0
    cbz     x0, 2f
    ret
2:
    .cfi_undefined x30
    mov     x29, #0
    mov     x30, #0
    mov     x0, x10
    blr     x9
    brk     #0x1
    .cfi_endproc
    .size   clonexec_v0_clone3, .-clonexec_v0_clone3

// long clonexec_v0_clone(unsigned long flags, void *stack_top, int *parent_tid,
//                        void (*child)(void *), void *arg);
// Kernel order on aarch64: clone(flags, newsp, parent_tid, tls, child_tid).
    .globl  clonexec_v0_clone
    .hidden clonexec_v0_clone
    .type   clonexec_v0_clone,%function
    .p2align 2
clonexec_v0_clone:
    .cfi_startproc
    mov     x9, x3
    mov     x10, x4
    mov     x3, #0              // tls
    mov     x4, #0              // child_tid
    mov     x8, #220            // __NR_clone
    svc     #0
    cbz     x0, 2f
    ret
2:
    .cfi_undefined x30
    mov     x29, #0
    mov     x30, #0
    mov     x0, x10
    blr     x9
    brk     #0x1
    .cfi_endproc
    .size   clonexec_v0_clone, .-clonexec_v0_clone
