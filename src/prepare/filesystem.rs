//! The filesystem view: mount propagation, the mounts and what they
//! create, an empty root, the root change and locking the mounts.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use linux_raw_sys::general as g;
use rustix::fd::AsFd;

use super::Lowering;
use crate::mount::{FileSource, MountKind};
use crate::plan::{BindPlan, DevPlan, FilesystemPlan, MountOp, MountPlan, NEW_ROOT, OLD_ROOT};
use crate::spec::Spec;
use crate::step::MountPhase;
use crate::{Error, Mount, Namespaces, Step};

/// `in_effect`: the namespaces the child is in that are not the caller's.
pub(super) fn lower(
    spec: &Spec,
    in_effect: Namespaces,
    cx: &Lowering<'_>,
) -> Result<FilesystemPlan, Error> {
    let need_mount_ns = |what: &str| {
        if in_effect.contains(Namespaces::MOUNT) {
            Ok(())
        } else {
            Err(cx.invalid(format!(
                "{what} needs a new or joined mnt namespace (it would change the caller's)"
            )))
        }
    };
    if !spec.mounts.is_empty() {
        need_mount_ns("mount()")?;
    }
    if spec.mount_propagation.is_some() {
        need_mount_ns("mount_propagation()")?;
    }
    if spec.pivot_root.is_some() {
        need_mount_ns("pivot_root()")?;
    }
    if spec.empty_root {
        // In a joined namespace, the root change would move every process
        // of that namespace into the new root.
        if !spec.namespaces.contains(Namespaces::MOUNT) {
            return Err(
                cx.invalid("empty_root(true) needs a new mnt namespace (Namespaces::MOUNT)")
            );
        }
        if spec.chroot.is_some() || spec.pivot_root.is_some() {
            return Err(cx.invalid(
                "empty_root(true) changes the root itself: it cannot be combined with chroot() or \
                 pivot_root()",
            ));
        }
    }
    // disable_user_namespaces() nests its user namespace as lock_mounts()
    // does (prepare/namespaces.rs checks the rest).
    let lock_mounts = spec.lock_mounts || spec.disable_user_namespaces;
    if spec.lock_mounts {
        need_mount_ns("lock_mounts(true)")?;
    }
    if lock_mounts {
        let what = if spec.lock_mounts {
            "lock_mounts(true)"
        } else {
            "disable_user_namespaces(true)"
        };
        if spec.chroot.is_some() {
            // create_user_ns() refuses a chrooted task.
            return Err(cx.invalid(format!(
                "{what} cannot follow chroot(): the kernel refuses a new user namespace in a \
                 chroot; use pivot_root() instead"
            )));
        }
        if (spec.uid.is_some() || spec.gid.is_some()) && !spec.namespaces.contains(Namespaces::USER)
        {
            // The ids are mapped in the nested namespace, over the child's
            // current ones: without a user namespace of the child's own,
            // "uid 1000" would be the caller's root there. (setresuid
            // first is no way either: after it the task is non-dumpable,
            // its /proc/self/*_map files belong to root and it cannot write
            // its own maps.)
            return Err(cx.invalid(format!(
                "{what} with uid()/gid() needs namespaces(Namespaces::USER): the ids become the \
                 program's in the nested user namespace, over the child's own"
            )));
        }
        if spec.groups.is_some() {
            return Err(cx.invalid(format!(
                "{what} cannot be combined with groups(): setgroups is denied in the nested user \
                 namespace"
            )));
        }
    }
    if spec.pivot_root.is_some() && spec.chroot.is_some() {
        return Err(cx.invalid("chroot() and pivot_root() cannot both change the root"));
    }
    if spec.mounts.len() >= MountPhase::INDEX_LIMIT {
        return Err(cx.invalid(format!(
            "{} mounts is too many (at most {})",
            spec.mounts.len(),
            MountPhase::INDEX_LIMIT - 1
        )));
    }

    let propagation = if spec.namespaces.contains(Namespaces::MOUNT) {
        spec.mount_propagation.unwrap_or_default().mount_flags()
    } else {
        spec.mount_propagation.and_then(|p| p.mount_flags())
    };
    let mut paths = Paths {
        empty_root: spec.empty_root,
        mount_points: None,
        cx,
    };
    let mounts = spec
        .mounts
        .iter()
        .map(|mount| lower_mount(mount, &mut paths))
        .collect::<Result<Vec<_>, _>>()?;
    let chroot = spec
        .chroot
        .as_deref()
        .map(|d| cx.c_string(d, "the chroot directory"))
        .transpose()?;
    let pivot_root = spec
        .pivot_root
        .as_deref()
        .map(|d| cx.c_string(d, "the new root"))
        .transpose()?;
    Ok(FilesystemPlan {
        propagation,
        empty_root: spec.empty_root,
        mounts,
        chroot,
        pivot_root,
        lock_mounts,
    })
}

/// Turns the user's paths into the ones the child uses.
struct Paths<'a, 'b> {
    empty_root: bool,
    /// The caller's mount points, read once, when a bind needs its
    /// submounts listed.
    mount_points: Option<Vec<Vec<u8>>>,
    cx: &'a Lowering<'b>,
}

impl Paths<'_, '_> {
    /// Refuses an empty path and one with a NUL byte.
    fn check(&self, path: &[u8], what: &str) -> Result<(), Error> {
        if path.is_empty() {
            return Err(self.cx.invalid(format!("{what} is an empty path")));
        }
        if path.contains(&0) {
            return Err(self.cx.invalid(format!(
                "{what} {:?} contains a NUL byte",
                String::from_utf8_lossy(path)
            )));
        }
        Ok(())
    }

    /// A path the child creates or changes: in an empty root, under the
    /// new root (relative or absolute alike, as bubblewrap takes them).
    fn target(&self, path: &[u8], what: &str) -> Result<Vec<u8>, Error> {
        self.check(path, what)?;
        Ok(if self.empty_root {
            under(NEW_ROOT.to_bytes(), path)
        } else {
            path.to_vec()
        })
    }

    /// A path the child reads from the caller's filesystem: in an empty
    /// root, the canonical path under the old root. (Canonical because the
    /// child resolves it there: an absolute symlink on the way would
    /// otherwise resolve in the new root.)
    fn source(&self, path: &[u8], what: &str) -> Result<Vec<u8>, Error> {
        self.check(path, what)?;
        if !self.empty_root {
            return Ok(path.to_vec());
        }
        // A missing source stays as given: the child finds it missing.
        let real = canonical(path).unwrap_or_else(|| path.to_vec());
        Ok(under(OLD_ROOT.to_bytes(), &real))
    }

    /// Where the mounts below `source` (a caller's path) land below
    /// `target` (a child's path), for a child without `mount_setattr`
    /// (none when the kernel has it).
    fn submounts(&mut self, source: &[u8], target: &[u8]) -> Vec<CString> {
        if has_mount_setattr() {
            return Vec::new();
        }
        let Some(real) = canonical(source) else {
            return Vec::new();
        };
        let mount_points = self.mount_points.get_or_insert_with(caller_mount_points);
        let prefix: &[u8] = if real == b"/" { b"" } else { &real };
        mount_points
            .iter()
            .filter_map(|mount_point| {
                let rest = mount_point.strip_prefix(prefix)?;
                if rest.first() != Some(&b'/') || rest.len() < 2 {
                    return None;
                }
                let mut path = target.to_vec();
                if path.last() == Some(&b'/') {
                    path.pop();
                }
                path.extend_from_slice(rest);
                CString::new(path).ok()
            })
            .collect()
    }
}

/// Whether the child can set a mount tree's attributes with one
/// `mount_setattr` (Linux 5.12+, and not filtered away), so that no list
/// of submounts is needed. Asked once per process: an empty path fails
/// with `ENOENT` where the call exists.
fn has_mount_setattr() -> bool {
    use core::sync::atomic::{AtomicU8, Ordering};
    static KNOWN: AtomicU8 = AtomicU8::new(0);
    const YES: u8 = 1;
    const NO: u8 = 2;
    match KNOWN.load(Ordering::Relaxed) {
        YES => return true,
        NO => return false,
        _ => {}
    }
    let missing = |errno: i32| {
        errno == linux_raw_sys::errno::ENOSYS as i32 || errno == linux_raw_sys::errno::EPERM as i32
    };
    let present = !matches!(crate::sys::fs::mount_setattr(c"", false, 0), Err(e) if missing(e));
    KNOWN.store(if present { YES } else { NO }, Ordering::Relaxed);
    present
}

/// `root` joined with `path` (leading slashes of `path` dropped).
fn under(root: &[u8], path: &[u8]) -> Vec<u8> {
    let rest = match path.iter().position(|&b| b != b'/') {
        Some(start) => &path[start..],
        None => b"",
    };
    let mut joined = root.to_vec();
    if !rest.is_empty() {
        joined.push(b'/');
        joined.extend_from_slice(rest);
    }
    joined
}

/// The directories above `path`, outermost first, that the child may have
/// to create: every proper prefix ending before a `/`, except the root
/// and, in an empty root, the new root itself (which exists).
fn parents(path: &[u8], empty_root: bool) -> Vec<CString> {
    let mut out = Vec::new();
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(end) => &path[..=end],
        None => return out,
    };
    for (i, &b) in trimmed.iter().enumerate() {
        if b != b'/' || i == 0 || trimmed[i - 1] == b'/' {
            continue;
        }
        let prefix = &trimmed[..i];
        if empty_root && prefix == NEW_ROOT.to_bytes() {
            continue;
        }
        if let Ok(dir) = CString::new(prefix) {
            out.push(dir);
        }
    }
    out
}

/// The mode of created parent directories: 0755, without the group or
/// other bits that `mode` has none of (bubblewrap's rule: a private file
/// gets private parents).
fn parent_mode(mode: Option<u32>) -> u32 {
    let mut parent = 0o755;
    if let Some(mode) = mode {
        if mode & 0o070 == 0 {
            parent &= !0o050;
        }
        if mode & 0o007 == 0 {
            parent &= !0o005;
        }
    }
    parent
}

/// One mount, with its paths for the child.
fn lower_mount(mount: &Mount, paths: &mut Paths<'_, '_>) -> Result<MountPlan, Error> {
    let cx = paths.cx;
    let shown = String::from_utf8_lossy(&mount.target);
    let refuse = |what: &str| {
        Err(cx.invalid(format!(
            "{what} does not apply to {} {shown:?}",
            kind_name(&mount.kind)
        )))
    };
    let bind = matches!(mount.kind, MountKind::Bind { .. });
    let tmpfs = matches!(mount.kind, MountKind::Tmpfs);
    let filesystem = tmpfs || matches!(mount.kind, MountKind::Proc | MountKind::Devpts);
    let file = matches!(mount.kind, MountKind::File { .. });
    if mount.optional && !bind {
        return refuse("optional()");
    }
    if mount.size.is_some() && !tmpfs {
        return refuse("size()");
    }
    if mount.mode.is_some() && !tmpfs {
        return refuse("mode()");
    }
    if mount.options.is_some() && !filesystem {
        return refuse("options()");
    }
    if mount.restrict != 0 && !(bind || filesystem) {
        return refuse("nosuid()/nodev()/noexec()");
    }
    if mount.read_only && !(bind || filesystem || file) {
        return refuse("read_only()");
    }
    let check_mode = |mode: u32| {
        if mode > 0o7777 {
            Err(cx.invalid(format!(
                "the mode {mode:#o} for {shown:?} has bits beyond 0o7777"
            )))
        } else {
            Ok(mode)
        }
    };
    if mount.size == Some(0) {
        return Err(cx.invalid(format!("the tmpfs at {shown:?} has size 0")));
    }

    let target_bytes = paths.target(&mount.target, "a mount target")?;
    let target = CString::new(target_bytes.clone()).unwrap_or_default();
    let read_only = if mount.read_only { g::MS_RDONLY } else { 0 };
    let mut perms = None;
    let op = match &mount.kind {
        MountKind::Bind { source } => {
            let attrs = mount_attrs(mount.restrict | read_only);
            let submounts = if attrs != 0 {
                paths.submounts(source, &target_bytes)
            } else {
                Vec::new()
            };
            MountOp::Bind(BindPlan {
                source: CString::new(paths.source(source, "a bind mount source")?)
                    .unwrap_or_default(),
                shown_source: source.clone(),
                optional: mount.optional,
                attrs,
                submounts,
            })
        }
        MountKind::Proc => MountOp::Filesystem {
            fstype: c"proc",
            flags: g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC | mount.restrict | read_only,
            data: filesystem_data(mount, None, cx)?,
        },
        MountKind::Tmpfs => {
            if let Some(mode) = mount.mode {
                perms = Some(check_mode(mode)?);
            }
            MountOp::Filesystem {
                fstype: c"tmpfs",
                flags: g::MS_NOSUID | g::MS_NODEV | mount.restrict | read_only,
                data: filesystem_data(mount, None, cx)?,
            }
        }
        MountKind::Devpts => MountOp::Filesystem {
            fstype: c"devpts",
            flags: g::MS_NOSUID | g::MS_NOEXEC | mount.restrict | read_only,
            data: filesystem_data(mount, Some("newinstance,ptmxmode=0666,mode=620"), cx)?,
        },
        MountKind::Dev => MountOp::Dev(alloc::boxed::Box::new(dev_plan(
            &target_bytes,
            paths.empty_root,
        ))),
        MountKind::Dir { mode } => {
            perms = Some(check_mode(*mode)?);
            MountOp::Dir { mode: *mode }
        }
        MountKind::Symlink { points_to } => {
            if points_to.is_empty() || points_to.len() >= crate::plan::SYMLINK_MAX {
                return Err(cx.invalid(format!(
                    "the symlink at {shown:?} must point to 1 to {} bytes",
                    crate::plan::SYMLINK_MAX - 1
                )));
            }
            MountOp::Symlink {
                points_to: cx.c_string(points_to, "a symlink's target")?,
            }
        }
        MountKind::File { data, mode } => {
            perms = Some(check_mode(*mode)?);
            MountOp::File {
                data: file_data(data, &shown, cx)?,
                mode: *mode,
                read_only: mount.read_only,
            }
        }
        MountKind::Chmod { mode } => MountOp::Chmod {
            mode: check_mode(*mode)?,
        },
        MountKind::RemountReadOnly => MountOp::RemountReadOnly,
    };
    Ok(MountPlan {
        shown: mount.target.clone(),
        parents: parents(&target_bytes, paths.empty_root),
        parent_mode: parent_mode(perms),
        target,
        op,
    })
}

/// How messages name a kind of mount.
fn kind_name(kind: &MountKind) -> &'static str {
    match kind {
        MountKind::Bind { .. } => "a bind mount",
        MountKind::Proc => "a proc",
        MountKind::Tmpfs => "a tmpfs",
        MountKind::Devpts => "a devpts",
        MountKind::Dev => "a minimal /dev",
        MountKind::Dir { .. } => "a directory",
        MountKind::Symlink { .. } => "a symlink",
        MountKind::File { .. } => "a file",
        MountKind::Chmod { .. } => "a chmod",
        MountKind::RemountReadOnly => "a read-only remount",
    }
}

/// `MS_RDONLY`, `MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC` as `MOUNT_ATTR_*`.
fn mount_attrs(ms_flags: u32) -> u64 {
    [
        (g::MS_RDONLY, g::MOUNT_ATTR_RDONLY),
        (g::MS_NOSUID, g::MOUNT_ATTR_NOSUID),
        (g::MS_NODEV, g::MOUNT_ATTR_NODEV),
        (g::MS_NOEXEC, g::MOUNT_ATTR_NOEXEC),
    ]
    .into_iter()
    .filter(|&(ms, _)| ms_flags & ms != 0)
    .fold(0, |attrs, (_, attr)| attrs | u64::from(attr))
}

/// The `data` of a filesystem mount: the options (or `default`), then the
/// tmpfs's mode and size.
fn filesystem_data(
    mount: &Mount,
    default: Option<&str>,
    cx: &Lowering<'_>,
) -> Result<Option<CString>, Error> {
    let mut data: Vec<u8> = match (&mount.options, default) {
        (Some(options), _) => options.clone(),
        (None, Some(default)) => default.as_bytes().to_vec(),
        (None, None) => Vec::new(),
    };
    let mut add = |option: String| {
        if !data.is_empty() {
            data.push(b',');
        }
        data.extend_from_slice(option.as_bytes());
    };
    if let Some(mode) = mount.mode {
        add(format!("mode=0{mode:o}"));
    }
    if let Some(size) = mount.size {
        add(format!("size={size}"));
    }
    if data.is_empty() {
        return Ok(None);
    }
    cx.c_string(&data, "mount options").map(Some)
}

/// The paths of a minimal /dev at `target` (a child's path), its device
/// nodes taken from the caller's /dev.
fn dev_plan(target: &[u8], empty_root: bool) -> DevPlan {
    let at = |name: &str| {
        let mut path = target.to_vec();
        if path.last() != Some(&b'/') {
            path.push(b'/');
        }
        path.extend_from_slice(name.as_bytes());
        CString::new(path).unwrap_or_default()
    };
    let host = |name: &str| {
        let path = format!("/dev/{name}");
        let path = if empty_root {
            under(OLD_ROOT.to_bytes(), path.as_bytes())
        } else {
            path.into_bytes()
        };
        CString::new(path).unwrap_or_default()
    };
    let node = |name: &str| (host(name), at(name));
    DevPlan {
        nodes: [
            node("null"),
            node("zero"),
            node("full"),
            node("random"),
            node("urandom"),
            node("tty"),
        ],
        links: [
            (c"/proc/self/fd/0", at("stdin")),
            (c"/proc/self/fd/1", at("stdout")),
            (c"/proc/self/fd/2", at("stderr")),
            (c"/proc/self/fd", at("fd")),
            (c"/proc/kcore", at("core")),
            (c"pts/ptmx", at("ptmx")),
        ],
        shm: at("shm"),
        pts: at("pts"),
    }
}

/// A file's contents: the bytes, or all that can be read from the fd (from
/// its start when it can seek, so that each `prepare()` reads the same).
fn file_data(data: &crate::FileData, shown: &str, cx: &Lowering<'_>) -> Result<Vec<u8>, Error> {
    let fd = match &data.0 {
        FileSource::Bytes(bytes) => return Ok(bytes.clone()),
        FileSource::Fd(fd) => fd.as_fd(),
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let mut seekable = true;
    loop {
        let read = if seekable {
            match rustix::io::pread(fd, &mut buf, out.len() as u64) {
                Err(rustix::io::Errno::SPIPE) => {
                    seekable = false;
                    continue;
                }
                other => other,
            }
        } else {
            rustix::io::read(fd, &mut buf)
        };
        match read {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                return Err(Error::os(
                    cx.program,
                    Step::Mount,
                    e.raw_os_error(),
                    format!(
                        "reading the data of the file {shown:?} from fd {}",
                        rustix::fd::AsRawFd::as_raw_fd(&fd)
                    ),
                ));
            }
        }
    }
}

/// `path` with every symlink resolved, as the kernel names what it opens
/// (`/proc/self/fd/N` of an `O_PATH` fd); `None` if it cannot be opened.
fn canonical(path: &[u8]) -> Option<Vec<u8>> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let real = super::fd_path(&fd)?;
    // Anything else (a deleted file, a path outside our root) is no path.
    real.starts_with(b"/").then_some(real)
}

/// The mount points of the caller's mount namespace, from
/// `/proc/self/mountinfo` (the fifth field, octal escapes undone).
fn caller_mount_points() -> Vec<Vec<u8>> {
    let Some(info) = super::read_small_file(c"/proc/self/mountinfo") else {
        return Vec::new();
    };
    info.split(|&b| b == b'\n')
        .filter_map(|line| line.split(|&b| b == b' ').nth(4))
        .map(unescape_octal)
        .collect()
}

/// Undoes mountinfo's `\NNN` escapes (space, tab, newline, backslash).
fn unescape_octal(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let digits = field.get(i + 1..i + 4);
        match digits {
            Some(d) if field[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)) => {
                let value = d.iter().fold(0u32, |v, b| v * 8 + u32::from(b - b'0'));
                out.push(value as u8);
                i += 4;
            }
            _ => {
                out.push(field[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_proper_prefixes() {
        let names = |path: &[u8], empty| -> Vec<Vec<u8>> {
            parents(path, empty)
                .into_iter()
                .map(CString::into_bytes)
                .collect()
        };
        assert_eq!(names(b"/a/b/c", false), [b"/a".to_vec(), b"/a/b".to_vec()]);
        assert_eq!(names(b"/a//b/", false), [b"/a".to_vec()]);
        assert_eq!(names(b"a/b", false), [b"a".to_vec()]);
        assert_eq!(names(b"/", false), Vec::<Vec<u8>>::new());
        assert_eq!(names(b"/newroot/x/y", true), [b"/newroot/x".to_vec()]);
    }

    #[test]
    fn paths_go_under_a_root() {
        assert_eq!(under(NEW_ROOT.to_bytes(), b"/usr"), b"/newroot/usr");
        assert_eq!(under(NEW_ROOT.to_bytes(), b"usr/lib"), b"/newroot/usr/lib");
        assert_eq!(under(NEW_ROOT.to_bytes(), b"/"), b"/newroot");
        assert_eq!(under(NEW_ROOT.to_bytes(), b"//"), b"/newroot");
    }

    #[test]
    fn parent_modes_follow_bubblewrap() {
        for (mode, parent) in [
            (None, 0o755),
            (Some(0o1777), 0o755),
            (Some(0o644), 0o755),
            (Some(0o750), 0o750),
            (Some(0o710), 0o750),
            (Some(0o640), 0o750),
            (Some(0o700), 0o700),
            (Some(0o600), 0o700),
            (Some(0o705), 0o705),
            (Some(0o604), 0o705),
            (Some(0), 0o700),
        ] {
            assert_eq!(parent_mode(mode), parent, "{mode:?}");
        }
    }

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape_octal(br"/a\040b\134c\\"), b"/a b\\c\\\\");
        assert_eq!(unescape_octal(br"\04"), br"\04");
    }
}
