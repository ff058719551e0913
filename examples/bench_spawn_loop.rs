//! Spawns a program N times (spawn + exec + wait) with one of the
//! implementations of the spawn benchmarks, so that `strace -f -c` can
//! count the system calls one spawn costs. `benches/strace.sh` runs it for
//! every implementation and prints the per-spawn table.
//!
//! ```sh
//! cargo build --release --example bench_spawn_loop
//! strace -f -c target/release/examples/bench_spawn_loop clonexec 1000
//! target/release/examples/bench_spawn_loop --list
//! ```
//!
//! Usage: `bench_spawn_loop IMPL [N] [ATTRS] [PROGRAM]` with IMPL one of
//! `clonexec prepared std std-fork posix_spawn fork floor fork-userns`,
//! N spawns (default 1000), ATTRS one of `none ids caps closefds userns`
//! (default none), PROGRAM a path (default: the static no-op the
//! benchmarks write). Without CLONEXEC_BENCH_SPAWN_LOOP_QUIET it prints how
//! long the loop took.

#[path = "../benches/common/mod.rs"]
mod common;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use common::noop::NoopProgram;
use common::spawners::{Attrs, Impl, make};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .first()
        .is_none_or(|a| a == "--help" || a == "-h" || a == "--list")
    {
        eprintln!("usage: bench_spawn_loop IMPL [N] [ATTRS] [PROGRAM]");
        for attrs in Attrs::ALL {
            let names: Vec<_> = attrs.impls().iter().map(|i| i.name()).collect();
            eprintln!("  ATTRS {:<9} IMPL {}", attrs.name(), names.join(" "));
        }
        return ExitCode::from(2);
    }
    let Some(imp) = Impl::from_name(&args[0]) else {
        eprintln!("bench_spawn_loop: unknown implementation {:?}", args[0]);
        return ExitCode::from(2);
    };
    let count: u64 = match args.get(1).map(|n| n.parse()) {
        None => 1000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("bench_spawn_loop: N must be a number");
            return ExitCode::from(2);
        }
    };
    let attrs = match args.get(2) {
        None => Attrs::None,
        Some(name) => match Attrs::from_name(name) {
            Some(a) => a,
            None => {
                eprintln!("bench_spawn_loop: unknown attribute set {name:?}");
                return ExitCode::from(2);
            }
        },
    };
    let noop = NoopProgram::create();
    let program = match args.get(3) {
        Some(path) => CString::new(std::ffi::OsStr::new(path).as_bytes()).expect("no NUL"),
        None => noop.c_path(),
    };
    let mut spawner = match make(imp, attrs, &program) {
        Ok(s) => s,
        Err(why) => {
            eprintln!(
                "bench_spawn_loop: {} with {}: {why}",
                imp.name(),
                attrs.name()
            );
            return ExitCode::from(1);
        }
    };
    let start = std::time::Instant::now();
    for _ in 0..count {
        spawner.spawn_wait();
    }
    spawner.after_batch();
    if count > 0 && !common::env_flag("CLONEXEC_BENCH_SPAWN_LOOP_QUIET") {
        let per = start.elapsed() / u32::try_from(count).unwrap_or(u32::MAX);
        eprintln!(
            "{} ({}): {count} spawns of {}, {per:?} each",
            imp.label(attrs),
            attrs.label(),
            program.to_string_lossy(),
        );
    }
    ExitCode::SUCCESS
}
