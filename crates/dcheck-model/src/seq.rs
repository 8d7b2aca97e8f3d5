//! Bounded sequences `seq<T, L>`, encoded as one dense index with exactly
//! one index per sequence value.
//!
//! With `t = card(T)`, the sequences of length `k` are the `t^k` arrays of
//! `k` element indices; they take the block of indices starting at
//! `off(k) = t^0 + t^1 + ... + t^(k-1)`, and within it the element at
//! position `i` (0-based) is the base-`t` digit at stride `t^i`. So the empty
//! sequence is 0, the type has `sum_{k <= L} t^k` values, and every index in
//! `0..card` is a sequence: no padding past the length that could make two
//! indices (and two states) of one value.
//!
//! Appending `x` to a sequence of length `k` adds `(x + 1) * t^k` (the block
//! moves from `off(k)` to `off(k + 1) = off(k) + t^k` and the new digit is
//! `x`); updating element `i` in place changes one digit at stride `t^i`.

/// The shape of one sequence type: its bound and its element count.
#[derive(Clone, Copy, Debug)]
pub struct SeqShape {
    /// The bound `L`.
    pub l: u64,
    /// The number of element values `t`.
    pub tc: u64,
}

impl SeqShape {
    pub fn new(l: u64, tc: u64) -> SeqShape {
        SeqShape { l, tc }
    }

    /// The shape of `seq<elem, l>` (an element type without a count, an
    /// error already reported, counts as one value).
    pub fn of(elem: &crate::types::Ty, l: u64) -> SeqShape {
        SeqShape::new(l, elem.card_u64().unwrap_or(1))
    }

    /// Number of values: `sum_{k <= l} tc^k`, or `None` past `max`.
    pub fn card(l: u64, tc: u128, max: u128) -> Option<u128> {
        let (mut total, mut p) = (0u128, 1u128);
        for k in 0..=l {
            total = total.checked_add(p).filter(|t| *t <= max)?;
            if k < l {
                if tc == 0 {
                    break;
                }
                p = p.checked_mul(tc).filter(|p| *p <= max)?;
            }
        }
        Some(total)
    }

    /// Length and body (the index within the length's block) of `v`.
    #[inline]
    pub fn split(self, v: u64) -> (u64, u64) {
        let (mut k, mut body, mut p) = (0u64, v, 1u64);
        // Invariant: body = v - off(k), p = tc^k. Values are < card, so the
        // loop ends by k = l; `p` is only multiplied while a further block
        // exists, so it never overflows.
        while k < self.l && body >= p {
            body -= p;
            p = p.wrapping_mul(self.tc);
            k += 1;
        }
        (k, body)
    }

    #[inline]
    pub fn len(self, v: u64) -> u64 {
        self.split(v).0
    }

    /// `tc^i`.
    #[inline]
    pub fn stride(self, i: u64) -> u64 {
        let mut s = 1u64;
        for _ in 0..i {
            s = s.wrapping_mul(self.tc);
        }
        s
    }

    /// `off(k)`: the index of the first sequence of length `k`.
    #[inline]
    fn offset(self, k: u64) -> u64 {
        let (mut off, mut p) = (0u64, 1u64);
        for _ in 0..k {
            off = off.wrapping_add(p);
            p = p.wrapping_mul(self.tc);
        }
        off
    }

    /// Element `i` (0-based, `i < len`).
    #[inline]
    pub fn elem(self, v: u64, i: u64) -> u64 {
        let body = self.split(v).1;
        (body / self.stride(i)) % self.tc
    }

    /// Append element index `x`; `None` if full.
    #[inline]
    pub fn push(self, v: u64, x: u64) -> Option<u64> {
        let len = self.len(v);
        if len >= self.l {
            return None;
        }
        Some(v + (x + 1).wrapping_mul(self.stride(len)))
    }

    /// The first `n` elements (`n <= len`).
    #[inline]
    pub fn take(self, v: u64, n: u64) -> u64 {
        let (len, body) = self.split(v);
        // `n == len` keeps everything (and tc^len may not fit below 2^64).
        let kept = if n >= len {
            body
        } else {
            body % self.stride(n)
        };
        self.offset(n) + kept
    }

    /// All but the first `n` elements (`n <= len`).
    #[inline]
    pub fn drop(self, v: u64, n: u64) -> u64 {
        let (len, body) = self.split(v);
        let mut rest = body;
        for _ in 0..n {
            rest /= self.tc;
        }
        self.offset(len - n) + rest
    }

    /// All but the first element (`len >= 1`).
    #[inline]
    pub fn tail(self, v: u64) -> u64 {
        self.drop(v, 1)
    }

    /// The index of the sequence of element indices `items`; `None` if
    /// longer than the bound.
    pub fn encode(self, items: &[u64]) -> Option<u64> {
        if items.len() as u64 > self.l {
            return None;
        }
        let body = items
            .iter()
            .rev()
            .fold(0u64, |acc, x| acc.wrapping_mul(self.tc).wrapping_add(*x));
        Some(self.offset(items.len() as u64) + body)
    }

    /// The element indices of `v`, in order.
    pub fn items(self, v: u64) -> impl Iterator<Item = u64> {
        let (len, mut body) = self.split(v);
        let tc = self.tc;
        (0..len).map(move |_| {
            let x = body % tc;
            body /= tc;
            x
        })
    }
}
