//! `Prepared`: prepare once, spawn many times, from several threads.

use crate::common;

use std::io::Read;

use clonexec::{Command, Error, Prepared, Stdio};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn prepared_and_error_are_send_and_sync() {
    let _guard = common::shared();
    assert_send_sync::<Prepared>();
    assert_send_sync::<Error>();
}

fn run(prepared: &Prepared) -> String {
    let out = prepared.spawn().unwrap().wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn prepared_spawns_a_hundred_times() {
    let _guard = common::shared();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo \"$GREETING $1\"", "sh", "arg"])
        .env("GREETING", "hello")
        .stdout(Stdio::piped());
    let prepared = cmd.prepare().unwrap();
    // The Prepared owns its data: the command can go (and change) first.
    cmd.env("GREETING", "changed");
    drop(cmd);
    for _ in 0..100 {
        assert_eq!(run(&prepared), "hello arg\n");
    }
}

#[test]
fn prepared_with_a_mapped_fd_can_be_reused() {
    let _guard = common::shared();
    let (mut reader, writer) = common::pipe();
    let prepared = Command::new("sh")
        .args(["-c", "echo x >&4"])
        .fd(4, writer)
        .prepare()
        .unwrap();
    // The Command (and its fd) is gone: the Prepared owns a copy.
    for _ in 0..5 {
        assert!(prepared.spawn().unwrap().wait().unwrap().success());
    }
    drop(prepared);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "x\nx\nx\nx\nx\n");
}

#[test]
fn prepared_is_used_from_two_threads_concurrently() {
    let _guard = common::shared();
    let prepared = Command::new("sh")
        .args(["-c", "echo $$"])
        .stdout(Stdio::piped())
        .prepare()
        .unwrap();
    let barrier = std::sync::Barrier::new(2);
    let pids: Vec<Vec<u32>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    (0..50)
                        .map(|_| {
                            let mut child = prepared.spawn().unwrap();
                            let id = child.id();
                            let mut text = String::new();
                            child
                                .stdout
                                .take()
                                .unwrap()
                                .read_to_string(&mut text)
                                .unwrap();
                            assert!(child.wait().unwrap().success());
                            // Each child got its own stdout pipe: it printed
                            // its own pid into ours.
                            assert_eq!(text.trim().parse::<u32>().unwrap(), id);
                            id
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|p| p.len() == 50));
}

#[test]
fn prepared_failure_is_repeatable() {
    let _guard = common::shared();
    let prepared = Command::new("true")
        .current_dir("/nonexistent")
        .prepare()
        .unwrap();
    for _ in 0..10 {
        let err = prepared.spawn().unwrap_err();
        assert_eq!(err.step(), Some(clonexec::Step::Chdir));
    }
}
