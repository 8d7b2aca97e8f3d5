//! Outputs of a run: the text summary and counterexample a person reads, the
//! JSON object CI reads, and the progress display on a terminal.

pub mod diff;
pub mod events;
pub mod json;
pub mod progress;
pub mod text;

use dcheck_engine::{Limit, Outcome, Verdict, ViolationKind};
use dcheck_model::Model;

/// What was run, for the headers of reports.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub spec_path: String,
    pub strategy: &'static str,
    pub threads: usize,
}

/// Exit codes (documented in the README; stable).
pub mod exit {
    /// Every property holds on the complete state space.
    pub const OK: i32 = 0;
    /// A property is violated (invariant, deadlock, or an evaluation error).
    pub const VIOLATION: i32 = 1;
    /// Usage or spec error.
    pub const USAGE: i32 = 2;
    /// A limit stopped the search; no violation was found.
    pub const INCOMPLETE: i32 = 3;
}

pub fn exit_code(outcome: &Outcome) -> i32 {
    match outcome.result {
        Verdict::Ok => exit::OK,
        Verdict::Violation(_) => exit::VIOLATION,
        Verdict::Incomplete(_) => exit::INCOMPLETE,
    }
}

pub fn limit_name(limit: Limit) -> &'static str {
    match limit {
        Limit::States => "max-states",
        Limit::Depth => "max-depth",
        Limit::Memory => "max-memory",
    }
}

/// The property a violation is about, as named in reports.
pub fn violated_property(model: &Model, kind: &ViolationKind) -> String {
    match kind {
        ViolationKind::Invariant(i) => model.invariants[*i as usize].name.clone(),
        ViolationKind::Deadlock => "deadlock".to_string(),
        ViolationKind::EvalError(_) => "evaluation".to_string(),
        ViolationKind::Liveness(c) => format!("liveness check {c}"),
    }
}
