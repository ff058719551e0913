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
//!   the run).
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
    let (rounds, per_round) = if common::quick() {
        (5, 256)
    } else {
        (21, 2048)
    };
    println!();
    println!(
        "## clonexec::tokio vs tokio::process: spawn+wait of the static no-op, \
         {IN_FLIGHT} in flight ({rounds} rounds of {per_round} spawns each)"
    );
    println!();
    println!("| runtime | clonexec::tokio | tokio::process | clonexec / tokio | goal | |");
    println!("|---|---|---|---|---|---|");
    for (name, runtime) in runtimes {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let time = |imp| {
                let elapsed = block_on(runtime, batch(imp, program.clone(), per_round));
                elapsed.as_secs_f64() / per_round as f64
            };
            let (a, b) = if round % 2 == 0 {
                let a = time(Imp::Clonexec);
                (a, time(Imp::TokioProcess))
            } else {
                let b = time(Imp::TokioProcess);
                (time(Imp::Clonexec), b)
            };
            ours.push(a);
            theirs.push(b);
            ratios.push(a / b);
        }
        let (ours, theirs) = (median(&mut ours), median(&mut theirs));
        let ratio = ours / theirs;
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ratios.iter().copied().fold(0.0, f64::max);
        println!(
            "| {name} | {} ({:.0}/s) | {} ({:.0}/s) | {ratio:.2} [{min:.2}–{max:.2}] | ≤ 0.8 | {} |",
            micros(ours),
            1.0 / ours,
            micros(theirs),
            1.0 / theirs,
            if ratio <= 0.8 { "PASS" } else { "MISS" },
        );
    }
    println!();
    println!("load average: {}", common::sys::loadavg());
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
