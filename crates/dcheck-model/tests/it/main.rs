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
