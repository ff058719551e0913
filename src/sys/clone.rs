//! The clone trampolines (`asm/<arch>.s`): `clone3`/`clone` that run a
//! function on a new stack in the child and never return there.

use core::ffi::c_void;

use linux_raw_sys::general as g;

use super::Errno;

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(include_str!("../../asm/x86_64.s"));
#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(include_str!("../../asm/aarch64.s"));
#[cfg(target_arch = "riscv64")]
core::arch::global_asm!(include_str!("../../asm/riscv64.s"));
#[cfg(target_arch = "x86")]
core::arch::global_asm!(include_str!("../../asm/x86.s"));

/// What a child runs on its new stack: never returns.
pub(crate) type ChildFn = extern "C" fn(*const c_void) -> !;

unsafe extern "C" {
    fn clonexec_v0_clone3(
        args: *mut g::clone_args,
        size: usize,
        child: ChildFn,
        arg: *const c_void,
    ) -> isize;
    fn clonexec_v0_clone(
        flags: usize,
        stack_top: *mut c_void,
        parent_tid: *mut i32,
        child: ChildFn,
        arg: *const c_void,
    ) -> isize;
}

/// `clone3(args)`, then `child(arg)` on the new stack in the child. Returns
/// the child's pid or the error.
///
/// # Safety
/// `args.stack`/`stack_size` must describe a stack that nothing else uses
/// until the child execs or exits, and `arg` must stay valid until then;
/// every pointer in `args` must be valid for what its flags make the kernel
/// write (`pidfd` with `CLONE_PIDFD`).
pub(crate) unsafe fn clone3(
    args: &mut g::clone_args,
    child: ChildFn,
    arg: *const c_void,
) -> Result<i32, Errno> {
    // SAFETY: the caller's contract; `args` is a live clone_args of the
    // size passed. The trampoline calls `child` on the new stack and never
    // returns in the child.
    let ret =
        unsafe { clonexec_v0_clone3(args, core::mem::size_of::<g::clone_args>(), child, arg) };
    pid_or_errno(ret)
}

/// `clone(flags, stack_top, parent_tid)`, then `child(arg)` on the new
/// stack in the child. Returns the child's pid or the error.
///
/// # Safety
/// `stack_top` must end a 16-byte aligned stack that nothing else uses
/// until the child execs or exits, and `arg` must stay valid until then;
/// `flags` must not ask for `CLONE_SETTLS` or `CLONE_CHILD_*TID` (the
/// trampoline passes no tls or child tid).
pub(crate) unsafe fn clone(
    flags: u64,
    stack_top: *mut c_void,
    parent_tid: &mut i32,
    child: ChildFn,
    arg: *const c_void,
) -> Result<i32, Errno> {
    // SAFETY: the caller's contract; `parent_tid` is a live i32 the kernel
    // may write (CLONE_PIDFD uses that slot with clone).
    let ret = unsafe { clonexec_v0_clone(flags as usize, stack_top, parent_tid, child, arg) };
    pid_or_errno(ret)
}

fn pid_or_errno(ret: isize) -> Result<i32, Errno> {
    if ret >= 0 {
        Ok(ret as i32)
    } else {
        Err(ret.wrapping_neg() as Errno)
    }
}

/// Starts `child(arg)` in a new process that shares our memory
/// (`CLONE_VM`, without `CLONE_VFORK`), on the stack ending at `stack_top`,
/// and returns its pid. The pid-1 init uses it to start the program, which
/// then waits for the init's exec.
///
/// # Safety
/// As for [`clone`].
pub(crate) unsafe fn clone_vm_on(
    stack_top: usize,
    child: ChildFn,
    arg: *const c_void,
) -> Result<i32, Errno> {
    let mut unused_tid = 0i32;
    // SAFETY: the caller's contract; without CLONE_PIDFD or
    // CLONE_PARENT_SETTID the tid slot is not written.
    unsafe {
        clone(
            u64::from(g::CLONE_VM | g::SIGCHLD),
            stack_top as *mut c_void,
            &mut unused_tid,
            child,
            arg,
        )
    }
}
