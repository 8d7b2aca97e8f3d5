//! Liveness checking under fairness, on the explicit state graph.
//!
//! The graph is recorded by the one BFS ([`crate::bfs`], see
//! [`crate::graph`]); the checks run when the search found no safety
//! violation and met no limit, otherwise every check is
//! [`CheckStatus::NotChecked`].
//!
//! # Semantics
//!
//! A behaviour is an infinite path of the state graph from an initial state,
//! where a state may also repeat forever (stutter). A state with no enabled
//! transition always does (every fairness constraint is disabled there).
//! Any other state may too under TLA+'s semantics (the default), and not
//! under [`TransitionSystem::assume_progress`]; a stutter takes nothing, so
//! a check's weakly or strongly fair constraint enabled in a state forbids
//! stopping there. A fairness constraint `c` is a set of transitions, enabled in
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
//! (`Fair`, a refined spec's fairness checked as a property, is the same
//! search with the edges its step predicate holds on left out of `R`.)
//!
//! Any other formula (`TemporalForm::General`) is the same search on the
//! product of the graph and the automaton of its negation
//! ([`product`]): R = E = every product node, one acceptance set per
//! `until` of the automaton (a fair component must meet each; the cycle
//! visits each), fairness read at each node's state ([`analysis::Base`]),
//! stuttering as edges of the product. Its prefix is a 0-1 BFS (a stutter
//! costs nothing: it is dropped when the lasso is mapped back to states).
//!
//! # Algorithm
//!
//! 1. The graph: the whole reachable graph, with the BFS ids, edges in
//!    compressed sparse rows and one bit per predicate and state. With
//!    `--strategy bfs` the search that checks the invariants records it
//!    ([`check`]); with DFS, a second pass (a BFS that does not check
//!    again) after the DFS found nothing. An evaluation error of a
//!    predicate is reported like one of the safety search, with a shortest
//!    trace (BFS over the graph from the initial states in emission order).
//! 2. [`analysis`], per check (side by side on the threads while their
//!    tables stay within half the graph's size, else one at a time):
//!    the strongly connected components of the subgraph induced by `R`
//!    (iterative Tarjan). A component is a candidate if it has an internal
//!    edge, or is a single state without any out-edge (stuttering, fair),
//!    or, under TLA+'s semantics, any single state (its stutter is a cycle
//!    that takes nothing: the fairness test below decides).
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
//!    `f` stutters when it has no out-edge, or under TLA+'s semantics when
//!    it is an `A` state enabling none of the check's constraints: then the
//!    cycle is empty, the shortest there is.
//!    Nothing here depends on the id numbering, so the counterexample is
//!    the same for any strategy and thread count. The lasso is then
//!    tightened ([`analysis::tighten`]: a cycle gone round twice kept once,
//!    the cycle started earlier while the step into it repeats its last
//!    step), so the reported `loop_start` may come before `f`.
//!
//! The reported violation is the lowest-index violated check, its trace
//! rebuilt by replaying [`TransitionSystem::step`]. For a stuttering cycle
//! (empty, `loop_start == trace.len() - 1`) the one state of the cycle is
//! `trace[loop_start]`: it enables no constraint, so every
//! [`FairnessWitness`] has `disabled_at == Some(loop_start)`.
//!
//! # Memory
//!
//! While building: the BFS's stored states (the sorted fingerprints with
//! an id each: about 10.5 bytes a state), its parent links, the graph
//! (`offsets` 4 bytes per state, 4 + 2 bytes per edge with `u16` labels,
//! one bit per predicate and state; grown by an eighth at a time, so at
//! most an eighth of it is unused) and the frontier. The tables are
//! dropped before the analysis, which needs per check about 8 bytes per
//! state (component tags, Tarjan indices), the Tarjan stacks (12 bytes a
//! state on the DFS path; a component is examined where it lies on the
//! stack), up to 4 bitsets, and for the lasso search 4 more bytes per
//! state (the phase-0 parents reuse the Tarjan indices) plus its queue,
//! which holds one BFS level at most. Raft (3 checks, one at a time):
//! 41 bytes a state in all (the JSON's `graph_bytes`), 47.9 with `u64`
//! offsets and two checks at once, 89 before these were measured and cut.
//! [`crate::Stats::graph_bytes`] is the peak of the two phases, counting
//! the analyses of as many checks as run at once.

mod analysis;
mod product;

use std::time::Instant;

use dcheck_model::system::{
    LivenessCheck, StepError, TemporalForm, TransitionId, TransitionSystem,
};
use rayon::prelude::*;

use crate::checkpoint::Snapshot;
use crate::graph::{Graph, Record, Recording, NONE};
use crate::{
    bfs, dfs, CheckStatus, Config, FairnessWitness, Lasso, Limit, Outcome, Progress, Strategy,
    Verdict, Violation, ViolationKind,
};
use analysis::{analyse, regions, Fairness, Regions, Set};

/// Bytes per state the analysis of one check is assumed to need, for the
/// memory limit checked before it starts.
const ANALYSIS_BYTES_PER_STATE: u64 = 32;

/// Bytes per state of one check's analysis tables as measured (component
/// tags and Tarjan indices; raft: 9.3), for how many run at once.
const ANALYSIS_TABLE_BYTES_PER_STATE: u64 = 10;

/// Explores `model` and checks its liveness properties on the state graph.
///
/// BFS: the one search records the graph while it checks the invariants,
/// deadlocks and evaluation errors, so the state space is explored once,
/// with the counts, coverage and counterexamples of a plain BFS. DFS: the
/// DFS search first; if it found nothing, a BFS records the graph without
/// checking again (its counts are the DFS's).
///
/// `from`: a checkpoint of the recording BFS to continue (BFS only).
pub(crate) fn check<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
    from: Option<Snapshot>,
) -> Outcome {
    let checks = model.liveness_checks();
    // The time of the graph build and the analysis (with DFS, from the
    // end of the DFS search).
    let mut t0 = Instant::now();
    let record = Record {
        predicates: true,
        safety: true,
        ..Record::default()
    };
    let (mut safety, recording, build_peak) = match config.strategy {
        Strategy::Bfs => {
            let (outcome, recording) = bfs::run(model, config, progress, start, Some(record), from);
            let peak = outcome.stats.bytes_used;
            (outcome, recording, peak)
        }
        Strategy::Dfs => {
            let mut outcome = dfs::run(model, config, progress, start);
            if outcome.result != Verdict::Ok {
                outcome.liveness = vec![CheckStatus::NotChecked; checks.len()];
                return outcome;
            }
            t0 = Instant::now();
            let again = Config {
                check_deadlock: false,
                ..config.clone()
            };
            let record = Record {
                safety: false,
                expected: Some((
                    outcome.stats.distinct_states,
                    outcome.stats.states_generated,
                )),
                ..record
            };
            let (second, recording) = bfs::run(model, &again, progress, start, Some(record), None);
            if second.result != Verdict::Ok {
                outcome.result = second.result;
            }
            (outcome, recording, second.stats.bytes_used)
        }
    };
    safety.liveness = vec![CheckStatus::NotChecked; checks.len()];
    let finish = |mut out: Outcome, graph_bytes: u64, edges: u64| {
        out.stats.graph_bytes = graph_bytes;
        out.stats.graph_edges = edges;
        out.stats.liveness_seconds = t0.elapsed().as_secs_f64();
        out.stats.elapsed = start.elapsed();
        out.stats.bytes_used = out.stats.bytes_used.max(graph_bytes);
        out
    };
    let Some(Recording { graph, errors, .. }) = recording else {
        return finish(safety, 0, 0);
    };
    if safety.result != Verdict::Ok {
        return finish(safety, 0, 0);
    }
    let threads = config.threads.max(1);
    let mut scratch = model.scratch();
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

    // Checks are analysed side by side (one per thread) only while their
    // tables stay within half the graph's size: the analysis is a small
    // part of the run, and the graph is what a run must fit. Measured, raft
    // (3 checks, 2 threads): two at once were 118.4 MiB at the peak, one at
    // a time 108.3 MiB, in the same wall time (0.96x, `farm-bench -n 5`).
    let tables = ANALYSIS_TABLE_BYTES_PER_STATE * graph.n as u64;
    let at_once = (graph.bytes() / 2 / tables.max(1)).clamp(1, threads.min(checks.len()) as u64);
    let predicted = graph.bytes() + at_once * ANALYSIS_BYTES_PER_STATE * graph.n as u64;
    if config.memory_limit().is_some_and(|m| predicted > m) {
        safety.result = Verdict::Incomplete(Limit::Memory);
        return finish(safety, build_peak.max(graph.bytes()), edges);
    }

    // Products are built by as many checks at once as there are threads.
    let product_limit = config
        .memory_limit()
        .map(|m| m.saturating_sub(graph.bytes()) / at_once.max(1));
    let results: Vec<Option<analysis::Result>> = crate::pool(at_once as usize).install(|| {
        checks
            .par_iter()
            .map(|check| {
                let as_general;
                let form = match &check.form {
                    f @ TemporalForm::General { .. } => f,
                    f if config.general_liveness => match f.as_general() {
                        Some(g) => {
                            as_general = g;
                            &as_general
                        }
                        None => f,
                    },
                    f => f,
                };
                let mut r = match form {
                    TemporalForm::General {
                        atoms, automaton, ..
                    } => analyse_product(model, &graph, check, atoms, automaton, product_limit)?,
                    _ => {
                        let fair = check_fairness(model, check, !model.assume_progress());
                        analyse(&graph, None, &regions(&graph, form), &fair)
                    }
                };
                r.lasso = r.lasso.map(analysis::tighten);
                Some(r)
            })
            .collect()
    });
    if results.iter().any(Option::is_none) {
        safety.result = Verdict::Incomplete(Limit::Memory);
        return finish(safety, build_peak.max(graph.bytes()), edges);
    }
    let results: Vec<analysis::Result> = results.into_iter().flatten().collect();
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
        let fair = check_fairness(model, check, !model.assume_progress());
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

/// The analysis of a general check on the product of `graph` and its
/// automaton, its lasso mapped back to states; `None` if the product is
/// over `limit` bytes.
fn analyse_product<M: TransitionSystem>(
    model: &M,
    graph: &Graph,
    check: &LivenessCheck,
    atoms: &[dcheck_model::system::Atom],
    automaton: &dcheck_model::ltl::Automaton,
    limit: Option<u64>,
) -> Option<analysis::Result> {
    let stutter = !model.assume_progress();
    let p = product::build(
        graph,
        atoms,
        automaton,
        model.transition_count(),
        stutter,
        limit,
    )
    .ok()?;
    // Stuttering is the product's edges: none implied.
    let fair = check_fairness(model, check, false);
    let bytes = p.bytes();
    let rg = Regions {
        r: Set::All,
        e: Set::All,
        a: p.accepting,
        direct: false,
        skip: None,
    };
    let mut r = analyse(&p.graph, Some(&p.base), &rg, &fair);
    r.bytes += bytes;
    r.lasso = r.lasso.map(|l| product::to_states(&p.base.of, &l));
    Some(r)
}

/// The fairness constraints of `check`, ready for the analysis
/// (`stutter`: a single state is a cycle of its own).
fn check_fairness<M: TransitionSystem>(
    model: &M,
    check: &LivenessCheck,
    stutter: bool,
) -> Fairness {
    let all = model.fairness_constraints();
    let constraints: Vec<_> = check.fairness.iter().map(|&c| &all[c as usize]).collect();
    Fairness::new(&constraints, model.transition_count(), stutter)
}

/// The [`FairnessWitness`]es of a lasso for the check's constraints
/// (`ids`: their indices among the model's constraints).
fn witnesses(
    graph: &Graph,
    fair: &Fairness,
    ids: &[u32],
    path: &analysis::Path,
) -> Vec<FairnessWitness> {
    let (s, l) = (&path.states, &path.labels);
    ids.iter()
        .enumerate()
        .map(|(c, &id)| {
            FairnessWitness::of_lasso(
                id,
                s.len(),
                path.loop_start,
                |i| s[i] != s[i - 1] && fair.contains(l[i - 1], c),
                |i| fair.enabled(graph, s[i], c),
            )
        })
        .collect()
}
