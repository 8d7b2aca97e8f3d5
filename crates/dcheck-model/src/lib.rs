//! The compiled model: type checks a parsed spec, lays its state out as
//! packed words and compiles guards, effects and invariants to closures over
//! that encoding. The engine sees only [`system::TransitionSystem`].
//!
//! Pipeline: [`check`] (names, types, variables) → [`expr`] / [`stmt`]
//! (type check and closure generation in one pass) → [`model::Model`].

pub mod bag;
mod check;
mod choice;
mod drive;
pub mod encoding;
mod expr;
pub mod ltl;
pub mod model;
pub mod refine;
mod rewrite;
mod runtime;
pub mod seq;
mod stmt;
pub mod symmetry;
pub mod system;
pub mod temporal;
pub mod types;
pub mod value;

/// Internals re-exported for the crate's own tests (`tests/it/units.rs`),
/// which live outside it so that `cargo test` does not build the crate a
/// second time as a unit-test harness. Not an API.
#[doc(hidden)]
pub mod internals {
    pub use crate::drive::MemberCache;
    pub use crate::runtime::Saved;
}

pub use check::Refusal;
pub use model::{compile, compile_probe, compile_with, Explanation, Model, Probe};

/// `n` zeros, with 16 words of spare capacity after them: a buffer that
/// one thread writes on every successor (a scratch state, locals,
/// counters) then never shares a cache line with another thread's, which
/// the allocator may place right after it.
pub fn line_apart(n: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(n + 16);
    v.resize(n, 0);
    v
}

/// Why a spec did not compile: diagnostics in the spec text, and problems
/// with the command line (e.g. `--const` naming no constant).
#[derive(Debug)]
pub struct CompileError {
    pub diagnostics: Vec<dcheck_syntax::diag::Diagnostic>,
    pub usage: Vec<String>,
}
