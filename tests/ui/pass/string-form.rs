// Promises as one space-separated literal, as on OpenBSD.

#[sandbox::pledge("stdio rpath")]
fn read_config() {}

#[sandbox::pledge("stdio rpath error")]
fn read_config_or_eperm() {}

#[sandbox::pledge("stdio", penalty = "report")]
fn serve() {}

fn main() {
    let _ = read_config;
    let _ = read_config_or_eperm;
    let _ = serve;
}
