//! [`Child`]: a started process (pid, pidfd, pipes), and its [`ExitStatus`]
//! and [`Output`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::process::{Pid, WaitId, WaitIdOptions, WaitOptions};

use crate::stdio::{Stdio, StdioKind};
use crate::{Error, Signal, Step};

/// A running (or finished, not yet waited for) child process.
///
/// As with std, dropping a `Child` neither kills nor waits for it.
#[derive(Debug)]
pub struct Child {
    program: Arc<str>,
    pid: i32,
    pidfd: Option<OwnedFd>,
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
            program,
            pid,
            pidfd,
            status: None,
            stdin: stdin.map(ChildStdin),
            stdout: stdout.map(ChildStdout),
            stderr: stderr.map(ChildStderr),
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
        (self.program, self.pid, self.pidfd, pipes)
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.pid as u32
    }

    /// The child's pidfd, when [`create_pidfd(true)`] asked for one. It
    /// refers to this process even after its pid is reused, and can be
    /// polled for exit.
    ///
    /// [`create_pidfd(true)`]: crate::Command::create_pidfd
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|fd| fd.as_fd())
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
            let mut options = WaitIdOptions::EXITED;
            if nohang {
                options |= WaitIdOptions::NOHANG;
            }
            rustix::process::waitid(WaitId::PidFd(pidfd.as_fd()), options)?
                .map(ExitStatus::from_waitid)
        } else {
            let pid = Pid::from_raw(self.pid).ok_or(rustix::io::Errno::SRCH)?;
            let options = if nohang {
                WaitOptions::NOHANG
            } else {
                WaitOptions::empty()
            };
            rustix::process::waitpid(Some(pid), options)?.map(|(_, s)| ExitStatus(s.as_raw()))
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
            crate::sys::process::pidfd_send_signal(pidfd.as_raw_fd(), signal.as_raw())
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

/// How a process ended: the raw wait status, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExitStatus(i32);

impl ExitStatus {
    /// Builds a status from a raw `waitpid` status.
    pub const fn from_raw(raw: i32) -> Self {
        ExitStatus(raw)
    }

    /// The raw `waitpid` status.
    pub const fn into_raw(self) -> i32 {
        self.0
    }

    /// The status `waitid(..., WEXITED)` reported, as `waitpid` would.
    pub(crate) fn from_waitid(status: rustix::process::WaitIdStatus) -> Self {
        if let Some(code) = status.exit_status() {
            ExitStatus((code & 0xff) << 8)
        } else {
            let sig = status.terminating_signal().unwrap_or(0) & 0x7f;
            ExitStatus(sig | if status.dumped() { 0x80 } else { 0 })
        }
    }

    /// Exited with code 0.
    pub fn success(&self) -> bool {
        self.code() == Some(0)
    }

    /// The exit code, if the process exited (rather than being killed).
    pub fn code(&self) -> Option<i32> {
        (self.0 & 0x7f == 0).then_some((self.0 >> 8) & 0xff)
    }

    /// The signal that killed the process, if one did.
    pub fn signal(&self) -> Option<i32> {
        let sig = self.0 & 0x7f;
        (sig != 0 && sig != 0x7f).then_some(sig)
    }

    /// Whether the killed process dumped core.
    pub fn core_dumped(&self) -> bool {
        self.signal().is_some() && self.0 & 0x80 != 0
    }
}

impl fmt::Display for ExitStatus {
    /// `exit status: 3` or `signal: 9 (SIGKILL)`, as std prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.code() {
            write!(f, "exit status: {code}")
        } else if let Some(sig) = self.signal() {
            match Signal::new(sig) {
                Some(s) => write!(f, "signal: {sig} ({s})")?,
                None => write!(f, "signal: {sig}")?,
            }
            if self.core_dumped() {
                f.write_str(" (core dumped)")
            } else {
                Ok(())
            }
        } else {
            write!(f, "unrecognised wait status: {}", self.0)
        }
    }
}

#[cfg(feature = "std")]
impl From<ExitStatus> for std::process::ExitStatus {
    fn from(status: ExitStatus) -> Self {
        std::os::unix::process::ExitStatusExt::from_raw(status.0)
    }
}

/// What [`Command::output`](crate::Command::output) collects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// How the process ended.
    pub status: ExitStatus,
    /// Everything it wrote to stdout (if piped).
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr (if piped).
    pub stderr: Vec<u8>,
}

macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(OwnedFd);

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

    impl std::io::Write for ChildStdin {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Ok(rustix::io::write(&self.0, buf)?)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl std::io::Read for ChildStdout {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            Ok(rustix::io::read(&self.0, buf)?)
        }
    }

    impl std::io::Read for ChildStderr {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            Ok(rustix::io::read(&self.0, buf)?)
        }
    }
}
