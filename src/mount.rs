//! [`Mount`]: what the child builds in its new mount namespace, in the
//! order given, before its root changes: mounts, and the directories,
//! symlinks and files of a sandbox root; [`FileData`]: a file's contents.

use alloc::sync::Arc;
use alloc::vec::Vec;

use rustix::fd::OwnedFd;

use crate::Arg;

/// One operation on the child's filesystem view, made in its new mount
/// namespace, in the order given ([`Command::mount`]), before its root
/// changes.
///
/// Paths are in the caller's filesystem, so to build a root elsewhere,
/// name paths under it and [`pivot_root`] there; or let the child build
/// its root from an empty tmpfs ([`empty_root`]), where every path a
/// `Mount` creates or changes is a path in the new root while bind
/// sources stay paths of the caller's filesystem — bubblewrap's model:
///
/// ```
/// use clonexec::{Command, Mount, Namespaces};
/// let mut sandbox = Command::new("/bin/sh");
/// sandbox
///     .namespaces(Namespaces::MOUNT | Namespaces::PID)
///     .empty_root(true)
///     .mount(Mount::bind("/usr", "/usr").read_only())
///     .mount(Mount::symlink("usr/bin", "/bin"))
///     .mount(Mount::symlink("usr/lib", "/lib"))
///     .mount(Mount::bind("/lib64", "/lib64").read_only().optional())
///     .mount(Mount::proc("/proc"))
///     .mount(Mount::dev("/dev"))
///     .mount(Mount::tmpfs("/tmp").size(64 << 20).mode(0o1777))
///     .mount(Mount::file("/etc/hostname", "sandbox\n", 0o644));
/// ```
///
/// Whatever a mount needs is created first, with missing parent
/// directories (mode 0755, without the group or other bits that `mode`
/// lacks, as bubblewrap does): the mount point (a directory, or an empty
/// file when a bind's source is not a directory), the directory, link or
/// file itself. The modes given are exact (the child's umask is 0 while it
/// creates them). Creating something in the caller's filesystem (a path
/// outside any tmpfs of the child's) creates it there for good.
///
/// [`Command::mount`]: crate::Command::mount
/// [`pivot_root`]: crate::Command::pivot_root
/// [`empty_root`]: crate::Command::empty_root
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub(crate) kind: MountKind,
    pub(crate) target: Vec<u8>,
    pub(crate) read_only: bool,
    pub(crate) options: Option<Vec<u8>>,
    /// tmpfs size in bytes.
    pub(crate) size: Option<u64>,
    /// tmpfs root directory mode.
    pub(crate) mode: Option<u32>,
    pub(crate) optional: bool,
    /// `MS_NOSUID`, `MS_NODEV` and `MS_NOEXEC` asked for.
    pub(crate) restrict: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MountKind {
    Bind { source: Vec<u8> },
    Proc,
    Tmpfs,
    Devpts,
    Dev,
    Dir { mode: u32 },
    Symlink { points_to: Vec<u8> },
    File { data: FileData, mode: u32 },
    Chmod { mode: u32 },
    RemountReadOnly,
}

impl Mount {
    /// Binds `source` (with everything mounted below it) at `target`. The
    /// mount point is created if missing: a directory when `source` is
    /// one, else an empty file. A missing `source` fails the spawn unless
    /// the mount is [`optional`](Mount::optional).
    pub fn bind(source: impl Arg, target: impl Arg) -> Mount {
        Mount::new(
            MountKind::Bind {
                source: source.into_arg_bytes(),
            },
            target,
        )
    }

    /// A `proc` filesystem at `target` (`nosuid,nodev,noexec`); with a new
    /// PID namespace it shows the child's processes.
    pub fn proc(target: impl Arg) -> Mount {
        Mount::new(MountKind::Proc, target)
    }

    /// An empty `tmpfs` at `target` (`nosuid,nodev`); see
    /// [`size`](Mount::size) and [`mode`](Mount::mode).
    pub fn tmpfs(target: impl Arg) -> Mount {
        Mount::new(MountKind::Tmpfs, target)
    }

    /// A private `devpts` instance at `target` (`newinstance,ptmxmode=0666`).
    pub fn devpts(target: impl Arg) -> Mount {
        Mount::new(MountKind::Devpts, target)
    }

    /// A minimal `/dev` at `target`, as bubblewrap's `--dev` makes it: a
    /// tmpfs (mode 0755, `nosuid,nodev`) holding the caller's `null`,
    /// `zero`, `full`, `random`, `urandom` and `tty` device nodes (bound in:
    /// they still work), the links `stdin`, `stdout`, `stderr` and `fd`
    /// into `/proc/self/fd`, `core` to `/proc/kcore`, a directory `shm`,
    /// and a new `devpts` instance at `pts` with `ptmx` linking to
    /// `pts/ptmx`.
    ///
    /// The device nodes are copied with `open_tree` before the tmpfs hides
    /// them (Linux 5.2+), so `Mount::dev("/dev")` works in place. In a user
    /// namespace, `devpts` needs uid and gid 0 mapped.
    pub fn dev(target: impl Arg) -> Mount {
        Mount::new(MountKind::Dev, target)
    }

    /// A directory at `path` with permissions `mode` (at most `0o7777`); an
    /// existing directory is left as it is.
    pub fn dir(path: impl Arg, mode: u32) -> Mount {
        Mount::new(MountKind::Dir { mode }, path)
    }

    /// A symbolic link at `path` whose contents are `target` (relative
    /// links resolve from `path`'s directory, absolute ones from the
    /// program's root). The same link already there is fine; anything else
    /// there fails with `EEXIST`.
    pub fn symlink(target: impl Arg, path: impl Arg) -> Mount {
        Mount::new(
            MountKind::Symlink {
                points_to: target.into_arg_bytes(),
            },
            path,
        )
    }

    /// A regular file at `path` holding `data`, with permissions `mode` (at
    /// most `0o7777`; an existing file is emptied and rewritten and keeps
    /// its own). `data` is bytes, or an fd to read: it is read to its end
    /// when the command is prepared (from its start when it can seek).
    /// With [`read_only`](Mount::read_only) the file is then bound onto
    /// itself read-only, so even root in the sandbox cannot change it.
    ///
    /// ```
    /// use clonexec::Mount;
    /// let passwd = Mount::file("/etc/passwd", "user:x:1000:1000::/home/user:/bin/sh\n", 0o644);
    /// let from_fd = Mount::file("/etc/motd", std::fs::File::open("/etc/passwd").unwrap(), 0o444);
    /// ```
    pub fn file(path: impl Arg, data: impl Into<FileData>, mode: u32) -> Mount {
        Mount::new(
            MountKind::File {
                data: data.into(),
                mode,
            },
            path,
        )
    }

    /// Changes the permissions of the existing `path` to `mode` (at most
    /// `0o7777`), as bubblewrap's `--chmod`.
    pub fn chmod(path: impl Arg, mode: u32) -> Mount {
        Mount::new(MountKind::Chmod { mode }, path)
    }

    /// Makes the mount at `path` read-only, keeping its other flags; only
    /// that mount, not those below it (as `mount -o remount,ro` and
    /// bubblewrap's `--remount-ro`). `path` must be a mount point.
    pub fn remount_read_only(path: impl Arg) -> Mount {
        Mount::new(MountKind::RemountReadOnly, path)
    }

    fn new(kind: MountKind, target: impl Arg) -> Mount {
        Mount {
            kind,
            target: target.into_arg_bytes(),
            read_only: false,
            options: None,
            size: None,
            mode: None,
            optional: false,
            restrict: 0,
        }
    }

    /// Makes the mount read-only. A bind mount is read-only all the way
    /// down: every mount below its source is too (`mount_setattr` with
    /// `AT_RECURSIVE`; before Linux 5.12, each one is remounted read-only,
    /// as listed in the caller's `/proc/self/mountinfo` when the command is
    /// prepared). A remount keeps the flags the kernel locks in a user
    /// namespace (`nosuid`, `nodev`, `noexec`, atime).
    pub fn read_only(mut self) -> Mount {
        self.read_only = true;
        self
    }

    /// `nosuid`: set-user-id bits and file capabilities give nothing on
    /// this mount (for a bind, on every mount below it too).
    pub fn nosuid(mut self) -> Mount {
        self.restrict |= linux_raw_sys::general::MS_NOSUID;
        self
    }

    /// `nodev`: device files cannot be opened on this mount (for a bind, on
    /// every mount below it too).
    pub fn nodev(mut self) -> Mount {
        self.restrict |= linux_raw_sys::general::MS_NODEV;
        self
    }

    /// `noexec`: nothing on this mount can be executed (for a bind, on
    /// every mount below it too).
    pub fn noexec(mut self) -> Mount {
        self.restrict |= linux_raw_sys::general::MS_NOEXEC;
        self
    }

    /// A bind mount whose source is missing is skipped instead of failing
    /// the spawn (bubblewrap's `--bind-try`). Only for binds.
    pub fn optional(mut self) -> Mount {
        self.optional = true;
        self
    }

    /// The tmpfs's size limit, in bytes (the kernel's default is half of
    /// the RAM). Only for [`tmpfs`](Mount::tmpfs).
    pub fn size(mut self, bytes: u64) -> Mount {
        self.size = Some(bytes);
        self
    }

    /// The permissions of the tmpfs's root directory (at most `0o7777`;
    /// the kernel's default is `0o1777`). Only for [`tmpfs`](Mount::tmpfs).
    pub fn mode(mut self, mode: u32) -> Mount {
        self.mode = Some(mode);
        self
    }

    /// Filesystem options (the `data` argument of `mount(2)`, e.g.
    /// `"size=64m,mode=755"` for tmpfs), for `proc`, `tmpfs` and `devpts`.
    /// Replaces the defaults; [`size`](Mount::size) and
    /// [`mode`](Mount::mode) are added after them.
    pub fn options(mut self, options: impl Arg) -> Mount {
        self.options = Some(options.into_arg_bytes());
        self
    }
}

/// The contents of a file made by [`Mount::file`]: bytes, or an fd whose
/// contents are read when the command is prepared.
///
/// ```
/// use clonexec::FileData;
/// let from_text = FileData::from("hello\n");
/// let from_bytes = FileData::from(vec![0u8; 16]);
/// let from_fd = FileData::from(std::fs::File::open("/etc/passwd").unwrap());
/// ```
#[derive(Clone)]
pub struct FileData(pub(crate) FileSource);

#[derive(Clone)]
pub(crate) enum FileSource {
    Bytes(Vec<u8>),
    /// Shared so that a `Mount` stays `Clone`; read by `prepare()`.
    Fd(Arc<OwnedFd>),
}

impl core::fmt::Debug for FileData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.0 {
            FileSource::Bytes(bytes) => write!(f, "FileData({} bytes)", bytes.len()),
            FileSource::Fd(fd) => {
                write!(f, "FileData(fd {})", rustix::fd::AsRawFd::as_raw_fd(&**fd))
            }
        }
    }
}

/// Equal bytes, or the same fd (the same `FileData`, or clones of it).
impl PartialEq for FileData {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (FileSource::Bytes(a), FileSource::Bytes(b)) => a == b,
            (FileSource::Fd(a), FileSource::Fd(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for FileData {}

impl From<Vec<u8>> for FileData {
    fn from(bytes: Vec<u8>) -> Self {
        FileData(FileSource::Bytes(bytes))
    }
}

impl From<&[u8]> for FileData {
    fn from(bytes: &[u8]) -> Self {
        FileData::from(bytes.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for FileData {
    fn from(bytes: &[u8; N]) -> Self {
        FileData::from(bytes.to_vec())
    }
}

impl From<&str> for FileData {
    fn from(text: &str) -> Self {
        FileData::from(text.as_bytes())
    }
}

impl From<alloc::string::String> for FileData {
    fn from(text: alloc::string::String) -> Self {
        FileData::from(text.into_bytes())
    }
}

impl From<OwnedFd> for FileData {
    fn from(fd: OwnedFd) -> Self {
        FileData(FileSource::Fd(Arc::new(fd)))
    }
}

#[cfg(feature = "std")]
impl From<std::fs::File> for FileData {
    fn from(file: std::fs::File) -> Self {
        FileData::from(OwnedFd::from(file))
    }
}
