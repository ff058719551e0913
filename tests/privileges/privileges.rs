//! Credentials and privileges: capability sets, bounding set, securebits,
//! no_new_privs, seccomp, session keyring, and the checks `prepare()` makes
//! on them. The child reports what it got through `/proc/self/status` (or,
//! for what `/proc` does not show, through this test binary re-run as a
//! helper).
//!
//! Expected capability masks follow the kernel's exec rules (capabilities(7)),
//! for a program without file capabilities and not set-uid:
//!
//! ```text
//! P'(ambient)     = P(ambient)
//! P'(permitted)   = (P(inheritable) & F(inheritable)) | (F(permitted) & P(bounding)) | P'(ambient)
//! P'(effective)   = F(effective) ? P'(permitted) : P'(ambient)
//! P'(inheritable) = P(inheritable)
//! P'(bounding)    = P(bounding)
//! ```
//!
//! where F is empty for an ordinary program run by a non-root user, and for
//! uid 0 (without `SECBIT_NOROOT`) F(inheritable) = F(permitted) = all and
//! F(effective) is set.

use crate::common;

use clonexec::{CapMask, CapSet, Capability, Command, SecureBits, SockFilter, Step};
use common::{
    SelfCopy, child_status, helper_command, must_report, own_status, report, reported, status_dec,
    status_field, status_hex, stdout_of,
};

const HELPER_ENV: &str = "CLONEXEC_PRIVILEGES_HELPER";
/// The helper test's full name, for `--exact`.
fn helper_test() -> String {
    common::test_name!(privileges_helper)
}

const NOBODY: u32 = 65534;
const EPERM: i32 = 1;

/// The five capability masks of a `/proc/PID/status` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Caps {
    inh: u64,
    prm: u64,
    eff: u64,
    bnd: u64,
    amb: u64,
}

impl Caps {
    fn of(status: &str) -> Caps {
        Caps {
            inh: status_hex(status, "CapInh"),
            prm: status_hex(status, "CapPrm"),
            eff: status_hex(status, "CapEff"),
            bnd: status_hex(status, "CapBnd"),
            amb: status_hex(status, "CapAmb"),
        }
    }
}

fn mask(caps: &[Capability]) -> CapMask {
    caps.iter().copied().collect()
}

fn bits(caps: &[Capability]) -> u64 {
    mask(caps).bits()
}

/// Skips `test` (see `common::skip`) unless this process holds all of
/// `caps` in its permitted and effective sets; returns whether it skipped.
fn skip_unless_parent_has(test: &str, caps: &[Capability]) -> bool {
    let own = Caps::of(&own_status());
    let want = bits(caps);
    let missing = own.prm & want != want || own.eff & want != want;
    if missing {
        common::skip(test, format_args!("this process lacks some of {caps:?}"));
    }
    missing
}

fn own_securebits() -> i32 {
    // SAFETY: PR_GET_SECUREBITS takes no pointer.
    unsafe { libc::prctl(libc::PR_GET_SECUREBITS, 0, 0, 0, 0) }
}

/// Runs in a child (this binary re-executed with `HELPER_ENV` set) and
/// prints what `/proc` does not show.
#[test]
#[ignore = "helper: run by other tests in a child process"]
fn privileges_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    match mode.as_str() {
        "securebits" => {
            report("SECUREBITS", own_securebits());
            // SAFETY: geteuid has no preconditions.
            report("EUID", unsafe { libc::geteuid() });
            let status = own_status();
            for name in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
                report(name, status_field(&status, name).unwrap_or("?"));
            }
        }
        "keyring" => {
            // SAFETY: keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING,
            // create = 0) takes no pointer.
            let id = unsafe { libc::syscall(libc::SYS_keyctl, 0, -3, 0) };
            if id > 0 {
                report("KEYRING", id);
            } else {
                report("KEYRING_ERROR", std::io::Error::last_os_error());
            }
        }
        "keyring_add" => {
            // add_key("user", desc, "x", 1, KEY_SPEC_SESSION_KEYRING)
            // SAFETY: NUL-terminated strings and a 1-byte payload that
            // outlive the call.
            let id = unsafe {
                libc::syscall(
                    libc::SYS_add_key,
                    c"user".as_ptr(),
                    c"clonexec-test".as_ptr(),
                    c"x".as_ptr(),
                    1usize,
                    -3,
                )
            };
            if id > 0 {
                report("ADDED", id);
            } else {
                report("ADD_ERROR", std::io::Error::last_os_error());
            }
            // SAFETY: as in "keyring".
            report("KEYRING", unsafe {
                libc::syscall(libc::SYS_keyctl, 0, -3, 0)
            });
        }
        other => panic!("unknown helper mode {other:?}"),
    }
}

fn caps_from_helper(output: &str) -> Caps {
    let hex = |name| u64::from_str_radix(&must_report(output, name), 16).unwrap();
    Caps {
        inh: hex("CapInh"),
        prm: hex("CapPrm"),
        eff: hex("CapEff"),
        bnd: hex("CapBnd"),
        amb: hex("CapAmb"),
    }
}

// ---------------------------------------------------------------------
// Capability sets

/// root → nobody with explicit P/I/E and one ambient capability: after
/// exec, P' = E' = ambient, I as given, bounding untouched.
#[test]
fn caps_root_to_nobody_with_ambient() {
    let _guard = common::shared();
    const NAME: &str = "caps_root_to_nobody_with_ambient";
    let wanted = [Capability::NET_BIND_SERVICE, Capability::NET_RAW];
    if common::skip_unless_root(NAME) || skip_unless_parent_has(NAME, &wanted) {
        return;
    }
    let before = Caps::of(&own_status());
    let status = child_status(
        Command::new("cat")
            .uid(NOBODY)
            .gid(NOBODY)
            .capabilities(CapSet {
                permitted: mask(&wanted),
                inheritable: mask(&wanted),
                effective: mask(&[Capability::NET_BIND_SERVICE]),
            })
            .ambient_caps([Capability::NET_BIND_SERVICE]),
    );
    assert_eq!(
        status_field(&status, "Uid"),
        Some("65534\t65534\t65534\t65534")
    );
    assert_eq!(
        status_field(&status, "Gid"),
        Some("65534\t65534\t65534\t65534")
    );
    let bind = 1 << 10;
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: bind | 1 << 13,
            prm: bind,
            eff: bind,
            bnd: before.bnd,
            amb: bind,
        },
        "child status:\n{status}"
    );
    // The child's capset/prctl calls are its own (credentials are per task,
    // even with CLONE_VM).
    assert_eq!(Caps::of(&own_status()), before);
}

/// root → nobody with explicit sets and no ambient capability: exec of an
/// ordinary program by a non-root user leaves nothing permitted, the
/// inheritable set stays as given.
#[test]
fn caps_root_to_nobody_without_ambient() {
    let _guard = common::shared();
    const NAME: &str = "caps_root_to_nobody_without_ambient";
    let wanted = [Capability::NET_BIND_SERVICE, Capability::NET_RAW];
    if common::skip_unless_root(NAME) || skip_unless_parent_has(NAME, &wanted) {
        return;
    }
    let before = Caps::of(&own_status());
    let status = child_status(
        Command::new("cat")
            .uid(NOBODY)
            .gid(NOBODY)
            .capabilities(CapSet {
                permitted: mask(&wanted),
                inheritable: mask(&wanted),
                effective: mask(&[Capability::NET_BIND_SERVICE]),
            }),
    );
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: bits(&wanted),
            prm: 0,
            eff: 0,
            bnd: before.bnd,
            amb: 0,
        },
        "child status:\n{status}"
    );
}

/// `ambient_caps` alone (no `capabilities()`) across a uid change: the
/// library raises the capability in P and I itself (KEEPCAPS across the uid
/// change), so it is ambient, permitted and effective after exec.
#[test]
fn ambient_caps_alone_root_to_nobody() {
    let _guard = common::shared();
    const NAME: &str = "ambient_caps_alone_root_to_nobody";
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::NET_BIND_SERVICE])
    {
        return;
    }
    let before = Caps::of(&own_status());
    let status = child_status(
        Command::new("cat")
            .uid(NOBODY)
            .gid(NOBODY)
            .ambient_caps([Capability::NET_BIND_SERVICE]),
    );
    let bind = 1 << 10;
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: before.inh | bind,
            prm: bind,
            eff: bind,
            bnd: before.bnd,
            amb: bind,
        },
        "child status:\n{status}"
    );
}

/// A reduced bounding set is done before the uid change (it needs
/// CAP_SETPCAP) and is what the unprivileged program sees.
#[test]
fn bounding_set_root_to_nobody() {
    let _guard = common::shared();
    const NAME: &str = "bounding_set_root_to_nobody";
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::NET_BIND_SERVICE, Capability::SETPCAP])
    {
        return;
    }
    let bind = mask(&[Capability::NET_BIND_SERVICE]);
    let status = child_status(
        Command::new("cat")
            .uid(NOBODY)
            .gid(NOBODY)
            .bounding_set([Capability::NET_BIND_SERVICE])
            .capabilities(CapSet {
                permitted: bind,
                inheritable: bind,
                effective: bind,
            })
            .ambient_caps([Capability::NET_BIND_SERVICE]),
    );
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: bind.bits(),
            prm: bind.bits(),
            eff: bind.bits(),
            bnd: bind.bits(),
            amb: bind.bits(),
        },
        "child status:\n{status}"
    );
}

/// root → root with a reduced bounding set: exec gives uid 0 the bounding
/// set (plus its inheritable set), not everything.
#[test]
fn bounding_set_limits_root_exec() {
    let _guard = common::shared();
    const NAME: &str = "bounding_set_limits_root_exec";
    if common::skip_unless_root(NAME) || skip_unless_parent_has(NAME, &[Capability::SETPCAP]) {
        return;
    }
    let before = Caps::of(&own_status());
    let keep = bits(&[Capability::CHOWN, Capability::KILL]);
    assert_eq!(keep, 0x21);
    let status =
        child_status(Command::new("cat").bounding_set([Capability::CHOWN, Capability::KILL]));
    let prm = before.inh | keep;
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: before.inh,
            prm,
            eff: prm,
            bnd: keep,
            amb: 0,
        },
        "child status:\n{status}"
    );
    assert_eq!(Caps::of(&own_status()), before, "the parent's sets changed");
}

/// As documented on `capabilities()`: for uid 0 without NOROOT and with the
/// full bounding set, exec grants the bounding set again, whatever the
/// sets were before exec; the inheritable set is kept.
#[test]
fn root_exec_regrants_bounding_set_without_noroot() {
    let _guard = common::shared();
    const NAME: &str = "root_exec_regrants_bounding_set_without_noroot";
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::CHOWN, Capability::KILL])
    {
        return;
    }
    let before = Caps::of(&own_status());
    let status = child_status(Command::new("cat").capabilities(CapSet {
        permitted: mask(&[Capability::CHOWN, Capability::KILL]),
        inheritable: mask(&[Capability::KILL]),
        effective: mask(&[Capability::CHOWN]),
    }));
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: 1 << 5,
            prm: before.bnd,
            eff: before.bnd,
            bnd: before.bnd,
            amb: 0,
        },
        "child status:\n{status}"
    );
}

/// root → root with SECBIT_NOROOT (locked): uid 0 is treated like any user
/// at exec, so the sets are exactly what was asked (here: nothing
/// permitted after exec without ambient caps). /proc/self/status has no
/// securebits line; the helper shows them with PR_GET_SECUREBITS.
#[test]
fn noroot_securebits_root_to_root() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "noroot_securebits_root_to_root",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    const NAME: &str = "noroot_securebits_root_to_root";
    let wanted = [Capability::CHOWN, Capability::KILL, Capability::NET_RAW];
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::SETPCAP])
        || skip_unless_parent_has(NAME, &wanted)
    {
        return;
    }
    let before = Caps::of(&own_status());
    let before_bits = own_securebits();
    let sets = CapSet {
        permitted: mask(&wanted),
        inheritable: mask(&[Capability::KILL]),
        effective: mask(&[Capability::CHOWN]),
    };
    let noroot = SecureBits::NOROOT | SecureBits::NOROOT_LOCKED;

    // Without ambient caps: nothing survives exec but the inheritable set.
    let status = child_status(Command::new("cat").capabilities(sets).securebits(noroot));
    assert_eq!(status_field(&status, "Uid"), Some("0\t0\t0\t0"));
    assert_eq!(
        Caps::of(&status),
        Caps {
            inh: 1 << 5,
            prm: 0,
            eff: 0,
            bnd: before.bnd,
            amb: 0,
        },
        "child status:\n{status}"
    );
    assert!(
        !status.to_ascii_lowercase().contains("secure"),
        "/proc/self/status shows securebits after all; the helper is not needed:\n{status}"
    );

    // With KILL ambient, through the helper (which also reads securebits).
    let out = stdout_of(
        helper_command(&helper_test(), HELPER_ENV, "securebits")
            .capabilities(sets)
            .securebits(noroot)
            .ambient_caps([Capability::KILL]),
    );
    assert_eq!(must_report(&out, "SECUREBITS"), noroot.bits().to_string());
    assert_eq!(
        caps_from_helper(&out),
        Caps {
            inh: 1 << 5,
            prm: 1 << 5,
            eff: 1 << 5,
            bnd: before.bnd,
            amb: 1 << 5,
        },
        "helper output:\n{out}"
    );
    assert_eq!(
        own_securebits(),
        before_bits,
        "the parent's securebits changed"
    );
    assert_eq!(Caps::of(&own_status()), before, "the parent's sets changed");
}

/// root → nobody with KEEP_CAPS locked on: the library cannot (and need
/// not) set PR_SET_KEEPCAPS itself; the permitted set survives the uid
/// change through the securebit, so the requested sets and the ambient
/// capability are installed. Exec clears KEEP_CAPS but not its lock.
#[test]
fn keep_caps_locked_root_to_nobody() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "keep_caps_locked_root_to_nobody",
        "runs a copy of this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    const NAME: &str = "keep_caps_locked_root_to_nobody";
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::SETPCAP, Capability::NET_BIND_SERVICE])
    {
        return;
    }
    let before = Caps::of(&own_status());
    let bind = mask(&[Capability::NET_BIND_SERVICE]);
    let copy = SelfCopy::new();
    let out = stdout_of(
        copy.command(&helper_test(), HELPER_ENV, "securebits")
            .uid(NOBODY)
            .gid(NOBODY)
            .securebits(SecureBits::KEEP_CAPS | SecureBits::KEEP_CAPS_LOCKED)
            .capabilities(CapSet {
                permitted: bind,
                inheritable: bind,
                effective: bind,
            })
            .ambient_caps([Capability::NET_BIND_SERVICE]),
    );
    assert_eq!(must_report(&out, "EUID"), NOBODY.to_string(), "{out}");
    assert_eq!(
        must_report(&out, "SECUREBITS"),
        SecureBits::KEEP_CAPS_LOCKED.bits().to_string(),
        "{out}"
    );
    assert_eq!(
        caps_from_helper(&out),
        Caps {
            inh: bind.bits(),
            prm: bind.bits(),
            eff: bind.bits(),
            bnd: before.bnd,
            amb: bind.bits(),
        },
        "{out}"
    );
}

/// Without `securebits()`, the child has the caller's securebits.
#[test]
fn securebits_default_is_inherited() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "securebits_default_is_inherited",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let out = stdout_of(&mut helper_command(
        &helper_test(),
        HELPER_ENV,
        "securebits",
    ));
    // KEEP_CAPS (bit 4) is cleared by exec.
    let expected = own_securebits() & !(SecureBits::KEEP_CAPS.bits() as i32);
    assert_eq!(must_report(&out, "SECUREBITS"), expected.to_string());
}

/// Several securebits with their locks, visible after exec (KEEP_CAPS
/// itself is cleared by exec, its lock is not).
#[test]
fn securebits_locks_visible_after_exec() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "securebits_locks_visible_after_exec",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    const NAME: &str = "securebits_locks_visible_after_exec";
    if common::skip_unless_root(NAME) || skip_unless_parent_has(NAME, &[Capability::SETPCAP]) {
        return;
    }
    let asked = SecureBits::NO_SETUID_FIXUP
        | SecureBits::NO_SETUID_FIXUP_LOCKED
        | SecureBits::KEEP_CAPS_LOCKED
        | SecureBits::NO_CAP_AMBIENT_RAISE
        | SecureBits::NO_CAP_AMBIENT_RAISE_LOCKED;
    let out = stdout_of(helper_command(&helper_test(), HELPER_ENV, "securebits").securebits(asked));
    assert_eq!(must_report(&out, "SECUREBITS"), asked.bits().to_string());
}

/// SECBIT_NO_CAP_AMBIENT_RAISE is set before the ambient raise, which then
/// fails in the child with EPERM and names its step.
#[test]
fn no_cap_ambient_raise_blocks_ambient_caps() {
    let _guard = common::shared();
    const NAME: &str = "no_cap_ambient_raise_blocks_ambient_caps";
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::SETPCAP, Capability::NET_BIND_SERVICE])
    {
        return;
    }
    let err = Command::new("true")
        .securebits(SecureBits::NO_CAP_AMBIENT_RAISE)
        .ambient_caps([Capability::NET_BIND_SERVICE])
        .spawn()
        .map(|mut c| c.wait())
        .expect_err("the ambient raise should have failed");
    assert_eq!(err.step(), Some(Step::AmbientCaps), "{err}");
    assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
    assert!(err.to_string().contains("cap_net_bind_service"), "{err}");
}

/// The kernel refuses an inheritable capability outside the bounding set
/// (here reduced by the same command): the capset step fails with EPERM,
/// whether the set comes from capabilities() or from ambient_caps().
#[test]
fn inheritable_outside_bounding_set_fails_at_capset() {
    let _guard = common::shared();
    const NAME: &str = "inheritable_outside_bounding_set_fails_at_capset";
    if common::skip_unless_root(NAME)
        || skip_unless_parent_has(NAME, &[Capability::CHOWN, Capability::KILL])
    {
        return;
    }
    let both = mask(&[Capability::CHOWN, Capability::KILL]);
    let err = Command::new("true")
        .bounding_set([Capability::CHOWN])
        .capabilities(CapSet {
            permitted: both,
            inheritable: both,
            effective: both,
        })
        .spawn()
        .map(|mut c| c.wait())
        .expect_err("KILL is outside the bounding set");
    assert_eq!(err.step(), Some(Step::Capabilities), "{err}");
    assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");

    let err = Command::new("true")
        .bounding_set([Capability::CHOWN])
        .ambient_caps([Capability::KILL])
        .spawn()
        .map(|mut c| c.wait())
        .expect_err("KILL is outside the bounding set");
    assert_eq!(err.step(), Some(Step::Capabilities), "{err}");
    assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
}

/// Securebits the kernel does not know are refused: by prepare(), or by
/// the kernel at Step::SecureBits with EPERM.
#[test]
fn unknown_securebits_refused() {
    let _guard = common::shared();
    if common::skip_unless_root("unknown_securebits_refused") {
        return;
    }
    let result = Command::new("true")
        .securebits(SecureBits::from_bits_retain(1 << 30))
        .spawn()
        .map(|mut c| c.wait());
    let err = result.expect_err("securebit 30 accepted");
    if err.step().is_some() {
        assert_eq!(err.step(), Some(Step::SecureBits), "{err}");
        assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
        assert!(err.to_string().contains("PR_SET_SECUREBITS"), "{err}");
    } else {
        assert!(
            err.to_string().to_lowercase().contains("securebit"),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------
// no_new_privs

#[test]
fn no_new_privs_shown_in_status() {
    let _guard = common::shared();
    let parent = status_dec(&own_status(), "NoNewPrivs");
    let on = child_status(Command::new("cat").no_new_privs(true));
    assert_eq!(status_dec(&on, "NoNewPrivs"), 1, "{on}");
    let off = child_status(&mut Command::new("cat"));
    if parent == 0 {
        assert_eq!(status_dec(&off, "NoNewPrivs"), 0, "{off}");
    } else {
        common::skip(
            "the off check of no_new_privs_shown_in_status",
            "the test runs under no_new_privs, cannot check 0",
        );
    }
    assert_eq!(
        status_dec(&own_status(), "NoNewPrivs"),
        parent,
        "the parent's no_new_privs changed"
    );
}

// ---------------------------------------------------------------------
// seccomp

#[cfg(target_arch = "x86_64")]
mod seccomp {
    use super::*;
    use clonexec::{SeccompFlags, SigSet};

    const EACCES: i32 = 13;

    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    const RET_ALLOW: u32 = 0x7fff_0000;
    const RET_ERRNO: u32 = 0x0005_0000;
    const RET_KILL_PROCESS: u32 = 0x8000_0000;

    const NR_UNAME: u32 = 63;
    const NR_MKDIR: u32 = 83;
    const NR_MKDIRAT: u32 = 258;
    const NR_EXECVE: u32 = 59;
    const NR_EXECVEAT: u32 = 322;

    fn ins(code: u16, jt: u8, jf: u8, k: u32) -> SockFilter {
        SockFilter { code, jt, jf, k }
    }

    /// A filter that answers `action` for the listed x86_64 syscalls,
    /// allows everything else, and kills a process using another ABI.
    pub(super) fn filter(syscalls: &[u32], action: u32) -> Vec<SockFilter> {
        let n = syscalls.len();
        let mut prog = vec![
            ins(LD_W_ABS, 0, 0, 4), // seccomp_data.arch
            ins(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            ins(RET_K, 0, 0, RET_KILL_PROCESS),
            ins(LD_W_ABS, 0, 0, 0), // seccomp_data.nr
        ];
        for (i, &nr) in syscalls.iter().enumerate() {
            // Skip the remaining compares and the ALLOW to reach `action`.
            prog.push(ins(JEQ_K, (n - i) as u8, 0, nr));
        }
        prog.push(ins(RET_K, 0, 0, RET_ALLOW));
        prog.push(ins(RET_K, 0, 0, action));
        prog
    }

    fn deny_mkdir() -> Vec<SockFilter> {
        filter(&[NR_MKDIR, NR_MKDIRAT], RET_ERRNO | EPERM as u32)
    }

    /// `mkdir` fails with EPERM under the filter while other programs run;
    /// /proc shows the filter mode.
    fn check_errno_filter(nnp: bool) {
        let dir = common::unique_temp_path("seccomp-mkdir");
        let out = Command::new("mkdir")
            .arg(&dir)
            .seccomp_filter(deny_mkdir())
            .no_new_privs(nnp)
            .output()
            .unwrap();
        let made = dir.exists();
        if made {
            let _ = std::fs::remove_dir(&dir);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!made, "mkdir succeeded under the filter (nnp {nnp})");
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("Operation not permitted"),
            "nnp {nnp}: {stderr}"
        );

        let parent_filters = status_dec(&own_status(), "Seccomp_filters");
        let text = stdout_of(
            Command::new("sh")
                .args(["-c", "echo ok; cat /proc/self/status"])
                .seccomp_filter(deny_mkdir())
                .no_new_privs(nnp),
        );
        assert!(text.starts_with("ok\n"), "{text}");
        assert_eq!(status_dec(&text, "Seccomp"), 2, "{text}");
        assert_eq!(status_dec(&text, "Seccomp_filters"), parent_filters + 1);
        assert_eq!(status_dec(&text, "NoNewPrivs"), i64::from(nnp), "{text}");
        assert_eq!(
            status_dec(&own_status(), "Seccomp_filters"),
            parent_filters,
            "the parent got the filter"
        );
    }

    #[test]
    fn seccomp_errno_filter_with_no_new_privs() {
        let _guard = common::shared();
        check_errno_filter(true);
    }

    #[test]
    fn seccomp_errno_filter_without_no_new_privs() {
        let _guard = common::shared();
        if common::skip_unless_root("seccomp_errno_filter_without_no_new_privs")
            || skip_unless_parent_has(
                "seccomp_errno_filter_without_no_new_privs",
                &[Capability::SYS_ADMIN],
            )
        {
            return;
        }
        check_errno_filter(false);
    }

    fn check_kill_filter(nnp: bool) {
        let out = Command::new("uname")
            .seccomp_filter(filter(&[NR_UNAME], RET_KILL_PROCESS))
            .no_new_privs(nnp)
            .output()
            .unwrap();
        assert_eq!(
            out.status.signal(),
            Some(31),
            "uname was not killed by SIGSYS (nnp {nnp}): {} {}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(out.stdout.is_empty());
    }

    #[test]
    fn seccomp_kill_filter_with_no_new_privs() {
        let _guard = common::shared();
        check_kill_filter(true);
    }

    #[test]
    fn seccomp_kill_filter_without_no_new_privs() {
        let _guard = common::shared();
        if common::skip_unless_root("seccomp_kill_filter_without_no_new_privs")
            || skip_unless_parent_has(
                "seccomp_kill_filter_without_no_new_privs",
                &[Capability::SYS_ADMIN],
            )
        {
            return;
        }
        check_kill_filter(false);
    }

    /// The filter is in force for the child's own execve: denying it makes
    /// the exec step fail with the filter's errno.
    #[test]
    fn seccomp_filter_applies_to_the_exec() {
        let _guard = common::shared();
        let err = Command::new("true")
            .seccomp_filter(filter(&[NR_EXECVE, NR_EXECVEAT], RET_ERRNO | EPERM as u32))
            .no_new_privs(true)
            .spawn()
            .map(|mut c| c.wait())
            .expect_err("exec should have been denied");
        assert_eq!(err.step(), Some(Step::Exec), "{err}");
        assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
    }

    /// The filter is installed as the last step before exec, "so it cannot
    /// block the setup" (`seccomp_filter` docs; they ask the filter to
    /// allow only execve, write and exit_group): a filter refusing
    /// rt_sigprocmask must not break a spawn that sets a signal mask.
    #[test]
    fn seccomp_filter_does_not_block_the_signal_mask_step() {
        let _guard = common::shared();
        const NR_RT_SIGPROCMASK: u32 = 14;
        let result = Command::new("true")
            .seccomp_filter(filter(&[NR_RT_SIGPROCMASK], RET_ERRNO | EPERM as u32))
            .no_new_privs(true)
            .signal_mask(SigSet::EMPTY)
            .status();
        match result {
            Ok(status) => assert!(status.success(), "{status}"),
            Err(err) => panic!(
                "the filter blocked the setup: {err} (step {:?})",
                err.step()
            ),
        }
    }

    /// Worse with a killing filter: the child dies of SIGSYS before its
    /// exec, and the spawn of a program that does not even exist is
    /// reported as a success. With the filter last, execve runs and
    /// fails with ENOENT.
    #[test]
    fn seccomp_kill_during_setup_not_reported_as_spawned() {
        let _guard = common::shared();
        const NR_RT_SIGPROCMASK: u32 = 14;
        let result = Command::new("/nonexistent/program")
            .seccomp_filter(filter(&[NR_RT_SIGPROCMASK], RET_KILL_PROCESS))
            .no_new_privs(true)
            .spawn()
            .map(|mut c| c.wait());
        match result {
            Err(err) => {
                assert_eq!(err.step(), Some(Step::Exec), "{err}");
                assert_eq!(err.raw_os_error(), Some(2), "{err}");
            }
            Ok(status) => panic!("spawned a program that does not exist; it ended with {status:?}"),
        }
    }

    /// Same for PTRACE_TRACEME: a filter refusing ptrace (common in
    /// sandboxes) must not break ptrace_traceme, which is setup, not the
    /// program.
    #[test]
    fn seccomp_filter_does_not_block_ptrace_traceme() {
        let _guard = common::shared();
        const NR_PTRACE: u32 = 101;
        let result = Command::new("true")
            .seccomp_filter(filter(&[NR_PTRACE], RET_ERRNO | EPERM as u32))
            .no_new_privs(true)
            .ptrace_traceme(true)
            .spawn();
        let mut child = match result {
            Ok(child) => child,
            Err(err) => panic!(
                "the filter blocked the setup: {err} (step {:?})",
                err.step()
            ),
        };
        let pid = child.id() as i32;
        let mut status = 0;
        // SAFETY: waits for, then detaches, our own child.
        unsafe {
            assert_eq!(libc::waitpid(pid, &mut status, libc::__WALL), pid);
            if libc::WIFSTOPPED(status) {
                libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0);
            }
        }
        assert!(libc::WIFSTOPPED(status), "no stop at exec: {status:#x}");
        assert_eq!(libc::WSTOPSIG(status), libc::SIGTRAP);
        assert!(child.wait().unwrap().success());
    }

    /// TSYNC and LOG are accepted and the filter is installed.
    #[test]
    fn seccomp_flags_tsync_log() {
        let _guard = common::shared();
        let text = stdout_of(
            Command::new("cat")
                .arg("/proc/self/status")
                .seccomp_filter(filter(&[NR_MKDIR], RET_ERRNO | EPERM as u32))
                .seccomp_flags(SeccompFlags::TSYNC | SeccompFlags::LOG)
                .no_new_privs(true),
        );
        assert_eq!(status_dec(&text, "Seccomp"), 2, "{text}");
    }

    /// Without no_new_privs and without CAP_SYS_ADMIN (uid 65534 after the
    /// uid change), the kernel refuses the filter: Step::Seccomp, EACCES.
    /// With no_new_privs the same spawn works.
    #[test]
    fn seccomp_without_privilege_fails_at_its_step() {
        let _guard = common::shared();
        if common::skip_unless_root("seccomp_without_privilege_fails_at_its_step") {
            return;
        }
        let err = Command::new("true")
            .uid(NOBODY)
            .gid(NOBODY)
            .seccomp_filter(deny_mkdir())
            .spawn()
            .map(|mut c| c.wait())
            .expect_err("seccomp should need CAP_SYS_ADMIN or no_new_privs");
        assert_eq!(err.step(), Some(Step::Seccomp), "{err}");
        assert_eq!(err.raw_os_error(), Some(EACCES), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("\"true\"") && text.contains("seccomp"),
            "{text}"
        );
        assert!(text.contains("EACCES"), "{text}");

        let status = Command::new("true")
            .uid(NOBODY)
            .gid(NOBODY)
            .seccomp_filter(deny_mkdir())
            .no_new_privs(true)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

// ---------------------------------------------------------------------
// Session keyring

#[test]
fn new_session_keyring_differs_from_inherited() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "new_session_keyring_differs_from_inherited",
        "re-runs this test binary as a helper (ENOEXEC for a foreign-architecture binary), and keyctl is not implemented (ENOSYS)",
    ) {
        return;
    }
    let id = |new: bool| {
        let out = stdout_of(
            helper_command(&helper_test(), HELPER_ENV, "keyring").new_session_keyring(new),
        );
        reported(&out, "KEYRING")
            .map(|id| id.parse::<i64>().unwrap())
            .ok_or(out)
    };
    let inherited_a = match id(false) {
        Ok(id) => id,
        Err(out) => {
            // Not `reported`: a helper that did not run at all (a wrong
            // test name given to --exact) must not pass as a skip.
            let why = must_report(&out, "KEYRING_ERROR");
            common::skip(
                "new_session_keyring_differs_from_inherited",
                format_args!("keyctl fails: {why:?}"),
            );
            return;
        }
    };
    let id = |new| id(new).unwrap_or_else(|out| panic!("helper output:\n{out}"));
    let inherited_b = id(false);
    assert_eq!(
        inherited_a, inherited_b,
        "without new_session_keyring, children share the caller's session keyring"
    );
    let fresh_a = id(true);
    let fresh_b = id(true);
    assert_ne!(
        fresh_a, inherited_a,
        "new_session_keyring(true) kept the caller's keyring"
    );
    assert_ne!(fresh_a, fresh_b, "two fresh session keyrings should differ");
}

/// A fresh session keyring given to a child that changes uid is usable by
/// it: the child can add a key to it.
#[test]
fn new_session_keyring_usable_after_uid_change() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "new_session_keyring_usable_after_uid_change",
        "keyctl is not implemented (ENOSYS), and the helper is a copy of this test binary (ENOEXEC for a foreign-architecture binary)",
    ) {
        return;
    }
    if common::skip_unless_root("new_session_keyring_usable_after_uid_change") {
        return;
    }
    let copy = SelfCopy::new();
    let out = stdout_of(
        copy.command(&helper_test(), HELPER_ENV, "keyring_add")
            .uid(NOBODY)
            .gid(NOBODY)
            .new_session_keyring(true),
    );
    assert!(reported(&out, "ADDED").is_some(), "{out}");
}

// ---------------------------------------------------------------------
// Refusals in prepare()

/// `prepare()` refuses `cmd` before any process exists, with a message
/// naming the program and containing each of `words` (case-insensitive).
fn assert_refused(cmd: &Command, words: &[&str]) {
    let err = match cmd.prepare() {
        Ok(_) => panic!("prepare() accepted {cmd:?}"),
        Err(err) => err,
    };
    assert_eq!(err.step(), None, "{err}");
    assert!(err.is_invalid_input(), "{err}");
    assert_eq!(err.raw_os_error(), None, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("\"true\""),
        "message does not name the program: {text}"
    );
    for word in words {
        assert!(
            text.to_lowercase().contains(&word.to_lowercase()),
            "message does not mention {word:?}: {text}"
        );
    }
}

/// A capability number the running kernel does not know.
fn unknown_capability() -> Option<Capability> {
    let last: u8 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Capability::new(60.max(last + 1))
}

#[test]
fn unknown_capability_refused() {
    let _guard = common::shared();
    let Some(bad) = unknown_capability() else {
        common::skip(
            "unknown_capability_refused",
            "the kernel knows all 64 capabilities",
        );
        return;
    };
    let n = bad.as_raw().to_string();
    assert_refused(
        Command::new("true").ambient_caps([bad]),
        &["ambient", "capabilit", &n],
    );
    assert_refused(
        Command::new("true").bounding_set([Capability::CHOWN, bad]),
        &["bounding", "capabilit", &n],
    );
    let with_bad = mask(&[Capability::CHOWN, bad]);
    let good = mask(&[Capability::CHOWN]);
    for (sets, word) in [
        (
            CapSet {
                permitted: with_bad,
                inheritable: good,
                effective: good,
            },
            "permitted",
        ),
        (
            CapSet {
                permitted: good,
                inheritable: with_bad,
                effective: good,
            },
            "inheritable",
        ),
        (
            CapSet {
                permitted: with_bad,
                inheritable: good,
                effective: with_bad,
            },
            "capabilit",
        ),
    ] {
        assert_refused(Command::new("true").capabilities(sets), &[word, &n]);
    }
}

#[test]
fn effective_outside_permitted_refused() {
    let _guard = common::shared();
    assert_refused(
        Command::new("true").capabilities(CapSet {
            permitted: mask(&[Capability::CHOWN]),
            inheritable: CapMask::EMPTY,
            effective: mask(&[Capability::CHOWN, Capability::KILL]),
        }),
        &["effective", "permitted", "cap_kill"],
    );
}

#[test]
fn ambient_outside_capset_refused() {
    let _guard = common::shared();
    let chown = mask(&[Capability::CHOWN]);
    assert_refused(
        Command::new("true")
            .capabilities(CapSet {
                permitted: chown,
                inheritable: CapMask::EMPTY,
                effective: chown,
            })
            .ambient_caps([Capability::CHOWN]),
        &["ambient", "cap_chown"],
    );
}

#[test]
fn seccomp_filter_size_refused() {
    let _guard = common::shared();
    let allow = SockFilter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: 0x7fff_0000,
    };
    assert_refused(
        Command::new("true").seccomp_filter(Vec::new()),
        &["seccomp", "empty"],
    );
    assert_refused(
        Command::new("true").seccomp_filter(vec![allow; 4097]),
        &["seccomp", "4097", "4096"],
    );
    assert!(
        Command::new("true")
            .seccomp_filter(vec![allow; 4096])
            .prepare()
            .is_ok(),
        "4096 instructions is the kernel's maximum, not above it"
    );
}
