#!/usr/bin/env bash
# Runs every benchmark of issue 7 and writes docs/PERFORMANCE.md.
#
#   scripts/bench.sh
#
# 1-3. `cargo bench --bench overhead`: syscalls under no filter, pledge and seccompiler (each in
#      a sandboxed child), phase entry and re-entry. Criterion keeps its results in
#      <target>/criterion; they are read back from there.
# 4.   `cargo bench --bench bpf_steps`: instructions executed per syscall, by the interpreter.
# 5.   A throwaway crate in /tmp that depends on this workspace by path, with 0, 1 and 10
#      pledged functions: `cargo build --release` time and binary size.
#
# Takes about ten minutes on two cores. Timings are only as quiet as the machine: the script
# records how many compilers were running beside it, and the document says so.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/sandbox-bench.XXXXXX)
export CARGO_TERM_COLOR=never

# Other compilers running now (this script's own cargo is not running at the moment it looks).
busy() { ps -eo comm= | grep -cE '^(rustc|cc1|cc1plus|ld|cargo)$' || true; }
busy_max=0
note_busy() {
  local n
  n=$(busy)
  if ((n > busy_max)); then busy_max=$n; fi
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
note_busy

echo "== building the benchmarks" >&2
cargo bench --bench overhead --bench bpf_steps --no-run 2>&1 | tail -n 1 >&2
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
crit="$target_dir/criterion"
rm -rf "$crit/syscall" "$crit/reenter" "$crit/first_entry" "$crit/parts"

echo "== items 1-3: cargo bench --bench overhead" >&2
note_busy
cargo bench --bench overhead >"$work/overhead.log" 2>&1 || {
  tail -n 40 "$work/overhead.log" >&2
  exit 1
}
note_busy

echo "== item 4: cargo bench --bench bpf_steps" >&2
cargo bench --bench bpf_steps >"$work/steps.md" 2>"$work/steps.log" || {
  tail -n 40 "$work/steps.log" >&2
  exit 1
}

echo "== item 5: what the macro costs (a crate in /tmp)" >&2
mc=/tmp/sandbox-macro-cost
rm -rf "$mc/src"
mkdir -p "$mc/src"
cat >"$mc/Cargo.toml" <<EOF
[package]
name = "macro-cost"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
sandbox = { path = "$root" }

[workspace]
EOF
cp "$root/Cargo.lock" "$mc/Cargo.lock"
promises=("stdio" "stdio rpath" "stdio rpath wpath" "stdio rpath wpath cpath" "stdio inet"
  "stdio rpath inet" "stdio unix" "stdio proc" "stdio tty" "stdio dns")
# main.rs with ten functions, the first $1 of them pledged; all of them reachable.
write_main() {
  {
    echo "//! Ten functions, $1 of them pledged."
    for i in $(seq 0 9); do
      if ((i < $1)); then echo "#[sandbox::pledge(\"${promises[$i]}\")]"; fi
      echo "#[inline(never)]"
      echo "fn f$i() { println!(\"f$i\"); }"
    done
    echo "fn main() {"
    echo "    if std::env::args().count() > 99 {"
    for i in $(seq 0 9); do echo "        f$i();"; done
    echo "    }"
    echo "    println!(\"done\");"
    echo "}"
  } >"$mc/src/main.rs"
}
build_ms() {
  touch "$mc/src/main.rs"
  local t0 t1
  t0=$(date +%s%N)
  (cd "$mc" && CARGO_TARGET_DIR="$mc/target" cargo build --release --offline -q)
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
write_main 0
(cd "$mc" && CARGO_TARGET_DIR="$mc/target" cargo build --release --offline -q) # dependencies
: >"$work/macro.env"
for n in 0 1 10; do
  write_main "$n"
  note_busy
  times=()
  for _ in 1 2 3 4 5; do times+=("$(build_ms)"); done
  bin="$mc/target/release/macro-cost"
  strip -o "$work/stripped" "$bin"
  {
    echo "build_ms_$n=${times[*]}"
    echo "size_$n=$(stat -c %s "$bin")"
    echo "stripped_$n=$(stat -c %s "$work/stripped")"
  } >>"$work/macro.env"
done
note_busy

export BENCH_STARTED="$started"
export BENCH_LOAD_BEFORE="$load_before"
export BENCH_LOAD_AFTER
BENCH_LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_BUSY_MAX="$busy_max"
export BENCH_CPU
BENCH_CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export BENCH_CORES
BENCH_CORES=$(nproc)
export BENCH_MEM
BENCH_MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
export BENCH_KERNEL
BENCH_KERNEL=$(uname -r)
export BENCH_RUSTC
BENCH_RUSTC=$(rustc -V)
export BENCH_LIBC
BENCH_LIBC="glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2)"
export BENCH_COMMIT
BENCH_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
export BENCH_SSB
BENCH_SSB=$(cat /sys/devices/system/cpu/vulnerabilities/spec_store_bypass 2>/dev/null || echo unknown)

python3 - "$crit" "$work" >"$root/docs/PERFORMANCE.md" <<'PY'
# Writes docs/PERFORMANCE.md from criterion's estimates and the other steps' outputs.
import json
import os
import statistics
import sys

crit, work = sys.argv[1], sys.argv[2]
env = os.environ


def est(path):
    with open(f"{crit}/{path}/new/estimates.json") as f:
        m = json.load(f)["median"]
    ci = m["confidence_interval"]
    return m["point_estimate"], ci["lower_bound"], ci["upper_bound"]


def med(path):
    return est(path)[0]


def fmt(ns):
    if ns < 10:
        return f"{ns:.2f} ns"
    if ns < 1000:
        return f"{ns:.1f} ns"
    if ns < 1e4:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns / 1e6:.2f} ms"


def cell(path):
    p, lo, hi = est(path)
    return f"{fmt(p)} <sub>{fmt(lo)}–{fmt(hi)}</sub>"


def verdict(ok):
    return "**met**" if ok else "**missed**"


steps = open(f"{work}/steps.md").read()
macro = {}
for line in open(f"{work}/macro.env"):
    k, v = line.strip().split("=", 1)
    macro[k] = v


def steps_row(label, nth=0):
    rows = [l for l in steps.splitlines() if l.startswith(f"| {label} |")]
    return [c.strip() for c in rows[nth].strip("|").split("|")]


# ---- item 1 -------------------------------------------------------------------------------
calls = [
    ("getppid", "`getppid()`", False),
    ("read", "1-byte `read` from /dev/zero", False),
    ("openat_close", "`openat(O_RDONLY)` + `close`", True),
    ("mmap_munmap", "`mmap` + `munmap` of one 4 KiB read-write page", True),
    ("fcntl", "`fcntl(F_GETFL)`", True),
]
v = {}
half = {}  # half the width of the 95% confidence interval of the median
for call, _, _ in calls:
    for variant in ["unfiltered", "pledge", "seccompiler", "floor-cached", "floor-checked"]:
        p_, lo_, hi_ = est(f"syscall/{call}/{variant}")
        v[call, variant] = p_
        half[call, variant] = (hi_ - lo_) / 2


def measurable(call, variant):
    """Whether the variant's time is above the unfiltered one by more than both CIs' noise."""
    return v[call, variant] - v[call, "unfiltered"] > half[call, variant] + half[call, "unfiltered"]


summary = []  # (item, what, target, measured, ratio to target, met)
t1 = []
t1.append(
    "| call | unfiltered | `pledge(\"stdio rpath\")` | seccompiler | floor: `ret ALLOW` | floor: `ld arg; ret ALLOW` |"
)
t1.append("|---|--:|--:|--:|--:|--:|")
for call, label, _ in calls:
    t1.append(
        f"| {label} | "
        + " | ".join(
            cell(f"syscall/{call}/{x}")
            for x in ["unfiltered", "pledge", "seccompiler", "floor-cached", "floor-checked"]
        )
        + " |"
    )

t1r = []
t1r.append(
    "| call | pledge ÷ unfiltered | target | ratio to target | pledge's added cost ÷ seccompiler's | target | ratio to target |"
)
t1r.append("|---|--:|--:|--:|--:|--:|--:|")
for call, label, checked in calls:
    unf, pl, sc = v[call, "unfiltered"], v[call, "pledge"], v[call, "seccompiler"]
    ratio = pl / unf
    limit = 1.15 if checked else 1.03
    ok = ratio <= limit
    summary.append(
        (
            "1",
            f"{label}: pledge ÷ unfiltered",
            f"≤ {limit:.2f}",
            f"{ratio:.3f}",
            f"{ratio / limit:.2f}",
            ok,
        )
    )
    if checked:
        if not measurable(call, "pledge"):
            added_txt, ratio_txt, ok2 = "no measurable added cost", "—", True
        elif not measurable(call, "seccompiler"):
            added_txt, ratio_txt, ok2 = "seccompiler's added cost not measurable", "—", False
        else:
            added = (pl - unf) / (sc - unf)
            added_txt, ratio_txt, ok2 = f"{added:.2f}", f"{added / 0.5:.2f}", added <= 0.5
        summary.append(
            (
                "1",
                f"{label}: pledge's added cost ÷ seccompiler's",
                "≤ 0.50",
                added_txt,
                ratio_txt,
                ok2,
            )
        )
        t1r.append(
            f"| {label} | {ratio:.3f} | ≤ {limit:.2f} | {ratio / limit:.2f} {verdict(ok)} | {added_txt} | ≤ 0.50 | {ratio_txt} {verdict(ok2)} |"
        )
    else:
        t1r.append(
            f"| {label} | {ratio:.3f} | ≤ {limit:.2f} | {ratio / limit:.2f} {verdict(ok)} | — | — | — |"
        )

t1f = []
t1f.append(
    "| call | the kernel's floor for it | floor ÷ unfiltered | pledge ÷ floor | pledge − floor | seccompiler − floor |"
)
t1f.append("|---|---|--:|--:|--:|--:|")
for call, label, checked in calls:
    floor_name = "floor-checked" if checked else "floor-cached"
    fl = v[call, floor_name]
    t1f.append(
        f"| {label} | `{'ld arg; ret ALLOW' if checked else 'ret ALLOW'}` | {fl / v[call, 'unfiltered']:.3f} | {v[call, 'pledge'] / fl:.3f} | {fmt(v[call, 'pledge'] - fl)} | {fmt(v[call, 'seccompiler'] - fl)} |"
    )

# ---- item 2 -------------------------------------------------------------------------------
fe = {
    k: med(f"first_entry/{k}")
    for k in [
        "attribute",
        "seccompiler",
        "runtime-api",
        "second-phase",
        "install-ours",
        "install-seccompiler",
        "install-ours-unshared",
        "install-floor",
        "table",
        "preflight",
    ]
}
parts = {k: med(f"parts/{k}") for k in ["table", "compile", "seccompiler-build"]}
speedup = fe["seccompiler"] / fe["attribute"]
summary.append(
    (
        "2",
        "first phase entry: seccompiler build + install ÷ `#[pledge]`",
        "≥ 10",
        f"{speedup:.2f}",
        f"{speedup / 10:.2f}",
        speedup >= 10,
    )
)
t2 = [
    "| what is timed (one fresh process each) | median <sub>95% CI</sub> |",
    "|---|--:|",
    f"| `#[pledge(\"stdio rpath\")]`, first phase of the process (BPF built at compile time) | {cell('first_entry/attribute')} |",
    f"| seccompiler: build the equivalent filter from its rules, compile, install | {cell('first_entry/seccompiler')} |",
    f"| `sandbox::pledge(\"stdio rpath\")`, first phase (compiled at run time) | {cell('first_entry/runtime-api')} |",
    f"| `#[pledge(\"stdio rpath\")]` after a first phase `\"stdio rpath inet\"` | {cell('first_entry/second-phase')} |",
    f"| part: the first phase's checks (io_uring, `READ_IMPLIES_EXEC`; `sandbox::__private::first_phase_checks`) | {cell('first_entry/preflight')} |",
    f"| part: no_new_privs + `seccomp(TSYNC)` of our program | {cell('first_entry/install-ours')} |",
    f"| part: the same before sharing returns (`compile_unshared`) | {cell('first_entry/install-ours-unshared')} |",
    f"| part: no_new_privs + `seccomp(TSYNC)` of seccompiler's program | {cell('first_entry/install-seccompiler')} |",
    f"| part: no_new_privs + `seccomp(TSYNC)` of `ret ALLOW` (the kernel's floor) | {cell('first_entry/install-floor')} |",
    f"| not part of an entry any more: `sandbox_policy::table(x86_64)` in a fresh process (the runtime's table is static data) | {cell('first_entry/table')} |",
]
t2p = [
    "| pure part, timed in the parent (warm) | median <sub>95% CI</sub> |",
    "|---|--:|",
    f"| `sandbox_policy::table(x86_64)` | {cell('parts/table')} |",
    f"| `sandbox_policy::compile(table, \"stdio rpath\")` | {cell('parts/compile')} |",
    f"| seccompiler: rules → `SeccompFilter` → `BpfProgram` | {cell('parts/seccompiler-build')} |",
]

# ---- item 3 -------------------------------------------------------------------------------
re_attr = med("reenter/attribute")
re_plain = med("reenter/plain-call")
summary.append(
    (
        "3",
        "calling a pledged fn whose phase is in force",
        "≤ 5 ns",
        fmt(re_attr),
        f"{re_attr / 5:.2f}",
        re_attr <= 5,
    )
)
t3 = [
    "| call, in the sandboxed child | median <sub>95% CI</sub> |",
    "|---|--:|",
    f"| `#[pledge(\"stdio rpath\")] fn` whose phase is in force | {cell('reenter/attribute')} |",
    f"| the same fn without the attribute | {cell('reenter/plain-call')} |",
    f"| two pledged fns with the same promises, called in turn (each call switches phase; per call) | {cell('reenter/alternating')} |",
    f"| `sandbox::pledge(\"stdio rpath\")` again, promises in force | {cell('reenter/runtime-api')} |",
]

# ---- item 4 -------------------------------------------------------------------------------
sr = steps_row("`stdio rpath`")
ours_len, theirs_len, unshared_len = int(sr[1]), int(sr[5]), int(sr[9])
fc = steps_row("`fcntl(fd, F_GETFL)`")
fcntl_ours, fcntl_theirs = int(fc[1]), int(fc[3])
gp = steps_row("`getppid()`")
ranges = int(steps.split("verdict ranges: ")[1].split()[0])

# ---- item 5 -------------------------------------------------------------------------------
b = {n: [int(x) for x in macro[f"build_ms_{n}"].split()] for n in (0, 1, 10)}
mb = {n: statistics.median(b[n]) for n in b}
sz = {n: int(macro[f"size_{n}"]) for n in b}
st = {n: int(macro[f"stripped_{n}"]) for n in b}
t5 = [
    "| | 0 pledged fns | 1 | 10 | added by 10 | first pledged fn (1 − 0) | each further one ((10 − 1) ÷ 9) |",
    "|---|--:|--:|--:|--:|--:|--:|",
    f"| `cargo build --release` of the crate, median of 5 | {mb[0] / 1000:.2f} s | {mb[1] / 1000:.2f} s | {mb[10] / 1000:.2f} s | {(mb[10] - mb[0]) / 1000:.2f} s | {mb[1] - mb[0]:.0f} ms | {(mb[10] - mb[1]) / 9:.0f} ms |",
    f"| binary size | {sz[0]:,} B | {sz[1]:,} B | {sz[10]:,} B | {sz[10] - sz[0]:,} B | {sz[1] - sz[0]:,} B | {(sz[10] - sz[1]) / 9:,.0f} B |",
    f"| binary size, stripped | {st[0]:,} B | {st[1]:,} B | {st[10]:,} B | {st[10] - st[0]:,} B | {st[1] - st[0]:,} B | {(st[10] - st[1]) / 9:,.0f} B |",
    "",
    "Build times of the five runs (ms): "
    + "; ".join(f"{n} pledged: {', '.join(map(str, b[n]))}" for n in (0, 1, 10))
    + ".",
]

# ---- the document -------------------------------------------------------------------------
o = []
w = o.append
w("# Performance")
w("")
w(
    "Written by `scripts/bench.sh` (issue 7); do not edit by hand, run the script again. "
    "Every figure is from the run described under [The machine](#the-machine)."
)
w("")
w("## Targets")
w("")
w("| item | what | target | measured | ratio to target | |")
w("|---|---|--:|--:|--:|---|")
for item, what, target, measured, ratio, ok in summary:
    w(f"| {item} | {what} | {target} | {measured} | {ratio} | {verdict(ok)} |")
w("")
w(
    "Ratio to target: measured ÷ target for the \"at most\" targets (met when ≤ 1), measured speed-up ÷ 10 "
    "for item 2 (met when ≥ 1). Why the missed ones are missed, and what would change that, is in "
    "[Why targets are missed](#why-targets-are-missed)."
)
w("")
w("## The machine")
w("")
w(f"- Run: {env['BENCH_STARTED']}, commit {env['BENCH_COMMIT']}, command `scripts/bench.sh`.")
w(f"- CPU: {env['BENCH_CPU']}, {env['BENCH_CORES']} cores (a virtual machine), {env['BENCH_MEM']}.")
w(f"- Kernel: Linux {env['BENCH_KERNEL']}; BPF JIT on; speculative store bypass: {env['BENCH_SSB']} (so seccomp does not switch SSBD on).")
w(f"- {env['BENCH_LIBC']}; {env['BENCH_RUSTC']}; benchmarks built with cargo's `bench` profile.")
w(
    f"- Load average before / after: {env['BENCH_LOAD_BEFORE']} / {env['BENCH_LOAD_AFTER']}. "
    "The two cores are shared with other engineers' builds, so another build may have been running "
    "during any measurement"
    + (
        f" (up to {env['BENCH_BUSY_MAX']} compiler, linker or cargo processes were seen at the moments the script looked)"
        if env["BENCH_BUSY_MAX"] != "0"
        else " (none was seen at the moments the script looked, between the steps)"
    )
    + ". Compare figures of one run with each other rather than across runs."
)
w("")
w("## 1. Cost per syscall")
w("")
w(
    "Each call in a loop in a sandboxed child; criterion's median time per iteration with its 95% "
    "confidence interval. The filters: none; `#[sandbox::pledge(\"stdio rpath\")]`; the equivalent "
    "seccompiler filter (below); and two floors that no filter can beat: `ret ALLOW` (one instruction; "
    "its verdict never depends on arguments, so the kernel's constant-action cache answers every call "
    "without running it) and `ld arg0; ret ALLOW` (reads an argument, so the kernel runs it on every call: "
    "the least any filter that checks arguments costs)."
)
w("")
o.extend(t1)
w("")
o.extend(t1r)
w("")
w(
    "The same against the floor (for the pairs, `ld arg; ret ALLOW` also runs on `close` and "
    "`munmap`, which our filter answers from the cache, so there it slightly overstates the floor):"
)
w("")
o.extend(t1f)
w("")
w("## 2. Entering a phase the first time")
w("")
w(
    f"Seccompiler's build and install ÷ `#[pledge]`'s first entry: **{speedup:.2f}x** (target ≥ 10x). "
    "Each iteration is a fresh process (a process has one first phase); only the entry is timed, with "
    "`Instant` inside the child. For seccompiler, the rules are written down as plain data before the "
    "clock starts (a user's source code); building the seccompiler objects from them, compiling and "
    "installing is timed."
)
w("")
o.extend(t2)
w("")
o.extend(t2p)
w("")
w("## 3. Re-entering a phase in force")
w("")
w(
    f"A call of a pledged function whose phase is in force: **{fmt(re_attr)}**, against {fmt(re_plain)} "
    f"for the same function without the attribute, so the check itself adds {fmt(re_attr - re_plain)} "
    "(one acquire load and a compare, inlined at the call site; in a loop the branch is predicted "
    "and the load hits the cache, so the processor overlaps it with the call)."
)
w("")
o.extend(t3)
w("")
w("## 4. BPF instructions executed")
w("")
w(
    "Counted by `sandbox_policy::bpf::run` (`cargo bench --bench bpf_steps`). For each policy and each "
    "syscall number of the table, the program runs on a set of argument vectors: zeros, all ones, and "
    "for every alternative of the call's rule one vector that meets its conditions with the first "
    "listed values and one with the last (the longest comparison chains). A syscall's count is the "
    "most any of them executed; *max* and *mean* are over all syscall numbers, *mean allowed* over the "
    "calls the policy allows for some arguments. *insns* is the program's length. The last column is "
    "the length of our program before the compiler's last pass shares return instructions "
    "(`compile_unshared`): same verdicts and same counts on every probe, as the check line says."
)
w("")
w(
    "Counts are instructions the interpreter executes. In the kernel, a call whose path reads no "
    "argument (\"cacheable\") does not run the program at all after the first time: the "
    "constant-action cache answers it."
)
w("")
o.append(steps.rstrip())
w("")
w("## 5. What the macro costs")
w("")
w(
    "A throwaway crate in `/tmp/sandbox-macro-cost` depending on this workspace by path: ten small "
    "functions, all called, with 0, 1 or 10 of them under `#[sandbox::pledge(...)]` (ten different "
    "promise sets). Dependencies are built first; each figure rebuilds only the crate "
    "(`touch src/main.rs; cargo build --release`)."
)
w("")
o.extend(t5)
w("")
w(
    "The first pledged function brings in the runtime: the phase logic, the Landlock code, the "
    "reporter, and the promise table of the target architecture as static data (written by "
    "`sandbox-runtime/build.rs`; the table builder itself is not linked in, since no process builds "
    "the table). Each further one adds its program as static data (8 bytes an instruction) and the "
    "code of its call site: `sandbox_runtime::phase::enter_with` is an `#[inline]` shim (one atomic "
    "load and a compare) that calls the one non-generic `enter_or_abort` when the phase is not in "
    "force, so the slow path exists once per binary. The macro's own work is small: building the "
    "tables and compiling one policy for the three architectures takes a few milliseconds; the rest "
    "of the per-function build time is rustc and LLVM compiling the expansion."
)
w("")
w(
    "Before this round (commit 90f1e4b, the previous run of this script): the first pledged function "
    "added 393,632 B (342,392 B stripped), most of it the run-time table builder with the syscall "
    "names of all three architectures, and each further one 10,057 B and 120 ms, because "
    "`enter_with` was generic over the unveil closure and was instantiated, with the whole slow "
    "path inlined, once per pledged function."
)
w("")
w("## How it is measured")
w("")
w(
    "- The harness process is never sandboxed. `benches/overhead.rs` re-executes itself with "
    "`SANDBOX_BENCH_CHILD` naming a role. For items 1 and 3 a child installs one filter, then "
    "answers requests `<command> <iterations>` on stdin with the nanoseconds its loop took, timed "
    "with `Instant` (the vDSO clock, no syscall). Criterion runs in the parent and gets those times "
    "through `iter_custom`: its statistics are the usual ones, the measured code runs under exactly "
    "the benchmarked promises, and the child needs no promise beyond them (it only reads stdin and "
    "writes stdout). Criterion: 40 samples, 2 s of measurement, 0.5 s of warm-up per benchmark."
)
w(
    "- Item 2 needs a fresh process per iteration: criterion's flat sampling, 30 samples, 0.3 s of "
    "measured (entry) time; the parent spawns one child per iteration and sums the times the "
    "children report."
)
w(
    "- The equivalent seccompiler filter (`benches/support/equivalent.rs`) is derived from "
    "`sandbox_policy::table`: for each syscall, the alternatives whose promises are held, merged as "
    "our compiler merges them, each condition translated to `SeccompCondition`s (a set of values is "
    "one rule per value, since seccompiler ANDs conditions and ORs rules; `int`s are `Dword`s, "
    "pointers `Qword`s; the own pid is an `Eq` on the pid). Default action: trap. Approximations, "
    "since a seccompiler filter has two actions and no x32 check: calls our filter answers with "
    "ENOSYS (`clone3`, `openat2`, unknown and x32 numbers) and the \"pretend\" answer to replacing "
    "the SIGSYS handler get the trap instead. Neither changes which calls are allowed: item 4's "
    "check compares both programs' verdicts on every probe."
)
w(
    "- perf (`perf record -e cpu-clock`, the machine has no hardware counters) was used to find where "
    "time goes; the percentages quoted below are from the run when this analysis was written, the "
    "tables from the run above."
)
w("")
w("## Why targets are missed")
w("")
gp_floor = v["getppid", "floor-cached"]
w("### Calls without argument checks (item 1)")
w("")
w(
    f"`getppid` costs {fmt(v['getppid', 'unfiltered'])} unfiltered and {fmt(v['getppid', 'pledge'])} under "
    f"pledge ({v['getppid', 'pledge'] / v['getppid', 'unfiltered']:.2f}x), but the one-instruction "
    f"`ret ALLOW` filter costs {fmt(gp_floor)} too ({gp_floor / v['getppid', 'unfiltered']:.2f}x), and so "
    f"does seccompiler's ({fmt(v['getppid', 'seccompiler'])}). None of our instructions runs: the path to "
    f"`getppid`'s verdict reads only the syscall number ({gp[1]} instructions on the interpreter), so the "
    "kernel's constant-action cache answers it. The cost is the kernel's, paid by every task that has "
    "any filter: the syscall takes the slow entry path (`syscall_trace_enter` → `__secure_computing` → "
    "`__seccomp_filter`, which calls `populate_seccomp_data` before it tests the cache bitmap); perf "
    "of the `getppid` loop under `ret ALLOW` shows those functions added (≈ 11% of the samples) "
    "and no BPF program. No filter layout can go below that floor, so the 1.03x target cannot be met by "
    "seccomp on this kernel. Measured against the floor it is: pledge ÷ `ret ALLOW` is "
    f"{v['getppid', 'pledge'] / gp_floor:.3f} for `getppid` and "
    f"{v['read', 'pledge'] / v['read', 'floor-cached']:.3f} for `read`. Proposed restatement of the target: "
    "at most 1.03x the one-instruction filter."
)
w("")
w("### Calls with argument checks (item 1)")
w("")
pair_status = {}
for item, what, target, measured, ratio, ok in summary:
    for call, label, checked in calls:
        if checked and what.startswith(label):
            pair_status.setdefault(label, []).append(ok)
met_pairs = [l for l, oks in pair_status.items() if all(oks) and l != "`fcntl(F_GETFL)`"]
longer = (
    "The longer calls (" + "; ".join(met_pairs) + ") meet both targets in this run, the filter being "
    "a small part of their cost."
    if met_pairs
    else ""
)
for call, label, checked in calls:
    if not checked or call == "fcntl" or label in met_pairs:
        continue
    unf, pl, sc, fk = (v[call, x] for x in ["unfiltered", "pledge", "seccompiler", "floor-checked"])
    noise = half[call, "pledge"] + half[call, "seccompiler"]
    longer += (
        f" {label} misses a target in this run: pledge adds {fmt(pl - unf)}, seccompiler "
        f"{fmt(sc - unf)}, and the two-instruction floor alone {fmt(fk - unf)}. "
        + (
            f"Pledge and seccompiler differ by {fmt(abs(pl - sc))}, less than their confidence "
            f"intervals together (±{fmt(noise)}): on a {fmt(unf)} call neither filter's own "
            "instructions are measurable, and the ratio of added costs compares the kernel's floor "
            "with itself. The unfiltered time of this pair also moves between runs by more than "
            "the filters add (3.55 µs in the run of commit 90f1e4b), since it is timed in another "
            "child at another moment; item 4 counts the instructions instead (our path is shorter)."
            if abs(pl - sc) <= noise
            else "See its rows above."
        )
    )
fu, fp, fs, fk = (
    v["fcntl", "unfiltered"],
    v["fcntl", "pledge"],
    v["fcntl", "seccompiler"],
    v["fcntl", "floor-checked"],
)
w(
    f"`fcntl(F_GETFL)`: pledge adds {fmt(fp - fu)}, seccompiler {fmt(fs - fu)}. Of pledge's "
    f"{fmt(fp - fu)}, {fmt(fk - fu)} is the floor for any filter that reads an argument (the slow entry "
    "path above, then `populate_seccomp_data` and the indirect call into the JIT-compiled program); our "
    f"program itself adds {fmt(fp - fk)} over a two-instruction program, against {fmt(fs - fk)} for "
    f"seccompiler's (on the interpreter: {fcntl_ours} instructions for our tree, {fcntl_theirs} for "
    "seccompiler's linear chain, which compares `nr` with every allowed syscall below `fcntl` and then "
    "tries one rule per allowed command). So the filter's own share is well under half of "
    "seccompiler's, but the ratios to the unfiltered call are dominated by the kernel's floor "
    f"({fk / fu:.2f}x for a ≈{fmt(fu)} call), which no layout removes. The only way under 1.15x for "
    "so short a call would be a verdict that does not depend on the argument, i.e. allowing every "
    "`fcntl` command under `stdio` (`F_SETLK` without `flock`, `F_SETOWN` without `proc`): a loss of "
    f"enforcement this project should not trade for {fmt(fk - fu)}. "
    + longer
    + " Proposed restatement: the filter's share (pledge − the "
    "`ld arg; ret ALLOW` floor) at most half of seccompiler's."
)
w("")
w("### First entry (item 2)")
w("")
rest = fe["attribute"] - fe["preflight"] - fe["install-ours"]
per_insn = (fe["install-ours-unshared"] - fe["install-ours"]) / max(unshared_len - ours_len, 1)
budget = fe["seccompiler"] / 10
room = max(budget - fe["install-floor"], 0) / per_insn
w(
    f"`#[pledge]`'s first entry ({fmt(fe['attribute'])}) is made of: the first phase's checks, "
    f"{fmt(fe['preflight'])} in a fresh process (listing `/proc/self/fd` with a `readlink` per "
    "descriptor, reading `/proc/self/maps` and the `stat` of every thread, to refuse an existing "
    "io_uring instance by its descriptor, mapping or kernel threads, and the `personality` of "
    "every thread, to check that no other thread has `READ_IMPLIES_EXEC`; one listing of "
    "`/proc/self/task` serves both); installing the "
    f"program, {fmt(fe['install-ours'])}; the rest, {fmt(rest)}: the SIGSYS handler, opening "
    "`/proc/self/task` for later Landlock phases, the phase lock, copying the program and writing "
    "the process id into it. Reading `/proc` is slow on this virtual machine: a few tens of "
    "microseconds a directory listing."
)
w("")
w("Two design changes were made after the previous run of this script (commit 90f1e4b), where "
  "the first entry took 576.1 µs against seccompiler's 603.3 µs (1.05x):")
w("")
w(
    "1. **The table is no longer built at phase entry.** The runtime used to build the promise table "
    "at the first entry (`TABLE.get_or_init(|| sandbox_policy::table(arch))`), so that the SIGSYS "
    "reporter could read it without allocating: 340.6 µs of the 576.1 µs then. Building it is string "
    "work (perf of `table()`: `memcmp` 19%, malloc and free ≈ 20%, `BTreeMap` ≈ 17%). Now the table's "
    "lists are `Cow<'static, [_]>`, `sandbox-runtime/build.rs` writes the target's table as a `static` "
    "(`sandbox_policy::emit`), and a test checks it equals `table(arch)`. Building it in a fresh "
    f"process still costs {fmt(fe['table'])}, which no phase entry pays any more; "
    "`sandbox::pledge()` at run time saves it too."
)
w(
    "2. **The compiler shares return instructions.** Every leaf of the dispatch tree and every end "
    "of an argument check had its own `ret`. A last pass in `compile.rs` aims each jump at an "
    "identical `ret` further on when one is within reach and deletes the `ret`s nothing falls into: "
    f"the `stdio rpath` program went from {unshared_len} to {ours_len} instructions, with the same "
    "verdict and the same instruction count on every probe of item 4 (and of the differential test), "
    "every argument-free verdict still cacheable, and installs in "
    f"{fmt(fe['install-ours'])} instead of {fmt(fe['install-ours-unshared'])}."
)
w("")
w(
    f"The speed-up is now {speedup:.2f}x. Why 10x is out of reach: it needs the whole entry under "
    f"{fmt(budget)}, and installing any filter at all costs {fmt(fe['install-floor'])} (one "
    "instruction, the kernel's floor); beyond that each instruction costs the kernel about "
    f"{per_insn:.0f} ns (perf of the `seccomp()` call: the JIT, `do_jit` via "
    "`bpf_prog_select_runtime`, ≈ 45%; the classic → extended conversion, `bpf_convert_filter`, "
    "≈ 24%; the constant-action cache preparation and TSYNC ≈ 15%). So the budget holds about "
    f"{room:.0f} instructions, checks and everything else excluded. A comparison tree over the "
    f"verdict ranges of `stdio rpath` on x86_64 ({ranges} of them) needs {ranges - 1} comparisons "
    f"before any argument check, and our whole program has {ours_len}. A denser dispatch (a bitmap "
    "of allowed numbers tested with a shifted register) would break the constant-action cache: the "
    "kernel's emulator that fills the cache accepts only loads of `nr` and `arch`, `AND K`, "
    "`JEQ`/`JGT`/`JGE`/`JSET K` and `RET K`, so every call would then run the filter, trading "
    "microseconds once for tens of nanoseconds on every syscall. And the first phase's checks "
    f"({fmt(fe['preflight'])}) "
    + ("alone exceed the budget" if fe["preflight"] >= budget else "take most of what is left")
    + "; they are what keeps an io_uring ring or a `READ_IMPLIES_EXEC` thread from outliving the "
    "filter, so they stay. What seccompiler's figure is made of says the same from the other side: "
    f"its install alone costs {fmt(fe['install-seccompiler'])} for {theirs_len} instructions, "
    f"{fe['install-seccompiler'] / fe['install-ours']:.1f}x ours; its build "
    f"({fmt(parts['seccompiler-build'])} warm) is a small part. Proposed restatement of the "
    "target: the first entry at least 2x faster than seccompiler's build and install, and our "
    f"install at most half of seccompiler's (now {fe['install-ours'] / fe['install-seccompiler']:.2f})."
)
w("")
w("### Found on the way")
w("")
w(
    f"- `sandbox::pledge(\"stdio rpath\")` called again while those promises are in force costs "
    f"{fmt(med('reenter/runtime-api'))} a call. In the previous run it cost 27.5 µs and leaked: "
    "`Restrict::apply` compiled the policy and leaked a new `Phase` on every call (a benchmark child "
    "making these calls for about 3 s grew to about 450 MB resident). Now phases compiled at run "
    "time without unveils are kept by (call site, promises, penalty, Landlock mode) and reused; what "
    "remains per call is parsing the promise string and the phase lock."
)
w(
    f"- Two different pledged functions with the same promises, called in turn, cost "
    f"{fmt(med('reenter/alternating'))} a call (the slow path: the phase lock, the comparison of "
    "promises, no install); only re-entering the very phase in force is one load."
)
w("")
print("\n".join(o))
PY
echo "== wrote docs/PERFORMANCE.md (raw logs in $work)" >&2
