//! Choice inside actions (`either`, `with`): TLC's counts on TLA+ originals
//! with `\/` and `\E` inside actions, traces that name the choices, and the
//! diagnostics of choice points that cannot be one parameter of a step.

use crate::common;
use common::{counts, dcheck_json_unreduced as run};

const EWD840: &str = "specs/examples/ewd840.ron";
const CHOICE: &str = "tests/fixtures/choice/choice.ron";

/// specs/examples/ewd840.ron against its TLA+ original
/// (tests/fixtures/choice/EWD840.tla, EWD840.cfg, TLC with -deadlock):
/// "1566 distinct states found", "15986 states generated", depth 12 (TLC
/// counts states: 11 steps), TerminationDetection and Liveness hold.
#[test]
fn ewd840_generates_what_tlc_generates() {
    for threads in ["1", "2"] {
        let (code, j, err) = run(&[EWD840, "--threads", threads]);
        assert_eq!(code, 0, "{err}{j:#}");
        assert_eq!(counts(&j), (1566, 15986));
        assert_eq!(j["depth"], 11);
        assert_eq!(common::status(&j, "TerminationDetection"), "holds");
        assert_eq!(common::status(&j, "Liveness"), "holds");
        // Coverage stays per action: every successor is one action's.
        // TLC: 1024 initial states (16 activities x 16 colorings x 4
        // token positions), so the actions generated 15986 - 1024.
        let taken: u64 = j["coverage"]
            .as_array()
            .expect("coverage")
            .iter()
            .map(|c| c["taken"].as_u64().expect("taken"))
            .sum();
        assert_eq!(taken, 15986 - 1024);
    }
    // The same spec with the guard disjunctions written as plain guards
    // (`A or B`) reaches the same states with fewer generated (one
    // successor where TLC makes one per true disjunct).
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EWD840))
            .expect("spec")
            .replace(
                "either { require tcolor == black; } or { require color[0] == black; }",
                "require tcolor == black or color[0] == black;",
            );
    let dir = tempfile::tempdir().expect("dir");
    let plain = dir.path().join("plain.ron");
    std::fs::write(&plain, text).expect("write");
    let (code, j, err) = run(&[plain.to_str().expect("path")]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 1566);
    assert!(
        j["states_generated"].as_u64().expect("generated") < 15986,
        "{j:#}"
    );
}

/// tests/fixtures/choice/choice.ron against Choice.tla (TLC, -deadlock):
/// 60 distinct, 235 generated, with `either` inside an `if` and inside a
/// `with`, which needs the rule that an unreached point takes its first
/// value only.
#[test]
fn nested_choice_points_match_tlc() {
    for threads in ["1", "2"] {
        for strategy in ["bfs", "dfs"] {
            let (code, j, err) = run(&[CHOICE, "--threads", threads, "--strategy", strategy]);
            assert_eq!(code, 0, "{err}{j:#}");
            assert_eq!(counts(&j), (60, 235), "{threads} {strategy}");
        }
    }
}

/// The choices are parameters of the transition in traces (text and JSON),
/// and a saved trace replays. With the invariant `x + y < 4` the shortest
/// violation takes two steps (y <= 2, and one step adds at most 2 to x or
/// y); in transition order (i slowest, then the branch), the first level-1
/// state from which a step reaches x + y = 4 is x = 2 (Step(i = 2, either
/// = 1)), and from it Step(i = 2, either = 1) gives x = 4 before any
/// other.
#[test]
fn traces_show_the_choices_taken() {
    let dir = tempfile::tempdir().expect("dir");
    let spec = dir.path().join("small.ron");
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CHOICE))
            .expect("spec")
            .replace(
                r#"terminal: "true","#,
                r#"terminal: "true", invariants: [ (name: "Small", expr: "x + y < 4") ],"#,
            );
    std::fs::write(&spec, text).expect("write");
    let spec = spec.to_str().expect("path");
    let (code, out, err) = common::dcheck_run(&[spec]);
    assert_eq!(code, 1, "{err}{out}");
    assert!(out.contains("1. Step(i = 2, either = 1)"), "{out}");
    assert!(out.contains("2. Step(i = 2, either = 1)"), "{out}");
    let (_, j, _) = run(&[spec]);
    let trace = j["violation"]["trace"].as_array().expect("trace");
    assert_eq!(trace.len(), 3);
    assert_eq!(trace[1]["params"], serde_json::json!({"i": 2, "either": 1}));
    let saved = dir.path().join("t.json");
    let saved = saved.to_str().expect("path");
    let (code, _, err) =
        common::dcheck_run(&[spec, "--trace-format", "json", "--trace-out", saved]);
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = common::dcheck_args(&["replay", spec, saved]);
    assert_eq!(code, 0, "{err}{out}");
    assert!(out.contains("Still violated"), "{out}");
}

/// A fairness assumption names an action's declared parameters only: the
/// choice points are always `_`.
#[test]
fn fairness_names_declared_parameters_only() {
    let (code, j, err) = run(&[
        EWD840,
        "--fairness",
        "weak InitiateProbe",
        "--fairness",
        "forall i in Node: weak PassToken(i)",
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(common::status(&j, "Liveness"), "holds");
    let (code, _, err) = common::dcheck_run(&[EWD840, "--fairness", "weak SendMsg(1, 2)"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`SendMsg` has 1 parameter(s), 2 given"),
        "{err}"
    );
}

/// What cannot be a choice point of a step is a spanned error with a hint.
#[test]
fn choice_points_that_cannot_be_parameters_are_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let check = |actions: &str| {
        let spec = dir.path().join("bad.ron");
        std::fs::write(
            &spec,
            format!(
                r#"(name: "Bad", vars: [ (name: "x", type: "0..5"), (name: "s", type: "set<0..3>") ],
                    init: (effect: "x = 0; s = {{}};"), actions: [ {actions} ])"#
            ),
        )
        .expect("write");
        let (code, out, err) = common::dcheck_args(&["check", spec.to_str().expect("path")]);
        assert_eq!(code, 2, "{out}{err}");
        err
    };
    let err = check(r#"(name: "A", effect: "for k in 1..2 { either { x = k; } or { x = 0; } }")"#);
    assert!(
        err.contains("`either` and `with` cannot be inside a `for` loop"),
        "{err}"
    );
    assert!(err.contains("1 problem(s)"), "{err}");
    let err = check(r#"(name: "A", effect: "either { x = 1; }")"#);
    assert!(
        err.contains("`either` needs at least two branches"),
        "{err}"
    );
    let err = check(r#"(name: "A", params: "i: 1..2", effect: "with i in s { x = i; }")"#);
    assert!(
        err.contains("`i` names a parameter of this action already"),
        "{err}"
    );
    let err = check(r#"(name: "A", effect: "with n in 0..x { x = n; }")"#);
    assert!(err.contains("`with` needs a finite domain"), "{err}");
    assert!(err.contains("1 problem(s)"), "{err}");
}

/// `with` over an empty set has no successor, like `\E x \in {}`; and
/// `either` and `with` are still ordinary names elsewhere.
#[test]
fn with_over_an_empty_set_disables_and_the_words_stay_names() {
    let dir = tempfile::tempdir().expect("dir");
    let spec = dir.path().join("empty.ron");
    std::fs::write(
        &spec,
        r#"(name: "Empty", vars: [ (name: "with", type: "0..3"), (name: "either", type: "set<0..3>") ],
            init: (effect: "with = 0; either = {};"),
            actions: [
                (name: "Take", effect: "with v in either { with = v; }"),
                (name: "Add", guard: "with < 3", effect: "insert(either, with + 1); with = with + 1;"),
            ],
            terminal: "true")"#,
    )
    .expect("write");
    // Reachable: (0, {}), (1, {1}), (2, {1, 2}), (3, {1, 2, 3}) by Add;
    // Take sets `with` to a member: from (2, {1,2}) to (1, {1,2}) and
    // (2, ...) itself; from (3, {1,2,3}) to (1, ..), (2, ..), (3, ..);
    // from (1, {1,2}): Add -> (2, {1,2}) (already), Take -> itself twice;
    // ... Enumerated by hand: the states are (w, {1..k}) with 0 <= w <= k
    // <= 3 and w >= 1 unless k = 0, so 1 + 1 + 2 + 3 = 7 distinct.
    let (code, j, err) = run(&[spec.to_str().expect("path")]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(j["distinct_states"], 7, "{j:#}");
    // Take is never enabled in the initial state (an empty set).
    let take = j["coverage"]
        .as_array()
        .expect("coverage")
        .iter()
        .find(|c| c["action"] == "Take")
        .expect("Take")
        .clone();
    // Enabled in every state but the initial one: 6.
    assert_eq!(take["enabled"], 6, "{j:#}");
}

/// `either` in a role's step: TwoPhase with the TM's two decisions as one
/// step `TMDecide` (commit, if every RM is prepared, or abort) has the
/// states and successors of specs/2pc_msgs.ron, whose TMCommit and TMAbort
/// are the two branches (TLC on the TLA+ TwoPhase: 288 distinct, 1146
/// generated); Termination still holds under `weak processes`, which
/// covers the step's choices as `_`.
#[test]
fn either_in_a_role_step() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("specs/2pc_msgs.ron")).expect("spec");
    let old = r#"        (role: "TM", name: "TMCommit", guard: "tmState == init and tmPrepared == RM",
         effect: "tmState = committed; broadcast(RM, Commit);"),
        (role: "TM", name: "TMAbort", guard: "tmState == init",
         effect: "tmState = aborted; broadcast(RM, Abort);"),"#;
    assert!(
        text.contains(old),
        "specs/2pc_msgs.ron changed: update this test"
    );
    let text = text.replace(
        old,
        r#"        (role: "TM", name: "TMDecide", guard: "tmState == init",
         effect: "either { require tmPrepared == RM; tmState = committed; broadcast(RM, Commit); } or { tmState = aborted; broadcast(RM, Abort); }"),"#,
    );
    let dir = tempfile::tempdir().expect("dir");
    let spec = dir.path().join("2pc_either.ron");
    std::fs::write(&spec, text).expect("write");
    let (code, j, err) = run(&[spec.to_str().expect("path")]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (288, 1146));
    assert_eq!(common::status(&j, "Termination"), "holds");
}
