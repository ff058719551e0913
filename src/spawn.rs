//! The parent side of a spawn: per-spawn pipes and fd moves, the dumpable
//! guard, the launch, and turning the child's report into a [`Child`] or an
//! [`Error`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use rustix::fd::{AsRawFd, OwnedFd};
use rustix::pipe::PipeFlags;

use crate::child::{ChildCtx, FdMove};
use crate::child_handle::Child;
use crate::clone::{self, CloneOptions, LaunchFailure, Report};
use crate::plan::{FdSource, IdMaps, Plan};
use crate::sys::Envp;
use crate::{Capability, Error, IdMap, Signal, Step};

/// A validated, lowered [`Command`](crate::Command), ready to be spawned any
/// number of times (from any thread) without re-doing argv/envp/PATH work.
///
/// It owns everything it needs, including copies of the fds it maps.
///
/// ```
/// use clonexec::Command;
/// let prepared = Command::new("true").prepare().unwrap();
/// let children: Vec<_> = (0..4).map(|_| prepared.spawn().unwrap()).collect();
/// for mut child in children {
///     assert!(child.wait().unwrap().success());
/// }
/// ```
#[derive(Debug)]
pub struct Prepared {
    plan: Plan,
}

impl Prepared {
    pub(crate) fn new(plan: Plan) -> Self {
        Prepared { plan }
    }

    /// Starts one process from the prepared plan.
    pub fn spawn(&self) -> Result<Child, Error> {
        spawn(&self.plan)
    }
}

fn spawn(plan: &Plan) -> Result<Child, Error> {
    let os_error = |step, errno, context: &str| Error::os(&plan.program, step, errno, context);
    let pipe = |what: &str| {
        rustix::pipe::pipe_with(PipeFlags::CLOEXEC)
            .map_err(|e| os_error(Step::Pipe, e.raw_os_error(), what))
    };

    // Stdio pipes: (parent's end, child's end).
    let mut parent_ends: [Option<OwnedFd>; 3] = [None, None, None];
    let mut child_ends: [Option<OwnedFd>; 3] = [None, None, None];
    for stream in 0..3 {
        if plan.piped[stream] {
            let (read, write) = pipe("pipe() for stdio")?;
            let (parent, child) = if stream == 0 {
                (write, read)
            } else {
                (read, write)
            };
            parent_ends[stream] = Some(parent);
            child_ends[stream] = Some(child);
        }
    }
    let fd_moves: Vec<FdMove> = plan
        .fd_mappings
        .iter()
        .map(|m| FdMove {
            dst: m.target,
            src: Cell::new(match m.source {
                FdSource::Owned(fd) => fd,
                FdSource::Pipe(stream) => {
                    child_ends[stream].as_ref().map_or(-1, |fd| fd.as_raw_fd())
                }
            }),
        })
        .collect();

    // With id maps to write, the child waits on a sync pipe and we cannot
    // use CLONE_VFORK (we would wait for each other: ANCHORS trap 5).
    let sync = match &plan.id_maps {
        Some(_) => Some(pipe("pipe() for the id-map handshake")?),
        None => None,
    };
    let new_pid_ns = plan.clone_namespaces & u64::from(linux_raw_sys::general::CLONE_NEWPID) != 0;
    // The executable the pid-1 init becomes, kept open until the spawn ends.
    let init_image = if plan.pid1_init {
        Some(
            crate::init_image::memfd()
                .map_err(|(what, errno)| os_error(Step::Init, errno, what))?,
        )
    } else {
        None
    };
    let mut ctx = ChildCtx {
        plan,
        envp: match &plan.envp {
            Some(array) => Envp::of(array),
            #[cfg(feature = "std")]
            None => Envp::parent(),
            // Not made without std: prepare() builds every environment.
            #[cfg(not(feature = "std"))]
            None => Envp::EMPTY,
        },
        fd_moves: &fd_moves,
        report_fd: -1,
        unshare_fds_from: 0,
        // In a new PID namespace our pid is invisible: getppid() gives 0.
        parent_pid: if new_pid_ns {
            0
        } else {
            rustix::process::getpid().as_raw_nonzero().get()
        },
        parent_mask: 0,
        handlers_cleared: false,
        sync_pipe: sync
            .as_ref()
            .map_or((-1, -1), |(r, w)| (r.as_raw_fd(), w.as_raw_fd())),
        program_stack_top: 0,
        init_image_fd: init_image.as_ref().map_or(-1, AsRawFd::as_raw_fd),
        init_release: Cell::new((-1, -1)),
        sigchld_ignored: Cell::new(false),
        child_ran: Cell::new(false),
        shared_report: Cell::new((0, 0, 0)),
    };
    let mut options = CloneOptions {
        vfork: sync.is_none(),
        starts_grandchild: plan.pid1_init,
        pidfd: plan.create_pidfd,
        namespaces: plan.clone_namespaces,
        cgroup: plan.cgroup,
        share_fds: false,
    };
    let report_pipe = if clone::needs_report_pipe(&options) {
        let (read, write) = pipe("pipe() for the report")?;
        ctx.report_fd = write.as_raw_fd();
        Some((read, write))
    } else {
        None
    };
    // With close_other_fds, copying our whole fd table at clone would cost
    // what we have open (ANCHORS: spawn cost must not grow with the
    // parent): share it, and have the child copy only the fds below the
    // highest one it uses (its step 0).
    // (Not for the pid-1 init: it passes its table on to the program.)
    if plan.close_other_fds && options.vfork && !plan.pid1_init && clone::can_share_fds() {
        let highest = plan
            .owned_fds
            .iter()
            .map(AsRawFd::as_raw_fd)
            .chain(fd_moves.iter().map(|m| m.src.get()))
            .chain([ctx.report_fd, 2])
            .max()
            .unwrap_or(2);
        ctx.unshare_fds_from = highest as u32 + 1;
        options.share_fds = true;
    }

    let guard = (plan.credentials.any() || plan.ambient_caps != 0).then(DumpableGuard::enter);
    let launched = clone::launch(&mut ctx, &options, report_pipe, |pid| {
        match (&plan.id_maps, sync) {
            (Some(maps), Some((_, sync_write))) => {
                write_id_maps(plan, maps, pid)?;
                // Release the child.
                rustix::io::write(&sync_write, &[1]).map(drop).map_err(|e| {
                    os_error(Step::WaitParent, e.raw_os_error(), "releasing the child")
                })
            }
            _ => Ok(()),
        }
    });
    drop(guard);
    drop(child_ends);
    drop(init_image);

    let launched = match launched {
        Ok(launched) => launched,
        Err(LaunchFailure::Stack(errno)) => {
            return Err(os_error(Step::Stack, errno, "mmap() of the child's stack"));
        }
        Err(LaunchFailure::Clone { syscall, errno }) => {
            return Err(os_error(Step::Clone, errno, syscall));
        }
        Err(LaunchFailure::Report { pid, errno }) => {
            // The child's state is unknown: stop it rather than leave it
            // running half set up.
            let _ = crate::sys::kill(pid, Signal::KILL.as_raw());
            reap(pid);
            return Err(os_error(Step::Report, errno, "reading the child's report"));
        }
        Err(LaunchFailure::Parent { pid, error }) => {
            reap(pid);
            return Err(error);
        }
    };

    match launched.report {
        Report::Exec => Ok(Child::new(
            plan.program.clone(),
            launched.pid,
            launched.pidfd,
            parent_ends,
        )),
        Report::Failed {
            step,
            errno,
            detail,
        } => {
            reap(launched.pid);
            drop(launched.pidfd);
            let step = Step::from_raw(step).unwrap_or(Step::Report);
            Err(os_error(step, errno, &describe(plan, step, detail)))
        }
        Report::Truncated(len) => {
            reap(launched.pid);
            Err(os_error(
                Step::Report,
                linux_raw_sys::errno::EIO as i32,
                &format!("reading the child's report ({len} of 12 bytes)"),
            ))
        }
    }
}

/// Writes the child's id maps: `setgroups` first (the kernel wants it
/// before an unprivileged gid map), then `uid_map`, then `gid_map`; or runs
/// `newuidmap`/`newgidmap`.
fn write_id_maps(plan: &Plan, maps: &IdMaps, pid: i32) -> Result<(), Error> {
    let program = &*plan.program;
    if let Some(policy) = maps.setgroups {
        write_proc(pid, "setgroups", policy.as_bytes()).map_err(|e| {
            Error::os(
                program,
                Step::SetgroupsPolicy,
                e,
                format!("writing {policy:?} to /proc/{pid}/setgroups"),
            )
        })?;
    }
    if maps.helpers {
        for (helper, lines, step) in [
            ("newuidmap", &maps.uid_lines, Step::UidMap),
            ("newgidmap", &maps.gid_lines, Step::GidMap),
        ] {
            if lines.is_empty() {
                continue;
            }
            run_map_helper(program, helper, pid, lines, step)?;
        }
        return Ok(());
    }
    if !maps.uid_map.is_empty() {
        write_proc(pid, "uid_map", &maps.uid_map).map_err(|e| {
            Error::os(
                program,
                Step::UidMap,
                e,
                format!("writing /proc/{pid}/uid_map"),
            )
        })?;
    }
    if !maps.gid_map.is_empty() {
        write_proc(pid, "gid_map", &maps.gid_map).map_err(|e| {
            Error::os(
                program,
                Step::GidMap,
                e,
                format!("writing /proc/{pid}/gid_map"),
            )
        })?;
    }
    Ok(())
}

/// Writes `/proc/PID/NAME` in one `write` (the map files want exactly one).
fn write_proc(pid: i32, name: &str, text: &[u8]) -> Result<(), i32> {
    use rustix::fs::{Mode, OFlags};
    let path = format!("/proc/{pid}/{name}");
    let fd = rustix::fs::open(
        path.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| e.raw_os_error())?;
    match rustix::io::write(&fd, text) {
        Ok(n) if n == text.len() => Ok(()),
        Ok(_) => Err(linux_raw_sys::errno::EIO as i32),
        Err(e) => Err(e.raw_os_error()),
    }
}

/// Runs `newuidmap PID inside outside count...` (or newgidmap).
fn run_map_helper(
    program: &str,
    helper: &str,
    pid: i32,
    lines: &[IdMap],
    step: Step,
) -> Result<(), Error> {
    let mut cmd = crate::Command::new(helper);
    cmd.arg(format!("{pid}"));
    for line in lines {
        cmd.args([
            format!("{}", line.inside),
            format!("{}", line.outside),
            format!("{}", line.count),
        ]);
    }
    let context = format!("running {helper}");
    let status = cmd.status().map_err(|e| match e.raw_os_error() {
        Some(errno) => Error::os(program, step, errno, format!("{context} (package uidmap)")),
        None => Error::invalid(program, format!("{context}: {e}")),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::os(
            program,
            step,
            linux_raw_sys::errno::EPERM as i32,
            format!("{helper} ({status})"),
        ))
    }
}

/// Waits for a child that failed before exec, so it leaves no zombie.
fn reap(pid: i32) {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return;
    };
    while let Err(rustix::io::Errno::INTR) =
        rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty())
    {}
}

/// The failed call with its argument, e.g. `setresuid(65534)`.
fn describe(plan: &Plan, step: Step, detail: u32) -> String {
    let quoted = |bytes: &[u8]| format!("{:?}", String::from_utf8_lossy(bytes));
    match step {
        Step::SignalReset => match Signal::new(detail as i32) {
            Some(sig) => format!("rt_sigaction({sig})"),
            None => String::from("rt_sigaction()"),
        },
        Step::Setsid => String::from("setsid()"),
        Step::SetPgid => format!("setpgid(0, {detail})"),
        Step::WaitParent => String::from("waiting for the parent to write the id maps"),
        Step::Init => String::from(match detail {
            crate::child::INIT_PIPE => "pipe2() for the pid-1 init's handshake",
            crate::child::INIT_CLONE => "clone() of the program under the pid-1 init",
            crate::child::INIT_CLOSE_FDS => "closing the caller's fds in the pid-1 init",
            crate::child::INIT_EXEC => "execveat() of the pid-1 init's program",
            crate::child::INIT_WAIT => "waiting for the pid-1 init's exec",
            _ => "starting the pid-1 init",
        }),
        Step::JoinNamespace => {
            let kind = crate::Namespaces::from_bits_truncate(u64::from(detail));
            format!(
                "setns() into the {} namespace",
                kind.iter().next().map_or("?", |k| k.proc_name())
            )
        }
        Step::MountPropagation => String::from("changing the propagation of /"),
        Step::Hostname => format!(
            "sethostname({})",
            quoted(plan.hostname.as_deref().unwrap_or_default())
        ),
        Step::Domainname => format!(
            "setdomainname({})",
            quoted(plan.domainname.as_deref().unwrap_or_default())
        ),
        Step::LoopbackUp => String::from("bringing up the loopback interface"),
        Step::Mount => match plan.mounts.get(detail as usize) {
            Some(m) => format!("mounting {}", quoted(m.target.to_bytes())),
            None => String::from("mount()"),
        },
        Step::Chroot => format!(
            "chroot({})",
            quoted(plan.chroot.as_deref().map_or(&[][..], |c| c.to_bytes()))
        ),
        Step::LockMounts => String::from("unshare(CLONE_NEWUSER | CLONE_NEWNS) to lock the mounts"),
        Step::PivotRoot => {
            format!(
                "pivot_root({})",
                quoted(plan.pivot_root.as_deref().map_or(&[][..], |c| c.to_bytes()))
            )
        }
        Step::Foreground => format!("ioctl(TIOCSPGRP, {detail})"),
        Step::OomScoreAdj => match &plan.oom_score_adj {
            Some(text) => format!(
                "writing {} to /proc/self/oom_score_adj",
                String::from_utf8_lossy(text).trim_end()
            ),
            None => String::from("writing /proc/self/oom_score_adj"),
        },
        Step::Rlimit => {
            let limit = plan.rlimits.iter().find(|(r, _, _)| *r == detail);
            match (crate::Resource::new(detail), limit) {
                (Some(resource), Some((_, soft, hard))) => {
                    format!("prlimit64({resource}, {soft}, {hard})")
                }
                _ => format!("prlimit64({detail})"),
            }
        }
        Step::Personality => format!("personality({detail:#x})"),
        Step::SessionKeyring => String::from("keyctl(KEYCTL_JOIN_SESSION_KEYRING)"),
        Step::BoundingSet => match u8::try_from(detail).ok().and_then(Capability::new) {
            Some(cap) => format!("dropping {cap} from the bounding set"),
            None => String::from("dropping a capability from the bounding set"),
        },
        Step::SecureBits => format!("prctl(PR_SET_SECUREBITS, {detail:#x})"),
        Step::NoNewPrivs => String::from("prctl(PR_SET_NO_NEW_PRIVS)"),
        Step::NoControllingTty => String::from("ioctl(TIOCNOTTY)"),
        Step::ControllingTty => format!("ioctl({detail}, TIOCSCTTY)"),
        Step::Seccomp => format!("seccomp(SECCOMP_SET_MODE_FILTER) with {detail} instructions"),
        Step::PtraceTraceme => String::from("ptrace(PTRACE_TRACEME)"),
        Step::KeepCaps => String::from("prctl(PR_SET_KEEPCAPS)"),
        Step::SetGroups => format!("setgroups() with {detail} groups"),
        Step::SetGid => format!("setresgid({detail})"),
        Step::SetUid => format!("setresuid({detail})"),
        Step::Capabilities => String::from("capset()"),
        Step::AmbientCaps => match u8::try_from(detail).ok().and_then(Capability::new) {
            Some(cap) => format!("raising ambient capability {cap}"),
            None => String::from("raising an ambient capability"),
        },
        Step::Chdir => format!(
            "chdir({})",
            quoted(plan.cwd.as_deref().map_or(&[][..], |c| c.to_bytes()))
        ),
        Step::ParentDeathSignal => match Signal::new(detail as i32) {
            Some(sig) => format!("prctl(PR_SET_PDEATHSIG, {sig})"),
            None => String::from("prctl(PR_SET_PDEATHSIG)"),
        },
        Step::FdMapping => format!("placing child fd {detail}"),
        Step::CloseFds => String::from("closing the other fds"),
        Step::SignalMask => String::from("rt_sigprocmask()"),
        Step::Exec if plan.program_fd.is_some() => {
            format!(
                "execveat({}, AT_EMPTY_PATH)",
                quoted(plan.program.as_bytes())
            )
        }
        Step::Exec if plan.searched_path => String::from("execve"),
        Step::Exec => match plan.exec_paths.first() {
            Some(path) => format!("execve({})", quoted(path.to_bytes())),
            None => String::from("execve"),
        },
        other => format!("{other:?}"),
    }
}

/// Keeps the parent's dumpable flag across credential-changing spawns.
///
/// A credential change in a `CLONE_VM` child marks the *shared* mm
/// non-dumpable (ANCHORS trap 3), which would make the parent
/// non-dumpable for good. The flag is saved when the first such spawn
/// starts and restored only when the last one in flight ends: restoring it
/// while another child sits between its uid change and its exec would let
/// the new uid ptrace a process that shares our memory.
struct DumpableGuard;

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
    fn enter() -> Self {
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
