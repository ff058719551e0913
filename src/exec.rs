//! [`Command::exec`](crate::Command::exec): every attribute applied to the
//! calling process itself, then `execve` — std's `CommandExt::exec`, and
//! what util-linux's `unshare` does when nothing needs a parent.
//!
//! The steps are the child routine's own ([`crate::child::run_in_place`]),
//! run on the calling thread with every signal blocked. What a child would
//! get from `clone`, the process does to itself first: `unshare` for new
//! namespaces, with the id maps written by a helper child that stays in
//! the parent namespace (a process inside a new user namespace may not
//! write most maps for itself), and a move into the cgroup.

use alloc::ffi::CString;
use alloc::format;
use alloc::vec::Vec;
use core::cell::Cell;

use linux_raw_sys::general as g;
use rustix::fd::{AsRawFd, BorrowedFd};

use crate::child::maps::{MapWriter, map_writer_entry};
use crate::contract::{ChildCtx, ChildStart, FdMove};
use crate::plan::{IdMapPlan, Plan};
use crate::stack::Stack;
use crate::step::{Step, describe};
use crate::sys::signal::{KernelSigaction, SIG_SETMASK};
use crate::sys::{self, Errno};
use crate::{Error, Namespaces};

/// Applies `plan` to this process and execs its program; returns only on
/// failure. From the first change on, a failure leaves the process partly
/// changed (as std's `exec` does); the error names the step.
pub(crate) fn exec(plan: Plan) -> Error {
    if let Err(refused) = check(&plan) {
        return refused;
    }
    let os_error = |step, errno, context: &str| Error::os(&plan.program.name, step, errno, context);

    let full = !0u64;
    let mut mask = 0u64;
    if let Err(errno) = sys::signal::rt_sigprocmask(SIG_SETMASK, Some(&full), Some(&mut mask)) {
        return os_error(Step::SignalMask, errno, "rt_sigprocmask()");
    }
    let mut sigpipe = KernelSigaction::DEFAULT;
    let _ = sys::signal::rt_sigaction(g::SIGPIPE as i32, None, Some(&mut sigpipe));
    let restore = || {
        let _ = sys::signal::rt_sigaction(g::SIGPIPE as i32, Some(&sigpipe), None);
        let _ = sys::signal::rt_sigprocmask(SIG_SETMASK, Some(&mask), None);
    };

    if let Err(error) = enter_namespaces(&plan).and_then(|()| enter_cgroup(&plan)) {
        restore();
        return error;
    }

    // check() refused pipes: no pipe ends.
    let fd_moves = FdMove::for_plan(&plan, [-1; 3]);
    let ctx = ChildCtx {
        plan: &plan,
        envp: plan.program.envp(),
        fd_moves: &fd_moves,
        report_fd: -1,
        sync_pipe: (-1, -1),
        // The parent-death signal is about our parent.
        parent_pid: sys::process::getppid(),
        init_image_fd: -1,
    };
    let mut start = ChildStart::new(&ctx);
    start.parent_mask = mask;
    // Our handlers stay: exec resets them, and a failed exec must leave
    // them as they were.
    start.handlers_cleared = true;
    start.in_place = true;
    let failure = crate::child::run_in_place(&start);

    restore();
    let error = os_error(
        failure.step,
        failure.errno,
        &describe(&plan, failure.step, failure.detail),
    );
    if start.fds_moved.get() {
        // The fd step dup3'd onto target numbers, which may have been the
        // plan's own copies: closing them now could close what a target
        // holds. (The other fds were only marked close-on-exec.) Before
        // that step, the plan's fds are its own and are closed with it.
        core::mem::forget(plan);
    }
    error
}

/// What `exec` cannot do in place.
fn check(plan: &Plan) -> Result<(), Error> {
    let refuse = |why: &str| Err(Error::invalid(&plan.program.name, why));
    let ns = &plan.namespaces;
    let only_children = Namespaces::PID | Namespaces::TIME;
    if ns.pid1_init || Namespaces::from_bits_retain(ns.clone_flags).intersects(only_children) {
        return refuse(
            "exec() cannot give the calling process a new PID or time namespace (only its \
             children would be in it) or a pid-1 init: use spawn()",
        );
    }
    if plan.fds.piped.iter().any(|&p| p) {
        return refuse("exec() has no parent to read or write a piped stdio stream");
    }
    if plan.process.create_pidfd {
        return refuse("exec() starts no child to give a pidfd for");
    }
    if ns.id_maps.as_ref().is_some_and(|m| m.helpers.is_some()) {
        return refuse(
            "exec() cannot run newuidmap/newgidmap for itself (they must run outside the new \
             user namespace before it exists): use spawn()",
        );
    }
    Ok(())
}

/// `unshare` of the plan's namespaces, then the id maps.
fn enter_namespaces(plan: &Plan) -> Result<(), Error> {
    let flags = plan.namespaces.clone_flags;
    if flags == 0 {
        return Ok(());
    }
    let name = &*plan.program.name;
    let unshare = || {
        sys::ns::unshare(flags).map_err(|errno| {
            let hint = if errno == linux_raw_sys::errno::EINVAL as Errno
                && flags & u64::from(g::CLONE_NEWUSER) != 0
            {
                " (a new user namespace needs a single-threaded process)"
            } else {
                ""
            };
            Error::os(
                name,
                Step::Clone,
                errno,
                format!("unshare({flags:#x}){hint}"),
            )
        })
    };
    match &plan.namespaces.id_maps {
        None => unshare(),
        Some(maps) if own_maps(maps) => {
            unshare().and_then(|()| crate::spawn::write_id_map_files(name, "/proc/self", maps))
        }
        Some(maps) => with_map_writer(name, maps, unshare),
    }
}

/// Whether the maps are ones a process may write for itself once in the
/// new user namespace (the kernel's rule: one id, its own; for gids, with
/// setgroups denied first), as util-linux `unshare -r` does: then no
/// helper child is needed.
fn own_maps(maps: &IdMapPlan) -> bool {
    let own = |text: &[u8], id: u32| {
        let mut lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        let (Some(line), None) = (lines.next(), lines.next()) else {
            return text.is_empty();
        };
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let number = |field: &[u8]| core::str::from_utf8(field).ok()?.parse::<u32>().ok();
        matches!(&fields[..], [_, outside, count]
            if number(outside) == Some(id) && number(count) == Some(1))
    };
    maps.helpers.is_none()
        && own(&maps.uid_map, rustix::process::geteuid().as_raw())
        && (maps.gid_map.is_empty()
            || (maps.setgroups == Some("deny")
                && own(&maps.gid_map, rustix::process::getegid().as_raw())))
}

/// Starts a child that waits in our current (parent) user namespace, runs
/// `unshare`, then lets the child write our id maps and reaps it.
fn with_map_writer(
    name: &str,
    maps: &IdMapPlan,
    unshare: impl FnOnce() -> Result<(), Error>,
) -> Result<(), Error> {
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    let path = |file: &str| CString::new(format!("/proc/{pid}/{file}")).unwrap_or_default();
    let (setgroups, uid_map, gid_map) = (path("setgroups"), path("uid_map"), path("gid_map"));
    let pipe = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::os(name, Step::Pipe, e.raw_os_error(), "pipe() for the id maps"))?;
    let writer = MapWriter {
        release: (pipe.0.as_raw_fd(), pipe.1.as_raw_fd()),
        files: [
            (&setgroups, maps.setgroups.map_or(&[][..], str::as_bytes)),
            (&uid_map, &maps.uid_map),
            (&gid_map, &maps.gid_map),
        ],
        failed: Cell::new(None),
    };
    let stack =
        Stack::take().map_err(|errno| Error::os(name, Step::Stack, errno, "mmap() of a stack"))?;
    // SAFETY: the stack is ours and free; `writer` lives in this frame
    // until the child has been reaped below (every path reaps it), and the
    // child only reads it and sets its cell. Every signal is blocked, so the
    // child, which never unblocks them, runs none of our handlers.
    let child = unsafe {
        sys::clone::clone_vm_on(
            stack.top() as usize,
            map_writer_entry,
            (&raw const writer).cast(),
        )
    };
    let child = match child {
        Ok(child) => child,
        Err(errno) => {
            stack.recycle();
            return Err(Error::os(
                name,
                Step::Clone,
                errno,
                "clone() of the id-map writer",
            ));
        }
    };
    let unshared = unshare();
    // Release it (a byte: write the maps) or let it go (end-of-file).
    if unshared.is_ok() {
        let _ = rustix::io::write(&pipe.1, &[1]);
    }
    drop(pipe);
    crate::launch::reap(child);
    stack.recycle();
    unshared?;
    match writer.failed.get() {
        None => Ok(()),
        Some((index, errno)) => {
            let (step, file) = [
                (Step::SetgroupsPolicy, &setgroups),
                (Step::UidMap, &uid_map),
                (Step::GidMap, &gid_map),
            ]
            .get(index)
            .copied()
            .unwrap_or((Step::UidMap, &uid_map));
            Err(Error::os(
                name,
                step,
                errno,
                format!("writing {}", file.to_string_lossy()),
            ))
        }
    }
}

/// Moves this process into the plan's cgroup (what `CLONE_INTO_CGROUP`
/// does for a child).
fn enter_cgroup(plan: &Plan) -> Result<(), Error> {
    let Some(dir) = plan.namespaces.cgroup else {
        return Ok(());
    };
    // SAFETY: the plan owns this fd for as long as it lives.
    let dir = unsafe { BorrowedFd::borrow_raw(dir) };
    let procs = rustix::fs::openat(
        dir,
        c"cgroup.procs",
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    );
    procs
        .and_then(|fd| rustix::io::write(&fd, b"0"))
        .map(drop)
        .map_err(|e| {
            Error::os(
                &plan.program.name,
                Step::Clone,
                e.raw_os_error(),
                "writing 0 to cgroup.procs",
            )
        })
}
