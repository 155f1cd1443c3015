//! What must be true of the process before a phase can promise anything: state created before
//! the first filter that would outlive it and act around it.
//!
//! - An io_uring instance performs I/O that seccomp never sees; with `IORING_SETUP_SQPOLL` the
//!   kernel's polling thread does it without any syscall at all, and a ring stays alive through
//!   its memory mapping after its descriptor is closed. io_uring_setup is never allowed once a
//!   filter is in force, so rings can only come from before the first phase: the first phase
//!   refuses to start while one exists. A ring is found by its descriptor, its mapping, or its
//!   kernel threads: a ring can have neither descriptor nor mapping (`IORING_SETUP_NO_MMAP` puts
//!   it in the program's own memory, `IORING_SETUP_REGISTERED_FD_ONLY` or a registered ring
//!   descriptor plus `close` leaves only an index in the thread's io_uring context), but a
//!   polling thread is a thread of the process, marked `PF_IO_WORKER` in its `stat`.
//!
//!   io_uring's worker threads (`iou-wrk-<tid>`, also `PF_IO_WORKER`) run requests that would
//!   block. They live as long as a ring of their thread does, and go a few tens of milliseconds
//!   after its last ring is closed (the teardown is asynchronous): when they are all that is
//!   found, the first phase waits up to [`WORKER_GRACE`] for them to go, then refuses, since
//!   they mean a ring without descriptor or mapping still exists.
//!
//!   What is not found: a ring with neither descriptor, mapping, polling thread nor worker (one
//!   kept only by a registered index, in the program's own memory, whose requests never needed
//!   a worker). It takes no new request once the filter is in force (io_uring_enter is never
//!   allowed), but a request submitted before the first phase and still waiting (a read on a
//!   socket, say) may complete after it.
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
    let threads = no_io_uring()?;
    no_read_implies_exec(PromiseSet::EMPTY, true, None, Some(threads)).map(drop)
}

/// The threads of the process other than the caller, as `/proc/self/task/<tid>`: one listing,
/// shared by the first phase's two checks.
pub(crate) struct Threads(Vec<std::path::PathBuf>);

impl Threads {
    fn list() -> std::io::Result<Threads> {
        let me = crate::sys::gettid().to_string();
        Ok(Threads(
            fs::read_dir("/proc/self/task")?
                .flatten()
                .filter(|e| e.file_name().to_str() != Some(&me))
                .map(|e| e.path())
                .collect(),
        ))
    }
}

/// Checks for io_uring instances. Called only while no filter is in force (reading /proc).
/// Returns the other threads, as last listed.
pub(crate) fn no_io_uring() -> Result<Threads, PledgeError> {
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
    let mut threads = Threads::list().map_err(unreadable)?;
    let (mut polling, mut workers) = io_threads(&threads);
    // Workers alone: most likely the teardown of a ring closed just now.
    let start = std::time::Instant::now();
    while found.is_empty()
        && polling.is_empty()
        && !workers.is_empty()
        && start.elapsed() < WORKER_GRACE
    {
        std::thread::sleep(std::time::Duration::from_millis(2));
        threads = Threads::list().map_err(unreadable)?;
        (polling, workers) = io_threads(&threads);
    }
    found.extend(polling);
    found.extend(workers);
    if found.is_empty() {
        return Ok(threads);
    }
    Err(PledgeError::Precondition(format!(
        "an io_uring instance exists ({}); io_uring performs I/O that seccomp cannot see, so close \
         every ring before the first phase: its descriptor, its registered index and its mapping \
         (io_uring's threads end with the last ring)",
        found.join(", ")
    )))
}

/// How long the first phase waits for io_uring worker threads to go when nothing else of a
/// ring is found. On Linux 6.18 in a 2-core virtual machine they went 13 to 21 ms after the
/// last ring was closed.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_millis(100);

/// The process's io_uring kernel threads among `threads` (the caller is never one): polling
/// threads, then worker threads, described for the refusal.
fn io_threads(threads: &Threads) -> (Vec<String>, Vec<String>) {
    let (mut polling, mut workers) = (Vec::new(), Vec::new());
    for path in &threads.0 {
        // A thread that exits meanwhile has no stat any more, and no ring either. Read as bytes:
        // a thread's name may be any bytes (`/proc/self/task/<tid>/comm` renames io_uring's
        // threads too), and a name that is not UTF-8 must not hide the thread.
        let Ok(stat) = fs::read(path.join("stat")) else {
            continue;
        };
        let stat = String::from_utf8_lossy(&stat);
        if let Some((comm, worker)) = io_thread(&stat) {
            let tid = path.file_name().unwrap_or_default().to_string_lossy();
            if worker {
                workers.push(format!("worker thread {tid} \"{comm}\""));
            } else {
                polling.push(format!("polling thread {tid} \"{comm}\""));
            }
        }
    }
    (polling, workers)
}

/// `PF_IO_WORKER` in `include/linux/sched.h`: the task is one of io_uring's kernel threads.
const PF_IO_WORKER: u64 = 0x10;

/// If the thread whose `/proc/<tid>/stat` this is belongs to io_uring (`PF_IO_WORKER` in the
/// flags, the sixth field after the name): its name, and whether it is a worker (`iou-wrk-<tid>`)
/// rather than the polling thread of a `IORING_SETUP_SQPOLL` ring (`iou-sqp-<pid>`). Any name
/// but a worker's counts as a polling thread, so a renamed one is still refused at once.
fn io_thread(stat: &str) -> Option<(&str, bool)> {
    // The name is between the first '(' and the last ')': it may hold both.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?;
    let flags: u64 = stat
        .get(close + 1..)?
        .split_whitespace()
        .nth(6)?
        .parse()
        .ok()?;
    (flags & PF_IO_WORKER != 0).then_some((comm, comm.starts_with("iou-wrk-")))
}

/// The other threads' personality files, opened by [`no_read_implies_exec`] and kept for a
/// second look once the filter is in force (reading an open descriptor needs no promise).
pub(crate) struct Personalities(Vec<(String, fs::File)>);

impl Personalities {
    /// Reads every kept personality again; a thread that has exited since is no concern.
    pub(crate) fn recheck(&self) -> Result<(), String> {
        use std::os::unix::fs::FileExt;
        let mut found = Vec::new();
        for (tid, file) in &self.0 {
            let mut buf = [0u8; 32];
            let Ok(n) = file.read_at(&mut buf, 0) else {
                continue; // ESRCH: the thread has exited
            };
            if flag_set(&buf[..n]) {
                found.push(tid.clone());
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        Err(format!(
            "threads {} set READ_IMPLIES_EXEC while the phase was being entered",
            found.join(", ")
        ))
    }
}

fn flag_set(text: &[u8]) -> bool {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| u64::from_str_radix(t.trim(), 16).ok())
        .is_some_and(|v| v & READ_IMPLIES_EXEC != 0)
}

/// Clears `READ_IMPLIES_EXEC` for a phase without `prot_exec`, and checks the other threads:
/// those in `threads` when the caller has just listed them, else a new listing. Returns their
/// personality files, open, for [`Personalities::recheck`] after the install (`None` when the
/// phase keeps prot_exec or one without it is in force already).
pub(crate) fn no_read_implies_exec(
    promises: PromiseSet,
    first_phase: bool,
    held: Option<PromiseSet>,
    threads: Option<Threads>,
) -> Result<Option<Personalities>, PledgeError> {
    if promises.contains(Promise::ProtExec) {
        return Ok(None);
    }
    // A filter without prot_exec in force already: nobody could have set it since.
    if held.is_some_and(|h| !h.contains(Promise::ProtExec)) {
        return Ok(None);
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
    let threads = match threads {
        Some(t) => t,
        None => Threads::list().map_err(|e| {
            PledgeError::Precondition(format!(
                "cannot read /proc/self/task to check personalities: {e}"
            ))
        })?,
    };
    let mut found = Vec::new();
    let mut kept = Vec::new();
    for path in &threads.0 {
        let tid = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let file = match fs::File::open(path.join("personality")) {
            Ok(f) => f,
            // The thread exited since the listing.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH)) => continue,
            Err(e) => {
                return Err(PledgeError::Precondition(format!(
                    "cannot read the personality of thread {tid} to check READ_IMPLIES_EXEC: {e}"
                )));
            }
        };
        let mut text = Vec::new();
        {
            use std::io::Read;
            let _ = (&file).take(32).read_to_end(&mut text);
        }
        if flag_set(&text) {
            found.push(tid.clone());
        }
        kept.push((tid, file));
    }
    if found.is_empty() {
        return Ok(Some(Personalities(kept)));
    }
    Err(PledgeError::Precondition(format!(
        "threads {} have READ_IMPLIES_EXEC set, which would make readable memory executable \
         without prot_exec",
        found.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::io_thread;

    #[test]
    fn io_uring_threads_are_told_from_each_other_and_from_user_threads() {
        // Lines as Linux 6.18 writes them (cut after the flags, which is all we read).
        let sqpoll = "517 (iou-sqp-515) R 32027 32027 30860 0 -1 4210768 0 0 0 0";
        let worker = "520 (iou-wrk-515) S 32027 32027 30860 0 -1 4210768 0 0 0 0";
        let user = "515 (escape) R 32027 32027 30860 0 -1 4194560 175 0 0 0";
        let tricky = "516 (a) b) (c) S 1 1 1 0 -1 4194560 0";
        let lossy = String::from_utf8_lossy(b"521 (\xff\xfe) x) S 1 1 1 0 -1 4210768 0");
        assert_eq!(io_thread(&lossy), Some(("\u{fffd}\u{fffd}) x", false)));
        assert_eq!(io_thread(sqpoll), Some(("iou-sqp-515", false)));
        assert_eq!(io_thread(worker), Some(("iou-wrk-515", true)));
        assert_eq!(io_thread(user), None);
        assert_eq!(io_thread(tricky), None);
        // A user thread named like io_uring's is not one; a renamed polling thread still is.
        let named = "518 (iou-sqp-1) S 1 1 1 0 -1 4194560 0";
        let renamed = "519 (worker) S 1 1 1 0 -1 4210768 0";
        assert_eq!(io_thread(named), None);
        assert_eq!(io_thread(renamed), Some(("worker", false)));
    }
}
