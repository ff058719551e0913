//! The pid-1 init, before it execs its own program ([`crate::init_image`]),
//! and the program's process until the init has exec'd.

use core::convert::Infallible;

use linux_raw_sys::errno;
use linux_raw_sys::general as g;

use super::{at, fds, format, program_entry, steps};
use crate::contract::{ChildStart, StepFailure};
use crate::step::{InitStage, Step};
use crate::sys::exec::CStrPtrs;
use crate::sys::signal::KernelSigaction;
use crate::sys::{self, Errno};

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
#[inline]
pub(super) fn init(start: &ChildStart<'_>) -> Result<Infallible, StepFailure> {
    let ctx = start.ctx;
    let plan = ctx.plan;
    // The parent-death signal applies to the init (it survives exec): when
    // pid 1 dies, the kernel kills the whole namespace, the program included.
    let pdeathsig = plan.process.pdeathsig;
    if pdeathsig != 0 {
        sys::process::set_pdeathsig(pdeathsig)
            .map_err(at(Step::ParentDeathSignal, pdeathsig as u32))?;
    }
    // A SIGCHLD the caller ignores is inherited, and makes the kernel reap
    // our children itself: the init would never see the program end. The
    // program gets the caller's disposition back.
    let mut old = KernelSigaction::DEFAULT;
    sys::signal::rt_sigaction(
        g::SIGCHLD as i32,
        Some(&KernelSigaction::DEFAULT),
        Some(&mut old),
    )
    .map_err(at(Step::SignalReset, g::SIGCHLD))?;
    start
        .sigchld_ignored
        .set(old.handler == sys::signal::SIG_IGN);
    // Written here rather than by the program: the program shares the
    // caller's memory without being a vfork child, and the kernel would copy
    // its write to the caller. We are a vfork child (prepare() refuses the
    // id-map case, where we are not), and the program inherits our value.
    if let Some(text) = &plan.process.oom_score_adj {
        steps::write_file(c"/proc/self/oom_score_adj", text).map_err(at(Step::OomScoreAdj, 0))?;
    }

    let (release_read, release_write) =
        sys::fd::pipe_cloexec().map_err(at(Step::Init, InitStage::Pipe as u32))?;
    start.init_release.set((release_read, release_write));
    // SAFETY: the lower half of our stack is unused (we run near the top of
    // the upper half), and the caller keeps the stack and `ctx` alive until
    // the report pipe reaches end-of-file, which needs the program's copy of
    // its write end closed too: the program uses neither after its exec or
    // exit.
    let program = unsafe {
        sys::clone::clone_vm_on(
            start.program_stack_top,
            program_entry,
            (start as *const ChildStart<'_>).cast(),
        )
    }
    .map_err(at(Step::Init, InitStage::Clone as u32))?;

    let failure = exec_init_image(start, program, release_write);
    // The program must not run without its init (and our exec failed, so
    // it is still waiting): take it down before we report and exit.
    let _ = sys::process::kill(program, g::SIGKILL as i32);
    Err(failure)
}

/// Drops every fd that would survive exec, then execs the init image as
/// `clonexec-init PID`. Returns only on failure.
#[inline]
fn exec_init_image(start: &ChildStart<'_>, program: i32, release_write: i32) -> StepFailure {
    let ctx = start.ctx;
    // The three fds still needed close at exec; everything else (our copy
    // of the caller's table) goes now. The program took its own copy.
    let mut keep = [ctx.report_fd, ctx.init_image_fd, release_write];
    sort3(&mut keep);
    if let Err(errno) = fds::close_others(&keep, [-1, -1], fds::Closing::Close) {
        return at(Step::Init, InitStage::CloseFds as u32)(errno);
    }
    let mut pid_buf = [0u8; 32];
    let pid = format::decimal_cstr(&mut pid_buf, b"", program as u32);
    let mut slots = [core::ptr::null(); 3];
    let argv = CStrPtrs::pair(&mut slots, c"clonexec-init", pid);
    let mut errno = sys::exec::execveat_fd(ctx.init_image_fd, argv, CStrPtrs::EMPTY);
    if errno as u32 == errno::ENOSYS {
        // No execveat (kernels before 3.19): the fd's /proc link.
        let mut path_buf = [0u8; 32];
        let path = format::decimal_cstr(&mut path_buf, b"/proc/self/fd/", ctx.init_image_fd as u32);
        errno = sys::exec::execve(path, argv, CStrPtrs::EMPTY);
    }
    at(Step::Init, InitStage::Exec as u32)(errno)
}

/// Sorts three numbers in place, without indexing.
#[inline]
fn sort3(v: &mut [i32; 3]) {
    let [a, b, c] = *v;
    let (a, b) = (a.min(b), a.max(b));
    let (b, c) = (b.min(c), b.max(c));
    let (a, b) = (a.min(b), a.max(b));
    *v = [a, b, c];
}

/// Waits until the init has exec'd its image (end-of-file on the release
/// pipe: the init's copy of the write end is close-on-exec), then restores
/// an ignored SIGCHLD.
#[inline]
pub(super) fn wait_for_init_exec(start: &ChildStart<'_>) -> Result<(), StepFailure> {
    let (read, _) = start.init_release.get();
    let wait = at(Step::Init, InitStage::Wait as u32);
    match steps::wait_on_pipe(start.init_release.get()) {
        Ok(false) => {}
        // Nobody writes to the pipe.
        Ok(true) => return Err(wait(errno::EPROTO as Errno)),
        Err(e) => return Err(wait(e)),
    }
    let _ = sys::fd::close(read);
    if start.sigchld_ignored.get() && !start.ctx.plan.process.reset_ignored_signals {
        sys::signal::rt_sigaction(g::SIGCHLD as i32, Some(&KernelSigaction::IGNORE), None)
            .map_err(at(Step::SignalReset, g::SIGCHLD))?;
    }
    Ok(())
}
