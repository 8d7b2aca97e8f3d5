//! The level loop of a distributed search ([`crate::Config::cluster`]):
//! each worker runs it on the states it owns ([`crate::dist::owner`]), and
//! the workers agree on every decision through [`Comm`], so that counts,
//! ids, parent links, violations and traces are those of a search in one
//! process.
//!
//! A level is expanded in the batches of the one-process loop (positions
//! `MAX_BATCH` apart). In a batch, each worker expands its frontier states
//! with [`expand_chunk`], which sends each successor another worker owns
//! to that worker's buffer instead of the tables ([`Front::routed_away`]);
//! the buffers are exchanged, and what arrives is offered to the level
//! table like the one-process loop's overflow. The minimum key (position
//! of the parent, transition) still wins whatever the order of the
//! offers, so each worker's level table is the one-process table
//! restricted to its states. The workers then sum the batch's figures and
//! take the smallest violating key, and stop or go on together.
//!
//! At the end of a level every worker sends its new states' keys, sorted,
//! to every other (8 bytes a new state to each). Merged, they are the
//! level in id order: every worker appends the same parent links (so each
//! holds all of them, a few bytes a state, and any worker can rebuild any
//! trace), and a state's id is its rank there, which gives the next
//! level's positions and the `--max-states` cut.
//!
//! The violation a key names is found again by expanding the state at its
//! position alone ([`rederive`]), where its owner's words are sent to
//! every worker: the kind (which invariant, which error) never travels.
//!
//! Checkpoints: a file per worker, written at the same level by all, and
//! moved in place only once all have written theirs ([`save`]); a resume
//! takes the latest level every worker has ([`load`]).
//!
//! Not here (refused by the caller): recording the state graph
//! (liveness) and the disk store.

use std::sync::atomic::Ordering;
use std::time::Instant;

use dcheck_model::system::{TransitionSystem, Word};

use super::{expand_chunk, offer_all, Front, Pending, CHUNK, MAX_BATCH, MIN_LEVEL_TABLE};
use crate::checkpoint::{self, Checkpointing, Snapshot};
use crate::dist::{self, Comm, PeerError};
use crate::fingerprint_table::{max_entries, KeyedFingerprintTable};
use crate::links::Links;
use crate::seen::Seen;
use crate::trace::rebuild;
use crate::{
    collision_probability, coverage, invariant_issue, Config, Coverage, Limit, Outcome, PeerStats,
    Progress, Stats, Verdict, Violation, ViolationKind, MAX_IDS,
};

/// Runs the search on the workers of `config.cluster`; the outcome of this
/// process's first worker (every worker ends with the same figures).
pub(crate) fn run<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
) -> Outcome {
    let cluster = config.cluster.as_ref().expect("a distributed search");
    match dist::run(cluster, |comm| worker(model, config, progress, start, comm)) {
        Ok(mut outcomes) => outcomes.swap_remove(0),
        // The figures so far, as this process's first worker last
        // published them.
        Err(PeerError(e)) => Outcome {
            result: Verdict::Incomplete(Limit::Peer),
            liveness: Vec::new(),
            coverage: Vec::new(),
            stats: Stats {
                distinct_states: progress.distinct.load(Ordering::Relaxed),
                states_generated: progress.generated.load(Ordering::Relaxed),
                depth: progress.depth.load(Ordering::Relaxed) as u32,
                elapsed: start.elapsed(),
                peer_error: Some(e),
                ..Stats::default()
            },
        },
    }
}

/// One worker's part of the search.
struct Part {
    seen: Seen,
    level: KeyedFingerprintTable,
    links: Links,
    initial: Vec<Word>,
    /// This worker's states of the level being expanded, and their
    /// positions in it.
    frontier: Vec<Word>,
    positions: Vec<u32>,
    generated: u64,
    depth: u32,
    peak_bytes: u64,
    counts: coverage::Counts,
    /// Checkpoints written, and why the last one failed.
    checkpoints: u64,
    checkpoint_error: Option<String>,
}

impl Part {
    fn bytes(&self, transient: usize) -> u64 {
        self.seen.bytes()
            + self.level.bytes()
            + self.links.bytes()
            + ((self.initial.capacity()
                + self.frontier.capacity()
                + self.positions.capacity() / 2
                + transient)
                * 8) as u64
    }

    fn note_bytes(&mut self, transient: usize) -> u64 {
        let b = self.bytes(transient);
        self.peak_bytes = self.peak_bytes.max(b);
        b
    }
}

fn worker<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
    comm: &mut Comm,
) -> Result<Outcome, PeerError> {
    let mut part = Part {
        seen: Seen::new(false, config.threads),
        level: KeyedFingerprintTable::with_capacity(MIN_LEVEL_TABLE),
        links: Links::new(model.transition_count()),
        initial: Vec::new(),
        frontier: Vec::new(),
        positions: Vec::new(),
        generated: 0,
        depth: 0,
        peak_bytes: 0,
        counts: coverage::Counts::new(model.action_count()),
        checkpoints: 0,
        checkpoint_error: None,
    };
    let lead = is_lead(config, comm);
    let result = explore(model, config, progress, start, comm, &mut part)?;
    // Every worker returns from `explore` in the same round: the figures
    // below are gathered by all.
    let actions = model.action_count();
    let mine: Vec<u64> = coverage::sum(actions, [&part.counts])
        .iter()
        .flat_map(|c| [c.enabled, c.taken])
        .collect();
    let total = comm.all_sum(&mine)?;
    let coverage: Vec<Coverage> = total
        .chunks_exact(2)
        .map(|c| Coverage {
            enabled: c[0],
            taken: c[1],
        })
        .collect();
    let t = comm.traffic;
    let own = [
        part.seen.len() as u64,
        t.bytes_sent,
        t.bytes_received,
        t.waited.as_micros() as u64,
        part.peak_bytes,
    ];
    let workers = local_workers(config);
    let peers: Vec<PeerStats> = comm
        .all_gather(&own)?
        .into_iter()
        .enumerate()
        .map(|(w, v)| PeerStats {
            process: w / workers,
            states: v[0],
            bytes_sent: v[1],
            bytes_received: v[2],
            waited: std::time::Duration::from_micros(v[3]),
            bytes_used: v[4],
        })
        .collect();
    let distinct = part.links.len() as u64;
    if lead {
        progress.set(distinct, part.generated, 0, part.depth as u64);
    }
    Ok(Outcome {
        result,
        liveness: Vec::new(),
        coverage,
        stats: Stats {
            distinct_states: distinct,
            states_generated: part.generated,
            depth: part.depth,
            elapsed: start.elapsed(),
            bytes_used: peers.iter().map(|p| p.bytes_used).sum(),
            fingerprint_collision_probability: collision_probability(distinct, part.generated),
            checkpoints_written: part.checkpoints,
            checkpoint_error: part.checkpoint_error.clone(),
            peers,
            ..Stats::default()
        },
    })
}

/// Whether this worker publishes the progress: each process's first (all
/// workers have the same figures).
fn is_lead(config: &Config, comm: &Comm) -> bool {
    comm.index().is_multiple_of(local_workers(config))
}

/// The workers in each process.
fn local_workers(config: &Config) -> usize {
    config.cluster.as_ref().map_or(1, |c| c.workers.max(1))
}

/// Why a batch stopped the search, as the workers agree on it: the
/// smallest code any worker has (0: go on).
fn stop_code(limit: Option<Limit>) -> u64 {
    match limit {
        None => 0,
        Some(Limit::Interrupted) => 1,
        Some(Limit::Time) => 2,
        Some(Limit::Memory) => 3,
        Some(_) => 4,
    }
}

fn stop_of(code: u64) -> Option<Limit> {
    match code {
        0 => None,
        1 => Some(Limit::Interrupted),
        2 => Some(Limit::Time),
        _ => Some(Limit::Memory),
    }
}

fn explore<M: TransitionSystem>(
    model: &M,
    config: &Config,
    progress: &Progress,
    start: Instant,
    comm: &mut Comm,
    s: &mut Part,
) -> Result<Verdict, PeerError> {
    let (me, peers) = (comm.index(), comm.peers());
    let lead = is_lead(config, comm);
    let words = model.state_words();
    let state_limit = config.max_states.unwrap_or(u64::MAX).min(MAX_IDS);
    let viewed = model.view_words() > 0;
    let local_workers = local_workers(config) as u64;
    let action_of = coverage::action_table(model);
    let mut scratch = model.scratch();
    let mut pending = Pending::default();

    let cluster = config.cluster.as_ref().expect("a distributed search");
    let (mut n, mut frontier_base) = match &cluster.resume {
        Some(path) => {
            let identity = config.checkpoint.as_ref().map_or(0, |c| c.identity);
            let snap = load(model, comm, path, identity)?;
            let part = snap.part.expect("a worker's checkpoint");
            let mut seen = snap.seen;
            seen.sort_unstable();
            s.seen.add_sorted(&seen, &[]);
            s.links = Links::from_packed(model.transition_count(), &snap.links)
                .expect("a checkpoint that fits has BFS links");
            s.initial = snap.initial;
            s.frontier = snap.frontier;
            s.positions = part.positions;
            s.generated = snap.generated;
            s.depth = snap.depth;
            s.counts = coverage::Counts::from_coverage(&snap.coverage);
            (part.level, (s.links.len() - part.level) as u32)
        }
        None => {
            // Level 0: every worker loads the initial states (all of them:
            // traces start there) and keeps those it owns.
            let roots = crate::roots(model, &mut scratch, state_limit, true);
            s.generated = roots.generated;
            if let Err(e) = roots.init {
                return Ok(Verdict::Violation(Violation::at_init(e)));
            }
            let mut own: Vec<u64> = Vec::new();
            for (i, &fp) in roots.fps.iter().enumerate() {
                if dist::owner(fp, peers) == me {
                    own.push(fp);
                    s.positions.push(i as u32);
                    s.frontier
                        .extend_from_slice(&roots.words[i * words..(i + 1) * words]);
                }
            }
            own.sort_unstable();
            s.seen.add_sorted(&own, &[]);
            s.links.push_roots(roots.fps.len());
            s.initial = roots.words;
            if let Some(v) = crate::root_violation(model, &mut scratch, &s.initial, s.links.len())
                .or(roots.rejected)
            {
                return Ok(Verdict::Violation(v));
            }
            if roots.cut {
                return Ok(Verdict::Incomplete(Limit::States));
            }
            (s.links.len(), 0u32)
        }
    };
    // Checkpoints: worker 0's clock decides when (every worker writes at
    // the same level).
    let mut last_write = Instant::now();
    let mut level_generated = s.generated;
    let mut level_counts = s.counts.clone();
    let (mut expanded_total, mut new_total) = (0u64, 0u64);
    // Scratch for `fewest`.
    let mut combine = KeyedFingerprintTable::with_capacity(MIN_LEVEL_TABLE);
    if lead {
        progress.set(s.links.len() as u64, s.generated, n as u64, s.depth as u64);
    }
    loop {
        if n == 0 {
            return Ok(Verdict::Ok);
        }
        if let Some(cp) = &config.checkpoint {
            level_generated = s.generated;
            level_counts = s.counts.clone();
            let due = lead && last_write.elapsed() >= cp.every;
            if comm.all_gather(&[due as u64])?[0][0] == 1 {
                save(model, comm, cp, s, n, (level_generated, &level_counts))?;
                last_write = Instant::now();
            }
        }
        if config.max_depth.is_some_and(|md| s.depth >= md) {
            if let Some(cp) = &config.checkpoint {
                save(model, comm, cp, s, n, (level_generated, &level_counts))?;
            }
            return Ok(Verdict::Incomplete(Limit::Depth));
        }
        let mut level_fps: Vec<u64> = Vec::new();
        let mut new_words: Vec<Word> = Vec::new();
        let mut stop: Option<Limit> = None;
        // The smallest violating key of the level, and whether it is in a
        // successor (or in the expanded state).
        let mut found: Option<(u64, bool)> = None;
        let mut pos = 0usize;
        while pos < n {
            let end = (pos + MAX_BATCH).min(n);
            let a = s.positions.partition_point(|&q| (q as usize) < pos);
            let b = s.positions.partition_point(|&q| (q as usize) < end);
            let per_state =
                (2 * (new_total + 4 * CHUNK as u64)).div_ceil(expanded_total + CHUNK as u64);
            let want = ((b - a) as u64 * per_state).min(MAX_IDS) as usize + 16;
            s.level.reserve(want);
            let mut room = max_entries(s.level.capacity()) - s.level.len();
            let front = Front::owned(&s.frontier, &s.positions, Some((me, peers)));
            let mut remote: Vec<Vec<u64>> = vec![Vec::new(); peers];
            let mut overflow = Pending::default();
            let mut events: Vec<(u64, ViolationKind, bool)> = Vec::new();
            let mut issues: Vec<(u64, ViolationKind)> = Vec::new();
            let mut generated = 0u64;
            let before = level_fps.len();
            for c in (a..b).step_by(CHUNK) {
                let out = expand_chunk(
                    model,
                    config,
                    true,
                    None,
                    &mut scratch,
                    &mut pending,
                    &mut s.counts,
                    &action_of,
                    &s.seen,
                    &s.level,
                    (front, &mut remote),
                    words,
                    c,
                    (c + CHUNK).min(b),
                    room,
                );
                room -= out.fps.len();
                generated += out.generated;
                level_fps.extend_from_slice(&out.fps);
                new_words.extend_from_slice(&out.words);
                events.extend(out.events);
                issues.extend(out.issues);
                overflow.append(&out.overflow, words);
            }
            s.level.add_len(level_fps.len() - before);
            // The successors this worker owns, from every worker: offered
            // like the overflow (see the module docs). Each goes once, with
            // its smallest key.
            for r in remote.iter_mut() {
                *r = fewest(r, words, &mut combine);
            }
            let sent: u64 = remote.iter().map(|r| r.len() as u64).sum();
            for buf in comm.exchange(remote)? {
                for succ in buf.chunks_exact(2 + words) {
                    let f = &mut overflow.filling;
                    f.keys.push(succ[0]);
                    f.fps.push(succ[1]);
                    f.words.extend_from_slice(&succ[2..]);
                }
            }
            if !overflow.is_empty() {
                s.level.reserve(overflow.len());
                offer_all(
                    model,
                    &mut scratch,
                    (&s.seen, &mut s.level),
                    &mut overflow,
                    front,
                    (&mut level_fps, &mut new_words),
                    // With a view, checked once settled (`settle`).
                    (!viewed).then_some(&mut issues),
                );
            }
            expanded_total += (b - a) as u64;
            new_total += (level_fps.len() - before) as u64;
            // This worker's smallest violating key in the batch.
            let mut mine: Option<(u64, bool)> = None;
            for (k, _, successor) in &events {
                if mine.is_none_or(|m| *k < m.0) {
                    mine = Some((*k, *successor));
                }
            }
            for (fp, _) in &issues {
                let k = s
                    .level
                    .key(s.level.find(*fp).expect("new state in the level table"));
                if mine.is_none_or(|m| k < m.0) {
                    mine = Some((k, true));
                }
            }
            let bytes = s.note_bytes(new_words.capacity() + level_fps.capacity() + sent as usize);
            // The process's limit, shared by its workers.
            let over = config
                .memory_limit()
                .is_some_and(|m| bytes > m / local_workers);
            let local_stop = if over {
                Some(Limit::Memory)
            } else {
                crate::stop_reason(config, start)
            };
            let (mk, ms) = mine.map_or((u64::MAX, 0), |(k, t)| (k, t as u64));
            let figures = [
                generated,
                s.level.len() as u64,
                mk,
                ms,
                stop_code(local_stop),
            ];
            let all = comm.all_gather(&figures)?;
            s.generated += all.iter().map(|f| f[0]).sum::<u64>();
            let level_total: u64 = all.iter().map(|f| f[1]).sum();
            found = all
                .iter()
                .filter(|f| f[2] != u64::MAX)
                .map(|f| (f[2], f[3] == 1))
                .min();
            let code = all.iter().map(|f| f[4]).filter(|&c| c > 0).min();
            pos = end;
            if lead {
                progress.set(
                    s.links.len() as u64 + level_total,
                    s.generated,
                    (n - pos) as u64 + level_total,
                    s.depth as u64,
                );
            }
            if found.is_some() {
                break;
            }
            if s.links.len() as u64 + level_total > state_limit {
                stop = Some(Limit::States);
                break;
            }
            if let Some(c) = code {
                stop = stop_of(c);
                break;
            }
        }
        // With a view, the state kept for a fingerprint is the successor
        // by its minimum key (see `settle_views`), computed by the owner
        // of its parent; its invariants are checked here, whether or not a
        // batch found a violation (a settled state's key may be smaller).
        if viewed {
            let issues = settle(model, comm, &mut scratch, s, &level_fps, &mut new_words)?;
            let mine = issues.iter().map(|&(k, _)| k).min().unwrap_or(u64::MAX);
            let least = comm
                .all_gather(&[mine])?
                .into_iter()
                .map(|v| v[0])
                .min()
                .unwrap_or(u64::MAX);
            if least != u64::MAX && found.is_none_or(|f| least < f.0) {
                found = Some((least, true));
            }
        }
        // A stop without a violation (the views settled: a settled state
        // may show one): the search as it was at the start of the level,
        // before any of it is stored.
        if let (Some(cp), Some(_), None) = (&config.checkpoint, stop, found) {
            save(model, comm, cp, s, n, (level_generated, &level_counts))?;
        }
        // Store: this worker's new states by key, the level's keys from
        // every worker, merged into id order.
        let mut order: Vec<(u64, u32)> = level_fps
            .iter()
            .enumerate()
            .map(|(i, &fp)| {
                let slot = s.level.find(fp).expect("new state in the level table");
                (s.level.key(slot), i as u32)
            })
            .collect();
        order.sort_unstable();
        s.level.clear();
        let keys: Vec<u64> = order.iter().map(|o| o.0).collect();
        let lists = comm.all_gather(&keys)?;
        drop(keys);
        let total: usize = lists.iter().map(Vec::len).sum();
        // (A resume may bring a lower limit than the states stored.)
        let keep = (total as u64).min(state_limit.saturating_sub(s.links.len() as u64)) as usize;
        if keep < total && found.is_none() {
            stop.get_or_insert(Limit::States);
        }
        // The level in id order: the workers' sorted lists merged (each
        // key is in one list); the links of the first `keep`, and the
        // ranks of this worker's states, as they come.
        s.links.reserve(keep);
        let mut heads: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> = lists
            .iter()
            .enumerate()
            .filter_map(|(w, l)| l.first().map(|&k| std::cmp::Reverse((k, w))))
            .collect();
        let mut at = vec![0usize; lists.len()];
        let mut ranks: Vec<u32> = Vec::with_capacity(order.len());
        for rank in 0..keep {
            let std::cmp::Reverse((k, w)) = heads.pop().expect("keep <= total");
            s.links.push(frontier_base + (k >> 32) as u32, k as u32);
            if w == me {
                ranks.push(rank as u32);
            }
            at[w] += 1;
            if let Some(&next) = lists[w].get(at[w]) {
                heads.push(std::cmp::Reverse((next, w)));
            }
        }
        drop(heads);
        let mut next: Vec<Word> = Vec::with_capacity(ranks.len() * words);
        let mut stored: Vec<u64> = Vec::with_capacity(ranks.len());
        for &(_, i) in &order[..ranks.len()] {
            let i = i as usize;
            next.extend_from_slice(&new_words[i * words..(i + 1) * words]);
            stored.push(level_fps[i]);
        }
        let next_positions = ranks;
        s.note_bytes(total + new_words.capacity() + stored.capacity() + next.capacity());
        drop(lists);
        stored.sort_unstable();
        s.seen.add_sorted(&stored, &[]);

        if let Some((k, successor)) = found {
            let p = (k >> 32) as usize;
            // The expanded state's words, from its owner, to find the
            // violation again.
            let held = Front::owned(&s.frontier, &s.positions, None);
            let parent = comm
                .all_gather(held.at(p, words).unwrap_or(&[]))?
                .into_iter()
                .find(|w| w.len() == words && words > 0)
                .unwrap_or_else(|| vec![0; words]);
            let kind = rederive(model, config, &mut scratch, &parent, p, k);
            let id = frontier_base + p as u32;
            let then = successor.then_some(k as u32);
            let links = &s.links;
            let r = rebuild(
                model,
                &mut scratch,
                &s.initial,
                |i| links.try_get(i).unwrap_or(crate::ROOT_LINK),
                id,
                then,
            );
            if keep > 0 {
                s.depth += 1;
            }
            return Ok(Verdict::Violation(Violation::path(kind, r)));
        }
        frontier_base += n as u32;
        n = keep;
        s.frontier = next;
        s.positions = next_positions;
        if n > 0 {
            s.depth += 1;
        }
        if lead {
            progress.set(s.links.len() as u64, s.generated, n as u64, s.depth as u64);
        }
        if let Some(limit) = stop {
            return Ok(Verdict::Incomplete(limit));
        }
    }
}

/// A buffer of successors (key, fingerprint, words; see
/// [`Front::routed_away`]) with one entry per fingerprint, the one with the
/// smallest key: what the owner's level table would keep of them anyway.
/// A state is often reached from several parents of a batch; sending it
/// once cut the bytes a 2pc N=9 run sends from 98 to 37 a distinct state
/// (the `distributed` figures). `table` is scratch space, left empty.
fn fewest(buf: &[u64], words: usize, table: &mut KeyedFingerprintTable) -> Vec<u64> {
    let w = 2 + words;
    let n = buf.len() / w;
    table.reserve(n);
    let mut firsts: Vec<u32> = Vec::new();
    for (i, succ) in buf.chunks_exact(w).enumerate() {
        if table.insert_min(succ[1], succ[0]).new {
            firsts.push(i as u32);
        }
    }
    table.add_len(firsts.len());
    let mut out = Vec::with_capacity(firsts.len() * w);
    for i in firsts {
        let succ = &buf[i as usize * w..(i as usize + 1) * w];
        let slot = table.find(succ[1]).expect("just inserted");
        out.push(table.key(slot));
        out.extend_from_slice(&succ[1..]);
    }
    table.clear();
    out
}

/// Writes every worker's checkpoint of the level about to be expanded
/// (`n` states; the figures it started with): each its temporary file,
/// then, once all have, each moves it in place (see [`checkpoint`]). A
/// failure is recorded and the search goes on.
fn save<M: TransitionSystem>(
    model: &M,
    comm: &mut Comm,
    cp: &Checkpointing,
    s: &mut Part,
    n: usize,
    (generated, counts): (u64, &coverage::Counts),
) -> Result<(), PeerError> {
    let (me, peers) = (comm.index(), comm.peers());
    let path = checkpoint::part_path(&cp.path, me);
    let coverage = coverage::sum(model.action_count(), [counts]);
    let state = checkpoint::State {
        identity: cp.identity,
        words: model.state_words(),
        depth: s.depth,
        generated,
        seen: &s.seen,
        disk: None,
        links: &s.links,
        initial: &s.initial,
        frontier: checkpoint::Frontier::Words(&s.frontier),
        coverage: &coverage,
        graph: None,
        part: Some((me, peers, n, &s.positions)),
    };
    let written = checkpoint::write_temporary(&path, &state);
    let all = comm.all_gather(&[written.is_ok() as u64])?;
    let failed = all.iter().position(|v| v[0] == 0);
    let result = match (failed, written) {
        (None, Ok(())) => checkpoint::commit(&path),
        (_, Err(e)) => Err(e),
        (Some(w), Ok(())) => Err(std::io::Error::other(format!(
            "worker {w} could not write its part"
        ))),
    };
    // Every worker reports a commit that failed anywhere: from then on
    // the workers' files may hold no common level.
    let committed = comm.all_gather(&[result.is_ok() as u64])?;
    match (result, committed.iter().position(|v| v[0] == 0)) {
        (Ok(()), None) => s.checkpoints += 1,
        (Ok(()), Some(w)) => {
            s.checkpoint_error = Some(format!(
                "worker {w} could not move its part of the checkpoint {} in place",
                cp.path.display()
            ))
        }
        (Err(e), _) => {
            let _ = std::fs::remove_file(checkpoint::temporary(&path));
            s.checkpoint_error = Some(format!(
                "cannot write the checkpoint {}: {e}",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The checkpoint this worker resumes: of its two files (`part_path` and
/// its `.prev`), the one of the latest level every worker has.
fn load<M: TransitionSystem>(
    model: &M,
    comm: &mut Comm,
    path: &std::path::Path,
    identity: u64,
) -> Result<Snapshot, PeerError> {
    let (me, peers) = (comm.index(), comm.peers());
    let mine = checkpoint::part_path(path, me);
    let mut why: Vec<String> = Vec::new();
    let mut found: Vec<Snapshot> = Vec::new();
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for file in [checkpoint::previous(&mine), mine.clone()] {
        let read = checkpoint::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|snap| snap.fits(model, identity).map(|()| snap));
        match read {
            Ok(snap)
                if snap
                    .part
                    .as_ref()
                    .is_some_and(|p| p.worker == me && p.workers == peers) =>
            {
                files.push(file.clone());
                found.push(snap)
            }
            Ok(_) => why.push(format!("{}: written by another worker", file.display())),
            Err(e) => why.push(format!("{}: {e}", file.display())),
        }
    }
    // A level is named by the states stored at its start.
    let levels: Vec<u64> = found.iter().map(|s| s.links.len() as u64).collect();
    let all = comm.all_gather(&levels)?;
    let common = levels
        .iter()
        .copied()
        .filter(|l| all.iter().all(|w| w.contains(l)))
        .max();
    match common {
        Some(level) => {
            let at = found
                .iter()
                .position(|s| s.links.len() as u64 == level)
                .expect("a level of this worker");
            // Found in the older file (this worker had written a newer
            // level the others had not): that file becomes the current
            // one, so that the next commit keeps the agreed level as the
            // previous.
            if files[at] != mine {
                let _ = std::fs::rename(&files[at], &mine);
            }
            Ok(found.swap_remove(at))
        }
        None => Err(PeerError(format!(
            "cannot resume: no checkpoint level that every worker has (worker {me}: {})",
            if why.is_empty() {
                "its files are of other levels".to_string()
            } else {
                why.join("; ")
            }
        ))),
    }
}

/// Settles the views of this worker's new states (`fps`, words in
/// `new_words`): each becomes the successor its minimum key names, computed
/// here if this worker holds the parent, else asked of every worker (the
/// parent's owner answers). Returns the invariant violations of the
/// settled states, by key. Every worker calls it in the same round.
fn settle<M: TransitionSystem>(
    model: &M,
    comm: &mut Comm,
    scratch: &mut M::Scratch,
    s: &Part,
    fps: &[u64],
    new_words: &mut [Word],
) -> Result<Vec<(u64, ViolationKind)>, PeerError> {
    let words = model.state_words();
    let front = Front::owned(&s.frontier, &s.positions, None);
    let keys: Vec<u64> = fps
        .iter()
        .map(|&fp| {
            s.level
                .key(s.level.find(fp).expect("new state in the level table"))
        })
        .collect();
    let mut next = vec![0; words];
    let mut asks: Vec<u64> = Vec::new();
    let mut asked: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (i, &k) in keys.iter().enumerate() {
        match front.at((k >> 32) as usize, words) {
            Some(parent) => {
                if let Ok(true) = model.step(scratch, parent, k as u32, &mut next) {
                    new_words[i * words..(i + 1) * words].copy_from_slice(&next);
                }
            }
            None => {
                asks.push(k);
                asked.insert(k, i);
            }
        }
    }
    let all = comm.all_gather(&asks)?;
    let me = comm.index();
    let mut answers: Vec<Vec<u64>> = vec![Vec::new(); all.len()];
    for (w, list) in all.iter().enumerate() {
        if w == me {
            continue;
        }
        for &k in list {
            if let Some(parent) = front.at((k >> 32) as usize, words) {
                if let Ok(true) = model.step(scratch, parent, k as u32, &mut next) {
                    answers[w].push(k);
                    answers[w].extend_from_slice(&next);
                }
            }
        }
    }
    for buf in comm.exchange(answers)? {
        for a in buf.chunks_exact(1 + words) {
            if let Some(&i) = asked.get(&a[0]) {
                new_words[i * words..(i + 1) * words].copy_from_slice(&a[1..]);
            }
        }
    }
    let mut issues = Vec::new();
    for (i, &k) in keys.iter().enumerate() {
        let st = &new_words[i * words..(i + 1) * words];
        let parent = front.at((k >> 32) as usize, words);
        if let Some(kind) = invariant_issue(model, scratch, parent, st) {
            issues.push((k, kind));
        }
    }
    Ok(issues)
}

/// The violation with key `k` (position `p`, transition): found again by
/// expanding the state at `p` alone, with tables of its own (grown until
/// every successor fits), exactly as the search expanded it.
fn rederive<M: TransitionSystem>(
    model: &M,
    config: &Config,
    scratch: &mut M::Scratch,
    parent: &[Word],
    p: usize,
    k: u64,
) -> ViolationKind {
    let words = model.state_words();
    let action_of = coverage::action_table(model);
    let positions = [p as u32];
    let front = Front::owned(parent, &positions, None);
    let mut capacity = MIN_LEVEL_TABLE;
    loop {
        let seen = Seen::new(false, 1);
        let level = KeyedFingerprintTable::with_capacity(capacity);
        let mut pending = Pending::default();
        let mut counts = coverage::Counts::new(model.action_count());
        let out = expand_chunk(
            model,
            config,
            true,
            None,
            scratch,
            &mut pending,
            &mut counts,
            &action_of,
            &seen,
            &level,
            (front, &mut []),
            words,
            0,
            1,
            max_entries(capacity),
        );
        if !out.overflow.is_empty() {
            capacity *= 4;
            continue;
        }
        if let Some((_, kind, _)) = out.events.into_iter().find(|e| e.0 == k) {
            return kind;
        }
        for (fp, kind) in out.issues {
            if level.find(fp).map(|slot| level.key(slot)) == Some(k) {
                return kind;
            }
        }
        // With a view the search checks the successor its key names (see
        // `settle`), which the chunk left unchecked.
        let mut next = vec![0; words];
        if model.view_words() > 0 && k as u32 != u32::MAX {
            if let Ok(true) = model.step(scratch, parent, k as u32, &mut next) {
                if let Some(kind) = invariant_issue(model, scratch, Some(parent), &next) {
                    return kind;
                }
            }
        }
        // Not found again: the model is not deterministic (the trace's
        // replay says so too); report the step it names.
        return ViolationKind::EvalError(dcheck_model::system::StepError {
            transition: (k as u32 != u32::MAX).then_some(k as u32),
            error: dcheck_model::system::EvalError::new(
                "the violation a worker found did not show again when its state was expanded again (is the model deterministic?)",
            ),
        });
    }
}
