//! `clonexec::tokio` (the `tokio` feature): Command and Child on Tokio's
//! current-thread and multi-thread runtimes, each test on both.
//!
//! A binary of its own: some tests count this process's fds and zombies
//! (they hold `common::exclusive()`, the others `common::shared()`), and
//! one runs a helper copy of the binary under a seccomp filter.

mod common;

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clonexec::tokio::Command;
use clonexec::{Signal, Stdio, Step};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::{Builder, Runtime};

/// How long a test may run on one runtime before it counts as hung: far
/// beyond what any of them needs, only there to turn a hang into a failure.
const HANG: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    fn runtime(self) -> Runtime {
        match self {
            Flavor::CurrentThread => Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut builder = Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }
        }
        .enable_all()
        .build()
        .expect("build a runtime")
    }
}

/// Runs `test` to completion on a current-thread and on a multi-thread
/// runtime, each in a thread of its own that is watched from here, so that
/// a blocked runtime (which no Tokio timeout would catch) fails the test
/// instead of hanging it.
fn on_both_runtimes<F, Fut>(test: F)
where
    F: FnOnce(Flavor) -> Fut + Send + Copy + 'static,
    Fut: Future<Output = ()>,
{
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        let (done, finished) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            flavor.runtime().block_on(test(flavor));
            let _ = done.send(());
        });
        match finished.recv_timeout(HANG) {
            Ok(()) => thread.join().expect("test thread"),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                // The test panicked: show its panic.
                if let Err(panic) = thread.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("hung for {HANG:?} on the {flavor:?} runtime")
            }
        }
    }
}

/// Polls `done` (every 10 ms, on the runtime's timer) until it holds;
/// panics with `what` if it never does within [`HANG`].
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + HANG;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn output_status_and_exit_codes() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let out = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));

        // output() gives the child a null stdin.
        let out = Command::new("cat").output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"");

        let status = Command::new("sh")
            .args(["-c", "exit 7"])
            .status()
            .await
            .unwrap();
        assert_eq!(status.code(), Some(7));
        assert!(Command::new("true").status().await.unwrap().success());

        let status = Command::new("sh")
            .args(["-c", "kill -TERM $$"])
            .status()
            .await
            .unwrap();
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
        assert_eq!(status.code(), None);

        // wait() twice gives the same status; id() is gone once reaped.
        let mut child = Command::new("sh").args(["-c", "exit 4"]).spawn().unwrap();
        assert!(child.id().is_some());
        assert_eq!(child.wait().await.unwrap().code(), Some(4));
        assert_eq!(child.wait().await.unwrap().code(), Some(4));
        assert_eq!(child.try_wait().unwrap().map(|s| s.code()), Some(Some(4)));
        assert_eq!(child.id(), None);
    });
}

#[test]
fn every_clonexec_attribute_through_from() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let mut cmd = clonexec::Command::new("sh");
        cmd.args(["-c", "echo $CLONEXEC_T; pwd; cat /proc/self/status"])
            .env("CLONEXEC_T", "set")
            .current_dir("/")
            .no_new_privs(true)
            .setsid(true);
        let out = Command::from(cmd).output().await.unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("set"));
        assert_eq!(lines.next(), Some("/"));
        assert_eq!(common::status_dec(&text, "NoNewPrivs"), 1);

        // The same attributes set on the way, through as_clonexec_mut.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat /proc/self/status"])
            .as_clonexec_mut()
            .no_new_privs(true);
        let out = cmd.output().await.unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(common::status_dec(&text, "NoNewPrivs"), 1);
    });
}

/// `fd()` hands the fd to the next child and closes ours, as with
/// `clonexec::Command`: a pipe's reader then sees EOF once that child is
/// gone, and a second spawn does not get the fd again.
#[test]
fn a_mapped_fd_goes_to_the_next_child_only() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let (mut reader, writer) = std::io::pipe().unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo mapped >&7"])
            .as_clonexec_mut()
            .fd(7, writer);
        assert!(cmd.status().await.unwrap().success());
        let again = cmd.status().await.unwrap();
        assert!(!again.success(), "the second child had fd 7 too");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
        assert_eq!(text, "mapped\n");
    });
}

#[test]
fn errors_name_the_step_and_come_before_any_process() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let err = Command::new("clonexec-no-such-program")
            .spawn()
            .unwrap_err();
        assert_eq!(err.step(), Some(Step::Exec), "{err}");
        assert_eq!(err.raw_os_error(), Some(common::ENOENT));

        let err = Command::new("true")
            .current_dir("/nonexistent")
            .output()
            .await
            .unwrap_err();
        assert_eq!(err.step(), Some(Step::Chdir), "{err}");

        let err = Command::new("true").arg("a\0b").status().await.unwrap_err();
        assert_eq!(err.step(), None, "{err}");
        assert!(err.to_string().contains("NUL"), "{err}");
    });
    // Outside a runtime: refused, nothing started.
    let err = Command::new("true").spawn().unwrap_err();
    assert_eq!(err.step(), None, "{err}");
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
}

/// 1 MiB written to `cat`'s stdin while its stdout is read: the pipes are
/// far smaller, so this only finishes if neither side blocks the runtime.
#[test]
fn one_mib_through_stdin_and_stdout() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();

        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = data.clone();
        let writer = tokio::spawn(async move {
            stdin.write_all(&input).await.unwrap();
            stdin.shutdown().await.unwrap();
            // Dropping it closes the pipe: cat sees end-of-file.
        });
        let mut echoed = Vec::new();
        let mut stdout = child.stdout.take().unwrap();
        stdout.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert!(child.wait().await.unwrap().success());
        assert!(echoed == data, "cat echoed {} bytes", echoed.len());

        // The same through wait_with_output, with stderr too.
        let mut child = Command::new("sh")
            .args(["-c", "tee /dev/stderr"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = data.clone();
        let writer = tokio::spawn(async move { stdin.write_all(&input).await.unwrap() });
        let out = child.wait_with_output().await.unwrap();
        writer.await.unwrap();
        assert!(out.status.success());
        assert!(out.stdout == data, "stdout: {} bytes", out.stdout.len());
        assert!(out.stderr == data, "stderr: {} bytes", out.stderr.len());
    });
}

/// While `wait()` waits, the runtime keeps running other tasks: the child
/// only exits once a ticking timer task has ticked five times and written
/// to it, so a `wait()` that blocked the (only) thread would hang.
#[test]
fn wait_does_not_block_a_ticking_timer() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let (reader, mut writer) = common::pipe();
        let mut child = Command::new("head")
            .args(["-c", "1"])
            .stdin(reader)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let ticker = tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(5));
            loop {
                interval.tick().await;
                if counted.fetch_add(1, Ordering::SeqCst) + 1 == 5 {
                    // Releases the child.
                    writer.write_all(b"x").unwrap();
                }
            }
        });
        let status = child.wait().await.unwrap();
        assert!(status.success());
        assert!(ticks.load(Ordering::SeqCst) >= 5);
        ticker.abort();
    });
}

/// `sleep 1000`, which dies with the thread that spawned it should the
/// test fail before killing it.
fn sleeper() -> Command {
    let mut cmd = clonexec::Command::new("sleep");
    cmd.arg("1000").pdeathsig(Signal::KILL);
    Command::from(cmd)
}

#[test]
fn kill_and_start_kill() {
    let _guard = common::shared();
    on_both_runtimes(|_| async {
        let mut child = sleeper().spawn().unwrap();
        assert_eq!(child.try_wait().unwrap(), None);
        child.kill().await.unwrap();
        assert_eq!(
            child.wait().await.unwrap().signal(),
            Some(Signal::KILL.as_raw())
        );
        assert_eq!(child.id(), None);
        // Already reaped: kill is Ok, a signal is ESRCH.
        child.kill().await.unwrap();
        child.start_kill().unwrap();
        let err = child.signal(Signal::TERM).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));

        let mut child = sleeper().spawn().unwrap();
        child.start_kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(Signal::KILL.as_raw()));

        let mut child = sleeper().spawn().unwrap();
        child.signal(Signal::TERM).unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
    });
}

/// Whether `pid` is our zombie child.
fn is_zombie(pid: i32) -> bool {
    common::zombie_children().contains(&pid)
}

/// Whether `pid` is gone (reaped) or is someone else's process now.
fn is_reaped(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let ppid: u32 = common::stat_fields(&stat)[1].parse().unwrap();
            ppid != std::process::id()
        }
    }
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    let _guard = common::exclusive();
    on_both_runtimes(|_| async {
        let mut child = sleeper()
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        // The sleep holds the only write end: end-of-file means it died.
        let mut stdout = child.stdout.take().unwrap();
        let pid = child.id().unwrap() as i32;
        drop(child);
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).await.unwrap();
        eventually("the killed child is reaped", || is_reaped(pid)).await;

        // The future of status() owns the child: dropping it kills too.
        let (mut reader, writer) = common::pipe();
        let mut cmd = sleeper();
        cmd.stdout(writer).kill_on_drop(true);
        let status = cmd.status();
        // The command holds a copy of the pipe's write end.
        drop(cmd);
        drop(status);
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut rest).unwrap();
    });
}

/// A dropped child keeps running, then is reaped in the background (by a
/// task on its runtime) when it exits: no zombie stays.
#[test]
fn dropped_child_is_reaped_in_the_background() {
    let _guard = common::exclusive();
    on_both_runtimes(|_| async {
        let (reader, mut writer) = common::pipe();
        let child = Command::new("sh")
            .args(["-c", "read line; echo \"got $line\""])
            .stdin(reader)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().unwrap() as i32;
        let mut child = child;
        let mut stdout = child.stdout.take().unwrap();
        drop(child);
        // Still alive: it answers.
        writer.write_all(b"hello\n").unwrap();
        let mut answer = String::new();
        stdout.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "got hello\n");
        eventually("the dropped child is reaped", || is_reaped(pid)).await;
    });
}

/// A child dropped after its runtime shut down has no task to reap it: the
/// next spawn through `clonexec::tokio` (on another runtime) reaps it once
/// it has exited.
#[test]
fn dropped_after_its_runtime_is_reaped_by_the_next_spawn() {
    let _guard = common::exclusive();
    let (reader, mut writer) = common::pipe();
    let first = Flavor::CurrentThread.runtime();
    let child = first.block_on(async {
        Command::new("sh")
            .args(["-c", "read line"])
            .stdin(reader)
            .spawn()
            .unwrap()
    });
    let pid = child.id().unwrap() as i32;
    drop(first);
    drop(child);
    writer.write_all(b"exit\n").unwrap();
    let deadline = std::time::Instant::now() + HANG;
    while !is_zombie(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "{pid} never became a zombie"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Flavor::MultiThread.runtime().block_on(async {
        assert!(Command::new("true").status().await.unwrap().success());
    });
    assert!(is_reaped(pid), "the orphan {pid} was not reaped");
}

/// 1000 children, 64 at a time, spawned, waited for, read from, killed or
/// dropped: afterwards this process has the fds it had and no zombie.
#[test]
fn a_thousand_children_64_in_flight_leave_no_zombie_and_no_fd() {
    let _guard = common::exclusive();
    on_both_runtimes(|_| async {
        const TOTAL: usize = 1000;
        const IN_FLIGHT: usize = 64;
        let zombies_before = common::zombie_children();
        let fds_before = common::open_fd_count();
        let next = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let next = next.clone();
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= TOTAL {
                            break;
                        }
                        one_of_many(i).await;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        eventually("no zombie and no extra fd", || {
            common::zombie_children()
                .iter()
                .all(|pid| zombies_before.contains(pid))
                && common::open_fd_count() == fds_before
        })
        .await;
        common::assert_no_new_zombies(&zombies_before);
        assert_eq!(common::open_fd_count(), fds_before);
    });
}

/// Spawn `i` of the thousand, of kind `i % 5`.
async fn one_of_many(i: usize) {
    match i % 5 {
        0 => assert!(Command::new("true").status().await.unwrap().success()),
        1 => {
            let out = Command::new("sh")
                .args(["-c", "echo $0; echo e >&2", &i.to_string()])
                .output()
                .await
                .unwrap();
            assert_eq!(out.stdout, format!("{i}\n").as_bytes());
            assert_eq!(out.stderr, b"e\n");
        }
        2 => {
            // Dropped without waiting: reaped in the background.
            let child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
            drop(child);
        }
        3 => {
            let mut child = sleeper().stdout(Stdio::piped()).spawn().unwrap();
            child.kill().await.unwrap();
        }
        _ => {
            let err = Command::new("/nonexistent/program")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_err();
            assert_eq!(err.step(), Some(Step::Exec));
        }
    }
}

/// Where the kernel has no pidfds (before 5.3: `pidfd_open` is ENOSYS),
/// spawn fails with an error that says so, before starting anything. A
/// helper copy of this binary runs under a seccomp filter that answers
/// ENOSYS for `pidfd_open`, as such a kernel would.
#[cfg(target_arch = "x86_64")]
#[test]
fn without_pidfds_spawn_fails_before_starting_anything() {
    let _guard = common::shared();
    use clonexec::SockFilter;
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    let ins = |code: u16, jt: u8, jf: u8, k: u32| SockFilter { code, jt, jf, k };
    let enosys_for_pidfd_open = vec![
        ins(0x20, 0, 0, 4), // load seccomp_data.arch
        ins(0x15, 1, 0, AUDIT_ARCH_X86_64),
        ins(0x06, 0, 0, 0x7fff_0000), // another ABI: allow
        ins(0x20, 0, 0, 0),           // load seccomp_data.nr
        ins(0x15, 0, 1, libc::SYS_pidfd_open as u32),
        ins(0x06, 0, 0, 0x0005_0000 | libc::ENOSYS as u32), // ERRNO(ENOSYS)
        ins(0x06, 0, 0, 0x7fff_0000),                       // allow
    ];
    let dir = common::TempDir::new("tokio-no-pidfd");
    let marker = dir.path().join("marker");
    let out = common::helper_command(
        &common::test_name!(no_pidfd_helper),
        "CLONEXEC_TOKIO_HELPER",
        "no-pidfd",
    )
    .env("CLONEXEC_TOKIO_MARKER", &marker)
    .no_new_privs(true)
    .seccomp_filter(enosys_for_pidfd_open)
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "helper failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = common::must_report(&stdout, "error");
    assert_eq!(common::must_report(&stdout, "step"), "Some(Clone)");
    assert_eq!(
        common::must_report(&stdout, "errno"),
        format!("Some({})", libc::ENOSYS)
    );
    assert!(message.contains("Linux 5.4"), "{message}");
    assert!(!marker.exists(), "the program ran");
}

#[test]
#[ignore = "helper, run by without_pidfds_spawn_fails_before_starting_anything"]
fn no_pidfd_helper() {
    if std::env::var("CLONEXEC_TOKIO_HELPER").as_deref() != Ok("no-pidfd") {
        return;
    }
    let marker = std::env::var("CLONEXEC_TOKIO_MARKER").unwrap();
    Flavor::CurrentThread.runtime().block_on(async {
        let err = Command::new("touch").arg(&marker).spawn().unwrap_err();
        common::report("error", &err);
        common::report("step", format_args!("{:?}", err.step()));
        common::report("errno", format_args!("{:?}", err.raw_os_error()));
    });
}

/// Spawning from a multi-thread runtime's tasks needs these to move
/// between threads (a compile-time check).
#[test]
fn public_types_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Command>();
    send_sync::<clonexec::tokio::Child>();
    send_sync::<clonexec::tokio::ChildStdin>();
    send_sync::<clonexec::tokio::ChildStdout>();
    send_sync::<clonexec::tokio::ChildStderr>();
}
