//! uid, gid and supplementary groups.

use alloc::format;

use super::Lowering;
use crate::Error;
use crate::plan::CredentialsPlan;
use crate::spec::Spec;

/// The most supplementary groups Linux accepts (`NGROUPS_MAX`).
const NGROUPS_MAX: usize = 65536;

/// `(uid_t)-1`, `(gid_t)-1`: not an id, but "unchanged" to `setresuid` and
/// friends and refused in groups and id maps.
pub(super) const NO_ID: u32 = u32::MAX;

pub(super) fn lower(spec: &Spec, cx: &Lowering<'_>) -> Result<CredentialsPlan, Error> {
    if spec.keep_groups && spec.groups.is_some() {
        return Err(cx.invalid("groups() and keep_groups(true) contradict each other"));
    }
    if let Some(groups) = &spec.groups
        && groups.len() > NGROUPS_MAX
    {
        return Err(cx.invalid(format!(
            "{} supplementary groups are more than the kernel's limit of {NGROUPS_MAX}",
            groups.len()
        )));
    }
    // (uid_t)-1 is no id: set*id() read it as "leave this one unchanged", so
    // the child would silently keep the caller's; setgroups() refuses it.
    if spec.uid == Some(NO_ID) {
        return Err(cx.invalid(format!(
            "uid {NO_ID} is (uid_t)-1, which setresuid takes as \"unchanged\""
        )));
    }
    if spec.gid == Some(NO_ID) {
        return Err(cx.invalid(format!(
            "gid {NO_ID} is (gid_t)-1, which setresgid takes as \"unchanged\""
        )));
    }
    if spec.groups.as_ref().is_some_and(|g| g.contains(&NO_ID)) {
        return Err(cx.invalid(format!(
            "supplementary group {NO_ID} is (gid_t)-1, which is no group (setgroups refuses it)"
        )));
    }
    Ok(CredentialsPlan {
        uid: spec.uid,
        gid: spec.gid,
        groups: spec.groups.clone(),
        clear_groups: (spec.uid.is_some() || spec.gid.is_some())
            && spec.groups.is_none()
            && !spec.keep_groups,
    })
}
