//! Reference check of dcheck against an independent TwoPhase implementation.
//!
//! The reference model of Gray & Lamport's TLA+ `TwoPhase` spec lives in
//! `tests/common/mod.rs` (a plain struct state and a sequential BFS, with
//! TLC's counting conventions; `cli.rs` uses it too).
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

use crate::common;

use common::{reference, Counts};

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
        let output = crate::common::dcheck()
            .args(["run", "specs/2pc.ron", "--symmetry", "off", "--const"])
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
