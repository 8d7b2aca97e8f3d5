//! Symmetry reduction (`symmetry: ["RM"]`): the canonical form of a state
//! under every permutation of the values of its symmetric types. The
//! search stores and expands concrete states, but tells them apart by this
//! form (as by a view), so it keeps one state per orbit and its traces are
//! real behaviours of the unreduced spec.
//!
//! # How the canonical form is found
//!
//! A search over all n! permutations is out of reach past n = 8. Instead,
//! for each symmetric type:
//!
//! 1. every value `e` gets a *profile*: the state as `e` sees it, with each
//!    value of the type replaced by "is `e`" or "is another", and every
//!    collection whose order depends on those values (sets, bags, maps
//!    keyed by the type) sorted. A permutation of the state permutes the
//!    profiles with it, so the profiles are invariants of the orbit;
//! 2. the values are renumbered in the order of their profiles;
//! 3. values with equal profiles (a *tie class*) may still be told apart by
//!    how they relate to each other. If swapping any two neighbours of a
//!    class leaves the renumbered state unchanged, every order of the class
//!    does (neighbour swaps generate all permutations) and one is enough;
//!    otherwise every order of the class is tried, and the smallest state
//!    words win.
//!
//! Every permutation that orders the profiles is tried (or known to give
//! the same state), and the set of those for a permuted state is the same
//! set moved by the permutation, so the form is exact: two states have the
//! same form if and only if one is a permutation of the other, and the
//! number of distinct states is the number of orbits. Only when the classes
//! that need trying have more than [`MAX_TRIED`] orders together is the
//! first one taken: then the form is still a permutation of the state (so
//! the search stays sound) but two states of one orbit may be kept, which
//! [`Symmetry::inexact`] reports.
//!
//! A permutation acts on the dense indices directly ([`Plan`], compiled
//! once per variable from its type: digits of tuples and maps, bits of
//! sets, ranked members of bags); only multisets and sequences are decoded
//! ([`crate::value`]) and encoded again. Profiles keep, of each collection,
//! only the entries that mention the value profiled, and are hashes, not
//! token lists: all values' profiles come from one pass over the state
//! ([`Symmetry::profile`]), and a canonical form allocates nothing in the
//! common case ([`SymScratch`]). A hash collision only makes a tie class,
//! which is then tried in every order, so the form stays exact.
//!
//! Most of that work repeats from state to state: a successor differs from
//! its parent in a few variables, and the states of a level share most of
//! their message channels. Each thread keeps a [`Memo`] of per-variable
//! profiles and renamings, a wide map's profile starts from its sums with
//! every key at index 0 and adds only the entries at another index
//! ([`Symmetry::wide_sums`]), and the profiles of its keys are computed
//! once ([`WideMap::keys`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::check::VarInfo;
use crate::encoding::Slot;
use crate::system::Word;
use crate::types::{EnumTy, Ty};
use crate::value::{decode, encode, Value};

/// Most orders of the tie classes that need trying, per state.
pub const MAX_TRIED: usize = 720;

/// How a permutation acts on the dense index of one type: compiled once
/// per variable from its type, so a canonical form works on indices, not
/// decoded values (measured: decoding paxos's message bags and encoding
/// them again made a symmetric run 19x slower than the unreduced one).
enum Plan {
    /// The type mentions no symmetric type: the index stays.
    Same,
    /// A symmetric type (its group): index `i` becomes `perm[i]`.
    Sym(usize),
    /// A tuple or record: mixed-radix digits, the first least significant.
    Digits(Vec<(u64, Plan)>),
    /// `[K -> V]`: digit `k` (base `vcard`) moves to `key(k)`.
    Map {
        keys: u64,
        key: Box<Plan>,
        vcard: u64,
        val: Box<Plan>,
        /// `vcard^k`, the stride of key `k`, for the first 64 keys.
        strides: Vec<u64>,
    },
    /// An enum with payloads: the variant's first index, and its payload.
    Enum(Vec<(u64, Plan)>),
    /// `set<T>` as a bitset over the indices of T.
    Set(Box<Plan>),
    /// `bag<T, C>` / `set<T, C>`: ranked members.
    Bag(crate::bag::BagShape, Box<Plan>),
    /// Anything else (multisets, sequences): decoded and encoded again.
    Values(Ty),
}

impl Plan {
    fn of(ty: &Ty, groups: &[Arc<EnumTy>]) -> Plan {
        if !mentions(ty, groups) {
            return Plan::Same;
        }
        let card = |t: &Ty| t.card_u64().unwrap_or(0);
        match ty {
            Ty::Enum(e) if e.scalarset.is_some() => {
                Plan::Sym(groups.iter().position(|g| g.name == e.name).unwrap_or(0))
            }
            Ty::Enum(e) => Plan::Enum(
                e.offsets()
                    .into_iter()
                    .zip(&e.variants)
                    .map(|(o, v)| (o, Plan::digits(&v.payload, groups)))
                    .collect(),
            ),
            Ty::Record(fields) => {
                let tys: Vec<Ty> = fields.iter().map(|f| f.1.clone()).collect();
                Plan::digits(&tys, groups)
            }
            Ty::Tuple(items) => Plan::digits(items, groups),
            Ty::Map(kv) => Plan::Map {
                keys: card(&kv.0),
                key: Box::new(Plan::of(&kv.0, groups)),
                vcard: card(&kv.1),
                val: Box::new(Plan::of(&kv.1, groups)),
                strides: (0..card(&kv.0).min(64))
                    .scan(1u64, |s, _| {
                        let x = *s;
                        *s = s.wrapping_mul(card(&kv.1));
                        Some(x)
                    })
                    .collect(),
            },
            Ty::Set(t) => Plan::Set(Box::new(Plan::of(t, groups))),
            Ty::Bag(t, _, _) => match ty.bag_shape() {
                Some(shape) => Plan::Bag(shape, Box::new(Plan::of(t, groups))),
                None => Plan::Values(ty.clone()),
            },
            _ => Plan::Values(ty.clone()),
        }
    }

    /// Whether the plan decodes a collection or loops over one, so that a
    /// [`Memo`] lookup is cheaper than running it.
    fn costly(&self) -> bool {
        match self {
            Plan::Same | Plan::Sym(_) => false,
            Plan::Digits(parts) | Plan::Enum(parts) => parts.iter().any(|(_, p)| p.costly()),
            Plan::Map { .. } | Plan::Set(_) | Plan::Bag(..) | Plan::Values(_) => true,
        }
    }

    fn digits(tys: &[Ty], groups: &[Arc<EnumTy>]) -> Plan {
        Plan::Digits(
            tys.iter()
                .map(|t| (t.card_u64().unwrap_or(0), Plan::of(t, groups)))
                .collect(),
        )
    }
}

/// The symmetric types of a model and what it takes to canonicalise.
pub struct Symmetry {
    /// The types (by name), each with its values `lo..lo + n`.
    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub groups: Vec<Arc<EnumTy>>,
    /// The variables whose types mention a symmetric type: their position
    /// in the model's variables and how a permutation moves their index
    /// (for a wide map, the index in each key's slot).
    vars: Vec<(usize, Plan)>,
    /// Per entry of `vars`: whether its plan (a wide map's value plan) is
    /// worth a [`Memo`] lookup (it decodes a collection or loops over one).
    costly: Vec<bool>,
    /// Per entry of `vars`: what its profile needs if it is a wide map.
    wide: Vec<Option<WideMap>>,
    inexact: AtomicBool,
}

/// What the profile of a wide map needs, computed once.
struct WideMap {
    /// Per group `g` and key index `j` (at `g * keys + j`): the profile of
    /// the key alone, as [`Symmetry::wide_profile`] starts each entry.
    keys: Vec<KeyProfile>,
    /// The [`Memo`] tag of its first key in group 0 (tags `k * groups + g`
    /// are the variables').
    tag: u32,
    /// If its keys mention a symmetric type, per group: the sums of
    /// [`Symmetry::wide_profile`] with every entry at index 0, one per
    /// value of the group, if those entries (keys and values) mention
    /// every value (see [`Symmetry::wide_sums`]).
    zero: Vec<Option<Vec<u64>>>,
}

/// A wide map's key as [`Symmetry::wide_profile`] starts its entry: the
/// hash of the values it does not mention, and (value, hash) of those it
/// does.
type KeyProfile = (u64, Vec<(u32, u64)>);

/// Reused buffers of [`Symmetry::canonical`], one per thread (in the
/// model's scratch), so a canonical form allocates nothing in the common
/// case (measured: allocation was 40% of a symmetric raft run).
#[derive(Default)]
pub struct SymScratch {
    /// Per value of the group being profiled: (profile hash, value).
    profiles: Vec<(u64, usize)>,
    /// Per group: the values in profile order (`orders[g][k]` becomes k).
    orders: Vec<Vec<usize>>,
    /// Per group: the inverse of `orders[g]`.
    perms: Vec<Vec<usize>>,
    /// The tie classes (group, range of the order) with more than one value.
    classes: Vec<(usize, usize, usize)>,
    swapped: Vec<Word>,
    candidate: Vec<Word>,
    /// Per value: its profile so far, and what one variable adds to it.
    hashes: Vec<u64>,
    seen: Vec<u64>,
    /// The sums of [`Symmetry::wide_sums`].
    sums: Vec<u64>,
    /// The exceptions of [`Symmetry::profile`] (value, hash).
    stack: Vec<(u32, u64)>,
    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub memo: Memo,
}

/// A thread's memo of the per-variable work of [`Symmetry::canonical`]:
/// direct-mapped tables of [`Symmetry::profile`] results keyed by
/// (variable, group, index) and of a wide map's entry differences keyed by
/// (entry, group, index) ([`Symmetry::wide_sums`]), of [`Symmetry::apply`]
/// results keyed by (variable, index, permutation), and of where a
/// permutation moves a wide map's keys. Each is a function of its key, so
/// a hit gives exactly what the computation would.
///
/// Measured hot path: without it, canonical forms were 80% of a symmetric
/// paxos run (`--const MaxBallot=3 --invariants-only`, 1 thread), which
/// took longer than the unreduced run (27.3 s against 22.2 s). A successor
/// differs from its parent in a few variables, and the states of a level
/// share most of their message bags, whose profiles and renamings decode
/// every member.
#[derive(Default)]
// Public, hidden: reached through `SymScratch::memo` by the crate's tests.
#[doc(hidden)]
pub struct Memo {
    profiles: Vec<ProfileEntry>,
    moved: Vec<MovedEntry>,
    /// Where a permutation moves each key of a wide map: (variable,
    /// permutation, the new index of each key), direct-mapped.
    maps: Vec<(u32, u64, Vec<u32>)>,
}

/// Entries of [`Memo::maps`] (a power of two).
const MAP_BITS: u32 = 8;

/// Entries of [`Memo::profiles`] and [`Memo::moved`] (a power of two).
const MEMO_BITS: u32 = 10;

/// The most mentioned values a memoised profile holds; a variable that
/// mentions more is profiled every time.
const MEMO_VALUES: usize = 8;

#[derive(Clone, Copy)]
struct ProfileEntry {
    i: u64,
    /// `var * groups + g`, or a wide map entry's tag
    /// ([`WideMap::tag`]); `u32::MAX` when empty.
    tag: u32,
    n: u8,
    values: [u8; MEMO_VALUES],
    common: u64,
    hashes: [u64; MEMO_VALUES],
}

#[derive(Clone, Copy)]
struct MovedEntry {
    i: u64,
    perm: u64,
    /// The variable, `u32::MAX` when empty.
    tag: u32,
    out: u64,
}

impl Memo {
    fn slot(i: u64, tag: u32, perm: u64) -> usize {
        let h = (i ^ u64::from(tag).rotate_left(40) ^ perm.rotate_left(17))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> (64 - MEMO_BITS)) as usize
    }

    /// `profile`'s result for (`tag`, `i`): from the table, or computed by
    /// `f` (which pushes onto `st`) and kept if it fits.
    fn profile(
        &mut self,
        tag: u32,
        i: u64,
        st: &mut Vec<(u32, u64)>,
        f: impl FnOnce(&mut Vec<(u32, u64)>) -> u64,
    ) -> u64 {
        if self.profiles.is_empty() {
            let empty = ProfileEntry {
                i: 0,
                tag: u32::MAX,
                n: 0,
                values: [0; MEMO_VALUES],
                common: 0,
                hashes: [0; MEMO_VALUES],
            };
            self.profiles = vec![empty; 1 << MEMO_BITS];
        }
        let e = &mut self.profiles[Memo::slot(i, tag, 0)];
        if e.tag == tag && e.i == i {
            let n = usize::from(e.n);
            st.extend(
                e.values[..n]
                    .iter()
                    .zip(&e.hashes[..n])
                    .map(|(v, h)| (u32::from(*v), *h)),
            );
            return e.common;
        }
        let base = st.len();
        let common = f(st);
        let new = &st[base..];
        if new.len() <= MEMO_VALUES && new.iter().all(|p| p.0 <= u32::from(u8::MAX)) {
            e.tag = tag;
            e.i = i;
            e.n = new.len() as u8;
            e.common = common;
            for (k, &(v, h)) in new.iter().enumerate() {
                e.values[k] = v as u8;
                e.hashes[k] = h;
            }
        }
        common
    }

    /// The entry of [`Memo::maps`] for variable `tag` under permutation
    /// `perm` (as [`perm_code`] gives it, `None` when it has none), filled
    /// by `to(j)` for each of its `n` keys on a miss: its index.
    fn key_map(
        &mut self,
        tag: u32,
        perm: Option<u64>,
        n: usize,
        to: impl Fn(usize) -> u32,
    ) -> Option<usize> {
        let perm = perm?;
        if self.maps.is_empty() {
            self.maps = vec![(u32::MAX, 0, Vec::new()); 1 << MAP_BITS];
        }
        let at = (Memo::slot(0, tag, perm) >> (MEMO_BITS - MAP_BITS)) & ((1 << MAP_BITS) - 1);
        let e = &mut self.maps[at];
        if e.0 != tag || e.1 != perm || e.2.len() != n {
            e.0 = tag;
            e.1 = perm;
            e.2.clear();
            e.2.extend((0..n).map(to));
        }
        Some(at)
    }

    /// `apply`'s result for (`tag`, `i`, `perm`): from the table, or
    /// computed by `f` and kept.
    fn moved(&mut self, tag: u32, i: u64, perm: u64, f: impl FnOnce() -> u64) -> u64 {
        if self.moved.is_empty() {
            let empty = MovedEntry {
                i: 0,
                perm: 0,
                tag: u32::MAX,
                out: 0,
            };
            self.moved = vec![empty; 1 << MEMO_BITS];
        }
        let e = &mut self.moved[Memo::slot(i, tag, perm)];
        if e.tag == tag && e.i == i && e.perm == perm {
            return e.out;
        }
        let out = f();
        *e = MovedEntry { i, perm, tag, out };
        out
    }
}

/// The permutations `perms` (one per group) as one key of [`Memo`], 4 bits
/// a value, or `None` when they do not fit in 64 bits.
fn perm_code(perms: &[Vec<usize>]) -> Option<u64> {
    let mut code = 0u64;
    let mut bits = 0u32;
    for &x in perms.iter().flatten() {
        if x >= 16 || bits >= 64 {
            return None;
        }
        code |= (x as u64) << bits;
        bits += 4;
    }
    Some(code)
}

impl Symmetry {
    pub fn new(groups: Vec<Arc<EnumTy>>, vars: &[VarInfo]) -> Symmetry {
        let all = vars;
        let vars: Vec<(usize, Plan)> = vars
            .iter()
            .enumerate()
            .filter(|(_, v)| mentions(&v.ty, &groups))
            .map(|(i, v)| (i, Plan::of(&v.ty, &groups)))
            .collect();
        // A wide map's memo entries are its values' profiles (keys of
        // another type) or its entries' parts (keys of a symmetric type).
        let costly = vars
            .iter()
            .map(|(i, p)| match (&all[*i].keys, p) {
                (Some(_), Plan::Map { key, val, .. }) => {
                    !matches!(**key, Plan::Same) || val.costly()
                }
                _ => p.costly(),
            })
            .collect();
        let mut sym = Symmetry {
            groups,
            vars,
            costly,
            wide: Vec::new(),
            inexact: AtomicBool::new(false),
        };
        let mut next = sym.vars.len() * sym.groups.len();
        let wide = sym
            .vars
            .iter()
            .map(|(i, plan)| {
                let (Some(slots), Plan::Map { key, val, .. }) = (&all[*i].keys, plan) else {
                    return None;
                };
                let groups = sym.groups.len();
                let keys: Vec<KeyProfile> = (0..groups)
                    .flat_map(|g| (0..slots.len()).map(move |j| (g, j)))
                    .map(|(g, j)| {
                        let mut st = Vec::new();
                        let (mut eh, kh) = (SEED, sym.profile(key, j as u64, g, &mut st));
                        then(&mut st, 0, 0, &mut eh, kh);
                        (eh, st)
                    })
                    .collect();
                let zero = match **key {
                    Plan::Same => Vec::new(),
                    _ => (0..groups)
                        .map(|g| {
                            let n = sym.groups[g].variants.len();
                            let (mut sums, mut mentioned) = (vec![0u64; n], vec![false; n]);
                            for key in &keys[g * slots.len()..][..slots.len()] {
                                let mut st = Vec::new();
                                sym.entry_part(val, key, 0, g, &mut st);
                                for (e, y) in st {
                                    sums[e as usize] = sums[e as usize].wrapping_add(y);
                                    mentioned[e as usize] = true;
                                }
                            }
                            mentioned.iter().all(|m| *m).then_some(sums)
                        })
                        .collect(),
                };
                let tag = next as u32;
                next += slots.len() * groups;
                Some(WideMap { keys, tag, zero })
            })
            .collect();
        sym.wide = wide;
        sym
    }

    /// Pushes onto `st` an entry's part of the sums of a wide map's
    /// profile ([`Symmetry::wide_profile`]): for each value the entry
    /// (key profile `key`, value index `x`) mentions, the mixed hash of its
    /// profile of the entry.
    fn entry_part(&self, val: &Plan, key: &KeyProfile, x: u64, g: usize, st: &mut Vec<(u32, u64)>) {
        let mark = st.len();
        st.extend_from_slice(&key.1);
        let vh = self.profile(val, x, g, st);
        let mut eh = key.0;
        then(st, mark, mark + key.1.len(), &mut eh, vh);
        st[mark..].iter_mut().for_each(|p| p.1 = mix(p.1));
    }

    /// The profiles of a wide map whose keys mention a symmetric type and
    /// whose entries at index 0 mention every value of group `g`: `sums`
    /// starts as `zero`, the sums with every index 0, and each entry of
    /// another index adds the difference its index makes (from the memo,
    /// under its key's tag from `tags` on), so entries at index 0 cost one
    /// load. Afterwards `sums[e]` is value `e`'s profile: the sums
    /// [`Symmetry::wide_profile`] keeps, finished alike. (With two groups,
    /// a value of the other group that no entry of a state mentions gets
    /// the finished sum 0 where `wide_profile` would give the common hash:
    /// the same in every state, so the form stays exact.)
    /// (Measured: a symmetric paxos run's channels are 36 entries, nearly
    /// all of them empty.)
    #[allow(clippy::too_many_arguments)]
    fn wide_sums(
        &self,
        plan: &Plan,
        slots: &[Slot],
        keys: &[KeyProfile],
        zero: &[u64],
        state: &[Word],
        g: usize,
        tags: u32,
        memo: &mut Memo,
        st: &mut Vec<(u32, u64)>,
        sums: &mut Vec<u64>,
    ) {
        let Plan::Map { val, .. } = plan else {
            return;
        };
        sums.clear();
        sums.extend_from_slice(zero);
        for (j, (s, key)) in slots.iter().zip(keys).enumerate() {
            let x = s.load(state);
            if x == 0 {
                continue;
            }
            st.clear();
            memo.profile(tags + j as u32, x, st, |st| {
                let mark = st.len();
                self.entry_part(val, key, x, g, st);
                let zero: Vec<(u32, u64)> = {
                    let mut z = Vec::new();
                    self.entry_part(val, key, 0, g, &mut z);
                    z
                };
                for p in &mut st[mark..] {
                    if let Some(z) = zero.iter().find(|z| z.0 == p.0) {
                        p.1 = p.1.wrapping_sub(z.1);
                    }
                }
                for z in zero {
                    if !st[mark..].iter().any(|p| p.0 == z.0) {
                        st.push((z.0, 0u64.wrapping_sub(z.1)));
                    }
                }
                0
            });
            for &(e, d) in st.iter() {
                if let Some(sum) = sums.get_mut(e as usize) {
                    *sum = sum.wrapping_add(d);
                }
            }
        }
        for sum in sums.iter_mut() {
            *sum = ordered(mix(1), *sum);
        }
    }

    /// The names of the symmetric types.
    pub fn names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    /// Whether some state had more tie orders than [`MAX_TRIED`], so that
    /// the counts may exceed the number of orbits.
    pub fn inexact(&self) -> bool {
        self.inexact.load(Ordering::Relaxed)
    }

    /// Writes the canonical form of `state` to `out` (same length).
    pub fn canonical(
        &self,
        vars: &[VarInfo],
        state: &[Word],
        out: &mut [Word],
        sc: &mut SymScratch,
    ) {
        out.copy_from_slice(state);
        let groups = self.groups.len();
        sc.orders.resize_with(groups, Vec::new);
        sc.perms.resize_with(groups, Vec::new);
        sc.classes.clear();
        for g in 0..groups {
            let n = self.groups[g].variants.len();
            // Every value's profile in one pass over the state: per
            // variable, the hash the values it does not mention share, and
            // the hashes of those it does.
            sc.hashes.clear();
            sc.hashes.resize(n, SEED);
            for (k, (i, plan)) in self.vars.iter().enumerate() {
                let v = &vars[*i];
                sc.stack.clear();
                let wide = self.wide[k].as_ref();
                let zero = wide.and_then(|w| w.zero.get(g)).and_then(Option::as_ref);
                if let (Some(slots), Some(w), Some(zero)) = (&v.keys, wide, zero) {
                    let tags = w.tag + (g * slots.len()) as u32;
                    let keys = &w.keys[g * slots.len()..];
                    self.wide_sums(
                        plan,
                        slots,
                        keys,
                        zero,
                        state,
                        g,
                        tags,
                        &mut sc.memo,
                        &mut sc.stack,
                        &mut sc.sums,
                    );
                    for (h, x) in sc.hashes.iter_mut().zip(&sc.sums) {
                        *h = ordered(*h, *x);
                    }
                    continue;
                }
                let common = match &v.keys {
                    Some(slots) => {
                        let tag = (k * groups + g) as u32;
                        let memo = self.costly[k].then_some((&mut sc.memo, tag));
                        let keys = wide.map_or(&[][..], |w| &w.keys[g * slots.len()..]);
                        self.wide_profile(plan, slots, keys, state, g, &mut sc.stack, memo)
                    }
                    None if self.costly[k] => {
                        let x = v.slot.load(state);
                        let tag = (k * groups + g) as u32;
                        sc.memo
                            .profile(tag, x, &mut sc.stack, |st| self.profile(plan, x, g, st))
                    }
                    None => self.profile(plan, v.slot.load(state), g, &mut sc.stack),
                };
                sc.seen.clear();
                sc.seen.resize(n, common);
                for &(e, x) in &sc.stack {
                    if let Some(slot) = sc.seen.get_mut(e as usize) {
                        *slot = x;
                    }
                }
                for (h, x) in sc.hashes.iter_mut().zip(&sc.seen) {
                    *h = ordered(*h, *x);
                }
            }
            sc.profiles.clear();
            sc.profiles
                .extend(sc.hashes.iter().enumerate().map(|(e, h)| (*h, e)));
            sc.profiles.sort_unstable();
            let order = &mut sc.orders[g];
            order.clear();
            order.extend(sc.profiles.iter().map(|p| p.1));
            let mut k = 0;
            while k < n {
                let mut end = k + 1;
                while end < n && sc.profiles[end].0 == sc.profiles[k].0 {
                    end += 1;
                }
                if end - k > 1 {
                    sc.classes.push((g, k, end));
                }
                k = end;
            }
        }
        // `out` holds `state`, which the identity leaves as it is.
        if !identity(&sc.orders) {
            self.permuted(vars, state, &sc.orders, &mut sc.perms, &mut sc.memo, out);
        }
        // The classes whose orders matter: those where swapping some two
        // neighbours changes the renumbered state.
        let mut open: Vec<(usize, usize, usize)> = Vec::new();
        for c in 0..sc.classes.len() {
            let (g, lo, hi) = sc.classes[c];
            let fixed = (lo..hi - 1).all(|k| {
                sc.orders[g].swap(k, k + 1);
                let same =
                    self.permuted_is(vars, state, &sc.orders, &mut sc.perms, &mut sc.memo, out);
                sc.orders[g].swap(k, k + 1);
                same
            });
            if !fixed {
                open.push((g, lo, hi));
            }
        }
        if open.is_empty() {
            return;
        }
        let tries = open.iter().try_fold(1usize, |acc, &(_, lo, hi)| {
            acc.checked_mul(factorial(hi - lo)?)
        });
        if tries.is_none_or(|t| t > MAX_TRIED) {
            self.inexact.store(true, Ordering::Relaxed);
            return;
        }
        // Every combination of orders of the open classes; the smallest
        // words win.
        let mut orders = sc.orders.clone();
        let SymScratch {
            perms,
            candidate,
            swapped: best,
            memo,
            ..
        } = sc;
        best.clear();
        best.extend_from_slice(out);
        candidate.clear();
        candidate.extend_from_slice(state);
        self.each_order(&open, 0, &mut orders, &mut |orders| {
            self.permuted(vars, state, orders, perms, memo, candidate);
            if candidate[..] < best[..] {
                best.copy_from_slice(candidate);
            }
        });
        out.copy_from_slice(best);
    }

    /// Writes `state` with the value `orders[g][k]` of each group `g`
    /// renamed to `k` into `out` (`perms` is scratch for the inverses).
    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub fn permuted(
        &self,
        vars: &[VarInfo],
        state: &[Word],
        orders: &[Vec<usize>],
        perms: &mut [Vec<usize>],
        memo: &mut Memo,
        out: &mut [Word],
    ) {
        if identity(orders) {
            // The identity (the profiles' order is often the state's own):
            // every slot keeps its index, no digit is moved. Measured with
            // farm-bench against the build before, 2 threads, invariants
            // only: paxos MaxBallot=3 0.938x, raft 0.907x wall.
            for (i, _) in &self.vars {
                let v = &vars[*i];
                match &v.keys {
                    None => v.slot.store(out, v.slot.load(state)),
                    Some(slots) => slots.iter().for_each(|s| s.store(out, s.load(state))),
                }
            }
            return;
        }
        self.each_moved(vars, state, orders, perms, memo, |slot, v| {
            slot.store(out, v);
            true
        });
    }

    /// Whether [`Self::permuted`] would write `target`; stops at the first
    /// slot that differs.
    fn permuted_is(
        &self,
        vars: &[VarInfo],
        state: &[Word],
        orders: &[Vec<usize>],
        perms: &mut [Vec<usize>],
        memo: &mut Memo,
        target: &[Word],
    ) -> bool {
        self.each_moved(vars, state, orders, perms, memo, |slot, v| {
            slot.load(target) == v
        })
    }

    /// Calls `f(slot, index)` for each slot of the variables that mention
    /// a symmetric type, with the index the renaming of [`Self::permuted`]
    /// puts there, while `f` returns true; says whether it always did.
    fn each_moved(
        &self,
        vars: &[VarInfo],
        state: &[Word],
        orders: &[Vec<usize>],
        perms: &mut [Vec<usize>],
        memo: &mut Memo,
        mut f: impl FnMut(Slot, u64) -> bool,
    ) -> bool {
        invert(orders, perms);
        let code = perm_code(perms);
        let perms = &*perms;
        // `apply` through the memo, under `tag`, where it pays.
        let moved = |memo: &mut Memo, tag: usize, costly: bool, plan: &Plan, x: u64| match code {
            Some(code) if costly => memo.moved(tag as u32, x, code, || self.apply(plan, x, perms)),
            _ => self.apply(plan, x, perms),
        };
        self.vars.iter().enumerate().all(|(k, (i, plan))| {
            let v = &vars[*i];
            match (&v.keys, plan) {
                (None, _) => f(
                    v.slot,
                    moved(memo, k, self.costly[k], plan, v.slot.load(state)),
                ),
                (Some(slots), Plan::Map { key, val, .. }) => {
                    let costly = val.costly();
                    let map = memo.key_map(k as u32, code, slots.len(), |j| {
                        self.apply(key, j as u64, perms) as u32
                    });
                    slots.iter().enumerate().all(|(j, s)| {
                        let to = match map {
                            Some(at) => memo.maps[at].2[j] as usize,
                            None => self.apply(key, j as u64, perms) as usize,
                        };
                        slots
                            .get(to)
                            .is_none_or(|slot| f(*slot, moved(memo, k, costly, val, s.load(state))))
                    })
                }
                _ => true,
            }
        })
    }

    /// Calls `f` with every combination of orders of the classes `open[i..]`.
    fn each_order(
        &self,
        open: &[(usize, usize, usize)],
        i: usize,
        orders: &mut Vec<Vec<usize>>,
        f: &mut dyn FnMut(&[Vec<usize>]),
    ) {
        let Some(&(g, lo, hi)) = open.get(i) else {
            f(orders);
            return;
        };
        // Heap's algorithm over orders[g][lo..hi].
        let n = hi - lo;
        let mut c = vec![0; n];
        self.each_order(open, i + 1, orders, f);
        let mut k = 0;
        while k < n {
            if c[k] < k {
                let j = if k % 2 == 0 { 0 } else { c[k] };
                orders[g].swap(lo + j, lo + k);
                self.each_order(open, i + 1, orders, f);
                c[k] += 1;
                k = 0;
            } else {
                c[k] = 0;
                k += 1;
            }
        }
    }

    /// The group of `ty` if it is a symmetric type.
    fn group(&self, ty: &Ty) -> Option<(usize, i64)> {
        match ty {
            Ty::Enum(e) => {
                let lo = e.scalarset?;
                let g = self.groups.iter().position(|x| x.name == e.name)?;
                Some((g, lo))
            }
            _ => None,
        }
    }

    /// `v` (of type `ty`) with every value of a symmetric type `g` moved to
    /// `perms[g][value]`.
    fn permute(&self, v: &Value, ty: &Ty, perms: &[Vec<usize>]) -> Value {
        if let (Some((g, lo)), Value::Int(i)) = (self.group(ty), v) {
            return Value::Int(lo + perms[g][(i - lo) as usize] as i64);
        }
        match (ty, v) {
            (Ty::Enum(e), Value::Variant { variant, payload }) => {
                let tys = e
                    .variants
                    .iter()
                    .find(|x| x.name == *variant)
                    .map_or(&[][..], |x| &x.payload[..]);
                Value::Variant {
                    variant: variant.clone(),
                    payload: payload
                        .iter()
                        .zip(tys)
                        .map(|(p, t)| self.permute(p, t, perms))
                        .collect(),
                }
            }
            (Ty::Record(fields), Value::Record(vals)) => Value::Record(
                vals.iter()
                    .zip(fields.iter())
                    .map(|((n, x), (_, t))| (n.clone(), self.permute(x, t, perms)))
                    .collect(),
            ),
            (Ty::Tuple(tys), Value::Tuple(vals)) => Value::Tuple(
                vals.iter()
                    .zip(tys.iter())
                    .map(|(x, t)| self.permute(x, t, perms))
                    .collect(),
            ),
            (Ty::Map(kv), Value::Map(entries)) => Value::Map(
                entries
                    .iter()
                    .map(|(k, x)| (self.permute(k, &kv.0, perms), self.permute(x, &kv.1, perms)))
                    .collect(),
            ),
            (Ty::Set(t) | Ty::Bag(t, _, _), Value::Set(items)) => {
                Value::Set(items.iter().map(|x| self.permute(x, t, perms)).collect())
            }
            (Ty::Multiset(t, _) | Ty::Bag(t, _, _), Value::Multiset(items)) => Value::Multiset(
                items
                    .iter()
                    .map(|(x, n)| (self.permute(x, t, perms), *n))
                    .collect(),
            ),
            (Ty::Seq(t, _), Value::Seq(items)) => {
                Value::Seq(items.iter().map(|x| self.permute(x, t, perms)).collect())
            }
            _ => v.clone(),
        }
    }

    /// The index `i` moved by `perms` (`perms[g][value]`), as `plan` says.
    fn apply(&self, plan: &Plan, i: u64, perms: &[Vec<usize>]) -> u64 {
        match plan {
            Plan::Same => i,
            Plan::Sym(g) => perms[*g][i as usize] as u64,
            Plan::Digits(parts) => {
                let (mut rest, mut out, mut stride) = (i, 0u64, 1u64);
                for (c, p) in parts {
                    let d = rest % c.max(&1);
                    rest /= c.max(&1);
                    out = out.wrapping_add(self.apply(p, d, perms).wrapping_mul(stride));
                    stride = stride.wrapping_mul(*c);
                }
                out
            }
            Plan::Map {
                keys,
                key,
                vcard,
                val,
                strides,
            } => {
                // A value of at least two values per key fits in 64 bits
                // only with at most 64 keys. Keys move to distinct keys, so
                // each digit lands once at its new key's stride.
                let vc = *vcard;
                if vc < 2 || *keys > 64 {
                    return i;
                }
                let (mut rest, mut out) = (i, 0u64);
                for k in 0..*keys {
                    let d = rest % vc;
                    rest /= vc;
                    if let Some(stride) = strides.get(self.apply(key, k, perms) as usize) {
                        out = out.wrapping_add(self.apply(val, d, perms).wrapping_mul(*stride));
                    }
                }
                out
            }
            Plan::Enum(variants) => {
                let v = variants.iter().rposition(|(o, _)| *o <= i).unwrap_or(0);
                let (o, p) = &variants[v];
                o + self.apply(p, i - o, perms)
            }
            Plan::Set(elem) => {
                let (mut bits, mut out) = (i, 0u64);
                while bits != 0 {
                    let b = bits.trailing_zeros() as u64;
                    bits &= bits - 1;
                    out |= 1u64 << self.apply(elem, b, perms);
                }
                out
            }
            Plan::Bag(shape, elem) => {
                let (mut m, n) = shape.unrank(i);
                for x in &mut m[..n] {
                    *x = self.apply(elem, *x, perms);
                }
                m[..n].sort_unstable();
                shape.rank(&m[..n])
            }
            Plan::Values(ty) => {
                let v = decode(ty, i, false);
                encode(ty, &self.permute(&v, ty, perms)).unwrap_or(i)
            }
        }
    }

    /// The profiles of index `i` (laid out as `plan` says) as each value
    /// of group `g` sees it (see the module documentation), as hashes, in
    /// one pass: returns the hash every value the index does not mention
    /// sees, and pushes (value, hash) onto `st` for each value it mentions.
    /// Of a collection, only the entries that mention a value count for
    /// it: the others, with every value of the group seen as "another",
    /// are all entries but those, the same whatever the value is, so they
    /// cannot tell two values apart. A collection's entries are combined by
    /// a sum of their hashes, which does not depend on their order, so
    /// nothing is sorted and nothing allocated. Equal profiles give equal
    /// hashes; two different profiles with equal hashes only make a tie
    /// class that is then tried in every order, so the form stays exact.
    /// (Measured on raft with symmetric servers, 1 thread: 12.2 s with
    /// token vectors sorted per value, 6.1 s with hashes per value, one
    /// pass for all values: see benches/results.)
    fn profile(&self, plan: &Plan, i: u64, g: usize, st: &mut Vec<(u32, u64)>) -> u64 {
        match plan {
            Plan::Same => i,
            Plan::Sym(h) => {
                if *h == g {
                    st.push((i as u32, mix(0x5157)));
                    mix(0x5158)
                } else {
                    mix(0x5159)
                }
            }
            Plan::Digits(parts) => {
                let (base, mut rest, mut h) = (st.len(), i, SEED);
                for (c, p) in parts {
                    let mark = st.len();
                    let x = self.profile(p, rest % c.max(&1), g, st);
                    rest /= c.max(&1);
                    if st.len() == base {
                        h = ordered(h, x);
                        continue;
                    }
                    then(st, base, mark, &mut h, x);
                }
                h
            }
            Plan::Map {
                keys,
                key,
                vcard,
                val,
                ..
            } => {
                let vc = (*vcard).max(1);
                let (base, mut rest, mut h) = (st.len(), i, SEED);
                if matches!(**key, Plan::Same) {
                    for _ in 0..*keys {
                        let mark = st.len();
                        let x = self.profile(val, rest % vc, g, st);
                        rest /= vc;
                        then(st, base, mark, &mut h, x);
                    }
                    return h;
                }
                for k in 0..*keys {
                    let mark = st.len();
                    let (mut eh, kh) = (SEED, self.profile(key, k, g, st));
                    then(st, mark, mark, &mut eh, kh);
                    let vmark = st.len();
                    let vh = self.profile(val, rest % vc, g, st);
                    rest /= vc;
                    then(st, mark, vmark, &mut eh, vh);
                    add(st, base, mark);
                }
                finish(st, base)
            }
            Plan::Enum(variants) => {
                let v = variants.iter().rposition(|(o, _)| *o <= i).unwrap_or(0);
                let (base, mut h) = (st.len(), mix(v as u64));
                let x = self.profile(&variants[v].1, i - variants[v].0, g, st);
                then(st, base, base, &mut h, x);
                h
            }
            Plan::Set(elem) => {
                let (base, mut bits) = (st.len(), i);
                while bits != 0 {
                    let b = bits.trailing_zeros() as u64;
                    bits &= bits - 1;
                    let mark = st.len();
                    self.profile(elem, b, g, st);
                    add(st, base, mark);
                }
                finish(st, base)
            }
            Plan::Bag(shape, elem) => {
                let (m, n) = shape.unrank(i);
                let base = st.len();
                for &x in &m[..n] {
                    let mark = st.len();
                    self.profile(elem, x, g, st);
                    add(st, base, mark);
                }
                finish(st, base)
            }
            Plan::Values(ty) => {
                let v = decode(ty, i, false);
                let hash = |e: usize| {
                    let mut tokens = Vec::new();
                    self.value_tokens(&v, ty, g, e, &mut tokens);
                    tokens.iter().fold(SEED, |h, t| ordered(h, mix(*t)))
                };
                for e in 0..self.groups[g].variants.len() {
                    st.push((e as u32, hash(e)));
                }
                hash(usize::MAX)
            }
        }
    }

    /// [`Self::profile`] of a wide map, held one index per key, whose keys'
    /// profiles are `keys` ([`WideMap::keys`]); its values' profiles
    /// come from `memo` under the variable's tag, if given. (Keys of a
    /// symmetric type mention each of its values, so such a map takes
    /// [`Symmetry::wide_sums`] instead.)
    #[allow(clippy::too_many_arguments)]
    fn wide_profile(
        &self,
        plan: &Plan,
        slots: &[Slot],
        keys: &[KeyProfile],
        state: &[Word],
        g: usize,
        st: &mut Vec<(u32, u64)>,
        mut memo: Option<(&mut Memo, u32)>,
    ) -> u64 {
        let Plan::Map { key, val, .. } = plan else {
            return SEED;
        };
        let (base, mut h) = (st.len(), SEED);
        for (s, (key_hash, key_values)) in slots.iter().zip(keys) {
            let mark = st.len();
            let mut eh = *key_hash;
            st.extend_from_slice(key_values);
            let vmark = st.len();
            let x = s.load(state);
            let vh = match &mut memo {
                Some((memo, tag)) => memo.profile(*tag, x, st, |st| self.profile(val, x, g, st)),
                None => self.profile(val, x, g, st),
            };
            then(st, mark, vmark, &mut eh, vh);
            match **key {
                Plan::Same => h = ordered(h, eh),
                _ => add(st, base, mark),
            }
        }
        match **key {
            Plan::Same => h,
            _ => finish(st, base),
        }
    }

    /// Appends the profile tokens of `v` (of type `ty`) as value `e` of
    /// group `g` sees it: for the types [`Plan::Values`] decodes.
    fn value_tokens(&self, v: &Value, ty: &Ty, g: usize, e: usize, out: &mut Vec<u64>) {
        if let (Some((h, lo)), Value::Int(i)) = (self.group(ty), v) {
            out.push(match h == g && (i - lo) as usize == e {
                true => 0,
                false => 1 + (h != g) as u64,
            });
            return;
        }
        match (ty, v) {
            (Ty::Enum(en), Value::Variant { variant, payload }) => {
                let i = en.variants.iter().position(|x| x.name == *variant);
                out.push(i.map_or(u64::MAX, |i| i as u64));
                if let Some(i) = i {
                    for (p, t) in payload.iter().zip(&en.variants[i].payload) {
                        self.value_tokens(p, t, g, e, out);
                    }
                }
            }
            (Ty::Record(fields), Value::Record(vals)) => {
                for ((_, x), (_, t)) in vals.iter().zip(fields.iter()) {
                    self.value_tokens(x, t, g, e, out);
                }
            }
            (Ty::Tuple(tys), Value::Tuple(vals)) => {
                for (x, t) in vals.iter().zip(tys.iter()) {
                    self.value_tokens(x, t, g, e, out);
                }
            }
            (Ty::Map(kv), Value::Map(entries)) => {
                if mentions(&kv.0, &self.groups) {
                    self.sorted(
                        entries.iter().map(|(k, x)| {
                            let mut s = Vec::new();
                            self.value_tokens(k, &kv.0, g, e, &mut s);
                            self.value_tokens(x, &kv.1, g, e, &mut s);
                            s
                        }),
                        out,
                    );
                } else {
                    for (_, x) in entries {
                        self.value_tokens(x, &kv.1, g, e, out);
                    }
                }
            }
            (Ty::Set(t) | Ty::Bag(t, _, _), Value::Set(items)) => self.sorted(
                items.iter().map(|x| {
                    let mut s = Vec::new();
                    self.value_tokens(x, t, g, e, &mut s);
                    s
                }),
                out,
            ),
            (Ty::Multiset(t, _) | Ty::Bag(t, _, _), Value::Multiset(items)) => self.sorted(
                items.iter().map(|(x, n)| {
                    let mut s = vec![*n];
                    self.value_tokens(x, t, g, e, &mut s);
                    s
                }),
                out,
            ),
            (Ty::Seq(t, _), Value::Seq(items)) => {
                out.push(items.len() as u64);
                for x in items {
                    self.value_tokens(x, t, g, e, out);
                }
            }
            _ => out.push(encode(ty, v).unwrap_or(u64::MAX)),
        }
    }

    /// Appends the token streams `parts` in sorted order, with their
    /// number and lengths, so that no two collections run together.
    fn sorted(&self, parts: impl Iterator<Item = Vec<u64>>, out: &mut Vec<u64>) {
        let mut parts: Vec<Vec<u64>> = parts.collect();
        parts.sort_unstable();
        out.push(parts.len() as u64);
        for p in parts {
            out.push(p.len() as u64);
            out.extend(p);
        }
    }
}

const SEED: u64 = 0x243f_6a88_85a3_08d3;

/// A 64-bit finaliser (splitmix64's): every input bit moves every output
/// bit, so sums of mixed hashes rarely collide.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `h` followed by `x`: depends on the order. One multiply, not a full
/// [`mix`]: it runs for every part of every profile (measured: a fifth of
/// a symmetric raft run with `mix`), and a collision only makes a tie.
fn ordered(h: u64, x: u64) -> u64 {
    (h.rotate_left(23) ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// `perms[g]` becomes the inverse of `orders[g]` (value `orders[g][k]`
/// is renamed `k`).
fn invert(orders: &[Vec<usize>], perms: &mut [Vec<usize>]) {
    for (order, p) in orders.iter().zip(perms.iter_mut()) {
        p.resize(order.len(), 0);
        for (k, &e) in order.iter().enumerate() {
            p[e] = k;
        }
    }
}

/// A sequence's profiles followed by one more part's (see
/// [`Symmetry::profile`]): `st[base..mark]` holds the values the sequence
/// so far mentions, `h` the hash of those it does not; `st[mark..]` the
/// part's mentioned values and `x` its hash for the others. Afterwards
/// `st[base..]` and `h` describe the longer sequence.
fn then(st: &mut Vec<(u32, u64)>, base: usize, mark: usize, h: &mut u64, x: u64) {
    for a in base..mark {
        let (e, before) = st[a];
        let part = st[mark..].iter().find(|p| p.0 == e).map_or(x, |p| p.1);
        st[a].1 = ordered(before, part);
    }
    let mut j = mark;
    while j < st.len() {
        if st[base..mark].iter().any(|p| p.0 == st[j].0) {
            st.swap_remove(j);
        } else {
            st[j].1 = ordered(*h, st[j].1);
            j += 1;
        }
    }
    *h = ordered(*h, x);
}

/// Adds a collection's entry, whose mentioned values are `st[mark..]`,
/// to the sums of its entries so far in `st[base..mark]`; only the values
/// an entry mentions count it.
fn add(st: &mut Vec<(u32, u64)>, base: usize, mark: usize) {
    let mut j = mark;
    while j < st.len() {
        let (e, x) = st[j];
        match st[base..mark].iter().position(|p| p.0 == e) {
            Some(a) => {
                st[base + a].1 = st[base + a].1.wrapping_add(mix(x));
                st.swap_remove(j);
            }
            None => {
                st[j].1 = mix(x);
                j += 1;
            }
        }
    }
}

/// The collection whose sums [`add`] kept in `st[base..]`: returns the
/// hash of the values no entry mentions.
fn finish(st: &mut [(u32, u64)], base: usize) -> u64 {
    for p in &mut st[base..] {
        p.1 = ordered(mix(1), p.1);
    }
    ordered(mix(0), 0)
}

/// Whether `orders` rename no value.
fn identity(orders: &[Vec<usize>]) -> bool {
    orders
        .iter()
        .all(|o| o.iter().enumerate().all(|(k, &v)| k == v))
}

fn factorial(n: usize) -> Option<usize> {
    (1..=n).try_fold(1usize, |acc, k| acc.checked_mul(k))
}

/// Whether `ty` has values of a symmetric type inside.
fn mentions(ty: &Ty, groups: &[Arc<EnumTy>]) -> bool {
    match ty {
        Ty::Enum(e) if e.scalarset.is_some() => groups.iter().any(|g| g.name == e.name),
        Ty::Enum(e) => e
            .variants
            .iter()
            .any(|v| v.payload.iter().any(|t| mentions(t, groups))),
        Ty::Record(fields) => fields.iter().any(|(_, t)| mentions(t, groups)),
        Ty::Tuple(items) => items.iter().any(|t| mentions(t, groups)),
        Ty::Map(kv) => mentions(&kv.0, groups) || mentions(&kv.1, groups),
        Ty::Set(t) | Ty::Multiset(t, _) | Ty::Seq(t, _) | Ty::Bag(t, _, _) => mentions(t, groups),
        Ty::Bool | Ty::Int(_) | Ty::Error => false,
    }
}
