//! The compatibility matrix: for each promise, the operations it names work under exactly the
//! promises listed for them, and without any one of those promises fail with a report naming
//! it. Real std and libc behaviour is the oracle (DESIGN.md, Testing).
//!
//! Four sets of rows, each case in a fresh process:
//!
//! - Rust std: this binary runs itself with `--scenario std OP VARIANT`; the child prepares the
//!   operation (files, listeners), calls `sandbox::pledge`, performs it and prints
//!   `compat-ok: ...` on stderr. Where the `x86_64-unknown-linux-musl` target is installed, the
//!   same scenarios run from a musl build of this test (a nested `cargo test --no-run` into
//!   `target/tmp/compat-musl`) and must meet the same expectations.
//! - Rust std, holding every other file promise: file rows on files outside /tmp, with every
//!   promise that touches files except the row's own; `tmppath`, `dns` and `getpw` name other
//!   files and must not reach these.
//! - C through libc: `tests/compat/ops.c`, compiled with gcc (glibc, dynamically linked) and
//!   musl-gcc (static). A C program cannot call the Rust API, so it installs the filter that
//!   `sandbox-policy` compiles for the same promises (the program `sandbox::pledge` installs),
//!   after its loader ran, with a stand-in SIGSYS handler that prints the trapped call; the
//!   parent names the missing promise with the table's `explain`, as the reporter does.
//! - exec: a Rust child pledges and `exec`s the C program, to show which promises starting a
//!   dynamically or statically linked program needs.
//!
//! Each row is run under its promises (it must work, and its effect must be visible) and once
//! for each of them removed (it must be denied with a report naming that promise, and its
//! effect must not have happened); `Case::expect` lists the few exceptions the kernel forces
//! (a denial while the C library blocks every signal kills by SIGSYS; a program's loader after
//! `execve` has no reporter), each explained in the document's notes. The results are written to docs/COMPATIBILITY.md with
//! `SANDBOX_BLESS=1`; otherwise the file is compared with them and the test fails when it is out
//! of date.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt as _, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sandbox_policy::{Arch, Penalty, Policy, Promise, PromiseSet, Table};

const SIGABRT: i32 = 6;
const SIGSYS: i32 = 31;
const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/COMPATIBILITY.md");
const BLESS: &str = "SANDBOX_BLESS=1 cargo test --test compat";
const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";

// ---- the rows -------------------------------------------------------------------------------

/// What runs after the pledge; prepared before it.
type After = Box<dyn FnOnce() -> Result<String, String>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Plain,
    /// Starts a dynamically linked program: without `rpath` or `prot_exec` that program's loader
    /// is killed by SIGSYS (the reporter does not survive `execve`), while this process goes on.
    Spawns,
    /// Panics: works means exit 101 with the panic message and no report.
    Panics,
    /// As `Panics`, with `RUST_BACKTRACE=1`: the backtrace is printed too.
    PanicsWithBacktrace,
    /// Sleeps for 500 ms; the parent stops and continues it in the middle.
    Sleeps,
    /// A call some C library makes with every signal blocked (musl's `fork` around `clone`,
    /// musl's `set*id` through `__synccall`): the kernel cannot deliver SIGSYS to a thread that
    /// blocks it, so a denial kills the process by SIGSYS instead of reaching the reporter.
    BlocksSignals,
    /// Changes a file's group to the group it already has: a no-op the reporter answers 0
    /// without `fattr` (see `sandbox-runtime/src/answer.rs`).
    SameOwner,
    /// Starts the C program with `exec` after the pledge (no fork): without `rpath` or
    /// `prot_exec` a dynamically linked program's loader is killed by SIGSYS.
    Execs,
}

struct StdOp {
    name: &'static str,
    promises: &'static str,
    kind: Kind,
    before: fn(&Path) -> After,
    effect: Option<fn(&Path) -> bool>,
}

struct COp {
    name: &'static str,
    op: &'static str,
    promises: &'static str,
    kind: Kind,
    effect: Option<fn(&Path) -> bool>,
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> String {
    move |e| format!("{what}: {e}")
}

fn spawned(st: ExitStatus) -> Result<String, String> {
    match st.signal() {
        Some(sig) => Err(format!("spawned program killed by signal {sig}")),
        None => Ok(format!("exit {:?}", st.code())),
    }
}

fn exchange(mut a: impl Write, mut b: impl Read) -> Result<String, String> {
    a.write_all(b"ping").map_err(io("write"))?;
    let mut buf = [0u8; 4];
    b.read_exact(&mut buf).map_err(io("read"))?;
    Ok(format!("exchanged {}", String::from_utf8_lossy(&buf)))
}

const INPUT: &str = "compat input\n";

/// `Ok(detail)` when `cond` holds: what an operation returned was right.
fn check(cond: bool, detail: String) -> Result<String, String> {
    if cond {
        Ok(detail)
    } else {
        Err(format!("wrong result: {detail}"))
    }
}

fn last_error(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Passes `fd` from `a` to `b` with SCM_RIGHTS (std has no stable API for it) and returns the
/// descriptor `b` received.
fn pass_fd(a: RawFd, b: RawFd, fd: RawFd) -> Result<RawFd, String> {
    let mut byte = [b'x'];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u64; 8]; // aligned, and larger than CMSG_SPACE(sizeof(int))
    // SAFETY: msghdr is plain data, for which all zeroes is a valid value.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = &raw mut iov;
    m.msg_iovlen = 1;
    m.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE and CMSG_LEN only compute sizes. CMSG_FIRSTHDR returns a pointer into
    // `control`, which has room for one header and one int; CMSG_DATA points after the header.
    unsafe {
        m.msg_controllen = libc::CMSG_SPACE(4) as _;
        let c = libc::CMSG_FIRSTHDR(&raw const m);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(4) as _;
        std::ptr::copy_nonoverlapping((&raw const fd).cast::<u8>(), libc::CMSG_DATA(c), 4);
    }
    // SAFETY: `m` points at `iov` and `control`, both alive for the call.
    if unsafe { libc::sendmsg(a, &raw const m, 0) } != 1 {
        return Err(last_error("sendmsg"));
    }
    control = [0; 8];
    // SAFETY: as above; recvmsg writes at most `msg_controllen` bytes into `control`.
    unsafe {
        m.msg_control = control.as_mut_ptr().cast();
        m.msg_controllen = std::mem::size_of_val(&control) as _;
        if libc::recvmsg(b, &raw mut m, 0) != 1 {
            return Err(last_error("recvmsg"));
        }
        let c = libc::CMSG_FIRSTHDR(&raw const m);
        if c.is_null() || (*c).cmsg_type != libc::SCM_RIGHTS {
            return Err("no descriptor received".into());
        }
        let mut got: RawFd = -1;
        std::ptr::copy_nonoverlapping(libc::CMSG_DATA(c), (&raw mut got).cast::<u8>(), 4);
        Ok(got)
    }
}

// Effects, checked by the parent: present after the run under the row's promises, absent after
// a denied run.
fn wrote(d: &Path) -> bool {
    std::fs::read(d.join("in.txt")).is_ok_and(|v| v.starts_with(b"W"))
}
fn rewrote(d: &Path) -> bool {
    std::fs::read(d.join("in.txt")).is_ok_and(|v| v == b"written")
}
fn created(d: &Path) -> bool {
    d.join("new.txt").exists()
}
fn copied(d: &Path) -> bool {
    std::fs::read(d.join("copy.txt")).is_ok_and(|v| v == INPUT.as_bytes())
}
fn renamed(d: &Path) -> bool {
    d.join("renamed.txt").exists() && !d.join("old.txt").exists()
}
fn removed(d: &Path) -> bool {
    !d.join("gone.txt").exists()
}
fn made(d: &Path) -> bool {
    d.join("made").is_dir()
}
fn rmdired(d: &Path) -> bool {
    !d.join("emptydir").exists()
}
fn tree_removed(d: &Path) -> bool {
    !d.join("tree").exists()
}
fn chmodded(d: &Path) -> bool {
    std::fs::metadata(d.join("in.txt")).is_ok_and(|m| m.permissions().mode() & 0o777 == 0o600)
}
fn tmp_created(d: &Path) -> bool {
    d.join("tmp.txt").exists()
}
fn fifo_made(d: &Path) -> bool {
    d.join("fifo").exists()
}
fn linked(d: &Path) -> bool {
    d.join("link").symlink_metadata().is_ok()
}

/// The scratch directory every row starts from.
fn prepare_dir(d: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(d.join("dir"))?;
    std::fs::create_dir_all(d.join("emptydir"))?;
    std::fs::create_dir_all(d.join("tree/sub"))?;
    std::fs::write(d.join("in.txt"), INPUT)?;
    std::fs::set_permissions(d.join("in.txt"), std::fs::Permissions::from_mode(0o644))?;
    for f in [
        "old.txt",
        "gone.txt",
        "dir/a",
        "dir/b",
        "tree/f",
        "tree/sub/g",
    ] {
        std::fs::write(d.join(f), "x")?;
    }
    std::os::unix::fs::symlink("in.txt", d.join("alias"))?;
    Ok(())
}

#[allow(clippy::too_many_lines)] // it is the table
fn std_ops() -> Vec<StdOp> {
    use Kind::*;
    use std::fs;
    vec![
        StdOp {
            name: "fs::read",
            promises: "stdio rpath",
            kind: Plain,
            before: |d| {
                let p = d.join("in.txt");
                Box::new(move || {
                    let v = fs::read(p).map_err(io("read"))?;
                    Ok(format!("read {} bytes", v.len()))
                })
            },
            effect: None,
        },
        StdOp {
            name: "fs::write (existing file)",
            promises: "stdio wpath cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("in.txt");
                Box::new(move || {
                    fs::write(p, "written")
                        .map_err(io("write"))
                        .map(|()| "wrote".into())
                })
            },
            effect: Some(rewrote),
        },
        StdOp {
            name: "OpenOptions::write (existing file)",
            promises: "stdio wpath",
            kind: Plain,
            before: |d| {
                let p = d.join("in.txt");
                Box::new(move || {
                    let mut f = fs::OpenOptions::new()
                        .write(true)
                        .open(p)
                        .map_err(io("open"))?;
                    f.write_all(b"W").map_err(io("write"))?;
                    Ok("wrote".into())
                })
            },
            effect: Some(wrote),
        },
        StdOp {
            name: "File::create (new file)",
            promises: "stdio wpath cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("new.txt");
                Box::new(move || {
                    let mut f = fs::File::create(p).map_err(io("create"))?;
                    f.write_all(b"new").map_err(io("write"))?;
                    Ok("created".into())
                })
            },
            effect: Some(created),
        },
        StdOp {
            name: "fs::copy",
            promises: "stdio rpath wpath cpath fattr",
            kind: Plain,
            before: |d| {
                let (from, to) = (d.join("in.txt"), d.join("copy.txt"));
                Box::new(move || {
                    fs::copy(from, to)
                        .map_err(io("copy"))
                        .map(|n| format!("copied {n} bytes"))
                })
            },
            effect: Some(copied),
        },
        StdOp {
            name: "fs::rename",
            promises: "stdio cpath",
            kind: Plain,
            before: |d| {
                let (from, to) = (d.join("old.txt"), d.join("renamed.txt"));
                Box::new(move || {
                    fs::rename(from, to)
                        .map_err(io("rename"))
                        .map(|()| "renamed".into())
                })
            },
            effect: Some(renamed),
        },
        StdOp {
            name: "fs::remove_file",
            promises: "stdio cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("gone.txt");
                Box::new(move || {
                    fs::remove_file(p)
                        .map_err(io("remove"))
                        .map(|()| "removed".into())
                })
            },
            effect: Some(removed),
        },
        StdOp {
            name: "fs::create_dir",
            promises: "stdio cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("made");
                Box::new(move || {
                    fs::create_dir(p)
                        .map_err(io("create_dir"))
                        .map(|()| "made".into())
                })
            },
            effect: Some(made),
        },
        StdOp {
            name: "fs::remove_dir",
            promises: "stdio cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("emptydir");
                Box::new(move || {
                    fs::remove_dir(p)
                        .map_err(io("remove_dir"))
                        .map(|()| "removed".into())
                })
            },
            effect: Some(rmdired),
        },
        StdOp {
            name: "fs::remove_dir_all",
            promises: "stdio rpath cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("tree");
                Box::new(move || {
                    fs::remove_dir_all(p)
                        .map_err(io("remove_dir_all"))
                        .map(|()| "removed".into())
                })
            },
            effect: Some(tree_removed),
        },
        StdOp {
            name: "fs::read_dir",
            promises: "stdio rpath",
            kind: Plain,
            before: |d| {
                let p = d.join("dir");
                Box::new(move || {
                    let n = fs::read_dir(p).map_err(io("read_dir"))?.count();
                    Ok(format!("{n} entries"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "fs::canonicalize",
            promises: "stdio rpath",
            kind: Plain,
            before: |d| {
                let (p, want) = (d.join("dir/../alias"), d.join("in.txt"));
                Box::new(move || {
                    let got = fs::canonicalize(p).map_err(io("canonicalize"))?;
                    check(got == want, format!("resolved to {}", got.display()))
                })
            },
            effect: None,
        },
        StdOp {
            name: "fs::metadata",
            promises: "stdio rpath",
            kind: Plain,
            before: |d| {
                let p = d.join("in.txt");
                Box::new(move || {
                    fs::metadata(p)
                        .map_err(io("metadata"))
                        .map(|m| format!("{} bytes", m.len()))
                })
            },
            effect: None,
        },
        StdOp {
            name: "File::metadata (file opened before)",
            promises: "stdio",
            kind: Plain,
            before: |d| {
                let f = fs::File::open(d.join("in.txt"));
                Box::new(move || {
                    let m = f.map_err(io("open"))?.metadata().map_err(io("metadata"))?;
                    Ok(format!("{} bytes", m.len()))
                })
            },
            effect: None,
        },
        StdOp {
            name: "File::create under /tmp",
            promises: "stdio tmppath",
            kind: Plain,
            before: |d| {
                let p = d.join("tmp.txt");
                Box::new(move || {
                    fs::File::create(p)
                        .map_err(io("create"))
                        .map(|_| "created".into())
                })
            },
            effect: Some(tmp_created),
        },
        StdOp {
            name: "flock (libc, file opened before)",
            promises: "stdio flock",
            kind: Plain,
            before: |d| {
                let f = fs::File::open(d.join("in.txt"));
                Box::new(move || {
                    let f = f.map_err(io("open"))?;
                    // SAFETY: flock on a descriptor this closure owns.
                    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
                        return Err(last_error("flock"));
                    }
                    Ok("locked".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "mkfifo (libc)",
            promises: "stdio dpath",
            kind: Plain,
            before: |d| {
                let p =
                    std::ffi::CString::new(d.join("fifo").into_os_string().into_encoded_bytes());
                Box::new(move || {
                    let p = p.map_err(|e| e.to_string())?;
                    // SAFETY: mkfifo with a NUL-terminated path that lives for the call.
                    if unsafe { libc::mkfifo(p.as_ptr(), 0o600) } != 0 {
                        return Err(last_error("mkfifo"));
                    }
                    Ok("made".into())
                })
            },
            effect: Some(fifo_made),
        },
        StdOp {
            name: "os::unix::fs::chown (own group)",
            promises: "stdio fattr",
            kind: SameOwner,
            before: |d| {
                let p = d.join("in.txt");
                Box::new(move || {
                    // SAFETY: getgid cannot fail.
                    let gid = unsafe { libc::getgid() };
                    std::os::unix::fs::chown(p, None, Some(gid)).map_err(io("chown"))?;
                    Ok("changed".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "getpwuid (libc)",
            promises: "stdio getpw",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    // SAFETY: getpwuid returns NULL or a pointer to libc's static record, read
                    // at once on this thread.
                    let uid = unsafe { libc::getpwuid(0).as_ref().map(|pw| pw.pw_uid) };
                    let uid = uid.ok_or_else(|| last_error("getpwuid"))?;
                    check(uid == 0, format!("found uid {uid}"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "setresuid to the same ids (libc)",
            promises: "stdio id",
            kind: BlocksSignals,
            before: |_| {
                Box::new(|| {
                    let same = libc::uid_t::MAX;
                    // SAFETY: setresuid with "unchanged" for every id.
                    if unsafe { libc::setresuid(same, same, same) } != 0 {
                        return Err(last_error("setresuid"));
                    }
                    Ok("unchanged".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "fs::set_permissions",
            promises: "stdio fattr",
            kind: Plain,
            before: |d| {
                let p = d.join("in.txt");
                Box::new(move || {
                    fs::set_permissions(p, fs::Permissions::from_mode(0o600))
                        .map_err(io("set_permissions"))?;
                    Ok("changed".into())
                })
            },
            effect: Some(chmodded),
        },
        StdOp {
            name: "os::unix::fs::symlink",
            promises: "stdio cpath",
            kind: Plain,
            before: |d| {
                let p = d.join("link");
                Box::new(move || {
                    std::os::unix::fs::symlink("in.txt", p)
                        .map_err(io("symlink"))
                        .map(|()| "linked".into())
                })
            },
            effect: Some(linked),
        },
        StdOp {
            name: "fs::read_link",
            promises: "stdio rpath",
            kind: Plain,
            before: |d| {
                let p = d.join("alias");
                Box::new(move || {
                    fs::read_link(p)
                        .map_err(io("read_link"))
                        .map(|t| t.display().to_string())
                })
            },
            effect: None,
        },
        StdOp {
            name: "env::current_dir",
            promises: "stdio rpath",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    std::env::current_dir()
                        .map_err(io("current_dir"))
                        .map(|_| "got it".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "thread::spawn + join",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    Ok(format!(
                        "joined {}",
                        std::thread::spawn(|| 21 * 2).join().unwrap_or(0)
                    ))
                })
            },
            effect: None,
        },
        StdOp {
            name: "thread::scope",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let total: i32 = std::thread::scope(|s| {
                        let a = s.spawn(|| 1);
                        let b = s.spawn(|| 2);
                        a.join().unwrap_or(0) + b.join().unwrap_or(0)
                    });
                    Ok(format!("sum {total}"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "mpsc channel between threads",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let (tx, rx) = std::sync::mpsc::channel();
                    let t = std::thread::spawn(move || tx.send(7));
                    let v = rx.recv().map_err(|e| e.to_string())?;
                    let _ = t.join();
                    Ok(format!("received {v}"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "Command::status (/bin/true)",
            promises: "stdio rpath proc exec prot_exec",
            kind: Spawns,
            before: |_| {
                Box::new(|| spawned(Command::new("/bin/true").status().map_err(io("spawn"))?))
            },
            effect: None,
        },
        StdOp {
            name: "Command::output (echo, found on PATH)",
            promises: "stdio rpath proc exec prot_exec",
            kind: Spawns,
            before: |_| {
                Box::new(|| {
                    let out = Command::new("echo")
                        .arg("compat")
                        .output()
                        .map_err(io("spawn"))?;
                    // The child's stderr (a report from it) is captured with its output.
                    std::io::stderr()
                        .write_all(&out.stderr)
                        .map_err(io("stderr"))?;
                    spawned(out.status)?;
                    Ok(format!("output {:?}", String::from_utf8_lossy(&out.stdout)))
                })
            },
            effect: None,
        },
        StdOp {
            name: "TcpListener::bind + accept",
            promises: "stdio inet",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("bind"))?;
                    let a = l.local_addr().map_err(io("local_addr"))?;
                    let c = std::net::TcpStream::connect(a).map_err(io("connect"))?;
                    let (s, _) = l.accept().map_err(io("accept"))?;
                    exchange(c, s)
                })
            },
            effect: None,
        },
        StdOp {
            name: "TcpStream::connect (listener bound before)",
            promises: "stdio inet",
            kind: Plain,
            before: |_| {
                let l = std::net::TcpListener::bind("127.0.0.1:0");
                Box::new(move || {
                    let l = l.map_err(io("bind"))?;
                    let a = l.local_addr().map_err(io("local_addr"))?;
                    let c = std::net::TcpStream::connect(a).map_err(io("connect"))?;
                    let (s, _) = l.accept().map_err(io("accept"))?;
                    exchange(c, s)
                })
            },
            effect: None,
        },
        StdOp {
            name: "UdpSocket::bind + send_to + recv_from",
            promises: "stdio inet",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let s = std::net::UdpSocket::bind("127.0.0.1:0").map_err(io("bind"))?;
                    let a = s.local_addr().map_err(io("local_addr"))?;
                    s.send_to(b"ping", a).map_err(io("send_to"))?;
                    let mut buf = [0u8; 8];
                    let (n, _) = s.recv_from(&mut buf).map_err(io("recv_from"))?;
                    Ok(format!("received {n} bytes"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "UnixListener::bind + accept",
            promises: "stdio unix",
            kind: Plain,
            before: |d| {
                let p = d.join("s.sock");
                Box::new(move || {
                    let l = std::os::unix::net::UnixListener::bind(&p).map_err(io("bind"))?;
                    let c = std::os::unix::net::UnixStream::connect(&p).map_err(io("connect"))?;
                    let (s, _) = l.accept().map_err(io("accept"))?;
                    exchange(c, s)
                })
            },
            effect: None,
        },
        StdOp {
            name: "UnixStream::connect (listener bound before)",
            promises: "stdio unix",
            kind: Plain,
            before: |d| {
                let p = d.join("l.sock");
                let l = std::os::unix::net::UnixListener::bind(&p);
                Box::new(move || {
                    let l = l.map_err(io("bind"))?;
                    let c = std::os::unix::net::UnixStream::connect(&p).map_err(io("connect"))?;
                    let (s, _) = l.accept().map_err(io("accept"))?;
                    exchange(c, s)
                })
            },
            effect: None,
        },
        StdOp {
            name: "UnixStream::pair",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let (a, b) = std::os::unix::net::UnixStream::pair().map_err(io("pair"))?;
                    exchange(a, b)
                })
            },
            effect: None,
        },
        StdOp {
            name: "UnixStream::pair + SCM_RIGHTS (libc sendmsg, recvmsg)",
            promises: "stdio sendfd recvfd",
            kind: Plain,
            before: |d| {
                let f = fs::File::open(d.join("in.txt"));
                let pair = std::os::unix::net::UnixStream::pair();
                Box::new(move || {
                    let (f, (a, b)) = (f.map_err(io("open"))?, pair.map_err(io("pair"))?);
                    let got = pass_fd(a.as_raw_fd(), b.as_raw_fd(), f.as_raw_fd())?;
                    // SAFETY: `got` is a descriptor recvmsg just created for this process.
                    let got = unsafe { fs::File::from_raw_fd(got) };
                    let n = std::os::unix::fs::FileExt::read_at(&got, &mut [0; 64], 0)
                        .map_err(io("read"))?;
                    Ok(format!("read {n} bytes through the passed descriptor"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "UdpSocket::set_multicast_ttl_v4",
            promises: "stdio inet mcast",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let s = std::net::UdpSocket::bind("127.0.0.1:0").map_err(io("bind"))?;
                    s.set_multicast_ttl_v4(2)
                        .map_err(io("set_multicast_ttl_v4"))?;
                    Ok("set".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "to_socket_addrs (\"localhost\")",
            promises: "stdio dns",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    use std::net::ToSocketAddrs;
                    let n = ("localhost", 80)
                        .to_socket_addrs()
                        .map_err(io("resolve"))?
                        .count();
                    check(n > 0, format!("{n} addresses"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "thread::sleep across SIGSTOP/SIGCONT",
            promises: "stdio",
            kind: Sleeps,
            before: |_| {
                Box::new(|| {
                    let t0 = Instant::now();
                    let mut out = std::io::stdout();
                    out.write_all(b"sleeping\n")
                        .and_then(|()| out.flush())
                        .map_err(io("stdout"))?;
                    std::thread::sleep(Duration::from_millis(500));
                    let slept = t0.elapsed();
                    check(
                        slept >= Duration::from_millis(500),
                        format!("slept {} ms", slept.as_millis() / 100 * 100),
                    )
                })
            },
            effect: None,
        },
        StdOp {
            name: "CPU-time clocks (clock_gettime)",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    for clock in [
                        libc::CLOCK_PROCESS_CPUTIME_ID,
                        libc::CLOCK_THREAD_CPUTIME_ID,
                    ] {
                        let mut ts = libc::timespec {
                            tv_sec: 0,
                            tv_nsec: 0,
                        };
                        // SAFETY: clock_gettime with a valid clock id and a pointer to a local.
                        if unsafe { libc::clock_gettime(clock, &raw mut ts) } != 0 {
                            return Err(format!(
                                "clock {clock}: {}",
                                std::io::Error::last_os_error()
                            ));
                        }
                    }
                    Ok("read both".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "available_parallelism",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let n = std::thread::available_parallelism()
                        .map_err(io("available_parallelism"))?;
                    Ok(format!("{n} CPUs"))
                })
            },
            effect: None,
        },
        StdOp {
            name: "HashMap::new (getrandom)",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    let m: std::collections::HashMap<u8, u8> = [(1, 2)].into_iter().collect();
                    Ok(format!("{} entry", m.len()))
                })
            },
            effect: None,
        },
        StdOp {
            name: "println! (stdout is a pipe)",
            promises: "stdio",
            kind: Plain,
            before: |_| {
                Box::new(|| {
                    println!("hello from println");
                    std::io::stdout().flush().map_err(io("flush"))?;
                    Ok("printed".into())
                })
            },
            effect: None,
        },
        StdOp {
            name: "panic",
            promises: "stdio",
            kind: Panics,
            before: |_| {
                Box::new(|| {
                    eprintln!("compat-ok: panicking");
                    panic!("compat panic");
                })
            },
            effect: None,
        },
        StdOp {
            name: "panic with RUST_BACKTRACE=1",
            promises: "stdio",
            kind: PanicsWithBacktrace,
            before: |_| {
                Box::new(|| {
                    eprintln!("compat-ok: panicking");
                    panic!("compat panic");
                })
            },
            effect: None,
        },
    ]
}

fn c_ops(libc: Libc) -> Vec<COp> {
    use Kind::*;
    let op = |name, op, promises, kind, effect| COp {
        name,
        op,
        promises,
        kind,
        effect,
    };
    vec![
        op(
            "start the program (exec after the pledge)",
            "noop",
            "",
            Execs,
            None,
        ),
        op("open O_RDONLY + read", "read", "stdio rpath", Plain, None),
        op(
            "open O_WRONLY + write (existing file)",
            "write",
            "stdio wpath",
            Plain,
            Some(wrote),
        ),
        op(
            "fopen \"w\" (new file)",
            "create",
            "stdio wpath cpath",
            Plain,
            Some(created),
        ),
        op(
            "copy: read a file into a new one (O_CREAT, O_TRUNC)",
            "copy",
            "stdio rpath wpath cpath",
            Plain,
            Some(copied),
        ),
        op("rename", "rename", "stdio cpath", Plain, Some(renamed)),
        op("unlink", "unlink", "stdio cpath", Plain, Some(removed)),
        op("mkdir", "mkdir", "stdio cpath", Plain, Some(made)),
        op("rmdir", "rmdir", "stdio cpath", Plain, Some(rmdired)),
        op("opendir + readdir", "readdir", "stdio rpath", Plain, None),
        op("realpath", "realpath", "stdio rpath", Plain, None),
        op("stat", "stat", "stdio rpath", Plain, None),
        op("fstat (file opened before)", "fstat", "stdio", Plain, None),
        op("chmod", "chmod", "stdio fattr", Plain, Some(chmodded)),
        op(
            "chown to the own group",
            "chown",
            "stdio fattr",
            Plain,
            None,
        ),
        op(
            "open O_CREAT under /tmp",
            "tmpfile",
            "stdio tmppath",
            Plain,
            Some(tmp_created),
        ),
        op(
            "flock (file opened before)",
            "flock",
            "stdio flock",
            Plain,
            None,
        ),
        op("mkfifo", "mkfifo", "stdio dpath", Plain, Some(fifo_made)),
        op("getpwuid", "getpwuid", "stdio getpw", Plain, None),
        op(
            "setresuid to the same ids",
            "setresuid",
            "stdio id",
            BlocksSignals,
            None,
        ),
        op("symlink", "symlink", "stdio cpath", Plain, Some(linked)),
        op("readlink", "readlink", "stdio rpath", Plain, None),
        op("getcwd", "getcwd", "stdio rpath", Plain, None),
        op("pthread_create + join", "pthread", "stdio", Plain, None),
        op("fork + waitpid", "fork", "stdio proc", BlocksSignals, None),
        op(
            "posix_spawn /bin/true",
            "posix_spawn",
            "stdio rpath proc exec prot_exec",
            Spawns,
            None,
        ),
        op(
            "TCP socket + bind + listen + connect + accept",
            "tcp_listen",
            "stdio inet",
            Plain,
            None,
        ),
        op(
            "TCP connect (listener bound before)",
            "tcp_connect",
            "stdio inet",
            Plain,
            None,
        ),
        op(
            "UDP socket + bind + sendto + recvfrom",
            "udp",
            "stdio inet",
            Plain,
            None,
        ),
        op(
            "unix socket + bind + listen + connect + accept",
            "unix_listen",
            "stdio unix",
            Plain,
            None,
        ),
        op(
            "unix connect (listener bound before)",
            "unix_connect",
            "stdio unix",
            Plain,
            None,
        ),
        op("socketpair", "socketpair", "stdio", Plain, None),
        op(
            "socketpair + sendmsg/recvmsg SCM_RIGHTS",
            "sendfd",
            "stdio sendfd recvfd",
            Plain,
            None,
        ),
        op(
            "setsockopt IP_MULTICAST_TTL",
            "mcast",
            "stdio inet mcast",
            Plain,
            None,
        ),
        op(
            "getaddrinfo(\"localhost\")",
            "getaddrinfo",
            "stdio dns",
            Plain,
            None,
        ),
        op(
            "nanosleep across SIGSTOP/SIGCONT",
            "sleep",
            "stdio",
            Sleeps,
            None,
        ),
        op(
            "clock_gettime, CPU-time clocks",
            "cputime",
            "stdio",
            Plain,
            None,
        ),
        op(
            "sysconf(_SC_NPROCESSORS_ONLN)",
            "nprocs",
            match libc {
                Libc::Glibc => "stdio rpath",
                Libc::Musl => "stdio",
            },
            Plain,
            None,
        ),
        op("printf (stdout is a pipe)", "printf", "stdio", Plain, None),
    ]
}

/// The promises a C program's start needs on top of its operation's, by linking.
fn exec_promises(libc: Libc) -> &'static str {
    match libc {
        Libc::Glibc => "stdio rpath exec prot_exec",
        Libc::Musl => "stdio exec",
    }
}

/// What a reader of the matrix needs to know about a row, by section and row name.
fn note(section: Section, name: &str) -> Option<&'static str> {
    Some(match (section, name) {
        (Section::Std, "fs::copy") => {
            "std gives the copy the source's permissions with `fchmod`, which is `fattr` (as on OpenBSD)."
        }
        (Section::Std, "fs::write (existing file)") => {
            "`fs::write` always opens with `O_CREAT|O_TRUNC`, so it needs `cpath` even when the file exists; `OpenOptions::new().write(true)` does not."
        }
        (Section::Std, "available_parallelism") => {
            "std reads the cgroup CPU quota first; the reporter answers that open with EACCES (not a report) and std falls back to `sched_getaffinity`."
        }
        (Section::Std, "panic" | "panic with RUST_BACKTRACE=1") => {
            "While a thread panics the reporter answers denied calls with EPERM (the backtrace printer opens the executable and asks for the working directory), so a panic ends as a panic, exit 101. Not run without `stdio`: what std does with the failed calls differs by C library (glibc's futex error aborts)."
        }
        (Section::Std, "Command::status (/bin/true)" | "Command::output (echo, found on PATH)") => {
            "Without `proc`: std's `posix_spawn` (glibc) blocks every signal around `clone`, where a trap could not reach the reporter, so that clone answers EPERM and the spawn fails with \"Operation not permitted\". Without `exec`: the report comes from the spawned child (it shares the parent's handler until `execve`), which dies; the parent goes on. `output()` opens /dev/null for stdin, which needs `rpath`."
        }
        (Section::Std, "to_socket_addrs (\"localhost\")")
        | (Section::C(Libc::Glibc), "getaddrinfo(\"localhost\")") => {
            "glibc's resolver first asks nscd over a unix socket, then reads nsswitch.conf, host.conf, resolv.conf and hosts."
        }
        (Section::C(_), "posix_spawn /bin/true") => {
            "Without `proc`: `posix_spawn` blocks every signal around `clone` (glibc and musl), where a trap could not reach the reporter, so that clone answers EPERM and `posix_spawn` fails. Without `exec`: the vfork child reports and dies; the parent goes on."
        }
        (Section::C(Libc::Musl), "fork + waitpid") => {
            "Without `proc`: musl's `fork` blocks every signal around `clone`, where a trap could not reach the reporter, so a clone that makes a process answers EPERM (with glibc too) and `fork` fails."
        }
        (Section::C(Libc::Musl), "setresuid to the same ids") => {
            "Without `id`: musl runs `set*id` through `__synccall`, which blocks every signal, so the kernel kills the process by SIGSYS without a report."
        }
        (Section::Std, "File::create under /tmp") | (Section::C(_), "open O_CREAT under /tmp") => {
            "`tmppath` allows creating files anywhere as far as seccomp can tell; `sandbox::pledge` confines it to /tmp with Landlock when none of `rpath`, `wpath`, `cpath` is held (not applied to the C programs)."
        }
        (Section::Std, "getpwuid (libc)") | (Section::C(Libc::Glibc), "getpwuid") => {
            "glibc asks nscd over a unix socket first, then reads nsswitch.conf and /etc/passwd."
        }
        (Section::C(Libc::Musl), "getpwuid") => {
            "musl reads /etc/passwd, then asks nscd over a unix socket."
        }
        (Section::C(Libc::Musl), "getaddrinfo(\"localhost\")") => {
            "musl reads /etc/hosts and resolv.conf."
        }
        (Section::Std, "UnixStream::pair + SCM_RIGHTS (libc sendmsg, recvmsg)")
        | (Section::C(_), "socketpair + sendmsg/recvmsg SCM_RIGHTS") => {
            "`sendmsg`/`recvmsg` carry descriptors in a struct seccomp cannot read: `sendfd`/`recvfd` allow the calls whole, as do `inet`, `unix` and `dns`."
        }
        (Section::Std, "os::unix::fs::chown (own group)")
        | (Section::C(_), "chown to the own group") => {
            "`fattr` may change the group (owner -1); changing the owner needs `chown`. Changing them to what the file has is answered 0 without either by the runtime's reporter (SQLite does it as root); the C programs, which install the filter with a reporter of their own, get the report."
        }
        (Section::C(Libc::Glibc), "sysconf(_SC_NPROCESSORS_ONLN)") => {
            "glibc reads /sys/devices/system/cpu/online; Rust's `available_parallelism` copes with that open being refused, a C program started under a pledge has no reporter to refuse it softly. musl asks `sched_getaffinity`."
        }
        (Section::C(Libc::Glibc), "start the program (exec after the pledge)") => {
            "The loader opens ld.so.cache and the libraries (`rpath`) and maps them executable (`prot_exec`); its calls are killed by SIGSYS, as the reporter does not survive `execve`."
        }
        (Section::C(Libc::Musl), "start the program (exec after the pledge)") => {
            "Statically linked: no loader, no files, no executable mappings."
        }
        _ => return None,
    })
}

// ---- sections and cases ---------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Std,
    /// Std file rows again, holding every other file promise, on files outside /tmp.
    StdOthers,
    C(Libc),
}

/// The std rows run again in [`Section::StdOthers`]. Not `fs::metadata`: stat is allowed under
/// the path-precise promises and Landlock does not restrict it (README, "unveil").
const OTHERS_ROWS: &[&str] = &[
    "fs::read",
    "fs::read_dir",
    "OpenOptions::write (existing file)",
    "File::create (new file)",
    "fs::remove_file",
];

/// Every promise that opens, creates, changes or removes files.
fn file_promises() -> PromiseSet {
    parse("stdio rpath wpath cpath dpath tmppath fattr dns getpw")
}

impl Section {
    fn heading(self) -> &'static str {
        match self {
            Section::Std => "## Rust std",
            Section::StdOthers => "## Rust std, holding every other file promise",
            Section::C(Libc::Glibc) => "## C, glibc (gcc, dynamically linked)",
            Section::C(Libc::Musl) => "## C, musl (musl-gcc -static)",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Section::Std => "std",
            Section::StdOthers => "std-others",
            Section::C(l) => l.name(),
        }
    }
}

/// One row's fixed facts, whichever section it is in.
#[derive(Clone, Copy)]
struct Row {
    section: Section,
    index: usize,
    name: &'static str,
    promises: PromiseSet,
    kind: Kind,
    effect: Option<fn(&Path) -> bool>,
}

impl Row {
    /// The promises the row runs under: its own, plus what starting the C program needs for
    /// the exec rows.
    fn base(&self) -> PromiseSet {
        match (self.section, self.kind) {
            (Section::C(l), Kind::Execs) => parse(exec_promises(l)),
            _ => self.promises,
        }
    }
}

#[derive(Clone, Copy)]
struct Case {
    row: Row,
    /// None: under the row's promises; Some(p): with p removed.
    without: Option<Promise>,
}

impl Case {
    fn promises(&self) -> PromiseSet {
        match (self.row.section, self.without) {
            (Section::StdOthers, Some(p)) => file_promises().minus(PromiseSet::of(p)),
            (_, None) => self.row.base(),
            (_, Some(p)) => self.row.base().minus(PromiseSet::of(p)),
        }
    }
    fn variant(&self) -> String {
        match (self.row.section, self.without) {
            (_, None) => "all".into(),
            (Section::StdOthers, Some(p)) => format!("others-{}", p.name()),
            (_, Some(p)) => format!("-{}", p.name()),
        }
    }
    fn display(&self) -> String {
        format!(
            "{}: {} [{}]",
            self.row.section.tag(),
            self.row.name,
            self.variant()
        )
    }
    /// The outcomes that meet the row's promise: the first is the rule, the others are the
    /// exceptions the notes explain.
    fn expect(&self) -> Vec<Expect> {
        use Expect::*;
        let Some(p) = self.without else {
            return vec![Works];
        };
        let loader = matches!(p, Promise::Rpath | Promise::ProtExec);
        // Holding a path-precise promise, the call passes seccomp by its flags and Landlock
        // refuses it outside that promise's files (EACCES, no report).
        let precise = [Promise::Tmppath, Promise::Dns, Promise::Getpw];
        if self.row.section == Section::StdOthers
            && precise.iter().any(|q| self.promises().contains(*q))
        {
            return vec![Reported(p), Refused];
        }
        match self.row.kind {
            Kind::Execs if loader && self.row.section == Section::C(Libc::Glibc) => {
                vec![Killed(SIGSYS)]
            }
            Kind::Spawns if loader => vec![SpawnKilled, Reported(p)],
            Kind::Spawns if p == Promise::Exec => vec![Reported(p), ChildReported(p)],
            // Without proc a clone that makes a process answers EPERM (libc blocks every
            // signal around it, so a trap could not be reported).
            Kind::Spawns | Kind::BlocksSignals if p == Promise::Proc => vec![Eperm],
            Kind::BlocksSignals => vec![Reported(p), Killed(SIGSYS)],
            Kind::SameOwner => vec![Works],
            _ => vec![Reported(p)],
        }
    }
}

fn parse(s: &str) -> PromiseSet {
    PromiseSet::parse(s).unwrap_or_else(|e| panic!("bad promises {s:?}: {e}"))
}

fn rows(sections: &[Section]) -> Vec<Row> {
    let mut out = Vec::new();
    for &section in sections {
        match section {
            Section::Std | Section::StdOthers => {
                for (index, op) in std_ops().iter().enumerate() {
                    if section == Section::StdOthers && !OTHERS_ROWS.contains(&op.name) {
                        continue;
                    }
                    out.push(Row {
                        section,
                        index,
                        name: op.name,
                        promises: parse(op.promises),
                        kind: op.kind,
                        effect: op.effect,
                    });
                }
            }
            Section::C(libc) => {
                for (index, op) in c_ops(libc).iter().enumerate() {
                    out.push(Row {
                        section,
                        index,
                        name: op.name,
                        promises: parse(op.promises),
                        kind: op.kind,
                        effect: op.effect,
                    });
                }
            }
        }
    }
    out
}

fn cases(rows: &[Row]) -> Vec<Case> {
    let mut out = Vec::new();
    for &row in rows {
        if row.section == Section::StdOthers {
            for p in row.base().minus(PromiseSet::of(Promise::Stdio)).iter() {
                out.push(Case {
                    row,
                    without: Some(p),
                });
            }
            continue;
        }
        out.push(Case { row, without: None });
        // Every row holds stdio, the floor of any real program: a row is about the promises
        // it needs beyond it, and only rows that need nothing more are run without stdio.
        let stdio = PromiseSet::of(Promise::Stdio);
        let beyond = row.base().minus(stdio);
        let key = match row.kind {
            // A panic must end as a panic whatever the promises (the reporter answers calls
            // denied while panicking with EPERM): there is no promise to remove.
            Kind::Panics | Kind::PanicsWithBacktrace => PromiseSet::EMPTY,
            _ if beyond.is_empty() => row.base(),
            _ => beyond,
        };
        for p in key.iter() {
            out.push(Case {
                row,
                without: Some(p),
            });
        }
    }
    out
}

// ---- outcomes -------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Did what it should: the detail it printed.
    Works(String),
    /// Died by SIGABRT after a report: the call and the promises it names.
    Denied { call: String, needs: String },
    /// A child it spawned reported and died; it went on.
    ChildDenied { call: String, needs: String },
    /// Went on, but the program it started was killed by this signal.
    SpawnKilled(i32),
    /// Killed by this signal without a report.
    Killed(i32),
    /// The call failed with EACCES: Landlock confined a path-precise promise (tmppath, dns,
    /// getpw) that seccomp let through by its flags.
    Refused(String),
    /// Anything else.
    Failed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Works,
    /// A report naming the promise, this process dying by SIGABRT.
    Reported(Promise),
    /// A report naming the promise from the child it spawned, which died; this one went on.
    ChildReported(Promise),
    /// The program it spawned was killed by SIGSYS; this one went on.
    SpawnKilled,
    /// Killed by this signal without a report.
    Killed(i32),
    /// EACCES from Landlock, the process going on.
    Refused,
    /// The call failed with EPERM, the process going on.
    Eperm,
}

impl Outcome {
    fn cell(&self) -> String {
        match self {
            Outcome::Works(_) => "works".into(),
            Outcome::Denied { needs, .. } => format!("report: needs {needs}"),
            Outcome::ChildDenied { needs, .. } => {
                format!("report from the spawned child: needs {needs}")
            }
            Outcome::SpawnKilled(sig) => format!("program killed by {}", signame(*sig)),
            Outcome::Killed(sig) => format!("killed by {}", signame(*sig)),
            Outcome::Refused(_) => "refused: EACCES (Landlock)".into(),
            Outcome::Failed(why) => format!("fails: {}", why.replace('|', "\\|")),
        }
    }
    fn detail(&self) -> String {
        match self {
            Outcome::Works(d) => format!("works: {d}"),
            Outcome::Denied { call, needs } => format!("denied: {call} needs {needs}"),
            Outcome::ChildDenied { call, needs } => {
                format!("denied in the child: {call} needs {needs}")
            }
            other => other.cell(),
        }
    }
}

fn signame(sig: i32) -> String {
    match sig {
        SIGABRT => "SIGABRT".into(),
        SIGSYS => "SIGSYS".into(),
        9 => "SIGKILL".into(),
        11 => "SIGSEGV".into(),
        n => format!("signal {n}"),
    }
}

fn describe(s: ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(sig)) => signame(sig),
        _ => format!("{s:?}"),
    }
}

struct Raw {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// Something the parent noticed (a stop that never happened).
    note: Option<String>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| sandbox_policy::table(Arch::native().expect("a supported architecture")))
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|w| w.strip_prefix(key))
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// The C programs' stand-in reporter line, explained with the table as the reporter would.
fn explain_c(line: &str, held: PromiseSet, pid: u32) -> Outcome {
    let nr = field(line, "nr=").and_then(hex);
    let args: Vec<u64> = field(line, "args=")
        .map(|a| a.split(',').filter_map(hex).collect())
        .unwrap_or_default();
    let (Some(nr), Ok(args)) = (nr, <[u64; 6]>::try_from(args)) else {
        return Outcome::Failed(format!("unreadable line {line:?}"));
    };
    let nr = nr as u32;
    let name = Arch::native()
        .and_then(|a| a.syscall_name(nr))
        .unwrap_or("unknown");
    let call = format!(
        "{name}({})",
        args.iter()
            .map(|a| format!("{a:#x}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let all = table().explain_all(held, nr, &args, pid);
    let needs = match all.as_slice() {
        [] => "(no promise allows these arguments)".into(),
        [first, ..] if first.is_empty() => "(held: denied by another filter)".into(),
        sets => sets
            .iter()
            .map(|s| s.to_pledge_string())
            .collect::<Vec<_>>()
            .join(" or "),
    };
    Outcome::Denied { call, needs }
}

fn classify(case: &Case, raw: &Raw, pid: u32) -> Outcome {
    let report = raw
        .stderr
        .lines()
        .find(|l| l.starts_with("sandbox: ") && l.ends_with("; aborting"));
    let sigsys_line = raw
        .stderr
        .lines()
        .find(|l| l.starts_with("compat-sigsys: "));
    let ok = raw
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("compat-ok: "));
    let failed = raw
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("compat-fail: "));
    if let Some(note) = &raw.note {
        return Outcome::Failed(note.clone());
    }
    let spawn_killed = failed
        .and_then(|f| f.strip_prefix("spawned program killed by signal "))
        .and_then(|s| s.trim().parse::<i32>().ok());
    let denied = match (report, sigsys_line) {
        (Some(line), _) => {
            let body = line.split_once("]: ").map_or(line, |(_, b)| b);
            let body = body.strip_suffix("; aborting").unwrap_or(body);
            Some(match body.split_once(" needs promise ") {
                Some((call, needs)) => Outcome::Denied {
                    call: call.to_string(),
                    needs: needs.replace('"', ""),
                },
                None => Outcome::Failed(format!("report without a promise: {body}")),
            })
        }
        (None, Some(line)) => Some(explain_c(line, case.promises(), pid)),
        (None, None) => None,
    };
    if let Some(denied) = denied {
        return match (denied, raw.status.signal(), spawn_killed) {
            (d, Some(SIGABRT), _) => d,
            (Outcome::Denied { call, needs }, None, Some(_)) => {
                Outcome::ChildDenied { call, needs }
            }
            (d, _, _) => Outcome::Failed(format!("{}, then {}", d.detail(), describe(raw.status))),
        };
    }
    let panics = matches!(case.row.kind, Kind::Panics | Kind::PanicsWithBacktrace);
    let want_code = if panics { 101 } else { 0 };
    if let (Some(detail), Some(code)) = (ok, raw.status.code()) {
        if code == want_code {
            if panics && !raw.stderr.contains("compat panic") {
                return Outcome::Failed("no panic message".into());
            }
            if case.row.kind == Kind::PanicsWithBacktrace
                && !raw.stderr.contains("stack backtrace:")
            {
                return Outcome::Failed("no backtrace".into());
            }
            if detail == "printed" && !raw.stdout.contains("hello from") {
                return Outcome::Failed("nothing on stdout".into());
            }
            return Outcome::Works(detail.to_string());
        }
    }
    if let Some(sig) = raw.status.signal() {
        return Outcome::Killed(sig);
    }
    if let Some(sig) = spawn_killed {
        return Outcome::SpawnKilled(sig);
    }
    if let Some(f) = failed {
        if f.contains("(os error 13)") {
            return Outcome::Refused(f.to_string());
        }
        return Outcome::Failed(f.to_string());
    }
    Outcome::Failed(describe(raw.status))
}

/// Whether `outcome` is what `case` expects; the reason when not.
fn judge(case: &Case, outcome: &Outcome, dir: &Path) -> Result<(), String> {
    let effect = case.row.effect.map(|f| f(dir));
    let names = |needs: &str, p: Promise| {
        needs
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|w| w == p.name())
    };
    let got = match outcome {
        Outcome::Works(_) => Some(Expect::Works),
        Outcome::Denied { needs, .. } => case
            .without
            .filter(|&p| names(needs, p))
            .map(Expect::Reported),
        Outcome::ChildDenied { needs, .. } => case
            .without
            .filter(|&p| names(needs, p))
            .map(Expect::ChildReported),
        Outcome::SpawnKilled(SIGSYS) => Some(Expect::SpawnKilled),
        Outcome::Killed(sig) => Some(Expect::Killed(*sig)),
        Outcome::Refused(_) => Some(Expect::Refused),
        Outcome::Failed(why) if why.contains("Operation not permitted") => Some(Expect::Eperm),
        _ => None,
    };
    let want = case.expect();
    if !got.is_some_and(|g| want.contains(&g)) {
        return Err(match (outcome, case.without) {
            (Outcome::Denied { needs, .. }, Some(p)) => {
                format!("the report names \"{needs}\", not \"{}\"", p.name())
            }
            _ => {
                let want: Vec<String> = want.iter().map(|w| format!("{w:?}")).collect();
                format!("expected {}, got {}", want.join(" or "), outcome.detail())
            }
        });
    }
    match (got, effect) {
        (Some(Expect::Works), Some(false)) => {
            Err("it reported success but its effect is missing".into())
        }
        (Some(Expect::Works), _) | (_, None | Some(false)) => Ok(()),
        // File::create without wpath but with cpath: Landlock lets cpath make the (empty) file
        // and refuses opening it for writing. An empty file is what cpath may make anyway (an
        // O_CREAT|O_RDONLY open with rpath cpath does the same), so that effect is allowed.
        (Some(Expect::Refused), Some(true))
            if case.without == Some(Promise::Wpath) && case.promises().contains(Promise::Cpath) =>
        {
            Ok(())
        }
        (_, Some(true)) => Err("denied, but the effect happened".into()),
    }
}

// ---- running cases --------------------------------------------------------------------------

struct Env {
    exe: PathBuf,
    /// Scratch directories, under /tmp.
    base: PathBuf,
    /// Scratch directories outside /tmp, for [`Section::StdOthers`].
    outside: PathBuf,
    bins: BTreeMap<&'static str, PathBuf>,
}

/// A scratch directory outside /tmp, wherever the checkout is (CI may clone under /tmp): the
/// StdOthers rows hold tmppath, which reaches everything under /tmp.
fn outside_tmp() -> PathBuf {
    let dir = Path::new("/var/tmp").join(format!("sandbox-compat-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let real = std::fs::canonicalize(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert!(
        !real.starts_with("/tmp"),
        "{} resolves into /tmp; the StdOthers rows need a directory outside it",
        real.display()
    );
    dir
}

fn case_dir(env: &Env, case: &Case, n: usize) -> PathBuf {
    match case.row.section {
        Section::StdOthers => env.outside.join(n.to_string()),
        _ => env.base.join(n.to_string()),
    }
}

fn write_filter(path: &Path, set: PromiseSet) -> std::io::Result<()> {
    let prog = sandbox_policy::compile(table(), &Policy::new(set, Penalty::Report))
        .map_err(std::io::Error::other)?;
    let mut bytes = Vec::new();
    let count = u32::try_from(prog.insns.len()).map_err(std::io::Error::other)?;
    let slots = u32::try_from(prog.pid_slots.len()).map_err(std::io::Error::other)?;
    bytes.extend_from_slice(&count.to_ne_bytes());
    bytes.extend_from_slice(&slots.to_ne_bytes());
    for &s in &prog.pid_slots {
        bytes.extend_from_slice(
            &u32::try_from(s)
                .map_err(std::io::Error::other)?
                .to_ne_bytes(),
        );
    }
    for i in &prog.insns {
        bytes.extend_from_slice(&i.code.to_ne_bytes());
        bytes.push(i.jt);
        bytes.push(i.jf);
        bytes.extend_from_slice(&i.k.to_ne_bytes());
    }
    std::fs::write(path, bytes)
}

/// The command that runs `case` in `dir` with the binary `exe` (this test, or its musl build).
fn command(env: &Env, exe: &Path, case: &Case, dir: &Path) -> Command {
    let mut cmd = match (case.row.section, case.row.kind) {
        (Section::Std | Section::StdOthers, _) => {
            let mut c = Command::new(exe);
            c.args(["--scenario", "std", case.row.name, &case.variant()]);
            c
        }
        (Section::C(l), Kind::Execs) => {
            let mut c = Command::new(exe);
            c.args(["--scenario", "exec", l.name(), &case.variant()])
                .env("COMPAT_BIN", &env.bins[l.name()]);
            c
        }
        (Section::C(l), _) => {
            let mut c = Command::new(&env.bins[l.name()]);
            c.arg(dir.join("filter.bpf"))
                .arg(case.row.name_op())
                .arg(dir);
            c
        }
    };
    cmd.env("COMPAT_DIR", dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if case.row.kind == Kind::PanicsWithBacktrace {
        cmd.env("RUST_BACKTRACE", "1");
    }
    cmd
}

impl Row {
    fn name_op(&self) -> &'static str {
        match self.section {
            Section::C(libc) => c_ops(libc)[self.index].op,
            Section::Std | Section::StdOthers => unreachable!("std rows run this binary"),
        }
    }
}

fn signal(pid: u32, sig: i32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    // SAFETY: kill(2) with integer arguments, aimed at our own child.
    unsafe { libc::kill(pid, sig) };
}

/// Whether `pid` is stopped, per /proc/PID/stat.
fn stopped(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('T') || rest.starts_with('t'))
    })
}

fn run(mut cmd: Command, sleeps: bool) -> std::io::Result<(Raw, u32)> {
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let mut note = None;
    let mut early = String::new();
    if sleeps {
        // Wait for "sleeping", stop the sleeper, see it stopped, continue it.
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        out.read_line(&mut early)?;
        if early.trim() == "sleeping" {
            signal(pid, libc::SIGSTOP);
            let t0 = Instant::now();
            while !stopped(pid) && t0.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !stopped(pid) {
                note = Some("never seen stopped".into());
            }
            std::thread::sleep(Duration::from_millis(100));
            signal(pid, libc::SIGCONT);
        }
        out.read_to_string(&mut early)?;
    }
    let out = child.wait_with_output()?;
    Ok((
        Raw {
            status: out.status,
            stdout: early + &String::from_utf8_lossy(&out.stdout),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            note,
        },
        pid,
    ))
}

struct CaseResult {
    outcome: Outcome,
    verdict: Result<(), String>,
    raw_stderr: String,
}

fn run_case(env: &Env, exe: &Path, case: &Case, n: usize) -> CaseResult {
    let dir = case_dir(env, case, n);
    let _ = std::fs::remove_dir_all(&dir);
    let setup = prepare_dir(&dir).and_then(|()| match case.row.section {
        Section::C(_) if case.row.kind != Kind::Execs => {
            write_filter(&dir.join("filter.bpf"), case.promises())
        }
        _ => Ok(()),
    });
    let result =
        setup.and_then(|()| run(command(env, exe, case, &dir), case.row.kind == Kind::Sleeps));
    let r = match result {
        Ok((raw, pid)) => {
            let outcome = classify(case, &raw, pid);
            let verdict = judge(case, &outcome, &dir);
            CaseResult {
                outcome,
                verdict,
                raw_stderr: raw.stderr,
            }
        }
        Err(e) => CaseResult {
            outcome: Outcome::Failed(format!("could not run: {e}")),
            verdict: Err(format!("could not run: {e}")),
            raw_stderr: String::new(),
        },
    };
    let _ = std::fs::remove_dir_all(&dir);
    r
}

/// Runs every case, two at a time (the machine this was written for has two cores).
fn run_all(env: &Env, exe: &Path, cases: &[Case], offset: usize) -> Vec<CaseResult> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<CaseResult>>> = cases.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let r = run_case(env, exe, case, offset + i);
                    *slots[i].lock().unwrap() = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap().expect("every case ran"))
        .collect()
}

// ---- the child side -------------------------------------------------------------------------

fn child(args: &[String]) -> ! {
    let dir = PathBuf::from(std::env::var_os("COMPAT_DIR").expect("COMPAT_DIR"));
    let (what, name, variant) = (args[0].as_str(), args[1].as_str(), args[2].as_str());
    let (base, run): (PromiseSet, After) = match what {
        "std" => {
            let op = std_ops()
                .into_iter()
                .find(|o| o.name == name)
                .unwrap_or_else(|| panic!("no std operation {name:?}"));
            (parse(op.promises), (op.before)(&dir))
        }
        "exec" => {
            let libc = if name == "glibc" {
                Libc::Glibc
            } else {
                Libc::Musl
            };
            let bin = PathBuf::from(std::env::var_os("COMPAT_BIN").expect("COMPAT_BIN"));
            let run: After = Box::new(move || {
                let e = Command::new(bin).arg("-").arg("noop").arg(&dir).exec();
                Err(format!("exec: {e}"))
            });
            (parse(exec_promises(libc)), run)
        }
        _ => panic!("unknown scenario {what}"),
    };
    let set = match (variant.strip_prefix("others-"), variant.strip_prefix('-')) {
        (Some(p), _) => file_promises().minus(parse(p)),
        (None, Some(p)) => base.minus(parse(p)),
        (None, None) => base,
    };
    if let Err(e) = sandbox::pledge(&set.to_pledge_string()) {
        eprintln!("compat-fail: pledge: {e}");
        std::process::exit(1);
    }
    match run() {
        Ok(detail) => {
            eprintln!("compat-ok: {detail}");
            std::process::exit(0)
        }
        Err(why) => {
            eprintln!("compat-fail: {why}");
            std::process::exit(1)
        }
    }
}

// ---- C programs and the musl build of this test ---------------------------------------------

fn compile_c(out_dir: &Path, libc: Libc) -> Result<PathBuf, String> {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/ops.c");
    let out = out_dir.join(format!("ops-{}", libc.name()));
    let mut cmd = match libc {
        Libc::Glibc => Command::new("gcc"),
        Libc::Musl => Command::new("musl-gcc"),
    };
    cmd.args(["-O1", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(src);
    match libc {
        Libc::Glibc => cmd.arg("-pthread"),
        Libc::Musl => cmd.arg("-static"),
    };
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(out),
        Ok(o) => Err(format!(
            "{} failed:\n{}",
            if libc == Libc::Glibc {
                "gcc"
            } else {
                "musl-gcc"
            },
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Err(format!(
            "{} is not available ({e})",
            if libc == Libc::Glibc {
                "gcc"
            } else {
                "musl-gcc"
            }
        )),
    }
}

/// Builds this test for the musl target, when that target is installed.
fn musl_build() -> Result<PathBuf, String> {
    if cfg!(target_env = "musl") {
        return Err("this test already runs on musl".into());
    }
    if !cfg!(target_arch = "x86_64") {
        return Err(format!("{MUSL_TARGET} is for x86_64 hosts"));
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    let lib = Path::new(&sysroot).join(format!("lib/rustlib/{MUSL_TARGET}/lib"));
    if !lib.is_dir() {
        return Err(format!(
            "the {MUSL_TARGET} target is not installed (rustup target add {MUSL_TARGET})"
        ));
    }
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "test",
            "--test",
            "compat",
            "--no-run",
            "--message-format=json",
            "--target",
            MUSL_TARGET,
        ])
        .arg("--target-dir")
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("compat-musl"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo: {e}"))?;
    if !out.status.success() {
        return Err("cargo could not build the musl test".into());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"name\":\"compat\""))
        .find_map(|l| {
            let rest = l.split_once("\"executable\":\"")?.1;
            Some(PathBuf::from(rest.split('"').next()?))
        })
        .ok_or_else(|| "cargo did not name the musl test binary".into())
}

// ---- the document ---------------------------------------------------------------------------

const INTRO: &str = "# Compatibility matrix

Generated by `tests/compat.rs` (`SANDBOX_BLESS=1 cargo test --test compat`); `cargo test` fails
when this file is out of date. Every cell is one run in a fresh process on x86_64 Linux.

Each row is an operation and the promises it needs. It is run once under exactly those promises
(`under them`: it must work, and its effect on the file system must be visible), then once for
each of those promises removed (`without ...`: it must be denied, and its effect must not have
happened). Every row holds `stdio`, the floor of any real program: a row that needs more is run
without each of the others, a row that needs only `stdio` without it. A blank cell is a promise
the row does not need, or `stdio` where it was not removed.

- `works`: the operation completed.
- `report: needs X`: the process died by SIGABRT after the one-line violation report, which names
  promise X (or several, when the call needs them together).
- `program killed by SIGSYS`: the process went on, but the program it started died in its loader,
  which needs `rpath` (to open the libraries) and `prot_exec` (to map them). The filter survives
  `execve`; the reporter, which lived in the parent's image, does not, so there is no report.
- `killed by SIGSYS`: the same, for a program started with `exec` in place of the process.
- `fails: ...`: the operation failed with this error and the process went on. Without `proc`,
  making a process (`fork`, `vfork`, a `clone` without `CLONE_THREAD`) answers EPERM, because
  libc blocks every signal around it and a trap could not reach the reporter.
- `refused: EACCES (Landlock)`: the call passed seccomp through a path-precise promise the row
  holds (`tmppath`, `dns`, `getpw` allow opens by their flags) and Landlock refused it outside
  that promise's files; the process went on.
- **FAIL**: not what the row expects; the test fails until the table or the runtime is fixed.

Rust std rows call `sandbox::pledge(...)` and then the operation. Where the
`x86_64-unknown-linux-musl` target is installed, the test also runs them built for musl and
checks that they meet the same expectations.

C rows run `tests/compat/ops.c`, built with gcc (glibc, dynamically linked) and with musl-gcc
(static). A C program cannot call the Rust API, so it installs, after its loader has run, the
seccomp program that `sandbox-policy` compiles for the same promises (the program
`sandbox::pledge` installs) with a stand-in SIGSYS handler that prints the trapped call; the
test names the missing promise with the table, as the reporter does. Landlock's part of a
pledge (path-precise `dns`, `getpw`, `tmppath`) is not applied to them; it does not depend on
the C library.

Starting a program (first C row): a Rust process pledges and calls `exec` (no fork). A dynamically
linked program needs `exec`, and for its loader `rpath` and `prot_exec`, on top of `stdio`; a
statically linked one needs only `stdio exec`. Spawning a program from a pledged process
(`Command`, `posix_spawn`) needs `proc` too, for the fork. `sandbox::CommandExt::pledge_exec`
narrows what the started program may do; its promises always include `exec`.

The second std table runs file rows again on files outside /tmp, holding every promise that
touches files except the one the row is about: the promises that name other files (`tmppath`:
/tmp, `dns`: the resolver files, `getpw`: the password files) must not reach these.

Not in the matrix: `tty` (needs a terminal), `settime` and `chown` to another user (need
privileges), `unveil` and `error` (see tests/unveil.rs and tests/pledge.rs).
";

const ECOSYSTEM: &str = "
## Real programs on the crates daemons use

`tests/ecosystem/` is a workspace of its own (with its own lock file) holding small real
programs, run by `.ci/run` (`cargo test --manifest-path tests/ecosystem/Cargo.toml`). Each
enters the phase the README leads to and does its real work, checked by its output (and, where
a comparison needs one, against a run without the sandbox); then a `--violate` variant does one
thing no program here promises (setting the clock) after the same work, and the test checks the
one-line report naming `settime` and the SIGABRT.

| program | crates | phase | checked |
|---|---|---|---|
| chrono | chrono `Local` | `stdio` after the first use | 3 s of local time at 4 Hz from the main thread and a new thread each time, with `TZ=Europe/Paris` and with `/etc/localtime`: the offset of an unsandboxed run, no report (chrono re-checks `/etc/localtime` once a second) |
| time | time `now_local` | `stdio` | the local offset of an unsandboxed run |
| tracing | tracing, tracing-subscriber (`ChronoLocal` timer), tracing-appender | `stdio wpath cpath`, unveil the log directory `rwc` | every event of the main thread and of new threads in the file, with a local offset |
| sqlite | rusqlite (bundled SQLite), WAL mode | `stdio rpath wpath cpath flock`, unveil the database directory `rwc` | 100 rows in a transaction, read by a second connection; as root (SQLite gives its journal and WAL files the database's owner with `fchown`) and dropped to nobody |
| rayon | rayon | `stdio`, the pool started after it | the parallel sum |
| walk | clap, regex, walkdir | `stdio rpath`, unveil the tree `r` | files and matching lines under the tree; `/etc` refused (EACCES) |
| spawn | std `Command`, `CommandExt::pledge_exec` | `stdio rpath proc exec prot_exec`, the child `stdio rpath prot_exec` | the child's output; without `proc` the spawn fails with \"Operation not permitted\" |
| mmap | memmap2 | `stdio rpath` | a file mapped read-only, an anonymous map |
| signals | signal-hook | `stdio` | SIGUSR1 raised sets the flag |
| home | dirs | `stdio getpw`, `HOME` unset | the home directory of an unsandboxed run |
| tokio-fs | tokio `fs`, `UnixListener`, `UnixStream` | `stdio rpath wpath cpath unix` | a file written and read back, a message over a unix socket |
| tls | rustls (ring provider), rcgen | `stdio inet` after the bind | a self-signed certificate made under the phase, a TLS 1.3 handshake and an echo between a server thread and a client over loopback |
| tokio-above, tokio-below | tokio `#[tokio::main]` with `#[sandbox::pledge]` above it, then below it | `stdio inet` | a TCP echo served by a task on a worker thread; the violation made by that task is reported, in both orders |
| http | axum, tower-http `ServeDir`, ureq, tokio | `stdio rpath inet dns` after the bind, unveil the document root `r` | `GET /index.html` over `localhost` (resolved under `dns`), a 404, and no `/../../etc/passwd` |

Not yet in the suite: reqwest (ureq is the client here); unveil with tokio unix sockets (refused
before Landlock ABI 9, see the README).
";

fn document(results: &BTreeMap<Section, Vec<(Case, Outcome, bool)>>) -> String {
    let mut doc = String::from(INTRO);
    for (section, runs) in results {
        if *section == Section::StdOthers {
            doc.push('\n');
            doc.push_str(section.heading());
            doc.push_str(
                "\n\n| operation | without | promises held | result |\n|---|---|---|---|\n",
            );
            for (c, o, ok) in runs {
                let cell = if *ok {
                    o.cell()
                } else {
                    format!("**FAIL** {}", o.cell())
                };
                doc.push_str(&format!(
                    "| {} | {} | {} | {cell} |\n",
                    c.row.name,
                    c.without.map_or("", Promise::name),
                    c.promises().to_pledge_string()
                ));
            }
            continue;
        }
        let cols: Vec<Promise> = Promise::ALL
            .iter()
            .copied()
            .filter(|p| runs.iter().any(|(c, _, _)| c.row.base().contains(*p)))
            .collect();
        doc.push('\n');
        doc.push_str(section.heading());
        doc.push_str("\n\n| operation | promises | under them |");
        for p in &cols {
            doc.push_str(&format!(" without {} |", p.name()));
        }
        doc.push_str("\n|---|---|---|");
        for _ in &cols {
            doc.push_str("---|");
        }
        doc.push('\n');
        let mut rows: Vec<Row> = Vec::new();
        for (c, _, _) in runs {
            if !rows.iter().any(|r| r.index == c.row.index) {
                rows.push(c.row);
            }
        }
        for row in rows {
            let cell = |without: Option<Promise>| {
                runs.iter()
                    .find(|(c, _, _)| c.row.index == row.index && c.without == without)
                    .map(|(_, o, ok)| {
                        if *ok {
                            o.cell()
                        } else {
                            format!("**FAIL** {}", o.cell())
                        }
                    })
                    .unwrap_or_default()
            };
            doc.push_str(&format!(
                "| {} | {} | {} |",
                row.name.replace('|', "\\|"),
                row.base().to_pledge_string(),
                cell(None)
            ));
            for p in &cols {
                match cell(Some(*p)) {
                    c if c.is_empty() => doc.push_str(" |"),
                    c => doc.push_str(&format!(" {c} |")),
                }
            }
            doc.push('\n');
        }
        let mut notes = String::new();
        let mut seen = Vec::new();
        for (c, _, _) in runs {
            if let Some(n) = note(*section, c.row.name) {
                if !seen.contains(&c.row.name) {
                    seen.push(c.row.name);
                    notes.push_str(&format!("- {}: {n}\n", c.row.name));
                }
            }
        }
        if !notes.is_empty() {
            doc.push_str("\nNotes:\n\n");
            doc.push_str(&notes);
        }
    }
    doc.push_str(ECOSYSTEM);
    doc
}

/// The document split at its `## ` headings: (heading, text).
fn sections_of(doc: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![(String::new(), String::new())];
    for line in doc.split_inclusive('\n') {
        if line.starts_with("## ") {
            out.push((line.trim_end().to_string(), String::new()));
        }
        out.last_mut().expect("one section").1.push_str(line);
    }
    out
}

/// Puts back the committed text of sections this machine could not produce.
fn complete(generated: &str, committed: &str, missing: &[Section]) -> String {
    let old = sections_of(committed);
    let mut out = String::new();
    let mut new = sections_of(generated);
    for s in missing {
        if let Some((h, t)) = old.iter().find(|(h, _)| h == s.heading()) {
            new.push((h.clone(), t.clone()));
        }
    }
    let order = |h: &str| match h {
        "" => 0,
        h if h == Section::Std.heading() => 1,
        h if h == Section::StdOthers.heading() => 2,
        h if h == Section::C(Libc::Glibc).heading() => 3,
        h if h == Section::C(Libc::Musl).heading() => 4,
        _ => 5,
    };
    new.sort_by_key(|(h, _)| order(h));
    for (_, t) in new {
        out.push_str(&t);
    }
    out
}

// ---- main -----------------------------------------------------------------------------------

impl PartialOrd for Section {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Section {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |s: &Section| match s {
            Section::Std => 0,
            Section::StdOthers => 1,
            Section::C(Libc::Glibc) => 2,
            Section::C(Libc::Musl) => 3,
        };
        key(self).cmp(&key(other))
    }
}

#[allow(clippy::too_many_lines)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        child(&args[i + 1..]);
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let started = Instant::now();
    // Under /tmp whatever TMPDIR says: the tmppath rows are about /tmp.
    let base = Path::new("/tmp").join(format!("sandbox-compat-{}", std::process::id()));
    let bins_dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("compat-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&bins_dir);

    let mut sections = vec![Section::Std, Section::StdOthers];
    let mut missing = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut bins = BTreeMap::new();
    for libc in [Libc::Glibc, Libc::Musl] {
        match compile_c(&bins_dir, libc) {
            Ok(bin) => {
                bins.insert(libc.name(), bin);
                sections.push(Section::C(libc));
            }
            Err(why) if libc == Libc::Musl && why.contains("not available") => {
                println!("skipping the C rows for musl: {why}; install musl-tools (.ci/run does)");
                missing.push(Section::C(libc));
            }
            Err(why) => {
                println!("C rows for {}: {why}", libc.name());
                failures.push(format!("building the {} C program", libc.name()));
                missing.push(Section::C(libc));
            }
        }
    }
    let env = Env {
        exe: std::env::current_exe().expect("test binary path"),
        base: base.clone(),
        outside: outside_tmp(),
        bins,
    };
    let all_rows = rows(&sections);
    let all: Vec<Case> = cases(&all_rows)
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.display().contains(f.as_str())))
        .collect();
    if args.iter().any(|a| a == "--list") {
        for c in &all {
            println!("{}: test", c.display());
        }
        return;
    }
    println!(
        "\nrunning {} compatibility cases in child processes",
        all.len()
    );
    let results = run_all(&env, &env.exe, &all, 0);
    let mut by_section: BTreeMap<Section, Vec<(Case, Outcome, bool)>> = BTreeMap::new();
    for (case, r) in all.iter().zip(&results) {
        match &r.verdict {
            Ok(()) => println!("case {} ... ok ({})", case.display(), r.outcome.detail()),
            Err(why) => {
                println!("case {} ... FAILED: {why}", case.display());
                let tail: Vec<&str> = r.raw_stderr.lines().rev().take(6).collect();
                for l in tail.iter().rev() {
                    println!("    | {l}");
                }
                failures.push(case.display());
            }
        }
        by_section.entry(case.row.section).or_default().push((
            *case,
            r.outcome.clone(),
            r.verdict.is_ok(),
        ));
    }

    // The std rows again, built for musl.
    let std_cases: Vec<(usize, Case)> = all
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| matches!(c.row.section, Section::Std | Section::StdOthers))
        .collect();
    if !std_cases.is_empty() {
        match musl_build() {
            Ok(exe) => {
                let cs: Vec<Case> = std_cases.iter().map(|(_, c)| *c).collect();
                println!("running {} std cases built for {MUSL_TARGET}", cs.len());
                let musl = run_all(&env, &exe, &cs, all.len());
                for ((i, case), r) in std_cases.iter().zip(&musl) {
                    let gnu = &results[*i];
                    if r.verdict.is_ok() == gnu.verdict.is_ok() {
                        println!(
                            "case musl {} ... ok ({})",
                            case.display(),
                            r.outcome.detail()
                        );
                    } else {
                        println!(
                            "case musl {} ... FAILED: {} on musl, {} on gnu",
                            case.display(),
                            r.outcome.detail(),
                            gnu.outcome.detail()
                        );
                        failures.push(format!("musl {}", case.display()));
                    }
                }
            }
            Err(why) => println!("skipping the std rows on musl: {why}"),
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    let _ = std::fs::remove_dir_all(&bins_dir);
    let _ = std::fs::remove_dir_all(&env.outside);

    // The document.
    if filters.is_empty() {
        let committed = std::fs::read_to_string(DOC).unwrap_or_default();
        let generated = complete(&document(&by_section), &committed, &missing);
        if std::env::var("SANDBOX_BLESS").as_deref() == Ok("1") {
            std::fs::write(DOC, &generated).expect("write docs/COMPATIBILITY.md");
            println!("wrote {DOC}");
        } else if generated != committed {
            println!("docs/COMPATIBILITY.md is out of date: run `{BLESS}` and commit it");
            for (a, b) in committed.lines().zip(generated.lines()) {
                if a != b {
                    println!("  first difference:\n  - {a}\n  + {b}");
                    break;
                }
            }
            failures.push("docs/COMPATIBILITY.md is current".into());
        }
    } else {
        println!("filtered run: docs/COMPATIBILITY.md not checked");
    }

    println!(
        "\n{} cases, {} failed, in {:.1} s",
        all.len(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        println!("failed: {}", failures.join(", "));
        std::process::exit(1);
    }
}
