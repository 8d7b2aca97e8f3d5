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
//! With temporal properties the BFS also records the state graph (see
//! [`crate::graph`]); a checkpoint then holds the graph of the levels
//! already expanded too (rows, edges, predicate bits, predicate errors)
//! and the id of every stored state.
//!
//! A distributed search ([`crate::dist`]) writes one file per worker,
//! `FILE.workerK` (see [`part_path`]): the same format, version 3, with
//! only the worker's own fingerprints and frontier states (all the links
//! and initial states, which every worker holds) and a part section at the
//! end of the arrays: the worker, the number of workers, the level's size
//! and the frontier states' positions in it. The workers write their files
//! at the same level; only once every worker has written its temporary
//! file does any of them move its last file to `FILE.workerK.prev` and the
//! new one in place, so that after a crash at any point one level is
//! complete on every worker, in one of the two.
//!
//! # File format (version 2; version 1 files are read too)
//!
//! All integers little-endian `u64` words:
//!
//! ```text
//! magic "DCHKPT" 0 2       8 bytes (the last byte is the version)
//! identity                 the caller's hash of the spec and the options
//!                          that shape the state space
//! words                    words per state
//! actions                  actions of the model (coverage entries)
//! depth, generated
//! seen_len, distinct       fingerprints stored, parent links
//! initial, frontier        states in each
//! graph                    1 if a graph section follows, else 0
//! seen fingerprints        seen_len
//! [graph: seen ids]        seen_len, in the same order
//! links                    distinct
//! initial states           initial * words
//! frontier states          frontier * words
//! coverage                 actions * (enabled, taken)
//! [version 3: part]        worker, workers, level size, positions of the
//!                          frontier states (two u32 a word)
//! [graph section]          n, predicates, edges, errors, step predicates
//!                          (version 2; 0 in version 1);
//!                          offsets (n + 1); targets, labels (two u32 a
//!                          word each); predicate bits (predicates *
//!                          ceil(n / 64)); step predicate bits (step
//!                          predicates * ceil(edges / 64)); per error: state, transition
//!                          (u64::MAX: none), span (file + 1, or 0: none),
//!                          start, end, message length, message bytes
//!                          (padded to words)
//! checksum                 XXH3-64 (seed 0) of every byte before it
//! ```
//!
//! The format is written and read here by hand, as a stream of words: the
//! arrays are the search's own (up to gigabytes), and a serialisation
//! framework would first copy them into one value; streaming also lets the
//! checksum cover every byte without a second pass. A file is written to
//! `FILE.tmp`, synced and renamed over `FILE`, so a crash while writing
//! leaves the previous checkpoint intact. Reading checks the magic, every
//! array's size against what is left of the file before allocating it, and
//! the checksum, so a truncated or altered file is refused.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dcheck_model::system::{EvalError, FileId, Span, StepError, TransitionSystem, Word};
use xxhash_rust::xxh3::Xxh3;

use crate::disk::Disk;
use crate::graph::Recording;
use crate::links::Links;
use crate::seen::Seen;
use crate::{Coverage, MAX_IDS};

const MAGIC: [u8; 8] = *b"DCHKPT\x00\x02";
/// Version 3: a distributed search's worker's part.
const MAGIC_PART: [u8; 8] = *b"DCHKPT\x00\x03";
/// Version 1: no step predicates in the graph section.
const MAGIC_V1: [u8; 8] = *b"DCHKPT\x00\x01";

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
#[derive(Clone, Debug)]
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
    /// With temporal properties: the state graph of the expanded levels.
    pub graph: Option<SavedGraph>,
    /// A distributed search's worker's part (then `seen` and `frontier`
    /// are its own states only).
    pub part: Option<SavedPart>,
}

/// What a worker's checkpoint adds (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedPart {
    pub worker: usize,
    pub workers: usize,
    /// The states of the level to expand next, of all workers.
    pub level: usize,
    /// The positions in that level of this worker's frontier states.
    pub positions: Vec<u32>,
}

/// The file of worker `worker` of a distributed search checkpointed to
/// `path`.
pub fn part_path(path: &Path, worker: usize) -> PathBuf {
    suffixed(path, &format!(".worker{worker}"))
}

/// The previous file of a worker (see the module docs).
pub(crate) fn previous(path: &Path) -> PathBuf {
    suffixed(path, ".prev")
}

/// `path` with `suffix` appended to its file name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The recorded graph in a checkpoint: the rows of the states before the
/// frontier.
#[derive(Clone, Debug)]
pub struct SavedGraph {
    /// The id of every state of [`Snapshot::seen`], in the same order.
    pub ids: Vec<u32>,
    /// Rows: the states expanded (`offsets.len() - 1`).
    pub n: usize,
    pub predicates: usize,
    pub offsets: Vec<u64>,
    pub targets: Vec<u32>,
    pub labels: Vec<u32>,
    /// Per predicate, a bitset over the `n` states.
    pub preds: Vec<Vec<u64>>,
    pub edge_predicates: usize,
    /// Per step predicate, a bitset over the edges.
    pub edge_preds: Vec<Vec<u64>>,
    pub errors: Vec<(u32, StepError)>,
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
        // A BFS's links: the initial states first, then parents that never
        // decrease (what the compressed links, `crate::links`, store) and
        // come before their child, and transitions of this model.
        let links_ok = Links::from_packed(transitions as usize, &self.links)
            .is_ok_and(|l| l.roots() == initial)
            && self
                .links
                .iter()
                .enumerate()
                .skip(initial)
                .all(|(id, &l)| l >> 32 < id as u64);
        let has_liveness = !model.liveness_checks().is_empty();
        if self.graph.is_some() != has_liveness {
            return Err("it was written with other temporal properties".into());
        }
        let mut sorted = self.seen.clone();
        sorted.sort_unstable();
        let repeated = sorted.windows(2).any(|w| w[0] == w[1]);
        let shape_ok = match &self.part {
            // One worker's states: a subset of the stored ones, its
            // frontier at distinct increasing positions of the level.
            Some(part) => {
                part.positions.len() == frontier
                    && part.positions.windows(2).all(|w| w[0] < w[1])
                    && part
                        .positions
                        .last()
                        .is_none_or(|&p| (p as usize) < part.level)
                    && part.level <= distinct
                    && self.seen.len() <= distinct
                    && part.worker < part.workers
            }
            None => self.seen.len() == distinct && frontier <= distinct,
        };
        if !shape_ok
            || self.seen.contains(&0)
            || repeated
            || initial > distinct
            || distinct as u64 > MAX_IDS
            || !links_ok
        {
            return Err("its contents are inconsistent".into());
        }
        if let Some(g) = &self.graph {
            graph_fits(g, model, distinct, distinct - frontier)?;
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
    pub seen: &'a Seen,
    /// The disk store, whose runs hold the fingerprints not in `seen`.
    pub disk: Option<&'a Disk>,
    pub links: &'a Links,
    pub initial: &'a [Word],
    pub frontier: Frontier<'a>,
    pub coverage: &'a [Coverage],
    /// The graph a recording BFS has built (its current level not begun).
    pub graph: Option<&'a Recording>,
    /// A distributed search's worker: (worker, workers, level size,
    /// frontier positions).
    pub part: Option<(usize, usize, usize, &'a [u32])>,
}

/// Where the level to expand next is.
#[derive(Clone, Copy)]
pub(crate) enum Frontier<'a> {
    Words(&'a [Word]),
    /// This many states in the disk store's file of the level.
    OnDisk(usize),
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

/// Checks a saved graph against the model and the snapshot's sizes.
fn graph_fits<M: TransitionSystem>(
    g: &SavedGraph,
    model: &M,
    distinct: usize,
    rows: usize,
) -> Result<(), String> {
    let bad = || Err("its state graph is inconsistent".to_string());
    let transitions = model.transition_count() as u64;
    let edges = g.targets.len();
    if g.n != rows
        || g.predicates != model.predicate_count()
        || g.ids.len() != distinct
        || g.offsets.len() != g.n + 1
        || g.labels.len() != edges
        || g.preds.len() != g.predicates
        || g.preds.iter().any(|p| p.len() != g.n.div_ceil(64))
        || g.edge_predicates != model.edge_predicate_count()
        || g.edge_preds.len() != g.edge_predicates
        || g.edge_preds.iter().any(|p| p.len() != edges.div_ceil(64))
    {
        return bad();
    }
    let offsets_ok = g.offsets[0] == 0
        && g.offsets.windows(2).all(|w| w[0] <= w[1])
        && g.offsets[g.n] == edges as u64;
    let mut seen_id = vec![false; distinct];
    for &id in &g.ids {
        match seen_id.get_mut(id as usize) {
            Some(b) if !*b => *b = true,
            _ => return bad(),
        }
    }
    if !offsets_ok
        || g.targets.iter().any(|&t| t as usize >= distinct)
        || g.labels.iter().any(|&l| l as u64 >= transitions)
        || g.errors.iter().any(|(s, _)| *s as usize >= g.n)
    {
        return bad();
    }
    Ok(())
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

    /// `u32`s two to a word (the low half first), the last word padded.
    fn halves(&mut self, vs: impl IntoIterator<Item = u32>) -> std::io::Result<()> {
        let mut it = vs.into_iter();
        while let Some(a) = it.next() {
            let b = it.next().unwrap_or(0);
            self.word(a as u64 | (b as u64) << 32)?;
        }
        Ok(())
    }

    /// A byte string: its length, then its bytes padded to words.
    fn text(&mut self, t: &str) -> std::io::Result<()> {
        self.word(t.len() as u64)?;
        for chunk in t.as_bytes().chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(b))?;
        }
        Ok(())
    }
}

/// The temporary file a checkpoint is written to before the rename.
pub(crate) fn temporary(path: &Path) -> PathBuf {
    suffixed(path, ".tmp")
}

/// Writes `state` to `path` atomically (a temporary file, synced, then
/// renamed over `path`).
pub(crate) fn write(path: &Path, state: &State) -> std::io::Result<()> {
    write_temporary(path, state)?;
    std::fs::rename(temporary(path), path)?;
    sync_dir(path)
}

/// Moves the temporary file [`write_temporary`] wrote in place, the file
/// it replaces to [`previous`].
pub(crate) fn commit(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        std::fs::rename(path, previous(path))?;
    }
    std::fs::rename(temporary(path), path)?;
    sync_dir(path)
}

/// Makes the renames of `path` durable: syncs its directory (on Unix; a
/// no-op elsewhere), so that a power loss keeps the new name.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `state` to `path`'s temporary file, synced.
pub(crate) fn write_temporary(path: &Path, state: &State) -> std::io::Result<()> {
    let tmp = temporary(path);
    let file = File::create(&tmp)?;
    let mut w = Hashed {
        out: BufWriter::with_capacity(1 << 20, file),
        hash: Xxh3::with_seed(0),
    };
    let words = state.words.max(1);
    let magic = match state.part {
        Some(_) => MAGIC_PART,
        None => MAGIC,
    };
    w.out.write_all(&magic)?;
    w.hash.update(&magic);
    w.words([
        state.identity,
        state.words as u64,
        state.coverage.len() as u64,
        state.depth as u64,
        state.generated,
        (state.seen.len() as u64 + state.disk.map_or(0, Disk::stored)),
        state.links.len() as u64,
        (state.initial.len() / words) as u64,
        match state.frontier {
            Frontier::Words(f) => (f.len() / words) as u64,
            Frontier::OnDisk(n) => n as u64,
        },
        state.graph.is_some() as u64,
    ])?;
    w.words(state.seen.iter().map(|(fp, _)| fp))?;
    if let Some(disk) = state.disk {
        disk.each_stored(|fp| w.word(fp))?;
    }
    if state.graph.is_some() {
        w.words(state.seen.iter().map(|(_, id)| id as u64))?;
    }
    state.links.try_for_each(|l| w.word(l))?;
    w.words(state.initial.iter().copied())?;
    match (state.frontier, state.disk) {
        (Frontier::Words(f), _) => w.words(f.iter().copied())?,
        (Frontier::OnDisk(n), Some(disk)) => {
            disk.each_level_word(n * state.words, |x| w.word(x))?
        }
        (Frontier::OnDisk(_), None) => return Err(std::io::Error::other("no disk store")),
    }
    w.words(state.coverage.iter().flat_map(|c| [c.enabled, c.taken]))?;
    if let Some((worker, workers, level, positions)) = state.part {
        w.words([worker as u64, workers as u64, level as u64])?;
        w.halves(positions.iter().copied())?;
    }
    if let Some(rec) = state.graph {
        let g = &rec.graph;
        let edges = g.targets.len();
        w.words([
            g.n as u64,
            g.preds.len() as u64,
            edges as u64,
            rec.errors.len() as u64,
            g.edge_preds.len() as u64,
        ])?;
        w.words(g.offsets.iter())?;
        w.halves(g.targets.iter().copied())?;
        w.halves((0..edges).map(|e| g.labels.get(e)))?;
        for p in &g.preds {
            w.words(p.iter().copied())?;
        }
        for q in &g.edge_preds {
            w.words(q.iter().copied())?;
        }
        for (id, e) in &rec.errors {
            let span = e.error.span;
            w.words([
                *id as u64,
                e.transition.map_or(u64::MAX, |t| t as u64),
                span.map_or(0, |s| s.file.0 as u64 + 1),
                span.map_or(0, |s| s.start as u64),
                span.map_or(0, |s| s.end as u64),
            ])?;
            w.text(&e.error.message)?;
        }
    }
    let sum = w.hash.digest();
    w.out.write_all(&sum.to_le_bytes())?;
    let file = w.out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

/// Reads words, hashing them, never past the end the file's length
/// allows: an array is allocated only once the file is known to hold it.
struct Reader {
    r: BufReader<File>,
    hash: Xxh3,
    /// Bytes not yet read, the checksum included.
    left: u64,
}

impl Reader {
    fn short() -> ReadError {
        ReadError::Damaged("the file ends early (truncated?)".into())
    }

    fn word(&mut self) -> Result<u64, ReadError> {
        let mut b = [0u8; 8];
        if self.left < 16 {
            return Err(Reader::short());
        }
        self.r.read_exact(&mut b).map_err(|_| Reader::short())?;
        self.left -= 8;
        self.hash.update(&b);
        Ok(u64::from_le_bytes(b))
    }

    /// `n` words, after checking the file holds them (and the checksum).
    fn words(&mut self, n: u64) -> Result<Vec<u64>, ReadError> {
        if n.checked_mul(8)
            .is_none_or(|b| b > self.left.saturating_sub(8))
        {
            return Err(Reader::short());
        }
        let mut v = Vec::with_capacity(n as usize);
        for _ in 0..n {
            v.push(self.word()?);
        }
        Ok(v)
    }

    /// `n` u32s stored two to a word.
    fn halves(&mut self, n: u64) -> Result<Vec<u32>, ReadError> {
        let ws = self.words(n.div_ceil(2))?;
        let mut v: Vec<u32> = ws
            .iter()
            .flat_map(|&w| [w as u32, (w >> 32) as u32])
            .collect();
        v.truncate(n as usize);
        Ok(v)
    }

    fn text(&mut self) -> Result<String, ReadError> {
        let len = self.word()?;
        let ws = self.words(len.div_ceil(8))?;
        let mut bytes: Vec<u8> = ws.iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes.truncate(len as usize);
        String::from_utf8(bytes)
            .map_err(|_| ReadError::Damaged("an error message is not text".into()))
    }
}

/// Reads a checkpoint written by [`write`].
pub fn read(path: &Path) -> Result<Snapshot, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(format!("cannot read {}: {e}", path.display()));
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::Io(format!("{} is not a file", path.display())));
    }
    let mut r = Reader {
        r: BufReader::with_capacity(1 << 20, file),
        hash: Xxh3::with_seed(0),
        left: meta.len(),
    };
    let mut magic = [0u8; 8];
    if r.r.read_exact(&mut magic).is_err()
        || (magic != MAGIC && magic != MAGIC_V1 && magic != MAGIC_PART)
    {
        return Err(ReadError::NotACheckpoint);
    }
    let v1 = magic == MAGIC_V1;
    r.left = r.left.saturating_sub(8);
    r.hash.update(&magic);
    let header = r.words(10)?;
    let [identity, words, actions, depth, generated, seen_len, distinct, initial, frontier, graph] =
        header[..]
    else {
        return Err(Reader::short());
    };
    let too_big = |a: u64, b: u64| {
        a.checked_mul(b)
            .ok_or_else(|| ReadError::Damaged("its header gives impossible sizes".into()))
    };
    let seen = r.words(seen_len)?;
    let ids = if graph == 1 {
        Some(r.words(seen_len)?)
    } else {
        None
    };
    let links = r.words(distinct)?;
    let initial = r.words(too_big(initial, words)?)?;
    let frontier = r.words(too_big(frontier, words)?)?;
    let cov = r.words(too_big(actions, 2)?)?;
    let part = match magic == MAGIC_PART {
        false => None,
        true => {
            let h = r.words(3)?;
            Some(SavedPart {
                worker: h[0].min(u32::MAX as u64) as usize,
                workers: h[1].min(u32::MAX as u64) as usize,
                level: h[2].min(u32::MAX as u64) as usize,
                positions: r.halves(frontier.len() as u64 / words.max(1))?,
            })
        }
    };
    let graph = match ids {
        None => None,
        Some(ids) => {
            let h = r.words(if v1 { 4 } else { 5 })?;
            let (n, predicates, edges, errors) = (h[0], h[1], h[2], h[3]);
            let edge_predicates = h.get(4).copied().unwrap_or(0);
            let offsets = r.words(n.checked_add(1).ok_or_else(Reader::short)?)?;
            let targets = r.halves(edges)?;
            let labels = r.halves(edges)?;
            let mut preds = Vec::new();
            for _ in 0..predicates {
                preds.push(r.words(n.div_ceil(64))?);
            }
            let mut edge_preds = Vec::new();
            for _ in 0..edge_predicates {
                edge_preds.push(r.words(edges.div_ceil(64))?);
            }
            let mut errs = Vec::new();
            for _ in 0..errors {
                let e = r.words(5)?;
                let message = r.text()?;
                let span = (e[2] != 0).then(|| Span {
                    file: FileId((e[2] - 1) as u32),
                    start: e[3] as u32,
                    end: e[4] as u32,
                });
                errs.push((
                    e[0].min(u32::MAX as u64) as u32,
                    StepError {
                        transition: (e[1] != u64::MAX).then_some(e[1] as u32),
                        error: EvalError { message, span },
                    },
                ));
            }
            Some(SavedGraph {
                ids: ids.iter().map(|&i| i.min(u32::MAX as u64) as u32).collect(),
                n: n as usize,
                predicates: predicates as usize,
                offsets,
                targets,
                labels,
                preds,
                edge_predicates: edge_predicates as usize,
                edge_preds,
                errors: errs,
            })
        }
    };
    let digest = r.hash.digest();
    let mut b = [0u8; 8];
    if r.left != 8 {
        return Err(ReadError::Damaged(
            "it is longer than its header says".into(),
        ));
    }
    r.r.read_exact(&mut b).map_err(|_| Reader::short())?;
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
        graph,
        part,
    })
}
