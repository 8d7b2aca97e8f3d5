//! Counterexample traces, rebuilt by replay: the explorers keep for every
//! distinct state only a packed link (parent id, transition), and the
//! initial states. A trace walks the links back to an initial state, then
//! replays [`TransitionSystem::step`] forward from it.

use dcheck_model::system::{TransitionId, TransitionSystem, Word};

use crate::{TraceStep, ROOT_LINK};

/// The trace from an initial state to the state with id `id`, followed by
/// one more step along `then` if given. `initial` holds the initial states,
/// flat, in id order (ids `0..initial.len() / words`); `links[id]` is
/// [`crate::pack_link`]`(parent, transition)` or [`ROOT_LINK`].
///
/// Panics if the model does not replay (a transition recorded as enabled
/// is not, or raises an error): that breaks the determinism the
/// [`TransitionSystem`] contract requires.
pub fn rebuild<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    initial: &[Word],
    links: &[u64],
    id: u32,
    then: Option<TransitionId>,
) -> Vec<TraceStep> {
    let words = model.state_words();
    let mut transitions: Vec<TransitionId> = then.into_iter().collect();
    let mut cur = id;
    while links[cur as usize] != ROOT_LINK {
        let link = links[cur as usize];
        transitions.push(link as u32);
        cur = (link >> 32) as u32;
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

/// The trace from `start` along `transitions`, by replaying the model.
///
/// Panics if the model does not replay (see [`rebuild`]).
pub fn replay<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    start: &[Word],
    transitions: &[TransitionId],
) -> Vec<TraceStep> {
    let mut state = start.to_vec();
    let mut trace = vec![TraceStep {
        transition: None,
        state: state.clone(),
    }];
    let mut next = vec![0; start.len()];
    for &t in transitions {
        match model.step(scratch, &state, t, &mut next) {
            Ok(true) => {}
            Ok(false) => panic!("model is not deterministic: transition {t} not enabled on replay"),
            Err(e) => panic!(
                "model is not deterministic: transition {t} failed on replay: {}",
                e.message
            ),
        }
        std::mem::swap(&mut state, &mut next);
        trace.push(TraceStep {
            transition: Some(t),
            state: state.clone(),
        });
    }
    trace
}
