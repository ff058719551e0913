//! The basics of a spawn: arguments and environment, finding the program
//! (also through an fd) and the errors of a failed spawn, exit statuses,
//! stdio, fd mappings, `Prepared`, the input `prepare()` refuses, std's
//! `CommandExt` extras (`std_exec`: `pre_exec`, failed `exec()`, the
//! `/bin/sh` fallback), and the suite's own skip rules (`harness`).
//!
//! One test binary for what used to be nine (linking them was most of the
//! build). Its tests share one process: the ones that predict the fd
//! numbers the next `open` gets (all of `fd_mapping`, one test of
//! `exec_fd`) hold `common::exclusive()`, every other test
//! `common::shared()`, so that no fd is opened while they count on it.

#[path = "../common/mod.rs"]
mod common;

mod args_env;
mod exec_errors;
mod exec_fd;
mod exit_status;
mod fd_mapping;
mod harness;
mod prepare_refusals;
mod prepared;
mod std_exec;
mod stdio;
