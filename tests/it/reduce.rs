//! State constraints and views (TLC's CONSTRAINT and VIEW): the counts,
//! verdicts and traces of small models written for the purpose, against
//! TLC's own output on their TLA+ twins in `tests/fixtures/reduce/`
//! (`../shared/peers/tlc/run.sh tests/fixtures/reduce Bounded.tla
//! Bounded.cfg`, TLC 2026-04-29), and a view whose representatives matter
//! against a reference BFS written here.

use std::collections::HashSet;

use crate::common::{counts, dcheck_args, dcheck_json, dcheck_run};

const RUNS: [&[&str]; 4] = [
    &["--threads", "1"],
    &["--threads", "2"],
    &["--strategy", "dfs", "--threads", "1"],
    &["--strategy", "dfs", "--threads", "2"],
];

fn run(spec: &str, extra: &[&str]) -> serde_json::Value {
    let path = format!("tests/fixtures/reduce/{spec}");
    let mut args = vec![path.as_str()];
    args.extend_from_slice(extra);
    let (_, j, stderr) = dcheck_json(&args);
    assert!(j.is_object(), "{spec} {extra:?}: {stderr}");
    j
}

/// The states of a violation's trace, as (x, y).
fn xy_trace(j: &serde_json::Value) -> Vec<(i64, i64)> {
    j["violation"]["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .map(|s| {
            let st = &s["state"];
            (st["x"].as_i64().expect("x"), st["y"].as_i64().expect("y"))
        })
        .collect()
}

/// TLC, Bounded.cfg: "22 states generated, 10 distinct states found";
/// depth 4 (TLC counts states, dcheck steps: 3); no error, with deadlock
/// checked (the states with x + y = 3 have successors, all outside the
/// constraint, so they are no deadlock). By hand: the states with
/// x + y <= 3 reachable from (0, 0) are 1 + 2 + 3 + 4 = 10; each has two
/// successors, and both initial states count as generated: 20 + 2 = 22.
#[test]
fn a_constraint_bounds_what_is_stored_and_expanded_as_in_tlc() {
    for extra in RUNS {
        let j = run("bounded.ron", extra);
        assert_eq!(j["result"], "ok", "{extra:?} {j:#}");
        assert_eq!(counts(&j), (10, 22), "{extra:?}");
        assert_eq!(j["depth"], 3, "{extra:?}");
        assert_eq!(j["constraints"], serde_json::json!(["Sum"]));
        assert_eq!(j["view"], false);
    }
}

/// TLC, BoundedInv.cfg: "Invariant Small is violated by the initial state:
/// x = 5, y = 0": an initial state outside the constraint is checked.
#[test]
fn an_initial_state_outside_the_constraint_is_checked_as_in_tlc() {
    for extra in RUNS {
        let j = run("bounded_small.ron", extra);
        assert_eq!(j["violation"]["property"], "Small", "{extra:?} {j:#}");
        assert_eq!(xy_trace(&j), vec![(5, 0)], "{extra:?}");
        // It is not stored: only (0, 0) is.
        assert_eq!(j["distinct_states"], 1, "{extra:?}");
    }
}

/// TLC, BoundedSucc.cfg: "Invariant Tiny is violated", trace (0,0) (1,0)
/// (2,0) (3,0) (4,0) by IncX: a successor outside the constraint is
/// checked. The BFS finds the same shortest trace; the DFS one of its own.
#[test]
fn a_successor_outside_the_constraint_is_checked_as_in_tlc() {
    let tlc = vec![(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)];
    for extra in &RUNS[..2] {
        let j = run("bounded_tiny.ron", extra);
        assert_eq!(j["violation"]["property"], "Tiny", "{extra:?} {j:#}");
        assert_eq!(xy_trace(&j), tlc, "{extra:?}");
    }
    for extra in &RUNS[2..] {
        let j = run("bounded_tiny.ron", extra);
        assert_eq!(j["violation"]["property"], "Tiny", "{extra:?} {j:#}");
        let trace = xy_trace(&j);
        let last = trace.last().expect("a state");
        assert_eq!(last.0 + last.1, 4, "{extra:?} {trace:?}");
        assert!(trace[..trace.len() - 1].iter().all(|s| s.0 + s.1 <= 3));
    }
}

/// TLC, Viewed.cfg with -deadlock: "7 states generated, 4 distinct states
/// found", no error. The view x = 1 is reached first as (1, c = 0) by A,
/// then as (1, 1) by B; the first is kept, so C is never enabled and NoC is
/// never checked on (1, 1). Kept (1, 1) would give 8 generated and a
/// violation.
#[test]
fn a_view_keeps_the_first_state_found_as_in_tlc() {
    for extra in RUNS {
        let j = run("viewed.ron", extra);
        assert_eq!(j["result"], "ok", "{extra:?} {j:#}");
        assert_eq!(counts(&j), (4, 7), "{extra:?}");
        assert_eq!(j["view"], true);
    }
}

/// `tests/fixtures/reduce/view_walk.ron`, by a plain sequential BFS that
/// keeps the first state found for each view: (distinct, generated,
/// depth, the trace of the first new state violating NotBad for `bad`).
fn view_walk_reference(bad: i64) -> (u64, u64, u64, Vec<(i64, i64, i64)>) {
    type S = (i64, i64, i64);
    // The effect's statements run in order: c reads the new b.
    let succ = |&(a, b, c): &S| -> Vec<S> {
        (0..8)
            .filter(|&k| k <= 2 * c + 1)
            .map(|k| {
                let b2 = (b + k * c + 1) % 64;
                ((a * 7 + k * 13 + b) % 4096, b2, (k + b2) % 4)
            })
            .collect()
    };
    let mut seen: HashSet<i64> = HashSet::from([0]);
    let mut paths: Vec<Vec<S>> = vec![vec![(0, 0, 0)]];
    let mut generated = 1;
    let mut depth = 0;
    loop {
        let mut next = Vec::new();
        for path in &paths {
            for s in succ(path.last().expect("a state")) {
                generated += 1;
                if seen.insert(s.0) {
                    let mut p = path.clone();
                    p.push(s);
                    if s.0 == bad && s.2 == 3 {
                        return (0, 0, 0, p);
                    }
                    next.push(p);
                }
            }
        }
        if next.is_empty() {
            return (seen.len() as u64, generated, depth, Vec::new());
        }
        depth += 1;
        paths = next;
    }
}

/// With a view, two threads may store different states of one view first;
/// the BFS keeps the one a sequential BFS meets first whatever the thread
/// timing, so counts and traces are those of the reference, at 1 and 2
/// threads (levels here span several chunks, so the threads do race).
#[test]
fn a_view_gives_the_sequential_results_whatever_the_thread_count() {
    let (distinct, generated, depth, _) = view_walk_reference(4096);
    assert!(distinct > 1000, "the levels must span several chunks");
    let (.., trace) = view_walk_reference(26);
    assert!(trace.len() > 3);
    for _ in 0..3 {
        for threads in ["1", "2"] {
            let j = run("view_walk.ron", &["--threads", threads]);
            assert_eq!(counts(&j), (distinct, generated), "{threads}");
            assert_eq!(j["depth"], depth, "{threads}");
            let j = run(
                "view_walk.ron",
                &["--threads", threads, "--const", "Bad=26"],
            );
            let got: Vec<(i64, i64, i64)> = j["violation"]["trace"]
                .as_array()
                .expect("trace")
                .iter()
                .map(|s| {
                    let st = &s["state"];
                    let v = |n: &str| st[n].as_i64().expect("value");
                    (v("a"), v("b"), v("c"))
                })
                .collect();
            assert_eq!(got, trace, "{threads}");
        }
    }
}

/// Temporal properties are not checked under a constraint or a view yet:
/// refused with exit 2 and the reason, at the constraint.
#[test]
fn temporal_properties_under_a_constraint_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("live.ron");
    std::fs::write(
        &spec,
        r#"(
    name: "Live",
    vars: [ (name: "x", type: "0..3") ],
    init: (effect: "x = 0;"),
    actions: [ (name: "Inc", guard: "x < 3", effect: "x = x + 1;") ],
    constraints: [ (name: "Low", expr: "x <= 2") ],
    terminal: "true",
    properties: [ (name: "Up", expr: "eventually x == 3") ],
)"#,
    )
    .expect("write");
    let (code, _, stderr) = dcheck_run(&[spec.to_str().expect("path")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("temporal properties cannot be checked under a state constraint"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Low"),
        "the span quotes the constraint: {stderr}"
    );
}

/// A simulation ends a walk at a state outside the constraints (after
/// checking its invariants, as the exhaustive search does): Tiny is found,
/// Bounded holds.
#[test]
fn a_simulation_stops_at_the_constraint() {
    let (code, out, stderr) = dcheck_args(&[
        "simulate",
        "tests/fixtures/reduce/bounded_tiny.ron",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    let trace = xy_trace(&j);
    let last = trace.last().expect("a state");
    assert_eq!(last.0 + last.1, 4, "{trace:?}");
    let (code, _, stderr) = dcheck_args(&["simulate", "tests/fixtures/reduce/bounded.ron"]);
    assert_eq!(code, 0, "{stderr}");
}
