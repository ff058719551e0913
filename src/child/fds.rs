//! The child's fd table: placing every mapping whatever the overlaps,
//! closing the rest. No allocation, no panic.

use core::mem::MaybeUninit;

use linux_raw_sys::errno;

use super::at;
use crate::contract::{FdMove, StepFailure};
use crate::step::Step;
use crate::sys::{self, Errno};

/// Whether the child's stdin, stdout or stderr (as they will be after the
/// fd shuffle) is a terminal.
#[inline]
pub(super) fn stdio_is_tty(moves: &[FdMove]) -> bool {
    let mut stream = 0;
    while stream < 3 {
        let fd = moves
            .iter()
            .find(|m| m.dst == stream)
            .map_or(stream, |m| m.src.get());
        if sys::tty::is_tty(fd) {
            return true;
        }
        stream = stream.wrapping_add(1);
    }
    false
}

/// Whether `fd` is one of `targets` (sorted), by binary search. Written
/// out with `get` and wrapping arithmetic: `slice::binary_search` keeps an
/// unwinding path in debug builds.
#[inline]
pub(super) fn is_target(targets: &[i32], fd: i32) -> bool {
    // The answer, if any, lies in `low..high`.
    let (mut low, mut high) = (0usize, targets.len());
    while low < high {
        // high - low >= 1 and low + (high - low) / 2 < high: no overflow.
        let mid = low.wrapping_add(high.wrapping_sub(low) / 2);
        match targets.get(mid) {
            Some(&t) if t < fd => low = mid.wrapping_add(1),
            Some(&t) if t > fd => high = mid,
            Some(_) => return true,
            None => return false,
        }
    }
    false
}

/// Copies `fd`, close-on-exec (the copy dies at exec), to a number that no
/// dup3 of the shuffle will overwrite: above every target, or, when the fd
/// limit leaves no room there (a target may be its last number), at the
/// lowest free number that is not a target.
#[inline]
pub(super) fn set_aside(fd: i32, max_target: i32, targets: &[i32]) -> Result<i32, Errno> {
    match sys::fd::dupfd_cloexec(fd, max_target.wrapping_add(1)) {
        // EINVAL: max_target + 1 is not below RLIMIT_NOFILE; EMFILE: every
        // number from there up to it is taken.
        Err(e) if e as u32 == errno::EINVAL || e as u32 == errno::EMFILE => {}
        other => return other,
    }
    let mut from = 0i32;
    loop {
        let copy = sys::fd::dupfd_cloexec(fd, from)?;
        if !is_target(targets, copy) {
            return Ok(copy);
        }
        // The number was free, so its mapping's source is elsewhere and
        // pass 2 dup3s over this copy. Left open, it keeps every later
        // search from landing here again: each target is landed on at
        // most once per shuffle.
        from = copy.wrapping_add(1);
    }
}

/// Makes every `dst` a copy of its `src`, whatever the overlaps (swaps,
/// cycles, a source that is another move's target). `targets` are the
/// `dst`s, sorted.
#[inline]
pub(super) fn shuffle(
    moves: &[FdMove],
    max_target: i32,
    targets: &[i32],
) -> Result<(), StepFailure> {
    // Pass 1: pass 2 dup3s onto target numbers only, so a source is in
    // danger only where it sits on another move's target: copy those aside.
    for m in moves {
        let src = m.src.get();
        if src != m.dst && is_target(targets, src) {
            let moved =
                set_aside(src, max_target, targets).map_err(at(Step::FdMapping, m.dst as u32))?;
            m.src.set(moved);
        }
    }
    // Pass 2: now no dup3 can clobber a source still needed.
    for m in moves {
        let src = m.src.get();
        if src == m.dst {
            // The fd is already in place but close-on-exec; dup2(fd, fd)
            // would not clear the flag (glibc BZ 23640), so clear it here.
            sys::fd::clear_cloexec(src).map_err(at(Step::FdMapping, m.dst as u32))?;
        } else {
            sys::fd::dup3(src, m.dst, 0).map_err(at(Step::FdMapping, m.dst as u32))?;
        }
    }
    Ok(())
}

/// Closes every fd except `keep` (sorted) and the report pipe.
#[inline]
pub(super) fn close_others(keep: &[i32], extra: [i32; 2], how: Closing) -> Result<(), Errno> {
    let flags = match how {
        Closing::Close => 0,
        Closing::AtExec => sys::fd::CLOSE_RANGE_CLOEXEC,
    };
    match close_gaps(keep, extra, |first, last| {
        sys::fd::close_range(first, last, flags)
    }) {
        // close_range arrived in 5.9 (CLOSE_RANGE_CLOEXEC in 5.11: EINVAL
        // before): scan /proc/self/fd instead.
        Err(errno)
            if errno as u32 == errno::ENOSYS
                || (errno as u32 == errno::EINVAL && how == Closing::AtExec) =>
        {
            close_listed_fds(keep, extra, how)
        }
        other => other,
    }
}

/// What becomes of the fds that are not kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Closed now (a child).
    Close,
    /// Marked close-on-exec (`Command::exec` in the calling process: if the
    /// exec fails, every fd the caller holds is still there).
    AtExec,
}

/// Calls `close(first, last)` for every maximal range of fds that is in
/// neither `keep` (sorted) nor `extra` (the report pipe and the program's fd;
/// -1: none), up to `u32::MAX`.
#[inline]
fn close_gaps(
    keep: &[i32],
    extra: [i32; 2],
    mut close: impl FnMut(u32, u32) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let [a, b] = extra;
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut extras = [low, high]
        .into_iter()
        .filter(|&fd| fd >= 0)
        .map(|fd| fd as u32)
        .peekable();
    let mut next = 0u32; // lowest fd not yet kept or closed
    let mut keep_one = |fd: u32, next: &mut u32| -> Result<(), Errno> {
        if fd > *next {
            close(*next, fd.wrapping_sub(1))?;
        }
        if fd >= *next {
            *next = fd.wrapping_add(1);
        }
        Ok(())
    };
    for &fd in keep {
        let fd = fd as u32;
        while let Some(e) = extras.next_if(|&e| e < fd) {
            keep_one(e, &mut next)?;
        }
        keep_one(fd, &mut next)?;
    }
    for e in extras {
        keep_one(e, &mut next)?;
    }
    if next != 0 {
        close(next, u32::MAX)?;
    }
    Ok(())
}

/// The pre-5.9 way: read `/proc/self/fd` with getdents64 into a stack
/// buffer and close what is not kept. Never loops to RLIMIT_NOFILE
/// (docs/design.md trap 10).
#[inline]
fn close_listed_fds(keep: &[i32], extra: [i32; 2], how: Closing) -> Result<(), Errno> {
    let dir = sys::fd::open(c"/proc/self/fd", sys::fd::O_RDONLY_DIRECTORY_CLOEXEC)?;
    let mut buf = [MaybeUninit::<u8>::uninit(); 2048];
    loop {
        let mut records = match sys::fd::getdents64(dir, &mut buf) {
            Ok([]) => break,
            Ok(filled) => filled,
            Err(errno) => {
                let _ = sys::fd::close(dir);
                return Err(errno);
            }
        };
        // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name\0
        while let Some(reclen) = records.get(16..18) {
            let reclen = usize::from(u16::from_ne_bytes([
                reclen.first().copied().unwrap_or(0),
                reclen.get(1).copied().unwrap_or(0),
            ]));
            let name = records.get(19..reclen).unwrap_or(&[]);
            if let Some(fd) = parse_fd(name)
                && fd != dir
                && !extra.contains(&fd)
                && !keep.contains(&fd)
            {
                let _ = match how {
                    Closing::Close => sys::fd::close(fd),
                    Closing::AtExec => sys::fd::set_cloexec(fd),
                };
            }
            records = match records.get(reclen..) {
                Some(rest) if reclen > 0 => rest,
                _ => &[],
            };
        }
    }
    let _ = sys::fd::close(dir);
    Ok(())
}

/// Parses a NUL-terminated decimal fd name ("." and ".." give `None`).
#[inline]
fn parse_fd(name: &[u8]) -> Option<i32> {
    let mut value: i32 = 0;
    let mut digits = 0u32;
    for &byte in name {
        match byte {
            0 => break,
            b'0'..=b'9' => {
                value = value
                    .checked_mul(10)?
                    .checked_add(i32::from(byte.wrapping_sub(b'0')))?;
                digits = digits.wrapping_add(1);
            }
            _ => return None,
        }
    }
    (digits > 0).then_some(value)
}

#[cfg(test)]
#[path = "tests/fds.rs"]
mod tests;
