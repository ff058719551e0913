//! [`Step`]: the steps of a spawn, in the order they run, and how a failed
//! one is put into words.

use alloc::format;
use alloc::string::String;

use crate::plan::Plan;
use crate::{Capability, Signal};

/// One step of spawning a process. Parent-side steps come first, then the
/// child's steps in the order the child routine runs them, then what can
/// fail after a successful spawn. A failure's [`Error::step`](crate::Error::step) names the one
/// that failed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Step {
    /// Mapping the child's stack (parent side).
    Stack = 1,
    /// Creating the report pipe or a stdio pipe (parent side).
    Pipe = 2,
    /// `clone3`/`clone` (parent side), and the `pidfd_open` that stands in
    /// for a `CLONE_PIDFD` that `clone` refused (qemu-user). The error's
    /// message names the call that failed.
    Clone = 3,
    /// Writing `/proc/PID/setgroups` (parent side).
    SetgroupsPolicy = 4,
    /// Writing `/proc/PID/uid_map` or running `newuidmap` (parent side).
    UidMap = 5,
    /// Writing `/proc/PID/gid_map` or running `newgidmap` (parent side).
    GidMap = 6,
    /// Reading the child's report (parent side).
    Report = 7,
    /// Resetting signal dispositions in the child.
    SignalReset = 100,
    /// Waiting for the parent to write the id maps.
    WaitParent = 101,
    /// The pid-1 init starting the program.
    Init = 102,
    /// `setsid()`.
    Setsid = 103,
    /// `setpgid()`.
    SetPgid = 104,
    /// Detaching from the controlling terminal (`TIOCNOTTY`).
    NoControllingTty = 105,
    /// Making the child's group the terminal's foreground group (`TIOCSPGRP`).
    Foreground = 106,
    /// `setns()` into a namespace to join.
    JoinNamespace = 107,
    /// Setting the propagation of `/` in the new mount namespace.
    MountPropagation = 108,
    /// `sethostname()`.
    Hostname = 109,
    /// `setdomainname()`.
    Domainname = 110,
    /// Bringing the loopback interface up.
    LoopbackUp = 111,
    /// Building an empty root (`Command::empty_root`): a tmpfs on `/tmp`,
    /// entered with `pivot_root`; and leaving the caller's root once the
    /// mounts are made.
    EmptyRoot = 139,
    /// One of the requested mounts (the detail is its index, and what it
    /// was doing), or a directory, link or file it creates.
    Mount = 112,
    /// `chroot()`.
    Chroot = 113,
    /// `pivot_root()` and detaching the old root.
    PivotRoot = 114,
    /// `/proc/self/oom_score_adj`.
    OomScoreAdj = 115,
    /// `prlimit64()`.
    Rlimit = 116,
    /// `personality()`.
    Personality = 117,
    /// `keyctl(KEYCTL_JOIN_SESSION_KEYRING)`.
    SessionKeyring = 118,
    /// Dropping capabilities from the bounding set.
    BoundingSet = 119,
    /// `prctl(PR_SET_SECUREBITS)`.
    SecureBits = 120,
    /// `prctl(PR_SET_KEEPCAPS)` before a uid change that keeps capabilities.
    KeepCaps = 121,
    /// `setgroups()`.
    SetGroups = 122,
    /// `setresgid()`.
    SetGid = 123,
    /// `setresuid()`.
    SetUid = 124,
    /// Entering a user and mount namespace of our own to lock the mounts.
    LockMounts = 125,
    /// Allowing no user namespace below the child's but the one of
    /// `lock_mounts` (detail 0), and checking that none can be created
    /// (detail 1).
    DisableUserNamespaces = 140,
    /// `capget()`/`capset()`.
    Capabilities = 126,
    /// Raising an ambient capability.
    AmbientCaps = 127,
    /// `chdir()` into the working directory.
    Chdir = 128,
    /// `prctl(PR_SET_NO_NEW_PRIVS)`.
    NoNewPrivs = 129,
    /// `landlock_restrict_self()` with the prepared ruleset; in
    /// `prepare()`, building the ruleset.
    Landlock = 141,
    /// `prctl(PR_SET_PDEATHSIG)`.
    ParentDeathSignal = 130,
    /// Placing an fd at its child number.
    FdMapping = 131,
    /// Closing the fds that were not mapped.
    CloseFds = 132,
    /// Taking a controlling terminal (`TIOCSCTTY`).
    ControllingTty = 133,
    /// Setting the final signal mask.
    SignalMask = 134,
    /// A `pre_exec` hook (the detail is its index); `EINVAL` when it
    /// returned an error without an OS error number, `ECANCELED` when it
    /// panicked.
    PreExec = 138,
    /// `ptrace(PTRACE_TRACEME)`.
    PtraceTraceme = 135,
    /// Installing the seccomp filter.
    Seccomp = 136,
    /// `execve()` of the program.
    Exec = 137,
    /// Waiting for the child (after a successful spawn).
    Wait = 200,
    /// Sending the child a signal (after a successful spawn).
    Signal = 201,
}

impl Step {
    /// All steps, for decoding reports.
    const ALL: &'static [Step] = &[
        Step::Stack,
        Step::Pipe,
        Step::Clone,
        Step::SetgroupsPolicy,
        Step::UidMap,
        Step::GidMap,
        Step::Report,
        Step::SignalReset,
        Step::WaitParent,
        Step::Init,
        Step::Setsid,
        Step::SetPgid,
        Step::NoControllingTty,
        Step::Foreground,
        Step::JoinNamespace,
        Step::MountPropagation,
        Step::Hostname,
        Step::Domainname,
        Step::LoopbackUp,
        Step::EmptyRoot,
        Step::Mount,
        Step::Chroot,
        Step::PivotRoot,
        Step::OomScoreAdj,
        Step::Rlimit,
        Step::Personality,
        Step::SessionKeyring,
        Step::BoundingSet,
        Step::SecureBits,
        Step::KeepCaps,
        Step::SetGroups,
        Step::SetGid,
        Step::SetUid,
        Step::LockMounts,
        Step::DisableUserNamespaces,
        Step::Capabilities,
        Step::AmbientCaps,
        Step::Chdir,
        Step::NoNewPrivs,
        Step::Landlock,
        Step::ParentDeathSignal,
        Step::FdMapping,
        Step::CloseFds,
        Step::ControllingTty,
        Step::SignalMask,
        Step::PreExec,
        Step::PtraceTraceme,
        Step::Seccomp,
        Step::Exec,
        Step::Wait,
        Step::Signal,
    ];

    /// Decodes the number a child wrote into its report.
    pub(crate) fn from_raw(raw: u32) -> Option<Step> {
        Self::ALL.iter().copied().find(|s| *s as u32 == raw)
    }
}

/// What the pid-1 init was doing when it failed: the detail of
/// [`Step::Init`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum InitStage {
    /// Making the release pipe.
    Pipe = 1,
    /// Starting the program's process.
    Clone = 2,
    /// Closing the caller's fds before its exec.
    CloseFds = 3,
    /// Exec'ing the init program.
    Exec = 4,
    /// The program's process waiting for the init's exec.
    Wait = 5,
}

impl InitStage {
    /// The stage a [`Step::Init`] detail names.
    pub(crate) fn from_detail(detail: u32) -> Option<Self> {
        [
            InitStage::Pipe,
            InitStage::Clone,
            InitStage::CloseFds,
            InitStage::Exec,
            InitStage::Wait,
        ]
        .into_iter()
        .find(|s| *s as u32 == detail)
    }
}

/// What a mount was doing when it failed: the top byte of a
/// [`Step::Mount`] detail, whose low 24 bits are the mount's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum MountPhase {
    /// The operation itself: the mount, the directory, link or file.
    Main = 0,
    /// Creating the missing directories above the target.
    Parents = 1,
    /// Creating the mount point.
    MountPoint = 2,
    /// Looking at the source of a bind (or the device nodes of a /dev).
    Source = 3,
    /// Making a bind read-only (or `nosuid`...) all the way down, or a
    /// file read-only.
    Attributes = 4,
    /// Writing a file's data.
    Data = 5,
}

impl MountPhase {
    /// Mount indexes must stay below this to fit in a detail.
    pub(crate) const INDEX_LIMIT: usize = 1 << 24;

    /// The detail reporting this phase of mount `index`.
    #[inline]
    pub(crate) fn detail(self, index: u32) -> u32 {
        index | (self as u32) << 24
    }

    /// The phase and mount index of a [`Step::Mount`] detail.
    pub(crate) fn split(detail: u32) -> (Option<MountPhase>, usize) {
        let phase = [
            MountPhase::Main,
            MountPhase::Parents,
            MountPhase::MountPoint,
            MountPhase::Source,
            MountPhase::Attributes,
            MountPhase::Data,
        ]
        .into_iter()
        .find(|p| *p as u32 == detail >> 24);
        (phase, (detail & 0x00ff_ffff) as usize)
    }
}

/// How far building an empty root got: the detail of [`Step::EmptyRoot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum EmptyRootStage {
    /// Mounting the tmpfs the new root is built in.
    Tmpfs = 1,
    /// Making its `newroot` and `oldroot` directories.
    Dirs = 2,
    /// `pivot_root` into it.
    Enter = 3,
    /// Detaching the caller's root and entering the new root.
    Leave = 4,
}

/// The failed call with its argument, e.g. `setresuid(65534)`.
pub(crate) fn describe(plan: &Plan, step: Step, detail: u32) -> String {
    let quoted = |bytes: &[u8]| format!("{:?}", String::from_utf8_lossy(bytes));
    match step {
        Step::SignalReset => match Signal::new(detail as i32) {
            Some(sig) => format!("rt_sigaction({sig})"),
            None => String::from("rt_sigaction()"),
        },
        Step::Setsid => String::from("setsid()"),
        Step::SetPgid => format!("setpgid(0, {detail})"),
        Step::WaitParent => String::from("waiting for the parent to write the id maps"),
        Step::Init => String::from(match InitStage::from_detail(detail) {
            Some(InitStage::Pipe) => "pipe2() for the pid-1 init's handshake",
            Some(InitStage::Clone) => "clone() of the program under the pid-1 init",
            Some(InitStage::CloseFds) => "closing the caller's fds in the pid-1 init",
            Some(InitStage::Exec) => "execveat() of the pid-1 init's program",
            Some(InitStage::Wait) => "waiting for the pid-1 init's exec",
            None => "starting the pid-1 init",
        }),
        Step::JoinNamespace => {
            let kind = crate::Namespaces::from_bits_truncate(u64::from(detail));
            format!(
                "setns() into the {} namespace",
                kind.iter().next().map_or("?", |k| k.proc_name())
            )
        }
        Step::MountPropagation => String::from("changing the propagation of /"),
        Step::Hostname => format!(
            "sethostname({})",
            quoted(plan.namespaces.hostname.as_deref().unwrap_or_default())
        ),
        Step::Domainname => format!(
            "setdomainname({})",
            quoted(plan.namespaces.domainname.as_deref().unwrap_or_default())
        ),
        Step::LoopbackUp => String::from("bringing up the loopback interface"),
        Step::Mount => describe_mount(plan, detail),
        Step::EmptyRoot => String::from(match detail {
            d if d == EmptyRootStage::Tmpfs as u32 => {
                "mounting the tmpfs of the empty root on /tmp"
            }
            d if d == EmptyRootStage::Dirs as u32 => "making the empty root's directories",
            d if d == EmptyRootStage::Enter as u32 => "pivot_root() into the empty root's tmpfs",
            _ => "leaving the caller's root for the new one",
        }),
        Step::Chroot => format!(
            "chroot({})",
            quoted(
                plan.filesystem
                    .chroot
                    .as_deref()
                    .map_or(&[][..], |c| c.to_bytes())
            )
        ),
        Step::LockMounts => String::from("unshare(CLONE_NEWUSER | CLONE_NEWNS) to lock the mounts"),
        Step::DisableUserNamespaces if detail == 0 => {
            String::from("writing 1 to /proc/sys/user/max_user_namespaces")
        }
        Step::DisableUserNamespaces => {
            String::from("disabling user namespaces (unshare(CLONE_NEWUSER) still succeeded)")
        }
        Step::PivotRoot => {
            format!(
                "pivot_root({})",
                quoted(
                    plan.filesystem
                        .pivot_root
                        .as_deref()
                        .map_or(&[][..], |c| c.to_bytes())
                )
            )
        }
        Step::Foreground => format!("ioctl(TIOCSPGRP, {detail})"),
        Step::OomScoreAdj => match &plan.process.oom_score_adj {
            Some(text) => format!(
                "writing {} to /proc/self/oom_score_adj",
                String::from_utf8_lossy(text).trim_end()
            ),
            None => String::from("writing /proc/self/oom_score_adj"),
        },
        Step::Rlimit => {
            let limit = plan.process.rlimits.iter().find(|(r, _, _)| *r == detail);
            match (crate::Resource::new(detail), limit) {
                (Some(resource), Some((_, soft, hard))) => {
                    format!("prlimit64({resource}, {soft}, {hard})")
                }
                _ => format!("prlimit64({detail})"),
            }
        }
        Step::Personality => format!("personality({detail:#x})"),
        Step::SessionKeyring => String::from("keyctl(KEYCTL_JOIN_SESSION_KEYRING)"),
        Step::BoundingSet => match u8::try_from(detail).ok().and_then(Capability::new) {
            Some(cap) => format!("dropping {cap} from the bounding set"),
            None => String::from("dropping a capability from the bounding set"),
        },
        Step::SecureBits => format!("prctl(PR_SET_SECUREBITS, {detail:#x})"),
        Step::NoNewPrivs => String::from("prctl(PR_SET_NO_NEW_PRIVS)"),
        Step::Landlock => String::from("landlock_restrict_self()"),
        Step::NoControllingTty => String::from("ioctl(TIOCNOTTY)"),
        Step::ControllingTty => format!("ioctl({detail}, TIOCSCTTY)"),
        Step::Seccomp => format!("seccomp(SECCOMP_SET_MODE_FILTER) with {detail} instructions"),
        Step::PtraceTraceme => String::from("ptrace(PTRACE_TRACEME)"),
        Step::KeepCaps => String::from("prctl(PR_SET_KEEPCAPS)"),
        Step::SetGroups => format!("setgroups() with {detail} groups"),
        Step::SetGid => format!("setresgid({detail})"),
        Step::SetUid => format!("setresuid({detail})"),
        Step::Capabilities => String::from("capset()"),
        Step::AmbientCaps => match u8::try_from(detail).ok().and_then(Capability::new) {
            Some(cap) => format!("raising ambient capability {cap}"),
            None => String::from("raising an ambient capability"),
        },
        Step::Chdir => format!(
            "chdir({})",
            quoted(
                plan.program
                    .cwd
                    .as_deref()
                    .map_or(&[][..], |c| c.to_bytes())
            )
        ),
        Step::ParentDeathSignal => match Signal::new(detail as i32) {
            Some(sig) => format!("prctl(PR_SET_PDEATHSIG, {sig})"),
            None => String::from("prctl(PR_SET_PDEATHSIG)"),
        },
        Step::FdMapping => format!("placing child fd {detail}"),
        Step::CloseFds => String::from("closing the other fds"),
        Step::SignalMask => String::from("rt_sigprocmask()"),
        Step::PreExec => format!("pre_exec hook {}", detail as u64 + 1),
        Step::Exec if plan.program.fd.is_some() => {
            format!(
                "execveat({}, AT_EMPTY_PATH)",
                quoted(plan.program.name.as_bytes())
            )
        }
        Step::Exec if plan.program.searched_path => String::from("execve"),
        Step::Exec => match plan.program.exec_paths.first() {
            Some(path) => format!("execve({})", quoted(path.to_bytes())),
            None => String::from("execve"),
        },
        other => format!("{other:?}"),
    }
}

/// What mount `detail` (its index and phase) was doing, naming its paths
/// as the user gave them.
fn describe_mount(plan: &Plan, detail: u32) -> String {
    use crate::plan::MountOp;
    let quoted = |bytes: &[u8]| format!("{:?}", String::from_utf8_lossy(bytes));
    let (phase, index) = MountPhase::split(detail);
    let Some(mount) = plan.filesystem.mounts.get(index) else {
        return String::from("mount()");
    };
    let path = quoted(&mount.shown);
    match (&mount.op, phase) {
        (_, Some(MountPhase::Parents)) => format!("creating the directories above {path}"),
        (_, Some(MountPhase::MountPoint)) => format!("creating the mount point {path}"),
        (MountOp::Bind(bind), Some(MountPhase::Source)) => {
            format!("finding the bind source {}", quoted(&bind.shown_source))
        }
        (MountOp::Bind(bind), Some(MountPhase::Attributes)) => {
            format!(
                "making the bind mount {path} {} all the way down",
                attrs_words(bind.attrs)
            )
        }
        (MountOp::Bind(bind), _) => {
            format!("binding {} on {path}", quoted(&bind.shown_source))
        }
        (MountOp::Filesystem { fstype, .. }, _) => {
            format!("mounting {} on {path}", fstype.to_string_lossy())
        }
        (MountOp::Dev(_), Some(MountPhase::Source)) => {
            format!("copying the caller's device nodes (open_tree) for the /dev at {path}")
        }
        (MountOp::Dev(_), _) => format!("making a minimal /dev at {path}"),
        (MountOp::Dir { mode }, _) => format!("creating the directory {path} (mode {mode:04o})"),
        (MountOp::Symlink { points_to }, _) => format!(
            "creating the symlink {path} -> {}",
            quoted(points_to.to_bytes())
        ),
        (MountOp::File { .. }, Some(MountPhase::Data)) => format!("writing the file {path}"),
        (MountOp::File { .. }, Some(MountPhase::Attributes)) => {
            format!("binding the file {path} read-only onto itself")
        }
        (MountOp::File { mode, .. }, _) => format!("creating the file {path} (mode {mode:04o})"),
        (MountOp::Chmod { mode }, _) => format!("chmod {mode:04o} {path}"),
        (MountOp::RemountReadOnly, _) => format!("remounting {path} read-only"),
    }
}

/// `MOUNT_ATTR_*` bits in words: "read-only, nodev".
fn attrs_words(attrs: u64) -> String {
    use linux_raw_sys::general as g;
    let words: alloc::vec::Vec<&str> = [
        (g::MOUNT_ATTR_RDONLY, "read-only"),
        (g::MOUNT_ATTR_NOSUID, "nosuid"),
        (g::MOUNT_ATTR_NODEV, "nodev"),
        (g::MOUNT_ATTR_NOEXEC, "noexec"),
    ]
    .into_iter()
    .filter(|&(bit, _)| attrs & u64::from(bit) != 0)
    .map(|(_, word)| word)
    .collect();
    words.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_decodes() {
        for step in Step::ALL {
            assert_eq!(Step::from_raw(*step as u32), Some(*step));
        }
        assert_eq!(Step::from_raw(0), None);
    }

    #[test]
    fn init_stages_decode() {
        for detail in 1..=5 {
            assert_eq!(
                InitStage::from_detail(detail).map(|s| s as u32),
                Some(detail)
            );
        }
        assert_eq!(InitStage::from_detail(0), None);
    }
}
