//! std's documentation examples for `std::process` and
//! `std::os::unix::process`, ported: each is a function named after the
//! item it documents (`command_get_args` for `Command::get_args`), with
//! `use std::process::...` naming clonexec. What std runs (plain and
//! `should_panic` examples) runs here; what std only compiles (`no_run`)
//! runs here too when it ends by itself with programs CI installs, and is
//! only compiled (`compile_only`) when it would leave a child unwaited,
//! wait for seconds, or needs a file or program that is not there
//! (`file.txt`, `git`). Lines marked "(not in std's example)" reap a child
//! the example leaves behind or check a result it only computes.
//!
//! Left out: the examples of what std has beyond spawning (`ExitCode`,
//! `exit`, `abort`, `id`: the current process), std's unstable
//! `ChildExt::send_signal` (clonexec has `Child::signal`), and the three
//! `ignore (incomplete)` snippets of `Child`'s fields (one line each;
//! `child_fields_move_out` runs them).

use crate::common;

use std::io;

/// Reaps the child `pid` (whose `Child` a partial move took apart, as in
/// std's examples) and returns its status.
fn wait_pid(pid: u32) -> clonexec::ExitStatus {
    let mut status = 0;
    // SAFETY: waitpid writes only the status it is given.
    let got = unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    assert_eq!(got, pid as i32, "{}", io::Error::last_os_error());
    clonexec::ExitStatus::from_raw(status)
}

#[test]
fn module_spawning_a_process() {
    let _guard = common::shared();
    use clonexec::Command;

    let output = Command::new("echo")
        .arg("Hello world")
        .output()
        .expect("Failed to execute command");

    assert_eq!(b"Hello world\n", output.stdout.as_slice());
}

#[test]
fn module_handling_io_pipeline() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    // stdout must be configured with `Stdio::piped` in order to use
    // `echo_child.stdout`
    let echo_child = Command::new("echo")
        .arg("Oh no, a tpyo!")
        .stdout(Stdio::piped())
        .spawn()
        .expect("Failed to start echo process");
    let echo_id = echo_child.id(); // (not in std's example) to reap it below

    // Note that `echo_child` is moved here, but we won't be needing
    // `echo_child` anymore
    let echo_out = echo_child.stdout.expect("Failed to open echo stdout");

    let mut sed_child = Command::new("sed")
        .arg("s/tpyo/typo/")
        .stdin(Stdio::from(echo_out))
        .stdout(Stdio::piped())
        .spawn()
        .expect("Failed to start sed process");

    let output = sed_child.wait_with_output().expect("Failed to wait on sed");
    assert_eq!(b"Oh no, a typo!\n", output.stdout.as_slice());
    assert!(wait_pid(echo_id).success()); // (not in std's example)
}

#[test]
fn module_handling_io_read_write() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};
    use std::io::Write;

    let mut child = Command::new("/bin/cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("failed to execute child");

    // If the child process fills its stdout buffer, it may end up
    // waiting until the parent reads the stdout, and not be able to
    // read stdin in the meantime, causing a deadlock.
    // Writing from another thread ensures that stdout is being read
    // at the same time, avoiding the problem.
    let mut stdin = child.stdin.take().expect("failed to get stdin");
    std::thread::spawn(move || {
        stdin.write_all(b"test").expect("failed to write to stdin");
    });

    let output = child.wait_with_output().expect("failed to wait on child");

    assert_eq!(b"test", output.stdout.as_slice());
}

#[test]
#[should_panic(expected = "assertion failed: ecode.success()")]
fn child() {
    let _guard = common::shared();
    use clonexec::Command;

    let mut child = Command::new("/bin/cat")
        .arg("file.txt")
        .spawn()
        .expect("failed to execute child");

    let ecode = child.wait().expect("failed to wait on child");

    assert!(ecode.success());
}

/// The three `ignore (incomplete)` lines of `Child`'s field docs
/// (`child.stdin.take().expect("handle present")`...), in a whole test:
/// `Child` has no `Drop`, so its fields can be taken or moved out.
#[test]
fn child_fields_move_out() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};
    use std::io::{Read, Write};

    let mut child = Command::new("sh")
        .args(["-c", "cat; echo err >&2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().expect("handle present");
    let mut stdout = child.stdout.take().expect("handle present");
    let mut stderr = child.stderr.take().expect("handle present");
    stdin.write_all(b"in").unwrap();
    drop(stdin);
    let (mut out, mut err) = (String::new(), String::new());
    stdout.read_to_string(&mut out).unwrap();
    stderr.read_to_string(&mut err).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!((out.as_str(), err.as_str()), ("in", "err\n"));

    // A partial move out of a `Child` (std's `hello.stdout.unwrap()`).
    let child = Command::new("echo")
        .arg("moved")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let mut stdout = child.stdout.unwrap();
    let mut text = String::new();
    stdout.read_to_string(&mut text).unwrap();
    assert_eq!(text, "moved\n");
    assert!(wait_pid(id).success());
}

#[test]
fn command() {
    let _guard = common::shared();
    if cfg!(not(all(target_vendor = "apple", not(target_os = "macos")))) {
        use clonexec::Command;

        let output = if cfg!(target_os = "windows") {
            Command::new("cmd")
                .args(["/C", "echo hello"])
                .output()
                .expect("failed to execute process")
        } else {
            Command::new("sh")
                .arg("-c")
                .arg("echo hello")
                .output()
                .expect("failed to execute process")
        };

        let hello = output.stdout;
        assert_eq!(hello, b"hello\n"); // (not in std's example)
    }
}

#[test]
fn command_reuse() {
    let _guard = common::shared();
    use clonexec::Command;

    let mut echo_hello = Command::new("sh");
    echo_hello.arg("-c").arg("echo hello");
    let hello_1 = echo_hello.output().expect("failed to execute process");
    let hello_2 = echo_hello.output().expect("failed to execute process");
    assert_eq!(hello_1, hello_2); // (not in std's example)
}

#[test]
#[should_panic(expected = "assertion failed: output.status.success()")]
fn command_output() {
    let _guard = common::shared();
    (|| -> io::Result<()> {
        use clonexec::Command;
        use std::io::{self, Write};
        let output = Command::new("/bin/cat").arg("file.txt").output()?;

        println!("status: {}", output.status);
        io::stdout().write_all(&output.stdout)?;
        io::stderr().write_all(&output.stderr)?;

        assert!(output.status.success());
        io::Result::Ok(())
    })()
    .unwrap()
}

#[test]
#[should_panic(expected = "assertion failed: status.success()")]
fn command_status() {
    let _guard = common::shared();
    use clonexec::Command;

    let status = Command::new("/bin/cat")
        .arg("file.txt")
        .status()
        .expect("failed to execute process");

    println!("process finished with: {status}");

    assert!(status.success());
}

#[test]
fn command_get_program() {
    let _guard = common::shared();
    use clonexec::Command;

    let cmd = Command::new("echo");
    assert_eq!(cmd.get_program(), "echo");
}

#[test]
fn command_get_args() {
    let _guard = common::shared();
    use clonexec::Command;
    use std::ffi::OsStr;

    let mut cmd = Command::new("echo");
    cmd.arg("first").arg("second");
    let args: Vec<&OsStr> = cmd.get_args().collect();
    assert_eq!(args, &["first", "second"]);
}

#[test]
fn command_get_envs() {
    let _guard = common::shared();
    use clonexec::Command;
    use std::ffi::OsStr;

    let mut cmd = Command::new("ls");
    cmd.env("TERM", "dumb").env_remove("TZ");
    let envs: Vec<(&OsStr, Option<&OsStr>)> = cmd.get_envs().collect();
    assert_eq!(
        envs,
        &[
            (OsStr::new("TERM"), Some(OsStr::new("dumb"))),
            (OsStr::new("TZ"), None)
        ]
    );
}

#[test]
fn command_get_current_dir() {
    let _guard = common::shared();
    use clonexec::Command;
    use std::path::Path;

    let mut cmd = Command::new("ls");
    assert_eq!(cmd.get_current_dir(), None);
    cmd.current_dir("/bin");
    assert_eq!(cmd.get_current_dir(), Some(Path::new("/bin")));
}

#[test]
fn command_get_env_clear() {
    let _guard = common::shared();
    use clonexec::Command;

    let mut cmd = Command::new("ls");
    assert_eq!(cmd.get_env_clear(), false);

    cmd.env_clear();
    assert_eq!(cmd.get_env_clear(), true);
}

#[test]
fn output_exit_ok() {
    let _guard = common::shared();
    use clonexec::Command;
    assert!(Command::new("false").output().unwrap().exit_ok().is_err());
}

#[test]
fn stdio_piped_stdout() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    let output = Command::new("echo")
        .arg("Hello, world!")
        .stdout(Stdio::piped())
        .output()
        .expect("Failed to execute command");

    assert_eq!(String::from_utf8_lossy(&output.stdout), "Hello, world!\n");
    // Nothing echoed to console
}

#[test]
fn stdio_piped_stdin() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};
    use std::io::Write;

    let mut child = Command::new("rev")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Failed to spawn child process");

    let mut stdin = child.stdin.take().expect("Failed to open stdin");
    std::thread::spawn(move || {
        stdin
            .write_all("Hello, world!".as_bytes())
            .expect("Failed to write to stdin");
    });

    let output = child.wait_with_output().expect("Failed to read stdout");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "!dlrow ,olleH");
}

#[test]
fn stdio_inherit_stdout() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    let output = Command::new("echo")
        .arg("Hello, world!")
        .stdout(Stdio::inherit())
        .output()
        .expect("Failed to execute command");

    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    // "Hello, world!" echoed to console
}

#[test]
fn stdio_null_stdout() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    let output = Command::new("echo")
        .arg("Hello, world!")
        .stdout(Stdio::null())
        .output()
        .expect("Failed to execute command");

    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    // Nothing echoed to console
}

#[test]
fn stdio_null_stdin() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    let output = Command::new("rev")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .output()
        .expect("Failed to execute command");

    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    // Ignores any piped-in input
}

#[test]
fn stdio_makes_pipe() {
    let _guard = common::shared();
    use clonexec::Stdio;

    let io = Stdio::piped();
    assert_eq!(io.makes_pipe(), true);
}

#[test]
fn stdio_from_child_stdout() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    let hello = Command::new("echo")
        .arg("Hello, world!")
        .stdout(Stdio::piped())
        .spawn()
        .expect("failed echo command");
    let hello_id = hello.id(); // (not in std's example) to reap it below

    let reverse = Command::new("rev")
        .stdin(hello.stdout.unwrap()) // Converted into a Stdio here
        .output()
        .expect("failed reverse command");

    assert_eq!(reverse.stdout, b"!dlrow ,olleH\n");
    assert!(wait_pid(hello_id).success()); // (not in std's example)
}

#[test]
fn stdio_from_io_stdout() {
    let _guard = common::shared();
    use clonexec::Command;
    use std::io;

    fn test() -> Result<(), Box<dyn std::error::Error>> {
        let output = Command::new("whoami")
            // "whoami" is a command which exists on both Unix and Windows,
            // and which succeeds, producing some stdout output but no stderr.
            .stdout(io::stdout())
            .output()?;
        output.status.exit_ok()?;
        assert!(output.stdout.is_empty());
        Ok(())
    }

    if cfg!(all(
        unix,
        not(target_os = "android"),
        not(all(target_vendor = "apple", not(target_os = "macos")))
    )) {
        test().unwrap();
    }
}

#[test]
fn stdio_from_io_stderr() {
    let _guard = common::shared();
    use clonexec::Command;
    use std::io;

    fn test() -> Result<(), Box<dyn std::error::Error>> {
        let output = Command::new("whoami").stdout(io::stderr()).output()?;
        output.status.exit_ok()?;
        assert!(output.stdout.is_empty());
        Ok(())
    }

    if cfg!(all(
        unix,
        not(target_os = "android"),
        not(all(target_vendor = "apple", not(target_os = "macos")))
    )) {
        test().unwrap();
    }
}

#[test]
fn exit_status_exit_ok() {
    let _guard = common::shared();
    if cfg!(all(
        unix,
        not(all(target_vendor = "apple", not(target_os = "macos")))
    )) {
        use clonexec::Command;

        let status = Command::new("ls")
            .arg("/dev/nonexistent")
            .status()
            .expect("ls could not be executed");

        println!("ls: {status}");
        status
            .exit_ok()
            .expect_err("/dev/nonexistent could be listed!");
    }
}

#[test]
fn exit_status_error() {
    let _guard = common::shared();
    if cfg!(all(
        unix,
        not(target_os = "android"),
        not(all(target_vendor = "apple", not(target_os = "macos")))
    )) {
        use clonexec::{Command, ExitStatusError};

        fn run(cmd: &str) -> Result<(), ExitStatusError> {
            Command::new(cmd).status().unwrap().exit_ok()?;
            Ok(())
        }

        run("true").unwrap();
        run("false").unwrap_err();
    }
}

#[test]
fn exit_status_error_code() {
    let _guard = common::shared();
    use clonexec::Command;

    let bad = Command::new("false")
        .status()
        .unwrap()
        .exit_ok()
        .unwrap_err();
    assert_eq!(bad.code(), Some(1));
}

#[test]
fn exit_status_error_code_nonzero() {
    let _guard = common::shared();
    if cfg!(all(
        unix,
        not(target_os = "android"),
        not(all(target_vendor = "apple", not(target_os = "macos")))
    )) {
        use clonexec::Command;
        use std::num::NonZero;

        let bad = Command::new("false")
            .status()
            .unwrap()
            .exit_ok()
            .unwrap_err();
        assert_eq!(bad.code_nonzero().unwrap(), NonZero::new(1).unwrap());
    }
}

#[test]
fn child_wait() {
    let _guard = common::shared();
    use clonexec::Command;

    let mut command = Command::new("ls");
    if let Ok(mut child) = command.spawn() {
        child.wait().expect("command wasn't running");
        println!("Child has finished its execution!");
    } else {
        println!("ls command didn't start");
    }
}

#[test]
fn child_try_wait() {
    let _guard = common::shared();
    (|| -> io::Result<()> {
        use clonexec::Command;

        let mut child = Command::new("ls").spawn()?;

        match child.try_wait() {
            Ok(Some(status)) => println!("exited with: {status}"),
            Ok(None) => {
                println!("status not ready yet, let's really wait");
                let res = child.wait();
                println!("result: {res:?}");
            }
            Err(e) => println!("error attempting to wait: {e}"),
        }
        std::io::Result::Ok(())
    })()
    .unwrap()
}

#[test]
#[should_panic(expected = "assertion failed: output.status.success()")]
fn child_wait_with_output() {
    let _guard = common::shared();
    use clonexec::{Command, Stdio};

    let child = Command::new("/bin/cat")
        .arg("file.txt")
        .stdout(Stdio::piped())
        .spawn()
        .expect("failed to execute child");

    let output = child.wait_with_output().expect("failed to wait on child");

    assert!(output.status.success());
}

/// std's `no_run` examples that would leave a child unwaited (or wait ten
/// seconds, or need `file.txt`, `foo.txt` or `git`): compiled, as std's
/// doctests compile them, and not run.
#[allow(dead_code, unused_variables, unused_must_use)]
mod compile_only {
    use std::io;

    fn command_new() {
        use clonexec::Command;

        Command::new("sh")
            .spawn()
            .expect("sh command failed to start");
    }

    fn command_new_caveats() {
        use clonexec::Command;

        Command::new("ls")
            .arg("-l") // arg passed separately
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_arg_one_per_call() {
        clonexec::Command::new("sh").arg("-C /path/to/repo");
        clonexec::Command::new("sh").arg("-C").arg("/path/to/repo");
    }

    fn command_arg() {
        use clonexec::Command;

        Command::new("ls")
            .arg("-l")
            .arg("-a")
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_args() {
        use clonexec::Command;

        Command::new("ls")
            .args(["-l", "-a"])
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_env() {
        use clonexec::Command;

        Command::new("ls")
            .env("PATH", "/bin")
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_envs() {
        use clonexec::{Command, Stdio};
        use std::collections::HashMap;
        use std::env;

        let filtered_env: HashMap<String, String> = env::vars()
            .filter(|&(ref k, _)| k == "TERM" || k == "TZ" || k == "LANG" || k == "PATH")
            .collect();

        Command::new("printenv")
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .env_clear()
            .envs(&filtered_env)
            .spawn()
            .expect("printenv failed to start");
    }

    fn command_env_remove() -> io::Result<()> {
        use clonexec::Command;

        Command::new("git")
            .arg("commit")
            .env_remove("GIT_DIR")
            .spawn()?;
        std::io::Result::Ok(())
    }

    fn command_env_clear() -> io::Result<()> {
        use clonexec::Command;

        Command::new("sort").arg("file.txt").env_clear().spawn()?;
        std::io::Result::Ok(())
    }

    fn command_current_dir() {
        use clonexec::Command;

        Command::new("ls")
            .current_dir("/bin")
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_stdin() {
        use clonexec::{Command, Stdio};

        Command::new("ls")
            .stdin(Stdio::null())
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_stdout() {
        use clonexec::{Command, Stdio};

        Command::new("ls")
            .stdout(Stdio::null())
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_stderr() {
        use clonexec::{Command, Stdio};

        Command::new("ls")
            .stderr(Stdio::null())
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_spawn() {
        use clonexec::Command;

        Command::new("ls")
            .spawn()
            .expect("ls command failed to start");
    }

    fn command_reuse_after_builder_calls() {
        use clonexec::Command;

        let mut list_dir = Command::new("ls");

        // Execute `ls` in the current directory of the program.
        list_dir.status().expect("process failed to execute");

        println!();

        // Change `ls` to execute in the root directory.
        list_dir.current_dir("/");

        // And then execute `ls` again but in the root directory.
        list_dir.status().expect("process failed to execute");
    }

    fn stdio_inherit_stdin() -> io::Result<()> {
        use clonexec::{Command, Stdio};
        use std::io::{self, Write};

        let output = Command::new("rev")
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .output()?;

        print!("You piped in the reverse of: ");
        io::stdout().write_all(&output.stdout)?;
        io::Result::Ok(())
    }

    fn stdio_from_child_stdin() {
        use clonexec::{Command, Stdio};

        let reverse = Command::new("rev")
            .stdin(Stdio::piped())
            .spawn()
            .expect("failed reverse command");

        let _echo = Command::new("echo")
            .arg("Hello, world!")
            .stdout(reverse.stdin.unwrap()) // Converted into a Stdio here
            .output()
            .expect("failed echo command");

        // "!dlrow ,olleH" echoed to console
    }

    fn stdio_from_child_stderr() {
        use clonexec::{Command, Stdio};

        let reverse = Command::new("rev")
            .arg("non_existing_file.txt")
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed reverse command");

        let cat = Command::new("cat")
            .arg("-")
            .stdin(reverse.stderr.unwrap()) // Converted into a Stdio here
            .output()
            .expect("failed echo command");

        assert_eq!(
            String::from_utf8_lossy(&cat.stdout),
            "rev: cannot open non_existing_file.txt: No such file or directory\n"
        );
    }

    fn stdio_from_file() -> io::Result<()> {
        use clonexec::Command;
        use std::fs::File;

        // With the `foo.txt` file containing "Hello, world!"
        let file = File::open("foo.txt")?;

        let reverse = Command::new("rev")
            .stdin(file) // Implicit File conversion into a Stdio
            .output()?;

        assert_eq!(reverse.stdout, b"!dlrow ,olleH");
        std::io::Result::Ok(())
    }

    fn exit_status_success() {
        use clonexec::Command;

        let status = Command::new("mkdir")
            .arg("projects")
            .status()
            .expect("failed to execute mkdir");

        if status.success() {
            println!("'projects/' directory created");
        } else {
            println!("failed to create 'projects/' directory: {status}");
        }
    }

    fn exit_status_code() {
        use clonexec::Command;

        let status = Command::new("mkdir")
            .arg("projects")
            .status()
            .expect("failed to execute mkdir");

        match status.code() {
            Some(code) => println!("Exited with status code: {code}"),
            None => println!("Process terminated by signal"),
        }
    }

    fn child_kill() {
        use clonexec::Command;

        let mut command = Command::new("yes");
        if let Ok(mut child) = command.spawn() {
            child.kill().expect("command couldn't be killed");
        } else {
            println!("yes command didn't start");
        }
    }

    fn child_id() {
        use clonexec::Command;

        let mut command = Command::new("ls");
        if let Ok(child) = command.spawn() {
            println!("Child's ID is {}", child.id());
        } else {
            println!("ls command didn't start");
        }
    }

    fn command_ext_process_group() -> Result<(), Box<dyn std::error::Error>> {
        use clonexec::Command;
        use clonexec::CommandExt;

        Command::new("sleep")
            .arg("10")
            .process_group(0)
            .spawn()?
            .wait()?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
}
