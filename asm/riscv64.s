// clonexec clone trampolines, riscv64.
//
// Both functions start a child on its own stack and call `child(arg)` there;
// the child function never returns. In the parent they return the child's
// pid or -errno. The kernel preserves every register but a0 across `ecall`
// and copies them into the child, so `child` and `arg` ride in t0/t1.

    .text

// long clonexec_v0_clone3(struct clone_args *args, size_t size,
//                         void (*child)(void *), void *arg);
    .globl  clonexec_v0_clone3
    .hidden clonexec_v0_clone3
    .type   clonexec_v0_clone3,@function
    .p2align 2
clonexec_v0_clone3:
    .cfi_startproc
    mv      t0, a2
    mv      t1, a3
    li      a7, 435             // __NR_clone3
    ecall
    beqz    a0, 2f
    ret
2:
    .cfi_undefined ra
    mv      s0, zero
    mv      ra, zero
    andi    sp, sp, -16
    mv      a0, t1
    jalr    t0
    unimp
    .cfi_endproc
    .size   clonexec_v0_clone3, .-clonexec_v0_clone3

// long clonexec_v0_clone(unsigned long flags, void *stack_top, int *parent_tid,
//                        void (*child)(void *), void *arg);
// Kernel order on riscv64: clone(flags, newsp, parent_tid, tls, child_tid).
    .globl  clonexec_v0_clone
    .hidden clonexec_v0_clone
    .type   clonexec_v0_clone,@function
    .p2align 2
clonexec_v0_clone:
    .cfi_startproc
    mv      t0, a3
    mv      t1, a4
    li      a3, 0               // tls
    li      a4, 0               // child_tid
    li      a7, 220             // __NR_clone
    ecall
    beqz    a0, 2f
    ret
2:
    .cfi_undefined ra
    mv      s0, zero
    mv      ra, zero
    andi    sp, sp, -16
    mv      a0, t1
    jalr    t0
    unimp
    .cfi_endproc
    .size   clonexec_v0_clone, .-clonexec_v0_clone
