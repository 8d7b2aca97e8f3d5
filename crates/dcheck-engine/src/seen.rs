//! The BFS's set of stored fingerprints: a sorted array of six-byte
//! entries (once it holds a million), about 6.5 bytes a state in all.
//!
//! During a level the BFS only reads this set (new states go to the
//! level's own table, [`crate::fingerprint_table::KeyedFingerprintTable`]);
//! at the end of the level it adds them all at once. So it need not be a
//! hash table with empty slots (8 bytes a fingerprint at a load of 3/8 to
//! 3/4, and twice that while it grows): it is the fingerprints sorted,
//! split into `2^q` buckets by their top `q` bits, with one `u32` start per
//! bucket (8 to 16 entries a bucket). The top `q` bits of a fingerprint
//! follow from its bucket, so an entry keeps only the bytes below the top
//! whole bytes of `q`: 8 bytes while `q < 8`, 7 while `q < 16`, then 6
//! (`q` grows with the set, and the entries are narrowed in place when it
//! passes 8 and 16). A lookup reads the bucket's start (an index of at most
//! half a byte a state, which mostly stays in the caches), then scans about
//! 8 entries (one or two cache lines).
//!
//! Adding a level's fingerprints (sorted) is a merge in place from the
//! top: the array grows at its end ([`HugeSlice::resize`]: `mremap`,
//! which moves pages rather than bytes) and old entries move up past the
//! new ones, so the peak is the array after the level, never two copies
//! of it.
//! This is the measured memory target of the engine (issue: at most 16
//! bytes a state for TwoPhase N=9, tables, links and frontier included),
//! hence the hand-built layout.
//!
//! With ids (a BFS that records the state graph), each entry also holds
//! its state id, right after its fingerprint bytes, so the lookup that
//! finds an entry has its id in the same cache line (a separate array was
//! a third cache miss per edge of the recorded graph).

use crate::fingerprint_table::prefetch;
use crate::huge_alloc::HugeSlice;

/// The fewest bucket bits.
const MIN_BITS: u32 = 4;
/// Buckets are split when they hold this many entries on average.
const SPLIT: usize = 16;

/// A sorted set of non-zero fingerprints (see the module docs).
pub(crate) struct Seen {
    /// `len` entries of `stride` bytes, then 8 bytes of padding so that
    /// every entry's fingerprint bytes can be read as a little-endian
    /// `u64`.
    /// Huge-page backed once large (like the hash tables: a lookup at a
    /// random place would otherwise also miss the TLB).
    data: HugeSlice<u8>,
    len: usize,
    /// Bucket `b` is entries `starts[b]..starts[b + 1]`.
    starts: HugeSlice<u32>,
    bits: u32,
    /// Bytes an entry keeps of its fingerprint: 8 minus the whole bytes
    /// of `bits`, at least 6.
    width: usize,
    /// The entry's bits of a fingerprint: the low `8 * width`.
    low_mask: u64,
    /// Bytes an entry: `width`, and 4 more for the id with ids.
    stride: usize,
    with_ids: bool,
}

impl Seen {
    /// An empty set; with `with_ids`, every entry carries a state id.
    pub fn new(with_ids: bool) -> Seen {
        Seen {
            data: HugeSlice::zeroed(8),
            len: 0,
            starts: HugeSlice::zeroed((1 << MIN_BITS) + 1),
            bits: MIN_BITS,
            width: width_for(MIN_BITS),
            low_mask: low_mask(width_for(MIN_BITS)),
            stride: width_for(MIN_BITS) + id_bytes(with_ids),
            with_ids,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn keeps_ids(&self) -> bool {
        self.with_ids
    }

    /// Bytes allocated.
    pub fn bytes(&self) -> u64 {
        (self.data.len() + self.starts.len() * 4) as u64
    }

    /// Bytes allocated once `n` more entries are added.
    pub fn bytes_after(&self, n: usize) -> u64 {
        let len = self.len + n;
        let bits = bits_for(len, self.bits);
        let stride = width_for(bits) + id_bytes(self.with_ids);
        (len * stride + 8 + ((1usize << bits) + 1) * 4) as u64
    }

    #[inline(always)]
    fn bucket(&self, fp: u64) -> usize {
        (fp >> (64 - self.bits)) as usize
    }

    #[inline(always)]
    fn low(&self, i: usize) -> u64 {
        let at = i * self.stride;
        let b: [u8; 8] = self.data[at..at + 8].try_into().expect("eight bytes");
        u64::from_le_bytes(b) & self.low_mask
    }

    /// The id of entry `i` (with ids).
    #[inline(always)]
    fn id(&self, i: usize) -> u32 {
        let at = i * self.stride + self.width;
        u32::from_le_bytes(self.data[at..at + 4].try_into().expect("four bytes"))
    }

    /// Starts fetching the bucket start a lookup of `fp` reads first.
    #[inline(always)]
    pub fn prefetch(&self, fp: u64) {
        prefetch(&self.starts[self.bucket(fp)]);
    }

    /// Starts fetching the entries a lookup of `fp` scans (reads the
    /// bucket start: call [`Seen::prefetch`] well before).
    #[inline(always)]
    pub fn prefetch_entries(&self, fp: u64) {
        let at = self.starts[self.bucket(fp)] as usize * self.stride;
        prefetch(self.data.as_ptr().wrapping_add(at));
    }

    /// The index of `fp`'s entry, if it is in the set.
    #[inline]
    pub fn find(&self, fp: u64) -> Option<usize> {
        let (i, hi) = self.scan(fp, self.len);
        (i < hi && self.low(i) == fp & self.low_mask).then_some(i)
    }

    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        self.find(fp).is_some()
    }

    /// The id of `fp`'s state, if it is in the set (and ids are kept).
    pub fn id_of(&self, fp: u64) -> Option<u32> {
        self.find(fp).filter(|_| self.with_ids).map(|i| self.id(i))
    }

    /// Every fingerprint and its id (0 without ids), in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        (0..self.starts.len() - 1).flat_map(move |b| {
            let top = self.top(b);
            (self.starts[b] as usize..self.starts[b + 1] as usize).map(move |i| {
                let id = if self.with_ids { self.id(i) } else { 0 };
                (top | self.low(i), id)
            })
        })
    }

    /// The bits of bucket `b`'s fingerprints that its entries leave out.
    fn top(&self, b: usize) -> u64 {
        let dropped = 64 - 8 * self.width as u32;
        if dropped == 0 {
            0
        } else {
            ((b >> (self.bits - dropped)) as u64) << (64 - dropped)
        }
    }

    /// Adds fingerprints not in the set yet, sorted ascending and without
    /// duplicates, with their ids (`ids` empty when the set keeps none).
    pub fn add_sorted(&mut self, new: &[u64], ids: &[u32]) {
        debug_assert!(new.windows(2).all(|w| w[0] < w[1]));
        debug_assert_eq!(ids.len(), if self.with_ids { new.len() } else { 0 });
        let k = new.len();
        if k == 0 {
            return;
        }
        let n = self.len;
        let (w, st) = (self.width, self.stride);
        self.data.resize((n + k) * st + 8);
        // From the top: each new entry goes above the old entries larger
        // than it, which move up by the number of new entries below them.
        let mut end = n; // old entries not yet moved: 0..end
        for j in (0..k).rev() {
            let fp = new[j];
            let at = self.lower_bound(fp, end);
            let shift = j + 1;
            if at < end {
                self.data.copy_within(at * st..end * st, (at + shift) * st);
            }
            let dst = (at + j) * st;
            self.data[dst..dst + w].copy_from_slice(&(fp & self.low_mask).to_le_bytes()[..w]);
            if self.with_ids {
                self.data[dst + w..dst + w + 4].copy_from_slice(&ids[j].to_le_bytes());
            }
            end = at;
        }
        self.len = n + k;
        // Bucket starts: each moves up by the new entries below it.
        let mut below = 0;
        let mut j = 0;
        for b in 0..self.starts.len() {
            while j < k && self.bucket(new[j]) < b {
                j += 1;
                below += 1;
            }
            self.starts[b] += below as u32;
        }
        let bits = bits_for(self.len, self.bits);
        if bits != self.bits {
            self.rebucket(bits);
        }
    }

    /// The first index below `end` whose fingerprint is not below `fp`,
    /// among entries `0..end` (the ones at `end..` have moved already:
    /// their buckets' starts still count the old positions, which is why
    /// the scan is cut at `end`).
    fn lower_bound(&self, fp: u64, end: usize) -> usize {
        self.scan(fp, end).0
    }

    /// The one bucket scan of lookups and merges: within `fp`'s bucket
    /// (cut at `end`), the first index whose fingerprint is not below
    /// `fp`, and the bucket's end (an index there belongs to the next
    /// bucket, whose low bytes may match).
    #[inline]
    fn scan(&self, fp: u64, end: usize) -> (usize, usize) {
        let b = self.bucket(fp);
        let lo = (self.starts[b] as usize).min(end);
        let hi = (self.starts[b + 1] as usize).min(end);
        let want = fp & self.low_mask;
        ((lo..hi).find(|&i| self.low(i) >= want).unwrap_or(hi), hi)
    }

    /// Splits the buckets to `bits` bits, narrowing the entries if the
    /// bucket now gives more whole bytes of each fingerprint.
    fn rebucket(&mut self, bits: u32) {
        let (old_w, new_w) = (self.width, width_for(bits));
        let new_mask = low_mask(new_w);
        let new_st = new_w + id_bytes(self.with_ids);
        let mut starts = HugeSlice::<u32>::zeroed((1usize << bits) + 1);
        for b in 0..self.starts.len() - 1 {
            let top = self.top(b);
            for i in self.starts[b] as usize..self.starts[b + 1] as usize {
                let fp = top | self.low(i);
                starts[(fp >> (64 - bits)) as usize + 1] += 1;
                if new_w != old_w {
                    // In place, front to back: entry i moves down to
                    // i * new_st, below every entry not yet read (its
                    // own bytes are read first).
                    let id = if self.with_ids { self.id(i) } else { 0 };
                    let at = i * new_st;
                    let bytes = (fp & new_mask).to_le_bytes();
                    self.data[at..at + new_w].copy_from_slice(&bytes[..new_w]);
                    if self.with_ids {
                        self.data[at + new_w..at + new_st].copy_from_slice(&id.to_le_bytes());
                    }
                }
            }
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        if new_w != old_w {
            let end = self.len * new_st;
            self.data[end..].fill(0);
            self.data.resize(end + 8);
        }
        self.starts = starts;
        self.bits = bits;
        self.width = new_w;
        self.low_mask = new_mask;
        self.stride = new_st;
    }
}

/// Bytes an entry gives its id.
fn id_bytes(with_ids: bool) -> usize {
    if with_ids {
        4
    } else {
        0
    }
}

/// Bytes an entry keeps of its fingerprint with `bits` bucket bits.
fn width_for(bits: u32) -> usize {
    8 - (bits as usize / 8).min(2)
}

fn low_mask(width: usize) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1 << (8 * width)) - 1
    }
}

/// Bucket bits for `len` entries: at least `current`, raised until the
/// average bucket holds fewer than `SPLIT` entries.
fn bits_for(len: usize, current: u32) -> u32 {
    let mut bits = current;
    while len >> bits >= SPLIT {
        bits += 1;
    }
    bits
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// `n` pseudo-random non-zero fingerprints from `seed` (an LCG with
    /// the high bits folded in); also the disk store's tests' input.
    pub(crate) fn fps(seed: u64, n: usize) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x ^ (x >> 29)) | 1
            })
            .collect()
    }

    /// Against a `BTreeMap` (no shared code): levels of random sizes,
    /// lookups of present and absent fingerprints, ids and order.
    #[test]
    fn agrees_with_a_btree_map_across_levels_and_bucket_splits() {
        for with_ids in [false, true] {
            let mut seen = Seen::new(with_ids);
            let mut model: BTreeMap<u64, u32> = BTreeMap::new();
            let mut next_id = 0u32;
            for (level, size) in [1usize, 7, 300, 5000, 70_000, 3, 250_000, 0, 40_000, 900_000]
                .into_iter()
                .enumerate()
            {
                let mut new: Vec<u64> = fps(level as u64 * 7919 + 1, size)
                    .into_iter()
                    .filter(|fp| !model.contains_key(fp))
                    .collect();
                // Fingerprints that share their top bits, and the extremes.
                if level == 2 {
                    new.extend([u64::MAX, 1, 0xffff_0000_0000_0001, 0x0000_ffff_ffff_ffff]);
                }
                new.sort_unstable();
                new.dedup();
                let ids: Vec<u32> = (0..new.len() as u32).map(|i| next_id + i).collect();
                for (&fp, &id) in new.iter().zip(&ids) {
                    model.insert(fp, id);
                }
                next_id += new.len() as u32;
                seen.add_sorted(&new, if with_ids { &ids } else { &[] });
                assert_eq!(seen.len(), model.len());
                let listed: Vec<(u64, u32)> = seen.iter().collect();
                let expected: Vec<(u64, u32)> = model
                    .iter()
                    .map(|(&fp, &id)| (fp, if with_ids { id } else { 0 }))
                    .collect();
                assert!(listed == expected, "level {level}");
                for &fp in fps(level as u64 * 7919 + 1, size).iter().take(2000) {
                    assert!(seen.contains(fp));
                }
                for &fp in &fps(99_999 + level as u64, 2000) {
                    assert_eq!(seen.contains(fp), model.contains_key(&fp));
                    assert_eq!(seen.id_of(fp), model.get(&fp).copied().filter(|_| with_ids));
                }
            }
            assert!(seen.bits > MIN_BITS, "the buckets were split");
        }
    }

    #[test]
    fn entries_narrow_to_six_bytes_as_the_set_grows() {
        let mut seen = Seen::new(false);
        assert_eq!(seen.width, 8);
        let mut all = fps(5, 1_200_000);
        all.sort_unstable();
        all.dedup();
        for part in all.chunks(100_000) {
            seen.add_sorted(part, &[]);
        }
        assert_eq!(seen.width, 6);
        assert!(seen.iter().map(|p| p.0).eq(all.iter().copied()));
        assert!(seen.bytes() < 7 * all.len() as u64);
    }

    #[test]
    fn fingerprints_that_differ_only_above_bit_48_are_told_apart() {
        let mut seen = Seen::new(false);
        let a = 0x0001_0000_0000_0005u64;
        let b = 0x0002_0000_0000_0005u64;
        seen.add_sorted(&[a], &[]);
        assert!(seen.contains(a));
        assert!(!seen.contains(b));
        seen.add_sorted(&[b], &[]);
        assert!(seen.contains(a) && seen.contains(b));
    }
}
