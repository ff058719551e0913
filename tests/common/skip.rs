//! How a test skips: the one way to say that a test (or part of one)
//! cannot run here, and where that must fail instead.

/// Whether the test process runs as root (euid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether the tests run under qemu-user: `.ci/cross.sh` sets
/// `CLONEXEC_UNDER_QEMU=1` for its emulated targets.
pub fn under_qemu() -> bool {
    std::env::var_os("CLONEXEC_UNDER_QEMU").is_some_and(|v| v == "1")
}

/// Whether a skip must fail the test instead: in CI (`CI=true`), as root,
/// on a native target (not under qemu-user). That is where CI claims the
/// whole suite ran, so a test that returns early there would pass without
/// proving anything.
pub fn skips_must_fail() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true") && is_root() && !under_qemu()
}

/// The one way a test skips (all of itself or a part): `test` cannot run
/// here because of `why`.
///
/// Prints `skipping TEST: WHY` to stderr (what `.ci/cross.sh` counts, for
/// the lines ending in `(qemu-user)`), and the caller then returns or
/// leaves the part out. Where [`skips_must_fail`], panics instead, naming
/// the test and why it wanted to skip: CI as root on a native target must
/// run every test, so a missing tool or privilege there is a CI bug to fix
/// (install the tool in `.ci/run`), not a pass.
#[track_caller]
pub fn skip(test: &str, why: impl std::fmt::Display) {
    if skips_must_fail() {
        panic!(
            "{test} would skip here ({why}), but with CI=true, as root and not under qemu-user \
             every test must run: give it what it needs (.ci/run installs tools) or fix it"
        );
    }
    eprintln!("skipping {test}: {why}");
}

/// Skips `test` (see [`skip`]) unless the process runs as root; returns
/// whether it skipped, for `if skip_unless_root(NAME) { return; }`.
#[track_caller]
pub fn skip_unless_root(test: &str) -> bool {
    if is_root() {
        false
    } else {
        skip(test, "needs root (euid 0)");
        true
    }
}

/// Skips `test` (see [`skip`]) when it runs under qemu-user and needs real
/// kernel behaviour that qemu-user cannot give: `why` names what is
/// missing. Returns whether it skipped; never skips outside qemu-user. The
/// line ends in `(qemu-user)`, which `.ci/cross.sh` counts.
#[track_caller]
pub fn skip_under_qemu(test: &str, why: &str) -> bool {
    if under_qemu() {
        skip(test, format_args!("{why} (qemu-user)"));
        true
    } else {
        false
    }
}

/// Skips `test` (see [`skip`]) unless it can spawn children in new
/// namespaces: that needs root, and the real kernel (qemu-user refuses
/// namespace clone flags and cannot exec the target's programs from a
/// child). Returns whether it skipped.
#[track_caller]
pub fn skip_unless_namespaces(test: &str) -> bool {
    skip_under_qemu(
        test,
        "needs namespaces or a cgroup at clone: clone refuses CLONE_NEW* flags (EINVAL), clone3 is missing (ENOSYS)",
    ) || skip_unless_root(test)
}

/// The kernel's Landlock ABI version, or `None` without Landlock (not
/// built in, or not enabled at boot).
pub fn landlock_abi() -> Option<u32> {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    // reads and writes no memory.
    let abi = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, 1u32) };
    u32::try_from(abi).ok().filter(|&abi| abi > 0)
}

/// Skips `test` (see [`skip`]) unless the kernel's Landlock ABI is at least
/// `abi` (and the test runs on the real kernel: qemu-user does not pass
/// the Landlock calls on). Returns whether it skipped.
#[track_caller]
pub fn skip_unless_landlock(test: &str, abi: u32) -> bool {
    if skip_under_qemu(test, "needs the Landlock system calls") {
        return true;
    }
    match landlock_abi() {
        Some(have) if have >= abi => false,
        have => {
            skip(
                test,
                format_args!("needs Landlock ABI {abi}; this kernel has {have:?}"),
            );
            true
        }
    }
}
