//! Invalid input is refused by `prepare()` before any process exists:
//! `step() == None`, no errno, a message naming the program and the
//! offending thing, and `InvalidInput` as an io::Error.

use crate::common;

use clonexec::{Command, IdMap, Namespaces, Stdio};

/// Asserts that `cmd` is refused by prepare() (and by spawn()) with a
/// message containing each of `needles`.
fn assert_refused(cmd: &mut Command, program: &str, needles: &[&str]) {
    let err = cmd.prepare().unwrap_err();
    assert_eq!(err.step(), None, "{err}");
    assert_eq!(err.raw_os_error(), None, "{err}");
    assert!(err.is_invalid_input());
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("spawning {program:?}: ")),
        "the message names the program: {text}"
    );
    for needle in needles {
        assert!(text.contains(needle), "{text:?} should mention {needle:?}");
    }
    // spawn/status/output refuse the same way.
    let err = cmd.spawn().unwrap_err();
    assert_eq!(err.step(), None);
    assert_eq!(err.to_string(), text);
    let err = cmd.output().unwrap_err();
    assert_eq!(err.to_string(), text);
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(io.raw_os_error(), None);
    assert!(io.to_string().contains(needles[0]), "{io}");
}

#[test]
fn nul_byte_in_an_argument_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("echo").arg("fine").arg("bad\0arg"),
        "echo",
        &["argument 2", "NUL"],
    );
}

#[test]
fn nul_byte_in_arg0_is_refused() {
    let _guard = common::shared();
    assert_refused(Command::new("echo").arg0("a\0b"), "echo", &["arg0", "NUL"]);
}

#[test]
fn nul_byte_in_the_program_is_refused() {
    let _guard = common::shared();
    let err = Command::new("ec\0ho").prepare().unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.is_invalid_input());
    assert!(
        err.to_string().contains("program name contains a NUL byte"),
        "{err}"
    );
    // Even with arg0 set (argv[0] is then fine, the path is not).
    let err = Command::new("ec\0ho").arg0("echo").prepare().unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("program"), "{err}");
}

#[test]
fn nul_byte_in_an_env_value_or_key_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("env")
            .env("GOOD", "1")
            .env("BAD_VALUE", "x\0y"),
        "env",
        &["BAD_VALUE", "NUL"],
    );
    assert_refused(
        Command::new("env").env("BAD\0KEY", "v"),
        "env",
        &["BAD\\0KEY", "NUL"],
    );
}

#[test]
fn equals_sign_in_an_env_key_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("env").env("A=B", "v"),
        "env",
        &["\"A=B\"", "'='"],
    );
    assert_refused(Command::new("env").env("", "v"), "env", &["empty"]);
}

#[test]
fn nul_byte_in_the_cwd_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("true").current_dir("/tmp\0/x"),
        "true",
        &["working directory", "NUL"],
    );
}

#[test]
fn fd_target_mapped_twice_is_refused() {
    let _guard = common::shared();
    let (_r1, w1) = common::pipe();
    let (_r2, w2) = common::pipe();
    assert_refused(
        Command::new("true").fd(5, w1).fd(5, w2),
        "true",
        &["fd target 5", "twice"],
    );
}

#[test]
fn fd_target_also_set_with_stdio_is_refused() {
    let _guard = common::shared();
    let (_r1, w1) = common::pipe();
    assert_refused(
        Command::new("true").stdout(Stdio::null()).fd(1, w1),
        "true",
        &["fd target 1", "stdout()"],
    );
    let (r2, _w2) = common::pipe();
    assert_refused(
        Command::new("true").fd(0, r2).stdin(Stdio::piped()),
        "true",
        &["fd target 0", "stdin()"],
    );
    // Setting stdio explicitly to inherit still counts as setting it.
    let (_r3, w3) = common::pipe();
    assert_refused(
        Command::new("true").stderr(Stdio::inherit()).fd(2, w3),
        "true",
        &["fd target 2", "stderr()"],
    );
}

#[test]
fn negative_fd_target_is_refused() {
    let _guard = common::shared();
    let (_r, w) = common::pipe();
    assert_refused(Command::new("true").fd(-1, w), "true", &["-1", "negative"]);
}

#[test]
fn negative_process_group_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("true").process_group(-5),
        "true",
        &["process group -5", "negative"],
    );
}

#[test]
fn fd_target_above_the_fd_limit_is_refused() {
    let _guard = common::shared();
    let (_r, w) = common::pipe();
    assert_refused(
        Command::new("true").fd(i32::MAX, w),
        "true",
        &["fd target 2147483647", "RLIMIT_NOFILE"],
    );
}

/// sethostname/setdomainname take a length, so a NUL would not fail there:
/// the name would be cut at it without a word.
#[test]
fn nul_byte_in_the_hostname_or_domainname_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("true")
            .namespaces(Namespaces::UTS)
            .hostname("box\0evil"),
        "true",
        &["the hostname contains a NUL byte"],
    );
    assert_refused(
        Command::new("true")
            .namespaces(Namespaces::UTS)
            .domainname("example\0.org"),
        "true",
        &["the domain name contains a NUL byte"],
    );
}

/// (uid_t)-1 is no id: setresuid/setresgid take it as "leave unchanged", so
/// the child would go on as the caller (root) where std's Command fails.
#[test]
fn uid_or_gid_of_minus_one_is_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("true").uid(u32::MAX),
        "true",
        &[
            "uid 4294967295 is (uid_t)-1",
            "setresuid takes as \"unchanged\"",
        ],
    );
    assert_refused(
        Command::new("true").gid(u32::MAX),
        "true",
        &[
            "gid 4294967295 is (gid_t)-1",
            "setresgid takes as \"unchanged\"",
        ],
    );
    assert_refused(
        Command::new("true").groups(&[10, u32::MAX]),
        "true",
        &["supplementary group 4294967295 is (gid_t)-1"],
    );
    // The highest real id is fine.
    Command::new("true")
        .uid(u32::MAX - 1)
        .gid(u32::MAX - 1)
        .groups(&[u32::MAX - 1])
        .prepare()
        .unwrap();
}

/// The kernel refuses an id map line whose inside or outside range contains
/// (u32)-1, which a range ending exactly at 2^32 does.
#[test]
fn id_map_range_reaching_minus_one_is_refused() {
    let _guard = common::shared();
    let user = || {
        let mut cmd = Command::new("true");
        cmd.namespaces(Namespaces::USER);
        cmd
    };
    assert_refused(
        user().uid_map([IdMap::new(u32::MAX, 0, 1)]),
        "true",
        &["uid map line 1", "inside 4294967295", "(uid_t)-1"],
    );
    assert_refused(
        user().uid_map([IdMap::new(0, 0, 1), IdMap::new(1, u32::MAX - 9, 10)]),
        "true",
        &["uid map line 2", "outside 4294967286", "(uid_t)-1"],
    );
    assert_refused(
        user().gid_map([IdMap::new(u32::MAX - 4, 100, 5)]),
        "true",
        &["gid map line 1", "inside 4294967291", "(gid_t)-1"],
    );
    assert_refused(
        user().gid_map([IdMap::new(0, u32::MAX, 1)]),
        "true",
        &["gid map line 1", "outside 4294967295", "(gid_t)-1"],
    );
    // Ranges that stop at 4294967294 are fine.
    let top = [IdMap::new(u32::MAX - 10, u32::MAX - 10, 10)];
    user().uid_map(top).gid_map(top).prepare().unwrap();
}

#[test]
fn valid_input_is_accepted() {
    let _guard = common::shared();
    // The refusals above are specific: the same commands without the bad
    // part prepare fine.
    let (_r, w) = common::pipe();
    Command::new("echo")
        .arg("ok")
        .arg0("name")
        .env("KEY", "value=with=equals")
        .current_dir("/tmp")
        .fd(5, w)
        .stdout(Stdio::null())
        .process_group(0)
        .prepare()
        .unwrap();
}
