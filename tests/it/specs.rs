//! Every shipped spec with its defaults: the protocol specs and the examples
//! hold (exit 0), every variant under `specs/bugs/` is refuted (exit 1, with
//! a counterexample), and the documented flag variants give their stated
//! verdicts. Per-protocol details (which property, trace shapes, counts
//! with an independent source) are pinned in the `protocol_*.rs` and
//! `liveness.rs` tests; this one makes sure no spec is left unrun.

use std::path::Path;

use crate::common;

use common::dcheck_json as run;

/// `.ron` files under `dir` (relative to the repository root), sorted.
fn specs_in(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<String> = std::fs::read_dir(root.join(dir))
        .expect("specs directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

/// The specs whose defaults reach a million states or more, with the
/// smaller setting the normal suite runs them at (their defaults run in
/// [`large_specs_hold_at_their_defaults`]): Raft 2.18 M states at its
/// defaults, 44 k with one message in flight per channel; the Byzantine
/// generals 1.58 M with N = 4 and one traitor, 580 with no traitor.
const LARGE: [(&str, &[&str]); 2] = [
    ("specs/raft.ron", &["--const", "MaxInFlight=1"]),
    (
        "specs/examples/byzantine_agreement.ron",
        &["--const", "F=0"],
    ),
];

/// `spec` with the normal suite's flags: its defaults, or the smaller
/// setting of [`LARGE`].
fn normal_size(spec: &str) -> Vec<&str> {
    let mut args = vec![spec, "--threads", "2"];
    if let Some((_, flags)) = LARGE.iter().find(|(s, _)| *s == spec) {
        args.extend(flags.iter().copied());
    }
    args
}

#[test]
fn protocol_specs_and_examples_hold() {
    let specs: Vec<String> = specs_in("specs")
        .into_iter()
        .chain(specs_in("specs/examples"))
        .collect();
    assert!(specs.len() >= 5, "{specs:?}");
    for (large, _) in LARGE {
        assert!(specs.iter().any(|s| s == large), "{large} is shipped");
    }
    for spec in specs {
        let (code, j, err) = run(&normal_size(&spec));
        assert_eq!(code, 0, "{spec}: {err}{j:#}");
        assert_eq!(j["result"], "ok", "{spec}");
    }
}

/// The large specs at their defaults (millions of states): not in the
/// normal suite; `cargo test --release -- --ignored` runs them.
#[test]
#[ignore = "millions of states: run with `cargo test --workspace --release -- --ignored`"]
fn large_specs_hold_at_their_defaults() {
    for (spec, _) in LARGE {
        let (code, j, err) = run(&[spec, "--threads", "2"]);
        assert_eq!(code, 0, "{spec}: {err}{j:#}");
        assert_eq!(j["result"], "ok", "{spec}");
    }
    let (code, j, err) = run(&["specs/raft.ron", "--fairness", "none", "--threads", "2"]);
    assert_eq!(code, 1, "{err}{j:#}");
}

#[test]
fn bug_variants_are_refuted() {
    let bugs = specs_in("specs/bugs");
    assert!(!bugs.is_empty());
    for spec in bugs {
        let (code, j, err) = run(&[&spec, "--threads", "2"]);
        assert_eq!(code, 1, "{spec}: {err}{j:#}");
        let v = &j["violation"];
        assert!(
            v["trace"].as_array().is_some_and(|t| !t.is_empty()),
            "{spec}: a counterexample trace: {v:#}"
        );
        assert_ne!(
            v["kind"], "error",
            "{spec}: a bug, not an evaluation error: {v:#}"
        );
    }
}

/// Variants run by flags only (listed in `specs/table.py` too; Raft at
/// the normal suite's size, where ElectionLiveness fails without fairness
/// as at the defaults).
#[test]
fn flag_variants_are_refuted() {
    for (spec, flags) in [
        ("specs/2pc_msgs.ron", vec!["--faults", "crash=1"]),
        ("specs/chandy_lamport.ron", vec!["--network", "unordered"]),
        ("specs/raft.ron", vec!["--fairness", "none"]),
    ] {
        let mut args = normal_size(spec);
        args.extend(flags.iter().copied());
        let (code, j, err) = run(&args);
        assert_eq!(code, 1, "{spec} {flags:?}: {err}{j:#}");
    }
}
