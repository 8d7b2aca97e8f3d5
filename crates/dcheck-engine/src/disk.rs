//! The BFS's disk store: where a search keeps what grows with the state
//! space once memory is short (`--store disk:DIR`, or the automatic
//! switch when the memory limit would otherwise stop a search).
//!
//! It follows external-memory BFS (Stern and Dill's disk-based Murphi,
//! TLC's `DiskFPSet`): random access stays in memory, the disk is only
//! read and written in order.
//!
//! - **Seen fingerprints.** The in-memory set ([`crate::seen::Seen`])
//!   keeps the states stored since it was last written out. When memory
//!   is short the BFS writes it out here as a sorted *run* (a file of
//!   ascending little-endian `u64`s) and empties it. During a level a
//!   successor is probed in memory only; the ones found in neither the
//!   level table nor the in-memory set are the level's *candidates*, and
//!   at the end of the level (or of a part of it, see [`crate::bfs`]) the
//!   candidates, sorted, are checked against every run by one sequential
//!   merge per run ([`Disk::mark_old`]). More than [`MAX_RUNS`] runs are
//!   merged into one, so a level reads each stored fingerprint about once.
//! - **Frontier.** Each level's new states are appended to a file in id
//!   order as they are stored ([`Disk::write_next`]); the next level reads
//!   them back in order, one batch at a time ([`Disk::read_frontier`]).
//! - **Parent links.** The varint stream of [`crate::links::Links`] goes to
//!   a file of its own; its block index (12 bytes per 128 states) stays in
//!   memory, so a trace reads one block a step.
//!
//! Every file lives in a fresh directory (`dcheck-store-*`, mode 0700)
//! created under the directory the caller names and removed, with
//! everything in it, when the store is dropped. Nothing here panics on an
//! I/O error: each operation returns it, and the search stops with it
//! ([`crate::Limit::Store`]).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use dcheck_model::system::Word;

/// Runs kept before they are merged into one.
pub const MAX_RUNS: usize = 8;
/// Bytes of each buffered reader and writer, at most (see [`Disk::create`]).
const BUFFER: usize = 1 << 20;
/// ... and at least.
const MIN_BUFFER: usize = 4 << 10;

/// One sorted run of fingerprints.
struct Run {
    path: PathBuf,
    len: u64,
}

/// The files of one search (see the module docs).
pub(crate) struct Disk {
    dir: tempfile::TempDir,
    runs: Vec<Run>,
    /// Files created so far (for fresh names).
    files: u64,
    /// The level being expanded, read in order; `None` while the level is
    /// the one that was in memory when the search switched to disk.
    current: Option<BufReader<File>>,
    /// The next level, written in id order.
    next: BufWriter<File>,
    next_path: PathBuf,
    /// Bytes read from and written to the store's files.
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Bytes of each buffer (see [`Disk::bytes`]).
    buffer: usize,
}

impl Disk {
    /// A new, empty store in a fresh directory under `parent` (created if
    /// missing), whose buffers take a 64th of `memory` (4 KiB to 1 MiB
    /// each; see [`Disk::bytes`]).
    pub fn create(parent: &Path, memory: u64) -> io::Result<Disk> {
        std::fs::create_dir_all(parent)?;
        let dir = tempfile::Builder::new()
            .prefix("dcheck-store-")
            .tempdir_in(parent)?;
        let buffer = ((memory / 64) as usize).clamp(MIN_BUFFER, BUFFER) & !7;
        let next_path = dir.path().join("frontier-0");
        let next = BufWriter::with_capacity(buffer, File::create(&next_path)?);
        Ok(Disk {
            dir,
            runs: Vec::new(),
            files: 1,
            current: None,
            next,
            next_path,
            bytes_read: 0,
            bytes_written: 0,
            buffer,
        })
    }

    /// Bytes its buffers hold at most: the next level's writer, the
    /// current level's reader, and one more for a run being written, read
    /// or merged (a merge splits it among the runs it reads).
    pub fn bytes(&self) -> u64 {
        3 * self.buffer as u64
    }

    /// The store's own directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A new file in the store.
    fn file(&mut self, stem: &str) -> io::Result<(PathBuf, File)> {
        let path = self.dir.path().join(format!("{stem}-{}", self.files));
        self.files += 1;
        let f = File::create(&path)?;
        Ok((path, f))
    }

    /// A file for the parent links' varints (see [`crate::links::Links`]),
    /// opened for reading and appending.
    pub fn links_file(&mut self) -> io::Result<File> {
        let path = self.dir.path().join("links");
        std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
    }

    /// Fingerprints in the runs.
    pub fn stored(&self) -> u64 {
        self.runs.iter().map(|r| r.len).sum()
    }

    /// Whether any fingerprint is on disk.
    pub fn has_runs(&self) -> bool {
        !self.runs.is_empty()
    }

    /// Writes fingerprints, ascending and not in any run yet, as a new run;
    /// merges the runs into one when there are more than [`MAX_RUNS`].
    pub fn add_run(&mut self, sorted: impl Iterator<Item = u64>) -> io::Result<()> {
        let (path, f) = self.file("seen")?;
        let mut w = BufWriter::with_capacity(self.buffer, f);
        let mut len = 0u64;
        for fp in sorted {
            w.write_all(&fp.to_le_bytes())?;
            len += 1;
        }
        w.flush()?;
        self.bytes_written += len * 8;
        if len == 0 {
            drop(w);
            return std::fs::remove_file(path);
        }
        self.runs.push(Run { path, len });
        if self.runs.len() > MAX_RUNS {
            self.merge_runs()?;
        }
        Ok(())
    }

    /// Merges every run into one (a k-way merge, each run read once).
    fn merge_runs(&mut self) -> io::Result<()> {
        let runs = std::mem::take(&mut self.runs);
        let share = self.buffer / (runs.len() + 1);
        let mut readers = runs
            .iter()
            .map(|r| Ok(Fingerprints::new(File::open(&r.path)?, r.len, share)))
            .collect::<io::Result<Vec<_>>>()?;
        let mut heads: Vec<Option<u64>> = readers
            .iter_mut()
            .map(Fingerprints::next)
            .collect::<io::Result<_>>()?;
        let (path, f) = self.file("seen")?;
        let mut w = BufWriter::with_capacity(share, f);
        let mut len = 0u64;
        // Few runs: the smallest head by a scan is cheaper than a heap.
        while let Some((i, fp)) = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.map(|fp| (i, fp)))
            .min_by_key(|&(_, fp)| fp)
        {
            w.write_all(&fp.to_le_bytes())?;
            len += 1;
            heads[i] = readers[i].next()?;
        }
        w.flush()?;
        let read: u64 = runs.iter().map(|r| r.len).sum();
        self.bytes_read += read * 8;
        self.bytes_written += len * 8;
        for r in &runs {
            std::fs::remove_file(&r.path)?;
        }
        self.runs.push(Run { path, len });
        Ok(())
    }

    /// Sets `old[i]` for every candidate `(fingerprint, i)` whose
    /// fingerprint is in a run. `candidates` is sorted by fingerprint.
    pub fn mark_old(&mut self, candidates: &[(u64, u32)], old: &mut [bool]) -> io::Result<()> {
        for run in &self.runs {
            let mut r = Fingerprints::new(File::open(&run.path)?, run.len, self.buffer);
            let mut c = candidates.iter().peekable();
            while let Some(fp) = r.next()? {
                while c.next_if(|&&(x, _)| x < fp).is_some() {}
                match c.peek() {
                    None => break,
                    Some(&&(x, i)) if x == fp => old[i as usize] = true,
                    Some(_) => {}
                }
            }
            self.bytes_read += r.read * 8;
        }
        Ok(())
    }

    /// Calls `f` on every fingerprint in the runs (for a checkpoint).
    pub fn each_stored(&self, mut f: impl FnMut(u64) -> io::Result<()>) -> io::Result<()> {
        for run in &self.runs {
            let mut r = Fingerprints::new(File::open(&run.path)?, run.len, self.buffer);
            while let Some(fp) = r.next()? {
                f(fp)?;
            }
        }
        Ok(())
    }

    /// Whether the level being expanded is in a file (it is not when the
    /// search moved to disk during it: that level stays in memory).
    pub fn level_on_disk(&self) -> bool {
        self.current.is_some()
    }

    /// Calls `f` on the first `count` words of the level being expanded,
    /// from its start, whatever has been read of it (for a checkpoint).
    pub fn each_level_word(
        &self,
        count: usize,
        mut f: impl FnMut(u64) -> io::Result<()>,
    ) -> io::Result<()> {
        let Some(r) = &self.current else {
            return Err(io::Error::other("the frontier is not on disk"));
        };
        let file = r.get_ref();
        let mut bytes = vec![0u8; self.buffer.min(count * 8)];
        let mut done = 0;
        while done < count {
            let n = (count - done).min(self.buffer / 8);
            file.read_exact_at(&mut bytes[..n * 8], done as u64 * 8)?;
            for b in bytes[..n * 8].chunks_exact(8) {
                f(u64::from_le_bytes(b.try_into().expect("eight bytes")))?;
            }
            done += n;
        }
        Ok(())
    }

    /// Appends the next level's states (in id order).
    pub fn write_next(&mut self, states: &[Word]) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(states.len().min(1 << 13) * 8);
        for chunk in states.chunks(1 << 13) {
            bytes.clear();
            bytes.extend(chunk.iter().flat_map(|w| w.to_le_bytes()));
            self.next.write_all(&bytes)?;
        }
        self.bytes_written += states.len() as u64 * 8;
        Ok(())
    }

    /// The next level becomes the one read by [`Disk::read_frontier`],
    /// and a new next level starts.
    pub fn advance(&mut self) -> io::Result<()> {
        self.next.flush()?;
        let (path, f) = self.file("frontier")?;
        let done = std::mem::replace(&mut self.next, BufWriter::with_capacity(self.buffer, f));
        drop(done);
        let read = std::mem::replace(&mut self.next_path, path);
        let file = File::open(&read)?;
        // Unlinked now: the open reader keeps its data until the level ends.
        std::fs::remove_file(&read)?;
        self.current = Some(BufReader::with_capacity(self.buffer, file));
        Ok(())
    }

    /// Reads the next `count` states of the level being expanded onto
    /// the end of `into`.
    pub fn read_frontier(
        &mut self,
        count: usize,
        words: usize,
        into: &mut Vec<Word>,
    ) -> io::Result<()> {
        let Some(r) = &mut self.current else {
            return Err(io::Error::other("the frontier is not on disk"));
        };
        // Through a buffer's worth at a time: no second copy of the batch.
        let total = count * words;
        let mut bytes = vec![0u8; (self.buffer).min(total * 8)];
        let mut done = 0;
        while done < total {
            let n = (total - done).min(self.buffer / 8);
            r.read_exact(&mut bytes[..n * 8])?;
            into.extend(
                bytes[..n * 8]
                    .chunks_exact(8)
                    .map(|b| u64::from_le_bytes(b.try_into().expect("eight bytes"))),
            );
            done += n;
        }
        self.bytes_read += (count * words * 8) as u64;
        Ok(())
    }
}

/// A run read in order, a block at a time (a call per fingerprint into
/// a buffered reader cost more than the merge itself).
struct Fingerprints {
    f: File,
    left: u64,
    read: u64,
    block: Vec<u64>,
    at: usize,
    per_block: usize,
}

impl Fingerprints {
    /// Reads `bytes` at a time (at least 8).
    fn new(f: File, len: u64, bytes: usize) -> Fingerprints {
        Fingerprints {
            f,
            left: len,
            read: 0,
            block: Vec::new(),
            at: 0,
            per_block: (bytes / 8).max(1),
        }
    }

    #[inline]
    fn next(&mut self) -> io::Result<Option<u64>> {
        if self.at == self.block.len() {
            if self.left == 0 {
                return Ok(None);
            }
            let n = self.left.min(self.per_block as u64) as usize;
            let mut bytes = vec![0u8; n * 8];
            self.f.read_exact(&mut bytes)?;
            self.block.clear();
            self.block.extend(
                bytes
                    .chunks_exact(8)
                    .map(|b| u64::from_le_bytes(b.try_into().expect("eight bytes"))),
            );
            self.left -= n as u64;
            self.read += n as u64;
            self.at = 0;
        }
        self.at += 1;
        Ok(Some(self.block[self.at - 1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seen::tests::fps;
    use std::collections::BTreeSet;

    /// Runs added, merged and probed agree with a `BTreeSet` (no shared
    /// code) across more runs than `MAX_RUNS`.
    #[test]
    fn runs_agree_with_a_btree_set() {
        let parent = tempfile::tempdir().unwrap();
        let mut disk = Disk::create(parent.path(), 1 << 20).unwrap();
        let mut all = BTreeSet::new();
        for round in 0..(MAX_RUNS as u64 + 5) {
            let new: BTreeSet<u64> = fps(round * 31 + 7, 500 + round as usize * 100)
                .into_iter()
                .filter(|fp| !all.contains(fp))
                .collect();
            disk.add_run(new.iter().copied()).unwrap();
            all.extend(new);
            assert!(disk.runs.len() <= MAX_RUNS);
            assert_eq!(disk.stored(), all.len() as u64);
            // Probe: half present, half fresh.
            let mut probe: Vec<u64> = all.iter().copied().step_by(7).collect();
            probe.extend(fps(round + 1000, 300));
            probe.sort_unstable();
            probe.dedup();
            let cands: Vec<(u64, u32)> = probe.iter().copied().zip(0..).collect();
            let mut old = vec![false; cands.len()];
            disk.mark_old(&cands, &mut old).unwrap();
            for (&(fp, _), &o) in cands.iter().zip(&old) {
                assert_eq!(o, all.contains(&fp), "round {round}, {fp:#x}");
            }
        }
    }

    #[test]
    fn a_level_reads_back_in_order_and_the_directory_goes_with_the_store() {
        let parent = tempfile::tempdir().unwrap();
        let mut disk = Disk::create(parent.path(), 1 << 20).unwrap();
        let dir = disk.path().to_path_buf();
        let states: Vec<Word> = (0..3000).map(|i| i * 3 + 1).collect();
        disk.write_next(&states[..1000]).unwrap();
        disk.write_next(&states[1000..]).unwrap();
        disk.advance().unwrap();
        let mut back = Vec::new();
        disk.read_frontier(700, 3, &mut back).unwrap();
        disk.read_frontier(300, 3, &mut back).unwrap();
        assert_eq!(back, states);
        assert!(disk.read_frontier(1, 3, &mut back).is_err());
        assert!(dir.exists());
        drop(disk);
        assert!(!dir.exists());
    }
}
