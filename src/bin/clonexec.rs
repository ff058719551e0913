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
//! for it and exits with its status. Flags are named like util-linux
//! `unshare`/`setpriv`:
//!
//! | area | flags |
//! |---|---|
//! | Process | `--setsid`, `--pgid N`, `--pdeathsig SIG`, `--arg0 NAME` |
//! | Credentials | `--uid N`, `--gid N`, `--groups N,...`, `--keep-groups`, `--ambient-caps CAP,...` |
//! | Files | `--cd DIR`, `--fd CHILD=PARENT` (repeatable), `--close-fds` |
//! | Environment | `--env K=V` (repeatable), `--env-clear`, `--env-remove K` (repeatable) |
//! | Output | `--print-pid`, `-h`/`--help`, `-V`/`--version` |
//!
//! `--help` describes each flag.
//!
//! # Exit status
//!
//! | status | meaning |
//! |---|---|
//! | the program's | the program exited with this code |
//! | 128 + N | the program was killed by signal N (as shells report it) |
//! | 125 | clonexec itself failed before the program ran (a refused `setresuid`, a bad `--cd`, an `--fd` that is not open, ...) |
//! | 126 | the program was found but could not be executed (`execve` failed with `EACCES`, `ENOEXEC`, ...) |
//! | 127 | the program was not found (`execve` failed with `ENOENT` or `ENOTDIR`) |
//! | 2 | usage error (unknown flag, bad value, no program) |
//!
//! Errors are printed to stderr as one line naming the program, the step that
//! failed and the OS error:
//!
//! ```text
//! clonexec: spawning "x": execve failed: ENOENT (No such file or directory)
//! ```
//!
//! clonexec does not forward signals: a signal that kills clonexec leaves
//! the program running unless `--pdeathsig` was given.
//!
//! # Adding a flag
//!
//! Add a row to [`FLAGS`] (which the help text is generated from) and one arm
//! to the `match` in [`parse`]; the unit tests check that the two agree.

use std::ffi::OsString;
use std::fmt::Display;
use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::ExitCode;
use std::str::FromStr;

use clonexec::{Capability, Command, Error, Signal, Step};
use lexopt::prelude::*;

/// Exit status for a usage error.
const EXIT_USAGE: u8 = 2;
/// Exit status when clonexec failed before the program ran.
const EXIT_FAILURE: u8 = 125;
/// Exit status when the program was found but could not be executed.
const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status when the program was not found.
const EXIT_NOT_FOUND: u8 = 127;

/// The areas the help text groups flags by, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Process,
    Credentials,
    Files,
    Environment,
    Output,
}

impl Group {
    const ALL: [Group; 5] = [
        Group::Process,
        Group::Credentials,
        Group::Files,
        Group::Environment,
        Group::Output,
    ];

    fn title(self) -> &'static str {
        match self {
            Group::Process => "Process",
            Group::Credentials => "Credentials",
            Group::Files => "Files",
            Group::Environment => "Environment",
            Group::Output => "Output",
        }
    }
}

/// One command-line flag, as the help text shows it.
#[derive(Debug)]
struct Flag {
    /// The long name, without `--`.
    long: &'static str,
    /// The short name, if any.
    short: Option<char>,
    /// The value's placeholder, for flags that take one.
    value: Option<&'static str>,
    group: Group,
    help: &'static str,
}

const fn flag(
    group: Group,
    long: &'static str,
    value: Option<&'static str>,
    help: &'static str,
) -> Flag {
    Flag {
        long,
        short: None,
        value,
        group,
        help,
    }
}

/// Every flag. The help text is generated from this table; [`parse`] has
/// one `match` arm per row. A `\n` in a help text starts an indented line.
const FLAGS: &[Flag] = &[
    // Process
    flag(
        Group::Process,
        "setsid",
        None,
        "start in a new session (setsid)",
    ),
    flag(
        Group::Process,
        "pgid",
        Some("N"),
        "join process group N (setpgid); 0 = a new group",
    ),
    flag(
        Group::Process,
        "pdeathsig",
        Some("SIG"),
        "send SIG to PROGRAM when clonexec dies\n(TERM, SIGTERM or 15)",
    ),
    flag(
        Group::Process,
        "arg0",
        Some("NAME"),
        "pass NAME as argv[0] instead of PROGRAM",
    ),
    // Credentials
    flag(
        Group::Credentials,
        "uid",
        Some("N"),
        "run as user id N (setresuid)",
    ),
    flag(
        Group::Credentials,
        "gid",
        Some("N"),
        "run as group id N (setresgid)",
    ),
    flag(
        Group::Credentials,
        "groups",
        Some("N,..."),
        "set the supplementary groups ('' = none);\nwithout it --uid/--gid clear them",
    ),
    flag(
        Group::Credentials,
        "keep-groups",
        None,
        "keep the supplementary groups across --uid/--gid",
    ),
    flag(
        Group::Credentials,
        "ambient-caps",
        Some("CAP,..."),
        "raise ambient capabilities (net_raw,\ncap_sys_time, +sys_nice, 13); repeatable",
    ),
    // Files
    flag(
        Group::Files,
        "cd",
        Some("DIR"),
        "run in DIR (entered after the uid change)",
    ),
    flag(
        Group::Files,
        "fd",
        Some("CHILD=PARENT"),
        "give clonexec's fd PARENT to PROGRAM as fd\nCHILD; repeatable",
    ),
    flag(
        Group::Files,
        "close-fds",
        None,
        "close every fd but 0-2 and those of --fd",
    ),
    // Environment
    flag(
        Group::Environment,
        "env",
        Some("K=V"),
        "set variable K to V; repeatable",
    ),
    flag(
        Group::Environment,
        "env-clear",
        None,
        "start from an empty environment (applied\nbefore every --env, wherever it appears)",
    ),
    flag(
        Group::Environment,
        "env-remove",
        Some("K"),
        "remove variable K; repeatable",
    ),
    // Output
    flag(
        Group::Output,
        "print-pid",
        None,
        "print 'clonexec: pid N' to stderr once started",
    ),
    Flag {
        short: Some('h'),
        ..flag(Group::Output, "help", None, "print this help and exit")
    },
    Flag {
        short: Some('V'),
        ..flag(Group::Output, "version", None, "print the version and exit")
    },
];

/// The help text: usage, every flag of [`FLAGS`] by group, exit statuses.
fn help_text() -> String {
    let mut text = String::from(
        "Usage: clonexec [OPTIONS] [--] PROGRAM [ARGS...]\n\
         \n\
         Run PROGRAM with the given process attributes, wait for it and exit\n\
         with its status. Options stop at PROGRAM: the arguments after it are\n\
         passed to it unchanged.\n",
    );
    let names: Vec<String> = FLAGS
        .iter()
        .map(|flag| {
            let mut name = match flag.short {
                Some(c) => format!("-{c}, --{}", flag.long),
                None => format!("    --{}", flag.long),
            };
            if let Some(value) = flag.value {
                name.push(' ');
                name.push_str(value);
            }
            name
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    for group in Group::ALL {
        text.push_str(&format!("\n{}:\n", group.title()));
        for (flag, name) in FLAGS.iter().zip(&names) {
            if flag.group != group {
                continue;
            }
            let mut lines = flag.help.lines();
            let first = lines.next().unwrap_or_default();
            text.push_str(&format!("  {name:<width$}  {first}\n"));
            for line in lines {
                text.push_str(&format!("  {:<width$}  {line}\n", ""));
            }
        }
    }
    text.push_str(
        "\nExit status:\n  \
           N      PROGRAM exited with status N\n  \
           128+N  PROGRAM was killed by signal N\n  \
           125    clonexec failed before PROGRAM ran (bad --cd, refused --uid, ...)\n  \
           126    PROGRAM was found but could not be executed\n  \
           127    PROGRAM was not found\n  \
           2      usage error\n",
    );
    text
}

/// A deferred change to the [`Command`], which only exists once PROGRAM is
/// known (after the options).
type Setting = Box<dyn FnOnce(&mut Command)>;

/// What a command line asks to run.
#[derive(Default)]
struct Invocation {
    program: OsString,
    args: Vec<OsString>,
    /// Builder calls, in command-line order.
    settings: Vec<Setting>,
    /// Applied before `settings`, so `--env` survives wherever this appears.
    env_clear: bool,
    groups: Option<Vec<u32>>,
    keep_groups: bool,
    /// Collected over every `--ambient-caps`.
    ambient_caps: Vec<Capability>,
    print_pid: bool,
}

impl Invocation {
    /// Records a builder call to make on the [`Command`].
    fn set(&mut self, f: impl FnOnce(&mut Command) -> &mut Command + 'static) {
        self.settings.push(Box::new(move |cmd| {
            f(cmd);
        }));
    }

    /// The [`Command`] this invocation describes.
    fn command(self) -> Command {
        let mut cmd = Command::new(self.program);
        if self.env_clear {
            cmd.env_clear();
        }
        for setting in self.settings {
            setting(&mut cmd);
        }
        if let Some(groups) = &self.groups {
            cmd.groups(groups);
        }
        if self.keep_groups {
            cmd.keep_groups(true);
        }
        if !self.ambient_caps.is_empty() {
            cmd.ambient_caps(self.ambient_caps);
        }
        cmd.args(self.args);
        cmd
    }
}

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

/// Parses a flag's value as UTF-8 text.
fn text(value: OsString, flag: &str) -> Result<String, Failure> {
    value
        .into_string()
        .map_err(|v| Failure::Usage(format!("invalid value {v:?} for '--{flag}': not UTF-8")))
}

/// Parses one item of a flag's value with `FromStr`.
fn item<T: FromStr>(item: &str, flag: &str) -> Result<T, Failure>
where
    T::Err: Display,
{
    item.parse()
        .map_err(|e| Failure::Usage(format!("invalid value '{item}' for '--{flag}': {e}")))
}

/// Parses an fd or process-group number: 0 to `i32::MAX`.
fn non_negative(value: &str, flag: &str) -> Result<i32, Failure> {
    let n: u32 = item(value, flag)?;
    i32::try_from(n)
        .map_err(|e| Failure::Usage(format!("invalid value '{value}' for '--{flag}': {e}")))
}

/// Parses a comma-separated list (empty text is an empty list).
fn list<T: FromStr>(value: &str, flag: &str) -> Result<Vec<T>, Failure>
where
    T::Err: Display,
{
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| item(s, flag))
        .collect()
}

/// Splits `K=V` at the first `=`; `K` must not be empty.
fn key_value(value: OsString, flag: &str, what: &str) -> Result<(OsString, OsString), Failure> {
    let bytes = value.as_bytes();
    match bytes.iter().position(|&b| b == b'=') {
        Some(eq) if eq > 0 => Ok((
            OsString::from_vec(bytes[..eq].to_vec()),
            OsString::from_vec(bytes[eq + 1..].to_vec()),
        )),
        _ => Err(Failure::Usage(format!(
            "invalid value {value:?} for '--{flag}': expected {what}"
        ))),
    }
}

/// A close-on-exec duplicate of clonexec's fd `parent` (for `--fd
/// CHILD=PARENT`, written `spec`), which must be open.
fn dup_inherited_fd(parent: i32, spec: &str) -> Result<OwnedFd, Failure> {
    // SAFETY: this borrow lives only for the two calls below, during which
    // nothing in clonexec closes fds (it is single-threaded and owns no fds
    // yet). If `parent` is not open, `fcntl(F_GETFD)` fails with `EBADF` and
    // the borrow is not used further; no memory is touched either way.
    let borrowed = unsafe { BorrowedFd::borrow_raw(parent) };
    if rustix::io::fcntl_getfd(borrowed).is_err() {
        return Err(Failure::Setup(format!(
            "--fd {spec}: fd {parent} is not open in clonexec"
        )));
    }
    borrowed
        .try_clone_to_owned()
        .map_err(|e| Failure::Setup(format!("--fd {spec}: duplicating fd {parent} failed: {e}")))
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
            Long("pgid") => {
                let pgid = non_negative(&text(p.value()?, "pgid")?, "pgid")?;
                inv.set(move |c| c.process_group(pgid));
            }
            Long("pdeathsig") => {
                let sig: Signal = item(&text(p.value()?, "pdeathsig")?, "pdeathsig")?;
                inv.set(move |c| c.pdeathsig(sig));
            }
            Long("arg0") => {
                let name = p.value()?;
                inv.set(move |c| c.arg0(name));
            }

            // Credentials
            Long("uid") => {
                let uid: u32 = item(&text(p.value()?, "uid")?, "uid")?;
                inv.set(move |c| c.uid(uid));
            }
            Long("gid") => {
                let gid: u32 = item(&text(p.value()?, "gid")?, "gid")?;
                inv.set(move |c| c.gid(gid));
            }
            Long("groups") => inv.groups = Some(list(&text(p.value()?, "groups")?, "groups")?),
            Long("keep-groups") => inv.keep_groups = true,
            Long("ambient-caps") => {
                let value = text(p.value()?, "ambient-caps")?;
                // setpriv writes `+cap`; accept it.
                let caps = value.split(',').map(|s| s.strip_prefix('+').unwrap_or(s));
                for cap in caps.filter(|s| !s.is_empty()) {
                    inv.ambient_caps.push(item(cap, "ambient-caps")?);
                }
            }

            // Files
            Long("cd") => {
                let dir = p.value()?;
                inv.set(move |c| c.current_dir(dir));
            }
            Long("fd") => {
                let spec = text(p.value()?, "fd")?;
                let (child, parent) = spec.split_once('=').ok_or_else(|| {
                    Failure::Usage(format!(
                        "invalid value '{spec}' for '--fd': expected CHILD=PARENT"
                    ))
                })?;
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

/// Checks what the library would refuse in its own terms, to name the flags.
fn check(inv: &Invocation) -> Result<(), Failure> {
    if inv.keep_groups && inv.groups.is_some() {
        return Err(Failure::Usage(String::from(
            "--groups and --keep-groups contradict each other",
        )));
    }
    Ok(())
}

/// Runs the program and returns clonexec's exit status.
fn run(inv: Invocation) -> Result<u8, Failure> {
    check(&inv)?;
    let print_pid = inv.print_pid;
    let mut cmd = inv.command();
    let mut child = cmd.spawn().map_err(Failure::Spawn)?;
    // Close our copies of the `--fd` fds: a reader of a pipe passed with
    // `--fd` must see EOF when the program closes it.
    drop(cmd);
    if print_pid {
        eprintln!("clonexec: pid {}", child.id());
    }
    let status = child.wait().map_err(Failure::Spawn)?;
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
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Parsed, Failure> {
        parse(args.iter().map(OsString::from))
    }

    /// A valid value for a flag's placeholder.
    fn sample(value: &str) -> &'static str {
        match value {
            "N" => "1",
            "N,..." => "1,2",
            "SIG" => "TERM",
            "CAP,..." => "net_raw,+cap_sys_time",
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
            args.extend(flag.value.map(|v| sample(v).to_owned()));
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
            (&["--env", "=v", "true"], "'--env'"),
            (&["--fd", "5", "true"], "'--fd'"),
            (&["--uid"], "'--uid'"),
            (&["--setsid=yes", "true"], "'--setsid'"),
            (&["--bogus", "true"], "'--bogus'"),
            (&["-x", "true"], "'-x'"),
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
