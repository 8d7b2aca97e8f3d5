//! The explicit state graph the liveness analysis works on: every reachable
//! state with a dense `u32` id, its out-edges in compressed sparse row form
//! and one bit per state predicate.
//!
//! Layout (per state / per edge):
//!
//! - `offsets`: `u64` per state (+1): the state's edges are
//!   `offsets[s]..offsets[s + 1]`, in the order the model emits them
//!   (increasing transition id);
//! - `targets`: `u32` per edge;
//! - `labels`: the transition of each edge, `u16` when the model has at most
//!   65536 transitions, `u32` otherwise ([`Labels`]);
//! - `preds`: for every predicate a bitset over the states.
//!
//! While building, a fingerprint → id table ([`IdTable`]: open addressing,
//! linear probing, a `u64` fingerprint array beside a `u32` id array, load
//! at most 3/4) maps states to ids; it is dropped once the graph is built.
//!
//! Ids are assigned in expansion order, so that the rows can be appended:
//! BFS expands level by level, each level in id order, and gives new states
//! ids in the order of their first discovery (frontier position, then edge
//! order), exactly as a sequential BFS would: successor generation (and the
//! read-only probe of the table) runs in parallel over chunks of the
//! frontier, the ids are then assigned sequentially in frontier order, so
//! they do not depend on the thread count. DFS is sequential: states get a
//! provisional id when discovered, are expanded in depth-first order
//! (smallest transition first), and are renumbered by expansion order at the
//! end.

use std::ops::Range;
use std::sync::Mutex;

use dcheck_model::system::{StepError, TransitionId, TransitionSystem, Word};
use rayon::prelude::*;

use crate::fingerprint::fingerprint;
use crate::fingerprint_table::{capacity_for, max_entries};
use crate::huge_alloc::HugeSlice;
use crate::{Config, Limit, Progress, Strategy, MAX_IDS};

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

/// The state graph (see the module documentation).
pub(crate) struct Graph {
    pub n: usize,
    pub offsets: Vec<u64>,
    pub targets: Vec<u32>,
    pub labels: Labels,
    /// `preds[p]`: bit `s` set iff predicate `p` holds in state `s`.
    pub preds: Vec<Vec<u64>>,
    /// Ids of the distinct initial states, in the order the model emits them.
    pub initial: Vec<u32>,
    /// Their words, flat, in the same order.
    pub initial_words: Vec<Word>,
}

impl Graph {
    #[inline]
    pub(crate) fn edges(&self, s: u32) -> Range<usize> {
        self.offsets[s as usize] as usize..self.offsets[s as usize + 1] as usize
    }

    #[inline]
    pub(crate) fn pred(&self, p: u32, s: u32) -> bool {
        self.preds[p as usize][s as usize / 64] >> (s % 64) & 1 != 0
    }

    /// The first edge from `u` to `v`, if any.
    pub(crate) fn first_edge(&self, u: u32, v: u32) -> Option<usize> {
        self.edges(u).find(|&e| self.targets[e] == v)
    }

    /// Bytes of the graph arrays (capacities).
    pub(crate) fn bytes(&self) -> u64 {
        (self.offsets.capacity() * 8 + self.targets.capacity() * 4) as u64
            + self.labels.bytes()
            + self
                .preds
                .iter()
                .map(|p| p.capacity() as u64 * 8)
                .sum::<u64>()
            + (self.initial.capacity() * 4 + self.initial_words.capacity() * 8) as u64
    }
}

/// Fingerprint → id, open addressing with linear probing (fingerprint 0
/// marks an empty slot; fingerprints are never 0). Used sequentially, or
/// read-only from several threads.
struct IdTable {
    fps: HugeSlice<u64>,
    ids: Vec<u32>,
    mask: usize,
    len: usize,
}

impl IdTable {
    fn with_capacity(capacity: usize) -> IdTable {
        let cap = capacity.next_power_of_two().max(16);
        IdTable {
            fps: HugeSlice::zeroed(cap),
            ids: vec![NONE; cap],
            mask: cap - 1,
            len: 0,
        }
    }

    #[inline]
    fn home(&self, fp: u64) -> usize {
        (fp.rotate_left(32) as usize) & self.mask
    }

    /// Starts fetching the slots a probe of `fp` will read first.
    #[inline]
    fn prefetch(&self, fp: u64) {
        let h = self.home(fp);
        crate::fingerprint_table::prefetch(self.fps.as_ptr().wrapping_add(h));
        crate::fingerprint_table::prefetch(self.ids.as_ptr().wrapping_add(h));
    }

    #[inline]
    fn find(&self, fp: u64) -> Option<u32> {
        let mut i = self.home(fp);
        loop {
            let cur = self.fps[i];
            if cur == fp {
                return Some(self.ids[i]);
            }
            if cur == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Inserts `fp` (absent) with `id`, growing first if needed.
    fn insert(&mut self, fp: u64, id: u32) {
        if self.len + 1 > max_entries(self.fps.len()) {
            self.grow(capacity_for(self.len + 1, self.fps.len() * 2));
        }
        self.put(fp, id);
        self.len += 1;
    }

    fn put(&mut self, fp: u64, id: u32) {
        let mut i = self.home(fp);
        while self.fps[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.fps[i] = fp;
        self.ids[i] = id;
    }

    fn grow(&mut self, capacity: usize) {
        let old = std::mem::replace(self, IdTable::with_capacity(capacity));
        self.len = old.len;
        for (i, &fp) in old.fps.iter().enumerate() {
            if fp != 0 {
                self.put(fp, old.ids[i]);
            }
        }
    }

    fn bytes(&self) -> u64 {
        (self.fps.len() * 8 + self.ids.capacity() * 4) as u64
    }

    /// Bytes after growing to hold `extra` more entries.
    fn bytes_after(&self, extra: usize) -> u64 {
        if self.len + extra <= max_entries(self.fps.len()) {
            self.bytes()
        } else {
            capacity_for(self.len + extra, self.fps.len() * 2) as u64 * 12
        }
    }
}

/// What the build produced.
pub(crate) enum Built {
    Graph {
        graph: Graph,
        /// The first evaluation error of each state that raised one (a
        /// predicate, or the successor computation), by final id.
        errors: Vec<(u32, StepError)>,
        /// Peak bytes of the build (table, graph, frontier / stack).
        peak: u64,
        /// States generated (initial states as emitted, plus every edge)
        /// and, for BFS, the largest distance from an initial state.
        generated: u64,
        depth: u32,
    },
    Limit(Limit),
    /// With `safety` checks on: some state violates an invariant or is a
    /// deadlock (or raised an evaluation error). The caller runs the safety
    /// search to report it canonically.
    Unsafe,
    /// Computing the initial states failed.
    InitError(StepError),
}

/// The graph while its rows are appended, with the id table.
struct Builder {
    table: IdTable,
    graph: Graph,
    errors: Vec<(u32, StepError)>,
    /// `Some(check_deadlock)`: also check invariants and deadlocks.
    safety: Option<bool>,
    unsafe_found: bool,
    emitted: u64,
    depth: u32,
    limit: u64,
    max_memory: Option<u64>,
    peak: u64,
}

impl Builder {
    /// `expected`: the (states, edges) the safety search counted, if known:
    /// the arrays are then allocated once at their final size instead of
    /// doubling (which costs up to twice the memory, and copies).
    fn new<M: TransitionSystem>(
        model: &M,
        config: &Config,
        expected: Option<(u64, u64)>,
    ) -> Builder {
        let (states, edges) = expected.unwrap_or((0, 0));
        let (states, edges) = (states.min(MAX_IDS) as usize, edges.min(1 << 40) as usize);
        let mut labels = Labels::new(model.transition_count());
        labels.reserve_exact(edges);
        Builder {
            table: IdTable::with_capacity(capacity_for(states, 1 << 12)),
            graph: Graph {
                n: 0,
                offsets: Vec::with_capacity(states + 1),
                targets: Vec::with_capacity(edges),
                labels,
                preds: vec![Vec::with_capacity(states.div_ceil(64)); model.predicate_count()],
                initial: Vec::new(),
                initial_words: Vec::new(),
            },
            errors: Vec::new(),
            safety: None,
            unsafe_found: false,
            emitted: 0,
            depth: 0,
            limit: config.max_states.unwrap_or(u64::MAX).min(MAX_IDS),
            max_memory: config.memory_limit(),
            peak: 0,
        }
    }

    fn bytes(&self) -> u64 {
        self.table.bytes() + self.graph.bytes()
    }

    /// Records the peak with `transient` more bytes; `Err` if over the limit.
    fn note(&mut self, transient: u64) -> Result<(), Limit> {
        let b = self.bytes() + transient;
        self.peak = self.peak.max(b);
        match self.max_memory {
            Some(m) if b > m => Err(Limit::Memory),
            _ if crate::progress::stop_requested() => Err(Limit::Interrupted),
            _ => Ok(()),
        }
    }

    /// The id of `fp`, inserting it with the next id if new (`Ok((id, true))`).
    #[inline]
    fn intern(&mut self, fp: u64) -> Result<(u32, bool), Limit> {
        if let Some(id) = self.table.find(fp) {
            return Ok((id, false));
        }
        if self.table.len as u64 >= self.limit {
            return Err(Limit::States);
        }
        let id = self.table.len as u32;
        self.table.insert(fp, id);
        Ok((id, true))
    }

    /// Appends the row of the next state: its predicate bits (`pw` words
    /// per state) and its edges.
    fn add_row(&mut self, bits: &[u64], edges: impl Iterator<Item = (TransitionId, u32)>) {
        let g = &mut self.graph;
        let s = g.n;
        for (p, v) in g.preds.iter_mut().enumerate() {
            if s.is_multiple_of(64) {
                v.push(0);
            }
            if bits[p / 64] >> (p % 64) & 1 != 0 {
                *v.last_mut().expect("pushed") |= 1 << (s % 64);
            }
        }
        for (t, target) in edges {
            g.targets.push(target);
            g.labels.push(t);
        }
        g.offsets.push(g.targets.len() as u64);
        g.n += 1;
    }

    fn finish(mut self) -> Built {
        let g = &mut self.graph;
        let generated = self.emitted + g.targets.len() as u64;
        g.targets.shrink_to_fit();
        g.labels.shrink();
        g.offsets.shrink_to_fit();
        Built::Graph {
            graph: self.graph,
            generated,
            depth: self.depth,
            errors: self.errors,
            peak: self.peak,
        }
    }
}

/// What expanding one state produced, appended to a buffer.
#[derive(Default)]
struct Expanded {
    /// Predicate bits, `pw` words per state.
    bits: Vec<u64>,
    /// Number of edges of each state.
    degree: Vec<u32>,
    labels: Vec<TransitionId>,
    fps: Vec<u64>,
    /// The successor's id if the table knew it when probed, else [`NONE`].
    known: Vec<u32>,
    /// The words of the successors not known, flat, in edge order.
    words: Vec<Word>,
    /// (index of the state in this buffer, its first error).
    errors: Vec<(usize, StepError)>,
    /// With safety checks: a state violating an invariant or deadlocked.
    unsafe_found: bool,
}

impl Expanded {
    fn clear(&mut self) {
        self.bits.clear();
        self.degree.clear();
        self.labels.clear();
        self.fps.clear();
        self.known.clear();
        self.words.clear();
        self.errors.clear();
        self.unsafe_found = false;
    }

    fn bytes(&self) -> u64 {
        (self.bits.capacity() * 8
            + self.degree.capacity() * 4
            + self.labels.capacity() * 4
            + self.fps.capacity() * 8
            + self.known.capacity() * 4
            + self.words.capacity() * 8) as u64
    }

    /// Looks the successors expanded without a table up in `table`
    /// (read-only), keeping the words of the unknown ones only.
    ///
    /// The measured hot path of the parallel part of the build: nearly every
    /// probe misses the cache, so probing is deferred to here, after the
    /// chunk's successors are computed, and the slots `LOOKAHEAD` entries
    /// ahead are prefetched so that the misses overlap.
    fn resolve(&mut self, table: &IdTable, w: usize) {
        let n = self.fps.len();
        for &fp in self.fps.iter().take(LOOKAHEAD) {
            table.prefetch(fp);
        }
        let mut keep = 0;
        for i in 0..n {
            if let Some(&ahead) = self.fps.get(i + LOOKAHEAD) {
                table.prefetch(ahead);
            }
            match table.find(self.fps[i]) {
                Some(id) => self.known[i] = id,
                None => {
                    self.words.copy_within(i * w..(i + 1) * w, keep * w);
                    keep += 1;
                }
            }
        }
        self.words.truncate(keep * w);
    }

    /// Evaluates the predicates of `state` and computes its successors,
    /// probing `table` (read-only) for them.
    ///
    /// `safety`: `Some(check_deadlock)` to also check the invariants of the
    /// successors not yet in `table` (against `state`, which violates none:
    /// every state is checked where it is first found, the initial states
    /// by `build`) and whether `state` is a deadlock (setting
    /// `unsafe_found`).
    fn expand<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        table: Option<&IdTable>,
        state: &[Word],
        pc: usize,
        safety: Option<bool>,
    ) {
        let index = self.degree.len();
        let pw = pc.div_ceil(64);
        let base = self.bits.len();
        self.bits.resize(base + pw, 0);
        let mut error = None;
        for p in 0..pc {
            match model.eval_predicate(scratch, state, p as u32) {
                Ok(true) => self.bits[base + p / 64] |= 1 << (p % 64),
                Ok(false) => {}
                Err(e) => {
                    error = Some(StepError {
                        transition: None,
                        error: e,
                    });
                    break;
                }
            }
        }
        let before = self.fps.len();
        let words_before = self.words.len();
        let (labels, fps, known, words) = (
            &mut self.labels,
            &mut self.fps,
            &mut self.known,
            &mut self.words,
        );
        let r = model.successors(scratch, state, |t, next| {
            let fp = fingerprint(next);
            labels.push(t);
            fps.push(fp);
            match table.and_then(|tb| tb.find(fp)) {
                Some(id) => known.push(id),
                None => {
                    known.push(NONE);
                    words.extend_from_slice(next);
                }
            }
        });
        if let Err(e) = r {
            error.get_or_insert(e);
        }
        let degree = self.fps.len() - before;
        self.degree.push(degree as u32);
        if let Some(check_deadlock) = safety {
            let bad_invariant = if state.is_empty() {
                model.check_invariants(scratch, state) != Ok(None)
            } else {
                self.words[words_before..]
                    .chunks(state.len())
                    .any(|next| model.check_invariants_from(scratch, state, next) != Ok(None))
            };
            let deadlock =
                check_deadlock && degree == 0 && model.is_terminal(scratch, state) != Ok(true);
            if bad_invariant || deadlock {
                self.unsafe_found = true;
            }
        }
        if let Some(e) = error {
            self.errors.push((index, e));
        }
    }
}

/// Frontier states per rayon task.
const CHUNK: usize = 64;
/// How far ahead the sequential id assignment prefetches table slots.
const LOOKAHEAD: usize = 16;
/// Frontier states per batch (between two sequential id assignments).
const BATCH: usize = 1 << 14;

/// Builds the graph of every state reachable in `model`.
pub(crate) fn build<M: TransitionSystem>(
    model: &M,
    config: &Config,
    pool: &rayon::ThreadPool,
    progress: &Progress,
    expected: Option<(u64, u64)>,
    safety: Option<bool>,
) -> Built {
    let mut b = Builder::new(model, config, expected);
    b.safety = safety;
    b.graph.offsets.push(0);
    let words = model.state_words();
    let mut scratch = model.scratch();
    let mut emitted: Vec<Word> = Vec::new();
    let mut count = 0usize;
    let init = model.initial_states(&mut scratch, &mut |st| {
        count += 1;
        emitted.extend_from_slice(st)
    });
    if let Err(e) = init {
        return Built::InitError(e);
    }
    for i in 0..count {
        let st = &emitted[i * words..(i + 1) * words];
        match b.intern(fingerprint(st)) {
            Ok((id, true)) => {
                b.graph.initial.push(id);
                b.graph.initial_words.extend_from_slice(st);
            }
            Ok(_) => {}
            Err(limit) => return Built::Limit(limit),
        }
    }
    drop(emitted);
    b.emitted = count as u64;
    if safety.is_some() {
        for i in 0..b.graph.initial.len() {
            let st = &b.graph.initial_words[i * words..(i + 1) * words];
            if model.check_invariants(&mut scratch, st) != Ok(None) {
                return Built::Unsafe;
            }
        }
    }
    // The first frontier: the distinct initial states.
    let fresh = b.graph.initial_words.clone();
    let r = match config.strategy {
        Strategy::Bfs => build_bfs(model, &mut b, pool, progress, fresh, words),
        Strategy::Dfs => build_dfs(model, &mut b, progress, fresh, words),
    };
    match r {
        Ok(()) if b.unsafe_found || (safety.is_some() && !b.errors.is_empty()) => Built::Unsafe,
        Ok(()) => b.finish(),
        Err(limit) => Built::Limit(limit),
    }
}

fn build_bfs<M: TransitionSystem>(
    model: &M,
    b: &mut Builder,
    pool: &rayon::ThreadPool,
    progress: &Progress,
    mut frontier: Vec<Word>,
    words: usize,
) -> Result<(), Limit> {
    let pc = model.predicate_count();
    let pw = pc.div_ceil(64);
    let threads = pool.current_num_threads().max(1);
    let scratches: Vec<Mutex<M::Scratch>> =
        (0..threads).map(|_| Mutex::new(model.scratch())).collect();
    let mut n = b.graph.initial.len();
    let mut depth = 0u64;
    let safety = b.safety;
    while n > 0 {
        let mut next: Vec<Word> = Vec::new();
        let mut next_count = 0usize;
        let mut pos = 0;
        while pos < n {
            let end = (pos + BATCH).min(n);
            let table = &b.table;
            let front = &frontier;
            let outs: Vec<Expanded> = pool.install(|| {
                (pos..end)
                    .step_by(CHUNK)
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .map(|c| {
                        let idx = rayon::current_thread_index().unwrap_or(0) % scratches.len();
                        let mut scratch = scratches[idx].lock().unwrap_or_else(|p| p.into_inner());
                        let mut out = Expanded::default();
                        for p in c..(c + CHUNK).min(end) {
                            let st = &front[p * words..(p + 1) * words];
                            out.expand(model, &mut scratch, None, st, pc, safety);
                        }
                        out.resolve(table, words);
                        out
                    })
                    .collect()
            });
            if safety.is_some() && outs.iter().any(|o| o.unsafe_found || !o.errors.is_empty()) {
                b.unsafe_found = true;
                return Ok(());
            }
            let transient = outs.iter().map(Expanded::bytes).sum::<u64>()
                + ((frontier.capacity() + next.capacity()) * 8) as u64;
            let unknown: usize = outs
                .iter()
                .map(|o| o.known.iter().filter(|&&k| k == NONE).count())
                .sum();
            b.note(transient + b.table.bytes_after(unknown) - b.table.bytes())?;
            let mut edges: Vec<(TransitionId, u32)> = Vec::new();
            for out in &outs {
                let mut e = 0;
                let mut w = 0;
                let mut errs = out.errors.iter().peekable();
                for (i, &deg) in out.degree.iter().enumerate() {
                    let id = b.graph.n as u32;
                    if let Some((_, err)) = errs.next_if(|(j, _)| *j == i) {
                        b.errors.push((id, err.clone()));
                    }
                    edges.clear();
                    for _ in 0..deg {
                        // The measured hot path of the build: the probes of
                        // states new in this level miss the cache; fetch
                        // the slots of the ones LOOKAHEAD entries ahead.
                        if let Some(&NONE) = out.known.get(e + LOOKAHEAD) {
                            b.table.prefetch(out.fps[e + LOOKAHEAD]);
                        }
                        let target = match out.known[e] {
                            NONE => {
                                let (id, new) = b.intern(out.fps[e])?;
                                if new {
                                    next.extend_from_slice(&out.words[w * words..(w + 1) * words]);
                                    next_count += 1;
                                }
                                w += 1;
                                id
                            }
                            k => k,
                        };
                        edges.push((out.labels[e], target));
                        e += 1;
                    }
                    b.add_row(&out.bits[i * pw..(i + 1) * pw], edges.iter().copied());
                }
            }
            drop(outs);
            b.note(((frontier.capacity() + next.capacity()) * 8) as u64)?;
            pos = end;
            progress.set(
                b.table.len as u64,
                b.emitted + b.graph.targets.len() as u64,
                (n - pos + next_count) as u64,
                depth,
            );
        }
        n = next_count;
        frontier = next;
        depth += 1;
    }
    b.depth = depth.saturating_sub(1) as u32;
    Ok(())
}

fn build_dfs<M: TransitionSystem>(
    model: &M,
    b: &mut Builder,
    progress: &Progress,
    initial: Vec<Word>,
    words: usize,
) -> Result<(), Limit> {
    let pc = model.predicate_count();
    let mut scratch = model.scratch();
    // The stack: provisional ids and words; the initial states pushed so
    // that the first one is expanded first.
    let k = b.graph.initial.len();
    let mut stack_ids: Vec<u32> = b.graph.initial.iter().rev().copied().collect();
    let mut stack_words: Vec<Word> = Vec::with_capacity(k * words);
    for i in (0..k).rev() {
        stack_words.extend_from_slice(&initial[i * words..(i + 1) * words]);
    }
    drop(initial);
    // Provisional id -> final id (expansion order).
    let mut final_id: Vec<u32> = vec![NONE; k];
    let mut out = Expanded::default();
    let mut state = vec![0; words];
    let mut edges: Vec<(TransitionId, u32)> = Vec::new();
    let mut fresh: Vec<(u32, usize)> = Vec::new();
    let mut count = 0usize;
    while let Some(id) = stack_ids.pop() {
        let at = stack_words.len() - words;
        state.copy_from_slice(&stack_words[at..]);
        stack_words.truncate(at);
        out.clear();
        out.expand(model, &mut scratch, None, &state, pc, None);
        final_id[id as usize] = b.graph.n as u32;
        if let Some((_, err)) = out.errors.pop() {
            b.errors.push((id, err));
        }
        edges.clear();
        fresh.clear();
        for e in 0..out.fps.len() {
            let (t, new) = b.intern(out.fps[e])?;
            if new {
                final_id.push(NONE);
                fresh.push((t, e));
            }
            edges.push((out.labels[e], t));
        }
        // Pushed in reverse: the smallest transition is expanded next.
        for &(t, e) in fresh.iter().rev() {
            stack_ids.push(t);
            stack_words.extend_from_slice(&out.words[e * words..(e + 1) * words]);
        }
        b.add_row(&out.bits, edges.iter().copied());
        count += 1;
        if count.is_multiple_of(256) {
            b.note(
                (stack_ids.capacity() * 4 + stack_words.capacity() * 8 + final_id.capacity() * 4)
                    as u64
                    + out.bytes(),
            )?;
            progress.set(
                b.table.len as u64,
                progress
                    .generated
                    .load(std::sync::atomic::Ordering::Relaxed),
                stack_ids.len() as u64,
                stack_ids.len() as u64,
            );
        }
    }
    b.note((final_id.capacity() * 4) as u64)?;
    for t in b.graph.targets.iter_mut() {
        *t = final_id[*t as usize];
    }
    for t in b.graph.initial.iter_mut() {
        *t = final_id[*t as usize];
    }
    for (t, _) in b.errors.iter_mut() {
        *t = final_id[*t as usize];
    }
    Ok(())
}
