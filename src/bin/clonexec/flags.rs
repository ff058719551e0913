//! The flag table, and the `--help` text generated from it.
//!
//! A flag's names are written only in its [`FLAGS`] row. The parser looks
//! an argument up in the table and dispatches on the row's [`Flag`], and a
//! message naming a flag displays its [`Flag`]. Renaming a flag changes
//! its row, and only prose besides: help lines and docs that mention it,
//! which a unit test checks.

use std::fmt;

/// Which flag a [`FLAGS`] row is: what the parser dispatches on instead of
/// the name. One enum per help group, so that each group's parser is one
/// exhaustive `match` of readable length, and the group is known from the
/// flag alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Process(ProcessFlag),
    Credentials(CredentialFlag),
    Limits(LimitFlag),
    Sandbox(SandboxFlag),
    Namespaces(NamespaceFlag),
    Mounts(MountFlag),
    Files(FileFlag),
    Environment(EnvFlag),
    Output(OutputFlag),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessFlag {
    Setsid,
    SetsidIfTty,
    Pgid,
    Ctty,
    NoCtty,
    Pdeathsig,
    SignalMask,
    ResetSignals,
    Personality,
    Arg0,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFlag {
    Uid,
    Gid,
    Groups,
    KeepGroups,
    AmbientCaps,
    Caps,
    InhCaps,
    BoundingSet,
    Securebits,
    NoNewPrivs,
    NewSessionKeyring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitFlag {
    Rlimit,
    OomScoreAdj,
    Seccomp,
    SeccompFlags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxFlag {
    LandlockRo,
    LandlockRw,
    LandlockConnect,
    LandlockBind,
    LandlockNoNet,
    SeccompDeny,
    SeccompAllow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceFlag {
    Unshare,
    MapRootUser,
    MapUser,
    MapGroup,
    Setgroups,
    MapHelpers,
    Join,
    Cgroup,
    Hostname,
    Domainname,
    LoopbackUp,
    Init,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountFlag {
    Propagation,
    EmptyRoot,
    MountProc,
    Bind,
    Tmpfs,
    Devpts,
    Dev,
    Dir,
    Symlink,
    File,
    RemountRo,
    Chroot,
    PivotRoot,
    LockMounts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFlag {
    Cd,
    Fd,
    CloseFds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvFlag {
    Env,
    EnvClear,
    EnvRemove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFlag {
    PrintPid,
    Help,
    Version,
}

impl Flag {
    /// The heading of the flag's group in the help text.
    pub fn group(self) -> &'static str {
        match self {
            Flag::Process(_) => "Process",
            Flag::Credentials(_) => "Credentials",
            Flag::Limits(_) => "Limits",
            Flag::Sandbox(_) => "Landlock and seccomp policies",
            Flag::Namespaces(_) => "Namespaces",
            Flag::Mounts(_) => "Mounts and root",
            Flag::Files(_) => "Files",
            Flag::Environment(_) => "Environment",
            Flag::Output(_) => "Output",
        }
    }

    /// The flag's row.
    pub fn spec(self) -> &'static Spec {
        // The parser only has flags from rows; a message naming a flag
        // that has no row is a bug that the message's unit test finds.
        FLAGS
            .iter()
            .find(|spec| spec.flag == self)
            .expect("every flag has a row in FLAGS")
    }
}

/// `--name`, as messages name a flag.
impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--{}", self.spec().long)
    }
}

/// One row of the flag table: a flag's names, its value and its help.
#[derive(Debug)]
pub struct Spec {
    pub flag: Flag,
    /// The long name, without `--`.
    pub long: &'static str,
    /// The short name, if any.
    pub short: Option<char>,
    /// The value's placeholder, for flags that take one; `[=X]` for an
    /// optional value (given as `--flag=X`).
    pub value: Option<&'static str>,
    pub help: &'static str,
}

impl Spec {
    /// The row of `--long`.
    pub fn by_long(long: &str) -> Option<&'static Spec> {
        FLAGS.iter().find(|spec| spec.long == long)
    }

    /// The row of `-short`.
    pub fn by_short(short: char) -> Option<&'static Spec> {
        FLAGS.iter().find(|spec| spec.short == Some(short))
    }
}

const fn flag(
    flag: Flag,
    long: &'static str,
    value: Option<&'static str>,
    help: &'static str,
) -> Spec {
    Spec {
        flag,
        long,
        short: None,
        value,
        help,
    }
}

/// Every flag, in the order of the help text, which is generated from this
/// table alone; a group's rows stay together. A `\n` in a help text starts
/// an indented line.
pub static FLAGS: &[Spec] = &[
    flag(
        Flag::Process(ProcessFlag::Setsid),
        "setsid",
        None,
        "start in a new session (setsid)",
    ),
    flag(
        Flag::Process(ProcessFlag::SetsidIfTty),
        "setsid-if-tty",
        None,
        "start a new session only when stdin, stdout or\nstderr is a terminal (no TIOCSTI into it)",
    ),
    flag(
        Flag::Process(ProcessFlag::Pgid),
        "pgid",
        Some("N"),
        "join process group N (setpgid); 0 = a new group",
    ),
    flag(
        Flag::Process(ProcessFlag::Ctty),
        "ctty",
        Some("FD"),
        "make the terminal at PROGRAM's fd FD its\ncontrolling tty (TIOCSCTTY); implies --setsid",
    ),
    flag(
        Flag::Process(ProcessFlag::NoCtty),
        "no-ctty",
        None,
        "detach PROGRAM from its controlling terminal\n(TIOCNOTTY)",
    ),
    flag(
        Flag::Process(ProcessFlag::Pdeathsig),
        "pdeathsig",
        Some("SIG"),
        "send SIG to PROGRAM when clonexec dies\n(TERM, SIGTERM or 15)",
    ),
    flag(
        Flag::Process(ProcessFlag::SignalMask),
        "signal-mask",
        Some("SIG,..."),
        "block exactly these signals in PROGRAM ('' =\nnone; default: clonexec's mask)",
    ),
    flag(
        Flag::Process(ProcessFlag::ResetSignals),
        "reset-signals",
        None,
        "reset ignored signals to the default action too\n(handled ones always are)",
    ),
    flag(
        Flag::Process(ProcessFlag::Personality),
        "personality",
        Some("N"),
        "set the execution domain (personality(2)), hex\nor decimal: 0x0040000 = no ASLR",
    ),
    flag(
        Flag::Process(ProcessFlag::Arg0),
        "arg0",
        Some("NAME"),
        "pass NAME as argv[0] instead of PROGRAM",
    ),
    flag(
        Flag::Credentials(CredentialFlag::Uid),
        "uid",
        Some("N"),
        "run as user id N (setresuid)",
    ),
    flag(
        Flag::Credentials(CredentialFlag::Gid),
        "gid",
        Some("N"),
        "run as group id N (setresgid)",
    ),
    flag(
        Flag::Credentials(CredentialFlag::Groups),
        "groups",
        Some("N,..."),
        "set the supplementary groups ('' = none);\nwithout it --uid/--gid clear them",
    ),
    flag(
        Flag::Credentials(CredentialFlag::KeepGroups),
        "keep-groups",
        None,
        "keep supplementary groups across --uid/--gid",
    ),
    flag(
        Flag::Credentials(CredentialFlag::AmbientCaps),
        "ambient-caps",
        Some("CAP,..."),
        "raise ambient capabilities (net_raw,\ncap_sys_time, +sys_nice, 13); repeatable",
    ),
    flag(
        Flag::Credentials(CredentialFlag::Caps),
        "caps",
        Some("P:I:E"),
        "set the permitted:inheritable:effective sets,\neach CAP,..., 'all' or '' (capset)",
    ),
    flag(
        Flag::Credentials(CredentialFlag::InhCaps),
        "inh-caps",
        Some("CAP,..."),
        "set the inheritable set: exactly these, or\n+CAP/-CAP/+all/-all changes of the current one",
    ),
    flag(
        Flag::Credentials(CredentialFlag::BoundingSet),
        "bounding-set",
        Some("CAP,..."),
        "keep only these in the bounding set (or\n+CAP/-CAP changes, as --inh-caps)",
    ),
    flag(
        Flag::Credentials(CredentialFlag::Securebits),
        "securebits",
        Some("BIT,..."),
        "set the securebits: noroot, no_setuid_fixup,\nkeep_caps, no_cap_ambient_raise, each also\nas BIT_locked; '' = none",
    ),
    flag(
        Flag::Credentials(CredentialFlag::NoNewPrivs),
        "no-new-privs",
        None,
        "set no_new_privs: exec never grants privileges",
    ),
    flag(
        Flag::Credentials(CredentialFlag::NewSessionKeyring),
        "new-session-keyring",
        None,
        "give PROGRAM a new, empty session keyring",
    ),
    flag(
        Flag::Limits(LimitFlag::Rlimit),
        "rlimit",
        Some("NAME=SOFT[:HARD]"),
        "set a resource limit (nofile, core, as, ...);\n'unlimited' = none; SOFT alone sets both;\nrepeatable",
    ),
    flag(
        Flag::Limits(LimitFlag::OomScoreAdj),
        "oom-score-adj",
        Some("N"),
        "set the OOM score adjustment (-1000 to 1000)",
    ),
    flag(
        Flag::Limits(LimitFlag::Seccomp),
        "seccomp",
        Some("FILE"),
        "install the seccomp filter in FILE (raw\nclassic BPF, 8 bytes per instruction) last\nbefore exec",
    ),
    flag(
        Flag::Limits(LimitFlag::SeccompFlags),
        "seccomp-flags",
        Some("FLAG,..."),
        "install --seccomp with these flags: log, tsync,\nspec_allow",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::LandlockRo),
        "landlock-ro",
        Some("PATH"),
        "confine PROGRAM (Landlock) to the paths\ngiven: read and execute beneath PATH;\nrepeatable",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::LandlockRw),
        "landlock-rw",
        Some("PATH"),
        "confine PROGRAM (Landlock) to the paths\ngiven: do anything beneath PATH; repeatable",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::LandlockConnect),
        "landlock-connect",
        Some("PORT"),
        "allow TCP connect to PORT; implies\n--landlock-no-net; repeatable",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::LandlockBind),
        "landlock-bind",
        Some("PORT"),
        "allow TCP bind to PORT; implies\n--landlock-no-net; repeatable",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::LandlockNoNet),
        "landlock-no-net",
        None,
        "refuse TCP bind and connect (EACCES) but to\nthe ports of --landlock-bind and\n--landlock-connect",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::SeccompDeny),
        "seccomp-deny",
        Some("LIST[:ERR]"),
        "fail the system calls of LIST (mkdir,mkdirat)\nwith errno ERR (EACCES or 13; default EPERM);\nrepeatable",
    ),
    flag(
        Flag::Sandbox(SandboxFlag::SeccompAllow),
        "seccomp-allow",
        Some("LIST"),
        "allow only these system calls (and fail those\nof --seccomp-deny as asked): the rest fails\nwith EPERM; repeatable",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Unshare),
        "unshare",
        Some("NS,..."),
        "create new namespaces: user, mount (mnt), pid,\nnet, ipc, uts, cgroup, time; repeatable",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::MapRootUser),
        "map-root-user",
        None,
        "map clonexec's euid and egid to 0 in the new\nuser namespace, with setgroups denied (as\nunshare -r); implies --unshare user",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::MapUser),
        "map-user",
        Some("IN:OUT:COUNT"),
        "map uids IN.. to OUT.. outside; implies\n--unshare user; repeatable",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::MapGroup),
        "map-group",
        Some("IN:OUT:COUNT"),
        "map gids IN.. to OUT.. outside; implies\n--unshare user; repeatable",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Setgroups),
        "setgroups",
        Some("allow|deny"),
        "allow or deny setgroups in the new user\nnamespace (default: deny with --map-root-user\nor if a gid map needs it)",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::MapHelpers),
        "map-helpers",
        None,
        "write the id maps with newuidmap/newgidmap\n(ranges of /etc/subuid and /etc/subgid)",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Join),
        "join",
        Some("NS:PATH"),
        "join the namespace at PATH (/proc/PID/ns/net);\nnot user or time; repeatable",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Cgroup),
        "cgroup",
        Some("DIR"),
        "start in the cgroup v2 directory DIR\n(CLONE_INTO_CGROUP)",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Hostname),
        "hostname",
        Some("NAME"),
        "set the hostname (needs a new or joined uts\nnamespace)",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Domainname),
        "domainname",
        Some("NAME"),
        "set the NIS domain name (needs a new or joined\nuts namespace)",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::LoopbackUp),
        "loopback-up",
        None,
        "bring up lo (needs a new or joined net\nnamespace)",
    ),
    flag(
        Flag::Namespaces(NamespaceFlag::Init),
        "init",
        None,
        "run a reaping, signal-forwarding init as pid 1;\nimplies --unshare pid",
    ),
    flag(
        Flag::Mounts(MountFlag::Propagation),
        "propagation",
        Some("MODE"),
        "propagation of / in the new mount namespace:\nprivate (default), slave, shared, unchanged",
    ),
    flag(
        Flag::Mounts(MountFlag::EmptyRoot),
        "empty-root",
        None,
        "build the root from an empty tmpfs: the paths\nmounts and files get are in it, bind sources\noutside; implies --unshare mount",
    ),
    flag(
        Flag::Mounts(MountFlag::MountProc),
        "mount-proc",
        Some("[=DIR]"),
        "mount proc at DIR (default /proc); implies\n--unshare mount",
    ),
    flag(
        Flag::Mounts(MountFlag::Bind),
        "bind",
        Some("SRC:DST[:OPT,...]"),
        "bind-mount SRC (and all below it) at DST, made\nif missing; OPT: ro, nosuid, nodev, noexec (all\nthe way down), try (skip a missing SRC);\nimplies --unshare mount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::Tmpfs),
        "tmpfs",
        Some("DIR[:OPTIONS]"),
        "mount an empty tmpfs at DIR, with mount OPTIONS\n(size=64m,mode=755); implies --unshare mount;\nrepeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::Devpts),
        "devpts",
        Some("DIR"),
        "mount a new devpts instance at DIR; implies\n--unshare mount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::Dev),
        "dev",
        Some("DIR"),
        "mount a minimal /dev at DIR (null, zero, full,\nrandom, urandom, tty, pts, shm, fd links);\nimplies --unshare mount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::Dir),
        "dir",
        Some("PATH[:MODE]"),
        "create directory PATH (octal MODE, default\n755); implies --unshare mount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::Symlink),
        "symlink",
        Some("TARGET:PATH"),
        "create symlink PATH pointing to TARGET; implies\n--unshare mount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::File),
        "file",
        Some("PATH:SRC[:MODE]"),
        "create file PATH holding a copy of file SRC\n(octal MODE, default 644); implies --unshare\nmount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::RemountRo),
        "remount-ro",
        Some("DIR"),
        "remount the mount at DIR read-only (that mount\nonly); implies --unshare mount; repeatable",
    ),
    flag(
        Flag::Mounts(MountFlag::Chroot),
        "chroot",
        Some("DIR"),
        "change the root to DIR (after the mounts, whose\npaths are outside it)",
    ),
    flag(
        Flag::Mounts(MountFlag::PivotRoot),
        "pivot-root",
        Some("DIR"),
        "make DIR the root (pivot_root) and detach the\nold one; implies --unshare mount",
    ),
    flag(
        Flag::Mounts(MountFlag::LockMounts),
        "lock-mounts",
        None,
        "lock the mounts so none can be undone alone;\nimplies --unshare mount",
    ),
    flag(
        Flag::Files(FileFlag::Cd),
        "cd",
        Some("DIR"),
        "run in DIR (entered after the uid change)",
    ),
    flag(
        Flag::Files(FileFlag::Fd),
        "fd",
        Some("CHILD=PARENT"),
        "give clonexec's fd PARENT to PROGRAM as fd\nCHILD; repeatable",
    ),
    flag(
        Flag::Files(FileFlag::CloseFds),
        "close-fds",
        None,
        "close every fd but 0-2 and those of --fd",
    ),
    flag(
        Flag::Environment(EnvFlag::Env),
        "env",
        Some("K=V"),
        "set variable K to V; repeatable",
    ),
    flag(
        Flag::Environment(EnvFlag::EnvClear),
        "env-clear",
        None,
        "start from an empty environment (applied\nbefore every --env, wherever it appears)",
    ),
    flag(
        Flag::Environment(EnvFlag::EnvRemove),
        "env-remove",
        Some("K"),
        "remove variable K; repeatable",
    ),
    flag(
        Flag::Output(OutputFlag::PrintPid),
        "print-pid",
        None,
        "print 'clonexec: pid N' to stderr once started",
    ),
    Spec {
        short: Some('h'),
        ..flag(
            Flag::Output(OutputFlag::Help),
            "help",
            None,
            "print this help and exit",
        )
    },
    Spec {
        short: Some('V'),
        ..flag(
            Flag::Output(OutputFlag::Version),
            "version",
            None,
            "print the version and exit",
        )
    },
];

/// The help text: usage, every flag of [`FLAGS`] by group, exit statuses.
pub fn help_text() -> String {
    let mut text = String::from(
        "Usage: clonexec [OPTIONS] [--] PROGRAM [ARGS...]\n\
         \n\
         Run PROGRAM with the given process attributes. Options stop at\n\
         PROGRAM: the arguments after it are passed to it unchanged. clonexec\n\
         becomes PROGRAM (exec) unless it must stay its parent: for a new pid\n\
         or time namespace, --init, --pdeathsig, --map-helpers, --no-ctty, or\n\
         a new session while clonexec leads its process group. Then it waits\n\
         for PROGRAM and exits with its status, and passes SIGTERM, SIGINT,\n\
         SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH on to it.\n",
    );
    let names: Vec<String> = FLAGS
        .iter()
        .map(|spec| {
            let mut name = match spec.short {
                Some(c) => format!("-{c}, --{}", spec.long),
                None => format!("    --{}", spec.long),
            };
            if let Some(value) = spec.value {
                if !value.starts_with('[') {
                    name.push(' ');
                }
                name.push_str(value);
            }
            name
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let mut group = "";
    for (spec, name) in FLAGS.iter().zip(&names) {
        if spec.flag.group() != group {
            group = spec.flag.group();
            text.push_str(&format!("\n{group}:\n"));
        }
        let mut lines = spec.help.lines();
        let first = lines.next().unwrap_or_default();
        text.push_str(&format!("  {name:<width$}  {first}\n"));
        for line in lines {
            text.push_str(&format!("  {:<width$}  {line}\n", ""));
        }
    }
    text.push_str(
        "\nExit status:\n  \
           N      PROGRAM exited with status N\n  \
           128+N  PROGRAM was killed by signal N\n  \
           125    clonexec failed before PROGRAM ran (bad --cd, refused --uid,\n         \
                  --fd that is not open, ...)\n  \
           126    PROGRAM was found but could not be executed\n  \
           127    PROGRAM was not found\n  \
           2      usage error (also what the library refuses before running\n         \
                  anything: --hostname without a uts namespace, ...)\n",
    );
    text
}
