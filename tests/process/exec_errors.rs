//! Finding the program (the child's PATH, execvpe rules) and the errors of a
//! failed spawn: step, errno, Display, io::Error conversion.

use crate::common;

use clonexec::{Command, Step};
use common::{EACCES, ENOENT, TempDir};

/// A PATH every user can search: the environment's PATH may hold
/// directories (like /root/.cargo/bin) that give EACCES instead of ENOENT
/// to an unprivileged user, as execvpe reports EACCES when it saw one.
const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

const SCRIPT: &str = "#!/bin/sh\necho \"found $0 $1\"\n";

#[test]
fn path_search_uses_the_childs_path() {
    let _guard = common::shared();
    let dir = TempDir::new("path");
    let name = "clonexec-probe-script";
    let script = dir.write_file(name, SCRIPT, 0o755);
    // The parent's PATH does not contain the dir: only the child's does.
    let parent_path = std::env::var("PATH").unwrap_or_default();
    assert!(
        !parent_path
            .split(':')
            .any(|d| d == dir.path().to_str().unwrap())
    );

    let out = Command::new(name)
        .arg("arg1")
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // argv[0] stays the bare name; the kernel passes the found path to sh.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("found {} arg1\n", script.display())
    );

    // The same bare name with a PATH without the dir is not found.
    let err = Command::new(name)
        .env("PATH", SYSTEM_PATH)
        .output()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec));
    assert_eq!(err.raw_os_error(), Some(ENOENT));
}

#[test]
fn path_search_tries_entries_in_order() {
    let _guard = common::shared();
    let first = TempDir::new("path-first");
    let second = TempDir::new("path-second");
    let name = "clonexec-probe-order";
    first.write_file(name, "#!/bin/sh\necho first\n", 0o755);
    second.write_file(name, "#!/bin/sh\necho second\n", 0o755);
    let empty = TempDir::new("path-empty");
    let path = format!(
        "/nonexistent-dir:{}:{}:{}",
        empty.path().display(),
        first.path().display(),
        second.path().display()
    );
    let out = Command::new(name).env("PATH", &path).output().unwrap();
    assert_eq!(out.stdout, b"first\n");
}

#[test]
fn path_search_skips_non_executable_files_and_runs_a_later_one() {
    let _guard = common::shared();
    let denied = TempDir::new("path-denied");
    let good = TempDir::new("path-good");
    let name = "clonexec-probe-skip";
    denied.write_file(name, "#!/bin/sh\necho denied\n", 0o644);
    good.write_file(name, "#!/bin/sh\necho good\n", 0o755);
    let path = format!("{}:{}", denied.path().display(), good.path().display());
    let out = Command::new(name).env("PATH", &path).output().unwrap();
    assert_eq!(out.stdout, b"good\n");
}

#[test]
fn non_executable_file_found_via_path_is_eacces() {
    let _guard = common::shared();
    let dir = TempDir::new("eacces-path");
    let missing = TempDir::new("eacces-path-missing");
    let name = "clonexec-probe-noexec";
    dir.write_file(name, SCRIPT, 0o644);
    // EACCES is remembered even when a later entry gives ENOENT.
    let path = format!("{}:{}", dir.path().display(), missing.path().display());
    let err = Command::new(name).env("PATH", &path).spawn().unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec));
    assert_eq!(err.raw_os_error(), Some(EACCES), "{err}");
    assert_eq!(
        err.to_string(),
        format!("spawning \"{name}\": execve failed: EACCES (Permission denied)")
    );
}

#[test]
fn non_executable_file_by_direct_path_is_eacces() {
    let _guard = common::shared();
    let dir = TempDir::new("eacces-direct");
    let script = dir.write_file("noexec", SCRIPT, 0o644);
    let err = Command::new(&script).spawn().unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec));
    assert_eq!(err.raw_os_error(), Some(EACCES));
    assert_eq!(
        err.to_string(),
        format!(
            "spawning {:?}: execve({:?}) failed: EACCES (Permission denied)",
            script.display().to_string(),
            script.display().to_string()
        )
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.raw_os_error(), Some(EACCES));
    assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
}

#[test]
fn missing_program_is_enoent_at_exec() {
    let _guard = common::shared();
    let err = Command::new("clonexec-no-such-program-anywhere")
        .env("PATH", SYSTEM_PATH)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec));
    assert_eq!(err.raw_os_error(), Some(ENOENT));
    assert!(!err.is_invalid_input());
    assert_eq!(err.program(), "clonexec-no-such-program-anywhere");
    assert_eq!(
        err.to_string(),
        "spawning \"clonexec-no-such-program-anywhere\": execve failed: ENOENT (No such file or directory)"
    );

    let err = Command::new("/nonexistent/program").spawn().unwrap_err();
    assert_eq!(err.step(), Some(Step::Exec));
    assert_eq!(err.raw_os_error(), Some(ENOENT));
    assert_eq!(
        err.to_string(),
        "spawning \"/nonexistent/program\": execve(\"/nonexistent/program\") failed: ENOENT (No such file or directory)"
    );
}

#[test]
fn io_error_conversion_keeps_errno_and_kind() {
    let _guard = common::shared();
    let err = Command::new("clonexec-no-such-program-anywhere")
        .env("PATH", SYSTEM_PATH)
        .status()
        .unwrap_err();
    let io: std::io::Error = err.into();
    assert_eq!(io.raw_os_error(), Some(ENOENT));
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    // Same as std for the same situation.
    let std_err = std::process::Command::new("clonexec-no-such-program-anywhere")
        .env("PATH", SYSTEM_PATH)
        .status()
        .unwrap_err();
    assert_eq!(std_err.raw_os_error(), io.raw_os_error());
    assert_eq!(std_err.kind(), io.kind());
}

#[test]
fn bad_cwd_fails_at_chdir_with_enoent() {
    let _guard = common::shared();
    let err = Command::new("true")
        .current_dir("/nonexistent")
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(Step::Chdir));
    assert_eq!(err.raw_os_error(), Some(ENOENT));
    assert_eq!(
        err.to_string(),
        r#"spawning "true": chdir("/nonexistent") failed: ENOENT (No such file or directory)"#
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.raw_os_error(), Some(ENOENT));
}

#[test]
fn cwd_that_is_a_file_is_enotdir() {
    let _guard = common::shared();
    let dir = TempDir::new("cwd-file");
    let file = dir.write_file("plain", "", 0o644);
    let err = Command::new("true").current_dir(&file).spawn().unwrap_err();
    assert_eq!(err.step(), Some(Step::Chdir));
    assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
}

#[test]
fn current_dir_is_the_childs_cwd_and_relative_programs_resolve_there() {
    let _guard = common::shared();
    let dir = TempDir::new("cwd");
    dir.write_file("local-script", "#!/bin/sh\npwd -P\n", 0o755);
    let out = Command::new("./local-script")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        dir.path().canonicalize().unwrap().to_str().unwrap()
    );
}

/// Executables made by the test helpers run at once, while other threads
/// spawn children all along. Each such child holds a copy of our fds until
/// it execs: had the helpers written the file through a write fd of ours
/// (`fs::write`, `fs::copy`), the exec of the new file would fail with
/// ETXTBSY now and then.
#[test]
fn fresh_executables_run_while_other_threads_spawn() {
    let _guard = common::shared();
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Stops the spawning threads however the test ends.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = AtomicBool::new(false);
    let dir = TempDir::new("fresh-executables");
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let status = Command::new("true").status().expect("spawning true");
                    assert!(status.success(), "{status}");
                }
            });
        }
        let _stop = Stop(&stop);
        for i in 0..100 {
            let script = dir.write_file(&format!("script-{i}"), "#!/bin/sh\necho $0\n", 0o755);
            let out = Command::new(&script)
                .output()
                .unwrap_or_else(|e| panic!("script {i}: {e}"));
            assert_eq!(out.stdout, format!("{}\n", script.display()).as_bytes());
            let copy = dir.path().join(format!("copy-{i}"));
            common::copy_executable("/bin/true".as_ref(), &copy);
            let status = Command::new(&copy)
                .status()
                .unwrap_or_else(|e| panic!("copy {i}: {e}"));
            assert!(status.success(), "copy {i}: {status}");
        }
    });
}
