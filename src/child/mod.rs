//! The child routine: from the clone to `execve`, on its own stack, sharing
//! the parent's memory.
//!
//! Rules (docs/design.md, "The child routine's rules"; "trap N" below
//! are the numbered kernel traps there): no allocation, no panic (no
//! indexing, no unchecked arithmetic, no `unwrap`), no libc, no TLS, no
//! locks, never return. The routine reads the prepared
//! [`Plan`](crate::plan::Plan) and this
//! spawn's [`ChildStart`], makes raw system calls through [`crate::sys`],
//! and either execs or writes one `(step, errno, detail)` report and calls
//! `exit_group(127)`.
//!
//! [`setup_and_exec`] reads top to bottom in the order the kernel needs,
//! the order docs/design.md lists and explains; each block is one or a few
//! [`Step`]s, and every failure goes to the single [`report`] exit.
//!
//! Every function the entry points reach outside this file is `#[inline]`
//! (the syscall wrappers, the helpers of the submodules): it is then
//! compiled into the entry points' own codegen unit, where the compiler can
//! see that it never unwinds, and so adds no abort-on-unwind landing pad to
//! the `extern "C"` entries (`.ci/no-panic.sh` checks the machine code).

mod fds;
mod format;
mod init;
pub(crate) mod maps;
mod mounts;
mod steps;

use core::convert::Infallible;
use core::ffi::{CStr, c_void};
use core::mem::MaybeUninit;

use linux_raw_sys::errno;
use linux_raw_sys::general as g;

use crate::contract::{ChildStart, FAILURE_EXIT, StepFailure};
use crate::plan::ProgramPlan;
use crate::step::Step;
use crate::sys::exec::{CStrPtrs, Envp};
use crate::sys::signal::KernelSigaction;
use crate::sys::{self, Errno};

/// `map_err` helper: tags a raw errno with the step that failed.
fn at(step: Step, detail: u32) -> impl FnOnce(Errno) -> StepFailure {
    move |errno| StepFailure {
        step,
        errno,
        detail,
    }
}

/// Entry point called by the clone trampoline on the child's stack.
pub(crate) extern "C" fn child_entry(arg: *const c_void) -> ! {
    // SAFETY: `launch` passes a pointer to a live `ChildStart` that it keeps
    // borrowed, unmoved and unmodified until this child is done with the
    // parent's memory (clone returned under vfork, or the report pipe
    // reached end-of-file).
    let start = unsafe { &*arg.cast::<ChildStart<'_>>() };
    start.ran.set(true);
    let mut report_fd = start.ctx.report_fd;
    let Err(failure) = run(start, &mut report_fd);
    report(start, report_fd, failure)
}

/// Entry point of the program's process when a pid-1 init starts it.
pub(super) extern "C" fn program_entry(arg: *const c_void) -> ! {
    // SAFETY: `init` passes the same live `ChildStart` it got; the caller
    // keeps it alive until this process has exec'd or exited (see `init`).
    let start = unsafe { &*arg.cast::<ChildStart<'_>>() };
    let mut report_fd = start.ctx.report_fd;
    // Our parent is the init, pid 1 of the new PID namespace.
    let Err(failure) =
        init::wait_for_init_exec(start).and_then(|()| setup_and_exec(start, &mut report_fd, 1));
    report(start, report_fd, failure)
}

/// Leaves the report in the start block and, when there is a report pipe,
/// writes it there in one `write` (a pipe write of ≤ PIPE_BUF bytes is
/// atomic); then exits. Nothing can be done if the write fails.
fn report(start: &ChildStart<'_>, report_fd: i32, failure: StepFailure) -> ! {
    start.report.set(Some(failure));
    if report_fd >= 0 {
        let _ = sys::fd::write(report_fd, &failure.to_bytes());
    }
    sys::process::exit_group(FAILURE_EXIT)
}

/// The child routine's steps run in the calling process itself, for
/// [`Command::exec`](crate::Command::exec): returns only on failure. The
/// caller has blocked every signal and set `start` up as `launch` would
/// (no report pipe: the failure is returned).
pub(crate) fn run_in_place(start: &ChildStart<'_>) -> StepFailure {
    let mut no_report_fd = -1;
    let Err(failure) = run(start, &mut no_report_fd);
    failure
}

/// What every child does first, then either the pid-1 init or the program.
fn run(start: &ChildStart<'_>, report_fd: &mut i32) -> Result<Infallible, StepFailure> {
    let ctx = start.ctx;
    let plan = ctx.plan;

    // Cloned with CLONE_FILES (close_other_fds on the vfork path), we still
    // use the parent's fd table: before touching any fd, take a table of our
    // own holding only the fds below `unshare_fds_from` (every one we use
    // is), so that the kernel copies a few fds, not all of the parent's.
    if start.unshare_fds_from > 0 {
        sys::fd::close_range(
            start.unshare_fds_from,
            u32::MAX,
            sys::fd::CLOSE_RANGE_UNSHARE,
        )
        .map_err(at(Step::CloseFds, start.unshare_fds_from))?;
    }

    // Signal dispositions. Handlers belong to the parent's code and must not
    // run in the child (trap 1); clone3's CLONE_CLEAR_SIGHAND usually did
    // this already. SIG_IGN survives, as with fork+exec, unless asked
    // otherwise; SIGPIPE does not: Rust programs ignore it, programs we
    // start expect the default.
    // In the calling process (exec()) the handlers count as cleared: execve
    // resets them, and a failed exec must leave the caller's in place.
    let reset_caught = !start.handlers_cleared;
    let reset_ignored = plan.process.reset_ignored_signals;
    if reset_caught || reset_ignored {
        steps::reset_signal_handlers(reset_caught, reset_ignored)?;
    }
    sys::signal::rt_sigaction(g::SIGPIPE as i32, Some(&KernelSigaction::DEFAULT), None)
        .map_err(at(Step::SignalReset, g::SIGPIPE))?;

    // Wait until the parent has written our id maps (and so until we have
    // the uid we will act as). Our copy of the write end goes first, or a
    // parent that gives up could not make us see EOF.
    let (sync_read, _) = ctx.sync_pipe;
    if sync_read >= 0 {
        match steps::wait_on_pipe(ctx.sync_pipe) {
            Ok(true) => {}
            // The parent gave up.
            Ok(false) => return Err(at(Step::WaitParent, 0)(errno::ECANCELED as Errno)),
            Err(e) => return Err(at(Step::WaitParent, 0)(e)),
        }
        let _ = sys::fd::close(sync_read);
    }

    if plan.namespaces.pid1_init {
        return init::init(start);
    }
    setup_and_exec(start, report_fd, ctx.parent_pid)
}

/// Everything from the session to exec, in the process that becomes the
/// program. `expected_ppid` is what `getppid()` must return while the
/// spawner is alive.
fn setup_and_exec(
    start: &ChildStart<'_>,
    report_fd: &mut i32,
    expected_ppid: i32,
) -> Result<Infallible, StepFailure> {
    let ctx = start.ctx;
    let plan = ctx.plan;
    let process = &plan.process;
    let security = &plan.security;
    let fs = &plan.filesystem;

    // Session, process group, terminal. The whole mask is still blocked, so
    // TIOCSPGRP from a background group raises no SIGTTOU.
    if process.setsid || (process.setsid_if_tty && fds::stdio_is_tty(ctx.fd_moves)) {
        sys::process::setsid().map_err(at(Step::Setsid, 0))?;
    }
    if let Some(pgid) = process.process_group {
        sys::process::setpgid(0, pgid).map_err(at(Step::SetPgid, pgid as u32))?;
    }
    if process.no_controlling_tty {
        // Before any root change: /dev/tty must be the real one.
        steps::detach_controlling_tty().map_err(at(Step::NoControllingTty, 0))?;
    }
    if let Some(tty) = process.foreground {
        let pgrp = sys::process::getpgrp().map_err(at(Step::Foreground, 0))?;
        sys::tty::tcsetpgrp(tty, pgrp).map_err(at(Step::Foreground, pgrp as u32))?;
    }

    // oom_score_adj goes through /proc/self, so it is written before any
    // namespace join or root change can hide the real /proc. (Under a pid-1
    // init, the init wrote it and we inherited it: trap 13.)
    if let Some(text) = process.oom_score_adj.as_ref()
        && !plan.namespaces.pid1_init
    {
        steps::write_file(c"/proc/self/oom_score_adj", text).map_err(at(Step::OomScoreAdj, 0))?;
    }

    // Join namespaces, the user namespace first (prepare() sorted them): it
    // grants the capabilities the other joins need.
    for &(fd, kind) in &plan.namespaces.joins {
        sys::ns::setns(fd, kind).map_err(at(Step::JoinNamespace, kind as u32))?;
    }

    // In our new user namespace, allow one more user namespace (the nested
    // one of lock_mounts below) and none after it. Written now, while the
    // caller's /proc is still there.
    if plan.namespaces.disable_userns {
        steps::write_file(c"/proc/sys/user/max_user_namespaces", b"1")
            .map_err(at(Step::DisableUserNamespaces, 0))?;
    }

    // A new mount namespace starts as a copy whose mounts may still
    // propagate to the host: make / private (or as asked) before mounting
    // anything (trap 12).
    if let Some(flags) = fs.propagation {
        sys::fs::mount(None, c"/", None, flags, None).map_err(at(Step::MountPropagation, flags))?;
    }

    // UTS and network namespace set-up.
    if let Some(name) = &plan.namespaces.hostname {
        sys::ns::sethostname(name).map_err(at(Step::Hostname, 0))?;
    }
    if let Some(name) = &plan.namespaces.domainname {
        sys::ns::setdomainname(name).map_err(at(Step::Domainname, 0))?;
    }
    if plan.namespaces.loopback_up {
        sys::ns::loopback_up().map_err(at(Step::LoopbackUp, 0))?;
    }

    // Mounts, and what they create, in the order given, before the root
    // changes (with an empty root, in it: the root changes around them).
    if fs.builds() {
        mounts::build(fs)?;
    }

    // The root change.
    if let Some(dir) = &fs.chroot {
        sys::fs::chroot(dir).map_err(at(Step::Chroot, 0))?;
        sys::fs::chdir(c"/").map_err(at(Step::Chroot, 0))?;
    }
    if let Some(new_root) = &fs.pivot_root {
        mounts::pivot_root(new_root).map_err(at(Step::PivotRoot, 0))?;
    }

    // Resources, still with the caller's privileges. A lower NOFILE would
    // starve the fd shuffle below of free numbers: raise now what is
    // raised, lower after the fds are in place (lowering needs no
    // privilege, so dropping ids in between does not matter).
    let nofile_after_fds = steps::set_rlimits(&process.rlimits)?;
    if let Some(persona) = process.personality {
        sys::process::personality(persona).map_err(at(Step::Personality, persona))?;
    }
    if process.new_session_keyring {
        sys::process::join_new_session_keyring().map_err(at(Step::SessionKeyring, 0))?;
    }

    // Bounding set and securebits need CAP_SETPCAP, which a uid change
    // takes away, and securebits decide what that change does to the
    // capability sets: both come first.
    steps::drop_bounding_set(security.bounding_drop)?;
    if let Some(bits) = security.securebits {
        sys::creds::set_securebits(bits).map_err(at(Step::SecureBits, bits))?;
    }

    // Credentials: groups, then gid, then uid (each needs the privilege the
    // next one drops). Raw per-thread syscalls: libc's would broadcast to
    // threads that do not exist here (trap 2).
    let creds = &plan.credentials;
    // SECBIT_KEEP_CAPS_LOCKED: KEEPCAPS can no longer be set.
    let keep_caps_locked = security.securebits.is_some_and(|b| b & (1 << 5) != 0);
    // With lock_mounts, uid and gid are the ids of the nested namespace,
    // mapped there (see below), not set here.
    let set_ids = !fs.lock_mounts;
    if security.wants_caps() && creds.uid.is_some() && set_ids && !keep_caps_locked {
        // Keep the permitted set across the uid change so the requested
        // sets can be installed afterwards (exec clears KEEPCAPS).
        sys::creds::set_keep_caps().map_err(at(Step::KeepCaps, 0))?;
    }
    if let Some(groups) = &creds.groups {
        sys::creds::setgroups(groups).map_err(at(Step::SetGroups, groups.len() as u32))?;
    } else if creds.clear_groups {
        // Drop the caller's groups when we may (as std does for root).
        match sys::creds::setgroups(&[]) {
            Err(errno) if errno as u32 != errno::EPERM => {
                return Err(at(Step::SetGroups, 0)(errno));
            }
            _ => {}
        }
    }
    if let Some(gid) = creds.gid.filter(|_| set_ids) {
        sys::creds::setresgid(gid).map_err(at(Step::SetGid, gid))?;
    }
    if let Some(uid) = creds.uid.filter(|_| set_ids) {
        sys::creds::setresuid(uid).map_err(at(Step::SetUid, uid))?;
    }

    // Lock the mounts: a user namespace of our own (mapping just our ids,
    // as the final uid and gid) with a copy of the mount namespace makes
    // every mount made so far come from a more privileged namespace, so the
    // kernel locks them together and the program cannot unmount one to see
    // what lies below. The new namespace resets securebits and the bounding
    // set: set again.
    if fs.lock_mounts {
        steps::lock_mounts(creds.uid, creds.gid).map_err(at(Step::LockMounts, 0))?;
        if plan.namespaces.disable_userns && sys::ns::unshare(u64::from(g::CLONE_NEWUSER)).is_ok() {
            // The limit did not hold: we are in yet another namespace.
            return Err(at(Step::DisableUserNamespaces, 1)(errno::EEXIST as Errno));
        }
        steps::drop_bounding_set(security.bounding_drop)?;
        if let Some(bits) = security.securebits {
            sys::creds::set_securebits(bits).map_err(at(Step::SecureBits, bits))?;
        }
    }

    // Capability sets, then ambient capabilities: each ambient one must be
    // permitted and inheritable before it can be raised.
    steps::set_capabilities(security)?;

    // Working directory, after the uid change so that it is checked with
    // the new user's permissions. In an empty root without one, the first
    // candidate that exists there, and the environment naming it in PWD.
    let mut envp = ctx.envp;
    if let Some(dir) = &plan.program.cwd {
        sys::fs::chdir(dir).map_err(at(Step::Chdir, 0))?;
    } else if !plan.program.cwd_fallbacks.is_empty() {
        let mut found = Err(errno::ENOENT as Errno);
        for (dir, env) in &plan.program.cwd_fallbacks {
            found = sys::fs::chdir(dir);
            if found.is_ok() {
                envp = Envp::of(env);
                break;
            }
        }
        found.map_err(at(Step::Chdir, 0))?;
    }

    if security.no_new_privs {
        sys::process::set_no_new_privs().map_err(at(Step::NoNewPrivs, 0))?;
    }

    // Landlock, as soon as the kernel allows it (after no_new_privs, which
    // prepare() set with it): everything from here on, pre_exec hooks
    // included, runs confined; none of our own steps below opens a path
    // but the exec. The ruleset fd is close-on-exec and used before the
    // fd shuffle can overwrite its number.
    if let Some(ruleset) = security.landlock {
        sys::landlock::restrict_self(ruleset).map_err(at(Step::Landlock, 0))?;
    }

    // Parent-death signal. Set after the uid change, which clears it; then
    // catch a parent that died before the prctl (trap 4): we would have
    // been reparented, so getppid() no longer matches. The signal stays
    // pending under the blocked mask and is delivered when the final mask is
    // set just before exec.
    if process.pdeathsig != 0 {
        sys::process::set_pdeathsig(process.pdeathsig)
            .map_err(at(Step::ParentDeathSignal, process.pdeathsig as u32))?;
        if sys::process::getppid() != expected_ppid {
            let _ = sys::process::kill(sys::process::getpid(), process.pdeathsig);
        }
    }

    // fds (trap 7). The report pipe and the program's fd (Command::from_fd)
    // must outlive the shuffle: one that sits on a target number would be
    // overwritten there, so it is copied aside first (a failure names the
    // target it was in the way of). Then the mappings, in two passes, then
    // closing the rest if asked.
    let targets = &plan.fds.targets;
    let mut program_fd = plan.program.fd.unwrap_or(-1);
    start.fds_moved.set(true);
    for fd in [&mut *report_fd, &mut program_fd] {
        let number = *fd;
        if number >= 0 && fds::is_target(targets, number) {
            *fd = fds::set_aside(number, plan.fds.max_target, targets)
                .map_err(at(Step::FdMapping, number as u32))?;
        }
    }
    fds::shuffle(ctx.fd_moves, plan.fds.max_target, targets)?;
    if plan.fds.close_others {
        // In the calling process (exec()), marked close-on-exec instead:
        // a failed exec must leave the caller's fds as they were.
        let how = if start.in_place {
            fds::Closing::AtExec
        } else {
            fds::Closing::Close
        };
        fds::close_others(&plan.fds.keep, [*report_fd, program_fd], how)
            .map_err(at(Step::CloseFds, 0))?;
    }
    if let Some((soft, hard)) = nofile_after_fds {
        sys::process::prlimit(g::RLIMIT_NOFILE, soft, hard)
            .map_err(at(Step::Rlimit, g::RLIMIT_NOFILE))?;
    }

    // Controlling terminal, with the fds in their final places.
    if let Some(fd) = process.controlling_tty {
        sys::tty::set_controlling_tty(fd).map_err(at(Step::ControllingTty, fd as u32))?;
    }

    // The final signal mask, as late as possible: from here on the
    // program's own signals may arrive.
    let mask = process.signal_mask.unwrap_or(start.parent_mask);
    sys::signal::rt_sigprocmask(sys::signal::SIG_SETMASK, Some(&mask), None)
        .map_err(at(Step::SignalMask, 0))?;

    // pre_exec hooks: user code, in a child with memory of its own (the
    // spawn was a fork), with the program's signal mask, as std runs them.
    #[cfg(feature = "std")]
    if let Some(pre_exec) = &process.pre_exec {
        let outcome = (pre_exec.run)(pre_exec);
        if outcome.errno != 0 {
            return Err(at(Step::PreExec, outcome.index)(outcome.errno));
        }
    }

    if process.ptrace_traceme {
        sys::process::ptrace_traceme().map_err(at(Step::PtraceTraceme, 0))?;
    }

    // seccomp last, so the filter cannot block our own setup: after it only
    // execve (and, on failure, write and exit_group) remain.
    if let Some((filter, flags)) = &security.seccomp {
        sys::seccomp::set_filter(filter, *flags).map_err(at(Step::Seccomp, filter.len() as u32))?;
    }

    Err(exec(&plan.program, envp, program_fd))
}

/// Arguments the shell fallback passes at most (on the stack).
const SHELL_ARGV_MAX: usize = 512;

/// What `execvp` does (and std's `Command` with it) for a file the kernel
/// cannot run, such as a script without `#!`: runs it with `/bin/sh`.
/// Returns the shell's exec error, or `ENOEXEC` when the arguments do not
/// fit. Not inlined: its frame only exists on this rare path.
#[inline(never)]
fn exec_with_shell(path: &CStr, program: &ProgramPlan, envp: Envp<'_>) -> Errno {
    let mut slots = [MaybeUninit::uninit(); SHELL_ARGV_MAX];
    match CStrPtrs::shell_script(&mut slots, c"/bin/sh", path, &program.argv) {
        Some(argv) => sys::exec::execve(c"/bin/sh", argv, envp),
        None => errno::ENOEXEC as Errno,
    }
}

/// Whether `path` is a symlink whose contents are `contents` (a
/// `Mount::symlink` finding its own link already there). Not inlined: its
/// buffer is only on the stack on this path; and here, not in `mounts`,
/// so that it stays in the entry points' codegen unit (see the header).
#[inline(never)]
fn is_symlink_to(path: &CStr, contents: &CStr) -> bool {
    let mut buf = [MaybeUninit::<u8>::uninit(); crate::plan::SYMLINK_MAX];
    let Ok(now) = sys::fs::readlink(path, &mut buf) else {
        return false;
    };
    let wanted = contents.to_bytes();
    if now.len() != wanted.len() {
        return false;
    }
    let mut same = true;
    for (a, b) in now.iter().zip(wanted) {
        same &= a == b;
    }
    same
}

/// Runs the program: the file `program_fd` is open on (when >= 0), or each
/// prepared path in turn, with execvpe's rules. Returns only on failure.
fn exec(program: &ProgramPlan, envp: Envp<'_>, program_fd: i32) -> StepFailure {
    let argv = CStrPtrs::of(&program.argv);
    if program_fd >= 0 {
        if program.fd_survives_exec
            && let Err(errno) = sys::fd::clear_cloexec(program_fd)
        {
            return at(Step::Exec, 0)(errno);
        }
        let mut errno = sys::exec::execveat_fd(program_fd, argv, envp);
        if errno as u32 == errno::ENOSYS {
            // No execveat (qemu-user; kernels before 3.19): exec the fd's
            // /proc link, as glibc's fexecve does.
            let mut buf = [0u8; 32];
            let path = format::decimal_cstr(&mut buf, b"/proc/self/fd/", program_fd as u32);
            errno = sys::exec::execve(path, argv, envp);
        }
        return at(Step::Exec, 0)(errno);
    }
    // ENOENT-like errors move on to the next PATH entry; EACCES is
    // remembered and reported if nothing else works; anything else (ENOEXEC,
    // E2BIG, ETXTBSY, ...) stops the search.
    let mut last = at(Step::Exec, 0)(errno::ENOENT as Errno);
    let mut denied: Option<StepFailure> = None;
    let mut index = 0u32;
    for path in &program.exec_paths {
        let mut errno = sys::exec::execve(path, argv, envp);
        if errno as u32 == errno::ENOEXEC {
            errno = exec_with_shell(path, program, envp);
        }
        let failure = at(Step::Exec, index)(errno);
        match errno as u32 {
            errno::ENOENT | errno::ENOTDIR | errno::ESTALE | errno::ENODEV | errno::ETIMEDOUT => {
                last = failure
            }
            errno::EACCES => {
                if denied.is_none() {
                    denied = Some(failure);
                }
            }
            _ => return failure,
        }
        index = index.wrapping_add(1);
    }
    denied.unwrap_or(last)
}
