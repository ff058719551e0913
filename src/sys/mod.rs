//! The raw system-call layer: the only module that issues system calls by
//! number.
//!
//! The child routine runs on a borrowed address space (`CLONE_VM`) before
//! `execve`, so it may not touch libc, `errno`, TLS or the allocator. Every
//! system call it makes goes through the small, non-allocating wrappers here.
//! They return `Err(errno)` with the positive kernel error number, never
//! panic, and take paths only as `&CStr`.
//!
//! The parent side uses rustix for everything rustix exposes publicly; this
//! module covers what it does not (`clone`/`clone3` live in `clone.rs`,
//! `execve`, `rt_sigaction`, `rt_sigprocmask`, `close_range`, `capset`, raw
//! `prctl`, `exit_group`).

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

mod cstr_array;

pub(crate) use cstr_array::{CStrArray, CStrArrayBuilder};

use core::ffi::{CStr, c_char};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use linux_raw_sys::general as g;

// i386 kept the 16-bit uid/gid calls under the old names; the 32-bit ones
// end in 32 (x86_64, aarch64 and riscv64 only have 32-bit ids).
#[cfg(not(target_arch = "x86"))]
use g::{
    __NR_getgid as NR_GETGID, __NR_getuid as NR_GETUID, __NR_setgroups as NR_SETGROUPS,
    __NR_setresgid as NR_SETRESGID, __NR_setresuid as NR_SETRESUID,
};
#[cfg(target_arch = "x86")]
use g::{
    __NR_getgid32 as NR_GETGID, __NR_getuid32 as NR_GETUID, __NR_setgroups32 as NR_SETGROUPS,
    __NR_setresgid32 as NR_SETRESGID, __NR_setresuid32 as NR_SETRESUID,
};

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
        check(arch::syscall6(
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

pub(crate) const SIG_DFL: usize = 0;
pub(crate) const SIG_IGN: usize = 1;
/// Highest signal number on Linux (`_NSIG - 1`).
pub(crate) const MAX_SIGNAL: i32 = 64;

/// The kernel's `struct sigaction` (not libc's): handler, flags, restorer
/// where the architecture has one, and a 64-bit mask.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct KernelSigaction {
    pub handler: usize,
    pub flags: usize,
    #[cfg(not(target_arch = "riscv64"))]
    pub restorer: usize,
    pub mask: u64,
}

// The kernel reads the mask right after the pointer-sized fields, with no
// padding: offset 12 on i386 (where u64 is 4-byte aligned), 16 on riscv64,
// 24 elsewhere.
const _: () = assert!(
    core::mem::offset_of!(KernelSigaction, mask)
        == core::mem::size_of::<usize>() * if cfg!(target_arch = "riscv64") { 2 } else { 3 }
);

impl KernelSigaction {
    /// The default disposition: `SIG_DFL`, no flags, empty mask.
    pub(crate) const DEFAULT: Self = Self {
        handler: SIG_DFL,
        flags: 0,
        #[cfg(not(target_arch = "riscv64"))]
        restorer: 0,
        mask: 0,
    };

    /// `SIG_IGN`, no flags, empty mask.
    pub(crate) const IGNORE: Self = Self {
        handler: SIG_IGN,
        ..Self::DEFAULT
    };
}

/// `rt_sigaction(sig, new, old)`.
#[inline]
pub(crate) fn rt_sigaction(
    sig: i32,
    new: Option<&KernelSigaction>,
    old: Option<&mut KernelSigaction>,
) -> SysResult<()> {
    let new = new.map_or(core::ptr::null(), |n| n as *const KernelSigaction);
    let old = old.map_or(core::ptr::null_mut(), |o| o as *mut KernelSigaction);
    // SAFETY: both pointers are null or point to a live `KernelSigaction`,
    // whose layout matches the kernel's for this architecture; the size
    // argument is the kernel's 64-bit sigset size.
    unsafe { syscall!(g::__NR_rt_sigaction, sig, new, old, 8) }.map(drop)
}

/// `rt_sigprocmask(how, set, old)` on this thread, with 64-bit sets.
#[inline]
pub(crate) fn rt_sigprocmask(how: u32, set: Option<&u64>, old: Option<&mut u64>) -> SysResult<()> {
    let set = set.map_or(core::ptr::null(), |s| s as *const u64);
    let old = old.map_or(core::ptr::null_mut(), |o| o as *mut u64);
    // SAFETY: both pointers are null or point to a live u64, which is the
    // kernel's sigset_t size (8) passed as the last argument.
    unsafe { syscall!(g::__NR_rt_sigprocmask, how, set, old, 8) }.map(drop)
}

pub(crate) const SIG_SETMASK: u32 = g::SIG_SETMASK;

/// `write(fd, buf)`.
#[inline]
pub(crate) fn write(fd: i32, buf: &[u8]) -> SysResult<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    unsafe { syscall!(g::__NR_write, fd, buf.as_ptr(), buf.len()) }
}

/// `exit_group(code)`: ends every thread of the (child) process.
#[inline]
pub(crate) fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group takes no pointers and does not return.
    let _ = unsafe { syscall!(g::__NR_exit_group, code) };
    // exit_group cannot return; spin rather than fall into undefined code.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// `setsid()`.
#[inline]
pub(crate) fn setsid() -> SysResult<usize> {
    // SAFETY: no arguments.
    unsafe { syscall!(g::__NR_setsid) }
}

/// `setpgid(pid, pgid)`.
#[inline]
pub(crate) fn setpgid(pid: i32, pgid: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_setpgid, pid, pgid) }.map(drop)
}

/// `setgroups(groups)`: this thread only (no libc setxid broadcast).
#[inline]
pub(crate) fn setgroups(groups: &[u32]) -> SysResult<()> {
    // SAFETY: the kernel reads `groups.len()` gid_t (u32) values.
    unsafe { syscall!(NR_SETGROUPS, groups.len(), groups.as_ptr()) }.map(drop)
}

/// `setresgid(r, e, s)`: this thread only.
#[inline]
pub(crate) fn setresgid(gid: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(NR_SETRESGID, gid, gid, gid) }.map(drop)
}

/// `setresuid(r, e, s)`: this thread only.
#[inline]
pub(crate) fn setresuid(uid: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(NR_SETRESUID, uid, uid, uid) }.map(drop)
}

/// `prctl(option, a2, a3, a4, a5)` for the integer-only options (and
/// `PR_SET_NAME`, whose pointer argument the callers pass from a static
/// NUL-terminated string of at most 16 bytes).
#[inline]
pub(crate) fn prctl(option: u32, a2: usize, a3: usize, a4: usize, a5: usize) -> SysResult<usize> {
    // SAFETY: callers only pass options whose arguments are integers.
    unsafe { syscall!(g::__NR_prctl, option, a2, a3, a4, a5) }
}

/// The three 64-bit capability sets, as `capget`/`capset` v3 see them.
#[derive(Clone, Copy, Default)]
pub(crate) struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

fn cap_header() -> g::__user_cap_header_struct {
    g::__user_cap_header_struct {
        version: g::_LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    }
}

/// `capget` (v3) of this thread.
#[inline]
pub(crate) fn capget() -> SysResult<CapSets> {
    let mut header = cap_header();
    let mut data = [g::__user_cap_data_struct {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: v3 takes a header and two data structs, both live and writable.
    unsafe { syscall!(g::__NR_capget, &mut header as *mut _, data.as_mut_ptr()) }?;
    let [lo, hi] = data;
    Ok(CapSets {
        effective: u64::from(lo.effective) | u64::from(hi.effective) << 32,
        permitted: u64::from(lo.permitted) | u64::from(hi.permitted) << 32,
        inheritable: u64::from(lo.inheritable) | u64::from(hi.inheritable) << 32,
    })
}

/// `capset` (v3) of this thread.
#[inline]
pub(crate) fn capset(sets: &CapSets) -> SysResult<()> {
    let mut header = cap_header();
    let data = [
        g::__user_cap_data_struct {
            effective: sets.effective as u32,
            permitted: sets.permitted as u32,
            inheritable: sets.inheritable as u32,
        },
        g::__user_cap_data_struct {
            effective: (sets.effective >> 32) as u32,
            permitted: (sets.permitted >> 32) as u32,
            inheritable: (sets.inheritable >> 32) as u32,
        },
    ];
    // SAFETY: v3 takes a header and two data structs, both live.
    unsafe { syscall!(g::__NR_capset, &mut header as *mut _, data.as_ptr()) }.map(drop)
}

/// `chdir(path)`.
#[inline]
pub(crate) fn chdir(path: &CStr) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_chdir, path.as_ptr()) }.map(drop)
}

/// `getpid()`.
#[inline]
pub(crate) fn getpid() -> i32 {
    // SAFETY: no arguments; getpid cannot fail.
    unsafe { syscall!(g::__NR_getpid) }.unwrap_or(0) as i32
}

/// `getppid()`.
#[inline]
pub(crate) fn getppid() -> i32 {
    // SAFETY: no arguments; getppid cannot fail.
    unsafe { syscall!(g::__NR_getppid) }.unwrap_or(0) as i32
}

/// `kill(pid, sig)`.
#[inline]
pub(crate) fn kill(pid: i32, sig: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_kill, pid, sig) }.map(drop)
}

/// `fcntl(fd, cmd, arg)` for the integer-argument commands.
#[inline]
pub(crate) fn fcntl(fd: i32, cmd: u32, arg: usize) -> SysResult<usize> {
    // SAFETY: callers only pass commands whose argument is an integer.
    unsafe { syscall!(g::__NR_fcntl, fd, cmd, arg) }
}

pub(crate) const F_DUPFD_CLOEXEC: u32 = g::F_DUPFD_CLOEXEC;
pub(crate) const F_SETFD: u32 = g::F_SETFD;

/// `dup3(old, new, flags)`.
#[inline]
pub(crate) fn dup3(old: i32, new: i32, flags: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_dup3, old, new, flags) }.map(drop)
}

/// `close_range` flag: first unshare a shared fd table, copying only the
/// fds below `first` when the range runs to the end (linux/close_range.h).
pub(crate) const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;

/// `close_range(first, last, flags)` (5.9+).
#[inline]
pub(crate) fn close_range(first: u32, last: u32, flags: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_close_range, first, last, flags) }.map(drop)
}

/// `close(fd)`.
#[inline]
pub(crate) fn close(fd: i32) -> SysResult<()> {
    // SAFETY: integer argument only; the child owns its fd table.
    unsafe { syscall!(g::__NR_close, fd) }.map(drop)
}

/// `openat(AT_FDCWD, path, flags)` without `O_CREAT`.
#[inline]
pub(crate) fn open(path: &CStr, flags: u32) -> SysResult<i32> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_openat, g::AT_FDCWD, path.as_ptr(), flags, 0) }.map(|fd| fd as i32)
}

pub(crate) const O_RDONLY_DIRECTORY_CLOEXEC: u32 = g::O_RDONLY | g::O_DIRECTORY | g::O_CLOEXEC;

/// `getdents64(fd, buf)`: fills `buf` with `linux_dirent64` records.
///
/// Takes an uninitialized buffer (zeroing one would be a `memset` call in
/// the child) and returns the initialized prefix the kernel filled.
#[inline]
pub(crate) fn getdents64(fd: i32, buf: &mut [MaybeUninit<u8>]) -> SysResult<&[u8]> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { syscall!(g::__NR_getdents64, fd, buf.as_mut_ptr(), buf.len()) }?;
    let n = n.min(buf.len());
    // SAFETY: the kernel initialized the first `n` bytes (n <= buf.len()),
    // and MaybeUninit<u8> has u8's layout.
    Ok(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) })
}

/// A `NULL`-terminated array of pointers to NUL-terminated strings, as
/// `execve` takes its `argv` and `envp`: a prepared [`CStrArray`], a short
/// list on the child's stack, or the parent's `environ` as it is at the
/// spawn.
///
/// Invariant: the pointer is null (which Linux takes as an empty list) or
/// a NULL-terminated array of pointers to NUL-terminated strings, alive for
/// `'a`.
#[derive(Clone, Copy)]
pub(crate) struct CStrPtrs<'a>(*const *const c_char, PhantomData<&'a CStr>);

/// The environment a child execs with.
pub(crate) type Envp<'a> = CStrPtrs<'a>;

impl<'a> CStrPtrs<'a> {
    /// An empty list.
    pub(crate) const EMPTY: CStrPtrs<'static> = CStrPtrs(core::ptr::null(), PhantomData);

    /// A prepared array.
    pub(crate) fn of(array: &'a CStrArray) -> Self {
        CStrPtrs(array.as_ptr(), PhantomData)
    }

    /// The two strings `first` and `second`, listed in `slots`.
    pub(crate) fn pair(
        slots: &'a mut [*const c_char; 3],
        first: &'a CStr,
        second: &'a CStr,
    ) -> Self {
        *slots = [first.as_ptr(), second.as_ptr(), core::ptr::null()];
        CStrPtrs(slots.as_ptr(), PhantomData)
    }
}

#[cfg(feature = "std")]
impl CStrPtrs<'static> {
    /// The parent's environment, read from libc's `environ` now, as std's
    /// `Command` does when the environment is not changed.
    pub(crate) fn parent() -> Self {
        unsafe extern "C" {
            static environ: *const *const c_char;
        }
        // SAFETY: reading the pointer is a plain load of a libc global.
        // libc keeps `environ` (null or NULL-terminated, see the invariant)
        // valid until setenv/putenv/unsetenv change it, and std makes
        // `set_var`/`remove_var` unsafe precisely because they must not run
        // while any other thread reads the environment, as a spawning child
        // does (std's own posix_spawn path reads `environ` the same way).
        CStrPtrs(unsafe { environ }, PhantomData)
    }
}

/// `execve(path, argv, envp)`; returns only on failure.
#[inline]
pub(crate) fn execve(path: &CStr, argv: CStrPtrs<'_>, envp: Envp<'_>) -> Errno {
    // SAFETY: `path` is NUL-terminated; `argv` and `envp` are null or
    // NULL-terminated arrays of pointers to live NUL-terminated strings
    // (CStrPtrs' invariant).
    match unsafe { syscall!(g::__NR_execve, path.as_ptr(), argv.0, envp.0) } {
        Ok(_) => 0,
        Err(e) => e,
    }
}

/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`: runs the file `fd` is
/// open on; returns only on failure.
#[inline]
pub(crate) fn execveat_fd(fd: i32, argv: CStrPtrs<'_>, envp: Envp<'_>) -> Errno {
    // SAFETY: as for `execve`; the path is the empty C string, which
    // AT_EMPTY_PATH makes mean `fd` itself.
    match unsafe {
        syscall!(
            g::__NR_execveat,
            fd,
            c"".as_ptr(),
            argv.0,
            envp.0,
            g::AT_EMPTY_PATH
        )
    } {
        Ok(_) => 0,
        Err(e) => e,
    }
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)` (5.1+).
#[inline]
pub(crate) fn pidfd_send_signal(pidfd: i32, sig: i32) -> SysResult<()> {
    // SAFETY: integer arguments and a null siginfo pointer, which the kernel
    // accepts (it then fills in a kill()-like siginfo).
    unsafe { syscall!(g::__NR_pidfd_send_signal, pidfd, sig, 0, 0) }.map(drop)
}

/// `prlimit64(0, resource, {soft, hard}, NULL)` on this process.
#[inline]
pub(crate) fn prlimit(resource: u32, soft: u64, hard: u64) -> SysResult<()> {
    let limit = g::rlimit64 {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `limit` is a live rlimit64; the old-limit pointer is null.
    unsafe {
        syscall!(
            g::__NR_prlimit64,
            0,
            resource,
            &limit as *const g::rlimit64,
            0
        )
    }
    .map(drop)
}

/// `prlimit64(0, resource, NULL, &old)`: the current `(soft, hard)` limits.
#[inline]
pub(crate) fn prlimit_get(resource: u32) -> SysResult<(u64, u64)> {
    let mut old = g::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: the new-limit pointer is null; `old` is a live, writable
    // rlimit64 the kernel fills in.
    unsafe {
        syscall!(
            g::__NR_prlimit64,
            0,
            resource,
            0,
            &mut old as *mut g::rlimit64
        )
    }?;
    Ok((old.rlim_cur, old.rlim_max))
}

/// `personality(persona)`.
#[inline]
pub(crate) fn personality(persona: u32) -> SysResult<()> {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_personality, persona) }.map(drop)
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: a new anonymous session
/// keyring.
#[inline]
pub(crate) fn join_new_session_keyring() -> SysResult<()> {
    const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;
    // SAFETY: a null name pointer asks for an anonymous keyring.
    unsafe { syscall!(g::__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) }.map(drop)
}

/// `ptrace(PTRACE_TRACEME, 0, 0, 0)`.
#[inline]
pub(crate) fn ptrace_traceme() -> SysResult<()> {
    // SAFETY: PTRACE_TRACEME (0) takes no pointers.
    unsafe { syscall!(g::__NR_ptrace, 0, 0, 0, 0) }.map(drop)
}

/// `getpgid(0)`: this process's group.
#[inline]
pub(crate) fn getpgrp() -> SysResult<i32> {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_getpgid, 0) }.map(|p| p as i32)
}

// Terminal ioctls; the numbers are the asm-generic/x86 ones (the same on
// x86, x86_64, aarch64 and riscv64).
const TCGETS: u32 = 0x5401;
const TIOCSCTTY: u32 = 0x540E;
const TIOCSPGRP: u32 = 0x5410;
const TIOCNOTTY: u32 = 0x5422;

/// Whether `fd` is a terminal (`TCGETS` succeeds).
#[inline]
pub(crate) fn is_tty(fd: i32) -> bool {
    // The kernel's struct termios is 36 to 44 bytes depending on the arch.
    let mut termios = [0u8; 64];
    // SAFETY: TCGETS writes one struct termios, smaller than the buffer.
    unsafe { syscall!(g::__NR_ioctl, fd, TCGETS, termios.as_mut_ptr()) }.is_ok()
}

/// `ioctl(fd, TIOCSPGRP, &pgrp)`: makes `pgrp` the terminal's foreground
/// process group.
#[inline]
pub(crate) fn tcsetpgrp(fd: i32, pgrp: i32) -> SysResult<()> {
    // SAFETY: TIOCSPGRP reads one pid_t (i32) from a live local.
    unsafe { syscall!(g::__NR_ioctl, fd, TIOCSPGRP, &pgrp as *const i32) }.map(drop)
}

/// `ioctl(fd, TIOCSCTTY, 0)`: makes the terminal our controlling terminal.
#[inline]
pub(crate) fn set_controlling_tty(fd: i32) -> SysResult<()> {
    // SAFETY: integer arguments only (0: do not steal from another session).
    unsafe { syscall!(g::__NR_ioctl, fd, TIOCSCTTY, 0) }.map(drop)
}

/// `ioctl(fd, TIOCNOTTY)`: gives up the controlling terminal.
#[inline]
pub(crate) fn detach_controlling_tty(fd: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_ioctl, fd, TIOCNOTTY, 0) }.map(drop)
}

/// `O_RDWR | O_NOCTTY | O_CLOEXEC`, for opening `/dev/tty`.
pub(crate) const O_RDWR_NOCTTY_CLOEXEC: u32 = g::O_RDWR | g::O_NOCTTY | g::O_CLOEXEC;

/// `O_WRONLY | O_CLOEXEC`.
pub(crate) const O_WRONLY_CLOEXEC: u32 = g::O_WRONLY | g::O_CLOEXEC;

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`.
#[inline]
pub(crate) fn seccomp_set_filter(filter: &[crate::SockFilter], flags: u32) -> SysResult<()> {
    #[repr(C)]
    struct SockFprog {
        len: u16,
        filter: *const crate::SockFilter,
    }
    const SECCOMP_SET_MODE_FILTER: u32 = 1;
    // prepare() keeps filters at most 4096 instructions long.
    let prog = SockFprog {
        len: filter.len() as u16,
        filter: filter.as_ptr(),
    };
    // SAFETY: `prog` points to `len` live `SockFilter`s, which are
    // #[repr(C)] like the kernel's `struct sock_filter`.
    unsafe {
        syscall!(
            g::__NR_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags,
            &prog as *const SockFprog
        )
    }
    .map(drop)
}

/// `pipe2(O_CLOEXEC)`: `(read end, write end)`.
#[inline]
pub(crate) fn pipe_cloexec() -> SysResult<(i32, i32)> {
    let mut fds = [-1i32; 2];
    // SAFETY: the kernel writes two ints into `fds`.
    unsafe { syscall!(g::__NR_pipe2, fds.as_mut_ptr(), g::O_CLOEXEC) }?;
    let [read, write] = fds;
    Ok((read, write))
}

/// `read(fd, buf)`.
#[inline]
pub(crate) fn read(fd: i32, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe { syscall!(g::__NR_read, fd, buf.as_mut_ptr(), buf.len()) }
}

/// `setns(fd, nstype)`.
#[inline]
pub(crate) fn setns(fd: i32, nstype: u64) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_setns, fd, nstype) }.map(drop)
}

/// `sethostname(name)`.
#[inline]
pub(crate) fn sethostname(name: &[u8]) -> SysResult<()> {
    // SAFETY: the kernel reads `name.len()` bytes.
    unsafe { syscall!(g::__NR_sethostname, name.as_ptr(), name.len()) }.map(drop)
}

/// `setdomainname(name)`.
#[inline]
pub(crate) fn setdomainname(name: &[u8]) -> SysResult<()> {
    // SAFETY: the kernel reads `name.len()` bytes.
    unsafe { syscall!(g::__NR_setdomainname, name.as_ptr(), name.len()) }.map(drop)
}

fn opt_ptr(s: Option<&CStr>) -> *const core::ffi::c_char {
    s.map_or(core::ptr::null(), CStr::as_ptr)
}

/// `mount(source, target, fstype, flags, data)`.
#[inline]
pub(crate) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u32,
    data: Option<&CStr>,
) -> SysResult<()> {
    // SAFETY: every pointer is null or a NUL-terminated string that outlives
    // the call.
    unsafe {
        syscall!(
            g::__NR_mount,
            opt_ptr(source),
            target.as_ptr(),
            opt_ptr(fstype),
            flags,
            opt_ptr(data)
        )
    }
    .map(drop)
}

/// `umount2(target, flags)`.
#[inline]
pub(crate) fn umount2(target: &CStr, flags: u32) -> SysResult<()> {
    // SAFETY: `target` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_umount2, target.as_ptr(), flags) }.map(drop)
}

/// The `ST_*` mount flags of the filesystem at `path` (`statfs().f_flags`).
#[inline]
pub(crate) fn statfs_flags(path: &CStr) -> SysResult<u64> {
    // i386's plain statfs has 32-bit counters and fails with EOVERFLOW on
    // large filesystems; statfs64 takes the struct size as an argument.
    #[cfg(target_arch = "x86")]
    let mut buf = core::mem::MaybeUninit::<g::statfs64>::uninit();
    #[cfg(target_arch = "x86")]
    // SAFETY: the kernel fills one struct statfs64 of the size passed.
    unsafe {
        syscall!(
            g::__NR_statfs64,
            path.as_ptr(),
            core::mem::size_of::<g::statfs64>(),
            buf.as_mut_ptr()
        )
    }?;
    #[cfg(not(target_arch = "x86"))]
    let mut buf = core::mem::MaybeUninit::<g::statfs>::uninit();
    #[cfg(not(target_arch = "x86"))]
    // SAFETY: the kernel fills one struct statfs of this architecture.
    unsafe { syscall!(g::__NR_statfs, path.as_ptr(), buf.as_mut_ptr()) }?;
    // SAFETY: statfs succeeded, so the kernel initialised the struct.
    Ok(unsafe { buf.assume_init() }.f_flags as u64)
}

/// `chroot(path)`.
#[inline]
pub(crate) fn chroot(path: &CStr) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { syscall!(g::__NR_chroot, path.as_ptr()) }.map(drop)
}

/// `pivot_root(new_root, put_old)`.
#[inline]
pub(crate) fn pivot_root(new_root: &CStr, put_old: &CStr) -> SysResult<()> {
    // SAFETY: both paths are NUL-terminated and outlive the call.
    unsafe { syscall!(g::__NR_pivot_root, new_root.as_ptr(), put_old.as_ptr()) }.map(drop)
}

/// Brings the loopback interface up (`SIOCSIFFLAGS` with `IFF_UP` on "lo").
#[inline]
pub(crate) fn loopback_up() -> SysResult<()> {
    const AF_INET: u32 = 2;
    const SOCK_DGRAM: u32 = 2;
    const SIOCGIFFLAGS: u32 = 0x8913;
    const SIOCSIFFLAGS: u32 = 0x8914;
    const IFF_UP: u16 = 1;
    // SAFETY: integer arguments only.
    let sock = unsafe { syscall!(g::__NR_socket, AF_INET, SOCK_DGRAM | g::O_CLOEXEC, 0) }? as i32;
    // struct ifreq: 16-byte name, then a union whose first member is the
    // short ifr_flags; 40 bytes on 64-bit (32 on 32-bit).
    let mut ifreq = [0u8; 40];
    if let Some(name) = ifreq.get_mut(..2) {
        name.copy_from_slice(b"lo");
    }
    // SAFETY: both ioctls read/write one struct ifreq, no larger than the
    // buffer.
    let result = unsafe { syscall!(g::__NR_ioctl, sock, SIOCGIFFLAGS, ifreq.as_mut_ptr()) }
        .and_then(|_| {
            let flags = u16::from_ne_bytes([
                ifreq.get(16).copied().unwrap_or(0),
                ifreq.get(17).copied().unwrap_or(0),
            ]) | IFF_UP;
            let [lo, hi] = flags.to_ne_bytes();
            if let Some(slot) = ifreq.get_mut(16..18) {
                slot.copy_from_slice(&[lo, hi]);
            }
            // SAFETY: as above.
            unsafe { syscall!(g::__NR_ioctl, sock, SIOCSIFFLAGS, ifreq.as_mut_ptr()) }
        });
    let _ = close(sock);
    result.map(drop)
}

/// `unshare(flags)`.
#[inline]
pub(crate) fn unshare(flags: u64) -> SysResult<()> {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_unshare, flags) }.map(drop)
}

/// `getuid()`.
#[inline]
pub(crate) fn getuid() -> u32 {
    // SAFETY: no arguments; getuid cannot fail.
    unsafe { syscall!(NR_GETUID) }.unwrap_or(0) as u32
}

/// `getgid()`.
#[inline]
pub(crate) fn getgid() -> u32 {
    // SAFETY: no arguments; getgid cannot fail.
    unsafe { syscall!(NR_GETGID) }.unwrap_or(0) as u32
}
