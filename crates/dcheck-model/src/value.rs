//! Decoded values: the readable form of an encoded value, for traces,
//! counterexample explanations and JSON output. Never used in the hot loop.

use std::fmt;

use serde::Serialize;

use crate::encoding::get_digit;
use crate::seq::SeqShape;
use crate::types::Ty;

/// A value as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    /// An enum variant, with its payload.
    Variant {
        variant: String,
        payload: Vec<Value>,
    },
    Record(Vec<(String, Value)>),
    Tuple(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Set(Vec<Value>),
    /// Elements with their multiplicity.
    Multiset(Vec<(Value, u64)>),
    Seq(Vec<Value>),
}

/// Decode the dense index `v` of type `ty`. For integers, `v` is the value
/// itself when `in_register`, else its index.
pub fn decode(ty: &Ty, v: u64, in_register: bool) -> Value {
    let val = decode_index(ty, v, in_register);
    debug_assert!(
        in_register || ty.card().is_none_or(|c| u128::from(v) >= c) || encode(ty, &val) == Some(v),
        "index {v} of {ty} decodes to {val}, which encodes differently"
    );
    val
}

fn decode_index(ty: &Ty, v: u64, in_register: bool) -> Value {
    match ty {
        Ty::Bool => Value::Bool(v != 0),
        Ty::Int(range) => {
            if in_register {
                Value::Int(v as i64)
            } else {
                let lo = range.map(|r| r.0).unwrap_or(0);
                Value::Int(lo.wrapping_add(v as i64))
            }
        }
        Ty::Enum(e) if e.scalarset.is_some() => {
            Value::Int(e.scalarset.unwrap_or(0).wrapping_add(v as i64))
        }
        Ty::Enum(e) => {
            let offsets = e.offsets();
            let i = offsets.iter().rposition(|o| *o <= v).unwrap_or(0);
            let var = &e.variants[i];
            let payload = decode_components(&var.payload, v - offsets[i]);
            Value::Variant {
                variant: var.name.clone(),
                payload,
            }
        }
        Ty::Record(fields) => {
            let tys: Vec<Ty> = fields.iter().map(|f| f.1.clone()).collect();
            let vals = decode_components(&tys, v);
            Value::Record(fields.iter().map(|f| f.0.clone()).zip(vals).collect())
        }
        Ty::Tuple(items) => Value::Tuple(decode_components(items, v)),
        Ty::Map(kv) => {
            let (k, val) = (&kv.0, &kv.1);
            let kc = k.card_u64().unwrap_or(0);
            // (A map with keys and an empty value type has no values.)
            let vc = val.card_u64().unwrap_or(1).max(1);
            let mut stride = 1u64;
            let mut out = Vec::new();
            for i in 0..kc {
                out.push((
                    decode(k, i, false),
                    decode(val, get_digit(v, stride, vc), false),
                ));
                stride = stride.wrapping_mul(vc);
            }
            Value::Map(out)
        }
        Ty::Set(t) => {
            let n = t.card_u64().unwrap_or(0);
            Value::Set(
                (0..n)
                    .filter(|i| (v >> i) & 1 == 1)
                    .map(|i| decode(t, i, false))
                    .collect(),
            )
        }
        Ty::Multiset(t, m) => {
            let n = t.card_u64().unwrap_or(0);
            let mut stride = 1u64;
            let mut out = Vec::new();
            for i in 0..n {
                let c = get_digit(v, stride, m + 1);
                if c > 0 {
                    out.push((decode(t, i, false), c));
                }
                stride = stride.wrapping_mul(m + 1);
            }
            Value::Multiset(out)
        }
        Ty::Seq(t, l) => {
            let shape = SeqShape::of(t, *l);
            Value::Seq(shape.items(v).map(|x| decode(t, x, false)).collect())
        }
        Ty::Bag(t, _, distinct) => {
            let Some(shape) = ty.bag_shape() else {
                return Value::Set(vec![]);
            };
            let (m, k) = shape.unrank(v);
            if *distinct {
                return Value::Set(m[..k].iter().map(|i| decode(t, *i, false)).collect());
            }
            let mut out: Vec<(Value, u64)> = Vec::new();
            for i in &m[..k] {
                let val = decode(t, *i, false);
                match out.last_mut() {
                    Some((last, c)) if *last == val => *c += 1,
                    _ => out.push((val, 1)),
                }
            }
            Value::Multiset(out)
        }
        Ty::Error => Value::Int(v as i64),
    }
}

/// The dense index of `val` as a value of `ty` (an integer by its index, as
/// stored), or `None` if `val` is not a value of `ty`. The inverse of
/// [`decode`], written from the encoding's definition rather than from
/// `decode`, so that each checks the other: one value, one index.
pub fn encode(ty: &Ty, val: &Value) -> Option<u64> {
    let card = |t: &Ty| t.card_u64();
    match (ty, val) {
        (Ty::Bool, Value::Bool(b)) => Some(*b as u64),
        (Ty::Int(Some((lo, hi))), Value::Int(i)) => {
            (lo <= i && i <= hi).then(|| (*i as i128 - *lo as i128) as u64)
        }
        (Ty::Enum(e), Value::Int(i)) => {
            let lo = e.scalarset?;
            let n = e.variants.len() as i64;
            (lo <= *i && *i - lo < n).then(|| (*i - lo) as u64)
        }
        (Ty::Enum(e), Value::Variant { variant, payload }) => {
            let i = e.variants.iter().position(|v| v.name == *variant)?;
            let inner = encode_components(&e.variants[i].payload, payload)?;
            e.offsets()[i].checked_add(inner)
        }
        (Ty::Record(fields), Value::Record(vals)) => {
            if fields.len() != vals.len() || fields.iter().zip(vals).any(|(f, v)| f.0 != v.0) {
                return None;
            }
            let tys: Vec<Ty> = fields.iter().map(|f| f.1.clone()).collect();
            let vals: Vec<Value> = vals.iter().map(|v| v.1.clone()).collect();
            encode_components(&tys, &vals)
        }
        (Ty::Tuple(items), Value::Tuple(vals)) => encode_components(items, vals),
        (Ty::Map(kv), Value::Map(entries)) => {
            let (kc, vc) = (card(&kv.0)?, card(&kv.1)?);
            let mut digits = vec![None; kc as usize];
            for (k, v) in entries {
                let slot = digits.get_mut(encode(&kv.0, k)? as usize)?;
                if slot.replace(encode(&kv.1, v)?).is_some() {
                    return None;
                }
            }
            digits
                .iter()
                .rev()
                .try_fold(0u64, |acc, d| acc.checked_mul(vc)?.checked_add((*d)?))
        }
        (Ty::Set(t), Value::Set(items)) => items.iter().try_fold(0u64, |acc, x| {
            let bit = 1u64.checked_shl(encode(t, x)? as u32)?;
            (acc & bit == 0).then_some(acc | bit)
        }),
        (Ty::Multiset(t, m), Value::Multiset(items)) => {
            let n = card(t)?;
            let mut counts = vec![0u64; n as usize];
            for (x, c) in items {
                let slot = &mut counts[encode(t, x)? as usize];
                if *slot != 0 || *c == 0 || c > m {
                    return None;
                }
                *slot = *c;
            }
            counts
                .iter()
                .rev()
                .try_fold(0u64, |acc, c| acc.checked_mul(m + 1)?.checked_add(*c))
        }
        (Ty::Seq(t, l), Value::Seq(items)) => {
            let items: Option<Vec<u64>> = items.iter().map(|x| encode(t, x)).collect();
            SeqShape::new(*l, card(t)?).encode(&items?)
        }
        (Ty::Bag(t, c, distinct), _) => {
            let shape = ty.bag_shape()?;
            let mut members = Vec::new();
            match (distinct, val) {
                (true, Value::Set(items)) => {
                    for x in items {
                        members.push(encode(t, x)?);
                    }
                }
                (false, Value::Multiset(items)) => {
                    for (x, n) in items {
                        let i = encode(t, x)?;
                        members.extend(std::iter::repeat_n(i, *n as usize));
                    }
                }
                _ => return None,
            }
            members.sort_unstable();
            let dup = members.windows(2).any(|w| w[0] == w[1]);
            (members.len() as u64 <= *c && !(*distinct && dup)).then(|| shape.rank(&members))
        }
        _ => None,
    }
}

/// Mixed radix over `tys`, the first component least significant.
fn encode_components(tys: &[Ty], vals: &[Value]) -> Option<u64> {
    if tys.len() != vals.len() {
        return None;
    }
    tys.iter().zip(vals).rev().try_fold(0u64, |acc, (t, v)| {
        acc.checked_mul(t.card_u64()?)?.checked_add(encode(t, v)?)
    })
}

/// Checks the value layer's invariant for `ty` (one form per value): every
/// index in `0..card` decodes to a value that encodes back to that index.
/// For large types, the first and last 512 indices. Debug builds call this
/// wherever the compiler enumerates a type's values.
pub fn indices_are_canonical(ty: &Ty) -> bool {
    let Some(card) = ty.card_u64() else {
        return true;
    };
    let check = |i: u64| encode(ty, &decode_index(ty, i, false)) == Some(i);
    (0..card.min(512)).all(check) && (card.saturating_sub(512).max(512)..card).all(check)
}

fn decode_components(tys: &[Ty], mut v: u64) -> Vec<Value> {
    tys.iter()
        .map(|t| {
            let c = t.card_u64().unwrap_or(1).max(1);
            let d = v % c;
            v /= c;
            decode(t, d, false)
        })
        .collect()
}

fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    each: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            write!(f, ", ")?;
        }
        each(f, x)?;
    }
    Ok(())
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Variant { variant, payload } => {
                write!(f, "{variant}")?;
                if !payload.is_empty() {
                    write!(f, "(")?;
                    list(f, payload, |f, v| write!(f, "{v}"))?;
                    write!(f, ")")?;
                }
                Ok(())
            }
            Value::Record(fields) => {
                write!(f, "{{ ")?;
                list(f, fields, |f, (n, v)| write!(f, "{n}: {v}"))?;
                write!(f, " }}")
            }
            Value::Tuple(items) => {
                write!(f, "(")?;
                list(f, items, |f, v| write!(f, "{v}"))?;
                write!(f, ")")
            }
            Value::Map(entries) => {
                write!(f, "[")?;
                list(f, entries, |f, (k, v)| write!(f, "{k} |-> {v}"))?;
                write!(f, "]")
            }
            Value::Set(items) => {
                write!(f, "{{")?;
                list(f, items, |f, v| write!(f, "{v}"))?;
                write!(f, "}}")
            }
            Value::Multiset(items) => {
                write!(f, "{{|")?;
                list(f, items, |f, (v, c)| {
                    if *c == 1 {
                        write!(f, "{v}")
                    } else {
                        write!(f, "{v} x{c}")
                    }
                })?;
                write!(f, "|}}")
            }
            Value::Seq(items) => {
                write!(f, "[")?;
                list(f, items, |f, v| write!(f, "{v}"))?;
                write!(f, "]")
            }
        }
    }
}
