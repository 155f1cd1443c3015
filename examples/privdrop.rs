//! A daemon's classic staged privilege drop: bind a privileged port as root, become `nobody`,
//! then serve without the power to change identity again.
//!
//! - `main` (`stdio inet id`): binds a port below 1024 (root only), then switches to uid and gid
//!   65534 (`nobody`/`nogroup`): supplementary groups cleared first, then the gid, then the uid.
//!   It checks that the kernel now refuses `setuid(0)`.
//! - `serve` (`stdio inet`): no `id`, no `proc`. Each connection gets one line with the process's
//!   ids; a client that then sends `ESCALATE` makes the server call `setuid(0)`, which the sandbox
//!   reports and punishes: the process dies by SIGABRT after a line naming `setuid` and the
//!   promise `id`. Without the sandbox the kernel would refuse it with EPERM; the sandbox also
//!   catches a server whose drop went wrong, or a bug that tries to climb back.
//!
//! ```text
//! sudo cargo run --example privdrop -- [--port N]
//! nc 127.0.0.1 PORT               # prints "uid 65534 euid 65534 gid 65534 egid 65534"
//! echo ESCALATE | nc 127.0.0.1 PORT
//! ```
//!
//! Without `--port` it takes the first free port from 600 to 999 on 127.0.0.1.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::exit;
use std::time::Duration;

/// `nobody`'s uid, and `nogroup`'s gid, on Debian and most other distributions.
const NOBODY: u32 = 65534;

#[sandbox::pledge("stdio inet id")]
fn main() {
    let port = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => None,
        [flag, n] if flag == "--port" => Some(n.parse::<u16>().unwrap_or_else(|e| {
            eprintln!("privdrop: bad port {n:?}: {e}");
            exit(2);
        })),
        _ => {
            eprintln!("usage: privdrop [--port N]");
            exit(2);
        }
    };
    if ids().euid != 0 {
        eprintln!(
            "privdrop: must be started as root, to bind a port below 1024 and to change user"
        );
        exit(1);
    }
    let listener = bind(port).unwrap_or_else(|e| {
        eprintln!("privdrop: cannot bind a port below 1024: {e}");
        exit(1);
    });
    let addr = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("listening on {addr} as {}", ids());

    if let Err(e) = become_user(NOBODY, NOBODY) {
        eprintln!("privdrop: cannot drop privileges: {e}");
        exit(1);
    }
    // The drop must be irreversible before anything else happens: the kernel says so here,
    // and from `serve` on the sandbox says so too.
    match setuid(0) {
        Err(e) => println!("dropped to {}; setuid(0) now fails: {e}", ids()),
        Ok(()) => {
            eprintln!("privdrop: setuid(0) still works after the drop; refusing to serve");
            exit(1);
        }
    }
    serve(listener);
}

/// The serving phase: sockets and I/O only. Changing identity is a reported violation.
#[sandbox::pledge("stdio inet")]
fn serve(listener: TcpListener) {
    for conn in listener.incoming() {
        if let Err(e) = conn.and_then(|stream| handle(&stream)) {
            eprintln!("privdrop: {e}");
        }
    }
}

fn handle(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut out = stream;
    writeln!(out, "{}", ids())?;
    let mut line = String::new();
    BufReader::new(stream).take(1024).read_line(&mut line)?;
    if line.trim_end() == "ESCALATE" {
        writeln!(out, "trying setuid(0)")?;
        println!("a client asked for setuid(0); trying");
        match setuid(0) {
            Ok(()) => {
                println!("ESCALATED: now {}", ids());
                writeln!(out, "ESCALATED: now {}", ids())?;
            }
            Err(e) => writeln!(out, "setuid(0) failed: {e}")?,
        }
    }
    Ok(())
}

/// Binds 127.0.0.1:`port`, or the first free port from 600 to 999.
fn bind(port: Option<u16>) -> io::Result<TcpListener> {
    if let Some(port) = port {
        return TcpListener::bind((Ipv4Addr::LOCALHOST, port));
    }
    let mut last = io::Error::other("no port tried");
    for port in 600..1000 {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(last)
}

struct Ids {
    uid: u32,
    euid: u32,
    gid: u32,
    egid: u32,
}

impl std::fmt::Display for Ids {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "uid {} euid {} gid {} egid {}",
            self.uid, self.euid, self.gid, self.egid
        )
    }
}

fn ids() -> Ids {
    // SAFETY: the four getters take no arguments, touch no memory of ours and cannot fail.
    unsafe {
        Ids {
            uid: libc::getuid(),
            euid: libc::geteuid(),
            gid: libc::getgid(),
            egid: libc::getegid(),
        }
    }
}

/// Clears the supplementary groups, then sets the gid, then the uid: in that order, since
/// after the uid changes the process may no longer change its groups.
fn become_user(uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: a zero-length list; the kernel reads nothing through the null pointer.
    check(unsafe { libc::setgroups(0, std::ptr::null()) })?;
    // SAFETY: setgid takes a plain integer.
    check(unsafe { libc::setgid(gid) })?;
    setuid(uid)
}

fn setuid(uid: u32) -> io::Result<()> {
    // SAFETY: setuid takes a plain integer. The process is single-threaded, so glibc makes the
    // syscall directly instead of signalling other threads.
    check(unsafe { libc::setuid(uid) })
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
