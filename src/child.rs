//! The child routine: from the clone to `execve`, on its own stack, sharing
//! the parent's memory.
//!
//! Rules (DESIGN.md, non-negotiable): no allocation, no panic (no indexing,
//! no unchecked arithmetic, no `unwrap`), no libc, no TLS, no locks, never
//! return. The routine reads the prepared [`Plan`] and the per-spawn
//! [`ChildCtx`], makes raw system calls through [`crate::sys`], and either
//! execs or writes one `(step, errno, detail)` report to the close-on-exec
//! pipe and calls `exit_group(127)`.
//!
//! It reads top to bottom in the order the kernel needs; each block is one
//! [`Step`], and every failure goes to the single [`report`] exit.

use core::cell::Cell;
use core::convert::Infallible;
use core::ffi::{CStr, c_void};
use core::mem::MaybeUninit;

use linux_raw_sys::errno;
use linux_raw_sys::general as g;
use linux_raw_sys::prctl as pr;

use crate::error::Step;
use crate::plan::Plan;
use crate::sys::{self, Envp, Errno, KernelSigaction};

/// Size of a failure report: step (u32), errno (i32), detail (u32).
pub(crate) const REPORT_LEN: usize = 12;

/// Exit status of a child that failed before exec (like a shell's
/// "command not found").
const FAILURE_EXIT: i32 = 127;

/// One fd move for this spawn: `dst` becomes a copy of `src`. `src` is
/// rewritten by the child when it moves the source out of the way.
pub(crate) struct FdMove {
    pub dst: i32,
    pub src: Cell<i32>,
}

/// Per-spawn data the child reads, in the parent's frame.
pub(crate) struct ChildCtx<'a> {
    pub plan: &'a Plan,
    /// The environment to exec with.
    pub envp: Envp<'a>,
    /// The plan's fd mappings with this spawn's pipe fds filled in.
    pub fd_moves: &'a [FdMove],
    /// Write end of the report pipe (close-on-exec).
    pub report_fd: i32,
    /// Non-zero when the child shares the parent's fd table (`CLONE_FILES`):
    /// the lowest fd it does not need, where its own copy of the table ends.
    pub unshare_fds_from: u32,
    /// The parent's pid, for the parent-death re-check.
    pub parent_pid: i32,
    /// The parent's signal mask before the clone (set by `launch`).
    pub parent_mask: u64,
    /// Whether `clone3(CLONE_CLEAR_SIGHAND)` already reset the handlers
    /// (set by `launch`).
    pub handlers_cleared: bool,
    /// The sync pipe `(read, write)` the child waits on while the parent
    /// writes its id maps, or `(-1, -1)`.
    pub sync_pipe: (i32, i32),
    /// Where the pid-1 init starts the program's stack (set by `launch`).
    pub program_stack_top: usize,
    /// The sealed memfd holding the pid-1 init's executable, or -1.
    pub init_image_fd: i32,
    /// The pid-1 init's release pipe `(read, write)`: made by the init, the
    /// program waits on it for the init's exec.
    pub init_release: Cell<(i32, i32)>,
    /// Whether the caller ignored `SIGCHLD` (the init resets it; the
    /// program gets it back).
    pub sigchld_ignored: Cell<bool>,
    /// Set by the child as soon as it runs: seen by the parent, it proves
    /// that the child's writes reach the parent's memory.
    pub child_ran: Cell<bool>,
    /// The failure report `(step, errno, detail)`, also written here for a
    /// vfork parent that has no report pipe; step 0 means none.
    pub shared_report: Cell<(u32, i32, u32)>,
}

struct Failure {
    step: Step,
    errno: Errno,
    detail: u32,
}

/// `map_err` helper: tags a raw errno with the step that failed.
fn at(step: Step, detail: u32) -> impl FnOnce(Errno) -> Failure {
    move |errno| Failure {
        step,
        errno,
        detail,
    }
}

/// Entry point called by the clone trampoline on the child's stack.
pub(crate) extern "C" fn child_entry(arg: *const c_void) -> ! {
    // SAFETY: `clone::launch` passes a pointer to a live `ChildCtx` that it
    // keeps borrowed, unmoved and unmodified until this child has exec'd or
    // exited (it reads the report pipe to EOF first).
    let ctx = unsafe { &*arg.cast::<ChildCtx<'_>>() };
    ctx.child_ran.set(true);
    let mut report_fd = ctx.report_fd;
    let Err(failure) = run(ctx, &mut report_fd);
    report(ctx, report_fd, &failure)
}

/// Leaves the report in the shared context and, when there is a report
/// pipe, writes it there in one `write` (a pipe write of ≤ PIPE_BUF bytes is
/// atomic); then exits. Nothing can be done if the write fails.
fn report(ctx: &ChildCtx<'_>, report_fd: i32, failure: &Failure) -> ! {
    ctx.shared_report
        .set((failure.step as u32, failure.errno, failure.detail));
    if report_fd < 0 {
        sys::exit_group(FAILURE_EXIT);
    }
    let [s0, s1, s2, s3] = (failure.step as u32).to_ne_bytes();
    let [e0, e1, e2, e3] = failure.errno.to_ne_bytes();
    let [d0, d1, d2, d3] = failure.detail.to_ne_bytes();
    let buf: [u8; REPORT_LEN] = [s0, s1, s2, s3, e0, e1, e2, e3, d0, d1, d2, d3];
    let _ = sys::write(report_fd, &buf);
    sys::exit_group(FAILURE_EXIT)
}

fn run(ctx: &ChildCtx<'_>, report_fd: &mut i32) -> Result<Infallible, Failure> {
    let plan = ctx.plan;

    // 0. Cloned with CLONE_FILES (close_other_fds on the vfork path), we
    // still use the parent's fd table: before touching any fd, take a table
    // of our own holding only the fds below `unshare_fds_from` (every one we
    // use is), so that the kernel copies a few fds, not all of the parent's.
    if ctx.unshare_fds_from > 0 {
        sys::close_range(ctx.unshare_fds_from, u32::MAX, sys::CLOSE_RANGE_UNSHARE)
            .map_err(at(Step::CloseFds, ctx.unshare_fds_from))?;
    }

    // 1. Signal dispositions. Handlers belong to the parent's code and must
    // not run in the child (ANCHORS trap 1); clone3's CLONE_CLEAR_SIGHAND
    // usually did this already. SIG_IGN survives, as with fork+exec, unless
    // asked otherwise; SIGPIPE does not: Rust programs ignore it, programs
    // we start expect the default.
    if !ctx.handlers_cleared || plan.reset_ignored_signals {
        reset_signal_handlers(plan.reset_ignored_signals)?;
    }
    sys::rt_sigaction(g::SIGPIPE as i32, Some(&KernelSigaction::DEFAULT), None)
        .map_err(at(Step::SignalReset, g::SIGPIPE))?;

    // 2. Wait until the parent has written our id maps (and so until we
    // have the uid we will act as). Our copy of the write end goes first, or
    // a parent that gives up could not make us see EOF.
    let (sync_read, sync_write) = ctx.sync_pipe;
    if sync_read >= 0 {
        let _ = sys::close(sync_write);
        let mut byte = [0u8; 1];
        loop {
            match sys::read(sync_read, &mut byte) {
                Ok(1) => break,
                Ok(_) => return Err(at(Step::WaitParent, 0)(errno::ECANCELED as Errno)),
                Err(e) if e as u32 == errno::EINTR => {}
                Err(e) => return Err(at(Step::WaitParent, 0)(e)),
            }
        }
        let _ = sys::close(sync_read);
    }

    if plan.pid1_init {
        return init(ctx);
    }
    setup_and_exec(ctx, report_fd, ctx.parent_pid)
}

/// Pid 1 of a new PID namespace: starts the program as its child, then
/// execs the init program of [`crate::init_image`], which releases the
/// program, reaps every orphan, forwards termination signals and exits
/// with the program's status.
///
/// The order is what keeps the caller safe: until the init execs it shares
/// the caller's memory and holds a copy of the caller's fd table, and the
/// program — root of the same user namespace, maybe — could ptrace it or
/// write its `/proc/1/mem`. So the program's process waits (in our code,
/// before any step) until the init has exec'd: it reads a pipe whose write
/// end only the init holds, close-on-exec, so end-of-file arrives exactly
/// when the init's exec has replaced its address space. Before that exec
/// the init closes every fd but the close-on-exec ones it needs, so it
/// comes out holding none.
fn init(ctx: &ChildCtx<'_>) -> Result<Infallible, Failure> {
    let plan = ctx.plan;
    // The parent-death signal applies to the init (it survives exec): when
    // pid 1 dies, the kernel kills the whole namespace, the program included.
    if plan.pdeathsig != 0 {
        sys::prctl(pr::PR_SET_PDEATHSIG, plan.pdeathsig as usize, 0, 0, 0)
            .map_err(at(Step::ParentDeathSignal, plan.pdeathsig as u32))?;
    }
    // A SIGCHLD the caller ignores is inherited, and makes the kernel reap
    // our children itself: the init would never see the program end. The
    // program gets the caller's disposition back.
    let mut old = KernelSigaction::DEFAULT;
    sys::rt_sigaction(
        g::SIGCHLD as i32,
        Some(&KernelSigaction::DEFAULT),
        Some(&mut old),
    )
    .map_err(at(Step::SignalReset, g::SIGCHLD))?;
    ctx.sigchld_ignored.set(old.handler == sys::SIG_IGN);
    // Written here rather than by the program: the program shares the
    // caller's memory without being a vfork child, and the kernel would copy
    // its write to the caller. We are a vfork child (prepare() refuses the
    // id-map case, where we are not), and the program inherits our value.
    if let Some(text) = &plan.oom_score_adj {
        write_file(c"/proc/self/oom_score_adj", text).map_err(at(Step::OomScoreAdj, 0))?;
    }

    let (release_read, release_write) = sys::pipe_cloexec().map_err(at(Step::Init, INIT_PIPE))?;
    ctx.init_release.set((release_read, release_write));
    // SAFETY: the lower half of our stack is unused (we run near the top of
    // the upper half), and the caller keeps the stack and `ctx` alive until
    // the report pipe reaches end-of-file, which needs the program's copy of
    // its write end closed too: the program uses neither after its exec or
    // exit.
    let program = unsafe {
        crate::clone::clone_vm_on(
            ctx.program_stack_top,
            program_entry,
            (ctx as *const ChildCtx<'_>).cast(),
        )
    }
    .map_err(at(Step::Init, INIT_CLONE))?;

    let failure = exec_init_image(ctx, program, release_write);
    // The program must not run without its init (and our exec failed, so
    // it is still waiting): take it down before we report and exit.
    let _ = sys::kill(program, g::SIGKILL as i32);
    Err(failure)
}

/// What the pid-1 init was doing when it failed ([`Step::Init`]'s detail).
pub(crate) const INIT_PIPE: u32 = 1;
pub(crate) const INIT_CLONE: u32 = 2;
pub(crate) const INIT_CLOSE_FDS: u32 = 3;
pub(crate) const INIT_EXEC: u32 = 4;
pub(crate) const INIT_WAIT: u32 = 5;

/// Drops every fd that would survive exec, then execs the init image as
/// `clonexec-init PID`. Returns only on failure.
fn exec_init_image(ctx: &ChildCtx<'_>, program: i32, release_write: i32) -> Failure {
    // The three fds still needed close at exec; everything else (our copy
    // of the caller's table) goes now. The program took its own copy.
    let mut keep = [ctx.report_fd, ctx.init_image_fd, release_write];
    sort3(&mut keep);
    if let Err(errno) = close_other_fds(&keep, [-1, -1]) {
        return at(Step::Init, INIT_CLOSE_FDS)(errno);
    }
    let mut pid_buf = [0u8; 32];
    let pid = decimal_cstr(&mut pid_buf, b"", program as u32);
    let mut slots = [core::ptr::null(); 3];
    let argv = sys::CStrPtrs::pair(&mut slots, c"clonexec-init", pid);
    let mut errno = sys::execveat_fd(ctx.init_image_fd, argv, sys::CStrPtrs::EMPTY);
    if errno as u32 == errno::ENOSYS {
        // No execveat (kernels before 3.19): the fd's /proc link.
        let mut path_buf = [0u8; 32];
        let path = decimal_cstr(&mut path_buf, b"/proc/self/fd/", ctx.init_image_fd as u32);
        errno = sys::execve(path, argv, sys::CStrPtrs::EMPTY);
    }
    at(Step::Init, INIT_EXEC)(errno)
}

/// Sorts three numbers in place, without indexing.
fn sort3(v: &mut [i32; 3]) {
    let [a, b, c] = *v;
    let (a, b) = (a.min(b), a.max(b));
    let (b, c) = (b.min(c), b.max(c));
    let (a, b) = (a.min(b), a.max(b));
    *v = [a, b, c];
}

/// Entry point of the program's process when a pid-1 init starts it.
extern "C" fn program_entry(arg: *const c_void) -> ! {
    // SAFETY: `init` passes the same live `ChildCtx` it got; the caller
    // keeps it alive until this process has exec'd or exited (see `init`).
    let ctx = unsafe { &*arg.cast::<ChildCtx<'_>>() };
    let mut report_fd = ctx.report_fd;
    // Our parent is the init, pid 1 of the new PID namespace.
    let Err(failure) =
        wait_for_init_exec(ctx).and_then(|()| setup_and_exec(ctx, &mut report_fd, 1));
    report(ctx, report_fd, &failure)
}

/// Waits until the init has exec'd its image (end-of-file on the release
/// pipe: the init's copy of the write end is close-on-exec), then restores
/// an ignored SIGCHLD.
fn wait_for_init_exec(ctx: &ChildCtx<'_>) -> Result<(), Failure> {
    let (read, write) = ctx.init_release.get();
    let _ = sys::close(write);
    let mut byte = [0u8; 1];
    loop {
        match sys::read(read, &mut byte) {
            Ok(0) => break,
            // Nobody writes to the pipe.
            Ok(_) => return Err(at(Step::Init, INIT_WAIT)(errno::EPROTO as Errno)),
            Err(e) if e as u32 == errno::EINTR => {}
            Err(e) => return Err(at(Step::Init, INIT_WAIT)(e)),
        }
    }
    let _ = sys::close(read);
    if ctx.sigchld_ignored.get() && !ctx.plan.reset_ignored_signals {
        sys::rt_sigaction(g::SIGCHLD as i32, Some(&KernelSigaction::IGNORE), None)
            .map_err(at(Step::SignalReset, g::SIGCHLD))?;
    }
    Ok(())
}

/// Steps 3 to 19: everything from the session to exec, in the process that
/// becomes the program. `expected_ppid` is what `getppid()` must return
/// while the spawner is alive.
fn setup_and_exec(
    ctx: &ChildCtx<'_>,
    report_fd: &mut i32,
    expected_ppid: i32,
) -> Result<Infallible, Failure> {
    let plan = ctx.plan;

    // 3. Session, process group, foreground. The whole mask is still
    // blocked, so TIOCSPGRP from a background group raises no SIGTTOU.
    if plan.setsid || (plan.setsid_if_tty && stdio_is_tty(ctx.fd_moves)) {
        sys::setsid().map_err(at(Step::Setsid, 0))?;
    }
    if let Some(pgid) = plan.process_group {
        sys::setpgid(0, pgid).map_err(at(Step::SetPgid, pgid as u32))?;
    }
    if plan.no_controlling_tty {
        // Before any root change: /dev/tty must be the real one. ENXIO:
        // there is no controlling terminal to leave.
        match sys::open(c"/dev/tty", sys::O_RDWR_NOCTTY_CLOEXEC) {
            Ok(tty) => {
                let result = sys::detach_controlling_tty(tty);
                let _ = sys::close(tty);
                result.map_err(at(Step::NoControllingTty, 0))?;
            }
            Err(errno) if errno as u32 == errno::ENXIO => {}
            Err(errno) => return Err(at(Step::NoControllingTty, 0)(errno)),
        }
    }
    if let Some(tty) = plan.foreground {
        let pgrp = sys::getpgrp().map_err(at(Step::Foreground, 0))?;
        sys::tcsetpgrp(tty, pgrp).map_err(at(Step::Foreground, pgrp as u32))?;
    }

    // oom_score_adj goes through /proc/self, so it is written before any
    // namespace join or root change can hide the real /proc. (Under a pid-1
    // init, the init wrote it and we inherited it.)
    if let Some(text) = plan.oom_score_adj.as_ref().filter(|_| !plan.pid1_init) {
        write_file(c"/proc/self/oom_score_adj", text).map_err(at(Step::OomScoreAdj, 0))?;
    }

    // 4. Join namespaces, the user namespace first (prepare() sorted them):
    // it grants the capabilities the other joins need.
    for &(fd, kind) in &plan.joins {
        sys::setns(fd, kind).map_err(at(Step::JoinNamespace, kind as u32))?;
    }

    // 5. A new mount namespace starts as a copy whose mounts may still
    // propagate to the host: make / private (or as asked) before mounting
    // anything (ANCHORS trap 12).
    if let Some(flags) = plan.propagation {
        sys::mount(None, c"/", None, flags, None).map_err(at(Step::MountPropagation, flags))?;
    }

    // 6. UTS and network namespace set-up.
    if let Some(name) = &plan.hostname {
        sys::sethostname(name).map_err(at(Step::Hostname, 0))?;
    }
    if let Some(name) = &plan.domainname {
        sys::setdomainname(name).map_err(at(Step::Domainname, 0))?;
    }
    if plan.loopback_up {
        sys::loopback_up().map_err(at(Step::LoopbackUp, 0))?;
    }

    // Mounts, in the order given, before the root changes.
    let mut index = 0u32;
    for m in &plan.mounts {
        sys::mount(
            m.source.as_deref(),
            &m.target,
            m.fstype.as_deref(),
            m.flags,
            m.data.as_deref(),
        )
        .map_err(at(Step::Mount, index))?;
        if m.remount_read_only {
            // A bind mount ignores MS_RDONLY; remount it, keeping the
            // flags the kernel locks in a user namespace.
            let kept = sys::statfs_flags(&m.target).map_err(at(Step::Mount, index))?;
            let flags = g::MS_REMOUNT | g::MS_BIND | g::MS_RDONLY | mount_flags_of(kept);
            sys::mount(None, &m.target, None, flags, None).map_err(at(Step::Mount, index))?;
        }
        index = index.wrapping_add(1);
    }

    // 7. The root change.
    if let Some(dir) = &plan.chroot {
        sys::chroot(dir).map_err(at(Step::Chroot, 0))?;
        sys::chdir(c"/").map_err(at(Step::Chroot, 0))?;
    }
    if let Some(new_root) = &plan.pivot_root {
        pivot_root(new_root).map_err(at(Step::PivotRoot, 0))?;
    }

    // 8. Resources, still with the caller's privileges. A lower NOFILE
    // would starve the fd shuffle (step 14) of free numbers: raise now
    // what is raised, lower after the fds are in place (lowering needs no
    // privilege, so dropping ids in between does not matter).
    let mut nofile_after_fds = None;
    for &(resource, soft, hard) in &plan.rlimits {
        let (soft_now, hard_now) = if resource == g::RLIMIT_NOFILE {
            let (cur_soft, cur_hard) =
                sys::prlimit_get(resource).map_err(at(Step::Rlimit, resource))?;
            let now = (soft.max(cur_soft), hard.max(cur_hard));
            if now != (soft, hard) {
                nofile_after_fds = Some((soft, hard));
            }
            now
        } else {
            (soft, hard)
        };
        sys::prlimit(resource, soft_now, hard_now).map_err(at(Step::Rlimit, resource))?;
    }
    if let Some(persona) = plan.personality {
        sys::personality(persona).map_err(at(Step::Personality, persona))?;
    }
    if plan.new_session_keyring {
        sys::join_new_session_keyring().map_err(at(Step::SessionKeyring, 0))?;
    }

    // 9. Bounding set and securebits need CAP_SETPCAP, which a uid change
    // takes away, and securebits decide what that change does to the
    // capability sets: both come first.
    drop_bounding_set(plan.bounding_drop)?;
    if let Some(bits) = plan.securebits {
        sys::prctl(pr::PR_SET_SECUREBITS, bits as usize, 0, 0, 0)
            .map_err(at(Step::SecureBits, bits))?;
    }

    // Credentials: groups, then gid, then uid (each needs the privilege
    // the next one drops). Raw per-thread syscalls: libc's would broadcast
    // to threads that do not exist here (ANCHORS trap 2).
    let creds = &plan.credentials;
    let wants_caps = plan.capabilities.is_some() || plan.ambient_caps != 0;
    let keep_caps_locked = plan.securebits.is_some_and(|b| b & (1 << 5) != 0);
    if wants_caps && creds.uid.is_some() && !keep_caps_locked {
        // Keep the permitted set across the uid change so the requested
        // sets can be installed afterwards (exec clears KEEPCAPS).
        sys::prctl(pr::PR_SET_KEEPCAPS, 1, 0, 0, 0).map_err(at(Step::KeepCaps, 0))?;
    }
    if let Some(groups) = &creds.groups {
        sys::setgroups(groups).map_err(at(Step::SetGroups, groups.len() as u32))?;
    } else if creds.clear_groups {
        // Drop the caller's groups when we may (as std does for root).
        match sys::setgroups(&[]) {
            Err(errno) if errno as u32 != errno::EPERM => {
                return Err(at(Step::SetGroups, 0)(errno));
            }
            _ => {}
        }
    }
    if let Some(gid) = creds.gid {
        sys::setresgid(gid).map_err(at(Step::SetGid, gid))?;
    }
    if let Some(uid) = creds.uid {
        sys::setresuid(uid).map_err(at(Step::SetUid, uid))?;
    }

    // Lock the mounts: a user namespace of our own (mapping just our final
    // ids) with a copy of the mount namespace makes every mount made so far
    // come from a more privileged namespace, so the kernel locks them
    // together and the program cannot unmount one to see what lies below.
    // The new namespace resets securebits and the bounding set: set again.
    if plan.lock_mounts {
        lock_mounts().map_err(at(Step::LockMounts, 0))?;
        drop_bounding_set(plan.bounding_drop)?;
        if let Some(bits) = plan.securebits {
            sys::prctl(pr::PR_SET_SECUREBITS, bits as usize, 0, 0, 0)
                .map_err(at(Step::SecureBits, bits))?;
        }
    }

    // 10. Capability sets, then ambient capabilities: each ambient one
    // must be permitted and inheritable before it can be raised.
    if let Some([permitted, inheritable, effective]) = plan.capabilities {
        sys::capset(&sys::CapSets {
            effective,
            permitted,
            inheritable,
        })
        .map_err(at(Step::Capabilities, 0))?;
    } else if plan.ambient_caps != 0 {
        let mut sets = sys::capget().map_err(at(Step::Capabilities, 0))?;
        sets.inheritable |= plan.ambient_caps;
        sys::capset(&sets).map_err(at(Step::Capabilities, 0))?;
    }
    let mut cap = 0u32;
    while cap < 64 {
        if plan.ambient_caps & 1u64.wrapping_shl(cap) != 0 {
            sys::prctl(
                pr::PR_CAP_AMBIENT,
                pr::PR_CAP_AMBIENT_RAISE as usize,
                cap as usize,
                0,
                0,
            )
            .map_err(at(Step::AmbientCaps, cap))?;
        }
        cap = cap.wrapping_add(1);
    }

    // 11. Working directory, after the uid change so that it is checked
    // with the new user's permissions.
    if let Some(dir) = &plan.cwd {
        sys::chdir(dir).map_err(at(Step::Chdir, 0))?;
    }

    // 12.
    if plan.no_new_privs {
        sys::prctl(pr::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0).map_err(at(Step::NoNewPrivs, 0))?;
    }

    // 13. Parent-death signal. Set after the uid change, which clears it;
    // then catch a parent that died before the prctl (ANCHORS trap 4): we
    // would have been reparented, so getppid() no longer matches. The
    // signal stays pending under the blocked mask and is delivered when the
    // final mask is set just before exec.
    if plan.pdeathsig != 0 {
        sys::prctl(pr::PR_SET_PDEATHSIG, plan.pdeathsig as usize, 0, 0, 0)
            .map_err(at(Step::ParentDeathSignal, plan.pdeathsig as u32))?;
        if sys::getppid() != expected_ppid {
            let _ = sys::kill(sys::getpid(), plan.pdeathsig);
        }
    }

    // 14. fds. The report pipe and the program's fd (Command::from_fd)
    // must outlive the shuffle: one that sits on a target number would be
    // overwritten there, so it is copied aside first (a failure names the
    // target it was in the way of). Then the mappings, in two passes, then
    // closing the rest if asked.
    let mut program_fd = plan.program_fd.unwrap_or(-1);
    for fd in [&mut *report_fd, &mut program_fd] {
        let number = *fd;
        if number >= 0 && is_target(&plan.targets, number) {
            *fd = set_aside(number, plan.max_target, &plan.targets)
                .map_err(at(Step::FdMapping, number as u32))?;
        }
    }
    shuffle_fds(ctx.fd_moves, plan.max_target, &plan.targets)?;
    if plan.close_other_fds {
        close_other_fds(&plan.keep_fds, [*report_fd, program_fd]).map_err(at(Step::CloseFds, 0))?;
    }
    if let Some((soft, hard)) = nofile_after_fds {
        sys::prlimit(g::RLIMIT_NOFILE, soft, hard).map_err(at(Step::Rlimit, g::RLIMIT_NOFILE))?;
    }

    // 15. Controlling terminal, with the fds in their final places.
    if let Some(fd) = plan.controlling_tty {
        sys::set_controlling_tty(fd).map_err(at(Step::ControllingTty, fd as u32))?;
    }

    // 16. The final signal mask, as late as possible: from here on the
    // program's own signals may arrive.
    let mask = plan.signal_mask.unwrap_or(ctx.parent_mask);
    sys::rt_sigprocmask(sys::SIG_SETMASK, Some(&mask), None).map_err(at(Step::SignalMask, 0))?;

    // 17.
    if plan.ptrace_traceme {
        sys::ptrace_traceme().map_err(at(Step::PtraceTraceme, 0))?;
    }

    // 18. seccomp last, so the filter cannot block our own setup: after it
    // only execve (and, on failure, write and exit_group) remain.
    if let Some((filter, flags)) = &plan.seccomp {
        sys::seccomp_set_filter(filter, *flags).map_err(at(Step::Seccomp, filter.len() as u32))?;
    }

    // 19. exec.
    Err(exec(plan, ctx.envp, program_fd))
}

/// Makes `new_root` the root: bind it onto itself (pivot_root wants a mount
/// point), enter it, pivot with the old root stacked on top of the new one
/// (`pivot_root(".", ".")`), then detach the old root so nothing of it
/// stays reachable.
fn pivot_root(new_root: &core::ffi::CStr) -> Result<(), Errno> {
    sys::mount(Some(new_root), new_root, None, g::MS_BIND | g::MS_REC, None)?;
    sys::chdir(new_root)?;
    sys::pivot_root(c".", c".")?;
    sys::umount2(c".", g::MNT_DETACH)?;
    sys::chdir(c"/")
}

/// The `MS_*` flags matching a mount's `ST_*` flags (from statfs), for a
/// remount that must keep them.
fn mount_flags_of(st_flags: u64) -> u32 {
    // (ST_* bit, MS_* flag): nosuid, nodev, noexec, synchronous,
    // mandlock, noatime, nodiratime, relatime.
    const MAP: [(u64, u32); 8] = [
        (2, g::MS_NOSUID),
        (4, g::MS_NODEV),
        (8, g::MS_NOEXEC),
        (16, g::MS_SYNCHRONOUS),
        (64, g::MS_MANDLOCK),
        (1024, g::MS_NOATIME),
        (2048, g::MS_NODIRATIME),
        (4096, g::MS_RELATIME),
    ];
    let mut flags = 0;
    for (st, ms) in MAP {
        if st_flags & st != 0 {
            flags |= ms;
        }
    }
    flags
}

/// Drops every capability of `mask` from the bounding set.
fn drop_bounding_set(mask: u64) -> Result<(), Failure> {
    let mut cap = 0u32;
    while cap < 64 {
        if mask & 1u64.wrapping_shl(cap) != 0 {
            sys::prctl(pr::PR_CAPBSET_DROP, cap as usize, 0, 0, 0)
                .map_err(at(Step::BoundingSet, cap))?;
        }
        cap = cap.wrapping_add(1);
    }
    Ok(())
}

/// Enters a new user and mount namespace mapping only our current uid and
/// gid onto themselves (what an unprivileged process may write for itself).
fn lock_mounts() -> Result<(), Errno> {
    let (uid, gid) = (sys::getuid(), sys::getgid());
    sys::unshare(u64::from(g::CLONE_NEWUSER | g::CLONE_NEWNS))?;
    write_file(c"/proc/self/setgroups", b"deny")?;
    let mut line = [0u8; 32];
    write_file(c"/proc/self/uid_map", identity_map_line(&mut line, uid))?;
    write_file(c"/proc/self/gid_map", identity_map_line(&mut line, gid))
}

/// Appends bytes to a fixed buffer without allocating or panicking; what
/// does not fit is dropped.
struct ByteWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> ByteWriter<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        ByteWriter { buf, len: 0 }
    }

    fn put(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = byte;
                self.len = self.len.wrapping_add(1);
            }
        }
    }

    /// `n` in decimal.
    fn put_decimal(&mut self, mut n: u32) {
        let mut digits = [0u8; 10]; // u32::MAX has 10
        let mut first = digits.len();
        loop {
            first = first.wrapping_sub(1);
            if let Some(slot) = digits.get_mut(first) {
                *slot = b'0'.wrapping_add((n % 10) as u8);
            }
            n /= 10;
            if n == 0 || first == 0 {
                break;
            }
        }
        self.put(digits.get(first..).unwrap_or(&[]));
    }

    fn written(self) -> &'a [u8] {
        let buf: &'a [u8] = self.buf;
        buf.get(..self.len).unwrap_or(&[])
    }
}

/// Formats `"ID ID 1\n"` into `buf` without allocating.
fn identity_map_line(buf: &mut [u8; 32], id: u32) -> &[u8] {
    let mut w = ByteWriter::new(buf);
    w.put_decimal(id);
    w.put(b" ");
    w.put_decimal(id);
    w.put(b" 1\n");
    w.written()
}

/// `prefix` followed by `n` in decimal, as a C string in `buf`, without
/// allocating (what does not fit is cut, and an empty string is returned if
/// even the NUL does not fit or the prefix holds a NUL).
fn decimal_cstr<'b>(buf: &'b mut [u8; 32], prefix: &[u8], n: u32) -> &'b CStr {
    let mut w = ByteWriter::new(buf);
    w.put(prefix);
    w.put_decimal(n);
    w.put(b"\0");
    let bytes = w.written();
    match bytes.iter().position(|&b| b == 0) {
        // SAFETY: the only NUL is the last byte. (`CStr::from_bytes_until_nul`
        // is an out-of-line call the compiler cannot prove free of
        // unwinding, which no-panic.sh refuses.)
        Some(nul) if nul.wrapping_add(1) == bytes.len() => unsafe {
            CStr::from_bytes_with_nul_unchecked(bytes)
        },
        _ => c"",
    }
}

/// Whether the child's stdin, stdout or stderr (as they will be after the
/// fd shuffle) is a terminal.
fn stdio_is_tty(moves: &[FdMove]) -> bool {
    let mut stream = 0;
    while stream < 3 {
        let fd = moves
            .iter()
            .find(|m| m.dst == stream)
            .map_or(stream, |m| m.src.get());
        if sys::is_tty(fd) {
            return true;
        }
        stream = stream.wrapping_add(1);
    }
    false
}

/// Writes `text` to an existing file (a /proc knob) in one `write`.
fn write_file(path: &core::ffi::CStr, text: &[u8]) -> Result<(), Errno> {
    let fd = sys::open(path, sys::O_WRONLY_CLOEXEC)?;
    let result = sys::write(fd, text);
    let _ = sys::close(fd);
    result.map(drop)
}

/// Resets every caught signal to `SIG_DFL` (clone without
/// `CLONE_CLEAR_SIGHAND`), and ignored ones too when `ignored` is set.
fn reset_signal_handlers(ignored: bool) -> Result<(), Failure> {
    let mut sig = 1;
    while sig <= sys::MAX_SIGNAL {
        let mut old = KernelSigaction::DEFAULT;
        // SIGKILL/SIGSTOP (and signals the kernel refuses) answer EINVAL:
        // they have no handler to reset.
        if sys::rt_sigaction(sig, None, Some(&mut old)).is_ok()
            && old.handler != sys::SIG_DFL
            && (ignored || old.handler != sys::SIG_IGN)
        {
            sys::rt_sigaction(sig, Some(&KernelSigaction::DEFAULT), None)
                .map_err(at(Step::SignalReset, sig as u32))?;
        }
        sig = sig.wrapping_add(1);
    }
    Ok(())
}

/// Whether `fd` is one of `targets` (sorted), by binary search. Written
/// out with `get` and wrapping arithmetic: `slice::binary_search` keeps an
/// unwinding path in debug builds.
fn is_target(targets: &[i32], fd: i32) -> bool {
    // The answer, if any, lies in `low..high`.
    let (mut low, mut high) = (0usize, targets.len());
    while low < high {
        // high - low >= 1 and low + (high - low) / 2 < high: no overflow.
        let mid = low.wrapping_add(high.wrapping_sub(low) / 2);
        match targets.get(mid) {
            Some(&t) if t < fd => low = mid.wrapping_add(1),
            Some(&t) if t > fd => high = mid,
            Some(_) => return true,
            None => return false,
        }
    }
    false
}

/// Copies `fd`, close-on-exec (the copy dies at exec), to a number that no
/// dup3 of the shuffle will overwrite: above every target, or, when the fd
/// limit leaves no room there (a target may be its last number), at the
/// lowest free number that is not a target.
fn set_aside(fd: i32, max_target: i32, targets: &[i32]) -> Result<i32, Errno> {
    match sys::fcntl(
        fd,
        sys::F_DUPFD_CLOEXEC,
        max_target.wrapping_add(1) as usize,
    ) {
        // EINVAL: max_target + 1 is not below RLIMIT_NOFILE; EMFILE: every
        // number from there up to it is taken.
        Err(e) if e as u32 == errno::EINVAL || e as u32 == errno::EMFILE => {}
        other => return other.map(|copy| copy as i32),
    }
    let mut from = 0usize;
    loop {
        let copy = sys::fcntl(fd, sys::F_DUPFD_CLOEXEC, from)? as i32;
        if !is_target(targets, copy) {
            return Ok(copy);
        }
        // The number was free, so its mapping's source is elsewhere and
        // pass 2 dup3s over this copy. Left open, it keeps every later
        // search from landing here again: each target is landed on at
        // most once per shuffle.
        from = (copy as usize).wrapping_add(1);
    }
}

/// Makes every `dst` a copy of its `src`, whatever the overlaps (swaps,
/// cycles, a source that is another move's target). `targets` are the
/// `dst`s, sorted.
fn shuffle_fds(moves: &[FdMove], max_target: i32, targets: &[i32]) -> Result<(), Failure> {
    // Pass 1: pass 2 dup3s onto target numbers only, so a source is in
    // danger only where it sits on another move's target: copy those aside.
    for m in moves {
        let src = m.src.get();
        if src != m.dst && is_target(targets, src) {
            let moved =
                set_aside(src, max_target, targets).map_err(at(Step::FdMapping, m.dst as u32))?;
            m.src.set(moved);
        }
    }
    // Pass 2: now no dup3 can clobber a source still needed.
    for m in moves {
        let src = m.src.get();
        if src == m.dst {
            // The fd is already in place but close-on-exec; dup2(fd, fd)
            // would not clear the flag (glibc BZ 23640), so clear it here.
            sys::fcntl(src, sys::F_SETFD, 0).map_err(at(Step::FdMapping, m.dst as u32))?;
        } else {
            sys::dup3(src, m.dst, 0).map_err(at(Step::FdMapping, m.dst as u32))?;
        }
    }
    Ok(())
}

/// Closes every fd except `keep` (sorted) and the report pipe.
fn close_other_fds(keep: &[i32], extra: [i32; 2]) -> Result<(), Errno> {
    match close_gaps(keep, extra, |first, last| sys::close_range(first, last, 0)) {
        // close_range arrived in 5.9: scan /proc/self/fd instead.
        Err(errno) if errno as u32 == errno::ENOSYS => close_listed_fds(keep, extra),
        other => other,
    }
}

/// Calls `close(first, last)` for every maximal range of fds that is in
/// neither `keep` (sorted) nor `extra` (the report pipe and the program's fd;
/// -1: none), up to `u32::MAX`.
fn close_gaps(
    keep: &[i32],
    extra: [i32; 2],
    mut close: impl FnMut(u32, u32) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let [a, b] = extra;
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut extras = [low, high]
        .into_iter()
        .filter(|&fd| fd >= 0)
        .map(|fd| fd as u32)
        .peekable();
    let mut next = 0u32; // lowest fd not yet kept or closed
    let mut keep_one = |fd: u32, next: &mut u32| -> Result<(), Errno> {
        if fd > *next {
            close(*next, fd.wrapping_sub(1))?;
        }
        if fd >= *next {
            *next = fd.wrapping_add(1);
        }
        Ok(())
    };
    for &fd in keep {
        let fd = fd as u32;
        while let Some(e) = extras.next_if(|&e| e < fd) {
            keep_one(e, &mut next)?;
        }
        keep_one(fd, &mut next)?;
    }
    for e in extras {
        keep_one(e, &mut next)?;
    }
    if next != 0 {
        close(next, u32::MAX)?;
    }
    Ok(())
}

/// The pre-5.9 way: read `/proc/self/fd` with getdents64 into a stack
/// buffer and close what is not kept. Never loops to RLIMIT_NOFILE
/// (ANCHORS trap 10).
fn close_listed_fds(keep: &[i32], extra: [i32; 2]) -> Result<(), Errno> {
    let dir = sys::open(c"/proc/self/fd", sys::O_RDONLY_DIRECTORY_CLOEXEC)?;
    let mut buf = [MaybeUninit::<u8>::uninit(); 2048];
    loop {
        let mut records = match sys::getdents64(dir, &mut buf) {
            Ok([]) => break,
            Ok(filled) => filled,
            Err(errno) => {
                let _ = sys::close(dir);
                return Err(errno);
            }
        };
        // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name\0
        while let Some(reclen) = records.get(16..18) {
            let reclen = usize::from(u16::from_ne_bytes([
                reclen.first().copied().unwrap_or(0),
                reclen.get(1).copied().unwrap_or(0),
            ]));
            let name = records.get(19..reclen).unwrap_or(&[]);
            if let Some(fd) = parse_fd(name)
                && fd != dir
                && !extra.contains(&fd)
                && !keep.contains(&fd)
            {
                let _ = sys::close(fd);
            }
            records = match records.get(reclen..) {
                Some(rest) if reclen > 0 => rest,
                _ => &[],
            };
        }
    }
    let _ = sys::close(dir);
    Ok(())
}

/// Parses a NUL-terminated decimal fd name ("." and ".." give `None`).
fn parse_fd(name: &[u8]) -> Option<i32> {
    let mut value: i32 = 0;
    let mut digits = 0u32;
    for &byte in name {
        match byte {
            0 => break,
            b'0'..=b'9' => {
                value = value
                    .checked_mul(10)?
                    .checked_add(i32::from(byte.wrapping_sub(b'0')))?;
                digits = digits.wrapping_add(1);
            }
            _ => return None,
        }
    }
    (digits > 0).then_some(value)
}

/// Runs the program: the file `program_fd` is open on (when >= 0), or each
/// prepared path in turn, with execvpe's rules. Returns only on failure.
fn exec(plan: &Plan, envp: Envp<'_>, program_fd: i32) -> Failure {
    if program_fd >= 0 {
        let mut errno = sys::execveat_fd(program_fd, sys::CStrPtrs::of(&plan.argv), envp);
        if errno as u32 == errno::ENOSYS {
            // No execveat (qemu-user; kernels before 3.19): exec the fd's
            // /proc link, as glibc's fexecve does.
            let mut buf = [0u8; 32];
            let path = decimal_cstr(&mut buf, b"/proc/self/fd/", program_fd as u32);
            errno = sys::execve(path, sys::CStrPtrs::of(&plan.argv), envp);
        }
        return Failure {
            step: Step::Exec,
            errno,
            detail: 0,
        };
    }
    // ENOENT-like errors move on to the next PATH entry; EACCES is
    // remembered and reported if nothing else works; anything else (ENOEXEC,
    // E2BIG, ETXTBSY, ...) stops the search.
    let mut last = Failure {
        step: Step::Exec,
        errno: errno::ENOENT as Errno,
        detail: 0,
    };
    let mut denied: Option<Failure> = None;
    let mut index = 0u32;
    for path in &plan.exec_paths {
        let errno = sys::execve(path, sys::CStrPtrs::of(&plan.argv), envp) as u32;
        let failure = Failure {
            step: Step::Exec,
            errno: errno as Errno,
            detail: index,
        };
        match errno {
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn gaps(keep: &[i32], report: i32) -> Vec<(u32, u32)> {
        gaps2(keep, [report, -1])
    }

    fn gaps2(keep: &[i32], extra: [i32; 2]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        close_gaps(keep, extra, |a, b| {
            out.push((a, b));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn close_gaps_skips_kept_fds_and_the_report_pipe() {
        assert_eq!(gaps(&[0, 1, 2], 3), [(4, u32::MAX)]);
        assert_eq!(gaps(&[0, 1, 2], 7), [(3, 6), (8, u32::MAX)]);
        assert_eq!(
            gaps(&[0, 1, 2, 5, 9], 12),
            [(3, 4), (6, 8), (10, 11), (13, u32::MAX)]
        );
        assert_eq!(gaps(&[0, 1, 2, 3], 4), [(5, u32::MAX)]);
        // No report pipe (vfork with shared memory).
        assert_eq!(gaps(&[0, 1, 2], -1), [(3, u32::MAX)]);
        assert_eq!(gaps(&[0, 1, 2, 7], -1), [(3, 6), (8, u32::MAX)]);
    }

    #[test]
    fn close_gaps_keeps_both_extra_fds_in_any_order() {
        let expected = [(3, 4), (6, 8), (10, 11), (13, u32::MAX)];
        assert_eq!(gaps2(&[0, 1, 2, 9], [5, 12]), expected);
        assert_eq!(gaps2(&[0, 1, 2, 9], [12, 5]), expected);
        assert_eq!(gaps2(&[0, 1, 2], [-1, 4]), [(3, 3), (5, u32::MAX)]);
        assert_eq!(gaps2(&[0, 1, 2], [20, 21]), [(3, 19), (22, u32::MAX)]);
        // An extra fd that is also kept changes nothing.
        assert_eq!(gaps2(&[0, 1, 2, 5], [5, -1]), [(3, 4), (6, u32::MAX)]);
    }

    #[test]
    fn decimal_cstr_formats_without_allocating() {
        let mut buf = [0u8; 32];
        let proc_fd = b"/proc/self/fd/";
        assert_eq!(decimal_cstr(&mut buf, proc_fd, 0), c"/proc/self/fd/0");
        assert_eq!(decimal_cstr(&mut buf, proc_fd, 1234), c"/proc/self/fd/1234");
        assert_eq!(
            decimal_cstr(&mut buf, proc_fd, u32::MAX),
            c"/proc/self/fd/4294967295"
        );
        assert_eq!(decimal_cstr(&mut buf, b"", 2), c"2");
        // Too long, or a NUL in the prefix: the empty string.
        assert_eq!(decimal_cstr(&mut buf, &[b'x'; 30], 123), c"");
        assert_eq!(decimal_cstr(&mut buf, b"a\0b", 1), c"");
    }

    #[test]
    fn identity_map_line_formats_without_allocating() {
        let mut buf = [0u8; 32];
        assert_eq!(identity_map_line(&mut buf, 0), b"0 0 1\n");
        assert_eq!(identity_map_line(&mut buf, 65534), b"65534 65534 1\n");
        assert_eq!(
            identity_map_line(&mut buf, u32::MAX),
            b"4294967295 4294967295 1\n"
        );
    }

    #[test]
    fn is_target_searches_the_sorted_targets() {
        assert!(!is_target(&[], 0));
        let targets = [0, 1, 2, 9, 63];
        for fd in targets {
            assert!(is_target(&targets, fd), "{fd}");
        }
        for fd in [-1, 3, 8, 10, 62, 64, i32::MAX, i32::MIN] {
            assert!(!is_target(&targets, fd), "{fd}");
        }
        // Against a linear search, for every length up to 9 and every
        // number around the ones present.
        let all: Vec<i32> = (0..9).map(|i| i * 3 + 1).collect();
        for len in 0..=all.len() {
            let targets = &all[..len];
            for fd in -1..30 {
                assert_eq!(
                    is_target(targets, fd),
                    targets.contains(&fd),
                    "{targets:?} {fd}"
                );
            }
        }
    }

    /// `fd`'s inode, to tell our copies from other fds.
    fn inode(fd: i32) -> Option<u64> {
        // SAFETY: the fd is only borrowed for the fstat.
        let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
        rustix::fs::fstat(fd).ok().map(|st| st.st_ino)
    }

    #[test]
    fn set_aside_copies_above_the_targets_when_it_can() {
        let (read, _write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        let fd = rustix::fd::AsRawFd::as_raw_fd(&read);
        let copy = set_aside(fd, 9, &[5, 9]).unwrap();
        assert!(copy >= 10, "{copy}");
        assert_eq!(inode(copy), inode(fd));
        let _ = sys::close(copy);
    }

    #[test]
    fn set_aside_below_the_fd_limit_skips_the_targets() {
        let (read, _write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        let fd = rustix::fd::AsRawFd::as_raw_fd(&read);
        let ino = inode(fd);
        // The lowest free numbers now (other tests' threads may take some
        // meanwhile: only what holds whatever they do is checked).
        let mut free: Vec<i32> = (0..3)
            .map(|_| sys::fcntl(fd, sys::F_DUPFD_CLOEXEC, 0).unwrap() as i32)
            .collect();
        for &n in &free {
            let _ = sys::close(n);
        }
        free.truncate(2);
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap();
        // max_target + 1 at the limit: no room above the targets.
        let copy = set_aside(fd, limit as i32 - 1, &free).unwrap();
        assert!(!free.contains(&copy), "{copy} is a target: {free:?}");
        assert!((copy as u64) < limit);
        assert_eq!(inode(copy), ino);
        let _ = sys::close(copy);
        // Copies left on target numbers are ours to close.
        for n in free {
            if inode(n) == ino {
                let _ = sys::close(n);
            }
        }
    }

    #[test]
    fn parse_fd_reads_decimal_names_only() {
        assert_eq!(parse_fd(b"17\0"), Some(17));
        assert_eq!(parse_fd(b".\0"), None);
        assert_eq!(parse_fd(b"..\0"), None);
        assert_eq!(parse_fd(b"99999999999\0"), None);
    }
}
