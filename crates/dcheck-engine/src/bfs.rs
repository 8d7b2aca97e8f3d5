//! Parallel, deterministic, level-synchronous breadth-first search.
//!
//! Each level's frontier (the states at distance `d`, in id order) is
//! expanded in batches of fixed-size chunks on the process's rayon pool of
//! `--threads` threads ([`crate::pool`]), on which the whole search runs.
//! During a level the table of all previously stored fingerprints (`seen`)
//! is only read; successors not in it go into a per-level [`KeyedFingerprintTable`]
//! whose key, kept at its minimum with `fetch_min`, is
//! `(frontier position of the parent, transition)`. At the end of the level
//! the new states are sorted by that key, given consecutive ids, linked to
//! their parent and inserted into `seen`.
//!
//! Determinism: the minimum key of a state is a function of the frontier
//! and the model only (every (parent, transition) pair is tried exactly once,
//! whatever thread does it), so the order of the next frontier, the ids, the
//! parent links and thus every trace equal those of a sequential BFS that
//! expands the frontier in order and records the first discovery. Batch
//! boundaries depend only on the table sizes, the memory limit and the
//! number of new states earlier batches found (a set, whatever the thread
//! timing), not on the number of threads.
//!
//! Memory is reserved from what the search reaches: a batch and the level
//! table's growth before it are sized for twice the new states per
//! expanded state seen so far, never for the model's transition count (an
//! action with 2^20 parameter bindings of which a few are enabled would
//! otherwise reserve 2^20 slots per frontier state). Each chunk may insert
//! at most its share of the table's free room; past it, the successors not
//! in `seen` go back to the caller unprobed (`ChunkOut::overflow`), which
//! grows the table and offers them after the batch. The minimum key wins
//! whatever the order of the offers, so the level table, and every result,
//! is that of a table large enough from the start. Every violation (invariant,
//! deadlock, evaluation error) is given the key of the event that shows it:
//! a new state's own minimum key, or `(position, transition)` of the
//! expanded state; the reported one is the smallest key. Keys below
//! `(batch end, 0)` are final after a batch, so the search stops at the end
//! of the first batch that found a violation.
//!
//! Probing (the measured hot path): a successor costs a fingerprint and a
//! probe of the level table and, if absent there, a lookup in `seen` (a
//! sorted set, [`crate::seen`]: a bucket start, then the entries it points
//! to); all are far larger than the caches, so each access is nearly
//! always a cache miss. A worker therefore does not probe inside the
//! model's successor callback: it appends the successor (key, fingerprint,
//! words) to a reusable per-worker buffer and issues software prefetches of
//! its level-table slot and `seen` bucket start. Once a group of frontier
//! states has produced `GROUP_SUCCESSORS` (256) successors or after
//! `GROUP_STATES` (16) states (mid-state past `MAX_PENDING` (4096), which
//! bounds the buffer), the group is probed in the level table (settling
//! every successor already there) and the `seen` entries of the rest are
//! fetched; they are looked up one group later, when the next group ends
//! (see `Pending::advance`). The misses then overlap with the model's
//! evaluation and with each other. Since every successor is still offered
//! to the tables with its own key, the level table, and so the result, is
//! the same as with probing in the callback. The end-of-level loops over
//! the new states prefetch `LOOKAHEAD` (16) entries ahead for the same
//! reason.

pub(crate) mod distributed;

use crate::invariant_issue;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Instant;

use dcheck_model::system::{TransitionSystem, Word};
use rayon::prelude::*;

use crate::checkpoint::{self, Checkpointing, Snapshot};
use crate::coverage;
use crate::disk::Disk;
use crate::fingerprint::fingerprint;
use crate::fingerprint_table::{capacity_for, max_entries, KeyedFingerprintTable};
use crate::graph::{Record, Recording, Rows};
use crate::links::Links;
use crate::seen::Seen;
use crate::trace::rebuild;
use crate::{
    collision_probability, Config, Limit, Outcome, Progress, Stats, Store, Verdict, Violation,
    ViolationKind, MAX_IDS,
};

/// Frontier states per rayon task.
const CHUNK: usize = 64;
/// New states per rayon task at the end of a level.
const END_CHUNK: usize = 4096;
/// Probe the buffered successors once a group of expanded states has
/// produced at least this many ...
const GROUP_SUCCESSORS: usize = 256;
/// ... or once the group has this many states ...
const GROUP_STATES: usize = 16;
/// ... and in the middle of a state's successors once this many are buffered
/// (bounds the per-worker buffer whatever the model's fan-out).
const MAX_PENDING: usize = 4096;
/// How far ahead the end-of-level loops over new states prefetch.
const LOOKAHEAD: usize = 16;
/// The level table's first size.
const MIN_LEVEL_TABLE: usize = 1 << 10;
/// A batch (between two synchronisation points) is at most this many
/// frontier states. Its chunks' outputs are all held until it ends, in
/// many small allocations whose freed room the allocator keeps: at 2^16,
/// raft's peak RSS was 107 MB, 8 of it these outputs and the room they
/// left (2^14: 101 MB, 2^13: 100 MB, 2^12: 99 MB). 2pc N=9 runs as fast
/// at 2^13 (1.016x wall, farm-bench -n 6, within the noise).
const MAX_BATCH: usize = 1 << 13;

#[inline]
fn key(pos: usize, t: u32) -> u64 {
    ((pos as u64) << 32) | t as u64
}

/// What one chunk of the frontier produced.
#[derive(Default)]
struct ChunkOut {
    generated: u64,
    /// Fingerprint of each new state it inserted first into the level table
    /// (not the slot: slots move when the table grows between batches).
    fps: Vec<u64>,
    /// Their words, flat.
    words: Vec<Word>,
    /// The frontier position of the parent each was found from (for the
    /// invariant check, which skips what the step left unchanged).
    parents: Vec<u32>,
    /// Violations shown by expanded states, or by their successors outside
    /// the state constraints: (key, kind, whether in the successor).
    events: Vec<(u64, ViolationKind, bool)>,
    /// Violations shown by new states: (fingerprint, kind).
    issues: Vec<(u64, ViolationKind)>,
    /// When recording the graph: the rows of the chunk's states.
    rows: Rows,
    /// Successors not probed in the level table because the chunk had
    /// inserted its quota of new states (see `explore`).
    overflow: Pending,
}

/// The frontier states a chunk expands: `words` holds them in order, the
/// first at the level's position `lo`; or, in a distributed search
/// (`route`: this worker and the number of workers), this worker's states
/// of the level, at `positions`.
#[derive(Clone, Copy)]
struct Front<'a> {
    words: &'a [Word],
    lo: usize,
    positions: Option<&'a [u32]>,
    route: Option<(usize, usize)>,
}

impl<'a> Front<'a> {
    /// A level's states from position `lo` on.
    fn local(words: &'a [Word], lo: usize) -> Front<'a> {
        Front {
            words,
            lo,
            positions: None,
            route: None,
        }
    }

    /// A distributed search's worker's states of the level, at
    /// `positions`; `route`: see [`Front::routed_away`].
    fn owned(words: &'a [Word], positions: &'a [u32], route: Option<(usize, usize)>) -> Front<'a> {
        Front {
            words,
            lo: 0,
            positions: Some(positions),
            route,
        }
    }

    /// The level position of the `i`th state held.
    #[inline]
    fn pos(&self, i: usize) -> usize {
        match self.positions {
            Some(ps) => ps[i] as usize,
            None => self.lo + i,
        }
    }

    /// The index held of the state at position `p`, if it is held.
    fn index(&self, p: usize) -> Option<usize> {
        match self.positions {
            Some(ps) => ps.binary_search(&(p as u32)).ok(),
            None => Some(p - self.lo),
        }
    }

    /// The state at position `p`, if it is held.
    fn at(&self, p: usize, words: usize) -> Option<&'a [Word]> {
        let i = self.index(p)?;
        Some(&self.words[i * words..(i + 1) * words])
    }

    /// In a distributed search, a successor another worker owns goes to
    /// its buffer in `remote` (key, fingerprint, words) instead of the
    /// tables: whether it did.
    #[inline]
    fn routed_away(&self, remote: &mut [Vec<u64>], key: u64, fp: u64, next: &[Word]) -> bool {
        let Some((me, peers)) = self.route else {
            return false;
        };
        let o = crate::dist::owner(fp, peers);
        if o == me {
            return false;
        }
        let r = &mut remote[o];
        r.push(key);
        r.push(fp);
        r.extend_from_slice(next);
        true
    }
}

impl ChunkOut {
    /// Where a probe puts the new states it finds.
    fn sink<'a>(&'a mut self, words: usize, quota: &'a mut usize) -> Found<'a> {
        Found {
            words,
            fps: &mut self.fps,
            new_words: &mut self.words,
            parents: &mut self.parents,
            quota,
            overflow: &mut self.overflow,
        }
    }

    /// The number of states whose rows it recorded.
    fn rows_len(&self) -> usize {
        self.rows.len()
    }
}

/// Where a violation shows.
enum At {
    /// In the frontier state at this position.
    Frontier(usize),
    /// In the successor of the frontier state at this position by this
    /// transition.
    Successor(usize, u32),
}

struct Search<'a> {
    config: &'a Config,
    start: Instant,
    seen: Seen,
    level: KeyedFingerprintTable,
    links: Links,
    initial: Vec<Word>,
    generated: u64,
    depth: u32,
    peak_bytes: u64,
    /// The state graph, when asked to record it.
    rec: Option<Recording>,
    /// Checkpoints written, and the last failure to write one.
    checkpoints: u64,
    checkpoint_error: Option<String>,
    /// The disk store, once the search uses one (see [`crate::disk`]),
    /// the distinct states it held when an automatic switch moved there,
    /// and why it failed.
    disk: Option<Disk>,
    switched_at: Option<u64>,
    store_error: Option<String>,
    /// The disk store stored part of the current level already (a
    /// checkpoint of its start can no longer be written).
    parts_stored: bool,
}

impl Search<'_> {
    fn distinct(&self) -> u64 {
        self.links.len() as u64
    }

    fn outcome(&self, result: Verdict) -> Outcome {
        Outcome {
            result,
            liveness: Vec::new(),
            coverage: Vec::new(),
            stats: Stats {
                distinct_states: self.distinct(),
                states_generated: self.generated,
                depth: self.depth,
                elapsed: self.start.elapsed(),
                bytes_used: self.peak_bytes,
                fingerprint_collision_probability: collision_probability(
                    self.distinct(),
                    self.generated,
                ),
                checkpoints_written: self.checkpoints,
                checkpoint_error: self.checkpoint_error.clone(),
                store: self.disk.as_ref().map(|d| crate::StoreStats {
                    dir: d.path().display().to_string(),
                    switched_at: self.switched_at,
                    on_disk: d.stored(),
                    bytes_read: d.bytes_read,
                    bytes_written: d.bytes_written + self.links.spilled(),
                }),
                store_error: self.store_error.clone(),
                ..Stats::default()
            },
        }
    }

    /// Bytes held by the long-lived structures (tables, links, initial states).
    fn base_bytes(&self) -> u64 {
        self.seen.bytes()
            + self.level.bytes()
            + self.links.bytes()
            + (self.initial.capacity() * 8) as u64
            + self.rec.as_ref().map_or(0, Recording::bytes)
            + self.disk.as_ref().map_or(0, Disk::bytes)
    }

    fn note_bytes(&mut self, transient: u64) -> u64 {
        let b = self.base_bytes() + transient;
        self.peak_bytes = self.peak_bytes.max(b);
        b
    }

    fn over_memory(&self, bytes: u64) -> bool {
        self.config.memory_limit().is_some_and(|m| bytes > m)
    }

    /// Writes a checkpoint of the search at the start of the level
    /// `frontier` (the last ids), with the figures it had then. A failure
    /// is recorded and the search goes on.
    fn save(
        &mut self,
        cp: &Checkpointing,
        words: usize,
        (frontier, n): (&[Word], usize),
        generated: u64,
        coverage: &[crate::Coverage],
    ) {
        if self.parts_stored {
            self.checkpoint_error = Some(
                "not written at the stop: the disk store had stored part of the level already; the checkpoint of an earlier level stands"
                    .into(),
            );
            return;
        }
        let frontier = match &self.disk {
            Some(d) if d.level_on_disk() => checkpoint::Frontier::OnDisk(n),
            _ => checkpoint::Frontier::Words(frontier),
        };
        let state = checkpoint::State {
            identity: cp.identity,
            words,
            depth: self.depth,
            generated,
            seen: &self.seen,
            disk: self.disk.as_ref(),
            links: &self.links,
            initial: &self.initial,
            frontier,
            coverage,
            graph: self.rec.as_ref(),
            part: None,
        };
        match checkpoint::write(&cp.path, &state) {
            Ok(()) => self.checkpoints += 1,
            Err(e) => {
                self.checkpoint_error = Some(format!(
                    "cannot write the checkpoint {}: {e}",
                    cp.path.display()
                ))
            }
        }
    }

    fn state_limit(&self) -> u64 {
        self.config.max_states.unwrap_or(u64::MAX).min(MAX_IDS)
    }

    /// Moves the growing parts of the search to a disk store in a fresh
    /// directory under `dir` (the parent links now; the fingerprints
    /// when memory is short; the frontier from the next level on).
    fn move_to_disk(&mut self, dir: &Path, automatic: bool) -> Result<(), StoreFailed> {
        let memory = self.config.memory_limit().unwrap_or(u64::MAX);
        let made = Disk::create(dir, memory).and_then(|mut d| {
            let f = d.links_file()?;
            Ok((d, f))
        });
        let (disk, file) = match made {
            Ok(made) => made,
            Err(e) => {
                self.store_error = Some(format!(
                    "cannot create the disk store in {}: {e}",
                    dir.display()
                ));
                return Err(StoreFailed);
            }
        };
        self.disk = Some(disk);
        self.switched_at = automatic.then(|| self.distinct());
        self.links.spill_to(file);
        match self.links.take_error() {
            Some(e) => Err(self.store_failed("write the parent links", e)),
            None => Ok(()),
        }
    }

    /// Whether the search uses the disk store, or may move to it.
    fn may_use_disk(&self) -> bool {
        self.disk.is_some() || (matches!(self.config.store, Store::Auto(_)) && self.rec.is_none())
    }

    /// Moves to the disk store if the search may and is not there yet
    /// (the one place `Store::Auto` switches); whether it is on disk now.
    fn disk_if_allowed(&mut self) -> Result<bool, StoreFailed> {
        if self.disk.is_none() && self.may_use_disk() {
            let config = self.config;
            if let Store::Auto(dir) = &config.store {
                self.move_to_disk(dir, true)?;
            }
        }
        Ok(self.disk.is_some())
    }

    /// Records why the disk store failed; the search stops on it.
    fn store_failed(&mut self, what: &str, e: std::io::Error) -> StoreFailed {
        let dir = self
            .disk
            .as_ref()
            .map_or(String::new(), |d| format!(" in {}", d.path().display()));
        self.store_error = Some(format!("cannot {what}{dir}: {e}"));
        StoreFailed
    }

    /// Writes the in-memory fingerprints out as a run and empties the set.
    fn spill_seen(&mut self) -> Result<(), StoreFailed> {
        let disk = self.disk.as_mut().expect("spilling to a disk store");
        match disk.add_run(self.seen.iter().map(|p| p.0)) {
            Ok(()) => {
                self.seen = Seen::new(false, self.config.threads);
                Ok(())
            }
            Err(e) => Err(self.store_failed("write the stored fingerprints", e)),
        }
    }

    /// Where the memory limit would stop the search: with the disk store
    /// (or [`Store::Auto`], which moves to it here) a part of the level
    /// found so far (`part`) is stored, or the in-memory fingerprints are
    /// written out: first if they hold more than half the limit, so that
    /// parts, which each read every run, stay large.
    fn shed(&mut self, part: bool) -> Shed {
        match self.disk_if_allowed() {
            Ok(true) => {}
            Ok(false) => return Shed::Stop(Limit::Memory),
            Err(StoreFailed) => return Shed::Stop(Limit::Store),
        }
        let half = self.config.memory_limit().unwrap_or(u64::MAX) / 2;
        if self.seen.len() > 0 && (!part || self.seen.bytes() > half) {
            return match self.spill_seen() {
                Ok(()) => Shed::Retry,
                Err(_) => Shed::Stop(Limit::Store),
            };
        }
        if part {
            return Shed::Flush;
        }
        // An empty level table keeps its size from the level's busiest
        // part (or an overflow): start it small again.
        if self.level.is_empty() && self.level.capacity() > MIN_LEVEL_TABLE {
            self.level = KeyedFingerprintTable::with_capacity(MIN_LEVEL_TABLE);
            return Shed::Retry;
        }
        Shed::Stop(Limit::Memory)
    }

    /// The trace to the state `id` (and one step along `then`), its links
    /// read first (from the disk store, a read may fail).
    fn trace<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        id: u32,
        then: Option<u32>,
    ) -> Result<crate::trace::Replayed, StoreFailed> {
        let mut links = std::collections::HashMap::new();
        let mut cur = id;
        loop {
            let l = match self.links.try_get(cur) {
                Ok(l) => l,
                Err(e) => return Err(self.store_failed("read the parent links", e)),
            };
            links.insert(cur, l);
            if l == crate::ROOT_LINK {
                break;
            }
            cur = (l >> 32) as u32;
        }
        Ok(rebuild(
            model,
            scratch,
            &self.initial,
            |i| links[&i],
            id,
            then,
        ))
    }
}

/// One thread's scratch, successor buffers and coverage counters, on
/// cache lines of its own: they are written on every successor, and two
/// workers' sharing a line made each thread's evaluation slower.
type Worker<S> = crossbeam_utils::CachePadded<Mutex<(S, Pending, coverage::Counts)>>;

/// Runs the search. With `record`, also records the state graph (see
/// [`crate::graph`]), returned when the search ends with [`Verdict::Ok`].
/// With `from`, continues the search a checkpoint saved (see
/// [`crate::checkpoint`]; the caller checked that it belongs to this model
/// and these options).
pub(crate) fn run<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
    record: Option<Record>,
    from: Option<Snapshot>,
) -> (Outcome, Option<Recording>) {
    crate::memory::return_large_frees();
    let threads = config.threads.max(1);
    let actions = model.action_count();
    let action_of = coverage::action_table(model);
    let scratches: Vec<Worker<M::Scratch>> = (0..threads)
        .map(|_| {
            crossbeam_utils::CachePadded::new(Mutex::new((
                model.scratch(),
                Pending::default(),
                coverage::Counts::new(actions),
            )))
        })
        .collect();
    if let Some(snap) = &from {
        // The coverage so far goes to one worker; the sum is what counts.
        let mut w = scratches[0].lock().unwrap_or_else(|p| p.into_inner());
        w.2 = coverage::Counts::from_coverage(&snap.coverage);
    }
    // The whole search runs on the worker pool (see [`crate::pool`]), so
    // that its many short parallel steps (each level's chunks, sorts and
    // table clears) start where they are issued instead of being handed
    // from this thread to the pool and back: on narrow levels that handoff
    // cost more than the work.
    let (mut outcome, recording) = crate::pool(threads).install(|| {
        search(
            model, config, progress, start, &scratches, &action_of, record, from,
        )
    });
    let counts: Vec<coverage::Counts> = scratches
        .into_iter()
        .map(|w| {
            w.into_inner()
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .2
        })
        .collect();
    outcome.coverage = coverage::sum(actions, &counts);
    let recording = recording.filter(|_| outcome.result == Verdict::Ok);
    (outcome, recording.map(Recording::finish))
}

#[allow(clippy::too_many_arguments)]
fn search<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
    scratches: &[Worker<M::Scratch>],
    action_of: &[u32],
    record: Option<Record>,
    from: Option<Snapshot>,
) -> (Outcome, Option<Recording>) {
    let mut s = Search {
        config,
        start,
        seen: Seen::new(record.is_some(), config.threads),
        level: KeyedFingerprintTable::with_capacity(MIN_LEVEL_TABLE),
        links: Links::new(model.transition_count()),
        initial: Vec::new(),
        generated: 0,
        depth: 0,
        peak_bytes: 0,
        rec: record.map(|r| Recording::new(model, r)),
        checkpoints: 0,
        checkpoint_error: None,
        disk: None,
        switched_at: None,
        store_error: None,
        parts_stored: false,
    };
    let result = explore(model, progress, scratches, action_of, record, from, &mut s);
    (s.outcome(result), s.rec.take())
}

/// The search proper; its figures are in `s`.
fn explore<M: TransitionSystem>(
    model: &M,
    progress: &Progress,
    scratches: &[Worker<M::Scratch>],
    action_of: &[u32],
    record: Option<Record>,
    from: Option<Snapshot>,
    s: &mut Search,
) -> Verdict {
    let config = s.config;
    let threads = config.threads.max(1);
    let pool = crate::pool(threads);
    let words = model.state_words();
    // New states found per state expanded so far (for sizing batches and
    // the level table from what is reached, not from the transition count).
    let mut expanded_total: u64 = 0;
    let mut new_total: u64 = 0;
    let mut scratch = model.scratch();
    // Invariants and deadlocks are checked unless a recording pass says not.
    let safety = record.is_none_or(|r| r.safety);
    let viewed = model.view_words() > 0;
    let pc = s.rec.as_ref().map(|r| (r.pc, r.epc));

    // The level being expanded: positions `lo..hi` of it are in `frontier`
    // (all of it in memory; with the disk store, what was read since the
    // level's last stored part).
    let (mut frontier, mut frontier_base, mut n): (Vec<Word>, u32, usize) = match from {
        Some(snap) => {
            let links = Links::from_packed(model.transition_count(), &snap.links)
                .expect("a checkpoint that fits has BFS links");
            let initial_count = links.roots();
            let mut stored: Vec<(u64, u32)> = match snap.graph {
                Some(g) if s.rec.is_some() => {
                    let stored = snap
                        .seen
                        .iter()
                        .copied()
                        .zip(g.ids.iter().copied())
                        .collect();
                    s.rec = Some(Recording::restore(model, g, &snap.initial, initial_count));
                    stored
                }
                _ => snap.seen.iter().map(|&fp| (fp, 0)).collect(),
            };
            pool.install(|| {
                stored.par_sort_unstable();
                add_sorted(&mut s.seen, &stored);
            });
            s.links = links;
            s.initial = snap.initial;
            s.generated = snap.generated;
            s.depth = snap.depth;
            let n = snap.frontier.len() / words.max(1);
            ((snap.frontier), (s.links.len() - n) as u32, n)
        }
        None => {
            // Level 0: the initial states, in the order the model emits them.
            let limit = s.state_limit();
            let roots = crate::roots(model, &mut scratch, limit, safety);
            s.generated = roots.generated;
            if let Err(e) = roots.init {
                return Verdict::Violation(Violation::at_init(e));
            }
            let mut stored: Vec<(u64, u32)> = roots.fps.iter().copied().zip(0..).collect();
            stored.sort_unstable();
            add_sorted(&mut s.seen, &stored);
            s.links.push_roots(roots.fps.len());
            s.initial = roots.words;
            if let Some(rec) = &mut s.rec {
                rec.initial(&s.initial, s.links.len());
            }
            s.note_bytes(0);
            let stored = safety
                .then(|| crate::root_violation(model, &mut scratch, &s.initial, s.links.len()))
                .flatten();
            if let Some(v) = stored.or(roots.rejected) {
                return Verdict::Violation(v);
            }
            if roots.cut {
                return Verdict::Incomplete(Limit::States);
            }

            (s.initial.clone(), 0, s.distinct() as usize)
        }
    };
    let (mut lo, mut hi) = (0usize, n);
    if let (Store::Disk(dir), None) = (&config.store, &s.rec) {
        if s.move_to_disk(dir, false).is_err() {
            return Verdict::Incomplete(Limit::Store);
        }
    }
    progress.set(s.distinct(), s.generated, n as u64, s.depth as u64);
    progress.on_disk.store(s.disk.is_some(), Ordering::Relaxed);
    let mut last_write = Instant::now();
    // The coverage at the start of the level (for a checkpoint at a stop).
    let mut level_coverage: Vec<crate::Coverage> = Vec::new();
    loop {
        if n == 0 {
            return Verdict::Ok;
        }
        let level_generated = s.generated;
        s.parts_stored = false;
        if let Some(cp) = &config.checkpoint {
            let guards: Vec<_> = scratches
                .iter()
                .map(|w| w.lock().unwrap_or_else(|p| p.into_inner()))
                .collect();
            level_coverage = coverage::sum(model.action_count(), guards.iter().map(|g| &g.2));
            drop(guards);
            if last_write.elapsed() >= cp.every {
                s.save(cp, words, (&frontier, n), level_generated, &level_coverage);
                last_write = Instant::now();
            }
        }
        if config.max_depth.is_some_and(|md| s.depth >= md) {
            if let Some(cp) = &config.checkpoint {
                s.save(cp, words, (&frontier, n), level_generated, &level_coverage);
            }
            return Verdict::Incomplete(Limit::Depth);
        }

        // Expand the level in batches, and store it in one part (with the
        // disk store: in several, whenever memory is short).
        let mut pos = 0;
        // The next level: its states in memory, or counted (disk store).
        let mut next: Vec<Word> = Vec::new();
        let mut next_n = 0usize;
        let mut stop: Option<Limit> = None;
        loop {
            let mut level_fps: Vec<u64> = Vec::new();
            let mut new_words: Vec<Word> = Vec::new();
            let mut events: Vec<(u64, ViolationKind, bool)> = Vec::new();
            let mut issues: Vec<(u64, ViolationKind)> = Vec::new();
            // Store what this part found and go on with the level.
            let mut flush = false;
            while pos < n {
                let transient =
                    ((frontier.capacity() + new_words.capacity() + level_fps.capacity()) * 8)
                        as u64;
                // Expected new states per frontier state, twice the rate seen so
                // far (4 before anything is known). Not a bound: a chunk that
                // would insert more than its share of the table's room hands
                // the rest back (`ChunkOut::overflow`), inserted after the batch.
                let per_state =
                    (2 * (new_total + 4 * CHUNK as u64)).div_ceil(expanded_total + CHUNK as u64);
                let mut batch = (n - pos).min(MAX_BATCH);
                // The disk store goes on past the limit where the memory
                // store stops, so storing its part is counted here: per new
                // state, its key and index (2 words), and its fingerprint
                // and index for the runs' check (2 words, and a flag). It
                // also reads the batch's own states into the window.
                let read = if s.disk.is_some() { words } else { 0 };
                let storing = if s.may_use_disk() { 5 } else { 0 };
                if let Some(max) = config.memory_limit() {
                    // What one frontier state is expected to add: its new
                    // states' words and fingerprints; a vector that grows may
                    // double. The check after the batch catches a batch that
                    // produced more.
                    let fixed = s.base_bytes() + (frontier.capacity() * 8) as u64;
                    let held = (new_words.len() + level_fps.len() * (1 + storing)) as u64;
                    let budget = (max.saturating_sub(fixed) / 16).saturating_sub(held);
                    // Recording: each edge's row entry (fingerprint, target,
                    // label) too, 20 bytes, counted as 3 words. The disk
                    // store: the state itself, read into the window.
                    let row = if s.rec.is_some() { 3 } else { 0 };
                    let expected = per_state * (words + 1 + row + storing) as u64 + read as u64;
                    batch = batch.min((budget / expected.max(1)) as usize);
                    if batch == 0 {
                        match s.shed(!level_fps.is_empty()) {
                            Shed::Retry => continue,
                            Shed::Flush => flush = true,
                            Shed::Stop(limit) => stop = Some(limit),
                        }
                        break;
                    }
                }
                let chunks = batch.div_ceil(CHUNK);
                let want = (batch as u64 * per_state).min(MAX_IDS) as usize + chunks * 16;
                if s.level.len() + want > max_entries(s.level.capacity()) {
                    let grown =
                        capacity_for(s.level.len() + want, s.level.capacity() * 2) as u64 * 16;
                    if s.over_memory(s.base_bytes() - s.level.bytes() + grown + transient) {
                        match s.shed(!level_fps.is_empty()) {
                            Shed::Retry => continue,
                            Shed::Flush => flush = true,
                            Shed::Stop(limit) => stop = Some(limit),
                        }
                        break;
                    }
                    s.level.reserve(want);
                }
                let end = pos + batch;
                if hi < end {
                    // The disk store: the batch's states, read in order.
                    let disk = s.disk.as_mut().expect("a level not in memory is on disk");
                    if let Err(e) = disk.read_frontier(end - hi, words, &mut frontier) {
                        s.store_failed("read the frontier", e);
                        return Verdict::Incomplete(Limit::Store);
                    }
                    hi = end;
                }
                // Each chunk may insert this many new states: together they
                // never fill the table past its load limit.
                let room = max_entries(s.level.capacity()) - s.level.len();
                let quota = room / chunks;
                let outs: Vec<ChunkOut> = pool.install(|| {
                    (pos..end)
                        .step_by(CHUNK)
                        .collect::<Vec<_>>()
                        .into_par_iter()
                        .map(|c| {
                            let idx = rayon::current_thread_index().unwrap_or(0) % scratches.len();
                            let mut guard =
                                scratches[idx].lock().unwrap_or_else(|p| p.into_inner());
                            let (scratch, pending, counts) = &mut *guard;
                            expand_chunk(
                                model,
                                config,
                                safety,
                                pc,
                                scratch,
                                pending,
                                counts,
                                action_of,
                                &s.seen,
                                &s.level,
                                (Front::local(&frontier, lo), &mut []),
                                words,
                                c - lo,
                                (c + CHUNK).min(end) - lo,
                                quota,
                            )
                        })
                        .collect()
                });
                let mut fresh = 0;
                let mut row = frontier_base + pos as u32;
                let mut overflow = Pending::default();
                pool.install(|| {
                    par_append(&mut level_fps, outs.iter().map(|o| &o.fps[..]));
                    par_append(&mut new_words, outs.iter().map(|o| &o.words[..]));
                });
                for out in outs {
                    if let Some(rec) = &mut s.rec {
                        rec.add_rows(&out.rows, row);
                        row += (out.rows_len()) as u32;
                    }
                    s.generated += out.generated;
                    fresh += out.fps.len();
                    events.extend(out.events);
                    issues.extend(out.issues);
                    overflow.append(&out.overflow, words);
                }
                s.level.add_len(fresh);
                // The successors the chunks' quotas left over: the table grows
                // to hold them all, then they are offered like the others (the
                // minimum key wins whatever the order, so the result is that of
                // a table large enough from the start).
                if !overflow.is_empty() {
                    let want = overflow.len();
                    if s.level.len() + want > max_entries(s.level.capacity()) {
                        let grown =
                            capacity_for(s.level.len() + want, s.level.capacity() * 2) as u64 * 16;
                        let over = |s: &Search| {
                            s.over_memory(s.base_bytes() - s.level.bytes() + grown + transient)
                        };
                        if over(s) && s.disk_if_allowed().is_err() {
                            return Verdict::Incomplete(Limit::Store);
                        }
                        if over(s)
                            && s.disk.is_some()
                            && s.seen.len() > 0
                            && s.spill_seen().is_err()
                        {
                            return Verdict::Incomplete(Limit::Store);
                        }
                        // The disk store cannot store a part here (these
                        // successors' keys are among the batch's): it goes
                        // past the limit by the overflow rather than stop.
                        if over(s) && s.disk.is_none() {
                            stop = Some(Limit::Memory);
                            break;
                        }
                        s.level.reserve(want);
                    }
                    fresh += offer_all(
                        model,
                        &mut scratch,
                        (&s.seen, &mut s.level),
                        &mut overflow,
                        Front::local(&frontier, lo),
                        (&mut level_fps, &mut new_words),
                        (safety && !viewed).then_some(&mut issues),
                    );
                }
                expanded_total += (end - pos) as u64;
                new_total += fresh as u64;
                pos = end;
                let transient =
                    ((frontier.capacity() + new_words.capacity() + level_fps.capacity()) * 8)
                        as u64;
                let bytes = s.note_bytes(transient);
                progress.on_disk.store(s.disk.is_some(), Ordering::Relaxed);
                progress.set(
                    s.distinct() + s.level.len() as u64,
                    s.generated,
                    (n - pos) as u64 + s.level.len() as u64,
                    s.depth as u64,
                );
                if !events.is_empty() || !issues.is_empty() {
                    break;
                }
                if s.distinct() + s.level.len() as u64 > s.state_limit() {
                    // With fingerprints on disk some of the level table's
                    // states may be old ones: store the part to know.
                    match s.disk.as_ref().is_some_and(Disk::has_runs) {
                        true => flush = true,
                        false => stop = Some(Limit::States),
                    }
                    break;
                }
                if s.over_memory(bytes + (level_fps.len() * storing * 8) as u64) {
                    match s.shed(true) {
                        Shed::Retry => continue,
                        Shed::Flush => flush = true,
                        Shed::Stop(limit) => stop = Some(limit),
                    }
                    break;
                }
                if let Some(limit) = crate::stop_reason(config, s.start) {
                    stop = Some(limit);
                    break;
                }
            }

            if viewed {
                issues.extend(settle_views(
                    model,
                    &pool,
                    &s.level,
                    (&frontier, lo),
                    &level_fps,
                    &mut new_words,
                    safety,
                ));
            }

            // With fingerprints on disk, the candidates a run holds are old
            // states: not stored, and not violations either (with a view,
            // `settle_views` checked a state that may differ from the one
            // stored under its fingerprint).
            let old = match old_candidates(&pool, s, &level_fps) {
                Ok(old) => old,
                Err(StoreFailed) => return Verdict::Incomplete(Limit::Store),
            };
            if let (Some(old), false) = (&old, issues.is_empty()) {
                let flagged: std::collections::HashSet<u64> =
                    issues.iter().map(|&(fp, _)| fp).collect();
                let stale: std::collections::HashSet<u64> = level_fps
                    .iter()
                    .zip(old)
                    .filter(|&(fp, &o)| o && flagged.contains(fp))
                    .map(|(&fp, _)| fp)
                    .collect();
                issues.retain(|(fp, _)| !stale.contains(fp));
            }

            // The smallest-key violation, if any (keys are final here).
            let mut found: Option<(u64, ViolationKind, At)> = None;
            for (k, kind, successor) in events {
                if smaller(&found, k) {
                    let p = (k >> 32) as usize;
                    let at = match successor {
                        true => At::Successor(p, k as u32),
                        false => At::Frontier(p),
                    };
                    found = Some((k, kind, at));
                }
            }
            for (fp, kind) in issues {
                let k = s
                    .level
                    .key(s.level.find(fp).expect("new state in the level table"));
                if smaller(&found, k) {
                    found = Some((k, kind, At::Successor((k >> 32) as usize, k as u32)));
                }
            }

            // A stop (a limit or Ctrl-C) without a violation: save the search
            // as it was at the start of this level, before storing any of it.
            if let (Some(cp), Some(_), None) = (&config.checkpoint, stop, &found) {
                s.save(cp, words, (&frontier, n), level_generated, &level_coverage);
            }

            // The states expanded so far are not needed any more (traces
            // follow the links): the window keeps those after `pos`, and
            // goes at the level's end, before the next level is built.
            let go_on = flush && stop.is_none() && found.is_none() && pos < n;
            if go_on {
                frontier.drain(..(pos - lo) * words);
                frontier.shrink_to_fit();
                lo = pos;
            } else {
                drop(std::mem::take(&mut frontier));
            }
            let kept = match store_part(
                model,
                &pool,
                s,
                Part {
                    fps: level_fps,
                    words: new_words,
                    old,
                    first_parent: frontier_base,
                },
                &mut next,
                found.is_some(),
                &mut stop,
            ) {
                Ok(Some(kept)) => kept,
                Ok(None) => return Verdict::Incomplete(stop.unwrap_or(Limit::Memory)),
                Err(StoreFailed) => return Verdict::Incomplete(Limit::Store),
            };
            next_n += kept;
            s.parts_stored |= go_on;

            if let Some((_, kind, at)) = found {
                let (pos, then) = match at {
                    At::Frontier(p) => (p, None),
                    At::Successor(p, t) => (p, Some(t)),
                };
                let Ok(r) = s.trace(model, &mut scratch, frontier_base + pos as u32, then) else {
                    return Verdict::Incomplete(Limit::Store);
                };
                if next_n > 0 {
                    s.depth += 1;
                }
                return Verdict::Violation(Violation::path(kind, r));
            }
            if !go_on || stop.is_some() {
                break;
            }
        }
        if let Some(rec) = &mut s.rec {
            rec.resolve(&s.seen, &pool);
            rec.level(&next);
        }
        frontier_base += n as u32;
        n = next_n;
        if let Some(disk) = &mut s.disk {
            if let Err(e) = disk.advance() {
                s.store_failed("write the next level", e);
                return Verdict::Incomplete(Limit::Store);
            }
            // Read back a batch at a time (`next` stayed empty).
            frontier = Vec::new();
            (lo, hi) = (0, 0);
        } else {
            frontier = next;
            (lo, hi) = (0, n);
        }
        if n > 0 {
            s.depth += 1;
        }
        progress.set(s.distinct(), s.generated, n as u64, s.depth as u64);
        if let Some(limit) = stop {
            return Verdict::Incomplete(limit);
        }
    }
}

/// Offers every successor in `overflow` to the tables with no quota (the
/// level table has room for all of them), appending the new states to
/// `found` (fingerprints, words) and, given `issues`, checking their
/// invariants (against their parent where `front` holds it). Returns how
/// many were new.
fn offer_all<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    (seen, level): (&Seen, &mut KeyedFingerprintTable),
    overflow: &mut Pending,
    front: Front,
    (level_fps, new_words): (&mut Vec<u64>, &mut Vec<Word>),
    issues: Option<&mut Vec<(u64, ViolationKind)>>,
) -> usize {
    let words = model.state_words();
    let before = level_fps.len();
    let mut parents = Vec::new();
    let mut unlimited = usize::MAX;
    overflow.flush(
        seen,
        level,
        &mut Found {
            words,
            fps: level_fps,
            new_words,
            parents: &mut parents,
            quota: &mut unlimited,
            overflow: &mut Pending::default(),
        },
    );
    level.add_len(level_fps.len() - before);
    if let Some(issues) = issues {
        for (i, &p) in parents.iter().enumerate() {
            let at = before + i;
            let st = &new_words[at * words..(at + 1) * words];
            let parent = front.at(p as usize, words);
            if let Some(kind) = invariant_issue(model, scratch, parent, st) {
                issues.push((level_fps[at], kind));
            }
        }
    }
    level_fps.len() - before
}

/// What the batches of a level (or of a part of one) found: the new
/// states' fingerprints and words, in the order they were inserted into
/// the level table.
struct Part {
    fps: Vec<u64>,
    words: Vec<Word>,
    /// With fingerprints on disk: which of them a run holds
    /// ([`old_candidates`]).
    old: Option<Vec<bool>>,
    /// The id of the level's first state (a key's position is relative to
    /// it).
    first_parent: u32,
}

/// The disk store failed: [`Search::store_error`] says why, and the
/// search stops ([`Limit::Store`]).
struct StoreFailed;

/// Which of a part's candidates (`fps`) a run of the disk store holds:
/// old states, found again. `None` without runs.
fn old_candidates(
    pool: &rayon::ThreadPool,
    s: &mut Search,
    fps: &[u64],
) -> Result<Option<Vec<bool>>, StoreFailed> {
    let Some(disk) = s.disk.as_mut().filter(|d| d.has_runs()) else {
        return Ok(None);
    };
    let mut candidates: Vec<(u64, u32)> = fps.iter().copied().zip(0..).collect();
    pool.install(|| candidates.par_sort_unstable());
    let mut old = vec![false; fps.len()];
    match disk.mark_old(&candidates, &mut old) {
        Ok(()) => Ok(Some(old)),
        Err(e) => Err(s.store_failed("read the stored fingerprints", e)),
    }
}

/// What to do where the memory limit would stop the search.
enum Shed {
    /// Memory was freed (fingerprints written out): size the batch again.
    Retry,
    /// Store the level's part so far, then go on with the level.
    Flush,
    /// Stop: nothing can be freed, or the disk store failed.
    Stop(Limit),
}

/// Stores a part of a level (see [`crate::disk`]; in memory, a level is
/// one part): its new states sorted by key, without those a run of the
/// disk store holds, as many as the state limit allows: their links, their
/// words onto the next level (`next`, or the disk store's file), their
/// fingerprints into `seen`. Empties the level table. Returns the states
/// stored, or `None` if storing would pass the memory limit and the store
/// cannot go to disk (nothing is stored then), unless `violation`: a level
/// with a violation is stored whatever it costs, for its trace.
fn store_part<M: TransitionSystem>(
    model: &M,
    pool: &rayon::ThreadPool,
    s: &mut Search,
    part: Part,
    next: &mut Vec<Word>,
    violation: bool,
    stop: &mut Option<Limit>,
) -> Result<Option<usize>, StoreFailed> {
    let words = model.state_words();
    let Part {
        fps: level_fps,
        words: new_words,
        old,
        first_parent,
    } = part;
    if !violation && matches!(stop, Some(Limit::Memory | Limit::Store)) {
        // Stopped before a batch: store nothing more.
        return Ok(None);
    }
    // Sort the new states by key. The table does not grow any more this
    // part: slots are stable now. This runs on the pool too: its loops
    // touch every new state once, each a cache miss in the level table.
    // The table is emptied once every new state's key has been read.
    let fresh = level_fps.len();
    let mut order: Vec<(u64, u32)> = vec![(0, 0); fresh];
    {
        let level = &s.level;
        let level_fps = &level_fps;
        pool.install(|| {
            order
                .par_chunks_mut(END_CHUNK)
                .enumerate()
                .for_each(|(ci, or)| {
                    let base = ci * END_CHUNK;
                    for (j, o) in or.iter_mut().enumerate() {
                        let i = base + j;
                        if let Some(&ahead) = level_fps.get(i + LOOKAHEAD) {
                            level.prefetch(ahead);
                        }
                        let slot = level
                            .find(level_fps[i])
                            .expect("new state in the level table");
                        *o = (level.key(slot), i as u32);
                    }
                });
            order.par_sort_unstable();
        });
    }
    // Once levels narrow, a table sized for the widest one is replaced by
    // one for this level's size (it grows again if the next needs it):
    // kept, it would hold its peak size to the end of the search, when the
    // stored states are most (raft: 8 MB; RSS 104.7 -> 97.2 MB at the level
    // where it was replaced, though the peak, a few levels earlier, stays).
    let fits = capacity_for(2 * s.level.len(), MIN_LEVEL_TABLE);
    if s.level.capacity() > 4 * fits {
        s.level = KeyedFingerprintTable::with_capacity(fits);
    } else {
        pool.install(|| s.level.clear());
    }
    if let Some(old) = &old {
        order.retain(|&(_, i)| !old[i as usize]);
    }
    drop(old);
    // (A resume may bring a lower limit than the states stored.)
    let keep = (order.len() as u64).min(s.state_limit().saturating_sub(s.distinct())) as usize;
    if keep < order.len() {
        stop.get_or_insert(Limit::States);
    }
    // What storing them would hold at the peak: the grown set and links,
    // and the part's data with the new frontier beside it (the disk store
    // writes the frontier out as it goes).
    let projected = |s: &Search| {
        // The disk store writes the next level out as it goes, after the
        // runs' check (which holds 17 bytes a candidate) is done.
        let (next_bytes, check) = match &s.disk {
            Some(d) => (0, if d.has_runs() { fresh * 17 } else { 0 }),
            None => (keep * words * 8, 0),
        };
        let transient = ((new_words.capacity() + level_fps.capacity()) * 8
            + next_bytes.max(check)
            + order.capacity() * 16) as u64;
        let projected = s.base_bytes() - s.seen.bytes() - s.links.bytes()
            + s.seen.bytes_after(keep)
            + s.links.bytes_after(keep)
            + transient;
        (projected, transient)
    };
    // The part's fingerprints go to a run of their own (disk store, when
    // even an empty in-memory set would not hold them).
    let mut direct = false;
    if !violation && s.over_memory(projected(s).0) {
        if !s.disk_if_allowed()? {
            return Ok(None);
        }
        if s.over_memory(projected(s).0) && s.seen.len() > 0 {
            s.spill_seen()?;
        }
        direct = s.over_memory(projected(s).0);
    }
    let transient = projected(s).1;
    let kept = &order[..keep];
    if s.disk.is_none() {
        s.links.reserve(keep);
    }
    for &(k, _) in kept {
        // Sequential (a varint stream), about a nanosecond a state.
        s.links.push(first_parent + (k >> 32) as u32, k as u32);
    }
    if let Some(e) = s.links.take_error() {
        return Err(s.store_failed("write the parent links", e));
    }
    if let Some(disk) = &mut s.disk {
        let mut buf: Vec<Word> = Vec::with_capacity(END_CHUNK * words);
        for ord in kept.chunks(END_CHUNK) {
            buf.clear();
            for &(_, i) in ord {
                let i = i as usize;
                buf.extend_from_slice(&new_words[i * words..(i + 1) * words]);
            }
            if let Err(e) = disk.write_next(&buf) {
                return Err(s.store_failed("write the next level", e));
            }
        }
    } else {
        // In memory a level is one part, stored once.
        debug_assert!(next.is_empty());
        *next = vec![0; keep * words];
        if words > 0 {
            let new_words = &new_words;
            pool.install(|| {
                next.par_chunks_mut(END_CHUNK * words)
                    .zip(kept.par_chunks(END_CHUNK))
                    .for_each(|(dst, ord)| {
                        for (j, &(_, i)) in ord.iter().enumerate() {
                            let i = i as usize;
                            dst[j * words..(j + 1) * words]
                                .copy_from_slice(&new_words[i * words..(i + 1) * words]);
                        }
                    })
            });
        }
    }
    s.note_bytes(transient);
    drop(new_words);
    // Into `seen`, sorted by fingerprint, with their ids when recording
    // (`order` is in id order).
    let first = s.distinct() as u32 - keep as u32;
    if s.rec.is_some() {
        // In `order`'s place (it was 16 bytes a new state more at the end
        // of a level, the BFS's peak): (fingerprint, id) of each kept state.
        let mut stored = order;
        stored.truncate(keep);
        pool.install(|| {
            stored
                .par_iter_mut()
                .enumerate()
                .for_each(|(j, o)| *o = (level_fps[o.1 as usize], first + j as u32));
            stored.par_sort_unstable();
            add_sorted(&mut s.seen, &stored);
        });
    } else {
        let mut fps = if keep == fresh {
            level_fps
        } else {
            order[..keep]
                .iter()
                .map(|&(_, i)| level_fps[i as usize])
                .collect()
        };
        drop(order);
        pool.install(|| fps.par_sort_unstable());
        match (direct, &mut s.disk) {
            (true, Some(disk)) => {
                if let Err(e) = disk.add_run(fps.iter().copied()) {
                    return Err(s.store_failed("write the stored fingerprints", e));
                }
            }
            _ => pool.install(|| s.seen.add_sorted(&fps, &[])),
        }
    }
    Ok(Some(keep))
}

/// With a view, several states may share a fingerprint, and the one a
/// chunk stored is whichever thread offered it first. The state kept is
/// the one with the minimum key, the first a sequential BFS meets: each new
/// state is computed again from its key into `new_words`, then checked
/// against the invariants (the chunks leave that to here). Returns the
/// violations, by fingerprint.
fn settle_views<M: TransitionSystem>(
    model: &M,
    pool: &rayon::ThreadPool,
    level: &KeyedFingerprintTable,
    (frontier, lo): (&[Word], usize),
    level_fps: &[u64],
    new_words: &mut [Word],
    safety: bool,
) -> Vec<(u64, ViolationKind)> {
    let words = model.state_words();
    if words == 0 {
        return Vec::new();
    }
    pool.install(|| {
        new_words
            .par_chunks_mut(END_CHUNK * words)
            .enumerate()
            .flat_map_iter(|(ci, dst)| {
                let mut scratch = model.scratch();
                let mut next = vec![0; words];
                let mut issues = Vec::new();
                for (j, st) in dst.chunks_mut(words).enumerate() {
                    let fp = level_fps[ci * END_CHUNK + j];
                    let k = level.key(level.find(fp).expect("new state in the level table"));
                    let p = (k >> 32) as usize - lo;
                    let parent = &frontier[p * words..(p + 1) * words];
                    // The model is deterministic: the step it took once
                    // replays; if not, the trace rebuild will say so.
                    if let Ok(true) = model.step(&mut scratch, parent, k as u32, &mut next) {
                        st.copy_from_slice(&next);
                    }
                    if !safety {
                        continue;
                    }
                    if let Some(kind) = invariant_issue(model, &mut scratch, Some(parent), st) {
                        issues.push((fp, kind));
                    }
                }
                issues
            })
            .collect()
    })
}

fn smaller<T>(found: &Option<(u64, T, At)>, k: u64) -> bool {
    match found {
        None => true,
        Some(f) => k < f.0,
    }
}

/// Successors of one worker waiting to be probed, in two groups: the one
/// being filled and the one before it, looked up in the level table
/// already and waiting for `seen` (see [`Pending::advance`]). Reused
/// across chunks, so the hot loop does not allocate once the vectors have
/// grown to their working size.
#[derive(Default)]
struct Pending {
    filling: Stage,
    waiting: Stage,
}

/// One group of successors: keys, fingerprints and words (flat), in
/// emission order.
#[derive(Default)]
struct Stage {
    keys: Vec<u64>,
    fps: Vec<u64>,
    words: Vec<Word>,
    /// The successors not in the level table (set by `probe_level`).
    misses: Vec<u32>,
}

impl Pending {
    /// The successors in the group being filled.
    fn len(&self) -> usize {
        self.filling.fps.len()
    }

    fn is_empty(&self) -> bool {
        self.filling.fps.is_empty() && self.waiting.fps.is_empty()
    }

    /// Buffers a successor and starts fetching the table slots its probe
    /// will read. Always inlined: out of line (a larger `Seen::prefetch`
    /// tipped the inliner), it was a call a successor.
    #[inline(always)]
    fn push(
        &mut self,
        seen: &Seen,
        level: &KeyedFingerprintTable,
        key: u64,
        fp: u64,
        next: &[Word],
    ) {
        seen.prefetch(fp);
        level.prefetch(fp);
        let f = &mut self.filling;
        f.keys.push(key);
        f.fps.push(fp);
        f.words.extend_from_slice(next);
    }

    /// Appends `other`'s successors (a buffer only pushed to).
    fn append(&mut self, other: &Pending, words: usize) {
        let (f, o) = (&mut self.filling, &other.filling);
        debug_assert_eq!(o.words.len(), o.fps.len() * words);
        f.keys.extend_from_slice(&o.keys);
        f.fps.extend_from_slice(&o.fps);
        f.words.extend_from_slice(&o.words);
    }

    /// Ends a group: looks the group being filled up in the level table,
    /// which starts fetching the `seen` entries of those not there, then
    /// finishes the group before it, whose entries have had the time of a
    /// whole group's evaluation to arrive, and makes the new group the
    /// waiting one.
    ///
    /// Why two steps a group apart (the measured hot path): a lookup in
    /// `seen` is two dependent reads, a bucket start (fetched at `push`)
    /// and then the entries it points to, nearly always a cache miss in a
    /// set far larger than the caches; fetched just before use, the CPU
    /// waited for it. The level table comes first because a successor
    /// already there (in most protocols the common case: a state reached
    /// again in the next level) is settled by that one probe. A state in
    /// the level table is never in `seen`, and every key ends at the
    /// minimum whatever the order of the offers, so the result is that of
    /// probing each successor in both tables at once.
    #[inline]
    fn advance(&mut self, seen: &Seen, level: &KeyedFingerprintTable, to: &mut Found) {
        self.filling.probe_level(seen, level);
        self.waiting.probe_seen(seen, level, to);
        std::mem::swap(&mut self.filling, &mut self.waiting);
    }

    /// Probes everything buffered (both groups).
    fn flush(&mut self, seen: &Seen, level: &KeyedFingerprintTable, to: &mut Found) {
        for _ in 0..2 {
            self.advance(seen, level, to);
        }
    }
}

/// Where a probe puts the new states it finds: their fingerprints, words
/// and parents' frontier positions, beside each other. Once `quota` of
/// them are inserted, the successors not in `seen` go to `overflow`
/// unprobed (see `explore`).
struct Found<'a> {
    /// Words a state.
    words: usize,
    fps: &'a mut Vec<u64>,
    new_words: &'a mut Vec<Word>,
    parents: &'a mut Vec<u32>,
    quota: &'a mut usize,
    overflow: &'a mut Pending,
}

impl Stage {
    /// Lowers the key of every successor already in the level table and
    /// lists the others in `misses`, fetching their `seen` entries.
    #[inline]
    fn probe_level(&mut self, seen: &Seen, level: &KeyedFingerprintTable) {
        self.misses.clear();
        for (i, (&fp, &k)) in self.fps.iter().zip(&self.keys).enumerate() {
            if !level.lower_if_present(fp, k) {
                seen.prefetch_entries(fp);
                self.misses.push(i as u32);
            }
        }
    }

    /// Finishes the group: a miss not in `seen` either is new, and the
    /// first thread to insert it into the level table records it in `to`.
    /// Empties the group.
    #[inline]
    fn probe_seen(&mut self, seen: &Seen, level: &KeyedFingerprintTable, to: &mut Found) {
        let words = to.words;
        for &i in &self.misses {
            let i = i as usize;
            let (fp, k) = (self.fps[i], self.keys[i]);
            if seen.contains(fp) {
                continue;
            }
            let st = &self.words[i * words..(i + 1) * words];
            if *to.quota == 0 {
                let o = &mut to.overflow.filling;
                o.keys.push(k);
                o.fps.push(fp);
                o.words.extend_from_slice(st);
                continue;
            }
            if level.insert_min(fp, k).new {
                *to.quota -= 1;
                to.fps.push(fp);
                to.parents.push((k >> 32) as u32);
                to.new_words.extend_from_slice(st);
            }
        }
        self.keys.clear();
        self.fps.clear();
        self.words.clear();
        self.misses.clear();
    }
}

/// One frontier state's successors, when the model has constraints or a
/// view: they are admitted (see [`crate::admit`]) once the model's call
/// has returned, with its scratch.
#[derive(Default)]
struct Raw {
    ts: Vec<u32>,
    ws: Vec<Word>,
    view: Vec<Word>,
}

/// Expands the frontier states at positions `from..to`.
///
/// This is the measured hot path of the explorer (one fingerprint and one or
/// two lookups in tables far larger than the caches per generated
/// successor), hence the hand-built batching of `Pending` (see the module
/// documentation): the cache misses overlap with the model's evaluation of
/// the next successors and with each other instead of stalling one by one.
/// Offering every successor with its own key gives the same level table
/// (and so the same results) as probing at once.
#[allow(clippy::too_many_arguments)]
fn expand_chunk<M: TransitionSystem>(
    model: &M,
    config: &Config,
    safety: bool,
    pc: Option<(usize, usize)>,
    scratch: &mut M::Scratch,
    pending: &mut Pending,
    counts: &mut coverage::Counts,
    action_of: &[u32],
    seen: &Seen,
    level: &KeyedFingerprintTable,
    (front, remote): (Front, &mut [Vec<u64>]),
    words: usize,
    from: usize,
    to: usize,
    mut quota: usize,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    debug_assert!(pending.is_empty());
    let viewed = model.view_words() > 0;
    // Successors waiting for their constraints and view (see `admit`).
    // Steps checked against the action properties (safety runs only).
    let stepped = safety && model.has_step_checks();
    // Step predicates of the recorded edges need the scratch too.
    let epc = pc.map_or(0, |(_, epc)| epc);
    let mut raw = (viewed || model.has_constraints() || stepped || epc > 0).then(|| Raw {
        view: vec![0; model.view_words()],
        ..Raw::default()
    });
    // New states before this index in `out.fps` have had their invariants checked.
    let mut checked = 0;
    let mut group_states = 0;
    for i in from..to {
        let p = front.pos(i);
        let state = &front.words[i * words..(i + 1) * words];
        let mut emitted = 0u64;
        let fps = &mut out.fps;
        let new_words = &mut out.words;
        let parents = &mut out.parents;
        let overflow = &mut out.overflow;
        let rows = &mut out.rows;
        if let Some(pc) = pc {
            rows.begin(model, scratch, state, pc);
        }
        let recording = pc.is_some();
        let mut counter = counts.state(action_of);
        let r = model.successors(scratch, state, |t, next| {
            emitted += 1;
            counter.successor(t);
            if let Some(raw) = &mut raw {
                // Constraints and views need the scratch the model is
                // using: admitted after the call.
                raw.ts.push(t);
                raw.ws.extend_from_slice(next);
                return;
            }
            // A successor equal to its parent is never new (the parent was
            // seen): counted, but neither hashed nor probed. In TwoPhase a
            // third of all successors are such stuttering steps.
            if same_words(next, state) {
                if recording {
                    rows.edge(t, 0);
                }
                return;
            }
            let fp = fingerprint(next);
            if recording {
                rows.edge(t, fp);
            }
            if front.routed_away(remote, key(p, t), fp, next) {
                return;
            }
            pending.push(seen, level, key(p, t), fp, next);
            if pending.len() >= MAX_PENDING {
                let mut sink = Found {
                    words,
                    fps: &mut *fps,
                    new_words: &mut *new_words,
                    parents: &mut *parents,
                    quota: &mut quota,
                    overflow: &mut *overflow,
                };
                pending.advance(seen, level, &mut sink);
            }
        });
        out.generated += emitted;
        if let Some(raw) = &mut raw {
            for (i, &t) in raw.ts.iter().enumerate() {
                let next = &raw.ws[i * words..(i + 1) * words];
                if same_words(next, state) {
                    if recording {
                        out.rows.edge(t, 0);
                    }
                    continue;
                }
                if let Some(kind) = stepped
                    .then(|| crate::step_issue(model, scratch, state, next))
                    .flatten()
                {
                    out.events.push((key(p, t), kind, true));
                    continue;
                }
                let fp = match crate::admit(model, scratch, next, &mut raw.view) {
                    Ok(Some(fp)) => fp,
                    Ok(None) => {
                        // Outside the constraints: checked, as TLC does.
                        let issue = safety
                            .then(|| invariant_issue(model, scratch, Some(state), next))
                            .flatten();
                        if let Some(kind) = issue {
                            out.events.push((key(p, t), kind, true));
                        }
                        continue;
                    }
                    Err(e) => {
                        out.events.push((key(p, t), crate::state_error(e), true));
                        continue;
                    }
                };
                if recording {
                    out.rows.edge(t, fp);
                    if epc > 0 {
                        out.rows.edge_bits(model, scratch, (state, next), t, epc);
                    }
                }
                if front.routed_away(remote, key(p, t), fp, next) {
                    continue;
                }
                pending.push(seen, level, key(p, t), fp, next);
                if pending.len() >= MAX_PENDING {
                    pending.advance(seen, level, &mut out.sink(words, &mut quota));
                }
            }
            raw.ts.clear();
            raw.ws.clear();
        }
        if recording {
            out.rows.end();
        }
        match r {
            Err(e) => {
                let k = key(p, e.transition.unwrap_or(u32::MAX));
                out.events.push((k, ViolationKind::EvalError(e), false));
            }
            Ok(()) if emitted == 0 && config.check_deadlock && safety => {
                if let Some(kind) = crate::deadlock_issue(model, scratch, state) {
                    out.events.push((key(p, u32::MAX), kind, false));
                }
            }
            Ok(()) => {}
        }
        group_states += 1;
        if pending.len() < GROUP_SUCCESSORS && group_states < GROUP_STATES && i + 1 < to {
            continue;
        }
        group_states = 0;
        let finish = if i + 1 < to {
            Pending::advance
        } else {
            Pending::flush
        };
        finish(pending, seen, level, &mut out.sink(words, &mut quota));
        for i in checked..out.fps.len() {
            // With a view, the state kept for a fingerprint is known only
            // at the end of the level, where it is checked.
            if !safety || viewed {
                break;
            }
            let st = &out.words[i * words..(i + 1) * words];
            let parent = front.at(out.parents[i] as usize, words);
            // The parent violates no invariant: the search stops at the
            // end of a level with a violation, before expanding it.
            let Some(kind) = invariant_issue(model, scratch, parent, st) else {
                continue;
            };
            out.issues.push((out.fps[i], kind));
        }
        checked = out.fps.len();
    }
    out
}

/// Adds (fingerprint, id) pairs sorted by fingerprint to `seen` (the ids
/// only if it keeps them).
fn add_sorted(seen: &mut Seen, stored: &[(u64, u32)]) {
    let fps: Vec<u64> = stored.iter().map(|p| p.0).collect();
    let ids: Vec<u32> = if seen.keeps_ids() {
        stored.iter().map(|p| p.1).collect()
    } else {
        Vec::new()
    };
    seen.add_sorted(&fps, &ids);
}

/// Appends `parts` to `dst`, in order, each copied by a task of the
/// current pool.
///
/// Measured: the batch's chunk outputs were appended on one thread, which
/// also took the page faults of the level's growing arrays; on 2pc N=9 at
/// 2 threads that thread did 0.37 s more than the other (of a 4.6 s run).
fn par_append<'a, T: Copy + Send + Sync + 'a>(
    dst: &mut Vec<T>,
    parts: impl Iterator<Item = &'a [T]> + Clone,
) {
    let total: usize = parts.clone().map(<[T]>::len).sum();
    dst.reserve(total);
    let mut room = &mut dst.spare_capacity_mut()[..total];
    let mut pairs = Vec::new();
    for part in parts {
        let (here, rest) = std::mem::take(&mut room).split_at_mut(part.len());
        pairs.push((here, part));
        room = rest;
    }
    pairs.into_par_iter().for_each(|(here, part)| {
        for (d, &v) in here.iter_mut().zip(part) {
            d.write(v);
        }
    });
    let len = dst.len() + total;
    // SAFETY: the `total` elements after the old length were each written
    // above (the parts' lengths sum to `total`), and `reserve` made room.
    unsafe { dst.set_len(len) };
}

/// `a == b` for states of the same length, without the call to `memcmp`
/// that slice equality makes: states are a few words, and that call cost
/// TwoPhase N=9 about 10% of its time (perf, 1 thread).
#[inline(always)]
fn same_words(a: &[Word], b: &[Word]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let mut diff = 0;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0
}
