//! The parent side of a spawn: this spawn's pipes and fd moves, the
//! [`ChildCtx`], the launch, the id maps written while the child waits,
//! and turning the child's report into a [`Child`] or an [`Error`].

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;

use rustix::fd::{AsRawFd, OwnedFd};
use rustix::pipe::PipeFlags;

use crate::child_handle::Child;
use crate::contract::{ChildCtx, FdMove};
use crate::dumpable::DumpableGuard;
use crate::launch::{self, CloneOptions, LaunchFailure, Launched, Report};
use crate::plan::{IdMapPlan, Plan};
use crate::step::describe;
use crate::sys::{CStrArray, CStrArrayBuilder};
use crate::{Error, IdMap, Step};

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

    /// What of the command's [`Landlock`](crate::Landlock) ruleset the
    /// running kernel cannot enforce and
    /// [`best_effort(true)`](crate::Landlock::best_effort) left out, one
    /// sentence each naming the Landlock ABI it needs: empty when the
    /// whole ruleset is enforced (or there is none).
    ///
    /// ```
    /// use clonexec::{Command, Landlock};
    /// let prepared = Command::new("true")
    ///     .landlock(Landlock::new().read_only(["/"]).restrict_network(true).best_effort(true))
    ///     .prepare()?;
    /// for dropped in prepared.landlock_dropped() {
    ///     eprintln!("not enforced: {dropped}"); // e.g. the TCP rules before Linux 6.7
    /// }
    /// # Ok::<(), clonexec::Error>(())
    /// ```
    pub fn landlock_dropped(&self) -> &[alloc::string::String] {
        &self.plan.security.landlock_dropped
    }
}

/// One spawn of `plan`.
fn spawn(plan: &Plan) -> Result<Child, Error> {
    let os_error = |step, errno, context: &str| Error::os(&plan.program.name, step, errno, context);
    let pipe = |what: &str| {
        rustix::pipe::pipe_with(PipeFlags::CLOEXEC)
            .map_err(|e| os_error(Step::Pipe, e.raw_os_error(), what))
    };

    let (parent_ends, child_ends) = stdio_pipes(plan, pipe)?;
    let fd_moves = FdMove::for_plan(
        plan,
        child_ends
            .each_ref()
            .map(|end| end.as_ref().map_or(-1, AsRawFd::as_raw_fd)),
    );
    // With id maps to write, the child waits on a sync pipe and we cannot
    // use CLONE_VFORK (we would wait for each other: docs/design.md trap 5).
    let sync = match &plan.namespaces.id_maps {
        Some(_) => Some(pipe("pipe() for the id-map handshake")?),
        None => None,
    };
    // The executable the pid-1 init becomes, kept open until the spawn ends.
    let init_image = if plan.namespaces.pid1_init {
        Some(
            crate::init_image::memfd()
                .map_err(|(what, errno)| os_error(Step::Init, errno, what))?,
        )
    } else {
        None
    };
    let mut options = CloneOptions {
        vfork: sync.is_none(),
        share_memory: !plan.process.needs_own_memory(),
        starts_grandchild: plan.namespaces.pid1_init,
        pidfd: plan.process.create_pidfd,
        namespaces: plan.namespaces.clone_flags,
        cgroup: plan.namespaces.cgroup,
        share_fds_below: None,
    };
    let report_pipe = if launch::needs_report_pipe(&options) {
        Some(pipe("pipe() for the report")?)
    } else {
        None
    };
    let report_fd = report_pipe.as_ref().map_or(-1, |(_, w)| w.as_raw_fd());
    options.share_fds_below = share_fds_below(plan, &options, &fd_moves, report_fd);
    let ctx = ChildCtx {
        plan,
        envp: plan.program.envp(),
        fd_moves: &fd_moves,
        report_fd,
        sync_pipe: sync
            .as_ref()
            .map_or((-1, -1), |(r, w)| (r.as_raw_fd(), w.as_raw_fd())),
        // In a new PID namespace our pid is invisible: getppid() gives 0.
        parent_pid: if plan.namespaces.new_pid() {
            0
        } else {
            rustix::process::getpid().as_raw_nonzero().get()
        },
        init_image_fd: init_image.as_ref().map_or(-1, AsRawFd::as_raw_fd),
    };

    let guard =
        (plan.credentials.any() || plan.security.ambient_caps != 0).then(DumpableGuard::enter);
    let launched = launch::launch(&ctx, &options, report_pipe, |pid| {
        match (&plan.namespaces.id_maps, sync) {
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
    finish(plan, launched, parent_ends)
}

/// A parent end and a child end for each piped stdio stream.
type StdioPipes = ([Option<OwnedFd>; 3], [Option<OwnedFd>; 3]);

/// The stdio pipes of this spawn: `(parent's ends, child's ends)`.
fn stdio_pipes(
    plan: &Plan,
    pipe: impl Fn(&str) -> Result<(OwnedFd, OwnedFd), Error>,
) -> Result<StdioPipes, Error> {
    let mut parent_ends: [Option<OwnedFd>; 3] = [None, None, None];
    let mut child_ends: [Option<OwnedFd>; 3] = [None, None, None];
    for stream in 0..3 {
        if plan.fds.piped[stream] {
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
    Ok((parent_ends, child_ends))
}

/// With close_other_fds, copying our whole fd table at clone would cost
/// what we have open (spawn cost must not grow with the parent): share it,
/// and have the child copy only the fds below the highest one it uses.
/// Not for the pid-1 init, which passes its table on to the program.
fn share_fds_below(
    plan: &Plan,
    options: &CloneOptions,
    fd_moves: &[FdMove],
    report_fd: i32,
) -> Option<u32> {
    if !(plan.fds.close_others
        && options.vfork
        && !plan.namespaces.pid1_init
        && launch::can_share_fds())
    {
        return None;
    }
    let highest = plan
        .owned_fds
        .iter()
        .map(AsRawFd::as_raw_fd)
        .chain(fd_moves.iter().map(|m| m.src.get()))
        .chain([report_fd, 2])
        .max()
        .unwrap_or(2);
    Some(highest as u32 + 1)
}

/// The child (or the error) from what `launch` brought back.
fn finish(
    plan: &Plan,
    launched: Result<Launched, LaunchFailure<Error>>,
    parent_ends: [Option<OwnedFd>; 3],
) -> Result<Child, Error> {
    let os_error = |step, errno, context: &str| Error::os(&plan.program.name, step, errno, context);
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
            let _ = crate::sys::process::kill(pid, crate::Signal::KILL.as_raw());
            launch::reap(pid);
            return Err(os_error(Step::Report, errno, "reading the child's report"));
        }
        Err(LaunchFailure::Parent { pid, error }) => {
            launch::reap(pid);
            return Err(error);
        }
    };
    match launched.report {
        Report::Exec => Ok(Child::new(
            plan.program.name.clone(),
            launched.pid,
            launched.pidfd,
            parent_ends,
        )),
        Report::Failed(failure) => {
            launch::reap(launched.pid);
            drop(launched.pidfd);
            Err(os_error(
                failure.step,
                failure.errno,
                &describe(plan, failure.step, failure.detail),
            ))
        }
        Report::Truncated(len) => {
            launch::reap(launched.pid);
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
fn write_id_maps(plan: &Plan, maps: &IdMapPlan, pid: i32) -> Result<(), Error> {
    let program = &*plan.program.name;
    let Some(helpers) = &maps.helpers else {
        return write_id_map_files(program, &format!("/proc/{pid}"), maps);
    };
    if let Some(policy) = maps.setgroups {
        write_proc_file(&format!("/proc/{pid}/setgroups"), policy.as_bytes()).map_err(|e| {
            Error::os(
                program,
                Step::SetgroupsPolicy,
                e,
                format!("writing {policy:?} to /proc/{pid}/setgroups"),
            )
        })?;
    }
    for (helper, paths, lines, step) in [
        (
            "newuidmap",
            &helpers.newuidmap,
            &helpers.uid_lines,
            Step::UidMap,
        ),
        (
            "newgidmap",
            &helpers.newgidmap,
            &helpers.gid_lines,
            Step::GidMap,
        ),
    ] {
        if !lines.is_empty() {
            run_map_helper(program, helper, paths, pid, lines, step)?;
        }
    }
    Ok(())
}

/// Writes the id-map files of the process whose /proc directory is `dir`
/// (`/proc/PID`, or `/proc/self` for `exec()`): `setgroups` first (the
/// kernel wants it before an unprivileged gid map, docs/design.md trap 11),
/// then `uid_map`, then `gid_map`.
pub(crate) fn write_id_map_files(program: &str, dir: &str, maps: &IdMapPlan) -> Result<(), Error> {
    let setgroups = maps.setgroups.map_or(&[][..], str::as_bytes);
    for (name, text, step) in [
        ("setgroups", setgroups, Step::SetgroupsPolicy),
        ("uid_map", &maps.uid_map[..], Step::UidMap),
        ("gid_map", &maps.gid_map[..], Step::GidMap),
    ] {
        if !text.is_empty() {
            let path = format!("{dir}/{name}");
            write_proc_file(&path, text).map_err(|e| {
                let what = match name {
                    "setgroups" => format!("writing {:?} to {path}", String::from_utf8_lossy(text)),
                    _ => format!("writing {path}"),
                };
                Error::os(program, step, e, what)
            })?;
        }
    }
    Ok(())
}

/// Writes a /proc file in one `write` (the map files want exactly one).
fn write_proc_file(path: &str, text: &[u8]) -> Result<(), i32> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| e.raw_os_error())?;
    match rustix::io::write(&fd, text) {
        Ok(n) if n == text.len() => Ok(()),
        Ok(_) => Err(linux_raw_sys::errno::EIO as i32),
        Err(e) => Err(e.raw_os_error()),
    }
}

/// Runs `newuidmap PID inside outside count...` (or newgidmap), found at
/// one of `paths`, and waits for it.
fn run_map_helper(
    program: &str,
    helper: &str,
    paths: &[CString],
    pid: i32,
    lines: &[IdMap],
    step: Step,
) -> Result<(), Error> {
    let mut words = alloc::vec![String::from(helper), format!("{pid}")];
    for line in lines {
        words.extend([
            format!("{}", line.inside),
            format!("{}", line.outside),
            format!("{}", line.count),
        ]);
    }
    let helper_plan = Plan::exec(helper, paths.to_vec(), c_string_array(&words));
    let context = format!("running {helper}");
    let status = spawn(&helper_plan)
        .and_then(|mut child| child.wait())
        .map_err(|e| match e.raw_os_error() {
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

/// `words` (made of digits and a program name: no NUL) as an argv.
fn c_string_array(words: &[String]) -> CStrArray {
    let mut argv = CStrArrayBuilder::with_capacity(words.iter().map(|w| w.len() + 1).sum());
    for word in words {
        // A NUL is impossible here; a word that had one would be dropped.
        let _ = argv.push(&[word.as_bytes()]);
    }
    argv.finish()
}
