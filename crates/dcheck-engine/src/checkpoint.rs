//! Checkpoints of a BFS: the search state at the start of a level, written
//! to a file so that a run can be continued after a crash, a reboot, a
//! limit stop or Ctrl-C (`dcheck run --checkpoint FILE`, `--resume FILE`).
//!
//! A checkpoint holds what the BFS needs to go on exactly as if it had not
//! stopped: the fingerprints of every stored state, the parent links (for
//! traces), the initial states' words (traces start there), the frontier
//! (the level to expand next, in id order), the depth, the states
//! generated and the action coverage so far. The level loop is
//! deterministic given these, so a resumed run ends with the counts,
//! verdict and counterexample of an uninterrupted one.
//!
//! # File format (version 1)
//!
//! All integers little-endian `u64`:
//!
//! ```text
//! magic "DCHKPT" 0 1       8 bytes (the last byte is the version)
//! identity                 the caller's hash of the spec and the options
//!                          that shape the state space
//! words                    words per state
//! actions                  actions of the model (coverage entries)
//! depth, generated
//! seen_len, distinct       fingerprints stored, parent links
//! initial, frontier        states in each (words * states u64 each)
//! seen fingerprints        seen_len
//! links                    distinct
//! initial states           initial * words
//! frontier states          frontier * words
//! coverage                 actions * (enabled, taken)
//! checksum                 XXH3-64 (seed 0) of every byte before it
//! ```
//!
//! The format is written and read here by hand, as a stream of words: the
//! arrays are the search's own (up to gigabytes), and a serialisation
//! framework would first copy them into one value; streaming also lets the
//! checksum cover every byte without a second pass. A file is written to
//! `FILE.tmp`, synced and renamed over `FILE`, so a crash while writing
//! leaves the previous checkpoint intact. Reading checks the magic, the
//! sizes against the file's length before allocating anything, and the
//! checksum, so a truncated or altered file is refused.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dcheck_model::system::{TransitionSystem, Word};
use xxhash_rust::xxh3::Xxh3;

use crate::fingerprint_table::FingerprintTable;
use crate::{Coverage, MAX_IDS, ROOT_LINK};

const MAGIC: [u8; 8] = *b"DCHKPT\x00\x01";
/// Header words after the magic.
const HEADER: usize = 9;

/// Where and how often a BFS writes checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpointing {
    pub path: PathBuf,
    /// At the start of the first level after this much time since the last
    /// write (or the start); also at a limit stop and at Ctrl-C.
    pub every: Duration,
    /// The caller's hash of the spec and of the options that shape the
    /// state space; a checkpoint is resumed only with the same identity.
    pub identity: u64,
}

/// A checkpoint read back: the BFS state at the start of a level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub identity: u64,
    pub words: usize,
    pub depth: u32,
    pub generated: u64,
    /// The fingerprints of every stored state.
    pub seen: Vec<u64>,
    /// The parent link of every stored state, by id.
    pub links: Vec<u64>,
    /// The distinct initial states' words, flat.
    pub initial: Vec<Word>,
    /// The level to expand next (the last `frontier.len() / words` ids).
    pub frontier: Vec<Word>,
    pub coverage: Vec<Coverage>,
}

impl Snapshot {
    /// Why this snapshot cannot be resumed on `model` with `identity`, if it
    /// cannot: another spec or other options, or contents that do not fit
    /// the model (a parent link out of range, say). Checked before
    /// resuming, so that a forged file cannot make the search fail.
    pub fn fits<M: TransitionSystem>(&self, model: &M, identity: u64) -> Result<(), String> {
        if self.identity != identity {
            return Err("it was written for another spec, other constants or other \
                        options that change the state space"
                .into());
        }
        let words = model.state_words();
        if self.words != words || self.coverage.len() != model.action_count() {
            return Err("its states do not have this model's layout".into());
        }
        let w = words.max(1);
        let initial = self.initial.len() / w;
        let frontier = self.frontier.len() / w;
        let distinct = self.links.len();
        let transitions = model.transition_count() as u64;
        let links_ok = self.links.iter().enumerate().all(|(id, &l)| {
            if id < initial {
                l == ROOT_LINK
            } else {
                l != ROOT_LINK && (l >> 32) < id as u64 && (l & 0xffff_ffff) < transitions
            }
        });
        if self.seen.len() != distinct
            || self.seen.contains(&0)
            || frontier > distinct
            || initial > distinct
            || distinct as u64 > MAX_IDS
            || !links_ok
        {
            return Err("its contents are inconsistent".into());
        }
        Ok(())
    }
}

/// What the BFS hands to [`write`]: its live structures, not copies.
pub(crate) struct State<'a> {
    pub identity: u64,
    pub words: usize,
    pub depth: u32,
    pub generated: u64,
    pub seen: &'a FingerprintTable,
    pub links: &'a [u64],
    pub initial: &'a [Word],
    pub frontier: &'a [Word],
    pub coverage: &'a [Coverage],
}

/// Why a checkpoint could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    Io(String),
    /// Not a dcheck checkpoint, or of another format version.
    NotACheckpoint,
    /// Shorter or longer than its header says, or its checksum is wrong.
    Damaged(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotACheckpoint => {
                write!(f, "not a dcheck checkpoint (or of another version)")
            }
            ReadError::Damaged(why) => write!(f, "damaged checkpoint: {why}"),
        }
    }
}

/// A checkpoint identity: XXH3-64 of `parts`, each length-prefixed (so no
/// two lists of parts hash alike by concatenation).
pub fn identity<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h = Xxh3::with_seed(0);
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.digest()
}

/// A writer that hashes what it writes.
struct Hashed<W: Write> {
    out: W,
    hash: Xxh3,
}

impl<W: Write> Hashed<W> {
    fn word(&mut self, w: u64) -> std::io::Result<()> {
        let b = w.to_le_bytes();
        self.hash.update(&b);
        self.out.write_all(&b)
    }

    fn words(&mut self, ws: impl IntoIterator<Item = u64>) -> std::io::Result<()> {
        for w in ws {
            self.word(w)?;
        }
        Ok(())
    }
}

/// The temporary file a checkpoint is written to before the rename.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Writes `state` to `path` atomically (a temporary file, synced, then
/// renamed over `path`).
pub(crate) fn write(path: &Path, state: &State) -> std::io::Result<()> {
    let tmp = temporary(path);
    let file = File::create(&tmp)?;
    let mut w = Hashed {
        out: BufWriter::with_capacity(1 << 20, file),
        hash: Xxh3::with_seed(0),
    };
    let words = state.words.max(1);
    w.out.write_all(&MAGIC)?;
    w.hash.update(&MAGIC);
    let seen = (0..state.seen.capacity())
        .map(|slot| state.seen.get(slot))
        .filter(|&fp| fp != 0);
    w.words([
        state.identity,
        state.words as u64,
        state.coverage.len() as u64,
        state.depth as u64,
        state.generated,
        state.seen.len() as u64,
        state.links.len() as u64,
        (state.initial.len() / words) as u64,
        (state.frontier.len() / words) as u64,
    ])?;
    w.words(seen)?;
    w.words(state.links.iter().copied())?;
    w.words(state.initial.iter().copied())?;
    w.words(state.frontier.iter().copied())?;
    w.words(state.coverage.iter().flat_map(|c| [c.enabled, c.taken]))?;
    let sum = w.hash.digest();
    w.out.write_all(&sum.to_le_bytes())?;
    let file = w.out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Reads a checkpoint written by [`write`].
pub fn read(path: &Path) -> Result<Snapshot, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(format!("cannot read {}: {e}", path.display()));
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::Io(format!("{} is not a file", path.display())));
    }
    let len = meta.len();
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut hash = Xxh3::with_seed(0);
    let mut magic = [0u8; 8];
    if r.read_exact(&mut magic).is_err() || magic != MAGIC {
        return Err(ReadError::NotACheckpoint);
    }
    hash.update(&magic);
    let short = || ReadError::Damaged("the file ends early (truncated?)".into());
    let mut word = |r: &mut BufReader<File>| -> Result<u64, ReadError> {
        let mut b = [0u8; 8];
        r.read_exact(&mut b).map_err(|_| short())?;
        hash.update(&b);
        Ok(u64::from_le_bytes(b))
    };
    let mut header = [0u64; HEADER];
    for h in header.iter_mut() {
        *h = word(&mut r)?;
    }
    let [identity, words, actions, depth, generated, seen_len, distinct, initial, frontier] =
        header;
    // The size the header promises, checked against the file before any
    // array is allocated (a damaged header must not ask for terabytes).
    let body = [
        Some(seen_len),
        Some(distinct),
        initial.checked_mul(words),
        frontier.checked_mul(words),
        actions.checked_mul(2),
    ]
    .into_iter()
    .try_fold(0u64, |acc, n| n.and_then(|n| acc.checked_add(n)));
    let expected = body
        .and_then(|b| b.checked_add(HEADER as u64 + 2))
        .and_then(|w| w.checked_mul(8));
    if expected != Some(len) {
        return Err(ReadError::Damaged(format!(
            "its header does not match its length of {len} bytes (truncated?)"
        )));
    }
    let mut array = |n: u64, r: &mut BufReader<File>| -> Result<Vec<u64>, ReadError> {
        let mut v = Vec::with_capacity(n as usize);
        for _ in 0..n {
            v.push(word(r)?);
        }
        Ok(v)
    };
    let seen = array(seen_len, &mut r)?;
    let links = array(distinct, &mut r)?;
    let initial = array(initial * words, &mut r)?;
    let frontier = array(frontier * words, &mut r)?;
    let cov = array(actions * 2, &mut r)?;
    let digest = hash.digest();
    let mut b = [0u8; 8];
    r.read_exact(&mut b).map_err(|_| short())?;
    if u64::from_le_bytes(b) != digest {
        return Err(ReadError::Damaged("its checksum does not match".into()));
    }
    Ok(Snapshot {
        identity,
        words: words as usize,
        depth: depth.min(u32::MAX as u64) as u32,
        generated,
        seen,
        links,
        initial,
        frontier,
        coverage: cov
            .chunks(2)
            .map(|c| Coverage {
                enabled: c[0],
                taken: c[1],
            })
            .collect(),
    })
}
