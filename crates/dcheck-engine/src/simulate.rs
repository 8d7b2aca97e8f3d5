//! Random simulation (`dcheck simulate`): seeded random walks for state
//! spaces too big to explore completely, and the shortening of the trace of
//! a violation they find.
//!
//! # Walks
//!
//! Run `r` (numbered from 0) draws from its own stream,
//! [`run_rng`]`(seed, r)`: a ChaCha8 generator seeded with
//! `seed_from_u64(seed)` on stream `r`, so a run's walk depends only on the
//! seed, its index, the depth and the model, never on the thread count or on
//! which runs ran before it. A run picks one of the initial states uniformly
//! (in the order [`TransitionSystem::initial_states`] emits them), then,
//! up to `depth` times, one of the enabled transitions of the current state
//! uniformly (each transition id [`TransitionSystem::successors`] emits
//! counts once). Integers are drawn with `rand`'s `random_range` over `u64`,
//! which is the same on every platform.
//!
//! Every state visited is checked as an exhaustive search would: its
//! invariants, then (unless it is the last state of a run cut off by the
//! depth) the evaluation of its successors; a state without successors is a
//! deadlock if deadlocks are checked and the model does not call it
//! terminal, and otherwise ends the run. A state outside the state
//! constraints ends the run after its invariants (TLC's simulation mode
//! does the same). A run stops at its first violation.
//!
//! Runs are evaluated in parallel in blocks of [`BLOCK`] (a fixed size, so the
//! work done does not depend on the thread count either); the reported
//! violation is the one of the smallest run index, and the run and step
//! counts are those of the runs up to and including it.
//!
//! # Shortening
//!
//! A random walk wanders: its trace repeats states and takes steps that have
//! nothing to do with the violation. [`shorten`] removes parts of it as long
//! as what is left is still a behaviour of the model (from the same initial
//! state, every step enabled in the state it is taken from) whose first
//! violation is the same one (same [`ViolationKind`]): first every loop
//! between two equal states, then blocks of steps of halving size down to
//! single steps (ddmin-like), again until nothing can be removed. A candidate
//! is cut at its first violation. The result is re-validated with
//! [`TransitionSystem::step`] before it is reported; it is never longer than
//! the walk's trace.

use crate::invariant_issue;
use std::collections::HashMap;
use std::time::Instant;

use dcheck_model::system::{StepError, TransitionId, TransitionSystem, Word};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::{Outcome, Stats, TraceStep, Verdict, Violation, ViolationKind};

/// Runs evaluated together before looking for a violation among them.
pub const BLOCK: u64 = 64;

/// Upper bound on the candidate traces [`shorten`] re-checks.
const MAX_CANDIDATES: usize = 20_000;

/// What to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of random walks.
    pub runs: u64,
    /// Largest number of transitions a walk takes.
    pub depth: u32,
    pub seed: u64,
    /// Worker threads (0 is taken as 1).
    pub threads: usize,
    /// Report states without enabled transitions that the model does not
    /// call terminal.
    pub check_deadlock: bool,
}

/// The result of a simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOutcome {
    /// [`Verdict::Ok`] (no violation found: not a proof) or
    /// [`Verdict::Violation`] with the shortened trace. `stats.states_generated`
    /// is the number of states visited (`runs + steps`), `stats.depth` the
    /// longest walk, `stats.elapsed` the time taken; the other fields are 0.
    pub outcome: Outcome,
    /// Runs done: all of them, or those up to and including the violating one.
    pub runs: u64,
    /// Transitions taken in those runs.
    pub steps: u64,
    /// The violation's run and its walk's length, if one was found.
    pub found: Option<Found>,
}

/// Where a violation was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// The run's index (from 0): `run_rng(seed, run)` replays it.
    pub run: u64,
    /// Steps of the walk up to the violation, before shortening.
    pub walk_steps: usize,
    /// Steps of the reported (shortened) trace.
    pub steps: usize,
}

/// The random stream of run `run` under `seed`.
pub fn run_rng(seed: u64, run: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run);
    rng
}

/// A uniform index in `0..n` (`n > 0`).
fn pick(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.random_range(0..n as u64) as usize
}

/// One walk's result.
struct Walk {
    steps: u64,
    violation: Option<(ViolationKind, usize, Vec<TransitionId>)>,
}

/// Per-worker buffers.
struct Worker<S> {
    scratch: S,
    cur: Vec<Word>,
    succ_t: Vec<TransitionId>,
    succ_s: Vec<Word>,
    path: Vec<TransitionId>,
}

impl<S> Worker<S> {
    fn new<M: TransitionSystem<Scratch = S>>(model: &M) -> Worker<S> {
        Worker {
            scratch: model.scratch(),
            cur: vec![0; model.state_words()],
            succ_t: Vec::new(),
            succ_s: Vec::new(),
            path: Vec::new(),
        }
    }
}

/// The successors of `state` into `succ_t` / `succ_s`.
fn expand<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
    succ_t: &mut Vec<TransitionId>,
    succ_s: &mut Vec<Word>,
) -> Result<(), StepError> {
    succ_t.clear();
    succ_s.clear();
    model.successors(scratch, state, |t, s| {
        succ_t.push(t);
        succ_s.extend_from_slice(s);
    })
}

/// The violation shown by a state without successors (`None`: none).
fn dead_end<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
    check_deadlock: bool,
) -> Option<ViolationKind> {
    if !check_deadlock {
        return None;
    }
    crate::deadlock_issue(model, scratch, state)
}

/// Whether `state` is within the state constraints (a walk ends at one
/// that is not), or the evaluation error that says.
fn within<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    state: &[Word],
) -> Result<bool, ViolationKind> {
    model
        .within_constraints(scratch, state)
        .map_err(crate::state_error)
}

/// Run `run`: a random walk from a random initial state (`initial`: flat).
fn walk<M: TransitionSystem>(
    model: &M,
    w: &mut Worker<M::Scratch>,
    initial: &[Word],
    config: &SimConfig,
    run: u64,
) -> Walk {
    let words = model.state_words();
    let n_init = initial.len() / words.max(1);
    if n_init == 0 {
        return Walk {
            steps: 0,
            violation: None,
        };
    }
    let mut rng = run_rng(config.seed, run);
    let start = pick(&mut rng, n_init);
    w.cur
        .copy_from_slice(&initial[start * words..(start + 1) * words]);
    w.path.clear();
    let violation = loop {
        if let Some(k) = invariant_issue(model, &mut w.scratch, None, &w.cur) {
            break Some(k);
        }
        if w.path.is_empty() {
            if let Some(k) = crate::initial_issue(model, &mut w.scratch, &w.cur) {
                break Some(k);
            }
        }
        match within(model, &mut w.scratch, &w.cur) {
            Ok(true) => {}
            Ok(false) => break None,
            Err(kind) => break Some(kind),
        }
        if w.path.len() >= config.depth as usize {
            break None;
        }
        if let Err(e) = expand(model, &mut w.scratch, &w.cur, &mut w.succ_t, &mut w.succ_s) {
            break Some(ViolationKind::EvalError(e));
        }
        if w.succ_t.is_empty() {
            break dead_end(model, &mut w.scratch, &w.cur, config.check_deadlock);
        }
        let k = pick(&mut rng, w.succ_t.len());
        w.path.push(w.succ_t[k]);
        let next = &w.succ_s[k * words..(k + 1) * words];
        let step = crate::step_issue(model, &mut w.scratch, &w.cur, next);
        w.cur.copy_from_slice(next);
        if step.is_some() {
            break step;
        }
    };
    Walk {
        steps: w.path.len() as u64,
        violation: violation.map(|k| (k, start, w.path.clone())),
    }
}

/// Simulates `model` as `config` says.
pub fn simulate<M: TransitionSystem>(model: &M, config: &SimConfig) -> SimOutcome {
    let _searching = crate::progress::searching();
    let start_time = Instant::now();
    let words = model.state_words();
    let mut main = Worker::new(model);
    let mut initial: Vec<Word> = Vec::new();
    let init = model.initial_states(&mut main.scratch, &mut |s| initial.extend_from_slice(s));
    let finish =
        |result: Verdict, runs: u64, steps: u64, depth: u32, found: Option<Found>| SimOutcome {
            outcome: Outcome {
                result,
                stats: Stats {
                    states_generated: runs + steps,
                    depth,
                    elapsed: start_time.elapsed(),
                    ..Stats::default()
                },
                liveness: Vec::new(),
                coverage: Vec::new(),
            },
            runs,
            steps,
            found,
        };
    if let Err(e) = init {
        let v = Violation::at_init(e);
        return finish(Verdict::Violation(v), 0, 0, 0, None);
    }
    let threads = config.threads.max(1);
    let pool = crate::pool(threads);
    let (mut runs, mut steps, mut depth) = (0u64, 0u64, 0u32);
    let mut lo = 0u64;
    while lo < config.runs {
        if crate::progress::stop_requested() {
            return finish(
                Verdict::Incomplete(crate::Limit::Interrupted),
                runs,
                steps,
                depth,
                None,
            );
        }
        let hi = (lo + BLOCK).min(config.runs);
        let walks: Vec<Walk> = pool.install(|| {
            (lo..hi)
                .into_par_iter()
                .map_init(
                    || Worker::new(model),
                    |w, r| walk(model, w, &initial, config, r),
                )
                .collect()
        });
        for (r, wk) in (lo..hi).zip(walks) {
            runs += 1;
            steps += wk.steps;
            depth = depth.max(wk.steps as u32);
            if let Some((kind, s0, path)) = wk.violation {
                let s0 = &initial[s0 * words..(s0 + 1) * words];
                let short = shorten(model, s0, &path, &kind, config.check_deadlock);
                let (trace, replay_error) = match validated(model, &mut main.scratch, s0, &short) {
                    Some(trace) => (trace, None),
                    None => {
                        let r = crate::trace::replay(model, &mut main.scratch, s0, &path);
                        (r.trace, r.error)
                    }
                };
                let found = Found {
                    run: r,
                    walk_steps: path.len(),
                    steps: trace.len() - 1,
                };
                let v = Violation {
                    kind,
                    trace,
                    lasso: None,
                    replay_error,
                };
                return finish(Verdict::Violation(v), runs, steps, depth, Some(found));
            }
        }
        lo = hi;
    }
    finish(Verdict::Ok, runs, steps, depth, None)
}

/// The trace from `start` along `transitions` if every step is enabled and
/// evaluates without error (checked with [`TransitionSystem::step`]).
pub fn validated<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    start: &[Word],
    transitions: &[TransitionId],
) -> Option<Vec<TraceStep>> {
    let mut state = start.to_vec();
    let mut next = vec![0; start.len()];
    let mut trace = vec![TraceStep {
        transition: None,
        state: state.clone(),
    }];
    for &t in transitions {
        if !matches!(model.step(scratch, &state, t, &mut next), Ok(true)) {
            return None;
        }
        std::mem::swap(&mut state, &mut next);
        trace.push(TraceStep {
            transition: Some(t),
            state: state.clone(),
        });
    }
    Some(trace)
}

/// Follows `ts` from `start`, checking every state as a walk does. `Some(n)`:
/// the first violation is `target` and shows after the first `n` steps;
/// `None`: a step is not enabled, or the first violation is another one, or
/// there is none.
fn reproduces<M: TransitionSystem>(
    model: &M,
    w: &mut Worker<M::Scratch>,
    start: &[Word],
    ts: &[TransitionId],
    target: &ViolationKind,
    check_deadlock: bool,
) -> Option<usize> {
    let words = model.state_words();
    w.cur.copy_from_slice(start);
    for i in 0..=ts.len() {
        let mut outside = false;
        let found = invariant_issue(model, &mut w.scratch, None, &w.cur).or_else(|| {
            if i == 0 {
                if let Some(k) = crate::initial_issue(model, &mut w.scratch, &w.cur) {
                    return Some(k);
                }
            }
            match within(model, &mut w.scratch, &w.cur) {
                Ok(true) => {}
                Ok(false) => {
                    outside = true;
                    return None;
                }
                Err(kind) => return Some(kind),
            }
            match expand(model, &mut w.scratch, &w.cur, &mut w.succ_t, &mut w.succ_s) {
                Err(e) => Some(ViolationKind::EvalError(e)),
                Ok(()) if w.succ_t.is_empty() => {
                    dead_end(model, &mut w.scratch, &w.cur, check_deadlock)
                }
                Ok(()) => None,
            }
        });
        if let Some(k) = found {
            return (k == *target).then_some(i);
        }
        if outside {
            return None; // a walk ends here, without a violation
        }
        let t = *ts.get(i)?;
        let k = w.succ_t.iter().position(|&u| u == t)?;
        let next = &w.succ_s[k * words..(k + 1) * words];
        let step = crate::step_issue(model, &mut w.scratch, &w.cur, next);
        w.cur.copy_from_slice(next);
        if let Some(kind) = step {
            return (kind == *target).then_some(i + 1);
        }
    }
    None
}

/// A shorter behaviour from `start` whose first violation is still `target`
/// (see the module documentation); `ts` itself if none is found.
pub fn shorten<M: TransitionSystem>(
    model: &M,
    start: &[Word],
    ts: &[TransitionId],
    target: &ViolationKind,
    check_deadlock: bool,
) -> Vec<TransitionId> {
    let w = &mut Worker::new(model);
    let mut best = ts.to_vec();
    let budget = std::cell::Cell::new(MAX_CANDIDATES);
    let try_candidate =
        |w: &mut Worker<M::Scratch>, cand: Vec<TransitionId>, best: &mut Vec<TransitionId>| {
            if budget.get() == 0 {
                return false;
            }
            budget.set(budget.get() - 1);
            match reproduces(model, w, start, &cand, target, check_deadlock) {
                Some(n) if n < best.len() => {
                    *best = cand;
                    best.truncate(n);
                    true
                }
                _ => false,
            }
        };
    loop {
        let before = best.len();
        // Loops between equal states.
        while let Some((i, j)) = first_loop(model, &mut w.scratch, start, &best) {
            let cand: Vec<TransitionId> = best[..i].iter().chain(&best[j..]).copied().collect();
            if !try_candidate(w, cand, &mut best) {
                break;
            }
        }
        // Blocks of halving size.
        let mut size = best.len().div_ceil(2);
        while size > 0 {
            let mut at = 0;
            while at + size <= best.len() {
                let cand: Vec<TransitionId> = best[..at]
                    .iter()
                    .chain(&best[at + size..])
                    .copied()
                    .collect();
                if !try_candidate(w, cand, &mut best) {
                    at += size;
                }
            }
            size /= 2;
        }
        if best.len() >= before || budget.get() == 0 {
            return best;
        }
    }
}

/// The first `(i, j)`, `i < j`, such that the states after `i` and after `j`
/// steps of `ts` from `start` are equal (smallest `j`).
fn first_loop<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    start: &[Word],
    ts: &[TransitionId],
) -> Option<(usize, usize)> {
    let mut seen: HashMap<Vec<Word>, usize> = HashMap::new();
    let mut state = start.to_vec();
    let mut next = vec![0; start.len()];
    seen.insert(state.clone(), 0);
    for (k, &t) in ts.iter().enumerate() {
        if !matches!(model.step(scratch, &state, t, &mut next), Ok(true)) {
            return None;
        }
        std::mem::swap(&mut state, &mut next);
        if let Some(&i) = seen.get(&state) {
            return Some((i, k + 1));
        }
        seen.insert(state.clone(), k + 1);
    }
    None
}
