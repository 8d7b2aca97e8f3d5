//! The whole state graph of a small model, for drawing it (`dcheck graph`):
//! every reachable state once, and one edge per enabled transition of each,
//! duplicates and self-loops included. A plain sequential BFS over exact
//! states (no fingerprints): it is meant for models of a few thousand states
//! at most and refuses to go past a limit.

use std::collections::HashMap;

use dcheck_model::system::{StepError, TransitionId, TransitionSystem, Word};

/// A state graph: states in BFS discovery order (the initial states first).
#[derive(Clone, Debug, Default)]
pub struct StateGraph {
    pub states: Vec<Vec<Word>>,
    /// How many of `states` (a prefix) are initial states.
    pub initial: usize,
    /// (from, transition, to), in the order the BFS generated them.
    pub edges: Vec<(u32, TransitionId, u32)>,
}

/// Why a state graph was not built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphError {
    /// The model has more than this many reachable states.
    TooManyStates(usize),
    /// Evaluating the model failed in some state.
    Eval(StepError),
}

/// Builds the state graph of `model`, or fails as soon as more than
/// `max_states` distinct states are found.
pub fn state_graph<M: TransitionSystem>(
    model: &M,
    max_states: usize,
) -> Result<StateGraph, GraphError> {
    let mut sc = model.scratch();
    let mut g = StateGraph::default();
    let mut ids: HashMap<Vec<Word>, u32> = HashMap::new();
    let mut too_many = false;
    let mut add = |g: &mut StateGraph, s: &[Word], too_many: &mut bool| -> Option<u32> {
        if let Some(id) = ids.get(s) {
            return Some(*id);
        }
        if g.states.len() >= max_states {
            *too_many = true;
            return None;
        }
        let id = g.states.len() as u32;
        ids.insert(s.to_vec(), id);
        g.states.push(s.to_vec());
        Some(id)
    };
    model
        .initial_states(&mut sc, &mut |s| {
            add(&mut g, s, &mut too_many);
        })
        .map_err(GraphError::Eval)?;
    if too_many {
        return Err(GraphError::TooManyStates(max_states));
    }
    g.initial = g.states.len();
    let mut next = 0usize;
    while next < g.states.len() {
        let from = next as u32;
        let state = g.states[next].clone();
        let mut found = Vec::new();
        model
            .successors(&mut sc, &state, |t, s| found.push((t, s.to_vec())))
            .map_err(GraphError::Eval)?;
        for (t, s) in found {
            let Some(to) = add(&mut g, &s, &mut too_many) else {
                return Err(GraphError::TooManyStates(max_states));
            };
            g.edges.push((from, t, to));
        }
        next += 1;
    }
    Ok(g)
}
