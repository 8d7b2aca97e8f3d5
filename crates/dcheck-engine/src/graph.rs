//! The explicit state graph a BFS records beside its search ([`Record`]):
//! every reachable state with its dense `u32` BFS id, its out-edges in
//! compressed sparse row form and one bit per state predicate. The
//! liveness analysis works on it, and `dcheck graph` draws it
//! ([`state_graph`]). There is no search loop here: [`crate::bfs`] is the
//! one BFS, and fills a [`Recording`] as it expands each level.
//!
//! Layout (per state / per edge):
//!
//! - `offsets`: 4 bytes per state (+1): the state's edges are
//!   `offsets.get(s)..offsets.get(s + 1)`, in the order the model emits
//!   them (increasing transition id), self-loops and duplicates included
//!   ([`Offsets`]: the low 32 bits of each, and where the high bits grow);
//! - `targets`: `u32` per edge;
//! - `labels`: the transition of each edge, `u16` when the model has at most
//!   65536 transitions, `u32` otherwise ([`Labels`]);
//! - `preds`: for every predicate a bitset over the states;
//! - `edge_preds`: for every step predicate a bitset over the edges (a
//!   self-loop's bit is 0: a stutter satisfies none).
//!
//! Ids are the BFS's: the initial states in emission order, then each level
//! in the order of first discovery (frontier position, then transition), so
//! they do not depend on the thread count. A level's rows are appended as
//! its states are expanded; the targets of its edges are known by
//! fingerprint only until the level's new states have their ids, and are
//! resolved then ([`Recording::resolve`]).

use std::ops::Range;

use dcheck_model::system::{StepError, TransitionId, TransitionSystem, Word};
use rayon::prelude::*;

use crate::{Config, Limit, Progress, Verdict, ViolationKind, MAX_IDS};

/// Marks "no id" in id arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// Edge labels: the transition of every edge, as narrow as the model allows.
pub(crate) enum Labels {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Labels {
    fn new(transitions: usize) -> Labels {
        if transitions <= 1 << 16 {
            Labels::U16(Vec::new())
        } else {
            Labels::U32(Vec::new())
        }
    }

    #[inline]
    pub(crate) fn get(&self, e: usize) -> TransitionId {
        match self {
            Labels::U16(v) => v[e] as TransitionId,
            Labels::U32(v) => v[e],
        }
    }

    #[inline]
    fn push(&mut self, t: TransitionId) {
        match self {
            Labels::U16(v) => v.push(t as u16),
            Labels::U32(v) => v.push(t),
        }
    }

    fn reserve_exact(&mut self, n: usize) {
        match self {
            Labels::U16(v) => v.reserve_exact(n),
            Labels::U32(v) => v.reserve_exact(n),
        }
    }

    fn reserve_eighth(&mut self, n: usize) {
        match self {
            Labels::U16(v) => reserve_eighth(v, n),
            Labels::U32(v) => reserve_eighth(v, n),
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Labels::U16(v) => v.capacity() as u64 * 2,
            Labels::U32(v) => v.capacity() as u64 * 4,
        }
    }

    fn shrink(&mut self) {
        match self {
            Labels::U16(v) => v.shrink_to_fit(),
            Labels::U32(v) => v.shrink_to_fit(),
        }
    }
}

/// Where each state's edges start, as `u64`s stored in 4 bytes each: the
/// low 32 bits of every offset, and the positions at which the high bits
/// step up (none below 2^32 edges). Offsets only grow, so the high bits of
/// offset `i` are the number of steps at or before `i`.
///
/// Measured: `u64` offsets were 8 of raft's 25 graph bytes a state (of its
/// peak of 60); half of them go.
#[derive(Clone, Debug, Default)]
pub(crate) struct Offsets {
    low: Vec<u32>,
    steps: Vec<u32>,
}

impl Offsets {
    /// Offsets `[0]`, room for `n` more.
    pub(crate) fn with_capacity(n: usize) -> Offsets {
        let mut low = Vec::with_capacity(n + 1);
        low.push(0);
        Offsets {
            low,
            steps: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> u64 {
        let high = if self.steps.is_empty() {
            0
        } else {
            self.steps.partition_point(|&p| p as usize <= i) as u64
        };
        high << 32 | u64::from(self.low[i])
    }

    /// Appends `v`, at least the last offset.
    #[inline]
    pub(crate) fn push(&mut self, v: u64) {
        let i = self.low.len() as u32;
        while (self.steps.len() as u64) < v >> 32 {
            self.steps.push(i);
        }
        self.low.push(v as u32);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.low.len()).map(|i| self.get(i))
    }

    fn reserve_eighth(&mut self, n: usize) {
        reserve_eighth(&mut self.low, n);
    }

    fn shrink(&mut self) {
        self.low.shrink_to_fit();
    }

    pub(crate) fn bytes(&self) -> u64 {
        (self.low.capacity() * 4 + self.steps.capacity() * 4) as u64
    }
}

impl FromIterator<u64> for Offsets {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Offsets {
        let mut o = Offsets::default();
        for v in iter {
            o.push(v);
        }
        o
    }
}

/// The state graph (see the module documentation).
pub(crate) struct Graph {
    pub n: usize,
    pub offsets: Offsets,
    pub targets: Vec<u32>,
    pub labels: Labels,
    /// `preds[p]`: bit `s` set iff predicate `p` holds in state `s`.
    pub preds: Vec<Vec<u64>>,
    /// `edge_preds[q]`: bit `e` set iff step predicate `q` holds on edge `e`.
    pub edge_preds: Vec<Vec<u64>>,
    /// Ids of the distinct initial states, in the order the model emits them.
    pub initial: Vec<u32>,
    /// Their words, flat, in the same order.
    pub initial_words: Vec<Word>,
}

impl Graph {
    #[inline]
    pub(crate) fn edges(&self, s: u32) -> Range<usize> {
        self.offsets.get(s as usize) as usize..self.offsets.get(s as usize + 1) as usize
    }

    #[inline]
    pub(crate) fn pred(&self, p: u32, s: u32) -> bool {
        self.preds[p as usize][s as usize / 64] >> (s % 64) & 1 != 0
    }

    #[inline]
    pub(crate) fn edge_pred(&self, q: u32, e: usize) -> bool {
        self.edge_preds[q as usize][e / 64] >> (e % 64) & 1 != 0
    }

    /// Whether some edge of `s` whose transition satisfies `pred` leads to
    /// another state (a self-loop is a stutter: it enables nothing).
    #[inline]
    pub(crate) fn moves_by(&self, s: u32, pred: impl Fn(TransitionId) -> bool) -> bool {
        self.edges(s)
            .any(|e| self.targets[e] != s && pred(self.labels.get(e)))
    }

    /// The first edge from `u` to `v`, if any.
    pub(crate) fn first_edge(&self, u: u32, v: u32) -> Option<usize> {
        self.edges(u).find(|&e| self.targets[e] == v)
    }

    /// Bytes of the graph arrays (capacities).
    pub(crate) fn bytes(&self) -> u64 {
        self.offsets.bytes()
            + self.targets.capacity() as u64 * 4
            + self.labels.bytes()
            + self
                .preds
                .iter()
                .chain(&self.edge_preds)
                .map(|p| p.capacity() as u64 * 8)
                .sum::<u64>()
            + (self.initial.capacity() * 4 + self.initial_words.capacity() * 8) as u64
    }
}

/// What a BFS records beside its search ([`crate::bfs::run`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Record {
    /// Evaluate the model's predicates in every expanded state.
    pub predicates: bool,
    /// Keep every state's words, in id order (`dcheck graph` draws them).
    pub words: bool,
    /// Check invariants and deadlocks as the search goes. Off for a second
    /// pass over a space a DFS already checked, and for drawing.
    pub safety: bool,
    /// (distinct states, states generated), when an earlier search counted
    /// them: the arrays are then allocated once at their final size.
    pub expected: Option<(u64, u64)>,
}

/// The rows one chunk of a BFS level produced, in frontier order.
#[derive(Default)]
pub(crate) struct Rows {
    /// Predicate bits, `pw` words per state.
    bits: Vec<u64>,
    /// Step predicate bits, `epw` words per edge.
    ebits: Vec<u64>,
    epw: usize,
    /// Number of edges of each state.
    degree: Vec<u32>,
    labels: Vec<TransitionId>,
    /// Each edge's target fingerprint; 0 for a self-loop.
    fps: Vec<u64>,
    /// (index of the state among the rows, its first evaluation error).
    errors: Vec<(u32, StepError)>,
    /// The edges of the state being expanded so far.
    open: u32,
}

impl Rows {
    /// Starts the row of `state`: evaluates the first `pc` predicates;
    /// its edges will carry `epc` step predicate bits.
    pub(crate) fn begin<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        state: &[Word],
        (pc, epc): (usize, usize),
    ) {
        self.epw = epc.div_ceil(64);
        let base = self.bits.len();
        self.bits.resize(base + pc.div_ceil(64), 0);
        for p in 0..pc {
            match model.eval_predicate(scratch, state, p as u32) {
                Ok(true) => self.bits[base + p / 64] |= 1 << (p % 64),
                Ok(false) => {}
                Err(error) => {
                    let row = self.degree.len() as u32;
                    self.errors.push((
                        row,
                        StepError {
                            transition: None,
                            error,
                        },
                    ));
                    break;
                }
            }
        }
        self.open = 0;
    }

    /// An edge of the open row: transition `t` to the state with
    /// fingerprint `fp` (0: to the state itself).
    #[inline]
    pub(crate) fn edge(&mut self, t: TransitionId, fp: u64) {
        self.labels.push(t);
        self.fps.push(fp);
        self.open += 1;
        self.ebits.resize(self.ebits.len() + self.epw, 0);
    }

    /// Evaluates the `epc` step predicates on the last edge, from `parent`
    /// to `next` (which differ); the first error is the state's.
    pub(crate) fn edge_bits<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        (parent, next): (&[Word], &[Word]),
        t: TransitionId,
        epc: usize,
    ) {
        let base = self.ebits.len() - self.epw;
        for q in 0..epc {
            match model.eval_edge_predicate(scratch, parent, next, q as u32) {
                Ok(true) => self.ebits[base + q / 64] |= 1 << (q % 64),
                Ok(false) => {}
                Err(error) => {
                    let row = self.degree.len() as u32;
                    if self.errors.last().is_none_or(|(r, _)| *r != row) {
                        self.errors.push((
                            row,
                            StepError {
                                transition: Some(t),
                                error,
                            },
                        ));
                    }
                    return;
                }
            }
        }
    }

    /// Closes the open row.
    pub(crate) fn end(&mut self) {
        self.degree.push(self.open);
    }

    /// The number of closed rows.
    pub(crate) fn len(&self) -> usize {
        self.degree.len()
    }
}

/// The graph while a BFS appends its rows.
pub(crate) struct Recording {
    pub graph: Graph,
    /// The first evaluation error of a predicate in each state that raised
    /// one, by id (the search goes on: the liveness report picks the one
    /// with the shortest trace).
    pub errors: Vec<(u32, StepError)>,
    /// Every state's words in id order, with [`Record::words`].
    pub words: Vec<Word>,
    keep_words: bool,
    /// Predicates evaluated per state.
    pub(crate) pc: usize,
    /// Step predicates evaluated per edge.
    pub(crate) epc: usize,
    /// The target fingerprints of the current level's edges, from
    /// `graph.targets[level_start]` on (0: a self-loop, whose target is
    /// already in place).
    level_fps: Vec<u64>,
    level_start: usize,
}

impl Recording {
    pub(crate) fn new<M: TransitionSystem>(model: &M, record: Record) -> Recording {
        let (states, edges) = record.expected.unwrap_or((0, 0));
        let (states, edges) = (states.min(MAX_IDS) as usize, edges.min(1 << 40) as usize);
        let (pc, epc) = if record.predicates {
            (model.predicate_count(), model.edge_predicate_count())
        } else {
            (0, 0)
        };
        let mut labels = Labels::new(model.transition_count());
        labels.reserve_exact(edges);
        Recording {
            graph: Graph {
                n: 0,
                offsets: Offsets::with_capacity(states),
                targets: Vec::with_capacity(edges),
                labels,
                preds: vec![Vec::with_capacity(states.div_ceil(64)); pc],
                edge_preds: vec![Vec::with_capacity(edges.div_ceil(64)); epc],
                initial: Vec::new(),
                initial_words: Vec::new(),
            },
            errors: Vec::new(),
            words: Vec::new(),
            keep_words: record.words,
            pc,
            epc,
            level_fps: Vec::new(),
            level_start: 0,
        }
    }

    /// The recording a checkpoint saved: the rows of the levels before the
    /// frontier; the current level's rows come next.
    pub(crate) fn restore<M: TransitionSystem>(
        model: &M,
        saved: crate::checkpoint::SavedGraph,
        initial: &[Word],
        initial_count: usize,
    ) -> Recording {
        let mut labels = Labels::new(model.transition_count());
        labels.reserve_exact(saved.labels.len());
        for &l in &saved.labels {
            labels.push(l);
        }
        let level_start = saved.targets.len();
        Recording {
            graph: Graph {
                n: saved.n,
                offsets: saved.offsets.into_iter().collect(),
                targets: saved.targets,
                labels,
                preds: saved.preds,
                edge_preds: saved.edge_preds,
                initial: (0..initial_count as u32).collect(),
                initial_words: initial.to_vec(),
            },
            errors: saved.errors,
            words: Vec::new(),
            keep_words: false,
            pc: saved.predicates,
            epc: saved.edge_predicates,
            level_fps: Vec::new(),
            level_start,
        }
    }

    /// The distinct initial states (ids `0..n`), their words flat.
    pub(crate) fn initial(&mut self, words: &[Word], n: usize) {
        self.graph.initial = (0..n as u32).collect();
        self.graph.initial_words = words.to_vec();
        self.level(words);
    }

    /// The states of a new level, in id order.
    pub(crate) fn level(&mut self, words: &[Word]) {
        if self.keep_words {
            self.words.extend_from_slice(words);
        }
    }

    /// Appends the rows of a chunk whose first state has id `first`.
    pub(crate) fn add_rows(&mut self, rows: &Rows, first: u32) {
        let pw = self.pc.div_ceil(64);
        let g = &mut self.graph;
        reserve_eighth(&mut g.targets, rows.labels.len());
        g.labels.reserve_eighth(rows.labels.len());
        g.offsets.reserve_eighth(rows.degree.len());
        let mut e = 0;
        for (i, &deg) in rows.degree.iter().enumerate() {
            let s = g.n;
            debug_assert_eq!(s as u32, first + i as u32);
            for (p, v) in g.preds.iter_mut().enumerate() {
                if s.is_multiple_of(64) {
                    v.push(0);
                }
                if rows.bits[i * pw + p / 64] >> (p % 64) & 1 != 0 {
                    *v.last_mut().expect("pushed") |= 1 << (s % 64);
                }
            }
            for _ in 0..deg {
                let id = g.targets.len();
                for (q, v) in g.edge_preds.iter_mut().enumerate() {
                    if id.is_multiple_of(64) {
                        reserve_eighth(v, 1);
                        v.push(0);
                    }
                    if rows.ebits[e * rows.epw + q / 64] >> (q % 64) & 1 != 0 {
                        *v.last_mut().expect("pushed") |= 1 << (id % 64);
                    }
                }
                g.labels.push(rows.labels[e]);
                g.targets.push(s as u32);
                e += 1;
            }
            g.offsets.push(g.targets.len() as u64);
            g.n += 1;
        }
        self.level_fps.extend_from_slice(&rows.fps);
        for (i, err) in &rows.errors {
            self.errors.push((first + i, err.clone()));
        }
    }

    /// Gives the current level's edges their target ids, once every state
    /// they reach is in `seen` with its id.
    ///
    /// One lookup per edge in a set far larger than the caches: the
    /// edges are split over the pool and each chunk prefetches ahead
    /// (`LOOKAHEAD`, 16), so the misses overlap.
    pub(crate) fn resolve(&mut self, seen: &crate::seen::Seen, pool: &rayon::ThreadPool) {
        const LOOKAHEAD: usize = 16;
        let targets = &mut self.graph.targets[self.level_start..];
        let fps = &self.level_fps;
        pool.install(|| {
            targets
                .par_chunks_mut(4096)
                .zip(fps.par_chunks(4096))
                .for_each(|(ts, fs)| {
                    for (i, (t, &fp)) in ts.iter_mut().zip(fs).enumerate() {
                        // Two dependent reads a lookup: the bucket start
                        // twice as far ahead as the entry (and id) it
                        // points to.
                        if let Some(&ahead) = fs.get(i + 2 * LOOKAHEAD) {
                            if ahead != 0 {
                                seen.prefetch(ahead);
                            }
                        }
                        if let Some(&ahead) = fs.get(i + LOOKAHEAD) {
                            if ahead != 0 {
                                seen.prefetch_entries(ahead);
                            }
                        }
                        if fp != 0 {
                            *t = seen.id_of(fp).unwrap_or(NONE);
                        }
                    }
                })
        });
        // Freed, not kept for the next level: the widest level comes
        // mid-search, and its buffer would count 8 bytes an edge of it at
        // the end, when the graph is largest (raft: the accounted peak 95.3
        // -> 90.0 MB; its peak RSS comes before the end and did not move).
        self.level_fps = Vec::new();
        self.level_start = self.graph.targets.len();
    }

    /// Bytes held (capacities).
    pub(crate) fn bytes(&self) -> u64 {
        self.graph.bytes() + (self.level_fps.capacity() * 8 + self.words.capacity() * 8) as u64
    }

    /// The finished graph, its arrays trimmed to size.
    pub(crate) fn finish(mut self) -> Recording {
        let g = &mut self.graph;
        g.targets.shrink_to_fit();
        g.labels.shrink();
        g.offsets.shrink();
        self.level_fps = Vec::new();
        self
    }
}

/// A state graph for drawing: states in BFS discovery order (the initial
/// states first).
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
    /// The search stopped early (memory, interruption).
    Stopped(Limit),
}

/// The whole state graph of a small model, for drawing it (`dcheck graph`):
/// every reachable state once, and one edge per enabled transition of each,
/// duplicates and self-loops included; recorded by the BFS without
/// checking invariants or deadlocks. Fails as soon as more than
/// `max_states` distinct states are found.
pub fn state_graph<M: TransitionSystem>(
    model: &M,
    max_states: usize,
) -> Result<StateGraph, GraphError> {
    let config = Config {
        check_deadlock: false,
        max_states: Some(max_states as u64),
        ..Config::default()
    };
    let record = Record {
        words: true,
        ..Record::default()
    };
    let progress = Progress::default();
    let (outcome, recording) = crate::bfs::run(
        model,
        &config,
        &progress,
        std::time::Instant::now(),
        Some(record),
        None,
    );
    match outcome.result {
        Verdict::Ok => {}
        Verdict::Incomplete(Limit::States) => return Err(GraphError::TooManyStates(max_states)),
        Verdict::Incomplete(limit) => return Err(GraphError::Stopped(limit)),
        Verdict::Violation(v) => {
            return Err(match v.kind {
                ViolationKind::EvalError(e) => GraphError::Eval(e),
                // Nothing else is checked: never reached.
                _ => GraphError::Stopped(Limit::Interrupted),
            });
        }
    }
    let r = recording.expect("a BFS asked to record returns its recording");
    let g = &r.graph;
    let w = model.state_words();
    let mut edges = Vec::with_capacity(g.targets.len());
    for s in 0..g.n as u32 {
        for e in g.edges(s) {
            edges.push((s, g.labels.get(e), g.targets[e]));
        }
    }
    Ok(StateGraph {
        states: (0..g.n)
            .map(|i| r.words[i * w..(i + 1) * w].to_vec())
            .collect(),
        initial: g.initial.len(),
        edges,
    })
}

/// Makes room for `n` more elements, growing by at least an eighth: the
/// graph's arrays are most of a liveness run's memory, and doubling
/// (`Vec`'s own growth) left up to half of them unused (raft: 37 MB of
/// 89). A large vector grows by `mremap` ([`crate::memory::return_large_frees`]),
/// so the smaller steps copy nothing.
fn reserve_eighth<T>(v: &mut Vec<T>, n: usize) {
    if v.capacity() - v.len() < n {
        v.reserve_exact(n.max(v.len() / 8));
    }
}

#[cfg(test)]
mod tests {
    use super::Offsets;

    /// Offsets past 2^32 (no test graph has that many edges) come back as
    /// pushed, including a jump over two steps at once and repeats.
    #[test]
    fn offsets_keep_their_high_bits() {
        let pushed: Vec<u64> = vec![
            0,
            5,
            (1 << 32) - 1,
            1 << 32,
            (1 << 32) + 7,
            (1 << 32) + 7,
            (3 << 32) + 1,
            (3 << 32) + 1,
            (4 << 32) - 1,
        ];
        let o: Offsets = pushed.iter().copied().collect();
        assert_eq!(o.iter().collect::<Vec<u64>>(), pushed);
        for (i, &v) in pushed.iter().enumerate() {
            assert_eq!(o.get(i), v, "offset {i}");
        }
    }
}
