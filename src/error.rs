//! Errors: what failed, in words a user can act on.

use alloc::string::String;
use core::fmt;

use crate::errno_names::ERRNO_TABLE;
use crate::step::Step;

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
    /// `None` for a refusal outside a spawn (`SeccompPolicy::compile`);
    /// an empty program name is still a program (`Some("")`).
    program: Option<String>,
    kind: Kind,
    /// The call that failed with its argument (`setresuid(65534)`), or the
    /// reason the input was refused.
    context: String,
}

impl Error {
    /// An input refused by `prepare()` (no process was started).
    pub(crate) fn invalid(program: &str, message: impl Into<String>) -> Self {
        Self {
            program: Some(program.into()),
            kind: Kind::InvalidInput,
            context: message.into(),
        }
    }

    /// An input refused outside any spawn (a seccomp policy that does not
    /// compile): the message names no program.
    pub(crate) fn invalid_policy(message: impl Into<String>) -> Self {
        Self {
            program: None,
            kind: Kind::InvalidInput,
            context: message.into(),
        }
    }

    /// A failed system call during `step`.
    pub(crate) fn os(program: &str, step: Step, errno: i32, context: impl Into<String>) -> Self {
        Self {
            program: Some(program.into()),
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

    /// The `io::ErrorKind` std's error would have for the same failure:
    /// the kind of the OS error number (`NotFound` for a missing program,
    /// `PermissionDenied` for `EACCES`...), `InvalidInput` for input
    /// refused by `prepare()` (std's kind for a NUL byte). It is also the
    /// kind of the `io::Error` this converts into.
    ///
    /// ```
    /// use clonexec::Command;
    /// use std::io::ErrorKind;
    /// let err = Command::new("/nonexistent/program").spawn().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// let err = Command::new("a\0b").spawn().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// ```
    #[cfg(feature = "std")]
    pub fn kind(&self) -> std::io::ErrorKind {
        match self.kind {
            Kind::Os { errno, .. } => std::io::Error::from_raw_os_error(errno).kind(),
            Kind::InvalidInput => std::io::ErrorKind::InvalidInput,
        }
    }

    /// Whether the input was refused before any process existed.
    pub fn is_invalid_input(&self) -> bool {
        self.kind == Kind::InvalidInput
    }

    /// The program the error is about; empty for an error outside any
    /// spawn (a seccomp policy that does not compile).
    pub fn program(&self) -> &str {
        self.program.as_deref().unwrap_or("")
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
        match &self.program {
            Some(program) => write!(f, "spawning {program:?}: {}", self.context)?,
            // A refusal outside a spawn (`SeccompPolicy::compile`).
            None => f.write_str(&self.context)?,
        }
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
    /// (The message of an OS error is then std's, without the step.)
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
    fn an_empty_program_name_is_still_named() {
        // Found by the prepare fuzz target: the message of a refusal for
        // `Command::new("")` lost its "spawning" prefix.
        let err = Error::invalid("", "groups() and keep_groups(true) contradict each other");
        assert_eq!(
            err.to_string(),
            r#"spawning "": groups() and keep_groups(true) contradict each other"#
        );
        let err = Error::invalid_policy("the policy has no rules");
        assert_eq!(err.to_string(), "the policy has no rules");
        assert_eq!(err.program(), "");
    }
}
