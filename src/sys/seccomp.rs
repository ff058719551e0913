//! Installing a seccomp filter.

use super::{SysResult, g};

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`.
#[inline]
pub(crate) fn set_filter(filter: &[crate::SockFilter], flags: u32) -> SysResult<()> {
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
