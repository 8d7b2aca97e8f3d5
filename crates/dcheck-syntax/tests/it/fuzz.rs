//! Robustness: random and mutated inputs never make the parser, the loader
//! or the renderer panic, and every diagnostic span lies inside its file.

use dcheck_syntax::parser::{
    parse_block, parse_expr, parse_fairness, parse_from_pattern, parse_on_pattern, parse_params,
    parse_temporal, parse_type,
};
use dcheck_syntax::span::FileId;
use dcheck_syntax::{load_spec_str, render};
use proptest::prelude::*;

const SPEC: &str = include_str!("../fixtures/twophase.ron");
const MSG_SPEC: &str = include_str!("../fixtures/twophase_msgs.ron");

const PIECES: &[&str] = &[
    "forall",
    "exists",
    " in ",
    "notin",
    "if",
    "then",
    "else",
    "let",
    "and",
    "or",
    "not",
    "=>",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    ";",
    ".",
    "..",
    "|->",
    "->",
    "==",
    "=",
    "+",
    "-",
    "x",
    "S",
    "0",
    "1",
    "for",
    "require",
    "insert",
    "set<",
    ">",
    "é",
    "\"",
    "\\",
    "r#\"",
    "\"#",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "'",
    "0.1",
    "t.0.1",
    "99999999999999999999",
    "always",
    "eventually",
    "leads_to",
    "implies",
    "~>",
    "<>",
    "[]",
    "weak",
    "strong",
    "each",
    "_",
];

fn check_text(text: &str) {
    let _ = parse_expr(FileId(0), text);
    let _ = parse_type(FileId(0), text);
    let _ = parse_params(FileId(0), text);
    for ds in [
        parse_on_pattern(FileId(0), text).err(),
        parse_from_pattern(FileId(0), text).err(),
        parse_temporal(FileId(0), text).err(),
        parse_fairness(FileId(0), text).err(),
    ]
    .into_iter()
    .flatten()
    {
        for d in ds {
            assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        }
    }
    if let Err(ds) = parse_block(FileId(0), text) {
        for d in ds {
            assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        }
    }
}

fn check_spec(text: &str) {
    match load_spec_str("fuzz.ron", text) {
        Ok((src, spec)) => {
            // spans of the message-passing items lie inside their files
            let d = &spec.distributed;
            let spans = d
                .handlers
                .iter()
                .flat_map(|h| [h.span, h.on.span])
                .chain(d.network.iter().map(|n| n.span))
                .chain(d.faults.iter().map(|f| f.span))
                .chain(d.roles.iter().map(|r| r.count.span))
                .chain(spec.properties.iter().map(|p| p.formula.span))
                .chain(
                    spec.properties
                        .iter()
                        .filter_map(|p| p.fairness.as_ref())
                        .chain(std::iter::once(&spec.fairness))
                        .flatten()
                        .flat_map(|f| {
                            std::iter::once(f.span).chain(f.targets.iter().map(|t| t.span))
                        }),
                );
            for span in spans {
                assert!(span.start <= span.end, "{span:?}");
                assert!(
                    span.end as usize <= src.file(span.file).text.len(),
                    "{span:?}"
                );
            }
        }
        Err((src, ds)) => {
            assert!(!ds.is_empty());
            for d in &ds {
                let f = src.file(d.span.file);
                assert!(d.span.start <= d.span.end, "{d:?}");
                assert!(d.span.end as usize <= f.text.len(), "{d:?}");
            }
            let _ = render(&src, &ds, false);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_strings_do_not_panic(s in "\\PC{0,60}") {
        check_text(&s);
        check_spec(&s);
    }

    #[test]
    fn token_soup_does_not_panic(parts in prop::collection::vec(prop::sample::select(PIECES), 0..40)) {
        let s = parts.concat();
        check_text(&s);
        check_spec(&format!("(name: \"F\", vars: [], init: (effect: r#\"{s}\"#), terminal: \"{s}\")"));
    }

    #[test]
    fn token_soup_in_patterns_does_not_panic(parts in prop::collection::vec(prop::sample::select(PIECES), 0..12)) {
        let s = parts.concat();
        check_spec(&format!(
            "(name: \"F\", vars: [], init: (), handlers: [ (role: \"R\", on: r#\"{s}\"#, from: r#\"{s}\"#) ])"
        ));
    }

    #[test]
    fn token_soup_in_properties_does_not_panic(parts in prop::collection::vec(prop::sample::select(PIECES), 0..16)) {
        let s = parts.concat();
        check_spec(&format!(
            "(name: \"F\", vars: [], init: (), properties: [ (name: \"P\", expr: r#\"{s}\"#, fairness: [r#\"{s}\"#]) ], fairness: [r#\"weak {s}\"#])"
        ));
    }

    #[test]
    fn mutated_message_spec_does_not_panic(
        edits in prop::collection::vec((0usize..MSG_SPEC.len(), prop::sample::select(PIECES), 0usize..4), 1..4)
    ) {
        check_spec(&mutate(MSG_SPEC, edits));
    }

    #[test]
    fn mutated_spec_does_not_panic(
        edits in prop::collection::vec((0usize..SPEC.len(), prop::sample::select(PIECES), 0usize..4), 1..4)
    ) {
        check_spec(&mutate(SPEC, edits));
    }
}

fn mutate(spec: &str, edits: Vec<(usize, &str, usize)>) -> String {
    let mut text = spec.to_string();
    for (pos, piece, del) in edits {
        let mut p = pos.min(text.len());
        while !text.is_char_boundary(p) {
            p -= 1;
        }
        let mut e = (p + del).min(text.len());
        while !text.is_char_boundary(e) {
            e += 1;
        }
        text.replace_range(p..e, piece);
    }
    text
}
