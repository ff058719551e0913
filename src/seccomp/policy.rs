//! Named-syscall policies: [`SeccompPolicy`], its [`SeccompAction`]s and
//! the [`SeccompArch`]itectures it compiles for.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use super::{SockFilter, compile, tables};
use crate::Error;

/// What a seccomp filter does with a system call (`SECCOMP_RET_*`).
///
/// ```
/// use clonexec::SeccompAction;
/// assert_eq!("EACCES".parse::<SeccompAction>(), Ok(SeccompAction::Errno(13)));
/// assert_eq!("kill-process".parse::<SeccompAction>(), Ok(SeccompAction::KillProcess));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeccompAction {
    /// Run the call (`SECCOMP_RET_ALLOW`).
    Allow,
    /// Fail the call with this errno, 0 to 4095, without running it
    /// (`SECCOMP_RET_ERRNO`; 0 makes it "succeed" and return 0).
    Errno(i32),
    /// Kill the whole process with `SIGSYS` (`SECCOMP_RET_KILL_PROCESS`,
    /// Linux 4.14+); it dumps core where core dumps are enabled.
    KillProcess,
    /// Kill only the calling thread (`SECCOMP_RET_KILL_THREAD`).
    KillThread,
    /// Send the thread a `SIGSYS` it may catch (`SECCOMP_RET_TRAP`).
    Trap,
    /// Run the call and log it (`SECCOMP_RET_LOG`, Linux 4.14+).
    Log,
}

impl SeccompAction {
    /// The filter's return value; `Errno` is checked to be in range first
    /// ([`SeccompAction::check`]).
    pub(crate) fn ret(self) -> u32 {
        match self {
            SeccompAction::Allow => 0x7fff_0000,
            SeccompAction::Errno(errno) => 0x0005_0000 | (errno as u32 & 0xffff),
            SeccompAction::KillProcess => 0x8000_0000,
            SeccompAction::KillThread => 0x0000_0000,
            SeccompAction::Trap => 0x0003_0000,
            SeccompAction::Log => 0x7ffc_0000,
        }
    }

    /// Refuses an errno the kernel would not return as given: the kernel
    /// caps the 16 bits of `SECCOMP_RET_DATA` at 4095 (`MAX_ERRNO`).
    pub(crate) fn check(self) -> Result<(), String> {
        match self {
            SeccompAction::Errno(errno) if !(0..=4095).contains(&errno) => Err(alloc::format!(
                "SeccompAction::Errno({errno}) is outside 0..=4095"
            )),
            _ => Ok(()),
        }
    }
}

/// Error from parsing a [`SeccompAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSeccompActionError;

impl fmt::Display for ParseSeccompActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "unknown seccomp action (allow, log, trap, kill-process, kill-thread, \
             an errno name such as EPERM, or an errno number 0 to 4095)",
        )
    }
}

impl core::error::Error for ParseSeccompActionError {}

impl FromStr for SeccompAction {
    type Err = ParseSeccompActionError;

    /// Accepts `allow`, `log`, `trap`, `kill-process` (or `kill`),
    /// `kill-thread` (`_` for `-` too, any case), an errno name (`EPERM`,
    /// `eacces`) or number (`13`), which mean [`SeccompAction::Errno`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(errno) = s.parse::<i32>() {
            let action = SeccompAction::Errno(errno);
            return action
                .check()
                .map(|()| action)
                .map_err(|_| ParseSeccompActionError);
        }
        let lower = s.to_ascii_lowercase().replace('_', "-");
        let action = match lower.as_str() {
            "allow" => SeccompAction::Allow,
            "log" => SeccompAction::Log,
            "trap" => SeccompAction::Trap,
            "kill-process" | "kill" => SeccompAction::KillProcess,
            "kill-thread" => SeccompAction::KillThread,
            _ => crate::errno_names::ERRNO_TABLE
                .iter()
                .find(|(_, name, _)| name.eq_ignore_ascii_case(s))
                .map(|&(errno, _, _)| SeccompAction::Errno(errno))
                .ok_or(ParseSeccompActionError)?,
        };
        Ok(action)
    }
}

/// An architecture a [`SeccompPolicy`] compiles for: its system call
/// numbers and the `AUDIT_ARCH_*` value the kernel reports for its calls.
///
/// ```
/// use clonexec::SeccompArch;
/// assert_eq!(SeccompArch::X86_64.syscall_number("mkdirat"), Some(258));
/// assert_eq!(SeccompArch::Aarch64.syscall_number("mkdirat"), Some(34));
/// assert_eq!(SeccompArch::Aarch64.syscall_number("mkdir"), None); // only mkdirat there
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeccompArch {
    /// x86_64 (`AUDIT_ARCH_X86_64`); a policy for it also kills x32 calls.
    X86_64,
    /// 32-bit x86 (`AUDIT_ARCH_I386`).
    X86,
    /// 64-bit Arm (`AUDIT_ARCH_AARCH64`).
    Aarch64,
    /// 64-bit RISC-V (`AUDIT_ARCH_RISCV64`).
    Riscv64,
}

impl SeccompArch {
    /// Every architecture policies compile for.
    pub const ALL: [SeccompArch; 4] = [
        SeccompArch::X86_64,
        SeccompArch::X86,
        SeccompArch::Aarch64,
        SeccompArch::Riscv64,
    ];

    /// The architecture this crate is built for (what
    /// [`Command::seccomp`](crate::Command::seccomp) compiles for).
    pub const fn native() -> SeccompArch {
        // src/sys refuses to build for any other architecture.
        if cfg!(target_arch = "x86_64") {
            SeccompArch::X86_64
        } else if cfg!(target_arch = "x86") {
            SeccompArch::X86
        } else if cfg!(target_arch = "aarch64") {
            SeccompArch::Aarch64
        } else {
            SeccompArch::Riscv64
        }
    }

    /// Every system call of the architecture as `(kernel name, number)`,
    /// sorted by name.
    pub fn syscalls(self) -> &'static [(&'static str, u32)] {
        match self {
            SeccompArch::X86_64 => tables::X86_64,
            SeccompArch::X86 => tables::X86,
            SeccompArch::Aarch64 => tables::AARCH64,
            SeccompArch::Riscv64 => tables::RISCV64,
        }
    }

    /// The number of the system call the kernel calls `name` (`"mkdirat"`,
    /// without `__NR_` or `sys_`) on this architecture.
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        let table = self.syscalls();
        table
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .and_then(|i| table.get(i))
            .map(|&(_, nr)| nr)
    }

    /// The `AUDIT_ARCH_*` value of `seccomp_data.arch` for this
    /// architecture's calls (linux/audit.h).
    pub(crate) fn audit_arch(self) -> u32 {
        match self {
            SeccompArch::X86_64 => 0xc000_003e,
            SeccompArch::X86 => 0x4000_0003,
            SeccompArch::Aarch64 => 0xc000_00b7,
            SeccompArch::Riscv64 => 0xc000_00f3,
        }
    }
}

/// A seccomp policy by system call name: a default action, and the calls
/// that get another one. [`compile`](SeccompPolicy::compile) turns it into
/// a classic BPF filter for one architecture, which first checks the
/// architecture of the call (and kills a call made through another ABI:
/// i386 or x32 on x86_64), then the listed calls, then returns the
/// default.
///
/// Names are the kernel's (`"mkdirat"`, `"ptrace"`). A name no supported
/// architecture has is refused (a typo); one that only others have (`"mkdir"`
/// on aarch64) is left out, as it cannot be called there. Listing a call
/// twice with different actions is refused.
///
/// The filter is installed just before `execve`, so the policy must let
/// the `execve` (or `execveat`) of the program through, and then whatever
/// the program needs; allow `write` and `exit_group` too, or a failed exec
/// cannot be reported (the child is then killed, or its report refused).
/// The filter only lets calls of its own architecture through: a program
/// built for another (an x86_64 one run by an i686 caller) is killed at
/// its first call.
///
/// ```
/// use clonexec::{Command, SeccompAction, SeccompPolicy};
/// // Everything runs but mkdir, which fails with EACCES.
/// let status = Command::new("mkdir")
///     .arg("/tmp/clonexec-doc-not-made")
///     .no_new_privs(true)
///     .seccomp(SeccompPolicy::new(SeccompAction::Allow)
///         .deny(["mkdir", "mkdirat"], SeccompAction::Errno(13)))
///     .status()?;
/// assert!(!status.success());
/// # Ok::<(), clonexec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SeccompPolicy {
    pub(crate) default: SeccompAction,
    /// `(name, action)` in the order given.
    pub(crate) rules: Vec<(String, SeccompAction)>,
}

impl SeccompPolicy {
    /// A policy that answers `default` for every call not listed.
    pub fn new(default: SeccompAction) -> SeccompPolicy {
        SeccompPolicy {
            default,
            rules: Vec::new(),
        }
    }

    /// Lets these calls run.
    pub fn allow<I>(self, names: I) -> SeccompPolicy
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.deny(names, SeccompAction::Allow)
    }

    /// Answers `action` for these calls.
    pub fn deny<I>(mut self, names: I, action: SeccompAction) -> SeccompPolicy
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.rules.extend(
            names
                .into_iter()
                .map(|n| (String::from(n.as_ref()), action)),
        );
        self
    }

    /// The filter for `arch`: at most 4096 instructions, a binary search
    /// over the call numbers once more than a few calls are listed.
    ///
    /// Refuses an unknown name, a call given two actions, and an
    /// [`Errno`](SeccompAction::Errno) outside 0..=4095.
    ///
    /// ```
    /// use clonexec::{SeccompAction, SeccompArch, SeccompPolicy};
    /// let policy = SeccompPolicy::new(SeccompAction::Errno(1)).allow(["read", "write"]);
    /// assert!(policy.compile(SeccompArch::Riscv64).unwrap().len() < 16);
    /// let typo = SeccompPolicy::new(SeccompAction::Allow).deny(["mkdri"], SeccompAction::Trap);
    /// assert!(typo.compile(SeccompArch::native()).unwrap_err().to_string().contains("mkdri"));
    /// ```
    pub fn compile(&self, arch: SeccompArch) -> Result<Vec<SockFilter>, Error> {
        compile::compile(self, arch).map_err(Error::invalid_policy)
    }
}
