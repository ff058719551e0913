//! [`Command`]: the builder. It only records what the user asks for;
//! `prepare()` validates and lowers it.

use alloc::vec::Vec;

use rustix::fd::OwnedFd;

use crate::child_handle::{Child, Output};
use crate::plan::Plan;
use crate::prepare::{DefaultStdio, EnvCapture, prepare};
use crate::spawn::Prepared;
use crate::spec::Spec;
use crate::stdio::Stdio;
use crate::{
    Arg, CapSet, Capability, Error, ExitStatus, IdMap, Landlock, Mount, Namespaces, Propagation,
    Resource, SeccompFlags, SeccompPolicy, SecureBits, SigSet, Signal, SockFilter,
};

/// A process to start, with every attribute it should have.
///
/// Builder methods take `&mut self` and return `&mut Self`, as with
/// `std::process::Command`. Nothing is checked until [`prepare`],
/// [`spawn`], [`status`] or [`output`], which refuse invalid input with an
/// [`Error`] whose `step()` is `None` before any process exists.
///
/// ```
/// use clonexec::Command;
/// let status = Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
/// assert_eq!(status.code(), Some(3));
/// ```
///
/// [`prepare`]: Command::prepare
/// [`spawn`]: Command::spawn
/// [`status`]: Command::status
/// [`output`]: Command::output
pub struct Command {
    pub(crate) spec: Spec,
}

impl Command {
    /// A command running `program`. Without a `/`, the program is searched
    /// in the child's `PATH` (as `execvpe` does; `/bin:/usr/bin` when the
    /// child has no `PATH`). argv\[0\] is `program` unless [`arg0`] is set.
    ///
    /// The search follows `execvpe`: entries that give `ENOENT`/`ENOTDIR`
    /// are skipped, `EACCES` is remembered and reported if nothing runs,
    /// any other error stops the search. As with `execvp` (and so std), a
    /// file the kernel cannot run (`ENOEXEC`: a script without a `#!`
    /// line) is run with `/bin/sh`.
    ///
    /// [`arg0`]: Command::arg0
    pub fn new(program: impl Arg) -> Command {
        Command {
            spec: Spec::new(program.into_arg_bytes()),
        }
    }

    /// A command running the file `fd` is open on, with
    /// `execveat(fd, "", ..., AT_EMPTY_PATH)` (as `fexecve` does): no path
    /// lookup, so the file run is the one that was opened, whatever happens
    /// to its path meanwhile. The fd may be close-on-exec; the child keeps
    /// it open until the exec, whatever [`close_other_fds`] and [`fd`]
    /// mappings say.
    ///
    /// argv\[0\] is the path the fd was opened with, as
    /// `/proc/self/fd/N` shows it when the command is made (else `fd N`),
    /// unless [`arg0`] is set. A script (`#!`) run this way needs an fd
    /// without close-on-exec, as the interpreter opens it again through
    /// `/dev/fd/N`: such an fd stays open in the program (as with
    /// `fexecve`). With close-on-exec, a script fails with `ENOENT`.
    ///
    /// ```
    /// use clonexec::Command;
    /// let file = std::fs::File::open("/bin/sh").unwrap();
    /// let out = Command::from_fd(file).args(["-c", "echo hi"]).output().unwrap();
    /// assert_eq!(out.stdout, b"hi\n");
    /// ```
    ///
    /// [`close_other_fds`]: Command::close_other_fds
    /// [`fd`]: Command::fd
    /// [`arg0`]: Command::arg0
    pub fn from_fd(fd: impl Into<OwnedFd>) -> Command {
        let fd = fd.into();
        let name = fd_path(&fd);
        let mut cmd = Command::new(name);
        cmd.spec.program_fd = Some(fd);
        cmd
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl Arg) -> &mut Self {
        self.spec.args.push(arg.into_arg_bytes());
        self
    }

    /// Adds arguments.
    pub fn args<I>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Arg,
    {
        self.spec
            .args
            .extend(args.into_iter().map(Arg::into_arg_bytes));
        self
    }

    /// Sets argv\[0\] (what the program sees as its name) instead of the
    /// program path.
    pub fn arg0(&mut self, arg0: impl Arg) -> &mut Self {
        self.spec.arg0 = Some(arg0.into_arg_bytes());
        self
    }

    /// Sets an environment variable in the child.
    pub fn env(&mut self, key: impl Arg, value: impl Arg) -> &mut Self {
        self.spec
            .env_changes
            .insert(key.into_arg_bytes(), Some(value.into_arg_bytes()));
        self
    }

    /// Sets several environment variables in the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Arg,
        V: Arg,
    {
        for (key, value) in vars {
            self.env(key, value);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl Arg) -> &mut Self {
        let key = key.into_arg_bytes();
        // As std: after env_clear there is nothing to remove it from.
        if self.spec.env_clear {
            self.spec.env_changes.remove(&key);
        } else {
            self.spec.env_changes.insert(key, None);
        }
        self
    }

    /// Starts the child with an empty environment (plus what [`env`] adds
    /// afterwards).
    ///
    /// [`env`]: Command::env
    pub fn env_clear(&mut self) -> &mut Self {
        self.spec.env_clear = true;
        self.spec.env_changes.clear();
        self
    }

    /// The child's working directory. It is entered after the uid change, so
    /// it is checked with the new user's permissions; a relative program
    /// path is then relative to it.
    pub fn current_dir(&mut self, dir: impl Arg) -> &mut Self {
        self.spec.current_dir = Some(dir.into_arg_bytes());
        self
    }

    /// The child's stdin (default: inherited; null for [`output`]).
    ///
    /// [`output`]: Command::output
    pub fn stdin(&mut self, stdio: impl Into<Stdio>) -> &mut Self {
        self.spec.stdio[0] = Some(stdio.into());
        self
    }

    /// The child's stdout (default: inherited; piped for [`output`]).
    ///
    /// [`output`]: Command::output
    pub fn stdout(&mut self, stdio: impl Into<Stdio>) -> &mut Self {
        self.spec.stdio[1] = Some(stdio.into());
        self
    }

    /// The child's stderr (default: inherited; piped for [`output`]).
    ///
    /// [`output`]: Command::output
    pub fn stderr(&mut self, stdio: impl Into<Stdio>) -> &mut Self {
        self.spec.stdio[2] = Some(stdio.into());
        self
    }

    /// Makes `fd` appear as fd number `child_fd` in the child (without
    /// close-on-exec), whatever the numbers involved: swaps and cycles are
    /// handled. `child_fd` 0–2 replaces the default stdio; setting the same
    /// target twice, or a target also set with `stdin`/`stdout`/`stderr`, is
    /// refused by `prepare()`.
    ///
    /// As with std's (unstable) `CommandExt::fd`, the fd goes to the next
    /// child: once [`spawn`], [`status`] or [`output`] has started it, the
    /// command closes its copy (so a reader of a pipe sees end-of-file when
    /// the child is done with it), and later spawns of the command no
    /// longer map it. A spawn that fails leaves it in the command.
    /// [`prepare`] copies it instead: every child of the `Prepared` gets
    /// it. (A [`Stdio`] made from an fd stays with the command until the
    /// command is dropped, as in std.)
    ///
    /// ```
    /// use clonexec::Command;
    /// use std::io::Read;
    /// let (mut reader, writer) = std::io::pipe().unwrap();
    /// let mut cmd = Command::new("sh");
    /// cmd.args(["-c", "echo mapped >&7"]).fd(7, writer);
    /// cmd.status().unwrap(); // the child had the write end; ours is closed
    /// let mut text = String::new();
    /// reader.read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "mapped\n");
    /// ```
    ///
    /// [`spawn`]: Command::spawn
    /// [`status`]: Command::status
    /// [`output`]: Command::output
    /// [`prepare`]: Command::prepare
    pub fn fd(&mut self, child_fd: i32, fd: impl Into<OwnedFd>) -> &mut Self {
        self.spec.fds.push((child_fd, fd.into()));
        self
    }

    /// Closes every fd that is not stdio or mapped with [`fd`] (default:
    /// inheritable fds are inherited, as with std).
    ///
    /// [`fd`]: Command::fd
    pub fn close_other_fds(&mut self, close: bool) -> &mut Self {
        self.spec.close_other_fds = close;
        self
    }

    /// Runs the child as user `uid` (`setresuid`). Unless [`groups`] or
    /// [`keep_groups`] says otherwise, the supplementary groups are cleared
    /// when the caller is allowed to. `u32::MAX` is refused: it is
    /// `(uid_t)-1`, which `setresuid` takes as "leave unchanged".
    ///
    /// [`groups`]: Command::groups
    /// [`keep_groups`]: Command::keep_groups
    pub fn uid(&mut self, uid: u32) -> &mut Self {
        self.spec.uid = Some(uid);
        self
    }

    /// Runs the child with group `gid` (`setresgid`). `u32::MAX` is refused
    /// (`(gid_t)-1`, "leave unchanged").
    pub fn gid(&mut self, gid: u32) -> &mut Self {
        self.spec.gid = Some(gid);
        self
    }

    /// Sets the child's supplementary groups (`setgroups`), none of which
    /// may be `u32::MAX` (`(gid_t)-1`).
    pub fn groups(&mut self, groups: &[u32]) -> &mut Self {
        self.spec.groups = Some(groups.to_vec());
        self
    }

    /// Keeps the caller's supplementary groups across a uid/gid change.
    pub fn keep_groups(&mut self, keep: bool) -> &mut Self {
        self.spec.keep_groups = keep;
        self
    }

    /// Starts the child in a new session (`setsid`).
    pub fn setsid(&mut self, setsid: bool) -> &mut Self {
        self.spec.setsid = setsid;
        self
    }

    /// Puts the child in process group `pgid` (`setpgid`); 0 makes a new
    /// group led by the child. With [`setsid(true)`](Command::setsid) the
    /// child already leads a new group: 0 is then a no-op and any other
    /// value is refused.
    pub fn process_group(&mut self, pgid: i32) -> &mut Self {
        self.spec.process_group = Some(pgid);
        self
    }

    /// Sends `signal` to the child when the thread that spawned it exits
    /// (`PR_SET_PDEATHSIG`). Set after the uid change (which would clear
    /// it); a parent that is already gone is detected too.
    ///
    /// Linux ties this to the spawning *thread*, not the process: spawn from
    /// a long-lived thread.
    pub fn pdeathsig(&mut self, signal: Signal) -> &mut Self {
        self.spec.pdeathsig = Some(signal);
        self
    }

    /// Raises these capabilities in the child's ambient set, so that they
    /// survive exec (and a uid change) into an unprivileged program. The
    /// caller must have them permitted.
    pub fn ambient_caps(&mut self, caps: impl IntoIterator<Item = Capability>) -> &mut Self {
        self.spec.ambient_caps = caps.into_iter().collect();
        self
    }

    /// Asks for a pidfd for the child ([`Child::pidfd`]), used for
    /// race-free `wait` and `kill`.
    pub fn create_pidfd(&mut self, create: bool) -> &mut Self {
        self.spec.create_pidfd = create;
        self
    }

    /// Sets the child's permitted, inheritable and effective capability
    /// sets (`capset`), after the uid change (the permitted set is kept
    /// across it for this). Each set may only shrink what the caller has.
    ///
    /// For a program run as uid 0, exec grants the bounding set again
    /// unless [`securebits`] has [`SecureBits::NOROOT`] or the bounding set
    /// is reduced with [`bounding_set`].
    ///
    /// [`securebits`]: Command::securebits
    /// [`bounding_set`]: Command::bounding_set
    pub fn capabilities(&mut self, sets: CapSet) -> &mut Self {
        self.spec.capabilities = Some(sets);
        self
    }

    /// Keeps only these capabilities in the child's bounding set (drops
    /// every other one up to the kernel's last capability). Needs
    /// `CAP_SETPCAP`; done before the uid change.
    pub fn bounding_set(&mut self, keep: impl IntoIterator<Item = Capability>) -> &mut Self {
        self.spec.bounding_set = Some(keep.into_iter().collect());
        self
    }

    /// Sets the child's securebits (`PR_SET_SECUREBITS`). Needs
    /// `CAP_SETPCAP`; done before the uid change, so that `KEEP_CAPS` and
    /// `NO_SETUID_FIXUP` apply to it.
    pub fn securebits(&mut self, bits: SecureBits) -> &mut Self {
        self.spec.securebits = Some(bits);
        self
    }

    /// Sets `no_new_privs`: exec can never grant privileges again (setuid
    /// bits and file capabilities are ignored). Lets an unprivileged caller
    /// install a seccomp filter.
    pub fn no_new_privs(&mut self, set: bool) -> &mut Self {
        self.spec.no_new_privs = set;
        self
    }

    /// Installs a classic BPF seccomp filter as the child's last step
    /// before exec (so it cannot block the setup). At most 4096
    /// instructions. Without [`no_new_privs(true)`] the caller needs
    /// `CAP_SYS_ADMIN`. The filter must allow `execve` (and `write` and
    /// `exit_group`, or a failed exec cannot be reported: a filter that
    /// kills on them makes a failed spawn look like a child killed by
    /// `SIGSYS`).
    ///
    /// [`no_new_privs(true)`]: Command::no_new_privs
    pub fn seccomp_filter(&mut self, filter: Vec<SockFilter>) -> &mut Self {
        self.spec.seccomp_filter = Some(filter);
        self
    }

    /// Flags for [`seccomp_filter`](Command::seccomp_filter) or
    /// [`seccomp`](Command::seccomp).
    pub fn seccomp_flags(&mut self, flags: SeccompFlags) -> &mut Self {
        self.spec.seccomp_flags = flags;
        self
    }

    /// Installs a seccomp policy by system call name, compiled by
    /// `prepare()` for the running architecture
    /// ([`SeccompArch::native`](crate::SeccompArch::native)), which refuses
    /// unknown names. It is installed where
    /// [`seccomp_filter`](Command::seccomp_filter) would be, last before
    /// exec, and the same rules hold: without
    /// [`no_new_privs(true)`](Command::no_new_privs) the caller needs
    /// `CAP_SYS_ADMIN`, and the policy must allow the program's `execve`.
    /// Cannot be combined with `seccomp_filter`.
    ///
    /// ```
    /// use clonexec::{Command, SeccompAction, SeccompPolicy};
    /// let out = Command::new("uname")
    ///     .no_new_privs(true)
    ///     .seccomp(SeccompPolicy::new(SeccompAction::Allow).deny(["uname"], SeccompAction::Errno(1)))
    ///     .output()?;
    /// assert!(!out.status.success());
    /// # Ok::<(), clonexec::Error>(())
    /// ```
    pub fn seccomp(&mut self, policy: SeccompPolicy) -> &mut Self {
        self.spec.seccomp_policy = Some(policy);
        self
    }

    /// Confines the child with a Landlock ruleset (see [`Landlock`]): which
    /// paths it may reach and which TCP ports it may use. Sets
    /// [`no_new_privs`](Command::no_new_privs), which the kernel requires;
    /// the child restricts itself right after setting it, after the uid
    /// change and the working directory, before the fds are placed and
    /// before seccomp.
    ///
    /// ```
    /// use clonexec::{Command, Landlock};
    /// let out = Command::new("touch")
    ///     .arg("/tmp/clonexec-landlock-doc")
    ///     .landlock(Landlock::new().read_only(["/"]))
    ///     .output()?;
    /// assert!(!out.status.success()); // nothing is writable
    /// assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    /// # Ok::<(), clonexec::Error>(())
    /// ```
    pub fn landlock(&mut self, landlock: Landlock) -> &mut Self {
        self.spec.landlock = Some(landlock);
        self
    }

    /// Sets a resource limit in the child (`prlimit64`); `u64::MAX`
    /// ([`Resource::INFINITY`]) is no limit. Setting the same resource
    /// again replaces the earlier value.
    pub fn rlimit(&mut self, resource: Resource, soft: u64, hard: u64) -> &mut Self {
        self.spec.rlimits.retain(|(r, _, _)| *r != resource);
        self.spec.rlimits.push((resource, soft, hard));
        self
    }

    /// Sets the child's OOM-killer adjustment (-1000 to 1000; lowering it
    /// below the caller's needs `CAP_SYS_RESOURCE`).
    ///
    /// Refused together with a user namespace that has id maps: on that
    /// path the child shares the caller's memory without `CLONE_VFORK`, and
    /// the kernel would copy the value to the caller as well. (Set it on the
    /// caller instead; the child inherits it.)
    pub fn oom_score_adj(&mut self, adj: i32) -> &mut Self {
        self.spec.oom_score_adj = Some(adj);
        self
    }

    /// Sets the child's execution domain (`personality(2)`, e.g.
    /// `ADDR_NO_RANDOMIZE` = 0x0040000).
    pub fn personality(&mut self, persona: u32) -> &mut Self {
        self.spec.personality = Some(persona);
        self
    }

    /// Makes the child a tracee of the caller (`PTRACE_TRACEME`): it stops
    /// with `SIGTRAP` at exec, before running any of the program.
    pub fn ptrace_traceme(&mut self, trace: bool) -> &mut Self {
        self.spec.ptrace_traceme = trace;
        self
    }

    /// Makes the child's process group the foreground group of this
    /// terminal (`TIOCSPGRP`), as shells do for a job. Usually with
    /// [`process_group(0)`](Command::process_group).
    pub fn foreground(&mut self, tty: impl Into<OwnedFd>) -> &mut Self {
        self.spec.foreground = Some(tty.into());
        self
    }

    /// Makes the terminal open at `child_fd` (a number in the child, after
    /// the fd mapping) the child's controlling terminal (`TIOCSCTTY`).
    /// Needs [`setsid(true)`](Command::setsid).
    pub fn controlling_tty(&mut self, child_fd: i32) -> &mut Self {
        self.spec.controlling_tty = Some(child_fd);
        self
    }

    /// Detaches the child from its controlling terminal (`TIOCNOTTY`).
    pub fn no_controlling_tty(&mut self, detach: bool) -> &mut Self {
        self.spec.no_controlling_tty = detach;
        self
    }

    /// Starts a new session when any of the child's stdin, stdout or
    /// stderr is a terminal, so that it cannot push input into the
    /// caller's terminal with `TIOCSTI`.
    pub fn setsid_if_tty(&mut self, setsid: bool) -> &mut Self {
        self.spec.setsid_if_tty = setsid;
        self
    }

    /// The child's signal mask at exec (default: the caller's mask at the
    /// time of the spawn).
    pub fn signal_mask(&mut self, mask: SigSet) -> &mut Self {
        self.spec.signal_mask = Some(mask);
        self
    }

    /// Also resets ignored signals (`SIG_IGN`) to their default action.
    /// Caught signals are always reset; SIGPIPE always is.
    pub fn reset_ignored_signals(&mut self, reset: bool) -> &mut Self {
        self.spec.reset_ignored_signals = reset;
        self
    }

    /// Schedules a closure to run in the child just before `execve`, after
    /// every other attribute has been applied except `ptrace_traceme` and
    /// the seccomp filter, with the program's signal mask — the same
    /// contract as std's `CommandExt::pre_exec`. Hooks run in the order
    /// added; the first that fails (or panics) makes the spawn fail with
    /// [`Step::PreExec`](crate::Step::PreExec) and its error.
    ///
    /// **This is the one configuration that does not share the caller's
    /// memory**: user code may write to memory, which the shared-memory
    /// child must never do, so the child is a fork (`clone` without
    /// `CLONE_VM`). Its cost grows with the caller's memory, as std's fork
    /// path does; every other attribute keeps the flat cost.
    ///
    /// # Safety
    ///
    /// As for std: the closure runs in a forked copy of a possibly
    /// multi-threaded process, where only async-signal-safe work is sound
    /// (another thread may have held a lock at the fork, and the copy has
    /// only the calling thread). The fork is a raw `clone`, not libc's
    /// `fork()`, so libc's fork handlers do not run either: not even the
    /// allocator is safe in a multi-threaded caller, on glibc or musl. Do
    /// not allocate, lock or panic there (a panic allocates; a hook that
    /// does hangs if a lock was held at the fork). In a single-threaded
    /// caller, and in [`exec`](Command::exec), any code is fine. The
    /// closure must not touch the parent's resources in ways that break
    /// them (stdio buffers shared with the parent, for instance).
    ///
    /// ```
    /// use clonexec::Command;
    /// let mut cmd = Command::new("true");
    /// // SAFETY: setsid() is async-signal-safe.
    /// unsafe {
    ///     cmd.pre_exec(|| {
    ///         rustix::process::setsid()?;
    ///         Ok(())
    ///     });
    /// }
    /// assert!(cmd.status().unwrap().success());
    /// ```
    #[cfg(feature = "std")]
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Self
    where
        F: FnMut() -> std::io::Result<()> + Send + Sync + 'static,
    {
        self.spec
            .pre_exec
            .push(crate::pre_exec::Hook::new(alloc::boxed::Box::new(f)));
        self
    }

    /// Gives the child a fresh, anonymous session keyring
    /// (`KEYCTL_JOIN_SESSION_KEYRING`), so it cannot reach the caller's keys.
    pub fn new_session_keyring(&mut self, new: bool) -> &mut Self {
        self.spec.new_session_keyring = new;
        self
    }

    /// Starts the child in new namespaces (clone flags, so it is born in
    /// them: with [`Namespaces::PID`] the program is pid 1).
    /// [`Namespaces::TIME`] needs clone3 (Linux 5.3+).
    ///
    /// With [`Namespaces::USER`] and id maps the parent writes the maps while
    /// the child waits, so the child shares our memory without
    /// `CLONE_VFORK`; the spawn still never copies the parent's memory.
    ///
    /// ```no_run
    /// use clonexec::{Command, IdMap, Namespaces};
    /// let uid = rustix::process::getuid().as_raw();
    /// let out = Command::new("id")
    ///     .arg("-u")
    ///     .namespaces(Namespaces::USER | Namespaces::NET)
    ///     .uid_map([IdMap::new(0, uid, 1)])
    ///     .output()
    ///     .unwrap();
    /// assert_eq!(out.stdout, b"0\n");
    /// ```
    pub fn namespaces(&mut self, namespaces: Namespaces) -> &mut Self {
        self.spec.namespaces = namespaces;
        self
    }

    /// The uid map of the new user namespace, written by the parent to
    /// `/proc/PID/uid_map`. Unprivileged callers may map only their own uid
    /// (one line, count 1) unless [`id_map_helpers`] is on. No range may
    /// contain `u32::MAX` (`(uid_t)-1`), which the kernel refuses.
    ///
    /// [`id_map_helpers`]: Command::id_map_helpers
    pub fn uid_map(&mut self, maps: impl IntoIterator<Item = IdMap>) -> &mut Self {
        self.spec.uid_map = maps.into_iter().collect();
        self
    }

    /// The gid map of the new user namespace (`/proc/PID/gid_map`).
    pub fn gid_map(&mut self, maps: impl IntoIterator<Item = IdMap>) -> &mut Self {
        self.spec.gid_map = maps.into_iter().collect();
        self
    }

    /// Whether `setgroups` is allowed in the new user namespace
    /// (`/proc/PID/setgroups`). The kernel lets a caller without
    /// `CAP_SETGID` write a gid map only after writing `deny`; so by default
    /// clonexec writes `deny` exactly when a gid map is given and the caller
    /// lacks `CAP_SETGID`, and leaves the kernel's `allow` otherwise.
    /// `allow_setgroups(true)` for an unprivileged caller makes the gid map
    /// write fail with `EPERM`.
    pub fn allow_setgroups(&mut self, allow: bool) -> &mut Self {
        self.spec.allow_setgroups = Some(allow);
        self
    }

    /// Writes the id maps with the setuid helpers `newuidmap`/`newgidmap`
    /// (package `uidmap`), which let an unprivileged user map the ranges
    /// granted in `/etc/subuid` and `/etc/subgid`.
    pub fn id_map_helpers(&mut self, helpers: bool) -> &mut Self {
        self.spec.id_map_helpers = helpers;
        self
    }

    /// Joins the existing namespace `fd` refers to (from
    /// `/proc/PID/ns/KIND`, or a pidfd with several kinds) with `setns`; a
    /// user namespace is joined first. Creating and joining the same kind
    /// is refused.
    pub fn join_namespace(&mut self, fd: impl Into<OwnedFd>, kind: Namespaces) -> &mut Self {
        self.spec.join_namespaces.push((fd.into(), kind));
        self
    }

    /// Starts the child directly in the cgroup v2 directory `dir`
    /// (`CLONE_INTO_CGROUP`, clone3 only, Linux 5.7+): no moment outside
    /// it.
    pub fn cgroup(&mut self, dir: impl Into<OwnedFd>) -> &mut Self {
        self.spec.cgroup = Some(dir.into());
        self
    }

    /// Mount propagation of `/` in the new mount namespace (default
    /// [`Propagation::Private`], so the child's mounts never reach the host).
    pub fn mount_propagation(&mut self, propagation: Propagation) -> &mut Self {
        self.spec.mount_propagation = Some(propagation);
        self
    }

    /// The hostname in the new (or joined) UTS namespace.
    pub fn hostname(&mut self, name: impl Arg) -> &mut Self {
        self.spec.hostname = Some(name.into_arg_bytes());
        self
    }

    /// The NIS domain name in the new (or joined) UTS namespace.
    pub fn domainname(&mut self, name: impl Arg) -> &mut Self {
        self.spec.domainname = Some(name.into_arg_bytes());
        self
    }

    /// Brings the loopback interface up in the new network namespace (it
    /// starts down).
    pub fn loopback_up(&mut self, up: bool) -> &mut Self {
        self.spec.loopback_up = up;
        self
    }

    /// Adds a mount, made in the new mount namespace after the propagation
    /// change and before `chroot`/`pivot_root`, in the order added.
    pub fn mount(&mut self, mount: Mount) -> &mut Self {
        self.spec.mounts.push(mount);
        self
    }

    /// Builds the program's root from an empty tmpfs, as bubblewrap does:
    /// the child mounts a tmpfs (on `/tmp`, hidden again by the root
    /// change) and enters it, makes the [`mount`](Command::mount)s in it,
    /// then makes it the root with `pivot_root`, the caller's root
    /// detached. Every path a [`Mount`] creates or changes is then a path
    /// in the new root, made as needed; bind sources (and the device nodes
    /// of [`Mount::dev`]) stay paths of the caller's filesystem, resolved
    /// when the command is prepared. Needs a new mount namespace
    /// ([`Namespaces::MOUNT`]); excludes [`chroot`](Command::chroot) and
    /// [`pivot_root`](Command::pivot_root).
    ///
    /// Without [`current_dir`](Command::current_dir), the program starts in
    /// the caller's working directory if the new root has it, else in its
    /// `$HOME`, else in `/`, with `PWD` set to it.
    ///
    /// ```no_run
    /// use clonexec::{Command, Mount, Namespaces};
    /// let status = Command::new("/usr/bin/ls")
    ///     .arg("/")
    ///     .namespaces(Namespaces::MOUNT)
    ///     .empty_root(true)
    ///     .mount(Mount::bind("/usr", "/usr").read_only())
    ///     .mount(Mount::symlink("usr/lib", "/lib"))
    ///     .mount(Mount::symlink("usr/lib64", "/lib64"))
    ///     .status()
    ///     .unwrap();
    /// ```
    pub fn empty_root(&mut self, empty: bool) -> &mut Self {
        self.spec.empty_root = empty;
        self
    }

    /// Changes the child's root directory to `dir` (and its working
    /// directory to the new `/`, unless [`current_dir`] is set).
    ///
    /// [`current_dir`]: Command::current_dir
    pub fn chroot(&mut self, dir: impl Arg) -> &mut Self {
        self.spec.chroot = Some(dir.into_arg_bytes());
        self
    }

    /// Makes `new_root` the root of the new mount namespace with
    /// `pivot_root`, and detaches the old root so nothing of it stays
    /// reachable. Needs [`Namespaces::MOUNT`].
    pub fn pivot_root(&mut self, new_root: impl Arg) -> &mut Self {
        self.spec.pivot_root = Some(new_root.into_arg_bytes());
        self
    }

    /// Runs a small init as pid 1 of the new PID namespace, with the
    /// program as its child: it reaps orphans (which a program not written
    /// to be pid 1 would leave as zombies), forwards `SIGTERM`, `SIGINT`,
    /// `SIGHUP`, `SIGQUIT`, `SIGUSR1`, `SIGUSR2` and `SIGWINCH` to the program, and
    /// exits with the program's status (128 + N when signal N killed it).
    /// [`Child::id`] is the init's pid. Needs [`Namespaces::PID`].
    ///
    /// The init is safe to leave beside a hostile program: before the
    /// program may run, the init has exec'd a tiny executable of its own
    /// (a few hundred bytes of machine code written to a sealed memfd), so
    /// no process of the sandbox shares the caller's memory or holds any of
    /// the caller's fds, and ptracing pid 1 reaches nothing of the caller.
    /// Spawning still copies none of the caller's memory. The init resets
    /// an ignored `SIGCHLD` for itself (it could not see the program end);
    /// the program keeps the caller's dispositions.
    ///
    /// Cannot be combined with [`ptrace_traceme`](Command::ptrace_traceme)
    /// (the tracer would be the init).
    ///
    /// [`Child::id`]: crate::Child::id
    pub fn pid1_init(&mut self, init: bool) -> &mut Self {
        self.spec.pid1_init = init;
        self
    }

    /// Locks the mounts together, as Guix does: after the mounts, the root
    /// change and the uid change, the child enters a user and mount
    /// namespace of its own that maps only its final uid and gid. The mounts
    /// then come from a more privileged namespace, so the kernel refuses to
    /// unmount or move any one of them on its own: the program cannot
    /// uncover what a mount hides. Needs [`Namespaces::MOUNT`]; with it,
    /// `setgroups` is denied and only the final uid and gid exist.
    ///
    /// In a new user namespace, [`uid`](Command::uid) and
    /// [`gid`](Command::gid) then name the program's ids in the nested
    /// namespace, mapped over the child's ids there instead of set with
    /// `setresuid` (after which the child could not write its own maps):
    /// map uid 0 in the outer namespace (which a `devpts` mount needs) and
    /// still run the program as uid 1000, as bubblewrap does. Without a
    /// user namespace of the child's, `uid`/`gid` are refused here, as is
    /// [`groups`](Command::groups).
    ///
    /// ```no_run
    /// use clonexec::{Command, IdMap, Mount, Namespaces};
    /// let (me, my_group) = (1000, 1000); // the caller's ids
    /// let status = Command::new("id")
    ///     .namespaces(Namespaces::USER | Namespaces::MOUNT)
    ///     .uid_map([IdMap::new(0, me, 1)])
    ///     .gid_map([IdMap::new(0, my_group, 1)])
    ///     .mount(Mount::devpts("/dev/pts"))
    ///     .lock_mounts(true)
    ///     .uid(me)
    ///     .gid(my_group)
    ///     .status()
    ///     .unwrap();
    /// ```
    pub fn lock_mounts(&mut self, lock: bool) -> &mut Self {
        self.spec.lock_mounts = lock;
        self
    }

    /// Keeps the program from creating user namespaces, as bubblewrap's
    /// `--disable-userns`: in its new user namespace, the child allows one
    /// more below it (`max_user_namespaces` = 1), uses it to
    /// [lock the mounts](Command::lock_mounts), and checks that no other
    /// can be made. Needs [`Namespaces::USER`]; implies `lock_mounts`.
    pub fn disable_user_namespaces(&mut self, disable: bool) -> &mut Self {
        self.spec.disable_user_namespaces = disable;
        self
    }

    /// Validates and lowers the command into a [`Prepared`] that can be
    /// spawned many times without re-doing this work (argv, envp, PATH
    /// candidates, fd plan). The `Prepared` owns copies of the fds given
    /// with [`fd`]/[`Stdio::from`], so the command may be dropped.
    ///
    /// The child's environment is fixed here: changes this process makes to
    /// its own environment later (`std::env::set_var`) do not reach a
    /// `Prepared`'s children. [`spawn`](Command::spawn), [`status`] and
    /// [`output`] instead pass this process's environment as it is at the
    /// spawn, as std does, without copying it when the command does not
    /// change it.
    ///
    /// ```
    /// use clonexec::Command;
    /// let prepared = Command::new("true").prepare().unwrap();
    /// for _ in 0..3 {
    ///     assert!(prepared.spawn().unwrap().wait().unwrap().success());
    /// }
    /// ```
    ///
    /// [`fd`]: Command::fd
    /// [`status`]: Command::status
    /// [`output`]: Command::output
    pub fn prepare(&self) -> Result<Prepared, Error> {
        prepare(
            &self.spec,
            [DefaultStdio::Inherit; 3],
            EnvCapture::AtPrepare,
        )
        .map(Prepared::new)
    }

    /// Starts the program and returns its handle.
    pub fn spawn(&mut self) -> Result<Child, Error> {
        let plan = prepare(&self.spec, [DefaultStdio::Inherit; 3], EnvCapture::AtSpawn)?;
        self.spawn_plan(plan)
    }

    /// Spawns `plan`, made from this command, and hands the `fd()`
    /// mappings to that child (see [`fd`](Command::fd)): how every
    /// one-off spawn of a `Command` ends, here and in `clonexec::tokio`.
    pub(crate) fn spawn_plan(&mut self, plan: Plan) -> Result<Child, Error> {
        let child = Prepared::new(plan).spawn()?;
        self.spec.fds.clear();
        Ok(child)
    }

    /// Applies every attribute to the calling process itself and replaces
    /// it with the program (`execve`), as std's `CommandExt::exec` does:
    /// returns only on failure. New namespaces come from `unshare` (with
    /// the id maps written by a short-lived helper child that stays outside
    /// the new user namespace), the cgroup from writing `cgroup.procs`.
    ///
    /// Refused before anything changes: a new PID or time namespace and
    /// `pid1_init` (they would only apply to children), piped stdio,
    /// `create_pidfd`, `id_map_helpers`. A new user namespace needs a
    /// single-threaded process (the kernel's rule for `unshare`), and
    /// `setsid` fails if the process already leads its group. Once a step
    /// has changed the process, a later failure leaves it changed (as with
    /// std): the error names the step.
    ///
    /// ```no_run
    /// use clonexec::Command;
    /// let err = Command::new("sh").arg("-c").arg("echo replaced").exec();
    /// // Only reached if the exec failed.
    /// panic!("{err}");
    /// ```
    pub fn exec(&mut self) -> Error {
        match prepare(&self.spec, [DefaultStdio::Inherit; 3], EnvCapture::AtSpawn) {
            Ok(plan) => crate::exec::exec(plan),
            Err(error) => error,
        }
    }

    /// Runs the program to completion with inherited stdio and returns its
    /// exit status.
    pub fn status(&mut self) -> Result<ExitStatus, Error> {
        self.spawn()?.wait()
    }

    /// Runs the program to completion, collecting stdout and stderr. Unless
    /// set otherwise, stdin is `/dev/null` and stdout/stderr are piped, as
    /// with std.
    pub fn output(&mut self) -> Result<Output, Error> {
        let defaults = [DefaultStdio::Null, DefaultStdio::Piped, DefaultStdio::Piped];
        let plan = prepare(&self.spec, defaults, EnvCapture::AtSpawn)?;
        self.spawn_plan(plan)?.wait_with_output()
    }

    /// What the user asked for, for `crate::tokio::Command`, which spawns
    /// with its own stdio defaults and a pidfd.
    #[cfg(feature = "tokio")]
    pub(crate) fn spec(&self) -> &Spec {
        &self.spec
    }

    /// A command with the program, arguments, environment changes and
    /// working directory of a `std::process::Command`.
    ///
    /// std does not reveal whether `env_clear()` was called on it, nor its
    /// stdio, uid/gid or `pre_exec` settings: set those again here.
    #[cfg(feature = "std")]
    pub fn from_std(cmd: &std::process::Command) -> Command {
        let mut new = Command::new(cmd.get_program());
        new.args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => new.env(key, value),
                None => new.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            new.current_dir(dir);
        }
        new
    }
}

/// The path `fd` was opened with, from `/proc/self/fd/N`, or `fd N`.
fn fd_path(fd: &OwnedFd) -> Vec<u8> {
    crate::prepare::fd_path(fd)
        .unwrap_or_else(|| alloc::format!("fd {}", rustix::fd::AsRawFd::as_raw_fd(fd)).into_bytes())
}
