//! The promise table of the target architecture, as static data.
//!
//! `build.rs` writes it with `sandbox_policy::emit::static_table`, so no process builds it:
//! the first phase entry does not pay for it, the SIGSYS reporter reads it without allocating,
//! and the table builder is not linked into programs. `None` on an architecture the sandbox does
//! not support (every entry point refuses with [`crate::PledgeError::Unsupported`] there).

include!(concat!(env!("OUT_DIR"), "/table.rs"));

#[cfg(test)]
mod tests {
    use sandbox_policy::Arch;

    #[test]
    fn static_table_is_the_table() {
        let arch = Arch::native().expect("tests run on a supported architecture");
        let built = sandbox_policy::table(arch);
        let static_table = super::TABLE.expect("a table for the target architecture");
        assert_eq!(static_table.arch, built.arch);
        assert_eq!(static_table.rules.len(), built.rules.len());
        for (s, b) in static_table.rules.iter().zip(built.rules.iter()) {
            assert_eq!(s, b, "rule {} differs", b.name);
        }
        assert!(
            matches!(static_table.rules, std::borrow::Cow::Borrowed(_)),
            "the static table borrows static data"
        );
    }
}
