//! The BFS's parent links, compressed: about two bytes a state instead of
//! eight.
//!
//! A link is (parent id, transition), one per stored state, read only to
//! rebuild a trace and to write a checkpoint. In a BFS the initial states
//! come first, and every later state's parent is in the level before its
//! own; the states of a level are numbered in the order of their parents
//! (the search sorts them by (parent position, transition)). So parent ids
//! never decrease with the id, and a link is stored as the difference from
//! the previous link's parent, mixed with the transition into one number
//! (`delta * transitions + transition`) written as a LEB128 varint: on a
//! protocol with fewer than 128 transitions a state whose parent is the
//! previous state's (the common case) costs one byte.
//!
//! Random access (a trace reads one link per step) goes through a block
//! index: every [`BLOCK`] links, the byte offset and the parent id the
//! block's first difference is taken from, so a lookup decodes at most
//! `BLOCK` varints. This is a measured hot structure only in memory (the
//! issue's budget for TwoPhase N=9 is 16 bytes a state in all): the plain
//! `Vec<u64>` cost 8 bytes a state, this costs 1-3.
//!
//! The depth-first search numbers states in discovery order, whose parents
//! do go back, and keeps a plain `Vec<u64>` ([`crate::trace::rebuild`]
//! reads either through a function).
//!
//! With the disk store ([`crate::disk`]) the varints go to a file once
//! [`SPILL`] bytes are buffered ([`Links::spill_to`]); the block index
//! stays in memory and a lookup reads its block back
//! ([`Links::try_get`]).

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

use crate::{pack_link, ROOT_LINK};

/// Links per index entry.
const BLOCK: usize = 128;
/// Bytes buffered before they are appended to the file (disk store).
const SPILL: usize = 1 << 14;
/// The longest varint: a `u64`.
const MAX_VARINT: usize = 10;

/// Parent links with non-decreasing parents, the initial states first.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// Initial states (ids `0..roots`, no parent).
    roots: u32,
    /// The number of transitions `t < transitions` can take (the radix).
    radix: u64,
    /// Links after the roots.
    len: usize,
    /// The varints, in id order (with a spill file: those after the
    /// `flushed` bytes in it).
    bytes: Vec<u8>,
    spill: Option<Spill>,
    /// Per block of `BLOCK` non-root links: where it starts in `bytes`
    /// and the parent its first difference is from.
    starts: Vec<u64>,
    bases: Vec<u32>,
    /// The parent of the last link pushed.
    last: u32,
}

/// The file that holds the first `flushed` bytes of the varint stream.
#[derive(Debug)]
struct Spill {
    file: File,
    flushed: u64,
    /// The first write that failed (the search stops on it).
    error: Option<io::Error>,
}

/// Why a list of links cannot be stored compressed (a checkpoint not
/// written by a BFS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NotMonotone;

impl Links {
    /// No links; transitions will be below `transitions`.
    pub fn new(transitions: usize) -> Links {
        Links {
            radix: transitions.max(1) as u64,
            ..Links::default()
        }
    }

    /// Links from their packed form ([`crate::pack_link`] or [`ROOT_LINK`]),
    /// if they are a BFS's: the roots first, then parents that never
    /// decrease, and transitions below `transitions`.
    pub fn from_packed(transitions: usize, packed: &[u64]) -> Result<Links, NotMonotone> {
        let mut links = Links::new(transitions);
        let roots = packed.iter().take_while(|&&l| l == ROOT_LINK).count();
        links.push_roots(roots);
        for &l in &packed[roots..] {
            let (parent, t) = ((l >> 32) as u32, l as u32);
            if l == ROOT_LINK || parent < links.last || t as usize >= transitions {
                return Err(NotMonotone);
            }
            links.push(parent, t);
        }
        Ok(links)
    }

    /// Adds `n` initial states; only before any other link.
    pub fn push_roots(&mut self, n: usize) {
        debug_assert_eq!(self.len, 0);
        self.roots += n as u32;
    }

    /// Adds the link of the next id: its parent (no smaller than the last
    /// one pushed) and transition (below the radix).
    #[inline]
    pub fn push(&mut self, parent: u32, t: u32) {
        debug_assert!(parent >= self.last && (t as u64) < self.radix);
        if self.len.is_multiple_of(BLOCK) {
            self.starts.push(self.spilled() + self.bytes.len() as u64);
            self.bases.push(self.last);
        }
        let mut v = (parent - self.last) as u64 * self.radix + t as u64;
        while v >= 0x80 {
            self.bytes.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
        self.last = parent;
        self.len += 1;
        if self.spill.is_some() && self.bytes.len() >= SPILL {
            self.flush();
        }
    }

    /// From now on, keeps the varints in `file` (empty, opened for
    /// appending and reading) and at most [`SPILL`] bytes in memory.
    pub fn spill_to(&mut self, file: File) {
        self.spill = Some(Spill {
            file,
            flushed: 0,
            error: None,
        });
        self.flush();
        self.bytes.shrink_to(SPILL);
    }

    /// Appends the buffered varints to the spill file.
    fn flush(&mut self) {
        let Some(sp) = &mut self.spill else { return };
        if sp.error.is_none() {
            match sp.file.write_all(&self.bytes) {
                Ok(()) => sp.flushed += self.bytes.len() as u64,
                Err(e) => sp.error = Some(e),
            }
        }
        self.bytes.clear();
    }

    /// The first write to the spill file that failed, if any (links
    /// pushed after it are lost: the search must stop).
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.spill.as_mut().and_then(|s| s.error.take())
    }

    /// Bytes of varints in the spill file.
    pub fn spilled(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.flushed)
    }

    /// Bytes a link has taken so far (2 before any).
    fn per_link(&self) -> usize {
        if self.len == 0 {
            2
        } else {
            self.bytes.len().div_ceil(self.len)
        }
    }

    /// Room for `n` more links of about the size seen so far.
    pub fn reserve(&mut self, n: usize) {
        let per = self.per_link();
        // Exact: a doubled vector would hold up to twice the links' size.
        self.bytes.reserve_exact(n * per + 16);
        self.starts.reserve_exact(n / BLOCK + 1);
        self.bases.reserve_exact(n / BLOCK + 1);
    }

    /// The number of links (ids).
    pub fn len(&self) -> usize {
        self.roots as usize + self.len
    }

    /// The number of initial states.
    pub fn roots(&self) -> usize {
        self.roots as usize
    }

    /// Bytes allocated.
    pub fn bytes(&self) -> u64 {
        (self.bytes.capacity() + self.starts.capacity() * 8 + self.bases.capacity() * 4) as u64
    }

    /// Bytes allocated once `n` more links of the size so far are added
    /// (a vector that grows may double).
    pub fn bytes_after(&self, n: usize) -> u64 {
        let per = self.per_link();
        let need = |len: usize, cap: usize| if len > cap { len.max(2 * cap) } else { cap };
        let blocks = (self.len + n).div_ceil(BLOCK);
        let buffered = match self.spill {
            Some(_) => (self.bytes.len() + n * per).min(SPILL + MAX_VARINT),
            None => self.bytes.len() + n * per,
        };
        (need(buffered, self.bytes.capacity()) + need(blocks, self.starts.capacity()) * 12) as u64
    }

    /// The packed link of `id`, reading its block back from the spill
    /// file if it is there.
    pub fn try_get(&self, id: u32) -> io::Result<u64> {
        let Some(i) = (id as usize).checked_sub(self.roots as usize) else {
            return Ok(ROOT_LINK);
        };
        let b = i / BLOCK;
        let start = self.starts[b];
        let flushed = self.spilled();
        let block: std::borrow::Cow<[u8]> = if start >= flushed {
            std::borrow::Cow::Borrowed(&self.bytes[(start - flushed) as usize..])
        } else {
            // The block's varints, at most BLOCK of MAX_VARINT bytes, from
            // the file and then the buffer.
            let want = BLOCK * MAX_VARINT;
            let in_file = ((flushed - start) as usize).min(want);
            let mut buf = vec![0u8; in_file];
            let sp = self.spill.as_ref().expect("a spill file below `flushed`");
            sp.file.read_exact_at(&mut buf, start)?;
            let rest = (want - in_file).min(self.bytes.len());
            buf.extend_from_slice(&self.bytes[..rest]);
            std::borrow::Cow::Owned(buf)
        };
        let mut at = 0;
        let mut parent = self.bases[b];
        let mut t = 0;
        for _ in 0..=i % BLOCK {
            let (v, next) = varint(&block, at);
            at = next;
            parent += (v / self.radix) as u32;
            t = (v % self.radix) as u32;
        }
        Ok(pack_link(parent, t))
    }

    /// Calls `f` on every packed link, by id, reading the spill file in
    /// order (a checkpoint of the disk store).
    pub fn try_for_each(&self, mut f: impl FnMut(u64) -> io::Result<()>) -> io::Result<()> {
        for _ in 0..self.roots {
            f(ROOT_LINK)?;
        }
        let flushed = self.spilled();
        let (mut read, mut in_memory) = (0u64, false);
        // Undecoded bytes: a chunk of the file (or the buffer) after what
        // is left of the one before, which may end inside a varint.
        let mut buf: Vec<u8> = Vec::new();
        let (mut parent, mut done) = (0u32, 0usize);
        while done < self.len {
            if read < flushed {
                let n = (flushed - read).min(SPILL as u64 * 64) as usize;
                let old = buf.len();
                buf.resize(old + n, 0);
                let sp = self.spill.as_ref().expect("a spill file below `flushed`");
                sp.file.read_exact_at(&mut buf[old..], read)?;
                read += n as u64;
            } else if !in_memory {
                buf.extend_from_slice(&self.bytes);
                in_memory = true;
            } else {
                return Err(io::Error::other("the parent links end early"));
            }
            let last = read >= flushed && in_memory;
            let mut at = 0;
            while done < self.len && (last || at + MAX_VARINT <= buf.len()) {
                let end = buf[at..].iter().position(|&b| b < 0x80);
                let Some(len) = end.filter(|&l| l < MAX_VARINT) else {
                    return Err(io::Error::other("the parent links end early"));
                };
                let (v, next) = varint(&buf[..at + len + 1], at);
                at = next;
                parent += (v / self.radix) as u32;
                f(pack_link(parent, (v % self.radix) as u32))?;
                done += 1;
            }
            buf.drain(..at);
        }
        Ok(())
    }
}

/// The varint at `at` and where the next one starts.
#[inline]
fn varint(bytes: &[u8], mut at: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[at];
        at += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return (v, at);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BFS-like list: roots, then parents that never decrease, with
    /// deltas and transitions of every varint length.
    fn sample(transitions: u32) -> Vec<u64> {
        let mut out = vec![ROOT_LINK; 3];
        let mut parent = 0u32;
        let mut x = 12345u64;
        for i in 0..5000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            parent += match i % 7 {
                0 => (x >> 60) as u32,
                1 => (x >> 40) as u32 % 100_000,
                _ => 0,
            };
            out.push(pack_link(parent, (x >> 33) as u32 % transitions));
        }
        out
    }

    #[test]
    fn every_link_reads_back_by_id_and_in_order() {
        for transitions in [1, 5, 127, 128, 70_000, u32::MAX] {
            let packed = sample(transitions);
            let links = Links::from_packed(transitions as usize, &packed).unwrap();
            assert_eq!(links.len(), packed.len());
            assert_eq!(links.roots(), 3);
            for (id, &l) in packed.iter().enumerate() {
                assert_eq!(
                    links.try_get(id as u32).unwrap(),
                    l,
                    "id {id}, {transitions} transitions"
                );
            }
            assert_eq!(all(&links), packed);
        }
    }

    fn all(links: &Links) -> Vec<u64> {
        let mut out = Vec::new();
        links
            .try_for_each(|l| {
                out.push(l);
                Ok(())
            })
            .unwrap();
        out
    }

    /// Spilled to a file part of the way (so blocks straddle the file and
    /// the buffer), every link still reads back by id and in order.
    #[test]
    fn spilled_links_read_back_from_the_file() {
        for transitions in [5u32, 70_000] {
            let packed: Vec<u64> = sample(transitions)
                .into_iter()
                .chain(sample(transitions).into_iter().skip(3).map(|l| {
                    // A second run of parents, above the first.
                    pack_link((l >> 32) as u32 + 2_000_000_000, l as u32)
                }))
                .collect();
            let mut links = Links::new(transitions as usize);
            links.push_roots(3);
            let dir = tempfile::tempdir().unwrap();
            for (i, &l) in packed.iter().enumerate().skip(3) {
                if i == 1000 {
                    let f = std::fs::OpenOptions::new()
                        .read(true)
                        .append(true)
                        .create_new(true)
                        .open(dir.path().join("links"))
                        .unwrap();
                    links.spill_to(f);
                }
                links.push((l >> 32) as u32, l as u32);
            }
            assert!(links.spilled() > 0);
            assert!(links.bytes.len() < SPILL + MAX_VARINT);
            for (id, &l) in packed.iter().enumerate() {
                assert_eq!(links.try_get(id as u32).unwrap(), l, "id {id}");
            }
            assert_eq!(all(&links), packed);
        }
    }

    #[test]
    fn common_links_cost_about_a_byte() {
        // Parent of each state the previous state's or the next one, 40
        // transitions: every value is below 80, one byte each.
        let mut packed = vec![ROOT_LINK];
        for i in 0..100_000u32 {
            packed.push(pack_link(i / 2, i % 40));
        }
        let links = Links::from_packed(40, &packed).unwrap();
        assert!(links.bytes.len() == 100_000, "{}", links.bytes.len());
    }

    #[test]
    fn a_decreasing_parent_or_a_late_root_is_refused() {
        let bad = [ROOT_LINK, pack_link(0, 1), pack_link(5, 0), pack_link(4, 0)];
        assert_eq!(Links::from_packed(2, &bad).unwrap_err(), NotMonotone);
        let late_root = [ROOT_LINK, pack_link(0, 1), ROOT_LINK];
        assert_eq!(Links::from_packed(2, &late_root).unwrap_err(), NotMonotone);
        let big_t = [ROOT_LINK, pack_link(0, 2)];
        assert_eq!(Links::from_packed(2, &big_t).unwrap_err(), NotMonotone);
    }
}
