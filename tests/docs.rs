//! The promise reference in docs/ is generated from the table and must stay current.

#[test]
fn promise_reference_is_current() {
    let want = sandbox_policy::reference::markdown(sandbox_policy::Arch::X86_64);
    let have =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROMISES.md")).unwrap();
    assert!(
        have == want,
        "docs/PROMISES.md is out of date: cargo run -p sandbox-policy --example promise-reference > docs/PROMISES.md"
    );
}

#[test]
fn readme_names_every_promise_and_the_two_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for p in sandbox_policy::Promise::ALL {
        assert!(
            readme.contains(&format!("| {} ", p.name()))
                || readme.contains(&format!(" {} |", p.name()))
                || readme.contains(&format!("/ {} |", p.name())),
            "README lacks promise {p}"
        );
    }
    assert!(readme.contains("cargo run --example fileserver"));
    assert!(readme.contains("cargo test --workspace"));
}
