//! uid, gid, supplementary groups and ambient capabilities, as the child
//! sees them in /proc/self/status; and what a credential-changing spawn must
//! not do to the parent (dumpable flag, signal handlers).
//!
//! These need root; without it they say so and pass. Every test holds
//! `common::exclusive()`: some change the test process's own supplementary
//! groups or its SIGUSR1 handler, and the dumpable checks must not overlap
//! another test's credential-changing spawn (the library keeps the flag
//! cleared while any such spawn is in flight, privileges.rs makes many).

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};

use clonexec::{Capability, Command};
use common::{child_status, skip_unless_root, status_field, status_hex};

const NOBODY: u32 = 65534;

fn groups_of(status: &str) -> Vec<u32> {
    let mut groups: Vec<u32> = status_field(status, "Groups")
        .expect("Groups: line")
        .split_whitespace()
        .map(|g| g.parse().unwrap())
        .collect();
    groups.sort_unstable();
    groups
}

/// Gives the test process these supplementary groups for the duration of
/// `f` (restoring the old ones after), so that "kept" and "cleared" can be
/// told apart.
fn with_parent_groups<R>(groups: &[u32], f: impl FnOnce() -> R) -> R {
    // SAFETY: getgroups with size 0 only returns the count.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    assert!(n >= 0);
    let mut old = vec![0 as libc::gid_t; n as usize];
    // SAFETY: `old` has room for n groups.
    let n = unsafe { libc::getgroups(n, old.as_mut_ptr()) };
    assert!(n >= 0);
    old.truncate(n as usize);
    // SAFETY: the pointer and length describe a valid slice (glibc applies
    // this to every thread of the process).
    assert_eq!(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) }, 0);
    struct Restore(Vec<libc::gid_t>);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: as above.
            unsafe { libc::setgroups(self.0.len(), self.0.as_ptr()) };
        }
    }
    let _restore = Restore(old);
    f()
}

#[test]
fn uid_and_gid_are_set_for_real_effective_and_saved() {
    let _guard = common::exclusive();
    if skip_unless_root("uid_and_gid_are_set_for_real_effective_and_saved") {
        return;
    }
    let status = child_status(Command::new("cat").uid(NOBODY).gid(NOBODY));
    assert_eq!(
        status_field(&status, "Uid"),
        Some("65534\t65534\t65534\t65534")
    );
    assert_eq!(
        status_field(&status, "Gid"),
        Some("65534\t65534\t65534\t65534")
    );

    // uid alone keeps the gid; gid alone keeps the uid.
    let status = child_status(Command::new("cat").uid(4321));
    assert_eq!(status_field(&status, "Uid"), Some("4321\t4321\t4321\t4321"));
    assert_eq!(status_field(&status, "Gid"), Some("0\t0\t0\t0"));
    let status = child_status(Command::new("cat").gid(4321));
    assert_eq!(status_field(&status, "Uid"), Some("0\t0\t0\t0"));
    assert_eq!(status_field(&status, "Gid"), Some("4321\t4321\t4321\t4321"));
}

#[test]
fn groups_are_cleared_when_only_uid_and_gid_are_set() {
    let _guard = common::exclusive();
    if skip_unless_root("groups_are_cleared_when_only_uid_and_gid_are_set") {
        return;
    }
    with_parent_groups(&[4242, 4343], || {
        // Sanity: without credentials the child has the parent's groups.
        let status = child_status(&mut Command::new("cat"));
        assert_eq!(groups_of(&status), [4242, 4343]);

        let status = child_status(Command::new("cat").uid(NOBODY).gid(NOBODY));
        assert_eq!(groups_of(&status), Vec::<u32>::new(), "{status}");
        let status = child_status(Command::new("cat").gid(NOBODY));
        assert_eq!(groups_of(&status), Vec::<u32>::new(), "{status}");
    });
}

#[test]
fn keep_groups_keeps_the_callers_groups() {
    let _guard = common::exclusive();
    if skip_unless_root("keep_groups_keeps_the_callers_groups") {
        return;
    }
    with_parent_groups(&[4242, 4343], || {
        let status = child_status(
            Command::new("cat")
                .uid(NOBODY)
                .gid(NOBODY)
                .keep_groups(true),
        );
        assert_eq!(groups_of(&status), [4242, 4343], "{status}");
        assert_eq!(
            status_field(&status, "Uid"),
            Some("65534\t65534\t65534\t65534")
        );
    });
}

#[test]
fn explicit_groups_are_set() {
    let _guard = common::exclusive();
    if skip_unless_root("explicit_groups_are_set") {
        return;
    }
    with_parent_groups(&[4242], || {
        let status = child_status(
            Command::new("cat")
                .uid(NOBODY)
                .gid(NOBODY)
                .groups(&[1, 2, 3000]),
        );
        assert_eq!(groups_of(&status), [1, 2, 3000], "{status}");
        // Groups alone (no uid/gid change) work too.
        let status = child_status(Command::new("cat").groups(&[7]));
        assert_eq!(groups_of(&status), [7]);
        // An empty list clears them.
        let status = child_status(Command::new("cat").groups(&[]));
        assert_eq!(groups_of(&status), Vec::<u32>::new());
    });
}

#[test]
fn prepare_refuses_groups_with_keep_groups() {
    let _guard = common::exclusive();
    let err = Command::new("true")
        .groups(&[1])
        .keep_groups(true)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.is_invalid_input());
    let text = err.to_string();
    assert!(
        text.starts_with("spawning \"true\": ") && text.contains("keep_groups"),
        "{text}"
    );
}

#[test]
fn ambient_caps_survive_a_uid_change() {
    let _guard = common::exclusive();
    if skip_unless_root("ambient_caps_survive_a_uid_change") {
        return;
    }
    let bit = 1u64 << Capability::NET_BIND_SERVICE.as_raw();
    assert_eq!(bit, 1 << 10);
    let status = child_status(
        Command::new("cat")
            .uid(NOBODY)
            .gid(NOBODY)
            .ambient_caps([Capability::NET_BIND_SERVICE]),
    );
    assert_eq!(
        status_field(&status, "Uid"),
        Some("65534\t65534\t65534\t65534")
    );
    assert_eq!(status_hex(&status, "CapAmb"), bit, "{status}");
    assert_eq!(status_hex(&status, "CapEff"), bit, "{status}");
    assert_eq!(status_hex(&status, "CapPrm"), bit, "{status}");
    assert_eq!(status_hex(&status, "CapInh") & bit, bit, "{status}");

    // Without ambient caps, nobody has no capabilities at all.
    let status = child_status(Command::new("cat").uid(NOBODY).gid(NOBODY));
    assert_eq!(status_hex(&status, "CapAmb"), 0);
    assert_eq!(status_hex(&status, "CapEff"), 0);
    assert_eq!(status_hex(&status, "CapPrm"), 0);
}

#[test]
fn several_ambient_caps_are_raised() {
    let _guard = common::exclusive();
    if skip_unless_root("several_ambient_caps_are_raised") {
        return;
    }
    let caps = [
        Capability::NET_BIND_SERVICE,
        Capability::NET_RAW,
        Capability::CHOWN,
    ];
    let mask = caps.iter().fold(0u64, |m, c| m | 1 << c.as_raw());
    let status = child_status(
        Command::new("cat")
            .uid(NOBODY)
            .gid(NOBODY)
            .ambient_caps(caps),
    );
    assert_eq!(status_hex(&status, "CapAmb"), mask, "{status}");
    assert_eq!(status_hex(&status, "CapEff"), mask, "{status}");
}

static USR1_HITS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_usr1(_: libc::c_int) {
    USR1_HITS.fetch_add(1, Ordering::SeqCst);
}

fn current_usr1_action() -> libc::sigaction {
    // SAFETY: a zeroed sigaction is a valid out-buffer.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying only (null new action).
    assert_eq!(
        unsafe { libc::sigaction(libc::SIGUSR1, std::ptr::null(), &mut old) },
        0
    );
    old
}

fn thread_mask() -> libc::sigset_t {
    // SAFETY: a zeroed sigset is a valid out-buffer; query only.
    unsafe {
        let mut mask: libc::sigset_t = std::mem::zeroed();
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut mask),
            0
        );
        mask
    }
}

fn usr2_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise the set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        set
    }
}

fn block_usr2_and_get_mask() -> libc::sigset_t {
    let set = usr2_set();
    // SAFETY: valid set pointer, no old-set pointer.
    assert_eq!(
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) },
        0
    );
    thread_mask()
}

fn unblock_usr2() {
    let set = usr2_set();
    // SAFETY: valid set pointer, no old-set pointer.
    unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
}

fn sigset_eq(a: &libc::sigset_t, b: &libc::sigset_t) -> bool {
    // SAFETY: sigismember reads initialised sets.
    (1..=64).all(|sig| unsafe { libc::sigismember(a, sig) == libc::sigismember(b, sig) })
}

fn true_with(f: impl FnOnce(&mut Command) -> &mut Command) -> Command {
    let mut cmd = Command::new("true");
    f(&mut cmd);
    cmd
}

fn dumpable() -> i32 {
    // SAFETY: PR_GET_DUMPABLE takes no pointer.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }
}

#[test]
fn uid_change_leaves_parent_dumpable_flag_and_signal_handler_alone() {
    let _guard = common::exclusive();
    if skip_unless_root("uid_change_leaves_parent_dumpable_flag_and_signal_handler_alone") {
        return;
    }
    // SAFETY: installs a handler that only touches an atomic; sa_mask
    // empty; the struct is fully initialised.
    let previous = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(libc::SIGUSR1, &action, &mut previous), 0);
        previous
    };
    let dumpable_before = dumpable();
    assert_eq!(dumpable_before, 1, "the test process starts dumpable");
    let installed = current_usr1_action();
    // Also block one signal in this thread: spawn blocks everything around
    // the clone and must restore exactly this mask.
    let mask_before = block_usr2_and_get_mask();

    let cmds = [
        true_with(|c| c.uid(NOBODY).gid(NOBODY)),
        true_with(|c| c.uid(NOBODY)),
        true_with(|c| c.gid(NOBODY).groups(&[5])),
        true_with(|c| {
            c.uid(NOBODY)
                .gid(NOBODY)
                .ambient_caps([Capability::NET_BIND_SERVICE])
        }),
        // A spawn that fails after the uid change.
        true_with(|c| c.uid(NOBODY).current_dir("/nonexistent")),
    ];
    for mut cmd in cmds {
        let result = cmd.status();
        assert_eq!(dumpable(), dumpable_before, "after {cmd:?}: {result:?}");
    }

    let mask_after = thread_mask();
    unblock_usr2();
    assert!(
        sigset_eq(&mask_before, &mask_after),
        "the thread's signal mask changed"
    );

    let after = current_usr1_action();
    assert_eq!(after.sa_sigaction, installed.sa_sigaction);
    assert_eq!(after.sa_flags, installed.sa_flags);
    assert_eq!(USR1_HITS.load(Ordering::SeqCst), 0, "no handler ran");
    // The handler still works in the parent.
    // SAFETY: raise sends to this thread; the handler is async-signal-safe.
    assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
    assert_eq!(USR1_HITS.load(Ordering::SeqCst), 1);

    // SAFETY: restores the previous disposition.
    unsafe { libc::sigaction(libc::SIGUSR1, &previous, std::ptr::null_mut()) };
}

#[test]
fn cwd_is_checked_after_the_uid_change() {
    let _guard = common::exclusive();
    if skip_unless_root("cwd_is_checked_after_the_uid_change") {
        return;
    }
    let dir = common::TempDir::new("private-cwd");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    // Root may enter it...
    assert!(
        Command::new("true")
            .current_dir(dir.path())
            .status()
            .unwrap()
            .success()
    );
    // ...nobody may not: chdir runs as the new user. (Root's
    // CAP_DAC_OVERRIDE would let it in if chdir came first.)
    let err = Command::new("true")
        .uid(NOBODY)
        .gid(NOBODY)
        .current_dir(dir.path())
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(clonexec::Step::Chdir));
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
}

extern "C" fn setresuid_child(_: *mut libc::c_void) -> libc::c_int {
    // SAFETY: a raw syscall with integer arguments.
    unsafe { libc::syscall(libc::SYS_setresuid, NOBODY, NOBODY, NOBODY) };
    0
}

#[test]
fn control_a_clone_vm_uid_change_does_clear_the_parent_dumpable_flag() {
    let _guard = common::exclusive();
    if common::skip_under_qemu(
        "control_a_clone_vm_uid_change_does_clear_the_parent_dumpable_flag",
        "a control that needs a CLONE_VM|CLONE_VFORK child to share our memory, but vfork runs as a fork",
    ) {
        return;
    }
    // Shows the dumpable check above can fail: a plain CLONE_VM child that
    // changes its uid marks the shared mm (so the parent) non-dumpable
    // (ANCHORS trap 3). The library must save and restore the flag.
    if skip_unless_root("control_a_clone_vm_uid_change_does_clear_the_parent_dumpable_flag") {
        return;
    }
    assert_eq!(dumpable(), 1);
    let mut stack = vec![0u8; 256 * 1024];
    let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
    // SAFETY: the child runs on `stack` (alive until after waitpid) and
    // only makes one raw syscall; the parent is suspended until it exits.
    let pid = unsafe {
        libc::clone(
            setresuid_child,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::null_mut(),
        )
    };
    assert!(pid > 0);
    let mut status = 0;
    // SAFETY: valid out-pointer; pid is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    let after = dumpable();
    // SAFETY: PR_SET_DUMPABLE takes an integer.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) };
    drop(stack);
    assert_eq!(
        after, 0,
        "the kernel did not clear the shared mm's dumpable flag"
    );
    assert_eq!(dumpable(), 1);
}
