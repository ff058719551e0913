//! `clonexec`: run a program with chosen process attributes, using the
//! `clonexec` library's non-allocating `clone3`/vfork spawner.
//!
//! ```text
//! clonexec [OPTIONS] [--] PROGRAM [ARGS...]
//! ```
//!
//! Option parsing stops at the first argument that is not an option (or
//! after `--`): that argument is `PROGRAM`, and everything after it is passed
//! to `PROGRAM` unchanged, so its own flags need no quoting. Without a `/`,
//! `PROGRAM` is searched in the child's `PATH`.
//!
//! The tool only turns flags into a [`clonexec::Command`], spawns it, waits
//! for it (passing signals on, see [Signals](#signals)) and exits with its
//! status. Flags are named like util-linux `unshare`/`setpriv`:
//!
//! | area | flags |
//! |---|---|
//! | Process | `--setsid`, `--setsid-if-tty`, `--pgid N`, `--ctty FD`, `--no-ctty`, `--pdeathsig SIG`, `--signal-mask SIG,...`, `--reset-signals`, `--personality N`, `--arg0 NAME` |
//! | Credentials | `--uid N`, `--gid N`, `--groups N,...`, `--keep-groups`, `--ambient-caps CAP,...`, `--caps P:I:E`, `--inh-caps CAP,...`, `--bounding-set CAP,...`, `--securebits BIT,...`, `--no-new-privs`, `--new-session-keyring` |
//! | Limits | `--rlimit NAME=SOFT[:HARD]` (repeatable), `--oom-score-adj N`, `--seccomp FILE`, `--seccomp-flags FLAG,...` |
//! | Namespaces | `--unshare NS,...`, `--map-root-user`, `--map-user IN:OUT:COUNT`, `--map-group IN:OUT:COUNT` (repeatable), `--setgroups allow\|deny`, `--map-helpers`, `--join NS:PATH` (repeatable), `--cgroup DIR`, `--hostname NAME`, `--domainname NAME`, `--loopback-up` |
//! | Mounts | `--propagation MODE`, `--mount-proc[=DIR]`, `--bind SRC:DST[:ro]`, `--tmpfs DIR`, `--devpts DIR` (repeatable), `--chroot DIR`, `--pivot-root DIR` |
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
//!   `--map-group` imply `--unshare user`; `--mount-proc`, `--bind`,
//!   `--tmpfs`, `--devpts` and `--pivot-root` imply `--unshare mount` (as
//!   `unshare --mount-proc` does), unless a mount namespace is joined with
//!   `--join mnt:PATH`. Flags that only configure a namespace (`--hostname`,
//!   `--domainname`, `--loopback-up`, `--propagation`) imply nothing: without
//!   their namespace the library refuses them (a usage error, exit 2)
//!   instead of changing clonexec's own, e.g. `--hostname` without
//!   `--unshare uts`.
//! - `--ctty FD` implies `--setsid` (only a session leader can take a
//!   controlling terminal).
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
//! | 128 + N | the program was killed by signal N (as shells report it) |
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
//! clonexec passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
//! SIGWINCH on to the program, so that a service manager or a container
//! runtime stopping clonexec stops the program, and exits with the
//! program's status as always. It blocks these and SIGCHLD, and waits for
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
//! # Adding a flag
//!
//! Add a row to [`flags::FLAGS`] (which the help text is generated from) and one arm
//! to the `match` in [`parse`]; the unit tests check that the two agree.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clonexec::{
    CapSet, Error, Mount, Namespaces, Propagation, SecureBits, SigSet, Signal, SockFilter, Step,
};
use lexopt::prelude::*;

mod caps;
mod flags;
mod invocation;
mod signals;
mod values;

use caps::{cap_list, cap_sets, current_caps};
use flags::help_text;
use invocation::{Invocation, check, set_capabilities};
use values::{
    bind_mount, dup_inherited_fd, flag_names, hex_or_decimal, id, id_map, invalid, item, key_value,
    list, namespace_list, non_negative, open_for, rlimit, split_at, text,
};

/// Exit status for a usage error.
const EXIT_USAGE: u8 = 2;
/// Exit status when clonexec failed before the program ran.
const EXIT_FAILURE: u8 = 125;
/// Exit status when the program was found but could not be executed.
const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status when the program was not found.
const EXIT_NOT_FOUND: u8 = 127;

/// What the command line asks for.
enum Parsed {
    Run(Box<Invocation>),
    Help,
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

/// Parses the command line (without the program name).
fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Failure> {
    let mut p = lexopt::Parser::from_args(args);
    let mut inv = Invocation::default();
    while let Some(arg) = p.next()? {
        match arg {
            Value(program) => {
                inv.program = program;
                inv.args = p.raw_args()?.collect();
                return Ok(Parsed::Run(Box::new(inv)));
            }

            // Process
            Long("setsid") => inv.set(|c| c.setsid(true)),
            Long("setsid-if-tty") => inv.set(|c| c.setsid_if_tty(true)),
            Long("pgid") => {
                let pgid = non_negative(&text(p.value()?, "pgid")?, "pgid")?;
                inv.set(move |c| c.process_group(pgid));
            }
            Long("ctty") => {
                let fd = non_negative(&text(p.value()?, "ctty")?, "ctty")?;
                inv.ctty = true;
                inv.set(move |c| c.setsid(true).controlling_tty(fd));
            }
            Long("no-ctty") => {
                inv.no_ctty = true;
                inv.set(|c| c.no_controlling_tty(true));
            }
            Long("pdeathsig") => {
                let sig: Signal = item(&text(p.value()?, "pdeathsig")?, "pdeathsig")?;
                inv.set(move |c| c.pdeathsig(sig));
            }
            Long("signal-mask") => {
                let signals: Vec<Signal> = list(&text(p.value()?, "signal-mask")?, "signal-mask")?;
                let mask: SigSet = signals.into_iter().collect();
                inv.set(move |c| c.signal_mask(mask));
            }
            Long("reset-signals") => inv.set(|c| c.reset_ignored_signals(true)),
            Long("personality") => {
                let persona = hex_or_decimal(&text(p.value()?, "personality")?, "personality")?;
                inv.set(move |c| c.personality(persona));
            }
            Long("arg0") => {
                let name = p.value()?;
                inv.set(move |c| c.arg0(name));
            }

            // Credentials
            Long("uid") => {
                let uid = id(
                    &text(p.value()?, "uid")?,
                    "uid",
                    "uid",
                    "which setresuid takes as \"unchanged\"",
                )?;
                inv.set(move |c| c.uid(uid));
            }
            Long("gid") => {
                let gid = id(
                    &text(p.value()?, "gid")?,
                    "gid",
                    "gid",
                    "which setresgid takes as \"unchanged\"",
                )?;
                inv.set(move |c| c.gid(gid));
            }
            Long("groups") => {
                let value = text(p.value()?, "groups")?;
                let groups = value
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        id(
                            s,
                            "groups",
                            "gid",
                            "which is no group (setgroups refuses it)",
                        )
                    })
                    .collect::<Result<_, _>>()?;
                inv.groups = Some(groups);
            }
            Long("keep-groups") => inv.keep_groups = true,
            Long("ambient-caps") => {
                let value = text(p.value()?, "ambient-caps")?;
                // setpriv writes `+cap`; accept it.
                let caps = value.split(',').map(|s| s.strip_prefix('+').unwrap_or(s));
                for cap in caps.filter(|s| !s.is_empty()) {
                    inv.ambient_caps.push(item(cap, "ambient-caps")?);
                }
            }
            Long("caps") => {
                let sets = cap_sets(&text(p.value()?, "caps")?)?;
                set_capabilities(&mut inv, sets, "caps")?;
            }
            Long("inh-caps") => {
                let value = text(p.value()?, "inh-caps")?;
                let inheritable = cap_list(
                    &value,
                    "inh-caps",
                    Some(&|| current_caps("CapInh", "inh-caps")),
                )?;
                let sets = CapSet {
                    permitted: current_caps("CapPrm", "inh-caps")?,
                    inheritable,
                    effective: current_caps("CapEff", "inh-caps")?,
                };
                set_capabilities(&mut inv, sets, "inh-caps")?;
            }
            Long("bounding-set") => {
                let value = text(p.value()?, "bounding-set")?;
                let keep = cap_list(
                    &value,
                    "bounding-set",
                    Some(&|| current_caps("CapBnd", "bounding-set")),
                )?;
                inv.set(move |c| c.bounding_set(keep.iter()));
            }
            Long("securebits") => {
                let bits: SecureBits =
                    flag_names(&text(p.value()?, "securebits")?, "securebits", "secbit_")?;
                inv.set(move |c| c.securebits(bits));
            }
            Long("no-new-privs") => inv.set(|c| c.no_new_privs(true)),
            Long("new-session-keyring") => inv.set(|c| c.new_session_keyring(true)),

            // Limits
            Long("rlimit") => {
                let (resource, soft, hard) = rlimit(&text(p.value()?, "rlimit")?)?;
                inv.set(move |c| c.rlimit(resource, soft, hard));
            }
            Long("oom-score-adj") => {
                let value = text(p.value()?, "oom-score-adj")?;
                let adj: i32 = item(&value, "oom-score-adj")?;
                if !(-1000..=1000).contains(&adj) {
                    return Err(invalid(&value, "oom-score-adj", "not in -1000..=1000"));
                }
                inv.set(move |c| c.oom_score_adj(adj));
            }
            Long("seccomp") => {
                let path = p.value()?;
                let bytes = std::fs::read(&path).map_err(|e| {
                    Failure::Setup(format!("--seccomp: reading {path:?} failed: {e}"))
                })?;
                let filter = SockFilter::from_bytes(&bytes).ok_or_else(|| {
                    Failure::Setup(format!(
                        "--seccomp: {path:?} has {} bytes, not a whole number of 8-byte BPF instructions",
                        bytes.len()
                    ))
                })?;
                inv.seccomp = true;
                inv.set(move |c| c.seccomp_filter(filter));
            }
            Long("seccomp-flags") => {
                let value = text(p.value()?, "seccomp-flags")?;
                inv.seccomp_flags = Some(flag_names(&value, "seccomp-flags", "")?);
            }

            // Namespaces
            Long("unshare") => {
                let kinds = namespace_list(&text(p.value()?, "unshare")?, "unshare")?;
                *inv.unshare.get_or_insert(Namespaces::empty()) |= kinds;
            }
            Long("map-root-user") => inv.map_root_user = true,
            Long("map-user") => {
                let map = id_map(&text(p.value()?, "map-user")?, "map-user", "uid")?;
                inv.uid_map.push(map);
            }
            Long("map-group") => {
                let map = id_map(&text(p.value()?, "map-group")?, "map-group", "gid")?;
                inv.gid_map.push(map);
            }
            Long("setgroups") => {
                let value = text(p.value()?, "setgroups")?;
                let allow = match value.as_str() {
                    "allow" => true,
                    "deny" => false,
                    _ => return Err(invalid(&value, "setgroups", "expected allow or deny")),
                };
                inv.map_option = Some("setgroups");
                inv.set(move |c| c.allow_setgroups(allow));
            }
            Long("map-helpers") => {
                inv.map_option = Some("map-helpers");
                inv.set(|c| c.id_map_helpers(true));
            }
            Long("join") => {
                let (kinds, path) = split_at(&p.value()?, b':', "join", "NS:PATH")?;
                let kinds = text(kinds, "join")?;
                let kind = namespace_list(&kinds, "join")?;
                if kind.iter().count() != 1 {
                    // An fd of /proc/PID/ns/ is one namespace.
                    return Err(invalid(&kinds, "join", "expected one namespace"));
                }
                let fd = open_for(&path, false, "join")?;
                *inv.joined.get_or_insert(Namespaces::empty()) |= kind;
                inv.set(move |c| c.join_namespace(fd, kind));
            }
            Long("cgroup") => {
                let fd = open_for(&p.value()?, true, "cgroup")?;
                inv.set(move |c| c.cgroup(fd));
            }
            Long("hostname") => {
                let name = p.value()?;
                inv.set(move |c| c.hostname(name));
            }
            Long("domainname") => {
                let name = p.value()?;
                inv.set(move |c| c.domainname(name));
            }
            Long("loopback-up") => inv.set(|c| c.loopback_up(true)),
            Long("init") => {
                inv.init = true;
                inv.set(|c| c.pid1_init(true));
            }

            // Mounts
            Long("propagation") => {
                let value = text(p.value()?, "propagation")?;
                let propagation = match value.as_str() {
                    "private" => Propagation::Private,
                    "slave" => Propagation::Slave,
                    "shared" => Propagation::Shared,
                    "unchanged" => Propagation::Unchanged,
                    _ => {
                        return Err(invalid(
                            &value,
                            "propagation",
                            "expected private, slave, shared or unchanged",
                        ));
                    }
                };
                inv.set(move |c| c.mount_propagation(propagation));
            }
            Long("mount-proc") => {
                let dir = p
                    .optional_value()
                    .unwrap_or_else(|| OsString::from("/proc"));
                inv.implies_mount = true;
                inv.set(move |c| c.mount(Mount::proc(dir)));
            }
            Long("bind") => {
                let mount = bind_mount(&p.value()?)?;
                inv.implies_mount = true;
                inv.set(move |c| c.mount(mount));
            }
            Long("tmpfs") => {
                let dir = p.value()?;
                inv.implies_mount = true;
                inv.set(move |c| c.mount(Mount::tmpfs(dir)));
            }
            Long("devpts") => {
                let dir = p.value()?;
                inv.implies_mount = true;
                inv.set(move |c| c.mount(Mount::devpts(dir)));
            }
            Long("chroot") => {
                let dir = p.value()?;
                inv.set(move |c| c.chroot(dir));
            }
            Long("pivot-root") => {
                let dir = p.value()?;
                inv.implies_mount = true;
                inv.set(move |c| c.pivot_root(dir));
            }
            Long("lock-mounts") => {
                inv.implies_mount = true;
                inv.set(|c| c.lock_mounts(true));
            }

            // Files
            Long("cd") => {
                let dir = p.value()?;
                inv.set(move |c| c.current_dir(dir));
            }
            Long("fd") => {
                let spec = text(p.value()?, "fd")?;
                let (child, parent) = spec
                    .split_once('=')
                    .ok_or_else(|| invalid(&spec, "fd", "expected CHILD=PARENT"))?;
                let child = non_negative(child, "fd")?;
                let fd = dup_inherited_fd(non_negative(parent, "fd")?, &spec)?;
                inv.set(move |c| c.fd(child, fd));
            }
            Long("close-fds") => inv.set(|c| c.close_other_fds(true)),

            // Environment
            Long("env") => {
                let (key, value) = key_value(p.value()?, "env", "K=V")?;
                inv.set(move |c| c.env(key, value));
            }
            Long("env-clear") => inv.env_clear = true,
            Long("env-remove") => {
                let key = p.value()?;
                inv.set(move |c| c.env_remove(key));
            }

            // Output
            Long("print-pid") => inv.print_pid = true,
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Short('V') | Long("version") => return Ok(Parsed::Version),

            Long(name) => return Err(Failure::Usage(format!("unknown option '--{name}'"))),
            Short(c) => return Err(Failure::Usage(format!("unknown option '-{c}'"))),
        }
    }
    Err(Failure::Usage(String::from("no program given")))
}

/// Runs the program and returns clonexec's exit status.
fn run(inv: Invocation) -> Result<u8, Failure> {
    check(&inv)?;
    let print_pid = inv.print_pid;
    // Before the spawn, so that no signal to forward is missed.
    let (forwarding, own_mask) = signals::Forwarding::start()?;
    let mut cmd = inv.command(own_mask);
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

fn main() -> ExitCode {
    let result = parse(std::env::args_os().skip(1)).and_then(|parsed| match parsed {
        Parsed::Run(inv) => run(*inv),
        Parsed::Help => {
            // A closed stdout (`clonexec --help | head -1`) is not an error.
            let _ = std::io::stdout().write_all(help_text().as_bytes());
            Ok(0)
        }
        Parsed::Version => {
            let _ = writeln!(std::io::stdout(), "clonexec {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
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
            ExitCode::from(failure.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use clonexec::{CapMask, Capability, Command, IdMap, Resource, SeccompFlags};

    use super::*;
    use crate::caps::all_caps;
    use crate::flags::FLAGS;

    fn parse_strs(args: &[&str]) -> Result<Parsed, Failure> {
        parse(args.iter().map(OsString::from))
    }

    /// A valid value for a flag's placeholder.
    fn sample(value: &str) -> &'static str {
        match value {
            "N" => "1",
            "N,..." => "1,2",
            "FD" => "0",
            "SIG" => "TERM",
            "SIG,..." => "INT,usr1",
            "CAP,..." => "net_raw,+cap_sys_time",
            "P:I:E" => "net_raw,chown:net_raw:",
            "BIT,..." => "noroot,secbit_keep_caps_locked",
            "NAME=SOFT[:HARD]" => "nofile=64:unlimited",
            "FILE" => "/dev/null",
            "FLAG,..." => "log,spec_allow",
            "NS,..." => "user,mnt",
            "IN:OUT:COUNT" => "0:1000:1",
            "allow|deny" => "deny",
            "NS:PATH" => "net:/proc/self/ns/net",
            "MODE" => "slave",
            "[=DIR]" => "/proc",
            "SRC:DST[:ro]" => "/usr:/mnt:ro",
            "NAME" => "name",
            "DIR" => "/",
            "CHILD=PARENT" => "5=2",
            "K=V" => "K=V",
            "K" => "K",
            other => panic!("no sample value for placeholder {other}"),
        }
    }

    #[test]
    fn every_flag_in_the_table_is_parsed() {
        for flag in FLAGS {
            let mut args = vec![format!("--{}", flag.long)];
            match flag.value {
                Some(v) if v.starts_with("[=") => {
                    args[0] = format!("--{}={}", flag.long, sample(v))
                }
                Some(v) => args.push(sample(v).to_owned()),
                None => {}
            }
            args.push(String::from("true"));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            match parse_strs(&args) {
                Ok(_) => {}
                Err(e) => panic!("--{} is in FLAGS but not parsed: {e:?}", flag.long),
            }
            if let Some(short) = flag.short {
                let short = format!("-{short}");
                assert!(parse_strs(&[&short]).is_ok(), "{short} is not parsed");
            }
        }
    }

    #[test]
    fn help_lists_every_flag() {
        let help = help_text();
        for flag in FLAGS {
            assert!(help.contains(&format!("--{}", flag.long)), "{}", flag.long);
        }
        assert!(help.contains("--mount-proc[=DIR]"), "{help}");
    }

    #[test]
    fn help_fits_80_columns() {
        for line in help_text().lines() {
            assert!(line.len() <= 80, "{} columns: {line}", line.len());
        }
    }

    /// The invocation of a command line that must parse.
    fn run_of(args: &[&str]) -> Invocation {
        match parse_strs(args) {
            Ok(Parsed::Run(inv)) => *inv,
            Ok(_) => panic!("{args:?}: not a run"),
            Err(e) => panic!("{args:?}: {e:?}"),
        }
    }

    #[test]
    fn namespace_flags_imply_what_they_need() {
        let inv = run_of(&["--unshare", "net,ipc", "--unshare", "uts", "true"]);
        assert_eq!(
            inv.namespaces(),
            Namespaces::NET | Namespaces::IPC | Namespaces::UTS
        );
        let inv = run_of(&["--map-root-user", "--mount-proc", "true"]);
        assert_eq!(inv.namespaces(), Namespaces::USER | Namespaces::MOUNT);
        let inv = run_of(&["--map-group", "0:100:1", "--tmpfs", "/tmp", "true"]);
        assert_eq!(inv.namespaces(), Namespaces::USER | Namespaces::MOUNT);
        // A joined mount namespace is where the mounts go.
        let inv = run_of(&["--join", "mnt:/proc/self/ns/mnt", "--bind", "/a:/b", "true"]);
        assert_eq!(inv.namespaces(), Namespaces::empty());
        // --hostname implies nothing: the library refuses it alone.
        let inv = run_of(&["--hostname", "box", "true"]);
        assert_eq!(inv.namespaces(), Namespaces::empty());
    }

    #[test]
    fn value_parsers() {
        assert_eq!(rlimit("nofile=64").unwrap(), (Resource::NOFILE, 64, 64));
        assert_eq!(
            rlimit("RLIMIT_CORE=0:unlimited").unwrap(),
            (Resource::CORE, 0, u64::MAX)
        );
        assert_eq!(
            rlimit("as=infinity").unwrap(),
            (Resource::AS, u64::MAX, u64::MAX)
        );
        assert_eq!(hex_or_decimal("0x0040000", "personality").unwrap(), 0x40000);
        assert_eq!(hex_or_decimal("8", "personality").unwrap(), 8);
        assert_eq!(
            id_map("0:1000:65536", "map-user", "uid").unwrap(),
            IdMap::new(0, 1000, 65536)
        );
        assert_eq!(
            namespace_list("mnt,NET,time", "unshare").unwrap(),
            Namespaces::MOUNT | Namespaces::NET | Namespaces::TIME
        );
        let bits: SecureBits =
            flag_names("noroot,+SECBIT_KEEP_CAPS", "securebits", "secbit_").unwrap();
        assert_eq!(bits, SecureBits::NOROOT | SecureBits::KEEP_CAPS);
        let flags: SeccompFlags = flag_names("log,tsync", "seccomp-flags", "").unwrap();
        assert_eq!(flags, SeccompFlags::LOG | SeccompFlags::TSYNC);

        let bind = bind_mount(OsStr::new("/usr:/mnt/usr:ro")).unwrap();
        assert_eq!(bind, Mount::bind("/usr", "/mnt/usr").read_only());
        let bind = bind_mount(OsStr::new("/a:/b:c")).unwrap();
        assert_eq!(bind, Mount::bind("/a", "/b:c"));
    }

    #[test]
    fn capability_lists() {
        let caps = |names: &[Capability]| CapMask::from_iter(names.iter().copied());
        assert_eq!(
            cap_list("net_raw,cap_chown", "caps", None).unwrap(),
            caps(&[Capability::NET_RAW, Capability::CHOWN])
        );
        assert_eq!(cap_list("", "caps", None).unwrap(), CapMask::EMPTY);
        assert_eq!(cap_list("all", "caps", None).unwrap(), all_caps());
        // A signed first item changes the current set.
        let current = || Ok(caps(&[Capability::KILL, Capability::CHOWN]));
        assert_eq!(
            cap_list("-chown,+net_raw", "inh-caps", Some(&current)).unwrap(),
            caps(&[Capability::KILL, Capability::NET_RAW])
        );
        assert_eq!(
            cap_list("-all,+net_raw", "inh-caps", Some(&current)).unwrap(),
            caps(&[Capability::NET_RAW])
        );
        // A plain list is the whole set.
        assert_eq!(
            cap_list("net_raw", "bounding-set", Some(&current)).unwrap(),
            caps(&[Capability::NET_RAW])
        );

        let sets = cap_sets("net_raw,chown:chown:net_raw").unwrap();
        assert_eq!(
            sets.permitted,
            caps(&[Capability::NET_RAW, Capability::CHOWN])
        );
        assert_eq!(sets.inheritable, caps(&[Capability::CHOWN]));
        assert_eq!(sets.effective, caps(&[Capability::NET_RAW]));
        assert_eq!(cap_sets("::").unwrap(), CapSet::default());
    }

    #[test]
    fn options_stop_at_the_program() {
        let Ok(Parsed::Run(inv)) = parse_strs(&["--setsid", "ls", "--uid", "-l", "--"]) else {
            panic!("not a run");
        };
        assert_eq!(inv.program, "ls");
        assert_eq!(inv.args, ["--uid", "-l", "--"]);
        let Ok(Parsed::Run(inv)) = parse_strs(&["--", "--weird", "x"]) else {
            panic!("not a run");
        };
        assert_eq!(inv.program, "--weird");
        assert_eq!(inv.args, ["x"]);
    }

    #[test]
    fn bad_values_are_usage_errors_naming_the_flag() {
        for (args, needle) in [
            (&["--uid", "abc", "true"][..], "'--uid'"),
            (&["--pgid", "-1", "true"], "'--pgid'"),
            (&["--pdeathsig", "NOPE", "true"], "'--pdeathsig'"),
            (&["--ambient-caps", "cap_nope", "true"], "'--ambient-caps'"),
            (&["--groups", "1,x", "true"], "'--groups'"),
            (&["--uid", "4294967295", "true"], "(uid_t)-1"),
            (&["--gid", "4294967295", "true"], "(gid_t)-1"),
            (&["--groups", "1,4294967295", "true"], "(gid_t)-1"),
            (&["--map-user", "4294967295:0:1", "true"], "(uid_t)-1"),
            (&["--map-group", "0:4294967286:10", "true"], "(gid_t)-1"),
            (&["--env", "=v", "true"], "'--env'"),
            (&["--fd", "5", "true"], "'--fd'"),
            (&["--uid"], "'--uid'"),
            (&["--setsid=yes", "true"], "'--setsid'"),
            (&["--bogus", "true"], "'--bogus'"),
            (&["-x", "true"], "'-x'"),
            (&["--rlimit", "bogus=1", "true"], "'--rlimit'"),
            (&["--rlimit", "nofile", "true"], "'--rlimit'"),
            (&["--rlimit", "nofile=2:1", "true"], "'--rlimit'"),
            (&["--rlimit", "nofile=lots", "true"], "'--rlimit'"),
            (&["--map-user", "0:0", "true"], "'--map-user'"),
            (&["--map-group", "0:0:0", "true"], "'--map-group'"),
            (&["--unshare", "nett", "true"], "'--unshare'"),
            (&["--unshare", "", "true"], "'--unshare'"),
            (&["--join", "net", "true"], "'--join'"),
            (&["--join", "bogus:/proc/self/ns/net", "true"], "'--join'"),
            (&["--join", "net,uts:/proc/self/ns/net", "true"], "'--join'"),
            (&["--caps", "chown:chown", "true"], "'--caps'"),
            (&["--caps", "::chown", "true"], "'--caps'"),
            (&["--caps", "cap_nope::", "true"], "'--caps'"),
            (&["--inh-caps", "+cap_nope", "true"], "'--inh-caps'"),
            (&["--bounding-set", "nope", "true"], "'--bounding-set'"),
            (&["--securebits", "noroot,nope", "true"], "'--securebits'"),
            (&["--seccomp-flags", "fast", "true"], "'--seccomp-flags'"),
            (&["--oom-score-adj", "1001", "true"], "'--oom-score-adj'"),
            (&["--personality", "0xg", "true"], "'--personality'"),
            (&["--signal-mask", "INT,NOPE", "true"], "'--signal-mask'"),
            (&["--setgroups", "maybe", "true"], "'--setgroups'"),
            (&["--propagation", "rprivate", "true"], "'--propagation'"),
            (&["--bind", "/only", "true"], "'--bind'"),
            (&["--bind", ":/b", "true"], "'--bind'"),
            (&["--ctty", "-1", "true"], "'--ctty'"),
            (
                &["--caps", "::", "--inh-caps", "", "true"],
                "--caps and --inh-caps",
            ),
            (&["--loopback-up=yes", "true"], "'--loopback-up'"),
        ] {
            match parse_strs(args) {
                Err(Failure::Usage(msg)) => assert!(msg.contains(needle), "{args:?}: {msg}"),
                Err(other) => panic!("{args:?}: {other:?}"),
                Ok(_) => panic!("{args:?} accepted"),
            }
        }
        assert!(matches!(parse_strs(&[]), Err(Failure::Usage(_))));
    }

    #[test]
    fn contradictions_are_usage_errors_naming_the_flags() {
        for (args, needle) in [
            (
                &["--ctty", "0", "--no-ctty", "true"][..],
                "--ctty and --no-ctty",
            ),
            (
                &["--seccomp-flags", "log", "true"],
                "--seccomp-flags needs --seccomp",
            ),
            (
                &["--setgroups", "deny", "--unshare", "user", "true"],
                "--setgroups needs",
            ),
            (&["--map-helpers", "true"], "--map-helpers needs"),
            (
                &[
                    "--caps",
                    "chown:chown:",
                    "--ambient-caps",
                    "net_raw",
                    "true",
                ],
                "--ambient-caps cap_net_raw must be in the permitted and inheritable sets of --caps",
            ),
        ] {
            let inv = run_of(args);
            match check(&inv) {
                Err(Failure::Usage(msg)) => assert!(msg.contains(needle), "{args:?}: {msg}"),
                Err(other) => panic!("{args:?}: {other:?}"),
                Ok(()) => panic!("{args:?} accepted"),
            }
        }
        check(&run_of(&[
            "--caps",
            "chown:chown:",
            "--ambient-caps",
            "chown",
            "true",
        ]))
        .unwrap();
        check(&run_of(&[
            "--setgroups",
            "allow",
            "--map-user",
            "0:0:1",
            "true",
        ]))
        .unwrap();
    }

    #[test]
    fn unreadable_files_are_setup_failures() {
        // 13 bytes: not whole 8-byte BPF instructions. (A /proc file would
        // not do: its length changes from read to read.)
        let odd = std::env::temp_dir().join(format!("clonexec-odd-filter-{}", std::process::id()));
        std::fs::write(&odd, b"13 bytes long").unwrap();
        let odd_path = odd.to_str().unwrap().to_owned();
        let odd_args = ["--seccomp", &odd_path, "true"];
        let results: Vec<_> = [
            &["--seccomp", "/nonexistent/filter", "true"][..],
            &odd_args,
            &["--join", "net:/nonexistent/ns", "true"],
            &["--cgroup", "/nonexistent/cgroup", "true"],
            &["--cgroup", "/dev/null", "true"],
        ]
        .into_iter()
        .map(|args| (args, parse_strs(args)))
        .collect();
        let _ = std::fs::remove_file(&odd);
        for (args, result) in results {
            match result {
                Err(Failure::Setup(msg)) => {
                    assert!(
                        msg.starts_with(&format!("{}: ", args[0])),
                        "{args:?}: {msg}"
                    )
                }
                Err(other) => panic!("{args:?}: {other:?}"),
                Ok(_) => panic!("{args:?} accepted"),
            }
        }
    }

    #[test]
    fn exec_failures_map_to_126_and_127() {
        let err = Command::new("/nonexistent/program").spawn().unwrap_err();
        assert_eq!(spawn_exit_code(&err), EXIT_NOT_FOUND);
        let err = Command::new("/etc/passwd/x").spawn().unwrap_err();
        assert_eq!(spawn_exit_code(&err), EXIT_NOT_FOUND);
        let err = Command::new("true")
            .current_dir("/nonexistent")
            .spawn()
            .unwrap_err();
        assert_eq!(spawn_exit_code(&err), EXIT_FAILURE);
    }
}
