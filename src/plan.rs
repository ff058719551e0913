//! The prepared, immutable form of a [`Command`](crate::Command): everything
//! a spawn and its child routine need, already validated, NUL-terminated
//! and laid out so that the child only reads it.
//!
//! A [`Plan`] is grouped by area, the same areas `prepare` lowers one by
//! one: the program, its fds, the process (session, signals, resources),
//! credentials, security, namespaces and the filesystem view. Raw numbers
//! here are the kernel's (`CLONE_NEW*`, `MS_*`, capability bits): the
//! public types have been lowered already.

use alloc::ffi::CString;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustix::fd::OwnedFd;

use crate::sys::CStrArray;
use crate::{IdMap, SockFilter};

/// Everything `spawn` and the child routine need, validated.
#[derive(Debug)]
pub(crate) struct Plan {
    pub program: ProgramPlan,
    pub fds: FdPlan,
    pub process: ProcessPlan,
    pub credentials: CredentialsPlan,
    pub security: SecurityPlan,
    pub namespaces: NamespacePlan,
    pub filesystem: FilesystemPlan,
    /// The fds the plan refers to by number (mapping sources, namespace
    /// and cgroup fds, the program's fd...), kept open for the plan's life.
    #[allow(dead_code)]
    pub owned_fds: Vec<OwnedFd>,
}

impl Plan {
    /// A plan that only runs a program: the first of `exec_paths` that
    /// execs, with `argv`, this process's stdio and environment, and no
    /// other attribute.
    pub(crate) fn exec(name: &str, exec_paths: Vec<CString>, argv: CStrArray) -> Plan {
        Plan {
            program: ProgramPlan {
                name: name.into(),
                fd: None,
                exec_paths,
                searched_path: true,
                argv,
                envp: None,
                cwd: None,
            },
            fds: FdPlan {
                max_target: 2,
                keep: alloc::vec![0, 1, 2],
                ..FdPlan::default()
            },
            process: ProcessPlan::default(),
            credentials: CredentialsPlan::default(),
            security: SecurityPlan::default(),
            namespaces: NamespacePlan::default(),
            filesystem: FilesystemPlan::default(),
            owned_fds: Vec::new(),
        }
    }
}

/// What to run, with what arguments and environment, where.
#[derive(Debug)]
pub(crate) struct ProgramPlan {
    /// The program as the user named it, for error messages.
    pub name: Arc<str>,
    /// The file to run with `execveat(AT_EMPTY_PATH)` (an owned fd's
    /// number), instead of `exec_paths`.
    pub fd: Option<i32>,
    /// Paths to try with `execve`, in order (one unless PATH is searched).
    pub exec_paths: Vec<CString>,
    /// Whether `exec_paths` come from a PATH search.
    pub searched_path: bool,
    pub argv: CStrArray,
    /// `None`: the parent's environment at the spawn.
    pub envp: Option<CStrArray>,
    pub cwd: Option<CString>,
}

/// Where one child fd comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FdSource {
    /// An fd the plan owns (in [`Plan::owned_fds`]), by number.
    Owned(i32),
    /// The child's end of the pipe made at spawn time for stdio stream `n`.
    Pipe(usize),
}

/// One "child fd `target` is a copy of `source`" request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FdMapping {
    pub target: i32,
    pub source: FdSource,
}

/// The child's fd table.
#[derive(Debug, Default)]
pub(crate) struct FdPlan {
    /// Which stdio streams get a fresh pipe at each spawn.
    pub piped: [bool; 3],
    /// fd mappings, stdio included; targets are distinct.
    pub mappings: Vec<FdMapping>,
    /// The highest target fd (at least 2).
    pub max_target: i32,
    /// The targets of `mappings`, sorted, for the child's binary searches.
    pub targets: Vec<i32>,
    /// Sorted, distinct fds kept by `close_other_fds`: 0, 1, 2 and every
    /// target.
    pub keep: Vec<i32>,
    pub close_others: bool,
}

/// Session, terminal, signals and resources.
#[derive(Debug, Default)]
pub(crate) struct ProcessPlan {
    pub setsid: bool,
    pub setsid_if_tty: bool,
    pub process_group: Option<i32>,
    /// Terminal fd (owned, parent number) whose foreground group to set.
    pub foreground: Option<i32>,
    pub controlling_tty: Option<i32>,
    pub no_controlling_tty: bool,
    /// Parent-death signal number, 0 for none.
    pub pdeathsig: i32,
    /// Mask at exec; `None` means the parent's.
    pub signal_mask: Option<u64>,
    pub reset_ignored_signals: bool,
    /// `pre_exec` hooks: the child has memory of its own (a fork).
    #[cfg(feature = "std")]
    pub pre_exec: Option<crate::pre_exec::PreExec>,
    pub ptrace_traceme: bool,
    pub create_pidfd: bool,
    /// `(resource, soft, hard)`.
    pub rlimits: Vec<(u32, u64, u64)>,
    /// The decimal text written to /proc/self/oom_score_adj.
    pub oom_score_adj: Option<Vec<u8>>,
    pub personality: Option<u32>,
    pub new_session_keyring: bool,
}

/// Credentials to set, each optional.
#[derive(Debug, Default)]
pub(crate) struct CredentialsPlan {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Supplementary groups to set.
    pub groups: Option<Vec<u32>>,
    /// Clear the supplementary groups if allowed (uid/gid change without
    /// explicit groups, as std does for root); EPERM is not an error.
    pub clear_groups: bool,
}

impl ProgramPlan {
    /// The environment to exec with: the prepared one, or this process's
    /// `environ` as it is now.
    pub(crate) fn envp(&self) -> crate::sys::exec::Envp<'_> {
        use crate::sys::exec::Envp;
        match &self.envp {
            Some(array) => Envp::of(array),
            #[cfg(feature = "std")]
            None => Envp::parent(),
            // Not made without std: prepare() builds every environment.
            #[cfg(not(feature = "std"))]
            None => Envp::EMPTY,
        }
    }
}

impl ProcessPlan {
    /// Whether the child must not share the caller's memory: only user
    /// code run in it (`pre_exec`) needs memory of its own.
    #[inline]
    pub(crate) fn needs_own_memory(&self) -> bool {
        #[cfg(feature = "std")]
        return self.pre_exec.is_some();
        #[cfg(not(feature = "std"))]
        return false;
    }
}

impl CredentialsPlan {
    /// Does the child change any credential (and so, through the shared
    /// mm, possibly the parent's dumpable flag)?
    pub(crate) fn any(&self) -> bool {
        self.uid.is_some() || self.gid.is_some() || self.groups.is_some() || self.clear_groups
    }
}

/// Capabilities, securebits, no_new_privs, seccomp and Landlock.
#[derive(Debug, Default)]
pub(crate) struct SecurityPlan {
    /// Ambient capabilities to raise, as a bit mask.
    pub ambient_caps: u64,
    /// Explicit capability sets (permitted, inheritable, effective).
    pub capabilities: Option<[u64; 3]>,
    /// Capabilities to drop from the bounding set, as a mask.
    pub bounding_drop: u64,
    pub securebits: Option<u32>,
    pub no_new_privs: bool,
    /// Seccomp filter and flags.
    pub seccomp: Option<(Vec<SockFilter>, u32)>,
    /// The Landlock ruleset fd (owned) to restrict the child with.
    pub landlock: Option<i32>,
    /// What of the Landlock ruleset the kernel cannot enforce (best
    /// effort), for `Prepared::landlock_dropped`.
    pub landlock_dropped: Vec<alloc::string::String>,
}

impl SecurityPlan {
    /// Whether the child raises capabilities after a uid change (which
    /// needs them kept across it).
    #[inline]
    pub(crate) fn wants_caps(&self) -> bool {
        self.capabilities.is_some() || self.ambient_caps != 0
    }
}

/// Namespaces to create or join, and what they need set up.
#[derive(Debug, Default)]
pub(crate) struct NamespacePlan {
    /// `CLONE_NEW*` flags.
    pub clone_flags: u64,
    /// Id maps the parent writes while the child waits.
    pub id_maps: Option<IdMapPlan>,
    /// `(fd, CLONE_NEW* kind)` to setns into, user namespace first.
    pub joins: Vec<(i32, u64)>,
    /// cgroup v2 directory fd for `CLONE_INTO_CGROUP`.
    pub cgroup: Option<i32>,
    pub hostname: Option<Vec<u8>>,
    pub domainname: Option<Vec<u8>>,
    pub loopback_up: bool,
    pub pid1_init: bool,
}

impl NamespacePlan {
    /// Whether the child is born in a new PID namespace.
    pub(crate) fn new_pid(&self) -> bool {
        self.clone_flags & u64::from(linux_raw_sys::general::CLONE_NEWPID) != 0
    }
}

/// User-namespace id maps, as the parent writes them.
#[derive(Debug)]
pub(crate) struct IdMapPlan {
    /// `/proc/PID/uid_map` contents (empty: none).
    pub uid_map: Vec<u8>,
    pub gid_map: Vec<u8>,
    /// `/proc/PID/setgroups` contents to write first, if any.
    pub setgroups: Option<&'static str>,
    /// Run `newuidmap`/`newgidmap` (PATH candidates of each, from the
    /// caller's PATH) with these lines instead of writing the files.
    pub helpers: Option<IdMapHelpers>,
}

/// The setuid helpers that write id maps for an unprivileged caller.
#[derive(Debug)]
pub(crate) struct IdMapHelpers {
    pub newuidmap: Vec<CString>,
    pub newgidmap: Vec<CString>,
    pub uid_lines: Vec<IdMap>,
    pub gid_lines: Vec<IdMap>,
}

/// Mounts and the root change.
#[derive(Debug, Default)]
pub(crate) struct FilesystemPlan {
    /// `mount(2)` flags for `/` in the new mount namespace.
    pub propagation: Option<u32>,
    pub mounts: Vec<MountPlan>,
    pub chroot: Option<CString>,
    pub pivot_root: Option<CString>,
    pub lock_mounts: bool,
}

/// One mount, ready for `mount(2)`.
#[derive(Debug)]
pub(crate) struct MountPlan {
    pub source: Option<CString>,
    pub target: CString,
    pub fstype: Option<CString>,
    pub flags: u32,
    pub data: Option<CString>,
    /// Remount read-only afterwards (bind mounts), keeping the other flags.
    pub remount_read_only: bool,
}
