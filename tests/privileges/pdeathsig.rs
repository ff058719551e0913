//! The parent-death signal fires when the spawning process dies.
//!
//! The test re-runs this test binary as a helper (`pdeathsig_helper`, an
//! ignored test that acts only when `HELPER_ENV` is set). The helper spawns
//! `sleep 30` with `pdeathsig`, prints its pid and exits. This process is a
//! child subreaper (PR_SET_CHILD_SUBREAPER), so the orphaned `sleep` is
//! reparented to it, and the test reaps it and checks which signal killed
//! it. A control run without `pdeathsig` shows the grandchild would
//! otherwise survive.
//!
//! The subreaper flag stays for the rest of the process: other tests'
//! orphans become its children too. So it is set only in the `privileges`
//! binary, where no test counts zombies or waits for any child but its
//! own (`process` and `namespaces` do).

use crate::common;

use std::time::{Duration, Instant};

use clonexec::{Command, Signal, Stdio};

const HELPER_ENV: &str = "CLONEXEC_PDEATHSIG_HELPER";

/// Not a test: the helper process's body (see the module docs).
#[test]
#[ignore = "helper run by the pdeathsig tests in a separate process"]
fn pdeathsig_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    let mut cmd = Command::new("sleep");
    // Null stdio: the grandchild must not hold the pipe the test reads the
    // helper's output from.
    cmd.arg("30")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match mode.as_str() {
        "term" => {
            cmd.pdeathsig(Signal::TERM);
        }
        "kill-after-uid-change" => {
            cmd.pdeathsig(Signal::KILL).uid(65534).gid(65534);
        }
        "none" => {}
        other => panic!("unknown helper mode {other}"),
    }
    let child = cmd.spawn().unwrap();
    println!("GRANDCHILD {}", child.id());
}

fn become_subreaper() {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(rc, 0, "PR_SET_CHILD_SUBREAPER");
}

/// Runs the helper in `mode`, returns the pid of the `sleep` it started
/// (now our child, the helper having exited).
fn run_helper(mode: &str) -> i32 {
    become_subreaper();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(common::helper_args(&common::test_name!(pdeathsig_helper)))
        .env(HELPER_ENV, mode)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "helper failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // libtest prints "test pdeathsig_helper ... " on the same line.
    stdout
        .split("GRANDCHILD ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid from helper: {stdout}"))
}

/// Waits (up to `timeout`) for our child `pid`; `None` if still running.
fn reap_within(pid: i32, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        assert!(
            rc >= 0,
            "waitpid({pid}): {} (not reparented to us?)",
            std::io::Error::last_os_error()
        );
        if rc == pid {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill_and_reap(pid: i32) {
    // SAFETY: pid is our own (unreaped) child, so it cannot be recycled.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    reap_within(pid, Duration::from_secs(10)).expect("SIGKILLed child exits");
}

fn assert_killed_by(pid: i32, signal: i32) {
    match reap_within(pid, Duration::from_secs(10)) {
        Some(status) => {
            assert!(
                libc::WIFSIGNALED(status),
                "grandchild {pid} was not killed by a signal: status {status:#x}"
            );
            assert_eq!(libc::WTERMSIG(status), signal);
        }
        None => {
            kill_and_reap(pid);
            panic!("grandchild {pid} survived its parent's death");
        }
    }
}

#[test]
fn pdeathsig_fires_when_the_spawning_process_dies() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "pdeathsig_fires_when_the_spawning_process_dies",
        "needs PR_SET_CHILD_SUBREAPER (refused) and re-runs this test binary as a helper (ENOEXEC for a foreign-architecture binary)",
    ) {
        return;
    }
    let pid = run_helper("term");
    assert_killed_by(pid, libc::SIGTERM);
}

#[test]
fn pdeathsig_survives_a_uid_change() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "pdeathsig_survives_a_uid_change",
        "needs PR_SET_CHILD_SUBREAPER (refused) and re-runs this test binary as a helper (ENOEXEC for a foreign-architecture binary)",
    ) {
        return;
    }
    if common::skip_unless_root("pdeathsig_survives_a_uid_change") {
        return;
    }
    // A credential change clears the parent-death signal: it must be set
    // after the setresuid.
    let pid = run_helper("kill-after-uid-change");
    assert_killed_by(pid, libc::SIGKILL);
}

#[test]
fn without_pdeathsig_the_orphan_survives() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "without_pdeathsig_the_orphan_survives",
        "needs PR_SET_CHILD_SUBREAPER (refused) and re-runs this test binary as a helper (ENOEXEC for a foreign-architecture binary)",
    ) {
        return;
    }
    // Control: proves the mechanism above can tell a killed grandchild
    // from a surviving one.
    let pid = run_helper("none");
    assert_eq!(
        reap_within(pid, Duration::from_millis(300)),
        None,
        "sleep 30 should still be running"
    );
    kill_and_reap(pid);
}
