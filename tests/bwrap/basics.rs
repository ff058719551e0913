//! The command line: help and version, `--`, `--args`, the environment,
//! `--argv0`, warnings and errors as bubblewrap words them.

use std::fs;

use crate::common;
use crate::{Installed, bwrap, bwrap_with_fds, ran, ran_lib, run, skip, text, work_dir};

/// test-run.sh: "Help works" — `--help` starts with "usage: $BWRAP".
#[test]
fn help_works() {
    let _guard = common::shared();
    let installed = Installed::new();
    let out = ran(&mut installed.command(&["--help"])).ok();
    let usage = format!(
        "usage: {} [OPTIONS...] [--] COMMAND [ARGS...]\n",
        text(&installed.path)
    );
    assert!(out.stdout.starts_with(&usage), "{out:#?}");
    // As a subcommand, the command is both words.
    let out = ran(&mut bwrap(&["--help"])).ok();
    assert!(
        out.stdout
            .starts_with(&format!("usage: {} bwrap ", crate::BIN)),
        "{out:#?}"
    );
    // Every option the help shows is one the parser knows.
    for line in out.stdout.lines().filter(|l| l.starts_with("    --")) {
        let option = line.split_whitespace().next().unwrap();
        let out = ran(&mut bwrap(&[option]));
        assert!(!out.stderr.contains("Unknown option"), "{option}: {out:#?}");
    }
    let out = ran(&mut bwrap(&["--version"])).ok();
    assert!(out.stdout.starts_with("bubblewrap "), "{out:#?}");
    // No command at all: the usage on stderr, status 1.
    let out = ran(&mut installed.command(&[]));
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("usage: "), "{out:#?}");
}

/// test-run.sh: "we can parse arguments from a fd" — three `--args` fds,
/// each adding a `--dir`.
#[test]
fn we_can_parse_arguments_from_a_fd() {
    let _guard = common::shared();
    if skip("we_can_parse_arguments_from_a_fd") {
        return;
    }
    let work = work_dir("args");
    let mut fds = Vec::new();
    for (n, name) in [(3, "world"), (4, "world2"), (5, "world3")] {
        let path = work.path().join(format!("test.args{n}"));
        fs::write(&path, format!("--dir\0/tmp/hello/{name}\0")).unwrap();
        fds.push((n, fs::File::open(&path).unwrap().into()));
    }
    let test = "test -d /tmp/hello/world && test -d /tmp/hello/world2 && test -d /tmp/hello/world3";
    let mut args = vec!["--bind", "/", "/", "--tmpfs", "/tmp"];
    args.extend([
        "--args", "3", "--args", "4", "--args", "5", "/bin/sh", "-c", test,
    ]);
    ran_lib(&mut bwrap_with_fds(&args, fds)).ok();

    // --args cannot nest; the data may end without a NUL.
    let nested = work.path().join("nested");
    fs::write(&nested, "--args\x003").unwrap();
    let fds = vec![(3, fs::File::open(&nested).unwrap().into())];
    let out = ran_lib(&mut bwrap_with_fds(&["--args", "3", "true"], fds)).failed();
    assert_eq!(
        out.stderr,
        "bwrap: --args not supported in arguments file\n"
    );
    // An fd that is not open.
    let out = ran(&mut bwrap(&["--args", "9", "true"])).failed();
    assert!(out.stderr.starts_with("bwrap: Invalid fd: 9"), "{out:#?}");
}

/// test-run.sh: "we can run with --", "we can run an inadvisable
/// executable name with --", "options like --dev-bind are defanged by --".
#[test]
fn double_dash_ends_the_options() {
    let _guard = common::shared();
    if skip("double_dash_ends_the_options") {
        return;
    }
    let out = ran(&mut run(&["--", "sh", "-c", "echo hello"])).ok();
    assert_eq!(out.stdout, "hello\n");
    let work = work_dir("dashes");
    let bin = work.path().join("bin");
    fs::create_dir(&bin).unwrap();
    common::write_executable(
        &bin.join("--inadvisable-executable-name--"),
        b"#!/bin/sh\necho hello\n",
    );
    let path = format!("{}:{}", text(&bin), crate::PATH);
    let out = ran(run(&["--", "--inadvisable-executable-name--"]).env("PATH", path)).ok();
    assert_eq!(out.stdout, "hello\n");
    let out = ran(&mut run(&[
        "--",
        "--dev-bind",
        "/dev",
        "/dev",
        "sh",
        "-c",
        "echo should not have run",
    ]))
    .failed();
    assert_eq!(out.stdout, "");
}

/// test-run.sh: "environment manipulation".
#[test]
fn environment_manipulation() {
    let _guard = common::shared();
    if skip("environment_manipulation") {
        return;
    }
    let work = work_dir("env");
    let sh = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = run(args);
        cmd.current_dir(work.path());
        for (key, value) in env {
            cmd.env(key, value);
        }
        ran(&mut cmd).ok().stdout
    };
    let echo = ["sh", "-c", "echo \"$FOO$BAR\""];
    let set = [&["--setenv", "FOO", "bar"][..], &echo].concat();
    assert_eq!(sh(&[("FOO", ""), ("BAR", "baz")], &set), "barbaz\n");
    assert_eq!(sh(&[("FOO", "wrong"), ("BAR", "baz")], &set), "barbaz\n");
    let unset = [
        "--unsetenv",
        "FOO",
        "sh",
        "-c",
        "printf \"%s%s\" \"$FOO\" \"$BAR\"",
    ];
    assert_eq!(sh(&[("FOO", "wrong"), ("BAR", "baz")], &unset), "baz");
    let clear = ["--clearenv", "/usr/bin/env"];
    assert_eq!(
        sh(&[("FOO", "wrong"), ("BAR", "wrong")], &clear),
        format!("PWD={}\n", text(work.path()))
    );
    // In the order given: what --clearenv clears, a later --setenv sets.
    let order = [
        "--setenv",
        "A",
        "1",
        "--clearenv",
        "--setenv",
        "B",
        "2",
        "/usr/bin/env",
    ];
    let out = sh(&[], &order);
    let mut vars: Vec<&str> = out.lines().collect();
    vars.sort_unstable();
    assert_eq!(vars, ["B=2", &format!("PWD={}", text(work.path()))]);
}

/// test-run.sh: "argv0 manipulation".
#[test]
fn argv0_manipulation() {
    let _guard = common::shared();
    if skip("argv0_manipulation") {
        return;
    }
    let dollar0 = |args: &[&str]| ran(&mut run(args)).ok().stdout;
    assert_eq!(dollar0(&["sh", "-c", "echo $0"]), "sh\n");
    assert_eq!(dollar0(&["--argv0", "sh", "sh", "-c", "echo $0"]), "sh\n");
    assert_eq!(
        dollar0(&["--argv0", "right", "sh", "-c", "echo $0"]),
        "right\n"
    );
    let out = ran(&mut bwrap(&["--argv0", "a", "--argv0", "b", "true"])).failed();
    assert_eq!(out.stderr, "bwrap: --argv0 used multiple times\n");
}

/// test-run.sh: "warning logged for redundant --chdir", "--level-prefix".
#[test]
fn warning_logged_for_redundant_chdir_and_level_prefix() {
    let _guard = common::shared();
    if skip("warning_logged_for_redundant_chdir_and_level_prefix") {
        return;
    }
    let out = ran(&mut run(&["--chdir", "/", "--chdir", "/", "true"])).ok();
    assert_eq!(
        out.stderr,
        "bwrap: Only the last --chdir option will take effect\n"
    );
    let out = ran(&mut run(&[
        "--level-prefix",
        "--chdir",
        "/",
        "--chdir",
        "/",
        "true",
    ]))
    .ok();
    assert_eq!(
        out.stderr,
        "<4>bwrap: Only the last --chdir option will take effect\n"
    );
    let out = ran(&mut bwrap(&["--level-prefix", "--bogus"])).failed();
    assert_eq!(out.stderr, "<3>bwrap: Unknown option --bogus\n");
}

/// test-run.sh: "error prefixing" — a missing bind source, named.
#[test]
fn error_prefixing() {
    let _guard = common::shared();
    if skip("error_prefixing") {
        return;
    }
    let out = ran(&mut run(&[
        "--unshare-pid",
        "--bind",
        "/source-enoent",
        "/dest",
        "true",
    ]))
    .failed();
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "bwrap: Can't find source path /source-enoent: No such file or directory\n"
    );
    // The -try variant skips it.
    ran(&mut run(&["--bind-try", "/source-enoent", "/dest", "true"])).ok();
}

/// test-run.sh: "bogus tmpfs size not allowed", "--perms and --size only
/// allowed once"; and what --perms and --size must be followed by.
#[test]
fn bogus_tmpfs_size_not_allowed() {
    let _guard = common::shared();
    let refused = |args: &[&str], message: &str| {
        let mut all = args.to_vec();
        all.extend(["--tmpfs", "/tmp/a", "true"]);
        let out = ran(&mut run(&all)).failed();
        assert_eq!(out.stderr, format!("bwrap: {message}\n"), "{args:?}");
    };
    let size = "--size takes a non-zero number of bytes";
    for bogus in [
        "0",
        "123bogus",
        "",
        "-12345678",
        " -12345678",
        "18446744073709551616",
    ] {
        refused(&["--size", bogus], size);
    }
    refused(
        &["--size", "9223372036854775809"],
        "--size (for tmpfs) is limited to 9223372036854775807",
    );
    refused(
        &["--perms", "0640", "--perms", "0640"],
        "--perms given twice for the same action",
    );
    refused(
        &["--size", "1048576", "--size", "1048576"],
        "--size given twice for the same action",
    );
    refused(
        &["--perms", "8"],
        "--perms takes an octal argument <= 07777",
    );
    let out = ran(&mut bwrap(&["--perms", "0640", "--chdir", "/", "true"])).failed();
    assert_eq!(
        out.stderr,
        "bwrap: --perms must be followed by an option that creates a file\n"
    );
    let out = ran(&mut bwrap(&["--size", "1024", "--dir", "/x", "true"])).failed();
    assert_eq!(out.stderr, "bwrap: --size must be followed by --tmpfs\n");
}

/// What clonexec's front end refuses, with bubblewrap's words where
/// bubblewrap has them.
#[test]
fn refusals_say_why() {
    let _guard = common::shared();
    let refused = |args: &[&str], message: &str| {
        let out = ran(&mut bwrap(args)).failed();
        assert_eq!(out.code, Some(1), "{args:?}");
        assert_eq!(out.stderr, format!("bwrap: {message}\n"), "{args:?}");
    };
    refused(&["--bogus", "true"], "Unknown option --bogus");
    refused(&["--bind", "/"], "--bind takes two arguments");
    refused(&["--dir"], "--dir takes an argument");
    refused(
        &["--userns", "3", "true"],
        "--userns is not supported by clonexec's bwrap front end",
    );
    refused(
        &["--hostname", "x", "true"],
        "Specifying --hostname requires --unshare-uts",
    );
    refused(
        &["--as-pid-1", "true"],
        "Specifying --as-pid-1 requires --unshare-pid",
    );
    refused(
        &["--disable-userns", "true"],
        "--disable-userns requires --unshare-user",
    );
    refused(&["--cap-add", "nope", "true"], "unknown cap: nope");
    if common::is_root() {
        refused(
            &["--uid", "5", "true"],
            "Specifying --uid requires --unshare-user or --userns",
        );
    }
}
