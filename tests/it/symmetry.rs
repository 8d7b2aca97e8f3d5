//! Symmetry reduction (`symmetry: ["RM"]`): TwoPhase's orbit counts against
//! a brute-force enumeration that shares no code with the checker (the
//! reference model of `common.rs`, every state canonicalised as the
//! smallest of its N! permutations), counterexamples that stay shortest and
//! replay on the unreduced spec, and a diagnostic for each misuse of a
//! symmetric type.

use std::collections::HashSet;

use crate::common::{counts, dcheck_args, dcheck_json, State};

/// TwoPhase, whose RMs are declared symmetric.
const SYMMETRIC: &str = "specs/2pc.ron";

/// Every permutation of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..n {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

/// The smallest of a state's permutations (RM `i` of the result is RM
/// `p[i]` of the state), as a byte key: a canonical form by brute force.
fn canonical(s: &State, perms: &[Vec<usize>]) -> Vec<u8> {
    let rm = |r: usize| -> u8 {
        (s.rm_state[r] as u8) << 2 | (s.tm_prepared[r] as u8) << 1 | s.msg_prepared[r] as u8
    };
    let rms: Vec<u8> = (0..s.rm_state.len()).map(rm).collect();
    let fixed = [s.tm_state as u8, s.msg_commit as u8, s.msg_abort as u8];
    perms
        .iter()
        .map(|p| {
            let mut key = fixed.to_vec();
            key.extend(p.iter().map(|&j| rms[j]));
            key
        })
        .min()
        .expect("a permutation")
}

/// (orbits, generated): a BFS of the reference TwoPhase that keeps one
/// state per orbit; generated counts the initial state and every
/// successor of each kept state (all states of an orbit have as many).
fn orbit_counts(n: usize) -> (u64, u64) {
    let perms = permutations(n);
    let init = State::init(n);
    let mut seen = HashSet::from([canonical(&init, &perms)]);
    let mut frontier = vec![init];
    let mut generated = 1;
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for s in &frontier {
            for t in s.successors() {
                generated += 1;
                if seen.insert(canonical(&t, &perms)) {
                    next.push(t);
                }
            }
        }
        frontier = next;
    }
    (seen.len() as u64, generated)
}

fn check_orbits(n: usize) {
    let expected = orbit_counts(n);
    let nc = format!("N={n}");
    for extra in [
        &["--threads", "1"][..],
        &["--threads", "2"],
        &["--strategy", "dfs", "--threads", "1"],
        &["--strategy", "dfs", "--threads", "2"],
    ] {
        let mut args = vec![SYMMETRIC, "--const", &nc];
        args.extend_from_slice(extra);
        let (code, j, stderr) = dcheck_json(&args);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(counts(&j), expected, "N={n} {extra:?}");
        assert_eq!(j["symmetry"], serde_json::json!(["RM"]));
    }
}

/// N = 3..5: 80, 166 and 314 orbits of the 288, 1,568 and 8,832 states
/// (a Python enumeration written apart from both agreed: 80, 166, 314, and
/// 553 for N = 6).
#[test]
fn twophase_orbit_counts_equal_a_brute_force_enumeration() {
    assert_eq!(orbit_counts(3).0, 80);
    for n in 3..=5 {
        check_orbits(n);
    }
}

/// N = 6 and 7 (720 and 5,040 permutations of every reachable state in
/// the reference: slow in a debug build).
#[test]
#[ignore]
fn twophase_orbit_counts_equal_a_brute_force_enumeration_at_6_and_7() {
    for n in 6..=7 {
        check_orbits(n);
    }
}

/// `--symmetry off` explores every state: TLC's 288 / 1146 for N = 3.
#[test]
fn symmetry_off_gives_the_unreduced_counts() {
    let (code, j, stderr) = dcheck_json(&[SYMMETRIC, "--symmetry", "off"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(counts(&j), (288, 1146));
    assert_eq!(j["symmetry"], serde_json::json!([]));
    let (_, text, _) = dcheck_args(&["run", SYMMETRIC]);
    assert!(text.contains("counts are orbits"), "{text}");
}

/// The bug variant keeps the length of its shortest counterexample (the
/// TM commits once one RM prepared) with symmetry, at 1 and 2 threads, and
/// the trace replays on the unreduced spec.
#[test]
fn a_counterexample_under_symmetry_is_shortest_and_replays_without_it() {
    // The bug variant extends specs/2pc.ron, so its RMs are symmetric.
    let sym = "specs/bugs/2pc_commit_early.ron";
    for n in ["N=3", "N=4"] {
        let (_, plain, _) = dcheck_json(&[sym, "--const", n, "--symmetry", "off"]);
        let len = plain["violation"]["trace"].as_array().expect("trace").len();
        for threads in ["1", "2"] {
            let (code, j, stderr) = dcheck_json(&[sym, "--const", n, "--threads", threads]);
            assert_eq!(code, 1, "{stderr}");
            assert_eq!(j["violation"]["property"], "TCConsistent");
            let trace = j["violation"]["trace"].as_array().expect("trace");
            assert_eq!(trace.len(), len, "{n} {threads}");
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let (_, out, _) = dcheck_args(&["run", sym, "--format", "json"]);
    std::fs::write(&report, out).expect("write");
    let report = report.to_str().expect("path");
    for args in [
        vec!["replay", sym, report, "--symmetry", "off"],
        vec!["replay", sym, report],
    ] {
        let (code, out, stderr) = dcheck_args(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(out.contains("every step still applies"), "{out}");
    }
}

/// Each way of telling one value of a symmetric type from the others is a
/// spec error (exit 2) at the offending use, saying why.
#[test]
fn every_misuse_of_a_symmetric_type_is_refused_where_it_is() {
    // (fixture, what the message says, line:column of the use)
    let cases = [
        ("arith", "used as an integer", ":9:80"),       // r + 1
        ("order", "used as an integer", ":9:97"),       // r <= s
        ("literal", "expected RM, found int", ":9:62"), // rmState[1]
        ("minmax", "`min` of a set of the symmetric type `RM`", ":9:"), // min(RM)
        ("const", "expected RM, found int", ":9:85"),   // r == Leader
        (
            "choose",
            "`choose` over values of the symmetric type `RM`",
            ":9:",
        ),
    ];
    for (name, says, at) in cases {
        let path = format!("tests/fixtures/sym/misuse_{name}.ron");
        let (code, _, stderr) = dcheck_args(&["check", &path]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("misuse_{name}.ron{at}")),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("`RM` is symmetric"), "{name}: {stderr}");
        // Without the reduction RM is a range again, and the same spec
        // compiles.
        let (code, _, stderr) =
            dcheck_args(&["run", &path, "--symmetry", "off", "--max-states", "10"]);
        assert_ne!(code, 2, "{name} with --symmetry off: {stderr}");
    }
}

/// `symmetry` must name a range type or a role.
#[test]
fn symmetry_names_a_range_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (list, says) in [
        (r#"["Nope"]"#, "no type or role of the spec"),
        (r#"["RMState"]"#, "not a range"),
    ] {
        let spec = dir.path().join("s.ron");
        let text = std::fs::read_to_string("specs/2pc.ron")
            .expect("2pc")
            .replacen(
                "    symmetry: [\"RM\"],",
                &format!("    symmetry: {list},"),
                1,
            );
        std::fs::write(&spec, text).expect("write");
        let (code, _, stderr) = dcheck_args(&["check", spec.to_str().expect("path")]);
        assert_eq!(code, 2, "{list}: {stderr}");
        assert!(stderr.contains(says), "{list}: {stderr}");
    }
}

/// Temporal properties are not checked on orbits: a run that checks one
/// explores every state, says so, and gives the unreduced counts (TLC's
/// 288 / 1146 for TwoPhase N = 3); the same spec run for its invariants
/// alone is reduced (80 orbits, as the brute force above counts).
#[test]
fn temporal_properties_are_checked_without_the_symmetry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("s.ron");
    let text = std::fs::read_to_string("specs/2pc.ron").expect("2pc").replacen(
        "    invariants:",
        "    properties: [ (name: \"Done\", expr: \"eventually tmState != init\") ],\n    invariants:",
        1,
    );
    std::fs::write(&spec, text).expect("write");
    let path = spec.to_str().expect("path");
    let (code, j, stderr) = dcheck_json(&[path, "--fairness", "none"]);
    let (off_code, off, _) = dcheck_json(&[path, "--fairness", "none", "--symmetry", "off"]);
    assert_eq!(code, off_code, "{stderr}{j:#}");
    assert_eq!(j["properties"], off["properties"]);
    assert_eq!(counts(&j), (288, 1146), "{j:#}");
    assert_eq!(j["symmetry"], serde_json::json!([]));
    assert_eq!(j["symmetry_not_applied"], serde_json::json!(["RM"]));
    let (_, stdout, _) = crate::common::dcheck_run(&[path, "--fairness", "none"]);
    assert!(
        stdout.contains("RM: not applied: temporal properties"),
        "{stdout}"
    );
    let (code, j, _) = dcheck_json(&[path, "--invariants-only"]);
    assert_eq!(code, 0);
    assert_eq!(j["distinct_states"], 80);
    assert_eq!(j["symmetry"], serde_json::json!(["RM"]));
    assert_eq!(j["symmetry_not_applied"], serde_json::json!([]));
    let names: Vec<&str> = j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(!names.contains(&"Done"), "{names:?}");
}

/// Paxos with symmetric acceptors (A = 3): every orbit has at most 3! = 6
/// of the 47,089 states (the unreduced count, pinned against Stateright in
/// `protocol_paxos.rs`), so there are between 7,849 and 47,089 orbits, and
/// fewer than 47,089 since some states are not fixed by every swap; the
/// counts do not depend on the thread count.
#[test]
fn paxos_with_symmetric_acceptors_counts_orbits() {
    let spec = "specs/paxos.ron";
    let (code, off, stderr) = dcheck_json(&[spec, "--invariants-only", "--symmetry", "off"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(off["distinct_states"], 47089);
    let mut seen = Vec::new();
    for threads in ["1", "2"] {
        let (code, j, stderr) = dcheck_json(&[spec, "--invariants-only", "--threads", threads]);
        assert_eq!(code, 0, "{stderr}");
        let (distinct, _) = counts(&j);
        assert!(
            (47089u64.div_ceil(6)..47089).contains(&distinct),
            "{distinct}"
        );
        seen.push(counts(&j));
    }
    assert_eq!(seen[0], seen[1]);
}

/// Raft with symmetric servers (N = 3, MaxLogLen = 1, MaxElections = 1):
/// every orbit has at most 3! = 6 states, so the orbits are at least a
/// sixth of the unreduced count (`--symmetry off`, the same spec), and
/// fewer than it; equal at 1 and 2 threads.
#[test]
fn raft_with_symmetric_servers_counts_orbits() {
    let spec = "specs/raft.ron";
    let small = [
        "--invariants-only",
        "--const",
        "MaxLogLen=1",
        "--const",
        "MaxElections=1",
    ];
    let mut args = vec![spec, "--symmetry", "off"];
    args.extend(small);
    let (code, off, stderr) = dcheck_json(&args);
    assert_eq!(code, 0, "{stderr}");
    let (all, _) = counts(&off);
    let mut seen = Vec::new();
    for threads in ["1", "2"] {
        let mut args = vec![spec, "--threads", threads];
        args.extend(small);
        let (code, j, stderr) = dcheck_json(&args);
        assert_eq!(code, 0, "{stderr}");
        let (distinct, _) = counts(&j);
        assert!(
            (all.div_ceil(6)..all).contains(&distinct),
            "{distinct} of {all}"
        );
        seen.push(counts(&j));
    }
    assert_eq!(seen[0], seen[1]);
}

/// Sequences and multisets of a symmetric type (decoded by the canonical
/// form, unlike maps, sets and bags): the queue fixture's states and
/// orbits, counted by hand in its header (38 and 10 for N = 3, 168 and 15
/// for N = 4), for BFS and DFS at 1 and 2 threads.
#[test]
fn sequences_and_multisets_of_a_symmetric_type_count_orbits() {
    let spec = "tests/fixtures/sym/queue.ron";
    for (n, states, orbits) in [("N=3", 38, 10), ("N=4", 168, 15)] {
        let (code, off, stderr) =
            dcheck_json(&[spec, "--const", n, "--no-deadlock", "--symmetry", "off"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(off["distinct_states"], states, "{n}");
        for strategy in ["bfs", "dfs"] {
            for threads in ["1", "2"] {
                let args = [spec, "--const", n, "--no-deadlock", "--strategy", strategy];
                let mut args = args.to_vec();
                args.extend(["--threads", threads]);
                let (code, j, stderr) = dcheck_json(&args);
                assert_eq!(code, 0, "{stderr}");
                assert_eq!(j["distinct_states"], orbits, "{n} {strategy} {threads}");
            }
        }
    }
}

/// A `for` loop over a symmetric type whose effect depends on the order of
/// its values (appending them to a sequence) is an evaluation error at the
/// loop, reported with the trace that reaches it (here the initial state);
/// the same loop inserting into a set (no order) is fine.
#[test]
fn an_order_dependent_for_loop_over_a_symmetric_type_is_an_error() {
    let spec = "tests/fixtures/sym/misuse_for.ron";
    let (code, j, stderr) = dcheck_json(&[spec, "--no-deadlock"]);
    assert_eq!(code, 1, "{stderr}{j:#}");
    assert_eq!(j["violation"]["kind"], "error", "{j:#}");
    let message = j["violation"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
        + &j.to_string();
    assert!(message.contains("another order"), "{j:#}");
    assert_eq!(j["violation"]["trace"].as_array().expect("trace").len(), 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = dir.path().join("ok.ron");
    let text = std::fs::read_to_string(spec)
        .expect("fixture")
        .replace("append(q, p)", "insert(s, p)")
        .replace(
            r#"(name: "q", type: "seq<P, N>")"#,
            r#"(name: "s", type: "set<P>")"#,
        );
    std::fs::write(&ok, text).expect("write");
    let (code, j, stderr) = dcheck_json(&[ok.to_str().expect("path"), "--no-deadlock"]);
    assert_eq!(code, 0, "{stderr}{j:#}");
    // Two orbits: before the loop and after it.
    assert_eq!(j["distinct_states"], 2);
}

/// A fairness assumption that names one value of a symmetric type is
/// refused like any other literal of it (exit 2, at the value, saying
/// why); without the symmetry it is an ordinary assumption.
#[test]
fn fairness_naming_one_symmetric_value_is_refused() {
    let args = [
        "run",
        "specs/2pc_msgs.ron",
        "--fairness",
        "weak RMPrepare(1)",
    ];
    let (code, _, stderr) = dcheck_args(&args);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`RM` is symmetric"), "{stderr}");
    assert!(stderr.contains("--fairness:1:16"), "{stderr}");
    let mut off = args.to_vec();
    off.extend(["--symmetry", "off"]);
    let (code, _, stderr) = dcheck_args(&off);
    assert!(code == 0 || code == 1, "{code}: {stderr}");
}
