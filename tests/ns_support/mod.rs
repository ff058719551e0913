//! Helpers for the namespace and filesystem-view tests (`namespaces.rs`,
//! `filesystem.rs`): re-running the test binary as a helper inside a
//! namespace, hand-made static programs for a bare root, and small readers.
//!
//! Each including file declares `mod common;` first; this module uses its
//! `TempDir`.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use clonexec::{Child, Command, Output};

use crate::common::TempDir;

/// Returns `true` (after saying why) when a test that spawns children in
/// namespaces must skip: it needs root, and the real kernel (qemu-user,
/// flagged by `CLONEXEC_UNDER_QEMU=1` in .ci/cross.sh, refuses namespace
/// clone flags and cannot exec the target's programs from a child).
pub fn skip(test: &str) -> bool {
    if crate::common::skip_under_qemu(
        test,
        "needs namespaces or a cgroup at clone: clone refuses CLONE_NEW* flags (EINVAL), clone3 is missing (ENOSYS)",
    ) {
        return true;
    }
    crate::common::skip_unless_root(test)
}

/// The environment variable that selects a helper's mode.
pub const HELPER_MODE: &str = "CLONEXEC_NS_HELPER";
/// Extra input for a helper (a directory, an inode...).
pub const HELPER_ARG: &str = "CLONEXEC_NS_HELPER_ARG";

/// Tests in one file share this: the leak test takes it for writing (so
/// no other test opens fds or leaves zombies meanwhile), the others for
/// reading.
static FILE_LOCK: RwLock<()> = RwLock::new(());

pub fn shared() -> RwLockReadGuard<'static, ()> {
    FILE_LOCK.read().unwrap_or_else(|p| p.into_inner())
}

pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    FILE_LOCK.write().unwrap_or_else(|p| p.into_inner())
}

/// The helper mode this process was started in, if any (`None` when the
/// ignored helper test is run by hand with `--ignored`).
pub fn helper_mode() -> Option<String> {
    std::env::var(HELPER_MODE).ok()
}

pub fn helper_arg() -> String {
    std::env::var(HELPER_ARG).unwrap_or_default()
}

/// A command running the ignored test `name` of this test binary (at
/// `exe`) alone, in helper `mode`.
pub fn helper_command(exe: &Path, name: &str, mode: &str, arg: &str) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(HELPER_MODE, mode)
    .env(HELPER_ARG, arg)
    .env("RUST_BACKTRACE", "1");
    cmd
}

/// What a helper run said: `Ok(())` when it finished its checks, `Err`
/// with its reason when it skipped. Panics (with the helper's output) when
/// it failed.
pub fn helper_result(mode: &str, out: &Output) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = || {
        format!(
            "status {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        )
    };
    assert!(out.status.success(), "helper {mode} failed: {}", shown());
    // A note is a check the helper could not make here: a partial skip.
    for note in stdout.lines().filter_map(|l| l.split_once("note: ")) {
        crate::common::skip(&format!("a check of helper {mode}"), note.1);
    }
    if let Some(line) = stdout
        .lines()
        .find(|l| l.contains(&format!("helper-skip {mode}:")))
    {
        return Err(line.to_string());
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.ends_with(&format!("helper-done {mode}"))),
        "helper {mode} did not run its checks: {}",
        shown()
    );
    Ok(())
}

/// A copy of this test binary that any user can run: the original may sit
/// under a 0700 directory (such as /root). The directory (0755) is removed
/// when the returned `TempDir` drops.
///
/// Call it holding the file lock ([`shared`]): it spawns `cp` (see
/// [`crate::common::copy_executable`]), which the leak test must not see.
pub fn world_runnable_copy_of_self() -> (TempDir, PathBuf) {
    let dir = TempDir::new("self-copy");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let exe = std::env::current_exe().expect("current_exe");
    let copy = dir.path().join("test-binary");
    crate::common::copy_executable(&exe, &copy);
    (dir, copy)
}

/// `readlink /proc/self/ns/<name>` of this process (`"net:[4026531840]"`).
pub fn own_ns(name: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{name}"))
        .unwrap_or_else(|e| panic!("readlink /proc/self/ns/{name}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// The namespace links of process `pid`.
pub fn ns_of(pid: u32, name: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{name}"))
        .unwrap_or_else(|e| panic!("readlink /proc/{pid}/ns/{name}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// Runs `cmd` to completion, asserting success, and returns its stdout.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("spawn failed: {e}"));
    assert!(
        out.status.success(),
        "child failed with {}: stdout {:?} stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Kills and reaps a child when dropped (so a failing assertion leaves no
/// sleeper behind).
pub struct Reaper(pub Option<Child>);

impl Reaper {
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child already reaped")
    }

    /// Kills and reaps now; returns the status.
    pub fn finish(&mut self) -> clonexec::ExitStatus {
        let mut child = self.0.take().expect("child already reaped");
        let _ = child.kill();
        child.wait().expect("wait")
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Tiny static x86_64 programs, built from bytes, for a root that holds
/// nothing else (no loader, no libc).
#[cfg(target_arch = "x86_64")]
pub mod static_prog {
    /// A static ELF executable whose one loadable segment is the headers
    /// followed by `code`, entered at the start of `code`.
    fn elf(code: &[u8]) -> Vec<u8> {
        const BASE: u64 = 0x40_0000;
        const HEADERS: u64 = 64 + 56;
        let total = HEADERS + code.len() as u64;
        let mut f = Vec::with_capacity(total as usize);
        // ELF header: 64-bit, little endian, version 1, System V ABI.
        f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f.extend_from_slice(&0x3eu16.to_le_bytes()); // EM_X86_64
        f.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
        f.extend_from_slice(&(BASE + HEADERS).to_le_bytes()); // e_entry
        f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        f.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
        f.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
        f.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
        f.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
        // Program header: PT_LOAD, R+X, the whole file at BASE.
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&5u32.to_le_bytes());
        f.extend_from_slice(&0u64.to_le_bytes());
        f.extend_from_slice(&BASE.to_le_bytes());
        f.extend_from_slice(&BASE.to_le_bytes());
        f.extend_from_slice(&total.to_le_bytes());
        f.extend_from_slice(&total.to_le_bytes());
        f.extend_from_slice(&0x1000u64.to_le_bytes());
        assert_eq!(f.len() as u64, HEADERS);
        f.extend_from_slice(code);
        f
    }

    /// `write(1, message)`, then `pause()` if asked (until killed), then
    /// `exit(0)`.
    pub fn print(message: &[u8], pause: bool) -> Vec<u8> {
        let mut code = Vec::new();
        code.extend_from_slice(&[0xb8, 1, 0, 0, 0]); // mov eax, 1 (write)
        code.extend_from_slice(&[0xbf, 1, 0, 0, 0]); // mov edi, 1
        code.extend_from_slice(&[0x48, 0x8d, 0x35, 0, 0, 0, 0]); // lea rsi, [rip+msg]
        let lea_end = code.len();
        code.push(0xba); // mov edx, len
        code.extend_from_slice(&(message.len() as u32).to_le_bytes());
        code.extend_from_slice(&[0x0f, 0x05]); // syscall
        if pause {
            code.extend_from_slice(&[0xb8, 34, 0, 0, 0, 0x0f, 0x05]); // pause()
        }
        code.extend_from_slice(&[0xb8, 60, 0, 0, 0]); // mov eax, 60 (exit)
        code.extend_from_slice(&[0x31, 0xff]); // xor edi, edi
        code.extend_from_slice(&[0x0f, 0x05]); // syscall
        let disp = (code.len() - lea_end) as u32;
        code[lea_end - 4..lea_end].copy_from_slice(&disp.to_le_bytes());
        code.extend_from_slice(message);
        elf(&code)
    }

    /// `exit(access(argv[1], F_OK) == 0 ? 0 : errno)`: exits 0 when the
    /// path exists, 2 (`ENOENT`) when it does not.
    pub fn exists() -> Vec<u8> {
        elf(&[
            0xb8, 21, 0, 0, 0, // mov eax, 21 (access)
            0x48, 0x8b, 0x7c, 0x24, 0x10, // mov rdi, [rsp+16] (argv[1])
            0x31, 0xf6, // xor esi, esi (F_OK)
            0x0f, 0x05, // syscall
            0xf7, 0xd8, // neg eax
            0x89, 0xc7, // mov edi, eax
            0xb8, 60, 0, 0, 0, // mov eax, 60 (exit)
            0x0f, 0x05, // syscall
        ])
    }
}

/// Writes `bytes` as an executable file `dir/name` (0755), with
/// [`crate::common::write_executable`] (no write fd of ours on it, so no
/// `ETXTBSY` when it runs).
///
/// Call it holding the file lock ([`shared`]): it spawns a subprocess,
/// which the leak test must not see.
pub fn install(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    crate::common::write_executable(&path, bytes);
    path
}

/// The mount points listed in `/proc/PID/mountinfo` (field 5).
pub fn mount_points(pid: &str) -> Vec<String> {
    fs::read_to_string(format!("/proc/{pid}/mountinfo"))
        .expect("read mountinfo")
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(String::from))
        .collect()
}

/// Entries of a directory, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
