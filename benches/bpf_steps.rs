//! Issue 7, item 4: BPF instructions executed per syscall, counted by the table's cBPF
//! interpreter, for our compiled programs and for seccompiler's layout of the same rules.
//!
//! For every policy (each promise alone, `stdio rpath`, every promise) and every syscall number
//! of the architecture's table, the program runs on a set of argument vectors: all zeros, all
//! ones, and for each alternative of the call's rule one vector that meets its conditions with
//! the first listed values and one with the last listed values (the longest comparison chains).
//! A syscall's count is the most instructions any of those vectors executed; the tables give the
//! maximum and the mean of that count over every syscall, and the mean over the calls the policy
//! allows for some arguments (what a running program mostly makes). It is not a proof of the
//! worst case over all 2^384 argument vectors, but it walks every comparison chain to its end.
//!
//! As a check, every verdict of our program is compared with the table's reference semantics,
//! and whether seccompiler's filter allows a call is compared with ours.
//!
//! Not timed: `cargo bench --bench bpf_steps` prints Markdown on stdout.

#[path = "support/equivalent.rs"]
mod equivalent;

use sandbox_policy::bpf::{self, Insn, SeccompData, ret};
use sandbox_policy::compile::compile_unshared;
use sandbox_policy::{
    Arch, Cond, Penalty, Policy, Promise, PromiseSet, Table, Test, Width, compile, table,
};

use equivalent::{Source, to_insns};

/// The process id written into both programs' self-only checks.
const PID: u32 = 4242;

/// Counts for one program over one table.
#[derive(Default)]
struct Counts {
    len: usize,
    max: usize,
    max_name: &'static str,
    sum: usize,
    n: usize,
    allowed_sum: usize,
    allowed_n: usize,
}

impl Counts {
    fn mean(&self) -> f64 {
        self.sum as f64 / self.n as f64
    }
    fn allowed_mean(&self) -> f64 {
        self.allowed_sum as f64 / self.allowed_n.max(1) as f64
    }
}

/// One argument value that meets `cond`, with its first or last listed value.
fn meeting(cond: &Cond, last: bool) -> u64 {
    match &cond.test {
        Test::In(values) => {
            let v = if last { values.last() } else { values.first() };
            v.copied().unwrap_or(0)
        }
        Test::NotIn(values) => (0..).find(|v| !values.contains(v)).unwrap_or(0),
        Test::SelfPid => u64::from(PID),
    }
}

/// The argument vectors a syscall is probed with.
fn probes(table: &Table, nr: u32) -> Vec<[u64; 6]> {
    let mut out = vec![[0; 6], [u64::MAX; 6]];
    let Some(rule) = table.rule(nr) else {
        return out;
    };
    for alt in rule.alts.iter().chain(rule.pretend.iter()) {
        for last in [false, true] {
            let mut args = [0u64; 6];
            for c in alt.conds.iter() {
                let v = meeting(c, last);
                let slot = &mut args[usize::from(c.arg)];
                // Several conditions on one argument (clone flags): set what each asks for.
                *slot = match c.width {
                    Width::Int => (*slot & !c.mask) | (v & c.mask),
                    Width::Long => v,
                };
            }
            out.push(args);
        }
    }
    out
}

struct Row {
    label: String,
    ours: Counts,
    theirs: Counts,
    /// Verdicts of our program that differ from the table's reference semantics.
    wrong: usize,
    /// Calls that one program allows and the other does not.
    disagree: Vec<String>,
    /// Length of our program before its last pass shared return instructions.
    unshared_len: usize,
    /// Probes on which the program before that pass differs in verdict or count.
    unshared_differs: usize,
}

fn measure(table: &Table, label: String, policy: &Policy) -> Row {
    let program = compile(table, policy).expect("every policy compiles");
    let ours = program.patched(PID);
    let theirs = to_insns(&Source::from_table(table, policy, PID).program());
    let unshared = compile_unshared(table, policy)
        .expect("every policy compiles")
        .patched(PID);
    bpf::validate(&ours).expect("our program is valid");
    bpf::validate(&unshared).expect("the program before sharing returns is valid");
    bpf::validate(&theirs).expect("seccompiler's program is valid");
    let mut row = Row {
        label,
        ours: Counts {
            len: ours.len(),
            ..Counts::default()
        },
        theirs: Counts {
            len: theirs.len(),
            ..Counts::default()
        },
        wrong: 0,
        disagree: Vec::new(),
        unshared_len: unshared.len(),
        unshared_differs: 0,
    };
    for r in table.rules.iter() {
        let (mut ours_max, mut theirs_max, mut allowed) = (0, 0, false);
        for args in probes(table, r.nr) {
            let d = SeccompData {
                nr: r.nr,
                arch: table.arch.audit_arch(),
                instruction_pointer: 0,
                args,
            };
            let o = bpf::run(&ours, &d);
            let t = bpf::run(&theirs, &d);
            if bpf::run(&unshared, &d) != o {
                row.unshared_differs += 1;
            }
            if o.action != table.decide(policy, &d, PID) {
                row.wrong += 1;
            }
            if (o.action == ret::ALLOW) != (t.action == ret::ALLOW)
                && !row.disagree.contains(&r.name.to_owned())
            {
                row.disagree.push(r.name.to_owned());
            }
            allowed |= o.action == ret::ALLOW;
            ours_max = ours_max.max(o.steps);
            theirs_max = theirs_max.max(t.steps);
        }
        for (c, steps) in [(&mut row.ours, ours_max), (&mut row.theirs, theirs_max)] {
            c.sum += steps;
            c.n += 1;
            if steps > c.max {
                c.max = steps;
                c.max_name = r.name;
            }
            if allowed {
                c.allowed_sum += steps;
                c.allowed_n += 1;
            }
        }
    }
    row
}

fn policies() -> Vec<(String, Policy)> {
    let mut out: Vec<(String, Policy)> = Promise::ALL
        .iter()
        .map(|&p| {
            (
                format!("`{}`", p.name()),
                Policy::new(PromiseSet::of(p), Penalty::Report),
            )
        })
        .collect();
    out.push((
        "`stdio rpath`".to_owned(),
        Policy::new(
            PromiseSet::parse("stdio rpath").expect("valid"),
            Penalty::Report,
        ),
    ));
    out.push((
        "every promise".to_owned(),
        Policy::new(PromiseSet::all(), Penalty::Report),
    ));
    out
}

fn print_rows(rows: &[Row]) {
    println!(
        "| policy | ours: insns | ours: max | ours: mean | ours: mean allowed | seccompiler: insns | seccompiler: max | seccompiler: mean | seccompiler: mean allowed | ours before sharing returns: insns |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in rows {
        println!(
            "| {} | {} | {} ({}) | {:.1} | {:.1} | {} | {} ({}) | {:.1} | {:.1} | {} |",
            r.label,
            r.ours.len,
            r.ours.max,
            r.ours.max_name,
            r.ours.mean(),
            r.ours.allowed_mean(),
            r.theirs.len,
            r.theirs.max,
            r.theirs.max_name,
            r.theirs.mean(),
            r.theirs.allowed_mean(),
            r.unshared_len,
        );
    }
}

/// The calls the syscall benchmark times, with the arguments it passes (x86_64 values).
fn bench_calls() -> Vec<(&'static str, &'static str, [u64; 6])> {
    const PAGE: u64 = 4096;
    vec![
        ("getppid", "getppid()", [0; 6]),
        (
            "read",
            "read(fd, buf, 1)",
            [3, 0x7f00_0000_0000, 1, 0, 0, 0],
        ),
        (
            "openat",
            "openat(AT_FDCWD, path, O_RDONLY\\|O_CLOEXEC)",
            [(-100i64) as u64, 0x5555_0000_0000, 0o2_000_000, 0, 0, 0],
        ),
        ("close", "close(fd)", [4, 0, 0, 0, 0, 0]),
        (
            "mmap",
            "mmap(NULL, 4096, PROT_READ\\|PROT_WRITE, MAP_PRIVATE\\|MAP_ANONYMOUS, -1, 0)",
            [0, PAGE, 3, 0x22, u64::MAX, 0],
        ),
        (
            "munmap",
            "munmap(p, 4096)",
            [0x7f00_0000_0000, PAGE, 0, 0, 0, 0],
        ),
        ("fcntl", "fcntl(fd, F_GETFL)", [3, 3, 0, 0, 0, 0]),
    ]
}

fn print_bench_calls() {
    let t = table(Arch::X86_64);
    let policy = Policy::new(
        PromiseSet::parse("stdio rpath").expect("valid"),
        Penalty::Report,
    );
    let program = compile(&t, &policy).expect("compiles");
    let ours: Vec<Insn> = program.patched(PID);
    let theirs = to_insns(&Source::from_table(&t, &policy, PID).program());
    println!(
        "| call (x86_64, `stdio rpath`) | ours: steps | ours: reads arguments | seccompiler: steps | seccompiler: reads arguments |"
    );
    println!("|---|--:|---|--:|---|");
    for (name, shown, args) in bench_calls() {
        let d = SeccompData {
            nr: Arch::X86_64.syscall_number(name).expect("x86_64 has it"),
            arch: Arch::X86_64.audit_arch(),
            instruction_pointer: 0,
            args,
        };
        let (o, s) = (bpf::run(&ours, &d), bpf::run(&theirs, &d));
        assert_eq!(o.action, ret::ALLOW, "{name} is allowed under stdio rpath");
        assert_eq!(
            s.action,
            ret::ALLOW,
            "{name} is allowed by seccompiler's filter"
        );
        let yes = |b: bool| if b { "yes" } else { "no (cacheable)" };
        println!(
            "| `{shown}` | {} | {} | {} | {} |",
            o.steps,
            yes(o.read_args),
            s.steps,
            yes(s.read_args)
        );
    }
    println!(
        "\nOur `stdio rpath` program on x86_64 dispatches over verdict ranges: {} (runs of syscall numbers with one verdict).",
        program.ranges
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects nothing here.
    for arch in Arch::ALL {
        let t = table(arch);
        let rows: Vec<Row> = policies()
            .into_iter()
            .filter(|(label, _)| {
                arch == Arch::X86_64 || label == "`stdio rpath`" || label == "every promise"
            })
            .map(|(label, policy)| measure(&t, label, &policy))
            .collect();
        println!("#### {arch}\n");
        print_rows(&rows);
        println!();
        let wrong: usize = rows.iter().map(|r| r.wrong).sum();
        let unshared_differs: usize = rows.iter().map(|r| r.unshared_differs).sum();
        let disagree: Vec<String> = rows
            .iter()
            .filter(|r| !r.disagree.is_empty())
            .map(|r| format!("{}: {}", r.label, r.disagree.join(", ")))
            .collect();
        println!(
            "Checks on {arch}: {wrong} verdicts of our programs differ from the table's reference semantics; {unshared_differs} probes give another verdict or count before sharing returns; calls allowed by one program and not the other: {}.\n",
            if disagree.is_empty() {
                "none".to_owned()
            } else {
                disagree.join("; ")
            }
        );
    }
    println!("#### The benchmarked calls\n");
    print_bench_calls();
}
