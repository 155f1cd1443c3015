//! Checking the arguments against the promise table: every mistake, each on its own literal.

use proc_macro2::Span;
use sandbox_policy::{ParseError, Penalty, Policy, Promise, PromiseSet, parse_word};

use crate::parse::Arg;

/// The options `#[pledge]` accepts.
const OPTIONS: &[&str] = &["penalty", "landlock"];
/// The values of `landlock`: whether what Landlock cannot enforce fails the phase.
const LANDLOCK_MODES: &[&str] = &["required", "best-effort"];

/// What `#[pledge]` asks for: the policy, and whether Landlock may run best-effort.
pub(crate) struct Pledge {
    pub(crate) policy: Policy,
    pub(crate) best_effort: bool,
}
/// The values of `penalty`.
const PENALTIES: &[(&str, Penalty)] = &[("report", Penalty::Report), ("kill", Penalty::Kill)];

/// Collects errors so that one compile reports all of them.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        let e = syn::Error::new(span, msg);
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn push_error(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn into_result(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Builds the policy that the arguments describe, or every reason they do not.
pub(crate) fn pledge(args: &[Arg], call_site: Span) -> Result<Pledge, syn::Error> {
    let mut errors = Errors::default();
    let mut set = PromiseSet::EMPTY;
    let mut penalty: Option<(Penalty, Span)> = None;
    let mut landlock: Option<bool> = None;
    let mut any_promises = false;
    for arg in args {
        match arg {
            Arg::Promises(lit) => {
                any_promises = true;
                for word in lit.value().split_whitespace() {
                    match parse_word(word) {
                        Ok(p) if set.contains(p) => {
                            errors.push(lit.span(), format!("promise `{p}` is named twice"));
                        }
                        Ok(p) => set = set.with(p),
                        Err(e) => errors.push(lit.span(), message(&e)),
                    }
                }
            }
            Arg::Option { name, value } => {
                let key = name.to_string();
                if !OPTIONS.contains(&key.as_str()) {
                    errors.push(
                        name.span(),
                        unknown("option", &key, closest(&key, OPTIONS), OPTIONS),
                    );
                    continue;
                }
                let v = value.value();
                if key == "landlock" {
                    if landlock.is_some() {
                        errors.push(name.span(), "option `landlock` is given twice");
                    } else if let Some(i) = LANDLOCK_MODES.iter().position(|m| *m == v) {
                        landlock = Some(i == 1);
                    } else {
                        errors.push(
                            value.span(),
                            unknown(
                                "landlock mode",
                                &v,
                                closest(&v, LANDLOCK_MODES),
                                LANDLOCK_MODES,
                            ),
                        );
                    }
                    continue;
                }
                if penalty.is_some() {
                    errors.push(name.span(), "option `penalty` is given twice");
                    continue;
                }
                match PENALTIES.iter().find(|(n, _)| *n == v) {
                    Some((_, p)) => penalty = Some((*p, value.span())),
                    None => {
                        let names: Vec<&str> = PENALTIES.iter().map(|(n, _)| *n).collect();
                        errors.push(
                            value.span(),
                            unknown("penalty", &v, closest(&v, &names), &names),
                        );
                    }
                }
            }
        }
    }
    if !any_promises {
        errors.push(
            call_site,
            "`#[pledge]` needs promises, e.g. `#[pledge(\"stdio rpath\")]`; write `#[pledge(\"\")]` to keep nothing but the right to exit",
        );
    }
    if let Some((Penalty::Kill, span)) = penalty {
        if set.contains(Promise::Error) {
            errors.push(
                span,
                "`penalty = \"kill\"` contradicts the `error` promise, which makes denied calls fail with EPERM instead; drop one of the two",
            );
        }
    }
    errors.into_result()?;
    Ok(Pledge {
        policy: Policy::new(set, penalty.map_or(Penalty::Report, |(p, _)| p)),
        best_effort: landlock == Some(true),
    })
}

fn message(e: &ParseError) -> String {
    match e {
        ParseError::Unknown { word, suggestion } => {
            let names: Vec<&str> = Promise::ALL.iter().map(|p| p.name()).collect();
            match sandbox_policy::promise::separator_hint(word) {
                Some(hint) => format!("unknown promise `{word}`: {hint}"),
                None => unknown("promise", word, suggestion.map(Promise::name), &names),
            }
        }
        other => other.to_string(),
    }
}

/// "unknown promise `rpth`, did you mean `rpath`? Expected one of: stdio, rpath, ...", with the
/// list taken from the same table the word was checked against. When that table has one name
/// and it is the suggestion, the list would only repeat it and is left out.
fn unknown(what: &str, word: &str, suggestion: Option<&str>, names: &[&str]) -> String {
    let expected = match names {
        [only] => format!("`{only}`"),
        _ => format!("one of: {}", names.join(", ")),
    };
    match suggestion {
        Some(s) if names == [s] => format!("unknown {what} `{word}`, did you mean `{s}`?"),
        Some(s) => format!("unknown {what} `{word}`, did you mean `{s}`? Expected {expected}"),
        None => format!("unknown {what} `{word}`, expected {expected}"),
    }
}

fn closest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|n| {
        let (a, b) = (word.as_bytes(), n.as_bytes());
        a.len().abs_diff(b.len()) <= 2
            && a.iter().zip(b).filter(|(x, y)| x == y).count() + 2 >= b.len()
    })
}

/// The flags `#[unveil]` accepts after the permissions.
const UNVEIL_FLAGS: &[&str] = &["optional", "best_effort"];

/// One checked unveil.
pub(crate) struct CheckedUnveil {
    pub(crate) path: syn::Expr,
    pub(crate) perms: String,
    pub(crate) optional: bool,
    pub(crate) best_effort: bool,
}

/// Checks one `#[unveil]`'s permissions and flags, adding every mistake to `errors`.
pub(crate) fn unveil(args: crate::parse::UnveilArgs, errors: &mut Errors) -> Option<CheckedUnveil> {
    let mut ok = true;
    if let Err(e) = sandbox_policy::Perms::parse(&args.perms.value()) {
        errors.push(args.perms.span(), e);
        ok = false;
    }
    let (mut optional, mut best_effort) = (false, false);
    for flag in &args.flags {
        match flag.to_string().as_str() {
            "optional" if !optional => optional = true,
            "best_effort" if !best_effort => best_effort = true,
            "optional" | "best_effort" => {
                errors.push(flag.span(), format!("flag `{flag}` is given twice"));
                ok = false;
            }
            other => {
                let hint = closest(other, UNVEIL_FLAGS)
                    .map_or(String::new(), |s| format!(", did you mean `{s}`?"));
                errors.push(
                    flag.span(),
                    format!(
                        "unknown unveil flag `{other}`{hint} expected one of: {}",
                        UNVEIL_FLAGS.join(", ")
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then(|| CheckedUnveil {
        path: args.path,
        perms: args.perms.value(),
        optional,
        best_effort,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn run(tokens: proc_macro2::TokenStream) -> Result<Policy, String> {
        let args = crate::parse::args(tokens).map_err(|e| e.to_string())?;
        pledge(&args, Span::call_site())
            .map(|p| p.policy)
            .map_err(|e| {
                e.into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
    }

    #[test]
    fn both_spellings() {
        let a = run(quote!("stdio rpath")).unwrap();
        let b = run(quote!("stdio", "rpath")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.promises, PromiseSet::parse("stdio rpath").unwrap());
        assert_eq!(run(quote!("")).unwrap().promises, PromiseSet::EMPTY);
    }

    #[test]
    fn every_mistake_is_reported() {
        let e = run(quote!("stdio rpth", "pf", "stdio", penalti = "kill")).unwrap_err();
        assert!(e.contains("did you mean `rpath`?"), "{e}");
        assert!(e.contains("only on OpenBSD"), "{e}");
        assert!(e.contains("`stdio` is named twice"), "{e}");
        assert!(e.contains("did you mean `penalty`?"), "{e}");
        assert_eq!(e.lines().count(), 4, "{e}");
    }

    #[test]
    fn unknown_words_list_what_is_accepted() {
        let e = run(quote!("stdio zzzzzz")).unwrap_err();
        assert!(
            e.starts_with("unknown promise `zzzzzz`, expected one of: stdio, rpath,"),
            "{e}"
        );
        let e = run(quote!("stdio rpth")).unwrap_err();
        assert!(
            e.starts_with("unknown promise `rpth`, did you mean `rpath`? Expected one of: stdio,"),
            "{e}"
        );
        let e = run(quote!("stdio", penalti = "kill")).unwrap_err();
        assert_eq!(
            e,
            "unknown option `penalti`, did you mean `penalty`? Expected one of: penalty, landlock"
        );
        let e = run(quote!("stdio", zzzzzz = "kill")).unwrap_err();
        assert_eq!(
            e,
            "unknown option `zzzzzz`, expected one of: penalty, landlock"
        );
        let e = run(quote!("stdio", penalty = "zzzzzz")).unwrap_err();
        assert_eq!(e, "unknown penalty `zzzzzz`, expected one of: report, kill");
    }

    #[test]
    fn penalties() {
        assert_eq!(
            run(quote!("stdio", penalty = "kill")).unwrap().penalty,
            Penalty::Kill
        );
        assert_eq!(run(quote!("stdio")).unwrap().penalty, Penalty::Report);
        assert_eq!(run(quote!("stdio error")).unwrap().penalty, Penalty::Error);
        assert!(
            run(quote!("stdio", penalty = "kil"))
                .unwrap_err()
                .contains("did you mean `kill`?")
        );
        assert!(
            run(quote!("stdio error", penalty = "kill"))
                .unwrap_err()
                .contains("contradicts")
        );
    }

    #[test]
    fn no_argument_is_an_error() {
        assert!(run(quote!()).unwrap_err().contains("needs promises"));
    }

    #[test]
    fn landlock_mode() {
        let args =
            crate::parse::args(quote!("stdio rpath wpath", landlock = "best-effort")).unwrap();
        assert!(pledge(&args, Span::call_site()).unwrap().best_effort);
        let args = crate::parse::args(quote!("stdio", landlock = "required")).unwrap();
        assert!(!pledge(&args, Span::call_site()).unwrap().best_effort);
        let e = run(quote!("stdio", landlock = "best_effort")).unwrap_err();
        assert!(e.contains("did you mean `best-effort`?"), "{e}");
    }
}
