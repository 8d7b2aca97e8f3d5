//! Raft (`specs/raft.ron`) and its two bug variants
//! (`specs/bugs/raft_no_election_restriction.ron`,
//! `specs/bugs/raft_figure8.ron`) through the CLI. Every expectation is
//! derived by hand, next to the test or in the spec's header; state counts
//! are pinned only for configurations small enough to count by hand.

use serde_json::Value as Json;

mod common;

use common::dcheck_json as run;
use common::{action_names as actions, how_many as count, kind_status as status};

const RAFT: &str = "specs/raft.ron";
const NO_RESTRICTION: &str = "specs/bugs/raft_no_election_restriction.ron";
const FIGURE8: &str = "specs/bugs/raft_figure8.ron";

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

fn assert_all_hold(j: &Json) {
    for inv in INVARIANTS {
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

#[test]
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
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_all_hold(&j);
}

/// MaxElections = 0: no Timeout is ever enabled and every other action
/// needs a candidate or a leader, so the initial state is the only state
/// (an intended end: terminal is true). 1 distinct, 1 generated, depth 0.
#[test]
fn raft_no_elections_is_one_state() {
    let (code, j, err) = run(&[RAFT, "--const", "MaxElections=0"]);
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
    assert_eq!(j["distinct_states"], 5);
    assert_eq!(j["states_generated"], 5);
    assert_eq!(j["depth"], 4);
    assert_all_hold(&j);
}

/// Without fairness ElectionLiveness fails. Without a leader no step
/// undoes another (terms, the election count and the votes of a term only
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
fn raft_election_liveness_needs_fairness() {
    let (code, j, err) = run(&[RAFT, "--threads", "2", "--fairness", "none"]);
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
fn raft_election_liveness_needs_both_fairness_constraints() {
    for f in ["weak each RequestVote", "weak each BecomeLeader"] {
        let (code, j, err) = run(&[RAFT, "--threads", "2", "--fairness", f]);
        assert_eq!(code, 1, "{f}: {err}{j:#}");
        assert_eq!(j["violation"]["kind"], "liveness", "{f}");
        assert_eq!(j["violation"]["property"], "ElectionLiveness", "{f}");
    }
}

/// Bug (a): no election restriction. The header of the bug spec derives
/// the shortest trace: 6 steps for a commit (Timeout, RequestVote,
/// BecomeLeader, ClientRequest, AppendEntries, AdvanceCommitIndex of one
/// leader) and 3 for another server to lead a later term (Timeout,
/// RequestVote, BecomeLeader): 9 steps, each of these exactly as often.
#[test]
fn no_election_restriction_loses_a_committed_entry() {
    let (code, j, err) = run(&[NO_RESTRICTION, "--threads", "2"]);
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
fn no_election_restriction_needs_two_elections() {
    let (code, j, err) = run(&[NO_RESTRICTION, "--const", "MaxElections=1"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_all_hold(&j);
}

/// Bug (b), Figure 8. The header derives that four elections in four terms
/// are needed, each costing at least Timeout, RequestVote and BecomeLeader,
/// plus two ClientRequests (the two conflicting entries), an AppendEntries
/// (a replica of the old entry) and the faulty AdvanceCommitIndex: at least
/// 16 steps. The commit that breaks Leader Completeness is of an entry of
/// an earlier term than the committing leader's (the correct rule only
/// commits entries of the leader's own term).
#[test]
fn figure8_commits_an_old_entry_that_is_lost() {
    let (code, j, err) = run(&[FIGURE8, "--threads", "2"]);
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
fn figure8_breaks_state_machine_safety() {
    let (code, j, err) = run(&[
        FIGURE8,
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

/// Four elections in four distinct terms are needed (header of the bug
/// spec), so three of either are safe even with the faulty commit rule.
#[test]
fn figure8_needs_four_terms_and_four_elections() {
    for c in ["MaxElections=3", "MaxTerm=3"] {
        let (code, j, err) = run(&[FIGURE8, "--threads", "2", "--const", c]);
        assert_eq!(code, 0, "{c}: {err}{j:#}");
        assert_all_hold(&j);
    }
}
