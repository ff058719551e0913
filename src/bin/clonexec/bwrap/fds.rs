//! The fds named on a bubblewrap command line (`--args 3`, `--file 4
//! /etc/x`, `--info-fd 5`...): taken for good, as bubblewrap takes them
//! (it closes each once used, so the program does not inherit it).

use std::collections::HashSet;
use std::io::Read;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};

/// Where the fds a command line names come from: this process's own
/// ([`InheritedFds`]), or stand-ins (the fuzz target's), so that parsing
/// never touches an fd it was not given.
pub trait Fds {
    /// Takes fd `n` (a non-negative number from the command line), which
    /// is then closed on exec: the program does not inherit it.
    fn take(&mut self, n: i32) -> Result<OwnedFd, String>;
}

/// The fds clonexec was started with.
#[derive(Default)]
pub struct InheritedFds {
    taken: HashSet<i32>,
}

impl Fds for InheritedFds {
    fn take(&mut self, n: i32) -> Result<OwnedFd, String> {
        if !self.taken.insert(n) {
            return Err(format!("fd {n} is used twice"));
        }
        // SAFETY: a borrow only for the check below, in a single-threaded
        // process that closes no fd meanwhile. fcntl(F_GETFD) on a number
        // that is not open fails with EBADF and touches nothing.
        let borrowed = unsafe { BorrowedFd::borrow_raw(n) };
        if rustix::io::fcntl_getfd(borrowed).is_err() {
            return Err(format!("Invalid fd: {n} is not open"));
        }
        rustix::io::fcntl_setfd(borrowed, rustix::io::FdFlags::CLOEXEC)
            .map_err(|e| format!("fd {n}: {}", std::io::Error::from(e)))?;
        // SAFETY: the command line gives fd `n` to clonexec (bubblewrap's
        // convention: it closes these fds once used), it is open (checked
        // above), and `taken` makes sure it is owned once.
        Ok(unsafe { OwnedFd::from_raw_fd(n) })
    }
}

/// Everything that can be read from `fd`, which is then closed.
pub fn read_all(fd: OwnedFd, what: &str) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    std::fs::File::from(fd)
        .read_to_end(&mut data)
        .map_err(|e| format!("Can't read {what}: {e}"))?;
    Ok(data)
}
