//! unveil with Landlock: rulesets that handle every right the kernel knows, applied to every
//! thread.
//!
//! # Why not the `landlock` crate
//!
//! On kernels before Landlock ABI 8 (Linux 7.0) `landlock_restrict_self` restricts only the
//! calling thread. To restrict threads that already exist, each of them must call it itself, from
//! a signal handler, with the same ruleset descriptor (the way libc applies `setuid` to every
//! thread). That needs the raw descriptor shared with an async-signal-safe handler, which the
//! crate's ownership-based API does not offer; the three syscalls are small enough to call
//! directly (see `sys`).
//!
//! # Meaning of the permissions
//!
//! | perm | Landlock rights |
//! |---|---|
//! | `r` | `READ_FILE`, `READ_DIR` |
//! | `w` | `WRITE_FILE`, `TRUNCATE` |
//! | `x` | `EXECUTE` |
//! | `c` | every `MAKE_*`, `REMOVE_FILE`, `REMOVE_DIR`, `REFER` |
//! | `r` or `w` | `IOCTL_DEV` (ioctl commands are further limited by the seccomp table) |
//! | `""` | nothing: the path is hidden |
//!
//! A rule on a file (not a directory) keeps only the rights that apply to files.

use std::collections::BTreeSet;

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use sandbox_policy::Perms;
use sandbox_policy::{Promise, PromiseSet};

use crate::{guard, sys};

/// One path made visible to a phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unveil {
    /// The path as given (relative paths resolve against the working directory at entry).
    pub path: PathBuf,
    /// What the phase may do beneath it.
    pub perms: Perms,
    /// Whether a missing path is skipped rather than an error.
    pub optional: bool,
}

impl Unveil {
    /// An unveil of `path` with `perms` (already validated at compile time by the attribute).
    ///
    /// # Panics
    ///
    /// If `perms` is not a valid permission string; the attribute and
    /// [`crate::Restrict::unveil`] validate before calling.
    pub fn new<P: AsRef<Path> + ?Sized>(path: &P, perms: &str, optional: bool) -> Unveil {
        let perms = Perms::parse(perms).expect("permissions validated before");
        Unveil {
            path: path.as_ref().to_path_buf(),
            perms,
            optional,
        }
    }
}

// Landlock access rights (include/uapi/linux/landlock.h).
const EXECUTE: u64 = 1 << 0;
const WRITE_FILE: u64 = 1 << 1;
const READ_FILE: u64 = 1 << 2;
const READ_DIR: u64 = 1 << 3;
const REMOVE_DIR: u64 = 1 << 4;
const REMOVE_FILE: u64 = 1 << 5;
const MAKE_ALL: u64 = 0x1fc0; // MAKE_CHAR .. MAKE_SYM
const REFER: u64 = 1 << 13;
const TRUNCATE: u64 = 1 << 14;
const IOCTL_DEV: u64 = 1 << 15;
/// Connecting (or sending with an address) to a pathname unix socket made outside the domain
/// (ABI 9, Linux 7.1).
const RESOLVE_UNIX: u64 = 1 << 16;
const FILE_RIGHTS: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV | RESOLVE_UNIX;
const NET_BIND_TCP: u64 = 1;
const NET_CONNECT_TCP: u64 = 2;
/// Setting a UDP socket's remote port, or sending to an explicit one (ABI 10, Linux 7.2).
const NET_CONNECT_SEND_UDP: u64 = 1 << 3;
const SCOPE_ABSTRACT_UNIX: u64 = 1;
const SCOPE_SIGNAL: u64 = 2;
const RESTRICT_SELF_TSYNC: u32 = 1 << 3;

/// Filesystem rights the kernel handles at `abi`.
fn handled_fs(abi: u32) -> u64 {
    let mut r = 0x1fff; // ABI 1
    if abi >= 2 {
        r |= REFER;
    }
    if abi >= 3 {
        r |= TRUNCATE;
    }
    if abi >= 5 {
        r |= IOCTL_DEV;
    }
    r
}

fn rights(perms: Perms) -> u64 {
    let mut r = 0;
    if perms.includes(Perms::R) {
        r |= READ_FILE | READ_DIR | IOCTL_DEV;
    }
    if perms.includes(Perms::W) {
        // OpenBSD asks for "w" on a socket's path to connect to it.
        r |= WRITE_FILE | TRUNCATE | IOCTL_DEV | RESOLVE_UNIX;
    }
    if perms.includes(Perms::X) {
        r |= EXECUTE;
    }
    if perms.includes(Perms::C) {
        r |= MAKE_ALL | REMOVE_FILE | REMOVE_DIR | REFER;
    }
    r
}

/// The files `dns` may read (through its Landlock layer).
pub(crate) const DNS_FILES: &[&str] = &[
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
];
/// The files `getpw` may read.
pub(crate) const GETPW_FILES: &[&str] = &["/etc/passwd", "/etc/group", "/etc/nsswitch.conf"];

/// Files that promises imply, made reachable when the policy uses Landlock.
///
/// Under the write guard, `/tmp` is granted around the protected names it holds (see [`guard`]),
/// as the whole tree is for `wpath`.
fn implied(
    promises: PromiseSet,
    protected: Option<&[guard::Protected]>,
) -> io::Result<Vec<Unveil>> {
    let mut v = Vec::new();
    let mut add = |p: &str, perms: &str| v.push(Unveil::new(p, perms, true));
    if promises.contains(Promise::Stdio) {
        add("/dev/null", "rw");
        add("/etc/localtime", "r");
        add("/usr/share/zoneinfo", "r");
    }
    if promises.contains(Promise::Dns) {
        for f in DNS_FILES {
            add(f, "r");
        }
    }
    if promises.contains(Promise::Getpw) {
        for f in GETPW_FILES {
            add(f, "r");
        }
    }
    if promises.contains(Promise::Tmppath) {
        let (all, files) = guard::names(protected.unwrap_or(&[]));
        let tmp = Path::new("/tmp");
        if protected.is_some() && all.iter().any(|n| n.starts_with(tmp)) {
            add("/tmp", "rc");
            for p in guard::writable_paths(tmp, &all, &files)? {
                v.push(Unveil::new(&p, "w", true));
            }
        } else {
            add("/tmp", "rwc");
        }
    }
    Ok(v)
}

/// Whether a policy needs Landlock even without unveils. The table lets dns, getpw and tmppath
/// open files by flags alone (seccomp cannot read paths), counting on Landlock to confine them
/// to their files; unless rpath, wpath and cpath are all held (and so grant everything those
/// could), the confinement is needed: "stdio wpath tmppath" must not read outside /tmp.
#[must_use]
pub(crate) fn path_precise(promises: PromiseSet) -> bool {
    let precise = [Promise::Dns, Promise::Getpw, Promise::Tmppath];
    let general = [Promise::Rpath, Promise::Wpath, Promise::Cpath];
    let files = precise.iter().any(|p| promises.contains(*p))
        && !general.iter().all(|p| promises.contains(*p));
    files || dns_ports(promises)
}

/// Whether `dns` is held without `inet`: then Landlock (ABI 4) limits TCP to the name servers'
/// port, 53, whatever else is held, and from ABI 10 UDP too.
fn dns_ports(promises: PromiseSet) -> bool {
    promises.contains(Promise::Dns) && !promises.contains(Promise::Inet)
}

/// The network side of a phase's ruleset at `abi`: the rights handled and the port rules
/// (`(access, port)`). Without `inet`, TCP binding and connecting are handled (ABI 4) and, from
/// ABI 10, setting or sending to a UDP remote port; `dns` then gets port 53 for both. UDP binding
/// is not handled: the kernel counts the implicit bind of a first datagram as one, and the
/// resolver's socket relies on it.
fn net_access(abi: u32, promises: Option<PromiseSet>) -> (u64, Vec<(u64, u16)>) {
    let held = promises.unwrap_or_else(PromiseSet::all);
    if abi < 4 || held.contains(Promise::Inet) {
        return (0, Vec::new());
    }
    let udp = if abi >= 10 { NET_CONNECT_SEND_UDP } else { 0 };
    let mut ports = Vec::new();
    if promises.is_some_and(dns_ports) {
        ports.push((NET_CONNECT_TCP, 53));
        if udp != 0 {
            ports.push((udp, 53));
        }
    }
    (NET_BIND_TCP | NET_CONNECT_TCP | udp, ports)
}

/// Whether a ruleset handles connecting to pathname unix sockets: from ABI 9, whenever the user
/// unveils (the right follows "w", as on OpenBSD). Before ABI 9, `None` when that matters: the
/// promises allow unix sockets, so any socket file would be reachable outside the unveils.
fn unix_access(abi: u32, user_unveils: bool, promises: PromiseSet) -> Option<u64> {
    if !user_unveils {
        Some(0)
    } else if abi >= 9 {
        Some(RESOLVE_UNIX)
    } else if promises.contains(Promise::Unix) {
        None
    } else {
        Some(0)
    }
}

/// For a phase made path-precise without unveils: the general path promises it holds, as rules
/// over the whole tree (rpath: read everywhere; wpath: write everywhere, but around `protected`
/// (see [`guard`]) when [`needs_proc_guard`]; cpath: create and remove everywhere).
fn general_rules(
    promises: PromiseSet,
    protected: Option<&[guard::Protected]>,
) -> io::Result<Vec<Unveil>> {
    let mut v = Vec::new();
    let mut root = String::new();
    if promises.contains(Promise::Rpath) {
        root.push('r');
    }
    if promises.contains(Promise::Cpath) {
        root.push('c');
    }
    if promises.contains(Promise::Wpath) {
        match protected {
            Some(protected) => {
                let (all, files) = guard::names(protected);
                let writable = guard::writable_paths(Path::new("/"), &all, &files)?;
                v.extend(writable.iter().map(|p| Unveil::new(p, "w", true)));
            }
            None => root.push('w'),
        }
    }
    if !root.is_empty() {
        v.push(Unveil::new("/", &root, false));
    }
    Ok(v)
}

/// Why unveil could not be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnveilError {
    /// The kernel has no Landlock (not built in, or disabled at boot).
    #[error(
        "this kernel has no Landlock ({0}); unveil cannot be enforced (opt in to best-effort with `best_effort` to run anyway)"
    )]
    NoLandlock(#[source] io::Error),
    /// A path to unveil does not exist.
    #[error(
        "unveil path {:?}{} does not exist (if it may be absent, mark it optional: `optional` in #[sandbox::unveil], or Restrict::unveil_optional)",
        .path,
        .cwd.as_ref().map(|d| format!(" (relative to the working directory {d:?})")).unwrap_or_default()
    )]
    MissingPath {
        /// The path.
        path: PathBuf,
        /// The working directory, for a relative path (when it could be asked for).
        cwd: Option<PathBuf>,
        /// The error opening it.
        #[source]
        source: io::Error,
    },
    /// A path could not be opened for another reason.
    #[error("unveil path {} cannot be opened", .path.display())]
    Open {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Something asked for cannot be enforced by this kernel or by Landlock's model.
    #[error("cannot be enforced: {0} (opt in to best-effort with `best_effort` to run anyway)")]
    Unenforceable(String),
    /// The phase unveils a path or permission that the phase in force did not allow.
    #[error("unveil {} \"{perms}\" is wider than what phase `{current}` allows (unveil only narrows)", .path.display())]
    Widening {
        /// The path.
        path: PathBuf,
        /// Its permissions.
        perms: Perms,
        /// The phase in force.
        current: String,
    },
    /// Landlock refused a ruleset, rule or restriction.
    #[error("{call} failed")]
    Kernel {
        /// The syscall.
        call: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Landlock allows 16 stacked domains; each phase with unveil uses one.
    #[error(
        "too many phases with unveil: Landlock stacks at most 16 domains (each phase with unveil uses one)"
    )]
    TooManyLayers,
    /// Threads that could not be restricted (ABI < 8 broadcast).
    #[error(
        "threads {0:?} could not be restricted with Landlock; nothing was left half-applied on them"
    )]
    Threads(Vec<i32>),
}

/// What Landlock enforces after a phase.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LandlockStatus {
    /// The kernel's Landlock ABI (0 when absent and best-effort was chosen).
    pub abi: u32,
    /// Filesystem rights handled (denied unless a rule grants them).
    pub handled_fs: u64,
    /// Network rights handled.
    pub handled_net: u64,
    /// Scopes (signals, abstract unix sockets).
    pub scoped: u64,
    /// Rules added, implicit ones included.
    pub rules: usize,
    /// Threads restricted, the caller included.
    pub threads: usize,
    /// What could not be enforced (best-effort only; empty otherwise).
    pub not_enforced: Vec<String>,
}

/// A rule as applied, kept to check that later phases only narrow.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    dev: u64,
    ino: u64,
    perms: Perms,
}

struct Rule {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
    is_dir: bool,
    perms: Perms,
    path: PathBuf,
    /// Implied by a promise (resolver files, /tmp, /dev/null), not written by the user.
    implicit: bool,
}

static SIMULATED_ABI: AtomicI32 = AtomicI32::new(-1);

/// Makes the runtime believe the kernel has Landlock ABI `abi` (0: none). For tests that simulate
/// older kernels; it can only remove enforcement the kernel offers, which the fail-closed default
/// turns into errors.
pub fn simulate_abi(abi: u32) {
    SIMULATED_ABI.store(i32::try_from(abi).unwrap_or(i32::MAX), Ordering::SeqCst);
}

fn abi() -> io::Result<u32> {
    let real = sys::landlock_abi()?;
    match SIMULATED_ABI.load(Ordering::SeqCst) {
        0 => Err(io::Error::from_raw_os_error(libc::ENOSYS)),
        n if n > 0 => Ok(real.min(u32::try_from(n).unwrap_or(real))),
        _ => Ok(real),
    }
}

/// Applies one phase's unveils (and the files its promises imply) to every thread.
///
/// `promises` are the promises that will be in force after the phase; `previous` the rules of the
/// last phase that used Landlock, for the narrowing check.
pub(crate) fn apply(
    unveils: &[Unveil],
    known: Option<PromiseSet>,
    general: bool,
    best_effort: bool,
    guarded: bool,
    previous: Option<(&[Applied], &str)>,
) -> Result<(LandlockStatus, Vec<Applied>), UnveilError> {
    let mut not_enforced = Vec::new();
    let abi = match abi() {
        Ok(abi) => abi,
        Err(e) if best_effort => {
            let msg = format!("Landlock is not available ({e}): no path is restricted");
            report(&msg);
            not_enforced.push(msg);
            let status = LandlockStatus {
                abi: 0,
                handled_fs: 0,
                handled_net: 0,
                scoped: 0,
                rules: 0,
                threads: 0,
                not_enforced,
            };
            return Ok((status, previous.map(|p| p.0.to_vec()).unwrap_or_default()));
        }
        Err(e) => return Err(UnveilError::NoLandlock(e)),
    };

    // Without a pledge in force, unveil restricts paths only: no implied files, no scopes.
    let promises = known.unwrap_or_else(PromiseSet::all);
    // The files the write guard protects, when this ruleset may grant writing without prot_exec
    // and no guard is in force yet: found once, kept out of every writable rule below (the
    // user's are checked, the implied and general ones are built around them), and checked
    // again after the restriction.
    let grants_writes = unveils.iter().any(|u| u.perms.includes(Perms::W))
        || promises.contains(Promise::Tmppath)
        || (general && promises.contains(Promise::Wpath));
    let protected_files = if needs_proc_guard(promises) && !guarded && grants_writes {
        Some(guard::protected()?)
    } else {
        None
    };
    let protected = protected_files.as_deref();
    let mut implicit = match known {
        Some(p) => implied(p, protected).map_err(open_error("/tmp"))?,
        None => Vec::new(),
    };
    if let (true, Some(promises)) = (general, known) {
        implicit.extend(general_rules(promises, protected).map_err(open_error("/"))?);
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (u, is_implicit) in unveils
        .iter()
        .map(|u| (u, false))
        .chain(implicit.iter().map(|u| (u, true)))
    {
        let fd = match sys::open_path(None, &u.path, 0) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && u.optional => continue,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                // Asking for the working directory needs rpath once a filter is in force.
                let may_ask = crate::phase::held_now().is_none_or(|h| h.contains(Promise::Rpath));
                return Err(UnveilError::MissingPath {
                    path: u.path.clone(),
                    cwd: (u.path.is_relative() && may_ask)
                        .then(std::env::current_dir)
                        .and_then(Result::ok),
                    source: e,
                });
            }
            Err(e) => return Err(open_error(&u.path)(e)),
        };
        let (dev, ino, is_dir) = sys::identity(fd.as_fd()).map_err(open_error(&u.path))?;
        // The descriptor must hold what the name leads to: another thread could have put
        // another file on the new number between the open and the look at it.
        // (A stat with AT_EMPTY_PATH and the name: what every phase allows, rpath or not.)
        {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::CString::new(u.path.as_os_str().as_bytes())
                .map_err(|_| open_error(&u.path)(io::Error::from_raw_os_error(libc::EINVAL)))?;
            let named = sys::stat_at(libc::AT_FDCWD, Some(name.as_ptr() as u64), 0)
                .map_err(open_error(&u.path))?;
            if (named.st_dev, named.st_ino) != (dev, ino) {
                return Err(replaced(&u.path));
            }
        }
        // The same inode named twice: Landlock rules add up, so keep one rule with the union.
        if let Some(r) = rules.iter_mut().find(|r| r.dev == dev && r.ino == ino) {
            r.perms = Perms::from_bits(r.perms.bits() | u.perms.bits());
            continue;
        }
        rules.push(Rule {
            fd,
            dev,
            ino,
            is_dir,
            perms: u.perms,
            path: u.path.clone(),
            implicit: is_implicit,
        });
    }

    // Creating and removing are rights of the directory, not of the file: "c" on a file cannot be
    // granted (OpenBSD allows creating that one file). Say so rather than drop it.
    for r in rules
        .iter()
        .filter(|r| !r.is_dir && !r.implicit && r.perms.includes(Perms::C))
    {
        let msg = format!(
            "{} is a file: Landlock grants creating and removing on directories only, so \"c\" on it cannot be enforced (unveil its directory with \"c\")",
            r.path.display()
        );
        if !best_effort {
            return Err(UnveilError::Unenforceable(msg));
        }
        not_enforced.push(msg);
    }

    // Landlock rules only add rights: a rule inside an unveiled directory cannot take away what
    // the directory grants (OpenBSD's "most specific rule wins" has no Landlock equivalent).
    // The directories above each rule, walked once: the user's rules always need them, the
    // implicit ones (possibly thousands, for wpath's rules around the protected files) only for
    // the narrowing check.
    let mut above_rule = Vec::with_capacity(rules.len());
    for r in &rules {
        above_rule.push(if r.implicit && previous.is_none() {
            BTreeSet::new()
        } else {
            ancestors_of(r).map_err(open_error(&r.path))?
        });
    }
    for (r, ancestors) in rules.iter().zip(&above_rule) {
        for a in &rules {
            if std::ptr::eq(a, r)
                || a.implicit
                || r.implicit
                || !ancestors.contains(&(a.dev, a.ino))
            {
                continue;
            }
            if !r.perms.includes(a.perms) {
                let msg = format!(
                    "{} is unveiled \"{}\" inside {} unveiled \"{}\", but Landlock cannot take rights away beneath a rule",
                    r.path.display(),
                    r.perms,
                    a.path.display(),
                    a.perms
                );
                if !best_effort {
                    return Err(UnveilError::Unenforceable(msg));
                }
                not_enforced.push(msg);
            }
        }
        if let Some((prev, current)) = previous {
            // Landlock rights add up along the path: what the phase in force allows beneath this
            // path is the union of its rules on the path and on its ancestors.
            let allowed = prev
                .iter()
                .filter(|p| (p.dev, p.ino) == (r.dev, r.ino) || ancestors.contains(&(p.dev, p.ino)))
                .fold(0u8, |acc, p| acc | p.perms.bits());
            if !Perms::from_bits(allowed).includes(r.perms) {
                return Err(UnveilError::Widening {
                    path: r.path.clone(),
                    perms: r.perms,
                    current: current.to_owned(),
                });
            }
        }
    }

    // Without prot_exec, writing /proc/self/mem or a file mapped executable would change code:
    // no rule may grant writing at, above or below any of their names.
    // `guarded`: a Landlock domain in force already keeps them unwritable, and rules only narrow.
    let writes = rules
        .iter()
        .any(|r| !r.implicit && r.perms.includes(Perms::W));
    if let (true, Some(protected)) = (writes, protected) {
        let (all, _) = guard::names(protected);
        // A name found by the listing that is gone now was removed while the phase was being
        // entered, and may come back before the restriction (the recheck would then see the same
        // file and link count): fail closed rather than skip it.
        let changed = |q: &Path| {
            UnveilError::Unenforceable(format!(
                "{} (mapped executable) was linked, moved or replaced while the phase was being entered",
                q.display()
            ))
        };
        for q in &all {
            let fd = sys::open_path(None, q, libc::O_NOFOLLOW).map_err(|_| changed(q))?;
            let (dev, ino, is_dir) = sys::identity(fd.as_fd()).map_err(|_| changed(q))?;
            let target = Rule {
                fd,
                dev,
                ino,
                is_dir,
                perms: Perms::from_bits(0),
                path: q.clone(),
                implicit: true,
            };
            let above = ancestors_of(&target).map_err(open_error(q))?;
            for (r, r_above) in rules.iter().zip(&above_rule) {
                if r.implicit || !r.perms.includes(Perms::W) {
                    continue;
                }
                let below = r.is_dir && is_dir && r_above.contains(&(dev, ino));
                if (r.dev, r.ino) == (dev, ino) || above.contains(&(r.dev, r.ino)) || below {
                    return Err(UnveilError::Unenforceable(format!(
                        "{} is unveiled writable, which includes {}, a way to change code without prot_exec; add prot_exec or unveil narrower paths",
                        r.path.display(),
                        q.display()
                    )));
                }
            }
        }
    }

    // Connecting to a pathname unix socket is a filesystem right from Landlock ABI 9 only: before
    // it, a phase that unveils and may make unix sockets could reach any socket file (a container
    // runtime's, D-Bus, a database) outside what it unveiled. Without `unix` the filter refuses
    // unix sockets, so only a phase that holds it (or that has no pledge at all) is concerned.
    let user_unveils = rules.iter().any(|r| !r.implicit);
    let unix = match unix_access(abi, user_unveils, promises) {
        Some(bits) => bits,
        None => {
            let msg = format!(
                "connecting to pathname unix sockets outside the unveiled paths (Landlock ABI {abi}; ABI 9, Linux 7.1, restricts it), while the promises allow unix sockets: pledge without `unix`, or run best-effort"
            );
            if !best_effort {
                return Err(UnveilError::Unenforceable(msg));
            }
            not_enforced.push(msg);
            0
        }
    };
    let handled = handled_fs(abi) | unix;
    // Before ABI 3 Landlock cannot restrict truncate(2) by path, nor an open with O_TRUNC and
    // no write access (which truncates too; a write open is checked as a write). With wpath held
    // and unveils that keep writing out of some paths, both are refused everywhere instead, by
    // a small filter of our own (EACCES, as Landlock answers); ftruncate on a descriptor opened
    // for writing, and O_TRUNC with write access, keep working where the unveils allow writing.
    // The same holds for the write guard's files (tmppath's guard is built here too).
    let refuse_truncate = abi < 3
        && ((user_unveils
            && promises.contains(Promise::Wpath)
            && rules.iter().any(|r| !r.perms.includes(Perms::W)))
            || protected.is_some_and(|p| !p.is_empty()));
    // dns without inet: the name servers' port only (UDP from Landlock ABI 10; see the README's
    // limits).
    let (handled_net, ports) = net_access(abi, known);
    let mut scoped = 0;
    if abi >= 6 {
        if !promises.contains(Promise::Proc) {
            scoped |= SCOPE_SIGNAL;
        }
        if !promises.contains(Promise::Unix) {
            scoped |= SCOPE_ABSTRACT_UNIX;
        }
    }
    let attr = sys::RulesetAttr {
        handled_access_fs: handled,
        handled_access_net: handled_net,
        scoped,
    };
    let ruleset = sys::landlock_create_ruleset(&attr).map_err(|source| UnveilError::Kernel {
        call: "landlock_create_ruleset",
        source,
    })?;
    let mut added = 0;
    for r in &rules {
        let mut access = rights(r.perms) & handled;
        if !r.is_dir {
            access &= FILE_RIGHTS;
        }
        if access == 0 {
            continue; // "" hides: no rule
        }
        // The rule's descriptor must still be the path checked above: another thread may have
        // put another file on its number (dup2) since. Checked before and after the call, and
        // an entry that finds it changed fails: one try per process for an attribute phase.
        // (What remains, a swap and a swap back in between, is THREAT-MODEL row 65.)
        let same = |r: &Rule| {
            sys::identity(r.fd.as_fd()).is_ok_and(|(dev, ino, _)| (dev, ino) == (r.dev, r.ino))
        };
        if !same(r) {
            return Err(replaced(&r.path));
        }
        sys::landlock_add_path(ruleset.as_fd(), r.fd.as_fd(), access).map_err(|source| {
            UnveilError::Kernel {
                call: "landlock_add_rule",
                source,
            }
        })?;
        if !same(r) {
            return Err(replaced(&r.path));
        }
        added += 1;
    }
    for &(access, port) in &ports {
        sys::landlock_add_port(ruleset.as_fd(), access, port).map_err(|source| {
            UnveilError::Kernel {
                call: "landlock_add_rule",
                source,
            }
        })?;
        added += 1;
    }
    let threads = restrict_all_threads(&ruleset, abi)?;
    if refuse_truncate {
        refuse_truncate_by_path()?;
    }
    if let Some(protected) = protected {
        guard::recheck(protected)?;
    }
    if !not_enforced.is_empty() {
        report(&not_enforced.join("; "));
    }
    let applied = rules
        .iter()
        .map(|r| Applied {
            dev: r.dev,
            ino: r.ino,
            perms: r.perms,
        })
        .collect();
    Ok((
        LandlockStatus {
            abi,
            handled_fs: handled,
            handled_net,
            scoped,
            rules: added,
            threads,
            not_enforced,
        },
        applied,
    ))
}

/// A filter for kernels before Landlock ABI 3 (see `apply`): `truncate(2)` by path, and `open`
/// or `openat` with `O_TRUNC` and no write access, answer EACCES; `openat2` (whose flags the
/// filter cannot read) answers ENOSYS, so that libc falls back to `openat`; foreign-architecture
/// and x32 numbers answer ENOSYS (the phase's own filter, when there is one, kills the former).
/// Built at run time: which phases need it depends on the kernel.
fn truncate_filter(arch: sandbox_policy::Arch) -> Vec<sandbox_policy::bpf::Insn> {
    use sandbox_policy::bpf::{Insn, data, op, ret};
    let nr = |name| arch.syscall_number(name).unwrap_or(u32::MAX);
    let c = arch.consts();
    let o_trunc = u32::try_from(c.o_trunc).unwrap_or(0);
    let o_accmode = u32::try_from(c.o_accmode).unwrap_or(3);
    let jeq = |k, jt, jf| Insn::jump(op::JMP | op::JEQ | op::K, k, jt, jf);
    let jset = |k, jt, jf| Insn::jump(op::JMP | op::JSET | op::K, k, jt, jf);
    let enosys = ret::ERRNO | ENOSYS_ERRNO;
    vec![
        /* 0 */ Insn::load(data::ARCH),
        /* 1 */ jeq(arch.audit_arch(), 1, 0),
        /* 2 */ Insn::ret(enosys),
        /* 3 */ Insn::load(data::NR),
        /* 4 */ jset(0x4000_0000, 0, 1),
        /* 5 */ Insn::ret(enosys),
        /* 6 */ jeq(nr("truncate"), 11, 0),
        /* 7 */ jeq(nr("open"), 3, 0),
        /* 8 */ jeq(nr("openat"), 4, 0),
        /* 9 */ jeq(nr("openat2"), 9, 0),
        /* 10 */ Insn::ret(ret::ALLOW),
        /* 11 */ Insn::load(data::arg_lo(1)),
        /* 12 */ Insn::ja(1),
        /* 13 */ Insn::load(data::arg_lo(2)),
        /* 14 */ jset(o_trunc, 0, 2),
        /* 15 */ Insn::and(o_accmode),
        /* 16 */ jeq(0, 1, 0),
        /* 17 */ Insn::ret(ret::ALLOW),
        /* 18 */ Insn::ret(ret::ERRNO | EACCES_ERRNO),
        /* 19 */ Insn::ret(enosys),
    ]
}

const ENOSYS_ERRNO: u32 = 38;
const EACCES_ERRNO: u32 = 13;

fn refuse_truncate_by_path() -> Result<(), UnveilError> {
    let arch = sandbox_policy::Arch::native().ok_or(UnveilError::Unenforceable(
        "truncate(2) cannot be restricted on this architecture".into(),
    ))?;
    match sys::install_filter_all_threads(&truncate_filter(arch)) {
        sys::Install::Done => Ok(()),
        sys::Install::BlockedBy(tid) => Err(UnveilError::Kernel {
            call: "seccomp(truncate filter)",
            source: io::Error::other(format!("thread {tid} has a seccomp filter of its own")),
        }),
        sys::Install::Failed(source) => Err(UnveilError::Kernel {
            call: "seccomp(truncate filter)",
            source,
        }),
    }
}

/// A descriptor the entry holds was replaced by another thread while the phase was entered.
fn replaced(path: &Path) -> UnveilError {
    UnveilError::Unenforceable(format!(
        "the descriptor for {} was replaced by another thread while the phase was being entered",
        path.display()
    ))
}

/// Whether a policy needs the write guard: it may open files for writing (`wpath`, or `tmppath`
/// under `/tmp`) but not map memory executable (no prot_exec), and writing `/proc/self/mem` or a
/// file mapped executable would let it patch its own code.
pub(crate) fn needs_proc_guard(promises: PromiseSet) -> bool {
    (promises.contains(Promise::Wpath) || promises.contains(Promise::Tmppath))
        && !promises.contains(Promise::ProtExec)
}

/// The ABI for a layer the runtime adds of its own (the write guard, the process layer): without
/// Landlock, best-effort reports `explain` once and goes on (`Ok(Err(status))`), and the default
/// fails closed.
fn layer_abi(explain: &str, best_effort: bool) -> Result<Result<u32, LandlockStatus>, UnveilError> {
    match abi() {
        Ok(abi) => Ok(Ok(abi)),
        Err(e) if best_effort => {
            let msg = format!("{explain}, and Landlock is not available ({e})");
            report(&msg);
            Ok(Err(LandlockStatus {
                abi: 0,
                handled_fs: 0,
                handled_net: 0,
                scoped: 0,
                rules: 0,
                threads: 0,
                not_enforced: vec![msg],
            }))
        }
        Err(e) => Err(UnveilError::Unenforceable(format!(
            "{explain}, and this kernel has no Landlock ({e})"
        ))),
    }
}

/// Applies the write guard as a Landlock layer of its own (see [`guard`]): it handles writing,
/// truncating (ABI 3) and moving files across directories (ABI 2, which Landlock denies by
/// default once any layer is in force), grants moving everywhere and writing everywhere but on
/// the way to `/proc` and to every name of a protected file. Landlock itself then refuses a
/// link or rename that would make a protected file writable.
pub(crate) fn guard_proc(best_effort: bool) -> Result<LandlockStatus, UnveilError> {
    let explain = "wpath without prot_exec needs Landlock to keep /proc/self/mem and the files mapped executable unwritable";
    let abi = match layer_abi(explain, best_effort)? {
        Ok(abi) => abi,
        Err(not_enforced) => return Ok(not_enforced),
    };
    let protected = guard::protected()?;
    let (all, files) = guard::names(&protected);
    let writable = guard::writable_paths(Path::new("/"), &all, &files).map_err(open_error("/"))?;
    let write = WRITE_FILE | if abi >= 3 { TRUNCATE } else { 0 };
    let refer = if abi >= 2 { REFER } else { 0 };
    let attr = sys::RulesetAttr {
        handled_access_fs: write | refer,
        handled_access_net: 0,
        scoped: 0,
    };
    let ruleset = sys::landlock_create_ruleset(&attr).map_err(|source| UnveilError::Kernel {
        call: "landlock_create_ruleset",
        source,
    })?;
    let add = |fd: &OwnedFd, access| {
        sys::landlock_add_path(ruleset.as_fd(), fd.as_fd(), access).map_err(|source| {
            UnveilError::Kernel {
                call: "landlock_add_rule",
                source,
            }
        })
    };
    let mut rules = 0;
    if refer != 0 {
        let root =
            sys::open_path(None, Path::new("/"), libc::O_DIRECTORY).map_err(open_error("/"))?;
        add(&root, refer)?;
        rules += 1;
    }
    for path in &writable {
        let Ok(fd) = sys::open_path(None, path, libc::O_NOFOLLOW) else {
            continue;
        };
        // Writing and truncating are file rights, so they suit file and directory rules alike.
        add(&fd, write)?;
        rules += 1;
    }
    let threads = restrict_all_threads(&ruleset, abi)?;
    if abi < 3 && !protected.is_empty() {
        // Landlock cannot keep the protected files from being truncated by path before ABI 3.
        refuse_truncate_by_path()?;
    }
    guard::recheck(&protected)?;
    Ok(LandlockStatus {
        abi,
        handled_fs: write | refer,
        handled_net: 0,
        scoped: 0,
        rules,
        threads,
        not_enforced: Vec::new(),
    })
}

/// Whether a policy may open files by path (and so `/proc/<pid>/...` of other processes).
pub(crate) fn opens_files(promises: PromiseSet) -> bool {
    [Promise::Rpath, Promise::Wpath, Promise::Cpath]
        .iter()
        .any(|p| promises.contains(*p))
}

/// A minimal Landlock layer that keeps other processes out of reach: Landlock confines
/// ptrace-mode access (`/proc/<pid>/mem`, `environ`, `fd/`, `maps`) to processes in the same or
/// a nested domain. It handles only moving files across directories and grants that everywhere
/// (on ABI 1, which has no such right, executing, granted everywhere: ABI 1 refuses moves across
/// directories under any domain), and the scopes the promises allow (ABI 6).
pub(crate) fn process_scope(
    promises: PromiseSet,
    best_effort: bool,
) -> Result<LandlockStatus, UnveilError> {
    let explain = "keeping /proc/<pid> of other processes out of reach of a phase that opens files needs Landlock";
    let abi = match layer_abi(explain, best_effort)? {
        Ok(abi) => abi,
        Err(not_enforced) => return Ok(not_enforced),
    };
    let access = if abi >= 2 { REFER } else { EXECUTE };
    let mut scoped = 0;
    if abi >= 6 {
        if !promises.contains(Promise::Proc) {
            scoped |= SCOPE_SIGNAL;
        }
        if !promises.contains(Promise::Unix) {
            scoped |= SCOPE_ABSTRACT_UNIX;
        }
    }
    let attr = sys::RulesetAttr {
        handled_access_fs: access,
        handled_access_net: 0,
        scoped,
    };
    let ruleset = sys::landlock_create_ruleset(&attr).map_err(|source| UnveilError::Kernel {
        call: "landlock_create_ruleset",
        source,
    })?;
    let root = sys::open_path(None, Path::new("/"), libc::O_DIRECTORY).map_err(open_error("/"))?;
    sys::landlock_add_path(ruleset.as_fd(), root.as_fd(), access).map_err(|source| {
        UnveilError::Kernel {
            call: "landlock_add_rule",
            source,
        }
    })?;
    let threads = restrict_all_threads(&ruleset, abi)?;
    Ok(LandlockStatus {
        abi,
        handled_fs: access,
        handled_net: 0,
        scoped,
        rules: 1,
        threads,
        not_enforced: Vec::new(),
    })
}

/// Maps an I/O error on `path` to [`UnveilError::Open`].
fn open_error(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> UnveilError {
    let path = path.into();
    move |source| UnveilError::Open { path, source }
}

/// (dev, ino) of every directory above `r`, up to the root.
fn ancestors_of(r: &Rule) -> io::Result<BTreeSet<(u64, u64)>> {
    let mut set = BTreeSet::new();
    let mut cur = if r.is_dir {
        sys::open_path(Some(r.fd.as_fd()), Path::new(".."), libc::O_DIRECTORY)?
    } else {
        let parent = r
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        sys::open_path(None, parent, libc::O_DIRECTORY)?
    };
    for _ in 0..4096 {
        let (dev, ino, _) = sys::identity(cur.as_fd())?;
        if !set.insert((dev, ino)) {
            break; // ".." of the root is the root
        }
        cur = sys::open_path(Some(cur.as_fd()), Path::new(".."), libc::O_DIRECTORY)?;
    }
    Ok(set)
}

fn report(msg: &str) {
    sys::write_stderr(
        format!("sandbox: unveil runs best-effort; not enforced: {msg}\n").as_bytes(),
    );
}

// ---- every thread ---------------------------------------------------------------------------

static BROADCAST_FD: AtomicI32 = AtomicI32::new(-1);
/// The broadcast's round: a thread's answer carries the round it answered in.
static ROUND: AtomicU32 = AtomicU32::new(0);
/// Answers: `(round << 32) | tid`, one slot per answer.
static ACKED: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];
static ACK_COUNT: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);
/// `/proc/self/task` as opened at the first phase, and by which process: a child forked after it
/// has the descriptor too, but it lists the parent's threads.
static TASK_DIR: OnceLock<(u32, io::Result<OwnedFd>)> = OnceLock::new();

/// Opens `/proc/self/task` while the process may still open files (called at the first phase).
pub(crate) fn prepare() {
    TASK_DIR.get_or_init(|| (sys::getpid(), sys::open_task_dir()));
}

/// The real-time signal used to ask other threads to restrict themselves on kernels before
/// Landlock ABI 8. The program must not use it for anything else.
#[must_use]
pub fn broadcast_signal() -> i32 {
    libc::SIGRTMAX() - 3
}

extern "C" fn on_broadcast(_sig: libc::c_int) {
    let fd = BROADCAST_FD.load(Ordering::Acquire);
    let round = ROUND.load(Ordering::Acquire);
    let ok = fd >= 0 && sys::set_no_new_privs_raw() && sys::landlock_restrict_self(fd, 0).is_ok();
    if ok {
        let i = ACK_COUNT.fetch_add(1, Ordering::AcqRel);
        if let Some(slot) = ACKED.get(i) {
            let tid = u64::from(u32::from_ne_bytes(sys::gettid().to_ne_bytes()));
            slot.store((u64::from(round) << 32) | tid, Ordering::Release);
        }
    } else {
        FAILED.fetch_add(1, Ordering::AcqRel);
    }
}

/// One thread as the broadcast knows it: its id and a handle on its `/proc/self/task/<tid>`.
///
/// Thread ids are reused as soon as a thread exits, so an id alone cannot say that a thread
/// seen now is the one that answered before: a thread created with the signal blocked could
/// take the id of one that answered and exited, and be counted as restricted. The handle is
/// tied to the task it was opened on: once that task has exited, nothing can be opened through
/// it, even when a new thread has its id.
struct Known {
    tid: i32,
    handle: OwnedFd,
}

impl Known {
    fn open(task_dir: std::os::fd::BorrowedFd<'_>, tid: i32) -> Option<Known> {
        let handle = sys::open_path(
            Some(task_dir),
            Path::new(&tid.to_string()),
            libc::O_DIRECTORY,
        )
        .ok()?;
        Some(Known { tid, handle })
    }

    /// Whether the task the handle was opened on still exists.
    fn alive(&self) -> bool {
        sys::open_path(Some(self.handle.as_fd()), Path::new("stat"), 0).is_ok()
    }
}

/// The thread ids that answered in `round`.
fn answered(round: u32) -> BTreeSet<i32> {
    (0..ACK_COUNT.load(Ordering::Acquire).min(ACKED.len()))
        .map(|i| ACKED[i].load(Ordering::Acquire))
        .filter(|v| v >> 32 == u64::from(round))
        .map(|v| i32::from_ne_bytes((v as u32).to_ne_bytes()))
        .collect()
}

fn restrict_all_threads(ruleset: &OwnedFd, abi: u32) -> Result<usize, UnveilError> {
    let restrict = |flags| {
        sys::landlock_restrict_self(ruleset.as_raw_fd(), flags).map_err(|source| {
            if source.raw_os_error() == Some(libc::E2BIG) {
                UnveilError::TooManyLayers
            } else {
                UnveilError::Kernel {
                    call: "landlock_restrict_self",
                    source,
                }
            }
        })
    };
    if !sys::set_no_new_privs_raw() {
        return Err(UnveilError::Kernel {
            call: "prctl(PR_SET_NO_NEW_PRIVS)",
            source: io::Error::last_os_error(),
        });
    }
    if abi >= 8 {
        restrict(RESTRICT_SELF_TSYNC)?;
        return Ok(threads_now().map_or(1, |t| t.len()));
    }
    let me = sys::gettid();
    // A lone thread needs no listing: the link count of `/proc/self/task` is the number of
    // threads plus two, and a handle on it is an `O_PATH` open, which the phase in force allows
    // whatever it unveiled (a child forked after the first phase has no listing of its own).
    if alone() {
        restrict(0)?;
        return Ok(1);
    }
    let others: Vec<i32> = threads_now()?.into_iter().filter(|t| *t != me).collect();
    if others.is_empty() {
        restrict(0)?;
        return Ok(1);
    }
    let task_dir = task_dir()?;
    let task_dir = task_dir.as_fd();
    // Restrict the others first, from their own signal handlers, then this thread; repeat until
    // every thread listed is one that answered (an unrestricted thread may have started another,
    // or exited and left its id to a new one).
    let sig = broadcast_signal();
    if !sys::claim_signal(sig, on_broadcast).map_err(|source| UnveilError::Kernel {
        call: "sigaction",
        source,
    })? {
        return Err(UnveilError::Unenforceable(format!(
            "signal {sig}, which sandbox uses to restrict existing threads on kernels before Landlock ABI 8, has a handler of the program's"
        )));
    }
    BROADCAST_FD.store(ruleset.as_raw_fd(), Ordering::Release);
    ACK_COUNT.store(0, Ordering::Release);
    FAILED.store(0, Ordering::Release);
    let result = broadcast(task_dir, me, sig);
    BROADCAST_FD.store(-1, Ordering::Release);
    let done = result?;
    restrict(0)?;
    Ok(done + 1)
}

/// The rounds of the broadcast: returns how many threads restricted themselves.
fn broadcast(
    task_dir: std::os::fd::BorrowedFd<'_>,
    me: i32,
    sig: i32,
) -> Result<usize, UnveilError> {
    let mut done: Vec<Known> = Vec::new();
    loop {
        // A thread is done when it answered and the task that answered is still the one with
        // that id (its handle is alive). Anything else listed is asked (again).
        done.retain(Known::alive);
        let pending: Vec<Known> = threads_now()?
            .into_iter()
            .filter(|t| *t != me && !done.iter().any(|d| d.tid == *t))
            .filter_map(|t| Known::open(task_dir, t))
            .collect();
        if pending.is_empty() {
            return Ok(done.len());
        }
        // The handles were opened before the round starts, so an answer carrying this round
        // and this id came from the task the handle names, if that task is still alive.
        let round = ROUND.fetch_add(1, Ordering::AcqRel).wrapping_add(1);
        for k in &pending {
            let _ = sys::signal_thread(k.tid, sig); // a thread that has exited needs nothing
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let acked = answered(round);
            let missing: Vec<i32> = pending
                .iter()
                .filter(|k| !acked.contains(&k.tid) && k.alive())
                .map(|k| k.tid)
                .collect();
            if missing.is_empty() {
                break;
            }
            if FAILED.load(Ordering::Acquire) > 0 || Instant::now() > deadline {
                return Err(UnveilError::Threads(missing));
            }
            sys::nap();
        }
        done.extend(pending.into_iter().filter(Known::alive));
    }
}

/// Whether the calling thread is the process's only one.
fn alone() -> bool {
    use std::os::unix::fs::MetadataExt;
    sys::open_path(None, Path::new("/proc/self/task"), libc::O_DIRECTORY)
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|md| md.nlink() == 3)
}

/// This process's `/proc/self/task`: the one kept since the first phase, or, in a child forked
/// since, a new one.
fn task_dir() -> Result<OwnedFd, UnveilError> {
    let error = |e: &io::Error| UnveilError::Kernel {
        call: "open(/proc/self/task)",
        source: io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
    };
    let (pid, kept) = TASK_DIR.get_or_init(|| (sys::getpid(), sys::open_task_dir()));
    if *pid != sys::getpid() {
        // Listing needs a read-only open, which only rpath allows once a filter is in force.
        if crate::phase::held_now().is_some_and(|h| !h.contains(Promise::Rpath)) {
            return Err(UnveilError::Unenforceable(
                "a process forked after the first phase, with more than one thread, cannot list its threads to restrict them (the promises in force lack rpath); enter the phase before starting threads, or keep rpath".into(),
            ));
        }
        return sys::open_task_dir().map_err(|e| error(&e));
    }
    let fd = match kept {
        Ok(fd) => fd.try_clone().map_err(|e| error(&e))?,
        Err(e) => return Err(error(e)),
    };
    // The kept number may hold another directory by now (another thread's dup2), which would
    // list no thread and leave every other thread unrestricted: it must still be this
    // process's task directory, the one a fresh name resolves to.
    let fresh = sys::open_path(None, Path::new("/proc/self/task"), libc::O_DIRECTORY)
        .and_then(|f| sys::identity(f.as_fd()))
        .map_err(|e| error(&e))?;
    let kept_id = sys::identity(fd.as_fd()).map_err(|e| error(&e))?;
    if !sys::is_procfs(fd.as_fd()) || (kept_id.0, kept_id.1) != (fresh.0, fresh.1) {
        return Err(replaced(Path::new("/proc/self/task")));
    }
    Ok(fd)
}

fn threads_now() -> Result<Vec<i32>, UnveilError> {
    sys::list_threads(task_dir()?.as_fd()).map_err(|source| UnveilError::Kernel {
        call: "getdents64(/proc/self/task)",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &str) -> PromiseSet {
        PromiseSet::parse(words).unwrap()
    }

    #[test]
    fn unix_sockets_follow_the_abi() {
        let with_unix = set("stdio rpath unix");
        // Before ABI 9 an unveiling phase that may make unix sockets cannot be enforced.
        assert_eq!(unix_access(8, true, with_unix), None);
        assert_eq!(unix_access(9, true, with_unix), Some(RESOLVE_UNIX));
        assert_eq!(unix_access(10, true, with_unix), Some(RESOLVE_UNIX));
        // Without unix the filter refuses the sockets; from ABI 9 Landlock also covers those
        // made before the phase.
        assert_eq!(unix_access(8, true, set("stdio rpath")), Some(0));
        assert_eq!(unix_access(9, true, set("stdio rpath")), Some(RESOLVE_UNIX));
        // No user unveil, no path to confine to.
        assert_eq!(unix_access(9, false, with_unix), Some(0));
        assert_eq!(unix_access(3, false, with_unix), Some(0));
        // Sockets are reached with "w" and nothing else, on files and directories alike.
        assert_eq!(
            rights(Perms::parse("w").unwrap()) & RESOLVE_UNIX,
            RESOLVE_UNIX
        );
        assert_eq!(rights(Perms::parse("rxc").unwrap()) & RESOLVE_UNIX, 0);
        assert_eq!(FILE_RIGHTS & RESOLVE_UNIX, RESOLVE_UNIX);
    }

    #[test]
    fn network_rights_follow_the_abi() {
        let tcp = NET_BIND_TCP | NET_CONNECT_TCP;
        assert_eq!(net_access(3, Some(set("stdio dns"))), (0, vec![]));
        assert_eq!(
            net_access(4, Some(set("stdio dns"))),
            (tcp, vec![(NET_CONNECT_TCP, 53)])
        );
        assert_eq!(
            net_access(9, Some(set("stdio rpath dns"))),
            (tcp, vec![(NET_CONNECT_TCP, 53)])
        );
        // ABI 10: UDP to port 53 only under dns.
        assert_eq!(
            net_access(10, Some(set("stdio dns"))),
            (
                tcp | NET_CONNECT_SEND_UDP,
                vec![(NET_CONNECT_TCP, 53), (NET_CONNECT_SEND_UDP, 53)]
            )
        );
        assert_eq!(
            net_access(10, Some(set("stdio"))),
            (tcp | NET_CONNECT_SEND_UDP, vec![])
        );
        // inet grants every port; so does a phase without a pledge.
        assert_eq!(net_access(10, Some(set("stdio inet dns"))), (0, vec![]));
        assert_eq!(net_access(10, None), (0, vec![]));
    }

    #[test]
    fn truncate_filter_refuses_truncation_by_path_only() {
        use sandbox_policy::bpf::{self, SeccompData, ret};
        for arch in sandbox_policy::Arch::ALL {
            let prog = truncate_filter(arch);
            let c = arch.consts();
            let run = |name: &str, args: [u64; 6]| {
                let nr = arch.syscall_number(name)?;
                let d = SeccompData {
                    nr,
                    arch: arch.audit_arch(),
                    args,
                    ..Default::default()
                };
                Some(bpf::run(&prog, &d).action)
            };
            let eacces = Some(ret::ERRNO | 13);
            let allow = Some(ret::ALLOW);
            let (rd, wr, rdwr) = (0, 1, 2);
            if arch.syscall_number("truncate").is_some() {
                assert_eq!(run("truncate", [0x1000, 0, 0, 0, 0, 0]), eacces, "{arch}");
            }
            let t = c.o_trunc;
            assert_eq!(
                run("openat", [0, 0x1000, rd | t, 0, 0, 0]),
                eacces,
                "{arch}"
            );
            assert_eq!(run("openat", [0, 0x1000, wr | t, 0, 0, 0]), allow, "{arch}");
            assert_eq!(
                run("openat", [0, 0x1000, rdwr | t, 0, 0, 0]),
                allow,
                "{arch}"
            );
            assert_eq!(run("openat", [0, 0x1000, rd, 0, 0, 0]), allow, "{arch}");
            // The high half of the flags is not the kernel's: ignored, as an int.
            assert_eq!(
                run("openat", [0, 0x1000, (1 << 40) | t, 0, 0, 0]),
                eacces,
                "{arch}"
            );
            if arch.syscall_number("open").is_some() {
                assert_eq!(run("open", [0x1000, rd | t, 0, 0, 0, 0]), eacces, "{arch}");
                assert_eq!(run("open", [0x1000, wr | t, 0, 0, 0, 0]), allow, "{arch}");
            }
            assert_eq!(
                run("openat2", [0, 0x1000, 0x2000, 24, 0, 0]),
                Some(ret::ERRNO | 38)
            );
            assert_eq!(run("ftruncate", [3, 0, 0, 0, 0, 0]), allow, "{arch}");
            assert_eq!(run("read", [0, 0, 0, 0, 0, 0]), allow, "{arch}");
            let foreign = SeccompData {
                nr: 92,
                arch: 0x4000_0003,
                ..Default::default()
            };
            assert_eq!(bpf::run(&prog, &foreign).action, ret::ERRNO | 38);
        }
    }
}
