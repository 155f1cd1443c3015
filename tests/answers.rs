//! Calls the reporter answers itself because the promises in force allow what they do (see
//! `sandbox-runtime/src/answer.rs`), and the reports' wording: each scenario in a fresh child
//! process (see `common`).
//!
//! - Changing a file's owner to the owner it has is answered 0 without `fattr` or `chown`; any
//!   other owner is still reported, and the file keeps its owner (seen from the parent).
//! - The time zone files stay readable under `stdio`: `/etc/localtime` and the zone `TZ` names,
//!   with the same bytes and metadata as before the phase; nothing else is (a write open, other
//!   files, `TZ` pointing elsewhere, a descriptor number the program reused).
//! - Spawning without `proc` fails with an error instead of a bare SIGSYS.
//! - Reports name the promise that fits the path, decode socket types and statx flags, and a
//!   phase that cannot be entered ends with one line and exit status 70, without a core file.

mod common;

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::{Run, SIGABRT, Scenario, is_root, no_core_dumps, say, value};

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A libc-style result as text: `ok N`, or the error.
fn res(r: i64) -> String {
    if r == -1 {
        std::io::Error::from_raw_os_error(errno()).to_string()
    } else {
        format!("ok {r}")
    }
}

fn c(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap()
}

fn pledge(p: &str) {
    sandbox::pledge(p).unwrap_or_else(|e| panic!("pledge({p:?}): {e}"));
    say("pledged", p);
}

/// A scratch path the child and the parent both name (the parent's pid in it).
fn scratch(name: &str, parent: u32) -> PathBuf {
    PathBuf::from("/var/tmp").join(format!("sandbox-answers-{name}-{parent}"))
}

fn child_file(name: &str) -> PathBuf {
    let d = scratch(name, std::os::unix::process::parent_id());
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("file");
    std::fs::write(&f, b"x").unwrap();
    f
}

fn parent_file(name: &str) -> PathBuf {
    scratch(name, std::process::id()).join("file")
}

// ---- owners ------------------------------------------------------------------------------------

fn same_owner() {
    let f = child_file("same-owner");
    let md = std::fs::metadata(&f).unwrap();
    let (uid, gid) = (md.uid(), md.gid());
    let fd = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&f)
        .unwrap();
    use std::os::fd::AsRawFd;
    let fd = fd.as_raw_fd();
    let path = c(&f);
    pledge("stdio rpath wpath cpath flock");
    let p = path.as_ptr();
    let run = |what: &str, r: i32| say(what, res(i64::from(r)));
    // SAFETY: integer arguments and a valid NUL-terminated path (so in each call below).
    run("fchown own ids", unsafe { libc::fchown(fd, uid, gid) });
    // SAFETY: as above.
    run("fchown -1 -1", unsafe {
        libc::fchown(fd, u32::MAX, u32::MAX)
    });
    // SAFETY: as above.
    run("chown own ids", unsafe { libc::chown(p, uid, gid) });
    // SAFETY: as above.
    run("lchown own uid", unsafe { libc::lchown(p, uid, u32::MAX) });
    // SAFETY: as above.
    run("fchownat path", unsafe {
        libc::fchownat(libc::AT_FDCWD, p, uid, gid, 0)
    });
    run(
        "fchownat empty path",
        // SAFETY: as above.
        unsafe { libc::fchownat(fd, c"".as_ptr(), uid, gid, libc::AT_EMPTY_PATH) },
    );
}

fn check_same_owner(r: &Run) {
    r.exited(0).stdout_has("pledged");
    for key in [
        "fchown own ids",
        "fchown -1 -1",
        "chown own ids",
        "lchown own uid",
        "fchownat path",
        "fchownat empty path",
    ] {
        assert_eq!(value(r, key), "ok 0", "{key}\n{}", r.dump());
    }
    let _ = std::fs::remove_dir_all(parent_file("same-owner").parent().unwrap());
}

/// Another owner (root: 4242; anyone else: root, which the kernel would refuse anyway).
fn other_owner(sandboxed: bool) {
    no_core_dumps();
    let name = if sandboxed {
        "other-owner"
    } else {
        "other-owner-control"
    };
    let f = child_file(name);
    let fd = std::fs::File::options().write(true).open(&f).unwrap();
    use std::os::fd::AsRawFd;
    let to = if is_root() { 4242 } else { 0 };
    if sandboxed {
        pledge("stdio rpath wpath cpath flock");
    }
    // SAFETY: integer arguments.
    say(
        "fchown",
        res(i64::from(unsafe { libc::fchown(fd.as_raw_fd(), to, to) })),
    );
}

fn check_other_owner(r: &Run, sandboxed: bool) {
    let f = parent_file(if sandboxed {
        "other-owner"
    } else {
        "other-owner-control"
    });
    let owner = std::fs::metadata(&f).map(|m| m.uid()).unwrap();
    let _ = std::fs::remove_dir_all(f.parent().unwrap());
    if !sandboxed {
        r.exited(0);
        if is_root() {
            assert_eq!(value(r, "fchown"), "ok 0", "{}", r.dump());
            assert_eq!(owner, 4242, "the control did not change the owner");
        }
        return;
    }
    r.signalled(SIGABRT).stdout_lacks("fchown:");
    let line = r.report();
    assert!(
        line.contains("fchown(") && line.contains("needs promise \"chown\""),
        "{line}"
    );
    assert_ne!(owner, 4242, "the owner changed under the sandbox");
}

// ---- time zone files -----------------------------------------------------------------------------

const PARIS: &str = "/usr/share/zoneinfo/Europe/Paris";

fn have_zones() -> bool {
    std::fs::read(PARIS).is_ok_and(|b| b.starts_with(b"TZif"))
        && std::fs::read("/etc/localtime").is_ok_and(|b| b.starts_with(b"TZif"))
}

fn set_tz(tz: &str) {
    // SAFETY: the child is single-threaded here; nothing reads the environment concurrently.
    unsafe { std::env::set_var("TZ", tz) };
}

fn stat_of(path: &str, follow: bool) -> Option<(u64, u64, u32, i64)> {
    let md = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    md.ok().map(|m| (m.dev(), m.ino(), m.mode(), m.mtime()))
}

fn read_twice(path: &str) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let mut a = Vec::new();
    f.read_to_end(&mut a).ok()?;
    // Seeking, as glibc does while it reads a zone file.
    f.seek(SeekFrom::Start(4)).ok()?;
    let mut b = Vec::new();
    f.read_to_end(&mut b).ok()?;
    (a[4..] == b[..]).then_some(a)
}

fn zone_files() {
    if !have_zones() {
        say(
            "skip",
            format!("no {PARIS} or /etc/localtime zone file (install tzdata; .ci/run does)"),
        );
        return;
    }
    set_tz("Europe/Paris");
    let before = [
        stat_of("/etc/localtime", true),
        stat_of("/etc/localtime", false),
        stat_of(PARIS, true),
    ];
    let bytes = [read_twice("/etc/localtime"), read_twice(PARIS)];
    pledge("stdio");
    let after = [
        stat_of("/etc/localtime", true),
        stat_of("/etc/localtime", false),
        stat_of(PARIS, true),
    ];
    say(
        "stats match",
        before == after && after.iter().all(Option::is_some),
    );
    // Twice each: every open gets its own start.
    for round in 0..2 {
        let now = [read_twice("/etc/localtime"), read_twice(PARIS)];
        say(
            &format!("bytes match {round}"),
            now == bytes && now.iter().all(Option::is_some),
        );
    }
    // New threads read it again (chrono keeps one cache per thread).
    let t = std::thread::spawn(|| read_twice("/etc/localtime").map(|b| b.len()));
    say("thread read", t.join().unwrap().unwrap_or(0) > 4);
}

fn check_zone_files(r: &Run) {
    r.exited(0);
    if r.stdout.contains("skip: ") {
        println!("    {}", value(r, "skip"));
        return;
    }
    r.stdout_has("stats match: true")
        .stdout_has("bytes match 0: true")
        .stdout_has("bytes match 1: true")
        .stdout_has("thread read: true");
}

/// What the answers must not reach: each attempt ends the process with the report.
#[derive(Clone, Copy)]
enum Beyond {
    WriteOpen,
    OtherFile,
    OtherSpelling,
    TzElsewhere,
    TzClimbing,
    TzNotAZone,
    ReusedNumbers,
}

fn beyond(how: Beyond) {
    no_core_dumps();
    if !have_zones() {
        say("skip", "no zone files");
        return;
    }
    match how {
        Beyond::TzElsewhere => set_tz("/etc/passwd"),
        Beyond::TzClimbing => set_tz("../../../../etc/passwd"),
        Beyond::TzNotAZone => set_tz("zone1970.tab"),
        _ => set_tz("Europe/Paris"),
    }
    pledge("stdio");
    let open = |path: &str, flags: i32| {
        let p = CString::new(path).unwrap();
        // SAFETY: a valid path.
        let fd = unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC) };
        say(&format!("open {path}"), res(i64::from(fd)));
    };
    match how {
        Beyond::WriteOpen => open("/etc/localtime", libc::O_RDWR),
        Beyond::OtherFile => open("/etc/passwd", libc::O_RDONLY),
        Beyond::OtherSpelling => open("/etc//localtime", libc::O_RDONLY),
        Beyond::TzElsewhere => open("/etc/passwd", libc::O_RDONLY),
        Beyond::TzClimbing => open("/usr/share/zoneinfo/../../../../etc/passwd", libc::O_RDONLY),
        Beyond::TzNotAZone => open("/usr/share/zoneinfo/zone1970.tab", libc::O_RDONLY),
        Beyond::ReusedNumbers => {
            // Every descriptor number the runtime may hold now names a pipe.
            let mut p = [0i32; 2];
            // SAFETY: a two-int array.
            assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
            for fd in 3..256 {
                if fd != p[0] {
                    // SAFETY: dup2 with integer arguments.
                    unsafe { libc::dup2(p[0], fd) };
                }
            }
            let st = stat_of("/etc/localtime", true);
            say("stat after reuse", format!("{st:?}"));
        }
    }
}

fn check_beyond(r: &Run, needle: &str) {
    if r.stdout.contains("skip: ") {
        r.exited(0);
        println!("    skipped: {}", value(r, "skip"));
        return;
    }
    r.signalled(SIGABRT)
        .stdout_has("pledged")
        .stdout_lacks("open /")
        .stdout_lacks("stat after reuse");
    let line = r.report();
    assert!(line.contains(needle), "{line}");
}

// ---- spawning without proc -----------------------------------------------------------------------

fn spawn(promises: &str) {
    pledge(promises);
    match std::process::Command::new("/bin/true").status() {
        Ok(s) => say("spawn", format!("ran, {s}")),
        Err(e) => say("spawn", format!("error: {e}")),
    }
}

fn check_spawn(r: &Run, allowed: bool) {
    r.exited(0);
    if allowed {
        assert!(value(r, "spawn").starts_with("ran"), "{}", r.dump());
    } else {
        assert_eq!(
            value(r, "spawn"),
            "error: Operation not permitted (os error 1)",
            "{}",
            r.dump()
        );
    }
}

// ---- report wording ---------------------------------------------------------------------------------

fn reported_call(what: &str) {
    no_core_dumps();
    pledge("stdio");
    match what {
        "hostname" => {
            // SAFETY: a valid path.
            let fd = unsafe { libc::open(c"/etc/hostname".as_ptr(), libc::O_RDONLY) };
            say("opened", fd);
        }
        "tmp" => {
            // SAFETY: a valid path.
            let fd = unsafe { libc::open(c"/tmp/x".as_ptr(), libc::O_RDONLY) };
            say("opened", fd);
        }
        "resolv" => {
            // SAFETY: a valid path.
            let fd = unsafe { libc::open(c"/etc/resolv.conf".as_ptr(), libc::O_RDONLY) };
            say("opened", fd);
        }
        "socket" => {
            // SAFETY: integer arguments.
            let fd =
                unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
            say("opened", fd);
        }
        "statx" => {
            let _ = std::fs::symlink_metadata("/etc/hostname");
            say("opened", "stat");
        }
        "unix" => {
            let r = std::os::unix::net::UnixStream::connect("/run/sandbox-no-such.sock");
            say("opened", format!("{:?}", r.map(drop)));
        }
        "lookup" => {
            let r = std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80));
            say("opened", format!("{:?}", r.map(Iterator::count)));
        }
        _ => unreachable!(),
    }
}

fn check_reported(r: &Run, has: &[&str], lacks: &[&str]) {
    r.signalled(SIGABRT).stdout_lacks("opened");
    let line = r.report();
    for h in has {
        assert!(line.contains(h), "lacks {h:?}: {line}");
    }
    for l in lacks {
        assert!(!line.contains(l), "has {l:?}: {line}");
    }
}

#[sandbox::pledge("stdio rpath")]
#[sandbox::unveil("no-such-dir", "r")]
fn missing_unveil() {}

fn entry_fails() {
    no_core_dumps();
    missing_unveil();
    say("entered", "no");
}

fn check_entry_fails(r: &Run) {
    r.exited(sandbox::EXIT_CANNOT_ENTER).stdout_lacks("entered");
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "{}", r.dump());
    let line = lines[0];
    assert!(line.starts_with("sandbox: cannot enter phase"), "{line}");
    assert!(line.contains("\"no-such-dir\""), "{line}");
    assert!(line.contains("relative to the working directory"), "{line}");
    assert_eq!(
        line.matches("does not exist").count(),
        1,
        "said twice: {line}"
    );
}

fn main() {
    common::main(&[
        Scenario {
            name: "same_owner_is_answered",
            child: same_owner,
            check: check_same_owner,
        },
        Scenario {
            name: "other_owner_control",
            child: || other_owner(false),
            check: |r| check_other_owner(r, false),
        },
        Scenario {
            name: "other_owner_is_reported",
            child: || other_owner(true),
            check: |r| check_other_owner(r, true),
        },
        Scenario {
            name: "zone_files_under_stdio",
            child: zone_files,
            check: check_zone_files,
        },
        Scenario {
            name: "zone_files_no_write_open",
            child: || beyond(Beyond::WriteOpen),
            check: |r| check_beyond(r, "\"/etc/localtime\", O_RDWR"),
        },
        Scenario {
            name: "zone_files_no_other_file",
            child: || beyond(Beyond::OtherFile),
            check: |r| check_beyond(r, "\"/etc/passwd\""),
        },
        Scenario {
            name: "zone_files_exact_names_only",
            child: || beyond(Beyond::OtherSpelling),
            check: |r| check_beyond(r, "\"/etc//localtime\""),
        },
        Scenario {
            name: "zone_files_tz_elsewhere",
            child: || beyond(Beyond::TzElsewhere),
            check: |r| check_beyond(r, "\"/etc/passwd\""),
        },
        Scenario {
            name: "zone_files_tz_climbing",
            child: || beyond(Beyond::TzClimbing),
            check: |r| check_beyond(r, "zoneinfo/../../"),
        },
        Scenario {
            name: "zone_files_tz_not_a_zone",
            child: || beyond(Beyond::TzNotAZone),
            check: |r| check_beyond(r, "zone1970.tab"),
        },
        Scenario {
            name: "zone_files_reused_numbers",
            child: || beyond(Beyond::ReusedNumbers),
            check: |r| check_beyond(r, "\"/etc/localtime\""),
        },
        Scenario {
            name: "spawn_control",
            child: || spawn("stdio rpath proc exec"),
            check: |r| check_spawn(r, true),
        },
        Scenario {
            name: "spawn_without_proc_is_an_error",
            child: || spawn("stdio rpath"),
            check: |r| check_spawn(r, false),
        },
        Scenario {
            name: "report_names_rpath_for_etc",
            child: || reported_call("hostname"),
            check: |r| {
                check_reported(
                    r,
                    &["needs promise \"rpath\""],
                    &["tmppath", "dns", "getpw"],
                )
            },
        },
        Scenario {
            name: "report_names_tmppath_for_tmp",
            child: || reported_call("tmp"),
            check: |r| check_reported(r, &["\"rpath\"", "\"tmppath\""], &["dns", "getpw"]),
        },
        Scenario {
            name: "report_names_dns_for_resolv_conf",
            child: || reported_call("resolv"),
            check: |r| check_reported(r, &["\"rpath\"", "\"dns\""], &["tmppath", "getpw"]),
        },
        Scenario {
            name: "report_decodes_socket_types",
            child: || reported_call("socket"),
            check: |r| {
                check_reported(
                    r,
                    &["socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)", "\"unix\""],
                    &[],
                );
            },
        },
        Scenario {
            name: "report_decodes_statx_flags",
            child: || reported_call("statx"),
            check: |r| {
                check_reported(r, &["AT_SYMLINK_NOFOLLOW", "STATX_"], &["0x100,"]);
            },
        },
        Scenario {
            name: "report_names_dns_for_a_name_lookup",
            child: || reported_call("lookup"),
            check: |r| {
                check_reported(
                    r,
                    &[
                        "socket(AF_UNIX, SOCK_STREAM",
                        "for libc's look-ups",
                        "\"dns\"",
                    ],
                    &[],
                );
            },
        },
        Scenario {
            name: "readme_quotes_the_unix_socket_report",
            child: || reported_call("unix"),
            check: |r| {
                // Built in, so that the check runs where the source tree is not (the kernel matrix).
                let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
                let start = readme
                    .find("(`socket(AF_UNIX,")
                    .expect("README quotes a unix socket report")
                    + 2;
                let len = readme[start..].find('`').unwrap();
                let quoted = readme[start..start + len].replace("\n  ", " ");
                check_reported(r, &[quoted.as_str()], &[]);
            },
        },
        Scenario {
            name: "entry_failure_is_one_line_and_status_70",
            child: entry_fails,
            check: check_entry_fails,
        },
    ]);
}
