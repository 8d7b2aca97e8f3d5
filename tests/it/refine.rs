//! Refinement (`refines`): TwoPhase implements TCommit, the commit-early
//! bug does not, against TLC's verdicts and trace on the TLA+ originals in
//! tests/fixtures/refine/ (TCommit.tla, TwoPhase.tla with
//! `TC == INSTANCE TCommit` and PROPERTY TCSpec). The liveness part: fair
//! TwoPhase implements TCommitLive's `weak Decide`, a TM without fairness
//! does not (TwoPhaseLive.tla, PROPERTY TCL!TCLiveSpec).

use serde_json::json;

use crate::common;
use common::{counts, dcheck_json_unreduced as run};

const TCOMMIT: &str = "specs/tcommit.ron";
const REFINES: &str = "specs/2pc_tcommit.ron";
const EARLY: &str = "specs/bugs/2pc_commit_early_tcommit.ron";
const LIVE: &str = "specs/2pc_tcommit_live.ron";
/// Every search mode a verdict, count and trace must agree in.
const MODES: [&[&str]; 3] = [
    &["--threads", "1"],
    &["--threads", "2"],
    &["--strategy", "dfs"],
];
const LAZY: &str = "specs/bugs/2pc_lazy_tm_tcommit.ron";

fn actions(v: &serde_json::Value) -> Vec<String> {
    v["trace"].as_array().expect("trace")[1..]
        .iter()
        .map(|s| {
            let a = s["action"].as_str().expect("action");
            match s["params"].as_object() {
                Some(p) if !p.is_empty() => {
                    let ps: Vec<String> = p.values().map(|v| v.to_string()).collect();
                    format!("{a}({})", ps.join(","))
                }
                _ => a.to_string(),
            }
        })
        .collect()
}

/// TCommit itself: TLC (TCommit.cfg, RM = {r1, r2, r3}): 34 distinct
/// states, 94 generated, depth 7 (states; 6 steps), TCConsistent holds.
#[test]
fn tcommit_counts_are_tlcs() {
    let (code, j, err) = run(&[TCOMMIT]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(counts(&j), (34, 94));
    assert_eq!(j["depth"], 6);
}

/// TwoPhase refines TCommit: TLC (TwoPhase.cfg) says PROPERTY TCSpec holds,
/// 288 distinct states, 1146 generated. So here, in every search mode, and
/// under the RM symmetry too.
#[test]
fn two_phase_refines_tcommit() {
    for extra in MODES {
        let (code, j, err) = run(&[&[REFINES][..], extra].concat());
        assert_eq!(code, 0, "{extra:?}: {err}{j:#}");
        assert_eq!(counts(&j), (288, 1146), "{extra:?}");
        assert_eq!(
            common::kind_status(&j, "TC"),
            ("refinement".into(), "holds".into())
        );
    }
    let (code, j, err) = common::dcheck_json(&[REFINES]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(common::status(&j, "TC"), "holds");
    let (code, out, err) = common::dcheck_run(&[REFINES]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("refines   TC"), "{out}");
}

/// The commit-early bug breaks the refinement in 4 steps, TLC's trace
/// (TwoPhaseEarly.cfg: RMPrepare(r1), TMRcvPrepared(r1), TMCommit,
/// RMRcvCommitMsg(r1); the derivation is in the spec's header), before
/// TCConsistent fails (5 steps).
#[test]
fn commit_early_does_not_refine_tcommit() {
    for threads in ["1", "2"] {
        let (code, j, err) = run(&[EARLY, "--threads", threads]);
        assert_eq!(code, 1, "{err}{j:#}");
        let v = &j["violation"];
        assert_eq!(
            (v["kind"].as_str(), v["property"].as_str()),
            (Some("refinement"), Some("TC"))
        );
        assert_eq!(
            actions(v),
            [
                "RMPrepare(1)",
                "TMRcvPrepared(1)",
                "TMCommit",
                "RMRcvCommitMsg(1)"
            ]
        );
        let r = &v["refinement"];
        assert_eq!(r["spec"], "../tcommit.ron");
        assert_eq!(r["initial"], false);
        // The mapped states: RM 1 prepared at step 1, unchanged by the two
        // TM steps (stutters of TCommit), committed at step 4.
        let mapped: Vec<serde_json::Value> = r["abstract_trace"]
            .as_array()
            .expect("abstract_trace")
            .iter()
            .map(|s| s["rmState"]["1"].clone())
            .collect();
        assert_eq!(
            mapped,
            [
                json!("working"),
                json!("prepared"),
                json!("prepared"),
                json!("prepared"),
                json!("committed")
            ]
        );
        // TCommit's 9 transitions (Prepare(r), Decide(r) commit or abort,
        // r = 1..3) and why none gives the step: Prepare(1) needs RM 1
        // working; committing needs every RM prepared; the others lead
        // elsewhere.
        let tried = r["tried"].as_array().expect("tried");
        assert_eq!(tried.len(), 9, "{r:#}");
        assert_eq!(
            tried[0],
            json!({"action": "Prepare(r = 1)", "why": "disabled: `rmState[r] == working` is false"})
        );
        assert_eq!(tried[3]["action"], "Decide(r = 1, either = 1)");
        assert_eq!(
            tried[3]["why"],
            "disabled: its effect's `require rmState[r] == prepared and canCommit` is false"
        );
        assert_eq!(
            tried[4],
            json!({"action": "Decide(r = 1, either = 2)", "why": "gives rmState[1] = aborted, not committed"})
        );
    }
    // Selected alone, and the invariant alone: its own 5-step trace.
    let (code, j, _) = run(&[EARLY, "--property", "TCConsistent"]);
    assert_eq!(code, 1);
    assert_eq!(j["violation"]["kind"], "invariant");
    assert_eq!(j["violation"]["trace"].as_array().map(Vec::len), Some(6));
    let (code, out, err) = common::dcheck_run(&[EARLY]);
    assert_eq!(code, 1, "{err}");
    assert!(
        common::flat(&out).contains(
            "Violated: refinement TC (../tcommit.ron): the last step maps to no step of TCommit"
        ),
        "{out}"
    );
    assert!(
        common::flat(&out).contains("[TC] rmState[1]: prepared -> committed"),
        "{out}"
    );
    assert!(
        common::flat(&out).contains("[TC] (no change: a stutter)"),
        "{out}"
    );
}

/// A saved refinement trace replays: still violated against its spec, and
/// against the correct TwoPhase the TM's commit diverges.
#[test]
fn a_refinement_trace_replays() {
    let dir = tempfile::tempdir().expect("dir");
    let saved = dir.path().join("t.json");
    let saved = saved.to_str().expect("path");
    let (code, _, err) =
        common::dcheck_run(&[EARLY, "--trace-format", "json", "--trace-out", saved]);
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = common::dcheck_args(&["replay", EARLY, saved]);
    assert_eq!(code, 0, "{err}{out}");
    assert!(common::flat(&out).contains("Still violated: refinement TC: the last step (to state 4) still maps to nothing the refined spec allows"), "{out}");
    let (code, out, _) = common::dcheck_args(&["replay", REFINES, saved]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Diverged at step 3: TMCommit"), "{out}");
}

/// Writes `text` as a spec beside copies of tcommit.ron and 2pc.ron in a
/// fresh directory (its own spec root) and runs `dcheck run` on it.
fn run_spec(text: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("dir");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in ["tcommit.ron", "2pc.ron"] {
        std::fs::copy(root.join("specs").join(f), dir.path().join(f)).expect("copy");
    }
    let spec = dir.path().join("s.ron");
    std::fs::write(&spec, text).expect("write");
    let mut args = vec![spec.to_str().expect("path").to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    drop(dir);
    out
}

/// An initial state that maps outside the refined spec's initial states is
/// a violation with a trace of that state alone.
#[test]
fn an_initial_state_outside_the_refined_init() {
    // RM 1 starts prepared: TCommit starts with every RM working.
    let (code, j, err) = run_spec(
        r#"(extends: "2pc.ron", name: "Off",
            init: (effect: "rmState = [r in RM |-> working]; rmState[1] = prepared;"),
            refines: [ (name: "TC", spec: "tcommit.ron", with: "rmState <- rmState") ])"#,
        &[],
    );
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "refinement");
    assert_eq!(v["trace"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["refinement"]["initial"], true);
}

/// Mappings that cannot work are spec errors at the mapping, with a hint.
#[test]
fn bad_mappings_are_spec_errors() {
    let cases = [
        (
            r#"with: "rmState <- rmState, bogus <- 1""#,
            "`bogus` is not a constant or variable of the refined spec `TCommit`",
        ),
        (
            r#"with: "N <- tmState == init""#,
            "the refined spec's constant `N` must map to a constant",
        ),
        (r##"with: "rmState <- ""##, "expected an expression"),
    ];
    for (with, want) in cases {
        let (code, j, err) = run_spec(
            &format!(
                r#"(extends: "2pc.ron", name: "Bad", refines: [ (name: "TC", spec: "tcommit.ron", {with}) ])"#
            ),
            &[],
        );
        assert_eq!(code, 2, "{with}: {j:#}");
        assert!(err.contains(want), "{with}: {err}");
    }
    // A refined variable with no mapping and no variable of that name here.
    let (code, _, err) = run_spec(
        r#"(name: "Lone", vars: [ (name: "x", type: "0..1") ], init: (effect: "x = 0;"),
            refines: [ (name: "TC", spec: "tcommit.ron") ])"#,
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("the refined spec's variable `rmState` has no mapping"),
        "{err}"
    );
    // A mapped value that is not one of the refined type's: an evaluation
    // error with the trace that reaches it (TCommit has 2 RMs here, TwoPhase 3).
    let (code, j, err) = run_spec(
        r#"(extends: "2pc.ron", name: "Wide", refines: [ (name: "TC", spec: "tcommit.ron", with: "N <- 2") ])"#,
        &[],
    );
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["violation"]["kind"], "error");
    assert!(
        j["violation"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a value of its type"),
        "{j:#}"
    );
}

/// The refined spec's path follows the spec root's rules (issue 23): a
/// path outside the root is refused, without reading it.
#[test]
fn the_refined_spec_stays_inside_the_spec_root() {
    let (code, _, err) = run_spec(
        r#"(extends: "2pc.ron", name: "Out", refines: [ (name: "TC", spec: "/etc/passwd") ])"#,
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("refined spec `/etc/passwd` not read"), "{err}");
    assert!(!err.contains("root:"), "{err}");
}

/// Random simulation finds the broken refinement too.
#[test]
fn simulation_finds_the_broken_refinement() {
    let (code, out, err) = common::dcheck_args(&["simulate", EARLY, "--runs", "200"]);
    assert_eq!(code, 1, "{err}{out}");
    assert!(
        out.contains("Refinement TC is violated (found by random simulation)"),
        "{out}"
    );
}

/// The liveness part holds: TLC (TwoPhaseLive.tla, TwoPhaseFair.cfg: fair
/// RMs and TM) says PROPERTY TCL!TCLiveSpec holds, 288 distinct states,
/// 1146 generated. Without any fairness (TwoPhaseUnfair.cfg) TLC says it
/// is violated: here the shortest lasso stutters in the initial state,
/// where TCommit's Decide (abort) is enabled and nothing forces a step.
#[test]
fn fair_two_phase_implements_tcommits_fairness() {
    for extra in MODES {
        let (code, j, err) = run(&[&[LIVE][..], extra].concat());
        assert_eq!(code, 0, "{extra:?}: {err}");
        assert_eq!(counts(&j), (288, 1146), "{extra:?}");
        assert_eq!(
            common::kind_status(&j, "TCL"),
            ("refinement".into(), "holds".into())
        );
        let p = j["properties"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "TCL"))
            .expect("TCL");
        assert_eq!(p["fairness"].as_array().map(Vec::len), Some(5), "{p}");
        let problems = crate::schema::errors("report-v1.json", &j);
        assert!(problems.is_empty(), "{problems:?}");
    }
    let (code, j, _) = run(&[LIVE, "--fairness", "none"]);
    assert_eq!(code, 1);
    let v = &j["violation"];
    assert_eq!(
        (v["kind"].as_str(), v["property"].as_str()),
        (Some("liveness"), Some("TCL"))
    );
    assert_eq!(v["trace"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (v["loop_start"].as_u64(), v["stutters"].as_bool()),
        (Some(0), Some(true))
    );
    // --invariants-only keeps the safety part only, so the RM symmetry
    // applies again: 80 orbits, as specs/2pc_tcommit.ron.
    let (code, j, _) = common::dcheck_json(&[LIVE, "--invariants-only"]);
    assert_eq!(code, 0);
    assert_eq!(j["distinct_states"], 80);
    assert_eq!(common::status(&j, "TCL"), "holds");
}

/// A TM without fairness: TLC (TwoPhaseLazy.cfg) says TCL!TCLiveSpec is
/// violated, with an 8-state stuttering trace. The shortest lasso is the
/// spec header's hand derivation: RMPrepare(1), RMPrepare(2), RMPrepare(3),
/// then stuttering with every RM prepared (TCommit's Decide enabled there,
/// the RMs' fair actions all disabled); the same in every search mode.
#[test]
fn a_lazy_tm_does_not_implement_tcommits_fairness() {
    for extra in MODES {
        let (code, j, err) = run(&[&[LAZY][..], extra].concat());
        assert_eq!(code, 1, "{extra:?}: {err}");
        assert_eq!(counts(&j), (288, 1146), "{extra:?}");
        let v = &j["violation"];
        assert_eq!(
            (v["kind"].as_str(), v["property"].as_str()),
            (Some("liveness"), Some("TCL"))
        );
        assert_eq!(actions(v), ["RMPrepare(1)", "RMPrepare(2)", "RMPrepare(3)"]);
        assert_eq!(
            (v["loop_start"].as_u64(), v["stutters"].as_bool()),
            (Some(3), Some(true))
        );
        let rf = &v["refined_fairness"];
        assert_eq!(
            (
                rf["constraint"].as_str(),
                rf["kind"].as_str(),
                rf["index"].as_u64()
            ),
            (Some("weak Decide"), Some("weak"), Some(0))
        );
        assert_eq!(
            rf["abstract_trace"][3]["rmState"],
            json!({"1": "prepared", "2": "prepared", "3": "prepared"})
        );
        assert_eq!(common::status(&j, "TCL"), "violated");
        let problems = crate::schema::errors("report-v1.json", &j);
        assert!(problems.is_empty(), "{problems:?}");
    }
    let (code, out, _) = common::dcheck_run(&[LAZY]);
    assert_eq!(code, 1);
    let out = common::flat(&out);
    assert!(out.contains("Violated: refinement TCL (tcommit_live.ron): the refined spec's fairness weak Decide is not implemented"), "{out}");
    assert!(
        out.contains("[TCL] rmState[3]: working -> prepared"),
        "{out}"
    );
    // The saved lasso replays as still violated, in JSON and in ITF.
    let dir = tempfile::tempdir().expect("dir");
    for format in ["json", "itf"] {
        let saved = dir.path().join(format!("t.{format}"));
        let saved = saved.to_str().expect("path");
        let (code, _, err) =
            common::dcheck_run(&[LAZY, "--trace-format", format, "--trace-out", saved]);
        assert_eq!(code, 1, "{err}");
        let (code, out, err) = common::dcheck_args(&["replay", LAZY, saved]);
        assert_eq!(code, 0, "{err}{out}");
        assert!(
            common::flat(&out)
                .contains("Still violated: property TCL is still violated by the replayed lasso"),
            "{format}: {out}"
        );
        // Against the fair spec the same lasso is no counterexample: the
        // TM's fairness forbids stopping there.
        let (_, out, _) = common::dcheck_args(&["replay", LIVE, saved]);
        assert!(
            common::flat(&out).contains("No longer violated"),
            "{format}: {out}"
        );
    }
}

const MINUTE: &str = "tests/fixtures/refine/minute_clock.ron";

/// A refined spec's fairness on a cyclic graph (MinuteClock.tla refining
/// HourClock.tla, PROPERTY H!HC). TLC, MinuteWeak.cfg: violated by the
/// cycle Up, Down back to the initial state (6 distinct states, 10
/// generated); MinuteStrong.cfg (`strong Tick`): holds. The steps of the
/// cycle map to hour-clock stutters; a Tick step maps to a tick, which the
/// strongly fair Tick must eventually take, so the check must tell the
/// steps apart, not only the states.
#[test]
fn minute_clock_implements_the_hour_clocks_fairness_only_with_strong_tick() {
    for extra in MODES {
        let (code, j, err) = run(&[&[MINUTE][..], extra].concat());
        assert_eq!(code, 1, "{extra:?}: {err}");
        assert_eq!(counts(&j), (6, 10));
        let v = &j["violation"];
        assert_eq!(
            (v["kind"].as_str(), v["property"].as_str()),
            (Some("liveness"), Some("H"))
        );
        assert_eq!(actions(v), ["Up", "Down"]);
        assert_eq!(
            (v["loop_start"].as_u64(), v["stutters"].as_bool()),
            (Some(0), Some(false))
        );
        let strong = [
            &[MINUTE, "--fairness", "weak Up", "--fairness", "weak Down"][..],
            &["--fairness", "strong Tick"],
            extra,
        ]
        .concat();
        let (code, j, err) = run(&strong);
        assert_eq!(code, 0, "{extra:?}: {err}");
        assert_eq!(counts(&j), (6, 10));
        assert_eq!(common::status(&j, "H"), "holds");
    }
}
