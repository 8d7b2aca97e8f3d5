//! The analysis of one liveness check on the state graph: the regions R, E,
//! A of its form, the fair components of R (Tarjan's SCCs and the
//! Emerson–Lei refinement), the canonical lasso search and the fair cycle.
//! See the documentation of [`crate::liveness`] for the semantics.

use dcheck_model::system::{FairnessConstraint, TemporalForm, TransitionId};
use std::collections::{HashMap, VecDeque};

use crate::graph::{Graph, NONE};

/// A set of states: all of them, or a bitset.
pub(crate) enum Set {
    All,
    Bits(Vec<u64>),
}

impl Set {
    #[inline]
    pub(crate) fn has(&self, s: u32) -> bool {
        match self {
            Set::All => true,
            Set::Bits(b) => b[s as usize / 64] >> (s % 64) & 1 != 0,
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Set::All => 0,
            Set::Bits(b) => b.capacity() as u64 * 8,
        }
    }
}

fn not(bits: &[u64], n: usize) -> Vec<u64> {
    let mut v: Vec<u64> = bits.iter().map(|w| !w).collect();
    if !n.is_multiple_of(64) {
        if let Some(last) = v.last_mut() {
            *last &= (1u64 << (n % 64)) - 1;
        }
    }
    v
}

#[inline]
fn set_bit(b: &mut [u64], s: u32) {
    b[s as usize / 64] |= 1 << (s % 64);
}

#[inline]
fn get_bit(b: &[u64], s: u32) -> bool {
    b[s as usize / 64] >> (s % 64) & 1 != 0
}

/// The regions of a check (see the module documentation of
/// [`crate::liveness`]).
pub(crate) struct Regions {
    pub r: Set,
    pub e: Set,
    /// The acceptance sets: a cycle must meet each (none: any cycle).
    pub a: Vec<Set>,
    /// `Eventually`: the search starts in phase 1 at the initial states in E.
    pub direct: bool,
    /// `Fair`: the step predicate whose edges leave the region (phase 1,
    /// the components and the cycle use none of them).
    pub skip: Option<u32>,
}

impl Regions {
    /// Whether edge `e` may be used inside the region.
    #[inline]
    fn inside(&self, g: &Graph, e: usize) -> bool {
        self.skip.is_none_or(|q| !g.edge_pred(q, e))
    }

    /// The first edge from `u` to `v` usable inside the region.
    fn first_inside(&self, g: &Graph, u: u32, v: u32) -> Option<usize> {
        g.edges(u).find(|&e| g.targets[e] == v && self.inside(g, e))
    }

    /// Whether state `s` is in every acceptance set.
    fn accepting_all(&self, s: u32) -> bool {
        self.a.iter().all(|a| a.has(s))
    }
}

/// The graph a product is built over (see [`crate::liveness::product`]):
/// the analysis runs on the product, but fairness is the concrete
/// graph's, read at each product node's state.
pub(crate) struct Base<'a> {
    pub graph: &'a Graph,
    /// Per product node, its state in `graph`.
    pub of: Vec<u32>,
}

/// What the analysis asks of the graph it runs on beyond its edges: which
/// steps change the state, which constraints a node enables, and whether
/// a dead end stutters. On the state graph itself (`base` is `None`) these
/// are read from its own edges; on a product, from the underlying state
/// graph, and stuttering is explicit (edges of the product).
#[derive(Clone, Copy)]
struct Env<'a> {
    g: &'a Graph,
    base: Option<&'a Base<'a>>,
    fc: &'a Fairness,
}

impl Env<'_> {
    /// Whether the step from node `u` to node `v` changes the state (else
    /// it is a stutter: it neither enables nor takes).
    #[inline]
    fn moves(&self, u: u32, v: u32) -> bool {
        match self.base {
            None => u != v,
            Some(b) => b.of[u as usize] != b.of[v as usize],
        }
    }

    /// The state graph and the state of node `s`.
    #[inline]
    fn state(&self, s: u32) -> (&Graph, u32) {
        match self.base {
            None => (self.g, s),
            Some(b) => (b.graph, b.of[s as usize]),
        }
    }

    /// Whether node `s` enables constraint `c`.
    fn enabled(&self, s: u32, c: usize) -> bool {
        let (g, s) = self.state(s);
        self.fc.enabled(g, s, c)
    }

    /// Ors into `out` the constraints node `s` enables.
    fn enabled_mask(&self, s: u32, out: &mut [u64]) {
        let (g, s) = self.state(s);
        for e in g.edges(s) {
            if g.targets[e] != s {
                for (o, m) in out.iter_mut().zip(self.fc.mask(g.labels.get(e))) {
                    *o |= m;
                }
            }
        }
    }

    /// Whether node `s` enables one of the constraints in `mask`.
    fn enables_any(&self, s: u32, mask: &[u64]) -> bool {
        let (g, s) = self.state(s);
        g.moves_by(s, |t| {
            self.fc.mask(t).iter().zip(mask).any(|(m, k)| m & k != 0)
        })
    }

    /// Whether node `s` may stutter forever without an edge of its own:
    /// a state graph's dead end (a product's stuttering is its edges).
    fn dead_end(&self, s: u32) -> bool {
        self.base.is_none() && self.g.edges(s).is_empty()
    }
}

pub(crate) fn regions(g: &Graph, form: &TemporalForm) -> Regions {
    let n = g.n;
    let pred = |p: u32| &g.preds[p as usize];
    match *form {
        TemporalForm::Eventually(p) => {
            let mut e = vec![0u64; n.div_ceil(64)];
            for &i in &g.initial {
                if !g.pred(p, i) {
                    set_bit(&mut e, i);
                }
            }
            Regions {
                r: Set::Bits(not(pred(p), n)),
                e: Set::Bits(e),
                a: vec![],
                direct: true,
                skip: None,
            }
        }
        TemporalForm::AlwaysEventually(p) => Regions {
            r: Set::Bits(not(pred(p), n)),
            e: Set::Bits(not(pred(p), n)),
            a: vec![],
            direct: false,
            skip: None,
        },
        TemporalForm::EventuallyAlways(p) => Regions {
            r: Set::All,
            e: Set::All,
            a: vec![Set::Bits(not(pred(p), n))],
            direct: false,
            skip: None,
        },
        TemporalForm::LeadsTo(p, q) => {
            let nq = not(pred(q), n);
            let e = nq.iter().zip(pred(p)).map(|(a, b)| a & b).collect();
            Regions {
                r: Set::Bits(nq),
                e: Set::Bits(e),
                a: vec![],
                direct: false,
                skip: None,
            }
        }
        // Weak: from the entry on, always enabled and never taken; strong:
        // never taken, and enabled in some state of the cycle.
        TemporalForm::Fair {
            strong: false,
            enabled,
            taken,
        } => Regions {
            r: Set::Bits(pred(enabled).clone()),
            e: Set::Bits(pred(enabled).clone()),
            a: vec![],
            direct: false,
            skip: Some(taken),
        },
        TemporalForm::Fair {
            strong: true,
            enabled,
            taken,
        } => Regions {
            r: Set::All,
            e: Set::All,
            a: vec![Set::Bits(pred(enabled).clone())],
            direct: false,
            skip: Some(taken),
        },
        TemporalForm::General { .. } => unreachable!("a general form is checked on its product"),
    }
}

/// A check's fairness constraints as bit masks over the constraints.
pub(crate) struct Fairness {
    /// Number of constraints.
    pub k: usize,
    /// Words per mask.
    kw: usize,
    /// Per transition: the constraints containing it (`kw` words each).
    by_label: Vec<u64>,
    weak: Vec<u64>,
    strong: Vec<u64>,
    /// TLA+'s stuttering semantics: every state may repeat forever (a
    /// stutter step, which takes nothing), so a single state is a cycle of
    /// its own. `false` (`assume_progress`): only a state without
    /// out-edges stutters.
    pub stutter: bool,
}

impl Fairness {
    pub(crate) fn new(
        constraints: &[&FairnessConstraint],
        transitions: usize,
        stutter: bool,
    ) -> Fairness {
        let k = constraints.len();
        let kw = k.div_ceil(64);
        let mut by_label = vec![0u64; transitions * kw];
        let mut weak = vec![0u64; kw];
        let mut strong = vec![0u64; kw];
        for (c, fc) in constraints.iter().enumerate() {
            for &t in &fc.transitions {
                if (t as usize) < transitions {
                    by_label[t as usize * kw + c / 64] |= 1 << (c % 64);
                }
            }
            if fc.strong {
                strong[c / 64] |= 1 << (c % 64);
            } else {
                weak[c / 64] |= 1 << (c % 64);
            }
        }
        Fairness {
            k,
            kw,
            by_label,
            weak,
            strong,
            stutter,
        }
    }

    #[inline]
    fn mask(&self, t: TransitionId) -> &[u64] {
        &self.by_label[t as usize * self.kw..(t as usize + 1) * self.kw]
    }

    /// Whether transition `t` belongs to constraint `c`.
    #[inline]
    pub(crate) fn contains(&self, t: TransitionId, c: usize) -> bool {
        self.mask(t)[c / 64] >> (c % 64) & 1 != 0
    }

    /// Whether state `s` enables constraint `c`: one of its transitions
    /// leads to another state (a self-loop is a stuttering step, which
    /// neither enables nor takes an action for fairness, as TLA+'s
    /// `<<A>>_vars`).
    pub(crate) fn enabled(&self, g: &Graph, s: u32, c: usize) -> bool {
        g.moves_by(s, |t| self.contains(t, c))
    }

    fn is_strong(&self, c: usize) -> bool {
        self.strong[c / 64] >> (c % 64) & 1 != 0
    }
}

/// One frame of the iterative Tarjan: the node, its lowlink, its next edge.
/// A state being expanded by Tarjan's algorithm: 12 bytes (one per state
/// on the DFS path, which can be most of the graph), so the position is
/// the edge's index within the state's row, not in the whole graph.
struct Frame {
    node: u32,
    low: u32,
    pos: u32,
}

/// The state of the analysis of one check.
struct Analysis<'a> {
    g: &'a Graph,
    rg: &'a Regions,
    fair_c: &'a Fairness,
    env: Env<'a>,
    /// Per state: 0 = outside the current subgraph; otherwise the id of the
    /// subgraph being decomposed, or of the component the state was put in.
    tag: Vec<u32>,
    next_tag: u32,
    index: Vec<u32>,
    stack: Vec<u32>,
    frames: Vec<Frame>,
    /// Subsets still to decompose (Emerson–Lei: strongly fair constraints
    /// violated on a component).
    jobs: Vec<Vec<u32>>,
    job_words: u64,
    fair: Vec<u64>,
    any_fair: bool,
    // Scratch masks.
    taken: Vec<u64>,
    en_all: Vec<u64>,
    en_some: Vec<u64>,
    en_s: Vec<u64>,
    peak: u64,
}

/// A violating lasso as state ids and transitions: `states[0]` is an
/// initial state, `labels[i]` leads from `states[i]` to `states[i + 1]`,
/// and `states[loop_start..]` is the cycle (the last state equals
/// `states[loop_start]`; the cycle is empty when `loop_start` is the last
/// index).
pub(crate) struct Path {
    pub states: Vec<u32>,
    pub labels: Vec<TransitionId>,
    pub loop_start: usize,
}

pub(crate) struct Result {
    pub lasso: Option<Path>,
    /// Peak bytes of the analysis (not counting the graph).
    pub bytes: u64,
}

const ROOT: u32 = u32::MAX - 1;

impl Analysis<'_> {
    fn bytes(&self) -> u64 {
        (self.tag.capacity() * 4
            + self.index.capacity() * 4
            + self.stack.capacity() * 4
            + self.frames.capacity() * std::mem::size_of::<Frame>()
            + self.fair.capacity() * 8) as u64
            + self.job_words * 4
            + self.rg.r.bytes()
            + self.rg.e.bytes()
            + self.rg.a.iter().map(Set::bytes).sum::<u64>()
    }

    fn note(&mut self, extra: u64) {
        self.peak = self.peak.max(self.bytes() + extra);
    }

    fn fresh_tag(&mut self) -> u32 {
        let t = self.next_tag;
        self.next_tag = self.next_tag.checked_add(1).expect("too many components");
        t
    }

    /// Tarjan's algorithm over the states tagged `cur` (edges leaving them
    /// ignored), from `roots` in order; every component found is examined
    /// by [`Analysis::component`].
    fn tarjan(&mut self, cur: u32, roots: &mut dyn Iterator<Item = u32>) {
        let g = self.g;
        let mut counter: u32 = 1;
        for root in roots {
            if self.tag[root as usize] != cur || self.index[root as usize] != 0 {
                continue;
            }
            self.index[root as usize] = counter;
            counter += 1;
            self.stack.push(root);
            self.frames.push(Frame {
                node: root,
                low: self.index[root as usize],
                pos: 0,
            });
            loop {
                let top = self.frames.last_mut().expect("non-empty");
                let row = g.edges(top.node);
                if (top.pos as usize) < row.len() {
                    let e = row.start + top.pos as usize;
                    let w = g.targets[e];
                    top.pos += 1;
                    if self.tag[w as usize] != cur || !self.rg.inside(g, e) {
                        continue;
                    }
                    let iw = self.index[w as usize];
                    if iw == 0 {
                        self.index[w as usize] = counter;
                        self.stack.push(w);
                        self.frames.push(Frame {
                            node: w,
                            low: counter,
                            pos: 0,
                        });
                        counter += 1;
                    } else {
                        // Tagged `cur` and visited: still on the stack.
                        top.low = top.low.min(iw);
                    }
                    continue;
                }
                let frame = self.frames.pop().expect("non-empty");
                if frame.low == self.index[frame.node as usize] {
                    let at = self
                        .stack
                        .iter()
                        .rposition(|&s| s == frame.node)
                        .expect("on the stack");
                    // The component is examined where it lies on the
                    // stack (no copy: it can be most of the graph).
                    self.component(at);
                    self.stack.truncate(at);
                }
                match self.frames.last_mut() {
                    Some(parent) => parent.low = parent.low.min(frame.low),
                    None => break,
                }
            }
        }
        self.note(0);
    }

    /// Examines the component `self.stack[at..]`: tags it, and marks it
    /// fair, rejects it, or queues the part to decompose again.
    fn component(&mut self, at: usize) {
        let g = self.g;
        let t = self.fresh_tag();
        for &s in &self.stack[at..] {
            self.tag[s as usize] = t;
        }
        let members = &self.stack[at..];
        let s0 = members[0];
        if members.len() == 1 {
            if self.env.dead_end(s0) {
                // Stuttering: every constraint is disabled.
                if self.rg.accepting_all(s0) {
                    self.mark_fair(at);
                }
                return;
            }
            // Under stuttering semantics a state is a cycle of its own
            // (its stutter step takes nothing): the fairness test below
            // decides.
            if !self.fair_c.stutter && !g.edges(s0).any(|e| g.targets[e] == s0) {
                return;
            }
        }
        if !self.rg.a.iter().all(|a| members.iter().any(|&s| a.has(s))) {
            return;
        }
        let f = self.fair_c;
        if f.k > 0 {
            self.taken.fill(0);
            self.en_all.fill(!0);
            self.en_some.fill(0);
            let env = self.env;
            for &s in &self.stack[at..] {
                self.en_s.fill(0);
                env.enabled_mask(s, &mut self.en_s);
                for e in g.edges(s) {
                    let v = g.targets[e];
                    // A stutter takes nothing: see `Fairness::enabled`.
                    if self.tag[v as usize] == t && self.rg.inside(g, e) && env.moves(s, v) {
                        for (i, &mi) in f.mask(g.labels.get(e)).iter().enumerate() {
                            self.taken[i] |= mi;
                        }
                    }
                }
                for i in 0..f.kw {
                    self.en_all[i] &= self.en_s[i];
                    self.en_some[i] |= self.en_s[i];
                }
            }
            let mut weak_fail = false;
            let mut strong_fail = false;
            for i in 0..f.kw {
                weak_fail |= self.en_all[i] & !self.taken[i] & f.weak[i] != 0;
                // Reuse en_some as the failing strong constraints.
                self.en_some[i] &= !self.taken[i] & f.strong[i];
                strong_fail |= self.en_some[i] != 0;
            }
            if weak_fail {
                return;
            }
            if strong_fail {
                let mut rest = Vec::new();
                for &s in &self.stack[at..] {
                    if self.env.enables_any(s, &self.en_some) {
                        self.tag[s as usize] = 0;
                    } else {
                        rest.push(s);
                    }
                }
                if !rest.is_empty() {
                    self.job_words += rest.len() as u64;
                    self.jobs.push(rest);
                    self.note(0);
                }
                return;
            }
        }
        self.mark_fair(at);
    }

    fn mark_fair(&mut self, at: usize) {
        for &s in &self.stack[at..] {
            set_bit(&mut self.fair, s);
        }
        self.any_fair = true;
    }

    /// Computes the fair components of R.
    fn fair_components(&mut self) {
        let n = self.g.n as u32;
        for s in 0..n {
            if self.rg.r.has(s) {
                self.tag[s as usize] = 1;
            }
        }
        self.tarjan(1, &mut (0..n));
        while let Some(job) = self.jobs.pop() {
            self.job_words -= job.len() as u64;
            let cur = self.fresh_tag();
            for &s in &job {
                self.tag[s as usize] = cur;
                self.index[s as usize] = 0;
            }
            self.tarjan(cur, &mut job.iter().copied());
        }
    }

    /// The canonical lasso search: BFS over (state, phase) from the initial
    /// states; returns the prefix to the first phase-1 fair state found.
    fn prefix(&mut self) -> Option<(Vec<u32>, Vec<TransitionId>)> {
        if self.env.base.is_some() {
            return self.product_prefix();
        }
        let g = self.g;
        let rg = self.rg;
        let n = g.n;
        let fair = &self.fair;
        // `index` is free after the decomposition: the phase-0 parents
        // (given back at the end, for `bfs_in`).
        let mut par0 = std::mem::take(&mut self.index);
        par0.fill(NONE);
        let mut par1 = vec![NONE; n];
        // A queue that frees what it has handed out: its peak is the
        // widest BFS level, not every (state, phase) reached.
        let mut queue: std::collections::VecDeque<u64> = Default::default();
        let mut found = None;
        // Discovers (v, 1) with parent `p` (v itself: switched from phase 0).
        let reach1 = |v: u32, p: u32, par1: &mut Vec<u32>, queue: &mut VecDeque<u64>| {
            if par1[v as usize] == NONE {
                par1[v as usize] = p;
                queue.push_back((v as u64) << 1 | 1);
                if get_bit(fair, v) {
                    return Some(v);
                }
            }
            None
        };
        'search: {
            for &i in &g.initial {
                if rg.direct {
                    if rg.e.has(i) {
                        if let Some(f) = reach1(i, ROOT, &mut par1, &mut queue) {
                            found = Some(f);
                            break 'search;
                        }
                    }
                } else if par0[i as usize] == NONE {
                    par0[i as usize] = ROOT;
                    queue.push_back((i as u64) << 1);
                    if rg.e.has(i) {
                        if let Some(f) = reach1(i, i, &mut par1, &mut queue) {
                            found = Some(f);
                            break 'search;
                        }
                    }
                }
            }
            while let Some(q) = queue.pop_front() {
                let (u, phase) = ((q >> 1) as u32, q & 1);
                for e in g.edges(u) {
                    let v = g.targets[e];
                    if phase == 0 {
                        if par0[v as usize] == NONE {
                            par0[v as usize] = u;
                            queue.push_back((v as u64) << 1);
                            if rg.e.has(v) {
                                if let Some(f) = reach1(v, v, &mut par1, &mut queue) {
                                    found = Some(f);
                                    break 'search;
                                }
                            }
                        }
                    } else if rg.r.has(v) && rg.inside(g, e) {
                        if let Some(f) = reach1(v, u, &mut par1, &mut queue) {
                            found = Some(f);
                            break 'search;
                        }
                    }
                }
            }
        }
        self.note((par1.capacity() * 4 + queue.capacity() * 8) as u64);
        let Some(f) = found else {
            self.index = par0;
            return None;
        };
        // Walk back from (f, 1).
        let mut states = vec![f];
        let mut labels = Vec::new();
        let (mut v, mut phase) = (f, 1);
        loop {
            let p = if phase == 1 {
                par1[v as usize]
            } else {
                par0[v as usize]
            };
            if p == ROOT {
                break;
            }
            if phase == 1 && p == v {
                phase = 0;
                continue;
            }
            let e = match phase {
                1 => rg.first_inside(g, p, v),
                _ => g.first_edge(p, v),
            };
            labels.push(g.labels.get(e.expect("parent edge")));
            states.push(p);
            v = p;
        }
        states.reverse();
        labels.reverse();
        self.index = par0;
        Some((states, labels))
    }

    /// The lasso search on a product (every node is in R and E): the
    /// nearest fair node from the initial nodes, counting the steps of the
    /// states, not of the product. A stutter edge costs nothing (it is
    /// dropped from the lasso), so this is a 0-1 BFS: a deque, stutters
    /// pushed at the front, nodes taken in order of distance, edges in
    /// order. Deterministic like the search above.
    fn product_prefix(&mut self) -> Option<(Vec<u32>, Vec<TransitionId>)> {
        let g = self.g;
        let n = g.n;
        let mut dist = vec![u32::MAX; n];
        // `index` is free after the decomposition: the parents.
        let mut par = std::mem::take(&mut self.index);
        par.fill(NONE);
        let mut queue: VecDeque<(u32, u32)> = VecDeque::new();
        for &i in &g.initial {
            if dist[i as usize] == u32::MAX {
                dist[i as usize] = 0;
                par[i as usize] = ROOT;
                queue.push_back((i, 0));
            }
        }
        let mut found = None;
        while let Some((u, d)) = queue.pop_front() {
            if d != dist[u as usize] {
                continue; // reached again, nearer, since it was queued
            }
            if get_bit(&self.fair, u) {
                found = Some(u);
                break;
            }
            for e in g.edges(u) {
                let v = g.targets[e];
                let free = g.labels.get(e) == super::product::STUTTER;
                let dv = d + u32::from(!free);
                if dv < dist[v as usize] {
                    dist[v as usize] = dv;
                    par[v as usize] = u;
                    if free {
                        queue.push_front((v, dv));
                    } else {
                        queue.push_back((v, dv));
                    }
                }
            }
        }
        self.note((dist.capacity() * 4 + queue.capacity() * 8) as u64);
        let Some(f) = found else {
            self.index = par;
            return None;
        };
        let mut states = vec![f];
        let mut labels = Vec::new();
        let mut v = f;
        while par[v as usize] != ROOT {
            let u = par[v as usize];
            // The edge the distance came by: a stutter when it cost nothing.
            let free = dist[v as usize] == dist[u as usize];
            let e = g
                .edges(u)
                .find(|&e| {
                    g.targets[e] == v && (g.labels.get(e) == super::product::STUTTER) == free
                })
                .expect("parent edge");
            labels.push(g.labels.get(e));
            states.push(u);
            v = u;
        }
        states.reverse();
        labels.reverse();
        self.index = par;
        Some((states, labels))
    }

    /// On a product: whether the automaton can run forever on `f`'s state
    /// stuttering (a cycle of stutter edges through `f`, all at the same
    /// state) and meet every acceptance set on the way. Such a cycle is
    /// the state repeating forever, the shortest there is; it is fair when
    /// the state enables no constraint (the caller checks).
    fn stutter_cycle(&self, f: u32) -> bool {
        let g = self.g;
        let stutters = |x: u32| {
            g.edges(x)
                .filter(move |&e| g.labels.get(e) == super::product::STUTTER)
                .map(move |e| g.targets[e])
        };
        // Stutter edges stay at one state: the nodes they reach from `f`
        // are at most as many as the automaton's states. Forward from `f`,
        // with the reverse edges among them; then back to `f`.
        let mut at: HashMap<u32, usize> = HashMap::from([(f, 0)]);
        let mut nodes = vec![f];
        let mut rev: Vec<Vec<usize>> = vec![Vec::new()];
        let mut i = 0;
        while i < nodes.len() {
            for y in stutters(nodes[i]) {
                let j = *at.entry(y).or_insert_with(|| {
                    nodes.push(y);
                    rev.push(Vec::new());
                    nodes.len() - 1
                });
                rev[j].push(i);
            }
            i += 1;
        }
        // On a cycle through `f`: reached from `f` and reaching it.
        let mut back = vec![false; nodes.len()];
        let mut stack: Vec<usize> = rev[0].clone();
        while let Some(x) = stack.pop() {
            if !back[x] {
                back[x] = true;
                stack.extend(&rev[x]);
            }
        }
        back[0]
            && self
                .rg
                .a
                .iter()
                .all(|a| (0..nodes.len()).any(|x| back[x] && a.has(nodes[x])))
    }

    /// BFS inside the component tagged `comp` from `from` (edge order): the
    /// path to the first edge `edge_goal(label, target)` accepts or the first
    /// newly reached state `state_goal` accepts.
    fn bfs_in(
        &mut self,
        comp: u32,
        from: u32,
        edge_goal: &dyn Fn(TransitionId, u32, u32) -> bool,
        state_goal: &dyn Fn(u32) -> bool,
        out_states: &mut Vec<u32>,
        out_labels: &mut Vec<TransitionId>,
    ) {
        let g = self.g;
        // `index` is free after the decomposition: parents, NONE = unseen.
        let par = &mut self.index;
        let mut seen = vec![from];
        par[from as usize] = ROOT;
        let mut head = 0;
        let mut hit: Option<(u32, Option<usize>)> = None;
        'bfs: while head < seen.len() {
            let u = seen[head];
            head += 1;
            for e in g.edges(u) {
                let v = g.targets[e];
                if self.tag[v as usize] != comp || !self.rg.inside(g, e) {
                    continue;
                }
                if edge_goal(g.labels.get(e), u, v) {
                    hit = Some((u, Some(e)));
                    break 'bfs;
                }
                if par[v as usize] == NONE {
                    par[v as usize] = u;
                    seen.push(v);
                    if state_goal(v) {
                        hit = Some((v, None));
                        break 'bfs;
                    }
                }
            }
        }
        let (end, last) = hit.expect("a fair component satisfies its obligations");
        let mut rev_states = Vec::new();
        let mut rev_labels = Vec::new();
        if let Some(e) = last {
            rev_states.push(g.targets[e]);
            rev_labels.push(g.labels.get(e));
        }
        let mut v = end;
        while v != from {
            let p = par[v as usize];
            rev_states.push(v);
            let e = self.rg.first_inside(g, p, v).expect("parent edge");
            rev_labels.push(g.labels.get(e));
            v = p;
        }
        for &s in &seen {
            par[s as usize] = NONE;
        }
        out_states.extend(rev_states.iter().rev());
        out_labels.extend(rev_labels.iter().rev());
    }

    /// A cycle from `f` back to `f` inside its fair component meeting every
    /// fairness and acceptance obligation (greedy nearest-first).
    fn cycle(&mut self, f: u32) -> (Vec<u32>, Vec<TransitionId>) {
        let fc = self.fair_c;
        let env = self.env;
        let comp = self.tag[f as usize];
        let mut states = vec![f];
        let mut labels = Vec::new();
        // Stuttering in `f` forever: always allowed in a state without
        // out-edges; under stuttering semantics wherever `f` is accepting
        // and enables no constraint (the shortest cycle there is).
        // On a product, stuttering is edges: `f` may stutter forever if
        // the automaton can go round its acceptance sets on stutters there.
        // (`fc.stutter` is false for a product: see `liveness::check`.)
        if env.dead_end(f)
            || ((fc.stutter || env.base.is_some())
                && (0..fc.k).all(|c| !env.enabled(f, c))
                && match env.base {
                    None => self.rg.accepting_all(f),
                    Some(_) => self.stutter_cycle(f),
                })
        {
            return (states, labels);
        }
        self.index.fill(NONE);
        // Pending obligations: per constraint, and acceptance.
        let k = fc.k;
        let mut pending = vec![false; k];
        for (c, p) in pending.iter_mut().enumerate() {
            *p = if fc.is_strong(c) {
                (0..self.g.n as u32).any(|s| self.tag[s as usize] == comp && env.enabled(s, c))
            } else {
                true
            };
        }
        let rg = self.rg;
        // Per acceptance set: not visited yet.
        let mut accept = vec![true; rg.a.len()];
        let visit = |s: u32, pending: &mut [bool], accept: &mut [bool]| {
            for (c, p) in pending.iter_mut().enumerate() {
                if *p && !fc.is_strong(c) && !env.enabled(s, c) {
                    *p = false;
                }
            }
            for (a, p) in rg.a.iter().zip(accept.iter_mut()) {
                if *p && a.has(s) {
                    *p = false;
                }
            }
        };
        let take = |t: TransitionId, pending: &mut [bool]| {
            for (c, p) in pending.iter_mut().enumerate() {
                if *p && fc.contains(t, c) {
                    *p = false;
                }
            }
        };
        visit(f, &mut pending, &mut accept);
        let mut cur = f;
        while accept.iter().any(|&a| a) || pending.iter().any(|&p| p) {
            let from = states.len();
            {
                let p = &pending;
                let acc = &accept;
                let edge_goal = |t: TransitionId, u: u32, v: u32| {
                    env.moves(u, v) && (0..k).any(|c| p[c] && fc.contains(t, c))
                };
                let state_goal = |s: u32| {
                    rg.a.iter().zip(acc).any(|(a, &p)| p && a.has(s))
                        || (0..k).any(|c| p[c] && !fc.is_strong(c) && !env.enabled(s, c))
                };
                self.bfs_in(comp, cur, &edge_goal, &state_goal, &mut states, &mut labels);
            }
            for i in from..states.len() {
                if env.moves(states[i - 1], states[i]) {
                    take(labels[i - 1], &mut pending);
                }
                visit(states[i], &mut pending, &mut accept);
            }
            cur = *states.last().expect("non-empty");
        }
        if cur != f || labels.is_empty() {
            self.bfs_in(
                comp,
                cur,
                &|_, _, v| v == f,
                &|_| false,
                &mut states,
                &mut labels,
            );
        }
        (states, labels)
    }
}

/// The same behaviour as a shorter lasso: a cycle gone round several times
/// is kept once, and while the step into the cycle equals the cycle's last
/// step the cycle starts one step earlier. (A product's automaton may need
/// both: it can enter its cycle after the states do, and meet its
/// acceptance sets only on a later round.)
pub(crate) fn tighten(mut p: Path) -> Path {
    let (states, labels) = (&mut p.states, &mut p.labels);
    let len = labels.len() - p.loop_start.min(labels.len());
    if let Some(period) = (1..len).find(|&k| {
        len % k == 0
            && (0..len).all(|i| {
                let (a, b) = (p.loop_start + i, p.loop_start + i % k);
                states[a] == states[b] && labels[a] == labels[b]
            })
    }) {
        states.truncate(p.loop_start + period + 1);
        labels.truncate(p.loop_start + period);
    }
    let mut m = states.len() - 1;
    while p.loop_start > 0
        && p.loop_start < m
        && states[p.loop_start - 1] == states[m - 1]
        && labels[p.loop_start - 1] == labels[m - 1]
    {
        states.pop();
        labels.pop();
        p.loop_start -= 1;
        m -= 1;
    }
    p
}

/// Runs the analysis of one check on `g`: the state graph, or a product
/// over the state graph `base`.
pub(crate) fn analyse(g: &Graph, base: Option<&Base>, rg: &Regions, fair_c: &Fairness) -> Result {
    let n = g.n;
    let kw = fair_c.kw;
    let mut a = Analysis {
        g,
        rg,
        fair_c,
        env: Env {
            g,
            base,
            fc: fair_c,
        },
        tag: vec![0; n],
        next_tag: 2,
        index: vec![0; n],
        stack: Vec::new(),
        frames: Vec::new(),
        jobs: Vec::new(),
        job_words: 0,
        fair: vec![0; n.div_ceil(64)],
        any_fair: false,
        taken: vec![0; kw],
        en_all: vec![0; kw],
        en_some: vec![0; kw],
        en_s: vec![0; kw],
        peak: 0,
    };
    a.fair_components();
    a.stack = Vec::new();
    a.frames = Vec::new();
    if !a.any_fair {
        return Result {
            lasso: None,
            bytes: a.peak,
        };
    }
    let Some((mut states, mut labels)) = a.prefix() else {
        return Result {
            lasso: None,
            bytes: a.peak,
        };
    };
    let f = *states.last().expect("non-empty");
    let loop_start = states.len() - 1;
    let (cs, cl) = a.cycle(f);
    states.extend_from_slice(&cs[1..]);
    labels.extend_from_slice(&cl);
    a.note(((states.capacity() + labels.capacity()) * 4) as u64);
    let path = Path {
        states,
        labels,
        loop_start,
    };
    Result {
        lasso: Some(path),
        bytes: a.peak,
    }
}
