//! Rust's tests/ui/process run-pass programs, run against clonexec: each
//! is a whole program whose `main` re-runs itself (`env::args()`,
//! `env::current_exe()`) as the child it spawns, so each keeps a process
//! of its own. Its own binary without libtest's harness: run with no
//! arguments it re-runs itself once per program (`STD_UI_TEST=name`), and
//! that copy runs the program's `main` — as do the copies the program
//! spawns, which inherit the variable and take their child branch from
//! their arguments, as in std. It prints libtest's summary line.
//!
//! Each module is one program, named after its file, with its
//! `use std::process::...` line naming clonexec; other changes are said
//! where they are. Left out, as they test std's runtime rather than
//! `Command`: env-args-reverse-iterator, env-vars, exec-env,
//! env-funky-keys (a raw `execve`), multi-panic (the panic message
//! format), println-with-broken-pipe, tls-exit-status; needing nightly:
//! process-panic-after-fork (`panic_always_abort`, a fork by hand);
//! needing a statically linked test binary: nofile-limit; and the
//! Windows-only ones (win-*, windows-exit-code-still-active).

// std's code as written (its style, and the allowances its files have).
#![allow(
    unused_imports,
    unused_mut,
    unused_must_use,
    clippy::ok_expect,
    clippy::needless_return,
    clippy::needless_borrows_for_generic_args,
    clippy::needless_borrowed_reference,
    clippy::unused_io_amount,
    clippy::len_zero,
    clippy::get_first,
    clippy::single_match,
    clippy::char_lit_as_u8,
    clippy::manual_range_contains
)]

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

const CASE_ENV: &str = "STD_UI_TEST";

/// A program's name (its file's, with `_` for `-`) and its `main`.
const CASES: &[(&str, fn())] = &[
    ("core_run_destroy", core_run_destroy::main),
    ("fds_are_cloexec", fds_are_cloexec::main),
    ("inherit_env", inherit_env::main),
    ("issue_13304", issue_13304::main),
    ("issue_14456", issue_14456::main),
    ("issue_14940", issue_14940::main),
    ("issue_16272", issue_16272::main),
    ("issue_20091", issue_20091::main),
    ("issue_30490", issue_30490::main),
    ("no_stdio", no_stdio::main),
    ("process_envs", process_envs::main),
    ("process_exit", process_exit::main),
    ("process_remove_from_env", process_remove_from_env::main),
    ("process_sigpipe", process_sigpipe::main),
    ("process_spawn_failure", process_spawn_failure::main),
    ("process_spawn_nonexistent", process_spawn_nonexistent::main),
    (
        "process_spawn_with_unicode_params",
        process_spawn_with_unicode_params::main,
    ),
    (
        "process_status_inherits_stdin",
        process_status_inherits_stdin::main,
    ),
    ("signal_exit_status", signal_exit_status::main),
    ("sigpipe_should_be_ignored", sigpipe_should_be_ignored::main),
    ("try_wait", try_wait::main),
];

/// How long one program may take before it counts as hung.
const HANG: Duration = Duration::from_secs(120);

fn main() {
    if let Some(name) = std::env::var_os(CASE_ENV) {
        let (_, main) = CASES
            .iter()
            .find(|(n, _)| *n == name)
            .expect("a known program");
        main();
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, _) in CASES {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match run(name) {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(why) => {
                println!("test {name} ... FAILED\n{why}");
                failed += 1;
            }
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    std::process::exit(if failed == 0 { 0 } else { 101 });
}

/// Runs one program in a copy of this binary (spawned with std, so that
/// the harness does not depend on what it tests); `Err` says why it failed.
fn run(name: &str) -> Result<(), String> {
    if common::under_qemu() {
        common::skip(
            name,
            "re-runs this test binary, which qemu-user cannot run from a child (ENOEXEC)",
        );
        return Ok(());
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CASE_ENV, name)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Read the output on threads, so that a hang shows as one.
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hung: still running after {HANG:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        ))
    }
}

/// core-run-destroy.rs (a `--test` file: its three tests run in turn).
/// Left out: the one-second watchdog thread that exits the process while
/// `test_destroy_actually_kills` waits (a timed assertion; a hang is
/// caught by the harness above).
mod core_run_destroy {
    use clonexec::{Child, Command, Output, Stdio};

    macro_rules! t {
        ($e:expr) => {
            match $e {
                Ok(e) => e,
                Err(e) => panic!("error: {}", e),
            }
        };
    }

    pub fn main() {
        test_destroy_once();
        test_destroy_twice();
        test_destroy_actually_kills();
    }

    fn test_destroy_once() {
        let mut p = sleeper();
        t!(p.kill());
    }

    pub fn sleeper() -> Child {
        t!(Command::new("sleep").arg("1000").spawn())
    }

    fn test_destroy_twice() {
        let mut p = sleeper();
        t!(p.kill()); // this shouldn't crash...
        let _ = p.kill(); // ...and nor should this (and nor should the destructor)
    }

    fn test_destroy_actually_kills() {
        let cmd = if cfg!(windows) {
            "cmd"
        } else if cfg!(target_os = "android") {
            "/system/bin/cat"
        } else {
            "cat"
        };

        // this process will stay alive indefinitely trying to read from stdin
        let mut p = t!(Command::new(cmd).stdin(Stdio::piped()).spawn());

        t!(p.kill());

        let code = t!(p.wait()).code();
        if cfg!(windows) {
            assert!(code.is_some());
        } else {
            assert!(code.is_none());
        }
    }
}

mod fds_are_cloexec {
    use std::env;
    use std::fs::File;
    use std::io;
    use std::net::{TcpListener, TcpStream, UdpSocket};
    use std::os::unix::prelude::*;
    use std::thread;

    use clonexec::{Command, Stdio};

    pub fn main() {
        let args = env::args().collect::<Vec<_>>();
        if args.len() == 1 {
            parent()
        } else {
            child(&args)
        }
    }

    fn parent() {
        let file = File::open(env::current_exe().unwrap()).unwrap();
        let tcp1 = TcpListener::bind("127.0.0.1:0").unwrap();
        let tcp2 = tcp1.try_clone().unwrap();
        let addr = tcp1.local_addr().unwrap();
        let t = thread::spawn(move || TcpStream::connect(addr).unwrap());
        let tcp3 = tcp1.accept().unwrap().0;
        let tcp4 = t.join().unwrap();
        let tcp5 = tcp3.try_clone().unwrap();
        let tcp6 = tcp4.try_clone().unwrap();
        let udp1 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let udp2 = udp1.try_clone().unwrap();

        let mut child = Command::new(env::args().next().unwrap())
            .arg("100")
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe1 = child.stdin.take().unwrap();
        let pipe2 = child.stdout.take().unwrap();
        let pipe3 = child.stderr.take().unwrap();

        let status = Command::new(env::args().next().unwrap())
            .arg(file.as_raw_fd().to_string())
            .arg(tcp1.as_raw_fd().to_string())
            .arg(tcp2.as_raw_fd().to_string())
            .arg(tcp3.as_raw_fd().to_string())
            .arg(tcp4.as_raw_fd().to_string())
            .arg(tcp5.as_raw_fd().to_string())
            .arg(tcp6.as_raw_fd().to_string())
            .arg(udp1.as_raw_fd().to_string())
            .arg(udp2.as_raw_fd().to_string())
            .arg(pipe1.as_raw_fd().to_string())
            .arg(pipe2.as_raw_fd().to_string())
            .arg(pipe3.as_raw_fd().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        child.wait().unwrap();
    }

    fn child(args: &[String]) {
        let mut b = [0u8; 2];
        for arg in &args[1..] {
            let fd: libc::c_int = arg.parse().unwrap();
            unsafe {
                assert_eq!(libc::read(fd, b.as_mut_ptr() as *mut _, 2), -1);
                assert_eq!(io::Error::last_os_error().raw_os_error(), Some(libc::EBADF));
            }
        }
    }
}

mod inherit_env {
    use std::env;

    use clonexec::Command;

    pub fn main() {
        if env::args().nth(1).map(|s| s == "print").unwrap_or(false) {
            for (k, v) in env::vars() {
                println!("{}={}", k, v);
            }
            return;
        }

        let me = env::current_exe().unwrap();
        let result = Command::new(me).arg("print").output().unwrap();
        let output = String::from_utf8(result.stdout).unwrap();

        for (k, v) in env::vars() {
            assert!(
                output.contains(&format!("{}={}", k, v)),
                "output doesn't contain `{}={}`\n{}",
                k,
                v,
                output
            );
        }
    }
}

mod issue_13304 {
    use std::env;
    use std::io;
    use std::io::prelude::*;
    use std::str;

    use clonexec::{Command, Stdio};

    pub fn main() {
        let args: Vec<String> = env::args().collect();
        if args.len() > 1 && args[1] == "child" {
            child();
        } else {
            parent();
        }
    }

    fn parent() {
        let args: Vec<String> = env::args().collect();
        let mut p = Command::new(&args[0])
            .arg("child")
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        p.stdin
            .as_mut()
            .unwrap()
            .write_all(b"test1\ntest2\ntest3")
            .unwrap();
        let out = p.wait_with_output().unwrap();
        assert!(out.status.success());
        let s = str::from_utf8(&out.stdout).unwrap();
        assert_eq!(s, "test1\ntest2\ntest3\n");
    }

    fn child() {
        let mut stdin = io::stdin();
        for line in stdin.lock().lines() {
            println!("{}", line.unwrap());
        }
    }
}

mod issue_14456 {
    use std::env;
    use std::io;
    use std::io::prelude::*;

    use clonexec::{Command, Stdio};

    pub fn main() {
        let args: Vec<String> = env::args().collect();
        if args.len() > 1 && args[1] == "child" {
            return child();
        }

        test();
    }

    fn child() {
        writeln!(&mut io::stdout(), "foo").unwrap();
        writeln!(&mut io::stderr(), "bar").unwrap();
        let mut stdin = io::stdin();
        let mut s = String::new();
        stdin.lock().read_line(&mut s).unwrap();
        assert_eq!(s.len(), 0);
    }

    fn test() {
        let args: Vec<String> = env::args().collect();
        let mut p = Command::new(&args[0])
            .arg("child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(p.wait().unwrap().success());
    }
}

mod issue_14940 {
    use std::env;
    use std::io::{self, Write};

    use clonexec::Command;

    pub fn main() {
        let mut args = env::args();
        if args.len() > 1 {
            let mut out = io::stdout();
            out.write(&['a' as u8; 128 * 1024]).unwrap();
        } else {
            let out = Command::new(&args.next().unwrap()).arg("child").output();
            let out = out.unwrap();
            assert!(out.status.success());
        }
    }
}

mod issue_16272 {
    use std::env;

    use clonexec::Command;

    pub fn main() {
        let len = env::args().len();

        if len == 1 {
            test();
        } else {
            assert_eq!(len, 3);
        }
    }

    fn test() {
        let status = Command::new(&env::current_exe().unwrap())
            .arg("foo")
            .arg("")
            .status()
            .unwrap();
        assert!(status.success());
    }
}

mod issue_20091 {
    pub fn main() {
        use clonexec::Command;
        use std::env;
        use std::ffi::OsStr;
        use std::os::unix::prelude::*;

        if env::args().len() == 1 {
            assert!(
                Command::new(&env::current_exe().unwrap())
                    .arg(<OsStr as OsStrExt>::from_bytes(b"\xff"))
                    .status()
                    .unwrap()
                    .success()
            )
        }
    }
}

/// issue-30490.rs: the child's stdout and stderr are swapped copies of the
/// parent's, given as `Stdio::from_raw_fd(2)` and `(1)`.
mod issue_30490 {
    use std::fs::File;
    use std::io::{Read, Write};
    use std::io::{stderr, stdout};
    use std::os::unix::io::FromRawFd;

    use clonexec::{Command, Stdio};

    pub fn main() {
        let mut args = std::env::args();
        let name = args.next().unwrap();
        let args: Vec<String> = args.collect();
        if let Some("--child") = args.get(0).map(|s| &**s) {
            return child();
        } else if !args.is_empty() {
            panic!("unknown options");
        }

        let stdout_backup = unsafe { libc::dup(libc::STDOUT_FILENO) };
        let stderr_backup = unsafe { libc::dup(libc::STDERR_FILENO) };
        assert!(stdout_backup > -1);
        assert!(stderr_backup > -1);

        let (stdout_reader, stdout_writer) = pipe();
        let (stderr_reader, stderr_writer) = pipe();
        assert!(unsafe { libc::dup2(stdout_writer, libc::STDOUT_FILENO) } > -1);
        assert!(unsafe { libc::dup2(stderr_writer, libc::STDERR_FILENO) } > -1);

        // Make sure we close any duplicates of the writer end of the pipe,
        // otherwise we can get stuck reading from the pipe which has open
        // writers but no one supplying any input
        assert_eq!(unsafe { libc::close(stdout_writer) }, 0);
        assert_eq!(unsafe { libc::close(stderr_writer) }, 0);

        stdout()
            .write_all("parent stdout\n".as_bytes())
            .expect("failed to write to stdout");
        stderr()
            .write_all("parent stderr\n".as_bytes())
            .expect("failed to write to stderr");

        let child = {
            Command::new(name)
                .arg("--child")
                .stdin(Stdio::inherit())
                .stdout(unsafe { Stdio::from_raw_fd(libc::STDERR_FILENO) })
                .stderr(unsafe { Stdio::from_raw_fd(libc::STDOUT_FILENO) })
                .spawn()
        };

        // The Stdio passed into the Command took over (and closed) std{out, err}
        // so we should restore them as they were.
        assert!(unsafe { libc::dup2(stdout_backup, libc::STDOUT_FILENO) } > -1);
        assert!(unsafe { libc::dup2(stderr_backup, libc::STDERR_FILENO) } > -1);

        // Using File as a shim around the descriptor
        let mut read = String::new();
        let mut f: File = unsafe { FromRawFd::from_raw_fd(stdout_reader) };
        f.read_to_string(&mut read)
            .expect("failed to read from stdout file");
        assert_eq!(read, "parent stdout\nchild stderr\n");

        // Using File as a shim around the descriptor
        read.clear();
        let mut f: File = unsafe { FromRawFd::from_raw_fd(stderr_reader) };
        f.read_to_string(&mut read)
            .expect("failed to read from stderr file");
        assert_eq!(read, "parent stderr\nchild stdout\n");

        assert!(
            child
                .expect("failed to execute child process")
                .wait()
                .unwrap()
                .success()
        );
    }

    fn child() {
        stdout()
            .write_all("child stdout\n".as_bytes())
            .expect("child failed to write to stdout");
        stderr()
            .write_all("child stderr\n".as_bytes())
            .expect("child failed to write to stderr");
    }

    /// Returns a pipe (reader, writer combo)
    fn pipe() -> (i32, i32) {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }
}

mod no_stdio {
    use std::env;
    use std::io::{self, Read, Write};

    use clonexec::{Command, Stdio};

    unsafe fn without_stdio<R, F: FnOnce() -> R>(f: F) -> R {
        unsafe {
            let doit = |a| {
                let r = libc::dup(a);
                assert!(r >= 0);
                return r;
            };
            let a = doit(0);
            let b = doit(1);
            let c = doit(2);

            assert!(libc::close(0) >= 0);
            assert!(libc::close(1) >= 0);
            assert!(libc::close(2) >= 0);

            let r = f();

            assert!(libc::dup2(a, 0) >= 0);
            assert!(libc::dup2(b, 1) >= 0);
            assert!(libc::dup2(c, 2) >= 0);

            return r;
        }
    }

    fn assert_fd_is_valid(fd: libc::c_int) {
        if unsafe { libc::fcntl(fd, libc::F_GETFD) == -1 } {
            panic!(
                "file descriptor {} is not valid: {}",
                fd,
                io::Error::last_os_error()
            );
        }
    }

    pub fn main() {
        if env::args().len() > 1 {
            // Writing to stdout & stderr should not panic.
            println!("test");
            assert!(io::stdout().write(b"test\n").is_ok());
            assert!(io::stderr().write(b"test\n").is_ok());

            // Stdin should be at EOF.
            assert_eq!(io::stdin().read(&mut [0; 10]).unwrap(), 0);

            // Standard file descriptors should be valid on UNIX:
            assert_fd_is_valid(0);
            assert_fd_is_valid(1);
            assert_fd_is_valid(2);
            return;
        }

        // First, make sure reads/writes without stdio work if stdio itself is
        // missing.
        let (a, b, c) = unsafe {
            without_stdio(|| {
                let a = io::stdout().write(b"test\n");
                let b = io::stderr().write(b"test\n");
                let c = io::stdin().read(&mut [0; 10]);

                (a, b, c)
            })
        };

        assert_eq!(a.unwrap(), 5);
        assert_eq!(b.unwrap(), 5);
        assert_eq!(c.unwrap(), 0);

        // Second, spawn a child and do some work with "null" descriptors to make
        // sure it's ok
        let me = env::current_exe().unwrap();
        let status = Command::new(&me)
            .arg("next")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{} isn't a success", status);

        // Finally, close everything then spawn a child to make sure everything is
        // *still* ok.
        let status = unsafe { without_stdio(|| Command::new(&me).arg("next").status()) }.unwrap();
        assert!(status.success(), "{} isn't a success", status);
    }
}

/// process-envs.rs. Edition 2024: `env::set_var`/`remove_var` in
/// `unsafe` (this program has one thread).
mod process_envs {
    use std::collections::HashMap;
    use std::env;

    use clonexec::Command;

    pub fn env_cmd() -> Command {
        Command::new("env")
    }

    pub fn main() {
        // save original environment
        let old_env = env::var_os("RUN_TEST_NEW_ENV");

        unsafe { env::set_var("RUN_TEST_NEW_ENV", "123") };

        // create filtered environment vector
        let filtered_env: HashMap<String, String> =
            env::vars().filter(|&(ref k, _)| k == "PATH").collect();

        let mut cmd = env_cmd();
        cmd.env_clear();
        cmd.envs(&filtered_env);

        // restore original environment
        match old_env {
            None => unsafe { env::remove_var("RUN_TEST_NEW_ENV") },
            Some(val) => unsafe { env::set_var("RUN_TEST_NEW_ENV", &val) },
        }

        let result = cmd.output().unwrap();
        let output = String::from_utf8_lossy(&result.stdout);

        assert!(
            !output.contains("RUN_TEST_NEW_ENV"),
            "found RUN_TEST_NEW_ENV inside of:\n\n{}",
            output
        );
    }
}

mod process_exit {
    use std::env;
    use std::process::{self};

    use clonexec::{Command, Stdio};

    pub fn main() {
        let args: Vec<String> = env::args().collect();
        if args.len() > 1 && args[1] == "child" {
            child();
        } else {
            parent();
        }
    }

    fn parent() {
        let args: Vec<String> = env::args().collect();
        let status = Command::new(&args[0]).arg("child").status().unwrap();
        assert_eq!(status.code(), Some(2));
    }

    fn child() -> i32 {
        process::exit(2);
    }
}

/// process-remove-from-env.rs. Edition 2024: `env::set_var`/`remove_var`
/// in `unsafe` (this program has one thread).
mod process_remove_from_env {
    use std::env;

    use clonexec::Command;

    pub fn env_cmd() -> Command {
        Command::new("env")
    }

    pub fn main() {
        // save original environment
        let old_env = env::var_os("RUN_TEST_NEW_ENV");

        unsafe { env::set_var("RUN_TEST_NEW_ENV", "123") };

        let mut cmd = env_cmd();
        cmd.env_remove("RUN_TEST_NEW_ENV");

        // restore original environment
        match old_env {
            None => unsafe { env::remove_var("RUN_TEST_NEW_ENV") },
            Some(val) => unsafe { env::set_var("RUN_TEST_NEW_ENV", &val) },
        }

        let result = cmd.output().unwrap();
        let output = String::from_utf8_lossy(&result.stdout);

        assert!(
            !output.contains("RUN_TEST_NEW_ENV"),
            "found RUN_TEST_NEW_ENV inside of:\n\n{}",
            output
        );
    }
}

/// process-sigpipe.rs: the child gets SIGPIPE's default action back, so
/// `while echo y; do :; done | head` ends without an error message. Left
/// out: the five-second watchdog thread (a timed assertion; the harness
/// catches a hang).
mod process_sigpipe {
    use clonexec as process;

    pub fn main() {
        let output = process::Command::new("sh")
            .arg("-c")
            .arg("while echo y ; do : ; done | head")
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(output.stderr.len() == 0);
    }
}

mod process_spawn_failure {
    use clonexec::Command;

    // The output from "ps -A -o pid,ppid,args" should look like this:
    //   PID  PPID COMMAND
    //     1     0 /sbin/init
    //     2     0 [kthreadd]
    // ...
    //  6076  9064 /bin/zsh
    // ...
    //  7164  6076 ./spawn-failure
    //  7165  7164 [spawn-failure] <defunct>
    //  7166  7164 [spawn-failure] <defunct>
    // ...
    //  7197  7164 [spawn-failure] <defunct>
    //  7198  7164 ps -A -o pid,ppid,command
    // ...

    fn find_zombies() {
        let my_pid = unsafe { libc::getpid() };

        // https://pubs.opengroup.org/onlinepubs/9699919799/utilities/ps.html
        let ps_cmd_output = Command::new("ps")
            .args(&["-A", "-o", "pid,ppid,args"])
            .output()
            .unwrap();
        let ps_output = String::from_utf8_lossy(&ps_cmd_output.stdout);
        // On AIX, the PPID is not always present, such as when a process is blocked
        // (marked as <exiting>), or if a process is idle. In these situations,
        // the PPID column contains a "-" for the respective process.
        // Filter out any lines that have a "-" as the PPID as the PPID is
        // expected to be an integer.
        let filtered_ps: Vec<_> = ps_output
            .lines()
            .filter(|line| line.split_whitespace().nth(1) != Some("-"))
            .collect();

        for (line_no, line) in filtered_ps.into_iter().enumerate() {
            if 0 < line_no
                && 0 < line.len()
                && my_pid
                    == line
                        .split(' ')
                        .filter(|w| 0 < w.len())
                        .nth(1)
                        .expect("1st column should be PPID")
                        .parse()
                        .ok()
                        .expect("PPID string into integer")
                && line.contains("defunct")
            {
                panic!("Zombie child {}", line);
            }
        }
    }

    pub fn main() {
        let too_long = format!("/NoSuchCommand{:0300}", 0u8);

        let _failures = (0..100)
            .map(|_| {
                let mut cmd = Command::new(&too_long);
                let failed = cmd.spawn();
                assert!(
                    failed.is_err(),
                    "Make sure the command fails to spawn(): {:?}",
                    cmd
                );
                failed
            })
            .collect::<Vec<_>>();

        find_zombies();
        // then _failures goes out of scope
    }
}

mod process_spawn_nonexistent {
    use std::io::ErrorKind;

    use clonexec::Command;

    pub fn main() {
        let result = Command::new("nonexistent").spawn().unwrap_err().kind();

        assert!(matches!(
            result,
            // Under WSL with appendWindowsPath=true, this fails with PermissionDenied
            ErrorKind::NotFound | ErrorKind::PermissionDenied
        ));
    }
}

/// process-spawn-with-unicode-params.rs. Added: the directory the program
/// copies itself into (next to the test binary) is removed afterwards.
mod process_spawn_with_unicode_params {
    use std::env;
    use std::fs;
    use std::io;
    use std::io::prelude::*;
    use std::path::Path;

    use clonexec::Command;

    pub fn main() {
        let my_args = env::args().collect::<Vec<_>>();
        let my_cwd = env::current_dir().unwrap();
        let my_env = env::vars().collect::<Vec<_>>();
        let my_path = env::current_exe().unwrap();
        let my_dir = my_path.parent().unwrap();
        let my_ext = my_path.extension().and_then(|s| s.to_str()).unwrap_or("");

        // some non-ASCII characters
        let blah = "\u{3c0}\u{42f}\u{97f3}\u{e6}\u{221e}";

        let child_name = "child";
        let child_dir = format!("process-spawn-with-unicode-params-{}", blah);

        // parameters sent to child / expected to be received from parent
        let arg = blah;
        let cwd = my_dir.join(&child_dir);
        let env = ("RUST_TEST_PROC_SPAWN_UNICODE".to_string(), blah.to_string());

        // am I the parent or the child?
        if my_args.len() == 1 {
            // parent

            let child_filestem = Path::new(child_name);
            let child_filename = child_filestem.with_extension(my_ext);
            let child_path = cwd.join(&child_filename);

            // make a separate directory for the child
            let _ = fs::create_dir(&cwd);
            fs::copy(&my_path, &child_path).unwrap();

            // run child
            let p = Command::new(&child_path)
                .arg(arg)
                .current_dir(&cwd)
                .env(&env.0, &env.1)
                .spawn()
                .unwrap()
                .wait_with_output()
                .unwrap();

            // (added) remove the copy
            fs::remove_dir_all(&cwd).unwrap();

            // display the output
            io::stdout().write_all(&p.stdout).unwrap();
            io::stderr().write_all(&p.stderr).unwrap();

            // make sure the child succeeded
            assert!(p.status.success());
        } else {
            // child

            // check working directory (don't try to compare with `cwd` here!)
            assert!(my_cwd.ends_with(&child_dir));

            // check arguments
            assert_eq!(&*my_args[1], arg);

            // check environment variable
            assert!(my_env.contains(&env));
        };
    }
}

mod process_status_inherits_stdin {
    use std::env;
    use std::io;
    use std::io::Write;

    use clonexec::{Command, Stdio};

    pub fn main() {
        let mut args = env::args();
        let me = args.next().unwrap();
        let arg = args.next();
        match arg.as_ref().map(|s| &s[..]) {
            None => {
                let mut s = Command::new(&me)
                    .arg("a1")
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap();
                s.stdin.take().unwrap().write_all(b"foo\n").unwrap();
                let s = s.wait().unwrap();
                assert!(s.success());
            }
            Some("a1") => {
                let s = Command::new(&me).arg("a2").status().unwrap();
                assert!(s.success());
            }
            Some(..) => {
                let mut s = String::new();
                io::stdin().read_line(&mut s).unwrap();
                assert_eq!(s, "foo\n");
            }
        }
    }
}

/// signal-exit-status.rs, with `std::process::abort()` for the unstable
/// `core::intrinsics::abort()` (both end the child by a signal).
mod signal_exit_status {
    use std::env;

    use clonexec::Command;

    pub fn main() {
        let args: Vec<String> = env::args().collect();
        if args.len() >= 2 && args[1] == "signal" {
            // Raise an aborting signal without UB
            std::process::abort();
        } else {
            let status = Command::new(&args[0]).arg("signal").status().unwrap();
            assert!(status.code().is_none());
        }
    }
}

mod sigpipe_should_be_ignored {
    use std::env;
    use std::io;
    use std::io::prelude::*;

    use clonexec::{Command, Stdio};

    fn test() {
        let _ = io::stdin().read_line(&mut String::new());
        io::stdout().write(&[1]);
        assert!(io::stdout().flush().is_err());
    }

    pub fn main() {
        let args: Vec<String> = env::args().collect();
        if args.len() > 1 && args[1] == "test" {
            return test();
        }

        let mut p = Command::new(&args[0])
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .arg("test")
            .spawn()
            .unwrap();
        drop(p.stdout.take());
        assert!(p.wait().unwrap().success());
    }
}

mod try_wait {
    use std::env;
    use std::thread;
    use std::time::Duration;

    use clonexec::Command;

    pub fn main() {
        let args = env::args().collect::<Vec<_>>();
        if args.len() != 1 {
            match &args[1][..] {
                "sleep" => thread::sleep(Duration::new(1_000, 0)),
                _ => {}
            }
            return;
        }

        let mut me = Command::new(env::current_exe().unwrap())
            .arg("sleep")
            .spawn()
            .unwrap();
        let maybe_status = me.try_wait().unwrap();
        assert!(maybe_status.is_none());
        let maybe_status = me.try_wait().unwrap();
        assert!(maybe_status.is_none());

        me.kill().unwrap();
        me.wait().unwrap();

        let status = me.try_wait().unwrap().unwrap();
        assert!(!status.success());
        let status = me.try_wait().unwrap().unwrap();
        assert!(!status.success());

        let mut me = Command::new(env::current_exe().unwrap())
            .arg("return-quickly")
            .spawn()
            .unwrap();
        loop {
            match me.try_wait() {
                Ok(Some(res)) => {
                    assert!(res.success());
                    break;
                }
                Ok(None) => {
                    thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("error in try_wait: {}", e),
            }
        }

        let status = me.try_wait().unwrap().unwrap();
        assert!(status.success());
    }
}
