//! A `NULL`-terminated array of C string pointers, as `execve` wants its
//! `argv` and `envp`.

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::c_char;

/// Owned C strings plus the `NULL`-terminated pointer array into them.
///
/// Invariant: `ptrs` holds one pointer per string of `strings`, in order,
/// followed by one null pointer. The pointers target the heap buffers owned
/// by the `CString`s, which never move while `strings` is not modified (a
/// `CString` owns a boxed slice; moving the `Vec` moves only the boxes'
/// handles). No method gives out `&mut` access to `strings`.
pub(crate) struct CStrArray {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

// SAFETY: the raw pointers only point into `strings`, which this value owns
// and never mutates after construction, so sharing or sending the whole is
// as safe as sharing or sending the `Vec<CString>`.
unsafe impl Send for CStrArray {}
// SAFETY: see `Send`; every method takes `&self` and only reads.
unsafe impl Sync for CStrArray {}

impl CStrArray {
    /// Builds the array from owned strings.
    pub(crate) fn new(strings: Vec<CString>) -> Self {
        let mut ptrs = Vec::with_capacity(strings.len() + 1);
        ptrs.extend(strings.iter().map(|s| s.as_ptr()));
        ptrs.push(core::ptr::null());
        Self { strings, ptrs }
    }

    /// The `NULL`-terminated pointer array.
    pub(crate) fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }
}

impl core::fmt::Debug for CStrArray {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.strings.iter()).finish()
    }
}
