//! Prints the promise reference for x86_64 (the content of docs/PROMISES.md).
fn main() {
    print!(
        "{}",
        sandbox_policy::reference::markdown(sandbox_policy::Arch::X86_64)
    );
}
