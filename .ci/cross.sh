#!/usr/bin/env bash
# Runs clonexec's test suite on the architectures beside the native
# x86_64-gnu one:
#
#   x86_64-unknown-linux-musl    natively (musl's self-contained start files)
#   i686-unknown-linux-musl      natively (the kernel's 32-bit ABI: int 0x80,
#                                 the 32-bit uid calls, i386 struct layouts)
#   aarch64-unknown-linux-gnu    under qemu-user
#   riscv64gc-unknown-linux-gnu  under qemu-user
#
# The native targets run every test with --all-features (the CLI, its bwrap
# front end, tokio); the qemu-user ones the library's tests.
#
# qemu-user (7.2) turns clone(CLONE_VM|CLONE_VFORK) into a fork (the report
# pipe still works, shared memory does not), answers clone3 with ENOSYS,
# refuses CLONE_PIDFD and CLONE_VM without CLONE_VFORK (user namespaces,
# pid1_init) with EINVAL, has no ptrace, keyctl or PR_SET_CHILD_SUBREAPER,
# and cannot run the target's binaries from a child's execve (no binfmt_misc
# here). Those runs export CLONEXEC_UNDER_QEMU=1 so that tests needing the
# real kernel skip and say why.
#
# Installs what it needs (Debian packages, rustup targets) when missing, then
# prints one summary line per target and a total. Exits non-zero if any
# target failed to build or had a failing test.
#
# Environment:
#   CROSS_TARGETS        space-separated subset of the triples above
#   CROSS_SKIP_INSTALL=1 do not run apt-get / rustup
#   CROSS_BUILD_TIMEOUT  seconds allowed to build one target's tests (default 900)
#   CROSS_TIMEOUT        seconds allowed to run one target's tests (default 900)
#   CROSS_BINARY_TIMEOUT seconds allowed per test binary (default 300)
#   CARGO_TARGET_DIR     default: target/cross under the checkout
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

all_targets="x86_64-unknown-linux-musl i686-unknown-linux-musl aarch64-unknown-linux-gnu riscv64gc-unknown-linux-gnu"
targets=${CROSS_TARGETS:-$all_targets}
build_timeout=${CROSS_BUILD_TIMEOUT:-900}
per_target_timeout=${CROSS_TIMEOUT:-900}
per_binary_timeout=${CROSS_BINARY_TIMEOUT:-300}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/cross}
export CARGO_TERM_COLOR=never

log() { printf '%s\n' "cross: $*" >&2; }

needs() { case " $targets " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

install_tools() {
    local pkgs=()
    if needs aarch64-unknown-linux-gnu || needs riscv64gc-unknown-linux-gnu; then
        command -v qemu-aarch64 >/dev/null && command -v qemu-riscv64 >/dev/null ||
            pkgs+=(qemu-user)
    fi
    if needs aarch64-unknown-linux-gnu; then
        command -v aarch64-linux-gnu-gcc >/dev/null || pkgs+=(gcc-aarch64-linux-gnu)
        [ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || pkgs+=(libc6-dev-arm64-cross)
    fi
    if needs riscv64gc-unknown-linux-gnu; then
        command -v riscv64-linux-gnu-gcc >/dev/null || pkgs+=(gcc-riscv64-linux-gnu)
        [ -e /usr/riscv64-linux-gnu/lib/libc.so.6 ] || pkgs+=(libc6-dev-riscv64-cross)
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing ${pkgs[*]}"
        local sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
            --no-install-recommends "${pkgs[@]}" >/dev/null
    fi

    local installed missing=()
    installed=$(rustup target list --installed)
    for t in $targets; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "rustup target add ${missing[*]}"
        rustup target add "${missing[@]}" >/dev/null 2>&1 ||
            rustup target add "${missing[@]}"
    fi
}

[ "${CROSS_SKIP_INSTALL:-0}" = 1 ] || install_tools

# Linkers and runners (cargo reads CARGO_TARGET_<TRIPLE>_*). The musl targets
# link with the host cc and Rust's self-contained musl start files and libc.
# Every test binary runs under a timeout, so that one hung binary fails alone
# instead of stalling the run (KILL after a grace period: qemu can sit on
# SIGTERM).
bounded="timeout -k 10 $per_binary_timeout"
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUNNER="$bounded"
export CARGO_TARGET_I686_UNKNOWN_LINUX_MUSL_RUNNER="$bounded"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$bounded qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_LINKER=riscv64-linux-gnu-gcc
export CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_RUNNER="$bounded qemu-riscv64 -L /usr/riscv64-linux-gnu"

summary=()
total_passed=0 total_failed=0 total_ignored=0 total_skipped=0
status=0

for t in $targets; do
    qemu=()
    # Natively (musl, i686) everything runs, the CLI, bwrap front end and
    # tokio tests included. Under qemu-user the library's own tests run,
    # without the doc examples: an example cannot skip what qemu-user lacks
    # (Landlock, seccomp filters), as the tests do.
    scope=(--all-features)
    case $t in
        # One test at a time: qemu-user emulates our clone as a fork of the
        # whole (multi-threaded) emulator, which now and then deadlocks in
        # the forked child when other guest threads are busy.
        # CLONEXEC_QEMU runs the target's executables that a test writes
        # (the pid-1 init's image) from a child, which the kernel cannot.
        aarch64-*) qemu=(env CLONEXEC_UNDER_QEMU=1 RUST_TEST_THREADS=1
                         "CLONEXEC_QEMU=qemu-aarch64 -L /usr/aarch64-linux-gnu")
                   scope=(--lib --bins --tests) ;;
        riscv64*) qemu=(env CLONEXEC_UNDER_QEMU=1 RUST_TEST_THREADS=1
                        "CLONEXEC_QEMU=qemu-riscv64 -L /usr/riscv64-linux-gnu")
                  scope=(--lib --bins --tests) ;;
    esac
    out="$CARGO_TARGET_DIR/test-$t.log"
    mkdir -p "$CARGO_TARGET_DIR"
    log "testing $t${qemu:+ (qemu-user)}"
    start=$SECONDS
    set +e
    # Build first (no hang possible there), then run under the timeouts.
    timeout -k 30 "$build_timeout" cargo test --target "$t" "${scope[@]}" --no-run >"$out" 2>&1
    rc=$?
    built=$rc
    if [ "$rc" -ne 0 ]; then
        grep -E '^error' -A12 "$out" | head -60
    else
        "${qemu[@]}" timeout -k 30 "$per_target_timeout" \
            cargo test --target "$t" "${scope[@]}" --no-fail-fast -- --show-output 2>&1 | tee -a "$out" |
            grep -E '^(test .* (FAILED|ignored)|error(\[|:)|test result:|.*panicked at)'
        rc=${PIPESTATUS[0]}
    fi
    set -e
    # Sum the per-binary "test result:" lines.
    read -r passed failed ignored < <(
        awk '/^test result:/ {
                for (i = 1; i <= NF; i++) {
                    if ($(i+1) ~ /^passed/)  p += $i
                    if ($(i+1) ~ /^failed/)  f += $i
                    if ($(i+1) ~ /^ignored/) g += $i
                }
            } END { print p + 0, f + 0, g + 0 }' "$out"
    )
    # Tests that returned early under qemu say so (shown by --show-output);
    # they are among the "passed" of libtest's count.
    skipped=$(grep -c '^skipping .*(qemu-user)$' "$out" || true)
    # Binaries killed by the per-binary timeout print no "test result".
    hung=$(grep -c 'exit status: 124)' "$out" || true)
    note=""
    if [ "$hung" -gt 0 ]; then
        note=" ($hung test binaries timed out after ${per_binary_timeout}s)"
        failed=$((failed + hung))
    fi
    if [ "$built" -ne 0 ]; then
        note=" (build failed, exit $built; see $out)"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        note=" (timed out after ${per_target_timeout}s)"
    elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        note=" (cargo test exited $rc; see $out)"
    fi
    [ "$rc" -eq 0 ] || status=1
    line="$t: $((passed - skipped)) passed, $skipped skipped (qemu-user), $failed failed, $ignored ignored in $((SECONDS - start))s$note"
    summary+=("$line")
    log "$line"
    total_passed=$((total_passed + passed - skipped))
    total_skipped=$((total_skipped + skipped))
    total_failed=$((total_failed + failed))
    total_ignored=$((total_ignored + ignored))
done

echo
echo "cross-architecture results:"
for line in "${summary[@]}"; do echo "  $line"; done
echo "cross: $total_passed passed, $total_skipped skipped under qemu-user, $total_failed failed, $total_ignored ignored"
exit $status
