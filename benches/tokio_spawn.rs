//! Async spawn throughput: spawn + exec + wait of the static no-op program
//! with 64 children in flight, `clonexec::tokio` against `tokio::process`,
//! in the same run on the same runtime, for a current-thread and a
//! multi-thread (2 workers) runtime.
//!
//! ```sh
//! cargo bench --features tokio --bench tokio_spawn                 # ~1 minute
//! CLONEXEC_BENCH_QUICK=1 cargo bench --features tokio --bench tokio_spawn
//! ```
//!
//! Two measurements of the same thing:
//!
//! - criterion (`<runtime>/clonexec`, `<runtime>/tokio_process`): the time
//!   per spawn, with throughput in spawns per second;
//! - a summary at the end, with the ratio clonexec / tokio::process: in
//!   each of several rounds both run the same batch of spawns, one after
//!   the other (which one goes first alternates), so that a busy machine's
//!   drift hits both alike. Each time is the median of the rounds' time
//!   per spawn; the ratio is their ratio, with the min–max of the rounds'
//!   own ratios. The goal is ≤ 0.8 (printed PASS or MISS; it never fails
//!   the run). Beside the wall time, the CPU time per spawn (this process
//!   and its children, from `getrusage`), which other load on the machine
//!   disturbs much less.
//!
//! One spawn is `Command::new(noop).spawn()` then `.wait().await`, the
//! command built anew each time, as a service would; 64 tasks each loop on
//! that until the batch is done.

mod common;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::{Builder, Runtime};

use common::noop::NoopProgram;

/// Children in flight at any time.
const IN_FLIGHT: u64 = 64;

/// Which spawner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Imp {
    Clonexec,
    TokioProcess,
}

impl Imp {
    fn name(self) -> &'static str {
        match self {
            Imp::Clonexec => "clonexec",
            Imp::TokioProcess => "tokio_process",
        }
    }
}

/// One spawn + wait of `program` with `imp`.
async fn spawn_wait(imp: Imp, program: Arc<PathBuf>) {
    let status = match imp {
        Imp::Clonexec => clonexec::tokio::Command::new(program.as_path())
            .spawn()
            .expect("clonexec::tokio spawn")
            .wait()
            .await
            .expect("clonexec::tokio wait")
            .success(),
        Imp::TokioProcess => tokio::process::Command::new(program.as_path())
            .spawn()
            .expect("tokio::process spawn")
            .wait()
            .await
            .expect("tokio::process wait")
            .success(),
    };
    assert!(status, "the no-op failed");
}

/// `total` spawns with [`IN_FLIGHT`] at a time; returns the wall time.
async fn batch(imp: Imp, program: Arc<PathBuf>, total: u64) -> Duration {
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..IN_FLIGHT.min(total))
        .map(|_| {
            let next = next.clone();
            let program = program.clone();
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    spawn_wait(imp, program.clone()).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    start.elapsed()
}

fn runtimes() -> Vec<(&'static str, Runtime)> {
    let current = Builder::new_current_thread().enable_all().build();
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    vec![
        ("current_thread", current.expect("runtime")),
        ("multi_thread", multi.expect("runtime")),
    ]
}

fn config() -> Criterion {
    let criterion = Criterion::default();
    if common::quick() {
        criterion
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300))
            .sample_size(10)
    } else {
        criterion
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .sample_size(20)
    }
}

fn block_on<F: Future>(runtime: &Runtime, future: F) -> F::Output {
    runtime.block_on(future)
}

fn throughput(c: &mut Criterion) {
    let noop = NoopProgram::create();
    let program = Arc::new(noop.path().to_path_buf());
    eprintln!("program: {} ({})", program.display(), noop.how());
    let runtimes = runtimes();
    for (name, runtime) in &runtimes {
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Elements(1));
        for imp in [Imp::Clonexec, Imp::TokioProcess] {
            group.bench_function(imp.name(), |b| {
                b.iter_custom(|iters| block_on(runtime, batch(imp, program.clone(), iters)))
            });
        }
        group.finish();
    }
    if common::bench_mode() {
        summary(&runtimes, &program);
    }
}

/// The interleaved rounds and the ratio table (see the module's docs).
fn summary(runtimes: &[(&str, Runtime)], program: &Arc<PathBuf>) {
    let (rounds, per_round) = if common::quick() { (5, 256) } else { (61, 512) };
    println!();
    println!(
        "## clonexec::tokio vs tokio::process: spawn+wait of the static no-op, \
         {IN_FLIGHT} in flight ({rounds} rounds of {per_round} spawns each)"
    );
    println!();
    println!(
        "wall: time per spawn (1 / throughput); CPU: CPU time per spawn of this process and its children."
    );
    println!();
    println!(
        "| runtime | clonexec::tokio | tokio::process | clonexec / tokio | goal | | \
         CPU clonexec::tokio | CPU tokio::process | CPU clonexec / tokio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, runtime) in runtimes {
        // Per implementation: (wall, CPU) per spawn of each round.
        let mut ours = (Vec::new(), Vec::new());
        let mut theirs = (Vec::new(), Vec::new());
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let time = |imp| {
                let cpu = cpu_seconds();
                let wall = block_on(runtime, batch(imp, program.clone(), per_round));
                let cpu = cpu_seconds() - cpu;
                let n = per_round as f64;
                (wall.as_secs_f64() / n, cpu / n)
            };
            let (a, b) = if round % 2 == 0 {
                let a = time(Imp::Clonexec);
                (a, time(Imp::TokioProcess))
            } else {
                let b = time(Imp::TokioProcess);
                (time(Imp::Clonexec), b)
            };
            ours.0.push(a.0);
            ours.1.push(a.1);
            theirs.0.push(b.0);
            theirs.1.push(b.1);
            ratios.push(a.0 / b.0);
        }
        let (wall, wall_theirs) = (median(&mut ours.0), median(&mut theirs.0));
        let (cpu, cpu_theirs) = (median(&mut ours.1), median(&mut theirs.1));
        let ratio = wall / wall_theirs;
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ratios.iter().copied().fold(0.0, f64::max);
        println!(
            "| {name} | {} ({:.0}/s) | {} ({:.0}/s) | {ratio:.2} [{min:.2}–{max:.2}] | ≤ 0.8 | {} | {} | {} | {:.2} |",
            micros(wall),
            1.0 / wall,
            micros(wall_theirs),
            1.0 / wall_theirs,
            if ratio <= 0.8 { "PASS" } else { "MISS" },
            micros(cpu),
            micros(cpu_theirs),
            cpu / cpu_theirs,
        );
    }
    println!();
    println!("load average: {}", common::sys::loadavg());
}

/// CPU time (user + system) used so far by this process and its reaped
/// children.
fn cpu_seconds() -> f64 {
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: an all-zero rusage is a valid value for getrusage to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a live rusage to write into.
        let rc = unsafe { libc::getrusage(who, &mut usage) };
        assert_eq!(rc, 0, "getrusage");
        for tv in [usage.ru_utime, usage.ru_stime] {
            total += tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
        }
    }
    total
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn micros(seconds: f64) -> String {
    format!("{:.1} µs", seconds * 1e6)
}

criterion_group! {
    name = benches;
    config = config();
    targets = throughput
}
criterion_main!(benches);
