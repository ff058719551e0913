//! Session, process group, terminal, signals and resources.

use alloc::format;
use alloc::vec::Vec;

use super::Lowering;
use crate::Error;
use crate::plan::ProcessPlan;
use crate::spec::Spec;

pub(super) fn lower(spec: &Spec, cx: &mut Lowering<'_>) -> Result<ProcessPlan, Error> {
    if let Some(pgid) = spec.process_group
        && pgid < 0
    {
        return Err(cx.invalid(format!("process group {pgid} is negative")));
    }
    // A session leader is already the leader of its own group, and the
    // kernel refuses to move it into another one.
    let process_group = match spec.process_group {
        Some(0) if spec.setsid => None,
        Some(pgid) if spec.setsid => {
            return Err(cx.invalid(format!(
                "process_group({pgid}) contradicts setsid(true): a session leader cannot join another group"
            )));
        }
        other => other,
    };

    let mut rlimits = Vec::with_capacity(spec.rlimits.len());
    for (resource, soft, hard) in &spec.rlimits {
        if soft > hard {
            return Err(cx.invalid(format!(
                "{resource}: soft limit {soft} is above hard limit {hard}"
            )));
        }
        rlimits.push((resource.as_raw(), *soft, *hard));
    }

    let oom_score_adj = match spec.oom_score_adj {
        None => None,
        Some(adj) if !(-1000..=1000).contains(&adj) => {
            return Err(cx.invalid(format!("oom_score_adj {adj} is outside -1000..=1000")));
        }
        Some(adj) => Some(format!("{adj}\n").into_bytes()),
    };

    if spec.personality == Some(u32::MAX) {
        return Err(cx.invalid("personality 0xffffffff only queries; it sets nothing"));
    }

    if let Some(fd) = spec.controlling_tty {
        if fd < 0 {
            return Err(cx.invalid(format!("controlling_tty fd {fd} is negative")));
        }
        if !spec.setsid {
            return Err(cx.invalid(
                "controlling_tty() needs setsid(true): only a session leader can take a controlling terminal",
            ));
        }
        if spec.no_controlling_tty {
            return Err(
                cx.invalid("controlling_tty() and no_controlling_tty(true) contradict each other")
            );
        }
    }
    let foreground = spec
        .foreground
        .as_ref()
        .map(|tty| cx.keep_copy(tty, "the foreground terminal"))
        .transpose()?;

    Ok(ProcessPlan {
        setsid: spec.setsid,
        setsid_if_tty: spec.setsid_if_tty,
        process_group,
        foreground,
        controlling_tty: spec.controlling_tty,
        no_controlling_tty: spec.no_controlling_tty,
        pdeathsig: spec.pdeathsig.map_or(0, |s| s.as_raw()),
        signal_mask: spec.signal_mask.map(|m| m.bits()),
        reset_ignored_signals: spec.reset_ignored_signals,
        #[cfg(feature = "std")]
        pre_exec: (!spec.pre_exec.is_empty())
            .then(|| crate::pre_exec::PreExec::new(spec.pre_exec.clone())),
        ptrace_traceme: spec.ptrace_traceme,
        create_pidfd: spec.create_pidfd,
        rlimits,
        oom_score_adj,
        personality: spec.personality,
        new_session_keyring: spec.new_session_keyring,
    })
}
