//! A [`Sandbox`] in the library's terms: bubblewrap's model (a root built
//! from an empty tmpfs, `nodev`/`nosuid` binds, a user namespace when not
//! run as root, capabilities as asked, `no_new_privs`) as a
//! [`clonexec::Command`], with bubblewrap's checks and messages.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use clonexec::{CapMask, CapSet, Command, IdMap, Mount, Namespaces, Propagation, Signal};

use super::parse::{BindKind, CapOp, EnvOp, FileKind, Op, Sandbox};

/// The parts of /proc that bubblewrap makes read-only in the sandbox's
/// proc (`/proc/sysrq-trigger` would let root in it reboot the host).
const PROC_COVERED: [&str; 4] = ["sys", "sysrq-trigger", "irq", "bus"];

/// The command `sandbox` describes. Takes the fds of its file operations
/// (their data is read when the command is prepared).
pub fn command(sandbox: &mut Sandbox) -> Result<Command, String> {
    let real_uid = rustix::process::getuid().as_raw();
    let real_gid = rustix::process::getgid().as_raw();
    let s = &*sandbox;
    if s.disable_userns && !s.unshare_user {
        return Err(String::from("--disable-userns requires --unshare-user"));
    }
    // As bubblewrap: without root, only a user namespace gives the rights
    // to set the rest up.
    let userns = s.unshare_user || real_uid != 0 || (s.unshare_user_try && userns_allowed());
    let cgroup_ns_exists = || Path::new("/proc/self/ns/cgroup").exists();
    if s.unshare_cgroup && !cgroup_ns_exists() {
        return Err(String::from(
            "Cannot create new cgroup namespace because the kernel does not support it",
        ));
    }
    let cgroup = s.unshare_cgroup || (s.unshare_cgroup_try && cgroup_ns_exists());
    let sandbox_uid = s.uid.unwrap_or(real_uid);
    let sandbox_gid = s.gid.unwrap_or(real_gid);
    if !userns && sandbox_uid != real_uid {
        return Err(String::from(
            "Specifying --uid requires --unshare-user or --userns",
        ));
    }
    if !userns && sandbox_gid != real_gid {
        return Err(String::from(
            "Specifying --gid requires --unshare-user or --userns",
        ));
    }
    if !s.unshare_uts && s.hostname.is_some() {
        return Err(String::from("Specifying --hostname requires --unshare-uts"));
    }
    if s.as_pid_1 && !s.unshare_pid {
        return Err(String::from("Specifying --as-pid-1 requires --unshare-pid"));
    }
    if s.as_pid_1 && !s.lock_files.is_empty() {
        return Err(String::from(
            "Specifying --as-pid-1 and --lock-file is not permitted",
        ));
    }

    let mut cmd = Command::new(&s.program);
    cmd.args(&s.args);
    if let Some(argv0) = &s.argv0 {
        cmd.arg0(argv0);
    }
    let mut namespaces = Namespaces::MOUNT;
    for (wanted, kind) in [
        (userns, Namespaces::USER),
        (s.unshare_pid, Namespaces::PID),
        (s.unshare_net, Namespaces::NET),
        (s.unshare_ipc, Namespaces::IPC),
        (s.unshare_uts, Namespaces::UTS),
        (cgroup, Namespaces::CGROUP),
    ] {
        if wanted {
            namespaces |= kind;
        }
    }
    cmd.namespaces(namespaces)
        .empty_root(true)
        // Mounts still come in from the host, none go out.
        .mount_propagation(Propagation::Slave)
        .no_new_privs(true);
    if s.unshare_net {
        cmd.loopback_up(true);
    }
    if let Some(name) = &s.hostname {
        cmd.hostname(name);
    }
    if s.unshare_pid && !s.as_pid_1 {
        cmd.pid1_init(true);
    }
    if s.new_session {
        cmd.setsid(true);
    }
    if s.die_with_parent {
        cmd.pdeathsig(Signal::KILL);
    }
    if userns {
        ids(
            s,
            &mut cmd,
            (real_uid, real_gid),
            (sandbox_uid, sandbox_gid),
        );
    }
    capabilities(s, &mut cmd, real_uid == 0, userns)?;
    environment(s, &mut cmd);
    if let Some(dir) = &s.chdir {
        cmd.current_dir(dir).env("PWD", dir);
    }
    if let Some(filter) = &s.seccomp {
        cmd.seccomp_filter(filter.clone());
    }
    let unshare_pid = s.unshare_pid;
    for op in std::mem::take(&mut sandbox.ops) {
        for mount in mounts(op, unshare_pid)? {
            cmd.mount(mount);
        }
    }
    Ok(cmd)
}

/// Whether this system lets us make a user namespace (bubblewrap's test
/// for `--unshare-user-try`).
fn userns_allowed() -> bool {
    if !Path::new("/proc/self/ns/user").exists() {
        return false;
    }
    let disabled = |path: &str, off: &str| {
        std::fs::read_to_string(path).is_ok_and(|value| value.trim() == off)
    };
    !disabled("/sys/module/user_namespace/parameters/enable", "N")
        && !disabled("/proc/sys/user/max_user_namespaces", "0")
}

/// The id maps of the new user namespace: the program's uid and gid over
/// ours. A devpts (of `--dev`) needs uid and gid 0 mapped: then 0 is
/// mapped over ours, and the program's ids in a nested namespace
/// (bubblewrap does the same).
fn ids(s: &Sandbox, cmd: &mut Command, (uid, gid): (u32, u32), (to_uid, to_gid): (u32, u32)) {
    let devpts = s.ops.iter().any(|op| matches!(op, Op::Dev(_)));
    cmd.allow_setgroups(false);
    if devpts && (to_uid != 0 || to_gid != 0) {
        cmd.uid_map([IdMap::new(0, uid, 1)])
            .gid_map([IdMap::new(0, gid, 1)])
            .lock_mounts(true)
            .uid(to_uid)
            .gid(to_gid);
    } else {
        cmd.uid_map([IdMap::new(to_uid, uid, 1)])
            .gid_map([IdMap::new(to_gid, gid, 1)]);
    }
    if s.disable_userns {
        cmd.disable_user_namespaces(true);
    }
}

/// bubblewrap's capabilities: root keeps its own unless `--cap-add` or
/// `--cap-drop` change them; anyone else gets only those added. They are
/// set as the permitted, inheritable, effective and ambient sets (so they
/// survive the exec of a program that is not root), and in a new user
/// namespace, where the child has them all, as the bounding set too.
fn capabilities(s: &Sandbox, cmd: &mut Command, root: bool, userns: bool) -> Result<(), String> {
    if s.caps.is_empty() && root && !userns {
        return Ok(());
    }
    let all = crate::caps::all_caps().bits();
    let mut wanted = if root {
        rustix::thread::capabilities(None)
            .map_err(|e| format!("capget failed: {}", std::io::Error::from(e)))?
            .effective
            .bits()
            & all
    } else {
        0
    };
    for op in &s.caps {
        match *op {
            CapOp::Add(None) => wanted = all,
            CapOp::Add(Some(cap)) => wanted |= 1 << cap.as_raw(),
            CapOp::Drop(None) => wanted = 0,
            CapOp::Drop(Some(cap)) => wanted &= !(1 << cap.as_raw()),
        }
    }
    let set = CapMask::from_bits(wanted & all);
    cmd.capabilities(CapSet {
        permitted: set,
        inheritable: set,
        effective: set,
    })
    .ambient_caps(set.iter());
    if userns {
        cmd.bounding_set(set.iter());
    }
    Ok(())
}

/// The environment after `--clearenv`, `--setenv` and `--unsetenv` in
/// their order (bubblewrap changes its own as it reads them).
fn environment(s: &Sandbox, cmd: &mut Command) {
    if s.env.is_empty() {
        return;
    }
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for op in &s.env {
        match op {
            EnvOp::Clear => env.clear(),
            EnvOp::Set(key, value) => match env.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value.clone(),
                None => env.push((key.clone(), value.clone())),
            },
            EnvOp::Unset(key) => env.retain(|(k, _)| k != key),
        }
    }
    cmd.env_clear().envs(env);
}

/// The library's mounts for one operation.
fn mounts(op: Op, unshare_pid: bool) -> Result<Vec<Mount>, String> {
    Ok(match op {
        Op::Bind {
            source,
            dest,
            kind,
            optional,
        } => {
            // bubblewrap's message for a missing source, before anything
            // runs (the child would find it missing too).
            if let Err(e) = std::fs::canonicalize(&source)
                && !(optional && e.kind() == std::io::ErrorKind::NotFound)
            {
                return Err(format!(
                    "Can't find source path {}: {}",
                    source.to_string_lossy(),
                    strerror(&e)
                ));
            }
            let mut mount = Mount::bind(source, dest).nosuid();
            if kind != BindKind::Devices {
                mount = mount.nodev();
            }
            if kind == BindKind::ReadOnly {
                mount = mount.read_only();
            }
            if optional {
                mount = mount.optional();
            }
            vec![mount]
        }
        Op::RemountRo(dest) => vec![Mount::remount_read_only(dest)],
        Op::Proc(dest) => {
            // A proc of its own in a new PID namespace; else the host's
            // (a user namespace may not mount one for a PID namespace it
            // does not own).
            let mut mounts = vec![if unshare_pid {
                Mount::proc(&dest)
            } else {
                Mount::bind("/proc", &dest).nosuid().nodev()
            }];
            for part in PROC_COVERED {
                let inside = Path::new(&dest).join(part);
                let host = format!("/proc/{part}");
                mounts.push(
                    Mount::bind(host, inside)
                        .read_only()
                        .nosuid()
                        .nodev()
                        .optional(),
                );
            }
            mounts
        }
        Op::Dev(dest) => vec![Mount::dev(dest)],
        Op::Tmpfs { dest, perms, size } => {
            let mut mount = Mount::tmpfs(dest).mode(perms.unwrap_or(0o755));
            if let Some(size) = size {
                mount = mount.size(size);
            }
            vec![mount]
        }
        Op::Dir { dest, perms } => vec![Mount::dir(dest, perms.unwrap_or(0o755))],
        Op::File {
            data,
            dest,
            perms,
            kind,
        } => {
            let mount = match kind {
                FileKind::Plain => Mount::file(dest, data, perms.unwrap_or(0o666)),
                FileKind::Bound => Mount::file(dest, data, perms.unwrap_or(0o600)),
                FileKind::ReadOnly => Mount::file(dest, data, perms.unwrap_or(0o600)).read_only(),
            };
            vec![mount]
        }
        Op::Symlink { target, dest } => vec![Mount::symlink(target.as_bytes(), dest)],
        Op::Chmod { perms, dest } => vec![Mount::chmod(dest, perms)],
    })
}

/// An I/O error as `strerror` words it ("No such file or directory").
pub fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}
