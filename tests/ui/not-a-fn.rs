// `#[pledge]` goes on a function, not a struct. The caret sits under `struct`; the struct is
// still emitted, so `Config` below resolves and this is the only error.

#[sandbox::pledge("stdio")]
struct Config;

fn main() {
    let _ = Config;
}
