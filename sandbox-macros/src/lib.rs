//! The `#[pledge]` and `#[unveil]` attributes of the `sandbox` crate. Use them through `sandbox`.
//!
//! Each entry point is one line; the work is in `parse` (tokens to arguments),
//! `validate` (arguments to a policy, every mistake collected with its span) and
//! `expand` (the function with one statement inserted). They work on
//! `proc_macro2` types, so they are unit-tested without a compiler.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod expand;
mod parse;
mod validate;

/// Restricts the process to the named promises from the start of the annotated function on.
/// See the `sandbox` crate's documentation.
#[proc_macro_attribute]
pub fn pledge(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::pledge(args.into(), item.into()).into()
}
