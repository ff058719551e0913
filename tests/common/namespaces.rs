//! Namespace views (`/proc/PID/ns` links, mount points) and tiny static
//! programs for a root that holds nothing else.

use std::fs;

/// `readlink /proc/self/ns/<name>` of this process (`"net:[4026531840]"`).
pub fn own_ns(name: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{name}"))
        .unwrap_or_else(|e| panic!("readlink /proc/self/ns/{name}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// The namespace link `name` of process `pid`.
pub fn ns_of(pid: u32, name: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{name}"))
        .unwrap_or_else(|e| panic!("readlink /proc/{pid}/ns/{name}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// The mount points listed in `/proc/PID/mountinfo` (field 5); `pid` may
/// be `"self"`.
pub fn mount_points(pid: &str) -> Vec<String> {
    fs::read_to_string(format!("/proc/{pid}/mountinfo"))
        .expect("read mountinfo")
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(String::from))
        .collect()
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

    /// `getpid()` through another ABI than x86_64's — the i386 one
    /// (`int 0x80`) or, with `x32`, the x32 one (the number with bit 30
    /// set) — whatever it returns, then `exit(0)`.
    pub fn foreign_abi_getpid(x32: bool) -> Vec<u8> {
        let mut code = Vec::new();
        if x32 {
            code.extend_from_slice(&[0xb8, 39, 0, 0, 0x40]); // mov eax, 0x40000027
            code.extend_from_slice(&[0x0f, 0x05]); // syscall
        } else {
            code.extend_from_slice(&[0xb8, 20, 0, 0, 0]); // mov eax, 20 (i386 getpid)
            code.extend_from_slice(&[0xcd, 0x80]); // int 0x80
        }
        code.extend_from_slice(&[0xb8, 60, 0, 0, 0]); // mov eax, 60 (exit)
        code.extend_from_slice(&[0x31, 0xff]); // xor edi, edi
        code.extend_from_slice(&[0x0f, 0x05]); // syscall
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
