//! [`Command`]: `tokio::process::Command`'s builder around a
//! [`crate::Command`].

use core::future::Future;

use ::tokio::runtime::Handle;

use super::child::Child;
use super::orphans;
use super::pidfd;
use crate::prepare::{DefaultStdio, EnvCapture, prepare};
use crate::{Arg, Error, ExitStatus, Output, Stdio};

/// A process to start from async code, as `tokio::process::Command`.
///
/// The builder methods of `tokio::process::Command` are here with the same
/// names; every other clonexec attribute (and `pre_exec`, which is
/// `unsafe`) is reached by building a [`crate::Command`] and converting it
/// (`From`), or through [`as_clonexec_mut`](Command::as_clonexec_mut). Spawning needs a Tokio
/// runtime with IO enabled (`enable_io`, or `enable_all`).
///
/// ```
/// use clonexec::tokio::Command;
/// use clonexec::Namespaces;
///
/// # tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap().block_on(async {
/// let mut cmd = clonexec::Command::new("hostname");
/// cmd.namespaces(Namespaces::UTS).hostname("sandbox");
/// # if rustix::process::geteuid().is_root() {
/// let output = Command::from(cmd).output().await.unwrap();
/// assert_eq!(output.stdout, b"sandbox\n");
/// # }
/// # });
/// ```
#[derive(Debug)]
pub struct Command {
    inner: crate::Command,
    kill_on_drop: bool,
}

impl From<crate::Command> for Command {
    /// Keeps every attribute of `cmd`; the child always gets a pidfd
    /// (`create_pidfd(true)`), which is how it is waited for.
    fn from(cmd: crate::Command) -> Command {
        Command {
            inner: cmd,
            kill_on_drop: false,
        }
    }
}

impl Command {
    /// A command running `program` (see [`crate::Command::new`] for the
    /// PATH search).
    pub fn new(program: impl Arg) -> Command {
        Command::from(crate::Command::new(program))
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl Arg) -> &mut Self {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Arg,
    {
        self.inner.args(args);
        self
    }

    /// Sets argv\[0\] instead of the program path.
    pub fn arg0(&mut self, arg0: impl Arg) -> &mut Self {
        self.inner.arg0(arg0);
        self
    }

    /// Sets an environment variable in the child.
    pub fn env(&mut self, key: impl Arg, value: impl Arg) -> &mut Self {
        self.inner.env(key, value);
        self
    }

    /// Sets several environment variables in the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Arg,
        V: Arg,
    {
        self.inner.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl Arg) -> &mut Self {
        self.inner.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what
    /// [`env`](Command::env) adds afterwards).
    pub fn env_clear(&mut self) -> &mut Self {
        self.inner.env_clear();
        self
    }

    /// The child's working directory (entered after the uid change).
    pub fn current_dir(&mut self, dir: impl Arg) -> &mut Self {
        self.inner.current_dir(dir);
        self
    }

    /// The child's stdin (default: inherited; null for
    /// [`output`](Command::output)).
    pub fn stdin(&mut self, stdio: impl Into<Stdio>) -> &mut Self {
        self.inner.stdin(stdio);
        self
    }

    /// The child's stdout (default: inherited; piped for
    /// [`output`](Command::output)).
    pub fn stdout(&mut self, stdio: impl Into<Stdio>) -> &mut Self {
        self.inner.stdout(stdio);
        self
    }

    /// The child's stderr (default: inherited; piped for
    /// [`output`](Command::output)).
    pub fn stderr(&mut self, stdio: impl Into<Stdio>) -> &mut Self {
        self.inner.stderr(stdio);
        self
    }

    /// Runs the child as user `uid` (see [`crate::Command::uid`]).
    pub fn uid(&mut self, uid: u32) -> &mut Self {
        self.inner.uid(uid);
        self
    }

    /// Runs the child with group `gid` (see [`crate::Command::gid`]).
    pub fn gid(&mut self, gid: u32) -> &mut Self {
        self.inner.gid(gid);
        self
    }

    /// Puts the child in process group `pgid`; 0 makes a new group led by
    /// the child.
    pub fn process_group(&mut self, pgid: i32) -> &mut Self {
        self.inner.process_group(pgid);
        self
    }

    /// Whether dropping the [`Child`] (or the future of
    /// [`status`](Command::status) or [`output`](Command::output)) before
    /// the child was reaped kills it with `SIGKILL` first. Default: no; it
    /// is reaped in the background either way.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Self {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// What [`kill_on_drop`](Command::kill_on_drop) was set to.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The [`crate::Command`] inside.
    pub fn as_clonexec(&self) -> &crate::Command {
        &self.inner
    }

    /// The [`crate::Command`] inside, to set any clonexec attribute.
    pub fn as_clonexec_mut(&mut self) -> &mut crate::Command {
        &mut self.inner
    }

    /// The [`crate::Command`] inside, for a blocking spawn.
    pub fn into_clonexec(self) -> crate::Command {
        self.inner
    }

    /// Starts the program (synchronously: the clone and exec take tens of
    /// microseconds) and returns its handle, registered with the current
    /// runtime's reactor.
    ///
    /// Refused before any process exists: invalid input (as
    /// [`crate::Command::prepare`] refuses it), no current Tokio runtime,
    /// or a kernel that cannot wait through pidfds (before Linux 5.4).
    ///
    /// # Panics
    ///
    /// If the current runtime has no IO driver (as `tokio::process` does).
    pub fn spawn(&mut self) -> Result<Child, Error> {
        self.spawn_with([DefaultStdio::Inherit; 3])
    }

    /// Runs the program to completion with inherited stdio and returns its
    /// exit status. The child is spawned when this is called; the future
    /// only waits.
    pub fn status(&mut self) -> impl Future<Output = Result<ExitStatus, Error>> + use<> {
        let child = self.spawn();
        async move {
            let mut child = child?;
            // Piped streams would only fill up: close them, as tokio does.
            drop((child.stdin.take(), child.stdout.take(), child.stderr.take()));
            child.wait().await
        }
    }

    /// Runs the program to completion, collecting stdout and stderr. Unless
    /// set otherwise, stdin is `/dev/null` and stdout/stderr are piped, as
    /// with [`crate::Command::output`]. The child is spawned when this is
    /// called; the future only waits.
    pub fn output(&mut self) -> impl Future<Output = Result<Output, Error>> + use<> {
        let defaults = [DefaultStdio::Null, DefaultStdio::Piped, DefaultStdio::Piped];
        let child = self.spawn_with(defaults);
        async move { child?.wait_with_output().await }
    }

    fn spawn_with(&mut self, defaults: [DefaultStdio; 3]) -> Result<Child, Error> {
        self.inner.create_pidfd(true);
        let plan = prepare(self.inner.spec(), defaults, EnvCapture::AtSpawn)?;
        let Ok(runtime) = Handle::try_current() else {
            return Err(Error::invalid(
                &plan.program.name,
                "clonexec::tokio::Command spawns from within a Tokio runtime only",
            ));
        };
        pidfd::check_support(&plan.program.name)?;
        orphans::reap_exited();
        let child = self.inner.spawn_plan(plan)?;
        Child::new(child, self.kill_on_drop, runtime)
    }
}
