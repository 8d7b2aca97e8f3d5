//! Depth-first search with explicit stacks (no recursion): one loop,
//! [`worker`], for every thread count.
//!
//! Every worker owns a stack; a worker with work moves the bottom half of
//! its stack to a shared pool when some worker is idle. All workers insert
//! into one [`FingerprintTable`] behind an `RwLock`: they hold the read side
//! while expanding a section of states, and the table is grown under the
//! write side, before the successors a worker holds could push it past the
//! load limit (room is claimed for them first, so memory follows what the
//! search reaches, never the transition count). Each state is expanded
//! exactly once, so the distinct and generated counts are exact.
//!
//! With one thread the search is sequential: the stack is expanded so that
//! the smallest transition comes next, new states get ids in transition
//! order and parent links (first discovery), and the search stops at the
//! first violation in that order, whose trace follows the links. With more
//! threads no links are kept: if a worker finds a violation, the search is
//! run again with one thread and its result (the canonical, first violation
//! in sequential DFS order, with its trace and statistics) is returned, so
//! the counterexample is the same for every thread count. A model with a
//! view (or a symmetry, which it gives as its view) is searched on one
//! thread: which state stands for a view is the first one found, and only
//! a sequential search fixes that.
//!
//! A worker buffers an expanded state's successors with a prefetch of each
//! fingerprint's home slot, and probes them afterwards in emission order
//! (see `SuccessorBuffer`): the next state to expand depends on the probes,
//! so the batching cannot span states as in the BFS.

use crate::invariant_issue;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard};
use std::time::Instant;

use dcheck_model::system::{StepError, TransitionId, TransitionSystem, Word};

use crate::coverage;
use crate::fingerprint::fingerprint;
use crate::fingerprint_table::{capacity_for, max_entries, FingerprintTable};
use crate::trace::rebuild;
use crate::{
    collision_probability, pack_link, Config, Limit, Outcome, Progress, Stats, Verdict, Violation,
    ViolationKind, MAX_IDS, ROOT_LINK,
};

/// States expanded between two progress updates / table-growth checks.
const SECTION: usize = 256;

fn stats(distinct: u64, generated: u64, depth: u32, start: Instant, bytes: u64) -> Stats {
    Stats {
        distinct_states: distinct,
        states_generated: generated,
        depth,
        elapsed: start.elapsed(),
        bytes_used: bytes,
        fingerprint_collision_probability: collision_probability(distinct, generated),
        ..Stats::default()
    }
}

/// One state's successors, buffered so their fingerprint-table slots can be
/// prefetched while the model computes the next successors, then probed in
/// emission order.
///
/// This is the measured hot path (one probe of a table far larger than the
/// caches per generated successor): prefetching as soon as a fingerprint is
/// known lets the misses overlap with the model's evaluation; probing in
/// emission order afterwards gives the same result as probing in the
/// callback.
#[derive(Default)]
struct SuccessorBuffer {
    ts: Vec<TransitionId>,
    fps: Vec<u64>,
    /// The successors' words, flat.
    ws: Vec<Word>,
}

impl SuccessorBuffer {
    /// Replaces the buffer with the successors of `state`, calling
    /// `prefetch` on each fingerprint (none when `admitting`: see `admit`).
    /// Returns the model's result and how many successors it emitted.
    fn fill<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        state: &[Word],
        admitting: bool,
        prefetch: impl Fn(u64),
    ) -> (Result<(), StepError>, u64) {
        self.ts.clear();
        self.fps.clear();
        self.ws.clear();
        let (ts, fps, ws) = (&mut self.ts, &mut self.fps, &mut self.ws);
        let r = model.successors(scratch, state, |t, next| {
            // With constraints or a view the fingerprints wait for `admit`.
            if !admitting {
                let fp = fingerprint(next);
                prefetch(fp);
                fps.push(fp);
            }
            ts.push(t);
            ws.extend_from_slice(next);
        });
        (r, self.ts.len() as u64)
    }

    /// For a model with constraints, a view or action properties, after
    /// [`Self::fill`]: checks each step against the action properties,
    /// gives each successor its fingerprint ([`crate::admit`]) and drops,
    /// in order, those outside the constraints. Returns the first violation
    /// a step or one of those shows, with its transition.
    fn admit<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        state: &[Word],
        view: &mut [Word],
        prefetch: impl Fn(u64),
    ) -> Option<(TransitionId, ViolationKind)> {
        let words = model.state_words();
        let mut issue = None;
        let mut kept = 0;
        let stepped = model.has_step_checks();
        for i in 0..self.ts.len() {
            let t = self.ts[i];
            let next = &self.ws[i * words..(i + 1) * words];
            if stepped && issue.is_none() {
                issue = crate::step_issue(model, scratch, state, next).map(|kind| (t, kind));
            }
            let fp = match crate::admit(model, scratch, next, view) {
                Ok(Some(fp)) => fp,
                Ok(None) => {
                    if issue.is_none() {
                        issue = invariant_issue(model, scratch, Some(state), next)
                            .map(|kind| (t, kind));
                    }
                    continue;
                }
                Err(e) => {
                    issue.get_or_insert((t, crate::state_error(e)));
                    continue;
                }
            };
            prefetch(fp);
            self.fps.push(fp);
            self.ts[kept] = t;
            self.ws
                .copy_within(i * words..(i + 1) * words, kept * words);
            kept += 1;
        }
        self.ts.truncate(kept);
        self.ws.truncate(kept * words);
        issue
    }

    /// Keeps, in order, the successors for which `insert` says the
    /// fingerprint is new, and returns how many.
    #[inline]
    fn keep_new(&mut self, words: usize, mut insert: impl FnMut(u64) -> bool) -> usize {
        let mut kept = 0;
        for (i, &fp) in self.fps.iter().enumerate() {
            if insert(fp) {
                if kept != i {
                    self.ts[kept] = self.ts[i];
                    self.ws
                        .copy_within(i * words..(i + 1) * words, kept * words);
                }
                kept += 1;
            }
        }
        self.ts.truncate(kept);
        self.ws.truncate(kept * words);
        kept
    }

    fn len(&self) -> usize {
        self.ts.len()
    }

    fn state(&self, i: usize, words: usize) -> &[Word] {
        &self.ws[i * words..(i + 1) * words]
    }

    /// Bytes held (capacities).
    fn bytes(&self) -> u64 {
        ((self.ws.capacity() + self.fps.capacity()) * 8 + self.ts.capacity() * 4) as u64
    }
}

pub(crate) fn run<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
) -> Outcome {
    // With a view, the state that stands for a view is the first found,
    // which only a sequential search fixes.
    let threads = match model.view_words() {
        0 => config.threads.max(1),
        _ => 1,
    };
    let outcome = search(model, config, progress, start, threads);
    if threads == 1 || !matches!(outcome.result, Verdict::Violation(_)) {
        return outcome;
    }
    let mut canonical = search(model, config, progress, start, 1);
    canonical.stats.elapsed = start.elapsed();
    canonical.stats.bytes_used = canonical.stats.bytes_used.max(outcome.stats.bytes_used);
    canonical
}

/// Parent links of the sequential search, for traces.
struct Links {
    links: Vec<u64>,
    initial: Vec<Word>,
}

impl Links {
    fn bytes(&self) -> u64 {
        ((self.links.capacity() + self.initial.capacity()) * 8) as u64
    }
}

/// The search with `threads` workers: parent links and traces with one,
/// only the verdict and the counts with more (see the module docs).
fn search<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
    threads: usize,
) -> Outcome {
    let words = model.state_words();
    let limit = config.max_states.unwrap_or(u64::MAX).min(MAX_IDS);
    let mut scratch = model.scratch();
    let mut table = FingerprintTable::with_capacity(1 << 12);
    let finish = |result: Verdict, distinct: u64, generated: u64, bytes: u64| Outcome {
        result,
        liveness: Vec::new(),
        coverage: coverage::sum(model.action_count(), []),
        stats: stats(distinct, generated, 0, start, bytes),
    };

    // The initial states: ids, links and invariants, as one thread would.
    let roots = crate::roots(model, &mut scratch, limit, true);
    table.reserve(roots.fps.len());
    for &fp in &roots.fps {
        table.insert_mut(fp);
    }
    table.add_len(roots.fps.len());
    let count = roots.generated;
    if let Err(e) = roots.init {
        return finish(Verdict::Violation(Violation::at_init(e)), 0, count, 0);
    }
    let mut trace = Links {
        links: vec![ROOT_LINK; roots.fps.len()],
        initial: roots.words,
    };
    let roots_n = trace.links.len();
    if let Some(v) = crate::root_violation(model, &mut scratch, &trace.initial, trace.links.len())
        .or(roots.rejected)
    {
        let bytes = table.bytes() + trace.bytes();
        return finish(Verdict::Violation(v), roots_n as u64, count, bytes);
    }
    if roots.cut {
        let bytes = table.bytes() + trace.bytes();
        return finish(
            Verdict::Incomplete(Limit::States),
            roots_n as u64,
            count,
            bytes,
        );
    }
    // Pushed in reverse so the first initial state is expanded first.
    let mut first = Batch::default();
    for id in (0..roots_n).rev() {
        first
            .words
            .extend_from_slice(&trace.initial[id * words..(id + 1) * words]);
        first.depths.push(0);
        first.ids.push(id as u32);
    }
    let shared = Shared {
        config,
        start,
        threads,
        limit,
        table: RwLock::new(table),
        claimed: AtomicUsize::new(roots_n),
        pool: Mutex::new(Pool {
            batches: vec![first],
            idle: 0,
            finished: false,
        }),
        wake: Condvar::new(),
        hungry: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        violation: Mutex::new(None),
        limit_hit: Mutex::new(None),
        cut_depth: AtomicBool::new(false),
        distinct: AtomicU64::new(roots_n as u64),
        generated: AtomicU64::new(count),
        depth: AtomicU32::new(0),
        stack_bytes: AtomicU64::new(0),
        peak_bytes: AtomicU64::new(0),
    };
    let action_of = coverage::action_table(model);
    let counts: Vec<coverage::Counts> = if threads == 1 {
        vec![worker(
            model,
            &shared,
            progress,
            &action_of,
            Some(&mut trace),
        )]
    } else {
        std::thread::scope(|sc| {
            let workers: Vec<_> = (0..threads)
                .map(|_| sc.spawn(|| worker(model, &shared, progress, &action_of, None)))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("a DFS worker panicked"))
                .collect()
        })
    };

    let distinct = shared.distinct.load(Ordering::Relaxed).min(limit);
    let table_bytes = shared
        .table
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .bytes();
    shared.note_bytes(table_bytes + trace.bytes());
    let violation = shared
        .violation
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let result = if let Some(v) = violation {
        // With more than one thread, a placeholder: `run` replaces it.
        Verdict::Violation(v)
    } else if let Some(l) = *shared.limit_hit.lock().unwrap_or_else(|p| p.into_inner()) {
        Verdict::Incomplete(l)
    } else if shared.cut_depth.load(Ordering::Relaxed) {
        Verdict::Incomplete(Limit::Depth)
    } else {
        Verdict::Ok
    };
    Outcome {
        result,
        liveness: Vec::new(),
        coverage: coverage::sum(model.action_count(), &counts),
        stats: stats(
            distinct,
            shared.generated.load(Ordering::Relaxed),
            shared.depth.load(Ordering::Relaxed),
            start,
            shared.peak_bytes.load(Ordering::Relaxed),
        ),
    }
}

/// Work handed from a busy worker to an idle one: states (flat), their
/// depths and (with one thread) their ids.
#[derive(Default)]
struct Batch {
    words: Vec<Word>,
    depths: Vec<u32>,
    ids: Vec<u32>,
}

struct Pool {
    batches: Vec<Batch>,
    idle: usize,
    finished: bool,
}

/// State shared by the DFS workers.
struct Shared<'a> {
    config: &'a Config,
    /// When the search started (for `max_time`).
    start: Instant,
    threads: usize,
    /// `--max-states`, capped by the id space.
    limit: u64,
    table: RwLock<FingerprintTable>,
    /// Entries in the table plus the room workers have claimed for the
    /// successors they are about to insert: never above the load limit.
    claimed: AtomicUsize,
    pool: Mutex<Pool>,
    wake: Condvar,
    /// Number of idle workers (mirrors `Pool::idle`, read without the lock).
    hungry: AtomicUsize,
    stop: AtomicBool,
    /// The violation found (with one thread, with its trace).
    violation: Mutex<Option<Violation>>,
    limit_hit: Mutex<Option<Limit>>,
    cut_depth: AtomicBool,
    /// Successful new inserts into the table.
    distinct: AtomicU64,
    generated: AtomicU64,
    depth: AtomicU32,
    stack_bytes: AtomicU64,
    peak_bytes: AtomicU64,
}

impl Shared<'_> {
    fn halt(&self) {
        self.stop.store(true, Ordering::Release);
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        pool.finished = true;
        self.wake.notify_all();
    }

    fn hit(&self, limit: Limit) {
        self.limit_hit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(limit);
        self.halt();
    }

    fn found(&self, v: Violation) {
        self.violation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(v);
        self.halt();
    }

    fn note_bytes(&self, other_bytes: u64) -> u64 {
        let b = other_bytes + self.stack_bytes.load(Ordering::Relaxed);
        self.peak_bytes.fetch_max(b, Ordering::Relaxed);
        b
    }

    /// Claims room in the table for `n` insertions, growing it (under the
    /// write lock, so `guard` is given up and taken again) when they could
    /// push it past the load limit. `None`: the memory limit stopped the
    /// search.
    fn claim<'g>(
        &'g self,
        mut guard: RwLockReadGuard<'g, FingerprintTable>,
        n: usize,
        other_bytes: u64,
    ) -> Option<RwLockReadGuard<'g, FingerprintTable>> {
        loop {
            let before = self.claimed.fetch_add(n, Ordering::AcqRel);
            if before + n <= max_entries(guard.capacity()) {
                return Some(guard);
            }
            self.claimed.fetch_sub(n, Ordering::AcqRel);
            drop(guard);
            {
                let mut table = self.table.write().unwrap_or_else(|p| p.into_inner());
                let need = self.claimed.load(Ordering::Acquire) + n;
                if need > max_entries(table.capacity()) {
                    let cap = capacity_for(need, table.capacity() * 2);
                    let after = table.bytes_at(cap)
                        + other_bytes
                        + self.stack_bytes.load(Ordering::Relaxed);
                    if self.config.memory_limit().is_some_and(|m| after > m) {
                        drop(table);
                        self.hit(Limit::Memory);
                        return None;
                    }
                    table.grow(cap);
                }
            }
            guard = self.table.read().unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// One DFS worker: expands sections of its own stack, shares the bottom half
/// when someone is idle, and takes shared work when empty. With `trace`
/// (one thread only) it gives new states ids and parent links, and reports
/// a violation with its trace. Returns its action coverage counts.
fn worker<M: TransitionSystem>(
    model: &M,
    shared: &Shared,
    progress: &Progress,
    action_of: &[u32],
    mut trace: Option<&mut Links>,
) -> coverage::Counts {
    let mut counts = coverage::Counts::new(model.action_count());
    let config = shared.config;
    let words = model.state_words();
    let limit = shared.limit;
    let mut scratch = model.scratch();
    let mut stack = Batch::default();
    let mut succ = SuccessorBuffer::default();
    let mut cur: Vec<Word> = vec![0; words];
    let admitting = model.has_constraints() || model.view_words() > 0 || model.has_step_checks();
    let mut view: Vec<Word> = vec![0; model.view_words()];
    let mut published_bytes = 0u64;
    'work: loop {
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        if stack.depths.is_empty() {
            let mut pool = shared.pool.lock().unwrap_or_else(|p| p.into_inner());
            let mut counted = false;
            loop {
                if let Some(b) = pool.batches.pop() {
                    stack = b;
                    break;
                }
                if pool.finished {
                    break 'work;
                }
                if !counted {
                    counted = true;
                    pool.idle += 1;
                    shared.hungry.fetch_add(1, Ordering::AcqRel);
                }
                if pool.idle == shared.threads {
                    pool.finished = true;
                    shared.wake.notify_all();
                    break 'work;
                }
                pool = shared.wake.wait(pool).unwrap_or_else(|p| p.into_inner());
            }
            if counted {
                pool.idle -= 1;
                shared.hungry.fetch_sub(1, Ordering::AcqRel);
            }
        }

        let mut guard = shared.table.read().unwrap_or_else(|p| p.into_inner());
        let mut generated = 0u64;
        let mut deepest = 0u32;
        for _ in 0..SECTION {
            let Some(d) = stack.depths.pop() else { break };
            let id = stack.ids.pop().unwrap_or(0);
            let at = stack.words.len() - words;
            cur.copy_from_slice(&stack.words[at..]);
            stack.words.truncate(at);
            deepest = deepest.max(d);
            if config.max_depth.is_some_and(|md| d >= md) {
                shared.cut_depth.store(true, Ordering::Relaxed);
                continue;
            }
            let (r, emitted) = succ.fill(model, &mut scratch, &cur, admitting, |fp| {
                guard.prefetch(fp)
            });
            generated += emitted;
            counts.add(action_of, succ.ts.iter().copied());
            let outside = match admitting {
                true => succ.admit(model, &mut scratch, &cur, &mut view, |fp| {
                    guard.prefetch(fp)
                }),
                false => None,
            };
            let n = succ.len();
            let other = trace.as_ref().map_or(0, |t| t.bytes());
            let Some(g) = shared.claim(guard, n, other) else {
                shared.generated.fetch_add(generated, Ordering::Relaxed);
                shared.depth.fetch_max(deepest, Ordering::Relaxed);
                return counts;
            };
            guard = g;
            // Probe in emission order, keeping only the new successors.
            let fresh = succ.keep_new(words, |fp| guard.insert(fp).new);
            shared.claimed.fetch_sub(n - fresh, Ordering::AcqRel);
            let before = shared.distinct.fetch_add(fresh as u64, Ordering::AcqRel);
            // New states get ids in transition order, up to the state limit.
            let keep = fresh.min(limit.saturating_sub(before) as usize);
            let first_id = before as u32;
            if let Some(t) = trace.as_deref_mut() {
                for &tr in &succ.ts[..keep] {
                    t.links.push(pack_link(id, tr));
                }
            }
            // A successor outside the constraints shows its violation
            // first, then the new states in order, then the state itself.
            let new_issue = outside.map(|(t, kind)| (id, Some(t), kind)).or_else(|| {
                (0..keep).find_map(|i| {
                    invariant_issue(model, &mut scratch, Some(&cur), succ.state(i, words))
                        .map(|kind| (first_id + i as u32, None, kind))
                })
            });
            let new_issue_found = new_issue.is_some();
            let issue = new_issue.or_else(|| {
                let kind = match r {
                    Err(e) => Some(ViolationKind::EvalError(e)),
                    Ok(()) if emitted == 0 && config.check_deadlock => {
                        crate::deadlock_issue(model, &mut scratch, &cur)
                    }
                    Ok(()) => None,
                };
                kind.map(|k| (id, None, k))
            });
            if let Some((at, then, kind)) = issue {
                if new_issue_found {
                    shared.depth.fetch_max(d + 1, Ordering::Relaxed);
                }
                let v = match trace.as_deref() {
                    Some(t) => {
                        let r = rebuild(
                            model,
                            &mut scratch,
                            &t.initial,
                            |id| t.links[id as usize],
                            at,
                            then,
                        );
                        Violation::path(kind, r)
                    }
                    None => Violation {
                        kind,
                        trace: Vec::new(),
                        lasso: None,
                        replay_error: None,
                    },
                };
                shared.found(v);
                break;
            }
            if keep < fresh {
                shared.hit(Limit::States);
                break;
            }
            for i in (0..keep).rev() {
                stack.words.extend_from_slice(succ.state(i, words));
                stack.depths.push(d + 1);
                if trace.is_some() {
                    stack.ids.push(first_id + i as u32);
                }
            }
        }
        shared.generated.fetch_add(generated, Ordering::Relaxed);
        shared.depth.fetch_max(deepest, Ordering::Relaxed);
        // Share the bottom half of the stack with idle workers.
        if shared.hungry.load(Ordering::Acquire) > 0 && stack.depths.len() >= 2 {
            let half = stack.depths.len() / 2;
            let batch = Batch {
                words: stack.words.drain(..half * words).collect(),
                depths: stack.depths.drain(..half).collect(),
                ids: Vec::new(),
            };
            let mut pool = shared.pool.lock().unwrap_or_else(|p| p.into_inner());
            pool.batches.push(batch);
            shared.wake.notify_one();
        }
        let mine = (stack.words.capacity() * 8
            + (stack.depths.capacity() + stack.ids.capacity()) * 4) as u64
            + succ.bytes();
        if mine >= published_bytes {
            shared
                .stack_bytes
                .fetch_add(mine - published_bytes, Ordering::Relaxed);
        } else {
            shared
                .stack_bytes
                .fetch_sub(published_bytes - mine, Ordering::Relaxed);
        }
        published_bytes = mine;
        let bytes = shared.note_bytes(guard.bytes() + trace.as_ref().map_or(0, |t| t.bytes()));
        drop(guard);
        progress.set(
            shared.distinct.load(Ordering::Relaxed).min(limit),
            shared.generated.load(Ordering::Relaxed),
            stack.depths.len() as u64,
            shared.depth.load(Ordering::Relaxed) as u64,
        );
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        if config.memory_limit().is_some_and(|m| bytes > m) {
            shared.hit(Limit::Memory);
            break;
        }
        if let Some(limit) = crate::stop_reason(shared.config, shared.start) {
            shared.hit(limit);
            break;
        }
    }
    counts
}
