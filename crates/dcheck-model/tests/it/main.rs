//! The integration tests of `dcheck-model`, as one test binary (one link
//! of the crate and its dependencies, not one per file).

mod compile_cost;
mod drive;
mod empty_ranges;
mod evaluation;
mod field_tests;
mod folding;
mod invariant_skip;
mod seq_emptiness;
mod units;

/// Loads and compiles a spec given as text; `what` (the invariant under
/// test) heads the panic message if either fails.
pub(crate) fn compile_text(file: &str, text: &str, what: &str) -> dcheck_model::Model {
    let (_, ast) =
        dcheck_syntax::load_spec_str(file, text).unwrap_or_else(|(_, d)| panic!("{what}: {d:?}"));
    dcheck_model::compile(&ast, &[]).unwrap_or_else(|e| panic!("{what}: {:?}", e.diagnostics))
}
