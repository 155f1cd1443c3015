//! The promise reference, rendered from the table for the docs.
//!
//! `docs/PROMISES.md` is this module's output for x86_64; a test in the root crate fails when the
//! committed file differs from what the table says now.

use std::fmt::Write;

use crate::rule::{Class, Table};
use crate::{Arch, ENOSYS_CALLS, NEVER, Promise, PromiseSet, table};

/// Markdown listing, for each promise, the syscalls it allows on `arch` (with `*` where only some
/// arguments are allowed), then the calls always allowed, never allowed, and forced to ENOSYS.
#[must_use]
pub fn markdown(arch: Arch) -> String {
    let t = table(arch);
    let mut out = String::new();
    let _ = writeln!(out, "# Promise reference ({arch})\n");
    let _ = writeln!(
        out,
        "Generated from the promise table in `sandbox-policy` (`cargo run -p sandbox-policy \
         --example promise-reference`); a test keeps it current. `name*` means only some \
         arguments are allowed (flags, commands, families); `name+` means the call also needs \
         another promise held at the same time (for example `O_RDWR|O_CREAT` needs rpath, wpath \
         and cpath).\n"
    );
    let section = |out: &mut String, title: &str, p: Option<Promise>| {
        let alone = p.map_or(PromiseSet::EMPTY, PromiseSet::of);
        let mut names = Vec::new();
        for r in t.rules.iter() {
            let with_p: Vec<_> = r
                .alts
                .iter()
                .filter(|a| p.map_or(a.needs.is_empty(), |p| a.needs.contains(p)))
                .collect();
            if with_p.is_empty() {
                continue;
            }
            let single: Vec<_> = with_p.iter().filter(|a| a.needs == alone).collect();
            let mark = if single.is_empty() {
                "+"
            } else if single.iter().all(|a| !a.conds.is_empty()) {
                "*"
            } else {
                ""
            };
            names.push(format!("{}{mark}", r.name));
        }
        let _ = writeln!(out, "## {title}\n\n{}\n", names.join(" "));
    };
    section(
        &mut out,
        "always (every policy, `pledge(\"\")` included)",
        None,
    );
    for p in Promise::ALL {
        if *p == Promise::Error {
            let _ = writeln!(
                out,
                "## error\n\nNo calls: denied calls fail with EPERM instead of ending the process.\n"
            );
            continue;
        }
        section(&mut out, p.name(), Some(*p));
    }
    let _ = writeln!(out, "## never allowed\n");
    for (why, names) in NEVER {
        let present: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| arch.syscall_number(n).is_some())
            .collect();
        let _ = writeln!(out, "- {why}: {}", present.join(" "));
    }
    let _ = writeln!(
        out,
        "\n## ENOSYS (libc falls back)\n\n{}",
        ENOSYS_CALLS.join(" ")
    );
    debug_assert!(
        t.rules
            .iter()
            .all(|r| r.class != Class::Promised || !r.alts.is_empty())
    );
    out
}

/// What each promise is for, in one line: the README's promise table puts it beside the calls
/// the table grants.
#[must_use]
pub fn summary(p: Promise) -> &'static str {
    match p {
        Promise::Stdio => {
            "memory (no `PROT_EXEC`), I/O on open descriptors, pipes, polling, time, signals to the own process, threads (`clone` with thread flags only), identity getters, `getrandom`"
        }
        Promise::Rpath => "open read-only, stat, access, readlink, getdents, chdir, getcwd",
        Promise::Wpath => "open for writing, truncate",
        Promise::Cpath => "`O_CREAT`, rename, link, symlink, unlink, mkdir, rmdir",
        Promise::Dpath => "mknod, mkfifo",
        Promise::Tmppath => {
            "create, use and unlink files under `/tmp` (path-precise with Landlock)"
        }
        Promise::Inet => {
            "`AF_INET`/`AF_INET6` sockets: socket, connect, bind, listen, accept, a socket-option whitelist"
        }
        Promise::Mcast => "multicast socket options (with inet)",
        Promise::Fattr => {
            "chmod, utimes, xattrs; setuid/setgid/sticky bits need chown too; group changes only"
        }
        Promise::Chown => "chown to anyone",
        Promise::Flock => "file locks",
        Promise::Unix => {
            "`AF_UNIX` sockets: socket, connect, bind, listen, accept, `sendmsg`/`recvmsg`"
        }
        Promise::Dns => {
            "UDP and TCP sockets to name servers (TCP to port 53 only, with Landlock) and reading the resolver files only; no nscd, no netlink"
        }
        Promise::Getpw => "reading the password and group files only (no nscd)",
        Promise::Sendfd => "`sendmsg`",
        Promise::Recvfd => "`recvmsg`",
        Promise::Tty => "terminal ioctls (never `TIOCSTI` or `TIOCLINUX`)",
        Promise::Proc => {
            "fork (no namespace flags, ever), signals to other processes, sessions, priorities, limits"
        }
        Promise::Exec => "`execve`; `execveat` without `AT_EMPTY_PATH`",
        Promise::ProtExec => {
            "`PROT_EXEC` in `mmap`/`mprotect`/`pkey_mprotect`, `personality`, executable memfds"
        }
        Promise::Settime => "set the clock",
        Promise::Id => "`set*id`, `setgroups`, capabilities",
        Promise::Unveil => "unveiling in a later phase (the Landlock calls, `O_PATH` handles)",
        Promise::Error => "denied calls fail with `EPERM` and the program goes on",
    }
}

/// How many syscalls of `table` a promise takes part in allowing.
fn calls_for(table: &Table, p: Promise) -> usize {
    table
        .rules
        .iter()
        .filter(|r| r.alts.iter().any(|a| a.needs.contains(p)))
        .count()
}

/// The README's promise table, generated: one row per promise, its summary and how many calls
/// it takes part in allowing on each architecture. A test keeps the README's copy current.
#[must_use]
pub fn readme_table() -> String {
    let tables: Vec<Table> = Arch::ALL.iter().map(|a| table(*a)).collect();
    let mut out =
        String::from("| promise | allows | calls (x86_64 / aarch64 / riscv64) |\n|---|---|---|\n");
    for p in Promise::ALL {
        let counts: Vec<String> = tables
            .iter()
            .map(|t| calls_for(t, *p).to_string())
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            p.name(),
            summary(*p),
            counts.join(" / ")
        );
    }
    out
}
