//! Liveness under fairness through the CLI: the seeds' traffic light,
//! properties that need weak or strong fairness, a violation that needs a
//! cycle through revisited states, and two-phase commit's Termination with
//! and without a coordinator crash. Every expectation is derived by hand in
//! the spec's header or next to the assertion.

use serde_json::Value as Json;

use crate::common;

const LIGHT: &str = "specs/examples/traffic_light.ron";
const WEAK: &str = "tests/fixtures/live/weak_needed.ron";
const REVISIT: &str = "tests/fixtures/live/revisit_cycle.ron";
const MSGS: &str = "specs/2pc_msgs.ron";

use common::dcheck_json_unreduced as run;
use common::kind_status as status;

/// The actions of a trace, `null` for the initial state, as
/// `Name(p=v,...)` strings.
fn actions(v: &Json) -> Vec<String> {
    v["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .map(|s| match &s["action"] {
            Json::Null => "init".to_string(),
            a => {
                let ps = s["params"].as_object().expect("params");
                if ps.is_empty() {
                    a.as_str().unwrap().to_string()
                } else {
                    let vs: Vec<String> = ps.values().map(|v| v.to_string()).collect();
                    format!("{}({})", a.as_str().unwrap(), vs.join(","))
                }
            }
        })
        .collect()
}

/// Asserts that a lasso is well formed: its last state is the loop start's.
fn assert_lasso(v: &Json) {
    let trace = v["trace"].as_array().unwrap();
    let ls = v["loop_start"].as_u64().expect("loop_start") as usize;
    assert!(ls < trace.len(), "{v:#}");
    assert_eq!(
        trace[ls]["state"],
        trace[trace.len() - 1]["state"],
        "the cycle must come back to the loop start: {v:#}"
    );
}

#[test]
fn traffic_light_holds_under_strong_fairness() {
    let (code, j, err) = run(&[LIGHT]);
    assert_eq!(code, 0, "{err}{j:#}");
    // 3 states, 5 generated: see the spec's header.
    assert_eq!(j["distinct_states"], 3);
    assert_eq!(j["states_generated"], 5);
    assert_eq!(status(&j, "Safety"), ("invariant".into(), "holds".into()));
    assert_eq!(status(&j, "Liveness"), ("liveness".into(), "holds".into()));
    assert_eq!(status(&j, "Fairness"), ("liveness".into(), "holds".into()));
    assert!(j["graph_edges"].as_u64().unwrap() == 4, "{j:#}");
}

/// With no fairness, under TLA+'s semantics (the default) a behaviour may
/// stop in the initial state, both lights red: "a green light infinitely
/// often" (Liveness, the first property) is violated by that stutter,
/// prefix 0 steps, empty cycle.
///
/// Under the progress assumption a behaviour stops only where nothing is
/// enabled (nowhere here): light 1 never turns green in the behaviour
/// that switches light 2 forever: from the initial state (both red, which
/// is already a state where light 1 is not green), TurnGreen(2),
/// TurnRed(2), back to the initial state. The instance l = 1 is the first
/// one checked. Liveness then holds without fairness: every cycle passes a
/// green state.
#[test]
fn traffic_light_both_green_fails_without_fairness() {
    let (code, j, err) = run(&[LIGHT, "--fairness", "none"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["assume_progress"], false);
    assert_eq!(status(&j, "Liveness").1, "violated");
    let v = &j["violation"];
    assert_eq!(v["property"], "Liveness");
    assert_eq!(actions(v), ["init"], "{v:#}");
    assert_eq!(
        (v["loop_start"].as_u64(), v["stutters"].as_bool()),
        (Some(0), Some(true))
    );

    let (code, j, err) = run(&[LIGHT, "--fairness", "none", "--assume-progress"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["assume_progress"], true);
    // The safety search was complete: the invariant and deadlock hold.
    assert_eq!(status(&j, "Safety").1, "holds");
    assert_eq!(status(&j, "deadlock").1, "holds");
    assert_eq!(status(&j, "Liveness").1, "holds");
    assert_eq!(status(&j, "Fairness").1, "violated");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(v["property"], "Fairness");
    assert_eq!(v["instance"]["l"], 1);
    assert_eq!(actions(v), ["init", "TurnGreen(2)", "TurnRed(2)"], "{v:#}");
    assert_eq!(v["loop_start"], 0);
    assert_eq!(v["stutters"], false);
    assert_lasso(v);
}

/// Weak fairness on each light's TurnGreen is not enough: TurnGreen(1) is
/// disabled whenever light 2 is green (state 1 of the lasso), so the
/// cycle TurnGreen(2), TurnRed(2) is weakly fair. TurnGreen(2) is taken at
/// step 1. (`weak each TurnRed` is given in every run: without it a
/// behaviour may stop with light 2 green, stuttering, see the spec.)
/// TurnRed(1) is disabled on the whole cycle (light 1 stays red), from
/// state 0; TurnRed(2) is taken at step 2.
#[test]
fn traffic_light_both_green_needs_strong_fairness() {
    const RED: &str = "weak each TurnRed";
    let (code, j, err) = run(&[
        LIGHT,
        "--fairness",
        "weak each TurnGreen",
        "--fairness",
        RED,
    ]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(actions(v), ["init", "TurnGreen(2)", "TurnRed(2)"]);
    let f = v["fairness"].as_array().unwrap();
    assert_eq!(f.len(), 4, "{v:#}");
    assert_eq!(f[0]["constraint"], "weak each TurnGreen [TurnGreen(l = 1)]");
    assert_eq!(f[0]["taken_at"], Json::Null);
    assert_eq!(f[0]["disabled_at"], 1);
    assert_eq!(f[1]["constraint"], "weak each TurnGreen [TurnGreen(l = 2)]");
    assert_eq!(f[1]["taken_at"], 1);
    assert_eq!(f[2]["constraint"], "weak each TurnRed [TurnRed(l = 1)]");
    assert_eq!(
        (f[2]["taken_at"].as_u64(), f[2]["disabled_at"].as_u64()),
        (None, Some(0))
    );
    assert_eq!(f[3]["taken_at"], 2);

    // Strong fairness on each instance: holds (the spec's own assumption,
    // given explicitly here).
    let (code, j, err) = run(&[
        LIGHT,
        "--fairness",
        "strong each TurnGreen",
        "--fairness",
        RED,
    ]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(status(&j, "Fairness").1, "holds");

    // Strong fairness on TurnGreen as one group: TurnGreen(2) taken
    // infinitely often satisfies it, so the same lasso is fair.
    let (code, j, err) = run(&[LIGHT, "--fairness", "strong TurnGreen", "--fairness", RED]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(
        actions(&j["violation"]),
        ["init", "TurnGreen(2)", "TurnRed(2)"]
    );
}

/// Holds only with fairness: without it, stopping in the initial state
/// (x = 0) is a behaviour (the shortest lasso: no step, stuttering); under
/// the progress assumption the behaviour must take a step, and Idle forever
/// is the shortest one; with `weak Tick` it holds. See the fixture.
#[test]
fn property_that_needs_weak_fairness() {
    let (code, j, err) = run(&[WEAK]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(
        (
            j["distinct_states"].as_u64(),
            j["states_generated"].as_u64()
        ),
        (Some(4), Some(8))
    );
    assert_eq!(status(&j, "Done").1, "holds");

    let (code, j, err) = run(&[WEAK, "--fairness", "none"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["property"], "Done");
    assert_eq!(actions(v), ["init"]);
    assert_eq!(v["stutters"], true);

    let (code, j, err) = run(&[WEAK, "--fairness", "none", "--assume-progress"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["property"], "Done");
    assert_eq!(actions(v), ["init", "Idle"]);
    assert_eq!(v["stutters"], false);
    assert_eq!(v["loop_start"], 0);
    assert_lasso(v);
}

/// Under the progress assumption (the fixture's `assume_progress: true`)
/// the violation needs the cycle 0 -> 1 -> 2 -> 0 through revisited
/// states; every acyclic path from the initial state ends in x = 3.
#[test]
fn violation_through_a_cycle_of_revisited_states() {
    let (code, j, err) = run(&[REVISIT]);
    assert_eq!(j["assume_progress"], true);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(
        (
            j["distinct_states"].as_u64(),
            j["states_generated"].as_u64()
        ),
        (Some(4), Some(5))
    );
    let v = &j["violation"];
    assert_eq!(actions(v), ["init", "Step", "Step", "Wrap"]);
    assert_eq!(v["loop_start"], 0);
    assert_lasso(v);
    // Weak fairness on Finish: disabled at x = 0 and 1 on the cycle.
    let (code, j, _) = run(&[REVISIT, "--fairness", "weak Finish"]);
    assert_eq!(code, 1);
    assert_eq!(j["violation"]["fairness"][0]["disabled_at"], 0);
    // Strong fairness on Finish: enabled at every visit of x = 2.
    let (code, j, err) = run(&[REVISIT, "--fairness", "strong Finish"]);
    assert_eq!(code, 0, "{err}{j:#}");
}

/// Two-phase commit: every RM eventually decides under `weak processes,
/// weak delivery` with no failures (reasons in the spec's header).
#[test]
fn two_phase_termination_holds_without_failures() {
    let (code, j, err) = run(&[MSGS]);
    assert_eq!(code, 0, "{err}{j:#}");
    // The safety counts are those of specs/2pc.ron (TLC: 288 / 1146).
    assert_eq!(j["distinct_states"], 288);
    assert_eq!(
        status(&j, "Termination"),
        ("liveness".into(), "holds".into())
    );
}

/// With the coordinator able to crash, RM 1 (the first instance) can block:
/// the shortest prefix to a state from which no fair behaviour lets it
/// decide prepares every RM (a working RM has RMPrepare enabled, so it
/// must move) and crashes the TM before any Prepared is delivered; no
/// action is enabled there (deliveries to a crashed process are not), so
/// the behaviour stutters. BFS meets RMPrepare(1), RMPrepare(2),
/// RMPrepare(3) before the other orders (transition order), then crash_TM.
#[test]
fn two_phase_termination_fails_when_the_coordinator_crashes() {
    let (code, j, err) = run(&[MSGS, "--faults", "crash=1"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["property"], "Termination");
    assert_eq!(v["instance"]["r"], 1);
    assert_eq!(
        actions(v),
        [
            "init",
            "RMPrepare(1)",
            "RMPrepare(2)",
            "RMPrepare(3)",
            "crash_TM(1)"
        ],
        "{v:#}"
    );
    assert_eq!(v["loop_start"], 4);
    assert_eq!(v["stutters"], true);
    let last = &v["trace"][4]["state"];
    for r in ["1", "2", "3"] {
        assert_eq!(last["rmState"][r], "prepared", "{last:#}");
    }
    assert_eq!(
        last["crashed"].as_array().map(|a| a.len()),
        Some(1),
        "{last:#}"
    );
}

/// Same statuses and the same counterexample for 1 and 2 threads, BFS and
/// DFS exploration.
#[test]
fn liveness_results_do_not_depend_on_threads_or_strategy() {
    for args in [
        vec![LIGHT, "--fairness", "weak each TurnGreen"],
        vec![MSGS, "--faults", "crash=1"],
        vec![MSGS],
        vec![REVISIT],
    ] {
        let mut seen: Option<(Json, Json)> = None;
        for strategy in ["bfs", "dfs"] {
            for threads in ["1", "2"] {
                let mut a = args.clone();
                a.extend(["--strategy", strategy, "--threads", threads]);
                let (_, j, err) = run(&a);
                let got = (j["properties"].clone(), j["violation"].clone());
                assert!(!got.0.is_null(), "{err}");
                match &seen {
                    None => seen = Some(got),
                    Some(s) => assert_eq!(s, &got, "{a:?}"),
                }
            }
        }
    }
}

#[test]
fn property_selects_what_is_checked() {
    let (code, j, err) = run(&[LIGHT, "--property", "Liveness"]);
    assert_eq!(code, 0, "{err}{j:#}");
    let names: Vec<&str> = j["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["deadlock", "Liveness"]);
    let (code, _, err) = run(&[LIGHT, "--property", "NoSuch"]);
    assert_eq!(code, 2);
    assert!(err.contains("NoSuch"), "{err}");
}

/// The text report marks the loop and says why the cycle is fair.
#[test]
fn text_report_shows_the_lasso() {
    let (code, out, err) = common::dcheck_run(&[LIGHT, "--fairness", "weak each TurnGreen"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("a shortest 0-step prefix then a 2-step cycle"),
        "{out}"
    );
    assert!(out.contains("-- the cycle starts in state 0"), "{out}");
    assert!(out.contains("-- back to state 0"), "{out}");
    assert!(out.contains("Violated: property Fairness"), "{out}");
    assert!(
        out.contains("weak each TurnGreen [TurnGreen(l = 1)]: disabled in state 1"),
        "{out}"
    );
    assert!(
        out.contains("weak each TurnGreen [TurnGreen(l = 2)]: taken at step 1"),
        "{out}"
    );
}

/// The two one-word fairness assumptions of message-passing specs, on
/// two-phase commit (duplicating network, the spec's):
/// - `weak processes` alone makes Termination hold: a working RM must
///   prepare or abort, the TM (TMAbort enabled while undecided) must
///   decide, a prepared RM must take the delivery of the decision (its own
///   step);
/// - `weak delivery` alone does not: nothing forces an RM to prepare or
///   the TM to decide. No message is in flight in the initial state, so a
///   behaviour may stop there (TLA+'s semantics: a 0-step lasso).
///   Under the progress assumption the shortest fair lasso is
///   RMPrepare(1), then the TM receives Prepared, after which re-delivering
///   that Prepared changes nothing (a stuttering step, which neither enables
///   nor takes `delivery`) and repeats forever. No shorter one: the initial
///   state and the state after RMPrepare(1) have no self-loop and every
///   step is irreversible; after TMAbort first, the Abort to a working RM
///   stays deliverable, so weak delivery forbids stopping there;
/// - no fairness: fails too.
#[test]
fn one_word_fairness_for_processes_and_delivery() {
    let (code, j, err) = run(&[MSGS, "--fairness", "weak processes"]);
    assert_eq!(code, 0, "{err}{j:#}");
    assert_eq!(status(&j, "Termination").1, "holds");

    let (code, j, err) = run(&[MSGS, "--fairness", "weak delivery"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(actions(&j["violation"]), ["init"]);
    assert_eq!(j["violation"]["stutters"], true);

    let (code, j, err) = run(&[MSGS, "--fairness", "weak delivery", "--assume-progress"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(
        actions(v),
        [
            "init",
            "RMPrepare(1)",
            "deliver_Prepared_to_TM(1,1)",
            "deliver_Prepared_to_TM(1,1)"
        ],
        "{v:#}"
    );
    assert_eq!(v["loop_start"], 2);
    assert_lasso(v);

    let (code, j, _) = run(&[MSGS, "--fairness", "none"]);
    assert_eq!(code, 1);
    assert_eq!(status(&j, "Termination").1, "violated");
}

/// A malformed property or fairness assumption is a spec error (exit 2)
/// pointing at its text in the file (or in the `--fairness` value), never
/// a panic. Lines and columns counted by hand in the fixture.
#[test]
fn bad_properties_are_spec_errors() {
    let (code, out, err) = common::dcheck_run(&["tests/fixtures/live/bad_properties.ron"]);
    assert_eq!(code, 2, "{out}{err}");
    for want in [
        "unknown name `y`",
        "bad_properties.ron:10:40",
        "a property needs a temporal operator",
        "bad_properties.ron:11:29",
        "unknown action `Tock` in a fairness assumption",
        "bad_properties.ron:12:66",
        "`Tick` has 0 parameter(s), 1 given",
        "4 problem(s)",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    let (code, _, err) = common::dcheck_run(&[WEAK, "--fairness", "wek Tick"]);
    assert_eq!(code, 2);
    assert!(err.contains("--fairness:1:1"), "{err}");
    assert!(
        err.contains("start a fairness assumption with `weak` or `strong`"),
        "{err}"
    );
}

/// Deadlocks count as stuttering ends when deadlock checking is off; with
/// it on, the deadlock is the violation and the property is not checked.
/// See the fixture. (Under TLA+'s semantics, stopping in the initial state
/// is the shorter violation; the fixture's lasso is the one under the
/// progress assumption, where only the dead end may stutter.)
#[test]
fn a_deadlock_is_a_stuttering_end_with_no_deadlock() {
    const DEAD: &str = "tests/fixtures/live/dead_end.ron";
    let (code, j, err) = run(&[DEAD]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["violation"]["kind"], "deadlock");
    assert_eq!(status(&j, "Reaches2").1, "not checked");

    let (code, j, err) = run(&[DEAD, "--no-deadlock"]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(actions(&j["violation"]), ["init"]);

    let (code, j, err) = run(&[DEAD, "--no-deadlock", "--assume-progress"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "liveness");
    assert_eq!(actions(v), ["init", "Up"]);
    assert_eq!(v["loop_start"], 1);
    assert_eq!(v["stutters"], true);
    assert_eq!(status(&j, "deadlock").1, "not checked");
}

/// With BFS the liveness run explores once (the graph build checks the
/// invariants): its counts and depth must be those of the safety search
/// alone, which TLC's figures pin for TwoPhase (288 / 1146, depth 10).
#[test]
fn liveness_runs_report_the_safety_search_counts() {
    for threads in ["1", "2"] {
        let (_, live, _) = run(&[MSGS, "--threads", threads]);
        let (_, safety, _) = run(&[MSGS, "--threads", threads, "--property", "TCConsistent"]);
        for field in ["distinct_states", "states_generated", "depth"] {
            assert_eq!(live[field], safety[field], "{field}");
        }
        assert_eq!(live["distinct_states"], 288);
        assert_eq!(live["states_generated"], 1146);
        assert_eq!(live["depth"], 10);
    }
}

/// The two semantics of temporal properties against TLC, on the TLA+ twin
/// `tests/fixtures/stutter/Stutter.tla` (TLC run with -deadlock; its
/// verdicts, and 2 distinct / 2 and 4 generated, are in the fixtures'
/// headers). Each run's JSON says which semantics it used.
#[test]
fn stuttering_semantics_agree_with_tlc() {
    const STUTTER: &str = "tests/fixtures/stutter/stutter.ron";
    const PROGRESS: &str = "tests/fixtures/stutter/stutter_progress.ron";
    const SELF_LOOP: &str = "tests/fixtures/stutter/self_loop.ron";
    // Spec.cfg, no fairness: violated by stuttering at x = 0.
    let (code, j, err) = run(&[STUTTER]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(j["assume_progress"], false);
    assert_eq!(
        (
            j["distinct_states"].as_u64(),
            j["states_generated"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let v = &j["violation"];
    assert_eq!(
        (v["property"].as_str(), v["stutters"].as_bool()),
        (Some("Prop"), Some(true))
    );
    assert_eq!(actions(v), ["init"]);
    // SpecWF.cfg: WF_vars(Next) makes it hold.
    let (code, j, err) = run(&[STUTTER, "--fairness", "weak Next"]);
    assert_eq!(code, 0, "{err}{j:#}");
    // SpecProgress.cfg: holds under WF_vars(Next /\ ~SelfLoop), from the
    // flag and from the spec field (through `extends`).
    for args in [&[STUTTER, "--assume-progress"][..], &[PROGRESS]] {
        let (code, j, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}{j:#}");
        assert_eq!(j["assume_progress"], true);
        assert_eq!(status(&j, "Prop").1, "holds");
    }
    // Spec2.cfg: violated by stuttering at x = 0; 2 distinct, 4 generated.
    let (code, j, err) = run(&[SELF_LOOP]);
    assert_eq!(code, 1, "{err}{j:#}");
    assert_eq!(
        (
            j["distinct_states"].as_u64(),
            j["states_generated"].as_u64()
        ),
        (Some(2), Some(4))
    );
    assert_eq!(actions(&j["violation"]), ["init"]);
    // Spec2Progress.cfg: violated, B's self-loop forever at x = 0.
    let (code, j, err) = run(&[SELF_LOOP, "--assume-progress"]);
    assert_eq!(code, 1, "{err}{j:#}");
    let v = &j["violation"];
    assert_eq!(actions(v), ["init", "B"]);
    assert_eq!(
        (v["loop_start"].as_u64(), v["stutters"].as_bool()),
        (Some(0), Some(false))
    );
    // Spec2WF.cfg: WF_vars(Next) holds, in either semantics.
    for extra in [&[][..], &["--assume-progress"]] {
        let (code, j, err) = run(&[&[SELF_LOOP, "--fairness", "weak {A, B}"][..], extra].concat());
        assert_eq!(code, 0, "{extra:?}: {err}{j:#}");
    }
}

/// The text report says which semantics a run used, and a lasso that ends
/// in stuttering where an action is enabled says that no fairness
/// assumption forces it.
#[test]
fn text_report_names_the_semantics_and_the_stutter() {
    const STUTTER: &str = "tests/fixtures/stutter/stutter.ron";
    let (code, out, err) = common::dcheck_run(&[STUTTER]);
    assert_eq!(code, 1, "{err}");
    assert!(
        common::flat(&out).contains("stuttering forever in its last state"),
        "{out}"
    );
    assert!(
        common::flat(&out).contains("the behaviour stutters in state 0 forever (TLA+ semantics)"),
        "{out}"
    );
    assert!(
        common::flat(&out).contains("no fairness assumption forces Next, enabled here"),
        "{out}"
    );
    assert!(
        common::flat(&out).contains("liveness semantics TLA+ stuttering"),
        "{out}"
    );
    let (code, out, err) = common::dcheck_run(&[STUTTER, "--assume-progress"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        common::flat(&out).contains("liveness semantics assume_progress"),
        "{out}"
    );
    // A dead end stutters because nothing is enabled.
    let (code, out, err) = common::dcheck_run(&[
        "tests/fixtures/live/dead_end.ron",
        "--no-deadlock",
        "--assume-progress",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        common::flat(&out)
            .contains("no action is enabled here: the behaviour stays in state 1 forever"),
        "{out}"
    );
}
