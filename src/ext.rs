//! [`CommandExt`] and [`ExitStatusExt`]: std's extension traits under the
//! same names, so that code written for std compiles when its
//! `use std::os::unix::process::{CommandExt, ExitStatusExt}` (or
//! `std::os::linux::process::CommandExt`) line names clonexec instead.
//!
//! Every method is also clonexec's own (an inherent method), which the
//! compiler prefers: with the trait imported, a call such as `cmd.uid(1)`
//! resolves to the inherent method and the compiler notes that the import
//! is unused. Calls through the trait (`CommandExt::arg0(&mut cmd, "x")`,
//! `<ExitStatus as ExitStatusExt>::from_raw(0)`) use it.

use crate::exit_status::ExitStatusError;
use crate::{Arg, Command, Error, ExitStatus};

mod sealed {
    /// Only clonexec's types implement the extension traits, as only std's
    /// implement std's.
    pub trait Sealed {}
    impl Sealed for crate::Command {}
    impl Sealed for crate::ExitStatus {}
    impl Sealed for crate::ExitStatusError {}
}

/// std's `std::os::unix::process::CommandExt` (and the Linux one's
/// `create_pidfd`), for [`Command`]: each method is the inherent method of
/// the same name.
///
/// ```
/// use clonexec::{Command, CommandExt};
/// let mut cmd = Command::new("sh");
/// CommandExt::arg0(&mut cmd, "renamed");
/// let out = cmd.args(["-c", "echo $0"]).output().unwrap();
/// assert_eq!(out.stdout, b"renamed\n");
/// ```
pub trait CommandExt: sealed::Sealed {
    /// [`Command::uid`].
    fn uid(&mut self, id: u32) -> &mut Command;
    /// [`Command::gid`].
    fn gid(&mut self, id: u32) -> &mut Command;
    /// [`Command::groups`].
    fn groups(&mut self, groups: &[u32]) -> &mut Command;
    /// [`Command::pre_exec`].
    ///
    /// # Safety
    ///
    /// See [`Command::pre_exec`].
    #[cfg(feature = "std")]
    unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> std::io::Result<()> + Send + Sync + 'static;
    /// [`Command::pre_exec`] under its old name (deprecated in std too).
    ///
    /// # Safety
    ///
    /// See [`Command::pre_exec`].
    #[cfg(feature = "std")]
    #[deprecated(note = "use `pre_exec`, as std says")]
    unsafe fn before_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> std::io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds pre_exec's contract.
        unsafe { self.pre_exec(f) }
    }
    /// [`Command::exec`].
    fn exec(&mut self) -> Error;
    /// [`Command::arg0`].
    fn arg0<S: Arg>(&mut self, arg: S) -> &mut Command;
    /// [`Command::process_group`].
    fn process_group(&mut self, pgroup: i32) -> &mut Command;
    /// [`Command::chroot`].
    fn chroot<P: Arg>(&mut self, dir: P) -> &mut Command;
    /// [`Command::setsid`].
    fn setsid(&mut self, setsid: bool) -> &mut Command;
    /// [`Command::create_pidfd`] (std's `std::os::linux::process::CommandExt`).
    fn create_pidfd(&mut self, val: bool) -> &mut Command;
}

impl CommandExt for Command {
    fn uid(&mut self, id: u32) -> &mut Command {
        Command::uid(self, id)
    }

    fn gid(&mut self, id: u32) -> &mut Command {
        Command::gid(self, id)
    }

    fn groups(&mut self, groups: &[u32]) -> &mut Command {
        Command::groups(self, groups)
    }

    #[cfg(feature = "std")]
    unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> std::io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds pre_exec's contract.
        unsafe { Command::pre_exec(self, f) }
    }

    fn exec(&mut self) -> Error {
        Command::exec(self)
    }

    fn arg0<S: Arg>(&mut self, arg: S) -> &mut Command {
        Command::arg0(self, arg)
    }

    fn process_group(&mut self, pgroup: i32) -> &mut Command {
        Command::process_group(self, pgroup)
    }

    fn chroot<P: Arg>(&mut self, dir: P) -> &mut Command {
        Command::chroot(self, dir)
    }

    fn setsid(&mut self, setsid: bool) -> &mut Command {
        Command::setsid(self, setsid)
    }

    fn create_pidfd(&mut self, val: bool) -> &mut Command {
        Command::create_pidfd(self, val)
    }
}

/// std's `std::os::unix::process::ExitStatusExt`, for [`ExitStatus`] (its
/// inherent methods) and [`ExitStatusError`].
///
/// ```
/// use clonexec::{ExitStatus, ExitStatusExt};
/// let status = <ExitStatus as ExitStatusExt>::from_raw(0x000f);
/// assert_eq!(status.signal(), Some(15));
/// ```
pub trait ExitStatusExt: sealed::Sealed {
    /// A status (or error) from a raw wait status. For an
    /// `ExitStatusError`, panics on 0 (a success), as std's does.
    fn from_raw(raw: i32) -> Self;
    /// [`ExitStatus::signal`].
    fn signal(&self) -> Option<i32>;
    /// [`ExitStatus::core_dumped`].
    fn core_dumped(&self) -> bool;
    /// [`ExitStatus::stopped_signal`].
    fn stopped_signal(&self) -> Option<i32>;
    /// [`ExitStatus::continued`].
    fn continued(&self) -> bool;
    /// [`ExitStatus::into_raw`].
    fn into_raw(self) -> i32;
}

impl ExitStatusExt for ExitStatus {
    fn from_raw(raw: i32) -> Self {
        ExitStatus::from_raw(raw)
    }

    fn signal(&self) -> Option<i32> {
        ExitStatus::signal(self)
    }

    fn core_dumped(&self) -> bool {
        ExitStatus::core_dumped(self)
    }

    fn stopped_signal(&self) -> Option<i32> {
        ExitStatus::stopped_signal(self)
    }

    fn continued(&self) -> bool {
        ExitStatus::continued(self)
    }

    fn into_raw(self) -> i32 {
        ExitStatus::into_raw(self)
    }
}

impl ExitStatusExt for ExitStatusError {
    fn from_raw(raw: i32) -> Self {
        match ExitStatus::from_raw(raw).exit_ok() {
            Err(error) => error,
            Ok(()) => {
                panic!("<ExitStatusError as ExitStatusExt>::from_raw(0) but zero is not an error")
            }
        }
    }

    fn signal(&self) -> Option<i32> {
        self.into_status().signal()
    }

    fn core_dumped(&self) -> bool {
        self.into_status().core_dumped()
    }

    fn stopped_signal(&self) -> Option<i32> {
        self.into_status().stopped_signal()
    }

    fn continued(&self) -> bool {
        self.into_status().continued()
    }

    fn into_raw(self) -> i32 {
        self.into_status().into_raw()
    }
}
