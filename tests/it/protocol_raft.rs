//! Raft through the CLI: `specs/raft.ron` (roles and messages) with its bug
//! variants `specs/bugs/raft_no_election_restriction.ron` and
//! `specs/bugs/raft_figure8.ron` (and the latter without its `omit`,
//! `tests/fixtures/raft_figure8_leader_completeness.ron`); then the
//! atomic-RPC abstraction `specs/examples/raft_rpc.ron` with its bug
//! variants in `tests/fixtures/raft_rpc/`. Every expectation is derived by
//! hand, next to the test or in the spec's header; state counts are pinned
//! only for configurations small enough to count by hand.

use serde_json::Value as Json;

use crate::common;

use common::dcheck_json as run;
use common::{action_names as actions, how_many as count, kind_status as status};

const RAFT: &str = "specs/raft.ron";
const NO_RESTRICTION: &str = "specs/bugs/raft_no_election_restriction.ron";
const FIGURE8: &str = "specs/bugs/raft_figure8.ron";
/// The Figure 8 variant without its `omit`: LeaderCompleteness is checked.
const FIGURE8_LC: &str = "tests/fixtures/raft_figure8_leader_completeness.ron";

const RPC: &str = "specs/examples/raft_rpc.ron";
const RPC_NO_RESTRICTION: &str = "tests/fixtures/raft_rpc/no_election_restriction.ron";
const RPC_FIGURE8: &str = "tests/fixtures/raft_rpc/figure8.ron";

const RV: &str = "RequestVote";
const AE: &str = "AppendEntries";
const DELIVER_RV: &str = "deliver_RequestVote_to_Server";
const DELIVER_RVR: &str = "deliver_RequestVoteResponse_to_Server";
const DELIVER_AE: &str = "deliver_AppendEntries_to_Server";
const DELIVER_AER: &str = "deliver_AppendEntriesResponse_to_Server";

/// The last state of a counterexample.
fn last_state(j: &Json) -> &Json {
    let t = j["violation"]["trace"].as_array().expect("trace");
    &t[t.len() - 1]["state"]
}

const INVARIANTS: [&str; 4] = [
    "ElectionSafety",
    "LogMatching",
    "LeaderCompleteness",
    "StateMachineSafety",
];

fn assert_holds(j: &Json, invariants: &[&str]) {
    for inv in invariants {
        assert_eq!(
            status(j, inv),
            ("invariant".into(), "holds".into()),
            "{inv}"
        );
    }
    assert_eq!(status(j, "deadlock"), ("deadlock".into(), "holds".into()));
    assert_eq!(
        status(j, "ElectionLiveness"),
        ("liveness".into(), "holds".into())
    );
}

fn assert_all_hold(j: &Json) {
    assert_holds(j, &INVARIANTS);
}

/// The names, sorted (to compare multisets of actions).
fn sorted<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|n| n.as_ref().to_string()).collect();
    v.sort();
    v
}

/// Sends and deliveries in a trace: (sends, deliveries).
fn messages(a: &[String]) -> (usize, usize) {
    (
        count(a, RV) + count(a, AE),
        count(a, DELIVER_RV) + count(a, DELIVER_RVR) + count(a, DELIVER_AE) + count(a, DELIVER_AER),
    )
}

// ---------------------------------------------------------------------------
// specs/raft.ron: roles and messages
// ---------------------------------------------------------------------------

/// 2.18 M states: the normal suite runs Raft at smaller sizes (here in the
/// Figure 8 configuration, and in tests/it/specs.rs).
#[test]
#[ignore = "millions of states: run with `cargo test --workspace --release -- --ignored`"]
fn raft_default_holds() {
    let (code, j, err) = run(&[RAFT, "--threads", "2"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["result"], "ok");
    assert_all_hold(&j);
}

/// Raft is also correct in the configuration where the Figure 8 bug shows
/// (specs/bugs/raft_figure8.ron's defaults).
#[test]
fn raft_holds_in_the_figure8_configuration() {
    let (code, j, err) = run(&[
        RAFT,
        "--threads",
        "2",
        "--const",
        "MaxTerm=4",
        "--const",
        "MaxElections=4",
        "--const",
        "MaxLogLen=1",
        "--const",
        "MaxInFlight=1",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_all_hold(&j);
}

/// MaxElections = 0: Timeout is never enabled, RequestVote needs a
/// candidate, ClientRequest and AppendEntries a leader, and nothing is in
/// flight to deliver, so the initial state is the only state (an intended
/// end: terminal is true). 1 distinct, 1 generated, depth 0.
#[test]
fn raft_no_elections_is_one_state() {
    let (code, j, err) = run(&[RAFT, "--const", "MaxElections=0"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 1);
    assert_eq!(j["states_generated"], 1);
    assert_eq!(j["depth"], 0);
}

/// One server: its own vote is a majority, so Timeout makes it leader at
/// once, and an entry is on a majority as soon as it is appended. The
/// graph is a chain s0 -Timeout(1)-> s1 (leader of term 1)
/// -ClientRequest(1)-> s2 (log [1], applied [1]); RequestVote needs a
/// candidate, AppendEntries a peer, and a second Timeout exceeds
/// MaxElections. 3 distinct, 3 generated, depth 2.
#[test]
fn raft_single_server_chain() {
    let (code, j, err) = run(&[
        RAFT,
        "--const",
        "N=1",
        "--const",
        "MaxTerm=1",
        "--const",
        "MaxElections=1",
        "--const",
        "MaxLogLen=1",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 3);
    assert_eq!(j["states_generated"], 3);
    assert_eq!(j["depth"], 2);
    assert_all_hold(&j);
}

/// Two servers, one election, one entry, one message in flight (N = 2,
/// MaxTerm = MaxElections = MaxLogLen = MaxInFlight = 1; a majority is
/// both servers). From s0 either server times out; the two branches are
/// mirror images and never meet (only the server that timed out is ever a
/// candidate or leader). In the branch of S1 (S2 follows):
///   A1 candidate, votes {1} -RequestVote(1, 2)-> A2 RequestVote(1, 0, 0)
///   in flight -> A3 S2 votes, reply (1, true) in flight -> L0 S1 leader.
/// Leader phase (at most one message in flight, so S1 sends only when
/// nothing is; AppendEntries(2, prev) for matchIndex <= prev <= len(log)):
///   L0 (logs empty): ClientRequest -> L1; heartbeat prev 0 -> H0.
///   H0: ClientRequest -> H0c; delivery (S2 unchanged) -> R0 (reply
///       (1, true, 0) in flight).
///   R0: ClientRequest -> R0c; delivery (matchIndex stays 0) -> L0.
///   H0c: delivery -> R0c.  R0c: delivery -> L1 (one replica of 2: no
///       commit).
///   L1 (log [1]): AppendEntries prev 0 with the entry -> E1; heartbeat
///       prev 1 -> P1.
///   E1: delivery (S2 appends) -> R1 (reply (1, true, 1)).
///   P1: delivery (S2 lacks index 1: rejected) -> F1 (reply (1, false, 0)).
///   F1: delivery -> L1.
///   R1: delivery (matchIndex 1, a majority: S1 commits) -> C1.
///   C1: only prev 1 (matchIndex is 1): heartbeat with leaderCommit 1 -> Q1.
///   Q1: delivery (S2 commits) -> Q2 (reply (1, true, 1)).
///   Q2: delivery (nothing changes) -> C2.
///   C2: heartbeat -> Q3.  Q3: delivery (nothing changes) -> Q2.
/// 18 states per branch (A1 A2 A3 L0 H0 R0 L1 H0c R0c E1 P1 F1 R1 C1 Q1
/// Q2 C2 Q3): distinct 1 + 2 * 18 = 37. Edges per branch: 3 in the
/// election, 2 each from L0, H0, R0, L1 and 1 each from the other 11
/// leader-phase states: 22; generated 1 + 2 (Timeouts) + 2 * 22 = 47. The
/// longest shortest path: Timeout, 3 election steps, ClientRequest,
/// AppendEntries, 2 deliveries (commit), heartbeat, 2 deliveries, heartbeat
/// (Q3): depth 12.
#[test]
fn raft_two_servers_hand_count() {
    let (code, j, err) = run(&[
        RAFT,
        "--const",
        "N=2",
        "--const",
        "MaxTerm=1",
        "--const",
        "MaxElections=1",
        "--const",
        "MaxLogLen=1",
        "--const",
        "MaxInFlight=1",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 37, "{j:#}");
    assert_eq!(j["states_generated"], 47, "{j:#}");
    assert_eq!(j["depth"], 12, "{j:#}");
    assert_all_hold(&j);
}

/// Without fairness ElectionLiveness fails. Under TLA+'s semantics a
/// behaviour may stop as soon as the premise holds: elections == 2 needs
/// two Timeouts, and after Timeout(1) twice server 1 is the sole candidate
/// (term 2) and every other server can still grant it its vote, so the
/// premise holds there: a 2-step prefix, then stuttering.
///
/// Under the progress assumption it fails with a lasso whose cycle is a
/// refused RequestVote: without a leader the only sends are RequestVotes,
/// and a cycle cannot change a term or grant a vote (both only grow), so
/// its requests are refused by a server of the candidate's term. Not
/// because it voted for another candidate of that term: with 2 elections
/// that takes two Timeouts into term 1, and then (no higher term, no
/// leader) both stay candidates of the highest term and the premise never
/// holds (it needs a sole candidate). So because the refuser's log is more
/// up to date: an entry exists, which costs an election (Timeout,
/// RequestVote, its delivery, the granting reply's delivery) and a
/// ClientRequest; the premise needs the second Timeout; and the leader must
/// be gone, which takes a message of a higher term delivered to it (the
/// new candidate's RequestVote and its delivery: 2 steps; a reply to its
/// own request would be 3). So the cycle starts at step 8 at the earliest,
/// and 8 suffice; the cycle is a RequestVote, its delivery and its reply's
/// delivery (3 steps, back to the same state). --const MaxLogLen=1: the
/// argument needs one entry only (and the run is smaller).
#[test]
fn raft_election_liveness_needs_fairness() {
    let args = [RAFT, "--const", "MaxLogLen=1", "--fairness", "none"];
    let (code, j, err) = run(&args);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(actions(&j), ["Timeout", "Timeout"]);
    assert_eq!(j["violation"]["stutters"], true);
    let (code, j, err) = run(&[&args[..], &["--threads", "2", "--assume-progress"]].concat());
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(v["property"], "ElectionLiveness");
    assert_eq!(v["loop_start"], 8, "{v:#}");
    let a = actions(&j);
    assert_eq!(a.len(), 11, "{a:?}");
    let (prefix, cycle) = a.split_at(8);
    assert_eq!(count(prefix, "Timeout"), 2, "{a:?}");
    assert_eq!(count(prefix, "ClientRequest"), 1, "{a:?}");
    assert_eq!(count(prefix, RV), 2, "{a:?}");
    assert_eq!(count(prefix, DELIVER_RV), 2, "{a:?}");
    assert_eq!(count(prefix, DELIVER_RVR), 1, "{a:?}");
    assert_eq!(
        sorted(cycle),
        sorted(&[RV, DELIVER_RV, DELIVER_RVR]),
        "{a:?}"
    );
    let t = v["trace"].as_array().unwrap();
    assert_eq!(t[8]["state"], t[11]["state"], "a cycle");
    // Invariants were checked on the complete state space.
    for inv in INVARIANTS {
        assert_eq!(status(&j, inv), ("invariant".into(), "holds".into()));
    }
}

/// The spec's fairness, "strong each RequestVote", makes ElectionLiveness
/// hold (raft_default_holds); weak fairness does not suffice, even with
/// fair delivery. Take the state where the lasso above starts: candidate C
/// of term 2 keeps asking R (the old leader, whose log is longer), and R's
/// refusal is in flight. C sends R another RequestVote before that refusal
/// is delivered, which fills the network (2 messages): C's request to the
/// server that would vote for it is disabled there. Then the refusal is
/// delivered, and the new request is refused the same way: back to the
/// start. Every message in flight is delivered in this cycle and every
/// RequestVote(C, j) is taken or disabled once, so the cycle is fair under
/// weak fairness; not under strong fairness (the request to the voter is
/// enabled in the other two states).
#[test]
fn raft_election_liveness_needs_strong_fairness() {
    for f in [
        vec!["--fairness", "weak each RequestVote"],
        vec![
            "--fairness",
            "weak delivery",
            "--fairness",
            "weak each RequestVote",
        ],
    ] {
        let mut args = vec![RAFT, "--threads", "2", "--const", "MaxLogLen=1"];
        args.extend(f.iter().copied());
        let (code, j, err) = run(&args);
        assert_eq!(code, 1, "{f:?}: {err}{j:#}");
        assert_eq!(j["violation"]["kind"], "liveness", "{f:?}");
        assert_eq!(j["violation"]["property"], "ElectionLiveness", "{f:?}");
    }
}

/// Bug (a): no election restriction. The header of the bug spec derives
/// the shortest trace: 8 steps for a commit (Timeout, RequestVote and the
/// two deliveries of one vote, ClientRequest, AppendEntries and its two
/// deliveries) and 4 for another server to lead a later term (Timeout and
/// one vote): 12 steps, each of these exactly as often.
#[test]
fn no_election_restriction_loses_a_committed_entry() {
    let (code, j, err) = run(&[NO_RESTRICTION, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "LeaderCompleteness");
    let a = actions(&j);
    assert_eq!(a.len(), 12, "{a:?}");
    assert_eq!(
        sorted(&a),
        sorted(&[
            "Timeout",
            RV,
            DELIVER_RV,
            DELIVER_RVR,
            "ClientRequest",
            AE,
            DELIVER_AE,
            DELIVER_AER,
            "Timeout",
            RV,
            DELIVER_RV,
            DELIVER_RVR,
        ]),
        "{a:?}"
    );
    // The last state has a leader of term 2 without the entry committed
    // in term 1 at index 1: the committed set is {(1, 1, 1)}.
    let s = last_state(&j);
    assert_eq!(s["committed"], serde_json::json!([[1, 1, 1]]), "{s:#}");
    assert_eq!(s["elected"]["2"].as_array().unwrap().len(), 1, "{s:#}");
}

/// With one election there is one leader in all, so nothing is lost.
#[test]
fn no_election_restriction_needs_two_elections() {
    let (code, j, err) = run(&[NO_RESTRICTION, "--const", "MaxElections=1"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_all_hold(&j);
}

/// Bug (b), Figure 8, LeaderCompleteness (the variant without `omit`). The
/// header of specs/bugs/raft_figure8.ron derives 27 steps with one message
/// in flight: four elections of a Timeout and one vote (16), two
/// ClientRequests, one AppendEntries round trip for the faulty commit (3),
/// and two more requests with their replies so that the servers timing out
/// into terms 3 and 4 have seen terms 2 and 3 (6). So 4 Timeouts, 2
/// ClientRequests, 4 + 1 + 2 = 7 requests sent and 14 deliveries (each
/// request and its reply).
#[test]
fn figure8_commits_an_old_entry_that_is_lost() {
    let (code, j, err) = run(&[FIGURE8_LC, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "LeaderCompleteness");
    let a = actions(&j);
    assert_eq!(a.len(), 27, "{a:?}");
    assert_eq!(count(&a, "Timeout"), 4, "{a:?}");
    assert_eq!(count(&a, "ClientRequest"), 2, "{a:?}");
    assert_eq!(messages(&a), (7, 14), "{a:?}");
    let s = last_state(&j);
    let committed = s["committed"].as_array().expect("committed");
    assert!(
        committed.iter().any(|c| c[1].as_u64() < c[2].as_u64()),
        "an entry committed by a leader of a later term: {s:#}"
    );
    // Every term 1..4 had its leader.
    for t in 1..=4 {
        assert_eq!(
            s["elected"][t.to_string()].as_array().unwrap().len(),
            1,
            "{s:#}"
        );
    }
}

/// The bug spec itself (LeaderCompleteness omitted) reports State Machine
/// Safety: on top of the 27 steps above, the leader of term 4 must
/// replicate its entry and commit it, one more AppendEntries round trip
/// (header of the spec): 30 steps, 8 requests, 16 deliveries. Two servers
/// then applied different entries at index 1.
#[test]
fn figure8_breaks_state_machine_safety() {
    let (code, j, err) = run(&[FIGURE8, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "StateMachineSafety");
    let a = actions(&j);
    assert_eq!(a.len(), 30, "{a:?}");
    assert_eq!(count(&a, "Timeout"), 4, "{a:?}");
    assert_eq!(count(&a, "ClientRequest"), 2, "{a:?}");
    assert_eq!(messages(&a), (8, 16), "{a:?}");
    let applied = last_state(&j)["applied"].as_object().expect("applied");
    let firsts: std::collections::BTreeSet<u64> = applied
        .values()
        .filter_map(|l| l.as_array().unwrap().first().map(|e| e.as_u64().unwrap()))
        .collect();
    assert_eq!(
        firsts,
        [1, 2].into(),
        "entries of terms 1 and 2 applied: {applied:?}"
    );
}

/// Four elections in four distinct terms are needed (header of the bug
/// spec), so three of either are safe even with the faulty commit rule.
#[test]
fn figure8_needs_four_terms_and_four_elections() {
    for c in ["MaxElections=3", "MaxTerm=3"] {
        let (code, j, err) = run(&[FIGURE8, "--threads", "2", "--const", c]);
        assert_eq!(code, 0, "{c}: {err}{j:#}");
        assert_holds(&j, &["ElectionSafety", "LogMatching", "StateMachineSafety"]);
    }
}

// ---------------------------------------------------------------------------
// specs/examples/raft_rpc.ron: atomic RPCs
// ---------------------------------------------------------------------------

#[test]
fn rpc_default_holds() {
    let (code, j, err) = run(&[RPC, "--threads", "2"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["result"], "ok");
    assert_all_hold(&j);
}

/// The RPC version is also correct in the configuration where its Figure 8
/// bug shows (tests/fixtures/raft_rpc/figure8.ron's defaults).
#[test]
fn rpc_holds_in_the_figure8_configuration() {
    let (code, j, err) = run(&[
        RPC,
        "--threads",
        "2",
        "--const",
        "MaxTerm=4",
        "--const",
        "MaxElections=4",
        "--const",
        "MaxLogLen=1",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_all_hold(&j);
}

/// MaxElections = 0: no Timeout is ever enabled and every other action
/// needs a candidate or a leader, so the initial state is the only state
/// (an intended end: terminal is true). 1 distinct, 1 generated, depth 0.
#[test]
fn rpc_no_elections_is_one_state() {
    let (code, j, err) = run(&[RPC, "--const", "MaxElections=0"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 1);
    assert_eq!(j["states_generated"], 1);
    assert_eq!(j["depth"], 0);
}

/// One server, one election, one entry: the state graph is a chain
///   s0 -Timeout(1)-> s1 (candidate, term 1, votes {1}: a majority of 1)
///      -BecomeLeader(1)-> s2 -ClientRequest(1)-> s3 (log [1])
///      -AdvanceCommitIndex(1, 1)-> s4 (applied [1]);
/// RequestVote and AppendEntries need i != j, a second Timeout exceeds
/// MaxElections, ClientRequest stops at MaxLogLen and nothing is left to
/// commit in s4. So 5 distinct states, 5 generated (1 initial + one
/// successor for each of s0..s3), depth 4; ElectionLiveness holds (s1
/// satisfies its premise and BecomeLeader is weakly fair).
#[test]
fn rpc_single_server_chain() {
    let (code, j, err) = run(&[
        RPC,
        "--const",
        "N=1",
        "--const",
        "MaxTerm=1",
        "--const",
        "MaxElections=1",
        "--const",
        "MaxLogLen=1",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 5);
    assert_eq!(j["states_generated"], 5);
    assert_eq!(j["depth"], 4);
    assert_all_hold(&j);
}

/// Without fairness ElectionLiveness fails. Under TLA+'s semantics a
/// behaviour may stop where the premise first holds: elections == 3 needs
/// three Timeouts, and Timeout(1) three times leaves server 1 the sole
/// candidate (term 3) with the others able to vote for it: a 3-step
/// prefix, then stuttering. Under the progress assumption: without a
/// leader no step undoes another (terms, the election count and the votes of a term only
/// grow; logs change only through leaders), so a cycle avoiding a leader is
/// a self-loop: a RequestVote refused with no term change (the voter voted
/// for another candidate of its term). The premise needs elections == 3,
/// so its first state is at depth 3 or more, and the loop starts there or
/// later. At depth 3 (three timeouts, nothing else, each server's term its
/// number of timeouts) the premise fails: with terms {3,0,0} or {2,1,0}
/// every RequestVote changes a term or a vote, so there is no self-loop,
/// and with {1,1,1} every server voted for itself and no candidate can win.
/// So the loop starts at depth 4 at the earliest, and 4 suffice:
/// Timeout(1), Timeout(2), RequestVote(1, 3) (S3 votes for S1 in term 1),
/// Timeout(1) (S1 in term 2 can still win with S3), then RequestVote(2, 3)
/// refused forever. Any such 4-step prefix is 3 timeouts and one
/// RequestVote (a BecomeLeader would leave a leader in the loop state).
#[test]
fn rpc_election_liveness_needs_fairness() {
    let (code, j, err) = run(&[RPC, "--fairness", "none"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(actions(&j), ["Timeout", "Timeout", "Timeout"]);
    assert_eq!(j["violation"]["stutters"], true);
    let (code, j, err) = run(&[
        RPC,
        "--threads",
        "2",
        "--fairness",
        "none",
        "--assume-progress",
    ]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(v["property"], "ElectionLiveness");
    assert_eq!(v["loop_start"], 4, "{v:#}");
    let a = actions(&j);
    assert_eq!(a.len(), 5, "{a:?}");
    assert_eq!(count(&a[..4], "Timeout"), 3, "{a:?}");
    assert_eq!(count(&a[..4], "RequestVote"), 1, "{a:?}");
    assert_eq!(a[4], "RequestVote", "{a:?}");
    let t = v["trace"].as_array().unwrap();
    assert_eq!(t[4]["state"], t[5]["state"], "a self-loop");
    // Invariants were checked on the complete state space.
    for inv in INVARIANTS {
        assert_eq!(status(&j, inv), ("invariant".into(), "holds".into()));
    }
}

/// Each half of the fairness is needed. Without fair RequestVote: the
/// lasso of the previous test is still fair, as BecomeLeader is disabled in
/// its loop state (no candidate has a majority). Without fair
/// BecomeLeader: Timeout(1), RequestVote(1, 2), Timeout(1), Timeout(2),
/// RequestVote(1, 3) leaves S1 a candidate of term 2 with votes {1, 3},
/// and RequestVote(1, 2) (S2 voted for itself in term 2) refused forever
/// is fair for every RequestVote: the others are disabled.
#[test]
fn rpc_election_liveness_needs_both_fairness_constraints() {
    for f in ["weak each RequestVote", "weak each BecomeLeader"] {
        let (code, j, err) = run(&[RPC, "--threads", "2", "--fairness", f]);
        assert_eq!(code, 1, "{f}: {err}{j:#}");
        assert_eq!(j["violation"]["kind"], "liveness", "{f}");
        assert_eq!(j["violation"]["property"], "ElectionLiveness", "{f}");
    }
}

/// RPC bug (a): no election restriction. The header of the bug fixture
/// derives the shortest trace: 6 steps for a commit (Timeout, RequestVote,
/// BecomeLeader, ClientRequest, AppendEntries, AdvanceCommitIndex of one
/// leader) and 3 for another server to lead a later term (Timeout,
/// RequestVote, BecomeLeader): 9 steps, each of these exactly as often.
#[test]
fn rpc_no_election_restriction_loses_a_committed_entry() {
    let (code, j, err) = run(&[RPC_NO_RESTRICTION, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "LeaderCompleteness");
    let mut a = actions(&j);
    assert_eq!(a.len(), 9, "{a:?}");
    a.sort();
    assert_eq!(
        a,
        [
            "AdvanceCommitIndex",
            "AppendEntries",
            "BecomeLeader",
            "BecomeLeader",
            "ClientRequest",
            "RequestVote",
            "RequestVote",
            "Timeout",
            "Timeout"
        ]
    );
    // The last state has a leader of term 2 without the entry committed
    // in term 1 at index 1: the committed set is {(1, 1, 1)}.
    let s = last_state(&j);
    assert_eq!(s["committed"], serde_json::json!([[1, 1, 1]]), "{s:#}");
    assert_eq!(s["elected"]["2"].as_array().unwrap().len(), 1, "{s:#}");
}

/// With one election there is one leader in all, so nothing is lost.
#[test]
fn rpc_no_election_restriction_needs_two_elections() {
    let (code, j, err) = run(&[RPC_NO_RESTRICTION, "--const", "MaxElections=1"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_all_hold(&j);
}

/// RPC bug (b), Figure 8. The header of the fixture derives that four
/// elections in four terms are needed, each costing at least Timeout,
/// RequestVote and BecomeLeader, plus two ClientRequests (the two
/// conflicting entries), an AppendEntries (a replica of the old entry) and
/// the faulty AdvanceCommitIndex: at least 16 steps. The commit that breaks
/// Leader Completeness is of an entry of an earlier term than the
/// committing leader's (the correct rule only commits entries of the
/// leader's own term).
#[test]
fn rpc_figure8_commits_an_old_entry_that_is_lost() {
    let (code, j, err) = run(&[RPC_FIGURE8, "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "LeaderCompleteness");
    let a = actions(&j);
    assert!(a.len() >= 16, "{a:?}");
    assert!(count(&a, "BecomeLeader") >= 4, "{a:?}");
    let s = last_state(&j);
    let committed = s["committed"].as_array().expect("committed");
    assert!(
        committed.iter().any(|c| c[1].as_u64() < c[2].as_u64()),
        "an entry committed by a leader of a later term: {s:#}"
    );
    // Every term 1..4 had its leader.
    for t in 1..=4 {
        assert_eq!(
            s["elected"][t.to_string()].as_array().unwrap().len(),
            1,
            "{s:#}"
        );
    }
}

/// The same bug breaks State Machine Safety: two servers apply different
/// entries at index 1. On top of the 16 steps above, the later leader must
/// replicate its entry (AppendEntries) and commit it (AdvanceCommitIndex).
#[test]
fn rpc_figure8_breaks_state_machine_safety() {
    let (code, j, err) = run(&[
        RPC_FIGURE8,
        "--threads",
        "2",
        "--property",
        "StateMachineSafety",
    ]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "StateMachineSafety");
    let a = actions(&j);
    assert!(a.len() >= 18, "{a:?}");
    assert!(count(&a, "AdvanceCommitIndex") >= 2, "{a:?}");
    let applied = last_state(&j)["applied"].as_object().expect("applied");
    let firsts: std::collections::BTreeSet<u64> = applied
        .values()
        .filter_map(|l| l.as_array().unwrap().first().map(|e| e.as_u64().unwrap()))
        .collect();
    assert!(firsts.len() >= 2, "different entries applied: {applied:?}");
}

/// Four elections in four distinct terms are needed (header of the
/// fixture), so three of either are safe even with the faulty commit rule.
#[test]
fn rpc_figure8_needs_four_terms_and_four_elections() {
    for c in ["MaxElections=3", "MaxTerm=3"] {
        let (code, j, err) = run(&[RPC_FIGURE8, "--threads", "2", "--const", c]);
        assert_eq!(code, 0, "{c}: {err}{j:#}");
        assert_all_hold(&j);
    }
}
