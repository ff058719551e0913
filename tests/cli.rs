//! The `clonexec` command-line tool, run as a real binary: flags reach the
//! child, statuses come back as shells report them, errors are one line.
//!
//! Needs `--features cli` (the binary only exists with it).

#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_clonexec");

/// The `PATH` every test gives clonexec (and so the program): a directory
/// the user cannot search would turn "not found" (127) into `EACCES` (126),
/// as execvpe rules say.
const PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// `std::process::Command` for clonexec (or `program`) with [`PATH`].
fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("PATH", PATH);
    cmd
}

/// Runs `clonexec ARGS` with stdin from /dev/null and collects its output.
fn clonexec(args: &[&str]) -> Output {
    command(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running clonexec")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether we are root; prints why the calling test skips otherwise.
fn root_or_skip(test: &str) -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!("skipping {test}: needs root (euid 0) to change uid/gid/caps");
    }
    root
}

/// A fresh, private temporary directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clonexec-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `(pid, pgrp, session)` from a `/proc/PID/stat` line.
fn stat_ids(stat: &str) -> (i32, i32, i32) {
    let pid = stat.split(' ').next().unwrap().parse().unwrap();
    // Fields after the `(comm)`: state ppid pgrp session ...
    let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    (pid, rest[2].parse().unwrap(), rest[3].parse().unwrap())
}

#[test]
fn exit_code_is_propagated() {
    let out = clonexec(&["sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(clonexec(&["true"]).status.code(), Some(0));
}

#[test]
fn death_by_signal_exits_128_plus_signal() {
    let out = clonexec(&["sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn program_flags_pass_through_unparsed() {
    // Parsing stops at PROGRAM: its `--uid`, `--bogus` and `--` are its own.
    let out = clonexec(&[
        "--env",
        "A=1",
        "sh",
        "-c",
        r#"echo "$A $*""#,
        "sh",
        "--uid",
        "5",
        "--bogus",
        "--",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "1 --uid 5 --bogus --\n");
    // After `--`, even an option-looking word is the program.
    let out = clonexec(&["--", "--no-such-program"]);
    assert_eq!(out.status.code(), Some(127));
}

#[test]
fn uid_and_gid_change_and_clear_groups() {
    if !root_or_skip("uid_and_gid_change_and_clear_groups") {
        return;
    }
    let out = clonexec(&["--uid", "65534", "--gid", "65534", "--", "id", "-u"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "65534\n");
    let out = clonexec(&["--uid", "65534", "--gid", "65534", "--", "id", "-G"]);
    assert_eq!(stdout(&out), "65534\n", "supplementary groups not cleared");
}

#[test]
fn groups_are_set_and_contradictions_refused() {
    if root_or_skip("groups_are_set_and_contradictions_refused") {
        let out = clonexec(&["--gid", "65534", "--groups", "1,2", "--", "id", "-G"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), "65534 1 2\n");
    }
    let out = clonexec(&["--groups", "1", "--keep-groups", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--keep-groups"), "{}", stderr(&out));
}

#[test]
fn uid_change_refused_exits_125() {
    if rustix::process::geteuid().is_root() {
        // Root may change uid: drop to nobody first, then ask for root back.
        // nobody runs a copy of the binary (the checkout may be in a 0700
        // directory).
        let dir = temp_dir("setuid");
        let copy = dir.join("clonexec");
        std::fs::copy(BIN, &copy).unwrap();
        let copy = copy.to_str().unwrap();
        let out = clonexec(&[
            "--uid", "65534", "--gid", "65534", "--", copy, "--uid", "0", "true",
        ]);
        assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            "clonexec: spawning \"true\": setresuid(0) failed: EPERM (Operation not permitted)\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    } else {
        let out = clonexec(&["--uid", "0", "true"]);
        assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
        assert!(stderr(&out).contains("EPERM"), "{}", stderr(&out));
    }
}

#[test]
fn ambient_caps_reach_an_unprivileged_program() {
    if !root_or_skip("ambient_caps_reach_an_unprivileged_program") {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .unwrap();
    if bounding & (1 << 13) == 0 {
        eprintln!("skipping ambient_caps test: CAP_NET_RAW is not in the bounding set");
        return;
    }
    let out = clonexec(&[
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--ambient-caps",
        "net_raw",
        "--",
        "grep",
        "CapAmb",
        "/proc/self/status",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "CapAmb:\t0000000000002000\n");
}

#[test]
fn env_clear_then_env_gives_exactly_that_env() {
    let out = clonexec(&["--env-clear", "--env", "A=b", "--", "/usr/bin/env"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "A=b\n");
    // --env-clear applies first wherever it appears; `=` may be in values.
    let out = clonexec(&["--env", "A=b=c", "--env-clear", "--", "/usr/bin/env"]);
    assert_eq!(stdout(&out), "A=b=c\n");
}

#[test]
fn env_remove_removes_an_inherited_variable() {
    let out = command(BIN)
        .args(["--env-remove", "CLONEXEC_T", "--", "sh", "-c"])
        .arg("echo ${CLONEXEC_T-unset} $CLONEXEC_U")
        .env("CLONEXEC_T", "set")
        .env("CLONEXEC_U", "kept")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "unset kept\n", "{}", stderr(&out));
}

#[test]
fn fd_maps_an_inherited_fd_to_a_child_number() {
    let dir = temp_dir("fd");
    let file = dir.join("data");
    std::fs::write(&file, "through fd 5\n").unwrap();
    // The shell opens fd 7, then becomes clonexec, which gives it to `sh` as 5.
    let out = command("sh")
        .args([
            "-c",
            r#"exec 7<"$1"; exec "$0" --fd 5=7 -- sh -c 'readlink /proc/self/fd/5; cat <&5'"#,
        ])
        .arg(BIN)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}\nthrough fd 5\n", file.display()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn fd_that_is_not_open_exits_125() {
    let out = clonexec(&["--fd", "5=63", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        stderr(&out),
        "clonexec: --fd 5=63: fd 63 is not open in clonexec\n"
    );
}

#[test]
fn close_fds_closes_everything_not_mapped() {
    let probe = r#"exec 7</dev/null; exec "$0" "$@" -- sh -c 'for n in 5 7; do [ -e /proc/self/fd/$n ] && echo $n; done; true'"#;
    let run = |args: &[&str]| {
        let out = command("sh")
            .args(["-c", probe, BIN])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(
        run(&["--fd", "5=7"]),
        "5\n7\n",
        "inherited fd 7 without --close-fds"
    );
    assert_eq!(run(&["--close-fds", "--fd", "5=7"]), "5\n");
}

#[test]
fn cd_sets_the_working_directory() {
    let out = clonexec(&["--cd", "/tmp", "--", "pwd"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "/tmp\n");
    let out = clonexec(&["--cd", "/nonexistent-clonexec-dir", "--", "pwd"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        stderr(&out),
        "clonexec: spawning \"pwd\": chdir(\"/nonexistent-clonexec-dir\") failed: ENOENT (No such file or directory)\n"
    );
}

#[test]
fn arg0_is_what_the_program_sees() {
    let out = clonexec(&["--arg0", "custom-name", "--", "cat", "/proc/self/cmdline"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout, b"custom-name\0/proc/self/cmdline\0");
}

#[test]
fn setsid_and_pgid_place_the_child() {
    let out = clonexec(&["--setsid", "--", "cat", "/proc/self/stat"]);
    let (pid, pgrp, sid) = stat_ids(&stdout(&out));
    assert_eq!((pgrp, sid), (pid, pid), "not a session leader");

    let out = clonexec(&["--pgid", "0", "--", "cat", "/proc/self/stat"]);
    let (pid, pgrp, sid) = stat_ids(&stdout(&out));
    assert_eq!(pgrp, pid, "not a group leader");
    assert_ne!(sid, pid, "--pgid must not make a session");
}

#[test]
fn print_pid_and_pdeathsig() {
    // clonexec prints the child's pid; killing clonexec sends the child TERM.
    let mut wrapper = command(BIN)
        .args(["--print-pid", "--pdeathsig", "SIGTERM", "--", "sleep", "30"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(wrapper.stderr.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let pid: u32 = line
        .strip_prefix("clonexec: pid ")
        .and_then(|p| p.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm, "sleep\n");

    wrapper.kill().unwrap();
    wrapper.wait().unwrap();
    // The orphan is gone, or a zombie nobody reaped yet: it did not sleep on.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => break,
            Ok(stat) if stat[stat.rfind(')').unwrap() + 2..].starts_with('Z') => break,
            Ok(_) if Instant::now() > deadline => panic!("child {pid} survived its parent"),
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[test]
fn unknown_flag_is_a_usage_error_naming_it() {
    let out = clonexec(&["--bogus", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "clonexec: unknown option '--bogus'\nTry 'clonexec --help' for more information.\n"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn bad_values_are_usage_errors_naming_the_flag() {
    for (args, message) in [
        (
            &["--uid", "abc", "true"][..],
            "invalid value 'abc' for '--uid'",
        ),
        (&["--uid"], "missing argument for option '--uid'"),
        (&["--pdeathsig", "NOPE", "true"], "'--pdeathsig'"),
        (&["--ambient-caps", "cap_nope", "true"], "'--ambient-caps'"),
        (&["--fd", "x=1", "true"], "'--fd'"),
        (&["--env", "NOEQUALS", "true"], "'--env'"),
        (&["--setsid=yes", "true"], "'--setsid'"),
        (&[], "no program given"),
    ] {
        let out = clonexec(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("clonexec: "), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(err.ends_with("Try 'clonexec --help' for more information.\n"));
    }
}

#[test]
fn missing_program_exits_127() {
    let out = clonexec(&["no-such-program-clonexec"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        stderr(&out),
        "clonexec: spawning \"no-such-program-clonexec\": execve failed: ENOENT (No such file or directory)\n"
    );
    let out = clonexec(&["/nonexistent/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        stderr(&out),
        "clonexec: spawning \"/nonexistent/program\": execve(\"/nonexistent/program\") failed: ENOENT (No such file or directory)\n"
    );
}

#[test]
fn non_executable_program_exits_126() {
    let dir = temp_dir("noexec");
    let script = dir.join("script");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let path = script.to_str().unwrap();
    // Mode 0644: even root may not execve a file without any exec bit.
    let out = clonexec(&[path]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "clonexec: spawning \"{path}\": execve(\"{path}\") failed: EACCES (Permission denied)\n"
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn version_prints_the_crate_version() {
    let out = clonexec(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        format!("clonexec {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(stdout(&clonexec(&["-V"])), stdout(&out));
}

#[test]
fn help_mentions_every_flag_and_exit_status() {
    let out = clonexec(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    let help = stdout(&out);
    for flag in [
        "--uid",
        "--gid",
        "--groups",
        "--keep-groups",
        "--setsid",
        "--pgid",
        "--pdeathsig",
        "--ambient-caps",
        "--cd",
        "--fd",
        "--close-fds",
        "--env",
        "--env-clear",
        "--env-remove",
        "--arg0",
        "--print-pid",
        "-h, --help",
        "-V, --version",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
    for status in ["125", "126", "127", "128+N"] {
        assert!(help.contains(status), "--help does not explain {status}");
    }
    assert_eq!(stdout(&clonexec(&["-h"])), help);
}
