//! `prepare()`: every check and every allocation, before any process
//! exists. A [`Spec`] is lowered into a [`Plan`] one area at a time, each
//! area in its own module returning its part of the plan; refusals are
//! [`Error`]s whose `step()` is `None`.

mod credentials;
mod fds;
mod filesystem;
mod landlock;
mod namespaces;
mod process;
mod program;
mod security;

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use rustix::fd::{AsFd, OwnedFd};

use crate::plan::Plan;
use crate::spec::Spec;
use crate::{Error, Step};

pub(crate) use fds::DefaultStdio;
pub(crate) use program::{EnvCapture, path_candidates};

/// Validates `spec` and lowers it into a [`Plan`].
///
/// `defaults` is what an unset stdio stream becomes (`output()` pipes
/// stdout and stderr), and `env_capture` when an unchanged environment is
/// read.
pub(crate) fn prepare(
    spec: &Spec,
    defaults: [DefaultStdio; 3],
    env_capture: EnvCapture,
) -> Result<Plan, Error> {
    let name = String::from_utf8_lossy(&spec.program).into_owned();
    let mut cx = Lowering {
        program: &name,
        owned: Vec::new(),
    };
    let mut program = program::lower(spec, env_capture, &cx)?;
    let fds = fds::lower(spec, defaults, &mut cx)?;
    let credentials = credentials::lower(spec, &cx)?;
    let process = process::lower(spec, &mut cx)?;
    let security = security::lower(spec, &mut cx)?;
    if let Some(fd) = &spec.program_fd {
        program.fd = Some(cx.keep_copy(fd, "the program's fd")?);
        // Our copy is close-on-exec; the program gets it only if the
        // caller's fd would have survived an exec.
        program.fd_survives_exec = rustix::io::fcntl_getfd(fd)
            .is_ok_and(|flags| !flags.contains(rustix::io::FdFlags::CLOEXEC));
    }
    let (namespaces, in_effect) = namespaces::lower(spec, &mut cx)?;
    let filesystem = filesystem::lower(spec, in_effect, &cx)?;
    Ok(Plan {
        program,
        fds,
        process,
        credentials,
        security,
        namespaces,
        filesystem,
        owned_fds: cx.owned,
    })
}

/// What every area needs while lowering: the program's name for the
/// refusals, and the fds the plan will own.
struct Lowering<'a> {
    program: &'a str,
    owned: Vec<OwnedFd>,
}

impl Lowering<'_> {
    /// A refusal of the input.
    fn invalid(&self, message: impl Into<String>) -> Error {
        Error::invalid(self.program, message)
    }

    /// `bytes` as a C string, or the refusal "`what` contains a NUL byte".
    fn c_string(&self, bytes: &[u8], what: &str) -> Result<CString, Error> {
        CString::new(bytes).map_err(|_| self.invalid(format!("{what} contains a NUL byte")))
    }

    /// Keeps a close-on-exec copy of `fd` above stdio, owned by the plan
    /// for its life (so it does not leak into other children), and returns
    /// its number.
    fn keep_copy(&mut self, fd: impl AsFd, what: &str) -> Result<i32, Error> {
        let copy = rustix::io::fcntl_dupfd_cloexec(fd.as_fd(), 3).map_err(|e| {
            Error::os(
                self.program,
                Step::Pipe,
                e.raw_os_error(),
                format!("duplicating {what}"),
            )
        })?;
        Ok(self.own(copy))
    }

    /// Takes `fd` into the plan and returns its number.
    fn own(&mut self, fd: OwnedFd) -> i32 {
        let raw = rustix::fd::AsRawFd::as_raw_fd(&fd);
        self.owned.push(fd);
        raw
    }
}

/// Reads a (proc) file whole, or `None`.
fn read_small_file(path: &core::ffi::CStr) -> Option<Vec<u8>> {
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => return Some(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return None,
        }
    }
}

/// What `/proc/self/fd/N` says `fd` is open on (the path it was opened
/// with, or `pipe:[...]`), or `None` if the link cannot be read whole.
pub(crate) fn fd_path(fd: impl AsFd) -> Option<Vec<u8>> {
    use rustix::fd::AsRawFd;
    read_link(&format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

/// The contents of the symlink at `path` (a /proc link), or `None` if it
/// cannot be read whole into `PATH_MAX` bytes.
fn read_link(path: &str) -> Option<Vec<u8>> {
    let mut buf = [0u8; 4096];
    match rustix::fs::readlinkat_raw(rustix::fs::CWD, path, &mut buf[..]) {
        // A full buffer may be a truncated path.
        Ok(n) if n > 0 && n < buf.len() => Some(buf[..n].to_vec()),
        _ => None,
    }
}
