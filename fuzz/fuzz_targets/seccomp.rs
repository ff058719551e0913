//! `SeccompPolicy::compile` against a classic-BPF interpreter: arbitrary
//! bytes become a policy (names drawn from every architecture's table and
//! unknown ones, any action, errnos in and out of range, the same call
//! listed again) and an architecture to compile for.
//!
//! `compile` must refuse exactly the policies with an unknown name, an
//! errno outside 0..=4095 or a call given two actions on that
//! architecture. A filter it returns must hold at most 4096 instructions
//! and, run by the interpreter the unit tests use (src/seccomp/interpret.rs,
//! which rejects anything the kernel would not run), answer what the
//! policy's lists say for every number up to past the highest of any
//! architecture, the x32 numbers and the edges of `u32`, made from every
//! architecture: kill a call from another architecture or through x32 on
//! x86_64, the listed action for a listed call, the default otherwise.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use clonexec::{SeccompAction, SeccompArch, SeccompPolicy, SockFilter};
use libfuzzer_sys::fuzz_target;

#[path = "../../src/seccomp/interpret.rs"]
mod interpret;

use interpret::{SeccompData, run};

/// `AUDIT_ARCH_*` of each architecture (linux/audit.h), written out here
/// rather than taken from the crate under test.
fn audit_arch(arch: SeccompArch) -> u32 {
    match arch {
        SeccompArch::X86_64 => 0xc000_003e,
        SeccompArch::X86 => 0x4000_0003,
        SeccompArch::Aarch64 => 0xc000_00b7,
        SeccompArch::Riscv64 => 0xc000_00f3,
    }
}

/// `SECCOMP_RET_*` of each action (linux/seccomp.h).
fn ret(action: SeccompAction) -> u32 {
    match action {
        SeccompAction::Allow => 0x7fff_0000,
        SeccompAction::Errno(errno) => 0x0005_0000 | (errno as u32 & 0xffff),
        SeccompAction::KillProcess => 0x8000_0000,
        SeccompAction::KillThread => 0,
        SeccompAction::Trap => 0x0003_0000,
        SeccompAction::Log => 0x7ffc_0000,
    }
}

const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// An action: mostly valid ones (an errno out of range, refused, in one
/// of 16).
#[derive(Debug, Clone, Copy)]
enum Action {
    Allow,
    Errno(i32),
    KillProcess,
    KillThread,
    Trap,
    Log,
}

impl<'a> Arbitrary<'a> for Action {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let kind: u8 = u.arbitrary()?;
        Ok(match kind % 16 {
            0 => Action::Errno(u.arbitrary()?),
            1..=4 => Action::Errno(i32::from(u.arbitrary::<u8>()?)),
            5..=7 => Action::Allow,
            8..=9 => Action::KillProcess,
            10..=11 => Action::KillThread,
            12..=13 => Action::Trap,
            _ => Action::Log,
        })
    }
}

impl Action {
    fn action(self) -> SeccompAction {
        match self {
            Action::Allow => SeccompAction::Allow,
            Action::Errno(errno) => SeccompAction::Errno(errno),
            Action::KillProcess => SeccompAction::KillProcess,
            Action::KillThread => SeccompAction::KillThread,
            Action::Trap => SeccompAction::Trap,
            Action::Log => SeccompAction::Log,
        }
    }
}

/// A system call name: mostly one of a table (an architecture's own, or
/// another's), in one of 32 any text (almost always no system call).
#[derive(Debug)]
enum Name {
    /// The `index`th call of an architecture's table.
    Known { arch: u8, index: u16 },
    Other(String),
}

impl<'a> Arbitrary<'a> for Name {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let kind: u8 = u.arbitrary()?;
        Ok(if kind % 32 == 0 {
            Name::Other(u.arbitrary()?)
        } else {
            Name::Known {
                arch: kind,
                index: u.arbitrary()?,
            }
        })
    }
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Known { arch, index } => {
                let table = SeccompArch::ALL[usize::from(*arch) % 4].syscalls();
                table[usize::from(*index) % table.len()].0.to_owned()
            }
            Name::Other(text) => text.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    arch: u8,
    default: Action,
    /// Lists given with `deny` (an `Allow` one as `allow`), in order.
    lists: Vec<(Vec<Name>, Action)>,
}

/// Whether `errno` is one the kernel returns as given.
fn valid(action: SeccompAction) -> bool {
    !matches!(action, SeccompAction::Errno(e) if !(0..=4095).contains(&e))
}

fn known_anywhere(name: &str) -> bool {
    SeccompArch::ALL
        .iter()
        .any(|a| a.syscall_number(name).is_some())
}

fuzz_target!(|input: Input| {
    let arch = SeccompArch::ALL[usize::from(input.arch) % 4];
    let default = input.default.action();
    let mut policy = SeccompPolicy::new(default);
    // The model: number -> action on `arch`, and whether to refuse.
    let mut listed: BTreeMap<u32, SeccompAction> = BTreeMap::new();
    let mut refuse = !valid(default);
    for (names, action) in &input.lists {
        let action = action.action();
        let names: Vec<String> = names.iter().map(Name::text).collect();
        for name in &names {
            refuse |= !valid(action) || !known_anywhere(name);
            if let Some(nr) = arch.syscall_number(name) {
                match listed.get(&nr) {
                    Some(&earlier) if earlier != action => refuse = true,
                    Some(_) => {}
                    None => {
                        listed.insert(nr, action);
                    }
                }
            }
        }
        policy = if action == SeccompAction::Allow {
            policy.allow(&names)
        } else {
            policy.deny(&names, action)
        };
    }

    let filter: Vec<SockFilter> = match policy.compile(arch) {
        Err(err) => {
            assert!(refuse, "refused a valid policy: {err}\n{policy:?}");
            assert!(err.is_invalid_input() && err.step().is_none());
            return;
        }
        Ok(filter) => {
            assert!(!refuse, "compiled a policy it must refuse: {policy:?}");
            filter
        }
    };
    assert!(!filter.is_empty() && filter.len() <= 4096, "{}", filter.len());

    let highest = SeccompArch::ALL
        .iter()
        .flat_map(|a| a.syscalls().iter().map(|&(_, nr)| nr))
        .max()
        .unwrap();
    let mut numbers: Vec<u32> = (0..=highest + 8).collect();
    numbers.extend((0..=highest + 8).map(|nr| nr | X32_SYSCALL_BIT));
    numbers.extend([X32_SYSCALL_BIT - 1, 0x7fff_ffff, 0x8000_0000, u32::MAX]);
    for caller in SeccompArch::ALL {
        for &nr in &numbers {
            let data = SeccompData::call(nr, audit_arch(caller));
            let expected = if caller != arch || (arch == SeccompArch::X86_64 && nr >= X32_SYSCALL_BIT)
            {
                ret(SeccompAction::KillProcess)
            } else {
                ret(listed.get(&nr).copied().unwrap_or(default))
            };
            let got = run(&filter, &data)
                .unwrap_or_else(|fault| panic!("{caller:?} call {nr:#x}: {fault:?}\n{policy:?}"));
            assert_eq!(
                got, expected,
                "{arch:?} filter, {caller:?} call {nr:#x}\n{policy:?}"
            );
        }
    }
});
