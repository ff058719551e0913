//! The raw system-call layer: the only code that issues system calls by
//! number, one typed function per operation, grouped by subsystem as rustix
//! groups them.
//!
//! The child routine runs on a borrowed address space (`CLONE_VM`) before
//! `execve`, so it may not touch libc, `errno`, TLS or the allocator. Every
//! system call it makes goes through the small, non-allocating wrappers
//! here. They return `Err(errno)` with the positive kernel error number,
//! never panic, and take paths only as `&CStr`. Each is safe to call with
//! any argument its signature admits: where the kernel reads or writes
//! memory, the function builds the pointer from a reference itself.
//!
//! The parent side uses rustix for everything rustix exposes publicly; this
//! layer covers what it does not: the clone trampolines, `execve`,
//! `rt_sigaction`, `rt_sigprocmask`, `close_range`, `capset`, the `prctl`
//! options, `exit_group`, Landlock, and the rest of what the child needs.

#[cfg(target_arch = "aarch64")]
#[path = "arch_aarch64.rs"]
mod arch;
#[cfg(target_arch = "riscv64")]
#[path = "arch_riscv64.rs"]
mod arch;
#[cfg(target_arch = "x86_64")]
#[path = "arch_x86_64.rs"]
mod arch;
#[cfg(target_arch = "x86")]
#[path = "arch_x86.rs"]
mod arch;
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "x86"
)))]
compile_error!("clonexec supports x86_64, aarch64, riscv64 and x86 Linux");

use linux_raw_sys::general as g;

/// A failed system call's positive error number.
pub(crate) type Errno = i32;

/// Result of a raw system call.
pub(crate) type SysResult<T> = Result<T, Errno>;

/// Turns the kernel's raw return value (`-4095..=-1` is `-errno`) into a
/// `Result`.
#[inline(always)]
fn check(ret: usize) -> SysResult<usize> {
    if ret > (-4096isize) as usize {
        Err(ret.wrapping_neg() as Errno)
    } else {
        Ok(ret)
    }
}

macro_rules! syscall {
    ($nr:expr) => { syscall!($nr, 0, 0, 0, 0, 0, 0) };
    ($nr:expr, $a:expr) => { syscall!($nr, $a, 0, 0, 0, 0, 0) };
    ($nr:expr, $a:expr, $b:expr) => { syscall!($nr, $a, $b, 0, 0, 0, 0) };
    ($nr:expr, $a:expr, $b:expr, $c:expr) => { syscall!($nr, $a, $b, $c, 0, 0, 0) };
    ($nr:expr, $a:expr, $b:expr, $c:expr, $d:expr) => { syscall!($nr, $a, $b, $c, $d, 0, 0) };
    ($nr:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr) => {
        syscall!($nr, $a, $b, $c, $d, $e, 0)
    };
    ($nr:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr) => {
        $crate::sys::check($crate::sys::arch::syscall6(
            $nr as usize,
            $a as usize,
            $b as usize,
            $c as usize,
            $d as usize,
            $e as usize,
            $f as usize,
        ))
    };
}

pub(crate) mod clone;
pub(crate) mod creds;
mod cstr_array;
pub(crate) mod exec;
pub(crate) mod fd;
pub(crate) mod fs;
pub(crate) mod landlock;
pub(crate) mod ns;
pub(crate) mod process;
pub(crate) mod seccomp;
pub(crate) mod signal;
pub(crate) mod tty;

pub(crate) use cstr_array::{CStrArray, CStrArrayBuilder};
