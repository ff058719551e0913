//! Landlock: the kernel's ABI, what of a [`Landlock`] it can enforce, and
//! the ruleset built here in the parent (the child only restricts itself
//! with it).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};

use linux_raw_sys::landlock as ll;
use rustix::fd::{AsFd, OwnedFd};

use super::Lowering;
use crate::error::errno_name;
use crate::sys::landlock as sys;
use crate::{Error, Landlock, Step};

/// The filesystem rights of ABI 1 (`LANDLOCK_ACCESS_FS_EXECUTE` up to
/// `LANDLOCK_ACCESS_FS_MAKE_SYM`).
const FS_ABI_1: u64 = (ll::LANDLOCK_ACCESS_FS_MAKE_SYM as u64) * 2 - 1;
const FS_REFER: u64 = ll::LANDLOCK_ACCESS_FS_REFER as u64;
const FS_TRUNCATE: u64 = ll::LANDLOCK_ACCESS_FS_TRUNCATE as u64;
const FS_IOCTL_DEV: u64 = ll::LANDLOCK_ACCESS_FS_IOCTL_DEV as u64;
/// What `read_only` allows: reading files, listing directories, executing.
const READ_ONLY: u64 = (ll::LANDLOCK_ACCESS_FS_EXECUTE
    | ll::LANDLOCK_ACCESS_FS_READ_FILE
    | ll::LANDLOCK_ACCESS_FS_READ_DIR) as u64;
/// The rights that apply to a file that is not a directory (the kernel
/// refuses the others in a rule on one).
const FILE_RIGHTS: u64 = (ll::LANDLOCK_ACCESS_FS_EXECUTE
    | ll::LANDLOCK_ACCESS_FS_WRITE_FILE
    | ll::LANDLOCK_ACCESS_FS_READ_FILE
    | ll::LANDLOCK_ACCESS_FS_TRUNCATE
    | ll::LANDLOCK_ACCESS_FS_IOCTL_DEV) as u64;
const NET_BIND: u64 = ll::LANDLOCK_ACCESS_NET_BIND_TCP as u64;
const NET_CONNECT: u64 = ll::LANDLOCK_ACCESS_NET_CONNECT_TCP as u64;

/// The ruleset for the child (an fd the plan owns) when there is anything
/// to enforce, and what the kernel could not enforce (best effort only).
pub(super) fn lower(
    landlock: &Landlock,
    cx: &mut Lowering<'_>,
) -> Result<(Option<i32>, Vec<String>), Error> {
    let wants_fs = !landlock.read_only.is_empty() || !landlock.read_write.is_empty();
    let has_ports = !landlock.connect_tcp.is_empty() || !landlock.bind_tcp.is_empty();
    if has_ports && !landlock.restrict_network {
        return Err(cx.invalid(
            "Landlock connect_tcp/bind_tcp ports are listed without restrict_network(true), \
             so they would restrict nothing",
        ));
    }
    if !wants_fs && !landlock.restrict_network {
        return Err(cx.invalid(
            "the Landlock ruleset restricts nothing: give read_only/read_write paths or \
             restrict_network(true)",
        ));
    }
    let handled = handled(
        wants_fs,
        landlock.restrict_network,
        landlock.best_effort,
        abi(),
    )
    .map_err(|message| cx.invalid(message))?;
    // Open every path first: a missing one is refused whatever the kernel.
    let mut paths = Vec::new();
    for (list, what, rights) in [
        (&landlock.read_only, "read_only", READ_ONLY),
        (&landlock.read_write, "read_write", handled.fs),
    ] {
        for path in list {
            paths.push((open_path(path, what, cx)?, path, rights & handled.fs));
        }
    }
    if handled.fs == 0 && handled.net == 0 {
        return Ok((None, handled.dropped));
    }

    let os = |errno, context: String| Error::os(cx.program, Step::Landlock, errno, context);
    let ruleset = sys::create_ruleset(handled.fs, handled.net)
        .map_err(|e| os(e, String::from("landlock_create_ruleset()")))?;
    for (fd, path, rights) in &paths {
        let rights = if is_dir(fd) {
            *rights
        } else {
            rights & FILE_RIGHTS
        };
        sys::add_path_rule(ruleset.as_fd(), rights, fd.as_fd()).map_err(|e| {
            os(
                e,
                format!(
                    "landlock_add_rule() for {:?}",
                    String::from_utf8_lossy(path)
                ),
            )
        })?;
    }
    if handled.net != 0 {
        let mut ports: BTreeMap<u16, u64> = BTreeMap::new();
        for &port in &landlock.connect_tcp {
            *ports.entry(port).or_default() |= NET_CONNECT;
        }
        for &port in &landlock.bind_tcp {
            *ports.entry(port).or_default() |= NET_BIND;
        }
        for (port, rights) in ports {
            sys::add_port_rule(ruleset.as_fd(), rights, port)
                .map_err(|e| os(e, format!("landlock_add_rule() for TCP port {port}")))?;
        }
    }
    Ok((Some(cx.own(ruleset)), handled.dropped))
}

/// `path` of the `what` list opened with `O_PATH`; one that does not exist
/// (or cannot be reached) is refused, naming it.
fn open_path(path: &[u8], what: &str, cx: &Lowering<'_>) -> Result<OwnedFd, Error> {
    use rustix::fs::{Mode, OFlags};
    let c_path = cx.c_string(path, &format!("the Landlock {what} path"))?;
    rustix::fs::open(
        c_path.as_c_str(),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        let shown = String::from_utf8_lossy(path);
        let errno = e.raw_os_error();
        match errno_name(errno) {
            Some(("ENOENT", _)) => {
                cx.invalid(format!("the Landlock {what} path {shown:?} does not exist"))
            }
            Some((name, text)) => cx.invalid(format!(
                "the Landlock {what} path {shown:?} cannot be opened: {name} ({text})"
            )),
            None => cx.invalid(format!(
                "the Landlock {what} path {shown:?} cannot be opened: error {errno}"
            )),
        }
    })
}

/// Whether `fd` (`O_PATH`) is a directory; anything else gets only the
/// rights a file can have.
fn is_dir(fd: &OwnedFd) -> bool {
    rustix::fs::fstat(fd).is_ok_and(|st| {
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
    })
}

/// The access rights a ruleset handles, and what of the request the
/// kernel cannot enforce.
#[derive(Debug, PartialEq, Eq)]
struct Handled {
    fs: u64,
    net: u64,
    dropped: Vec<String>,
}

/// What to handle for a ruleset with paths (`wants_fs`) and/or TCP rules
/// (`wants_net`) on a kernel whose Landlock ABI is `abi` (or `Err(errno)`
/// from asking for it: no Landlock). Refuses, naming what is missing and
/// the ABI that has it, unless `best_effort`.
fn handled(
    wants_fs: bool,
    wants_net: bool,
    best_effort: bool,
    abi: Result<u32, i32>,
) -> Result<Handled, String> {
    let version = abi.unwrap_or(0);
    // (what, the ABI that enforces it)
    let mut missing: Vec<(&str, u32)> = Vec::new();
    if wants_fs {
        if version < 1 {
            missing.push(("the filesystem rules", 1));
        } else {
            if version < 3 {
                missing.push(("denying truncation", 3));
            }
            if version < 5 {
                missing.push(("denying ioctl on devices", 5));
            }
        }
    }
    if wants_net && version < 4 {
        missing.push(("the TCP rules", 4));
    }
    let kernel = match abi {
        Ok(version) => format!("this kernel's Landlock ABI is {version}"),
        // EOPNOTSUPP: built in but not enabled (the `lsm=` boot list).
        Err(errno) if errno == linux_raw_sys::errno::EOPNOTSUPP as i32 => {
            String::from("Landlock is disabled in this kernel (EOPNOTSUPP)")
        }
        Err(errno) => match errno_name(errno) {
            Some((name, _)) => format!("this kernel has no Landlock ({name})"),
            None => format!("this kernel has no Landlock (error {errno})"),
        },
    };
    if !missing.is_empty() && !best_effort {
        let list: Vec<String> = missing
            .iter()
            .map(|(what, needs)| format!("{what} (ABI {needs})"))
            .collect();
        return Err(format!(
            "{kernel}, which cannot enforce {}; Landlock::best_effort(true) enforces the rest",
            list.join(", ")
        ));
    }
    let mut fs = 0;
    if wants_fs && version >= 1 {
        fs = FS_ABI_1;
        if version >= 2 {
            fs |= FS_REFER;
        }
        if version >= 3 {
            fs |= FS_TRUNCATE;
        }
        if version >= 5 {
            fs |= FS_IOCTL_DEV;
        }
    }
    let net = if wants_net && version >= 4 {
        NET_BIND | NET_CONNECT
    } else {
        0
    };
    let dropped = missing
        .iter()
        .map(|(what, needs)| format!("{what}: needs Landlock ABI {needs}, and {kernel}"))
        .collect();
    Ok(Handled { fs, net, dropped })
}

/// The kernel's Landlock ABI version, asked once: `Err(errno)` without
/// Landlock.
fn abi() -> Result<u32, i32> {
    const UNKNOWN: i32 = i32::MIN;
    static ABI: AtomicI32 = AtomicI32::new(UNKNOWN);
    let cached = ABI.load(Ordering::Relaxed);
    let cached = if cached == UNKNOWN {
        // -errno when there is none.
        let asked = match sys::abi_version() {
            Ok(version) => i32::try_from(version).unwrap_or(i32::MAX),
            Err(errno) => -errno,
        };
        ABI.store(asked, Ordering::Relaxed);
        asked
    } else {
        cached
    };
    if cached >= 0 {
        Ok(cached as u32)
    } else {
        Err(-cached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENOSYS: i32 = linux_raw_sys::errno::ENOSYS as i32;
    const EOPNOTSUPP: i32 = linux_raw_sys::errno::EOPNOTSUPP as i32;

    #[test]
    fn every_abi_handles_what_it_knows() {
        let all_fs = FS_ABI_1 | FS_REFER | FS_TRUNCATE | FS_IOCTL_DEV;
        for (abi, fs) in [(5, all_fs), (7, all_fs), (99, all_fs)] {
            let got = handled(true, true, false, Ok(abi)).unwrap();
            assert_eq!(
                got,
                Handled {
                    fs,
                    net: NET_BIND | NET_CONNECT,
                    dropped: Vec::new()
                }
            );
        }
        assert_eq!(FS_ABI_1, 0x1fff);
        assert_eq!(READ_ONLY & !FS_ABI_1, 0);
        let only_net = handled(false, true, false, Ok(4)).unwrap();
        assert_eq!((only_net.fs, only_net.net), (0, NET_BIND | NET_CONNECT));
    }

    #[test]
    fn what_an_older_kernel_cannot_enforce_is_refused_naming_the_abi() {
        let err = handled(false, true, false, Ok(3)).unwrap_err();
        assert_eq!(
            err,
            "this kernel's Landlock ABI is 3, which cannot enforce the TCP rules (ABI 4); \
             Landlock::best_effort(true) enforces the rest"
        );
        let err = handled(true, false, false, Ok(2)).unwrap_err();
        assert!(
            err.contains("denying truncation (ABI 3), denying ioctl on devices (ABI 5)"),
            "{err}"
        );
        let err = handled(true, false, false, Ok(4)).unwrap_err();
        assert!(
            err.contains("ioctl on devices (ABI 5)") && !err.contains("truncation"),
            "{err}"
        );
        let err = handled(true, true, false, Err(ENOSYS)).unwrap_err();
        assert!(
            err.starts_with("this kernel has no Landlock (ENOSYS)"),
            "{err}"
        );
        let err = handled(true, false, false, Err(EOPNOTSUPP)).unwrap_err();
        assert!(
            err.starts_with("Landlock is disabled in this kernel"),
            "{err}"
        );
    }

    #[test]
    fn best_effort_enforces_what_it_can_and_says_what_it_dropped() {
        let got = handled(true, true, true, Ok(1)).unwrap();
        assert_eq!((got.fs, got.net), (FS_ABI_1, 0));
        assert_eq!(
            got.dropped,
            [
                "denying truncation: needs Landlock ABI 3, and this kernel's Landlock ABI is 1",
                "denying ioctl on devices: needs Landlock ABI 5, and this kernel's Landlock ABI is 1",
                "the TCP rules: needs Landlock ABI 4, and this kernel's Landlock ABI is 1",
            ]
        );
        let got = handled(true, false, true, Ok(3)).unwrap();
        assert_eq!(got.fs, FS_ABI_1 | FS_REFER | FS_TRUNCATE);
        let got = handled(true, true, true, Err(ENOSYS)).unwrap();
        assert_eq!((got.fs, got.net, got.dropped.len()), (0, 0, 2));
    }

    #[test]
    fn the_abi_is_asked_once_and_kept() {
        let first = abi();
        assert_eq!(abi(), first);
        assert_eq!(first.map_err(|_| ()), sys::abi_version().map_err(|_| ()));
    }
}
