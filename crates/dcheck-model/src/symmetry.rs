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
//! Values are decoded ([`crate::value`]) and encoded again: this is not the
//! hot path of the reduction's goal (orbits are few), and it is the one
//! code that knows every type's layout. Compiling the permutation onto the
//! packed words is the next step if symmetric specs become
//! evaluator-bound.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::check::VarInfo;
use crate::system::Word;
use crate::types::{EnumTy, Ty};
use crate::value::{decode, encode, Value};

/// Most orders of the tie classes that need trying, per state.
pub const MAX_TRIED: usize = 720;

/// The symmetric types of a model and what it takes to canonicalise.
pub struct Symmetry {
    /// The types (by name), each with its values `lo..lo + n`.
    groups: Vec<Arc<EnumTy>>,
    /// Per variable: whether its type mentions a symmetric type.
    mentions: Vec<bool>,
    inexact: AtomicBool,
}

/// One variable's decoded value.
struct Var<'v> {
    info: &'v VarInfo,
    value: Value,
}

impl Symmetry {
    pub fn new(groups: Vec<Arc<EnumTy>>, vars: &[VarInfo]) -> Symmetry {
        let mentions = vars.iter().map(|v| mentions(&v.ty, &groups)).collect();
        Symmetry {
            groups,
            mentions,
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
        let decoded: Vec<Var> = vars
            .iter()
            .zip(&self.mentions)
            .filter(|(_, m)| **m)
            .map(|(info, _)| Var {
                info,
                value: load(info, state),
            })
            .collect();
        // Per group: the values in profile order, and the tie classes
        // (ranges of that order) with more than one value.
        let mut base: Vec<Vec<usize>> = Vec::new();
        let mut classes: Vec<(usize, usize, usize)> = Vec::new();
        for g in 0..self.groups.len() {
            let n = self.groups[g].variants.len();
            let profiles: Vec<Vec<u64>> = (0..n)
                .map(|e| {
                    let mut p = Vec::new();
                    for v in &decoded {
                        self.tokens(&v.value, &v.info.ty, g, e, &mut p);
                    }
                    p
                })
                .collect();
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|a, b| profiles[*a].cmp(&profiles[*b]));
            let mut k = 0;
            while k < n {
                let mut end = k + 1;
                while end < n && profiles[order[end]] == profiles[order[k]] {
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
            for v in &decoded {
                let moved = self.permute(&v.value, &v.info.ty, &perms);
                store(v.info, &moved, out);
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

    /// Appends the profile tokens of `v` (of type `ty`) as value `e` of
    /// group `g` sees it (see the module documentation).
    fn tokens(&self, v: &Value, ty: &Ty, g: usize, e: usize, out: &mut Vec<u64>) {
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
                        self.tokens(p, t, g, e, out);
                    }
                }
            }
            (Ty::Record(fields), Value::Record(vals)) => {
                for ((_, x), (_, t)) in vals.iter().zip(fields.iter()) {
                    self.tokens(x, t, g, e, out);
                }
            }
            (Ty::Tuple(tys), Value::Tuple(vals)) => {
                for (x, t) in vals.iter().zip(tys.iter()) {
                    self.tokens(x, t, g, e, out);
                }
            }
            (Ty::Map(kv), Value::Map(entries)) => {
                if mentions(&kv.0, &self.groups) {
                    self.sorted(
                        entries.iter().map(|(k, x)| {
                            let mut s = Vec::new();
                            self.tokens(k, &kv.0, g, e, &mut s);
                            self.tokens(x, &kv.1, g, e, &mut s);
                            s
                        }),
                        out,
                    );
                } else {
                    for (_, x) in entries {
                        self.tokens(x, &kv.1, g, e, out);
                    }
                }
            }
            (Ty::Set(t) | Ty::Bag(t, _, _), Value::Set(items)) => self.sorted(
                items.iter().map(|x| {
                    let mut s = Vec::new();
                    self.tokens(x, t, g, e, &mut s);
                    s
                }),
                out,
            ),
            (Ty::Multiset(t, _) | Ty::Bag(t, _, _), Value::Multiset(items)) => self.sorted(
                items.iter().map(|(x, n)| {
                    let mut s = vec![*n];
                    self.tokens(x, t, g, e, &mut s);
                    s
                }),
                out,
            ),
            (Ty::Seq(t, _), Value::Seq(items)) => {
                out.push(items.len() as u64);
                for x in items {
                    self.tokens(x, t, g, e, out);
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

/// The value of a variable in `state`.
fn load(info: &VarInfo, state: &[Word]) -> Value {
    match (&info.keys, &info.ty) {
        (Some(slots), Ty::Map(kv)) => Value::Map(
            slots
                .iter()
                .enumerate()
                .map(|(k, slot)| {
                    (
                        decode(&kv.0, k as u64, false),
                        decode(&kv.1, slot.load(state), false),
                    )
                })
                .collect(),
        ),
        _ => decode(&info.ty, info.slot.load(state), false),
    }
}

/// Stores a variable's value into `state` (a permutation of a value it
/// had, so it encodes).
fn store(info: &VarInfo, value: &Value, state: &mut [Word]) {
    match (&info.keys, &info.ty, value) {
        (Some(slots), Ty::Map(kv), Value::Map(entries)) => {
            for (k, x) in entries {
                if let (Some(k), Some(x)) = (encode(&kv.0, k), encode(&kv.1, x)) {
                    if let Some(slot) = slots.get(k as usize) {
                        slot.store(state, x);
                    }
                }
            }
        }
        _ => {
            if let Some(i) = encode(&info.ty, value) {
                info.slot.store(state, i);
            }
        }
    }
}
