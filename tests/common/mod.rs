//! A harness for tests that install a sandbox.
//!
//! A sandbox is irreversible and process-wide, so the test binary (built with `harness = false`)
//! plays two roles. Run normally, it is the parent: for each scenario it starts itself again with
//! `--scenario NAME`, waits, and checks the child's exit status, signal and output. Run with
//! `--scenario NAME`, it is the child: it runs that scenario's body, which installs the sandbox,
//! and nothing else. The parent never installs anything.
//!
//! The parent prints one line per scenario and a closing `N passed, N failed` line; extra
//! command-line words filter scenarios by substring, as libtest does.

#![allow(dead_code)] // each test binary uses a subset

use std::os::unix::process::ExitStatusExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, ExitStatus, Output};

/// One scenario: a child body and the parent's checks on what the child did.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) child: fn(),
    pub(crate) check: fn(&Run),
}

/// What a child did.
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn exited(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "expected exit {code}, got {}\n{}",
            describe(self.status),
            self.dump()
        );
        self
    }
    pub(crate) fn signalled(&self, sig: i32) -> &Self {
        assert_eq!(
            self.status.signal(),
            Some(sig),
            "expected signal {sig}, got {}\n{}",
            describe(self.status),
            self.dump()
        );
        self
    }
    pub(crate) fn stdout_has(&self, s: &str) -> &Self {
        assert!(
            self.stdout.contains(s),
            "stdout lacks {s:?}\n{}",
            self.dump()
        );
        self
    }
    pub(crate) fn stdout_lacks(&self, s: &str) -> &Self {
        assert!(
            !self.stdout.contains(s),
            "stdout has {s:?}\n{}",
            self.dump()
        );
        self
    }
    pub(crate) fn stderr_has(&self, s: &str) -> &Self {
        assert!(
            self.stderr.contains(s),
            "stderr lacks {s:?}\n{}",
            self.dump()
        );
        self
    }
    pub(crate) fn stderr_lacks(&self, s: &str) -> &Self {
        assert!(
            !self.stderr.contains(s),
            "stderr has {s:?}\n{}",
            self.dump()
        );
        self
    }
    /// The single line the reporter printed.
    pub(crate) fn report(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("sandbox: "))
            .collect();
        assert_eq!(lines.len(), 1, "expected one report line\n{}", self.dump());
        lines[0]
    }
    pub(crate) fn dump(&self) -> String {
        format!(
            "--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
            describe(self.status),
            self.stdout,
            self.stderr
        )
    }
}

fn describe(s: ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(sig)) => format!("signal {sig}"),
        _ => format!("{s:?}"),
    }
}

pub(crate) const SIGABRT: i32 = 6;
pub(crate) const SIGSYS: i32 = 31;

/// Runs scenario `name` in a fresh child process.
pub(crate) fn spawn(name: &str, env: &[(&str, &str)]) -> Run {
    let exe = std::env::current_exe().expect("test binary path");
    let out: Output = Command::new(exe)
        .args(["--scenario", name])
        .envs(env.iter().copied())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("spawn child");
    Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The test binary's main.
pub(crate) fn main(scenarios: &[Scenario]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        let name = &args[i + 1];
        let s = scenarios
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no scenario {name}"));
        (s.child)();
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let chosen: Vec<&Scenario> = scenarios
        .iter()
        .filter(|s| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        s.name == f.as_str()
                    } else {
                        s.name.contains(f.as_str())
                    }
                })
        })
        .collect();
    if args.iter().any(|a| a == "--list") {
        for s in &chosen {
            println!("{}: test", s.name);
        }
        return;
    }
    println!("\nrunning {} scenarios in child processes", chosen.len());
    let (mut passed, mut failed) = (0, Vec::new());
    for s in chosen {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let run = spawn(s.name, &[]);
            (s.check)(&run);
        }));
        match result {
            Ok(()) => {
                println!("scenario {} ... ok", s.name);
                passed += 1;
            }
            Err(_) => {
                println!("scenario {} ... FAILED", s.name);
                failed.push(s.name);
            }
        }
    }
    println!("\n{passed} passed, {} failed", failed.len());
    if !failed.is_empty() {
        println!("failed: {}", failed.join(", "));
        std::process::exit(1);
    }
}

// ---- helpers for scenario bodies and checks --------------------------------------------------

/// Prints `what: value` and flushes, for the parent to read (`value`).
pub(crate) fn say(what: &str, value: impl std::fmt::Display) {
    use std::io::Write;
    println!("{what}: {value}");
    std::io::stdout().flush().unwrap();
}

/// The value of the child's `key: value` line.
pub(crate) fn value<'a>(r: &'a Run, key: &str) -> &'a str {
    let prefix = format!("{key}: ");
    r.stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no line {key:?}\n{}", r.dump()))
}

/// No core files from the processes that die by SIGABRT (the core pattern may write them to
/// the working directory).
pub(crate) fn no_core_dumps() {
    let lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const lim) };
}

pub(crate) fn is_root() -> bool {
    // SAFETY: no arguments.
    unsafe { libc::geteuid() == 0 }
}
