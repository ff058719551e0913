//! pid1_init(true): a reaping, signal-forwarding init as pid 1 of a new PID
//! namespace, with the program as its child.

use crate::common;

use clonexec::{Command, Mount, Namespaces, Signal, Step};
use common::{skip_unless_root, zombie_children};

fn init_command(script: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script])
        .namespaces(Namespaces::PID | Namespaces::MOUNT)
        .mount(Mount::proc("/proc"))
        .pid1_init(true);
    cmd
}

#[test]
fn program_runs_as_pid_2_under_the_init() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "program_runs_as_pid_2_under_the_init",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("program_runs_as_pid_2_under_the_init") {
        return;
    }
    let out = init_command("echo $$ $PPID; cat /proc/1/comm")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 1\nclonexec-init\n");
}

#[test]
fn init_exits_with_the_programs_code_and_signal() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "init_exits_with_the_programs_code_and_signal",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("init_exits_with_the_programs_code_and_signal") {
        return;
    }
    let status = init_command("exit 42").status().unwrap();
    assert_eq!(status.code(), Some(42));
    // pid 1 cannot die of the program's signal: it exits 128 + N, as shells do.
    let status = init_command("kill -USR1 $$").status().unwrap();
    assert_eq!(status.code(), Some(128 + Signal::USR1.as_raw()));
}

/// Runs a program that orphans a short-lived process and never reaps
/// (`exec sleep`), and counts the zombies left under pid 1 of its
/// namespace while it still runs.
fn zombies_left(init: bool) -> usize {
    let mut child = Command::new("sh")
        .args(["-c", "(sleep 0.05 &); exec sleep 5"])
        .namespaces(Namespaces::PID)
        .pid1_init(init)
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let zombies = common::zombies_of(child.id()).len();
    child.kill().unwrap();
    child.wait().unwrap();
    zombies
}

#[test]
fn init_reaps_orphans() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "init_reaps_orphans",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("init_reaps_orphans") {
        return;
    }
    // Control: without the init the program is pid 1, and `sleep` never
    // reaps the orphan it inherits.
    assert_eq!(
        zombies_left(false),
        1,
        "control: expected the orphan to stay a zombie"
    );
    assert_eq!(zombies_left(true), 0, "the init left a zombie");
}

#[test]
fn init_forwards_sigterm_to_the_program() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "init_forwards_sigterm_to_the_program",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("init_forwards_sigterm_to_the_program") {
        return;
    }
    let mut child = Command::new("sleep")
        .arg("30")
        .namespaces(Namespaces::PID)
        .pid1_init(true)
        .spawn()
        .unwrap();
    // Give the init time to reach its signal wait; a signal sent earlier
    // stays pending (blocked) and is forwarded all the same.
    std::thread::sleep(std::time::Duration::from_millis(50));
    child.signal(Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + Signal::TERM.as_raw()), "{status}");
}

#[test]
fn kill_takes_down_the_whole_namespace() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "kill_takes_down_the_whole_namespace",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("kill_takes_down_the_whole_namespace") {
        return;
    }
    let mut child = Command::new("sleep")
        .arg("30")
        .namespaces(Namespaces::PID)
        .pid1_init(true)
        .create_pidfd(true)
        .spawn()
        .unwrap();
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(Signal::KILL.as_raw()));
}

#[test]
fn failed_exec_under_init_is_reported_and_reaped() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "failed_exec_under_init_is_reported_and_reaped",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("failed_exec_under_init_is_reported_and_reaped") {
        return;
    }
    let before = zombie_children();
    let err = Command::new("/nonexistent/program")
        .namespaces(Namespaces::PID)
        .pid1_init(true)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec));
    assert_eq!(err.raw_os_error(), Some(2));
    common::assert_no_new_zombies(&before);
}

#[test]
fn pid1_init_needs_a_pid_namespace() {
    let _guard = common::shared();
    let err = Command::new("true").pid1_init(true).prepare().unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("Namespaces::PID"), "{err}");
}

// --- The sandbox must not reach the caller through the init. ---

/// The value the escape attempts try to overwrite in this (the caller's)
/// memory; the sandboxed program learns its address from the helper's
/// environment.
static MARKER: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0x5afe_5afe_5afe_5afe);

const ATTACK_ENV: &str = "CLONEXEC_PID1_ATTACK";

/// A sandbox as a hostile program would get it: its own user namespace in
/// which it is root (the same kuid as the init), a PID namespace with the
/// init as pid 1, and a /proc of that namespace.
fn sandboxed(cmd: &mut Command) -> &mut Command {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    cmd.namespaces(Namespaces::USER | Namespaces::PID | Namespaces::NET | Namespaces::MOUNT)
        .uid_map([clonexec::IdMap::new(0, uid, 1)])
        .gid_map([clonexec::IdMap::new(0, gid, 1)])
        .uid(0)
        .gid(0)
        .mount(Mount::proc("/proc"))
        .pid1_init(true)
}

/// Inside the sandbox: tries every way a process can write another
/// process's memory on pid 1 (the init), aiming at `MARKER`'s address in
/// the caller, and prints what it saw of pid 1's fds.
#[test]
#[ignore = "helper: run by escape_attempts_on_the_init_do_not_reach_the_caller"]
fn attack_the_init_helper() {
    let Ok(addr) = std::env::var(ATTACK_ENV) else {
        return;
    };
    let addr: usize = addr.parse().expect("marker address");
    let mut report = String::new();
    // SAFETY: plain system calls on pid 1 of our namespace; every pointer
    // passed is a live local.
    unsafe {
        let value: u64 = 0xbad0_0000_0000_0001;
        if libc::ptrace(libc::PTRACE_ATTACH, 1, 0, 0) == 0 {
            let mut status = 0;
            libc::waitpid(1, &mut status, libc::__WALL);
            let rc = libc::ptrace(libc::PTRACE_POKEDATA, 1, addr, value);
            report += &format!("ptrace poke: {rc}\n");
            libc::ptrace(libc::PTRACE_DETACH, 1, 0, 0);
        } else {
            report += &format!("ptrace attach: {}\n", std::io::Error::last_os_error());
        }
        let value: u64 = 0xbad0_0000_0000_0002;
        let local = libc::iovec {
            iov_base: &value as *const u64 as *mut libc::c_void,
            iov_len: 8,
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: 8,
        };
        let rc = libc::process_vm_writev(1, &local, 1, &remote, 1, 0);
        report += &format!("process_vm_writev: {rc}\n");
    }
    let value: u64 = 0xbad0_0000_0000_0003;
    match std::fs::OpenOptions::new().write(true).open("/proc/1/mem") {
        Ok(mem) => {
            use std::os::unix::fs::FileExt;
            report += &format!(
                "/proc/1/mem: {:?}\n",
                mem.write_at(&value.to_ne_bytes(), addr as u64)
            );
        }
        Err(e) => report += &format!("/proc/1/mem open: {e}\n"),
    }
    let fds: Vec<String> = std::fs::read_dir("/proc/1/fd")
        .map(|dir| {
            dir.flatten()
                .map(|e| {
                    let link = std::fs::read_link(e.path()).unwrap_or_default();
                    format!("{}->{}", e.file_name().to_string_lossy(), link.display())
                })
                .collect()
        })
        .unwrap_or_else(|e| vec![format!("cannot list: {e}")]);
    println!("{report}init fds: [{}]", fds.join(" "));
}

#[test]
fn escape_attempts_on_the_init_do_not_reach_the_caller() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "escape_attempts_on_the_init_do_not_reach_the_caller",
        "needs user and PID namespaces, which clone refuses (EINVAL)",
    ) {
        return;
    }
    let addr = MARKER.as_ptr() as usize;
    let before = MARKER.load(std::sync::atomic::Ordering::SeqCst);
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(&exe);
    cmd.args(common::helper_args(&common::test_name!(
        attack_the_init_helper
    )))
    .env(ATTACK_ENV, addr.to_string());
    let out = sandboxed(&mut cmd).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}\n{stdout}");
    assert_eq!(
        MARKER.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "the sandboxed program wrote the caller's memory through pid 1:\n{stdout}"
    );
    let fds = stdout
        .lines()
        .find_map(|l| l.strip_prefix("init fds: "))
        .unwrap_or_else(|| panic!("no fd listing in\n{stdout}"));
    assert_eq!(fds, "[]", "the init holds fds:\n{stdout}");
}

#[test]
fn callers_pipe_sees_eof_while_the_sandbox_runs() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "callers_pipe_sees_eof_while_the_sandbox_runs",
        "needs user and PID namespaces, which clone refuses (EINVAL)",
    ) {
        return;
    }
    let (read, write) = common::pipe();
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    let mut child = sandboxed(&mut cmd).spawn().unwrap();
    drop(write);
    let mut fds = [libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(&read),
        events: libc::POLLIN,
        revents: 0,
    }];
    // SAFETY: one live pollfd. 10 s only detects a hang: the EOF is
    // immediate unless some process in the sandbox holds the write end.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, 10_000) };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(ready, 1, "the write end is still open inside the sandbox");
    assert_ne!(fds[0].revents & libc::POLLHUP, 0);
}

#[test]
fn init_forwards_every_termination_signal() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "init_forwards_every_termination_signal",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("init_forwards_every_termination_signal") {
        return;
    }
    for signal in [
        Signal::TERM,
        Signal::INT,
        Signal::HUP,
        Signal::QUIT,
        Signal::USR1,
        Signal::USR2,
    ] {
        let mut child = Command::new("sleep")
            .arg("30")
            .namespaces(Namespaces::PID)
            // SIGQUIT would dump core.
            .rlimit(clonexec::Resource::CORE, 0, 0)
            .pid1_init(true)
            .spawn()
            .unwrap();
        // Sent at any moment, the signal is forwarded: before the init waits
        // for signals it stays pending (blocked).
        child.signal(signal).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(128 + signal.as_raw()),
            "{signal}: {status}"
        );
    }
}

const SIGCHLD_ENV: &str = "CLONEXEC_PID1_SIGCHLD_IGNORED";

/// In a process of its own (the disposition is process-wide): spawns with
/// SIGCHLD ignored, then waits with the default disposition back.
#[test]
#[ignore = "helper: run by init_works_when_the_caller_ignores_sigchld"]
fn sigchld_ignored_helper() {
    if std::env::var_os(SIGCHLD_ENV).is_none() {
        return;
    }
    // Spawned while this process ignores SIGCHLD, as the init inherits it.
    let spawn = |cmd: &mut Command| {
        // SAFETY: this helper process runs one test on one thread.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
        let child = cmd
            .stdout(clonexec::Stdio::piped())
            .create_pidfd(true)
            .spawn()
            .unwrap();
        // SAFETY: as above. (Until here a child of ours that exits is
        // reaped by the kernel: the programs below wait for us first.)
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
        child
    };
    // The init exits once the program has: it saw the program end.
    let exits = |child: &clonexec::Child| {
        let mut fds = [libc::pollfd {
            fd: std::os::fd::AsRawFd::as_raw_fd(&child.pidfd().unwrap()),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one live pollfd. 20 s only detects the hang.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, 20_000) };
        assert_eq!(
            ready, 1,
            "the init never exited (it did not see the program end)"
        );
    };
    // The program waits for its stdin to close, which happens after we
    // have SIGCHLD back: our own wait then gets the init's status.
    let mut child = spawn(init_command("read line; exit 3").stdin(clonexec::Stdio::piped()));
    drop(child.stdin.take());
    exits(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "{status}");
    // The program itself keeps the caller's ignored SIGCHLD, as with fork
    // (grep itself: a shell would reset it for its children). The init may
    // end while we still ignore SIGCHLD, so only its end is checked.
    let mut child = spawn(
        Command::new("grep")
            .args(["SigIgn", "/proc/self/status"])
            .namespaces(Namespaces::PID)
            .pid1_init(true),
    );
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut text).unwrap();
    exits(&child);
    let mask = u64::from_str_radix(text.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_ne!(mask & (1 << (libc::SIGCHLD - 1)), 0, "{text}");
    println!("sigchld helper done");
}

#[test]
fn init_works_when_the_caller_ignores_sigchld() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "init_works_when_the_caller_ignores_sigchld",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("init_works_when_the_caller_ignores_sigchld") {
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(common::helper_args(&common::test_name!(
            sigchld_ignored_helper
        )))
        .env(SIGCHLD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("sigchld helper done"),
        "{}\n{stdout}\n{stderr}",
        out.status
    );
}

#[test]
fn init_refuses_combinations_it_cannot_keep_safe() {
    let _guard = common::shared();
    let uid = rustix::process::getuid().as_raw();
    let err = Command::new("true")
        .namespaces(Namespaces::USER | Namespaces::PID)
        .uid_map([clonexec::IdMap::new(0, uid, 1)])
        .oom_score_adj(500)
        .pid1_init(true)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("oom_score_adj"), "{err}");

    let err = Command::new("true")
        .namespaces(Namespaces::PID)
        .ptrace_traceme(true)
        .pid1_init(true)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("ptrace_traceme"), "{err}");
}

#[test]
fn oom_score_adj_reaches_the_program_but_not_the_caller() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "oom_score_adj_reaches_the_program_but_not_the_caller",
        "needs a PID namespace and the pid-1 init (CLONE_VM without CLONE_VFORK), and clone refuses both (EINVAL)",
    ) {
        return;
    }
    if skip_unless_root("oom_score_adj_reaches_the_program_but_not_the_caller") {
        return;
    }
    let own = || std::fs::read_to_string("/proc/self/oom_score_adj").unwrap();
    let before = own();
    let out = init_command("cat /proc/self/oom_score_adj /proc/1/oom_score_adj")
        .oom_score_adj(789)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "789\n789\n");
    assert_eq!(own(), before, "the caller's own oom_score_adj changed");
}
