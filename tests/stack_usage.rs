//! How much of its 256 KiB stack the child routine really uses (its
//! high-water mark), for a light and a heavy attribute combination, with and
//! without the pid-1 init. Prints the numbers and fails when the routine
//! uses more than half of the stack it gets (a regression guard).
//!
//! The stack is a fresh anonymous mapping of ours (`CLONE_VM`), so a page
//! of it is present exactly when the child has touched it. The trick is to
//! look while the child still has it: the command gets a seccomp filter
//! (its very last step) that hands the child's `execve` to a user-space
//! supervisor (`SECCOMP_RET_USER_NOTIF`). While the spawning thread waits in
//! `spawn()` (vfork), another thread takes the listener from the child
//! (`pidfd_getfd`), receives the notification — the child is now blocked
//! at the start of `execve`, past every other step — reads
//! `/proc/self/pagemap` over the stack mapping, and lets the `execve`
//! continue.
//!
//! Needs root (seccomp without no_new_privs, pidfd_getfd, uid changes,
//! namespaces).
//!
//! Alone in its binary: before each spawn it empties every stack-shaped
//! mapping of this process (`MADV_DONTNEED`), which would pull the stack
//! from under another test's child, and it expects exactly one of them to
//! be touched; and CI runs it by name in a release build
//! (`cargo test --release --test stack_usage`).

mod common;

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clonexec::{
    CapMask, CapSet, Capability, Command, Mount, Namespaces, Resource, SeccompFlags, SigSet,
    Signal, SockFilter, Stdio,
};

const KIB: usize = 1024;
/// `STACK_SIZE` in src/clone.rs.
const STACK_SIZE: usize = 64 * KIB;
const SECCOMP_FILTER_FLAG_NEW_LISTENER: u32 = 1 << 3;
const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

/// Allow everything but `execve`, which goes to the supervisor.
fn notify_on_execve() -> Vec<SockFilter> {
    let ld_nr = SockFilter {
        code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
        jt: 0,
        jf: 0,
        k: 0, // offsetof(struct seccomp_data, nr)
    };
    let is_execve = SockFilter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt: 0,
        jf: 1,
        k: libc::SYS_execve as u32,
    };
    let ret = |k| SockFilter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k,
    };
    vec![
        ld_nr,
        is_execve,
        ret(SECCOMP_RET_USER_NOTIF),
        ret(SECCOMP_RET_ALLOW),
    ]
}

/// `(start, end)` of every mapping shaped like a child stack: anonymous,
/// read-write, `STACK_SIZE` bytes, right above a one-page `PROT_NONE`
/// guard. The library may keep such stacks cached between spawns.
fn stack_candidates() -> Vec<(usize, usize)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut found = Vec::new();
    let mut previous: Option<(usize, usize, String)> = None;
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            continue;
        };
        // Anonymous: nothing after offset, device and inode.
        let anonymous = parts.nth(3).is_none();
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (a, b) = (
            usize::from_str_radix(a, 16).unwrap(),
            usize::from_str_radix(b, 16).unwrap(),
        );
        if let Some((pa, pb, pperms)) = &previous
            && perms == "rw-p"
            && anonymous
            && b - a == STACK_SIZE
            && *pb == a
            && pb - pa == 4096
            && pperms == "---p"
        {
            found.push((a, b));
        }
        previous = Some((a, b, perms.to_string()));
    }
    found
}

/// Drops the pages of every stack-shaped mapping (cached stacks nobody
/// runs on), so that the next spawn starts from untouched pages.
fn forget_stack_pages() {
    for (a, b) in stack_candidates() {
        // SAFETY: an idle cached stack holds no data anyone reads again;
        // MADV_DONTNEED makes its pages zero-fill-on-demand.
        let rc = unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_DONTNEED) };
        assert_eq!(rc, 0, "madvise: {}", std::io::Error::last_os_error());
    }
}

/// The child's stack among the stack-shaped mappings: the one with
/// present pages (the others were emptied before the spawn).
fn find_stack() -> Result<((usize, usize), Vec<u8>), String> {
    let used: Vec<_> = stack_candidates()
        .into_iter()
        .map(|(a, b)| ((a, b), present_pages(a, b)))
        .filter(|(_, pages)| !pages.is_empty())
        .collect();
    match used.as_slice() {
        [((a, b), _)] => {
            // Through /proc/self/mem: a plain copy of memory the child may
            // still be writing would be a data race.
            let mem = std::fs::File::open("/proc/self/mem").unwrap();
            let mut bytes = vec![0u8; b - a];
            mem.read_exact_at(&mut bytes, *a as u64).unwrap();
            Ok(((*a, *b), bytes))
        }
        _ => Err(format!(
            "expected one touched {STACK_SIZE}-byte stack mapping, found {used:x?}"
        )),
    }
}

/// Which pages of `[start, end)` are present, lowest first.
fn present_pages(start: usize, end: usize) -> Vec<usize> {
    let page = 4096;
    let pagemap = std::fs::File::open("/proc/self/pagemap").unwrap();
    let count = (end - start) / page;
    let mut raw = vec![0u8; count * 8];
    pagemap
        .read_exact_at(&mut raw, (start / page * 8) as u64)
        .unwrap();
    (0..count)
        .filter(|i| {
            let entry = u64::from_ne_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap());
            entry & (1 << 63) != 0 // present
        })
        .map(|i| start + i * page)
        .collect()
}

/// Descendants of `pid` (children of all its threads), recursively.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return found;
    };
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            found.push(child);
            found.extend(descendants(child));
        }
    }
    found
}

/// The process (among our descendants) holding a seccomp listener, and the
/// listener's fd number there.
fn find_listener() -> Option<(u32, i32)> {
    for pid in descendants(std::process::id()) {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            if target.to_string_lossy().contains("seccomp notify") {
                return Some((pid, fd.file_name().to_str()?.parse().ok()?));
            }
        }
    }
    None
}

/// Waits for the child's `execve` notification, measures, lets it go.
/// Returns the child's stack mapping and its contents at that moment.
fn supervise() -> ((usize, usize), Vec<u8>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let (pid, target_fd) = loop {
        if let Some(found) = find_listener() {
            break found;
        }
        assert!(Instant::now() < deadline, "no seccomp listener appeared");
        std::thread::sleep(Duration::from_millis(1));
    };
    // SAFETY: plain syscalls; each returns a new fd we own or -1.
    let listener = unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
        assert!(
            pidfd >= 0,
            "pidfd_open: {}",
            std::io::Error::last_os_error()
        );
        let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
        let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), target_fd, 0);
        assert!(fd >= 0, "pidfd_getfd: {}", std::io::Error::last_os_error());
        OwnedFd::from_raw_fd(fd as i32)
    };
    // SAFETY: zeroed seccomp_notif is what NOTIF_RECV wants.
    let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: the ioctl fills `notif`.
    let rc = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            &mut notif,
        )
    };
    assert_eq!(rc, 0, "NOTIF_RECV: {}", std::io::Error::last_os_error());
    // The casts are needed where libc's constants are wider (x86_64).
    #[allow(clippy::unnecessary_cast)]
    let execve_nr = libc::SYS_execve as i32;
    assert_eq!(notif.data.nr, execve_nr);

    // The child sits at the start of execve: its stack is still ours.
    // Measure without panicking (the child must be released whatever
    // happens, or the spawning thread waits for ever).
    let measured = find_stack();

    #[allow(clippy::unnecessary_cast)]
    let resp = libc::seccomp_notif_resp {
        id: notif.id,
        val: 0,
        error: 0,
        flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
    };
    // SAFETY: the ioctl reads `resp`.
    let rc = unsafe { libc::ioctl(listener.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_SEND, &resp) };
    assert_eq!(rc, 0, "NOTIF_SEND: {}", std::io::Error::last_os_error());
    measured.unwrap_or_else(|e| panic!("{e}"))
}

/// Spawns `cmd` (which must end with the notifying filter and exec exactly
/// one path) and returns the stack mapping and its contents.
fn measure(cmd: &mut Command) -> ((usize, usize), Vec<u8>) {
    cmd.seccomp_filter(notify_on_execve())
        .seccomp_flags(SeccompFlags::from_bits_retain(
            SECCOMP_FILTER_FLAG_NEW_LISTENER,
        ))
        .stdout(Stdio::piped());
    let prepared = cmd.prepare().unwrap();
    forget_stack_pages();
    let (tx, rx) = mpsc::channel();
    let result = std::thread::scope(|s| {
        let supervisor = s.spawn(|| {
            let result = supervise();
            tx.send(()).unwrap();
            result
        });
        let spawned = prepared.spawn();
        // If the supervisor failed, the child still waits: kill it below.
        let supervised = rx.recv_timeout(Duration::from_secs(30)).is_ok();
        let mut child = spawned.unwrap();
        if !supervised {
            let _ = child.kill();
        }
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "child: {status}, output {out:?}");
        supervisor.join().unwrap()
    });
    drop(prepared);
    result
}

/// How deep below `top` the child wrote, in bytes: from `top` down to the
/// lowest non-zero byte in `[low, top)` (the pages started zeroed, so this
/// is exact except for zeros written at the very bottom).
fn depth(mem: &[u8], base: usize, low: usize, top: usize) -> usize {
    let slice = &mem[low - base..top - base];
    slice
        .iter()
        .position(|&b| b != 0)
        .map_or(0, |i| slice.len() - i)
}

/// Everything the child routine can do on this machine at once.
fn heavy(dir: &common::TempDir, pid1_init: bool) -> Command {
    let tmp = dir.path().join("tmpfs");
    let bind = dir.path().join("bind");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::create_dir_all(&bind).unwrap();
    let (r1, w1) = common::pipe();
    let (r2, w2) = common::pipe();
    let caps: CapMask = [Capability::NET_BIND_SERVICE, Capability::CHOWN]
        .into_iter()
        .collect();
    let mut cmd = Command::new("/bin/true");
    let mut namespaces = Namespaces::UTS | Namespaces::IPC | Namespaces::NET | Namespaces::MOUNT;
    if pid1_init {
        namespaces |= Namespaces::PID;
    }
    cmd.env_clear()
        .envs((0..64).map(|i| (format!("VAR_{i}"), format!("value {i}"))))
        .fd(3, OwnedFd::from(w2))
        .fd(4, OwnedFd::from(r2))
        .fd(7, OwnedFd::from(r1))
        .fd(12, OwnedFd::from(w1))
        .stdin(Stdio::null())
        .close_other_fds(true)
        .uid(65534)
        .gid(65534)
        .groups(&[65534, 1000, 100])
        .setsid(true)
        .pdeathsig(Signal::TERM)
        .bounding_set([
            Capability::NET_BIND_SERVICE,
            Capability::CHOWN,
            Capability::SETPCAP,
        ])
        .capabilities(CapSet {
            permitted: caps,
            inheritable: caps,
            effective: caps,
        })
        .ambient_caps([Capability::NET_BIND_SERVICE])
        .rlimit(Resource::NOFILE, 512, 512)
        .rlimit(Resource::CORE, 0, 0)
        .rlimit(Resource::CPU, 60, 60)
        .oom_score_adj(100)
        .personality(0)
        .no_controlling_tty(true)
        // The seccomp filter comes after the uid change.
        .no_new_privs(true)
        .signal_mask(SigSet::from_bits(1 << 9))
        .reset_ignored_signals(true)
        .namespaces(namespaces)
        .hostname("stack-usage")
        .domainname("clonexec")
        .loopback_up(true)
        .mount(Mount::tmpfs(&tmp).options("size=1m"))
        // What a sandbox root adds: a /dev, missing parents, a file, and a
        // symlink found already there (compared in a buffer on the stack).
        .mount(Mount::dev(tmp.join("dev")))
        .mount(Mount::dir(tmp.join("a/b/c"), 0o700))
        .mount(Mount::file(tmp.join("a/f"), "data", 0o600))
        .mount(Mount::symlink("b", tmp.join("a/l")))
        .mount(Mount::symlink("b", tmp.join("a/l")))
        .mount(Mount::bind("/usr", &bind).read_only())
        .chroot("/")
        .current_dir("/")
        .pid1_init(pid1_init);
    cmd
}

#[test]
fn child_stack_high_water_mark() {
    if common::skip_under_qemu(
        "child_stack_high_water_mark",
        "needs seccomp user notification (seccomp is not implemented: ENOSYS) and a child that shares our memory (vfork runs as a fork)",
    ) {
        return;
    }
    if common::skip_unless_root("child_stack_high_water_mark") {
        return;
    }
    let dir = common::TempDir::new("stack");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let half = STACK_SIZE / 2;

    let (stack, mem) = measure(&mut Command::new("/bin/true"));
    let light = depth(&mem, stack.0, stack.0, stack.1);
    let (stack, mem) = measure(&mut heavy(&dir, false));
    let heavy_depth = depth(&mem, stack.0, stack.0, stack.1);
    // With the init, the program's setup starts at the middle of the stack
    // and the init keeps the upper half.
    let (stack, mem) = measure(&mut heavy(&dir, true));
    let middle = stack.0 + half;
    let init_depth = depth(&mem, stack.0, middle, stack.1);
    let program_depth = depth(&mem, stack.0, stack.0, middle);

    eprintln!(
        "child stack high-water mark ({profile}, {} KiB stack): light {light} B, \
         heavy {heavy_depth} B; with pid1_init: init half {init_depth} B, \
         program half {program_depth} B",
        STACK_SIZE / KIB,
    );
    for (what, used) in [
        ("light", light),
        ("heavy", heavy_depth),
        ("pid1_init's init", init_depth),
        ("pid1_init's program", program_depth),
    ] {
        assert!(used > 0, "{what}: no page of the stack touched?");
        assert!(
            used <= half / 2,
            "{what}: the child used {} KiB of the {} KiB it has (over half)",
            used / KIB,
            half / KIB
        );
    }
}
