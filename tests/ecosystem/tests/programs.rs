//! Runs each program of `src/main.rs` in a fresh process (this harness is never sandboxed) and
//! checks what it did: under the promises the README leads to, the real crate works; with
//! `--violate`, the report names the promise, and the process dies by SIGABRT; `--no-sandbox`
//! is the control where a comparison needs one. Results are listed in docs/COMPATIBILITY.md.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eco(args: &[&str], tz: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eco"));
    c.args(args).env_remove("RUST_BACKTRACE");
    match tz {
        Some(tz) => c.env("TZ", tz),
        None => c.env_remove("TZ"),
    };
    c.output().expect("run eco")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn dump(o: &Output) -> String {
    let (out, err) = text(o);
    format!(
        "--- status {:?}\n--- stdout:\n{out}--- stderr:\n{err}",
        o.status
    )
}

/// The value of the `key: value` line.
fn value(o: &Output, key: &str) -> String {
    let (out, _) = text(o);
    let prefix = format!("{key}: ");
    out.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no line {key:?}\n{}", dump(o)))
        .to_owned()
}

/// Ran to the end, exit 0, no report.
fn worked(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}", dump(o));
    assert_eq!(value(o, "done"), "yes");
    let (_, err) = text(o);
    assert!(!err.contains("sandbox: "), "{}", dump(o));
}

/// Died by SIGABRT after one report naming the promise and the call.
fn reported(o: &Output, call: &str, promise: &str) {
    assert_eq!(o.status.signal(), Some(6), "{}", dump(o));
    let (out, err) = text(o);
    assert!(!out.contains("violation went on"), "{}", dump(o));
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("sandbox: ")).collect();
    assert_eq!(lines.len(), 1, "{}", dump(o));
    assert!(lines[0].contains(call), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!("needs promise \"{promise}\"")),
        "{}",
        lines[0]
    );
}

fn violates(args: &[&str], tz: Option<&str>) {
    let mut with = args.to_vec();
    with.push("--violate");
    reported(&eco(&with, tz), "clock_settime(", "settime");
}

/// A fresh scratch directory under /var/tmp (not /tmp: see the write guard in the README).
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from("/var/tmp").join(format!("sandbox-eco-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn is_root() -> bool {
    // SAFETY: no arguments.
    unsafe { libc::geteuid() == 0 }
}

const PARIS: &str = "Europe/Paris";

fn have_paris() -> bool {
    Path::new("/usr/share/zoneinfo/Europe/Paris").exists()
}

#[test]
fn chrono_local_time_keeps_working_under_stdio() {
    // Without TZ (the /etc/localtime path, re-checked once a second) and with it.
    for tz in [None, have_paris().then_some(PARIS)] {
        if tz.is_none() && !Path::new("/etc/localtime").exists() {
            continue;
        }
        let control = eco(&["chrono", "--secs", "1", "--no-sandbox"], tz);
        worked(&control);
        let o = eco(&["chrono", "--secs", "3"], tz);
        worked(&o);
        assert_eq!(value(&o, "offset at end"), value(&control, "offset at end"));
        assert!(!text(&o).0.contains("offset changed"), "{}", dump(&o));
        assert!(value(&o, "logged lines").parse::<u32>().unwrap() >= 8);
    }
    violates(&["chrono", "--secs", "1"], None);
}

#[test]
fn time_crate_local_offset_under_stdio() {
    let tz = have_paris().then_some(PARIS);
    let control = eco(&["time", "--no-sandbox"], tz);
    worked(&control);
    let o = eco(&["time"], tz);
    worked(&o);
    assert_eq!(value(&o, "local offset"), value(&control, "local offset"));
    assert!(
        !value(&o, "local offset").starts_with("error"),
        "{}",
        dump(&o)
    );
    violates(&["time"], tz);
}

#[test]
fn tracing_file_appender_with_local_time() {
    let dir = scratch("tracing");
    let tz = have_paris().then_some(PARIS);
    let o = eco(&["tracing", "--dir", s(&dir), "--secs", "2"], tz);
    worked(&o);
    let ticks: usize = value(&o, "ticks").parse().unwrap();
    let log = std::fs::read_to_string(dir.join("daemon.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    // "starting", then a tick and a line from a thread per tick.
    assert_eq!(lines.len(), 1 + 2 * ticks, "{log}");
    if tz.is_some() {
        assert!(
            lines
                .iter()
                .all(|l| l.contains("+01:00") || l.contains("+02:00")),
            "{log}"
        );
    }
    violates(&["tracing", "--dir", s(&dir), "--secs", "1"], tz);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rusqlite_wal_in_an_unveiled_directory() {
    let dir = scratch("sqlite");
    let o = eco(&["sqlite", "--dir", s(&dir)], None);
    worked(&o);
    assert_eq!(value(&o, "journal mode"), "wal");
    assert_eq!(value(&o, "sum"), "4950");
    assert_eq!(value(&o, "rows seen by a second connection"), "100");
    assert!(dir.join("app.db-wal").exists() || dir.join("app.db").exists());
    violates(&["sqlite", "--dir", s(&dir)], None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rusqlite_as_root_and_as_nobody() {
    if !is_root() {
        println!(
            "skipped: starting as root and dropping to nobody needs root; the plain run covers this user"
        );
        return;
    }
    // As root SQLite gives every journal and WAL file the database's owner (fchown to the ids
    // it has): answered without the chown promise.
    let dir = scratch("sqlite-root");
    worked(&eco(&["sqlite", "--dir", s(&dir)], None));
    let _ = std::fs::remove_dir_all(&dir);
    let dir = scratch("sqlite-nobody");
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    let o = eco(&["sqlite", "--dir", s(&dir), "--as-nobody"], None);
    worked(&o);
    assert_eq!(value(&o, "dropped to nobody"), "true");
    assert_eq!(value(&o, "rows seen by a second connection"), "100");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rayon_pool_started_after_the_phase() {
    let o = eco(&["rayon"], None);
    worked(&o);
    assert_eq!(value(&o, "sum"), "499999500000");
    violates(&["rayon"], None);
}

#[test]
fn clap_regex_walkdir_over_an_unveiled_tree() {
    let dir = scratch("walk");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/b/one.txt"), "a needle here\nand here, needle\n").unwrap();
    std::fs::write(dir.join("a/two.txt"), "hay\n").unwrap();
    std::fs::write(dir.join("three.txt"), "needle\n").unwrap();
    let o = eco(&["walk", "--dir", s(&dir), "--pattern", "needle"], None);
    worked(&o);
    assert_eq!(value(&o, "files"), "3");
    assert_eq!(value(&o, "matching files"), "2");
    assert_eq!(value(&o, "matching lines"), "3");
    assert_eq!(
        value(&o, "outside the tree"),
        "error: Permission denied (os error 13)"
    );
    violates(&["walk", "--dir", s(&dir), "--pattern", "needle"], None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn command_with_pledge_exec() {
    let o = eco(&["spawn"], None);
    worked(&o);
    assert!(
        value(&o, "child said").starts_with("from the child (exit status: 0)"),
        "{}",
        dump(&o)
    );
    // Without proc the spawn fails with an error the program prints, never a bare SIGSYS.
    let o = eco(&["spawn", "--no-proc"], None);
    worked(&o);
    assert_eq!(
        value(&o, "spawn"),
        "error: Operation not permitted (os error 1)"
    );
    violates(&["spawn"], None);
}

#[test]
fn memmap2_under_stdio_rpath() {
    let dir = scratch("mmap");
    std::fs::write(dir.join("data"), b"Zdata").unwrap();
    let f = dir.join("data");
    let o = eco(&["mmap", "--file", s(&f)], None);
    worked(&o);
    assert_eq!(value(&o, "mapped bytes"), "5");
    assert_eq!(value(&o, "first byte"), "90");
    violates(&["mmap", "--file", s(&f)], None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn signal_hook_flag_under_stdio() {
    let o = eco(&["signals"], None);
    worked(&o);
    assert_eq!(value(&o, "flag set by SIGUSR1"), "true");
    violates(&["signals"], None);
}

#[test]
fn dirs_home_from_the_password_database() {
    let control = eco(&["home", "--no-sandbox"], None);
    worked(&control);
    let o = eco(&["home"], None);
    worked(&o);
    assert_eq!(value(&o, "home"), value(&control, "home"));
    assert!(value(&o, "home").starts_with("Some("), "{}", dump(&o));
    violates(&["home"], None);
}

#[test]
fn tokio_fs_and_unix_sockets() {
    let dir = scratch("tokio");
    let o = eco(&["tokio-fs", "--dir", s(&dir)], None);
    worked(&o);
    assert_eq!(value(&o, "read back"), "written by tokio");
    assert_eq!(value(&o, "server got"), "over a unix socket");
    violates(&["tokio-fs", "--dir", s(&dir)], None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn axum_static_files_and_a_ureq_client_resolving_localhost() {
    let dir = scratch("http");
    std::fs::write(dir.join("index.html"), "<h1>hello</h1>\n").unwrap();
    let o = eco(&["http", "--dir", s(&dir)], None);
    worked(&o);
    assert_eq!(value(&o, "GET /index.html"), "200 <h1>hello</h1>");
    assert_eq!(value(&o, "GET /missing.html"), "404");
    assert_ne!(
        value(&o, "GET /../../../../etc/passwd").split(' ').next(),
        Some("200")
    );
    violates(&["http", "--dir", s(&dir)], None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pledge_above_and_below_tokio_main() {
    for program in ["tokio-above", "tokio-below"] {
        let o = eco(&[program], None);
        worked(&o);
        assert_eq!(value(&o, "echoed"), "ping");
        assert!(value(&o, "served on").contains("worker"), "{}", dump(&o));
        // The forbidden call made by the task on the worker thread is reported: the workers
        // are restricted whichever order the attributes are written in.
        reported(
            &eco(&[program, "--violate"], None),
            "clock_settime(",
            "settime",
        );
    }
}

#[test]
fn rustls_over_loopback() {
    let o = eco(&["tls"], None);
    worked(&o);
    assert_eq!(value(&o, "echoed"), "over TLS");
    assert_eq!(value(&o, "protocol"), "TLSv1_3");
    violates(&["tls"], None);
}
