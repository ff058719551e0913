//! Runs a program with clonexec and reports how it ended.
//!
//! ```sh
//! cargo run --release --example spawn -- id
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: spawn PROGRAM [ARGS...]");
        return ExitCode::from(2);
    };
    let start = std::time::Instant::now();
    let mut child = match clonexec::Command::new(&program).args(args).spawn() {
        Ok(child) => child,
        Err(err) => {
            eprintln!("spawn: {err}");
            return ExitCode::from(127);
        }
    };
    let spawned = start.elapsed();
    match child.wait() {
        Ok(status) => {
            eprintln!("spawn: pid {} started in {spawned:?}, {status}", child.id());
            ExitCode::from(status.code().unwrap_or(128 + status.signal().unwrap_or(0)) as u8)
        }
        Err(err) => {
            eprintln!("spawn: {err}");
            ExitCode::FAILURE
        }
    }
}
