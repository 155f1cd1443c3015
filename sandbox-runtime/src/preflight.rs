//! What must be true of the process before a phase can promise anything: state created before
//! the first filter that would outlive it and act around it.
//!
//! - An io_uring instance performs I/O that seccomp never sees; with `IORING_SETUP_SQPOLL` the
//!   kernel's polling thread does it without any syscall at all, and a ring stays alive through
//!   its memory mapping after its descriptor is closed. io_uring_setup is never allowed once a
//!   filter is in force, so rings can only come from before the first phase: the first phase
//!   refuses to start while one exists (descriptor or mapping).
//! - `READ_IMPLIES_EXEC` (personality) makes the kernel add `PROT_EXEC` to readable mappings,
//!   which the filter cannot see in the arguments. A phase without `prot_exec` clears it on the
//!   calling thread, and refuses to start if another thread has it.

use std::fs;
use std::io::Read;

use sandbox_policy::{Promise, PromiseSet};

use crate::error::PledgeError;

const READ_IMPLIES_EXEC: u64 = 0x0040_0000;

/// The checks a first phase without `prot_exec` makes before it installs anything, alone: for
/// the benchmarks, which time them in a fresh process. Changes nothing but `READ_IMPLIES_EXEC`.
///
/// # Errors
///
/// As the first phase would: an io_uring instance, or a thread with `READ_IMPLIES_EXEC`.
pub fn first_phase_checks() -> Result<(), PledgeError> {
    no_io_uring()?;
    no_read_implies_exec(PromiseSet::EMPTY, true, None)
}

/// Checks for io_uring instances. Called only while no filter is in force (reading /proc).
pub(crate) fn no_io_uring() -> Result<(), PledgeError> {
    let unreadable = |e: std::io::Error| {
        PledgeError::Precondition(format!(
            "cannot read /proc/self to look for io_uring instances: {e}"
        ))
    };
    let mut found = Vec::new();
    {
        let dir = fs::read_dir("/proc/self/fd").map_err(unreadable)?;
        for entry in dir.flatten() {
            if let Ok(target) = fs::read_link(entry.path()) {
                if target.to_string_lossy().contains("[io_uring]") {
                    found.push(format!(
                        "descriptor {}",
                        entry.file_name().to_string_lossy()
                    ));
                }
            }
        }
    }
    // One read into a buffer with room: /proc reports no size, so `read_to_string` would start
    // with 32-byte reads and grow (nine reads for a small Rust program instead of one or two).
    let mut maps = Vec::with_capacity(1 << 16);
    fs::File::open("/proc/self/maps")
        .and_then(|mut f| f.read_to_end(&mut maps))
        .map_err(unreadable)?;
    let maps = String::from_utf8_lossy(&maps);
    found.extend(
        maps.lines()
            .filter(|l| l.contains("io_uring"))
            .map(|l| format!("mapping {}", l.split_whitespace().next().unwrap_or("?"))),
    );
    if found.is_empty() {
        return Ok(());
    }
    Err(PledgeError::Precondition(format!(
        "an io_uring instance exists ({}); io_uring performs I/O that seccomp cannot see, so close \
         and unmap every ring before the first phase",
        found.join(", ")
    )))
}

/// Clears `READ_IMPLIES_EXEC` for a phase without `prot_exec`, and checks the other threads.
pub(crate) fn no_read_implies_exec(
    promises: PromiseSet,
    first_phase: bool,
    held: Option<PromiseSet>,
) -> Result<(), PledgeError> {
    if promises.contains(Promise::ProtExec) {
        return Ok(());
    }
    // A filter without prot_exec in force already: nobody could have set it since.
    if held.is_some_and(|h| !h.contains(Promise::ProtExec)) {
        return Ok(());
    }
    let current = crate::sys::personality(0xffff_ffff);
    if current & READ_IMPLIES_EXEC != 0 {
        crate::sys::personality(current & !READ_IMPLIES_EXEC);
    }
    let can_read_proc = first_phase || held.is_some_and(|h| h.contains(Promise::Rpath));
    if !can_read_proc {
        return Err(PledgeError::Precondition(
            "this phase drops prot_exec but cannot read /proc to check that no thread has \
             READ_IMPLIES_EXEC set (the phase in force lacks rpath)"
                .into(),
        ));
    }
    let me = crate::sys::gettid();
    let mut found = Vec::new();
    let tasks = fs::read_dir("/proc/self/task").map_err(|e| {
        PledgeError::Precondition(format!(
            "cannot read /proc/self/task to check personalities: {e}"
        ))
    })?;
    {
        for entry in tasks.flatten() {
            let tid = entry.file_name().to_string_lossy().into_owned();
            if tid == me.to_string() {
                continue;
            }
            let p = fs::read_to_string(entry.path().join("personality")).unwrap_or_default();
            if u64::from_str_radix(p.trim(), 16).is_ok_and(|v| v & READ_IMPLIES_EXEC != 0) {
                found.push(tid);
            }
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(PledgeError::Precondition(format!(
        "threads {} have READ_IMPLIES_EXEC set, which would make readable memory executable \
         without prot_exec",
        found.join(", ")
    )))
}
