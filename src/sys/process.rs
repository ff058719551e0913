//! The process itself: session and group, signals to others, limits,
//! personality, keyring, tracing, and its end.

use linux_raw_sys::prctl as pr;

use super::{SysResult, g};

/// `exit_group(code)`: ends every thread of the (child) process.
#[inline]
pub(crate) fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group takes no pointers and does not return.
    let _ = unsafe { syscall!(g::__NR_exit_group, code) };
    // exit_group cannot return; spin rather than fall into undefined code.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// `setsid()`.
#[inline]
pub(crate) fn setsid() -> SysResult<usize> {
    // SAFETY: no arguments.
    unsafe { syscall!(g::__NR_setsid) }
}

/// `setpgid(pid, pgid)`.
#[inline]
pub(crate) fn setpgid(pid: i32, pgid: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_setpgid, pid, pgid) }.map(drop)
}

/// `getpgid(0)`: this process's group.
#[inline]
pub(crate) fn getpgrp() -> SysResult<i32> {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_getpgid, 0) }.map(|p| p as i32)
}

/// `getpid()`.
#[inline]
pub(crate) fn getpid() -> i32 {
    // SAFETY: no arguments; getpid cannot fail.
    unsafe { syscall!(g::__NR_getpid) }.unwrap_or(0) as i32
}

/// `getppid()`.
#[inline]
pub(crate) fn getppid() -> i32 {
    // SAFETY: no arguments; getppid cannot fail.
    unsafe { syscall!(g::__NR_getppid) }.unwrap_or(0) as i32
}

/// `kill(pid, sig)`.
#[inline]
pub(crate) fn kill(pid: i32, sig: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_kill, pid, sig) }.map(drop)
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)` (5.1+).
#[inline]
pub(crate) fn pidfd_send_signal(pidfd: i32, sig: i32) -> SysResult<()> {
    // SAFETY: integer arguments and a null siginfo pointer, which the kernel
    // accepts (it then fills in a kill()-like siginfo).
    unsafe { syscall!(g::__NR_pidfd_send_signal, pidfd, sig, 0, 0) }.map(drop)
}

/// `prlimit64(0, resource, {soft, hard}, NULL)` on this process.
#[inline]
pub(crate) fn prlimit(resource: u32, soft: u64, hard: u64) -> SysResult<()> {
    let limit = g::rlimit64 {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `limit` is a live rlimit64; the old-limit pointer is null.
    unsafe {
        syscall!(
            g::__NR_prlimit64,
            0,
            resource,
            &limit as *const g::rlimit64,
            0
        )
    }
    .map(drop)
}

/// `prlimit64(0, resource, NULL, &old)`: the current `(soft, hard)` limits.
#[inline]
pub(crate) fn prlimit_get(resource: u32) -> SysResult<(u64, u64)> {
    let mut old = g::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: the new-limit pointer is null; `old` is a live, writable
    // rlimit64 the kernel fills in.
    unsafe {
        syscall!(
            g::__NR_prlimit64,
            0,
            resource,
            0,
            &mut old as *mut g::rlimit64
        )
    }?;
    Ok((old.rlim_cur, old.rlim_max))
}

/// `personality(persona)`.
#[inline]
pub(crate) fn personality(persona: u32) -> SysResult<()> {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_personality, persona) }.map(drop)
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: a new anonymous session
/// keyring.
#[inline]
pub(crate) fn join_new_session_keyring() -> SysResult<()> {
    const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;
    // SAFETY: a null name pointer asks for an anonymous keyring.
    unsafe { syscall!(g::__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) }.map(drop)
}

/// `ptrace(PTRACE_TRACEME, 0, 0, 0)`.
#[inline]
pub(crate) fn ptrace_traceme() -> SysResult<()> {
    // SAFETY: PTRACE_TRACEME (0) takes no pointers.
    unsafe { syscall!(g::__NR_ptrace, 0, 0, 0, 0) }.map(drop)
}

/// `prctl(PR_SET_PDEATHSIG, sig)`: the signal this process gets when the
/// thread that created it exits.
#[inline]
pub(crate) fn set_pdeathsig(sig: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_prctl, pr::PR_SET_PDEATHSIG, sig, 0, 0, 0) }.map(drop)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
#[inline]
pub(crate) fn set_no_new_privs() -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_prctl, pr::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }.map(drop)
}
