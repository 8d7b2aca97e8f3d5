//! End-to-end tests of the `dcheck` command line: exit codes, the text and
//! JSON reports, counterexample traces, search limits and spec errors.
//!
//! Every expected number comes from an independent source, never from a run
//! of dcheck: TLC's published TwoPhase figures (N = 3: 288 distinct states,
//! 1146 generated), the reference BFS in `tests/common/mod.rs`, hand
//! derivations in comments next to the tests, or a second implementation in
//! this file (the TwoPhase transition relation used to validate traces).

use crate::common;

use std::collections::{HashSet, VecDeque};
use std::process::Output;

use common::{reference, Rm, State, Tm};
use serde_json::Value as Json;

const SPEC: &str = "specs/2pc.ron";
const BUG: &str = "specs/bugs/2pc_commit_early.ron";

/// Runs `dcheck` from the repository root.
fn dcheck(args: &[&str]) -> Output {
    crate::common::dcheck()
        .args(args)
        .output()
        .expect("run dcheck")
}

fn exit_code(out: &Output) -> i32 {
    out.status.code().expect("dcheck exited by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// No run may end in a Rust panic, whatever its exit code.
fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "dcheck panicked:\n{err}");
    assert!(!err.contains("RUST_BACKTRACE"), "dcheck panicked:\n{err}");
}

/// Runs with `--format json` appended; returns the exit code and the report.
/// `dcheck run ARGS --format json` of the unreduced spec (`--symmetry
/// off`): the counts TLC gives.
fn run_json(args: &[&str]) -> (i32, Json) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "--symmetry", "off"]);
    let out = dcheck(&all);
    assert_no_panic(&out);
    let text = stdout(&out);
    let report: Json = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON object ({e}):\n{text}\nstderr:\n{}",
            stderr(&out)
        )
    });
    (exit_code(&out), report)
}

/// `dcheck run ARGS` of the unreduced spec (`--symmetry off`).
fn run_text(args: &[&str]) -> Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--symmetry", "off"]);
    let out = dcheck(&all);
    assert_no_panic(&out);
    out
}

/// The digits of `n` appear in `text` as a whole number (not inside a longer one).
fn contains_number(text: &str, n: u64) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|w| w == n.to_string())
}

// ------------------------------------------------------------ TwoPhase, ok

#[test]
fn twophase_text_reports_tlc_counts() {
    let out = run_text(&[SPEC]);
    let text = stdout(&out);
    assert_eq!(
        exit_code(&out),
        0,
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&out)
    );
    // TLC: 288 distinct states, 1146 states generated for N = 3.
    assert!(contains_number(&text, 288), "no 288 in:\n{text}");
    assert!(contains_number(&text, 1146), "no 1146 in:\n{text}");
    let line = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("no `{key}` line in:\n{text}"))
            .to_string()
    };
    assert!(contains_number(&line("distinct states "), 288), "{text}");
    assert!(contains_number(&line("states generated"), 1146), "{text}");
}

#[test]
fn twophase_json_reports_tlc_counts_and_properties() {
    let (code, j) = run_json(&[SPEC]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["result"], "ok", "{j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(288), "{j:#}");
    assert_eq!(j["states_generated"].as_u64(), Some(1146), "{j:#}");
    assert_eq!(j["spec"], "TwoPhase");
    assert_eq!(j["constants"]["N"], 3, "the default of N");
    assert!(j.get("violation").is_none(), "{j:#}");
    assert!(j.get("incomplete_reason").is_none(), "{j:#}");
    let props = j["properties"].as_array().expect("properties array");
    let tc: Vec<&Json> = props
        .iter()
        .filter(|p| p["name"] == "TCConsistent")
        .collect();
    assert_eq!(tc.len(), 1, "{props:?}");
    assert_eq!(tc[0]["kind"], "invariant");
    assert_eq!(tc[0]["status"], "holds");
    // The dense encoding, by hand for N = 3: rmState has 4^3 = 64 values (6
    // bits), tmState 3 (2 bits), tmPrepared 2^3 (3 bits), msgs is a set over
    // 3 + 2 = 5 messages, 2^5 values (5 bits): 16 bits.
    assert_eq!(j["state_bits"].as_u64(), Some(16), "{j:#}");
}

/// The BFS depth of TwoPhase, computed by a BFS over the reference model:
/// the greatest distance from the initial state.
fn reference_depth(n: usize) -> u64 {
    let levels = reference_levels(n, u32::MAX);
    levels.len() as u64 - 1
}

/// The states of the reference TwoPhase model by BFS level, levels
/// `0..=max_depth` only.
fn reference_levels(n: usize, max_depth: u32) -> Vec<Vec<State>> {
    let init = State::init(n);
    let mut seen = HashSet::from([init.clone()]);
    let mut levels = vec![vec![init]];
    while (levels.len() as u32) <= max_depth {
        let mut next = Vec::new();
        for s in levels.last().unwrap() {
            for t in s.successors() {
                if seen.insert(t.clone()) {
                    next.push(t);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        levels.push(next);
    }
    levels
}

#[test]
fn twophase_json_depth_matches_reference() {
    let (code, j) = run_json(&[SPEC]);
    assert_eq!(code, 0);
    assert_eq!(j["depth"].as_u64(), Some(reference_depth(3)), "{j:#}");
}

#[test]
fn twophase_const_n2_matches_reference() {
    let want = reference(2);
    // A plausibility check of the reference itself for N = 2: at most
    // 4^2 * 3 * 2^2 * 2^(2+2) = 3072 combinations, more than N = 1's 12.
    assert!(want.distinct > 12 && want.distinct < 3072, "{want:?}");
    let (code, j) = run_json(&[SPEC, "--const", "N=2"]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["constants"]["N"], 2);
    assert_eq!(j["distinct_states"].as_u64(), Some(want.distinct), "{j:#}");
    assert_eq!(
        j["states_generated"].as_u64(),
        Some(want.generated),
        "{j:#}"
    );
}

#[test]
fn twophase_dfs_counts_equal_bfs_counts() {
    // The set of reachable states and the number of (state, enabled
    // transition) pairs do not depend on the search order.
    for threads in ["1", "2"] {
        let (code, j) = run_json(&[SPEC, "--strategy", "dfs", "--threads", threads]);
        assert_eq!(code, 0, "threads {threads}: {j:#}");
        assert_eq!(j["result"], "ok");
        assert_eq!(j["strategy"], "dfs");
        assert_eq!(
            j["distinct_states"].as_u64(),
            Some(288),
            "threads {threads}: {j:#}"
        );
        assert_eq!(
            j["states_generated"].as_u64(),
            Some(1146),
            "threads {threads}: {j:#}"
        );
    }
}

#[test]
fn twophase_bfs_counts_do_not_depend_on_threads() {
    for threads in ["1", "2", "3"] {
        let (code, j) = run_json(&[SPEC, "--threads", threads]);
        assert_eq!(code, 0, "threads {threads}: {j:#}");
        assert_eq!(j["threads"].as_u64(), Some(threads.parse().unwrap()));
        assert_eq!(
            j["distinct_states"].as_u64(),
            Some(288),
            "threads {threads}: {j:#}"
        );
        assert_eq!(
            j["states_generated"].as_u64(),
            Some(1146),
            "threads {threads}: {j:#}"
        );
    }
}

// ------------------------------------------- TwoPhase bug variant: traces

/// A JSON state of TwoPhase (N RMs) as the reference model's state.
fn parse_state(j: &Json, n: usize) -> State {
    let rm = |v: &Json| match v.as_str() {
        Some("working") => Rm::Working,
        Some("prepared") => Rm::Prepared,
        Some("committed") => Rm::Committed,
        Some("aborted") => Rm::Aborted,
        _ => panic!("not an RMState: {v}"),
    };
    let rm_map = j["rmState"]
        .as_object()
        .unwrap_or_else(|| panic!("rmState: {j}"));
    assert_eq!(rm_map.len(), n, "rmState has one entry per RM: {j}");
    let rm_state = (1..=n)
        .map(|r| rm(&rm_map[&r.to_string()]))
        .collect::<Vec<_>>();
    let tm_state = match j["tmState"].as_str() {
        Some("init") => Tm::Init,
        Some("committed") => Tm::Committed,
        Some("aborted") => Tm::Aborted,
        _ => panic!("not a TMState: {j}"),
    };
    let mut tm_prepared = vec![false; n];
    for r in j["tmPrepared"].as_array().expect("tmPrepared is a set") {
        let r = r.as_u64().expect("an RM") as usize;
        assert!((1..=n).contains(&r), "{j}");
        assert!(!tm_prepared[r - 1], "duplicate in a set: {j}");
        tm_prepared[r - 1] = true;
    }
    let mut msg_prepared = vec![false; n];
    let (mut msg_commit, mut msg_abort) = (false, false);
    let msgs = j["msgs"].as_array().expect("msgs is a set");
    for m in msgs {
        match (m.as_str(), m.get("Prepared")) {
            (Some("Commit"), _) => msg_commit = true,
            (Some("Abort"), _) => msg_abort = true,
            (None, Some(p)) => {
                let r = p[0].as_u64().expect("Prepared(RM)") as usize;
                assert!((1..=n).contains(&r), "{j}");
                msg_prepared[r - 1] = true;
            }
            _ => panic!("not a Msg: {m}"),
        }
    }
    let distinct_msgs =
        msg_prepared.iter().filter(|&&b| b).count() + msg_commit as usize + msg_abort as usize;
    assert_eq!(distinct_msgs, msgs.len(), "duplicate in a set: {j}");
    State {
        rm_state,
        tm_state,
        tm_prepared,
        msg_prepared,
        msg_commit,
        msg_abort,
    }
}

/// The TwoPhase transition relation, one action instance at a time, written
/// from the TLA+ spec. `commit_early` selects the bug variant's TMCommit
/// (enabled once `tmPrepared != {}` instead of `tmPrepared == RM`). Returns
/// `None` when the action is disabled.
fn apply(s: &State, action: &str, r: Option<usize>, commit_early: bool) -> Option<State> {
    let mut t = s.clone();
    let r = || r.expect("this action has a parameter r") - 1;
    match action {
        "TMRcvPrepared" => {
            let r = r();
            if s.tm_state != Tm::Init || !s.msg_prepared[r] {
                return None;
            }
            t.tm_prepared[r] = true;
        }
        "TMCommit" => {
            let ready = if commit_early {
                s.tm_prepared.iter().any(|&p| p)
            } else {
                s.tm_prepared.iter().all(|&p| p)
            };
            if s.tm_state != Tm::Init || !ready {
                return None;
            }
            t.tm_state = Tm::Committed;
            t.msg_commit = true;
        }
        "TMAbort" => {
            if s.tm_state != Tm::Init {
                return None;
            }
            t.tm_state = Tm::Aborted;
            t.msg_abort = true;
        }
        "RMPrepare" => {
            let r = r();
            if s.rm_state[r] != Rm::Working {
                return None;
            }
            t.rm_state[r] = Rm::Prepared;
            t.msg_prepared[r] = true;
        }
        "RMChooseToAbort" => {
            let r = r();
            if s.rm_state[r] != Rm::Working {
                return None;
            }
            t.rm_state[r] = Rm::Aborted;
        }
        "RMRcvCommitMsg" => {
            if !s.msg_commit {
                return None;
            }
            t.rm_state[r()] = Rm::Committed;
        }
        "RMRcvAbortMsg" => {
            if !s.msg_abort {
                return None;
            }
            t.rm_state[r()] = Rm::Aborted;
        }
        other => panic!("unknown TwoPhase action {other}"),
    }
    Some(t)
}

/// Checks that `trace` (the JSON `violation.trace`) is a behaviour of
/// TwoPhase (N RMs): starts in the initial state, and every step is the
/// named action instance, enabled, producing exactly the next state.
/// Returns the decoded states.
fn validate_trace(trace: &[Json], n: usize, commit_early: bool) -> Vec<State> {
    assert!(!trace.is_empty());
    assert_eq!(trace[0]["action"], Json::Null, "{:#}", trace[0]);
    assert_eq!(trace[0]["params"], serde_json::json!({}), "{:#}", trace[0]);
    let states: Vec<State> = trace.iter().map(|s| parse_state(&s["state"], n)).collect();
    assert_eq!(
        states[0],
        State::init(n),
        "the trace starts in the initial state"
    );
    for i in 1..trace.len() {
        let action = trace[i]["action"]
            .as_str()
            .unwrap_or_else(|| panic!("step {i}: {:#}", trace[i]));
        let params = trace[i]["params"].as_object().expect("params object");
        let r = params
            .get("r")
            .map(|v| v.as_u64().expect("r is an integer") as usize);
        let takes_r = !matches!(action, "TMCommit" | "TMAbort");
        assert_eq!(
            r.is_some(),
            takes_r,
            "step {i}: params {params:?} for {action}"
        );
        assert_eq!(params.len(), r.is_some() as usize, "step {i}: {params:?}");
        if let Some(r) = r {
            assert!((1..=n).contains(&r), "step {i}: r = {r}");
        }
        let next = apply(&states[i - 1], action, r, commit_early).unwrap_or_else(|| {
            panic!(
                "step {i}: {action}({r:?}) is not enabled in {:?}",
                states[i - 1]
            )
        });
        assert_eq!(
            next,
            states[i],
            "step {i}: {action}({r:?}) from {:?}",
            states[i - 1]
        );
    }
    states
}

#[test]
fn bug_variant_json_trace_is_a_shortest_valid_behaviour() {
    let (code, j) = run_json(&[BUG]);
    assert_eq!(code, 1, "{j:#}");
    assert_eq!(j["result"], "violation");
    let v = &j["violation"];
    assert_eq!(v["kind"], "invariant", "{v:#}");
    assert_eq!(v["property"], "TCConsistent", "{v:#}");
    let trace = v["trace"].as_array().expect("trace array");
    // 5 steps (the hand derivation in the spec's header) + the initial state.
    assert_eq!(trace.len(), 6, "{v:#}");
    let states = validate_trace(trace, 3, true);
    // Only the last state violates TCConsistent (BFS stops at the first).
    assert!(
        !states.last().unwrap().tc_consistent(),
        "{:?}",
        states.last()
    );
    for s in &states[..states.len() - 1] {
        assert!(
            s.tc_consistent(),
            "an earlier state already violates: {s:?}"
        );
    }
    let props = j["properties"].as_array().unwrap();
    let tc = props.iter().find(|p| p["name"] == "TCConsistent").unwrap();
    assert_eq!(tc["status"], "violated");
}

/// The shortest violating behaviour of the bug variant, by a BFS of the
/// test's own transition relation (second check of the header's "5").
#[test]
fn bug_variant_shortest_counterexample_is_five_steps_by_reference_bfs() {
    const ACTIONS: [(&str, bool); 7] = [
        ("TMRcvPrepared", true),
        ("TMCommit", false),
        ("TMAbort", false),
        ("RMPrepare", true),
        ("RMChooseToAbort", true),
        ("RMRcvCommitMsg", true),
        ("RMRcvAbortMsg", true),
    ];
    let n = 3;
    let init = State::init(n);
    let mut seen = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([(init, 0u32)]);
    let mut shortest = None;
    while let Some((s, d)) = queue.pop_front() {
        if !s.tc_consistent() {
            shortest = Some(d);
            break;
        }
        for (a, has_r) in ACTIONS {
            let rs: Vec<Option<usize>> = if has_r {
                (1..=n).map(Some).collect()
            } else {
                vec![None]
            };
            for r in rs {
                if let Some(t) = apply(&s, a, r, true) {
                    if seen.insert(t.clone()) {
                        queue.push_back((t, d + 1));
                    }
                }
            }
        }
    }
    assert_eq!(shortest, Some(5));
    // And the correct spec has no violation at all under the same relation
    // (the reference asserts TCConsistent on every state it visits).
    assert_eq!(reference(n).distinct, 288);
}

#[test]
fn bug_variant_violation_is_identical_across_threads_and_runs() {
    let (_, first) = run_json(&[BUG, "--threads", "1"]);
    let want = &first["violation"];
    assert!(want.is_object(), "{first:#}");
    for threads in ["1", "2", "2", "3"] {
        let (code, j) = run_json(&[BUG, "--threads", threads]);
        assert_eq!(code, 1);
        assert_eq!(
            &j["violation"], want,
            "threads {threads} gave another violation"
        );
    }
}

#[test]
fn bug_variant_text_output_lists_numbered_steps() {
    let out = run_text(&[BUG]);
    let text = stdout(&out);
    assert_eq!(exit_code(&out), 1, "{text}\n{}", stderr(&out));
    assert!(text.contains("TCConsistent"), "{text}");
    // The JSON trace gives the action names; the text must show the same
    // steps, numbered 1..=5, in order.
    let (_, j) = run_json(&[BUG]);
    let trace = j["violation"]["trace"].as_array().unwrap();
    let mut pos = 0;
    for (i, step) in trace.iter().enumerate().skip(1) {
        let action = step["action"].as_str().unwrap();
        let needle = format!("{i}. {action}");
        let at = text[pos..]
            .find(&needle)
            .unwrap_or_else(|| panic!("no `{needle}` after byte {pos} in:\n{text}"));
        pos += at + needle.len();
    }
    assert!(!text.contains("6. "), "more than 5 steps:\n{text}");
}

#[test]
fn bug_variant_dfs_finds_a_valid_deterministic_trace() {
    let mut violations = Vec::new();
    for threads in ["1", "2"] {
        let (code, j) = run_json(&[BUG, "--strategy", "dfs", "--threads", threads]);
        assert_eq!(code, 1, "threads {threads}: {j:#}");
        let v = &j["violation"];
        assert_eq!(v["kind"], "invariant");
        assert_eq!(v["property"], "TCConsistent");
        let trace = v["trace"].as_array().expect("trace");
        // DFS need not be shortest, but cannot be shorter than 5 steps.
        assert!(trace.len() >= 6, "{v:#}");
        let states = validate_trace(trace, 3, true);
        assert!(!states.last().unwrap().tc_consistent());
        violations.push(v.clone());
    }
    assert_eq!(
        violations[0], violations[1],
        "DFS trace differs between 1 and 2 threads"
    );
}

// ------------------------------------------------------------------ limits

#[test]
fn max_states_limit_is_incomplete() {
    // 100 < 288, so the limit must stop the search.
    for threads in ["1", "2"] {
        let (code, j) = run_json(&[SPEC, "--max-states", "100", "--threads", threads]);
        assert_eq!(code, 3, "{j:#}");
        assert_eq!(j["result"], "incomplete");
        assert_eq!(j["incomplete_reason"], "max-states");
        let d = j["distinct_states"].as_u64().unwrap();
        assert_eq!(
            d, 100,
            "stores exactly the first 100 distinct states: {j:#}"
        );
        assert!(j.get("violation").is_none());
        let props = j["properties"].as_array().unwrap();
        let tc = props.iter().find(|p| p["name"] == "TCConsistent").unwrap();
        assert_ne!(
            tc["status"], "holds",
            "an incomplete search has not shown it holds"
        );
    }
    // A limit at or above the state count does not stop the search.
    let (code, j) = run_json(&[SPEC, "--max-states", "288"]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(288));
}

#[test]
fn max_depth_limit_is_incomplete() {
    // States at depth <= 2, by the reference model: 1 initial, 7 at depth 1
    // (TMAbort, RMPrepare(r), RMChooseToAbort(r) for 3 RMs), then level 2.
    let levels = reference_levels(3, 2);
    assert_eq!(levels[0].len(), 1);
    assert_eq!(levels[1].len(), 7);
    let want: usize = levels.iter().map(Vec::len).sum();
    let (code, j) = run_json(&[SPEC, "--max-depth", "2"]);
    assert_eq!(code, 3, "{j:#}");
    assert_eq!(j["result"], "incomplete");
    assert_eq!(j["incomplete_reason"], "max-depth");
    assert_eq!(j["distinct_states"].as_u64(), Some(want as u64), "{j:#}");
    assert_eq!(j["depth"].as_u64(), Some(2), "{j:#}");
    // States at the limit depth are not expanded and make the result
    // incomplete (engine Config docs), so the limit must exceed the full
    // depth to change nothing; at exactly the full depth it is incomplete.
    let full = reference_depth(3).to_string();
    let (code, j) = run_json(&[SPEC, "--max-depth", &full]);
    assert_eq!(code, 3, "--max-depth {full}: {j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(288));
    let full = (reference_depth(3) + 1).to_string();
    let (code, j) = run_json(&[SPEC, "--max-depth", &full]);
    assert_eq!(code, 0, "--max-depth {full}: {j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(288));
}

#[test]
fn max_depth_limit_and_the_bug_variant() {
    // The violation needs 5 steps: depth 4 cannot see it, depth 5 can.
    let (code, j) = run_json(&[BUG, "--max-depth", "4"]);
    assert_eq!(code, 3, "{j:#}");
    assert_eq!(j["incomplete_reason"], "max-depth");
    let (code, j) = run_json(&[BUG, "--max-depth", "5"]);
    assert_eq!(code, 1, "{j:#}");
    assert_eq!(j["violation"]["trace"].as_array().map(Vec::len), Some(6));
}

#[test]
fn max_memory_limit_is_a_clean_incomplete() {
    for strategy in ["bfs", "dfs"] {
        let (code, j) = run_json(&[SPEC, "--max-memory", "1K", "--strategy", strategy]);
        assert_eq!(code, 3, "{strategy}: {j:#}");
        assert_eq!(j["result"], "incomplete");
        assert_eq!(j["incomplete_reason"], "max-memory");
        assert!(j["distinct_states"].as_u64().unwrap() < 288, "{j:#}");
        // The text run prints its summary too.
        let out = run_text(&[SPEC, "--max-memory", "1K", "--strategy", strategy]);
        assert_eq!(exit_code(&out), 3);
        let text = stdout(&out);
        assert!(text.contains("incomplete"), "{text}");
        assert!(text.contains("max-memory"), "{text}");
        assert!(text.contains("distinct states"), "{text}");
    }
}

#[test]
fn bfs_memory_limit_is_not_exceeded() {
    // Engine docs: BFS checks before every batch and before storing a level,
    // so its accounted memory (bytes_per_state * distinct_states) never
    // exceeds --max-memory. (Limits under the initial allocation, e.g. 1K,
    // cannot be honoured at all: see max_memory_limit_is_a_clean_incomplete.)
    //
    // The same docs put the fingerprint table alone at >= 10.7 bytes per
    // state plus an 8-byte parent link, so a complete N = 5 search needs at
    // least 18.7 * (N = 5 distinct states) bytes in memory: limits below
    // that must stop with `--store memory`. By default (`--store auto`) the
    // search moves to disk instead and completes, within the same limit.
    let total = reference(5).distinct;
    let floor = 18.7 * total as f64;
    for limit_k in [64u64, 100, 200, 300, 1024] {
        let limit = limit_k * 1024;
        let mut stopped_in_memory = false;
        for (threads, store) in [("1", "memory"), ("2", "memory"), ("2", "auto")] {
            let arg = format!("{limit_k}K");
            let (code, j) = run_json(&[
                SPEC,
                "--const",
                "N=5",
                "--max-memory",
                &arg,
                "--threads",
                threads,
                "--store",
                store,
            ]);
            let used =
                j["bytes_per_state"].as_f64().unwrap() * j["distinct_states"].as_f64().unwrap();
            assert!(
                used <= limit as f64 + 0.5,
                "{arg}, {threads} thread(s): {used} bytes accounted: {j:#}"
            );
            if (limit as f64) < floor && store == "memory" {
                assert_eq!(code, 3, "{arg}: {j:#}");
            }
            if store == "memory" && threads == "2" {
                stopped_in_memory = code == 3;
            }
            if store == "auto" {
                // It moves to disk where the memory store stops (and may
                // move a little earlier: it keeps room for storing a part).
                assert_eq!(code, 0, "{arg}: {j:#}");
                let moved = j["store"]["switched_at"].as_u64();
                assert!(moved.is_some() || !stopped_in_memory, "{arg}: {j:#}");
            }
            match code {
                0 => assert_eq!(j["distinct_states"].as_u64(), Some(total)),
                3 => {
                    assert_eq!(j["incomplete_reason"], "max-memory");
                    assert!(j["distinct_states"].as_u64().unwrap() < total);
                }
                c => panic!("{arg}: exit {c}: {j:#}"),
            }
        }
    }
}

#[test]
fn max_memory_bad_size_is_a_usage_error() {
    let out = run_text(&[SPEC, "--max-memory", "lots"]);
    assert_eq!(exit_code(&out), 2, "{}", stderr(&out));
}

// ------------------------------------------------------------ usage errors

fn assert_usage_error(args: &[&str]) -> String {
    let out = run_text(args);
    let err = stderr(&out);
    assert_eq!(
        exit_code(&out),
        2,
        "{args:?}: stdout:\n{}\nstderr:\n{err}",
        stdout(&out)
    );
    assert!(!err.trim().is_empty(), "{args:?}: no message on stderr");
    err
}

#[test]
fn unknown_constant_is_a_usage_error() {
    let err = assert_usage_error(&[SPEC, "--const", "NOPE=1"]);
    assert!(err.contains("NOPE"), "{err}");
}

#[test]
fn non_integer_constant_is_a_usage_error() {
    let err = assert_usage_error(&[SPEC, "--const", "N=abc"]);
    assert!(err.contains("abc"), "{err}");
    let err = assert_usage_error(&[SPEC, "--const", "N"]);
    assert!(err.contains("NAME=VALUE"), "{err}");
}

#[test]
fn missing_file_is_a_usage_error() {
    let err = assert_usage_error(&["tests/fixtures/no_such_spec.ron"]);
    assert!(err.contains("no_such_spec.ron"), "{err}");
}

#[test]
fn bad_flags_are_usage_errors() {
    assert_usage_error(&[SPEC, "--strategy", "sideways"]);
    assert_usage_error(&[SPEC, "--threads", "many"]);
    assert_usage_error(&[SPEC, "--no-such-flag"]);
}

/// The 1-based line and column of the first occurrence of `needle` in the
/// fixture, and the `file:line:col` location miette prints for it.
fn location_of(fixture: &str, needle: &str) -> String {
    let path = format!("{}/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in {fixture}"));
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    let name = fixture.rsplit('/').next().unwrap();
    format!("{name}:{line}:{col}")
}

#[test]
fn ron_syntax_error_is_located() {
    let f = "tests/fixtures/ron_syntax_error.ron";
    let err = assert_usage_error(&[f]);
    // The missing comma: RON notices at the `(` opening the second item.
    let loc = location_of(f, r#"(name: "y""#);
    assert!(err.contains(&loc), "want {loc} in:\n{err}");
    assert!(err.contains("help"), "no help line:\n{err}");
}

#[test]
fn expression_syntax_error_is_located() {
    let f = "tests/fixtures/expr_syntax_error.ron";
    let err = assert_usage_error(&[f]);
    // guard "x = 2": the `=` is 2 bytes into the guard string.
    let loc = location_of(f, "= 2\"");
    assert!(err.contains(&loc), "want {loc} in:\n{err}");
    assert!(err.contains("`==`"), "the help suggests `==`:\n{err}");
    assert!(err.contains("help"), "no help line:\n{err}");
}

#[test]
fn type_errors_are_all_reported_and_located() {
    let f = "tests/fixtures/type_errors.ron";
    let err = assert_usage_error(&[f]);
    // 1: comparing an RMState with an integer, in the guard.
    let cmp = location_of(f, "rmState[r] == 3");
    // 2: an unknown variable, in the invariant.
    let unknown = location_of(f, "noSuchVar");
    assert!(
        err.contains(&cmp) || err.contains(&location_of(f, "3\", effect")),
        "want the comparison located ({cmp}) in:\n{err}"
    );
    assert!(err.contains(&unknown), "want {unknown} in:\n{err}");
    assert!(err.contains("noSuchVar"), "{err}");
    assert!(err.contains("2 problem(s)"), "both errors counted:\n{err}");
}

/// `omit` naming what the base does not have: every error located on its
/// string, with the base's invariants and properties in the help.
#[test]
fn omit_errors_are_located() {
    let f = "tests/fixtures/omit_errors.ron";
    let err = assert_usage_error(&[f]);
    let unknown = location_of(f, "AtMost3\"");
    let action = location_of(f, "Inc\"");
    let redefined = location_of(f, "AtMost1\"");
    for loc in [&unknown, &action, &redefined] {
        assert!(err.contains(loc.as_str()), "want {loc} in:\n{err}");
    }
    assert!(err.contains("cannot omit `AtMost3`"), "{err}");
    assert!(err.contains("`Inc` is an action of the base spec"), "{err}");
    assert!(
        err.contains("`AtMost1` is both omitted and redefined"),
        "{err}"
    );
    assert!(
        err.contains("can remove: `AtMost1`, `AtMost2`, `Done`"),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "all three counted:\n{err}");
    // An omitted invariant is no longer the spec's: `--property` rejects it.
    let err = assert_usage_error(&["tests/fixtures/lang/omit_one.ron", "--property", "AtMost1"]);
    assert!(err.contains("(the spec has: AtMost2, Done)"), "{err}");
}

/// A state variable needs a value: with F = 0, `[1..2 -> 1..F]` has none
/// (two keys, no value for them); with F = 1 it has one.
#[test]
fn variable_without_values_is_located() {
    let f = "tests/fixtures/empty_var.ron";
    let err = assert_usage_error(&[f]);
    let loc = location_of(f, "[1..2 -> 1..F]");
    assert!(err.contains(&loc), "want {loc} in:\n{err}");
    assert!(
        err.contains("variable `leader` has no possible value"),
        "{err}"
    );
    assert!(err.contains("the range 1..0 is empty"), "{err}");
    let (code, j) = run_json(&[f, "--const", "F=1"]);
    assert_eq!(code, 0, "{j:#}");
}

// ----------------------------------------------- deadlock and eval errors

const DEADLOCK: &str = "tests/fixtures/counter_deadlock.ron";

#[test]
fn deadlock_is_reported_with_its_trace() {
    let (code, j) = run_json(&[DEADLOCK]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "deadlock", "{v:#}");
    let trace = v["trace"].as_array().unwrap();
    // Hand-derived: 0 -> 1 -> 2 -> 3, the last without an enabled action.
    let xs: Vec<Option<i64>> = trace.iter().map(|s| s["state"]["x"].as_i64()).collect();
    assert_eq!(xs, [Some(0), Some(1), Some(2), Some(3)], "{v:#}");
    assert_eq!(trace[0]["action"], Json::Null);
    for step in &trace[1..] {
        assert_eq!(step["action"], "Inc");
    }
    let props = j["properties"].as_array().unwrap();
    let dl = props.iter().find(|p| p["kind"] == "deadlock").unwrap();
    assert_eq!(dl["status"], "violated");
}

#[test]
fn deadlock_text_output() {
    let out = run_text(&[DEADLOCK]);
    assert_eq!(exit_code(&out), 1);
    assert!(stdout(&out).contains("eadlock"), "{}", stdout(&out));
}

#[test]
fn no_deadlock_flag_accepts_the_end_state() {
    let (code, j) = run_json(&[DEADLOCK, "--no-deadlock"]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["result"], "ok");
    // x in 0..3: 4 distinct states; generated: 1 initial + 3 increments.
    assert_eq!(j["distinct_states"].as_u64(), Some(4), "{j:#}");
    assert_eq!(j["states_generated"].as_u64(), Some(4), "{j:#}");
    let props = j["properties"].as_array().unwrap();
    let dl = props.iter().find(|p| p["kind"] == "deadlock").unwrap();
    assert_eq!(dl["status"], "not checked");
}

#[test]
fn terminal_accepts_the_end_state() {
    let (code, j) = run_json(&["tests/fixtures/counter_terminal.ron"]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(4), "{j:#}");
    let props = j["properties"].as_array().unwrap();
    let dl = props.iter().find(|p| p["kind"] == "deadlock").unwrap();
    assert_eq!(dl["status"], "holds");
}

#[test]
fn out_of_range_assignment_is_an_evaluation_error() {
    let f = "tests/fixtures/counter_overflow.ron";
    let (code, j) = run_json(&[f]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "error", "{v:#}");
    let msg = v["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(msg.contains("0..3"), "the message names the range: {msg}");
    assert!(
        v["error"]["transition"]
            .as_str()
            .unwrap_or("")
            .contains("Inc"),
        "{v:#}"
    );
    let trace = v["trace"].as_array().unwrap();
    // Hand-derived: the error is raised evaluating Inc in x == 3, reached by
    // 0 -> 1 -> 2 -> 3.
    let xs: Vec<Option<i64>> = trace.iter().map(|s| s["state"]["x"].as_i64()).collect();
    assert_eq!(xs, [Some(0), Some(1), Some(2), Some(3)], "{v:#}");
    // Text: the same, cleanly.
    let out = run_text(&[f]);
    assert_eq!(exit_code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("0..3"), "{text}");
    assert!(text.contains("rror"), "{text}");
}

/// `--threads` beyond 256 is a usage error, not thousands of threads
/// started for a few states; `simulate` takes the same bound.
#[test]
fn an_absurd_thread_count_is_a_usage_error() {
    for n in ["4096", "257"] {
        for cmd in ["run", "simulate"] {
            let out = dcheck(&[cmd, SPEC, "--threads", n]);
            assert_eq!(exit_code(&out), 2, "{cmd} --threads {n}");
            let err = stderr(&out);
            assert!(err.contains("at most 256 threads"), "{err}");
        }
    }
    let out = dcheck(&["run", SPEC, "--threads", "256"]);
    assert_eq!(exit_code(&out), 0);
}

/// Huge constants are refused cleanly: N = 2^63 - 1 makes `[RM -> RMState]`
/// a map of 2^63 - 1 keys, over the state bound (1 Mi bits), reported at
/// the type before anything is allocated (it used to panic with a capacity
/// overflow); a number beyond 64 bits is out of range, not "not an
/// integer".
#[test]
fn huge_constants_are_diagnosed_not_a_panic() {
    let out = dcheck(&["run", SPEC, "--const", "N=9223372036854775807"]);
    assert_eq!(exit_code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("variable `rmState` would take 9223372036854775807 keys"),
        "{err}"
    );
    assert!(err.contains("at most 1048576 bits"), "{err}");
    let out = dcheck(&["run", SPEC, "--const", "N=99999999999999999999"]);
    assert_eq!(exit_code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("out of range: constants are 64-bit integers"),
        "{err}"
    );
}

/// A diagnostic on a line of 70,000 columns (miette cannot lay out columns
/// past 65,535, and used to panic): the message, file, line and column and
/// help as plain lines, exit 2.
#[test]
fn a_diagnostic_on_a_very_long_line_is_shown_without_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long.ron");
    let text = std::fs::read_to_string(SPEC).expect("spec").replacen(
        "name: \"TwoPhase\"",
        &format!("name: \"TwoPhase\"{}, bogus: 1", " ".repeat(70_000)),
        1,
    );
    std::fs::write(&path, text).expect("write");
    let out = dcheck(&["check", path.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("unknown field `bogus`"), "{err}");
    assert!(err.contains("too long to show"), "{err}");
    assert!(err.contains("help: the fields allowed here are"), "{err}");
}

/// A file with 120 errors (an unfinished `1 +` in each of 120 invariants):
/// the first 50 are shown, then one line for the other 70; the count
/// names all 120.
#[test]
fn at_most_fifty_diagnostics_are_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("many.ron");
    let invs: Vec<String> = (0..120)
        .map(|i| format!("(name: \"I{i}\", expr: \"1 +\")"))
        .collect();
    let text = format!(
        "(name: \"Many\", vars: [(name: \"x\", type: \"bool\")], init: (effect: \"x = true;\"), invariants: [{}])",
        invs.join(",\n")
    );
    std::fs::write(&path, text).expect("write");
    let out = dcheck(&["check", path.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.matches("x expected an expression").count(), 50, "{err}");
    assert!(
        err.contains("... and 70 more problem(s), not shown"),
        "{err}"
    );
    assert!(err.contains("120 problem(s)"), "{err}");
}

/// Ctrl-C (SIGINT) and SIGTERM stop a long search cleanly: exit 130, the
/// JSON report with `"result": "interrupted"` and the figures explored so
/// far (fewer than the 10,340,352 states of the complete TwoPhase N = 9
/// run, which takes many seconds here); no `incomplete_reason`. A second
/// signal would end the process at once (not exercised: it races with the
/// first stop).
#[cfg(unix)]
#[test]
fn an_interrupted_search_reports_what_it_explored() {
    for signal in ["-INT", "-TERM"] {
        let child = crate::common::dcheck()
            .args([
                "run",
                SPEC,
                "--symmetry",
                "off",
                "--const",
                "N=9",
                "--threads",
                "2",
                "--format",
                "json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start dcheck");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        crate::common::signal(&child, signal);
        let out = child.wait_with_output().expect("dcheck output");
        assert_eq!(out.status.code(), Some(130), "{signal}: {}", stderr(&out));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        assert_eq!(j["result"], "interrupted", "{j:#}");
        assert!(j["distinct_states"].as_u64().unwrap() < 10_340_352, "{j:#}");
        assert!(j.get("incomplete_reason").is_none(), "{j:#}");
        assert!(crate::schema::errors("report-v1.json", &j).is_empty());
    }
}

/// A bounded collection over 4e9 element values (`bag<0..3999999999, 1>`,
/// 1 + 4e9 values, which fit 64 bits) would need a ranking table of
/// (4e9 + 2) x 2 entries, 64 GB: refused at the type, before anything is
/// allocated (it used to abort on the allocation).
#[test]
fn a_bounded_collection_too_large_to_rank_is_a_spec_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge_bag.ron");
    std::fs::write(
        &path,
        r#"(name: "HugeBag", vars: [(name: "b", type: "bag<0..3999999999, 1>")], init: (effect: "insert(b, 7);"), terminal: "true")"#,
    )
    .expect("write");
    let out = dcheck(&["run", path.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("is too large to rank: 4000000000 element values"),
        "{err}"
    );
}

/// An evaluation error in `init` (`tests/fixtures/init_error.ron`) is
/// reported as coming from `init`, with no trace, not from the invariants.
#[test]
fn an_init_error_is_reported_as_init() {
    let out = dcheck(&["run", "tests/fixtures/init_error.ron"]);
    assert_eq!(exit_code(&out), 1);
    let text = stdout(&out);
    assert!(crate::common::flat(&text).contains("evaluation error while computing the initial states (`init`): value 5 is outside the range 0..3"), "{text}");
    assert!(!text.contains("the invariants"), "{text}");
}

/// `--max-time` stops a search that would take far longer (TwoPhase N=10:
/// 60 M states) like the other limits: exit 3, `"incomplete_reason":
/// "max-time"`, the figures so far, and with `--checkpoint` a checkpoint
/// written first, from which the search continues.
#[test]
fn max_time_stops_cleanly_with_a_checkpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = dir.path().join("t.ckpt");
    let cp = cp.to_str().expect("utf-8");
    let (code, j) = run_json(&[
        "specs/2pc.ron",
        "--const",
        "N=10",
        "--max-time",
        "1s",
        "--checkpoint",
        cp,
    ]);
    assert_eq!(code, 3, "{j}");
    assert_eq!(j["result"], "incomplete");
    assert_eq!(j["incomplete_reason"], "max-time");
    let distinct = j["distinct_states"].as_u64().expect("distinct");
    assert!(distinct > 0 && distinct < 61_000_000, "{distinct}");
    assert_eq!(j["checkpoint"]["written"], 1, "{j}");
    let problems = crate::schema::errors("report-v1.json", &j);
    assert!(problems.is_empty(), "{problems:?}");
    // The text verdict names the limit.
    let out = run_text(&["specs/2pc.ron", "--const", "N=10", "--max-time", "1s"]);
    assert_eq!(exit_code(&out), 3);
    assert!(
        stdout(&out).contains("the --max-time limit was reached"),
        "{}",
        stdout(&out)
    );
    // Resumed under another second: further, and stopped the same way.
    let (code, k) = run_json(&[
        "specs/2pc.ron",
        "--const",
        "N=10",
        "--max-time",
        "1s",
        "--resume",
        cp,
    ]);
    assert_eq!(code, 3, "{k}");
    assert_eq!(k["incomplete_reason"], "max-time");
    assert!(k["distinct_states"].as_u64().expect("distinct") > distinct);
}

/// The summary lists every check with its verdict, and temporal
/// properties with the fairness they were checked under as written; JSON
/// `properties` carries the same (`fairness` on liveness entries).
#[test]
fn the_summary_names_each_check_with_its_verdict_and_fairness() {
    let out = run_text(&["specs/2pc_msgs.ron"]);
    let text = stdout(&out);
    for line in [
        "  invariant TCConsistent  holds\n",
        "  deadlock                holds\n",
        "  property  Termination   holds  (fairness: weak processes, weak delivery)\n",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let (code, j) = run_json(&["specs/2pc_msgs.ron", "--fairness", "none", "--no-deadlock"]);
    assert_eq!(code, 1, "{j:#}");
    let props = j["properties"].as_array().expect("properties");
    let find = |name: &str| props.iter().find(|p| p["name"] == name).cloned();
    let term = find("Termination").expect("Termination");
    assert_eq!(term["status"], "violated");
    assert_eq!(term["fairness"], serde_json::json!([]));
    assert_eq!(find("deadlock").expect("deadlock")["status"], "not checked");
    assert_eq!(find("TCConsistent").expect("invariant")["status"], "holds");
    assert!(find("TCConsistent")
        .expect("invariant")
        .get("fairness")
        .is_none());
    let out = run_text(&["specs/2pc_msgs.ron", "--fairness", "none", "--no-deadlock"]);
    let text = stdout(&out);
    assert!(
        text.contains("  property  Termination   violated  (fairness: none)\n"),
        "{text}"
    );
    // A fairness list too long for 80 columns goes on a line of its own.
    let out = run_text(&["specs/paxos.ron"]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "  property  ValueChosen        holds\n              \
             (fairness: weak {Phase1a(stable), Phase2a(stable)}, weak delivery)\n"
        ),
        "{text}"
    );
    let summary = text.split("  spec ").next().unwrap_or_default();
    for line in summary.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
}

/// Help text is wrapped to at most 80 columns when it is piped (clap's
/// `wrap_help` with `max_term_width = 80`), for every subcommand.
#[test]
fn help_fits_80_columns() {
    for cmd in [vec!["--help"], vec!["help"]]
        .into_iter()
        .chain(["run", "check", "graph", "replay", "simulate"].map(|c| vec![c, "--help"]))
    {
        let out = dcheck(&cmd);
        assert_eq!(exit_code(&out), 0, "{cmd:?}");
        let text = stdout(&out);
        assert!(text.lines().count() > 3, "{cmd:?}: {text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{cmd:?}: {line:?}");
        }
    }
}

/// `--store disk:DIR`: TwoPhase N=6 (the reference's 50,816 states) under
/// a memory limit a tenth of what it needs in memory completes with the
/// reference's counts; the fingerprints went to disk, the JSON says so,
/// and the store's directory is gone afterwards.
#[test]
fn the_disk_store_completes_under_a_small_memory_limit() {
    let expected = reference(6);
    let dir = tempfile::tempdir().unwrap();
    let store = format!("disk:{}", dir.path().display());
    let small = [SPEC, "--const", "N=6", "--max-memory", "512K", "--store"];
    let (code, j) = run_json(&[&small[..], &[&store, "--threads", "2"]].concat());
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(expected.distinct));
    assert_eq!(j["states_generated"].as_u64(), Some(expected.generated));
    let used = j["bytes_per_state"].as_f64().unwrap() * j["distinct_states"].as_f64().unwrap();
    assert!(used <= (512 << 10) as f64 + 0.5, "{used}");
    assert!(j["store"]["fingerprints_on_disk"].as_u64().unwrap() > expected.distinct / 2);
    assert!(j["store"]["switched_at"].is_null());
    assert!(j["store"]["error"].is_null());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The memory store stops there.
    let (code, j) = run_json(&[&small[..], &["memory"]].concat());
    assert_eq!(code, 3, "{j:#}");
    assert!(j.get("store").is_none());
}

/// A run on disk stopped at --max-states leaves a checkpoint that --resume
/// continues (on disk again) to the reference's counts.
#[test]
fn a_disk_store_run_resumes_from_its_checkpoint() {
    let expected = reference(6);
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("run.ckpt");
    let store = format!("disk:{}", dir.path().join("store").display());
    let cp_arg = cp.display().to_string();
    let common = [
        SPEC,
        "--const",
        "N=6",
        "--max-memory",
        "256K",
        "--store",
        &store,
    ];
    let mut first = common.to_vec();
    first.extend([
        "--max-states",
        "20000",
        "--checkpoint",
        &cp_arg,
        "--checkpoint-every",
        "0s",
    ]);
    let (code, j) = run_json(&first);
    assert_eq!(code, 3, "{j:#}");
    assert!(j["checkpoint"]["written"].as_u64().unwrap() > 0, "{j:#}");
    let mut second = common.to_vec();
    second.extend(["--resume", &cp_arg]);
    let (code, j) = run_json(&second);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(expected.distinct));
    assert_eq!(j["states_generated"].as_u64(), Some(expected.generated));
}

/// What the disk store cannot do is refused before the search, exit 2.
#[test]
fn the_disk_store_refuses_dfs_and_temporal_properties() {
    let out = run_text(&[SPEC, "--store", "disk:/tmp", "--strategy", "dfs"]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        stderr(&out).contains("drop --strategy dfs"),
        "{}",
        stderr(&out)
    );
    let out = run_text(&["specs/raft.ron", "--store", "disk:/tmp"]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        stderr(&out).contains("--invariants-only"),
        "{}",
        stderr(&out)
    );
    let out = run_text(&[SPEC, "--store", "disk:"]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        stderr(&out).contains("memory, auto or disk:DIR"),
        "{}",
        stderr(&out)
    );
}

/// A view on the disk store (`tests/fixtures/store/view_on_disk.ron`, hand
/// count next to it): a state whose view was stored levels earlier, its
/// fingerprint in a run on disk by then, is the old state, so its own
/// invariant is never looked at, as in memory (it was reported as a
/// violation before the runs' check came first).
#[test]
fn a_view_on_the_disk_store_drops_states_a_run_holds() {
    let spec = "tests/fixtures/store/view_on_disk.ron";
    let dir = tempfile::tempdir().unwrap();
    let store = format!("disk:{}", dir.path().display());
    for args in [
        vec![spec],
        vec![spec, "--max-memory", "40K", "--store", &store],
        vec![spec, "--max-memory", "40K", "--store", "auto"],
    ] {
        let (code, j) = run_json(&args);
        assert_eq!(code, 0, "{args:?}: {j:#}");
        assert_eq!(j["distinct_states"].as_u64(), Some(3001), "{args:?}");
        assert_eq!(j["states_generated"].as_u64(), Some(3002), "{args:?}");
        if args.len() > 1 {
            assert!(j["store"]["fingerprints_on_disk"].as_u64().unwrap() > 2000);
        }
    }
}
