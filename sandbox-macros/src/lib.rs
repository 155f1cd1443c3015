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
/// See the `sandbox` crate's documentation.
#[proc_macro_attribute]
pub fn pledge(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::phase(expand::First::Pledge, args.into(), item.into()).into()
}

/// Makes a path visible to the phase that starts at the annotated function, with `rwxc`
/// permissions, and hides everything else (Landlock). Repeatable; combines with `#[pledge]`.
/// See the `sandbox` crate's documentation.
#[proc_macro_attribute]
pub fn unveil(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::phase(expand::First::Unveil, args.into(), item.into()).into()
}
