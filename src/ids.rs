//! [`IdMap`]: user and group id mappings of a user namespace.

/// One line of `/proc/PID/uid_map` or `gid_map`: ids `inside..inside+count`
/// in the new user namespace are `outside..outside+count` outside it.
///
/// ```
/// use clonexec::IdMap;
/// // Map the caller's uid to root inside.
/// let map = IdMap::new(0, 1000, 1);
/// assert_eq!((map.inside, map.outside, map.count), (0, 1000, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdMap {
    /// First id inside the namespace.
    pub inside: u32,
    /// First id outside (in the caller's namespace).
    pub outside: u32,
    /// How many consecutive ids.
    pub count: u32,
}

impl IdMap {
    /// A mapping of `count` ids from `outside` to `inside`.
    pub const fn new(inside: u32, outside: u32, count: u32) -> Self {
        IdMap {
            inside,
            outside,
            count,
        }
    }
}

/// The kernel's limit on lines in one map (since 4.15).
pub(crate) const MAX_MAP_LINES: usize = 340;
