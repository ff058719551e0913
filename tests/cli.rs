//! The `clonexec` command-line tool, run as a real binary: flags reach the
//! child, statuses come back as shells report them, errors are one line.
//!
//! Needs `--features cli` (the binary only exists with it).

#![cfg(feature = "cli")]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
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

/// A fresh, private temporary directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clonexec-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `(pid, pgrp, session)` from a `/proc/PID/stat` line.
fn stat_ids(stat: &str) -> (i32, i32, i32) {
    let stat = common::parse_stat(stat);
    (stat.pid, stat.pgrp, stat.session)
}

/// The flags that give the program new namespaces `kinds` (comma list, may
/// be empty): as root just `--unshare KINDS`; otherwise a user namespace
/// too, with the caller mapped to root, so the test also runs rootless.
fn ns_args(kinds: &str) -> Vec<String> {
    if rustix::process::geteuid().is_root() {
        if kinds.is_empty() {
            Vec::new()
        } else {
            vec!["--unshare".into(), kinds.into()]
        }
    } else {
        let kinds = if kinds.is_empty() {
            String::from("user")
        } else {
            format!("user,{kinds}")
        };
        vec!["--unshare".into(), kinds, "--map-root-user".into()]
    }
}

/// Runs `clonexec NS_FLAGS ARGS` with [`ns_args`]`(kinds)` first.
fn clonexec_ns(kinds: &str, args: &[&str]) -> Output {
    let mut all = ns_args(kinds);
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    clonexec(&all)
}

/// Skips `test` (see `common::skip`) unless this machine lets us create a
/// user namespace; returns whether it skipped.
fn skip_without_userns(test: &str) -> bool {
    let out = clonexec(&["--unshare", "user", "--map-root-user", "--", "true"]);
    if out.status.success() {
        return false;
    }
    common::skip(
        test,
        format_args!("cannot create a user namespace here: {}", stderr(&out)),
    );
    true
}

/// Skips `test` (see `common::skip`) unless namespaces can be created here
/// as [`ns_args`] does; returns whether it skipped.
fn skip_without_namespaces(test: &str) -> bool {
    !common::is_root() && skip_without_userns(test)
}

/// A copy of the binary in a world-searchable directory, for running it as
/// another user (the checkout may be in a 0700 directory).
fn public_copy(dir: &Path) -> String {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("clonexec");
    common::copy_executable(BIN.as_ref(), &copy);
    copy.to_str().unwrap().to_owned()
}

/// One of this process's capability sets (`CapEff`, `CapBnd`, ...).
fn own_caps(field: &str) -> u64 {
    common::status_hex(&common::own_status(), field)
}

#[test]
fn exit_code_is_propagated() {
    let out = clonexec(&["sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(clonexec(&["true"]).status.code(), Some(0));
}

/// Run directly, clonexec becomes the program, which dies of the signal
/// itself; supervising (here for --pdeathsig), it exits 128+N, as a shell
/// reports either.
#[test]
fn death_by_signal_shows_as_a_shell_reports_it() {
    use std::os::unix::process::ExitStatusExt;
    let out = clonexec(&["sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{}", stderr(&out));
    let out = clonexec(&["--pdeathsig", "KILL", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let shell = command("sh")
        .args(["-c", &format!("{BIN} sh -c 'kill -TERM $$'; echo $?")])
        .output()
        .unwrap();
    assert_eq!(stdout(&shell), "143\n");
}

/// With nothing to supervise, clonexec applies the attributes to itself
/// and execs, as util-linux `unshare` does: the program has clonexec's pid.
/// A parent-death signal (about clonexec) or a new PID namespace keeps
/// clonexec as the program's parent.
#[test]
fn clonexec_becomes_the_program_unless_it_must_supervise() {
    let run = |args: &[&str]| {
        let child = command(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        (pid, stdout(&out))
    };
    let (pid, out) = run(&["--", "sh", "-c", "echo $$"]);
    assert_eq!(out, format!("{pid}\n"));
    let (pid, out) = run(&["--pdeathsig", "KILL", "--", "sh", "-c", "echo $PPID"]);
    assert_eq!(out, format!("{pid}\n"));
    if skip_without_namespaces("clonexec_becomes_the_program_unless_it_must_supervise") {
        return;
    }
    // A new user and network namespace, entered in place, with the maps
    // written as unshare -r writes them (setgroups denied).
    let (pid, out) = run(&[
        "--unshare",
        "user,net",
        "--map-root-user",
        "--",
        "sh",
        "-c",
        "echo $$; id -u; id -g; cat /proc/self/setgroups; readlink /proc/self/ns/net",
    ]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(pid.to_string().as_str()));
    assert_eq!(lines.next(), Some("0"));
    assert_eq!(lines.next(), Some("0"));
    assert_eq!(lines.next(), Some("deny"));
    assert_ne!(
        lines.next().map(String::from),
        std::fs::read_link("/proc/self/ns/net")
            .ok()
            .map(|l| l.to_string_lossy().into_owned())
    );
    // A new PID namespace is for children only: clonexec spawns.
    let mut args = ns_args("pid");
    args.extend(["--", "sh", "-c", "echo $$"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(run(&args).1, "1\n");
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
    if common::skip_unless_root("uid_and_gid_change_and_clear_groups") {
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
    if !common::skip_unless_root("the --groups check of groups_are_set_and_contradictions_refused")
    {
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
        let copy = public_copy(&dir);
        let out = clonexec(&[
            "--uid", "65534", "--gid", "65534", "--", &copy, "--uid", "0", "true",
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
    if common::skip_unless_root("ambient_caps_reach_an_unprivileged_program") {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .unwrap();
    if bounding & (1 << 13) == 0 {
        common::skip(
            "ambient_caps_reach_an_unprivileged_program",
            "CAP_NET_RAW is not in the bounding set",
        );
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

/// A running `clonexec --print-pid --pdeathsig KILL ARGS` (supervising,
/// for the parent-death signal) with stdout and stderr piped, and the
/// program's pid. Dropping it kills clonexec, and so the program.
struct Supervised {
    cli: std::process::Child,
    program: i32,
    program_reaped: bool,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    /// Kept open: clonexec and the program may still write to it.
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl Supervised {
    /// Runs `cmd` (clonexec, perhaps with some setup) with `--print-pid
    /// ARGS`, and reads the program's pid from clonexec's first line.
    fn start(mut cmd: Command, args: &[&str]) -> Supervised {
        use std::io::BufRead;
        let mut cli = cmd
            .args(["--print-pid", "--pdeathsig", "KILL"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running clonexec");
        let mut stderr = std::io::BufReader::new(cli.stderr.take().unwrap());
        let stdout = std::io::BufReader::new(cli.stdout.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let program = line
            .strip_prefix("clonexec: pid ")
            .and_then(|p| p.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Supervised {
            cli,
            program,
            program_reaped: false,
            stdout,
            stderr,
        }
    }

    /// Reads the program's next line of output and checks it.
    fn expect_line(&mut self, expected: &str) {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut self.stdout, &mut line).unwrap();
        assert_eq!(line, format!("{expected}\n"));
    }

    /// Sends `sig` to clonexec (not to the program).
    fn signal_cli(&self, sig: i32) {
        // SAFETY: kill takes no pointer.
        let rc = unsafe { libc::kill(self.cli.id() as i32, sig) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Waits for clonexec to exit and returns its exit code; panics if it
    /// was killed, or did not exit within a minute (a hang).
    fn exit_code(&mut self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.cli.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "clonexec did not exit within 60 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let code = status
            .code()
            .unwrap_or_else(|| panic!("clonexec was killed by signal {:?}", status.signal()));
        // clonexec exits once it has reaped the program.
        self.program_reaped = true;
        code
    }

    /// What the program and clonexec wrote after the lines read so far
    /// (once clonexec has exited: the program is gone, so both end).
    fn rest(&mut self) -> (String, String) {
        use std::io::Read;
        assert!(self.program_reaped, "read while the program may run");
        let (mut out, mut err) = (String::new(), String::new());
        self.stdout.read_to_string(&mut out).unwrap();
        self.stderr.read_to_string(&mut err).unwrap();
        (out, err)
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if !self.program_reaped {
            // SAFETY: kill takes no pointer.
            unsafe { libc::kill(self.program, libc::SIGKILL) };
        }
        let _ = self.cli.kill();
        let _ = self.cli.wait();
    }
}

/// A shell that prints `ready`, then waits for `sig` and exits `code`
/// after saying `got SIG`.
fn trapping_shell(sig: &str, code: i32) -> [String; 4] {
    [
        String::from("--"),
        String::from("sh"),
        String::from("-c"),
        format!(
            "trap 'echo got {sig}; exit {code}' {sig}; echo ready; while :; do sleep 0.05; done"
        ),
    ]
}

/// Runs [`trapping_shell`] under clonexec (`cmd`, with `flags` first),
/// sends clonexec `sig`, and checks that the program saw it and clonexec
/// exited with the program's code.
fn check_forwarded(cmd: Command, flags: &[&str], sig: i32, name: &str, code: i32) {
    let program = trapping_shell(name, code);
    let mut args = flags.to_vec();
    args.extend(program.iter().map(String::as_str));
    let mut run = Supervised::start(cmd, &args);
    run.expect_line("ready");
    run.signal_cli(sig);
    assert_eq!(run.exit_code(), code, "SIG{name}");
    let (out, err) = run.rest();
    assert_eq!(out, format!("got {name}\n"), "SIG{name}");
    assert_eq!(err, "", "SIG{name}");
}

/// `clonexec` used as a supervisor (a service manager's `ExecStart`, a
/// container's entry point) gets the SIGTERM meant for the program: it
/// passes it on and exits with the program's status.
#[test]
fn sigterm_is_forwarded_to_the_program() {
    check_forwarded(command(BIN), &[], libc::SIGTERM, "TERM", 3);
}

#[test]
fn int_hup_quit_usr1_usr2_and_winch_are_forwarded() {
    for (sig, name, code) in [
        (libc::SIGINT, "INT", 4),
        (libc::SIGHUP, "HUP", 5),
        (libc::SIGQUIT, "QUIT", 6),
        (libc::SIGUSR1, "USR1", 7),
        (libc::SIGUSR2, "USR2", 8),
        (libc::SIGWINCH, "WINCH", 9),
    ] {
        check_forwarded(command(BIN), &[], sig, name, code);
    }
    // Also to a program in a session of its own.
    check_forwarded(command(BIN), &["--setsid"], libc::SIGTERM, "TERM", 3);
}

/// Under `--init`, clonexec passes the signal to the init, which passes
/// it on to the program.
#[test]
fn signals_reach_the_program_through_the_init() {
    if skip_without_namespaces("signals_reach_the_program_through_the_init") {
        return;
    }
    let mut flags = ns_args("");
    flags.push(String::from("--init"));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    check_forwarded(command(BIN), &flags, libc::SIGTERM, "TERM", 3);
    check_forwarded(command(BIN), &flags, libc::SIGUSR1, "USR1", 7);
}

/// A forwarded signal that kills the program makes clonexec exit 128+N,
/// as when anything else kills it.
#[test]
fn a_forwarded_signal_that_kills_the_program_exits_128_plus_n() {
    let mut run = Supervised::start(command(BIN), &["--", "sleep", "60"]);
    run.signal_cli(libc::SIGTERM);
    assert_eq!(run.exit_code(), 128 + libc::SIGTERM);
    assert_eq!(run.rest(), (String::new(), String::new()));
}

/// clonexec blocks the signals it waits for, but the program starts with
/// clonexec's own mask (here USR2 blocked by clonexec's caller)...
#[test]
fn the_program_gets_clonexecs_signal_mask_not_the_forwarding_one() {
    let usr2: clonexec::SigSet = [clonexec::Signal::USR2].into_iter().collect();
    let out = clonexec::Command::new(BIN)
        .args(["--", "grep", "SigBlk", "/proc/self/status"])
        .env("PATH", PATH)
        .signal_mask(usr2)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "SigBlk:\t0000000000000800\n"
    );
    // ...and --signal-mask still sets it exactly.
    let out = clonexec(&[
        "--signal-mask",
        "",
        "--",
        "grep",
        "SigBlk",
        "/proc/self/status",
    ]);
    assert_eq!(
        stdout(&out),
        "SigBlk:\t0000000000000000\n",
        "{}",
        stderr(&out)
    );
}

/// A caller that ignores SIGCHLD (which a child inherits) would have the
/// kernel reap the program before clonexec can wait for it: clonexec puts
/// SIGCHLD back to its default and still reports the program's status.
#[test]
fn sigchld_ignored_by_the_caller_still_gives_the_programs_status() {
    use std::os::unix::process::CommandExt;
    let mut cmd = command(BIN);
    // SAFETY: signal() is async-signal-safe and takes no pointer.
    unsafe {
        cmd.pre_exec(|| {
            if libc::signal(libc::SIGCHLD, libc::SIG_IGN) == libc::SIG_ERR {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd
        .args(["--", "sh", "-c", "exit 7"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// clonexec as the session leader of a terminal, as a shell would run it
/// in the foreground: ^C sends SIGINT to the foreground process group.
/// A program in clonexec's group gets it from the terminal; one in a
/// session of its own (`--setsid`) gets it from clonexec. Either way it
/// exits on its own terms, and clonexec with it.
#[test]
fn ctrl_c_in_the_terminal_reaches_the_program() {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    for flags in [&[][..], &["--setsid"]] {
        let common::Pty { master, slave } = common::Pty::open();
        // Open until the end: closing it would hang the terminal up.
        let mut master = std::fs::File::from(master);
        let mut cmd = command(BIN);
        cmd.stdin(Stdio::from(slave));
        // SAFETY: setsid and ioctl are async-signal-safe; TIOCSCTTY takes
        // an integer argument.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let program = trapping_shell("INT", 4);
        let mut args = flags.to_vec();
        args.extend(program.iter().map(String::as_str));
        let mut run = Supervised::start(cmd, &args);
        run.expect_line("ready");
        master.write_all(b"\x03").unwrap();
        assert_eq!(run.exit_code(), 4, "{flags:?}");
        let (out, err) = run.rest();
        assert_eq!(out, "got INT\n", "{flags:?}");
        assert_eq!(err, "", "{flags:?}");
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
        (
            &["--rlimit", "bogus=1", "true"],
            "invalid value 'bogus' for '--rlimit'",
        ),
        (
            &["--map-user", "0:0", "true"],
            "invalid value '0:0' for '--map-user'",
        ),
        (&["--unshare", "users", "true"], "'--unshare'"),
        (&["--caps", "::chown", "true"], "'--caps'"),
        (&["--oom-score-adj", "-1001", "true"], "'--oom-score-adj'"),
        (&["--join", "net", "true"], "'--join'"),
        (
            &["--ctty", "0", "--no-ctty", "true"],
            "--ctty and --no-ctty",
        ),
        (
            &["--caps", "::", "--ambient-caps", "chown", "true"],
            "--ambient-caps",
        ),
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

/// (uid_t)-1 is no id: setresuid/setresgid would take it as "unchanged" and
/// run the program as the caller, and the kernel refuses it in groups and
/// id maps. A usage error, before anything runs.
#[test]
fn minus_one_ids_are_usage_errors() {
    for (args, message) in [
        (
            &["--uid", "4294967295", "true"][..],
            "invalid value '4294967295' for '--uid': 4294967295 is (uid_t)-1",
        ),
        (
            &["--gid", "4294967295", "true"],
            "invalid value '4294967295' for '--gid': 4294967295 is (gid_t)-1",
        ),
        (
            &["--groups", "10,4294967295", "true"],
            "invalid value '4294967295' for '--groups': 4294967295 is (gid_t)-1",
        ),
        (
            &["--map-user", "4294967295:0:1", "true"],
            "invalid value '4294967295:0:1' for '--map-user'",
        ),
        (
            &["--map-user", "0:4294967286:10", "true"],
            "invalid value '0:4294967286:10' for '--map-user'",
        ),
        (
            &["--map-group", "4294967291:100:5", "true"],
            "invalid value '4294967291:100:5' for '--map-group'",
        ),
    ] {
        let out = clonexec(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("clonexec: "), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(err.contains("-1"), "{args:?}: {err}");
        assert!(err.ends_with("Try 'clonexec --help' for more information.\n"));
        assert_eq!(stdout(&out), "", "{args:?}");
    }
}

/// What only the library checks (in `prepare()`, before any process
/// exists) is a usage error too: exit 2 with the library's message and
/// the hint on stderr, and nothing run.
#[test]
fn input_the_library_refuses_is_a_usage_error() {
    let long_name = "x".repeat(65);
    for (args, message) in [
        (
            &[
                "--map-user",
                "0:1000:10",
                "--map-user",
                "5:2000:1",
                "--",
                "true",
            ][..],
            "uid map lines 1 and 2 overlap",
        ),
        (
            &[
                "--map-group",
                "0:1000:10",
                "--map-group",
                "5:2000:1",
                "--",
                "true",
            ],
            "gid map lines 1 and 2 overlap",
        ),
        (
            &["--unshare", "uts", "--hostname", &long_name, "--", "true"],
            "is longer than 64 bytes",
        ),
        (
            &["--hostname", "box", "--", "true"],
            "hostname() needs a new or joined uts namespace",
        ),
        (
            &["--chroot", "/", "--pivot-root", "/", "--", "true"],
            "chroot() and pivot_root() cannot both change the root",
        ),
        (
            &["--join", "user:/proc/self/ns/user", "--", "true"],
            "joining an existing user or time namespace is not possible",
        ),
    ] {
        let out = clonexec(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("clonexec: spawning \"true\": "),
            "{args:?}: {err}"
        );
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(
            err.ends_with("\nTry 'clonexec --help' for more information.\n"),
            "{args:?}: {err}"
        );
        assert_eq!(stdout(&out), "", "{args:?}");
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
        "--setsid-if-tty",
        "--pgid",
        "--ctty",
        "--no-ctty",
        "--pdeathsig",
        "--signal-mask",
        "--reset-signals",
        "--personality",
        "--ambient-caps",
        "--caps",
        "--inh-caps",
        "--bounding-set",
        "--securebits",
        "--no-new-privs",
        "--new-session-keyring",
        "--rlimit",
        "--oom-score-adj",
        "--seccomp",
        "--seccomp-flags",
        "--unshare",
        "--map-root-user",
        "--map-user",
        "--map-group",
        "--setgroups",
        "--map-helpers",
        "--join",
        "--cgroup",
        "--hostname",
        "--domainname",
        "--loopback-up",
        "--propagation",
        "--mount-proc[=DIR]",
        "--bind",
        "--tmpfs",
        "--devpts",
        "--chroot",
        "--pivot-root",
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

#[test]
fn map_root_user_makes_the_caller_root_inside() {
    if skip_without_userns("map_root_user_makes_the_caller_root_inside") {
        return;
    }
    let out = clonexec(&["--unshare", "user", "--map-root-user", "--", "id", "-u"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "0\n");
    // The map is the caller's euid, and --map-root-user alone implies user.
    let out = clonexec(&["--map-root-user", "--", "cat", "/proc/self/uid_map"]);
    let map: Vec<String> = stdout(&out).split_whitespace().map(String::from).collect();
    let euid = rustix::process::geteuid().as_raw().to_string();
    assert_eq!(map, ["0", euid.as_str(), "1"], "{}", stderr(&out));
}

#[test]
fn map_user_and_group_write_the_given_lines() {
    if skip_without_userns("map_user_and_group_write_the_given_lines") {
        return;
    }
    let euid = rustix::process::geteuid().as_raw();
    let egid = rustix::process::getegid().as_raw();
    let out = clonexec(&[
        "--map-user",
        &format!("5:{euid}:1"),
        "--map-group",
        &format!("7:{egid}:1"),
        "--setgroups",
        "deny",
        "--",
        "sh",
        "-c",
        "id -u; id -g; cat /proc/self/setgroups",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "5\n7\ndeny\n");
}

#[test]
fn rootless_network_less_shell_command() {
    // The README example, run by an unprivileged user: as root, drop to
    // nobody first (with clonexec itself), running a world-readable copy.
    if skip_without_userns("rootless_network_less_shell_command") {
        return;
    }
    let dir = temp_dir("rootless");
    let copy = public_copy(&dir);
    let example = [
        copy.as_str(),
        "--unshare",
        "user,net",
        "--map-root-user",
        "--",
        "sh",
        "-c",
        "id -u; cat /proc/net/dev | tail -n +3",
    ];
    let mut args = Vec::new();
    if rustix::process::geteuid().is_root() {
        args.extend(["--uid", "65534", "--gid", "65534", "--"]);
    }
    args.extend(example);
    let out = clonexec(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "0");
    assert!(lines[1].trim_start().starts_with("lo:"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unshare_net_leaves_only_lo() {
    if skip_without_namespaces("unshare_net_leaves_only_lo") {
        return;
    }
    let out = clonexec_ns("net", &["--", "cat", "/proc/net/dev"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let interfaces: Vec<&str> = text
        .lines()
        .skip(2)
        .map(|l| l.split(':').next().unwrap().trim())
        .collect();
    assert_eq!(interfaces, ["lo"], "{text}");
}

#[test]
fn loopback_up_brings_lo_up() {
    if skip_without_namespaces("loopback_up_brings_lo_up") {
        return;
    }
    if !Path::new("/proc/net/if_inet6").exists() {
        common::skip("loopback_up_brings_lo_up", "no IPv6 to see lo's state by");
        return;
    }
    // lo gets its IPv6 address ::1 when it comes up.
    let out = clonexec_ns("net", &["--loopback-up", "--", "cat", "/proc/net/if_inet6"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).trim_end().ends_with(" lo"), "{}", stdout(&out));
    let out = clonexec_ns("net", &["--", "cat", "/proc/net/if_inet6"]);
    assert_eq!(stdout(&out), "", "lo is up without --loopback-up");
    // Without a new network namespace it is refused (a usage error), not
    // done to ours.
    let out = clonexec(&["--loopback-up", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn unshare_gives_a_new_namespace_of_each_kind() {
    if skip_without_namespaces("unshare_gives_a_new_namespace_of_each_kind") {
        return;
    }
    for (kind, proc_name) in [
        ("user", "user"),
        ("mount", "mnt"),
        ("pid", "pid"),
        ("net", "net"),
        ("ipc", "ipc"),
        ("uts", "uts"),
        ("cgroup", "cgroup"),
        ("time", "time"),
    ] {
        let link = format!("/proc/self/ns/{proc_name}");
        let Ok(ours) = std::fs::read_link(&link) else {
            common::skip(
                &format!("the {kind} case of unshare_gives_a_new_namespace_of_each_kind"),
                format_args!("no {kind} namespaces on this kernel"),
            );
            continue;
        };
        let out = clonexec_ns(kind, &["--", "readlink", &link]);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", stderr(&out));
        let theirs = stdout(&out);
        assert!(theirs.starts_with(&format!("{proc_name}:[")), "{theirs}");
        assert_ne!(theirs.trim_end(), ours.to_str().unwrap(), "{kind}");
    }
}

#[test]
fn hostname_and_domainname_in_a_new_uts_namespace() {
    if skip_without_namespaces("hostname_and_domainname_in_a_new_uts_namespace") {
        return;
    }
    let ours = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let out = clonexec_ns(
        "uts",
        &[
            "--hostname",
            "box",
            "--domainname",
            "example",
            "--",
            "sh",
            "-c",
            "uname -n; cat /proc/sys/kernel/domainname",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "box\nexample\n");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        ours
    );
}

#[test]
fn hostname_without_a_uts_namespace_is_a_usage_error() {
    // Refused by the library before anything runs, rather than setting the
    // host's name.
    let ours = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let out = clonexec(&["--hostname", "x", "--", "uname", "-n"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "clonexec: spawning \"uname\": hostname() needs a new or joined uts namespace (it would change the caller's)\n\
         Try 'clonexec --help' for more information.\n"
    );
    assert_eq!(stdout(&out), "");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        ours
    );
}

#[test]
fn pid_namespace_with_mount_proc_shows_only_its_processes() {
    if skip_without_namespaces("pid_namespace_with_mount_proc_shows_only_its_processes") {
        return;
    }
    let out = clonexec_ns(
        "pid",
        &[
            "--mount-proc",
            "--",
            "sh",
            "-c",
            "echo $$; ls /proc | grep -c '^[0-9]'",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "1", "the shell is not pid 1: {text}");
    // sh, ls and grep at most.
    let count: u32 = lines[1].parse().unwrap();
    assert!((1..=3).contains(&count), "{text}");
    // The proc mount stayed in the child's mount namespace.
    assert!(Path::new(&format!("/proc/{}", std::process::id())).exists());
}

#[test]
fn join_enters_an_existing_namespace() {
    if common::skip_unless_root("join_enters_an_existing_namespace") {
        return;
    }
    let mut holder = command(BIN)
        .args(["--print-pid", "--unshare", "net", "--", "sleep", "30"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stderr.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let pid = line.strip_prefix("clonexec: pid ").unwrap().trim_end();
    let path = format!("/proc/{pid}/ns/net");
    let theirs = std::fs::read_link(&path).unwrap();
    let out = clonexec(&[
        "--join",
        &format!("net:{path}"),
        "--",
        "readlink",
        "/proc/self/ns/net",
    ]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), theirs.to_str().unwrap());
}

#[test]
fn join_failures() {
    let out = clonexec(&["--join", "net:/nonexistent/ns", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        stderr(&out),
        "clonexec: --join: opening \"/nonexistent/ns\" failed: No such file or directory (os error 2)\n"
    );
    // The library refuses to join a user namespace (the child shares our
    // memory until exec): a usage error.
    let out = clonexec(&["--join", "user:/proc/self/ns/user", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("user or time namespace"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cgroup_starts_the_program_in_it() {
    if common::skip_unless_root("cgroup_starts_the_program_in_it") {
        return;
    }
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let Some(root) = mounts
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == "cgroup2")
        .map(|f| PathBuf::from(f[1]))
    else {
        common::skip("cgroup_starts_the_program_in_it", "no cgroup2 mount");
        return;
    };
    let name = format!("clonexec-cli-{}", std::process::id());
    let dir = root.join(&name);
    if let Err(e) = std::fs::create_dir(&dir) {
        common::skip(
            "cgroup_starts_the_program_in_it",
            format_args!("mkdir {}: {e}", dir.display()),
        );
        return;
    }
    let out = clonexec(&[
        "--cgroup",
        dir.to_str().unwrap(),
        "--",
        "cat",
        "/proc/self/cgroup",
    ]);
    let _ = std::fs::remove_dir(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // cgroup paths are relative to our cgroup namespace's root.
    let ours = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let base = ours.lines().find_map(|l| l.strip_prefix("0::")).unwrap();
    let expected = format!("0::{}/{name}", base.trim_end_matches('/'));
    assert!(
        stdout(&out).lines().any(|l| l == expected),
        "{expected} not in {}",
        stdout(&out)
    );
}

#[test]
fn bind_tmpfs_and_devpts_mounts() {
    if skip_without_namespaces("bind_tmpfs_and_devpts_mounts") {
        return;
    }
    let dir = temp_dir("mounts");
    let (src, dst) = (dir.join("src"), dir.join("dst"));
    std::fs::create_dir(&src).unwrap();
    std::fs::create_dir(&dst).unwrap();
    std::fs::write(src.join("file"), "bound\n").unwrap();
    let (src, dst) = (src.to_str().unwrap(), dst.to_str().unwrap());
    // --bind implies a mount namespace; :ro makes it read-only.
    let out = clonexec_ns(
        "",
        &[
            "--bind",
            &format!("{src}:{dst}:ro"),
            "--",
            "sh",
            "-c",
            r#"cat "$0/file"; touch "$0/new" 2>/dev/null || echo read-only"#,
            dst,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "bound\nread-only\n");
    assert_eq!(
        std::fs::read_dir(dst).unwrap().count(),
        0,
        "the bind leaked"
    );
    let out = clonexec_ns(
        "",
        &[
            "--tmpfs",
            dst,
            "--devpts",
            src,
            "--",
            "sh",
            "-c",
            r#"ls -A "$0" | wc -l; stat -f -c %T "$0" "$1""#,
            dst,
            src,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).split_whitespace().collect::<Vec<_>>(),
        ["0", "tmpfs", "devpts"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn propagation_needs_a_mount_namespace() {
    let out = clonexec(&["--propagation", "slave", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mount_propagation()"),
        "{}",
        stderr(&out)
    );
    if !skip_without_namespaces("the namespace case of propagation_needs_a_mount_namespace") {
        let out = clonexec_ns("mount", &["--propagation", "unchanged", "--", "true"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

/// A directory to use as a root: `usr` (to bind the host's onto) and the
/// host's `/bin`-style links into it. `None` when the host's `/bin` is not
/// such a link (no merged `/usr`).
fn usr_root(test: &str) -> Option<PathBuf> {
    if !std::fs::symlink_metadata("/bin").is_ok_and(|m| m.file_type().is_symlink()) {
        common::skip(test, "/bin is not a link into /usr");
        return None;
    }
    let root = temp_dir(test);
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(root.join("usr")).unwrap();
    std::fs::create_dir(root.join("proc")).unwrap();
    for link in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
        if let Ok(target) = std::fs::read_link(Path::new("/").join(link)) {
            std::os::unix::fs::symlink(target, root.join(link)).unwrap();
        }
    }
    Some(root)
}

#[test]
fn chroot_and_pivot_root_change_the_root() {
    if skip_without_namespaces("chroot_and_pivot_root_change_the_root") {
        return;
    }
    let Some(root) = usr_root("chroot_and_pivot_root_change_the_root") else {
        return;
    };
    let mut expected: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    expected.sort();
    let expected = format!("/\n{}\n", expected.join("\n"));
    let r = root.to_str().unwrap();
    let usr = format!("/usr:{r}/usr:ro");
    let proc = format!("--mount-proc={r}/proc");
    // The mounts are made before the root changes, at paths outside it.
    let out = clonexec_ns(
        "",
        &[
            "--bind",
            &usr,
            "--chroot",
            r,
            "--",
            "/bin/sh",
            "-c",
            "pwd; ls /",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected);
    let out = clonexec_ns(
        "pid",
        &[
            "--bind",
            &usr,
            &proc,
            "--pivot-root",
            r,
            "--",
            "/bin/sh",
            "-c",
            "pwd; ls /; echo $$; grep -c . /proc/self/mountinfo",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with(&expected), "{text}");
    // pid 1, and only the new root, /usr and /proc are mounted: the old
    // root is detached.
    assert_eq!(&text[expected.len()..], "1\n3\n", "{text}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn rlimit_sets_soft_and_hard_limits() {
    let out = clonexec(&["--rlimit", "nofile=64", "--", "sh", "-c", "ulimit -n"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "64\n");
    let out = clonexec(&[
        "--rlimit",
        "nofile=32:64",
        "--rlimit",
        "RLIMIT_CORE=0",
        "--",
        "sh",
        "-c",
        "ulimit -Sn; ulimit -Hn; ulimit -c",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "32\n64\n0\n");
}

#[test]
fn no_new_privs_is_set() {
    let out = clonexec(&[
        "--no-new-privs",
        "--",
        "grep",
        "NoNewPrivs",
        "/proc/self/status",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "NoNewPrivs:\t1\n");
}

#[test]
fn seccomp_installs_the_filter_from_a_file() {
    let dir = temp_dir("seccomp");
    // One instruction: return SECCOMP_RET_ALLOW.
    let allow = dir.join("allow.bpf");
    let mut program = 0x06u16.to_ne_bytes().to_vec();
    program.extend([0, 0]);
    program.extend(0x7fff_0000u32.to_ne_bytes());
    std::fs::write(&allow, &program).unwrap();
    let allow = allow.to_str().unwrap();
    let out = clonexec(&[
        "--no-new-privs",
        "--seccomp",
        allow,
        "--seccomp-flags",
        "log",
        "--",
        "grep",
        "Seccomp:",
        "/proc/self/status",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Seccomp:\t2\n");

    let bad = dir.join("bad.bpf");
    std::fs::write(&bad, &program[..7]).unwrap();
    let bad = bad.to_str().unwrap();
    let out = clonexec(&["--no-new-privs", "--seccomp", bad, "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        stderr(&out),
        format!(
            "clonexec: --seccomp: \"{bad}\" has 7 bytes, not a whole number of 8-byte BPF instructions\n"
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn landlock_paths_confine_the_program() {
    if common::skip_unless_landlock("landlock_paths_confine_the_program", 5) {
        return;
    }
    let dir = temp_dir("landlock-paths");
    let (writable, other) = (dir.join("rw"), dir.join("other"));
    std::fs::create_dir(&writable).unwrap();
    std::fs::create_dir(&other).unwrap();
    let script = r#"echo in > "$1"/in && echo out > "$2"/out"#;
    let out = clonexec(&[
        "--landlock-ro",
        "/",
        "--landlock-rw",
        writable.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        script,
        "sh",
        writable.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(writable.join("in")).unwrap(),
        "in\n"
    );
    assert!(!other.join("out").exists());

    let missing = dir.join("missing");
    let out = clonexec(&["--landlock-ro", missing.to_str().unwrap(), "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "the Landlock read_only path {missing:?} does not exist"
        )),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn landlock_network_flags_allow_only_the_listed_ports() {
    if common::skip_unless_landlock("landlock_network_flags_allow_only_the_listed_ports", 4) {
        return;
    }
    let listed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unlisted = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = |l: &std::net::TcpListener| l.local_addr().unwrap().port().to_string();
    let connect = |flags: &[&str], to: &str| {
        let mut args = flags.to_vec();
        let target = format!("exec 3<>/dev/tcp/127.0.0.1/{to}");
        args.extend(["--", "bash", "-c", &target]);
        clonexec(&args)
    };
    let listed_flags = ["--landlock-connect", &port(&listed)];
    let out = connect(&listed_flags, &port(&listed));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = connect(&listed_flags, &port(&unlisted));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    let out = connect(&["--landlock-no-net"], &port(&listed));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
}

#[cfg(target_arch = "x86_64")]
#[test]
fn seccomp_deny_and_allow_flags() {
    let dir = temp_dir("seccomp-policy");
    let target = dir.join("made");
    let out = clonexec(&[
        "--no-new-privs",
        "--seccomp-deny",
        "mkdir,mkdirat:EACCES",
        "--",
        "mkdir",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());

    // Without an errno: EPERM.
    let out = clonexec(&[
        "--no-new-privs",
        "--seccomp-deny",
        "mkdir,mkdirat",
        "--",
        "mkdir",
        target.to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains("Operation not permitted"),
        "{}",
        stderr(&out)
    );

    let allow = common::TRUE_SYSCALLS.join(",");
    let out = clonexec(&["--no-new-privs", "--seccomp-allow", &allow, "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The rest fails with EPERM: uname(2) among them.
    let allowed_write = format!("{allow},write");
    let out = clonexec(&[
        "--no-new-privs",
        "--seccomp-allow",
        &allowed_write,
        "--",
        "uname",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("Operation not permitted"),
        "{}",
        stderr(&out)
    );

    let out = clonexec(&["--seccomp-deny", "mkdri", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"mkdri\""), "{}", stderr(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn process_attributes_reach_the_program() {
    let out = clonexec(&[
        "--personality",
        "0x0040000",
        "--",
        "cat",
        "/proc/self/personality",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "00040000\n");

    let out = clonexec(&[
        "--oom-score-adj",
        "500",
        "--",
        "cat",
        "/proc/self/oom_score_adj",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "500\n");

    let out = clonexec(&[
        "--signal-mask",
        "USR1,SIGTERM",
        "--",
        "grep",
        "SigBlk",
        "/proc/self/status",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "SigBlk:\t0000000000004200\n");

    let out = clonexec(&["--new-session-keyring", "--", "cat", "/proc/keys"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(" _ses: "),
        "no session keyring: {}",
        stdout(&out)
    );
}

#[test]
fn reset_signals_resets_ignored_signals() {
    // The shell ignores USR1 and becomes clonexec, which inherits that.
    let run = |flag: &str| {
        let out = command("sh")
            .args([
                "-c",
                r#"trap '' USR1; exec "$0" $1 -- grep SigIgn /proc/self/status"#,
                BIN,
                flag,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let mask = stdout(&out);
        let mask =
            u64::from_str_radix(mask.trim().strip_prefix("SigIgn:").unwrap().trim(), 16).unwrap();
        mask & (1 << 9) != 0
    };
    assert!(run(""), "USR1 not ignored without --reset-signals");
    assert!(!run("--reset-signals"), "USR1 still ignored");
}

#[test]
fn capability_flags_set_the_child_sets() {
    if common::skip_unless_root("capability_flags_set_the_child_sets") {
        return;
    }
    let chown = 1u64 << 0;
    if own_caps("CapEff") & chown == 0 || own_caps("CapBnd") & chown == 0 {
        common::skip("capability_flags_set_the_child_sets", "no CAP_CHOWN");
        return;
    }
    let caps = |args: &[&str], field: &str| {
        let mut all = args.to_vec();
        all.extend(["--", "grep", field, "/proc/self/status"]);
        let out = clonexec(&all);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        let value = text
            .trim()
            .strip_prefix(field)
            .unwrap()
            .trim_start_matches(':');
        u64::from_str_radix(value.trim(), 16).unwrap()
    };
    // Keep only CAP_CHOWN / drop only CAP_CHOWN.
    assert_eq!(caps(&["--bounding-set", "chown"], "CapBnd"), chown);
    assert_eq!(
        caps(&["--bounding-set", "-chown"], "CapBnd"),
        own_caps("CapBnd") & !chown
    );
    assert_eq!(caps(&["--inh-caps", "chown,13"], "CapInh"), chown | 1 << 13);
    // With NOROOT, exec grants root nothing.
    assert_eq!(caps(&["--securebits", "noroot"], "CapPrm"), 0);
    // Full sets for an unprivileged program, with an ambient capability.
    let nobody = [
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--caps",
        "chown:chown:chown",
        "--ambient-caps",
        "chown",
    ];
    assert_eq!(caps(&nobody, "CapPrm"), chown);
    assert_eq!(caps(&nobody, "CapEff"), chown);
    assert_eq!(caps(&nobody, "CapAmb"), chown);
}

#[test]
fn tty_flags_set_the_session_and_terminal() {
    let common::Pty {
        master: _master,
        slave,
    } = common::Pty::open();
    let stat_with_tty_stdin = |args: &[&str]| {
        let out = command(BIN)
            .args(args)
            .args(["--", "cat", "/proc/self/stat"])
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    // With a terminal on stdin, --setsid-if-tty makes a session; without
    // one it does not.
    let (pid, _, sid) = stat_ids(&stat_with_tty_stdin(&["--setsid-if-tty"]));
    assert_eq!(sid, pid);
    let (pid, _, sid) = stat_ids(&stdout(&clonexec(&[
        "--setsid-if-tty",
        "--",
        "cat",
        "/proc/self/stat",
    ])));
    assert_ne!(sid, pid);
    // --ctty 0 (with the implied --setsid) takes the terminal on stdin.
    let stat = stat_with_tty_stdin(&["--ctty", "0"]);
    let (pid, _, sid) = stat_ids(&stat);
    assert_eq!(sid, pid);
    assert_ne!(
        common::parse_stat(&stat).tty_nr,
        0,
        "no controlling terminal: {stat}"
    );
    // ... and a nested clonexec --no-ctty detaches its program from it.
    let stat = stat_with_tty_stdin(&["--ctty", "0", "--", BIN, "--no-ctty"]);
    assert_eq!(
        common::parse_stat(&stat).tty_nr,
        0,
        "still has a controlling terminal: {stat}"
    );
}

/// A root built from flags alone, bubblewrap's way: nothing of the host
/// but what is bound in, everything made as needed.
#[test]
fn empty_root_builds_a_sandbox_from_flags() {
    if skip_without_namespaces("empty_root_builds_a_sandbox_from_flags") {
        return;
    }
    let dir = temp_dir("empty-root");
    let hostname = dir.join("hostname");
    std::fs::write(&hostname, "sandbox\n").unwrap();
    let file = format!("/etc/hostname:{}:600", hostname.display());
    let out = clonexec_ns(
        "pid",
        &[
            "--init",
            "--empty-root",
            "--bind",
            "/usr:/usr:ro,nodev",
            "--symlink",
            "usr/bin:/bin",
            "--symlink",
            "usr/lib:/lib",
            "--symlink",
            "usr/lib64:/lib64",
            "--bind",
            "/nonexistent:/opt:try",
            "--dir",
            "/var/tmp:1777",
            "--file",
            &file,
            "--mount-proc=/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp:size=1m",
            "--remount-ro",
            "/dev",
            "--",
            "/bin/sh",
            "-c",
            "ls -A / | tr '\\n' ' '; echo; stat -c %a /var/tmp /etc/hostname; \
             cat /etc/hostname; touch /usr/x /dev/x 2>/dev/null || echo read-only; \
             echo > /dev/null && echo dev-ok",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "bin dev etc lib lib64 proc tmp usr var \n1777\n600\nsandbox\nread-only\ndev-ok\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn init_runs_the_program_under_a_reaping_pid_1() {
    if skip_without_namespaces("init_runs_the_program_under_a_reaping_pid_1") {
        return;
    }
    // The program is pid 2 with pid 1 (the init) as its parent, an orphan
    // it leaves behind is reaped, and its exit code comes back.
    let out = clonexec_ns(
        "pid",
        &[
            "--init",
            "--mount-proc",
            "--",
            "sh",
            "-c",
            "echo $$ $PPID; cat /proc/1/comm; exit 9",
        ],
    );
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "2 1", "{text}");
    assert_eq!(lines[1], "clonexec-init", "{text}");
}

#[test]
fn lock_mounts_keeps_mounts_from_being_undone() {
    if skip_without_namespaces("lock_mounts_keeps_mounts_from_being_undone") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("clonexec-cli-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "umount {} 2>/dev/null && echo unmounted || echo locked",
        dir.display()
    );
    let dir_arg = dir.to_str().unwrap();
    let unlocked = clonexec_ns("mount", &["--tmpfs", dir_arg, "--", "sh", "-c", &script]);
    let locked = clonexec_ns(
        "mount",
        &[
            "--tmpfs",
            dir_arg,
            "--lock-mounts",
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    std::fs::remove_dir(&dir).unwrap();
    assert_eq!(stdout(&unlocked), "unmounted\n", "{}", stderr(&unlocked));
    assert_eq!(stdout(&locked), "locked\n", "{}", stderr(&locked));
}
