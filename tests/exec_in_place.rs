//! `Command::exec()` that succeeds: the calling process becomes the
//! program. Its own binary without libtest's harness, because libtest runs
//! every test on a thread of its own, and the kernel gives a new user
//! namespace only to a single-threaded process. Run with no arguments it
//! re-runs itself once per case (`CLONEXEC_EXEC_CASE=name`), and each copy
//! execs what the case asks for; it prints libtest's summary line.

#[path = "common/mod.rs"]
mod common;

use clonexec::{Command, IdMap, Landlock, Namespaces, Stdio};

const CASE_ENV: &str = "CLONEXEC_EXEC_CASE";

/// Every case: its name, whether it needs root, what the copy execs, and
/// the check of what the program printed (its pid given).
struct Case {
    name: &'static str,
    needs_root: bool,
    exec: fn() -> clonexec::Error,
    check: fn(pid: u32, out: &str) -> Result<(), String>,
}

fn expect(out: &str, expected: &[String]) -> Result<(), String> {
    let lines: Vec<String> = out.lines().map(str::to_string).collect();
    if lines == expected {
        Ok(())
    } else {
        Err(format!(
            "expected {expected:?}, the program printed {lines:?}"
        ))
    }
}

fn strings(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

const CASES: &[Case] = &[
    Case {
        name: "exec_replaces_the_calling_process",
        needs_root: false,
        exec: || {
            Command::new("sh")
                .args(["-c", "echo $$ $0"])
                .arg0("renamed")
                .exec()
        },
        // The shell has the copy's pid: it replaced the copy.
        check: |pid, out| expect(out, &[format!("{pid} renamed")]),
    },
    Case {
        name: "exec_enters_new_namespaces_with_id_maps",
        needs_root: false,
        exec: || {
            let uid = rustix::process::getuid().as_raw();
            let gid = rustix::process::getgid().as_raw();
            Command::new("sh")
                .args([
                    "-c",
                    "id -u; id -g; hostname; grep -c : /proc/net/dev; \
                     mount -t tmpfs none /mnt && echo mounted",
                ])
                .namespaces(
                    Namespaces::USER | Namespaces::NET | Namespaces::UTS | Namespaces::MOUNT,
                )
                .uid_map([IdMap::new(0, uid, 1)])
                .gid_map([IdMap::new(0, gid, 1)])
                .hostname("exec-box")
                .exec()
        },
        // Root inside, its own hostname, only lo, mounts allowed.
        check: |_, out| expect(out, &strings(&["0", "0", "exec-box", "1", "mounted"])),
    },
    Case {
        name: "exec_writes_maps_a_process_cannot_write_for_itself",
        needs_root: true,
        exec: || {
            Command::new("sh")
                .args(["-c", "cat /proc/self/uid_map /proc/self/gid_map"])
                .namespaces(Namespaces::USER)
                .uid_map([IdMap::new(0, 0, 1), IdMap::new(1000, 100_000, 10)])
                .gid_map([IdMap::new(0, 0, 1), IdMap::new(1000, 100_000, 10)])
                .exec()
        },
        check: |_, out| {
            let maps: Vec<String> = out
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            expect(
                &maps.join("\n"),
                &strings(&["0 0 1", "1000 100000 10", "0 0 1", "1000 100000 10"]),
            )
        },
    },
    Case {
        name: "exec_places_fds_and_closes_the_rest",
        needs_root: false,
        exec: || {
            let (read, write) = std::io::pipe().unwrap();
            drop(read);
            Command::new("sh")
                .args([
                    "-c",
                    "ls /proc/self/fd | tr '\\n' ' '; echo; readlink /proc/self/fd/7",
                ])
                .fd(7, write)
                .close_other_fds(true)
                .exec()
        },
        // `ls` has its directory open as fd 3.
        check: |_, out| {
            let lines: Vec<&str> = out.lines().collect();
            match lines.as_slice() {
                [fds, link] if fds.trim_end() == "0 1 2 3 7" && link.starts_with("pipe:[") => {
                    Ok(())
                }
                _ => Err(format!("the program printed {lines:?}")),
            }
        },
    },
    Case {
        name: "a_failed_exec_leaves_the_callers_fds_open",
        needs_root: false,
        // exec() of a missing program with close_other_fds: the copy's own
        // fds must still work afterwards (they were only marked
        // close-on-exec), so the copy can go on and report.
        exec: || {
            use std::io::{Read, Seek};
            let mut file = std::fs::File::open("/proc/self/cmdline").unwrap();
            let err = Command::new("/nonexistent/clonexec-exec")
                .close_other_fds(true)
                .exec();
            assert_eq!(err.step(), Some(clonexec::Step::Exec), "{err}");
            let mut text = Vec::new();
            file.rewind().unwrap();
            file.read_to_end(&mut text).unwrap();
            assert!(!text.is_empty());
            println!("fds intact after {}", err.step().map_or("?", |_| "Exec"));
            std::process::exit(0)
        },
        check: |_, out| expect(out, &strings(&["fds intact after Exec"])),
    },
    Case {
        name: "a_failure_before_the_fd_step_closes_the_plans_fds",
        needs_root: false,
        // A step numbered above the fd step that runs before it (Landlock)
        // fails: nothing was moved onto a target yet, so the fds the plan
        // owned (its /dev/null, its Landlock ruleset) must be closed, not
        // left open in the caller that goes on.
        exec: || {
            if !stack_full_landlock_domain() {
                println!("no landlock");
                std::process::exit(0)
            }
            let before = open_fds();
            let err = Command::new("/bin/true")
                .stdin(Stdio::null())
                .landlock(Landlock::new().read_only(["/"]))
                .exec();
            assert_eq!(err.step(), Some(clonexec::Step::Landlock), "{err}");
            assert_eq!(err.raw_os_error(), Some(libc::E2BIG), "{err}");
            let after = open_fds();
            println!("fds before {before:?} after {after:?}");
            std::process::exit(0)
        },
        check: |_, out| {
            let Some(line) = out.lines().next() else {
                return Err("the copy printed nothing".into());
            };
            if line == "no landlock" {
                common::skip(
                    "a_failure_before_the_fd_step_closes_the_plans_fds",
                    "the kernel has no Landlock",
                );
                return Ok(());
            }
            let (before, after) = line
                .strip_prefix("fds before ")
                .and_then(|l| l.split_once(" after "))
                .ok_or_else(|| format!("the copy printed {line:?}"))?;
            if before == after {
                Ok(())
            } else {
                Err(format!("the failed exec() left fds open: {line}"))
            }
        },
    },
    Case {
        name: "a_failed_exec_keeps_the_callers_signal_handlers",
        needs_root: false,
        // reset_ignored_signals(true) resets ignored signals, but the
        // caller's own handlers must survive a failed exec (execve is what
        // resets them when it succeeds).
        exec: || {
            extern "C" fn on_usr1(_: libc::c_int) {}
            let handler = on_usr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: an empty extern "C" handler is async-signal-safe.
            unsafe { libc::signal(libc::SIGUSR1, handler) };
            let err = Command::new("/nonexistent/clonexec-exec")
                .reset_ignored_signals(true)
                .exec();
            assert_eq!(err.step(), Some(clonexec::Step::Exec), "{err}");
            // SAFETY: sigaction is plain data; all zeros is a valid value.
            let mut now: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: a null new action only reads the disposition into `now`.
            unsafe { libc::sigaction(libc::SIGUSR1, std::ptr::null(), &mut now) };
            println!("handler kept: {}", now.sa_sigaction == handler);
            std::process::exit(0)
        },
        check: |_, out| expect(out, &strings(&["handler kept: true"])),
    },
    Case {
        name: "exec_changes_credentials",
        needs_root: true,
        exec: || {
            Command::new("sh")
                .args(["-c", "id -u; id -g; id -G"])
                .uid(65534)
                .gid(65534)
                .exec()
        },
        check: |_, out| expect(out, &strings(&["65534", "65534", "65534"])),
    },
];

/// The fds this process has open.
fn open_fds() -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    fds
}

/// Stacks the kernel's most Landlock layers (16) on this process, so that
/// one more fails with `E2BIG`; `false` without Landlock. Each layer
/// handles only "make a socket file", which nothing here does.
fn stack_full_landlock_domain() -> bool {
    #[repr(C)]
    struct RulesetAttr {
        handled_access_fs: u64,
    }
    const MAKE_SOCK: u64 = 1 << 9;
    let attr = RulesetAttr {
        handled_access_fs: MAKE_SOCK,
    };
    // SAFETY: the attribute is a live, correctly sized struct.
    let ruleset = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RulesetAttr,
            std::mem::size_of::<RulesetAttr>(),
            0,
        )
    };
    if ruleset < 0 {
        return false;
    }
    // SAFETY: PR_SET_NO_NEW_PRIVS takes no pointer.
    assert_eq!(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        0
    );
    for layer in 0..16 {
        // SAFETY: the ruleset fd is ours; no pointer is passed.
        let ret = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0) };
        assert_eq!(ret, 0, "layer {layer}: {}", std::io::Error::last_os_error());
    }
    // SAFETY: the fd is ours and not used again.
    unsafe { libc::close(ruleset as i32) };
    true
}

fn main() {
    if let Ok(name) = std::env::var(CASE_ENV) {
        let case = CASES.iter().find(|c| c.name == name).expect("known case");
        let err = (case.exec)();
        eprintln!("exec failed: {err}");
        std::process::exit(101);
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for case in CASES {
        if !filter.is_empty() && !filter.iter().any(|f| case.name.contains(f.as_str())) {
            continue;
        }
        match run(case) {
            Ok(()) => {
                println!("test {} ... ok", case.name);
                passed += 1;
            }
            Err(why) => {
                println!("test {} ... FAILED\n{why}", case.name);
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

/// Runs one case in a copy of this binary; `Err` says why it failed.
fn run(case: &Case) -> Result<(), String> {
    if common::under_qemu() {
        common::skip(
            case.name,
            "re-runs this test binary, which qemu-user cannot run from a child (ENOEXEC)",
        );
        return Ok(());
    }
    if case.needs_root && !common::is_root() {
        common::skip(case.name, "needs root (euid 0)");
        return Ok(());
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .env(CASE_ENV, case.name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id();
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{}: {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    (case.check)(pid, &stdout)
}
