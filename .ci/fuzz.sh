#!/usr/bin/env bash
# Short fuzzing runs for CI: builds the cargo-fuzz targets and runs each
# from the committed seeds (fuzz/seeds/TARGET) for about a minute. Fails
# when a target crashes (libFuzzer exits non-zero and leaves the input in
# fuzz/artifacts/TARGET/). See fuzz/README.md for longer runs.
#
#   bash .ci/fuzz.sh                 # every target, 60 s each
#   FUZZ_SECONDS=300 bash .ci/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-60}

# cargo-fuzz needs a nightly toolchain (-Zsanitizer).
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal >/dev/null
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi

# The probe the spawn target execs: built without instrumentation.
cargo build --quiet --release --manifest-path probe/Cargo.toml --target-dir target/probe

for target in prepare spawn seccomp bwrap_args; do
  echo "== fuzz $target (${seconds}s)"
  cargo +nightly fuzz build "$target"
  # The inputs that once showed a bug must keep passing.
  for input in regressions/"$target"-*; do
    [ -e "$input" ] || continue
    echo "-- regression $input"
    cargo +nightly fuzz run "$target" "$input" >/dev/null 2>&1 || {
      cargo +nightly fuzz run "$target" "$input" 2>&1 | tail -n 40
      echo "fuzz target $target fails on $input again" >&2
      exit 1
    }
  done
  # A scratch corpus, so CI runs start from the seeds alone and leave
  # nothing behind; a fixed random seed, so a run that finds a crash finds
  # it again (CI goes red for a bug, not by chance).
  corpus=$(mktemp -d)
  status=0
  cargo +nightly fuzz run "$target" "$corpus" "seeds/$target" -- \
    -seed=1 -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
    >"$corpus.log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec' "$corpus.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 80 "$corpus.log"
    echo "fuzz target $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
    rm -rf "$corpus" "$corpus.log"
    exit 1
  fi
  rm -rf "$corpus" "$corpus.log"
done
echo "fuzz: every target ran ${seconds}s without a crash"
