//! The child's fd table: stdio and `fd()` mappings.

use alloc::format;
use alloc::vec::Vec;

use super::Lowering;
use crate::plan::{FdMapping, FdPlan, FdSource};
use crate::spec::Spec;
use crate::stdio::StdioKind;
use crate::{Error, Resource, Step};

/// What an unset stdio stream becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultStdio {
    Inherit,
    Null,
    Piped,
}

const STREAM_NAMES: [&str; 3] = ["stdin", "stdout", "stderr"];

/// Stdio first, then the explicit mappings; targets are checked before any
/// fd is copied.
pub(super) fn lower(
    spec: &Spec,
    defaults: [DefaultStdio; 3],
    cx: &mut Lowering<'_>,
) -> Result<FdPlan, Error> {
    let targets = check_targets(spec, cx)?;
    let mut piped = [false; 3];
    let mut mappings = Vec::new();
    let mut null_fd: Option<i32> = None;
    for (stream, name) in STREAM_NAMES.iter().enumerate() {
        let target = stream as i32;
        if targets.contains(&target) {
            continue; // replaced by an fd() mapping
        }
        let kind = match spec.stdio[stream].as_ref().map(|s| &s.0) {
            None => match defaults[stream] {
                DefaultStdio::Inherit => None,
                DefaultStdio::Null => Some(&StdioKind::Null),
                DefaultStdio::Piped => Some(&StdioKind::Piped),
            },
            Some(kind) => Some(kind),
        };
        let source = match kind {
            None | Some(StdioKind::Inherit) => continue,
            Some(StdioKind::Null) => FdSource::Owned(open_null(&mut null_fd, cx)?),
            Some(StdioKind::Piped) => {
                piped[stream] = true;
                FdSource::Pipe(stream)
            }
            Some(StdioKind::Fd(fd)) => FdSource::Owned(cx.keep_copy(fd, name)?),
            #[cfg(feature = "std")]
            Some(StdioKind::Parent(fd)) => FdSource::Owned(copy_own_stream(*fd, name, cx)?),
        };
        mappings.push(FdMapping { target, source });
    }
    for (child_fd, fd) in &spec.fds {
        let raw = cx.keep_copy(fd, &format!("the fd for child fd {child_fd}"))?;
        mappings.push(FdMapping {
            target: *child_fd,
            source: FdSource::Owned(raw),
        });
    }
    let max_target = mappings.iter().map(|m| m.target).fold(2, i32::max);
    let mut sorted_targets: Vec<i32> = mappings.iter().map(|m| m.target).collect();
    sorted_targets.sort_unstable();
    let mut keep: Vec<i32> = alloc::vec![0, 1, 2];
    keep.extend_from_slice(&sorted_targets);
    keep.sort_unstable();
    keep.dedup();
    Ok(FdPlan {
        piped,
        mappings,
        max_target,
        targets: sorted_targets,
        keep,
        close_others: spec.close_other_fds,
    })
}

/// The `fd()` targets: not negative, not repeated, not also set as stdio,
/// and below the open-file limit the child will have.
fn check_targets(spec: &Spec, cx: &Lowering<'_>) -> Result<Vec<i32>, Error> {
    let mut targets: Vec<i32> = Vec::new();
    for (child_fd, _) in &spec.fds {
        if *child_fd < 0 {
            return Err(cx.invalid(format!("fd target {child_fd} is negative")));
        }
        if targets.contains(child_fd) {
            return Err(cx.invalid(format!("fd target {child_fd} is mapped twice")));
        }
        if let Some(stream) = usize::try_from(*child_fd).ok().filter(|&n| n < 3)
            && spec.stdio[stream].is_some()
        {
            return Err(cx.invalid(format!(
                "fd target {child_fd} is set both with fd() and with {}()",
                STREAM_NAMES[stream]
            )));
        }
        targets.push(*child_fd);
    }
    // The NOFILE soft limit the child will have (no system call when there
    // is no target to check): dup3 refuses targets at or above it.
    if let Some(&highest) = targets.iter().max() {
        let limit = spec
            .rlimits
            .iter()
            .find(|(r, _, _)| *r == Resource::NOFILE)
            .map_or_else(fd_limit, |(_, soft, _)| *soft);
        if u64::try_from(highest).unwrap_or(0) >= limit {
            return Err(cx.invalid(format!(
                "fd target {highest} is not below the child's open-file limit (RLIMIT_NOFILE {limit})"
            )));
        }
    }
    Ok(targets)
}

/// A copy of this process's stdout (1) or stderr (2), as it is now.
#[cfg(feature = "std")]
fn copy_own_stream(fd: i32, name: &str, cx: &mut Lowering<'_>) -> Result<i32, Error> {
    use std::os::fd::AsFd;
    if fd == 1 {
        cx.keep_copy(std::io::stdout().as_fd(), name)
    } else {
        cx.keep_copy(std::io::stderr().as_fd(), name)
    }
}

/// Opens `/dev/null` once per plan; every stream set to null shares it.
fn open_null(null_fd: &mut Option<i32>, cx: &mut Lowering<'_>) -> Result<i32, Error> {
    if let Some(fd) = *null_fd {
        return Ok(fd);
    }
    let fd = rustix::fs::open(
        c"/dev/null",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| {
        Error::os(
            cx.program,
            Step::Pipe,
            e.raw_os_error(),
            "open(\"/dev/null\")",
        )
    })?;
    let raw = cx.own(fd);
    *null_fd = Some(raw);
    Ok(raw)
}

/// The soft RLIMIT_NOFILE.
fn fd_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}
