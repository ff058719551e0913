//! Reading a bubblewrap command line into a [`Sandbox`]: the options in
//! the order given, with bubblewrap's rules (`--perms` and `--size` modify
//! the next operation only, `--args FD` reads more options from an fd,
//! `--` ends the options) and its messages.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use clonexec::{Capability, SockFilter};

use super::fds::{Fds, read_all};

/// bubblewrap's limit on the number of arguments, `--args` data included.
const MAX_ARGS: usize = 9000;

/// The largest tmpfs size bubblewrap takes (`SIZE_MAX / 2`).
const MAX_TMPFS_BYTES: u64 = u64::MAX >> 1;

/// What a bubblewrap command line asks for.
pub enum Parsed {
    Run(Box<Sandbox>),
    /// Print the help text (bubblewrap's `--help`).
    Help(String),
    Version,
}

/// One filesystem operation, in command-line order.
#[derive(Debug)]
pub enum Op {
    /// `--bind`, `--ro-bind`, `--dev-bind` and their `-try` variants, and
    /// `--bind-fd`/`--ro-bind-fd` (whose source is the fd's path).
    Bind {
        source: OsString,
        dest: OsString,
        kind: BindKind,
        optional: bool,
    },
    RemountRo(OsString),
    Proc(OsString),
    Dev(OsString),
    Tmpfs {
        dest: OsString,
        perms: Option<u32>,
        size: Option<u64>,
    },
    Dir {
        dest: OsString,
        perms: Option<u32>,
    },
    /// `--file`, `--bind-data`, `--ro-bind-data`.
    File {
        data: OwnedFd,
        dest: OsString,
        perms: Option<u32>,
        kind: FileKind,
    },
    Symlink {
        target: OsString,
        dest: OsString,
    },
    Chmod {
        perms: u32,
        dest: OsString,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    /// `--bind`: `nodev`, `nosuid`.
    ReadWrite,
    /// `--ro-bind`: read-only, `nodev`, `nosuid`.
    ReadOnly,
    /// `--dev-bind`: `nosuid`, devices work.
    Devices,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `--file`: a file the sandbox may change (mode 0666 by default).
    Plain,
    /// `--bind-data`: mode 0600 by default.
    Bound,
    /// `--ro-bind-data`: read-only even for root in the sandbox.
    ReadOnly,
}

/// A change to the environment, in command-line order.
#[derive(Debug)]
pub enum EnvOp {
    Clear,
    Set(OsString, OsString),
    Unset(OsString),
}

/// A change to the capabilities asked for, in command-line order.
#[derive(Debug, Clone, Copy)]
pub enum CapOp {
    Add(Option<Capability>),
    Drop(Option<Capability>),
}

/// Everything a bubblewrap command line asks for, unchecked against the
/// system (see `lower`).
#[derive(Debug, Default)]
pub struct Sandbox {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// `--argv0`.
    pub argv0: Option<OsString>,
    pub ops: Vec<Op>,
    pub env: Vec<EnvOp>,
    pub caps: Vec<CapOp>,
    pub unshare_user: bool,
    pub unshare_user_try: bool,
    pub unshare_ipc: bool,
    pub unshare_pid: bool,
    pub unshare_net: bool,
    pub unshare_uts: bool,
    pub unshare_cgroup: bool,
    pub unshare_cgroup_try: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub hostname: Option<OsString>,
    pub chdir: Option<OsString>,
    /// `--lock-file`: files the program holds a read lock on.
    pub lock_files: Vec<OsString>,
    pub seccomp: Option<Vec<SockFilter>>,
    pub info_fd: Option<OwnedFd>,
    pub json_status_fd: Option<OwnedFd>,
    pub die_with_parent: bool,
    pub as_pid_1: bool,
    pub new_session: bool,
    pub disable_userns: bool,
    pub assert_userns_disabled: bool,
    /// `--level-prefix`: messages start with `<3>` (error) or `<4>`.
    pub level_prefix: bool,
    /// Warnings to print before running (an option given twice...).
    pub warnings: Vec<String>,
}

/// Parses the arguments after the program name; `argv0` is how the help
/// text names the command.
pub fn parse(
    argv0: &OsStr,
    args: impl IntoIterator<Item = OsString>,
    fds: &mut dyn Fds,
) -> Result<Parsed, Error> {
    let args: Vec<OsString> = args.into_iter().collect();
    let mut parser = Parser {
        sandbox: Sandbox::default(),
        fds,
        total_args: args.len(),
        next_perms: None,
        next_size: None,
    };
    if args.len() > MAX_ARGS {
        return Err(Error::plain(format!(
            "Exceeded maximum number of arguments {MAX_ARGS}"
        )));
    }
    match parser.options(args, false)? {
        Next::Help => Ok(Parsed::Help(help_text(argv0))),
        Next::Version => Ok(Parsed::Version),
        Next::Program(rest) => {
            let mut rest = rest.into_iter();
            let Some(program) = rest.next() else {
                return Err(Error::usage(argv0));
            };
            let mut sandbox = parser.sandbox;
            sandbox.program = program;
            sandbox.args = rest.collect();
            Ok(Parsed::Run(Box::new(sandbox)))
        }
    }
}

/// Why a command line was refused: a message as bubblewrap words it, or
/// bubblewrap's usage text (for no command at all).
#[derive(Debug)]
pub struct Error {
    pub message: String,
    /// Print the usage text instead (to stderr).
    pub usage: Option<String>,
    pub level_prefix: bool,
}

impl Error {
    fn plain(message: String) -> Error {
        Error {
            message,
            usage: None,
            level_prefix: false,
        }
    }

    fn usage(argv0: &OsStr) -> Error {
        Error {
            message: String::new(),
            usage: Some(help_text(argv0)),
            level_prefix: false,
        }
    }
}

/// What comes after the options.
enum Next {
    Help,
    Version,
    /// The command and its arguments (maybe none).
    Program(Vec<OsString>),
}

/// Takes the next `n` values of the current option, or says it needs them.
type Values<'v> = dyn FnMut(usize) -> Result<Vec<OsString>, Error> + 'v;

struct Parser<'a> {
    sandbox: Sandbox,
    fds: &'a mut dyn Fds,
    total_args: usize,
    /// `--perms` for the next operation that creates something.
    next_perms: Option<u32>,
    /// `--size` for the next `--tmpfs`.
    next_size: Option<u64>,
}

impl Parser<'_> {
    /// Parses options until the command; `in_args` when reading the data
    /// of `--args` (where `--args` cannot nest).
    fn options(&mut self, args: Vec<OsString>, in_args: bool) -> Result<Next, Error> {
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg.as_bytes().first() != Some(&b'-') {
                // The command.
                let mut rest = vec![arg];
                rest.extend(args);
                return Ok(Next::Program(rest));
            }
            let option = arg.to_string_lossy().into_owned();
            if option == "--" {
                return Ok(Next::Program(args.collect()));
            }
            let level_prefix = self.sandbox.level_prefix;
            let mut values = |n: usize| -> Result<Vec<OsString>, Error> {
                let taken: Vec<OsString> = args.by_ref().take(n).collect();
                if taken.len() < n {
                    return Err(Error {
                        message: match n {
                            1 => format!("{option} takes an argument"),
                            _ => format!("{option} takes two arguments"),
                        },
                        usage: None,
                        level_prefix,
                    });
                }
                Ok(taken)
            };
            match option.as_str() {
                "--help" => return Ok(Next::Help),
                "--version" => return Ok(Next::Version),
                "--args" => {
                    if in_args {
                        return Err(self.fail("--args not supported in arguments file"));
                    }
                    let [fd] = take::<1>(values(1)?);
                    let fd = self.fd(&fd)?;
                    let data = read_all(fd, "--args data").map_err(|m| self.fail(m))?;
                    let more = split_nul(&data);
                    self.total_args += more.len();
                    if self.total_args > MAX_ARGS {
                        return Err(
                            self.fail(format!("Exceeded maximum number of arguments {MAX_ARGS}"))
                        );
                    }
                    match self.options(more, true)? {
                        // As in bubblewrap, the data ends at its first
                        // argument that is no option: the command comes
                        // from the command line.
                        Next::Program(_) => {}
                        other => return Ok(other),
                    }
                }
                "--argv0" => {
                    let [value] = take::<1>(values(1)?);
                    if self.sandbox.argv0.is_some() {
                        return Err(self.fail("--argv0 used multiple times"));
                    }
                    self.sandbox.argv0 = Some(value);
                }
                "--level-prefix" => self.sandbox.level_prefix = true,
                "--userns" | "--userns2" | "--pidns" | "--sync-fd" | "--block-fd"
                | "--userns-block-fd" | "--add-seccomp-fd" | "--mqueue" | "--overlay-src"
                | "--overlay" | "--tmp-overlay" | "--ro-overlay" | "--exec-label"
                | "--file-label" => {
                    return Err(self.fail(format!(
                        "{option} is not supported by clonexec's bwrap front end"
                    )));
                }

                other => {
                    if !(self.sandbox_option(other, &mut values)?
                        || self.filesystem_option(other, &mut values)?)
                    {
                        return Err(self.fail(format!("Unknown option {option}")));
                    }
                }
            }
            // A modifier must be used by the operation right after it.
            if option != "--perms" && option != "--size" {
                if self.next_perms.is_some() {
                    return Err(
                        self.fail("--perms must be followed by an option that creates a file")
                    );
                }
                if self.next_size.is_some() {
                    return Err(self.fail("--size must be followed by --tmpfs"));
                }
            }
        }
        Ok(Next::Program(Vec::new()))
    }

    /// The options that set up the sandbox but its filesystem: namespaces,
    /// ids, environment, session, capabilities, seccomp, status fds.
    /// `false` when `option` is none of them.
    fn sandbox_option(&mut self, option: &str, values: &mut Values<'_>) -> Result<bool, Error> {
        match option {
            "--unshare-all" => {
                let s = &mut self.sandbox;
                s.unshare_user_try = true;
                s.unshare_ipc = true;
                s.unshare_pid = true;
                s.unshare_uts = true;
                s.unshare_cgroup_try = true;
                s.unshare_net = true;
            }
            "--unshare-user" => self.sandbox.unshare_user = true,
            "--unshare-user-try" => self.sandbox.unshare_user_try = true,
            "--unshare-ipc" => self.sandbox.unshare_ipc = true,
            "--unshare-pid" => self.sandbox.unshare_pid = true,
            "--unshare-net" => self.sandbox.unshare_net = true,
            "--unshare-uts" => self.sandbox.unshare_uts = true,
            "--unshare-cgroup" => self.sandbox.unshare_cgroup = true,
            "--unshare-cgroup-try" => self.sandbox.unshare_cgroup_try = true,
            "--share-net" => self.sandbox.unshare_net = false,
            "--chdir" => {
                let [dir] = take::<1>(values(1)?);
                if self.sandbox.chdir.is_some() {
                    self.warn_only_last("--chdir");
                }
                self.sandbox.chdir = Some(dir);
            }
            "--disable-userns" => self.sandbox.disable_userns = true,
            "--assert-userns-disabled" => self.sandbox.assert_userns_disabled = true,
            "--seccomp" => {
                let [fd] = take::<1>(values(1)?);
                if self.sandbox.seccomp.is_some() {
                    self.warn_only_last("--seccomp");
                }
                let data = read_all(self.fd(&fd)?, "seccomp filter").map_err(|m| self.fail(m))?;
                let filter = SockFilter::from_bytes(&data).ok_or_else(|| {
                    self.fail(format!(
                        "Invalid seccomp data: {} bytes are no whole number of 8-byte \
                         instructions",
                        data.len()
                    ))
                })?;
                self.sandbox.seccomp = Some(filter);
            }
            "--info-fd" | "--json-status-fd" => {
                let [fd] = take::<1>(values(1)?);
                let fd = self.fd(&fd)?;
                let slot = if option == "--info-fd" {
                    &mut self.sandbox.info_fd
                } else {
                    &mut self.sandbox.json_status_fd
                };
                let again = slot.replace(fd).is_some();
                if again {
                    self.warn_only_last(option);
                }
            }
            "--uid" | "--gid" => {
                let [id] = take::<1>(values(1)?);
                let what = &option[2..];
                let id = id
                    .to_str()
                    .and_then(|s| s.parse::<u32>().ok())
                    .filter(|&id| id < u32::MAX)
                    .ok_or_else(|| {
                        self.fail(format!("Invalid {what}: {}", id.to_string_lossy()))
                    })?;
                let slot = if option == "--uid" {
                    &mut self.sandbox.uid
                } else {
                    &mut self.sandbox.gid
                };
                let again = slot.replace(id).is_some();
                if again {
                    self.warn_only_last(option);
                }
            }
            "--hostname" => {
                let [name] = take::<1>(values(1)?);
                if self.sandbox.hostname.is_some() {
                    self.warn_only_last("--hostname");
                }
                self.sandbox.hostname = Some(name);
            }
            "--clearenv" => self.sandbox.env.push(EnvOp::Clear),
            "--setenv" => {
                let [key, value] = take::<2>(values(2)?);
                self.sandbox.env.push(EnvOp::Set(key, value));
            }
            "--unsetenv" => {
                let [key] = take::<1>(values(1)?);
                self.sandbox.env.push(EnvOp::Unset(key));
            }
            "--lock-file" => {
                let [path] = take::<1>(values(1)?);
                self.sandbox.lock_files.push(path);
            }
            "--new-session" => self.sandbox.new_session = true,
            "--die-with-parent" => self.sandbox.die_with_parent = true,
            "--as-pid-1" => self.sandbox.as_pid_1 = true,
            "--cap-add" | "--cap-drop" => {
                let [name] = take::<1>(values(1)?);
                let cap = capability(&name)
                    .ok_or_else(|| self.fail(format!("unknown cap: {}", name.to_string_lossy())))?;
                self.sandbox.caps.push(if option == "--cap-add" {
                    CapOp::Add(cap)
                } else {
                    CapOp::Drop(cap)
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The options that build the filesystem, in the order given (and the
    /// `--perms`/`--size` modifiers of the next one). `false` when
    /// `option` is none of them.
    fn filesystem_option(&mut self, option: &str, values: &mut Values<'_>) -> Result<bool, Error> {
        match option {
            "--remount-ro" => {
                let [dest] = take::<1>(values(1)?);
                self.sandbox.ops.push(Op::RemountRo(dest));
            }
            "--bind" | "--bind-try" | "--ro-bind" | "--ro-bind-try" | "--dev-bind"
            | "--dev-bind-try" => {
                let [source, dest] = take::<2>(values(2)?);
                let kind = if option.starts_with("--ro-") {
                    BindKind::ReadOnly
                } else if option.starts_with("--dev-") {
                    BindKind::Devices
                } else {
                    BindKind::ReadWrite
                };
                self.sandbox.ops.push(Op::Bind {
                    source,
                    dest,
                    kind,
                    optional: option.ends_with("-try"),
                });
            }
            "--bind-fd" | "--ro-bind-fd" => {
                let [fd, dest] = take::<2>(values(2)?);
                let fd = self.fd(&fd)?;
                // The directory the fd is open on, by its path now (a
                // bind mount from another user namespace's fd is
                // refused, so bubblewrap binds the path too).
                let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
                let source = std::fs::read_link(&link)
                    .map_err(|e| self.fail(format!("Can't resolve {link}: {e}")))?;
                let kind = if option == "--ro-bind-fd" {
                    BindKind::ReadOnly
                } else {
                    BindKind::ReadWrite
                };
                self.sandbox.ops.push(Op::Bind {
                    source: source.into_os_string(),
                    dest,
                    kind,
                    optional: false,
                });
            }
            "--proc" => {
                let [dest] = take::<1>(values(1)?);
                self.sandbox.ops.push(Op::Proc(dest));
            }
            "--dev" => {
                let [dest] = take::<1>(values(1)?);
                self.sandbox.ops.push(Op::Dev(dest));
            }
            "--tmpfs" => {
                let [dest] = take::<1>(values(1)?);
                let (perms, size) = (self.next_perms.take(), self.next_size.take());
                self.sandbox.ops.push(Op::Tmpfs { dest, perms, size });
            }
            "--dir" => {
                let [dest] = take::<1>(values(1)?);
                let perms = self.next_perms.take();
                self.sandbox.ops.push(Op::Dir { dest, perms });
            }
            "--file" | "--bind-data" | "--ro-bind-data" => {
                let [fd, dest] = take::<2>(values(2)?);
                let data = self.fd(&fd)?;
                let kind = match option {
                    "--file" => FileKind::Plain,
                    "--bind-data" => FileKind::Bound,
                    _ => FileKind::ReadOnly,
                };
                let perms = self.next_perms.take();
                self.sandbox.ops.push(Op::File {
                    data,
                    dest,
                    perms,
                    kind,
                });
            }
            "--symlink" => {
                let [target, dest] = take::<2>(values(2)?);
                self.sandbox.ops.push(Op::Symlink { target, dest });
            }
            "--chmod" => {
                let [perms, dest] = take::<2>(values(2)?);
                let perms = octal(&perms)
                    .ok_or_else(|| self.fail("--chmod takes an octal argument <= 07777"))?;
                self.sandbox.ops.push(Op::Chmod { perms, dest });
            }
            "--perms" => {
                let [perms] = take::<1>(values(1)?);
                if self.next_perms.is_some() {
                    return Err(self.fail("--perms given twice for the same action"));
                }
                let perms = octal(&perms)
                    .ok_or_else(|| self.fail("--perms takes an octal argument <= 07777"))?;
                self.next_perms = Some(perms);
            }
            "--size" => {
                let [size] = take::<1>(values(1)?);
                if self.next_size.is_some() {
                    return Err(self.fail("--size given twice for the same action"));
                }
                let size = tmpfs_size(&size)
                    .ok_or_else(|| self.fail("--size takes a non-zero number of bytes"))?;
                if size > MAX_TMPFS_BYTES {
                    return Err(self.fail(format!(
                        "--size (for tmpfs) is limited to {MAX_TMPFS_BYTES}"
                    )));
                }
                self.next_size = Some(size);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// An error, with the prefix setting known so far.
    fn fail(&self, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            usage: None,
            level_prefix: self.sandbox.level_prefix,
        }
    }

    fn warn_only_last(&mut self, option: &str) {
        self.sandbox
            .warnings
            .push(format!("Only the last {option} option will take effect"));
    }

    /// The fd a value names: a non-negative decimal number, taken.
    fn fd(&mut self, value: &OsStr) -> Result<OwnedFd, Error> {
        let n = value
            .to_str()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or_else(|| self.fail(format!("Invalid fd: {}", value.to_string_lossy())))?;
        let level_prefix = self.sandbox.level_prefix;
        self.fds.take(n).map_err(|message| Error {
            message,
            usage: None,
            level_prefix,
        })
    }
}

/// The `N` values after an option (as many as asked for).
fn take<const N: usize>(values: Vec<OsString>) -> [OsString; N] {
    let mut values = values.into_iter();
    std::array::from_fn(|_| values.next().unwrap_or_default())
}

/// The NUL-separated strings of `--args` data (a last one without a NUL
/// counts too).
fn split_nul(data: &[u8]) -> Vec<OsString> {
    let data = data.strip_suffix(b"\0").unwrap_or(data);
    if data.is_empty() {
        return Vec::new();
    }
    data.split(|&b| b == 0)
        .map(|s| OsStr::from_bytes(s).to_owned())
        .collect()
}

/// An octal mode up to `07777`, as `--perms` and `--chmod` take it.
fn octal(value: &OsStr) -> Option<u32> {
    let text = value.to_str().filter(|s| !s.is_empty())?;
    u32::from_str_radix(text, 8).ok().filter(|&m| m <= 0o7777)
}

/// A tmpfs size as `strtoull(.., 0)` reads it (decimal, `0x` hex or `0`
/// octal), which must start with a digit and not be 0.
fn tmpfs_size(value: &OsStr) -> Option<u64> {
    let text = value.to_str()?;
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let size = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()?
    } else if text.len() > 1 && text.starts_with('0') {
        u64::from_str_radix(&text[1..], 8).ok()?
    } else {
        text.parse().ok()?
    };
    (size != 0).then_some(size)
}

/// A capability name as bubblewrap takes it (`CAP_KILL`, `cap_kill`;
/// `ALL` for every one, as `None`), or `None` inside for ALL.
fn capability(name: &OsStr) -> Option<Option<Capability>> {
    let text = name.to_str()?;
    if text.eq_ignore_ascii_case("ALL") {
        return Some(None);
    }
    text.parse::<Capability>().ok().map(Some)
}

/// The help text; `argv0` is how the command was called.
pub fn help_text(argv0: &OsStr) -> String {
    let argv0 = argv0.to_string_lossy();
    let mut text = format!("usage: {argv0} [OPTIONS...] [--] COMMAND [ARGS...]\n\n");
    let options: &[(&str, &str)] = &[
        ("--help", "Show this help and exit"),
        ("--version", "Show the version and exit"),
        ("--args FD", "Read more options, NUL-separated, from FD"),
        ("--argv0 VALUE", "Run COMMAND with argv[0] set to VALUE"),
        (
            "--level-prefix",
            "Start messages with <3> (error) or <4> (warning)",
        ),
        (
            "--unshare-all",
            "--unshare-user-try, -ipc, -pid, -net, -uts and -cgroup-try",
        ),
        (
            "--share-net",
            "Keep the network namespace (after --unshare-all)",
        ),
        (
            "--unshare-user",
            "New user namespace (always when not run as root)",
        ),
        (
            "--unshare-user-try",
            "New user namespace if the system allows one",
        ),
        ("--unshare-ipc", "New IPC namespace"),
        ("--unshare-pid", "New PID namespace, with an init as pid 1"),
        ("--unshare-net", "New network namespace, with lo up"),
        ("--unshare-uts", "New UTS namespace"),
        ("--unshare-cgroup", "New cgroup namespace"),
        (
            "--unshare-cgroup-try",
            "New cgroup namespace if the kernel has them",
        ),
        (
            "--disable-userns",
            "COMMAND cannot make user namespaces (needs --unshare-user)",
        ),
        (
            "--assert-userns-disabled",
            "Fail unless COMMAND cannot make user namespaces",
        ),
        (
            "--uid UID",
            "uid in the sandbox (needs a new user namespace)",
        ),
        (
            "--gid GID",
            "gid in the sandbox (needs a new user namespace)",
        ),
        (
            "--hostname NAME",
            "Hostname in the sandbox (needs --unshare-uts)",
        ),
        ("--chdir DIR", "Start COMMAND in DIR"),
        (
            "--lock-file DEST",
            "COMMAND holds a read lock on DEST while it runs",
        ),
        ("--clearenv", "Clear the environment"),
        ("--setenv VAR VALUE", "Set environment variable VAR"),
        ("--unsetenv VAR", "Unset environment variable VAR"),
        (
            "--bind SRC DEST",
            "Bind SRC (outside) at DEST (in the sandbox), nodev",
        ),
        ("--bind-try SRC DEST", "--bind, skipped when SRC is missing"),
        ("--dev-bind SRC DEST", "--bind, with device files usable"),
        (
            "--dev-bind-try SRC DEST",
            "--dev-bind, skipped when SRC is missing",
        ),
        ("--ro-bind SRC DEST", "--bind, read-only all the way down"),
        (
            "--ro-bind-try SRC DEST",
            "--ro-bind, skipped when SRC is missing",
        ),
        ("--bind-fd FD DEST", "Bind the directory open on FD at DEST"),
        ("--ro-bind-fd FD DEST", "--bind-fd, read-only"),
        (
            "--remount-ro DEST",
            "Remount the mount at DEST read-only (that one only)",
        ),
        ("--proc DEST", "A proc filesystem at DEST"),
        ("--dev DEST", "A minimal /dev at DEST"),
        ("--tmpfs DEST", "A tmpfs at DEST (mode 0755 unless --perms)"),
        (
            "--dir DEST",
            "A directory at DEST (mode 0755 unless --perms)",
        ),
        (
            "--file FD DEST",
            "A file at DEST holding what FD holds (mode 0666)",
        ),
        (
            "--bind-data FD DEST",
            "A file at DEST holding what FD holds (mode 0600)",
        ),
        (
            "--ro-bind-data FD DEST",
            "--bind-data, read-only even for root",
        ),
        ("--symlink SRC DEST", "A symlink at DEST pointing to SRC"),
        ("--chmod OCTAL PATH", "Change the permissions of PATH"),
        (
            "--perms OCTAL",
            "Permissions of the next --tmpfs, --dir, --file...",
        ),
        ("--size BYTES", "Size of the next --tmpfs"),
        (
            "--seccomp FD",
            "Install the classic BPF seccomp filter read from FD",
        ),
        (
            "--info-fd FD",
            "Write the sandbox's pid and namespaces to FD (JSON)",
        ),
        (
            "--json-status-fd FD",
            "Write the same, then the exit code, to FD",
        ),
        ("--new-session", "Start COMMAND in a new session"),
        (
            "--die-with-parent",
            "Kill COMMAND (SIGKILL) when the parent of bwrap dies",
        ),
        ("--as-pid-1", "COMMAND is pid 1 itself (with --unshare-pid)"),
        ("--cap-add CAP", "Keep capability CAP (ALL for every one)"),
        ("--cap-drop CAP", "Drop capability CAP (ALL for every one)"),
    ];
    let width = options.iter().map(|(o, _)| o.len()).max().unwrap_or(0);
    for (option, help) in options {
        text.push_str(&format!("    {option:<width$}  {help}\n"));
    }
    text.push_str(
        "\nclonexec's bubblewrap front end: operations apply in the order given;\n\
         --userns, --pidns, --sync-fd, --block-fd, overlays, mqueue\n\
         and SELinux labels are not supported.\n",
    );
    text
}
