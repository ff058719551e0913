//! The process: pid 1, `--info-fd` and `--json-status-fd`, capabilities,
//! sandboxes in sandboxes, user namespaces, `--die-with-parent`, seccomp;
//! as root and as an unprivileged user.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use clonexec::SeccompArch;

use crate::common;
use crate::{Installed, Ran, bwrap, bwrap_with_fds, ran, ran_lib, run, skip, text, work_dir};

/// test-run.sh: "can run as pid 1".
#[test]
fn can_run_as_pid_1() {
    let _guard = common::shared();
    if skip("can_run_as_pid_1") {
        return;
    }
    let out = ran(&mut run(&[
        "--unshare-pid",
        "--as-pid-1",
        "--bind",
        "/",
        "/",
        "sh",
        "-c",
        "echo $$",
    ]))
    .ok();
    assert_eq!(out.stdout, "1\n");
    // Without --as-pid-1, an init is pid 1 and the command pid 2.
    let out = ran(&mut run(&["--unshare-pid", "sh", "-c", "echo $$"])).ok();
    assert_eq!(out.stdout, "2\n");
}

/// Runs `clonexec bwrap` with `--info-fd 42 --json-status-fd 43` (files
/// in `dir`) before `args`; returns the run and the two files' contents.
fn with_status_fds(dir: &Path, args: &[&str]) -> (Ran, String, String) {
    let info = dir.join("info.json");
    let json = dir.join("json-status.json");
    let fds = vec![
        (42, fs::File::create(&info).unwrap().into()),
        (43, fs::File::create(&json).unwrap().into()),
    ];
    let mut all = vec![
        "--bind",
        "/",
        "/",
        "--tmpfs",
        "/tmp",
        "--info-fd",
        "42",
        "--json-status-fd",
        "43",
    ];
    all.extend_from_slice(args);
    let out = ran_lib(&mut bwrap_with_fds(&all, fds));
    (
        out,
        fs::read_to_string(info).unwrap(),
        fs::read_to_string(json).unwrap(),
    )
}

/// test-run.sh: "info and json-status fd", "namespace id info in info and
/// json-status fd".
#[test]
fn info_and_json_status_fd() {
    let _guard = common::shared();
    if skip("info_and_json_status_fd") {
        return;
    }
    let work = work_dir("status-fds");
    let (out, info, json) =
        with_status_fds(work.path(), &["--unshare-all", "--", "sh", "-c", "exit 42"]);
    assert_eq!(out.code, Some(42), "{out:#?}");
    assert!(info.starts_with("{\n    \"child-pid\": "), "{info}");
    assert!(json.starts_with("{ \"child-pid\": "), "{json}");
    assert!(json.ends_with("{ \"exit-code\": 42 }\n"), "{json}");

    let (out, info, json) = with_status_fds(
        work.path(),
        &[
            "--proc",
            "/proc",
            "--unshare-all",
            "--",
            "sh",
            "-c",
            "stat -L -c '%n %i' /proc/self/ns/*",
        ],
    );
    let out = out.ok();
    for ns in ["ipc", "mnt", "net", "pid", "uts"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("/proc/self/ns/{ns} ")))
            .unwrap_or_else(|| panic!("no {ns} in {out:#?}"));
        let id = line.split(' ').nth(1).unwrap();
        let field = format!("\"{ns}-namespace\": {id}");
        assert!(info.contains(&field), "{field} not in {info}");
        assert!(json.contains(&field), "{field} not in {json}");
    }
}

/// test-run.sh: "pre-exec failure doesn't include exit-code in
/// json-status" (upstream makes a `prctl` of bubblewrap's fail with
/// strace's fault injection; here a setup step fails: the working
/// directory is missing), "exec failure doesn't include exit-code in
/// json-status".
#[test]
fn setup_and_exec_failures_have_no_exit_code_in_json_status() {
    let _guard = common::shared();
    if skip("setup_and_exec_failures_have_no_exit_code_in_json_status") {
        return;
    }
    let work = work_dir("status-failures");
    for args in [&["--chdir", "/nonexistent", "true"][..], &["/"]] {
        let (out, _, json) = with_status_fds(work.path(), args);
        assert_eq!(out.code, Some(1), "{args:?}: {out:#?}");
        assert!(!json.contains("\"exit-code\""), "{args:?}: {json}");
    }
}

/// `$BWRAP_RECURSE` of test-run.sh: a sandbox in which another can be
/// made, run from a copy named `bwrap` (so that `/proc/self/exe` is one).
fn recurse(installed: &Installed, inner: &[&str]) -> std::process::Command {
    let mut args = vec![
        "--unshare-user",
        "--uid",
        "0",
        "--gid",
        "0",
        "--cap-add",
        "ALL",
        "--bind",
        "/",
        "/",
        "--bind",
        "/proc",
        "/proc",
    ];
    args.extend_from_slice(inner);
    installed.command(&args)
}

/// libtest.sh's `$BWRAP_RO_HOST_ARGS`: a read-only view of the host.
fn ro_host_args() -> Vec<&'static str> {
    let merged_usr = fs::canonicalize("/lib").ok() == fs::canonicalize("/usr/lib").ok();
    let mut args = vec!["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"];
    if merged_usr {
        args.extend([
            "--dir",
            "/var/tmp",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/sbin",
            "/sbin",
        ]);
    } else {
        args.extend([
            "--ro-bind",
            "/bin",
            "/bin",
            "--ro-bind-try",
            "/lib",
            "/lib",
            "--ro-bind-try",
            "/lib64",
            "/lib64",
            "--ro-bind-try",
            "/sbin",
            "/sbin",
            "--dir",
            "/var/tmp",
        ]);
    }
    args.extend(["--proc", "/proc", "--dev", "/dev"]);
    args
}

/// test-run.sh: "can mount /proc recursively", "can pivot to new rootfs
/// recursively".
#[test]
fn sandboxes_in_sandboxes() {
    let _guard = common::shared();
    if skip("sandboxes_in_sandboxes") {
        return;
    }
    let installed = Installed::new();
    let inner = [
        "--",
        "/proc/self/exe",
        "--unshare-all",
        "--bind",
        "/",
        "/",
        "--bind",
        "/proc",
        "/proc",
        "echo",
        "hello",
    ];
    let out = ran(&mut recurse(&installed, &inner)).ok();
    assert_eq!(out.stdout, "hello\n");
    let mut inner = vec!["--", "/proc/self/exe", "--unshare-all"];
    inner.extend(ro_host_args());
    inner.push("findmnt");
    let out = ran(&mut recurse(&installed, &inner)).ok();
    assert!(out.stdout.lines().any(|l| l.contains("/usr")), "{out:#?}");
}

/// test-run.sh: "can disable nested userns" — every command of it, run
/// directly and in `$BWRAP_RECURSE`, as root and as nobody. Upstream
/// writes its expected failures as `! $BWRAP ...`, which neither `set -e`
/// nor a failing test ever sees; the outcomes here are what they mean,
/// and what bubblewrap itself gives (0.8.0, on the machine these tests
/// were written on): a bwrap inside a `--disable-userns` sandbox cannot
/// make its own sandbox when it needs a user namespace (as nobody), and
/// can when it does not (as root).
#[test]
fn can_disable_nested_userns() {
    let _guard = common::shared();
    if skip("can_disable_nested_userns") {
        return;
    }
    let installed = Installed::new();
    let bw = text(&installed.path).to_owned();
    let nested_max = |n: u32| {
        format!(
            "echo {n} > /proc/sys/user/max_user_namespaces || true; ! {bw} --unshare-user --dev-bind / / -- true"
        )
    };
    let assert_inside =
        format!("! {bw} --unshare-user --dev-bind / / --assert-userns-disabled -- true");
    let (max2, max100) = (nested_max(2), nested_max(100));
    let disabled = [
        "--unshare-user",
        "--disable-userns",
        "--dev-bind",
        "/",
        "/",
        "--",
    ];
    // (arguments after `disabled` if `nested`, else alone; the inner
    // bwrap; whether it succeeds: as root, as nobody, in $BWRAP_RECURSE)
    let cases: [(&[&str], bool, [bool; 3]); 7] = [
        (
            &["--dev-bind", "/", "/", "--", "true"],
            false,
            [true, true, true],
        ),
        (
            &[
                "--assert-userns-disabled",
                "--dev-bind",
                "/",
                "/",
                "--",
                "true",
            ],
            false,
            [false, false, false],
        ),
        (&["true"], true, [true, true, true]),
        (
            &["BWRAP", "--dev-bind", "/", "/", "--", "true"],
            true,
            [true, false, true],
        ),
        (&["sh", "-c", &max2], true, [true, true, true]),
        (&["sh", "-c", &max100], true, [true, true, true]),
        (&["sh", "-c", &assert_inside], true, [true, true, true]),
    ];
    for (args, nested, expected) in cases {
        for (how, succeeds) in ["root", "nobody", "recursive"].into_iter().zip(expected) {
            // The inner bwrap: its path, or /proc/self/exe in the sandbox
            // of $BWRAP_RECURSE (where the path may not be).
            let inner = if how == "recursive" {
                "/proc/self/exe"
            } else {
                bw.as_str()
            };
            let args: Vec<&str> = args
                .iter()
                .map(|&a| if a == "BWRAP" { inner } else { a })
                .collect();
            let args = if nested {
                [&disabled[..], &args].concat()
            } else {
                args
            };
            let out = match how {
                "root" => ran(&mut installed.command(&args)),
                "nobody" => ran(&mut as_nobody(&installed, &args)),
                _ => ran(&mut recurse(&installed, &args)),
            };
            assert_eq!(out.code == Some(0), succeeds, "{args:?} ({how}): {out:#?}");
        }
    }
}

/// test-run.sh: "we have the expected caps as uid 0".
#[test]
fn we_have_the_expected_caps_as_uid_0() {
    let _guard = common::shared();
    if skip("we_have_the_expected_caps_as_uid_0") {
        return;
    }
    let host = std::process::Command::new("capsh")
        .arg("--print")
        .output()
        .unwrap();
    let expected =
        String::from_utf8_lossy(&host.stdout).replace("no-new-privs=0", "no-new-privs=1");
    for opt in [&[][..], &["--as-pid-1"]] {
        let out = ran(&mut run(
            &[opt, &["--unshare-pid", "capsh", "--print"]].concat()
        ))
        .ok();
        assert_eq!(out.stdout, expected, "{opt:?}");
    }
    let current = |args: &[&str]| {
        let out = ran(&mut run(
            &[args, &["--unshare-pid", "capsh", "--print"]].concat()
        ))
        .ok();
        out.stdout
            .lines()
            .find(|l| l.starts_with("Current:"))
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(current(&["--cap-drop", "ALL"]), "Current: =");
    let some = current(&["--cap-drop", "CAP_KILL", "--cap-drop", "CAP_FOWNER"]);
    // capsh 2.29 and later print drops as "cap_kill,...-eip" after "=eip".
    if some.starts_with("Current: =eip") {
        let dropped = some.split(' ').next_back().unwrap_or_default();
        assert!(
            dropped.contains("cap_kill")
                && dropped.contains("cap_fowner")
                && dropped.ends_with("-eip"),
            "{some}"
        );
        assert!(!dropped.contains("cap_net_bind_service"), "{some}");
    } else {
        assert!(
            !some.contains("cap_kill") && !some.contains("cap_fowner"),
            "{some}"
        );
        assert!(some.contains("cap_net_bind_service"), "{some}");
    }
}

/// A command from `installed` run as nobody (uid and gid 65534).
fn as_nobody(installed: &Installed, args: &[&str]) -> std::process::Command {
    let mut cmd = installed.command(args);
    cmd.uid(65534).gid(65534).current_dir("/");
    cmd
}

/// test-run.sh: "we have no caps as uid != 0" (upstream's non-root run).
#[test]
fn we_have_no_caps_as_uid_not_0() {
    let _guard = common::shared();
    if skip("we_have_no_caps_as_uid_not_0") {
        return;
    }
    let installed = Installed::new();
    for opt in [
        &[][..],
        &["--unshare-user-try", "--as-pid-1"],
        &["--unshare-user-try"],
        &["--as-pid-1"],
    ] {
        let args = [
            &["--bind", "/", "/", "--tmpfs", "/tmp"][..],
            opt,
            &["--unshare-pid", "getpcaps", "1"],
        ]
        .concat();
        let out = ran(&mut as_nobody(&installed, &args)).ok();
        let caps = format!("{}{}", out.stdout, out.stderr);
        assert!(caps.trim_end().ends_with('='), "{opt:?}: {caps}");
    }
}

/// test-run.sh: "cannot read /etc/shadow with $ALT", "cannot read
/// $UNREADABLE with $ALT" (upstream checks them when not run as root):
/// as nobody, a bind does not read what the user cannot.
#[test]
fn cannot_read_what_the_user_cannot() {
    let _guard = common::shared();
    if skip("cannot_read_what_the_user_cannot") {
        return;
    }
    let installed = Installed::new();
    // A readable file in a directory the user cannot enter.
    let work = work_dir("unreadable");
    let secret = work.path().join("secret");
    fs::write(&secret, "secret\n").unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        work.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let unreadable = text(&secret);
    assert!(
        !std::process::Command::new("cat")
            .arg("/etc/shadow")
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
            .status
            .success(),
        "nobody can read /etc/shadow"
    );
    for alt in [
        &[][..],
        &["--unshare-user-try"],
        &["--unshare-pid"],
        &["--unshare-user-try", "--unshare-pid"],
    ] {
        let run_cat = |source: &str, path: &str| {
            let args = [
                &["--bind", "/", "/", "--tmpfs", "/tmp"][..],
                alt,
                &[
                    "--unshare-net",
                    "--proc",
                    "/proc",
                    "--bind",
                    source,
                    "/tmp/foo",
                    "cat",
                    path,
                ],
            ]
            .concat();
            ran(&mut as_nobody(&installed, &args))
        };
        let out = run_cat("/etc/shadow", "/tmp/foo").failed();
        assert!(!out.stdout.contains("root:"), "{alt:?}");
        run_cat("/etc/shadow", "/etc/shadow").failed();
        run_cat(unreadable, "/tmp/foo").failed();
    }
}

/// Whether another process holds a lock on the file at `path`: tries to
/// take a write lock (and gives it back).
fn locked_by_someone(path: &Path) -> bool {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    // SAFETY: `flock` is plain data; the fd is open for the call.
    unsafe {
        let mut lock: libc::flock = std::mem::zeroed();
        lock.l_type = libc::F_WRLCK as i16;
        lock.l_whence = libc::SEEK_SET as i16;
        if libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_SETLK, &lock) == 0 {
            lock.l_type = libc::F_UNLCK as i16;
            libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_SETLK, &lock);
            return false;
        }
    }
    true
}

/// Kills a process group when dropped.
struct Group(i32);

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: kill takes no pointer.
        unsafe { libc::kill(-self.0, libc::SIGKILL) };
    }
}

/// Waits up to a minute (a hang, not a speed check) for `done`.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// test-run.sh: "die with parent --die-with-parent", "die with parent
/// --die-with-parent --unshare-pid": bwrap in a shell loop holds a lock
/// (`--lock-file`) through its command; killing the shell with SIGKILL
/// must kill bwrap and its command, which frees the lock.
#[test]
fn die_with_parent() {
    let _guard = common::shared();
    if skip("die_with_parent") {
        return;
    }
    let work = work_dir("die-with-parent");
    let lock = work.path().join("lock");
    fs::write(&lock, "").unwrap();
    for extra in ["", " --unshare-pid"] {
        let script = format!(
            "while true; do \"$0\" bwrap --bind / / --tmpfs /tmp --die-with-parent{extra} --lock-file {} sleep 1h; done",
            text(&lock)
        );
        let shell = std::process::Command::new("sh")
            .args(["-c", &script, crate::BIN])
            .env("PATH", crate::PATH)
            .stdin(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let _group = Group(shell.id() as i32);
        wait_for("the lock being taken", || locked_by_someone(&lock));
        // SAFETY: kill takes no pointer.
        unsafe { libc::kill(shell.id() as i32, libc::SIGKILL) };
        let mut shell = shell;
        let _ = shell.wait();
        wait_for("the lock being freed", || !locked_by_someone(&lock));
    }
}

/// Not upstream's: ids and hostname in the sandbox, with a /dev whose
/// devpts needs uid 0 mapped (then the ids are mapped in a nested user
/// namespace, as bubblewrap does), as root and as nobody.
#[test]
fn uid_gid_hostname_and_dev_in_a_user_namespace() {
    let _guard = common::shared();
    if skip("uid_gid_hostname_and_dev_in_a_user_namespace") {
        return;
    }
    let installed = Installed::new();
    let args = [
        "--bind",
        "/",
        "/",
        "--unshare-user",
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--unshare-uts",
        "--hostname",
        "box",
        "--dev",
        "/dev",
        "--",
        "sh",
        "-c",
        "id -u; id -g; hostname; stat -f -c %T /dev/pts",
    ];
    let out = ran(&mut installed.command(&args)).ok();
    assert_eq!(out.stdout, "1000\n1000\nbox\ndevpts\n");
    let out = ran(&mut as_nobody(&installed, &args)).ok();
    assert_eq!(out.stdout, "1000\n1000\nbox\ndevpts\n");
    // Unprivileged, the user's own ids by default.
    let args = [
        "--bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--",
        "sh",
        "-c",
        "id -u; ls /dev/pts",
    ];
    let out = ran(&mut as_nobody(&installed, &args)).ok();
    assert_eq!(out.stdout, "65534\nptmx\n");
}

/// Not upstream's: `--seccomp FD` installs the filter read from the fd
/// last, so the setup is not filtered but the command is.
#[test]
fn seccomp_filter_from_an_fd() {
    let _guard = common::shared();
    if skip("seccomp_filter_from_an_fd") {
        return;
    }
    // mkdir and mkdirat fail with EPERM, everything else is allowed.
    let ins = |code: u32, jt: u8, jf: u8, k: u32| {
        let mut bytes = (code as u16).to_ne_bytes().to_vec();
        bytes.extend([jt, jf]);
        bytes.extend(k.to_ne_bytes());
        bytes
    };
    let jeq = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    let ret = libc::BPF_RET | libc::BPF_K;
    let [mkdirat, mkdir] = mkdir_calls_of("/bin/sh");
    let program = [
        ins(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
        ins(jeq, 2, 0, mkdirat),
        ins(jeq, 1, 0, mkdir),
        ins(ret, 0, 0, 0x7fff_0000),
        ins(ret, 0, 0, 0x0005_0000 | libc::EPERM as u32),
    ]
    .concat();
    let work = work_dir("seccomp");
    let filter = work.path().join("filter");
    fs::write(&filter, program).unwrap();
    let fds = vec![(9, fs::File::open(&filter).unwrap().into())];
    let args = [
        "--bind",
        "/",
        "/",
        "--tmpfs",
        "/tmp",
        "--dir",
        "/tmp/made",
        "--seccomp",
        "9",
        "sh",
        "-c",
        "test -d /tmp/made && mkdir /tmp/x",
    ];
    let out = ran_lib(&mut bwrap_with_fds(&args, fds)).failed();
    assert!(out.stderr.contains("Operation not permitted"), "{out:#?}");
}

/// The numbers of `mkdirat` and `mkdir` (or `mkdirat` twice where there
/// is no `mkdir`) for the architecture of `program`, from its ELF header:
/// the filter sees the calls of the programs it runs, which are the host's
/// even when this test is built for another architecture (i686 on x86_64).
fn mkdir_calls_of(program: &str) -> [u32; 2] {
    let header = fs::read(program).unwrap();
    let arch = match u16::from_le_bytes([header[18], header[19]]) {
        62 => SeccompArch::X86_64, // EM_X86_64
        3 => SeccompArch::X86,     // EM_386
        183 => SeccompArch::Aarch64,
        243 => SeccompArch::Riscv64,
        other => panic!("{program}: no syscall numbers for ELF machine {other}"),
    };
    let mkdirat = arch.syscall_number("mkdirat").unwrap();
    [mkdirat, arch.syscall_number("mkdir").unwrap_or(mkdirat)]
}

/// Not upstream's: with nothing to supervise, clonexec becomes the command
/// (as util-linux unshare does); a new PID namespace keeps it as parent.
#[test]
fn becomes_the_command_unless_it_must_supervise() {
    let _guard = common::shared();
    if skip("becomes_the_command_unless_it_must_supervise") {
        return;
    }
    let pid_of = |args: &[&str]| {
        let child = bwrap(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        (pid, String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let (pid, seen) = pid_of(&["--bind", "/", "/", "sh", "-c", "echo $$"]);
    assert_eq!(seen, pid.to_string());
    let (pid, seen) = pid_of(&[
        "--bind",
        "/",
        "/",
        "--unshare-pid",
        "--proc",
        "/proc",
        "sh",
        "-c",
        "cat /proc/1/comm; echo $PPID",
    ]);
    assert_ne!(seen, pid.to_string());
    assert_eq!(seen, "clonexec-init\n1");
}
