// clonexec clone trampolines, x86 (i386; Intel syntax, the Rust global_asm
// default). cdecl: arguments on the stack, eax returns, ebx/esi/edi/ebp are
// callee-saved.
//
// Both functions start a child on its own stack and call `child(arg)` there;
// the child function never returns (`-> !`), so the child never unwinds into
// a parent frame (docs/design.md trap 6). In the parent they return the child's pid
// or -errno.
//
// The kernel preserves every register but eax across `int 0x80`, in the
// parent and in the child, so `child` and `arg` ride in registers that the
// system call ignores. The child cannot read them from the parent's stack:
// without CLONE_VFORK the parent runs on and reuses that memory.

    .text

// long clonexec_v0_clone3(struct clone_args *args, size_t size,
//                         void (*child)(void *), void *arg);
// clone3(args, size) in ebx, ecx; child in esi, arg in edi.
    .globl  clonexec_v0_clone3
    .hidden clonexec_v0_clone3
    .type   clonexec_v0_clone3,@function
    .p2align 4
clonexec_v0_clone3:
    .cfi_startproc
    push    ebx
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset ebx, 0
    push    esi
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset esi, 0
    push    edi
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset edi, 0
    mov     ebx, dword ptr [esp + 16]   // args
    mov     ecx, dword ptr [esp + 20]   // size
    mov     esi, dword ptr [esp + 24]   // child
    mov     edi, dword ptr [esp + 28]   // arg
    mov     eax, 435                    // __NR_clone3
    int     0x80
    test    eax, eax
    jz      2f
    .cfi_remember_state
    pop     edi
    .cfi_adjust_cfa_offset -4
    .cfi_restore edi
    pop     esi
    .cfi_adjust_cfa_offset -4
    .cfi_restore esi
    pop     ebx
    .cfi_adjust_cfa_offset -4
    .cfi_restore ebx
    ret
2:
    .cfi_restore_state
    .cfi_undefined eip
    xor     ebp, ebp                    // end of the frame chain for debuggers
    and     esp, -16
    sub     esp, 12
    push    edi                         // esp is 16-byte aligned at the call
    call    esi
    ud2
    .cfi_endproc
    .size   clonexec_v0_clone3, .-clonexec_v0_clone3

// long clonexec_v0_clone(unsigned long flags, void *stack_top, int *parent_tid,
//                        void (*child)(void *), void *arg);
// Kernel order on i386: clone(flags, newsp, parent_tid, tls, child_tid) in
// ebx, ecx, edx, esi, edi. arg rides in esi (the tls slot, read only with
// CLONE_SETTLS, never passed), child in ebp (no sixth argument).
    .globl  clonexec_v0_clone
    .hidden clonexec_v0_clone
    .type   clonexec_v0_clone,@function
    .p2align 4
clonexec_v0_clone:
    .cfi_startproc
    push    ebp
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset ebp, 0
    push    ebx
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset ebx, 0
    push    esi
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset esi, 0
    push    edi
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset edi, 0
    mov     ebx, dword ptr [esp + 20]   // flags
    mov     ecx, dword ptr [esp + 24]   // stack_top
    mov     edx, dword ptr [esp + 28]   // parent_tid
    mov     ebp, dword ptr [esp + 32]   // child
    mov     esi, dword ptr [esp + 36]   // arg (tls slot)
    xor     edi, edi                    // child_tid = NULL
    mov     eax, 120                    // __NR_clone
    int     0x80
    test    eax, eax
    jz      2f
    .cfi_remember_state
    pop     edi
    .cfi_adjust_cfa_offset -4
    .cfi_restore edi
    pop     esi
    .cfi_adjust_cfa_offset -4
    .cfi_restore esi
    pop     ebx
    .cfi_adjust_cfa_offset -4
    .cfi_restore ebx
    pop     ebp
    .cfi_adjust_cfa_offset -4
    .cfi_restore ebp
    ret
2:
    .cfi_restore_state
    .cfi_undefined eip
    mov     eax, ebp                    // child
    xor     ebp, ebp
    and     esp, -16
    sub     esp, 12
    push    esi                         // esp is 16-byte aligned at the call
    call    eax
    ud2
    .cfi_endproc
    .size   clonexec_v0_clone, .-clonexec_v0_clone
