//! Live progress counters shared with the caller, which polls them from
//! another thread (e.g. to draw a progress bar). The explorers store into
//! them once per batch / chunk of states, never per state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::Stats;

/// Counters the engine updates while it searches; all relaxed atomics.
#[derive(Debug, Default)]
pub struct Progress {
    /// Distinct states found so far.
    pub distinct: AtomicU64,
    /// States generated so far (see [`Stats::states_generated`]).
    pub generated: AtomicU64,
    /// States waiting to be expanded (BFS frontier left, DFS stacks).
    pub queue: AtomicU64,
    /// Current BFS level / deepest DFS stack.
    pub depth: AtomicU64,
    /// Set when the search has finished.
    pub done: AtomicBool,
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    pub(crate) fn set(&self, distinct: u64, generated: u64, queue: u64, depth: u64) {
        self.distinct.store(distinct, Ordering::Relaxed);
        self.generated.store(generated, Ordering::Relaxed);
        self.queue.store(queue, Ordering::Relaxed);
        self.depth.store(depth, Ordering::Relaxed);
    }

    pub(crate) fn finish(&self, stats: &Stats) {
        self.set(
            stats.distinct_states,
            stats.states_generated,
            0,
            stats.depth as u64,
        );
        self.done.store(true, Ordering::Release);
    }

    /// Whether the search has finished.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}
