//! Compile-only: each item of `std::process` (and of std's Unix and Linux
//! process extensions) that clonexec matches, with std's signature. Each
//! method is coerced to the function pointer type std's has, with
//! `clonexec::Error` where std has `io::Error` (the one difference: it
//! converts into `io::Error` with `?` or `.into()`), and each trait std
//! implements is required. Nothing here runs; it fails to build if a
//! signature drifts.

#![allow(dead_code, deprecated)]

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt::{Debug, Display};
use std::fs::File;
use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::num::NonZero;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use clonexec::{
    Arg, Child, ChildStderr, ChildStdin, ChildStdout, Command, CommandArgs, CommandEnvs,
    CommandExt, Error, ExitStatus, ExitStatusError, ExitStatusExt, Output, PidFd, Stdio,
};

fn send_sync<T: Send + Sync>() {}

/// What std's `AsRef<OsStr>` (and `AsRef<Path>`) parameters take is an
/// `Arg`: checked type by type, as a generic bound cannot be (see `Arg`).
fn std_and_clonexec_accept<S: AsRef<OsStr> + Arg>() {}
fn std_path_and_clonexec_accept<P: AsRef<Path> + Arg>() {}

fn arguments() {
    std_and_clonexec_accept::<&str>();
    std_and_clonexec_accept::<&&str>();
    std_and_clonexec_accept::<&&&str>();
    std_and_clonexec_accept::<&mut &str>();
    std_and_clonexec_accept::<String>();
    std_and_clonexec_accept::<&String>();
    std_and_clonexec_accept::<&&String>();
    std_and_clonexec_accept::<&OsStr>();
    std_and_clonexec_accept::<OsString>();
    std_and_clonexec_accept::<&OsString>();
    std_and_clonexec_accept::<&Path>();
    std_and_clonexec_accept::<&&Path>();
    std_and_clonexec_accept::<PathBuf>();
    std_and_clonexec_accept::<&PathBuf>();
    std_and_clonexec_accept::<Cow<'static, OsStr>>();
    std_and_clonexec_accept::<&Cow<'static, OsStr>>();
    std_and_clonexec_accept::<Box<OsStr>>();
    std_and_clonexec_accept::<Rc<OsStr>>();
    std_and_clonexec_accept::<Arc<OsStr>>();
    std_and_clonexec_accept::<std::path::Component<'static>>();
    std_and_clonexec_accept::<std::path::Components<'static>>();
    std_and_clonexec_accept::<std::path::Iter<'static>>();
    std_path_and_clonexec_accept::<&str>();
    std_path_and_clonexec_accept::<&Path>();
    std_path_and_clonexec_accept::<PathBuf>();
    std_path_and_clonexec_accept::<Cow<'static, OsStr>>();
    std_path_and_clonexec_accept::<Box<Path>>();
    std_path_and_clonexec_accept::<Cow<'static, Path>>();

    // std's calls that take them.
    let mut cmd = Command::new("x");
    cmd.args(&["a", "b"]);
    cmd.args(["a", "b"]);
    cmd.args(vec![String::from("a")]);
    cmd.args(&vec![String::from("a")]);
    cmd.args(std::env::args_os());
    cmd.envs(std::env::vars());
    cmd.envs(&std::collections::HashMap::<String, String>::new());
    cmd.envs(std::collections::BTreeMap::<OsString, OsString>::new());
    cmd.env("K", &OsString::new());
    cmd.current_dir(std::env::temp_dir());
    // clonexec takes these too (std does not: they are not `AsRef<OsStr>`).
    cmd.arg(Cow::Borrowed("a"))
        .arg(Box::<str>::from("b"))
        .arg(Arc::<str>::from("c"))
        .arg(b"d")
        .arg(b"e".as_slice())
        .arg(c"f");
}

fn command() {
    let _: fn(&'static str) -> Command = Command::new;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command = Command::arg;
    let _: for<'a> fn(&'a mut Command, [&'static str; 2]) -> &'a mut Command = Command::args;
    let _: for<'a> fn(&'a mut Command, &'static str, &'static str) -> &'a mut Command =
        Command::env;
    let _: fn(&mut Command, Vec<(String, String)>) -> &mut Command = Command::envs;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command = Command::env_remove;
    let _: fn(&mut Command) -> &mut Command = Command::env_clear;
    let _: for<'a> fn(&'a mut Command, &'static Path) -> &'a mut Command = Command::current_dir;
    let _: fn(&mut Command, Stdio) -> &mut Command = Command::stdin;
    let _: fn(&mut Command, File) -> &mut Command = Command::stdout;
    let _: fn(&mut Command, ChildStdout) -> &mut Command = Command::stderr;
    let _: fn(&mut Command) -> Result<Child, Error> = Command::spawn;
    let _: fn(&mut Command) -> Result<Output, Error> = Command::output;
    let _: fn(&mut Command) -> Result<ExitStatus, Error> = Command::status;
    let _: fn(&Command) -> &OsStr = Command::get_program;
    let _: for<'a> fn(&'a Command) -> CommandArgs<'a> = Command::get_args;
    let _: for<'a> fn(&'a Command) -> CommandEnvs<'a> = Command::get_envs;
    let _: fn(&Command) -> Option<&Path> = Command::get_current_dir;
    let _: fn(&Command) -> bool = Command::get_env_clear;
    fn debug<T: Debug>() {}
    debug::<Command>();
    send_sync::<Command>();

    fn args<'a, I: Iterator<Item = &'a OsStr> + ExactSizeIterator + Debug>() {}
    args::<CommandArgs<'static>>();
    fn envs<'a, I>()
    where
        I: Iterator<Item = (&'a OsStr, Option<&'a OsStr>)> + ExactSizeIterator + Debug,
    {
    }
    envs::<CommandEnvs<'static>>();
}

fn command_ext() {
    // std::os::unix::process::CommandExt
    let _: fn(&mut Command, u32) -> &mut Command = <Command as CommandExt>::uid;
    let _: fn(&mut Command, u32) -> &mut Command = <Command as CommandExt>::gid;
    let _: for<'a, 'b> fn(&'a mut Command, &'b [u32]) -> &'a mut Command =
        <Command as CommandExt>::groups;
    let _: fn(&mut Command) -> Error = <Command as CommandExt>::exec;
    let _: for<'a> fn(&'a mut Command, &'static str) -> &'a mut Command =
        <Command as CommandExt>::arg0;
    let _: fn(&mut Command, i32) -> &mut Command = <Command as CommandExt>::process_group;
    let _: for<'a> fn(&'a mut Command, &'static Path) -> &'a mut Command =
        <Command as CommandExt>::chroot;
    let _: fn(&mut Command, bool) -> &mut Command = <Command as CommandExt>::setsid;
    type Hook = fn() -> io::Result<()>;
    let _: unsafe fn(&mut Command, Hook) -> &mut Command = <Command as CommandExt>::pre_exec;
    let _: unsafe fn(&mut Command, Hook) -> &mut Command = <Command as CommandExt>::before_exec;
    // std::os::linux::process::CommandExt
    let _: fn(&mut Command, bool) -> &mut Command = <Command as CommandExt>::create_pidfd;
    // The same methods of Command's own.
    let _: fn(&mut Command, u32) -> &mut Command = Command::uid;
    let _: fn(&mut Command) -> Error = Command::exec;
    let _: unsafe fn(&mut Command, Hook) -> &mut Command = Command::pre_exec;
}

fn child(child: Child) {
    let _: fn(&mut Child) -> Result<(), Error> = Child::kill;
    let _: fn(&Child) -> u32 = Child::id;
    let _: fn(&mut Child) -> Result<ExitStatus, Error> = Child::wait;
    let _: fn(&mut Child) -> Result<Option<ExitStatus>, Error> = Child::try_wait;
    let _: fn(Child) -> Result<Output, Error> = Child::wait_with_output;
    // std::os::linux::process::ChildExt::into_pidfd (pidfd() keeps
    // clonexec's Option<BorrowedFd>: see Child::pidfd).
    let _: fn(Child) -> Result<PidFd, Child> = Child::into_pidfd;
    let Child {
        stdin,
        stdout,
        stderr,
        ..
    } = child;
    let _: (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>) = (stdin, stdout, stderr);
    fn debug<T: Debug + Send + Sync>() {}
    debug::<Child>();

    let _: fn(&PidFd) -> Result<(), Error> = PidFd::kill;
    let _: fn(&PidFd) -> Result<ExitStatus, Error> = PidFd::wait;
    let _: fn(&PidFd) -> Result<Option<ExitStatus>, Error> = PidFd::try_wait;
    fn fd_type<
        T: AsFd + AsRawFd + FromRawFd + IntoRawFd + From<OwnedFd> + Into<OwnedFd> + Debug,
    >() {
    }
    fd_type::<PidFd>();
}

fn pipes() {
    fn pipe_end<T>()
    where
        T: AsFd + AsRawFd + IntoRawFd + Into<OwnedFd> + From<OwnedFd> + Into<Stdio> + Debug,
        T: Send + Sync,
    {
    }
    pipe_end::<ChildStdin>();
    pipe_end::<ChildStdout>();
    pipe_end::<ChildStderr>();
    fn writer<T: Write>() {}
    writer::<ChildStdin>();
    writer::<&ChildStdin>();
    fn reader<T: Read>() {}
    reader::<ChildStdout>();
    reader::<ChildStderr>();
}

fn stdio() {
    let _: fn() -> Stdio = Stdio::piped;
    let _: fn() -> Stdio = Stdio::inherit;
    let _: fn() -> Stdio = Stdio::null;
    let _: fn(&Stdio) -> bool = Stdio::makes_pipe;
    fn from<T>()
    where
        Stdio: From<T>,
    {
    }
    from::<ChildStdin>();
    from::<ChildStdout>();
    from::<ChildStderr>();
    from::<File>();
    from::<io::Stdout>();
    from::<io::Stderr>();
    from::<PipeReader>();
    from::<PipeWriter>();
    from::<OwnedFd>();
    fn more<T: FromRawFd + Debug + Send + Sync>() {}
    more::<Stdio>();
}

fn output(out: Output) {
    let Output {
        status,
        stdout,
        stderr,
    } = out.clone();
    let _: (ExitStatus, Vec<u8>, Vec<u8>) = (status, stdout, stderr);
    let _: fn(Output) -> Result<Output, ExitStatusError> = Output::exit_ok;
    fn traits<T: Clone + PartialEq + Eq + Debug>() {}
    traits::<Output>();
}

fn exit_status() {
    let _: fn(&ExitStatus) -> Result<(), ExitStatusError> = ExitStatus::exit_ok;
    let _: fn(&ExitStatus) -> bool = ExitStatus::success;
    let _: fn(&ExitStatus) -> Option<i32> = ExitStatus::code;
    fn traits<T: Clone + Copy + PartialEq + Eq + Debug + Display + Default + Send + Sync>() {}
    traits::<ExitStatus>();
    // std::os::unix::process::ExitStatusExt, for both types.
    fn ext<T: ExitStatusExt>() {
        let _: fn(i32) -> T = T::from_raw;
        let _: fn(&T) -> Option<i32> = T::signal;
        let _: fn(&T) -> bool = T::core_dumped;
        let _: fn(&T) -> Option<i32> = T::stopped_signal;
        let _: fn(&T) -> bool = T::continued;
        let _: fn(T) -> i32 = T::into_raw;
    }
    ext::<ExitStatus>();
    ext::<ExitStatusError>();

    let _: fn(&ExitStatusError) -> Option<i32> = ExitStatusError::code;
    let _: fn(&ExitStatusError) -> Option<NonZero<i32>> = ExitStatusError::code_nonzero;
    let _: fn(&ExitStatusError) -> ExitStatus = ExitStatusError::into_status;
    fn error<T: std::error::Error + Clone + Copy + PartialEq + Eq + Send + Sync>()
    where
        ExitStatus: From<T>,
    {
    }
    error::<ExitStatusError>();
}

fn errors(err: Error) -> io::Result<()> {
    let _: fn(&Error) -> io::ErrorKind = Error::kind;
    let _: fn(&Error) -> Option<i32> = Error::raw_os_error;
    fn traits<T: std::error::Error + Send + Sync + 'static>()
    where
        io::Error: From<T>,
    {
    }
    traits::<Error>();
    // std code's `?` on a spawn in a function returning io::Result.
    Command::new("x").spawn()?;
    Err(err)?
}
