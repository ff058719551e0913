//! What a [`Command`] says about itself: std's getters (`get_program`,
//! `get_args`, `get_envs`, `get_current_dir`) and a `Debug` that prints
//! what std's prints for the same command.

use core::fmt::{self, Debug, Formatter, Write};

use crate::stdio::StdioKind;
use crate::{Command, Namespaces, SeccompFlags};

#[cfg(feature = "std")]
mod getters {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    use alloc::vec::Vec;

    use super::{Bytes, Debug, Formatter, fmt};
    use crate::Command;

    impl Command {
        /// The program given to [`Command::new`] (for
        /// [`Command::from_fd`], the path the fd was opened with).
        ///
        /// ```
        /// use clonexec::Command;
        /// assert_eq!(Command::new("echo").get_program(), "echo");
        /// ```
        pub fn get_program(&self) -> &OsStr {
            OsStr::from_bytes(&self.spec.program)
        }

        /// The arguments, without the program or argv\[0\].
        ///
        /// ```
        /// use clonexec::Command;
        /// use std::ffi::OsStr;
        /// let mut cmd = Command::new("echo");
        /// cmd.arg("first").arg("second");
        /// let args: Vec<&OsStr> = cmd.get_args().collect();
        /// assert_eq!(args, &["first", "second"]);
        /// ```
        pub fn get_args(&self) -> CommandArgs<'_> {
            CommandArgs {
                inner: self.spec.args.iter(),
            }
        }

        /// The environment changes, sorted by name, one per name: `Some`
        /// for a variable set with `env`/`envs`, `None` for one removed
        /// with `env_remove` (a removal after `env_clear` leaves nothing).
        /// The inherited environment is not included.
        ///
        /// ```
        /// use clonexec::Command;
        /// use std::ffi::OsStr;
        /// let mut cmd = Command::new("ls");
        /// cmd.env("TERM", "dumb").env_remove("TZ");
        /// let envs: Vec<(&OsStr, Option<&OsStr>)> = cmd.get_envs().collect();
        /// assert_eq!(envs, &[
        ///     (OsStr::new("TERM"), Some(OsStr::new("dumb"))),
        ///     (OsStr::new("TZ"), None),
        /// ]);
        /// ```
        pub fn get_envs(&self) -> CommandEnvs<'_> {
            CommandEnvs {
                iter: self.spec.env_changes.iter(),
            }
        }

        /// Whether [`Command::env_clear`] was called (std's unstable
        /// `get_env_clear`).
        pub fn get_env_clear(&self) -> bool {
            self.spec.env_clear
        }

        /// The working directory set with [`Command::current_dir`].
        ///
        /// ```
        /// use clonexec::Command;
        /// use std::path::Path;
        /// let mut cmd = Command::new("ls");
        /// assert_eq!(cmd.get_current_dir(), None);
        /// cmd.current_dir("/bin");
        /// assert_eq!(cmd.get_current_dir(), Some(Path::new("/bin")));
        /// ```
        pub fn get_current_dir(&self) -> Option<&Path> {
            self.spec
                .current_dir
                .as_deref()
                .map(|dir| Path::new(OsStr::from_bytes(dir)))
        }
    }

    /// The arguments of a command, from [`Command::get_args`].
    #[must_use = "iterators are lazy and do nothing unless consumed"]
    pub struct CommandArgs<'a> {
        inner: core::slice::Iter<'a, Vec<u8>>,
    }

    impl<'a> Iterator for CommandArgs<'a> {
        type Item = &'a OsStr;

        fn next(&mut self) -> Option<&'a OsStr> {
            self.inner.next().map(|arg| OsStr::from_bytes(arg))
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            self.inner.size_hint()
        }
    }

    impl ExactSizeIterator for CommandArgs<'_> {
        fn len(&self) -> usize {
            self.inner.len()
        }
    }

    impl Debug for CommandArgs<'_> {
        /// `CommandArgs { inner: ["a", "b"] }`, as std prints it.
        fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
            let list = self.inner.as_slice();
            let inner = super::WithFmt(|f: &mut Formatter<'_>| {
                f.debug_list()
                    .entries(list.iter().map(|a| Bytes::c_str(a)))
                    .finish()
            });
            f.debug_struct("CommandArgs")
                .field("inner", &inner)
                .finish()
        }
    }

    /// The environment changes of a command, from [`Command::get_envs`].
    #[must_use = "iterators are lazy and do nothing unless consumed"]
    pub struct CommandEnvs<'a> {
        iter: alloc::collections::btree_map::Iter<'a, Vec<u8>, Option<Vec<u8>>>,
    }

    impl<'a> Iterator for CommandEnvs<'a> {
        type Item = (&'a OsStr, Option<&'a OsStr>);

        fn next(&mut self) -> Option<Self::Item> {
            self.iter
                .next()
                .map(|(k, v)| (OsStr::from_bytes(k), v.as_deref().map(OsStr::from_bytes)))
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            self.iter.size_hint()
        }
    }

    impl ExactSizeIterator for CommandEnvs<'_> {
        fn len(&self) -> usize {
            self.iter.len()
        }
    }

    impl Debug for CommandEnvs<'_> {
        /// `CommandEnvs { iter: [("K", Some("v"))] }`, as std prints it.
        fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
            let iter = super::WithFmt(|f: &mut Formatter<'_>| {
                let pairs = self
                    .iter
                    .clone()
                    .map(|(k, v)| (Bytes::os_str(k), v.as_deref().map(Bytes::os_str)));
                f.debug_list().entries(pairs).finish()
            });
            f.debug_struct("CommandEnvs").field("iter", &iter).finish()
        }
    }
}

#[cfg(feature = "std")]
pub use getters::{CommandArgs, CommandEnvs};

/// A byte string, printed the way std prints it in a command's `Debug`.
#[derive(Clone, Copy)]
struct Bytes<'a> {
    bytes: &'a [u8],
    style: Style,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// A `CString` (program, argv, working directory): std's `ByteStr`
    /// escapes, and `"<string-with-nul>"`, what std keeps for a value with
    /// a NUL byte.
    CStr,
    /// An `OsStr` (environment, `get_args` items): `str`'s escapes, and
    /// `\xFF` for a byte that is not UTF-8.
    OsStr,
}

impl<'a> Bytes<'a> {
    fn c_str(bytes: &'a [u8]) -> Self {
        Bytes {
            bytes,
            style: Style::CStr,
        }
    }

    fn os_str(bytes: &'a [u8]) -> Self {
        Bytes {
            bytes,
            style: Style::OsStr,
        }
    }
}

impl Debug for Bytes<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.style == Style::CStr && self.bytes.contains(&0) {
            return f.write_str("\"<string-with-nul>\"");
        }
        f.write_char('"')?;
        for chunk in self.bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                match (self.style, c) {
                    (Style::CStr, '\x01'..='\x7f') => write!(f, "{}", (c as u8).escape_ascii())?,
                    (Style::OsStr, '\'') => f.write_char(c)?,
                    _ => write!(f, "{}", c.escape_debug())?,
                }
            }
            for &b in chunk.invalid() {
                match self.style {
                    Style::CStr => write!(f, "\\x{b:02x}")?,
                    Style::OsStr => write!(f, "\\x{b:02X}")?,
                }
            }
        }
        f.write_char('"')
    }
}

/// Any formatting closure as a `Debug` value, for nested builders.
struct WithFmt<F: Fn(&mut Formatter<'_>) -> fmt::Result>(F);

impl<F: Fn(&mut Formatter<'_>) -> fmt::Result> Debug for WithFmt<F> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

/// A stdio setting as std's `Debug` of a command shows it.
struct StdioShown<'a>(&'a StdioKind);

impl Debug for StdioShown<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            StdioKind::Inherit => f.write_str("Inherit"),
            StdioKind::Null => f.write_str("Null"),
            StdioKind::Piped => f.write_str("MakePipe"),
            StdioKind::Fd(fd) => {
                let file_desc = WithFmt(|f| f.debug_tuple("FileDesc").field(fd).finish());
                f.debug_tuple("Fd").field(&file_desc).finish()
            }
            #[cfg(feature = "std")]
            StdioKind::Parent(raw) => {
                let borrowed = WithFmt(|f| f.debug_struct("BorrowedFd").field("fd", raw).finish());
                f.debug_tuple("StaticFd").field(&borrowed).finish()
            }
        }
    }
}

/// Whether an attribute holds something other than its default, for the
/// attributes std's `Debug` does not know.
trait IsSet {
    fn is_set(&self) -> bool;
}

impl IsSet for bool {
    fn is_set(&self) -> bool {
        *self
    }
}

impl<T> IsSet for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

impl<T> IsSet for alloc::vec::Vec<T> {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl IsSet for Namespaces {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl IsSet for SeccompFlags {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl Debug for Command {
    /// As std's (1.95): `{:?}` is the command line as a shell would read
    /// it, with the working directory and the environment changes,
    /// `cd "/dir" && env -u GONE KEY="value" "program" "arg"` (argv\[0\] in
    /// brackets before it when `arg0` changed it); `{:#?}` is a `Command {
    /// program, args, env, cwd, uid, gid, groups, stdin, stdout, stderr,
    /// pgroup, create_pidfd }` struct with std's field names, followed by
    /// the attributes std does not have (named after their methods), when
    /// set.
    ///
    /// ```
    /// use clonexec::Command;
    /// let mut cmd = Command::new("ls");
    /// cmd.arg("-l").current_dir("/tmp").env("LANG", "C").env_remove("TZ");
    /// assert_eq!(format!("{cmd:?}"), r#"cd "/tmp" && env -u TZ LANG="C" "ls" "-l""#);
    /// ```
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let spec = &self.spec;
        let arg0 = spec.arg0.as_deref().unwrap_or(&spec.program);
        if !f.alternate() {
            if let Some(cwd) = &spec.current_dir {
                write!(f, "cd {:?} && ", Bytes::c_str(cwd))?;
            }
            if spec.env_clear {
                f.write_str("env -i ")?;
            } else if spec.env_changes.values().any(Option::is_none) {
                f.write_str("env ")?;
                for (key, _) in spec.env_changes.iter().filter(|(_, v)| v.is_none()) {
                    write!(f, "-u {} ", alloc::string::String::from_utf8_lossy(key))?;
                }
            }
            for (key, value) in &spec.env_changes {
                if let Some(value) = value {
                    let key = alloc::string::String::from_utf8_lossy(key);
                    write!(f, "{key}={:?} ", Bytes::os_str(value))?;
                }
            }
            // std compares the stored C strings: two values with NUL bytes
            // both became "<string-with-nul>".
            fn shown(b: &[u8]) -> &[u8] {
                if b.contains(&0) { b"\0" } else { b }
            }
            if shown(&spec.program) != shown(arg0) {
                write!(f, "[{:?}] ", Bytes::c_str(&spec.program))?;
            }
            write!(f, "{:?}", Bytes::c_str(arg0))?;
            for arg in &spec.args {
                let arg: &[u8] = if arg.contains(&0) {
                    b"<string-with-nul>"
                } else {
                    arg
                };
                write!(f, " {:?}", Bytes::os_str(arg))?;
            }
            return Ok(());
        }

        let mut s = f.debug_struct("Command");
        s.field("program", &Bytes::c_str(&spec.program));
        let args = WithFmt(|f| {
            f.debug_list()
                .entry(&Bytes::c_str(arg0))
                .entries(spec.args.iter().map(|a| Bytes::c_str(a)))
                .finish()
        });
        s.field("args", &args);
        if spec.env_clear || !spec.env_changes.is_empty() {
            let vars = WithFmt(|f| {
                f.debug_map()
                    .entries(
                        spec.env_changes
                            .iter()
                            .map(|(k, v)| (Bytes::os_str(k), v.as_deref().map(Bytes::os_str))),
                    )
                    .finish()
            });
            let env = WithFmt(|f| {
                f.debug_struct("CommandEnv")
                    .field("clear", &spec.env_clear)
                    .field("vars", &vars)
                    .finish()
            });
            s.field("env", &env);
        }
        if let Some(cwd) = &spec.current_dir {
            s.field("cwd", &Some(Bytes::c_str(cwd)));
        }
        if spec.uid.is_some() {
            s.field("uid", &spec.uid);
        }
        if spec.gid.is_some() {
            s.field("gid", &spec.gid);
        }
        if spec.groups.is_some() {
            s.field("groups", &spec.groups);
        }
        for (name, stdio) in ["stdin", "stdout", "stderr"].iter().zip(&spec.stdio) {
            if let Some(stdio) = stdio {
                s.field(name, &Some(StdioShown(&stdio.0)));
            }
        }
        if spec.process_group.is_some() {
            s.field("pgroup", &spec.process_group);
        }
        s.field("create_pidfd", &spec.create_pidfd);

        // What std does not have, when set, named after the methods.
        macro_rules! extras {
            ($($name:literal: $field:ident),* $(,)?) => {$(
                if spec.$field.is_set() {
                    s.field($name, &spec.$field);
                }
            )*};
        }
        macro_rules! extra_strings {
            ($($name:literal: $field:ident),* $(,)?) => {$(
                if let Some(value) = &spec.$field {
                    s.field($name, &Some(Bytes::c_str(value)));
                }
            )*};
        }
        extras! {
            "from_fd": program_fd,
            "fd": fds,
            "close_other_fds": close_other_fds,
            "keep_groups": keep_groups,
            "setsid": setsid,
            "setsid_if_tty": setsid_if_tty,
            "foreground": foreground,
            "controlling_tty": controlling_tty,
            "no_controlling_tty": no_controlling_tty,
            "pdeathsig": pdeathsig,
            "signal_mask": signal_mask,
            "reset_ignored_signals": reset_ignored_signals,
            "ptrace_traceme": ptrace_traceme,
            "ambient_caps": ambient_caps,
            "capabilities": capabilities,
            "bounding_set": bounding_set,
            "securebits": securebits,
            "no_new_privs": no_new_privs,
            "seccomp_filter": seccomp_filter,
            "seccomp_flags": seccomp_flags,
            "new_session_keyring": new_session_keyring,
            "rlimit": rlimits,
            "oom_score_adj": oom_score_adj,
            "personality": personality,
            "namespaces": namespaces,
            "uid_map": uid_map,
            "gid_map": gid_map,
            "allow_setgroups": allow_setgroups,
            "id_map_helpers": id_map_helpers,
            "join_namespace": join_namespaces,
            "cgroup": cgroup,
            "mount_propagation": mount_propagation,
            "loopback_up": loopback_up,
            "mount": mounts,
            "pid1_init": pid1_init,
            "lock_mounts": lock_mounts,
        }
        extra_strings! {
            "hostname": hostname,
            "domainname": domainname,
            "chroot": chroot,
            "pivot_root": pivot_root,
        }
        s.finish()
    }
}
