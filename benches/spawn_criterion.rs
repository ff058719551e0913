//! Criterion latency benchmarks: spawn + exec + wait of the static no-op,
//! no attributes, for every implementation, with the parent at RSS 0 and
//! at 1 GiB touched. Criterion's statistics (confidence intervals, change
//! detection against the previous run in `<target>/criterion`) complement
//! the one-run matrix of `benches/spawn.rs`, which has the ratios and
//! targets.
//!
//! ```sh
//! cargo bench --bench spawn_criterion                 # ~1-2 minutes
//! cargo bench --bench spawn_criterion -- rss0/floor   # one benchmark
//! CLONEXEC_BENCH_QUICK=1 cargo bench --bench spawn_criterion
//! ```

mod common;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use common::noop::NoopProgram;
use common::spawners::{Attrs, make};
use common::sys::Ballast;

fn config() -> Criterion {
    let criterion = Criterion::default();
    if common::quick() {
        criterion
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(200))
            .sample_size(10)
    } else {
        criterion
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
    }
}

fn spawn_latency(c: &mut Criterion) {
    let noop = NoopProgram::create();
    let program = noop.c_path();
    // Test mode (`cargo test --benches`) runs each benchmark once: skip the
    // big allocation there. Quick mode uses a small one.
    let big = if !common::bench_mode() {
        0
    } else if common::quick() {
        64
    } else {
        1024
    };
    let mut levels = vec![(String::from("rss0"), 0)];
    if big > 0 {
        levels.push((format!("rss{big}m"), big));
    }
    for (name, rss) in levels {
        let ballast = match Ballast::new(rss) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("skipping {name}: cannot touch {rss} MiB: {e}");
                continue;
            }
        };
        let mut group = c.benchmark_group(&name);
        if rss > 0 {
            // fork+exec at 1 GiB takes ~40 ms a spawn.
            group.sample_size(10);
        }
        for &imp in Attrs::None.impls() {
            match make(imp, Attrs::None, &program) {
                Ok(mut spawner) => {
                    group.bench_function(imp.name(), |b| b.iter(|| spawner.spawn_wait()));
                }
                Err(why) => eprintln!("{name}/{}: {why}", imp.name()),
            }
        }
        group.finish();
        drop(ballast);
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = spawn_latency
}
criterion_main!(benches);
