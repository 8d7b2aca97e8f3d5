//! Single-decree Paxos as written in dcheck's `specs/paxos.ron` (roles and
//! messages: proposers, acceptors, learners, a per-channel duplicating
//! network, crash-stop of at most F acceptors) as a Stateright [`Model`]
//! that explores exactly the transition system dcheck builds from that spec:
//! the same distinct states and the same successors, one per enabled
//! transition, so `unique_state_count` equals dcheck's `distinct_states` and
//! `state_count` its `states_generated` (the initial state plus every
//! successor computed, self-loops and duplicates included).
//!
//! The transitions (dcheck's actions after lowering the roles), each pushed
//! by [`Model::actions`] only when enabled:
//!
//! | action                       | guard                                                        | effect |
//! |------------------------------|--------------------------------------------------------------|--------|
//! | `Phase1a(p)`                 | `nextBallot(p) <= MaxBallot`                                 | `bal = nextBallot(p)`, `preparing`, `promised = {}`, `hiBal = hiVal = 0`; `Prepare(bal)` to every acceptor |
//! | `Phase2a(p)`                 | `preparing`, a majority in `promised`                        | `accepting`; `Accept(bal, v)` to every acceptor, `v = hiVal`, or `p` if `hiBal = 0` |
//! | `DeliverPrepare(a, b)`       | `Prepare(b)` in flight to `a`, `a` live, `b > maxBal[a]`     | `maxBal[a] = b`; `Promise(b, maxVBal[a], maxVal[a])` to `owner(b)` |
//! | `DeliverPromise(a, b)`       | that Promise in flight; at `owner(b)`: `preparing`, `bal = b`, `a ∉ promised` | `promised ∪= {a}`; keep the higher vote in `hiBal`, `hiVal` |
//! | `DeliverAccept(a, b, v)`     | `Accept(b, v)` in flight to `a`, `a` live, `b >= maxBal[a]`  | `maxBal = maxVBal = b`, `maxVal = v`, `votes[a] ∪= {(b, v)}`; `Accepted(b, v)` to every learner |
//! | `DeliverAccepted(l, a, b, v)`| `Accepted(b, v)` from `a` in flight to `l`                   | `heard[l] ∪= {(a, b, v)}`; learn `v` on a majority for `(b, v)` |
//! | `Crash(a)`                   | `a` live, fewer than F acceptors crashed                     | `a` crashed |
//!
//! The network duplicates (a delivered message stays in flight) and only
//! grows, so a delivery that changes nothing (an `Accept` voted for again, an
//! `Accepted` heard again) is a self-loop, counted as a successor as dcheck
//! and TLC count it. A crashed acceptor receives nothing; its messages
//! already sent stay deliverable.
//!
//! ## The state, bit-packed
//!
//! dcheck's state holds every role variable and the network `chan`, the map
//! from each (sender, receiver) channel to the set of messages sent on it.
//! This model stores the same information in `W` 64-bit words (no field
//! crosses a word), the network in a form that is in one-to-one
//! correspondence with dcheck's `chan` on every reachable state:
//!
//! * `Prepare(b)` is only ever sent by `owner(b)` (the proposer with
//!   `bal = b`: p owns p, p + P, ...), to every acceptor at once
//!   (`broadcast`): one bit per ballot.
//! * `Promise(b, vbal, vval)` from acceptor `a` goes to `owner(b)`, and `a`
//!   sends at most one Promise per ballot (it sends one only when
//!   `b > maxBal[a]`, then sets `maxBal[a] = b`, and `maxBal` never
//!   decreases): one slot per (acceptor, ballot) holding the vote reported.
//!   [`Paxos::next_state`] asserts that a slot is never written twice.
//! * `Accept(b, v)` is only sent by `owner(b)`, to every acceptor at once:
//!   one bit per (ballot, value).
//! * `Accepted(b, v)` from acceptor `a` is sent to every learner exactly when
//!   `(b, v)` enters `votes[a]` (the same effect), and neither is ever
//!   removed: the bit of `(b, v)` in `votes[a]` stands for both.
//!
//! So distinct packed states are distinct dcheck states and vice versa.

use stateright::{Model, Property};

/// The constants of `specs/paxos.ron`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Proposers; proposer p proposes value p.
    pub p: u32,
    /// Acceptors; a majority is more than A / 2.
    pub a: u32,
    /// Learners.
    pub l: u32,
    /// Ballots are 1..=MaxBallot; proposer p owns p, p + P, ...
    pub max_ballot: u32,
    /// At most F acceptors crash.
    pub f: u32,
}

impl Default for Config {
    /// The spec's defaults.
    fn default() -> Self {
        Config {
            p: 2,
            a: 3,
            l: 1,
            max_ballot: 2,
            f: 0,
        }
    }
}

/// One bit field of the packed state: `width` bits at `shift` in `word`.
#[derive(Clone, Copy, Debug)]
struct Field {
    word: usize,
    shift: u32,
    mask: u64,
}

impl Field {
    #[inline(always)]
    fn get(self, s: &[u64]) -> u64 {
        (s[self.word] >> self.shift) & self.mask
    }

    #[inline(always)]
    fn set(self, s: &mut [u64], v: u64) {
        debug_assert!(v <= self.mask);
        let w = &mut s[self.word];
        *w = (*w & !(self.mask << self.shift)) | (v << self.shift);
    }

    /// Bit `i` of a bit-set field.
    #[inline(always)]
    fn bit(self, s: &[u64], i: u32) -> bool {
        (s[self.word] >> (self.shift + i)) & 1 != 0
    }

    #[inline(always)]
    fn set_bit(self, s: &mut [u64], i: u32) {
        s[self.word] |= 1 << (self.shift + i);
    }
}

/// Hands out fields in order, starting a new word when one does not fit.
struct Allocator {
    word: usize,
    used: u32,
}

impl Allocator {
    fn field(&mut self, width: u32) -> Field {
        assert!(
            (1..=64).contains(&width),
            "a field of {width} bits: constants too large"
        );
        if self.used + width > 64 {
            self.word += 1;
            self.used = 0;
        }
        let f = Field {
            word: self.word,
            shift: self.used,
            mask: if width == 64 {
                u64::MAX
            } else {
                (1 << width) - 1
            },
        };
        self.used += width;
        f
    }

    fn words(&self) -> usize {
        self.word + 1
    }
}

/// Bits needed for the values `0..=max`.
fn bits_for(max: u32) -> u32 {
    (32 - max.leading_zeros()).max(1)
}

/// Where every variable sits in the packed state.
#[derive(Clone, Debug)]
struct Layout {
    // Proposer p (index p - 1).
    bal: Vec<Field>,
    phase: Vec<Field>,
    promised: Vec<Field>,
    hi_bal: Vec<Field>,
    hi_val: Vec<Field>,
    // Acceptor a (index a - 1).
    max_bal: Vec<Field>,
    max_vbal: Vec<Field>,
    max_val: Vec<Field>,
    /// Bit (b - 1) * P + (v - 1): (b, v) voted for; also "Accepted(b, v)
    /// from a in flight to every learner".
    votes: Vec<Field>,
    // Learner l (index l - 1).
    /// Bit ((a - 1) * MaxBallot + (b - 1)) * P + (v - 1).
    heard: Vec<Field>,
    /// Bit v - 1.
    learned: Vec<Field>,
    /// Bit a - 1.
    crashed: Field,
    // The network.
    /// Bit b - 1: Prepare(b) in flight from owner(b) to every acceptor.
    prepare: Vec<Field>,
    /// Index (a - 1) * MaxBallot + (b - 1): 0 if no Promise(b, ..) from a to
    /// owner(b), else 1 + (vbal * (P + 1) + vval).
    promise: Vec<Field>,
    /// Bit (b - 1) * P + (v - 1): Accept(b, v) in flight from owner(b) to
    /// every acceptor.
    accept: Field,
    words: usize,
}

/// `phase` values (`idle`, 0, is the default and never written).
const PREPARING: u64 = 1;
const ACCEPTING: u64 = 2;

/// One transition; the numbers are 1-based process ids, ballots and values
/// as in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Proposer p starts its next ballot.
    Phase1a(u8),
    /// Proposer p sends Accept for its ballot.
    Phase2a(u8),
    /// Acceptor a receives Prepare(b) (from owner(b)).
    DeliverPrepare { a: u8, b: u8 },
    /// owner(b) receives acceptor a's Promise for ballot b.
    DeliverPromise { a: u8, b: u8 },
    /// Acceptor a receives Accept(b, v) (from owner(b)).
    DeliverAccept { a: u8, b: u8, v: u8 },
    /// Learner l receives Accepted(b, v) from acceptor a.
    DeliverAccepted { l: u8, a: u8, b: u8, v: u8 },
    /// Acceptor a crashes.
    Crash(u8),
}

/// The Paxos model, its state packed into `W` words.
#[derive(Clone, Debug)]
pub struct Paxos<const W: usize> {
    c: Config,
    lay: Layout,
}

/// Largest values the constants may take (process ids, ballots and values
/// travel as `u8` in [`Action`]; the bit sets must fit a word).
pub const MAX_CONST: u32 = 60;

/// The number of 64-bit words the state of `c` needs.
pub fn words_needed(c: &Config) -> usize {
    layout(c).words
}

fn layout(c: &Config) -> Layout {
    assert!(c.p >= 1 && c.a >= 1 && c.l >= 1 && c.max_ballot >= 1);
    assert!(c.p.max(c.a).max(c.l).max(c.max_ballot) <= MAX_CONST);
    let wb = bits_for(c.max_ballot);
    let wv = bits_for(c.p);
    let (p, a, l, mb) = (
        c.p as usize,
        c.a as usize,
        c.l as usize,
        c.max_ballot as usize,
    );
    let mut al = Allocator { word: 0, used: 0 };
    let mut lay = Layout {
        bal: Vec::new(),
        phase: Vec::new(),
        promised: Vec::new(),
        hi_bal: Vec::new(),
        hi_val: Vec::new(),
        max_bal: Vec::new(),
        max_vbal: Vec::new(),
        max_val: Vec::new(),
        votes: Vec::new(),
        heard: Vec::new(),
        learned: Vec::new(),
        crashed: Field {
            word: 0,
            shift: 0,
            mask: 0,
        },
        prepare: Vec::new(),
        promise: Vec::new(),
        accept: Field {
            word: 0,
            shift: 0,
            mask: 0,
        },
        words: 0,
    };
    for _ in 0..p {
        lay.bal.push(al.field(wb));
        lay.phase.push(al.field(2));
        lay.promised.push(al.field(c.a));
        lay.hi_bal.push(al.field(wb));
        lay.hi_val.push(al.field(wv));
    }
    for _ in 0..a {
        lay.max_bal.push(al.field(wb));
        lay.max_vbal.push(al.field(wb));
        lay.max_val.push(al.field(wv));
        lay.votes.push(al.field(c.max_ballot * c.p));
    }
    for _ in 0..l {
        lay.heard.push(al.field(c.a * c.max_ballot * c.p));
        lay.learned.push(al.field(c.p));
    }
    lay.crashed = al.field(c.a);
    for _ in 0..mb {
        lay.prepare.push(al.field(1));
    }
    let promise_width = bits_for((c.max_ballot + 1) * (c.p + 1));
    for _ in 0..a * mb {
        lay.promise.push(al.field(promise_width));
    }
    lay.accept = al.field(c.max_ballot * c.p);
    lay.words = al.words();
    lay
}

impl<const W: usize> Paxos<W> {
    /// The model for `c`.
    ///
    /// # Panics
    /// If a constant is 0 or above [`MAX_CONST`], or the state of `c` does
    /// not fit `W` words ([`words_needed`]).
    pub fn new(c: Config) -> Self {
        let lay = layout(&c);
        assert!(
            lay.words <= W,
            "the state needs {} words, the model has {W}",
            lay.words
        );
        Paxos { c, lay }
    }

    /// The constants.
    pub fn config(&self) -> Config {
        self.c
    }

    fn majority(&self, n: u32) -> bool {
        2 * n > self.c.a
    }

    /// The proposer that owns ballot b (1-based).
    fn owner(&self, b: u32) -> u32 {
        (b - 1) % self.c.p + 1
    }

    fn next_ballot(&self, s: &[u64], p: u32) -> u32 {
        let bal = self.lay.bal[p as usize - 1].get(s) as u32;
        if bal == 0 {
            p
        } else {
            bal + self.c.p
        }
    }

    /// Bit of (b, v) in `votes[a]` and `accept`.
    fn bv(&self, b: u32, v: u32) -> u32 {
        (b - 1) * self.c.p + (v - 1)
    }

    /// Bit of (a, b, v) in `heard[l]`.
    fn abv(&self, a: u32, b: u32, v: u32) -> u32 {
        ((a - 1) * self.c.max_ballot + (b - 1)) * self.c.p + (v - 1)
    }

    fn promise_slot(&self, a: u32, b: u32) -> Field {
        self.lay.promise[((a - 1) * self.c.max_ballot + (b - 1)) as usize]
    }

    fn crashed(&self, s: &[u64], a: u32) -> bool {
        self.lay.crashed.bit(s, a - 1)
    }

    /// `chosenAt(b, v)`: a majority of acceptors voted for (b, v).
    fn chosen_at(&self, s: &[u64], b: u32, v: u32) -> bool {
        let bit = self.bv(b, v);
        let n = self.lay.votes.iter().filter(|f| f.bit(s, bit)).count() as u32;
        self.majority(n)
    }

    /// `chosen(v)`.
    pub fn chosen(&self, s: &State<W>, v: u32) -> bool {
        (1..=self.c.max_ballot).any(|b| self.chosen_at(&s.0, b, v))
    }

    /// `proposed(v)`: proposer v (whose input is v) has started a ballot.
    fn proposed(&self, s: &State<W>, v: u32) -> bool {
        self.lay.bal[v as usize - 1].get(&s.0) != 0
    }

    /// `v in learned[l]`.
    fn learned(&self, s: &State<W>, l: u32, v: u32) -> bool {
        self.lay.learned[l as usize - 1].bit(&s.0, v - 1)
    }
}

/// One state, bit-packed (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State<const W: usize>(pub [u64; W]);

/// `Consistency`: at most one value is chosen.
pub fn consistency<const W: usize>(m: &Paxos<W>, s: &State<W>) -> bool {
    (1..=m.c.p).filter(|&v| m.chosen(s, v)).count() <= 1
}

/// `Nontriviality`: only a proposed value is chosen, and only a chosen value
/// is learned.
pub fn nontriviality<const W: usize>(m: &Paxos<W>, s: &State<W>) -> bool {
    (1..=m.c.p).all(|v| {
        let chosen = m.chosen(s, v);
        (!chosen || m.proposed(s, v)) && (1..=m.c.l).all(|l| !m.learned(s, l, v) || chosen)
    })
}

/// `LearnerAgreement`: learners never learn different values (and no
/// learner learns two).
pub fn learner_agreement<const W: usize>(m: &Paxos<W>, s: &State<W>) -> bool {
    let any = m.lay.learned.iter().fold(0u64, |acc, f| acc | f.get(&s.0));
    any.count_ones() <= 1
}

/// `OneValuePerBallot`: the votes cast in one ballot are for one value.
pub fn one_value_per_ballot<const W: usize>(m: &Paxos<W>, s: &State<W>) -> bool {
    let all = m.lay.votes.iter().fold(0u64, |acc, f| acc | f.get(&s.0));
    let per_ballot = (1u64 << m.c.p) - 1;
    (0..m.c.max_ballot).all(|b| ((all >> (b * m.c.p)) & per_ballot).count_ones() <= 1)
}

impl<const W: usize> Model for Paxos<W> {
    type State = State<W>;
    type Action = Action;

    /// Every variable at its default: no ballots, no votes, an empty network.
    fn init_states(&self) -> Vec<State<W>> {
        vec![State([0; W])]
    }

    /// Pushes exactly the enabled transitions, so every pushed action yields
    /// a successor in `next_state`.
    fn actions(&self, st: &State<W>, actions: &mut Vec<Action>) {
        let s = &st.0;
        let c = &self.c;
        let lay = &self.lay;
        for p in 1..=c.p {
            if self.next_ballot(s, p) <= c.max_ballot {
                actions.push(Action::Phase1a(p as u8));
            }
        }
        for p in 1..=c.p {
            let i = p as usize - 1;
            if lay.phase[i].get(s) == PREPARING
                && self.majority(lay.promised[i].get(s).count_ones())
            {
                actions.push(Action::Phase2a(p as u8));
            }
        }
        // Prepare(b) to each acceptor.
        for b in 1..=c.max_ballot {
            if lay.prepare[b as usize - 1].get(s) != 0 {
                for a in 1..=c.a {
                    if !self.crashed(s, a) && b as u64 > lay.max_bal[a as usize - 1].get(s) {
                        actions.push(Action::DeliverPrepare {
                            a: a as u8,
                            b: b as u8,
                        });
                    }
                }
            }
        }
        // Promise(b, ..) from each acceptor to owner(b).
        for a in 1..=c.a {
            for b in 1..=c.max_ballot {
                if self.promise_slot(a, b).get(s) != 0 {
                    let i = self.owner(b) as usize - 1;
                    if lay.phase[i].get(s) == PREPARING
                        && lay.bal[i].get(s) == b as u64
                        && !lay.promised[i].bit(s, a - 1)
                    {
                        actions.push(Action::DeliverPromise {
                            a: a as u8,
                            b: b as u8,
                        });
                    }
                }
            }
        }
        // Accept(b, v) to each acceptor.
        let accept = lay.accept.get(s);
        if accept != 0 {
            for b in 1..=c.max_ballot {
                for v in 1..=c.p {
                    if accept & (1 << self.bv(b, v)) != 0 {
                        for a in 1..=c.a {
                            if !self.crashed(s, a) && b as u64 >= lay.max_bal[a as usize - 1].get(s)
                            {
                                actions.push(Action::DeliverAccept {
                                    a: a as u8,
                                    b: b as u8,
                                    v: v as u8,
                                });
                            }
                        }
                    }
                }
            }
        }
        // Accepted(b, v) from each acceptor to each learner: always enabled.
        for a in 1..=c.a {
            let votes = lay.votes[a as usize - 1].get(s);
            if votes != 0 {
                for b in 1..=c.max_ballot {
                    for v in 1..=c.p {
                        if votes & (1 << self.bv(b, v)) != 0 {
                            for l in 1..=c.l {
                                actions.push(Action::DeliverAccepted {
                                    l: l as u8,
                                    a: a as u8,
                                    b: b as u8,
                                    v: v as u8,
                                });
                            }
                        }
                    }
                }
            }
        }
        // crash_Acceptor(a).
        let crashed = lay.crashed.get(s);
        if crashed.count_ones() < c.f {
            for a in 1..=c.a {
                if crashed & (1 << (a - 1)) == 0 {
                    actions.push(Action::Crash(a as u8));
                }
            }
        }
    }

    fn next_state(&self, st: &State<W>, action: Action) -> Option<State<W>> {
        let mut t = *st;
        let s = &mut t.0;
        let c = &self.c;
        let lay = &self.lay;
        match action {
            Action::Phase1a(p) => {
                let p = p as u32;
                let i = p as usize - 1;
                let b = self.next_ballot(s, p);
                lay.bal[i].set(s, b as u64);
                lay.phase[i].set(s, PREPARING);
                lay.promised[i].set(s, 0);
                lay.hi_bal[i].set(s, 0);
                lay.hi_val[i].set(s, 0);
                lay.prepare[b as usize - 1].set(s, 1);
            }
            Action::Phase2a(p) => {
                let p = p as u32;
                let i = p as usize - 1;
                lay.phase[i].set(s, ACCEPTING);
                let v = if lay.hi_bal[i].get(s) == 0 {
                    p
                } else {
                    lay.hi_val[i].get(s) as u32
                };
                let b = lay.bal[i].get(s) as u32;
                lay.accept.set_bit(s, self.bv(b, v));
            }
            Action::DeliverPrepare { a, b } => {
                let (a, b) = (a as u32, b as u32);
                let j = a as usize - 1;
                lay.max_bal[j].set(s, b as u64);
                let (vbal, vval) = (lay.max_vbal[j].get(s), lay.max_val[j].get(s));
                let slot = self.promise_slot(a, b);
                assert_eq!(slot.get(s), 0, "a second Promise from {a} for ballot {b}");
                slot.set(s, 1 + vbal * (c.p as u64 + 1) + vval);
            }
            Action::DeliverPromise { a, b } => {
                let (a, b) = (a as u32, b as u32);
                let i = self.owner(b) as usize - 1;
                let m = self.promise_slot(a, b).get(s) - 1;
                let (vbal, vval) = (m / (c.p as u64 + 1), m % (c.p as u64 + 1));
                lay.promised[i].set_bit(s, a - 1);
                if vbal > lay.hi_bal[i].get(s) {
                    lay.hi_bal[i].set(s, vbal);
                    lay.hi_val[i].set(s, vval);
                }
            }
            Action::DeliverAccept { a, b, v } => {
                let (a, b, v) = (a as u32, b as u32, v as u32);
                let j = a as usize - 1;
                lay.max_bal[j].set(s, b as u64);
                lay.max_vbal[j].set(s, b as u64);
                lay.max_val[j].set(s, v as u64);
                // The vote, and Accepted(b, v) to every learner.
                lay.votes[j].set_bit(s, self.bv(b, v));
            }
            Action::DeliverAccepted { l, a, b, v } => {
                let (l, a, b, v) = (l as u32, a as u32, b as u32, v as u32);
                let k = l as usize - 1;
                lay.heard[k].set_bit(s, self.abv(a, b, v));
                let n = (1..=c.a)
                    .filter(|&x| lay.heard[k].bit(s, self.abv(x, b, v)))
                    .count() as u32;
                if self.majority(n) {
                    lay.learned[k].set_bit(s, v - 1);
                }
            }
            Action::Crash(a) => lay.crashed.set_bit(s, a as u32 - 1),
        }
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("Consistency", consistency),
            Property::always("Nontriviality", nontriviality),
            Property::always("LearnerAgreement", learner_agreement),
            Property::always("OneValuePerBallot", one_value_per_ballot),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    fn counts<const W: usize>(c: Config, dfs: bool, threads: usize) -> (usize, usize) {
        let builder = Paxos::<W>::new(c).checker().threads(threads);
        if dfs {
            let k = builder.spawn_dfs().join();
            k.assert_properties();
            (k.unique_state_count(), k.state_count())
        } else {
            let k = builder.spawn_bfs().join();
            k.assert_properties();
            (k.unique_state_count(), k.state_count())
        }
    }

    /// P = A = L = MaxBallot = 1: 7 states, 10 generated, counted by hand in
    /// dcheck's tests/it/protocol_paxos.rs (`smallest_configuration_by_hand`).
    #[test]
    fn smallest_configuration_by_hand() {
        let c = Config {
            p: 1,
            a: 1,
            l: 1,
            max_ballot: 1,
            f: 0,
        };
        assert_eq!(words_needed(&c), 1);
        assert_eq!(counts::<1>(c, false, 1), (7, 10));
        assert_eq!(counts::<1>(c, true, 2), (7, 10));
    }

    /// The spec's defaults: dcheck's figures (specs/paxos.ron's header and
    /// specs/README.md): 47,089 distinct, 325,799 generated.
    #[test]
    fn defaults_match_dcheck() {
        let c = Config::default();
        assert_eq!(words_needed(&c), 2);
        for (dfs, threads) in [(false, 1), (false, 2), (true, 2)] {
            assert_eq!(counts::<2>(c, dfs, threads), (47_089, 325_799));
        }
    }

    /// The invariants on hand-built states: votes for (1, 1) by acceptors 1
    /// and 2 and for (2, 2) by acceptors 2 and 3 choose both values (and
    /// neither proposer has started a ballot); (1, 1) and (1, 2) are two
    /// values in one ballot; learners that learned 1 and 2 disagree.
    #[test]
    fn invariants_refute_bad_states() {
        let m = Paxos::<2>::new(Config::default());
        let ok = State([0; 2]);
        for inv in [
            consistency,
            nontriviality,
            learner_agreement,
            one_value_per_ballot,
        ] {
            assert!(inv(&m, &ok));
        }
        let mut two = ok;
        for (a, b, v) in [(1, 1, 1), (2, 1, 1), (2, 2, 2), (3, 2, 2)] {
            m.lay.votes[a - 1].set_bit(&mut two.0, m.bv(b, v));
        }
        assert!(m.chosen(&two, 1) && m.chosen(&two, 2));
        assert!(!consistency(&m, &two));
        assert!(!nontriviality(&m, &two));
        assert!(one_value_per_ballot(&m, &two));
        let mut split = ok;
        m.lay.votes[0].set_bit(&mut split.0, m.bv(1, 1));
        m.lay.votes[1].set_bit(&mut split.0, m.bv(1, 2));
        assert!(!one_value_per_ballot(&m, &split));
        assert!(consistency(&m, &split));
        let mut learned = ok;
        m.lay.learned[0].set_bit(&mut learned.0, 0);
        m.lay.learned[0].set_bit(&mut learned.0, 1);
        assert!(!learner_agreement(&m, &learned));
    }

    /// `--const F=1`: 188,356 distinct states (specs/paxos.ron's header).
    #[test]
    fn one_crash_matches_dcheck() {
        let c = Config {
            f: 1,
            ..Config::default()
        };
        assert_eq!(counts::<2>(c, false, 2).0, 188_356);
    }
}
