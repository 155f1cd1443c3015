//! A prototype of a design change measured by the benchmarks, not used by the library: sharing
//! return instructions.
//!
//! The compiler gives every leaf of its dispatch tree and every end of an argument check its own
//! `ret` (about 40% of a program's instructions). Installing costs the kernel time in proportion
//! to the length of the program (classic-to-extended BPF conversion, then the JIT), so this pass
//! deletes every `ret` that the jumps reaching it can reach in an identical `ret` further on, and
//! points those jumps there. The path of every call executes the same instructions but for the
//! target of one jump, so the verdicts and the instruction counts stay the same (the benchmark
//! checks both with the interpreter).

use sandbox_policy::bpf::{Insn, op};

/// What leads into an instruction.
enum Edge {
    /// A branch of the conditional jump at this index (8-bit reach).
    Branch(usize),
    /// An unconditional jump (32-bit reach).
    Always,
    /// Falls through from the instruction before it (not a jump): cannot be redirected.
    Fall,
}

fn is_cond_jump(i: &Insn) -> bool {
    i.code & 0x07 == op::JMP && i.code & 0xf0 != op::JA
}

fn is_ja(i: &Insn) -> bool {
    i.code & 0x07 == op::JMP && i.code & 0xf0 == op::JA
}

fn is_ret(i: &Insn) -> bool {
    i.code & 0x07 == op::RET
}

/// The absolute targets of the instruction at `pc`.
fn targets(prog: &[Insn], pc: usize) -> Vec<(usize, Option<bool>)> {
    let i = &prog[pc];
    if is_cond_jump(i) {
        vec![
            (pc + 1 + usize::from(i.jt), Some(true)),
            (pc + 1 + usize::from(i.jf), Some(false)),
        ]
    } else if is_ja(i) {
        vec![(pc + 1 + i.k as usize, None)]
    } else if is_ret(i) {
        vec![]
    } else {
        vec![(pc + 1, None)]
    }
}

/// The program with shared `ret` instructions.
pub(crate) fn share_returns(prog: &[Insn]) -> Vec<Insn> {
    let n = prog.len();
    // Incoming edges of every instruction.
    let mut into: Vec<Vec<Edge>> = (0..n).map(|_| Vec::new()).collect();
    for pc in 0..n {
        for (t, taken) in targets(prog, pc) {
            let edge = match taken {
                Some(_) => Edge::Branch(pc),
                None if is_ja(&prog[pc]) => Edge::Always,
                None => Edge::Fall,
            };
            into[t].push(edge);
        }
    }
    // From the end: keep the last `ret` of each value; delete an earlier one when every jump
    // into it reaches the nearest kept one (distances only shrink as more is deleted).
    let mut redirect: Vec<usize> = (0..n).collect();
    let mut deleted = vec![false; n];
    let mut kept: Vec<(u32, u16, usize)> = Vec::new(); // (k, code, index), nearest first
    for r in (0..n).rev() {
        if !is_ret(&prog[r]) {
            continue;
        }
        let same = kept
            .iter()
            .find(|&&(k, code, _)| k == prog[r].k && code == prog[r].code)
            .map(|&(_, _, at)| at);
        let movable = |to: usize| {
            into[r].iter().all(|e| match e {
                Edge::Branch(from) => to - from - 1 <= 255,
                Edge::Always => true,
                Edge::Fall => false,
            })
        };
        match same {
            Some(to) if !into[r].is_empty() && movable(to) => {
                deleted[r] = true;
                redirect[r] = to;
            }
            _ => {
                kept.retain(|&(k, code, _)| (k, code) != (prog[r].k, prog[r].code));
                kept.insert(0, (prog[r].k, prog[r].code, r));
            }
        }
    }
    // New positions, then the jumps re-aimed.
    let mut new_at = vec![0usize; n];
    let mut next = 0;
    for pc in 0..n {
        new_at[pc] = next;
        if !deleted[pc] {
            next += 1;
        }
    }
    let mut out = Vec::with_capacity(next);
    for pc in 0..n {
        if deleted[pc] {
            continue;
        }
        let mut insn = prog[pc];
        let aim = |t: usize| new_at[redirect[t]] - new_at[pc] - 1;
        if is_cond_jump(&insn) {
            insn.jt = u8::try_from(aim(pc + 1 + usize::from(insn.jt))).expect("checked reach");
            insn.jf = u8::try_from(aim(pc + 1 + usize::from(insn.jf))).expect("checked reach");
        } else if is_ja(&insn) {
            insn.k = u32::try_from(aim(pc + 1 + insn.k as usize)).expect("fits");
        }
        out.push(insn);
    }
    out
}
