//! Small hand-built transition systems and an independent reference BFS
//! (std `HashMap` / `VecDeque` over full states) used by the engine tests.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};

use dcheck_engine::{TraceStep, Verdict, ViolationKind};
use dcheck_model::system::{
    EvalError, FairnessConstraint, InvariantId, LivenessCheck, PredicateId, StepError,
    TransitionId, TransitionSystem, Word,
};

type Next = Box<dyn Fn(&[Word], TransitionId) -> Result<Option<Vec<Word>>, EvalError> + Sync>;
type Inv = Box<dyn Fn(&[Word]) -> Option<InvariantId> + Sync>;
type Terminal = Box<dyn Fn(&[Word]) -> bool + Sync>;
pub type Pred = Box<dyn Fn(&[Word], PredicateId) -> Result<bool, EvalError> + Sync>;
/// A step predicate: (parent, state, predicate).
pub type EdgePred = Box<dyn Fn(&[Word], &[Word], u32) -> Result<bool, EvalError> + Sync>;

/// `next` for a model whose transitions never fail.
pub fn infallible(f: impl Fn(&[Word], TransitionId) -> Option<Vec<Word>> + Sync + 'static) -> Next {
    Box::new(move |s, t| Ok(f(s, t)))
}

/// The liveness side of a [`TestModel`]: state predicates `0..preds`
/// evaluated by `pred`, fairness constraints and checks (none by default).
pub struct Live {
    pub preds: usize,
    pub pred: Pred,
    pub constraints: Vec<FairnessConstraint>,
    pub checks: Vec<LivenessCheck>,
    /// [`TransitionSystem::assume_progress`]; `false` (TLA+ stuttering)
    /// by default.
    pub assume_progress: bool,
    /// Step predicates `0..edge_preds`, evaluated by `edge_pred`.
    pub edge_preds: usize,
    pub edge_pred: EdgePred,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            preds: 0,
            pred: Box::new(|_, _| Err(EvalError::new("no predicates"))),
            constraints: vec![],
            checks: vec![],
            assume_progress: false,
            edge_preds: 0,
            edge_pred: Box::new(|_, _, _| Err(EvalError::new("no step predicates"))),
        }
    }
}

/// A transition system given by plain functions: transition `t` of state `s`
/// is `next(s, t)` (`Ok(None)`: disabled).
pub struct TestModel {
    pub words: usize,
    pub transitions: usize,
    pub init: Vec<Vec<Word>>,
    pub next: Next,
    pub invariant: Option<Inv>,
    pub terminal: Terminal,
    pub live: Live,
}

impl TransitionSystem for TestModel {
    type Scratch = ();

    fn scratch(&self) {}

    fn state_words(&self) -> usize {
        self.words
    }

    fn transition_count(&self) -> usize {
        self.transitions
    }

    fn initial_states(&self, _: &mut (), emit: &mut dyn FnMut(&[Word])) -> Result<(), StepError> {
        for s in &self.init {
            emit(s);
        }
        Ok(())
    }

    fn successors<F: FnMut(TransitionId, &[Word])>(
        &self,
        _: &mut (),
        state: &[Word],
        mut emit: F,
    ) -> Result<(), StepError> {
        for t in 0..self.transitions as TransitionId {
            match (self.next)(state, t) {
                Ok(Some(n)) => emit(t, &n),
                Ok(None) => {}
                Err(error) => {
                    return Err(StepError {
                        transition: Some(t),
                        error,
                    })
                }
            }
        }
        Ok(())
    }

    fn step(
        &self,
        _: &mut (),
        state: &[Word],
        t: TransitionId,
        out: &mut [Word],
    ) -> Result<bool, EvalError> {
        match (self.next)(state, t)? {
            Some(n) => {
                out.copy_from_slice(&n);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn check_invariants(
        &self,
        _: &mut (),
        state: &[Word],
    ) -> Result<Option<InvariantId>, EvalError> {
        Ok(self.invariant.as_ref().and_then(|f| f(state)))
    }

    fn is_terminal(&self, _: &mut (), state: &[Word]) -> Result<bool, EvalError> {
        Ok((self.terminal)(state))
    }

    fn liveness_checks(&self) -> &[LivenessCheck] {
        &self.live.checks
    }

    fn fairness_constraints(&self) -> &[FairnessConstraint] {
        &self.live.constraints
    }

    fn assume_progress(&self) -> bool {
        self.live.assume_progress
    }

    fn predicate_count(&self) -> usize {
        self.live.preds
    }

    fn eval_predicate(
        &self,
        _: &mut (),
        state: &[Word],
        p: PredicateId,
    ) -> Result<bool, EvalError> {
        (self.live.pred)(state, p)
    }

    fn edge_predicate_count(&self) -> usize {
        self.live.edge_preds
    }

    fn eval_edge_predicate(
        &self,
        _: &mut (),
        parent: &[Word],
        state: &[Word],
        q: u32,
    ) -> Result<bool, EvalError> {
        (self.live.edge_pred)(parent, state, q)
    }
}

/// Counter mod `k`, init 0, transitions +1 and +2 (mod k).
pub fn counter(k: u64) -> TestModel {
    TestModel {
        words: 1,
        transitions: 2,
        init: vec![vec![0]],
        next: Box::new(move |s, t| Ok(Some(vec![(s[0] + 1 + t as u64) % k]))),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live::default(),
    }
}

/// Grid walk: (x, y) in 0..w x 0..h from (0, 0); t0: x+1, t1: y+1. The
/// corner (w-1, h-1) is terminal iff `corner_terminal`.
pub fn grid(w: u64, h: u64, corner_terminal: bool) -> TestModel {
    TestModel {
        words: 2,
        transitions: 2,
        init: vec![vec![0, 0]],
        next: Box::new(move |s, t| {
            Ok(match t {
                0 if s[0] + 1 < w => Some(vec![s[0] + 1, s[1]]),
                1 if s[1] + 1 < h => Some(vec![s[0], s[1] + 1]),
                _ => None,
            })
        }),
        invariant: None,
        terminal: Box::new(move |_| corner_terminal),
        live: Live::default(),
    }
}

/// A directed graph as a model: state = [node], transition t = the t-th
/// edge out of the node; invariant 0 is "node is not in `bad`".
pub fn graph(adj: Vec<Vec<u64>>, init: Vec<u64>, bad: Vec<u64>) -> TestModel {
    let degree = adj.iter().map(Vec::len).max().unwrap_or(0);
    TestModel {
        words: 1,
        transitions: degree,
        init: init.into_iter().map(|n| vec![n]).collect(),
        next: Box::new(move |s, t| Ok(adj[s[0] as usize].get(t as usize).map(|&n| vec![n]))),
        invariant: if bad.is_empty() {
            None
        } else {
            Some(Box::new(move |s| bad.contains(&s[0]).then_some(0)))
        },
        terminal: Box::new(|_| true),
        live: Live::default(),
    }
}

/// A trace as (transition, state) pairs.
pub type Pairs = Vec<(Option<TransitionId>, Vec<Word>)>;

/// What the reference BFS found.
#[derive(Debug)]
pub struct Reference {
    pub distinct: u64,
    pub generated: u64,
    /// Largest shortest distance.
    pub max_distance: u32,
    /// Per transition (each its own action, as [`TestModel`] has it): the
    /// reachable states in which it is enabled. Each enabled transition
    /// generates one successor, so this is also the number it generated.
    pub enabled: Vec<u64>,
    /// The first violation in sequential BFS order (FIFO queue, successors
    /// in transition order, a state checked when first discovered), with its
    /// trace (transition, state) from an initial state.
    pub violation: Option<(ViolationKind, Pairs)>,
}

/// An independent sequential BFS over full states; explores everything
/// (the violation is the first one met, the counts are of the whole graph).
pub fn reference_bfs(m: &TestModel, check_deadlock: bool) -> Reference {
    let mut parent: HashMap<Vec<Word>, Option<(Vec<Word>, TransitionId)>> = HashMap::new();
    let mut dist: HashMap<Vec<Word>, u32> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut generated = 0u64;
    let mut violation: Option<(ViolationKind, Vec<Word>, Option<TransitionId>)> = None;
    let inv = |s: &[Word]| m.invariant.as_ref().and_then(|f| f(s));
    for s in &m.init {
        generated += 1;
        if !parent.contains_key(s) {
            parent.insert(s.clone(), None);
            dist.insert(s.clone(), 0);
            queue.push_back(s.clone());
        }
    }
    for s in &m.init {
        if violation.is_none() {
            if let Some(i) = inv(s) {
                violation = Some((ViolationKind::Invariant(i), s.clone(), None));
            }
        }
    }
    let mut enabled_in = vec![0u64; m.transitions];
    while let Some(s) = queue.pop_front() {
        let d = dist[&s];
        let mut enabled = 0;
        for t in 0..m.transitions as TransitionId {
            match (m.next)(&s, t) {
                Ok(Some(n)) => {
                    generated += 1;
                    enabled += 1;
                    enabled_in[t as usize] += 1;
                    if !parent.contains_key(&n) {
                        parent.insert(n.clone(), Some((s.clone(), t)));
                        dist.insert(n.clone(), d + 1);
                        if violation.is_none() {
                            if let Some(i) = inv(&n) {
                                violation = Some((ViolationKind::Invariant(i), n.clone(), None));
                            }
                        }
                        queue.push_back(n);
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    if violation.is_none() {
                        violation = Some((
                            ViolationKind::EvalError(StepError {
                                transition: Some(t),
                                error,
                            }),
                            s.clone(),
                            None,
                        ));
                    }
                    break;
                }
            }
        }
        if enabled == 0 && check_deadlock && !(m.terminal)(&s) && violation.is_none() {
            violation = Some((ViolationKind::Deadlock, s.clone(), None));
        }
    }
    let violation = violation.map(|(kind, end, _)| {
        let mut trace = vec![];
        let mut cur = end;
        loop {
            match parent[&cur].clone() {
                None => {
                    trace.push((None, cur));
                    break;
                }
                Some((p, t)) => {
                    trace.push((Some(t), cur));
                    cur = p;
                }
            }
        }
        trace.reverse();
        (kind, trace)
    });
    Reference {
        distinct: parent.len() as u64,
        generated,
        max_distance: dist.values().copied().max().unwrap_or(0),
        enabled: enabled_in,
        violation,
    }
}

/// Checks that `trace` starts in an initial state and that each step is the
/// model's transition of the previous state.
pub fn assert_replays(m: &TestModel, trace: &[TraceStep]) {
    assert!(!trace.is_empty());
    assert_eq!(trace[0].transition, None);
    assert!(
        m.init.contains(&trace[0].state),
        "trace does not start in an initial state"
    );
    for w in trace.windows(2) {
        let t = w[1].transition.expect("later steps name a transition");
        let next = (m.next)(&w[0].state, t)
            .unwrap()
            .expect("transition enabled");
        assert_eq!(next, w[1].state, "step {t} does not replay");
    }
}

/// The trace as (transition, state) pairs.
pub fn pairs(trace: &[TraceStep]) -> Pairs {
    trace
        .iter()
        .map(|s| (s.transition, s.state.clone()))
        .collect()
}

pub fn violation(v: &Verdict) -> (&ViolationKind, &[TraceStep]) {
    match v {
        Verdict::Violation(v) => (&v.kind, &v.trace),
        other => panic!("expected a violation, got {other:?}"),
    }
}
