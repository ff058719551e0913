//! The bwrap front end on any command line: clonexec's CLI
//! (src/bin/clonexec/main.rs) is this fuzz target's crate, and this file a
//! module of it when built with `--cfg fuzzing` (see fuzz/Cargo.toml).
//!
//! Input: the arguments, NUL-separated; after a double NUL, the bytes that
//! every fd the arguments name holds (`--args 3`, `--file 4 /x`,
//! `--seccomp 5`...): stand-in memfds, so that parsing never touches an fd
//! of this process. The seeds are readable command lines.
//!
//! Every argv must either parse and lower into a `Command` that
//! `prepare()` accepts or refuses with a message, or be refused with a
//! message; never panic, never start a process, never leave an fd open.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use libfuzzer_sys::fuzz_target;

use crate::bwrap::fds::Fds;

/// Stand-ins for the fds a command line names: each a memfd holding the
/// input's fd bytes; each number taken once, as for real.
struct StandIns<'a> {
    data: &'a [u8],
    taken: HashSet<i32>,
}

impl Fds for StandIns<'_> {
    fn take(&mut self, n: i32) -> Result<OwnedFd, String> {
        if !self.taken.insert(n) {
            return Err(format!("fd {n} is used twice"));
        }
        let fd = rustix::fs::memfd_create("bwrap-fuzz", rustix::fs::MemfdFlags::CLOEXEC)
            .map_err(|e| format!("memfd_create: {e}"))?;
        let mut file = std::fs::File::from(fd);
        file.write_all(self.data).map_err(|e| e.to_string())?;
        rustix::fs::seek(&file, rustix::fs::SeekFrom::Start(0)).map_err(|e| e.to_string())?;
        Ok(file.into())
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// This process's children, running or zombies, from every thread's
/// `/proc/self/task/TID/children` (libFuzzer starts a symbolizer of its
/// own now and then: what counts is what appears during one input).
fn children() -> HashSet<String> {
    let mut pids = HashSet::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let path = task.expect("task").path().join("children");
        let list = std::fs::read_to_string(path).unwrap_or_default();
        pids.extend(list.split_whitespace().map(String::from));
    }
    pids
}

fuzz_target!(|input: &[u8]| {
    let (argv, data) = match input.windows(2).position(|w| w == b"\0\0") {
        Some(at) => (&input[..at], &input[at + 2..]),
        None => (input, &[][..]),
    };
    let args: Vec<OsString> = if argv.is_empty() {
        Vec::new()
    } else {
        argv.split(|&b| b == 0)
            .map(|a| OsStr::from_bytes(a).to_owned())
            .collect()
    };
    if std::env::var_os("CLONEXEC_FUZZ_VERBOSE").is_some() {
        eprintln!("argv {args:?}, fd data {data:?}");
    }
    let fds_before = open_fds();
    let children_before = children();
    let mut stand_ins = StandIns {
        data,
        taken: HashSet::new(),
    };
    match crate::bwrap::prepare(OsStr::new("bwrap"), args, &mut stand_ins) {
        Ok(Some(command)) => {
            if let Err(err) = command.prepare() {
                assert!(!err.to_string().is_empty(), "a refusal without a message");
            }
        }
        Ok(None) => {}
        Err(message) => assert!(!message.is_empty(), "a refusal without a message"),
    }
    let new_children: Vec<String> = children().difference(&children_before).cloned().collect();
    assert!(
        new_children.is_empty(),
        "parsing started processes {new_children:?}"
    );
    assert_eq!(open_fds(), fds_before, "an fd was left open");
});
