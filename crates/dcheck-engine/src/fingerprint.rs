//! State fingerprints: a 64-bit hash of a state's words, computed with a
//! fixed-seed hash so that runs are reproducible (no random seeds).
//!
//! The value 0 marks an empty slot in the fingerprint tables, so a state
//! whose hash is 0 is given the fingerprint 1 instead.

use std::hash::{BuildHasher, Hasher};

use dcheck_model::system::Word;

/// Fixed seeds (digits of pi); changing them changes which states collide,
/// nothing else.
const SEEDS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

/// Built at compile time: no lazy initialisation to check on every hash.
static HASHER: ahash::RandomState =
    ahash::RandomState::with_seeds(SEEDS[0], SEEDS[1], SEEDS[2], SEEDS[3]);

/// The fingerprint of `state`: never 0.
///
/// Computed once per generated successor (the explorer's hot path). States
/// of one model all have the same length, so unlike `Hash for [u64]` this
/// does not hash a length prefix: it hashes the words' bytes only.
#[inline]
pub fn fingerprint(state: &[Word]) -> u64 {
    // SAFETY: any initialised `u64` is also valid as 8 `u8`s, `u8` has
    // alignment 1, and the byte slice covers exactly the words' memory and
    // lives no longer than `state` (what std's `u64::hash_slice` does).
    let bytes = unsafe {
        std::slice::from_raw_parts(state.as_ptr().cast::<u8>(), std::mem::size_of_val(state))
    };
    let mut h = HASHER.build_hasher();
    h.write(bytes);
    nonzero(h.finish())
}

/// Maps the reserved value 0 to 1.
#[inline]
pub fn nonzero(fp: u64) -> u64 {
    if fp == 0 {
        1
    } else {
        fp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_nonzero() {
        let a = fingerprint(&[1, 2, 3]);
        assert_eq!(a, fingerprint(&[1, 2, 3]));
        assert_ne!(a, fingerprint(&[1, 2, 4]));
        assert_ne!(fingerprint(&[0]), fingerprint(&[0, 0]));
        assert_eq!(nonzero(0), 1);
        assert_ne!(fingerprint(&[]), 0);
    }
}
