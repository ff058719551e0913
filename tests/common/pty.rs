//! Pseudo-terminals.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A pseudo-terminal pair, both ends close-on-exec and opened with
/// `O_NOCTTY` (the test process never acquires it).
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

impl Pty {
    pub fn open() -> Pty {
        // SAFETY: plain libc calls on fds we own; ptsname_r writes at most
        // buf.len() bytes into buf.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(
                master >= 0,
                "posix_openpt: {}",
                std::io::Error::last_os_error()
            );
            let master = OwnedFd::from_raw_fd(master);
            assert_eq!(libc::grantpt(master.as_raw_fd()), 0, "grantpt");
            assert_eq!(libc::unlockpt(master.as_raw_fd()), 0, "unlockpt");
            let mut buf = [0 as libc::c_char; 128];
            assert_eq!(
                libc::ptsname_r(master.as_raw_fd(), buf.as_mut_ptr(), buf.len()),
                0,
                "ptsname_r"
            );
            let slave = libc::open(
                buf.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            );
            assert!(
                slave >= 0,
                "open {:?}: {}",
                CStr::from_ptr(buf.as_ptr()),
                std::io::Error::last_os_error()
            );
            Pty {
                master,
                slave: OwnedFd::from_raw_fd(slave),
            }
        }
    }

    /// A new fd for the slave side.
    pub fn slave(&self) -> OwnedFd {
        self.slave.try_clone().expect("dup slave")
    }

    /// The slave's device number as `/proc/PID/stat` shows it in `tty_nr`
    /// (the kernel's `new_encode_dev`).
    pub fn tty_nr(&self) -> i64 {
        tty_nr_of(&self.slave)
    }
}

/// `tty_nr` encoding of the terminal open at `fd`.
pub fn tty_nr_of(fd: &OwnedFd) -> i64 {
    // SAFETY: fstat into a zeroed struct we own.
    let rdev = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        assert_eq!(libc::fstat(fd.as_raw_fd(), &mut st), 0, "fstat");
        st.st_rdev
    };
    let major = i64::from(libc::major(rdev));
    let minor = i64::from(libc::minor(rdev));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}
