//! Fast, complete Linux process spawning.
//!
//! `clonexec` prepares everything in the parent (where allocation is
//! allowed), then starts **one non-allocating child routine** with raw
//! `clone3` (or `clone`) on its own stack, sharing the parent's memory
//! (`CLONE_VM | CLONE_VFORK`, so spawn cost does not grow with the parent's
//! size). The child applies every attribute with raw system calls and calls
//! `execve`; if a step fails it reports `(step, errno, detail)` through a
//! close-on-exec pipe, and [`Error`] tells which step failed and why.
//!
//! ```
//! use clonexec::{Command, Stdio};
//!
//! let output = Command::new("sh")
//!     .args(["-c", "echo $GREETING; exit 7"])
//!     .env("GREETING", "hello")
//!     .output()
//!     .unwrap();
//! assert_eq!(output.stdout, b"hello\n");
//! assert_eq!(output.status.code(), Some(7));
//!
//! // Prepare once, spawn many times.
//! let prepared = Command::new("true").prepare().unwrap();
//! for _ in 0..3 {
//!     assert!(prepared.spawn().unwrap().wait().unwrap().success());
//! }
//!
//! // Errors name the step that failed.
//! let err = Command::new("true").current_dir("/nonexistent").spawn().unwrap_err();
//! assert_eq!(err.step(), Some(clonexec::Step::Chdir));
//! assert_eq!(
//!     err.to_string(),
//!     r#"spawning "true": chdir("/nonexistent") failed: ENOENT (No such file or directory)"#
//! );
//! ```
//!
//! The core is `#![no_std]` + `alloc`; the default `std` feature adds
//! conversions (`OsStr`/`Path` arguments, `std::io` traits on pipes,
//! `io::Error`, [`Command::from_std`]).
//!
//! It is a drop-in for `std::process` (README.md, "std drop-in", says what
//! differs): std code builds and behaves the same with its `use` line
//! changed.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // was: use std::process::{Command, Stdio};
//! //      use std::os::unix::process::{CommandExt, ExitStatusExt};
//! use clonexec::{Command, CommandExt, ExitStatusExt, Stdio};
//!
//! let mut cmd = Command::new("sh");
//! cmd.args(&["-c", "echo $0 $1", "zero"]).arg(&String::from("one"));
//! assert_eq!(format!("{cmd:?}"), r#""sh" "-c" "echo $0 $1" "zero" "one""#);
//! let output = cmd.stdin(Stdio::null()).output()?;
//! output.status.exit_ok()?;
//! assert_eq!(output.stdout, b"zero one\n");
//! # Ok(())
//! # }
//! ```

#![no_std]
#![warn(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod arg;
mod caps;
mod child;
mod child_handle;
mod command;
mod contract;
mod dumpable;
mod errno_names;
mod error;
mod exec;
mod exit_status;
mod ext;
mod ids;
mod init_image;
mod inspect;
mod landlock;
mod launch;
mod mount;
mod ns;
mod pidfd;
mod plan;
#[cfg(feature = "std")]
mod pre_exec;
mod prepare;
mod rlimit;
mod seccomp;
mod signal;
mod spawn;
mod spec;
mod stack;
mod stdio;
mod step;
mod sys;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use arg::{Arg, ArgRef};
pub use caps::{CapMask, CapSet, Capability, ParseCapabilityError, SecureBits};
pub use child_handle::{Child, ChildStderr, ChildStdin, ChildStdout, Output};
pub use command::Command;
pub use error::Error;
pub use exit_status::{ExitStatus, ExitStatusError};
pub use ext::{CommandExt, ExitStatusExt};
pub use ids::IdMap;
#[cfg(feature = "std")]
pub use inspect::{CommandArgs, CommandEnvs};
pub use landlock::Landlock;
pub use mount::{FileData, Mount};
pub use ns::{Namespaces, Propagation};
pub use pidfd::PidFd;
pub use rlimit::{ParseResourceError, Resource};
pub use seccomp::{
    ParseSeccompActionError, SeccompAction, SeccompArch, SeccompFlags, SeccompPolicy, SockFilter,
};
pub use signal::{ParseSignalError, SigSet, Signal};
pub use spawn::Prepared;
pub use stdio::Stdio;
pub use step::Step;

/// rustix's fd types, which are std's when the `std` feature is on.
pub use rustix::fd::{BorrowedFd, OwnedFd};

#[cfg(test)]
mod auto_traits {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn public_types_can_cross_threads() {
        send_sync::<crate::Prepared>();
        send_sync::<crate::Error>();
        send_sync::<crate::Command>();
        send_sync::<crate::Child>();
        send::<crate::ChildStdin>();
        send::<crate::Stdio>();
    }
}
