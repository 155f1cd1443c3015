//! The write guard: what a phase with `wpath` and without `prot_exec` keeps unwritable, so that
//! writing files cannot change the code the process runs.
//!
//! Two things would let such a phase change its code without mapping anything executable:
//!
//! - `/proc/self/mem` writes straight into the process's memory, code included. Everything
//!   under `/proc` stays unwritable.
//! - A file mapped executable: a private mapping shows a rewritten file's new contents on every
//!   page the process has not copied, and truncating the file drops even the copied pages, which
//!   are read again from the file when it grows back. So the *file* must stay unwritable and
//!   untruncatable, through every name it has.
//!
//! Landlock grants rights by place (a rule on a directory grants them beneath it) and cannot take
//! a right away beneath a rule, so "everything but these files" is written as rules on every entry
//! beside the way to each protected name ([`writable_paths`]). That protects names; to protect
//! files, every name of each protected file must be known:
//!
//! - the name the kernel gives the mapping (`/proc/self/map_files/<range>`, read as bytes, so
//!   spaces, newlines and a literal `" (deleted)"` in a name need no parsing), checked against the
//!   device and inode `/proc/self/maps` gives for the mapping;
//! - for a file with more than one link, the other names: looked for, by inode number, in the
//!   name's directory, its parent and their subdirectories (where cargo puts the hard
//!   links of what it builds). If fewer names than links are found, the phase fails closed;
//! - the same names seen through other mounts of the same filesystem (bind mounts), from
//!   `/proc/self/mountinfo`.
//!
//! Only files the process could write are protected: a file it does not own, without group or
//! other write bits, is safe from a process with no uid 0 and no capability (its mode cannot be
//! changed either). Links made after the phase gain nothing: Landlock refuses a link or rename
//! that would give a file more rights than it had where it was (`EXDEV`). A link made by another
//! thread while the phase is being entered is caught by [`recheck`], after the restriction.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::landlock::UnveilError;
use crate::sys;

/// A file mapped executable that the phase keeps unwritable, with every name it has.
#[derive(Clone, Debug)]
pub(crate) struct Protected {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    nlink: u64,
    /// Every name of the file, the first being the one the kernel gives its mapping.
    pub(crate) names: Vec<PathBuf>,
}

/// `makedev` as glibc and musl encode `st_dev`, for the `major:minor` of `/proc` texts.
fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff)
}

/// `major:minor` in hex (as `/proc/self/maps` writes it) or decimal (`mountinfo`).
fn parse_dev(s: &[u8], radix: u32) -> Option<u64> {
    let s = std::str::from_utf8(s).ok()?;
    let (major, minor) = s.split_once(':')?;
    Some(makedev(
        u64::from_str_radix(major, radix).ok()?,
        u64::from_str_radix(minor, radix).ok()?,
    ))
}

/// The first fields of each `/proc/self/maps` line: range, permissions, device and inode (the
/// offset skipped). The path at the end of the line is never read.
fn maps_fields(maps: &[u8]) -> impl Iterator<Item = (&[u8], &[u8], &[u8], &[u8])> {
    maps.split(|&b| b == b'\n').filter_map(|line| {
        let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
        let (range, perms, _offset) = (fields.next()?, fields.next()?, fields.next()?);
        Some((range, perms, fields.next()?, fields.next()?))
    })
}

/// Memory that is code and writable at once, in a `/proc/self/maps` text: a mapping both
/// writable and executable (anonymous or not), or an executable mapping of a file that is also
/// mapped writable and shared (a memfd mapped twice: writing one changes the other's code).
/// Without `prot_exec` such memory would run whatever is written into it.
fn writable_code(maps: &[u8]) -> Option<String> {
    let mut shared_writable = BTreeSet::new();
    let mut exec_files = Vec::new();
    for (range, perms, dev, ino) in maps_fields(maps) {
        let (w, x, s) = (
            perms.get(1) == Some(&b'w'),
            perms.get(2) == Some(&b'x'),
            perms.get(3) == Some(&b's'),
        );
        let range = String::from_utf8_lossy(range).into_owned();
        if w && x {
            return Some(format!("mapping {range} is writable and executable"));
        }
        let file = (dev.to_vec(), ino.to_vec());
        if ino != b"0" {
            if w && s {
                shared_writable.insert(file.clone());
            }
            if x {
                exec_files.push((range, file));
            }
        }
    }
    exec_files
        .into_iter()
        .find(|(_, f)| shared_writable.contains(f))
        .map(|(range, _)| {
            format!("mapping {range} is executable and its file is also mapped writable and shared")
        })
}

/// `/proc/self/maps`, kept open by a phase that drops `prot_exec` to look again once its filter
/// is in force (reading an open descriptor needs no promise).
pub(crate) struct Code(fs::File);

/// Checks that no memory is writable code (see [`writable_code`]) for a phase that drops
/// `prot_exec`, and keeps the maps open for [`Code::recheck`].
///
/// # Errors
///
/// What was found, or why the maps could not be read.
pub(crate) fn no_writable_code() -> Result<Code, String> {
    let file = fs::File::open("/proc/self/maps")
        .map_err(|e| format!("cannot read /proc/self/maps to look for writable code: {e}"))?;
    let code = Code(file);
    code.recheck()?;
    Ok(code)
}

impl Code {
    /// Reads the maps again and checks them.
    pub(crate) fn recheck(&self) -> Result<(), String> {
        let maps = read_from_start(&self.0)
            .map_err(|e| format!("cannot read /proc/self/maps to look for writable code: {e}"))?;
        match writable_code(&maps) {
            Some(found) => Err(format!(
                "{found}, which would run new code without prot_exec (unmap it, or mprotect it without PROT_WRITE, before the phase)"
            )),
            None => Ok(()),
        }
    }
}

/// One executable file mapping of `/proc/self/maps`: its address range (the name of its entry in
/// `/proc/self/map_files`), device and inode. The path at the end of the line is not read: it is
/// ambiguous (a newline in a name is written as `\012`, and `" (deleted)"` may be part of a name).
#[derive(Debug, PartialEq, Eq)]
struct Mapping<'a> {
    range: &'a [u8],
    dev: u64,
    ino: u64,
}

/// The executable file mappings of a `/proc/self/maps` text.
fn executable_mappings(maps: &[u8]) -> Vec<Mapping<'_>> {
    let mut out = Vec::new();
    for (range, perms, dev, ino) in maps_fields(maps) {
        let ino = std::str::from_utf8(ino).ok().and_then(|s| s.parse().ok());
        if perms.get(2) != Some(&b'x') {
            continue;
        }
        if let (Some(dev), Some(ino @ 1..)) = (parse_dev(dev, 16), ino) {
            out.push(Mapping { range, dev, ino });
        }
    }
    out
}

/// What the process could become or override: with a uid 0 among its ids, or any capability, it
/// is treated as able to write every file.
struct Identity {
    privileged: bool,
    uids: [u32; 3],
}

impl Identity {
    fn now() -> Identity {
        let (uids, caps) = sys::identity_now();
        Identity {
            privileged: uids.contains(&0) || caps,
            uids,
        }
    }

    /// Whether the process could write the file now or after changing its mode: as its owner
    /// (fattr may add the write bit), through the group bits (which are the ACL mask when the file
    /// has an ACL, so any named entry with write shows here), or as anyone.
    fn may_write(&self, md: &fs::Metadata) -> bool {
        self.privileged || self.uids.contains(&md.uid()) || md.mode() & 0o022 != 0
    }
}

/// The files mapped executable now that the process could write, with all their names.
///
/// # Errors
///
/// [`UnveilError::Unenforceable`] when a protected file has names that cannot be found (more
/// links than names found, or a mapping whose name was unlinked while another link remains);
/// [`UnveilError::Open`] when `/proc` cannot be read.
pub(crate) fn protected() -> Result<Vec<Protected>, UnveilError> {
    let proc_error = |path: &str| {
        let path = PathBuf::from(path);
        move |source| UnveilError::Open { path, source }
    };
    let file = fs::File::open("/proc/self/maps").map_err(proc_error("/proc/self/maps"))?;
    let maps = read_from_start(&file).map_err(proc_error("/proc/self/maps"))?;
    // Every file mapped executable now, writable or not, and a descriptor to look again after
    // the filter is in force (when nothing can be opened any more, and nothing mapped executable).
    *SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((
        file,
        executable_mappings(&maps)
            .iter()
            .map(|m| (m.dev, m.ino))
            .collect(),
    ));
    let identity = Identity::now();
    let mut mounts: Option<Vec<Mount>> = None;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for m in executable_mappings(&maps) {
        if !seen.insert((m.dev, m.ino)) {
            continue;
        }
        let link = PathBuf::from(std::ffi::OsStr::from_bytes(m.range)).into_os_string();
        let mut entry = PathBuf::from("/proc/self/map_files");
        entry.push(&link);
        let name = fs::read_link(&entry).map_err(proc_error("/proc/self/map_files"))?;
        // The name is the mapping's own, unless the kernel marked it unlinked. The device can
        // differ where the filesystem gives files another device than its superblock's (btrfs
        // subvolumes), so a name not marked unlinked is trusted on its inode number.
        let unlinked_mark = name.as_os_str().as_bytes().ends_with(b" (deleted)");
        let named = fs::symlink_metadata(&name).ok().filter(|md| {
            md.ino() == m.ino && (md.dev() == m.dev || !unlinked_mark) && md.file_type().is_file()
        });
        let Some(md) = named else {
            // No name leads to the mapping's file: it was unlinked (the kernel adds
            // " (deleted)"), or it never had one (a memfd). Another link may remain under a name
            // nothing tells, and a process that may follow the mapping's entry (CAP_SYS_ADMIN or
            // CAP_CHECKPOINT_RESTORE) can open the file itself through it, for writing, where
            // Landlock judges it by its old place (or not at all, for a memfd). Only a file that
            // cannot be written in any of these ways is left alone.
            unnamed(&entry, &name, &identity)?;
            continue;
        };
        if !identity.may_write(&md) {
            continue;
        }
        let mut names = vec![name.clone()];
        if md.nlink() > 1 {
            names.extend(other_links(&name, md.dev(), m.ino));
            if (names.len() as u64) < md.nlink() {
                return Err(UnveilError::Unenforceable(format!(
                    "{} is mapped executable and has {} links, of which {} were found (looked in its directory, its parent and their subdirectories); a write through another would change the program's code: remove the extra links, add prot_exec, or unveil narrower paths",
                    name.display(),
                    md.nlink(),
                    names.len()
                )));
            }
        }
        let mounts = match &mut mounts {
            Some(m) => m,
            None => mounts.insert(
                read_proc("/proc/self/mountinfo")
                    .map(|t| parse_mountinfo(&t))
                    .map_err(proc_error("/proc/self/mountinfo"))?,
            ),
        };
        let mut aliases = Vec::new();
        for n in &names {
            aliases.extend(mount_aliases(mounts, n, m.dev));
        }
        for a in aliases {
            if !names.contains(&a) {
                names.push(a);
            }
        }
        out.push(Protected {
            dev: md.dev(),
            ino: m.ino,
            nlink: md.nlink(),
            names,
        });
    }
    Ok(out)
}

/// A file mapped executable that no name leads to: fine if the process cannot write it (not its
/// own and no write bit, or sealed against writing and shrinking); otherwise, or when that cannot be told,
/// the phase fails closed.
fn unnamed(entry: &Path, name: &Path, identity: &Identity) -> Result<(), UnveilError> {
    let unenforceable = |why: String| {
        Err(UnveilError::Unenforceable(format!(
            "{} is mapped executable and no name leads to it: {why}; a write to it would change the program's code (unmap it, or add prot_exec)",
            name.display()
        )))
    };
    let Ok(file) = fs::File::open(entry) else {
        // The process cannot follow the entry (no CAP_SYS_ADMIN), so it reaches the file only
        // through a link that may remain: whether one does cannot be told.
        return unenforceable(
            "the runtime cannot tell whether other links to it remain (that needs CAP_SYS_ADMIN)"
                .into(),
        );
    };
    let Ok(md) = file.metadata() else {
        return unenforceable("its link count cannot be read".into());
    };
    if !identity.may_write(&md) || sys::sealed_against_writes(&file) {
        return Ok(());
    }
    if md.nlink() > 0 {
        return unenforceable(format!(
            "{} other link(s) to it remain under names that cannot be found",
            md.nlink()
        ));
    }
    unenforceable("the process can open it for writing through /proc/self/map_files".into())
}

/// Reads a `/proc` text in one read into a buffer with room (`/proc` reports no size).
fn read_proc(path: &str) -> io::Result<Vec<u8>> {
    read_from_start(&fs::File::open(path)?)
}

/// Reads a `/proc` text from offset 0 (a fresh snapshot each time) through an open descriptor.
fn read_from_start(file: &fs::File) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = file.read_at(&mut buf[len..], len as u64)?;
        if n == 0 {
            buf.truncate(len);
            return Ok(buf);
        }
        len += n;
    }
}

/// What [`protected`] saw: `/proc/self/maps`, still open, and the files mapped executable.
type Seen = (fs::File, BTreeSet<(u64, u64)>);
static SEEN: std::sync::Mutex<Option<Seen>> = std::sync::Mutex::new(None);

/// After the filter is in force: no file is mapped executable that [`protected`] did not see.
/// Another thread could have mapped one between the listing and the install, while the phase in
/// force still allowed `PROT_EXEC`; its file would be writable.
///
/// # Errors
///
/// A description of the file found, or of why the mappings could not be read.
pub(crate) fn no_new_mappings() -> Result<(), String> {
    let seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some((file, files)) = seen.as_ref() else {
        return Ok(());
    };
    let maps =
        read_from_start(file).map_err(|e| format!("cannot read /proc/self/maps again: {e}"))?;
    for m in executable_mappings(&maps) {
        if !files.contains(&(m.dev, m.ino)) {
            return Err(format!(
                "a file was mapped executable while the phase was being entered (mapping {}), after the write guard had listed them",
                String::from_utf8_lossy(m.range)
            ));
        }
    }
    Ok(())
}

/// Other names of the file `(dev, ino)` named `name`: entries with its inode number in its
/// directory and that directory's subdirectories, and in the directory's parent and the parent's
/// other subdirectories (cargo links `target/debug/x` and `target/debug/deps/x-<hash>`, and an
/// example beside its hashed copy). Compared by the inode number the directory listing gives,
/// then confirmed with `lstat` (a mount point lists the inode of the directory beneath it).
fn other_links(name: &Path, dev: u64, ino: u64) -> Vec<PathBuf> {
    let subdirs = |dir: &Path| -> Vec<PathBuf> {
        fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut dirs = Vec::new();
    if let Some(dir) = name.parent() {
        dirs.push(dir.to_path_buf());
        dirs.extend(subdirs(dir));
        if let Some(up) = dir.parent() {
            dirs.push(up.to_path_buf());
            dirs.extend(subdirs(up).into_iter().filter(|p| p != dir));
        }
    }
    // A link is a (directory, name) pair: the same pair seen again through a bind mount of the
    // directory is the same link, and must not make up for one not found.
    let key = |path: &Path| -> Option<(u64, u64, std::ffi::OsString)> {
        let parent = fs::metadata(path.parent()?).ok()?;
        Some((parent.dev(), parent.ino(), path.file_name()?.to_os_string()))
    };
    let mut keys: Vec<_> = key(name).into_iter().collect();
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.ino() != ino {
                continue;
            }
            let path = e.path();
            let same =
                fs::symlink_metadata(&path).is_ok_and(|md| (md.dev(), md.ino()) == (dev, ino));
            if !same || path == name || found.contains(&path) {
                continue;
            }
            if let Some(k) = key(&path).filter(|k| !keys.contains(k)) {
                keys.push(k);
                found.push(path);
            }
        }
    }
    found
}

/// A line of `/proc/self/mountinfo`: the device, the directory of the filesystem it shows, and
/// where.
#[derive(Debug, PartialEq, Eq)]
struct Mount {
    dev: u64,
    root: PathBuf,
    point: PathBuf,
}

/// `mountinfo` writes space, tab, newline and backslash in paths as `\ooo` octal escapes.
fn unescape(field: &[u8]) -> PathBuf {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| field[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        if let Some(d) = octal {
            out.push(d.iter().fold(0u8, |v, c| v.wrapping_mul(8) + (c - b'0')));
            i += 4;
        } else {
            out.push(field[i]);
            i += 1;
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

fn parse_mountinfo(text: &[u8]) -> Vec<Mount> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut f = line.split(|&b| b == b' ');
            let (_id, _parent) = (f.next()?, f.next()?);
            let dev = parse_dev(f.next()?, 10)?;
            let root = unescape(f.next()?);
            let point = unescape(f.next()?);
            Some(Mount { dev, root, point })
        })
        .collect()
}

/// The names `name` (a file on device `dev`) also has through other mounts of its filesystem.
fn mount_aliases(mounts: &[Mount], name: &Path, dev: u64) -> Vec<PathBuf> {
    let same: Vec<&Mount> = mounts.iter().filter(|m| m.dev == dev).collect();
    if same.len() < 2 {
        return Vec::new();
    }
    // The mount the name is seen through: the deepest mount point above it.
    let Some(here) = same
        .iter()
        .filter(|m| name.starts_with(&m.point))
        .max_by_key(|m| m.point.components().count())
    else {
        return Vec::new();
    };
    let Ok(rel) = name.strip_prefix(&here.point) else {
        return Vec::new();
    };
    let inside = here.root.join(rel);
    same.iter()
        .filter(|m| !std::ptr::eq(**m, *here))
        .filter_map(|m| inside.strip_prefix(&m.root).ok().map(|r| m.point.join(r)))
        .filter(|p| p != name)
        .collect()
}

/// The paths a guard layer grants writing on: every entry beside the way from `root` to each of
/// `protected` (names of protected files, and `/proc`), the protected names themselves left
/// out. A directory that holds a protected file is not entered: none of its entries is granted
/// (listing and granting each of them would cost a rule per file, thousands in a library
/// directory). Symlinks are skipped (their targets are covered where they live).
pub(crate) fn writable_paths(
    root: &Path,
    protected: &[PathBuf],
    files: &[PathBuf],
) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    around(root, protected, files, &mut out)?;
    Ok(out)
}

fn around(
    dir: &Path,
    protected: &[PathBuf],
    files: &[PathBuf],
    out: &mut Vec<PathBuf>,
) -> io::Result<()> {
    if files.iter().any(|f| f.parent() == Some(dir)) {
        return Ok(());
    }
    for entry in fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() || protected.contains(&path) {
            continue;
        }
        if protected.iter().any(|p| p.starts_with(&path)) {
            if kind.is_dir() {
                around(&path, protected, files, out)?;
            }
            continue;
        }
        out.push(path);
    }
    Ok(())
}

/// After the restriction: every protected file still has the names and links it had. A link made
/// or a directory moved by another thread while the phase was being entered, before Landlock was
/// in force, would be a name nothing protects.
///
/// # Errors
///
/// [`UnveilError::Unenforceable`] naming the file.
pub(crate) fn recheck(protected: &[Protected]) -> Result<(), UnveilError> {
    for p in protected {
        for name in &p.names {
            let same = fs::symlink_metadata(name)
                .is_ok_and(|md| (md.dev(), md.ino(), md.nlink()) == (p.dev, p.ino, p.nlink));
            if !same {
                return Err(UnveilError::Unenforceable(format!(
                    "{} (mapped executable) was linked, moved or replaced while the phase was being entered",
                    name.display()
                )));
            }
        }
    }
    Ok(())
}

/// All names to keep unwritable: `/proc` and every name of every protected file; and the file
/// names alone.
pub(crate) fn names(protected: &[Protected]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let files: Vec<PathBuf> = protected
        .iter()
        .flat_map(|p| p.names.iter().cloned())
        .collect();
    let mut all = vec![PathBuf::from("/proc")];
    all.extend(files.iter().cloned());
    (all, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_are_read_by_their_fields_not_their_path() {
        let maps = b"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 1234 /usr/bin/x\n\
55d0c0a02000-55d0c0a05000 r-xp 00002000 fe:00 1234 /usr/bin/x\n\
7f0000000000-7f0000001000 r-xp 00000000 00:2a 77                         /tmp/dir with space/a\\012b (deleted)\n\
7f0000002000-7f0000003000 r-xp 00000000 00:00 0                          [vdso]\n\
7f0000004000-7f0000005000 rwxp 00000000 103:05 9                         /x (deleted) (deleted)\n";
        let m = executable_mappings(maps);
        assert_eq!(
            m,
            [
                Mapping {
                    range: b"55d0c0a02000-55d0c0a05000",
                    dev: makedev(0xfe, 0),
                    ino: 1234
                },
                Mapping {
                    range: b"7f0000000000-7f0000001000",
                    dev: makedev(0, 0x2a),
                    ino: 77
                },
                Mapping {
                    range: b"7f0000004000-7f0000005000",
                    dev: makedev(0x103, 5),
                    ino: 9
                },
            ]
        );
    }

    #[test]
    fn writable_code_is_found_by_permissions_and_shared_aliases() {
        let plain = b"55d0c0a02000-55d0c0a05000 r-xp 00002000 fe:00 1234 /usr/bin/x\n\
7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n";
        assert_eq!(writable_code(plain), None);
        let rwx = b"7f0000000000-7f0000001000 rwxp 00000000 00:00 0 \n";
        assert!(
            writable_code(rwx)
                .unwrap()
                .contains("writable and executable")
        );
        let alias = b"7f0000000000-7f0000001000 r-xs 00000000 00:01 77 /memfd:a (deleted)\n\
7f0000002000-7f0000003000 rw-s 00000000 00:01 77 /memfd:a (deleted)\n";
        assert!(
            writable_code(alias)
                .unwrap()
                .contains("also mapped writable")
        );
        let private = b"7f0000000000-7f0000001000 r-xp 00000000 00:01 77 /memfd:a (deleted)\n\
7f0000002000-7f0000003000 rw-p 00000000 00:01 77 /memfd:a (deleted)\n";
        assert_eq!(writable_code(private), None);
    }

    #[test]
    fn makedev_matches_the_c_library() {
        for (major, minor) in [(0, 0), (8, 1), (254, 0), (259, 3), (0x1234, 0x56789)] {
            let ours = makedev(major, minor);
            let libc = libc::makedev(major as u32, minor as u32);
            assert_eq!(ours, libc, "{major}:{minor}");
        }
    }

    #[test]
    fn mountinfo_paths_are_unescaped_and_bind_mounts_give_aliases() {
        let text = b"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
60 27 254:0 /srv/data\\040dir /mnt/b\\012x rw - ext4 /dev/vda rw\n\
61 27 0:44 / /tmp rw - tmpfs tmpfs rw\n";
        let m = parse_mountinfo(text);
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].root, PathBuf::from("/srv/data dir"));
        assert_eq!(m[1].point, PathBuf::from("/mnt/b\nx"));
        let dev = makedev(254, 0);
        assert_eq!(
            mount_aliases(&m, Path::new("/srv/data dir/lib/x.so"), dev),
            [PathBuf::from("/mnt/b\nx/lib/x.so")]
        );
        assert_eq!(
            mount_aliases(&m, Path::new("/mnt/b\nx/y"), dev),
            [PathBuf::from("/srv/data dir/y")]
        );
        assert!(mount_aliases(&m, Path::new("/usr/lib/x.so"), dev).is_empty());
        assert!(mount_aliases(&m, Path::new("/tmp/x.so"), makedev(0, 44)).is_empty());
    }
}
