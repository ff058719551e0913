//! std's own tests of `std::process`, run against clonexec: the scenarios
//! of library/std/src/process/tests.rs (`process_tests`), of the Unix
//! process tests under library/std/src/sys/process/unix (`unix_tests`),
//! and std's documentation examples for `std::process` and
//! `std::os::unix::process` (`doc_examples`), each test named after the
//! std test (or documented item) it mirrors. The code is std's with its
//! `use std::process::...` line naming clonexec instead; what else changed
//! is said where it did (a std-internal API replaced by the public one, an
//! edition-2024 `unsafe` around `env::set_var`). tests/std_ui_process.rs
//! has the tests/ui/process programs, which need a process of their own.
//!
//! Also: `signatures`, a compile-only check that each std item clonexec
//! matches has std's signature, and `same_as_std`, which compares what
//! clonexec prints (`Debug` of commands, `Display` of statuses) and does
//! with what std prints and does, side by side.
//!
//! The tests that change process-wide state (environment variables) hold
//! `common::exclusive()`, every other test `common::shared()`.

// std's code as written: std's extension traits are imported where std's
// tests import them, though clonexec's `Command` and `ExitStatus` have
// those methods of their own (the compiler then calls the import unused),
// and std's style (`args(&[..])`, `return x;`) is kept.
#![allow(
    unused_imports,
    unused_mut,
    clippy::bool_assert_comparison,
    clippy::needless_borrowed_reference,
    clippy::needless_borrows_for_generic_args,
    clippy::needless_return,
    clippy::redundant_static_lifetimes,
    clippy::single_match,
    clippy::unused_io_amount
)]

#[path = "../common/mod.rs"]
mod common;

mod doc_examples;
mod process_tests;
mod same_as_std;
mod signatures;
mod unix_tests;
