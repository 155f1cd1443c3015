//! The shape of the promise table: conditions on arguments, alternatives, rules.
//!
//! A syscall's [`Rule`] is a list of [`Alt`]ernatives. An alternative names the promises it
//! *needs* (all of them) and the conditions its arguments must meet (all of them). A call is
//! allowed when some alternative's promises are all held and its conditions all hold. This is
//! how a set of promises is compiled together rather than as a union of fragments: the open
//! rule has one alternative per combination of access mode and creation flags, and
//! `O_RDWR | O_CREAT` sits in the alternative that needs rpath, wpath *and* cpath.

use std::borrow::Cow;

use crate::arch::Arch;
use crate::bpf::{SeccompData, ret};
use crate::promise::{Promise, PromiseSet};

/// A list in the table: owned when the table is built, borrowed when it is static data (the
/// runtime's copy is generated at build time, see [`crate::emit`], so that no process builds it).
pub type List<T> = Cow<'static, [T]>;

/// How much of a 64-bit argument register the kernel reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Width {
    /// An `int`, `unsigned int` or flag word: the kernel uses the low 32 bits, so only those are
    /// compared (junk in the high half must not change the verdict).
    Int,
    /// A pointer or size: both halves are compared.
    Long,
}

/// What a masked argument must be.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Test {
    /// One of these values.
    In(List<u64>),
    /// None of these values.
    NotIn(List<u64>),
    /// The id of the process that installed the filter (written into the program at install
    /// time; see [`crate::compile::Program::patched`]). Compared as an `int`.
    SelfPid,
}

/// One condition: `(arg[index] & mask)` passes `test`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cond {
    /// Argument index, 0 to 5.
    pub arg: u8,
    /// How many bits the kernel reads.
    pub width: Width,
    /// Bits compared (already cut to 32 bits for [`Width::Int`]).
    pub mask: u64,
    /// The test.
    pub test: Test,
}

impl Cond {
    /// `arg[index] as int & mask` is one of `values`.
    #[must_use]
    pub fn int_in(arg: u8, mask: u64, values: &[u64]) -> Cond {
        let mask = mask & 0xffff_ffff;
        let mut values: Vec<u64> = values.iter().map(|v| v & mask).collect();
        values.sort_unstable();
        values.dedup();
        Cond {
            arg,
            width: Width::Int,
            mask,
            test: Test::In(values.into()),
        }
    }

    /// `arg[index] as int` is one of `values`.
    #[must_use]
    pub fn int_eq(arg: u8, values: &[u64]) -> Cond {
        Cond::int_in(arg, 0xffff_ffff, values)
    }

    /// `arg[index] as int` is none of `values`.
    #[must_use]
    pub fn int_not(arg: u8, values: &[u64]) -> Cond {
        let mut values: Vec<u64> = values.iter().map(|v| v & 0xffff_ffff).collect();
        values.sort_unstable();
        values.dedup();
        Cond {
            arg,
            width: Width::Int,
            mask: 0xffff_ffff,
            test: Test::NotIn(values.into()),
        }
    }

    /// None of `bits` is set in `arg[index] as int`.
    #[must_use]
    pub fn int_clear(arg: u8, bits: u64) -> Cond {
        Cond::int_in(arg, bits, &[0])
    }

    /// All of `bits` are set in `arg[index] as int`.
    #[must_use]
    pub fn int_set(arg: u8, bits: u64) -> Cond {
        Cond::int_in(arg, bits, &[bits])
    }

    /// The full 64-bit `arg[index]` is zero (a NULL pointer).
    #[must_use]
    pub fn null(arg: u8) -> Cond {
        Cond {
            arg,
            width: Width::Long,
            mask: u64::MAX,
            test: Test::In(Cow::Borrowed(&[0])),
        }
    }

    /// `arg[index] as int` is the caller's process id.
    #[must_use]
    pub fn self_pid(arg: u8) -> Cond {
        Cond {
            arg,
            width: Width::Int,
            mask: 0xffff_ffff,
            test: Test::SelfPid,
        }
    }

    /// The argument as the kernel reads it, masked.
    #[must_use]
    pub fn operand(&self, args: &[u64; 6]) -> u64 {
        let raw = args[usize::from(self.arg)];
        let raw = match self.width {
            Width::Int => raw & 0xffff_ffff,
            Width::Long => raw,
        };
        raw & self.mask
    }

    /// Whether the condition holds. `pid` is the value [`Test::SelfPid`] compares with.
    #[must_use]
    pub fn holds(&self, args: &[u64; 6], pid: u32) -> bool {
        let v = self.operand(args);
        match &self.test {
            Test::In(values) => values.contains(&v),
            Test::NotIn(values) => !values.contains(&v),
            Test::SelfPid => v == u64::from(pid),
        }
    }
}

/// One way a syscall can be allowed: every promise in `needs`, every condition in `conds`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Alt {
    /// Promises that must all be held. Empty: allowed under every policy.
    pub needs: PromiseSet,
    /// Conditions that must all hold. Empty: any arguments.
    pub conds: List<Cond>,
}

impl Alt {
    /// Whether the alternative allows a call with these arguments under `set`.
    #[must_use]
    pub fn allows(&self, set: PromiseSet, args: &[u64; 6], pid: u32) -> bool {
        set.includes(self.needs) && self.conds.iter().all(|c| c.holds(args, pid))
    }
}

/// How a syscall is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Allowed by the rule's alternatives; otherwise the policy's penalty.
    Promised,
    /// Always answers ENOSYS, so that libc falls back to a call whose arguments the filter can
    /// check (`clone3`, `openat2`).
    Enosys,
    /// No promise allows it; the reason is shown in the docs and the violation report.
    Never(&'static str),
}

/// Everything the table says about one syscall on one architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The syscall's name.
    pub name: &'static str,
    /// Its number on the table's architecture.
    pub nr: u32,
    /// Its class.
    pub class: Class,
    /// The ways it can be allowed (empty unless [`Class::Promised`]).
    pub alts: List<Alt>,
    /// Calls that no alternative allows but that are answered without running
    /// (`SECCOMP_RET_ERRNO` with [`Rule::answer`]) instead of the penalty, in every penalty
    /// mode: replacing the SIGSYS handler "succeeds" (errno 0), since `posix_spawn`'s child does
    /// it before `execve` and it must not take effect; the sockets libc tries for nscd and
    /// netlink under `dns` and `getpw` fail with `EAFNOSUPPORT`, and libc falls back.
    pub pretend: List<Alt>,
    /// The errno [`Rule::pretend`] answers (0: success).
    pub answer: u32,
}

impl Rule {
    /// The seccomp action for a call answered by [`Rule::pretend`].
    #[must_use]
    pub const fn answer_action(&self) -> u32 {
        PRETEND | self.answer
    }
}

/// What happens to a call the policy does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Penalty {
    /// `SECCOMP_RET_TRAP`: the runtime's SIGSYS handler prints one line and aborts.
    #[default]
    Report,
    /// `SECCOMP_RET_ERRNO(EPERM)`: the call fails and the program goes on (the `error` promise).
    Error,
    /// `SECCOMP_RET_KILL_PROCESS`: no handler, no report.
    Kill,
}

/// The errno a denied call gets under the `error` promise.
pub const EPERM: u32 = 1;
/// The errno for calls forced to fail so that libc falls back, and for unknown numbers.
pub const ENOSYS: u32 = 38;
/// The action for a call answered with success without running (a [`Rule::pretend`] with
/// [`Rule::answer`] 0); with another answer the action is `PRETEND | errno`.
pub const PRETEND: u32 = ret::ERRNO;
/// The errno the filter answers for the sockets libc tries and can do without (nscd's unix
/// socket, the resolver's netlink socket) under `dns` and `getpw`.
pub const EAFNOSUPPORT: u32 = 97;
/// The data carried by the trap action, so the reporter can tell our traps from others.
pub const TRAP_DATA: u32 = 0x5ade;

impl Penalty {
    /// The seccomp return value for a denied call.
    #[must_use]
    pub const fn action(self) -> u32 {
        match self {
            Penalty::Report => ret::TRAP | TRAP_DATA,
            Penalty::Error => ret::ERRNO | EPERM,
            Penalty::Kill => ret::KILL_PROCESS,
        }
    }
}

/// A set of promises with a penalty: what one phase asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    /// Promises held.
    pub promises: PromiseSet,
    /// What a violation does.
    pub penalty: Penalty,
}

impl Policy {
    /// The policy for a promise set: the `error` promise selects [`Penalty::Error`], otherwise
    /// `penalty`.
    #[must_use]
    pub fn new(promises: PromiseSet, penalty: Penalty) -> Policy {
        let penalty = if promises.contains(Promise::Error) {
            Penalty::Error
        } else {
            penalty
        };
        Policy { promises, penalty }
    }
}

/// The whole table for one architecture: a rule for every syscall, in number order.
#[derive(Clone, Debug)]
pub struct Table {
    /// The architecture.
    pub arch: Arch,
    /// One rule per syscall of the architecture's table, sorted by number.
    pub rules: List<Rule>,
}

impl Table {
    /// The rule for syscall number `nr`.
    #[must_use]
    pub fn rule(&self, nr: u32) -> Option<&Rule> {
        self.rules
            .binary_search_by_key(&nr, |r| r.nr)
            .ok()
            .map(|i| &self.rules[i])
    }

    /// The rule for a syscall by name.
    #[must_use]
    pub fn rule_named(&self, name: &str) -> Option<&Rule> {
        self.arch.syscall_number(name).and_then(|nr| self.rule(nr))
    }

    /// The highest syscall number with a rule.
    #[must_use]
    pub fn max_nr(&self) -> u32 {
        self.rules.last().map_or(0, |r| r.nr)
    }

    /// What a seccomp program for `policy` must return for `d`: the reference semantics that the
    /// compiled BPF is tested against. `pid` is the installing process's id.
    #[must_use]
    pub fn decide(&self, policy: &Policy, d: &SeccompData, pid: u32) -> u32 {
        if d.arch != self.arch.audit_arch() {
            return ret::KILL_PROCESS;
        }
        let Some(rule) = self.rule(d.nr) else {
            return ret::ERRNO | ENOSYS;
        };
        match rule.class {
            Class::Enosys => ret::ERRNO | ENOSYS,
            Class::Never(_) => policy.penalty.action(),
            Class::Promised => {
                if rule
                    .alts
                    .iter()
                    .any(|a| a.allows(policy.promises, &d.args, pid))
                {
                    ret::ALLOW
                } else if rule
                    .pretend
                    .iter()
                    .any(|a| a.allows(policy.promises, &d.args, pid))
                {
                    rule.answer_action()
                } else {
                    policy.penalty.action()
                }
            }
        }
    }

    /// The promises that would have allowed a denied call, as few as possible beyond `held`;
    /// `None` when no promise allows these arguments. Does not allocate: the violation reporter
    /// calls it from a signal handler.
    #[must_use]
    pub fn explain(
        &self,
        held: PromiseSet,
        nr: u32,
        args: &[u64; 6],
        pid: u32,
    ) -> Option<PromiseSet> {
        self.explain_all(held, nr, args, pid).first()
    }

    /// Every set of promises that would have allowed a denied call, best first: the general
    /// promises (rpath) before the path-precise ones (tmppath, dns, getpw), then the fewest
    /// missing. Does not allocate.
    #[must_use]
    pub fn explain_all(
        &self,
        held: PromiseSet,
        nr: u32,
        args: &[u64; 6],
        pid: u32,
    ) -> Explanations {
        let precise = PromiseSet::of(Promise::Tmppath)
            .with(Promise::Dns)
            .with(Promise::Getpw);
        let rank = |s: PromiseSet| (s.minus(precise) != s, s.len(), s.bits());
        let mut out = Explanations {
            sets: [PromiseSet::EMPTY; 8],
            len: 0,
        };
        let Some(rule) = self.rule(nr) else {
            return out;
        };
        // An answered alternative counts too: under it the program goes on (libc falls back),
        // which is what the report's reader wants to know.
        for alt in rule.alts.iter().chain(rule.pretend.iter()) {
            if !alt.conds.iter().all(|c| c.holds(args, pid)) {
                continue;
            }
            let missing = alt.needs.minus(held);
            // A set that includes another already listed says nothing new.
            if out.as_slice().iter().any(|s| missing.includes(*s)) {
                continue;
            }
            let mut kept = 0;
            for i in 0..out.len {
                if !out.sets[i].includes(missing) {
                    out.sets[kept] = out.sets[i];
                    kept += 1;
                }
            }
            out.len = kept;
            if out.len < out.sets.len() {
                out.sets[out.len] = missing;
                out.len += 1;
            }
        }
        out.sets[..out.len].sort_unstable_by_key(|s| rank(*s));
        out
    }
}

/// The sets of promises that would allow a call, best first (see [`Table::explain_all`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanations {
    sets: [PromiseSet; 8],
    len: usize,
}

impl Explanations {
    /// The sets, best first.
    #[must_use]
    pub fn as_slice(&self) -> &[PromiseSet] {
        &self.sets[..self.len]
    }

    /// The best set, if any.
    #[must_use]
    pub fn first(&self) -> Option<PromiseSet> {
        self.as_slice().first().copied()
    }
}
