//! The program the `spawn` fuzz target starts: it prints, one fact per line
//! on stdout, what it sees of itself right after exec, so the fuzz target
//! can compare that with what it asked clonexec for.
//!
//! It has no Rust runtime start-up (`no_main`: Rust's `main` would ignore
//! SIGPIPE and install signal handlers before we could look at the
//! dispositions the exec gave us), no dependencies, and prints everything
//! with one `write`.
//!
//! Lines (values never contain a newline; environment entries are hex):
//!
//! ```text
//! pid N / ppid N / pdeathsig N / dumpable N
//! status KEY VALUE          (Uid, Gid, Groups, Cap*, NoNewPrivs, SigBlk, SigIgn)
//! stat PGRP SESSION         (from /proc/self/stat, in the /proc mount's pid namespace)
//! limit nofile SOFT HARD    (and core; "unlimited" for infinity)
//! ns KIND LINK              (readlink /proc/self/ns/KIND)
//! cwd PATH
//! hostname NAME
//! env HEX(KEY=VALUE)
//! fd N LINK ACCMODE         (every open fd, ACCMODE = flags & 3 from fdinfo)
//! ```
#![no_main]

use std::ffi::CStr;
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;

unsafe extern "C" {
    fn prctl(option: i32, ...) -> i32;
    fn getpid() -> i32;
    fn getppid() -> i32;
}

const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn link(path: &str) -> String {
    std::fs::read_link(path)
        .map(|p| p.to_string_lossy().replace(['\n', ' '], "_"))
        .unwrap_or_else(|e| format!("error:{}", e.raw_os_error().unwrap_or(0)))
}

fn report() -> String {
    let mut out = String::new();
    // SAFETY: these calls take no pointers.
    let (pid, ppid) = unsafe { (getpid(), getppid()) };
    let mut sig: i32 = 0;
    // SAFETY: PR_GET_PDEATHSIG writes an int through the pointer we pass.
    unsafe { prctl(PR_GET_PDEATHSIG, &mut sig as *mut i32) };
    // SAFETY: PR_GET_DUMPABLE takes no pointer.
    let dumpable = unsafe { prctl(PR_GET_DUMPABLE) };
    let _ = writeln!(
        out,
        "pid {pid}\nppid {ppid}\npdeathsig {sig}\ndumpable {dumpable}"
    );

    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if let Some((key, value)) = line.split_once(':') {
                let wanted = matches!(
                    key,
                    "Uid" | "Gid" | "Groups" | "NoNewPrivs" | "SigBlk" | "SigIgn"
                ) || key.starts_with("Cap");
                if wanted {
                    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
                    let _ = writeln!(out, "status {key} {value}");
                }
            }
        }
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat")
        && let Some(pos) = stat.rfind(')')
    {
        let fields: Vec<&str> = stat[pos + 1..].split_whitespace().collect();
        // state ppid pgrp session ...
        if let (Some(pgrp), Some(session)) = (fields.get(2), fields.get(3)) {
            let _ = writeln!(out, "stat {pgrp} {session}");
        }
    }
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
        for (name, prefix) in [("nofile", "Max open files"), ("core", "Max core file size")] {
            if let Some(line) = limits.lines().find(|l| l.starts_with(prefix)) {
                let rest: Vec<&str> = line[prefix.len()..].split_whitespace().collect();
                if let (Some(soft), Some(hard)) = (rest.first(), rest.get(1)) {
                    let _ = writeln!(out, "limit {name} {soft} {hard}");
                }
            }
        }
    }
    for kind in ["uts", "ipc", "net", "pid", "mnt", "user", "cgroup"] {
        let _ = writeln!(out, "ns {kind} {}", link(&format!("/proc/self/ns/{kind}")));
    }
    match std::env::current_dir() {
        Ok(dir) => {
            let _ = writeln!(out, "cwd {}", dir.to_string_lossy().replace('\n', "_"));
        }
        Err(e) => {
            let _ = writeln!(out, "cwd error:{}", e.raw_os_error().unwrap_or(0));
        }
    }
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let _ = writeln!(out, "hostname {}", name.trim_end());
    }
    for (key, value) in std::env::vars_os() {
        let mut entry = key.as_bytes().to_vec();
        entry.push(b'=');
        entry.extend_from_slice(value.as_bytes());
        let _ = writeln!(out, "env {}", hex(&entry));
    }
    // List first (read_dir holds an fd of its own), then look at each fd:
    // the directory's fd is closed by then and drops out.
    let mut fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    fds.sort_unstable();
    for fd in fds {
        let Ok(target) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else {
            continue;
        };
        let accmode = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
            .ok()
            .and_then(|info| {
                let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
                u32::from_str_radix(flags.trim(), 8).ok()
            })
            .map_or(9, |flags| flags & 3);
        let target = target.to_string_lossy().replace(['\n', ' '], "_");
        let _ = writeln!(out, "fd {fd} {target} {accmode}");
    }
    out
}

#[unsafe(no_mangle)]
extern "C" fn main(argc: i32, argv: *const *const std::ffi::c_char) -> i32 {
    // `probe exit N`: exit with N without printing (a cheap "true"/"false").
    if argc >= 3 {
        // SAFETY: the kernel passes argc valid NUL-terminated strings.
        let arg = |i: usize| unsafe { CStr::from_ptr(*argv.add(i)) };
        if arg(1).to_bytes() == b"exit" {
            return std::str::from_utf8(arg(2).to_bytes())
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        }
    }
    let text = report();
    let mut stdout = std::io::stdout().lock();
    let ok = stdout.write_all(text.as_bytes()).is_ok() && stdout.flush().is_ok();
    if ok { 0 } else { 3 }
}
