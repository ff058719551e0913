//! Sessions and process groups, as the child sees them in /proc/self/stat.

use crate::common;

use clonexec::{Command, Step};
use common::stat_fields;

/// (pid, pgrp, session) of a `cat /proc/self/stat` child (cat is the
/// spawned process itself, so its pid is `child.id()`).
fn child_ids(cmd: &mut Command) -> (u32, i32, i32) {
    let child = cmd
        .arg("/proc/self/stat")
        .stdout(clonexec::Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stat = String::from_utf8(out.stdout).unwrap();
    let fields = stat_fields(&stat);
    let pid: u32 = stat[..stat.find(' ').unwrap()].parse().unwrap();
    assert_eq!(pid, id, "the stat is the child's own");
    (pid, fields[2].parse().unwrap(), fields[3].parse().unwrap())
}

fn my_pgrp_and_session() -> (i32, i32) {
    // SAFETY: getpgrp/getsid(0) take no pointers.
    unsafe { (libc::getpgrp(), libc::getsid(0)) }
}

#[test]
fn by_default_the_child_shares_our_group_and_session() {
    let _guard = common::shared();
    let (_, pgrp, session) = child_ids(&mut Command::new("cat"));
    assert_eq!((pgrp, session), my_pgrp_and_session());
}

#[test]
fn setsid_makes_the_child_a_session_and_group_leader() {
    let _guard = common::shared();
    let (pid, pgrp, session) = child_ids(Command::new("cat").setsid(true));
    assert_eq!(pgrp, pid as i32);
    assert_eq!(session, pid as i32);
    assert_ne!(session, my_pgrp_and_session().1);
}

#[test]
fn process_group_zero_makes_a_new_group_in_our_session() {
    let _guard = common::shared();
    let (pid, pgrp, session) = child_ids(Command::new("cat").process_group(0));
    assert_eq!(pgrp, pid as i32);
    assert_eq!(session, my_pgrp_and_session().1);
}

#[test]
fn process_group_joins_an_existing_group() {
    let _guard = common::shared();
    let mut leader = Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .unwrap();
    let leader_pid = leader.id() as i32;
    let (pid, pgrp, session) = child_ids(Command::new("cat").process_group(leader_pid));
    leader.kill().unwrap();
    leader.wait().unwrap();
    assert_ne!(pid as i32, leader_pid);
    assert_eq!(pgrp, leader_pid);
    assert_eq!(session, my_pgrp_and_session().1);
}

#[test]
fn joining_a_missing_group_fails_at_setpgid() {
    let _guard = common::shared();
    // No process group can have an id past pid_max (at most 2^22).
    let err = Command::new("true")
        .process_group(i32::MAX)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::SetPgid));
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    assert!(err.to_string().contains("setpgid"), "{err}");
}
