//! Credentials: ids, groups and capabilities of this thread.

use linux_raw_sys::prctl as pr;

use super::{SysResult, g};

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

/// `prctl(PR_SET_KEEPCAPS, 1)`: keep the permitted capabilities across the
/// next uid change (exec clears the flag).
#[inline]
pub(crate) fn set_keep_caps() -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_prctl, pr::PR_SET_KEEPCAPS, 1, 0, 0, 0) }.map(drop)
}

/// `prctl(PR_CAPBSET_DROP, cap)`: drops `cap` from the bounding set.
#[inline]
pub(crate) fn capbset_drop(cap: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_prctl, pr::PR_CAPBSET_DROP, cap, 0, 0, 0) }.map(drop)
}

/// `prctl(PR_SET_SECUREBITS, bits)`.
#[inline]
pub(crate) fn set_securebits(bits: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_prctl, pr::PR_SET_SECUREBITS, bits, 0, 0, 0) }.map(drop)
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)`.
#[inline]
pub(crate) fn ambient_raise(cap: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe {
        syscall!(
            g::__NR_prctl,
            pr::PR_CAP_AMBIENT,
            pr::PR_CAP_AMBIENT_RAISE,
            cap,
            0,
            0
        )
    }
    .map(drop)
}
