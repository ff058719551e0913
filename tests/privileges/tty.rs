//! Terminals and sessions: `controlling_tty`, `foreground`,
//! `no_controlling_tty`, `setsid_if_tty`, on a fresh pseudo-terminal. The
//! child reports its session, process group, `tty_nr` and `tpgid` through
//! `/proc/self/stat`.
//!
//! The test process itself has no controlling terminal (and never takes the
//! pty: it is opened with `O_NOCTTY`). Where the caller must own the
//! terminal (`foreground`, `no_controlling_tty`), this binary re-runs itself
//! as a helper that is a session leader with the pty as its controlling
//! terminal, and the helper spawns the child under test.

use crate::common;

use std::os::fd::{AsFd, OwnedFd};

use clonexec::{Command, Stdio, Step};
use common::{
    Pty, Stat, assert_success, helper_command, must_report, parse_stat, report, stdout_of,
    unique_temp_path,
};

const HELPER_ENV: &str = "CLONEXEC_TTY_HELPER";
/// The helper test's full name, for `--exact`.
fn helper_test() -> String {
    common::test_name!(tty_helper)
}
const ENOTTY: i32 = 25;

/// `cat /proc/self/stat` with the given setup; returns the child's pid and
/// its stat.
fn child_stat(cmd: &mut Command) -> (i32, Stat) {
    cmd.arg("/proc/self/stat").stdout(Stdio::piped());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e} (step {:?})", e.step()));
    let pid = child.id() as i32;
    let out = child.wait_with_output().unwrap();
    assert_success(&out);
    (pid, parse_stat(&String::from_utf8(out.stdout).unwrap()))
}

fn own_sid() -> i32 {
    // SAFETY: getsid(0) has no preconditions.
    unsafe { libc::getsid(0) }
}

/// Runs in a child: this binary re-executed by a test, as a session leader
/// whose controlling terminal is the pty on its stdin (its stdout is a
/// pipe back to the test).
#[test]
#[ignore = "helper: run by other tests in a child process"]
fn tty_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    let me = parse_stat(&std::fs::read_to_string("/proc/self/stat").unwrap());
    report("HELPER_STAT", format!("{me:?}"));
    assert_eq!(me.session, me.pid, "the helper is not a session leader");
    assert_ne!(me.tty_nr, 0, "the helper has no controlling terminal");
    let tty: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned().unwrap();
    if mode == "steal" {
        // Our controlling terminal, asked for by a child in a new session.
        let result = Command::new("true")
            .setsid(true)
            .controlling_tty(0)
            .spawn()
            .map(|mut c| c.wait());
        match result {
            Ok(status) => report("STEAL", format!("spawned, {status:?}")),
            Err(err) => {
                report("STEAL_STEP", format!("{:?}", err.step()));
                report("STEAL_ERRNO", err.raw_os_error().unwrap_or(0));
            }
        }
        return;
    }
    let mut cmd = Command::new("cat");
    match mode.as_str() {
        "foreground" => {
            cmd.process_group(0).foreground(tty.try_clone().unwrap());
        }
        "notty" => {
            cmd.no_controlling_tty(true);
        }
        "plain" => {}
        other => panic!("unknown helper mode {other:?}"),
    }
    let (pid, stat) = child_stat(&mut cmd);
    report("CHILD_PID", pid);
    report("CHILD_STAT", format!("{stat:?}"));
    report("CHILD_PGRP", stat.pgrp);
    report("CHILD_SESSION", stat.session);
    report("CHILD_TTY", stat.tty_nr);
    report("CHILD_TPGID", stat.tpgid);
    // The terminal's foreground group after the child is gone.
    // SAFETY: tcgetpgrp on an fd we own.
    report("FG_AFTER", unsafe {
        libc::tcgetpgrp(std::os::fd::AsRawFd::as_raw_fd(&tty))
    });
    report("HELPER_PID", me.pid);
}

/// Runs the helper in `mode` as a session leader with `pty` as its
/// controlling terminal; returns its output.
fn run_helper(pty: &Pty, mode: &str) -> String {
    stdout_of(
        helper_command(&helper_test(), HELPER_ENV, mode)
            .stdin(Stdio::from(pty.slave()))
            .setsid(true)
            .controlling_tty(0),
    )
}

fn num(out: &str, key: &str) -> i64 {
    must_report(out, key).parse().unwrap()
}

// ---------------------------------------------------------------------
// controlling_tty

/// setsid + controlling_tty(0) with the pty slave on stdin: the child leads
/// its session, its tty_nr is the slave's device, and it is the terminal's
/// foreground group.
#[test]
fn controlling_tty_from_stdin() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::from(pty.slave()))
            .setsid(true)
            .controlling_tty(0),
    );
    assert_eq!(stat.pid, pid);
    assert_eq!(stat.session, pid, "not a session leader: {stat:?}");
    assert_eq!(stat.tty_nr, pty.tty_nr(), "{stat:?}");
    assert_eq!(stat.tpgid, pid, "{stat:?}");
    assert_ne!(own_sid(), pid);
}

/// controlling_tty names the fd number in the child, after the fd mapping.
#[test]
fn controlling_tty_after_fd_mapping() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .fd(5, pty.slave())
            .setsid(true)
            .controlling_tty(5),
    );
    assert_eq!(stat.session, pid, "{stat:?}");
    assert_eq!(stat.tty_nr, pty.tty_nr(), "{stat:?}");
}

/// Baseline: a new session with a terminal on stdin but no
/// controlling_tty() has no controlling terminal.
#[test]
fn setsid_alone_takes_no_tty() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::from(pty.slave()))
            .setsid(true),
    );
    assert_eq!(stat.session, pid, "{stat:?}");
    assert_eq!(stat.tty_nr, 0, "{stat:?}");
}

/// A controlling terminal on an fd that is not a terminal fails in the
/// child at Step::ControllingTty.
#[test]
fn controlling_tty_on_non_tty_fails_at_its_step() {
    let _guard = common::shared();
    let err = Command::new("true")
        .stdin(Stdio::null())
        .setsid(true)
        .controlling_tty(0)
        .spawn()
        .map(|mut c| c.wait())
        .expect_err("TIOCSCTTY on /dev/null should fail");
    assert_eq!(err.step(), Some(Step::ControllingTty), "{err}");
    assert_eq!(err.raw_os_error(), Some(ENOTTY), "{err}");
}

/// TIOCSCTTY without stealing: a terminal that already is another
/// session's controlling terminal (the helper's) is refused with EPERM at
/// Step::ControllingTty.
#[test]
fn controlling_tty_does_not_steal() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "controlling_tty_does_not_steal",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let pty = Pty::open();
    let out = run_helper(&pty, "steal");
    assert_eq!(
        must_report(&out, "STEAL_STEP"),
        "Some(ControllingTty)",
        "{out}"
    );
    assert_eq!(num(&out, "STEAL_ERRNO"), 1, "{out}");
}

#[test]
fn controlling_tty_refused_without_setsid() {
    let _guard = common::shared();
    let err = Command::new("true")
        .controlling_tty(0)
        .prepare()
        .map(|_| ())
        .expect_err("controlling_tty without setsid accepted");
    assert_eq!(err.step(), None, "{err}");
    assert!(err.is_invalid_input());
    let text = err.to_string();
    assert!(
        text.contains("controlling_tty") && text.contains("setsid") && text.contains("\"true\""),
        "{text}"
    );
}

// ---------------------------------------------------------------------
// foreground

/// In a session owning the pty (the helper), process_group(0) +
/// foreground(tty) makes the child's new group the foreground group:
/// pgrp == tpgid == the child's pid, in the helper's session.
#[test]
fn foreground_makes_child_group_foreground() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "foreground_makes_child_group_foreground",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let pty = Pty::open();
    let out = run_helper(&pty, "foreground");
    let child = num(&out, "CHILD_PID");
    let helper = num(&out, "HELPER_PID");
    assert_eq!(num(&out, "CHILD_PGRP"), child, "{out}");
    assert_eq!(num(&out, "CHILD_TPGID"), child, "{out}");
    assert_eq!(num(&out, "CHILD_SESSION"), helper, "{out}");
    assert_eq!(num(&out, "CHILD_TTY"), pty.tty_nr(), "{out}");
    assert_eq!(num(&out, "FG_AFTER"), child, "{out}");
}

/// Baseline for the above: without foreground(), the helper's child is in
/// the helper's group, which stays in the foreground.
#[test]
fn helper_child_without_foreground() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "helper_child_without_foreground",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let pty = Pty::open();
    let out = run_helper(&pty, "plain");
    let helper = num(&out, "HELPER_PID");
    assert_eq!(num(&out, "CHILD_PGRP"), helper, "{out}");
    assert_eq!(num(&out, "CHILD_TPGID"), helper, "{out}");
    assert_eq!(num(&out, "CHILD_TTY"), pty.tty_nr(), "{out}");
}

/// foreground() on a terminal that is not the caller's controlling
/// terminal fails in the child: Step::Foreground with ENOTTY.
#[test]
fn foreground_on_foreign_tty_fails_at_its_step() {
    let _guard = common::shared();
    let pty = Pty::open();
    let err = Command::new("true")
        .process_group(0)
        .foreground(pty.slave())
        .spawn()
        .map(|mut c| c.wait())
        .expect_err("TIOCSPGRP on a terminal we do not control should fail");
    assert_eq!(err.step(), Some(Step::Foreground), "{err}");
    assert_eq!(err.raw_os_error(), Some(ENOTTY), "{err}");
}

// ---------------------------------------------------------------------
// no_controlling_tty

/// A child of a session leader with a controlling terminal detaches from
/// it with no_controlling_tty(true): tty_nr 0, same session.
#[test]
fn no_controlling_tty_detaches() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "no_controlling_tty_detaches",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let pty = Pty::open();
    let out = run_helper(&pty, "notty");
    assert_eq!(num(&out, "CHILD_TTY"), 0, "{out}");
    assert_eq!(num(&out, "CHILD_SESSION"), num(&out, "HELPER_PID"), "{out}");
}

/// With no controlling terminal there is nothing to detach from:
/// no_controlling_tty(true) is a no-op, also in a chroot that has no
/// /dev/tty. (setsid first, so the child surely has no terminal, whatever
/// the test runner's.) The spawn then fails only where it must, at the
/// exec of a program the empty root does not have.
#[test]
fn no_controlling_tty_without_tty_in_chroot() {
    let _guard = common::shared();
    if common::skip_unless_root("no_controlling_tty_without_tty_in_chroot") {
        return;
    }
    let root = unique_temp_path("empty-root");
    std::fs::create_dir(&root).unwrap();
    let result = Command::new("/nothing")
        .setsid(true)
        .chroot(&root)
        .no_controlling_tty(true)
        .spawn()
        .map(|mut c| c.wait());
    std::fs::remove_dir(&root).unwrap();
    let err = result.expect_err("there is no /nothing to run");
    assert_eq!(err.step(), Some(Step::Exec), "{err}");
    assert_eq!(err.raw_os_error(), Some(2), "{err}");
}

/// Without a terminal, no_controlling_tty(true) changes nothing.
#[test]
fn no_controlling_tty_without_tty() {
    let _guard = common::shared();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::null())
            .setsid(true)
            .no_controlling_tty(true),
    );
    assert_eq!(stat.session, pid, "{stat:?}");
    assert_eq!(stat.tty_nr, 0, "{stat:?}");
}

#[test]
fn no_controlling_tty_contradicts_controlling_tty() {
    let _guard = common::shared();
    let err = Command::new("true")
        .setsid(true)
        .controlling_tty(0)
        .no_controlling_tty(true)
        .prepare()
        .map(|_| ())
        .expect_err("contradiction accepted");
    assert_eq!(err.step(), None, "{err}");
}

// ---------------------------------------------------------------------
// setsid_if_tty

#[test]
fn setsid_if_tty_with_tty_stdin() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::from(pty.slave()))
            .stderr(Stdio::null())
            .setsid_if_tty(true),
    );
    assert_eq!(stat.session, pid, "{stat:?}");
    assert_eq!(stat.pgrp, pid, "{stat:?}");
}

#[test]
fn setsid_if_tty_with_tty_stderr_only() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::null())
            .stderr(Stdio::from(pty.slave()))
            .setsid_if_tty(true),
    );
    assert_eq!(stat.session, pid, "{stat:?}");
}

/// The terminal given with fd(0, ...) counts as the child's stdin.
#[test]
fn setsid_if_tty_with_tty_mapped_by_fd() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .fd(0, pty.slave())
            .stderr(Stdio::null())
            .setsid_if_tty(true),
    );
    assert_eq!(stat.session, pid, "{stat:?}");
}

#[test]
fn setsid_if_tty_without_tty_keeps_session() {
    let _guard = common::shared();
    let (pid, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .setsid_if_tty(true),
    );
    assert_ne!(stat.session, pid, "{stat:?}");
    assert_eq!(stat.session, own_sid(), "{stat:?}");
}

/// Without setsid_if_tty, a terminal on stdin changes nothing.
#[test]
fn tty_stdin_alone_keeps_session() {
    let _guard = common::shared();
    let pty = Pty::open();
    let (_, stat) = child_stat(
        Command::new("cat")
            .stdin(Stdio::from(pty.slave()))
            .stderr(Stdio::null()),
    );
    assert_eq!(stat.session, own_sid(), "{stat:?}");
}
