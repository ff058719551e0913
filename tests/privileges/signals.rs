//! Signals: the child's signal mask (explicit or the spawning thread's),
//! dispositions (ignored signals kept or reset, handlers never inherited),
//! and `ptrace_traceme`.
//!
//! Signal dispositions are per process, so every test here holds
//! `common::exclusive()` while it runs: one test's `SIG_IGN` or handler
//! must not show in another test's child, nor meet another test's handler
//! (credentials.rs installs one for SIGUSR1). Every change to this process
//! is undone by a guard, also when an assertion fails.

use crate::common;

use clonexec::{Command, SigSet, Signal};
use common::{child_status, own_status, own_thread_status, status_dec, status_field, status_hex};

const USR1_BIT: u64 = 1 << (10 - 1);
const USR2_BIT: u64 = 1 << (12 - 1);
const PIPE_BIT: u64 = 1 << (13 - 1);

/// Blocks signals in the current thread until dropped.
struct BlockedInThread {
    old: libc::sigset_t,
}

impl BlockedInThread {
    fn new(signals: &[i32]) -> Self {
        // SAFETY: sigset manipulation on values we own; pthread_sigmask
        // changes only the calling thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &sig in signals {
                libc::sigaddset(&mut set, sig);
            }
            let mut old: libc::sigset_t = std::mem::zeroed();
            assert_eq!(libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old), 0);
            BlockedInThread { old }
        }
    }
}

impl Drop for BlockedInThread {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by `new`, in the same thread (the
        // guard is not Send: sigset_t is plain data, but it is only ever
        // created and dropped within one test function).
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

/// Sets a signal's disposition for the process until dropped.
struct Disposition {
    signal: i32,
    old: libc::sigaction,
}

impl Disposition {
    fn new(signal: i32, handler: libc::sighandler_t) -> Self {
        // SAFETY: sigaction with structs we own; the handler is SIG_IGN or
        // an async-signal-safe extern "C" fn that does nothing.
        unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = handler;
            libc::sigemptyset(&mut new.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(signal, &new, &mut old), 0);
            Disposition { signal, old }
        }
    }
}

impl Drop for Disposition {
    fn drop(&mut self) {
        // SAFETY: restores the disposition saved by `new`.
        unsafe {
            libc::sigaction(self.signal, &self.old, std::ptr::null_mut());
        }
    }
}

/// The current disposition of `signal` in this process.
fn handler_of(signal: i32) -> libc::sighandler_t {
    // SAFETY: querying with a null new action.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(signal, std::ptr::null(), &mut old), 0);
        old.sa_sigaction
    }
}

extern "C" fn do_nothing(_: libc::c_int) {}

// ---------------------------------------------------------------------
// Signal mask

#[test]
fn explicit_signal_mask() {
    let _guard = common::exclusive();
    let set: SigSet = [Signal::USR1, Signal::USR2].into_iter().collect();
    let status = child_status(Command::new("cat").signal_mask(set));
    assert_eq!(status_field(&status, "SigBlk"), Some("0000000000000a00"));
}

/// Without signal_mask(), the child gets the spawning thread's mask (not
/// the all-blocked mask the library uses across the clone).
#[test]
fn default_signal_mask_is_the_spawning_threads() {
    let _guard = common::exclusive();
    let before = status_hex(&own_thread_status(), "SigBlk");
    {
        let _blocked = BlockedInThread::new(&[libc::SIGUSR1]);
        let mine = status_hex(&own_thread_status(), "SigBlk");
        assert_eq!(mine, before | USR1_BIT);
        let status = child_status(&mut Command::new("cat"));
        assert_eq!(status_hex(&status, "SigBlk"), mine, "{status}");
        // spawn blocked everything across the clone and put ours back.
        assert_eq!(status_hex(&own_thread_status(), "SigBlk"), mine);
    }
    assert_eq!(status_hex(&own_thread_status(), "SigBlk"), before);
    // And with nothing extra blocked.
    let status = child_status(&mut Command::new("cat"));
    assert_eq!(status_hex(&status, "SigBlk"), before, "{status}");
}

/// An explicit mask replaces the thread's mask, also with an empty set.
#[test]
fn explicit_empty_mask_overrides_the_threads() {
    let _guard = common::exclusive();
    let _blocked = BlockedInThread::new(&[libc::SIGUSR1, libc::SIGTERM]);
    let status = child_status(Command::new("cat").signal_mask(SigSet::EMPTY));
    assert_eq!(status_hex(&status, "SigBlk"), 0, "{status}");
}

// ---------------------------------------------------------------------
// Dispositions

/// An ignored signal stays ignored in the child (as with fork + exec),
/// except SIGPIPE, which the library always resets (Rust ignores it).
#[test]
fn ignored_signals_kept_by_default() {
    let _guard = common::exclusive();
    let parent_ign = status_hex(&own_status(), "SigIgn");
    let usr2_before = handler_of(libc::SIGUSR2);
    let status = {
        let _ign = Disposition::new(libc::SIGUSR2, libc::SIG_IGN);
        let status = child_status(&mut Command::new("cat"));
        // The child's reset did not touch the parent's dispositions.
        assert_eq!(handler_of(libc::SIGUSR2), libc::SIG_IGN);
        status
    };
    let ign = status_hex(&status, "SigIgn");
    assert_eq!(ign & USR2_BIT, USR2_BIT, "SIGUSR2 not ignored:\n{status}");
    assert_eq!(ign & PIPE_BIT, 0, "SIGPIPE still ignored:\n{status}");
    assert_eq!(ign, (parent_ign | USR2_BIT) & !PIPE_BIT, "{status}");
    assert_eq!(status_hex(&status, "SigCgt"), 0, "{status}");
    assert_eq!(
        handler_of(libc::SIGUSR2),
        usr2_before,
        "disposition not restored"
    );
}

#[test]
fn reset_ignored_signals_resets_them() {
    let _guard = common::exclusive();
    let _ign = Disposition::new(libc::SIGUSR2, libc::SIG_IGN);
    let status = child_status(Command::new("cat").reset_ignored_signals(true));
    // qemu-user keeps the host's signal 32 ignored for itself, and no guest
    // signal number reaches it, so the child (a host program) inherits that.
    let unreachable = if common::under_qemu() { 1 << 31 } else { 0 };
    assert_eq!(status_hex(&status, "SigIgn") & !unreachable, 0, "{status}");
    assert_eq!(status_hex(&status, "SigCgt"), 0, "{status}");
    assert_eq!(
        handler_of(libc::SIGUSR2),
        libc::SIG_IGN,
        "the parent's SIG_IGN was reset"
    );
}

/// A caught signal is neither caught nor ignored in the child.
#[test]
fn handlers_not_inherited() {
    let _guard = common::exclusive();
    let status = {
        let _handler =
            Disposition::new(libc::SIGUSR1, do_nothing as *const () as libc::sighandler_t);
        assert_ne!(status_hex(&own_status(), "SigCgt") & USR1_BIT, 0);
        child_status(&mut Command::new("cat"))
    };
    assert_eq!(status_hex(&status, "SigCgt"), 0, "{status}");
    assert_eq!(status_hex(&status, "SigIgn") & USR1_BIT, 0, "{status}");
}

// ---------------------------------------------------------------------
// ptrace_traceme

/// Kills and reaps a traced pid if the test fails half way.
struct Tracee(Option<i32>);

impl Drop for Tracee {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: signals and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL);
            }
        }
    }
}

/// The child stops with SIGTRAP right after exec (already the new program,
/// before running any of it); after PTRACE_DETACH it runs to completion.
#[test]
fn ptrace_traceme_stops_at_exec() {
    let _guard = common::exclusive();
    if common::skip_under_qemu(
        "ptrace_traceme_stops_at_exec",
        "ptrace is not implemented (ENOSYS)",
    ) {
        return;
    }
    let mut child = Command::new("true").ptrace_traceme(true).spawn().unwrap();
    let pid = child.id() as i32;
    let mut tracee = Tracee(Some(pid));
    let mut status = 0;
    // SAFETY: waits for our own child.
    let waited = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    assert_eq!(waited, pid, "waitpid: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFSTOPPED(status),
        "the child did not stop (raw wait status {status:#x})"
    );
    assert_eq!(libc::WSTOPSIG(status), libc::SIGTRAP);
    let proc_status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status_field(&proc_status, "State").is_some_and(|s| s.contains("tracing stop")),
        "{proc_status}"
    );
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert!(exe.ends_with("true"), "stopped before the exec: {exe:?}");
    // SAFETY: detaches our stopped tracee, suppressing the SIGTRAP.
    let detached = unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0) };
    assert_eq!(
        detached,
        0,
        "PTRACE_DETACH: {}",
        std::io::Error::last_os_error()
    );
    let exit = child.wait().unwrap();
    tracee.0 = None;
    assert!(exit.success(), "{exit}");
}

/// Without ptrace_traceme the child is not traced.
#[test]
fn not_traced_by_default() {
    let _guard = common::exclusive();
    let status = child_status(&mut Command::new("cat"));
    assert_eq!(status_dec(&status, "TracerPid"), 0, "{status}");
}
