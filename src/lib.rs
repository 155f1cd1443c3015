//! OpenBSD's pledge and unveil for Linux, declared in the program's own source.
//!
//! ```no_run
//! #[sandbox::pledge("stdio")]
//! fn main() {
//!     println!("only stdio from here on");
//! }
//! ```
//!
//! See the README for the promise reference, penalties, phases and kernel requirements.

pub use sandbox_macros::{pledge, unveil};
pub use sandbox_runtime::{
    CommandExt, Enforced, LandlockStatus, Penalty, Perms, PledgeError, Promise, PromiseSet,
    Restrict, Unveil, UnveilError, broadcast_signal, current, pledge_with,
};

/// Restricts the process to `promises` from now on; the run-time form of `#[pledge]`.
///
/// # Errors
///
/// See [`PledgeError`].
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
