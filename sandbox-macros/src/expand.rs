//! Expansion: the function as written, with one statement inserted at the start of its body.
//!
//! The statement embeds, for each supported architecture under `#[cfg(target_arch)]`, the BPF
//! program compiled now, at build time, and calls the runtime to install it on entry. Generated
//! code names only `::sandbox::__private` paths and contains no `unsafe`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use sandbox_policy::{Arch, Penalty, Policy, compile, table};

use syn::spanned::Spanned;

use crate::{parse, validate};

/// Which attribute the compiler expanded first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    Pledge,
    Unveil,
}

/// `#[pledge(args)]` or `#[unveil(args)]` on `item`. The first of a fn's sandbox attributes to
/// expand takes the others off the fn and builds one phase from all of them, so that the
/// unveils and the pledge are applied together at entry: Landlock first, then seccomp.
pub(crate) fn phase(first: First, args: TokenStream, item: TokenStream) -> TokenStream {
    let what = if first == First::Pledge {
        "pledge"
    } else {
        "unveil"
    };
    let mut func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new(
                first_span(&item),
                format!(
                    "`#[{what}]` goes on a fn (main, a free function, a method or an async fn)"
                ),
            );
            return with_error(item, &err);
        }
    };
    // Gather this attribute and its siblings.
    let mut pledges: Vec<(TokenStream, Span)> = Vec::new();
    let mut unveils: Vec<TokenStream> = Vec::new();
    match first {
        First::Pledge => pledges.push((args, Span::call_site())),
        First::Unveil => unveils.push(args),
    }
    let mut errors = validate::Errors::default();
    func.attrs.retain(|attr| match sandbox_attr(attr) {
        Some(kind) => {
            let tokens = match &attr.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => TokenStream::new(),
            };
            match kind {
                First::Pledge => pledges.push((tokens, attr.span())),
                First::Unveil => unveils.push(tokens),
            }
            false
        }
        None => true,
    });
    let mut policy = None;
    for (i, (tokens, span)) in pledges.into_iter().enumerate() {
        if i > 0 {
            errors.push(
                span,
                "a fn takes one `#[pledge]`; put all its promises in one",
            );
            continue;
        }
        match parse::args(tokens).and_then(|a| validate::pledge(&a, span)) {
            Ok(p) => policy = Some(p),
            Err(e) => errors.push_error(e),
        }
    }
    let mut checked = Vec::new();
    for tokens in unveils {
        match parse::unveil_args(tokens) {
            Ok(a) => checked.extend(validate::unveil(a, &mut errors)),
            Err(e) => errors.push_error(e),
        }
    }
    if let Err(e) = errors.into_result() {
        return with_error(quote!(#func), &e);
    }
    let best_effort = policy.as_ref().is_some_and(|p| p.best_effort);
    let policy = policy.map(|p| p.policy);
    let stmt = match phase_statement(&func.sig.ident, policy.as_ref(), &checked, best_effort) {
        Ok(s) => s,
        Err(e) => return with_error(quote!(#func), &e),
    };
    func.block
        .stmts
        .insert(0, syn::parse2(stmt).expect("the phase statement parses"));
    quote!(#func)
}

/// Whether `attr` is one of ours: `pledge`, `unveil`, `sandbox::pledge`, `::sandbox::unveil`.
fn sandbox_attr(attr: &syn::Attribute) -> Option<First> {
    let segs: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let kind = match segs.last().map(String::as_str) {
        Some("pledge") => First::Pledge,
        Some("unveil") => First::Unveil,
        _ => return None,
    };
    (segs.len() == 1 || (segs.len() == 2 && segs[0] == "sandbox")).then_some(kind)
}

/// The function unchanged, then the error: editors keep working and no "main not found" follows.
fn with_error(item: TokenStream, err: &syn::Error) -> TokenStream {
    let e = err.to_compile_error();
    quote!(#item #e)
}

fn first_span(item: &TokenStream) -> Span {
    item.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

fn phase_statement(
    name: &syn::Ident,
    policy: Option<&Policy>,
    unveils: &[validate::CheckedUnveil],
    pledge_best_effort: bool,
) -> syn::Result<TokenStream> {
    let pledged = policy.is_some();
    let policy = policy.copied().unwrap_or(Policy::new(
        sandbox_policy::PromiseSet::EMPTY,
        Penalty::Report,
    ));
    let mut programs = Vec::new();
    for arch in Arch::ALL {
        let prog = if pledged {
            compile(&table(arch), &policy).map_err(|e| syn::Error::new(name.span(), e))?
        } else {
            sandbox_policy::Program::empty(arch)
        };
        let target = arch.target_arch();
        let insns = prog.insns.iter().map(|i| {
            let (code, jt, jf, k) = (i.code, i.jt, i.jf, i.k);
            quote!(::sandbox::__private::Insn { code: #code, jt: #jt, jf: #jf, k: #k })
        });
        let slots = prog
            .pid_slots
            .iter()
            .map(|&s| u16::try_from(s).expect("programs are under 4096"));
        programs.push(quote! {
            #[cfg(all(target_os = "linux", target_arch = #target))]
            const __SANDBOX_PROGRAM: ::sandbox::__private::ArchProgram = ::sandbox::__private::ArchProgram {
                insns: &[#(#insns),*],
                pid_slots: &[#(#slots),*],
            };
        });
    }
    let fname = name.to_string();
    let bits = policy.promises.bits();
    let penalty = format_ident!(
        "{}",
        match policy.penalty {
            Penalty::Report => "Report",
            Penalty::Error => "Error",
            Penalty::Kill => "Kill",
        }
    );
    let has_unveils = !unveils.is_empty();
    let best_effort = pledge_best_effort || unveils.iter().any(|u| u.best_effort);
    let unveil_exprs = unveils.iter().map(|u| {
        let (path, perms, optional) = (&u.path, &u.perms, u.optional);
        quote!(::sandbox::__private::Unveil::new(&(#path), #perms, #optional))
    });
    let supported = quote!(all(
        target_os = "linux",
        any(
            target_arch = "x86_64",
            target_arch = "aarch64",
            target_arch = "riscv64"
        )
    ));
    Ok(quote! {
        {
            #(#programs)*
            #[cfg(not(#supported))]
            ::core::compile_error!("#[sandbox::pledge] is enforced with seccomp-bpf and Landlock: it supports Linux on x86_64, aarch64 and riscv64 only");
            #[cfg(#supported)]
            static __SANDBOX_PHASE: ::sandbox::__private::Phase = ::sandbox::__private::Phase {
                name: ::core::concat!(::core::module_path!(), "::", #fname),
                file: ::core::file!(),
                line: ::core::line!(),
                promises: #bits,
                penalty: ::sandbox::__private::Penalty::#penalty,
                program: __SANDBOX_PROGRAM,
                pledged: #pledged,
                unveils: #has_unveils,
                best_effort: #best_effort,
            };
            #[cfg(#supported)]
            ::sandbox::__private::enter_with(&__SANDBOX_PHASE, || ::std::vec![#(#unveil_exprs),*]);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pledge(args: TokenStream, item: TokenStream) -> TokenStream {
        phase(First::Pledge, args, item)
    }

    #[test]
    fn inserts_one_statement_and_keeps_the_rest() {
        let out = pledge(
            quote!("stdio"),
            quote!(
                #[inline]
                pub fn f(x: u32) -> u32 {
                    x + 1
                }
            ),
        );
        let f: syn::ItemFn = syn::parse2(out).unwrap();
        assert_eq!(f.attrs.len(), 1);
        assert_eq!(f.block.stmts.len(), 2);
        assert_eq!(f.sig.ident, "f");
        let text = quote!(#f).to_string();
        assert!(text.contains(":: sandbox :: __private :: enter"), "{text}");
        assert!(!text.contains("unsafe"), "{text}");
        for arch in ["x86_64", "aarch64", "riscv64"] {
            assert!(
                text.contains(&format!("target_arch = \"{arch}\"")),
                "{arch}"
            );
        }
    }

    #[test]
    fn errors_keep_the_function() {
        let out = pledge(
            quote!("rpth"),
            quote!(
                fn main() {}
            ),
        )
        .to_string();
        assert!(out.contains("fn main"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        let out = pledge(
            quote!("stdio"),
            quote!(
                struct S;
            ),
        )
        .to_string();
        assert!(out.contains("struct S"), "{out}");
        assert!(out.contains("goes on a fn"), "{out}");
    }

    #[test]
    fn methods_and_async_fns_parse() {
        let out = pledge(
            quote!("stdio"),
            quote!(
                pub async fn serve(&self, n: usize) -> usize {
                    n
                }
            ),
        );
        assert!(out.to_string().contains("async fn serve"));
    }
}
