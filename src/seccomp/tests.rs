//! The syscall tables, and `SeccompPolicy::compile` proved against a BPF
//! interpreter for every system call number of every architecture.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::compile::LINEAR_MAX;
use super::interpret::{SeccompData, run, run_counted};
use super::{SeccompAction, SeccompArch, SeccompPolicy, SockFilter, tables};

const KILL_PROCESS: u32 = 0x8000_0000;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

#[test]
fn tables_are_sorted_by_name_and_numbers_are_distinct() {
    for arch in SeccompArch::ALL {
        let table = arch.syscalls();
        assert!(table.len() > 300, "{arch:?}: {} calls", table.len());
        for pair in table.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{arch:?}: {pair:?} out of order");
        }
        let mut numbers: Vec<u32> = table.iter().map(|&(_, nr)| nr).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), table.len(), "{arch:?}: a number twice");
        for &(name, nr) in table {
            assert_eq!(arch.syscall_number(name), Some(nr));
        }
    }
    assert_eq!(SeccompArch::Aarch64.syscall_number("open"), None);
    assert_eq!(SeccompArch::X86.syscall_number("socketcall"), Some(102));
    assert_eq!(
        SeccompArch::Riscv64.syscall_number("riscv_hwprobe"),
        Some(258)
    );
}

/// The generated table of the target agrees with linux-raw-sys's own
/// `__NR_*` constants for it (NATIVE_CHECK names them one by one, so a name
/// the crate does not have would not even compile).
#[test]
fn native_table_matches_linux_raw_sys() {
    let native = SeccompArch::native().syscalls();
    assert_eq!(native, tables::NATIVE_CHECK);
    assert_eq!(
        SeccompArch::native().syscall_number("execve"),
        Some(linux_raw_sys::general::__NR_execve)
    );
}

/// What the policy means for one call, straight from its lists: the
/// reference `compile` must agree with.
struct Expected {
    arch: SeccompArch,
    default: u32,
    by_number: BTreeMap<u32, u32>,
}

impl Expected {
    fn of(policy: &SeccompPolicy, arch: SeccompArch) -> Expected {
        let mut by_number = BTreeMap::new();
        for (name, action) in &policy.rules {
            if let Some(nr) = arch.syscall_number(name) {
                by_number.insert(nr, action.ret());
            }
        }
        Expected {
            arch,
            default: policy.default.ret(),
            by_number,
        }
    }

    fn answer(&self, data: &SeccompData) -> u32 {
        let nr = data.nr as u32;
        if data.arch != self.arch.audit_arch()
            || (self.arch == SeccompArch::X86_64 && nr >= X32_SYSCALL_BIT)
        {
            return KILL_PROCESS;
        }
        self.by_number.get(&nr).copied().unwrap_or(self.default)
    }
}

/// The numbers every filter is tried with on `arch`: each up past the
/// highest of any architecture, the x32 ones, and the edges of `u32`.
fn numbers() -> Vec<u32> {
    let highest = SeccompArch::ALL
        .iter()
        .flat_map(|a| a.syscalls().iter().map(|&(_, nr)| nr))
        .max()
        .unwrap_or(0);
    let mut numbers: Vec<u32> = (0..=highest + 64).collect();
    numbers.extend((0..=highest + 64).map(|nr| nr | X32_SYSCALL_BIT));
    numbers.extend([
        X32_SYSCALL_BIT - 1,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fffe,
        0xffff_ffff,
    ]);
    numbers
}

/// Checks the compiled filter of `policy` for `arch` against [`Expected`]
/// for every number of [`numbers`], made on every architecture; returns
/// the filter and the most instructions any call ran.
fn check(policy: &SeccompPolicy, arch: SeccompArch) -> (Vec<SockFilter>, usize) {
    let filter = policy
        .compile(arch)
        .unwrap_or_else(|e| panic!("{arch:?}: {e}"));
    let expected = Expected::of(policy, arch);
    let mut longest = 0;
    for caller in SeccompArch::ALL {
        for nr in numbers() {
            let data = SeccompData::call(nr, caller.audit_arch());
            let (ret, steps) = run_counted(&filter, &data)
                .unwrap_or_else(|fault| panic!("{arch:?}, {caller:?} call {nr:#x}: {fault:?}"));
            assert_eq!(
                ret,
                expected.answer(&data),
                "{arch:?} filter, {caller:?} call {nr:#x}, policy {policy:?}"
            );
            longest = longest.max(steps);
        }
    }
    (filter, longest)
}

const ACTIONS: [SeccompAction; 6] = [
    SeccompAction::Allow,
    SeccompAction::Errno(13),
    SeccompAction::KillProcess,
    SeccompAction::KillThread,
    SeccompAction::Trap,
    SeccompAction::Log,
];

fn names(arch: SeccompArch) -> impl Iterator<Item = &'static str> {
    arch.syscalls().iter().map(|&(name, _)| name)
}

#[test]
fn compiled_policies_match_their_lists_on_every_number_of_every_arch() {
    for arch in SeccompArch::ALL {
        // Nothing listed: the default for every call of the architecture.
        check(&SeccompPolicy::new(SeccompAction::Errno(1)), arch);
        // A small deny list, with names only some architectures have.
        let small = SeccompPolicy::new(SeccompAction::Allow)
            .deny(
                ["mkdir", "mkdirat", "open_by_handle_at"],
                SeccompAction::Errno(13),
            )
            .deny(["ptrace", "socketcall"], SeccompAction::KillProcess);
        let (_, steps) = check(&small, arch);
        assert!(
            steps <= 6 + LINEAR_MAX + 1,
            "{arch:?}: {steps} instructions"
        );
        // Every call allowed but the default errno: the biggest tree of one
        // action.
        check(
            &SeccompPolicy::new(SeccompAction::Errno(1)).allow(names(arch)),
            arch,
        );
        // A hundred calls spread over the table, each with the next of the
        // six actions, listed twice (the same action again is fine).
        let spread: Vec<(&str, SeccompAction)> = names(arch)
            .step_by(3)
            .take(100)
            .zip(ACTIONS.iter().cycle().copied())
            .collect();
        let mut policy = SeccompPolicy::new(SeccompAction::KillThread);
        for &(name, action) in spread.iter().chain(&spread) {
            policy = policy.deny([name], action);
        }
        let (filter, steps) = check(&policy, arch);
        // A binary search: far fewer than the 100 compares of a list.
        assert!(steps <= 24, "{arch:?}: {steps} instructions for 100 rules");
        assert!(
            filter.len() < 400,
            "{arch:?}: {} instructions",
            filter.len()
        );
        // Every call with a different action than its neighbours: the
        // longest code, whose top jumps need the 32-bit `ja`.
        let mut alternating = SeccompPolicy::new(SeccompAction::Log);
        for (name, action) in names(arch).zip(ACTIONS.iter().cycle().copied()) {
            alternating = alternating.deny([name], action);
        }
        let (filter, steps) = check(&alternating, arch);
        assert!(filter.iter().any(|ins| ins.code == 0x05), "{arch:?}: no ja");
        assert!(steps <= 24, "{arch:?}: {steps} instructions for every call");
    }
}

#[test]
fn x86_64_filters_kill_x32_and_i386_calls() {
    let filter = SeccompPolicy::new(SeccompAction::Allow)
        .compile(SeccompArch::X86_64)
        .unwrap();
    let x86_64 = SeccompArch::X86_64.audit_arch();
    let i386 = SeccompArch::X86.audit_arch();
    let read = SeccompArch::X86_64.syscall_number("read").unwrap();
    assert_eq!(
        run(&filter, &SeccompData::call(read, x86_64)),
        Ok(SeccompAction::Allow.ret())
    );
    assert_eq!(
        run(&filter, &SeccompData::call(read | X32_SYSCALL_BIT, x86_64)),
        Ok(KILL_PROCESS)
    );
    assert_eq!(run(&filter, &SeccompData::call(3, i386)), Ok(KILL_PROCESS));
}

fn refusal(policy: SeccompPolicy) -> String {
    let err = policy.compile(SeccompArch::X86_64).unwrap_err();
    assert!(err.is_invalid_input());
    err.to_string()
}

#[test]
fn bad_policies_are_refused_with_what_is_wrong() {
    let message =
        refusal(SeccompPolicy::new(SeccompAction::Allow).deny(["mkdri"], SeccompAction::Trap));
    assert!(message.contains("\"mkdri\""), "{message}");
    let message = refusal(
        SeccompPolicy::new(SeccompAction::Trap)
            .allow(["read"])
            .deny(["read"], SeccompAction::Errno(1)),
    );
    assert!(
        message.contains("\"read\" two actions: Allow and Errno(1)"),
        "{message}"
    );
    for errno in [-1, 4096] {
        let message = refusal(
            SeccompPolicy::new(SeccompAction::Allow).deny(["read"], SeccompAction::Errno(errno)),
        );
        assert!(message.contains(&errno.to_string()), "{message}");
        let message = refusal(SeccompPolicy::new(SeccompAction::Errno(errno)));
        assert!(message.contains("outside 0..=4095"), "{message}");
    }
}

#[test]
fn actions_parse_from_their_names_and_errnos() {
    let cases = [
        ("allow", SeccompAction::Allow),
        ("LOG", SeccompAction::Log),
        ("trap", SeccompAction::Trap),
        ("kill-process", SeccompAction::KillProcess),
        ("kill", SeccompAction::KillProcess),
        ("kill_thread", SeccompAction::KillThread),
        ("EPERM", SeccompAction::Errno(1)),
        ("eacces", SeccompAction::Errno(13)),
        ("0", SeccompAction::Errno(0)),
        ("4095", SeccompAction::Errno(4095)),
    ];
    for (text, action) in cases {
        assert_eq!(text.parse::<SeccompAction>(), Ok(action), "{text}");
    }
    for bad in ["", "4096", "-1", "EWHAT", "errno"] {
        assert!(bad.parse::<SeccompAction>().is_err(), "{bad}");
    }
}
