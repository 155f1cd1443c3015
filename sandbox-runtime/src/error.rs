//! Errors of entering a phase.

use std::io;

use sandbox_policy::{ParseError, Promise};

/// Why a phase could not be entered. The process is unchanged unless the variant says otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PledgeError {
    /// The promise string did not parse (run-time API only; the attribute checks at compile time).
    #[error("invalid promises: {0}")]
    Parse(#[from] ParseError),
    /// The phase asks for a promise that an earlier phase dropped. Filters only stack, so a
    /// phase can narrow the promises in force, never widen them.
    #[error(
        "phase `{phase}` asks for promise `{promise}`, which phase `{current}` does not hold \
         (promises only narrow)"
    )]
    Widening {
        /// The phase being entered, with its source location.
        phase: String,
        /// The phase in force, with its source location.
        current: String,
        /// The first promise asked for that is no longer held.
        promise: Promise,
    },
    /// Invalid unveil permissions (run-time API only; the attribute checks at compile time).
    #[error("invalid unveil permissions: {0}")]
    Perms(String),
    /// unveil could not be applied.
    #[error("unveil: {0}")]
    Unveil(#[from] crate::landlock::UnveilError),
    /// The process holds something created before the phase that would act around it (an
    /// io_uring instance, a personality that makes memory executable).
    #[error("{0}")]
    Precondition(String),
    /// This architecture or OS has no program.
    #[error("sandbox supports Linux on x86_64, aarch64 and riscv64 only")]
    Unsupported,
    /// The policy did not compile (run-time API only).
    #[error("policy does not compile: {0}")]
    Compile(#[from] sandbox_policy::CompileError),
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed.
    #[error("prctl(PR_SET_NO_NEW_PRIVS) failed")]
    NoNewPrivs(#[source] io::Error),
    /// `sigaction(SIGSYS)` failed while installing the violation reporter.
    #[error("sigaction(SIGSYS) failed while installing the violation reporter")]
    Reporter(#[source] io::Error),
    /// seccomp(2) could not synchronise a thread: it carries a seccomp filter that this process's
    /// filters do not descend from (installed by other code with seccomp(2) on that thread only).
    #[error(
        "seccomp(SECCOMP_FILTER_FLAG_TSYNC) could not restrict thread {tid}: it has a seccomp \
         filter of its own; no thread was restricted"
    )]
    ThreadBlocked {
        /// The thread id the kernel named.
        tid: i32,
    },
    /// seccomp(2) refused the filter. ENOMEM here means the process has stacked as many filters
    /// as the kernel allows (each distinct phase stacks one).
    #[error("seccomp(SECCOMP_SET_MODE_FILTER) failed{}", limit_hint(.0))]
    Seccomp(#[source] io::Error),
}

fn limit_hint(e: &io::Error) -> &'static str {
    if e.raw_os_error() == Some(libc::ENOMEM) {
        ": the kernel's limit on stacked filters is reached (every distinct phase stacks one)"
    } else {
        ""
    }
}
