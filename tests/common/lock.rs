//! Serializing tests that share a process.
//!
//! libtest runs the tests of one binary on several threads of one process.
//! What a process has once — its fd table, its children, its signal
//! dispositions, its supplementary groups, its dumpable flag — is shared
//! by all of them.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Takes a lock, ignoring poisoning (a failed test must not make the
/// others fail).
pub fn lock(mutex: &'static Mutex<()>) -> MutexGuard<'static, ()> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The test binary's process, for [`shared`] and [`exclusive`].
static PROCESS: RwLock<()> = RwLock::new(());

/// For a test that needs this process to itself while it runs: it counts
/// fds or zombies, predicts the fd numbers the next `open` gets, changes a
/// signal disposition or the supplementary groups, or reads a flag that
/// another test's spawn flips for a moment.
///
/// In a binary with such a test, every other test holds [`shared`] while
/// it runs (take it first thing, and never twice in one thread: a waiting
/// writer blocks new readers).
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS.write().unwrap_or_else(|p| p.into_inner())
}

/// For every test of a binary that has an [`exclusive`] one: the tests
/// holding this run side by side, never while an exclusive one runs.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS.read().unwrap_or_else(|p| p.into_inner())
}
