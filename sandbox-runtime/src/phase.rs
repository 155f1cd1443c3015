//! Phases: what is in force, entering a new one, and the one-atomic-load re-entry.

use std::panic::Location;
use std::sync::{Mutex, OnceLock};

use sandbox_policy::bpf::Insn;
use sandbox_policy::{Arch, Penalty, Policy, PromiseSet, Table};

use crate::error::PledgeError;
use crate::{report, sys};

/// A compiled program for the architecture the binary was built for, as the attribute embeds it.
#[derive(Debug)]
pub struct ArchProgram {
    /// The BPF instructions, built at compile time.
    pub insns: &'static [Insn],
    /// Instructions whose operand is set to the process id at install time.
    pub pid_slots: &'static [u16],
}

/// One phase: an annotated function (or a run-time [`crate::pledge`] call) and its policy.
#[derive(Debug)]
pub struct Phase {
    /// The function's path, `crate::module::function`.
    pub name: &'static str,
    /// Source file of the annotation.
    pub file: &'static str,
    /// Source line of the annotation.
    pub line: u32,
    /// The promises, as [`PromiseSet::bits`].
    pub promises: u32,
    /// What a violation does.
    pub penalty: Penalty,
    /// The seccomp program.
    pub program: ArchProgram,
}

impl Phase {
    /// The promise set.
    #[must_use]
    pub fn promises(&self) -> PromiseSet {
        PromiseSet::from_bits(self.promises)
    }

    fn describe(&self) -> String {
        format!("{} ({}:{})", self.name, self.file, self.line)
    }
}

/// What entering a phase enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Enforced {
    /// The promises now in force.
    pub promises: PromiseSet,
    /// What a violation does now. When an earlier phase chose a stricter penalty, the kernel
    /// keeps applying that one: see [`Penalty`].
    pub penalty: Penalty,
    /// Whether this entry installed a filter (false when the same policy was already in force).
    pub installed: bool,
    /// Filters this process has stacked, counting this one.
    pub filters: u32,
}

/// The phase in force, for the one-load re-entry check and for the reporter.
pub(crate) static CURRENT: sys::StaticCell<Phase> = sys::StaticCell::new();

struct State {
    current: Option<&'static Phase>,
    filters: u32,
    reporter: bool,
    /// The strictest penalty among installed filters: the kernel applies the strictest action.
    effective: Option<Penalty>,
}

static STATE: Mutex<State> = Mutex::new(State {
    current: None,
    filters: 0,
    reporter: false,
    effective: None,
});

/// Kill beats report beats error, as `SECCOMP_RET_KILL_PROCESS` beats `TRAP` beats `ERRNO`.
fn strictness(p: Penalty) -> u8 {
    match p {
        Penalty::Kill => 2,
        Penalty::Report => 1,
        Penalty::Error => 0,
    }
}

/// The table for this binary's architecture, built once at the first phase entry so that the
/// reporter can read it from the signal handler without allocating.
pub(crate) static TABLE: OnceLock<Table> = OnceLock::new();

/// Enters `phase`, or prints why it cannot and aborts. This is what `#[pledge]` calls.
///
/// Re-entering the phase in force costs one atomic load.
pub fn enter(phase: &'static Phase) {
    if CURRENT.holds(phase) {
        return;
    }
    if let Err(e) = enter_slow(phase) {
        let msg = format!("sandbox: cannot enter phase {}: {e}\n", phase.describe());
        sys::write_stderr(msg.as_bytes());
        std::process::abort();
    }
}

/// Enters `phase`, returning what was enforced.
///
/// # Errors
///
/// See [`PledgeError`]. On error no filter was installed.
pub fn try_enter(phase: &'static Phase) -> Result<Enforced, PledgeError> {
    enter_slow(phase)
}

fn enter_slow(phase: &'static Phase) -> Result<Enforced, PledgeError> {
    let arch = Arch::native().ok_or(PledgeError::Unsupported)?;
    // A panic while holding the lock leaves the state as it was: take it back.
    let mut state = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let wanted = phase.promises();
    if let Some(cur) = state.current {
        let held = cur.promises();
        if let Some(promise) = wanted.minus(held).iter().next() {
            return Err(PledgeError::Widening {
                phase: phase.describe(),
                current: cur.describe(),
                promise,
            });
        }
        if wanted == held && phase.penalty == cur.penalty {
            CURRENT.set(Some(phase));
            state.current = Some(phase);
            let penalty = state.effective.unwrap_or(phase.penalty);
            return Ok(Enforced {
                promises: wanted,
                penalty,
                installed: false,
                filters: state.filters,
            });
        }
    }
    TABLE.get_or_init(|| sandbox_policy::table(arch));
    if !state.reporter {
        // Installed before the first filter, in every mode, so that no later phase has to
        // replace the SIGSYS handler (which the filters forbid).
        sys::install_sigsys_handler(report::on_sigsys).map_err(PledgeError::Reporter)?;
        state.reporter = true;
    }
    sys::set_no_new_privs().map_err(PledgeError::NoNewPrivs)?;
    let mut insns = phase.program.insns.to_vec();
    let pid = sys::getpid();
    for &slot in phase.program.pid_slots {
        insns[usize::from(slot)].k = pid;
    }
    // Record the phase before installing: the reporter must never see a filter without it.
    let previous = CURRENT.set(Some(phase));
    match sys::install_filter_all_threads(&insns) {
        sys::Install::Done => {}
        sys::Install::BlockedBy(tid) => {
            CURRENT.set(previous);
            return Err(PledgeError::ThreadBlocked { tid });
        }
        sys::Install::Failed(e) => {
            CURRENT.set(previous);
            return Err(PledgeError::Seccomp(e));
        }
    }
    state.current = Some(phase);
    state.filters += 1;
    let penalty = match state.effective {
        Some(p) if strictness(p) > strictness(phase.penalty) => p,
        _ => phase.penalty,
    };
    state.effective = Some(penalty);
    Ok(Enforced {
        promises: wanted,
        penalty,
        installed: true,
        filters: state.filters,
    })
}

/// Restricts the process to `promises` from now on: the run-time form of `#[pledge]`, for
/// promises known only at run time (from configuration).
///
/// The same compiler and the same phase rules apply: promises only narrow, and calling it again
/// with the promises in force installs nothing. The phase is named after the caller's location.
/// Each distinct call compiles the policy at run time (about a millisecond); the attribute
/// compiles at build time.
///
/// # Errors
///
/// An unknown or OpenBSD-only promise ([`PledgeError::Parse`]), a promise an earlier phase
/// dropped ([`PledgeError::Widening`]), or a kernel refusal. On error nothing changed.
///
/// # Examples
///
/// ```no_run
/// let promises = std::env::var("PROMISES").unwrap_or_else(|_| "stdio".into());
/// sandbox_runtime::pledge(&promises)?;
/// # Ok::<(), sandbox_runtime::PledgeError>(())
/// ```
#[track_caller]
pub fn pledge(promises: &str) -> Result<Enforced, PledgeError> {
    pledge_with(promises, Penalty::Report)
}

/// [`pledge`] with an explicit penalty for violations.
///
/// # Errors
///
/// As [`pledge`].
#[track_caller]
pub fn pledge_with(promises: &str, penalty: Penalty) -> Result<Enforced, PledgeError> {
    let caller = Location::caller();
    let set = PromiseSet::parse(promises)?;
    let policy = Policy::new(set, penalty);
    // Re-entry with the policy in force: nothing to compile.
    if let Some(cur) = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .current
    {
        if cur.promises() == set && cur.penalty == policy.penalty {
            return Ok(Enforced {
                promises: set,
                penalty: policy.penalty,
                installed: false,
                filters: 0,
            });
        }
    }
    let arch = Arch::native().ok_or(PledgeError::Unsupported)?;
    let program =
        sandbox_policy::compile(TABLE.get_or_init(|| sandbox_policy::table(arch)), &policy)?;
    let pid_slots: Vec<u16> = program
        .pid_slots
        .iter()
        .map(|&s| u16::try_from(s).expect("programs are under 4096"))
        .collect();
    let phase: &'static Phase = Box::leak(Box::new(Phase {
        name: Box::leak(format!("sandbox::pledge(\"{promises}\")").into_boxed_str()),
        file: caller.file(),
        line: caller.line(),
        promises: set.bits(),
        penalty: policy.penalty,
        program: ArchProgram {
            insns: Box::leak(program.insns.into_boxed_slice()),
            pid_slots: Box::leak(pid_slots.into_boxed_slice()),
        },
    }));
    enter_slow(phase)
}

/// The promises in force, `None` before the first phase.
#[must_use]
pub fn current() -> Option<PromiseSet> {
    CURRENT.get().map(Phase::promises)
}
