//! Shared helpers of the integration tests.
//!
//! An independent model of Gray & Lamport's TLA+ `TwoPhase` spec (used by
//! `twophase_reference.rs` and `cli.rs`): a small struct state, a sequential
//! breadth-first search over a `std::collections::HashSet`, and TLC's
//! counting conventions:
//!
//! * *distinct* states: the size of the visited set;
//! * *generated* states: the initial states plus every successor computed,
//!   duplicates and self-loops included (TLC's "states generated").
//!
//! It shares no code with dcheck. `twophase_reference.rs` pins it to TLC's
//! published figures for N = 3 and to a hand count for N = 1.
//!
//! Also [`dcheck_run`]: the built CLI run from the repository root.

// Not every helper is used by every build of the test binary.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};

/// `rmState[rm]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rm {
    Working,
    Prepared,
    Committed,
    Aborted,
}

/// `tmState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tm {
    Init,
    Committed,
    Aborted,
}

/// One TwoPhase state, spelled out variable by variable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub rm_state: Vec<Rm>,
    pub tm_state: Tm,
    pub tm_prepared: Vec<bool>,
    /// `Prepared(rm) ∈ msgs`, per RM.
    pub msg_prepared: Vec<bool>,
    /// `Commit ∈ msgs`.
    pub msg_commit: bool,
    /// `Abort ∈ msgs`.
    pub msg_abort: bool,
}

impl State {
    pub fn init(n: usize) -> State {
        State {
            rm_state: vec![Rm::Working; n],
            tm_state: Tm::Init,
            tm_prepared: vec![false; n],
            msg_prepared: vec![false; n],
            msg_commit: false,
            msg_abort: false,
        }
    }

    /// `TCConsistent`: no RM committed while another aborted.
    pub fn tc_consistent(&self) -> bool {
        !(self.rm_state.contains(&Rm::Committed) && self.rm_state.contains(&Rm::Aborted))
    }

    /// Every successor of `self`, one per enabled action instance, duplicates
    /// and self-loops included (TLA+ `Next`).
    pub fn successors(&self) -> Vec<State> {
        let n = self.rm_state.len();
        let mut out = Vec::new();
        // TMCommit
        if self.tm_state == Tm::Init && self.tm_prepared.iter().all(|&p| p) {
            let mut s = self.clone();
            s.tm_state = Tm::Committed;
            s.msg_commit = true;
            out.push(s);
        }
        // TMAbort
        if self.tm_state == Tm::Init {
            let mut s = self.clone();
            s.tm_state = Tm::Aborted;
            s.msg_abort = true;
            out.push(s);
        }
        for rm in 0..n {
            // TMRcvPrepared(rm): stays enabled once rm is in tmPrepared.
            if self.tm_state == Tm::Init && self.msg_prepared[rm] {
                let mut s = self.clone();
                s.tm_prepared[rm] = true;
                out.push(s);
            }
            // RMPrepare(rm)
            if self.rm_state[rm] == Rm::Working {
                let mut s = self.clone();
                s.rm_state[rm] = Rm::Prepared;
                s.msg_prepared[rm] = true;
                out.push(s);
            }
            // RMChooseToAbort(rm)
            if self.rm_state[rm] == Rm::Working {
                let mut s = self.clone();
                s.rm_state[rm] = Rm::Aborted;
                out.push(s);
            }
            // RMRcvCommitMsg(rm): no guard on rmState[rm].
            if self.msg_commit {
                let mut s = self.clone();
                s.rm_state[rm] = Rm::Committed;
                out.push(s);
            }
            // RMRcvAbortMsg(rm): no guard on rmState[rm].
            if self.msg_abort {
                let mut s = self.clone();
                s.rm_state[rm] = Rm::Aborted;
                out.push(s);
            }
        }
        out
    }
}

/// Counts of a full exploration, TLC-style.
#[derive(Debug, PartialEq, Eq)]
pub struct Counts {
    pub distinct: u64,
    pub generated: u64,
}

/// Sequential BFS over TwoPhase with `n` RMs; asserts TCConsistent on
/// every reachable state.
pub fn reference(n: usize) -> Counts {
    let init = State::init(n);
    let mut seen = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([init]);
    let mut generated = 1u64;
    while let Some(s) = queue.pop_front() {
        assert!(s.tc_consistent(), "TCConsistent violated in {s:?}");
        for t in s.successors() {
            generated += 1;
            if seen.insert(t.clone()) {
                queue.push_back(t);
            }
        }
    }
    Counts {
        distinct: seen.len() as u64,
        generated,
    }
}

/// Runs `dcheck run ARGS...` from the repository root and returns the exit
/// code, stdout and stderr, after checking that it did not panic.
pub fn dcheck_run(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    dcheck_args(&all)
}

/// [`dcheck_json`] with `--symmetry off`: the counts of the unreduced
/// spec, which TLC and the reference models give.
pub fn dcheck_json_unreduced(args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = args.to_vec();
    args.extend(["--symmetry", "off"]);
    dcheck_json(&args)
}

/// `dcheck ARGS...` (any subcommand): the exit code, stdout and stderr;
/// never a panic.
pub fn dcheck_args(args: &[&str]) -> (i32, String, String) {
    let out = dcheck().args(args).output().expect("run dcheck");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.code().expect("exit code"), stdout, stderr)
}

/// Sends `signal` (`-INT`, `-TERM`) to a running child with kill(1).
#[cfg(unix)]
pub fn signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal}");
}

/// The built `dcheck` binary, to run from the repository root.
pub fn dcheck() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dcheck"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `dcheck run ARGS... --format json`: the exit code, the report (`Null` if
/// stdout is not JSON) and stderr.
pub fn dcheck_json(args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let (code, stdout, stderr) = dcheck_run(&args);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
        stderr,
    )
}

/// (distinct states, states generated) of a JSON report.
pub fn counts(j: &serde_json::Value) -> (u64, u64) {
    (
        j["distinct_states"].as_u64().expect("distinct_states"),
        j["states_generated"].as_u64().expect("states_generated"),
    )
}

/// The (kind, status) of the property `name` in a JSON report.
pub fn kind_status(j: &serde_json::Value, name: &str) -> (String, String) {
    let p = j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {j:#}"));
    (
        p["kind"].as_str().expect("kind").to_string(),
        p["status"].as_str().expect("status").to_string(),
    )
}

/// The status of the property `name` in a JSON report.
pub fn status(j: &serde_json::Value, name: &str) -> String {
    kind_status(j, name).1
}

/// The action names of the violation's trace, without the initial state.
pub fn action_names(j: &serde_json::Value) -> Vec<String> {
    j["violation"]["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .skip(1)
        .map(|s| s["action"].as_str().expect("action").to_string())
        .collect()
}

/// How many of `names` are `name`.
pub fn how_many(names: &[String], name: &str) -> usize {
    names.iter().filter(|n| *n == name).count()
}

/// `text` with every run of whitespace made one space: what a text report
/// says, whatever the width it was cut to.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
