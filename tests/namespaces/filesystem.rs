//! The child's filesystem view: mounts made in its new mount namespace
//! (which must never reach the test process, even from a shared root),
//! bind, tmpfs, proc and devpts mounts, `chroot` and `pivot_root` into a
//! root holding nothing but two hand-made static programs.
//!
//! These need root and the real kernel (not qemu-user); without them they
//! say so and pass. Mounts are only ever made inside new mount namespaces.
//! The propagation test re-runs this test binary (the ignored `fs_helper`
//! test) in a new mount namespace whose root it makes shared, which is what
//! a systemd host looks like.

use crate::common;

use std::fs;
use std::path::Path;

use clonexec::{Command, Mount, Namespaces, Propagation, Step};
use common::{
    HELPER_ARG, HELPER_MODE, Reaper, TempDir, entries, helper_arg, helper_command, helper_mode,
    helper_result, mount_points, own_ns, shared, stdout_of,
};

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn shell_mount_in_new_mount_ns_stays_inside() {
    let _guard = shared();
    if common::skip_unless_namespaces("shell_mount_in_new_mount_ns_stays_inside") {
        return;
    }
    let tmp = TempDir::new("fs-shell-mount");
    let dir = tmp.path().join("dir");
    fs::create_dir(&dir).unwrap();
    let before = mount_points("self");
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "mount -t tmpfs none \"$0\" && touch \"$0/x\" && ls \"$0\"",
                path_str(&dir),
            ])
            .namespaces(Namespaces::MOUNT),
    );
    assert_eq!(out, "x\n");
    assert!(entries(&dir).is_empty(), "the child's tmpfs reached us");
    assert_eq!(mount_points("self"), before);
    fs::remove_dir(&dir).expect("rmdir: the directory is still a mount point here");
}

#[test]
fn api_tmpfs_mount_stays_inside() {
    let _guard = shared();
    if common::skip_unless_namespaces("api_tmpfs_mount_stays_inside") {
        return;
    }
    let tmp = TempDir::new("fs-api-tmpfs");
    let dir = tmp.path().join("dir");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("host-file"), "").unwrap();
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "ls -A \"$0\"; touch \"$0/x\" && ls \"$0\"; stat -f -c %T \"$0\"",
                path_str(&dir),
            ])
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::tmpfs(&dir)),
    );
    // The tmpfs starts empty (it hides host-file) and is a tmpfs.
    assert_eq!(out, "x\ntmpfs\n");
    assert_eq!(entries(&dir), ["host-file"]);
}

#[test]
fn tmpfs_options_and_read_only() {
    let _guard = shared();
    if common::skip_unless_namespaces("tmpfs_options_and_read_only") {
        return;
    }
    let tmp = TempDir::new("fs-tmpfs-opts");
    let dir = path_str(tmp.path());
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "stat -c %a \"$0\"; grep \" $0 \" /proc/self/mountinfo",
                dir,
            ])
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::tmpfs(dir).options("size=1m,mode=710")),
    );
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("710"), "{out}");
    let info = lines.next().unwrap_or_default();
    assert!(info.contains("size=1024k"), "{info}");
    assert!(info.contains("nosuid") && info.contains("nodev"), "{info}");

    let out = Command::new("sh")
        .args(["-c", "touch \"$0/x\"", dir])
        .namespaces(Namespaces::MOUNT)
        .mount(Mount::tmpfs(dir).read_only())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn read_only_bind_mount_refuses_writes_inside_only() {
    let _guard = shared();
    if common::skip_unless_namespaces("read_only_bind_mount_refuses_writes_inside_only") {
        return;
    }
    let tmp = TempDir::new("fs-bind-ro");
    let src = tmp.path().join("src");
    let dst = tmp.path().join("dst");
    fs::create_dir(&src).unwrap();
    fs::create_dir(&dst).unwrap();
    fs::write(src.join("f"), "host\n").unwrap();
    let script = "cat \"$0/f\"; echo child > \"$0/f\" || echo write-refused; \
                  touch \"$0/g\" || echo create-refused";
    let out = Command::new("sh")
        .args(["-c", script, path_str(&dst)])
        .namespaces(Namespaces::MOUNT)
        .mount(Mount::bind(&src, &dst).read_only())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "host\nwrite-refused\ncreate-refused\n", "{stderr}");
    assert_eq!(
        stderr.matches("Read-only file system").count(),
        2,
        "{stderr}"
    );
    // The host's file was untouched and stays writable; dst is still empty.
    assert_eq!(fs::read_to_string(src.join("f")).unwrap(), "host\n");
    fs::write(src.join("f"), "host again\n").unwrap();
    assert!(entries(&dst).is_empty());

    // Without read_only the same bind writes through to the source.
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "echo child > \"$0/f\" && cat \"$0/f\"",
                path_str(&dst),
            ])
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::bind(&src, &dst)),
    );
    assert_eq!(out, "child\n");
    assert_eq!(fs::read_to_string(src.join("f")).unwrap(), "child\n");
}

/// Mounts are made in the order added: the later one lies on top.
#[test]
fn mounts_are_made_in_order() {
    let _guard = shared();
    if common::skip_unless_namespaces("mounts_are_made_in_order") {
        return;
    }
    let tmp = TempDir::new("fs-order");
    let src = tmp.path().join("src");
    let dst = tmp.path().join("dst");
    fs::create_dir(&src).unwrap();
    fs::create_dir(&dst).unwrap();
    fs::write(src.join("from-src"), "").unwrap();
    let ls = |first: Mount, second: Mount| {
        stdout_of(
            Command::new("ls")
                .arg(&dst)
                .namespaces(Namespaces::MOUNT)
                .mount(first)
                .mount(second),
        )
    };
    assert_eq!(
        ls(Mount::tmpfs(&dst), Mount::bind(&src, &dst)),
        "from-src\n"
    );
    assert_eq!(ls(Mount::bind(&src, &dst), Mount::tmpfs(&dst)), "");
}

#[test]
fn devpts_mount_is_a_new_instance() {
    let _guard = shared();
    if common::skip_unless_namespaces("devpts_mount_is_a_new_instance") {
        return;
    }
    let tmp = TempDir::new("fs-devpts");
    let dir = path_str(tmp.path());
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", "ls \"$0\"; stat -f -c %T \"$0\"", dir])
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::devpts(dir)),
    );
    // A fresh instance holds only ptmx: none of the host's terminals.
    assert_eq!(out, "ptmx\ndevpts\n");
}

#[test]
fn failed_mount_names_the_mount_step() {
    let _guard = shared();
    if common::skip_unless_namespaces("failed_mount_names_the_mount_step") {
        return;
    }
    let tmp = TempDir::new("fs-mount-fail");
    let err = Command::new("true")
        .namespaces(Namespaces::MOUNT)
        .mount(Mount::bind("/nonexistent/source", tmp.path()))
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Mount), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
    // The message names the mount that failed (here the third one, whose
    // mount point cannot be made below a file).
    let under_file = tmp.path().join("file/dir");
    let err = Command::new("true")
        .namespaces(Namespaces::MOUNT)
        .mount(Mount::tmpfs(tmp.path()))
        .mount(Mount::file(tmp.path().join("file"), "", 0o644))
        .mount(Mount::tmpfs(&under_file))
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Mount), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "creating the mount point {:?}",
            path_str(&under_file)
        )),
        "{err}"
    );
}

/// The default propagation (private) keeps the child's mounts from reaching
/// a caller whose root is shared; `Slave` too; `Shared` and `Unchanged`
/// let them through (which shows the check can see a leak). Inbound, a
/// mount made by the caller afterwards reaches a `Slave` child only. Runs in a
/// helper whose own, new mount namespace has a shared root, so the host is
/// never exposed.
#[test]
fn default_propagation_keeps_mounts_from_a_shared_root() {
    let _guard = shared();
    if common::skip_unless_namespaces("default_propagation_keeps_mounts_from_a_shared_root") {
        return;
    }
    let tmp = TempDir::new("fs-propagation");
    let arg = format!("{}\n{}", path_str(tmp.path()), own_ns("mnt"));
    let out = helper_command(&common::test_name!(fs_helper), HELPER_MODE, "propagation")
        .env(HELPER_ARG, arg)
        .namespaces(Namespaces::MOUNT)
        .output()
        .unwrap();
    helper_result("propagation", &out).unwrap();
    for name in [
        "default",
        "private",
        "slave",
        "shared",
        "unchanged",
        "api",
        "late",
    ] {
        assert!(
            entries(&tmp.path().join(name)).is_empty(),
            "{name}: a mount reached the test process"
        );
    }
}

fn helper_propagation() {
    let arg = helper_arg();
    let (dir, parent_mnt) = arg.split_once('\n').unwrap();
    // Safety net: only ever change propagation in a namespace of our own.
    assert_ne!(own_ns("mnt"), parent_mnt, "helper is not in a new mount ns");
    // SAFETY: mount with NULL source/fstype/data only changes propagation.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_SHARED | libc::MS_REC,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "make-rshared: {}", std::io::Error::last_os_error());
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = info
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/"))
        .unwrap();
    assert!(root.contains(" shared:"), "root not shared: {root}");

    let cases = [
        ("default", None, false),
        ("private", Some(Propagation::Private), false),
        ("slave", Some(Propagation::Slave), false),
        ("shared", Some(Propagation::Shared), true),
        ("unchanged", Some(Propagation::Unchanged), true),
    ];
    for (name, propagation, leaks) in cases {
        let sub = Path::new(dir).join(name);
        fs::create_dir(&sub).unwrap();
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "mount -t tmpfs none \"$0\" && touch \"$0/x\"",
            path_str(&sub),
        ])
        .namespaces(Namespaces::MOUNT);
        if let Some(p) = propagation {
            cmd.mount_propagation(p);
        }
        stdout_of(&mut cmd);
        let seen = entries(&sub);
        let expected: &[&str] = if leaks { &["x"] } else { &[] };
        assert_eq!(seen, expected, "{name}");
    }
    // Inbound: a mount we make later reaches a Slave child, not a
    // Private one.
    let late = Path::new(dir).join("late");
    fs::create_dir(&late).unwrap();
    let sleeper = |p: Propagation| {
        Reaper(Some(
            Command::new("sleep")
                .arg("10")
                .namespaces(Namespaces::MOUNT)
                .mount_propagation(p)
                .spawn()
                .unwrap(),
        ))
    };
    let mut slave = sleeper(Propagation::Slave);
    let mut private = sleeper(Propagation::Private);
    let late_c = std::ffi::CString::new(path_str(&late)).unwrap();
    // SAFETY: valid C strings; we are in our own mount namespace.
    let rc = unsafe {
        libc::mount(
            c"none".as_ptr(),
            late_c.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "mount: {}", std::io::Error::last_os_error());
    let sees_late = |child: &mut Reaper| {
        mount_points(&child.child().id().to_string()).contains(&path_str(&late).to_string())
    };
    assert!(sees_late(&mut slave), "slave did not receive our mount");
    assert!(!sees_late(&mut private), "private received our mount");
    slave.finish();
    private.finish();

    let sub = Path::new(dir).join("api");
    fs::create_dir(&sub).unwrap();
    stdout_of(
        Command::new("touch")
            .arg(sub.join("x"))
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::tmpfs(&sub)),
    );
    assert!(entries(&sub).is_empty(), "api tmpfs leaked");
    println!("helper-done propagation");
}

/// A bare root: the two static programs and nothing else. Call it holding
/// `shared()`: `install` spawns a subprocess, which the leak test of the
/// namespaces must not see.
#[cfg(target_arch = "x86_64")]
fn bare_root(tag: &str, pause: bool) -> TempDir {
    use common::{install, static_prog};
    let root = TempDir::new(tag);
    install(root.path(), "hello", &static_prog::print(b"hello\n", pause));
    install(root.path(), "exists", &static_prog::exists());
    root
}

#[cfg(target_arch = "x86_64")]
#[test]
fn static_programs_work_outside_any_root_change() {
    let _guard = shared();
    let root = bare_root("fs-progs", false);
    let hello = root.path().join("hello");
    assert_eq!(stdout_of(&mut Command::new(&hello)), "hello\n");
    let exists = root.path().join("exists");
    let code = |path: &str| Command::new(&exists).arg(path).status().unwrap().code();
    assert_eq!(code("/etc"), Some(0));
    assert_eq!(code("/nonexistent"), Some(libc::ENOENT));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn chroot_runs_a_static_program_in_a_bare_root() {
    if common::skip_unless_namespaces("chroot_runs_a_static_program_in_a_bare_root") {
        return;
    }
    let _guard = shared();
    let root = bare_root("fs-chroot", false);
    let out = stdout_of(Command::new("/hello").chroot(root.path()));
    assert_eq!(out, "hello\n");
    let code = |path: &str| {
        Command::new("/exists")
            .arg(path)
            .chroot(root.path())
            .status()
            .unwrap()
            .code()
    };
    // Inside, / is the bare root: the program is there, /etc is not.
    assert_eq!(code("/exists"), Some(0));
    assert_eq!(code("/etc"), Some(libc::ENOENT));
    // The working directory is the new root.
    assert_eq!(code("hello"), Some(0));
    // current_dir is resolved inside the new root.
    fs::create_dir(root.path().join("sub")).unwrap();
    fs::write(root.path().join("sub/marker"), "").unwrap();
    let status = Command::new("/exists")
        .arg("marker")
        .chroot(root.path())
        .current_dir("/sub")
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn chroot_into_missing_dir_names_the_chroot_step() {
    let _guard = shared();
    // No namespace is created: this works under qemu-user too.
    if common::skip_unless_root("chroot_into_missing_dir_names_the_chroot_step") {
        return;
    }
    let err = Command::new("/hello")
        .chroot("/nonexistent/root")
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Chroot), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
}

/// pivot_root into the bare root, with a proc mounted under it first: the
/// child's mount table holds exactly those two mounts (the old root is
/// detached), and nothing changes for us.
#[cfg(target_arch = "x86_64")]
#[test]
fn pivot_root_detaches_the_old_root() {
    if common::skip_unless_namespaces("pivot_root_detaches_the_old_root") {
        return;
    }
    use clonexec::Stdio;
    use std::io::Read;
    let _guard = shared();
    let root = bare_root("fs-pivot", true);
    let proc_dir = root.path().join("proc");
    fs::create_dir(&proc_dir).unwrap();
    let before = mount_points("self");
    let mut child = Reaper(Some(
        Command::new("/hello")
            .namespaces(Namespaces::MOUNT | Namespaces::PID)
            .mount(Mount::proc(&proc_dir))
            .pivot_root(root.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let mut stdout = child.child().stdout.take().unwrap();
    let mut greeting = [0u8; 6];
    stdout.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"hello\n");
    // The program now waits in pause(): look at its mount table.
    let pid = child.child().id().to_string();
    assert_eq!(mount_points(&pid), ["/", "/proc"]);
    assert_eq!(child.finish().signal(), Some(libc::SIGKILL));
    assert_eq!(mount_points("self"), before, "our mount table changed");
    assert!(entries(&proc_dir).is_empty());

    let code = |path: &str| {
        Command::new("/exists")
            .arg(path)
            .namespaces(Namespaces::MOUNT | Namespaces::PID)
            .mount(Mount::proc(&proc_dir))
            .pivot_root(root.path())
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(code("/etc"), Some(libc::ENOENT));
    assert_eq!(code("/exists"), Some(0));
    // The working directory is the new root.
    assert_eq!(code("hello"), Some(0));
    // Its own proc: it is pid 1 there, and there is no pid 2.
    assert_eq!(code("/proc/1/status"), Some(0));
    assert_eq!(code("/proc/2"), Some(libc::ENOENT));
}

#[test]
fn pivot_root_into_missing_dir_names_the_pivot_step() {
    let _guard = shared();
    if common::skip_unless_namespaces("pivot_root_into_missing_dir_names_the_pivot_step") {
        return;
    }
    let err = Command::new("/hello")
        .namespaces(Namespaces::MOUNT)
        .pivot_root("/nonexistent/root")
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::PivotRoot), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
}

/// Does the work of the tests that must run inside a namespace. Ignored:
/// it runs only when re-executed by those tests.
#[test]
#[ignore = "helper, run by other tests"]
fn fs_helper() {
    let Some(mode) = helper_mode() else {
        return;
    };
    match mode.as_str() {
        "propagation" => helper_propagation(),
        other => panic!("unknown helper mode {other}"),
    }
}
