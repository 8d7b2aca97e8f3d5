//! The state encoding: how values and states are laid out in words.
//!
//! Every value of a type with `card` values is represented by its *dense
//! index* in `0..card` (a mixed-radix number over its components), so the
//! narrowest possible packing falls out for free and equality of values is
//! equality of integers. Integers are the one exception while in registers:
//! there they hold their actual value, converted to `value - lo` when stored.
//!
//! A state is the concatenation of its variables' indices, each in
//! `ceil(log2(card))` bits, packed into `u64` words (a variable may straddle
//! two words).

use crate::system::Word;

/// Number of bits needed to store an index in `0..card`.
pub fn bits_for(card: u128) -> u32 {
    if card <= 1 {
        0
    } else {
        128 - (card - 1).leading_zeros()
    }
}

#[inline]
fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Where one variable lives in the state words.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub offset: u32,
    pub bits: u32,
}

impl Slot {
    /// The bits of a state this slot takes, as `(word, mask)` pairs (one,
    /// or two when it straddles a word boundary; none for zero bits).
    pub fn word_masks(self) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        if self.bits == 0 {
            return out;
        }
        let w = (self.offset / 64) as usize;
        let s = self.offset % 64;
        out.push((w, mask(self.bits.min(64 - s)) << s));
        if s + self.bits > 64 {
            out.push((w + 1, mask(s + self.bits - 64)));
        }
        out
    }

    #[inline]
    pub fn load(self, state: &[Word]) -> u64 {
        if self.bits == 0 {
            return 0;
        }
        let w = (self.offset / 64) as usize;
        let s = self.offset % 64;
        let mut v = state[w] >> s;
        if s + self.bits > 64 {
            v |= state[w + 1] << (64 - s);
        }
        v & mask(self.bits)
    }

    #[inline]
    pub fn store(self, state: &mut [Word], value: u64) {
        if self.bits == 0 {
            return;
        }
        let w = (self.offset / 64) as usize;
        let s = self.offset % 64;
        let m = mask(self.bits);
        let value = value & m;
        state[w] = (state[w] & !(m << s)) | (value << s);
        if s + self.bits > 64 {
            let hi_bits = s + self.bits - 64;
            let hm = mask(hi_bits);
            state[w + 1] = (state[w + 1] & !hm) | (value >> (64 - s));
        }
    }
}

/// Digit `(v / stride) % card` of a mixed-radix number, with a shift/mask
/// fast path when both are powers of two (the common case for bools, sets
/// and four-valued enums).
#[inline]
pub fn get_digit(v: u64, stride: u64, card: u64) -> u64 {
    if stride.is_power_of_two() && card.is_power_of_two() {
        (v >> stride.trailing_zeros()) & (card - 1)
    } else {
        (v / stride) % card
    }
}

/// Digit `(v / stride) % card` for a `stride` and `card` known when the
/// code is compiled (a map entry at a constant key, a tuple component, a
/// record field): [`get_digit`]'s value, with its two divisions (when
/// not both divisors are powers of two) done as multiplications by
/// precomputed reciprocals.
///
/// Hand-built for a measured hot path: a role's variable of three values
/// (`phase`, paxos's `hiVal`) is a base-3 digit of its map, and reading it
/// at a constant key was two 64-bit divisions; the `div` instructions were
/// about a third of the reading closure's samples. The reciprocal is
/// Lemire, Kaser and Kurz's ("Faster remainder by direct computation",
/// 2019): for `2 <= d < 2^32`, `c = floor((2^64 - 1) / d) + 1` gives
/// `n / d == (c * n) >> 64` for every `n < 2^32`. Larger values take the
/// divisions.
#[derive(Clone, Copy, Debug)]
pub struct Digit {
    stride: u64,
    card: u64,
    /// Reciprocals of `stride` and `card` (0: that divisor is 1); only
    /// used when `fast`.
    inv_stride: u64,
    inv_card: u64,
    /// Both divisors are below 2^32 and not 0, and not both powers of two
    /// (those [`get_digit`] shifts and masks).
    fast: bool,
}

impl Digit {
    pub fn new(stride: u64, card: u64) -> Digit {
        let inv = |d: u64| if d >= 2 { u64::MAX / d + 1 } else { 0 };
        let small = |d: u64| (1..=u32::MAX as u64).contains(&d);
        Digit {
            stride,
            card,
            inv_stride: inv(stride),
            inv_card: inv(card),
            fast: small(stride)
                && small(card)
                && !(stride.is_power_of_two() && card.is_power_of_two()),
        }
    }

    pub fn stride(self) -> u64 {
        self.stride
    }

    #[inline]
    pub fn get(self, v: u64) -> u64 {
        if !self.fast || v > u32::MAX as u64 {
            return get_digit(v, self.stride, self.card);
        }
        let div = |n: u64, d: u64, inv: u64| {
            if d == 1 {
                n
            } else {
                ((u128::from(inv) * u128::from(n)) >> 64) as u64
            }
        };
        let q = div(v, self.stride, self.inv_stride);
        q - div(q, self.card, self.inv_card) * self.card
    }
}

/// Replace digit `old` at `stride` by `new` (both `< card`).
#[inline]
pub fn set_digit(v: u64, stride: u64, old: u64, new: u64) -> u64 {
    v.wrapping_sub(old.wrapping_mul(stride))
        .wrapping_add(new.wrapping_mul(stride))
}

/// A digit of a variable whose position in the state is fixed at compile
/// time and lies within one word: read with one shift and one mask. This is
/// the hot path of guards like `rmState[r] == working` once `r` is a
/// constant.
#[derive(Clone, Copy, Debug)]
pub struct BitField {
    pub word: usize,
    pub shift: u32,
    pub mask: u64,
}

impl BitField {
    /// The digit at `stride` with `card` values of the variable in `slot`, if
    /// both are powers of two and the digit does not straddle two words.
    pub fn of(slot: Slot, stride: u64, card: u64) -> Option<BitField> {
        if !stride.is_power_of_two() || !card.is_power_of_two() || slot.bits == 0 {
            return None;
        }
        let start = slot.offset + stride.trailing_zeros();
        let bits = card.trailing_zeros();
        if bits == 0
            || bits >= 64
            || start % 64 + bits > 64
            || stride.trailing_zeros() + bits > slot.bits
        {
            return None;
        }
        Some(BitField {
            word: (start / 64) as usize,
            shift: start % 64,
            mask: (1u64 << bits) - 1,
        })
    }

    /// The whole variable in `slot` as a field, if it lies within one word.
    pub fn whole(slot: Slot) -> Option<BitField> {
        if slot.bits == 0 || slot.bits >= 64 || slot.offset % 64 + slot.bits > 64 {
            return None;
        }
        Some(BitField {
            word: (slot.offset / 64) as usize,
            shift: slot.offset % 64,
            mask: (1u64 << slot.bits) - 1,
        })
    }

    #[inline(always)]
    pub fn get(self, state: &[Word]) -> u64 {
        (state[self.word] >> self.shift) & self.mask
    }
}
