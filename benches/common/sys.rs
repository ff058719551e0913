//! Parent-side setup for the benchmarks: resident memory, open fds,
//! rlimits, and machine facts for the report.

use std::ffi::CStr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;

/// Anonymous memory the parent has touched, so that its RSS (and page
/// tables) are `len` bytes larger. Unmapped on drop.
///
/// Transparent huge pages are refused (`MADV_NOHUGEPAGE`) so the parent
/// has one page-table entry per 4 KiB page, as a long-running heap does:
/// that is what a fork has to copy.
pub struct Ballast {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Ballast {
    /// Maps and touches `mib` MiB (nothing for 0).
    pub fn new(mib: u64) -> std::io::Result<Ballast> {
        let len = usize::try_from(mib << 20).map_err(|_| std::io::ErrorKind::OutOfMemory)?;
        if len == 0 {
            return Ok(Ballast {
                ptr: std::ptr::null_mut(),
                len: 0,
            });
        }
        // SAFETY: a fresh private anonymous mapping aliases nothing.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: the range is the mapping we just made.
        unsafe { libc::madvise(ptr, len, libc::MADV_NOHUGEPAGE) };
        // Fault every page in writable with one call (5.14+): the same
        // resident pages and page-table entries as touching them one by one,
        // without a million page faults. The loop below then only writes.
        // SAFETY: as above.
        unsafe { libc::madvise(ptr, len, libc::MADV_POPULATE_WRITE) };
        let page = page_size();
        let bytes = ptr.cast::<u8>();
        let mut offset = 0;
        while offset < len {
            // SAFETY: `offset < len`, inside our read-write mapping. A
            // non-zero write gives every page its own frame (a read would
            // map the shared zero page).
            unsafe { bytes.add(offset).write_volatile(1) };
            offset += page;
        }
        Ok(Ballast { ptr, len })
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no memory is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Ballast {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: we own the mapping and hand out no references to it.
            unsafe { libc::munmap(self.ptr, self.len) };
        }
    }
}

/// The system page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// `count` extra open fds on `/dev/null`, each its own open file
/// description, **without** close-on-exec (the case `close_other_fds` is
/// for). Closed on drop.
pub struct FdBallast {
    fds: Vec<OwnedFd>,
}

impl FdBallast {
    /// Opens `count` fds.
    pub fn open(count: usize) -> std::io::Result<FdBallast> {
        let mut fds = Vec::with_capacity(count);
        for _ in 0..count {
            // SAFETY: a plain open of a NUL-terminated path.
            let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: `fd` was just opened and nothing else owns it.
            fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        Ok(FdBallast { fds })
    }

    /// How many fds are held.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// Whether no fd is held.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }
}

/// How many fds the process has open now (`/proc/self/fd`).
pub fn open_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count().saturating_sub(1))
}

/// Raises `RLIMIT_NOFILE` so that at least `needed` fds can be open (the
/// hard limit too, when allowed). Returns the soft limit now in force.
pub fn raise_nofile(needed: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid out-pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    if lim.rlim_cur >= needed {
        return lim.rlim_cur;
    }
    let wanted = libc::rlimit {
        rlim_cur: needed,
        rlim_max: lim.rlim_max.max(needed),
    };
    // SAFETY: a valid rlimit value.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
        return needed;
    }
    let capped = libc::rlimit {
        rlim_cur: lim.rlim_max,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: a valid rlimit value.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &capped) } == 0 {
        return lim.rlim_max;
    }
    lim.rlim_cur
}

/// `MemAvailable` from `/proc/meminfo`, in MiB.
pub fn mem_available_mib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Whether we run as root (uid 0).
pub fn is_root() -> bool {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() == 0 }
}

/// Real uid and gid.
pub fn ids() -> (u32, u32) {
    // SAFETY: getuid/getgid cannot fail.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// Makes the process dumpable again. A credential change in a `CLONE_VM`
/// child (the floor's) marks the shared mm non-dumpable; clonexec restores
/// the flag itself, and must not profit from finding it already cleared.
pub fn restore_dumpable() {
    // SAFETY: PR_SET_DUMPABLE with a plain integer argument.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) };
}

/// Facts printed at the top of the report.
pub struct Machine {
    pub kernel: String,
    pub cpu: String,
    pub cpus: usize,
    pub libc: String,
    pub mem_total_mib: u64,
    pub thp: String,
}

impl Machine {
    /// Reads uname, /proc/cpuinfo, /proc/meminfo and the libc version.
    pub fn probe() -> Machine {
        // SAFETY: an all-zero utsname is a valid out-buffer for uname.
        let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
        // SAFETY: `uts` is a valid out-pointer.
        let kernel = if unsafe { libc::uname(&mut uts) } == 0 {
            let field = |f: &[libc::c_char]| {
                // SAFETY: uname NUL-terminates every field.
                unsafe { CStr::from_ptr(f.as_ptr()) }
                    .to_string_lossy()
                    .into_owned()
            };
            format!(
                "{} {} {}",
                field(&uts.sysname),
                field(&uts.release),
                field(&uts.machine)
            )
        } else {
            String::from("?")
        };
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map_or_else(|| String::from("?"), |s| s.trim().to_string());
        let mem_total_mib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                let line = t.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map_or(0, |kib| kib / 1024);
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .map_or_else(|_| String::from("?"), |s| s.trim().to_string());
        Machine {
            kernel,
            cpu,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            libc: libc_version(),
            mem_total_mib,
            thp,
        }
    }
}

#[cfg(target_env = "gnu")]
fn libc_version() -> String {
    unsafe extern "C" {
        fn gnu_get_libc_version() -> *const libc::c_char;
    }
    // SAFETY: glibc returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(gnu_get_libc_version()) };
    format!("glibc {}", version.to_string_lossy())
}

#[cfg(not(target_env = "gnu"))]
fn libc_version() -> String {
    String::from("non-glibc libc")
}

/// `/proc/loadavg`'s first three fields (a busy machine gives noisy
/// numbers).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| String::from("?"),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, else the directory three
/// levels above this executable (`<target>/release/deps/<bench>`), else
/// `<crate>/target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)
        };
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(deps) = exe.parent()
        && deps
            .file_name()
            .is_some_and(|n| n == "deps" || n == "examples")
        && let Some(target) = deps.parent().and_then(|profile| profile.parent())
    {
        return target.to_path_buf();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// The crate's `docs/` directory.
pub fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// The calling thread's CPU affinity, to restore after [`pin_to_one_cpu`].
pub struct Affinity(libc::cpu_set_t);

/// Pins the calling thread (and so the children it spawns) to the CPU it
/// runs on. Returns the previous affinity and the CPU.
pub fn pin_to_one_cpu() -> Option<(Affinity, usize)> {
    // SAFETY: an all-zero cpu_set_t is a valid empty set; the pointers are
    // valid for its size.
    unsafe {
        let mut old: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut old) != 0 {
            return None;
        }
        let cpu = usize::try_from(libc::sched_getcpu()).ok()?;
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one) != 0 {
            return None;
        }
        Some((Affinity(old), cpu))
    }
}

/// Restores an affinity saved by [`pin_to_one_cpu`].
pub fn restore_affinity(affinity: &Affinity) {
    // SAFETY: a valid cpu_set_t of the size passed.
    unsafe {
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &affinity.0);
    }
}
