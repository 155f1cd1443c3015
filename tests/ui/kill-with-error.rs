// The `error` promise makes denied calls fail with EPERM, which contradicts killing the process.
// The caret sits under the value "kill".

#[sandbox::pledge("stdio error", penalty = "kill")]
fn serve() {}

fn main() {
    let _ = serve;
}
