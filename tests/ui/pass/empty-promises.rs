// `pledge("")` keeps nothing but the right to exit.

#[sandbox::pledge("")]
fn finish() {}

fn main() {
    let _ = finish;
}
