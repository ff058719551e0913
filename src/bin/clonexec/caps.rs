//! Capability lists as `setpriv` takes them: names, numbers, `all`, and
//! `+`/`-` changes of one of clonexec's own sets.

use clonexec::{CapMask, CapSet, Capability};

use crate::Failure;
use crate::values::{invalid, item};

/// Every capability of the running kernel (up to
/// `/proc/sys/kernel/cap_last_cap`, or the last one this build knows).
pub fn all_caps() -> CapMask {
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .filter(|&n| n < 64)
        .unwrap_or(u32::from(Capability::CHECKPOINT_RESTORE.as_raw()));
    CapMask::from_bits(u64::MAX >> (63 - last))
}

/// clonexec's own capability set `field` (`CapInh`, `CapPrm`, `CapEff`,
/// `CapBnd`) from `/proc/self/status`, for `--flag`.
fn current_caps(field: &str, flag: &str) -> Result<CapMask, Failure> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| Failure::Setup(format!("--{flag}: reading /proc/self/status failed: {e}")))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .map(CapMask::from_bits)
        .ok_or_else(|| Failure::Setup(format!("--{flag}: no {field} in /proc/self/status")))
}

/// Parses a capability list of `--flag`: names, numbers or `all`, each
/// optionally after `+` (add) or `-` (remove). A list whose first item has
/// a sign changes `current` (read only then, as `setpriv` does); otherwise
/// it starts from the empty set.
pub fn cap_list(
    value: &str,
    flag: &str,
    current: Option<&dyn Fn() -> Result<CapMask, Failure>>,
) -> Result<CapMask, Failure> {
    let items: Vec<&str> = value.split(',').filter(|s| !s.is_empty()).collect();
    let relative = items.first().is_some_and(|s| s.starts_with(['+', '-']));
    let mut bits = match current {
        Some(current) if relative => current()?.bits(),
        _ => 0,
    };
    for entry in items {
        let (add, name) = match entry.strip_prefix('-') {
            Some(name) => (false, name),
            None => (true, entry.strip_prefix('+').unwrap_or(entry)),
        };
        let caps = if name.eq_ignore_ascii_case("all") {
            all_caps().bits()
        } else {
            CapMask::from_iter([item::<Capability>(name, flag)?]).bits()
        };
        if add {
            bits |= caps;
        } else {
            bits &= !caps;
        }
    }
    Ok(CapMask::from_bits(bits))
}

/// Parses `P:I:E` of `--flag`: the permitted, inheritable and effective
/// sets, each a [`cap_list`] that starts from the empty set.
pub fn cap_sets(value: &str, flag: &str) -> Result<CapSet, Failure> {
    let parts: Vec<&str> = value.split(':').collect();
    let [permitted, inheritable, effective] = parts[..] else {
        return Err(invalid(
            value,
            flag,
            "expected PERMITTED:INHERITABLE:EFFECTIVE",
        ));
    };
    let sets = CapSet {
        permitted: cap_list(permitted, flag, None)?,
        inheritable: cap_list(inheritable, flag, None)?,
        effective: cap_list(effective, flag, None)?,
    };
    if let Some(cap) = sets.effective.iter().find(|c| !sets.permitted.contains(*c)) {
        return Err(invalid(
            value,
            flag,
            format!("effective {cap} is not in the permitted set"),
        ));
    }
    Ok(sets)
}

/// Parses the inheritable set of `--flag` (a [`cap_list`] of clonexec's
/// own), with clonexec's permitted and effective sets unchanged: exec
/// recomputes them anyway.
pub fn inheritable_caps(value: &str, flag: &str) -> Result<CapSet, Failure> {
    let inheritable = cap_list(value, flag, Some(&|| current_caps("CapInh", flag)))?;
    Ok(CapSet {
        permitted: current_caps("CapPrm", flag)?,
        inheritable,
        effective: current_caps("CapEff", flag)?,
    })
}

/// Parses the bounding set of `--flag`: a [`cap_list`] of clonexec's own.
pub fn bounding_set(value: &str, flag: &str) -> Result<CapMask, Failure> {
    cap_list(value, flag, Some(&|| current_caps("CapBnd", flag)))
}

/// Parses a list of ambient capabilities of `--flag`, each optionally after
/// `+` as `setpriv` writes it.
pub fn ambient_caps(value: &str, flag: &str) -> Result<Vec<Capability>, Failure> {
    value
        .split(',')
        .map(|s| s.strip_prefix('+').unwrap_or(s))
        .filter(|s| !s.is_empty())
        .map(|cap| item(cap, flag))
        .collect()
}
