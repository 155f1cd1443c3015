//! `#[pledge]` end to end. Every scenario runs in a fresh child process (see `common`); the
//! parent checks exit status, signal and output, and for denied calls that the effect did not
//! happen.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;

use common::{Run, SIGABRT, SIGSYS, Scenario};

/// A path both the parent and its child can name: unique per test run and scenario.
fn scratch(name: &str, parent: u32) -> PathBuf {
    std::env::temp_dir().join(format!("sandbox-test-{name}-{parent}"))
}
fn child_scratch(name: &str) -> PathBuf {
    scratch(name, std::os::unix::process::parent_id())
}
fn parent_scratch(name: &str) -> PathBuf {
    scratch(name, std::process::id())
}

#[sandbox::pledge("stdio")]
fn stdio() {}

#[sandbox::pledge("stdio", "rpath")]
fn stdio_rpath() {}

#[sandbox::pledge("stdio rpath inet")]
fn start_up() {}

#[sandbox::pledge("stdio error")]
fn stdio_error() {}

#[sandbox::pledge("stdio", penalty = "kill")]
fn stdio_kill() {}

#[sandbox::pledge("")]
fn nothing() {}

#[sandbox::pledge("stdio proc")]
fn stdio_proc() {}

#[sandbox::pledge("stdio rpath wpath")]
fn no_cpath() {}

#[sandbox::pledge("stdio rpath wpath cpath proc exec prot_exec")]
fn spawner() {}

// ---- scenarios ------------------------------------------------------------------------------

fn println_under_stdio() {
    stdio();
    println!("hello from stdio");
}

fn open_denied_under_stdio() {
    stdio();
    let f = std::fs::File::open("/etc/hostname");
    println!("opened: {}", f.is_ok());
}

fn open_allowed_with_rpath() {
    stdio_rpath();
    let text = std::fs::read_to_string("/proc/self/status").unwrap();
    println!("read {} bytes", text.len());
    assert!(std::fs::File::create(child_scratch("rpath-create")).is_err());
}

fn create_denied_without_cpath() {
    no_cpath();
    let f = std::fs::File::create(child_scratch("create"));
    println!("created: {}", f.is_ok());
}

fn error_promise_returns_eperm() {
    stdio_error();
    let err = std::fs::File::open("/etc/hostname").unwrap_err();
    println!("open failed: {:?}", err.raw_os_error());
    let err = std::net::TcpListener::bind("127.0.0.1:0").unwrap_err();
    println!("bind failed: {:?}", err.raw_os_error());
    println!("still running");
}

fn threads_under_stdio() {
    stdio();
    let h = std::thread::spawn(|| 21 * 2);
    let v = h.join().unwrap();
    let total: i32 = std::thread::scope(|s| {
        let a = s.spawn(|| 1);
        let b = s.spawn(|| 2);
        a.join().unwrap() + b.join().unwrap()
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(7).unwrap());
    println!("joined {v} {total} {}", rx.recv().unwrap());
}

fn thread_started_before_the_phase_is_restricted() {
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let old = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        let f = std::fs::File::open("/etc/hostname");
        println!("old thread opened: {}", f.is_ok());
    });
    stdio();
    go_tx.send(()).unwrap();
    old.join().unwrap();
    println!("not reached");
}

fn staged_drop() {
    start_up();
    let mut f = std::fs::File::open("/proc/self/stat").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!(
        "start-up done, listening on {}",
        listener.local_addr().unwrap().port()
    );
    stdio();
    // What was opened before the drop still works.
    let mut buf = [0u8; 16];
    let n = f.read(&mut buf).unwrap();
    listener.set_nonblocking(true).unwrap();
    println!("read {n} bytes from an earlier file; nonblocking set");
    std::io::stdout().flush().unwrap();
    let g = std::fs::File::open("/proc/self/stat");
    println!("opened after drop: {}", g.is_ok());
}

fn widening_is_refused() {
    stdio();
    println!("in stdio");
    std::io::stdout().flush().unwrap();
    stdio_rpath();
    println!("widened: not reached");
}

fn million_reentries() {
    for _ in 0..1_000_000 {
        stdio();
    }
    println!("promises now: {}", sandbox::current().unwrap());
}

fn kill_mode() {
    stdio_kill();
    let f = std::fs::File::open("/etc/hostname");
    println!("opened: {}", f.is_ok());
}

fn empty_pledge_then_return() {
    nothing();
}

fn panic_under_stdio() {
    stdio();
    panic!("boom under stdio");
}

fn available_parallelism_without_rpath() {
    stdio();
    let n = std::thread::available_parallelism().map(|n| n.get());
    println!("parallelism: {}", n.is_ok());
}

fn panic_with_backtrace_under_stdio() {
    // SAFETY: the process has one thread; nothing reads the environment concurrently.
    unsafe { std::env::set_var("RUST_BACKTRACE", "1") };
    stdio();
    panic!("boom with a backtrace");
}

fn runtime_api() {
    let err = sandbox::pledge("stdio rpth").unwrap_err();
    println!("parse error: {err}");
    let enforced = sandbox::pledge("stdio rpath").unwrap();
    println!(
        "installed: {} filters: {}",
        enforced.installed, enforced.filters
    );
    let again = sandbox::pledge("stdio rpath").unwrap();
    println!("again installed: {}", again.installed);
    let wider = sandbox::pledge("stdio rpath inet").unwrap_err();
    println!("widening: {wider}");
    println!("read: {}", std::fs::read("/proc/self/stat").is_ok());
    std::io::stdout().flush().unwrap();
    sandbox::pledge("stdio").unwrap();
    let _ = std::fs::read("/proc/self/stat");
}

fn kill_self_and_others() {
    stdio();
    // SAFETY: plain libc calls with integer arguments; the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGUSR1, on_usr1 as *const () as usize);
        assert_eq!(libc::kill(libc::getpid(), libc::SIGUSR1), 0);
        assert_eq!(libc::raise(libc::SIGUSR1), 0);
    }
    println!(
        "self-signals delivered: {}",
        USR1.load(std::sync::atomic::Ordering::SeqCst)
    );
    std::io::stdout().flush().unwrap();
    // SAFETY: kill with integer arguments; signal 0 only probes.
    let r = unsafe { libc::kill(1, 0) };
    println!("kill(1) returned {r}");
}

static USR1: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
extern "C" fn on_usr1(_: libc::c_int) {
    USR1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

fn forked_child_keeps_working() {
    stdio_proc();
    // SAFETY: fork in a single-threaded child process; the child only makes async-signal-safe
    // calls (kill, raise via tgkill, _exit).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above.
        unsafe {
            libc::signal(libc::SIGUSR1, on_usr1 as *const () as usize);
            libc::raise(libc::SIGUSR1);
            libc::_exit(if USR1.load(std::sync::atomic::Ordering::SeqCst) == 1 {
                42
            } else {
                1
            });
        }
    }
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid out pointer.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    println!("child exit {}", libc::WEXITSTATUS(status));
}

extern "C" fn dodge(_: libc::c_int) {}

fn violation_in_a_forked_child() {
    stdio_proc();
    // SAFETY: fork in a single-threaded process; the child only opens a file (which the sandbox
    // denies) and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let f = std::fs::File::open("/etc/hostname");
        // SAFETY: _exit in the child.
        unsafe { libc::_exit(if f.is_ok() { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid out pointer.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    println!(
        "child signalled: {}",
        if libc::WIFSIGNALED(status) {
            libc::WTERMSIG(status)
        } else {
            -1
        }
    );
}

fn sigsys_handler_cannot_be_replaced() {
    stdio();
    // SAFETY: changing signal dispositions; the filter answers success without running them.
    unsafe {
        libc::signal(libc::SIGSYS, libc::SIG_IGN);
        libc::signal(libc::SIGSYS, dodge as *const () as usize);
    }
    println!("replacement answered");
    std::io::stdout().flush().unwrap();
    let f = std::fs::File::open("/etc/hostname");
    println!("opened: {}", f.is_ok());
}

fn sigsys_blocked_still_dies() {
    stdio();
    // SAFETY: blocking a signal with a valid set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, libc::SIGSYS);
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut());
    }
    let f = std::fs::File::open("/etc/hostname");
    println!("opened: {}", f.is_ok());
}

fn exec_promises_narrow() {
    use sandbox::CommandExt;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;
    spawner();
    let out = Command::new("/usr/bin/cat")
        .arg("/proc/self/comm")
        .pledge_exec("stdio rpath prot_exec")
        .unwrap()
        .output()
        .unwrap();
    println!(
        "cat under execpromises: {} {:?}",
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    let narrowed = child_scratch("exec-narrowed");
    let st = Command::new("/usr/bin/tee")
        .arg(&narrowed)
        .stdin(std::process::Stdio::null())
        .pledge_exec("stdio rpath prot_exec")
        .unwrap()
        .status()
        .unwrap();
    println!(
        "tee under execpromises: code {:?} signal {:?}",
        st.code(),
        st.signal()
    );
    let plain = child_scratch("exec-plain");
    let st = Command::new("/usr/bin/tee")
        .arg(&plain)
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    println!("tee under the parent's promises: {}", st.success());
    let err = Command::new("/usr/bin/true")
        .pledge_exec("stdio inet")
        .err()
        .unwrap();
    println!("wider execpromises: {err}");
}

// ---- the parent's checks --------------------------------------------------------------------

fn main() {
    common::main(&[
        Scenario {
            name: "println_under_stdio",
            child: println_under_stdio,
            check: |r| {
                r.exited(0)
                    .stdout_has("hello from stdio")
                    .stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "open_denied_under_stdio",
            child: open_denied_under_stdio,
            check: |r| {
                r.signalled(SIGABRT).stdout_lacks("opened");
                let line = r.report();
                for part in [
                    "pledge::stdio",
                    "tests/pledge.rs:",
                    "[promises \"stdio\"]",
                    "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC",
                    "needs promise \"rpath\"",
                ] {
                    assert!(line.contains(part), "{part:?} not in {line}");
                }
            },
        },
        Scenario {
            name: "open_allowed_with_rpath",
            child: open_allowed_with_rpath,
            check: |r| {
                r.signalled(SIGABRT).stdout_has("read ");
                assert!(
                    r.report().contains("needs promise \"wpath cpath\""),
                    "{}",
                    r.dump()
                );
                assert!(!parent_scratch("rpath-create").exists());
            },
        },
        Scenario {
            name: "create_denied_without_cpath",
            child: create_denied_without_cpath,
            check: |r| {
                r.signalled(SIGABRT).stdout_lacks("created");
                assert!(
                    r.report().contains("O_WRONLY|O_CREAT|O_TRUNC"),
                    "{}",
                    r.dump()
                );
                assert!(
                    r.report().contains("needs promise \"cpath\""),
                    "{}",
                    r.dump()
                );
                assert!(!parent_scratch("create").exists(), "the file was created");
            },
        },
        Scenario {
            name: "error_promise_returns_eperm",
            child: error_promise_returns_eperm,
            check: |r| {
                r.exited(0)
                    .stdout_has("open failed: Some(1)")
                    .stdout_has("bind failed: Some(1)")
                    .stdout_has("still running")
                    .stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "threads_under_stdio",
            child: threads_under_stdio,
            check: |r| {
                r.exited(0).stdout_has("joined 42 3 7");
            },
        },
        Scenario {
            name: "thread_started_before_the_phase_is_restricted",
            child: thread_started_before_the_phase_is_restricted,
            check: |r| {
                r.signalled(SIGABRT)
                    .stdout_lacks("old thread opened")
                    .stdout_lacks("not reached");
                assert!(
                    r.report().contains("needs promise \"rpath\""),
                    "{}",
                    r.dump()
                );
            },
        },
        Scenario {
            name: "staged_drop",
            child: staged_drop,
            check: |r| {
                r.signalled(SIGABRT)
                    .stdout_has("start-up done")
                    .stdout_has("read 16 bytes")
                    .stdout_lacks("opened after drop");
                let line = r.report();
                assert!(
                    line.contains("pledge::stdio") && line.contains("needs promise \"rpath\""),
                    "{line}"
                );
            },
        },
        Scenario {
            name: "widening_is_refused",
            child: widening_is_refused,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_has("in stdio")
                    .stdout_lacks("widened");
                r.stderr_has("cannot enter phase pledge::stdio_rpath")
                    .stderr_has("promise `rpath`")
                    .stderr_has("phase `pledge::stdio (");
            },
        },
        Scenario {
            name: "million_reentries",
            child: million_reentries,
            check: |r| {
                r.exited(0).stdout_has("promises now: stdio");
            },
        },
        Scenario {
            name: "kill_mode",
            child: kill_mode,
            check: |r| {
                r.signalled(SIGSYS)
                    .stdout_lacks("opened")
                    .stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "empty_pledge_then_return",
            child: empty_pledge_then_return,
            check: |r| {
                r.exited(0).stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "panic_under_stdio",
            child: panic_under_stdio,
            check: |r| {
                r.exited(101)
                    .stderr_has("boom under stdio")
                    .stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "available_parallelism_without_rpath",
            child: available_parallelism_without_rpath,
            check: |r| {
                r.exited(0)
                    .stdout_has("parallelism: true")
                    .stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "panic_with_backtrace_under_stdio",
            child: panic_with_backtrace_under_stdio,
            check: |r| {
                r.exited(101)
                    .stderr_has("boom with a backtrace")
                    .stderr_has("stack backtrace:")
                    .stderr_lacks("sandbox:");
            },
        },
        Scenario {
            name: "runtime_api",
            child: runtime_api,
            check: |r| {
                r.signalled(SIGABRT)
                .stdout_has("parse error: invalid promises: unknown promise `rpth`, did you mean `rpath`?")
                .stdout_has("installed: true filters: 1")
                .stdout_has("again installed: false")
                .stdout_has("widening: phase `sandbox::pledge(\"stdio rpath inet\")")
                .stdout_has("read: true");
                assert!(
                    r.report().contains("sandbox::pledge(\"stdio\")")
                        && r.report().contains("needs promise \"rpath\""),
                    "{}",
                    r.dump()
                );
            },
        },
        Scenario {
            name: "kill_self_and_others",
            child: kill_self_and_others,
            check: |r| {
                r.signalled(SIGABRT)
                    .stdout_has("self-signals delivered: 2")
                    .stdout_lacks("kill(1) returned");
                assert!(
                    r.report().contains("kill(1, 0) needs promise \"proc\""),
                    "{}",
                    r.dump()
                );
            },
        },
        Scenario {
            name: "forked_child_keeps_working",
            child: forked_child_keeps_working,
            check: |r| {
                r.exited(0).stdout_has("child exit 42");
            },
        },
        Scenario {
            name: "violation_in_a_forked_child",
            child: violation_in_a_forked_child,
            check: |r| {
                r.exited(0).stdout_has("child signalled: 6").stderr_has(
                    "sandbox: a child process made a call its promises do not allow: openat (",
                );
            },
        },
        Scenario {
            name: "sigsys_handler_cannot_be_replaced",
            child: sigsys_handler_cannot_be_replaced,
            check: |r| {
                // The handler is still ours: the violation is reported and the process aborts.
                r.signalled(SIGABRT)
                    .stdout_has("replacement answered")
                    .stdout_lacks("opened");
                assert!(
                    r.report().contains("needs promise \"rpath\""),
                    "{}",
                    r.dump()
                );
            },
        },
        Scenario {
            name: "exec_promises_narrow",
            child: exec_promises_narrow,
            check: |r| {
                r.exited(0)
                    .stdout_has("cat under execpromises: true \"cat\"")
                    .stdout_has("tee under execpromises: code None signal Some(31)")
                    .stdout_has("tee under the parent's promises: true")
                    .stdout_has("wider execpromises: phase `execpromises \"stdio inet\"` asks for promise `inet`");
                assert!(
                    !parent_scratch("exec-narrowed").exists(),
                    "the narrowed program created its file"
                );
                assert!(parent_scratch("exec-plain").exists());
                let _ = std::fs::remove_file(parent_scratch("exec-plain"));
            },
        },
        Scenario {
            name: "sigsys_blocked_still_dies",
            child: sigsys_blocked_still_dies,
            check: |r| {
                r.signalled(SIGSYS).stdout_lacks("opened");
            },
        },
    ]);
}

#[allow(dead_code)]
fn _unused(_: &Run) {}
