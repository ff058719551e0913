//! `Command::from_fd`: running the file an fd is open on
//! (`execveat(AT_EMPTY_PATH)`), with what the child sees checked in
//! `/proc/self`.

use crate::common;

use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};

use clonexec::{Command, Step};
use common::stdout_of;

/// The real path of a program.
fn real(program: &str) -> String {
    std::fs::canonicalize(program)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn runs_the_file_the_fd_is_open_on() {
    let _guard = common::shared();
    let file = File::open("/bin/sh").unwrap();
    let out = stdout_of(Command::from_fd(file).args(["-c", "echo from fd"]));
    assert_eq!(out, "from fd\n");
}

/// argv[0] defaults to the path the fd was opened with; `arg0` overrides
/// it. (`cat /proc/self/cmdline` prints cat's own argv.)
#[test]
fn argv0_is_the_fds_path_unless_set() {
    let _guard = common::shared();
    let file = File::open("/bin/cat").unwrap();
    // What /proc/self/fd/N shows: the default argv[0].
    let cat = common::fd_link(file.as_raw_fd()).unwrap();
    let out = stdout_of(Command::from_fd(file).arg("/proc/self/cmdline"));
    assert_eq!(out, format!("{cat}\0/proc/self/cmdline\0"));
    let out = stdout_of(
        Command::from_fd(File::open(&cat).unwrap())
            .arg0("my-cat")
            .arg("/proc/self/cmdline"),
    );
    assert_eq!(out, "my-cat\0/proc/self/cmdline\0");
}

/// The file run is the one opened, not whatever its path names later.
#[test]
fn the_opened_file_runs_even_after_its_path_is_gone() {
    let _guard = common::shared();
    let dir = common::TempDir::new("exec-fd");
    let copy = dir.path().join("true-copy");
    // Not fs::copy: our write fd on the copy, inherited by the children
    // other tests spawn meanwhile, would make its exec fail with ETXTBSY.
    common::copy_executable(real("/bin/true").as_ref(), &copy);
    let file = File::open(&copy).unwrap();
    std::fs::remove_file(&copy).unwrap();
    let status = Command::from_fd(file).status().unwrap();
    assert!(status.success(), "{status}");
}

/// The fd survives the fd shuffle and close_other_fds until the exec, even
/// when mappings target its number, and does not reach the program (it
/// was close-on-exec).
#[test]
fn program_fd_survives_mappings_and_close_other_fds() {
    let _guard = common::exclusive();
    let sh = File::open("/bin/sh").unwrap();
    let pipes: Vec<(File, File)> = (0..4).map(|_| common::pipe()).collect();
    // prepare() copies, to the lowest free numbers in turn: /dev/null for
    // stdin (output()), the 4 mapped pipes, then the program's fd, so that
    // one lands on the 6th. Map the pipes to the 3rd to 6th: a target takes
    // the program fd's number (and the mappings overlap their sources).
    let free = common::lowest_free_fds(6);
    let targets = &free[2..];
    let mut cmd = Command::from_fd(sh);
    let mut keep = Vec::new();
    for (&t, (r, w)) in targets.iter().zip(pipes) {
        keep.push(r);
        cmd.fd(t, OwnedFd::from(w));
    }
    cmd.args(["-c", "ls -1 /proc/$$/fd; true"])
        .close_other_fds(true);
    let out = stdout_of(&mut cmd);
    let mut seen: Vec<i32> = out.lines().map(|l| l.parse().unwrap()).collect();
    seen.sort_unstable();
    let mut expected = vec![0, 1, 2];
    expected.extend(targets);
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(seen, expected, "targets {targets:?}");
}

#[test]
fn a_file_that_cannot_run_fails_at_the_exec_step() {
    let _guard = common::shared();
    let err = Command::from_fd(File::open("/etc/passwd").unwrap())
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EACCES), "{err}");
    assert!(
        err.to_string().contains("execveat(\"/etc/passwd\""),
        "{err}"
    );
}

/// A directory fd is refused by the kernel, not by prepare().
#[test]
fn a_directory_fd_fails_at_the_exec_step() {
    let _guard = common::shared();
    let dir = File::open("/").unwrap();
    let raw = dir.as_raw_fd();
    let err = Command::from_fd(dir).spawn().unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec), "{err} (fd {raw})");
    assert_eq!(err.raw_os_error(), Some(libc::EACCES), "{err}");
}

/// Where execveat is missing (ENOSYS: qemu-user, kernels before 3.19), the
/// child execs `/proc/self/fd/N` instead, as glibc's fexecve does. A
/// seccomp filter answering ENOSYS for execveat makes the kernel here
/// behave like those.
#[cfg(target_arch = "x86_64")]
#[test]
fn without_execveat_the_fd_runs_through_its_proc_link() {
    let _guard = common::shared();
    use clonexec::SockFilter;
    const NR_EXECVEAT: u32 = 322;
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    let ins = |code: u16, jt: u8, jf: u8, k: u32| SockFilter { code, jt, jf, k };
    let enosys_for_execveat = vec![
        ins(0x20, 0, 0, 4), // load seccomp_data.arch
        ins(0x15, 1, 0, AUDIT_ARCH_X86_64),
        ins(0x06, 0, 0, 0x7fff_0000), // another ABI: allow
        ins(0x20, 0, 0, 0),           // load seccomp_data.nr
        ins(0x15, 0, 1, NR_EXECVEAT),
        ins(0x06, 0, 0, 0x0005_0000 | libc::ENOSYS as u32), // ERRNO(ENOSYS)
        ins(0x06, 0, 0, 0x7fff_0000),                       // allow
    ];
    let file = File::open("/bin/cat").unwrap();
    // What /proc/self/fd/N shows: the default argv[0].
    let cat = common::fd_link(file.as_raw_fd()).unwrap();
    let out = stdout_of(
        Command::from_fd(file)
            .arg("/proc/self/cmdline")
            .no_new_privs(true)
            .seccomp_filter(enosys_for_execveat.clone()),
    );
    // argv is the one asked for, whatever path ran.
    assert_eq!(out, format!("{cat}\0/proc/self/cmdline\0"));
    // The control: the same filter on a directory fd still fails at exec,
    // so the fallback did run (execve of /proc/self/fd/N of a directory).
    let err = Command::from_fd(File::open("/").unwrap())
        .no_new_privs(true)
        .seccomp_filter(enosys_for_execveat)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EACCES), "{err}");
}

/// A script needs its fd to survive the exec (the interpreter opens
/// `/dev/fd/N` again): an fd without close-on-exec runs it, and stays open
/// in the program; a close-on-exec one fails with `ENOENT`, as `fexecve`
/// does.
#[test]
fn a_script_runs_from_an_fd_without_close_on_exec() {
    let _guard = common::shared();
    let dir = common::TempDir::new("exec-fd-script");
    let script = common::install(dir.path(), "script", b"#!/bin/sh\necho \"script $0\"\n");

    let file = File::open(&script).unwrap();
    rustix::io::fcntl_setfd(&file, rustix::io::FdFlags::empty()).unwrap();
    let out = stdout_of(&mut Command::from_fd(file));
    // $0: the fd of the plan's copy, still open when the script runs
    // (its /proc link where there is no execveat: qemu-user).
    assert!(
        out.starts_with("script /dev/fd/") || out.starts_with("script /proc/self/fd/"),
        "{out:?}"
    );

    // Through the /proc link (no execveat), the kernel itself opens the
    // script by path and only the interpreter fails: no ENOENT to see.
    if common::under_qemu() {
        return;
    }
    let err = Command::from_fd(File::open(&script).unwrap())
        .status()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec), "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
}
