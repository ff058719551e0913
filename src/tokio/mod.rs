//! Spawning from async code on Tokio (the `tokio` feature): [`Command`] and
//! [`Child`] mirror `tokio::process`, with every clonexec attribute
//! reachable through `From<clonexec::Command>`.
//!
//! The child is started by the same engine as [`crate::Command`] (one
//! non-allocating child routine, `CLONE_VM | CLONE_VFORK`), always with a
//! pidfd. Waiting registers that pidfd with Tokio's reactor: it becomes
//! readable when the child exits, and `waitid(P_PIDFD, ..., WNOHANG)` then
//! reaps it. No `SIGCHLD` handler, no thread per child, nothing that blocks
//! the runtime. Piped stdio ends are non-blocking and registered with the
//! reactor too ([`ChildStdin`] is `AsyncWrite`, [`ChildStdout`] and
//! [`ChildStderr`] are `AsyncRead`).
//!
//! A [`Child`] dropped before it was reaped is reaped in the background, as
//! `tokio::process` does (see [`Child`]); [`Command::kill_on_drop`] kills it
//! first.
//!
//! Needs Linux 5.4 or later (pollable pidfds, `waitid(P_PIDFD)`): on older
//! kernels [`Command::spawn`] fails before starting anything.
//!
//! ```
//! use clonexec::Stdio;
//! use clonexec::tokio::Command;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread()
//!     .enable_io()
//!     .build()
//!     .unwrap();
//! runtime.block_on(async {
//!     let output = Command::new("sh").args(["-c", "echo hi; exit 3"]).output().await.unwrap();
//!     assert_eq!(output.stdout, b"hi\n");
//!     assert_eq!(output.status.code(), Some(3));
//!
//!     // Every clonexec attribute, through a clonexec::Command.
//!     let mut sandboxed = clonexec::Command::new("cat");
//!     sandboxed.close_other_fds(true).no_new_privs(true);
//!     let mut child = Command::from(sandboxed)
//!         .stdin(Stdio::piped())
//!         .stdout(Stdio::piped())
//!         .kill_on_drop(true)
//!         .spawn()
//!         .unwrap();
//!     use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!     let mut stdin = child.stdin.take().unwrap();
//!     stdin.write_all(b"through cat").await.unwrap();
//!     drop(stdin);
//!     let mut text = String::new();
//!     child.stdout.take().unwrap().read_to_string(&mut text).await.unwrap();
//!     assert_eq!(text, "through cat");
//!     assert!(child.wait().await.unwrap().success());
//! });
//! ```

mod child;
mod command;
mod orphans;
mod pidfd;
mod pipes;

pub use child::Child;
pub use command::Command;
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

use std::io;

use ::tokio::io::Interest;
use ::tokio::io::unix::AsyncFd;
use rustix::fd::OwnedFd;

/// `fd` registered with the current runtime's reactor for `interest`.
/// Panics outside a runtime with IO enabled (tokio's rule).
fn register(fd: OwnedFd, interest: Interest) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: an `OwnedFd` is open until it is dropped, which the `AsyncFd`
    // does only after deregistering it, and its `as_raw_fd()` never
    // changes: what `register_with_interest` requires.
    Ok(unsafe { AsyncFd::register_with_interest(fd, interest) }?)
}
