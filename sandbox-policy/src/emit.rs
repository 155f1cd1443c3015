//! A [`Table`] written out as Rust source, for a `static`.
//!
//! Building the table is string work (every rule is keyed by syscall name) that took about
//! 340 µs in a fresh process, more than half of a first phase entry. The runtime does not build
//! it: its build script calls [`static_table`] for the target architecture and includes the
//! result, so a sandboxed program gets the table as read-only data, ready before `main`. The
//! runtime's tests check that the static table equals [`crate::table()`].
//!
//! The source names every type by its full path from `::sandbox_policy`, so it compiles in any
//! crate that depends on this one.

use std::fmt::Write;

use crate::arch::Arch;
use crate::rule::{Alt, Class, Cond, Table, Test, Width};

/// A Rust expression of type `sandbox_policy::Table` with the same contents as `table`, every
/// list borrowed from static data.
#[must_use]
pub fn static_table(table: &Table) -> String {
    let arch = match table.arch {
        Arch::X86_64 => "X86_64",
        Arch::Aarch64 => "Aarch64",
        Arch::Riscv64 => "Riscv64",
    };
    let mut out = format!(
        "::sandbox_policy::Table {{ arch: ::sandbox_policy::Arch::{arch}, rules: ::std::borrow::Cow::Borrowed(&[\n"
    );
    for rule in table.rules.iter() {
        let class = match rule.class {
            Class::Promised => "Promised".to_owned(),
            Class::Enosys => "Enosys".to_owned(),
            Class::Never(why) => format!("Never({why:?})"),
        };
        let _ = writeln!(
            out,
            "::sandbox_policy::Rule {{ name: {:?}, nr: {}, class: ::sandbox_policy::Class::{class}, alts: {}, pretend: {}, answer: {} }},",
            rule.name,
            rule.nr,
            alts(&rule.alts),
            alts(&rule.pretend),
            rule.answer,
        );
    }
    out.push_str("]) }");
    out
}

fn alts(list: &[Alt]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|a| {
            format!(
                "::sandbox_policy::Alt {{ needs: ::sandbox_policy::PromiseSet::from_bits({:#x}), conds: {} }}",
                a.needs.bits(),
                conds(&a.conds)
            )
        })
        .collect();
    borrowed(&items)
}

fn conds(list: &[Cond]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|c| {
            let width = match c.width {
                Width::Int => "Int",
                Width::Long => "Long",
            };
            let test = match &c.test {
                Test::In(v) => format!("In({})", values(v)),
                Test::NotIn(v) => format!("NotIn({})", values(v)),
                Test::SelfPid => "SelfPid".to_owned(),
            };
            format!(
                "::sandbox_policy::Cond {{ arg: {}, width: ::sandbox_policy::Width::{width}, mask: {:#x}, test: ::sandbox_policy::Test::{test} }}",
                c.arg, c.mask
            )
        })
        .collect();
    borrowed(&items)
}

fn values(list: &[u64]) -> String {
    let items: Vec<String> = list.iter().map(|v| format!("{v:#x}")).collect();
    borrowed(&items)
}

fn borrowed(items: &[String]) -> String {
    format!("::std::borrow::Cow::Borrowed(&[{}])", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table;

    #[test]
    fn names_every_rule_and_condition() {
        for arch in Arch::ALL {
            let t = table(arch);
            let src = static_table(&t);
            assert_eq!(
                src.matches("::sandbox_policy::Rule {").count(),
                t.rules.len()
            );
            let conds: usize = t
                .rules
                .iter()
                .flat_map(|r| r.alts.iter().chain(r.pretend.iter()))
                .map(|a| a.conds.len())
                .sum();
            assert_eq!(src.matches("::sandbox_policy::Cond {").count(), conds);
        }
    }
}
