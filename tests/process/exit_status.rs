//! Exit codes, deaths by signal, wait/try_wait/kill/signal and pidfds.

use crate::common;

use clonexec::{Command, Signal, Stdio};

#[test]
fn exit_code_is_reported() {
    let _guard = common::shared();
    let status = Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
    assert_eq!(status.code(), Some(3));
    assert_eq!(status.signal(), None);
    assert!(!status.success());
    assert!(!status.core_dumped());
    assert_eq!(status.to_string(), "exit status: 3");

    let status = Command::new("sh").args(["-c", "exit 0"]).status().unwrap();
    assert!(status.success());
    assert_eq!(status.code(), Some(0));

    let status = Command::new("sh")
        .args(["-c", "exit 255"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(255));
}

#[test]
fn death_by_signal_is_reported() {
    let _guard = common::shared();
    let status = Command::new("sh")
        .args(["-c", "kill -TERM $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(15));
    assert_eq!(status.code(), None);
    assert!(!status.success());
    assert_eq!(status.to_string(), "signal: 15 (SIGTERM)");
}

#[test]
fn exit_status_converts_to_std() {
    let _guard = common::shared();
    let status = Command::new("sh").args(["-c", "exit 7"]).status().unwrap();
    let std_status: std::process::ExitStatus = status.into();
    assert_eq!(std_status.code(), Some(7));
    let status = Command::new("sh")
        .args(["-c", "kill -KILL $$"])
        .status()
        .unwrap();
    let std_status: std::process::ExitStatus = status.into();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(std_status.signal(), Some(9));
}

#[test]
fn child_id_is_the_pid_of_the_program() {
    let _guard = common::shared();
    let child = Command::new("sh")
        .args(["-c", "echo $$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let out = child.wait_with_output().unwrap();
    let printed: u32 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(printed, id);
}

#[test]
fn pidfd_kill_and_wait_report_sigkill() {
    let _guard = common::shared();
    let mut child = Command::new("sleep")
        .arg("30")
        .create_pidfd(true)
        .spawn()
        .unwrap();
    let pidfd = child.pidfd().expect("create_pidfd(true) gives a pidfd");
    let fd = std::os::fd::AsRawFd::as_raw_fd(&pidfd);
    let link = common::fd_link(fd).expect("pidfd is open");
    assert_eq!(link, "anon_inode:[pidfd]", "fd {fd} is not a pidfd");
    // The pidfd names our child: its fdinfo carries the pid.
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    assert_eq!(
        common::status_field(&info, "Pid"),
        Some(child.id().to_string().as_str()),
        "{info}"
    );

    assert_eq!(child.try_wait().unwrap(), None, "sleep 30 is still running");
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9));
    assert_eq!(status.code(), None);
    // Later calls return the same status.
    assert_eq!(child.try_wait().unwrap(), Some(status));
    assert_eq!(child.wait().unwrap(), status);
    // Killing a waited-for child is Ok (as with std); signalling it is ESRCH.
    child.kill().unwrap();
    let err = child.signal(Signal::TERM).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
}

#[test]
fn without_create_pidfd_there_is_no_pidfd() {
    let _guard = common::shared();
    let mut child = Command::new("true").spawn().unwrap();
    assert!(child.pidfd().is_none());
    assert!(child.wait().unwrap().success());
}

#[test]
fn into_pidfd_hands_over_the_pidfd_to_wait_and_kill_on() {
    let _guard = common::shared();
    // Without a pidfd, the handle comes back.
    let child = Command::new("true").spawn().unwrap();
    let mut child = child.into_pidfd().unwrap_err();
    assert!(child.wait().unwrap().success());

    let mut cmd = Command::new("sh");
    cmd.args(["-c", "read line"])
        .stdin(Stdio::piped())
        .create_pidfd(true);
    let pidfd = cmd.spawn().unwrap().into_pidfd().unwrap();
    // The child handle (and its stdin) is gone, so `read` got end-of-file:
    // wait for that exit through the pidfd alone.
    let status = pidfd.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status}");
    // Reaped: waiting again finds no child.
    let err = pidfd.wait().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD), "{err}");

    let child = Command::new("sleep")
        .arg("30")
        .create_pidfd(true)
        .spawn()
        .unwrap();
    let pidfd = clonexec::PidFd::from(std::os::fd::OwnedFd::from(child.into_pidfd().unwrap()));
    assert_eq!(pidfd.try_wait().unwrap(), None, "sleep 30 is running");
    pidfd.kill().unwrap();
    assert_eq!(pidfd.wait().unwrap().signal(), Some(libc::SIGKILL));
    let err = pidfd.kill().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ESRCH), "{err}");
}

#[test]
fn try_wait_without_pidfd_sees_the_exit() {
    let _guard = common::shared();
    let mut child = Command::new("sh")
        .args(["-c", "read line; exit 4"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(child.try_wait().unwrap(), None, "blocked on stdin");
    drop(child.stdin.take()); // EOF: `read` returns, the shell exits 4
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "child never exited");
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(4));
    assert_eq!(child.wait().unwrap(), status);
}

#[test]
fn signal_delivers_the_chosen_signal() {
    let _guard = common::shared();
    for create_pidfd in [false, true] {
        let mut child = Command::new("sleep")
            .arg("30")
            .create_pidfd(create_pidfd)
            .spawn()
            .unwrap();
        child.signal(Signal::USR1).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(10), "pidfd: {create_pidfd}");
    }
}

fn wait_until_zombie(pid: u32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        if common::stat_fields(&stat)[0] == "Z" {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{pid} never exited");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn kill_after_exit_but_before_wait_is_ok_and_keeps_the_exit_status() {
    let _guard = common::shared();
    // As with std: killing a child that exited but was not waited for yet
    // succeeds, and the status stays the exit code.
    for create_pidfd in [false, true] {
        let mut child = Command::new("sh")
            .args(["-c", "exit 5"])
            .create_pidfd(create_pidfd)
            .spawn()
            .unwrap();
        wait_until_zombie(child.id());
        child
            .kill()
            .unwrap_or_else(|e| panic!("pidfd {create_pidfd}: {e}"));
        assert_eq!(child.wait().unwrap().code(), Some(5));
    }
}
