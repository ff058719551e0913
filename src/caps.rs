//! Linux capabilities by name.

use core::fmt;
use core::str::FromStr;

/// A Linux capability number (0 to 63), with the kernel's names (without
/// `CAP_`) as constants.
///
/// Numbers past the running kernel's last capability
/// (`/proc/sys/kernel/cap_last_cap`) are refused by `prepare()`.
///
/// ```
/// use clonexec::Capability;
/// assert_eq!(Capability::NET_BIND_SERVICE.as_raw(), 10);
/// assert_eq!("cap_sys_admin".parse::<Capability>(), Ok(Capability::SYS_ADMIN));
/// assert_eq!("SYS_TIME".parse::<Capability>(), Ok(Capability::SYS_TIME));
/// assert_eq!(Capability::SYS_TIME.to_string(), "cap_sys_time");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Capability(u8);

/// Names of the capabilities this crate knows, by number.
const NAMES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

impl Capability {
    /// `CAP_CHOWN`.
    pub const CHOWN: Capability = Capability(0);
    /// `CAP_DAC_OVERRIDE`.
    pub const DAC_OVERRIDE: Capability = Capability(1);
    /// `CAP_DAC_READ_SEARCH`.
    pub const DAC_READ_SEARCH: Capability = Capability(2);
    /// `CAP_FOWNER`.
    pub const FOWNER: Capability = Capability(3);
    /// `CAP_FSETID`.
    pub const FSETID: Capability = Capability(4);
    /// `CAP_KILL`.
    pub const KILL: Capability = Capability(5);
    /// `CAP_SETGID`.
    pub const SETGID: Capability = Capability(6);
    /// `CAP_SETUID`.
    pub const SETUID: Capability = Capability(7);
    /// `CAP_SETPCAP`.
    pub const SETPCAP: Capability = Capability(8);
    /// `CAP_LINUX_IMMUTABLE`.
    pub const LINUX_IMMUTABLE: Capability = Capability(9);
    /// `CAP_NET_BIND_SERVICE`.
    pub const NET_BIND_SERVICE: Capability = Capability(10);
    /// `CAP_NET_BROADCAST`.
    pub const NET_BROADCAST: Capability = Capability(11);
    /// `CAP_NET_ADMIN`.
    pub const NET_ADMIN: Capability = Capability(12);
    /// `CAP_NET_RAW`.
    pub const NET_RAW: Capability = Capability(13);
    /// `CAP_IPC_LOCK`.
    pub const IPC_LOCK: Capability = Capability(14);
    /// `CAP_IPC_OWNER`.
    pub const IPC_OWNER: Capability = Capability(15);
    /// `CAP_SYS_MODULE`.
    pub const SYS_MODULE: Capability = Capability(16);
    /// `CAP_SYS_RAWIO`.
    pub const SYS_RAWIO: Capability = Capability(17);
    /// `CAP_SYS_CHROOT`.
    pub const SYS_CHROOT: Capability = Capability(18);
    /// `CAP_SYS_PTRACE`.
    pub const SYS_PTRACE: Capability = Capability(19);
    /// `CAP_SYS_PACCT`.
    pub const SYS_PACCT: Capability = Capability(20);
    /// `CAP_SYS_ADMIN`.
    pub const SYS_ADMIN: Capability = Capability(21);
    /// `CAP_SYS_BOOT`.
    pub const SYS_BOOT: Capability = Capability(22);
    /// `CAP_SYS_NICE`.
    pub const SYS_NICE: Capability = Capability(23);
    /// `CAP_SYS_RESOURCE`.
    pub const SYS_RESOURCE: Capability = Capability(24);
    /// `CAP_SYS_TIME`.
    pub const SYS_TIME: Capability = Capability(25);
    /// `CAP_SYS_TTY_CONFIG`.
    pub const SYS_TTY_CONFIG: Capability = Capability(26);
    /// `CAP_MKNOD`.
    pub const MKNOD: Capability = Capability(27);
    /// `CAP_LEASE`.
    pub const LEASE: Capability = Capability(28);
    /// `CAP_AUDIT_WRITE`.
    pub const AUDIT_WRITE: Capability = Capability(29);
    /// `CAP_AUDIT_CONTROL`.
    pub const AUDIT_CONTROL: Capability = Capability(30);
    /// `CAP_SETFCAP`.
    pub const SETFCAP: Capability = Capability(31);
    /// `CAP_MAC_OVERRIDE`.
    pub const MAC_OVERRIDE: Capability = Capability(32);
    /// `CAP_MAC_ADMIN`.
    pub const MAC_ADMIN: Capability = Capability(33);
    /// `CAP_SYSLOG`.
    pub const SYSLOG: Capability = Capability(34);
    /// `CAP_WAKE_ALARM`.
    pub const WAKE_ALARM: Capability = Capability(35);
    /// `CAP_BLOCK_SUSPEND`.
    pub const BLOCK_SUSPEND: Capability = Capability(36);
    /// `CAP_AUDIT_READ`.
    pub const AUDIT_READ: Capability = Capability(37);
    /// `CAP_PERFMON`.
    pub const PERFMON: Capability = Capability(38);
    /// `CAP_BPF`.
    pub const BPF: Capability = Capability(39);
    /// `CAP_CHECKPOINT_RESTORE`.
    pub const CHECKPOINT_RESTORE: Capability = Capability(40);

    /// The capability numbered `raw`, if it fits the kernel's 64-bit sets.
    pub const fn new(raw: u8) -> Option<Capability> {
        if raw < 64 {
            Some(Capability(raw))
        } else {
            None
        }
    }

    /// The capability number.
    pub const fn as_raw(self) -> u8 {
        self.0
    }

    /// The kernel name without `CAP_` (`"SYS_ADMIN"`), when known.
    pub fn name(self) -> Option<&'static str> {
        NAMES.get(usize::from(self.0)).copied()
    }

    /// The bit of this capability in a 64-bit set.
    pub(crate) const fn bit(self) -> u64 {
        1u64 << self.0
    }
}

impl fmt::Display for Capability {
    /// `cap_sys_admin`, as `setpriv` and `capsh` print it; `cap_45` for a
    /// number without a known name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => {
                f.write_str("cap_")?;
                for c in name.chars() {
                    fmt::Write::write_char(f, c.to_ascii_lowercase())?;
                }
                Ok(())
            }
            None => write!(f, "cap_{}", self.0),
        }
    }
}

/// Error from parsing a [`Capability`] name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCapabilityError;

impl fmt::Display for ParseCapabilityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown capability name or number")
    }
}

impl core::error::Error for ParseCapabilityError {}

impl FromStr for Capability {
    type Err = ParseCapabilityError;

    /// Accepts `"cap_sys_admin"`, `"CAP_SYS_ADMIN"`, `"SYS_ADMIN"`,
    /// `"sys_admin"` and numbers (`"21"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(raw) = s.parse::<u8>() {
            return Capability::new(raw).ok_or(ParseCapabilityError);
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
        NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Capability(i as u8))
            .ok_or(ParseCapabilityError)
    }
}

/// A set of capabilities, as the kernel's 64-bit masks hold them.
///
/// ```
/// use clonexec::{CapMask, Capability};
/// let mask: CapMask = [Capability::CHOWN, Capability::KILL].into_iter().collect();
/// assert!(mask.contains(Capability::KILL));
/// assert_eq!(mask.bits(), (1 << 0) | (1 << 5));
/// assert_eq!(mask.iter().count(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapMask(u64);

impl CapMask {
    /// No capability.
    pub const EMPTY: CapMask = CapMask(0);

    /// The set with exactly these bits (bit `n` is capability `n`).
    pub const fn from_bits(bits: u64) -> Self {
        CapMask(bits)
    }

    /// The raw 64-bit mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether `cap` is in the set.
    pub const fn contains(self, cap: Capability) -> bool {
        self.0 & cap.bit() != 0
    }

    /// Adds `cap`.
    pub fn insert(&mut self, cap: Capability) {
        self.0 |= cap.bit();
    }

    /// Removes `cap`.
    pub fn remove(&mut self, cap: Capability) {
        self.0 &= !cap.bit();
    }

    /// The capabilities in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        (0..64u8)
            .filter_map(Capability::new)
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Capability> for CapMask {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        let mut mask = CapMask::EMPTY;
        for cap in iter {
            mask.insert(cap);
        }
        mask
    }
}

/// The three capability sets `capset` sets for the child.
///
/// ```
/// use clonexec::{CapMask, CapSet, Capability};
/// let bind: CapMask = [Capability::NET_BIND_SERVICE].into_iter().collect();
/// let sets = CapSet { permitted: bind, inheritable: bind, effective: bind };
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapSet {
    /// What the process may use (and never regain once dropped).
    pub permitted: CapMask,
    /// What may pass through exec (with file or ambient capabilities).
    pub inheritable: CapMask,
    /// What is in force now; must be a subset of `permitted`.
    pub effective: CapMask,
}

bitflags::bitflags! {
    /// `SECBIT_*` flags (`prctl(PR_SET_SECUREBITS)`), which change how the
    /// kernel treats uid 0 and uid changes. Each `*_LOCKED` bit makes the
    /// matching bit permanent for the process and its descendants.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct SecureBits: u32 {
        /// uid 0 gets no capabilities from exec.
        const NOROOT = 1 << 0;
        /// Locks `NOROOT`.
        const NOROOT_LOCKED = 1 << 1;
        /// uid changes to and from 0 do not touch capability sets.
        const NO_SETUID_FIXUP = 1 << 2;
        /// Locks `NO_SETUID_FIXUP`.
        const NO_SETUID_FIXUP_LOCKED = 1 << 3;
        /// Permitted capabilities survive a change away from uid 0.
        const KEEP_CAPS = 1 << 4;
        /// Locks `KEEP_CAPS`.
        const KEEP_CAPS_LOCKED = 1 << 5;
        /// Ambient capabilities cannot be raised.
        const NO_CAP_AMBIENT_RAISE = 1 << 6;
        /// Locks `NO_CAP_AMBIENT_RAISE`.
        const NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7;
    }
}
