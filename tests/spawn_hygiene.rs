//! Many spawns, successful and failed, leave nothing behind in the parent:
//! no fd, no zombie, no memory mapping (the child's stack).
//!
//! This file holds a single test, so nothing else in its process opens fds,
//! maps memory (another test's thread stack, a library's stack cache) or
//! starts children while it counts. A lock would not do: libtest starts
//! and ends a thread for each test, whatever the test holds.

mod common;

use clonexec::{Command, Stdio, Step};

fn mapping_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

/// One spawn of kind `i % 8`, checking its outcome.
fn spawn_one(i: usize, dir: &common::TempDir) {
    match i % 8 {
        0 => assert!(Command::new("true").status().unwrap().success()),
        1 => {
            let err = Command::new("clonexec-no-such-program")
                .spawn()
                .unwrap_err();
            assert_eq!(err.raw_os_error(), Some(common::ENOENT));
        }
        2 => {
            let err = Command::new("true")
                .current_dir("/nonexistent")
                .spawn()
                .unwrap_err();
            assert_eq!(err.step(), Some(Step::Chdir));
        }
        3 => {
            let out = Command::new("sh")
                .args(["-c", "echo out; echo err >&2"])
                .output()
                .unwrap();
            assert_eq!(
                (out.stdout.as_slice(), out.stderr.as_slice()),
                (&b"out\n"[..], &b"err\n"[..])
            );
        }
        4 => {
            // A failure with every per-spawn resource in play: stdio
            // pipes, a pidfd, fd mappings, close_other_fds.
            let (_r, w) = common::pipe();
            let err = Command::new("/nonexistent/program")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .create_pidfd(true)
                .fd(5, w)
                .close_other_fds(true)
                .spawn()
                .unwrap_err();
            assert_eq!(err.step(), Some(Step::Exec));
        }
        5 => {
            let mut child = Command::new("true")
                .create_pidfd(true)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            assert!(child.wait().unwrap().success());
        }
        6 => {
            // EACCES from a PATH search over several entries.
            let err = Command::new("noexec")
                .env("PATH", format!("/nonexistent:{}", dir.path().display()))
                .spawn()
                .unwrap_err();
            assert_eq!(err.raw_os_error(), Some(common::EACCES));
        }
        _ => {
            let err = Command::new("true")
                .current_dir("/nonexistent")
                .create_pidfd(true)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_err();
            assert_eq!(err.step(), Some(Step::Chdir));
        }
    }
}

#[test]
fn thousand_spawns_leave_no_fds_zombies_or_mappings() {
    let dir = common::TempDir::new("hygiene");
    dir.write_file("noexec", "#!/bin/sh\n", 0o644);
    // Warm up (lazy statics, allocator arenas, the clone3 probe).
    for i in 0..16 {
        spawn_one(i, &dir);
    }
    let fds_before = common::open_fd_count();
    let zombies_before = common::zombie_children();
    let maps_before = mapping_count();

    for i in 0..1000 {
        spawn_one(i, &dir);
    }

    let fds_after = common::open_fd_count();
    let zombies_after = common::zombie_children();
    let maps_after = mapping_count();
    assert_eq!(fds_after, fds_before, "fds leaked");
    assert_eq!(zombies_after, zombies_before, "zombies left");
    assert!(zombies_after.is_empty(), "zombies: {zombies_after:?}");
    // A leaked child stack is at least one mapping per spawn (its guard
    // page keeps it from merging); the allocator may add a few.
    assert!(
        maps_after <= maps_before + 20,
        "mappings grew from {maps_before} to {maps_after}"
    );
}
