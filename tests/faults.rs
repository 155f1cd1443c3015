//! Fault injection, in child processes: older kernels (simulated), a thread that blocks TSYNC,
//! no_new_privs already set, an unprivileged user, one phase entered from two threads at once,
//! a panic inside a phase, and an unveiled path that disappears.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use common::{Run, SIGABRT, Scenario};

fn scratch(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "sandbox-faults-{name}-{}",
        std::os::unix::process::parent_id()
    ));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(p.join("dir")).unwrap();
    fs::write(p.join("dir/file"), "inside").unwrap();
    fs::write(p.join("secret"), "outside").unwrap();
    p
}
fn parent_scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sandbox-faults-{name}-{}", std::process::id()))
}

fn say(what: &str, result: impl std::fmt::Display) {
    println!("{what}: {result}");
    std::io::stdout().flush().unwrap();
}

fn outcome<T>(r: std::io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) if e.raw_os_error() == Some(libc::EACCES) => "EACCES".into(),
        Err(e) => e.to_string(),
    }
}

#[sandbox::pledge("stdio rpath")]
fn entered_by_two_threads() {}

#[sandbox::pledge("stdio")]
fn panicking_phase() {
    panic!("panic inside a phase");
}

#[sandbox::pledge("stdio rpath")]
#[sandbox::unveil(dir, "r")]
fn unveil_dir(dir: &Path) {}

// ---- scenarios -----------------------------------------------------------------------------

fn every_lower_abi() {
    for abi in 1..=7u32 {
        // Each ABI in its own grandchild: a sandbox is irreversible.
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args(["--scenario", "one_abi"])
            .env("SANDBOX_TEST_ABI", abi.to_string())
            .output()
            .unwrap();
        say(
            &format!("abi {abi}"),
            String::from_utf8_lossy(&out.stdout).trim(),
        );
    }
}

fn one_abi() {
    let abi: u32 = std::env::var("SANDBOX_TEST_ABI").unwrap().parse().unwrap();
    let p = scratch(&format!("abi{abi}"));
    sandbox::__private::simulate_abi(abi);
    let status = sandbox::Restrict::new()
        .unveil(&p.join("dir"), "r")
        .unwrap()
        .pledge("stdio rpath")
        .apply();
    match status {
        Ok(s) => {
            let ll = s.landlock.unwrap();
            print!(
                "enforced abi {} fs {:#x} scoped {:#x}; inside {} outside {}",
                ll.abi,
                ll.handled_fs,
                ll.scoped,
                outcome(fs::read(p.join("dir/file"))),
                outcome(fs::read(p.join("secret")))
            );
        }
        Err(e) => print!("error: {e}"),
    }
    let _ = fs::remove_dir_all(&p);
}

fn tsync_blocked_by_a_foreign_filter() {
    let (tx, rx) = std::sync::mpsc::channel::<i32>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        // An allow-everything filter on this thread only: it does not descend from the
        // process's filters, so TSYNC cannot move this thread.
        let allow = [libc::sock_filter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: 0x7fff_0000,
        }];
        let prog = libc::sock_fprog {
            len: 1,
            filter: allow.as_ptr().cast_mut(),
        };
        // SAFETY: prctl with integer arguments, then seccomp with a pointer to a local program.
        unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            assert_eq!(libc::syscall(libc::SYS_seccomp, 1, 0, &raw const prog), 0);
            tx.send(libc::gettid()).unwrap();
        }
        done_rx.recv().unwrap();
    });
    let tid = rx.recv().unwrap();
    say("foreign thread", tid);
    let err = sandbox::pledge("stdio rpath").unwrap_err();
    say("phase", &err);
    // No thread was restricted: this one can still do what the phase would have denied.
    say(
        "socket after the failed phase",
        outcome(std::net::UdpSocket::bind("127.0.0.1:0")),
    );
    done_tx.send(()).unwrap();
    t.join().unwrap();
}

fn no_new_privs_already_set() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    let p = scratch("nnp");
    unveil_dir(&p.join("dir"));
    say("inside", outcome(fs::read(p.join("dir/file"))));
    say("outside", outcome(fs::read(p.join("secret"))));
}

fn unprivileged_user() {
    let p = scratch("nobody");
    // SAFETY: setgroups/setgid/setuid with integer arguments (and an empty list).
    let dropped = unsafe {
        libc::setgroups(0, std::ptr::null()) == 0
            && libc::setgid(65534) == 0
            && libc::setuid(65534) == 0
    };
    // SAFETY: no arguments.
    say("uid", unsafe { libc::getuid() });
    if !dropped {
        say(
            "skip",
            "not root: cannot become nobody, already unprivileged",
        );
    }
    unveil_dir(&p.join("dir"));
    say("inside", outcome(fs::read(p.join("dir/file"))));
    say("outside", outcome(fs::read(p.join("secret"))));
}

fn two_threads_enter_at_once() {
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let b = Arc::clone(&barrier);
            std::thread::spawn(move || {
                b.wait();
                entered_by_two_threads();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("Seccomp_filters:"))
        .unwrap_or("none")
        .to_owned();
    say("filters", line.split_whitespace().last().unwrap_or("?"));
    let f = std::net::UdpSocket::bind("127.0.0.1:0");
    say("socket", outcome(f));
}

fn panic_inside_a_phase() {
    let r = std::panic::catch_unwind(panicking_phase);
    say("caught", r.is_err());
    // The phase stays in force after the panic: privileges never widen.
    say("promises", sandbox::current().unwrap());
    let f = fs::File::open("/etc/hostname");
    say("opened", f.is_ok());
}

/// Installs a raw filter that makes `landlock_create_ruleset` answer ENOSYS, as on a kernel
/// built without Landlock (the runtime's own ABI probe then sees ENOSYS from the kernel).
fn kernel_without_landlock() {
    const ENOSYS: u32 = 38;
    let nr = u32::try_from(libc::SYS_landlock_create_ruleset).unwrap();
    let prog = [
        libc::sock_filter {
            code: 0x20,
            jt: 0,
            jf: 0,
            k: 0,
        }, // A = nr
        libc::sock_filter {
            code: 0x15,
            jt: 0,
            jf: 1,
            k: nr,
        }, // nr == landlock_create_ruleset?
        libc::sock_filter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: 0x0005_0000 | ENOSYS,
        },
        libc::sock_filter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: 0x7fff_0000,
        },
    ];
    let fprog = libc::sock_fprog {
        len: 4,
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: prctl with integer arguments, then seccomp with a pointer to a local program.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        assert_eq!(libc::syscall(libc::SYS_seccomp, 1, 0, &raw const fprog), 0);
    }
    let p = scratch("nolandlock");
    let err = sandbox::Restrict::new()
        .unveil(&p.join("dir"), "r")
        .unwrap()
        .pledge("stdio rpath")
        .apply()
        .unwrap_err();
    say("required", err);
    // Nothing was installed: the process can still do what the phase would have denied.
    say(
        "outside after the failed phase",
        outcome(fs::read(p.join("secret"))),
    );
    let status = sandbox::Restrict::new()
        .unveil(&p.join("dir"), "r")
        .unwrap()
        .pledge("stdio rpath")
        .best_effort()
        .apply()
        .unwrap();
    say(
        "best effort",
        format!(
            "abi {} promises {}",
            status.landlock.unwrap().abi,
            status.promises
        ),
    );
    say("outside, best effort", outcome(fs::read(p.join("secret"))));
}

fn unveiled_path_disappears() {
    let p = scratch("gone");
    fs::remove_dir_all(p.join("dir")).unwrap();
    unveil_dir(&p.join("dir"));
    say("not reached", "");
}

fn main() {
    common::main(&[
        Scenario {
            name: "every_lower_abi",
            child: every_lower_abi,
            check: |r| {
                r.exited(0);
                let real = (1..=7)
                    .rev()
                    .find(|a| r.stdout.contains(&format!("enforced abi {a} ")))
                    .unwrap_or(0);
                for abi in 1..=7u32 {
                    let line = r
                        .stdout
                        .lines()
                        .find(|l| l.starts_with(&format!("abi {abi}:")))
                        .unwrap_or_default();
                    if abi < 3 {
                        // "stdio rpath" without wpath: truncate is covered by seccomp, so old ABIs run.
                        assert!(line.contains(&format!("enforced abi {abi} ")), "{line}");
                    }
                    assert!(
                        line.contains("inside ok outside EACCES"),
                        "abi {abi}: {line}\n{}",
                        r.dump()
                    );
                    let fs_bits = match abi {
                        1 => "0x1fff",
                        2 => "0x3fff",
                        3 | 4 => "0x7fff",
                        _ => "0xffff",
                    };
                    if abi <= real {
                        assert!(
                            line.contains(&format!("fs {fs_bits} ")),
                            "abi {abi}: {line}"
                        );
                        let scoped = if abi >= 6 { "0x3" } else { "0x0" };
                        assert!(
                            line.contains(&format!("scoped {scoped};")),
                            "abi {abi}: {line}"
                        );
                    }
                }
            },
        },
        Scenario {
            name: "one_abi",
            child: one_abi,
            check: |_| {},
        },
        Scenario {
            name: "tsync_blocked_by_a_foreign_filter",
            child: tsync_blocked_by_a_foreign_filter,
            check: |r| {
                r.exited(0);
                let tid = r
                    .stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("foreign thread: "))
                    .unwrap()
                    .to_owned();
                r.stdout_has(&format!("could not restrict thread {tid}"))
                    .stdout_has("socket after the failed phase: ok");
            },
        },
        Scenario {
            name: "no_new_privs_already_set",
            child: no_new_privs_already_set,
            check: |r| {
                r.exited(0)
                    .stdout_has("inside: ok")
                    .stdout_has("outside: EACCES");
                let _ = fs::remove_dir_all(parent_scratch("nnp"));
            },
        },
        Scenario {
            name: "unprivileged_user",
            child: unprivileged_user,
            check: |r| {
                r.exited(0)
                    .stdout_has("uid: 65534")
                    .stdout_has("inside: ok")
                    .stdout_has("outside: EACCES");
                let _ = fs::remove_dir_all(parent_scratch("nobody"));
            },
        },
        Scenario {
            name: "two_threads_enter_at_once",
            child: two_threads_enter_at_once,
            check: |r| {
                r.signalled(SIGABRT).stdout_has("filters: 1");
                assert!(
                    r.report().contains("needs promise \"inet\""),
                    "{}",
                    r.dump()
                );
            },
        },
        Scenario {
            name: "panic_inside_a_phase",
            child: panic_inside_a_phase,
            check: |r| {
                r.signalled(SIGABRT)
                    .stderr_has("panic inside a phase")
                    .stdout_has("caught: true")
                    .stdout_has("promises: stdio")
                    .stdout_lacks("opened");
                assert!(
                    r.report().contains("needs promise \"rpath\""),
                    "{}",
                    r.dump()
                );
            },
        },
        Scenario {
            name: "kernel_without_landlock",
            child: kernel_without_landlock,
            check: |r| {
                r.exited(0)
                    .stdout_has("required: unveil: this kernel has no Landlock")
                    .stdout_has("outside after the failed phase: ok")
                    .stdout_has("best effort: abi 0 promises stdio rpath")
                    .stdout_has("outside, best effort: ok")
                    .stderr_has(
                        "sandbox: unveil runs best-effort; not enforced: Landlock is not available",
                    );
                let _ = fs::remove_dir_all(parent_scratch("nolandlock"));
            },
        },
        Scenario {
            name: "unveiled_path_disappears",
            child: unveiled_path_disappears,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_lacks("not reached")
                    .stderr_has("/dir\" does not exist");
                let _ = fs::remove_dir_all(parent_scratch("gone"));
            },
        },
    ]);
}

#[allow(dead_code)]
fn _unused(_: &Run, _: &Path) {}
