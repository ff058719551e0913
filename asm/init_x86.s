// The pid-1 init's program, x86 (i386): see init_x86_64.s for what it does.
// System calls through `int 0x80` (number in eax, arguments in ebx, ecx,
// edx, esi); the program's pid lives in ebp.

    .section .rodata.clonexec_init,"a",@progbits
    .globl  clonexec_v0_init_code
    .hidden clonexec_v0_init_code
    .p2align 4
clonexec_v0_init_code:
    // At entry esp points to argc, argv[0], argv[1], ...
    mov     esi, dword ptr [esp + 8]
    xor     ebp, ebp
    test    esi, esi
    jz      .Linit_fail
.Linit_digit:
    movzx   eax, byte ptr [esi]
    sub     eax, 48
    cmp     eax, 9
    ja      .Linit_parsed
    imul    ebp, ebp, 10
    add     ebp, eax
    inc     esi
    jmp     .Linit_digit
.Linit_parsed:
    test    ebp, ebp
    jz      .Linit_fail
    // [esp]: the 64-bit set of signals waited for; [esp + 8]: a wait status.
    sub     esp, 16
    mov     dword ptr [esp], {wait_set}
    mov     dword ptr [esp + 4], 0
    mov     eax, {nr_rt_sigprocmask}
    mov     ebx, {sig_block}
    mov     ecx, esp
    xor     edx, edx
    mov     esi, 8
    int     0x80
    mov     eax, {nr_prctl}
    mov     ebx, {pr_set_name}
    mov     ecx, dword ptr [esp + 20]
    int     0x80
.Linit_reap:
    mov     eax, {nr_wait4}
    mov     ebx, -1
    lea     ecx, [esp + 8]
    mov     edx, {wnohang}
    xor     esi, esi
    int     0x80
    cmp     eax, ebp
    je      .Linit_program_ended
    test    eax, eax
    jg      .Linit_reap
    cmp     eax, -{eintr}
    je      .Linit_reap
    test    eax, eax
    jnz     .Linit_fail
    mov     eax, {nr_rt_sigtimedwait}
    mov     ebx, esp
    xor     ecx, ecx
    xor     edx, edx
    mov     esi, 8
    int     0x80
    cmp     eax, {sigchld}
    je      .Linit_reap
    test    eax, eax
    jle     .Linit_reap
    mov     ecx, eax
    mov     ebx, ebp
    mov     eax, {nr_kill}
    int     0x80
    jmp     .Linit_reap
.Linit_program_ended:
    mov     eax, dword ptr [esp + 8]
    mov     ebx, eax
    and     ebx, 0x7f
    jz      .Linit_exited
    add     ebx, 128
    jmp     .Linit_exit
.Linit_exited:
    shr     eax, 8
    movzx   ebx, al
.Linit_exit:
    mov     eax, {nr_exit_group}
    int     0x80
.Linit_fail:
    mov     ebx, 127
    jmp     .Linit_exit
    // Pad to exactly {code_len} bytes; the assembler refuses to move
    // backwards if the code ever outgrows that (INIT_CODE_LEN).
    .org    clonexec_v0_init_code + {code_len}, 0
    .size   clonexec_v0_init_code, {code_len}
