//! `fd()` mappings (collision-safe: swaps, cycles, a target equal to its
//! source), `close_other_fds`, and inheritance of non-CLOEXEC fds.
//!
//! How the collisions are built: `prepare()` keeps a close-on-exec copy of
//! every fd given to `fd()`, made with `F_DUPFD_CLOEXEC` at the lowest free
//! number ≥ 3, and the child moves *those copies* to their targets. So to
//! make a source sit on another mapping's target (or on its own), the tests
//! find the lowest free numbers first, choose the targets among them, and
//! then check (in /proc/self/fd, after `prepare()`) that the copies really
//! landed there before spawning. Every test holds `common::exclusive()`,
//! so that no other test of this binary opens fds in between. The scripts
//! writing to computed fd numbers use bash, which (unlike dash) accepts
//! `>&N` for N > 9.

use crate::common;

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use clonexec::{Command, Prepared, Resource, Stdio};
use common::{fd_link, helper_command, inode_of, lowest_free_fds, pipe, reported, stdout_of};

/// Asserts that fd `n` of this process is the pipe with inode `ino`.
fn assert_fd_is_pipe(n: i32, ino: u64) {
    assert_eq!(
        fd_link(n).as_deref(),
        Some(format!("pipe:[{ino}]").as_str()),
        "the library's copy did not land on fd {n}: the collision was not built"
    );
}

/// Spawns `prepared`, waits, drops every copy of the write ends (the
/// prepared plan's and the command's), and returns what each reader got.
fn run_and_collect(prepared: Prepared, cmd: Command, readers: Vec<std::fs::File>) -> Vec<String> {
    let status = prepared.spawn().unwrap().wait().unwrap();
    assert!(status.success(), "{status}");
    drop(prepared);
    drop(cmd);
    readers
        .into_iter()
        .map(|mut r| {
            let mut s = String::new();
            r.read_to_string(&mut s).unwrap();
            s
        })
        .collect()
}

#[test]
fn fd_maps_a_pipe_onto_fd_5() {
    let _guard = common::exclusive();
    let (reader, writer) = pipe();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "readlink /proc/$$/fd/5 >&5; echo mapped >&5"])
        .fd(5, writer);
    let ino = inode_of(&reader);
    let prepared = cmd.prepare().unwrap();
    let got = run_and_collect(prepared, cmd, vec![reader]);
    assert_eq!(got[0], format!("pipe:[{ino}]\nmapped\n"));
}

#[test]
fn fd_swap_is_collision_safe() {
    let _guard = common::exclusive();
    let (ra, wa) = pipe();
    let (rb, wb) = pipe();
    let (ia, ib) = (inode_of(&ra), inode_of(&rb));
    let free = lowest_free_fds(2);
    let (x, y) = (free[0], free[1]);
    // Copies land in call order: a's at x, b's at y. Targets are crossed,
    // so the child must swap x and y.
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &format!("echo to-{y} >&{y}; echo to-{x} >&{x}")])
        .fd(y, wa)
        .fd(x, wb);
    let prepared = cmd.prepare().unwrap();
    assert_fd_is_pipe(x, ia);
    assert_fd_is_pipe(y, ib);
    let got = run_and_collect(prepared, cmd, vec![ra, rb]);
    assert_eq!(got[0], format!("to-{y}\n"), "pipe a must be at fd {y}");
    assert_eq!(got[1], format!("to-{x}\n"), "pipe b must be at fd {x}");
}

#[test]
fn fd_swap_replaces_caller_fds_placed_by_dup2() {
    let _guard = common::exclusive();
    // The std-style swap: the caller's own fds sit on each other's
    // targets (placed there with dup2, so not close-on-exec: the child
    // inherits them at x and y). prepare() works on copies above them, so
    // the child's shuffle sees no collision here (fd_swap_is_collision_safe
    // builds that one); what this proves is that the inherited originals
    // at x and y are replaced by the crossed mapping.
    let (ra, wa) = pipe();
    let (rb, wb) = pipe();
    let free = lowest_free_fds(2);
    let (x, y) = (free[0], free[1]);
    // SAFETY: x and y are free (we hold the lock); dup2 onto them gives
    // fds nobody else owns, wrapped right away.
    let (at_x, at_y) = unsafe {
        assert_eq!(libc::dup2(wa.as_raw_fd(), x), x);
        assert_eq!(libc::dup2(wb.as_raw_fd(), y), y);
        (OwnedFd::from_raw_fd(x), OwnedFd::from_raw_fd(y))
    };
    drop((wa, wb));
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &format!("echo to-{y} >&{y}; echo to-{x} >&{x}")])
        .fd(y, at_x)
        .fd(x, at_y);
    let prepared = cmd.prepare().unwrap();
    let got = run_and_collect(prepared, cmd, vec![ra, rb]);
    assert_eq!(got[0], format!("to-{y}\n"));
    assert_eq!(got[1], format!("to-{x}\n"));
}

#[test]
fn fd_target_equal_to_its_source_is_not_cloexec_in_the_child() {
    let _guard = common::exclusive();
    let (reader, writer) = pipe();
    let ino = inode_of(&reader);
    let target = lowest_free_fds(1)[0];
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &format!("echo same >&{target}")])
        .fd(target, writer);
    let prepared = cmd.prepare().unwrap();
    // The copy sits exactly on the target, close-on-exec in the parent: the
    // child must clear the flag (dup2(fd, fd) would not).
    assert_fd_is_pipe(target, ino);
    assert!(common::is_cloexec(target));
    let got = run_and_collect(prepared, cmd, vec![reader]);
    assert_eq!(got[0], "same\n");
}

#[test]
fn fd_three_cycle_is_collision_safe() {
    let _guard = common::exclusive();
    let (ra, wa) = pipe();
    let (rb, wb) = pipe();
    let (rc, wc) = pipe();
    let inodes = [inode_of(&ra), inode_of(&rb), inode_of(&rc)];
    let free = lowest_free_fds(3);
    let (f0, f1, f2) = (free[0], free[1], free[2]);
    // Copies land at f0 (a), f1 (b), f2 (c); targets rotate them:
    // a -> f1, b -> f2, c -> f0 (f0 -> f1 -> f2 -> f0).
    let mut cmd = Command::new("bash");
    cmd.args([
        "-c",
        &format!("echo a >&{f1}; echo b >&{f2}; echo c >&{f0}"),
    ])
    .fd(f1, wa)
    .fd(f2, wb)
    .fd(f0, wc);
    let prepared = cmd.prepare().unwrap();
    assert_fd_is_pipe(f0, inodes[0]);
    assert_fd_is_pipe(f1, inodes[1]);
    assert_fd_is_pipe(f2, inodes[2]);
    let got = run_and_collect(prepared, cmd, vec![ra, rb, rc]);
    assert_eq!(got, ["a\n", "b\n", "c\n"]);
}

#[test]
fn fd_target_colliding_with_a_stdio_pipe_is_safe() {
    let _guard = common::exclusive();
    // prepare() puts the copy of `writer` at f0; at spawn time the stdout
    // pipe takes f1 (read end, ours) and f2 (write end, the child's). Map
    // the writer onto f2: the child must move the stdout pipe off f2
    // before placing the writer there.
    let (reader, writer) = pipe();
    let free = lowest_free_fds(3);
    let target = free[2];
    let mut cmd = Command::new("bash");
    cmd.args([
        "-c",
        &format!("echo to-stdout; echo to-{target} >&{target}"),
    ])
    .stdout(Stdio::piped())
    .fd(target, writer);
    let prepared = cmd.prepare().unwrap();
    assert_fd_is_pipe(free[0], inode_of(&reader));
    let out = prepared.spawn().unwrap().wait_with_output().unwrap();
    assert!(out.status.success());
    drop(prepared);
    drop(cmd);
    let mut text = String::new();
    let mut reader = reader;
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(out.stdout, b"to-stdout\n");
    assert_eq!(text, format!("to-{target}\n"));
}

#[test]
fn fd_target_colliding_with_the_report_pipe_is_safe() {
    let _guard = common::exclusive();
    // prepare() puts the copy of `writer` at f0; at spawn time the report
    // pipe takes f1 (read end) and f2 (write end, the child's). Target f2:
    // the child must move its report fd away before placing the writer,
    // or a failure report would go into our pipe (and the spawn would
    // look successful), and a success would leave the writer unplaced.
    for (program, should_fail) in [("bash", false), ("/nonexistent/program", true)] {
        let (mut reader, writer) = pipe();
        let free = lowest_free_fds(3);
        let target = free[2];
        let mut cmd = Command::new(program);
        cmd.args(["-c", &format!("echo placed >&{target}")])
            .fd(target, writer);
        let prepared = cmd.prepare().unwrap();
        assert_fd_is_pipe(free[0], inode_of(&reader));
        let result = prepared.spawn();
        drop(prepared);
        drop(cmd);
        let mut text = String::new();
        if should_fail {
            let err = result.expect_err("exec of a missing program must fail");
            assert_eq!(err.step(), Some(clonexec::Step::Exec));
            assert_eq!(err.raw_os_error(), Some(common::ENOENT));
            reader.read_to_string(&mut text).unwrap();
            assert_eq!(text, "", "the report went into the mapped pipe");
        } else {
            assert!(result.unwrap().wait().unwrap().success());
            reader.read_to_string(&mut text).unwrap();
            assert_eq!(text, "placed\n");
        }
    }
}

#[test]
fn fd_can_replace_stdio_and_swap_stdout_with_stderr() {
    let _guard = common::exclusive();
    let (rout, wout) = pipe();
    let (rerr, werr) = pipe();
    // Child fd 1 is the "err" pipe and fd 2 the "out" pipe.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo one; echo two >&2"])
        .fd(1, werr)
        .fd(2, wout);
    let prepared = cmd.prepare().unwrap();
    let got = run_and_collect(prepared, cmd, vec![rout, rerr]);
    assert_eq!(got, ["two\n", "one\n"]);
}

/// The fds of the shell, listed by an `ls` child (so ls's own directory fd
/// is not among them; the trailing `; true` keeps dash from exec'ing ls in
/// its own place).
fn child_fds(cmd: &mut Command) -> Vec<i32> {
    let out = cmd
        .args(["-c", "ls -1 /proc/$$/fd; true"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut fds: Vec<i32> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    fds.sort_unstable();
    fds
}

/// Opens /dev/null `n` times without close-on-exec (as a careless library
/// would), at numbers above the ones the tests map.
fn inheritable_fds(n: usize) -> Vec<OwnedFd> {
    (0..n)
        .map(|i| {
            let null = std::fs::File::open("/dev/null").unwrap();
            // SAFETY: F_DUPFD (no CLOEXEC) on a valid fd returns a new fd.
            let fd = unsafe { libc::fcntl(null.as_raw_fd(), libc::F_DUPFD, 20 + i as i32) };
            assert!(fd >= 0);
            // SAFETY: the fd is fresh and owned by nobody else.
            unsafe { OwnedFd::from_raw_fd(fd) }
        })
        .collect()
}

#[test]
fn close_other_fds_leaves_only_stdio_and_mapped_fds() {
    let _guard = common::exclusive();
    let leaked = inheritable_fds(3);
    for fd in &leaked {
        assert!(!common::is_cloexec(fd.as_raw_fd()));
    }
    let (_reader, writer) = pipe();
    let mut cmd = Command::new("sh");
    cmd.fd(5, writer).close_other_fds(true);
    assert_eq!(child_fds(&mut cmd), [0, 1, 2, 5]);
    drop(leaked);
}

#[test]
fn close_other_fds_with_high_and_sparse_targets() {
    let _guard = common::exclusive();
    let leaked = inheritable_fds(2);
    let (_r1, w1) = pipe();
    let (_r2, w2) = pipe();
    let mut cmd = Command::new("sh");
    cmd.fd(9, w1).fd(63, w2).close_other_fds(true);
    assert_eq!(child_fds(&mut cmd), [0, 1, 2, 9, 63]);
    drop(leaked);
}

#[test]
fn without_close_other_fds_inheritable_fds_are_inherited() {
    let _guard = common::exclusive();
    let leaked = inheritable_fds(1);
    let n = leaked[0].as_raw_fd();
    // A close-on-exec fd of ours, which must not reach the child.
    let (cloexec_reader, _w) = pipe();
    let fds = child_fds(&mut Command::new("sh"));
    assert!(
        fds.contains(&n),
        "non-CLOEXEC fd {n} not inherited: {fds:?}"
    );
    assert!(
        !fds.contains(&cloexec_reader.as_raw_fd()),
        "CLOEXEC fd {} leaked: {fds:?}",
        cloexec_reader.as_raw_fd()
    );
    drop(leaked);
}

#[test]
fn mapped_fds_do_not_leak_as_extra_copies() {
    let _guard = common::exclusive();
    // Without close_other_fds the child has its stdio, the mapping, and the
    // parent's inheritable fds -- but none of the library's internal
    // copies or pipes.
    let (_reader, writer) = pipe();
    let mut cmd = Command::new("sh");
    cmd.fd(7, writer);
    let fds = child_fds(&mut cmd);
    let inheritable: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&fd| fd > 2 && fd != 7 && fcntl_ok(fd) && !common::is_cloexec(fd))
        .collect();
    let mut expected = vec![0, 1, 2, 7];
    expected.extend(inheritable);
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(fds, expected);
}

fn fcntl_ok(fd: i32) -> bool {
    // SAFETY: F_GETFD takes no pointer.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// `close_other_fds` shares our fd table with the child until the child
/// takes its own copy (of the fds it needs only). Whatever happens in the
/// child — exec, or a step failing after the copy — none of our fds may be
/// closed or replaced, and the child still sees only what it was given.
#[test]
fn close_other_fds_never_touches_the_parents_fds() {
    let _guard = common::exclusive();
    // Many inheritable fds, then the mapped pipe above them, so the copies
    // prepare() makes are high too.
    let many: Vec<OwnedFd> = (0..300).flat_map(|_| inheritable_fds(1)).collect();
    let (reader, writer) = pipe();
    let before: Vec<(i32, u64)> = many
        .iter()
        .map(AsRawFd::as_raw_fd)
        .chain([0, 1, 2, reader.as_raw_fd(), writer.as_raw_fd()])
        .map(|fd| (fd, fd_inode(fd)))
        .collect();
    let still_open = |when: &str| {
        for &(fd, ino) in &before {
            assert!(fcntl_ok(fd), "{when}: our fd {fd} was closed");
            assert_eq!(fd_inode(fd), ino, "{when}: our fd {fd} was replaced");
        }
    };

    let mut cmd = Command::new("sh");
    cmd.fd(5, writer.try_clone().unwrap()).close_other_fds(true);
    assert_eq!(child_fds(&mut cmd), [0, 1, 2, 5]);
    still_open("after a child that exec'd");

    let err = Command::new("true")
        .fd(5, writer.try_clone().unwrap())
        .current_dir("/nonexistent/dir")
        .close_other_fds(true)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(clonexec::Step::Chdir), "{err}");
    still_open("after a child that failed at chdir");

    let err = Command::new("/nonexistent/program")
        .fd(5, writer.try_clone().unwrap())
        .close_other_fds(true)
        .spawn()
        .unwrap_err();
    assert_eq!(err.step(), Some(clonexec::Step::Exec), "{err}");
    still_open("after a child whose exec failed");

    drop((many, reader, writer));
}

fn fd_inode(fd: i32) -> u64 {
    std::fs::metadata(format!("/proc/self/fd/{fd}"))
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .unwrap_or(0)
}

// ---------------------------------------------------------------------
// Targets at the top of the fd limit. dup3 may place an fd on any number
// below RLIMIT_NOFILE, but nothing can be copied above the highest target
// when that target is the limit's last number: the child must make room
// elsewhere. Each case runs in a helper (this binary re-run) whose soft
// limit is `LOW_NOFILE`, so that our own limit stays as it is.

const HELPER_ENV: &str = "CLONEXEC_FD_MAPPING_HELPER";

/// The helper's soft RLIMIT_NOFILE: its highest possible target is 63.
const LOW_NOFILE: u64 = 64;
const TOP: i32 = LOW_NOFILE as i32 - 1;

/// Runs the helper in `mode` under [`LOW_NOFILE`] and checks that it got
/// to its end. The caller holds `exclusive()`: our pipes to the helper must
/// not take the numbers other tests predict.
fn run_low_nofile_helper(test: &str, mode: &str) {
    if common::skip_under_qemu(
        test,
        "re-runs this test binary as a helper, and a foreign-architecture binary cannot be exec'd without binfmt_misc (ENOEXEC)",
    ) {
        return;
    }
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .unwrap_or(Resource::INFINITY);
    if hard < LOW_NOFILE {
        eprintln!("skipping {test}: RLIMIT_NOFILE hard limit {hard}");
        return;
    }
    let out = stdout_of(
        helper_command(&common::test_name!(fd_mapping_helper), HELPER_ENV, mode).rlimit(
            Resource::NOFILE,
            LOW_NOFILE,
            hard,
        ),
    );
    assert_eq!(reported(&out, "DONE").as_deref(), Some(mode), "{out}");
}

/// Occupies every free fd number below `n` (with /dev/null), so that the
/// next fds opened get `n` and up.
fn fill_fds_below(n: i32) -> Vec<OwnedFd> {
    let null: OwnedFd = std::fs::File::open("/dev/null").unwrap().into();
    assert!(null.as_raw_fd() < n, "no fd below {n} is free");
    let mut held = vec![];
    loop {
        let copy = rustix::io::fcntl_dupfd_cloexec(&null, 0).unwrap();
        if copy.as_raw_fd() >= n {
            break;
        }
        held.push(copy);
    }
    held.push(null);
    held
}

/// `readlink /proc/self/fd/N >&N` for each of `fds`: every pipe mapped to
/// a child fd receives the name of what that fd is in the child.
fn readlink_script(fds: &[i32]) -> String {
    fds.iter()
        .map(|n| format!("readlink /proc/self/fd/{n} >&{n}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn pipe_name(reader: &std::fs::File) -> String {
    format!("pipe:[{}]\n", inode_of(reader))
}

/// Runs in a child (this binary re-executed with `HELPER_ENV` set) whose
/// soft RLIMIT_NOFILE is `LOW_NOFILE`. Only one test runs in it, so the fd
/// numbers it predicts are not taken by another thread.
#[test]
#[ignore = "helper: run by other tests in a child process"]
fn fd_mapping_helper() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    assert_eq!(soft, Some(LOW_NOFILE));
    match mode.as_str() {
        // A source that sits on no target number does not move at all.
        "top" => {
            let (reader, writer) = pipe();
            let name = pipe_name(&reader);
            let mut cmd = Command::new("bash");
            cmd.args(["-c", &readlink_script(&[TOP])]).fd(TOP, writer);
            let prepared = cmd.prepare().unwrap();
            assert_eq!(run_and_collect(prepared, cmd, vec![reader]), [name]);
        }
        // Targets TOP-1 and TOP whose sources are TOP and TOP-1: both
        // sources must be copied aside, and nothing fits above TOP.
        "swap" => {
            let (ra, wa) = pipe();
            let (rb, wb) = pipe();
            let names = vec![pipe_name(&ra), pipe_name(&rb)];
            let fill = fill_fds_below(TOP - 1);
            // Copies land in call order: a's at TOP-1, b's at TOP.
            let mut cmd = Command::new("bash");
            cmd.args(["-c", &readlink_script(&[TOP - 1, TOP])])
                .fd(TOP, wa)
                .fd(TOP - 1, wb);
            let prepared = cmd.prepare().unwrap();
            assert_fd_is_pipe(TOP - 1, inode_of(&ra));
            assert_fd_is_pipe(TOP, inode_of(&rb));
            // Room below for the spawn's own fds and the copies.
            drop(fill);
            assert_eq!(run_and_collect(prepared, cmd, vec![ra, rb]), names);
        }
        // The report pipe's write end on a target: it must be copied
        // aside, and keep working, for a spawn that execs and for one
        // that fails. (This process's first spawn: its report comes
        // through the pipe.)
        "report_pipe" | "report_pipe_failed_exec" => {
            let failing = mode == "report_pipe_failed_exec";
            let (mut ra, wa) = pipe();
            let (rb, wb) = pipe();
            let free = lowest_free_fds(4);
            // prepare() copies a to free[0] and b to free[1]; spawn() then
            // makes the report pipe at free[2] and free[3] (the write end,
            // the child's).
            let target = free[3];
            let mut cmd = Command::new(if failing {
                "/nonexistent/program"
            } else {
                "bash"
            });
            cmd.args(["-c", &readlink_script(&[target, TOP])])
                .fd(target, wa)
                .fd(TOP, wb);
            let prepared = cmd.prepare().unwrap();
            assert_fd_is_pipe(free[0], inode_of(&ra));
            assert_fd_is_pipe(free[1], inode_of(&rb));
            if failing {
                let err = prepared
                    .spawn()
                    .expect_err("there is no /nonexistent/program");
                assert_eq!(err.step(), Some(clonexec::Step::Exec), "{err}");
                assert_eq!(err.raw_os_error(), Some(common::ENOENT), "{err}");
                drop((prepared, cmd));
                let mut text = String::new();
                ra.read_to_string(&mut text).unwrap();
                assert_eq!(text, "", "the report went into the mapped pipe");
            } else {
                let names = vec![pipe_name(&ra), pipe_name(&rb)];
                assert_eq!(run_and_collect(prepared, cmd, vec![ra, rb]), names);
            }
        }
        // The program's fd (from_fd) on a target: copied aside, it must
        // still be there for execveat.
        "program_fd" => {
            let (ra, wa) = pipe();
            let (rb, wb) = pipe();
            let bash = std::fs::File::open("/bin/bash").unwrap();
            let bash_name = fd_link(bash.as_raw_fd());
            let free = lowest_free_fds(3);
            // prepare() copies a to free[0], b to free[1], then the
            // program's fd to free[2].
            let target = free[2];
            let mut cmd = Command::from_fd(bash);
            cmd.args(["-c", &readlink_script(&[target, TOP])])
                .fd(target, wa)
                .fd(TOP, wb);
            let prepared = cmd.prepare().unwrap();
            assert_fd_is_pipe(free[0], inode_of(&ra));
            assert_fd_is_pipe(free[1], inode_of(&rb));
            assert_eq!(fd_link(free[2]), bash_name);
            let names = vec![pipe_name(&ra), pipe_name(&rb)];
            assert_eq!(run_and_collect(prepared, cmd, vec![ra, rb]), names);
        }
        other => panic!("unknown helper mode {other:?}"),
    }
    common::report("DONE", &mode);
}

#[test]
fn fd_target_at_the_top_of_the_fd_limit() {
    let _guard = common::exclusive();
    run_low_nofile_helper("fd_target_at_the_top_of_the_fd_limit", "top");
}

#[test]
fn fd_swap_at_the_top_of_the_fd_limit() {
    let _guard = common::exclusive();
    run_low_nofile_helper("fd_swap_at_the_top_of_the_fd_limit", "swap");
}

#[test]
fn report_pipe_on_a_target_at_the_top_of_the_fd_limit() {
    let _guard = common::exclusive();
    run_low_nofile_helper(
        "report_pipe_on_a_target_at_the_top_of_the_fd_limit",
        "report_pipe",
    );
    run_low_nofile_helper(
        "report_pipe_on_a_target_at_the_top_of_the_fd_limit",
        "report_pipe_failed_exec",
    );
}

#[test]
fn program_fd_on_a_target_at_the_top_of_the_fd_limit() {
    let _guard = common::exclusive();
    run_low_nofile_helper(
        "program_fd_on_a_target_at_the_top_of_the_fd_limit",
        "program_fd",
    );
}
