//! Action properties (`action_properties`, TLA+'s `[][A]_vars`) against
//! TLC on TwoPhase (`tests/fixtures/action/TwoPhaseAction.tla`, run with
//! `../shared/peers/tlc/run.sh`):
//!
//! - `Holds.cfg` (PROPERTY CommittedStays): no error, 288 distinct states,
//!   1,146 generated;
//! - `Fails.cfg` (PROPERTY NoAbortAfterPrepare): "Action property
//!   NoAbortAfterPrepare is violated", a 4-state trace: TMAbort,
//!   RMPrepare(r1), RMRcvAbortMsg(r1).

use crate::common::{counts, dcheck_args, dcheck_json};

const SPEC: &str = "tests/fixtures/action/2pc_action.ron";

/// The actions of a JSON counterexample's steps.
fn actions(j: &serde_json::Value) -> Vec<String> {
    j["violation"]["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .skip(1)
        .map(|s| s["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_action_property_that_holds_keeps_tlcs_counts() {
    for strategy in ["bfs", "dfs"] {
        for threads in ["1", "2"] {
            let (code, j, stderr) = dcheck_json(&[
                SPEC,
                "--property",
                "CommittedStays",
                "--symmetry",
                "off",
                "--strategy",
                strategy,
                "--threads",
                threads,
            ]);
            assert_eq!(code, 0, "{stderr}{j:#}");
            assert_eq!(counts(&j), (288, 1146), "{strategy} {threads}");
            let props = j["properties"].as_array().expect("properties");
            let kinds: Vec<(&str, &str, &str)> = props
                .iter()
                .map(|p| {
                    let f = |k: &str| p[k].as_str().unwrap_or_default();
                    (f("name"), f("kind"), f("status"))
                })
                .collect();
            assert_eq!(
                kinds,
                [
                    ("CommittedStays", "action", "holds"),
                    ("deadlock", "deadlock", "holds")
                ],
                "{j:#}"
            );
        }
    }
}

#[test]
fn a_violated_action_property_gives_tlcs_shortest_trace() {
    for symmetry in ["on", "off"] {
        for threads in ["1", "2"] {
            let (code, j, stderr) =
                dcheck_json(&[SPEC, "--symmetry", symmetry, "--threads", threads]);
            assert_eq!(code, 1, "{stderr}{j:#}");
            assert_eq!(j["violation"]["kind"], "action", "{j:#}");
            assert_eq!(j["violation"]["property"], "NoAbortAfterPrepare");
            assert_eq!(
                actions(&j),
                ["TMAbort", "RMPrepare", "RMRcvAbortMsg"],
                "{symmetry} {threads}: {j:#}"
            );
            let ex = &j["violation"]["explanation"];
            assert_eq!(
                ex["failing_part"],
                "rmState[r] == prepared implies rmState'[r] != aborted"
            );
        }
    }
    let (code, j, _) = dcheck_json(&[SPEC, "--strategy", "dfs"]);
    assert_eq!(code, 1);
    assert_eq!(j["violation"]["property"], "NoAbortAfterPrepare", "{j:#}");
    // The text names the step, and `dcheck replay` of the trace confirms it.
    let (_, text, _) = dcheck_args(&["run", SPEC]);
    assert!(
        text.contains("Violated: action property NoAbortAfterPrepare by the last step."),
        "{text}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("trace.json");
    let (_, out, _) = dcheck_args(&["run", SPEC, "--format", "json"]);
    std::fs::write(&report, out).expect("write");
    let report = report.to_str().expect("path");
    let (code, out, stderr) = dcheck_args(&["replay", SPEC, report]);
    assert_eq!(code, 0, "{stderr}{out}");
    assert!(
        crate::common::flat(&out).contains("still violated by the last step"),
        "{out}"
    );
    // Random simulation finds it and shortens it to three steps too.
    let (code, out, stderr) = dcheck_args(&["simulate", SPEC, "--format", "json"]);
    assert_eq!(code, 1, "{stderr}{out}");
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["violation"]["kind"], "action", "{j:#}");
    assert_eq!(actions(&j).len(), 3, "{j:#}");
}

/// `x'` outside an action property is the TLA+ hint, which names them.
#[test]
fn primes_outside_action_properties_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("s.ron");
    std::fs::write(
        &spec,
        r#"(name: "P", vars: [(name: "x", type: "0..1")], init: (effect: ""),
            actions: [(name: "A", guard: "x' == 0", effect: "")])"#,
    )
    .expect("write");
    let (code, _, stderr) = dcheck_args(&["check", spec.to_str().expect("path")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`x'` is TLA+, not dcheck"), "{stderr}");
    assert!(stderr.contains("action_properties"), "{stderr}");
}

/// `omit` drops an inherited action property: without the failing one the
/// spec holds with TLC's counts (Holds.cfg: 288 / 1,146).
#[test]
fn an_extending_spec_omits_an_action_property() {
    let spec = "tests/fixtures/action/2pc_action_omit.ron";
    let (code, j, stderr) = dcheck_json(&[spec, "--symmetry", "off"]);
    assert_eq!(code, 0, "{stderr}{j:#}");
    assert_eq!(counts(&j), (288, 1146));
    let names: Vec<&str> = j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .filter(|p| p["kind"] == "action")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["CommittedStays"]);
}
