//! Property test: random directed graphs as models, the engine (BFS and
//! DFS, 1 and several threads) against the independent reference BFS of
//! `common`: counts, action coverage, violations and traces.

use crate::common;

use common::*;
use dcheck_engine::{check, Config, Progress, Verdict};
use proptest::prelude::*;

/// A graph: adjacency lists over `0..n`, initial nodes, bad nodes.
fn arb_graph() -> impl Strategy<Value = (Vec<Vec<u64>>, Vec<u64>, Vec<u64>)> {
    arb_graph_of(1..1500)
}

/// A graph of `nodes` nodes, as [`arb_graph`].
pub fn arb_graph_of(
    nodes: std::ops::Range<usize>,
) -> impl Strategy<Value = (Vec<Vec<u64>>, Vec<u64>, Vec<u64>)> {
    nodes.prop_flat_map(|n| {
        let n64 = n as u64;
        (
            prop::collection::vec(prop::collection::vec(0..n64, 0..4), n),
            prop::collection::vec(0..n64, 1..4),
            prop::collection::vec(0..n64, 0..3),
        )
    })
}

fn run(
    m: &TestModel,
    strategy: dcheck_engine::Strategy,
    threads: usize,
    deadlock: bool,
) -> dcheck_engine::Outcome {
    let config = Config {
        strategy,
        threads,
        check_deadlock: deadlock,
        ..Config::default()
    };
    check(m, &config, &Progress::new())
}

const MODES: [(dcheck_engine::Strategy, usize); 5] = [
    (dcheck_engine::Strategy::Bfs, 1),
    (dcheck_engine::Strategy::Bfs, 2),
    (dcheck_engine::Strategy::Bfs, 3),
    (dcheck_engine::Strategy::Dfs, 1),
    (dcheck_engine::Strategy::Dfs, 2),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn counts_match_reference((adj, init, _bad) in arb_graph()) {
        let m = graph(adj, init, vec![]);
        let r = reference_bfs(&m, false);
        for (strategy, threads) in MODES {
            let out = run(&m, strategy, threads, false);
            prop_assert_eq!(&out.result, &Verdict::Ok);
            prop_assert_eq!(out.stats.distinct_states, r.distinct);
            prop_assert_eq!(out.stats.states_generated, r.generated);
            if strategy == dcheck_engine::Strategy::Bfs {
                prop_assert_eq!(out.stats.depth, r.max_distance);
            }
            // Coverage: every transition is its own action and generates
            // one successor where enabled.
            let cov: Vec<(u64, u64)> = out.coverage.iter().map(|c| (c.enabled, c.taken)).collect();
            let expected: Vec<(u64, u64)> = r.enabled.iter().map(|&e| (e, e)).collect();
            prop_assert_eq!(cov, expected, "{:?}, {} thread(s)", strategy, threads);
        }
    }

    #[test]
    fn violations_match_reference((adj, init, bad) in arb_graph(), deadlock in any::<bool>()) {
        let mut m = graph(adj, init, bad.clone());
        if deadlock {
            m.terminal = Box::new(|_| false);
        }
        let r = reference_bfs(&m, deadlock);
        let mut dfs_trace = None;
        for (strategy, threads) in MODES {
            let out = run(&m, strategy, threads, deadlock);
            match (&r.violation, &out.result) {
                (None, Verdict::Ok) => {
                    prop_assert_eq!(out.stats.distinct_states, r.distinct);
                    prop_assert_eq!(out.stats.states_generated, r.generated);
                }
                (Some((kind, trace)), Verdict::Violation(v)) => {
                    assert_replays(&m, &v.trace);
                    if strategy == dcheck_engine::Strategy::Bfs {
                        // Same kind, same (shortest, first-discovery) trace.
                        prop_assert_eq!(&v.kind, kind);
                        prop_assert_eq!(&pairs(&v.trace), trace);
                    } else {
                        prop_assert!(v.trace.len() >= trace.len());
                        let last = v.trace.last().unwrap().state[0];
                        prop_assert!(bad.contains(&last) || (deadlock && m.next_is_none(last)));
                        match &dfs_trace {
                            None => dfs_trace = Some(v.clone()),
                            Some(first) => prop_assert_eq!(first, v),
                        }
                    }
                }
                (expected, got) => prop_assert!(false, "reference {:?}, engine {:?}", expected, got),
            }
        }
    }
}

trait NoSuccessor {
    fn next_is_none(&self, node: u64) -> bool;
}

impl NoSuccessor for TestModel {
    fn next_is_none(&self, node: u64) -> bool {
        (0..self.transitions as u32).all(|t| (self.next)(&[node], t).unwrap().is_none())
    }
}
