//! The explorer of dcheck: explicit-state search of a
//! [`TransitionSystem`], by breadth-first (parallel, deterministic) or
//! depth-first search, with fingerprint deduplication, invariant, deadlock
//! and evaluation-error checks, search limits, and counterexample traces
//! rebuilt by replay.
//!
//! Entry point: [`check`]. Everything it takes and returns is plain data.
//!
//! # Memory
//!
//! Per distinct state the BFS keeps its 64-bit fingerprint in a sorted,
//! bucketed array of 6-byte entries ([`seen`], about 6.5 bytes) and its
//! predecessor link (parent id, transition) compressed to a varint of
//! about 1-2 bytes ([`links`]); the DFS keeps the fingerprint in an
//! open-addressing table kept between 3/8 and 3/4 full (8 bytes / load:
//! 10.7 to 21.3 bytes) and, with one thread, a plain 8-byte link. Full
//! states are only held while waiting to be expanded (the BFS frontier and
//! the next level, the DFS stacks) and for the initial states. BFS also has
//! a per-level table of (fingerprint, key) pairs (16 bytes a slot) sized by
//! the widest level. Measured on a 1 M-state grid
//! (`examples/grid_scale.rs`): BFS 7.9 bytes/state, sequential DFS 25,
//! parallel DFS 17; TwoPhase N=9 (10.3 M states) peaks at about 14 bytes a
//! state of RSS with 2 threads. [`Stats::bytes_used`] is this accounting (capacities),
//! which is also what [`Config::max_memory`] limits. Not counted: the small
//! per-worker successor buffers of the probing path (BFS: at most
//! `MAX_PENDING` plus one state's successors; DFS: one state's successors),
//! like the model's scratch.
//!
//! # Hot path
//!
//! Most generated successors are duplicates, and each one's fingerprint probe
//! goes to a table far larger than the caches. The explorers buffer a
//! state's (BFS: a group of states') successors, prefetch what their probes
//! will read and probe afterwards (BFS: the second, dependent read of a
//! lookup a group later), so that the misses overlap; see
//! [`bfs`], [`dfs`] and [`fingerprint_table`].

pub mod bfs;
pub mod checkpoint;
mod coverage;
pub mod dfs;
pub(crate) mod disk;
pub mod dist;
pub mod fingerprint;
pub mod fingerprint_table;
pub mod graph;
pub mod huge_alloc;
pub(crate) mod links;
pub mod liveness;
pub mod memory;
pub mod progress;
pub(crate) mod seen;
pub mod simulate;
pub mod trace;

use std::time::{Duration, Instant};

use dcheck_model::system::{
    InvariantId, StepCheck, StepError, TransitionId, TransitionSystem, Word,
};

pub use progress::Progress;

/// Search order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Level-synchronous breadth-first search: shortest counterexamples,
    /// identical for every thread count.
    #[default]
    Bfs,
    /// Depth-first search with an explicit stack.
    Dfs,
}

/// What to search and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub strategy: Strategy,
    /// Worker threads (0 is taken as 1).
    pub threads: usize,
    /// Report states without enabled transitions that the model does not
    /// call terminal.
    pub check_deadlock: bool,
    /// Stop (incomplete) rather than store more than this many distinct
    /// states. BFS stores the first ones in its canonical order, so the
    /// result does not depend on the thread count.
    pub max_states: Option<u64>,
    /// Do not expand states at this depth (initial states are at depth 0;
    /// DFS: stack depth). If any state at this depth was reached the result
    /// is [`Verdict::Incomplete`]`(`[`Limit::Depth`]`)` (unless a violation
    /// was found), whether or not it had enabled transitions.
    pub max_depth: Option<u32>,
    /// Stop (incomplete) rather than let the accounted memory
    /// ([`Stats::bytes_used`]) exceed this many bytes. BFS checks before
    /// every batch (against the batch's worst case) and before storing a
    /// level, so it never exceeds it; DFS predicts table growth and checks
    /// its stacks every 256 expansions, so it may exceed it by that much.
    pub max_memory: Option<u64>,
    /// The memory the process may use (by default: 90% of what is
    /// available, [`memory::default_budget`]). A stop like `max_memory`
    /// (also [`Limit::Memory`]), reported with a hint that it was the
    /// default.
    pub memory_budget: Option<u64>,
    /// Stop (incomplete, [`Limit::Time`]) once the search has run this
    /// long: checked where the explorers check for Ctrl-C (every batch,
    /// every 256 DFS expansions). The liveness analysis after a complete
    /// search is not cut.
    pub max_time: Option<Duration>,
    /// Write checkpoints (BFS without liveness checks only; see
    /// [`checkpoint`]).
    pub checkpoint: Option<checkpoint::Checkpointing>,
    /// Check the fixed temporal forms (`eventually P`, ...) through the
    /// automaton product instead of their direct algorithm, like any other
    /// formula
    /// ([`TemporalForm::as_general`](dcheck_model::system::TemporalForm::as_general)),
    /// for tests and benchmarks that compare the two paths.
    pub general_liveness: bool,
    /// Where the BFS keeps what grows with the state space.
    pub store: Store,
    /// Run the BFS on these workers and processes ([`dist`]; safety
    /// checks only, in memory: the caller refuses the rest). `None`: in
    /// this process on `threads` threads.
    pub cluster: Option<dist::Cluster>,
}

impl Config {
    /// The memory a search may account for: the smaller of `max_memory`
    /// and `memory_budget`.
    pub fn memory_limit(&self) -> Option<u64> {
        match (self.max_memory, self.memory_budget) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            strategy: Strategy::Bfs,
            threads: 1,
            check_deadlock: true,
            max_states: None,
            max_depth: None,
            max_memory: None,
            memory_budget: None,
            max_time: None,
            checkpoint: None,
            general_liveness: false,
            store: Store::Memory,
            cluster: None,
        }
    }
}

/// The result of a search together with its statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub result: Verdict,
    pub stats: Stats,
    /// One status per [`TransitionSystem::liveness_checks`] entry, in order
    /// (empty when the model has none).
    pub liveness: Vec<CheckStatus>,
    /// Per action ([`TransitionSystem::action_of`]), how often it was
    /// enabled and taken during the search (see [`Coverage`]): BFS
    /// (recording the liveness graph or not) or DFS. Empty for a
    /// simulation.
    pub coverage: Vec<Coverage>,
}

/// How often one action was enabled and taken during a search.
///
/// `enabled`: the number of states expanded (each distinct state is
/// expanded once) in which at least one transition of the action was
/// enabled. `taken`: the number of successors its transitions generated,
/// duplicates and self-loops included; the sum over all actions is
/// [`Stats::states_generated`] minus the initial states. Each worker counts
/// the states it expands and the counts are summed at the end, so they do
/// not depend on the thread count. On a complete search (`Verdict::Ok`) an
/// action with `enabled == 0` is enabled in no reachable state; after a
/// violation or a limit the counts cover the states expanded so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Coverage {
    pub enabled: u64,
    pub taken: u64,
}

/// The outcome of one liveness check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Holds,
    Violated,
    /// Not checked: the safety search found a violation or stopped at a
    /// limit, or the graph could not be built within the limits.
    NotChecked,
}

/// What the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every reachable state was explored and no violation was found.
    Ok,
    Violation(Violation),
    /// A limit stopped the search before it was complete and no violation
    /// had been found.
    Incomplete(Limit),
}

/// Which limit of [`Config`] stopped the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    States,
    Depth,
    Memory,
    /// A stop was requested ([`progress::request_stop`]: Ctrl-C, SIGTERM).
    Interrupted,
    /// [`Config::max_time`] passed.
    Time,
    /// The disk store failed (a file could not be created, written or
    /// read: [`Stats::store_error`] says which and why).
    Store,
    /// A distributed search lost a worker or a peer process, or could not
    /// connect ([`Stats::peer_error`] says which and why).
    Peer,
}

/// Where a BFS keeps its fingerprints, parent links and frontier.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Store {
    /// In memory; a search that would pass the memory limit stops
    /// ([`Limit::Memory`]).
    #[default]
    Memory,
    /// In memory until the memory limit would stop the search, then in a
    /// disk store ([`disk`]) in a fresh directory under this one. Searches
    /// that record the state graph (liveness) stay in memory and stop.
    Auto(std::path::PathBuf),
    /// In a disk store in a fresh directory under this one from the start
    /// (safety BFS only: the caller refuses others).
    Disk(std::path::PathBuf),
}

/// What a search's disk store did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// The store's directory (removed when the search ends).
    pub dir: String,
    /// With [`Store::Auto`]: the distinct states stored when memory ran
    /// short and the search moved to disk.
    pub switched_at: Option<u64>,
    /// Fingerprints in the store's sorted runs at the end (the rest were
    /// still in memory).
    pub on_disk: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
}

/// A property violation and a trace leading to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// From an initial state to the state where the violation shows: the
    /// state violating the invariant, the deadlocked state, or the state in
    /// which the evaluation error was raised (the error names the transition
    /// being evaluated, if any). Empty only for an error raised while
    /// computing the initial states. For a liveness violation: the lasso,
    /// see [`Lasso`].
    pub trace: Vec<TraceStep>,
    /// Liveness violations only.
    pub lasso: Option<Lasso>,
    /// Set when the trace did not replay to the end (then `trace` stops
    /// before the step that failed): a fingerprint collision or a
    /// nondeterministic model, see [`trace::ReplayError`].
    pub replay_error: Option<trace::ReplayError>,
}

impl Violation {
    /// A violation that is not a lasso, with the trace a replay gave.
    pub fn path(kind: ViolationKind, replayed: trace::Replayed) -> Violation {
        Violation {
            kind,
            trace: replayed.trace,
            lasso: None,
            replay_error: replayed.error,
        }
    }

    /// An evaluation error raised while computing the initial states: no
    /// trace.
    pub fn at_init(error: dcheck_model::system::StepError) -> Violation {
        Violation {
            kind: ViolationKind::EvalError(error),
            trace: Vec::new(),
            lasso: None,
            replay_error: None,
        }
    }
}

/// How a liveness counterexample's trace is an infinite behaviour.
///
/// `trace[..=loop_start]` is the prefix (shortest possible from an initial
/// state to the cycle) and `trace[loop_start..]` the cycle: the last step
/// of the trace leads back to `trace[loop_start]` (its state equals
/// `trace[loop_start].state`), so the behaviour repeats
/// `trace[loop_start + 1..]` forever. If `loop_start == trace.len() - 1` the
/// cycle is empty: the last state has no enabled transition and the
/// behaviour stays in it forever (stuttering).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso {
    pub loop_start: usize,
    /// For every fairness constraint of the violated check (in the check's
    /// order), why the cycle respects it.
    pub fairness: Vec<FairnessWitness>,
}

/// Why a cycle respects a fairness constraint: the first trace index on the
/// cycle (`loop_start + 1..`) whose step takes one of the constraint's
/// transitions, and the first index on the cycle (`loop_start..`, the last
/// state excluded as it repeats `loop_start`) whose state enables none of
/// them. A weak constraint holds on the cycle when either is `Some`; a
/// strong one when `taken_at` is `Some` or the constraint is enabled nowhere
/// on the cycle (`enabled_somewhere == false`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FairnessWitness {
    /// Index into [`TransitionSystem::fairness_constraints`].
    pub constraint: u32,
    pub taken_at: Option<usize>,
    pub disabled_at: Option<usize>,
    pub enabled_somewhere: bool,
}

impl FairnessWitness {
    /// The witness for `constraint` on a lasso of `len` states whose cycle
    /// starts at `loop_start` (the last state repeats it, unless the cycle
    /// is empty: a stutter in `loop_start`). `taken(i)`: the step into
    /// state `i` changes the state and is one of the constraint's
    /// transitions; `enabled(i)`: the constraint is enabled in state `i`.
    pub fn of_lasso(
        constraint: u32,
        len: usize,
        loop_start: usize,
        taken: impl Fn(usize) -> bool,
        mut enabled: impl FnMut(usize) -> bool,
    ) -> FairnessWitness {
        let cycle = if len - 1 > loop_start {
            loop_start..len - 1
        } else {
            loop_start..len
        };
        let en: Vec<(usize, bool)> = cycle.map(|i| (i, enabled(i))).collect();
        FairnessWitness {
            constraint,
            taken_at: (loop_start + 1..len).find(|&i| taken(i)),
            disabled_at: en.iter().find(|(_, e)| !e).map(|(i, _)| *i),
            enabled_somewhere: en.iter().any(|(_, e)| *e),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    Invariant(InvariantId),
    Deadlock,
    EvalError(StepError),
    /// The liveness check at this index of
    /// [`TransitionSystem::liveness_checks`] is violated.
    Liveness(u32),
    /// The action property at this index is violated by the last step of
    /// the trace ([`TransitionSystem::check_step`]).
    ActionProperty(u32),
    /// The refinement at this index is violated: by the last step of the
    /// trace, or by its initial state when the trace has no step
    /// ([`TransitionSystem::check_initial`]).
    Refinement(u32),
}

/// One state of a trace and the transition that led to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    /// `None` for the initial state.
    pub transition: Option<TransitionId>,
    pub state: Vec<Word>,
}

/// Search statistics.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stats {
    /// Distinct states stored (by fingerprint).
    pub distinct_states: u64,
    /// TLC's "states generated": the initial states plus every successor
    /// computed, duplicates included.
    pub states_generated: u64,
    /// BFS: the largest distance from an initial state of a stored state
    /// (initial states are at 0), i.e. the length of the longest shortest
    /// path. TLC reports `depth + 1` as "the depth of the complete state
    /// graph search"; see [`Stats::tlc_depth`]. DFS: the largest stack depth
    /// reached (an initial state alone is depth 0).
    pub depth: u32,
    pub elapsed: Duration,
    /// Peak of the engine's own accounting: fingerprint tables, parent links,
    /// the frontier / stack and the per-level buffers (capacities, not
    /// lengths). Excludes the model's scratch and the thread stacks.
    pub bytes_used: u64,
    /// TLC's optimistic estimate of the probability that a fingerprint
    /// collision made the search miss a state: `n * (g - n) / 2^64` with `n`
    /// distinct states and `g` states generated.
    pub fingerprint_collision_probability: f64,
    /// Liveness only (0 otherwise): peak bytes of the state graph and the
    /// analysis (edges, offsets, predicate bits, the id table while
    /// building, the SCC arrays), its number of edges, and the seconds the
    /// graph build and the analysis took (included in `elapsed`).
    pub graph_bytes: u64,
    pub graph_edges: u64,
    pub liveness_seconds: f64,
    /// Checkpoints written by this run, and why the last one that failed
    /// could not be written.
    pub checkpoints_written: u64,
    pub checkpoint_error: Option<String>,
    /// The BFS's disk store, if the search used one, and why it failed
    /// ([`Limit::Store`]).
    pub store: Option<StoreStats>,
    pub store_error: Option<String>,
    /// A distributed search ([`Config::cluster`]): per worker, in worker
    /// order (worker `w` runs in process `w / workers`), what it owned and
    /// exchanged; and why the run failed ([`Limit::Peer`]).
    pub peers: Vec<PeerStats>,
    pub peer_error: Option<String>,
}

/// One worker of a distributed search.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PeerStats {
    /// The process it ran in.
    pub process: usize,
    /// Distinct states it owned (stored) at the end.
    pub states: u64,
    /// Bytes it sent to and received from other workers (successors, keys
    /// and the per-batch figures), counted by dcheck, not by the network.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Time it waited for the other workers at the end of rounds.
    pub waited: Duration,
    /// Peak of its own accounting, as [`Stats::bytes_used`].
    pub bytes_used: u64,
}

impl Stats {
    /// The number TLC prints as "depth of the complete state graph search"
    /// (BFS): `depth + 1`.
    pub fn tlc_depth(&self) -> u32 {
        self.depth + 1
    }
}

/// TLC's optimistic collision estimate, see
/// [`Stats::fingerprint_collision_probability`].
pub fn collision_probability(distinct: u64, generated: u64) -> f64 {
    let n = distinct as f64;
    let g = generated as f64;
    (n * (g - n).max(0.0) / 2f64.powi(64)).min(1.0)
}

/// Explores `model` as `config` says, updating `progress` as it goes (and
/// setting `progress.done` at the end).
pub fn check<M: TransitionSystem>(model: &M, config: &Config, progress: &Progress) -> Outcome {
    let _searching = progress::searching();
    let start = Instant::now();
    let outcome = if !model.liveness_checks().is_empty() {
        liveness::check(model, config, progress, start, None)
    } else {
        match config.strategy {
            Strategy::Bfs if config.cluster.is_some() => {
                bfs::distributed::run(model, config, progress, start)
            }
            Strategy::Bfs => bfs::run(model, config, progress, start, None, None).0,
            Strategy::Dfs => dfs::run(model, config, progress, start),
        }
    };
    progress.finish(&outcome.stats);
    outcome
}

/// Continues the BFS that `snapshot` saved (the caller checked
/// [`checkpoint::Snapshot::fits`]), as [`check`] would have gone on.
pub fn resume<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    snapshot: checkpoint::Snapshot,
) -> Outcome {
    let _searching = progress::searching();
    let start = Instant::now();
    let outcome = if model.liveness_checks().is_empty() {
        bfs::run(model, config, progress, start, None, Some(snapshot)).0
    } else {
        liveness::check(model, config, progress, start, Some(snapshot))
    };
    progress.finish(&outcome.stats);
    outcome
}

/// The rayon pool of `threads` worker threads (at least 1), built the
/// first time a search of this process asks for that count and shared by
/// every later one: a pool's threads are started once, not per search
/// (`dcheck run` of many specs, the liveness pass after its BFS, and test
/// suites that check thousands of tiny models, where starting threads
/// took more time than the searches). Searches that share a pool at the
/// same time only share its threads: each has its own scratch space, and
/// no search blocks inside a task it runs there.
///
/// Where the system refuses that many threads (`ulimit -u`, a container's
/// pids limit), the pool has half as many, then a quarter, down to one:
/// results do not depend on the thread count, only the speed does.
pub(crate) fn pool(threads: usize) -> std::sync::Arc<rayon::ThreadPool> {
    type Pools = Vec<(usize, std::sync::Arc<rayon::ThreadPool>)>;
    static POOLS: std::sync::Mutex<Pools> = std::sync::Mutex::new(Vec::new());
    let threads = threads.max(1);
    let mut pools = POOLS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return p.clone();
    }
    let mut n = threads;
    let built = loop {
        match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(p) => break p,
            Err(_) if n > 1 => n /= 2,
            Err(e) => panic!("cannot start a worker thread: {e}"),
        }
    };
    let p = std::sync::Arc::new(built);
    pools.push((threads, p.clone()));
    p
}

/// Why a search that started at `start` must stop now, if it must: Ctrl-C
/// or SIGTERM ([`Limit::Interrupted`]) or `max_time` ([`Limit::Time`]).
/// Read where the explorers publish progress.
pub(crate) fn stop_reason(config: &Config, start: Instant) -> Option<Limit> {
    if progress::stop_requested() {
        Some(Limit::Interrupted)
    } else if config.max_time.is_some_and(|t| start.elapsed() >= t) {
        Some(Limit::Time)
    } else {
        None
    }
}

/// Packs a predecessor link: parent id in the high half, transition in the low.
pub fn pack_link(parent: u32, t: TransitionId) -> u64 {
    ((parent as u64) << 32) | t as u64
}

/// The link of an initial state.
pub const ROOT_LINK: u64 = u64::MAX;

/// The largest number of states the id space (u32, one value reserved) holds.
pub(crate) const MAX_IDS: u64 = u32::MAX as u64 - 1;

/// The one place the searches check invariants: the violation (or
/// evaluation error) of `state`. `parent`: the state it was found from,
/// which violates no invariant (every search stops at the first
/// violation), so what the step left unchanged is skipped.
pub(crate) fn invariant_issue<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    parent: Option<&[Word]>,
    state: &[Word],
) -> Option<ViolationKind> {
    let checked = match parent {
        Some(p) => model.check_invariants_from(scratch, p, state),
        None => model.check_invariants(scratch, state),
    };
    match checked {
        Ok(None) => None,
        Ok(Some(inv)) => Some(ViolationKind::Invariant(inv)),
        Err(error) => Some(state_error(error)),
    }
}

/// The one place the searches check action properties: the violation
/// (or evaluation error) of the step from `parent` to `state`. A step that
/// changes nothing satisfies every action property (TLA+'s `[A]_vars`).
pub(crate) fn step_issue<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    parent: &[Word],
    state: &[Word],
) -> Option<ViolationKind> {
    if parent == state {
        return None;
    }
    match model.check_step(scratch, parent, state) {
        Ok(None) => None,
        Ok(Some(StepCheck::ActionProperty(i))) => Some(ViolationKind::ActionProperty(i)),
        Ok(Some(StepCheck::Refinement(i))) => Some(ViolationKind::Refinement(i)),
        Err(error) => Some(state_error(error)),
    }
}

/// The one place the searches check an initial state against the
/// refinements: the refinement it violates (or an evaluation error).
pub(crate) fn initial_issue<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
) -> Option<ViolationKind> {
    match model.check_initial(scratch, state) {
        Ok(None) => None,
        Ok(Some(i)) => Some(ViolationKind::Refinement(i)),
        Err(error) => Some(state_error(error)),
    }
}

/// What is wrong with an initial state: an invariant it violates, else a
/// refinement it breaks.
fn root_issue<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
) -> Option<ViolationKind> {
    invariant_issue(model, scratch, None, state).or_else(|| initial_issue(model, scratch, state))
}

/// The distinct initial states a search starts from: the one place the
/// searches load them ([`roots`]).
pub(crate) struct Roots {
    /// The model's result (an evaluation error in `init`).
    pub init: Result<(), StepError>,
    /// States the model emitted, duplicates included.
    pub generated: u64,
    /// The distinct ones within the state constraints, flat, in the order
    /// the model emits them (their ids are `0..`), at most the state limit.
    pub words: Vec<Word>,
    /// Their fingerprints (see [`admit`]), by id.
    pub fps: Vec<u64>,
    /// Whether the state limit left some out.
    pub cut: bool,
    /// The first emitted initial state outside the state constraints that
    /// violates an invariant (only when `safety`), or whose constraints or
    /// view fail to evaluate: a violation with that state as its trace.
    pub rejected: Option<Violation>,
}

/// The one place a search decides what a state it reached is to it:
/// `Some(fp)`, the fingerprint it is stored under (that of its view if the
/// model has one, `view` being `view_words()` long); `None`, outside the
/// state constraints: counted, checked against the invariants, and neither
/// stored nor expanded (TLC's CONSTRAINT).
#[inline]
pub(crate) fn admit<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
    view: &mut [Word],
) -> Result<Option<u64>, dcheck_model::system::EvalError> {
    if !model.within_constraints(scratch, state)? {
        return Ok(None);
    }
    if view.is_empty() {
        return Ok(Some(fingerprint::fingerprint(state)));
    }
    model.view(scratch, state, view)?;
    Ok(Some(fingerprint::fingerprint(view)))
}

/// The one place the searches decide whether a state without enabled
/// transitions is a deadlock (the caller knows it has none).
pub(crate) fn deadlock_issue<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
) -> Option<ViolationKind> {
    match model.is_terminal(scratch, state) {
        Ok(true) => None,
        Ok(false) => Some(ViolationKind::Deadlock),
        Err(error) => Some(state_error(error)),
    }
}

/// An evaluation error raised in `state` itself (not by a transition).
pub(crate) fn state_error(error: dcheck_model::system::EvalError) -> ViolationKind {
    ViolationKind::EvalError(StepError {
        transition: None,
        error,
    })
}

/// Loads the initial states, keeping at most `limit` distinct ones (see
/// [`Roots`]); the caller stores their fingerprints.
pub(crate) fn roots<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    limit: u64,
    safety: bool,
) -> Roots {
    let words = model.state_words();
    let mut emitted: Vec<Word> = Vec::new();
    let mut count = 0u64;
    let init = model.initial_states(scratch, &mut |st| {
        count += 1;
        emitted.extend_from_slice(st)
    });
    let mut out = Roots {
        init,
        generated: count,
        words: Vec::new(),
        fps: Vec::new(),
        cut: false,
        rejected: None,
    };
    if out.init.is_err() {
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    let mut view = vec![0; model.view_words()];
    for st in emitted.chunks_exact(words.max(1)).take(count as usize) {
        let kind = match admit(model, scratch, st, &mut view) {
            Ok(Some(fp)) => {
                if seen.insert(fp) {
                    if out.fps.len() as u64 >= limit {
                        out.cut = true;
                        break;
                    }
                    out.fps.push(fp);
                    out.words.extend_from_slice(st);
                }
                continue;
            }
            // Outside the constraints: checked, as TLC does, not stored.
            Ok(None) if safety => root_issue(model, scratch, st),
            Ok(None) => None,
            Err(e) => Some(state_error(e)),
        };
        if let (Some(kind), None) = (kind, &out.rejected) {
            out.rejected = Some(Violation::path(
                kind,
                trace::replay(model, scratch, st, &[]),
            ));
        }
    }
    out
}

/// The first stored initial state (by id) that violates an invariant, if
/// any; the callers report [`Roots::rejected`] after it.
pub(crate) fn root_violation<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    initial: &[Word],
    roots: usize,
) -> Option<Violation> {
    let words = model.state_words();
    (0..roots).find_map(|id| {
        let st = &initial[id * words..(id + 1) * words];
        let kind = root_issue(model, scratch, st)?;
        let r = trace::rebuild(model, scratch, initial, |_| ROOT_LINK, id as u32, None);
        Some(Violation::path(kind, r))
    })
}
