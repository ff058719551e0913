//! The child routine performs no heap allocation (DESIGN.md, non-negotiable
//! 1).
//!
//! How: this test binary's global allocator records, for every call
//! (alloc, alloc_zeroed, realloc, dealloc) from any thread, the pid the
//! *kernel* reports (a raw `getpid` syscall, not libc's cached value). The
//! child runs in our address space (`CLONE_VM`), so a call it makes runs
//! this very allocator and bumps the same counter, with the child's pid.
//! Any call whose pid is not the test process's is a child allocation.
//!
//! The detector is itself tested: `detector_sees_an_allocation_in_a_clone_vm_child`
//! starts a `CLONE_VM | CLONE_VFORK` child (libc `clone`) that allocates
//! a Box, and checks the counter moved. Without that, a broken detector
//! (wrong pid source, allocator not installed) would make the real test
//! pass vacuously.
//!
//! Both tests hold `LOCK`, so the detector test's deliberate child
//! allocation never lands inside the real test's measurement. Alone in
//! their binary: a global allocator is the whole binary's, and every other
//! test's `CLONE_VM` children would count too.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use clonexec::{Capability, Command, Resource, Signal, Stdio};

struct PidCheckingAllocator;

/// The test process's pid, once a test has recorded it (0 before).
static PARENT_PID: AtomicI32 = AtomicI32::new(0);
/// Allocator calls made by another process sharing our memory.
static FOREIGN_CALLS: AtomicUsize = AtomicUsize::new(0);
/// Allocator calls made by the test process (sanity: the allocator runs).
static OWN_CALLS: AtomicUsize = AtomicUsize::new(0);

fn raw_getpid() -> i32 {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) as i32 }
}

fn record() {
    let parent = PARENT_PID.load(Ordering::SeqCst);
    if parent == 0 {
        return;
    }
    if raw_getpid() == parent {
        OWN_CALLS.fetch_add(1, Ordering::SeqCst);
    } else {
        FOREIGN_CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for PidCheckingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record();
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: PidCheckingAllocator = PidCheckingAllocator;

static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start_recording() {
    PARENT_PID.store(raw_getpid(), Ordering::SeqCst);
}

/// The body of the detector's child: allocate and free, then return
/// (glibc's clone then calls exit).
extern "C" fn allocating_child(_: *mut libc::c_void) -> libc::c_int {
    let boxed = Box::new([7u8; 48]);
    std::hint::black_box(&boxed);
    drop(boxed);
    0
}

#[test]
fn detector_sees_an_allocation_in_a_clone_vm_child() {
    if common::skip_under_qemu(
        "detector_sees_an_allocation_in_a_clone_vm_child",
        "a control that needs a CLONE_VM|CLONE_VFORK child to share our memory, but vfork runs as a fork",
    ) {
        return;
    }
    let _lock = common::lock(&LOCK);
    start_recording();
    let own_before = OWN_CALLS.load(Ordering::SeqCst);
    let mut stack = vec![0u8; 256 * 1024];
    assert!(
        OWN_CALLS.load(Ordering::SeqCst) > own_before,
        "allocator not installed"
    );

    let foreign_before = FOREIGN_CALLS.load(Ordering::SeqCst);
    let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
    // SAFETY: the child runs on `stack` (alive until after waitpid), shares
    // our memory, and the parent is suspended (CLONE_VFORK) until it exits.
    let pid = unsafe {
        libc::clone(
            allocating_child,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::null_mut(),
        )
    };
    assert!(pid > 0, "clone: {}", std::io::Error::last_os_error());
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer; pid is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    let seen = FOREIGN_CALLS.load(Ordering::SeqCst) - foreign_before;
    assert!(
        seen >= 2,
        "the detector missed the child's alloc+dealloc (saw {seen})"
    );
    drop(stack);
}

/// Spawns `cmd` (which must succeed and exit 0, unless `expect_failure`).
fn exercise(cmd: &mut Command, expect_failure: bool) {
    let prepared = cmd.prepare().unwrap();
    for _ in 0..5 {
        match prepared.spawn() {
            Ok(child) => {
                assert!(!expect_failure, "{cmd:?} should fail");
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success(), "{cmd:?}: {:?}", out.status);
            }
            Err(err) => assert!(expect_failure, "{cmd:?}: {err}"),
        }
    }
}

#[test]
fn child_routine_never_allocates() {
    let _lock = common::lock(&LOCK);
    start_recording();
    if !common::is_root() {
        common::skip(
            "the uid/gid/groups/capability combinations of child_routine_never_allocates",
            "needs root (euid 0)",
        );
    }
    let before = FOREIGN_CALLS.load(Ordering::SeqCst);

    // Minimal.
    exercise(&mut Command::new("true"), false);

    // Many attributes at once.
    let (_r1, w1) = common::pipe();
    let (_r2, w2) = common::pipe();
    let free = common::lowest_free_fds(2);
    let mut many = Command::new("sh");
    many.args(["-c", "exit 0", "a", "b"])
        .arg0("renamed")
        .env("A", "1")
        .env_remove("HOME")
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A swap between the copies prepare() makes (see
        // tests/process/fd_mapping.rs).
        .fd(free[1], w1)
        .fd(free[0], w2)
        .close_other_fds(true)
        .setsid(true)
        .pdeathsig(Signal::TERM)
        .create_pidfd(true)
        .rlimit(Resource::NOFILE, 512, 1024)
        .rlimit(Resource::CORE, 0, 0)
        .oom_score_adj(500)
        .no_new_privs(true);
    if common::is_root() {
        many.uid(65534)
            .gid(65534)
            .groups(&[65534, 100])
            .ambient_caps([Capability::NET_BIND_SERVICE, Capability::NET_RAW]);
    }
    exercise(&mut many, false);

    // Process group, kept groups, a cleared environment (default PATH).
    let mut other = Command::new("true");
    other.process_group(0).env_clear().env("X", "y");
    if common::is_root() {
        other.uid(1234).keep_groups(true);
    }
    exercise(&mut other, false);

    // Failures at several steps, with attributes applied before them.
    let mut bad_cwd = Command::new("true");
    bad_cwd.current_dir("/nonexistent").setsid(true);
    if common::is_root() {
        bad_cwd.uid(65534).gid(65534);
    }
    exercise(&mut bad_cwd, true);

    let path: String = (0..20)
        .map(|i| format!("/nonexistent/{i}"))
        .collect::<Vec<_>>()
        .join(":");
    let (_r3, w3) = common::pipe();
    exercise(
        Command::new("clonexec-missing")
            .env("PATH", path)
            .fd(4, w3)
            .close_other_fds(true)
            .stdout(Stdio::piped()),
        true,
    );
    exercise(&mut Command::new("/etc/passwd"), true); // EACCES
    exercise(Command::new("true").process_group(i32::MAX), true); // EPERM

    let after = FOREIGN_CALLS.load(Ordering::SeqCst);
    assert_eq!(
        after - before,
        0,
        "the child routine called the allocator {} times",
        after - before
    );
}
