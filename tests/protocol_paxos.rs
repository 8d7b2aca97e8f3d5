//! Single-decree Paxos (`specs/paxos.ron`) and its bug variant
//! (`specs/bugs/paxos_ignore_promises.ron`) through the CLI. Every expected
//! count, trace length and action list is derived by hand next to its
//! assertion (or in the spec's header); checker counts of larger
//! configurations are not pinned.

use serde_json::Value as Json;

mod common;
use common::dcheck_json as run;
use common::{action_names, how_many as count, status};

const SPEC: &str = "specs/paxos.ron";
const BUG: &str = "specs/bugs/paxos_ignore_promises.ron";

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

/// An independent model of `specs/paxos.ron` (F = 0: no crashes), sharing
/// no code with dcheck: a struct state and a sequential BFS over a
/// `HashSet`, counting as TLC does (distinct = visited states; generated =
/// initial states plus every successor of every enabled action instance,
/// duplicates and self-loops included). Each action instance is the spec's:
/// Phase1a(p), Phase1b(a, b), Phase2a(p, Q) for every subset Q of the
/// acceptors, Phase2b(a, b, v), Learn(l, b, v).
mod reference {
    use std::collections::{BTreeSet, HashSet, VecDeque};

    #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    enum Msg {
        Prepare(u32),
        Promise(u32, u32, u32, u32),
        Accept(u32, u32),
        Accepted(u32, u32, u32),
    }

    #[derive(Clone, PartialEq, Eq, Hash)]
    struct State {
        msgs: BTreeSet<Msg>,
        p_bal: Vec<u32>,
        /// 0 idle, 1 preparing, 2 accepting
        p_phase: Vec<u8>,
        max_bal: Vec<u32>,
        max_vbal: Vec<u32>,
        max_val: Vec<u32>,
        learned: Vec<BTreeSet<u32>>,
    }

    pub struct Config {
        pub p: u32,
        pub a: u32,
        pub l: u32,
        pub max_ballot: u32,
    }

    fn chosen_at(c: &Config, s: &State, b: u32, v: u32) -> bool {
        let n = (1..=c.a)
            .filter(|&a| s.msgs.contains(&Msg::Accepted(a, b, v)))
            .count() as u32;
        2 * n > c.a
    }

    fn successors(c: &Config, s: &State) -> Vec<State> {
        let mut out = Vec::new();
        // Phase1a(p)
        for p in 1..=c.p {
            let i = (p - 1) as usize;
            let b = if s.p_bal[i] == 0 { p } else { s.p_bal[i] + c.p };
            if b <= c.max_ballot {
                let mut t = s.clone();
                t.p_bal[i] = b;
                t.p_phase[i] = 1;
                t.msgs.insert(Msg::Prepare(b));
                out.push(t);
            }
        }
        // Phase1b(a, b)
        for a in 1..=c.a {
            let i = (a - 1) as usize;
            for b in 1..=c.max_ballot {
                if s.msgs.contains(&Msg::Prepare(b)) && b > s.max_bal[i] {
                    let mut t = s.clone();
                    t.max_bal[i] = b;
                    t.msgs
                        .insert(Msg::Promise(a, b, s.max_vbal[i], s.max_val[i]));
                    out.push(t);
                }
            }
        }
        // Phase2a(p, Q): Q a majority whose members all promised pBal[p].
        for p in 1..=c.p {
            let i = (p - 1) as usize;
            if s.p_phase[i] != 1 {
                continue;
            }
            let b = s.p_bal[i];
            // The promise of a for b, if any (an acceptor promises b once).
            let promise = |a: u32| {
                s.msgs.iter().find_map(|m| match *m {
                    Msg::Promise(x, y, vb, vv) if x == a && y == b => Some((vb, vv)),
                    _ => None,
                })
            };
            for mask in 0u32..(1 << c.a) {
                let q: Vec<u32> = (1..=c.a).filter(|a| mask & (1 << (a - 1)) != 0).collect();
                if 2 * q.len() as u32 <= c.a {
                    continue;
                }
                let ps: Option<Vec<(u32, u32)>> = q.iter().map(|&a| promise(a)).collect();
                let Some(ps) = ps else { continue };
                let &(hb, hv) = ps.iter().max().unwrap();
                let v = if hb == 0 { p } else { hv };
                let mut t = s.clone();
                t.p_phase[i] = 2;
                t.msgs.insert(Msg::Accept(b, v));
                out.push(t);
            }
        }
        // Phase2b(a, b, v)
        for a in 1..=c.a {
            let i = (a - 1) as usize;
            for b in 1..=c.max_ballot {
                for v in 1..=c.p {
                    if s.msgs.contains(&Msg::Accept(b, v)) && b >= s.max_bal[i] {
                        let mut t = s.clone();
                        t.max_bal[i] = b;
                        t.max_vbal[i] = b;
                        t.max_val[i] = v;
                        t.msgs.insert(Msg::Accepted(a, b, v));
                        out.push(t);
                    }
                }
            }
        }
        // Learn(l, b, v)
        for l in 0..c.l as usize {
            for b in 1..=c.max_ballot {
                for v in 1..=c.p {
                    if chosen_at(c, s, b, v) {
                        let mut t = s.clone();
                        t.learned[l].insert(v);
                        out.push(t);
                    }
                }
            }
        }
        out
    }

    /// (distinct, generated); asserts that at most one value is chosen.
    pub fn counts(c: &Config) -> (u64, u64) {
        let init = State {
            msgs: BTreeSet::new(),
            p_bal: vec![0; c.p as usize],
            p_phase: vec![0; c.p as usize],
            max_bal: vec![0; c.a as usize],
            max_vbal: vec![0; c.a as usize],
            max_val: vec![0; c.a as usize],
            learned: vec![BTreeSet::new(); c.l as usize],
        };
        let mut seen = HashSet::from([init.clone()]);
        let mut queue = VecDeque::from([init]);
        let mut generated = 1u64;
        while let Some(s) = queue.pop_front() {
            let chosen = (1..=c.p)
                .filter(|&v| (1..=c.max_ballot).any(|b| chosen_at(c, &s, b, v)))
                .count();
            assert!(chosen <= 1, "two values chosen");
            for t in successors(c, &s) {
                generated += 1;
                if seen.insert(t.clone()) {
                    queue.push_back(t);
                }
            }
        }
        (seen.len() as u64, generated)
    }
}

/// dcheck's counts equal the reference model's, for the defaults and for
/// smaller configurations (the smallest one is also counted by hand above:
/// the reference must give 6 and 9 there).
#[test]
fn counts_match_reference_model() {
    use reference::{counts, Config};
    let small = Config {
        p: 1,
        a: 1,
        l: 1,
        max_ballot: 1,
    };
    assert_eq!(counts(&small), (6, 9));
    for (p, a, l, mb) in [(2, 3, 1, 3), (1, 3, 1, 3), (2, 1, 2, 2), (2, 3, 2, 2)] {
        let (distinct, generated) = counts(&Config {
            p,
            a,
            l,
            max_ballot: mb,
        });
        let consts = [
            format!("P={p}"),
            format!("A={a}"),
            format!("L={l}"),
            format!("MaxBallot={mb}"),
        ];
        let mut args = vec![SPEC, "--threads", "2", "--property", "Consistency"];
        for c in &consts {
            args.extend(["--const", c.as_str()]);
        }
        let (code, j, err) = run(&args);
        assert_eq!(code, 0, "{consts:?}: {err}\n{j:#}");
        assert_eq!(j["distinct_states"], distinct, "{consts:?}");
        assert_eq!(j["states_generated"], generated, "{consts:?}");
    }
}
