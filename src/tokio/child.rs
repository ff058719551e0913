//! [`Child`]: a child started by [`Command`](super::Command), waited for
//! through its pidfd on Tokio's reactor.

use alloc::format;
use alloc::sync::Arc;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll, ready};
use std::vec::Vec;

use ::tokio::io::Interest;
use ::tokio::io::unix::AsyncFd;
use ::tokio::runtime::Handle;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::io::Errno;

use super::orphans;
use super::pidfd::try_reap;
use super::pipes::{self, ChildStderr, ChildStdin, ChildStdout};
use crate::{Error, ExitStatus, Output, Signal, Step};

/// A child process, as `tokio::process::Child`: [`wait`](Child::wait),
/// [`try_wait`](Child::try_wait), [`kill`](Child::kill),
/// [`start_kill`](Child::start_kill),
/// [`wait_with_output`](Child::wait_with_output), and the pipes as fields
/// that can be moved out.
///
/// Waiting awaits the child's pidfd on the reactor of the runtime it was
/// spawned on, then reaps it with `waitid(P_PIDFD)`.
///
/// **Dropped before it was reaped**, the child keeps running (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) kills it) and is reaped
/// in the background, as `tokio::process` does: a task on the runtime it
/// was spawned on waits for it (dropping it outside that runtime is fine).
/// If that runtime has shut down, or shuts down before the child exits,
/// the next spawn through `clonexec::tokio` reaps it if it has exited by
/// then (a later one otherwise); until then it stays a zombie.
#[derive(Debug)]
pub struct Child {
    process: Process,
    /// The parent's end of the child's stdin, when it was piped.
    pub stdin: Option<ChildStdin>,
    /// The parent's end of the child's stdout, when it was piped.
    pub stdout: Option<ChildStdout>,
    /// The parent's end of the child's stderr, when it was piped.
    pub stderr: Option<ChildStderr>,
}

/// The process itself, apart from the pipes (so that [`Child`] has no
/// `Drop` and its pipe fields can be moved out).
#[derive(Debug)]
struct Process {
    program: Arc<str>,
    pid: u32,
    state: State,
    kill_on_drop: bool,
    /// The runtime whose reactor holds the pidfd, which reaps the child if
    /// it is dropped before that.
    runtime: Handle,
}

#[derive(Debug)]
enum State {
    /// Not reaped yet: the pidfd, registered for readability.
    Running(AsyncFd<OwnedFd>),
    /// Reaped; the pidfd is closed.
    Exited(ExitStatus),
    /// Only while `Process` is dropped.
    Dropped,
}

impl Child {
    /// Takes over `child` (spawned with a pidfd): registers its pidfd and
    /// pipes with the current runtime's reactor. On failure, the child is
    /// killed and reaped, so it leaves nothing behind.
    pub(super) fn new(
        child: crate::Child,
        kill_on_drop: bool,
        runtime: Handle,
    ) -> Result<Child, Error> {
        let (program, pid, pidfd, [stdin, stdout, stderr]) = child.into_parts();
        let registered = (|| {
            // The engine gives the pidfd it was asked for, or fails.
            let pidfd = pidfd.ok_or_else(|| io::Error::other("spawned without a pidfd"))?;
            let pidfd = super::register(pidfd, Interest::READABLE)?;
            let register = |fd: Option<OwnedFd>, interest| {
                fd.map(|fd| pipes::register(fd, interest)).transpose()
            };
            let stdin = register(stdin, Interest::WRITABLE)?.map(ChildStdin::new);
            let stdout = register(stdout, Interest::READABLE)?.map(ChildStdout::new);
            let stderr = register(stderr, Interest::READABLE)?.map(ChildStderr::new);
            Ok::<_, io::Error>((pidfd, stdin, stdout, stderr))
        })();
        match registered {
            Ok((pidfd, stdin, stdout, stderr)) => Ok(Child {
                process: Process {
                    program,
                    pid: pid as u32,
                    state: State::Running(pidfd),
                    kill_on_drop,
                    runtime,
                },
                stdin,
                stdout,
                stderr,
            }),
            Err(error) => {
                // The pidfd and pipes are closed by now. The pid still names
                // the child: it is ours and nobody has reaped it.
                let _ = crate::sys::process::kill(pid, Signal::KILL.as_raw());
                crate::launch::reap(pid);
                Err(io_error(
                    &program,
                    "registering the child with the Tokio reactor",
                    error,
                ))
            }
        }
    }

    /// The child's pid, or `None` once it has been reaped (its pid may then
    /// belong to another process).
    pub fn id(&self) -> Option<u32> {
        match self.process.state {
            State::Running(_) => Some(self.process.pid),
            _ => None,
        }
    }

    /// Waits for the child to exit and reaps it, without blocking the
    /// runtime; later calls return the same status. Closes stdin first, so
    /// a child reading it sees end-of-file.
    ///
    /// Cancel-safe: dropping the future leaves the child as it was.
    pub async fn wait(&mut self) -> Result<ExitStatus, Error> {
        drop(self.stdin.take());
        poll_fn(|cx| self.process.poll_wait(cx)).await
    }

    /// The exit status if the child has exited (reaping it), `None` if it
    /// is still running. Never waits.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        self.process.try_wait()
    }

    /// Sends `SIGKILL` without waiting (through the pidfd, so a recycled
    /// pid is never hit). `Ok` when the child has already been reaped, as
    /// [`crate::Child::kill`] (tokio gives an error there).
    pub fn start_kill(&mut self) -> Result<(), Error> {
        match self.process.state {
            State::Running(_) => self.process.signal(Signal::KILL),
            _ => Ok(()),
        }
    }

    /// Sends `SIGKILL` and waits for the child to exit.
    pub async fn kill(&mut self) -> Result<(), Error> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Sends `signal` to the child through its pidfd. Fails with `ESRCH`
    /// once the child has been reaped.
    pub fn signal(&self, signal: Signal) -> Result<(), Error> {
        self.process.signal(signal)
    }

    /// Closes stdin, reads stdout and stderr (whichever are piped) to their
    /// ends while waiting for the child, and returns all three.
    pub async fn wait_with_output(mut self) -> Result<Output, Error> {
        drop(self.stdin.take());
        let stdout_fd = self.stdout.take().map(|p| p.fd);
        let stderr_fd = self.stderr.take().map(|p| p.fd);
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let (mut out_done, mut err_done) = (stdout_fd.is_none(), stderr_fd.is_none());
        let process = &mut self.process;
        let status = poll_fn(|cx| {
            for (fd, buf, done) in [
                (&stdout_fd, &mut stdout, &mut out_done),
                (&stderr_fd, &mut stderr, &mut err_done),
            ] {
                if let (Some(fd), false) = (fd, *done) {
                    match pipes::poll_read_to_end(fd, cx, buf) {
                        Poll::Ready(Ok(())) => *done = true,
                        Poll::Ready(Err(e)) => {
                            return Poll::Ready(Err(io_error(
                                &process.program,
                                "reading the child's output",
                                e,
                            )));
                        }
                        Poll::Pending => {}
                    }
                }
            }
            let status = ready!(process.poll_wait(cx))?;
            if out_done && err_done {
                Poll::Ready(Ok(status))
            } else {
                Poll::Pending
            }
        })
        .await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Process {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Result<ExitStatus, Error>> {
        loop {
            let pidfd = match &self.state {
                State::Running(pidfd) => pidfd,
                State::Exited(status) => return Poll::Ready(Ok(*status)),
                State::Dropped => return Poll::Ready(Err(self.wait_error(Errno::CHILD))),
            };
            let mut guard = match ready!(pidfd.poll_read_ready(cx)) {
                Ok(guard) => guard,
                Err(e) => {
                    return Poll::Ready(Err(io_error(&self.program, "waiting for the child", e)));
                }
            };
            match try_reap(guard.get_inner().as_fd()) {
                Ok(Some(status)) => {
                    drop(guard);
                    // Closes the pidfd, leaving the reactor.
                    self.state = State::Exited(status);
                }
                // Readable before the exit is visible to waitid: wait for
                // the next edge.
                Ok(None) => guard.clear_ready(),
                Err(errno) => return Poll::Ready(Err(self.wait_error(errno))),
            }
        }
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        let pidfd = match &self.state {
            State::Running(pidfd) => pidfd,
            State::Exited(status) => return Ok(Some(*status)),
            State::Dropped => return Err(self.wait_error(Errno::CHILD)),
        };
        let status = try_reap(pidfd.get_ref().as_fd()).map_err(|errno| self.wait_error(errno))?;
        if let Some(status) = status {
            self.state = State::Exited(status);
        }
        Ok(status)
    }

    fn signal(&self, signal: Signal) -> Result<(), Error> {
        let result = match &self.state {
            State::Running(pidfd) => {
                crate::sys::process::pidfd_send_signal(pidfd.as_raw_fd(), signal.as_raw())
            }
            _ => Err(linux_raw_sys::errno::ESRCH as i32),
        };
        result.map_err(|errno| {
            Error::os(
                &self.program,
                Step::Signal,
                errno,
                format!("sending {signal}"),
            )
        })
    }

    fn wait_error(&self, errno: Errno) -> Error {
        Error::os(
            &self.program,
            Step::Wait,
            errno.raw_os_error(),
            "waiting for the child",
        )
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let State::Running(pidfd) = core::mem::replace(&mut self.state, State::Dropped) {
            if self.kill_on_drop {
                let _ = crate::sys::process::pidfd_send_signal(
                    pidfd.as_raw_fd(),
                    Signal::KILL.as_raw(),
                );
            }
            orphans::reap_in_background(&self.runtime, pidfd);
        }
    }
}

/// An [`Error`] for an I/O error from the reactor or a pipe, keeping its
/// errno (`EIO` for the reactor's own errors, such as a runtime shutting
/// down, whose words go into the message).
fn io_error(program: &str, what: &str, error: io::Error) -> Error {
    match error.raw_os_error() {
        Some(errno) => Error::os(program, Step::Wait, errno, what),
        None => Error::os(
            program,
            Step::Wait,
            linux_raw_sys::errno::EIO as i32,
            format!("{what} ({error})"),
        ),
    }
}
