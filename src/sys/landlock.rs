//! Landlock: the ruleset, which the parent builds in `prepare()`, and
//! `landlock_restrict_self`, the child's one call.

use linux_raw_sys::landlock as ll;
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::{SysResult, g};

/// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`:
/// the highest Landlock ABI the kernel supports.
pub(crate) fn abi_version() -> SysResult<u32> {
    // SAFETY: a null attribute pointer with size 0 is what the version
    // query takes; nothing is read or written.
    unsafe {
        syscall!(
            g::__NR_landlock_create_ruleset,
            0,
            0,
            ll::LANDLOCK_CREATE_RULESET_VERSION
        )
    }
    .map(|v| v as u32)
}

/// `landlock_create_ruleset(&attr, sizeof attr, 0)`: a ruleset handling
/// the `fs` and `net` access rights (close-on-exec, as the kernel makes it).
pub(crate) fn create_ruleset(fs: u64, net: u64) -> SysResult<OwnedFd> {
    let attr = ll::landlock_ruleset_attr {
        handled_access_fs: fs,
        handled_access_net: net,
        scoped: 0,
    };
    // SAFETY: `attr` is a live struct of the size given; kernels that know
    // a shorter one accept the longer size since the rest is zero.
    let fd = unsafe {
        syscall!(
            g::__NR_landlock_create_ruleset,
            &attr as *const ll::landlock_ruleset_attr,
            core::mem::size_of::<ll::landlock_ruleset_attr>(),
            0
        )
    }?;
    // SAFETY: the kernel just returned this new fd, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, ...)`: `allowed`
/// beneath the file or directory `parent` is open on (`O_PATH` is enough).
pub(crate) fn add_path_rule(
    ruleset: BorrowedFd<'_>,
    allowed: u64,
    parent: BorrowedFd<'_>,
) -> SysResult<()> {
    let attr = ll::landlock_path_beneath_attr {
        allowed_access: allowed,
        parent_fd: parent.as_raw_fd(),
    };
    // SAFETY: `attr` is a live (packed, as the kernel's) struct the kernel
    // only reads; the fds are borrowed for the call.
    unsafe {
        syscall!(
            g::__NR_landlock_add_rule,
            ruleset.as_raw_fd(),
            ll::landlock_rule_type::LANDLOCK_RULE_PATH_BENEATH as u32,
            &attr as *const ll::landlock_path_beneath_attr,
            0
        )
    }
    .map(drop)
}

/// `landlock_add_rule(ruleset, LANDLOCK_RULE_NET_PORT, ...)`: `allowed`
/// (TCP bind and/or connect) for `port`.
pub(crate) fn add_port_rule(ruleset: BorrowedFd<'_>, allowed: u64, port: u16) -> SysResult<()> {
    let attr = ll::landlock_net_port_attr {
        allowed_access: allowed,
        port: u64::from(port),
    };
    // SAFETY: `attr` is a live struct the kernel only reads; the ruleset fd
    // is borrowed for the call.
    unsafe {
        syscall!(
            g::__NR_landlock_add_rule,
            ruleset.as_raw_fd(),
            ll::landlock_rule_type::LANDLOCK_RULE_NET_PORT as u32,
            &attr as *const ll::landlock_net_port_attr,
            0
        )
    }
    .map(drop)
}

/// `landlock_restrict_self(ruleset, 0)`: confines this thread (the child
/// has one) and what it execs to the ruleset. Needs no_new_privs or
/// `CAP_SYS_ADMIN`.
#[inline]
pub(crate) fn restrict_self(ruleset: i32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { syscall!(g::__NR_landlock_restrict_self, ruleset, 0) }.map(drop)
}
