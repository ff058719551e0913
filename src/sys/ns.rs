//! Namespaces: joining and leaving them, and what a new UTS or network
//! namespace needs set up.

use super::{SysResult, g};

/// `setns(fd, nstype)`.
#[inline]
pub(crate) fn setns(fd: i32, nstype: u64) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_setns, fd, nstype) }.map(drop)
}

/// `unshare(flags)`.
#[inline]
pub(crate) fn unshare(flags: u64) -> SysResult<()> {
    // SAFETY: integer argument only.
    unsafe { syscall!(g::__NR_unshare, flags) }.map(drop)
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
    let _ = super::fd::close(sock);
    result.map(drop)
}
