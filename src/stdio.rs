//! [`Stdio`]: what the child's stdin, stdout and stderr are.

use core::fmt;

use rustix::fd::OwnedFd;

/// What a child's standard stream is connected to, as in
/// `std::process::Stdio`, with the same constructors and conversions.
///
/// A `Stdio` made from an fd (`From<OwnedFd>`, a `File`, a pipe end,
/// another child's pipe) owns it: the command keeps it open, and gives each
/// child a copy, until the command is dropped or the stream is set again
/// (as with std).
///
/// ```
/// use clonexec::{Command, Stdio};
/// let out = Command::new("echo").arg("hi").stdout(Stdio::piped()).output().unwrap();
/// assert_eq!(out.stdout, b"hi\n");
/// ```
pub struct Stdio(pub(crate) StdioKind);

#[derive(Debug)]
pub(crate) enum StdioKind {
    Inherit,
    Null,
    Piped,
    Fd(OwnedFd),
    /// This process's own fd 1 or 2 (`From<io::Stdout>`/`From<io::Stderr>`),
    /// copied when the command is prepared (at each spawn for `spawn`).
    #[cfg(feature = "std")]
    Parent(i32),
}

impl Stdio {
    /// The child uses the parent's stream (the default for `spawn` and
    /// `status`).
    pub fn inherit() -> Self {
        Stdio(StdioKind::Inherit)
    }

    /// The child's stream is `/dev/null`.
    pub fn null() -> Self {
        Stdio(StdioKind::Null)
    }

    /// A new pipe; the parent's end appears in [`Child`](crate::Child)'s
    /// `stdin`/`stdout`/`stderr` field.
    pub fn piped() -> Self {
        Stdio(StdioKind::Piped)
    }

    /// Whether this makes a new pipe ([`Stdio::piped`]), as std's
    /// `Stdio::makes_pipe`.
    ///
    /// ```
    /// use clonexec::Stdio;
    /// assert!(Stdio::piped().makes_pipe());
    /// assert!(!Stdio::null().makes_pipe());
    /// ```
    pub fn makes_pipe(&self) -> bool {
        matches!(self.0, StdioKind::Piped)
    }
}

impl fmt::Debug for Stdio {
    /// `Stdio { .. }`, as std prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stdio").finish_non_exhaustive()
    }
}

impl From<OwnedFd> for Stdio {
    /// The child's stream is a copy of this fd.
    fn from(fd: OwnedFd) -> Self {
        Stdio(StdioKind::Fd(fd))
    }
}

#[cfg(feature = "std")]
mod std_impls {
    use super::{Stdio, StdioKind};
    use std::os::fd::{FromRawFd, OwnedFd, RawFd};

    impl From<std::fs::File> for Stdio {
        /// The child's stream is a copy of this file's fd.
        fn from(file: std::fs::File) -> Self {
            Stdio(StdioKind::Fd(file.into()))
        }
    }

    impl From<std::io::PipeReader> for Stdio {
        /// The child's stream is a copy of this pipe's read end.
        fn from(pipe: std::io::PipeReader) -> Self {
            Stdio(StdioKind::Fd(pipe.into()))
        }
    }

    impl From<std::io::PipeWriter> for Stdio {
        /// The child's stream is a copy of this pipe's write end.
        fn from(pipe: std::io::PipeWriter) -> Self {
            Stdio(StdioKind::Fd(pipe.into()))
        }
    }

    impl From<std::io::Stdout> for Stdio {
        /// The child's stream is this process's stdout (fd 1 as it is at
        /// the spawn, or at `prepare()`), whichever stream it is in the
        /// child.
        ///
        /// ```
        /// use clonexec::Command;
        /// let out = Command::new("echo").stdout(std::io::stdout()).output().unwrap();
        /// assert!(out.stdout.is_empty()); // printed to our stdout instead
        /// ```
        fn from(_: std::io::Stdout) -> Self {
            Stdio(StdioKind::Parent(1))
        }
    }

    impl From<std::io::Stderr> for Stdio {
        /// The child's stream is this process's stderr (fd 2 as it is at
        /// the spawn, or at `prepare()`).
        fn from(_: std::io::Stderr) -> Self {
            Stdio(StdioKind::Parent(2))
        }
    }

    impl FromRawFd for Stdio {
        /// Takes ownership of `fd`, as `Stdio::from(OwnedFd)` does.
        ///
        /// # Safety
        ///
        /// `fd` must be an open fd that nothing else owns (it is closed when
        /// the `Stdio`, or the command holding it, is dropped).
        unsafe fn from_raw_fd(fd: RawFd) -> Self {
            // SAFETY: the caller hands over an open fd nobody else owns.
            Stdio::from(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    }
}
