// No promise string at all: nothing says what the function may do. The caret points at the
// attribute, since there is no literal to point at, and the message shows how to write one.

#[sandbox::pledge()]
fn serve() {}

fn main() {
    let _ = serve;
}
