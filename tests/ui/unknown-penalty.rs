// `kil` is not a penalty. The caret sits under the value "kil" and the message suggests `kill`.

#[sandbox::pledge("stdio", penalty = "kil")]
fn serve() {}

fn main() {
    let _ = serve;
}
