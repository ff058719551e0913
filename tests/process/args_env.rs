//! Arguments, argv[0], the environment, and importing a std Command.

use crate::common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use clonexec::Command;

/// The shell's own argv, NUL-separated, read from /proc/$$/cmdline (with a
/// trailing `; true` so dash does not exec `cat` in its place, which
/// would make $$ name cat).
const PRINT_SHELL_CMDLINE: &str = "cat /proc/$$/cmdline; true";

/// What `cmd` printed, checking that it exited 0.
fn stdout_bytes(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A variable of the test process's environment (cargo sets several), other
/// than PATH.
fn some_parent_var() -> (String, String) {
    std::env::vars()
        .find(|(k, v)| k != "PATH" && !k.is_empty() && !v.is_empty() && !v.contains('\n'))
        .expect("the test process has some environment variable")
}

fn env_lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn args_reach_the_child_byte_for_byte() {
    let _guard = common::shared();
    let non_utf8: &[u8] = b"caf\xe9";
    let out = stdout_bytes(
        Command::new("sh")
            .args(["-c", PRINT_SHELL_CMDLINE, "name"])
            .arg("two words")
            .arg("")
            .arg(non_utf8)
            .arg(OsStr::from_bytes(b"os\xffstr"))
            .arg(c"c-string")
            .arg(String::from("owned")),
    );
    let expected: Vec<&[u8]> = vec![
        b"sh",
        b"-c",
        PRINT_SHELL_CMDLINE.as_bytes(),
        b"name",
        b"two words",
        b"",
        non_utf8,
        b"os\xffstr",
        b"c-string",
        b"owned",
    ];
    let mut want = Vec::new();
    for arg in expected {
        want.extend_from_slice(arg);
        want.push(0);
    }
    assert_eq!(
        out,
        want,
        "got {:?}",
        String::from_utf8_lossy(&out).replace('\0', "|")
    );
}

#[test]
fn arg0_overrides_argv0_only() {
    let _guard = common::shared();
    let out = stdout_bytes(
        Command::new("sh")
            .arg0("custom-name")
            .args(["-c", "echo $0; cat /proc/$$/cmdline; true"]),
    );
    let text = String::from_utf8(out).unwrap();
    let (dollar0, cmdline) = text.split_once('\n').unwrap();
    assert_eq!(dollar0, "custom-name");
    assert_eq!(
        cmdline,
        "custom-name\0-c\0echo $0; cat /proc/$$/cmdline; true\0"
    );
}

#[test]
fn program_is_argv0_by_default() {
    let _guard = common::shared();
    let out = stdout_bytes(Command::new("sh").args(["-c", "echo $0"]));
    assert_eq!(out, b"sh\n");
    let out = stdout_bytes(Command::new("/bin/sh").args(["-c", "echo $0"]));
    assert_eq!(out, b"/bin/sh\n");
}

#[test]
fn parent_environment_is_inherited() {
    let _guard = common::shared();
    let (key, value) = some_parent_var();
    let lines = env_lines(&stdout_bytes(&mut Command::new("env")));
    assert!(
        lines.contains(&format!("{key}={value}")),
        "{key} missing from {lines:?}"
    );
}

#[test]
fn env_sets_and_overrides_variables() {
    let _guard = common::shared();
    let (key, _) = some_parent_var();
    let lines = env_lines(&stdout_bytes(
        Command::new("env")
            .env("CLONEXEC_A", "1")
            .env(&key, "overridden")
            .envs([("CLONEXEC_B", "2"), ("CLONEXEC_A", "3")])
            .env("CLONEXEC_BYTES", b"x\xffy".as_slice()),
    ));
    assert!(lines.contains(&"CLONEXEC_A=3".to_string()), "{lines:?}");
    assert!(lines.contains(&"CLONEXEC_B=2".to_string()), "{lines:?}");
    assert!(lines.contains(&format!("{key}=overridden")), "{lines:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("{key}=")))
            .count(),
        1,
        "{key} appears once: {lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("CLONEXEC_A="))
            .count(),
        1
    );
    assert!(
        lines.contains(&"CLONEXEC_BYTES=x\u{fffd}y".to_string()),
        "{lines:?}"
    );
}

#[test]
fn env_remove_removes_an_inherited_variable() {
    let _guard = common::shared();
    let (key, value) = some_parent_var();
    let lines = env_lines(&stdout_bytes(Command::new("env").env_remove(&key)));
    assert!(
        !lines.iter().any(|l| l.starts_with(&format!("{key}="))),
        "{key} still present: {lines:?}"
    );
    // Order of calls matters: set then remove removes, remove then set sets.
    let lines = env_lines(&stdout_bytes(
        Command::new("env")
            .env("CLONEXEC_X", "1")
            .env_remove("CLONEXEC_X")
            .env_remove(&key)
            .env(&key, &value),
    ));
    assert!(!lines.iter().any(|l| l.starts_with("CLONEXEC_X=")));
    assert!(lines.contains(&format!("{key}={value}")));
    // Removing something absent is harmless.
    stdout_bytes(Command::new("env").env_remove("CLONEXEC_NEVER_SET_ANYWHERE"));
}

#[test]
fn env_clear_leaves_only_what_is_set_afterwards() {
    let _guard = common::shared();
    // No PATH in the child: `env` is found through the default /bin:/usr/bin.
    let out = stdout_bytes(
        Command::new("env")
            .env("CLONEXEC_BEFORE", "dropped")
            .env_clear()
            .env("ONLY", "x"),
    );
    assert_eq!(out, b"ONLY=x\n");
    let out = stdout_bytes(Command::new("env").env_clear());
    assert_eq!(out, b"");
}

#[test]
fn from_std_copies_program_args_env_and_cwd() {
    let _guard = common::shared();
    let dir = common::TempDir::new("from-std");
    let (removed, _) = some_parent_var();
    let mut std_cmd = std::process::Command::new("sh");
    std_cmd
        .args(["-c", "echo \"$0|$1|$FOO\"; pwd -P; env", "zero", "one"])
        .env("FOO", "bar")
        .env_remove(&removed)
        .current_dir(dir.path());
    let out = stdout_bytes(&mut Command::from_std(&std_cmd));
    let lines = env_lines(&out);
    assert_eq!(lines[0], "zero|one|bar");
    assert_eq!(
        lines[1],
        dir.path().canonicalize().unwrap().to_str().unwrap()
    );
    assert!(
        !lines[2..]
            .iter()
            .any(|l| l.starts_with(&format!("{removed}="))),
        "{removed} was removed in the std Command"
    );
}

/// The child's environment, exactly and in order: what `cat
/// /proc/self/environ` was exec'd with.
fn child_environ(cmd: &mut Command) -> Vec<u8> {
    stdout_bytes(cmd.args(["/proc/self/environ"]))
}

/// This process's environment as std sees it, in the same format.
fn own_environ() -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in std::env::vars_os() {
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

/// Waits for a child spawned with piped stdout and returns what it wrote.
fn stdout_of_child(child: clonexec::Child) -> Vec<u8> {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    out.stdout
}

/// Without changes the child gets this process's environment byte for
/// byte and in order, whether it is passed at the spawn (`output`, `spawn`)
/// or copied by `prepare()`.
#[test]
fn unchanged_environment_is_passed_exactly() {
    let _guard = common::shared();
    let expected = own_environ();
    assert!(!expected.is_empty());
    assert_eq!(child_environ(&mut Command::new("cat")), expected);
    let mut cmd = Command::new("cat");
    cmd.args(["/proc/self/environ"])
        .stdout(clonexec::Stdio::piped());
    assert_eq!(stdout_of_child(cmd.spawn().unwrap()), expected);
    let prepared = cmd.prepare().unwrap();
    assert_eq!(stdout_of_child(prepared.spawn().unwrap()), expected);
    assert_eq!(stdout_of_child(prepared.spawn().unwrap()), expected);
}
