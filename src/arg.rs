//! [`Arg`]: the string-like values builder methods accept, and [`ArgRef`]:
//! those accepted behind any number of references.

use alloc::borrow::{Cow, ToOwned};
use alloc::boxed::Box;
use alloc::ffi::CString;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ffi::CStr;

/// A string-like value: a program, an argument, an environment key or value,
/// a path. Linux passes bytes, so anything that is bytes works; interior NUL
/// bytes are refused by `prepare()`.
///
/// Everything std's `Command` takes as `AsRef<OsStr>` (or `AsRef<Path>`)
/// in real code works here too, so std code compiles unchanged:
///
/// - owned: `String`, `Vec<u8>`, `CString`, and with the `std` feature
///   `OsString` and `PathBuf`;
/// - borrowed, behind any number of `&` or `&mut`: everything that is
///   [`ArgRef`] — `str`, `String`, `[u8]`, `[u8; N]` (`b"bytes"`),
///   `Vec<u8>`, `CStr`, `CString`, and with `std` `OsStr`, `OsString`,
///   `Path`, `PathBuf` and a path's `Component`, `Components` and `Iter`;
///   so `&&str` (what `args(&["a", "b"])` iterates over), `&String`,
///   `&&Path` and `&PathBuf` all work;
/// - `Box`, `Rc`, `Arc` and `Cow` of any of those (`Cow<str>`,
///   `Cow<OsStr>`, `Box<Path>`, `Arc<str>`...), owned or borrowed.
///
/// Not accepted: a generic `T: AsRef<OsStr>` (a blanket impl for it would
/// overlap with the byte types; pass `value.as_ref()`, an `&OsStr`, or
/// bound the generic by `Arg`), numbers and `char`s (as with std).
///
/// ```
/// use clonexec::Command;
/// use std::borrow::Cow;
/// use std::path::PathBuf;
/// let mut cmd = Command::new("printf");
/// cmd.arg("%s %s %s %s\n")
///     .arg(b"bytes")
///     .arg(c"c-string")
///     .args(&["borrowed", "twice"]);
/// let dir = PathBuf::from("/tmp");
/// cmd.current_dir(&dir).env(Cow::Borrowed("KEY"), String::from("value"));
/// ```
pub trait Arg {
    /// The value's bytes, without a NUL terminator.
    fn into_arg_bytes(self) -> Vec<u8>;
}

/// A string-like value [`Arg`] accepts by reference (`&T`, `&&T`, ...) and
/// inside `Box`, `Rc`, `Arc` and `Cow`: implement this (rather than `Arg`)
/// for a type of your own to get all of those.
///
/// ```
/// use clonexec::{ArgRef, Command};
/// struct Name(String);
/// impl ArgRef for Name {
///     fn arg_bytes(&self) -> &[u8] {
///         self.0.as_bytes()
///     }
/// }
/// let name = Name("true".into());
/// assert!(Command::new(&name).status().unwrap().success());
/// ```
pub trait ArgRef {
    /// The value's bytes, without a NUL terminator.
    fn arg_bytes(&self) -> &[u8];
}

impl<T: ArgRef + ?Sized> ArgRef for &T {
    fn arg_bytes(&self) -> &[u8] {
        (**self).arg_bytes()
    }
}

impl<T: ArgRef + ?Sized> ArgRef for &mut T {
    fn arg_bytes(&self) -> &[u8] {
        (**self).arg_bytes()
    }
}

macro_rules! arg_ref_via {
    ($($t:ty => |$v:ident| $e:expr;)*) => {$(
        impl ArgRef for $t {
            fn arg_bytes(&self) -> &[u8] {
                let $v = self;
                $e
            }
        }
    )*};
}

arg_ref_via! {
    str => |s| s.as_bytes();
    String => |s| s.as_bytes();
    [u8] => |s| s;
    Vec<u8> => |s| s;
    CStr => |s| s.to_bytes();
    CString => |s| s.as_bytes();
}

impl<const N: usize> ArgRef for [u8; N] {
    fn arg_bytes(&self) -> &[u8] {
        self
    }
}

macro_rules! arg_ref_smart_pointer {
    ($($p:ident),*) => {$(
        impl<T: ArgRef + ?Sized> ArgRef for $p<T> {
            fn arg_bytes(&self) -> &[u8] {
                (**self).arg_bytes()
            }
        }

        impl<T: ArgRef + ?Sized> Arg for $p<T> {
            fn into_arg_bytes(self) -> Vec<u8> {
                self.arg_bytes().to_vec()
            }
        }
    )*};
}

arg_ref_smart_pointer!(Box, Rc, Arc);

impl<T: ArgRef + ToOwned + ?Sized> ArgRef for Cow<'_, T> {
    fn arg_bytes(&self) -> &[u8] {
        (**self).arg_bytes()
    }
}

impl<T: ArgRef + ToOwned + ?Sized> Arg for Cow<'_, T> {
    fn into_arg_bytes(self) -> Vec<u8> {
        self.arg_bytes().to_vec()
    }
}

impl<T: ArgRef + ?Sized> Arg for &T {
    fn into_arg_bytes(self) -> Vec<u8> {
        self.arg_bytes().to_vec()
    }
}

impl<T: ArgRef + ?Sized> Arg for &mut T {
    fn into_arg_bytes(self) -> Vec<u8> {
        self.arg_bytes().to_vec()
    }
}

// Owned values hand over their buffer.
impl Arg for String {
    fn into_arg_bytes(self) -> Vec<u8> {
        self.into_bytes()
    }
}

impl Arg for Vec<u8> {
    fn into_arg_bytes(self) -> Vec<u8> {
        self
    }
}

impl Arg for CString {
    fn into_arg_bytes(self) -> Vec<u8> {
        self.into_bytes()
    }
}

#[cfg(feature = "std")]
mod std_impls {
    use super::{Arg, ArgRef};
    use alloc::vec::Vec;
    use std::ffi::{OsStr, OsString};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Component, Components, Iter, Path, PathBuf};

    arg_ref_via! {
        OsStr => |s| s.as_bytes();
        OsString => |s| s.as_bytes();
        Path => |s| s.as_os_str().as_bytes();
        PathBuf => |s| s.as_os_str().as_bytes();
        Component<'_> => |s| s.as_os_str().as_bytes();
        Components<'_> => |s| s.as_path().as_os_str().as_bytes();
        Iter<'_> => |s| s.as_path().as_os_str().as_bytes();
    }

    impl Arg for OsString {
        fn into_arg_bytes(self) -> Vec<u8> {
            self.into_vec()
        }
    }

    impl Arg for PathBuf {
        fn into_arg_bytes(self) -> Vec<u8> {
            self.into_os_string().into_vec()
        }
    }

    // std takes these by value too (`Command::new(path.components())`).
    impl Arg for Component<'_> {
        fn into_arg_bytes(self) -> Vec<u8> {
            self.arg_bytes().to_vec()
        }
    }

    impl Arg for Components<'_> {
        fn into_arg_bytes(self) -> Vec<u8> {
            self.arg_bytes().to_vec()
        }
    }

    impl Arg for Iter<'_> {
        fn into_arg_bytes(self) -> Vec<u8> {
            self.arg_bytes().to_vec()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Arg;
    use alloc::borrow::Cow;
    use alloc::boxed::Box;
    use alloc::rc::Rc;
    use alloc::string::String;
    use alloc::sync::Arc;
    use alloc::vec;
    use alloc::vec::Vec;

    fn bytes(arg: impl Arg) -> Vec<u8> {
        arg.into_arg_bytes()
    }

    #[test]
    // The borrows are what is tested.
    #[allow(clippy::needless_borrows_for_generic_args, clippy::into_iter_on_ref)]
    fn references_of_any_depth_and_smart_pointers() {
        let s = String::from("s");
        assert_eq!(bytes(&&&s), b"s");
        assert_eq!(bytes(&mut &"m"), b"m");
        assert_eq!(bytes(b"array"), b"array");
        assert_eq!(bytes(Cow::Borrowed("cow")), b"cow");
        assert_eq!(bytes(Cow::<[u8]>::Owned(vec![1, 2])), [1, 2]);
        assert_eq!(bytes(Box::<str>::from("box")), b"box");
        assert_eq!(bytes(&Rc::<str>::from("rc")), b"rc");
        assert_eq!(bytes(Arc::<[u8]>::from(&b"arc"[..])), b"arc");
        let list = ["a", "b"];
        let got: Vec<Vec<u8>> = (&list).into_iter().map(bytes).collect();
        assert_eq!(got, [b"a", b"b"]);
    }
}
