//! The `#[pledge]` and `#[unveil]` attributes of the `sandbox` crate. Use them through `sandbox`.
//!
//! Each entry point is one line; the work is in `parse` (tokens to arguments),
//! `validate` (arguments to a policy, every mistake collected with its span) and
//! `expand` (the function with one statement inserted). They work on
//! `proc_macro2` types, so they are unit-tested without a compiler.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod expand;
#[cfg(test)]
mod fuzz;
mod parse;
mod validate;

/// Restricts the process to the named promises from the start of the annotated function on.
///
/// ```no_run
/// #[sandbox::pledge("stdio rpath inet")]      // or ("stdio", "rpath", "inet")
/// fn main() {
///     // memory, I/O on open descriptors, reading files, IPv4/IPv6 sockets
/// }
/// ```
///
/// The promises are checked at compile time (a typo is an error on the literal, with a
/// suggestion) and compiled to a seccomp-bpf program for every supported architecture at build
/// time; on entry the runtime sets `no_new_privs` and installs the program on every thread with
/// `SECCOMP_FILTER_FLAG_TSYNC` (see [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)).
///
/// - Goes on any `fn`: `main`, free functions, methods, generic and `async fn` (an `async fn`
///   applies its policy when its future is first polled). With `#[tokio::main]`, write
///   `#[sandbox::pledge]` above it: the pledge then runs after the runtime's workers exist, and
///   TSYNC restricts them too.
/// - Phases only narrow: entering a function that asks for a promise the process already dropped
///   prints why, naming both phases and the promise, and aborts. Re-entering the phase in force
///   costs one atomic load.
/// - `pledge("")` keeps nothing but exit; `pledge()` is an error.
/// - Options: `penalty = "kill"` (`SECCOMP_RET_KILL_PROCESS`, no report; default `"report"`),
///   `landlock = "best-effort"` (run where Landlock cannot enforce what the promises imply,
///   reporting once what is not enforced; default `"required"`).
///
/// On a violation the default penalty prints one line naming the phase, the call with its
/// arguments and the promise that would allow it, then aborts (SIGABRT); the `error` promise makes
/// denied calls fail with EPERM instead.
#[proc_macro_attribute]
pub fn pledge(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::phase(expand::First::Pledge, args.into(), item.into()).into()
}

/// Makes a path visible to the phase that starts at the annotated function and hides everything
/// else, with Landlock ([landlock(7)](https://man7.org/linux/man-pages/man7/landlock.7.html)).
///
/// ```no_run
/// # use std::path::Path;
/// #[sandbox::pledge("stdio rpath inet")]
/// #[sandbox::unveil(root, "r")]                    // any expression, evaluated at entry
/// #[sandbox::unveil("/var/log/app", "wc")]
/// #[sandbox::unveil("/etc/app/extra.conf", "r", optional)]
/// fn serve(root: &Path) {}
/// ```
///
/// Permissions: letters from `rwxc` (read, write, execute, create/remove), or `""` to hide the
/// path; checked at compile time. Repeatable, and combined with the function's `#[pledge]`: the
/// Landlock ruleset is applied first, then the seccomp filter. Flags after the permissions:
/// `optional` (a missing path is skipped instead of an error at entry) and `best_effort` (what
/// the kernel cannot enforce is reported once instead of failing the phase). See the `sandbox`
/// README for what stays visible (stat, access) and how older kernels are handled.
#[proc_macro_attribute]
pub fn unveil(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::phase(expand::First::Unveil, args.into(), item.into()).into()
}
