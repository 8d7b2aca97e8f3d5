//! Lock-free open-addressing sets of 64-bit fingerprints.
//!
//! Deduplication is the measured hot path of the explorer (one probe per
//! generated successor), so instead of a general concurrent map we use a
//! hand-built table: a power-of-two array of `AtomicU64`, linear probing,
//! insertion by compare-and-swap on an empty slot, 0 reserved as "empty"
//! (fingerprints are never 0, see [`crate::fingerprint`]). There is no
//! deletion during a search and no resizing while other threads insert:
//! [`FingerprintTable::grow`] takes `&mut self`, so the explorers grow the
//! table only between synchronisation points, before a batch whose worst case
//! could push the load above [`MAX_LOAD_NUM`]/[`MAX_LOAD_DEN`]. The
//! `benches/fingerprint_table.rs` criterion bench compares it with
//! `dashmap::DashSet<u64>`.
//!
//! [`KeyedFingerprintTable`] adds one `AtomicU64` key per slot, lowered with
//! `fetch_min` on every hit (stored complemented, so it is a `fetch_max` of
//! `!key`, and an all-zero slot is empty with no key): the BFS uses it for
//! the states discovered during one level, the key being (frontier position
//! of the parent, transition), so that the parent a state records does not
//! depend on thread timing. The key
//! sits beside its fingerprint in one 16-byte, 16-aligned slot, so a probe
//! that hits touches one cache line, not two; and the RMW (a
//! compare-and-swap loop on x86) is skipped when a plain load already shows a
//! key no larger, which is the common case (keys only decrease).
//!
//! Because the tables are far larger than the caches, nearly every probe of a
//! successor's fingerprint is a cache miss. Both tables offer
//! [`FingerprintTable::prefetch`] / [`KeyedFingerprintTable::prefetch`], which
//! issue a software prefetch of the home slot; the explorers call them as soon
//! as a successor's fingerprint is known and probe later (see
//! [`crate::bfs`]), so that the misses overlap with the model's work and with
//! each other.
//!
//! Memory orders: the only data a slot publishes is its own fingerprint (and,
//! in the keyed table, the key, which is read only after the batch that wrote
//! it has been joined), so plain reads are `Relaxed`; the explorers'
//! synchronisation points (rayon joins, the DFS table lock) order everything
//! else.
//!
//! The slot arrays are [`HugeSlice`]s: zeroed, and on Linux backed by
//! transparent huge pages once they reach 2 MB, which cuts the TLB misses of
//! the random probes (see [`crate::huge_alloc`]).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::huge_alloc::{HugeSlice, Zeroable};

/// Hints the CPU to fetch the cache line holding `p` (no effect on
/// correctness; a no-op on targets without a stable prefetch intrinsic).
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and has no
    // architectural effect, whatever the address; SSE is baseline on x86_64.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Home slot of `fp` in a table with this mask. The fingerprint is already a
/// good hash; take its high bits, which are independent of the low bits other
/// tables might use.
#[inline(always)]
fn home(fp: u64, mask: usize) -> usize {
    (fp.rotate_left(32) as usize) & mask
}

/// Maximum load factor the explorers allow (3/4).
pub const MAX_LOAD_NUM: usize = 3;
/// See [`MAX_LOAD_NUM`].
pub const MAX_LOAD_DEN: usize = 4;

/// The largest number of entries a table of `capacity` slots may hold.
pub fn max_entries(capacity: usize) -> usize {
    capacity / MAX_LOAD_DEN * MAX_LOAD_NUM
}

/// The smallest power-of-two capacity that holds `entries` within the load
/// limit (at least `min`).
pub fn capacity_for(entries: usize, min: usize) -> usize {
    let mut cap = min.next_power_of_two().max(16);
    while max_entries(cap) < entries {
        cap *= 2;
    }
    cap
}

/// Result of an insertion: the slot, and whether the fingerprint was new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inserted {
    pub slot: usize,
    pub new: bool,
}

/// A concurrent set of non-zero `u64` fingerprints (the DFS's; the BFS
/// keeps its stored fingerprints sorted, [`crate::seen`]).
pub struct FingerprintTable {
    slots: HugeSlice<AtomicU64>,
    mask: usize,
    /// Entries, maintained by the owner at synchronisation points (inserting
    /// threads report their new entries; see [`FingerprintTable::add_len`]).
    len: usize,
}

fn empty_slots(capacity: usize) -> HugeSlice<AtomicU64> {
    HugeSlice::zeroed(capacity)
}

impl FingerprintTable {
    /// A table of `capacity` slots (rounded up to a power of two, at least 16).
    pub fn with_capacity(capacity: usize) -> FingerprintTable {
        let cap = capacity.next_power_of_two().max(16);
        FingerprintTable {
            slots: empty_slots(cap),
            mask: cap - 1,
            len: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Number of entries as last recorded with [`FingerprintTable::add_len`].
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records `n` entries inserted since the last call (the inserting
    /// threads count their `new` results and the owner adds them up).
    pub fn add_len(&mut self, n: usize) {
        self.len += n;
    }

    /// Bytes held by the slot array.
    pub fn bytes(&self) -> u64 {
        self.bytes_at(self.slots.len())
    }

    /// Bytes the table would hold with `capacity` slots.
    pub fn bytes_at(&self, capacity: usize) -> u64 {
        (capacity * 8) as u64
    }

    #[inline]
    fn home(&self, fp: u64) -> usize {
        home(fp, self.mask)
    }

    /// Starts fetching the home slot of `fp` into the cache, so that a later
    /// [`FingerprintTable::contains`] or [`FingerprintTable::insert`] of it
    /// is (likely) a hit.
    #[inline(always)]
    pub fn prefetch(&self, fp: u64) {
        prefetch(self.slots.as_ptr().wrapping_add(self.home(fp)));
    }

    /// Inserts `fp` (non-zero). The caller must keep the load below 1: the
    /// table never grows by itself.
    #[inline]
    pub fn insert(&self, fp: u64) -> Inserted {
        debug_assert_ne!(fp, 0);
        let mut i = self.home(fp);
        loop {
            let cur = self.slots[i].load(Ordering::Relaxed);
            if cur == fp {
                return Inserted {
                    slot: i,
                    new: false,
                };
            }
            if cur == 0 {
                match self.slots[i].compare_exchange(0, fp, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return Inserted { slot: i, new: true },
                    Err(actual) if actual == fp => {
                        return Inserted {
                            slot: i,
                            new: false,
                        }
                    }
                    Err(_) => {}
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Whether `fp` is present.
    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        self.find(fp).is_some()
    }

    /// Inserts `fp` (non-zero) with exclusive access: plain loads and stores,
    /// no compare-and-swap. Returns whether it was new. The caller must keep
    /// the load below 1 and count the new entries ([`FingerprintTable::add_len`]).
    #[inline]
    pub fn insert_mut(&mut self, fp: u64) -> bool {
        self.insert_slot_mut(fp).new
    }

    /// [`FingerprintTable::insert_mut`], returning the slot.
    #[inline]
    fn insert_slot_mut(&mut self, fp: u64) -> Inserted {
        debug_assert_ne!(fp, 0);
        let mask = self.mask;
        let mut i = home(fp, mask);
        loop {
            let slot = self.slots[i].get_mut();
            if *slot == fp {
                return Inserted {
                    slot: i,
                    new: false,
                };
            }
            if *slot == 0 {
                *slot = fp;
                return Inserted { slot: i, new: true };
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot holding `fp`, if present.
    #[inline]
    pub fn find(&self, fp: u64) -> Option<usize> {
        let mut i = self.home(fp);
        loop {
            let cur = self.slots[i].load(Ordering::Relaxed);
            if cur == fp {
                return Some(i);
            }
            if cur == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The fingerprint in `slot` (0: empty).
    pub fn get(&self, slot: usize) -> u64 {
        self.slots[slot].load(Ordering::Relaxed)
    }

    /// Re-hashes into `capacity` slots (a power of two larger than the
    /// number of entries). Needs exclusive access: called only between
    /// batches.
    pub fn grow(&mut self, capacity: usize) {
        let cap = capacity.next_power_of_two().max(16);
        if cap <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, empty_slots(cap));
        self.mask = cap - 1;
        for s in old.iter() {
            let fp = s.load(Ordering::Relaxed);
            if fp != 0 {
                self.insert_slot_mut(fp);
            }
        }
    }

    /// Makes sure `extra` more entries fit within the load limit, growing
    /// (doubling) if needed. Returns whether it grew.
    pub fn reserve(&mut self, extra: usize) -> bool {
        let need = self.len + extra;
        if need <= max_entries(self.capacity()) {
            return false;
        }
        self.grow(capacity_for(need, self.capacity() * 2));
        true
    }
}

/// One slot of a [`KeyedFingerprintTable`]: fingerprint and key on the same
/// cache line. The key is stored complemented (`!key`), so that an empty
/// slot (no key: `u64::MAX`) is all zeros and a fresh table needs no
/// initialising pass; lowering the key is raising the stored value.
#[repr(C, align(16))]
struct KeyedSlot {
    fp: AtomicU64,
    not_key: AtomicU64,
}

// SAFETY: two AtomicU64, for which all zeros is valid (fp 0: empty slot;
// not_key 0: key u64::MAX).
unsafe impl Zeroable for KeyedSlot {}

fn empty_keyed_slots(capacity: usize) -> HugeSlice<KeyedSlot> {
    HugeSlice::zeroed(capacity)
}

/// A fingerprint set with a `u64` key per entry that only ever decreases
/// (`fetch_min`). Used by the BFS for one level's new states.
pub struct KeyedFingerprintTable {
    slots: HugeSlice<KeyedSlot>,
    mask: usize,
    len: usize,
}

impl KeyedFingerprintTable {
    /// A table of `capacity` slots (rounded up to a power of two, at least 16).
    pub fn with_capacity(capacity: usize) -> KeyedFingerprintTable {
        let cap = capacity.next_power_of_two().max(16);
        KeyedFingerprintTable {
            slots: empty_keyed_slots(cap),
            mask: cap - 1,
            len: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn add_len(&mut self, n: usize) {
        self.len += n;
    }

    pub fn bytes(&self) -> u64 {
        (self.slots.len() * std::mem::size_of::<KeyedSlot>()) as u64
    }

    /// Starts fetching the home slot of `fp` into the cache (see
    /// [`FingerprintTable::prefetch`]).
    #[inline(always)]
    pub fn prefetch(&self, fp: u64) {
        prefetch(self.slots.as_ptr().wrapping_add(home(fp, self.mask)));
    }

    /// Inserts `fp` (non-zero) and lowers its key to at most `key`. The
    /// caller must keep the load below 1.
    #[inline]
    pub fn insert_min(&self, fp: u64, key: u64) -> Inserted {
        debug_assert_ne!(fp, 0);
        let mut i = home(fp, self.mask);
        loop {
            let slot = &self.slots[i];
            let cur = slot.fp.load(Ordering::Relaxed);
            let new = if cur == fp {
                false
            } else if cur == 0 {
                match slot
                    .fp
                    .compare_exchange(0, fp, Ordering::Relaxed, Ordering::Relaxed)
                {
                    Ok(_) => true,
                    Err(actual) if actual == fp => false,
                    Err(_) => {
                        i = (i + 1) & self.mask;
                        continue;
                    }
                }
            } else {
                i = (i + 1) & self.mask;
                continue;
            };
            // Keys only decrease, so if the current one is already no larger
            // the `fetch_min` would change nothing: skip the atomic RMW.
            // (Stored complemented: min of keys is max of complements.)
            if slot.not_key.load(Ordering::Relaxed) < !key {
                slot.not_key.fetch_max(!key, Ordering::Relaxed);
            }
            return Inserted { slot: i, new };
        }
    }

    /// If `fp` is present, lowers its key to at most `key` and returns
    /// true; otherwise changes nothing (another thread may insert it
    /// right after: then [`KeyedFingerprintTable::insert_min`] lowers it).
    #[inline]
    pub fn lower_if_present(&self, fp: u64, key: u64) -> bool {
        let Some(i) = self.find(fp) else {
            return false;
        };
        let slot = &self.slots[i];
        if slot.not_key.load(Ordering::Relaxed) < !key {
            slot.not_key.fetch_max(!key, Ordering::Relaxed);
        }
        true
    }

    /// The key of the entry in `slot`. Final once every thread that could
    /// lower it has finished (after a batch).
    pub fn key(&self, slot: usize) -> u64 {
        !self.slots[slot].not_key.load(Ordering::Relaxed)
    }

    /// The fingerprint in `slot`.
    pub fn fingerprint(&self, slot: usize) -> u64 {
        self.slots[slot].fp.load(Ordering::Relaxed)
    }

    /// The slot holding `fp`, if present. Slots are stable until the next
    /// [`KeyedFingerprintTable::reserve`].
    #[inline]
    pub fn find(&self, fp: u64) -> Option<usize> {
        let mut i = home(fp, self.mask);
        loop {
            let cur = self.slots[i].fp.load(Ordering::Relaxed);
            if cur == fp {
                return Some(i);
            }
            if cur == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Makes sure `extra` more entries fit, re-hashing (with keys) if needed.
    /// Slots change on growth, so only call it when no slot index is held.
    pub fn reserve(&mut self, extra: usize) -> bool {
        let need = self.len() + extra;
        if need <= max_entries(self.capacity()) {
            return false;
        }
        let cap = capacity_for(need, self.capacity() * 2);
        let mut grown = KeyedFingerprintTable::with_capacity(cap);
        for slot in self.slots.iter_mut() {
            let fp = *slot.fp.get_mut();
            if fp != 0 {
                grown.insert_min(fp, !*slot.not_key.get_mut());
            }
        }
        grown.len = self.len;
        *self = grown;
        true
    }

    /// Empties the table, on the current rayon pool (one pass over the
    /// slots, in address order: cheaper than finding each entry again).
    pub fn clear(&mut self) {
        use rayon::prelude::*;
        if self.len == 0 {
            return;
        }
        self.slots.par_chunks_mut(1 << 14).for_each(|c| {
            for slot in c {
                *slot.fp.get_mut() = 0;
                *slot.not_key.get_mut() = 0;
            }
        });
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_contains_grow() {
        let mut t = FingerprintTable::with_capacity(16);
        assert!(t.insert(5).new);
        assert!(!t.insert(5).new);
        assert!(t.contains(5));
        assert!(!t.contains(6));
        t.add_len(1);
        for fp in 6..1000u64 {
            t.reserve(1);
            assert!(t.insert(fp).new);
            t.add_len(1);
        }
        assert_eq!(t.len(), 995);
        assert!(t.len() <= max_entries(t.capacity()));
        for fp in 5..1000u64 {
            assert!(t.contains(fp));
        }
        assert!(!t.contains(1000));
    }

    #[test]
    fn colliding_home_slots_probe() {
        // Same high bits after rotation -> same home slot.
        let t = FingerprintTable::with_capacity(16);
        let a = 1u64 << 32;
        let b = a | (1 << 40);
        let c = a | (1 << 50);
        assert!(t.insert(a).new && t.insert(b).new && t.insert(c).new);
        assert!(t.contains(a) && t.contains(b) && t.contains(c));
        assert!(!t.insert(b).new);
    }

    #[test]
    fn keyed_min_and_clear() {
        let mut t = KeyedFingerprintTable::with_capacity(16);
        let s = t.insert_min(9, 50).slot;
        t.insert_min(9, 70);
        t.insert_min(9, 20);
        assert_eq!(t.key(s), 20);
        t.add_len(1);
        t.reserve(100);
        let s = t.insert_min(9, 30);
        assert!(!s.new);
        assert_eq!(t.key(s.slot), 20);
        t.clear();
        assert_eq!(t.len(), 0);
        assert!(t.find(9).is_none());
        assert!(t.insert_min(9, 99).new);
        assert_eq!(t.key(t.find(9).unwrap()), 99);
    }

    #[test]
    fn concurrent_inserts_count_exactly() {
        let t = FingerprintTable::with_capacity(1 << 14);
        let news: usize = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    sc.spawn(|| {
                        (1..=10_000u64)
                            .filter(|&fp| t.insert(fp * 7919).new)
                            .count()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(news, 10_000);
    }
}
