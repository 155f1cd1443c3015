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
}

use Kind::{DirFd, Family, Hex, Int, Mode, OpenFlags, Path, Prot};

/// The arguments of the syscalls a report most often names; others print six hex words.
fn signature(name: &str) -> &'static [Kind] {
    match name {
        "open" => &[Path, OpenFlags, Mode],
        "openat" => &[DirFd, Path, OpenFlags, Mode],
        "creat" | "mkdir" | "chmod" => &[Path, Mode],
        "mkdirat" | "fchmodat" => &[DirFd, Path, Mode],
        "stat" | "lstat" | "statfs" | "truncate" => &[Path, Hex],
        "newfstatat" | "fstatat" => &[DirFd, Path, Hex, Hex],
        "statx" => &[DirFd, Path, Hex, Hex, Hex],
        "access" => &[Path, Int],
        "faccessat" | "faccessat2" => &[DirFd, Path, Int, Hex],
        "readlink" => &[Path, Hex, Int],
        "readlinkat" => &[DirFd, Path, Hex, Int],
        "chdir" | "rmdir" | "unlink" => &[Path],
        "unlinkat" => &[DirFd, Path, Hex],
        "rename" | "link" | "symlink" => &[Path, Path],
        "renameat" | "renameat2" | "linkat" => &[DirFd, Path, DirFd, Path, Hex],
        "symlinkat" => &[Path, DirFd, Path],
        "execve" => &[Path, Hex, Hex],
        "execveat" => &[DirFd, Path, Hex, Hex, Hex],
        "mmap" => &[Hex, Hex, Prot, Hex, Int, Hex],
        "mprotect" | "pkey_mprotect" => &[Hex, Hex, Prot],
        "socket" | "socketpair" => &[Family, Hex, Int],
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
            16 => out.write_str("AF_NETLINK"),
            17 => out.write_str("AF_PACKET"),
            f => write!(out, "{f}"),
        },
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
