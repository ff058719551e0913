//! The sandbox root: binds, /proc, /dev, tmpfs, directories, files and
//! symlinks, with the permissions bubblewrap gives them.

use std::fs;
use std::os::unix::fs::FileTypeExt;

use crate::common;
use crate::{bwrap, bwrap_with_fds, mode_of, ran, ran_lib, run, skip, text, work_dir};

/// The variants upstream runs its first cases with.
const ALTS: [&[&str]; 4] = [
    &[],
    &["--unshare-user-try"],
    &["--unshare-pid"],
    &["--unshare-user-try", "--unshare-pid"],
];

/// test-run.sh, for each of its four option sets: "can mount /proc with
/// $ALT", "can unshare network, create new /dev with $ALT", "can bind a
/// destination over a symlink". (Its FUSE case needs a FUSE mount of the
/// caller's, and is not ported.)
#[test]
fn proc_dev_network_and_binds_over_symlinks_with_each_alt() {
    let _guard = common::shared();
    if skip("proc_dev_network_and_binds_over_symlinks_with_each_alt") {
        return;
    }
    for alt in ALTS {
        let with = |args: &[&str]| {
            let mut all = alt.to_vec();
            all.extend_from_slice(args);
            ran(&mut run(&all)).ok().stdout
        };
        // A proc of the sandbox's own in a new PID namespace (pid 1 is the
        // init), the host's otherwise; its sysrq-trigger read-only.
        let out = with(&[
            "--proc",
            "/proc",
            "sh",
            "-c",
            "stat -f -c %T /proc; test -w /proc/sysrq-trigger || echo covered",
        ]);
        assert_eq!(out, "proc\ncovered\n", "{alt:?}");
        let out = with(&[
            "--unshare-net",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "sh",
            "-c",
            "tail -n +3 /proc/net/dev | cut -d: -f1; \
             ls /dev | wc -l; echo > /dev/null && echo null-works",
        ]);
        assert_eq!(
            out.split_whitespace().collect::<Vec<_>>(),
            ["lo", "14", "null-works"],
            "{alt:?}"
        );
        // The bind lands on the symlink's target.
        let out = with(&[
            "--dir",
            "/tmp/dir",
            "--symlink",
            "dir",
            "/tmp/link",
            "--bind",
            "/etc",
            "/tmp/link",
            "sh",
            "-c",
            "test -f /tmp/dir/passwd && readlink /tmp/link",
        ]);
        assert_eq!(out, "dir\n", "{alt:?}");
    }
}

/// test-run.sh: "--symlink works", "--symlink is idempotent", "--symlink
/// doesn't overwrite a conflicting symlink". Upstream's last case also
/// matches bubblewrap's message, which names what the link points to;
/// clonexec's names the path and the link it could not make (EEXIST).
#[test]
fn symlinks() {
    let _guard = common::shared();
    if skip("symlinks") {
        return;
    }
    let work = work_dir("symlink");
    let dir = text(work.path());
    let link = work.path().join("symlink");
    let with_link = |target: &str| {
        ran(&mut run(&[
            "--ro-bind",
            "/",
            "/",
            "--bind",
            dir,
            dir,
            "--symlink",
            target,
            text(&link),
            "true",
        ]))
    };
    with_link("/dev/null").ok();
    assert_eq!(fs::read_link(&link).unwrap().to_str(), Some("/dev/null"));
    with_link("/dev/null").ok();
    let out = with_link("/dev/full").failed();
    assert!(
        out.stderr.starts_with("bwrap: ")
            && out.stderr.contains(&format!(
                "creating the symlink {:?} -> \"/dev/full\"",
                text(&link)
            ))
            && out.stderr.contains("EEXIST"),
        "{out:#?}"
    );
    assert_eq!(fs::read_link(&link).unwrap().to_str(), Some("/dev/null"));
}

/// test-run.sh: "all expected devices were created".
#[test]
fn all_expected_devices_were_created() {
    let _guard = common::shared();
    if skip("all_expected_devices_were_created") {
        return;
    }
    let devices = [
        "stdin", "stdout", "stderr", "null", "random", "urandom", "fd", "core",
    ];
    let mut args = vec!["--unshare-pid", "--dev", "/dev", "ls", "-al"];
    let paths: Vec<String> = devices.iter().map(|d| format!("/dev/{d}")).collect();
    args.extend(paths.iter().map(String::as_str));
    ran(&mut run(&args)).ok();
}

/// test-run.sh: "bind-mount of / exposes real /tmp", "bind-mount of /tmp
/// exposes real /tmp", "bind-mount of /tmp onto /mnt exposes real /tmp".
#[test]
fn bind_mount_of_root_and_tmp_exposes_real_tmp() {
    let _guard = common::shared();
    if skip("bind_mount_of_root_and_tmp_exposes_real_tmp") {
        return;
    }
    let tmp = common::TempDir::new("bwrap-real-tmp");
    let file = tmp.path().join("file");
    fs::write(&file, "hello\n").unwrap();
    let file = text(&file);
    let cat = |args: &[&str], path: &str| {
        let mut all = args.to_vec();
        all.extend(["cat", path]);
        ran(&mut bwrap(&all)).ok().stdout
    };
    assert_eq!(cat(&["--bind", "/", "/"], file), "hello\n");
    assert_eq!(
        cat(&["--bind", "/", "/", "--bind", "/tmp", "/tmp"], file),
        "hello\n"
    );
    let under_mnt = format!("/mnt/{}", file.strip_prefix("/tmp/").unwrap());
    assert_eq!(
        cat(&["--bind", "/", "/", "--bind", "/tmp", "/mnt"], &under_mnt),
        "hello\n"
    );
}

/// test-run.sh: "we can mount another directory onto /tmp", "we can mount
/// another directory inside /tmp"; neither the old nor the new root of the
/// build is left visible.
#[test]
fn we_can_mount_another_directory_onto_and_inside_tmp() {
    let _guard = common::shared();
    if skip("we_can_mount_another_directory_onto_and_inside_tmp") {
        return;
    }
    for leftover in ["/tmp/oldroot", "/tmp/newroot"] {
        ran(&mut run(&["test", "-d", leftover])).failed();
    }
    let work = work_dir("onto-tmp");
    let dir = text(work.path());
    fs::write(work.path().join("input"), "hello\n").unwrap();
    let onto = ["--bind", "/", "/", "--bind", dir, "/tmp"];
    let out = ran(&mut bwrap(&[&onto[..], &["cat", "/tmp/input"]].concat())).ok();
    assert_eq!(out.stdout, "hello\n");
    for leftover in ["/tmp/oldroot", "/tmp/newroot"] {
        ran(&mut bwrap(&[&onto[..], &["test", "-d", leftover]].concat())).failed();
    }
    let out = ran(&mut run(&[
        "--bind",
        dir,
        "/tmp/here",
        "cat",
        "/tmp/here/input",
    ]))
    .ok();
    assert_eq!(out.stdout, "hello\n");
    for leftover in ["/tmp/oldroot", "/tmp/newroot"] {
        ran(&mut run(&[
            "--bind",
            dir,
            "/tmp/here",
            "test",
            "-d",
            leftover,
        ]))
        .failed();
    }
}

/// test-run.sh: "Files and directories created as mount points have
/// expected permissions" — made in the caller's filesystem (under a bind
/// of /), where they stay.
#[test]
fn files_and_directories_created_as_mount_points_have_expected_permissions() {
    let _guard = common::shared();
    if skip("files_and_directories_created_as_mount_points_have_expected_permissions") {
        return;
    }
    let work = work_dir("mount-points");
    let dir = work.path().join("some-dir");
    fs::create_dir(&dir).unwrap();
    let file = work.path().join("some-file");
    fs::write(&file, "").unwrap();
    let new_dir = work.path().join("new-dir-mountpoint");
    let new_file = work.path().join("new-file-mountpoint");
    ran(&mut run(&[
        "--bind",
        text(&dir),
        text(&new_dir),
        "--bind",
        text(&file),
        text(&new_file),
        "true",
    ]))
    .ok();
    assert_eq!(mode_of(&new_dir), "755");
    assert_eq!(mode_of(&new_file), "444");
}

/// test-run.sh: "Can bind-mount a socket (/dev/log) onto a socket" —
/// upstream uses /dev/log when it is a socket and skips otherwise; here,
/// a socket of the test's own.
#[test]
fn can_bind_mount_a_socket_onto_a_socket() {
    let _guard = common::shared();
    if skip("can_bind_mount_a_socket_onto_a_socket") {
        return;
    }
    let work = work_dir("socket");
    let socket = work.path().join("log");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    assert!(fs::metadata(&socket).unwrap().file_type().is_socket());
    let socket = text(&socket);
    ran(&mut bwrap(&[
        "--bind", "/", "/", "--bind", socket, socket, "test", "-S", socket,
    ]))
    .ok();
}

/// test-run.sh: "Directories created explicitly have expected
/// permissions".
#[test]
fn directories_created_explicitly_have_expected_permissions() {
    let _guard = common::shared();
    if skip("directories_created_explicitly_have_expected_permissions") {
        return;
    }
    let work = work_dir("dir-perms");
    let at = |name: &str| work.path().join(name);
    fs::create_dir(at("dir-already-existed")).unwrap();
    fs::create_dir(at("dir-already-existed2")).unwrap();
    std::fs::set_permissions(
        at("dir-already-existed"),
        std::os::unix::fs::PermissionsExt::from_mode(0o710),
    )
    .unwrap();
    std::fs::set_permissions(
        at("dir-already-existed2"),
        std::os::unix::fs::PermissionsExt::from_mode(0o754),
    )
    .unwrap();
    let paths: Vec<String> = [
        "new-dir-set-perms",
        "dir-already-existed",
        "dir-already-existed2",
        "dir-chmod",
        "new-dir-default-perms",
    ]
    .iter()
    .map(|n| text(&at(n)).to_owned())
    .collect();
    ran(&mut run(&[
        "--perms", "1741", "--dir", &paths[0], "--dir", &paths[1], "--perms", "0741", "--dir",
        &paths[2], "--dir", &paths[3], "--chmod", "1755", &paths[3], "--dir", &paths[4], "true",
    ]))
    .ok();
    let modes: Vec<String> = paths.iter().map(mode_of).collect();
    assert_eq!(modes, ["1741", "710", "754", "1755", "755"]);
}

/// test-run.sh: "Directories created as parents have expected
/// permissions".
#[test]
fn directories_created_as_parents_have_expected_permissions() {
    let _guard = common::shared();
    if skip("directories_created_as_parents_have_expected_permissions") {
        return;
    }
    let work = work_dir("parent-perms");
    // (perms of the child dir, mode its new parent gets)
    let cases: [(Option<&str>, &str); 13] = [
        (None, "755"),
        (Some("1777"), "755"),
        (Some("0755"), "755"),
        (Some("0644"), "755"),
        (Some("0750"), "750"),
        (Some("0710"), "750"),
        (Some("0720"), "750"),
        (Some("0640"), "750"),
        (Some("0700"), "700"),
        (Some("0600"), "700"),
        (Some("0705"), "705"),
        (Some("0604"), "705"),
        (Some("0000"), "700"),
    ];
    let mut args: Vec<String> = Vec::new();
    for (i, (perms, _)) in cases.iter().enumerate() {
        if let Some(perms) = perms {
            args.extend(["--perms".into(), (*perms).into()]);
        }
        let dir = work.path().join(format!("parent-{i}/dir"));
        args.extend(["--dir".into(), text(&dir).into()]);
    }
    args.push("true".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ran(&mut run(&args)).ok();
    for (i, (perms, parent)) in cases.iter().enumerate() {
        let path = work.path().join(format!("parent-{i}"));
        assert_eq!(mode_of(&path), *parent, "--perms {perms:?}");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
    }
}

/// test-run.sh: "tmpfs has expected permissions", "tmpfs has expected
/// size".
#[test]
fn tmpfs_has_expected_permissions_and_size() {
    let _guard = common::shared();
    if skip("tmpfs_has_expected_permissions_and_size") {
        return;
    }
    let work = work_dir("tmpfs");
    let dir = text(work.path());
    let show = |args: &[&str], program: &[&str]| {
        ran(&mut run(&[args, &["--tmpfs", dir], program].concat()))
            .ok()
            .stdout
    };
    let stat = ["stat", "-c", "%a", dir];
    let df = ["df", "--output=size", "--block-size=1K", dir];
    assert_eq!(show(&["--perms", "01777"], &stat), "1777\n");
    assert_eq!(show(&[], &stat), "755\n");
    let size = |out: String| out.lines().nth(1).unwrap_or_default().trim().to_owned();
    assert_eq!(size(show(&["--size", "1048576"], &df)), "1024");
    for order in [
        ["--size", "1048576", "--perms", "01777"],
        ["--perms", "01777", "--size", "1048576"],
    ] {
        assert_eq!(show(&order, &stat), "1777\n");
        assert_eq!(size(show(&order, &df)), "1024");
    }
}

/// test-run.sh: "files have expected permissions".
#[test]
fn files_have_expected_permissions() {
    let _guard = common::shared();
    if skip("files_have_expected_permissions") {
        return;
    }
    for (args, mode) in [
        (&["--file", "0", "/tmp/file"][..], "666"),
        (&["--perms", "0640", "--file", "0", "/tmp/file"], "640"),
        (&["--bind-data", "0", "/tmp/file"], "600"),
        (&["--perms", "0640", "--bind-data", "0", "/tmp/file"], "640"),
        (&["--ro-bind-data", "0", "/tmp/file"], "600"),
        (
            &["--perms", "0640", "--ro-bind-data", "0", "/tmp/file"],
            "640",
        ),
    ] {
        let out = ran(&mut run(
            &[args, &["stat", "-c", "%a", "/tmp/file"]].concat()
        ))
        .ok();
        assert_eq!(out.stdout, format!("{mode}\n"), "{args:?}");
    }
    // The data is what the fd held; --ro-bind-data's cannot be changed.
    let work = work_dir("file-data");
    let data = work.path().join("data");
    fs::write(&data, "content\n").unwrap();
    let fds = vec![(7, fs::File::open(&data).unwrap().into())];
    let script = "cat /tmp/file; echo x > /tmp/file 2>/dev/null || echo read-only";
    let args = [
        "--bind",
        "/",
        "/",
        "--tmpfs",
        "/tmp",
        "--ro-bind-data",
        "7",
        "/tmp/file",
        "sh",
        "-c",
        script,
    ];
    let out = ran_lib(&mut bwrap_with_fds(&args, fds)).ok();
    assert_eq!(out.stdout, "content\nread-only\n");
}

/// test-run.sh: "bind-fd" — the directory open on fd 100.
#[test]
fn bind_fd() {
    let _guard = common::shared();
    if skip("bind_fd") {
        return;
    }
    let work = work_dir("bind-fd");
    fs::write(work.path().join("file-data"), "foobar\n").unwrap();
    let fds = vec![(100, fs::File::open(work.path()).unwrap().into())];
    let args = [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--bind",
        "/",
        "/",
        "--bind-fd",
        "100",
        "/tmp",
        "cat",
        "/tmp/file-data",
    ];
    let out = ran_lib(bwrap_with_fds(&args, fds).current_dir(work.path())).ok();
    assert_eq!(out.stdout, "foobar\n");
}

/// Not upstream's: what the issue found. A read-only bind of / leaves no
/// mount below it writable (/dev/shm, /proc, cgroups...), and `--remount-ro`
/// changes only the mount it names.
#[test]
fn ro_bind_is_read_only_all_the_way_down() {
    let _guard = common::shared();
    if skip("ro_bind_is_read_only_all_the_way_down") {
        return;
    }
    let out = ran(&mut bwrap(&[
        "--ro-bind",
        "/",
        "/",
        "sh",
        "-c",
        "awk '$5 != \"/\" && $6 !~ /^ro/ { print $5 }' /proc/self/mountinfo; \
         touch /dev/shm/x 2>/dev/null && echo shm-writable; echo done",
    ]))
    .ok();
    assert_eq!(out.stdout, "done\n");
    let out = ran(&mut run(&[
        "--tmpfs",
        "/tmp/sub",
        "--remount-ro",
        "/tmp",
        "sh",
        "-c",
        "touch /tmp/x 2>/dev/null || echo tmp-ro; touch /tmp/sub/x && echo sub-rw",
    ]))
    .ok();
    assert_eq!(out.stdout, "tmp-ro\nsub-rw\n");
}
