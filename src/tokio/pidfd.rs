//! The child's pidfd: whether the kernel can wait through one, and reaping
//! through it without blocking.

use core::sync::atomic::{AtomicI32, Ordering};

use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use rustix::process::{WaitId, WaitIdOptions};

use crate::{Error, ExitStatus, Step};

/// Reaps the child behind `pidfd` if it has exited: `Ok(None)` while it
/// runs. `ECHILD` means it was reaped already (by someone else's `waitid`
/// on this process's children).
pub(super) fn try_reap(pidfd: BorrowedFd<'_>) -> Result<Option<ExitStatus>, Errno> {
    loop {
        match rustix::process::waitid(
            WaitId::PidFd(pidfd),
            WaitIdOptions::EXITED | WaitIdOptions::NOHANG,
        ) {
            Ok(status) => return Ok(status.map(ExitStatus::from_waitid)),
            Err(Errno::INTR) => {}
            Err(errno) => return Err(errno),
        }
    }
}

/// Whether waiting through pidfds works here: 0 not yet known, -1 yes,
/// else the errno that says no.
static SUPPORT: AtomicI32 = AtomicI32::new(0);

/// Refuses to spawn `program` where the kernel cannot wait through a
/// pidfd: pollable pidfds (`pidfd_open`) came with Linux 5.3,
/// `waitid(P_PIDFD)` with 5.4. There is deliberately no `SIGCHLD`
/// fallback. The kernel is asked once per process, on our own pid: a
/// `waitid(P_PIDFD)` that knows pidfds answers `ECHILD` (we are not our
/// own child), an older one `EINVAL`.
pub(super) fn check_support(program: &str) -> Result<(), Error> {
    let mut known = SUPPORT.load(Ordering::Relaxed);
    if known == 0 {
        known = probe().map_or_else(|errno| errno.raw_os_error(), |()| -1);
        SUPPORT.store(known, Ordering::Relaxed);
    }
    if known == -1 {
        return Ok(());
    }
    Err(Error::os(
        program,
        Step::Clone,
        known,
        "waiting through a pidfd (clonexec::tokio needs Linux 5.4 or later: \
         pidfd_open(), waitid(P_PIDFD))",
    ))
}

fn probe() -> Result<(), Errno> {
    let pidfd = rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )?;
    match try_reap(pidfd.as_fd()) {
        Err(Errno::CHILD) => Ok(()),
        Err(errno) => Err(errno),
        // We cannot be our own child; anything else is not the kernel
        // this code knows.
        Ok(_) => Err(Errno::INVAL),
    }
}
