//! Passing signals on to the program while waiting for it.

use std::ffi::c_int;
use std::mem::MaybeUninit;

use clonexec::{Child, ExitStatus, SigSet, Signal};
use linux_raw_sys::general as k;

use crate::Failure;

/// The signals clonexec passes on to the program.
pub const FORWARDED: [Signal; 7] = [
    Signal::TERM,
    Signal::INT,
    Signal::HUP,
    Signal::QUIT,
    Signal::USR1,
    Signal::USR2,
    Signal::WINCH,
];

/// The C library's `sigset_t`: 1024 bits in glibc and musl alike.
#[repr(C, align(8))]
struct CSigSet([u8; 128]);

/// The signal calls of the C library that std links (the `libc` crate
/// is only a dev-dependency, and rustix keeps these in its unstable
/// runtime module).
mod c {
    use std::ffi::c_int;

    use super::CSigSet;
    use linux_raw_sys::general::siginfo_t;

    // SAFETY: these are the C library's prototypes (signal.h). CSigSet
    // has the size and alignment of glibc's and musl's `sigset_t`, and
    // their `siginfo_t` is the kernel's 128-byte layout. The three marked
    // `safe` only touch the set behind their reference, and refuse a bad
    // signal number with EINVAL.
    unsafe extern "C" {
        pub safe fn sigemptyset(set: &mut CSigSet) -> c_int;
        pub safe fn sigaddset(set: &mut CSigSet, signum: c_int) -> c_int;
        pub safe fn sigismember(set: &CSigSet, signum: c_int) -> c_int;
        pub fn sigprocmask(how: c_int, set: *const CSigSet, old: *mut CSigSet) -> c_int;
        pub fn sigwaitinfo(set: *const CSigSet, info: *mut siginfo_t) -> c_int;
        /// `sighandler_t` is a function pointer: `usize` here, to pass
        /// `SIG_DFL` (0).
        pub fn signal(signum: c_int, handler: usize) -> usize;
    }
}

/// Ignores SIGPIPE, as std's runtime does for a Rust `main`: a closed
/// stdout is then a write error, not death. (The program starts with the
/// default action: the library resets it.)
pub fn ignore_sigpipe() {
    const SIG_IGN: usize = 1;
    // SAFETY: SIG_IGN is a valid disposition for SIGPIPE; no handler of
    // ours is replaced.
    unsafe { c::signal(k::SIGPIPE as c_int, SIG_IGN) };
}

/// The last OS error as a setup failure (exit 125).
fn failed(what: &str) -> Failure {
    Failure::Setup(format!(
        "{what} failed: {}",
        std::io::Error::last_os_error()
    ))
}

/// SIGCHLD and the forwarded signals, blocked in clonexec from
/// [`Forwarding::start`] on, so that [`Forwarding::wait`] takes them
/// with `sigwaitinfo` (nothing is lost between two waits: a blocked
/// signal stays pending).
pub struct Forwarding {
    set: CSigSet,
}

impl Forwarding {
    /// Resets SIGCHLD to its default action (an ignored SIGCHLD,
    /// inherited from our caller, would have the kernel reap the
    /// program unseen) and blocks the set. Returns clonexec's signal
    /// mask from before, for the program.
    pub fn start() -> Result<(Forwarding, SigSet), Failure> {
        // SAFETY: SIG_DFL is a valid disposition for SIGCHLD; no
        // handler of ours is replaced.
        let previous = unsafe { c::signal(k::SIGCHLD as c_int, 0) };
        if previous == usize::MAX {
            return Err(failed("resetting SIGCHLD"));
        }
        let mut set = CSigSet([0; 128]);
        c::sigemptyset(&mut set);
        c::sigaddset(&mut set, k::SIGCHLD as c_int);
        for sig in FORWARDED {
            c::sigaddset(&mut set, sig.as_raw());
        }
        let mut old = CSigSet([0; 128]);
        // SAFETY: both point to sigset_t-sized buffers we own.
        if unsafe { c::sigprocmask(k::SIG_BLOCK as c_int, &set, &mut old) } != 0 {
            return Err(failed("blocking signals"));
        }
        let own_mask = (1..=64)
            .filter(|&n| c::sigismember(&old, n) == 1)
            .filter_map(Signal::new)
            .collect();
        Ok((Forwarding { set }, own_mask))
    }

    /// Waits for `child` to exit, passing the forwarded signals on to
    /// it meanwhile.
    pub fn wait(&self, child: &mut Child) -> Result<ExitStatus, Failure> {
        loop {
            // Before each wait: a SIGCHLD that arrived before the
            // last one was taken is pending still, or its child
            // already reaped here.
            if let Some(status) = child.try_wait().map_err(Failure::Spawn)? {
                return Ok(status);
            }
            let mut info = MaybeUninit::<k::siginfo_t>::zeroed();
            // SAFETY: `set` is ours and `info` has room for a siginfo_t.
            let signo = unsafe { c::sigwaitinfo(&self.set, info.as_mut_ptr()) };
            if signo < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(failed("waiting for signals"));
            }
            // SAFETY: sigwaitinfo filled in the common fields.
            let code = unsafe {
                info.assume_init_ref()
                    .__bindgen_anon_1
                    .__bindgen_anon_1
                    .si_code
            };
            let Some(sig) = Signal::new(signo).filter(|&sig| sig != Signal::CHLD) else {
                continue;
            };
            if code == k::SI_KERNEL as c_int && terminal_signal(sig) && shares_our_group(child) {
                // The terminal sent it to the program too.
                continue;
            }
            // An error is ESRCH: the program is gone, and its SIGCHLD
            // pending.
            let _ = child.signal(sig);
        }
    }
}

/// Signals a terminal sends to its whole foreground process group.
fn terminal_signal(sig: Signal) -> bool {
    [Signal::INT, Signal::QUIT, Signal::WINCH].contains(&sig)
}

/// Whether the program is in clonexec's process group.
fn shares_our_group(child: &Child) -> bool {
    let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    rustix::process::getpgid(Some(pid)).is_ok_and(|pgid| pgid == rustix::process::getpgrp())
}
