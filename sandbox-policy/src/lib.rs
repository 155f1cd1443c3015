//! What a sandbox policy means.
//!
//! This crate is pure: no `unsafe`, no syscalls, and no reading of the build machine's `cfg` or
//! `libc` constants (every number goes through an explicit [`Arch`]). The attribute macros run
//! it at compile time to check promise names and emit BPF; the runtime runs it to explain
//! violations; the tests run it to check programs for every architecture on any host.
//!
//! - [`Promise`] and [`PromiseSet`]: the vocabulary, parsed from `"stdio rpath"` or word by word.
//! - [`table()`]: the promise table, one block per promise, every syscall classified.
//! - [`compile()`]: a [`Policy`] to a seccomp BPF [`Program`] for one [`Arch`].
//! - [`bpf`]: the instruction set and an interpreter for checking programs.
//!
//! # The table
//!
//! Each syscall of each architecture has a [`Rule`]: a list of alternatives, each needing some
//! promises and some conditions on the arguments. A call is allowed when one alternative's
//! promises are all held and its conditions all hold; otherwise the policy's [`Penalty`] applies.
//! Calls no promise allows are listed in [`NEVER`] with a reason; calls whose flags seccomp
//! cannot read and that libc can replace answer ENOSYS ([`ENOSYS_CALLS`]). Adding a syscall is
//! described in the [`table`](mod@table) module.
//!
//! ```
//! use sandbox_policy::{compile, table, Arch, Penalty, Policy, PromiseSet};
//! let policy = Policy::new(PromiseSet::parse("stdio rpath")?, Penalty::Report);
//! let program = compile(&table(Arch::Aarch64), &policy)?;
//! assert!(program.insns.len() < 1000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod arch;
pub mod bpf;
pub mod compile;
pub mod emit;
pub mod promise;
pub mod reference;
pub mod rule;
pub mod table;
pub mod unveil;

pub use arch::{Arch, Consts};
pub use compile::{CompileError, Program, compile};
pub use promise::{OPENBSD_ONLY, ParseError, Promise, PromiseSet, parse_word};
pub use rule::{Alt, Class, Cond, Explanations, Penalty, Policy, Rule, Table, Test, Width};
pub use table::{ENOSYS_CALLS, NEVER, table};
pub use unveil::Perms;
