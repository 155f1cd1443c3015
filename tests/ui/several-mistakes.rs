// Three mistakes in one attribute, all reported by one compile: the unknown promise `rpth`
// (caret under "stdio rpth"), the OpenBSD-only promise `pf` (caret under "pf") and the
// misspelled option `penalti` (caret under `penalti`).

#[sandbox::pledge("stdio rpth", "pf", penalti = "kill")]
fn serve() {}

fn main() {
    let _ = serve;
}
