//! Spawns programs through clonexec built without its `std` feature, from a
//! program that has no `std` either, and checks what comes back:
//!
//! 1. `/bin/true` exits 0;
//! 2. `/bin/sh -c 'exit 7'` with an argument and an environment variable
//!    exits 7 (argv and envp reached the child);
//! 3. a missing program fails with a report naming `execve` and `ENOENT`;
//! 4. a `Prepared` command is spawned several times.
//!
//! Prints one line per check and exits non-zero on the first failure.

#![no_std]
#![no_main]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

use clonexec::{Command, Step};

// libc provides the start files that call `main`, plus these two.
#[link(name = "c")]
unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, len: usize) -> isize;
    fn _exit(code: i32) -> !;
}

/// A bump allocator over a static arena: never frees, which is plenty for a
/// handful of spawns, and needs nothing from libc.
struct Bump {
    arena: UnsafeCell<[u8; ARENA]>,
    next: AtomicUsize,
}

const ARENA: usize = 4 << 20;

// SAFETY: the arena is only handed out in disjoint pieces, claimed with an
// atomic compare-exchange on `next`.
unsafe impl Sync for Bump {}

// SAFETY: every returned block lies inside the arena, is aligned as asked,
// and is never handed out twice.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.arena.get().cast::<u8>();
        let mut next = self.next.load(Ordering::Relaxed);
        loop {
            let addr = base as usize + next;
            let start = (addr + layout.align() - 1) & !(layout.align() - 1);
            let offset = start - base as usize;
            let Some(end) = offset.checked_add(layout.size()).filter(|&e| e <= ARENA) else {
                return core::ptr::null_mut();
            };
            match self
                .next
                .compare_exchange(next, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return base.wrapping_add(offset),
                Err(current) => next = current,
            }
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    arena: UnsafeCell::new([0; ARENA]),
    next: AtomicUsize::new(0),
};

struct Stdout;

impl Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut bytes = s.as_bytes();
        while !bytes.is_empty() {
            // SAFETY: `bytes` is a live buffer of the length passed.
            let n = unsafe { write(1, bytes.as_ptr(), bytes.len()) };
            if n <= 0 {
                return Err(fmt::Error);
            }
            bytes = &bytes[n as usize..];
        }
        Ok(())
    }
}

macro_rules! say {
    ($($t:tt)*) => { let _ = writeln!(Stdout, $($t)*); };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    say!("no_std check FAILED: {info}");
    // SAFETY: `_exit` ends the process without running anything else.
    unsafe { _exit(101) }
}

// The precompiled `alloc` was built for unwinding and names these two
// symbols; with `panic = "abort"` nothing can unwind, so they are never
// called (stable Rust has no other way to satisfy the linker).
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    // SAFETY: `_exit` ends the process without running anything else.
    unsafe { _exit(134) }
}

fn check(name: &str, ok: bool, what: fmt::Arguments<'_>) {
    if ok {
        say!("no_std check {name}: ok ({what})");
    } else {
        panic!("{name}: {what}");
    }
}

#[unsafe(no_mangle)]
extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    let status = Command::new("/bin/true")
        .status()
        .unwrap_or_else(|e| panic!("spawning /bin/true: {e}"));
    check("true", status.success(), format_args!("{status}"));

    let status = Command::new("/bin/sh")
        .args(["-c", "test \"$1$NO_STD_VALUE\" = ab && exit 7", "sh", "a"])
        .env("NO_STD_VALUE", "b")
        .status()
        .unwrap_or_else(|e| panic!("spawning /bin/sh: {e}"));
    check(
        "argv+env",
        status.code() == Some(7),
        format_args!("{status}"),
    );

    let err = Command::new("/nonexistent/clonexec-no-std")
        .status()
        .expect_err("a missing program must not start");
    check(
        "error report",
        err.step() == Some(Step::Exec) && err.raw_os_error() == Some(2),
        format_args!("{err}"),
    );

    let prepared = Command::new("/bin/true")
        .prepare()
        .unwrap_or_else(|e| panic!("preparing /bin/true: {e}"));
    let mut spawned = 0;
    while spawned < 20 {
        let mut child = prepared.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
        let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        assert!(status.success(), "prepared spawn {spawned}: {status}");
        spawned += 1;
    }
    check("prepared", true, format_args!("{spawned} spawns"));
    say!("no_std check: all passed");
    0
}
