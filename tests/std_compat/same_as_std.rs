//! clonexec side by side with std (not a port of std's tests): the same
//! commands built with both, the same wait statuses, the same failing
//! spawns, and what each prints and gives back must be equal.

use crate::common;

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt as _;

/// Builds the command `$body` describes (calls on `$c`, with `Stdio` in
/// scope) once with std and once with clonexec, and checks that both print
/// (`{:?}`, `{:#?}`) and return (`get_*`) the same.
macro_rules! same_command {
    ($program:expr, |$c:ident| $body:block) => {{
        let (ours, std_cmd) = same_command!(debug_only $program, |$c| $body);
        assert_eq!(ours.get_program(), std_cmd.get_program());
        assert!(ours.get_args().eq(std_cmd.get_args()));
        assert_eq!(ours.get_args().len(), std_cmd.get_args().len());
        assert!(ours.get_envs().eq(std_cmd.get_envs()));
        assert_eq!(ours.get_envs().len(), std_cmd.get_envs().len());
        assert_eq!(ours.get_current_dir(), std_cmd.get_current_dir());
        let args = (format!("{:?}", ours.get_args()), format!("{:?}", std_cmd.get_args()));
        assert_eq!(args.0, args.1);
        let envs = (format!("{:?}", ours.get_envs()), format!("{:?}", std_cmd.get_envs()));
        assert_eq!(envs.0, envs.1);
    }};
    // Only what they print: for values with a NUL byte, which std's getters
    // give back as "<string-with-nul>" and clonexec's as they are.
    (debug_only $program:expr, |$c:ident| $body:block) => {{
        let std_cmd = {
            #[allow(unused_imports)]
            use std::os::unix::process::CommandExt as _;
            #[allow(unused_imports)]
            use std::process::Stdio;
            #[allow(unused_mut)]
            let mut $c = std::process::Command::new($program);
            $body;
            $c
        };
        let ours = {
            #[allow(unused_imports)]
            use clonexec::Stdio;
            #[allow(unused_mut)]
            let mut $c = clonexec::Command::new($program);
            $body;
            $c
        };
        assert_eq!(format!("{ours:?}"), format!("{std_cmd:?}"));
        assert_eq!(format!("{ours:#?}"), format!("{std_cmd:#?}"));
        (ours, std_cmd)
    }};
}

fn bytes(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

#[test]
fn command_debug_and_getters_match_std() {
    let _guard = common::shared();
    same_command!("ls", |c| {});
    same_command!("ls", |c| {
        c.arg("-l")
            .args(["a b", "\"quoted\"", "back\\slash", "it's", "tab\there"]);
    });
    same_command!("printf", |c| {
        c.arg("new\nline")
            .arg("é and ✓")
            .arg("e\u{301}")
            .arg("\u{301}starts with a combining mark")
            .arg("\x7f\x1b[0m")
            .arg(bytes(b"not \xff utf-8 \xc3"));
    });
    same_command!(bytes(b"/odd/\xfe\"program"), |c| {
        c.arg("x");
    });
    // A NUL anywhere: std keeps "<string-with-nul>" in place of the value.
    same_command!(debug_only "a\0b", |c| {
        c.arg("c\0d").arg("fine");
    });
    same_command!("sh", |c| {
        c.current_dir("/tmp/with space").arg("-c").arg("true");
    });
    same_command!(debug_only "sh", |c| {
        c.current_dir("nul\0dir");
    });
    same_command!("env", |c| {
        c.env("B", "2")
            .env("A", "1\"quoted\"")
            .env("A", "again")
            .env_remove("Z");
        c.env("UTF", "é").env(bytes(b"KEY\xff"), bytes(b"val\xff'"));
        c.env("NUL", "v\0v");
    });
    same_command!("env", |c| {
        c.env("X", "1")
            .env_clear()
            .env("Y", "2")
            .env_remove("X")
            .env_remove("Y");
    });
    same_command!("env", |c| {
        c.env_remove("GONE").env("PATH", "/bin");
    });
    same_command!("prog", |c| {
        c.arg0("renamed").arg("1");
    });
    same_command!("prog", |c| {
        c.arg0("prog");
    });
    same_command!("prog", |c| {
        c.uid(1000).gid(100).process_group(0);
    });
    same_command!("prog", |c| {
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
    });
    same_command!("prog", |c| {
        c.stdout(std::io::stdout()).stderr(std::io::stderr());
    });
}

#[test]
fn exit_status_display_debug_and_accessors_match_std() {
    let _guard = common::shared();
    let raws = (0..=0xffff).chain([0x1_0000, 0x1_0100, -1, i32::MIN, i32::MAX]);
    for raw in raws {
        let ours = clonexec::ExitStatus::from_raw(raw);
        let std = std::process::ExitStatus::from_raw(raw);
        assert_eq!(ours.to_string(), std.to_string(), "{raw:#x}");
        assert_eq!(format!("{ours:?}"), format!("{std:?}"), "{raw:#x}");
        assert_eq!(ours.success(), std.success(), "{raw:#x}");
        assert_eq!(ours.code(), std.code(), "{raw:#x}");
        assert_eq!(ours.signal(), std.signal(), "{raw:#x}");
        assert_eq!(ours.core_dumped(), std.core_dumped(), "{raw:#x}");
        assert_eq!(ours.stopped_signal(), std.stopped_signal(), "{raw:#x}");
        assert_eq!(ours.continued(), std.continued(), "{raw:#x}");
        assert_eq!(ours.into_raw(), std.into_raw(), "{raw:#x}");
        assert_eq!(ours.exit_ok().is_ok(), std.success(), "{raw:#x}");
        if let Err(error) = ours.exit_ok() {
            assert_eq!(
                error.to_string(),
                format!("process exited unsuccessfully: {std}")
            );
            assert_eq!(
                format!("{error:?}"),
                format!("ExitStatusError(unix_wait_status({raw}))")
            );
        }
    }
    assert_eq!(
        clonexec::ExitStatus::default().into_raw(),
        std::process::ExitStatus::default().into_raw()
    );
}

#[test]
fn debug_of_child_pipes_stdio_and_output_match_std() {
    let _guard = common::shared();
    let mut std_child = std::process::Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ours = clonexec::Command::new("cat")
        .stdin(clonexec::Stdio::piped())
        .stdout(clonexec::Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(format!("{ours:?}"), format!("{std_child:?}"));
    assert_eq!(format!("{ours:#?}"), format!("{std_child:#?}"));
    std_child.wait().unwrap();
    ours.wait().unwrap();
    assert_eq!(
        format!("{:?}", clonexec::Stdio::null()),
        format!("{:?}", std::process::Stdio::null())
    );

    for (stdout, stderr) in [(&b"text\n"[..], &b""[..]), (b"\xff\xfe", b"err")] {
        let raw = 0x0100;
        let ours = clonexec::Output {
            status: clonexec::ExitStatus::from_raw(raw),
            stdout: stdout.to_vec(),
            stderr: stderr.to_vec(),
        };
        let std = std::process::Output {
            status: std::process::ExitStatus::from_raw(raw),
            stdout: stdout.to_vec(),
            stderr: stderr.to_vec(),
        };
        assert_eq!(format!("{ours:?}"), format!("{std:?}"));
        assert_eq!(format!("{ours:#?}"), format!("{std:#?}"));
    }
}

/// The same spawn failing with std and with clonexec: the same
/// `io::ErrorKind` and OS error, whether read from clonexec's `Error` or
/// from the `io::Error` it converts into.
#[test]
fn failed_spawns_have_std_error_kinds() {
    let _guard = common::shared();
    let why = "std's posix_spawn (glibc's) reports a failed exec through memory it \
               shares with its vfork child, which qemu-user turns into a fork: std's spawn \
               of a missing program succeeds there";
    if common::skip_under_qemu("failed_spawns_have_std_error_kinds", why) {
        return;
    }
    let dir = common::TempDir::new("std-kinds");
    let not_executable = dir.write_file("not-executable", "#!/bin/sh\n", 0o644);
    let file = not_executable.to_str().unwrap();
    // (what, program, working directory, argument)
    let cases = [
        (
            "missing absolute program",
            "/nonexistent/program",
            None,
            None,
        ),
        (
            "program not in PATH",
            "clonexec-no-such-program",
            None,
            None,
        ),
        ("not executable", file, None, None),
        ("a directory as program", "/tmp", None, None),
        (
            "missing working directory",
            "true",
            Some("/nonexistent/dir"),
            None,
        ),
        ("working directory is a file", "true", Some(file), None),
        ("NUL in an argument", "true", None, Some("a\0b")),
    ];
    for (what, program, cwd, arg) in cases {
        let mut std_cmd = std::process::Command::new(program);
        let mut ours = clonexec::Command::new(program);
        if let Some(cwd) = cwd {
            std_cmd.current_dir(cwd);
            ours.current_dir(cwd);
        }
        if let Some(arg) = arg {
            std_cmd.arg(arg);
            ours.arg(arg);
        }
        let std_err = std_cmd.spawn().map(drop).err();
        let std_err = std_err.unwrap_or_else(|| panic!("{what}: std spawned it"));
        let err = ours.spawn().map(drop).unwrap_err();
        assert_eq!(err.kind(), std_err.kind(), "{what}: {err}");
        assert_eq!(err.raw_os_error(), std_err.raw_os_error(), "{what}: {err}");
        let io_err = std::io::Error::from(err);
        assert_eq!(io_err.kind(), std_err.kind(), "{what}");
        assert_eq!(io_err.raw_os_error(), std_err.raw_os_error(), "{what}");
    }
}

/// A file the kernel cannot execute (no `#!`): clonexec always runs it
/// with `/bin/sh`, as std's fork path (`execvp`, which std takes with a
/// `pre_exec` hook, a uid...) does with glibc, with the same arguments.
/// (std's default `posix_spawn` path, and its fork path with musl, whose
/// `execvp` has no such fallback, fail with `ENOEXEC` instead.)
#[test]
fn script_without_shebang_runs_as_with_std() {
    let _guard = common::shared();
    use std::os::unix::process::CommandExt as _;
    let dir = common::TempDir::new("std-sh");
    let script = dir.write_file("plain", "echo \"$0|$1|$#\"\n", 0o755);
    let ours = clonexec::Command::new(&script).arg("x y").output().unwrap();
    assert!(ours.status.success(), "{ours:?}");
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        format!("{}|x y|1\n", script.display())
    );

    let mut std_cmd = std::process::Command::new(&script);
    // SAFETY: an empty hook.
    unsafe { std_cmd.pre_exec(|| Ok(())) };
    match std_cmd.arg("x y").output() {
        Ok(std_out) => {
            assert_eq!(ours.stdout, std_out.stdout);
            assert_eq!(ours.status.into_raw(), std_out.status.into_raw());
        }
        Err(err) if cfg!(target_env = "musl") => {
            assert_eq!(err.raw_os_error(), Some(libc::ENOEXEC), "{err}");
        }
        Err(err) => panic!("std did not run it: {err}"),
    }
}

/// A `Stdio` made from an fd stays with the command until the command is
/// dropped (std's behaviour), while an fd given to `fd()` is closed once a
/// child has it (std's unstable `CommandExt::fd`).
#[test]
fn stdio_fds_stay_with_the_command_and_fd_mappings_go_to_the_child() {
    let _guard = common::shared();
    let same_file = |fd: i32, ino: u64| common::fd_link(fd) == Some(format!("pipe:[{ino}]"));

    for use_std in [true, false] {
        let (mut reader, writer) = common::pipe();
        let (fd, ino) = (writer.as_raw_fd(), common::inode_of(&writer));
        let status = if use_std {
            let mut cmd = std::process::Command::new("echo");
            cmd.arg("to stdout").stdout(writer);
            let status = cmd.status().unwrap();
            assert!(
                same_file(fd, ino),
                "std: the fd stays open with the command"
            );
            drop(cmd);
            status.into_raw()
        } else {
            let mut cmd = clonexec::Command::new("echo");
            cmd.arg("to stdout").stdout(writer);
            let status = cmd.status().unwrap();
            assert!(
                same_file(fd, ino),
                "clonexec: the fd stays open with the command"
            );
            drop(cmd);
            status.into_raw()
        };
        assert_eq!(status, 0);
        // Dropping the command closed the last write end: end-of-file.
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "to stdout\n");
    }

    let (mut reader, writer) = common::pipe();
    let mut cmd = clonexec::Command::new("sh");
    cmd.args(["-c", "echo mapped >&5"]).fd(5, writer);
    assert!(cmd.status().unwrap().success());
    // The command still exists, but its copy is closed: end-of-file.
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "mapped\n");
    // A second spawn has no mapping any more.
    let out = cmd.stderr(clonexec::Stdio::piped()).output().unwrap();
    assert!(!out.status.success(), "{out:?}");
}
