//! Resource limits, oom_score_adj and personality: what the child sees in
//! `/proc/self/limits`, `/proc/self/oom_score_adj`, `/proc/self/personality`,
//! that the parent is left alone, and the checks `prepare()` makes.

use crate::common;

use std::sync::{Mutex, MutexGuard};

use clonexec::{Command, IdMap, Namespaces, Resource, Step};
use common::{assert_success, helper_command, report, reported, stdout_of, unique_temp_path};

/// The oom tests compare this process's oom_score_adj before and after:
/// one at a time.
static OOM: Mutex<()> = Mutex::new(());

fn oom_lock() -> MutexGuard<'static, ()> {
    common::lock(&OOM)
}

const HELPER_ENV: &str = "CLONEXEC_LIMITS_HELPER";
/// The helper test's full name, for `--exact`.
fn helper_test() -> String {
    common::test_name!(limits_helper)
}

const EPERM: i32 = 1;
const EACCES: i32 = 13;

/// The type of `getrlimit`'s resource argument: glibc declares an enum
/// type for it, musl a plain int.
#[cfg(target_env = "gnu")]
type RlimitResource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
type RlimitResource = libc::c_int;

/// This process's (soft, hard) limit, `u64::MAX` for unlimited.
fn own_limit(resource: RlimitResource) -> (u64, u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(unsafe { libc::getrlimit(resource, &mut lim) }, 0);
    (lim.rlim_cur, lim.rlim_max)
}

/// The (soft, hard) columns of one `/proc/PID/limits` row.
fn limits_row<'a>(limits: &'a str, title: &str) -> (&'a str, &'a str) {
    let line = limits
        .lines()
        .find(|l| l.starts_with(title))
        .unwrap_or_else(|| panic!("no {title:?} row in:\n{limits}"));
    let mut cols = line[title.len()..].split_whitespace();
    (cols.next().unwrap(), cols.next().unwrap())
}

fn shown(value: u64) -> String {
    if value == Resource::INFINITY {
        "unlimited".into()
    } else {
        value.to_string()
    }
}

/// Runs in a child (this binary re-executed with `HELPER_ENV` set).
#[test]
#[ignore = "helper: run by other tests in a child process"]
fn limits_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    match mode.as_str() {
        // Our soft NOFILE limit is 100: a child given 1000 can have fd 500.
        "raise_nofile" => {
            assert_eq!(own_limit(libc::RLIMIT_NOFILE).0, 100);
            let null = std::fs::File::open("/dev/null").unwrap();
            let result = Command::new("sh")
                .args(["-c", "test -e /proc/self/fd/500"])
                .rlimit(Resource::NOFILE, 1000, 1000)
                .fd(500, null)
                .status();
            match result {
                Ok(status) => report("STATUS", status),
                Err(err) => report("ERROR", err),
            }
        }
        other => panic!("unknown helper mode {other:?}"),
    }
}

/// `ulimit -n` in the child shows the NOFILE soft limit, `ulimit -Hn` the
/// hard one; the parent's limit does not move.
#[test]
fn nofile_limit_seen_by_shell() {
    let _guard = common::shared();
    let before = own_limit(libc::RLIMIT_NOFILE);
    let hard = before.1.min(4321);
    let soft = hard.min(1234);
    let out = stdout_of(
        Command::new("sh")
            .args(["-c", "ulimit -n; ulimit -Hn"])
            .rlimit(Resource::NOFILE, soft, hard),
    );
    assert_eq!(out, format!("{soft}\n{hard}\n"));
    assert_eq!(
        own_limit(libc::RLIMIT_NOFILE),
        before,
        "the parent's limit changed"
    );
}

/// /proc/self/limits shows soft and hard values for NOFILE and CORE,
/// `Resource::INFINITY` as "unlimited"; setting a resource twice keeps the
/// last values.
#[test]
fn limits_shown_in_proc() {
    let _guard = common::shared();
    let nofile_before = own_limit(libc::RLIMIT_NOFILE);
    let core_before = own_limit(libc::RLIMIT_CORE);
    let fsize_before = own_limit(libc::RLIMIT_FSIZE);
    let nofile = (100.min(nofile_before.1), 200.min(nofile_before.1));
    // Raising a hard limit needs CAP_SYS_RESOURCE: only ask for INFINITY
    // where the parent has it.
    let core_hard = core_before.1;
    let core = (4096.min(core_hard), core_hard);
    let mut cmd = Command::new("cat");
    cmd.arg("/proc/self/limits")
        .rlimit(Resource::NOFILE, 7, 7) // replaced below
        .rlimit(Resource::CORE, core.0, core.1)
        .rlimit(Resource::NOFILE, nofile.0, nofile.1);
    let infinite_fsize = fsize_before.1 == Resource::INFINITY;
    if infinite_fsize {
        cmd.rlimit(Resource::FSIZE, Resource::INFINITY, Resource::INFINITY);
    } else {
        common::skip(
            "the INFINITY check of limits_shown_in_proc",
            "the FSIZE hard limit is finite here",
        );
    }
    let limits = stdout_of(&mut cmd);
    assert_eq!(
        limits_row(&limits, "Max open files"),
        (nofile.0.to_string().as_str(), nofile.1.to_string().as_str()),
        "{limits}"
    );
    assert_eq!(
        limits_row(&limits, "Max core file size"),
        (shown(core.0).as_str(), shown(core.1).as_str()),
        "{limits}"
    );
    if infinite_fsize {
        assert_eq!(
            limits_row(&limits, "Max file size"),
            ("unlimited", "unlimited"),
            "{limits}"
        );
    }
    assert_eq!(own_limit(libc::RLIMIT_NOFILE), nofile_before);
    assert_eq!(own_limit(libc::RLIMIT_CORE), core_before);
}

/// A soft limit of INFINITY under an infinite hard limit, shown as
/// "unlimited" (CORE, whose soft limit is often 0).
#[test]
fn core_limit_infinity() {
    let _guard = common::shared();
    if own_limit(libc::RLIMIT_CORE).1 != Resource::INFINITY {
        common::skip("core_limit_infinity", "the CORE hard limit is finite here");
        return;
    }
    let limits = stdout_of(Command::new("cat").arg("/proc/self/limits").rlimit(
        Resource::CORE,
        Resource::INFINITY,
        Resource::INFINITY,
    ));
    assert_eq!(
        limits_row(&limits, "Max core file size"),
        ("unlimited", "unlimited"),
        "{limits}"
    );
}

/// The kernel refuses a NOFILE hard limit above fs.nr_open (even with
/// CAP_SYS_RESOURCE): the failure is reported as Step::Rlimit with EPERM.
#[test]
fn nofile_above_nr_open_fails_at_rlimit_step() {
    let _guard = common::shared();
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let err = Command::new("true")
        .rlimit(Resource::NOFILE, nr_open + 1, nr_open + 1)
        .spawn()
        .map(|mut c| c.wait())
        .expect_err("prlimit above nr_open should fail");
    assert_eq!(err.step(), Some(Step::Rlimit), "{err}");
    assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
    let text = err.to_string();
    assert!(text.contains("\"true\""), "{text}");
    assert!(text.contains("RLIMIT_NOFILE"), "{text}");
    assert!(text.contains("EPERM"), "{text}");
}

/// fd targets must be below the child's open-file limit. When the command
/// sets RLIMIT_NOFILE itself, that is the limit the fd mapping meets: a
/// target above it is bad input, refused by prepare() (as it refuses
/// targets above the caller's limit) rather than failing in the child as
/// an unexplained "placing child fd 5 failed: EINVAL".
#[test]
fn fd_target_above_the_childs_nofile_limit_refused() {
    let _guard = common::shared();
    let null = std::fs::File::open("/dev/null").unwrap();
    let result = Command::new("true")
        .rlimit(Resource::NOFILE, 4, 4)
        .fd(5, null)
        .spawn()
        .map(|mut c| c.wait());
    let err = result.expect_err("fd 5 cannot exist under RLIMIT_NOFILE 4");
    assert_eq!(err.step(), None, "{err}");
    assert!(err.to_string().contains("RLIMIT_NOFILE"), "{err}");
}

/// The other direction: a caller whose soft limit is 100 may give its
/// child a limit of 1000 and an fd 500 (run in a helper whose soft limit is
/// lowered, so that this process keeps its own).
#[test]
fn fd_target_allowed_by_the_childs_raised_nofile_limit() {
    let _guard = common::shared();
    if common::skip_under_qemu(
        "fd_target_allowed_by_the_childs_raised_nofile_limit",
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let hard = own_limit(libc::RLIMIT_NOFILE).1;
    if hard < 1000 {
        common::skip(
            "fd_target_allowed_by_the_childs_raised_nofile_limit",
            format_args!("the NOFILE hard limit is {hard}, under 1000"),
        );
        return;
    }
    let out = stdout_of(
        helper_command(&helper_test(), HELPER_ENV, "raise_nofile").rlimit(
            Resource::NOFILE,
            100,
            hard,
        ),
    );
    assert_eq!(
        reported(&out, "STATUS").as_deref(),
        Some("exit status: 0"),
        "{out}"
    );
}

#[test]
fn rlimit_soft_above_hard_refused() {
    let _guard = common::shared();
    let err = Command::new("true")
        .rlimit(Resource::NOFILE, 20, 10)
        .prepare()
        .map(|_| ())
        .expect_err("soft > hard accepted");
    assert_eq!(err.step(), None, "{err}");
    assert!(err.is_invalid_input());
    let text = err.to_string();
    assert!(
        text.contains("\"true\"") && text.contains("NOFILE"),
        "{text}"
    );
    // Equal limits are fine.
    assert!(
        Command::new("true")
            .rlimit(Resource::NOFILE, 10, 10)
            .prepare()
            .is_ok()
    );
}

// ---------------------------------------------------------------------
// oom_score_adj

fn own_oom_score_adj() -> String {
    std::fs::read_to_string("/proc/self/oom_score_adj")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn oom_score_adj_raised() {
    let _guard = common::shared();
    let _lock = oom_lock();
    let before = own_oom_score_adj();
    let out = stdout_of(
        Command::new("cat")
            .arg("/proc/self/oom_score_adj")
            .oom_score_adj(500),
    );
    assert_eq!(out, "500\n");
    assert_eq!(
        own_oom_score_adj(),
        before,
        "the parent's oom_score_adj changed"
    );
}

/// A negative value: allowed with CAP_SYS_RESOURCE (or above the inherited
/// minimum); otherwise the kernel answers EACCES and the spawn fails at
/// Step::OomScoreAdj. Which one applies is probed with a plain shell first.
#[test]
fn oom_score_adj_lowered() {
    let _guard = common::shared();
    if common::skip_unless_root("oom_score_adj_lowered") {
        return;
    }
    let _lock = oom_lock();
    let before = own_oom_score_adj();
    let kernel_allows = std::process::Command::new("sh")
        .args(["-c", "echo -100 > /proc/self/oom_score_adj"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    let result = Command::new("cat")
        .arg("/proc/self/oom_score_adj")
        .oom_score_adj(-100)
        .output();
    if kernel_allows {
        let out = result.unwrap();
        assert_success(&out);
        assert_eq!(out.stdout, b"-100\n");
    } else {
        eprintln!("oom_score_adj_lowered: no CAP_SYS_RESOURCE here, expecting EACCES");
        let err = result.expect_err("lowering oom_score_adj should have failed");
        assert_eq!(err.step(), Some(Step::OomScoreAdj), "{err}");
        assert_eq!(err.raw_os_error(), Some(EACCES), "{err}");
        assert!(err.to_string().contains("oom_score_adj"), "{err}");
    }
    assert_eq!(
        own_oom_score_adj(),
        before,
        "the parent's oom_score_adj changed"
    );
}

/// Puts this process's oom_score_adj back when dropped.
struct RestoreOom(String);

impl Drop for RestoreOom {
    fn drop(&mut self) {
        if own_oom_score_adj() != self.0 {
            let _ = std::fs::write("/proc/self/oom_score_adj", &self.0);
        }
    }
}

/// With a user namespace and id maps, the child shares our memory without
/// CLONE_VFORK. The kernel copies an oom_score_adj write to every process
/// sharing the writer's mm unless the writer is a vfork child
/// (`__set_oom_adj`, MMF_MULTIPROCESS): the child's setting must not leak
/// into the parent. prepare() may refuse the combination instead (with a
/// message naming oom_score_adj); what must never happen is the leak.
#[test]
fn oom_score_adj_with_user_namespace_refused_or_contained() {
    let _guard = common::shared();
    if common::skip_unless_root("oom_score_adj_with_user_namespace_refused_or_contained") {
        return;
    }
    let _lock = oom_lock();
    let before = own_oom_score_adj();
    let _restore = RestoreOom(before.clone());
    let mut cmd = Command::new("cat");
    cmd.arg("/proc/self/oom_score_adj")
        .namespaces(Namespaces::USER)
        .uid_map([IdMap::new(0, 0, 1)])
        .gid_map([IdMap::new(0, 0, 1)])
        .oom_score_adj(700);
    match cmd.prepare() {
        Err(err) => {
            assert_eq!(err.step(), None, "{err}");
            assert!(err.to_string().contains("oom_score_adj"), "{err}");
        }
        Ok(_) => {
            assert_eq!(stdout_of(&mut cmd), "700\n");
            assert_eq!(
                own_oom_score_adj(),
                before,
                "the child's oom_score_adj leaked into the parent"
            );
        }
    }
}

/// pid1_init is no way around the refusal above.
#[test]
fn oom_score_adj_with_pid1_init_and_id_maps_is_refused() {
    let _guard = common::shared();
    // The init and its program share our memory without CLONE_VFORK there,
    // like any child with id maps: the write would reach the caller too.
    // (Without id maps the init writes it, see
    // tests/namespaces/pid1_init.rs.)
    let err = Command::new("cat")
        .namespaces(Namespaces::USER | Namespaces::PID)
        .uid_map([IdMap::new(0, 0, 1)])
        .gid_map([IdMap::new(0, 0, 1)])
        .pid1_init(true)
        .oom_score_adj(700)
        .prepare()
        .unwrap_err();
    assert_eq!(err.step(), None);
    assert!(err.to_string().contains("oom_score_adj"), "{err}");
}

/// oom_score_adj is written through /proc/self/oom_score_adj; it must work
/// whatever root the child gets (a chroot without /proc here), as the
/// detach from the terminal does. The spawn then fails only at the exec of
/// a program the empty root does not have.
#[test]
fn oom_score_adj_with_chroot_without_proc() {
    let _guard = common::shared();
    if common::skip_unless_root("oom_score_adj_with_chroot_without_proc") {
        return;
    }
    let _lock = oom_lock();
    let root = unique_temp_path("empty-root");
    std::fs::create_dir(&root).unwrap();
    let result = Command::new("/nothing")
        .chroot(&root)
        .oom_score_adj(500)
        .spawn()
        .map(|mut c| c.wait());
    std::fs::remove_dir(&root).unwrap();
    let err = result.expect_err("there is no /nothing to run");
    assert_eq!(err.step(), Some(Step::Exec), "{err}");
    assert_eq!(err.raw_os_error(), Some(2), "{err}");
}

#[test]
fn oom_score_adj_out_of_range_refused() {
    let _guard = common::shared();
    for bad in [5000, 1001, -1001] {
        let err = Command::new("true")
            .oom_score_adj(bad)
            .prepare()
            .map(|_| ())
            .expect_err("out-of-range oom_score_adj accepted");
        assert_eq!(err.step(), None, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("oom_score_adj") && text.contains(&bad.to_string()),
            "{text}"
        );
    }
    for good in [-1000, 0, 1000] {
        assert!(Command::new("true").oom_score_adj(good).prepare().is_ok());
    }
}

// ---------------------------------------------------------------------
// personality

fn own_personality() -> String {
    std::fs::read_to_string("/proc/self/personality")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn personality_addr_no_randomize() {
    let _guard = common::shared();
    let before = own_personality();
    let out = stdout_of(
        Command::new("cat")
            .arg("/proc/self/personality")
            .personality(0x0040000),
    );
    assert_eq!(out.trim(), "00040000");
    assert_eq!(
        own_personality(),
        before,
        "the parent's personality changed"
    );
    // Without the option, the child has the parent's.
    let out = stdout_of(Command::new("cat").arg("/proc/self/personality"));
    assert_eq!(out.trim(), before);
}

#[test]
fn personality_query_value_refused() {
    let _guard = common::shared();
    let err = Command::new("true")
        .personality(0xffff_ffff)
        .prepare()
        .map(|_| ())
        .expect_err("personality 0xffffffff accepted");
    assert_eq!(err.step(), None, "{err}");
    assert!(err.to_string().contains("personality"), "{err}");
}

/// The child lowers NOFILE only once its fds are in place. Here every fd
/// number from 16 to 47 is open in this process (so in the child at clone)
/// and the fd copies `prepare()` makes land in holes below 16: to map one to
/// fd 15 the child first moves it above 15, into a number the requested
/// limit of 16 would refuse had it come down first (EMFILE; found by the
/// `spawn` fuzz target, fuzz/regressions/spawn-tight-nofile). Exclusive:
/// another test's fds would fill the holes (or free numbers above 47), and
/// the copies would land elsewhere, passing without building the case.
#[test]
fn nofile_lowered_after_the_fds_are_placed() {
    let _guard = common::exclusive();
    let (read, write) = rustix::pipe::pipe().expect("pipe");
    let mut fillers = Vec::new();
    loop {
        let file = std::fs::File::open("/dev/null").expect("open /dev/null");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        fillers.push(file);
        if fd >= 47 {
            break;
        }
    }
    // Holes for prepare()'s copies.
    fillers.retain(|f| !(5..=9).contains(&std::os::fd::AsRawFd::as_raw_fd(f)));
    let out = stdout_of(
        Command::new("sh")
            .args([
                "-c",
                "ulimit -n; ulimit -Hn; readlink /proc/self/fd/15; ls /proc/self/fd | wc -l",
            ])
            .fd(15, read)
            .close_other_fds(true)
            .rlimit(Resource::NOFILE, 16, 16),
    );
    drop((fillers, write));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.get(..2), Some(&["16", "16"][..]), "{out}");
    assert!(
        lines.get(2).is_some_and(|l| l.starts_with("pipe:[")),
        "fd 15 is not the pipe: {out}"
    );
    // 0, 1, 2, 15 and the directory ls reads.
    assert_eq!(lines.get(3).map(|l| l.trim()), Some("5"), "{out}");
}
