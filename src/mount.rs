//! [`Mount`]: filesystems to mount in the child's new mount namespace,
//! before its root changes.

use alloc::vec::Vec;

use crate::Arg;

/// A mount the child makes in its new mount namespace, in the order given,
/// before `chroot`/`pivot_root` (so targets are paths in the old root; to
/// mount inside the new root, name the target under it).
///
/// ```
/// use clonexec::Mount;
/// let mounts = [
///     Mount::bind("/usr", "/srv/root/usr").read_only(),
///     Mount::proc("/srv/root/proc"),
///     Mount::tmpfs("/srv/root/tmp").options("size=64m,mode=1777"),
///     Mount::devpts("/srv/root/dev/pts"),
/// ];
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub(crate) kind: MountKind,
    pub(crate) target: Vec<u8>,
    pub(crate) read_only: bool,
    pub(crate) options: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MountKind {
    Bind { source: Vec<u8> },
    Proc,
    Tmpfs,
    Devpts,
}

impl Mount {
    /// Binds `source` (with everything mounted below it) at `target`.
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

    /// An empty `tmpfs` at `target` (`nosuid,nodev`).
    pub fn tmpfs(target: impl Arg) -> Mount {
        Mount::new(MountKind::Tmpfs, target)
    }

    /// A private `devpts` instance at `target` (`newinstance,ptmxmode=0666`).
    pub fn devpts(target: impl Arg) -> Mount {
        Mount::new(MountKind::Devpts, target)
    }

    fn new(kind: MountKind, target: impl Arg) -> Mount {
        Mount {
            kind,
            target: target.into_arg_bytes(),
            read_only: false,
            options: None,
        }
    }

    /// Makes the mount read-only. A bind mount is remounted read-only with
    /// its other flags (`nosuid`, `nodev`, `noexec`, atime) kept, as the
    /// kernel requires inside a user namespace.
    pub fn read_only(mut self) -> Mount {
        self.read_only = true;
        self
    }

    /// Filesystem options (the `data` argument of `mount(2)`, e.g.
    /// `"size=64m,mode=755"` for tmpfs). Replaces the defaults.
    pub fn options(mut self, options: impl Arg) -> Mount {
        self.options = Some(options.into_arg_bytes());
        self
    }
}
