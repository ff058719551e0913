//! lock_mounts(true): mounts made before it cannot be undone one by one.

use crate::common;

use clonexec::{Command, IdMap, Mount, Namespaces};
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

/// In a new user namespace, uid() and gid() with lock_mounts are the
/// program's ids in the nested namespace, over the child's: the outer map
/// can hold uid 0 (which devpts needs) and the program still runs as 1000.
#[test]
fn lock_mounts_with_ids_maps_them_in_the_nested_namespace() {
    let _guard = common::shared();
    if common::skip_unless_namespaces("lock_mounts_with_ids_maps_them_in_the_nested_namespace") {
        return;
    }
    let dir = TempDir::new("lock-mounts-ids");
    let script = "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; \
                  stat -f -c %T \"$0\"";
    let out = Command::new("sh")
        .args(["-c", script, &dir.path().display().to_string()])
        .namespaces(Namespaces::USER | Namespaces::MOUNT)
        .uid_map([IdMap::new(0, 0, 1)])
        .gid_map([IdMap::new(0, 0, 1)])
        .mount(Mount::devpts(dir.path()))
        .lock_mounts(true)
        .uid(1000)
        .gid(1001)
        .output()
        .unwrap();
    common::assert_success(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(
        fields,
        ["1000", "1001", "1000", "0", "1", "1001", "0", "1", "devpts"],
        "{text}"
    );
}

#[test]
fn disable_user_namespaces_keeps_the_program_from_making_one() {
    let _guard = common::shared();
    if common::skip_unless_namespaces("disable_user_namespaces_keeps_the_program_from_making_one") {
        return;
    }
    let run = |disable: bool| {
        Command::new("unshare")
            .args(["--user", "true"])
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 0, 1)])
            .gid_map([IdMap::new(0, 0, 1)])
            .disable_user_namespaces(disable)
            .output()
            .unwrap()
    };
    // Control: the same program makes one when it is not disabled.
    common::assert_success(&run(false));
    let out = run(true);
    assert!(!out.status.success(), "unshare --user succeeded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");

    let err = Command::new("true")
        .disable_user_namespaces(true)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(
        err.to_string()
            .contains("needs namespaces(Namespaces::USER)"),
        "{err}"
    );
}
