//! System call names for seccomp policy tests.

/// What coreutils' `true` calls from its exec to its exit, with glibc or
/// musl, including the names other architectures use for the same calls
/// (a policy leaves those out where they do not exist): an allow list
/// that runs `true` and little else.
pub const TRUE_SYSCALLS: &[&str] = &[
    "execve",
    "brk",
    "arch_prctl",
    "set_tid_address",
    "set_robust_list",
    "rseq",
    "prlimit64",
    "mmap",
    "mmap2",
    "munmap",
    "mprotect",
    "access",
    "faccessat",
    "openat",
    "newfstatat",
    "fstatat64",
    "fstat",
    "statx",
    "read",
    "pread64",
    "close",
    "getrandom",
    "futex",
    "exit_group",
];
