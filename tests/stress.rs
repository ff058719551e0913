//! Stress: 10 000 spawns from several threads at once, while another
//! thread opens and closes inheritable (non-close-on-exec) fds and another
//! keeps sending SIGUSR1 to the process.
//!
//! Checks that nothing leaks or hangs under that load: every failing spawn
//! reports `Step::Exec`; children started with `close_other_fds(true)` see
//! only their stdio and mapped fds, never one of the fds the other thread
//! had open for a moment (Go's `TestExtraFilesRace`); afterwards the parent
//! has exactly its fds from before, no child (zombie or not) and its old
//! SIGUSR1 handler. A watchdog aborts the process if no spawn completes for
//! a minute.
//!
//! This file holds a single test, so nothing else in its process opens fds
//! or starts children while it counts, or meets its SIGUSR1 storm.
//!
//! It does not run under qemu-user: there a spawn is a fork of the
//! emulator, not clonexec's shared-memory child, and the emulator's fork
//! of a busy multi-threaded process can deadlock in the copy (seen once in
//! six aarch64 runs), which would test qemu rather than clonexec.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use clonexec::{Command, Prepared, Stdio, Step};

/// Spawns in total, over all spawning threads.
const TOTAL: usize = 10_000;
/// Spawning threads.
const THREADS: usize = 4;
/// One spawn in this many lists its fds (a slower `cat` round trip).
const LIST_EVERY: usize = 50;
/// Child fd numbers used by the mapping spawns.
const MAPPED: [i32; 2] = [5, 9];

static USR1_SEEN: AtomicUsize = AtomicUsize::new(0);

/// Spawns completed so far, for the watchdog.
static PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// How long without a single completed spawn counts as a hang.
const STALL: Duration = Duration::from_secs(60);

extern "C" fn count_usr1(_: libc::c_int) {
    USR1_SEEN.fetch_add(1, Ordering::Relaxed);
}

/// The commands, prepared once and shared by every thread.
struct Programs {
    ok: Prepared,
    ok_mapped: Prepared,
    missing: Prepared,
    missing_mapped: Prepared,
    /// `cat` with stdin and stdout piped, two mapped fds and
    /// `close_other_fds(true)`: it stays alive until its stdin closes, so
    /// the parent can list `/proc/PID/fd` once it has echoed a line.
    lister: Prepared,
}

fn programs() -> Programs {
    let path = "/usr/bin:/bin";
    // Two pipes; their ends swap places in the mapping spawns (child fd 5
    // gets a source that is likely another mapping's target, and so on).
    let (r1, w1) = common::pipe();
    let (r2, w2) = common::pipe();
    let fd = |f: &std::fs::File| -> OwnedFd { f.try_clone().unwrap().into() };
    let prepare = |cmd: &mut Command| cmd.env("PATH", path).prepare().unwrap();
    let programs = Programs {
        ok: prepare(&mut Command::new("true")),
        ok_mapped: prepare(
            Command::new("true")
                .fd(MAPPED[0], fd(&w1))
                .fd(MAPPED[1], fd(&r1)),
        ),
        missing: prepare(&mut Command::new("/nonexistent/clonexec-stress")),
        missing_mapped: prepare(
            Command::new("/nonexistent/clonexec-stress")
                .fd(MAPPED[0], fd(&r2))
                .fd(MAPPED[1], fd(&w2))
                .close_other_fds(true),
        ),
        lister: prepare(
            Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .fd(MAPPED[0], fd(&r2))
                .fd(MAPPED[1], fd(&w1))
                .close_other_fds(true),
        ),
    };
    // The prepared commands own copies; ours close here.
    drop((r1, w1, r2, w2));
    programs
}

fn expect_exec_failure(result: Result<clonexec::Child, clonexec::Error>) {
    match result {
        Err(err) => {
            assert_eq!(err.step(), Some(Step::Exec), "{err}");
            assert_eq!(err.raw_os_error(), Some(common::ENOENT), "{err}");
        }
        Ok(mut child) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("spawning a missing program succeeded");
        }
    }
}

/// Spawns `cat`, waits until it is in its read loop (it echoed a line),
/// then checks which fds it has: exactly 0, 1, 2 and the mapped ones.
fn list_fds(lister: &Prepared) {
    let mut child = lister.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    stdin.write_all(b"x\n").unwrap();
    let mut echo = [0u8; 2];
    stdout.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"x\n");
    let fds: BTreeSet<i32> = std::fs::read_dir(format!("/proc/{}/fd", child.id()))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "cat: {status}");
    let want: BTreeSet<i32> = [0, 1, 2].into_iter().chain(MAPPED).collect();
    assert_eq!(
        fds, want,
        "a close_other_fds(true) child sees fds it was not given"
    );
}

fn spawner(programs: &Programs, count: usize, failures: &AtomicUsize, listed: &AtomicUsize) {
    for i in 0..count {
        PROGRESS.fetch_add(1, Ordering::Relaxed);
        match i % LIST_EVERY {
            0 => {
                list_fds(&programs.lister);
                listed.fetch_add(1, Ordering::Relaxed);
            }
            n if n % 5 == 1 => {
                expect_exec_failure(programs.missing.spawn());
                failures.fetch_add(1, Ordering::Relaxed);
            }
            n if n % 5 == 3 => {
                expect_exec_failure(programs.missing_mapped.spawn());
                failures.fetch_add(1, Ordering::Relaxed);
            }
            n => {
                let prepared = if n % 2 == 0 {
                    &programs.ok
                } else {
                    &programs.ok_mapped
                };
                let status = prepared.spawn().unwrap().wait().unwrap();
                assert!(status.success(), "true: {status}");
            }
        }
    }
}

/// Opens and closes inheritable fds until `stop`, holding up to 8 at a
/// time (so some are open whenever a child is cloned).
fn fd_churn(stop: &AtomicBool) -> usize {
    let mut open: Vec<i32> = Vec::new();
    let mut opened = 0;
    while !stop.load(Ordering::Relaxed) {
        // Deliberately without O_CLOEXEC.
        // SAFETY: a plain open of a constant path.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
        assert!(fd >= 0, "open: {}", std::io::Error::last_os_error());
        open.push(fd);
        opened += 1;
        if open.len() >= 8 {
            for fd in open.drain(..) {
                // SAFETY: we opened this fd and nothing else uses it.
                unsafe { libc::close(fd) };
            }
        }
        std::thread::yield_now();
    }
    for fd in open {
        // SAFETY: as above.
        unsafe { libc::close(fd) };
    }
    opened
}

/// Sends SIGUSR1 to the whole process until `stop`.
fn signaller(stop: &AtomicBool) -> usize {
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        // SAFETY: kill with our own pid and a signal we handle.
        unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
        sent += 1;
        std::thread::sleep(Duration::from_micros(200));
    }
    sent
}

#[test]
fn ten_thousand_spawns_under_fd_churn_and_signals() {
    if common::skip_under_qemu(
        "ten_thousand_spawns_under_fd_churn_and_signals",
        "qemu-user turns each spawn into a fork of the whole multi-threaded emulator, whose copy \
         now and then deadlocks while other guest threads are busy; this test keeps six busy",
    ) {
        return;
    }
    // Watchdog: a hang anywhere below (no spawn completing for a minute)
    // ends the process with a message. It watches progress, not the total
    // time: a loaded machine may take minutes for the whole run without
    // anything hanging.
    let (done, watchdog_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let (mut seen, mut since) = (PROGRESS.load(Ordering::Relaxed), Instant::now());
        while let Err(mpsc::RecvTimeoutError::Timeout) =
            watchdog_rx.recv_timeout(Duration::from_secs(1))
        {
            let now = PROGRESS.load(Ordering::Relaxed);
            if now != seen {
                (seen, since) = (now, Instant::now());
            } else if since.elapsed() > STALL {
                eprintln!("stress test hung: no spawn completed for {STALL:?}, aborting");
                std::process::abort();
            }
        }
    });

    // SAFETY: installing a handler that only bumps an atomic; the old one
    // is put back at the end.
    let old_action = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_usr1 as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(libc::SIGUSR1, &action, &mut old), 0);
        old
    };

    let baseline = common::open_fd_count();
    let start = Instant::now();
    let programs = Arc::new(programs());
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let listed = Arc::new(AtomicUsize::new(0));

    let churn = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || fd_churn(&stop))
    };
    let signals = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || signaller(&stop))
    };
    let spawners: Vec<_> = (0..THREADS)
        .map(|_| {
            let programs = Arc::clone(&programs);
            let failures = Arc::clone(&failures);
            let listed = Arc::clone(&listed);
            std::thread::spawn(move || spawner(&programs, TOTAL / THREADS, &failures, &listed))
        })
        .collect();
    let results: Vec<_> = spawners.into_iter().map(|t| t.join()).collect();
    stop.store(true, Ordering::Relaxed);
    let opened = churn.join().expect("fd churn thread");
    let sent = signals.join().expect("signal thread");
    let elapsed = start.elapsed();
    drop(programs);

    // SAFETY: restoring the handler saved above.
    unsafe {
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &old_action, std::ptr::null_mut()),
            0
        )
    };
    done.send(()).unwrap();
    watchdog.join().unwrap();

    for result in results {
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
    eprintln!(
        "{TOTAL} spawns in {elapsed:?} ({} failing, {} fd listings) with {opened} fds \
         churned and {sent} SIGUSR1 sent ({} handled)",
        failures.load(Ordering::Relaxed),
        listed.load(Ordering::Relaxed),
        USR1_SEEN.load(Ordering::Relaxed),
    );
    assert_eq!(
        failures.load(Ordering::Relaxed),
        TOTAL / THREADS / LIST_EVERY * 20 * THREADS,
        "unexpected number of failing spawns"
    );
    assert!(USR1_SEEN.load(Ordering::Relaxed) > 0, "no SIGUSR1 handled");
    assert_eq!(common::open_fd_count(), baseline, "fd leak in the parent");
    assert_eq!(common::zombie_children(), Vec::<i32>::new(), "zombies");
    // No child at all is left, running or not.
    // SAFETY: waitpid with WNOHANG and no status pointer.
    let rc = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    assert_eq!(
        (rc, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::ECHILD)),
        "a child is left behind"
    );
}
