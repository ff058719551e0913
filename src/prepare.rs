//! `prepare()`: every check and every allocation, before any process exists.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};

use rustix::fd::{AsFd, OwnedFd};

use crate::command::Command;
use crate::ids::MAX_MAP_LINES;
use crate::mount::MountKind;
use crate::plan::{Credentials, FdMapping, FdSource, IdMaps, MountPlan, Plan};
use crate::seccomp::MAX_INSTRUCTIONS;
use crate::stdio::StdioKind;
use crate::sys::CStrArrayBuilder;
use crate::{Capability, Error, IdMap, Namespaces};
use linux_raw_sys::general as g;

/// What an unset stdio stream becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultStdio {
    Inherit,
    Null,
    Piped,
}

/// The most supplementary groups Linux accepts (`NGROUPS_MAX`).
const NGROUPS_MAX: usize = 65536;

/// `(uid_t)-1`, `(gid_t)-1`: not an id, but "unchanged" to `setresuid` and
/// friends and refused in groups and id maps.
const NO_ID: u32 = u32::MAX;

/// PATH used when the child's environment has none (glibc's default).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

const STREAM_NAMES: [&str; 3] = ["stdin", "stdout", "stderr"];

/// When the child's environment is read, if the command does not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnvCapture {
    /// Copied now, for a [`Prepared`](crate::Prepared) that is spawned later,
    /// maybe many times: each child gets the environment of `prepare()`.
    AtPrepare,
    /// Passed as the parent's `environ` at the spawn (std's behaviour), for
    /// `Command::spawn` and friends, which spawn right after preparing.
    AtSpawn,
}

/// Validates `cmd` and lowers it into a [`Plan`].
pub(crate) fn prepare(
    cmd: &Command,
    defaults: [DefaultStdio; 3],
    env_capture: EnvCapture,
) -> Result<Plan, Error> {
    let program = String::from_utf8_lossy(&cmd.program).into_owned();
    let invalid = |message: String| Error::invalid(&program, message);
    let c_string = |bytes: &[u8], what: &dyn Fn() -> String| {
        CString::new(bytes).map_err(|_| invalid(format!("{} contains a NUL byte", what())))
    };

    // argv, in one buffer.
    let arg0 = cmd.arg0.as_deref().unwrap_or(&cmd.program);
    let argv_len = cmd.args.iter().map(|a| a.len() + 1).sum::<usize>() + arg0.len() + 1;
    let mut argv = CStrArrayBuilder::with_capacity(argv_len);
    argv.push(&[arg0]).map_err(|_| {
        invalid(format!(
            "{} contains a NUL byte",
            if cmd.arg0.is_some() {
                "arg0"
            } else {
                "the program name"
            }
        ))
    })?;
    for (i, arg) in cmd.args.iter().enumerate() {
        argv.push(&[arg])
            .map_err(|_| invalid(format!("argument {} contains a NUL byte", i + 1)))?;
    }

    // envp: the parent's own at spawn time when nothing changes it and the
    // caller spawns right away (no copy at all), else built here.
    let inherit_env = cfg!(feature = "std")
        && env_capture == EnvCapture::AtSpawn
        && !cmd.env_clear
        && cmd.env_changes.is_empty();
    let (envp, path_var) = if inherit_env {
        (None, inherited_path())
    } else {
        let env = environment(cmd);
        let env_len = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut envp = CStrArrayBuilder::with_capacity(env_len);
        for (key, value) in &env {
            if key.is_empty() || key.contains(&b'=') {
                return Err(invalid(format!(
                    "environment variable name {:?} is empty or contains '='",
                    String::from_utf8_lossy(key)
                )));
            }
            envp.push(&[key, b"=", value]).map_err(|_| {
                invalid(format!(
                    "environment variable {:?} contains a NUL byte",
                    String::from_utf8_lossy(key)
                ))
            })?;
        }
        let path = env.into_iter().find(|(k, _)| k == b"PATH").map(|(_, v)| v);
        (Some(envp.finish()), path)
    };

    // The program: one path, or the PATH candidates of the child's
    // environment.
    if cmd.program.contains(&0) {
        return Err(invalid(String::from(
            "the program name contains a NUL byte",
        )));
    }
    let searched_path =
        cmd.program_fd.is_none() && !cmd.program.is_empty() && !cmd.program.contains(&b'/');
    let exec_paths = if searched_path {
        let path = path_var.as_deref().unwrap_or(DEFAULT_PATH);
        path.split(|&b| b == b':')
            .map(|dir| {
                let dir = if dir.is_empty() { b".".as_slice() } else { dir };
                let mut full = Vec::with_capacity(dir.len() + 1 + cmd.program.len());
                full.extend_from_slice(dir);
                full.push(b'/');
                full.extend_from_slice(&cmd.program);
                c_string(&full, &|| String::from("a PATH entry"))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else if cmd.program_fd.is_some() {
        Vec::new()
    } else {
        alloc::vec![CString::new(cmd.program.clone()).unwrap_or_default()]
    };

    let cwd = cmd
        .current_dir
        .as_deref()
        .map(|dir| c_string(dir, &|| String::from("the working directory")))
        .transpose()?;

    // fds: stdio first, then the explicit mappings.
    let mut piped = [false; 3];
    let mut fd_mappings = Vec::new();
    let mut owned_fds: Vec<OwnedFd> = Vec::new();
    let mut targets: Vec<i32> = Vec::new();
    for (child_fd, _) in &cmd.fds {
        if *child_fd < 0 {
            return Err(invalid(format!("fd target {child_fd} is negative")));
        }
        if targets.contains(child_fd) {
            return Err(invalid(format!("fd target {child_fd} is mapped twice")));
        }
        if let Some(stream) = usize::try_from(*child_fd).ok().filter(|&n| n < 3)
            && cmd.stdio[stream].is_some()
        {
            return Err(invalid(format!(
                "fd target {child_fd} is set both with fd() and with {}()",
                STREAM_NAMES[stream]
            )));
        }
        targets.push(*child_fd);
    }
    // Check against the NOFILE soft limit the child will have (no system
    // call when there is no target to check).
    if let Some(&highest) = targets.iter().max() {
        let limit = cmd
            .rlimits
            .iter()
            .find(|(r, _, _)| *r == crate::Resource::NOFILE)
            .map_or_else(fd_limit, |(_, soft, _)| *soft);
        if u64::try_from(highest).unwrap_or(0) >= limit {
            return Err(invalid(format!(
                "fd target {highest} is not below the child's open-file limit (RLIMIT_NOFILE {limit})"
            )));
        }
    }

    let mut null_fd: Option<i32> = None;
    for (stream, name) in STREAM_NAMES.iter().enumerate() {
        if targets.contains(&(stream as i32)) {
            continue; // replaced by an fd() mapping
        }
        let target = stream as i32;
        let source = match cmd.stdio[stream].as_ref().map(|s| &s.0) {
            None => match defaults[stream] {
                DefaultStdio::Inherit => None,
                DefaultStdio::Null => Some(FdSource::Owned(open_null(
                    &program,
                    &mut null_fd,
                    &mut owned_fds,
                )?)),
                DefaultStdio::Piped => Some(FdSource::Pipe(stream)),
            },
            Some(StdioKind::Inherit) => None,
            Some(StdioKind::Null) => Some(FdSource::Owned(open_null(
                &program,
                &mut null_fd,
                &mut owned_fds,
            )?)),
            Some(StdioKind::Piped) => Some(FdSource::Pipe(stream)),
            Some(StdioKind::Fd(fd)) => Some(FdSource::Owned(keep_copy(
                &program,
                fd,
                name,
                &mut owned_fds,
            )?)),
        };
        if let Some(source) = source {
            if source == FdSource::Pipe(stream) {
                piped[stream] = true;
            }
            fd_mappings.push(FdMapping { target, source });
        }
    }
    for (child_fd, fd) in &cmd.fds {
        let raw = keep_copy(
            &program,
            fd,
            &format!("the fd for child fd {child_fd}"),
            &mut owned_fds,
        )?;
        fd_mappings.push(FdMapping {
            target: *child_fd,
            source: FdSource::Owned(raw),
        });
    }
    let max_target = fd_mappings.iter().map(|m| m.target).fold(2, i32::max);
    let mut sorted_targets: Vec<i32> = fd_mappings.iter().map(|m| m.target).collect();
    sorted_targets.sort_unstable();
    let mut keep_fds: Vec<i32> = alloc::vec![0, 1, 2];
    keep_fds.extend_from_slice(&sorted_targets);
    keep_fds.sort_unstable();
    keep_fds.dedup();

    // Credentials.
    if cmd.keep_groups && cmd.groups.is_some() {
        return Err(invalid(String::from(
            "groups() and keep_groups(true) contradict each other",
        )));
    }
    if let Some(groups) = &cmd.groups
        && groups.len() > NGROUPS_MAX
    {
        return Err(invalid(format!(
            "{} supplementary groups are more than the kernel's limit of {NGROUPS_MAX}",
            groups.len()
        )));
    }
    // (uid_t)-1 is no id: set*id() read it as "leave this one unchanged", so
    // the child would silently keep the caller's; setgroups() refuses it.
    if cmd.uid == Some(NO_ID) {
        return Err(invalid(format!(
            "uid {NO_ID} is (uid_t)-1, which setresuid takes as \"unchanged\""
        )));
    }
    if cmd.gid == Some(NO_ID) {
        return Err(invalid(format!(
            "gid {NO_ID} is (gid_t)-1, which setresgid takes as \"unchanged\""
        )));
    }
    if cmd.groups.as_ref().is_some_and(|g| g.contains(&NO_ID)) {
        return Err(invalid(format!(
            "supplementary group {NO_ID} is (gid_t)-1, which is no group (setgroups refuses it)"
        )));
    }
    let credentials = Credentials {
        uid: cmd.uid,
        gid: cmd.gid,
        groups: cmd.groups.clone(),
        clear_groups: (cmd.uid.is_some() || cmd.gid.is_some())
            && cmd.groups.is_none()
            && !cmd.keep_groups,
    };

    if let Some(pgid) = cmd.process_group
        && pgid < 0
    {
        return Err(invalid(format!("process group {pgid} is negative")));
    }
    // A session leader is already the leader of its own group, and the
    // kernel refuses to move it into another one.
    let process_group = match cmd.process_group {
        Some(0) if cmd.setsid => None,
        Some(pgid) if cmd.setsid => {
            return Err(invalid(format!(
                "process_group({pgid}) contradicts setsid(true): a session leader cannot join another group"
            )));
        }
        other => other,
    };

    let last_cap = last_capability();
    let check_cap = |cap: &Capability, what: &str| -> Result<u64, Error> {
        if i32::from(cap.as_raw()) > last_cap {
            return Err(invalid(format!(
                "{what} capability {cap} ({}) is not known to this kernel (its last is {last_cap})",
                cap.as_raw()
            )));
        }
        Ok(cap.bit())
    };
    let mut ambient_caps = 0u64;
    for cap in &cmd.ambient_caps {
        ambient_caps |= check_cap(cap, "ambient")?;
    }
    let capabilities = match &cmd.capabilities {
        None => None,
        Some(sets) => {
            for (mask, what) in [
                (sets.permitted, "permitted"),
                (sets.inheritable, "inheritable"),
                (sets.effective, "effective"),
            ] {
                for cap in mask.iter() {
                    check_cap(&cap, what)?;
                }
            }
            if let Some(cap) = sets.effective.iter().find(|c| !sets.permitted.contains(*c)) {
                return Err(invalid(format!(
                    "effective capability {cap} is not in the permitted set"
                )));
            }
            for cap in cmd.ambient_caps.iter() {
                if !sets.permitted.contains(*cap) || !sets.inheritable.contains(*cap) {
                    return Err(invalid(format!(
                        "ambient capability {cap} must be in the permitted and inheritable sets given to capabilities()"
                    )));
                }
            }
            Some([
                sets.permitted.bits(),
                sets.inheritable.bits(),
                sets.effective.bits(),
            ])
        }
    };
    let bounding_drop = match &cmd.bounding_set {
        None => 0,
        Some(keep) => {
            let mut kept = 0u64;
            for cap in keep {
                kept |= check_cap(cap, "bounding-set")?;
            }
            let all = if last_cap >= 63 {
                u64::MAX
            } else {
                (1u64 << (last_cap + 1)) - 1
            };
            all & !kept
        }
    };

    let seccomp = match &cmd.seccomp_filter {
        None => None,
        Some(filter) if filter.is_empty() => {
            return Err(invalid(String::from("the seccomp filter is empty")));
        }
        Some(filter) if filter.len() > MAX_INSTRUCTIONS => {
            return Err(invalid(format!(
                "the seccomp filter has {} instructions, more than the kernel's {MAX_INSTRUCTIONS}",
                filter.len()
            )));
        }
        Some(filter) => Some((filter.clone(), cmd.seccomp_flags.bits())),
    };

    let mut rlimits = Vec::with_capacity(cmd.rlimits.len());
    for (resource, soft, hard) in &cmd.rlimits {
        if soft > hard {
            return Err(invalid(format!(
                "{resource}: soft limit {soft} is above hard limit {hard}"
            )));
        }
        rlimits.push((resource.as_raw(), *soft, *hard));
    }

    let oom_score_adj = match cmd.oom_score_adj {
        None => None,
        Some(adj) if !(-1000..=1000).contains(&adj) => {
            return Err(invalid(format!(
                "oom_score_adj {adj} is outside -1000..=1000"
            )));
        }
        Some(adj) => Some(format!("{adj}\n").into_bytes()),
    };

    if cmd.personality == Some(u32::MAX) {
        return Err(invalid(String::from(
            "personality 0xffffffff only queries; it sets nothing",
        )));
    }

    if let Some(fd) = cmd.controlling_tty {
        if fd < 0 {
            return Err(invalid(format!("controlling_tty fd {fd} is negative")));
        }
        if !cmd.setsid {
            return Err(invalid(String::from(
                "controlling_tty() needs setsid(true): only a session leader can take a controlling terminal",
            )));
        }
        if cmd.no_controlling_tty {
            return Err(invalid(String::from(
                "controlling_tty() and no_controlling_tty(true) contradict each other",
            )));
        }
    }
    let foreground = match &cmd.foreground {
        None => None,
        Some(tty) => Some(keep_copy(
            &program,
            tty,
            "the foreground terminal",
            &mut owned_fds,
        )?),
    };

    let program_fd = match &cmd.program_fd {
        None => None,
        Some(fd) => Some(keep_copy(&program, fd, "the program's fd", &mut owned_fds)?),
    };

    let namespaces = namespaces(cmd, &program, &mut owned_fds)?;

    Ok(Plan {
        program_fd,
        program: program.into(),
        exec_paths,
        searched_path,
        argv: argv.finish(),
        envp,
        cwd,
        piped,
        fd_mappings,
        max_target,
        targets: sorted_targets,
        keep_fds,
        close_other_fds: cmd.close_other_fds,
        credentials,
        setsid: cmd.setsid,
        process_group,
        pdeathsig: cmd.pdeathsig.map_or(0, |s| s.as_raw()),
        ambient_caps,
        create_pidfd: cmd.create_pidfd,
        capabilities,
        bounding_drop,
        securebits: cmd.securebits.map(|b| b.bits()),
        no_new_privs: cmd.no_new_privs,
        seccomp,
        rlimits,
        oom_score_adj,
        personality: cmd.personality,
        ptrace_traceme: cmd.ptrace_traceme,
        foreground,
        controlling_tty: cmd.controlling_tty,
        no_controlling_tty: cmd.no_controlling_tty,
        setsid_if_tty: cmd.setsid_if_tty,
        signal_mask: cmd.signal_mask.map(|m| m.bits()),
        reset_ignored_signals: cmd.reset_ignored_signals,
        new_session_keyring: cmd.new_session_keyring,
        clone_namespaces: namespaces.clone_flags,
        id_maps: namespaces.id_maps,
        joins: namespaces.joins,
        cgroup: namespaces.cgroup,
        propagation: namespaces.propagation,
        hostname: cmd.hostname.clone(),
        domainname: cmd.domainname.clone(),
        loopback_up: cmd.loopback_up,
        mounts: namespaces.mounts,
        chroot: namespaces.chroot,
        pivot_root: namespaces.pivot_root,
        pid1_init: cmd.pid1_init,
        lock_mounts: cmd.lock_mounts,
        owned_fds,
    })
}

/// Keeps a close-on-exec copy of `fd` above stdio: the plan owns it for its
/// life, and it does not leak into other children.
fn keep_copy(
    program: &str,
    fd: &OwnedFd,
    what: &str,
    owned: &mut Vec<OwnedFd>,
) -> Result<i32, Error> {
    let copy = rustix::io::fcntl_dupfd_cloexec(fd.as_fd(), 3).map_err(|e| {
        Error::os(
            program,
            crate::Step::Pipe,
            e.raw_os_error(),
            format!("duplicating {what}"),
        )
    })?;
    let raw = rustix::fd::AsRawFd::as_raw_fd(&copy);
    owned.push(copy);
    Ok(raw)
}

/// Opens `/dev/null` once per plan; every stream set to null shares it.
fn open_null(
    program: &str,
    null_fd: &mut Option<i32>,
    owned: &mut Vec<OwnedFd>,
) -> Result<i32, Error> {
    if let Some(fd) = *null_fd {
        return Ok(fd);
    }
    let fd = rustix::fs::open(
        c"/dev/null",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| {
        Error::os(
            program,
            crate::Step::Pipe,
            e.raw_os_error(),
            "open(\"/dev/null\")",
        )
    })?;
    let raw = rustix::fd::AsRawFd::as_raw_fd(&fd);
    owned.push(fd);
    *null_fd = Some(raw);
    Ok(raw)
}

/// The child's environment: the parent's (unless cleared) with the changes
/// applied in call order. Order is kept; new variables go last.
fn environment(cmd: &Command) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut env = if cmd.env_clear {
        Vec::new()
    } else {
        parent_environment()
    };
    for (key, value) in &cmd.env_changes {
        let existing = env.iter().position(|(k, _)| k == key);
        match (existing, value) {
            (Some(i), Some(value)) => env[i].1 = value.clone(),
            (None, Some(value)) => env.push((key.clone(), value.clone())),
            (Some(i), None) => {
                env.remove(i);
            }
            (None, None) => {}
        }
    }
    env
}

/// The parent's `PATH`, for the PATH search of a child that inherits the
/// environment.
#[cfg(feature = "std")]
fn inherited_path() -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    std::env::var_os("PATH").map(|path| path.into_vec())
}

#[cfg(not(feature = "std"))]
fn inherited_path() -> Option<Vec<u8>> {
    None
}

/// The parent's current environment (std's view, so `set_var` counts).
#[cfg(feature = "std")]
fn parent_environment() -> Vec<(Vec<u8>, Vec<u8>)> {
    use std::os::unix::ffi::OsStringExt;
    std::env::vars_os()
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect()
}

/// Without std there is no `environ` to read: use the environment the
/// process started with, from `/proc/self/environ`.
#[cfg(not(feature = "std"))]
fn parent_environment() -> Vec<(Vec<u8>, Vec<u8>)> {
    let Some(bytes) = read_small_file(c"/proc/self/environ") else {
        return Vec::new();
    };
    bytes
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=')?;
            Some((entry[..eq].to_vec(), entry[eq + 1..].to_vec()))
        })
        .collect()
}

/// Reads a (proc) file whole, or `None`.
fn read_small_file(path: &core::ffi::CStr) -> Option<Vec<u8>> {
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => return Some(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return None,
        }
    }
}

/// The kernel's highest capability number, read once.
pub(crate) fn last_capability() -> i32 {
    static LAST_CAP: AtomicI32 = AtomicI32::new(-1);
    let cached = LAST_CAP.load(Ordering::Relaxed);
    if cached >= 0 {
        return cached;
    }
    let last = read_small_file(c"/proc/sys/kernel/cap_last_cap")
        .and_then(|text| core::str::from_utf8(&text).ok()?.trim().parse::<i32>().ok())
        .filter(|n| (0..64).contains(n))
        .unwrap_or(63);
    LAST_CAP.store(last, Ordering::Relaxed);
    last
}

/// The soft RLIMIT_NOFILE: `dup3` refuses targets at or above it.
fn fd_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}

/// The namespace part of a plan.
struct NamespacePlan {
    clone_flags: u64,
    id_maps: Option<IdMaps>,
    joins: Vec<(i32, u64)>,
    cgroup: Option<i32>,
    propagation: Option<u32>,
    mounts: Vec<MountPlan>,
    chroot: Option<CString>,
    pivot_root: Option<CString>,
}

/// Validates and lowers namespaces, id maps, joins, mounts and the root
/// change. Refuses what the kernel would refuse or what would silently
/// act on the caller's own namespaces (a hostname without a UTS namespace
/// sets the host's).
fn namespaces(
    cmd: &Command,
    program: &str,
    owned: &mut Vec<OwnedFd>,
) -> Result<NamespacePlan, Error> {
    let invalid = |message: String| Error::invalid(program, message);
    let c_string = |bytes: &[u8], what: &str| {
        CString::new(bytes).map_err(|_| invalid(format!("{what} contains a NUL byte")))
    };
    let new = cmd.namespaces;
    if !Namespaces::all().contains(new) {
        // Other clone flags (CLONE_FS, CLONE_FILES, CLONE_SIGHAND...) would
        // share the caller's cwd, fds or handlers with the child.
        return Err(invalid(format!(
            "namespaces() has bits {:#x} that are not namespace kinds",
            new.bits() & !Namespaces::all().bits()
        )));
    }
    let mut joined = Namespaces::empty();
    let mut joins = Vec::new();
    for (fd, kind) in &cmd.join_namespaces {
        if kind.is_empty() {
            return Err(invalid(String::from(
                "join_namespace() needs at least one namespace kind",
            )));
        }
        if kind.intersects(new) {
            return Err(invalid(format!(
                "{} namespace both created and joined",
                (*kind & new)
                    .iter()
                    .next()
                    .map_or("?", Namespaces::proc_name)
            )));
        }
        if kind.intersects(Namespaces::USER | Namespaces::TIME) {
            // userns_install() and timens_install() refuse a task whose mm
            // is shared (EINVAL/EUSERS), and the child shares ours until
            // exec: joining would need a fork, which clonexec never does.
            return Err(invalid(String::from(
                "joining an existing user or time namespace is not possible from a child that shares the \
                 caller's memory (the kernel refuses setns there); create a new one with namespaces() or \
                 join it from a helper such as nsenter",
            )));
        }
        if kind.intersects(joined) {
            return Err(invalid(format!(
                "{} namespace joined twice",
                (*kind & joined)
                    .iter()
                    .next()
                    .map_or("?", Namespaces::proc_name)
            )));
        }
        joined |= *kind;
        let raw = keep_copy(program, fd, "a namespace fd", owned)?;
        joins.push((raw, kind.bits()));
    }
    // The user namespace first: it gives the capabilities the others need.
    joins.sort_by_key(|(_, kind)| *kind & Namespaces::USER.bits() == 0);

    let need = |kind: Namespaces, what: &str| {
        if new.contains(kind) || joined.contains(kind) {
            Ok(())
        } else {
            Err(invalid(format!(
                "{what} needs a new or joined {} namespace (it would change the caller's)",
                kind.proc_name()
            )))
        }
    };
    if cmd.hostname.is_some() {
        need(Namespaces::UTS, "hostname()")?;
    }
    if cmd.domainname.is_some() {
        need(Namespaces::UTS, "domainname()")?;
    }
    if cmd.loopback_up {
        need(Namespaces::NET, "loopback_up(true)")?;
    }
    if !cmd.mounts.is_empty() {
        need(Namespaces::MOUNT, "mount()")?;
    }
    if cmd.mount_propagation.is_some() {
        need(Namespaces::MOUNT, "mount_propagation()")?;
    }
    if cmd.pivot_root.is_some() {
        need(Namespaces::MOUNT, "pivot_root()")?;
    }
    if cmd.oom_score_adj.is_some()
        && new.contains(Namespaces::USER)
        && !(cmd.uid_map.is_empty() && cmd.gid_map.is_empty())
    {
        // With id maps the child shares our memory without CLONE_VFORK, and
        // the kernel copies an oom_score_adj write to every process sharing
        // the writer's mm unless the writer is a vfork child: it would set
        // the caller's own score too.
        return Err(invalid(String::from(
            "oom_score_adj() with a user namespace that has id maps would also change the caller's own \
             oom_score_adj (the kernel copies it to processes sharing the child's memory); set it on \
             the spawning process instead, which the child inherits",
        )));
    }
    if cmd.lock_mounts {
        need(Namespaces::MOUNT, "lock_mounts(true)")?;
        if cmd.chroot.is_some() {
            // create_user_ns() refuses a chrooted task.
            return Err(invalid(String::from(
                "lock_mounts(true) cannot follow chroot(): the kernel refuses a new user namespace in \
                 a chroot; use pivot_root() instead",
            )));
        }
        if cmd.uid.is_some() || cmd.gid.is_some() {
            // After a uid change the task is non-dumpable, so its
            // /proc/self/*_map files belong to root and it cannot write its
            // own maps; making it dumpable again would let the new uid
            // ptrace a process that shares the caller's memory.
            return Err(invalid(String::from(
                "lock_mounts(true) cannot be combined with uid()/gid(): after the uid change the child \
                 cannot write its own id maps; map the ids you want with uid_map()/gid_map() instead",
            )));
        }
    }
    if cmd.pid1_init && !new.contains(Namespaces::PID) {
        return Err(invalid(String::from(
            "pid1_init(true) needs namespaces(Namespaces::PID)",
        )));
    }
    if cmd.pid1_init && cmd.ptrace_traceme {
        // The tracer would be the init, which does not trace.
        return Err(invalid(String::from(
            "ptrace_traceme(true) cannot be combined with pid1_init(true): the program's tracer \
             would be the init",
        )));
    }
    if cmd.pivot_root.is_some() && cmd.chroot.is_some() {
        return Err(invalid(String::from(
            "chroot() and pivot_root() cannot both change the root",
        )));
    }
    for (name, what) in [
        (&cmd.hostname, "hostname"),
        (&cmd.domainname, "domain name"),
    ] {
        let Some(name) = name else { continue };
        // sethostname/setdomainname take a length, not a C string: the
        // kernel would keep the NUL and every reader would stop at it.
        if name.contains(&0) {
            return Err(invalid(format!("the {what} contains a NUL byte")));
        }
        if name.len() > 64 {
            return Err(invalid(format!(
                "host or domain name {:?} is longer than 64 bytes",
                String::from_utf8_lossy(name)
            )));
        }
    }

    let id_maps = if cmd.uid_map.is_empty() && cmd.gid_map.is_empty() {
        None
    } else {
        if !new.contains(Namespaces::USER) {
            return Err(invalid(String::from(
                "uid_map()/gid_map() need namespaces(Namespaces::USER)",
            )));
        }
        let uid_map = id_map_text(&cmd.uid_map, "uid").map_err(invalid)?;
        let gid_map = id_map_text(&cmd.gid_map, "gid").map_err(invalid)?;
        let setgroups = match cmd.allow_setgroups {
            Some(true) => Some("allow"),
            Some(false) => Some("deny"),
            // The kernel refuses a gid map from a writer without CAP_SETGID
            // until setgroups is denied (ANCHORS trap 11).
            None if !cmd.gid_map.is_empty()
                && !cmd.id_map_helpers
                && !has_effective_cap(Capability::SETGID) =>
            {
                Some("deny")
            }
            None => None,
        };
        Some(IdMaps {
            uid_map,
            gid_map,
            setgroups,
            helpers: cmd.id_map_helpers,
            uid_lines: cmd.uid_map.clone(),
            gid_lines: cmd.gid_map.clone(),
        })
    };

    let cgroup = match &cmd.cgroup {
        None => None,
        Some(dir) => Some(keep_copy(program, dir, "the cgroup directory", owned)?),
    };

    let propagation = if new.contains(Namespaces::MOUNT) {
        cmd.mount_propagation.unwrap_or_default().mount_flags()
    } else {
        cmd.mount_propagation.and_then(|p| p.mount_flags())
    };

    let mut mounts = Vec::with_capacity(cmd.mounts.len());
    for mount in &cmd.mounts {
        let target = c_string(&mount.target, "a mount target")?;
        let data = mount
            .options
            .as_deref()
            .map(|o| c_string(o, "mount options"))
            .transpose()?;
        let read_only = if mount.read_only { g::MS_RDONLY } else { 0 };
        let (source, fstype, flags, data, remount) = match &mount.kind {
            MountKind::Bind { source } => (
                Some(c_string(source, "a bind mount source")?),
                None,
                g::MS_BIND | g::MS_REC,
                data,
                mount.read_only,
            ),
            MountKind::Proc => (
                Some(CString::from(c"proc")),
                Some(CString::from(c"proc")),
                g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC | read_only,
                data,
                false,
            ),
            MountKind::Tmpfs => (
                Some(CString::from(c"tmpfs")),
                Some(CString::from(c"tmpfs")),
                g::MS_NOSUID | g::MS_NODEV | read_only,
                data,
                false,
            ),
            MountKind::Devpts => (
                Some(CString::from(c"devpts")),
                Some(CString::from(c"devpts")),
                g::MS_NOSUID | g::MS_NOEXEC | read_only,
                data.or_else(|| Some(CString::from(c"newinstance,ptmxmode=0666,mode=620"))),
                false,
            ),
        };
        mounts.push(MountPlan {
            source,
            target,
            fstype,
            flags,
            data,
            remount_read_only: remount,
        });
    }

    let chroot = cmd
        .chroot
        .as_deref()
        .map(|d| c_string(d, "the chroot directory"))
        .transpose()?;
    let pivot_root = cmd
        .pivot_root
        .as_deref()
        .map(|d| c_string(d, "the new root"))
        .transpose()?;

    Ok(NamespacePlan {
        clone_flags: new.bits(),
        id_maps,
        joins,
        cgroup,
        propagation,
        mounts,
        chroot,
        pivot_root,
    })
}

/// `/proc/PID/uid_map` text for `maps`, after checking them as the kernel
/// would: non-empty ranges below (u32)-1, no overlap inside or outside, at
/// most 340 lines.
fn id_map_text(maps: &[IdMap], which: &str) -> Result<Vec<u8>, String> {
    if maps.len() > MAX_MAP_LINES {
        return Err(format!(
            "{which} map has {} lines, more than the kernel's {MAX_MAP_LINES}",
            maps.len()
        ));
    }
    let end = |start: u32, count: u32| u64::from(start) + u64::from(count);
    for (i, map) in maps.iter().enumerate() {
        if map.count == 0 {
            return Err(format!("{which} map line {} has count 0", i + 1));
        }
        // map_write() refuses a range that wraps in 32 bits, so one ending
        // exactly at 2^32 (containing (u32)-1) too.
        for (side, start) in [("inside", map.inside), ("outside", map.outside)] {
            if end(start, map.count) > u64::from(NO_ID) {
                return Err(format!(
                    "{which} map line {} ({side} {start}, count {}) reaches {which} {NO_ID}, \
                     which is ({which}_t)-1: the kernel refuses a map range that contains it",
                    i + 1,
                    map.count
                ));
            }
        }
        for (j, other) in maps.iter().enumerate().take(i) {
            let overlaps = |a: u32, b: u32| {
                u64::from(a) < end(b, other.count) && u64::from(b) < end(a, map.count)
            };
            if overlaps(map.inside, other.inside) || overlaps(map.outside, other.outside) {
                return Err(format!("{which} map lines {} and {} overlap", j + 1, i + 1));
            }
        }
    }
    let mut text = Vec::new();
    for map in maps {
        text.extend_from_slice(
            format!("{} {} {}\n", map.inside, map.outside, map.count).as_bytes(),
        );
    }
    Ok(text)
}

/// Whether the caller holds `cap` in its effective set.
fn has_effective_cap(cap: Capability) -> bool {
    crate::sys::capget().is_ok_and(|sets| sets.effective & cap.bit() != 0)
}
