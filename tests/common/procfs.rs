//! Readers of `/proc`: status and stat fields, this process's fds and
//! zombie children.

use std::fs;

/// The value of a `Key:\tvalue` line of a `/proc/PID/status` text (or of
/// an fdinfo file, which has the same form).
pub fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

/// A hexadecimal status field (`CapPrm`, `SigBlk`, ...).
pub fn status_hex(status: &str, key: &str) -> u64 {
    let text =
        status_field(status, key).unwrap_or_else(|| panic!("no {key} line in status:\n{status}"));
    u64::from_str_radix(text, 16).unwrap_or_else(|e| panic!("{key}: {text:?}: {e}"))
}

/// A decimal status field (`NoNewPrivs`, `TracerPid`, ...).
pub fn status_dec(status: &str, key: &str) -> i64 {
    let text =
        status_field(status, key).unwrap_or_else(|| panic!("no {key} line in status:\n{status}"));
    text.parse()
        .unwrap_or_else(|e| panic!("{key}: {text:?}: {e}"))
}

/// This process's `/proc/self/status`.
pub fn own_status() -> String {
    fs::read_to_string("/proc/self/status").expect("read /proc/self/status")
}

/// This thread's `/proc/thread-self/status` (the signal mask is per thread).
pub fn own_thread_status() -> String {
    fs::read_to_string("/proc/thread-self/status").expect("read /proc/thread-self/status")
}

/// The fields after the command name of a `/proc/PID/stat` text (so index 0
/// is the state, 1 the ppid, 2 the process group, 3 the session, 4 the
/// tty_nr, 5 the tpgid). The command name may hold spaces and parentheses:
/// the fields start after the last `)`.
pub fn stat_fields(stat: &str) -> Vec<String> {
    let after = &stat[stat.rfind(')').expect("no ')' in stat") + 1..];
    after.split_whitespace().map(String::from).collect()
}

/// The interesting fields of a `/proc/PID/stat` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: i64,
    pub tpgid: i32,
}

/// Parses a `/proc/PID/stat` line (see [`stat_fields`]).
pub fn parse_stat(line: &str) -> Stat {
    let line = line.trim();
    let pid = line
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line:?}"));
    let fields = stat_fields(line);
    let num = |i: usize| -> i64 {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .unwrap_or_else(|| panic!("field {i} of {line:?}"))
    };
    Stat {
        pid,
        ppid: num(1) as i32,
        pgrp: num(2) as i32,
        session: num(3) as i32,
        tty_nr: num(4),
        tpgid: num(5) as i32,
    }
}

/// The number of fds open in this process (including the one used to read
/// the directory, which is always present, so counts compare fairly).
pub fn open_fd_count() -> usize {
    fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// `readlink /proc/self/fd/N` in this process.
pub fn fd_link(fd: i32) -> Option<String> {
    fs::read_link(format!("/proc/self/fd/{fd}"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// Asserts that no zombie child beyond `before` stays: other tests of the
/// same binary spawn concurrently, and their children are zombies for a
/// moment before they are waited for, so this waits up to 5 s for zombies
/// that are not ours to go.
pub fn assert_no_new_zombies(before: &[i32]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let new: Vec<i32> = zombie_children()
            .into_iter()
            .filter(|pid| !before.contains(pid))
            .collect();
        if new.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "zombies left behind: {new:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The pids of this process's children that are zombies.
pub fn zombie_children() -> Vec<i32> {
    zombies_of(std::process::id())
}

/// The pids of the zombies whose parent (as this process sees pids) is
/// `parent`.
pub fn zombies_of(parent: u32) -> Vec<i32> {
    let mut zombies = Vec::new();
    for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let fields = stat_fields(&stat);
        if fields.first().map(String::as_str) == Some("Z")
            && fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent)
        {
            zombies.push(pid);
        }
    }
    zombies
}
