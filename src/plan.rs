//! The prepared, immutable form of a [`Command`](crate::Command): everything
//! the child routine needs, already validated, NUL-terminated and laid out so
//! that the child only reads it.

use alloc::ffi::CString;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustix::fd::OwnedFd;

use crate::sys::CStrArray;
use crate::{IdMap, SockFilter};

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

/// Credentials to set, each optional.
#[derive(Debug, Default)]
pub(crate) struct Credentials {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Supplementary groups to set.
    pub groups: Option<Vec<u32>>,
    /// Clear the supplementary groups if allowed (uid/gid change without
    /// explicit groups, as std does for root); EPERM is not an error.
    pub clear_groups: bool,
}

impl Credentials {
    /// Does the child change any credential (and so, through the shared
    /// mm, possibly the parent's dumpable flag)?
    pub(crate) fn any(&self) -> bool {
        self.uid.is_some() || self.gid.is_some() || self.groups.is_some() || self.clear_groups
    }
}

/// Everything `spawn` and the child routine need, validated.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The program as the user named it, for error messages.
    pub program: Arc<str>,
    /// The file to run with `execveat(AT_EMPTY_PATH)` (an fd of
    /// `owned_fds`), instead of `exec_paths`.
    pub program_fd: Option<i32>,
    /// Paths to try with `execve`, in order (one unless PATH is searched).
    pub exec_paths: Vec<CString>,
    /// Whether `exec_paths` come from a PATH search.
    pub searched_path: bool,
    pub argv: CStrArray,
    /// `None`: the parent's environment at the spawn (`EnvCapture::AtSpawn`).
    pub envp: Option<CStrArray>,
    pub cwd: Option<CString>,
    /// Which stdio streams get a fresh pipe at each spawn.
    pub piped: [bool; 3],
    /// fd mappings, stdio included; targets are distinct.
    pub fd_mappings: Vec<FdMapping>,
    /// The highest target fd (at least 2).
    pub max_target: i32,
    /// The targets of `fd_mappings`, sorted, for the child's binary searches.
    pub targets: Vec<i32>,
    /// Sorted, distinct fds kept by `close_other_fds`: 0, 1, 2 and every target.
    pub keep_fds: Vec<i32>,
    pub close_other_fds: bool,
    pub credentials: Credentials,
    pub setsid: bool,
    pub process_group: Option<i32>,
    /// Parent-death signal number, 0 for none.
    pub pdeathsig: i32,
    /// Ambient capabilities to raise, as a bit mask.
    pub ambient_caps: u64,
    pub create_pidfd: bool,
    /// Explicit capability sets (permitted, inheritable, effective).
    pub capabilities: Option<[u64; 3]>,
    /// Capabilities to drop from the bounding set, as a mask.
    pub bounding_drop: u64,
    pub securebits: Option<u32>,
    pub no_new_privs: bool,
    /// Seccomp filter and flags.
    pub seccomp: Option<(Vec<SockFilter>, u32)>,
    /// `(resource, soft, hard)`.
    pub rlimits: Vec<(u32, u64, u64)>,
    /// The decimal text written to /proc/self/oom_score_adj.
    pub oom_score_adj: Option<Vec<u8>>,
    pub personality: Option<u32>,
    pub ptrace_traceme: bool,
    /// Terminal fd (owned, parent number) whose foreground group to set.
    pub foreground: Option<i32>,
    pub controlling_tty: Option<i32>,
    pub no_controlling_tty: bool,
    pub setsid_if_tty: bool,
    /// Mask at exec; `None` means the parent's.
    pub signal_mask: Option<u64>,
    pub reset_ignored_signals: bool,
    pub new_session_keyring: bool,
    /// `CLONE_NEW*` flags.
    pub clone_namespaces: u64,
    /// Id maps the parent writes while the child waits.
    pub id_maps: Option<IdMaps>,
    /// `(fd, CLONE_NEW* kind)` to setns into, user namespace first.
    pub joins: Vec<(i32, u64)>,
    /// cgroup v2 directory fd for `CLONE_INTO_CGROUP`.
    pub cgroup: Option<i32>,
    /// `mount(2)` flags for `/` in the new mount namespace.
    pub propagation: Option<u32>,
    pub hostname: Option<Vec<u8>>,
    pub domainname: Option<Vec<u8>>,
    pub loopback_up: bool,
    pub mounts: Vec<MountPlan>,
    pub chroot: Option<CString>,
    pub pivot_root: Option<CString>,
    pub pid1_init: bool,
    pub lock_mounts: bool,
    /// The fds the mappings copy from, kept open for the plan's life (the
    /// child reads their numbers from `fd_mappings`).
    #[allow(dead_code)]
    pub owned_fds: Vec<OwnedFd>,
}

/// User-namespace id maps, as the parent writes them.
#[derive(Debug)]
pub(crate) struct IdMaps {
    /// `/proc/PID/uid_map` contents (empty: none).
    pub uid_map: Vec<u8>,
    pub gid_map: Vec<u8>,
    /// `/proc/PID/setgroups` contents to write first, if any.
    pub setgroups: Option<&'static str>,
    /// Use `newuidmap`/`newgidmap` with these maps instead of writing.
    pub helpers: bool,
    pub uid_lines: Vec<IdMap>,
    pub gid_lines: Vec<IdMap>,
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
