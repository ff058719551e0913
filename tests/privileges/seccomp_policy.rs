//! Seccomp policies by system call name (`Command::seccomp`), on the real
//! kernel: the errno a deny list chooses, an allow list that runs one
//! program and kills another, the calls made through another ABI, and the
//! names `prepare()` refuses.
//!
//! x86_64 only, as the raw-filter tests: a policy compiled for the target
//! kills every call of a program of another architecture (the i686 build
//! runs the host's x86_64 programs), and qemu-user cannot run filters.

use crate::common;

use clonexec::{Command, SeccompAction, SeccompPolicy, SockFilter};

#[cfg(target_arch = "x86_64")]
mod on_the_kernel {
    use super::*;
    use clonexec::Resource;
    use common::{TempDir, install, static_prog};

    const SIGSYS: i32 = 31;
    const EACCES: i32 = 13;
    const EROFS: i32 = 30;

    /// Runs `mkdir DIR` under a policy that answers `errno` for mkdir: it
    /// fails with that error and makes nothing; everything else it does runs.
    fn mkdir_denied_with(errno: i32, message: &str) {
        let dir = TempDir::new("seccomp-policy");
        let target = dir.path().join("made");
        let out = Command::new("mkdir")
            .arg(&target)
            .no_new_privs(true)
            .seccomp(
                SeccompPolicy::new(SeccompAction::Allow)
                    .deny(["mkdir", "mkdirat"], SeccompAction::Errno(errno)),
            )
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(message), "errno {errno}: {stderr}");
        assert!(!target.exists());
    }

    #[test]
    fn mkdir_fails_with_the_errno_a_deny_policy_chooses() {
        let _guard = common::shared();
        mkdir_denied_with(EACCES, "Permission denied");
        mkdir_denied_with(EROFS, "Read-only file system");
        // And without the policy it works.
        let dir = TempDir::new("seccomp-policy");
        common::stdout_of(Command::new("mkdir").arg(dir.path().join("made")));
        assert!(dir.path().join("made").is_dir());
    }

    #[test]
    fn an_allow_list_that_runs_true_kills_a_program_that_calls_anything_else() {
        let _guard = common::shared();
        let policy = SeccompPolicy::new(SeccompAction::KillProcess).allow(common::TRUE_SYSCALLS);
        let run = |program: &str| {
            Command::new(program)
                .no_new_privs(true)
                // No core file from the kill.
                .rlimit(Resource::CORE, 0, 0)
                .seccomp(policy.clone())
                .output()
                .unwrap()
        };
        let out = run("true");
        assert!(
            out.status.success(),
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // uname calls uname(2) (and writes): killed by the first of them.
        let out = run("uname");
        assert_eq!(out.status.signal(), Some(SIGSYS), "{}", out.status);
        assert!(out.stdout.is_empty());
        // A policy is one filter: the child has one more than we have.
        let status = common::stdout_of(
            Command::new("cat")
                .arg("/proc/self/status")
                .no_new_privs(true)
                .seccomp(
                    SeccompPolicy::new(SeccompAction::Allow)
                        .deny(["ptrace"], SeccompAction::Errno(1)),
                ),
        );
        assert_eq!(common::status_dec(&status, "Seccomp"), 2);
        assert_eq!(
            common::status_dec(&status, "Seccomp_filters"),
            common::status_dec(&common::own_status(), "Seccomp_filters") + 1
        );
    }

    /// A compiled policy kills a call made through the i386 (`int 0x80`) or
    /// x32 ABI, even when its default allows everything; without it, both
    /// calls return and the program exits 0.
    #[test]
    fn calls_through_another_abi_are_killed() {
        let _guard = common::shared();
        let dir = TempDir::new("seccomp-abi");
        for (name, x32) in [("i386", false), ("x32", true)] {
            let program = install(dir.path(), name, &static_prog::foreign_abi_getpid(x32));
            let status = Command::new(&program).status().unwrap();
            assert_eq!(status.code(), Some(0), "{name} without a policy: {status}");
            let status = Command::new(&program)
                .no_new_privs(true)
                .rlimit(Resource::CORE, 0, 0)
                .seccomp(SeccompPolicy::new(SeccompAction::Allow))
                .status()
                .unwrap();
            assert_eq!(
                status.signal(),
                Some(SIGSYS),
                "{name} under the policy: {status}"
            );
        }
    }
}

#[test]
fn unknown_names_and_a_second_filter_are_refused_before_spawning() {
    let _guard = common::shared();
    let err = Command::new("true")
        .seccomp(SeccompPolicy::new(SeccompAction::Allow).deny(["mkdri"], SeccompAction::Errno(1)))
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert_eq!(
        err.to_string(),
        "spawning \"true\": the seccomp policy names \"mkdri\", a system call none of x86_64, \
         x86, aarch64 and riscv64 has"
    );
    let allow_all = vec![SockFilter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: 0x7fff_0000,
    }];
    let err = Command::new("true")
        .seccomp(SeccompPolicy::new(SeccompAction::Allow))
        .seccomp_filter(allow_all)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("cannot be combined"), "{err}");
}
