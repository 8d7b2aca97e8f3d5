//! Liveness checking: hand-built models with lassos derived by hand, and a
//! property test against a brute-force reference (every subset of the
//! states of small random graphs).

use dcheck_engine::{
    check, CheckStatus, Config, FairnessWitness, Lasso, Outcome, Progress, Strategy, TraceStep,
    Verdict, Violation, ViolationKind,
};
use dcheck_model::ltl::{self, Formula};
use dcheck_model::system::{
    Atom, EvalError, FairnessConstraint, LivenessCheck, StepError, TemporalForm, Word,
};
use proptest::prelude::*;

use crate::common;

use common::{infallible, Live, TestModel};
use proptest::strategy::Strategy as _;

/// A graph as a model: state = [node]; `adj[n]` lists (transition, target)
/// in increasing transition order, at most one edge per transition;
/// `preds[p]` lists the nodes where predicate `p` holds.
fn graph(
    init: Vec<u64>,
    adj: Vec<Vec<(u32, u64)>>,
    transitions: usize,
    preds: Vec<Vec<u64>>,
) -> TestModel {
    TestModel {
        words: 1,
        transitions,
        init: init.into_iter().map(|n| vec![n]).collect(),
        next: infallible(move |s, t| {
            adj[s[0] as usize]
                .iter()
                .find(|e| e.0 == t)
                .map(|e| vec![e.1])
        }),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live {
            preds: preds.len(),
            pred: Box::new(move |s, p| Ok(preds[p as usize].contains(&s[0]))),
            constraints: vec![],
            checks: vec![],
            assume_progress: false,
            ..Live::default()
        },
    }
}

fn weak(ts: &[u32]) -> FairnessConstraint {
    FairnessConstraint {
        strong: false,
        transitions: ts.to_vec(),
    }
}

fn strong(ts: &[u32]) -> FairnessConstraint {
    FairnessConstraint {
        strong: true,
        transitions: ts.to_vec(),
    }
}

fn lc(form: TemporalForm, fairness: &[u32]) -> LivenessCheck {
    LivenessCheck {
        form,
        fairness: fairness.to_vec(),
    }
}

const MODES: [(Strategy, usize); 4] = [
    (Strategy::Bfs, 1),
    (Strategy::Bfs, 2),
    (Strategy::Dfs, 1),
    (Strategy::Dfs, 2),
];

/// Runs every mode; asserts they agree (verdict, statuses, lasso) and
/// returns the BFS single-thread outcome.
fn run_all(m: &TestModel) -> Outcome {
    run_modes(m, false)
}

/// [`run_all`], the fixed forms checked through the automaton product when
/// `general_liveness`.
fn run_modes(m: &TestModel, general_liveness: bool) -> Outcome {
    let mut first: Option<Outcome> = None;
    for (strategy, threads) in MODES {
        let config = Config {
            strategy,
            threads,
            general_liveness,
            ..Config::default()
        };
        let out = check(m, &config, &Progress::new());
        if let Some(f) = &first {
            assert_eq!(out.result, f.result, "{strategy:?}/{threads}");
            assert_eq!(out.liveness, f.liveness, "{strategy:?}/{threads}");
            assert_eq!(out.stats.graph_edges, f.stats.graph_edges);
        } else {
            first = Some(out);
        }
    }
    first.expect("ran")
}

fn liveness_violation(out: &Outcome) -> &Violation {
    match &out.result {
        Verdict::Violation(v) => v,
        other => panic!("expected a violation, got {other:?}"),
    }
}

/// (transition, state) pairs of a trace.
fn pairs(trace: &[TraceStep]) -> Vec<(Option<u32>, Vec<Word>)> {
    trace
        .iter()
        .map(|s| (s.transition, s.state.clone()))
        .collect()
}

fn assert_lasso(
    v: &Violation,
    check: u32,
    steps: &[(Option<u32>, Vec<Word>)],
    loop_start: usize,
    fairness: Vec<FairnessWitness>,
) {
    assert_eq!(v.kind, ViolationKind::Liveness(check));
    assert_eq!(pairs(&v.trace), steps);
    assert_eq!(
        v.lasso,
        Some(Lasso {
            loop_start,
            fairness
        })
    );
}

fn witness(
    constraint: u32,
    taken_at: Option<usize>,
    disabled_at: Option<usize>,
    enabled_somewhere: bool,
) -> FairnessWitness {
    FairnessWitness {
        constraint,
        taken_at,
        disabled_at,
        enabled_somewhere,
    }
}

use CheckStatus::{Holds, NotChecked, Violated};
use TemporalForm::{AlwaysEventually, Eventually, EventuallyAlways, Fair, LeadsTo};

/// Two lights [a, b] (0 red, 1 green), from [0, 0]. `mutex`: switch(l)
/// (transition l) turns light l green if the other is red, or red; without
/// `mutex` each switch always toggles its light. Predicate 0: some light is
/// green; 1: light 2 (b) is green.
fn lights(mutex: bool) -> TestModel {
    TestModel {
        words: 2,
        transitions: 2,
        init: vec![vec![0, 0]],
        next: infallible(move |s, t| {
            let (me, other) = (t as usize, 1 - t as usize);
            if mutex && s[me] == 0 && s[other] == 1 {
                return None;
            }
            let mut n = s.to_vec();
            n[me] ^= 1;
            Some(n)
        }),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live {
            preds: 2,
            pred: Box::new(|s, p| {
                Ok(if p == 0 {
                    s[0] == 1 || s[1] == 1
                } else {
                    s[1] == 1
                })
            }),
            constraints: vec![weak(&[1]), strong(&[1]), weak(&[0])],
            checks: vec![],
            assume_progress: false,
            ..Live::default()
        },
    }
}

/// Some light green infinitely often (no fairness); light 2 green
/// infinitely often with no fairness, weak switch(2), weak switch(1).
fn light_checks() -> Vec<LivenessCheck> {
    vec![
        lc(AlwaysEventually(0), &[]),
        lc(AlwaysEventually(1), &[]),
        lc(AlwaysEventually(1), &[0]),
        lc(AlwaysEventually(1), &[2]),
    ]
}

#[test]
fn traffic_light_independent_switches() {
    // Derived under the progress assumption (no stuttering where a switch
    // is enabled); the stuttering semantics is the test after this one.
    let mut m = lights(false);
    m.live.assume_progress = true;
    m.live.checks = light_checks();
    let out = run_all(&m);
    // 0: ¬(some green) is only [0,0], whose two edges leave it: no cycle.
    // 1: {[0,0], [1,0]} (b red) is a cycle by switch(1) both ways.
    // 2: weak fairness of switch(2), enabled everywhere in that cycle and
    //    never taken in it: the cycle is unfair, the only one: holds.
    // 3: weak fairness of switch(1) is taken on the cycle: still violated.
    assert_eq!(out.liveness, vec![Holds, Violated, Holds, Violated]);
    let v = liveness_violation(&out);
    // [0,0] is initial and in E = R = ¬P: the loop starts there; the cycle
    // is the BFS path back: [0,0] -s1-> [1,0] -s1-> [0,0].
    let steps = vec![
        (None, vec![0, 0]),
        (Some(0), vec![1, 0]),
        (Some(0), vec![0, 0]),
    ];
    assert_lasso(v, 1, &steps, 0, vec![]);
    // Check 3 alone: the same lasso, switch(1) taken at step 1.
    m.live.checks = vec![lc(AlwaysEventually(1), &[2])];
    let out = run_all(&m);
    assert_lasso(
        liveness_violation(&out),
        0,
        &steps,
        0,
        vec![witness(2, Some(1), None, true)],
    );
}

#[test]
fn traffic_light_mutex_needs_strong_fairness() {
    // Derived under the progress assumption.
    let mut m = lights(true);
    m.live.assume_progress = true;
    m.live.checks = vec![
        lc(AlwaysEventually(0), &[]),
        lc(AlwaysEventually(1), &[0]),
        lc(AlwaysEventually(1), &[1]),
    ];
    let out = run_all(&m);
    // Reachable: [0,0], [1,0], [0,1]. b red: {[0,0], [1,0]}, a cycle by
    // switch(1); switch(2) is enabled at [0,0] only (at [1,0] light 1 is
    // green): weak fairness is met by visiting [1,0], strong fairness is
    // not (enabled infinitely often, never taken; removing [0,0] leaves
    // [1,0] without a self-loop).
    assert_eq!(out.liveness, vec![Holds, Violated, Holds]);
    // Loop at [0,0]; obligation "take switch(2) or visit a state disabling
    // it": BFS from [0,0] reaches [1,0] by switch(1) (disables it), then
    // back by switch(1). switch(2) is never taken; disabled at index 1.
    assert_lasso(
        liveness_violation(&out),
        1,
        &[
            (None, vec![0, 0]),
            (Some(0), vec![1, 0]),
            (Some(0), vec![0, 0]),
        ],
        0,
        vec![witness(0, None, Some(1), true)],
    );
}

/// x toggles 0 <-> 1 by `tick` (t0); `go` (t1) is enabled only at x = 1 and
/// leads to the done state 2, which has no transitions. Predicate 0: done.
fn toggle() -> TestModel {
    let mut m = graph(
        vec![0],
        vec![vec![(0, 1)], vec![(0, 0), (1, 2)], vec![]],
        2,
        vec![vec![2]],
    );
    m.live.constraints = vec![weak(&[1]), strong(&[1])];
    m
}

#[test]
fn eventually_needs_strong_fairness() {
    // Derived under the progress assumption: a behaviour does not stop at
    // 0 or 1, where tick is enabled. Stuttering: the test after this one.
    let mut m = toggle();
    m.live.assume_progress = true;
    m.live.checks = vec![
        lc(Eventually(0), &[]),
        lc(Eventually(0), &[0]),
        lc(Eventually(0), &[1]),
    ];
    let out = run_all(&m);
    // ¬done = {0, 1}, a cycle by tick. Weak fairness of go: go is disabled
    // at 0, which the cycle visits: fair. Strong: go enabled at 1
    // infinitely often and never taken: unfair; removing 1 leaves {0}, no
    // self-loop: holds.
    assert_eq!(out.liveness, vec![Violated, Violated, Holds]);
    // The initial state 0 is the loop entry; the cycle is 0 -> 1 -> 0.
    let steps = vec![(None, vec![0]), (Some(0), vec![1]), (Some(0), vec![0])];
    assert_lasso(liveness_violation(&out), 0, &steps, 0, vec![]);
    m.live.checks = vec![lc(Eventually(0), &[0, 1]), lc(Eventually(0), &[0])];
    let out = run_all(&m);
    assert_eq!(out.liveness, vec![Holds, Violated]);
    // Check 1: the weak obligation is met at the loop entry itself (go is
    // disabled at 0), so the cycle is just the shortest way back to 0.
    assert_lasso(
        liveness_violation(&out),
        1,
        &steps,
        0,
        vec![witness(0, None, Some(0), true)],
    );
}

#[test]
fn stuttering_semantics_lets_a_behaviour_stop_where_fairness_allows() {
    // The toggle of the test above, TLA+'s semantics: any state may repeat
    // forever (a stutter step takes nothing), unless a fairness
    // constraint the check lists is enabled there.
    let mut m = toggle();
    m.live.checks = vec![
        lc(Eventually(0), &[]),
        lc(Eventually(0), &[0]),
        lc(Eventually(0), &[1]),
        lc(Eventually(0), &[0, 1]),
    ];
    let out = run_all(&m);
    // 0: stutter in the initial state 0 forever: nothing forbids it.
    // 1: weak fairness of go: go is disabled at 0, so stuttering there is
    //    fair (under progress this check was violated only through the
    //    tick cycle).
    // 2: strong fairness of go: go is enabled at 1 only; stuttering at 0
    //    never enables it: violated (it held under progress, where tick
    //    had to be taken).
    // 3: both: the same stutter at 0.
    assert_eq!(out.liveness, vec![Violated, Violated, Violated, Violated]);
    // The shortest lasso: the initial state, stuttering (empty cycle).
    assert_lasso(liveness_violation(&out), 0, &[(None, vec![0])], 0, vec![]);
    m.live.checks = vec![lc(Eventually(0), &[0, 1])];
    let out = run_all(&m);
    assert_lasso(
        liveness_violation(&out),
        0,
        &[(None, vec![0])],
        0,
        vec![
            witness(0, None, Some(0), false),
            witness(1, None, Some(0), false),
        ],
    );
    // Weak fairness of tick (t0) as well: tick is enabled at 0 and 1, so
    // neither may stutter; the tick cycle {0, 1} takes tick but leaves go
    // enabled at 1 infinitely often: fair under weak go, so violated; under
    // strong go the cycle is unfair and stuttering at 0 or 1 too: holds.
    m.live.constraints = vec![weak(&[1]), strong(&[1]), weak(&[0])];
    m.live.checks = vec![lc(Eventually(0), &[2, 0]), lc(Eventually(0), &[2, 1])];
    let out = run_all(&m);
    assert_eq!(out.liveness, vec![Violated, Holds]);
    let steps = vec![(None, vec![0]), (Some(0), vec![1]), (Some(0), vec![0])];
    assert_lasso(
        liveness_violation(&out),
        0,
        &steps,
        0,
        vec![
            witness(2, Some(1), None, true),
            witness(0, None, Some(0), true),
        ],
    );
}

#[test]
fn traffic_light_stutters_under_tla_semantics() {
    // `lights(false)` of the test above, TLA+'s semantics.
    let mut m = lights(false);
    m.live.checks = light_checks();
    let out = run_all(&m);
    // 0: [0,0] (no light green) may stutter forever: violated (it held
    //    under progress: both edges leave [0,0]).
    // 1: the same stutter.
    // 2: weak fairness of switch(2), enabled everywhere: no state may
    //    stutter, and the b-red cycle never takes it: holds.
    // 3: weak fairness of switch(1), enabled everywhere: no stutter, but
    //    the b-red cycle [0,0] <-> [1,0] takes it: violated.
    assert_eq!(out.liveness, vec![Violated, Violated, Holds, Violated]);
    assert_lasso(
        liveness_violation(&out),
        0,
        &[(None, vec![0, 0])],
        0,
        vec![],
    );
    m.live.checks = vec![lc(AlwaysEventually(1), &[2])];
    let out = run_all(&m);
    assert_lasso(
        liveness_violation(&out),
        0,
        &[
            (None, vec![0, 0]),
            (Some(0), vec![1, 0]),
            (Some(0), vec![0, 0]),
        ],
        0,
        vec![witness(2, Some(1), None, true)],
    );
}

#[test]
fn eventually_always_cycle_revisits_its_entry() {
    // 0 -t0-> 1; 1 -t0-> 2, 1 -t1-> 3; 2 -t0-> 1; 3 -t0-> 1. P holds
    // everywhere but at 2. Strong fairness of t1 (enabled at 1, taken on
    // 1 -> 3).
    let mut m = graph(
        vec![0],
        vec![
            vec![(0, 1)],
            vec![(0, 2), (1, 3)],
            vec![(0, 1)],
            vec![(0, 1)],
        ],
        2,
        vec![vec![0, 1, 3]],
    );
    m.live.constraints = vec![strong(&[1])];
    m.live.checks = vec![lc(EventuallyAlways(0), &[]), lc(EventuallyAlways(0), &[0])];
    let out = run_all(&m);
    assert_eq!(out.liveness, vec![Violated, Violated]);
    // Check 0: E = R = all, A = ¬P = {2}; the fair component is {1, 2, 3}.
    // BFS: (0, phase 0), switch (0, 1) (not fair); then 1 (phase 0),
    // switch at 1: fair, the loop entry. Cycle: visit A: 1 -> 2, back:
    // 2 -> 1.
    assert_lasso(
        liveness_violation(&out),
        0,
        &[
            (None, vec![0]),
            (Some(0), vec![1]),
            (Some(0), vec![2]),
            (Some(0), vec![1]),
        ],
        1,
        vec![],
    );
    m.live.checks = vec![lc(EventuallyAlways(0), &[0])];
    let out = run_all(&m);
    // Obligations at 1: visit 2 (A), take t1. The nearest: state 2 (first
    // edge); then from 2: 2 -> 1, and the edge 1 -t1-> 3; back 3 -> 1. The
    // cycle goes through 1 twice. t1 taken at trace index 4; the first cycle
    // state disabling it is 2 (index 2).
    assert_lasso(
        liveness_violation(&out),
        0,
        &[
            (None, vec![0]),
            (Some(0), vec![1]),
            (Some(0), vec![2]),
            (Some(0), vec![1]),
            (Some(1), vec![3]),
            (Some(0), vec![1]),
        ],
        1,
        vec![witness(0, Some(4), Some(2), true)],
    );
}

#[test]
fn stuttering_end_state() {
    // 0 -t0-> 1, and 1 has no transition; P (predicate 0) holds nowhere.
    let mut m = graph(vec![0], vec![vec![(0, 1)], vec![]], 1, vec![vec![]]);
    m.live.constraints = vec![weak(&[0]), strong(&[0])];
    m.live.checks = vec![lc(Eventually(0), &[0, 1]), lc(AlwaysEventually(0), &[])];
    let out = run_all(&m);
    assert_eq!(out.liveness, vec![Violated, Violated]);
    // The behaviour 0, 1, 1, ...: the entry 0 is not in a fair component
    // (no cycle), 1 stutters (fair, every constraint disabled there).
    assert_lasso(
        liveness_violation(&out),
        0,
        &[(None, vec![0]), (Some(0), vec![1])],
        1,
        vec![
            witness(0, None, Some(1), false),
            witness(1, None, Some(1), false),
        ],
    );
}

#[test]
fn leads_to() {
    // 0 idle -request(t0)-> 1 waiting -grant(t1)-> 2 granted -release(t2)-> 0,
    // and waiting may spin (t3: 1 -> 1). P = waiting, Q = granted.
    let mut m = graph(
        vec![0],
        vec![vec![(0, 1)], vec![(1, 2), (3, 1)], vec![(2, 0)]],
        4,
        vec![vec![1], vec![2], vec![0, 1, 2]],
    );
    m.live.constraints = vec![weak(&[1])];
    // Derived under the progress assumption.
    m.live.assume_progress = true;
    m.live.checks = vec![
        lc(LeadsTo(0, 1), &[]),
        lc(LeadsTo(0, 1), &[0]),
        // Every state leads to "anything": trivially holds.
        lc(LeadsTo(0, 2), &[]),
    ];
    let out = run_all(&m);
    // ¬Q = {0, 1}: {1} has a self-loop (spin); weak fairness of grant,
    // enabled at 1 and never taken on the spin, rejects it.
    assert_eq!(out.liveness, vec![Violated, Holds, Holds]);
    assert_lasso(
        liveness_violation(&out),
        0,
        &[(None, vec![0]), (Some(0), vec![1]), (Some(3), vec![1])],
        1,
        vec![],
    );
}

/// `check` of `m` in every search mode of `MODES`, default limits.
fn check_all_modes(m: &TestModel) -> Vec<Outcome> {
    MODES
        .iter()
        .map(|&(strategy, threads)| {
            let config = Config {
                strategy,
                threads,
                ..Config::default()
            };
            check(m, &config, &Progress::new())
        })
        .collect()
}

#[test]
fn not_checked_after_a_safety_violation() {
    let mut m = toggle();
    m.live.checks = vec![lc(Eventually(0), &[])];
    m.invariant = Some(Box::new(|s| (s == [2]).then_some(0)));
    for out in check_all_modes(&m) {
        assert!(matches!(
            out.result,
            Verdict::Violation(Violation {
                kind: ViolationKind::Invariant(0),
                ..
            })
        ));
        assert_eq!(out.liveness, vec![NotChecked]);
    }
}

/// The liveness graph build checks each state where it is first found
/// (against its parent) and the initial states on their own: a violation
/// in an initial state, or one level down, is found by both.
#[test]
fn safety_violations_at_and_next_to_the_initial_state() {
    for bad in [0u64, 1] {
        // 0 -> 1 -> 2 -> 2: no state leads back to the initial one.
        let mut m = graph(
            vec![0],
            vec![vec![(0, 1)], vec![(0, 2)], vec![(0, 2)]],
            1,
            vec![vec![2]],
        );
        m.live.checks = vec![lc(Eventually(0), &[])];
        m.invariant = Some(Box::new(move |s| (s == [bad]).then_some(0)));
        for out in check_all_modes(&m) {
            let Verdict::Violation(v) = &out.result else {
                panic!("state {bad}: {:?}", out.result);
            };
            assert_eq!(v.kind, ViolationKind::Invariant(0), "state {bad}");
            assert_eq!(v.trace.len() as u64, bad + 1, "state {bad}");
            assert_eq!(out.liveness, vec![NotChecked]);
        }
    }
}

#[test]
fn predicate_error_has_a_shortest_trace() {
    // Counter mod 10 by +1 (t0) and +3 (t1); predicate 0 fails at 6 and 7.
    let mut m = TestModel {
        words: 1,
        transitions: 2,
        init: vec![vec![0]],
        next: infallible(|s, t| Some(vec![(s[0] + 1 + 2 * t as u64) % 10])),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live {
            preds: 1,
            pred: Box::new(|s, _| {
                if s[0] == 6 || s[0] == 7 {
                    Err(EvalError::new("boom"))
                } else {
                    Ok(false)
                }
            }),
            constraints: vec![],
            checks: vec![lc(AlwaysEventually(0), &[])],
            assume_progress: false,
            ..Live::default()
        },
    };
    let out = run_all(&m);
    // 6 = 3 + 3 (two steps); 7 = 3 + 3 + 1 (three): 6 first, via t1, t1.
    let v = liveness_violation(&out);
    assert_eq!(
        v.kind,
        ViolationKind::EvalError(StepError {
            transition: None,
            error: EvalError::new("boom"),
        })
    );
    assert_eq!(
        pairs(&v.trace),
        vec![(None, vec![0]), (Some(1), vec![3]), (Some(1), vec![6])]
    );
    assert_eq!(v.lasso, None);
    assert_eq!(out.liveness, vec![NotChecked]);
    m.live.pred = Box::new(|_, _| Ok(false));
    let out = run_all(&m);
    assert_eq!(out.liveness, vec![Violated]);
    assert!(out.stats.graph_bytes > 0);
    assert_eq!(out.stats.graph_edges, 20);
}

// ---------------------------------------------------------------------------
// Property test against a brute-force reference.

/// A random graph: per node, per label, maybe an edge.
#[derive(Clone, Debug)]
struct Random {
    n: usize,
    init: Vec<u64>,
    adj: Vec<Vec<(u32, u64)>>,
    preds: Vec<Vec<u64>>,
    constraints: Vec<FairnessConstraint>,
    /// Step predicate 0: `taken[u * n + v]` on the steps from u to v.
    taken: Vec<bool>,
}

const LABELS: u32 = 4;

fn arb_random() -> impl proptest::strategy::Strategy<Value = Random> {
    (1usize..=8).prop_flat_map(|n| {
        let n64 = n as u64;
        (
            prop::collection::vec(0..n64, 1..3),
            prop::collection::vec(
                prop::collection::vec(prop::option::weighted(0.4, 0..n64), LABELS as usize),
                n,
            ),
            prop::collection::vec(prop::collection::vec(any::<bool>(), n), 2),
            prop::collection::vec((any::<bool>(), 1u32..16), 0..3),
            prop::collection::vec(any::<bool>(), n * n),
        )
            .prop_map(move |(init, edges, bits, cons, taken)| Random {
                n,
                init,
                adj: edges
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .enumerate()
                            .filter_map(|(t, e)| e.map(|v| (t as u32, v)))
                            .collect()
                    })
                    .collect(),
                preds: bits
                    .into_iter()
                    .map(|b| (0..n as u64).filter(|&i| b[i as usize]).collect())
                    .collect(),
                constraints: cons
                    .into_iter()
                    .map(|(s, mask)| FairnessConstraint {
                        strong: s,
                        transitions: (0..LABELS).filter(|t| mask >> t & 1 != 0).collect(),
                    })
                    .collect(),
                taken,
            })
    })
}

struct Reference<'a> {
    r: &'a Random,
    /// The semantics checked: see [`TransitionSystem::assume_progress`].
    assume_progress: bool,
    /// `reach[u][v]`: v reachable from u in >= 0 steps (any edges).
    reach: Vec<Vec<bool>>,
}

impl Reference<'_> {
    fn pred(&self, p: u32, s: usize) -> bool {
        self.r.preds[p as usize].contains(&(s as u64))
    }

    /// Whether the step from `u` to `v` may be used inside R: a `Fair`
    /// form leaves out the steps its step predicate holds on (a stutter
    /// satisfies none).
    fn inside(&self, form: &TemporalForm, u: usize, v: usize) -> bool {
        match *form {
            Fair { .. } => u == v || !self.r.taken[u * self.r.n + v],
            _ => true,
        }
    }

    /// (R, E, A, direct) as predicates over nodes.
    fn regions(&self, form: &TemporalForm, s: usize) -> (bool, bool, bool) {
        match *form {
            Fair {
                strong: false,
                enabled,
                ..
            } => (self.pred(enabled, s), self.pred(enabled, s), true),
            Fair {
                strong: true,
                enabled,
                ..
            } => (true, true, self.pred(enabled, s)),
            Eventually(p) => (
                !self.pred(p, s),
                !self.pred(p, s) && self.r.init.contains(&(s as u64)),
                true,
            ),
            AlwaysEventually(p) => (!self.pred(p, s), !self.pred(p, s), true),
            EventuallyAlways(p) => (true, true, !self.pred(p, s)),
            LeadsTo(p, q) => (!self.pred(q, s), self.pred(p, s) && !self.pred(q, s), true),
            TemporalForm::General { .. } => unreachable!("checked by lasso enumeration"),
        }
    }

    /// A self-loop is a stuttering step: it neither enables nor takes.
    fn enabled(&self, s: usize, c: &FairnessConstraint) -> bool {
        self.r.adj[s]
            .iter()
            .any(|e| e.1 as usize != s && c.transitions.contains(&e.0))
    }

    /// Brute force: some nonempty S inside R, strongly connected by its
    /// internal edges (or one state without out-edges), fair, meeting A,
    /// reachable inside R from an E state reachable from an initial state.
    fn violated(&self, check: &LivenessCheck) -> bool {
        let n = self.r.n;
        let reg: Vec<(bool, bool, bool)> = (0..n).map(|s| self.regions(&check.form, s)).collect();
        // Reachability inside R (>= 0 steps).
        let mut in_r = vec![vec![false; n]; n];
        for (u, row) in in_r.iter_mut().enumerate() {
            if !reg[u].0 {
                continue;
            }
            row[u] = true;
            let mut stack = vec![u];
            while let Some(x) = stack.pop() {
                for &(_, v) in &self.r.adj[x] {
                    let v = v as usize;
                    if reg[v].0 && !row[v] && self.inside(&check.form, x, v) {
                        row[v] = true;
                        stack.push(v);
                    }
                }
            }
        }
        let entries: Vec<usize> = (0..n)
            .filter(|&e| reg[e].1 && self.r.init.iter().any(|&i| self.reach[i as usize][e]))
            .collect();
        let cons: Vec<&FairnessConstraint> = check
            .fairness
            .iter()
            .map(|&c| &self.r.constraints[c as usize])
            .collect();
        for mask in 1u32..(1 << n) {
            let inside = |s: usize| mask >> s & 1 != 0;
            let members: Vec<usize> = (0..n).filter(|&s| inside(s)).collect();
            if members.iter().any(|&s| !reg[s].0) || !members.iter().any(|&s| reg[s].2) {
                continue;
            }
            // A single state repeating forever: a dead end always; under
            // TLA+'s semantics any state, if it enables no constraint.
            let stutter = members.len() == 1
                && (self.r.adj[members[0]].is_empty()
                    || (!self.assume_progress
                        && cons.iter().all(|c| !self.enabled(members[0], c))));
            if !stutter {
                // Strongly connected with >= 1 internal edge.
                let internal: Vec<(usize, u32, usize)> = members
                    .iter()
                    .flat_map(|&u| {
                        self.r.adj[u]
                            .iter()
                            .filter(|e| inside(e.1 as usize))
                            .filter(move |e| self.inside(&check.form, u, e.1 as usize))
                            .map(move |e| (u, e.0, e.1 as usize))
                    })
                    .collect();
                if internal.is_empty() {
                    continue;
                }
                let reaches = |from: usize| {
                    let mut seen = vec![false; n];
                    seen[from] = true;
                    let mut stack = vec![from];
                    while let Some(x) = stack.pop() {
                        for &(u, _, v) in &internal {
                            if u == x && !seen[v] {
                                seen[v] = true;
                                stack.push(v);
                            }
                        }
                    }
                    seen
                };
                let from0 = reaches(members[0]);
                if !members.iter().all(|&s| from0[s] && reaches(s)[members[0]]) {
                    continue;
                }
                let fair = cons.iter().all(|c| {
                    let taken = internal
                        .iter()
                        .any(|e| e.0 != e.2 && c.transitions.contains(&e.1));
                    if c.strong {
                        taken || !members.iter().any(|&s| self.enabled(s, c))
                    } else {
                        taken || members.iter().any(|&s| !self.enabled(s, c))
                    }
                });
                if !fair {
                    continue;
                }
            }
            if entries.iter().any(|&e| members.iter().any(|&s| in_r[e][s])) {
                return true;
            }
        }
        false
    }

    /// Checks a reported lasso: a real path from an initial state that loops
    /// back, stays in R from an E state on, meets A on the cycle, and
    /// respects every constraint, with correct witnesses.
    fn validate(&self, check: &LivenessCheck, v: &Violation) {
        let lasso = v.lasso.as_ref().expect("a lasso");
        let t = &v.trace;
        let node = |i: usize| t[i].state[0] as usize;
        let len = t.len();
        let ls = lasso.loop_start;
        assert!(ls < len);
        assert!(self.r.init.contains(&t[0].state[0]));
        for w in t.windows(2) {
            let tr = w[1].transition.expect("a transition");
            assert!(self.r.adj[w[0].state[0] as usize].contains(&(tr, w[1].state[0])));
        }
        assert_eq!(t[len - 1].state, t[ls].state);
        if ls == len - 1 && self.assume_progress {
            assert!(
                self.r.adj[node(ls)].is_empty(),
                "stuttering needs a dead end under the progress assumption"
            );
        }
        let reg = |i: usize| self.regions(&check.form, node(i));
        let entry_ok = match check.form {
            Eventually(_) => (0..len).all(|i| reg(i).0) && reg(0).1,
            // The entry may lie on the cycle (a lasso whose cycle starts
            // early is the same behaviour): from it on, and on the whole
            // cycle, which repeats after it, the states stay in R.
            _ => (0..len).any(|j| {
                let from = j.min(ls);
                reg(j).1
                    && (from..len).all(|i| reg(i).0)
                    && (from + 1..len).all(|i| self.inside(&check.form, node(i - 1), node(i)))
            }),
        };
        assert!(entry_ok, "no entry into R");
        let cycle = if len - 1 > ls { ls..len - 1 } else { ls..len };
        assert!(cycle.clone().any(|i| reg(i).2), "acceptance");
        assert_eq!(lasso.fairness.len(), check.fairness.len());
        for (w, &ci) in lasso.fairness.iter().zip(&check.fairness) {
            let c = &self.r.constraints[ci as usize];
            let taken_at = (ls + 1..len).find(|&i| {
                node(i) != node(i - 1) && c.transitions.contains(&t[i].transition.unwrap())
            });
            let disabled_at = cycle.clone().find(|&i| !self.enabled(node(i), c));
            let enabled_somewhere = cycle.clone().any(|i| self.enabled(node(i), c));
            assert_eq!(
                *w,
                FairnessWitness {
                    constraint: ci,
                    taken_at,
                    disabled_at,
                    enabled_somewhere
                }
            );
            if c.strong {
                assert!(taken_at.is_some() || !enabled_somewhere);
            } else {
                assert!(taken_at.is_some() || disabled_at.is_some());
            }
        }
    }
}

fn model_of(r: &Random, assume_progress: bool) -> TestModel {
    let mut m = graph(
        r.init.clone(),
        r.adj.clone(),
        LABELS as usize,
        r.preds.clone(),
    );
    m.live.constraints = r.constraints.clone();
    let all: Vec<u32> = (0..r.constraints.len() as u32).collect();
    let mut checks = vec![];
    for fairness in [vec![], all] {
        for form in [
            Eventually(0),
            AlwaysEventually(0),
            EventuallyAlways(0),
            LeadsTo(0, 1),
            LeadsTo(1, 0),
            Fair {
                strong: false,
                enabled: 0,
                taken: 0,
            },
            Fair {
                strong: true,
                enabled: 1,
                taken: 0,
            },
        ] {
            checks.push(lc(form, &fairness));
        }
    }
    m.live.checks = checks;
    m.live.assume_progress = assume_progress;
    let (n, taken) = (r.n, r.taken.clone());
    m.live.edge_preds = 1;
    m.live.edge_pred = Box::new(move |u, v, _| Ok(taken[u[0] as usize * n + v[0] as usize]));
    m
}

// The 400 random graphs of each setting of `assume_progress` are two tests,
// so that the test harness runs them side by side.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn matches_brute_force(r in arb_random()) {
        agrees_with_brute_force(&r, false)?;
    }

    #[test]
    fn matches_brute_force_assuming_progress(r in arb_random()) {
        agrees_with_brute_force(&r, true)?;
    }
}

/// Every check of the random graph `r`'s model: the verdicts of the
/// reference, lassos it accepts, through the fixed forms and through the
/// automaton product.
fn agrees_with_brute_force(r: &Random, assume_progress: bool) -> Result<(), TestCaseError> {
    let n = r.n;
    let mut reach = vec![vec![false; n]; n];
    for (u, row) in reach.iter_mut().enumerate() {
        row[u] = true;
        let mut stack = vec![u];
        while let Some(x) = stack.pop() {
            for &(_, v) in &r.adj[x] {
                if !row[v as usize] {
                    row[v as usize] = true;
                    stack.push(v as usize);
                }
            }
        }
    }
    let m = model_of(r, assume_progress);
    let reference = Reference {
        r,
        assume_progress,
        reach,
    };
    let expected: Vec<CheckStatus> = m
        .live
        .checks
        .iter()
        .map(|c| {
            if reference.violated(c) {
                Violated
            } else {
                Holds
            }
        })
        .collect();
    // Each check alone, so that every violated one's lasso is checked.
    let out = run_all(&m);
    prop_assert_eq!(&out.liveness, &expected);
    for (i, c) in m.live.checks.iter().enumerate() {
        if expected[i] == Violated {
            let mut single = model_of(r, assume_progress);
            single.live.checks = vec![c.clone()];
            let out = run_all(&single);
            let v = liveness_violation(&out);
            prop_assert_eq!(&v.kind, &ViolationKind::Liveness(0));
            reference.validate(c, v);
        }
    }
    match expected.iter().position(|&s| s == Violated) {
        Some(i) => prop_assert_eq!(
            &liveness_violation(&out).kind,
            &ViolationKind::Liveness(i as u32)
        ),
        None => prop_assert_eq!(&out.result, &Verdict::Ok),
    }
    // The fixed forms through the automaton product: the same
    // verdicts, and lassos the reference accepts. (Not always of
    // the same length: neither path finds a shortest lasso in
    // general, as each builds its cycle greedily from the first
    // fair state it meets, and those differ: the automaton of
    // `leads_to` is in its accepting cycle only a step after the
    // `P` state, under `assume_progress` where no stutter gets it
    // there for free.)
    let general = run_general(&m);
    prop_assert_eq!(&general.liveness, &expected);
    for (i, c) in m.live.checks.iter().enumerate() {
        if expected[i] == Violated && c.form.as_general().is_some() {
            let mut single = model_of(r, assume_progress);
            single.live.checks = vec![c.clone()];
            let config = Config {
                general_liveness: true,
                ..Config::default()
            };
            let out = check(&single, &config, &Progress::new());
            let Some(TemporalForm::General { formula, atoms, .. }) = c.form.as_general() else {
                unreachable!("a fixed form")
            };
            let cons: Vec<&FairnessConstraint> = c
                .fairness
                .iter()
                .map(|&k| &r.constraints[k as usize])
                .collect();
            valid_general_lasso(
                r,
                &formula,
                &atoms,
                &cons,
                assume_progress,
                liveness_violation(&out),
            )?;
        }
    }
    Ok(())
}

/// [`run_all`] with every check through the automaton product.
fn run_general(m: &TestModel) -> Outcome {
    run_modes(m, true)
}

// ---------------------------------------------------------------------------
// General formulas against an enumeration of lassos.

/// The atoms of the random formulas: predicates 0 and 1, `enabled` of one
/// label set and `taken` of another.
fn general_atoms(enabled: u32, taken: u32) -> Vec<Atom> {
    let set = |mask: u32| (0..LABELS).filter(|t| mask >> t & 1 != 0).collect();
    vec![
        Atom::State(0),
        Atom::State(1),
        Atom::Enabled(set(enabled)),
        Atom::Taken(set(taken)),
    ]
}

fn arb_formula() -> impl proptest::strategy::Strategy<Value = Formula> {
    use Formula as F;
    let b = Box::new;
    // `taken` only as `eventually taken` (stuttering invariance).
    let leaf = prop_oneof![
        (0u32..3).prop_map(F::Atom),
        Just(F::Eventually(b(F::Atom(3)))),
        Just(F::True)
    ];
    leaf.prop_recursive(3, 12, 2, move |inner| {
        prop_oneof![
            inner.clone().prop_map(move |a| F::Not(b(a))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| F::And(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| F::Or(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| F::Until(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| F::LeadsTo(b(x), b(y))),
            inner.clone().prop_map(move |a| F::Always(b(a))),
            inner.prop_map(move |a| F::Eventually(b(a))),
        ]
    })
}

/// The enumeration: the letters of a lasso of `r` (`states[loop_start..]`
/// the cycle, whose last state is `states[loop_start]`; `loop_start` the
/// last index: stuttering there forever), computed from the adjacency
/// lists.
fn letters(r: &Random, atoms: &[Atom], states: &[usize], loop_start: usize) -> ltl::Lasso {
    let last = states.len() - 1;
    let positions = if loop_start < last { last } else { last + 1 };
    let edge = |u: usize, v: usize, ts: &[u32]| {
        r.adj[u]
            .iter()
            .any(|&(t, w)| w as usize == v && ts.contains(&t))
    };
    let letters = (0..positions)
        .map(|i| {
            let s = states[i];
            let next = if i < last { states[i + 1] } else { s };
            atoms.iter().enumerate().fold(0u64, |l, (a, atom)| {
                let v = match atom {
                    Atom::State(p) => r.preds[*p as usize].contains(&(s as u64)),
                    Atom::Enabled(ts) => (0..r.n).any(|v| v != s && edge(s, v, ts)),
                    Atom::Taken(ts) => next != s && edge(s, next, ts),
                };
                l | (v as u64) << a
            })
        })
        .collect();
    ltl::Lasso {
        letters,
        loop_start,
    }
}

/// Whether the lasso (states, labels, loop start) is fair to `cons`.
fn lasso_fair(
    r: &Random,
    cons: &[&FairnessConstraint],
    states: &[usize],
    labels: &[u32],
    loop_start: usize,
) -> bool {
    let last = states.len() - 1;
    let cycle: Vec<usize> = if loop_start < last {
        states[loop_start..last].to_vec()
    } else {
        vec![states[last]]
    };
    let enabled = |s: usize, c: &FairnessConstraint| {
        r.adj[s]
            .iter()
            .any(|&(t, v)| v as usize != s && c.transitions.contains(&t))
    };
    cons.iter().all(|c| {
        let taken = (loop_start..last)
            .any(|i| states[i] != states[i + 1] && c.transitions.contains(&labels[i]));
        let en: Vec<bool> = cycle.iter().map(|&s| enabled(s, c)).collect();
        taken
            || if c.strong {
                !en.iter().any(|&x| x)
            } else {
                !en.iter().all(|&x| x)
            }
    })
}

/// Judges a lasso (states, labels, loop start).
type Found<'a> = dyn FnMut(&[usize], &[u32], usize) -> bool + 'a;

/// Some fair lasso of at most `max` steps violates `f`.
fn violated_within(
    r: &Random,
    f: &Formula,
    atoms: &[Atom],
    cons: &[&FairnessConstraint],
    assume_progress: bool,
    max: usize,
) -> bool {
    fn walk(
        r: &Random,
        states: &mut Vec<usize>,
        labels: &mut Vec<u32>,
        max: usize,
        found: &mut Found,
    ) -> bool {
        let k = states.len() - 1;
        // Stutter forever at the end, or close a cycle to an earlier state.
        if found(states, labels, k) {
            return true;
        }
        for j in 0..k {
            if states[j] == states[k] && found(states, labels, j) {
                return true;
            }
        }
        if labels.len() == max {
            return false;
        }
        for &(t, v) in &r.adj[states[k]] {
            states.push(v as usize);
            labels.push(t);
            let hit = walk(r, states, labels, max, found);
            states.pop();
            labels.pop();
            if hit {
                return true;
            }
        }
        false
    }
    let mut found = |states: &[usize], labels: &[u32], ls: usize| {
        let last = states.len() - 1;
        if ls == last && assume_progress && !r.adj[states[last]].is_empty() {
            return false;
        }
        lasso_fair(r, cons, states, labels, ls)
            && !ltl::holds_on_lasso(f, &letters(r, atoms, states, ls))
    };
    r.init
        .iter()
        .any(|&i| walk(r, &mut vec![i as usize], &mut vec![], max, &mut found))
}

/// A reported lasso is a real path from an initial state, fair to `cons`,
/// stuttering only where allowed, on which `f` is false.
fn valid_general_lasso(
    r: &Random,
    f: &Formula,
    atoms: &[Atom],
    cons: &[&FairnessConstraint],
    assume_progress: bool,
    v: &Violation,
) -> Result<(), TestCaseError> {
    let lasso = v.lasso.as_ref().expect("a lasso");
    let states: Vec<usize> = v.trace.iter().map(|s| s.state[0] as usize).collect();
    let labels: Vec<u32> = v.trace[1..]
        .iter()
        .map(|s| s.transition.expect("a step"))
        .collect();
    prop_assert!(r.init.contains(&(states[0] as u64)));
    for (i, w) in states.windows(2).enumerate() {
        prop_assert!(r.adj[w[0]].contains(&(labels[i], w[1] as u64)));
    }
    let ls = lasso.loop_start;
    prop_assert_eq!(states[states.len() - 1], states[ls]);
    if ls == states.len() - 1 && assume_progress {
        prop_assert!(r.adj[states[ls]].is_empty());
    }
    prop_assert!(lasso_fair(r, cons, &states, &labels, ls));
    prop_assert!(
        !ltl::holds_on_lasso(f, &letters(r, atoms, &states, ls)),
        "{:?}",
        f
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A general formula is violated iff a fair lasso violates it: every
    /// reported lasso is a real, fair path on which the formula is false
    /// (by `holds_on_lasso`, the semantics, and letters computed here), and
    /// every lasso of up to 6 steps that violates it is noticed.
    #[test]
    fn general_formulas_match_lasso_enumeration(
        r in arb_random(),
        f in arb_formula(),
        en in 1u32..8,
        tk in 1u32..8,
        fair in any::<bool>(),
    ) {
        let atoms = general_atoms(en, tk);
        let automaton = ltl::translate(&Formula::Not(Box::new(f.clone())), 1 << 12).expect("small");
        for assume_progress in [false, true] {
            let mut m = model_of(&r, assume_progress);
            let fairness: Vec<u32> = if fair { (0..r.constraints.len() as u32).collect() } else { vec![] };
            m.live.checks = vec![lc(
                TemporalForm::General { formula: f.clone(), atoms: atoms.clone(), automaton: automaton.clone() },
                &fairness,
            )];
            let cons: Vec<&FairnessConstraint> = fairness.iter().map(|&c| &r.constraints[c as usize]).collect();
            let out = run_general(&m);
            let small = violated_within(&r, &f, &atoms, &cons, assume_progress, 6);
            match &out.result {
                Verdict::Violation(v) => valid_general_lasso(&r, &f, &atoms, &cons, assume_progress, v)?,
                Verdict::Ok => prop_assert!(!small, "missed a violation of {:?}", f),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}

#[test]
fn graph_over_the_memory_limit_is_incomplete() {
    // Counter mod 5000 by +1 / +3 with a liveness check: the graph (ids,
    // edges, offsets) needs more than the safety search; a limit between the
    // two lets the safety search finish and stops the liveness check.
    let mut m = TestModel {
        words: 1,
        transitions: 2,
        init: vec![vec![0]],
        next: infallible(|s, t| Some(vec![(s[0] + 1 + 2 * t as u64) % 5000])),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live {
            preds: 1,
            pred: Box::new(|s, _| Ok(s[0] == 0)),
            constraints: vec![],
            checks: vec![],
            assume_progress: false,
            ..Live::default()
        },
    };
    let safety = check(&m, &Config::default(), &Progress::new());
    m.live.checks = vec![lc(AlwaysEventually(0), &[])];
    for (strategy, threads) in MODES {
        let config = Config {
            strategy,
            threads,
            ..Config::default()
        };
        let full = check(&m, &config, &Progress::new());
        assert_eq!(full.liveness, vec![Violated]);
        assert!(full.stats.graph_bytes > safety.stats.bytes_used);
        let limited = Config {
            max_memory: Some(safety.stats.bytes_used),
            ..config
        };
        let out = check(&m, &limited, &Progress::new());
        assert_eq!(
            out.result,
            Verdict::Incomplete(dcheck_engine::Limit::Memory)
        );
        assert_eq!(out.liveness, vec![NotChecked]);
    }
}
