//! Starting the child: the signal mask around the clone, `clone3` (or
//! `clone` where it is missing or filtered) with its fallbacks, the pidfd,
//! and the report read to end-of-file.
//!
//! Everything whose soundness depends on the child's lifetime is in
//! [`launch`]: the child runs on a stack taken here and reads a
//! [`ChildStart`] that lives in this frame, and `launch` does not return
//! (so neither is freed) before the child is known to be done with our
//! memory: when `clone` returns for a vfork child, or when the report pipe
//! reached end-of-file. EOF means every copy of the write end is closed; the
//! child's copy closes either at `execve` (close-on-exec runs after the
//! kernel switched the child to its new address space) or at `exit_group`
//! (the fd table is released after the address space). Either way the
//! child no longer touches our memory.

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use linux_raw_sys::errno;
use linux_raw_sys::general as g;
use rustix::fd::{FromRawFd, OwnedFd};

use crate::child::child_entry;
use crate::contract::{ChildCtx, ChildStart, REPORT_LEN, StepFailure};
use crate::stack::Stack;
use crate::sys::{self, Errno};

/// How to clone.
pub(crate) struct CloneOptions {
    /// `CLONE_VFORK`: suspend the parent until the child execs or exits.
    /// Only false when the parent must act while the child waits (user
    /// namespace id maps, docs/design.md trap 5).
    pub vfork: bool,
    /// `CLONE_VM`: the child runs on our memory. Off only when user code
    /// runs in the child (`pre_exec`): the child is then a fork, with a copy.
    pub share_memory: bool,
    /// `CLONE_PIDFD`.
    pub pidfd: bool,
    /// `CLONE_NEW*` flags.
    pub namespaces: u64,
    /// cgroup v2 directory for `CLONE_INTO_CGROUP` (clone3 only).
    pub cgroup: Option<i32>,
    /// The child starts a process of its own on the lower half of the stack,
    /// which goes on using our memory after the child itself has exec'd
    /// (the pid-1 init and its program): only the report pipe's end-of-file
    /// tells when both are done with it.
    pub starts_grandchild: bool,
    /// `CLONE_FILES` until the child unshares the table, first thing,
    /// copying only the fds below this number (every fd it uses is below
    /// it). Only with `vfork` (nothing of ours may touch the table
    /// meanwhile) and when [`can_share_fds`] says so. Dropped where `clone`
    /// refuses it (qemu-user): the child then copies the whole table.
    pub share_fds_below: Option<u32>,
}

/// What the child reported.
pub(crate) enum Report {
    /// `execve` succeeded (end-of-file without data, or nothing written
    /// into shared memory).
    Exec,
    /// A step failed.
    Failed(StepFailure),
    /// The pipe closed after `n` bytes, fewer than a report (should not
    /// happen; the child writes the report in one `write`).
    Truncated(usize),
}

/// A started child and its report.
pub(crate) struct Launched {
    pub pid: i32,
    pub pidfd: Option<OwnedFd>,
    pub report: Report,
}

/// Which parent-side operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaunchFailure<E> {
    Stack(Errno),
    /// No child exists (any child that was started has been reaped):
    /// `syscall`, named as error messages show it (`"clone3()"`,
    /// `"clone()"`, ...), failed with `errno`.
    Clone {
        syscall: &'static str,
        errno: Errno,
    },
    /// Reading the report failed; the child's state is unknown, its stack
    /// was deliberately leaked.
    Report {
        pid: i32,
        errno: Errno,
    },
    /// The caller's `after_clone` work failed; the child was killed and
    /// has left our memory, but is not reaped yet.
    Parent {
        pid: i32,
        error: E,
    },
}

/// 0: not tried yet, 1: clone3 works, 2: clone3 is missing (ENOSYS).
static CLONE3: AtomicU8 = AtomicU8::new(0);

/// `CLONE_PIDFD` with the legacy `clone`: 0: not tried yet, 1: works,
/// 2: refused with EINVAL while the same clone without it worked (qemu-user
/// does this); the pidfd then comes from `pidfd_open`.
static CLONE_PIDFD_LEGACY: AtomicU8 = AtomicU8::new(0);

/// Whether a child may share our fd table until its first
/// `close_range(CLOSE_RANGE_UNSHARE)`: 0: not probed yet, 1: yes, 2: no
/// (no close_range before 5.9, a seccomp profile refusing it, or a `clone`
/// that refuses `CLONE_FILES`).
static SHARE_FDS: AtomicU8 = AtomicU8::new(0);

/// Whether [`CloneOptions::share_fds_below`] may be used: the child must be
/// able to unshare the table, or it would act on ours. Probed once with
/// `close_range(~0, 0, 0)`, which only checks its arguments (EINVAL) where
/// the call exists and is allowed.
pub(crate) fn can_share_fds() -> bool {
    match SHARE_FDS.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let usable = sys::fd::close_range(u32::MAX, 0, 0) == Err(errno::EINVAL as Errno);
            SHARE_FDS.store(if usable { 1 } else { 2 }, Ordering::Relaxed);
            usable
        }
    }
}

/// A failed system call of the clone step, as [`LaunchFailure::Clone`]
/// reports it.
struct CloneFailed {
    syscall: &'static str,
    errno: Errno,
}

/// Set once a vfork child's write to its start block was seen by the
/// parent: memory really is shared, so a vfork child can report through
/// it. qemu-user (and some simulators) turn CLONE_VM|CLONE_VFORK into a
/// fork, where that write is lost (docs/design.md trap 8); there it never
/// gets set.
static SHARED_MEMORY: AtomicBool = AtomicBool::new(false);

/// Whether a spawn with these options needs the report pipe. Without vfork
/// it always does: its end-of-file is what proves the child has left our
/// memory. With vfork the return of clone proves that, and the report can
/// come through shared memory once memory sharing has been seen to work;
/// until then the pipe is used (and the sharing checked).
pub(crate) fn needs_report_pipe(opts: &CloneOptions) -> bool {
    !opts.vfork
        || opts.starts_grandchild
        || !opts.share_memory
        || !SHARED_MEMORY.load(Ordering::Relaxed)
}

/// Starts the child routine for `ctx` and waits for its report.
///
/// `report_pipe` is `(read end, write end)` of the `O_CLOEXEC` report pipe,
/// required when [`needs_report_pipe`] says so; `ctx.report_fd` must be the
/// write end's number (or -1 without a pipe). The write end is closed in the
/// parent right after the clone, so end-of-file tells that the child is
/// gone from our memory.
///
/// `after_clone(pid)` runs in the parent once the clone returned: with
/// `vfork` the child has already exec'd or failed; without, the child runs
/// concurrently (and typically waits for what `after_clone` does, such as
/// writing id maps). If it fails, the child is killed before its stack is
/// released.
pub(crate) fn launch<E>(
    ctx: &ChildCtx<'_>,
    opts: &CloneOptions,
    report_pipe: Option<(OwnedFd, OwnedFd)>,
    after_clone: impl FnOnce(i32) -> Result<(), E>,
) -> Result<Launched, LaunchFailure<E>> {
    let (report_read, report_write) = match report_pipe {
        Some((read, write)) => (Some(read), Some(write)),
        None => (None, None),
    };
    debug_assert!(report_read.is_some() || !needs_report_pipe(opts));
    let stack = Stack::take().map_err(LaunchFailure::Stack)?;
    let mut start = ChildStart::new(ctx);
    start.program_stack_top = stack.middle() as usize;

    // Block every signal across the clone: the child must never run one of
    // the parent's handlers on the shared address space (docs/design.md
    // trap 1). It inherits the full mask and sets the final one just before
    // exec.
    let full = !0u64;
    let mut parent_mask = 0u64;
    sys::signal::rt_sigprocmask(
        sys::signal::SIG_SETMASK,
        Some(&full),
        Some(&mut parent_mask),
    )
    .map_err(|errno| LaunchFailure::Clone {
        syscall: "rt_sigprocmask()",
        errno,
    })?;
    start.parent_mask = parent_mask;

    let mut pidfd: i32 = -1;
    let result = clone_child(&mut start, opts, &stack, &mut pidfd);

    let _ = sys::signal::rt_sigprocmask(sys::signal::SIG_SETMASK, Some(&parent_mask), None);
    drop(report_write);

    let pid = match result {
        Ok(pid) => pid,
        // No child exists: the stack is free to go.
        Err(CloneFailed { syscall, errno }) => {
            stack.recycle();
            return Err(LaunchFailure::Clone { syscall, errno });
        }
    };
    let pidfd = if !opts.pidfd {
        None
    } else if pidfd >= 0 {
        // SAFETY: the kernel just created this fd for us (CLONE_PIDFD) and
        // nothing else owns it.
        Some(unsafe { OwnedFd::from_raw_fd(pidfd) })
    } else {
        // `clone` refused CLONE_PIDFD and the child was started without it.
        // It is our unreaped child (a zombie at worst, even after a vfork
        // child's exec and exit), so `pid` still names it.
        match open_pidfd(pid) {
            Ok(fd) => Some(fd),
            Err(errno) => {
                // Without the pidfd that was asked for, give the child up.
                let _ = sys::process::kill(pid, g::SIGKILL as i32);
                if let Some(read) = &report_read
                    && let Err(errno) = read_report(read)
                {
                    core::mem::forget(stack);
                    return Err(LaunchFailure::Report { pid, errno });
                }
                reap(pid);
                // Reaped: nothing runs on the stack any more.
                stack.recycle();
                return Err(LaunchFailure::Clone {
                    syscall: "pidfd_open()",
                    errno,
                });
            }
        }
    };

    if let Err(error) = after_clone(pid) {
        let _ = sys::process::kill(pid, g::SIGKILL as i32);
        // Without a pipe (vfork) the child is already done.
        return match report_read.as_ref().map_or(Ok(Report::Exec), read_report) {
            Ok(_) => {
                stack.recycle();
                Err(LaunchFailure::Parent { pid, error })
            }
            Err(errno) => {
                core::mem::forget(stack);
                Err(LaunchFailure::Report { pid, errno })
            }
        };
    }

    let report = match &report_read {
        Some(read) => match read_report(read) {
            Ok(report) => report,
            Err(errno) => {
                // We cannot prove the child left our memory: never unmap it.
                core::mem::forget(stack);
                return Err(LaunchFailure::Report { pid, errno });
            }
        },
        // vfork: clone returned, so the child has exec'd or exited, and it
        // wrote any failure into the start block first.
        None => start.report.get().map_or(Report::Exec, Report::Failed),
    };
    if opts.vfork && opts.share_memory && !opts.starts_grandchild && start.ran.get() {
        SHARED_MEMORY.store(true, Ordering::Relaxed);
    }
    stack.recycle();
    Ok(Launched { pid, pidfd, report })
}

/// A pidfd for our child `pid`.
fn open_pidfd(pid: i32) -> Result<OwnedFd, Errno> {
    let pid = rustix::process::Pid::from_raw(pid).ok_or(errno::ESRCH as Errno)?;
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
        .map_err(|e| e.raw_os_error())
}

/// Waits for our child `pid` to end and reaps it, so that it leaves no
/// zombie.
pub(crate) fn reap(pid: i32) {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return;
    };
    while let Err(rustix::io::Errno::INTR) =
        rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty())
    {}
}

/// Issues `clone3` (or `clone` where clone3 is missing). Returns the pid.
///
/// With `opts.pidfd`, `*pidfd` receives the child's pidfd, except where
/// `clone` refused `CLONE_PIDFD` (qemu-user): the child is then started
/// without it and `*pidfd` stays negative.
fn clone_child(
    start: &mut ChildStart<'_>,
    opts: &CloneOptions,
    stack: &Stack,
    pidfd: &mut i32,
) -> Result<i32, CloneFailed> {
    let mut flags = 0u64;
    if opts.share_memory {
        flags |= u64::from(g::CLONE_VM);
    }
    if opts.vfork {
        flags |= u64::from(g::CLONE_VFORK);
    }
    if opts.pidfd {
        flags |= u64::from(g::CLONE_PIDFD);
    }
    if let Some(below) = opts.share_fds_below {
        debug_assert!(opts.vfork && below > 0);
        flags |= u64::from(g::CLONE_FILES);
        start.unshare_fds_from = below;
    }
    flags |= opts.namespaces;

    // What clone3 answered when it could not be used.
    let mut clone3_errno = errno::ENOSYS as Errno;
    if CLONE3.load(Ordering::Relaxed) != 2 {
        match clone3_child(start, flags, opts, stack, pidfd) {
            Ok(pid) => return Ok(pid),
            Err(errno) if errno == errno::ENOSYS as Errno => {}
            // Container seccomp profiles may answer EPERM for clone3
            // (docs/design.md trap 8): try clone once before giving up.
            Err(errno) if errno == errno::EPERM as Errno => clone3_errno = errno,
            Err(errno) => {
                return Err(CloneFailed {
                    syscall: "clone3()",
                    errno,
                });
            }
        }
    }

    if opts.cgroup.is_some() || opts.namespaces & u64::from(g::CLONE_NEWTIME) != 0 {
        // CLONE_INTO_CGROUP has no place in clone's flags, and
        // CLONE_NEWTIME's bit is part of clone's exit-signal byte.
        return Err(CloneFailed {
            syscall: "clone3() (needed for cgroup() and Namespaces::TIME)",
            errno: clone3_errno,
        });
    }
    legacy_clone_child(start, flags, opts, stack, pidfd)
}

/// `clone3`, first with `CLONE_CLEAR_SIGHAND` (5.5+: the kernel resets
/// every handler that is not SIG_IGN, which saves the child up to 128
/// rt_sigaction calls), then without it where the kernel does not know it.
/// Records ENOSYS so that later spawns go straight to `clone`.
fn clone3_child(
    start: &mut ChildStart<'_>,
    flags: u64,
    opts: &CloneOptions,
    stack: &Stack,
    pidfd: &mut i32,
) -> Result<i32, Errno> {
    let cgroup_flag = if opts.cgroup.is_some() {
        g::CLONE_INTO_CGROUP
    } else {
        0
    };
    let mut clear_sighand = true;
    loop {
        start.handlers_cleared = clear_sighand;
        let clear = if clear_sighand {
            g::CLONE_CLEAR_SIGHAND
        } else {
            0
        };
        let mut args = g::clone_args {
            flags: flags | cgroup_flag | clear,
            pidfd: pidfd as *mut i32 as u64,
            child_tid: 0,
            parent_tid: 0,
            exit_signal: u64::from(g::SIGCHLD),
            stack: stack.base() as u64,
            stack_size: stack.len() as u64,
            tls: 0,
            set_tid: 0,
            set_tid_size: 0,
            cgroup: opts.cgroup.map_or(0, |fd| fd as u64),
        };
        let start_ptr = &raw const *start;
        // SAFETY: the stack is a live mapping owned by `launch`, which
        // keeps it, and `start`, alive and unmoved until the child is done
        // with our memory (module docs); `pidfd` is a live i32 for
        // CLONE_PIDFD.
        match unsafe { sys::clone::clone3(&mut args, child_entry, start_ptr.cast()) } {
            Ok(pid) => {
                CLONE3.store(1, Ordering::Relaxed);
                return Ok(pid);
            }
            // 5.3/5.4 know clone3 but not CLONE_CLEAR_SIGHAND.
            Err(e) if e == errno::EINVAL as Errno && clear_sighand => clear_sighand = false,
            Err(e) => {
                if e == errno::ENOSYS as Errno {
                    CLONE3.store(2, Ordering::Relaxed);
                }
                return Err(e);
            }
        }
    }
}

/// The legacy `clone`, dropping what qemu-user refuses (`CLONE_FILES`,
/// `CLONE_PIDFD`) and retrying.
fn legacy_clone_child(
    start: &mut ChildStart<'_>,
    flags: u64,
    opts: &CloneOptions,
    stack: &Stack,
    pidfd: &mut i32,
) -> Result<i32, CloneFailed> {
    start.handlers_cleared = false;
    let pidfd_flag = u64::from(g::CLONE_PIDFD);
    let files_flag = u64::from(g::CLONE_FILES);
    let mut legacy_flags = flags | u64::from(g::SIGCHLD);
    if CLONE_PIDFD_LEGACY.load(Ordering::Relaxed) == 2 {
        legacy_flags &= !pidfd_flag;
    }
    loop {
        let start_ptr = &raw const *start;
        // SAFETY: as for clone3; `pidfd` is a live i32 the kernel writes the
        // pidfd into (CLONE_PIDFD uses the parent_tid slot with clone;
        // without CLONE_PIDFD/CLONE_PARENT_SETTID it is not written).
        let result = unsafe {
            sys::clone::clone(
                legacy_flags,
                stack.top(),
                pidfd,
                child_entry,
                start_ptr.cast(),
            )
        };
        match result {
            Ok(pid) => {
                if opts.pidfd {
                    let refused = legacy_flags & pidfd_flag == 0;
                    CLONE_PIDFD_LEGACY.store(if refused { 2 } else { 1 }, Ordering::Relaxed);
                }
                return Ok(pid);
            }
            // qemu-user refuses CLONE_FILES with clone (it forks): the
            // child then has its own copy of the table from the start.
            Err(e) if e == errno::EINVAL as Errno && legacy_flags & files_flag != 0 => {
                legacy_flags &= !files_flag;
                start.unshare_fds_from = 0;
                SHARE_FDS.store(2, Ordering::Relaxed);
            }
            // qemu-user refuses CLONE_PIDFD with clone (no child was
            // created): retry once without it; `launch` then opens the
            // pidfd with pidfd_open.
            Err(e)
                if e == errno::EINVAL as Errno
                    && legacy_flags & pidfd_flag != 0
                    && CLONE_PIDFD_LEGACY.load(Ordering::Relaxed) != 1 =>
            {
                legacy_flags &= !pidfd_flag;
            }
            Err(errno) => {
                return Err(CloneFailed {
                    syscall: "clone()",
                    errno,
                });
            }
        }
    }
}

/// Reads the report pipe to end-of-file.
fn read_report(fd: &OwnedFd) -> Result<Report, Errno> {
    let mut buf = [0u8; REPORT_LEN];
    let mut filled = 0usize;
    loop {
        let mut scratch = [0u8; REPORT_LEN];
        let dest = match buf.get_mut(filled..) {
            Some(rest) if !rest.is_empty() => rest,
            // A full report is in; keep draining (into scratch) until EOF.
            _ => &mut scratch[..],
        };
        match rustix::io::read(fd, dest) {
            Ok(0) => break,
            Ok(n) => filled = (filled + n).min(REPORT_LEN),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.raw_os_error()),
        }
    }
    Ok(match filled {
        0 => Report::Exec,
        REPORT_LEN => Report::Failed(StepFailure::from_bytes(buf)),
        n => Report::Truncated(n),
    })
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use alloc::format;
    use rustix::fd::AsRawFd;

    /// The path qemu-user takes (no clone3, `clone` refusing CLONE_PIDFD),
    /// forced on the real kernel: the pidfd comes from `pidfd_open`. (Unit
    /// tests that spawn meanwhile take the same path, which works here.)
    #[test]
    fn pidfd_comes_from_pidfd_open_when_clone_refuses_clone_pidfd() {
        CLONE3.store(2, Ordering::Relaxed);
        CLONE_PIDFD_LEGACY.store(2, Ordering::Relaxed);

        let mut child = crate::Command::new("sh")
            .args(["-c", "exit 7"])
            .create_pidfd(true)
            .spawn()
            .expect("spawn sh");
        let pidfd = child.pidfd().expect("a pidfd was asked for");
        let fdinfo = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd()))
            .expect("read fdinfo");
        let pid_line = format!("Pid:\t{}", child.id());
        assert!(fdinfo.lines().any(|l| l == pid_line), "{fdinfo}");
        assert_eq!(child.wait().expect("wait").code(), Some(7));

        // A vfork child whose exec failed has exited when clone returns:
        // pidfd_open still finds it (an unreaped zombie), so the spawn
        // fails at the exec, not at pidfd_open.
        let err = crate::Command::new("/nonexistent/clonexec-test")
            .create_pidfd(true)
            .spawn()
            .unwrap_err();
        assert_eq!(err.step(), Some(crate::Step::Exec), "{err}");

        assert_eq!(CLONE_PIDFD_LEGACY.load(Ordering::Relaxed), 2);
        CLONE3.store(0, Ordering::Relaxed);
        CLONE_PIDFD_LEGACY.store(0, Ordering::Relaxed);
    }
}
