//! Writing a syscall with its arguments decoded, for the violation report. No allocation.

use core::fmt::{self, Write};

use sandbox_policy::Arch;

/// How to show one argument.
#[derive(Clone, Copy)]
enum Kind {
    /// A number in hex.
    Hex,
    /// A signed decimal int.
    Int,
    /// A directory fd: `AT_FDCWD` or a number.
    DirFd,
    /// A NUL-terminated path, shown as text.
    Path,
    /// open(2) flags.
    OpenFlags,
    /// mmap/mprotect protection bits.
    Prot,
    /// A mode in octal.
    Mode,
    /// A socket address family.
    Family,
    /// A socket type with its `SOCK_NONBLOCK` and `SOCK_CLOEXEC` bits.
    SockType,
    /// `AT_*` flags of the `*at` calls.
    AtFlags,
    /// A statx(2) mask.
    StatxMask,
}

use Kind::{AtFlags, DirFd, Family, Hex, Int, Mode, OpenFlags, Path, Prot, SockType, StatxMask};

/// The arguments of the syscalls a report most often names; others print six hex words.
fn signature(name: &str) -> &'static [Kind] {
    match name {
        "open" => &[Path, OpenFlags, Mode],
        "openat" => &[DirFd, Path, OpenFlags, Mode],
        "creat" | "mkdir" | "chmod" => &[Path, Mode],
        "mkdirat" | "fchmodat" => &[DirFd, Path, Mode],
        "stat" | "lstat" | "statfs" | "truncate" => &[Path, Hex],
        "newfstatat" | "fstatat" => &[DirFd, Path, Hex, AtFlags],
        "statx" => &[DirFd, Path, AtFlags, StatxMask, Hex],
        "access" => &[Path, Int],
        "faccessat" | "faccessat2" => &[DirFd, Path, Int, AtFlags],
        "readlink" => &[Path, Hex, Int],
        "readlinkat" => &[DirFd, Path, Hex, Int],
        "chdir" | "rmdir" | "unlink" => &[Path],
        "unlinkat" => &[DirFd, Path, AtFlags],
        "fchownat" => &[DirFd, Path, Int, Int, AtFlags],
        "fchown" => &[Int, Int, Int],
        "chown" | "lchown" => &[Path, Int, Int],
        "rename" | "link" | "symlink" => &[Path, Path],
        "renameat" | "renameat2" | "linkat" => &[DirFd, Path, DirFd, Path, Hex],
        "symlinkat" => &[Path, DirFd, Path],
        "execve" => &[Path, Hex, Hex],
        "execveat" => &[DirFd, Path, Hex, Hex, Hex],
        "mmap" => &[Hex, Hex, Prot, Hex, Int, Hex],
        "mprotect" | "pkey_mprotect" => &[Hex, Hex, Prot],
        "socket" | "socketpair" => &[Family, SockType, Int],
        "connect" | "bind" => &[Int, Hex, Int],
        "kill" => &[Int, Int],
        "tgkill" => &[Int, Int, Int],
        "ioctl" | "fcntl" => &[Int, Hex, Hex],
        "setsockopt" | "getsockopt" => &[Int, Int, Int, Hex, Int],
        "clone" => &[Hex, Hex, Hex, Hex, Hex],
        "read" | "write" => &[Int, Hex, Int],
        "prctl" => &[Int, Hex, Hex, Hex, Hex],
        "setuid" | "setgid" => &[Int],
        "rt_sigaction" => &[Int, Hex, Hex, Int],
        _ => &[Hex, Hex, Hex, Hex, Hex, Hex],
    }
}

/// Writes `name(arg, ...)`.
pub(crate) fn call(out: &mut impl Write, arch: Arch, name: &str, args: &[u64; 6]) -> fmt::Result {
    write!(out, "{name}(")?;
    for (i, (kind, &v)) in signature(name).iter().zip(args).enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        arg(out, arch, *kind, v)?;
    }
    out.write_str(")")
}

fn arg(out: &mut impl Write, arch: Arch, kind: Kind, v: u64) -> fmt::Result {
    let int = v as u32 as i32;
    match kind {
        Hex => write!(out, "{v:#x}"),
        Int => write!(out, "{int}"),
        DirFd if int == -100 => out.write_str("AT_FDCWD"),
        DirFd => write!(out, "{int}"),
        Mode => write!(out, "0o{:o}", v as u32),
        Family => match v as u32 {
            1 => out.write_str("AF_UNIX"),
            2 => out.write_str("AF_INET"),
            10 => out.write_str("AF_INET6"),
            15 => out.write_str("AF_KEY"),
            16 => out.write_str("AF_NETLINK"),
            17 => out.write_str("AF_PACKET"),
            29 => out.write_str("AF_CAN"),
            30 => out.write_str("AF_TIPC"),
            31 => out.write_str("AF_BLUETOOTH"),
            38 => out.write_str("AF_ALG"),
            40 => out.write_str("AF_VSOCK"),
            44 => out.write_str("AF_XDP"),
            f => write!(out, "{f}"),
        },
        SockType => {
            let base = v as u32 & 0xf;
            match base {
                1 => out.write_str("SOCK_STREAM")?,
                2 => out.write_str("SOCK_DGRAM")?,
                3 => out.write_str("SOCK_RAW")?,
                4 => out.write_str("SOCK_RDM")?,
                5 => out.write_str("SOCK_SEQPACKET")?,
                10 => out.write_str("SOCK_PACKET")?,
                t => write!(out, "{t}")?,
            }
            let rest = u64::from(v as u32 & !0xf);
            if rest == 0 {
                return Ok(());
            }
            out.write_char('|')?;
            flags(
                out,
                rest,
                &[(0o4000, "SOCK_NONBLOCK"), (0o2000000, "SOCK_CLOEXEC")],
                "0",
            )
        }
        AtFlags => flags(
            out,
            u64::from(v as u32),
            &[
                (0x100, "AT_SYMLINK_NOFOLLOW"),
                (0x200, "AT_REMOVEDIR"),
                (0x400, "AT_SYMLINK_FOLLOW"),
                (0x800, "AT_NO_AUTOMOUNT"),
                (0x1000, "AT_EMPTY_PATH"),
                (0x2000, "AT_STATX_FORCE_SYNC"),
                (0x4000, "AT_STATX_DONT_SYNC"),
            ],
            "0",
        ),
        StatxMask => {
            let m = u64::from(v as u32);
            // The named groups first, the bits beyond them after.
            for (group, name) in [(0xfff, "STATX_ALL"), (0x7ff, "STATX_BASIC_STATS")] {
                if m & group == group {
                    out.write_str(name)?;
                    if m & !group == 0 {
                        return Ok(());
                    }
                    out.write_char('|')?;
                    return flags(out, m & !group, STATX_MORE, "0");
                }
            }
            flags(out, m, STATX_BITS, "0")
        }
        Prot => flags(
            out,
            v as u32 as u64,
            &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")],
            "PROT_NONE",
        ),
        OpenFlags => {
            let c = arch.consts();
            let acc = match v & c.o_accmode {
                0 => "O_RDONLY",
                1 => "O_WRONLY",
                2 => "O_RDWR",
                _ => "O_ACCMODE",
            };
            out.write_str(acc)?;
            let rest = v as u32 as u64 & !c.o_accmode;
            let tmpfile = c.o_tmpfile;
            let named = [
                (c.o_creat, "O_CREAT"),
                (c.o_trunc, "O_TRUNC"),
                (0o2000000, "O_CLOEXEC"),
                (0o2000, "O_APPEND"),
                (0o4000, "O_NONBLOCK"),
                (c.o_path, "O_PATH"),
            ];
            let mut left = rest;
            if rest & tmpfile == tmpfile {
                out.write_str("|O_TMPFILE")?;
                left &= !tmpfile;
            } else if rest & c.o_directory != 0 {
                out.write_str("|O_DIRECTORY")?;
                left &= !c.o_directory;
            }
            if left & c.o_nofollow != 0 {
                out.write_str("|O_NOFOLLOW")?;
                left &= !c.o_nofollow;
            }
            for (bit, n) in named {
                if left & bit != 0 {
                    write!(out, "|{n}")?;
                    left &= !bit;
                }
            }
            if left != 0 {
                write!(out, "|{left:#x}")?;
            }
            Ok(())
        }
        Path => {
            if v < 4096 {
                return write!(out, "{v:#x}");
            }
            // Enough to recognise the path, short enough that the verdict always fits the line.
            let mut buf = [0u8; 120];
            let n = crate::sys::read_user_string(v, &mut buf);
            out.write_char('"')?;
            for &b in &buf[..n] {
                if b == b'"' || b == b'\\' {
                    write!(out, "\\{}", b as char)?;
                } else if b.is_ascii_graphic() || b == b' ' {
                    out.write_char(b as char)?;
                } else {
                    write!(out, "\\x{b:02x}")?;
                }
            }
            if n == buf.len() {
                out.write_str("...")?;
            }
            out.write_char('"')
        }
    }
}

const STATX_BITS: &[(u64, &str)] = &[
    (0x1, "STATX_TYPE"),
    (0x2, "STATX_MODE"),
    (0x4, "STATX_NLINK"),
    (0x8, "STATX_UID"),
    (0x10, "STATX_GID"),
    (0x20, "STATX_ATIME"),
    (0x40, "STATX_MTIME"),
    (0x80, "STATX_CTIME"),
    (0x100, "STATX_INO"),
    (0x200, "STATX_SIZE"),
    (0x400, "STATX_BLOCKS"),
    (0x800, "STATX_BTIME"),
    (0x1000, "STATX_MNT_ID"),
    (0x2000, "STATX_DIOALIGN"),
];
const STATX_MORE: &[(u64, &str)] = &[
    (0x800, "STATX_BTIME"),
    (0x1000, "STATX_MNT_ID"),
    (0x2000, "STATX_DIOALIGN"),
    (0x4000, "STATX_MNT_ID_UNIQUE"),
];

fn flags(out: &mut impl Write, v: u64, names: &[(u64, &str)], zero: &str) -> fmt::Result {
    if v == 0 {
        return out.write_str(zero);
    }
    let mut first = true;
    let mut left = v;
    for (bit, n) in names {
        if v & bit != 0 {
            if !first {
                out.write_char('|')?;
            }
            out.write_str(n)?;
            first = false;
            left &= !bit;
        }
    }
    if left != 0 {
        if !first {
            out.write_char('|')?;
        }
        write!(out, "{left:#x}")?;
    }
    Ok(())
}
