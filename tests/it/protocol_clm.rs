//! Chandy-Lamport snapshots (`specs/chandy_lamport.ron`) and Maekawa's
//! mutual exclusion (`specs/maekawa.ron`, version 2, and
//! `specs/bugs/maekawa_v1.ron`, version 1) through the CLI.
//!
//! Verdicts, trace lengths and trace contents are derived by hand in the
//! comments. State counts are pinned only against an independent source:
//! a hand count (Maekawa, N = 1) or the reference model below (a direct
//! Rust implementation of the Chandy-Lamport transitions, sharing no code
//! with dcheck, explored by a plain breadth-first search).

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value as Json;

use crate::common;

use common::dcheck_json as run;
use common::{action_names as actions, counts};

const CL: &str = "specs/chandy_lamport.ron";
const MK: &str = "specs/maekawa.ron";
const MK1: &str = "specs/bugs/maekawa_v1.ron";

/// `name -> status` of the JSON `properties` list.
fn statuses(j: &Json) -> HashMap<String, String> {
    j["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn tally(actions: &[String]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for a in actions {
        *m.entry(a.as_str()).or_insert(0) += 1;
    }
    m
}

// ---------------------------------------------------------------------------
// Reference model of specs/chandy_lamport.ron on FIFO channels.

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum M {
    Token,
    Marker,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Cl {
    tokens: Vec<u8>,
    recorded: Vec<bool>,
    rec_tokens: Vec<u8>,
    /// `marker_from[p][q]`: p received the marker on channel q -> p.
    marker_from: Vec<Vec<bool>>,
    /// `chan_rec[p][q]`: tokens recorded on channel q -> p.
    chan_rec: Vec<Vec<u8>>,
    /// `chan[src][dst]`, FIFO.
    chan: Vec<Vec<VecDeque<M>>>,
}

impl Cl {
    fn init(n: usize, t: u8) -> Cl {
        let mut tokens = vec![0; n];
        tokens[0] = t;
        Cl {
            tokens,
            recorded: vec![false; n],
            rec_tokens: vec![0; n],
            marker_from: vec![vec![false; n]; n],
            chan_rec: vec![vec![0; n]; n],
            chan: vec![vec![VecDeque::new(); n]; n],
        }
    }

    fn record(&mut self, p: usize) {
        let n = self.tokens.len();
        self.recorded[p] = true;
        self.rec_tokens[p] = self.tokens[p];
        for q in 0..n {
            if q != p {
                self.chan[p][q].push_back(M::Marker);
            }
        }
    }

    fn complete(&self) -> bool {
        let n = self.tokens.len();
        (0..n).all(|p| self.recorded[p] && (0..n).all(|q| q == p || self.marker_from[p][q]))
    }

    fn recorded_total(&self) -> u32 {
        let procs: u32 = self.rec_tokens.iter().map(|&x| x as u32).sum();
        let chans: u32 = self.chan_rec.iter().flatten().map(|&x| x as u32).sum();
        procs + chans
    }

    /// One successor per enabled transition: SendToken(p, q), Initiate(p),
    /// receive Token / Marker at p from q (head of channel q -> p).
    fn successors(&self) -> Vec<Cl> {
        let n = self.tokens.len();
        let mut out = Vec::new();
        for p in 0..n {
            for q in 0..n {
                if self.tokens[p] > 0 && q != p {
                    let mut s = self.clone();
                    s.tokens[p] -= 1;
                    s.chan[p][q].push_back(M::Token);
                    out.push(s);
                }
            }
            if !self.recorded[p] {
                let mut s = self.clone();
                s.record(p);
                out.push(s);
            }
        }
        for p in 0..n {
            for q in 0..n {
                if self.chan[q][p].front() == Some(&M::Token) {
                    let mut s = self.clone();
                    s.chan[q][p].pop_front();
                    s.tokens[p] += 1;
                    if s.recorded[p] && !s.marker_from[p][q] {
                        s.chan_rec[p][q] += 1;
                    }
                    out.push(s);
                }
                if self.chan[q][p].front() == Some(&M::Marker) {
                    let mut s = self.clone();
                    s.chan[q][p].pop_front();
                    if !s.recorded[p] {
                        s.record(p);
                    }
                    s.marker_from[p][q] = true;
                    out.push(s);
                }
            }
        }
        out
    }
}

/// (distinct, generated) by TLC's conventions; asserts ConsistentSnapshot
/// in every state on the way.
fn cl_reference(n: usize, t: u8) -> (u64, u64) {
    let init = Cl::init(n, t);
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert(init.clone());
    queue.push_back(init);
    let mut generated = 1u64;
    while let Some(s) = queue.pop_front() {
        assert!(!s.complete() || s.recorded_total() == t as u32);
        for next in s.successors() {
            generated += 1;
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    (seen.len() as u64, generated)
}

// ---------------------------------------------------------------------------
// Chandy-Lamport

/// On FIFO channels the snapshot is consistent and, under `weak delivery`,
/// completes once started; the counts are the reference model's.
#[test]
fn chandy_lamport_holds_on_fifo_channels() {
    let (code, j, err) = run(&[CL, "--threads", "2"]);
    assert_eq!(code, 0, "{err}{j:#}");
    let st = statuses(&j);
    for p in ["ConsistentSnapshot", "deadlock", "SnapshotTerminates"] {
        assert_eq!(st[p], "holds", "{p}: {j:#}");
    }
    assert_eq!(counts(&j), cl_reference(3, 2), "{j:#}");
}

#[test]
fn chandy_lamport_counts_match_the_reference_model() {
    for (n, t) in [(2usize, 1u8), (2, 2), (3, 1)] {
        let (ns, ts) = (n.to_string(), t.to_string());
        let (code, j, err) = run(&[
            CL,
            "--const",
            &format!("N={ns}"),
            "--const",
            &format!("T={ts}"),
        ]);
        assert_eq!(code, 0, "N={n} T={t}: {err}{j:#}");
        assert_eq!(counts(&j), cl_reference(n, t), "N={n} T={t}: {j:#}");
    }
}

/// Over unordered channels (the network flag only) a marker can overtake a
/// token sent before it. Shortest counterexample, N = 3, T = 2: completion
/// needs an Initiate and the delivery of all 6 markers (one per channel,
/// each sent once), 7 steps in which no token moves, so the count is right;
/// an 8th step must make it wrong, and the only single step that can is a
/// SendToken by process 1 (the only holder) before it records, whose token
/// is still in flight when the snapshot completes: recorded nowhere, so the
/// total is T - 1 = 1 with every channel recorded empty. (Counting a token
/// twice needs its send and its delivery: 9 steps.)
#[test]
fn chandy_lamport_is_refuted_on_unordered_channels() {
    let (code, j, err) = run(&[CL, "--threads", "2", "--network", "unordered"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "ConsistentSnapshot");
    let acts = actions(&j);
    assert_eq!(acts.len(), 8, "{acts:?}");
    let n = tally(&acts);
    assert_eq!(n["SendToken"], 1, "{acts:?}");
    assert_eq!(n["Initiate"], 1, "{acts:?}");
    assert_eq!(n["deliver_Marker_to_Process"], 6, "{acts:?}");
    let last = &v["trace"][8]["state"];
    let rec: u64 = (1..=3)
        .map(|p| last["recTokens"][p.to_string()].as_u64().unwrap())
        .sum();
    assert_eq!(rec, 1, "{last:#}");
    for p in 1..=3 {
        for q in 1..=3 {
            assert_eq!(last["chanRec"][p.to_string()][q.to_string()], 0);
        }
    }
    // The lost token: the one message left in flight.
    let net = last["net"].as_array().unwrap();
    assert_eq!(net.len(), 1, "{last:#}");
    assert_eq!(net[0][0][2], "Token");
    assert_eq!(net[0][1], 1);
}

/// Without fairness a started snapshot need not complete. Under TLA+'s
/// semantics the shortest violation stops right after Initiate (the
/// initial state has no snapshot to complete): prefix 1 step, stuttering.
/// Under the progress assumption tokens circulate forever while a marker
/// waits. The shortest prefix is one step: the
/// initial state has no recorded process and only Initiate records one
/// (markers exist only after an Initiate). On the cycle the snapshot
/// variables cannot change (recorded, markerFrom and chanRec only grow; a
/// cycle returns to its start), so it has no Initiate and no marker
/// delivery: only SendToken and token deliveries.
#[test]
fn chandy_lamport_termination_needs_fair_delivery() {
    let (code, j, err) = run(&[CL, "--threads", "2", "--fairness", "none"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(actions(&j), ["Initiate"]);
    assert_eq!(j["violation"]["stutters"], true);

    let (code, j, err) = run(&[CL, "--fairness", "none", "--assume-progress"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(v["property"], "SnapshotTerminates");
    assert_eq!(v["loop_start"], 1, "{v:#}");
    let acts = actions(&j);
    assert_eq!(acts[0], "Initiate");
    assert!(acts.len() > 1, "a cycle, not stuttering: {acts:?}");
    for a in &acts[1..] {
        assert!(
            a == "SendToken" || a == "deliver_Token_to_Process",
            "{acts:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Maekawa

/// Version 2: mutual exclusion, deadlock freedom and eventual entry hold.
#[test]
fn maekawa_v2_holds() {
    let (code, j, err) = run(&[MK, "--threads", "2"]);
    assert_eq!(code, 0, "{err}{j:#}");
    let st = statuses(&j);
    for p in [
        "MutualExclusion",
        "LocksHeld",
        "QuorumsIntersect",
        "deadlock",
        "EventualEntry",
    ] {
        assert_eq!(st[p], "holds", "{p}: {j:#}");
    }
}

/// With each site entering at most R times every behaviour is finite and
/// ends in a state without enabled action, which (deadlock freedom) is
/// terminal: under the progress assumption EventualEntry holds even
/// without fairness. Under TLA+'s semantics a behaviour may stop anywhere
/// without fairness, for instance right after a site's request: violated.
#[test]
fn maekawa_v2_entry_without_fairness_since_runs_are_finite() {
    let (code, j, err) = run(&[MK, "--fairness", "none", "--assume-progress"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(statuses(&j)["EventualEntry"], "holds");
    let (code, j, err) = run(&[MK, "--fairness", "none"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(statuses(&j)["EventualEntry"], "violated");
    assert_eq!(j["violation"]["stutters"], true);
}

/// N = 1 by hand: R_1 = {1}, so the run is one line: Request, deliver
/// Request (lock, Reply), deliver Reply, Enter, Exit (Release), deliver
/// Release. 7 states, each with exactly one enabled transition except the
/// last: 7 distinct, 1 + 6 = 7 generated.
#[test]
fn maekawa_single_site_by_hand() {
    let (code, j, err) = run(&[MK, "--const", "N=1"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (7, 7), "{j:#}");
}

/// FAILED, INQUIRE and YIELD are used: a state where some site has yielded
/// a lock is reachable (an extra invariant saying it is not is refuted).
#[test]
fn maekawa_v2_reaches_a_yield() {
    let dir = std::env::temp_dir().join(format!("dcheck-clm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let probe = dir.join("no_yield.ron");
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(MK);
    std::fs::write(
        &probe,
        format!(
            r#"(
    extends: "{}",
    invariants: [ (name: "NoYield",
                   expr: "forall i in Site, a in Site: grant[i][a] != yielded") ],
)"#,
            base.display()
        ),
    )
    .unwrap();
    // The probe lives outside the repository: the spec root must hold both.
    let (code, j, err) = run(&[
        probe.to_str().unwrap(),
        "--property",
        "NoYield",
        "--spec-root",
        "/",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["violation"]["property"], "NoYield");
    let acts = actions(&j);
    assert_eq!(acts.last().unwrap(), "deliver_Inquire_to_Site", "{acts:?}");
    assert!(
        acts.iter().any(|a| a == "deliver_Failed_to_Site"),
        "{acts:?}"
    );
}

/// Version 2 relies on FIFO channels: on unordered ones an INQUIRE can
/// overtake the REPLY it is about and is dropped as stale, and the arbiter
/// never asks again: a deadlock. Safety still holds there.
#[test]
fn maekawa_v2_deadlocks_on_unordered_channels() {
    let (code, j, err) = run(&[MK, "--threads", "2", "--network", "unordered"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["violation"]["kind"], "deadlock");
    let acts = actions(&j);
    assert!(
        acts.iter().any(|a| a == "deliver_Inquire_to_Site"),
        "{acts:?}"
    );
    let (code, j, err) = run(&[
        MK,
        "--threads",
        "2",
        "--network",
        "unordered",
        "--no-deadlock",
        "--property",
        "MutualExclusion",
        "--property",
        "LocksHeld",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
}

/// Version 1 deadlocks. In a deadlock every site is waiting (an idle site
/// could Request; two sites alone cannot block each other, as the third
/// arbiter they need is shared only with the idle or finished site), every
/// arbiter is locked for a different site (a site holding both its locks
/// could Enter), and no message is in flight (its delivery would be
/// enabled). So the shortest deadlock takes exactly 3 Request steps, 6
/// REQUEST deliveries and 3 REPLY deliveries: 12 steps.
#[test]
fn maekawa_v1_deadlocks() {
    let (code, j, err) = run(&[MK1, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "deadlock");
    assert_eq!(v["property"], "deadlock");
    let acts = actions(&j);
    assert_eq!(acts.len(), 12, "{acts:?}");
    let n = tally(&acts);
    assert_eq!(n["Request"], 3);
    assert_eq!(n["deliver_Request_to_Site"], 6);
    assert_eq!(n["deliver_Reply_to_Site"], 3);
    let last = &v["trace"][12]["state"];
    let mut holders = HashSet::new();
    for s in 1..=3 {
        let s = s.to_string();
        assert_eq!(last["phase"][&s], "waiting", "{last:#}");
        assert_eq!(last["locked"][&s], true, "{last:#}");
        holders.insert(last["holder"][&s].as_u64().unwrap());
        let granted = (1..=3)
            .filter(|a| last["grant"][&s][a.to_string()] == "granted")
            .count();
        assert_eq!(granted, 1, "site {s} holds one of its two locks: {last:#}");
    }
    assert_eq!(holders.len(), 3, "each arbiter locked for another site");
}

/// Version 1 is still safe: without the deadlock check, both safety
/// invariants hold on the whole space.
#[test]
fn maekawa_v1_is_safe() {
    let (code, j, err) = run(&[
        MK1,
        "--threads",
        "2",
        "--no-deadlock",
        "--property",
        "MutualExclusion",
        "--property",
        "LocksHeld",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
}
