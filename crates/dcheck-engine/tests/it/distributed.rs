//! The distributed BFS (`Config::cluster`, workers in this process)
//! against the independent reference BFS of `common` and against the
//! one-process BFS: the same counts, coverage, first violation and trace
//! whatever the number of workers.

use crate::common;

use crate::random_graphs::arb_graph_of;
use common::*;
use dcheck_engine::dist::Cluster;
use dcheck_engine::{check, Config, Limit, Outcome, Progress, Verdict};
use proptest::prelude::*;
use std::time::Duration;

fn cluster(workers: usize) -> Cluster {
    Cluster {
        workers,
        hosts: Vec::new(),
        process: 0,
        identity: 0,
        checkpoint_identity: 0,
        peer_timeout: Duration::from_secs(30),
        resume: None,
    }
}

fn run(m: &TestModel, workers: Option<usize>, deadlock: bool, max_states: Option<u64>) -> Outcome {
    let config = Config {
        check_deadlock: deadlock,
        max_states,
        threads: 2,
        cluster: workers.map(cluster),
        ..Config::default()
    };
    check(m, &config, &Progress::new())
}

/// Checks `out` against the reference: its counts and coverage, or its
/// first violation and trace.
fn agrees(m: &TestModel, r: &Reference, out: &Outcome, what: &str) {
    match (&r.violation, &out.result) {
        (None, Verdict::Ok) => {
            assert_eq!(out.stats.distinct_states, r.distinct, "{what}");
            assert_eq!(out.stats.states_generated, r.generated, "{what}");
            assert_eq!(out.stats.depth, r.max_distance, "{what}");
            let cov: Vec<(u64, u64)> = out.coverage.iter().map(|c| (c.enabled, c.taken)).collect();
            let expected: Vec<(u64, u64)> = r.enabled.iter().map(|&e| (e, e)).collect();
            assert_eq!(cov, expected, "{what}");
        }
        (Some((kind, trace)), Verdict::Violation(v)) => {
            assert_replays(m, &v.trace);
            assert_eq!(&v.kind, kind, "{what}");
            assert_eq!(&pairs(&v.trace), trace, "{what}");
        }
        (expected, got) => panic!("{what}: reference {expected:?}, distributed {got:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random graphs, with and without bad nodes and deadlocks, on 1, 2
    /// and 4 workers.
    #[test]
    fn random_graphs_match_the_reference((adj, init, bad) in arb_graph_of(1..1500), deadlock in any::<bool>()) {
        let mut m = graph(adj, init, bad);
        if deadlock {
            m.terminal = Box::new(|_| false);
        }
        let r = reference_bfs(&m, deadlock);
        for workers in [1, 2, 4] {
            let out = run(&m, Some(workers), deadlock, None);
            agrees(&m, &r, &out, &format!("{workers} worker(s)"));
            prop_assert_eq!(out.stats.peers.len(), workers);
            let owned: u64 = out.stats.peers.iter().map(|p| p.states).sum();
            if out.result == Verdict::Ok {
                prop_assert_eq!(owned, r.distinct);
            }
        }
    }
}

/// A graph whose levels are wider than a batch (65,536 positions), so
/// that the workers go through several batches a level together.
/// Reference: the sequential BFS of `common`.
fn wide(n: u64, bad: Vec<u64>) -> TestModel {
    let adj: Vec<Vec<u64>> = (0..n)
        .map(|i| vec![(i * 31 + 7) % n, (i + 1) % n, (i * i + 3) % n])
        .collect();
    graph(adj, (0..n).step_by(2).collect(), bad)
}

#[test]
fn levels_wider_than_a_batch_match_the_reference() {
    let n = 150_000;
    for bad in [vec![], vec![100_001, 77_777]] {
        let m = wide(n, bad.clone());
        let r = reference_bfs(&m, false);
        for workers in [2, 3] {
            let out = run(&m, Some(workers), false, None);
            agrees(&m, &r, &out, &format!("{workers} workers, bad {bad:?}"));
        }
    }
}

/// `--max-states`: the states kept are the first in BFS order, as in one
/// process: the same count, depth and generated figures.
#[test]
fn a_state_limit_stops_where_one_process_stops() {
    let m = wide(150_000, vec![]);
    for limit in [1, 70_000, 100_000] {
        let one = run(&m, None, false, Some(limit));
        assert_eq!(one.result, Verdict::Incomplete(Limit::States));
        for workers in [2, 4] {
            let out = run(&m, Some(workers), false, Some(limit));
            assert_eq!(out.result, Verdict::Incomplete(Limit::States), "{limit}");
            assert_eq!(
                out.stats.distinct_states, one.stats.distinct_states,
                "{limit}"
            );
            assert_eq!(
                out.stats.states_generated, one.stats.states_generated,
                "{limit}"
            );
            assert_eq!(out.stats.depth, one.stats.depth, "{limit}");
        }
    }
}

/// The ids agree with one process's: a grid's violation, reached by many
/// shortest paths, has the one-process trace (decided by the ids alone).
#[test]
fn a_violation_among_many_shortest_paths_has_the_one_process_trace() {
    let mut m = grid(120, 120, true);
    m.invariant = Some(Box::new(|s| (s[0] == 70 && s[1] == 45).then_some(3)));
    let r = reference_bfs(&m, false);
    for workers in [1, 2, 4] {
        let out = run(&m, Some(workers), false, None);
        agrees(&m, &r, &out, &format!("{workers} workers"));
    }
}

/// Checkpoints: a search stopped by a limit, with a file per worker at
/// every level, resumed by the same workers, ends like the reference;
/// and after a crash between two workers' commits (one worker's newest
/// file is of the level before the others'), the resume falls back to
/// the level every worker has, and still ends like the reference.
#[test]
fn a_checkpointed_search_resumes_to_the_reference_end() {
    use dcheck_engine::checkpoint::{part_path, Checkpointing};
    let m = wide(150_000, vec![]);
    let r = reference_bfs(&m, false);
    for crash in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck");
        let config = |resume: bool, max_states: Option<u64>| Config {
            check_deadlock: false,
            max_states,
            checkpoint: Some(Checkpointing {
                path: path.clone(),
                every: Duration::ZERO,
                identity: 5,
            }),
            cluster: Some(Cluster {
                resume: resume.then(|| path.clone()),
                ..cluster(3)
            }),
            ..Config::default()
        };
        let stopped = check(&m, &config(false, Some(120_000)), &Progress::new());
        assert_eq!(stopped.result, Verdict::Incomplete(Limit::States));
        assert!(stopped.stats.checkpoints_written >= 2);
        if crash {
            // Worker 1 never moved its newest file in place.
            let newest = part_path(&path, 1);
            let mut prev = newest.as_os_str().to_owned();
            prev.push(".prev");
            std::fs::rename(&prev, &newest).unwrap();
        }
        let out = check(&m, &config(true, None), &Progress::new());
        agrees(&m, &r, &out, &format!("resumed, crash {crash}"));
    }
}
