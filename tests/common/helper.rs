//! Re-running this test binary as a helper process: an `#[ignore]`d test
//! that does nothing unless an environment variable asks it to, run alone
//! by another test (in a new namespace, as another user, as a session
//! leader, with a lower fd limit...), which then checks what it printed.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use clonexec::{Command, Output};

use super::TempDir;

/// The name libtest gives the test function `$test` of the calling module,
/// which is what a helper re-run must pass to `--exact`: `module::test` in
/// a grouped binary (`tests/GROUP/main.rs` declares the former test files
/// as modules), just `test` in a single-file one. A bare name where the
/// full one is needed matches no test: the re-run runs nothing and exits 0.
/// Does not compile unless `$test` is a function in scope.
macro_rules! test_name {
    ($test:ident) => {{
        let _: fn() = $test;
        $crate::common::qualified_test_name(module_path!(), stringify!($test))
    }};
}
pub(crate) use test_name;

/// `test` as libtest names it in module `module_path` (a `module_path!()`,
/// which starts with the crate's name where libtest's names do not).
pub fn qualified_test_name(module_path: &str, test: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{test}"),
        None => test.to_owned(),
    }
}

/// The arguments that make a test binary run exactly the ignored test
/// `test` (its full name: see [`test_name!`]), alone, showing its output.
pub fn helper_args(test: &str) -> [&str; 5] {
    [
        "--exact",
        test,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
}

/// This test binary re-run to do only its ignored test `test` (its full
/// name: see [`test_name!`]), with `env_key=mode` (which the helper test
/// checks, so that it does nothing when run by hand).
pub fn helper_command(test: &str, env_key: &str, mode: &str) -> Command {
    let exe = std::env::current_exe().expect("current_exe");
    helper_at(&exe, test, env_key, mode)
}

fn helper_at(exe: &Path, test: &str, env_key: &str, mode: &str) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(helper_args(test))
        .env(env_key, mode)
        .env("RUST_BACKTRACE", "1");
    cmd
}

/// A copy of this test binary that any user can run, in a fresh temp dir
/// (0755), for helpers that run as another user: the original may sit
/// under a 0700 directory (such as /root). Both are removed when dropped.
///
/// Making it spawns `cp` (see [`super::copy_executable`]): in a binary
/// with an [`super::exclusive`] test, hold [`super::shared`] meanwhile.
pub struct SelfCopy {
    dir: TempDir,
    pub exe: PathBuf,
}

impl SelfCopy {
    pub fn new() -> SelfCopy {
        let dir = TempDir::new("self-copy");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod dir");
        let exe = dir.path().join("test-binary");
        super::copy_executable(&std::env::current_exe().expect("current_exe"), &exe);
        SelfCopy { dir, exe }
    }

    /// The directory the copy is in, world-readable, for other files the
    /// helper needs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Like [`helper_command`], running the copy (from `/`, so that the
    /// working directory is reachable by any user).
    pub fn command(&self, test: &str, env_key: &str, mode: &str) -> Command {
        let mut cmd = helper_at(&self.exe, test, env_key, mode);
        cmd.current_dir("/");
        cmd
    }
}

// ---------------------------------------------------------------------
// What a helper says: `@@key=value@@` values (the process-attribute and
// fd tests)...

/// Prints `@@key=value@@` for the parent test to find in the helper's
/// output (libtest adds its own lines around it).
pub fn report(key: &str, value: impl std::fmt::Display) {
    println!("\n@@{key}={value}@@");
}

/// The value a helper printed with [`report`], if any.
pub fn reported(output: &str, key: &str) -> Option<String> {
    let marker = format!("@@{key}=");
    output.lines().find_map(|line| {
        let start = line.find(&marker)? + marker.len();
        let rest = &line[start..];
        Some(rest[..rest.find("@@")?].to_string())
    })
}

/// Like [`reported`], panicking with the whole output when absent.
pub fn must_report(output: &str, key: &str) -> String {
    reported(output, key).unwrap_or_else(|| panic!("helper did not report {key}:\n{output}"))
}

// ...or `helper-done MODE` lines (the namespace tests), whose mode and
// input come in two variables.

/// The environment variable that selects a namespace helper's mode.
pub const HELPER_MODE: &str = "CLONEXEC_NS_HELPER";
/// Extra input for a namespace helper (a directory, an inode...).
pub const HELPER_ARG: &str = "CLONEXEC_NS_HELPER_ARG";

/// The helper mode this process was started in, if any (`None` when the
/// ignored helper test is run by hand with `--ignored`).
pub fn helper_mode() -> Option<String> {
    std::env::var(HELPER_MODE).ok()
}

pub fn helper_arg() -> String {
    std::env::var(HELPER_ARG).unwrap_or_default()
}

/// What a helper run said: `Ok(())` when it finished its checks (printed
/// `helper-done MODE`), `Err` with its reason when it skipped (printed
/// `helper-skip MODE: WHY`). Panics (with the helper's output) when it
/// failed or said neither.
pub fn helper_result(mode: &str, out: &Output) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = || {
        format!(
            "status {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        )
    };
    assert!(out.status.success(), "helper {mode} failed: {}", shown());
    // A note is a check the helper could not make here: a partial skip.
    for note in stdout.lines().filter_map(|l| l.split_once("note: ")) {
        super::skip(&format!("a check of helper {mode}"), note.1);
    }
    if let Some(line) = stdout
        .lines()
        .find(|l| l.contains(&format!("helper-skip {mode}:")))
    {
        return Err(line.to_string());
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.ends_with(&format!("helper-done {mode}"))),
        "helper {mode} did not run its checks: {}",
        shown()
    );
    Ok(())
}
