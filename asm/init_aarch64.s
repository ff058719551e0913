// The pid-1 init's program, aarch64: see init_x86_64.s for what it does.
// System call number in x8, arguments in x0..x3, `svc #0`; the program's
// pid lives in w19.

    .section .rodata.clonexec_init,"a",%progbits
    .globl  clonexec_v0_init_code
    .hidden clonexec_v0_init_code
    .p2align 4
clonexec_v0_init_code:
    // At entry sp points to argc, argv[0], argv[1], ...
    ldr     x1, [sp, #16]
    mov     w19, #0
    cbz     x1, .Linit_fail
    mov     w3, #10
.Linit_digit:
    ldrb    w2, [x1], #1
    sub     w2, w2, #48
    cmp     w2, #9
    b.hi    .Linit_parsed
    madd    w19, w19, w3, w2
    b       .Linit_digit
.Linit_parsed:
    cbz     w19, .Linit_fail
    // [sp]: the set of signals waited for; [sp + 8]: a wait status.
    sub     sp, sp, #16
    movz    x0, #{wait_set_lo}
    movk    x0, #{wait_set_hi}, lsl #16
    str     x0, [sp]
    mov     x0, #{sig_block}
    mov     x1, sp
    mov     x2, #0
    mov     x3, #8
    mov     x8, #{nr_rt_sigprocmask}
    svc     #0
    mov     x8, #{nr_prctl}
    mov     x0, #{pr_set_name}
    ldr     x1, [sp, #24]
    svc     #0
.Linit_reap:
    mov     x0, #-1
    add     x1, sp, #8
    mov     x2, #{wnohang}
    mov     x3, #0
    mov     x8, #{nr_wait4}
    svc     #0
    cmp     w0, w19
    b.eq    .Linit_program_ended
    cmp     w0, #0
    b.gt    .Linit_reap
    cmn     w0, #{eintr}
    b.eq    .Linit_reap
    cbnz    w0, .Linit_fail
    mov     x0, sp
    mov     x1, #0
    mov     x2, #0
    mov     x3, #8
    mov     x8, #{nr_rt_sigtimedwait}
    svc     #0
    cmp     w0, #{sigchld}
    b.eq    .Linit_reap
    cmp     w0, #0
    b.le    .Linit_reap
    mov     w1, w0
    mov     w0, w19
    mov     x8, #{nr_kill}
    svc     #0
    b       .Linit_reap
.Linit_program_ended:
    ldr     w0, [sp, #8]
    ands    w1, w0, #0x7f
    b.eq    .Linit_exited
    add     w0, w1, #128
    b       .Linit_exit
.Linit_exited:
    ubfx    w0, w0, #8, #8
.Linit_exit:
    mov     x8, #{nr_exit_group}
    svc     #0
.Linit_fail:
    mov     w0, #127
    b       .Linit_exit
    // Pad to exactly {code_len} bytes; the assembler refuses to move
    // backwards if the code ever outgrows that (INIT_CODE_LEN).
    .org    clonexec_v0_init_code + {code_len}, 0
    .size   clonexec_v0_init_code, {code_len}
