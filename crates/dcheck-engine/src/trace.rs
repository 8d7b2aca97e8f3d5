//! Counterexample traces, rebuilt by replay: the explorers keep for every
//! distinct state only a packed link (parent id, transition), and the
//! initial states. A trace walks the links back to an initial state, then
//! replays [`TransitionSystem::step`] forward from it.

use dcheck_model::system::{TransitionId, TransitionSystem, Word};

use crate::{TraceStep, ROOT_LINK};

/// The trace from an initial state to the state with id `id`, followed by
/// one more step along `then` if given. `initial` holds the initial states,
/// flat, in id order (ids `0..initial.len() / words`); `link(id)` is
/// [`crate::pack_link`]`(parent, transition)` or [`ROOT_LINK`] (the DFS
/// keeps its links in a vector, the BFS compressed: [`crate::links`]).
///
/// If the model does not replay (a transition recorded as enabled is not,
/// or raises an error), the trace stops at the last step that replays and
/// says why (see [`ReplayError`]); never a panic.
pub fn rebuild<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    initial: &[Word],
    link: impl Fn(u32) -> u64,
    id: u32,
    then: Option<TransitionId>,
) -> Replayed {
    let words = model.state_words();
    let mut transitions: Vec<TransitionId> = then.into_iter().collect();
    let mut cur = id;
    loop {
        let l = link(cur);
        if l == ROOT_LINK {
            break;
        }
        transitions.push(l as u32);
        cur = (l >> 32) as u32;
    }
    transitions.reverse();
    let root = cur as usize;
    replay(
        model,
        scratch,
        &initial[root * words..(root + 1) * words],
        &transitions,
    )
}

/// A trace rebuilt by replay: all of it, or the steps that replayed and why
/// the next one did not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    pub trace: Vec<TraceStep>,
    pub error: Option<ReplayError>,
}

/// Why a counterexample does not replay: the model, run again along the
/// recorded transitions, disagrees with what the search recorded at step
/// `step` (the step to `trace[step]`). A search that stores fingerprints
/// rather than states meets this when two different states share a
/// fingerprint (a collision) and a recorded path goes through the state it
/// merged; otherwise the model is not deterministic, which breaks the
/// [`TransitionSystem`] contract (a bug in the model's implementation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    pub step: usize,
    pub transition: TransitionId,
    /// What went wrong there, in words.
    pub cause: String,
}

impl ReplayError {
    /// What happened and what to do, for reports.
    pub fn message(&self) -> String {
        format!(
            "the counterexample does not replay at step {}: {}. The search recorded that step, so two different \
             states probably share a 64-bit fingerprint (a collision; see the collision estimate of the summary), \
             and the part of the state space behind the merged state was not explored; or the model is not \
             deterministic, a bug in dcheck. The trace shown stops before that step. Rerun with other \
             --max-states or --strategy to confirm, and report it if it persists",
            self.step, self.cause
        )
    }
}

/// The trace from `start` along `transitions`, by replaying the model; a
/// step that does not replay ends it (see [`ReplayError`]).
pub fn replay<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    start: &[Word],
    transitions: &[TransitionId],
) -> Replayed {
    let mut state = start.to_vec();
    let mut trace = vec![TraceStep {
        transition: None,
        state: state.clone(),
    }];
    let mut next = vec![0; start.len()];
    for (i, &t) in transitions.iter().enumerate() {
        let cause = match model.step(scratch, &state, t, &mut next) {
            Ok(true) => None,
            Ok(false) => Some(format!("transition {t} is not enabled")),
            Err(e) => Some(format!("transition {t} fails: {}", e.message)),
        };
        if let Some(cause) = cause {
            let error = ReplayError {
                step: i + 1,
                transition: t,
                cause,
            };
            return Replayed {
                trace,
                error: Some(error),
            };
        }
        std::mem::swap(&mut state, &mut next);
        trace.push(TraceStep {
            transition: Some(t),
            state: state.clone(),
        });
    }
    Replayed { trace, error: None }
}

impl Replayed {
    /// A lasso's trace must end where its cycle starts (`loop_start`): if
    /// not, the cycle was closed through a merged state; reported as a
    /// replay error at the last step.
    pub fn check_cycle(mut self, loop_start: usize) -> Replayed {
        let n = self.trace.len();
        if self.error.is_none() && n > 0 && self.trace[n - 1].state != self.trace[loop_start].state
        {
            self.error = Some(ReplayError {
                step: n - 1,
                transition: self.trace[n - 1].transition.unwrap_or(u32::MAX),
                cause: format!(
                    "its state is not the state of step {loop_start}, where the cycle starts"
                ),
            });
        }
        self
    }
}
