//! The run-time half of `sandbox`: entering phases, installing filters, reporting violations.
//!
//! Users depend on the `sandbox` crate; its attributes expand to calls into
//! [`private`], and its run-time API re-exports [`pledge`]. Everything `unsafe` lives in the
//! private `sys` module, one syscall per function, each with a `// SAFETY:` comment.
//!
//! # Entering a phase
//!
//! 1. Re-entry: if the phase is the one in force, return (one atomic load).
//! 2. Check that the phase only narrows: a promise the phase in force does not hold is an error
//!    naming both phases.
//! 3. Install the SIGSYS reporter (first phase only, in every penalty mode, so that no later
//!    phase has to replace it).
//! 4. `prctl(PR_SET_NO_NEW_PRIVS)`, then `seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)` with the
//!    program built at compile time and the process id written into it: every thread of the
//!    process gets the filter at once, or none does.

mod answer;
mod decode;
mod error;
mod exec;
mod guard;
mod landlock;
mod phase;
mod preflight;
mod report;
mod sys;
mod table;

pub use error::PledgeError;
pub use exec::CommandExt;
pub use landlock::{LandlockStatus, Perms, Unveil, UnveilError, broadcast_signal};
pub use phase::{EXIT_CANNOT_ENTER, Enforced, Restrict, current, pledge, pledge_with};
pub use sandbox_policy::{Penalty, Promise, PromiseSet};

/// What the attribute macros expand to. Not a stable API.
#[doc(hidden)]
pub mod private {
    pub use crate::landlock::{Unveil, simulate_abi};
    pub use crate::phase::{ArchProgram, Phase, enter, enter_with, try_enter};
    pub use crate::preflight::first_phase_checks;
    pub use sandbox_policy::Penalty;
    pub use sandbox_policy::bpf::Insn;
}
