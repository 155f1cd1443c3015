// Promises as one literal per promise.

#[sandbox::pledge("stdio", "rpath")]
fn read_config() {}

#[sandbox::pledge("stdio", "rpath", penalty = "kill")]
fn read_config_or_die() {}

fn main() {
    let _ = read_config;
    let _ = read_config_or_die;
}
