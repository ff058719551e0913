//! Helpers shared by the integration tests (each test file includes this
//! module with `mod common;`, and not every file uses every helper).
#![allow(dead_code)]

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Whether the test process runs as root (euid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether the tests run under qemu-user: `.ci/cross.sh` sets
/// `CLONEXEC_UNDER_QEMU=1` for its emulated targets.
pub fn under_qemu() -> bool {
    std::env::var_os("CLONEXEC_UNDER_QEMU").is_some_and(|v| v == "1")
}

/// Whether a skip must fail the test instead: in CI (`CI=true`), as root,
/// on a native target (not under qemu-user). That is where CI claims the
/// whole suite ran, so a test that returns early there would pass without
/// proving anything.
pub fn skips_must_fail() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true") && is_root() && !under_qemu()
}

/// The one way a test skips (all of itself or a part): `test` cannot run
/// here because of `why`.
///
/// Prints `skipping TEST: WHY` to stderr (what `.ci/cross.sh` counts, for
/// the lines ending in `(qemu-user)`), and the caller then returns or
/// leaves the part out. Where [`skips_must_fail`], panics instead, naming
/// the test and why it wanted to skip: CI as root on a native target must
/// run every test, so a missing tool or privilege there is a CI bug to fix
/// (install the tool in `.ci/run`), not a pass.
#[track_caller]
pub fn skip(test: &str, why: impl std::fmt::Display) {
    if skips_must_fail() {
        panic!(
            "{test} would skip here ({why}), but with CI=true, as root and not under qemu-user \
             every test must run: give it what it needs (.ci/run installs tools) or fix it"
        );
    }
    eprintln!("skipping {test}: {why}");
}

/// Skips `test` (see [`skip`]) unless the process runs as root; returns
/// whether it skipped, for `if skip_unless_root(NAME) { return; }`.
#[track_caller]
pub fn skip_unless_root(test: &str) -> bool {
    if is_root() {
        false
    } else {
        skip(test, "needs root (euid 0)");
        true
    }
}

/// Skips `test` (see [`skip`]) when it runs under qemu-user and needs real
/// kernel behaviour that qemu-user cannot give: `why` names what is
/// missing. Returns whether it skipped; never skips outside qemu-user. The
/// line ends in `(qemu-user)`, which `.ci/cross.sh` counts.
#[track_caller]
pub fn skip_under_qemu(test: &str, why: &str) -> bool {
    if under_qemu() {
        skip(test, format_args!("{why} (qemu-user)"));
        true
    } else {
        false
    }
}

/// Takes a file-wide lock, ignoring poisoning (a failed test must not make
/// the others fail).
pub fn lock(mutex: &'static Mutex<()>) -> MutexGuard<'static, ()> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A unique temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "clonexec-test-{tag}-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        fs::create_dir(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file with the given mode and returns its path. A mode with
    /// an execute bit makes an executable: written as [`write_executable`]
    /// does, never through a write fd of this process.
    pub fn write_file(&self, name: &str, contents: &str, mode: u32) -> PathBuf {
        let path = self.0.join(name);
        if mode & 0o111 != 0 {
            write_through_subprocess(&path, contents.as_bytes(), mode);
        } else {
            fs::write(&path, contents).expect("write temp file");
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod temp file");
        }
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Copies the executable `src` to `dst` (mode 0755) without this process
/// ever holding a write fd on `dst`: `cp` and `chmod` run as a subprocess.
///
/// Why not `fs::copy`: while the test process holds a write fd on the new
/// file, other threads of the same test binary spawn children, and each
/// child holds a copy of every fd of ours (close-on-exec ones included)
/// until it execs. An exec of the new file meanwhile fails with `ETXTBSY`
/// ("text file busy"), so a test that copies a program and runs it fails
/// now and then (about 1 run in 40 for one such test). A subprocess's fds
/// are its own: once it has exited, nobody holds the file open for writing.
/// Every executable the tests make goes through this or
/// [`write_executable`]; files that are never executed may use `fs::write`.
pub fn copy_executable(src: &Path, dst: &Path) {
    let status = std::process::Command::new("sh")
        .args(["-c", r#"cp -- "$1" "$2" && chmod 755 -- "$2""#, "sh"])
        .arg(src)
        .arg(dst)
        .stdin(std::process::Stdio::null())
        .status()
        .expect("running sh to copy an executable");
    assert!(
        status.success(),
        "copying {} to {} failed: {status}",
        src.display(),
        dst.display()
    );
}

/// Writes `bytes` as the executable `path` (mode 0755) without this
/// process ever holding a write fd on it: the bytes go down a pipe to a
/// subprocess that writes the file. See [`copy_executable`] for why.
pub fn write_executable(path: &Path, bytes: &[u8]) {
    write_through_subprocess(path, bytes, 0o755);
}

/// `sh -c 'cat > "$1" && chmod MODE "$1"'` with `bytes` on its stdin.
fn write_through_subprocess(path: &Path, bytes: &[u8], mode: u32) {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .args(["-c", r#"cat > "$1" && chmod "$2" -- "$1""#, "sh"])
        .arg(path)
        .arg(format!("{mode:o}"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("running sh to write an executable");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(bytes).expect("writing to sh");
    // EOF for cat (our copy of the pipe's write end closes here).
    drop(stdin);
    let status = child.wait().expect("waiting for sh");
    assert!(
        status.success(),
        "writing {} (mode {mode:o}) failed: {status}",
        path.display()
    );
}

/// The value of a `Key:\tvalue` line of a `/proc/PID/status` text.
pub fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

/// A hex capability mask field (`CapEff:` etc.) of a status text.
pub fn cap_field(status: &str, key: &str) -> u64 {
    let text = status_field(status, key).unwrap_or_else(|| panic!("no {key} in {status}"));
    u64::from_str_radix(text, 16).unwrap_or_else(|e| panic!("bad {key} {text:?}: {e}"))
}

/// The fields after the command name of a `/proc/PID/stat` text (so index 0
/// is the state, 1 the ppid, 2 the process group, 3 the session).
pub fn stat_fields(stat: &str) -> Vec<String> {
    let after = &stat[stat.rfind(')').expect("no ')' in stat") + 1..];
    after.split_whitespace().map(String::from).collect()
}

/// The numbers of the fds open in this process (including the one used to
/// read the directory, which is always present, so counts compare fairly).
pub fn open_fd_count() -> usize {
    fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// Asserts that no zombie child beyond `before` stays: other tests of the
/// same binary spawn concurrently, and their children are zombies for a
/// moment before they are waited for, so this waits up to 5 s for zombies
/// that are not ours to go.
pub fn assert_no_new_zombies(before: &[i32]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let new: Vec<i32> = zombie_children()
            .into_iter()
            .filter(|pid| !before.contains(pid))
            .collect();
        if new.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "zombies left behind: {new:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The pids of this process's children that are zombies.
pub fn zombie_children() -> Vec<i32> {
    let me = std::process::id() as i32;
    let mut zombies = Vec::new();
    for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let fields = stat_fields(&stat);
        if fields.first().map(String::as_str) == Some("Z")
            && fields.get(1).and_then(|p| p.parse::<i32>().ok()) == Some(me)
        {
            zombies.push(pid);
        }
    }
    zombies
}

/// The lowest `n` fd numbers (≥ 3) that are free right now, lowest first.
/// The library duplicates every fd given to `fd()` with
/// `F_DUPFD_CLOEXEC` at the lowest free number ≥ 3 when the command is
/// prepared, so this predicts where those copies land (as long as no other
/// thread opens fds in between: callers hold their file's lock).
pub fn lowest_free_fds(n: usize) -> Vec<i32> {
    let probe = fs::File::open("/dev/null").expect("open /dev/null");
    let held: Vec<OwnedFd> = (0..n)
        .map(|_| {
            // SAFETY: F_DUPFD_CLOEXEC on a valid fd returns a new fd we own.
            let fd = unsafe { libc::fcntl(probe.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
            assert!(fd >= 0, "F_DUPFD_CLOEXEC failed");
            // SAFETY: fd is a fresh fd owned by nobody else.
            unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }
        })
        .collect();
    let mut numbers: Vec<i32> = held.iter().map(AsRawFd::as_raw_fd).collect();
    let probe_fd = probe.as_raw_fd();
    drop(held);
    drop(probe);
    // The probe itself took the lowest free number: it is free again now.
    if probe_fd >= 3 {
        numbers.push(probe_fd);
    }
    numbers.sort_unstable();
    numbers.truncate(n);
    numbers
}

/// `readlink /proc/self/fd/N` in this process.
pub fn fd_link(fd: i32) -> Option<String> {
    fs::read_link(format!("/proc/self/fd/{fd}"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// `fstat(fd).st_ino`, to identify a pipe.
pub fn inode_of(fd: &impl AsRawFd) -> u64 {
    // SAFETY: an all-zero stat is a valid out-buffer; fstat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the fd is open (borrowed) and `st` is a valid buffer.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), &mut st) };
    assert_eq!(rc, 0, "fstat failed");
    st.st_ino
}

/// Whether `fd` has `FD_CLOEXEC` set in this process.
pub fn is_cloexec(fd: i32) -> bool {
    // SAFETY: F_GETFD takes no pointer.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0, "fd {fd} is not open");
    flags & libc::FD_CLOEXEC != 0
}

/// The errno constants the tests compare with.
pub const ENOENT: i32 = libc::ENOENT;
pub const EACCES: i32 = libc::EACCES;

/// A pipe as (read end, write end), both close-on-exec (`std::io::pipe`
/// needs Rust 1.87; the crate's MSRV is 1.85).
pub fn pipe() -> (fs::File, fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both fds are fresh and owned by nobody else.
    unsafe {
        (
            std::os::fd::FromRawFd::from_raw_fd(fds[0]),
            std::os::fd::FromRawFd::from_raw_fd(fds[1]),
        )
    }
}
