//! The smallest sandboxed program: from the first line of main, only stdio.

#[sandbox::pledge("stdio")]
fn main() {
    println!("Hello from a process that can no longer open files, sockets or programs.");
}
