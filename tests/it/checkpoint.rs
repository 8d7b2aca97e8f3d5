//! Checkpoint and resume (`--checkpoint FILE`, `--checkpoint-every`,
//! `--resume FILE`): a search stopped at a limit, by Ctrl-C or by
//! `kill -9`, then resumed, ends with the figures, verdict and
//! counterexample of one uninterrupted run; a checkpoint that belongs to
//! another spec or other options, or is damaged, is refused (exit 2).
//!
//! The expected figures are those of the uninterrupted run of the same
//! build, which `twophase_reference` pins to TLC's counts for TwoPhase:
//! the property tested here is that stopping and resuming changes
//! nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::common::{dcheck, dcheck_json, dcheck_run};

/// What must not change: result, counts, depth, coverage, violation and
/// every property's status.
fn figures(j: &Json) -> Json {
    serde_json::json!({
        "result": j["result"],
        "properties": j["properties"],
        "graph_edges": j["graph_edges"],
        "distinct": j["distinct_states"],
        "generated": j["states_generated"],
        "depth": j["depth"],
        "coverage": j["coverage"],
        "violation": j["violation"],
    })
}

fn file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn a_limit_stop_then_resume_gives_the_uninterrupted_figures() {
    // TwoPhase N=5, unreduced, with the given flags.
    let run2pc = |extra: &[&str]| {
        crate::common::dcheck_json_unreduced(
            &[&["specs/2pc.ron", "--const", "N=5"], extra].concat(),
        )
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = file(&dir, "2pc.ckpt");
    let (code, whole, _) = run2pc(&[]);
    assert_eq!(code, 0);
    // Stopped by --max-depth: the checkpoint holds the search at the start
    // of the level it did not expand.
    let (code, part, _) = run2pc(&["--max-depth", "6", "--checkpoint", s(&cp)]);
    assert_eq!(code, 3, "{part}");
    assert_eq!(part["checkpoint"]["written"], 1, "{part}");
    let problems = crate::schema::errors("report-v1.json", &part);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(cp.exists());
    // Resumed with another thread count, without the limit.
    let (code, resumed, _) = run2pc(&["--threads", "1", "--resume", s(&cp)]);
    assert_eq!(code, 0, "{resumed}");
    assert_eq!(figures(&resumed), figures(&whole));
    assert_eq!(resumed["checkpoint"]["resumed"], true);
    let problems = crate::schema::errors("report-v1.json", &resumed);
    assert!(problems.is_empty(), "{problems:?}");

    // The same through --max-states, in two steps.
    let cp2 = file(&dir, "2pc-states.ckpt");
    let (code, _, _) = run2pc(&["--max-states", "1000", "--checkpoint", s(&cp2)]);
    assert_eq!(code, 3);
    let (code, _, _) = run2pc(&["--max-states", "4000", "--resume", s(&cp2)]);
    assert_eq!(code, 3);
    let (code, resumed, _) = run2pc(&["--resume", s(&cp2)]);
    assert_eq!(code, 0);
    assert_eq!(figures(&resumed), figures(&whole));
}

#[test]
fn a_resumed_search_finds_the_same_counterexample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = file(&dir, "bug.ckpt");
    let spec = "specs/bugs/2pc_commit_early.ron";
    let (code, whole, _) = dcheck_json(&[spec]);
    assert_eq!(code, 1, "{whole}");
    let depth = whole["depth"].as_u64().expect("depth");
    assert!(depth >= 2, "the violation is deep enough to stop before it");
    let stop = (depth - 1).to_string();
    let (code, _, _) = dcheck_json(&[spec, "--max-depth", &stop, "--checkpoint", s(&cp)]);
    assert_eq!(code, 3);
    let (code, resumed, _) = dcheck_json(&[spec, "--resume", s(&cp)]);
    assert_eq!(code, 1);
    assert_eq!(figures(&resumed), figures(&whole));
}

/// With temporal properties the checkpoint holds the state graph of the
/// levels expanded so far: a resumed run checks the properties on the
/// whole graph, with the verdict and lasso of an uninterrupted run.
#[test]
fn a_resumed_search_checks_temporal_properties_on_the_whole_graph() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (spec, extra) in [
        ("specs/paxos.ron", vec![]),
        ("specs/paxos.ron", vec!["--fairness", "none"]),
        (
            "specs/2pc_msgs.ron",
            vec!["--const", "N=4", "--fairness", "none"],
        ),
        // A refinement's liveness part: step predicate bits on the edges.
        ("specs/2pc_tcommit_live.ron", vec![]),
        ("specs/bugs/2pc_lazy_tm_tcommit.ron", vec![]),
        // Holds only if the resumed graph keeps which steps take the
        // refined tick (see refine.rs): stopped at depth 6, past the Tick
        // step (from depth 5) that closes the first cycle.
        (
            "tests/fixtures/refine/minute_clock_aging.ron",
            vec![
                "--fairness",
                "weak Up",
                "--fairness",
                "weak Down",
                "--fairness",
                "strong Tick",
                "--max-depth",
                "6",
            ],
        ),
    ] {
        // `--max-depth D` at the end of `extra` is where to stop.
        let (extra, depth) = match extra.iter().position(|a| *a == "--max-depth") {
            Some(i) => (&extra[..i], extra[i + 1]),
            None => (&extra[..], "4"),
        };
        let mut args = vec![spec];
        args.extend(extra.iter().copied());
        let (code, whole, _) = dcheck_json(&args);
        assert!(code == 0 || code == 1, "{whole}");
        assert!(whole["graph_edges"].as_u64().unwrap_or(0) > 0);
        let cp = file(&dir, "live.ckpt");
        let mut stop = args.clone();
        stop.extend(["--max-depth", depth, "--checkpoint", s(&cp)]);
        let (code, part, _) = dcheck_json(&stop);
        assert_eq!(code, 3, "{part}");
        let mut resume = args.clone();
        resume.extend(["--threads", "1", "--resume", s(&cp)]);
        let (code2, resumed, _) = dcheck_json(&resume);
        assert_eq!(code2, code_of(&whole), "{resumed}");
        assert_eq!(figures(&resumed), figures(&whole), "{spec} {extra:?}");
    }
}

fn code_of(j: &Json) -> i32 {
    match j["result"].as_str() {
        Some("ok") => 0,
        Some("violation") => 1,
        _ => 3,
    }
}

/// TwoPhase N=4 stopped at depth 3 with a checkpoint to `cp`: exit code,
/// stdout, stderr.
fn stop_at_depth_3(cp: &Path) -> (i32, String, String) {
    dcheck_run(&[
        "specs/2pc.ron",
        "--symmetry",
        "off",
        "--const",
        "N=4",
        "--max-depth",
        "3",
        "--checkpoint",
        s(cp),
    ])
}

/// Reads the depth in a checkpoint's header (the fifth word).
fn checkpoint_depth(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let word = bytes.get(32..40)?;
    Some(u64::from_le_bytes(word.try_into().ok()?))
}

/// TwoPhase N=8 unreduced on one thread: long enough to interrupt.
const TWOPHASE_N8: [&str; 7] = [
    "specs/2pc.ron",
    "--symmetry",
    "off",
    "--const",
    "N=8",
    "--threads",
    "1",
];

#[cfg(unix)]
#[test]
fn killed_with_sigkill_halfway_then_resumed_gives_the_uninterrupted_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = file(&dir, "killed.ckpt");
    let args = TWOPHASE_N8;
    let (code, whole, _) = dcheck_json(&args);
    assert_eq!(code, 0);
    let total_depth = whole["depth"].as_u64().expect("depth");
    let mut child = dcheck()
        .arg("run")
        .args(args)
        .args(["--checkpoint", s(&cp), "--checkpoint-every", "0s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dcheck");
    // Kill it once a checkpoint past the first few levels is on disk (the
    // file is replaced by a rename, so it is always whole).
    let start = Instant::now();
    let mut killed_at = None;
    while start.elapsed() < Duration::from_secs(60) {
        if let Some(d) = checkpoint_depth(&cp).filter(|&d| d >= 4) {
            crate::common::signal(&child, "-KILL");
            killed_at = Some(d);
            break;
        }
        if child.try_wait().expect("poll").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.wait();
    let killed_at = killed_at.expect("a checkpoint was written before the run ended");
    assert!(killed_at < total_depth, "killed before the end");
    let mut resume = args.to_vec();
    resume.extend(["--resume", s(&cp)]);
    let (code, resumed, _) = dcheck_json(&resume);
    assert_eq!(code, 0, "{resumed}");
    assert_eq!(figures(&resumed), figures(&whole));
}

#[cfg(unix)]
#[test]
fn ctrl_c_writes_a_checkpoint_that_resumes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = file(&dir, "int.ckpt");
    let args = TWOPHASE_N8;
    let (_, whole, _) = dcheck_json(&args);
    let child = dcheck()
        .arg("run")
        .args(args)
        .args(["--checkpoint", s(&cp), "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dcheck");
    // The default interval (10 minutes) writes nothing before the signal.
    std::thread::sleep(Duration::from_millis(300));
    crate::common::signal(&child, "-INT");
    let out = child.wait_with_output().expect("wait");
    let code = out.status.code().expect("exit code");
    let report: Json = serde_json::from_slice(&out.stdout).unwrap_or(Json::Null);
    // The run takes about 2 s in the test profile: the signal comes first.
    assert_eq!(code, 130, "{report}");
    assert_eq!(report["result"], "interrupted");
    assert_eq!(report["checkpoint"]["written"], 1, "{report}");
    let mut resume = args.to_vec();
    resume.extend(["--resume", s(&cp)]);
    let (code, resumed, _) = dcheck_json(&resume);
    assert_eq!(code, 0);
    assert_eq!(figures(&resumed), figures(&whole));
}

#[test]
fn checkpoints_of_other_runs_and_damaged_ones_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = file(&dir, "n4.ckpt");
    let (code, _, _) = stop_at_depth_3(&cp);
    assert_eq!(code, 3);
    let refused = |args: &[&str], why: &str| {
        let (code, _, err) = dcheck_run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: expected {why:?} in {err}");
    };
    // Other constants, another spec, other options.
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--const",
            "N=5",
            "--resume",
            s(&cp),
        ],
        "another spec, other constants or other options",
    );
    refused(
        &[
            "specs/bugs/2pc_commit_early.ron",
            "--const",
            "N=4",
            "--resume",
            s(&cp),
        ],
        "another spec",
    );
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--const",
            "N=4",
            "--no-deadlock",
            "--resume",
            s(&cp),
        ],
        "other options",
    );
    // Truncated, altered, not a checkpoint, missing.
    let bytes = std::fs::read(&cp).expect("read");
    let cut = file(&dir, "cut.ckpt");
    std::fs::write(&cut, &bytes[..bytes.len() - 9]).expect("write");
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--const",
            "N=4",
            "--resume",
            s(&cut),
        ],
        "truncated",
    );
    let mut flipped = bytes.clone();
    let mid = bytes.len() / 2;
    flipped[mid] ^= 0x10;
    let alt = file(&dir, "alt.ckpt");
    std::fs::write(&alt, &flipped).expect("write");
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--const",
            "N=4",
            "--resume",
            s(&alt),
        ],
        "checksum",
    );
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--const",
            "N=4",
            "--resume",
            "specs/2pc.ron",
        ],
        "not a dcheck checkpoint",
    );
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--const",
            "N=4",
            "--resume",
            s(&file(&dir, "none")),
        ],
        "cannot read",
    );
    // Where checkpoints are not written.
    refused(
        &[
            "specs/2pc.ron",
            "--symmetry",
            "off",
            "--strategy",
            "dfs",
            "--checkpoint",
            s(&cp),
        ],
        "BFS only",
    );
    // A checkpoint with the state graph, resumed without the property
    // that needs it.
    let live = file(&dir, "live.ckpt");
    let (code, _, _) = dcheck_run(&[
        "specs/2pc_msgs.ron",
        "--max-depth",
        "3",
        "--checkpoint",
        s(&live),
    ]);
    assert_eq!(code, 3);
    refused(
        &[
            "specs/2pc_msgs.ron",
            "--property",
            "TCConsistent",
            "--resume",
            s(&live),
        ],
        "other options",
    );
    let (code, _, err) = dcheck_run(&[
        "specs/2pc.ron",
        "--symmetry",
        "off",
        "specs/paxos.ron",
        "--checkpoint",
        s(&file(&dir, "two.ckpt")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("single spec"), "{err}");
}

#[test]
fn a_checkpoint_that_cannot_be_written_is_a_warning_not_a_lost_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cp = dir.path().join("missing-dir").join("x.ckpt");
    let (code, out, _) = stop_at_depth_3(&cp);
    assert_eq!(code, 3);
    assert!(
        out.contains("warning: cannot write the checkpoint"),
        "{out}"
    );
    assert!(out.contains("distinct states"), "{out}");
}
