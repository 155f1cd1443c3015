//! The seccompiler filter a user writing seccomp by hand would get for the same policy.
//!
//! Derived from the promise table, so the two filters allow the same calls: for each syscall of
//! the architecture, the table's alternatives whose `needs` are all held, with their conditions
//! translated to `SeccompCondition`s. seccompiler ANDs the conditions of a rule and ORs the rules
//! of a syscall, so:
//!
//! - `value ∈ {a, b, c}` becomes one rule per value (the cartesian product when an alternative
//!   has several such conditions); `value ∉ {a, b}` becomes one rule with one `Ne` per value;
//!   an `int` is compared as a `Dword` (low half only), a pointer as a `Qword`; masked values use
//!   `MaskedEq`; "the own process id" is an `Eq` with the pid known when the filter is built.
//! - Alternatives are merged first the way the table's compiler merges them (values of one
//!   condition unioned; a condition that every value passes dropped), as a careful hand-writer
//!   would: "any open flags" under `rpath wpath cpath` is one unconditional entry, not 64 rules.
//!
//! Approximations, because a seccompiler filter has exactly two actions (match: allow; mismatch:
//! the penalty) and a linear layout:
//!
//! - calls the table answers with ENOSYS (`clone3`, `openat2`, numbers in gaps or past the table,
//!   x32 numbers) get the penalty instead;
//! - calls the table "pretends" to run (replacing the SIGSYS handler: success without effect) get
//!   the penalty instead.
//!
//! Neither changes which calls are *allowed*, so the allowed paths the benchmarks time are the
//! same calls with the same checks.

use std::collections::BTreeMap;

use sandbox_policy::bpf::Insn;
use sandbox_policy::{Alt, Arch, Class, Cond, Penalty, Policy, PromiseSet, Table, Test, Width};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};

/// How one condition compares, as a user writes it for seccompiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    MaskedEq(u64),
}

/// One `SeccompCondition`, as plain data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    arg: u8,
    qword: bool,
    op: Op,
    value: u64,
}

/// The rules of a seccompiler filter as plain data: what a user would write down as literals.
/// Building the seccompiler objects from it ([`Source::filter`]) is the work a hand-written
/// filter does at run time.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    /// Syscall number, then its rules (empty: allowed whatever the arguments).
    pub(crate) rules: Vec<(i64, Vec<Vec<Check>>)>,
    mismatch: SeccompAction,
    arch: TargetArch,
}

impl Source {
    /// The equivalent of `policy` over `table`; `pid` is the process id the self-only checks
    /// compare with.
    pub(crate) fn from_table(table: &Table, policy: &Policy, pid: u32) -> Source {
        let mut rules = Vec::new();
        for rule in table.rules.iter() {
            if rule.class != Class::Promised {
                continue; // ENOSYS and never-allowed calls: the mismatch action
            }
            let Some(alts) = held(&rule.alts, policy.promises) else {
                rules.push((i64::from(rule.nr), Vec::new()));
                continue;
            };
            if alts.is_empty() {
                continue;
            }
            let mut out: Vec<Vec<Check>> = Vec::new();
            for alt in &alts {
                expand(&alt.conds, pid, &mut Vec::new(), &mut out);
            }
            out.dedup();
            rules.push((i64::from(rule.nr), out));
        }
        Source {
            rules,
            mismatch: match policy.penalty {
                Penalty::Report => SeccompAction::Trap,
                Penalty::Error => SeccompAction::Errno(sandbox_policy::rule::EPERM),
                Penalty::Kill => SeccompAction::KillProcess,
            },
            arch: target_arch(table.arch),
        }
    }

    /// Builds the seccompiler filter (the part a hand-written filter does at run time).
    pub(crate) fn filter(&self) -> SeccompFilter {
        let rules: BTreeMap<i64, Vec<SeccompRule>> = self
            .rules
            .iter()
            .map(|(nr, rules)| {
                let rules = rules
                    .iter()
                    .map(|checks| {
                        let conds = checks.iter().map(|c| {
                            let len = if c.qword {
                                SeccompCmpArgLen::Qword
                            } else {
                                SeccompCmpArgLen::Dword
                            };
                            let op = match c.op {
                                Op::Eq => SeccompCmpOp::Eq,
                                Op::Ne => SeccompCmpOp::Ne,
                                Op::MaskedEq(m) => SeccompCmpOp::MaskedEq(m),
                            };
                            SeccompCondition::new(c.arg, len, op, c.value)
                                .expect("argument index below 6")
                        });
                        SeccompRule::new(conds.collect()).expect("a rule has conditions")
                    })
                    .collect();
                (*nr, rules)
            })
            .collect();
        SeccompFilter::new(
            rules,
            self.mismatch.clone(),
            SeccompAction::Allow,
            self.arch,
        )
        .expect("match and mismatch actions differ")
    }

    /// Compiles the filter with seccompiler's backend.
    pub(crate) fn program(&self) -> BpfProgram {
        self.filter()
            .try_into()
            .expect("the filter fits seccompiler's limit")
    }
}

fn target_arch(arch: Arch) -> TargetArch {
    match arch {
        Arch::X86_64 => TargetArch::x86_64,
        Arch::Aarch64 => TargetArch::aarch64,
        Arch::Riscv64 => TargetArch::riscv64,
    }
}

/// The alternatives `promises` holds, merged as the table's compiler merges them; `None` when
/// one of them has no condition left (the call is allowed whatever its arguments).
fn held(alts: &[Alt], promises: PromiseSet) -> Option<Vec<Alt>> {
    let held = sandbox_policy::compile::held_alternatives(alts, promises);
    (!held.iter().any(|a| a.conds.is_empty())).then_some(held)
}

/// Appends to `out` one rule per combination of the values of `conds`.
fn expand(conds: &[Cond], pid: u32, prefix: &mut Vec<Check>, out: &mut Vec<Vec<Check>>) {
    let Some((cond, rest)) = conds.split_first() else {
        out.push(prefix.clone());
        return;
    };
    let qword = cond.width == Width::Long;
    let full = if qword { u64::MAX } else { 0xffff_ffff };
    let eq = if cond.mask == full {
        Op::Eq
    } else {
        Op::MaskedEq(cond.mask)
    };
    let check = |op, value| Check {
        arg: cond.arg,
        qword,
        op,
        value,
    };
    match &cond.test {
        Test::In(values) => {
            for &v in values.iter() {
                prefix.push(check(eq, v));
                expand(rest, pid, prefix, out);
                prefix.pop();
            }
        }
        Test::NotIn(values) => {
            let n = prefix.len();
            prefix.extend(values.iter().map(|&v| check(Op::Ne, v)));
            expand(rest, pid, prefix, out);
            prefix.truncate(n);
        }
        Test::SelfPid => {
            prefix.push(check(Op::Eq, u64::from(pid)));
            expand(rest, pid, prefix, out);
            prefix.pop();
        }
    }
}

/// seccompiler's instructions as the interpreter's (the same `struct sock_filter` layout).
#[allow(dead_code)] // each bench uses part of this module
pub(crate) fn to_insns(prog: &[sock_filter]) -> Vec<Insn> {
    prog.iter()
        .map(|i| Insn::jump(i.code, i.k, i.jt, i.jf))
        .collect()
}

/// The interpreter's instructions as seccompiler's, to install them with its `apply_filter`.
#[allow(dead_code)] // each bench uses part of this module
pub(crate) fn to_sock_filters(prog: &[Insn]) -> BpfProgram {
    prog.iter()
        .map(|i| sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}
