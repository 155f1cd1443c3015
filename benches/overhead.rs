//! Issue 7, items 1 to 3: what a pledge costs at run time.
//!
//! - `syscall/<call>/<variant>`: one call (or pair of calls) under no filter, under
//!   `#[pledge("stdio rpath")]`, under the equivalent filter built with seccompiler, and under two
//!   floors: the smallest filter the kernel can skip (`ret ALLOW`) and the smallest filter it must
//!   run (`ld arg0; ret ALLOW`).
//! - `reenter/<how>`: calling a pledged function whose phase is already in force, beside a plain
//!   call of the same shape.
//! - `first_entry/<how>`: entering the first phase of a process (BPF built at compile time),
//!   beside building the equivalent filter at run time with seccompiler and installing it.
//! - `parts/<what>`: the pure pieces of the above (building the table, compiling a policy,
//!   building seccompiler's program), timed in the unsandboxed parent.
//!
//! The harness process is never sandboxed. It re-executes itself (`std::env::current_exe`) with
//! `SANDBOX_BENCH_CHILD` naming a role:
//!
//! - `serve:<variant>`: installs the variant's filter, then answers requests on stdin
//!   (`<command> <iterations>`) with the nanoseconds the loop took, timed in the child with
//!   `Instant` (the vDSO clock, no syscall). Criterion runs in the parent and gets those times
//!   through `iter_custom`, so its statistics and reports are the usual ones while the measured
//!   code runs sandboxed, under exactly the benchmarked promises (the child needs no file
//!   writes: it only reads stdin and writes stdout, which `stdio` allows).
//! - `first:<how>`: a fresh process enters its first phase once and prints how long that took;
//!   the parent spawns one per iteration (process start-up is outside the timed span).
//!
//! Run it through `scripts/bench.sh`, which writes `docs/PERFORMANCE.md`.

#[path = "support/equivalent.rs"]
mod equivalent;

use std::collections::HashMap;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use sandbox_policy::bpf::{Insn, data, ret};
use sandbox_policy::compile::compile_unshared;
use sandbox_policy::{Arch, Penalty, Policy, PromiseSet, compile, table};

use equivalent::{Source, to_sock_filters};

const CHILD_ENV: &str = "SANDBOX_BENCH_CHILD";
const PROMISES: &str = "stdio rpath";

/// The calls of item 1: no argument check first, then calls whose filter path reads arguments.
const CALLS: [&str; 5] = ["getppid", "read", "openat_close", "mmap_munmap", "fcntl"];
/// Filters the calls run under.
const VARIANTS: [&str; 5] = [
    "unfiltered",
    "pledge",
    "seccompiler",
    "floor-cached",
    "floor-checked",
];

fn main() {
    match std::env::var(CHILD_ENV) {
        Ok(role) => child::main(&role),
        Err(_) => parent(),
    }
}

fn policy() -> Policy {
    Policy::new(
        PromiseSet::parse(PROMISES).expect("valid promises"),
        Penalty::Report,
    )
}

fn native() -> Arch {
    Arch::native().expect("a supported architecture")
}

// ---- the parent: criterion, never sandboxed ----------------------------------------------------

fn parent() {
    let mut c = Criterion::default()
        .sample_size(40)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .configure_from_args();
    let mut servers = Servers::default();
    syscalls(&mut c, &mut servers);
    reentry(&mut c, &mut servers);
    drop(servers);
    first_entry(&mut c);
    parts(&mut c);
    c.final_summary();
}

/// A sandboxed child answering timing requests.
struct Server {
    child: Child,
    /// `None` once closed, which ends the child's loop.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    fn spawn(variant: &str) -> Server {
        let mut child = Command::new(std::env::current_exe().expect("own executable"))
            .env(CHILD_ENV, format!("serve:{variant}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the benchmark child");
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read from the child");
        assert_eq!(line.trim(), "ready", "child {variant} did not start");
        Server {
            child,
            stdin: Some(stdin),
            stdout,
        }
    }

    fn run(&mut self, command: &str, iters: u64) -> Duration {
        let stdin = self.stdin.as_mut().expect("open until drop");
        writeln!(stdin, "{command} {iters}").expect("write to the child");
        stdin.flush().expect("write to the child");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read from the child");
        let nanos: u64 = line.trim().parse().unwrap_or_else(|_| {
            let status = self.child.wait();
            panic!("child died during {command}: {status:?}")
        });
        Duration::from_nanos(nanos)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Children started on first use, so that a criterion filter starts only what it needs.
#[derive(Default)]
struct Servers(HashMap<&'static str, Server>);

impl Servers {
    fn get(&mut self, variant: &'static str) -> &mut Server {
        self.0
            .entry(variant)
            .or_insert_with(|| Server::spawn(variant))
    }
}

fn syscalls(c: &mut Criterion, servers: &mut Servers) {
    let mut group = c.benchmark_group("syscall");
    for call in CALLS {
        for variant in VARIANTS {
            group.bench_function(BenchmarkId::new(call, variant), |b| {
                b.iter_custom(|iters| servers.get(variant).run(call, iters));
            });
        }
    }
    group.finish();
}

fn reentry(c: &mut Criterion, servers: &mut Servers) {
    let mut group = c.benchmark_group("reenter");
    // In the child that entered the phase with the attribute.
    for how in ["attribute", "plain-call", "alternating"] {
        group.bench_function(how, |b| {
            b.iter_custom(|iters| servers.get("pledge").run(how, iters));
        });
    }
    // In a child that entered it with the run-time API.
    group.bench_function("runtime-api", |b| {
        b.iter_custom(|iters| servers.get("pledge-api").run("runtime-api", iters));
    });
    group.finish();
}

/// One fresh process per iteration: the first phase can only be entered once per process.
fn first_entry(c: &mut Criterion) {
    let mut group = c.benchmark_group("first_entry");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(30)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    for how in [
        "attribute",
        "attribute-wpath",
        "seccompiler",
        "runtime-api",
        "second-phase",
        "install-ours",
        "install-seccompiler",
        "install-ours-unshared",
        "install-floor",
        "table",
        "preflight",
    ] {
        group.bench_function(how, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| first_entry_once(how)).sum());
        });
    }
    group.finish();
}

fn first_entry_once(how: &str) -> Duration {
    let out = Command::new(std::env::current_exe().expect("own executable"))
        .env(CHILD_ENV, format!("first:{how}"))
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn the benchmark child");
    assert!(out.status.success(), "child first:{how}: {:?}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    Duration::from_nanos(text.trim().parse().expect("nanoseconds"))
}

/// The pure pieces, in the parent.
fn parts(c: &mut Criterion) {
    let arch = native();
    let t = table(arch);
    let policy = policy();
    let source = Source::from_table(&t, &policy, std::process::id());
    let mut group = c.benchmark_group("parts");
    group.bench_function("table", |b| b.iter(|| table(black_box(arch))));
    group.bench_function("compile", |b| {
        b.iter(|| compile(black_box(&t), black_box(&policy)));
    });
    group.bench_function("seccompiler-build", |b| {
        b.iter(|| black_box(&source).program());
    });
    group.finish();
}

// ---- the children: sandboxed ---------------------------------------------------------------------

/// The phase the benchmarks measure.
#[sandbox::pledge("stdio rpath")]
#[inline(never)]
fn stdio_rpath() {}

/// A first phase with the write guard (`wpath` without `prot_exec`).
#[sandbox::pledge("stdio rpath wpath")]
#[inline(never)]
fn stdio_rpath_wpath() {}

/// A second phase with the same promises (a different function).
#[sandbox::pledge("stdio rpath")]
#[inline(never)]
fn stdio_rpath_again() {}

/// A wider phase, entered before `stdio_rpath` to time a phase that is not the process's first.
#[sandbox::pledge("stdio rpath inet")]
#[inline(never)]
fn stdio_rpath_inet() {}

/// A function of the same shape as `stdio_rpath`, without the attribute.
#[inline(never)]
fn plain() {
    black_box(());
}

mod child {
    use super::*;

    pub(crate) fn main(role: &str) {
        let _ = Instant::now(); // map the vDSO clock before anything is timed
        match role.split_once(':') {
            Some(("serve", variant)) => serve(variant),
            Some(("first", how)) => println!("{}", first(how).as_nanos()),
            _ => panic!("unknown role {role}"),
        }
    }

    /// Installs a bare program with seccompiler's installer (no_new_privs, then TSYNC).
    fn install(prog: &[Insn]) {
        seccompiler::apply_filter_all_threads(&to_sock_filters(prog)).expect("install the filter");
    }

    fn seccompiler_source() -> Source {
        Source::from_table(&table(native()), &policy(), std::process::id())
    }

    fn serve(variant: &str) {
        let zero = File::open("/dev/zero").expect("open /dev/zero");
        match variant {
            "unfiltered" => {}
            "pledge" => stdio_rpath(),
            "pledge-api" => {
                sandbox::pledge(PROMISES).expect("pledge");
            }
            "seccompiler" => {
                seccompiler::apply_filter_all_threads(&seccompiler_source().program())
                    .expect("install the filter");
            }
            "floor-cached" => install(&[Insn::ret(ret::ALLOW)]),
            "floor-checked" => install(&[Insn::load(data::arg_lo(0)), Insn::ret(ret::ALLOW)]),
            _ => panic!("unknown variant {variant}"),
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready").expect("stdout");
        out.flush().expect("stdout");
        for line in std::io::stdin().lock().lines() {
            let line = line.expect("stdin");
            let (command, iters) = line.split_once(' ').expect("<command> <iterations>");
            let iters: u64 = iters.parse().expect("iterations");
            let took = run(command, iters, &zero);
            writeln!(out, "{}", took.as_nanos()).expect("stdout");
            out.flush().expect("stdout");
        }
    }

    fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    }

    fn run(command: &str, iters: u64, zero: &File) -> Duration {
        let mut byte = [0u8; 1];
        match command {
            "getppid" => timed(iters, || {
                black_box(std::os::unix::process::parent_id());
            }),
            "read" => timed(iters, || {
                let n = (&*zero).read(&mut byte).expect("read /dev/zero");
                black_box(n);
            }),
            "openat_close" => timed(iters, || {
                // openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC), then close on drop.
                black_box(File::open("/dev/null").expect("open /dev/null"));
            }),
            "mmap_munmap" => timed(iters, mmap_munmap),
            "fcntl" => {
                use std::os::fd::AsRawFd;
                let fd = zero.as_raw_fd();
                timed(iters, || {
                    // SAFETY: F_GETFL reads the status flags of an open descriptor; no pointer.
                    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
                    assert!(flags >= 0);
                    black_box(flags);
                })
            }
            // Both functions are `#[inline(never)]`; the pledged one makes an atomic load.
            "attribute" => timed(iters, stdio_rpath),
            "plain-call" => timed(iters, plain),
            // Two calls per round, so `iters` calls in all.
            "alternating" => timed(iters / 2 + 1, || {
                stdio_rpath_again();
                stdio_rpath();
            }),
            "runtime-api" => timed(iters, || {
                black_box(sandbox::pledge(PROMISES).expect("pledge"));
            }),
            _ => panic!("unknown command {command}"),
        }
    }

    fn mmap_munmap() {
        const PAGE: usize = 4096;
        // SAFETY: an anonymous private mapping at an address the kernel chooses; it is
        // written once and unmapped before anything else can see it.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            black_box(p);
            assert_eq!(libc::munmap(p, PAGE), 0);
        }
    }

    /// Enters the first phase once and returns how long that took.
    fn first(how: &str) -> Duration {
        match how {
            "attribute" => {
                let start = Instant::now();
                stdio_rpath();
                start.elapsed()
            }
            // With the write guard: wpath without prot_exec.
            "attribute-wpath" => {
                let start = Instant::now();
                stdio_rpath_wpath();
                start.elapsed()
            }
            "runtime-api" => {
                let start = Instant::now();
                sandbox::pledge(PROMISES).expect("pledge");
                start.elapsed()
            }
            "second-phase" => {
                stdio_rpath_inet();
                let start = Instant::now();
                stdio_rpath();
                start.elapsed()
            }
            "seccompiler" => {
                // The rules as a user would write them down; building the seccompiler objects
                // from them, compiling and installing is timed.
                let source = seccompiler_source();
                let start = Instant::now();
                let prog = source.program();
                seccompiler::apply_filter_all_threads(&prog).expect("install the filter");
                start.elapsed()
            }
            "install-ours" => {
                let prog = compile(&table(native()), &policy())
                    .expect("compiles")
                    .patched(std::process::id());
                let prog = to_sock_filters(&prog);
                let start = Instant::now();
                seccompiler::apply_filter_all_threads(&prog).expect("install the filter");
                start.elapsed()
            }
            "install-ours-unshared" => {
                let prog = compile_unshared(&table(native()), &policy())
                    .expect("compiles")
                    .patched(std::process::id());
                let prog = to_sock_filters(&prog);
                let start = Instant::now();
                seccompiler::apply_filter_all_threads(&prog).expect("install the filter");
                start.elapsed()
            }
            "install-floor" => {
                let prog = to_sock_filters(&[Insn::ret(ret::ALLOW)]);
                let start = Instant::now();
                seccompiler::apply_filter_all_threads(&prog).expect("install the filter");
                start.elapsed()
            }
            "table" => {
                let start = Instant::now();
                black_box(table(native()));
                start.elapsed()
            }
            "preflight" => {
                let start = Instant::now();
                sandbox::__private::first_phase_checks()
                    .expect("no io_uring, no READ_IMPLIES_EXEC");
                start.elapsed()
            }
            "install-seccompiler" => {
                let prog = seccompiler_source().program();
                let start = Instant::now();
                seccompiler::apply_filter_all_threads(&prog).expect("install the filter");
                start.elapsed()
            }
            _ => panic!("unknown first-entry variant {how}"),
        }
    }
}
