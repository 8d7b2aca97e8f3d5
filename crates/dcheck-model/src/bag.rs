//! Bounded collections: `bag<T, C>` (a multiset with at most C members in
//! total) and `set<T, C>` (a set with at most C members), encoded as one
//! dense index by the combinatorial number system.
//!
//! A bitset `set<T>` needs `2^card(T)` values, far beyond 64 bits for
//! message domains such as `(sender, receiver, Msg)`; a collection bounded by
//! its capacity has only `sum_k C(n + k - 1, k)` (bag) or `sum_k C(n, k)`
//! (set) values for `k <= C`, which fits easily. Networks with a bound on
//! in-flight messages are exactly such collections.
//!
//! Ranking: the members, sorted, `e_1 <= ... <= e_k` (element indices in
//! `0..n`) become the strictly increasing `c_i = e_i + (i - 1)` (for sets
//! `c_i = e_i`), ranked within their size class as `sum_i C(c_i, i)` (colex
//! order); size classes follow each other, the empty collection first (0,
//! the default value).

use std::sync::Arc;

/// Largest capacity of a bounded collection (members are unpacked onto the
/// stack).
pub const MAX_CAP: usize = 32;

/// Everything needed to rank and unrank one bounded collection type.
#[derive(Clone, Debug)]
pub struct BagShape {
    /// Number of element values.
    pub n: u64,
    pub cap: usize,
    /// `set<T, C>`: members are distinct.
    pub distinct: bool,
    /// `binom[x * (cap + 1) + i] = C(x, i)` (saturating), `x <= n + cap`.
    binom: Arc<Vec<u64>>,
    /// `offsets[k]`: index of the first collection with k members;
    /// `offsets[cap + 1]` is the number of values.
    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub offsets: Arc<Vec<u64>>,
}

/// Most entries of a shape's binomial table (128 MiB): a bounded
/// collection over more element values than this allows is refused at its
/// type rather than allocated.
pub const MAX_TABLE_ENTRIES: u128 = 1 << 24;

/// Entries of the binomial table of a collection of at most `cap` members
/// over `n` element values.
pub fn table_entries(n: u64, cap: u64) -> u128 {
    (u128::from(n) + u128::from(cap) + 1) * (u128::from(cap) + 1)
}

/// Members of one collection, sorted.
pub type Members = ([u64; MAX_CAP], usize);

impl BagShape {
    /// `None` when the capacity exceeds [`MAX_CAP`] or there are more than
    /// 2^64 - 1 values.
    pub fn new(n: u64, cap: u64, distinct: bool) -> Option<BagShape> {
        // Built once per shape and thread: a spec's compilation asks for
        // the same few shapes at every operation on them.
        thread_local! {
            static SHAPES: std::cell::RefCell<std::collections::HashMap<(u64, u64, bool), Option<BagShape>>> =
                Default::default();
        }
        if let Some(hit) = SHAPES.with(|c| c.borrow().get(&(n, cap, distinct)).cloned()) {
            return hit;
        }
        let shape = BagShape::build(n, cap, distinct);
        SHAPES.with(|c| c.borrow_mut().insert((n, cap, distinct), shape.clone()));
        shape
    }

    // Public, hidden: for the crate's tests in `tests/it/units.rs`.
    #[doc(hidden)]
    pub fn build(n: u64, cap: u64, distinct: bool) -> Option<BagShape> {
        if cap as usize > MAX_CAP
            || BagShape::card(n, cap, distinct).is_none()
            || table_entries(n, cap) > MAX_TABLE_ENTRIES
        {
            return None;
        }
        let cap = cap as usize;
        let rows = (n as usize).checked_add(cap)? + 1;
        let mut binom = vec![0u64; rows * (cap + 1)];
        for x in 0..rows {
            binom[x * (cap + 1)] = 1;
            for i in 1..=cap.min(x) {
                let a = binom[(x - 1) * (cap + 1) + i - 1];
                let b = if i < x {
                    binom[(x - 1) * (cap + 1) + i]
                } else {
                    0
                };
                binom[x * (cap + 1) + i] = a.saturating_add(b);
            }
        }
        let mut shape = BagShape {
            n,
            cap,
            distinct,
            binom: Arc::new(binom),
            offsets: Arc::new(vec![]),
        };
        let mut offsets = Vec::with_capacity(cap + 2);
        let mut total: u64 = 0;
        offsets.push(0);
        for k in 0..=cap {
            let class = shape.class_size(k)?;
            total = total.checked_add(class)?;
            offsets.push(total);
        }
        shape.offsets = Arc::new(offsets);
        Some(shape)
    }

    /// Number of values, as in [`BagShape::new`] (`None` where it is), in
    /// closed form: `sum_{k <= cap} C(n + k - 1, k)` for a bag, `C(n, k)`
    /// for a set. Without the binomial table: types are sized often while
    /// a spec compiles, and the table of a huge element type is itself huge.
    pub fn card(n: u64, cap: u64, distinct: bool) -> Option<u128> {
        if cap as usize > MAX_CAP {
            return None;
        }
        let mut total: u128 = 0;
        for k in 0..=cap {
            // C(m, k) with m = n (set) or n + k - 1 (bag), by the
            // multiplicative formula: after step j it is C(m - k + j, j).
            let m = if distinct {
                u128::from(n)
            } else {
                (u128::from(n) + u128::from(k)).saturating_sub(1)
            };
            let class = if u128::from(k) > m {
                u128::from(k == 0)
            } else {
                let mut c: u128 = 1;
                for j in 1..=u128::from(k) {
                    c = c.checked_mul(m - u128::from(k) + j)? / j;
                }
                c
            };
            total = total
                .checked_add(class)
                .filter(|t| *t <= u128::from(u64::MAX))?;
        }
        Some(total)
    }

    #[inline]
    fn c(&self, x: u64, i: usize) -> u64 {
        if x < i as u64 {
            return 0;
        }
        self.binom
            .get(x as usize * (self.cap + 1) + i)
            .copied()
            .unwrap_or(u64::MAX)
    }

    /// Number of collections with exactly k members (`None` on overflow).
    fn class_size(&self, k: usize) -> Option<u64> {
        if self.n == 0 {
            return Some(u64::from(k == 0));
        }
        let top = if self.distinct {
            self.n
        } else {
            self.n + k as u64 - 1
        };
        let v = self.c(top, k);
        (v != u64::MAX).then_some(v)
    }

    /// Visits the members of the collection with index `v` from the
    /// largest down (repetitions included), each with its position in the
    /// sorted list, until `f` returns false; returns the number of members.
    ///
    /// The one decoder of the combinatorial number system: the hot callers
    /// (membership, insertion, message-driven successors) decode into their
    /// own buffer or stop early instead of copying out a `MAX_CAP` array,
    /// which showed as 5% memmove in Paxos's profile.
    #[inline(always)]
    fn visit_desc(&self, v: u64, mut f: impl FnMut(usize, u64) -> bool) -> usize {
        let k = match self.offsets.iter().rposition(|o| *o <= v) {
            Some(k) => k.min(self.cap),
            None => 0,
        };
        let mut r = v - self.offsets[k];
        let mut hi = if self.distinct {
            self.n
        } else {
            self.n + k as u64
        };
        for i in (1..=k).rev() {
            // Largest c < hi with C(c, i) <= r (C is increasing in c for c >= i - 1).
            let (mut lo_c, mut hi_c) = (i as u64 - 1, hi.saturating_sub(1));
            while lo_c < hi_c {
                let mid = (lo_c + hi_c).div_ceil(2);
                if self.c(mid, i) <= r {
                    lo_c = mid;
                } else {
                    hi_c = mid - 1;
                }
            }
            r -= self.c(lo_c, i);
            let e = if self.distinct {
                lo_c
            } else {
                lo_c - (i as u64 - 1)
            };
            if !f(i - 1, e) {
                break;
            }
            hi = lo_c;
        }
        k
    }

    /// Writes the sorted members of the collection with index `v` to
    /// `out[..n]` and returns `n`.
    #[inline]
    pub fn unrank_into(&self, v: u64, out: &mut [u64; MAX_CAP]) -> usize {
        self.visit_desc(v, |i, e| {
            out[i] = e;
            true
        })
    }

    /// The sorted members of the collection with index `v`.
    #[inline]
    pub fn unrank(&self, v: u64) -> Members {
        let mut out = [0u64; MAX_CAP];
        let k = self.unrank_into(v, &mut out);
        (out, k)
    }

    /// The index of the collection with these sorted members.
    #[inline]
    pub fn rank(&self, members: &[u64]) -> u64 {
        let k = members.len();
        let mut r = self.offsets[k];
        for (i, e) in members.iter().enumerate() {
            let c = if self.distinct { *e } else { e + i as u64 };
            r += self.c(c, i + 1);
        }
        r
    }

    /// Number of members (with repetitions).
    #[inline]
    pub fn len(&self, v: u64) -> u64 {
        self.offsets
            .iter()
            .rposition(|o| *o <= v)
            .unwrap_or(0)
            .min(self.cap) as u64
    }

    /// How many times element `x` is a member.
    #[inline]
    pub fn count(&self, v: u64, x: u64) -> u64 {
        let mut n = 0;
        // Members come largest first: stop below `x`.
        self.visit_desc(v, |_, e| {
            n += u64::from(e == x);
            e >= x
        });
        n
    }

    /// `v` with one more `x`; for sets, unchanged if `x` is a member.
    /// `None` when the collection is full.
    #[inline]
    pub fn insert(&self, v: u64, x: u64) -> Option<u64> {
        let mut m = [0u64; MAX_CAP];
        let k = self.unrank_into(v, &mut m);
        let at = m[..k].partition_point(|e| *e < x);
        if self.distinct && at < k && m[at] == x {
            return Some(v);
        }
        if k == self.cap {
            return None;
        }
        m.copy_within(at..k, at + 1);
        m[at] = x;
        Some(self.rank(&m[..k + 1]))
    }

    /// `v` with one `x` fewer; `None` when `x` is not a member.
    #[inline]
    pub fn remove(&self, v: u64, x: u64) -> Option<u64> {
        let mut m = [0u64; MAX_CAP];
        let k = self.unrank_into(v, &mut m);
        let at = m[..k].partition_point(|e| *e < x);
        if at == k || m[at] != x {
            return None;
        }
        m.copy_within(at + 1..k, at);
        Some(self.rank(&m[..k - 1]))
    }
}
