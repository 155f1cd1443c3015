//! The expansion of `#[sandbox::pledge]` stays clean in a strict user crate: no `unsafe` (this
//! file forbids it) and no pedantic clippy lint. Checked with
//! `cargo clippy --test strict -- -D warnings`.
//!
//! The pledged functions are never called: calling one would sandbox the test harness. Taking
//! their addresses is enough to prove they were emitted with the signatures written.

#![forbid(unsafe_code)]
#![deny(clippy::pedantic)]

use std::future::Future;

#[sandbox::pledge("stdio rpath")]
fn string_form() {}

#[sandbox::pledge("stdio", "rpath", "wpath")]
fn list_form(path: &str) -> usize {
    path.len()
}

#[sandbox::pledge("stdio", penalty = "kill")]
fn killed_on_violation() {}

#[sandbox::pledge("")]
fn nothing() {}

struct Server {
    port: u16,
}

impl Server {
    #[sandbox::pledge("stdio inet")]
    fn serve(&self) -> u16 {
        self.port
    }
}

#[sandbox::pledge("stdio inet dns")]
async fn resolve(port: u16) -> u16 {
    port
}

/// Accepts `resolve` only if it is still an `async fn` returning `u16`.
fn async_fn_returning_u16<F: Future<Output = u16>>(_: fn(u16) -> F) {}

#[test]
fn strict_expansion_compiles() {
    let _: fn() = string_form;
    let _: fn(&str) -> usize = list_form;
    let _: fn() = killed_on_violation;
    let _: fn() = nothing;
    let _: fn(&Server) -> u16 = Server::serve;
    async_fn_returning_u16(resolve);
    let _ = Server { port: 0 };
}
