//! The child's steps that take more than a line or two, in the order
//! `setup_and_exec` calls them. Same rules as the rest of the child: no
//! allocation, no panic, raw system calls only.

use core::ffi::CStr;

use linux_raw_sys::errno;
use linux_raw_sys::general as g;

use super::{at, format};
use crate::contract::StepFailure;
use crate::plan::SecurityPlan;
use crate::step::Step;
use crate::sys::signal::KernelSigaction;
use crate::sys::{self, Errno};

/// Resets to `SIG_DFL` every caught signal when `caught` is set (clone
/// without `CLONE_CLEAR_SIGHAND`), and every ignored one when `ignored` is.
#[inline]
pub(super) fn reset_signal_handlers(caught: bool, ignored: bool) -> Result<(), StepFailure> {
    let mut sig = 1;
    while sig <= sys::signal::MAX_SIGNAL {
        let mut old = KernelSigaction::DEFAULT;
        // SIGKILL/SIGSTOP (and signals the kernel refuses) answer EINVAL:
        // they have no handler to reset.
        if sys::signal::rt_sigaction(sig, None, Some(&mut old)).is_ok() {
            let reset = match old.handler {
                sys::signal::SIG_DFL => false,
                sys::signal::SIG_IGN => ignored,
                _ => caught,
            };
            if reset {
                sys::signal::rt_sigaction(sig, Some(&KernelSigaction::DEFAULT), None)
                    .map_err(at(Step::SignalReset, sig as u32))?;
            }
        }
        sig = sig.wrapping_add(1);
    }
    Ok(())
}

/// Waits on the pipe `(read, write)` for one byte or end-of-file, after
/// closing our copy of the write end (or we could never see EOF):
/// `Ok(true)` for a byte, `Ok(false)` for EOF. The read end stays open.
#[inline]
pub(super) fn wait_on_pipe((read, write): (i32, i32)) -> Result<bool, Errno> {
    let _ = sys::fd::close(write);
    let mut byte = [0u8; 1];
    loop {
        match sys::fd::read(read, &mut byte) {
            Ok(n) => return Ok(n == 1),
            Err(e) if e as u32 == errno::EINTR => {}
            Err(e) => return Err(e),
        }
    }
}

/// Gives up the controlling terminal (`TIOCNOTTY` on `/dev/tty`); having
/// none (ENXIO) is not an error.
#[inline]
pub(super) fn detach_controlling_tty() -> Result<(), Errno> {
    match sys::fd::open(c"/dev/tty", sys::fd::O_RDWR_NOCTTY_CLOEXEC) {
        Ok(tty) => {
            let result = sys::tty::detach_controlling_tty(tty);
            let _ = sys::fd::close(tty);
            result
        }
        Err(errno) if errno as u32 == errno::ENXIO => Ok(()),
        Err(errno) => Err(errno),
    }
}

/// Writes `text` to an existing file (a /proc knob) in one `write`.
#[inline]
pub(super) fn write_file(path: &CStr, text: &[u8]) -> Result<(), Errno> {
    let fd = sys::fd::open(path, sys::fd::O_WRONLY_CLOEXEC)?;
    let result = sys::fd::write(fd, text);
    let _ = sys::fd::close(fd);
    result.map(drop)
}

/// Sets the resource limits, except that a NOFILE lower than the current
/// one is only raised where asked for now and returned, to be set once the
/// fds are in place (the shuffle needs free numbers).
#[inline]
pub(super) fn set_rlimits(rlimits: &[(u32, u64, u64)]) -> Result<Option<(u64, u64)>, StepFailure> {
    let mut nofile_after_fds = None;
    for &(resource, soft, hard) in rlimits {
        let (soft_now, hard_now) = if resource == g::RLIMIT_NOFILE {
            let (cur_soft, cur_hard) =
                sys::process::prlimit_get(resource).map_err(at(Step::Rlimit, resource))?;
            let now = (soft.max(cur_soft), hard.max(cur_hard));
            if now != (soft, hard) {
                nofile_after_fds = Some((soft, hard));
            }
            now
        } else {
            (soft, hard)
        };
        sys::process::prlimit(resource, soft_now, hard_now).map_err(at(Step::Rlimit, resource))?;
    }
    Ok(nofile_after_fds)
}

/// Drops every capability of `mask` from the bounding set.
#[inline]
pub(super) fn drop_bounding_set(mask: u64) -> Result<(), StepFailure> {
    let mut cap = 0u32;
    while cap < 64 {
        if mask & 1u64.wrapping_shl(cap) != 0 {
            sys::creds::capbset_drop(cap).map_err(at(Step::BoundingSet, cap))?;
        }
        cap = cap.wrapping_add(1);
    }
    Ok(())
}

/// Enters a new user and mount namespace mapping only our current uid and
/// gid (what an unprivileged process may write for itself), as themselves
/// or as `uid`/`gid` when given.
#[inline]
pub(super) fn lock_mounts(uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
    let (outer_uid, outer_gid) = (sys::creds::getuid(), sys::creds::getgid());
    sys::ns::unshare(u64::from(g::CLONE_NEWUSER | g::CLONE_NEWNS))?;
    write_file(c"/proc/self/setgroups", b"deny")?;
    let mut line = [0u8; 32];
    write_file(
        c"/proc/self/uid_map",
        format::map_line(&mut line, uid.unwrap_or(outer_uid), outer_uid),
    )?;
    write_file(
        c"/proc/self/gid_map",
        format::map_line(&mut line, gid.unwrap_or(outer_gid), outer_gid),
    )
}

/// The capability sets (`capset`), then the ambient capabilities: each
/// ambient one must be permitted and inheritable before it can be raised.
#[inline]
pub(super) fn set_capabilities(security: &SecurityPlan) -> Result<(), StepFailure> {
    if let Some([permitted, inheritable, effective]) = security.capabilities {
        sys::creds::capset(&sys::creds::CapSets {
            effective,
            permitted,
            inheritable,
        })
        .map_err(at(Step::Capabilities, 0))?;
    } else if security.ambient_caps != 0 {
        let mut sets = sys::creds::capget().map_err(at(Step::Capabilities, 0))?;
        sets.inheritable |= security.ambient_caps;
        sys::creds::capset(&sets).map_err(at(Step::Capabilities, 0))?;
    }
    let mut cap = 0u32;
    while cap < 64 {
        if security.ambient_caps & 1u64.wrapping_shl(cap) != 0 {
            sys::creds::ambient_raise(cap).map_err(at(Step::AmbientCaps, cap))?;
        }
        cap = cap.wrapping_add(1);
    }
    Ok(())
}
