//! [`Spec`]: what the user asked for, as plain data. [`Command`] is a
//! builder around it, and `prepare` lowers it into a
//! [`Plan`](crate::plan::Plan); neither needs the other.
//!
//! [`Command`]: crate::Command

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use rustix::fd::OwnedFd;

use crate::{
    CapSet, Capability, IdMap, Landlock, Mount, Namespaces, Propagation, Resource, SeccompFlags,
    SeccompPolicy, SecureBits, SigSet, Signal, SockFilter, Stdio,
};

/// Every attribute of a command, unchecked.
#[derive(Debug)]
pub(crate) struct Spec {
    pub program: Vec<u8>,
    /// The file to run instead of a path (`Command::from_fd`).
    pub program_fd: Option<OwnedFd>,
    pub arg0: Option<Vec<u8>>,
    pub args: Vec<Vec<u8>>,
    pub env_clear: bool,
    /// Environment changes by name, as std keeps them: `Some` sets,
    /// `None` removes (only recorded without `env_clear`).
    pub env_changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub current_dir: Option<Vec<u8>>,
    pub stdio: [Option<Stdio>; 3],
    pub fds: Vec<(i32, OwnedFd)>,
    pub close_other_fds: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub groups: Option<Vec<u32>>,
    pub keep_groups: bool,
    pub setsid: bool,
    pub process_group: Option<i32>,
    pub pdeathsig: Option<Signal>,
    pub ambient_caps: Vec<Capability>,
    pub create_pidfd: bool,
    pub capabilities: Option<CapSet>,
    pub bounding_set: Option<Vec<Capability>>,
    pub securebits: Option<SecureBits>,
    pub no_new_privs: bool,
    pub seccomp_filter: Option<Vec<SockFilter>>,
    pub seccomp_flags: SeccompFlags,
    pub seccomp_policy: Option<SeccompPolicy>,
    pub landlock: Option<Landlock>,
    pub rlimits: Vec<(Resource, u64, u64)>,
    pub oom_score_adj: Option<i32>,
    pub personality: Option<u32>,
    pub ptrace_traceme: bool,
    pub foreground: Option<OwnedFd>,
    pub controlling_tty: Option<i32>,
    pub no_controlling_tty: bool,
    pub setsid_if_tty: bool,
    pub signal_mask: Option<SigSet>,
    pub reset_ignored_signals: bool,
    /// `pre_exec` hooks, in the order added.
    #[cfg(feature = "std")]
    pub pre_exec: Vec<alloc::sync::Arc<crate::pre_exec::Hook>>,
    pub new_session_keyring: bool,
    pub namespaces: Namespaces,
    pub uid_map: Vec<IdMap>,
    pub gid_map: Vec<IdMap>,
    pub allow_setgroups: Option<bool>,
    pub id_map_helpers: bool,
    pub join_namespaces: Vec<(OwnedFd, Namespaces)>,
    pub cgroup: Option<OwnedFd>,
    pub mount_propagation: Option<Propagation>,
    pub hostname: Option<Vec<u8>>,
    pub domainname: Option<Vec<u8>>,
    pub loopback_up: bool,
    pub mounts: Vec<Mount>,
    pub empty_root: bool,
    pub chroot: Option<Vec<u8>>,
    pub pivot_root: Option<Vec<u8>>,
    pub pid1_init: bool,
    pub lock_mounts: bool,
    pub disable_user_namespaces: bool,
}

impl Spec {
    /// A command running `program` with every attribute unset.
    pub(crate) fn new(program: Vec<u8>) -> Spec {
        Spec {
            program,
            program_fd: None,
            arg0: None,
            args: Vec::new(),
            env_clear: false,
            env_changes: BTreeMap::new(),
            current_dir: None,
            stdio: [None, None, None],
            fds: Vec::new(),
            close_other_fds: false,
            uid: None,
            gid: None,
            groups: None,
            keep_groups: false,
            setsid: false,
            process_group: None,
            pdeathsig: None,
            ambient_caps: Vec::new(),
            create_pidfd: false,
            capabilities: None,
            bounding_set: None,
            securebits: None,
            no_new_privs: false,
            seccomp_filter: None,
            seccomp_flags: SeccompFlags::empty(),
            seccomp_policy: None,
            landlock: None,
            rlimits: Vec::new(),
            oom_score_adj: None,
            personality: None,
            ptrace_traceme: false,
            foreground: None,
            controlling_tty: None,
            no_controlling_tty: false,
            setsid_if_tty: false,
            signal_mask: None,
            reset_ignored_signals: false,
            #[cfg(feature = "std")]
            pre_exec: Vec::new(),
            new_session_keyring: false,
            namespaces: Namespaces::empty(),
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            allow_setgroups: None,
            id_map_helpers: false,
            join_namespaces: Vec::new(),
            cgroup: None,
            mount_propagation: None,
            hostname: None,
            domainname: None,
            loopback_up: false,
            mounts: Vec::new(),
            empty_root: false,
            chroot: None,
            pivot_root: None,
            pid1_init: false,
            lock_mounts: false,
            disable_user_namespaces: false,
        }
    }
}
