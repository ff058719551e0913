//! Compiling a [`SeccompPolicy`] into classic BPF for one architecture.
//!
//! The program, over `struct seccomp_data { int nr; u32 arch; ... }`:
//!
//! ```text
//!     ld  [4]                  ; arch
//!     jeq #AUDIT_ARCH, 1, 0
//!     ret #KILL_PROCESS        ; a call through another ABI (i386 on x86_64)
//!     ld  [0]                  ; nr
//!     jge #0x40000000, 0, 1    ; x86_64 only: the x32 ABI's calls
//!     ret #KILL_PROCESS
//!     <tree>
//! ```
//!
//! The tree tests the listed numbers (sorted, those whose action is the
//! default left out): a run of at most [`LINEAR_MAX`] is tested one `jeq`
//! after the other, each jumping to the `ret` of its action, with the
//! default's `ret` where the run falls through; a longer run is split in
//! two at its middle number with one `jge`, recursively. Each subtree ends
//! in its own `ret`s, so the parts are laid out one after the other and no
//! jump leaves its subtree; a `jge` whose true branch would skip more than
//! the 255 instructions a conditional jump reaches goes through a `ja`,
//! which takes a 32-bit offset.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{MAX_INSTRUCTIONS, SeccompAction, SeccompArch, SeccompPolicy, SockFilter};

/// `BPF_LD | BPF_W | BPF_ABS`: `A = seccomp_data[k]`.
const LD_W_ABS: u16 = 0x20;
/// `BPF_JMP | BPF_JA`: `pc += k`.
const JA: u16 = 0x05;
/// `BPF_JMP | BPF_JEQ | BPF_K`.
const JEQ_K: u16 = 0x15;
/// `BPF_JMP | BPF_JGE | BPF_K`.
const JGE_K: u16 = 0x35;
/// `BPF_RET | BPF_K`.
const RET_K: u16 = 0x06;
/// Offsets in `struct seccomp_data`.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;
/// `__X32_SYSCALL_BIT`: x32 calls are x86_64 numbers with this bit set.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// The longest run of numbers tested one after the other.
pub(super) const LINEAR_MAX: usize = 8;

fn ins(code: u16, jt: u8, jf: u8, k: u32) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

/// The filter for `policy` on `arch`, or why it is refused.
pub(crate) fn compile(
    policy: &SeccompPolicy,
    arch: SeccompArch,
) -> Result<Vec<SockFilter>, String> {
    policy.default.check()?;
    let rules = numbered_rules(policy, arch)?;
    let kill = SeccompAction::KillProcess.ret();
    let mut program = alloc::vec![
        ins(LD_W_ABS, 0, 0, DATA_ARCH),
        ins(JEQ_K, 1, 0, arch.audit_arch()),
        ins(RET_K, 0, 0, kill),
        ins(LD_W_ABS, 0, 0, DATA_NR),
    ];
    if arch == SeccompArch::X86_64 {
        program.push(ins(JGE_K, 0, 1, X32_SYSCALL_BIT));
        program.push(ins(RET_K, 0, 0, kill));
    }
    program.extend(tree(&rules, policy.default.ret()));
    if program.len() > MAX_INSTRUCTIONS {
        return Err(format!(
            "the seccomp policy compiles to {} instructions, more than the kernel's {MAX_INSTRUCTIONS}",
            program.len()
        ));
    }
    Ok(program)
}

/// The policy's rules on `arch` as `(number, return value)`, sorted by
/// number, without those that return the default anyway.
fn numbered_rules(policy: &SeccompPolicy, arch: SeccompArch) -> Result<Vec<(u32, u32)>, String> {
    // number -> (name, action), to name both sides of a conflict.
    let mut by_number: BTreeMap<u32, (&str, SeccompAction)> = BTreeMap::new();
    for (name, action) in &policy.rules {
        action.check()?;
        let Some(nr) = arch.syscall_number(name) else {
            if SeccompArch::ALL
                .iter()
                .any(|a| a.syscall_number(name).is_some())
            {
                // Only other architectures have it: it cannot be called here.
                continue;
            }
            return Err(format!(
                "the seccomp policy names {name:?}, a system call none of x86_64, x86, aarch64 \
                 and riscv64 has"
            ));
        };
        match by_number.get(&nr) {
            Some(&(other, earlier)) if earlier != *action => {
                let what = if other == name {
                    format!("{name:?}")
                } else {
                    format!("{other:?} and {name:?} (both number {nr} on {arch:?})")
                };
                return Err(format!(
                    "the seccomp policy gives {what} two actions: {earlier:?} and {action:?}"
                ));
            }
            Some(_) => {}
            None => {
                by_number.insert(nr, (name, *action));
            }
        }
    }
    Ok(by_number
        .into_iter()
        .filter(|(_, (_, action))| *action != policy.default)
        .map(|(nr, (_, action))| (nr, action.ret()))
        .collect())
}

/// The code deciding among `rules` (sorted by number) with `default` for
/// every other number: ends in `ret`s on every path.
fn tree(rules: &[(u32, u32)], default: u32) -> Vec<SockFilter> {
    if rules.len() <= LINEAR_MAX {
        return linear(rules, default);
    }
    let (left, right) = rules.split_at(rules.len() / 2);
    let split = right.first().map_or(0, |&(nr, _)| nr);
    let left = tree(left, default);
    let right = tree(right, default);
    let mut code = Vec::with_capacity(left.len() + right.len() + 2);
    match u8::try_from(left.len()) {
        // nr >= split: skip the left part.
        Ok(skip) => code.push(ins(JGE_K, skip, 0, split)),
        Err(_) => {
            code.push(ins(JGE_K, 0, 1, split));
            code.push(ins(JA, 0, 0, left.len() as u32));
        }
    }
    code.extend(left);
    code.extend(right);
    code
}

/// One `jeq` per rule, then the default's `ret`, then one `ret` per
/// distinct action of the rules (at most [`LINEAR_MAX`] of each, so every
/// jump is short).
fn linear(rules: &[(u32, u32)], default: u32) -> Vec<SockFilter> {
    let mut returns: Vec<u32> = Vec::new();
    for &(_, ret) in rules {
        if !returns.contains(&ret) {
            returns.push(ret);
        }
    }
    let mut code = Vec::with_capacity(2 * rules.len() + 1);
    for (i, &(nr, ret)) in rules.iter().enumerate() {
        let slot = returns.iter().position(|&r| r == ret).unwrap_or(0);
        // Past the later jeqs and the default's ret, to the action's ret.
        let skip = rules.len() - 1 - i + 1 + slot;
        code.push(ins(JEQ_K, skip as u8, 0, nr));
    }
    code.push(ins(RET_K, 0, 0, default));
    code.extend(returns.into_iter().map(|ret| ins(RET_K, 0, 0, ret)));
    code
}
