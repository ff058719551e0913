//! Shared helpers for the process-attribute tests (privileges, limits, tty,
//! signals): reading `/proc` views, re-running the test binary as a helper,
//! pseudo-terminals.
//!
//! Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use clonexec::{Command, Output};

/// Runs `cmd` with `output()` and panics with everything the child said
/// unless it exited with status 0. Returns stdout as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn failed: {e} (step {:?})", e.step()));
    assert_success(&out);
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Panics with the child's output unless it exited with status 0.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "child failed: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of a `Name:\tvalue` line of a `/proc/PID/status` text.
pub fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == name).then(|| value.trim())
    })
}

/// A hexadecimal `/proc/PID/status` field (`CapPrm`, `SigBlk`, ...).
pub fn status_hex(status: &str, name: &str) -> u64 {
    let text =
        status_field(status, name).unwrap_or_else(|| panic!("no {name} line in status:\n{status}"));
    u64::from_str_radix(text, 16).unwrap_or_else(|e| panic!("{name}: {text:?}: {e}"))
}

/// A decimal `/proc/PID/status` field (`NoNewPrivs`, `Seccomp`, ...).
pub fn status_dec(status: &str, name: &str) -> i64 {
    let text =
        status_field(status, name).unwrap_or_else(|| panic!("no {name} line in status:\n{status}"));
    text.parse()
        .unwrap_or_else(|e| panic!("{name}: {text:?}: {e}"))
}

/// This process's `/proc/self/status`.
pub fn own_status() -> String {
    std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status")
}

/// This thread's `/proc/thread-self/status` (the signal mask is per thread).
pub fn own_thread_status() -> String {
    std::fs::read_to_string("/proc/thread-self/status").expect("read /proc/thread-self/status")
}

/// The interesting fields of a `/proc/PID/stat` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: i64,
    pub tpgid: i32,
}

/// Parses a `/proc/PID/stat` line (the command name may contain spaces and
/// parentheses: the fields start after the last `)`).
pub fn parse_stat(line: &str) -> Stat {
    let line = line.trim();
    let (head, rest) = line
        .rsplit_once(')')
        .unwrap_or_else(|| panic!("not a stat line: {line:?}"));
    let pid = head
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line:?}"));
    // state ppid pgrp session tty_nr tpgid ...
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| -> i64 {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .unwrap_or_else(|| panic!("field {i} of {line:?}"))
    };
    Stat {
        pid,
        ppid: num(1) as i32,
        pgrp: num(2) as i32,
        session: num(3) as i32,
        tty_nr: num(4),
        tpgid: num(5) as i32,
    }
}

/// The test binary re-run as a helper: `current_exe --exact <test>
/// --nocapture --ignored`, with `env_key=mode`. The helper test is
/// `#[ignore]`d and does nothing unless the variable is set.
pub fn helper_command(test: &str, env_key: &str, mode: &str) -> Command {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args([
        test,
        "--exact",
        "--nocapture",
        "--ignored",
        "--test-threads=1",
    ])
    .env(env_key, mode)
    .env("RUST_BACKTRACE", "1");
    cmd
}

/// A copy of the test binary in a fresh world-readable temp dir, for
/// helpers that run as another user (the checkout or target dir may sit
/// under a 0700 home directory). Removed when dropped.
pub struct HelperCopy {
    dir: PathBuf,
    pub exe: PathBuf,
}

impl HelperCopy {
    pub fn new() -> HelperCopy {
        use std::os::unix::fs::PermissionsExt;
        let dir = unique_temp_path("helper");
        std::fs::create_dir(&dir).expect("create helper dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let exe = dir.join("helper");
        // Not fs::copy: see copy_executable (ETXTBSY).
        crate::common::copy_executable(&std::env::current_exe().unwrap(), &exe);
        HelperCopy { dir, exe }
    }

    /// Like [`helper_command`], running the copy (from `/`, so that the
    /// working directory is reachable by any user).
    pub fn command(&self, test: &str, env_key: &str, mode: &str) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            test,
            "--exact",
            "--nocapture",
            "--ignored",
            "--test-threads=1",
        ])
        .env(env_key, mode)
        .env("RUST_BACKTRACE", "1")
        .current_dir("/");
        cmd
    }
}

impl Drop for HelperCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Prints `@@key=value@@` for the parent test to find in the helper's
/// output (libtest adds its own lines around it).
pub fn report(key: &str, value: impl std::fmt::Display) {
    println!("\n@@{key}={value}@@");
}

/// The value a helper printed with [`report`], if any.
pub fn reported(output: &str, key: &str) -> Option<String> {
    let marker = format!("@@{key}=");
    output.lines().find_map(|line| {
        let start = line.find(&marker)? + marker.len();
        let rest = &line[start..];
        Some(rest[..rest.find("@@")?].to_string())
    })
}

/// Like [`reported`], panicking with the whole output when absent.
pub fn must_report(output: &str, key: &str) -> String {
    reported(output, key).unwrap_or_else(|| panic!("helper did not report {key}:\n{output}"))
}

/// A path under the temp dir that no other test (or run) uses.
pub fn unique_temp_path(tag: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("clonexec-{tag}-{}-{n}", std::process::id()))
}

/// A pseudo-terminal pair, both ends close-on-exec and opened with
/// `O_NOCTTY` (the test process never acquires it).
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

impl Pty {
    pub fn open() -> Pty {
        // SAFETY: plain libc calls on fds we own; ptsname_r writes at most
        // buf.len() bytes into buf.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(
                master >= 0,
                "posix_openpt: {}",
                std::io::Error::last_os_error()
            );
            let master = OwnedFd::from_raw_fd(master);
            assert_eq!(libc::grantpt(master.as_raw_fd()), 0, "grantpt");
            assert_eq!(libc::unlockpt(master.as_raw_fd()), 0, "unlockpt");
            let mut buf = [0 as libc::c_char; 128];
            assert_eq!(
                libc::ptsname_r(master.as_raw_fd(), buf.as_mut_ptr(), buf.len()),
                0,
                "ptsname_r"
            );
            let slave = libc::open(
                buf.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            );
            assert!(
                slave >= 0,
                "open {:?}: {}",
                CStr::from_ptr(buf.as_ptr()),
                std::io::Error::last_os_error()
            );
            Pty {
                master,
                slave: OwnedFd::from_raw_fd(slave),
            }
        }
    }

    /// A new fd for the slave side.
    pub fn slave(&self) -> OwnedFd {
        self.slave.try_clone().expect("dup slave")
    }

    /// The slave's device number as `/proc/PID/stat` shows it in `tty_nr`
    /// (the kernel's `new_encode_dev`).
    pub fn tty_nr(&self) -> i64 {
        tty_nr_of(&self.slave)
    }
}

/// `tty_nr` encoding of the terminal open at `fd`.
pub fn tty_nr_of(fd: &OwnedFd) -> i64 {
    // SAFETY: fstat into a zeroed struct we own.
    let rdev = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        assert_eq!(libc::fstat(fd.as_raw_fd(), &mut st), 0, "fstat");
        st.st_rdev
    };
    let major = i64::from(libc::major(rdev));
    let minor = i64::from(libc::minor(rdev));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}
