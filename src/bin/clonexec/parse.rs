//! Turning clonexec's command line into an [`Invocation`].

use std::ffi::OsString;

use clonexec::{Mount, Namespaces, Propagation, SecureBits, SigSet, Signal};
use lexopt::prelude::*;

use crate::caps::{ambient_caps, bounding_set, cap_sets, inheritable_caps};
use crate::invocation::{Invocation, set_capabilities};
use crate::values::{
    bind_mount, choice, fd_mapping, flag_names, group_list, hex_or_decimal, id, id_map, item,
    key_value, list, namespace_list, namespace_path, non_negative, oom_score_adj, open_for, rlimit,
    seccomp_filter, text,
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
                inv.groups = Some(group_list(&text(p.value()?, "groups")?, "groups")?)
            }
            Long("keep-groups") => inv.keep_groups = true,
            Long("ambient-caps") => {
                let caps = ambient_caps(&text(p.value()?, "ambient-caps")?, "ambient-caps")?;
                inv.ambient_caps.extend(caps);
            }
            Long("caps") => {
                let sets = cap_sets(&text(p.value()?, "caps")?, "caps")?;
                set_capabilities(&mut inv, sets, "caps")?;
            }
            Long("inh-caps") => {
                let sets = inheritable_caps(&text(p.value()?, "inh-caps")?, "inh-caps")?;
                set_capabilities(&mut inv, sets, "inh-caps")?;
            }
            Long("bounding-set") => {
                let keep = bounding_set(&text(p.value()?, "bounding-set")?, "bounding-set")?;
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
                let (resource, soft, hard) = rlimit(&text(p.value()?, "rlimit")?, "rlimit")?;
                inv.set(move |c| c.rlimit(resource, soft, hard));
            }
            Long("oom-score-adj") => {
                let adj = oom_score_adj(&text(p.value()?, "oom-score-adj")?, "oom-score-adj")?;
                inv.set(move |c| c.oom_score_adj(adj));
            }
            Long("seccomp") => {
                let filter = seccomp_filter(&p.value()?, "seccomp")?;
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
                let choices = [("allow", true), ("deny", false)];
                let allow = choice(&text(p.value()?, "setgroups")?, "setgroups", &choices)?;
                inv.map_option = Some("setgroups");
                inv.set(move |c| c.allow_setgroups(allow));
            }
            Long("map-helpers") => {
                inv.map_option = Some("map-helpers");
                inv.set(|c| c.id_map_helpers(true));
            }
            Long("join") => {
                let (kind, fd) = namespace_path(&p.value()?, "join")?;
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
                let choices = [
                    ("private", Propagation::Private),
                    ("slave", Propagation::Slave),
                    ("shared", Propagation::Shared),
                    ("unchanged", Propagation::Unchanged),
                ];
                let propagation =
                    choice(&text(p.value()?, "propagation")?, "propagation", &choices)?;
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
                let mount = bind_mount(&p.value()?, "bind")?;
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
                let (child, fd) = fd_mapping(&text(p.value()?, "fd")?, "fd")?;
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
