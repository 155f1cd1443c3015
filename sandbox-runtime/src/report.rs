//! The violation reporter: a SIGSYS handler that prints one line and aborts.
//!
//! It runs in a signal handler, so it allocates nothing and takes no lock: the line is built in
//! a fixed buffer on the stack, the phase comes from one atomic load, the table is static data. Every syscall it makes (`write` to fd 2, `getpid`, `gettid`,
//! `rt_sigaction(SIGABRT)`, `rt_sigprocmask(SIG_UNBLOCK)`, `tgkill(self, tid, SIGABRT)`,
//! `kill(self, SIGABRT)`, `exit_group`) is allowed under every policy, narrowly (see the table's
//! "always" block). The signal is aimed at the calling thread, so no other thread can race it.
//!
//! The program cannot dodge it: filters refuse `rt_sigaction(SIGSYS, act)` with a non-NULL
//! `act`, so the handler cannot be replaced or set to `SIG_IGN`. Blocking SIGSYS does not help
//! either: the kernel unblocks a forced SIGSYS by resetting it to the default action, and the
//! process dies by SIGSYS (without the line).
//!
//! Before it prints, the reporter makes the end certain: SIGABRT back to its default action, then
//! a last filter on every thread under which any call but the reporter's own traps, and the
//! handler parks the thread that made it. No thread can race it (re-install a SIGABRT handler
//! between the reset and the signal) or act on after the violation, and when two threads
//! violate at once the second parks instead of ending the process before the first one's line
//! is out (only a thread that blocks SIGSYS itself still dies by it). If that cannot be set up,
//! the process ends with `exit_group(134)`.
//!
//! Path arguments are printed as text, copied by the kernel (see `sys::read_user_string`), never
//! read from the program's memory directly: a bad pointer just ends the copy.

use core::fmt::Write;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use sandbox_policy::rule::TRAP_DATA;
use sandbox_policy::{Arch, Class, PromiseSet};

use crate::phase::CURRENT;
use crate::sys;
use crate::table::TABLE;

/// A line on the stack: writes past its end are dropped.
struct Line {
    buf: [u8; 1024],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

impl Line {
    fn bytes(&mut self, b: &[u8]) {
        let room = self.buf.len() - 1 - self.len; // keep one byte for the newline
        let n = b.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }

    fn promises(&mut self, set: PromiseSet) {
        let mut first = true;
        for p in set.iter() {
            if !first {
                self.bytes(b" ");
            }
            first = false;
            self.bytes(p.name().as_bytes());
        }
    }

    fn finish(&mut self) -> &[u8] {
        self.buf[self.len] = b'\n';
        &self.buf[..=self.len]
    }
}

pub(crate) extern "C" fn on_sigsys(
    _sig: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    // Another thread is reporting: the process is ending. This thread's call (a violation of
    // its own, or any call the reporter's last filter traps) must not run, and a second line or a
    // second end must not race the first: park here until the reporter ends the process. A
    // spin, since no call is left that could block.
    let reporter = REPORTER.load(Ordering::Acquire);
    if reporter != 0
        && reporter != sys::gettid()
        && sys::getpid() == INSTALLED_BY.load(Ordering::Relaxed)
    {
        park();
    }
    // SAFETY: the kernel calls this handler (installed with SA_SIGINFO for SIGSYS) with its own
    // siginfo and ucontext.
    let t = unsafe { sys::trapped(info, ctx) };
    if t.data == TRAP_DATA && t.code == 1 {
        let held = CURRENT.get().map_or(PromiseSet::EMPTY, |p| p.promises());
        // In children too (a vfork child's stack is small: the answers use under 1 KiB).
        if let Some(value) = crate::answer::answer(&t, held) {
            // SAFETY: `ctx` is the kernel's ucontext for this handler.
            unsafe { sys::set_return(ctx, value) };
            return;
        }
        if let Some(errno) = soft_denial(&t) {
            // SAFETY: `ctx` is the kernel's ucontext for this handler.
            unsafe { sys::set_return(ctx, -i64::from(errno)) };
            return;
        }
    }
    if sys::getpid() != INSTALLED_BY.load(Ordering::Relaxed) {
        // A child process (fork, or a vfork child such as musl's posix_spawn, whose stack is a
        // few KiB inside its parent's frame): a short line built without core::fmt, then die.
        let ok = sys::prepare_to_die();
        child_report(&t);
        sys::die(ok);
    }
    // The first violating thread reports; one that comes second parks.
    if REPORTER
        .compare_exchange(0, sys::gettid(), Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        park();
    }
    let mut line = Line {
        buf: [0; 1024],
        len: 0,
    };
    let ok = sys::prepare_to_die();
    let _ = write_report(&mut line, &t);
    sys::write_stderr(line.finish());
    sys::die(ok);
}

/// The process that installed the filters (the reporter's full line is for it; its children
/// get a short one).
pub(crate) static INSTALLED_BY: AtomicU32 = AtomicU32::new(0);

/// The thread that is reporting a violation (0: none). Only the process that installed the
/// filters sets it: a `vfork` child shares this memory.
static REPORTER: AtomicI32 = AtomicI32::new(0);

/// Waits, without a syscall, for the reporting thread to end the process.
fn park() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// One line for a violation in a child process, in a small buffer, without `core::fmt`.
fn child_report(t: &sys::Trapped) {
    let mut buf = [0u8; 160];
    let mut n = 0;
    let mut put = |b: &[u8]| {
        let k = b.len().min(buf.len() - 1 - n);
        buf[n..n + k].copy_from_slice(&b[..k]);
        n += k;
    };
    put(b"sandbox: a child process made a call its promises do not allow: ");
    let name = Arch::native()
        .and_then(|a| a.syscall_name(t.nr))
        .unwrap_or("syscall");
    put(name.as_bytes());
    put(b" (");
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut v = t.nr;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put(&digits[i..]);
    put(b")");
    let held = CURRENT.get().map_or(PromiseSet::EMPTY, |p| p.promises());
    let best = TABLE.and_then(|tb| tb.explain(held, t.nr, &t.args, sys::getpid()));
    if let Some(missing) = best.filter(|m| !m.is_empty()) {
        put(b" needs promise \"");
        for (k, p) in missing.iter().enumerate() {
            if k > 0 {
                put(b" ");
            }
            put(p.name().as_bytes());
        }
        put(b"\"");
    }
    put(b"; aborting");
    buf[n] = b'\n';
    sys::write_stderr(&buf[..=n]);
}

/// Files std opens only to probe, and copes with not opening: `available_parallelism` reads
/// the cgroup CPU quota, glibc's `sysconf` the online CPUs.
const STD_PROBES: &[&[u8]] = &[
    b"/proc/self/cgroup",
    b"/proc/self/mountinfo",
    b"/sys/devices/system/cpu/online",
];

/// Denied calls answered with an error instead of the report:
///
/// - while this thread is panicking, the read-only look-ups std's panic output makes (with
///   `RUST_BACKTRACE` it opens the executable and debug files and asks for the working
///   directory): a panic must end as a panic (exit 101 or the panic's abort), not as a sandbox
///   kill. The call still has no effect. Any other call of a panicking thread is reported.
/// - a read-only open of one of [`STD_PROBES`]: std falls back when it fails.
fn soft_denial(t: &sys::Trapped) -> Option<i32> {
    let arch = Arch::native()?;
    let name = arch.syscall_name(t.nr)?;
    let c = arch.consts();
    let read_only = |flags: u64| flags & (c.o_accmode | c.o_creat | c.o_trunc | c.o_tmpfile) == 0;
    let (path, flags) = match name {
        "openat" => (t.args[1], t.args[2]),
        "open" => (t.args[0], t.args[1]),
        // What std's panic output looks up (RUST_BACKTRACE: the executable and its debug files,
        // the working directory). Only these, read-only, while panicking: anything else a
        // panicking thread tries (a crate's panic hook or a destructor during unwinding) is
        // reported like any other call, so a panic is no way to probe the filter quietly.
        "getcwd" | "readlink" | "readlinkat" | "stat" | "lstat" | "newfstatat" | "statx"
        | "access" | "faccessat" | "faccessat2"
            if std::thread::panicking() =>
        {
            return Some(libc::EPERM);
        }
        _ => return None,
    };
    if !read_only(flags) || path < 4096 {
        return None;
    }
    if std::thread::panicking() {
        return Some(libc::EPERM);
    }
    let mut buf = [0u8; 64];
    let n = sys::read_user_string(path, &mut buf);
    STD_PROBES.contains(&&buf[..n]).then_some(libc::EACCES)
}

/// The path argument of the calls that name one, by its index.
fn path_arg(name: &str) -> Option<usize> {
    match name {
        "open" | "creat" | "stat" | "lstat" | "access" | "readlink" | "truncate" | "unlink"
        | "mkdir" | "rmdir" | "chdir" | "statfs" => Some(0),
        "openat" | "newfstatat" | "fstatat" | "statx" | "faccessat" | "faccessat2"
        | "readlinkat" | "unlinkat" | "mkdirat" | "mknodat" => Some(1),
        _ => None,
    }
}

/// The suggestions whose Landlock layer would let the call's path through: the path-precise
/// promises (tmppath, dns, getpw) reach only their own files, so a set made of them alone is
/// left out for any other absolute path. Relative paths keep every suggestion, and so does a
/// list that would end up empty.
fn fitting_the_path<'a>(
    all: &'a [PromiseSet],
    name: &str,
    args: &[u64; 6],
    out: &'a mut [PromiseSet; 8],
) -> &'a [PromiseSet] {
    use sandbox_policy::Promise;
    let Some(i) = path_arg(name) else {
        return all;
    };
    let mut buf = [0u8; 256];
    let n = sys::read_user_string(args[i], &mut buf);
    let path = &buf[..n];
    if n == 0 || n == buf.len() || !path.starts_with(b"/") || path.windows(2).any(|w| w == b"..") {
        return all;
    }
    let general = PromiseSet::of(Promise::Rpath)
        .with(Promise::Wpath)
        .with(Promise::Cpath);
    let fits = |set: PromiseSet| {
        set.is_empty()
            || set.minus(general) != set
            || (set.contains(Promise::Tmppath) && path.starts_with(b"/tmp/"))
            || (set.contains(Promise::Dns)
                && crate::landlock::DNS_FILES
                    .iter()
                    .any(|f| f.as_bytes() == path))
            || (set.contains(Promise::Getpw)
                && crate::landlock::GETPW_FILES
                    .iter()
                    .any(|f| f.as_bytes() == path))
    };
    let mut len = 0;
    for s in all.iter().copied().filter(|s| fits(*s)) {
        out[len] = s;
        len += 1;
    }
    if len == 0 { all } else { &out[..len] }
}

fn write_report(line: &mut Line, t: &sys::Trapped) -> core::fmt::Result {
    let arch = Arch::native();
    let name = arch
        .and_then(|a| a.syscall_name(t.nr))
        .unwrap_or("unknown syscall");
    let phase = CURRENT.get();
    if t.data != TRAP_DATA || t.code != 1 {
        // Not one of our traps (another filter, or a SIGSYS sent by kill): still never silent.
        write!(
            line,
            "sandbox: SIGSYS for {name} (syscall {}) not raised by a sandbox filter; aborting",
            t.nr
        )?;
        return Ok(());
    }
    let held = phase.map_or(PromiseSet::EMPTY, |p| p.promises());
    line.bytes(b"sandbox: ");
    match phase {
        Some(p) => {
            line.bytes(b"phase ");
            for (i, seg) in p.name.split("::").enumerate() {
                if i > 0 {
                    line.bytes(b"::");
                }
                line.bytes(seg.strip_prefix("r#").unwrap_or(seg).as_bytes());
            }
            write!(line, " ({}:{}) [promises \"", p.file, p.line)?;
        }
        None => line.bytes(b"no phase [promises \""),
    }
    line.promises(held);
    line.bytes(b"\"]: ");
    if let Some(arch) = arch {
        crate::decode::call(line, arch, name, &t.args)?;
    }
    let table = TABLE;
    let rule = table.and_then(|tb| tb.rule(t.nr));
    match (rule, table) {
        (Some(r), _) if matches!(r.class, Class::Never(_)) => {
            let Class::Never(why) = r.class else {
                unreachable!()
            };
            write!(line, " is not allowed by any promise: it {why}")?;
        }
        (Some(_), Some(tb)) => {
            let all = tb.explain_all(held, t.nr, &t.args, sys::getpid());
            let mut fitting = [PromiseSet::EMPTY; 8];
            let all = fitting_the_path(all.as_slice(), name, &t.args, &mut fitting);
            match all {
                [] => line.bytes(b" is not allowed by any promise with these arguments"),
                [first, ..] if first.is_empty() => {
                    line.bytes(b" was denied by an earlier phase's filter")
                }
                [_, ..] => {
                    // The sets that allow the call first; then those under which it is only
                    // answered with an error libc copes with (nscd's socket under dns and getpw),
                    // said so: for a name look-up they are what is missing, for a program's own
                    // socket they are not.
                    let pid = sys::getpid();
                    let allows = |set: PromiseSet| {
                        rule.is_some_and(|r| {
                            r.alts
                                .iter()
                                .any(|a| a.allows(held.union(set), &t.args, pid))
                        })
                    };
                    let mut n = 0;
                    for set in all.iter().copied().filter(|s| allows(*s)) {
                        line.bytes(match n {
                            0 => b" needs promise \"".as_slice(),
                            1 => b" (or \"",
                            _ => b", or \"",
                        });
                        line.promises(set);
                        line.bytes(b"\"");
                        n += 1;
                    }
                    let allowing = n;
                    for set in all.iter().copied().filter(|s| !allows(*s)) {
                        line.bytes(match (allowing, n - allowing) {
                            (0, 0) => b" is answered with an error under promise \"".as_slice(),
                            (1, 0) => b" (or, for libc's look-ups, which then fall back, \"",
                            (_, 0) => b", or, for libc's look-ups, which then fall back, \"",
                            _ => b", or \"",
                        });
                        line.promises(set);
                        line.bytes(b"\"");
                        n += 1;
                    }
                    if n > 1 {
                        line.bytes(b")");
                    }
                }
            }
        }
        _ => line.bytes(b" is not in the promise table"),
    }
    line.bytes(b"; aborting");
    Ok(())
}
