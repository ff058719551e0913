//! Namespaces: which ones the child gets new, and mount propagation.

use linux_raw_sys::general as g;

bitflags::bitflags! {
    /// Kinds of Linux namespace. With [`Command::namespaces`] the child is
    /// born in new ones (clone flags); with [`Command::join_namespace`] it
    /// enters existing ones (`setns`).
    ///
    /// [`Command::namespaces`]: crate::Command::namespaces
    /// [`Command::join_namespace`]: crate::Command::join_namespace
    ///
    /// ```
    /// use clonexec::Namespaces;
    /// let ns = Namespaces::USER | Namespaces::NET;
    /// assert!(ns.contains(Namespaces::NET));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Namespaces: u64 {
        /// User and group ids, capabilities (`CLONE_NEWUSER`).
        const USER = g::CLONE_NEWUSER as u64;
        /// Mount table (`CLONE_NEWNS`).
        const MOUNT = g::CLONE_NEWNS as u64;
        /// Process ids: the program is pid 1 (`CLONE_NEWPID`).
        const PID = g::CLONE_NEWPID as u64;
        /// Network devices, addresses, ports (`CLONE_NEWNET`).
        const NET = g::CLONE_NEWNET as u64;
        /// System V IPC and POSIX message queues (`CLONE_NEWIPC`).
        const IPC = g::CLONE_NEWIPC as u64;
        /// Hostname and domain name (`CLONE_NEWUTS`).
        const UTS = g::CLONE_NEWUTS as u64;
        /// Cgroup root (`CLONE_NEWCGROUP`).
        const CGROUP = g::CLONE_NEWCGROUP as u64;
        /// Boot and monotonic clocks (`CLONE_NEWTIME`, clone3 only).
        const TIME = g::CLONE_NEWTIME as u64;
    }
}

impl Namespaces {
    /// The name used in `/proc/self/ns/` (`"net"`), for one kind.
    pub fn proc_name(self) -> &'static str {
        match self {
            Namespaces::USER => "user",
            Namespaces::MOUNT => "mnt",
            Namespaces::PID => "pid",
            Namespaces::NET => "net",
            Namespaces::IPC => "ipc",
            Namespaces::UTS => "uts",
            Namespaces::CGROUP => "cgroup",
            Namespaces::TIME => "time",
            _ => "?",
        }
    }
}

/// How mount events propagate between the child's new mount namespace and
/// the one it came from (`mount --make-r*` on `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Propagation {
    /// Nothing propagates either way (the default: without it, mounts made
    /// by the child leak back on hosts whose `/` is shared).
    #[default]
    Private,
    /// Mounts from outside propagate in; none propagate out.
    Slave,
    /// Mounts propagate both ways.
    Shared,
    /// Leave `/` as inherited.
    Unchanged,
}

impl Propagation {
    /// The `mount(2)` flags that set it recursively on `/`, if any.
    pub(crate) fn mount_flags(self) -> Option<u32> {
        let kind = match self {
            Propagation::Private => g::MS_PRIVATE,
            Propagation::Slave => g::MS_SLAVE,
            Propagation::Shared => g::MS_SHARED,
            Propagation::Unchanged => return None,
        };
        Some(kind | g::MS_REC)
    }
}
