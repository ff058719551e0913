//! Code shared by the spawn benchmarks (`benches/spawn.rs`,
//! `benches/spawn_criterion.rs`) and the syscall-count helper
//! (`examples/bench_spawn_loop.rs`, included with `#[path]`).
//!
//! - [`noop`]: the static no-op program the benchmarks spawn.
//! - [`spawners`]: one [`spawners::Spawner`] per implementation compared
//!   (clonexec, std, posix_spawn, fork+exec, the vfork floor, ...), for each
//!   attribute set.
//! - [`sys`]: parent-side setup: RSS ballast, open-fd ballast, rlimits and
//!   machine facts for the report.

// Each binary that includes this module uses a different part of it.
#![allow(dead_code)]

pub mod noop;
pub mod spawners;
pub mod sys;

/// `CLONEXEC_BENCH_QUICK=1`: the < 1 minute mode CI uses to check that the
/// benchmarks still run.
pub fn quick() -> bool {
    env_flag("CLONEXEC_BENCH_QUICK")
}

/// An environment variable set to something other than "", "0" or "false".
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A numeric environment variable.
pub fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Whether the binary was started by `cargo bench` (`--bench`), rather than
/// in test mode by `cargo test --benches` (no `--bench`).
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}
