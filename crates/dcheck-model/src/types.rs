//! Resolved types, their cardinalities and the dense-index layout of each
//! compound type (see [`crate::encoding`]).

use std::fmt;
use std::sync::Arc;

/// A resolved type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    /// An integer; `Some((lo, hi))` for a declared range, `None` for the
    /// unbounded integers of intermediate arithmetic (not storable).
    Int(Option<(i64, i64)>),
    Enum(Arc<EnumTy>),
    Record(Arc<Vec<(String, Ty)>>),
    Tuple(Arc<Vec<Ty>>),
    Map(Arc<(Ty, Ty)>),
    Set(Arc<Ty>),
    Multiset(Arc<Ty>, u64),
    Seq(Arc<Ty>, u64),
    /// `bag<T, C>` (`distinct == false`) or `set<T, C>` (`distinct`): at
    /// most C members, ranked as in [`crate::bag`].
    Bag(Arc<Ty>, u64, bool),
    /// Already reported as an error; suppresses follow-up diagnostics.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumTy {
    pub name: String,
    pub variants: Vec<Variant>,
    /// `Some(lo)`: a symmetric type (`symmetry`), declared as the range
    /// `lo..lo + n - 1`. Its n values are interchangeable: they are told
    /// apart by equality only (no arithmetic, order or literals), and
    /// decoded as the integers of the range.
    pub scalarset: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    pub payload: Vec<Ty>,
}

/// Largest number of values a type may have: its indices must fit a `u64`.
pub const MAX_CARD: u128 = 1u128 << 64;

fn mul(a: u128, b: Option<u128>) -> Option<u128> {
    a.checked_mul(b?).filter(|c| *c <= MAX_CARD)
}

fn pow(base: Option<u128>, exp: Option<u128>) -> Option<u128> {
    let (base, exp) = (base?, exp?);
    // 0^e and 1^e in closed form (a `[0..10^12 -> 0..0]` has one value);
    // for base >= 2 the loop passes MAX_CARD within 65 rounds.
    match (base, exp) {
        (_, 0) => return Some(1),
        (0, _) => return Some(0),
        (1, _) => return Some(1),
        _ => {}
    }
    let mut acc: u128 = 1;
    for _ in 0..exp {
        acc = acc.checked_mul(base).filter(|c| *c <= MAX_CARD)?;
        if acc == 0 {
            return Some(0);
        }
    }
    Some(acc)
}

impl Ty {
    /// Number of values, or `None` if unbounded or more than 2^64.
    pub fn card(&self) -> Option<u128> {
        match self {
            Ty::Bool => Some(2),
            Ty::Int(Some((lo, hi))) => Some((*hi as i128 - *lo as i128 + 1).max(0) as u128),
            Ty::Int(None) | Ty::Error => None,
            Ty::Enum(e) => {
                let mut total: u128 = 0;
                for v in &e.variants {
                    total = total.checked_add(payload_card(&v.payload)?)?;
                }
                (total <= MAX_CARD).then_some(total)
            }
            Ty::Record(fields) => fields.iter().try_fold(1, |acc, (_, t)| mul(acc, t.card())),
            Ty::Tuple(items) => items.iter().try_fold(1, |acc, t| mul(acc, t.card())),
            Ty::Map(kv) => pow(kv.1.card(), kv.0.card()),
            Ty::Set(t) => pow(Some(2), t.card()),
            Ty::Multiset(t, m) => pow(Some(*m as u128 + 1), t.card()),
            // One index per sequence value (see `crate::seq`).
            Ty::Seq(t, l) => crate::seq::SeqShape::card(*l, t.card()?, MAX_CARD),
            Ty::Bag(t, c, distinct) => crate::bag::BagShape::card(t.card_u64()?, *c, *distinct),
        }
    }

    /// Whether values of a symmetric type (a scalarset) are inside.
    pub fn has_scalarset(&self) -> bool {
        match self {
            Ty::Enum(e) => {
                e.scalarset.is_some()
                    || e.variants
                        .iter()
                        .any(|v| v.payload.iter().any(Ty::has_scalarset))
            }
            Ty::Record(fields) => fields.iter().any(|(_, t)| t.has_scalarset()),
            Ty::Tuple(items) => items.iter().any(Ty::has_scalarset),
            Ty::Map(kv) => kv.0.has_scalarset() || kv.1.has_scalarset(),
            Ty::Set(t) | Ty::Multiset(t, _) | Ty::Seq(t, _) | Ty::Bag(t, _, _) => t.has_scalarset(),
            Ty::Bool | Ty::Int(_) | Ty::Error => false,
        }
    }

    /// `card()` as a u64 count of indices where it is at most 2^64 - 1.
    pub fn card_u64(&self) -> Option<u64> {
        self.card().and_then(|c| u64::try_from(c).ok())
    }

    pub fn is_int(&self) -> bool {
        matches!(self, Ty::Int(_))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    /// The integer offset (`lo`) to add to an index to get the value, for
    /// integer types; 0 for others (their index is their value).
    pub fn int_lo(&self) -> Option<i64> {
        match self {
            Ty::Int(Some((lo, _))) => Some(*lo),
            _ => None,
        }
    }

    /// Whether values of `self` may be used where `other` is expected
    /// (integers of any range are compatible: ranges are checked on store).
    pub fn compatible(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Int(_), Ty::Int(_)) => true,
            (a, b) => a == b,
        }
    }

    /// The ranking of a `bag<T, C>` or `set<T, C>` type.
    pub fn bag_shape(&self) -> Option<crate::bag::BagShape> {
        match self {
            Ty::Bag(t, c, distinct) => crate::bag::BagShape::new(t.card_u64()?, *c, *distinct),
            _ => None,
        }
    }

    /// Strides of the components of a record or tuple.
    pub fn component_strides(items: &[Ty]) -> Vec<u64> {
        let mut stride: u128 = 1;
        items
            .iter()
            .map(|t| {
                let s = stride as u64;
                stride *= t.card().unwrap_or(1);
                s
            })
            .collect()
    }
}

/// Number of values of a variant payload (a tuple of the payload types).
pub fn payload_card(payload: &[Ty]) -> Option<u128> {
    payload.iter().try_fold(1, |acc, t| mul(acc, t.card()))
}

impl Ty {
    /// The name of the symmetric type this is, if it is one.
    pub fn symmetric(&self) -> Option<&str> {
        match self {
            Ty::Enum(e) if e.scalarset.is_some() => Some(&e.name),
            _ => None,
        }
    }
}

impl EnumTy {
    /// Index of the first value of each variant.
    pub fn offsets(&self) -> Vec<u64> {
        let mut off: u128 = 0;
        self.variants
            .iter()
            .map(|v| {
                let o = off as u64;
                off += payload_card(&v.payload).unwrap_or(1);
                o
            })
            .collect()
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => write!(f, "bool"),
            Ty::Int(Some((lo, hi))) => write!(f, "{lo}..{hi}"),
            Ty::Int(None) => write!(f, "int"),
            Ty::Enum(e) => write!(f, "{}", e.name),
            Ty::Record(fields) => {
                write!(f, "{{ ")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                write!(f, " }}")
            }
            Ty::Tuple(items) => {
                write!(f, "(")?;
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, ")")
            }
            Ty::Map(kv) => write!(f, "[{} -> {}]", kv.0, kv.1),
            Ty::Set(t) => write!(f, "set<{t}>"),
            Ty::Multiset(t, m) => write!(f, "multiset<{t}, {m}>"),
            Ty::Seq(t, l) => write!(f, "seq<{t}, {l}>"),
            Ty::Bag(t, c, false) => write!(f, "bag<{t}, {c}>"),
            Ty::Bag(t, c, true) => write!(f, "set<{t}, {c}>"),
            Ty::Error => write!(f, "<error>"),
        }
    }
}
