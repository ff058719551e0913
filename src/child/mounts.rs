//! The child's filesystem step: an empty root entered first when asked,
//! every [`MountPlan`] in the order given, the caller's root left last;
//! and `pivot_root`. Same rules as the rest of the child: no allocation,
//! no panic, raw system calls only, paths prepared by `prepare()`.

use core::ffi::CStr;

use linux_raw_sys::errno;
use linux_raw_sys::general as g;

use super::at;
use crate::contract::StepFailure;
use crate::plan::{
    BindPlan, DevPlan, EMPTY_ROOT_BASE, FilesystemPlan, MountOp, MountPlan, NEW_ROOT, OLD_ROOT,
};
use crate::step::{EmptyRootStage, MountPhase, Step};
use crate::sys::{self, Errno};

/// The empty root's directories in its tmpfs before the first pivot: they
/// become [`NEW_ROOT`] and [`OLD_ROOT`].
const BASE_NEW_ROOT: &CStr = c"/tmp/newroot";
const BASE_OLD_ROOT: &CStr = c"/tmp/oldroot";

/// A failed mount operation: the phase it was in, and the error.
type Failed = (MountPhase, Errno);

/// Builds the filesystem view. The umask is 0 meanwhile, so that the modes
/// asked for are the modes made; the caller's is back afterwards (a
/// failed `Command::exec` returns to the caller).
#[inline]
pub(super) fn build(fs: &FilesystemPlan) -> Result<(), StepFailure> {
    let umask = sys::fs::umask(0);
    let result = build_with_umask_0(fs);
    sys::fs::umask(umask);
    result
}

#[inline]
fn build_with_umask_0(fs: &FilesystemPlan) -> Result<(), StepFailure> {
    if fs.empty_root {
        enter_empty_root()?;
    }
    let mut index = 0u32;
    for mount in &fs.mounts {
        apply(mount).map_err(|(phase, errno)| StepFailure {
            step: Step::Mount,
            errno,
            detail: phase.detail(index),
        })?;
        index = index.wrapping_add(1);
    }
    if fs.empty_root {
        leave_old_root().map_err(at(Step::EmptyRoot, EmptyRootStage::Leave as u32))?;
    }
    Ok(())
}

/// Mounts a tmpfs on `/tmp` and pivots into it, with the caller's root at
/// [`OLD_ROOT`] and an empty directory, a mount of its own, at
/// [`NEW_ROOT`]: mounts then go there, and their sources are read from
/// the old root, which no mount in the new one can hide.
#[inline]
fn enter_empty_root() -> Result<(), StepFailure> {
    let stage = |s: EmptyRootStage| at(Step::EmptyRoot, s as u32);
    sys::fs::mount(
        Some(c"tmpfs"),
        EMPTY_ROOT_BASE,
        Some(c"tmpfs"),
        g::MS_NOSUID | g::MS_NODEV,
        Some(c"mode=0755"),
    )
    .map_err(stage(EmptyRootStage::Tmpfs))?;
    sys::fs::mkdir(BASE_NEW_ROOT, 0o755)
        .and_then(|()| {
            // pivot_root wants the new root to be a mount point.
            sys::fs::mount(
                Some(BASE_NEW_ROOT),
                BASE_NEW_ROOT,
                None,
                g::MS_BIND | g::MS_REC,
                None,
            )
        })
        .and_then(|()| sys::fs::mkdir(BASE_OLD_ROOT, 0o755))
        .map_err(stage(EmptyRootStage::Dirs))?;
    sys::fs::pivot_root(EMPTY_ROOT_BASE, BASE_OLD_ROOT)
        .and_then(|()| sys::fs::chdir(c"/"))
        .map_err(stage(EmptyRootStage::Enter))
}

/// Detaches the caller's root (made private first, or the detach would
/// propagate to the caller's mount namespace) and makes the new root `/`.
#[inline]
fn leave_old_root() -> Result<(), Errno> {
    sys::fs::mount(None, OLD_ROOT, None, g::MS_REC | g::MS_PRIVATE, None)?;
    sys::fs::umount2(OLD_ROOT, g::MNT_DETACH)?;
    sys::fs::chdir(NEW_ROOT)?;
    pivot_into_cwd()
}

/// Makes `new_root` the root: bind it onto itself (pivot_root wants a mount
/// point), enter it, and pivot into it.
#[inline]
pub(super) fn pivot_root(new_root: &CStr) -> Result<(), Errno> {
    sys::fs::mount(Some(new_root), new_root, None, g::MS_BIND | g::MS_REC, None)?;
    sys::fs::chdir(new_root)?;
    pivot_into_cwd()
}

/// Pivots into the working directory with the old root stacked on top of
/// the new one (`pivot_root(".", ".")`), then detaches the old root so
/// nothing of it stays reachable.
#[inline]
fn pivot_into_cwd() -> Result<(), Errno> {
    sys::fs::pivot_root(c".", c".")?;
    sys::fs::umount2(c".", g::MNT_DETACH)?;
    sys::fs::chdir(c"/")
}

/// One mount operation.
#[inline]
fn apply(m: &MountPlan) -> Result<(), Failed> {
    let main = |errno| (MountPhase::Main, errno);
    match &m.op {
        MountOp::Filesystem {
            fstype,
            flags,
            data,
        } => {
            make_dir(m, 0o755, MountPhase::MountPoint)?;
            sys::fs::mount(
                Some(fstype),
                &m.target,
                Some(fstype),
                *flags,
                data.as_deref(),
            )
            .map_err(main)
        }
        MountOp::Bind(bind) => apply_bind(m, bind),
        MountOp::Dev(dev) => apply_dev(m, dev),
        MountOp::Dir { mode } => {
            make_dir(m, *mode, MountPhase::Main)?;
            // An existing directory is fine, anything else is not.
            match sys::fs::file_type(&m.target) {
                Ok(g::S_IFDIR) => Ok(()),
                Ok(_) => Err(main(errno::ENOTDIR as Errno)),
                Err(errno) => Err(main(errno)),
            }
        }
        MountOp::Symlink { points_to } => with_parents(m, MountPhase::Main, || {
            match sys::fs::symlink(points_to, &m.target) {
                Err(e)
                    if e as u32 == errno::EEXIST && super::is_symlink_to(&m.target, points_to) =>
                {
                    Ok(())
                }
                other => other,
            }
        }),
        MountOp::File {
            data,
            mode,
            read_only,
        } => make_file(m, data, *mode, *read_only),
        MountOp::Chmod { mode } => sys::fs::chmod(&m.target, *mode).map_err(main),
        MountOp::RemountReadOnly => {
            set_attrs(&m.target, false, u64::from(g::MOUNT_ATTR_RDONLY), &[]).map_err(main)
        }
    }
}

/// Runs `create` for the target; when the directory it goes in is missing
/// (`ENOENT`), creates the missing directories above it and runs it again.
/// A failure of `create` is reported as `phase`.
#[inline]
fn with_parents(
    m: &MountPlan,
    phase: MountPhase,
    mut create: impl FnMut() -> Result<(), Errno>,
) -> Result<(), Failed> {
    match create() {
        Err(e) if e as u32 == errno::ENOENT && !m.parents.is_empty() => {
            for dir in &m.parents {
                match sys::fs::mkdir(dir, m.parent_mode) {
                    Err(e) if e as u32 != errno::EEXIST => return Err((MountPhase::Parents, e)),
                    _ => {}
                }
            }
            create().map_err(|e| (phase, e))
        }
        other => other.map_err(|e| (phase, e)),
    }
}

/// The target as a directory: made with `mode` unless something is there.
#[inline]
fn make_dir(m: &MountPlan, mode: u32, phase: MountPhase) -> Result<(), Failed> {
    with_parents(m, phase, || match sys::fs::mkdir(&m.target, mode) {
        Err(e) if e as u32 == errno::EEXIST => Ok(()),
        other => other,
    })
}

/// The target as a mount point for a file: an empty file unless something
/// is there.
#[inline]
fn make_mount_point_file(m: &MountPlan, target: &CStr) -> Result<(), Failed> {
    with_parents(
        m,
        MountPhase::MountPoint,
        || match sys::fs::create_empty_file(target, 0o444) {
            Err(e) if e as u32 == errno::EEXIST => Ok(()),
            other => other,
        },
    )
}

/// A bind mount: its mount point made like its source (a directory or an
/// empty file), then the attributes set all the way down.
#[inline]
fn apply_bind(m: &MountPlan, bind: &BindPlan) -> Result<(), Failed> {
    let kind = match sys::fs::file_type(&bind.source) {
        Ok(kind) => kind,
        Err(e) if e as u32 == errno::ENOENT && bind.optional => return Ok(()),
        Err(e) => return Err((MountPhase::Source, e)),
    };
    if kind == g::S_IFDIR {
        make_dir(m, 0o755, MountPhase::MountPoint)?;
    } else {
        make_mount_point_file(m, &m.target)?;
    }
    sys::fs::mount(
        Some(&bind.source),
        &m.target,
        None,
        g::MS_BIND | g::MS_REC,
        None,
    )
    .map_err(|e| (MountPhase::Main, e))?;
    if bind.attrs != 0 {
        set_attrs(&m.target, true, bind.attrs, &bind.submounts)
            .map_err(|e| (MountPhase::Attributes, e))?;
    }
    Ok(())
}

/// Sets the `MOUNT_ATTR_*` bits `attrs` on the mount at `path` (and every
/// mount below it when `recursive`) with `mount_setattr`. Where that is
/// missing (before Linux 5.12) or filtered, remounts `path` and then each
/// of `submounts` (listed by `prepare()`) with the matching flags, keeping
/// the flags the kernel locks; a submount we cannot reach is skipped (the
/// program cannot reach it either). docs/design.md trap 20.
#[inline]
fn set_attrs(
    path: &CStr,
    recursive: bool,
    attrs: u64,
    submounts: &[alloc::ffi::CString],
) -> Result<(), Errno> {
    match sys::fs::mount_setattr(path, recursive, attrs) {
        Err(e) if e as u32 == errno::ENOSYS || e as u32 == errno::EPERM => {}
        other => return other,
    }
    let flags = ms_flags_of_attrs(attrs);
    remount(path, flags)?;
    if recursive {
        for submount in submounts {
            match remount(submount, flags) {
                Err(e) if e as u32 == errno::EACCES || e as u32 == errno::ENOENT => {}
                other => other?,
            }
        }
    }
    Ok(())
}

/// Remounts the bind mount at `path` with `flags` added to the ones it
/// has (a bind remount sets them all: unnamed ones would be cleared, and
/// the kernel refuses to clear a locked one).
#[inline]
fn remount(path: &CStr, flags: u32) -> Result<(), Errno> {
    let kept = mount_flags_of(sys::fs::statfs_flags(path)?);
    sys::fs::mount(
        None,
        path,
        None,
        g::MS_REMOUNT | g::MS_BIND | flags | kept,
        None,
    )
}

/// The `MS_*` flags of `MOUNT_ATTR_*` bits.
#[inline]
fn ms_flags_of_attrs(attrs: u64) -> u32 {
    const MAP: [(u32, u32); 4] = [
        (g::MOUNT_ATTR_RDONLY, g::MS_RDONLY),
        (g::MOUNT_ATTR_NOSUID, g::MS_NOSUID),
        (g::MOUNT_ATTR_NODEV, g::MS_NODEV),
        (g::MOUNT_ATTR_NOEXEC, g::MS_NOEXEC),
    ];
    let mut flags = 0;
    for (attr, ms) in MAP {
        if attrs & u64::from(attr) != 0 {
            flags |= ms;
        }
    }
    flags
}

/// The `MS_*` flags matching a mount's `ST_*` flags (from statfs), for a
/// remount that must keep them.
#[inline]
fn mount_flags_of(st_flags: u64) -> u32 {
    // (ST_* bit, MS_* flag): read-only, nosuid, nodev, noexec, synchronous,
    // mandlock, noatime, nodiratime, relatime.
    const MAP: [(u64, u32); 9] = [
        (1, g::MS_RDONLY),
        (2, g::MS_NOSUID),
        (4, g::MS_NODEV),
        (8, g::MS_NOEXEC),
        (16, g::MS_SYNCHRONOUS),
        (64, g::MS_MANDLOCK),
        (1024, g::MS_NOATIME),
        (2048, g::MS_NODIRATIME),
        (4096, g::MS_RELATIME),
    ];
    let mut flags = 0;
    for (st, ms) in MAP {
        if st_flags & st != 0 {
            flags |= ms;
        }
    }
    flags
}

/// A file with `data`, and bound read-only onto itself if asked.
#[inline]
fn make_file(m: &MountPlan, data: &[u8], mode: u32, read_only: bool) -> Result<(), Failed> {
    let mut fd = -1;
    with_parents(m, MountPhase::Main, || {
        fd = sys::fd::create(&m.target, mode)?;
        Ok(())
    })?;
    let written = write_all(fd, data);
    let _ = sys::fd::close(fd);
    written.map_err(|e| (MountPhase::Data, e))?;
    if read_only {
        sys::fs::mount(Some(&m.target), &m.target, None, g::MS_BIND, None)
            .and_then(|()| set_attrs(&m.target, false, u64::from(g::MOUNT_ATTR_RDONLY), &[]))
            .map_err(|e| (MountPhase::Attributes, e))?;
    }
    Ok(())
}

/// Writes all of `data` to `fd`.
#[inline]
fn write_all(fd: i32, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match sys::fd::write(fd, data) {
            Ok(n) => data = data.get(n..).unwrap_or(&[]),
            Err(e) if e as u32 == errno::EINTR => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A minimal /dev: the caller's device nodes copied first (the tmpfs may
/// hide them: `Mount::dev("/dev")`), the tmpfs, the nodes attached in it,
/// the links, `shm`, and a devpts at `pts`.
#[inline]
fn apply_dev(m: &MountPlan, dev: &DevPlan) -> Result<(), Failed> {
    make_dir(m, 0o755, MountPhase::MountPoint)?;
    let mut fds = [-1i32; 6];
    let result = fill_dev(m, dev, &mut fds);
    for fd in fds {
        if fd >= 0 {
            let _ = sys::fd::close(fd);
        }
    }
    result
}

#[inline]
fn fill_dev(m: &MountPlan, dev: &DevPlan, fds: &mut [i32; 6]) -> Result<(), Failed> {
    let main = |errno| (MountPhase::Main, errno);
    for (fd, (source, _)) in fds.iter_mut().zip(&dev.nodes) {
        *fd = sys::fs::clone_mount(source).map_err(|e| (MountPhase::Source, e))?;
    }
    sys::fs::mount(
        Some(c"tmpfs"),
        &m.target,
        Some(c"tmpfs"),
        g::MS_NOSUID | g::MS_NODEV,
        Some(c"mode=0755"),
    )
    .map_err(main)?;
    for (fd, (_, node)) in fds.iter().zip(&dev.nodes) {
        sys::fs::create_empty_file(node, 0o444)
            .and_then(|()| sys::fs::attach_mount(*fd, node))
            .map_err(main)?;
    }
    for (contents, link) in &dev.links {
        sys::fs::symlink(contents, link).map_err(main)?;
    }
    sys::fs::mkdir(&dev.shm, 0o755).map_err(main)?;
    sys::fs::mkdir(&dev.pts, 0o755).map_err(main)?;
    sys::fs::mount(
        Some(c"devpts"),
        &dev.pts,
        Some(c"devpts"),
        g::MS_NOSUID | g::MS_NOEXEC,
        Some(c"newinstance,ptmxmode=0666,mode=620"),
    )
    .map_err(main)
}
