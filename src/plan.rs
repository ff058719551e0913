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
                fd_survives_exec: false,
                exec_paths,
                searched_path: true,
                argv,
                envp: None,
                cwd: None,
                cwd_fallbacks: Vec::new(),
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
    /// Whether `fd` stays open in the program (the caller's fd was not
    /// close-on-exec), so that a script's interpreter can open it again
    /// through `/dev/fd/N`.
    pub fd_survives_exec: bool,
    /// Paths to try with `execve`, in order (one unless PATH is searched).
    pub exec_paths: Vec<CString>,
    /// Whether `exec_paths` come from a PATH search.
    pub searched_path: bool,
    pub argv: CStrArray,
    /// `None`: the parent's environment at the spawn.
    pub envp: Option<CStrArray>,
    pub cwd: Option<CString>,
    /// Without `cwd`, after the root changed to an empty one: directories
    /// to try in turn (the caller's, `$HOME`, `/`), each with the
    /// environment whose `PWD` names it (bubblewrap's rule).
    pub cwd_fallbacks: Vec<(CString, CStrArray)>,
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
    /// Limit the new user namespace to the one nested by `lock_mounts`.
    pub disable_userns: bool,
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
    /// Build the root from an empty tmpfs (`Command::empty_root`): the
    /// mounts' paths below are already under [`NEW_ROOT`] and their
    /// sources under [`OLD_ROOT`].
    pub empty_root: bool,
    pub mounts: Vec<MountPlan>,
    pub chroot: Option<CString>,
    pub pivot_root: Option<CString>,
    pub lock_mounts: bool,
}

/// Where an empty root is built: a tmpfs mounted on `/tmp` (which every
/// system has, and which the root change hides again), in which the child
/// pivots, with the old root at [`OLD_ROOT`] and the new one at
/// [`NEW_ROOT`] (docs/design.md, "The child's steps").
pub(crate) const EMPTY_ROOT_BASE: &core::ffi::CStr = c"/tmp";
/// The new root while it is built (after the first pivot).
pub(crate) const NEW_ROOT: &core::ffi::CStr = c"/newroot";
/// The caller's root while the new one is built.
pub(crate) const OLD_ROOT: &core::ffi::CStr = c"/oldroot";
/// A symlink's contents are shorter than this (`PATH_MAX`): the child
/// compares an existing link's contents in a buffer of this size.
pub(crate) const SYMLINK_MAX: usize = 4096;

impl FilesystemPlan {
    /// Whether the child changes the filesystem in a way that needs the
    /// mount step.
    #[inline]
    pub(crate) fn builds(&self) -> bool {
        self.empty_root || !self.mounts.is_empty()
    }
}

/// One [`Mount`](crate::Mount), with every path it needs prepared.
#[derive(Debug)]
pub(crate) struct MountPlan {
    /// The path as the user gave it, for messages.
    pub shown: Vec<u8>,
    /// The path the child works on.
    pub target: CString,
    /// The target's ancestors, outermost first, created (mode
    /// `parent_mode`) when the target's directory is missing.
    pub parents: Vec<CString>,
    pub parent_mode: u32,
    pub op: MountOp,
}

/// What a [`MountPlan`] does at its target.
#[derive(Debug)]
pub(crate) enum MountOp {
    /// A filesystem mounted on a directory (created if missing).
    Filesystem {
        fstype: &'static core::ffi::CStr,
        flags: u32,
        data: Option<CString>,
    },
    /// A recursive bind mount of `source`.
    Bind(BindPlan),
    /// A minimal /dev (boxed: its paths make it the largest by far).
    Dev(alloc::boxed::Box<DevPlan>),
    Dir {
        mode: u32,
    },
    Symlink {
        points_to: CString,
    },
    File {
        data: Vec<u8>,
        mode: u32,
        /// Bound onto itself read-only afterwards.
        read_only: bool,
    },
    Chmod {
        mode: u32,
    },
    RemountReadOnly,
}

/// A bind mount and the attributes it gets, all the way down.
#[derive(Debug)]
pub(crate) struct BindPlan {
    pub source: CString,
    /// The source as the user gave it, for messages.
    pub shown_source: Vec<u8>,
    /// Skip the mount when the source is missing.
    pub optional: bool,
    /// `MOUNT_ATTR_*` bits set on the whole bound tree.
    pub attrs: u64,
    /// Where the mounts below the source land under the target, for
    /// kernels without `mount_setattr` (remounted one by one).
    pub submounts: Vec<CString>,
}

/// The paths of a minimal /dev at some target.
#[derive(Debug)]
pub(crate) struct DevPlan {
    /// `(device node to copy, where it goes)`.
    pub nodes: [(CString, CString); 6],
    /// `(link contents, link path)`.
    pub links: [(&'static core::ffi::CStr, CString); 6],
    /// Directories made in it: `shm`, then `pts`, where devpts goes.
    pub shm: CString,
    pub pts: CString,
}
