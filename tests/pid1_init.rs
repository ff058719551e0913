//! pid1_init(true): a reaping, signal-forwarding init as pid 1 of a new PID
//! namespace, with the program as its child.

mod common;

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

/// Zombies whose parent (as this process sees pids) is `parent`.
fn zombies_of(parent: u32) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let mut fields = rest.split(' ');
        let (state, ppid) = (fields.next(), fields.next());
        if state == Some("Z") && ppid == Some(parent.to_string().as_str()) {
            count += 1;
        }
    }
    count
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
    let zombies = zombies_of(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    zombies
}

#[test]
fn init_reaps_orphans() {
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
    let err = Command::new("true").pid1_init(true).prepare().unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("Namespaces::PID"), "{err}");
}
