//! Unit tests of `child/fds.rs`, run in the test process (not in a child):
//! here, outside the child's own files, they may allocate and unwrap.

use super::*;
use alloc::vec::Vec;

fn gaps(keep: &[i32], report: i32) -> Vec<(u32, u32)> {
    gaps2(keep, [report, -1])
}

fn gaps2(keep: &[i32], extra: [i32; 2]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    close_gaps(keep, extra, |a, b| {
        out.push((a, b));
        Ok(())
    })
    .unwrap();
    out
}

/// `fd`'s inode, to tell our copies from other fds.
fn inode(fd: i32) -> Option<u64> {
    // SAFETY: the fd is only borrowed for the fstat.
    let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
    rustix::fs::fstat(fd).ok().map(|st| st.st_ino)
}

#[test]
fn close_gaps_skips_kept_fds_and_the_report_pipe() {
    assert_eq!(gaps(&[0, 1, 2], 3), [(4, u32::MAX)]);
    assert_eq!(gaps(&[0, 1, 2], 7), [(3, 6), (8, u32::MAX)]);
    assert_eq!(
        gaps(&[0, 1, 2, 5, 9], 12),
        [(3, 4), (6, 8), (10, 11), (13, u32::MAX)]
    );
    assert_eq!(gaps(&[0, 1, 2, 3], 4), [(5, u32::MAX)]);
    // No report pipe (vfork with shared memory).
    assert_eq!(gaps(&[0, 1, 2], -1), [(3, u32::MAX)]);
    assert_eq!(gaps(&[0, 1, 2, 7], -1), [(3, 6), (8, u32::MAX)]);
}

#[test]
fn close_gaps_keeps_both_extra_fds_in_any_order() {
    let expected = [(3, 4), (6, 8), (10, 11), (13, u32::MAX)];
    assert_eq!(gaps2(&[0, 1, 2, 9], [5, 12]), expected);
    assert_eq!(gaps2(&[0, 1, 2, 9], [12, 5]), expected);
    assert_eq!(gaps2(&[0, 1, 2], [-1, 4]), [(3, 3), (5, u32::MAX)]);
    assert_eq!(gaps2(&[0, 1, 2], [20, 21]), [(3, 19), (22, u32::MAX)]);
    // An extra fd that is also kept changes nothing.
    assert_eq!(gaps2(&[0, 1, 2, 5], [5, -1]), [(3, 4), (6, u32::MAX)]);
}

#[test]
fn is_target_searches_the_sorted_targets() {
    assert!(!is_target(&[], 0));
    let targets = [0, 1, 2, 9, 63];
    for fd in targets {
        assert!(is_target(&targets, fd), "{fd}");
    }
    for fd in [-1, 3, 8, 10, 62, 64, i32::MAX, i32::MIN] {
        assert!(!is_target(&targets, fd), "{fd}");
    }
    // Against a linear search, for every length up to 9 and every
    // number around the ones present.
    let all: Vec<i32> = (0..9).map(|i| i * 3 + 1).collect();
    for len in 0..=all.len() {
        let targets = &all[..len];
        for fd in -1..30 {
            assert_eq!(
                is_target(targets, fd),
                targets.contains(&fd),
                "{targets:?} {fd}"
            );
        }
    }
}

#[test]
fn set_aside_copies_above_the_targets_when_it_can() {
    let (read, _write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    let fd = rustix::fd::AsRawFd::as_raw_fd(&read);
    let copy = set_aside(fd, 9, &[5, 9]).unwrap();
    assert!(copy >= 10, "{copy}");
    assert_eq!(inode(copy), inode(fd));
    let _ = sys::fd::close(copy);
}

#[test]
fn set_aside_below_the_fd_limit_skips_the_targets() {
    let (read, _write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    let fd = rustix::fd::AsRawFd::as_raw_fd(&read);
    let ino = inode(fd);
    // The lowest free numbers now (other tests' threads may take some
    // meanwhile: only what holds whatever they do is checked).
    let mut free: Vec<i32> = (0..3)
        .map(|_| sys::fd::dupfd_cloexec(fd, 0).unwrap())
        .collect();
    for &n in &free {
        let _ = sys::fd::close(n);
    }
    free.truncate(2);
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap();
    // max_target + 1 at the limit: no room above the targets.
    let copy = set_aside(fd, limit as i32 - 1, &free).unwrap();
    assert!(!free.contains(&copy), "{copy} is a target: {free:?}");
    assert!((copy as u64) < limit);
    assert_eq!(inode(copy), ino);
    let _ = sys::fd::close(copy);
    // Copies left on target numbers are ours to close.
    for n in free {
        if inode(n) == ino {
            let _ = sys::fd::close(n);
        }
    }
}

#[test]
fn parse_fd_reads_decimal_names_only() {
    assert_eq!(parse_fd(b"17\0"), Some(17));
    assert_eq!(parse_fd(b".\0"), None);
    assert_eq!(parse_fd(b"..\0"), None);
    assert_eq!(parse_fd(b"99999999999\0"), None);
}
