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
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use sandbox_policy::Perms;
use sandbox_policy::{Promise, PromiseSet};

use crate::sys;

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
const FILE_RIGHTS: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;
const NET_BIND_TCP: u64 = 1;
const NET_CONNECT_TCP: u64 = 2;
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
        r |= WRITE_FILE | TRUNCATE | IOCTL_DEV;
    }
    if perms.includes(Perms::X) {
        r |= EXECUTE;
    }
    if perms.includes(Perms::C) {
        r |= MAKE_ALL | REMOVE_FILE | REMOVE_DIR | REFER;
    }
    r
}

/// Files that promises imply, made reachable when the policy uses Landlock.
fn implied(promises: PromiseSet) -> Vec<Unveil> {
    let mut v = Vec::new();
    let mut add = |p: &str, perms: &str| v.push(Unveil::new(p, perms, true));
    if promises.contains(Promise::Stdio) {
        add("/dev/null", "rw");
        add("/etc/localtime", "r");
        add("/usr/share/zoneinfo", "r");
    }
    if promises.contains(Promise::Dns) {
        for f in [
            "/etc/resolv.conf",
            "/etc/hosts",
            "/etc/host.conf",
            "/etc/nsswitch.conf",
            "/etc/gai.conf",
            "/etc/services",
            "/etc/protocols",
        ] {
            add(f, "r");
        }
    }
    if promises.contains(Promise::Getpw) {
        for f in ["/etc/passwd", "/etc/group", "/etc/nsswitch.conf"] {
            add(f, "r");
        }
    }
    if promises.contains(Promise::Tmppath) {
        add("/tmp", "rwc");
    }
    v
}

/// Whether a policy needs Landlock even without unveils. The table lets dns, getpw and tmppath
/// open files by flags alone (seccomp cannot read paths), counting on Landlock to confine them
/// to their files; unless rpath, wpath and cpath are all held (and so grant everything those
/// could), the confinement is needed: "stdio wpath tmppath" must not read outside /tmp.
#[must_use]
pub(crate) fn path_precise(promises: PromiseSet) -> bool {
    let precise = [Promise::Dns, Promise::Getpw, Promise::Tmppath];
    let general = [Promise::Rpath, Promise::Wpath, Promise::Cpath];
    precise.iter().any(|p| promises.contains(*p)) && !general.iter().all(|p| promises.contains(*p))
}

/// Paths that a phase with `wpath` and without `prot_exec` must not be able to write: `/proc`
/// (`/proc/self/mem` patches code) and every file mapped executable now (the program's libraries:
/// a private mapping shows a rewritten file's new contents on pages it has not copied, so
/// writing the file would change code that runs). New executable mappings need `prot_exec`.
fn protected_paths() -> io::Result<Vec<PathBuf>> {
    let mut out = vec![PathBuf::from("/proc")];
    for line in std::fs::read_to_string("/proc/self/maps")?.lines() {
        let mut fields = line.split_whitespace();
        let perms = fields.nth(1).unwrap_or("");
        let path = fields.nth(3).unwrap_or("");
        if perms.contains('x') && path.starts_with('/') && !line.ends_with("(deleted)") {
            let p = PathBuf::from(path);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The largest set of paths under `dir` that covers everything but `protected`: entries that
/// contain no protected path as they are, entries on the way to one entered and split, the
/// protected ones left out. Symlinks are skipped (their targets are covered where they live).
fn writable_around(dir: &Path, protected: &[PathBuf], out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() || protected.contains(&path) {
            continue;
        }
        if protected.iter().any(|p| p.starts_with(&path)) {
            if kind.is_dir() {
                writable_around(&path, protected, out)?;
            }
            continue;
        }
        out.push(path);
    }
    Ok(())
}

/// For a phase made path-precise without unveils: the general path promises it holds, as rules
/// over the whole tree (rpath: read everywhere; wpath: write everywhere, but under /proc when
/// [`needs_proc_guard`]; cpath: create and remove everywhere).
fn general_rules(promises: PromiseSet) -> io::Result<Vec<Unveil>> {
    let mut v = Vec::new();
    let mut root = String::new();
    if promises.contains(Promise::Rpath) {
        root.push('r');
    }
    if promises.contains(Promise::Cpath) {
        root.push('c');
    }
    if promises.contains(Promise::Wpath) {
        if needs_proc_guard(promises) {
            let mut writable = Vec::new();
            writable_around(Path::new("/"), &protected_paths()?, &mut writable)?;
            v.extend(writable.iter().map(|p| Unveil::new(p, "w", true)));
        } else {
            root.push('w');
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
    #[error("unveil path {} does not exist (mark it `optional` if it may be absent)", .path.display())]
    MissingPath {
        /// The path.
        path: PathBuf,
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
    /// The promises in force do not include `unveil`, so the Landlock calls are denied.
    #[error("phase `{current}` dropped the `unveil` promise, so no later phase can unveil")]
    NoUnveilPromise {
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
    let mut implicit = known.map(implied).unwrap_or_default();
    if let (true, Some(promises)) = (general, known) {
        implicit.extend(general_rules(promises).map_err(open_error("/"))?);
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
                return Err(UnveilError::MissingPath {
                    path: u.path.clone(),
                    source: e,
                });
            }
            Err(e) => return Err(open_error(&u.path)(e)),
        };
        let (dev, ino, is_dir) = sys::identity(fd.as_fd()).map_err(open_error(&u.path))?;
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
    // no rule may grant writing at, above or below them.
    // `guarded`: a Landlock domain in force already keeps them unwritable, and rules only narrow.
    if needs_proc_guard(promises) && !guarded {
        let protected = protected_paths().map_err(open_error("/proc/self/maps"))?;
        for q in &protected {
            let Ok(fd) = sys::open_path(None, q, 0) else {
                continue;
            };
            let Ok((dev, ino, is_dir)) = sys::identity(fd.as_fd()) else {
                continue;
            };
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
    let handled = handled_fs(abi);
    if abi < 3
        && promises.contains(Promise::Wpath)
        && rules.iter().any(|r| !r.perms.includes(Perms::W))
    {
        let msg = format!(
            "Landlock ABI {abi} cannot restrict truncate(2), and the promises include wpath"
        );
        if !best_effort {
            return Err(UnveilError::Unenforceable(msg));
        }
        not_enforced.push(msg);
    }
    let handled_net = if abi >= 4 && !promises.contains(Promise::Inet) {
        NET_BIND_TCP | NET_CONNECT_TCP
    } else {
        0
    };
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
        sys::landlock_add_path(ruleset.as_fd(), r.fd.as_fd(), access).map_err(|source| {
            UnveilError::Kernel {
                call: "landlock_add_rule",
                source,
            }
        })?;
        added += 1;
    }
    let threads = restrict_all_threads(&ruleset, abi)?;
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

/// Whether a policy needs /proc kept unwritable: it may open files for writing (wpath) but not
/// map memory executable (no prot_exec), and `/proc/self/mem` would let it patch its own code.
pub(crate) fn needs_proc_guard(promises: PromiseSet) -> bool {
    promises.contains(Promise::Wpath) && !promises.contains(Promise::ProtExec)
}

/// Applies a Landlock layer that handles only file writes and allows them everywhere but at
/// [`protected_paths`]: the filesystem stays writable as `wpath` says, `/proc` and the files
/// mapped executable do not. The tree is listed now, down the paths to the protected files:
/// entries created later in the directories listed, and files directly in `/`, are not
/// writable under this layer.
pub(crate) fn guard_proc(best_effort: bool) -> Result<LandlockStatus, UnveilError> {
    let explain = "wpath without prot_exec needs Landlock to keep /proc/self/mem and the files mapped executable unwritable";
    let abi = match abi() {
        Ok(abi) => abi,
        Err(e) if best_effort => {
            let msg = format!("{explain}, and Landlock is not available ({e})");
            report(&msg);
            return Ok(LandlockStatus {
                abi: 0,
                handled_fs: 0,
                handled_net: 0,
                scoped: 0,
                rules: 0,
                threads: 0,
                not_enforced: vec![msg],
            });
        }
        Err(e) => {
            return Err(UnveilError::Unenforceable(format!(
                "{explain}, and this kernel has no Landlock ({e})"
            )));
        }
    };
    let attr = sys::RulesetAttr {
        handled_access_fs: WRITE_FILE,
        handled_access_net: 0,
        scoped: 0,
    };
    let ruleset = sys::landlock_create_ruleset(&attr).map_err(|source| UnveilError::Kernel {
        call: "landlock_create_ruleset",
        source,
    })?;
    let protected = protected_paths().map_err(open_error("/proc/self/maps"))?;
    let mut writable = Vec::new();
    writable_around(Path::new("/"), &protected, &mut writable).map_err(open_error("/"))?;
    let mut rules = 0;
    for path in &writable {
        let Ok(fd) = sys::open_path(None, path, libc::O_NOFOLLOW) else {
            continue;
        };
        // WRITE_FILE is a file right too, so it suits file and directory rules alike.
        sys::landlock_add_path(ruleset.as_fd(), fd.as_fd(), WRITE_FILE).map_err(|source| {
            UnveilError::Kernel {
                call: "landlock_add_rule",
                source,
            }
        })?;
        rules += 1;
    }
    let threads = restrict_all_threads(&ruleset, abi)?;
    Ok(LandlockStatus {
        abi,
        handled_fs: WRITE_FILE,
        handled_net: 0,
        scoped: 0,
        rules,
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
static ACKED: [AtomicI32; 1024] = [const { AtomicI32::new(0) }; 1024];
static ACK_COUNT: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);
static TASK_DIR: OnceLock<io::Result<OwnedFd>> = OnceLock::new();

/// Opens `/proc/self/task` while the process may still open files (called at the first phase).
pub(crate) fn prepare() {
    TASK_DIR.get_or_init(sys::open_task_dir);
}

/// The real-time signal used to ask other threads to restrict themselves on kernels before
/// Landlock ABI 8. The program must not use it for anything else.
#[must_use]
pub fn broadcast_signal() -> i32 {
    libc::SIGRTMAX() - 3
}

extern "C" fn on_broadcast(_sig: libc::c_int) {
    let fd = BROADCAST_FD.load(Ordering::Acquire);
    let ok = fd >= 0 && sys::set_no_new_privs_raw() && sys::landlock_restrict_self(fd, 0).is_ok();
    if ok {
        let i = ACK_COUNT.fetch_add(1, Ordering::AcqRel);
        if let Some(slot) = ACKED.get(i) {
            slot.store(sys::gettid(), Ordering::Release);
        }
    } else {
        FAILED.fetch_add(1, Ordering::AcqRel);
    }
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
    let others: Vec<i32> = threads_now()?.into_iter().filter(|t| *t != me).collect();
    if others.is_empty() {
        restrict(0)?;
        return Ok(1);
    }
    // Restrict the others first, from their own signal handlers, then this thread; repeat until
    // no unrestricted thread remains (an unrestricted thread may have started another).
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
    let mut done: BTreeSet<i32> = BTreeSet::new();
    loop {
        let now: BTreeSet<i32> = threads_now()?.into_iter().filter(|t| *t != me).collect();
        let pending: Vec<i32> = now.difference(&done).copied().collect();
        if pending.is_empty() {
            break;
        }
        for &t in &pending {
            let _ = sys::signal_thread(t, sig); // a thread that has exited needs nothing
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let acked: BTreeSet<i32> = (0..ACK_COUNT.load(Ordering::Acquire).min(ACKED.len()))
                .map(|i| ACKED[i].load(Ordering::Acquire))
                .collect();
            let alive: BTreeSet<i32> = threads_now()?.into_iter().collect();
            let missing: Vec<i32> = pending
                .iter()
                .copied()
                .filter(|t| alive.contains(t) && !acked.contains(t))
                .collect();
            if missing.is_empty() {
                done.extend(pending.iter().copied());
                break;
            }
            if FAILED.load(Ordering::Acquire) > 0 || Instant::now() > deadline {
                BROADCAST_FD.store(-1, Ordering::Release);
                return Err(UnveilError::Threads(missing));
            }
            sys::nap();
        }
    }
    BROADCAST_FD.store(-1, Ordering::Release);
    restrict(0)?;
    Ok(done.len() + 1)
}

fn threads_now() -> Result<Vec<i32>, UnveilError> {
    match TASK_DIR.get_or_init(sys::open_task_dir) {
        Ok(fd) => sys::list_threads(fd.as_fd()).map_err(|source| UnveilError::Kernel {
            call: "getdents64(/proc/self/task)",
            source,
        }),
        Err(e) => Err(UnveilError::Kernel {
            call: "open(/proc/self/task)",
            source: io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
        }),
    }
}
