//! clonexec's bubblewrap front end, held to bubblewrap's own test suite:
//! a port of the cases of bubblewrap's `tests/test-run.sh` (each test names
//! the case it mirrors, by the description upstream prints after `ok`),
//! run against the real binary as `clonexec bwrap ...` or as a copy named
//! `bwrap`.
//!
//! `basics` holds the command line (help, `--`, `--args`, environment,
//! messages), `filesystem` the sandbox root (binds, /proc, /dev, tmpfs,
//! directories, files, symlinks, permissions), `process` the process
//! (pid 1, `--info-fd`/`--json-status-fd`, capabilities, nested sandboxes,
//! `--die-with-parent`, user namespaces), as root and as an unprivileged
//! user.
//!
//! Needs `--features cli` (the binary only exists with it), root (or the
//! tests say why they skip), and the real kernel.

#![cfg(feature = "cli")]

#[path = "../common/mod.rs"]
mod common;

mod basics;
mod filesystem;
mod process;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_clonexec");

/// The `PATH` every run gets.
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// `clonexec bwrap ARGS...`, with stdin from /dev/null.
pub fn bwrap(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("bwrap")
        .args(args)
        .env("PATH", PATH)
        .stdin(Stdio::null());
    cmd
}

/// Upstream's `$RUN`: the whole host bound in, with a tmpfs on /tmp.
pub fn run(args: &[&str]) -> Command {
    let mut all = vec!["--bind", "/", "/", "--tmpfs", "/tmp"];
    all.extend_from_slice(args);
    bwrap(&all)
}

/// What a run printed, and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Panics (with everything the run said) unless it exited 0.
    #[track_caller]
    pub fn ok(self) -> Ran {
        assert_eq!(self.code, Some(0), "{self:#?}");
        self
    }

    /// Panics (with everything the run said) if it exited 0.
    #[track_caller]
    pub fn failed(self) -> Ran {
        assert_ne!(self.code, Some(0), "{self:#?}");
        self
    }
}

/// Runs `cmd` to completion.
pub fn ran(cmd: &mut Command) -> Ran {
    let out: Output = cmd.output().expect("running clonexec");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Upstream's test directory (a `mktemp -d /var/tmp/tap-test.XXXXXX`):
/// under /var/tmp, which `$RUN`'s tmpfs on /tmp does not hide.
pub fn work_dir(tag: &str) -> TempDir {
    TempDir::new_in(Path::new("/var/tmp"), &format!("bwrap-{tag}"))
}

/// A copy of the binary named `bwrap`, in a fresh 0755 directory (so any
/// user can run it, and a nested run through `/proc/self/exe` sees the
/// name too); removed with the directory.
pub struct Installed {
    _dir: TempDir,
    pub path: PathBuf,
}

impl Installed {
    #[allow(clippy::new_without_default)] // Making one copies a file.
    pub fn new() -> Installed {
        let dir = TempDir::new("bwrap-copy");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().join("bwrap");
        common::copy_executable(Path::new(BIN), &path);
        Installed { _dir: dir, path }
    }

    /// `bwrap ARGS...` run from the copy.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.args(args).env("PATH", PATH).stdin(Stdio::null());
        cmd
    }
}

/// The path as text (the tests' paths are UTF-8).
pub fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The permission bits of `path`, as `stat -c %a` prints them.
pub fn mode_of(path: impl AsRef<OsStr>) -> String {
    let meta = std::fs::metadata(Path::new(path.as_ref())).expect("stat");
    format!("{:o}", meta.permissions().mode() & 0o7777)
}

/// Skips `test` unless it can run sandboxes here (root, the real kernel);
/// returns whether it skipped.
#[track_caller]
pub fn skip(test: &str) -> bool {
    common::skip_unless_namespaces(test)
}

/// `clonexec bwrap ARGS...` as a library command, for giving it fds at
/// chosen numbers (`--args 3`, `--bind-fd 100`...).
pub fn bwrap_with_fds(args: &[&str], fds: Vec<(i32, std::os::fd::OwnedFd)>) -> clonexec::Command {
    let mut cmd = clonexec::Command::new(BIN);
    cmd.arg("bwrap")
        .args(args.iter().copied())
        .env("PATH", PATH);
    for (number, fd) in fds {
        cmd.fd(number, fd);
    }
    cmd
}

/// Runs a library command to completion.
pub fn ran_lib(cmd: &mut clonexec::Command) -> Ran {
    let out = cmd.output().expect("running clonexec");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
