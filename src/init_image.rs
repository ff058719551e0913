//! The program the pid-1 init becomes ([`Command::pid1_init`]).
//!
//! The init starts as a child routine sharing the caller's memory, like
//! every clonexec child. A process that stays in that state while the
//! sandboxed program runs would hand the program the caller: as root of
//! the same user namespace the program could `ptrace` it or write
//! `/proc/1/mem`, which is the caller's address space, and its fd table is
//! a copy of the caller's. So the init execs before the program may run,
//! into the tiny program held here: a few hundred bytes of machine code per
//! architecture (`asm/init_<arch>.s`, assembled by rustc into read-only
//! data, never run by this process), wrapped in an ELF header and written
//! to a sealed memfd for each such spawn. After that exec the init's
//! address space is its own and it holds no fd at all.
//!
//! What the program does: it is started as `clonexec-init PID` with every
//! signal blocked, as the parent of the program (pid `PID`); it reaps every
//! child that exits (orphans are reparented to pid 1), forwards `SIGTERM`,
//! `SIGINT`, `SIGHUP`, `SIGQUIT`, `SIGUSR1`, `SIGUSR2` and `SIGWINCH` to the
//! program,
//! and exits with the program's code (128 + N when signal N killed it).
//!
//! [`Command::pid1_init`]: crate::Command::pid1_init

use linux_raw_sys::errno;
use linux_raw_sys::general as g;
use linux_raw_sys::prctl as pr;
use rustix::fd::OwnedFd;

use crate::sys::Errno;

/// Size of the code slot in the ELF image: the assembly pads the code to
/// exactly this length (and refuses to assemble if the code grows past it).
pub(crate) const CODE_LEN: usize = 512;

/// Signals the init forwards to the program.
pub(crate) const FORWARDED: [u32; 7] = [
    g::SIGTERM,
    g::SIGINT,
    g::SIGHUP,
    g::SIGQUIT,
    g::SIGUSR1,
    g::SIGUSR2,
    g::SIGWINCH,
];

/// The signals the init waits for: the forwarded ones and `SIGCHLD`.
const WAIT_SET: u64 = {
    let mut set = 1u64 << (g::SIGCHLD - 1);
    let mut i = 0;
    while i < FORWARDED.len() {
        set |= 1u64 << (FORWARDED[i] - 1);
        i += 1;
    }
    set
};

macro_rules! init_code {
    ($file:literal $(, $name:ident = $value:expr)*) => {
        core::arch::global_asm!(
            include_str!($file),
            nr_prctl = const g::__NR_prctl,
            nr_wait4 = const g::__NR_wait4,
            nr_rt_sigtimedwait = const g::__NR_rt_sigtimedwait,
            nr_kill = const g::__NR_kill,
            nr_rt_sigprocmask = const g::__NR_rt_sigprocmask,
            sig_block = const g::SIG_BLOCK,
            nr_exit_group = const g::__NR_exit_group,
            pr_set_name = const pr::PR_SET_NAME,
            wnohang = const g::WNOHANG,
            eintr = const errno::EINTR,
            sigchld = const g::SIGCHLD,
            code_len = const CODE_LEN,
            $($name = const $value,)*
        );
    };
}

#[cfg(target_arch = "x86_64")]
init_code!("../asm/init_x86_64.s", wait_set = WAIT_SET);
// aarch64 builds the set from two 16-bit halves.
#[cfg(target_arch = "aarch64")]
init_code!(
    "../asm/init_aarch64.s",
    wait_set_lo = WAIT_SET & 0xffff,
    wait_set_hi = WAIT_SET >> 16
);
#[cfg(target_arch = "riscv64")]
init_code!("../asm/init_riscv64.s", wait_set = WAIT_SET);
#[cfg(target_arch = "x86")]
init_code!("../asm/init_x86.s", wait_set = WAIT_SET);

const _: () = assert!(WAIT_SET >> 32 == 0, "the asm stores the set in 32 bits");

unsafe extern "C" {
    /// The init's machine code, padded with zeros to `CODE_LEN` bytes.
    static clonexec_v0_init_code: [u8; CODE_LEN];
}

/// The machine code.
fn code() -> &'static [u8; CODE_LEN] {
    // SAFETY: the assembly defines the symbol as exactly CODE_LEN bytes of
    // read-only data (`.fill` pads to that size, `.size` declares it), so
    // the static is a valid, immutable [u8; CODE_LEN].
    unsafe { &clonexec_v0_init_code }
}

/// Where the image is loaded; above any `vm.mmap_min_addr`.
const LOAD_ADDRESS: u64 = 0x40_0000;

#[cfg(target_pointer_width = "64")]
const HEADER_LEN: usize = 64 + 56;
#[cfg(target_pointer_width = "32")]
const HEADER_LEN: usize = 52 + 32;

/// Length of the whole executable.
pub(crate) const IMAGE_LEN: usize = HEADER_LEN + CODE_LEN;

#[cfg(target_arch = "x86_64")]
const MACHINE: u16 = 62; // EM_X86_64
#[cfg(target_arch = "aarch64")]
const MACHINE: u16 = 183; // EM_AARCH64
#[cfg(target_arch = "riscv64")]
const MACHINE: u16 = 243; // EM_RISCV
#[cfg(target_arch = "x86")]
const MACHINE: u16 = 3; // EM_386

/// A static executable: the ELF header, one `PT_LOAD` segment (read and
/// execute) mapping the whole file at [`LOAD_ADDRESS`], and the code right
/// after the headers, which is the entry point.
fn header() -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        h[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    let entry = LOAD_ADDRESS + HEADER_LEN as u64;
    let file_len = IMAGE_LEN as u64;
    #[cfg(target_pointer_width = "64")]
    {
        // e_ident: magic, ELFCLASS64, little-endian, version 1, System V.
        put(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        put(&2u16.to_le_bytes()); // e_type: ET_EXEC
        put(&MACHINE.to_le_bytes());
        put(&1u32.to_le_bytes()); // e_version
        put(&entry.to_le_bytes()); // e_entry
        put(&64u64.to_le_bytes()); // e_phoff: right after this header
        put(&0u64.to_le_bytes()); // e_shoff: no sections
        put(&0u32.to_le_bytes()); // e_flags
        put(&64u16.to_le_bytes()); // e_ehsize
        put(&56u16.to_le_bytes()); // e_phentsize
        put(&1u16.to_le_bytes()); // e_phnum
        put(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
        put(&1u32.to_le_bytes()); // p_type: PT_LOAD
        put(&5u32.to_le_bytes()); // p_flags: PF_R | PF_X
        put(&0u64.to_le_bytes()); // p_offset
        put(&LOAD_ADDRESS.to_le_bytes()); // p_vaddr
        put(&LOAD_ADDRESS.to_le_bytes()); // p_paddr
        put(&file_len.to_le_bytes()); // p_filesz
        put(&file_len.to_le_bytes()); // p_memsz
        put(&0x1000u64.to_le_bytes()); // p_align
    }
    #[cfg(target_pointer_width = "32")]
    {
        put(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        put(&2u16.to_le_bytes());
        put(&MACHINE.to_le_bytes());
        put(&1u32.to_le_bytes());
        put(&(entry as u32).to_le_bytes());
        put(&52u32.to_le_bytes()); // e_phoff
        put(&0u32.to_le_bytes()); // e_shoff
        put(&0u32.to_le_bytes()); // e_flags
        put(&52u16.to_le_bytes()); // e_ehsize
        put(&32u16.to_le_bytes()); // e_phentsize
        put(&1u16.to_le_bytes()); // e_phnum
        put(&[0; 6]);
        put(&1u32.to_le_bytes()); // p_type
        put(&0u32.to_le_bytes()); // p_offset
        put(&(LOAD_ADDRESS as u32).to_le_bytes()); // p_vaddr
        put(&(LOAD_ADDRESS as u32).to_le_bytes()); // p_paddr
        put(&(file_len as u32).to_le_bytes()); // p_filesz
        put(&(file_len as u32).to_le_bytes()); // p_memsz
        put(&5u32.to_le_bytes()); // p_flags
        put(&0x1000u32.to_le_bytes()); // p_align
    }
    debug_assert_eq!(at, HEADER_LEN);
    h
}

/// The whole executable, as written to the memfd.
pub(crate) fn image() -> [u8; IMAGE_LEN] {
    let mut image = [0u8; IMAGE_LEN];
    image[..HEADER_LEN].copy_from_slice(&header());
    image[HEADER_LEN..].copy_from_slice(code());
    image
}

/// A new sealed, close-on-exec memfd holding the init's executable, opened
/// read-only, or the system call that failed.
///
/// Sealed against writes, growth, shrinking and further seals: the file the
/// init execs is exactly these bytes. The fd that wrote it is replaced by a
/// read-only one: kernels before 6.11 refuse to exec a file that any fd has
/// open for writing (`ETXTBSY`).
pub(crate) fn memfd() -> Result<OwnedFd, (&'static str, Errno)> {
    use rustix::fs::{MemfdFlags, Mode, OFlags, SealFlags};
    let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
    // Since 6.3 the kernel wants executable memfds to say so (and warns
    // otherwise); older kernels refuse the flag.
    let fd = match rustix::fs::memfd_create(c"clonexec-init", flags | MemfdFlags::EXEC) {
        Err(e) if e.raw_os_error() == errno::EINVAL as i32 => {
            rustix::fs::memfd_create(c"clonexec-init", flags)
        }
        other => other,
    }
    .map_err(|e| ("memfd_create() for the pid-1 init", e.raw_os_error()))?;
    let image = image();
    let mut written = 0;
    while written < image.len() {
        match rustix::io::write(&fd, &image[written..]) {
            Ok(n) => written += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(("writing the pid-1 init's memfd", e.raw_os_error())),
        }
    }
    rustix::fs::fcntl_add_seals(
        &fd,
        SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE,
    )
    .map_err(|e| ("sealing the pid-1 init's memfd", e.raw_os_error()))?;
    let path = alloc::format!("/proc/self/fd/{}", rustix::fd::AsRawFd::as_raw_fd(&fd));
    rustix::fs::open(
        path.as_str(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        (
            "reopening the pid-1 init's memfd read-only",
            e.raw_os_error(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_is_a_static_executable_whose_entry_is_the_code() {
        let image = image();
        assert_eq!(&image[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([image[18], image[19]]), MACHINE);
        let entry_at = 24;
        #[cfg(target_pointer_width = "64")]
        let entry = u64::from_le_bytes(image[entry_at..entry_at + 8].try_into().unwrap());
        #[cfg(target_pointer_width = "32")]
        let entry = u64::from(u32::from_le_bytes(
            image[entry_at..entry_at + 4].try_into().unwrap(),
        ));
        assert_eq!(entry, LOAD_ADDRESS + HEADER_LEN as u64);
        assert_eq!(&image[HEADER_LEN..], code());
        // The code is there (not all padding), and the padding is zeros.
        assert!(code()[..16].iter().any(|&b| b != 0));
        assert_eq!(code()[CODE_LEN - 1], 0);
    }

    #[test]
    fn wait_set_holds_sigchld_and_the_forwarded_signals() {
        for sig in FORWARDED.iter().chain([&g::SIGCHLD]) {
            assert_ne!(WAIT_SET & (1 << (sig - 1)), 0, "signal {sig}");
        }
        assert_eq!(WAIT_SET.count_ones(), 8);
    }

    #[test]
    fn memfd_is_sealed_and_read_only() {
        let fd = memfd().expect("memfd");
        let mode = rustix::fs::fcntl_getfl(&fd).unwrap() & rustix::fs::OFlags::RWMODE;
        assert_eq!(mode, rustix::fs::OFlags::RDONLY);
        let seals = rustix::fs::fcntl_get_seals(&fd).unwrap();
        assert!(seals.contains(rustix::fs::SealFlags::WRITE | rustix::fs::SealFlags::SEAL));
        let mut bytes = [0u8; IMAGE_LEN + 1];
        let n = rustix::io::pread(&fd, &mut bytes, 0).unwrap();
        assert_eq!(&bytes[..n], &image()[..]);
    }

    /// Runs the init image as the parent of what `setup` starts (`$!`),
    /// the way the pid-1 init is run, from `sh` (under qemu-user through
    /// the emulator named by `CLONEXEC_QEMU`). Returns the child.
    #[cfg(feature = "std")]
    fn image_over(setup: &str) -> crate::Child {
        let run = std::env::var("CLONEXEC_QEMU").unwrap_or_default();
        let script = alloc::format!("{setup} exec {run} /dev/fd/3 $!");
        crate::Command::new("sh")
            .args(["-c", &script])
            .fd(3, memfd().expect("memfd"))
            .spawn()
            .expect("spawn sh")
    }

    #[cfg(feature = "std")]
    #[test]
    fn image_exits_with_the_programs_code() {
        let status = image_over("(exit 7) &").wait().unwrap();
        assert_eq!(status.code(), Some(7), "{status}");
        // Killed by signal N: 128 + N, as a shell reports it.
        let status = image_over("sh -c 'kill -USR1 $$' &").wait().unwrap();
        assert_eq!(status.code(), Some(128 + g::SIGUSR1 as i32), "{status}");
    }

    #[cfg(feature = "std")]
    #[test]
    fn image_forwards_termination_signals_to_the_program() {
        for sig in FORWARDED {
            // (A shell starts background jobs with SIGINT and SIGQUIT
            // ignored: env puts them back. SIGWINCH does nothing by
            // default: a trap exits with the code a death by it would give.)
            let setup = if sig == g::SIGWINCH {
                alloc::format!(
                    "sh -c 'trap \"exit {}\" WINCH; while :; do sleep 0.01; done' &",
                    128 + sig
                )
            } else {
                alloc::string::String::from("env --default-signal sleep 30 &")
            };
            let mut child = image_over(&setup);
            // Signal the image itself, not the shell before it: wait for the
            // name it gives itself (argv[0], "/dev/fd/3").
            let comm = alloc::format!("/proc/{}/comm", child.id());
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::fs::read_to_string(&comm).map_or(true, |c| c.trim_end() != "/dev/fd/3") {
                assert!(std::time::Instant::now() < deadline, "the image never ran");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // The program may not be ready for it yet (still ignoring it,
            // or before its trap): send it again until the program ends.
            let signal = crate::Signal::new(sig as i32).unwrap();
            let status = loop {
                child.signal(signal).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(20));
                if let Some(status) = child.try_wait().unwrap() {
                    break status;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{signal} never ended it"
                );
            };
            assert_eq!(status.code(), Some(128 + sig as i32), "{signal}: {status}");
        }
    }
}
