//! Compiling a [`Policy`] for one architecture to a seccomp BPF program.
//!
//! Layout:
//!
//! ```text
//! load arch;  wrong arch            -> KILL_PROCESS   (i386 int 0x80 on x86_64 lands here)
//! load nr;    nr > last in table    -> ENOSYS         (x32 numbers, future calls)
//! binary search over ranges of syscall numbers with the same verdict
//!     leaf: return ALLOW / penalty / ENOSYS, or the call's argument checks
//! ```
//!
//! A last pass shares return instructions: a jump whose target is a `ret` is aimed at an
//! identical `ret` further on when one is in reach, and the `ret`s nobody falls into any more
//! are deleted (x86_64 `stdio rpath`: 449 instructions before, 277 after). The kernel converts
//! and JIT-compiles a program at install, at a cost per instruction, so a shorter program makes
//! the first phase cheaper; every call runs the same instructions as before.
//!
//! The dispatch reads only `nr` before a leaf, so a syscall whose verdict does not depend on its
//! arguments never loads one, and the kernel's constant-action cache (Linux 5.11+) skips the
//! filter for it entirely. The search is balanced, so a call executes about ⌈log2 ranges⌉
//! comparisons plus its own argument checks; see [`Program::max_dispatch_steps`].
//!
//! # Why not seccompiler
//!
//! seccompiler (used in our tests and benchmarks as a second oracle) compiles one match action
//! and one mismatch action per filter and lays rules out as a linear chain. We need more than two
//! actions in one program (ALLOW, the penalty, ENOSYS, KILL for a wrong arch), a binary search
//! over syscall numbers, `int` comparisons that ignore the high half, and a slot for the
//! process id written at install time. So the code generator is ours; the instruction types
//! are plain `sock_filter`s that the runtime hands to seccomp(2).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::arch::Arch;
use crate::bpf::{Insn, MAX_INSNS, data, op, ret};
use crate::promise::PromiseSet;
use crate::rule::{Alt, Class, Cond, ENOSYS, Policy, Table, Test, Width};

/// A compiled seccomp program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The architecture it was compiled for.
    pub arch: Arch,
    /// The instructions. The process id slots hold 0 until [`Program::patched`].
    pub insns: Vec<Insn>,
    /// Indices of instructions whose `k` must be set to the installing process's id.
    pub pid_slots: Vec<usize>,
    /// The number of leaves in the dispatch tree.
    pub ranges: usize,
}

impl Program {
    /// A program with no instructions, for a phase that only unveils (nothing is installed).
    #[must_use]
    pub fn empty(arch: Arch) -> Program {
        Program {
            arch,
            insns: Vec::new(),
            pid_slots: Vec::new(),
            ranges: 0,
        }
    }

    /// The instructions with the process id written into every slot.
    #[must_use]
    pub fn patched(&self, pid: u32) -> Vec<Insn> {
        patch(&self.insns, &self.pid_slots, pid)
    }

    /// The most instructions the dispatch may execute before a leaf, the four-instruction
    /// prologue excluded: one comparison per tree level, plus an unconditional jump at a level
    /// where a subtree is too long for an 8-bit jump offset.
    #[must_use]
    pub fn max_dispatch_steps(&self) -> usize {
        2 * ceil_log2(self.ranges)
    }
}

/// Writes `pid` into the slots of a program (the runtime does this on a copy of static data).
#[must_use]
pub fn patch(insns: &[Insn], slots: &[usize], pid: u32) -> Vec<Insn> {
    let mut out = insns.to_vec();
    for &i in slots {
        out[i].k = pid;
    }
    out
}

fn ceil_log2(n: usize) -> usize {
    (usize::BITS - n.saturating_sub(1).leading_zeros()) as usize
}

/// Why a program could not be produced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompileError {
    /// The program would exceed the kernel's limit.
    TooLong(usize),
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::TooLong(n) => {
                write!(
                    f,
                    "the seccomp program would have {n} instructions, over the kernel's {MAX_INSNS}"
                )
            }
        }
    }
}

impl std::error::Error for CompileError {}

/// What a range of syscall numbers does.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Leaf {
    Return(u32),
    /// Alternatives that allow, then alternatives answered without running (with this action),
    /// then the penalty.
    Check(Vec<Alt>, Vec<Alt>, u32),
}

/// Compiles `policy` against `table`.
///
/// # Errors
///
/// [`CompileError::TooLong`] if the program would not fit the kernel's limit (the table's tests
/// show every policy fits with room to spare).
pub fn compile(table: &Table, policy: &Policy) -> Result<Program, CompileError> {
    build(table, policy, true)
}

/// [`compile`] without its last pass, which shares return instructions: the same verdicts and
/// the same instruction counts on every call, in a longer program. Only for the benchmarks, which
/// show what the pass saves.
///
/// # Errors
///
/// As [`compile`].
#[doc(hidden)]
pub fn compile_unshared(table: &Table, policy: &Policy) -> Result<Program, CompileError> {
    build(table, policy, false)
}

fn build(table: &Table, policy: &Policy, share: bool) -> Result<Program, CompileError> {
    let deny = policy.penalty.action();
    let enosys = ret::ERRNO | ENOSYS;

    // Verdict for every number from 0 to the last in the table; gaps answer ENOSYS.
    let mut ranges: Vec<(u32, Leaf)> = Vec::new();
    let mut push = |nr: u32, leaf: Leaf| {
        if ranges
            .last()
            .is_none_or(|(_, l)| *l != leaf || matches!(leaf, Leaf::Check(..)))
        {
            ranges.push((nr, leaf));
        }
    };
    let mut next = 0u32;
    for rule in table.rules.iter() {
        if rule.nr > next {
            push(next, Leaf::Return(enosys));
        }
        let leaf = match rule.class {
            Class::Enosys => Leaf::Return(enosys),
            Class::Never(_) => Leaf::Return(deny),
            Class::Promised => leaf_for(
                &rule.alts,
                &rule.pretend,
                rule.answer_action(),
                policy,
                deny,
            ),
        };
        push(rule.nr, leaf);
        next = rule.nr + 1;
    }

    let mut asm = Asm::default();
    asm.op(Insn::load(data::ARCH));
    asm.jeq(table.arch.audit_arch(), Target::Skip(1), Target::Next);
    asm.op(Insn::ret(ret::KILL_PROCESS));
    asm.op(Insn::load(data::NR));
    asm.jgt(table.max_nr(), Target::Next, Target::Skip(1));
    asm.op(Insn::ret(enosys));
    tree(&mut asm, &ranges, deny);
    let (mut insns, mut pid_slots) = asm.finish();
    if share {
        (insns, pid_slots) = share_returns(&insns, &pid_slots);
    }
    if insns.len() > MAX_INSNS {
        return Err(CompileError::TooLong(insns.len()));
    }
    Ok(Program {
        arch: table.arch,
        insns,
        pid_slots,
        ranges: ranges.len(),
    })
}

/// The leaf for a promised call: constant when the policy makes the arguments irrelevant.
fn leaf_for(alts: &[Alt], pretend: &[Alt], answer: u32, policy: &Policy, deny: u32) -> Leaf {
    let allow = held(alts, policy);
    if allow.iter().any(|a| a.conds.is_empty()) {
        return Leaf::Return(ret::ALLOW);
    }
    let pretend = held(pretend, policy);
    if allow.is_empty() {
        if pretend.is_empty() {
            return Leaf::Return(deny);
        }
        if pretend.iter().any(|a| a.conds.is_empty()) {
            return Leaf::Return(answer);
        }
    }
    let pretend = if pretend.iter().any(|a| a.conds.is_empty()) {
        vec![Alt {
            needs: PromiseSet::EMPTY,
            conds: Cow::Borrowed(&[]),
        }]
    } else {
        pretend
    };
    Leaf::Check(allow, pretend, answer)
}

/// The alternatives the policy holds, merged, with trivial conditions dropped.
fn held(alts: &[Alt], policy: &Policy) -> Vec<Alt> {
    held_alternatives(alts, policy.promises)
}

/// The alternatives `promises` holds, as the compiler checks them: trivial conditions dropped,
/// alternatives that differ in one condition's values merged. A single alternative with no
/// condition means the call is allowed whatever its arguments.
#[must_use]
pub fn held_alternatives(alts: &[Alt], promises: PromiseSet) -> Vec<Alt> {
    let held: Vec<Alt> = alts
        .iter()
        .filter(|a| promises.includes(a.needs))
        .map(|a| Alt {
            needs: a.needs,
            conds: a.conds.iter().filter(|c| !trivial(c)).cloned().collect(),
        })
        .collect();
    if held.iter().any(|a| a.conds.is_empty()) {
        return vec![Alt {
            needs: PromiseSet::EMPTY,
            conds: Cow::Borrowed(&[]),
        }];
    }
    merge(held)
}

/// A condition every value passes: all combinations of the masked bits are listed.
fn trivial(c: &Cond) -> bool {
    match &c.test {
        Test::In(values) => {
            let bits = c.mask.count_ones();
            bits <= 8 && values.len() == 1usize << bits
        }
        Test::NotIn(values) => values.is_empty(),
        Test::SelfPid => false,
    }
}

/// Merges alternatives that differ only in the values of one `In` condition, and drops
/// conditions that become trivial, until nothing changes. Keeps the checks short: the open rule
/// under "rpath wpath" becomes one load, one mask and eight comparisons.
fn merge(mut alts: Vec<Alt>) -> Vec<Alt> {
    for a in &mut alts {
        a.conds.to_mut().sort();
        a.needs = PromiseSet::EMPTY; // needs are settled; only conditions matter
    }
    alts.sort();
    alts.dedup();
    loop {
        let mut changed = false;
        'outer: for i in 0..alts.len() {
            for j in i + 1..alts.len() {
                if let Some(m) = merge_pair(&alts[i], &alts[j]) {
                    alts.remove(j);
                    alts[i] = m;
                    changed = true;
                    break 'outer;
                }
            }
        }
        if !changed {
            return alts;
        }
    }
}

fn merge_pair(a: &Alt, b: &Alt) -> Option<Alt> {
    if a.conds.len() != b.conds.len() {
        return None;
    }
    let diff: Vec<usize> = (0..a.conds.len())
        .filter(|&i| a.conds[i] != b.conds[i])
        .collect();
    let [i] = diff[..] else { return None };
    let (x, y) = (&a.conds[i], &b.conds[i]);
    let (Test::In(xv), Test::In(yv)) = (&x.test, &y.test) else {
        return None;
    };
    if (x.arg, x.width, x.mask) != (y.arg, y.width, y.mask) {
        return None;
    }
    let mut values = xv.to_vec();
    values.extend(yv.iter());
    values.sort_unstable();
    values.dedup();
    let cond = Cond {
        test: Test::In(values.into()),
        ..x.clone()
    };
    let mut conds = a.conds.to_vec();
    if trivial(&cond) {
        conds.remove(i);
    } else {
        conds[i] = cond;
    }
    Some(Alt {
        needs: a.needs,
        conds: conds.into(),
    })
}

fn tree(asm: &mut Asm, ranges: &[(u32, Leaf)], deny: u32) {
    if let [(_, leaf)] = ranges {
        match leaf {
            Leaf::Return(action) => asm.op(Insn::ret(*action)),
            Leaf::Check(allow, pretend, answer) => checks(asm, allow, pretend, *answer, deny),
        }
        return;
    }
    let mid = ranges.len() / 2;
    let right = asm.label();
    asm.jge(ranges[mid].0, Target::Label(right), Target::Next);
    tree(asm, &ranges[..mid], deny);
    asm.bind(right);
    tree(asm, &ranges[mid..], deny);
}

/// Argument checks for one syscall: the allowing alternatives in turn (ALLOW at the first that
/// passes), then the pretending ones (success without running), then the penalty.
fn checks(asm: &mut Asm, allow: &[Alt], pretend: &[Alt], answer: u32, deny: u32) {
    for (alts, action) in [(allow, ret::ALLOW), (pretend, answer)] {
        for alt in alts {
            let fail = asm.label();
            let mut loaded: Option<u32> = None;
            for cond in alt.conds.iter() {
                cond_check(asm, cond, fail, &mut loaded);
            }
            asm.op(Insn::ret(action));
            asm.bind(fail);
        }
    }
    asm.op(Insn::ret(deny));
}

/// Emits code that falls through when `cond` holds and jumps to `fail` when it does not.
fn cond_check(asm: &mut Asm, cond: &Cond, fail: Label, loaded: &mut Option<u32>) {
    let lo = data::arg_lo(cond.arg);
    let hi = data::arg_hi(cond.arg);
    let mut load = |asm: &mut Asm, off: u32, mask: u32| {
        if *loaded != Some(off) || mask != u32::MAX {
            asm.op(Insn::load(off));
            *loaded = Some(off);
        }
        if mask != u32::MAX {
            asm.op(Insn::and(mask));
            *loaded = None; // the accumulator now holds a masked value
        }
    };
    match (&cond.test, cond.width) {
        (Test::SelfPid, _) => {
            load(asm, lo, u32::MAX);
            asm.jeq_pid(Target::Next, Target::Label(fail));
        }
        (Test::In(values), Width::Int) => {
            load(asm, lo, cond.mask as u32);
            let pass = asm.label();
            for (i, v) in values.iter().enumerate() {
                let miss = if i + 1 == values.len() {
                    Target::Label(fail)
                } else {
                    Target::Next
                };
                asm.jeq(*v as u32, Target::Label(pass), miss);
            }
            asm.bind(pass);
        }
        (Test::NotIn(values), _) => {
            // NotIn is only used on whole int words.
            load(asm, lo, cond.mask as u32);
            for v in values.iter() {
                asm.jeq(*v as u32, Target::Label(fail), Target::Next);
            }
        }
        (Test::In(values), Width::Long) => {
            let pass = asm.label();
            for (i, v) in values.iter().enumerate() {
                let next_value = asm.label();
                let miss = if i + 1 == values.len() {
                    Target::Label(fail)
                } else {
                    Target::Label(next_value)
                };
                load(asm, hi, (cond.mask >> 32) as u32);
                asm.jeq((*v >> 32) as u32, Target::Next, miss);
                load(asm, lo, cond.mask as u32);
                asm.jeq(*v as u32, Target::Label(pass), miss);
                asm.bind(next_value);
            }
            asm.bind(pass);
        }
    }
}

// ---- sharing return instructions ------------------------------------------------------------

fn is_ret(i: &Insn) -> bool {
    i.code & 0x07 == op::RET
}

fn is_ja(i: &Insn) -> bool {
    i.code == op::JMP | op::JA
}

fn is_cond(i: &Insn) -> bool {
    i.code & 0x07 == op::JMP && !is_ja(i)
}

/// The last pass: every leaf and every end of an argument check got its own `ret`, about 40% of
/// the program. Installing costs the kernel time in proportion to the program's length (it
/// converts classic BPF to extended, then JIT-compiles it), so a `ret` is deleted when every jump
/// into it can reach an identical `ret` further on, and those jumps are aimed there. A call runs
/// the same instructions as before (only the place of its final `ret` moves), so verdicts,
/// instruction counts and the constant-action cache are unchanged; the differential tests run
/// both programs.
fn share_returns(prog: &[Insn], pid_slots: &[usize]) -> (Vec<Insn>, Vec<usize>) {
    let n = prog.len();
    // What leads into each instruction: whether anything does, whether control falls into it
    // from the instruction before (that cannot be re-aimed), and the earliest conditional jump
    // aimed at it (the one an 8-bit offset limits most; a `ja` reaches anything).
    let mut entered = vec![false; n];
    let mut fallen_into = vec![false; n];
    let mut first_branch = vec![usize::MAX; n];
    for (pc, i) in prog.iter().enumerate() {
        if is_cond(i) {
            for off in [i.jt, i.jf] {
                let t = pc + 1 + usize::from(off);
                entered[t] = true;
                first_branch[t] = first_branch[t].min(pc);
            }
        } else if is_ja(i) {
            entered[pc + 1 + i.k as usize] = true;
        } else if !is_ret(i) && pc + 1 < n {
            entered[pc + 1] = true;
            fallen_into[pc + 1] = true;
        }
    }
    // From the end, the nearest kept `ret` of each value (a handful of values). Deleting only
    // shortens jumps, so a reach checked on the original positions holds after.
    let mut nearest: Vec<(u16, u32, usize)> = Vec::new();
    let mut aim: Vec<usize> = (0..n).collect();
    for r in (0..n).rev() {
        let insn = prog[r];
        if !is_ret(&insn) {
            continue;
        }
        let same = nearest
            .iter_mut()
            .find(|(code, k, _)| (*code, *k) == (insn.code, insn.k));
        let movable = |to: usize| {
            entered[r]
                && !fallen_into[r]
                && (first_branch[r] == usize::MAX || to - first_branch[r] - 1 <= 255)
        };
        match same {
            Some(&mut (_, _, to)) if movable(to) => aim[r] = to,
            Some(slot) => slot.2 = r,
            None => nearest.push((insn.code, insn.k, r)),
        }
    }
    let mut new_pc = vec![0usize; n];
    let mut kept = 0;
    for pc in 0..n {
        new_pc[pc] = kept;
        if aim[pc] == pc {
            kept += 1;
        }
    }
    let mut out = Vec::with_capacity(kept);
    for (pc, &insn) in prog.iter().enumerate() {
        if aim[pc] != pc {
            continue;
        }
        let mut insn = insn;
        let from = new_pc[pc] + 1;
        let reach = |off: usize| new_pc[aim[pc + 1 + off]] - from;
        if is_cond(&insn) {
            insn.jt = u8::try_from(reach(usize::from(insn.jt))).expect("reach checked");
            insn.jf = u8::try_from(reach(usize::from(insn.jf))).expect("reach checked");
        } else if is_ja(&insn) {
            insn.k = u32::try_from(reach(insn.k as usize)).expect("shorter than before");
        }
        out.push(insn);
    }
    let slots = pid_slots.iter().map(|&s| new_pc[s]).collect();
    (out, slots)
}

// ---- a small assembler with labels and long-jump relaxation ---------------------------------

type Label = usize;

#[derive(Clone, Copy, Debug)]
enum Target {
    Next,
    Skip(u8),
    Label(Label),
}

#[derive(Clone, Debug)]
enum Item {
    Op(Insn),
    Jump {
        code: u16,
        k: u32,
        jt: Target,
        jf: Target,
        pid: bool,
    },
    Bind(Label),
}

#[derive(Default)]
struct Asm {
    items: Vec<Item>,
    labels: usize,
}

impl Asm {
    fn op(&mut self, insn: Insn) {
        self.items.push(Item::Op(insn));
    }
    fn label(&mut self) -> Label {
        self.labels += 1;
        self.labels - 1
    }
    fn bind(&mut self, l: Label) {
        self.items.push(Item::Bind(l));
    }
    fn jump(&mut self, cmp: u16, k: u32, jt: Target, jf: Target, pid: bool) {
        self.items.push(Item::Jump {
            code: op::JMP | cmp | op::K,
            k,
            jt,
            jf,
            pid,
        });
    }
    fn jeq(&mut self, k: u32, jt: Target, jf: Target) {
        self.jump(op::JEQ, k, jt, jf, false);
    }
    fn jgt(&mut self, k: u32, jt: Target, jf: Target) {
        self.jump(op::JGT, k, jt, jf, false);
    }
    fn jge(&mut self, k: u32, jt: Target, jf: Target) {
        self.jump(op::JGE, k, jt, jf, false);
    }
    fn jeq_pid(&mut self, jt: Target, jf: Target) {
        self.jump(op::JEQ, 0, jt, jf, true);
    }

    /// Lays the program out. A conditional jump reaches at most 255 instructions; a farther
    /// target gets an unconditional `ja` trampoline right after the jump, and layout repeats
    /// until every jump fits.
    fn finish(self) -> (Vec<Insn>, Vec<usize>) {
        // Which conditional jumps need a trampoline for their true / false branch.
        let mut far: BTreeMap<usize, (bool, bool)> = BTreeMap::new();
        loop {
            // Positions: each jump occupies 1 + trampolines.
            let mut pos = Vec::with_capacity(self.items.len());
            let mut label_at = vec![0usize; self.labels];
            let mut pc = 0usize;
            for (i, item) in self.items.iter().enumerate() {
                pos.push(pc);
                match item {
                    Item::Op(_) => pc += 1,
                    Item::Jump { .. } => {
                        let (t, f) = far.get(&i).copied().unwrap_or_default();
                        pc += 1 + usize::from(t) + usize::from(f);
                    }
                    Item::Bind(l) => label_at[*l] = pc,
                }
            }
            let mut grew = false;
            let mut out = Vec::with_capacity(pc);
            let mut slots = Vec::new();
            for (i, item) in self.items.iter().enumerate() {
                match item {
                    Item::Op(insn) => out.push(*insn),
                    Item::Bind(_) => {}
                    Item::Jump {
                        code,
                        k,
                        jt,
                        jf,
                        pid,
                    } => {
                        let (t_far, f_far) = far.get(&i).copied().unwrap_or_default();
                        let tramps = usize::from(t_far) + usize::from(f_far);
                        let after = pos[i] + 1 + tramps; // first instruction after the trampolines
                        let dist = |t: &Target| match t {
                            Target::Next => after,
                            Target::Skip(n) => after + usize::from(*n),
                            Target::Label(l) => label_at[*l],
                        };
                        let (dt, df) = (dist(jt), dist(jf));
                        let short = |d: usize| d - (pos[i] + 1) <= 255;
                        if (!t_far && !short(dt)) || (!f_far && !short(df)) {
                            far.insert(i, (t_far || !short(dt), f_far || !short(df)));
                            grew = true;
                            continue;
                        }
                        // Trampolines sit right after the jump: true first, then false.
                        let mut tramp = pos[i] + 1;
                        let off = |far: bool, d: usize, tramp: &mut usize| -> u8 {
                            if far {
                                let here = *tramp;
                                *tramp += 1;
                                u8::try_from(here - (pos[i] + 1)).expect("trampolines are adjacent")
                            } else {
                                u8::try_from(d - (pos[i] + 1)).expect("checked short")
                            }
                        };
                        let ot = off(t_far, dt, &mut tramp);
                        let of = off(f_far, df, &mut tramp);
                        if *pid {
                            slots.push(out.len());
                        }
                        out.push(Insn::jump(*code, *k, ot, of));
                        if t_far {
                            let here = out.len();
                            out.push(Insn::ja(
                                u32::try_from(dt - here - 1).expect("program fits u32"),
                            ));
                        }
                        if f_far {
                            let here = out.len();
                            out.push(Insn::ja(
                                u32::try_from(df - here - 1).expect("program fits u32"),
                            ));
                        }
                    }
                }
            }
            if !grew {
                return (out, slots);
            }
        }
    }
}
