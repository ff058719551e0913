//! The program the benchmarks spawn: a static executable that only calls
//! `exit_group(0)`, so that exec costs as little as exec can.
//!
//! It is written from bytes (a 129-byte ELF for x86_64, 132 for aarch64:
//! one ELF header, one `PT_LOAD`, three instructions), so no toolchain is
//! needed. Elsewhere, or if it does not run, it is compiled with
//! `gcc -static -nostdlib` (or `gcc -static` from a C `main`); the last
//! resort is `/bin/true`.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The no-op program in a world-readable temporary directory (so it also
/// runs as `nobody`). The directory is removed on drop.
pub struct NoopProgram {
    path: PathBuf,
    how: String,
    dir: Option<PathBuf>,
}

impl NoopProgram {
    /// Writes (or compiles) the no-op and checks that it exits 0.
    ///
    /// `CLONEXEC_BENCH_NOOP=gcc` skips the ELF bytes (to test the fallback).
    pub fn create() -> NoopProgram {
        let dir = make_dir();
        if let Some(dir) = &dir {
            let force_gcc = std::env::var("CLONEXEC_BENCH_NOOP").is_ok_and(|v| v == "gcc");
            if !force_gcc
                && let Some(bytes) = elf_bytes()
                && let Some(path) = write_exec(dir, "noop", &bytes)
                && runs_ok(&path)
            {
                return NoopProgram {
                    path,
                    how: format!("static ELF written from {} bytes", bytes.len()),
                    dir: Some(dir.clone()),
                };
            }
            if let Some((path, how)) = compile_with_gcc(dir) {
                return NoopProgram {
                    path,
                    how,
                    dir: Some(dir.clone()),
                };
            }
            let _ = std::fs::remove_dir_all(dir);
        }
        NoopProgram {
            path: PathBuf::from("/bin/true"),
            how: String::from("FALLBACK /bin/true (no static no-op could be made)"),
            dir: None,
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as a C string.
    pub fn c_path(&self) -> CString {
        CString::new(self.path.as_os_str().as_bytes()).expect("temp path has no NUL")
    }

    /// How it was made, for the report.
    pub fn how(&self) -> &str {
        &self.how
    }
}

impl Drop for NoopProgram {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A fresh 0755 directory under the temp dir.
fn make_dir() -> Option<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("clonexec-bench-{}-{nanos:x}", std::process::id()));
    std::fs::create_dir(&dir).ok()?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).ok()?;
    Some(dir)
}

/// Writes an executable file and closes it (an fd open for writing would
/// make exec fail with ETXTBSY).
fn write_exec(dir: &Path, name: &str, bytes: &[u8]) -> Option<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).ok()?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).ok()?;
    Some(path)
}

fn runs_ok(path: &Path) -> bool {
    Command::new(path).status().is_ok_and(|s| s.success())
}

/// A minimal static ELF64 executable for this architecture that calls
/// `exit_group(0)`, or `None` where we have no encoding.
pub fn elf_bytes() -> Option<Vec<u8>> {
    let (machine, code): (u16, &[u8]) = if cfg!(target_arch = "x86_64") {
        (
            62, // EM_X86_64
            &[
                0x31, 0xff, // xor edi, edi
                0xb8, 0xe7, 0x00, 0x00, 0x00, // mov eax, 231 (exit_group)
                0x0f, 0x05, // syscall
            ],
        )
    } else if cfg!(target_arch = "aarch64") {
        (
            183, // EM_AARCH64
            &[
                0x00, 0x00, 0x80, 0xd2, // mov x0, #0
                0xc8, 0x0b, 0x80, 0xd2, // mov x8, #94 (exit_group)
                0x01, 0x00, 0x00, 0xd4, // svc #0
            ],
        )
    } else {
        return None;
    };
    if !cfg!(target_endian = "little") {
        return None;
    }
    const BASE: u64 = 0x40_0000;
    const EHDR: u64 = 64;
    const PHDR: u64 = 56;
    let total = EHDR + PHDR + code.len() as u64;
    let mut b = Vec::with_capacity(total as usize);
    // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, System V ABI.
    b.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&2u16.to_le_bytes()); // e_type: ET_EXEC
    b.extend_from_slice(&machine.to_le_bytes()); // e_machine
    b.extend_from_slice(&1u32.to_le_bytes()); // e_version
    b.extend_from_slice(&(BASE + EHDR + PHDR).to_le_bytes()); // e_entry
    b.extend_from_slice(&EHDR.to_le_bytes()); // e_phoff
    b.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    b.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    b.extend_from_slice(&(EHDR as u16).to_le_bytes()); // e_ehsize
    b.extend_from_slice(&(PHDR as u16).to_le_bytes()); // e_phentsize
    b.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    b.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    // The one program header: map the whole file read+execute at BASE.
    b.extend_from_slice(&1u32.to_le_bytes()); // p_type: PT_LOAD
    b.extend_from_slice(&5u32.to_le_bytes()); // p_flags: PF_R | PF_X
    b.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    b.extend_from_slice(&BASE.to_le_bytes()); // p_vaddr
    b.extend_from_slice(&BASE.to_le_bytes()); // p_paddr
    b.extend_from_slice(&total.to_le_bytes()); // p_filesz
    b.extend_from_slice(&total.to_le_bytes()); // p_memsz
    b.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    b.extend_from_slice(code);
    debug_assert_eq!(b.len() as u64, total);
    Some(b)
}

const NOSTDLIB_C: &str = r#"
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n mov $231, %eax\n xor %edi, %edi\n syscall\n");
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n mov x0, #0\n mov x8, #94\n svc #0\n");
#elif defined(__riscv)
__asm__(".globl _start\n_start:\n li a0, 0\n li a7, 94\n ecall\n");
#else
#error "no _start for this architecture"
#endif
"#;

const MAIN_C: &str = "int main(void) { return 0; }\n";

/// `gcc -static -nostdlib`, then `gcc -static` with a C `main`.
fn compile_with_gcc(dir: &Path) -> Option<(PathBuf, String)> {
    let attempts: [(&str, &str, &[&str]); 2] = [
        (
            "noop_nostdlib.c",
            NOSTDLIB_C,
            &["-static", "-nostdlib", "-O2"],
        ),
        ("noop_main.c", MAIN_C, &["-static", "-O2"]),
    ];
    for (source, text, flags) in attempts {
        let src = dir.join(source);
        let out = dir.join("noop");
        let _ = std::fs::remove_file(&out);
        if std::fs::write(&src, text).is_err() {
            continue;
        }
        let compiled = Command::new("gcc")
            .args(flags)
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if compiled
            && std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).is_ok()
            && runs_ok(&out)
        {
            return Some((out, format!("gcc {} {source}", flags.join(" "))));
        }
    }
    None
}
