//! Classic BPF as seccomp uses it: instructions, return actions, and an interpreter.
//!
//! The interpreter runs a program against one `seccomp_data` and returns the action and the
//! number of instructions executed. Tests use it to check programs for every architecture on any
//! host; the benchmarks use its counts. It follows the kernel's checker
//! (`seccomp_check_filter` and `bpf_check_classic`): a program it rejects, the kernel rejects.

use std::fmt;

/// One cBPF instruction, laid out as the kernel's `struct sock_filter`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct Insn {
    /// Opcode.
    pub code: u16,
    /// Jump offset when the condition holds.
    pub jt: u8,
    /// Jump offset when it does not.
    pub jf: u8,
    /// Operand.
    pub k: u32,
}

impl fmt::Debug for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{ 0x{:02x}, {}, {}, 0x{:08x} }}",
            self.code, self.jt, self.jf, self.k
        )
    }
}

/// Opcode pieces (from `linux/filter.h` and `linux/bpf_common.h`).
#[allow(missing_docs)]
pub mod op {
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const ST: u16 = 0x02;
    pub const STX: u16 = 0x03;
    pub const ALU: u16 = 0x04;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const MISC: u16 = 0x07;
    pub const W: u16 = 0x00;
    pub const ABS: u16 = 0x20;
    pub const IMM: u16 = 0x00;
    pub const MEM: u16 = 0x60;
    pub const K: u16 = 0x00;
    pub const X: u16 = 0x08;
    pub const A: u16 = 0x10;
    pub const ADD: u16 = 0x00;
    pub const SUB: u16 = 0x10;
    pub const MUL: u16 = 0x20;
    pub const DIV: u16 = 0x30;
    pub const OR: u16 = 0x40;
    pub const AND: u16 = 0x50;
    pub const LSH: u16 = 0x60;
    pub const RSH: u16 = 0x70;
    pub const NEG: u16 = 0x80;
    pub const MOD: u16 = 0x90;
    pub const XOR: u16 = 0xa0;
    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JGT: u16 = 0x20;
    pub const JGE: u16 = 0x30;
    pub const JSET: u16 = 0x40;
    pub const TAX: u16 = 0x00;
    pub const TXA: u16 = 0x80;
}

/// seccomp return actions (`linux/seccomp.h`).
#[allow(missing_docs)]
pub mod ret {
    pub const KILL_PROCESS: u32 = 0x8000_0000;
    pub const KILL_THREAD: u32 = 0x0000_0000;
    pub const TRAP: u32 = 0x0003_0000;
    pub const ERRNO: u32 = 0x0005_0000;
    pub const USER_NOTIF: u32 = 0x7fc0_0000;
    pub const TRACE: u32 = 0x7ff0_0000;
    pub const LOG: u32 = 0x7ffc_0000;
    pub const ALLOW: u32 = 0x7fff_0000;
    pub const ACTION_FULL: u32 = 0xffff_0000;
    pub const DATA: u32 = 0x0000_ffff;
}

/// Offsets into `struct seccomp_data` (little-endian on every supported architecture).
pub mod data {
    /// `nr`, the syscall number.
    pub const NR: u32 = 0;
    /// `arch`, the `AUDIT_ARCH_*` value.
    pub const ARCH: u32 = 4;
    /// `instruction_pointer`.
    pub const IP: u32 = 8;
    /// Size of the structure.
    pub const SIZE: u32 = 64;
    /// Low half of argument `i`.
    #[must_use]
    pub const fn arg_lo(i: u8) -> u32 {
        16 + 8 * i as u32
    }
    /// High half of argument `i`.
    #[must_use]
    pub const fn arg_hi(i: u8) -> u32 {
        20 + 8 * i as u32
    }
}

/// Largest program the kernel accepts (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

impl Insn {
    /// A statement (no jump).
    #[must_use]
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }
    /// A conditional jump.
    #[must_use]
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }
    /// `A = seccomp_data[off]` (32 bits).
    #[must_use]
    pub const fn load(off: u32) -> Insn {
        Insn::stmt(op::LD | op::W | op::ABS, off)
    }
    /// `return k`.
    #[must_use]
    pub const fn ret(k: u32) -> Insn {
        Insn::stmt(op::RET | op::K, k)
    }
    /// `A &= k`.
    #[must_use]
    pub const fn and(k: u32) -> Insn {
        Insn::stmt(op::ALU | op::AND | op::K, k)
    }
    /// `pc += k`.
    #[must_use]
    pub const fn ja(k: u32) -> Insn {
        Insn::stmt(op::JMP | op::JA, k)
    }
}

/// The input of a seccomp program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeccompData {
    /// Syscall number.
    pub nr: u32,
    /// `AUDIT_ARCH_*` value.
    pub arch: u32,
    /// Address of the syscall instruction.
    pub instruction_pointer: u64,
    /// The six arguments, as full 64-bit registers.
    pub args: [u64; 6],
}

impl SeccompData {
    /// The 32-bit word at `off`, as `BPF_LD|BPF_W|BPF_ABS` reads it.
    #[must_use]
    pub fn word(&self, off: u32) -> Option<u32> {
        let half = |v: u64, hi: bool| if hi { (v >> 32) as u32 } else { v as u32 };
        match off {
            data::NR => Some(self.nr),
            data::ARCH => Some(self.arch),
            8 => Some(half(self.instruction_pointer, false)),
            12 => Some(half(self.instruction_pointer, true)),
            16..=60 if off % 4 == 0 => {
                let i = ((off - 16) / 8) as usize;
                Some(half(self.args[i], (off - 16) % 8 == 4))
            }
            _ => None,
        }
    }
}

/// Why a program would be refused by the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// Empty, or longer than [`MAX_INSNS`].
    Length(usize),
    /// An instruction seccomp does not accept, at this index.
    Opcode(usize),
    /// A jump that leaves the program, at this index.
    Jump(usize),
    /// A load outside `seccomp_data` or not 4-byte aligned, at this index.
    Load(usize),
    /// The last instruction is not a return.
    NoFinalReturn,
}

/// Checks a program the way the kernel does before accepting it.
///
/// # Errors
///
/// The first problem found.
pub fn validate(prog: &[Insn]) -> Result<(), Invalid> {
    if prog.is_empty() || prog.len() > MAX_INSNS {
        return Err(Invalid::Length(prog.len()));
    }
    for (pc, insn) in prog.iter().enumerate() {
        let class = insn.code & 0x07;
        let rest = prog.len() - pc - 1;
        match class {
            op::LD if insn.code == op::LD | op::W | op::ABS => {
                if insn.k >= data::SIZE || insn.k % 4 != 0 {
                    return Err(Invalid::Load(pc));
                }
            }
            op::LD | op::LDX => {
                let mode = insn.code & 0xe0;
                if !(mode == op::IMM || mode == op::MEM && insn.k < 16) || insn.code & 0x18 != 0 {
                    return Err(Invalid::Opcode(pc));
                }
            }
            op::ST | op::STX => {
                if insn.k >= 16 {
                    return Err(Invalid::Opcode(pc));
                }
            }
            op::ALU => {
                let o = insn.code & 0xf0;
                if o > op::XOR
                    || ((o == op::DIV || o == op::MOD) && insn.code & op::X == 0 && insn.k == 0)
                {
                    return Err(Invalid::Opcode(pc));
                }
            }
            op::JMP => {
                let o = insn.code & 0xf0;
                if o == op::JA {
                    if insn.k as usize >= rest {
                        return Err(Invalid::Jump(pc));
                    }
                } else if o <= op::JSET {
                    if insn.jt as usize >= rest || insn.jf as usize >= rest {
                        return Err(Invalid::Jump(pc));
                    }
                } else {
                    return Err(Invalid::Opcode(pc));
                }
            }
            op::RET => {
                if insn.code & 0x18 != op::K && insn.code & 0x18 != op::A {
                    return Err(Invalid::Opcode(pc));
                }
            }
            op::MISC => {
                if insn.code != op::MISC | op::TAX && insn.code != op::MISC | op::TXA {
                    return Err(Invalid::Opcode(pc));
                }
            }
            _ => return Err(Invalid::Opcode(pc)),
        }
    }
    if prog[prog.len() - 1].code & 0x07 != op::RET {
        return Err(Invalid::NoFinalReturn);
    }
    Ok(())
}

/// What a program returned, and how many instructions it executed to get there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The 32-bit seccomp return value (action and data).
    pub action: u32,
    /// Instructions executed, the return included.
    pub steps: usize,
    /// Whether any instruction read an argument or the instruction pointer.
    pub read_args: bool,
}

/// Runs a program. The program must have passed [`validate`].
///
/// # Panics
///
/// If the program is invalid; call [`validate`] first.
#[must_use]
pub fn run(prog: &[Insn], input: &SeccompData) -> Outcome {
    let (mut a, mut x, mut mem) = (0u32, 0u32, [0u32; 16]);
    let (mut pc, mut steps, mut read_args) = (0usize, 0usize, false);
    loop {
        let insn = prog[pc];
        steps += 1;
        pc += 1;
        let src = if insn.code & op::X != 0 { x } else { insn.k };
        match insn.code & 0x07 {
            op::LD => match insn.code & 0xe0 {
                op::ABS => {
                    read_args |= insn.k >= 8;
                    a = input.word(insn.k).expect("validated load");
                }
                op::IMM => a = insn.k,
                _ => a = mem[insn.k as usize],
            },
            op::LDX => {
                x = if insn.code & 0xe0 == op::IMM {
                    insn.k
                } else {
                    mem[insn.k as usize]
                }
            }
            op::ST => mem[insn.k as usize] = a,
            op::STX => mem[insn.k as usize] = x,
            op::ALU => {
                a = match insn.code & 0xf0 {
                    op::ADD => a.wrapping_add(src),
                    op::SUB => a.wrapping_sub(src),
                    op::MUL => a.wrapping_mul(src),
                    op::DIV => a.checked_div(src).unwrap_or(0),
                    op::MOD => a.checked_rem(src).unwrap_or(0),
                    op::OR => a | src,
                    op::AND => a & src,
                    op::XOR => a ^ src,
                    op::LSH => a.checked_shl(src).unwrap_or(0),
                    op::RSH => a.checked_shr(src).unwrap_or(0),
                    _ => a.wrapping_neg(),
                };
            }
            op::JMP => {
                let taken = match insn.code & 0xf0 {
                    op::JA => {
                        pc += insn.k as usize;
                        continue;
                    }
                    op::JEQ => a == src,
                    op::JGT => a > src,
                    op::JGE => a >= src,
                    _ => a & src != 0,
                };
                pc += usize::from(if taken { insn.jt } else { insn.jf });
            }
            op::RET => {
                let action = if insn.code & 0x18 == op::A { a } else { insn.k };
                return Outcome {
                    action,
                    steps,
                    read_args,
                };
            }
            _ => {
                if insn.code & 0xf8 == op::TXA {
                    a = x;
                } else {
                    x = a;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_small_program() {
        let prog = [
            Insn::load(data::NR),
            Insn::jump(op::JMP | op::JEQ | op::K, 39, 0, 1),
            Insn::ret(ret::ALLOW),
            Insn::load(data::arg_hi(0)),
            Insn::jump(op::JMP | op::JEQ | op::K, 7, 0, 1),
            Insn::ret(ret::ERRNO | 1),
            Insn::ret(ret::KILL_PROCESS),
        ];
        validate(&prog).unwrap();
        let d = SeccompData {
            nr: 39,
            ..SeccompData::default()
        };
        assert_eq!(
            run(&prog, &d),
            Outcome {
                action: ret::ALLOW,
                steps: 3,
                read_args: false
            }
        );
        let d = SeccompData {
            nr: 1,
            args: [7 << 32, 0, 0, 0, 0, 0],
            ..SeccompData::default()
        };
        assert_eq!(
            run(&prog, &d),
            Outcome {
                action: ret::ERRNO | 1,
                steps: 5,
                read_args: true
            }
        );
    }

    #[test]
    fn validation_catches_what_the_kernel_refuses() {
        assert_eq!(validate(&[]), Err(Invalid::Length(0)));
        assert_eq!(
            validate(&[Insn::load(3), Insn::ret(0)]),
            Err(Invalid::Load(0))
        );
        assert_eq!(
            validate(&[Insn::load(64), Insn::ret(0)]),
            Err(Invalid::Load(0))
        );
        assert_eq!(
            validate(&[Insn::ja(1), Insn::ret(0)]),
            Err(Invalid::Jump(0))
        );
        assert_eq!(validate(&[Insn::load(0)]), Err(Invalid::NoFinalReturn));
        assert_eq!(
            validate(&[Insn::jump(op::JMP | op::JEQ, 0, 1, 0), Insn::ret(0)]),
            Err(Invalid::Jump(0))
        );
        assert_eq!(
            validate(&vec![Insn::ret(0); MAX_INSNS + 1]),
            Err(Invalid::Length(4097))
        );
    }

    #[test]
    fn words_are_little_endian_halves() {
        let d = SeccompData {
            args: [0x1122_3344_5566_7788, 0, 0, 0, 0, 9],
            ..Default::default()
        };
        assert_eq!(d.word(data::arg_lo(0)), Some(0x5566_7788));
        assert_eq!(d.word(data::arg_hi(0)), Some(0x1122_3344));
        assert_eq!(d.word(data::arg_lo(5)), Some(9));
        assert_eq!(d.word(62), None);
    }
}
