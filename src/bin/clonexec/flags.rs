//! The flag table, and the `--help` text generated from it.

/// The areas the help text groups flags by, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Process,
    Credentials,
    Limits,
    Namespaces,
    Mounts,
    Files,
    Environment,
    Output,
}

impl Group {
    const ALL: [Group; 8] = [
        Group::Process,
        Group::Credentials,
        Group::Limits,
        Group::Namespaces,
        Group::Mounts,
        Group::Files,
        Group::Environment,
        Group::Output,
    ];

    fn title(self) -> &'static str {
        match self {
            Group::Process => "Process",
            Group::Credentials => "Credentials",
            Group::Limits => "Limits",
            Group::Namespaces => "Namespaces",
            Group::Mounts => "Mounts and root",
            Group::Files => "Files",
            Group::Environment => "Environment",
            Group::Output => "Output",
        }
    }
}

/// One command-line flag, as the help text shows it.
#[derive(Debug)]
pub struct Flag {
    /// The long name, without `--`.
    pub long: &'static str,
    /// The short name, if any.
    pub short: Option<char>,
    /// The value's placeholder, for flags that take one; `[=X]` for an
    /// optional value (given as `--flag=X`).
    pub value: Option<&'static str>,
    pub group: Group,
    pub help: &'static str,
}

const fn flag(
    group: Group,
    long: &'static str,
    value: Option<&'static str>,
    help: &'static str,
) -> Flag {
    Flag {
        long,
        short: None,
        value,
        group,
        help,
    }
}

/// Every flag. The help text is generated from this table; [`crate::parse`]
/// has one `match` arm per row. A `\n` in a help text starts an indented
/// line.
pub const FLAGS: &[Flag] = &[
    // Process
    flag(
        Group::Process,
        "setsid",
        None,
        "start in a new session (setsid)",
    ),
    flag(
        Group::Process,
        "setsid-if-tty",
        None,
        "start a new session only when stdin, stdout or\nstderr is a terminal (no TIOCSTI into it)",
    ),
    flag(
        Group::Process,
        "pgid",
        Some("N"),
        "join process group N (setpgid); 0 = a new group",
    ),
    flag(
        Group::Process,
        "ctty",
        Some("FD"),
        "make the terminal at PROGRAM's fd FD its\ncontrolling tty (TIOCSCTTY); implies --setsid",
    ),
    flag(
        Group::Process,
        "no-ctty",
        None,
        "detach PROGRAM from its controlling terminal\n(TIOCNOTTY)",
    ),
    flag(
        Group::Process,
        "pdeathsig",
        Some("SIG"),
        "send SIG to PROGRAM when clonexec dies\n(TERM, SIGTERM or 15)",
    ),
    flag(
        Group::Process,
        "signal-mask",
        Some("SIG,..."),
        "block exactly these signals in PROGRAM ('' =\nnone; default: clonexec's mask)",
    ),
    flag(
        Group::Process,
        "reset-signals",
        None,
        "reset ignored signals to the default action too\n(handled ones always are)",
    ),
    flag(
        Group::Process,
        "personality",
        Some("N"),
        "set the execution domain (personality(2)), hex\nor decimal: 0x0040000 = no ASLR",
    ),
    flag(
        Group::Process,
        "arg0",
        Some("NAME"),
        "pass NAME as argv[0] instead of PROGRAM",
    ),
    // Credentials
    flag(
        Group::Credentials,
        "uid",
        Some("N"),
        "run as user id N (setresuid)",
    ),
    flag(
        Group::Credentials,
        "gid",
        Some("N"),
        "run as group id N (setresgid)",
    ),
    flag(
        Group::Credentials,
        "groups",
        Some("N,..."),
        "set the supplementary groups ('' = none);\nwithout it --uid/--gid clear them",
    ),
    flag(
        Group::Credentials,
        "keep-groups",
        None,
        "keep supplementary groups across --uid/--gid",
    ),
    flag(
        Group::Credentials,
        "ambient-caps",
        Some("CAP,..."),
        "raise ambient capabilities (net_raw,\ncap_sys_time, +sys_nice, 13); repeatable",
    ),
    flag(
        Group::Credentials,
        "caps",
        Some("P:I:E"),
        "set the permitted:inheritable:effective sets,\neach CAP,..., 'all' or '' (capset)",
    ),
    flag(
        Group::Credentials,
        "inh-caps",
        Some("CAP,..."),
        "set the inheritable set: exactly these, or\n+CAP/-CAP/+all/-all changes of the current one",
    ),
    flag(
        Group::Credentials,
        "bounding-set",
        Some("CAP,..."),
        "keep only these in the bounding set (or\n+CAP/-CAP changes, as --inh-caps)",
    ),
    flag(
        Group::Credentials,
        "securebits",
        Some("BIT,..."),
        "set the securebits: noroot, no_setuid_fixup,\nkeep_caps, no_cap_ambient_raise, each also\nas BIT_locked; '' = none",
    ),
    flag(
        Group::Credentials,
        "no-new-privs",
        None,
        "set no_new_privs: exec never grants privileges",
    ),
    flag(
        Group::Credentials,
        "new-session-keyring",
        None,
        "give PROGRAM a new, empty session keyring",
    ),
    // Limits
    flag(
        Group::Limits,
        "rlimit",
        Some("NAME=SOFT[:HARD]"),
        "set a resource limit (nofile, core, as, ...);\n'unlimited' = none; SOFT alone sets both;\nrepeatable",
    ),
    flag(
        Group::Limits,
        "oom-score-adj",
        Some("N"),
        "set the OOM score adjustment (-1000 to 1000)",
    ),
    flag(
        Group::Limits,
        "seccomp",
        Some("FILE"),
        "install the seccomp filter in FILE (raw\nclassic BPF, 8 bytes per instruction) last\nbefore exec",
    ),
    flag(
        Group::Limits,
        "seccomp-flags",
        Some("FLAG,..."),
        "install --seccomp with these flags: log, tsync,\nspec_allow",
    ),
    // Namespaces
    flag(
        Group::Namespaces,
        "unshare",
        Some("NS,..."),
        "create new namespaces: user, mount (mnt), pid,\nnet, ipc, uts, cgroup, time; repeatable",
    ),
    flag(
        Group::Namespaces,
        "map-root-user",
        None,
        "map clonexec's euid and egid to 0 in the new\nuser namespace; implies --unshare user",
    ),
    flag(
        Group::Namespaces,
        "map-user",
        Some("IN:OUT:COUNT"),
        "map uids IN.. to OUT.. outside; implies\n--unshare user; repeatable",
    ),
    flag(
        Group::Namespaces,
        "map-group",
        Some("IN:OUT:COUNT"),
        "map gids IN.. to OUT.. outside; implies\n--unshare user; repeatable",
    ),
    flag(
        Group::Namespaces,
        "setgroups",
        Some("allow|deny"),
        "allow or deny setgroups in the new user\nnamespace (default: deny if a gid map needs it)",
    ),
    flag(
        Group::Namespaces,
        "map-helpers",
        None,
        "write the id maps with newuidmap/newgidmap\n(ranges of /etc/subuid and /etc/subgid)",
    ),
    flag(
        Group::Namespaces,
        "join",
        Some("NS:PATH"),
        "join the namespace at PATH (/proc/PID/ns/net);\nnot user or time; repeatable",
    ),
    flag(
        Group::Namespaces,
        "cgroup",
        Some("DIR"),
        "start in the cgroup v2 directory DIR\n(CLONE_INTO_CGROUP)",
    ),
    flag(
        Group::Namespaces,
        "hostname",
        Some("NAME"),
        "set the hostname (needs a new or joined uts\nnamespace)",
    ),
    flag(
        Group::Namespaces,
        "domainname",
        Some("NAME"),
        "set the NIS domain name (needs a new or joined\nuts namespace)",
    ),
    flag(
        Group::Namespaces,
        "loopback-up",
        None,
        "bring up lo (needs a new or joined net\nnamespace)",
    ),
    flag(
        Group::Namespaces,
        "init",
        None,
        "run a reaping, signal-forwarding init as pid 1;\nimplies --unshare pid",
    ),
    // Mounts
    flag(
        Group::Mounts,
        "propagation",
        Some("MODE"),
        "propagation of / in the new mount namespace:\nprivate (default), slave, shared, unchanged",
    ),
    flag(
        Group::Mounts,
        "mount-proc",
        Some("[=DIR]"),
        "mount proc at DIR (default /proc); implies\n--unshare mount",
    ),
    flag(
        Group::Mounts,
        "bind",
        Some("SRC:DST[:ro]"),
        "bind-mount SRC at DST, read-only with :ro;\nimplies --unshare mount; repeatable",
    ),
    flag(
        Group::Mounts,
        "tmpfs",
        Some("DIR"),
        "mount an empty tmpfs at DIR; implies --unshare\nmount; repeatable",
    ),
    flag(
        Group::Mounts,
        "devpts",
        Some("DIR"),
        "mount a new devpts instance at DIR; implies\n--unshare mount; repeatable",
    ),
    flag(
        Group::Mounts,
        "chroot",
        Some("DIR"),
        "change the root to DIR (after the mounts, whose\npaths are outside it)",
    ),
    flag(
        Group::Mounts,
        "pivot-root",
        Some("DIR"),
        "make DIR the root (pivot_root) and detach the\nold one; implies --unshare mount",
    ),
    flag(
        Group::Mounts,
        "lock-mounts",
        None,
        "lock the mounts so none can be undone alone;\nimplies --unshare mount",
    ),
    // Files
    flag(
        Group::Files,
        "cd",
        Some("DIR"),
        "run in DIR (entered after the uid change)",
    ),
    flag(
        Group::Files,
        "fd",
        Some("CHILD=PARENT"),
        "give clonexec's fd PARENT to PROGRAM as fd\nCHILD; repeatable",
    ),
    flag(
        Group::Files,
        "close-fds",
        None,
        "close every fd but 0-2 and those of --fd",
    ),
    // Environment
    flag(
        Group::Environment,
        "env",
        Some("K=V"),
        "set variable K to V; repeatable",
    ),
    flag(
        Group::Environment,
        "env-clear",
        None,
        "start from an empty environment (applied\nbefore every --env, wherever it appears)",
    ),
    flag(
        Group::Environment,
        "env-remove",
        Some("K"),
        "remove variable K; repeatable",
    ),
    // Output
    flag(
        Group::Output,
        "print-pid",
        None,
        "print 'clonexec: pid N' to stderr once started",
    ),
    Flag {
        short: Some('h'),
        ..flag(Group::Output, "help", None, "print this help and exit")
    },
    Flag {
        short: Some('V'),
        ..flag(Group::Output, "version", None, "print the version and exit")
    },
];

/// The help text: usage, every flag of [`FLAGS`] by group, exit statuses.
pub fn help_text() -> String {
    let mut text = String::from(
        "Usage: clonexec [OPTIONS] [--] PROGRAM [ARGS...]\n\
         \n\
         Run PROGRAM with the given process attributes, wait for it and exit\n\
         with its status. Options stop at PROGRAM: the arguments after it are\n\
         passed to it unchanged. SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,\n\
         SIGUSR2 and SIGWINCH sent to clonexec are passed on to PROGRAM.\n",
    );
    let names: Vec<String> = FLAGS
        .iter()
        .map(|flag| {
            let mut name = match flag.short {
                Some(c) => format!("-{c}, --{}", flag.long),
                None => format!("    --{}", flag.long),
            };
            if let Some(value) = flag.value {
                if !value.starts_with('[') {
                    name.push(' ');
                }
                name.push_str(value);
            }
            name
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    for group in Group::ALL {
        text.push_str(&format!("\n{}:\n", group.title()));
        for (flag, name) in FLAGS.iter().zip(&names) {
            if flag.group != group {
                continue;
            }
            let mut lines = flag.help.lines();
            let first = lines.next().unwrap_or_default();
            text.push_str(&format!("  {name:<width$}  {first}\n"));
            for line in lines {
                text.push_str(&format!("  {:<width$}  {line}\n", ""));
            }
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
