//! Action coverage: per action, in how many expanded states it was enabled
//! and how many successors it generated (see [`crate::Coverage`]).
//!
//! Every search counts the same way: each worker keeps a [`Counts`] of its
//! own, adds every state it expands with the transitions of that state's
//! successors in emission order ([`Counts::add`]), and the workers' counts
//! are summed at the end ([`sum`]). Each distinct state is expanded exactly
//! once in a complete search, so the totals do not depend on the thread
//! count or on which worker expanded what. BFS counts in its successor
//! callback ([`Counts::state`]), also when it records the liveness graph.

use dcheck_model::system::{TransitionId, TransitionSystem};

use crate::Coverage;

/// The action of every transition id, tabulated once per search so that
/// counting is an array lookup.
pub(crate) fn action_table<M: TransitionSystem>(model: &M) -> Vec<u32> {
    (0..model.transition_count() as u32)
        .map(|t| model.action_of(t))
        .collect()
}

/// One worker's counters, indexed by action.
#[derive(Clone, Debug)]
pub(crate) struct Counts {
    enabled: Vec<u64>,
    taken: Vec<u64>,
}

impl Counts {
    pub(crate) fn new(actions: usize) -> Counts {
        Counts {
            enabled: dcheck_model::line_apart(actions),
            taken: dcheck_model::line_apart(actions),
        }
    }

    /// Counters that start at the coverage a checkpoint saved.
    pub(crate) fn from_coverage(saved: &[Coverage]) -> Counts {
        Counts {
            enabled: saved.iter().map(|c| c.enabled).collect(),
            taken: saved.iter().map(|c| c.taken).collect(),
        }
    }

    /// Starts counting the successors of one expanded state.
    #[inline]
    pub(crate) fn state<'a>(&'a mut self, action_of: &'a [u32]) -> StateCounter<'a> {
        StateCounter {
            counts: self,
            action_of,
            last: u32::MAX,
        }
    }

    /// Adds one expanded state whose successors came from `transitions`,
    /// in the order the model emitted them.
    pub(crate) fn add(
        &mut self,
        action_of: &[u32],
        transitions: impl IntoIterator<Item = TransitionId>,
    ) {
        let mut c = self.state(action_of);
        for t in transitions {
            c.successor(t);
        }
    }
}

/// Counts the successors of one state as they are emitted.
pub(crate) struct StateCounter<'a> {
    counts: &'a mut Counts,
    action_of: &'a [u32],
    last: u32,
}

impl StateCounter<'_> {
    /// One successor by transition `t`. A model emits a state's successors
    /// in increasing transition order and an action's transitions are
    /// consecutive, so a change of action starts that action's run in this
    /// state: it is enabled here.
    #[inline]
    pub(crate) fn successor(&mut self, t: TransitionId) {
        let a = self.action_of[t as usize];
        if a != self.last {
            self.last = a;
            self.counts.enabled[a as usize] += 1;
        }
        self.counts.taken[a as usize] += 1;
    }
}

/// The sum of the workers' counts.
pub(crate) fn sum<'a>(
    actions: usize,
    counts: impl IntoIterator<Item = &'a Counts>,
) -> Vec<Coverage> {
    let mut out = vec![Coverage::default(); actions];
    for c in counts {
        for (o, (&e, &t)) in out.iter_mut().zip(c.enabled.iter().zip(&c.taken)) {
            o.enabled += e;
            o.taken += t;
        }
    }
    out
}
