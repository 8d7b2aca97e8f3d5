//! Transitions driven by the members of a collection: for an action whose
//! guard has a conjunct `x in c`, with `c` a bounded collection in the state
//! (`net`, or a channel `chan[(src, dst)]` of a wide map) and `x` built from
//! the parameters alone (`(src, R(self), M(f))`), only the bindings whose
//! `x` is a member of `c` in the current state can be enabled. The successor
//! loop then reads the members and looks the transitions up, instead of
//! evaluating the guard of every binding.
//!
//! Why by hand: a message handler has one transition per receiver, sender
//! and field values (Raft's AppendEntries: thousands), of which a state
//! enables the few whose message is in flight. Evaluating every guard made
//! roles-style specs hundreds of times slower than their shared-variable
//! versions (measured: Raft with messages at ~730 states/s).
//!
//! The transitions found are evaluated in increasing id order with their
//! full guard, so the successors, their order and every count are exactly
//! those of evaluating every binding.

use dcheck_syntax::ast::{BinOp, Expr, ExprKind};

use crate::bag::BagShape;
use crate::check::Compiler;
use crate::encoding::{Digit, Slot};
use crate::rewrite::split_guard;
use crate::runtime::ExprFn;
use crate::system::{TransitionId, Word};
use crate::types::Ty;

/// How the driving collection's value lists its members.
enum Members {
    /// `set<T>`: a bitset.
    Bits,
    /// `bag<T, C>` / `set<T, C>`: ranked members.
    Ranked(BagShape),
}

/// Where one collection is stored: a digit of `slot.load(state)`, or the
/// whole slot when `digit` is `None` (a variable, or an entry of a wide
/// map, which has a slot per key).
#[derive(Clone, Copy)]
struct Place {
    slot: Slot,
    digit: Option<Digit>,
}

impl Place {
    #[inline]
    fn load(self, state: &[Word]) -> u64 {
        let v = self.slot.load(state);
        match self.digit {
            None => v,
            Some(d) => d.get(v),
        }
    }
}

/// The index of one driven action.
pub(crate) struct Driver {
    /// The collections that drive at least one transition, with the first
    /// table cell of each (`key * elems`), in increasing order of their
    /// first transition.
    keys: Vec<(Place, u32)>,
    members: Members,
    /// `first[c]..first[c + 1]` are the positions in `transitions` of the
    /// bindings whose `x` is element `e` of key `k`'s collection, where
    /// `c = k * elems + e`.
    first: Vec<u32>,
    transitions: Vec<TransitionId>,
    /// Whether reading the keys in order, and each collection's members in
    /// increasing order, always lists the transitions in increasing id
    /// order (checked when built), so the list needs no sort.
    sorted: bool,
    /// Per transition of the action (from its first): the collection of
    /// its driving element, as a place, and the element.
    of: Vec<(Place, u64)>,
    /// The driving conjunct `x in c`: the compiled guards leave it out,
    /// since the driver only lists transitions whose `x` is in `c`, and
    /// [`Driver::admits`] tests it for a transition taken on its own.
    /// Its position among the conjuncts of the per-binding guard.
    pub(crate) conjunct: usize,
    /// Tags this driver's entries in a [`MemberCache`] (the action's first
    /// transition, unique per driver).
    id: u32,
}

/// A thread's memo of decoded collections for [`Driver::enabled_candidates`]:
/// direct-mapped, each entry the distinct members (at most
/// [`CACHED_MEMBERS`]) of one ranked collection, tagged with the
/// collection's index and the driver that decoded it.
///
/// Measured hot path: decoding a ranked collection is a binary search per
/// member (Paxos and Raft: a fifth of their time in the driver, most of it
/// decoding), while neighbouring states share most of their channels'
/// contents.
pub struct MemberCache {
    entries: Vec<Entry>,
}

/// The most distinct members an entry holds; larger collections are
/// decoded every time.
const CACHED_MEMBERS: usize = 6;

#[derive(Clone, Copy)]
struct Entry {
    v: u64,
    id: u32,
    n: u32,
    members: [u32; CACHED_MEMBERS],
}

/// Entries of a [`MemberCache`] (a power of two).
const CACHE_ENTRIES: usize = 1 << 12;

impl Default for MemberCache {
    fn default() -> MemberCache {
        let empty = Entry {
            v: 0,
            id: u32::MAX,
            n: 0,
            members: [0; CACHED_MEMBERS],
        };
        MemberCache {
            entries: vec![empty; CACHE_ENTRIES],
        }
    }
}

impl MemberCache {
    /// Calls `f` with each distinct member of collection `v` of `shape`
    /// (driver `id`), in increasing order.
    #[inline]
    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub fn members(&mut self, id: u32, shape: &BagShape, v: u64, mut f: impl FnMut(u64)) {
        let slot = &mut self.entries[MemberCache::slot(id, v)];
        if slot.v == v && slot.id == id {
            for &e in &slot.members[..slot.n as usize] {
                f(u64::from(e));
            }
            return;
        }
        let mut m = [0u64; crate::bag::MAX_CAP];
        let n = shape.unrank_into(v, &mut m);
        let mut entry = Entry {
            v,
            id,
            n: 0,
            members: [0; CACHED_MEMBERS],
        };
        let mut fits = true;
        for (i, &e) in m[..n].iter().enumerate() {
            // A bag lists repeated members once.
            if i > 0 && m[i - 1] == e {
                continue;
            }
            f(e);
            match (entry.members.get_mut(entry.n as usize), u32::try_from(e)) {
                (Some(k), Ok(e)) => *k = e,
                _ => fits = false,
            }
            entry.n += 1;
        }
        if fits {
            *slot = entry;
        }
    }

    #[inline(always)]
    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub fn slot(id: u32, v: u64) -> usize {
        let h = (v ^ u64::from(id).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 52) as usize & (CACHE_ENTRIES - 1)
    }
}

/// Largest lookup table (keys times element values) built for one action.
const TABLE_MAX: u64 = 1 << 22;

/// The collection `c` of `x in c`, if it is a state variable or a map
/// entry: where each key's collection is, the compiled key (for a map) and
/// the collection type.
type Coll = (Vec<Place>, Option<ExprFn>, Ty);

impl Compiler<'_> {
    /// The driver of an action whose parameters are bound (as locals, in
    /// `slots`) and whose per-binding guard is `guard`, if it has a
    /// driving conjunct; `bindings` are its parameter bindings in
    /// transition order (numbered from 0 until [`Driver::shift`]).
    pub(crate) fn driver(
        &mut self,
        guard: Option<&Expr>,
        slots: &[usize],
        bindings: &crate::model::Bindings,
    ) -> Option<Driver> {
        let first = 0;
        let guard = guard?;
        let (conjuncts, _) = split_guard(guard, &[]);
        let before = self.diags.len();
        let found = conjuncts.into_iter().enumerate().find_map(|(i, c)| {
            let mut d = self.driver_for(c, slots, bindings, first)?;
            d.conjunct = i;
            Some(d)
        });
        self.diags.truncate(before);
        found
    }

    fn driver_for(
        &mut self,
        conjunct: &Expr,
        slots: &[usize],
        bindings: &crate::model::Bindings,
        first: TransitionId,
    ) -> Option<Driver> {
        let ExprKind::Binary(BinOp::In, x, c) = &conjunct.kind else {
            return None;
        };
        if !self.params_only(x, slots.len()) {
            return None;
        }
        let (places, key, coll_ty) = self.collection(c, slots.len())?;
        let (elem_ty, members) = match &coll_ty {
            Ty::Set(t) => ((**t).clone(), Members::Bits),
            Ty::Bag(t, _, _) => ((**t).clone(), Members::Ranked(coll_ty.bag_shape()?)),
            _ => return None,
        };
        let elems = elem_ty.card_u64()?;
        let keys = places.len() as u64;
        if keys.checked_mul(elems)? > TABLE_MAX {
            return None;
        }
        let before = self.diags.len();
        let fx = self.expr_to_index(x, &elem_ty);
        if self.diags.len() > before {
            return None;
        }
        // (table position, transition) per binding; an evaluation error
        // (a field out of its range, say) leaves the action undriven, so the
        // error still surfaces from its guard.
        let state = vec![0 as Word; self.state_words.max(1)];
        let mut locals = vec![0u64; self.max_slots.max(1)];
        let mut cells = Vec::with_capacity(bindings.len());
        for (i, b) in bindings.iter().enumerate() {
            for (slot, v) in slots.iter().zip(b) {
                locals[*slot] = *v;
            }
            let e = fx.eval(&state, &mut locals).ok()?;
            let k = match &key {
                Some(fk) => fk.eval(&state, &mut locals).ok()?,
                None => 0,
            };
            if e >= elems || k >= keys {
                return None;
            }
            cells.push(((k * elems + e) as usize, first + i as TransitionId));
        }
        let of = cells
            .iter()
            .map(|(cell, _)| {
                let (k, e) = (*cell as u64 / elems, *cell as u64 % elems);
                (places[k as usize], e)
            })
            .collect();
        let mut first_of = vec![0u32; (keys * elems) as usize + 1];
        for (cell, _) in &cells {
            first_of[cell + 1] += 1;
        }
        for i in 1..first_of.len() {
            first_of[i] += first_of[i - 1];
        }
        let mut next = first_of.clone();
        let mut transitions = vec![0; cells.len()];
        for (cell, t) in cells {
            transitions[next[cell] as usize] = t;
            next[cell] += 1;
        }
        // Only the keys some binding reads, by their first transition; if
        // every cell's transitions then follow those of the cells before
        // it, any subset of cells lists them in increasing order too.
        let cell_range = |k: u64| {
            let (a, b) = ((k * elems) as usize, ((k + 1) * elems) as usize);
            first_of[a] as usize..first_of[b] as usize
        };
        let mut active: Vec<u64> = (0..keys).filter(|k| !cell_range(*k).is_empty()).collect();
        active.sort_by_key(|k| transitions[cell_range(*k)].iter().min().copied());
        let listed: Vec<TransitionId> = active
            .iter()
            .flat_map(|k| transitions[cell_range(*k)].iter().copied())
            .collect();
        let sorted = listed.windows(2).all(|w| w[0] < w[1]);
        Some(Driver {
            keys: active
                .into_iter()
                .map(|k| (places[k as usize], (k * elems) as u32))
                .collect(),
            members,
            first: first_of,
            transitions,
            sorted,
            of,
            conjunct: 0,
            id: 0,
        })
    }

    /// Whether `e` reads nothing but the last `params` locals (the action's
    /// parameters), constants and constructors.
    fn params_only(&mut self, e: &Expr, params: usize) -> bool {
        let n = self.scopes.len();
        for l in &mut self.scopes[n - params..] {
            l.konst = Some(0);
        }
        let ok = self.is_const(e);
        for l in &mut self.scopes[n - params..] {
            l.konst = None;
        }
        ok
    }

    /// `c` as a collection of the state: a plain variable, or `m[k]` of a
    /// map variable with `k` built from the parameters.
    fn collection(&mut self, c: &Expr, params: usize) -> Option<Coll> {
        let whole = |slot| Place { slot, digit: None };
        if let Some(slot) = self.var_slot(c) {
            let ExprKind::Name(n) = &c.kind else {
                return None;
            };
            let ty = self.vars[self.var_index[&n.name]].ty.clone();
            return Some((vec![whole(slot)], None, ty));
        }
        let ExprKind::Index(base, key) = &c.kind else {
            return None;
        };
        let (places, kt, vt) = match self.wide_var(base) {
            Some((_, slots, kt, vt)) => (slots.iter().map(|s| whole(*s)).collect(), kt, vt),
            None => {
                // A map stored in one slot: key k is digit k (base card(V)).
                let slot = self.var_slot(base)?;
                let ExprKind::Name(n) = &base.kind else {
                    return None;
                };
                let Ty::Map(kv) = self.vars[self.var_index[&n.name]].ty.clone() else {
                    return None;
                };
                let (keys, card) = (kv.0.card_u64()?, kv.1.card_u64()?);
                let mut stride = 1u64;
                let mut places = Vec::with_capacity(keys as usize);
                for _ in 0..keys {
                    places.push(Place {
                        slot,
                        digit: (card != 0).then(|| Digit::new(stride, card)),
                    });
                    stride = stride.wrapping_mul(card);
                }
                (places, kv.0.clone(), kv.1.clone())
            }
        };
        if !self.params_only(key, params) {
            return None;
        }
        let before = self.diags.len();
        let fk = self.expr_to_index(key, &kt);
        if self.diags.len() > before {
            return None;
        }
        Some((places, Some(fk), vt))
    }
}

impl Driver {
    /// Number the transitions from `first` (the action's first id).
    pub(crate) fn shift(&mut self, first: TransitionId) {
        for t in &mut self.transitions {
            *t += first;
        }
        self.id = first;
    }

    /// Whether the driving element of transition `t` (numbered from the
    /// action's first) is in its collection in `state`: the driving
    /// conjunct, for a transition taken outside the successor loop.
    pub(crate) fn admits(&self, state: &[Word], t: usize) -> bool {
        let (place, e) = self.of[t];
        let v = place.load(state);
        match &self.members {
            Members::Bits => v >> e & 1 == 1,
            Members::Ranked(shape) => shape.count(v, e) > 0,
        }
    }

    /// Append to `out` the transitions whose driving element is in its
    /// collection in `state`, in increasing id order.
    ///
    /// Measured hot path (a quarter of Paxos's time before it read only the
    /// keys that drive something and skipped the sort): a handler's cell
    /// nearly always holds one transition, so it is pushed, not copied as a
    /// slice.
    #[inline]
    pub(crate) fn enabled_candidates(
        &self,
        state: &[Word],
        out: &mut Vec<TransitionId>,
        cache: &mut MemberCache,
    ) {
        out.clear();
        for &(place, base) in &self.keys {
            let v = place.load(state);
            if v == 0 {
                continue; // the empty collection
            }
            let mut add = |e: u64| {
                let cell = base as usize + e as usize;
                let (lo, hi) = (self.first[cell], self.first[cell + 1]);
                for &t in &self.transitions[lo as usize..hi as usize] {
                    out.push(t);
                }
            };
            match &self.members {
                Members::Bits => {
                    let mut bits = v;
                    while bits != 0 {
                        add(bits.trailing_zeros() as u64);
                        bits &= bits - 1;
                    }
                }
                Members::Ranked(shape) => cache.members(self.id, shape, v, add),
            }
        }
        if !self.sorted {
            out.sort_unstable();
        }
    }
}
