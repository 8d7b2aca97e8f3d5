//! Helpers shared by the front end's integration tests: fixture paths, the
//! text under a span, and loading a spec that must fail.

// Each test crate that includes this module uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::load_spec_str;
use dcheck_syntax::span::{SourceMap, Span};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The source text under `span`.
pub fn at(sources: &SourceMap, span: Span) -> &str {
    &sources.file(span.file).text[span.start as usize..span.end as usize]
}

/// Loads `text`, which must fail, and returns its diagnostics.
pub fn errors(name: &str, text: &str) -> (SourceMap, Vec<Diagnostic>) {
    match load_spec_str(name, text) {
        Ok(_) => panic!("{name} should not load"),
        Err(e) => e,
    }
}
