//! What a command line asks to run, before it is a [`Command`]: the
//! settings in command-line order and what flags imply for each other.

use std::ffi::OsString;

use clonexec::{
    CapSet, Capability, Command, IdMap, Landlock, Namespaces, SeccompAction, SeccompFlags,
    SeccompPolicy, SigSet,
};

use crate::Failure;
use crate::flags::{CredentialFlag, Flag, LimitFlag, NamespaceFlag, ProcessFlag, SandboxFlag};

/// A deferred change to the [`Command`], which only exists once PROGRAM is
/// known (after the options).
type Setting = Box<dyn FnOnce(&mut Command)>;

/// What a command line asks to run.
#[derive(Default)]
pub struct Invocation {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// Builder calls, in command-line order.
    settings: Vec<Setting>,
    /// Applied before `settings`, so `--env` survives wherever this appears.
    pub env_clear: bool,
    pub groups: Option<Vec<u32>>,
    pub keep_groups: bool,
    /// Collected over every `--ambient-caps`.
    pub ambient_caps: Vec<Capability>,
    /// From `--caps` or `--inh-caps`, with the flag that set them.
    pub capabilities: Option<(CapSet, Flag)>,
    pub seccomp: bool,
    pub seccomp_flags: Option<SeccompFlags>,
    /// Collected over the `--landlock-*` flags.
    pub landlock: Option<Landlock>,
    /// `--seccomp-deny` lists with their errno, and the `--seccomp-allow`
    /// names: one policy.
    pub seccomp_deny: Vec<(Vec<String>, SeccompAction)>,
    pub seccomp_allow: Vec<String>,
    pub ctty: bool,
    pub no_ctty: bool,
    /// `--setsid` or `--setsid-if-tty` (`--ctty` implies `--setsid`).
    pub setsid: bool,
    /// Collected over every `--unshare` (`None`: none; `Namespaces` has no
    /// `Default`).
    pub unshare: Option<Namespaces>,
    /// Kinds joined with `--join`.
    pub joined: Option<Namespaces>,
    /// Whether a flag implies a new mount namespace.
    pub implies_mount: bool,
    /// `--init`, which implies a new PID namespace.
    pub init: bool,
    pub map_root_user: bool,
    pub uid_map: Vec<IdMap>,
    pub gid_map: Vec<IdMap>,
    /// `--setgroups` or `--map-helpers`, for the check that maps exist.
    pub map_option: Option<Flag>,
    /// `--map-helpers`: newuidmap/newgidmap run before the namespace exists.
    pub map_helpers: bool,
    /// `--pdeathsig`: a signal when clonexec dies, so clonexec must live.
    pub pdeathsig: bool,
    pub print_pid: bool,
}

impl Invocation {
    /// Records a builder call to make on the [`Command`].
    pub fn set(&mut self, f: impl FnOnce(&mut Command) -> &mut Command + 'static) {
        self.settings.push(Box::new(move |cmd| {
            f(cmd);
        }));
    }

    /// Whether an id map is asked for (which implies a user namespace).
    pub fn has_id_map(&self) -> bool {
        self.map_root_user || !self.uid_map.is_empty() || !self.gid_map.is_empty()
    }

    /// The namespaces to create: `--unshare` plus the implied ones.
    pub fn namespaces(&self) -> Namespaces {
        let mut namespaces = self.unshare.unwrap_or(Namespaces::empty());
        if self.has_id_map() {
            namespaces |= Namespaces::USER;
        }
        let joined = self.joined.unwrap_or(Namespaces::empty());
        if self.implies_mount && !joined.contains(Namespaces::MOUNT) {
            namespaces |= Namespaces::MOUNT;
        }
        if self.init {
            namespaces |= Namespaces::PID;
        }
        namespaces
    }

    /// Whether clonexec must stay, as the program's parent, instead of
    /// becoming the program: for what `Command::exec()` refuses (see
    /// `check()` in src/exec.rs: a new PID or time namespace, which only
    /// children enter, a pid-1 init, newuidmap/newgidmap, which must run
    /// before the new user namespace exists); for a parent-death signal,
    /// which is about clonexec; for `--no-ctty`, which in a session leader
    /// would hang up its own foreground group (clonexec's child never
    /// leads a session it did not make); and for a new session when
    /// clonexec leads its process group (as a shell's job does), where
    /// `setsid` fails.
    pub fn needs_supervision(&self) -> bool {
        let leads_group = || rustix::process::getpgrp() == rustix::process::getpid();
        self.init
            || self.pdeathsig
            || self.map_helpers
            || self.no_ctty
            || ((self.setsid || self.ctty) && leads_group())
            || self
                .namespaces()
                .intersects(Namespaces::PID | Namespaces::TIME)
    }

    /// The [`Command`] this invocation describes. `mask`, if any, is the
    /// program's signal mask unless `--signal-mask` says otherwise.
    pub fn command(self, mask: Option<SigSet>) -> Command {
        let mut cmd = Command::new(&self.program);
        // First: a `--signal-mask` setting replaces it.
        if let Some(mask) = mask {
            cmd.signal_mask(mask);
        }
        if self.env_clear {
            cmd.env_clear();
        }
        let namespaces = self.namespaces();
        if !namespaces.is_empty() {
            cmd.namespaces(namespaces);
        }
        let mut uid_map = Vec::new();
        let mut gid_map = Vec::new();
        if self.map_root_user {
            uid_map.push(IdMap::new(0, rustix::process::geteuid().as_raw(), 1));
            gid_map.push(IdMap::new(0, rustix::process::getegid().as_raw(), 1));
            // As `unshare -r`: setgroups denied (a `--setgroups` setting,
            // applied below, says otherwise).
            cmd.allow_setgroups(false);
        }
        uid_map.extend(self.uid_map);
        gid_map.extend(self.gid_map);
        if !uid_map.is_empty() {
            cmd.uid_map(uid_map);
        }
        if !gid_map.is_empty() {
            cmd.gid_map(gid_map);
        }
        for setting in self.settings {
            setting(&mut cmd);
        }
        if let Some(groups) = &self.groups {
            cmd.groups(groups);
        }
        if self.keep_groups {
            cmd.keep_groups(true);
        }
        if !self.ambient_caps.is_empty() {
            cmd.ambient_caps(self.ambient_caps);
        }
        if let Some((sets, _)) = self.capabilities {
            cmd.capabilities(sets);
        }
        if let Some(flags) = self.seccomp_flags {
            cmd.seccomp_flags(flags);
        }
        if let Some(landlock) = self.landlock {
            cmd.landlock(landlock);
        }
        if let Some(policy) = seccomp_policy(self.seccomp_allow, self.seccomp_deny) {
            cmd.seccomp(policy);
        }
        cmd.args(self.args);
        cmd
    }
}

/// The policy of `--seccomp-allow` (the rest fails with EPERM) and
/// `--seccomp-deny` (the rest runs unless an allow list is given), if any.
fn seccomp_policy(
    allow: Vec<String>,
    deny: Vec<(Vec<String>, SeccompAction)>,
) -> Option<SeccompPolicy> {
    if allow.is_empty() && deny.is_empty() {
        return None;
    }
    let default = if allow.is_empty() {
        SeccompAction::Allow
    } else {
        SeccompAction::Errno(rustix::io::Errno::PERM.raw_os_error())
    };
    let mut policy = SeccompPolicy::new(default).allow(allow);
    for (names, action) in deny {
        policy = policy.deny(names, action);
    }
    Some(policy)
}

/// Records the capability sets of `--caps` or `--inh-caps` (`flag`); the two
/// are exclusive.
pub fn set_capabilities(inv: &mut Invocation, sets: CapSet, flag: Flag) -> Result<(), Failure> {
    if let Some((_, other)) = inv.capabilities
        && other != flag
    {
        return Err(Failure::Usage(format!(
            "{other} and {flag} contradict each other"
        )));
    }
    inv.capabilities = Some((sets, flag));
    Ok(())
}

/// Checks what the library would refuse in its own terms, to name the flags.
pub fn check(inv: &Invocation) -> Result<(), Failure> {
    let contradiction =
        |a: Flag, b: Flag| Failure::Usage(format!("{a} and {b} contradict each other"));
    if inv.keep_groups && inv.groups.is_some() {
        return Err(contradiction(
            Flag::Credentials(CredentialFlag::Groups),
            Flag::Credentials(CredentialFlag::KeepGroups),
        ));
    }
    if inv.ctty && inv.no_ctty {
        return Err(contradiction(
            Flag::Process(ProcessFlag::Ctty),
            Flag::Process(ProcessFlag::NoCtty),
        ));
    }
    let policy = !inv.seccomp_allow.is_empty() || !inv.seccomp_deny.is_empty();
    if inv.seccomp_flags.is_some() && !inv.seccomp && !policy {
        return Err(Failure::Usage(format!(
            "{} needs {}, {} or {}",
            Flag::Limits(LimitFlag::SeccompFlags),
            Flag::Limits(LimitFlag::Seccomp),
            Flag::Sandbox(SandboxFlag::SeccompDeny),
            Flag::Sandbox(SandboxFlag::SeccompAllow)
        )));
    }
    if inv.seccomp && policy {
        let policy_flag = if inv.seccomp_allow.is_empty() {
            SandboxFlag::SeccompDeny
        } else {
            SandboxFlag::SeccompAllow
        };
        return Err(contradiction(
            Flag::Limits(LimitFlag::Seccomp),
            Flag::Sandbox(policy_flag),
        ));
    }
    if let Some(flag) = inv.map_option
        && !inv.has_id_map()
    {
        return Err(Failure::Usage(format!(
            "{flag} needs an id map ({}, {} or {})",
            Flag::Namespaces(NamespaceFlag::MapRootUser),
            Flag::Namespaces(NamespaceFlag::MapUser),
            Flag::Namespaces(NamespaceFlag::MapGroup)
        )));
    }
    if let Some((sets, flag)) = inv.capabilities
        && let Some(cap) = inv
            .ambient_caps
            .iter()
            .find(|c| !sets.permitted.contains(**c) || !sets.inheritable.contains(**c))
    {
        return Err(Failure::Usage(format!(
            "{} {cap} must be in the permitted and inheritable sets of {flag}",
            Flag::Credentials(CredentialFlag::AmbientCaps)
        )));
    }
    Ok(())
}
