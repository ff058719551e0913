//! Turning clonexec's command line into an [`Invocation`].

use std::ffi::OsString;

use clonexec::{CapSet, Mount, Namespaces, Propagation, SecureBits, SigSet, Signal, SockFilter};
use lexopt::prelude::*;

use crate::caps::{cap_list, cap_sets, current_caps};
use crate::invocation::{Invocation, set_capabilities};
use crate::values::{
    bind_mount, dup_inherited_fd, flag_names, hex_or_decimal, id, id_map, invalid, item, key_value,
    list, namespace_list, non_negative, open_for, rlimit, split_at, text,
};
use crate::{Failure, Parsed};

/// Parses the command line (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Failure> {
    let mut p = lexopt::Parser::from_args(args);
    let mut inv = Invocation::default();
    while let Some(arg) = p.next()? {
        match arg {
            Value(program) => {
                inv.program = program;
                inv.args = p.raw_args()?.collect();
                return Ok(Parsed::Run(Box::new(inv)));
            }

            // Process
            Long("setsid") => inv.set(|c| c.setsid(true)),
            Long("setsid-if-tty") => inv.set(|c| c.setsid_if_tty(true)),
            Long("pgid") => {
                let pgid = non_negative(&text(p.value()?, "pgid")?, "pgid")?;
                inv.set(move |c| c.process_group(pgid));
            }
            Long("ctty") => {
                let fd = non_negative(&text(p.value()?, "ctty")?, "ctty")?;
                inv.ctty = true;
                inv.set(move |c| c.setsid(true).controlling_tty(fd));
            }
            Long("no-ctty") => {
                inv.no_ctty = true;
                inv.set(|c| c.no_controlling_tty(true));
            }
            Long("pdeathsig") => {
                let sig: Signal = item(&text(p.value()?, "pdeathsig")?, "pdeathsig")?;
                inv.set(move |c| c.pdeathsig(sig));
            }
            Long("signal-mask") => {
                let signals: Vec<Signal> = list(&text(p.value()?, "signal-mask")?, "signal-mask")?;
                let mask: SigSet = signals.into_iter().collect();
                inv.set(move |c| c.signal_mask(mask));
            }
            Long("reset-signals") => inv.set(|c| c.reset_ignored_signals(true)),
            Long("personality") => {
                let persona = hex_or_decimal(&text(p.value()?, "personality")?, "personality")?;
                inv.set(move |c| c.personality(persona));
            }
            Long("arg0") => {
                let name = p.value()?;
                inv.set(move |c| c.arg0(name));
            }

            // Credentials
            Long("uid") => {
                let uid = id(
                    &text(p.value()?, "uid")?,
                    "uid",
                    "uid",
                    "which setresuid takes as \"unchanged\"",
                )?;
                inv.set(move |c| c.uid(uid));
            }
            Long("gid") => {
                let gid = id(
                    &text(p.value()?, "gid")?,
                    "gid",
                    "gid",
                    "which setresgid takes as \"unchanged\"",
                )?;
                inv.set(move |c| c.gid(gid));
            }
            Long("groups") => {
                let value = text(p.value()?, "groups")?;
                let groups = value
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        id(
                            s,
                            "groups",
                            "gid",
                            "which is no group (setgroups refuses it)",
                        )
                    })
                    .collect::<Result<_, _>>()?;
                inv.groups = Some(groups);
            }
            Long("keep-groups") => inv.keep_groups = true,
            Long("ambient-caps") => {
                let value = text(p.value()?, "ambient-caps")?;
                // setpriv writes `+cap`; accept it.
                let caps = value.split(',').map(|s| s.strip_prefix('+').unwrap_or(s));
                for cap in caps.filter(|s| !s.is_empty()) {
                    inv.ambient_caps.push(item(cap, "ambient-caps")?);
                }
            }
            Long("caps") => {
                let sets = cap_sets(&text(p.value()?, "caps")?)?;
                set_capabilities(&mut inv, sets, "caps")?;
            }
            Long("inh-caps") => {
                let value = text(p.value()?, "inh-caps")?;
                let inheritable = cap_list(
                    &value,
                    "inh-caps",
                    Some(&|| current_caps("CapInh", "inh-caps")),
                )?;
                let sets = CapSet {
                    permitted: current_caps("CapPrm", "inh-caps")?,
                    inheritable,
                    effective: current_caps("CapEff", "inh-caps")?,
                };
                set_capabilities(&mut inv, sets, "inh-caps")?;
            }
            Long("bounding-set") => {
                let value = text(p.value()?, "bounding-set")?;
                let keep = cap_list(
                    &value,
                    "bounding-set",
                    Some(&|| current_caps("CapBnd", "bounding-set")),
                )?;
                inv.set(move |c| c.bounding_set(keep.iter()));
            }
            Long("securebits") => {
                let bits: SecureBits =
                    flag_names(&text(p.value()?, "securebits")?, "securebits", "secbit_")?;
                inv.set(move |c| c.securebits(bits));
            }
            Long("no-new-privs") => inv.set(|c| c.no_new_privs(true)),
            Long("new-session-keyring") => inv.set(|c| c.new_session_keyring(true)),

            // Limits
            Long("rlimit") => {
                let (resource, soft, hard) = rlimit(&text(p.value()?, "rlimit")?)?;
                inv.set(move |c| c.rlimit(resource, soft, hard));
            }
            Long("oom-score-adj") => {
                let value = text(p.value()?, "oom-score-adj")?;
                let adj: i32 = item(&value, "oom-score-adj")?;
                if !(-1000..=1000).contains(&adj) {
                    return Err(invalid(&value, "oom-score-adj", "not in -1000..=1000"));
                }
                inv.set(move |c| c.oom_score_adj(adj));
            }
            Long("seccomp") => {
                let path = p.value()?;
                let bytes = std::fs::read(&path).map_err(|e| {
                    Failure::Setup(format!("--seccomp: reading {path:?} failed: {e}"))
                })?;
                let filter = SockFilter::from_bytes(&bytes).ok_or_else(|| {
                    Failure::Setup(format!(
                        "--seccomp: {path:?} has {} bytes, not a whole number of 8-byte BPF instructions",
                        bytes.len()
                    ))
                })?;
                inv.seccomp = true;
                inv.set(move |c| c.seccomp_filter(filter));
            }
            Long("seccomp-flags") => {
                let value = text(p.value()?, "seccomp-flags")?;
                inv.seccomp_flags = Some(flag_names(&value, "seccomp-flags", "")?);
            }

            // Namespaces
            Long("unshare") => {
                let kinds = namespace_list(&text(p.value()?, "unshare")?, "unshare")?;
                *inv.unshare.get_or_insert(Namespaces::empty()) |= kinds;
            }
            Long("map-root-user") => inv.map_root_user = true,
            Long("map-user") => {
                let map = id_map(&text(p.value()?, "map-user")?, "map-user", "uid")?;
                inv.uid_map.push(map);
            }
            Long("map-group") => {
                let map = id_map(&text(p.value()?, "map-group")?, "map-group", "gid")?;
                inv.gid_map.push(map);
            }
            Long("setgroups") => {
                let value = text(p.value()?, "setgroups")?;
                let allow = match value.as_str() {
                    "allow" => true,
                    "deny" => false,
                    _ => return Err(invalid(&value, "setgroups", "expected allow or deny")),
                };
                inv.map_option = Some("setgroups");
                inv.set(move |c| c.allow_setgroups(allow));
            }
            Long("map-helpers") => {
                inv.map_option = Some("map-helpers");
                inv.set(|c| c.id_map_helpers(true));
            }
            Long("join") => {
                let (kinds, path) = split_at(&p.value()?, b':', "join", "NS:PATH")?;
                let kinds = text(kinds, "join")?;
                let kind = namespace_list(&kinds, "join")?;
                if kind.iter().count() != 1 {
                    // An fd of /proc/PID/ns/ is one namespace.
                    return Err(invalid(&kinds, "join", "expected one namespace"));
                }
                let fd = open_for(&path, false, "join")?;
                *inv.joined.get_or_insert(Namespaces::empty()) |= kind;
                inv.set(move |c| c.join_namespace(fd, kind));
            }
            Long("cgroup") => {
                let fd = open_for(&p.value()?, true, "cgroup")?;
                inv.set(move |c| c.cgroup(fd));
            }
            Long("hostname") => {
                let name = p.value()?;
                inv.set(move |c| c.hostname(name));
            }
            Long("domainname") => {
                let name = p.value()?;
                inv.set(move |c| c.domainname(name));
            }
            Long("loopback-up") => inv.set(|c| c.loopback_up(true)),
            Long("init") => {
                inv.init = true;
                inv.set(|c| c.pid1_init(true));
            }

            // Mounts
            Long("propagation") => {
                let value = text(p.value()?, "propagation")?;
                let propagation = match value.as_str() {
                    "private" => Propagation::Private,
                    "slave" => Propagation::Slave,
                    "shared" => Propagation::Shared,
                    "unchanged" => Propagation::Unchanged,
                    _ => {
                        return Err(invalid(
                            &value,
                            "propagation",
                            "expected private, slave, shared or unchanged",
                        ));
                    }
                };
                inv.set(move |c| c.mount_propagation(propagation));
            }
            Long("mount-proc") => {
                let dir = p
                    .optional_value()
                    .unwrap_or_else(|| OsString::from("/proc"));
                inv.implies_mount = true;
                inv.set(move |c| c.mount(Mount::proc(dir)));
            }
            Long("bind") => {
                let mount = bind_mount(&p.value()?)?;
                inv.implies_mount = true;
                inv.set(move |c| c.mount(mount));
            }
            Long("tmpfs") => {
                let dir = p.value()?;
                inv.implies_mount = true;
                inv.set(move |c| c.mount(Mount::tmpfs(dir)));
            }
            Long("devpts") => {
                let dir = p.value()?;
                inv.implies_mount = true;
                inv.set(move |c| c.mount(Mount::devpts(dir)));
            }
            Long("chroot") => {
                let dir = p.value()?;
                inv.set(move |c| c.chroot(dir));
            }
            Long("pivot-root") => {
                let dir = p.value()?;
                inv.implies_mount = true;
                inv.set(move |c| c.pivot_root(dir));
            }
            Long("lock-mounts") => {
                inv.implies_mount = true;
                inv.set(|c| c.lock_mounts(true));
            }

            // Files
            Long("cd") => {
                let dir = p.value()?;
                inv.set(move |c| c.current_dir(dir));
            }
            Long("fd") => {
                let spec = text(p.value()?, "fd")?;
                let (child, parent) = spec
                    .split_once('=')
                    .ok_or_else(|| invalid(&spec, "fd", "expected CHILD=PARENT"))?;
                let child = non_negative(child, "fd")?;
                let fd = dup_inherited_fd(non_negative(parent, "fd")?, &spec)?;
                inv.set(move |c| c.fd(child, fd));
            }
            Long("close-fds") => inv.set(|c| c.close_other_fds(true)),

            // Environment
            Long("env") => {
                let (key, value) = key_value(p.value()?, "env", "K=V")?;
                inv.set(move |c| c.env(key, value));
            }
            Long("env-clear") => inv.env_clear = true,
            Long("env-remove") => {
                let key = p.value()?;
                inv.set(move |c| c.env_remove(key));
            }

            // Output
            Long("print-pid") => inv.print_pid = true,
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Short('V') | Long("version") => return Ok(Parsed::Version),

            Long(name) => return Err(Failure::Usage(format!("unknown option '--{name}'"))),
            Short(c) => return Err(Failure::Usage(format!("unknown option '-{c}'"))),
        }
    }
    Err(Failure::Usage(String::from("no program given")))
}
