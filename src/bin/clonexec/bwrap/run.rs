//! Running a [`Sandbox`]: clonexec becomes the program when nothing needs
//! a parent, else spawns and waits for it as bubblewrap's monitor does,
//! writing `--info-fd` and `--json-status-fd`.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;

use clonexec::{Error, Step};

use super::lower;
use super::parse::Sandbox;
use crate::signals::Forwarding;

/// bubblewrap's exit status for its own failures.
pub const EXIT_FAILED: u8 = 1;

/// The namespaces `--info-fd` reports, in bubblewrap's order, with
/// whether the sandbox has a new one (the mount namespace always).
fn reported_namespaces(s: &Sandbox) -> Vec<&'static str> {
    [
        ("cgroup", s.unshare_cgroup || s.unshare_cgroup_try),
        ("ipc", s.unshare_ipc),
        ("mnt", true),
        ("net", s.unshare_net),
        ("pid", s.unshare_pid),
        ("uts", s.unshare_uts),
    ]
    .into_iter()
    .filter(|&(_, new)| new)
    .map(|(name, _)| name)
    .collect()
}

/// Prints `message` as bubblewrap does: `bwrap: ...` on stderr, after
/// `<3>` (error) or `<4>` (warning) with `--level-prefix`.
pub fn say(level_prefix: bool, level: u8, message: &str) {
    let prefix = if level_prefix {
        format!("<{level}>")
    } else {
        String::new()
    };
    let _ = writeln!(std::io::stderr(), "{prefix}bwrap: {message}");
}

/// Runs the sandbox; returns the exit status.
pub fn run(mut s: Sandbox) -> u8 {
    let prefix = s.level_prefix;
    for warning in &s.warnings {
        say(prefix, 4, warning);
    }
    match start(&mut s) {
        Ok(code) => code,
        Err(message) => {
            // Empty when a hook said why itself.
            if !message.is_empty() {
                say(prefix, 3, &message);
            }
            EXIT_FAILED
        }
    }
}

fn start(s: &mut Sandbox) -> Result<u8, String> {
    if s.die_with_parent {
        // bubblewrap's monitor dies with its parent too (the program then
        // with it: its own parent-death signal, or its pid 1's).
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .map_err(|e| format!("prctl: {}", std::io::Error::from(e)))?;
    }
    let mut cmd = lower::command(s)?;
    let prefix = s.level_prefix;
    if s.assert_userns_disabled {
        // SAFETY: the hook runs in a forked child with memory of its own.
        // unshare(CLONE_NEWUSER) changes no fd or filesystem state that
        // anything else relies on (rustix marks unshare unsafe for
        // CLONE_FILES and CLONE_FS); if it succeeds the spawn fails.
        unsafe {
            cmd.pre_exec(move || {
                match rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWUSER) {
                    Ok(()) => {
                        let message =
                            "creation of new user namespaces was not disabled as requested";
                        say(prefix, 3, message);
                        Err(std::io::Error::other(message))
                    }
                    Err(_) => Ok(()),
                }
            });
        }
    }
    if !s.lock_files.is_empty() {
        lock_files_hook(&mut cmd, std::mem::take(&mut s.lock_files), prefix);
    }
    let leads_group = rustix::process::getpgrp() == rustix::process::getpid();
    let supervise = s.unshare_pid
        || s.info_fd.is_some()
        || s.json_status_fd.is_some()
        || (s.new_session && leads_group);
    if !supervise {
        // Nothing needs a parent: become the program.
        return Err(describe(&cmd.exec()));
    }

    // The namespaces the program is in, as it sees them: written by a hook
    // just before its exec (reading them after the spawn could find a
    // program that is already gone).
    let ids = if s.info_fd.is_some() || s.json_status_fd.is_some() {
        Some(namespace_ids_hook(&mut cmd, reported_namespaces(s))?)
    } else {
        None
    };
    let (forwarding, own_mask) = Forwarding::start().map_err(failure_text)?;
    cmd.signal_mask(own_mask);
    let mut child = cmd.spawn().map_err(|e| describe(&e))?;
    // Our copies of fds given to the program (and the hook's pipe end).
    drop(cmd);
    let ids = ids.map(read_ids).unwrap_or_default();
    if let Some(fd) = s.info_fd.take() {
        let mut text = format!("{{\n    \"child-pid\": {}", child.id());
        for (name, id) in &ids {
            text.push_str(&format!(",\n    \"{name}-namespace\": {id}"));
        }
        text.push_str("\n}\n");
        write_or_fail(fd, &text)?;
    }
    let mut json = s.json_status_fd.take().map(std::fs::File::from);
    if let Some(file) = &mut json {
        let mut text = format!("{{ \"child-pid\": {}", child.id());
        for (name, id) in &ids {
            text.push_str(&format!(", \"{name}-namespace\": {id}"));
        }
        text.push_str(" }\n");
        file.write_all(text.as_bytes())
            .map_err(|e| format!("Write to json-status-fd: {e}"))?;
    }
    let status = forwarding.wait(&mut child).map_err(failure_text)?;
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 255,
    };
    if let Some(mut file) = json {
        // Ignored, as bubblewrap does: the reader may be gone.
        let _ = file.write_all(format!("{{ \"exit-code\": {code} }}\n").as_bytes());
    }
    Ok(code as u8)
}

/// Adds a hook to `cmd` that takes a read lock on each of `paths` (in the
/// sandbox) with an fd the program inherits: the lock is held while the
/// program (or a child holding the fd) runs. bubblewrap holds it in its pid
/// 1; here the program holds it.
fn lock_files_hook(cmd: &mut clonexec::Command, paths: Vec<std::ffi::OsString>, prefix: bool) {
    use rustix::fs::{FlockOperation, Mode, OFlags};
    // SAFETY: the hook runs in a forked child with memory of its own; the
    // fds it leaves open are meant for the program.
    unsafe {
        cmd.pre_exec(move || {
            for path in &paths {
                let locked = rustix::fs::open(path, OFlags::RDONLY, Mode::empty()).and_then(|fd| {
                    rustix::fs::fcntl_lock(&fd, FlockOperation::NonBlockingLockShared)?;
                    // Kept open (not close-on-exec): it holds the lock.
                    std::mem::forget(fd);
                    Ok(())
                });
                if let Err(e) = locked {
                    let e = std::io::Error::from(e);
                    let message = format!(
                        "Unable to lock file {}: {}",
                        path.to_string_lossy(),
                        lower::strerror(&e)
                    );
                    say(prefix, 3, &message);
                    return Err(e);
                }
            }
            Ok(())
        });
    }
}

/// Writes `text` to `fd` and closes it.
fn write_or_fail(fd: OwnedFd, text: &str) -> Result<(), String> {
    std::fs::File::from(fd)
        .write_all(text.as_bytes())
        .map_err(|e| format!("Write to info_fd: {e}"))
}

/// A failure of clonexec's shared code, as one line.
fn failure_text(failure: crate::Failure) -> String {
    match failure {
        crate::Failure::Usage(message) | crate::Failure::Setup(message) => message,
        crate::Failure::Spawn(err) => describe(&err),
    }
}

/// A failure of the library, as one line; empty for a failed hook, which
/// said why itself.
fn describe(err: &Error) -> String {
    if err.step() == Some(Step::PreExec) {
        return String::new();
    }
    err.to_string()
}

/// Adds a hook to `cmd` that writes `NAME INODE` lines for the program's
/// namespaces `names` to a pipe, and returns the pipe's read end. The hook
/// runs after the root change, where /proc may be missing: it looks in
/// the caller's /proc, through a directory fd opened here.
fn namespace_ids_hook(
    cmd: &mut clonexec::Command,
    names: Vec<&'static str>,
) -> Result<OwnedFd, String> {
    use rustix::fs::{AtFlags, Mode, OFlags};
    let proc = rustix::fs::open(
        "/proc",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("Can't open /proc: {}", std::io::Error::from(e)))?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| format!("pipe2(): {}", std::io::Error::from(e)))?;
    let proc = Arc::new(proc);
    let write = Arc::new(write);
    // SAFETY: the hook runs in a forked child, which has memory of its
    // own; it only formats, stats and writes.
    unsafe {
        cmd.pre_exec(move || {
            let mut lines = String::new();
            for name in &names {
                if let Ok(stat) =
                    rustix::fs::statat(&*proc, format!("self/ns/{name}"), AtFlags::empty())
                {
                    lines.push_str(&format!("{name} {}\n", stat.st_ino));
                }
            }
            rustix::io::write(&*write, lines.as_bytes())?;
            Ok(())
        });
    }
    Ok(read)
}

/// The `(name, inode)` pairs the hook wrote (its pipe reaches end-of-file
/// once the program's exec closed the last write end).
fn read_ids(read: OwnedFd) -> Vec<(String, u64)> {
    let mut text = String::new();
    let _ = std::fs::File::from(read).read_to_string(&mut text);
    text.lines()
        .filter_map(|line| {
            let (name, id) = line.split_once(' ')?;
            Some((name.to_owned(), id.parse().ok()?))
        })
        .collect()
}
