// `pf` is an OpenBSD promise with no meaning on Linux. The caret sits under the literal
// "stdio pf" and the message says why it is refused.

#[sandbox::pledge("stdio pf")]
fn firewall() {}

fn main() {
    let _ = firewall;
}
