//! Building a sandbox root, bubblewrap's way: mount points, directories,
//! symlinks and files created as needed, a minimal /dev, tmpfs size and
//! mode, read-only binds that are read-only all the way down (with and
//! without `mount_setattr`), optional binds, and roots built from an
//! empty tmpfs (`empty_root`).
//!
//! Everything a test creates lies in a tmpfs of the child's own or in a
//! temporary directory; mounts are only made in new mount namespaces.

use crate::common;

use std::fs;
use std::path::Path;

use clonexec::{Command, Mount, Namespaces, Step};
use common::{TempDir, shared, stdout_of};

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `sh -c SCRIPT` in a new mount namespace; `$1`... are `args`.
fn sh(script: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script, "sh"])
        .args(args.iter().copied())
        .namespaces(Namespaces::MOUNT);
    cmd
}

/// The mount options field of `path` in the program's mountinfo, as the
/// program itself prints it (`awk` over /proc/self/mountinfo).
const MOUNT_OPTIONS: &str = "awk -v p=\"$1\" '$5 == p { print $6 }' /proc/self/mountinfo";

#[test]
fn binds_create_their_mount_points_with_parents() {
    let _guard = shared();
    if common::skip_unless_namespaces("binds_create_their_mount_points_with_parents") {
        return;
    }
    let tmp = TempDir::new("root-mount-points");
    let src_dir = tmp.path().join("dir");
    fs::create_dir(&src_dir).unwrap();
    fs::write(src_dir.join("inside"), "in dir\n").unwrap();
    let src_file = tmp.write_file("file", "a file\n", 0o644);
    let top = tmp.path().join("top");
    fs::create_dir(&top).unwrap();
    let top_str = path_str(&top);
    let script =
        "stat -c '%F %a' \"$1/a/b\" \"$1/a/b/c\" \"$1/f/g\"; cat \"$1/a/b/c/inside\" \"$1/f/g\"";
    let out = stdout_of(
        sh(script, &[top_str])
            .mount(Mount::tmpfs(&top))
            .mount(Mount::bind(&src_dir, top.join("a/b/c")))
            .mount(Mount::bind(&src_file, top.join("f/g"))),
    );
    // The parents are 0755 directories, the mount points take the
    // source's type (the mode shown is the source's, bound over them).
    assert_eq!(
        out,
        "directory 755\ndirectory 755\nregular file 644\nin dir\na file\n"
    );
    // All of it was made in the child's tmpfs.
    assert!(common::entries(&top).is_empty());
}

#[test]
fn read_only_bind_is_read_only_all_the_way_down() {
    let _guard = shared();
    if common::skip_unless_namespaces("read_only_bind_is_read_only_all_the_way_down") {
        return;
    }
    let tmp = TempDir::new("root-ro-rec");
    let src = tmp.path().join("src");
    let dst = tmp.path().join("dst");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::create_dir(&dst).unwrap();
    let script = format!(
        "touch \"$2/x\" 2>/dev/null && echo top-writable; \
         touch \"$2/sub/x\" 2>/dev/null && echo sub-writable; \
         for p in \"$2\" \"$2/sub\"; do set -- \"$p\"; {MOUNT_OPTIONS}; done"
    );
    let out = stdout_of(
        sh(&script, &[path_str(&src), path_str(&dst)])
            // A submount below the source, made first in the child.
            .mount(Mount::tmpfs(src.join("sub")))
            .mount(Mount::bind(&src, &dst).read_only().nodev().nosuid()),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "a mount stayed writable: {out}");
    for options in lines {
        let options: Vec<&str> = options.split(',').collect();
        for flag in ["ro", "nodev", "nosuid"] {
            assert!(options.contains(&flag), "{flag} missing in {options:?}");
        }
    }
    // The source itself stays writable, here and in the child.
    fs::write(src.join("sub/y"), "").unwrap();
}

/// Before Linux 5.12 there is no `mount_setattr`: the child remounts each
/// mount below the source, as `prepare()` listed them in the caller's
/// mountinfo. A helper process (this binary again) makes such a tree in a
/// mount namespace of its own, then makes `mount_setattr` fail with
/// `ENOSYS` for itself and its children with a seccomp filter, and spawns.
#[test]
fn read_only_bind_without_mount_setattr_remounts_each_submount() {
    let _guard = shared();
    if common::skip_unless_namespaces("read_only_bind_without_mount_setattr_remounts_each_submount")
    {
        return;
    }
    let tmp = TempDir::new("root-ro-fallback");
    let out = common::helper_command(
        &common::test_name!(sandbox_root_helper),
        common::HELPER_MODE,
        "ro-fallback",
    )
    .env(common::HELPER_ARG, path_str(tmp.path()))
    .namespaces(Namespaces::MOUNT)
    .output()
    .unwrap();
    common::helper_result("ro-fallback", &out).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        common::must_report(&stdout, "mount_setattr"),
        "ENOSYS",
        "the filter did not hide mount_setattr"
    );
    assert_eq!(common::must_report(&stdout, "writable"), "none");
    assert_eq!(common::must_report(&stdout, "ro_mounts"), "3");
}

/// Does the work of the tests that must run in a process of their own.
/// Ignored: it runs only when re-executed by those tests.
#[test]
#[ignore = "helper, run by other tests"]
fn sandbox_root_helper() {
    let Some(mode) = common::helper_mode() else {
        return;
    };
    match mode.as_str() {
        "ro-fallback" => helper_ro_fallback(),
        other => panic!("unknown helper mode {other}"),
    }
    println!("helper-done {mode}");
}

/// In its own mount namespace: a tmpfs holding a tmpfs holding a tmpfs,
/// bound read-only by a child after `mount_setattr` is filtered away.
fn helper_ro_fallback() {
    let base = std::path::PathBuf::from(common::helper_arg());
    let src = base.join("src");
    let dst = base.join("dst");
    fs::create_dir_all(&src).unwrap();
    fs::create_dir_all(&dst).unwrap();
    let mount_tmpfs = |path: &Path| {
        let target = std::ffi::CString::new(path_str(path)).unwrap();
        // SAFETY: plain mount(2); the strings are NUL-terminated and
        // outlive the call. This process has a mount namespace of its own.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "mount tmpfs: {}", std::io::Error::last_os_error());
    };
    mount_tmpfs(&src);
    fs::create_dir(src.join("a")).unwrap();
    mount_tmpfs(&src.join("a"));
    fs::create_dir(src.join("a/b")).unwrap();
    mount_tmpfs(&src.join("a/b"));

    common::deny_syscall_with_enosys(libc::SYS_mount_setattr);
    // SAFETY: a syscall with invalid arguments, only to see its error.
    let probe = unsafe { libc::syscall(libc::SYS_mount_setattr, -1, 0, 0, 0, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    common::report(
        "mount_setattr",
        if probe == -1 && errno == Some(libc::ENOSYS) {
            "ENOSYS"
        } else {
            "present"
        },
    );

    let script = format!(
        "w=; for d in \"$1\" \"$1/a\" \"$1/a/b\"; do touch \"$d/x\" 2>/dev/null && w=\"$w $d\"; done; \
         echo \"${{w:-none}}\"; \
         for p in \"$1\" \"$1/a\" \"$1/a/b\"; do set -- \"$p\"; {MOUNT_OPTIONS}; done | grep -c '^ro'"
    );
    let out = stdout_of(sh(&script, &[path_str(&dst)]).mount(Mount::bind(&src, &dst).read_only()));
    let mut lines = out.lines();
    common::report("writable", lines.next().unwrap_or("?").trim());
    common::report("ro_mounts", lines.next().unwrap_or("?"));
}

#[test]
fn dirs_symlinks_files_and_chmod_are_made_in_order() {
    let _guard = shared();
    if common::skip_unless_namespaces("dirs_symlinks_files_and_chmod_are_made_in_order") {
        return;
    }
    let tmp = TempDir::new("root-create");
    let top = tmp.path().join("top");
    fs::create_dir(&top).unwrap();
    let data = tmp.write_file("data", "from an fd\n", 0o600);
    let fd = fs::File::open(&data).unwrap();
    let script = "cd \"$1\" && stat -c '%n %F %a' d d/e p700 p700/x f f2 rof chm && \
                  readlink l && cat f f2 rof && \
                  { echo x > rof; } 2>/dev/null || echo rof-refused";
    let out = stdout_of(
        sh(script, &[path_str(&top)])
            .mount(Mount::tmpfs(&top))
            .mount(Mount::dir(top.join("d/e"), 0o1750))
            .mount(Mount::dir(top.join("p700/x"), 0o700))
            .mount(Mount::symlink("d/e", top.join("l")))
            // The same link again is fine.
            .mount(Mount::symlink("d/e", top.join("l")))
            .mount(Mount::file(top.join("f"), "bytes\n", 0o640))
            .mount(Mount::file(top.join("f2"), fd, 0o604))
            .mount(Mount::file(top.join("rof"), "fixed\n", 0o666).read_only())
            .mount(Mount::dir(top.join("chm"), 0o700))
            .mount(Mount::chmod(top.join("chm"), 0o4711)),
    );
    // The parent of a directory with no "other" bits has none either.
    assert_eq!(
        out,
        "d directory 750\n\
         d/e directory 1750\n\
         p700 directory 700\n\
         p700/x directory 700\n\
         f regular file 640\n\
         f2 regular file 604\n\
         rof regular file 666\n\
         chm directory 4711\n\
         d/e\n\
         bytes\n\
         from an fd\n\
         fixed\n\
         rof-refused\n"
    );
}

#[test]
fn conflicting_symlink_fails_naming_it() {
    let _guard = shared();
    if common::skip_unless_namespaces("conflicting_symlink_fails_naming_it") {
        return;
    }
    let tmp = TempDir::new("root-symlink-conflict");
    let top = tmp.path().join("top");
    fs::create_dir(&top).unwrap();
    let link = top.join("link");
    let err = sh("true", &[])
        .mount(Mount::tmpfs(&top))
        .mount(Mount::symlink("/dev/null", &link))
        .mount(Mount::symlink("/dev/full", &link))
        .status()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Mount));
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST));
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "creating the symlink {:?} -> \"/dev/full\"",
            path_str(&link)
        )),
        "{message}"
    );
}

#[test]
fn optional_bind_is_skipped_and_a_missing_source_is_named() {
    let _guard = shared();
    if common::skip_unless_namespaces("optional_bind_is_skipped_and_a_missing_source_is_named") {
        return;
    }
    let tmp = TempDir::new("root-optional");
    let top = tmp.path().join("top");
    fs::create_dir(&top).unwrap();
    let missing = tmp.path().join("missing");
    let out = stdout_of(
        sh("ls -A \"$1\"", &[path_str(&top)])
            .mount(Mount::tmpfs(&top))
            .mount(Mount::bind(&missing, top.join("m")).optional()),
    );
    assert_eq!(out, "", "the skipped bind left a mount point");

    let err = sh("true", &[])
        .mount(Mount::tmpfs(&top))
        .mount(Mount::bind(&missing, top.join("m")))
        .status()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Mount));
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    let message = err.to_string();
    assert!(
        message.contains(&format!("finding the bind source {:?}", path_str(&missing))),
        "{message}"
    );
}

#[test]
fn tmpfs_size_and_mode() {
    let _guard = shared();
    if common::skip_unless_namespaces("tmpfs_size_and_mode") {
        return;
    }
    let tmp = TempDir::new("root-tmpfs-size");
    let dir = path_str(tmp.path());
    let script = format!(
        "stat -c %a \"$1\"; {MOUNT_OPTIONS}; awk -v p=\"$1\" '$5 == p {{ print $NF }}' /proc/self/mountinfo"
    );
    let out = stdout_of(sh(&script, &[dir]).mount(Mount::tmpfs(dir).size(1 << 20).mode(0o750)));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("750"), "{out}");
    assert!(
        lines
            .next()
            .is_some_and(|o| o.contains("nosuid") && o.contains("nodev")),
        "{out}"
    );
    let super_options = lines.next().unwrap_or_default();
    assert!(super_options.contains("size=1024k"), "{super_options}");
    assert!(super_options.contains("mode=750"), "{super_options}");
}

#[test]
fn remount_read_only_changes_that_mount_only() {
    let _guard = shared();
    if common::skip_unless_namespaces("remount_read_only_changes_that_mount_only") {
        return;
    }
    let tmp = TempDir::new("root-remount-ro");
    let top = tmp.path().join("top");
    fs::create_dir(&top).unwrap();
    let script = "touch \"$1/x\" 2>/dev/null || echo top-ro; touch \"$1/sub/x\" && echo sub-rw";
    let out = stdout_of(
        sh(script, &[path_str(&top)])
            .mount(Mount::tmpfs(&top))
            .mount(Mount::tmpfs(top.join("sub")))
            .mount(Mount::remount_read_only(&top)),
    );
    assert_eq!(out, "top-ro\nsub-rw\n");
}

#[test]
fn minimal_dev_in_place_has_bubblewraps_entries_and_working_nodes() {
    let _guard = shared();
    if common::skip_unless_namespaces(
        "minimal_dev_in_place_has_bubblewraps_entries_and_working_nodes",
    ) {
        return;
    }
    let script = "ls -A /dev | tr '\\n' ' '; echo; \
                  echo hi > /dev/null && head -c 4 /dev/zero | od -An -tx1 && \
                  head -c 8 /dev/urandom | wc -c && \
                  readlink /dev/stdin /dev/fd /dev/ptmx /dev/core && \
                  stat -f -c %T /dev /dev/pts && stat -c %a /dev";
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", script])
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::dev("/dev")),
    );
    assert_eq!(
        out,
        "core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \n \
         00 00 00 00\n8\n/proc/self/fd/0\n/proc/self/fd\npts/ptmx\n/proc/kcore\n\
         tmpfs\ndevpts\n755\n"
    );
}

#[test]
fn empty_root_builds_bubblewraps_readme_example() {
    let _guard = shared();
    if common::skip_unless_namespaces("empty_root_builds_bubblewraps_readme_example") {
        return;
    }
    let out = stdout_of(
        Command::new("/bin/sh")
            .args([
                "-c",
                "ls -A / | tr '\\n' ' '; echo; echo \"$PWD\"; pwd; \
                 touch /usr/x 2>/dev/null || echo usr-ro; readlink /lib64; \
                 cat /proc/1/comm; ls /dev | wc -l",
            ])
            .namespaces(Namespaces::MOUNT | Namespaces::PID)
            .pid1_init(true)
            .empty_root(true)
            .mount(Mount::bind("/usr", "/usr").read_only())
            .mount(Mount::symlink("usr/lib64", "/lib64"))
            .mount(Mount::symlink("usr/lib", "/lib"))
            .mount(Mount::symlink("usr/bin", "/bin"))
            .mount(Mount::proc("/proc"))
            .mount(Mount::dev("/dev")),
    );
    // Only what was made; the test's working directory is not there, nor
    // is HOME (/root): the program starts in /.
    assert_eq!(
        out,
        "bin dev lib lib64 proc usr \n/\n/\nusr-ro\nusr/lib64\nclonexec-init\n14\n"
    );
}

/// Sources are the caller's paths even under /tmp, where the empty root's
/// tmpfs is mounted while it is built; the program starts in the caller's
/// working directory when the new root has it, with PWD naming it.
#[test]
fn empty_root_reads_sources_under_tmp_and_keeps_the_working_directory() {
    let _guard = shared();
    if common::skip_unless_namespaces(
        "empty_root_reads_sources_under_tmp_and_keeps_the_working_directory",
    ) {
        return;
    }
    let tmp = TempDir::new("root-empty-tmp");
    fs::write(tmp.path().join("hello"), "hello from /tmp\n").unwrap();
    let tmp_str = path_str(tmp.path());
    let cwd = std::env::current_dir().unwrap();
    let out = stdout_of(
        Command::new("/usr/bin/sh")
            .args([
                "-c",
                "cat \"$0/hello\"; echo \"$PWD\"; /usr/bin/pwd",
                tmp_str,
            ])
            .namespaces(Namespaces::MOUNT)
            .empty_root(true)
            .mount(Mount::bind("/usr", "/usr").read_only())
            .mount(Mount::symlink("usr/lib64", "/lib64"))
            .mount(Mount::symlink("usr/lib", "/lib"))
            .mount(Mount::bind(tmp.path(), tmp.path()))
            .mount(Mount::bind(&cwd, &cwd)),
    );
    let cwd = path_str(&cwd);
    assert_eq!(out, format!("hello from /tmp\n{cwd}\n{cwd}\n"));
}

#[test]
fn prepare_refuses_what_a_mount_cannot_do() {
    let _guard = shared();
    let refused = |cmd: &mut Command, words: &str| {
        let err = cmd.prepare().unwrap_err();
        assert_eq!(err.step(), None, "{err}");
        assert!(err.to_string().contains(words), "{err}");
    };
    let ns = || {
        let mut cmd = Command::new("true");
        cmd.namespaces(Namespaces::MOUNT);
        cmd
    };
    refused(
        ns().mount(Mount::tmpfs("/t").optional()),
        "optional() does not apply to a tmpfs",
    );
    refused(
        ns().mount(Mount::bind("/a", "/b").size(10)),
        "size() does not apply to a bind mount",
    );
    refused(
        ns().mount(Mount::dir("/d", 0o10000)),
        "has bits beyond 0o7777",
    );
    refused(
        ns().mount(Mount::symlink("", "/l")),
        "must point to 1 to 4095 bytes",
    );
    refused(ns().mount(Mount::dir("", 0o755)), "an empty path");
    refused(ns().mount(Mount::tmpfs("/t").size(0)), "has size 0");
    refused(
        ns().mount(Mount::dev("/dev").read_only()),
        "read_only() does not apply",
    );
    refused(
        Command::new("true").empty_root(true),
        "empty_root(true) needs a new mnt namespace",
    );
    refused(
        ns().empty_root(true).chroot("/"),
        "cannot be combined with chroot()",
    );
}
