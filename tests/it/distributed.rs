//! Distributed runs (`--workers`, `--hosts`/`--process`) against the
//! same run in one process: the JSON report (counts, verdict, trace,
//! coverage) is the same but for timings, memory and the `distributed`
//! figures; two processes on localhost; a killed peer; peers that differ.

use crate::common::*;
use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The report without what may differ between runs of the same search:
/// times, memory, threads and the distributed figures.
fn comparable(mut j: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| {
                    !(k.contains("second")
                        || k.contains("bytes")
                        || k.contains("time")
                        || k == "threads"
                        || k == "distributed")
                });
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut j);
    j
}

/// Cases: (args, expected exit code); their expected reports are the
/// one-process runs'.
const CASES: [(&[&str], i32); 5] = [
    // TwoPhase with symmetry (a view): orbits.
    (&["specs/2pc.ron", "--const", "N=5"], 0),
    // Unreduced, several levels wider than a chunk.
    (&["specs/2pc.ron", "--const", "N=5", "--symmetry", "off"], 0),
    // An invariant violation and its trace.
    (&["specs/bugs/2pc_commit_early.ron"], 1),
    // A deadlock and its trace.
    (&["tests/fixtures/counter_deadlock.ron"], 1),
    // A limit stop: the first 300 states in BFS order.
    (
        &[
            "specs/2pc.ron",
            "--const",
            "N=5",
            "--symmetry",
            "off",
            "--max-states",
            "300",
        ],
        3,
    ),
];

#[test]
fn workers_in_one_process_give_the_one_process_report() {
    for (args, code) in CASES {
        let (c, one, err) = dcheck_json(args);
        assert_eq!(c, code, "{args:?}: {err}");
        assert!(one["distributed"].is_null());
        for workers in ["1", "2", "4"] {
            let mut a = args.to_vec();
            a.extend(["--workers", workers]);
            let (c, got, err) = dcheck_json(&a);
            assert_eq!(c, code, "{a:?}: {err}");
            let d = &got["distributed"];
            assert_eq!(d["workers"].as_u64(), workers.parse().ok());
            assert_eq!(d["processes"], 1);
            if code == 0 {
                let owned: u64 = d["peers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["states"].as_u64().unwrap())
                    .sum();
                assert_eq!(owned, got["distinct_states"].as_u64().unwrap(), "{a:?}");
            }
            assert_eq!(comparable(got), comparable(one.clone()), "{a:?}");
        }
    }
}

/// Two free localhost ports (bound, then let go).
fn hosts_file(dir: &tempfile::TempDir, n: usize) -> String {
    let ports: Vec<u16> = (0..n)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let file = dir.path().join("hosts");
    let text: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    std::fs::write(&file, format!("# two processes\n{text}")).unwrap();
    file.display().to_string()
}

fn spawn_process(args: &[&str], hosts: &str, process: &str) -> Child {
    dcheck()
        .arg("run")
        .args(args)
        .args(["--hosts", hosts, "--process", process, "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dcheck")
}

fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().expect("wait for dcheck");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

/// `processes` processes of `workers` workers on localhost give the
/// one-process report of `args`, from process 0; the others print one
/// line.
fn cluster_agrees(args: &[&str], code: i32, processes: usize, workers: &str) {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(&dir, processes);
    let mut a = args.to_vec();
    a.extend(["--workers", workers]);
    // The others first, process 0 last: any order works.
    let others: Vec<Child> = (1..processes)
        .rev()
        .map(|p| spawn_process(&a, &hosts, &p.to_string()))
        .collect();
    let (c0, out0, err0) = finish(spawn_process(&a, &hosts, "0"));
    assert_eq!(c0, code, "{a:?}: {err0}");
    for (i, child) in others.into_iter().enumerate() {
        let (c, out, err) = finish(child);
        assert_eq!(c, code, "{a:?}, process {}: {err}", processes - 1 - i);
        assert_eq!(out, "", "{a:?}");
        assert!(err.contains(&format!("of {processes}")), "{err}");
    }
    let got: Value = serde_json::from_str(&out0).expect("process 0's JSON report");
    let w: usize = workers.parse().unwrap();
    assert_eq!(got["distributed"]["workers"], processes * w);
    assert_eq!(got["distributed"]["processes"], processes);
    let (_, one, _) = dcheck_json(args);
    assert_eq!(comparable(got), comparable(one), "{a:?}");
}

#[test]
fn two_processes_on_localhost_give_the_one_process_report() {
    for (args, code) in CASES {
        cluster_agrees(args, code, 2, "2");
    }
}

#[test]
fn four_processes_on_localhost_give_the_one_process_report() {
    for (args, code) in [CASES[1], CASES[2], CASES[3], CASES[4]] {
        cluster_agrees(args, code, 4, "1");
    }
}

/// A run long enough to kill a process in the middle of it (10 M states).
const LONG: [&str; 6] = [
    "specs/2pc.ron",
    "--const",
    "N=9",
    "--symmetry",
    "off",
    "--peer-timeout=5s",
];

#[test]
fn a_killed_process_ends_the_run_on_the_other_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(&dir, 2);
    let mut p1 = spawn_process(&LONG, &hosts, "1");
    let p0 = spawn_process(&LONG, &hosts, "0");
    std::thread::sleep(Duration::from_secs(2));
    p1.kill().expect("kill process 1");
    let _ = p1.wait();
    let killed = Instant::now();
    let (code, out, err) = finish(p0);
    assert!(
        killed.elapsed() < Duration::from_secs(20),
        "{:?}",
        killed.elapsed()
    );
    assert_eq!(code, 3, "{out}\n{err}");
    let j: Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(j["result"], "incomplete");
    assert_eq!(j["incomplete_reason"], "peer-error");
    let why = j["distributed"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        why.contains("went away") || why.contains("no progress"),
        "{why}"
    );
}

/// A peer that hangs (here: stopped with SIGSTOP) ends the run after
/// `--peer-timeout`, with the figures explored so far.
#[cfg(unix)]
#[test]
fn a_stopped_process_ends_the_run_after_the_peer_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(&dir, 2);
    let mut a = LONG[..5].to_vec();
    a.push("--peer-timeout=2s");
    let mut p1 = spawn_process(&a, &hosts, "1");
    let p0 = spawn_process(&a, &hosts, "0");
    std::thread::sleep(Duration::from_millis(1500));
    signal(&p1, "-STOP");
    let stopped = Instant::now();
    let (code, out, err) = finish(p0);
    let took = stopped.elapsed();
    let _ = p1.kill();
    let _ = p1.wait();
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(code, 3, "{out}\n{err}");
    let j: Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(j["incomplete_reason"], "peer-error");
    let why = j["distributed"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(why.contains("no progress"), "{why}");
    assert!(
        j["distinct_states"].as_u64().unwrap() > 0,
        "the figures so far"
    );
}

/// Processes that differ in what shapes the search (constants), or in
/// what adds rounds to it (checkpointing), refuse each other before any
/// state.
#[test]
fn processes_with_different_options_refuse_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck").display().to_string();
    let n5 = ["specs/2pc.ron", "--const", "N=5", "--peer-timeout", "10s"];
    let n6 = ["specs/2pc.ron", "--const", "N=6", "--peer-timeout", "10s"];
    let mut with_checkpoint = n5.to_vec();
    with_checkpoint.extend(["--checkpoint", &ck]);
    for (zero, one) in [(&n5[..], &n6[..]), (&n5[..], &with_checkpoint[..])] {
        let hosts = hosts_file(&dir, 2);
        let p1 = spawn_process(one, &hosts, "1");
        let p0 = spawn_process(zero, &hosts, "0");
        let (c0, out0, _) = finish(p0);
        let (c1, _, err1) = finish(p1);
        assert_eq!((c0, c1), (3, 3), "{one:?}");
        let j: Value = serde_json::from_str(&out0).expect("a JSON report");
        assert_eq!(j["incomplete_reason"], "peer-error");
        let why = format!("{} {err1}", j["distributed"]["error"]);
        assert!(
            why.contains("different dcheck version, spec or options"),
            "{why}"
        );
        assert_eq!(j["distinct_states"], 0, "nothing was explored");
    }
}

#[test]
fn what_a_distributed_run_does_not_do_is_refused() {
    for (args, says) in [
        (
            &["specs/raft.ron", "--workers", "2"][..],
            "--invariants-only",
        ),
        (
            &["specs/2pc.ron", "--workers", "2", "--strategy", "dfs"][..],
            "drop --strategy dfs",
        ),
        (
            &["specs/2pc.ron", "--workers", "2", "--store", "disk:/tmp"][..],
            "drop --store disk",
        ),
    ] {
        let (code, _, err) = dcheck_run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (code, _, err) = dcheck_run(&[
        "specs/2pc.ron",
        "--hosts",
        "/nonexistent/hosts",
        "--process",
        "0",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the hosts file"), "{err}");
}

/// The promise for a process that dies: with `--checkpoint`, the
/// run resumes (every process with `--resume`) and ends with the
/// one-process report.
#[test]
fn a_killed_run_resumes_from_its_checkpoints_to_the_one_process_report() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(&dir, 2);
    let ck = dir.path().join("ck").display().to_string();
    let spec = ["specs/2pc.ron", "--const", "N=8", "--symmetry", "off"];
    let mut a = spec.to_vec();
    a.extend([
        "--peer-timeout=5s",
        "--checkpoint",
        &ck,
        "--checkpoint-every",
        "0s",
    ]);
    let mut p1 = spawn_process(&a, &hosts, "1");
    let p0 = spawn_process(&a, &hosts, "0");
    // Kill process 1 once both have written two checkpoints.
    let second = format!("{ck}.worker1.prev");
    let waited = Instant::now();
    while !std::path::Path::new(&second).exists() && waited.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    p1.kill().expect("kill process 1");
    let _ = p1.wait();
    let (code, out, err) = finish(p0);
    assert_eq!(code, 3, "{out}\n{err}");
    let mut r = spec.to_vec();
    r.extend(["--peer-timeout=5s", "--resume", &ck]);
    let p1 = spawn_process(&r, &hosts, "1");
    let (c0, out0, err0) = finish(spawn_process(&r, &hosts, "0"));
    let (c1, _, err1) = finish(p1);
    assert_eq!((c0, c1), (0, 0), "{err0} / {err1}");
    let mut got: Value = serde_json::from_str(&out0).expect("a JSON report");
    assert_eq!(got["checkpoint"]["resumed"], true);
    got.as_object_mut().unwrap().remove("checkpoint");
    let (_, one, _) = dcheck_json(&spec);
    assert_eq!(comparable(got), comparable(one));
}
