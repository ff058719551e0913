//! Child stacks: anonymous mappings with a guard page, reused from a small
//! cache so that a spawn needs no `mmap`/`munmap`.
//!
//! A stack is given back ([`Stack::recycle`]) only once no child runs on it
//! any more; `launch` knows when (see its module docs).

use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::sys::Errno;

/// Usable size of the child's stack. Measured by `tests/stack_usage.rs`
/// (fill with a pattern, spawn every attribute, find the deepest write):
/// 2.5 KiB in release and 5 KiB in debug builds for the heaviest child,
/// 2.5 KiB for the program half of a pid-1 init's split stack. 64 KiB keeps
/// six times the debug need in each half (the `unshare` crate crashed with
/// 4 KiB, glibc wanted 32 KiB of slack: docs/design.md trap 6). Untouched pages
/// cost nothing (`MAP_NORESERVE`, demand-faulted).
pub(crate) const STACK_SIZE: usize = 64 * 1024;

/// An anonymous mapping with a `PROT_NONE` guard page at its low end.
pub(crate) struct Stack {
    base: *mut c_void,
    len: usize,
}

/// Stacks kept for the next spawns. Unmapping a stack the child used on
/// another CPU costs a TLB shootdown there; mapping one costs page faults.
const STACK_CACHE_SLOTS: usize = 4;
static STACK_CACHE: [AtomicPtr<c_void>; STACK_CACHE_SLOTS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; STACK_CACHE_SLOTS];

impl Stack {
    /// The mapping's length: the usable stack plus the guard page.
    fn mapping_len() -> usize {
        STACK_SIZE + rustix::param::page_size()
    }

    /// A cached stack, or a new one.
    pub(crate) fn take() -> Result<Self, Errno> {
        for slot in &STACK_CACHE {
            let base = slot.swap(core::ptr::null_mut(), Ordering::Acquire);
            if !base.is_null() {
                return Ok(Self {
                    base,
                    len: Self::mapping_len(),
                });
            }
        }
        Self::new()
    }

    /// Gives the stack back for reuse (or unmaps it when the cache is
    /// full). Only for a stack no child runs on any more.
    pub(crate) fn recycle(self) {
        for slot in &STACK_CACHE {
            if slot
                .compare_exchange(
                    core::ptr::null_mut(),
                    self.base,
                    Ordering::Release,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                core::mem::forget(self);
                return;
            }
        }
    }

    fn new() -> Result<Self, Errno> {
        let page = rustix::param::page_size();
        let len = Self::mapping_len();
        // SAFETY: a fresh private anonymous mapping at an address the kernel
        // chooses cannot alias any existing Rust object.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::PRIVATE
                    | rustix::mm::MapFlags::STACK
                    | rustix::mm::MapFlags::NORESERVE,
            )
        }
        .map_err(|e| e.raw_os_error())?;
        let stack = Self { base, len };
        // SAFETY: the first page lies inside the mapping we own and nothing
        // references it yet.
        unsafe { rustix::mm::mprotect(base, page, rustix::mm::MprotectFlags::empty()) }
            .map_err(|e| e.raw_os_error())?;
        Ok(stack)
    }

    /// The lowest address of the mapping (the guard page).
    pub(crate) fn base(&self) -> *mut c_void {
        self.base
    }

    /// The mapping's length, guard page included.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn top(&self) -> *mut c_void {
        self.base.wrapping_byte_add(self.len)
    }

    /// The top of the lower half: the pid-1 init starts the program there
    /// while it keeps the upper half.
    pub(crate) fn middle(&self) -> *mut c_void {
        let page = rustix::param::page_size();
        self.base.wrapping_byte_add(page + (self.len - page) / 2)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: we own the mapping; `launch` drops the stack only after the
        // child stopped using it (see the module docs).
        let _ = unsafe { rustix::mm::munmap(self.base, self.len) };
    }
}
