//! `pre_exec` hooks: user code run in the child just before exec, as
//! `std::os::unix::process::CommandExt::pre_exec` runs it.
//!
//! A hook is arbitrary code: it writes to memory and, in a
//! single-threaded caller, may allocate, take locks or panic (in a
//! multi-threaded one it must not: see `Command::pre_exec`). It can only
//! run in a child with memory of its own (a fork: spawns with hooks
//! clone without `CLONE_VM`, and so pay for copying the page tables), or in
//! the calling process itself ([`Command::exec`](crate::Command::exec)).
//! The child reaches the hooks through a function pointer, so the child
//! routine itself keeps its no-panic, no-allocation guarantee on every
//! other path.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;

use crate::sys::Errno;

/// One user hook.
pub(crate) struct Hook(UnsafeCell<Box<dyn FnMut() -> std::io::Result<()> + Send + Sync>>);

// SAFETY: the closure is `Send + Sync` itself; the `UnsafeCell` is only
// ever reached mutably in a forked child (its own copy of memory, one
// thread) or by `Command::exec` on a `Command` it borrows mutably, never
// concurrently with another call in the same address space (see `run`).
unsafe impl Sync for Hook {}

impl Hook {
    pub(crate) fn new(f: Box<dyn FnMut() -> std::io::Result<()> + Send + Sync>) -> Arc<Hook> {
        Arc::new(Hook(UnsafeCell::new(f)))
    }
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hook(..)")
    }
}

/// How the hooks went: `errno` 0 when all succeeded, else the index of the
/// one that failed and its errno.
#[repr(C)]
pub(crate) struct HookOutcome {
    pub index: u32,
    pub errno: Errno,
}

/// The hooks of a plan, in the order they were added, and the function
/// that runs them.
#[derive(Debug)]
pub(crate) struct PreExec {
    pub hooks: Vec<Arc<Hook>>,
    /// Always [`run`]: a pointer, so that the child routine calls the hooks
    /// indirectly (see the module docs), and `extern "C"`, so that the call
    /// cannot unwind into the child routine (a panic is caught inside).
    pub run: extern "C" fn(&PreExec) -> HookOutcome,
}

impl PreExec {
    pub(crate) fn new(hooks: Vec<Arc<Hook>>) -> Self {
        PreExec { hooks, run }
    }
}

/// Runs every hook in order; the first failure gives its index and errno
/// (`EINVAL` for an error without one, `ECANCELED` for a panic).
///
/// Only call this where no other call of the same hooks can run in the same
/// address space: in a forked child, or from `Command::exec`.
extern "C" fn run(pre_exec: &PreExec) -> HookOutcome {
    for (index, hook) in pre_exec.hooks.iter().enumerate() {
        // SAFETY: per this function's contract, nothing else reaches the
        // closure while we call it.
        let f = unsafe { &mut *hook.0.get() };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let errno = match result {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e
                .raw_os_error()
                .unwrap_or(linux_raw_sys::errno::EINVAL as i32),
            Err(_) => linux_raw_sys::errno::ECANCELED as i32,
        };
        return HookOutcome {
            index: index as u32,
            errno,
        };
    }
    HookOutcome { index: 0, errno: 0 }
}
