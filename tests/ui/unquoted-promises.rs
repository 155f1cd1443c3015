// Promise words without quotes: the message says to write them as one string literal.

#[sandbox::pledge(stdio rpath)]
fn read_config() {}

fn main() {
    let _ = read_config;
}
