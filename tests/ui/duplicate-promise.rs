// `stdio` is named twice, once in each literal. The caret sits under the second "stdio".

#[sandbox::pledge("stdio", "stdio")]
fn serve() {}

fn main() {
    let _ = serve;
}
