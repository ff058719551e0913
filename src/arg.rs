//! [`Arg`]: the string-like values builder methods accept.

use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::CStr;

/// A string-like value: a program, an argument, an environment key or value,
/// a path. Linux passes bytes, so anything that is bytes works; interior NUL
/// bytes are refused by `prepare()`.
///
/// Implemented for `&str`, `String`, `&String`, `&[u8]`, `Vec<u8>`,
/// `&Vec<u8>`, `&CStr`, `CString`, `&CString`, and with the `std` feature
/// for `&OsStr`, `OsString`, `&OsString`, `&Path`, `PathBuf`, `&PathBuf`.
///
/// ```
/// use clonexec::Command;
/// let mut cmd = Command::new("printf");
/// cmd.arg("%s\n").arg(b"bytes".as_slice()).arg(c"c-string");
/// ```
pub trait Arg {
    /// The value's bytes, without a NUL terminator.
    fn into_arg_bytes(self) -> Vec<u8>;
}

macro_rules! arg_via {
    ($($t:ty => |$v:ident| $e:expr;)*) => {$(
        impl Arg for $t {
            fn into_arg_bytes(self) -> Vec<u8> {
                let $v = self;
                $e
            }
        }
    )*};
}

arg_via! {
    &str => |s| s.as_bytes().to_vec();
    String => |s| s.into_bytes();
    &String => |s| s.as_bytes().to_vec();
    &[u8] => |s| s.to_vec();
    Vec<u8> => |s| s;
    &Vec<u8> => |s| s.clone();
    &CStr => |s| s.to_bytes().to_vec();
    CString => |s| s.into_bytes();
    &CString => |s| s.as_bytes().to_vec();
}

#[cfg(feature = "std")]
mod std_impls {
    use super::Arg;
    use alloc::vec::Vec;
    use std::ffi::{OsStr, OsString};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    arg_via! {
        &OsStr => |s| s.as_bytes().to_vec();
        OsString => |s| s.into_vec();
        &OsString => |s| s.as_bytes().to_vec();
        &Path => |s| s.as_os_str().as_bytes().to_vec();
        PathBuf => |s| s.into_os_string().into_vec();
        &PathBuf => |s| s.as_os_str().as_bytes().to_vec();
    }
}
