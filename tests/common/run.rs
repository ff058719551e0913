//! Running a child to completion and checking what it said.

use clonexec::{Child, Command, Output};

/// Runs `cmd` with `output()` and panics with everything the child said
/// unless it exited with status 0. Returns stdout as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn failed: {e} (step {:?})", e.step()));
    assert_success(&out);
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Panics with the child's output unless it exited with status 0.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "child failed: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Kills and reaps a child when dropped (so a failing assertion leaves no
/// sleeper behind).
pub struct Reaper(pub Option<Child>);

impl Reaper {
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child already reaped")
    }

    /// Kills and reaps now; returns the status.
    pub fn finish(&mut self) -> clonexec::ExitStatus {
        let mut child = self.0.take().expect("child already reaped");
        let _ = child.kill();
        child.wait().expect("wait")
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The `/proc/self/status` of `cmd`'s program, which gets that path as its
/// last argument: for a `cat` (which installs no handlers and blocks
/// nothing), what the spawned process itself has.
pub fn child_status(cmd: &mut Command) -> String {
    stdout_of(cmd.arg("/proc/self/status"))
}
