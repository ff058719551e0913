//! `prepare()` on hostile input: arbitrary bytes become a description of a
//! `Command` with every attribute (NUL bytes, negative and huge fd numbers,
//! duplicate targets, capability numbers past the kernel's last, overlapping
//! id maps, giant environments and group lists, seccomp programs of any
//! length, soft > hard limits, out-of-range values, unknown namespace bits,
//! attributes that need a namespace without it, chroot with pivot_root...).
//!
//! `prepare()` must return `Ok`, or an `Err` that is an input refusal
//! (`step() == None`) with a non-empty message; it must never panic, and
//! once the command and the `Prepared` are dropped no fd may be left behind.
#![no_main]

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use clonexec::{
    CapMask, CapSet, Capability, Command, IdMap, Mount, Namespaces, Propagation, Resource,
    SeccompFlags, SecureBits, SigSet, Signal, SockFilter, Stdio,
};
use libfuzzer_sys::fuzz_target;

/// Bytes for a string-like value: mostly short, may hold NUL bytes.
#[derive(Debug)]
struct Bytes(Vec<u8>);

impl<'a> Arbitrary<'a> for Bytes {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let kind: u8 = u.arbitrary()?;
        Ok(Bytes(match kind % 8 {
            // A few fixed, plausible values, so that valid commands are common.
            0 => b"true".to_vec(),
            1 => b"/bin/true".to_vec(),
            2 => b"/".to_vec(),
            3 => Vec::new(),
            // Long: past PATH_MAX and the 64-byte host name limit.
            4 => {
                let len: u16 = u.arbitrary()?;
                let byte: u8 = u.arbitrary()?;
                vec![byte; usize::from(len % 5000)]
            }
            _ => {
                let len = u.int_in_range(0..=24)?;
                u.bytes(len)?.to_vec()
            }
        }))
    }
}

#[derive(Arbitrary, Debug)]
enum EnvOp {
    Set(Bytes, Bytes),
    Remove(Bytes),
    Path(Bytes),
    /// Many variables at once (bounded: at most ~4 MiB).
    Giant {
        count: u16,
        value_len: u16,
    },
    Clear,
}

#[derive(Arbitrary, Debug)]
enum StdioSpec {
    Inherit,
    Null,
    Piped,
    Fd(u8),
}

#[derive(Arbitrary, Debug)]
enum Groups {
    List(Vec<u32>),
    /// Around the kernel's NGROUPS_MAX (65536).
    Giant(u8),
}

#[derive(Arbitrary, Debug)]
enum MountSpec {
    Bind(Bytes, Bytes, bool, Option<Bytes>),
    Proc(Bytes, bool),
    Tmpfs(Bytes, Option<Bytes>),
    Devpts(Bytes),
}

#[derive(Arbitrary, Debug)]
struct Seccomp {
    len: u16,
    seed: u32,
    flags: u32,
}

#[derive(Arbitrary, Debug)]
struct Input {
    program: Bytes,
    arg0: Option<Bytes>,
    args: Vec<Bytes>,
    env: Vec<EnvOp>,
    cwd: Option<Bytes>,
    stdio: [Option<StdioSpec>; 3],
    fds: Vec<(i32, u8)>,
    close_other_fds: bool,
    uid: Option<u32>,
    gid: Option<u32>,
    groups: Option<Groups>,
    keep_groups: bool,
    setsid: bool,
    process_group: Option<i32>,
    pdeathsig: Option<i32>,
    ambient_caps: Vec<u8>,
    create_pidfd: bool,
    capabilities: Option<(u64, u64, u64)>,
    bounding_set: Option<Vec<u8>>,
    securebits: Option<u32>,
    no_new_privs: bool,
    seccomp: Option<Seccomp>,
    rlimits: Vec<(u8, u64, u64)>,
    oom_score_adj: Option<i32>,
    personality: Option<u32>,
    ptrace_traceme: bool,
    foreground: Option<u8>,
    controlling_tty: Option<i32>,
    no_controlling_tty: bool,
    setsid_if_tty: bool,
    signal_mask: Option<u64>,
    reset_ignored_signals: bool,
    new_session_keyring: bool,
    /// Raw bits, unknown ones included (`from_bits_retain`) when the flag
    /// says so.
    namespaces: (u64, bool),
    uid_map: Vec<(u32, u32, u32)>,
    gid_map: Vec<(u32, u32, u32)>,
    allow_setgroups: Option<bool>,
    id_map_helpers: bool,
    joins: Vec<(u8, u64)>,
    cgroup: Option<u8>,
    mount_propagation: Option<u8>,
    hostname: Option<Bytes>,
    domainname: Option<Bytes>,
    loopback_up: bool,
    mounts: Vec<MountSpec>,
    chroot: Option<Bytes>,
    pivot_root: Option<Bytes>,
    pid1_init: bool,
    lock_mounts: bool,
}

/// A few real fds (pipe ends, /dev/null, a directory), opened once; the
/// command gets fresh duplicates of them.
fn pool() -> &'static [OwnedFd] {
    static POOL: OnceLock<Vec<OwnedFd>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (r, w) = std::io::pipe().expect("pipe");
        let null = std::fs::File::open("/dev/null").expect("/dev/null");
        let dir = std::fs::File::open("/").expect("/");
        vec![r.into(), w.into(), null.into(), dir.into()]
    })
}

fn dup(index: u8) -> OwnedFd {
    let fds = pool();
    let fd: BorrowedFd<'_> = fds[usize::from(index) % fds.len()].as_fd();
    fd.try_clone_to_owned().expect("dup of a pool fd")
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn caps(raw: &[u8]) -> Vec<Capability> {
    raw.iter().filter_map(|&c| Capability::new(c)).collect()
}

fn id_maps(raw: &[(u32, u32, u32)]) -> Vec<IdMap> {
    raw.iter().map(|&(i, o, c)| IdMap::new(i, o, c)).collect()
}

/// A deterministic pseudo-random BPF program of `len` instructions.
fn filter(len: usize, seed: u32) -> Vec<SockFilter> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            SockFilter {
                code: (x & 0xffff) as u16,
                jt: (x >> 16) as u8,
                jf: (x >> 24) as u8,
                k: x.rotate_left(7),
            }
        })
        .collect()
}

fn build(input: Input) -> Command {
    let mut cmd = Command::new(input.program.0);
    if let Some(arg0) = input.arg0 {
        cmd.arg0(arg0.0);
    }
    cmd.args(input.args.into_iter().map(|a| a.0));
    for op in input.env {
        match op {
            EnvOp::Set(k, v) => {
                cmd.env(k.0, v.0);
            }
            EnvOp::Remove(k) => {
                cmd.env_remove(k.0);
            }
            EnvOp::Path(v) => {
                cmd.env("PATH", v.0);
            }
            EnvOp::Giant { count, value_len } => {
                let count = usize::from(count % 2048);
                let value_len = usize::from(value_len % 2048);
                for i in 0..count {
                    cmd.env(format!("FUZZ_{i}"), vec![b'v'; value_len]);
                }
            }
            EnvOp::Clear => {
                cmd.env_clear();
            }
        }
    }
    if let Some(dir) = input.cwd {
        cmd.current_dir(dir.0);
    }
    for (stream, spec) in input.stdio.into_iter().enumerate() {
        let Some(spec) = spec else { continue };
        let stdio = match spec {
            StdioSpec::Inherit => Stdio::inherit(),
            StdioSpec::Null => Stdio::null(),
            StdioSpec::Piped => Stdio::piped(),
            StdioSpec::Fd(i) => Stdio::from(dup(i)),
        };
        match stream {
            0 => cmd.stdin(stdio),
            1 => cmd.stdout(stdio),
            _ => cmd.stderr(stdio),
        };
    }
    for (target, source) in input.fds.into_iter().take(64) {
        cmd.fd(target, dup(source));
    }
    cmd.close_other_fds(input.close_other_fds);
    if let Some(uid) = input.uid {
        cmd.uid(uid);
    }
    if let Some(gid) = input.gid {
        cmd.gid(gid);
    }
    match input.groups {
        Some(Groups::List(list)) => {
            cmd.groups(&list);
        }
        Some(Groups::Giant(n)) => {
            let len = 65536 - 128 + usize::from(n);
            cmd.groups(&vec![1000; len]);
        }
        None => {}
    }
    cmd.keep_groups(input.keep_groups).setsid(input.setsid);
    if let Some(pgid) = input.process_group {
        cmd.process_group(pgid);
    }
    if let Some(sig) = input.pdeathsig.and_then(Signal::new) {
        cmd.pdeathsig(sig);
    }
    cmd.ambient_caps(caps(&input.ambient_caps));
    cmd.create_pidfd(input.create_pidfd);
    if let Some((p, i, e)) = input.capabilities {
        cmd.capabilities(CapSet {
            permitted: CapMask::from_bits(p),
            inheritable: CapMask::from_bits(i),
            effective: CapMask::from_bits(e),
        });
    }
    if let Some(keep) = input.bounding_set {
        cmd.bounding_set(caps(&keep));
    }
    if let Some(bits) = input.securebits {
        cmd.securebits(SecureBits::from_bits_retain(bits));
    }
    cmd.no_new_privs(input.no_new_privs);
    if let Some(s) = input.seccomp {
        cmd.seccomp_filter(filter(usize::from(s.len % 4200), s.seed));
        cmd.seccomp_flags(SeccompFlags::from_bits_retain(s.flags));
    }
    for (resource, soft, hard) in input.rlimits {
        if let Some(resource) = Resource::new(u32::from(resource % 20)) {
            cmd.rlimit(resource, soft, hard);
        }
    }
    if let Some(adj) = input.oom_score_adj {
        cmd.oom_score_adj(adj);
    }
    if let Some(persona) = input.personality {
        cmd.personality(persona);
    }
    cmd.ptrace_traceme(input.ptrace_traceme);
    if let Some(i) = input.foreground {
        cmd.foreground(dup(i));
    }
    if let Some(fd) = input.controlling_tty {
        cmd.controlling_tty(fd);
    }
    cmd.no_controlling_tty(input.no_controlling_tty)
        .setsid_if_tty(input.setsid_if_tty);
    if let Some(mask) = input.signal_mask {
        cmd.signal_mask(SigSet::from_bits(mask));
    }
    cmd.reset_ignored_signals(input.reset_ignored_signals)
        .new_session_keyring(input.new_session_keyring);
    let (bits, retain_unknown) = input.namespaces;
    cmd.namespaces(if retain_unknown {
        Namespaces::from_bits_retain(bits)
    } else {
        Namespaces::from_bits_truncate(bits)
    });
    if !input.uid_map.is_empty() {
        cmd.uid_map(id_maps(&input.uid_map));
    }
    if !input.gid_map.is_empty() {
        cmd.gid_map(id_maps(&input.gid_map));
    }
    if let Some(allow) = input.allow_setgroups {
        cmd.allow_setgroups(allow);
    }
    cmd.id_map_helpers(input.id_map_helpers);
    for (source, kind) in input.joins.into_iter().take(16) {
        cmd.join_namespace(dup(source), Namespaces::from_bits_retain(kind));
    }
    if let Some(i) = input.cgroup {
        cmd.cgroup(dup(i));
    }
    if let Some(p) = input.mount_propagation {
        cmd.mount_propagation(match p % 4 {
            0 => Propagation::Private,
            1 => Propagation::Slave,
            2 => Propagation::Shared,
            _ => Propagation::Unchanged,
        });
    }
    if let Some(name) = input.hostname {
        cmd.hostname(name.0);
    }
    if let Some(name) = input.domainname {
        cmd.domainname(name.0);
    }
    cmd.loopback_up(input.loopback_up);
    for m in input.mounts.into_iter().take(32) {
        cmd.mount(match m {
            MountSpec::Bind(source, target, ro, options) => {
                let mut m = Mount::bind(source.0, target.0);
                if ro {
                    m = m.read_only();
                }
                if let Some(o) = options {
                    m = m.options(o.0);
                }
                m
            }
            MountSpec::Proc(target, ro) => {
                let m = Mount::proc(target.0);
                if ro { m.read_only() } else { m }
            }
            MountSpec::Tmpfs(target, options) => {
                let m = Mount::tmpfs(target.0);
                match options {
                    Some(o) => m.options(o.0),
                    None => m,
                }
            }
            MountSpec::Devpts(target) => Mount::devpts(target.0),
        });
    }
    if let Some(dir) = input.chroot {
        cmd.chroot(dir.0);
    }
    if let Some(dir) = input.pivot_root {
        cmd.pivot_root(dir.0);
    }
    cmd.pid1_init(input.pid1_init)
        .lock_mounts(input.lock_mounts);
    cmd
}

/// Namespace bits of `cmd` that are not namespaces, read back through the
/// `Debug` output (the builder's fields are private).
fn unknown_namespace_bits(cmd: &Command) -> u64 {
    let text = format!("{cmd:?}");
    let Some(start) = text.find("namespaces: Namespaces(") else {
        return 0;
    };
    let rest = &text[start..];
    let end = rest.find(')').unwrap_or(rest.len());
    let inner = &rest["namespaces: Namespaces(".len()..end];
    // bitflags prints unknown bits as a trailing `0x...` term.
    inner
        .split('|')
        .map(str::trim)
        .filter_map(|t| t.strip_prefix("0x"))
        .filter_map(|h| u64::from_str_radix(h, 16).ok())
        .fold(0, |a, b| a | b)
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    pool();
    let before = open_fds();
    {
        let cmd = build(input);
        match cmd.prepare() {
            Ok(prepared) => {
                // Bits outside Namespaces::all() must never reach the clone
                // flags (fuzz/regressions/prepare-unknown-namespace-bits).
                let unknown = unknown_namespace_bits(&cmd);
                assert_eq!(
                    unknown, 0,
                    "prepare() accepted clone flags {unknown:#x} as namespaces"
                );
                drop(prepared)
            }
            Err(err) => {
                assert_eq!(
                    err.step(),
                    None,
                    "prepare() failed at a spawn step instead of refusing the input: {err}"
                );
                assert!(err.is_invalid_input(), "not an input refusal: {err:?}");
                let text = err.to_string();
                assert!(!text.is_empty(), "empty error message: {err:?}");
                // Messages start with the program's name.
                assert!(text.starts_with("spawning "), "odd message: {text}");
            }
        }
    }
    let after = open_fds();
    assert_eq!(
        before, after,
        "prepare() (or dropping its result) leaked fds"
    );
});
