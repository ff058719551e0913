//! [`Resource`]: the kernel's resource limits by name.

use core::fmt;
use core::str::FromStr;

/// A resource limit (`RLIMIT_*`), set in the child with `prlimit64`.
///
/// ```
/// use clonexec::Resource;
/// assert_eq!("nofile".parse::<Resource>(), Ok(Resource::NOFILE));
/// assert_eq!("RLIMIT_CORE".parse::<Resource>(), Ok(Resource::CORE));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource(u32);

const NAMES: [&str; 16] = [
    "CPU",
    "FSIZE",
    "DATA",
    "STACK",
    "CORE",
    "RSS",
    "NPROC",
    "NOFILE",
    "MEMLOCK",
    "AS",
    "LOCKS",
    "SIGPENDING",
    "MSGQUEUE",
    "NICE",
    "RTPRIO",
    "RTTIME",
];

impl Resource {
    /// `RLIMIT_CPU`: CPU time in seconds.
    pub const CPU: Resource = Resource(0);
    /// `RLIMIT_FSIZE`: largest file size in bytes.
    pub const FSIZE: Resource = Resource(1);
    /// `RLIMIT_DATA`: data segment size in bytes.
    pub const DATA: Resource = Resource(2);
    /// `RLIMIT_STACK`: stack size in bytes.
    pub const STACK: Resource = Resource(3);
    /// `RLIMIT_CORE`: core file size in bytes.
    pub const CORE: Resource = Resource(4);
    /// `RLIMIT_RSS`: resident set size (not enforced by Linux).
    pub const RSS: Resource = Resource(5);
    /// `RLIMIT_NPROC`: processes of the real user.
    pub const NPROC: Resource = Resource(6);
    /// `RLIMIT_NOFILE`: one more than the highest fd number.
    pub const NOFILE: Resource = Resource(7);
    /// `RLIMIT_MEMLOCK`: locked memory in bytes.
    pub const MEMLOCK: Resource = Resource(8);
    /// `RLIMIT_AS`: address space in bytes.
    pub const AS: Resource = Resource(9);
    /// `RLIMIT_LOCKS`: file locks.
    pub const LOCKS: Resource = Resource(10);
    /// `RLIMIT_SIGPENDING`: queued signals.
    pub const SIGPENDING: Resource = Resource(11);
    /// `RLIMIT_MSGQUEUE`: bytes in POSIX message queues.
    pub const MSGQUEUE: Resource = Resource(12);
    /// `RLIMIT_NICE`: ceiling of the nice value (as 20 - nice).
    pub const NICE: Resource = Resource(13);
    /// `RLIMIT_RTPRIO`: ceiling of the real-time priority.
    pub const RTPRIO: Resource = Resource(14);
    /// `RLIMIT_RTTIME`: real-time CPU time in microseconds.
    pub const RTTIME: Resource = Resource(15);

    /// The value meaning "no limit" (`RLIM64_INFINITY`).
    pub const INFINITY: u64 = u64::MAX;

    /// The resource numbered `raw`, if Linux has it.
    pub const fn new(raw: u32) -> Option<Resource> {
        if (raw as usize) < NAMES.len() {
            Some(Resource(raw))
        } else {
            None
        }
    }

    /// The `RLIMIT_*` number.
    pub const fn as_raw(self) -> u32 {
        self.0
    }

    /// The kernel name without `RLIMIT_` (`"NOFILE"`).
    pub fn name(self) -> &'static str {
        NAMES.get(self.0 as usize).copied().unwrap_or("?")
    }
}

impl fmt::Display for Resource {
    /// `RLIMIT_NOFILE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RLIMIT_{}", self.name())
    }
}

/// Error from parsing a [`Resource`] name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseResourceError;

impl fmt::Display for ParseResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown resource limit name")
    }
}

impl core::error::Error for ParseResourceError {}

impl FromStr for Resource {
    type Err = ParseResourceError;

    /// Accepts `"nofile"`, `"NOFILE"`, `"RLIMIT_NOFILE"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("RLIMIT_").unwrap_or(&upper);
        NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Resource(i as u32))
            .ok_or(ParseResourceError)
    }
}
