//! Liveness checking under fairness (in progress).

use std::time::Instant;

use dcheck_model::system::TransitionSystem;

use crate::{CheckStatus, Config, Outcome, Progress};

/// Checks the model's liveness properties after the safety search that
/// produced `safety` (which has already run with `config`). Runs only when
/// `safety.result` is `Verdict::Ok`; otherwise marks every check
/// not checked.
pub fn run<M: TransitionSystem>(
    model: &M,
    _config: &Config,
    _progress: &Progress,
    mut safety: Outcome,
    _start: Instant,
) -> Outcome {
    safety.liveness = vec![CheckStatus::NotChecked; model.liveness_checks().len()];
    safety
}
