//! Seccomp: a classic BPF program installed as the child's last step,
//! given as instructions ([`SockFilter`]) or compiled from a policy by
//! system call name ([`SeccompPolicy`]).

mod compile;
#[cfg(test)]
mod interpret;
mod policy;
mod tables;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;

pub(crate) use compile::compile as compile_policy;
pub use policy::{ParseSeccompActionError, SeccompAction, SeccompArch, SeccompPolicy};

/// One classic BPF instruction (`struct sock_filter`), as the kernel reads
/// it: build programs with any BPF assembler or by hand.
///
/// ```
/// use clonexec::SockFilter;
/// // return SECCOMP_RET_ALLOW
/// let allow_all = vec![SockFilter { code: 0x06, jt: 0, jf: 0, k: 0x7fff_0000 }];
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockFilter {
    /// Opcode.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Generic field (constant, offset, return value).
    pub k: u32,
}

impl SockFilter {
    /// Decodes a raw program: 8 bytes per instruction in native byte order,
    /// as `seccomp-tools`/`libseccomp`'s `seccomp_export_bpf` write it.
    /// Returns `None` when the length is not a multiple of 8.
    pub fn from_bytes(bytes: &[u8]) -> Option<Vec<SockFilter>> {
        if !bytes.len().is_multiple_of(8) {
            return None;
        }
        Some(
            bytes
                .chunks_exact(8)
                .map(|c| SockFilter {
                    code: u16::from_ne_bytes([c[0], c[1]]),
                    jt: c[2],
                    jf: c[3],
                    k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
                })
                .collect(),
        )
    }
}

/// The most instructions the kernel accepts in one filter (`BPF_MAXINSNS`).
pub(crate) const MAX_INSTRUCTIONS: usize = 4096;

bitflags::bitflags! {
    /// `SECCOMP_FILTER_FLAG_*` for `seccomp(SECCOMP_SET_MODE_FILTER)`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SeccompFlags: u32 {
        /// Synchronize all threads to the filter (the child has one thread).
        const TSYNC = 1 << 0;
        /// Log every action but `SECCOMP_RET_ALLOW`.
        const LOG = 1 << 1;
        /// Disable speculative store bypass mitigation.
        const SPEC_ALLOW = 1 << 2;
    }
}
