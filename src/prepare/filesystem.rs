//! The filesystem view: mount propagation, mounts, the root change and
//! locking the mounts.

use alloc::ffi::CString;
use alloc::vec::Vec;

use linux_raw_sys::general as g;

use super::Lowering;
use crate::mount::MountKind;
use crate::plan::{FilesystemPlan, MountPlan};
use crate::spec::Spec;
use crate::{Error, Namespaces};

/// `in_effect`: the namespaces the child is in that are not the caller's.
pub(super) fn lower(
    spec: &Spec,
    in_effect: Namespaces,
    cx: &Lowering<'_>,
) -> Result<FilesystemPlan, Error> {
    let need_mount_ns = |what: &str| {
        if in_effect.contains(Namespaces::MOUNT) {
            Ok(())
        } else {
            Err(cx.invalid(alloc::format!(
                "{what} needs a new or joined mnt namespace (it would change the caller's)"
            )))
        }
    };
    if !spec.mounts.is_empty() {
        need_mount_ns("mount()")?;
    }
    if spec.mount_propagation.is_some() {
        need_mount_ns("mount_propagation()")?;
    }
    if spec.pivot_root.is_some() {
        need_mount_ns("pivot_root()")?;
    }
    if spec.lock_mounts {
        need_mount_ns("lock_mounts(true)")?;
        if spec.chroot.is_some() {
            // create_user_ns() refuses a chrooted task.
            return Err(cx.invalid(
                "lock_mounts(true) cannot follow chroot(): the kernel refuses a new user namespace in \
                 a chroot; use pivot_root() instead",
            ));
        }
        if spec.uid.is_some() || spec.gid.is_some() {
            // After a uid change the task is non-dumpable, so its
            // /proc/self/*_map files belong to root and it cannot write its
            // own maps; making it dumpable again would let the new uid
            // ptrace a process that shares the caller's memory.
            return Err(cx.invalid(
                "lock_mounts(true) cannot be combined with uid()/gid(): after the uid change the child \
                 cannot write its own id maps; map the ids you want with uid_map()/gid_map() instead",
            ));
        }
    }
    if spec.pivot_root.is_some() && spec.chroot.is_some() {
        return Err(cx.invalid("chroot() and pivot_root() cannot both change the root"));
    }

    let propagation = if spec.namespaces.contains(Namespaces::MOUNT) {
        spec.mount_propagation.unwrap_or_default().mount_flags()
    } else {
        spec.mount_propagation.and_then(|p| p.mount_flags())
    };
    let mounts = spec
        .mounts
        .iter()
        .map(|mount| lower_mount(mount, cx))
        .collect::<Result<Vec<_>, _>>()?;
    let chroot = spec
        .chroot
        .as_deref()
        .map(|d| cx.c_string(d, "the chroot directory"))
        .transpose()?;
    let pivot_root = spec
        .pivot_root
        .as_deref()
        .map(|d| cx.c_string(d, "the new root"))
        .transpose()?;
    Ok(FilesystemPlan {
        propagation,
        mounts,
        chroot,
        pivot_root,
        lock_mounts: spec.lock_mounts,
    })
}

/// One mount, as `mount(2)` takes it.
fn lower_mount(mount: &crate::Mount, cx: &Lowering<'_>) -> Result<MountPlan, Error> {
    let target = cx.c_string(&mount.target, "a mount target")?;
    let data = mount
        .options
        .as_deref()
        .map(|o| cx.c_string(o, "mount options"))
        .transpose()?;
    let read_only = if mount.read_only { g::MS_RDONLY } else { 0 };
    let named = |name: &core::ffi::CStr| Some(CString::from(name));
    let (source, fstype, flags, data, remount_read_only) = match &mount.kind {
        MountKind::Bind { source } => (
            Some(cx.c_string(source, "a bind mount source")?),
            None,
            g::MS_BIND | g::MS_REC,
            data,
            mount.read_only,
        ),
        MountKind::Proc => (
            named(c"proc"),
            named(c"proc"),
            g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC | read_only,
            data,
            false,
        ),
        MountKind::Tmpfs => (
            named(c"tmpfs"),
            named(c"tmpfs"),
            g::MS_NOSUID | g::MS_NODEV | read_only,
            data,
            false,
        ),
        MountKind::Devpts => (
            named(c"devpts"),
            named(c"devpts"),
            g::MS_NOSUID | g::MS_NOEXEC | read_only,
            data.or_else(|| named(c"newinstance,ptmxmode=0666,mode=620")),
            false,
        ),
    };
    Ok(MountPlan {
        source,
        target,
        fstype,
        flags,
        data,
        remount_read_only,
    })
}
