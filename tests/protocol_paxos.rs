//! Single-decree Paxos (`specs/paxos.ron`) and its bug variant
//! (`specs/bugs/paxos_ignore_promises.ron`) through the CLI. Every expected
//! count, trace length and action list is derived by hand next to its
//! assertion (or in the spec's header); checker counts of larger
//! configurations are not pinned.

use serde_json::Value as Json;

mod common;
use common::dcheck_json as run;

const SPEC: &str = "specs/paxos.ron";
const BUG: &str = "specs/bugs/paxos_ignore_promises.ron";

/// The status of property `name` in a report.
fn status(j: &Json, name: &str) -> String {
    j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {j:#}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The action names of a trace, without the initial state.
fn action_names(j: &Json) -> Vec<String> {
    j["violation"]["trace"].as_array().expect("trace")[1..]
        .iter()
        .map(|s| s["action"].as_str().expect("action").to_string())
        .collect()
}

/// How many steps of `names` are `name`.
fn count(names: &[String], name: &str) -> usize {
    names.iter().filter(|n| *n == name).count()
}

#[test]
fn defaults_hold() {
    let (code, j, err) = run(&[SPEC, "--threads", "2"]);
    assert_eq!(code, 0, "{err}\n{j:#}");
    assert_eq!(j["result"], "ok");
    for p in [
        "Consistency",
        "Nontriviality",
        "LearnerAgreement",
        "OneValuePerBallot",
        "deadlock",
        "ValueChosen",
        "ValueLearned",
    ] {
        assert_eq!(status(&j, p), "holds", "{p}");
    }
}

/// P = 1, A = 1, L = 1, MaxBallot = 1, by hand (a majority of one acceptor
/// is that acceptor; every other action instance is disabled throughout):
///
/// s0 init -Phase1a(1)-> s1 (Prepare(1)) -Phase1b(1, 1)-> s2 (Promise(1, 1,
/// 0, 0)) -Phase2a(1, {1})-> s3 (Accept(1, 1); Q = {} is not a majority)
/// -Phase2b(1, 1, 1)-> s4 (Accepted(1, 1, 1): value 1 chosen). In s4,
/// Phase2b(1, 1, 1) is enabled again (1 >= maxBal) and changes nothing (a
/// self-loop), and Learn(1, 1, 1) -> s5 (learned {1}); in s5 both Phase2b
/// and Learn are self-loops. Phase1a is disabled after s0 (next ballot 2 >
/// MaxBallot).
///
/// Distinct: s0..s5 = 6. Generated (initial states plus every successor,
/// self-loops included): 1 + 1 + 1 + 1 + 1 + 2 + 2 = 9. Depth 5.
#[test]
fn smallest_configuration_by_hand() {
    let (code, j, err) = run(&[
        SPEC,
        "--threads",
        "2",
        "--const",
        "P=1",
        "--const",
        "A=1",
        "--const",
        "MaxBallot=1",
    ]);
    assert_eq!(code, 0, "{err}\n{j:#}");
    assert_eq!(j["distinct_states"], 6);
    assert_eq!(j["states_generated"], 9);
    assert_eq!(j["depth"], 5);
    assert_eq!(status(&j, "ValueChosen"), "holds");
    assert_eq!(status(&j, "ValueLearned"), "holds");
}

/// The literal "one stable proposer" configuration.
#[test]
fn one_proposer_liveness() {
    let (code, j, err) = run(&[SPEC, "--threads", "2", "--const", "P=1"]);
    assert_eq!(code, 0, "{err}\n{j:#}");
    assert_eq!(status(&j, "ValueChosen"), "holds");
    assert_eq!(status(&j, "ValueLearned"), "holds");
    assert_eq!(status(&j, "Consistency"), "holds");
}

/// Without fairness ValueChosen fails. Every step other than a self-loop
/// makes the state grow (msgs, crashed and learned only grow, pBal only
/// increases, and pPhase goes preparing -> accepting within a ballot), so
/// the only cycles are self-loops; before anything is chosen the only
/// self-loop is Phase2b re-voting a vote already cast (Learn needs a chosen
/// value). The shortest prefix to a first vote is Phase1a(1),
/// Phase1b(1, 1), Phase1b(2, 1), Phase2a(1, {1, 2}), Phase2b(1, 1, 1) (a
/// majority of promises is needed for Phase2a); transition order picks
/// proposer 1 and acceptors 1, 2. Then Phase2b(1, 1, 1) forever.
#[test]
fn no_fairness_duplicate_accept_forever() {
    let (code, j, err) = run(&[
        SPEC,
        "--threads",
        "2",
        "--fairness",
        "none",
        "--property",
        "ValueChosen",
    ]);
    assert_eq!(code, 1, "{err}\n{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(v["property"], "ValueChosen");
    assert_eq!(v["loop_start"], 5);
    assert_eq!(v["stutters"], false);
    let trace = v["trace"].as_array().unwrap();
    let steps: Vec<(String, Json)> = trace[1..]
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_string(),
                s["params"].clone(),
            )
        })
        .collect();
    let expect = [
        ("Phase1a", serde_json::json!({"p": 1})),
        ("Phase1b", serde_json::json!({"a": 1, "b": 1})),
        ("Phase1b", serde_json::json!({"a": 2, "b": 1})),
        ("Phase2a", serde_json::json!({"p": 1, "Q": [1, 2]})),
        ("Phase2b", serde_json::json!({"a": 1, "b": 1, "v": 1})),
        ("Phase2b", serde_json::json!({"a": 1, "b": 1, "v": 1})),
    ];
    assert_eq!(steps.len(), expect.len(), "{v:#}");
    for ((a, p), (ea, ep)) in steps.iter().zip(expect.iter()) {
        assert_eq!((a.as_str(), p), (*ea, ep), "{v:#}");
    }
    // The cycle is the self-loop: back to the loop start's state.
    assert_eq!(trace[6]["state"], trace[5]["state"]);
}

/// One crashed acceptor of three leaves a majority: liveness still holds.
#[test]
fn one_crash_tolerated() {
    let (code, j, err) = run(&[SPEC, "--threads", "2", "--const", "F=1"]);
    assert_eq!(code, 0, "{err}\n{j:#}");
    assert_eq!(status(&j, "ValueChosen"), "holds");
    assert_eq!(status(&j, "ValueLearned"), "holds");
}

/// Two crashes of three (acceptors 2 and 3 may crash): a fair behaviour can
/// end with nothing chosen. In an end state (no action enabled, so the
/// behaviour stutters) without a chosen value: both proposers used up their
/// ballots (Phase1a(1) twice: ballots 1 and 3; Phase1a(2) once: ballot 2),
/// acceptors 2 and 3 crashed (Crash(2), Crash(3); otherwise Phase1b would be
/// enabled for them), and acceptor 1 has maxBal 3 so that Prepare(3) is not
/// receivable any more: Phase1b(1, 3) (Phase2b in ballot 3 would need a
/// majority of promises first). Phase2a needs two promises, so it stays
/// disabled. 6 steps, the fewest possible; the lasso stutters there.
#[test]
fn two_crashes_break_liveness() {
    let (code, j, err) = run(&[
        SPEC,
        "--threads",
        "2",
        "--const",
        "F=2",
        "--property",
        "ValueChosen",
    ]);
    assert_eq!(code, 1, "{err}\n{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(v["property"], "ValueChosen");
    assert_eq!(v["stutters"], true);
    assert_eq!(v["loop_start"], 6);
    let names = action_names(&j);
    assert_eq!(names.len(), 6, "{v:#}");
    assert_eq!(count(&names, "Phase1a"), 3);
    assert_eq!(count(&names, "Phase1b"), 1);
    assert_eq!(count(&names, "Crash"), 2);
    let trace = v["trace"].as_array().unwrap();
    let crashes: Vec<&Json> = trace
        .iter()
        .filter(|s| s["action"] == "Crash")
        .map(|s| &s["params"]["a"])
        .collect();
    assert_eq!(crashes, [2, 3]);
    let p1b = trace.iter().find(|s| s["action"] == "Phase1b").unwrap();
    assert_eq!(p1b["params"], serde_json::json!({"a": 1, "b": 3}));
}

/// The bug: Consistency fails with a 12-step counterexample (derivation in
/// the bug spec's header): 2 Phase1a, 4 Phase1b, 2 Phase2a, 4 Phase2b, and
/// the failing binding is the two values.
#[test]
fn ignoring_promises_chooses_two_values() {
    let (code, j, err) = run(&[BUG, "--threads", "2"]);
    assert_eq!(code, 1, "{err}\n{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant");
    assert_eq!(v["property"], "Consistency");
    assert_eq!(j["depth"], 12);
    let names = action_names(&j);
    assert_eq!(names.len(), 12, "{v:#}");
    assert_eq!(count(&names, "Phase1a"), 2);
    assert_eq!(count(&names, "Phase1b"), 4);
    assert_eq!(count(&names, "Phase2a"), 2);
    assert_eq!(count(&names, "Phase2b"), 4);
    // Both proposers sent their own value: Phase2a of p is followed by
    // Accept(ballot, p); the two Phase2a steps are one per proposer.
    let trace = v["trace"].as_array().unwrap();
    let mut proposers: Vec<u64> = trace
        .iter()
        .filter(|s| s["action"] == "Phase2a")
        .map(|s| s["params"]["p"].as_u64().unwrap())
        .collect();
    proposers.sort();
    assert_eq!(proposers, [1, 2]);
    // The first binding in order that falsifies it: v1 = 1, v2 = 2.
    assert_eq!(
        v["explanation"]["bindings"],
        serde_json::json!({"v1": 1, "v2": 2})
    );
}

/// With a single proposer the bug is harmless: there is only one value, so
/// Consistency cannot fail (the other invariants hold too).
#[test]
fn ignoring_promises_needs_two_proposers() {
    let (code, j, err) = run(&[BUG, "--threads", "2", "--const", "P=1"]);
    assert_eq!(code, 0, "{err}\n{j:#}");
    assert_eq!(status(&j, "Consistency"), "holds");
}
