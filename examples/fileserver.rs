//! A small HTTP/1.1 static file server in two phases, with std only.
//!
//! - Init (`main`): parse the arguments, check the root, bind the port. Its promises include
//!   `unveil`, which the serve phase needs to apply its Landlock rules.
//! - Serve (`serve`): `stdio rpath inet`, and only the root is visible, read-only. The server's
//!   own check rejects `..` and absolute paths; the sandbox refuses them too (and symlinks that
//!   lead out of the root, which the check cannot see), answering EACCES, sent as 403. Besides
//!   the root, only the files that `stdio` implies stay reachable (`/dev/null`, `/etc/localtime`,
//!   `/usr/share/zoneinfo`), and Landlock does not hide whether a path exists (`stat` works
//!   anywhere), so a refused path answers 403 and a missing one 404.
//!
//! One request per connection, one connection at a time. `GET` only; a directory serves its
//! `index.html`.
//!
//! ```text
//! cargo run --example fileserver -- [--root DIR] [--addr HOST:PORT] [--no-path-check]
//! curl -i http://127.0.0.1:8080/hello.txt
//! curl -i --path-as-is http://127.0.0.1:8080/../../etc/passwd
//! ```
//!
//! `--addr 127.0.0.1:0` picks a free port; the startup line `serving ROOT on ADDR` names it.
//! `--no-path-check` turns the server's own path check off, to show the sandbox alone at work.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::process::exit;
use std::time::Duration;

const USAGE: &str = "usage: fileserver [--root DIR] [--addr HOST:PORT] [--no-path-check]";

/// The longest request line or header line read, in bytes.
const MAX_LINE: u64 = 8192;
/// The most header lines read before answering.
const MAX_HEADERS: usize = 100;
/// How long a client may take to send its request, or to take the response.
const TIMEOUT: Duration = Duration::from_secs(5);

struct Options {
    root: PathBuf,
    addr: String,
    path_check: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        root: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/www")),
        addr: "127.0.0.1:8080".to_owned(),
        path_check: true,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => opts.root = args.next().ok_or("--root needs a directory")?.into(),
            "--addr" => opts.addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--no-path-check" => opts.path_check = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

#[sandbox::pledge("stdio rpath inet unveil")]
fn main() {
    let opts = parse_args(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("fileserver: {e}\n{USAGE}");
        exit(2);
    });
    let root = std::fs::canonicalize(&opts.root).unwrap_or_else(|e| {
        eprintln!("fileserver: root {}: {e}", opts.root.display());
        exit(1);
    });
    if !root.is_dir() {
        eprintln!("fileserver: root {} is not a directory", root.display());
        exit(1);
    }
    let listener = TcpListener::bind(&opts.addr).unwrap_or_else(|e| {
        eprintln!("fileserver: cannot listen on {}: {e}", opts.addr);
        exit(1);
    });
    serve(listener, &root, opts.path_check);
}

/// The serve phase: from here on the process reads files beneath `root` and nothing else.
#[sandbox::pledge("stdio rpath inet")]
#[sandbox::unveil(root, "r")]
fn serve(listener: TcpListener, root: &Path, path_check: bool) {
    match listener.local_addr() {
        Ok(addr) => println!("serving {} on {addr}", root.display()),
        Err(e) => println!("serving {} on an unknown address ({e})", root.display()),
    }
    for conn in listener.incoming() {
        let result = conn.and_then(|stream| handle(&stream, root, path_check));
        if let Err(e) = result {
            eprintln!("fileserver: {e}");
        }
    }
}

struct Response {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn error(status: u16, reason: &'static str, why: &str) -> Response {
        Response {
            status,
            reason,
            content_type: "text/plain; charset=utf-8",
            body: format!("{status} {reason}: {why}\n").into_bytes(),
        }
    }
}

/// Reads one request from `stream`, answers it and closes the connection.
fn handle(stream: &TcpStream, root: &Path, path_check: bool) -> io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    let request_line = read_line(&mut reader)?;
    // The headers are read and ignored: nothing here depends on them.
    for _ in 0..MAX_HEADERS {
        if read_line(&mut reader)?.is_empty() {
            break;
        }
    }
    let response = respond(&request_line, root, path_check);
    println!(
        "{} -> {} ({} bytes)",
        request_line.escape_debug(),
        response.status,
        response.body.len()
    );
    // Head and body in one buffer, sent with one write (a `write!` straight to the socket would
    // send each formatted piece in a call of its own).
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        response.reason,
        response.content_type,
        response.body.len()
    )
    .into_bytes();
    out.extend_from_slice(&response.body);
    let mut stream = stream;
    stream.write_all(&out)
}

/// One line without its line ending, at most [`MAX_LINE`] bytes.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    reader.take(MAX_LINE).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "request line missing, cut short or too long",
        ));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn respond(request_line: &str, root: &Path, path_check: bool) -> Response {
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Response::error(400, "Bad Request", "malformed request line");
    };
    if !version.starts_with("HTTP/1.") {
        return Response::error(400, "Bad Request", "only HTTP/1.x is spoken here");
    }
    if method != "GET" {
        return Response::error(405, "Method Not Allowed", "only GET is served");
    }
    let target = target.split(['?', '#']).next().unwrap_or_default();
    let Some(decoded) = percent_decode(target) else {
        return Response::error(400, "Bad Request", "bad percent-encoding");
    };
    let Some(relative) = decoded.strip_prefix(b"/") else {
        return Response::error(400, "Bad Request", "the target must start with /");
    };
    let relative = Path::new(OsStr::from_bytes(relative));
    if path_check
        && relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Response::error(403, "Forbidden", "path leaves the root");
    }
    // Without the check above, `..` walks out of the root and an absolute path replaces it:
    // only the sandbox stands in the way then.
    let mut path = root.join(relative);
    if path.is_dir() {
        path.push("index.html");
    }
    match std::fs::read(&path) {
        Ok(body) => Response {
            status: 200,
            reason: "OK",
            content_type: content_type(&path),
            body,
        },
        Err(e) => match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => {
                Response::error(404, "Not Found", "no such file")
            }
            io::ErrorKind::PermissionDenied => Response::error(
                403,
                "Forbidden",
                "permission denied (this server may read only beneath its root)",
            ),
            io::ErrorKind::InvalidInput => Response::error(400, "Bad Request", "bad path"),
            _ => Response::error(500, "Internal Server Error", "cannot read the file"),
        },
    }
}

/// `%XX` decoding; `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(OsStr::to_str) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}
