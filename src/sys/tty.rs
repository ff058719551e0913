//! Terminal ioctls. The numbers are the asm-generic/x86 ones, the same on
//! x86, x86_64, aarch64 and riscv64.

use super::{SysResult, g};

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
