//! A `NULL`-terminated array of C string pointers, as `execve` wants its
//! `argv` and `envp`, built in one buffer.

use alloc::vec::Vec;
use core::ffi::{CStr, c_char};

/// C strings back to back in one buffer, plus the `NULL`-terminated pointer
/// array into it.
///
/// Invariant: `ptrs` holds one pointer to the start of each NUL-terminated
/// string of `bytes`, in order, followed by one null pointer. The pointers
/// target the heap buffer owned by `bytes`, which never moves or changes
/// after construction (moving the `Vec` moves only its handle). No method
/// gives out `&mut` access to `bytes`.
pub(crate) struct CStrArray {
    bytes: Vec<u8>,
    ptrs: Vec<*const c_char>,
}

// SAFETY: the raw pointers only point into `bytes`, which this value owns
// and never mutates after construction, so sharing or sending the whole is
// as safe as sharing or sending the `Vec<u8>`.
unsafe impl Send for CStrArray {}
// SAFETY: see `Send`; every method takes `&self` and only reads.
unsafe impl Sync for CStrArray {}

/// A string given to [`CStrArrayBuilder::push`] contained a NUL byte.
#[derive(Debug)]
pub(crate) struct HasNul;

/// Collects the strings of a [`CStrArray`]: one allocation for the bytes,
/// one for the pointers, whatever the number of strings.
pub(crate) struct CStrArrayBuilder {
    bytes: Vec<u8>,
    count: usize,
}

impl CStrArrayBuilder {
    /// A builder with room for `bytes` bytes of strings, NULs included.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    /// Appends one string, the concatenation of `parts`. On a NUL byte the
    /// builder is left as it was.
    pub(crate) fn push(&mut self, parts: &[&[u8]]) -> Result<(), HasNul> {
        if parts.iter().any(|part| part.contains(&0)) {
            return Err(HasNul);
        }
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        self.bytes.push(0);
        self.count += 1;
        Ok(())
    }

    /// The finished array.
    pub(crate) fn finish(self) -> CStrArray {
        let bytes = self.bytes;
        let mut ptrs = Vec::with_capacity(self.count + 1);
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                ptrs.push(bytes[start..].as_ptr().cast::<c_char>());
                start = i + 1;
            }
        }
        ptrs.push(core::ptr::null());
        CStrArray { bytes, ptrs }
    }
}

impl CStrArray {
    /// The `NULL`-terminated pointer array.
    pub(crate) fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }

    /// The pointers to the strings, without the final null.
    #[inline]
    pub(crate) fn pointers(&self) -> &[*const c_char] {
        self.ptrs.split_last().map_or(&[], |(_, strings)| strings)
    }

    /// The strings, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &CStr> {
        self.bytes
            .split_inclusive(|&b| b == 0)
            .filter_map(|s| CStr::from_bytes_with_nul(s).ok())
    }
}

impl core::fmt::Debug for CStrArray {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_pointers_line_up() {
        let mut builder = CStrArrayBuilder::with_capacity(4);
        builder.push(&[b"a"]).unwrap();
        builder.push(&[b"KEY", b"=", b"value"]).unwrap();
        builder.push(&[]).unwrap();
        assert!(builder.push(&[b"x", b"\0y"]).is_err());
        let array = builder.finish();
        let strings: Vec<&CStr> = array.iter().collect();
        assert_eq!(strings, [c"a", c"KEY=value", c""]);
        // SAFETY: the array holds 3 pointers and a null one (invariant).
        let ptrs = unsafe { core::slice::from_raw_parts(array.as_ptr(), 4) };
        for (ptr, s) in ptrs.iter().zip(&strings) {
            assert_eq!(*ptr, s.as_ptr());
        }
        assert!(ptrs[3].is_null());
    }

    #[test]
    fn empty_array_is_just_the_null() {
        let array = CStrArrayBuilder::with_capacity(0).finish();
        // SAFETY: the array holds the null pointer (invariant).
        assert!(unsafe { *array.as_ptr() }.is_null());
        assert_eq!(array.iter().count(), 0);
    }
}
