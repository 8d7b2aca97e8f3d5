//! Liveness checking under fairness, on the explicit state graph.
//!
//! Runs after a safety search that found nothing ([`Verdict::Ok`]);
//! otherwise every check is [`CheckStatus::NotChecked`].
//!
//! # Semantics
//!
//! A behaviour is an infinite path of the state graph from an initial state.
//! A state with no enabled transition repeats forever (stuttering), and
//! every fairness constraint is disabled there; there is no other
//! stuttering. A fairness constraint `c` is a set of transitions, enabled in
//! a state when one of them leads to another state, taken by a step that is
//! one of them and changes the state: a self-loop is a stuttering step,
//! which neither enables nor takes (TLA+'s `<<A>>_vars`). On an infinite
//! behaviour:
//!
//! - weak: if from some point on `c` is enabled in every state, some `c`
//!   transition is taken infinitely often;
//! - strong: if `c` is enabled infinitely often, `c` is taken infinitely
//!   often.
//!
//! A behaviour is fair for a check when it satisfies every constraint the
//! check lists. A check is violated iff some fair behaviour violates its
//! form:
//!
//! - `Eventually(P)`: a fair behaviour that never visits a `P` state;
//! - `AlwaysEventually(P)`: one that from some state on stays in `¬P`;
//! - `EventuallyAlways(P)`: one that visits `¬P` states infinitely often;
//! - `LeadsTo(P, Q)`: one that reaches a `P ∧ ¬Q` state and from there on
//!   stays in `¬Q`.
//!
//! All four are one search: a violating lasso is a prefix (any edges) from
//! an initial state to an entry state `e ∈ E`, then a path inside a region
//! `R` from `e` to a fair cycle inside `R` that visits an acceptance state
//! of `A`:
//!
//! | form                 | E                        | R      | A    |
//! |----------------------|--------------------------|--------|------|
//! | `Eventually(P)`      | initial ∩ `¬P`, no prefix| `¬P`   | all  |
//! | `AlwaysEventually(P)`| `¬P`                     | `¬P`   | all  |
//! | `EventuallyAlways(P)`| all                      | all    | `¬P` |
//! | `LeadsTo(P, Q)`      | `P ∧ ¬Q`                 | `¬Q`   | all  |
//!
//! # Algorithm
//!
//! 0. With BFS and no limits, [`run_fused`] skips the separate safety
//!    search: the graph build (step 1) checks every expanded state's
//!    invariants and deadlock, and gives the counts the BFS safety search
//!    would; a violation found there sends the run back through the safety
//!    search. Otherwise [`run`] follows a completed safety search.
//! 1. [`graph`]: the whole reachable graph, with dense ids, edges in
//!    compressed sparse rows and one bit per predicate and state (BFS in
//!    parallel, DFS sequential; see there). An evaluation error of a
//!    predicate is reported like one of the safety search, with a shortest
//!    trace (BFS over the graph from the initial states in emission order).
//! 2. [`analysis`], per check (the checks run in parallel on the pool):
//!    the strongly connected components of the subgraph induced by `R`
//!    (iterative Tarjan). A component is a candidate if it has an internal
//!    edge, or is a single state without any out-edge (stuttering, fair).
//!    Emerson–Lei: a weak constraint enabled in every state of the
//!    component and taken by none of its internal edges rejects it; a
//!    strong one enabled in some state and never taken removes the states
//!    enabling it and the rest is decomposed again; a component must hold
//!    an `A` state. The components passing are fair.
//! 3. The canonical lasso: BFS over (state, phase) pairs from the initial
//!    states in emission order, edges in order. Phase 0 follows any edge; at
//!    a state of `E` the search switches to phase 1 (at no cost, right after
//!    discovering the phase-0 pair); phase-1 edges stay inside `R`. For
//!    `Eventually` the search starts in phase 1 at the initial states in `E`.
//!    The first phase-1 pair in a fair component found is the loop entry
//!    `f`; the check holds iff there is none. Then a cycle from `f` inside
//!    its fair component: from the current state, BFS (edge order) to the
//!    nearest edge or state meeting a pending obligation (per weak
//!    constraint: take it or visit a state disabling it; per strong one
//!    enabled in the component: take it; if `A` is not all: visit an `A`
//!    state), then back to `f` (at least one step unless `f` stutters).
//!    Nothing here depends on the id numbering, so BFS and DFS builds at any
//!    thread count give the same counterexample.
//!
//! The reported violation is the lowest-index violated check, its trace
//! rebuilt by replaying [`TransitionSystem::step`]. For a stuttering cycle
//! (empty, `loop_start == trace.len() - 1`) the one state of the cycle is
//! `trace[loop_start]`: it enables no constraint, so every
//! [`FairnessWitness`] has `disabled_at == Some(loop_start)`.
//!
//! # Memory
//!
//! While building: the id table (12 bytes a slot, load 3/8 to 3/4), the
//! graph (`offsets` 8 bytes per state, 4 + 2 bytes per edge with `u16`
//! labels, one bit per predicate and state) and the frontier / stack. The
//! table is dropped before the analysis, which needs per check about 8
//! bytes per state (component tags, Tarjan indices), the Tarjan stacks, up
//! to 4 bitsets, and for the lasso search 8 bytes per state plus its queue.
//! [`crate::Stats::graph_bytes`] is the peak of the two phases, counting
//! the analyses of as many checks as there are threads at once.

mod analysis;
pub(crate) mod graph;

use std::time::Instant;

use dcheck_model::system::{LivenessCheck, StepError, TransitionId, TransitionSystem};
use rayon::prelude::*;

use crate::coverage;
use crate::{
    collision_probability, CheckStatus, Config, FairnessWitness, Lasso, Limit, Outcome, Progress,
    Stats, Verdict, Violation, ViolationKind,
};
use analysis::{analyse, regions, Fairness};
use graph::{Built, Graph, NONE};

/// Bytes per state the analysis of one check is assumed to need, for the
/// memory limit checked before it starts.
const ANALYSIS_BYTES_PER_STATE: u64 = 32;

/// Checks the model's liveness properties after the safety search that
/// produced `safety` (which has already run with `config`). Runs only when
/// `safety.result` is `Verdict::Ok`; otherwise marks every check
/// not checked.
pub fn run<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    safety: Outcome,
    start: Instant,
) -> Outcome {
    run_inner(model, config, progress, Some(safety), start)
        .expect("with a safety outcome given, the build checks no safety")
}

/// Liveness checking with the safety checks folded into the graph build, so
/// that the state space is explored once: every expanded state's invariants
/// and deadlock are checked there. For BFS without limits only (the caller
/// checks): the graph build's order and counts are those of the BFS safety
/// search (same distinct and generated states, same depth). `None` if the
/// build met an invariant violation, a deadlock or an evaluation error: the
/// caller then runs the safety search, which reports it with its canonical
/// trace, and [`run`].
pub fn run_fused<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
) -> Option<Outcome> {
    run_inner(model, config, progress, None, start)
}

/// [`run`] (`safety` given) or [`run_fused`] (`None`).
fn run_inner<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    safety: Option<Outcome>,
    start: Instant,
) -> Option<Outcome> {
    let checks = model.liveness_checks();
    let fused = safety.is_none();
    let expected = safety
        .as_ref()
        .map(|s| (s.stats.distinct_states, s.stats.states_generated));
    let mut safety = safety.unwrap_or(Outcome {
        coverage: Vec::new(),
        result: Verdict::Ok,
        stats: Stats::default(),
        liveness: Vec::new(),
    });
    safety.liveness = vec![CheckStatus::NotChecked; checks.len()];
    if checks.is_empty() || safety.result != Verdict::Ok {
        return Some(safety);
    }
    let t0 = Instant::now();
    let threads = config.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("cannot start the worker threads");
    let finish = |mut out: Outcome, graph_bytes: u64, edges: u64| {
        out.stats.graph_bytes = graph_bytes;
        out.stats.graph_edges = edges;
        out.stats.liveness_seconds = t0.elapsed().as_secs_f64();
        out.stats.elapsed = start.elapsed();
        out.stats.bytes_used = out.stats.bytes_used.max(graph_bytes);
        Some(out)
    };
    let mut scratch = model.scratch();
    let (graph, errors, build_peak) = match graph::build(
        model,
        config,
        &pool,
        progress,
        expected,
        fused.then_some(config.check_deadlock),
    ) {
        Built::Unsafe => return None,
        Built::Limit(limit) => {
            safety.result = Verdict::Incomplete(limit);
            if fused {
                // The build was the search: its figures so far are the
                // ones it last published.
                let load =
                    |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
                safety.stats.distinct_states = load(&progress.distinct);
                safety.stats.states_generated = load(&progress.generated);
                safety.stats.depth = load(&progress.depth) as u32;
            }
            return finish(safety, 0, 0);
        }
        Built::InitError(e) => {
            safety.result = Verdict::Violation(Violation::at_init(e));
            return finish(safety, 0, 0);
        }
        Built::Graph {
            graph,
            errors,
            peak,
            generated,
            depth,
        } => {
            if fused {
                safety.coverage = coverage::of_graph(
                    &graph,
                    &coverage::action_table(model),
                    model.action_count(),
                );
                let n = graph.n as u64;
                safety.stats.distinct_states = n;
                safety.stats.states_generated = generated;
                safety.stats.depth = depth;
                safety.stats.fingerprint_collision_probability =
                    collision_probability(n, generated);
            }
            (graph, errors, peak)
        }
    };
    let edges = graph.targets.len() as u64;
    if !errors.is_empty() {
        let (id, root, labels) = first_error(&graph, &errors);
        let error = errors
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, e)| e.clone())
            .expect("an error state");
        let root = root_index(&graph, root);
        let r = replay(model, &mut scratch, &graph, root, &labels);
        safety.result = Verdict::Violation(Violation::path(ViolationKind::EvalError(error), r));
        return finish(safety, build_peak, edges);
    }

    let at_once = threads.min(checks.len()) as u64;
    let predicted = graph.bytes() + at_once * ANALYSIS_BYTES_PER_STATE * graph.n as u64;
    if config.memory_limit().is_some_and(|m| predicted > m) {
        safety.result = Verdict::Incomplete(Limit::Memory);
        return finish(safety, build_peak.max(graph.bytes()), edges);
    }

    let results: Vec<analysis::Result> = pool.install(|| {
        checks
            .par_iter()
            .map(|check| {
                let fair = check_fairness(model, check);
                let rg = regions(&graph, &check.form);
                analyse(&graph, &rg, &fair)
            })
            .collect()
    });
    let mut sizes: Vec<u64> = results.iter().map(|r| r.bytes).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let analysis_peak: u64 = sizes.iter().take(at_once as usize).sum();
    let graph_bytes = build_peak.max(graph.bytes() + analysis_peak);

    let mut verdict = Verdict::Ok;
    for (i, r) in results.iter().enumerate() {
        safety.liveness[i] = if r.lasso.is_some() {
            CheckStatus::Violated
        } else {
            CheckStatus::Holds
        };
    }
    if let Some((i, path)) = results
        .iter()
        .enumerate()
        .find_map(|(i, r)| r.lasso.as_ref().map(|p| (i, p)))
    {
        let check = &checks[i];
        let fair = check_fairness(model, check);
        let root = root_index(&graph, path.states[0]);
        let r =
            replay(model, &mut scratch, &graph, root, &path.labels).check_cycle(path.loop_start);
        let fairness = witnesses(&graph, &fair, &check.fairness, path);
        verdict = Verdict::Violation(Violation {
            kind: ViolationKind::Liveness(i as u32),
            trace: r.trace,
            // A lasso that did not replay is shown as the path that did.
            lasso: r.error.is_none().then_some(Lasso {
                loop_start: path.loop_start,
                fairness,
            }),
            replay_error: r.error,
        });
    }
    safety.result = verdict;
    finish(safety, graph_bytes, edges)
}

/// The position in `graph.initial` of the initial state `id`.
fn root_index(graph: &Graph, id: u32) -> usize {
    graph
        .initial
        .iter()
        .position(|&i| i == id)
        .expect("an initial state")
}

/// The first state raising an error in BFS order over the graph (initial
/// states in emission order, edges in order): (that state, the initial
/// state of the shortest path to it, the path's transitions).
fn first_error(graph: &Graph, errors: &[(u32, StepError)]) -> (u32, u32, Vec<TransitionId>) {
    let n = graph.n;
    let mut bad = vec![false; n];
    for (s, _) in errors {
        bad[*s as usize] = true;
    }
    let mut par = vec![NONE; n];
    let mut queue: Vec<u32> = Vec::new();
    let root = NONE - 1;
    let mut found = None;
    'bfs: {
        for &i in &graph.initial {
            if par[i as usize] == NONE {
                par[i as usize] = root;
                queue.push(i);
                if bad[i as usize] {
                    found = Some(i);
                    break 'bfs;
                }
            }
        }
        let mut head = 0;
        while head < queue.len() {
            let u = queue[head];
            head += 1;
            for e in graph.edges(u) {
                let v = graph.targets[e];
                if par[v as usize] == NONE {
                    par[v as usize] = u;
                    queue.push(v);
                    if bad[v as usize] {
                        found = Some(v);
                        break 'bfs;
                    }
                }
            }
        }
    }
    let target = found.expect("error states are reachable");
    let mut labels = Vec::new();
    let mut v = target;
    while par[v as usize] != root {
        let p = par[v as usize];
        labels.push(
            graph
                .labels
                .get(graph.first_edge(p, v).expect("parent edge")),
        );
        v = p;
    }
    labels.reverse();
    (target, v, labels)
}

/// The trace from initial state number `root` of `graph.initial` along
/// `labels`, by replaying the model.
fn replay<M: TransitionSystem>(
    model: &M,
    scratch: &mut M::Scratch,
    graph: &Graph,
    root: usize,
    labels: &[TransitionId],
) -> crate::trace::Replayed {
    let words = model.state_words();
    crate::trace::replay(
        model,
        scratch,
        &graph.initial_words[root * words..(root + 1) * words],
        labels,
    )
}

/// The fairness constraints of `check`, ready for the analysis.
fn check_fairness<M: TransitionSystem>(model: &M, check: &LivenessCheck) -> Fairness {
    let all = model.fairness_constraints();
    let constraints: Vec<_> = check.fairness.iter().map(|&c| &all[c as usize]).collect();
    Fairness::new(&constraints, model.transition_count())
}

/// The [`FairnessWitness`]es of a lasso for the check's constraints
/// (`ids`: their indices among the model's constraints).
fn witnesses(
    graph: &Graph,
    fair: &Fairness,
    ids: &[u32],
    path: &analysis::Path,
) -> Vec<FairnessWitness> {
    let len = path.states.len();
    let ls = path.loop_start;
    // The cycle's states: the last one repeats `loop_start`, unless the
    // cycle is empty (stuttering), when `loop_start` is the only one.
    let cycle = if len - 1 > ls { ls..len - 1 } else { ls..len };
    ids.iter()
        .enumerate()
        .map(|(c, &id)| {
            let taken_at = (ls + 1..len).find(|&i| {
                path.states[i] != path.states[i - 1] && fair.contains(path.labels[i - 1], c)
            });
            let disabled_at = cycle
                .clone()
                .find(|&i| !fair.enabled(graph, path.states[i], c));
            let enabled_somewhere = cycle
                .clone()
                .any(|i| fair.enabled(graph, path.states[i], c));
            FairnessWitness {
                constraint: id,
                taken_at,
                disabled_at,
                enabled_somewhere,
            }
        })
        .collect()
}
