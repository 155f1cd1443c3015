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
            if !input.peek(Token![=]) {
                // `pledge(stdio rpath)`: promise words without the quotes.
                let mut words = vec![name.to_string()];
                while input.peek(Ident) {
                    words.push(input.parse::<Ident>()?.to_string());
                }
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "promises are one string literal: write `\"{}\"`, in quotes (options are `name = \"value\"`)",
                        words.join(" ")
                    ),
                ));
            }
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

/// The arguments of `#[unveil(path, "perms", flags...)]`.
pub(crate) struct UnveilArgs {
    /// Any expression that gives something `AsRef<Path>`: a literal, a parameter, a field.
    pub(crate) path: syn::Expr,
    /// The permission letters.
    pub(crate) perms: LitStr,
    /// `optional`, `best_effort`.
    pub(crate) flags: Vec<Ident>,
}

impl Parse for UnveilArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "`#[unveil]` needs a path and permissions, e.g. `#[unveil(\"/var/www\", \"r\")]`",
            ));
        }
        let path: syn::Expr = input.parse()?;
        if input.is_empty() {
            return Err(input.error(
                "`#[unveil]` needs permissions after the path: \"r\", \"w\", \"x\", \"c\" letters, or \"\" to hide it",
            ));
        }
        input.parse::<Token![,]>()?;
        let perms: LitStr = input.parse()?;
        let mut flags = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            flags.push(input.parse()?);
        }
        Ok(UnveilArgs { path, perms, flags })
    }
}

/// Parses `#[unveil]`'s arguments.
pub(crate) fn unveil_args(tokens: TokenStream) -> syn::Result<UnveilArgs> {
    syn::parse2(tokens)
}
