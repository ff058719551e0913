//! Signals by name.

use core::fmt;
use core::str::FromStr;

/// A Linux signal number (1 to 64), with the kernel's names as constants.
///
/// ```
/// use clonexec::Signal;
/// assert_eq!(Signal::TERM.as_raw(), 15);
/// assert_eq!("SIGTERM".parse::<Signal>(), Ok(Signal::TERM));
/// assert_eq!("term".parse::<Signal>(), Ok(Signal::TERM));
/// assert_eq!(Signal::new(0), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

/// Names of signals 1..=31, without the `SIG` prefix.
const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

impl Signal {
    /// `SIGHUP`.
    pub const HUP: Signal = Signal(1);
    /// `SIGINT`.
    pub const INT: Signal = Signal(2);
    /// `SIGQUIT`.
    pub const QUIT: Signal = Signal(3);
    /// `SIGILL`.
    pub const ILL: Signal = Signal(4);
    /// `SIGTRAP`.
    pub const TRAP: Signal = Signal(5);
    /// `SIGABRT`.
    pub const ABRT: Signal = Signal(6);
    /// `SIGBUS`.
    pub const BUS: Signal = Signal(7);
    /// `SIGFPE`.
    pub const FPE: Signal = Signal(8);
    /// `SIGKILL`.
    pub const KILL: Signal = Signal(9);
    /// `SIGUSR1`.
    pub const USR1: Signal = Signal(10);
    /// `SIGSEGV`.
    pub const SEGV: Signal = Signal(11);
    /// `SIGUSR2`.
    pub const USR2: Signal = Signal(12);
    /// `SIGPIPE`.
    pub const PIPE: Signal = Signal(13);
    /// `SIGALRM`.
    pub const ALRM: Signal = Signal(14);
    /// `SIGTERM`.
    pub const TERM: Signal = Signal(15);
    /// `SIGSTKFLT`.
    pub const STKFLT: Signal = Signal(16);
    /// `SIGCHLD`.
    pub const CHLD: Signal = Signal(17);
    /// `SIGCONT`.
    pub const CONT: Signal = Signal(18);
    /// `SIGSTOP`.
    pub const STOP: Signal = Signal(19);
    /// `SIGTSTP`.
    pub const TSTP: Signal = Signal(20);
    /// `SIGTTIN`.
    pub const TTIN: Signal = Signal(21);
    /// `SIGTTOU`.
    pub const TTOU: Signal = Signal(22);
    /// `SIGURG`.
    pub const URG: Signal = Signal(23);
    /// `SIGXCPU`.
    pub const XCPU: Signal = Signal(24);
    /// `SIGXFSZ`.
    pub const XFSZ: Signal = Signal(25);
    /// `SIGVTALRM`.
    pub const VTALRM: Signal = Signal(26);
    /// `SIGPROF`.
    pub const PROF: Signal = Signal(27);
    /// `SIGWINCH`.
    pub const WINCH: Signal = Signal(28);
    /// `SIGIO`.
    pub const IO: Signal = Signal(29);
    /// `SIGPWR`.
    pub const PWR: Signal = Signal(30);
    /// `SIGSYS`.
    pub const SYS: Signal = Signal(31);
    /// The first real-time signal as the kernel numbers it (`SIGRTMIN` for
    /// raw syscalls; libc reserves a few above it for itself).
    pub const RTMIN: Signal = Signal(32);
    /// The last real-time signal.
    pub const RTMAX: Signal = Signal(64);

    /// The signal numbered `raw`, if it is one (1 to 64).
    pub const fn new(raw: i32) -> Option<Signal> {
        if raw >= 1 && raw <= 64 {
            Some(Signal(raw))
        } else {
            None
        }
    }

    /// The signal number.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// The kernel name without `SIG` (`"TERM"`), for signals 1 to 31.
    pub fn name(self) -> Option<&'static str> {
        NAMES
            .get(usize::try_from(self.0).ok()?.checked_sub(1)?)
            .copied()
    }
}

impl fmt::Display for Signal {
    /// `SIGTERM`, or `SIGRTMIN+3` / `signal 40` style for the others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "SIG{name}"),
            None => write!(f, "SIGRTMIN+{}", self.0 - 32),
        }
    }
}

/// Error from parsing a [`Signal`] name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSignalError;

impl fmt::Display for ParseSignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown signal name or number")
    }
}

impl core::error::Error for ParseSignalError {}

impl FromStr for Signal {
    type Err = ParseSignalError;

    /// Accepts `"SIGTERM"`, `"TERM"`, `"term"`, `"15"`, `"RTMIN+2"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(raw) = s.parse::<i32>() {
            return Signal::new(raw).ok_or(ParseSignalError);
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(pos) = NAMES.iter().position(|n| *n == name) {
            return Ok(Signal(pos as i32 + 1));
        }
        let rt = |base: i32, rest: &str, sign: i32| -> Result<Signal, ParseSignalError> {
            let offset = if rest.is_empty() {
                0
            } else {
                rest.parse::<i32>().map_err(|_| ParseSignalError)?
            };
            Signal::new(base + sign * offset).ok_or(ParseSignalError)
        };
        if let Some(rest) = name.strip_prefix("RTMIN") {
            return rt(32, rest.strip_prefix('+').unwrap_or(rest), 1);
        }
        if let Some(rest) = name.strip_prefix("RTMAX") {
            return rt(64, rest.strip_prefix('-').unwrap_or(rest), -1);
        }
        Err(ParseSignalError)
    }
}

/// A set of signals (the kernel's 64-bit `sigset_t`), for the child's
/// signal mask.
///
/// ```
/// use clonexec::{SigSet, Signal};
/// let set: SigSet = [Signal::INT, Signal::TERM].into_iter().collect();
/// assert!(set.contains(Signal::TERM));
/// assert_eq!(set.bits(), (1 << 1) | (1 << 14));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SigSet(u64);

impl SigSet {
    /// No signal.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal (the kernel ignores SIGKILL and SIGSTOP in a mask).
    pub const FULL: SigSet = SigSet(u64::MAX);

    /// The set with these bits (bit `n - 1` is signal `n`, as in the kernel
    /// and in `/proc/PID/status`).
    pub const fn from_bits(bits: u64) -> Self {
        SigSet(bits)
    }

    /// The raw mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether `signal` is in the set.
    pub const fn contains(self, signal: Signal) -> bool {
        self.0 & (1u64 << (signal.0 - 1)) != 0
    }

    /// Adds `signal`.
    pub fn insert(&mut self, signal: Signal) {
        self.0 |= 1u64 << (signal.0 - 1);
    }

    /// Removes `signal`.
    pub fn remove(&mut self, signal: Signal) {
        self.0 &= !(1u64 << (signal.0 - 1));
    }
}

impl FromIterator<Signal> for SigSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> Self {
        let mut set = SigSet::EMPTY;
        for signal in iter {
            set.insert(signal);
        }
        set
    }
}
