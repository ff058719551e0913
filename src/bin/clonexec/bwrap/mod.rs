//! bubblewrap's command line: `clonexec` run as `bwrap` (a symlink named
//! so) or as `clonexec bwrap ...` takes bubblewrap's options and builds
//! the same sandbox with the library.
//!
//! ```text
//! bwrap [OPTIONS...] [--] COMMAND [ARGS...]
//! ```
//!
//! [`parse`](mod@parse) reads the options into a
//! [`Sandbox`](parse::Sandbox), in their order (mount operations apply in
//! the order given; `--args FD` reads more of them from an fd, through
//! [`fds`]); [`lower`] turns it into a [`clonexec::Command`] with
//! bubblewrap's model (a root built from an empty tmpfs, `nodev` and
//! `nosuid` binds, a user namespace when not run as root, capabilities as
//! asked, `no_new_privs`); [`run`] becomes the program, or spawns and
//! waits for it when something needs a parent (a new PID namespace,
//! `--info-fd`, `--json-status-fd`).
//!
//! As in bubblewrap, messages start with `bwrap: `, and clonexec's own
//! failures (a bad option, a missing bind source, a failed setup step, a
//! program that cannot be run) exit with status 1; otherwise the status is
//! the program's, or 128 + N when signal N killed it.
//!
//! Not supported (refused with a message): `--userns`, `--userns2`,
//! `--pidns`, `--lock-file`, `--sync-fd`, `--block-fd`,
//! `--userns-block-fd`, `--add-seccomp-fd`, `--mqueue`, overlays and
//! SELinux labels.

pub mod fds;
mod lower;
pub mod parse;
mod run;

use std::ffi::OsString;
use std::io::Write;

use fds::InheritedFds;
use parse::{Parsed, parse};

/// The version bubblewrap's command line is followed from.
const BUBBLEWRAP_VERSION: &str = "0.11.1";

/// Runs clonexec as bubblewrap: `argv0` names the command (for the help
/// text), `args` are the arguments after it. Returns the exit status.
pub fn main(argv0: OsString, args: Vec<OsString>) -> u8 {
    if args.is_empty() {
        let _ = std::io::stderr().write_all(parse::help_text(&argv0).as_bytes());
        return run::EXIT_FAILED;
    }
    let mut fds = InheritedFds::default();
    match parse(&argv0, args, &mut fds) {
        Ok(Parsed::Help(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        Ok(Parsed::Version) => {
            let _ = writeln!(
                std::io::stdout(),
                "bubblewrap {BUBBLEWRAP_VERSION} (clonexec {})",
                env!("CARGO_PKG_VERSION")
            );
            0
        }
        Ok(Parsed::Run(sandbox)) => run::run(*sandbox),
        Err(error) => {
            match &error.usage {
                Some(usage) => {
                    let _ = std::io::stderr().write_all(usage.as_bytes());
                }
                None => run::say(error.level_prefix, 3, &error.message),
            }
            run::EXIT_FAILED
        }
    }
}

/// The command a prepared sandbox runs, for the fuzz target: parses
/// `args` with `fds` and lowers the result, without running anything.
#[cfg(fuzzing)]
pub fn prepare(
    argv0: &std::ffi::OsStr,
    args: Vec<OsString>,
    fds: &mut dyn fds::Fds,
) -> Result<Option<clonexec::Command>, String> {
    match parse(argv0, args, fds) {
        Ok(Parsed::Run(mut sandbox)) => lower::command(&mut sandbox).map(Some),
        Ok(_) => Ok(None),
        // A missing command is refused with the usage text.
        Err(error) => Err(error.usage.unwrap_or(error.message)),
    }
}
