//! [`Child`]: a started process (pid, pidfd, pipes), and its [`Output`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::process::{Pid, WaitOptions};

use crate::exit_status::ExitStatusError;
use crate::pidfd::PidFd;
use crate::stdio::{Stdio, StdioKind};
use crate::{Error, ExitStatus, Signal, Step};

/// A running (or finished, not yet waited for) child process.
///
/// As with std, dropping a `Child` neither kills nor waits for it, and its
/// pipe ends can be moved out (`child.stdout.take()`, or
/// `child.stdout.unwrap()` to give up the rest).
pub struct Child {
    program: Arc<str>,
    pid: i32,
    pidfd: Option<PidFd>,
    status: Option<ExitStatus>,
    /// The parent's end of the child's stdin, when it was [`Stdio::piped`].
    pub stdin: Option<ChildStdin>,
    /// The parent's end of the child's stdout, when it was [`Stdio::piped`].
    pub stdout: Option<ChildStdout>,
    /// The parent's end of the child's stderr, when it was [`Stdio::piped`].
    pub stderr: Option<ChildStderr>,
}

impl Child {
    pub(crate) fn new(
        program: Arc<str>,
        pid: i32,
        pidfd: Option<OwnedFd>,
        pipes: [Option<OwnedFd>; 3],
    ) -> Self {
        let [stdin, stdout, stderr] = pipes;
        Child {
            pid,
            pidfd: pidfd.map(|fd| PidFd::new(fd, program.clone())),
            status: None,
            stdin: stdin.map(ChildStdin),
            stdout: stdout.map(ChildStdout),
            stderr: stderr.map(ChildStderr),
            program,
        }
    }

    /// The program's name, the pid, the pidfd and the pipes' parent ends
    /// (stdin, stdout, stderr), for a handle that takes the child over
    /// (`crate::tokio`).
    #[cfg(feature = "tokio")]
    pub(crate) fn into_parts(self) -> (Arc<str>, i32, Option<OwnedFd>, [Option<OwnedFd>; 3]) {
        let pipes = [
            self.stdin.map(|p| p.0),
            self.stdout.map(|p| p.0),
            self.stderr.map(|p| p.0),
        ];
        (self.program, self.pid, self.pidfd.map(OwnedFd::from), pipes)
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.pid as u32
    }

    /// The child's pidfd, when [`create_pidfd(true)`] asked for one. It
    /// refers to this process even after its pid is reused, and can be
    /// polled for exit.
    ///
    /// std's unstable `ChildExt::pidfd` returns `io::Result<&PidFd>`
    /// instead; this keeps clonexec's `Option`, which the async front end
    /// and existing callers use (`unwrap`, `expect` and `as_fd` read the
    /// same on both).
    ///
    /// [`create_pidfd(true)`]: crate::Command::create_pidfd
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|fd| fd.as_fd())
    }

    /// The child's pidfd, taking it out of the handle, or the handle back
    /// when there is none (std's unstable `ChildExt::into_pidfd`). Waiting
    /// on the pidfd then reaps the child.
    ///
    /// ```
    /// use clonexec::Command;
    /// let child = Command::new("true").spawn().unwrap();
    /// let mut child = child.into_pidfd().unwrap_err(); // no create_pidfd(true)
    /// child.wait().unwrap();
    /// ```
    pub fn into_pidfd(mut self) -> Result<PidFd, Child> {
        match self.pidfd.take() {
            Some(pidfd) => Ok(pidfd),
            None => Err(self),
        }
    }

    fn error(&self, step: Step, errno: rustix::io::Errno, context: &str) -> Error {
        Error::os(&self.program, step, errno.raw_os_error(), context)
    }

    /// Waits for the child to exit (closing its stdin first, so a child
    /// reading it sees EOF) and returns its status. Later calls return the
    /// same status.
    pub fn wait(&mut self) -> Result<ExitStatus, Error> {
        drop(self.stdin.take());
        loop {
            match self.wait_once(false) {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(errno) => return Err(self.error(Step::Wait, errno, "waiting for the child")),
            }
        }
    }

    /// Returns the exit status if the child has exited, without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        self.wait_once(true)
            .map_err(|errno| self.error(Step::Wait, errno, "waiting for the child"))
    }

    fn wait_once(&mut self, nohang: bool) -> Result<Option<ExitStatus>, rustix::io::Errno> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = if let Some(pidfd) = &self.pidfd {
            crate::pidfd::wait(pidfd.as_fd(), nohang)?
        } else {
            let pid = Pid::from_raw(self.pid).ok_or(rustix::io::Errno::SRCH)?;
            let options = if nohang {
                WaitOptions::NOHANG
            } else {
                WaitOptions::empty()
            };
            rustix::process::waitpid(Some(pid), options)?
                .map(|(_, s)| ExitStatus::from_raw(s.as_raw()))
        };
        self.status = status;
        Ok(status)
    }

    /// Sends `SIGKILL` (through the pidfd when there is one). Like std,
    /// this is `Ok` when the child has already been waited for.
    pub fn kill(&mut self) -> Result<(), Error> {
        if self.status.is_some() {
            return Ok(());
        }
        self.signal(Signal::KILL)
    }

    /// Sends `signal` to the child (through the pidfd when there is one, so
    /// a recycled pid is never hit). Fails with `ESRCH` once the child has
    /// been waited for.
    pub fn signal(&self, signal: Signal) -> Result<(), Error> {
        let result = if self.status.is_some() {
            Err(linux_raw_sys::errno::ESRCH as i32)
        } else if let Some(pidfd) = &self.pidfd {
            crate::sys::process::pidfd_send_signal(pidfd.as_fd().as_raw_fd(), signal.as_raw())
        } else {
            crate::sys::process::kill(self.pid, signal.as_raw())
        };
        result.map_err(|errno| {
            Error::os(
                &self.program,
                Step::Signal,
                errno,
                alloc::format!("sending {signal}"),
            )
        })
    }

    /// Reads stdout and stderr to their ends (whichever are piped), then
    /// waits for the child.
    pub fn wait_with_output(mut self) -> Result<Output, Error> {
        drop(self.stdin.take());
        let out = self.stdout.take();
        let err = self.stderr.take();
        let (stdout, stderr) = read_both(out.as_ref().map(|p| &p.0), err.as_ref().map(|p| &p.0))
            .map_err(|errno| self.error(Step::Wait, errno, "reading the child's output"))?;
        let status = self.wait()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Reads two pipes to EOF at the same time, so a child filling one while we
/// block on the other cannot deadlock.
fn read_both(
    out: Option<&OwnedFd>,
    err: Option<&OwnedFd>,
) -> Result<(Vec<u8>, Vec<u8>), rustix::io::Errno> {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut bufs = (Vec::new(), Vec::new());
    let mut open = [out, err];
    let mut chunk = [0u8; 8192];
    while open.iter().any(Option::is_some) {
        let mut fds: Vec<PollFd<'_>> = open
            .iter()
            .flatten()
            .map(|fd| PollFd::new(*fd, PollFlags::IN))
            .collect();
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
        let ready: Vec<bool> = fds.iter().map(|p| !p.revents().is_empty()).collect();
        drop(fds);
        let mut ready = ready.into_iter();
        for (slot, buf) in open.iter_mut().zip([&mut bufs.0, &mut bufs.1]) {
            let Some(fd) = *slot else { continue };
            if !ready.next().unwrap_or(false) {
                continue;
            }
            match rustix::io::read(fd, &mut chunk) {
                Ok(0) => *slot = None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(bufs)
}

impl fmt::Debug for Child {
    /// `Child { stdin: .., stdout: .., stderr: .., .. }`, as std prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}

/// What [`Command::output`](crate::Command::output) collects.
#[derive(Clone, PartialEq, Eq)]
pub struct Output {
    /// How the process ended.
    pub status: ExitStatus,
    /// Everything it wrote to stdout (if piped).
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr (if piped).
    pub stderr: Vec<u8>,
}

impl Output {
    /// `self` if the process succeeded, else its status as an error
    /// (std's unstable `Output::exit_ok`; the output is dropped then).
    ///
    /// ```
    /// use clonexec::Command;
    /// assert!(Command::new("false").output().unwrap().exit_ok().is_err());
    /// ```
    pub fn exit_ok(self) -> Result<Self, ExitStatusError> {
        self.status.exit_ok()?;
        Ok(self)
    }
}

impl fmt::Debug for Output {
    /// As std prints it: stdout and stderr as strings when they are UTF-8,
    /// else as bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stdout = core::str::from_utf8(&self.stdout);
        let stdout: &dyn fmt::Debug = match &stdout {
            Ok(text) => text,
            Err(_) => &self.stdout,
        };
        let stderr = core::str::from_utf8(&self.stderr);
        let stderr: &dyn fmt::Debug = match &stderr {
            Ok(text) => text,
            Err(_) => &self.stderr,
        };
        f.debug_struct("Output")
            .field("status", &self.status)
            .field("stdout", stdout)
            .field("stderr", stderr)
            .finish()
    }
}

macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(OwnedFd);

        impl fmt::Debug for $name {
            /// As std prints it: the name only.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.0.as_fd()
            }
        }

        impl From<$name> for OwnedFd {
            fn from(end: $name) -> OwnedFd {
                end.0
            }
        }

        impl From<OwnedFd> for $name {
            /// Wraps a pipe end (std's conversion; the fd should be a pipe
            /// with close-on-exec set).
            fn from(fd: OwnedFd) -> $name {
                $name(fd)
            }
        }

        impl From<$name> for Stdio {
            /// Connects another child's stream to this pipe (pipelines).
            fn from(end: $name) -> Stdio {
                Stdio(StdioKind::Fd(end.0))
            }
        }

        #[cfg(feature = "std")]
        impl std::os::fd::AsRawFd for $name {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.0.as_raw_fd()
            }
        }

        #[cfg(feature = "std")]
        impl std::os::fd::IntoRawFd for $name {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                self.0.into_raw_fd()
            }
        }
    };
}

pipe_end!(
    /// The parent's (write) end of a piped stdin.
    ChildStdin
);
pipe_end!(
    /// The parent's (read) end of a piped stdout.
    ChildStdout
);
pipe_end!(
    /// The parent's (read) end of a piped stderr.
    ChildStderr
);

#[cfg(feature = "std")]
mod io_impls {
    use super::{ChildStderr, ChildStdin, ChildStdout};
    use std::io::{self, IoSlice, IoSliceMut, Read, Write};

    impl Write for &ChildStdin {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(rustix::io::write(&self.0, buf)?)
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            Ok(rustix::io::writev(&self.0, bufs)?)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Write for ChildStdin {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            (&*self).write(buf)
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            (&*self).write_vectored(bufs)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    macro_rules! read_end {
        ($name:ident) => {
            impl Read for $name {
                fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                    Ok(rustix::io::read(&self.0, buf)?)
                }

                fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                    Ok(rustix::io::readv(&self.0, bufs)?)
                }
            }
        };
    }

    read_end!(ChildStdout);
    read_end!(ChildStderr);
}
