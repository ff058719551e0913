// The pid-1 init's program, riscv64: see init_x86_64.s for what it does.
// System call number in a7, arguments in a0..a3, `ecall`; the program's
// pid lives in s1. No linker relaxation: the bytes are copied out as they
// are assembled.

    .section .rodata.clonexec_init,"a",@progbits
    .option push
    .option norelax
    .globl  clonexec_v0_init_code
    .hidden clonexec_v0_init_code
    .p2align 4
clonexec_v0_init_code:
    // At entry sp points to argc, argv[0], argv[1], ...
    ld      a1, 16(sp)
    li      s1, 0
    beqz    a1, .Linit_fail
    li      t1, 10
.Linit_digit:
    lbu     a2, 0(a1)
    addi    a2, a2, -48
    bgeu    a2, t1, .Linit_parsed
    mulw    s1, s1, t1
    addw    s1, s1, a2
    addi    a1, a1, 1
    j       .Linit_digit
.Linit_parsed:
    beqz    s1, .Linit_fail
    // 0(sp): the set of signals waited for; 8(sp): a wait status.
    addi    sp, sp, -16
    li      a0, {wait_set}
    sd      a0, 0(sp)
    li      a0, {sig_block}
    mv      a1, sp
    li      a2, 0
    li      a3, 8
    li      a7, {nr_rt_sigprocmask}
    ecall
    li      a7, {nr_prctl}
    li      a0, {pr_set_name}
    ld      a1, 24(sp)
    ecall
.Linit_reap:
    li      a0, -1
    addi    a1, sp, 8
    li      a2, {wnohang}
    li      a3, 0
    li      a7, {nr_wait4}
    ecall
    beq     a0, s1, .Linit_program_ended
    bgtz    a0, .Linit_reap
    li      t0, -{eintr}
    beq     a0, t0, .Linit_reap
    bnez    a0, .Linit_fail
    mv      a0, sp
    li      a1, 0
    li      a2, 0
    li      a3, 8
    li      a7, {nr_rt_sigtimedwait}
    ecall
    li      t0, {sigchld}
    beq     a0, t0, .Linit_reap
    blez    a0, .Linit_reap
    mv      a1, a0
    mv      a0, s1
    li      a7, {nr_kill}
    ecall
    j       .Linit_reap
.Linit_program_ended:
    lw      a0, 8(sp)
    andi    a1, a0, 0x7f
    beqz    a1, .Linit_exited
    addi    a0, a1, 128
    j       .Linit_exit
.Linit_exited:
    srli    a0, a0, 8
    andi    a0, a0, 0xff
.Linit_exit:
    li      a7, {nr_exit_group}
    ecall
.Linit_fail:
    li      a0, 127
    j       .Linit_exit
    // Pad to exactly {code_len} bytes; the assembler refuses to move
    // backwards if the code ever outgrows that (INIT_CODE_LEN).
    .org    clonexec_v0_init_code + {code_len}, 0
    .size   clonexec_v0_init_code, {code_len}
    .option pop
