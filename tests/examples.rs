//! The examples, each run as a child process and checked from the outside: exit status or
//! signal, output, the files they wrote and what their servers answer over real sockets.
//!
//! The examples are found beside this test binary (`target/<profile>/examples/NAME`). `cargo
//! test` builds them, but `cargo test --test examples` alone does not, so the first test runs
//! `cargo build --examples` for the same profile (Cargo does not hold its lock while tests run;
//! when everything is fresh this is a no-op). Every wait is bounded, and every child is killed
//! when its test ends, passed or failed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const SIGABRT: i32 = 6;
/// How long a child may take to print an expected line.
const LINE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a child may take to exit when it is expected to.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);
/// Socket connect, read and write timeout.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ---- finding and running the examples ----------------------------------------------------------

/// The path of example `name`, built for this test binary's profile.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/examples-HASH -> target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    BUILT
        .get_or_init(|| build_examples(profile_dir))
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "example {name} not found at {}",
        path.display()
    );
    path
}

fn build_examples(profile_dir: &Path) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--examples", "--quiet", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo to build the examples: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo build --examples` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A running example. Dropping it kills the process and reaps it.
struct Running {
    name: String,
    child: Child,
    lines: Receiver<String>,
    stdout_thread: Option<JoinHandle<()>>,
    stdout_seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

/// What a finished example did.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn dump(&self) -> String {
        format!(
            "--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
            describe(self.status),
            self.stdout,
            self.stderr
        )
    }

    fn exited(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "expected exit {code}\n{}",
            self.dump()
        );
        self
    }

    fn signalled(&self, sig: i32) -> &Self {
        assert_eq!(
            self.status.signal(),
            Some(sig),
            "expected signal {sig}\n{}",
            self.dump()
        );
        self
    }

    /// The single line the sandbox's reporter printed.
    fn report(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("sandbox: "))
            .collect();
        assert_eq!(lines.len(), 1, "expected one report line\n{}", self.dump());
        lines[0]
    }
}

fn describe(s: ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(sig)) => format!("signal {sig}"),
        _ => format!("{s:?}"),
    }
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = Command::new(example(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("RUST_BACKTRACE")
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        let stdout_thread = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Running {
            name: name.to_owned(),
            child,
            lines,
            stdout_thread: Some(stdout_thread),
            stdout_seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line on stdout; fails the test after [`LINE_TIMEOUT`].
    fn line(&mut self) -> String {
        match self.lines.recv_timeout(LINE_TIMEOUT) {
            Ok(line) => {
                self.stdout_seen.push(line.clone());
                line
            }
            Err(RecvTimeoutError::Timeout) => {
                let f = self.kill();
                panic!("{}: no line on stdout in time\n{}", self.name, f.dump());
            }
            Err(RecvTimeoutError::Disconnected) => {
                let f = self.kill();
                panic!("{}: stdout closed early\n{}", self.name, f.dump());
            }
        }
    }

    /// Whether the process is still running.
    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the process to exit by itself, killing it and failing after [`EXIT_TIMEOUT`].
    fn wait(mut self) -> Finished {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return self.collect(status);
            }
            if Instant::now() > deadline {
                let f = self.kill();
                panic!("{} did not exit in time\n{}", self.name, f.dump());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process (if still running) and returns what it did.
    fn kill(&mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait for a killed child");
        self.collect(status)
    }

    fn collect(&mut self, status: ExitStatus) -> Finished {
        if let Some(t) = self.stdout_thread.take() {
            let _ = t.join();
        }
        self.stdout_seen.extend(self.lines.try_iter());
        let mut stdout = String::new();
        for line in &self.stdout_seen {
            stdout.push_str(line);
            stdout.push('\n');
        }
        let stderr = self
            .stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        Finished {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("sandbox-examples-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Scratch(dir.canonicalize().expect("canonical scratch path"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The address at the end of a startup line such as `serving ROOT on 127.0.0.1:PORT`.
fn addr_at_end(line: &str) -> SocketAddr {
    line.rsplit(' ')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address at the end of {line:?}"))
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s
}

// ---- hello and violation -----------------------------------------------------------------------

#[test]
fn hello_prints_its_line_and_exits_0() {
    let f = Running::start("hello", &[]).wait();
    f.exited(0);
    assert_eq!(
        f.stdout,
        "Hello from a process that can no longer open files, sockets or programs.\n",
        "{}",
        f.dump()
    );
    assert!(!f.stderr.contains("sandbox:"), "{}", f.dump());
}

#[test]
fn violation_is_reported_and_aborts() {
    let f = Running::start("violation", &[]).wait();
    f.signalled(SIGABRT);
    assert!(
        f.stdout
            .contains("about to open /etc/hostname without rpath"),
        "{}",
        f.dump()
    );
    assert!(!f.stdout.contains("not reached"), "{}", f.dump());
    let report = f.report();
    for part in [
        "violation::main",
        "examples/violation.rs",
        "openat(",
        "\"/etc/hostname\"",
        "needs promise \"rpath\"",
    ] {
        assert!(report.contains(part), "report lacks {part:?}: {report}");
    }
}

/// The README's quoted violation line is what the example prints, byte for byte.
#[test]
fn readme_violation_line_is_what_violation_prints() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let quoted = readme
        .lines()
        .find(|l| l.starts_with("sandbox: phase violation::main"))
        .expect("README quotes the violation line");
    let f = Running::start("violation", &[]).wait();
    f.signalled(SIGABRT);
    assert_eq!(f.report(), quoted, "{}", f.dump());
}

// ---- fileserver ---------------------------------------------------------------------------------

struct HttpResponse {
    status: u16,
    body: String,
}

/// One GET with a raw request target (sent as is, `..` included), the connection closed after.
fn get(addr: SocketAddr, target: &str) -> HttpResponse {
    let mut s = connect(addr);
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("GET {target}: {e}"));
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("GET {target}: no header end in {raw:?}"));
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("GET {target}: bad status line in {raw:?}"));
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("GET {target}: no Content-Length in {raw:?}"));
    assert_eq!(length, body.len(), "GET {target}: Content-Length");
    HttpResponse {
        status,
        body: body.to_owned(),
    }
}

/// A web root with two files and a symlink that leads out of it, to /etc/passwd.
fn web_root(what: &str) -> Scratch {
    let s = Scratch::new(what);
    std::fs::create_dir(s.0.join("www")).unwrap();
    std::fs::write(s.0.join("www/index.html"), "<p>index</p>\n").unwrap();
    std::fs::write(s.0.join("www/hello.txt"), "hello, world\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", s.0.join("www/escape")).unwrap();
    s
}

/// Requests for /etc/passwd from outside the root; none may return its content. All but the
/// first reach /etc/passwd itself when nothing checks the path (the root is
/// /tmp/sandbox-examples-*/www, so the first one names /tmp/etc/passwd).
const ESCAPES: [&str; 5] = [
    "/../../etc/passwd",
    "/../../../../../../../../../etc/passwd",
    "//etc/passwd",
    "/%2e%2e/%2E%2E/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/escape",
];

fn assert_refused(addr: SocketAddr, target: &str) -> HttpResponse {
    let r = get(addr, target);
    assert!(
        !r.body.contains("root:"),
        "GET {target} leaked /etc/passwd: {}",
        r.body
    );
    assert!(
        r.status == 403 || r.status == 404,
        "GET {target}: status {} ({})",
        r.status,
        r.body
    );
    r
}

fn start_fileserver(root: &Path, extra: &[&str]) -> (Running, SocketAddr) {
    let root_arg = root.to_str().unwrap();
    let mut args = vec!["--root", root_arg, "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut server = Running::start("fileserver", &args);
    let line = server.line();
    assert!(
        line.starts_with(&format!("serving {} on 127.0.0.1:", root.display())),
        "startup line: {line:?}"
    );
    let addr = addr_at_end(&line);
    assert_ne!(addr.port(), 0);
    (server, addr)
}

#[test]
fn fileserver_serves_the_root_and_nothing_else() {
    let scratch = web_root("fileserver");
    let root = scratch.0.join("www");
    let (mut server, addr) = start_fileserver(&root, &[]);

    let r = get(addr, "/hello.txt");
    assert_eq!((r.status, r.body.as_str()), (200, "hello, world\n"));
    let r = get(addr, "/");
    assert_eq!((r.status, r.body.as_str()), (200, "<p>index</p>\n"));
    assert_eq!(get(addr, "/missing.txt").status, 404);

    for target in ESCAPES {
        let r = assert_refused(addr, target);
        if target == "/escape" {
            // The server's check cannot see where a symlink leads: the sandbox refuses it.
            assert_eq!(r.status, 403, "{}", r.body);
            assert!(r.body.contains("permission denied"), "{}", r.body);
        } else {
            assert_eq!(r.status, 403, "GET {target}: {}", r.body);
            assert!(r.body.contains("path leaves the root"), "{}", r.body);
        }
    }
    assert!(server.alive(), "the server died serving refused requests");
    let f = server.kill();
    assert!(
        f.stdout.contains("GET /hello.txt HTTP/1.1 -> 200"),
        "{}",
        f.dump()
    );
    assert!(!f.stderr.contains("sandbox:"), "{}", f.dump());
}

#[test]
fn fileserver_sandbox_refuses_escapes_without_the_path_check() {
    let scratch = web_root("fileserver-no-check");
    let root = scratch.0.join("www");
    let (mut server, addr) = start_fileserver(&root, &["--no-path-check"]);

    let r = get(addr, "/hello.txt");
    assert_eq!((r.status, r.body.as_str()), (200, "hello, world\n"));
    for target in ESCAPES {
        let r = assert_refused(addr, target);
        assert!(
            !r.body.contains("path leaves the root"),
            "GET {target}: the path check is supposed to be off: {}",
            r.body
        );
        if target != ESCAPES[0] {
            // The file exists and is readable by this user: only Landlock says no.
            assert_eq!(r.status, 403, "GET {target}: {}", r.body);
            assert!(r.body.contains("permission denied"), "{}", r.body);
        }
    }
    assert!(server.alive(), "the server died serving refused requests");
    let f = server.kill();
    assert!(!f.stderr.contains("sandbox:"), "{}", f.dump());
}

/// The README's demo request, against the default root: refused by the server's path check, and
/// with `--no-path-check` (as the README runs it) by the sandbox, the path then naming
/// /etc/passwd itself.
#[test]
fn readme_demo_request_reaches_the_sandbox() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let target = readme
        .lines()
        .find_map(|l| l.strip_prefix("curl --path-as-is http://127.0.0.1:8080"))
        .expect("README has the demo's curl line")
        .trim();
    assert!(
        readme.contains("cargo run --example fileserver -- --no-path-check"),
        "README shows how to pass --no-path-check"
    );
    let www = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/www")
        .canonicalize()
        .unwrap();
    // Lexically, as a server without a path check joins it: the target climbs to / and names
    // /etc/passwd.
    let mut p = www.clone();
    for c in target.trim_start_matches('/').split('/') {
        match c {
            ".." => {
                p.pop();
            }
            "" | "." => {}
            c => p.push(c),
        }
    }
    assert_eq!(
        p,
        Path::new("/etc/passwd"),
        "{target} from {}",
        www.display()
    );
    for (extra, why) in [
        (&[][..], "path leaves the root"),
        (&["--no-path-check"][..], "permission denied"),
    ] {
        let mut args = vec!["--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut server = Running::start("fileserver", &args);
        let addr = addr_at_end(&server.line());
        let r = assert_refused(addr, target);
        assert!(r.body.contains(why), "{extra:?}: {} {}", r.status, r.body);
        let f = server.kill();
        assert!(!f.stderr.contains("sandbox:"), "{}", f.dump());
    }
}

#[test]
fn fileserver_default_root_is_examples_www() {
    let mut server = Running::start("fileserver", &["--addr", "127.0.0.1:0"]);
    let line = server.line();
    let www = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/www")
        .canonicalize()
        .unwrap();
    assert!(
        line.starts_with(&format!("serving {} on ", www.display())),
        "{line:?}"
    );
    let r = get(addr_at_end(&line), "/hello.txt");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        std::fs::read_to_string(www.join("hello.txt")).unwrap()
    );
    server.kill();
}

// ---- privdrop -----------------------------------------------------------------------------------

fn is_root() -> bool {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The `Uid:`, `Gid:` or `Groups:` line of /proc/PID/status, without its label.
fn proc_status(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn privdrop_drops_to_nobody_and_cannot_climb_back() {
    if !is_root() {
        eprintln!(
            "skipping privdrop: it must start as root (to bind a port below 1024 and change user), and this test runs as uid {}",
            // SAFETY: getuid takes no arguments and cannot fail.
            unsafe { libc::getuid() }
        );
        return;
    }
    let mut server = Running::start("privdrop", &[]);
    let line = server.line();
    assert!(
        line.starts_with("listening on 127.0.0.1:")
            && line.ends_with("as uid 0 euid 0 gid 0 egid 0"),
        "{line:?}"
    );
    let addr: SocketAddr = line
        .split(' ')
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    assert!(addr.port() < 1024, "{addr} is not a privileged port");
    let line = server.line();
    assert_eq!(
        line,
        "dropped to uid 65534 euid 65534 gid 65534 egid 65534; setuid(0) now fails: Operation not permitted (os error 1)"
    );
    // What the kernel says, not only what the process says.
    let pid = server.pid();
    assert_eq!(proc_status(pid, "Uid:"), "65534 65534 65534 65534");
    assert_eq!(proc_status(pid, "Gid:"), "65534 65534 65534 65534");
    assert_eq!(proc_status(pid, "Groups:"), "");

    // An ordinary connection: the server answers with its ids.
    let s = connect(addr);
    let mut reader = BufReader::new(&s);
    let mut ids = String::new();
    reader.read_line(&mut ids).unwrap();
    assert_eq!(ids, "uid 65534 euid 65534 gid 65534 egid 65534\n");
    (&s).write_all(b"hello\n").unwrap();
    drop(reader);
    drop(s);

    // The escalation attempt.
    let s = connect(addr);
    let mut reader = BufReader::new(&s);
    let mut ids = String::new();
    reader.read_line(&mut ids).unwrap();
    assert_eq!(ids, "uid 65534 euid 65534 gid 65534 egid 65534\n");
    (&s).write_all(b"ESCALATE\n").unwrap();
    let mut rest = String::new();
    let _ = reader.read_to_string(&mut rest); // ends at EOF, or a reset when the process dies
    assert!(rest.starts_with("trying setuid(0)\n"), "{rest:?}");
    assert!(!rest.contains("ESCALATED"), "{rest:?}");
    assert!(!rest.contains("failed"), "{rest:?}");

    let f = server.wait();
    f.signalled(SIGABRT);
    assert!(!f.stdout.contains("ESCALATED"), "{}", f.dump());
    let report = f.report();
    for part in [
        "privdrop::serve",
        "[promises \"stdio inet\"]",
        "setuid(0)",
        "needs promise \"id\"",
    ] {
        assert!(report.contains(part), "report lacks {part:?}: {report}");
    }
}

// ---- async --------------------------------------------------------------------------------------

/// Sends `line` and reads one line back.
fn exchange(s: &TcpStream, reader: &mut impl BufRead, line: &str) -> String {
    let mut w = s;
    w.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut answer = String::new();
    reader.read_line(&mut answer).unwrap();
    answer
}

#[test]
fn async_worker_threads_are_sandboxed_too() {
    let mut server = Running::start("async", &["--addr", "127.0.0.1:0"]);
    let line = server.line();
    assert!(line.starts_with("echoing on 127.0.0.1:"), "{line:?}");
    let addr = addr_at_end(&line);

    // Two sessions at once, each a task on the runtime's workers.
    let a = connect(addr);
    let b = connect(addr);
    let mut ra = BufReader::new(&a);
    let mut rb = BufReader::new(&b);
    assert_eq!(exchange(&a, &mut ra, "hello"), "hello\n");
    assert_eq!(exchange(&b, &mut rb, "from b"), "from b\n");
    assert_eq!(exchange(&a, &mut ra, "again"), "again\n");

    let answer = exchange(&a, &mut ra, "OPEN");
    let thread = answer
        .strip_prefix("opening /etc/hostname on thread ")
        .unwrap_or_else(|| panic!("{answer:?}"))
        .trim_end();
    assert!(
        thread.starts_with("tokio-"),
        "the task ran on {thread:?}, not a runtime worker"
    );
    let mut rest = String::new();
    let _ = ra.read_to_string(&mut rest); // EOF or reset when the process dies
    assert!(!rest.contains("opened"), "{rest:?}");

    let f = server.wait();
    f.signalled(SIGABRT);
    assert!(!f.stdout.contains("not reached"), "{}", f.dump());
    let report = f.report();
    for part in [
        "async::main",
        "[promises \"stdio inet\"]",
        "openat(",
        "\"/etc/hostname\"",
        "needs promise \"rpath\"",
    ] {
        assert!(report.contains(part), "report lacks {part:?}: {report}");
    }
}

// ---- config -------------------------------------------------------------------------------------

#[test]
fn config_unveils_configured_paths_then_narrows() {
    let s = Scratch::new("config");
    let root = s.0.join("data");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(root.join("b.txt"), "bravo bravo\n").unwrap();
    let log = s.0.join("logs/index.log");
    std::fs::create_dir(s.0.join("logs")).unwrap();
    std::fs::write(&log, "an earlier run\n").unwrap();
    let config = s.0.join("indexer.conf");
    std::fs::write(
        &config,
        format!(
            "# where to read, where to log\nroot = {}\n\nlog = {}\n",
            root.display(),
            log.display()
        ),
    )
    .unwrap();

    let f = Running::start("config", &[config.to_str().unwrap()]).wait();
    f.exited(0);
    assert_eq!(
        f.stdout,
        "indexed a.txt: 6 bytes\n\
         indexed b.txt: 12 bytes\n\
         root still readable: 3 entries, 2 files indexed\n\
         log refused: Permission denied (os error 13)\n\
         config file refused: Permission denied (os error 13)\n",
        "{}",
        f.dump()
    );
    assert!(!f.stderr.contains("sandbox:"), "{}", f.dump());
    // Exactly what was written before the narrowing, appended to what was there.
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "an earlier run\nindexed a.txt: 6 bytes\nindexed b.txt: 12 bytes\n"
    );
}

#[test]
fn config_creates_a_missing_log() {
    let s = Scratch::new("config-new-log");
    let root = s.0.join("data");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("only.txt"), "x").unwrap();
    let log = s.0.join("new.log");
    let config = s.0.join("c.conf");
    std::fs::write(
        &config,
        format!("root = {}\nlog = {}\n", root.display(), log.display()),
    )
    .unwrap();
    let f = Running::start("config", &[config.to_str().unwrap()]).wait();
    f.exited(0);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "indexed only.txt: 1 bytes\n"
    );
}

#[test]
fn config_rejects_a_bad_file_before_any_phase() {
    let s = Scratch::new("config-bad");
    let config = s.0.join("bad.conf");
    std::fs::write(&config, "root = /tmp\n").unwrap();
    let f = Running::start("config", &[config.to_str().unwrap()]).wait();
    f.exited(1);
    assert!(f.stderr.contains("no `log = FILE` line"), "{}", f.dump());
    std::fs::write(&config, "root = /tmp\nlgo = /tmp/x\n").unwrap();
    let f = Running::start("config", &[config.to_str().unwrap()]).wait();
    f.exited(1);
    assert!(
        f.stderr.contains("line 2: unknown key \"lgo\""),
        "{}",
        f.dump()
    );
}
