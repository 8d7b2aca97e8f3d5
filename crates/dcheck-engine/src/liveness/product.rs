//! The product of the state graph and the automaton of a general
//! property's negation ([`TemporalForm::General`]): a fair behaviour the
//! automaton accepts is a lasso of the product whose cycle is fair and
//! meets every acceptance set, which [`super::analysis`] searches as for
//! the fixed forms (with the product's nodes mapped back to states for
//! fairness: [`Base`]).
//!
//! A position of a behaviour is a state and the step from it, so its
//! letter (the atoms true there) is the state's atoms (state predicates,
//! `enabled T`) and the step's (`taken T`: the step changes the state and
//! some transition of T leads from the state to the next one, whichever
//! edge the behaviour uses, as TLA+'s `<<A>>_vars` is a property of the
//! pair). A product node `(s, q)` has checked `q`'s state literals on `s`;
//! its step literals are checked on each edge leaving it:
//!
//! - `(s, q) -> (t, r)` for a graph edge `s -> t` (self-loops included:
//!   they take nothing) whose step atoms fit `q` and an automaton edge
//!   `q -> r` whose state literals fit `t`;
//! - stuttering is explicit: `(s, q) -> (s, r)` when `s` may repeat
//!   forever (every state under TLA+'s semantics, a dead end under
//!   `assume_progress`), the all-false step fits `q` and `s` fits `r`.
//!   These edges are labelled [`STUTTER`] and dropped when the lasso is
//!   mapped back to states.
//!
//! Nodes are numbered in BFS order from the initial nodes (initial states
//! in the graph's order, automaton states in order); a node's edges are its
//! stutters, then the graph's edges in order, each with the automaton's
//! successors in order: nothing depends on the thread count.

use dcheck_model::ltl::Automaton;
use dcheck_model::system::{Atom, TransitionId};

use super::analysis::{Base, Path, Set};
use std::collections::HashMap;

use crate::graph::{Graph, Labels, Offsets, NONE};
use crate::MAX_IDS;

/// The label of a stuttering edge of the product (no transition).
pub(crate) const STUTTER: TransitionId = u32::MAX;

/// A product and what the analysis needs besides its edges.
pub(crate) struct Product<'a> {
    pub graph: Graph,
    pub base: Base<'a>,
    /// Per acceptance set of the automaton, its product nodes.
    pub accepting: Vec<Set>,
    /// The most bytes the build held at once (with the index and the
    /// letters, freed since).
    pub peak: u64,
}

/// A product too large for the memory limit, or for `u32` node ids.
pub(crate) struct TooLarge;

/// An automaton state's literals as masks over the atoms: the letter `l`
/// fits when `l & mask == value`, split into state and step literals.
#[derive(Clone, Copy, Default)]
struct Literals {
    state_mask: u64,
    state_value: u64,
    step_mask: u64,
    step_value: u64,
}

impl Literals {
    #[inline]
    fn state_fits(&self, l: u64) -> bool {
        l & self.state_mask == self.state_value
    }

    #[inline]
    fn step_fits(&self, l: u64) -> bool {
        l & self.step_mask == self.step_value
    }
}

/// The product node of each (state, automaton state) reached: a dense
/// array when it is small beside the limit, else a hash map (a product
/// usually reaches a few automaton states per state, not all of them).
enum Index {
    Dense { ids: Vec<u32>, nq: usize },
    Sparse(HashMap<(u32, u32), u32>),
}

/// The most bytes a dense index may take.
const DENSE_MAX: u64 = 1 << 28;

impl Index {
    fn new(n: usize, nq: usize, limit: Option<u64>) -> Index {
        let dense = (n as u64).saturating_mul(nq as u64).saturating_mul(4);
        if dense <= DENSE_MAX && limit.is_none_or(|l| dense <= l / 4) {
            Index::Dense {
                ids: vec![NONE; n * nq],
                nq,
            }
        } else {
            Index::Sparse(HashMap::new())
        }
    }

    /// The node of `(s, q)`, numbered next (and recorded in `of`, `qs`)
    /// when it is new.
    fn node(&mut self, s: u32, q: usize, of: &mut Vec<u32>, qs: &mut Vec<u32>) -> u32 {
        let next = of.len() as u32;
        let id = match self {
            Index::Dense { ids, nq } => {
                let slot = &mut ids[s as usize * *nq + q];
                if *slot == NONE {
                    *slot = next;
                }
                *slot
            }
            Index::Sparse(m) => *m.entry((s, q as u32)).or_insert(next),
        };
        if id == next {
            of.push(s);
            qs.push(q as u32);
        }
        id
    }

    fn bytes(&self) -> u64 {
        match self {
            Index::Dense { ids, .. } => ids.capacity() as u64 * 4,
            // Key, value and control byte, at the map's capacity.
            Index::Sparse(m) => m.capacity() as u64 * 13,
        }
    }
}

/// Builds the product of `g` and `aut` (see the module documentation).
/// `stutter`: TLA+'s semantics (any state may repeat forever), else only
/// dead ends do. `limit`: bytes the product may use.
pub(crate) fn build<'a>(
    g: &'a Graph,
    atoms: &[Atom],
    aut: &Automaton,
    transitions: usize,
    stutter: bool,
    limit: Option<u64>,
) -> Result<Product<'a>, TooLarge> {
    let n = g.n;
    let nq = aut.states.len();
    let tw = transitions.div_ceil(64);
    // Per atom: its transitions as a bitset (taken / enabled).
    let sets: Vec<Vec<u64>> = atoms
        .iter()
        .map(|a| {
            let mut b = vec![0u64; tw];
            if let Atom::Taken(ts) | Atom::Enabled(ts) = a {
                for &t in ts {
                    b[t as usize / 64] |= 1 << (t % 64);
                }
            }
            b
        })
        .collect();
    let has = |a: usize, t: TransitionId| sets[a][t as usize / 64] >> (t % 64) & 1 != 0;
    let step_atoms: u64 = atoms
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a, Atom::Taken(_)))
        .fold(0, |m, (i, _)| m | 1 << i);
    let lits: Vec<Literals> = aut
        .states
        .iter()
        .map(|q| {
            let mut l = Literals::default();
            for &(a, v) in &q.literals {
                let bit = 1u64 << a;
                if step_atoms & bit != 0 {
                    l.step_mask |= bit;
                    l.step_value |= if v { bit } else { 0 };
                } else {
                    l.state_mask |= bit;
                    l.state_value |= if v { bit } else { 0 };
                }
            }
            l
        })
        .collect();
    // The state atoms of state `s`.
    let letter = |s: u32| -> u64 {
        let mut l = 0;
        for (i, a) in atoms.iter().enumerate() {
            let v = match a {
                Atom::State(p) => g.pred(*p, s),
                Atom::Enabled(_) => g.moves_by(s, |t| has(i, t)),
                Atom::Taken(_) => false,
            };
            l |= (v as u64) << i;
        }
        l
    };
    let letters: Vec<u64> = (0..n as u32).map(letter).collect();
    // The step atoms of every edge, once (none without a `taken` atom):
    // `taken T` holds on a step to another state when some edge to that
    // state is a T transition, whichever edge the behaviour uses.
    let steps: Vec<u64> = if step_atoms == 0 {
        Vec::new()
    } else {
        let mut v = vec![0u64; g.targets.len()];
        for s in 0..n as u32 {
            for e in g.edges(s) {
                let t = g.targets[e];
                if t == s {
                    continue;
                }
                for (i, a) in atoms.iter().enumerate() {
                    if let Atom::Taken(_) = a {
                        let on = g
                            .edges(s)
                            .any(|e2| g.targets[e2] == t && has(i, g.labels.get(e2)));
                        v[e] |= (on as u64) << i;
                    }
                }
            }
        }
        v
    };
    let step_of = |e: usize| steps.get(e).copied().unwrap_or(0);

    let mut index = Index::new(n, nq, limit);
    let fixed = (letters.capacity() + steps.capacity()) as u64 * 8;
    let mut of: Vec<u32> = Vec::new();
    let mut qs: Vec<u32> = Vec::new();
    let mut initial = Vec::new();
    for &s in &g.initial {
        for &q in &aut.initial {
            if lits[q].state_fits(letters[s as usize]) {
                let before = of.len();
                let v = index.node(s, q, &mut of, &mut qs);
                if of.len() > before {
                    initial.push(v);
                }
            }
        }
    }
    let mut offsets = Offsets::with_capacity(0);
    let mut targets: Vec<u32> = Vec::new();
    let mut labels: Vec<u32> = Vec::new();
    let mut head = 0;
    let mut peak = 0;
    while head < of.len() {
        let (s, q) = (of[head], qs[head] as usize);
        head += 1;
        let lq = lits[q];
        let mut add = |t: u32, label: TransitionId, of: &mut Vec<u32>, qs: &mut Vec<u32>| {
            let lt = letters[t as usize];
            for &r in &aut.states[q].successors {
                if lits[r].state_fits(lt) {
                    targets.push(index.node(t, r, of, qs));
                    labels.push(label);
                }
            }
        };
        // Stuttering first: where a stutter and a self-loop both close a
        // cycle, the lasso shows the stutter, as the fixed forms' do.
        if (stutter || g.edges(s).is_empty()) && lq.step_fits(0) {
            add(s, STUTTER, &mut of, &mut qs);
        }
        for e in g.edges(s) {
            if lq.step_fits(step_of(e)) {
                add(g.targets[e], g.labels.get(e), &mut of, &mut qs);
            }
        }
        offsets.push(targets.len() as u64);
        if head % 4096 == 0 || head == of.len() {
            let now = fixed
                + index.bytes()
                + offsets.bytes()
                + ((targets.capacity() + labels.capacity()) * 4) as u64
                + ((of.capacity() + qs.capacity()) * 4) as u64;
            peak = peak.max(now);
            if limit.is_some_and(|l| now > l) || of.len() as u64 >= MAX_IDS - 1 {
                return Err(TooLarge);
            }
        }
    }
    drop(index);
    let accepting = aut
        .accepting
        .iter()
        .map(|set| {
            let mut b = vec![0u64; of.len().div_ceil(64)];
            for (v, &q) in qs.iter().enumerate() {
                if set[q as usize] {
                    b[v / 64] |= 1 << (v % 64);
                }
            }
            Set::Bits(b)
        })
        .collect();
    let graph = Graph {
        n: of.len(),
        offsets,
        targets,
        labels: Labels::U32(labels),
        preds: Vec::new(),
        edge_preds: Vec::new(),
        initial,
        initial_words: Vec::new(),
    };
    Ok(Product {
        graph,
        base: Base { graph: g, of },
        accepting,
        peak,
    })
}

/// A lasso of a product as a lasso of the state graph: nodes mapped to
/// their states (`of`), stuttering edges dropped (a cycle of stutters alone
/// becomes the empty cycle: the state repeats forever). Dropping them keeps
/// the verdict: properties are stuttering-invariant (`taken` only under
/// `eventually`, see `dcheck_model::temporal`) and a stutter neither
/// enables nor takes.
pub(crate) fn to_states(of: &[u32], p: &Path) -> Path {
    let mut states = vec![of[p.states[0] as usize]];
    let mut labels = Vec::new();
    let mut loop_start = 0;
    for (i, &l) in p.labels.iter().enumerate() {
        if i == p.loop_start {
            loop_start = states.len() - 1;
        }
        if l != STUTTER {
            states.push(of[p.states[i + 1] as usize]);
            labels.push(l);
        }
    }
    if p.loop_start == p.labels.len() {
        loop_start = states.len() - 1;
    }
    Path {
        states,
        labels,
        loop_start,
    }
}

impl Product<'_> {
    /// Bytes of the product (the graph arrays and the base map), or what
    /// its build held at once if that was more.
    pub(crate) fn bytes(&self) -> u64 {
        (self.graph.bytes() + self.base.of.capacity() as u64 * 4).max(self.peak)
    }
}
