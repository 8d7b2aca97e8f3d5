//! `dcheck simulate`: seeded random walks.
//!
//! Expectations come from the specs' structure, derived by hand in the
//! comments, and from a second implementation of the TwoPhase transition
//! relation (written from the TLA+ spec, here) that validates every step of
//! a reported trace; never from an earlier run of dcheck.

use crate::common;

use std::process::Output;

use common::{Rm, State, Tm};
use serde_json::Value as Json;

const SPEC: &str = "specs/2pc.ron";
const BUG: &str = "specs/bugs/2pc_commit_early.ron";

fn dcheck(args: &[&str]) -> Output {
    crate::common::dcheck()
        .args(args)
        .output()
        .expect("run dcheck")
}

fn code(out: &Output) -> i32 {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "dcheck panicked:\n{err}");
    out.status.code().expect("dcheck exited by a signal")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `dcheck simulate ARGS --format json`: exit code, report, raw stdout.
fn simulate_json(args: &[&str]) -> (i32, Json, String) {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = dcheck(&all);
    let raw = text(&out);
    let j: Json =
        serde_json::from_str(raw.trim()).unwrap_or_else(|e| panic!("not JSON ({e}):\n{raw}"));
    (code(&out), j, raw)
}

/// The report without the fields that may differ between equal runs: the
/// time, and (when comparing thread counts) the thread count.
fn untimed(mut j: Json, drop_threads: bool) -> Json {
    let o = j.as_object_mut().expect("an object");
    o.remove("elapsed_seconds");
    if drop_threads {
        o.remove("threads");
    }
    j
}

/// A JSON TwoPhase state (N RMs) as the reference model's state.
fn parse_state(j: &Json, n: usize) -> State {
    let rm = |v: &Json| match v.as_str() {
        Some("working") => Rm::Working,
        Some("prepared") => Rm::Prepared,
        Some("committed") => Rm::Committed,
        Some("aborted") => Rm::Aborted,
        _ => panic!("not an RMState: {v}"),
    };
    let rm_state = (1..=n).map(|r| rm(&j["rmState"][r.to_string()])).collect();
    let tm_state = match j["tmState"].as_str() {
        Some("init") => Tm::Init,
        Some("committed") => Tm::Committed,
        Some("aborted") => Tm::Aborted,
        _ => panic!("not a TMState: {j}"),
    };
    let mut s = State::init(n);
    s.rm_state = rm_state;
    s.tm_state = tm_state;
    for r in j["tmPrepared"].as_array().expect("a set") {
        s.tm_prepared[r.as_u64().expect("an RM") as usize - 1] = true;
    }
    for m in j["msgs"].as_array().expect("a set") {
        match (m.as_str(), m.get("Prepared")) {
            (Some("Commit"), _) => s.msg_commit = true,
            (Some("Abort"), _) => s.msg_abort = true,
            (None, Some(p)) => s.msg_prepared[p[0].as_u64().expect("an RM") as usize - 1] = true,
            _ => panic!("not a Msg: {m}"),
        }
    }
    s
}

/// The bug variant's transition relation (TMCommit enabled once any RM is
/// in tmPrepared), one action instance; `None` when disabled.
fn apply_early(s: &State, action: &str, r: Option<usize>) -> Option<State> {
    let mut t = s.clone();
    let r = || r.expect("this action has a parameter r") - 1;
    match action {
        "TMRcvPrepared" if s.tm_state == Tm::Init && s.msg_prepared[r()] => {
            t.tm_prepared[r()] = true
        }
        "TMCommit" if s.tm_state == Tm::Init && s.tm_prepared.contains(&true) => {
            t.tm_state = Tm::Committed;
            t.msg_commit = true;
        }
        "TMAbort" if s.tm_state == Tm::Init => {
            t.tm_state = Tm::Aborted;
            t.msg_abort = true;
        }
        "RMPrepare" if s.rm_state[r()] == Rm::Working => {
            t.rm_state[r()] = Rm::Prepared;
            t.msg_prepared[r()] = true;
        }
        "RMChooseToAbort" if s.rm_state[r()] == Rm::Working => t.rm_state[r()] = Rm::Aborted,
        "RMRcvCommitMsg" if s.msg_commit => t.rm_state[r()] = Rm::Committed,
        "RMRcvAbortMsg" if s.msg_abort => t.rm_state[r()] = Rm::Aborted,
        _ => return None,
    }
    Some(t)
}

/// Checks that a bug-variant trace is a behaviour (initial state, then every
/// step its named action instance, enabled, giving the next state) whose
/// last state, and only that one, violates TCConsistent.
fn validate_early(trace: &[Json], n: usize) {
    let states: Vec<State> = trace.iter().map(|s| parse_state(&s["state"], n)).collect();
    assert_eq!(states[0], State::init(n));
    assert_eq!(trace[0]["action"], Json::Null);
    for i in 1..trace.len() {
        let action = trace[i]["action"].as_str().expect("an action name");
        let r = trace[i]["params"]
            .get("r")
            .map(|v| v.as_u64().expect("r") as usize);
        let next = apply_early(&states[i - 1], action, r)
            .unwrap_or_else(|| panic!("step {i}: {action}({r:?}) not enabled"));
        assert_eq!(next, states[i], "step {i}: {action}({r:?})");
    }
    let last = states.len() - 1;
    assert!(!states[last].tc_consistent(), "the last state violates");
    assert!(
        states[..last].iter().all(State::tc_consistent),
        "no earlier state violates (a walk stops at its first violation)"
    );
}

#[test]
fn finds_the_commit_early_bug_reproducibly() {
    let args = [BUG, "--seed", "1", "--runs", "100", "--depth", "20"];
    let (c1, j1, _) = simulate_json(&args);
    let (c2, j2, _) = simulate_json(&args);
    assert_eq!((c1, c2), (1, 1), "{j1:#}");
    assert_eq!(j1["result"], "violation");
    assert_eq!(j1["violation"]["property"], "TCConsistent");
    assert_eq!(j1["violation"]["kind"], "invariant");
    // Same seed: byte-identical reports apart from the time.
    let pretty = |j: Json| serde_json::to_string_pretty(&j).expect("json");
    assert_eq!(
        pretty(untimed(j1.clone(), false)),
        pretty(untimed(j2, false))
    );
    // The text output is identical too once the time line is removed.
    let plain = |o: &Output| {
        text(o)
            .lines()
            .filter(|l| !l.trim_start().starts_with("time"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut targs = vec!["simulate"];
    targs.extend_from_slice(&args);
    let (t1, t2) = (dcheck(&targs), dcheck(&targs));
    assert_eq!(code(&t1), 1);
    assert_eq!(plain(&t1), plain(&t2));
    assert!(text(&t1).contains("Invariant TCConsistent is violated"));
    assert!(text(&t1).contains("--seed 1"), "{}", text(&t1));

    let v = &j1["violation"];
    let trace = v["trace"].as_array().expect("trace");
    validate_early(trace, 3);
    let steps = trace.len() - 1;
    let walk = v["walk_steps"].as_u64().expect("walk_steps") as usize;
    // specs/bugs/2pc_commit_early.ron derives that no behaviour shorter
    // than 5 steps violates TCConsistent.
    assert!(steps >= 5, "{steps}");
    assert!(steps <= walk, "shortened {steps} > walk {walk}");
    assert!(walk <= 20, "a walk takes at most --depth steps");
    // The run counts: runs up to and including the violating one, each of
    // at most 20 steps.
    let run = v["run"].as_u64().expect("run");
    assert!(run < 100);
    assert_eq!(j1["runs_done"].as_u64(), Some(run + 1));
    let total = j1["steps"].as_u64().expect("steps");
    assert!(total <= (run + 1) * 20 && total >= walk as u64);
}

#[test]
fn the_thread_count_does_not_change_the_walks() {
    for seed in ["1", "7", "12345"] {
        let args = |t| {
            [
                BUG,
                "--seed",
                seed,
                "--runs",
                "300",
                "--depth",
                "30",
                "--threads",
                t,
            ]
        };
        let (c1, j1, _) = simulate_json(&args("1"));
        let (c2, j2, _) = simulate_json(&args("2"));
        assert_eq!(c1, c2);
        assert_eq!(untimed(j1, true), untimed(j2, true), "seed {seed}");
    }
}

#[test]
fn every_shortened_trace_is_a_violating_behaviour() {
    // Several seeds and a large depth, so walks wander before the bug and
    // the shortening has work to do.
    let mut shortened = 0;
    for seed in 0..10u32 {
        let s = seed.to_string();
        let (c, j, _) = simulate_json(&[BUG, "--seed", &s, "--runs", "200", "--depth", "60"]);
        assert_eq!(c, 1, "seed {seed}: {j:#}");
        let v = &j["violation"];
        let trace = v["trace"].as_array().expect("trace");
        validate_early(trace, 3);
        let walk = v["walk_steps"].as_u64().expect("walk_steps") as usize;
        let steps = trace.len() - 1;
        assert!((5..=walk).contains(&steps), "{steps} steps, walk {walk}");
        shortened += (trace.len() - 1 < walk) as u32;
    }
    assert!(shortened > 0, "no trace was shortened in ten seeds");
}

#[test]
fn a_correct_spec_reports_no_violation() {
    let (c, j, _) = simulate_json(&[SPEC, "--seed", "1", "--runs", "100", "--depth", "20"]);
    assert_eq!(c, 0, "{j:#}");
    assert_eq!(j["result"], "ok");
    assert!(j.get("violation").is_none());
    assert_eq!(j["runs_done"], 100);
    // In TwoPhase every state has an enabled action: with Commit sent,
    // RMRcvCommitMsg(r) is enabled; with Abort sent, RMRcvAbortMsg(r); with
    // neither, the TM has not decided (TMCommit and TMAbort send them), so
    // TMAbort is enabled. So every walk takes exactly --depth steps.
    assert_eq!(j["steps"], 100 * 20);
    assert_eq!(j["longest_run"], 20);
    let out = dcheck(&[
        "simulate", SPEC, "--seed", "1", "--runs", "100", "--depth", "20",
    ]);
    assert_eq!(code(&out), 0);
    let t = text(&out);
    assert!(t.contains("No violation found in 100 random run(s)"), "{t}");
    assert!(t.contains("steps taken            2000"), "{t}");
}

#[test]
fn deadlocks_and_no_deadlock() {
    // The counter 0 -> 1 -> 2 -> 3 has one enabled action below 3 and none
    // at 3: every walk is that path, a deadlock after 3 steps.
    let dl = "tests/fixtures/counter_deadlock.ron";
    let (c, j, _) = simulate_json(&[dl, "--runs", "10", "--depth", "10"]);
    assert_eq!(c, 1);
    assert_eq!(j["violation"]["kind"], "deadlock");
    assert_eq!(j["violation"]["run"], 0);
    assert_eq!(j["violation"]["trace"].as_array().map(Vec::len), Some(4));
    assert_eq!(j["runs_done"], 1);
    assert_eq!(j["steps"], 3);
    // Without deadlock checking (or with `terminal`), each of the 10 runs
    // stops at x = 3 after 3 steps.
    let (c, j, _) = simulate_json(&[dl, "--runs", "10", "--depth", "10", "--no-deadlock"]);
    assert_eq!(
        (c, &j["steps"], &j["runs_done"]),
        (0, &Json::from(30), &Json::from(10))
    );
    let term = "tests/fixtures/counter_terminal.ron";
    let (c, j, _) = simulate_json(&[term, "--runs", "10", "--depth", "10"]);
    assert_eq!((c, &j["steps"]), (0, &Json::from(30)));
    // A depth of 2 never reaches the dead end: 2 steps per run.
    let (c, j, _) = simulate_json(&[dl, "--runs", "10", "--depth", "2"]);
    assert_eq!((c, &j["steps"]), (0, &Json::from(20)));
}

#[test]
fn usage_errors_exit_2() {
    let out = dcheck(&["simulate", "specs/does_not_exist.ron"]);
    assert_eq!(code(&out), 2);
    let out = dcheck(&["simulate", SPEC, "--runs", "many"]);
    assert_eq!(code(&out), 2);
    let out = dcheck(&["simulate", SPEC, "--const", "N"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn a_simulated_counterexample_is_saved_and_replays() {
    // `--trace-format json|itf --trace-out FILE` as for `dcheck run`: the
    // walk's shortened trace goes to the file, the summary to stdout, and
    // `dcheck replay` accepts the file (exit 0: still a violating
    // behaviour). The same seed writes the same bytes.
    let dir = tempfile::tempdir().expect("temp dir");
    let args = [BUG, "--seed", "42", "--runs", "1000", "--depth", "50"];
    let (_, report, _) = simulate_json(&args);
    let reported = &report["violation"]["trace"];
    for (format, name) in [("json", "t.json"), ("itf", "t.itf.json")] {
        let path = dir.path().join(name);
        let path = path.to_str().expect("utf-8 path");
        let mut written = Vec::new();
        for _ in 0..2 {
            let mut all = vec!["simulate"];
            all.extend_from_slice(&args);
            all.extend_from_slice(&["--trace-format", format, "--trace-out", path]);
            let out = dcheck(&all);
            assert_eq!(code(&out), 1, "{}", text(&out));
            let t = text(&out);
            assert!(
                t.contains(&format!("Counterexample written to {path} ({format})")),
                "{t}"
            );
            assert!(t.contains("Invariant TCConsistent is violated"), "{t}");
            written.push(std::fs::read_to_string(path).expect("trace file"));
        }
        assert_eq!(written[0], written[1], "{format}: same seed, same file");
        let saved: Json = serde_json::from_str(&written[0]).expect("JSON");
        if format == "json" {
            // The file's trace is the report's, and a behaviour of the bug.
            assert_eq!(&saved["violation"]["trace"], reported);
            validate_early(saved["violation"]["trace"].as_array().expect("trace"), 3);
        } else {
            // One ITF state per trace state, the same actions.
            let states = saved["states"].as_array().expect("ITF states");
            let trace = reported.as_array().expect("trace");
            assert_eq!(states.len(), trace.len());
            for (s, t) in states.iter().zip(trace) {
                assert_eq!(s["#meta"]["action"], t["action"]);
            }
        }
        let out = dcheck(&["replay", BUG, path]);
        assert_eq!(code(&out), 0, "{format}: {}", text(&out));
        assert!(text(&out).contains("Still violated"), "{}", text(&out));
    }
    // With --format json, a trace format needs a file (stdout holds the
    // report).
    let out = dcheck(&["simulate", BUG, "--format", "json", "--trace-format", "itf"]);
    assert_eq!(code(&out), 2);
}
