//! Parsing the attribute's arguments: string literals (promises) and `name = "value"` options.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

/// One argument of `#[pledge(...)]`.
pub(crate) enum Arg {
    /// `"stdio rpath"`: one or more promise words.
    Promises(LitStr),
    /// `penalty = "kill"`.
    Option { name: Ident, value: LitStr },
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(Arg::Promises(input.parse()?));
        }
        if input.peek(Ident) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: LitStr = input.parse()?;
            return Ok(Arg::Option { name, value });
        }
        Err(input.error(
            "expected a promise string like \"stdio rpath\" or an option like penalty = \"kill\"",
        ))
    }
}

/// Parses the attribute's argument list.
pub(crate) fn args(tokens: TokenStream) -> syn::Result<Vec<Arg>> {
    let parsed =
        syn::parse::Parser::parse2(Punctuated::<Arg, Token![,]>::parse_terminated, tokens)?;
    Ok(parsed.into_iter().collect())
}
