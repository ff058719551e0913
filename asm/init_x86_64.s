// The pid-1 init's program, x86_64: the machine code of a tiny static
// executable (src/init_image.rs wraps it in an ELF header and execs it from
// a sealed memfd). It is assembled into read-only data: this process never
// runs it. Position-independent, no data of its own, system calls only.
//
// Started as `clonexec-init PID`, as the parent of PID, the program. It
// blocks the signals it waits for (the init execs it with every signal
// blocked already; the image does not rely on that), then renames itself
// after argv[0] (so once it shows that name, a signal sent to it is
// forwarded, not lost), then loops: reap whatever exited (the program, or
// orphans the kernel handed to pid 1), wait for a signal, forward the
// termination signals to the program. When the program is reaped it exits
// with the program's code, or 128 + N if signal N killed it. It exits 127
// if its argument is bad or the program vanished without being seen.
//
// The numbers in braces are filled in from linux-raw-sys by global_asm!.

    .section .rodata.clonexec_init,"a",@progbits
    .globl  clonexec_v0_init_code
    .hidden clonexec_v0_init_code
    .p2align 4
clonexec_v0_init_code:
    // r12d = the program's pid, argv[1] in decimal.
    mov     rsi, qword ptr [rsp + 16]
    xor     r12d, r12d
    test    rsi, rsi
    jz      .Linit_fail
.Linit_digit:
    movzx   eax, byte ptr [rsi]
    sub     eax, 48
    cmp     eax, 9
    ja      .Linit_parsed
    imul    r12d, r12d, 10
    add     r12d, eax
    inc     rsi
    jmp     .Linit_digit
.Linit_parsed:
    test    r12d, r12d
    jz      .Linit_fail
    // [rsp]: the set of signals waited for; [rsp + 8]: a wait status.
    sub     rsp, 16
    mov     qword ptr [rsp], {wait_set}
    mov     eax, {nr_rt_sigprocmask}
    mov     edi, {sig_block}
    mov     rsi, rsp
    xor     edx, edx
    mov     r10d, 8
    syscall
    // argv[0] as our name ([rsp + 24] now).
    mov     eax, {nr_prctl}
    mov     edi, {pr_set_name}
    mov     rsi, qword ptr [rsp + 24]
    syscall
.Linit_reap:
    mov     eax, {nr_wait4}
    mov     edi, -1
    lea     rsi, [rsp + 8]
    mov     edx, {wnohang}
    xor     r10d, r10d
    syscall
    cmp     eax, r12d
    je      .Linit_program_ended
    test    eax, eax
    jg      .Linit_reap             // an orphan: there may be more
    cmp     eax, -{eintr}
    je      .Linit_reap
    test    eax, eax
    jnz     .Linit_fail             // ECHILD: the program is gone unseen
    // Nothing left to reap: wait for SIGCHLD or a signal to forward.
    mov     eax, {nr_rt_sigtimedwait}
    mov     rdi, rsp
    xor     esi, esi
    xor     edx, edx
    mov     r10d, 8
    syscall
    cmp     eax, {sigchld}
    je      .Linit_reap
    test    eax, eax
    jle     .Linit_reap
    mov     esi, eax
    mov     edi, r12d
    mov     eax, {nr_kill}
    syscall
    jmp     .Linit_reap
.Linit_program_ended:
    mov     eax, dword ptr [rsp + 8]
    mov     edi, eax
    and     edi, 0x7f
    jz      .Linit_exited
    add     edi, 128
    jmp     .Linit_exit
.Linit_exited:
    shr     eax, 8
    movzx   edi, al
.Linit_exit:
    mov     eax, {nr_exit_group}
    syscall
.Linit_fail:
    mov     edi, 127
    jmp     .Linit_exit
    // Pad to exactly {code_len} bytes; the assembler refuses to move
    // backwards if the code ever outgrows that (INIT_CODE_LEN).
    .org    clonexec_v0_init_code + {code_len}, 0
    .size   clonexec_v0_init_code, {code_len}
