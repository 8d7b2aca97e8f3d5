//! Action coverage of `dcheck run` (BFS, DFS, and the BFS that records
//! the liveness graph): per action, the number of states
//! in which it was enabled and the number of successors it generated.
//!
//! The TwoPhase figures (N = 3) are derived by hand below from the spec's
//! structure; none is copied from a run of dcheck.

use std::process::Output;

use serde_json::Value as Json;

fn dcheck(args: &[&str]) -> Output {
    crate::common::dcheck()
        .args(args)
        .output()
        .expect("run dcheck")
}

fn run_json(args: &[&str]) -> (i32, Json) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "--symmetry", "off"]);
    let out = dcheck(&all);
    let text = String::from_utf8_lossy(&out.stdout);
    let j = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code().expect("exit code"), j)
}

/// `coverage` as (action, enabled, taken).
fn coverage(j: &Json) -> Vec<(String, u64, u64)> {
    j["coverage"]
        .as_array()
        .unwrap_or_else(|| panic!("no coverage in {j:#}"))
        .iter()
        .map(|c| {
            (
                c["action"].as_str().expect("action").to_string(),
                c["enabled"].as_u64().expect("enabled"),
                c["taken"].as_u64().expect("taken"),
            )
        })
        .collect()
}

/// TwoPhase, N = 3. The reachable states by tmState:
///
/// * `init` (no Commit, no Abort sent): each RM independently is working;
///   aborted (by RMChooseToAbort, having sent nothing); or prepared with
///   Prepared(r) sent, and r in tmPrepared or not: 4 options, 4^3 = 64.
/// * `committed`: TMCommit needed every RM in tmPrepared, so every RM was
///   prepared and is now prepared or committed: 2^3 = 8.
/// * `aborted`: per RM working (1); prepared, r in tmPrepared or not (2);
///   aborted having sent nothing (1) or after preparing, r in tmPrepared or
///   not (2): 6 options, 6^3 = 216.
///
/// 64 + 8 + 216 = 288, TLC's figure. Then, per action (enabled states;
/// successors generated):
///
/// * TMRcvPrepared(r): tmState init and r prepared. Enabled in the init
///   states with a prepared RM: 64 - 2^3 = 56 (2^3: every RM working or
///   aborted). Taken once per (init state, prepared r): r has 2 prepared
///   options, the two others 4 each: 3 * 2 * 4^2 = 96.
/// * TMCommit: tmState init and tmPrepared = all: every RM prepared and in
///   tmPrepared, one state; taken 1.
/// * TMAbort: tmState init: 64 and 64.
/// * RMPrepare(r), RMChooseToAbort(r): rmState[r] working. Enabled where
///   some RM works: init 64 - 3^3 = 37, aborted 216 - 5^3 = 91, committed
///   0: 128. Taken: pairs (state, working r): init 3 * 4^2 = 48, aborted
///   3 * 6^2 = 108: 156.
/// * RMRcvCommitMsg(r): Commit sent: the 8 committed states, 3 each: 24.
/// * RMRcvAbortMsg(r): Abort sent: the 216 aborted states, 3 each: 648.
///
/// The sum of `taken` is 96 + 1 + 64 + 156 + 156 + 24 + 648 = 1145 = 1146
/// generated - 1 initial state.
fn twophase_by_hand() -> Vec<(String, u64, u64)> {
    [
        ("TMRcvPrepared", 56, 96),
        ("TMCommit", 1, 1),
        ("TMAbort", 64, 64),
        ("RMPrepare", 128, 156),
        ("RMChooseToAbort", 128, 156),
        ("RMRcvCommitMsg", 8, 24),
        ("RMRcvAbortMsg", 216, 648),
    ]
    .iter()
    .map(|&(a, e, t)| (a.to_string(), e, t))
    .collect()
}

/// The figures above for every search: BFS and DFS, sequential and
/// parallel. Each counts while it expands states (DFS per worker stack,
/// BFS per batch worker); all expand each reachable state once.
#[test]
fn twophase_coverage_by_hand() {
    let expected = twophase_by_hand();
    for strategy in ["bfs", "dfs"] {
        for threads in ["1", "2", "3"] {
            let (code, j) = run_json(&[
                "specs/2pc.ron",
                "--strategy",
                strategy,
                "--threads",
                threads,
            ]);
            assert_eq!(code, 0);
            let cov = coverage(&j);
            assert_eq!(cov, expected, "{strategy}, threads {threads}");
            let taken: u64 = cov.iter().map(|c| c.2).sum();
            assert_eq!(
                taken,
                j["states_generated"].as_u64().expect("generated") - 1
            );
        }
    }
}

/// `specs/2pc_msgs.ron` is TwoPhase with roles: its states correspond one
/// to one to TwoPhase's (its header; `tests/network.rs` pins 288 / 1146),
/// and so do its transitions, with the TM's and RMs' receive actions
/// becoming the generated deliveries: TMRcvPrepared(r) is
/// deliver_Prepared_to_TM with sender r, RMRcvCommitMsg(r) and
/// RMRcvAbortMsg(r) are deliver_Commit_to_RM and deliver_Abort_to_RM to r
/// (broadcast puts all copies in flight at once, and the duplicating
/// network keeps them, as TwoPhase's message set does). So the hand-derived
/// figures carry over, in the spec's declaration order (steps, then
/// handlers). The spec has a temporal property (Termination): by default
/// BFS explores once while building the liveness graph and counts from the
/// graph's edges; `--property TCConsistent` drops it (the plain BFS) and
/// `--strategy dfs` builds the graph after a DFS safety search.
#[test]
fn message_passing_twophase_coverage_matches_twophase() {
    let by_name = |n: &str| {
        twophase_by_hand()
            .into_iter()
            .find(|c| c.0 == n)
            .map(|(_, e, t)| (e, t))
            .expect("a TwoPhase action")
    };
    let expected: Vec<(String, u64, u64)> = [
        ("TMCommit", "TMCommit"),
        ("TMAbort", "TMAbort"),
        ("RMPrepare", "RMPrepare"),
        ("RMChooseToAbort", "RMChooseToAbort"),
        ("deliver_Prepared_to_TM", "TMRcvPrepared"),
        ("deliver_Commit_to_RM", "RMRcvCommitMsg"),
        ("deliver_Abort_to_RM", "RMRcvAbortMsg"),
    ]
    .iter()
    .map(|&(a, b)| {
        let (e, t) = by_name(b);
        (a.to_string(), e, t)
    })
    .collect();
    let runs: [&[&str]; 5] = [
        &[],
        &["--threads", "1"],
        &["--property", "TCConsistent"],
        &["--strategy", "dfs"],
        &["--strategy", "dfs", "--threads", "1"],
    ];
    for flags in runs {
        let mut args = vec!["specs/2pc_msgs.ron"];
        args.extend_from_slice(flags);
        let (code, j) = run_json(&args);
        assert_eq!(code, 0, "{flags:?}");
        assert_eq!(coverage(&j), expected, "{flags:?}");
    }
}

/// `--coverage` prints one row per action: the hand-derived counts and the
/// share of the 288 distinct states (TMCommit 1 / 288 = 0.35%,
/// RMRcvAbortMsg 216 / 288 = 75%, RMPrepare 128 / 288 = 44.4%).
#[test]
fn coverage_table_in_the_text_summary() {
    let out = dcheck(&["run", "specs/2pc.ron", "--symmetry", "off", "--coverage"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Action coverage (every reachable state expanded):"),
        "{text}"
    );
    let row = |action: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|w| w.first().map(String::as_str) == Some(action))
            .unwrap_or_else(|| panic!("no row for {action} in {text}"))
    };
    assert_eq!(row("TMCommit"), ["TMCommit", "1", "0.3%", "1"]);
    assert_eq!(
        row("RMRcvAbortMsg"),
        ["RMRcvAbortMsg", "216", "75.0%", "648"]
    );
    assert_eq!(row("RMPrepare"), ["RMPrepare", "128", "44.4%", "156"]);
    // Without the flag: no table.
    let out = dcheck(&["run", "specs/2pc.ron", "--symmetry", "off"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Action coverage"));
}

#[test]
fn taken_sums_to_generated_minus_initial_and_threads_agree() {
    // TwoPhase has one initial state; N = 5 is large enough for several
    // batches and workers.
    let (_, j1) = run_json(&["specs/2pc.ron", "--const", "N=5", "--threads", "1"]);
    let (_, j2) = run_json(&["specs/2pc.ron", "--const", "N=5", "--threads", "2"]);
    let cov = coverage(&j1);
    assert_eq!(cov, coverage(&j2));
    let taken: u64 = cov.iter().map(|c| c.2).sum();
    assert_eq!(
        taken,
        j1["states_generated"].as_u64().expect("generated") - 1
    );
    // Every action is enabled somewhere, and an action enabled in a state
    // generates at least one successor there.
    for (a, enabled, taken) in &cov {
        assert!(*enabled > 0 && taken >= enabled, "{a}: {enabled} {taken}");
        assert!(*enabled <= j1["distinct_states"].as_u64().expect("distinct"));
    }
}

#[test]
fn an_action_never_enabled_is_warned_about() {
    let spec = "tests/fixtures/never_enabled.ron";
    let (code, j) = run_json(&[spec]);
    assert_eq!(code, 0);
    // See the fixture: Inc in x = 0, 1, 2; Reset nowhere.
    assert_eq!(
        coverage(&j),
        vec![("Inc".to_string(), 3, 3), ("Reset".to_string(), 0, 0)]
    );
    let out = dcheck(&["run", spec]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: action Reset is never enabled"),
        "{text}"
    );
    assert!(!text.contains("action Inc is never enabled"), "{text}");
    // A violated temporal property still means a complete search (the
    // liveness graph holds every reachable state): warned too. See the
    // fixture for the lasso and the counts.
    let live = "tests/fixtures/never_enabled_live.ron";
    let (code, j) = run_json(&[live]);
    assert_eq!(code, 1);
    assert_eq!(j["violation"]["kind"], "liveness");
    assert_eq!(
        coverage(&j),
        vec![("Inc".to_string(), 3, 3), ("Reset".to_string(), 0, 0)]
    );
    let out = dcheck(&["run", live]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: action Reset is never enabled"),
        "{text}"
    );
    // TwoPhase has no such action: no warning.
    let out = dcheck(&["run", "specs/2pc.ron", "--symmetry", "off"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("never enabled"));
}
