//! Text the child formats on its stack: decimal numbers, id map lines,
//! `/proc/self/fd/N` paths. No allocation, no panic.

use core::ffi::CStr;

/// Appends bytes to a fixed buffer without allocating or panicking; what
/// does not fit is dropped.
struct ByteWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> ByteWriter<'a> {
    #[inline]
    fn new(buf: &'a mut [u8]) -> Self {
        ByteWriter { buf, len: 0 }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = byte;
                self.len = self.len.wrapping_add(1);
            }
        }
    }

    /// `n` in decimal.
    #[inline]
    fn put_decimal(&mut self, mut n: u32) {
        let mut digits = [0u8; 10]; // u32::MAX has 10
        let mut first = digits.len();
        loop {
            first = first.wrapping_sub(1);
            if let Some(slot) = digits.get_mut(first) {
                *slot = b'0'.wrapping_add((n % 10) as u8);
            }
            n /= 10;
            if n == 0 || first == 0 {
                break;
            }
        }
        self.put(digits.get(first..).unwrap_or(&[]));
    }

    #[inline]
    fn written(self) -> &'a [u8] {
        let buf: &'a [u8] = self.buf;
        buf.get(..self.len).unwrap_or(&[])
    }
}

/// Formats `"INSIDE OUTSIDE 1\n"` into `buf` without allocating.
#[inline]
pub(super) fn map_line(buf: &mut [u8; 32], inside: u32, outside: u32) -> &[u8] {
    let mut w = ByteWriter::new(buf);
    w.put_decimal(inside);
    w.put(b" ");
    w.put_decimal(outside);
    w.put(b" 1\n");
    w.written()
}

/// `prefix` followed by `n` in decimal, as a C string in `buf`, without
/// allocating (what does not fit is cut, and an empty string is returned if
/// even the NUL does not fit or the prefix holds a NUL).
#[inline]
pub(super) fn decimal_cstr<'b>(buf: &'b mut [u8; 32], prefix: &[u8], n: u32) -> &'b CStr {
    let mut w = ByteWriter::new(buf);
    w.put(prefix);
    w.put_decimal(n);
    w.put(b"\0");
    let bytes = w.written();
    match bytes.iter().position(|&b| b == 0) {
        // SAFETY: the only NUL is the last byte. (`CStr::from_bytes_until_nul`
        // is an out-of-line call the compiler cannot prove free of
        // unwinding, which no-panic.sh refuses.)
        Some(nul) if nul.wrapping_add(1) == bytes.len() => unsafe {
            CStr::from_bytes_with_nul_unchecked(bytes)
        },
        _ => c"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_cstr_formats_without_allocating() {
        let mut buf = [0u8; 32];
        let proc_fd = b"/proc/self/fd/";
        assert_eq!(decimal_cstr(&mut buf, proc_fd, 0), c"/proc/self/fd/0");
        assert_eq!(decimal_cstr(&mut buf, proc_fd, 1234), c"/proc/self/fd/1234");
        assert_eq!(
            decimal_cstr(&mut buf, proc_fd, u32::MAX),
            c"/proc/self/fd/4294967295"
        );
        assert_eq!(decimal_cstr(&mut buf, b"", 2), c"2");
        // Too long, or a NUL in the prefix: the empty string.
        assert_eq!(decimal_cstr(&mut buf, &[b'x'; 30], 123), c"");
        assert_eq!(decimal_cstr(&mut buf, b"a\0b", 1), c"");
    }

    #[test]
    fn map_line_formats_without_allocating() {
        let mut buf = [0u8; 32];
        assert_eq!(map_line(&mut buf, 0, 0), b"0 0 1\n");
        assert_eq!(map_line(&mut buf, 1000, 0), b"1000 0 1\n");
        assert_eq!(
            map_line(&mut buf, u32::MAX, u32::MAX),
            b"4294967295 4294967295 1\n"
        );
    }
}
