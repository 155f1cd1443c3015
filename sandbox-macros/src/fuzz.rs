//! Robustness: random token streams as attribute arguments and as items. The macro must never
//! panic: it either expands or emits the item with a spanned error.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::expand::{First, phase};

/// xorshift64*, deterministic so that a failure names its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

const WORDS: &[&str] = &[
    "stdio rpath",
    "",
    " ",
    "rpth",
    "pf",
    "stdio stdio",
    "error",
    "rwc",
    "r",
    "rr",
    "q",
    "\u{e9}t\u{e9}",
    "stdio\trpath\ninet",
    "prot_exec",
    "kill",
    "report",
];
const IDENTS: &[&str] = &[
    "penalty",
    "optional",
    "best_effort",
    "penalti",
    "x",
    "self",
    "fn",
    "r#fn",
];
const PUNCTS: &[char] = &[',', '=', ';', '.', '&', '#', '!', ':', '-'];

fn tree(rng: &mut Rng, depth: u32) -> TokenTree {
    match rng.below(if depth > 2 { 4 } else { 5 }) {
        0 => TokenTree::Literal(Literal::string(WORDS[rng.below(WORDS.len())])),
        1 => {
            let name = IDENTS[rng.below(IDENTS.len())];
            if let Some(raw) = name.strip_prefix("r#") {
                TokenTree::Ident(Ident::new_raw(raw, Span::call_site()))
            } else {
                TokenTree::Ident(Ident::new(name, Span::call_site()))
            }
        }
        2 => TokenTree::Punct(Punct::new(PUNCTS[rng.below(PUNCTS.len())], Spacing::Alone)),
        3 => TokenTree::Literal(match rng.below(3) {
            0 => Literal::u32_unsuffixed(u32::try_from(rng.below(1000)).unwrap_or(0)),
            1 => Literal::character('r'),
            _ => Literal::byte_string(b"stdio"),
        }),
        _ => {
            let delim = [
                Delimiter::Parenthesis,
                Delimiter::Bracket,
                Delimiter::Brace,
                Delimiter::None,
            ][rng.below(4)];
            TokenTree::Group(Group::new(delim, stream(rng, depth + 1)))
        }
    }
}

fn stream(rng: &mut Rng, depth: u32) -> TokenStream {
    (0..rng.below(6)).map(|_| tree(rng, depth)).collect()
}

#[test]
fn random_arguments_never_panic() {
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let item: TokenStream = "fn f(a: &str) -> usize { a.len() }".parse().unwrap();
    let items: Vec<TokenStream> = [
        "fn f(a: &str) -> usize { a.len() }",
        "pub async fn g(&self) {}",
        "struct S;",
        "fn h<T: Clone>(t: T) -> T where T: Send { t }",
        "#[sandbox::unveil(\"/tmp\", \"r\")] #[sandbox::pledge(\"stdio\")] fn k() {}",
        "#[unveil(p, \"rw\", optional)] fn m(p: &std::path::Path) {}",
        "",
        "trait T { fn x(&self); }",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for round in 0..4000 {
        let args = stream(&mut rng, 0);
        let item = if round % 3 == 0 {
            items[rng.below(items.len())].clone()
        } else {
            item.clone()
        };
        let first = if rng.below(2) == 0 {
            First::Pledge
        } else {
            First::Unveil
        };
        let out = std::panic::catch_unwind(|| phase(first, args.clone(), item.clone()));
        let out = out
            .unwrap_or_else(|_| panic!("round {round}: panicked on args `{args}` item `{item}`"));
        let text = out.to_string();
        let expanded = text.contains(":: sandbox :: __private :: enter_with");
        let refused = text.contains("compile_error");
        assert!(
            expanded || refused,
            "round {round}: neither expanded nor refused: args `{args}` -> {text}"
        );
        if refused {
            // On error the item is still emitted (its sandbox attributes taken off).
            let original = item.to_string();
            let name = original
                .split("fn ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next());
            let kept = match name {
                Some(name) => format!("fn {name}"),
                None => original.chars().take(8).collect(),
            };
            assert!(text.contains(&kept), "round {round}: item lost: {text}");
        }
    }
}
