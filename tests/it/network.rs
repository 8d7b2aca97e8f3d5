//! Message-passing specs (roles, messages, network semantics, crash faults)
//! through the CLI. Every expected figure comes with its derivation; none is
//! copied from the checker's output.

use serde_json::Value as Json;

use crate::common;

use common::counts;
use common::dcheck_json_unreduced as run;

const MSGS: &str = "specs/2pc_msgs.ron";

/// With `unordered,duplicating` (the spec's network) two-phase commit by
/// messages has the state space of specs/2pc.ron: `broadcast` puts all
/// per-destination copies in flight in one step, so message sets correspond
/// one to one, and each enabled deliver_* binding is one enabled
/// TMRcvPrepared / RMRcv*Msg instance. TLC's figures for TwoPhase, N = 3:
/// 288 distinct, 1146 generated.
#[test]
fn two_phase_by_messages_matches_two_phase() {
    for threads in ["1", "2"] {
        let (code, j, err) = run(&[MSGS, "--threads", threads]);
        assert_eq!(code, 0, "{err}{j:#}");
        assert_eq!(counts(&j), (288, 1146), "{j:#}");
        let (_, base, _) = run(&["specs/2pc.ron", "--threads", threads]);
        assert_eq!(
            counts(&j),
            counts(&base),
            "same counts as the hand-written spec"
        );
    }
}

/// A crashable TM (`--faults crash=1`): each of the 288 fault-free states
/// also occurs with the TM crashed (it can crash anywhere), and a crashed TM
/// leaves only RM transitions, which the fault-free system has too, so no
/// further state appears: 2 * 288 = 576 distinct.
#[test]
fn a_crashing_coordinator_doubles_the_states() {
    // Termination fails with a crashing TM (tests/liveness.rs): check the
    // safety property only.
    let (code, j, err) = run(&[MSGS, "--faults", "crash=1", "--property", "TCConsistent"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j).0, 576, "{j:#}");
}

/// In two-phase commit every channel carries at most one message at a time
/// (one Prepared per RM to the TM, one decision per RM from it), so FIFO
/// order constrains nothing: `fifo` and `unordered` (both consuming
/// messages) give the same counts. Consuming messages changes the space
/// from the duplicating one (a delivered Commit is gone, so the 288-state
/// correspondence no longer holds).
#[test]
fn fifo_and_unordered_agree_when_channels_hold_one_message() {
    let (c1, fifo, e1) = run(&[MSGS, "--network", "fifo"]);
    let (c2, unordered, e2) = run(&[MSGS, "--network", "unordered"]);
    assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
    assert_eq!(counts(&fifo), counts(&unordered));
    assert_ne!(
        counts(&unordered).0,
        288,
        "consumed messages change the space"
    );
}

/// Losing messages adds behaviours and never removes one: every state of
/// the lossless network stays reachable, and losing a Prepared before the
/// TM records it gives states the lossless network lacks.
#[test]
fn a_lossy_network_has_strictly_more_states() {
    let (_, plain, _) = run(&[MSGS, "--network", "unordered"]);
    // A lost decision blocks its RM, so Termination fails: safety only.
    let (code, lossy, err) = run(&[
        MSGS,
        "--network",
        "unordered,lossy",
        "--property",
        "TCConsistent",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        counts(&lossy).0 > counts(&plain).0,
        "{} vs {}",
        counts(&lossy).0,
        counts(&plain).0
    );
}

const FIFO: &str = "specs/examples/fifo_required.ron";

/// On FIFO channels the receiver gets Data(1) before Data(2): the states
/// (next, channel, got) are (1,[],[]), (2,[1],[]), (3,[1,2],[]), (2,[],[1]),
/// (3,[2],[1]), (3,[],[1,2]): 6 distinct, 1 + 1 + 2 + 1 + 1 + 1 = 7
/// generated (see the spec's header).
#[test]
fn fifo_required_holds_on_fifo() {
    let (code, j, err) = run(&[FIFO]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (6, 7), "{j:#}");
}

/// Flipping the network to unordered (no edit to the spec) lets Data(2)
/// overtake Data(1). Shortest violation: Send, Send, deliver Data(2): a
/// delivery needs a send before it and Data(2) is the second message sent.
/// Identical for 1 and 2 threads.
#[test]
fn fifo_required_fails_on_unordered_with_a_shortest_trace() {
    let (code, j, err) = run(&[FIFO, "--network", "unordered", "--threads", "1"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["property"], "InOrder");
    let actions: Vec<&str> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["", "Send", "Send", "deliver_Data_to_Receiver"]);
    assert_eq!(v["trace"][3]["params"]["k"], 2, "Data(2) arrives first");
    let (_, j2, _) = run(&[FIFO, "--network", "unordered", "--threads", "2"]);
    assert_eq!(j2["violation"], j["violation"]);
}

/// Room for one message: TMAbort is enabled in the initial state and
/// broadcasts N = 3 Aborts, overflowing the network while the initial state
/// is expanded, so the trace is the initial state alone and names TMAbort.
/// Storing the messages per channel (`per_channel: true`) changes how the
/// network is laid out, not which messages can be delivered: with a
/// capacity that never binds (see the fixture: one message per channel at
/// most) every network mode gives the counts of the single-collection spec,
/// and the 2PC crash lasso is the same.
#[test]
fn per_channel_storage_has_the_same_state_space() {
    let per_channel = "tests/fixtures/net/2pc_per_channel.ron";
    for mode in [
        "unordered,duplicating",
        "unordered",
        "fifo",
        "unordered,lossy",
    ] {
        let (_, one, _) = run(&[MSGS, "--network", mode]);
        let (_, chans, err) = run(&[per_channel, "--network", mode]);
        assert_eq!(counts(&chans), counts(&one), "{mode}: {err}{chans:#}");
        assert_eq!(chans["result"], one["result"], "{mode}");
    }
    let (code, j, err) = run(&[per_channel, "--faults", "crash=1"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let (_, base, _) = run(&[MSGS, "--faults", "crash=1"]);
    assert_eq!(j["violation"]["trace"].as_array().map(Vec::len), Some(5));
    assert_eq!(common::action_names(&j), common::action_names(&base));
}

/// A network too big for one collection is one spec error (no follow-up
/// errors where messages are sent) whose hint names `per_channel`.
#[test]
fn a_network_too_big_for_one_collection_points_to_per_channel() {
    let (code, _, err) = run(&["tests/fixtures/net/paxos_one_collection.ron"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has more than 2^64 values"), "{err}");
    assert!(err.contains("per_channel: true"), "{err}");
    assert!(err.contains("1 problem(s)"), "{err}");
}

#[test]
fn overflowing_the_network_is_an_error_with_a_trace() {
    let (code, j, err) = run(&["tests/fixtures/net/2pc_capacity_1.ron", "--threads", "1"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "error");
    assert_eq!(v["trace"].as_array().map(Vec::len), Some(1));
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("capacity exceeded"),
        "{v:#}"
    );
    assert!(
        v["error"]["transition"]
            .as_str()
            .unwrap_or("")
            .starts_with("TMAbort"),
        "{v:#}"
    );
}

#[test]
fn bad_network_and_fault_flags_are_usage_errors() {
    let (code, _, err) = run(&[MSGS, "--network", "bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("unordered, fifo, lossy, duplicating"), "{err}");
    let (code, _, err) = run(&[MSGS, "--network", "fifo,duplicating"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&[MSGS, "--faults", "explode=1"]);
    assert_eq!(code, 2);
    assert!(err.contains("crash, recover, byzantine"), "{err}");
    let (code, _, err) = run(&["specs/2pc.ron", "--network", "fifo"]);
    assert_eq!(code, 2, "a spec without roles has no network");
    assert!(err.contains("roles"), "{err}");
}

/// Crash-recovery (`recovery.ron`: one process P, a volatile flag v and a
/// persistent flag w, each set once by a step; crash=1, recover=1).
///
/// States (v, w, down?, recoveries): up with 0 recoveries, any (v, w): 4; a
/// crash loses v: down, v = false, w either: 2; after the one recovery, up,
/// any (v, w) again (v can be set anew, w as it was): 4; down again: 2.
/// **12 distinct**. Generated: 1 initial; up-0: SetV in 2 states, SetW in
/// 2, crash in 4 = 8; down-0: recover in 2 = 2; up-1: 8 as up-0; down-1:
/// nothing (no recovery left) = 0. **1 + 8 + 2 + 8 = 19**.
///
/// With v persistent too, a crash keeps both flags: 4 states in each of the
/// four phases, **16 distinct**; generated 1 + 8 + 4 (recover from every
/// down-0 state) + 8 = **21**.
#[test]
fn crash_recovery_loses_only_volatile_state() {
    let (code, j, err) = run(&["tests/fixtures/net/recovery.ron"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (12, 19), "{j:#}");
    let (code, j, err) = run(&["tests/fixtures/net/recovery_persistent.ron"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (16, 21), "{j:#}");
}

#[test]
fn recovery_needs_crashes() {
    let (code, _, err) = run(&[MSGS, "--faults", "recover=1"]);
    assert_eq!(code, 2);
    assert!(err.contains("`recover` needs `crash`"), "{err}");
}

const BYZ: &str = "specs/examples/byzantine_agreement.ron";

/// OM(1) with one traitor among the lieutenants: correct for N = 4 >= 3F + 1.
/// 1.58 M states; the normal suite runs the spec with N = 4 and no traitor
/// (tests/it/specs.rs) and N = 3 below.
#[test]
#[ignore = "millions of states: run with `cargo test --workspace --release -- --ignored`"]
fn byzantine_agreement_holds_with_four_generals() {
    let (code, j, err) = run(&[BYZ, "--const", "N=4", "--const", "F=1"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["result"], "ok");
}

/// With N = 3 < 3F + 1 the traitor breaks Validity. Shortest violation, 5
/// steps: a loyal lieutenant's wrong decision needs the order sent and
/// delivered (2), the traitor's contrary relay sent and delivered (2), and
/// the decision (1); each is a step of its own.
#[test]
fn byzantine_agreement_fails_with_three_generals() {
    let (code, j, err) = run(&[BYZ, "--const", "N=3", "--const", "F=1", "--threads", "1"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["property"], "Validity", "{v:#}");
    let trace = v["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 6, "{v:#}");
    assert!(
        trace.iter().any(|s| s["action"] == "byzantine_send"),
        "the traitor acts: {v:#}"
    );
    assert_eq!(trace[5]["action"], "Decide");
    // Without the traitor the same three generals agree.
    let (code, _, err) = run(&[BYZ, "--const", "N=3", "--const", "F=0"]);
    assert_eq!(code, 0, "{err}");
}

/// A lossy FIFO channel loses any message, not only the oldest (see the
/// fixture's header): the state where Data(2) is gone but Data(1) still
/// queued is reached by Send, Send, lose(k = 2), 3 steps.
#[test]
fn lossy_fifo_channels_lose_any_message() {
    let (code, j, err) = run(&[
        "tests/fixtures/net/fifo_lose_newest.ron",
        "--network",
        "fifo,lossy",
        "--threads",
        "1",
    ]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["property"], "NewestNeverLostAlone", "{v:#}");
    let actions: Vec<&str> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["", "Send", "Send", "lose"]);
    assert_eq!(v["trace"][3]["params"]["k"], 2);
    // The per-process view names the message lost: the second one queued.
    let lost: Vec<&Json> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "lose")
        .collect();
    assert_eq!(lost.len(), 1, "{v:#}");
    assert_eq!(lost[0]["message"], "Data(2)", "{v:#}");
    assert_eq!(lost[0]["step"], 3, "{v:#}");
}
