//! Small real programs on the crates Rust daemons use, each entering the phase the README would
//! lead a user to. `tests/programs.rs` runs each one in a fresh process and checks what it did;
//! `--violate` makes a program do one thing its promises do not allow, after its real work, so
//! that the report can be checked too. Every program prints `key: value` lines and `done` last.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Real programs under sandbox phases")]
struct Cli {
    /// Run without entering any phase (the control).
    #[arg(long, global = true)]
    no_sandbox: bool,
    /// After the work, do one thing the promises do not allow.
    #[arg(long, global = true)]
    violate: bool,
    #[command(subcommand)]
    program: Program,
}

#[derive(Subcommand)]
enum Program {
    /// chrono's Local time, logged for a while under "stdio", from new threads too.
    Chrono {
        #[arg(long, default_value_t = 3)]
        secs: u64,
    },
    /// The time crate's local offset under "stdio".
    Time,
    /// tracing with a file appender and chrono's local timer, under "stdio wpath cpath" and an
    /// unveiled log directory.
    Tracing {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 2)]
        secs: u64,
    },
    /// rusqlite in WAL mode in an unveiled directory.
    Sqlite {
        #[arg(long)]
        dir: PathBuf,
        /// Drop to uid and gid 65534 first (the program starts as root).
        #[arg(long)]
        as_nobody: bool,
    },
    /// A rayon parallel sum under "stdio" (the pool starts after the phase).
    Rayon,
    /// clap + regex + walkdir over an unveiled tree under "stdio rpath".
    Walk {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        pattern: String,
    },
    /// `Command` with `pledge_exec`.
    Spawn {
        /// Leave `proc` out of the parent's promises.
        #[arg(long)]
        no_proc: bool,
    },
    /// memmap2 over a file under "stdio rpath".
    Mmap {
        #[arg(long)]
        file: PathBuf,
    },
    /// signal-hook: a flag set by SIGUSR1 raised under "stdio".
    Signals,
    /// dirs: the home directory without $HOME (the password database), under "stdio getpw".
    Home,
    /// tokio::fs and tokio unix sockets under "stdio rpath wpath cpath unix".
    TokioFs {
        #[arg(long)]
        dir: PathBuf,
    },
    /// rustls over loopback: a certificate made in the phase, a TLS server thread and a client.
    Tls,
    /// `#[sandbox::pledge]` above `#[tokio::main]`: a TCP echo served from a worker thread.
    TokioAbove,
    /// `#[sandbox::pledge]` below `#[tokio::main]`, the same echo.
    TokioBelow,
    /// An axum server with tower-http's static files under unveil, and a ureq client resolving
    /// "localhost", in one process.
    Http {
        #[arg(long)]
        dir: PathBuf,
    },
}

fn say(key: &str, value: impl std::fmt::Display) {
    println!("{key}: {value}");
    std::io::stdout().flush().unwrap();
}

fn main() {
    let cli = Cli::parse();
    let sandboxed = !cli.no_sandbox;
    // The tokio programs violate from inside a task, on a worker thread.
    let in_a_task = matches!(cli.program, Program::TokioAbove | Program::TokioBelow);
    match cli.program {
        Program::Chrono { secs } => chrono_daemon(sandboxed, secs),
        Program::Time => time_local(sandboxed),
        Program::Tracing { dir, secs } => tracing_daemon(sandboxed, &dir, secs),
        Program::Sqlite { dir, as_nobody } => sqlite(sandboxed, &dir, as_nobody),
        Program::Rayon => rayon_sum(sandboxed),
        Program::Walk { dir, pattern } => walk(sandboxed, &dir, &pattern),
        Program::Spawn { no_proc } => spawn(sandboxed, no_proc),
        Program::Mmap { file } => mmap(sandboxed, &file),
        Program::Signals => signals(sandboxed),
        Program::Home => home(sandboxed),
        Program::TokioFs { dir } => tokio_fs(sandboxed, &dir),
        Program::Http { dir } => http(sandboxed, &dir),
        Program::Tls => tls(sandboxed),
        Program::TokioAbove => tokio_above(cli.violate),
        Program::TokioBelow => tokio_below(cli.violate),
    }
    if cli.violate && !in_a_task {
        violate();
    }
    say("done", "yes");
}

/// The one forbidden thing, which none of these programs promises: setting the clock (to the
/// time it is, so that even a run without a sandbox changes nothing that matters).
fn violate() {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointers.
    let r = unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &raw mut now);
        libc::clock_settime(libc::CLOCK_REALTIME, &raw const now)
    };
    say("violation went on", r);
}

fn enter(sandboxed: bool, promises: &str) {
    if sandboxed {
        sandbox::pledge(promises).unwrap_or_else(|e| panic!("pledge({promises:?}): {e}"));
        say("pledged", promises);
    }
}

// ---- time ---------------------------------------------------------------------------------------

fn chrono_daemon(sandboxed: bool, secs: u64) {
    let start = chrono::Local::now();
    say("offset at start", start.offset());
    enter(sandboxed, "stdio");
    let end = Instant::now() + Duration::from_secs(secs);
    let mut lines = 0;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(250));
        let now = chrono::Local::now();
        // A new thread has its own cache: it reads the zone file again.
        let from_thread = std::thread::spawn(|| chrono::Local::now().offset().to_string())
            .join()
            .unwrap();
        if now.offset().to_string() != start.offset().to_string()
            || from_thread != start.offset().to_string()
        {
            say("offset changed", format!("{} {from_thread}", now.offset()));
        }
        lines += 1;
    }
    say("logged lines", lines);
    say("offset at end", chrono::Local::now().offset());
}

fn time_local(sandboxed: bool) {
    enter(sandboxed, "stdio");
    match time::OffsetDateTime::now_local() {
        Ok(t) => say("local offset", t.offset()),
        Err(e) => say("local offset", format!("error: {e}")),
    }
}

fn tracing_daemon(sandboxed: bool, dir: &Path, secs: u64) {
    let appender = tracing_appender::rolling::never(dir, "daemon.log");
    tracing_subscriber::fmt()
        .with_writer(appender)
        .with_timer(tracing_subscriber::fmt::time::ChronoLocal::rfc_3339())
        .with_ansi(false)
        .init();
    tracing::info!("starting");
    if sandboxed {
        sandbox::Restrict::new()
            .unveil(dir, "rwc")
            .unwrap()
            .pledge("stdio wpath cpath")
            .apply()
            .unwrap_or_else(|e| panic!("phase: {e}"));
        say("pledged", "stdio wpath cpath, unveil the log directory rwc");
    }
    let end = Instant::now() + Duration::from_secs(secs);
    let mut n = 0;
    while Instant::now() < end {
        tracing::info!(n, "tick");
        std::thread::spawn(move || tracing::info!(n, "from a thread"))
            .join()
            .unwrap();
        n += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    say("ticks", n);
}

// ---- storage ------------------------------------------------------------------------------------

fn sqlite(sandboxed: bool, dir: &Path, as_nobody: bool) {
    if as_nobody {
        // SAFETY: integer arguments; the process is single-threaded here.
        let ok = unsafe {
            libc::setresgid(65534, 65534, 65534) == 0 && libc::setresuid(65534, 65534, 65534) == 0
        };
        say("dropped to nobody", ok);
    }
    if sandboxed {
        sandbox::Restrict::new()
            .unveil(dir, "rwc")
            .unwrap()
            .pledge("stdio rpath wpath cpath flock")
            .apply()
            .unwrap_or_else(|e| panic!("phase: {e}"));
        say(
            "pledged",
            "stdio rpath wpath cpath flock, unveil the database directory rwc",
        );
    }
    let c = rusqlite::Connection::open(dir.join("app.db")).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    say("journal mode", mode);
    c.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)", [])
        .unwrap();
    let tx = c.unchecked_transaction().unwrap();
    for i in 0..100 {
        tx.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
    }
    tx.commit().unwrap();
    let sum: i64 = c
        .query_row("SELECT sum(x) FROM t", [], |r| r.get(0))
        .unwrap();
    say("sum", sum);
    // A second connection reads through the WAL and its shared-memory index.
    let c2 = rusqlite::Connection::open(dir.join("app.db")).unwrap();
    let n: i64 = c2
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    say("rows seen by a second connection", n);
}

fn walk(sandboxed: bool, dir: &Path, pattern: &str) {
    let re = regex::Regex::new(pattern).unwrap();
    if sandboxed {
        sandbox::Restrict::new()
            .unveil(dir, "r")
            .unwrap()
            .pledge("stdio rpath")
            .apply()
            .unwrap_or_else(|e| panic!("phase: {e}"));
        say("pledged", "stdio rpath, unveil the tree r");
    }
    let (mut files, mut matching, mut lines) = (0, 0, 0);
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let n = text.lines().filter(|l| re.is_match(l)).count();
        if n > 0 {
            matching += 1;
            lines += n;
        }
    }
    say("files", files);
    say("matching files", matching);
    say("matching lines", lines);
    // Outside the unveiled tree: refused by Landlock (an error, not a report).
    say(
        "outside the tree",
        match std::fs::read_dir("/etc") {
            Ok(_) => "listed".to_owned(),
            Err(e) => format!("error: {e}"),
        },
    );
}

fn mmap(sandboxed: bool, file: &Path) {
    enter(sandboxed, "stdio rpath");
    let f = std::fs::File::open(file).unwrap();
    // SAFETY: the file is not changed while mapped (the test made it and waits).
    let m = unsafe { memmap2::Mmap::map(&f) }.unwrap();
    say("mapped bytes", m.len());
    say("first byte", m[0]);
    let mut anon = memmap2::MmapMut::map_anon(4096).unwrap();
    anon[0] = 7;
    say("anonymous map", anon[0]);
}

// ---- threads, processes, signals ------------------------------------------------------------------

fn rayon_sum(sandboxed: bool) {
    use rayon::prelude::*;
    enter(sandboxed, "stdio");
    let sum: u64 = (0..1_000_000u64).into_par_iter().sum();
    say("sum", sum);
    say("threads", rayon::current_num_threads());
}

fn spawn(sandboxed: bool, no_proc: bool) {
    use sandbox::CommandExt;
    enter(
        sandboxed,
        if no_proc {
            "stdio rpath exec prot_exec"
        } else {
            "stdio rpath proc exec prot_exec"
        },
    );
    let mut cmd = std::process::Command::new("/bin/echo");
    cmd.arg("from the child");
    let out = cmd
        .pledge_exec("stdio rpath prot_exec")
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|c| c.output());
    match out {
        Ok(o) => say(
            "child said",
            format!(
                "{} ({})",
                String::from_utf8_lossy(&o.stdout).trim(),
                o.status
            ),
        ),
        Err(e) => say("spawn", format!("error: {e}")),
    }
}

fn signals(sandboxed: bool) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&flag)).unwrap();
    enter(sandboxed, "stdio");
    signal_hook::low_level::raise(signal_hook::consts::SIGUSR1).unwrap();
    say("flag set by SIGUSR1", flag.load(Ordering::SeqCst));
}

fn home(sandboxed: bool) {
    // SAFETY: single-threaded here; nothing reads the environment concurrently.
    unsafe { std::env::remove_var("HOME") };
    enter(sandboxed, "stdio getpw");
    say("home", format!("{:?}", dirs::home_dir()));
}

// ---- files and networks with tokio ------------------------------------------------------------------

fn tokio_fs(sandboxed: bool, dir: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    enter(sandboxed, "stdio rpath wpath cpath unix");
    rt.block_on(async {
        let f = dir.join("note.txt");
        tokio::fs::write(&f, b"written by tokio").await.unwrap();
        let back = tokio::fs::read_to_string(&f).await.unwrap();
        say("read back", back);
        let sock = dir.join("s.sock");
        let _ = tokio::fs::remove_file(&sock).await;
        let l = tokio::net::UnixListener::bind(&sock).unwrap();
        let server = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = String::new();
            s.read_to_string(&mut buf).await.unwrap();
            buf
        });
        {
            use tokio::io::AsyncWriteExt;
            let mut c = tokio::net::UnixStream::connect(&sock).await.unwrap();
            c.write_all(b"over a unix socket").await.unwrap();
        }
        say("server got", server.await.unwrap());
    });
}

fn http(sandboxed: bool, dir: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    if sandboxed {
        // After the bind: serving needs accept, reading the documents, and (for the client in
        // this process) resolving "localhost" and connecting.
        sandbox::Restrict::new()
            .unveil(dir, "r")
            .unwrap()
            .pledge("stdio rpath inet dns")
            .apply()
            .unwrap_or_else(|e| panic!("phase: {e}"));
        say(
            "pledged",
            "stdio rpath inet dns, unveil the document root r",
        );
    }
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir));
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    for name in ["index.html", "../../../../etc/passwd", "missing.html"] {
        let url = format!("http://localhost:{port}/{name}");
        let answer = match ureq::get(&url).timeout(Duration::from_secs(5)).call() {
            Ok(r) => {
                let status = r.status();
                let mut body = String::new();
                r.into_reader().read_to_string(&mut body).unwrap();
                format!("{status} {}", body.trim())
            }
            Err(ureq::Error::Status(code, _)) => format!("{code}"),
            Err(e) => format!("error: {e}"),
        };
        say(&format!("GET /{name}"), answer);
    }
}

// ---- the order of #[sandbox::pledge] and #[tokio::main] --------------------------------------------

#[sandbox::pledge("stdio inet")]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_above(violate_in_a_task: bool) {
    echo_on_a_worker(violate_in_a_task).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
#[sandbox::pledge("stdio inet")]
async fn tokio_below(violate_in_a_task: bool) {
    echo_on_a_worker(violate_in_a_task).await;
}

/// A listener bound and served by a task (on a worker thread), a client in this one; with
/// `violate_in_a_task`, the serving task then does the forbidden thing itself.
async fn echo_on_a_worker(violate_in_a_task: bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    say("pledged", "stdio inet");
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).await.unwrap();
        s.write_all(&buf[..n]).await.unwrap();
        let thread = std::thread::current().name().unwrap_or("?").to_owned();
        if violate_in_a_task {
            violate();
        }
        thread
    });
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(b"ping").await.unwrap();
    let mut back = [0u8; 4];
    c.read_exact(&mut back).await.unwrap();
    say("echoed", String::from_utf8_lossy(&back));
    say("served on", server.await.unwrap());
}

// ---- TLS ------------------------------------------------------------------------------------------

fn tls(sandboxed: bool) {
    use std::sync::Arc;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    enter(sandboxed, "stdio inet");
    // Everything from here runs under the phase: key generation, both handshakes, the records.
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut conn = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
        let mut buf = [0u8; 64];
        let n = tls.read(&mut buf).unwrap();
        tls.write_all(&buf[..n]).unwrap();
        tls.flush().unwrap();
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(client_config), name).unwrap();
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    tls.write_all(b"over TLS").unwrap();
    let mut back = [0u8; 8];
    tls.read_exact(&mut back).unwrap();
    say("echoed", String::from_utf8_lossy(&back));
    say(
        "protocol",
        format!("{:?}", conn.protocol_version().unwrap()),
    );
    server.join().unwrap();
}
