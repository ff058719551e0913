//! New and joined namespaces, id maps and cgroups (`namespaces`), the
//! child's filesystem view: mounts, `chroot`, `pivot_root` (`filesystem`),
//! `lock_mounts`, building a sandbox root (`sandbox_root`), and the pid-1
//! init of a new PID namespace (`pid1_init`).
//!
//! One test binary for what used to be four. Its tests share one process:
//! the ones that count this process's fds and zombie children or read its
//! dumpable flag (the leak and cgroup tests of `namespaces`) hold
//! `common::exclusive()`, every other test `common::shared()`, so that no
//! other test's spawn is in flight while they count.

#[path = "../common/mod.rs"]
mod common;

mod filesystem;
mod lock_mounts;
mod namespaces;
mod pid1_init;
mod sandbox_root;
