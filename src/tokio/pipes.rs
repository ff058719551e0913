//! The parent's ends of piped stdio, registered with Tokio's reactor:
//! [`ChildStdin`] is `AsyncWrite`, [`ChildStdout`] and [`ChildStderr`] are
//! `AsyncRead`.
//!
//! Each end is made non-blocking (`FIONBIO`) before it is registered. The
//! child's end of the same pipe is another open file description, so the
//! child still gets an ordinary blocking pipe.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::vec::Vec;

use ::tokio::io::unix::AsyncFd;
use ::tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

use crate::Stdio;

/// `fd`, non-blocking, registered with the current runtime's reactor for
/// `interest`.
pub(super) fn register(fd: OwnedFd, interest: Interest) -> io::Result<AsyncFd<OwnedFd>> {
    rustix::io::ioctl_fionbio(&fd, true)?;
    super::register(fd, interest)
}

/// The fd, out of the reactor and blocking again (it is the same open file
/// description we made non-blocking).
fn deregister(fd: AsyncFd<OwnedFd>) -> io::Result<OwnedFd> {
    let fd = fd.into_inner();
    rustix::io::ioctl_fionbio(&fd, false)?;
    Ok(fd)
}

/// One `read` into `buf`, waiting for readiness as long as the pipe is
/// empty (end-of-file reads nothing).
fn poll_read(
    fd: &AsyncFd<OwnedFd>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    loop {
        let mut guard = ready!(fd.poll_read_ready(cx))?;
        let unfilled = buf.initialize_unfilled();
        if let Ok(result) = guard.try_io(|fd| Ok(rustix::io::read(fd, &mut *unfilled)?)) {
            buf.advance(result?);
            return Poll::Ready(Ok(()));
        }
        // EAGAIN: try_io cleared the readiness; wait for the next edge.
    }
}

/// Reads `fd` to end-of-file, appending to `out`; `Pending` keeps what was
/// read so far in `out`.
pub(super) fn poll_read_to_end(
    fd: &AsyncFd<OwnedFd>,
    cx: &mut Context<'_>,
    out: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    const CHUNK: usize = 16 * 1024;
    loop {
        let len = out.len();
        out.resize(len + CHUNK, 0);
        let mut buf = ReadBuf::new(&mut out[len..]);
        let polled = poll_read(fd, cx, &mut buf);
        let n = buf.filled().len();
        out.truncate(len + n);
        match polled {
            Poll::Ready(Ok(())) if n == 0 => return Poll::Ready(Ok(())),
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
    }
}

macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            pub(super) fd: AsyncFd<OwnedFd>,
        }

        impl $name {
            pub(super) fn new(fd: AsyncFd<OwnedFd>) -> Self {
                $name { fd }
            }

            /// The pipe end as a plain, blocking fd, out of the reactor (to
            /// hand it to a thread or another process).
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                deregister(self.fd)
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.fd.get_ref().as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.fd.as_raw_fd()
            }
        }

        impl TryFrom<$name> for Stdio {
            type Error = io::Error;

            /// Connects another child's stream to this pipe (a pipeline),
            /// as blocking, which is what programs expect.
            fn try_from(end: $name) -> io::Result<Stdio> {
                Ok(Stdio::from(end.into_owned_fd()?))
            }
        }
    };
}

pipe_end!(
    /// The parent's (write) end of a piped stdin: `AsyncWrite`. Dropping it
    /// closes the pipe, so the child reads end-of-file.
    ChildStdin
);
pipe_end!(
    /// The parent's (read) end of a piped stdout: `AsyncRead`.
    ChildStdout
);
pipe_end!(
    /// The parent's (read) end of a piped stderr: `AsyncRead`.
    ChildStderr
);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            if let Ok(result) = guard.try_io(|fd| Ok(rustix::io::write(fd, buf)?)) {
                return Poll::Ready(result);
            }
        }
    }

    /// Nothing is buffered: always ready.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ready at once, as tokio's `ChildStdin`: the pipe closes when this
    /// end is dropped.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read(&self.fd, cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read(&self.fd, cx, buf)
    }
}
