#!/usr/bin/env bash
# Proves from the machine code that the child routine cannot panic or
# allocate: builds the `spawn` example, disassembles it, starts from every
# function of `clonexec::child`, follows every direct call, jump and
# function address the code references (transitively, inside the binary,
# through the GOT too),
# and fails if a panic or allocator function is reachable. Calls into
# shared libraries (PLT) and indirect calls are listed for review.
#
#   bash .ci/no-panic.sh            # release build (what users ship); fails on a finding
#   bash .ci/no-panic.sh debug      # debug build: report only (overflow checks
#                                   # and bounds checks are compiled in there)
#   NO_PANIC_STRICT=1 bash .ci/no-panic.sh debug   # ... and fail on findings too
#
# Needs objdump (binutils) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-release}
case "$profile" in
  release) flags=(--release); dir=release; strict=${NO_PANIC_STRICT:-1} ;;
  debug) flags=(); dir=debug; strict=${NO_PANIC_STRICT:-0} ;;
  *) echo "usage: $0 [release|debug]" >&2; exit 2 ;;
esac

for tool in objdump python3; do
  command -v "$tool" >/dev/null || { echo "no-panic: needs $tool" >&2; exit 1; }
done

target_dir=${CARGO_TARGET_DIR:-target}
cargo build --quiet "${flags[@]}" --example spawn
binary="$target_dir/$dir/examples/spawn"
asm=$(mktemp)
relocs=$(mktemp)
trap 'rm -f "$asm" "$relocs"' EXIT
objdump -d --no-show-raw-insn -C "$binary" >"$asm"
# GOT slots: calls and address loads through the GOT (PIE, -Z plt=no) name
# the slot, not the function; the dynamic relocations tell what is there.
objdump -R -C "$binary" >"$relocs" 2>/dev/null || true

STRICT=$strict PROFILE=$profile python3 - "$asm" "$relocs" <<'PY'
import bisect, os, re, sys
from collections import deque

header = re.compile(r'^([0-9a-f]+) <(.+)>:$')
# The address an instruction refers to, at the end of its line:
# "call 30fe0 <name>", "jne 31a2c <name+0x4c>", "lea ... # 40e0 <name>",
# "call *0x4(%rip) # 79540 <_DYNAMIC+0x398>".
ref = re.compile(r'([0-9a-f]+) <(.+?)(\+0x[0-9a-f]+)?>$')
indirect = re.compile(r'\b(call|jmp)\s+\*')

# Functions by start address: demangled names lose the hash, so two
# instances of one generic function share a name.
names = {}      # start -> name
body = {}       # start -> instruction lines
current = None
for line in open(sys.argv[1], encoding='utf-8', errors='replace'):
    line = line.rstrip('\n')
    m = header.match(line)
    if m:
        current = int(m.group(1), 16)
        names[current] = m.group(2)
        body[current] = []
        continue
    if current is not None and line.startswith(' '):
        body[current].append(line)
starts = sorted(names)

def containing(addr):
    i = bisect.bisect_right(starts, addr) - 1
    return starts[i] if i >= 0 else None

got = {}        # GOT slot -> function start (int) or external symbol (str)
for line in open(sys.argv[2], encoding='utf-8', errors='replace'):
    parts = line.split(None, 2)
    if len(parts) != 3 or not re.fullmatch(r'[0-9a-f]+', parts[0]):
        continue
    slot, kind, value = int(parts[0], 16), parts[1], parts[2].strip()
    if kind == 'R_X86_64_RELATIVE':
        m = re.fullmatch(r'\*ABS\*\+0x([0-9a-f]+)', value)
        if m and int(m.group(1), 16) in names:
            got[slot] = int(m.group(1), 16)
    elif kind in ('R_X86_64_GLOB_DAT', 'R_X86_64_JUMP_SLOT', 'R_X86_64_64'):
        got[slot] = value.split('+')[0]

PANIC = re.compile(
    r'core::panicking::|panic_bounds_check|slice_(start_|end_)?index_|'
    r'slice_index_order_fail|unwrap_failed|expect_failed|panic_fmt|'
    r'begin_panic|rust_panic|std::panicking|__rust_start_panic|'
    r'panic_already_(mutably_)?borrowed|panic_const_|panic_nounwind|'
    r'_Unwind_Resume|rust_begin_unwind|core::option::unwrap_failed|'
    r'str_index_overflow_fail|slice_error_fail|'
    r'handle_alloc_error|__rust_alloc|__rust_realloc|__rust_dealloc|'
    r'__rdl_|alloc::raw_vec::|capacity_overflow|__rg_alloc|'
    r'(^|[^a-z_])(malloc|calloc|realloc|free)(@|$)')

roots = [a for a in starts if names[a].startswith('clonexec::child::')]
if not roots:
    sys.exit('no-panic: no clonexec::child:: function in the binary?')

parent = {r: None for r in roots}   # reached function or external -> from
queue = deque(roots)
external, indirect_calls, findings = set(), [], []
while queue:
    f = queue.popleft()
    name = names[f]
    if PANIC.search(name):
        findings.append(f)
        continue
    for line in body[f]:
        m = ref.search(line)
        if indirect.search(line) and not (m and int(m.group(1), 16) in got):
            indirect_calls.append((name, line.split('\t')[-1].strip()))
        if not m:
            continue
        addr = int(m.group(1), 16)
        if addr in got:
            target = got[addr]
        elif m.group(2).endswith('@plt'):
            target = m.group(2)
        else:
            target = containing(addr)
            # Only whole functions: a reference into the middle of a
            # function is a jump inside it (or data).
            if target is None or (target != addr and target != f and m.group(3) is None):
                continue
        if target == f:
            continue
        if isinstance(target, str):
            external.add((target, name))
            if PANIC.search(target) and target not in parent:
                parent[target] = f
                findings.append(target)
            continue
        if target not in parent:
            parent[target] = f
            queue.append(target)

def label(f):
    return f if isinstance(f, str) else names[f]

def chain(f):
    path = []
    while f is not None:
        path.append(label(f))
        f = parent.get(f)
    return ' <- '.join(path)

profile = os.environ['PROFILE']
print(f'no-panic ({profile}): {len(roots)} clonexec::child functions, '
      f'{len(parent)} reachable functions')
for target, caller in sorted(external):
    print(f'  note: shared-library symbol {target} used by {caller}')
for caller, insn in indirect_calls:
    print(f'  note: indirect {insn} in {caller}')
for f in sorted(set(findings), key=label):
    print(f'  PANIC/ALLOC PATH: {chain(f)}')
if findings:
    print(f'no-panic ({profile}): {len(set(findings))} panic or allocation '
          'function(s) reachable from the child routine')
    if os.environ['STRICT'] == '1':
        sys.exit(1)
else:
    print(f'no-panic ({profile}): no panic or allocation path from the child routine')
PY
