//! Linear temporal formulas and their translation to generalized Büchi
//! automata, for temporal properties of any shape (issue 22: the product
//! of the state graph and the automaton of the negated property is then
//! searched for a fair accepting cycle by the engine). The model compiles
//! a property of any other shape than the five fixed ones to the
//! automaton of its negation ([`crate::system::TemporalForm::General`]).
//!
//! The translation is the tableau construction of Gerth, Peled, Vardi and
//! Wolper, "Simple on-the-fly automatic verification of linear temporal
//! logic" (PSTV 1995): the formula in negation normal form over `U` and its
//! dual `R`, nodes carrying the subformulas that must hold now (`old`) and
//! from the next position on (`next`), split on every disjunction,
//! `until` and `release`, and merged when equal. A node's label is the
//! literals in its `old`; one acceptance set per `until` subformula
//! `a U b`, of the nodes where it is not promised or `b` holds. There is no
//! next-state operator: properties stay stuttering-invariant, as in TLA+.
//! No well-kept Rust crate translates LTL, so it is built here; it is
//! checked against the formulas' semantics on lasso words
//! ([`holds_on_lasso`], a second algorithm sharing no code with it).
//!
//! Atoms are numbered by the caller (state predicates, `taken`, `enabled`):
//! a *letter* is the set of atoms true at one position of a behaviour.

use std::collections::{BTreeSet, HashMap};

/// A temporal formula over numbered atoms.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Formula {
    True,
    False,
    Atom(u32),
    Not(Box<Formula>),
    And(Box<Formula>, Box<Formula>),
    Or(Box<Formula>, Box<Formula>),
    Implies(Box<Formula>, Box<Formula>),
    /// Strong until: `b` holds eventually, and `a` at every position before.
    Until(Box<Formula>, Box<Formula>),
    Always(Box<Formula>),
    Eventually(Box<Formula>),
    /// `a leads_to b`: `always (a implies eventually b)`.
    LeadsTo(Box<Formula>, Box<Formula>),
}

/// A formula in negation normal form, as an index into [`Nnf`]'s table.
type Id = u32;

/// The negation normal form's nodes: negation only on atoms, `U` and `R`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Node {
    True,
    False,
    Lit(u32, bool),
    And(Id, Id),
    Or(Id, Id),
    Until(Id, Id),
    Release(Id, Id),
}

/// Subformulas, hash-consed: equal subformulas have one id.
#[derive(Default)]
struct Nnf {
    nodes: Vec<Node>,
    ids: HashMap<Node, Id>,
}

impl Nnf {
    fn intern(&mut self, n: Node) -> Id {
        if let Some(&i) = self.ids.get(&n) {
            return i;
        }
        let i = self.nodes.len() as Id;
        self.nodes.push(n.clone());
        self.ids.insert(n, i);
        i
    }

    /// `f`, negated when `neg`, in negation normal form.
    fn of(&mut self, f: &Formula, neg: bool) -> Id {
        use Formula as F;
        let n = match (f, neg) {
            (F::True, false) | (F::False, true) => Node::True,
            (F::True, true) | (F::False, false) => Node::False,
            (F::Atom(a), _) => Node::Lit(*a, !neg),
            (F::Not(a), _) => return self.of(a, !neg),
            (F::And(a, b), false) | (F::Or(a, b), true) => {
                Node::And(self.of(a, neg), self.of(b, neg))
            }
            (F::Or(a, b), false) | (F::And(a, b), true) => {
                Node::Or(self.of(a, neg), self.of(b, neg))
            }
            (F::Implies(a, b), false) => Node::Or(self.of(a, true), self.of(b, false)),
            (F::Implies(a, b), true) => Node::And(self.of(a, false), self.of(b, true)),
            (F::Until(a, b), false) => Node::Until(self.of(a, false), self.of(b, false)),
            (F::Until(a, b), true) => Node::Release(self.of(a, true), self.of(b, true)),
            // eventually a = true U a; always a = false R a.
            (F::Eventually(a), false) | (F::Always(a), true) => {
                let t = self.intern(Node::True);
                Node::Until(t, self.of(a, neg))
            }
            (F::Always(a), false) | (F::Eventually(a), true) => {
                let f = self.intern(Node::False);
                Node::Release(f, self.of(a, neg))
            }
            (F::LeadsTo(a, b), _) => {
                let g = F::Always(Box::new(F::Implies(
                    a.clone(),
                    Box::new(F::Eventually(b.clone())),
                )));
                return self.of(&g, neg);
            }
        };
        self.intern(n)
    }
}

/// One state of the automaton: the literals a position must satisfy, and
/// the states a run may go to next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// (atom, value) pairs the letter must agree with.
    pub literals: Vec<(u32, bool)>,
    pub successors: Vec<usize>,
}

/// A generalized Büchi automaton: a run starts in an initial state whose
/// literals the first letter satisfies, moves along `successors` to a
/// state whose literals the next letter satisfies, and is accepting when
/// it visits every acceptance set infinitely often (no set: every infinite
/// run accepts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Automaton {
    pub states: Vec<State>,
    pub initial: Vec<usize>,
    /// Per acceptance set, its states.
    pub accepting: Vec<Vec<bool>>,
}

/// A formula whose automaton has more states than allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge(pub usize);

/// A tableau node under construction.
#[derive(Clone)]
struct Pending {
    incoming: BTreeSet<usize>,
    new: BTreeSet<Id>,
    old: BTreeSet<Id>,
    next: BTreeSet<Id>,
}

/// The automaton accepting exactly the behaviours (infinite letter
/// sequences) that satisfy `f`; `Err` past `max_states` states.
pub fn translate(f: &Formula, max_states: usize) -> Result<Automaton, TooLarge> {
    let mut nnf = Nnf::default();
    let root = nnf.of(f, false);
    // Index `usize::MAX` marks "initial" in `incoming`.
    const INIT: usize = usize::MAX;
    // Finished nodes: (old, next) -> index; incoming per index.
    let mut done: Vec<(BTreeSet<Id>, BTreeSet<Id>, BTreeSet<usize>)> = Vec::new();
    let mut index: HashMap<(BTreeSet<Id>, BTreeSet<Id>), usize> = HashMap::new();
    let mut stack = vec![Pending {
        incoming: BTreeSet::from([INIT]),
        new: BTreeSet::from([root]),
        old: BTreeSet::new(),
        next: BTreeSet::new(),
    }];
    // Splits can multiply pending nodes long before many are finished:
    // the work is bounded too, so a formula that explodes is refused
    // within a bounded time, not only a bounded size.
    let mut budget = max_states.saturating_mul(64).max(1024);
    while let Some(mut node) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            return Err(TooLarge(max_states));
        }
        let Some(&eta) = node.new.iter().next() else {
            let key = (node.old.clone(), node.next.clone());
            if let Some(&i) = index.get(&key) {
                done[i].2.extend(node.incoming);
                continue;
            }
            if done.len() >= max_states {
                return Err(TooLarge(max_states));
            }
            let i = done.len();
            index.insert(key, i);
            done.push((node.old.clone(), node.next.clone(), node.incoming));
            stack.push(Pending {
                incoming: BTreeSet::from([i]),
                new: node.next,
                old: BTreeSet::new(),
                next: BTreeSet::new(),
            });
            continue;
        };
        node.new.remove(&eta);
        if node.old.contains(&eta) {
            stack.push(node);
            continue;
        }
        let add = |set: &mut BTreeSet<Id>, old: &BTreeSet<Id>, ids: &[Id]| {
            for &i in ids {
                if !old.contains(&i) {
                    set.insert(i);
                }
            }
        };
        match nnf.nodes[eta as usize].clone() {
            Node::False => {} // a contradiction: the node is dropped
            Node::True => {
                node.old.insert(eta);
                stack.push(node);
            }
            Node::Lit(a, v) => {
                let neg = nnf.ids.get(&Node::Lit(a, !v));
                if neg.is_some_and(|n| node.old.contains(n)) {
                    continue;
                }
                node.old.insert(eta);
                stack.push(node);
            }
            Node::And(a, b) => {
                let old = node.old.clone();
                add(&mut node.new, &old, &[a, b]);
                node.old.insert(eta);
                stack.push(node);
            }
            Node::Or(a, b) | Node::Until(a, b) | Node::Release(a, b) => {
                let kind = nnf.nodes[eta as usize].clone();
                let (now1, next1, now2): (Vec<Id>, Option<Id>, Vec<Id>) = match kind {
                    Node::Or(..) => (vec![a], None, vec![b]),
                    Node::Until(..) => (vec![a], Some(eta), vec![b]),
                    _ => (vec![b], Some(eta), vec![a, b]),
                };
                let mut n1 = node.clone();
                let mut n2 = node;
                add(&mut n1.new, &n1.old.clone(), &now1);
                if let Some(x) = next1 {
                    n1.next.insert(x);
                }
                add(&mut n2.new, &n2.old.clone(), &now2);
                n1.old.insert(eta);
                n2.old.insert(eta);
                stack.push(n2);
                stack.push(n1);
            }
        }
    }
    let n = done.len();
    let mut states: Vec<State> = done
        .iter()
        .map(|(old, _, _)| State {
            literals: old
                .iter()
                .filter_map(|&i| match nnf.nodes[i as usize] {
                    Node::Lit(a, v) => Some((a, v)),
                    _ => None,
                })
                .collect(),
            successors: Vec::new(),
        })
        .collect();
    let mut initial = Vec::new();
    for (j, (_, _, incoming)) in done.iter().enumerate() {
        for &i in incoming {
            if i == INIT {
                initial.push(j);
            } else {
                states[i].successors.push(j);
            }
        }
    }
    for s in &mut states {
        s.successors.sort_unstable();
        s.successors.dedup();
    }
    let untils: Vec<(Id, Id)> = nnf
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, x)| match x {
            Node::Until(_, b) => Some((i as Id, *b)),
            _ => None,
        })
        .collect();
    let accepting = untils
        .iter()
        .map(|&(u, b)| {
            (0..n)
                .map(|j| !done[j].0.contains(&u) || done[j].0.contains(&b))
                .collect()
        })
        .collect();
    Ok(minimise(Automaton {
        states,
        initial,
        accepting,
    }))
}

/// Merges the states no run can tell apart: the coarsest partition where
/// states of a class have the same literals, the same acceptance sets and
/// successors in the same classes (a bisimulation, so the language is the
/// same). The tableau makes such twins where a formula is entered, and
/// each would cost a product lasso a step.
fn minimise(a: Automaton) -> Automaton {
    let n = a.states.len();
    let sig0 = |q: usize| {
        let acc: Vec<bool> = a.accepting.iter().map(|s| s[q]).collect();
        (a.states[q].literals.clone(), acc)
    };
    let mut class: Vec<usize> = {
        let mut ids = HashMap::new();
        (0..n)
            .map(|q| {
                let k = ids.len();
                *ids.entry(sig0(q)).or_insert(k)
            })
            .collect()
    };
    loop {
        let mut ids = HashMap::new();
        let next: Vec<usize> = (0..n)
            .map(|q| {
                let succ: BTreeSet<usize> =
                    a.states[q].successors.iter().map(|&r| class[r]).collect();
                let k = ids.len();
                *ids.entry((class[q], succ)).or_insert(k)
            })
            .collect();
        let done = ids.len() == class.iter().collect::<BTreeSet<_>>().len();
        class = next;
        if done {
            break;
        }
    }
    let m = class.iter().max().map_or(0, |c| c + 1);
    let mut rep = vec![usize::MAX; m];
    for q in 0..n {
        if rep[class[q]] == usize::MAX {
            rep[class[q]] = q;
        }
    }
    let states = rep
        .iter()
        .map(|&q| {
            let mut successors: Vec<usize> =
                a.states[q].successors.iter().map(|&r| class[r]).collect();
            successors.sort_unstable();
            successors.dedup();
            State {
                literals: a.states[q].literals.clone(),
                successors,
            }
        })
        .collect();
    let mut initial: Vec<usize> = a.initial.iter().map(|&q| class[q]).collect();
    initial.sort_unstable();
    initial.dedup();
    let accepting = a
        .accepting
        .iter()
        .map(|set| rep.iter().map(|&q| set[q]).collect())
        .collect();
    Automaton {
        states,
        initial,
        accepting,
    }
}

/// A lasso word: `letters[i]` is the set of atoms true at position `i`
/// (bit `a` for atom `a`); after the last position comes `loop_start`.
#[derive(Clone, Debug)]
pub struct Lasso {
    pub letters: Vec<u64>,
    pub loop_start: usize,
}

impl Lasso {
    fn succ(&self, i: usize) -> usize {
        if i + 1 < self.letters.len() {
            i + 1
        } else {
            self.loop_start
        }
    }
}

impl Automaton {
    fn fits(&self, q: usize, letter: u64) -> bool {
        self.states[q]
            .literals
            .iter()
            .all(|&(a, v)| (letter >> a & 1 != 0) == v)
    }

    /// Whether the automaton accepts the lasso word: some run on it visits
    /// every acceptance set infinitely often. (The product of the automaton
    /// and the word's positions, searched for a reachable cycle meeting
    /// every set.)
    pub fn accepts(&self, w: &Lasso) -> bool {
        let len = w.letters.len();
        let id = |q: usize, i: usize| q * len + i;
        let total = self.states.len() * len;
        let step = |x: usize| -> Vec<usize> {
            let (q, i) = (x / len, x % len);
            let j = w.succ(i);
            self.states[q]
                .successors
                .iter()
                .filter(|&&r| self.fits(r, w.letters[j]))
                .map(|&r| id(r, j))
                .collect()
        };
        let reach_from = |starts: Vec<usize>| {
            let mut seen = vec![false; total];
            let mut stack = starts;
            while let Some(x) = stack.pop() {
                for y in step(x) {
                    if !seen[y] {
                        seen[y] = true;
                        stack.push(y);
                    }
                }
            }
            seen
        };
        let starts: Vec<usize> = self
            .initial
            .iter()
            .filter(|&&q| self.fits(q, w.letters[0]))
            .map(|&q| id(q, 0))
            .collect();
        let mut reachable = reach_from(starts.clone());
        for &s in &starts {
            reachable[s] = true;
        }
        // A reachable x on a cycle whose strongly connected component meets
        // every acceptance set (reachability in one or more steps, from
        // every reachable x once).
        let live: Vec<usize> = (0..total).filter(|&x| reachable[x]).collect();
        let reach: HashMap<usize, Vec<bool>> =
            live.iter().map(|&x| (x, reach_from(vec![x]))).collect();
        live.iter().any(|&x| {
            if !reach[&x][x] {
                return false;
            }
            let component: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&y| reach[&x][y] && reach[&y][x])
                .collect();
            self.accepting
                .iter()
                .all(|set| component.iter().any(|&y| set[y / len]))
        })
    }
}

/// Whether `f` holds at position 0 of the lasso word, by the semantics
/// (positions visited in order along the word, each at most twice).
pub fn holds_on_lasso(f: &Formula, w: &Lasso) -> bool {
    sat(f, w)[0]
}

fn sat(f: &Formula, w: &Lasso) -> Vec<bool> {
    use Formula as F;
    let n = w.letters.len();
    // The positions from i on, in order, long enough to cover the loop.
    let path = |i: usize| {
        let mut p = Vec::with_capacity(2 * n);
        let mut x = i;
        for _ in 0..2 * n {
            p.push(x);
            x = w.succ(x);
        }
        p
    };
    match f {
        F::True => vec![true; n],
        F::False => vec![false; n],
        F::Atom(a) => w.letters.iter().map(|l| l >> a & 1 != 0).collect(),
        F::Not(a) => sat(a, w).iter().map(|x| !x).collect(),
        F::And(a, b) => zip(sat(a, w), sat(b, w), |x, y| x && y),
        F::Or(a, b) => zip(sat(a, w), sat(b, w), |x, y| x || y),
        F::Implies(a, b) => zip(sat(a, w), sat(b, w), |x, y| !x || y),
        F::Eventually(a) => {
            let s = sat(a, w);
            (0..n).map(|i| path(i).iter().any(|&p| s[p])).collect()
        }
        F::Always(a) => {
            let s = sat(a, w);
            (0..n).map(|i| path(i).iter().all(|&p| s[p])).collect()
        }
        F::Until(a, b) => {
            let (sa, sb) = (sat(a, w), sat(b, w));
            (0..n)
                .map(|i| {
                    for &p in &path(i) {
                        if sb[p] {
                            return true;
                        }
                        if !sa[p] {
                            return false;
                        }
                    }
                    false
                })
                .collect()
        }
        F::LeadsTo(a, b) => {
            let sa = sat(a, w);
            let eb = sat(&F::Eventually(b.clone()), w);
            (0..n)
                .map(|i| path(i).iter().all(|&p| !sa[p] || eb[p]))
                .collect()
        }
    }
}

/// One fact of an explanation ([`why_not`]), at a position of the lasso.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// The subformula holds at the position.
    Holds(Formula, usize),
    /// It does not hold at the position.
    Fails(Formula, usize),
    /// It holds at no position from this one on (the rest of the prefix
    /// and the whole cycle).
    Never(Formula, usize),
}

/// Why `f` does not hold at position 0 of the lasso word: the facts that
/// refute it, outermost first (`always (t implies always t)`: `t` holds at
/// 3, `t` fails at 5). Empty when `f` holds.
pub fn why_not(f: &Formula, w: &Lasso) -> Vec<Why> {
    let mut out = Vec::new();
    if !sat(f, w)[0] {
        refute(f, 0, w, &mut out);
    }
    out
}

/// The positions from `i` on, in the order a behaviour visits them, each
/// once.
fn from(w: &Lasso, i: usize) -> Vec<usize> {
    let n = w.letters.len();
    let mut p = Vec::new();
    let mut seen = vec![false; n];
    let mut x = i;
    while !seen[x] {
        seen[x] = true;
        p.push(x);
        x = w.succ(x);
    }
    p
}

/// Adds to `out` why `f`, false at position `i`, is false there.
fn refute(f: &Formula, i: usize, w: &Lasso, out: &mut Vec<Why>) {
    use Formula as F;
    let at = |g: &Formula, j: usize| sat(g, w)[j];
    match f {
        F::Not(a) => match &**a {
            F::Not(b) => refute(b, i, w, out),
            _ => out.push(Why::Holds((**a).clone(), i)),
        },
        F::And(a, b) => {
            let x = if at(a, i) { b } else { a };
            refute(x, i, w, out);
        }
        F::Implies(a, b) => {
            out.push(Why::Holds((**a).clone(), i));
            refute(b, i, w, out);
        }
        F::Always(a) => {
            let j = from(w, i)
                .into_iter()
                .find(|&j| !at(a, j))
                .expect("always fails somewhere");
            refute(a, j, w, out);
        }
        F::Eventually(a) => out.push(Why::Never((**a).clone(), i)),
        F::LeadsTo(a, b) => {
            let eb = sat(&F::Eventually(b.clone()), w);
            let j = from(w, i)
                .into_iter()
                .find(|&j| at(a, j) && !eb[j])
                .expect("leads_to fails somewhere");
            out.push(Why::Holds((**a).clone(), j));
            out.push(Why::Never((**b).clone(), j));
        }
        F::Until(a, b) => {
            let (sa, sb) = (sat(a, w), sat(b, w));
            match from(w, i).into_iter().find(|&j| sb[j] || !sa[j]) {
                Some(j) if !sb[j] => refute(a, j, w, out),
                _ => out.push(Why::Never((**b).clone(), i)),
            }
        }
        _ => out.push(Why::Fails(f.clone(), i)),
    }
}

fn zip(a: Vec<bool>, b: Vec<bool>, f: impl Fn(bool, bool) -> bool) -> Vec<bool> {
    a.into_iter().zip(b).map(|(x, y)| f(x, y)).collect()
}
