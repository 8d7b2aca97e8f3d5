//! The BFS's set of stored fingerprints: sorted arrays of six-byte
//! entries (once it holds a million), about 6.5 bytes a state in all.
//!
//! During a level the BFS only reads this set (new states go to the
//! level's own table, [`crate::fingerprint_table::KeyedFingerprintTable`]);
//! at the end of the level it adds them all at once. So it need not be a
//! hash table with empty slots (8 bytes a fingerprint at a load of 3/8 to
//! 3/4, and twice that while it grows): it is the fingerprints sorted, in
//! one shard per thread ([`Seen`]) by their top bits. A shard is split
//! into `2^q` buckets by the next `q` bits, with one `u32` start per
//! bucket (8 to 16 entries a bucket). The shard's and bucket's bits of a
//! fingerprint follow from where its entry is, so an entry keeps only the
//! bits below them, in whole bytes: with one shard, 8 bytes while `q < 8`,
//! 7 while `q < 16`, then 6 (`q` grows with the set, and the entries are
//! narrowed in place when a byte falls free; a shard bit counts as a
//! bucket bit). A lookup reads the bucket's start (an index of at most
//! half a byte a state, which mostly stays in the caches), then scans
//! about 8 entries (one or two cache lines).
//!
//! Adding a level's fingerprints (sorted) is a merge in place from the
//! top, a shard a task: each array grows at its end
//! ([`HugeSlice::resize`]: `mremap`, which moves pages rather than bytes)
//! and old entries move up past the new ones, so the peak is the array
//! after the level, never two copies of it.
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

/// The most bits of a fingerprint that choose its shard.
const MAX_SHARD_BITS: u32 = 4;
const MAX_SHARDS: usize = 1 << MAX_SHARD_BITS;

/// A sorted set of non-zero fingerprints (see the module docs), in
/// shards by their top bits, at least as many as threads (up to
/// [`MAX_SHARDS`]), so that adding a level runs on every thread, a shard
/// a task (with one array it was one thread's merge and page faults, a
/// tenth of TwoPhase's time at two threads).
///
/// No more shards than that: each shard's array ends in a partly used
/// huge page, resident in full once touched (see [`crate::huge_alloc`]):
/// sixteen shards at two threads put 28 MB on TwoPhase N=9's peak.
///
/// A shard keys a fingerprint by its low bits (the shard gives the rest):
/// buckets come from the bits below the shard's, and an entry keeps no bit
/// that its shard or bucket gives. The shards change neither the set's
/// contents nor its order, only where entries are.
pub(crate) struct Seen {
    /// The first `1 << shard_bits` are in use.
    shards: [Shard; MAX_SHARDS],
    shard_bits: u32,
}

impl Seen {
    /// An empty set, for a search on `threads` threads; with `with_ids`,
    /// every entry carries a state id.
    pub fn new(with_ids: bool, threads: usize) -> Seen {
        let shard_bits = threads
            .max(1)
            .next_power_of_two()
            .trailing_zeros()
            .min(MAX_SHARD_BITS);
        Seen {
            shards: std::array::from_fn(|_| Shard::new(with_ids, 64 - shard_bits)),
            shard_bits,
        }
    }

    /// The shards in use.
    fn used(&self) -> &[Shard] {
        &self.shards[..1 << self.shard_bits]
    }

    /// The shard of `fp` and its key there.
    #[inline(always)]
    fn shard_key(&self, fp: u64) -> (usize, u64) {
        // Shifted in two steps, as `64 - shard_bits` may be 64; masked so
        // that indexing needs no bounds check.
        let s = ((fp >> 1) >> (63 - self.shard_bits)) as usize & (MAX_SHARDS - 1);
        (s, fp & key_mask(64 - self.shard_bits))
    }

    pub fn len(&self) -> usize {
        self.used().iter().map(Shard::len).sum()
    }

    pub fn keeps_ids(&self) -> bool {
        self.shards[0].with_ids
    }

    /// Bytes allocated.
    pub fn bytes(&self) -> u64 {
        self.used().iter().map(Shard::bytes).sum()
    }

    /// Bytes allocated once `n` more entries are added (spread evenly
    /// over the shards, as fingerprints are).
    pub fn bytes_after(&self, n: usize) -> u64 {
        let each = n.div_ceil(self.used().len());
        self.used().iter().map(|s| s.bytes_after(each)).sum()
    }

    /// Starts fetching the bucket start a lookup of `fp` reads first.
    #[inline(always)]
    pub fn prefetch(&self, fp: u64) {
        let (s, key) = self.shard_key(fp);
        self.shards[s].prefetch(key);
    }

    /// Starts fetching the entries a lookup of `fp` scans (reads the
    /// bucket start: call [`Seen::prefetch`] well before).
    #[inline(always)]
    pub fn prefetch_entries(&self, fp: u64) {
        let (s, key) = self.shard_key(fp);
        self.shards[s].prefetch_entries(key);
    }

    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        let (s, key) = self.shard_key(fp);
        self.shards[s].find(key).is_some()
    }

    /// The id of `fp`'s state, if it is in the set (and ids are kept).
    /// Inlined into the recording's edge loop (`Recording::resolve`), whose
    /// prefetches it follows.
    #[inline]
    pub fn id_of(&self, fp: u64) -> Option<u32> {
        let (s, key) = self.shard_key(fp);
        self.shards[s].id_of(key)
    }

    /// Every fingerprint and its id (0 without ids), in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.used().iter().enumerate().flat_map(|(s, shard)| {
            let top = ((s as u128) << (64 - self.shard_bits)) as u64;
            shard.iter().map(move |(key, id)| (top | key, id))
        })
    }

    /// Adds fingerprints not in the set yet, sorted ascending and without
    /// duplicates, with their ids (`ids` empty when the set keeps none).
    /// The shards are merged in parallel, on the current rayon pool.
    pub fn add_sorted(&mut self, new: &[u64], ids: &[u32]) {
        use rayon::prelude::*;
        debug_assert!(new.windows(2).all(|w| w[0] < w[1]));
        let with_ids = self.keeps_ids();
        debug_assert_eq!(ids.len(), if with_ids { new.len() } else { 0 });
        let shards = 1 << self.shard_bits;
        // Shard `s`'s fingerprints are `new[cut[s]..cut[s + 1]]`.
        let mut cut = [new.len(); MAX_SHARDS + 1];
        cut[0] = 0;
        for (s, c) in cut.iter_mut().enumerate().take(shards).skip(1) {
            *c = new.partition_point(|&fp| self.shard_key(fp).0 < s);
        }
        self.shards[..shards]
            .par_iter_mut()
            .enumerate()
            .for_each(|(s, shard)| {
                let part = &new[cut[s]..cut[s + 1]];
                if part.is_empty() {
                    return;
                }
                let ids = if with_ids {
                    &ids[cut[s]..cut[s + 1]]
                } else {
                    &[][..]
                };
                shard.add_sorted(part, ids);
            });
    }
}

/// One shard of [`Seen`]: the keys of the fingerprints of one value of
/// their top bits, as a sorted set (see the module docs).
struct Shard {
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
    /// Bytes an entry keeps of its key: the key's bits below `bits`,
    /// rounded up to whole bytes.
    width: usize,
    /// The entry's bits of a key: the low `8 * width`.
    low_mask: u64,
    /// Bytes an entry: `width`, and 4 more for the id with ids.
    stride: usize,
    with_ids: bool,
    /// Bits of a key: the fingerprint's bits below the shard's.
    key_bits: u32,
}

impl Shard {
    /// An empty set of `key_bits`-bit keys; with `with_ids`, every entry
    /// carries a state id.
    fn new(with_ids: bool, key_bits: u32) -> Shard {
        let width = width_for(MIN_BITS, key_bits);
        Shard {
            data: HugeSlice::zeroed(8),
            len: 0,
            starts: HugeSlice::zeroed((1 << MIN_BITS) + 1),
            bits: MIN_BITS,
            width,
            low_mask: low_mask(width),
            stride: width + id_bytes(with_ids),
            with_ids,
            key_bits,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Bytes allocated.
    fn bytes(&self) -> u64 {
        (self.data.len() + self.starts.len() * 4) as u64
    }

    /// Bytes allocated once `n` more entries are added.
    fn bytes_after(&self, n: usize) -> u64 {
        let len = self.len + n;
        let bits = bits_for(len, self.bits);
        let stride = width_for(bits, self.key_bits) + id_bytes(self.with_ids);
        (len * stride + 8 + ((1usize << bits) + 1) * 4) as u64
    }

    #[inline(always)]
    fn bucket(&self, key: u64) -> usize {
        (key >> (self.key_bits - self.bits)) as usize
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

    /// Starts fetching the bucket start a lookup of `key` reads first.
    #[inline(always)]
    fn prefetch(&self, key: u64) {
        prefetch(&self.starts[self.bucket(key)]);
    }

    /// Starts fetching the entries a lookup of `key` scans (reads the
    /// bucket start: call [`Seen::prefetch`] well before).
    #[inline(always)]
    fn prefetch_entries(&self, key: u64) {
        let at = self.starts[self.bucket(key)] as usize * self.stride;
        prefetch(self.data.as_ptr().wrapping_add(at));
    }

    /// The index of `key`'s entry, if it is in the set.
    #[inline]
    fn find(&self, key: u64) -> Option<usize> {
        let (i, hi) = self.scan(key, self.len);
        (i < hi && self.low(i) == key & self.low_mask).then_some(i)
    }

    /// The id of `key`'s state, if it is in the set (and ids are kept).
    #[inline]
    fn id_of(&self, key: u64) -> Option<u32> {
        self.find(key).filter(|_| self.with_ids).map(|i| self.id(i))
    }

    /// Every key and its id (0 without ids), in ascending order.
    fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        (0..self.starts.len() - 1).flat_map(move |b| {
            let top = self.top(b);
            (self.starts[b] as usize..self.starts[b + 1] as usize).map(move |i| {
                let id = if self.with_ids { self.id(i) } else { 0 };
                (top | self.low(i), id)
            })
        })
    }

    /// The bits of bucket `b`'s keys that its entries leave out.
    fn top(&self, b: usize) -> u64 {
        let dropped = self.key_bits.saturating_sub(8 * self.width as u32);
        if dropped == 0 {
            0
        } else {
            ((b >> (self.bits - dropped)) as u64) << (self.key_bits - dropped)
        }
    }

    /// Adds this shard's fingerprints not in it yet (keyed here, not to
    /// hold a keyed copy of a level), sorted ascending and without
    /// duplicates, with their ids (`ids` empty when the set keeps none).
    fn add_sorted(&mut self, new: &[u64], ids: &[u32]) {
        let mask = key_mask(self.key_bits);
        let key_of = |j: usize| new[j] & mask;
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
            let key = key_of(j);
            let at = self.lower_bound(key, end);
            let shift = j + 1;
            if at < end {
                self.data.copy_within(at * st..end * st, (at + shift) * st);
            }
            let dst = (at + j) * st;
            self.data[dst..dst + w].copy_from_slice(&(key & self.low_mask).to_le_bytes()[..w]);
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
            while j < k && self.bucket(key_of(j)) < b {
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

    /// The first index below `end` whose key is not below `key`,
    /// among entries `0..end` (the ones at `end..` have moved already:
    /// their buckets' starts still count the old positions, which is why
    /// the scan is cut at `end`).
    fn lower_bound(&self, key: u64, end: usize) -> usize {
        self.scan(key, end).0
    }

    /// The one bucket scan of lookups and merges: within `key`'s bucket
    /// (cut at `end`), the first index whose key is not below
    /// `key`, and the bucket's end (an index there belongs to the next
    /// bucket, whose low bytes may match).
    #[inline]
    fn scan(&self, key: u64, end: usize) -> (usize, usize) {
        let b = self.bucket(key);
        let lo = (self.starts[b] as usize).min(end);
        let hi = (self.starts[b + 1] as usize).min(end);
        let want = key & self.low_mask;
        ((lo..hi).find(|&i| self.low(i) >= want).unwrap_or(hi), hi)
    }

    /// Splits the buckets to `bits` bits, narrowing the entries if the
    /// bucket now gives more whole bytes of each fingerprint.
    fn rebucket(&mut self, bits: u32) {
        let (old_w, new_w) = (self.width, width_for(bits, self.key_bits));
        let new_mask = low_mask(new_w);
        let new_st = new_w + id_bytes(self.with_ids);
        let mut starts = HugeSlice::<u32>::zeroed((1usize << bits) + 1);
        for b in 0..self.starts.len() - 1 {
            let top = self.top(b);
            for i in self.starts[b] as usize..self.starts[b + 1] as usize {
                let key = top | self.low(i);
                starts[(key >> (self.key_bits - bits)) as usize + 1] += 1;
                if new_w != old_w {
                    // In place, front to back: entry i moves down to
                    // i * new_st, below every entry not yet read (its
                    // own bytes are read first).
                    let id = if self.with_ids { self.id(i) } else { 0 };
                    let at = i * new_st;
                    let bytes = (key & new_mask).to_le_bytes();
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

/// The bits of a fingerprint that make its `key_bits`-bit key in its shard.
#[inline(always)]
fn key_mask(key_bits: u32) -> u64 {
    u64::MAX >> (64 - key_bits)
}

/// Bytes an entry keeps of a `key_bits`-bit key with `bits` bucket bits.
fn width_for(bits: u32, key_bits: u32) -> usize {
    (key_bits.saturating_sub(bits) as usize).div_ceil(8)
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
        // One shard, sixteen, and four for three threads.
        for (with_ids, threads) in [(false, 1), (true, 1), (false, 16), (true, 3)] {
            let mut seen = Seen::new(with_ids, threads);
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
                // Fingerprints that share their top bits, the extremes,
                // and the least of shards (a key of 0).
                if level == 2 {
                    new.extend([u64::MAX, 1, 0xffff_0000_0000_0001, 0x0000_ffff_ffff_ffff]);
                    new.extend([0x1000_0000_0000_0000, 0xf000_0000_0000_0000]);
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
                assert!(listed == expected, "level {level}, {threads} threads");
                for &fp in fps(level as u64 * 7919 + 1, size).iter().take(2000) {
                    assert!(seen.contains(fp));
                }
                for &fp in &fps(99_999 + level as u64, 2000) {
                    assert_eq!(seen.contains(fp), model.contains_key(&fp));
                    assert_eq!(seen.id_of(fp), model.get(&fp).copied().filter(|_| with_ids));
                }
            }
            assert_eq!(seen.used().len(), threads.next_power_of_two());
            assert!(
                seen.used().iter().all(|s| s.bits > MIN_BITS),
                "the buckets were split"
            );
        }
    }

    #[test]
    fn entries_narrow_to_six_bytes_as_the_set_grows() {
        let mut all = fps(5, 1_200_000);
        all.sort_unstable();
        all.dedup();
        // (threads, bytes an entry when empty): 64 key bits, 4 of them the
        // bucket's, leave 60 bits, 8 bytes; 60 key bits (16 shards) leave
        // 56, 7 bytes.
        for (threads, empty) in [(1, 8), (16, 7)] {
            let mut seen = Seen::new(false, threads);
            let widths = |seen: &Seen| seen.used().iter().map(|s| s.width).collect::<Vec<_>>();
            assert_eq!(widths(&seen), vec![empty; threads]);
            for part in all.chunks(100_000) {
                seen.add_sorted(part, &[]);
            }
            // One shard of 1.2 M: 17 bucket bits (2^17 buckets of about 9
            // entries), 47 bits in entries; sixteen of about 75,000: 13
            // bucket bits, 47 bits. Either way 6 bytes.
            assert_eq!(widths(&seen), vec![6; threads]);
            assert!(seen.iter().map(|p| p.0).eq(all.iter().copied()));
            assert!(seen.bytes() < 7 * all.len() as u64);
        }
    }

    #[test]
    fn fingerprints_that_differ_only_above_bit_48_are_told_apart() {
        // In a bucket's bits, then in a shard's.
        for (a, b) in [
            (0x0001_0000_0000_0005u64, 0x0002_0000_0000_0005u64),
            (0x1000_0000_0000_0005u64, 0x2000_0000_0000_0005u64),
        ] {
            for threads in [1, 16] {
                let mut seen = Seen::new(false, threads);
                seen.add_sorted(&[a], &[]);
                assert!(seen.contains(a));
                assert!(!seen.contains(b));
                seen.add_sorted(&[b], &[]);
                assert!(seen.contains(a) && seen.contains(b));
            }
        }
    }
}
