//! The promise reference, rendered from the table for the docs.
//!
//! `docs/PROMISES.md` is this module's output for x86_64; a test in the root crate fails when the
//! committed file differs from what the table says now.

use std::fmt::Write;

use crate::rule::Class;
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
        for r in &t.rules {
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
