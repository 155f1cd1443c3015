// `penalti` is not an option. The caret sits under the identifier `penalti` and the message
// suggests `penalty`.

#[sandbox::pledge("stdio", penalti = "kill")]
fn serve() {}

fn main() {
    let _ = serve;
}
