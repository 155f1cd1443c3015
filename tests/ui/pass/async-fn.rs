// On an async fn: defined, never run.

#[sandbox::pledge("stdio inet")]
async fn serve(port: u16) -> u16 {
    port
}

fn main() {
    let _ = serve;
}
