//! The process attributes a spawn sets: credentials (uid, gid, groups),
//! capabilities, securebits, no_new_privs, seccomp (filters and policies),
//! Landlock, keyrings, resource limits, oom_score_adj, personality, signal
//! mask and dispositions,
//! ptrace, the parent-death signal, sessions, process groups and terminals.
//!
//! One test binary for what used to be seven. Its tests share one process:
//! the ones that change or read what a process has once (`credentials`:
//! its supplementary groups, its SIGUSR1 handler, its dumpable flag;
//! `signals`: its signal dispositions; one `limits` test: which fd numbers
//! are free) hold `common::exclusive()`, every other test
//! `common::shared()`.

#[path = "../common/mod.rs"]
mod common;

mod credentials;
mod landlock;
mod limits;
mod pdeathsig;
mod privileges;
mod process_relations;
mod seccomp_policy;
mod signals;
mod tty;
