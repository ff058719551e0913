//! `execve` and `execveat`, and the argument and environment lists they
//! take.

use core::ffi::{CStr, c_char};
use core::marker::PhantomData;
use core::mem::MaybeUninit;

use super::{CStrArray, Errno, g};

/// A `NULL`-terminated array of pointers to NUL-terminated strings, as
/// `execve` takes its `argv` and `envp`: a prepared [`CStrArray`], a short
/// list on the child's stack, or the parent's `environ` as it is at the
/// spawn.
///
/// Invariant: the pointer is null (which Linux takes as an empty list) or
/// a NULL-terminated array of pointers to NUL-terminated strings, alive for
/// `'a`.
#[derive(Clone, Copy)]
pub(crate) struct CStrPtrs<'a>(*const *const c_char, PhantomData<&'a CStr>);

/// The environment a child execs with.
pub(crate) type Envp<'a> = CStrPtrs<'a>;

impl<'a> CStrPtrs<'a> {
    /// An empty list.
    pub(crate) const EMPTY: CStrPtrs<'static> = CStrPtrs(core::ptr::null(), PhantomData);

    /// A prepared array.
    #[inline]
    pub(crate) fn of(array: &'a CStrArray) -> Self {
        CStrPtrs(array.as_ptr(), PhantomData)
    }

    /// The two strings `first` and `second`, listed in `slots`.
    #[inline]
    pub(crate) fn pair(
        slots: &'a mut [*const c_char; 3],
        first: &'a CStr,
        second: &'a CStr,
    ) -> Self {
        *slots = [first.as_ptr(), second.as_ptr(), core::ptr::null()];
        CStrPtrs(slots.as_ptr(), PhantomData)
    }
}

impl<'a> CStrPtrs<'a> {
    /// `shell script args[1..]`, as `execvp` runs a file the kernel cannot
    /// (`ENOEXEC`), listed in `slots`; `None` when they do not fit.
    #[inline]
    pub(crate) fn shell_script(
        slots: &'a mut [MaybeUninit<*const c_char>],
        shell: &'a CStr,
        script: &'a CStr,
        args: &'a CStrArray,
    ) -> Option<Self> {
        let rest = args.pointers().get(1..).unwrap_or(&[]);
        let mut slots_left = slots.iter_mut();
        for ptr in [shell.as_ptr(), script.as_ptr()]
            .into_iter()
            .chain(rest.iter().copied())
            .chain([core::ptr::null()])
        {
            slots_left.next()?.write(ptr);
        }
        // Every slot up to the null was just written, each with a pointer
        // to a NUL-terminated string borrowed for 'a (the invariant).
        Some(CStrPtrs(slots.as_ptr().cast(), PhantomData))
    }
}

#[cfg(feature = "std")]
impl CStrPtrs<'static> {
    /// The parent's environment, read from libc's `environ` now, as std's
    /// `Command` does when the environment is not changed.
    pub(crate) fn parent() -> Self {
        unsafe extern "C" {
            static environ: *const *const c_char;
        }
        // SAFETY: reading the pointer is a plain load of a libc global.
        // libc keeps `environ` (null or NULL-terminated, see the invariant)
        // valid until setenv/putenv/unsetenv change it, and std makes
        // `set_var`/`remove_var` unsafe precisely because they must not run
        // while any other thread reads the environment, as a spawning child
        // does (std's own posix_spawn path reads `environ` the same way).
        CStrPtrs(unsafe { environ }, PhantomData)
    }
}

/// `execve(path, argv, envp)`; returns only on failure.
#[inline]
pub(crate) fn execve(path: &CStr, argv: CStrPtrs<'_>, envp: Envp<'_>) -> Errno {
    // SAFETY: `path` is NUL-terminated; `argv` and `envp` are null or
    // NULL-terminated arrays of pointers to live NUL-terminated strings
    // (CStrPtrs' invariant).
    match unsafe { syscall!(g::__NR_execve, path.as_ptr(), argv.0, envp.0) } {
        Ok(_) => 0,
        Err(e) => e,
    }
}

/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`: runs the file `fd` is
/// open on; returns only on failure.
#[inline]
pub(crate) fn execveat_fd(fd: i32, argv: CStrPtrs<'_>, envp: Envp<'_>) -> Errno {
    // SAFETY: as for `execve`; the path is the empty C string, which
    // AT_EMPTY_PATH makes mean `fd` itself.
    match unsafe {
        syscall!(
            g::__NR_execveat,
            fd,
            c"".as_ptr(),
            argv.0,
            envp.0,
            g::AT_EMPTY_PATH
        )
    } {
        Ok(_) => 0,
        Err(e) => e,
    }
}
