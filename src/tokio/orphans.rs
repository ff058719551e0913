//! Reaping children whose [`Child`](super::Child) was dropped before they
//! were reaped, without a `SIGCHLD` handler.
//!
//! A dropped child gets a task on the runtime it was spawned on, which
//! waits for its pidfd to become readable and reaps it. Where that task
//! cannot run (the runtime has shut down, or shuts down first), the pidfd
//! goes to a process-wide list, which the next spawn through
//! `clonexec::tokio` polls with `WNOHANG`: a child that has exited by then
//! is reaped; one still running stays on the list for the spawn after.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::vec::Vec;

use ::tokio::io::unix::AsyncFd;
use ::tokio::runtime::Handle;
use rustix::fd::{AsFd, OwnedFd};

use super::pidfd::try_reap;

/// Reaps the child behind `pidfd` once it exits, in a task on `runtime`.
pub(super) fn reap_in_background(runtime: &Handle, pidfd: AsyncFd<OwnedFd>) {
    // A child that has exited already (or was reaped by someone else)
    // needs no task.
    if !matches!(try_reap(pidfd.get_ref().as_fd()), Ok(None)) {
        return;
    }
    let orphan = Orphan(Some(pidfd));
    // On a runtime that has shut down, the task is dropped at once, and
    // with it the orphan, which then goes to the list.
    drop(runtime.spawn(orphan.reap()));
}

/// A child's pidfd, owned until the child is reaped; dropped before that,
/// it goes to [`ORPHANS`].
struct Orphan(Option<AsyncFd<OwnedFd>>);

impl Orphan {
    async fn reap(mut self) {
        if let Some(pidfd) = &self.0 {
            loop {
                // An error means the reactor is going away: leave the pidfd
                // to the list.
                let Ok(mut guard) = pidfd.readable().await else {
                    return;
                };
                match try_reap(guard.get_inner().as_fd()) {
                    Ok(None) => guard.clear_ready(),
                    // Reaped; or ECHILD, someone else reaped it.
                    _ => break,
                }
            }
        }
        self.0 = None;
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(pidfd) = self.0.take() {
            let mut list = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
            list.push(pidfd.into_inner());
            HAS_ORPHANS.store(true, Ordering::Relaxed);
        }
    }
}

/// pidfds of children nobody waits for and no task can reap.
static ORPHANS: Mutex<Vec<OwnedFd>> = Mutex::new(Vec::new());
/// Whether [`ORPHANS`] may hold something, so that a spawn without orphans
/// does not take the lock.
static HAS_ORPHANS: AtomicBool = AtomicBool::new(false);

/// Reaps the orphans that have exited (see the module's docs).
pub(super) fn reap_exited() {
    if !HAS_ORPHANS.load(Ordering::Relaxed) {
        return;
    }
    let mut list = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|pidfd| matches!(try_reap(pidfd.as_fd()), Ok(None)));
    HAS_ORPHANS.store(!list.is_empty(), Ordering::Relaxed);
}
