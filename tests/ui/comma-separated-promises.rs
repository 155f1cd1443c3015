// Promises separated by commas inside the string: the message says they are separated by
// spaces.

#[sandbox::pledge("stdio, rpath")]
fn read_config() {}

fn main() {
    let _ = read_config;
}
