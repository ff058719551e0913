//! Errors: what failed, in words a user can act on.

use alloc::string::String;
use core::fmt;

use crate::errno_names::ERRNO_TABLE;

/// One step of spawning a process. Parent-side steps come first, then the
/// child's steps in the order the child routine runs them, then what can
/// fail after a successful spawn. A failure's [`Error::step`] names the one
/// that failed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Step {
    /// Mapping the child's stack (parent side).
    Stack = 1,
    /// Creating the report pipe or a stdio pipe (parent side).
    Pipe = 2,
    /// `clone3`/`clone` (parent side), and the `pidfd_open` that stands in
    /// for a `CLONE_PIDFD` that `clone` refused (qemu-user). The error's
    /// message names the call that failed.
    Clone = 3,
    /// Writing `/proc/PID/setgroups` (parent side).
    SetgroupsPolicy = 4,
    /// Writing `/proc/PID/uid_map` or running `newuidmap` (parent side).
    UidMap = 5,
    /// Writing `/proc/PID/gid_map` or running `newgidmap` (parent side).
    GidMap = 6,
    /// Reading the child's report (parent side).
    Report = 7,
    /// Resetting signal dispositions in the child.
    SignalReset = 100,
    /// Waiting for the parent to write the id maps.
    WaitParent = 101,
    /// The pid-1 init starting the program.
    Init = 102,
    /// `setsid()`.
    Setsid = 103,
    /// `setpgid()`.
    SetPgid = 104,
    /// Detaching from the controlling terminal (`TIOCNOTTY`).
    NoControllingTty = 105,
    /// Making the child's group the terminal's foreground group (`TIOCSPGRP`).
    Foreground = 106,
    /// `setns()` into a namespace to join.
    JoinNamespace = 107,
    /// Setting the propagation of `/` in the new mount namespace.
    MountPropagation = 108,
    /// `sethostname()`.
    Hostname = 109,
    /// `setdomainname()`.
    Domainname = 110,
    /// Bringing the loopback interface up.
    LoopbackUp = 111,
    /// One of the requested mounts.
    Mount = 112,
    /// `chroot()`.
    Chroot = 113,
    /// `pivot_root()` and detaching the old root.
    PivotRoot = 114,
    /// `/proc/self/oom_score_adj`.
    OomScoreAdj = 115,
    /// `prlimit64()`.
    Rlimit = 116,
    /// `personality()`.
    Personality = 117,
    /// `keyctl(KEYCTL_JOIN_SESSION_KEYRING)`.
    SessionKeyring = 118,
    /// Dropping capabilities from the bounding set.
    BoundingSet = 119,
    /// `prctl(PR_SET_SECUREBITS)`.
    SecureBits = 120,
    /// `prctl(PR_SET_KEEPCAPS)` before a uid change that keeps capabilities.
    KeepCaps = 121,
    /// `setgroups()`.
    SetGroups = 122,
    /// `setresgid()`.
    SetGid = 123,
    /// `setresuid()`.
    SetUid = 124,
    /// Entering a user and mount namespace of our own to lock the mounts.
    LockMounts = 125,
    /// `capget()`/`capset()`.
    Capabilities = 126,
    /// Raising an ambient capability.
    AmbientCaps = 127,
    /// `chdir()` into the working directory.
    Chdir = 128,
    /// `prctl(PR_SET_NO_NEW_PRIVS)`.
    NoNewPrivs = 129,
    /// `prctl(PR_SET_PDEATHSIG)`.
    ParentDeathSignal = 130,
    /// Placing an fd at its child number.
    FdMapping = 131,
    /// Closing the fds that were not mapped.
    CloseFds = 132,
    /// Taking a controlling terminal (`TIOCSCTTY`).
    ControllingTty = 133,
    /// Setting the final signal mask.
    SignalMask = 134,
    /// `ptrace(PTRACE_TRACEME)`.
    PtraceTraceme = 135,
    /// Installing the seccomp filter.
    Seccomp = 136,
    /// `execve()` of the program.
    Exec = 137,
    /// Waiting for the child (after a successful spawn).
    Wait = 200,
    /// Sending the child a signal (after a successful spawn).
    Signal = 201,
}

impl Step {
    /// All steps, for decoding reports.
    const ALL: &'static [Step] = &[
        Step::Stack,
        Step::Pipe,
        Step::Clone,
        Step::SetgroupsPolicy,
        Step::UidMap,
        Step::GidMap,
        Step::Report,
        Step::SignalReset,
        Step::WaitParent,
        Step::Init,
        Step::Setsid,
        Step::SetPgid,
        Step::NoControllingTty,
        Step::Foreground,
        Step::JoinNamespace,
        Step::MountPropagation,
        Step::Hostname,
        Step::Domainname,
        Step::LoopbackUp,
        Step::Mount,
        Step::Chroot,
        Step::PivotRoot,
        Step::OomScoreAdj,
        Step::Rlimit,
        Step::Personality,
        Step::SessionKeyring,
        Step::BoundingSet,
        Step::SecureBits,
        Step::KeepCaps,
        Step::SetGroups,
        Step::SetGid,
        Step::SetUid,
        Step::LockMounts,
        Step::Capabilities,
        Step::AmbientCaps,
        Step::Chdir,
        Step::NoNewPrivs,
        Step::ParentDeathSignal,
        Step::FdMapping,
        Step::CloseFds,
        Step::ControllingTty,
        Step::SignalMask,
        Step::PtraceTraceme,
        Step::Seccomp,
        Step::Exec,
        Step::Wait,
        Step::Signal,
    ];

    /// Decodes the number a child wrote into its report.
    pub(crate) fn from_raw(raw: u32) -> Option<Step> {
        Self::ALL.iter().copied().find(|s| *s as u32 == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Refused before any process existed.
    InvalidInput,
    /// A system call failed, in the parent or in the child.
    Os { step: Step, errno: i32 },
}

/// A spawn that did not happen: invalid input refused by `prepare()`, or a
/// step that failed (with the OS error number).
///
/// Its `Display` names the program, the step and the error:
///
/// ```text
/// spawning "id": setresuid(65534) failed: EPERM (Operation not permitted)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    program: String,
    kind: Kind,
    /// The call that failed with its argument (`setresuid(65534)`), or the
    /// reason the input was refused.
    context: String,
}

impl Error {
    /// An input refused by `prepare()` (no process was started).
    pub(crate) fn invalid(program: &str, message: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            kind: Kind::InvalidInput,
            context: message.into(),
        }
    }

    /// A failed system call during `step`.
    pub(crate) fn os(program: &str, step: Step, errno: i32, context: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            kind: Kind::Os { step, errno },
            context: context.into(),
        }
    }

    /// The step that failed, or `None` when `prepare()` refused the input
    /// before any process existed.
    ///
    /// ```
    /// use clonexec::{Command, Step};
    /// let err = Command::new("/nonexistent/program").spawn().unwrap_err();
    /// assert_eq!(err.step(), Some(Step::Exec));
    /// ```
    pub fn step(&self) -> Option<Step> {
        match self.kind {
            Kind::Os { step, .. } => Some(step),
            Kind::InvalidInput => None,
        }
    }

    /// The OS error number (`ENOENT`, `EPERM`, ...) of a failed step.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self.kind {
            Kind::Os { errno, .. } => Some(errno),
            Kind::InvalidInput => None,
        }
    }

    /// Whether the input was refused before any process existed.
    pub fn is_invalid_input(&self) -> bool {
        self.kind == Kind::InvalidInput
    }

    /// The program the error is about.
    pub fn program(&self) -> &str {
        &self.program
    }
}

/// `("ENOENT", "No such file or directory")` for an errno.
pub(crate) fn errno_name(errno: i32) -> Option<(&'static str, &'static str)> {
    ERRNO_TABLE
        .iter()
        .find(|(n, _, _)| *n == errno)
        .map(|&(_, name, text)| (name, text))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spawning {:?}: {}", self.program, self.context)?;
        if let Kind::Os { errno, .. } = self.kind {
            match errno_name(errno) {
                Some((name, text)) => write!(f, " failed: {name} ({text})")?,
                None => write!(f, " failed: error {errno}")?,
            }
        }
        Ok(())
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    /// Keeps the OS error number, so `raw_os_error()` and `kind()` work as
    /// they do for `std::process::Command` (`NotFound` for a missing
    /// program). Refused input becomes `InvalidInput` with the message.
    fn from(err: Error) -> Self {
        match err.kind {
            Kind::Os { errno, .. } => std::io::Error::from_raw_os_error(errno),
            Kind::InvalidInput => std::io::Error::new(std::io::ErrorKind::InvalidInput, err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_names_program_call_and_errno() {
        let err = Error::os("id", Step::SetUid, 1, "setresuid(65534)");
        assert_eq!(
            err.to_string(),
            r#"spawning "id": setresuid(65534) failed: EPERM (Operation not permitted)"#
        );
        let err = Error::invalid("a\"b", "argument 1 contains a NUL byte");
        assert_eq!(
            err.to_string(),
            r#"spawning "a\"b": argument 1 contains a NUL byte"#
        );
        assert_eq!(err.step(), None);
    }

    #[test]
    fn every_step_decodes() {
        for step in Step::ALL {
            assert_eq!(Step::from_raw(*step as u32), Some(*step));
        }
        assert_eq!(Step::from_raw(0), None);
    }
}
