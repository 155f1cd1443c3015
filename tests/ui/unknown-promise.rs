// `rpth` is not a promise. The caret sits under the literal "stdio rpth" and the message
// suggests `rpath`.

#[sandbox::pledge("stdio rpth")]
fn read_config() {}

fn main() {
    let _ = read_config;
}
