//! [`PidFd`]: a child's pidfd on its own, from
//! [`Child::into_pidfd`](crate::Child::into_pidfd) (std's unstable
//! `linux_pidfd` names), and the pidfd wait [`Child`](crate::Child) uses.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{WaitId, WaitIdOptions};

use crate::{Error, ExitStatus, Signal, Step};

/// A pidfd: a handle on one process that stays valid (and never names
/// another process) even once its pid is reused. From
/// [`Child::into_pidfd`](crate::Child::into_pidfd) for a child spawned with
/// [`create_pidfd(true)`](crate::Command::create_pidfd), or from any pidfd
/// (`From<OwnedFd>`).
///
/// ```
/// use clonexec::Command;
/// let child = Command::new("true").create_pidfd(true).spawn().unwrap();
/// let pidfd = child.into_pidfd().unwrap();
/// assert!(pidfd.wait().unwrap().success());
/// ```
pub struct PidFd {
    fd: OwnedFd,
    /// The program, for the errors.
    program: Arc<str>,
}

impl PidFd {
    pub(crate) fn new(fd: OwnedFd, program: Arc<str>) -> Self {
        PidFd { fd, program }
    }

    fn error(&self, step: Step, errno: Errno, context: &str) -> Error {
        Error::os(&self.program, step, errno.raw_os_error(), context)
    }

    /// Sends `SIGKILL` to the process (`pidfd_send_signal`). Fails with
    /// `ESRCH` once it has been waited for.
    pub fn kill(&self) -> Result<(), Error> {
        crate::sys::process::pidfd_send_signal(self.fd.as_raw_fd(), Signal::KILL.as_raw()).map_err(
            |errno| {
                Error::os(
                    &self.program,
                    Step::Signal,
                    errno,
                    format!("sending {}", Signal::KILL),
                )
            },
        )
    }

    /// Waits for the process to exit and returns its status (`waitid` on
    /// the pidfd). Only a child of this process can be waited for, and only
    /// once: a second wait fails with `ECHILD`.
    pub fn wait(&self) -> Result<ExitStatus, Error> {
        loop {
            match wait(self.fd.as_fd(), false) {
                Ok(Some(status)) => return Ok(status),
                Ok(None) | Err(Errno::INTR) => {}
                Err(errno) => return Err(self.error(Step::Wait, errno, "waiting for the child")),
            }
        }
    }

    /// The exit status if the process has exited (reaping it), without
    /// blocking.
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, Error> {
        wait(self.fd.as_fd(), true)
            .map_err(|errno| self.error(Step::Wait, errno, "waiting for the child"))
    }
}

/// `waitid(P_PIDFD, WEXITED)`: the status once the process has exited;
/// `None` when `nohang` and it has not yet.
pub(crate) fn wait(pidfd: BorrowedFd<'_>, nohang: bool) -> Result<Option<ExitStatus>, Errno> {
    let mut options = WaitIdOptions::EXITED;
    if nohang {
        options |= WaitIdOptions::NOHANG;
    }
    Ok(rustix::process::waitid(WaitId::PidFd(pidfd), options)?.map(ExitStatus::from_waitid))
}

impl fmt::Debug for PidFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PidFd").field("fd", &self.fd).finish()
    }
}

impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<OwnedFd> for PidFd {
    /// A pidfd opened some other way (`pidfd_open`); its errors name it
    /// `pidfd N`.
    fn from(fd: OwnedFd) -> Self {
        let name: String = format!("pidfd {}", fd.as_raw_fd());
        PidFd::new(fd, name.into())
    }
}

impl From<PidFd> for OwnedFd {
    fn from(pidfd: PidFd) -> Self {
        pidfd.fd
    }
}

#[cfg(feature = "std")]
mod std_impls {
    use super::PidFd;
    use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

    impl AsRawFd for PidFd {
        fn as_raw_fd(&self) -> RawFd {
            self.fd.as_raw_fd()
        }
    }

    impl IntoRawFd for PidFd {
        fn into_raw_fd(self) -> RawFd {
            self.fd.into_raw_fd()
        }
    }

    impl FromRawFd for PidFd {
        /// # Safety
        ///
        /// `fd` must be an open pidfd that nothing else owns.
        unsafe fn from_raw_fd(fd: RawFd) -> Self {
            // SAFETY: the caller hands over an open fd nobody else owns.
            PidFd::from(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    }
}
