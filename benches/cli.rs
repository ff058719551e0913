//! The `clonexec` command against the tools it stands in for, as whole
//! processes: util-linux `unshare -r` and `setpriv`, and bubblewrap
//! (`clonexec bwrap`, with the same command line), each running the static
//! no-op program. What is measured is one run of the tool, as a shell
//! would see it: the wall time from spawning it to reaping it, and the CPU
//! time of the whole process tree (which a busy machine disturbs less).
//!
//! ```sh
//! cargo bench --features cli --bench cli                             # ~2 minutes
//! CLONEXEC_BENCH_QUICK=1 cargo bench --features cli --bench cli      # CI smoke, seconds
//! ```
//!
//! The commands of a comparison run interleaved (each round runs every
//! command `CLONEXEC_BENCH_RUNS` times, one after the other, in turn), so
//! that machine noise hits them alike; a round's figure per command is its
//! median, the result the median over rounds, and each ratio comes with
//! the minimum and maximum of the per-round ratios. Needs root (the
//! `setpriv` comparison changes uids) and bubblewrap installed
//! (`apt-get install bubblewrap`); comparisons whose tool is missing are
//! left out, saying so.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::noop::NoopProgram;

const BIN: &str = env!("CARGO_BIN_EXE_clonexec");

/// One comparison: clonexec's command line and the reference tool's.
struct Comparison {
    name: &'static str,
    clonexec: Vec<String>,
    reference: Vec<String>,
    /// The ratio clonexec / reference to stay under, if any.
    goal: Option<f64>,
}

fn argv(words: &[&str], noop: &str) -> Vec<String> {
    words
        .iter()
        .map(|w| if *w == "NOOP" { noop } else { w })
        .map(String::from)
        .collect()
}

/// One run's cost: wall time from spawn to reap, and the CPU time of the
/// whole process tree it made.
#[derive(Clone, Copy)]
struct Cost {
    wall: f64,
    cpu: f64,
}

/// The CPU time of this thread and of every process it starts (and they
/// start) from now on, running or gone, reaped or not: a `task-clock`
/// software counter with `inherit`, as `perf stat` counts. (`wait4`'s
/// rusage would miss what a tool's children do when the tool does not
/// reap them: bwrap's monitor leaves its pid 1 to the kernel.)
struct TaskClock(std::fs::File);

impl TaskClock {
    fn open() -> std::io::Result<TaskClock> {
        // struct perf_event_attr, PERF_ATTR_SIZE_VER0 (64 bytes): type,
        // size, config, then zeros but for the flags word (inherit).
        let mut attr = [0u8; 64];
        attr[0..4].copy_from_slice(&1u32.to_ne_bytes()); // PERF_TYPE_SOFTWARE
        attr[4..8].copy_from_slice(&64u32.to_ne_bytes());
        attr[8..16].copy_from_slice(&1u64.to_ne_bytes()); // PERF_COUNT_SW_TASK_CLOCK
        attr[40..48].copy_from_slice(&(1u64 << 1).to_ne_bytes()); // inherit
        // SAFETY: the kernel reads `attr`, whose size is in it; pid 0 and
        // cpu -1: this thread, on any CPU.
        let fd = unsafe { libc::syscall(libc::SYS_perf_event_open, attr.as_ptr(), 0, -1, -1, 0) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // A c_long: i64 on 64-bit targets, i32 (already an fd) on 32-bit.
        #[allow(clippy::unnecessary_cast)]
        let fd = fd as std::os::fd::RawFd;
        // SAFETY: a new fd, ours alone.
        Ok(TaskClock(unsafe {
            std::os::fd::FromRawFd::from_raw_fd(fd)
        }))
    }

    /// Nanoseconds counted so far.
    fn read(&self) -> u64 {
        use std::io::Read;
        let mut value = [0u8; 8];
        (&self.0)
            .read_exact(&mut value)
            .expect("reading the task-clock counter");
        u64::from_ne_bytes(value)
    }
}

/// Runs `argv` once, with null stdio, and returns what it cost.
fn time(argv: &[String], clock: &TaskClock) -> Cost {
    let cpu_before = clock.read();
    let start = Instant::now();
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("running {argv:?}: {e}"));
    let wall = start.elapsed().as_secs_f64();
    assert!(status.success(), "{argv:?} failed: {status}");
    Cost {
        wall,
        cpu: clock.read().saturating_sub(cpu_before) as f64 * 1e-9,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    if !common::bench_mode() {
        // `cargo test --benches` runs benchmarks as tests: nothing to test.
        return;
    }
    let quick = common::quick();
    let rounds: usize =
        common::env_num("CLONEXEC_BENCH_ROUNDS").unwrap_or(if quick { 3 } else { 25 });
    let runs: usize = common::env_num("CLONEXEC_BENCH_RUNS").unwrap_or(if quick { 5 } else { 40 });
    let noop = NoopProgram::create();
    let noop_path = noop.path().to_str().expect("UTF-8 path").to_owned();
    let noop_dir = noop
        .path()
        .parent()
        .and_then(Path::to_str)
        .unwrap_or("/")
        .to_owned();
    let machine = common::sys::Machine::probe();
    println!(
        "clonexec CLI vs unshare, setpriv, bwrap ({} mode): {} rounds x {} runs per command",
        if quick { "QUICK" } else { "full" },
        rounds,
        runs
    );
    println!(
        "{}, {} ({} CPUs), {}, load {}, no-op: {}",
        machine.kernel,
        machine.cpu,
        machine.cpus,
        machine.libc,
        common::sys::loadavg(),
        noop.how()
    );

    let n = noop_path.as_str();
    // bubblewrap's README example, with the no-op's directory bound in.
    let sandbox = [
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--symlink",
        "usr/lib",
        "/lib",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--unshare-pid",
        "--ro-bind",
        &noop_dir,
        &noop_dir,
        "NOOP",
    ];
    let mut comparisons = vec![
        Comparison {
            name: "user namespace, root mapped: clonexec --map-root-user / unshare -r",
            clonexec: argv(&[BIN, "--map-root-user", "--", "NOOP"], n),
            reference: argv(&["unshare", "-r", "NOOP"], n),
            goal: Some(1.0),
        },
        Comparison {
            name: "uid, gid, no groups: clonexec --uid --gid --groups '' / setpriv",
            clonexec: argv(
                &[
                    BIN, "--uid", "65534", "--gid", "65534", "--groups", "", "--", "NOOP",
                ],
                n,
            ),
            reference: argv(
                &[
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "NOOP",
                ],
                n,
            ),
            goal: None,
        },
    ];
    if installed("bwrap") {
        let host = ["--bind", "/", "/", "NOOP"];
        comparisons.push(Comparison {
            name: "bwrap --bind / /: clonexec bwrap / bwrap",
            clonexec: argv(&[&[BIN, "bwrap"][..], &host].concat(), n),
            reference: argv(&[&["bwrap"][..], &host].concat(), n),
            goal: Some(0.7),
        });
        comparisons.push(Comparison {
            name: "bwrap README sandbox (+ --unshare-pid): clonexec bwrap / bwrap",
            clonexec: argv(&[&[BIN, "bwrap"][..], &sandbox].concat(), n),
            reference: argv(&[&["bwrap"][..], &sandbox].concat(), n),
            goal: Some(0.7),
        });
    } else {
        println!(
            "bwrap is not installed: its comparisons are left out (apt-get install bubblewrap)"
        );
    }

    // Every command, interleaved. Per round and command, the medians of
    // wall and CPU time: medians[comparison][0 = clonexec, 1 = ref].
    let mut medians = vec![[Vec::<Cost>::new(), Vec::new()]; comparisons.len()];
    let clock = TaskClock::open()
        .expect("perf_event_open(task-clock) (perf_event_paranoid must be 2 or less)");
    for cmp in &comparisons {
        // Warm up (page cache, the binaries).
        time(&cmp.clonexec, &clock);
        time(&cmp.reference, &clock);
    }
    for _ in 0..rounds {
        let mut samples = vec![[Vec::<Cost>::new(), Vec::new()]; comparisons.len()];
        for _ in 0..runs {
            for (i, cmp) in comparisons.iter().enumerate() {
                samples[i][0].push(time(&cmp.clonexec, &clock));
                samples[i][1].push(time(&cmp.reference, &clock));
            }
        }
        for (i, sides) in samples.iter().enumerate() {
            for side in 0..2 {
                let mut wall: Vec<f64> = sides[side].iter().map(|c| c.wall).collect();
                let mut cpu: Vec<f64> = sides[side].iter().map(|c| c.cpu).collect();
                medians[i][side].push(Cost {
                    wall: median(&mut wall),
                    cpu: median(&mut cpu),
                });
            }
        }
    }

    for (what, pick) in [
        (
            "wall time, spawn to reap",
            (|c: &Cost| c.wall) as fn(&Cost) -> f64,
        ),
        (
            "CPU time of the whole process tree (task-clock)",
            |c: &Cost| c.cpu,
        ),
    ] {
        println!();
        println!("{what}:");
        println!();
        println!("| comparison | clonexec | reference | ratio [min–max] | goal | |");
        println!("|---|---:|---:|---|---|---|");
        for (cmp, [ours, theirs]) in comparisons.iter().zip(&medians) {
            let ours: Vec<f64> = ours.iter().map(pick).collect();
            let theirs: Vec<f64> = theirs.iter().map(pick).collect();
            let mut ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| a / b).collect();
            let (min, max) = ratios
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
            let ratio = median(&mut ratios);
            let (goal, verdict) = match cmp.goal {
                Some(goal) => (
                    format!("≤ {goal}"),
                    if ratio <= goal { "PASS" } else { "MISS" },
                ),
                None => (String::from("–"), ""),
            };
            println!(
                "| {} | {:.0} µs | {:.0} µs | {:.2} [{:.2}–{:.2}] | {} | {} |",
                cmp.name,
                median(&mut ours.clone()) * 1e6,
                median(&mut theirs.clone()) * 1e6,
                ratio,
                min,
                max,
                goal,
                verdict
            );
        }
    }
    println!();
    println!("load after: {}", common::sys::loadavg());
}
