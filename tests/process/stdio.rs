//! stdin/stdout/stderr: inherit, null, piped, from an fd; output() and
//! status() defaults.

use crate::common;

use std::io::{Read, Write};

use clonexec::{Command, Stdio};

#[test]
fn piped_stdin_and_stdout_carry_data_both_ways() {
    let _guard = common::shared();
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(child.stderr.is_none(), "stderr was not piped");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(b"hello through a pipe\n").unwrap();
    drop(stdin); // EOF for cat
    let mut text = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "hello through a pipe\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn stdout_and_stderr_are_separate_pipes() {
    let _guard = common::shared();
    let out = Command::new("sh")
        .args(["-c", "echo out; echo err >&2; exit 2"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(out.status.code(), Some(2));

    let mut child = Command::new("sh")
        .args(["-c", "echo to-stderr >&2"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(child.stdout.is_none());
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "to-stderr\n");
    child.wait().unwrap();
}

#[test]
fn output_defaults_to_null_stdin_and_piped_output() {
    let _guard = common::shared();
    let out = Command::new("readlink")
        .args(["/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "/dev/null");
    assert!(lines[1].starts_with("pipe:["), "{text}");
    assert!(lines[2].starts_with("pipe:["), "{text}");
    assert_ne!(lines[1], lines[2], "stdout and stderr share a pipe");
}

#[test]
fn explicit_stdio_overrides_output_defaults() {
    let _guard = common::shared();
    let dir = common::TempDir::new("stdio-file");
    let input = dir.write_file("input", "from a file\n", 0o644);
    let out = Command::new("cat")
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"from a file\n");

    let out = Command::new("sh")
        .args(["-c", "echo hidden"])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"");
}

#[test]
fn spawn_inherits_stdio_by_default() {
    let _guard = common::shared();
    // The child's fd 0/1/2 are the test process's own.
    let mine: Vec<Option<String>> = (0..3).map(common::fd_link).collect();
    let (mut reader, writer) = common::pipe();
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        // The subshell takes the redirection, so the shell's own fd 1 stays
        // as it was (dash redirects in the shell itself for a simple
        // command).
        "for n in 0 1 2; do (readlink /proc/$$/fd/$n || echo closed) >&3; done",
    ])
    .fd(3, writer);
    assert!(cmd.status().unwrap().success());
    drop(cmd);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    let theirs: Vec<&str> = text.lines().collect();
    for (n, (m, t)) in mine.iter().zip(&theirs).enumerate() {
        assert_eq!(m.as_deref().unwrap_or("closed"), *t, "fd {n}");
    }
}

#[test]
fn stdout_to_a_file() {
    let _guard = common::shared();
    let dir = common::TempDir::new("stdout-file");
    let path = dir.path().join("out");
    let file = std::fs::File::create(&path).unwrap();
    let status = Command::new("echo")
        .arg("written")
        .stdout(file)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read(&path).unwrap(), b"written\n");
}

#[test]
fn wait_closes_piped_stdin_first() {
    let _guard = common::shared();
    // `timeout` ends cat after 10 s if wait() did not give it EOF.
    let mut child = Command::new("timeout")
        .args(["10", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "cat was not given EOF: {status}");
}

#[test]
fn large_output_on_both_streams_does_not_deadlock() {
    let _guard = common::shared();
    let out = Command::new("sh")
        .args([
            "-c",
            "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2; echo end",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 300_004);
    assert!(out.stdout.ends_with(b"end\n"));
    assert_eq!(out.stderr.len(), 200_000);
}

#[test]
fn pipelines_connect_one_childs_stdout_to_anothers_stdin() {
    let _guard = common::shared();
    let mut producer = Command::new("printf")
        .arg("b\\na\\nc\\n")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new("sort")
        .stdin(producer.stdout.take().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"a\nb\nc\n");
    assert!(producer.wait().unwrap().success());
}

#[test]
fn child_sees_default_sigpipe() {
    let _guard = common::shared();
    // Rust ignores SIGPIPE in the test process; the child must not inherit
    // that: `yes` writing into a closed pipe dies of SIGPIPE.
    let mut child = Command::new("yes").stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 16];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status}");
}
