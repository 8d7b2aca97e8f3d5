//! `dcheck check` on arbitrary bytes: loading, lowering, type checking and
//! compiling never panic, abort or hang, whatever the input.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The loader takes text; non-UTF-8 input is refused before it (by
    // `dcheck_syntax::load_spec`'s reader), so only text is fuzzed here.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = common::load(text);
    }
});
