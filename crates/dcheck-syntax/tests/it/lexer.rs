//! The lexer: token kinds, operators and comments, and the exact span of
//! an error (moved here from the crate's unit tests: a unit-test harness
//! would build the crate a second time in `cargo test`).

use dcheck_syntax::lexer::{lex, OffsetMap, Tok};
use dcheck_syntax::span::FileId;

fn kinds(s: &str) -> Vec<Tok> {
    let (t, d) = lex(s, FileId(0), &OffsetMap::shifted(0));
    assert!(d.is_empty(), "{d:?}");
    t.into_iter().map(|t| t.tok).collect()
}

#[test]
fn tuple_fields_and_ranges() {
    assert_eq!(
        kinds("t.0.1 1..3"),
        vec![
            Tok::Ident("t".into()),
            Tok::Dot,
            Tok::Int(0),
            Tok::Dot,
            Tok::Int(1),
            Tok::Int(1),
            Tok::DotDot,
            Tok::Int(3),
            Tok::Eof
        ]
    );
}

#[test]
fn operators_and_comments() {
    assert_eq!(
        kinds("a |-> b -> c => d // x ≠ y\n|| !="),
        vec![
            Tok::Ident("a".into()),
            Tok::MapsTo,
            Tok::Ident("b".into()),
            Tok::Arrow,
            Tok::Ident("c".into()),
            Tok::FatArrow,
            Tok::Ident("d".into()),
            Tok::OrOr,
            Tok::Ne,
            Tok::Eof
        ]
    );
}

#[test]
fn non_ascii_is_an_error_with_exact_span() {
    let (_, d) = lex("a ≠ b", FileId(0), &OffsetMap::shifted(10));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].span.start, d[0].span.end), (12, 15));
}
