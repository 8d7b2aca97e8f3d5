//! Live progress counters shared with the caller, which polls them from
//! another thread (e.g. to draw a progress bar). The explorers store into
//! them once per batch / chunk of states, never per state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::Stats;

/// A request to stop every search of this process (Ctrl-C, SIGTERM): set
/// by the caller's signal handler through [`request_stop`], read by the
/// explorers at each point where they update their [`Progress`] (once per
/// batch or every 256 states), which then stop with
/// [`crate::Limit::Interrupted`].
static STOP: AtomicBool = AtomicBool::new(false);

/// Asks every running search to stop soon (safe in a signal handler: one
/// atomic store).
pub fn request_stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Whether a stop was requested.
#[inline]
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// How many searches are running (see [`searching`]).
static SEARCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Marks a search as running until the guard is dropped: while one runs,
/// a stop request is answered by the search itself (with its figures);
/// otherwise (loading or compiling a spec) the caller's signal handler
/// may exit at once.
pub fn searching() -> Searching {
    SEARCHES.fetch_add(1, Ordering::SeqCst);
    Searching(())
}

/// Whether a search is running.
pub fn search_running() -> bool {
    SEARCHES.load(Ordering::SeqCst) > 0
}

/// The guard of [`searching`].
pub struct Searching(());

impl Drop for Searching {
    fn drop(&mut self) {
        SEARCHES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The figures a search last published (distinct, generated, depth), for
/// a report that cannot reach its [`Progress`]: the allocation-failure
/// handler of the CLI, which must not allocate.
static LAST: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// (distinct states, states generated, depth) as last published by a
/// search of this process (zeros before any). Reads three atomics only.
pub fn last_figures() -> (u64, u64, u64) {
    (
        LAST[0].load(Ordering::Relaxed),
        LAST[1].load(Ordering::Relaxed),
        LAST[2].load(Ordering::Relaxed),
    )
}

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
    /// Set when the BFS keeps its states in the disk store (from the start,
    /// or since `--store auto` moved it there).
    pub on_disk: AtomicBool,
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
        LAST[0].store(distinct, Ordering::Relaxed);
        LAST[1].store(generated, Ordering::Relaxed);
        LAST[2].store(depth, Ordering::Relaxed);
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
