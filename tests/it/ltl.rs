//! Temporal properties of any shape (issue 22), checked through the
//! automaton of the negated formula, against TLC's verdicts on the TLA+
//! twins kept beside the fixtures (tests/fixtures/ltl/), and the fixed
//! shapes through both paths.

use crate::common::{self, counts, dcheck_json, dcheck_run, flat, status};

/// Quiescence on Dijkstra's termination detection holds; TLC
/// (EWD840Q.cfg, N = 3): 302 distinct states, 2,001 generated, holds.
#[test]
fn quiescence_holds_on_termination_detection() {
    let (code, j, err) = dcheck_json(&[
        "tests/fixtures/ltl/ewd840_quiescence.ron",
        "--const",
        "N=3",
        "--no-deadlock",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&j), (302, 2001));
    assert_eq!(status(&j, "Quiescence"), "holds");
}

/// EWD840 where a process can wake on its own, checking Quiescence.
const WAKE: [&str; 6] = [
    "tests/fixtures/ltl/ewd840_wake.ron",
    "--const",
    "N=3",
    "--no-deadlock",
    "--property",
    "Quiescence",
];

/// The mutant where a process wakes on its own: TLC (EWD840QWake.cfg)
/// reports Quiescence violated. The explanation names the subformula and
/// the states: terminated in the initial state (every process inactive),
/// not after the first step.
#[test]
fn quiescence_is_violated_when_a_process_can_wake() {
    let (code, j, err) = dcheck_json(&WAKE);
    assert_eq!(code, 1, "{err}");
    assert_eq!(status(&j, "Quiescence"), "violated");
    assert_eq!(j["violation"]["kind"], "liveness");
    assert_eq!(
        j["violation"]["why"],
        serde_json::json!([
            {"fact": "holds", "formula": "terminated", "state": 0},
            {"fact": "fails", "formula": "terminated", "state": 1},
        ])
    );
    let errors = crate::schema::errors("report-v1.json", &j);
    assert!(errors.is_empty(), "{errors:?}");
    let (_, text, _) = dcheck_run(&WAKE);
    let text = flat(&text);
    assert!(
        text.contains("why: `terminated` holds in state 0"),
        "{text}"
    );
    assert!(
        text.contains("`terminated` does not hold in state 1"),
        "{text}"
    );
}

/// Strong fairness as a property: holds under `strong Go`, violated under
/// `weak Go` by the ticking cycle (derivation in sf_property.ron; TLC:
/// SFStrong.cfg holds, SFWeak.cfg violated, 3 distinct states).
#[test]
fn strong_fairness_as_a_property() {
    let spec = "tests/fixtures/ltl/sf_property.ron";
    let (code, j, err) = dcheck_json(&[spec, "--no-deadlock"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&j).0, 3);
    assert_eq!(status(&j, "SF"), "holds");
    let (code, j, err) = dcheck_json(&[
        spec,
        "--no-deadlock",
        "--fairness",
        "weak Tick",
        "--fairness",
        "weak Go",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(status(&j, "SF"), "violated");
    // The lasso 0 -> 1 -> 0 by Tick, the cycle from the initial state.
    assert_eq!(common::action_names(&j), vec!["Tick", "Tick"]);
    assert_eq!(j["violation"]["loop_start"], 0);
}

/// `taken` where it would depend on stuttering is refused at its span.
#[test]
fn taken_outside_eventually_is_refused() {
    let (code, out, err) = dcheck_run(&["tests/fixtures/ltl/misplaced_taken.ron"]);
    assert_eq!(code, 2, "{out}");
    let err = flat(&err);
    assert!(
        err.contains("`taken` is checked only as `eventually taken T`"),
        "{err}"
    );
    assert!(err.contains("always taken Tick"), "{err}");
}

/// The fixed shapes through the automaton product give the same verdicts
/// and counts, and the same lasso on the shipped liveness counterexamples.
#[test]
fn the_general_path_agrees_with_the_fixed_one() {
    for (spec, extra) in [
        ("specs/examples/ewd840.ron", &["--const", "N=3"][..]),
        ("specs/tcommit_live.ron", &[][..]),
        ("specs/bugs/2pc_lazy_tm_tcommit.ron", &[][..]),
        ("tests/fixtures/never_enabled_live.ron", &[][..]),
        ("tests/fixtures/live/revisit_cycle.ron", &[][..]),
        ("tests/fixtures/stutter/stutter.ron", &[][..]),
        ("tests/fixtures/stutter/self_loop.ron", &[][..]),
        ("tests/fixtures/stutter/stutter_progress.ron", &[][..]),
    ] {
        let mut args = vec![spec];
        args.extend_from_slice(extra);
        let (code, fixed, _) = dcheck_json(&args);
        args.extend(["--temporal-path", "general"]);
        let (code_g, general, _) = dcheck_json(&args);
        assert_eq!(code, code_g, "{spec}");
        assert_eq!(fixed["properties"], general["properties"], "{spec}");
        assert_eq!(counts(&fixed), counts(&general), "{spec}");
        assert_eq!(
            fixed["violation"]["trace"], general["violation"]["trace"],
            "{spec}"
        );
        assert_eq!(
            fixed["violation"]["loop_start"], general["violation"]["loop_start"],
            "{spec}"
        );
    }
}

/// A disjunction that holds while each disjunct fails (derivation in
/// disjunction.ron; TLC on Disjunction.tla: Disj holds, Settles violated
/// with a 2-step cycle after one step, Recurs violated by stuttering).
#[test]
fn a_disjunction_holds_where_neither_disjunct_does() {
    let spec = "tests/fixtures/ltl/disjunction.ron";
    let (code, j, err) = dcheck_json(&[spec, "--no-deadlock"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(counts(&j), (4, 5));
    assert_eq!(status(&j, "Disj"), "holds");
    assert_eq!(status(&j, "Settles"), "violated");
    assert_eq!(status(&j, "Recurs"), "violated");
    // The first violated property is Settles: B, then the cycle C, D.
    assert_eq!(common::action_names(&j), vec!["B", "C", "D"]);
    assert_eq!(j["violation"]["loop_start"], 1);
    let (_, j, _) = dcheck_json(&[spec, "--no-deadlock", "--property", "Recurs"]);
    assert_eq!(common::action_names(&j), vec!["A"]);
    assert_eq!(j["violation"]["stutters"], true);
}

/// `exists` over a temporal body (derivation in exists.ron; TLC on
/// Exists.tla: Settles holds, Settles1 violated by Set(2) then stuttering).
#[test]
fn exists_over_eventually_always() {
    let (code, j, err) = dcheck_json(&["tests/fixtures/ltl/exists.ron", "--no-deadlock"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(counts(&j), (3, 3));
    assert_eq!(status(&j, "Settles"), "holds");
    assert_eq!(status(&j, "Settles1"), "violated");
    assert_eq!(common::action_names(&j), vec!["Set"]);
    assert_eq!(j["violation"]["trace"][1]["state"]["x"], 2);
}

/// Once the TM commits no RM is aborted: holds on two-phase commit
/// (TLC, TwoPhaseNested.cfg: 288 distinct states, 1,146 generated), and
/// is violated in 4 steps on the commit-early bug (TLC,
/// TwoPhaseNestedEarly.cfg: a 4-step trace; derivation in
/// 2pc_early_nested.ron).
#[test]
fn a_nested_property_on_two_phase_commit() {
    let (code, j, err) = dcheck_json(&["tests/fixtures/ltl/2pc_nested.ron", "--no-deadlock"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&j), (288, 1146));
    assert_eq!(status(&j, "NoAbortAfterCommit"), "holds");
    let args = [
        "tests/fixtures/ltl/2pc_early_nested.ron",
        "--no-deadlock",
        "--property",
        "NoAbortAfterCommit",
    ];
    let (code, j, err) = dcheck_json(&args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(j["violation"]["trace"].as_array().expect("trace").len(), 5);
    assert_eq!(j["violation"]["stutters"], true);
    let (_, text, _) = dcheck_run(&args);
    let text = flat(&text);
    assert!(
        text.contains("why: `tmState == committed` holds in state"),
        "{text}"
    );
    assert!(text.contains("does not hold in state 4"), "{text}");
}

/// Strong until, derived by hand in until.ron.
#[test]
fn strong_until() {
    let spec = "tests/fixtures/ltl/until.ron";
    let (code, j, err) = dcheck_json(&[spec, "--no-deadlock"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(status(&j, "Reach"), "holds");
    assert_eq!(status(&j, "Exact"), "violated");
    assert_eq!(common::action_names(&j), vec!["Jump"]);
    assert_eq!(j["violation"]["stutters"], true);
    let (code, j, err) = dcheck_json(&[
        spec,
        "--no-deadlock",
        "--fairness",
        "none",
        "--property",
        "Reach",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(j["violation"]["trace"].as_array().expect("trace").len(), 1);
    assert_eq!(j["violation"]["stutters"], true);
}

/// An automaton past the limit is refused at the property's span (exit 2);
/// a general property's automaton size is in the summary and the JSON.
#[test]
fn automaton_size_is_reported_and_bounded() {
    let (code, out, err) = dcheck_run(&["tests/fixtures/ltl/too_large.ron"]);
    assert_eq!(code, 2, "{out}");
    let err = flat(&err);
    assert!(err.contains("this property is too large to check"), "{err}");
    assert!(err.contains("more than 65536"), "{err}");
    let (_, j, _) = dcheck_json(&["tests/fixtures/ltl/disjunction.ron", "--no-deadlock"]);
    let disj = j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|p| p["name"] == "Disj")
        .expect("Disj");
    assert!(
        disj["automaton_states"].as_u64().expect("size") >= 2,
        "{disj}"
    );
    let settles = j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|p| p["name"] == "Settles")
        .expect("Settles");
    assert!(settles.get("automaton_states").is_none(), "{settles}");
    let errors = crate::schema::errors("report-v1.json", &j);
    assert!(errors.is_empty(), "{errors:?}");
}

/// Each fixed shape, violated, through both paths and both liveness
/// semantics: the same lasso (derivations in shapes.ron). With fairness
/// the run goes round 0 1 2 0 (Step, Step, Reset) from the initial state;
/// without, the initial state repeats forever, or for the `leads_to` one
/// state after the step to x == 1. Under `--assume-progress` no state may
/// repeat where a step is enabled, so every lasso is the round.
#[test]
fn every_fixed_shape_gives_the_same_lasso_through_both_paths() {
    let round = (vec!["Step", "Step", "Reset"], 0);
    for (property, tla, progress) in [
        ("E", round.clone(), round.clone()),
        ("AE", round.clone(), round.clone()),
        ("EA", round.clone(), round.clone()),
        ("LT", round.clone(), round.clone()),
        ("ENow", (vec![], 0), round.clone()),
        ("AENow", (vec![], 0), round.clone()),
        ("EANow", (vec![], 0), round.clone()),
        ("LTNow", (vec!["Step"], 1), round.clone()),
    ] {
        for path in ["auto", "general"] {
            for (semantics, (actions, loop_start)) in [("", &tla), ("--assume-progress", &progress)]
            {
                let mut args = vec![
                    "tests/fixtures/ltl/shapes.ron",
                    "--property",
                    property,
                    "--temporal-path",
                    path,
                ];
                if !semantics.is_empty() {
                    args.push(semantics);
                }
                let (code, j, err) = dcheck_json(&args);
                assert_eq!(code, 1, "{property} {path} {semantics}: {err}");
                assert_eq!(
                    common::action_names(&j),
                    *actions,
                    "{property} {path} {semantics}"
                );
                assert_eq!(
                    j["violation"]["loop_start"], *loop_start,
                    "{property} {path} {semantics}"
                );
            }
        }
    }
}

/// The HTML report carries the explanation too (it renders the text
/// report's violation).
#[test]
fn the_html_report_says_why() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("wake.html");
    let html_args = [
        "--trace-format",
        "html",
        "--trace-out",
        out.to_str().expect("path"),
    ];
    let (code, _, err) = dcheck_run(&[&WAKE[..], &html_args].concat());
    assert_eq!(code, 1, "{err}");
    let html = std::fs::read_to_string(&out).expect("report");
    assert!(html.contains("`terminated` holds in state 0"), "{html}");
    assert!(html.contains("`terminated` does not hold in state 1"));
}

/// Quantifiers over empty domains (derivations in empty_domains.ron).
#[test]
fn quantifiers_over_empty_domains() {
    let (code, j, err) = dcheck_json(&["tests/fixtures/ltl/empty_domains.ron", "--no-deadlock"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(status(&j, "Vacuous"), "holds");
    assert_eq!(status(&j, "Settles"), "violated");
    assert_eq!(common::action_names(&j), vec!["Set"]);
    assert_eq!(j["violation"]["trace"][1]["state"]["x"], 2);
}
