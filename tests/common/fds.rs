//! Pipes, fd numbers and fd flags, and the errno values the tests compare
//! with.

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};

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

/// The lowest `n` fd numbers (≥ 3) that are free right now, lowest first.
/// The library duplicates every fd given to `fd()` with
/// `F_DUPFD_CLOEXEC` at the lowest free number ≥ 3 when the command is
/// prepared, so this predicts where those copies land (as long as no other
/// thread opens fds in between: callers hold [`super::exclusive`]).
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
