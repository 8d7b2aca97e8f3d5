//! Decoded values: the readable form of an encoded value, for traces,
//! counterexample explanations and JSON output. Never used in the hot loop.

use std::fmt;

use serde::Serialize;

use crate::encoding::get_digit;
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
            let len = v % (l + 1);
            let tc = t.card_u64().unwrap_or(1);
            let mut rest = v / (l + 1);
            let mut out = Vec::new();
            for _ in 0..len {
                out.push(decode(t, rest % tc, false));
                rest /= tc;
            }
            Value::Seq(out)
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
