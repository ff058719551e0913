#!/usr/bin/env bash
# Counts the system calls of one spawn + exec + wait, parent and child
# together, for clonexec and the baselines of the spawn benchmarks.
#
#   bash benches/strace.sh [N] [ATTRS]      # N spawns (default 200), ATTRS none|ids|caps|closefds
#
# For each implementation it runs examples/bench_spawn_loop.rs under
# `strace -f -c` once with N spawns and once with 0 (same setup, no spawn),
# and prints (calls(N) - calls(0)) / N for every system call: what one spawn
# costs, including the static no-op child's own execve and exit_group.
# The Markdown table also goes to <target>/strace-report.md.
#
# Environment: CLONEXEC_STRACE_IMPLS="clonexec prepared std ..." picks the
# implementations; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-200}
attrs=${2:-none}
impls=${CLONEXEC_STRACE_IMPLS:-"clonexec prepared std posix_spawn fork floor"}
if [ "$attrs" != none ]; then
  impls=${CLONEXEC_STRACE_IMPLS:-"clonexec prepared std-fork fork floor"}
fi

command -v strace >/dev/null || { echo "strace is not installed (apt-get install strace)" >&2; exit 1; }
cargo build --quiet --release --example bench_spawn_loop
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/examples/bench_spawn_loop

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for impl in $impls; do
  for count in "$n" 0; do
    CLONEXEC_BENCH_SPAWN_LOOP_QUIET=1 strace -f -c -o "$tmp/$impl.$count" \
      "$bin" "$impl" "$count" "$attrs" >/dev/null
  done
done

report=$(
  for impl in $impls; do
    for count in "$n" 0; do
      # strace -c rows: % time, seconds, usecs/call, calls, [errors], syscall
      awk -v impl="$impl" -v count="$count" -v n="$n" '
        $1 ~ /^[0-9.]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ {
          print impl, $NF, (count == n ? $4 : -$4)
        }' "$tmp/$impl.$count"
    done
  done | awk -v n="$n" -v impls="$impls" -v attrs="$attrs" '
    { calls[$1 SUBSEP $2] += $3; seen[$2] = 1 }
    END {
      k = split(impls, order, " ")
      printf "System calls per spawn + exec + wait (strace -f -c, %d spawns minus 0, attributes: %s)\n\n", n, attrs
      header = "| syscall |"; rule = "|---|"
      for (i = 1; i <= k; i++) { header = header " " order[i] " |"; rule = rule "---:|" }
      print header; print rule
      # rows sorted by the first implementation, then by name
      m = 0
      for (s in seen) { names[++m] = s }
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) {
        a = calls[order[1] SUBSEP names[i]]; b = calls[order[1] SUBSEP names[j]]
        if (b > a || (b == a && names[j] < names[i])) { t = names[i]; names[i] = names[j]; names[j] = t }
      }
      for (i = 1; i <= m; i++) {
        line = "| " names[i] " |"; any = 0
        for (j = 1; j <= k; j++) {
          v = calls[order[j] SUBSEP names[i]] / n
          if (v >= 0.05 || v <= -0.05) { line = line sprintf(" %.2f |", v); any = 1 }
          else line = line " – |"
        }
        if (any) print line
      }
      line = "| **total** |"
      for (j = 1; j <= k; j++) {
        tot = 0
        for (i = 1; i <= m; i++) tot += calls[order[j] SUBSEP names[i]]
        line = line sprintf(" **%.1f** |", tot / n)
      }
      print line
    }'
)
echo "$report"
mkdir -p "$target"
echo "$report" >"$target/strace-report.md"
echo >&2
echo "wrote $target/strace-report.md" >&2
