//! Valid attribute combinations, really spawned: fd maps with collisions
//! and cycles over real fds, uid/gid/groups among {0, 65534, 1000},
//! ambient capabilities, pdeathsig, setsid/process groups, NOFILE and CORE
//! limits, close_other_fds, environment changes, a working directory, the
//! signal mask, no_new_privs and new UTS/IPC/NET/PID/MOUNT namespaces.
//!
//! The child is `fuzz/probe` (built on its own, uninstrumented: see
//! fuzz/README.md), which prints what it sees of itself; every line is
//! compared with a model of what was asked. After each run the parent must
//! have no new fd, no child left (running or zombie), the same signal
//! dispositions, signal mask and dumpable flag, and a SIGUSR1 handler that
//! still runs; and the child must not have called the allocator (a global
//! allocator here counts calls made under another pid: the child shares our
//! memory).
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use clonexec::{Capability, Command, Namespaces, Resource, SigSet, Signal, Stdio, Step};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Id {
    Root,
    Nobody,
    User,
}

impl Id {
    fn raw(self) -> u32 {
        match self {
            Id::Root => 0,
            Id::Nobody => 65534,
            Id::User => 1000,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Target {
    /// A number in 3..=26.
    Raw(u8),
    /// Where prepare()'s copy of the k-th mapped fd lands (so that targets
    /// and sources collide: swaps and cycles).
    CopyOf(u8),
}

#[derive(Arbitrary, Debug)]
enum StdinSpec {
    Inherit,
    Null,
    Fd(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Session {
    Unchanged,
    Setsid,
    NewGroup,
    ParentGroup,
    SetsidNewGroup,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Cwd {
    Root,
    Tmp,
    Missing,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum EnvKey {
    A,
    B,
    Path,
    Home,
    Lang,
}

impl EnvKey {
    fn name(self) -> &'static str {
        match self {
            EnvKey::A => "FUZZ_A",
            EnvKey::B => "FUZZ_B",
            EnvKey::Path => "PATH",
            EnvKey::Home => "HOME",
            EnvKey::Lang => "LANG",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum EnvOp {
    Set(EnvKey, Vec<u8>),
    Remove(EnvKey),
}

#[derive(Arbitrary, Debug)]
struct Input {
    fds: Vec<(Target, u8)>,
    stdin: StdinSpec,
    stderr: Option<u8>,
    close_other_fds: bool,
    uid: Option<Id>,
    gid: Option<Id>,
    groups: Option<Vec<Id>>,
    keep_groups: bool,
    ambient: Vec<u8>,
    pdeathsig: Option<u8>,
    session: Session,
    nofile: Option<(u8, u16)>,
    core: Option<(u32, u32, bool)>,
    env_clear: bool,
    env: Vec<EnvOp>,
    cwd: Option<Cwd>,
    namespaces: u8,
    hostname: Option<u8>,
    signal_mask: Option<u8>,
    reset_ignored_signals: bool,
    no_new_privs: bool,
    create_pidfd: bool,
    missing_program: bool,
}

const AMBIENT: [Capability; 4] = [
    Capability::NET_BIND_SERVICE,
    Capability::CHOWN,
    Capability::KILL,
    Capability::SYS_NICE,
];
const PDEATHSIG: [Signal; 3] = [Signal::TERM, Signal::KILL, Signal::USR1];
const MASKS: [u64; 4] = [0, 1 << 9 | 1 << 14, 1 << 1, u64::MAX];
const NAMESPACES: [(Namespaces, &str); 5] = [
    (Namespaces::UTS, "uts"),
    (Namespaces::IPC, "ipc"),
    (Namespaces::NET, "net"),
    (Namespaces::PID, "pid"),
    (Namespaces::MOUNT, "mnt"),
];
const SIGKILL_STOP: u64 = 1 << 8 | 1 << 18;
const SIGPIPE_BIT: u64 = 1 << 12;

/// What identifies an open file from /proc: its link and access mode.
type FdId = (String, u32);

/// What the parent looks like, recorded once.
struct World {
    probe: PathBuf,
    pool: Vec<OwnedFd>,
    /// (link, access mode) of each pool fd.
    pool_ids: Vec<(String, u32)>,
    pid: i32,
    status: BTreeMap<String, String>,
    pgrp: i32,
    session: i32,
    ns: BTreeMap<String, String>,
    nofile: (u64, u64),
    core: (u64, u64),
    hostname: String,
    cwd: String,
    dumpable: i32,
}

static USR1_COUNT: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_usr1(_: libc::c_int) {
    USR1_COUNT.fetch_add(1, Ordering::Relaxed);
}

fn probe_path() -> PathBuf {
    if let Some(path) = std::env::var_os("CLONEXEC_FUZZ_PROBE") {
        return path.into();
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let probe = dir.join("target/probe/release/clonexec-fuzz-probe");
    if !probe.exists() {
        // Build it without the fuzzing instrumentation (cheap to exec).
        let status = std::process::Command::new("cargo")
            .args(["build", "--quiet", "--release", "--manifest-path"])
            .arg(dir.join("probe/Cargo.toml"))
            .arg("--target-dir")
            .arg(dir.join("target/probe"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("running cargo to build the probe");
        assert!(status.success(), "building fuzz/probe failed");
    }
    probe
}

fn link(path: &str) -> String {
    std::fs::read_link(path)
        .map(|p| p.to_string_lossy().replace(['\n', ' '], "_"))
        .unwrap_or_default()
}

fn fd_id(fd: i32) -> (String, u32) {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .unwrap();
    (link(&format!("/proc/self/fd/{fd}")), flags & 3)
}

fn status_map() -> BTreeMap<String, String> {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((
                k.to_string(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        })
        .collect()
}

fn limit(resource: libc::__rlimit_resource_t) -> (u64, u64) {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is a valid out-buffer.
    assert_eq!(unsafe { libc::getrlimit(resource, &mut rl) }, 0);
    (rl.rlim_cur, rl.rlim_max)
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        // SAFETY: installing a handler that only touches an atomic, and
        // SIG_IGN for two signals; nothing else in this process uses them.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART;
            assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
            libc::signal(libc::SIGUSR2, libc::SIG_IGN);
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        let mut pool = Vec::new();
        for _ in 0..3 {
            let (r, w) = std::io::pipe().expect("pipe");
            pool.push(OwnedFd::from(r));
            pool.push(OwnedFd::from(w));
        }
        let pool_ids = pool.iter().map(|fd| fd_id(fd.as_raw_fd())).collect();
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let fields: Vec<i32> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .skip(1)
            .take(3)
            .map(|f| f.parse().unwrap())
            .collect();
        let ns = ["uts", "ipc", "net", "pid", "mnt", "user", "cgroup"]
            .into_iter()
            .map(|k| (k.to_string(), link(&format!("/proc/self/ns/{k}"))))
            .collect();
        World {
            probe: probe_path(),
            pool,
            pool_ids,
            pid: std::process::id() as i32,
            status: status_map(),
            pgrp: fields[1],
            session: fields[2],
            ns,
            nofile: limit(libc::RLIMIT_NOFILE),
            core: limit(libc::RLIMIT_CORE),
            hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap()
                .trim_end()
                .to_string(),
            cwd: std::env::current_dir()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            // SAFETY: no pointer argument.
            dumpable: unsafe { libc::prctl(libc::PR_GET_DUMPABLE) },
        }
    })
}

/// Open fds of this process: number → close-on-exec.
fn parent_fds() -> BTreeMap<i32, bool> {
    let names: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    names
        .into_iter()
        .filter_map(|fd| {
            // SAFETY: F_GETFD takes no pointer; a closed fd answers EBADF.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            (flags >= 0).then_some((fd, flags & libc::FD_CLOEXEC != 0))
        })
        .collect()
}

/// The `n` lowest free fd numbers ≥ 3, in order.
fn lowest_free(n: usize) -> Vec<i32> {
    let open = parent_fds();
    (3..).filter(|fd| !open.contains_key(fd)).take(n).collect()
}

/// Everything the parent must keep across a spawn.
#[derive(Debug, PartialEq)]
struct ParentState {
    fds: usize,
    mask: u64,
    usr1: usize,
    usr2: usize,
    pipe: usize,
    dumpable: i32,
}

fn disposition(sig: i32) -> usize {
    // SAFETY: querying only; `old` is a valid out-buffer.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut old), 0);
        old.sa_sigaction
    }
}

fn parent_state() -> ParentState {
    // SAFETY: querying the mask only; `old` is a valid out-buffer.
    let mask = unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut old),
            0
        );
        (1..=64)
            .filter(|&s| libc::sigismember(&old, s) == 1)
            .fold(0u64, |m, s| m | 1 << (s - 1))
    };
    ParentState {
        fds: parent_fds().len(),
        mask,
        usr1: disposition(libc::SIGUSR1),
        usr2: disposition(libc::SIGUSR2),
        pipe: disposition(libc::SIGPIPE),
        // SAFETY: no pointer argument.
        dumpable: unsafe { libc::prctl(libc::PR_GET_DUMPABLE) },
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn limit_text(v: u64) -> String {
    if v == u64::MAX {
        String::from("unlimited")
    } else {
        v.to_string()
    }
}

fn check(input: &Input, w: &World) {
    // --- Build the command, predicting where prepare() puts its copies.
    let probe = w.probe.clone();
    let program: PathBuf = if input.missing_program {
        "/nonexistent/clonexec-fuzz-missing".into()
    } else {
        probe
    };
    let mut cmd = Command::new(&program);
    let dup = |i: u8| -> (OwnedFd, (String, u32)) {
        let i = usize::from(i) % w.pool.len();
        (
            w.pool[i].as_fd().try_clone_to_owned().unwrap(),
            w.pool_ids[i].clone(),
        )
    };
    // The fds given to the command, in the order prepare() copies them:
    // stdio streams set with fd() go with the other mappings.
    let stdin_null = matches!(input.stdin, StdinSpec::Null);
    let mut wanted: Vec<(Target, (OwnedFd, FdId))> = Vec::new();
    let mut fixed: Vec<(i32, (OwnedFd, FdId))> = Vec::new();
    if let StdinSpec::Fd(i) = input.stdin {
        fixed.push((0, dup(i)));
    }
    if let Some(i) = input.stderr {
        fixed.push((2, dup(i)));
    }
    for &(target, source) in input.fds.iter().take(8) {
        wanted.push((target, dup(source)));
    }
    let n_copies = fixed.len() + wanted.len();
    let free = lowest_free(n_copies + usize::from(stdin_null));
    let copies = &free[usize::from(stdin_null)..];
    let mut mappings: BTreeMap<i32, (String, u32)> = BTreeMap::new();
    for (target, (fd, id)) in fixed {
        mappings.insert(target, id);
        cmd.fd(target, fd);
    }
    for (target, (fd, id)) in wanted {
        let number = match target {
            Target::Raw(n) => 3 + i32::from(n % 24),
            Target::CopyOf(k) if !copies.is_empty() => copies[usize::from(k) % copies.len()],
            Target::CopyOf(_) => 3,
        };
        if mappings.contains_key(&number) {
            continue; // prepare() refuses a target mapped twice
        }
        mappings.insert(number, id);
        cmd.fd(number, fd);
    }
    if stdin_null {
        cmd.stdin(Stdio::null());
    }
    cmd.stdout(Stdio::piped());
    cmd.close_other_fds(input.close_other_fds);

    let uid = input.uid.map(Id::raw);
    let gid = input.gid.map(Id::raw);
    if let Some(uid) = uid {
        cmd.uid(uid);
    }
    if let Some(gid) = gid {
        cmd.gid(gid);
    }
    let groups: Option<Vec<u32>> = input
        .groups
        .as_ref()
        .map(|g| g.iter().take(8).map(|id| id.raw()).collect());
    let keep_groups = input.keep_groups && groups.is_none();
    if let Some(groups) = &groups {
        cmd.groups(groups);
    }
    cmd.keep_groups(keep_groups);
    let ambient: u64 = input
        .ambient
        .iter()
        .map(|&i| AMBIENT[usize::from(i) % AMBIENT.len()])
        .fold(0, |m, c| m | 1 << c.as_raw());
    cmd.ambient_caps(
        AMBIENT
            .into_iter()
            .filter(|c| ambient & 1 << c.as_raw() != 0),
    );
    let pdeathsig = input
        .pdeathsig
        .map(|i| PDEATHSIG[usize::from(i) % PDEATHSIG.len()]);
    if let Some(sig) = pdeathsig {
        cmd.pdeathsig(sig);
    }

    let mut namespaces = Namespaces::empty();
    for (i, (kind, _)) in NAMESPACES.iter().enumerate() {
        if input.namespaces & 1 << i != 0 {
            namespaces |= *kind;
        }
    }
    let new_pid = namespaces.contains(Namespaces::PID);
    let mut session = input.session;
    if new_pid && session == Session::ParentGroup {
        // The parent's group is invisible in a new PID namespace.
        session = Session::NewGroup;
    }
    match session {
        Session::Unchanged => {}
        Session::Setsid => {
            cmd.setsid(true);
        }
        Session::NewGroup => {
            cmd.process_group(0);
        }
        Session::ParentGroup => {
            cmd.process_group(w.pgrp);
        }
        Session::SetsidNewGroup => {
            cmd.setsid(true).process_group(0);
        }
    }

    let max_target = mappings.keys().copied().max().unwrap_or(2).max(2);
    // A tight floor on purpose: the child must place its fds before it
    // lowers NOFILE (fuzz/regressions/spawn-tight-nofile, fixed).
    let floor = 16;
    let nofile = input.nofile.map(|(soft, extra)| {
        let soft = (floor + u64::from(soft)).min(w.nofile.1);
        let hard = (soft + u64::from(extra)).min(w.nofile.1);
        (soft, hard)
    });
    if let Some((soft, hard)) = nofile {
        cmd.rlimit(Resource::NOFILE, soft, hard);
    }
    let core = input.core.map(|(a, b, infinite)| {
        let hard = if infinite {
            w.core.1
        } else {
            u64::from(a.max(b)).min(w.core.1)
        };
        (u64::from(a.min(b)).min(hard), hard)
    });
    if let Some((soft, hard)) = core {
        cmd.rlimit(Resource::CORE, soft, hard);
    }

    if input.env_clear {
        cmd.env_clear();
    }
    let mut env: Vec<(Vec<u8>, Vec<u8>)> = if input.env_clear {
        Vec::new()
    } else {
        std::env::vars_os()
            .map(|(k, v)| (k.into_vec(), v.into_vec()))
            .collect()
    };
    // The last change per name wins, and changes apply in name order (as
    // std's Command keeps them): a new variable goes last, in that order.
    let mut changes: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> = Default::default();
    for op in input.env.iter().take(16) {
        match op {
            EnvOp::Set(key, value) => {
                let value: Vec<u8> = value.iter().copied().filter(|&b| b != 0).take(64).collect();
                cmd.env(key.name(), OsString::from_vec(value.clone()));
                changes.insert(key.name().as_bytes().to_vec(), Some(value));
            }
            EnvOp::Remove(key) => {
                cmd.env_remove(key.name());
                changes.insert(key.name().as_bytes().to_vec(), None);
            }
        }
    }
    for (key, value) in changes {
        match value {
            Some(value) => match env.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => env.push((key, value)),
            },
            None => env.retain(|(k, _)| *k != key),
        }
    }
    match input.cwd {
        Some(Cwd::Root) => {
            cmd.current_dir("/");
        }
        Some(Cwd::Tmp) => {
            cmd.current_dir("/tmp");
        }
        Some(Cwd::Missing) => {
            cmd.current_dir("/nonexistent");
        }
        None => {}
    }
    cmd.namespaces(namespaces);
    let hostname = match input.hostname {
        Some(n) if namespaces.contains(Namespaces::UTS) => {
            let name = format!("fuzz-{n}");
            cmd.hostname(&name);
            name
        }
        _ => w.hostname.clone(),
    };
    let mask = input
        .signal_mask
        .map(|i| MASKS[usize::from(i) % MASKS.len()]);
    if let Some(mask) = mask {
        cmd.signal_mask(SigSet::from_bits(mask));
    }
    cmd.reset_ignored_signals(input.reset_ignored_signals)
        .no_new_privs(input.no_new_privs)
        .create_pidfd(input.create_pidfd);

    // --- What must happen.
    let refused = nofile.is_some_and(|(soft, _)| u64::try_from(max_target).unwrap() >= soft);
    let prepared = cmd.prepare();
    drop(cmd);
    let prepared = match (prepared, refused) {
        (Err(err), true) => {
            assert_eq!(err.step(), None, "{err}");
            return;
        }
        (Ok(_), true) => panic!("prepare() accepted fd target {max_target} with NOFILE {nofile:?}"),
        (Err(err), false) => panic!("prepare() refused a valid command: {err}"),
        (Ok(p), false) => p,
    };
    let parent_before: BTreeMap<i32, bool> = parent_fds();
    let before = parent_state();
    let result = prepared.spawn();
    let expected_error = match input.cwd {
        Some(Cwd::Missing) => Some(Step::Chdir),
        _ if input.missing_program => Some(Step::Exec),
        _ => None,
    };
    let mut child = match (result, expected_error) {
        (Err(err), Some(step)) => {
            assert_eq!(err.step(), Some(step), "{err}");
            assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
            after_checks(&before);
            return;
        }
        (Ok(mut child), Some(step)) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("spawn succeeded although {step:?} should have failed");
        }
        (Err(err), None) => panic!("spawn failed: {err} ({err:?})"),
        (Ok(child), None) => child,
    };
    let stdout_link = link(&format!(
        "/proc/self/fd/{}",
        child.stdout.as_ref().unwrap().as_raw_fd()
    ));
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let status = child.wait().unwrap();
    let child_pid = child.id() as i32;
    drop(child);
    // The prepared command (and its fd copies) stays until the checks.
    after_checks(&before);
    drop(prepared);
    assert!(status.success(), "probe: {status}\n{text}");

    // --- Parse the report.
    let mut report: BTreeMap<String, String> = BTreeMap::new();
    let mut child_env: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut child_fds: BTreeMap<i32, (String, u32)> = BTreeMap::new();
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "env" => {
                let entry = hex_decode(rest);
                let eq = entry.iter().position(|&b| b == b'=').unwrap();
                child_env.push((entry[..eq].to_vec(), entry[eq + 1..].to_vec()));
            }
            "fd" => {
                let parts: Vec<&str> = rest.split(' ').collect();
                child_fds.insert(
                    parts[0].parse().unwrap(),
                    (parts[1].to_string(), parts[2].parse().unwrap()),
                );
            }
            "status" | "limit" | "ns" => {
                let (k, v) = rest.split_once(' ').unwrap_or((rest, ""));
                report.insert(format!("{key} {k}"), v.to_string());
            }
            _ => {
                report.insert(key.to_string(), rest.to_string());
            }
        }
    }
    let get = |key: &str| -> &str {
        report
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {key} in the probe's report:\n{text}"))
    };
    let fail = |what: &str, got: &dyn std::fmt::Debug, want: &dyn std::fmt::Debug| -> ! {
        panic!("{what}: child has {got:?}, expected {want:?}\ninput: {input:#?}\nreport:\n{text}")
    };
    macro_rules! expect {
        ($what:expr, $got:expr, $want:expr) => {{
            let (got, want) = (&$got, &$want);
            if got != want {
                fail($what, got, want);
            }
        }};
    }

    // Identity and credentials.
    let (want_pid, want_ppid) = if new_pid { (1, 0) } else { (child_pid, w.pid) };
    expect!("pid", get("pid").parse::<i32>().unwrap(), want_pid);
    expect!("ppid", get("ppid").parse::<i32>().unwrap(), want_ppid);
    let final_uid = uid.unwrap_or(0);
    let final_gid = gid.unwrap_or(0);
    expect!(
        "uid",
        get("status Uid"),
        format!("{0} {0} {0} {0}", final_uid)
    );
    expect!(
        "gid",
        get("status Gid"),
        format!("{0} {0} {0} {0}", final_gid)
    );
    let mut want_groups: Vec<u32> = match &groups {
        Some(list) => list.clone(),
        None if (uid.is_some() || gid.is_some()) && !keep_groups => Vec::new(),
        None => w.status["Groups"]
            .split_whitespace()
            .map(|g| g.parse().unwrap())
            .collect(),
    };
    want_groups.sort_unstable();
    let mut got_groups: Vec<u32> = get("status Groups")
        .split_whitespace()
        .map(|g| g.parse().unwrap())
        .collect();
    got_groups.sort_unstable();
    expect!("groups", got_groups, want_groups);

    // Capabilities.
    let cap = |key: &str| u64::from_str_radix(get(&format!("status {key}")), 16).unwrap();
    let parent_cap = |key: &str| u64::from_str_radix(&w.status[key], 16).unwrap();
    let bounding = parent_cap("CapBnd");
    let want_prm = if final_uid == 0 { bounding } else { ambient };
    expect!("CapPrm", cap("CapPrm"), want_prm);
    expect!("CapEff", cap("CapEff"), want_prm);
    expect!("CapAmb", cap("CapAmb"), ambient);
    expect!("CapInh", cap("CapInh"), parent_cap("CapInh") | ambient);
    expect!("CapBnd", cap("CapBnd"), bounding);
    expect!(
        "NoNewPrivs",
        get("status NoNewPrivs"),
        if input.no_new_privs { "1" } else { "0" }
    );

    // Signals.
    let sig = |key: &str| u64::from_str_radix(get(&format!("status {key}")), 16).unwrap();
    expect!(
        "SigBlk",
        sig("SigBlk"),
        mask.unwrap_or(before.mask) & !SIGKILL_STOP
    );
    let parent_ignored = u64::from_str_radix(&status_map()["SigIgn"], 16).unwrap();
    let want_ignored = if input.reset_ignored_signals {
        0
    } else {
        parent_ignored & !SIGPIPE_BIT
    };
    expect!("SigIgn", sig("SigIgn"), want_ignored);
    expect!(
        "pdeathsig",
        get("pdeathsig").parse::<i32>().unwrap(),
        pdeathsig.map_or(0, |s| s.as_raw())
    );
    expect!("dumpable", get("dumpable"), "1");

    // Session and process group (as numbers of the /proc mount's namespace).
    let (want_pgrp, want_session) = match session {
        Session::Unchanged | Session::ParentGroup => (w.pgrp, w.session),
        Session::NewGroup => (child_pid, w.session),
        Session::Setsid | Session::SetsidNewGroup => (child_pid, child_pid),
    };
    expect!(
        "stat pgrp/session",
        get("stat"),
        format!("{want_pgrp} {want_session}")
    );

    // Limits.
    let (soft, hard) = nofile.unwrap_or(w.nofile);
    expect!(
        "NOFILE",
        get("limit nofile"),
        format!("{} {}", limit_text(soft), limit_text(hard))
    );
    let (soft, hard) = core.unwrap_or(w.core);
    expect!(
        "CORE",
        get("limit core"),
        format!("{} {}", limit_text(soft), limit_text(hard))
    );

    // Namespaces.
    for (kind, name) in NAMESPACES {
        let same = get(&format!("ns {name}")) == w.ns[name];
        expect!(
            &format!("{name} namespace shared with the parent"),
            same,
            !namespaces.contains(kind)
        );
    }
    for name in ["user", "cgroup"] {
        expect!(
            &format!("{name} namespace"),
            get(&format!("ns {name}")),
            w.ns[name]
        );
    }
    expect!("hostname", get("hostname"), hostname);
    let want_cwd = match input.cwd {
        Some(Cwd::Root) => "/",
        Some(Cwd::Tmp) => "/tmp",
        _ => w.cwd.as_str(),
    };
    expect!("cwd", get("cwd"), want_cwd);

    // Environment, in order.
    expect!("environment", child_env, env);

    // fds: the mapped ones are the fds given, stdout is our pipe, stdio not
    // mapped is inherited, and the rest is what close_other_fds says.
    let mut want_fds: BTreeMap<i32, Option<(String, u32)>> = BTreeMap::new();
    for (fd, cloexec) in &parent_before {
        let inherited = *fd <= 2 || (!cloexec && !input.close_other_fds);
        if inherited {
            want_fds.insert(*fd, None);
        }
    }
    for (fd, id) in &mappings {
        want_fds.insert(*fd, Some(id.clone()));
    }
    if stdin_null {
        want_fds.insert(0, Some((String::from("/dev/null"), 2)));
    }
    want_fds.insert(1, Some((stdout_link, 1)));
    let got: BTreeSet<i32> = child_fds.keys().copied().collect();
    let want: BTreeSet<i32> = want_fds.keys().copied().collect();
    expect!("fd numbers", got, want);
    for (fd, id) in &want_fds {
        if let Some(id) = id {
            expect!(&format!("fd {fd}"), child_fds[fd], *id);
        }
    }
}

/// This process's children: (pid, state, command line).
fn children() -> Vec<(i32, String, String)> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        if fields.get(1) == Some(&me.as_str()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((
                pid,
                fields[0].to_string(),
                String::from_utf8_lossy(&cmdline).into_owned(),
            ));
        }
    }
    found
}

/// The parent after a spawn: same fds, mask, dispositions and dumpable
/// flag; no child left; the SIGUSR1 handler still runs.
fn after_checks(before: &ParentState) {
    let after = parent_state();
    assert_eq!(*before, after, "the parent changed across a spawn");
    assert_eq!(
        after.dumpable,
        world().dumpable,
        "the parent's dumpable flag changed"
    );
    // No zombie: nothing waitable (WNOWAIT leaves it for the report).
    // SAFETY: `info` is a valid out-buffer for waitid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let rc = unsafe {
        libc::waitid(
            libc::P_ALL,
            0,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: si_pid is valid to read after waitid (0 when nothing waited).
    let zombie = rc == 0 && unsafe { info.si_pid() } != 0;
    assert!(!zombie, "a zombie is left behind: {:?}", children());
    // No child still running either (the sanitizer's llvm-symbolizer is
    // libFuzzer's own).
    let left: Vec<_> = children()
        .into_iter()
        .filter(|(_, _, cmd)| !cmd.contains("llvm-symbolizer"))
        .collect();
    assert!(left.is_empty(), "a child is left behind: {left:?}");
    let count = USR1_COUNT.load(Ordering::Relaxed);
    // SAFETY: raising a signal whose handler only bumps an atomic.
    unsafe { libc::raise(libc::SIGUSR1) };
    assert_eq!(
        USR1_COUNT.load(Ordering::Relaxed),
        count + 1,
        "the SIGUSR1 handler did not run"
    );
}

/// Counts allocator calls made by a process other than this one: the child
/// shares our memory (CLONE_VM), so if it allocated, it would run this very
/// allocator with its own pid (the kernel's, not libc's cached one). Every
/// spawn must leave the count at zero (the child routine never allocates).
struct ChildAllocDetector;

/// This process's pid once `fuzz_target!` has run (0 before).
static OWN_PID: AtomicI32 = AtomicI32::new(0);
static CHILD_ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn note_alloc() {
    let own = OWN_PID.load(Ordering::Relaxed);
    // SAFETY: getpid takes no arguments and cannot fail.
    if own != 0 && unsafe { libc::syscall(libc::SYS_getpid) } as i32 != own {
        CHILD_ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for ChildAllocDetector {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_alloc();
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: ChildAllocDetector = ChildAllocDetector;

fuzz_target!(|data: &[u8]| {
    OWN_PID.store(std::process::id() as i32, Ordering::Relaxed);
    let w = world();
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    if std::env::var_os("CLONEXEC_FUZZ_VERBOSE").is_some() {
        eprintln!("{input:#?}");
    }
    let fds_before = parent_fds().len();
    check(&input, w);
    assert_eq!(fds_before, parent_fds().len(), "fd leak");
    assert_eq!(
        CHILD_ALLOCS.load(Ordering::Relaxed),
        0,
        "the child routine allocated"
    );
});
