//! The parent's dumpable flag across spawns that change credentials.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Keeps the parent's dumpable flag across credential-changing spawns.
///
/// A credential change in a `CLONE_VM` child marks the *shared* mm
/// non-dumpable (docs/design.md trap 3), which would make the parent
/// non-dumpable for good. The flag is saved when the first such spawn
/// starts and restored only when the last one in flight ends: restoring it
/// while another child sits between its uid change and its exec would let
/// the new uid ptrace a process that shares our memory.
pub(crate) struct DumpableGuard;

/// Spin lock over `IN_FLIGHT`/`SAVED` (held for one or two prctl calls).
static LOCK: AtomicBool = AtomicBool::new(false);
static IN_FLIGHT: AtomicU32 = AtomicU32::new(0);
static SAVED: AtomicU32 = AtomicU32::new(0);

fn with_lock<R>(f: impl FnOnce() -> R) -> R {
    let mut spins = 0u32;
    while LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) {
            rustix::thread::sched_yield();
        } else {
            core::hint::spin_loop();
        }
    }
    let result = f();
    LOCK.store(false, Ordering::Release);
    result
}

fn dumpable() -> Option<u32> {
    rustix::process::dumpable_behavior().ok().map(|d| d as u32)
}

impl DumpableGuard {
    /// Marks a credential-changing spawn as in flight.
    pub(crate) fn enter() -> Self {
        with_lock(|| {
            if IN_FLIGHT.load(Ordering::Relaxed) == 0 {
                SAVED.store(dumpable().unwrap_or(1), Ordering::Relaxed);
            }
            IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        });
        DumpableGuard
    }
}

impl Drop for DumpableGuard {
    fn drop(&mut self) {
        with_lock(|| {
            if IN_FLIGHT.fetch_sub(1, Ordering::Relaxed) == 1 {
                let saved = SAVED.load(Ordering::Relaxed);
                if dumpable() != Some(saved) {
                    use rustix::process::DumpableBehavior as D;
                    let behavior = match saved {
                        0 => D::NotDumpable,
                        2 => D::DumpableReadableOnlyByRoot,
                        _ => D::Dumpable,
                    };
                    let _ = rustix::process::set_dumpable_behavior(behavior);
                }
            }
        });
    }
}
