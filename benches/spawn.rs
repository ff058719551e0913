//! The spawn benchmark matrix: one run compares spawn + exec + wait
//! latency of clonexec with std, posix_spawn, fork+exec and the
//! `clone(CLONE_VM|CLONE_VFORK)` floor, across parent RSS, attribute sets,
//! open-fd counts and 1 vs 2 spawning threads, and prints one summary with
//! ratios measured in the same run and PASS/MISS for each target.
//!
//! ```sh
//! cargo bench --bench spawn                        # ~3-4 minutes
//! CLONEXEC_BENCH_QUICK=1 cargo bench --bench spawn # < 30 s, RSS up to 1 GiB (CI)
//! CLONEXEC_BENCH_WRITE_DOCS=1 cargo bench --bench spawn # also docs/bench.svg
//! ```
//!
//! Method: every cell (implementation x attributes x program) of one
//! memory level is set up once, warmed up, then measured in `rounds`
//! interleaved rounds: in each round every cell runs spawn+exec+wait
//! repeatedly for one time slot (at least once), so slow drifts of a busy
//! machine hit every cell alike. A cell's latency is the median of all its
//! spawns; its range is the min-max of its per-round medians. A ratio is
//! the ratio of the two cells' medians, with the min-max of the per-round
//! ratios (round median / round median) as its range. Targets never fail
//! the run: they print PASS or MISS.
//!
//! Outputs: the report on stdout, `<target>/bench-report.md` and
//! `<target>/bench.svg`; with `CLONEXEC_BENCH_WRITE_DOCS=1` also
//! `docs/bench-report.md` and `docs/bench.svg`.
//!
//! Environment: `CLONEXEC_BENCH_QUICK=1`, `CLONEXEC_BENCH_ROUNDS=N`,
//! `CLONEXEC_BENCH_SLOT_MS=N`, `CLONEXEC_BENCH_RSS_MIB=0,256,1024,4096`,
//! `CLONEXEC_BENCH_MAX_RSS_MIB=N`, `CLONEXEC_BENCH_WRITE_DOCS=1`,
//! `CLONEXEC_BENCH_PIN=1` (latency cells on one CPU: parent and child
//! share it, which removes cross-CPU wake-ups and IPIs from the numbers).
//!
//! Without `--bench` (`cargo test --benches`), it only spawns every
//! implementation once.

mod common;

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::noop::NoopProgram;
use common::spawners::{Attrs, Impl, Spawner, make};
use common::sys::{self, Ballast, FdBallast, Machine};

/// The program a cell spawns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Prog {
    /// The static no-op (exec cost is the floor).
    Noop,
    /// `/bin/true` (dynamic: adds the loader).
    BinTrue,
}

impl Prog {
    fn label(self) -> &'static str {
        match self {
            Prog::Noop => "static no-op",
            Prog::BinTrue => "/bin/true",
        }
    }
}

/// One cell of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    attrs: Attrs,
    prog: Prog,
    imp: Impl,
    /// Touched parent memory, MiB.
    rss: u64,
    /// Extra fds open in the parent.
    fds: usize,
    /// Part of the headline group (measured apart from the matrix).
    headline: bool,
}

/// Timings of one cell.
#[derive(Default)]
struct Samples {
    /// Every spawn, ns.
    all: Vec<f64>,
    /// Median of each round, ns.
    rounds: Vec<f64>,
}

impl Samples {
    fn push_round(&mut self, mut batch: Vec<f64>) {
        self.rounds.push(median(&mut batch));
        self.all.extend(batch);
    }

    fn median(&self) -> f64 {
        median(&mut self.all.clone())
    }

    /// The `q` quantile (0..=1) of all spawns.
    fn quantile(&self, q: f64) -> f64 {
        let mut all = self.all.clone();
        all.sort_by(f64::total_cmp);
        let i = ((all.len() as f64 - 1.0) * q).round() as usize;
        all.get(i).copied().unwrap_or(f64::NAN)
    }

    fn mean(&self) -> f64 {
        self.all.iter().sum::<f64>() / self.all.len() as f64
    }

    fn round_range(&self) -> (f64, f64) {
        min_max(&self.rounds)
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

enum Outcome {
    Measured(Samples),
    /// Not applicable / not implemented / skipped, and why.
    Unavailable(String),
    /// Set up or spawning failed.
    Failed(String),
}

struct Config {
    quick: bool,
    rounds: usize,
    slot: Duration,
    warmup: usize,
    tp_rounds: usize,
    tp_slot: Duration,
    rss_levels: Vec<u64>,
    fds_small: usize,
    fds_large: usize,
    write_docs: bool,
    /// Run the latency groups pinned to one CPU (parent and child share it:
    /// no cross-CPU wake-ups or TLB-shootdown IPIs).
    pin: bool,
}

impl Config {
    /// Rounds and slot of the matrix groups.
    fn matrix(&self) -> (usize, Duration) {
        (self.rounds, self.slot)
    }

    /// Rounds and slot of the headline group: 3x the rounds, half the
    /// slot, so its few cells are interleaved tightly.
    fn headline(&self) -> (usize, Duration) {
        (
            self.rounds * 3,
            (self.slot / 2).max(Duration::from_millis(1)),
        )
    }

    fn from_env() -> Config {
        let quick = common::quick();
        let (rounds, slot_ms, warmup, tp_rounds, tp_slot_ms) = if quick {
            (3, 3, 1, 2, 20)
        } else {
            (12, 60, 3, 6, 250)
        };
        let mut rss_levels: Vec<u64> = std::env::var("CLONEXEC_BENCH_RSS_MIB")
            .ok()
            .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
            .unwrap_or_else(|| {
                // Quick mode keeps every code path but the 4 GiB level
                // (touching it and forking from it take ~20 s alone).
                if quick {
                    vec![0, 256, 1024]
                } else {
                    vec![0, 256, 1024, 4096]
                }
            });
        if let Some(max) = common::env_num::<u64>("CLONEXEC_BENCH_MAX_RSS_MIB") {
            rss_levels.retain(|&r| r <= max);
        }
        if !rss_levels.contains(&0) {
            rss_levels.insert(0, 0);
        }
        rss_levels.sort_unstable();
        rss_levels.dedup();
        Config {
            quick,
            rounds: common::env_num("CLONEXEC_BENCH_ROUNDS")
                .unwrap_or(rounds)
                .max(1),
            slot: Duration::from_millis(
                common::env_num("CLONEXEC_BENCH_SLOT_MS").unwrap_or(slot_ms),
            ),
            warmup,
            tp_rounds,
            tp_slot: Duration::from_millis(tp_slot_ms),
            rss_levels,
            fds_small: 10,
            fds_large: 10_000,
            write_docs: common::env_flag("CLONEXEC_BENCH_WRITE_DOCS"),
            pin: common::env_flag("CLONEXEC_BENCH_PIN"),
        }
    }
}

/// The programs, by [`Prog`].
struct Programs {
    noop: CString,
    bin_true: CString,
}

impl Programs {
    fn get(&self, prog: Prog) -> &CStr {
        match prog {
            Prog::Noop => &self.noop,
            Prog::BinTrue => &self.bin_true,
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        String::from("panic")
    }
}

/// Sets up, warms up and measures `keys` in interleaved rounds.
fn measure_group(
    cfg: &Config,
    (rounds, slot): (usize, Duration),
    keys: &[Key],
    programs: &Programs,
    results: &mut BTreeMap<Key, Outcome>,
) {
    struct Live {
        key: Key,
        spawner: Box<dyn Spawner>,
        samples: Samples,
        failed: Option<String>,
    }
    let mut live: Vec<Live> = Vec::new();
    for &key in keys {
        match make(key.imp, key.attrs, programs.get(key.prog)) {
            Err(why) => {
                results.insert(key, Outcome::Unavailable(why));
            }
            Ok(mut spawner) => {
                let warm = catch_unwind(AssertUnwindSafe(|| {
                    for _ in 0..cfg.warmup.max(1) {
                        spawner.spawn_wait();
                    }
                    spawner.after_batch();
                }));
                match warm {
                    Ok(()) => live.push(Live {
                        key,
                        spawner,
                        samples: Samples::default(),
                        failed: None,
                    }),
                    Err(payload) => {
                        results.insert(key, Outcome::Failed(panic_message(&*payload)));
                    }
                }
            }
        }
    }
    const MAX_BATCH: usize = 20_000;
    for round in 0..rounds {
        let n = live.len();
        for j in 0..n {
            // Rotate the order so no cell always runs first.
            let cell = &mut live[(j + round) % n];
            if cell.failed.is_some() {
                continue;
            }
            let mut batch = Vec::with_capacity(256);
            let spawner = &mut cell.spawner;
            let run = catch_unwind(AssertUnwindSafe(|| {
                let start = Instant::now();
                while batch.len() < MAX_BATCH && (batch.is_empty() || start.elapsed() < slot) {
                    let t = Instant::now();
                    spawner.spawn_wait();
                    batch.push(t.elapsed().as_nanos() as f64);
                }
                spawner.after_batch();
            }));
            match run {
                Ok(()) => cell.samples.push_round(batch),
                Err(payload) => cell.failed = Some(panic_message(&*payload)),
            }
        }
    }
    for cell in live {
        let outcome = match cell.failed {
            Some(why) => Outcome::Failed(why),
            None => Outcome::Measured(cell.samples),
        };
        results.insert(cell.key, outcome);
    }
}

/// Every cell of one memory level (at the small fd count).
fn level_keys(rss: u64, fds: usize) -> Vec<Key> {
    let mut keys = Vec::new();
    for attrs in Attrs::ALL {
        for &imp in attrs.impls() {
            keys.push(Key {
                attrs,
                prog: Prog::Noop,
                imp,
                rss,
                fds,
                headline: false,
            });
        }
    }
    for &imp in Attrs::None.impls() {
        keys.push(Key {
            attrs: Attrs::None,
            prog: Prog::BinTrue,
            imp,
            rss,
            fds,
            headline: false,
        });
    }
    keys
}

/// The headline group: the floor, the floor with clonexec's parent-side
/// steps added one by one, clonexec, std and posix_spawn (RSS 0, no
/// attributes), measured together in many short rounds.
fn headline_keys(fds: usize) -> Vec<Key> {
    Impl::HEADLINE
        .iter()
        .map(|&imp| Key {
            attrs: Attrs::None,
            prog: Prog::Noop,
            imp,
            rss: 0,
            fds,
            headline: true,
        })
        .collect()
}

/// The cells measured again with many open fds.
fn fd_keys(fds: usize) -> Vec<Key> {
    let mut keys: Vec<Key> = Attrs::CloseFds
        .impls()
        .iter()
        .map(|&imp| Key {
            attrs: Attrs::CloseFds,
            prog: Prog::Noop,
            imp,
            rss: 0,
            fds,
            headline: false,
        })
        .collect();
    for imp in [Impl::ClonexecCommand, Impl::PosixSpawn, Impl::Floor] {
        keys.push(Key {
            attrs: Attrs::None,
            prog: Prog::Noop,
            imp,
            rss: 0,
            fds,
            headline: false,
        });
    }
    keys
}

/// Spawns/s of each implementation with 1 and 2 threads, per round.
struct Throughput {
    imp: Impl,
    result: Result<(Vec<f64>, Vec<f64>), String>,
}

const THROUGHPUT_IMPLS: [Impl; 8] = [
    Impl::ClonexecCommand,
    Impl::ClonexecPrepared,
    Impl::Std,
    Impl::PosixSpawn,
    Impl::ForkExec,
    Impl::Floor,
    Impl::FloorStack,
    Impl::FloorAll,
];

/// Runs `threads` threads, each spawning `program` in a loop for `slot`;
/// returns the total spawns per second.
fn run_threads(imp: Impl, threads: usize, slot: Duration, program: &CStr) -> Result<f64, String> {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let program = program.to_owned();
            std::thread::spawn(move || {
                let setup = catch_unwind(AssertUnwindSafe(|| {
                    let mut spawner =
                        make(imp, Attrs::None, &program).map_err(|e| e.to_string())?;
                    spawner.spawn_wait();
                    Ok::<_, String>(spawner)
                }));
                barrier.wait();
                let mut spawner = match setup {
                    Ok(Ok(spawner)) => spawner,
                    Ok(Err(why)) => return Err(why),
                    Err(payload) => return Err(panic_message(&*payload)),
                };
                let start = Instant::now();
                let mut count = 0u64;
                while start.elapsed() < slot {
                    spawner.spawn_wait();
                    count += 1;
                }
                Ok((count, start.elapsed()))
            })
        })
        .collect();
    let mut total = 0u64;
    let mut longest = Duration::ZERO;
    for handle in handles {
        let (count, elapsed) = handle
            .join()
            .map_err(|payload| panic_message(&*payload))??;
        total += count;
        longest = longest.max(elapsed);
    }
    Ok(total as f64 / longest.as_secs_f64())
}

fn measure_throughput(cfg: &Config, program: &CStr) -> Vec<Throughput> {
    let mut out: Vec<Throughput> = THROUGHPUT_IMPLS
        .iter()
        .map(|&imp| Throughput {
            imp,
            result: Ok((Vec::new(), Vec::new())),
        })
        .collect();
    for _ in 0..cfg.tp_rounds {
        for entry in &mut out {
            if entry.result.is_err() {
                continue;
            }
            let measured = run_threads(entry.imp, 1, cfg.tp_slot, program)
                .and_then(|a| Ok((a, run_threads(entry.imp, 2, cfg.tp_slot, program)?)));
            match (measured, &mut entry.result) {
                (Ok((a, b)), Ok((one, two))) => {
                    one.push(a);
                    two.push(b);
                }
                (Err(why), _) => entry.result = Err(why),
                (Ok(_), Err(_)) => {}
            }
        }
    }
    out
}

/// Spawns every implementation once (test mode: `cargo test --benches`).
fn smoke_test(programs: &Programs) -> bool {
    let mut ok = true;
    let mut count = 0;
    for attrs in Attrs::ALL {
        for &imp in attrs.impls() {
            let result = make(imp, attrs, programs.get(Prog::Noop)).map(|mut s| {
                catch_unwind(AssertUnwindSafe(|| {
                    s.spawn_wait();
                    s.after_batch();
                }))
                .map_err(|p| panic_message(&*p))
            });
            let status = match result {
                Ok(Ok(())) => {
                    count += 1;
                    String::from("ok")
                }
                Ok(Err(why)) => {
                    if imp.is_clonexec() {
                        ok = false;
                    }
                    format!("FAILED: {why}")
                }
                Err(why) => why,
            };
            println!("{:<17} {:<10} {status}", imp.name(), attrs.name());
        }
    }
    println!("spawn bench smoke test: {count} implementation/attribute pairs spawned");
    ok
}

fn main() {
    let cfg = Config::from_env();
    let noop = NoopProgram::create();
    let programs = Programs {
        noop: noop.c_path(),
        bin_true: CString::from(c"/bin/true"),
    };
    if !common::bench_mode() {
        let ok = smoke_test(&programs);
        // exit() skips destructors: remove the no-op's directory first.
        drop(noop);
        std::process::exit(if ok { 0 } else { 1 });
    }

    let machine = Machine::probe();
    let started = Instant::now();
    let load_before = sys::loadavg();
    eprintln!(
        "spawn bench: {} mode, {} rounds x {} ms slots, RSS levels {:?} MiB, no-op: {}",
        if cfg.quick { "QUICK" } else { "full" },
        cfg.rounds,
        cfg.slot.as_millis(),
        cfg.rss_levels,
        noop.how()
    );

    sys::raise_nofile((cfg.fds_large + 1024) as u64);
    let pinned = if cfg.pin { sys::pin_to_one_cpu() } else { None };
    if let Some((_, cpu)) = &pinned {
        eprintln!("  latency groups pinned to CPU {cpu} (CLONEXEC_BENCH_PIN)");
    }
    let base_fds = FdBallast::open(cfg.fds_small).expect("open the base fds");
    let mut results: BTreeMap<Key, Outcome> = BTreeMap::new();
    let mut throughput = Vec::new();
    let mut touch_times = Vec::new();
    let mut fds_large_opened = 0;

    for &rss in &cfg.rss_levels {
        let keys = level_keys(rss, cfg.fds_small);
        if rss > 0
            && let Some(avail) = sys::mem_available_mib()
            && avail < rss + 1024
        {
            let why = format!("skipped: {avail} MiB available");
            eprintln!("  RSS {rss} MiB: {why}");
            for key in keys {
                results.insert(key, Outcome::Unavailable(why.clone()));
            }
            continue;
        }
        let t = Instant::now();
        let ballast = match Ballast::new(rss) {
            Ok(b) => b,
            Err(e) => {
                let why = format!("skipped: mmap failed: {e}");
                for key in keys {
                    results.insert(key, Outcome::Unavailable(why.clone()));
                }
                continue;
            }
        };
        touch_times.push((rss, t.elapsed()));
        eprintln!(
            "  RSS {rss} MiB ({} bytes touched in {:.2?}): {} cells...",
            ballast.len(),
            t.elapsed(),
            keys.len()
        );
        measure_group(&cfg, cfg.matrix(), &keys, &programs, &mut results);

        if rss == 0 {
            eprintln!("  headline group: floor + clonexec's steps, clonexec, std, posix_spawn...");
            measure_group(
                &cfg,
                cfg.headline(),
                &headline_keys(cfg.fds_small),
                &programs,
                &mut results,
            );
            let extra = cfg.fds_large - cfg.fds_small;
            match FdBallast::open(extra) {
                Ok(more) => {
                    fds_large_opened = sys::open_fd_count();
                    eprintln!("  {} open fds: close_other_fds cells...", fds_large_opened);
                    measure_group(
                        &cfg,
                        cfg.matrix(),
                        &fd_keys(cfg.fds_large),
                        &programs,
                        &mut results,
                    );
                    drop(more);
                }
                Err(e) => {
                    for key in fd_keys(cfg.fds_large) {
                        results.insert(key, Outcome::Unavailable(format!("skipped: {e}")));
                    }
                }
            }
            eprintln!("  throughput, 1 vs 2 threads...");
            if let Some((old, _)) = &pinned {
                sys::restore_affinity(old);
            }
            throughput = measure_throughput(&cfg, programs.get(Prog::Noop));
            if pinned.is_some() {
                let _ = sys::pin_to_one_cpu();
            }
        }
        drop(ballast);
    }
    drop(base_fds);

    let report = Report {
        cfg: &cfg,
        machine: &machine,
        noop_how: noop.how(),
        results: &results,
        throughput: &throughput,
        load_before,
        load_after: sys::loadavg(),
        elapsed: started.elapsed(),
        fds_large_opened,
    };
    let markdown = report.markdown();
    println!("{markdown}");
    let svg = report.svg();

    let target = sys::target_dir();
    let _ = std::fs::create_dir_all(&target);
    for (name, text) in [("bench-report.md", &markdown), ("bench.svg", &svg)] {
        let path = target.join(name);
        match std::fs::write(&path, text) {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => eprintln!("could not write {}: {e}", path.display()),
        }
    }
    if cfg.write_docs {
        let docs = sys::docs_dir();
        let _ = std::fs::create_dir_all(&docs);
        for (name, text) in [("bench-report.md", &markdown), ("bench.svg", &svg)] {
            let path = docs.join(name);
            match std::fs::write(&path, text) {
                Ok(()) => eprintln!("wrote {}", path.display()),
                Err(e) => eprintln!("could not write {}: {e}", path.display()),
            }
        }
    }

    // Targets never fail the run; a clonexec spawn that fails does (the
    // benchmark would be measuring nothing).
    let broken: Vec<_> = results
        .iter()
        .filter(|(k, o)| k.imp.is_clonexec() && matches!(o, Outcome::Failed(_)))
        .collect();
    if !broken.is_empty() {
        for (key, outcome) in broken {
            if let Outcome::Failed(why) = outcome {
                eprintln!(
                    "FAILED: {} / {}: {why}",
                    key.imp.label(key.attrs),
                    key.attrs.label()
                );
            }
        }
        drop(noop);
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Report

struct Report<'a> {
    cfg: &'a Config,
    machine: &'a Machine,
    noop_how: &'a str,
    results: &'a BTreeMap<Key, Outcome>,
    throughput: &'a [Throughput],
    load_before: String,
    load_after: String,
    elapsed: Duration,
    fds_large_opened: usize,
}

/// `median [lo–hi]` of a ratio.
#[derive(Clone, Copy)]
struct RatioValue {
    mid: f64,
    lo: f64,
    hi: f64,
}

enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn met(&self, v: f64) -> bool {
        match *self {
            Goal::AtMost(g) => v <= g,
            Goal::AtLeast(g) => v >= g,
        }
    }

    fn text(&self) -> String {
        match *self {
            Goal::AtMost(g) => format!("≤ {g}"),
            Goal::AtLeast(g) => format!("≥ {g}"),
        }
    }
}

fn fmt_rss(mib: u64) -> String {
    match mib {
        0 => String::from("0"),
        m if m % 1024 == 0 => format!("{} GiB", m / 1024),
        m => format!("{m} MiB"),
    }
}

/// (divisor, unit, decimals) for a duration in ns.
fn time_unit(ns: f64) -> (f64, &'static str, usize) {
    if ns >= 1e9 {
        (1e9, "s", 2)
    } else if ns >= 1e7 {
        (1e6, "ms", 1)
    } else if ns >= 1e6 {
        (1e6, "ms", 2)
    } else if ns >= 1e5 {
        (1e3, "µs", 0)
    } else {
        (1e3, "µs", 1)
    }
}

fn fmt_time(ns: f64) -> String {
    let (div, unit, dec) = time_unit(ns);
    format!("{:.*} {unit}", dec, ns / div)
}

fn fmt_time_range(ns: f64, lo: f64, hi: f64) -> String {
    let (div, unit, dec) = time_unit(ns);
    format!(
        "{:.*} {unit} [{:.*}–{:.*}]",
        dec,
        ns / div,
        dec,
        lo / div,
        dec,
        hi / div
    )
}

/// `mid` (the ratio of the two overall medians), with the min and max of
/// the per-round ratios.
fn ratio_value(mid: f64, per_round: &[f64]) -> Option<RatioValue> {
    if per_round.is_empty() || !mid.is_finite() {
        return None;
    }
    let (lo, hi) = min_max(per_round);
    Some(RatioValue { mid, lo, hi })
}

/// A decade of the plot's axis: "10 µs", "1 ms", ...
fn fmt_decade(ns: f64) -> String {
    let (div, unit) = if ns >= 1e9 {
        (1e9, "s")
    } else if ns >= 1e6 {
        (1e6, "ms")
    } else if ns >= 1e3 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    };
    format!("{:.0} {unit}", ns / div)
}

fn fmt_ratio(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn fmt_ratio_value(r: RatioValue) -> String {
    format!(
        "{} [{}–{}]",
        fmt_ratio(r.mid),
        fmt_ratio(r.lo),
        fmt_ratio(r.hi)
    )
}

impl Report<'_> {
    fn samples(&self, key: Key) -> Option<&Samples> {
        match self.results.get(&key) {
            Some(Outcome::Measured(s)) if !s.all.is_empty() => Some(s),
            _ => None,
        }
    }

    fn key(&self, imp: Impl, attrs: Attrs, prog: Prog, rss: u64, fds: usize) -> Key {
        Key {
            attrs,
            prog,
            imp,
            rss,
            fds,
            headline: false,
        }
    }

    /// A cell of the headline group.
    fn h(&self, imp: Impl) -> Key {
        Key {
            headline: true,
            ..self.k(imp, Attrs::None, 0)
        }
    }

    /// Basic cell at the small fd count.
    fn k(&self, imp: Impl, attrs: Attrs, rss: u64) -> Key {
        self.key(imp, attrs, Prog::Noop, rss, self.cfg.fds_small)
    }

    fn ratio(&self, num: Key, den: Key) -> Option<RatioValue> {
        let (a, b) = (self.samples(num)?, self.samples(den)?);
        let per_round: Vec<f64> = a.rounds.iter().zip(&b.rounds).map(|(x, y)| x / y).collect();
        ratio_value(a.median() / b.median(), &per_round)
    }

    fn cell_text(&self, key: Key) -> String {
        match self.results.get(&key) {
            Some(Outcome::Measured(s)) if !s.all.is_empty() => {
                let (lo, hi) = s.round_range();
                fmt_time_range(s.median(), lo, hi)
            }
            Some(Outcome::Measured(_)) => String::from("no samples"),
            Some(Outcome::Unavailable(why)) => why.clone(),
            Some(Outcome::Failed(why)) => {
                let short: String = why.chars().take(60).collect();
                format!("FAILED: {short}")
            }
            None => String::from("–"),
        }
    }

    fn largest_level(&self) -> u64 {
        *self.cfg.rss_levels.last().unwrap_or(&0)
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        let m = self.machine;
        let _ = writeln!(md, "# clonexec spawn benchmark\n");
        let _ = writeln!(
            md,
            "spawn + exec + wait of a child, measured in one run. {} mode: {} interleaved rounds, \
             {} ms per cell per round; {:.0} s in all.\n",
            if self.cfg.quick {
                "QUICK (CI smoke: numbers are rough)"
            } else {
                "Full"
            },
            self.cfg.rounds,
            self.cfg.slot.as_millis(),
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            md,
            "- machine: {}, {} CPUs ({}), {} MiB RAM, {}",
            m.kernel, m.cpus, m.cpu, m.mem_total_mib, m.libc
        );
        let _ = writeln!(
            md,
            "- load average before / after: {} / {} (a busy machine makes every number noisy)",
            self.load_before, self.load_after
        );
        let _ = writeln!(
            md,
            "- no-op program: {}; `/bin/true` is dynamic (adds the loader)",
            self.noop_how
        );
        let _ = writeln!(
            md,
            "- parent RSS: private anonymous memory, `MADV_NOHUGEPAGE` (4 KiB pages), made resident with `MADV_POPULATE_WRITE` and a write to every page (THP: {})",
            m.thp
        );
        let _ = writeln!(
            md,
            "- every cell runs with {} extra inheritable fds open in the parent; the open-fds table also with {} fds open",
            self.cfg.fds_small, self.fds_large_opened
        );
        let _ = writeln!(
            md,
            "- CPU placement: {}",
            if self.cfg.pin {
                "latency cells pinned to one CPU (`CLONEXEC_BENCH_PIN=1`): parent and child share it"
            } else {
                "free (parent and child may run on different CPUs; `CLONEXEC_BENCH_PIN=1` pins them)"
            }
        );
        let _ = writeln!(
            md,
            "- a cell: median of all its spawns [min–max of its per-round medians]; a ratio: the ratio of the two cells' medians [min–max of the per-round ratios of round medians; on a busy machine a few stalled rounds widen this range, the ratio of medians resists them]\n"
        );

        self.targets_md(&mut md);
        self.headline_md(&mut md);
        self.latency_md(&mut md);
        self.fds_md(&mut md);
        self.throughput_md(&mut md);
        self.context_md(&mut md);
        let _ = writeln!(md, "![spawn latency by parent RSS](bench.svg)");
        md
    }

    fn targets(&self) -> Vec<(String, Option<RatioValue>, Goal)> {
        use Attrs as A;
        use Impl as I;
        let top = self.largest_level();
        let mut t = Vec::new();
        t.push((
            String::from("clonexec Command / floor (no attributes, RSS 0)"),
            self.ratio(self.h(I::ClonexecCommand), self.h(I::Floor)),
            Goal::AtMost(1.10),
        ));
        t.push((
            String::from("clonexec Command / std Command"),
            self.ratio(self.h(I::ClonexecCommand), self.h(I::Std)),
            Goal::AtMost(0.85),
        ));
        t.push((
            String::from("clonexec Command / libc posix_spawn"),
            self.ratio(self.h(I::ClonexecCommand), self.h(I::PosixSpawn)),
            Goal::AtMost(0.95),
        ));
        for (imp, attrs) in [
            (I::ClonexecCommand, A::None),
            (I::ClonexecCommand, A::Ids),
            (I::ClonexecCommand, A::CapsPdeathsig),
            (I::ClonexecCommand, A::CloseFds),
            (I::ClonexecUserNs, A::UserNs),
            (I::ClonexecCommand, A::Policies),
        ] {
            t.push((
                format!("clonexec at {} / at 0 RSS: {}", fmt_rss(top), attrs.label()),
                self.ratio(self.k(imp, attrs, top), self.k(imp, attrs, 0)),
                Goal::AtMost(1.2),
            ));
        }
        let gib = if self.cfg.rss_levels.contains(&1024) {
            1024
        } else {
            top
        };
        t.push((
            format!(
                "std .uid/.gid (fork) / clonexec {} at {} RSS",
                A::Ids.label(),
                fmt_rss(gib)
            ),
            self.ratio(
                self.k(I::StdFork, A::Ids, gib),
                self.k(I::ClonexecCommand, A::Ids, gib),
            ),
            Goal::AtLeast(50.0),
        ));
        t.push((
            String::from("clonexec Prepared / Command"),
            self.ratio(self.h(I::ClonexecPrepared), self.h(I::ClonexecCommand)),
            Goal::AtMost(0.95),
        ));
        for imp in [I::ClonexecCommand, I::ClonexecPrepared] {
            t.push((
                format!("{}: 2 threads / 1 thread throughput", imp.label(A::None)),
                self.throughput_ratio(imp),
                Goal::AtLeast(1.7),
            ));
        }
        t.push((
            format!(
                "close_other_fds: {} fds / {} fds",
                self.cfg.fds_large, self.cfg.fds_small
            ),
            self.ratio(
                self.key(
                    I::ClonexecCommand,
                    A::CloseFds,
                    Prog::Noop,
                    0,
                    self.cfg.fds_large,
                ),
                self.k(I::ClonexecCommand, A::CloseFds, 0),
            ),
            Goal::AtMost(1.2),
        ));
        t.push((
            format!(
                "clonexec Prepared at {} / at 0 RSS: {}",
                fmt_rss(top),
                A::Policies.label()
            ),
            self.ratio(
                self.k(I::ClonexecPrepared, A::Policies, top),
                self.k(I::ClonexecPrepared, A::Policies, 0),
            ),
            Goal::AtMost(1.2),
        ));
        t
    }

    fn throughput_ratio(&self, imp: Impl) -> Option<RatioValue> {
        let entry = self.throughput.iter().find(|t| t.imp == imp)?;
        let (one, two) = entry.result.as_ref().ok()?;
        if one.is_empty() {
            return None;
        }
        let per_round: Vec<f64> = two.iter().zip(one).map(|(b, a)| b / a).collect();
        ratio_value(
            median(&mut two.clone()) / median(&mut one.clone()),
            &per_round,
        )
    }

    fn targets_md(&self, md: &mut String) {
        let _ = writeln!(md, "## Targets\n");
        let _ = writeln!(
            md,
            "| target | measured [per-round min–max] | goal | result |"
        );
        let _ = writeln!(md, "|---|---|---|---|");
        let mut passed = 0;
        let targets = self.targets();
        for (name, value, goal) in &targets {
            let (text, verdict) = match value {
                Some(v) => {
                    let met = goal.met(v.mid);
                    if met {
                        passed += 1;
                    }
                    let mut verdict = String::from(if met { "PASS" } else { "**MISS**" });
                    // A busy second CPU caps every implementation's scaling:
                    // say so rather than blame clonexec.
                    if name.contains("threads")
                        && let Some(floor) = self.throughput_ratio(Impl::Floor)
                        && floor.mid < 1.5
                    {
                        let _ = write!(
                            verdict,
                            " (the floor scales {} only: the other CPU was busy)",
                            fmt_ratio(floor.mid)
                        );
                    }
                    (fmt_ratio_value(*v), verdict)
                }
                None => (String::from("not measured"), String::from("n/a")),
            };
            let _ = writeln!(md, "| {name} | {text} | {} | {verdict} |", goal.text());
        }
        let _ = writeln!(
            md,
            "\n{passed} of {} targets met. The first three and Prepared / Command come from the \
             headline group ({} rounds of {} ms), the others from the matrix.\n",
            targets.len(),
            self.cfg.headline().0,
            self.cfg.headline().1.as_millis()
        );
    }

    fn latency_md(&self, md: &mut String) {
        let levels = &self.cfg.rss_levels;
        let _ = writeln!(md, "## Latency by parent RSS (spawn + exec + wait)\n");
        let mut header = String::from("| attributes | implementation | program |");
        let mut rule = String::from("|---|---|---|");
        for &rss in levels {
            let _ = write!(header, " RSS {} |", fmt_rss(rss));
            rule.push_str("---|");
        }
        let _ = writeln!(md, "{header}\n{rule}");
        let rows: Vec<(Attrs, Prog, Impl)> = Attrs::ALL
            .iter()
            .flat_map(|&a| {
                let mut v: Vec<_> = a.impls().iter().map(|&i| (a, Prog::Noop, i)).collect();
                if a == Attrs::None {
                    v.extend(a.impls().iter().map(|&i| (a, Prog::BinTrue, i)));
                }
                v
            })
            .collect();
        for (attrs, prog, imp) in rows {
            let mut line = format!(
                "| {} | {} | {} |",
                attrs.label(),
                imp.label(attrs),
                prog.label()
            );
            for &rss in levels {
                let _ = write!(
                    line,
                    " {} |",
                    self.cell_text(self.key(imp, attrs, prog, rss, self.cfg.fds_small))
                );
            }
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md);
    }

    fn headline_md(&self, md: &mut String) {
        let keys = headline_keys(self.cfg.fds_small);
        let floor = keys[0];
        let _ = writeln!(
            md,
            "## Headline group: where clonexec's time goes (RSS 0, no attributes, measured together)\n"
        );
        let _ = writeln!(
            md,
            "| implementation | median [round min–max] | − floor | / floor | p90 | mean |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for key in keys {
            let delta = match (self.samples(key), self.samples(floor)) {
                (Some(a), Some(b)) => {
                    let d = a.median() - b.median();
                    format!("{}{}", if d < 0.0 { "−" } else { "+" }, fmt_time(d.abs()))
                }
                _ => String::from("–"),
            };
            let ratio = self
                .ratio(key, floor)
                .map_or_else(|| String::from("–"), fmt_ratio_value);
            let (p90, mean) = self.samples(key).map_or_else(
                || (String::from("–"), String::from("–")),
                |s| (fmt_time(s.quantile(0.9)), fmt_time(s.mean())),
            );
            let _ = writeln!(
                md,
                "| {} | {} | {delta} | {ratio} | {p90} | {mean} |",
                key.imp.label(key.attrs),
                self.cell_text(key)
            );
        }
        let _ = writeln!(md);
    }

    fn fds_md(&self, md: &mut String) {
        let (small, large) = (self.cfg.fds_small, self.cfg.fds_large);
        let _ = writeln!(md, "## Open fds in the parent (RSS 0)\n");
        let _ = writeln!(
            md,
            "| attributes | implementation | {small} fds | {large} fds | ratio |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|");
        for key in fd_keys(large) {
            let at_small = Key { fds: small, ..key };
            let ratio = self
                .ratio(key, at_small)
                .map_or_else(|| String::from("–"), fmt_ratio_value);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {ratio} |",
                key.attrs.label(),
                key.imp.label(key.attrs),
                self.cell_text(at_small),
                self.cell_text(key)
            );
        }
        let _ = writeln!(md);
    }

    fn throughput_md(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Throughput, 1 vs 2 spawning threads (no-op, no attributes, RSS 0)\n"
        );
        let _ = writeln!(
            md,
            "| implementation | 1 thread (spawns/s) | 2 threads (spawns/s) | 2 / 1 |"
        );
        let _ = writeln!(md, "|---|---|---|---|");
        for entry in self.throughput {
            let label = entry.imp.label(Attrs::None);
            match &entry.result {
                Ok((one, two)) if !one.is_empty() => {
                    let ratio = self
                        .throughput_ratio(entry.imp)
                        .map_or_else(|| String::from("–"), fmt_ratio_value);
                    let _ = writeln!(
                        md,
                        "| {label} | {:.0} | {:.0} | {ratio} |",
                        median(&mut one.clone()),
                        median(&mut two.clone())
                    );
                }
                Ok(_) => {
                    let _ = writeln!(md, "| {label} | – | – | – |");
                }
                Err(why) => {
                    let _ = writeln!(md, "| {label} | FAILED: {why} | | |");
                }
            }
        }
        let _ = writeln!(md);
    }

    fn context_md(&self, md: &mut String) {
        use Attrs as A;
        use Impl as I;
        let top = self.largest_level();
        let gib = if self.cfg.rss_levels.contains(&1024) {
            1024
        } else {
            top
        };
        let large = self.cfg.fds_large;
        let noop = |imp, attrs, rss| self.k(imp, attrs, rss);
        let tru = |imp, rss| self.key(imp, A::None, Prog::BinTrue, rss, self.cfg.fds_small);
        let mut rows: Vec<(String, Option<RatioValue>)> = vec![
            (
                String::from("clonexec Prepared / floor"),
                self.ratio(self.h(I::ClonexecPrepared), self.h(I::Floor)),
            ),
            (
                String::from("clonexec Prepared / std"),
                self.ratio(self.h(I::ClonexecPrepared), self.h(I::Std)),
            ),
            (
                String::from("clonexec Prepared / posix_spawn"),
                self.ratio(self.h(I::ClonexecPrepared), self.h(I::PosixSpawn)),
            ),
            (
                String::from("std / floor"),
                self.ratio(self.h(I::Std), self.h(I::Floor)),
            ),
            (
                String::from("posix_spawn / floor"),
                self.ratio(self.h(I::PosixSpawn), self.h(I::Floor)),
            ),
            (
                String::from("fork+execve / floor"),
                self.ratio(noop(I::ForkExec, A::None, 0), noop(I::Floor, A::None, 0)),
            ),
            (
                String::from("/bin/true: clonexec Command / floor"),
                self.ratio(tru(I::ClonexecCommand, 0), tru(I::Floor, 0)),
            ),
            (
                String::from("/bin/true: clonexec Command / std"),
                self.ratio(tru(I::ClonexecCommand, 0), tru(I::Std, 0)),
            ),
            (
                String::from("/bin/true / no-op (floor)"),
                self.ratio(tru(I::Floor, 0), noop(I::Floor, A::None, 0)),
            ),
        ];
        for attrs in [A::Ids, A::CapsPdeathsig, A::CloseFds] {
            rows.push((
                format!("{}: clonexec Command / floor + raw syscalls", attrs.label()),
                self.ratio(noop(I::ClonexecCommand, attrs, 0), noop(I::Floor, attrs, 0)),
            ));
        }
        rows.push((
            format!(
                "{large} fds, no attributes: floor / floor at {} fds",
                self.cfg.fds_small
            ),
            self.ratio(
                self.key(I::Floor, A::None, Prog::Noop, 0, large),
                noop(I::Floor, A::None, 0),
            ),
        ));
        rows.push((
            format!("{large} fds, close_other_fds: clonexec / floor + close_range"),
            self.ratio(
                self.key(I::ClonexecCommand, A::CloseFds, Prog::Noop, 0, large),
                self.key(I::Floor, A::CloseFds, Prog::Noop, 0, large),
            ),
        ));
        rows.push((
            format!("floor at {} / at 0 RSS", fmt_rss(top)),
            self.ratio(noop(I::Floor, A::None, top), noop(I::Floor, A::None, 0)),
        ));
        rows.push((
            format!("fork+execve at {} / at 0 RSS", fmt_rss(gib)),
            self.ratio(
                noop(I::ForkExec, A::None, gib),
                noop(I::ForkExec, A::None, 0),
            ),
        ));
        rows.push((
            format!("std .uid(self) (fork) / clonexec at {} RSS", fmt_rss(top)),
            self.ratio(
                noop(I::StdFork, A::None, top),
                noop(I::ClonexecCommand, A::None, top),
            ),
        ));
        rows.push((
            format!(
                "user ns: Go-style fork-like clone at {} / at 0 RSS",
                fmt_rss(gib)
            ),
            self.ratio(
                noop(I::ForkUserNs, A::UserNs, gib),
                noop(I::ForkUserNs, A::UserNs, 0),
            ),
        ));
        rows.push((
            String::from("user ns: clonexec / Go-style at 0 RSS"),
            self.ratio(
                noop(I::ClonexecUserNs, A::UserNs, 0),
                noop(I::ForkUserNs, A::UserNs, 0),
            ),
        ));
        rows.push((
            format!("user ns: Go-style / clonexec at {} RSS", fmt_rss(gib)),
            self.ratio(
                noop(I::ForkUserNs, A::UserNs, gib),
                noop(I::ClonexecUserNs, A::UserNs, gib),
            ),
        ));
        let _ = writeln!(md, "## Context (same run, not targets)\n");
        let _ = writeln!(
            md,
            "| ratio (static no-op, RSS 0 unless said) | value [per-round min–max] |"
        );
        let _ = writeln!(md, "|---|---|");
        for (name, value) in rows {
            let text = match value {
                Some(v) => fmt_ratio_value(v),
                None => String::from("not measured"),
            };
            let _ = writeln!(md, "| {name} | {text} |");
        }
        let _ = writeln!(md);
    }

    /// Grouped bars (one group per RSS level, one bar per implementation),
    /// median latency on a log scale.
    fn svg(&self) -> String {
        let impls = Attrs::None.impls();
        let levels = &self.cfg.rss_levels;
        let colors = [
            "#1f77b4", "#9ecae1", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#555555",
        ];
        let values: Vec<Vec<Option<f64>>> = levels
            .iter()
            .map(|&rss| {
                impls
                    .iter()
                    .map(|&imp| {
                        self.samples(self.k(imp, Attrs::None, rss))
                            .map(Samples::median)
                    })
                    .collect()
            })
            .collect();
        let all: Vec<f64> = values.iter().flatten().flatten().copied().collect();
        let (lo, hi) = if all.is_empty() {
            (1e4, 1e6)
        } else {
            min_max(&all)
        };
        let dec_lo = (lo.log10().floor()).min(4.0); // at most 10 µs
        let dec_hi = (hi.log10().ceil()).max(dec_lo + 1.0);

        let (w, h) = (1000.0_f64, 500.0_f64);
        let (left, right, top, bottom) = (80.0, 260.0, 60.0, 60.0);
        let plot_w = w - left - right;
        let plot_h = h - top - bottom;
        let y_of = |ns: f64| top + plot_h * (dec_hi - ns.log10()) / (dec_hi - dec_lo);

        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="24" font-size="16" font-weight="bold">spawn + exec + wait latency (median) vs parent RSS</text>"#,
            left
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="44" fill="#555">static no-op child, no attributes, log scale, lower is better; {} {}</text>"##,
            left,
            xml_escape(&self.machine.kernel),
            if self.cfg.quick { "(QUICK mode)" } else { "" }
        );
        // Decade grid lines.
        let mut dec = dec_lo;
        while dec <= dec_hi + 1e-9 {
            let ns = 10f64.powf(dec);
            let y = y_of(ns);
            let _ = writeln!(
                s,
                r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">{}</text>"##,
                left + plot_w,
                left - 6.0,
                y + 4.0,
                fmt_decade(ns)
            );
            dec += 1.0;
        }
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{:.1}" stroke="#333"/><line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
            top + plot_h,
            top + plot_h,
            left + plot_w,
            top + plot_h
        );
        let group_w = plot_w / levels.len().max(1) as f64;
        let bar_w = group_w * 0.8 / impls.len() as f64;
        for (g, &rss) in levels.iter().enumerate() {
            let gx = left + group_w * g as f64 + group_w * 0.1;
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">RSS {}</text>"#,
                gx + group_w * 0.4,
                top + plot_h + 20.0,
                fmt_rss(rss)
            );
            for (i, value) in values[g].iter().enumerate() {
                let x = gx + bar_w * i as f64;
                match value {
                    Some(ns) => {
                        let y = y_of(*ns);
                        let _ = writeln!(
                            s,
                            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} at RSS {}: {}</title></rect>"#,
                            bar_w * 0.92,
                            (top + plot_h - y).max(0.0),
                            colors[i % colors.len()],
                            xml_escape(impls[i].label(Attrs::None)),
                            fmt_rss(rss),
                            fmt_time(*ns)
                        );
                        let (tx, ty) = (x + bar_w * 0.46 + 3.0, y - 4.0);
                        let _ = writeln!(
                            s,
                            r#"<text x="{tx:.1}" y="{ty:.1}" font-size="9" transform="rotate(-90 {tx:.1} {ty:.1})">{}</text>"#,
                            fmt_time(*ns)
                        );
                    }
                    None => {
                        let (tx, ty) = (x + bar_w * 0.46 + 3.0, top + plot_h - 4.0);
                        let _ = writeln!(
                            s,
                            r##"<text x="{tx:.1}" y="{ty:.1}" font-size="9" fill="#999" transform="rotate(-90 {tx:.1} {ty:.1})">n/a</text>"##
                        );
                    }
                }
            }
        }
        // Legend.
        let lx = left + plot_w + 20.0;
        for (i, imp) in impls.iter().enumerate() {
            let ly = top + 10.0 + 22.0 * i as f64;
            let _ = writeln!(
                s,
                r#"<rect x="{lx:.1}" y="{:.1}" width="14" height="14" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                ly - 11.0,
                colors[i % colors.len()],
                lx + 20.0,
                ly,
                xml_escape(imp.label(Attrs::None))
            );
        }
        let _ = writeln!(s, "</svg>");
        s
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
