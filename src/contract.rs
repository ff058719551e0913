//! The contract between a spawn's parent side and its child routine: what
//! the parent hands the child, and the failure report the child hands back.
//!
//! The child runs on the parent's memory (`CLONE_VM`) until it execs, so
//! the two sides talk through shared structures rather than messages:
//!
//! - [`ChildCtx`]: fixed by `spawn` before the clone, read-only for the
//!   child (the plan, the environment, this spawn's fd moves and pipes);
//! - [`ChildStart`]: what `launch` learns at the clone itself (the parent's
//!   signal mask, whether the kernel already reset the handlers, the
//!   stack), plus the cells the child writes back;
//! - [`StepFailure`]: the `(step, errno, detail)` report, written by the
//!   child into [`ChildStart::report`] and, when there is one, to the
//!   close-on-exec report pipe as [`REPORT_LEN`] bytes, read by `launch`.

use core::cell::Cell;

use alloc::vec::Vec;

use crate::plan::{FdSource, Plan};
use crate::step::Step;
use crate::sys::Errno;
use crate::sys::exec::Envp;

/// Size of a failure report on the pipe: step (u32), errno (i32), detail
/// (u32), native byte order.
pub(crate) const REPORT_LEN: usize = 12;

/// Exit status of a child that failed before exec (like a shell's
/// "command not found").
pub(crate) const FAILURE_EXIT: i32 = 127;

/// One fd move for this spawn: `dst` becomes a copy of `src`. `src` is
/// rewritten by the child when it moves the source out of the way.
pub(crate) struct FdMove {
    pub dst: i32,
    pub src: Cell<i32>,
}

impl FdMove {
    /// The plan's fd mappings for one spawn, with the child's end of each
    /// stdio pipe (`pipe_ends`, -1 where none) filled in.
    pub(crate) fn for_plan(plan: &Plan, pipe_ends: [i32; 3]) -> Vec<FdMove> {
        plan.fds
            .mappings
            .iter()
            .map(|m| FdMove {
                dst: m.target,
                src: Cell::new(match m.source {
                    FdSource::Owned(fd) => fd,
                    FdSource::Pipe(stream) => pipe_ends.get(stream).copied().unwrap_or(-1),
                }),
            })
            .collect()
    }
}

/// What the parent hands the child for one spawn, fixed before the clone.
pub(crate) struct ChildCtx<'a> {
    pub plan: &'a Plan,
    /// The environment to exec with.
    pub envp: Envp<'a>,
    /// The plan's fd mappings with this spawn's pipe fds filled in.
    pub fd_moves: &'a [FdMove],
    /// Write end of the report pipe (close-on-exec), or -1 when the child
    /// reports through shared memory only.
    pub report_fd: i32,
    /// The sync pipe `(read, write)` the child waits on while the parent
    /// writes its id maps, or `(-1, -1)`.
    pub sync_pipe: (i32, i32),
    /// What `getppid()` returns in the child while the spawner lives (0 in
    /// a new PID namespace, where our pid is invisible).
    pub parent_pid: i32,
    /// The sealed memfd holding the pid-1 init's executable, or -1.
    pub init_image_fd: i32,
}

/// What the child routine receives: the spawn's [`ChildCtx`], what
/// `launch` set at the clone, and the cells the child writes.
pub(crate) struct ChildStart<'a> {
    pub ctx: &'a ChildCtx<'a>,
    /// The parent's signal mask before the clone (restored at exec unless
    /// the plan has its own).
    pub parent_mask: u64,
    /// Whether `clone3(CLONE_CLEAR_SIGHAND)` already reset the handlers.
    pub handlers_cleared: bool,
    /// Non-zero when the child shares the parent's fd table
    /// (`CLONE_FILES`): the lowest fd it does not need, where its own copy
    /// of the table ends.
    pub unshare_fds_from: u32,
    /// Where the pid-1 init starts the program's stack (the lower half).
    pub program_stack_top: usize,
    /// The steps run in the calling process itself (`Command::exec`), not
    /// in a child.
    pub in_place: bool,
    /// Set by the child as soon as it runs: seen by the parent, it proves
    /// that the child's writes reach the parent's memory.
    pub ran: Cell<bool>,
    /// The failure, also written here for a vfork parent that has no
    /// report pipe.
    pub report: Cell<Option<StepFailure>>,
    /// The pid-1 init's release pipe `(read, write)`: made by the init, the
    /// program waits on it for the init's exec.
    pub init_release: Cell<(i32, i32)>,
    /// Whether the caller ignored `SIGCHLD` (the init resets it; the
    /// program gets it back).
    pub sigchld_ignored: Cell<bool>,
    /// Set by the child just before it moves fds onto target numbers:
    /// after a failure in place (`Command::exec`), the plan's own fds may
    /// then sit on a target and must not be closed.
    pub fds_moved: Cell<bool>,
}

impl<'a> ChildStart<'a> {
    /// The start of a child for `ctx`, before `launch` fills in what the
    /// clone decides.
    pub(crate) fn new(ctx: &'a ChildCtx<'a>) -> Self {
        ChildStart {
            ctx,
            parent_mask: 0,
            handlers_cleared: false,
            unshare_fds_from: 0,
            program_stack_top: 0,
            in_place: false,
            ran: Cell::new(false),
            report: Cell::new(None),
            init_release: Cell::new((-1, -1)),
            sigchld_ignored: Cell::new(false),
            fds_moved: Cell::new(false),
        }
    }
}

/// A failed step of the child: which, the error, and a step-specific
/// detail (the uid, the fd target, the mount's index...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StepFailure {
    pub step: Step,
    pub errno: Errno,
    pub detail: u32,
}

impl StepFailure {
    /// The report as written to the pipe.
    #[inline]
    pub(crate) fn to_bytes(self) -> [u8; REPORT_LEN] {
        let [s0, s1, s2, s3] = (self.step as u32).to_ne_bytes();
        let [e0, e1, e2, e3] = self.errno.to_ne_bytes();
        let [d0, d1, d2, d3] = self.detail.to_ne_bytes();
        [s0, s1, s2, s3, e0, e1, e2, e3, d0, d1, d2, d3]
    }

    /// A report read from the pipe (an unknown step becomes
    /// [`Step::Report`]).
    pub(crate) fn from_bytes(bytes: [u8; REPORT_LEN]) -> Self {
        let [s0, s1, s2, s3, e0, e1, e2, e3, d0, d1, d2, d3] = bytes;
        StepFailure {
            step: Step::from_raw(u32::from_ne_bytes([s0, s1, s2, s3])).unwrap_or(Step::Report),
            errno: i32::from_ne_bytes([e0, e1, e2, e3]),
            detail: u32::from_ne_bytes([d0, d1, d2, d3]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_bytes_round_trip() {
        let failure = StepFailure {
            step: Step::SetUid,
            errno: 1,
            detail: 65534,
        };
        assert_eq!(StepFailure::from_bytes(failure.to_bytes()), failure);
        let unknown = [0xff; REPORT_LEN];
        assert_eq!(StepFailure::from_bytes(unknown).step, Step::Report);
    }
}
