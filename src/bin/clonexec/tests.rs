//! Unit tests of the parser, the value parsers and the help text; the
//! behaviour of the binary is tested in `tests/cli.rs`.

use std::ffi::{OsStr, OsString};

use clonexec::{
    CapMask, CapSet, Capability, Command, IdMap, Landlock, Mount, Namespaces, Resource,
    SeccompAction, SeccompFlags, SecureBits,
};

use crate::caps::{all_caps, cap_list, cap_sets};
use crate::flags::{FLAGS, Flag, OutputFlag, Spec, help_text};
use crate::invocation::{Invocation, check};
use crate::parse::parse;
use crate::values::{
    bind_mount, flag_names, hex_or_decimal, id_map, namespace_list, path_and_mode, rlimit,
    symlink_mount, tmpfs_mount,
};
use crate::{EXIT_FAILURE, EXIT_NOT_FOUND, Failure, Parsed, spawn_exit_code};

fn parse_strs(args: &[&str]) -> Result<Parsed, Failure> {
    parse(args.iter().map(OsString::from))
}

/// A valid value for a flag's placeholder.
fn sample(value: &str) -> &'static str {
    match value {
        "N" => "1",
        "N,..." => "1,2",
        "FD" => "0",
        "SIG" => "TERM",
        "SIG,..." => "INT,usr1",
        "CAP,..." => "net_raw,+cap_sys_time",
        "P:I:E" => "net_raw,chown:net_raw:",
        "BIT,..." => "noroot,secbit_keep_caps_locked",
        "NAME=SOFT[:HARD]" => "nofile=64:unlimited",
        "FILE" => "/dev/null",
        "FLAG,..." => "log,spec_allow",
        "NS,..." => "user,mnt",
        "IN:OUT:COUNT" => "0:1000:1",
        "allow|deny" => "deny",
        "NS:PATH" => "net:/proc/self/ns/net",
        "MODE" => "slave",
        "[=DIR]" => "/proc",
        "SRC:DST[:OPT,...]" => "/usr:/mnt:ro,nodev",
        "DIR[:OPTIONS]" => "/tmp:size=1m",
        "PATH[:MODE]" => "/d:700",
        "TARGET:PATH" => "usr/lib:/lib",
        "PATH:SRC[:MODE]" => "/etc/x:/dev/null:600",
        "NAME" => "name",
        "DIR" => "/",
        "CHILD=PARENT" => "5=2",
        "K=V" => "K=V",
        "K" => "K",
        "PATH" => "/",
        "PORT" => "443",
        "LIST[:ERR]" => "mkdir,mkdirat:EACCES",
        "LIST" => "read,write",
        other => panic!("no sample value for placeholder {other}"),
    }
}

#[test]
fn every_flag_in_the_table_is_parsed() {
    for spec in FLAGS {
        let mut args = vec![format!("--{}", spec.long)];
        match spec.value {
            Some(v) if v.starts_with("[=") => args[0] = format!("--{}={}", spec.long, sample(v)),
            Some(v) => args.push(sample(v).to_owned()),
            None => {}
        }
        args.push(String::from("true"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match parse_strs(&args) {
            Ok(_) => {}
            Err(e) => panic!("--{} is in FLAGS but not parsed: {e:?}", spec.long),
        }
        if let Some(short) = spec.short {
            let short = format!("-{short}");
            assert!(parse_strs(&[&short]).is_ok(), "{short} is not parsed");
        }
    }
}

/// The parser reads a flag's value only through the row it dispatched on,
/// so what it asks for must be what the table shows.
#[test]
fn the_parser_reads_a_value_exactly_when_the_table_shows_one() {
    for spec in FLAGS {
        let flag = format!("--{}", spec.long);
        let missing = parse_strs(&[&flag]);
        let given = parse_strs(&[&format!("{flag}=x"), "true"]);
        let usage = |result: Result<Parsed, Failure>| match result {
            Err(Failure::Usage(msg)) => msg,
            Err(other) => panic!("{flag}: {other:?}"),
            Ok(_) => String::from("accepted"),
        };
        match spec.value {
            Some(v) if !v.starts_with("[=") => assert_eq!(
                usage(missing),
                format!("missing argument for option '{flag}'")
            ),
            Some(_) => assert_eq!(usage(missing), "no program given"),
            None if matches!(
                spec.flag,
                Flag::Output(OutputFlag::Help | OutputFlag::Version)
            ) =>
            {
                assert!(missing.is_ok() && given.is_ok(), "{flag}");
            }
            None => {
                assert_eq!(usage(missing), "no program given");
                let unexpected = format!("unexpected argument for option '{flag}': \"x\"");
                assert_eq!(usage(given), unexpected);
            }
        }
    }
}

#[test]
fn every_flag_has_one_row_found_by_its_names() {
    for (i, spec) in FLAGS.iter().enumerate() {
        for other in &FLAGS[..i] {
            assert_ne!(spec.long, other.long);
            assert_ne!(spec.flag, other.flag, "--{}", spec.long);
            assert!(spec.short.is_none() || spec.short != other.short);
        }
        assert!(std::ptr::eq(spec.flag.spec(), spec), "--{}", spec.long);
        assert!(Spec::by_long(spec.long).is_some_and(|s| std::ptr::eq(s, spec)));
        if let Some(short) = spec.short {
            assert!(Spec::by_short(short).is_some_and(|s| std::ptr::eq(s, spec)));
        }
        assert_eq!(spec.flag.to_string(), format!("--{}", spec.long));
    }
    assert!(Spec::by_long("bogus").is_none() && Spec::by_short('x').is_none());
}

#[test]
fn help_lists_every_flag() {
    let help = help_text();
    for spec in FLAGS {
        assert!(help.contains(&format!("--{}", spec.long)), "{}", spec.long);
    }
    assert!(help.contains("--mount-proc[=DIR]"), "{help}");
}

/// The headings come from the table's order: a group whose rows were split
/// would get two.
#[test]
fn help_has_one_section_per_group() {
    let help = help_text();
    for spec in FLAGS {
        let heading = format!("\n\n{}:\n", spec.flag.group());
        assert_eq!(help.matches(&heading).count(), 1, "{heading:?}");
    }
}

/// Prose names flags too (\"implies --unshare user\"); a renamed or removed
/// flag must not linger there.
#[test]
fn help_and_docs_name_only_flags_in_the_table() {
    let docs: String = include_str!("main.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    for text in [help_text(), docs] {
        for (at, _) in text.match_indices("--") {
            let name: String = text[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if name.starts_with(|c: char| c.is_ascii_lowercase()) {
                assert!(Spec::by_long(&name).is_some(), "--{name} is not a flag");
            }
        }
    }
}

#[test]
fn help_fits_80_columns() {
    for line in help_text().lines() {
        assert!(line.len() <= 80, "{} columns: {line}", line.len());
    }
}

/// The invocation of a command line that must parse.
fn run_of(args: &[&str]) -> Invocation {
    match parse_strs(args) {
        Ok(Parsed::Run(inv)) => *inv,
        Ok(_) => panic!("{args:?}: not a run"),
        Err(e) => panic!("{args:?}: {e:?}"),
    }
}

/// The `--seccomp-deny`/`--seccomp-allow` flags make one policy, the
/// `--landlock-*` flags one ruleset; ports imply `--landlock-no-net`.
#[test]
fn sandbox_flags_build_one_policy_and_one_ruleset() {
    let inv = run_of(&[
        "--seccomp-deny",
        "mkdir,mkdirat:EACCES",
        "--seccomp-deny",
        "ptrace",
        "--seccomp-allow",
        "read,write",
        "--seccomp-flags",
        "log",
        "--landlock-ro",
        "/usr",
        "--landlock-rw",
        "/tmp",
        "--landlock-connect",
        "443",
        "true",
    ]);
    check(&inv).unwrap();
    assert_eq!(
        inv.seccomp_deny,
        [
            (
                vec![String::from("mkdir"), String::from("mkdirat")],
                SeccompAction::Errno(13)
            ),
            (vec![String::from("ptrace")], SeccompAction::Errno(1)),
        ]
    );
    assert_eq!(inv.seccomp_allow, ["read", "write"]);
    let expected = Landlock::new()
        .read_only(["/usr"])
        .read_write(["/tmp"])
        .connect_tcp([443])
        .restrict_network(true);
    assert_eq!(
        format!("{:?}", inv.landlock),
        format!("{:?}", Some(expected))
    );
    let inv = run_of(&["--landlock-bind", "8080", "true"]);
    let expected = Landlock::new().bind_tcp([8080]).restrict_network(true);
    assert_eq!(
        format!("{:?}", inv.landlock),
        format!("{:?}", Some(expected))
    );
    let inv = run_of(&["true"]);
    assert!(inv.landlock.is_none() && inv.seccomp_deny.is_empty());
}

#[test]
fn namespace_flags_imply_what_they_need() {
    let inv = run_of(&["--unshare", "net,ipc", "--unshare", "uts", "true"]);
    assert_eq!(
        inv.namespaces(),
        Namespaces::NET | Namespaces::IPC | Namespaces::UTS
    );
    let inv = run_of(&["--map-root-user", "--mount-proc", "true"]);
    assert_eq!(inv.namespaces(), Namespaces::USER | Namespaces::MOUNT);
    let inv = run_of(&["--map-group", "0:100:1", "--tmpfs", "/tmp", "true"]);
    assert_eq!(inv.namespaces(), Namespaces::USER | Namespaces::MOUNT);
    // A joined mount namespace is where the mounts go.
    let inv = run_of(&["--join", "mnt:/proc/self/ns/mnt", "--bind", "/a:/b", "true"]);
    assert_eq!(inv.namespaces(), Namespaces::empty());
    // --hostname implies nothing: the library refuses it alone.
    let inv = run_of(&["--hostname", "box", "true"]);
    assert_eq!(inv.namespaces(), Namespaces::empty());
}

#[test]
fn value_parsers() {
    assert_eq!(
        rlimit("nofile=64", "rlimit").unwrap(),
        (Resource::NOFILE, 64, 64)
    );
    assert_eq!(
        rlimit("RLIMIT_CORE=0:unlimited", "rlimit").unwrap(),
        (Resource::CORE, 0, u64::MAX)
    );
    assert_eq!(
        rlimit("as=infinity", "rlimit").unwrap(),
        (Resource::AS, u64::MAX, u64::MAX)
    );
    assert_eq!(hex_or_decimal("0x0040000", "personality").unwrap(), 0x40000);
    assert_eq!(hex_or_decimal("8", "personality").unwrap(), 8);
    assert_eq!(
        id_map("0:1000:65536", "map-user", "uid").unwrap(),
        IdMap::new(0, 1000, 65536)
    );
    assert_eq!(
        namespace_list("mnt,NET,time", "unshare").unwrap(),
        Namespaces::MOUNT | Namespaces::NET | Namespaces::TIME
    );
    let bits: SecureBits = flag_names("noroot,+SECBIT_KEEP_CAPS", "securebits", "secbit_").unwrap();
    assert_eq!(bits, SecureBits::NOROOT | SecureBits::KEEP_CAPS);
    let flags: SeccompFlags = flag_names("log,tsync", "seccomp-flags", "").unwrap();
    assert_eq!(flags, SeccompFlags::LOG | SeccompFlags::TSYNC);

    let bind = bind_mount(OsStr::new("/usr:/mnt/usr:ro"), "bind").unwrap();
    assert_eq!(bind, Mount::bind("/usr", "/mnt/usr").read_only());
    let bind = bind_mount(OsStr::new("/a:/b:c"), "bind").unwrap();
    assert_eq!(bind, Mount::bind("/a", "/b:c"));
    let bind = bind_mount(OsStr::new("/a:/b:ro,try,nodev,nosuid,noexec"), "bind").unwrap();
    let all = Mount::bind("/a", "/b").read_only().optional();
    assert_eq!(bind, all.nodev().nosuid().noexec());
    assert_eq!(
        tmpfs_mount(OsStr::new("/t:size=1m,mode=700")),
        Mount::tmpfs("/t").options("size=1m,mode=700")
    );
    assert_eq!(tmpfs_mount(OsStr::new("/a:b")), Mount::tmpfs("/a:b"));
    assert_eq!(
        path_and_mode(OsStr::new("/d:1750"), "dir", 0o755).unwrap(),
        (OsString::from("/d"), 0o1750)
    );
    assert_eq!(
        path_and_mode(OsStr::new("/d:x"), "dir", 0o755).unwrap(),
        (OsString::from("/d:x"), 0o755)
    );
    assert!(path_and_mode(OsStr::new("/d:17777"), "dir", 0o755).is_err());
    assert_eq!(
        symlink_mount(OsStr::new("usr/lib:/lib"), "symlink").unwrap(),
        Mount::symlink("usr/lib", "/lib")
    );
}

#[test]
fn capability_lists() {
    let caps = |names: &[Capability]| CapMask::from_iter(names.iter().copied());
    assert_eq!(
        cap_list("net_raw,cap_chown", "caps", None).unwrap(),
        caps(&[Capability::NET_RAW, Capability::CHOWN])
    );
    assert_eq!(cap_list("", "caps", None).unwrap(), CapMask::EMPTY);
    assert_eq!(cap_list("all", "caps", None).unwrap(), all_caps());
    // A signed first item changes the current set.
    let current = || Ok(caps(&[Capability::KILL, Capability::CHOWN]));
    assert_eq!(
        cap_list("-chown,+net_raw", "inh-caps", Some(&current)).unwrap(),
        caps(&[Capability::KILL, Capability::NET_RAW])
    );
    assert_eq!(
        cap_list("-all,+net_raw", "inh-caps", Some(&current)).unwrap(),
        caps(&[Capability::NET_RAW])
    );
    // A plain list is the whole set.
    assert_eq!(
        cap_list("net_raw", "bounding-set", Some(&current)).unwrap(),
        caps(&[Capability::NET_RAW])
    );

    let sets = cap_sets("net_raw,chown:chown:net_raw", "caps").unwrap();
    assert_eq!(
        sets.permitted,
        caps(&[Capability::NET_RAW, Capability::CHOWN])
    );
    assert_eq!(sets.inheritable, caps(&[Capability::CHOWN]));
    assert_eq!(sets.effective, caps(&[Capability::NET_RAW]));
    assert_eq!(cap_sets("::", "caps").unwrap(), CapSet::default());
}

#[test]
fn options_stop_at_the_program() {
    let Ok(Parsed::Run(inv)) = parse_strs(&["--setsid", "ls", "--uid", "-l", "--"]) else {
        panic!("not a run");
    };
    assert_eq!(inv.program, "ls");
    assert_eq!(inv.args, ["--uid", "-l", "--"]);
    let Ok(Parsed::Run(inv)) = parse_strs(&["--", "--weird", "x"]) else {
        panic!("not a run");
    };
    assert_eq!(inv.program, "--weird");
    assert_eq!(inv.args, ["x"]);
}

#[test]
fn bad_values_are_usage_errors_naming_the_flag() {
    for (args, needle) in [
        (&["--uid", "abc", "true"][..], "'--uid'"),
        (&["--pgid", "-1", "true"], "'--pgid'"),
        (&["--pdeathsig", "NOPE", "true"], "'--pdeathsig'"),
        (&["--ambient-caps", "cap_nope", "true"], "'--ambient-caps'"),
        (&["--groups", "1,x", "true"], "'--groups'"),
        (&["--uid", "4294967295", "true"], "(uid_t)-1"),
        (&["--gid", "4294967295", "true"], "(gid_t)-1"),
        (&["--groups", "1,4294967295", "true"], "(gid_t)-1"),
        (&["--map-user", "4294967295:0:1", "true"], "(uid_t)-1"),
        (&["--map-group", "0:4294967286:10", "true"], "(gid_t)-1"),
        (&["--env", "=v", "true"], "'--env'"),
        (&["--fd", "5", "true"], "'--fd'"),
        (&["--uid"], "'--uid'"),
        (&["--setsid=yes", "true"], "'--setsid'"),
        (&["--bogus", "true"], "'--bogus'"),
        (&["-x", "true"], "'-x'"),
        (&["--rlimit", "bogus=1", "true"], "'--rlimit'"),
        (&["--rlimit", "nofile", "true"], "'--rlimit'"),
        (&["--rlimit", "nofile=2:1", "true"], "'--rlimit'"),
        (&["--rlimit", "nofile=lots", "true"], "'--rlimit'"),
        (&["--map-user", "0:0", "true"], "'--map-user'"),
        (&["--map-group", "0:0:0", "true"], "'--map-group'"),
        (&["--unshare", "nett", "true"], "'--unshare'"),
        (&["--unshare", "", "true"], "'--unshare'"),
        (&["--join", "net", "true"], "'--join'"),
        (&["--join", "bogus:/proc/self/ns/net", "true"], "'--join'"),
        (&["--join", "net,uts:/proc/self/ns/net", "true"], "'--join'"),
        (&["--caps", "chown:chown", "true"], "'--caps'"),
        (&["--caps", "::chown", "true"], "'--caps'"),
        (&["--caps", "cap_nope::", "true"], "'--caps'"),
        (&["--inh-caps", "+cap_nope", "true"], "'--inh-caps'"),
        (&["--bounding-set", "nope", "true"], "'--bounding-set'"),
        (&["--securebits", "noroot,nope", "true"], "'--securebits'"),
        (&["--seccomp-flags", "fast", "true"], "'--seccomp-flags'"),
        (&["--oom-score-adj", "1001", "true"], "'--oom-score-adj'"),
        (&["--personality", "0xg", "true"], "'--personality'"),
        (&["--signal-mask", "INT,NOPE", "true"], "'--signal-mask'"),
        (&["--setgroups", "maybe", "true"], "'--setgroups'"),
        (&["--propagation", "rprivate", "true"], "'--propagation'"),
        (&["--bind", "/only", "true"], "'--bind'"),
        (&["--bind", ":/b", "true"], "'--bind'"),
        (&["--ctty", "-1", "true"], "'--ctty'"),
        (
            &["--caps", "::", "--inh-caps", "", "true"],
            "--caps and --inh-caps",
        ),
        (&["--loopback-up=yes", "true"], "'--loopback-up'"),
        (
            &["--landlock-connect", "65536", "true"],
            "'--landlock-connect'",
        ),
        (&["--landlock-bind", "http", "true"], "'--landlock-bind'"),
        (
            &["--seccomp-deny", "mkdir:kill", "true"],
            "'--seccomp-deny'",
        ),
        (
            &["--seccomp-deny", "mkdir:EWHAT", "true"],
            "'--seccomp-deny'",
        ),
        (&["--seccomp-deny", ":EPERM", "true"], "'--seccomp-deny'"),
        (&["--seccomp-allow", ",", "true"], "'--seccomp-allow'"),
    ] {
        match parse_strs(args) {
            Err(Failure::Usage(msg)) => assert!(msg.contains(needle), "{args:?}: {msg}"),
            Err(other) => panic!("{args:?}: {other:?}"),
            Ok(_) => panic!("{args:?} accepted"),
        }
    }
    assert!(matches!(parse_strs(&[]), Err(Failure::Usage(_))));
}

#[test]
fn contradictions_are_usage_errors_naming_the_flags() {
    for (args, needle) in [
        (
            &["--ctty", "0", "--no-ctty", "true"][..],
            "--ctty and --no-ctty",
        ),
        (
            &["--seccomp-flags", "log", "true"],
            "--seccomp-flags needs --seccomp, --seccomp-deny or --seccomp-allow",
        ),
        (
            &["--setgroups", "deny", "--unshare", "user", "true"],
            "--setgroups needs",
        ),
        (&["--map-helpers", "true"], "--map-helpers needs"),
        (
            &["--seccomp", "/dev/null", "--seccomp-allow", "read", "true"],
            "--seccomp and --seccomp-allow contradict each other",
        ),
        (
            &[
                "--caps",
                "chown:chown:",
                "--ambient-caps",
                "net_raw",
                "true",
            ],
            "--ambient-caps cap_net_raw must be in the permitted and inheritable sets of --caps",
        ),
    ] {
        let inv = run_of(args);
        match check(&inv) {
            Err(Failure::Usage(msg)) => assert!(msg.contains(needle), "{args:?}: {msg}"),
            Err(other) => panic!("{args:?}: {other:?}"),
            Ok(()) => panic!("{args:?} accepted"),
        }
    }
    check(&run_of(&[
        "--caps",
        "chown:chown:",
        "--ambient-caps",
        "chown",
        "true",
    ]))
    .unwrap();
    check(&run_of(&[
        "--setgroups",
        "allow",
        "--map-user",
        "0:0:1",
        "true",
    ]))
    .unwrap();
}

#[test]
fn unreadable_files_are_setup_failures() {
    // 13 bytes: not whole 8-byte BPF instructions. (A /proc file would
    // not do: its length changes from read to read.)
    let odd = std::env::temp_dir().join(format!("clonexec-odd-filter-{}", std::process::id()));
    std::fs::write(&odd, b"13 bytes long").unwrap();
    let odd_path = odd.to_str().unwrap().to_owned();
    let odd_args = ["--seccomp", &odd_path, "true"];
    let results: Vec<_> = [
        &["--seccomp", "/nonexistent/filter", "true"][..],
        &odd_args,
        &["--join", "net:/nonexistent/ns", "true"],
        &["--cgroup", "/nonexistent/cgroup", "true"],
        &["--cgroup", "/dev/null", "true"],
    ]
    .into_iter()
    .map(|args| (args, parse_strs(args)))
    .collect();
    let _ = std::fs::remove_file(&odd);
    for (args, result) in results {
        match result {
            Err(Failure::Setup(msg)) => {
                assert!(
                    msg.starts_with(&format!("{}: ", args[0])),
                    "{args:?}: {msg}"
                )
            }
            Err(other) => panic!("{args:?}: {other:?}"),
            Ok(_) => panic!("{args:?} accepted"),
        }
    }
}

#[test]
fn exec_failures_map_to_126_and_127() {
    let err = Command::new("/nonexistent/program").spawn().unwrap_err();
    assert_eq!(spawn_exit_code(&err), EXIT_NOT_FOUND);
    let err = Command::new("/etc/passwd/x").spawn().unwrap_err();
    assert_eq!(spawn_exit_code(&err), EXIT_NOT_FOUND);
    let err = Command::new("true")
        .current_dir("/nonexistent")
        .spawn()
        .unwrap_err();
    assert_eq!(spawn_exit_code(&err), EXIT_FAILURE);
}

#[test]
fn the_front_end_is_chosen_from_argv() {
    use crate::{FrontEnd, front_end};
    let argv = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
    match front_end(argv(&["/usr/local/bin/bwrap", "--help"])) {
        FrontEnd::Bwrap { argv0, args } => {
            assert_eq!(argv0, "/usr/local/bin/bwrap");
            assert_eq!(args, argv(&["--help"]));
        }
        FrontEnd::Clonexec(_) => panic!("a command named bwrap is bubblewrap's"),
    }
    match front_end(argv(&["clonexec", "bwrap", "--ro-bind", "/", "/", "true"])) {
        FrontEnd::Bwrap { argv0, args } => {
            assert_eq!(argv0, "clonexec bwrap");
            assert_eq!(args, argv(&["--ro-bind", "/", "/", "true"]));
        }
        FrontEnd::Clonexec(_) => panic!("clonexec bwrap ... is bubblewrap's"),
    }
    // A program named bwrap is run with `--`.
    match front_end(argv(&["clonexec", "--", "bwrap"])) {
        FrontEnd::Clonexec(args) => assert_eq!(args, argv(&["--", "bwrap"])),
        FrontEnd::Bwrap { .. } => panic!("-- bwrap is a program"),
    }
}
