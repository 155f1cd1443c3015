//! Calls the SIGSYS handler answers itself instead of reporting them, because the promises in
//! force already allow what they would do: they are refused by the filter only because seccomp
//! cannot see what they name.
//!
//! - **Changing an owner to the owner a file already has** (`fchown`, `fchownat`, `chown`,
//!   `lchown` with each id `-1` or equal to the file's): no privilege, and SQLite does it as root
//!   for every journal and WAL file. Answered 0 without running: the file is not touched (the
//!   kernel would also clear its set-user-ID and set-group-ID bits; the answer leaves them).
//! - **The time zone files under `stdio`**, which OpenBSD's `stdio` keeps readable: `/etc/localtime`
//!   and the zone `TZ` names under `/usr/share/zoneinfo`. At the first phase the runtime opens
//!   them (only files that start with the `TZif` magic); afterwards a `stat` of one is answered
//!   from that descriptor (`fstatat(fd, "", AT_EMPTY_PATH)`, into the caller's buffer, by the
//!   kernel), and a read-only `open` gets a duplicate of one of [`POOL`] descriptions of the
//!   file, rewound, one whose last duplicate is closed (chrono re-checks `/etc/localtime` once a second and reads
//!   it again in every new thread; glibc reads it at the first `localtime_r`, and seeks in it,
//!   so a pipe of its bytes would not do). Limits: the contents are those of the file opened at
//!   the first phase (a zone changed later is not seen), and more than [`POOL`] readers of one
//!   zone file at the same moment share an offset.
//!
//! Everything here runs in the signal handler: no allocation, no lock, only calls `stdio` allows
//! (the handler answers only when `stdio` is held, so that none of them traps again), and
//! `errno` is saved and restored. Under the `error` promise the filter answers `EPERM` itself
//! and these calls fail as any denied call does.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use sandbox_policy::{Arch, Promise, PromiseSet};

use crate::sys;

/// The zone files kept open since the first phase.
struct Zones {
    /// `/etc/localtime` itself (`O_PATH | O_NOFOLLOW`), for `lstat`.
    link: Option<Link>,
    /// What `/etc/localtime` leads to, opened for reading.
    localtime: Option<Kept>,
    /// The zone `TZ` names, as a path under `/usr/share/zoneinfo`.
    tz: Option<(Vec<u8>, Kept)>,
}

/// `/etc/localtime` as a name, with the device and inode it had.
struct Link {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
}

/// Open file descriptions handed out per zone file, in turn.
const POOL: usize = 4;

struct Kept {
    /// The first is also the one `stat` is answered from.
    fds: Vec<OwnedFd>,
    /// The descriptor last handed out for each description (-1: none).
    handed: Vec<AtomicI32>,
    dev: u64,
    ino: u64,
    next: AtomicUsize,
}

static ZONES: OnceLock<Zones> = OnceLock::new();

const LOCALTIME: &[u8] = b"/etc/localtime";
const ZONEINFO: &str = "/usr/share/zoneinfo";

/// Opens the zone files, once, before the first filter (the caller is still unrestricted).
pub(crate) fn keep_zone_files() {
    ZONES.get_or_init(|| {
        let link = sys::open_path(
            None,
            std::path::Path::new("/etc/localtime"),
            libc::O_NOFOLLOW,
        )
        .ok()
        .and_then(|fd| {
            let st = sys::stat_at(fd.as_raw_fd(), None, 0).ok()?;
            Some(Link {
                dev: st.st_dev,
                ino: st.st_ino,
                fd,
            })
        });
        let localtime = keep("/etc/localtime");
        let tz = std::env::var_os("TZ").and_then(|tz| {
            let tz = tz.as_encoded_bytes();
            let name = tz.strip_prefix(b":").unwrap_or(tz);
            // A zone name, never a path of the environment's choosing: no absolute path, no
            // `..`, and the file must be a zone file.
            let name = std::str::from_utf8(name).ok()?;
            if name.is_empty() || name.starts_with('/') || name.split('/').any(|c| c == "..") {
                return None;
            }
            let path = format!("{ZONEINFO}/{name}");
            keep(&path).map(|k| (path.into_bytes(), k))
        });
        Zones {
            link,
            localtime,
            tz,
        }
    });
}

fn keep(path: &str) -> Option<Kept> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let mut f = std::fs::File::open(path).ok()?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic).ok()?;
    let md = f.metadata().ok()?;
    if magic != *b"TZif" || !md.is_file() {
        return None;
    }
    let mut fds = vec![OwnedFd::from(f)];
    // More descriptions of the same file (a later rename could swap it: `still` checks each).
    for _ in 1..POOL {
        if let Ok(more) = std::fs::File::open(path) {
            fds.push(more.into());
        }
    }
    Some(Kept {
        handed: fds.iter().map(|_| AtomicI32::new(-1)).collect(),
        fds,
        dev: md.dev(),
        ino: md.ino(),
        next: AtomicUsize::new(0),
    })
}

/// The value to return for a trapped call that the promises `held` allow in effect, or `None`
/// to report it.
pub(crate) fn answer(t: &sys::Trapped, held: PromiseSet) -> Option<i64> {
    if !held.contains(Promise::Stdio) {
        return None;
    }
    let arch = Arch::native()?;
    let name = arch.syscall_name(t.nr)?;
    let saved = sys::errno();
    let r = match name {
        "fchown" => same_owner(i32_of(t.args[0]), None, t.args[1], t.args[2], 0),
        "chown" => same_owner(libc::AT_FDCWD, Some(t.args[0]), t.args[1], t.args[2], 0),
        "lchown" => same_owner(
            libc::AT_FDCWD,
            Some(t.args[0]),
            t.args[1],
            t.args[2],
            libc::AT_SYMLINK_NOFOLLOW,
        ),
        "fchownat" => fchownat(t),
        "stat" => zone_stat(t.args[0], t.args[1], 0),
        "lstat" => zone_stat(t.args[0], t.args[1], libc::AT_SYMLINK_NOFOLLOW),
        "newfstatat" | "fstatat" => zone_stat(t.args[1], t.args[2], i32_of(t.args[3])),
        "statx" => zone_statx(t),
        "open" => zone_open(t.args[0], t.args[1]),
        "openat" => zone_open(t.args[1], t.args[2]),
        _ => None,
    };
    sys::set_errno(saved);
    r
}

/// The low 32 bits of a register, as the kernel reads an `int` argument.
fn i32_of(v: u64) -> i32 {
    i32::from_ne_bytes((v as u32).to_ne_bytes())
}

/// An id argument: `Some(id)`, or `None` for `-1` (unchanged).
fn id_of(v: u64) -> Option<u32> {
    let id = v as u32;
    (id != u32::MAX).then_some(id)
}

fn fchownat(t: &sys::Trapped) -> Option<i64> {
    let flags = i32_of(t.args[4]);
    if flags & !(libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) != 0 {
        return None;
    }
    // An empty path names the descriptor only with AT_EMPTY_PATH (else ENOENT, which the real
    // call would give: leave that to the report).
    let mut first = [0u8; 1];
    if sys::read_user_string(t.args[1], &mut first) == 0 && flags & libc::AT_EMPTY_PATH == 0 {
        return None;
    }
    same_owner(
        i32_of(t.args[0]),
        Some(t.args[1]),
        t.args[2],
        t.args[3],
        flags,
    )
}

/// 0 when the file already has the owner and group asked for. The look-up is a stat the filter
/// allows under `stdio` (`AT_EMPTY_PATH`, with the caller's own path pointer, copied by the
/// kernel).
fn same_owner(dirfd: i32, path: Option<u64>, uid: u64, gid: u64, flags: i32) -> Option<i64> {
    // A null path is the kernel's EFAULT (the stat below would name the directory instead).
    if path == Some(0) {
        return None;
    }
    let st = sys::stat_at(dirfd, path, flags & libc::AT_SYMLINK_NOFOLLOW).ok()?;
    let uid_ok = id_of(uid).is_none_or(|u| u == st.st_uid);
    let gid_ok = id_of(gid).is_none_or(|g| g == st.st_gid);
    (uid_ok && gid_ok).then_some(0)
}

/// Which kept zone file a path names: `(descriptor for the file, descriptor for the name)`.
/// Only absolute names are answered (the directory descriptor does not count for them).
fn zone_for(path: u64) -> Option<(&'static Kept, Option<&'static Link>)> {
    let zones = ZONES.get()?;
    let mut buf = [0u8; 128];
    let n = sys::read_user_string(path, &mut buf);
    let name = &buf[..n];
    if n == buf.len() || !name.starts_with(b"/") {
        return None;
    }
    if name == LOCALTIME {
        return zones.localtime.as_ref().map(|k| (k, zones.link.as_ref()));
    }
    match &zones.tz {
        Some((tz, kept)) if name == tz.as_slice() => Some((kept, None)),
        _ => None,
    }
}

/// Whether a kept descriptor still holds the file it was opened on (the program may have
/// closed the number and reused it).
fn still(kept: &Kept, fd: &OwnedFd) -> bool {
    sys::stat_at(fd.as_raw_fd(), None, 0)
        .is_ok_and(|st| st.st_dev == kept.dev && st.st_ino == kept.ino)
}

fn still_link(link: &Link) -> bool {
    sys::stat_at(link.fd.as_raw_fd(), None, 0)
        .is_ok_and(|st| st.st_dev == link.dev && st.st_ino == link.ino)
}

/// The kept descriptor a `stat` of `path` with `flags` is answered from, checked to still hold
/// its file: `/etc/localtime` itself for `AT_SYMLINK_NOFOLLOW`, else what it leads to.
fn stat_fd(path: u64, flags: i32) -> Option<i32> {
    let (kept, link) = zone_for(path)?;
    if flags & libc::AT_SYMLINK_NOFOLLOW != 0
        && let Some(link) = link
    {
        return still_link(link).then(|| link.fd.as_raw_fd());
    }
    let first = kept.fds.first()?;
    still(kept, first).then(|| first.as_raw_fd())
}

fn zone_stat(path: u64, buf: u64, flags: i32) -> Option<i64> {
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT) != 0 {
        return None;
    }
    Some(sys::fstatat_into(stat_fd(path, flags)?, buf))
}

fn zone_statx(t: &sys::Trapped) -> Option<i64> {
    let flags = i32_of(t.args[2]);
    let allowed = libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT | libc::AT_STATX_SYNC_TYPE;
    if flags & !allowed != 0 {
        return None;
    }
    let fd = stat_fd(t.args[1], flags)?;
    let sync = flags & libc::AT_STATX_SYNC_TYPE;
    Some(sys::statx_into(fd, sync, t.args[3] as u32, t.args[4]))
}

fn zone_open(path: u64, flags: u64) -> Option<i64> {
    let flags = i32_of(flags);
    let allowed = libc::O_CLOEXEC | libc::O_LARGEFILE | libc::O_NOCTTY | libc::O_NONBLOCK;
    // Read-only, nothing else: no O_CREAT, O_TRUNC, O_PATH, O_DIRECTORY, O_NOFOLLOW (the name
    // is a symbolic link: the real open would fail), O_TMPFILE.
    if flags & libc::O_ACCMODE != libc::O_RDONLY || flags & !(allowed | libc::O_ACCMODE) != 0 {
        return None;
    }
    let (kept, _) = zone_for(path)?;
    // A description whose last duplicate is closed, from the next in turn; when all are in use
    // (more readers at once than POOL), the next in turn, shared.
    let n = kept.fds.len();
    let start = kept.next.fetch_add(1, Ordering::Relaxed);
    let i = (0..n)
        .map(|k| (start + k) % n)
        .find(|&i| !in_use(kept, kept.handed[i].load(Ordering::Relaxed)))
        .unwrap_or(start % n.max(1));
    let fd = kept.fds.get(i)?;
    if !still(kept, fd) {
        return None;
    }
    let new = sys::dup_rewound(fd.as_raw_fd(), flags & libc::O_CLOEXEC != 0);
    if let Ok(new) = i32::try_from(new) {
        kept.handed[i].store(new, Ordering::Relaxed);
    }
    Some(new)
}

/// Whether a descriptor handed out earlier is still open on the zone file (under `stdio`
/// without `rpath`, only an answer here or a descriptor from before the phase can be).
fn in_use(kept: &Kept, fd: i32) -> bool {
    fd >= 0
        && sys::stat_at(fd, None, 0).is_ok_and(|st| st.st_dev == kept.dev && st.st_ino == kept.ino)
}
