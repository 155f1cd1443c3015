//! execpromises: what a program started with `execve` may do.
//!
//! On OpenBSD, `pledge(promises, execpromises)` makes every later `execve` start the new program
//! with `execpromises`, process-wide. On Linux a seccomp filter survives `execve`, and there is no
//! filter that applies only after it, so the narrowing has to be installed in the child between
//! `fork` and `execve`. This module does that per command: [`CommandExt::pledge_exec`] adds a
//! pre-exec hook that installs a filter compiled from the exec promises.
//!
//! Differences from OpenBSD, all in the direction of narrower:
//!
//! - Per command, not process-wide: a command spawned without `pledge_exec` runs under the
//!   promises in force (which are never wider than the parent's).
//! - The exec promises always include `exec`: the filter is in place before the `execve` that
//!   starts the program, so it must allow that call (and so the program may exec again, under
//!   the same promises). They may only narrow what the parent holds: anything more is an error.
//! - The parent's filters stay stacked under the new one; the program gets the intersection.
//! - A violation in the new program kills it by SIGSYS (`SECCOMP_RET_KILL_PROCESS`) with no
//!   report: the reporter lived in the parent's image. A program that uses `sandbox` itself
//!   reports its own violations.
//! - A dynamically linked program needs, before `main`, what its loader needs: `rpath` (the
//!   libraries) and `prot_exec` (mapping them), as on OpenBSD.

use std::process::Command;

use sandbox_policy::{Penalty, Policy, Promise, PromiseSet};

use crate::error::PledgeError;
use crate::sys;
use crate::table::TABLE;

/// Narrowing what a spawned program may do.
pub trait CommandExt {
    /// Starts the program with only `promises` (plus `exec`), enforced from its `execve` on.
    ///
    /// # Errors
    ///
    /// An invalid promise string, or a promise the process does not hold
    /// ([`PledgeError::Widening`]): exec promises only narrow.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use sandbox_runtime::CommandExt;
    /// let status = std::process::Command::new("/usr/bin/cat")
    ///     .arg("/etc/hostname")
    ///     .pledge_exec("stdio rpath prot_exec")?
    ///     .status()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn pledge_exec(&mut self, promises: &str) -> Result<&mut Self, PledgeError>;
}

impl CommandExt for Command {
    fn pledge_exec(&mut self, promises: &str) -> Result<&mut Self, PledgeError> {
        let set = PromiseSet::parse(promises)?.with(Promise::Exec);
        if let Some((held, who)) = crate::phase::held() {
            if let Some(promise) = set.minus(held).iter().next() {
                return Err(PledgeError::Widening {
                    phase: format!("execpromises \"{promises}\""),
                    current: who,
                    promise,
                });
            }
        }
        let program = sandbox_policy::compile(
            TABLE.ok_or(PledgeError::Unsupported)?,
            &Policy::new(set.minus(PromiseSet::of(Promise::Error)), Penalty::Kill),
        )?;
        let mut insns = program.insns;
        let slots = program.pid_slots;
        sys::pre_exec(self, move || {
            let pid = sys::getpid();
            for &i in &slots {
                insns[i].k = pid;
            }
            sys::set_no_new_privs()?;
            sys::install_filter_this_thread(&insns)
        });
        Ok(self)
    }
}
