//! The test suite's own rules (`tests/common`): how a test skips. A skip
//! says why and passes, except where CI claims the whole suite ran
//! (`CI=true`, root, not under qemu-user): there it fails the test.
//!
//! Each case re-runs this binary as a helper with the environment to try.

use crate::common;

use std::process::{Command, Output};

const HELPER_ENV: &str = "CLONEXEC_SKIP_HELPER";
const WHY: &str = "no frobnicator here";

/// Not a test: skips (with `common::skip`, or `common::skip_under_qemu`
/// in mode `qemu`), then says it returned.
#[test]
#[ignore = "helper: run by the other tests of this file in a child process"]
fn skip_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    if mode == "qemu" {
        assert!(common::skip_under_qemu("skip_helper", WHY), "did not skip");
    } else {
        common::skip("skip_helper", WHY);
    }
    println!("returned after the skip");
}

/// Runs [`skip_helper`] in `mode` with `CI` and `CLONEXEC_UNDER_QEMU` as
/// given (unset when `None`).
fn helper(mode: &str, ci: Option<&str>, qemu: Option<&str>) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(common::helper_args(&common::test_name!(skip_helper)))
        .env(HELPER_ENV, mode)
        .env_remove("CI")
        .env_remove("CLONEXEC_UNDER_QEMU");
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    if let Some(qemu) = qemu {
        cmd.env("CLONEXEC_UNDER_QEMU", qemu);
    }
    cmd.output().expect("running the helper")
}

fn shown(out: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the helper skipped and passed: the line `.ci/cross.sh` and
/// people read, then the rest of the test returned normally.
fn skipped_and_passed(out: &Output, line: &str) -> bool {
    out.status.success()
        && String::from_utf8_lossy(&out.stderr)
            .lines()
            .any(|l| l == line)
        && String::from_utf8_lossy(&out.stdout).contains("returned after the skip")
}

/// Where CI claims the whole suite ran, a test that would skip fails,
/// naming itself and why it wanted to skip.
#[test]
fn a_skip_fails_the_test_in_ci_as_root_on_a_native_target() {
    let _guard = common::shared();
    const NAME: &str = "a_skip_fails_the_test_in_ci_as_root_on_a_native_target";
    if common::skip_under_qemu(
        NAME,
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) || common::skip_unless_root(NAME)
    {
        return;
    }
    let out = helper("skip", Some("true"), None);
    assert!(!out.status.success(), "the skip passed: {}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("skip_helper would skip here ({WHY})")),
        "{}",
        shown(&out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("returned after the skip"),
        "{}",
        shown(&out)
    );
}

/// Outside CI, or in CI under qemu-user, a skip says why and the test
/// returns (and passes).
#[test]
fn a_skip_elsewhere_says_why_and_passes() {
    let _guard = common::shared();
    const NAME: &str = "a_skip_elsewhere_says_why_and_passes";
    if common::skip_under_qemu(
        NAME,
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let line = format!("skipping skip_helper: {WHY}");
    for ci in [None, Some("false"), Some("1")] {
        let out = helper("skip", ci, None);
        assert!(
            skipped_and_passed(&out, &line),
            "CI={ci:?}: {}",
            shown(&out)
        );
    }
    // Under qemu-user (as .ci/cross.sh runs the emulated targets, with
    // CI=true), in the form cross.sh counts: `^skipping .*(qemu-user)$`.
    let line = format!("skipping skip_helper: {WHY} (qemu-user)");
    for ci in [None, Some("true")] {
        let out = helper("qemu", ci, Some("1"));
        assert!(
            skipped_and_passed(&out, &line),
            "CI={ci:?}: {}",
            shown(&out)
        );
        let out = helper("skip", ci, Some("1"));
        let line = format!("skipping skip_helper: {WHY}");
        assert!(
            skipped_and_passed(&out, &line),
            "CI={ci:?}: {}",
            shown(&out)
        );
    }
}
