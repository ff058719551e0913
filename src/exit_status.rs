//! [`ExitStatus`]: how a process ended (a raw wait status), and
//! [`ExitStatusError`]: one that is not a success. Both print as std's do.

use core::fmt;
use core::num::NonZero;

use crate::Signal;

/// How a process ended: the raw wait status, as `waitpid` reports it
/// (`WIFEXITED`, `WIFSIGNALED`, `WIFSTOPPED`, `WIFCONTINUED`...), with the
/// methods of std's `ExitStatus` and `ExitStatusExt`.
///
/// `Display` and `Debug` print what std's do for the same status:
///
/// ```
/// use clonexec::ExitStatus;
/// assert_eq!(ExitStatus::from_raw(0x0300).to_string(), "exit status: 3");
/// assert_eq!(ExitStatus::from_raw(0x0009).to_string(), "signal: 9 (SIGKILL)");
/// assert_eq!(
///     ExitStatus::from_raw(0x008b).to_string(),
///     "signal: 11 (SIGSEGV) (core dumped)"
/// );
/// assert_eq!(
///     ExitStatus::from_raw(0x137f).to_string(),
///     "stopped (not terminated) by signal: 19 (SIGSTOP)"
/// );
/// assert_eq!(ExitStatus::from_raw(0xffff).to_string(), "continued (WIFCONTINUED)");
/// assert_eq!(format!("{:?}", ExitStatus::default()), "ExitStatus(unix_wait_status(0))");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExitStatus(i32);

impl ExitStatus {
    /// Builds a status from a raw `waitpid` status (a wait status, not an
    /// exit code: `exit(3)` is `0x0300`).
    pub const fn from_raw(raw: i32) -> Self {
        ExitStatus(raw)
    }

    /// The raw `waitpid` status.
    pub const fn into_raw(self) -> i32 {
        self.0
    }

    /// The status `waitid(..., WEXITED)` reported, as `waitpid` would.
    pub(crate) fn from_waitid(status: rustix::process::WaitIdStatus) -> Self {
        if let Some(code) = status.exit_status() {
            ExitStatus((code & 0xff) << 8)
        } else {
            let sig = status.terminating_signal().unwrap_or(0) & 0x7f;
            ExitStatus(sig | if status.dumped() { 0x80 } else { 0 })
        }
    }

    /// Exited with code 0 (the raw status is 0).
    pub fn success(&self) -> bool {
        self.0 == 0
    }

    /// `Ok(())` on success, else the status as an [`ExitStatusError`], as
    /// std's (unstable) `ExitStatus::exit_ok`.
    ///
    /// ```
    /// use clonexec::Command;
    /// assert!(Command::new("true").status().unwrap().exit_ok().is_ok());
    /// let err = Command::new("false").status().unwrap().exit_ok().unwrap_err();
    /// assert_eq!(err.code(), Some(1));
    /// assert_eq!(err.to_string(), "process exited unsuccessfully: exit status: 1");
    /// ```
    pub fn exit_ok(&self) -> Result<(), ExitStatusError> {
        match NonZero::new(self.0) {
            None => Ok(()),
            Some(failure) => Err(ExitStatusError(failure)),
        }
    }

    /// The exit code, if the process exited (`WIFEXITED`), rather than
    /// being killed or stopped.
    pub fn code(&self) -> Option<i32> {
        (self.0 & 0x7f == 0).then_some((self.0 >> 8) & 0xff)
    }

    /// The signal that killed the process, if one did (`WTERMSIG`).
    pub fn signal(&self) -> Option<i32> {
        let sig = self.0 & 0x7f;
        (sig != 0 && sig != 0x7f).then_some(sig)
    }

    /// Whether the killed process dumped core (`WCOREDUMP`).
    pub fn core_dumped(&self) -> bool {
        self.signal().is_some() && self.0 & 0x80 != 0
    }

    /// The signal that stopped the process (`WSTOPSIG`), for a status from
    /// a wait with `WUNTRACED`.
    pub fn stopped_signal(&self) -> Option<i32> {
        (self.0 & 0xff == 0x7f).then_some((self.0 >> 8) & 0xff)
    }

    /// Whether the process was continued (`WIFCONTINUED`), for a status
    /// from a wait with `WCONTINUED`.
    pub fn continued(&self) -> bool {
        self.0 == 0xffff
    }
}

/// The name std prints after a signal number (`" (SIGKILL)"`), or nothing
/// for the signals std does not name (real-time ones; `SIGSTKFLT` where
/// std leaves it out).
fn signal_suffix(sig: i32) -> Option<Signal> {
    let named_by_std = (1..=31).contains(&sig)
        && (sig != 16
            || cfg!(any(
                target_arch = "x86_64",
                target_arch = "x86",
                target_arch = "arm",
                target_arch = "aarch64"
            )));
    named_by_std.then(|| Signal::new(sig)).flatten()
}

/// `signal: 9 (SIGKILL)` style: the number, then the name if std has one.
struct SignalNumber(i32);

impl fmt::Display for SignalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match signal_suffix(self.0) {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for ExitStatus {
    /// `exit status: 3`, `signal: 9 (SIGKILL)`, `signal: 11 (SIGSEGV)
    /// (core dumped)`, `stopped (not terminated) by signal: 19 (SIGSTOP)`,
    /// `continued (WIFCONTINUED)`, else `unrecognised wait status: 255
    /// 0xff`: std's words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.code() {
            write!(f, "exit status: {code}")
        } else if let Some(sig) = self.signal() {
            let core = if self.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            write!(f, "signal: {}{core}", SignalNumber(sig))
        } else if let Some(sig) = self.stopped_signal() {
            write!(
                f,
                "stopped (not terminated) by signal: {}",
                SignalNumber(sig)
            )
        } else if self.continued() {
            f.write_str("continued (WIFCONTINUED)")
        } else {
            write!(f, "unrecognised wait status: {} {:#x}", self.0, self.0)
        }
    }
}

/// std's `ExitStatus(unix_wait_status(N))`.
impl fmt::Debug for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ExitStatus")
            .field(&WaitStatus(self.0))
            .finish()
    }
}

/// The raw status as std's Debug shows it: `unix_wait_status(N)`.
struct WaitStatus(i32);

impl fmt::Debug for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("unix_wait_status").field(&self.0).finish()
    }
}

/// A status that is not a success, from [`ExitStatus::exit_ok`] (std's
/// unstable `ExitStatusError`). Its `Display` says `process exited
/// unsuccessfully: ` and the status.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExitStatusError(NonZero<i32>);

impl ExitStatusError {
    /// The exit code, if the process exited (it is never 0 then).
    pub fn code(&self) -> Option<i32> {
        self.code_nonzero().map(NonZero::get)
    }

    /// [`code`](Self::code) as a `NonZero`.
    pub fn code_nonzero(&self) -> Option<NonZero<i32>> {
        self.into_status().code().and_then(NonZero::new)
    }

    /// The status again.
    pub fn into_status(&self) -> ExitStatus {
        ExitStatus(self.0.get())
    }
}

impl From<ExitStatusError> for ExitStatus {
    fn from(error: ExitStatusError) -> Self {
        error.into_status()
    }
}

impl fmt::Display for ExitStatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process exited unsuccessfully: {}", self.into_status())
    }
}

/// std's `ExitStatusError(unix_wait_status(N))`.
impl fmt::Debug for ExitStatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ExitStatusError")
            .field(&WaitStatus(self.0.get()))
            .finish()
    }
}

impl core::error::Error for ExitStatusError {}

#[cfg(feature = "std")]
mod std_impls {
    use super::ExitStatus;
    use std::os::unix::process::ExitStatusExt;

    impl From<ExitStatus> for std::process::ExitStatus {
        fn from(status: ExitStatus) -> Self {
            std::process::ExitStatus::from_raw(status.0)
        }
    }

    impl From<std::process::ExitStatus> for ExitStatus {
        fn from(status: std::process::ExitStatus) -> Self {
            ExitStatus(status.into_raw())
        }
    }
}
