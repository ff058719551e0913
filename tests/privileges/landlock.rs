//! Landlock: what the child may reach once `Command::landlock` confined
//! it, seen by this test binary re-run as a helper that tries each
//! operation and reports its errno; and what `prepare()` refuses.

use crate::common;

use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use clonexec::{Command, Landlock, Stdio};
use common::{TempDir, helper_command, must_report};

const HELPER_ENV: &str = "CLONEXEC_LANDLOCK_HELPER";
const EACCES: &str = "13";
/// The ABI that enforces everything a `Landlock` asks for: TCP rules (4)
/// and device ioctls (5).
const FULL_ABI: u32 = 5;

fn helper_test() -> String {
    common::test_name!(landlock_helper)
}

/// Runs each of `ops` (`;`-separated `write:PATH`, `read:PATH`,
/// `mkdir:PATH`, `connect:PORT`, `bind:PORT`, `no_new_privs`) in order and
/// reports `opN=ok` or `opN=ERRNO` (`no_new_privs` reports the flag).
#[test]
#[ignore = "helper: run by other tests in a child process"]
fn landlock_helper() {
    let Ok(ops) = std::env::var(HELPER_ENV) else {
        return;
    };
    for (i, op) in ops.split(';').enumerate() {
        let (what, arg) = op.split_once(':').unwrap_or((op, ""));
        let result: Result<(), i32> = match what {
            "write" => std::fs::write(arg, "x").map_err(errno),
            "read" => std::fs::read(arg).map(drop).map_err(errno),
            "mkdir" => std::fs::create_dir(arg).map_err(errno),
            "connect" => std::net::TcpStream::connect(("127.0.0.1", arg.parse().unwrap()))
                .map(drop)
                .map_err(errno),
            "bind" => reuseport_socket(arg.parse().unwrap()).map(drop),
            "nest_then_spawn" => {
                common::report(&format!("op{i}"), nest_then_spawn());
                continue;
            }
            "no_new_privs" => {
                // SAFETY: PR_GET_NO_NEW_PRIVS takes no pointer.
                let nnp = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
                common::report(&format!("op{i}"), nnp);
                continue;
            }
            other => panic!("unknown helper op {other}"),
        };
        match result {
            Ok(()) => common::report(&format!("op{i}"), "ok"),
            Err(errno) => common::report(&format!("op{i}"), errno),
        }
    }
}

/// Restricts this process until the kernel's nesting limit, then spawns
/// `true` with a ruleset: `STEP/ERRNO` of the failure, or `spawned`.
fn nest_then_spawn() -> String {
    // Handles LANDLOCK_ACCESS_FS_MAKE_BLOCK only: the helper needs nothing else.
    let attr: [u64; 3] = [1 << 11, 0, 0];
    // SAFETY: `attr` is a live landlock_ruleset_attr (handled fs, net,
    // scoped) of the size given.
    let ruleset = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            attr.as_ptr(),
            size_of_val(&attr),
            0u32,
        )
    };
    assert!(ruleset >= 0, "landlock_create_ruleset");
    // SAFETY: PR_SET_NO_NEW_PRIVS takes no pointer.
    assert_eq!(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        0
    );
    // SAFETY: integer arguments only; this helper process is ours to confine.
    while unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) } == 0 {}
    match Command::new("true")
        .landlock(Landlock::new().read_only(["/"]))
        .status()
    {
        Ok(status) => format!("spawned ({status})"),
        Err(e) => format!("{:?}/{}", e.step().unwrap(), e.raw_os_error().unwrap()),
    }
}

fn errno(e: std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(-1)
}

/// A TCP socket bound to 127.0.0.1:`port` with `SO_REUSEPORT`, so that the
/// parent and the child can both bind the same port: a bind the child is
/// allowed succeeds, one it is not fails with EACCES before the port is
/// even looked at.
fn reuseport_socket(port: u16) -> Result<OwnedFd, i32> {
    let last_errno = || std::io::Error::last_os_error().raw_os_error().unwrap_or(-1);
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: a fresh fd that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `one` and `addr` are live for the calls, with their sizes.
    let failed = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        ) != 0
            || libc::bind(
                socket.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                size_of::<libc::sockaddr_in>() as libc::socklen_t,
            ) != 0
    };
    if failed {
        return Err(last_errno());
    }
    Ok(socket)
}

/// The port `socket` is bound to.
fn bound_port(socket: &OwnedFd) -> u16 {
    // SAFETY: zeroed sockaddr_in is valid; getsockname fills it.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` and `len` are live and writable.
    let rc = unsafe {
        libc::getsockname(
            socket.as_raw_fd(),
            (&mut addr as *mut libc::sockaddr_in).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "getsockname");
    u16::from_be(addr.sin_port)
}

/// The helper running `ops` under `landlock`: what each op reported.
fn run_ops(landlock: Landlock, ops: &[String]) -> Vec<String> {
    let out = helper_command(&helper_test(), HELPER_ENV, &ops.join(";"))
        .landlock(landlock)
        .output()
        .unwrap_or_else(|e| panic!("spawn failed: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "helper failed: {}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (0..ops.len())
        .map(|i| must_report(&text, &format!("op{i}")))
        .collect()
}

fn op(what: &str, path: &Path) -> String {
    format!("{what}:{}", path.display())
}

#[test]
fn writes_beneath_read_write_succeed_and_elsewhere_fail_with_eacces() {
    let _guard = common::shared();
    if common::skip_unless_landlock(
        "writes_beneath_read_write_succeed_and_elsewhere_fail_with_eacces",
        FULL_ABI,
    ) {
        return;
    }
    let writable = TempDir::new("landlock-rw");
    let other = TempDir::new("landlock-other");
    let existing = other.write_file("existing", "old", 0o644);
    let landlock = Landlock::new()
        .read_only(["/"])
        .read_write([writable.path()]);
    let ops = [
        op("write", &writable.path().join("made")),
        op("mkdir", &writable.path().join("dir")),
        op("write", &other.path().join("made")),
        op("mkdir", &other.path().join("dir")),
        op("write", &existing),
        op("read", &existing),
        String::from("no_new_privs"),
    ];
    let results = run_ops(landlock, &ops);
    assert_eq!(
        results,
        ["ok", "ok", EACCES, EACCES, EACCES, "ok", "1"],
        "{ops:?}"
    );
    assert!(writable.path().join("made").exists());
    assert!(writable.path().join("dir").is_dir());
    assert_eq!(common::entries(other.path()), ["existing"]);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "old");
    // Only the child is confined.
    std::fs::write(other.path().join("by-the-parent"), "x").expect("the parent got confined");
}

/// Paths under no rule cannot even be read; a rule on one file covers
/// just that file; a prepared ruleset confines every child spawned from
/// it.
#[test]
fn only_the_listed_paths_can_be_reached() {
    let _guard = common::shared();
    if common::skip_unless_landlock("only_the_listed_paths_can_be_reached", FULL_ABI) {
        return;
    }
    let readable = TempDir::new("landlock-ro");
    let one_file = readable.write_file("one", "1", 0o644);
    let beside = readable.write_file("beside", "2", 0o644);
    let hidden = TempDir::new("landlock-hidden");
    let secret = hidden.write_file("secret", "s", 0o644);
    // What the helper (this test binary) needs to run: itself, the loader
    // and libraries, and what they read.
    let exe = std::env::current_exe().unwrap();
    let mut system: Vec<&Path> = vec![exe.parent().unwrap()];
    system.extend(
        ["/usr", "/lib", "/lib64", "/lib32", "/etc"]
            .iter()
            .map(Path::new)
            .filter(|p| p.exists()),
    );
    let landlock = Landlock::new().read_only(system).read_only([&one_file]);
    let ops = [
        op("read", &one_file),
        op("read", &beside),
        op("read", &secret),
        op("write", &one_file),
    ];
    let prepared = helper_command(&helper_test(), HELPER_ENV, &ops.join(";"))
        .landlock(landlock)
        .stdout(Stdio::piped())
        .prepare()
        .unwrap();
    assert!(
        prepared.landlock_dropped().is_empty(),
        "{:?}",
        prepared.landlock_dropped()
    );
    for _ in 0..2 {
        let out = prepared.spawn().unwrap().wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}\n{text}", out.status);
        let results: Vec<String> = (0..ops.len())
            .map(|i| must_report(&text, &format!("op{i}")))
            .collect();
        assert_eq!(results, ["ok", EACCES, EACCES, EACCES], "{ops:?}");
    }
}

#[test]
fn connect_and_bind_only_to_the_listed_tcp_ports() {
    let _guard = common::shared();
    if common::skip_unless_landlock("connect_and_bind_only_to_the_listed_tcp_ports", FULL_ABI) {
        return;
    }
    let listed = TcpListener::bind("127.0.0.1:0").unwrap();
    let unlisted = TcpListener::bind("127.0.0.1:0").unwrap();
    let (listed_port, unlisted_port) = (
        listed.local_addr().unwrap().port(),
        unlisted.local_addr().unwrap().port(),
    );
    let bind_listed = reuseport_socket(0).unwrap();
    let bind_unlisted = reuseport_socket(0).unwrap();
    let (bind_port, no_bind_port) = (bound_port(&bind_listed), bound_port(&bind_unlisted));
    // Network only: the filesystem stays open (the helper needs it).
    let landlock = Landlock::new()
        .restrict_network(true)
        .connect_tcp([listed_port])
        .bind_tcp([bind_port]);
    let ops = [
        format!("connect:{listed_port}"),
        format!("connect:{unlisted_port}"),
        format!("bind:{bind_port}"),
        format!("bind:{no_bind_port}"),
        // Bind rights do not give connect rights.
        format!("connect:{bind_port}"),
    ];
    let results = run_ops(landlock, &ops);
    // The last connect is refused by Landlock before the kernel sees that
    // nothing listens there (which would be ECONNREFUSED).
    assert_eq!(results, ["ok", EACCES, "ok", EACCES, EACCES], "{ops:?}");
    // Only the child is confined.
    std::net::TcpStream::connect(("127.0.0.1", unlisted_port)).expect("the parent got confined");
}

/// Landlock comes after the uid change and before the seccomp policy:
/// all three together still run the program, confined.
#[cfg(target_arch = "x86_64")]
#[test]
fn landlock_with_a_uid_change_and_a_seccomp_policy() {
    use clonexec::{SeccompAction, SeccompPolicy};
    let _guard = common::shared();
    if common::skip_unless_root("landlock_with_a_uid_change_and_a_seccomp_policy")
        || common::skip_unless_landlock("landlock_with_a_uid_change_and_a_seccomp_policy", FULL_ABI)
    {
        return;
    }
    let out = Command::new("sh")
        .args(["-c", "id -u; echo x > /tmp/clonexec-landlock-never"])
        .uid(65534)
        .gid(65534)
        .landlock(Landlock::new().read_only(["/"]))
        .seccomp(SeccompPolicy::new(SeccompAction::Allow).deny(["uname"], SeccompAction::Errno(1)))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "65534\n", "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(!Path::new("/tmp/clonexec-landlock-never").exists());
}

fn refusal(landlock: Landlock) -> String {
    let err = Command::new("true")
        .landlock(landlock)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None, "{err}");
    err.to_string()
}

#[test]
fn a_path_that_does_not_exist_is_refused_naming_it() {
    let _guard = common::shared();
    if common::skip_unless_landlock("a_path_that_does_not_exist_is_refused_naming_it", 1) {
        return;
    }
    let missing = common::unique_temp_path("landlock-missing");
    let message = refusal(Landlock::new().read_only(["/"]).read_write([&missing]));
    assert_eq!(
        message,
        format!(
            "spawning \"true\": the Landlock read_write path {:?} does not exist",
            missing.display().to_string()
        )
    );
}

#[test]
fn rulesets_that_restrict_nothing_are_refused() {
    let _guard = common::shared();
    let message = refusal(Landlock::new());
    assert!(message.contains("restricts nothing"), "{message}");
    let message = refusal(Landlock::new().read_only(["/"]).connect_tcp([80]));
    assert!(
        message.contains("without restrict_network(true)"),
        "{message}"
    );
    assert!(message.contains("connect_tcp/bind_tcp"), "{message}");
}

/// The ruleset fd the plan owns is close-on-exec: the program never
/// inherits it.
#[test]
fn the_program_does_not_inherit_the_ruleset_fd() {
    let _guard = common::shared();
    if common::skip_unless_landlock("the_program_does_not_inherit_the_ruleset_fd", 1) {
        return;
    }
    let text = common::stdout_of(
        Command::new("sh")
            .args(["-c", "ls -l /proc/self/fd/"])
            .landlock(Landlock::new().read_only(["/"])),
    );
    assert!(!text.contains("landlock-ruleset"), "{text}");
}

/// A refused `landlock_restrict_self` fails the spawn at its step: the
/// kernel allows 16 nested Landlock domains, and the helper uses them all
/// up before it spawns with a ruleset of its own.
#[test]
fn a_refused_restriction_fails_at_the_landlock_step() {
    let _guard = common::shared();
    if common::skip_unless_landlock("a_refused_restriction_fails_at_the_landlock_step", 1) {
        return;
    }
    let results = run_ops(
        Landlock::new().read_only(["/"]),
        &[String::from("nest_then_spawn")],
    );
    // E2BIG: too many nested domains.
    assert_eq!(results, ["Landlock/7"]);
}
