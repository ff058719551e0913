//! Namespaces to create or join, id maps, the cgroup, and what a new UTS
//! or network namespace gets set up. Refuses what the kernel would refuse,
//! and what would silently act on the caller's own namespaces (a hostname
//! without a UTS namespace would set the host's).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::Lowering;
use super::credentials::NO_ID;
use crate::ids::MAX_MAP_LINES;
use crate::plan::{IdMapHelpers, IdMapPlan, NamespacePlan};
use crate::spec::Spec;
use crate::{Capability, Error, IdMap, Namespaces};

/// The plan, and the namespaces the child will be in that are not the
/// caller's (created or joined), for the areas that need one.
pub(super) fn lower(
    spec: &Spec,
    cx: &mut Lowering<'_>,
) -> Result<(NamespacePlan, Namespaces), Error> {
    let new = spec.namespaces;
    if !Namespaces::all().contains(new) {
        // Other clone flags (CLONE_FS, CLONE_FILES, CLONE_SIGHAND...) would
        // share the caller's cwd, fds or handlers with the child.
        return Err(cx.invalid(format!(
            "namespaces() has bits {:#x} that are not namespace kinds",
            new.bits() & !Namespaces::all().bits()
        )));
    }
    let (joins, joined) = joins(spec, cx)?;
    let in_effect = new | joined;
    let need = |kind: Namespaces, what: &str| {
        if in_effect.contains(kind) {
            Ok(())
        } else {
            Err(cx.invalid(format!(
                "{what} needs a new or joined {} namespace (it would change the caller's)",
                kind.proc_name()
            )))
        }
    };
    if spec.hostname.is_some() {
        need(Namespaces::UTS, "hostname()")?;
    }
    if spec.domainname.is_some() {
        need(Namespaces::UTS, "domainname()")?;
    }
    if spec.loopback_up {
        need(Namespaces::NET, "loopback_up(true)")?;
    }
    for (name, what) in [
        (&spec.hostname, "hostname"),
        (&spec.domainname, "domain name"),
    ] {
        let Some(name) = name else { continue };
        // sethostname/setdomainname take a length, not a C string: the
        // kernel would keep the NUL and every reader would stop at it.
        if name.contains(&0) {
            return Err(cx.invalid(format!("the {what} contains a NUL byte")));
        }
        if name.len() > 64 {
            return Err(cx.invalid(format!(
                "the {what} {:?} is longer than 64 bytes",
                String::from_utf8_lossy(name)
            )));
        }
    }
    let has_maps = !(spec.uid_map.is_empty() && spec.gid_map.is_empty());
    if spec.oom_score_adj.is_some() && new.contains(Namespaces::USER) && has_maps {
        // With id maps the child shares our memory without CLONE_VFORK, and
        // the kernel copies an oom_score_adj write to every process sharing
        // the writer's mm unless the writer is a vfork child: it would set
        // the caller's own score too (docs/design.md trap 13).
        return Err(cx.invalid(
            "oom_score_adj() with a user namespace that has id maps would also change the caller's own \
             oom_score_adj (the kernel copies it to processes sharing the child's memory); set it on \
             the spawning process instead, which the child inherits",
        ));
    }
    if spec.disable_user_namespaces && !new.contains(Namespaces::USER) {
        // The limit is set in the child's own user namespace.
        return Err(cx.invalid("disable_user_namespaces(true) needs namespaces(Namespaces::USER)"));
    }
    if spec.pid1_init && !new.contains(Namespaces::PID) {
        return Err(cx.invalid("pid1_init(true) needs namespaces(Namespaces::PID)"));
    }
    if spec.pid1_init && spec.ptrace_traceme {
        // The tracer would be the init, which does not trace.
        return Err(cx.invalid(
            "ptrace_traceme(true) cannot be combined with pid1_init(true): the program's tracer \
             would be the init",
        ));
    }

    let id_maps = if has_maps {
        if !new.contains(Namespaces::USER) {
            return Err(cx.invalid("uid_map()/gid_map() need namespaces(Namespaces::USER)"));
        }
        Some(id_maps(spec, cx)?)
    } else {
        None
    };
    let cgroup = spec
        .cgroup
        .as_ref()
        .map(|dir| cx.keep_copy(dir, "the cgroup directory"))
        .transpose()?;

    let plan = NamespacePlan {
        clone_flags: new.bits(),
        id_maps,
        joins,
        cgroup,
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        loopback_up: spec.loopback_up,
        pid1_init: spec.pid1_init,
        disable_userns: spec.disable_user_namespaces,
    };
    Ok((plan, in_effect))
}

/// The namespaces to join, user namespace first (it grants the
/// capabilities the other joins need), and their kinds together.
fn joins(spec: &Spec, cx: &mut Lowering<'_>) -> Result<(Vec<(i32, u64)>, Namespaces), Error> {
    let new = spec.namespaces;
    let first_name = |kinds: Namespaces| kinds.iter().next().map_or("?", Namespaces::proc_name);
    let mut joined = Namespaces::empty();
    let mut joins = Vec::new();
    for (fd, kind) in &spec.join_namespaces {
        if kind.is_empty() {
            return Err(cx.invalid("join_namespace() needs at least one namespace kind"));
        }
        if kind.intersects(new) {
            return Err(cx.invalid(format!(
                "{} namespace both created and joined",
                first_name(*kind & new)
            )));
        }
        if kind.intersects(Namespaces::USER | Namespaces::TIME) {
            // userns_install() and timens_install() refuse a task whose mm
            // is shared (EINVAL/EUSERS), and the child shares ours until
            // exec: joining would need a fork, which clonexec never does.
            return Err(cx.invalid(
                "joining an existing user or time namespace is not possible from a child that shares the \
                 caller's memory (the kernel refuses setns there); create a new one with namespaces() or \
                 join it from a helper such as nsenter",
            ));
        }
        if kind.intersects(joined) {
            return Err(cx.invalid(format!(
                "{} namespace joined twice",
                first_name(*kind & joined)
            )));
        }
        joined |= *kind;
        let raw = cx.keep_copy(fd, "a namespace fd")?;
        joins.push((raw, kind.bits()));
    }
    joins.sort_by_key(|(_, kind)| *kind & Namespaces::USER.bits() == 0);
    Ok((joins, joined))
}

/// The id maps and how the parent writes them.
fn id_maps(spec: &Spec, cx: &Lowering<'_>) -> Result<IdMapPlan, Error> {
    let uid_map = id_map_text(&spec.uid_map, "uid").map_err(|m| cx.invalid(m))?;
    let gid_map = id_map_text(&spec.gid_map, "gid").map_err(|m| cx.invalid(m))?;
    let setgroups = match spec.allow_setgroups {
        Some(true) => Some("allow"),
        Some(false) => Some("deny"),
        // The kernel refuses a gid map from a writer without CAP_SETGID
        // until setgroups is denied (docs/design.md trap 11).
        None if !spec.gid_map.is_empty()
            && !spec.id_map_helpers
            && !has_effective_cap(Capability::SETGID) =>
        {
            Some("deny")
        }
        None => None,
    };
    let helpers = if spec.id_map_helpers {
        let path = super::program::inherited_path();
        let candidates = |helper: &[u8]| {
            super::path_candidates(helper, path.as_deref())
                .map_err(|_| cx.invalid("a PATH entry contains a NUL byte"))
        };
        Some(IdMapHelpers {
            newuidmap: candidates(b"newuidmap")?,
            newgidmap: candidates(b"newgidmap")?,
            uid_lines: spec.uid_map.clone(),
            gid_lines: spec.gid_map.clone(),
        })
    } else {
        None
    };
    Ok(IdMapPlan {
        uid_map,
        gid_map,
        setgroups,
        helpers,
    })
}

/// `/proc/PID/uid_map` text for `maps`, after checking them as the kernel
/// would: non-empty ranges below (u32)-1, no overlap inside or outside, at
/// most 340 lines, less than a page of text.
fn id_map_text(maps: &[IdMap], which: &str) -> Result<Vec<u8>, String> {
    if maps.len() > MAX_MAP_LINES {
        return Err(format!(
            "{which} map has {} lines, more than the kernel's {MAX_MAP_LINES}",
            maps.len()
        ));
    }
    let end = |start: u32, count: u32| u64::from(start) + u64::from(count);
    for (i, map) in maps.iter().enumerate() {
        if map.count == 0 {
            return Err(format!("{which} map line {} has count 0", i + 1));
        }
        // map_write() refuses a range that wraps in 32 bits, so one ending
        // exactly at 2^32 (containing (u32)-1) too.
        for (side, start) in [("inside", map.inside), ("outside", map.outside)] {
            if end(start, map.count) > u64::from(NO_ID) {
                return Err(format!(
                    "{which} map line {} ({side} {start}, count {}) reaches {which} {NO_ID}, \
                     which is ({which}_t)-1: the kernel refuses a map range that contains it",
                    i + 1,
                    map.count
                ));
            }
        }
        for (j, other) in maps.iter().enumerate().take(i) {
            let overlaps = |a: u32, b: u32| {
                u64::from(a) < end(b, other.count) && u64::from(b) < end(a, map.count)
            };
            if overlaps(map.inside, other.inside) || overlaps(map.outside, other.outside) {
                return Err(format!("{which} map lines {} and {} overlap", j + 1, i + 1));
            }
        }
    }
    let mut text = Vec::new();
    for map in maps {
        text.extend_from_slice(
            format!("{} {} {}\n", map.inside, map.outside, map.count).as_bytes(),
        );
    }
    // map_write() takes one write of less than a page.
    let page = rustix::param::page_size();
    if text.len() >= page {
        return Err(format!(
            "{which} map text is {} bytes; the kernel takes less than a page ({page} bytes)",
            text.len()
        ));
    }
    Ok(text)
}

/// Whether the caller holds `cap` in its effective set.
fn has_effective_cap(cap: Capability) -> bool {
    crate::sys::creds::capget().is_ok_and(|sets| sets.effective & cap.bit() != 0)
}
