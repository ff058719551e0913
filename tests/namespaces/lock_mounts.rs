//! lock_mounts(true): mounts made before it cannot be undone one by one.

use crate::common;

use clonexec::{Command, Mount, Namespaces};
use common::TempDir;

/// Runs `umount DIR` in a child that mounted a tmpfs on DIR, with or
/// without lock_mounts, and returns whether the unmount succeeded.
fn child_can_unmount(dir: &TempDir, lock: bool) -> bool {
    let script = format!("umount {} 2>/dev/null", dir.path().display());
    let status = Command::new("sh")
        .args(["-c", &script])
        .namespaces(Namespaces::MOUNT)
        .mount(Mount::tmpfs(dir.path()))
        .lock_mounts(lock)
        .status()
        .unwrap();
    status.success()
}

#[test]
fn lock_mounts_keeps_the_program_from_unmounting() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "lock_mounts_keeps_the_program_from_unmounting",
        "needs a mount namespace, and clone refuses CLONE_NEW* flags (EINVAL)",
    ) {
        return;
    }
    if common::skip_unless_root("lock_mounts_keeps_the_program_from_unmounting") {
        return;
    }
    let dir = TempDir::new("lock-mounts");
    // The same program can unmount its tmpfs without the lock...
    assert!(
        child_can_unmount(&dir, false),
        "control: unmount should work unlocked"
    );
    // ...and cannot with it.
    assert!(
        !child_can_unmount(&dir, true),
        "a locked mount was unmounted"
    );
}

#[test]
fn lock_mounts_maps_only_the_childs_ids() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "lock_mounts_maps_only_the_childs_ids",
        "needs a mount namespace, and clone refuses CLONE_NEW* flags (EINVAL)",
    ) {
        return;
    }
    if common::skip_unless_root("lock_mounts_maps_only_the_childs_ids") {
        return;
    }
    let out = Command::new("cat")
        .args([
            "/proc/self/uid_map",
            "/proc/self/gid_map",
            "/proc/self/setgroups",
        ])
        .namespaces(Namespaces::MOUNT)
        .lock_mounts(true)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields, ["0", "0", "1", "0", "0", "1", "deny"], "{text}");
}

#[test]
fn lock_mounts_is_refused_without_a_mount_namespace_or_with_a_uid_change() {
    let _guard = common::shared();
    let err = Command::new("true")
        .lock_mounts(true)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("lock_mounts"), "{err}");

    let err = Command::new("true")
        .namespaces(Namespaces::MOUNT)
        .lock_mounts(true)
        .uid(65534)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("uid()"), "{err}");

    let err = Command::new("true")
        .namespaces(Namespaces::MOUNT)
        .lock_mounts(true)
        .chroot("/")
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("pivot_root"), "{err}");
}
