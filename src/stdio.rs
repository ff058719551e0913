//! [`Stdio`]: what the child's stdin, stdout and stderr are.

use rustix::fd::OwnedFd;

/// What a child's standard stream is connected to, as in
/// `std::process::Stdio`.
///
/// ```
/// use clonexec::{Command, Stdio};
/// let out = Command::new("echo").arg("hi").stdout(Stdio::piped()).output().unwrap();
/// assert_eq!(out.stdout, b"hi\n");
/// ```
#[derive(Debug)]
pub struct Stdio(pub(crate) StdioKind);

#[derive(Debug)]
pub(crate) enum StdioKind {
    Inherit,
    Null,
    Piped,
    Fd(OwnedFd),
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
}

impl From<OwnedFd> for Stdio {
    /// The child's stream is a copy of this fd.
    fn from(fd: OwnedFd) -> Self {
        Stdio(StdioKind::Fd(fd))
    }
}

#[cfg(feature = "std")]
impl From<std::fs::File> for Stdio {
    /// The child's stream is a copy of this file's fd.
    fn from(file: std::fs::File) -> Self {
        Stdio(StdioKind::Fd(file.into()))
    }
}
