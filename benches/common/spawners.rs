//! The implementations compared, each as a [`Spawner`] that runs one
//! spawn + exec + wait, for each attribute set ([`Attrs`]).
//!
//! Every implementation passes the same argv (`[program]`) and the
//! parent's whole environment, and inherits stdio. The hand-written ones
//! (fork+exec, the floor, the Go-style user-namespace clone) apply their
//! attributes with raw syscalls (`libc::syscall`), as clonexec's child
//! does; glibc's `setuid` & co. would broadcast to threads that a
//! `CLONE_VM` child does not have.

use std::ffi::{CStr, CString, OsStr, c_void};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;

use libc::{c_char, c_int, c_long, pid_t};

use super::sys;

unsafe extern "C" {
    /// The process environment (glibc and musl both export it).
    static environ: *const *const c_char;
}

fn envp() -> *const *const c_char {
    // SAFETY: reading the pointer; nothing in the benchmarks changes the
    // environment while children are spawned.
    unsafe { environ }
}

/// What spawns the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Impl {
    /// `clonexec::Command::spawn` (prepares on every spawn) + `wait`.
    ClonexecCommand,
    /// `clonexec::Prepared::spawn` (prepared once) + `wait`.
    ClonexecPrepared,
    /// `std::process::Command` with nothing that leaves its posix_spawn path.
    Std,
    /// `std::process::Command` forced onto its fork path (`.uid()`, `.gid()`
    /// or a `pre_exec` closure).
    StdFork,
    /// libc `posix_spawn` called directly.
    PosixSpawn,
    /// libc `fork` + `execve`.
    ForkExec,
    /// The floor: `clone(CLONE_VM | CLONE_VFORK | SIGCHLD)` on a separate
    /// mmap'd stack + `execve`, written minimally here.
    Floor,
    /// `clonexec::Command::spawn` with a new user namespace and id maps
    /// (`CLONE_VM` without `CLONE_VFORK`: the parent writes the maps while
    /// the child waits).
    ClonexecUserNs,
    /// Go's way: a fork-like `clone(CLONE_NEWUSER)` (no `CLONE_VM`), the
    /// parent writes the maps, then releases the child through a pipe.
    ForkUserNs,
    /// Ablation: the floor + blocking every signal around the clone (raw
    /// `rt_sigprocmask` x3) + resetting SIGPIPE in the child, as clonexec.
    FloorSigmask,
    /// Ablation: the floor on a fresh 256 KiB stack with a guard page for
    /// every spawn (`mmap` + `mprotect` + `munmap`), as clonexec.
    FloorStack,
    /// Ablation: the floor + a close-on-exec report pipe the parent reads
    /// to EOF (`pipe2`, 2 `close`, `read`), as clonexec.
    FloorPipe,
    /// Ablation: the floor with all three, about clonexec's parent side.
    FloorAll,
    /// Prototype for `close_other_fds`: the floor with `CLONE_FILES` (no fd
    /// table copy at clone) and `close_range(3, ~0, CLOSE_RANGE_UNSHARE)` in
    /// the child, which copies only fds 0-2 into the child's own table.
    FloorFilesUnshare,
}

impl Impl {
    /// Every implementation, in report order.
    pub const ALL: [Impl; 14] = [
        Impl::ClonexecCommand,
        Impl::ClonexecPrepared,
        Impl::Std,
        Impl::StdFork,
        Impl::PosixSpawn,
        Impl::ForkExec,
        Impl::Floor,
        Impl::ClonexecUserNs,
        Impl::ForkUserNs,
        Impl::FloorSigmask,
        Impl::FloorStack,
        Impl::FloorPipe,
        Impl::FloorAll,
        Impl::FloorFilesUnshare,
    ];

    /// The headline group, measured together in many short rounds: the
    /// floor, the floor with clonexec's parent-side steps added one at a
    /// time (where clonexec's time goes), clonexec, std and posix_spawn (no
    /// attributes).
    pub const HEADLINE: [Impl; 9] = [
        Impl::Floor,
        Impl::FloorSigmask,
        Impl::FloorStack,
        Impl::FloorPipe,
        Impl::FloorAll,
        Impl::ClonexecPrepared,
        Impl::ClonexecCommand,
        Impl::Std,
        Impl::PosixSpawn,
    ];

    /// Short name, for command lines and criterion ids.
    pub fn name(self) -> &'static str {
        match self {
            Impl::ClonexecCommand => "clonexec",
            Impl::ClonexecPrepared => "prepared",
            Impl::Std => "std",
            Impl::StdFork => "std-fork",
            Impl::PosixSpawn => "posix_spawn",
            Impl::ForkExec => "fork",
            Impl::Floor => "floor",
            Impl::ClonexecUserNs => "clonexec-userns",
            Impl::ForkUserNs => "fork-userns",
            Impl::FloorSigmask => "floor+sigmask",
            Impl::FloorStack => "floor+stack",
            Impl::FloorPipe => "floor+pipe",
            Impl::FloorAll => "floor+all",
            Impl::FloorFilesUnshare => "floor+files-unshare",
        }
    }

    /// Parses [`Impl::name`].
    pub fn from_name(name: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.name() == name)
    }

    /// clonexec itself (as opposed to a baseline).
    pub fn is_clonexec(self) -> bool {
        matches!(
            self,
            Impl::ClonexecCommand | Impl::ClonexecPrepared | Impl::ClonexecUserNs
        )
    }

    /// Copies the parent's page tables (cost grows with its RSS).
    pub fn forks(self) -> bool {
        matches!(self, Impl::StdFork | Impl::ForkExec | Impl::ForkUserNs)
    }

    /// What the row is called in the report, for this attribute set.
    pub fn label(self, attrs: Attrs) -> &'static str {
        match (self, attrs) {
            (Impl::ClonexecCommand, _) => "clonexec Command::spawn",
            (Impl::ClonexecPrepared, _) => "clonexec Prepared::spawn",
            (Impl::Std, Attrs::CloseFds) => "std Command (posix_spawn; fds inherited)",
            (Impl::Std, _) => "std Command (posix_spawn)",
            (Impl::StdFork, Attrs::None) => "std + .uid(self) (fork)",
            (Impl::StdFork, Attrs::Ids) => "std + .uid/.gid (fork)",
            (Impl::StdFork, Attrs::CloseFds) => "std + pre_exec close_range (fork)",
            (Impl::StdFork, _) => "std + pre_exec (fork)",
            (Impl::PosixSpawn, Attrs::CloseFds) => "posix_spawn + addclosefrom_np",
            (Impl::PosixSpawn, _) => "libc posix_spawn",
            (Impl::ForkExec, _) => "libc fork + execve",
            (Impl::Floor, Attrs::None) => "floor: clone(VM|VFORK) + execve",
            (Impl::Floor, _) => "floor + raw attribute syscalls",
            (Impl::ClonexecUserNs, _) => "clonexec Command + user ns + maps",
            (Impl::ForkUserNs, _) => "Go-style clone(NEWUSER) + maps",
            (Impl::FloorSigmask, _) => "floor + signal mask dance + SIGPIPE reset",
            (Impl::FloorStack, _) => "floor + fresh mmap'd stack per spawn",
            (Impl::FloorPipe, _) => "floor + CLOEXEC report pipe read to EOF",
            (Impl::FloorAll, _) => "floor + all three (≈ clonexec's parent side)",
            (Impl::FloorFilesUnshare, _) => "floor + CLONE_FILES + close_range(UNSHARE)",
        }
    }
}

/// The attribute set the child is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attrs {
    /// Nothing.
    None,
    /// uid + gid + supplementary groups (65534 as root; our own ids
    /// otherwise, without groups).
    Ids,
    /// An ambient capability (`CAP_NET_BIND_SERVICE`, as root) + a
    /// parent-death signal.
    CapsPdeathsig,
    /// Close every fd but stdio.
    CloseFds,
    /// A new user namespace with a one-id map.
    UserNs,
    /// A Landlock ruleset of 10 paths (and TCP rules where the kernel has
    /// them) and a seccomp policy of 100 names.
    Policies,
}

impl Attrs {
    /// Every set, in report order.
    pub const ALL: [Attrs; 6] = [
        Attrs::None,
        Attrs::Ids,
        Attrs::CapsPdeathsig,
        Attrs::CloseFds,
        Attrs::UserNs,
        Attrs::Policies,
    ];

    /// Short name, for command lines.
    pub fn name(self) -> &'static str {
        match self {
            Attrs::None => "none",
            Attrs::Ids => "ids",
            Attrs::CapsPdeathsig => "caps",
            Attrs::CloseFds => "closefds",
            Attrs::UserNs => "userns",
            Attrs::Policies => "policies",
        }
    }

    /// Parses [`Attrs::name`].
    pub fn from_name(name: &str) -> Option<Attrs> {
        Attrs::ALL.into_iter().find(|a| a.name() == name)
    }

    /// What the set is called in the report.
    pub fn label(self) -> &'static str {
        let root = sys::is_root();
        match self {
            Attrs::None => "no attributes",
            Attrs::Ids if root => "uid+gid+groups (65534)",
            Attrs::Ids => "uid+gid (own ids)",
            Attrs::CapsPdeathsig if root => "ambient cap + pdeathsig",
            Attrs::CapsPdeathsig => "pdeathsig (no caps: not root)",
            Attrs::CloseFds => "close_other_fds",
            Attrs::UserNs => "user ns + id maps",
            Attrs::Policies => "landlock (10 paths) + seccomp (100 names)",
        }
    }

    /// The implementations that can give a child this set.
    pub fn impls(self) -> &'static [Impl] {
        use Impl::*;
        match self {
            Attrs::None => &[
                ClonexecCommand,
                ClonexecPrepared,
                Std,
                StdFork,
                PosixSpawn,
                ForkExec,
                Floor,
            ],
            Attrs::Ids | Attrs::CapsPdeathsig => {
                &[ClonexecCommand, ClonexecPrepared, StdFork, ForkExec, Floor]
            }
            Attrs::CloseFds => &[
                ClonexecCommand,
                ClonexecPrepared,
                Std,
                StdFork,
                PosixSpawn,
                ForkExec,
                Floor,
                FloorFilesUnshare,
            ],
            Attrs::UserNs => &[ClonexecUserNs, ForkUserNs],
            // No other spawner offers either.
            Attrs::Policies => &[ClonexecCommand, ClonexecPrepared],
        }
    }
}

/// One way of running spawn + exec + wait, set up once.
pub trait Spawner {
    /// Spawns the program, waits for it, and panics unless it exited 0.
    fn spawn_wait(&mut self);
    /// Called after each timed batch, outside the timing.
    fn after_batch(&mut self) {}
}

/// Builds the spawner for `imp` giving `attrs` to a child running
/// `program`; `Err` says why there is none ("n/a", "not yet implemented",
/// or what failed).
pub fn make(imp: Impl, attrs: Attrs, program: &CStr) -> Result<Box<dyn Spawner>, String> {
    let headline = Impl::HEADLINE.contains(&imp) && attrs == Attrs::None;
    if !attrs.impls().contains(&imp) && !headline {
        return Err(String::from("n/a"));
    }
    let mut ops = ChildOps::for_attrs(attrs, imp == Impl::StdFork)?;
    Ok(match imp {
        Impl::ClonexecCommand => Box::new(ClonexecCommand {
            cmd: clonexec_command(attrs, program, &ops),
        }),
        Impl::ClonexecPrepared => Box::new(ClonexecPrepared {
            prepared: clonexec_command(attrs, program, &ops)
                .prepare()
                .map_err(|e| format!("prepare: {e}"))?,
        }),
        Impl::Std => Box::new(Std {
            cmd: std::process::Command::new(OsStr::from_bytes(program.to_bytes())),
        }),
        Impl::StdFork => Box::new(Std {
            cmd: std_fork_command(attrs, program, ops),
        }),
        Impl::PosixSpawn => Box::new(PosixSpawn::new(attrs, program)?),
        Impl::ForkExec => Box::new(ForkExec {
            exec: Exec::new(program),
            ops,
        }),
        Impl::Floor => Box::new(Floor::new(program, ops, FloorExtras::default())?),
        Impl::FloorSigmask | Impl::FloorStack | Impl::FloorPipe | Impl::FloorAll => {
            let all = imp == Impl::FloorAll;
            let extras = FloorExtras {
                sigmask: all || imp == Impl::FloorSigmask,
                fresh_stack: all || imp == Impl::FloorStack,
                report_pipe: all || imp == Impl::FloorPipe,
                clone_files: false,
            };
            Box::new(Floor::new(program, ops, extras)?)
        }
        Impl::FloorFilesUnshare => {
            ops.close_from = Some((3, libc::CLOSE_RANGE_UNSHARE));
            let extras = FloorExtras {
                clone_files: true,
                ..FloorExtras::default()
            };
            Box::new(Floor::new(program, ops, extras)?)
        }
        Impl::ClonexecUserNs => Box::new(ClonexecCommand {
            cmd: clonexec_command(attrs, program, &ops),
        }),
        Impl::ForkUserNs => Box::new(ForkUserNs::new(program)),
    })
}

/// The ids the `Ids` set switches to: `(uid, gid, groups)`.
pub fn target_ids() -> (u32, u32, Option<Vec<u32>>) {
    if sys::is_root() {
        (65534, 65534, Some(vec![65534]))
    } else {
        let (uid, gid) = sys::ids();
        (uid, gid, None)
    }
}

/// The ambient capability of the `CapsPdeathsig` set.
const AMBIENT_CAP: u32 = 10; // CAP_NET_BIND_SERVICE

/// `setgroups`, `setresgid` and `setresuid` with 32-bit ids: on i386 the
/// plain numbers are the old 16-bit calls.
#[cfg(target_arch = "x86")]
const SYS_SETGROUPS: c_long = libc::SYS_setgroups32;
#[cfg(target_arch = "x86")]
const SYS_SETRESGID: c_long = libc::SYS_setresgid32;
#[cfg(target_arch = "x86")]
const SYS_SETRESUID: c_long = libc::SYS_setresuid32;
#[cfg(not(target_arch = "x86"))]
const SYS_SETGROUPS: c_long = libc::SYS_setgroups;
#[cfg(not(target_arch = "x86"))]
const SYS_SETRESGID: c_long = libc::SYS_setresgid;
#[cfg(not(target_arch = "x86"))]
const SYS_SETRESUID: c_long = libc::SYS_setresuid;

fn clonexec_command(attrs: Attrs, program: &CStr, ops: &ChildOps) -> clonexec::Command {
    let mut cmd = clonexec::Command::new(program);
    match attrs {
        Attrs::None => {}
        Attrs::UserNs => {
            // The same maps and `setgroups` "deny" as the Go-style row.
            let (uid, gid) = sys::ids();
            cmd.namespaces(clonexec::Namespaces::USER)
                .uid_map([clonexec::IdMap::new(0, uid, 1)])
                .gid_map([clonexec::IdMap::new(0, gid, 1)])
                .allow_setgroups(false);
        }
        Attrs::Ids => {
            let (uid, gid, groups) = target_ids();
            cmd.uid(uid).gid(gid);
            if let Some(groups) = groups {
                cmd.groups(&groups);
            }
        }
        Attrs::CapsPdeathsig => {
            if ops.caps.is_some() {
                cmd.ambient_caps([clonexec::Capability::NET_BIND_SERVICE]);
            }
            cmd.pdeathsig(clonexec::Signal::KILL);
        }
        Attrs::CloseFds => {
            cmd.close_other_fds(true);
        }
        Attrs::Policies => {
            cmd.landlock(policies_ruleset(program))
                .seccomp(policies_seccomp());
        }
    }
    cmd
}

/// The `Policies` ruleset: 10 paths, read-only but `/tmp`, the program's
/// directory among them; TCP connect to 443 and bind to 8080 only. Best
/// effort, so that it runs on any kernel with Landlock.
fn policies_ruleset(program: &CStr) -> clonexec::Landlock {
    let dir = std::path::Path::new(OsStr::from_bytes(program.to_bytes()))
        .parent()
        .unwrap_or(std::path::Path::new("/"))
        .to_path_buf();
    clonexec::Landlock::new()
        .read_only(["/", "/usr", "/bin", "/etc", "/dev", "/proc", "/sys", "/var"])
        .read_only([dir])
        .read_write(["/tmp"])
        .restrict_network(true)
        .connect_tcp([443])
        .bind_tcp([8080])
        .best_effort(true)
}

/// The `Policies` seccomp policy: everything runs but 100 calls the
/// program never makes, which fail with EPERM.
fn policies_seccomp() -> clonexec::SeccompPolicy {
    const NEEDED: [&str; 6] = ["execve", "execveat", "exit", "exit_group", "write", "read"];
    let names: Vec<&str> = clonexec::SeccompArch::native()
        .syscalls()
        .iter()
        .map(|&(name, _)| name)
        .filter(|name| !NEEDED.contains(name))
        .step_by(2)
        .take(100)
        .collect();
    assert_eq!(names.len(), 100);
    clonexec::SeccompPolicy::new(clonexec::SeccompAction::Allow)
        .deny(names, clonexec::SeccompAction::Errno(libc::EPERM))
}

fn std_fork_command(attrs: Attrs, program: &CStr, ops: ChildOps) -> std::process::Command {
    let mut cmd = std::process::Command::new(OsStr::from_bytes(program.to_bytes()));
    match attrs {
        Attrs::None | Attrs::UserNs | Attrs::Policies => {
            cmd.uid(sys::ids().0);
        }
        Attrs::Ids => {
            // std has no stable `groups()`; as root it clears them with
            // setgroups(0) whenever `uid` is set.
            let (uid, gid, _) = target_ids();
            cmd.uid(uid).gid(gid);
        }
        Attrs::CapsPdeathsig | Attrs::CloseFds => {
            // SAFETY: the closure only makes raw syscalls (async-signal-safe,
            // no allocation).
            unsafe {
                cmd.pre_exec(move || {
                    if ops.apply() {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
    }
    cmd
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

/// Attributes applied by the hand-written children, with raw syscalls.
#[derive(Clone, Default, Debug)]
struct ChildOps {
    groups: Option<Vec<libc::gid_t>>,
    gid: Option<u32>,
    uid: Option<u32>,
    /// Capability sets to install (the parent's, with `AMBIENT_CAP` made
    /// inheritable), before raising `AMBIENT_CAP` in the ambient set.
    caps: Option<[CapData; 2]>,
    pdeathsig: bool,
    /// `close_range(from, ~0, flags)`.
    close_from: Option<(u32, u32)>,
}

impl ChildOps {
    fn for_attrs(attrs: Attrs, for_std: bool) -> Result<ChildOps, String> {
        let mut ops = ChildOps::default();
        match attrs {
            Attrs::None | Attrs::UserNs | Attrs::Policies => {}
            Attrs::Ids => {
                let (uid, gid, groups) = target_ids();
                ops.uid = Some(uid);
                ops.gid = Some(gid);
                ops.groups = groups;
            }
            Attrs::CapsPdeathsig => {
                if sys::is_root() {
                    let mut data = [CapData::default(); 2];
                    let header = CapHeader {
                        version: CAP_VERSION_3,
                        pid: 0,
                    };
                    // SAFETY: valid header and a two-element data array (v3).
                    let rc = unsafe { libc::syscall(libc::SYS_capget, &header, data.as_mut_ptr()) };
                    if rc != 0 {
                        return Err(format!("capget: {}", std::io::Error::last_os_error()));
                    }
                    data[0].inheritable |= 1 << AMBIENT_CAP;
                    ops.caps = Some(data);
                }
                ops.pdeathsig = true;
            }
            Attrs::CloseFds => {
                // std's own error pipe must survive until exec: only mark
                // the fds close-on-exec there.
                let flags = if for_std {
                    libc::CLOSE_RANGE_CLOEXEC
                } else {
                    0
                };
                ops.close_from = Some((3, flags));
            }
        }
        Ok(ops)
    }

    /// Whether the child changes credentials (which, under `CLONE_VM`,
    /// makes the shared mm non-dumpable).
    fn changes_creds(&self) -> bool {
        self.uid.is_some() || self.gid.is_some() || self.groups.is_some() || self.caps.is_some()
    }

    /// Applies the attributes with raw syscalls: no allocation, no lock, no
    /// libc wrapper with side effects (only `errno` on failure). Returns
    /// false on the first failure.
    fn apply(&self) -> bool {
        // SAFETY (whole body): raw syscalls with valid pointers into `self`.
        unsafe {
            if let Some(groups) = &self.groups
                && libc::syscall(SYS_SETGROUPS, groups.len() as c_long, groups.as_ptr()) != 0
            {
                return false;
            }
            if let Some(gid) = self.gid {
                // `as`: c_long is 32 bits wide on i686; the kernel reads
                // the same 32 bits.
                let gid = gid as c_long;
                if libc::syscall(SYS_SETRESGID, gid, gid, gid) != 0 {
                    return false;
                }
            }
            if let Some(uid) = self.uid {
                let uid = uid as c_long;
                if libc::syscall(SYS_SETRESUID, uid, uid, uid) != 0 {
                    return false;
                }
            }
            if let Some(data) = &self.caps {
                let header = CapHeader {
                    version: CAP_VERSION_3,
                    pid: 0,
                };
                if libc::syscall(libc::SYS_capset, &header, data.as_ptr()) != 0 {
                    return false;
                }
                if libc::syscall(
                    libc::SYS_prctl,
                    c_long::from(libc::PR_CAP_AMBIENT),
                    c_long::from(libc::PR_CAP_AMBIENT_RAISE),
                    AMBIENT_CAP as c_long,
                    0 as c_long,
                    0 as c_long,
                ) != 0
                {
                    return false;
                }
            }
            if self.pdeathsig
                && libc::syscall(
                    libc::SYS_prctl,
                    c_long::from(libc::PR_SET_PDEATHSIG),
                    c_long::from(libc::SIGKILL),
                    0 as c_long,
                    0 as c_long,
                    0 as c_long,
                ) != 0
            {
                return false;
            }
            if let Some((from, flags)) = self.close_from
                && libc::syscall(
                    libc::SYS_close_range,
                    from as c_long,
                    u32::MAX as c_long,
                    flags as c_long,
                ) != 0
            {
                return false;
            }
        }
        true
    }
}

/// Waits for `pid` and panics unless it exited 0.
fn wait_ok(pid: pid_t) {
    let mut status: c_int = 0;
    loop {
        // SAFETY: valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        assert!(
            rc < 0 && err.raw_os_error() == Some(libc::EINTR),
            "waitpid({pid}): {err}"
        );
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child {pid} ended with wait status {status:#x}"
    );
}

struct ClonexecCommand {
    cmd: clonexec::Command,
}

impl Spawner for ClonexecCommand {
    fn spawn_wait(&mut self) {
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("clonexec spawn: {e}"));
        let status = child
            .wait()
            .unwrap_or_else(|e| panic!("clonexec wait: {e}"));
        assert!(status.success(), "clonexec child: {status}");
    }
}

struct ClonexecPrepared {
    prepared: clonexec::Prepared,
}

impl Spawner for ClonexecPrepared {
    fn spawn_wait(&mut self) {
        let mut child = self
            .prepared
            .spawn()
            .unwrap_or_else(|e| panic!("clonexec spawn: {e}"));
        let status = child
            .wait()
            .unwrap_or_else(|e| panic!("clonexec wait: {e}"));
        assert!(status.success(), "clonexec child: {status}");
    }
}

struct Std {
    cmd: std::process::Command,
}

impl Spawner for Std {
    fn spawn_wait(&mut self) {
        let status = self
            .cmd
            .spawn()
            .and_then(|mut child| child.wait())
            .unwrap_or_else(|e| panic!("std spawn: {e}"));
        assert!(status.success(), "std child: {status}");
    }
}

/// The program path and `argv = [path, NULL]`.
struct Exec {
    path: CString,
    argv: [*const c_char; 2],
}

impl Exec {
    fn new(program: &CStr) -> Exec {
        let path = program.to_owned();
        let argv = [path.as_ptr(), std::ptr::null()];
        // Moving `path` moves the CString's pointer, not its heap buffer:
        // `argv[0]` stays valid.
        Exec { path, argv }
    }
}

struct PosixSpawn {
    exec: Exec,
    actions: Option<Box<libc::posix_spawn_file_actions_t>>,
}

type AddCloseFrom = unsafe extern "C" fn(*mut libc::posix_spawn_file_actions_t, c_int) -> c_int;

impl PosixSpawn {
    fn new(attrs: Attrs, program: &CStr) -> Result<PosixSpawn, String> {
        let actions = if attrs == Attrs::CloseFds {
            // glibc 2.34+; looked up at run time so older libcs still link.
            // SAFETY: dlsym with a NUL-terminated name.
            let sym = unsafe {
                libc::dlsym(
                    libc::RTLD_DEFAULT,
                    c"posix_spawn_file_actions_addclosefrom_np".as_ptr(),
                )
            };
            if sym.is_null() {
                return Err(String::from(
                    "n/a (libc has no posix_spawn_file_actions_addclosefrom_np)",
                ));
            }
            // SAFETY: the symbol has this signature in glibc.
            let add: AddCloseFrom =
                unsafe { std::mem::transmute::<*mut c_void, AddCloseFrom>(sym) };
            // SAFETY: an all-zero value is a valid out-buffer for init.
            let mut actions: Box<libc::posix_spawn_file_actions_t> =
                Box::new(unsafe { std::mem::zeroed() });
            // SAFETY: `actions` points to writable storage that stays put.
            unsafe {
                if libc::posix_spawn_file_actions_init(&mut *actions) != 0
                    || add(&mut *actions, 3) != 0
                {
                    return Err(String::from("posix_spawn_file_actions setup failed"));
                }
            }
            Some(actions)
        } else {
            None
        };
        Ok(PosixSpawn {
            exec: Exec::new(program),
            actions,
        })
    }
}

impl Drop for PosixSpawn {
    fn drop(&mut self) {
        if let Some(actions) = &mut self.actions {
            // SAFETY: initialized in `new`.
            unsafe { libc::posix_spawn_file_actions_destroy(&mut **actions) };
        }
    }
}

impl Spawner for PosixSpawn {
    fn spawn_wait(&mut self) {
        let mut pid: pid_t = 0;
        let actions = self
            .actions
            .as_deref()
            .map_or(std::ptr::null(), |a| a as *const _);
        // SAFETY: valid path, argv and envp arrays; `actions` is null or
        // initialized.
        let rc = unsafe {
            libc::posix_spawn(
                &mut pid,
                self.exec.path.as_ptr(),
                actions,
                std::ptr::null(),
                self.exec.argv.as_ptr().cast(),
                envp().cast(),
            )
        };
        assert_eq!(
            rc,
            0,
            "posix_spawn: {}",
            std::io::Error::from_raw_os_error(rc)
        );
        wait_ok(pid);
    }
}

struct ForkExec {
    exec: Exec,
    ops: ChildOps,
}

impl Spawner for ForkExec {
    fn spawn_wait(&mut self) {
        // SAFETY: the child only makes raw syscalls, execve and _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above; valid argv/envp.
            unsafe {
                if self.ops.apply() {
                    libc::execve(self.exec.path.as_ptr(), self.exec.argv.as_ptr(), envp());
                }
                libc::_exit(127);
            }
        }
        assert!(pid > 0, "fork: {}", std::io::Error::last_os_error());
        wait_ok(pid);
    }
}

/// clonexec's parent-side steps, added to the floor one by one to see
/// what each costs.
#[derive(Clone, Copy, Default, Debug)]
struct FloorExtras {
    /// Block every signal around the clone (raw `rt_sigprocmask`), restore
    /// it in the parent and in the child, reset SIGPIPE in the child.
    sigmask: bool,
    /// Map a fresh stack with a guard page for every spawn, unmap it after.
    fresh_stack: bool,
    /// A close-on-exec pipe whose read end the parent reads to EOF.
    report_pipe: bool,
    /// `CLONE_FILES`: share the fd table instead of copying it (the child
    /// must unshare it before touching any fd).
    clone_files: bool,
}

/// The floor: glibc's `clone()` with `CLONE_VM | CLONE_VFORK | SIGCHLD` on
/// a stack mapped once, a child that applies `ops` with raw syscalls and
/// execs. No signal masking, no error pipe, no per-spawn allocation
/// (unless `extras` asks for clonexec's steps).
struct Floor {
    exec: Exec,
    ops: ChildOps,
    extras: FloorExtras,
    stack: Mapping,
}

/// An anonymous read-write mapping, unmapped on drop.
struct Mapping {
    base: *mut c_void,
    len: usize,
}

impl Mapping {
    /// `len` bytes, the first `guard` of them `PROT_NONE`.
    fn new(len: usize, guard: usize) -> Result<Mapping, String> {
        // SAFETY: a fresh anonymous mapping aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(format!("mmap: {}", std::io::Error::last_os_error()));
        }
        let mapping = Mapping { base, len };
        // SAFETY: the first `guard` bytes lie in our mapping.
        if guard > 0 && unsafe { libc::mprotect(base, guard, libc::PROT_NONE) } != 0 {
            return Err(format!("mprotect: {}", std::io::Error::last_os_error()));
        }
        Ok(mapping)
    }

    fn top(&self) -> *mut c_void {
        self.base.wrapping_byte_add(self.len)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our mapping; nothing uses it any more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

struct FloorArgs {
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
    ops: *const ChildOps,
    /// The mask to set before exec, when the parent blocked everything.
    mask: *const u64,
    /// The report pipe's write end, or -1.
    report_fd: c_int,
}

const SIGSET_SIZE: c_long = 8;

extern "C" fn floor_child(arg: *mut c_void) -> c_int {
    // SAFETY: `Floor::spawn_wait` passes a `FloorArgs` that outlives the
    // child's use of it (the parent is suspended until exec or exit).
    unsafe {
        let args = &*arg.cast::<FloorArgs>();
        let mut ok = (*args.ops).apply();
        if ok && !args.mask.is_null() {
            // SIGPIPE back to default (Rust ignores it), then the mask.
            let default = [0u64; 4]; // k_sigaction: handler SIG_DFL, flags, restorer, mask
            ok = libc::syscall(
                libc::SYS_rt_sigaction,
                c_long::from(libc::SIGPIPE),
                default.as_ptr(),
                std::ptr::null::<u64>(),
                SIGSET_SIZE,
            ) == 0
                && libc::syscall(
                    libc::SYS_rt_sigprocmask,
                    c_long::from(libc::SIG_SETMASK),
                    args.mask,
                    std::ptr::null::<u64>(),
                    SIGSET_SIZE,
                ) == 0;
        }
        if ok {
            libc::syscall(libc::SYS_execve, args.path, args.argv, args.envp);
        }
        if args.report_fd >= 0 {
            let report = [0u8; 12];
            libc::syscall(
                libc::SYS_write,
                c_long::from(args.report_fd),
                report.as_ptr(),
                12 as c_long,
            );
        }
        libc::_exit(127)
    }
}

impl Floor {
    const STACK: usize = 64 * 1024;
    /// clonexec's child stack size.
    const FRESH_STACK: usize = 256 * 1024;

    fn new(program: &CStr, ops: ChildOps, extras: FloorExtras) -> Result<Floor, String> {
        Ok(Floor {
            exec: Exec::new(program),
            ops,
            extras,
            stack: Mapping::new(Self::STACK, 0)?,
        })
    }
}

impl Spawner for Floor {
    fn spawn_wait(&mut self) {
        let fresh = if self.extras.fresh_stack {
            let page = sys::page_size();
            Some(Mapping::new(Self::FRESH_STACK + page, page).expect("stack"))
        } else {
            None
        };
        let top = fresh.as_ref().unwrap_or(&self.stack).top();
        let mut pipe: [c_int; 2] = [-1; 2];
        if self.extras.report_pipe {
            // SAFETY: valid out-array.
            let rc = unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) };
            assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
        }
        let mut old_mask = 0u64;
        if self.extras.sigmask {
            let full = !0u64;
            // SAFETY: valid sigset pointers of SIGSET_SIZE bytes.
            unsafe {
                libc::syscall(
                    libc::SYS_rt_sigprocmask,
                    c_long::from(libc::SIG_SETMASK),
                    &full,
                    &mut old_mask,
                    SIGSET_SIZE,
                )
            };
        }
        let args = FloorArgs {
            path: self.exec.path.as_ptr(),
            argv: self.exec.argv.as_ptr(),
            envp: envp(),
            ops: &self.ops,
            mask: if self.extras.sigmask {
                &old_mask
            } else {
                std::ptr::null()
            },
            report_fd: pipe[1],
        };
        // SAFETY: the child runs `floor_child` on its own stack and never
        // returns; CLONE_VFORK suspends us until it has exec'd or exited,
        // so `args` and the stack outlive its use of them.
        let pid = unsafe {
            libc::clone(
                floor_child,
                top,
                libc::CLONE_VM
                    | libc::CLONE_VFORK
                    | libc::SIGCHLD
                    | if self.extras.clone_files {
                        libc::CLONE_FILES
                    } else {
                        0
                    },
                (&raw const args).cast_mut().cast(),
            )
        };
        if self.extras.sigmask {
            // SAFETY: as above.
            unsafe {
                libc::syscall(
                    libc::SYS_rt_sigprocmask,
                    c_long::from(libc::SIG_SETMASK),
                    &old_mask,
                    std::ptr::null::<u64>(),
                    SIGSET_SIZE,
                )
            };
        }
        assert!(pid > 0, "clone: {}", std::io::Error::last_os_error());
        if self.extras.report_pipe {
            // SAFETY: our pipe fds; `buf` is a valid buffer.
            unsafe {
                libc::close(pipe[1]);
                let mut buf = [0u8; 12];
                let mut got = 0usize;
                loop {
                    let n = libc::read(pipe[0], buf.as_mut_ptr().cast(), buf.len());
                    if n == 0 {
                        break;
                    }
                    if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
                    {
                        continue;
                    }
                    assert!(n > 0, "read: {}", std::io::Error::last_os_error());
                    got += n as usize;
                }
                libc::close(pipe[0]);
                assert_eq!(got, 0, "the child reported a failure");
            }
        }
        drop(fresh);
        wait_ok(pid);
    }

    fn after_batch(&mut self) {
        if self.ops.changes_creds() {
            sys::restore_dumpable();
        }
    }
}

/// Go's user-namespace spawn (syscall.forkAndExecInChild with
/// `Cloneflags: CLONE_NEWUSER`): a fork-like clone without `CLONE_VM`
/// (the parent's page tables are copied), the parent writes
/// `uid_map`/`setgroups`/`gid_map`, then releases the child through a pipe.
struct ForkUserNs {
    exec: Exec,
    uid_map: String,
    gid_map: String,
}

impl ForkUserNs {
    fn new(program: &CStr) -> ForkUserNs {
        let (uid, gid) = sys::ids();
        ForkUserNs {
            exec: Exec::new(program),
            uid_map: format!("0 {uid} 1\n"),
            gid_map: format!("0 {gid} 1\n"),
        }
    }
}

fn write_proc(pid: pid_t, file: &str, text: &str) {
    use std::io::Write;
    let path = format!("/proc/{pid}/{file}");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap_or_else(|e| panic!("writing {path}: {e}"));
}

impl Spawner for ForkUserNs {
    fn spawn_wait(&mut self) {
        let mut pipe: [c_int; 2] = [-1; 2];
        // SAFETY: valid out-array.
        let rc = unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
        let flags = c_long::from(libc::CLONE_NEWUSER | libc::SIGCHLD);
        // SAFETY: a fork-like clone (no CLONE_VM, stack 0 = a copy of ours);
        // the child only makes raw syscalls, then execs or exits.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                flags,
                0 as c_long,
                0 as c_long,
                0 as c_long,
                0 as c_long,
            )
        };
        if pid == 0 {
            // SAFETY: as above.
            unsafe {
                let mut byte = 0u8;
                libc::syscall(libc::SYS_close, c_long::from(pipe[1]));
                libc::syscall(
                    libc::SYS_read,
                    c_long::from(pipe[0]),
                    &mut byte,
                    1 as c_long,
                );
                libc::syscall(
                    libc::SYS_execve,
                    self.exec.path.as_ptr(),
                    self.exec.argv.as_ptr(),
                    envp(),
                );
                libc::_exit(127);
            }
        }
        // SAFETY: our read end.
        unsafe { libc::close(pipe[0]) };
        if pid < 0 {
            let err = std::io::Error::last_os_error();
            // SAFETY: our write end.
            unsafe { libc::close(pipe[1]) };
            panic!("clone(CLONE_NEWUSER): {err}");
        }
        let pid = pid as pid_t;
        write_proc(pid, "uid_map", &self.uid_map);
        write_proc(pid, "setgroups", "deny");
        write_proc(pid, "gid_map", &self.gid_map);
        // SAFETY: our write end; EOF releases the child.
        unsafe { libc::close(pipe[1]) };
        wait_ok(pid);
    }
}
