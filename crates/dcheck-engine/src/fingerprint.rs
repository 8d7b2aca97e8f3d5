//! State fingerprints: a 64-bit hash of a state's words that is the same
//! for every build, platform and crate version, so that a recorded count,
//! a checkpoint or a fingerprint in a report can be compared later.
//!
//! The hash is XXH3-64 (the xxHash specification, through `xxhash-rust`)
//! with the fixed seed [`SEED`], over the state's words as little-endian
//! bytes: an algorithm with a published definition and reference values,
//! unlike `ahash`, whose output may change with its version and with the
//! CPU features it finds. `tests` pins values computed by the reference C
//! implementation.
//!
//! The value 0 marks an empty slot in the fingerprint tables, so a state
//! whose hash is 0 is given the fingerprint 1 instead.

use dcheck_model::system::Word;

/// The seed (digits of pi); changing it changes which states collide,
/// nothing else, but also every recorded fingerprint.
pub const SEED: u64 = 0x243f_6a88_85a3_08d3;

/// The fingerprint of `state`: never 0.
///
/// Computed once per generated successor (the explorer's hot path). States
/// of one model all have the same length, so the words' bytes alone are
/// hashed, with no length prefix.
#[inline]
pub fn fingerprint(state: &[Word]) -> u64 {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: any initialised `u64` is also valid as 8 `u8`s, `u8` has
        // alignment 1, and the byte slice covers exactly the words' memory
        // and lives no longer than `state`; on a little-endian machine
        // these are the words' little-endian bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(state.as_ptr().cast::<u8>(), std::mem::size_of_val(state))
        };
        nonzero(xxhash_rust::xxh3::xxh3_64_with_seed(bytes, SEED))
    }
    #[cfg(target_endian = "big")]
    {
        // The same bytes streamed word by word: no allocation.
        let mut h = xxhash_rust::xxh3::Xxh3::with_seed(SEED);
        for w in state {
            h.update(&w.to_le_bytes());
        }
        nonzero(h.digest())
    }
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

    /// Stable across builds and platforms: the values of the reference C
    /// implementation of XXH3-64 (Python's `xxhash` 4.1.0 package,
    /// `xxh3_64_intdigest(bytes, seed=SEED)`, the words packed with
    /// `struct.pack("<Q", w)`), and its published value for the empty
    /// input with seed 0 (0x2D06800538D394C2).
    #[test]
    fn fingerprints_are_xxh3_of_the_little_endian_words() {
        assert_eq!(
            xxhash_rust::xxh3::xxh3_64_with_seed(&[], 0),
            0x2d06_8005_38d3_94c2
        );
        let cases: [(&[Word], u64); 5] = [
            (&[0], 0x1db2_82e4_ef69_21dd),
            (&[1], 0x1846_2fb6_dd28_adf1),
            (&[1, 2, 3], 0x7384_52ca_647b_36a4),
            (&[u64::MAX, 42], 0x3199_b69e_e4f2_ef7e),
            (&[0, 1, 2, 3, 4, 5, 6, 7], 0xce9d_ef70_ed43_0ba8),
        ];
        for (words, expected) in cases {
            assert_eq!(fingerprint(words), expected, "{words:?}");
        }
    }
}
