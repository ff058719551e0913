//! What std's `CommandExt` offers beyond spawning: `exec()`'s refusals and
//! failures (an `exec()` that succeeds replaces the process: those tests
//! are in `exec_in_place.rs`, a binary of its own), `pre_exec` hooks, and
//! the `/bin/sh` fallback for files the kernel cannot run.

use crate::common;

use std::sync::atomic::{AtomicU64, Ordering};

use clonexec::{Command, IdMap, Namespaces, Signal, Stdio, Step};

#[test]
fn exec_refuses_what_only_a_child_can_have_before_changing_anything() {
    let _guard = common::shared();
    let refused = [
        Command::new("true").namespaces(Namespaces::PID).exec(),
        Command::new("true")
            .namespaces(Namespaces::USER | Namespaces::PID)
            .pid1_init(true)
            .exec(),
        Command::new("true").stdout(Stdio::piped()).exec(),
        Command::new("true").create_pidfd(true).exec(),
        Command::new("true")
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 1000, 1)])
            .id_map_helpers(true)
            .exec(),
    ];
    for err in refused {
        assert_eq!(err.step(), None, "{err}");
        assert!(err.to_string().contains("exec()"), "{err}");
    }
}

#[test]
fn failed_exec_returns_with_the_signal_mask_and_sigpipe_as_they_were() {
    let _guard = common::shared();
    let status = || std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let field = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_default()
            .to_string()
    };
    let before = status();
    let err = Command::new("/nonexistent/clonexec-exec").exec();
    assert_eq!(err.step(), Some(Step::Exec), "{err}");
    assert_eq!(err.raw_os_error(), Some(2));
    let after = status();
    for key in ["SigBlk:", "SigIgn:"] {
        assert_eq!(field(&before, key), field(&after, key), "{key}");
    }
}

// --- pre_exec ---

static TOUCHED_IN_CHILD: AtomicU64 = AtomicU64::new(0);

#[test]
fn pre_exec_hooks_run_in_order_in_the_child_before_exec() {
    let _guard = common::shared();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo program"]);
    // SAFETY: the hooks only write(2) to fd 1 and touch an atomic.
    unsafe {
        cmd.pre_exec(|| {
            // The fds are placed before the hooks run: fd 1 is the pipe
            // output() reads.
            if libc::write(1, c"first ".as_ptr().cast(), 6) != 6 {
                return Err(std::io::Error::last_os_error());
            }
            TOUCHED_IN_CHILD.store(1, Ordering::SeqCst);
            Ok(())
        });
        cmd.pre_exec(|| {
            if libc::write(1, c"second ".as_ptr().cast(), 7) != 7 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "first second program\n"
    );
    // The child had memory of its own: our atomic is untouched.
    assert_eq!(TOUCHED_IN_CHILD.load(Ordering::SeqCst), 0);
}

#[test]
fn a_failing_pre_exec_hook_fails_the_spawn_at_its_step() {
    let _guard = common::shared();
    let mut cmd = Command::new("true");
    // SAFETY: the hooks do nothing but return (no allocation: an io::Error
    // from a raw errno is a plain value).
    unsafe {
        cmd.pre_exec(|| Ok(()));
        cmd.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EROFS)));
    }
    let err = cmd.spawn().unwrap_err();
    assert_eq!(err.step(), Some(Step::PreExec), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EROFS));
    assert!(err.to_string().contains("pre_exec hook 2"), "{err}");
}

/// A panic allocates and takes the panic machinery's locks: in the forked
/// copy of a multi-threaded process (this test binary), another thread may
/// have held one of them at the fork, and the hook would hang. So the
/// panicking hook runs in a helper process with one test thread.
#[test]
fn a_panicking_pre_exec_hook_fails_the_spawn_at_its_step() {
    run_single_threaded_hook_helper(
        "a_panicking_pre_exec_hook_fails_the_spawn_at_its_step",
        "panic",
    );
}

/// The environment is fixed when the command is prepared: a hook that
/// changes its own (the child's) environment does not change the program's,
/// as with std's Command. `set_var` allocates and locks, so this also runs
/// in the single-threaded helper.
#[test]
fn a_hook_setting_a_variable_does_not_change_the_prepared_environment() {
    run_single_threaded_hook_helper(
        "a_hook_setting_a_variable_does_not_change_the_prepared_environment",
        "set_var",
    );
}

const HELPER_ENV: &str = "CLONEXEC_PRE_EXEC_HELPER";

/// Runs [`single_threaded_hook_helper`] in `mode` and checks that it got to
/// its end.
fn run_single_threaded_hook_helper(test: &str, mode: &str) {
    let _guard = common::shared();
    if common::skip_under_qemu(
        test,
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let out = common::helper_command(
        &common::test_name!(single_threaded_hook_helper),
        HELPER_ENV,
        mode,
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        common::reported(&stdout, "DONE").as_deref(),
        Some(mode),
        "{stdout}"
    );
}

/// Hooks that are only sound with no other thread running: this process
/// runs one test at a time, so no other thread holds a lock the hook needs
/// when the child is forked.
#[test]
#[ignore = "helper: run by the tests of hooks that allocate"]
fn single_threaded_hook_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    match mode.as_str() {
        "panic" => {
            let mut cmd = Command::new("true");
            // SAFETY: single-threaded (see above).
            unsafe {
                cmd.pre_exec(|| panic!("hook panicked on purpose"));
            }
            let before = common::zombie_children();
            let err = cmd.spawn().unwrap_err();
            assert_eq!(err.step(), Some(Step::PreExec), "{err}");
            assert_eq!(err.raw_os_error(), Some(libc::ECANCELED));
            common::assert_no_new_zombies(&before);
        }
        "set_var" => {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", "echo $X"]).stdout(Stdio::piped());
            // SAFETY: single-threaded (see above).
            unsafe {
                cmd.pre_exec(|| {
                    std::env::set_var("X", "from-hook");
                    Ok(())
                });
            }
            let prepared = cmd.prepare().unwrap();
            for _ in 0..3 {
                let out = prepared.spawn().unwrap().wait_with_output().unwrap();
                // std's Command would not see it either.
                assert_eq!(out.stdout, b"\n");
                assert!(out.status.success());
            }
            assert_eq!(std::env::var_os("X"), None, "the hook ran in the parent");
        }
        other => panic!("unknown mode {other}"),
    }
    common::report("DONE", mode);
}

#[test]
fn pre_exec_runs_again_for_each_spawn_of_a_prepared_command() {
    let _guard = common::shared();
    let (reader, write_end) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    // Open here until the end of the test.
    let writer = std::os::fd::AsRawFd::as_raw_fd(&write_end);
    let mut cmd = Command::new("true");
    // SAFETY: the hook only calls write(2) (async-signal-safe) on an fd
    // that stays open until the spawns are done.
    unsafe {
        cmd.pre_exec(move || {
            if libc::write(writer, c"x".as_ptr().cast(), 1) != 1 {
                return Err(std::io::Error::last_os_error());
            }
            TOUCHED_IN_CHILD.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
    let prepared = cmd.prepare().unwrap();
    for _ in 0..3 {
        assert!(prepared.spawn().unwrap().wait().unwrap().success());
    }
    let mut got = [0u8; 8];
    let n = rustix::io::read(&reader, &mut got).unwrap();
    assert_eq!(&got[..n], b"xxx", "one write per spawn");
    // Each ran in a child with memory of its own.
    assert_eq!(
        TOUCHED_IN_CHILD.load(Ordering::SeqCst),
        0,
        "a hook ran here"
    );
}

#[test]
fn pre_exec_child_is_killed_and_reaped_like_any_other() {
    let _guard = common::shared();
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    // SAFETY: an empty hook.
    unsafe {
        cmd.pre_exec(|| Ok(()));
    }
    let mut child = cmd.spawn().unwrap();
    child.signal(Signal::TERM).unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(Signal::TERM.as_raw()));
}

// --- the /bin/sh fallback ---

#[test]
fn a_script_without_a_shebang_runs_through_bin_sh() {
    let _guard = common::shared();
    let dir = common::TempDir::new("no-shebang");
    let script = dir.path().join("plain-script");
    common::write_executable(&script, b"echo through sh: $0 $1\n");
    let out = Command::new(&script).arg("arg1").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("through sh: {} arg1\n", script.display())
    );
    // Found by a PATH search too.
    let out = Command::new("plain-script")
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("through sh: "));
}
