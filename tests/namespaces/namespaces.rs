//! New and joined namespaces, id maps, cgroup placement: what the child
//! really sees (its ids, its /proc/self/ns links, its hostname, its network
//! devices, its pid), and that nothing of it reaches the test process.
//!
//! These need root and the real kernel (not qemu-user); without them they
//! say so and pass. The unprivileged user-namespace cases re-run this test
//! binary as uid 65534 (the ignored `ns_helper` test does the work there),
//! and the loopback cases re-run it inside the new network namespace.
//!
//! The leak test and the cgroup test count this process's fds and zombie
//! children: they hold `common::exclusive()`, every other test
//! `common::shared()`.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use clonexec::{Command, IdMap, Mount, Namespaces, Step};
use common::{
    HELPER_ARG, HELPER_MODE, Reaper, SelfCopy, exclusive, helper_arg, helper_command, helper_mode,
    helper_result, ns_of, open_fd_count, own_ns, shared, stdout_of, zombie_children,
};

const NOBODY: u32 = 65534;

/// This binary re-run as the ignored [`ns_helper`] test in `mode`, with
/// `arg` for it.
fn ns_helper_command(mode: &str, arg: &str) -> Command {
    let mut cmd = helper_command(&common::test_name!(ns_helper), HELPER_MODE, mode);
    cmd.env(HELPER_ARG, arg);
    cmd
}

/// The numbers of a map line (`"         0          0          1"`).
fn map_lines(text: &str) -> Vec<Vec<u64>> {
    text.lines()
        .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
        .collect()
}

fn hostname_of_host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname").unwrap()
}

fn domainname_of_host() -> String {
    fs::read_to_string("/proc/sys/kernel/domainname").unwrap()
}

#[test]
fn user_ns_maps_root_to_caller() {
    let _guard = shared();
    if common::skip_unless_namespaces("user_ns_maps_root_to_caller") {
        return;
    }
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "id -u; id -g; cat /proc/self/setgroups; \
                 cat /proc/self/uid_map; echo --; cat /proc/self/gid_map",
            ])
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 0, 1)])
            .gid_map([IdMap::new(0, 0, 1)]),
    );
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("0"), "{out}");
    assert_eq!(lines.next(), Some("0"), "{out}");
    // Root has CAP_SETGID: the kernel's default `allow` is left alone.
    assert_eq!(lines.next(), Some("allow"), "{out}");
    let (uid_map, gid_map) = out.split_once("--\n").unwrap();
    let uid_map = uid_map.lines().last().unwrap();
    assert_eq!(map_lines(uid_map), [[0, 0, 1]], "{out}");
    assert_eq!(map_lines(gid_map), [[0, 0, 1]], "{out}");
    // The child really is in a new user namespace.
    let link = stdout_of(
        Command::new("readlink")
            .arg("/proc/self/ns/user")
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 0, 1)]),
    );
    assert_ne!(link.trim(), own_ns("user"));
}

#[test]
fn user_ns_multi_line_map_and_setgroups_deny() {
    let _guard = shared();
    if common::skip_unless_namespaces("user_ns_multi_line_map_and_setgroups_deny") {
        return;
    }
    // Outside uid 0 (us) is inside uid 1000: `id -u` shows the direction.
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "id -u; id -g; cat /proc/self/setgroups; cat /proc/self/uid_map",
            ])
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 100_000, 1000), IdMap::new(1000, 0, 1)])
            .gid_map([IdMap::new(7, 0, 1)])
            .allow_setgroups(false),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..3], ["1000", "7", "deny"], "{out}");
    let mut map = map_lines(&lines[3..].join("\n"));
    map.sort();
    assert_eq!(map, [[0, 100_000, 1000], [1000, 0, 1]], "{out}");
}

/// Without maps (the vfork path) the child's ids are unmapped: it sees
/// the overflow ids (65534 by default) and an empty map file.
#[test]
fn user_ns_without_maps_shows_overflow_ids() {
    let _guard = shared();
    if common::skip_unless_namespaces("user_ns_without_maps_shows_overflow_ids") {
        return;
    }
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", "id -u; id -g; cat /proc/self/uid_map; echo end"])
            .namespaces(Namespaces::USER),
    );
    let overflow = |what| fs::read_to_string(format!("/proc/sys/kernel/overflow{what}")).unwrap();
    assert_eq!(out, format!("{}{}end\n", overflow("uid"), overflow("gid")));
}

/// A uid/gid change inside the new user namespace (setresuid to a mapped
/// id) on the non-vfork path: the child runs as the inside id, which is
/// nobody outside.
#[test]
fn uid_change_inside_user_ns() {
    let _guard = shared();
    if common::skip_unless_namespaces("uid_change_inside_user_ns") {
        return;
    }
    let mut child = Reaper(Some(
        Command::new("sh")
            .args(["-c", "id -u; id -g; exec sleep 10"])
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 0, 1), IdMap::new(1, NOBODY, 1)])
            .gid_map([IdMap::new(0, 0, 1), IdMap::new(1, NOBODY, 1)])
            .uid(1)
            .gid(1)
            .stdout(clonexec::Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let mut stdout = child.child().stdout.take().unwrap();
    let mut text = [0u8; 4];
    std::io::Read::read_exact(&mut stdout, &mut text).unwrap();
    assert_eq!(&text, b"1\n1\n");
    // Seen from here, the same process runs as nobody.
    let status = fs::read_to_string(format!("/proc/{}/status", child.child().id())).unwrap();
    let field = |key| common::status_field(&status, key).unwrap().to_string();
    assert_eq!(field("Uid"), "65534\t65534\t65534\t65534", "{status}");
    assert_eq!(field("Gid"), "65534\t65534\t65534\t65534", "{status}");
    child.finish();
}

/// Runs the unprivileged cases as uid 65534 from a world-runnable copy of
/// this binary (see `helper_unprivileged`).
#[test]
fn user_ns_as_unprivileged_user() {
    if common::skip_unless_namespaces("user_ns_as_unprivileged_user") {
        return;
    }
    // Declared first so that it is released last: the copy spawns `cp` and
    // the temp dir's removal opens fds, which the leak test must not see.
    let _guard = shared();
    let copy = SelfCopy::new();
    let dir = copy.dir();
    let mnt_target = dir.join("mnt");
    fs::create_dir(&mnt_target).unwrap();
    fs::create_dir(dir.join("src")).unwrap();
    fs::write(dir.join("src/f"), "host\n").unwrap();
    fs::set_permissions(
        dir.join("src/f"),
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    let out = copy
        .command(&common::test_name!(ns_helper), HELPER_MODE, "unprivileged")
        .env(HELPER_ARG, dir.to_str().unwrap())
        .uid(NOBODY)
        .gid(NOBODY)
        .current_dir("/")
        .output()
        .unwrap();
    if let Err(reason) = helper_result("unprivileged", &out) {
        common::skip(
            "the user namespace checks of user_ns_as_unprivileged_user",
            reason,
        );
    }
    assert!(
        common::entries(&mnt_target).is_empty(),
        "the child's mounts reached us"
    );
    assert_eq!(fs::read_to_string(dir.join("src/f")).unwrap(), "host\n");
}

fn helper_unprivileged() {
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    assert_eq!((uid, gid), (NOBODY, NOBODY), "helper must run as nobody");

    // 0 → 65534 for both: the gid map needs `deny` in setgroups first,
    // which clonexec writes by default for a caller without CAP_SETGID.
    let result = Command::new("sh")
        .args([
            "-c",
            "id -u; id -g; cat /proc/self/setgroups; cat /proc/self/uid_map /proc/self/gid_map",
        ])
        .namespaces(Namespaces::USER)
        .uid_map([IdMap::new(0, NOBODY, 1)])
        .gid_map([IdMap::new(0, NOBODY, 1)])
        .output();
    let out = match result {
        Err(e) if e.step() == Some(Step::Clone) => {
            println!("helper-skip unprivileged: unprivileged user namespaces refused ({e})");
            return;
        }
        other => other.unwrap(),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {:?}", out.stderr);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..3], ["0", "0", "deny"], "{text}");
    assert_eq!(
        map_lines(&lines[3..].join("\n")),
        [[0, 65534, 1], [0, 65534, 1]],
        "{text}"
    );

    // `allow` makes the kernel refuse our gid map.
    let err = Command::new("true")
        .namespaces(Namespaces::USER)
        .uid_map([IdMap::new(0, NOBODY, 1)])
        .gid_map([IdMap::new(0, NOBODY, 1)])
        .allow_setgroups(true)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::GidMap), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");

    // Mapping a uid that is not ours is refused too, at the uid map.
    let err = Command::new("true")
        .namespaces(Namespaces::USER)
        .uid_map([IdMap::new(0, 0, 1)])
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::UidMap), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    assert_eq!(
        zombie_children(),
        Vec::<i32>::new(),
        "failed spawns left zombies"
    );

    // A rootless sandbox: the other namespaces belong to the new user
    // namespace, so the child may set them up without any privilege here.
    let dir = PathBuf::from(helper_arg());
    let target = dir.join("mnt").to_str().unwrap().to_string();
    let text = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "hostname; echo $$; id -u; touch \"$0/x\" && ls \"$0\"; cat /proc/net/dev",
                &target,
            ])
            .namespaces(
                Namespaces::USER
                    | Namespaces::MOUNT
                    | Namespaces::UTS
                    | Namespaces::NET
                    | Namespaces::IPC
                    | Namespaces::PID,
            )
            .uid_map([IdMap::new(0, NOBODY, 1)])
            .gid_map([IdMap::new(0, NOBODY, 1)])
            .hostname("rootless")
            .loopback_up(true)
            .mount(Mount::tmpfs(&target)),
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..4], ["rootless", "1", "0", "x"], "{text}");
    assert_eq!(net_devices(&lines[4..].join("\n")), ["lo"], "{text}");

    // Its own proc, mounted from inside the user namespace. The kernel
    // allows that only where the caller's proc is fully visible (not in a
    // container that masks parts of it): say so rather than fail there.
    let result = Command::new("sh")
        .args(["-c", "echo /proc/[0-9]*"])
        .namespaces(Namespaces::USER | Namespaces::MOUNT | Namespaces::PID)
        .uid_map([IdMap::new(0, NOBODY, 1)])
        .gid_map([IdMap::new(0, NOBODY, 1)])
        .mount(Mount::proc("/proc"))
        .output();
    match result {
        Err(e) if e.step() == Some(Step::Mount) && e.raw_os_error() == Some(libc::EPERM) => {
            println!("note: proc mount in a user namespace refused here: {e}");
        }
        other => {
            let out = other.unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "/proc/1\n",
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // A read-only bind of a directory from the caller's mounts: inside a
    // user namespace the kernel only allows the read-only remount if it
    // keeps the locked flags (here relatime) of the original mount.
    let out = Command::new("sh")
        .args(["-c", "cat \"$0/f\"; echo child > \"$0/f\"", &target])
        .namespaces(Namespaces::USER | Namespaces::MOUNT)
        .uid_map([IdMap::new(0, NOBODY, 1)])
        .gid_map([IdMap::new(0, NOBODY, 1)])
        .mount(Mount::bind(dir.join("src"), &target).read_only())
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"host\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Read-only file system"), "{err}");
    // The same file is writable for us (0666) outside the child's view.
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join("src/f"))
        .expect("host file writable");
    println!("helper-done unprivileged");
}

/// The interface names of a /proc/net/dev text.
fn net_devices(text: &str) -> Vec<String> {
    text.lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_string()))
        .collect()
}

#[test]
fn net_ns_sees_only_loopback() {
    let _guard = shared();
    if common::skip_unless_namespaces("net_ns_sees_only_loopback") {
        return;
    }
    let out = stdout_of(
        Command::new("cat")
            .arg("/proc/net/dev")
            .namespaces(Namespaces::NET),
    );
    assert_eq!(net_devices(&out), ["lo"], "{out}");
}

/// `loopback_up(true)` is checked from inside the namespace: this binary,
/// re-run there, asks the kernel for lo's flags and sends itself a UDP
/// datagram over 127.0.0.1 (no `ip` or `ping` needed). Without it lo stays
/// down and 127.0.0.1 is not even assigned.
#[test]
fn loopback_up_in_new_net_ns() {
    let _guard = shared();
    if common::skip_unless_namespaces("loopback_up_in_new_net_ns") {
        return;
    }
    for (up, mode) in [(true, "loopback-up"), (false, "loopback-down")] {
        let out = ns_helper_command(mode, &own_ns("net"))
            .namespaces(Namespaces::NET)
            .loopback_up(up)
            .output()
            .unwrap();
        helper_result(mode, &out).unwrap();
    }
    // In a joined network namespace (a sleeper's, where lo starts down).
    let mut sleeper = Reaper(Some(
        Command::new("sleep")
            .arg("10")
            .namespaces(Namespaces::NET)
            .spawn()
            .unwrap(),
    ));
    let fd = fs::File::open(format!("/proc/{}/ns/net", sleeper.child().id())).unwrap();
    let out = ns_helper_command("loopback-up", &own_ns("net"))
        .join_namespace(fd, Namespaces::NET)
        .loopback_up(true)
        .output()
        .unwrap();
    helper_result("loopback-up", &out).unwrap();
    sleeper.finish();
}

fn helper_loopback(expect_up: bool) {
    assert_ne!(own_ns("net"), helper_arg(), "helper is not in a new net ns");
    // SAFETY: socket() has no pointer arguments.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    assert!(sock >= 0);
    // SAFETY: an all-zero ifreq is valid; we fill in the name.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS reads the name and writes the flags in `req`.
    let rc = unsafe { libc::ioctl(sock, libc::SIOCGIFFLAGS as _, &mut req) };
    assert_eq!(rc, 0, "SIOCGIFFLAGS: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel filled the flags member.
    let flags = i32::from(unsafe { req.ifr_ifru.ifru_flags });
    // SAFETY: sock is ours.
    unsafe { libc::close(sock) };
    assert_eq!(flags & libc::IFF_UP != 0, expect_up, "lo flags {flags:#x}");

    let roundtrip = || -> std::io::Result<Vec<u8>> {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
        sock.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
        sock.send_to(b"ping", sock.local_addr()?)?;
        let mut buf = [0u8; 16];
        let n = sock.recv(&mut buf)?;
        Ok(buf[..n].to_vec())
    };
    match roundtrip() {
        Ok(data) => {
            assert!(expect_up, "UDP over a down lo worked");
            assert_eq!(data, b"ping");
        }
        Err(e) => assert!(!expect_up, "UDP over lo failed: {e}"),
    }
    println!(
        "helper-done loopback-{}",
        if expect_up { "up" } else { "down" }
    );
}

#[test]
fn pid_ns_child_is_pid_1() {
    let _guard = shared();
    if common::skip_unless_namespaces("pid_ns_child_is_pid_1") {
        return;
    }
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", "echo $$"])
            .namespaces(Namespaces::PID),
    );
    assert_eq!(out, "1\n");
}

#[test]
fn pid_ns_with_own_proc_shows_only_its_processes() {
    let _guard = shared();
    if common::skip_unless_namespaces("pid_ns_with_own_proc_shows_only_its_processes") {
        return;
    }
    let before = common::mount_points("self");
    // The globs run in sh itself (pid 1): first it is alone, then a
    // background child shows up too.
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "echo /proc/[0-9]*; cat /proc/1/comm; sleep 5 & echo /proc/[0-9]*; kill $!",
            ])
            .namespaces(Namespaces::PID | Namespaces::MOUNT)
            .mount(Mount::proc("/proc")),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["/proc/1", "sh"], "{out}");
    // With a second process (the background sleep, after cat: pid 3).
    assert_eq!(lines[2], "/proc/1 /proc/3", "{out}");
    assert_eq!(
        common::mount_points("self"),
        before,
        "our mount table changed"
    );
    // Our /proc still shows the host's processes, ourselves included.
    assert!(Path::new(&format!("/proc/{}", std::process::id())).exists());
}

#[test]
fn uts_ns_hostname_and_domainname() {
    let _guard = shared();
    if common::skip_unless_namespaces("uts_ns_hostname_and_domainname") {
        return;
    }
    let (host, domain) = (hostname_of_host(), domainname_of_host());
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", "hostname; cat /proc/sys/kernel/domainname"])
            .namespaces(Namespaces::UTS)
            .hostname("clonexec-uts")
            .domainname("clonexec.example"),
    );
    assert_eq!(out, "clonexec-uts\nclonexec.example\n");
    // 64 bytes is the kernel's limit, and accepted.
    let long = "h".repeat(64);
    let out = stdout_of(
        Command::new("hostname")
            .namespaces(Namespaces::UTS)
            .hostname(&long),
    );
    assert_eq!(out.trim_end(), long);
    assert_eq!(hostname_of_host(), host);
    assert_eq!(domainname_of_host(), domain);
    // SAFETY: an all-zero utsname is a valid out-buffer.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname fills the buffer.
    assert_eq!(unsafe { libc::uname(&mut uts) }, 0);
    // SAFETY: the kernel NUL-terminates nodename.
    let node = unsafe { std::ffi::CStr::from_ptr(uts.nodename.as_ptr()) };
    assert_eq!(node.to_str().unwrap(), host.trim_end());
}

const ALL_KINDS: [Namespaces; 8] = [
    Namespaces::USER,
    Namespaces::MOUNT,
    Namespaces::PID,
    Namespaces::NET,
    Namespaces::IPC,
    Namespaces::UTS,
    Namespaces::CGROUP,
    Namespaces::TIME,
];

/// Each kind alone: the child's /proc/self/ns link of that kind differs
/// from ours, every other link is the same.
#[test]
fn each_requested_namespace_differs_from_the_parents() {
    let _guard = shared();
    if common::skip_unless_namespaces("each_requested_namespace_differs_from_the_parents") {
        return;
    }
    let names: Vec<&str> = ALL_KINDS.iter().map(|k| k.proc_name()).collect();
    let ours: Vec<String> = names.iter().map(|n| own_ns(n)).collect();
    let paths: Vec<String> = names.iter().map(|n| format!("/proc/self/ns/{n}")).collect();
    for kind in ALL_KINDS {
        let out = Command::new("readlink")
            .args(&paths)
            .namespaces(kind)
            .output()
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(
            out.status.success(),
            "{kind:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let theirs: Vec<&str> = text.lines().collect();
        assert_eq!(theirs.len(), names.len(), "{kind:?}: {text}");
        for ((name, mine), theirs) in names.iter().zip(&ours).zip(&theirs) {
            if *name == kind.proc_name() {
                assert_ne!(mine, theirs, "{kind:?}: {name} not new");
                assert!(theirs.starts_with(&format!("{name}:[")), "{theirs}");
            } else {
                assert_eq!(mine, theirs, "{kind:?}: {name} changed too");
            }
        }
    }
}

/// All kinds at once (with maps, so on the non-vfork path) still start the
/// program, each link new.
#[test]
fn all_namespaces_together() {
    let _guard = shared();
    if common::skip_unless_namespaces("all_namespaces_together") {
        return;
    }
    let mut all = Namespaces::empty();
    for kind in ALL_KINDS {
        all |= kind;
    }
    let paths: Vec<String> = ALL_KINDS
        .iter()
        .map(|k| format!("/proc/self/ns/{}", k.proc_name()))
        .collect();
    let out = stdout_of(
        Command::new("readlink")
            .args(&paths)
            .namespaces(all)
            .uid_map([IdMap::new(0, 0, 1)])
            .gid_map([IdMap::new(0, 0, 1)]),
    );
    for (kind, link) in ALL_KINDS.iter().zip(out.lines()) {
        assert_ne!(link, own_ns(kind.proc_name()), "{kind:?}");
    }
    assert_eq!(out.lines().count(), ALL_KINDS.len());
}

/// A cgroup v2 directory created for one test, removed when dropped (after
/// the child is reaped; the kernel may need a moment to let go).
struct CgroupDir(PathBuf);

impl Drop for CgroupDir {
    fn drop(&mut self) {
        for _ in 0..200 {
            match fs::remove_dir(&self.0) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                _ => return,
            }
        }
        eprintln!("could not remove cgroup {}", self.0.display());
    }
}

/// Where cgroup v2 is mounted: /sys/fs/cgroup on a unified host, often
/// /sys/fs/cgroup/unified on a hybrid one.
fn cgroup2_mount() -> Option<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut found: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            (right.split(' ').next()? == "cgroup2")
                .then(|| left.split(' ').nth(4).map(PathBuf::from))
                .flatten()
        })
        .collect();
    found.sort_by_key(|p| p != Path::new("/sys/fs/cgroup"));
    found.into_iter().next()
}

#[test]
fn child_starts_in_the_given_cgroup() {
    let _guard = shared();
    if common::skip_unless_namespaces("child_starts_in_the_given_cgroup") {
        return;
    }
    let Some(root) = cgroup2_mount() else {
        common::skip("child_starts_in_the_given_cgroup", "no cgroup2 mount");
        return;
    };
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "clonexec-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let path = root.join(&name);
    if let Err(e) = fs::create_dir(&path) {
        common::skip(
            "child_starts_in_the_given_cgroup",
            format_args!("mkdir {}: {e}", path.display()),
        );
        return;
    }
    let _cleanup = CgroupDir(path.clone());
    let dir = fs::File::open(&path).unwrap();
    let out = stdout_of(Command::new("cat").arg("/proc/self/cgroup").cgroup(dir));
    let v2 = out
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .unwrap_or_else(|| panic!("no cgroup v2 line: {out}"));
    assert!(v2.ends_with(&format!("/{name}")), "child's cgroup {v2}");
    // The same on the non-vfork path (user namespace with maps), with a
    // pidfd: still born in the cgroup.
    let dir = fs::File::open(&path).unwrap();
    let out = stdout_of(
        Command::new("cat")
            .arg("/proc/self/cgroup")
            .namespaces(Namespaces::USER)
            .uid_map([IdMap::new(0, 0, 1)])
            .create_pidfd(true)
            .cgroup(dir),
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("0::") && l.ends_with(&format!("/{name}"))),
        "{out}"
    );
    // The cgroup is empty again, and we never were in it.
    assert_eq!(fs::read_to_string(path.join("cgroup.procs")).unwrap(), "");
    let ours = fs::read_to_string("/proc/self/cgroup").unwrap();
    assert!(!ours.contains(&name), "{ours}");
}

#[test]
fn joining_another_childs_uts_ns_sees_its_hostname() {
    let _guard = shared();
    if common::skip_unless_namespaces("joining_another_childs_uts_ns_sees_its_hostname") {
        return;
    }
    let host = hostname_of_host();
    let mut sleeper = Reaper(Some(
        Command::new("sleep")
            .arg("10")
            .namespaces(Namespaces::UTS)
            .hostname("joined")
            .spawn()
            .unwrap(),
    ));
    let pid = sleeper.child().id();
    let fd = fs::File::open(format!("/proc/{pid}/ns/uts")).unwrap();
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", "hostname; readlink /proc/self/ns/uts"])
            .join_namespace(fd, Namespaces::UTS),
    );
    assert_eq!(out, format!("joined\n{}\n", ns_of(pid, "uts")));
    assert_eq!(sleeper.finish().signal(), Some(libc::SIGKILL));
    assert_eq!(hostname_of_host(), host);
}

/// A pidfd names several namespaces at once: setns(pidfd, UTS|NET).
#[test]
fn joining_through_a_pidfd_enters_several_kinds() {
    let _guard = shared();
    if common::skip_unless_namespaces("joining_through_a_pidfd_enters_several_kinds") {
        return;
    }
    let mut sleeper = Reaper(Some(
        Command::new("sleep")
            .arg("10")
            .namespaces(Namespaces::UTS | Namespaces::NET | Namespaces::IPC)
            .hostname("via-pidfd")
            .create_pidfd(true)
            .spawn()
            .unwrap(),
    ));
    let pid = sleeper.child().id();
    let pidfd = sleeper
        .child()
        .pidfd()
        .expect("pidfd")
        .try_clone_to_owned()
        .unwrap();
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "hostname; readlink /proc/self/ns/net /proc/self/ns/ipc",
            ])
            .join_namespace(pidfd, Namespaces::UTS | Namespaces::NET),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "via-pidfd");
    assert_eq!(lines[1], ns_of(pid, "net"));
    // IPC was not asked for: still ours.
    assert_eq!(lines[2], own_ns("ipc"));
    sleeper.finish();
}

/// The hostname may be set in a joined UTS namespace too (it is not the
/// caller's), and the owner of that namespace sees the change.
#[test]
fn hostname_in_a_joined_uts_ns() {
    let _guard = shared();
    if common::skip_unless_namespaces("hostname_in_a_joined_uts_ns") {
        return;
    }
    let host = hostname_of_host();
    let mut sleeper = Reaper(Some(
        Command::new("sleep")
            .arg("10")
            .namespaces(Namespaces::UTS)
            .hostname("before")
            .spawn()
            .unwrap(),
    ));
    let pid = sleeper.child().id();
    let fd = fs::File::open(format!("/proc/{pid}/ns/uts")).unwrap();
    let out = stdout_of(
        Command::new("hostname")
            .join_namespace(fd, Namespaces::UTS)
            .hostname("after"),
    );
    assert_eq!(out, "after\n");
    let fd = fs::File::open(format!("/proc/{pid}/ns/uts")).unwrap();
    assert_eq!(
        stdout_of(Command::new("hostname").join_namespace(fd, Namespaces::UTS)),
        "after\n"
    );
    sleeper.finish();
    assert_eq!(hostname_of_host(), host);
}

#[test]
fn joining_user_or_time_ns_is_refused_before_spawning() {
    let _guard = shared();
    for (kind, name) in [(Namespaces::USER, "user"), (Namespaces::TIME, "time")] {
        let fd = fs::File::open(format!("/proc/self/ns/{name}")).unwrap();
        let err = Command::new("true")
            .join_namespace(fd, kind)
            .spawn()
            .unwrap_err();
        assert_eq!(err.step(), None, "{err}");
        assert!(err.is_invalid_input());
        let text = err.to_string();
        assert!(text.contains("setns"), "{text}");
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn joining_a_file_that_is_not_a_namespace_fails_at_the_join_step() {
    let _guard = shared();
    // No namespace is created: this works under qemu-user too.
    if common::skip_unless_root("joining_a_file_that_is_not_a_namespace_fails_at_the_join_step") {
        return;
    }
    let fd = fs::File::open("/dev/null").unwrap();
    let err = Command::new("true")
        .join_namespace(fd, Namespaces::UTS)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::JoinNamespace), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
}

#[test]
fn pidfd_with_user_namespace() {
    let _guard = shared();
    if common::skip_unless_namespaces("pidfd_with_user_namespace") {
        return;
    }
    let mut child = Reaper(Some(
        Command::new("sleep")
            .arg("10")
            .namespaces(Namespaces::USER | Namespaces::PID)
            .uid_map([IdMap::new(0, 0, 1)])
            .gid_map([IdMap::new(0, 0, 1)])
            .create_pidfd(true)
            .spawn()
            .unwrap(),
    ));
    let pid = child.child().id();
    let pidfd = child
        .child()
        .pidfd()
        .expect("no pidfd with a user namespace");
    let raw = std::os::fd::AsRawFd::as_raw_fd(&pidfd);
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{raw}")).unwrap();
    assert_eq!(
        common::status_field(&info, "Pid"),
        Some(&*pid.to_string()),
        "{info}"
    );
    // Its namespace pid: 1.
    assert_eq!(
        common::status_field(&info, "NSpid"),
        Some(&*format!("{pid}\t1")),
        "{info}"
    );
    assert_ne!(ns_of(pid, "user"), own_ns("user"));
    child.child().kill().unwrap();
    let mut child = child.0.take().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
}

/// What `prepare()` refuses (step `None`, nothing spawned), each with a
/// message naming the culprit.
#[test]
fn prepare_refuses_namespace_misuse() {
    let _guard = shared();
    let uts_fd = || fs::File::open("/proc/self/ns/uts").unwrap();
    let net_fd = || fs::File::open("/proc/self/ns/net").unwrap();
    let user = Namespaces::USER;
    type Setup = Box<dyn Fn(&mut Command)>;
    let cases: Vec<(&str, Setup, &[&str])> = vec![
        (
            "hostname without UTS",
            Box::new(|c| {
                c.hostname("x");
            }),
            &["hostname()", "uts"],
        ),
        (
            "domainname without UTS",
            Box::new(|c| {
                c.domainname("x");
            }),
            &["domainname()", "uts"],
        ),
        (
            "loopback without NET",
            Box::new(|c| {
                c.loopback_up(true);
            }),
            &["loopback_up", "net"],
        ),
        (
            "mount without MOUNT",
            Box::new(|c| {
                c.mount(Mount::tmpfs("/tmp"));
            }),
            &["mount()", "mnt"],
        ),
        (
            "propagation without MOUNT",
            Box::new(|c| {
                c.mount_propagation(clonexec::Propagation::Shared);
            }),
            &["mount_propagation()", "mnt"],
        ),
        (
            "pivot_root without MOUNT",
            Box::new(|c| {
                c.pivot_root("/tmp");
            }),
            &["pivot_root()", "mnt"],
        ),
        (
            "uid_map without USER",
            Box::new(|c| {
                c.uid_map([IdMap::new(0, 0, 1)]);
            }),
            &["uid_map()", "USER"],
        ),
        (
            "gid_map without USER",
            Box::new(|c| {
                c.gid_map([IdMap::new(0, 0, 1)]);
            }),
            &["gid_map()", "USER"],
        ),
        (
            "overlapping inside",
            Box::new(move |c| {
                c.namespaces(user)
                    .uid_map([IdMap::new(0, 0, 10), IdMap::new(5, 100, 10)]);
            }),
            &["uid map", "overlap"],
        ),
        (
            "overlapping outside",
            Box::new(move |c| {
                c.namespaces(user)
                    .gid_map([IdMap::new(0, 100, 10), IdMap::new(50, 109, 1)]);
            }),
            &["gid map", "overlap"],
        ),
        (
            "count 0",
            Box::new(move |c| {
                c.namespaces(user).uid_map([IdMap::new(0, 0, 0)]);
            }),
            &["uid map", "count 0"],
        ),
        (
            "past the last id",
            Box::new(move |c| {
                c.namespaces(user).uid_map([IdMap::new(u32::MAX, 0, 2)]);
            }),
            &["uid map", "(uid_t)-1"],
        ),
        (
            "too many lines",
            Box::new(move |c| {
                c.namespaces(user)
                    .uid_map((0..341).map(|i| IdMap::new(i, i, 1)));
            }),
            &["uid map", "341 lines"],
        ),
        (
            "chroot and pivot_root",
            Box::new(|c| {
                c.namespaces(Namespaces::MOUNT)
                    .chroot("/tmp")
                    .pivot_root("/tmp");
            }),
            &["chroot()", "pivot_root()"],
        ),
        (
            "created and joined",
            Box::new(move |c| {
                c.namespaces(Namespaces::UTS)
                    .join_namespace(uts_fd(), Namespaces::UTS);
            }),
            &["uts", "both created and joined"],
        ),
        (
            "joined twice",
            Box::new(move |c| {
                c.join_namespace(net_fd(), Namespaces::NET)
                    .join_namespace(net_fd(), Namespaces::NET);
            }),
            &["net", "joined twice"],
        ),
        (
            "join nothing",
            Box::new(move |c| {
                c.join_namespace(net_fd(), Namespaces::empty());
            }),
            &["at least one namespace kind"],
        ),
        (
            "hostname too long",
            Box::new(|c| {
                c.namespaces(Namespaces::UTS).hostname("h".repeat(65));
            }),
            &["longer than 64 bytes"],
        ),
    ];
    for (what, setup, words) in cases {
        let mut cmd = Command::new("true");
        setup(&mut cmd);
        let err = match cmd.prepare() {
            Ok(_) => panic!("{what}: accepted"),
            Err(e) => e,
        };
        assert_eq!(err.step(), None, "{what}: {err}");
        assert!(err.is_invalid_input(), "{what}: {err}");
        let text = err.to_string();
        for word in words {
            assert!(text.contains(word), "{what}: {text:?} lacks {word:?}");
        }
    }
    // The limits themselves are accepted: 340 lines, a map up to the last id.
    Command::new("true")
        .namespaces(user)
        .uid_map((0..340).map(|i| IdMap::new(i, i, 1)))
        .prepare()
        .unwrap();
    Command::new("true")
        .namespaces(user)
        .uid_map([IdMap::new(u32::MAX - 1, 0, 1)])
        .prepare()
        .unwrap();
}

/// This process's open fds and what they are.
fn fd_links() -> Vec<(String, String)> {
    let mut fds: Vec<(String, String)> = fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .map(|e| {
            let link =
                fs::read_link(e.path()).map_or_else(|e| e.to_string(), |p| p.display().to_string());
            (e.file_name().to_string_lossy().into_owned(), link)
        })
        .collect();
    fds.sort();
    fds
}

/// Several threads spawning user-namespace children at once (the
/// non-vfork path, where the parent runs on while each child waits for its
/// maps): every child gets its own maps and hostname.
#[test]
fn parallel_user_ns_spawns_keep_their_own_settings() {
    let _guard = shared();
    if common::skip_unless_namespaces("parallel_user_ns_spawns_keep_their_own_settings") {
        return;
    }
    std::thread::scope(|scope| {
        for t in 0..4u32 {
            scope.spawn(move || {
                for i in 0..20u32 {
                    let inside = 1000 + t * 100 + i;
                    let name = format!("t{t}-{i}");
                    let out = stdout_of(
                        Command::new("sh")
                            .args(["-c", "id -u; hostname"])
                            .namespaces(Namespaces::USER | Namespaces::UTS)
                            .uid_map([IdMap::new(inside, 0, 1)])
                            .gid_map([IdMap::new(inside, 0, 1)])
                            .hostname(&name),
                    );
                    assert_eq!(out, format!("{inside}\n{name}\n"));
                }
            });
        }
    });
}

/// 200 user-namespace spawns on the non-vfork path, half failing: in the
/// child (bad working directory, missing program, failed mount) or in the
/// parent (a uid map newuidmap refuses). No fd, no zombie is left behind,
/// and the credential-changing ones leave us dumpable.
#[test]
fn user_ns_spawns_leak_nothing() {
    let _guard = exclusive();
    if common::skip_unless_namespaces("user_ns_spawns_leak_nothing") {
        return;
    }
    let run = |i: usize| {
        let mut cmd = Command::new(if i % 6 == 2 {
            "/nonexistent/prog"
        } else {
            "true"
        });
        cmd.namespaces(Namespaces::USER | Namespaces::UTS | Namespaces::PID)
            .uid_map([IdMap::new(0, 0, 1)])
            .gid_map([IdMap::new(0, 0, 1)])
            .create_pidfd(matches!(i % 6, 0 | 3 | 4))
            .stdin(clonexec::Stdio::null());
        let expected = match i % 6 {
            0 => {
                // A real credential change inside (outside: 0 → 65534)
                // makes the kernel mark the shared mm non-dumpable.
                cmd.uid_map([IdMap::new(0, 0, 1), IdMap::new(1, NOBODY, 1)])
                    .gid_map([IdMap::new(0, 0, 1), IdMap::new(1, NOBODY, 1)])
                    .uid(1)
                    .gid(1);
                None
            }
            1 => {
                cmd.current_dir("/nonexistent/dir");
                Some(Step::Chdir)
            }
            2 => Some(Step::Exec),
            3 => {
                // newuidmap refuses an outside uid that /etc/subuid does not
                // give us (or is missing): the map step fails after the
                // child exists. (A range the kernel refuses as root, with
                // (uid_t)-1 in it, is refused by prepare() now.)
                cmd.uid_map([IdMap::new(0, 4_000_000_000, 1)])
                    .id_map_helpers(true);
                Some(Step::UidMap)
            }
            4 => {
                cmd.namespaces(Namespaces::USER | Namespaces::MOUNT)
                    .mount(Mount::bind("/nonexistent/source", "/tmp"));
                Some(Step::Mount)
            }
            _ => None,
        };
        match (cmd.spawn(), expected) {
            (Ok(mut child), None) => assert!(child.wait().unwrap().success()),
            (Err(e), Some(step)) => assert_eq!(e.step(), Some(step), "{i}: {e}"),
            (Ok(_), Some(step)) => panic!("{i}: spawn worked, expected {step:?} to fail"),
            (Err(e), None) => panic!("{i}: {e}"),
        }
    };
    run(0); // warm-up: lazily opened fds (if any) are not leaks
    let fds = open_fd_count();
    let fd_list = fd_links();
    let zombies = zombie_children();
    for i in 0..200 {
        run(i);
    }
    assert_eq!(
        open_fd_count(),
        fds,
        "fds leaked: before {fd_list:?}, after {:?}",
        fd_links()
    );
    assert_eq!(zombie_children(), zombies, "zombies left");
    // ANCHORS trap 3: the children's credential changes did not leave us
    // non-dumpable.
    // SAFETY: PR_GET_DUMPABLE takes no pointer.
    assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE) }, 1);
}

#[test]
fn cgroup_fd_that_is_not_a_cgroup_fails_at_clone() {
    // Exclusive: the zombie count must not see other tests' children.
    let _guard = exclusive();
    if common::skip_unless_namespaces("cgroup_fd_that_is_not_a_cgroup_fails_at_clone") {
        return;
    }
    let before = zombie_children();
    let err = Command::new("true")
        .cgroup(fs::File::open("/").unwrap())
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Clone), "{err}");
    assert!(err.raw_os_error().is_some(), "{err}");
    assert!(err.to_string().contains("clone3"), "{err}");
    assert_eq!(zombie_children(), before);
}

/// Joining another child's mount namespace shows its mounts (made before
/// its exec), not ours.
#[test]
fn joining_a_mount_ns_sees_its_mounts() {
    let _guard = shared();
    if common::skip_unless_namespaces("joining_a_mount_ns_sees_its_mounts") {
        return;
    }
    let tmp = common::TempDir::new("ns-join-mnt");
    let src = tmp.path().join("src");
    let dst = tmp.path().join("dst");
    fs::create_dir(&src).unwrap();
    fs::create_dir(&dst).unwrap();
    fs::write(src.join("bound"), "").unwrap();
    let mut sleeper = Reaper(Some(
        Command::new("sleep")
            .arg("10")
            .namespaces(Namespaces::MOUNT)
            .mount(Mount::bind(&src, &dst))
            .spawn()
            .unwrap(),
    ));
    let pid = sleeper.child().id();
    let fd = fs::File::open(format!("/proc/{pid}/ns/mnt")).unwrap();
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "ls \"$0\"; readlink /proc/self/ns/mnt",
                dst.to_str().unwrap(),
            ])
            .join_namespace(fd, Namespaces::MOUNT),
    );
    assert_eq!(out, format!("bound\n{}\n", ns_of(pid, "mnt")));
    assert!(common::entries(&dst).is_empty());
    sleeper.finish();
}

/// `id_map_helpers(true)` runs newuidmap; when it is missing (package
/// uidmap), the spawn fails at the uid-map step with ENOENT and leaves the
/// waiting child reaped. The library looks for newuidmap in the `PATH`, so
/// a helper whose `PATH` is an empty directory lacks it whether the machine
/// has the package or not (this test used to skip where it was installed).
#[test]
fn id_map_helpers_without_newuidmap_fail_at_the_map_step() {
    let _guard = shared();
    if common::skip_unless_namespaces("id_map_helpers_without_newuidmap_fail_at_the_map_step") {
        return;
    }
    let empty = common::TempDir::new("empty-path");
    let out = ns_helper_command("no-newuidmap", "")
        .env("PATH", empty.path())
        .output()
        .unwrap();
    helper_result("no-newuidmap", &out).unwrap();
}

/// In a helper (alone in its process, so the zombie count is its own)
/// whose `PATH` has no newuidmap.
fn helper_no_newuidmap() {
    let before = zombie_children();
    let err = Command::new("/bin/true")
        .namespaces(Namespaces::USER)
        .uid_map([IdMap::new(0, 100_000, 65536)])
        .id_map_helpers(true)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::UidMap), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
    assert!(err.to_string().contains("newuidmap"), "{err}");
    assert_eq!(zombie_children(), before);
    println!("helper-done no-newuidmap");
}

/// Does the work of the tests that must run inside a namespace or as
/// another user. Ignored: it runs only when re-executed by those tests.
#[test]
#[ignore = "helper, run by other tests"]
fn ns_helper() {
    let Some(mode) = helper_mode() else {
        return;
    };
    match mode.as_str() {
        "unprivileged" => helper_unprivileged(),
        "loopback-up" => helper_loopback(true),
        "loopback-down" => helper_loopback(false),
        "no-newuidmap" => helper_no_newuidmap(),
        other => panic!("unknown helper mode {other}"),
    }
}
