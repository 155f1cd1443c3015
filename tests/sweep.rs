//! The exhaustive sweep: every syscall number of the native table, numbers past its end, x32
//! numbers and numbers with junk in the high half of the register, each called for real in a
//! child process under a policy, and each outcome compared with the table's verdict
//! (`Table::decide`) and with the same call made without any sandbox (the baseline child).
//!
//! - `pledge("stdio error")`, `pledge("error")` and every promise with `error`: denied calls
//!   return EPERM, so one child makes every call and survives. A call the table denies must
//!   return exactly EPERM; one the table forces to ENOSYS (clone3, openat2, x32, unknown numbers)
//!   exactly ENOSYS; one the table allows must behave as in the baseline (same success or same
//!   errno), which proves the kernel ran it.
//! - `pledge("stdio")` with the default penalty: every call the table denies, one child each, must
//!   die by SIGABRT with one report line naming the call; ENOSYS numbers must not kill.
//!
//! Arguments. The calls run as whatever user runs the tests (root in CI), without a sandbox in
//! the baseline, so the arguments must be harmless for every call even when it runs:
//! - `ones`: all six arguments `-1`. Every fd is invalid, every pointer faults, every size and
//!   count is out of range, every flag word has unknown bits (checked one by one against the
//!   kernel's syscall bodies: kill(-1, -1) is EINVAL before any process is signalled,
//!   reboot(-1) fails its magic check, personality(0xffffffff) only queries, setresuid(-1, ...)
//!   changes nothing, ...).
//! - `junk-args`: `0xdeadbeef_ffffffff`: the same low halves, junk high halves, so a filter that
//!   compares an `int` on 64 bits would give a different verdict than the table.
//! - `junk-nr`: the syscall number with junk in the high half of `rax`; the kernel (and seccomp)
//!   use the low 32 bits.
//! - `x32`: the number with bit 30 set.
//! - `conds` / `conds-junk`: for every alternative of every rule, arguments that satisfy its
//!   conditions (the rest `-1`), `int`s with a zero / junk high half: a call the policy allows
//!   with these flags must run, one it denies must not. Alternatives that name the caller's
//!   pid (kill/tgkill/rt_sigqueueinfo of self) are skipped: with SIGABRT they would end the child.
//!
//! Calls that would end or hang the child if they ran are skipped where the table allows them
//! (and always in the baseline), each with its reason in `dangerous`. The children detach from
//! the terminal (setsid, so vhangup hangs up nothing) and, when they can, enter private IPC
//! and UTS namespaces (so msgget creates nothing outside); fork, vfork, clone and clone3 are
//! made through an instruction sequence whose child exits at once without touching memory.

mod common;

#[cfg(target_arch = "x86_64")]
fn main() {
    imp::main();
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("sweep: x86_64 only, skipped");
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use sandbox_policy::bpf::{SeccompData, ret};
    use sandbox_policy::rule::PRETEND;
    use sandbox_policy::{Alt, Arch, Penalty, Policy, PromiseSet, Table, Test, Width};

    use crate::common::{self, Run, SIGABRT, Scenario};

    const X32: u32 = 0x4000_0000;
    const ONES: u64 = u64::MAX;
    const JUNK_ARGS: u64 = 0xdead_beef_ffff_ffff;
    const JUNK_NR: u64 = 0xdead_beef_0000_0000;
    /// Recorded for a call the child did not make.
    const SKIPPED: i64 = i64::MIN;
    const EPERM: i64 = 1;
    const ENOSYS: i64 = 38;

    /// One call of the sweep: the full `rax`, the six argument registers, which variant.
    #[derive(Clone, Copy, Debug)]
    struct Call {
        rax: u64,
        args: [u64; 6],
        variant: &'static str,
    }

    impl Call {
        /// The number seccomp and the kernel see.
        fn nr(&self) -> u32 {
            (self.rax & 0xffff_ffff) as u32
        }
        fn data(&self) -> SeccompData {
            SeccompData {
                nr: self.nr(),
                arch: Arch::X86_64.audit_arch(),
                instruction_pointer: 0,
                args: self.args,
            }
        }
        fn name(&self) -> String {
            let nr = self.nr();
            let base = Arch::X86_64.syscall_name(nr & !X32).unwrap_or("(none)");
            if nr & X32 != 0 {
                format!("x32 {:#x} [{base}]", nr)
            } else {
                format!("{base} ({nr})")
            }
        }
    }

    /// Arguments meeting every condition of `alt`; `None` when it names the caller's pid.
    fn satisfying(alt: &Alt, high: u64) -> Option<[u64; 6]> {
        if alt.conds.is_empty() {
            return None; // the `ones` variant covers it
        }
        let mut args = [ONES; 6];
        let mut int = [false; 6];
        for c in alt.conds.iter() {
            let i = usize::from(c.arg);
            match (&c.test, c.width) {
                (Test::SelfPid, _) => return None,
                (Test::In(values), Width::Int) => {
                    args[i] = ((args[i] & 0xffff_ffff) & !c.mask) | values[0];
                    int[i] = true;
                }
                (Test::In(values), Width::Long) => args[i] = (args[i] & !c.mask) | values[0],
                (Test::NotIn(values), width) => {
                    let cur = c.operand(&args);
                    if values.contains(&cur) {
                        let free = (0u64..).find(|v| !values.contains(v)).unwrap_or(0);
                        args[i] = (args[i] & !c.mask) | free;
                    }
                    int[i] |= width == Width::Int;
                }
            }
        }
        for i in 0..6 {
            if int[i] {
                args[i] = (args[i] & 0xffff_ffff) | high;
            }
        }
        alt.conds.iter().all(|c| c.holds(&args, 0)).then_some(args)
    }

    /// The sweep's calls, in the order the child makes them (parent and child build the same list).
    fn calls(table: &Table) -> Vec<Call> {
        let max = table.max_nr();
        // The table, a stretch past its end, and the x32-only numbers without the x32 bit.
        let native: Vec<u32> = (0..=max + 64).chain((max + 65).max(512)..=547).collect();
        let mut v = Vec::new();
        let one = |rax: u64, args, variant| Call { rax, args, variant };
        for &nr in &native {
            v.push(one(u64::from(nr), [ONES; 6], "ones"));
        }
        for nr in [1000u64, 0x3fff_ffff, 0x7fff_ffff, 0xffff_ffff] {
            v.push(one(nr, [ONES; 6], "ones"));
        }
        for &nr in &native {
            v.push(one(u64::from(nr | X32), [ONES; 6], "x32"));
        }
        for nr in 0..=max {
            v.push(one(u64::from(nr), [JUNK_ARGS; 6], "junk-args"));
        }
        for nr in 0..=max {
            v.push(one(JUNK_NR | u64::from(nr), [ONES; 6], "junk-nr"));
        }
        for (variant, high) in [("conds", 0u64), ("conds-junk", 0xffff_ffff_0000_0000)] {
            for rule in table.rules.iter() {
                for alt in rule.alts.iter().chain(rule.pretend.iter()) {
                    if let Some(args) = satisfying(alt, high) {
                        v.push(one(u64::from(rule.nr), args, variant));
                    }
                }
            }
        }
        v
    }

    /// Why a call must not run (the child would end or hang), or `None`.
    fn dangerous(nr: u32, isolated: bool, detached: bool) -> Option<&'static str> {
        let name = Arch::X86_64.syscall_name(nr & !X32)?;
        Some(match name {
            "exit" | "exit_group" => "ends the child",
            "rt_sigreturn" => "returns through a garbage signal frame (SIGSEGV)",
            "pause" => "waits for a signal forever",
            // The kernel runs these two without consulting seccomp (its uprobe passthrough,
            // checked: under pledge("error") uretprobe still raised SIGILL), so the table's
            // "never" cannot hold for them; outside a probe trampoline they only raise SIGILL.
            "uprobe" | "uretprobe" => {
                "seccomp never sees it; raises SIGILL outside a probe trampoline"
            }
            "msgget" if !isolated => {
                "msgget(-1, -1) creates a queue outside a private IPC namespace"
            }
            "vhangup" if !detached => "would hang up the test's terminal",
            _ => return None,
        })
    }

    /// Makes one raw syscall; returns the kernel's value (`-errno` on failure). For the calls that
    /// may create a process or thread, the new child exits at once, touching neither stack nor memory.
    ///
    /// # Safety
    ///
    /// The call runs for real: the caller chooses harmless arguments.
    unsafe fn raw(rax: u64, a: &[u64; 6]) -> i64 {
        let ret: i64;
        let low = (rax as u32) & !X32;
        if matches!(low, 56..=58 | 435) {
            // SAFETY: as the caller promised; the child branch only makes exit(0).
            unsafe {
                core::arch::asm!(
                    "syscall",
                    "test rax, rax",
                    "jnz 2f",
                    "mov eax, 60",
                    "xor edi, edi",
                    "syscall",
                    "2:",
                    inlateout("rax") rax as i64 => ret,
                    inlateout("rdi") a[0] => _,
                    in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4], in("r9") a[5],
                    lateout("rcx") _, lateout("r11") _,
                    options(nostack),
                );
            }
        } else {
            // SAFETY: as the caller promised.
            unsafe {
                core::arch::asm!(
                    "syscall",
                    inlateout("rax") rax as i64 => ret,
                    in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4],
                    in("r9") a[5],
                    lateout("rcx") _, lateout("r11") _,
                    options(nostack),
                );
            }
        }
        ret
    }

    fn write_fd(fd: i32, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // SAFETY: the pointer and length describe `bytes`.
            let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
            match usize::try_from(n) {
                Ok(n) if n > 0 => bytes = &bytes[n..],
                _ => return,
            }
        }
    }

    /// Detaches from the terminal and, when allowed, enters private IPC and UTS namespaces.
    fn isolate() -> (bool, bool) {
        // SAFETY: plain calls with integer arguments, before any thread exists.
        unsafe {
            let detached = libc::setsid() >= 0;
            let isolated = libc::unshare(libc::CLONE_NEWIPC | libc::CLONE_NEWUTS) == 0;
            (isolated, detached)
        }
    }

    /// The sweep child: `promises` `None` is the baseline. Writes `PID n` and `R index result`
    /// lines to stderr (fd 2 stays writable under every policy) and exits 0.
    fn sweep_child(promises: Option<&str>) {
        let table = sandbox_policy::table(Arch::X86_64);
        let list = calls(&table);
        let (isolated, detached) = isolate();
        let pid = std::process::id();
        let policy = promises.map(|p| Policy::new(PromiseSet::parse(p).unwrap(), Penalty::Report));
        // Nothing below allocates once the sandbox is in: under pledge("error") brk and mmap fail.
        let mut results: Vec<i64> = Vec::with_capacity(list.len());
        let mut out = String::with_capacity(48 * list.len() + 4096);
        if let Some(p) = promises {
            sandbox::pledge(p).expect("pledge");
        }
        for call in &list {
            let skip = match dangerous(call.nr(), isolated, detached) {
                None => false,
                Some(_) => match &policy {
                    None => true,
                    // Made only where the table denies it: the filter must stop it.
                    Some(pol) => {
                        let v = table.decide(pol, &call.data(), pid);
                        v == ret::ALLOW
                            || v == PRETEND
                            || matches!(
                                Arch::X86_64.syscall_name(call.nr() & !X32),
                                Some("uprobe" | "uretprobe")
                            )
                    }
                },
            };
            let r = if skip {
                SKIPPED
            } else {
                // SAFETY: the arguments are harmless for every syscall (see the module docs),
                // and the calls that would end or hang the child are skipped above.
                unsafe { raw(call.rax, &call.args) }
            };
            results.push(r);
        }
        let _ = writeln!(out, "PID {pid}");
        for (i, r) in results.iter().enumerate() {
            let _ = writeln!(out, "R {i} {r}");
        }
        write_fd(2, out.as_bytes());
        // SAFETY: ends the process without running anything else.
        unsafe { libc::_exit(0) }
    }

    /// The outcomes a sweep child printed: its pid and one result per call.
    fn parse(run: &Run, n: usize) -> (u32, Vec<i64>) {
        let mut pid = 0;
        let mut res = vec![SKIPPED; n];
        let mut seen = 0;
        for line in run.stderr.lines() {
            let mut w = line.split_whitespace();
            match w.next() {
                Some("PID") => pid = w.next().unwrap().parse().unwrap(),
                Some("R") => {
                    let i: usize = w.next().unwrap().parse().unwrap();
                    res[i] = w.next().unwrap().parse().unwrap();
                    seen += 1;
                }
                _ => {}
            }
        }
        assert_eq!(
            seen,
            n,
            "the child printed {seen} of {n} results\n{}",
            run.dump()
        );
        (pid, res)
    }

    /// Starts this binary as a sweep child and waits at most `timeout`, then kills it.
    fn run_child(words: &[&str], timeout: Duration) -> Run {
        let exe = std::env::current_exe().expect("test binary path");
        let mut child = Command::new(exe)
            .arg("--sweep-child")
            .args(words)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn child");
        let mut so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let t1 = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = so.read_to_end(&mut s);
            s
        });
        let t2 = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = se.read_to_end(&mut s);
            s
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let stdout = String::from_utf8_lossy(&t1.join().unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&t2.join().unwrap()).into_owned();
        Run {
            status,
            stdout,
            stderr,
        }
    }

    fn table() -> &'static Table {
        static T: OnceLock<Table> = OnceLock::new();
        T.get_or_init(|| sandbox_policy::table(Arch::X86_64))
    }

    fn baseline() -> &'static Vec<i64> {
        static B: OnceLock<Vec<i64>> = OnceLock::new();
        B.get_or_init(|| {
            let n = calls(table()).len();
            let run = run_child(&["sweep", "-"], Duration::from_secs(120));
            run.exited(0);
            parse(&run, n).1
        })
    }

    fn show(r: i64) -> String {
        match r {
            SKIPPED => "skipped".into(),
            r if (-4095..0).contains(&r) => {
                format!("-{}", std::io::Error::from_raw_os_error(-r as i32))
            }
            r => format!("{r}"),
        }
    }

    /// Runs the sweep under `promises` and compares every outcome with the table and the baseline.
    fn compare(promises: &str) {
        let table = table();
        let list = calls(table);
        let base = baseline();
        let run = run_child(&["sweep", promises], Duration::from_secs(120));
        run.exited(0);
        let (pid, got) = parse(&run, list.len());
        let policy = Policy::new(PromiseSet::parse(promises).unwrap(), Penalty::Report);
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        let mut bad = Vec::new();
        for (i, call) in list.iter().enumerate() {
            let verdict = table.decide(&policy, &call.data(), pid);
            let (g, b) = (got[i], base[i]);
            let mut fail = |why: &str| {
                bad.push(format!(
                    "{} [{}] args {:x?}: {why}; got {}, baseline {}",
                    call.name(),
                    call.variant,
                    call.args,
                    show(g),
                    show(b)
                ));
            };
            if g == SKIPPED {
                *count.entry("skipped").or_default() += 1;
                continue;
            }
            if verdict == ret::ALLOW {
                *count.entry("allowed").or_default() += 1;
                if b == SKIPPED {
                    continue;
                }
                let class = |r: i64| if (-4095..0).contains(&r) { r } else { 0 };
                if class(g) != class(b) {
                    fail("the table allows it, but it did not behave as without a sandbox");
                }
            } else if verdict == PRETEND {
                *count.entry("pretended").or_default() += 1;
                if g != 0 {
                    fail("the table answers success without running it");
                }
            } else if verdict == PRETEND | sandbox_policy::rule::EAFNOSUPPORT {
                *count.entry("answered EAFNOSUPPORT").or_default() += 1;
                if g != -i64::from(sandbox_policy::rule::EAFNOSUPPORT) {
                    fail("the table answers EAFNOSUPPORT without running it");
                }
            } else if verdict == ret::ERRNO | EPERM as u32 {
                *count.entry("denied (EPERM)").or_default() += 1;
                if b == -EPERM {
                    *count
                        .entry("  of which the baseline too fails with EPERM")
                        .or_default() += 1;
                }
                if g != -EPERM {
                    fail("the table denies it (EPERM)");
                }
            } else if verdict == ret::ERRNO | ENOSYS as u32 {
                *count.entry("ENOSYS").or_default() += 1;
                if b == -ENOSYS {
                    *count
                        .entry("  of which the baseline too fails with ENOSYS")
                        .or_default() += 1;
                }
                if g != -ENOSYS {
                    fail("the table answers ENOSYS");
                }
            } else {
                fail(&format!("unexpected verdict {verdict:#x}"));
            }
        }
        println!(
            "  pledge({promises:?}): {} calls: {}",
            list.len(),
            count
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for line in bad.iter().take(60) {
            println!("  MISMATCH {line}");
        }
        assert!(
            bad.is_empty(),
            "{} calls disagree with the table",
            bad.len()
        );
    }

    // ---- the report penalty: one child per denied call -----------------------------------------

    /// A page of 0xff bytes with a NUL at byte 64, mapped read-only: every pointer argument is
    /// readable (the reporter decodes paths and addresses), the leading struct fields are -1
    /// (invalid), nothing can be written through it. The path it makes is 64 bytes long: the
    /// reporter's line has room for two of them (see escape.rs for longer paths).
    fn ff_page() -> u64 {
        // SAFETY: a fresh anonymous mapping, filled, then made read-only.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            std::ptr::write_bytes(p.cast::<u8>(), 0xff, 64);
            libc::mprotect(p, 4096, libc::PROT_READ);
            p as u64
        }
    }

    /// Child: under `pledge("stdio")`, make syscall `nr` with every argument pointing at the 0xff
    /// page, if the table denies it with these arguments.
    fn report_one(nr: u32) {
        let table = table();
        let p = ff_page();
        let call = Call {
            rax: u64::from(nr),
            args: [p; 6],
            variant: "ff-page",
        };
        let policy = Policy::new(PromiseSet::parse("stdio").unwrap(), Penalty::Report);
        let verdict = table.decide(&policy, &call.data(), std::process::id());
        let unfiltered = matches!(Arch::X86_64.syscall_name(nr), Some("uprobe" | "uretprobe"));
        if verdict != Penalty::Report.action() || unfiltered {
            println!("not denied: {verdict:#x}");
            return;
        }
        sandbox::pledge("stdio").unwrap();
        println!("calling {}", call.name());
        use std::io::Write;
        std::io::stdout().flush().unwrap();
        // SAFETY: the 0xff page makes every argument invalid; the filter should stop it anyway.
        let r = unsafe { raw(call.rax, &call.args) };
        println!("returned {}", show(r));
    }

    fn report_each_denied_call() {
        let table = table();
        let nrs: Vec<u32> = table.rules.iter().map(|r| r.nr).collect();
        let next = AtomicUsize::new(0);
        let bad = std::sync::Mutex::new(Vec::new());
        let called = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(&nr) = nrs.get(i) else { break };
                        let name = Arch::X86_64.syscall_name(nr).unwrap();
                        let run =
                            run_child(&["report-one", &nr.to_string()], Duration::from_secs(30));
                        if run.stdout.contains("not denied") {
                            continue;
                        }
                        called.fetch_add(1, Ordering::SeqCst);
                        let lines: Vec<&str> = run
                            .stderr
                            .lines()
                            .filter(|l| l.starts_with("sandbox: "))
                            .collect();
                        let ok = run.status.code().is_none()
                            && std::os::unix::process::ExitStatusExt::signal(&run.status)
                                == Some(SIGABRT)
                            && !run.stdout.contains("returned")
                            && lines.len() == 1
                            && lines[0].contains(&format!("{name}("))
                            && lines[0].contains("sandbox::pledge(\"stdio\")")
                            && (lines[0].contains("needs promise")
                                || lines[0].contains("is not allowed by any promise"));
                        if !ok {
                            bad.lock()
                                .unwrap()
                                .push(format!("{name} ({nr}):\n{}", run.dump()));
                        }
                    }
                });
            }
        });
        let bad = bad.into_inner().unwrap();
        println!(
            "  {} calls denied under pledge(\"stdio\") were each made in a child",
            called.load(Ordering::SeqCst)
        );
        for b in bad.iter().take(10) {
            println!("  MISMATCH {b}");
        }
        assert!(
            bad.is_empty(),
            "{} denied calls were not reported",
            bad.len()
        );
    }

    /// Child: ENOSYS numbers under a non-error penalty: answered ENOSYS, the child survives.
    fn enosys_child(penalty: Penalty) {
        let table = table();
        let p = ff_page();
        let list: Vec<Call> = calls(table)
            .into_iter()
            .map(|c| Call { args: [p; 6], ..c })
            .filter(|c| {
                let pol = Policy::new(PromiseSet::parse("stdio").unwrap(), penalty);
                table.decide(&pol, &c.data(), 0) == ret::ERRNO | ENOSYS as u32
            })
            .collect();
        sandbox::pledge_with("stdio", penalty).unwrap();
        let mut wrong = 0;
        for c in &list {
            // SAFETY: the table answers ENOSYS for all of them; the arguments are invalid anyway.
            let r = unsafe { raw(c.rax, &c.args) };
            if r != -ENOSYS {
                println!("{} [{}]: {}", c.name(), c.variant, show(r));
                wrong += 1;
            }
        }
        println!("{} ENOSYS calls, {wrong} wrong", list.len());
    }

    // ---- the harness -----------------------------------------------------------------------------

    pub(crate) fn main() {
        let args: Vec<String> = std::env::args().collect();
        if args.get(1).map(String::as_str) == Some("--sweep-child") {
            match (args[2].as_str(), args.get(3).map(String::as_str)) {
                ("sweep", Some("-")) => sweep_child(None),
                ("sweep", Some(p)) => sweep_child(Some(p)),
                ("report-one", Some(nr)) => report_one(nr.parse().unwrap()),
                ("enosys", Some("report")) => enosys_child(Penalty::Report),
                ("enosys", Some("kill")) => enosys_child(Penalty::Kill),
                other => panic!("unknown sweep child {other:?}"),
            }
            return;
        }
        // The scenarios' own children do nothing: each check starts its sweep children itself,
        // with a time limit.
        let all = PromiseSet::all().to_pledge_string();
        let all: &'static str = Box::leak(all.into_boxed_str());
        let _ = ALL.set(all);
        common::main(&[
            Scenario {
                name: "baseline_runs_every_call_unsandboxed",
                child: || {},
                check: |_| {
                    let n = baseline().iter().filter(|&&r| r != SKIPPED).count();
                    println!("  baseline: {n} calls made");
                },
            },
            Scenario {
                name: "sweep_stdio_error",
                child: || {},
                check: |_| compare("stdio error"),
            },
            Scenario {
                name: "sweep_empty_error",
                child: || {},
                check: |_| compare("error"),
            },
            Scenario {
                name: "sweep_every_promise",
                child: || {},
                check: |_| compare(ALL.get().unwrap()),
            },
            Scenario {
                name: "sweep_stdio_report_each_denied_call",
                child: || {},
                check: |_| report_each_denied_call(),
            },
            Scenario {
                name: "sweep_enosys_under_report_and_kill",
                child: || {},
                check: |_| {
                    for penalty in ["report", "kill"] {
                        let run = run_child(&["enosys", penalty], Duration::from_secs(60));
                        run.exited(0).stdout_has(" wrong");
                        assert!(
                            run.stdout.contains(", 0 wrong"),
                            "penalty {penalty}:\n{}",
                            run.dump()
                        );
                        println!("  {penalty}: {}", run.stdout.lines().last().unwrap_or(""));
                    }
                },
            },
        ]);
    }

    static ALL: OnceLock<&'static str> = OnceLock::new();
}
