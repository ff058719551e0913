//! [`Landlock`]: the filesystem and network rules a child is confined to.

use alloc::vec::Vec;

use crate::Arg;

/// A Landlock ruleset for [`Command::landlock`](crate::Command::landlock):
/// which files the program may reach and which TCP ports it may bind or
/// connect to, enforced by the kernel for the program and everything it
/// starts, whatever its privileges.
///
/// Once any path is given, the filesystem is restricted: the program may
/// only read and execute beneath the [`read_only`](Landlock::read_only)
/// paths and do anything beneath the [`read_write`](Landlock::read_write)
/// ones; everything else is refused with `EACCES` (files it got open before,
/// such as its stdio, stay usable). With
/// [`restrict_network(true)`](Landlock::restrict_network) it may only bind
/// to the [`bind_tcp`](Landlock::bind_tcp) ports and connect to the
/// [`connect_tcp`](Landlock::connect_tcp) ones.
///
/// `prepare()` builds the ruleset in the parent: it opens each path
/// (`O_PATH`; a path that does not exist is refused, naming it) and adds
/// the rules; the child only calls `landlock_restrict_self`, after
/// `no_new_privs` (which using Landlock sets, as the kernel requires).
///
/// The kernel's Landlock ABI version decides what it can enforce: the
/// filesystem needs ABI 1 (Linux 5.13), denying truncation ABI 3 (6.2),
/// TCP rules ABI 4 (6.7), denying `ioctl` on devices ABI 5 (6.10). By
/// default `prepare()` refuses a ruleset the running kernel cannot enforce
/// whole, naming what is missing; with
/// [`best_effort(true)`](Landlock::best_effort) it enforces what it can and
/// [`Prepared::landlock_dropped`](crate::Prepared::landlock_dropped) says
/// what it left out. (Before ABI 2, moving or linking a file to another
/// directory is always refused.)
///
/// ```
/// use clonexec::{Command, Landlock};
/// // Everything readable, nothing writable.
/// let status = Command::new("sh")
///     .args(["-c", "echo hi > /tmp/clonexec-landlock-doc"])
///     .landlock(Landlock::new().read_only(["/"]))
///     .status()?;
/// assert!(!status.success());
/// # Ok::<(), clonexec::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Landlock {
    pub(crate) read_only: Vec<Vec<u8>>,
    pub(crate) read_write: Vec<Vec<u8>>,
    pub(crate) connect_tcp: Vec<u16>,
    pub(crate) bind_tcp: Vec<u16>,
    pub(crate) restrict_network: bool,
    pub(crate) best_effort: bool,
}

impl Landlock {
    /// A ruleset that restricts nothing yet.
    pub fn new() -> Landlock {
        Landlock::default()
    }

    /// Lets the program read files, list directories and execute files
    /// beneath each of these paths (a directory, or a single file).
    pub fn read_only<I>(mut self, paths: I) -> Landlock
    where
        I: IntoIterator,
        I::Item: Arg,
    {
        self.read_only
            .extend(paths.into_iter().map(Arg::into_arg_bytes));
        self
    }

    /// Lets the program do anything beneath each of these paths: read,
    /// write, create, remove, rename, truncate, execute.
    pub fn read_write<I>(mut self, paths: I) -> Landlock
    where
        I: IntoIterator,
        I::Item: Arg,
    {
        self.read_write
            .extend(paths.into_iter().map(Arg::into_arg_bytes));
        self
    }

    /// TCP ports the program may connect to, with
    /// [`restrict_network(true)`](Landlock::restrict_network).
    pub fn connect_tcp(mut self, ports: impl IntoIterator<Item = u16>) -> Landlock {
        self.connect_tcp.extend(ports);
        self
    }

    /// TCP ports the program may bind to, with
    /// [`restrict_network(true)`](Landlock::restrict_network).
    pub fn bind_tcp(mut self, ports: impl IntoIterator<Item = u16>) -> Landlock {
        self.bind_tcp.extend(ports);
        self
    }

    /// Restricts TCP: `bind` and `connect` are refused with `EACCES` except
    /// to the listed ports (needs Landlock ABI 4, Linux 6.7). Other
    /// protocols (UDP, Unix sockets) are not affected. Listing ports
    /// without this is refused by `prepare()`: they would restrict nothing.
    pub fn restrict_network(mut self, restrict: bool) -> Landlock {
        self.restrict_network = restrict;
        self
    }

    /// Whether to enforce what the running kernel can when it cannot
    /// enforce all of the ruleset (default `false`: `prepare()` refuses
    /// it). See [`Prepared::landlock_dropped`](crate::Prepared::landlock_dropped).
    pub fn best_effort(mut self, best_effort: bool) -> Landlock {
        self.best_effort = best_effort;
        self
    }
}
