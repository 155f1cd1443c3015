//! Phases: what is in force, entering a new one, and the one-atomic-load re-entry.

use std::panic::Location;
use std::sync::Mutex;

use sandbox_policy::bpf::Insn;
use sandbox_policy::{Arch, Penalty, Policy, PromiseSet};

use crate::error::PledgeError;
use crate::landlock::{self, Applied, LandlockStatus, Unveil};
use crate::table::TABLE;
use crate::{preflight, report, sys};

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
    /// Whether the phase has a `#[pledge]` (false: unveil only, the promises stay as they are).
    pub pledged: bool,
    /// Whether the phase has `#[unveil]`s.
    pub unveils: bool,
    /// Whether unveil runs best-effort (reporting once what is not enforced) instead of failing.
    pub best_effort: bool,
}

impl Phase {
    /// The promise set.
    #[must_use]
    pub fn promises(&self) -> PromiseSet {
        PromiseSet::from_bits(self.promises)
    }

    /// `path::to::fn (file:line)`, with raw-identifier prefixes (`r#async`) taken off.
    fn describe(&self) -> String {
        let name: Vec<&str> = self
            .name
            .split("::")
            .map(|s| s.strip_prefix("r#").unwrap_or(s))
            .collect();
        format!("{} ({}:{})", name.join("::"), self.file, self.line)
    }
}

/// What entering a phase enforced.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// What Landlock enforces, when this entry applied a ruleset.
    pub landlock: Option<LandlockStatus>,
}

/// The phase the reporter names: set just before a filter is installed, so that no trap can see
/// a filter without its phase.
pub(crate) static CURRENT: sys::StaticCell<Phase> = sys::StaticCell::new();

/// The phase whose every layer is in force on every thread, for the one-load re-entry check.
/// Stored last, after Landlock and seccomp are in force: a thread that sees its phase here and
/// returns at once is already restricted. (Storing it earlier let a second thread calling the
/// same pledged fn return, unfiltered, while the first was still installing.)
static IN_FORCE: sys::StaticCell<Phase> = sys::StaticCell::new();

struct State {
    current: Option<&'static Phase>,
    /// The promises of the last pledged phase (`None`: no filter yet).
    held: Option<(PromiseSet, &'static Phase)>,
    /// The rules of the last phase that applied Landlock, and its description.
    landlock: Option<(Vec<Applied>, String)>,
    filters: u32,
    reporter: bool,
    /// The strictest penalty among installed filters: the kernel applies the strictest action.
    effective: Option<Penalty>,
    /// Whether a Landlock layer keeps /proc unwritable (see `landlock::guard_proc`).
    proc_guarded: bool,
    /// Whether a Landlock domain is in force (any layer: it keeps other processes out of reach).
    domain: bool,
    /// Whether the minimal layer for that was tried (once: without Landlock, best-effort went on
    /// without it, and a later phase may no longer make the Landlock calls).
    scope_tried: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    current: None,
    held: None,
    landlock: None,
    filters: 0,
    reporter: false,
    effective: None,
    proc_guarded: false,
    domain: false,
    scope_tried: false,
});

impl State {
    /// Makes `phase` the one in force without installing a filter (its promises are the ones in
    /// force, or it only unveils).
    fn enter_without_filter(
        &mut self,
        phase: &'static Phase,
        promises: PromiseSet,
        landlock: Option<LandlockStatus>,
    ) -> Enforced {
        CURRENT.set(Some(phase));
        IN_FORCE.set(Some(phase));
        self.current = Some(phase);
        let penalty = self.effective.unwrap_or(phase.penalty);
        Enforced {
            promises,
            penalty,
            installed: false,
            filters: self.filters,
            landlock,
        }
    }
}

/// Kill beats report beats error, as `SECCOMP_RET_KILL_PROCESS` beats `TRAP` beats `ERRNO`.
fn strictness(p: Penalty) -> u8 {
    match p {
        Penalty::Kill => 2,
        Penalty::Report => 1,
        Penalty::Error => 0,
    }
}

/// Enters `phase`, or prints why it cannot and exits with [`EXIT_CANNOT_ENTER`]. This is what
/// `#[pledge]` calls.
///
/// Re-entering the phase in force costs one atomic load.
pub fn enter(phase: &'static Phase) {
    enter_with(phase, Vec::new);
}

/// [`enter`] for a phase with `#[unveil]`s: `unveils` evaluates the paths, on the first entry
/// only (re-entering the phase in force evaluates nothing).
#[inline]
pub fn enter_with(phase: &'static Phase, unveils: impl FnOnce() -> Vec<Unveil>) {
    if IN_FORCE.holds(phase) {
        return;
    }
    // Everything past the one load is shared by all phases, not copied into each annotated fn.
    let mut unveils = Some(unveils);
    enter_or_abort(phase, &mut || unveils.take().map_or_else(Vec::new, |f| f()));
}

#[inline(never)]
fn enter_or_abort(phase: &'static Phase, unveils: &mut dyn FnMut() -> Vec<Unveil>) {
    if let Err(e) = enter_slow(phase, unveils) {
        let mut msg = format!("sandbox: cannot enter phase {}: {e}", phase.describe());
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            // A source whose text the message already holds (`unveil: {0}`) is said once.
            let text = s.to_string();
            if !msg.contains(&text) {
                msg.push_str(&format!(": {text}"));
            }
            source = s.source();
        }
        msg.push('\n');
        sys::write_stderr(msg.as_bytes());
        // Fail closed, without a core file: nothing ran in the phase. Straight to exit_group
        // (allowed under every policy): no exit handler runs under a half-entered phase.
        sys::exit_now(EXIT_CANNOT_ENTER);
    }
}

/// The exit status of a process whose `#[pledge]` or `#[unveil]` phase could not be entered
/// (after one line on stderr saying why). Violations end by SIGABRT instead.
pub const EXIT_CANNOT_ENTER: i32 = 70;

/// Enters `phase`, returning what was enforced.
///
/// # Errors
///
/// See [`PledgeError`]. On error no seccomp filter was installed; Landlock rules may already be
/// in force if the error came after them (never wider than before).
pub fn try_enter(
    phase: &'static Phase,
    unveils: impl FnOnce() -> Vec<Unveil>,
) -> Result<Enforced, PledgeError> {
    let mut unveils = Some(unveils);
    enter_slow(phase, &mut || unveils.take().map_or_else(Vec::new, |f| f()))
}

/// Enters a phase that is not in force. `unveils` is called at most once.
fn enter_slow(
    phase: &'static Phase,
    unveils: &mut dyn FnMut() -> Vec<Unveil>,
) -> Result<Enforced, PledgeError> {
    // No table (and no program) for this architecture: refuse before touching anything.
    TABLE.ok_or(PledgeError::Unsupported)?;
    // A panic while holding the lock leaves the state as it was: take it back.
    let mut state = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if IN_FORCE.holds(phase) {
        return Ok(Enforced {
            promises: phase.promises(),
            penalty: state.effective.unwrap_or(phase.penalty),
            installed: false,
            filters: state.filters,
            landlock: None,
        });
    }
    landlock::prepare();
    let mut personalities = None;
    let mut code = None;
    if phase.pledged {
        let first = state.held.is_none();
        let threads = if first {
            Some(preflight::no_io_uring()?)
        } else {
            None
        };
        personalities = preflight::no_read_implies_exec(
            phase.promises(),
            first,
            state.held.map(|(h, _)| h),
            threads,
        )?;
        // A phase that drops prot_exec (the personalities are looked at then) must not leave
        // memory that is code and writable at once, made while prot_exec was held.
        if personalities.is_some() {
            code = Some(crate::guard::no_writable_code().map_err(PledgeError::Precondition)?);
        }
    }
    let wanted = if phase.pledged {
        phase.promises()
    } else {
        state.held.map_or_else(PromiseSet::all, |(held, _)| held)
    };
    if let (true, Some((held, cur))) = (phase.pledged, state.held) {
        if let Some(promise) = wanted.minus(held).iter().next() {
            return Err(PledgeError::Widening {
                phase: phase.describe(),
                current: cur.describe(),
                promise,
            });
        }
        // The same promises: the layers applied when they were entered (the filter, and the
        // Landlock rules path-precise promises need) are in force already.
        if wanted == held && phase.penalty == cur.penalty && !phase.unveils {
            return Ok(state.enter_without_filter(phase, wanted, None));
        }
    }
    let mut landlock_status = None;
    if phase.unveils || (phase.pledged && landlock::path_precise(wanted)) {
        // No `unveil` promise is needed in the phase in force: a Landlock layer only narrows,
        // and `apply` refuses anything wider than the view in force (see the README).
        let previous = state
            .landlock
            .as_ref()
            .map(|(rules, who)| (rules.as_slice(), who.as_str()));
        let known = if phase.pledged {
            Some(wanted)
        } else {
            state.held.map(|(held, _)| held)
        };
        let (status, applied) = landlock::apply(
            &unveils(),
            known,
            !phase.unveils,
            phase.best_effort,
            state.proc_guarded,
            previous,
        )?;
        state.landlock = Some((applied, phase.describe()));
        landlock_status = Some(status);
    }
    // A ruleset applied by this phase was checked against /proc writes above; otherwise a
    // dedicated layer keeps /proc unwritable, once per process.
    if phase.pledged
        && landlock::needs_proc_guard(wanted)
        && landlock_status.is_none()
        && !state.proc_guarded
    {
        if let Some((held, cur)) = state.held {
            if !held.contains(sandbox_policy::Promise::Rpath) {
                return Err(landlock::UnveilError::Unenforceable(format!(
                    "phase {} keeps wpath without prot_exec; keeping /proc/self/mem unwritable needs a Landlock layer built from /proc/self/maps, which needs the `rpath` promise that phase `{}` dropped",
                    phase.describe(),
                    cur.describe()
                ))
                .into());
            }
        }
        landlock_status = Some(landlock::guard_proc(phase.best_effort)?);
    }
    // Whether this entry protected the files mapped executable (it checks after the install that
    // no other was mapped meanwhile).
    let guarded_now =
        landlock_status.is_some() && landlock::needs_proc_guard(wanted) && !state.proc_guarded;
    if landlock_status.is_some() && landlock::needs_proc_guard(wanted) {
        state.proc_guarded = true;
    }
    // A phase that can open files can open /proc/<pid>/mem, environ, fd/ of other processes of
    // its user (every process, as root): the same reach into other processes as ptrace and
    // process_vm_readv, which no promise allows. Any Landlock domain confines ptrace-mode
    // access to processes inside it, so the first such phase without a layer of its own gets a
    // minimal one.
    if phase.pledged
        && landlock_status.is_none()
        && !state.domain
        && !state.scope_tried
        && landlock::opens_files(wanted)
    {
        let status = landlock::process_scope(wanted, phase.best_effort)?;
        state.scope_tried = true;
        landlock_status = Some(status);
    }
    if landlock_status.as_ref().is_some_and(|s| s.abi > 0) {
        state.domain = true;
    }
    if !phase.pledged {
        return Ok(state.enter_without_filter(phase, wanted, landlock_status));
    }
    if !state.reporter {
        // Installed before the first filter, in every mode, so that no later phase has to
        // replace the SIGSYS handler (which the filters forbid).
        sys::install_sigsys_handler(report::on_sigsys).map_err(PledgeError::Reporter)?;
        state.reporter = true;
    }
    if !wanted.contains(sandbox_policy::Promise::Rpath) {
        // The zone files `stdio` keeps readable (see `answer`), opened while this phase may.
        crate::answer::keep_zone_files();
    }
    sys::set_no_new_privs().map_err(PledgeError::NoNewPrivs)?;
    let mut insns = phase.program.insns.to_vec();
    let pid = sys::getpid();
    report::INSTALLED_BY.store(pid, std::sync::atomic::Ordering::Relaxed);
    for &slot in phase.program.pid_slots {
        insns[usize::from(slot)].k = pid;
    }
    // The second look after the install reads descriptors (`pread`), and closing them needs
    // stdio too; a phase without it cannot even read (see the README's limits): close them now.
    let looks = wanted.contains(sandbox_policy::Promise::Stdio);
    if !looks {
        drop(personalities.take());
        drop(code.take());
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
    // Between the checks above and the install, another thread could still set
    // READ_IMPLIES_EXEC or map a file executable (the phase in force allowed it); from now on
    // neither is possible, so a second look is conclusive. The filter is in force: what it finds
    // ends the process.
    let second_look = if looks {
        after_install(personalities.as_ref(), code.as_ref(), guarded_now)
    } else {
        Ok(())
    };
    if let Err(why) = second_look {
        sys::write_stderr(
            format!("sandbox: phase {}: {why}; aborting\n", phase.describe()).as_bytes(),
        );
        std::process::abort();
    }
    // Every layer is in force on every thread: only now may other callers skip the entry.
    IN_FORCE.set(Some(phase));
    state.current = Some(phase);
    state.held = Some((wanted, phase));
    HELD.store(
        u64::from(wanted.bits()) | 1 << 32,
        std::sync::atomic::Ordering::Release,
    );
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
        landlock: landlock_status,
    })
}

/// The checks that are only conclusive once the filter is in force, through descriptors opened
/// before it: the personalities of the threads listed (a thread created in between inherits its
/// creator's, which is among them unless the creator changed its own since: see the README's
/// limits) and the files mapped executable.
fn after_install(
    personalities: Option<&preflight::Personalities>,
    code: Option<&crate::guard::Code>,
    guarded_now: bool,
) -> Result<(), String> {
    if let Some(p) = personalities {
        p.recheck()?;
    }
    if let Some(c) = code {
        c.recheck()?;
    }
    if guarded_now {
        crate::guard::no_new_mappings()?;
    }
    Ok(())
}

/// Restricts the process to `promises` from now on: the run-time form of `#[pledge]`, for
/// promises known only at run time (from configuration).
///
/// The same compiler and the same phase rules apply: promises only narrow, and calling it again
/// with the promises in force installs nothing. The phase is named after the promises and the
/// caller's location. Each distinct call compiles the policy at run time (about a millisecond);
/// the attribute compiles at build time. [`Restrict`] adds unveils and options.
///
/// # Errors
///
/// An unknown or OpenBSD-only promise ([`PledgeError::Parse`]), a promise an earlier phase
/// dropped ([`PledgeError::Widening`]), or a kernel refusal. On error no filter was installed (Landlock layers applied before the error stay: never wider than before).
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
    Restrict::new().pledge(promises).apply()
}

/// [`pledge`] with an explicit penalty for violations.
///
/// # Errors
///
/// As [`pledge`].
#[track_caller]
pub fn pledge_with(promises: &str, penalty: Penalty) -> Result<Enforced, PledgeError> {
    Restrict::new().pledge(promises).penalty(penalty).apply()
}

/// A phase built at run time: promises and unveils known only from configuration.
///
/// ```no_run
/// # fn main() -> Result<(), sandbox_runtime::PledgeError> {
/// let root = std::env::args().nth(1).unwrap_or_else(|| "/var/www".into());
/// sandbox_runtime::Restrict::new()
///     .unveil(&root, "r")?
///     .pledge("stdio rpath inet")
///     .apply()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct Restrict {
    promises: Option<String>,
    unveils: Vec<Unveil>,
    penalty: Penalty,
    best_effort: bool,
}

impl Restrict {
    /// A phase that changes nothing yet.
    pub fn new() -> Restrict {
        Restrict::default()
    }

    /// The promises to keep (`"stdio rpath"`); without it the promises in force stay.
    pub fn pledge(mut self, promises: &str) -> Restrict {
        self.promises = Some(promises.to_owned());
        self
    }

    /// What a violation does (ignored when the promises include `error`).
    pub fn penalty(mut self, penalty: Penalty) -> Restrict {
        self.penalty = penalty;
        self
    }

    /// Makes `path` visible with `perms` (`"rwxc"` letters, `""` to hide).
    ///
    /// # Errors
    ///
    /// [`PledgeError::Perms`] for letters outside `rwxc` or a repeated letter.
    pub fn unveil<P: AsRef<std::path::Path> + ?Sized>(
        mut self,
        path: &P,
        perms: &str,
    ) -> Result<Restrict, PledgeError> {
        landlock::Perms::parse(perms).map_err(PledgeError::Perms)?;
        self.unveils.push(Unveil::new(path, perms, false));
        Ok(self)
    }

    /// Like [`Restrict::unveil`], but a missing path is skipped instead of being an error.
    ///
    /// # Errors
    ///
    /// As [`Restrict::unveil`].
    pub fn unveil_optional<P: AsRef<std::path::Path> + ?Sized>(
        mut self,
        path: &P,
        perms: &str,
    ) -> Result<Restrict, PledgeError> {
        landlock::Perms::parse(perms).map_err(PledgeError::Perms)?;
        self.unveils.push(Unveil::new(path, perms, true));
        Ok(self)
    }

    /// Runs unveil best-effort: what the kernel cannot enforce is reported once on stderr and
    /// the phase goes on, instead of failing.
    pub fn best_effort(mut self) -> Restrict {
        self.best_effort = true;
        self
    }

    /// Enters the phase.
    ///
    /// # Errors
    ///
    /// See [`PledgeError`].
    #[track_caller]
    pub fn apply(self) -> Result<Enforced, PledgeError> {
        let caller = Location::caller();
        let arch = Arch::native().ok_or(PledgeError::Unsupported)?;
        // A phase without unveils is the same phase each time this call site asks for the same
        // thing: reuse it (no compiling, no new leaked phase; re-entry is then the usual check).
        // A phase with unveils is built anew: its paths may differ from one call to the next.
        let key = (
            caller.file(),
            caller.line(),
            self.promises.clone(),
            self.penalty,
            self.best_effort,
        );
        if self.unveils.is_empty() {
            let cached = RUNTIME_PHASES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, phase)| *phase);
            if let Some(phase) = cached {
                return enter_slow(phase, &mut Vec::new);
            }
        }
        let (set, pledged) = match &self.promises {
            Some(p) => (PromiseSet::parse(p)?, true),
            None => (PromiseSet::EMPTY, false),
        };
        let policy = Policy::new(set, self.penalty);
        let program = if pledged {
            sandbox_policy::compile(TABLE.ok_or(PledgeError::Unsupported)?, &policy)?
        } else {
            sandbox_policy::Program::empty(arch)
        };
        let pid_slots: Vec<u16> = program
            .pid_slots
            .iter()
            .map(|&s| u16::try_from(s).expect("programs are under 4096"))
            .collect();
        let name = match &self.promises {
            Some(p) => format!("sandbox::pledge(\"{p}\")"),
            None => "sandbox::Restrict".to_owned(),
        };
        let phase: &'static Phase = Box::leak(Box::new(Phase {
            name: Box::leak(name.into_boxed_str()),
            file: caller.file(),
            line: caller.line(),
            promises: set.bits(),
            penalty: policy.penalty,
            program: ArchProgram {
                insns: Box::leak(program.insns.into_boxed_slice()),
                pid_slots: Box::leak(pid_slots.into_boxed_slice()),
            },
            pledged,
            unveils: !self.unveils.is_empty(),
            best_effort: self.best_effort,
        }));
        if self.unveils.is_empty() {
            RUNTIME_PHASES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((key, phase));
        }
        let mut unveils = Some(self.unveils);
        enter_slow(phase, &mut || unveils.take().unwrap_or_default())
    }
}

/// Phases built by [`Restrict::apply`] without unveils, by call site and request.
type RuntimeKey = (&'static str, u32, Option<String>, Penalty, bool);
static RUNTIME_PHASES: Mutex<Vec<(RuntimeKey, &'static Phase)>> = Mutex::new(Vec::new());

/// The promises in force, readable without the lock (bit 32 set once a filter is in force), for
/// the parts of an entry that must know which calls the filter in force still allows.
static HELD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The promises of the filter in force, `None` before the first.
pub(crate) fn held_now() -> Option<PromiseSet> {
    let v = HELD.load(std::sync::atomic::Ordering::Acquire);
    (v >> 32 != 0).then(|| PromiseSet::from_bits(v as u32))
}

/// The promises in force and the phase that set them.
pub(crate) fn held() -> Option<(PromiseSet, String)> {
    let state = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    state.held.map(|(p, phase)| (p, phase.describe()))
}

/// The promises in force, `None` before the first pledged phase.
#[must_use]
pub fn current() -> Option<PromiseSet> {
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .held
        .map(|(p, _)| p)
}
