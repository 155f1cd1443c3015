//! Prints the promise reference for x86_64 (the content of docs/PROMISES.md), or with
//! `--readme`, the README's promise table.
fn main() {
    if std::env::args().any(|a| a == "--readme") {
        print!("{}", sandbox_policy::reference::readme_table());
    } else {
        print!(
            "{}",
            sandbox_policy::reference::markdown(sandbox_policy::Arch::X86_64)
        );
    }
}
