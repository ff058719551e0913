//! Helpers shared by the integration tests, one tree for all of them.
//!
//! A single-file test binary (`tests/NAME.rs`) includes it with
//! `mod common;`, a grouped one (`tests/GROUP/main.rs`, whose former test
//! files are modules) with `#[path = "../common/mod.rs"] mod common;`; the
//! modules then `use crate::common;`. Not every binary uses every helper.
//!
//! By concept:
//!
//! - `skip`: how a test that cannot run here says so (and when it must
//!   fail instead), root and qemu-user checks;
//! - `lock`: serializing tests that share a process;
//! - `files`: temporary directories and the executables written there;
//! - `procfs`: readers of `/proc` (status and stat fields, fds, zombies);
//! - `fds`: pipes and fd numbers;
//! - `run`: running a child and collecting what it printed;
//! - `helper`: re-running this test binary as a helper process;
//! - `namespaces`: namespace views and hand-made static programs;
//! - `pty`: pseudo-terminals;
//! - `syscalls`: system call names for seccomp policies.
//! - `seccomp`: making a system call look missing.
//!
//! Every helper is defined once; the submodules' items are re-exported
//! here, so callers write `common::NAME`. Each binary uses a different
//! subset, hence the allowances.
#![allow(dead_code, unused_imports, unused_macros)]

mod fds;
mod files;
mod helper;
mod lock;
mod namespaces;
mod procfs;
mod pty;
mod run;
mod seccomp;
mod skip;
mod syscalls;

pub use fds::*;
pub use files::*;
pub use helper::*;
pub use lock::*;
pub use namespaces::*;
pub use procfs::*;
pub use pty::*;
pub use run::*;
pub use seccomp::*;
pub use skip::*;
pub use syscalls::*;
