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
//! only the entries that mention the value profiled. Measured on TwoPhase
//! N=12 (6,656 orbits, 105,081 successors, 2 threads): 2.2 s with every
//! state decoded, 0.6 s now; the next step would be all profiles in one
//! pass instead of one pass per value.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::check::VarInfo;
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
            },
            Ty::Set(t) => Plan::Set(Box::new(Plan::of(t, groups))),
            Ty::Bag(t, _, _) => match ty.bag_shape() {
                Some(shape) => Plan::Bag(shape, Box::new(Plan::of(t, groups))),
                None => Plan::Values(ty.clone()),
            },
            _ => Plan::Values(ty.clone()),
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
    groups: Vec<Arc<EnumTy>>,
    /// The variables whose types mention a symmetric type: their position
    /// in the model's variables and how a permutation moves their index
    /// (for a wide map, the index in each key's slot).
    vars: Vec<(usize, Plan)>,
    inexact: AtomicBool,
}

/// One variable's index, or a wide map's indices (one per key).
enum Held {
    One(u64),
    Wide(Vec<u64>),
}

impl Symmetry {
    pub fn new(groups: Vec<Arc<EnumTy>>, vars: &[VarInfo]) -> Symmetry {
        let vars = vars
            .iter()
            .enumerate()
            .filter(|(_, v)| mentions(&v.ty, &groups))
            .map(|(i, v)| (i, Plan::of(&v.ty, &groups)))
            .collect();
        Symmetry {
            groups,
            vars,
            inexact: AtomicBool::new(false),
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
    pub fn canonical(&self, vars: &[VarInfo], state: &[Word], out: &mut [Word]) {
        out.copy_from_slice(state);
        let held: Vec<Held> = self
            .vars
            .iter()
            .map(|(i, _)| {
                let v = &vars[*i];
                match &v.keys {
                    Some(slots) => Held::Wide(slots.iter().map(|s| s.load(state)).collect()),
                    None => Held::One(v.slot.load(state)),
                }
            })
            .collect();
        // Per group: the values in profile order, and the tie classes
        // (ranges of that order) with more than one value.
        let mut base: Vec<Vec<usize>> = Vec::new();
        let mut classes: Vec<(usize, usize, usize)> = Vec::new();
        let mut profile = Vec::new();
        for g in 0..self.groups.len() {
            let n = self.groups[g].variants.len();
            let mut profiles: Vec<(Vec<u64>, usize)> = Vec::with_capacity(n);
            for e in 0..n {
                profile.clear();
                for ((_, plan), h) in self.vars.iter().zip(&held) {
                    match h {
                        Held::One(i) => {
                            self.tokens(plan, *i, g, e, &mut profile);
                        }
                        Held::Wide(ds) => self.wide_tokens(plan, ds, g, e, &mut profile),
                    }
                }
                profiles.push((profile.clone(), e));
            }
            profiles.sort_unstable();
            let order: Vec<usize> = profiles.iter().map(|p| p.1).collect();
            let mut k = 0;
            while k < n {
                let mut end = k + 1;
                while end < n && profiles[end].0 == profiles[k].0 {
                    end += 1;
                }
                if end - k > 1 {
                    classes.push((g, k, end));
                }
                k = end;
            }
            base.push(order);
        }
        // `order[g][k]` is the value that becomes value k.
        let words = |orders: &[Vec<usize>], out: &mut [Word]| {
            let perms: Vec<Vec<usize>> = orders
                .iter()
                .map(|order| {
                    let mut p = vec![0; order.len()];
                    for (k, &e) in order.iter().enumerate() {
                        p[e] = k;
                    }
                    p
                })
                .collect();
            for ((i, plan), h) in self.vars.iter().zip(&held) {
                let v = &vars[*i];
                match (h, &v.keys, plan) {
                    (Held::One(x), _, _) => v.slot.store(out, self.apply(plan, *x, &perms)),
                    (Held::Wide(ds), Some(slots), Plan::Map { key, val, .. }) => {
                        for (k, d) in ds.iter().enumerate() {
                            let to = self.apply(key, k as u64, &perms) as usize;
                            if let Some(slot) = slots.get(to) {
                                slot.store(out, self.apply(val, *d, &perms));
                            }
                        }
                    }
                    _ => {}
                }
            }
        };
        words(&base, out);
        // The classes whose orders matter.
        let mut open: Vec<(usize, usize, usize)> = Vec::new();
        let mut swapped = state.to_vec();
        for &(g, lo, hi) in &classes {
            let fixed = (lo..hi - 1).all(|k| {
                let mut orders = base.clone();
                orders[g].swap(k, k + 1);
                words(&orders, &mut swapped);
                swapped[..] == out[..]
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
        let mut best = out.to_vec();
        let mut orders = base.clone();
        let mut candidate = state.to_vec();
        self.each_order(&open, 0, &mut orders, &mut |orders| {
            words(orders, &mut candidate);
            if candidate < best {
                best.copy_from_slice(&candidate);
            }
        });
        out.copy_from_slice(&best);
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
            } => {
                let vc = (*vcard).max(1);
                let mut digits = vec![0u64; *keys as usize];
                for (k, d) in map_digits(i, *keys, vc).into_iter().enumerate() {
                    if let Some(slot) = digits.get_mut(self.apply(key, k as u64, perms) as usize) {
                        *slot = self.apply(val, d, perms);
                    }
                }
                digits
                    .iter()
                    .rev()
                    .fold(0u64, |acc, d| acc.wrapping_mul(vc).wrapping_add(*d))
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
                let (m, n) = shape.unrank(i);
                let mut members: Vec<u64> =
                    m[..n].iter().map(|&e| self.apply(elem, e, perms)).collect();
                members.sort_unstable();
                shape.rank(&members)
            }
            Plan::Values(ty) => {
                let v = decode(ty, i, false);
                encode(ty, &self.permute(&v, ty, perms)).unwrap_or(i)
            }
        }
    }

    /// Appends the profile tokens of index `i` (laid out as `plan` says) as
    /// value `e` of group `g` sees it (see the module documentation), and
    /// says whether they mention `e`. Of a collection, only the entries
    /// that mention `e` are kept: the others, with every value of the group
    /// seen as "another", are all entries but those, the same whatever `e`
    /// is, so they cannot tell two values apart (measured: TwoPhase N=12
    /// spent three quarters of its canonical forms sorting them).
    fn tokens(&self, plan: &Plan, i: u64, g: usize, e: usize, out: &mut Vec<u64>) -> bool {
        match plan {
            Plan::Same => {
                out.push(i);
                false
            }
            Plan::Sym(h) => {
                let is_e = *h == g && i as usize == e;
                out.push(match is_e {
                    true => 0,
                    false => 1 + (*h != g) as u64,
                });
                is_e
            }
            Plan::Digits(parts) => {
                let (mut rest, mut seen) = (i, false);
                for (c, p) in parts {
                    seen |= self.tokens(p, rest % c.max(&1), g, e, out);
                    rest /= c.max(&1);
                }
                seen
            }
            Plan::Map {
                keys,
                key,
                vcard,
                val,
            } => {
                let ds = map_digits(i, *keys, (*vcard).max(1));
                if matches!(**key, Plan::Same) {
                    let mut seen = false;
                    for d in ds {
                        seen |= self.tokens(val, d, g, e, out);
                    }
                    seen
                } else {
                    collect_sorted(out, ds.len(), |k, t| {
                        self.tokens(key, k as u64, g, e, t) | self.tokens(val, ds[k], g, e, t)
                    })
                }
            }
            Plan::Enum(variants) => {
                let v = variants.iter().rposition(|(o, _)| *o <= i).unwrap_or(0);
                out.push(v as u64);
                self.tokens(&variants[v].1, i - variants[v].0, g, e, out)
            }
            Plan::Set(elem) => {
                let mut bits = i;
                let mut members = Vec::with_capacity(i.count_ones() as usize);
                while bits != 0 {
                    members.push(bits.trailing_zeros() as u64);
                    bits &= bits - 1;
                }
                collect_sorted(out, members.len(), |k, t| {
                    self.tokens(elem, members[k], g, e, t)
                })
            }
            Plan::Bag(shape, elem) => {
                let (m, n) = shape.unrank(i);
                collect_sorted(out, n, |k, t| self.tokens(elem, m[k], g, e, t))
            }
            Plan::Values(ty) => {
                self.value_tokens(&decode(ty, i, false), ty, g, e, out);
                true
            }
        }
    }

    /// [`Self::tokens`] of a wide map, held one index per key.
    fn wide_tokens(&self, plan: &Plan, ds: &[u64], g: usize, e: usize, out: &mut Vec<u64>) {
        let Plan::Map { key, val, .. } = plan else {
            return;
        };
        collect_sorted(out, ds.len(), |k, t| {
            self.tokens(key, k as u64, g, e, t) | self.tokens(val, ds[k], g, e, t)
        });
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

/// Appends the token streams of those of `count` entries that mention the
/// value being profiled (`entry(k, buffer)` appends entry k's and says
/// whether it does), in sorted order, with their number and lengths, so
/// that no two collections run together; says whether any did. One buffer
/// for all entries, not a vector each (the measured cost of profiles).
fn collect_sorted(
    out: &mut Vec<u64>,
    count: usize,
    mut entry: impl FnMut(usize, &mut Vec<u64>) -> bool,
) -> bool {
    let mut flat = Vec::new();
    let mut bounds = vec![0];
    for k in 0..count {
        let start = flat.len();
        if entry(k, &mut flat) {
            bounds.push(flat.len());
        } else {
            flat.truncate(start);
        }
    }
    let kept = bounds.len() - 1;
    let part = |k: usize| &flat[bounds[k]..bounds[k + 1]];
    let mut order: Vec<usize> = (0..kept).collect();
    order.sort_unstable_by(|a, b| part(*a).cmp(part(*b)));
    out.push(kept as u64);
    for k in order {
        out.push(part(k).len() as u64);
        out.extend_from_slice(part(k));
    }
    kept > 0
}

/// The `keys` digits (base `vc`, the first least significant) of a map's
/// index: the value index at each key.
fn map_digits(i: u64, keys: u64, vc: u64) -> Vec<u64> {
    let mut rest = i;
    (0..keys)
        .map(|_| {
            let d = rest % vc;
            rest /= vc;
            d
        })
        .collect()
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
