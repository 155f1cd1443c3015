//! The compiled program against a direct evaluation of the table, for random and boundary
//! inputs on every architecture and many random promise sets.

use sandbox_policy::bpf::{self, SeccompData};
use sandbox_policy::compile::compile_unshared;
use sandbox_policy::{Arch, Penalty, Policy, Promise, PromiseSet, compile, table};

/// xorshift64*: deterministic, so a failure names a reproducible seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Values that sit on the edges of the table's conditions.
fn interesting(arch: Arch, rng: &mut Rng) -> u64 {
    let c = arch.consts();
    let pool = [
        0,
        1,
        2,
        3,
        6,
        17,
        31,
        0xffff_ffff,
        u64::MAX,
        1 << 32,
        c.o_creat,
        c.o_trunc,
        c.o_rdwr,
        c.o_wronly,
        c.o_tmpfile,
        c.o_directory,
        c.prot_exec,
        3,
        7,
        c.tcgets,
        c.tiocsti,
        c.fionbio,
        c.f_setlk,
        c.f_getfl,
        c.af_inet,
        c.af_unix,
        c.af_netlink,
        c.sock_stream,
        c.sock_dgram | c.sock_cloexec,
        c.clone_vm | c.clone_thread | c.clone_sighand,
        c.clone_newuser,
        c.at_empty_path,
        c.s_isuid_isgid_isvtx,
        0o644,
        4242,
    ];
    let base = pool[rng.below(pool.len() as u64) as usize];
    match rng.below(4) {
        0 => base,
        1 => base | (rng.next() << 32),
        2 => base | pool[rng.below(pool.len() as u64) as usize],
        _ => rng.next(),
    }
}

#[test]
fn compiled_programs_agree_with_the_table() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for arch in Arch::ALL {
        let t = table(arch);
        let calls = arch.syscalls();
        for round in 0..40 {
            let promises: PromiseSet = match round {
                0 => PromiseSet::EMPTY,
                1 => PromiseSet::all(),
                _ => Promise::ALL
                    .iter()
                    .copied()
                    .filter(|_| rng.below(3) == 0)
                    .collect(),
            };
            let penalty = [Penalty::Report, Penalty::Error, Penalty::Kill][rng.below(3) as usize];
            let policy = Policy::new(promises, penalty);
            let pid = 1 + rng.below(4_000_000) as u32;
            let prog = compile(&t, &policy).unwrap();
            let insns = prog.patched(pid);
            bpf::validate(&insns).unwrap();
            // The same program before its returns were shared: every call must run the same
            // number of instructions to the same verdict, in a shorter program.
            let unshared = compile_unshared(&t, &policy).unwrap();
            assert!(
                insns.len() < unshared.insns.len(),
                "{arch} {policy:?}: sharing returns saved nothing ({} instructions)",
                insns.len()
            );
            assert_eq!(prog.ranges, unshared.ranges);
            let unshared = unshared.patched(pid);
            for _ in 0..3000 {
                let nr = match rng.below(10) {
                    0 => rng.next() as u32,
                    1 => t.max_nr() + rng.below(3) as u32,
                    _ => calls[rng.below(calls.len() as u64) as usize].0,
                };
                let audit = if rng.below(50) == 0 {
                    0x4000_0003
                } else {
                    arch.audit_arch()
                };
                let mut args = [0u64; 6];
                for v in &mut args {
                    *v = interesting(arch, &mut rng);
                }
                if rng.below(4) == 0 {
                    args[rng.below(3) as usize] = u64::from(pid);
                }
                let d = SeccompData {
                    nr,
                    arch: audit,
                    instruction_pointer: rng.next(),
                    args,
                };
                let got = bpf::run(&insns, &d);
                let want = t.decide(&policy, &d, pid);
                assert_eq!(got.action, want, "{arch} {policy:?} pid {pid} {d:x?}");
                assert_eq!(
                    got,
                    bpf::run(&unshared, &d),
                    "shared returns changed the run: {arch} {policy:?} pid {pid} {d:x?}"
                );
            }
        }
    }
}

#[test]
fn program_sizes_are_reported() {
    for arch in Arch::ALL {
        let t = table(arch);
        for p in [
            "",
            "stdio",
            "stdio rpath",
            "stdio rpath wpath cpath inet unix dns proc exec tty",
        ] {
            let prog = compile(
                &t,
                &Policy::new(PromiseSet::parse(p).unwrap(), Penalty::Report),
            )
            .unwrap();
            println!(
                "{arch} {p:?}: {} instructions, {} ranges",
                prog.insns.len(),
                prog.ranges
            );
        }
        let prog = compile(&t, &Policy::new(PromiseSet::all(), Penalty::Report)).unwrap();
        println!(
            "{arch} all: {} instructions, {} ranges",
            prog.insns.len(),
            prog.ranges
        );
        assert!(prog.insns.len() < 1024);
    }
}
