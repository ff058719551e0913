//! The value parsers: a flag's value, as text, to what the library takes.
//! A bad value is a usage error naming the flag (exit 2); a value naming
//! something clonexec cannot open or read is a setup failure (exit 125).

use std::ffi::{OsStr, OsString};
use std::fmt::Display;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::str::FromStr;

use clonexec::{IdMap, Mount, Namespaces, Resource, SeccompAction, SockFilter};

use crate::Failure;

/// A usage error about `value` of `--flag`.
pub fn invalid(value: &str, flag: &str, why: impl Display) -> Failure {
    Failure::Usage(format!("invalid value '{value}' for '--{flag}': {why}"))
}

/// Parses a flag's value as UTF-8 text.
pub fn text(value: OsString, flag: &str) -> Result<String, Failure> {
    value
        .into_string()
        .map_err(|v| Failure::Usage(format!("invalid value {v:?} for '--{flag}': not UTF-8")))
}

/// Parses one item of a flag's value with `FromStr`.
pub fn item<T: FromStr>(item: &str, flag: &str) -> Result<T, Failure>
where
    T::Err: Display,
{
    item.parse().map_err(|e| invalid(item, flag, e))
}

/// Parses an fd or process-group number: 0 to `i32::MAX`.
pub fn non_negative(value: &str, flag: &str) -> Result<i32, Failure> {
    let n: u32 = item(value, flag)?;
    i32::try_from(n).map_err(|e| invalid(value, flag, e))
}

/// `(uid_t)-1`: set*id() take it as "unchanged", and the kernel refuses it
/// in groups and id maps.
const NO_ID: u32 = u32::MAX;

/// Parses a uid or gid (`kind`) of `--flag`, refusing [`NO_ID`]; `why` says
/// what the call that gets it would make of it.
pub fn id(value: &str, flag: &str, kind: &str, why: &str) -> Result<u32, Failure> {
    let id: u32 = item(value, flag)?;
    if id == NO_ID {
        return Err(invalid(value, flag, format!("{id} is ({kind}_t)-1, {why}")));
    }
    Ok(id)
}

/// Parses a list of supplementary group ids (empty text is no group).
pub fn group_list(value: &str, flag: &str) -> Result<Vec<u32>, Failure> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| id(s, flag, "gid", "which is no group (setgroups refuses it)"))
        .collect()
}

/// Parses a comma-separated list (empty text is an empty list).
pub fn list<T: FromStr>(value: &str, flag: &str) -> Result<Vec<T>, Failure>
where
    T::Err: Display,
{
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| item(s, flag))
        .collect()
}

/// Parses one of `choices`, given by its exact name.
pub fn choice<T: Copy>(value: &str, flag: &str, choices: &[(&str, T)]) -> Result<T, Failure> {
    if let Some(&(_, chosen)) = choices.iter().find(|(name, _)| *name == value) {
        return Ok(chosen);
    }
    let mut expected = String::from("expected ");
    for (i, (name, _)) in choices.iter().enumerate() {
        if i + 1 == choices.len() && i > 0 {
            expected.push_str(" or ");
        } else if i > 0 {
            expected.push_str(", ");
        }
        expected.push_str(name);
    }
    Err(invalid(value, flag, expected))
}

/// Splits `value` at the first `sep`; both sides must not be empty.
fn split_at(
    value: &OsStr,
    sep: u8,
    flag: &str,
    what: &str,
) -> Result<(OsString, OsString), Failure> {
    let bytes = value.as_bytes();
    match bytes.iter().position(|&b| b == sep) {
        Some(at) if at > 0 && at + 1 < bytes.len() => Ok((
            OsString::from_vec(bytes[..at].to_vec()),
            OsString::from_vec(bytes[at + 1..].to_vec()),
        )),
        _ => Err(Failure::Usage(format!(
            "invalid value {value:?} for '--{flag}': expected {what}"
        ))),
    }
}

/// Splits `K=V` at the first `=`; `K` must not be empty.
pub fn key_value(value: OsString, flag: &str, what: &str) -> Result<(OsString, OsString), Failure> {
    let bytes = value.as_bytes();
    match bytes.iter().position(|&b| b == b'=') {
        Some(eq) if eq > 0 => Ok((
            OsString::from_vec(bytes[..eq].to_vec()),
            OsString::from_vec(bytes[eq + 1..].to_vec()),
        )),
        _ => Err(Failure::Usage(format!(
            "invalid value {value:?} for '--{flag}': expected {what}"
        ))),
    }
}

/// Parses `CHILD=PARENT` of `--flag`: the program's fd number CHILD and a
/// duplicate of clonexec's fd PARENT.
pub fn fd_mapping(spec: &str, flag: &str) -> Result<(i32, OwnedFd), Failure> {
    let (child, parent) = spec
        .split_once('=')
        .ok_or_else(|| invalid(spec, flag, "expected CHILD=PARENT"))?;
    let child = non_negative(child, flag)?;
    let fd = dup_inherited_fd(non_negative(parent, flag)?, spec, flag)?;
    Ok((child, fd))
}

/// A close-on-exec duplicate of clonexec's fd `parent` (for `--flag
/// CHILD=PARENT`, written `spec`), which must be open.
fn dup_inherited_fd(parent: i32, spec: &str, flag: &str) -> Result<OwnedFd, Failure> {
    // SAFETY: this borrow lives only for the two calls below, during which
    // nothing in clonexec closes fds (it is single-threaded and owns no fds
    // yet). If `parent` is not open, `fcntl(F_GETFD)` fails with `EBADF` and
    // the borrow is not used further; no memory is touched either way.
    let borrowed = unsafe { BorrowedFd::borrow_raw(parent) };
    if rustix::io::fcntl_getfd(borrowed).is_err() {
        return Err(Failure::Setup(format!(
            "--{flag} {spec}: fd {parent} is not open in clonexec"
        )));
    }
    borrowed.try_clone_to_owned().map_err(|e| {
        Failure::Setup(format!(
            "--{flag} {spec}: duplicating fd {parent} failed: {e}"
        ))
    })
}

/// Opens `path` read-only and close-on-exec (`O_DIRECTORY` too when `dir`)
/// for `--flag`; a failure is exit 125.
pub fn open_for(path: &OsStr, dir: bool, flag: &str) -> Result<OwnedFd, Failure> {
    use rustix::fs::OFlags;
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC;
    if dir {
        flags |= OFlags::DIRECTORY;
    }
    rustix::fs::open(path, flags, rustix::fs::Mode::empty()).map_err(|e| {
        Failure::Setup(format!(
            "--{flag}: opening {path:?} failed: {}",
            std::io::Error::from(e)
        ))
    })
}

/// Reads the seccomp filter in the file at `path`, of `--flag`: raw classic
/// BPF, 8 bytes per instruction.
pub fn seccomp_filter(path: &OsStr, flag: &str) -> Result<Vec<SockFilter>, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Setup(format!("--{flag}: reading {path:?} failed: {e}")))?;
    SockFilter::from_bytes(&bytes).ok_or_else(|| {
        Failure::Setup(format!(
            "--{flag}: {path:?} has {} bytes, not a whole number of 8-byte BPF instructions",
            bytes.len()
        ))
    })
}

/// Parses `NAME,...[:ERRNO]` of `--flag`: system call names (checked by
/// the library, which knows them) and, where `with_errno`, the errno to
/// fail them with, by name or number (default `EPERM`).
pub fn syscall_list(
    value: &str,
    flag: &str,
    with_errno: bool,
) -> Result<(Vec<String>, SeccompAction), Failure> {
    let (names, action) = match value.split_once(':') {
        Some((names, errno)) if with_errno => {
            let action: SeccompAction = item(errno, flag)?;
            if !matches!(action, SeccompAction::Errno(_)) {
                return Err(invalid(errno, flag, "expected an errno name or number"));
            }
            (names, action)
        }
        _ => (
            value,
            SeccompAction::Errno(rustix::io::Errno::PERM.raw_os_error()),
        ),
    };
    let names: Vec<String> = names
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if names.is_empty() {
        return Err(invalid(value, flag, "no system call given"));
    }
    Ok((names, action))
}

/// Parses a `BIT,...` list of `--flag` by bitflags name, lowercase or not,
/// each optionally after `+` and with a `prefix` (`secbit_`) allowed.
pub fn flag_names<F: bitflags::Flags>(value: &str, flag: &str, prefix: &str) -> Result<F, Failure> {
    let mut flags = F::empty();
    for entry in value.split(',').filter(|s| !s.is_empty()) {
        let name = entry
            .strip_prefix('+')
            .unwrap_or(entry)
            .to_ascii_uppercase();
        let name = name
            .strip_prefix(&prefix.to_ascii_uppercase())
            .unwrap_or(&name);
        let bit = F::from_name(name).ok_or_else(|| invalid(entry, flag, "unknown name"))?;
        flags.insert(bit);
    }
    Ok(flags)
}

/// Parses a namespace list (`user,net`; `mnt` for `mount`, as in
/// `/proc/PID/ns`), which must name at least one.
pub fn namespace_list(value: &str, flag: &str) -> Result<Namespaces, Failure> {
    let mut namespaces = Namespaces::empty();
    for name in value.split(',').filter(|s| !s.is_empty()) {
        namespaces |= match name.to_ascii_lowercase().as_str() {
            "user" => Namespaces::USER,
            "mount" | "mnt" => Namespaces::MOUNT,
            "pid" => Namespaces::PID,
            "net" | "network" => Namespaces::NET,
            "ipc" => Namespaces::IPC,
            "uts" => Namespaces::UTS,
            "cgroup" => Namespaces::CGROUP,
            "time" => Namespaces::TIME,
            _ => {
                return Err(invalid(
                    name,
                    flag,
                    "unknown namespace (user, mount, pid, net, ipc, uts, cgroup, time)",
                ));
            }
        };
    }
    if namespaces.is_empty() {
        return Err(invalid(value, flag, "no namespace given"));
    }
    Ok(namespaces)
}

/// Parses `NS:PATH` of `--flag`: one namespace kind, and the namespace at
/// PATH opened.
pub fn namespace_path(value: &OsStr, flag: &str) -> Result<(Namespaces, OwnedFd), Failure> {
    let (kinds, path) = split_at(value, b':', flag, "NS:PATH")?;
    let kinds = text(kinds, flag)?;
    let kind = namespace_list(&kinds, flag)?;
    if kind.iter().count() != 1 {
        // An fd of /proc/PID/ns/ is one namespace.
        return Err(invalid(&kinds, flag, "expected one namespace"));
    }
    Ok((kind, open_for(&path, false, flag)?))
}

/// Parses an id map line `IN:OUT:COUNT` of `--flag`, mapping `kind` ids.
pub fn id_map(value: &str, flag: &str, kind: &str) -> Result<IdMap, Failure> {
    let parts: Vec<&str> = value.split(':').collect();
    let [inside, outside, count] = parts[..] else {
        return Err(invalid(value, flag, "expected INSIDE:OUTSIDE:COUNT"));
    };
    let map = IdMap::new(
        item(inside, flag)?,
        item(outside, flag)?,
        item(count, flag)?,
    );
    if map.count == 0 {
        return Err(invalid(value, flag, "COUNT is 0"));
    }
    for (side, start) in [("INSIDE", map.inside), ("OUTSIDE", map.outside)] {
        if u64::from(start) + u64::from(map.count) > u64::from(NO_ID) {
            return Err(invalid(
                value,
                flag,
                format!(
                    "{side}+COUNT reaches {NO_ID}, which is ({kind}_t)-1: the kernel refuses \
                     a map range that contains it"
                ),
            ));
        }
    }
    Ok(map)
}

/// Parses a resource limit of `--flag`: a number, or `unlimited`/`infinity`.
fn limit(value: &str, flag: &str) -> Result<u64, Failure> {
    if value.eq_ignore_ascii_case("unlimited") || value.eq_ignore_ascii_case("infinity") {
        Ok(Resource::INFINITY)
    } else {
        item(value, flag)
    }
}

/// Parses `NAME=SOFT[:HARD]` of `--flag`.
pub fn rlimit(value: &str, flag: &str) -> Result<(Resource, u64, u64), Failure> {
    let Some((name, limits)) = value.split_once('=') else {
        return Err(invalid(value, flag, "expected NAME=SOFT[:HARD]"));
    };
    let resource: Resource = item(name, flag)?;
    let (soft, hard) = match limits.split_once(':') {
        Some((soft, hard)) => (limit(soft, flag)?, limit(hard, flag)?),
        None => {
            let both = limit(limits, flag)?;
            (both, both)
        }
    };
    if soft > hard {
        return Err(invalid(
            value,
            flag,
            "the soft limit is above the hard limit",
        ));
    }
    Ok((resource, soft, hard))
}

/// Parses an OOM score adjustment: -1000 (never killed) to 1000.
pub fn oom_score_adj(value: &str, flag: &str) -> Result<i32, Failure> {
    let adj: i32 = item(value, flag)?;
    if !(-1000..=1000).contains(&adj) {
        return Err(invalid(value, flag, "not in -1000..=1000"));
    }
    Ok(adj)
}

/// Parses a `u32` in decimal or, after `0x`, hex.
pub fn hex_or_decimal(value: &str, flag: &str) -> Result<u32, Failure> {
    match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => u32::from_str_radix(hex, 16).map_err(|e| invalid(value, flag, e)),
        None => item(value, flag),
    }
}

/// Parses `SRC:DST[:OPT,...]` of `--flag` (SRC cannot contain `:`); OPT
/// is `ro`, `rw`, `try`, `nosuid`, `nodev` or `noexec`.
pub fn bind_mount(value: &OsStr, flag: &str) -> Result<Mount, Failure> {
    const OPTIONS: [&[u8]; 6] = [b"ro", b"rw", b"try", b"nosuid", b"nodev", b"noexec"];
    let bytes = value.as_bytes();
    let (paths, options) = match bytes.iter().rposition(|&b| b == b':') {
        Some(colon)
            if bytes[colon + 1..]
                .split(|&b| b == b',')
                .all(|opt| OPTIONS.contains(&opt)) =>
        {
            (&bytes[..colon], &bytes[colon + 1..])
        }
        _ => (bytes, &b""[..]),
    };
    let (source, target) = split_at(OsStr::from_bytes(paths), b':', flag, "SRC:DST[:OPT,...]")?;
    let mut mount = Mount::bind(source, target);
    for option in options.split(|&b| b == b',') {
        mount = match option {
            b"ro" => mount.read_only(),
            b"try" => mount.optional(),
            b"nosuid" => mount.nosuid(),
            b"nodev" => mount.nodev(),
            b"noexec" => mount.noexec(),
            _ => mount,
        };
    }
    Ok(mount)
}

/// Parses `DIR[:OPTIONS]` of `--tmpfs`: mount options when the part after
/// the last `:` has an `=` (`size=64m,mode=755`).
pub fn tmpfs_mount(value: &OsStr) -> Mount {
    let bytes = value.as_bytes();
    match bytes.iter().rposition(|&b| b == b':') {
        Some(colon) if bytes[colon + 1..].contains(&b'=') => {
            Mount::tmpfs(&bytes[..colon]).options(&bytes[colon + 1..])
        }
        _ => Mount::tmpfs(bytes),
    }
}

/// Parses an octal file mode of `--flag`, at most `7777`.
pub fn mode(value: &str, flag: &str) -> Result<u32, Failure> {
    let mode = u32::from_str_radix(value, 8).map_err(|e| invalid(value, flag, e))?;
    if mode > 0o7777 {
        return Err(invalid(value, flag, "more than 7777"));
    }
    Ok(mode)
}

/// Splits `PATH[:MODE]` of `--flag`: a mode when the part after the last
/// `:` is octal digits, else `default`.
pub fn path_and_mode(value: &OsStr, flag: &str, default: u32) -> Result<(OsString, u32), Failure> {
    let bytes = value.as_bytes();
    match bytes.iter().rposition(|&b| b == b':') {
        Some(colon)
            if colon + 1 < bytes.len()
                && bytes[colon + 1..].iter().all(|b| (b'0'..=b'7').contains(b)) =>
        {
            let digits = String::from_utf8_lossy(&bytes[colon + 1..]).into_owned();
            Ok((
                OsString::from_vec(bytes[..colon].to_vec()),
                mode(&digits, flag)?,
            ))
        }
        _ => Ok((value.to_owned(), default)),
    }
}

/// Parses `TARGET:PATH` of `--flag` (TARGET cannot contain `:`).
pub fn symlink_mount(value: &OsStr, flag: &str) -> Result<Mount, Failure> {
    let (target, path) = split_at(value, b':', flag, "TARGET:PATH")?;
    Ok(Mount::symlink(target, path))
}

/// Parses `PATH:SRC[:MODE]` of `--flag`: a file at PATH holding a copy of
/// the file SRC, which is opened now (a failure is exit 125).
pub fn file_mount(value: &OsStr, flag: &str) -> Result<Mount, Failure> {
    let (paths, mode) = path_and_mode(value, flag, 0o644)?;
    let (path, source) = split_at(&paths, b':', flag, "PATH:SRC[:MODE]")?;
    let file = std::fs::File::open(&source)
        .map_err(|e| Failure::Setup(format!("--{flag}: opening {source:?} failed: {e}")))?;
    Ok(Mount::file(path, file, mode))
}
