//! `dcheck replay SPEC TRACE` through the CLI: a saved counterexample of
//! specs/bugs/2pc_commit_early.ron replayed against the spec itself (exit
//! 0), against changed copies in `tests/fixtures/trace/` (a strengthened
//! guard, an effect that no longer sends, a weaker invariant), against
//! lassos, and malformed files (exit 2, never a panic). The expected
//! divergent steps are derived from the fixtures' changes and the recorded
//! trace, as explained next to each test.

use serde_json::{json, Value as Json};

const BUG: &str = "specs/bugs/2pc_commit_early.ron";
const GUARDED: &str = "tests/fixtures/trace/2pc_abort_guarded.ron";
const SILENT: &str = "tests/fixtures/trace/2pc_prepare_silent.ron";
const WEAK: &str = "tests/fixtures/trace/2pc_weak_invariant.ron";
const LASSO: &str = "tests/fixtures/live/revisit_cycle.ron";

fn dcheck(args: &[&str]) -> (i32, String, String) {
    let out = crate::common::dcheck()
        .args(args)
        .output()
        .expect("run dcheck");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

/// A saved trace of `spec` (`--trace-format FORMAT`, or the whole JSON
/// report for `report`) in a temporary directory.
struct Saved {
    _dir: tempfile::TempDir,
    path: String,
}

fn save(spec: &[&str], format: &str) -> Saved {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("trace.{format}.json"));
    let p = path.to_str().expect("utf-8").to_string();
    let mut args = vec!["run"];
    args.extend_from_slice(spec);
    args.extend(["--threads", "1"]);
    if format == "report" {
        args.extend(["--format", "json"]);
        let (code, out, _) = dcheck(&args);
        assert_eq!(code, 1);
        std::fs::write(&path, out).expect("write the report");
    } else {
        args.extend(["--trace-format", format, "--trace-out", &p]);
        let (code, _, _) = dcheck(&args);
        assert_eq!(code, 1);
    }
    Saved { _dir: dir, path: p }
}

/// `dcheck replay SPEC TRACE --format json`: exit code and result.
fn replay(spec: &str, trace: &str) -> (i32, Json) {
    let (code, out, err) = dcheck(&["replay", spec, trace, "--format", "json"]);
    let j = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, j)
}

fn recorded_trace(saved: &Saved) -> Vec<Json> {
    let j: Json =
        serde_json::from_str(&std::fs::read_to_string(&saved.path).expect("read")).expect("json");
    j["violation"]["trace"].as_array().expect("trace").clone()
}

#[test]
fn a_trace_replays_against_its_own_spec() {
    for format in ["json", "report", "itf"] {
        let saved = save(&[BUG], format);
        let (code, j) = replay(BUG, &saved.path);
        assert_eq!(code, 0, "{format}: {j:#}");
        assert_eq!(j["result"], json!("still violated"));
        assert_eq!(j["steps"], json!(5), "{format}");
    }
    // The text form says so too.
    let saved = save(&[BUG], "json");
    let (code, out, _) = dcheck(&["replay", BUG, &saved.path]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Still violated: invariant TCConsistent"),
        "{out}"
    );
}

#[test]
fn a_strengthened_guard_is_the_first_divergent_step() {
    // 2pc_abort_guarded.ron allows RMChooseToAbort only while tmState ==
    // init. Every other action is unchanged, so the first step that no
    // longer applies is the first RMChooseToAbort taken in a state where
    // the TM has already decided. Derived from the recorded trace itself.
    let saved = save(&[BUG], "json");
    let trace = recorded_trace(&saved);
    let expected = (1..trace.len())
        .find(|&i| {
            trace[i]["action"] == json!("RMChooseToAbort")
                && trace[i - 1]["state"]["tmState"] != json!("init")
        })
        .expect("the early commit trace aborts an RM after TMCommit");
    let r = trace[expected]["params"]["r"].clone();
    for path in [&saved.path, &save(&[BUG], "itf").path] {
        let (code, j) = replay(GUARDED, path);
        assert_eq!(code, 2, "{j:#}");
        let d = &j["divergence"];
        assert_eq!(d["step"], json!(expected), "{j:#}");
        assert_eq!(d["reason"], json!("disabled"));
        assert_eq!(d["action"], json!(format!("RMChooseToAbort(r = {r})")));
        // The false conjunct is named: `rmState[r] == working` still holds
        // (the trace's RM is working there), the added one does not.
        let message = d["message"].as_str().expect("a message");
        assert!(
            message.contains(&format!("`tmState == init` ({GUARDED} line 10) is false")),
            "{message}"
        );
    }
    let (code, out, _) = dcheck(&["replay", GUARDED, &saved.path]);
    assert_eq!(code, 2);
    assert!(
        out.contains(&format!("Diverged at step {expected}: RMChooseToAbort")),
        "{out}"
    );
    assert!(out.contains("not enabled"), "{out}");
    assert!(out.contains("its guard's part `tmState == init`"), "{out}");
    // The same condition as a `require` of the effect: the same step
    // diverges, and the report says the guard holds and names the
    // `require` that refuses it.
    let (code, j) = replay("tests/fixtures/trace/2pc_abort_required.ron", &saved.path);
    assert_eq!(code, 2, "{j:#}");
    assert_eq!(j["divergence"]["step"], json!(expected));
    assert_eq!(j["divergence"]["reason"], json!("disabled"));
    let message = j["divergence"]["message"].as_str().expect("a message");
    assert!(
        message.contains("its guard holds, but its effect's `require` `tmState == init`"),
        "{message}"
    );
}

#[test]
fn a_changed_effect_reports_the_differing_variables() {
    // 2pc_prepare_silent.ron: RMPrepare no longer sends Prepared(r). The
    // first RMPrepare of the trace is still enabled but leaves msgs as it
    // was, where the trace recorded Prepared(r) added; rmState is the same.
    let saved = save(&[BUG], "json");
    let trace = recorded_trace(&saved);
    let first = (1..trace.len())
        .find(|&i| trace[i]["action"] == json!("RMPrepare"))
        .expect("an RMPrepare step");
    let (code, j) = replay(SILENT, &saved.path);
    assert_eq!(code, 2);
    let d = &j["divergence"];
    assert_eq!(d["step"], json!(first), "{j:#}");
    assert_eq!(d["reason"], json!("different state"));
    let diffs = d["differences"].as_array().expect("differences");
    assert_eq!(diffs.len(), 1, "{j:#}");
    assert_eq!(diffs[0]["path"], json!("msgs"));
    // What the trace recorded, and msgs before the step (unchanged now).
    let recorded = trace[first]["state"]["msgs"].to_string();
    let before = trace[first - 1]["state"]["msgs"].to_string();
    assert_eq!(diffs[0]["recorded"], json!(recorded));
    assert_eq!(diffs[0]["actual"], json!(before));
}

#[test]
fn a_valid_trace_that_no_longer_violates_exits_1() {
    // 2pc_weak_invariant.ron: same transitions, TCConsistent weakened to
    // "committed RMs only after TMCommit", true in the last state (RM 1
    // receives Commit after TMCommit).
    for format in ["json", "itf"] {
        let saved = save(&[BUG], format);
        let (code, j) = replay(WEAK, &saved.path);
        assert_eq!(code, 1, "{j:#}");
        assert_eq!(j["result"], json!("no longer violated"));
    }
}

#[test]
fn lassos_replay_with_their_property() {
    // revisit_cycle.ron: Ends (eventually x == 3) fails on the cycle
    // 0 -> 1 -> 2 -> 0 with no fairness.
    let saved = save(&[LASSO], "json");
    let (code, j) = replay(LASSO, &saved.path);
    assert_eq!(code, 0, "{j:#}");
    // Under strong fairness of Finish the cycle is unfair (Finish is
    // enabled at x == 2 on it and never taken): valid, no longer violated.
    let dir = tempfile::tempdir().expect("dir");
    let fair = dir.path().join("fair.ron");
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(LASSO))
            .expect("spec")
            .replace(
                r#"(name: "Ends", expr: "eventually x == 3")"#,
                r#"(name: "Ends", expr: "eventually x == 3", fairness: ["strong Finish"])"#,
            );
    assert!(text.contains("strong Finish"));
    std::fs::write(&fair, text).expect("write");
    let (code, j) = replay(fair.to_str().expect("path"), &saved.path);
    assert_eq!(code, 1, "{j:#}");
    assert!(
        j["message"].as_str().expect("message").contains("fairness"),
        "{j:#}"
    );
    // ITF keeps the loop index.
    let saved = save(&[LASSO], "itf");
    let (code, _) = replay(LASSO, &saved.path);
    assert_eq!(code, 0);
}

#[test]
fn deadlock_and_error_traces_replay() {
    for spec in [
        "tests/fixtures/counter_deadlock.ron",
        "tests/fixtures/counter_overflow.ron",
    ] {
        let saved = save(&[spec], "json");
        let (code, j) = replay(spec, &saved.path);
        assert_eq!(code, 0, "{spec}: {j:#}");
    }
    // counter_terminal.ron declares x == 3 an intended end: the deadlock
    // trace of counter_deadlock.ron (same variable and action) is valid
    // there but no longer a deadlock.
    let saved = save(&["tests/fixtures/counter_deadlock.ron"], "json");
    let (code, j) = replay("tests/fixtures/counter_terminal.ron", &saved.path);
    assert_eq!(code, 1, "{j:#}");
}

#[test]
fn malformed_files_are_diagnostics_with_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let cases: [(&str, &[u8]); 6] = [
        ("garbage.json", b"this is not json {"),
        ("binary.bin", &[0xff, 0xfe, 0x00, 0x9c, 0x80]),
        ("array.json", b"[1, 2, 3]"),
        ("ok.json", br#"{"result": "ok", "properties": []}"#),
        (
            "notrace.json",
            br#"{"violation": {"kind": "invariant", "property": "P"}}"#,
        ),
        ("badstate.json", br#"{"vars": ["x"], "states": [{"y": 1}]}"#),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let (code, out, err) = dcheck(&["replay", BUG, path.to_str().expect("path")]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains("malformed trace"), "{name}: {err}");
    }
    let (code, _, err) = dcheck(&["replay", BUG, "/nonexistent/trace.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

/// A lasso that stops where an action is enabled is a behaviour under
/// TLA+'s semantics only: replayed under the progress assumption (the
/// spec's `assume_progress`, here through a spec that extends the one
/// recorded) it no longer violates the property, and the message says why.
#[test]
fn a_stuttering_lasso_is_judged_by_the_semantics() {
    const STUTTER: &str = "tests/fixtures/stutter/stutter.ron";
    let saved = save(&[STUTTER], "json");
    let (code, j) = replay(STUTTER, &saved.path);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["result"], json!("still violated"));
    let (code, j) = replay("tests/fixtures/stutter/stutter_progress.ron", &saved.path);
    assert_eq!(code, 1, "{j:#}");
    assert_eq!(j["result"], json!("no longer violated"));
    let m = j["message"].as_str().expect("message");
    assert!(
        m.contains("stutters in state 0, where Next is enabled"),
        "{m}"
    );
    assert!(m.contains("assume_progress"), "{m}");
    let (_, out, _) = dcheck(&["replay", STUTTER, &saved.path, "--assume-progress"]);
    assert!(out.contains("No longer violated"), "{out}");
}

#[test]
fn lassos_of_general_properties_replay_by_the_semantics() {
    // disjunction.ron: Settles (eventually always x == 1) fails on
    // B, then C, D forever; the disjunction Disj holds there.
    const DISJ: &str = "tests/fixtures/ltl/disjunction.ron";
    let itf = save(&[DISJ, "--no-deadlock"], "itf");
    let (code, j) = replay(DISJ, &itf.path);
    assert_eq!(code, 0, "{j:#}");
    let saved = save(&[DISJ, "--no-deadlock"], "json");
    let (code, j) = replay(DISJ, &saved.path);
    assert_eq!(code, 0, "{j:#}");
    let dir = tempfile::tempdir().expect("dir");
    let weaker = dir.path().join("weaker.ron");
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DISJ))
            .expect("spec")
            .replace(
                r#"(name: "Settles", expr: "eventually always x == 1")"#,
                r#"(name: "Settles", expr: "(eventually always x == 1) or (always eventually x == 2)")"#,
            );
    assert!(text.contains("or (always eventually x == 2)\")"));
    std::fs::write(&weaker, text).expect("write");
    let (code, j) = replay(weaker.to_str().expect("path"), &saved.path);
    assert_eq!(code, 1, "{j:#}");
    assert_eq!(j["result"], json!("no longer violated"));
    assert!(
        j["message"]
            .as_str()
            .expect("message")
            .contains("holds on the replayed lasso"),
        "{j:#}"
    );
}
