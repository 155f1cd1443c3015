//! Does something it did not promise, to show the violation report.

#[sandbox::pledge("stdio")]
fn main() {
    println!("about to open /etc/hostname without rpath");
    let opened = std::fs::read_to_string("/etc/hostname");
    println!("not reached: {opened:?}");
}
