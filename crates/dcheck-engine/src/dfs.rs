//! Depth-first search with explicit stacks (no recursion).
//!
//! Sequential ([`Config::threads`] `<= 1`): one stack of states; a state's
//! successors are deduplicated, given ids and checked when it is expanded,
//! and the new ones are pushed so that the smallest transition is expanded
//! next. The search stops at the first violation in that order, and its
//! trace follows the recorded (first-discovery) parent links.
//!
//! Parallel (`threads > 1`): every worker owns a stack; a worker with work
//! moves the bottom half of its stack to a shared pool when some worker is
//! idle. All workers insert into one [`FingerprintTable`] behind an
//! `RwLock`: they hold the read side while expanding a section of states,
//! and the table is grown under the write side between sections, before the
//! worst case of a section could exceed the load limit. Each state is
//! expanded exactly once, so the distinct and generated counts are exact.
//! Parallel DFS keeps no parent links: if it finds a violation, the
//! sequential DFS is re-run and its result (the canonical, first violation
//! in sequential DFS order, with its trace and statistics) is returned, so
//! the counterexample is the same for every thread count.
//!
//! Both buffer an expanded state's successors with a prefetch of each
//! fingerprint's home slot, and probe them afterwards in emission order (see
//! `SuccessorBuffer`): the next state to expand depends on the probes, so the
//! batching cannot span states as in the BFS. The sequential search owns its
//! table and inserts without compare-and-swap.

use crate::invariant_issue;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, RwLock};
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

/// The violation shown by a state without enabled transitions, if any.
fn deadlock_issue<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
) -> Option<ViolationKind> {
    match model.is_terminal(scratch, state) {
        Ok(true) => None,
        Ok(false) => Some(ViolationKind::Deadlock),
        Err(error) => Some(ViolationKind::EvalError(StepError {
            transition: None,
            error,
        })),
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
    /// `prefetch` on each fingerprint. Returns the model's result and how
    /// many successors it emitted.
    fn fill<M: TransitionSystem>(
        &mut self,
        model: &M,
        scratch: &mut M::Scratch,
        state: &[Word],
        prefetch: impl Fn(u64),
    ) -> (Result<(), StepError>, u64) {
        self.ts.clear();
        self.fps.clear();
        self.ws.clear();
        let (ts, fps, ws) = (&mut self.ts, &mut self.fps, &mut self.ws);
        let r = model.successors(scratch, state, |t, next| {
            let fp = fingerprint(next);
            prefetch(fp);
            ts.push(t);
            fps.push(fp);
            ws.extend_from_slice(next);
        });
        (r, self.ts.len() as u64)
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
    if config.threads <= 1 {
        return sequential(model, config, progress, start);
    }
    let parallel_outcome = parallel(model, config, progress, start);
    if matches!(parallel_outcome.result, Verdict::Violation(_)) {
        let mut canonical = sequential(model, config, progress, start);
        canonical.stats.elapsed = start.elapsed();
        canonical.stats.bytes_used = canonical
            .stats
            .bytes_used
            .max(parallel_outcome.stats.bytes_used);
        return canonical;
    }
    parallel_outcome
}

fn sequential<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
) -> Outcome {
    let words = model.state_words();
    let fanout = model.transition_count().max(1);
    let limit = config.max_states.unwrap_or(u64::MAX).min(MAX_IDS);
    let mut scratch = model.scratch();
    let mut seen = FingerprintTable::with_capacity(1 << 12);
    let mut links: Vec<u64> = Vec::new();
    let mut initial: Vec<Word> = Vec::new();
    let mut generated = 0u64;
    let mut depth = 0u32;
    let mut peak = 0u64;
    let mut stack_words: Vec<Word> = Vec::new();
    let mut stack: Vec<(u32, u32)> = Vec::new(); // (id, depth)
    let mut succ = SuccessorBuffer::default();
    let mut cur: Vec<Word> = vec![0; words];
    let action_of = coverage::action_table(model);
    let mut counts = coverage::Counts::new(model.action_count());

    macro_rules! finish {
        ($verdict:expr) => {{
            let bytes = seen.bytes()
                + ((links.capacity() + initial.capacity() + stack_words.capacity()) * 8
                    + stack.capacity() * 8) as u64;
            peak = peak.max(bytes);
            return Outcome {
                result: $verdict,
                liveness: Vec::new(),
                coverage: coverage::sum(model.action_count(), [&counts]),
                stats: stats(links.len() as u64, generated, depth, start, peak),
            };
        }};
    }

    let mut emitted: Vec<Word> = Vec::new();
    let mut count = 0usize;
    let init = model.initial_states(&mut scratch, &mut |st| {
        count += 1;
        emitted.extend_from_slice(st)
    });
    generated += count as u64;
    if let Err(e) = init {
        finish!(Verdict::Violation(Violation::at_init(e)));
    }
    let mut cut_states = false;
    for i in 0..count {
        let st = &emitted[i * words..(i + 1) * words];
        seen.reserve(1);
        let ins = seen.insert(fingerprint(st));
        if ins.new {
            seen.add_len(1);
            if links.len() as u64 >= limit {
                cut_states = true;
                break;
            }
            links.push(ROOT_LINK);
            initial.extend_from_slice(st);
        }
    }
    drop(emitted);
    for id in 0..links.len() {
        if let Some(kind) = invariant_issue(
            model,
            &mut scratch,
            None,
            &initial[id * words..(id + 1) * words],
        ) {
            let r = rebuild(model, &mut scratch, &initial, &links, id as u32, None);
            finish!(Verdict::Violation(Violation::path(kind, r)));
        }
    }
    if cut_states {
        finish!(Verdict::Incomplete(Limit::States));
    }
    for id in (0..links.len()).rev() {
        stack_words.extend_from_slice(&initial[id * words..(id + 1) * words]);
        stack.push((id as u32, 0));
    }

    let mut cut_depth = false;
    let mut expanded = 0usize;
    while let Some((id, d)) = stack.pop() {
        let at = stack_words.len() - words;
        cur.copy_from_slice(&stack_words[at..]);
        stack_words.truncate(at);
        depth = depth.max(d);
        if config.max_depth.is_some_and(|md| d >= md) {
            cut_depth = true;
            continue;
        }
        if seen.len() + fanout > max_entries(seen.capacity()) {
            let grown = capacity_for(seen.len() + fanout, seen.capacity() * 2) as u64 * 8;
            let rest = ((links.capacity() + initial.capacity() + stack_words.capacity()) * 8
                + stack.capacity() * 8) as u64;
            if config.memory_limit().is_some_and(|m| grown + rest > m) {
                finish!(Verdict::Incomplete(Limit::Memory));
            }
            seen.reserve(fanout);
        }
        let (r, emitted) = succ.fill(model, &mut scratch, &cur, |fp| seen.prefetch(fp));
        generated += emitted;
        counts.add(&action_of, succ.ts.iter().copied());
        // Probe in emission order, keeping only the new successors.
        let fresh = succ.keep_new(words, |fp| seen.insert_mut(fp));
        seen.add_len(fresh);
        // New states get ids in transition order, up to the state limit.
        let room = (limit - links.len() as u64) as usize;
        let keep = succ.len().min(room);
        let first_id = links.len() as u32;
        for &t in &succ.ts[..keep] {
            links.push(pack_link(id, t));
        }
        for i in 0..keep {
            let st = succ.state(i, words);
            if let Some(kind) = invariant_issue(model, &mut scratch, Some(&cur), st) {
                depth = depth.max(d + 1);
                let r = rebuild(
                    model,
                    &mut scratch,
                    &initial,
                    &links,
                    first_id + i as u32,
                    None,
                );
                finish!(Verdict::Violation(Violation::path(kind, r)));
            }
        }
        let issue = match r {
            Err(e) => Some(ViolationKind::EvalError(e)),
            Ok(()) if emitted == 0 && config.check_deadlock => {
                deadlock_issue(model, &mut scratch, &cur)
            }
            Ok(()) => None,
        };
        if let Some(kind) = issue {
            let r = rebuild(model, &mut scratch, &initial, &links, id, None);
            finish!(Verdict::Violation(Violation::path(kind, r)));
        }
        if keep < succ.len() {
            finish!(Verdict::Incomplete(Limit::States));
        }
        for i in (0..keep).rev() {
            stack_words.extend_from_slice(succ.state(i, words));
            stack.push((first_id + i as u32, d + 1));
        }
        expanded += 1;
        if expanded == SECTION {
            expanded = 0;
            let bytes = seen.bytes()
                + ((links.capacity() + initial.capacity() + stack_words.capacity()) * 8
                    + stack.capacity() * 8) as u64;
            peak = peak.max(bytes);
            if config.memory_limit().is_some_and(|m| bytes > m) {
                finish!(Verdict::Incomplete(Limit::Memory));
            }
            if let Some(limit) = crate::stop_reason(config, start) {
                finish!(Verdict::Incomplete(limit));
            }
            progress.set(
                links.len() as u64,
                generated,
                stack.len() as u64,
                depth as u64,
            );
        }
    }
    if cut_depth {
        finish!(Verdict::Incomplete(Limit::Depth));
    }
    finish!(Verdict::Ok)
}

/// Work handed from a busy worker to an idle one: states (flat) and their depths.
struct Batch {
    words: Vec<Word>,
    depths: Vec<u32>,
}

struct Pool {
    batches: Vec<Batch>,
    idle: usize,
    finished: bool,
}

/// State shared by the parallel DFS workers.
struct Shared<'a> {
    config: &'a Config,
    /// When the search started (for `max_time`).
    start: Instant,
    threads: usize,
    table: RwLock<FingerprintTable>,
    pool: Mutex<Pool>,
    wake: Condvar,
    /// Number of idle workers (mirrors `Pool::idle`, read without the lock).
    hungry: AtomicUsize,
    stop: AtomicBool,
    violation: AtomicBool,
    limit: Mutex<Option<Limit>>,
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
        self.limit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(limit);
        self.halt();
    }

    fn note_bytes(&self, table_bytes: u64) -> u64 {
        let b = table_bytes + self.stack_bytes.load(Ordering::Relaxed);
        self.peak_bytes.fetch_max(b, Ordering::Relaxed);
        b
    }
}

fn parallel<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
) -> Outcome {
    let words = model.state_words();
    let threads = config.threads.max(1);
    let limit = config.max_states.unwrap_or(u64::MAX);
    let mut scratch = model.scratch();
    let mut table = FingerprintTable::with_capacity(1 << 12);
    let mut emitted: Vec<Word> = Vec::new();
    let mut count = 0usize;
    let init = model.initial_states(&mut scratch, &mut |st| {
        count += 1;
        emitted.extend_from_slice(st)
    });
    if init.is_err() {
        // Let the sequential search report it.
        return sequential(model, config, progress, start);
    }
    let mut roots: Vec<Word> = Vec::new();
    let mut distinct = 0u64;
    for i in 0..count {
        let st = &emitted[i * words..(i + 1) * words];
        table.reserve(1);
        if table.insert(fingerprint(st)).new {
            table.add_len(1);
            if distinct >= limit {
                return sequential(model, config, progress, start);
            }
            distinct += 1;
            if invariant_issue(model, &mut scratch, None, st).is_some() {
                return sequential(model, config, progress, start);
            }
            roots.extend_from_slice(st);
        }
    }
    let depths = vec![0; distinct as usize];
    // Push in reverse so the first initial state is expanded first.
    let mut first: Vec<Word> = Vec::with_capacity(roots.len());
    for id in (0..distinct as usize).rev() {
        first.extend_from_slice(&roots[id * words..(id + 1) * words]);
    }
    let shared = Shared {
        config,
        start,
        threads,
        table: RwLock::new(table),
        pool: Mutex::new(Pool {
            batches: vec![Batch {
                words: first,
                depths,
            }],
            idle: 0,
            finished: false,
        }),
        wake: Condvar::new(),
        hungry: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        violation: AtomicBool::new(false),
        limit: Mutex::new(None),
        cut_depth: AtomicBool::new(false),
        distinct: AtomicU64::new(distinct),
        generated: AtomicU64::new(count as u64),
        depth: AtomicU32::new(0),
        stack_bytes: AtomicU64::new(0),
        peak_bytes: AtomicU64::new(0),
    };
    let action_of = coverage::action_table(model);
    let counts: Vec<coverage::Counts> = std::thread::scope(|sc| {
        let workers: Vec<_> = (0..threads)
            .map(|_| sc.spawn(|| worker(model, &shared, progress, &action_of)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a DFS worker panicked"))
            .collect()
    });

    let distinct = shared.distinct.load(Ordering::Relaxed).min(limit);
    let generated = shared.generated.load(Ordering::Relaxed);
    let table_bytes = shared
        .table
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .bytes();
    shared.note_bytes(table_bytes);
    let result = if shared.violation.load(Ordering::Relaxed) {
        // Placeholder; `run` replaces it with the canonical sequential result.
        Verdict::Violation(Violation {
            kind: ViolationKind::Deadlock,
            trace: Vec::new(),
            lasso: None,
            replay_error: None,
        })
    } else if let Some(l) = *shared.limit.lock().unwrap_or_else(|p| p.into_inner()) {
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
            generated,
            shared.depth.load(Ordering::Relaxed),
            start,
            shared.peak_bytes.load(Ordering::Relaxed),
        ),
    }
}

/// One parallel DFS worker: expands sections of its own stack, shares the
/// bottom half when someone is idle, and takes shared work when empty.
/// Returns its action coverage counts.
fn worker<M: TransitionSystem>(
    model: &M,
    shared: &Shared,
    progress: &Progress,
    action_of: &[u32],
) -> coverage::Counts {
    let mut counts = coverage::Counts::new(model.action_count());
    let config = shared.config;
    let words = model.state_words();
    let fanout = model.transition_count().max(1);
    let limit = config.max_states.unwrap_or(u64::MAX);
    let mut scratch = model.scratch();
    let mut stack_words: Vec<Word> = Vec::new();
    let mut depths: Vec<u32> = Vec::new();
    let mut succ = SuccessorBuffer::default();
    let mut cur: Vec<Word> = vec![0; words];
    let mut published_bytes = 0u64;
    'work: loop {
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        if depths.is_empty() {
            let mut pool = shared.pool.lock().unwrap_or_else(|p| p.into_inner());
            let mut counted = false;
            loop {
                if let Some(b) = pool.batches.pop() {
                    stack_words = b.words;
                    depths = b.depths;
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

        // Room for the worst case of one section of every worker.
        let need = SECTION * fanout * shared.threads;
        let guard = shared.table.read().unwrap_or_else(|p| p.into_inner());
        let entries = shared.distinct.load(Ordering::Acquire) as usize;
        if entries + need > max_entries(guard.capacity()) {
            drop(guard);
            let mut table = shared.table.write().unwrap_or_else(|p| p.into_inner());
            let entries = shared.distinct.load(Ordering::Acquire) as usize;
            if entries + need > max_entries(table.capacity()) {
                let cap = capacity_for(entries + need, table.capacity() * 2);
                let after = cap as u64 * 8 + shared.stack_bytes.load(Ordering::Relaxed);
                if config.memory_limit().is_some_and(|m| after > m) {
                    drop(table);
                    shared.hit(Limit::Memory);
                    break;
                }
                table.grow(cap);
            }
            continue;
        }
        let mut generated = 0u64;
        let mut deepest = 0u32;
        for _ in 0..SECTION {
            let Some(d) = depths.pop() else { break };
            let at = stack_words.len() - words;
            cur.copy_from_slice(&stack_words[at..]);
            stack_words.truncate(at);
            deepest = deepest.max(d);
            if config.max_depth.is_some_and(|md| d >= md) {
                shared.cut_depth.store(true, Ordering::Relaxed);
                continue;
            }
            let (r, emitted) = succ.fill(model, &mut scratch, &cur, |fp| guard.prefetch(fp));
            generated += emitted;
            counts.add(action_of, succ.ts.iter().copied());
            let fresh = succ.keep_new(words, |fp| guard.insert(fp).new);
            let before = shared.distinct.fetch_add(fresh as u64, Ordering::AcqRel);
            let issue = (0..fresh)
                .find_map(|i| {
                    invariant_issue(model, &mut scratch, Some(&cur), succ.state(i, words))
                })
                .or(match r {
                    Err(e) => Some(ViolationKind::EvalError(e)),
                    Ok(()) if emitted == 0 && config.check_deadlock => {
                        deadlock_issue(model, &mut scratch, &cur)
                    }
                    Ok(()) => None,
                });
            if issue.is_some() {
                shared.violation.store(true, Ordering::Release);
                shared.halt();
                break;
            }
            if before + fresh as u64 > limit {
                shared.hit(Limit::States);
                break;
            }
            for i in (0..fresh).rev() {
                stack_words.extend_from_slice(succ.state(i, words));
                depths.push(d + 1);
            }
        }
        shared.generated.fetch_add(generated, Ordering::Relaxed);
        shared.depth.fetch_max(deepest, Ordering::Relaxed);
        // Share the bottom half of the stack with idle workers.
        if shared.hungry.load(Ordering::Acquire) > 0 && depths.len() >= 2 {
            let half = depths.len() / 2;
            let batch = Batch {
                words: stack_words.drain(..half * words).collect(),
                depths: depths.drain(..half).collect(),
            };
            let mut pool = shared.pool.lock().unwrap_or_else(|p| p.into_inner());
            pool.batches.push(batch);
            shared.wake.notify_one();
        }
        let mine = (stack_words.capacity() * 8 + depths.capacity() * 4) as u64 + succ.bytes();
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
        let bytes = shared.note_bytes(guard.bytes());
        drop(guard);
        progress.set(
            shared.distinct.load(Ordering::Relaxed).min(limit),
            shared.generated.load(Ordering::Relaxed),
            depths.len() as u64,
            shared.depth.load(Ordering::Relaxed) as u64,
        );
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
