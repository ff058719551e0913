//! Turning clonexec's command line into an [`Invocation`]. Each option is
//! looked up in the flag table and dispatched on its [`Flag`], one function
//! per help group; none of them spells a flag's name.

use std::ffi::OsString;

use clonexec::{Mount, Namespaces, Propagation, SecureBits, SigSet, Signal};
use lexopt::prelude::*;

use crate::caps::{ambient_caps, bounding_set, cap_sets, inheritable_caps};
use crate::flags::{
    CredentialFlag, EnvFlag, FileFlag, Flag, LimitFlag, MountFlag, NamespaceFlag, OutputFlag,
    ProcessFlag, SandboxFlag, Spec, help_text,
};
use crate::invocation::{Invocation, set_capabilities};
use crate::values::{
    bind_mount, choice, fd_mapping, file_mount, flag_names, group_list, hex_or_decimal, id, id_map,
    item, key_value, list, namespace_list, namespace_path, non_negative, oom_score_adj, open_for,
    path_and_mode, rlimit, seccomp_filter, symlink_mount, syscall_list, text, tmpfs_mount,
};
use crate::{Failure, Parsed};

/// Parses the command line (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Failure> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut inv = Invocation::default();
    while let Some(arg) = parser.next()? {
        let spec = match arg {
            Value(program) => {
                inv.program = program;
                inv.args = parser.raw_args()?.collect();
                return Ok(Parsed::Run(Box::new(inv)));
            }
            Long(name) => Spec::by_long(name)
                .ok_or_else(|| Failure::Usage(format!("unknown option '--{name}'")))?,
            Short(c) => {
                Spec::by_short(c).ok_or_else(|| Failure::Usage(format!("unknown option '-{c}'")))?
            }
        };
        let mut arg = FlagArg {
            spec,
            parser: &mut parser,
        };
        match spec.flag {
            Flag::Process(flag) => process(flag, &mut arg, &mut inv)?,
            Flag::Credentials(flag) => credentials(flag, &mut arg, &mut inv)?,
            Flag::Limits(flag) => limits(flag, &mut arg, &mut inv)?,
            Flag::Sandbox(flag) => sandbox(flag, &mut arg, &mut inv)?,
            Flag::Namespaces(flag) => namespaces(flag, &mut arg, &mut inv)?,
            Flag::Mounts(flag) => mounts(flag, &mut arg, &mut inv)?,
            Flag::Files(flag) => files(flag, &mut arg, &mut inv)?,
            Flag::Environment(flag) => environment(flag, &mut arg, &mut inv)?,
            Flag::Output(OutputFlag::PrintPid) => inv.print_pid = true,
            Flag::Output(OutputFlag::Help) => return Ok(Parsed::Help(help_text())),
            Flag::Output(OutputFlag::Version) => return Ok(Parsed::Version),
        }
    }
    Err(Failure::Usage(String::from("no program given")))
}

/// The flag being parsed: its row, whose name the messages about its value
/// use, and the command line, where its value is.
struct FlagArg<'a> {
    spec: &'static Spec,
    parser: &'a mut lexopt::Parser,
}

impl FlagArg<'_> {
    /// The long name, without `--`.
    fn name(&self) -> &'static str {
        self.spec.long
    }

    /// Which flag, for the invocation to record where another flag's
    /// message must name it.
    fn flag(&self) -> Flag {
        self.spec.flag
    }

    /// The value, as given (a path, a name passed on unchanged).
    fn value(&mut self) -> Result<OsString, Failure> {
        Ok(self.parser.value()?)
    }

    /// The value as UTF-8 text, for the value parsers.
    fn text(&mut self) -> Result<String, Failure> {
        text(self.value()?, self.name())
    }

    /// The value of a `--flag[=VALUE]`: only one attached with `=`.
    fn optional_value(&mut self) -> Option<OsString> {
        self.parser.optional_value()
    }
}

fn process(flag: ProcessFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    let name = arg.name();
    match flag {
        ProcessFlag::Setsid => {
            inv.setsid = true;
            inv.set(|c| c.setsid(true));
        }
        ProcessFlag::SetsidIfTty => {
            inv.setsid = true;
            inv.set(|c| c.setsid_if_tty(true));
        }
        ProcessFlag::Pgid => {
            let pgid = non_negative(&arg.text()?, name)?;
            inv.set(move |c| c.process_group(pgid));
        }
        ProcessFlag::Ctty => {
            let fd = non_negative(&arg.text()?, name)?;
            inv.ctty = true;
            inv.set(move |c| c.setsid(true).controlling_tty(fd));
        }
        ProcessFlag::NoCtty => {
            inv.no_ctty = true;
            inv.set(|c| c.no_controlling_tty(true));
        }
        ProcessFlag::Pdeathsig => {
            let sig: Signal = item(&arg.text()?, name)?;
            inv.pdeathsig = true;
            inv.set(move |c| c.pdeathsig(sig));
        }
        ProcessFlag::SignalMask => {
            let signals: Vec<Signal> = list(&arg.text()?, name)?;
            let mask: SigSet = signals.into_iter().collect();
            inv.set(move |c| c.signal_mask(mask));
        }
        ProcessFlag::ResetSignals => inv.set(|c| c.reset_ignored_signals(true)),
        ProcessFlag::Personality => {
            let persona = hex_or_decimal(&arg.text()?, name)?;
            inv.set(move |c| c.personality(persona));
        }
        ProcessFlag::Arg0 => {
            let arg0 = arg.value()?;
            inv.set(move |c| c.arg0(arg0));
        }
    }
    Ok(())
}

fn credentials(
    flag: CredentialFlag,
    arg: &mut FlagArg,
    inv: &mut Invocation,
) -> Result<(), Failure> {
    let name = arg.name();
    match flag {
        CredentialFlag::Uid => {
            let why = "which setresuid takes as \"unchanged\"";
            let uid = id(&arg.text()?, name, "uid", why)?;
            inv.set(move |c| c.uid(uid));
        }
        CredentialFlag::Gid => {
            let why = "which setresgid takes as \"unchanged\"";
            let gid = id(&arg.text()?, name, "gid", why)?;
            inv.set(move |c| c.gid(gid));
        }
        CredentialFlag::Groups => inv.groups = Some(group_list(&arg.text()?, name)?),
        CredentialFlag::KeepGroups => inv.keep_groups = true,
        CredentialFlag::AmbientCaps => {
            let caps = ambient_caps(&arg.text()?, name)?;
            inv.ambient_caps.extend(caps);
        }
        CredentialFlag::Caps => {
            let sets = cap_sets(&arg.text()?, name)?;
            set_capabilities(inv, sets, arg.flag())?;
        }
        CredentialFlag::InhCaps => {
            let sets = inheritable_caps(&arg.text()?, name)?;
            set_capabilities(inv, sets, arg.flag())?;
        }
        CredentialFlag::BoundingSet => {
            let keep = bounding_set(&arg.text()?, name)?;
            inv.set(move |c| c.bounding_set(keep.iter()));
        }
        CredentialFlag::Securebits => {
            let bits: SecureBits = flag_names(&arg.text()?, name, "secbit_")?;
            inv.set(move |c| c.securebits(bits));
        }
        CredentialFlag::NoNewPrivs => inv.set(|c| c.no_new_privs(true)),
        CredentialFlag::NewSessionKeyring => inv.set(|c| c.new_session_keyring(true)),
    }
    Ok(())
}

fn limits(flag: LimitFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    let name = arg.name();
    match flag {
        LimitFlag::Rlimit => {
            let (resource, soft, hard) = rlimit(&arg.text()?, name)?;
            inv.set(move |c| c.rlimit(resource, soft, hard));
        }
        LimitFlag::OomScoreAdj => {
            let adj = oom_score_adj(&arg.text()?, name)?;
            inv.set(move |c| c.oom_score_adj(adj));
        }
        LimitFlag::Seccomp => {
            let filter = seccomp_filter(&arg.value()?, name)?;
            inv.seccomp = true;
            inv.set(move |c| c.seccomp_filter(filter));
        }
        LimitFlag::SeccompFlags => inv.seccomp_flags = Some(flag_names(&arg.text()?, name, "")?),
    }
    Ok(())
}

fn sandbox(flag: SandboxFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    let name = arg.name();
    match flag {
        SandboxFlag::LandlockRo => {
            let path = arg.value()?;
            inv.landlock = Some(inv.landlock.take().unwrap_or_default().read_only([path]));
        }
        SandboxFlag::LandlockRw => {
            let path = arg.value()?;
            inv.landlock = Some(inv.landlock.take().unwrap_or_default().read_write([path]));
        }
        SandboxFlag::LandlockConnect => {
            let port: u16 = item(&arg.text()?, name)?;
            let landlock = inv.landlock.take().unwrap_or_default();
            inv.landlock = Some(landlock.restrict_network(true).connect_tcp([port]));
        }
        SandboxFlag::LandlockBind => {
            let port: u16 = item(&arg.text()?, name)?;
            let landlock = inv.landlock.take().unwrap_or_default();
            inv.landlock = Some(landlock.restrict_network(true).bind_tcp([port]));
        }
        SandboxFlag::LandlockNoNet => {
            let landlock = inv.landlock.take().unwrap_or_default();
            inv.landlock = Some(landlock.restrict_network(true));
        }
        SandboxFlag::SeccompDeny => {
            let (names, errno) = syscall_list(&arg.text()?, name, true)?;
            inv.seccomp_deny.push((names, errno));
        }
        SandboxFlag::SeccompAllow => {
            let (names, _) = syscall_list(&arg.text()?, name, false)?;
            inv.seccomp_allow.extend(names);
        }
    }
    Ok(())
}

fn namespaces(flag: NamespaceFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    let name = arg.name();
    match flag {
        NamespaceFlag::Unshare => {
            let kinds = namespace_list(&arg.text()?, name)?;
            *inv.unshare.get_or_insert(Namespaces::empty()) |= kinds;
        }
        NamespaceFlag::MapRootUser => inv.map_root_user = true,
        NamespaceFlag::MapUser => inv.uid_map.push(id_map(&arg.text()?, name, "uid")?),
        NamespaceFlag::MapGroup => inv.gid_map.push(id_map(&arg.text()?, name, "gid")?),
        NamespaceFlag::Setgroups => {
            let allow = choice(&arg.text()?, name, &[("allow", true), ("deny", false)])?;
            inv.map_option = Some(arg.flag());
            inv.set(move |c| c.allow_setgroups(allow));
        }
        NamespaceFlag::MapHelpers => {
            inv.map_option = Some(arg.flag());
            inv.map_helpers = true;
            inv.set(|c| c.id_map_helpers(true));
        }
        NamespaceFlag::Join => {
            let (kind, fd) = namespace_path(&arg.value()?, name)?;
            *inv.joined.get_or_insert(Namespaces::empty()) |= kind;
            inv.set(move |c| c.join_namespace(fd, kind));
        }
        NamespaceFlag::Cgroup => {
            let fd = open_for(&arg.value()?, true, name)?;
            inv.set(move |c| c.cgroup(fd));
        }
        NamespaceFlag::Hostname => {
            let hostname = arg.value()?;
            inv.set(move |c| c.hostname(hostname));
        }
        NamespaceFlag::Domainname => {
            let domainname = arg.value()?;
            inv.set(move |c| c.domainname(domainname));
        }
        NamespaceFlag::LoopbackUp => inv.set(|c| c.loopback_up(true)),
        NamespaceFlag::Init => {
            inv.init = true;
            inv.set(|c| c.pid1_init(true));
        }
    }
    Ok(())
}

fn mounts(flag: MountFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    let name = arg.name();
    match flag {
        MountFlag::Propagation => {
            let choices = [
                ("private", Propagation::Private),
                ("slave", Propagation::Slave),
                ("shared", Propagation::Shared),
                ("unchanged", Propagation::Unchanged),
            ];
            let propagation = choice(&arg.text()?, name, &choices)?;
            inv.set(move |c| c.mount_propagation(propagation));
        }
        MountFlag::EmptyRoot => {
            inv.implies_mount = true;
            inv.set(|c| c.empty_root(true));
        }
        MountFlag::MountProc => {
            let dir = arg
                .optional_value()
                .unwrap_or_else(|| OsString::from("/proc"));
            inv.implies_mount = true;
            inv.set(move |c| c.mount(Mount::proc(dir)));
        }
        MountFlag::Bind => {
            let mount = bind_mount(&arg.value()?, name)?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(mount));
        }
        MountFlag::Tmpfs => {
            let mount = tmpfs_mount(&arg.value()?);
            inv.implies_mount = true;
            inv.set(move |c| c.mount(mount));
        }
        MountFlag::Dev => {
            let dir = arg.value()?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(Mount::dev(dir)));
        }
        MountFlag::Dir => {
            let (path, mode) = path_and_mode(&arg.value()?, name, 0o755)?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(Mount::dir(path, mode)));
        }
        MountFlag::Symlink => {
            let mount = symlink_mount(&arg.value()?, name)?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(mount));
        }
        MountFlag::File => {
            let mount = file_mount(&arg.value()?, name)?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(mount));
        }
        MountFlag::RemountRo => {
            let dir = arg.value()?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(Mount::remount_read_only(dir)));
        }
        MountFlag::Devpts => {
            let dir = arg.value()?;
            inv.implies_mount = true;
            inv.set(move |c| c.mount(Mount::devpts(dir)));
        }
        MountFlag::Chroot => {
            let dir = arg.value()?;
            inv.set(move |c| c.chroot(dir));
        }
        MountFlag::PivotRoot => {
            let dir = arg.value()?;
            inv.implies_mount = true;
            inv.set(move |c| c.pivot_root(dir));
        }
        MountFlag::LockMounts => {
            inv.implies_mount = true;
            inv.set(|c| c.lock_mounts(true));
        }
    }
    Ok(())
}

fn files(flag: FileFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    match flag {
        FileFlag::Cd => {
            let dir = arg.value()?;
            inv.set(move |c| c.current_dir(dir));
        }
        FileFlag::Fd => {
            let (child, fd) = fd_mapping(&arg.text()?, arg.name())?;
            inv.set(move |c| c.fd(child, fd));
        }
        FileFlag::CloseFds => inv.set(|c| c.close_other_fds(true)),
    }
    Ok(())
}

fn environment(flag: EnvFlag, arg: &mut FlagArg, inv: &mut Invocation) -> Result<(), Failure> {
    match flag {
        EnvFlag::Env => {
            let (key, value) = key_value(arg.value()?, arg.name(), "K=V")?;
            inv.set(move |c| c.env(key, value));
        }
        EnvFlag::EnvClear => inv.env_clear = true,
        EnvFlag::EnvRemove => {
            let key = arg.value()?;
            inv.set(move |c| c.env_remove(key));
        }
    }
    Ok(())
}
