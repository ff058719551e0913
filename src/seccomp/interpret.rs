//! A classic BPF interpreter over `struct seccomp_data`, as the kernel runs
//! a seccomp filter: the reference the compiled policies are checked
//! against, in the unit tests and in the `seccomp` fuzz target (which
//! includes this file, so it uses nothing of the crate but `SockFilter`,
//! found through `super::`).
//!
//! It accepts what the kernel's checker accepts of classic BPF for seccomp
//! (loads of aligned 32-bit words of `seccomp_data`, the scratch memory,
//! ALU, forward jumps, `ret`) and reports any other instruction, a jump
//! out of the program or a program that runs off its end as an error, so
//! that a compiler bug cannot hide behind a lenient interpreter.

use super::SockFilter;

/// What a filter sees of one system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeccompData {
    pub nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

impl SeccompData {
    /// A call of `nr` on `arch` with no arguments.
    pub fn call(nr: u32, arch: u32) -> SeccompData {
        SeccompData {
            nr: nr as i32,
            arch,
            instruction_pointer: 0,
            args: [0; 6],
        }
    }

    /// The 32-bit word at byte `offset` (native byte order, as the kernel
    /// loads it), if aligned and inside the struct's 64 bytes.
    fn word(&self, offset: u32) -> Option<u32> {
        if !offset.is_multiple_of(4) {
            return None;
        }
        let mut bytes = [0u8; 64];
        bytes[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        bytes[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        bytes[8..16].copy_from_slice(&self.instruction_pointer.to_ne_bytes());
        for (i, arg) in self.args.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&arg.to_ne_bytes());
        }
        let at = usize::try_from(offset).ok()?;
        let word = bytes.get(at..at + 4)?;
        Some(u32::from_ne_bytes([word[0], word[1], word[2], word[3]]))
    }
}

/// Why a filter could not be run: the instruction, and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub pc: usize,
    pub what: &'static str,
}

/// Runs `filter` on `data` and returns the filter's return value.
pub fn run(filter: &[SockFilter], data: &SeccompData) -> Result<u32, Fault> {
    run_counted(filter, data).map(|(ret, _)| ret)
}

/// Runs `filter` on `data`: the filter's return value and how many
/// instructions ran to get it.
pub fn run_counted(filter: &[SockFilter], data: &SeccompData) -> Result<(u32, usize), Fault> {
    if filter.is_empty() || filter.len() > 4096 {
        return Err(Fault {
            pc: 0,
            what: "the length is not 1 to 4096 instructions",
        });
    }
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; 16];
    let mut pc = 0usize;
    let mut steps = 0usize;
    loop {
        steps += 1;
        let Some(&ins) = filter.get(pc) else {
            return Err(Fault {
                pc,
                what: "ran off the end",
            });
        };
        let bad = || Fault {
            pc,
            what: "not valid seccomp BPF",
        };
        let slot = || {
            usize::try_from(ins.k)
                .ok()
                .filter(|&k| k < 16)
                .ok_or_else(bad)
        };
        let class = ins.code & 0x07;
        let mut next = pc + 1;
        match class {
            // BPF_LD, BPF_LDX
            0x00 | 0x01 => {
                let value = match ins.code & 0xe0 {
                    // BPF_ABS, 32-bit words only (class BPF_LD).
                    0x20 if ins.code == 0x20 => data.word(ins.k).ok_or_else(bad)?,
                    // BPF_IMM
                    0x00 if ins.code & 0x18 == 0 => ins.k,
                    // BPF_MEM
                    0x60 if ins.code & 0x18 == 0 => mem[slot()?],
                    // BPF_LEN: the size of seccomp_data.
                    0x80 if ins.code & 0x18 == 0 => 64,
                    _ => return Err(bad()),
                };
                if class == 0x00 {
                    a = value;
                } else {
                    x = value;
                }
            }
            // BPF_ST, BPF_STX
            0x02 if ins.code == 0x02 => mem[slot()?] = a,
            0x03 if ins.code == 0x03 => mem[slot()?] = x,
            // BPF_ALU
            0x04 => {
                let operand = if ins.code & 0x08 != 0 { x } else { ins.k };
                a = match ins.code & 0xf0 {
                    0x00 => a.wrapping_add(operand),
                    0x10 => a.wrapping_sub(operand),
                    0x20 => a.wrapping_mul(operand),
                    0x30 => a.checked_div(operand).ok_or_else(bad)?,
                    0x40 => a | operand,
                    0x50 => a & operand,
                    0x60 => a.checked_shl(operand).unwrap_or(0),
                    0x70 => a.checked_shr(operand).unwrap_or(0),
                    0x80 => a.wrapping_neg(),
                    0x90 => a.checked_rem(operand).ok_or_else(bad)?,
                    0xa0 => a ^ operand,
                    _ => return Err(bad()),
                };
            }
            // BPF_JMP
            0x05 => {
                let operand = if ins.code & 0x08 != 0 { x } else { ins.k };
                let taken = match ins.code & 0xf0 {
                    0x00 => {
                        next = next
                            .checked_add(usize::try_from(ins.k).map_err(|_| bad())?)
                            .ok_or_else(bad)?;
                        None
                    }
                    0x10 => Some(a == operand),
                    0x20 => Some(a > operand),
                    0x30 => Some(a >= operand),
                    0x40 => Some(a & operand != 0),
                    _ => return Err(bad()),
                };
                if let Some(taken) = taken {
                    next += usize::from(if taken { ins.jt } else { ins.jf });
                }
                if next >= filter.len() {
                    return Err(Fault {
                        pc,
                        what: "jumps out of the filter",
                    });
                }
            }
            // BPF_RET
            0x06 => {
                return match ins.code {
                    0x06 => Ok((ins.k, steps)),
                    0x16 => Ok((a, steps)),
                    _ => Err(bad()),
                };
            }
            // BPF_MISC: TAX, TXA
            0x07 => match ins.code {
                0x07 => x = a,
                0x87 => a = x,
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        }
        pc = next;
    }
}
