//! OpenBSD's pledge and unveil for Linux, declared in the program's own source and enforced with
//! seccomp-bpf and Landlock.
//!
//! ```no_run
//! use std::net::TcpListener;
//! use std::path::Path;
//!
//! #[sandbox::pledge("stdio rpath inet unveil")]
//! fn main() {
//!     let listener = TcpListener::bind("127.0.0.1:8080").unwrap();
//!     serve(&listener, Path::new("/var/www"));
//! }
//!
//! // A phase: on entry the process narrows to these promises and sees only the root.
//! #[sandbox::pledge("stdio rpath inet")]
//! #[sandbox::unveil(root, "r")]
//! fn serve(listener: &TcpListener, root: &Path) {
//!     for stream in listener.incoming() { /* ... */ }
//! }
//! ```
//!
//! - [`pledge`](macro@pledge) and [`unveil`](macro@unveil) (attributes): promises and paths checked at compile time, BPF
//!   built at build time, installed on every thread at entry.
//! - [`pledge()`](fn@pledge) and [`Restrict`]: the same at run time, for promises and paths from
//!   configuration, returning what was enforced ([`Enforced`]) or a typed [`PledgeError`].
//! - [`CommandExt::pledge_exec`]: start a program with fewer promises.
//!
//! The promise reference, penalties, phases, threads, kernel requirements and how this differs
//! from OpenBSD are in the README; the full per-syscall reference is `docs/PROMISES.md`.

pub use sandbox_macros::{pledge, unveil};
pub use sandbox_runtime::{
    CommandExt, EXIT_CANNOT_ENTER, Enforced, LandlockStatus, Penalty, Perms, PledgeError, Promise,
    PromiseSet, Restrict, Unveil, UnveilError, broadcast_signal, current, pledge_with,
};

/// Restricts the process to `promises` from now on; the run-time form of `#[pledge]`.
///
/// Same table and phase rules as the attribute: promises only narrow, and calling it with the
/// promises in force installs nothing. Wraps [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)
/// with `SECCOMP_FILTER_FLAG_TSYNC`.
///
/// # Errors
///
/// [`PledgeError::Parse`] for an unknown or OpenBSD-only promise, [`PledgeError::Widening`] for a
/// promise an earlier phase dropped, or the kernel call that failed. On error no filter was installed (Landlock layers applied before the error stay: never wider than before).
///
/// # Examples
///
/// ```no_run
/// sandbox::pledge("stdio rpath")?;
/// # Ok::<(), sandbox::PledgeError>(())
/// ```
#[track_caller]
pub fn pledge(promises: &str) -> Result<Enforced, PledgeError> {
    sandbox_runtime::pledge(promises)
}

#[doc(hidden)]
pub mod __private {
    pub use sandbox_runtime::private::*;
}
