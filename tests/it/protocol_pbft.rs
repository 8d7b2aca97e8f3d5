//! PBFT normal case (specs/pbft.ron) and its small-quorum bug variant
//! (specs/bugs/pbft_small_quorum.ron, and the same without its `omit` in
//! tests/fixtures/net/pbft_small_quorum_prepared.ron). Every expected
//! figure comes with its derivation by hand; none is copied from the
//! checker's output.

use serde_json::Value as Json;

use crate::common;

use common::dcheck_json as run;
use common::{action_names as actions, counts, how_many, status};

const SPEC: &str = "specs/pbft.ron";
const BUG: &str = "specs/bugs/pbft_small_quorum.ron";
/// The bug variant without its `omit`: PreparedInvariant is checked too.
const BUG_PREPARED: &str = "tests/fixtures/net/pbft_small_quorum_prepared.ron";

/// N = 4, F = 1, a Byzantine primary that may equivocate: both invariants
/// hold on the complete state space (2F + 1 certificates of 4 replicas
/// share F + 1 = 2 replicas, one of them correct, and a correct replica
/// prepares one request per sequence number).
#[test]
fn pbft_is_safe_with_a_byzantine_primary() {
    let (code, j, err) = run(&[SPEC, "--threads", "2"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["result"], "ok", "{j:#}");
    assert_eq!(status(&j, "PreparedInvariant"), "holds");
    assert_eq!(status(&j, "Safety"), "holds");
    assert_eq!(status(&j, "deadlock"), "holds");
}

/// One replica, no faults (N = 1, F = 0, P = 1): quorum 1, fanout 0. From
/// the initial state the primary pre-prepares request 1 or 2 (2 states);
/// it is then prepared at once (0 prepares needed) and SendCommit gives one
/// more state each; nothing else is enabled. Distinct: 1 + 2 + 2 = 5;
/// generated: the initial state plus one successor per transition taken,
/// 1 + 2 + 2 = 5.
#[test]
fn one_replica_hand_count() {
    let (code, j, err) = run(&[SPEC, "--const", "N=1", "--const", "F=0", "--const", "P=1"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (5, 5), "{j:#}");
}

/// Two correct replicas (N = 2, F = 0, primary 1, backup 2), capacity 1:
/// quorum 1, fanout 1, so at most one message is ever in flight. After
/// SendPrePrepare(d) (2 choices) the states for one d are:
///   s1 PP in flight: only its delivery is enabled (SendCommit at 1 needs
///      an empty network);
///   s2 the backup accepted, its Prepare in flight: only its delivery;
///   s3 network empty: SendCommit(1) or SendCommit(2);
///   s4 Commit 1->2 in flight -> s5 delivered -> SendCommit(2): s6 Commit
///      2->1 in flight -> s7 delivered (everything done);
///   s4' Commit 2->1 in flight -> s5' -> SendCommit(1): s6' -> s7.
/// 10 states per d: distinct 1 + 2 * 10 = 21. Generated: 1 initial, 2 from
/// it, and per d one successor from each of s1, s2, s4, s5, s6, s4', s5',
/// s6', two from s3, none from s7: 10; 1 + 2 + 2 * 10 = 23.
#[test]
fn two_replicas_hand_count() {
    let (code, j, err) = run(&[
        SPEC, "--const", "N=2", "--const", "F=0", "--const", "P=1", "--const", "C=1",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (21, 23), "{j:#}");
}

/// Certificates of 2F = 2, with PreparedInvariant checked (the bug variant
/// omits it): a backup is prepared as soon as it accepts a
/// pre-prepare (its own prepare is the 2F - 1 = 1 needed). Shortest
/// violation of PreparedInvariant: the Byzantine primary sends
/// PRE-PREPARE(1, 1) to one backup and PRE-PREPARE(1, 2) to another, each
/// delivered (4 steps); the first acceptance puts fanout = 2 prepares in
/// flight, and with C = 2 the second acceptance (room for its own 2
/// prepares after consuming the pre-prepare) needs both delivered first:
/// 6 steps, the last one the second acceptance.
#[test]
fn small_quorum_prepares_two_requests() {
    let (code, j, err) = run(&[BUG_PREPARED, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant", "{j:#}");
    assert_eq!(v["property"], "PreparedInvariant", "{j:#}");
    let acts = actions(&j);
    assert_eq!(acts.len(), 6, "{acts:?}");
    assert_eq!(how_many(&acts, "byzantine_send"), 2, "{acts:?}");
    assert_eq!(how_many(&acts, "deliver_PrePrepare_to_Replica"), 2);
    assert_eq!(how_many(&acts, "deliver_Prepare_to_Replica"), 2);
    assert_eq!(acts[5], "deliver_PrePrepare_to_Replica");
    // The primary (replica 4) equivocated: the two pre-prepares it sent
    // carry different requests.
    let trace = v["trace"].as_array().unwrap();
    let sent: Vec<&Json> = trace
        .iter()
        .filter(|s| s["action"] == "byzantine_send")
        .map(|s| &s["params"]["m"])
        .collect();
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0], sent[1], "{sent:?}");
    for s in &trace[1..] {
        if s["action"] == "byzantine_send" {
            assert_eq!(s["params"]["b"], serde_json::json!({"Replica": [4]}));
        }
    }
}

/// The bug variant omits PreparedInvariant, so its default run checks
/// Safety and deadlocks (none: `terminal: "true"`), and BFS reports the
/// shortest violation of Safety. The shortest run in which two correct
/// backups are committed-local for different requests has 16 steps, made of
/// exactly these transitions:
/// - 2 Byzantine PRE-PREPAREs (requests 1 and 2) and 2 Byzantine COMMITs,
///   each sent and delivered: 4 byzantine_send, 2 deliver_PrePrepare,
///   2 of the deliver_Commit (a committer's second commit can only come
///   from the primary or from a correct replica that accepted the same
///   request, which costs more steps);
/// - 2 SendCommit, one per committer;
/// - SendCommit needs an empty network (room for 2, C = 2), so both
///   acceptances' 2 prepares are delivered before the last SendCommit
///   (4 deliver_Prepare), and so are the first committer's 2 commits
///   (2 more deliver_Commit); after the last SendCommit the network is
///   full, so the Byzantine COMMIT to that replica was delivered before.
///
/// 4 + 2 + 4 + 2 + 4 = 16.
#[test]
fn small_quorum_commits_two_requests() {
    let (code, j, err) = run(&[BUG, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let checked: Vec<&Json> = j["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(checked, ["Safety", "deadlock"], "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant", "{j:#}");
    assert_eq!(v["property"], "Safety", "{j:#}");
    let acts = actions(&j);
    assert_eq!(acts.len(), 16, "{acts:?}");
    assert_eq!(how_many(&acts, "byzantine_send"), 4, "{acts:?}");
    assert_eq!(how_many(&acts, "deliver_PrePrepare_to_Replica"), 2);
    assert_eq!(how_many(&acts, "deliver_Prepare_to_Replica"), 4);
    assert_eq!(how_many(&acts, "deliver_Commit_to_Replica"), 4);
    assert_eq!(how_many(&acts, "SendCommit"), 2);
}
