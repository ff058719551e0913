//! A child that writes the id maps of its parent's new user namespace, for
//! [`Command::exec`](crate::Command::exec): a process cannot write
//! arbitrary maps for itself once it is inside the namespace (the writer
//! needs `CAP_SETUID` in the parent namespace), so this child is started
//! first, in the parent namespace, and waits until the parent has
//! unshared. Same rules as every child routine.

use core::cell::Cell;
use core::ffi::{CStr, c_void};

use linux_raw_sys::errno;

use super::steps;
use crate::sys::{self, Errno};

/// What the map writer reads and writes back, in the parent's memory.
pub(crate) struct MapWriter<'a> {
    /// The release pipe `(read, write)`: one byte means "unshared, write".
    pub release: (i32, i32),
    /// `(file, text)` to write in order: `/proc/PID/setgroups`, `uid_map`,
    /// `gid_map`; an empty text is skipped.
    pub files: [(&'a CStr, &'a [u8]); 3],
    /// Set by the writer before it exits: `(index of the file, errno)` of
    /// the write that failed.
    pub failed: Cell<Option<(usize, Errno)>>,
}

/// Entry point of the map writer on its own stack.
pub(crate) extern "C" fn map_writer_entry(arg: *const c_void) -> ! {
    // SAFETY: `exec` passes a live `MapWriter` and keeps it alive, unmoved,
    // until it has reaped this process.
    let writer = unsafe { &*arg.cast::<MapWriter<'_>>() };
    let code = match write_maps(writer) {
        Ok(()) => 0,
        Err(failure) => {
            writer.failed.set(Some(failure));
            1
        }
    };
    sys::process::exit_group(code)
}

#[inline]
fn write_maps(writer: &MapWriter<'_>) -> Result<(), (usize, Errno)> {
    match steps::wait_on_pipe(writer.release) {
        Ok(true) => {}
        // The parent gave up.
        Ok(false) => return Err((0, errno::ECANCELED as Errno)),
        Err(e) => return Err((0, e)),
    }
    let mut index = 0usize;
    for (path, text) in writer.files {
        if !text.is_empty() {
            steps::write_file(path, text).map_err(|e| (index, e))?;
        }
        index = index.wrapping_add(1);
    }
    Ok(())
}
