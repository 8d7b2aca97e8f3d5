//! Reference check of dcheck against an independent TwoPhase implementation.
//!
//! This file holds a deliberately plain model of Gray & Lamport's TLA+
//! `TwoPhase` spec: a small struct state, a sequential breadth-first search
//! over a `std::collections::HashSet`, and TLC's counting conventions:
//!
//! * *distinct* states: the size of the visited set;
//! * *generated* states: the initial states plus every successor computed,
//!   duplicates and self-loops included (TLC's "states generated").
//!
//! The reference is pinned to TLC's published figures for N = 3 (288
//! distinct, 1146 generated) and to a hand count for N = 1 (below). The CLI
//! test then runs `dcheck run specs/2pc.ron --const N=<n> --format json` for
//! N = 1..=5 and demands the same two numbers.
//!
//! # Hand check: N = 1
//!
//! With a single RM `r`, write a state as (rmState, tmState, tmPrepared,
//! msgs), with w/p/c/a for working/prepared/committed/aborted, i for init,
//! and P, C, A for Prepared(r), Commit, Abort. The successors of each state
//! are listed in the order TMRcvPrepared, TMCommit, TMAbort, RMPrepare,
//! RMChooseToAbort, RMRcvCommitMsg, RMRcvAbortMsg (disabled actions omitted):
//!
//! ```text
//!  s1  (w, i, {},  {})      TMAbort -> s2, RMPrepare -> s3, RMChooseToAbort -> s4   3
//!  s2  (w, a, {},  {A})     RMPrepare -> s5, RMChooseToAbort -> s6,
//!                           RMRcvAbortMsg -> s6                                     3
//!  s3  (p, i, {},  {P})     TMRcvPrepared -> s7, TMAbort -> s5                      2
//!  s4  (a, i, {},  {})      TMAbort -> s6                                           1
//!  s5  (p, a, {},  {P,A})   RMRcvAbortMsg -> s8                                     1
//!  s6  (a, a, {},  {A})     RMRcvAbortMsg -> s6 (self-loop)                         1
//!  s7  (p, i, {r}, {P})     TMRcvPrepared -> s7 (self-loop), TMCommit -> s9,
//!                           TMAbort -> s10                                          3
//!  s8  (a, a, {},  {P,A})   RMRcvAbortMsg -> s8 (self-loop)                         1
//!  s9  (p, c, {r}, {P,C})   RMRcvCommitMsg -> s11                                   1
//!  s10 (p, a, {r}, {P,A})   RMRcvAbortMsg -> s12                                    1
//!  s11 (c, c, {r}, {P,C})   RMRcvCommitMsg -> s11 (self-loop)                       1
//!  s12 (a, a, {r}, {P,A})   RMRcvAbortMsg -> s12 (self-loop)                        1
//! ```
//!
//! Nothing else is reachable (every successor listed is one of s1..s12), so
//! N = 1 has **12 distinct** states, and **20 generated**: 1 initial state
//! plus 3+3+2+1+1+1+3+1+1+1+1+1 = 19 successors. Note s6 is reached from s2
//! twice (RMChooseToAbort and RMRcvAbortMsg), which counts twice as
//! generated, and TMAbort is enabled in s7 even though the TM has every
//! Prepared message (the TM may always abort while in init).

use std::collections::{HashSet, VecDeque};

/// `rmState[rm]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Rm {
    Working,
    Prepared,
    Committed,
    Aborted,
}

/// `tmState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Tm {
    Init,
    Committed,
    Aborted,
}

/// One TwoPhase state, spelled out variable by variable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct State {
    rm_state: Vec<Rm>,
    tm_state: Tm,
    tm_prepared: Vec<bool>,
    /// `Prepared(rm) ∈ msgs`, per RM.
    msg_prepared: Vec<bool>,
    /// `Commit ∈ msgs`.
    msg_commit: bool,
    /// `Abort ∈ msgs`.
    msg_abort: bool,
}

impl State {
    fn init(n: usize) -> State {
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
    fn tc_consistent(&self) -> bool {
        !(self.rm_state.contains(&Rm::Committed) && self.rm_state.contains(&Rm::Aborted))
    }

    /// Every successor of `self`, one per enabled action instance, duplicates
    /// and self-loops included (TLA+ `Next`).
    fn successors(&self) -> Vec<State> {
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
struct Counts {
    distinct: u64,
    generated: u64,
}

/// Sequential BFS over TwoPhase with `n` RMs; asserts TCConsistent on
/// every reachable state.
fn reference(n: usize) -> Counts {
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

#[test]
fn reference_matches_tlc_for_n3() {
    assert_eq!(
        reference(3),
        Counts {
            distinct: 288,
            generated: 1146
        }
    );
}

#[test]
fn reference_matches_hand_count_for_n1() {
    assert_eq!(
        reference(1),
        Counts {
            distinct: 12,
            generated: 20
        }
    );
}

#[test]
fn dcheck_cli_matches_reference() {
    for n in 1..=5 {
        let want = reference(n);
        let output = assert_cmd::Command::cargo_bin("dcheck")
            .expect("dcheck binary")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "specs/2pc.ron", "--const"])
            .arg(format!("N={n}"))
            .args(["--format", "json"])
            .output()
            .expect("run dcheck");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "dcheck failed for N={n} ({}):\nstdout: {stdout}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("N={n}: stdout is not one JSON object ({e}): {stdout}"));
        assert_eq!(report["result"], "ok", "N={n}: {report}");
        assert_eq!(
            report["distinct_states"].as_u64(),
            Some(want.distinct),
            "N={n}: distinct_states (reference {want:?}): {report}"
        );
        assert_eq!(
            report["states_generated"].as_u64(),
            Some(want.generated),
            "N={n}: states_generated (reference {want:?}): {report}"
        );
    }
}
