//! `clonexec`: run a program with chosen process attributes, using the
//! `clonexec` library's non-allocating `clone3`/vfork spawner.
//!
//! ```text
//! clonexec [OPTIONS] [--] PROGRAM [ARGS...]
//! clonexec bwrap [BUBBLEWRAP OPTIONS...] [--] COMMAND [ARGS...]
//! bwrap [BUBBLEWRAP OPTIONS...] [--] COMMAND [ARGS...]   (clonexec named or linked so)
//! ```
//!
//! Option parsing stops at the first argument that is not an option (or
//! after `--`): that argument is `PROGRAM`, and everything after it is passed
//! to `PROGRAM` unchanged, so its own flags need no quoting. Without a `/`,
//! `PROGRAM` is searched in the child's `PATH`.
//!
//! The tool only turns flags into a [`clonexec::Command`]. When nothing
//! needs a parent (no new PID or time namespace, no `--init`,
//! `--pdeathsig`, `--map-helpers` or `--no-ctty`, no new session while
//! clonexec leads its process group), it applies them to itself and execs
//! the program (`Command::exec()`), as util-linux `unshare` does: the
//! program has clonexec's pid and nothing waits. Otherwise it spawns the
//! program, waits for it (passing signals on, see [Signals](#signals)) and
//! exits with its status. Flags are named like util-linux
//! `unshare`/`setpriv`:
//!
//! | area | flags |
//! |---|---|
//! | Process | `--setsid`, `--setsid-if-tty`, `--pgid N`, `--ctty FD`, `--no-ctty`, `--pdeathsig SIG`, `--signal-mask SIG,...`, `--reset-signals`, `--personality N`, `--arg0 NAME` |
//! | Credentials | `--uid N`, `--gid N`, `--groups N,...`, `--keep-groups`, `--ambient-caps CAP,...`, `--caps P:I:E`, `--inh-caps CAP,...`, `--bounding-set CAP,...`, `--securebits BIT,...`, `--no-new-privs`, `--new-session-keyring` |
//! | Limits | `--rlimit NAME=SOFT[:HARD]` (repeatable), `--oom-score-adj N`, `--seccomp FILE`, `--seccomp-flags FLAG,...` |
//! | Landlock and seccomp policies | `--landlock-ro PATH`, `--landlock-rw PATH`, `--landlock-connect PORT`, `--landlock-bind PORT` (repeatable), `--landlock-no-net`, `--seccomp-deny LIST[:ERR]`, `--seccomp-allow LIST` (repeatable) |
//! | Namespaces | `--unshare NS,...`, `--map-root-user`, `--map-user IN:OUT:COUNT`, `--map-group IN:OUT:COUNT` (repeatable), `--setgroups allow\|deny`, `--map-helpers`, `--join NS:PATH` (repeatable), `--cgroup DIR`, `--hostname NAME`, `--domainname NAME`, `--loopback-up` |
//! | Mounts | `--propagation MODE`, `--empty-root`, `--mount-proc[=DIR]`, `--bind SRC:DST[:OPT,...]`, `--tmpfs DIR[:OPTIONS]`, `--devpts DIR`, `--dev DIR`, `--dir PATH[:MODE]`, `--symlink TARGET:PATH`, `--file PATH:SRC[:MODE]`, `--remount-ro DIR` (repeatable, in the order given), `--chroot DIR`, `--pivot-root DIR` |
//! | Files | `--cd DIR`, `--fd CHILD=PARENT` (repeatable), `--close-fds` |
//! | Environment | `--env K=V` (repeatable), `--env-clear`, `--env-remove K` (repeatable) |
//! | Output | `--print-pid`, `-h`/`--help`, `-V`/`--version` |
//!
//! `--help` describes each flag. Some choices:
//!
//! - **Capability lists** (`--caps`, `--inh-caps`, `--bounding-set`,
//!   `--ambient-caps`) take names as `setpriv` prints them or not
//!   (`net_raw`, `cap_net_raw`, `NET_RAW`), numbers (`13`) and `all` (every
//!   capability of the running kernel). `--caps P:I:E` gives the three sets
//!   exactly (`''` for an empty one). `--inh-caps` and `--bounding-set` use
//!   `setpriv`'s syntax too: a list whose first item starts with `+` or `-`
//!   changes clonexec's current set (`-all,+net_raw`, `-sys_admin`); a list of
//!   plain names is the whole set (`--bounding-set net_raw,chown` keeps only
//!   these). `--inh-caps` keeps clonexec's permitted and effective sets (exec
//!   recomputes them anyway); it and `--caps` are exclusive.
//! - **Implied namespaces**: `--map-root-user`, `--map-user` and
//!   `--map-group` imply `--unshare user`; `--empty-root`, `--mount-proc`,
//!   `--bind`, `--tmpfs`, `--devpts`, `--dev`, `--dir`, `--symlink`,
//!   `--file`, `--remount-ro` and `--pivot-root` imply `--unshare mount` (as
//!   `unshare --mount-proc` does), unless a mount namespace is joined with
//!   `--join mnt:PATH`. Flags that only configure a namespace (`--hostname`,
//!   `--domainname`, `--loopback-up`, `--propagation`) imply nothing: without
//!   their namespace the library refuses them (a usage error, exit 2)
//!   instead of changing clonexec's own, e.g. `--hostname` without
//!   `--unshare uts`.
//! - `--ctty FD` implies `--setsid` (only a session leader can take a
//!   controlling terminal).
//! - **Landlock**: `--landlock-ro`, `--landlock-rw`, `--landlock-connect`,
//!   `--landlock-bind` and `--landlock-no-net` build one ruleset. A path flag
//!   restricts the filesystem to the paths given; `--landlock-connect` and
//!   `--landlock-bind` imply `--landlock-no-net`. A path that does not
//!   exist, or a kernel whose Landlock cannot enforce the ruleset, is
//!   refused (exit 2).
//! - **Seccomp policies**: `--seccomp-deny` and `--seccomp-allow` build one
//!   policy by system call name (unknown names are refused, exit 2):
//!   without `--seccomp-allow` every call not denied runs; with it, only
//!   the allowed ones do (and the program's `execve` must be among them).
//!   They cannot be combined with `--seccomp FILE`; `--seccomp-flags`
//!   applies to either.
//! - Not offered: `ptrace_traceme` (clonexec would be the tracer, and it does
//!   not trace: the program would stay stopped at its exec), `foreground`
//!   (clonexec does no job control: it could neither give the terminal back
//!   nor report a stopped program to its shell), `create_pidfd` (clonexec has
//!   no use for it) and mount options (`Mount::options`).
//!
//! # Exit status
//!
//! | status | meaning |
//! |---|---|
//! | the program's | the program exited with this code |
//! | 128 + N | the program was killed by signal N (as shells report it; when clonexec became the program, it is the one killed) |
//! | 125 | clonexec itself failed before the program ran (a refused `setresuid`, a bad `--cd`, an `--fd` that is not open, an unreadable `--seccomp` file, ...) |
//! | 126 | the program was found but could not be executed (`execve` failed with `EACCES`, `ENOEXEC`, ...) |
//! | 127 | the program was not found (`execve` failed with `ENOENT` or `ENOTDIR`) |
//! | 2 | usage error (unknown flag, bad value, contradicting flags, no program, or what the library refuses before any process exists: a `--hostname` without a UTS namespace, an id map past the last id, `--chroot` with `--pivot-root`, ...) |
//!
//! Errors are printed to stderr as one line naming the program, the step that
//! failed and the OS error:
//!
//! ```text
//! clonexec: spawning "x": execve failed: ENOENT (No such file or directory)
//! ```
//!
//! # Signals
//!
//! When clonexec became the program, signals reach the program directly.
//! When it supervises, it passes SIGTERM, SIGINT, SIGHUP, SIGQUIT,
//! SIGUSR1, SIGUSR2 and SIGWINCH on to the program, so that a service
//! manager or a container runtime stopping clonexec stops the program, and
//! exits with the program's status as always. It blocks these and
//! SIGCHLD, and waits for
//! them with `sigwaitinfo`; the program starts with clonexec's own signal
//! mask (or `--signal-mask`), not that blocked set. SIGINT, SIGQUIT and
//! SIGWINCH that clonexec's terminal sent (^C, ^\, a resize) are not passed
//! on to a program in clonexec's process group: the terminal sent them to
//! the whole group, the program included. clonexec resets SIGCHLD to its
//! default action first (ignored, the kernel would reap the program before
//! clonexec could see its status). Other signals still act on clonexec
//! alone: SIGKILL leaves the program running unless `--pdeathsig` was
//! given. With `--init`, the init passes on SIGTERM, SIGINT, SIGHUP, SIGUSR1
//! and SIGUSR2 (not SIGQUIT or SIGWINCH).
//!
//! # Source layout
//!
//! [`front_end`] chooses the front end from argv. clonexec's own turns
//! argv into a [`Parsed`]: [`flags`] (the flag table and the help text
//! generated from it) and [`parse`](mod@parse), with the value parsers in
//! [`values`] and [`caps`]; then [`invocation`] (what flags imply, and
//! which contradict) and [`run`]. [`bwrap`] is bubblewrap's command line,
//! run as `bwrap` or as `clonexec bwrap ...`. Both use [`signals`]
//! (passing signals on while waiting).
//!
//! # Adding a flag
//!
//! Add a variant to the group's enum in [`flags`], and a row to
//! [`flags::FLAGS`]: the only place the flag's name is written, and what the
//! help text is generated from. Then the compiler asks for an arm in the
//! group's `match` in [`parse`](mod@parse), and a message naming the flag
//! displays its variant. The unit tests check that the parser takes a value
//! exactly for the rows that show one, and that the help text and these
//! docs name only flags of the table.

// clonexec has a C `main` of its own (see `main` below), not std's
// runtime. Built by cargo fuzz, this is the crate of the `bwrap_args` fuzz
// target (fuzz/Cargo.toml), which includes the target's module instead; in
// either build, and with the unit tests' harness, not all is used.
#![cfg_attr(not(test), no_main)]
#![cfg_attr(any(test, fuzzing), allow(dead_code, unused_imports))]

use std::ffi::{OsStr, OsString};
use std::io::Write;

use clonexec::{Error, Step};

mod bwrap;
mod caps;
mod flags;
#[cfg(fuzzing)]
#[path = "../../../fuzz/fuzz_targets/bwrap_args.rs"]
mod fuzz_target;
mod invocation;
mod parse;
mod signals;
#[cfg(test)]
mod tests;
mod values;

use invocation::{Invocation, check};
use parse::parse;

/// Exit status for a usage error.
const EXIT_USAGE: u8 = 2;
/// Exit status when clonexec failed before the program ran.
const EXIT_FAILURE: u8 = 125;
/// Exit status when the program was found but could not be executed.
const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status when the program was not found.
const EXIT_NOT_FOUND: u8 = 127;

/// What a front end makes of the command line. What follows (the checks,
/// running and waiting, signals, exit statuses) is the same for every
/// front end.
enum Parsed {
    Run(Box<Invocation>),
    /// Print this help text.
    Help(String),
    Version,
}

/// Why clonexec stops before (or instead of) running the program.
#[derive(Debug)]
enum Failure {
    /// A bad command line: exit 2 with a hint to `--help`.
    Usage(String),
    /// Something clonexec had to do itself failed: exit 125.
    Setup(String),
    /// The library failed to spawn or wait: exit 125, 126 or 127.
    Spawn(Error),
}

impl Failure {
    /// A failed spawn: input the library refused before any process
    /// existed (in `prepare()`: an id map past the last id, `--hostname`
    /// without a uts namespace, ...) is a usage error like a bad flag;
    /// anything else failed while spawning.
    fn spawn(err: Error) -> Failure {
        if err.is_invalid_input() {
            Failure::Usage(err.to_string())
        } else {
            Failure::Spawn(err)
        }
    }
}

impl From<lexopt::Error> for Failure {
    fn from(err: lexopt::Error) -> Self {
        Failure::Usage(err.to_string())
    }
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Setup(_) => EXIT_FAILURE,
            Failure::Spawn(err) => spawn_exit_code(err),
        }
    }
}

/// The exit status for a failed spawn: 127 when `execve` did not find the
/// program, 126 when it found it but could not run it, 125 for anything that
/// failed earlier.
fn spawn_exit_code(err: &Error) -> u8 {
    let not_found = [
        rustix::io::Errno::NOENT.raw_os_error(),
        rustix::io::Errno::NOTDIR.raw_os_error(),
    ];
    match (err.step(), err.raw_os_error()) {
        (Some(Step::Exec), Some(errno)) if not_found.contains(&errno) => EXIT_NOT_FOUND,
        (Some(Step::Exec), _) => EXIT_CANNOT_EXECUTE,
        _ => EXIT_FAILURE,
    }
}

/// Runs the program and returns clonexec's exit status.
fn run(inv: Invocation) -> Result<u8, Failure> {
    check(&inv)?;
    if !inv.needs_supervision() {
        return Err(exec_in_place(inv));
    }
    let print_pid = inv.print_pid;
    // Before the spawn, so that no signal to forward is missed.
    let (forwarding, own_mask) = signals::Forwarding::start()?;
    let mut cmd = inv.command(Some(own_mask));
    let mut child = cmd.spawn().map_err(Failure::spawn)?;
    // Close our copies of the `--fd` fds: a reader of a pipe passed with
    // `--fd` must see EOF when the program closes it.
    drop(cmd);
    if print_pid {
        eprintln!("clonexec: pid {}", child.id());
    }
    let status = forwarding.wait(&mut child)?;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => 128 + sig as u8,
        (None, None) => EXIT_FAILURE,
    })
}

/// Applies the attributes to clonexec itself and execs the program
/// (`Command::exec()`), as util-linux `unshare` does when nothing needs a
/// parent: no process to start, none left waiting, no signal to pass on.
/// Returns only on failure.
fn exec_in_place(inv: Invocation) -> Failure {
    let print_pid = inv.print_pid;
    let mut cmd = inv.command(None);
    if print_pid {
        // The program will have our pid. Printed last, once the namespaces
        // exist, as after a spawn.
        // SAFETY: `exec()` runs the hook in this process itself (which is
        // single-threaded), not in a forked child: printing is safe there.
        unsafe {
            cmd.pre_exec(|| {
                eprintln!("clonexec: pid {}", std::process::id());
                Ok(())
            });
        }
    }
    Failure::spawn(cmd.exec())
}

/// The command line a front end reads.
enum FrontEnd {
    /// clonexec's own flags (the arguments after the program name).
    Clonexec(Vec<OsString>),
    /// bubblewrap's: when clonexec runs as `bwrap` (its file name, as
    /// through a symlink) or as `clonexec bwrap ...`; `argv0` names the
    /// command in its help text.
    Bwrap {
        argv0: OsString,
        args: Vec<OsString>,
    },
}

/// Chooses the front end from argv alone (and, when run through
/// `/proc/self/exe`, the name of clonexec's own file: a copy installed as
/// `bwrap`), so that each is only a parser and what runs after it.
fn front_end(argv: Vec<OsString>) -> FrontEnd {
    let mut argv = argv.into_iter();
    let argv0 = argv.next().unwrap_or_default();
    let args: Vec<OsString> = argv.collect();
    let file_name = |path: &std::path::Path| path.file_name().map(OsStr::to_owned);
    let name = file_name(argv0.as_ref());
    // Run through /proc/self/exe, argv[0] says nothing: the file's name.
    let name = if name.as_deref() == Some(OsStr::new("exe")) {
        std::env::current_exe().ok().and_then(|exe| file_name(&exe))
    } else {
        name
    };
    if name.as_deref() == Some(OsStr::new("bwrap")) {
        return FrontEnd::Bwrap { argv0, args };
    }
    match args.split_first() {
        Some((first, rest)) if first == "bwrap" => {
            let mut name = argv0;
            name.push(" bwrap");
            FrontEnd::Bwrap {
                argv0: name,
                args: rest.to_vec(),
            }
        }
        _ => FrontEnd::Clonexec(args),
    }
}

/// The process's entry point, called by the C runtime, instead of std's
/// (`fn main`): std's set-up (the main thread's stack bounds, read from
/// `/proc/self/maps`, a guard handler on an alternate signal stack)
/// costs a good part of a run that only execs the program, and clonexec
/// needs none of it. Like std, it ignores SIGPIPE (the program gets the
/// default back: docs/design.md, step 2) and flushes stdout at the end.
#[cfg(not(any(test, fuzzing)))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: the C runtime passes `argc` NUL-terminated strings in
    // `argv`, alive for the whole run.
    let args: Vec<OsString> = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) })
        .map(|arg| OsStr::from_bytes(arg.to_bytes()).to_owned())
        .collect();
    signals::ignore_sigpipe();
    let code = real_main(args);
    let _ = std::io::stdout().flush();
    std::ffi::c_int::from(code)
}

/// Runs the front end the command line is written for; returns the exit
/// status.
fn real_main(argv: Vec<OsString>) -> u8 {
    let args = match front_end(argv) {
        FrontEnd::Bwrap { argv0, args } => return bwrap::main(argv0, args),
        FrontEnd::Clonexec(args) => args,
    };
    let result = parse(args).and_then(|parsed| match parsed {
        Parsed::Run(inv) => run(*inv),
        Parsed::Help(text) => {
            // A closed stdout (`clonexec --help | head -1`) is not an error.
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(0)
        }
        Parsed::Version => {
            let _ = writeln!(std::io::stdout(), "clonexec {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
    });
    match result {
        Ok(code) => code,
        Err(failure) => {
            let mut stderr = std::io::stderr().lock();
            let _ = match &failure {
                Failure::Usage(msg) => writeln!(
                    stderr,
                    "clonexec: {msg}\nTry 'clonexec --help' for more information."
                ),
                Failure::Setup(msg) => writeln!(stderr, "clonexec: {msg}"),
                Failure::Spawn(err) => writeln!(stderr, "clonexec: {err}"),
            };
            failure.exit_code()
        }
    }
}
