//! Capabilities, the bounding set, securebits, no_new_privs, seccomp and
//! Landlock.

use alloc::format;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};

use super::Lowering;
use crate::plan::SecurityPlan;
use crate::seccomp::{MAX_INSTRUCTIONS, compile_policy};
use crate::spec::Spec;
use crate::{Capability, Error, SeccompArch};

pub(super) fn lower(spec: &Spec, cx: &mut Lowering<'_>) -> Result<SecurityPlan, Error> {
    // Read only when a capability is named: a spawn without any needs no
    // /proc/sys read (it is one in the CLI, which runs once per process).
    let check_cap = |cap: &Capability, what: &str| -> Result<u64, Error> {
        let last_cap = last_capability();
        if i32::from(cap.as_raw()) > last_cap {
            return Err(cx.invalid(format!(
                "{what} capability {cap} ({}) is not known to this kernel (its last is {last_cap})",
                cap.as_raw()
            )));
        }
        Ok(cap.bit())
    };
    let mut ambient_caps = 0u64;
    for cap in &spec.ambient_caps {
        ambient_caps |= check_cap(cap, "ambient")?;
    }
    let capabilities = match &spec.capabilities {
        None => None,
        Some(sets) => {
            for (mask, what) in [
                (sets.permitted, "permitted"),
                (sets.inheritable, "inheritable"),
                (sets.effective, "effective"),
            ] {
                for cap in mask.iter() {
                    check_cap(&cap, what)?;
                }
            }
            if let Some(cap) = sets.effective.iter().find(|c| !sets.permitted.contains(*c)) {
                return Err(cx.invalid(format!(
                    "effective capability {cap} is not in the permitted set"
                )));
            }
            for cap in spec.ambient_caps.iter() {
                if !sets.permitted.contains(*cap) || !sets.inheritable.contains(*cap) {
                    return Err(cx.invalid(format!(
                        "ambient capability {cap} must be in the permitted and inheritable sets given to capabilities()"
                    )));
                }
            }
            Some([
                sets.permitted.bits(),
                sets.inheritable.bits(),
                sets.effective.bits(),
            ])
        }
    };
    let bounding_drop = match &spec.bounding_set {
        None => 0,
        Some(keep) => {
            let mut kept = 0u64;
            for cap in keep {
                kept |= check_cap(cap, "bounding-set")?;
            }
            let last_cap = last_capability();
            let all = if last_cap >= 63 {
                u64::MAX
            } else {
                (1u64 << (last_cap + 1)) - 1
            };
            all & !kept
        }
    };

    let seccomp = match (&spec.seccomp_filter, &spec.seccomp_policy) {
        (Some(_), Some(_)) => {
            return Err(cx.invalid(
                "seccomp_filter and seccomp (a policy) cannot be combined: give one of them",
            ));
        }
        (None, Some(policy)) => Some((
            compile_policy(policy, SeccompArch::native()).map_err(|message| cx.invalid(message))?,
            spec.seccomp_flags.bits(),
        )),
        (None, None) => None,
        (Some(filter), None) if filter.is_empty() => {
            return Err(cx.invalid("the seccomp filter is empty"));
        }
        (Some(filter), None) if filter.len() > MAX_INSTRUCTIONS => {
            return Err(cx.invalid(format!(
                "the seccomp filter has {} instructions, more than the kernel's {MAX_INSTRUCTIONS}",
                filter.len()
            )));
        }
        (Some(filter), None) => Some((filter.clone(), spec.seccomp_flags.bits())),
    };

    let (landlock, landlock_dropped) = match &spec.landlock {
        Some(landlock) => super::landlock::lower(landlock, cx)?,
        None => (None, Vec::new()),
    };

    Ok(SecurityPlan {
        ambient_caps,
        capabilities,
        bounding_drop,
        securebits: spec.securebits.map(|b| b.bits()),
        // The kernel lets only a process with no_new_privs (or
        // CAP_SYS_ADMIN) restrict itself; set it for every Landlock use, so
        // that what the program may do does not depend on the kernel.
        no_new_privs: spec.no_new_privs || spec.landlock.is_some(),
        seccomp,
        landlock,
        landlock_dropped,
    })
}

/// The kernel's highest capability number, read once.
pub(crate) fn last_capability() -> i32 {
    static LAST_CAP: AtomicI32 = AtomicI32::new(-1);
    let cached = LAST_CAP.load(Ordering::Relaxed);
    if cached >= 0 {
        return cached;
    }
    let last = super::read_small_file(c"/proc/sys/kernel/cap_last_cap")
        .and_then(|text| core::str::from_utf8(&text).ok()?.trim().parse::<i32>().ok())
        .filter(|n| (0..64).contains(n))
        .unwrap_or(63);
    LAST_CAP.store(last, Ordering::Relaxed);
    last
}
