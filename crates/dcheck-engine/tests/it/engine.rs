//! End-to-end tests of the explorer on hand-built models, against
//! closed-form counts and an independent reference BFS.

use crate::common;

use common::*;
use dcheck_engine::{check, Config, Limit, Outcome, Progress, Strategy, Verdict, ViolationKind};
use dcheck_model::system::{EvalError, StepError};

fn run(m: &TestModel, strategy: Strategy, threads: usize) -> Outcome {
    let config = Config {
        strategy,
        threads,
        ..Config::default()
    };
    run_with(m, &config)
}

fn run_with(m: &TestModel, config: &Config) -> Outcome {
    let progress = Progress::new();
    let out = check(m, config, &progress);
    assert!(progress.is_done());
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(load(&progress.distinct), out.stats.distinct_states);
    assert_eq!(load(&progress.generated), out.stats.states_generated);
    out
}

const ALL: [(Strategy, usize); 5] = [
    (Strategy::Bfs, 1),
    (Strategy::Bfs, 2),
    (Strategy::Bfs, 4),
    (Strategy::Dfs, 1),
    (Strategy::Dfs, 2),
];

#[test]
fn counter_closed_form() {
    for k in [1u64, 2, 3, 10, 1000, 5001] {
        for (strategy, threads) in ALL {
            let out = run(&counter(k), strategy, threads);
            assert_eq!(out.result, Verdict::Ok, "k={k} {strategy:?}/{threads}");
            // Every residue is reachable; 1 initial state + 2 successors each.
            assert_eq!(out.stats.distinct_states, k);
            assert_eq!(out.stats.states_generated, 1 + 2 * k);
            if strategy == Strategy::Bfs {
                // Distance to x < k is ceil(x / 2); the largest is at x = k-1.
                assert_eq!(out.stats.depth as u64, k / 2);
                assert_eq!(out.stats.tlc_depth() as u64, k / 2 + 1);
            }
        }
    }
}

#[test]
fn grid_closed_form() {
    for (w, h) in [(1u64, 1u64), (1, 7), (5, 3), (64, 64), (300, 200)] {
        for (strategy, threads) in ALL {
            let out = run(&grid(w, h, true), strategy, threads);
            assert_eq!(out.result, Verdict::Ok);
            // Distinct: every cell. Generated: the initial state plus one +x
            // move from each of the (w-1)*h cells not on the right edge and one
            // +y move from each of the w*(h-1) cells not on the top edge.
            assert_eq!(out.stats.distinct_states, w * h);
            assert_eq!(out.stats.states_generated, 1 + (w - 1) * h + w * (h - 1));
            match strategy {
                // The far corner is w-1 + h-1 moves away.
                Strategy::Bfs => assert_eq!(out.stats.depth as u64, w + h - 2),
                // The DFS first goes right to the edge, then ... every path to
                // the corner has w+h-2 moves, and the stack depth of a state is
                // the length of its discovery path.
                Strategy::Dfs => assert_eq!(out.stats.depth as u64, w + h - 2),
            }
            assert!(out.stats.bytes_used > 0);
        }
    }
}

#[test]
fn shortest_violation_among_paths_of_different_lengths() {
    // 0 -> 1 -> 2 -> 3 -> 4 (bad), 0 -> 6 -> 7 -> 8 -> 9 -> 4, and the short
    // way 0 -> 5 -> 4, listed last so a "first found" search would not take it.
    let adj = vec![
        vec![1, 6, 5],
        vec![2],
        vec![3],
        vec![4],
        vec![4],
        vec![4],
        vec![7],
        vec![8],
        vec![9],
        vec![4],
    ];
    let m = graph(adj, vec![0], vec![4]);
    for threads in [1, 2, 4] {
        let out = run(&m, Strategy::Bfs, threads);
        let (kind, trace) = violation(&out.result);
        assert_eq!(*kind, ViolationKind::Invariant(0));
        assert_eq!(
            pairs(trace),
            vec![(None, vec![0]), (Some(2), vec![5]), (Some(0), vec![4])]
        );
        assert_replays(&m, trace);
    }
    for threads in [1, 2] {
        let out = run(&m, Strategy::Dfs, threads);
        let (kind, trace) = violation(&out.result);
        assert_eq!(*kind, ViolationKind::Invariant(0));
        assert_replays(&m, trace);
        assert_eq!(trace.last().unwrap().state, vec![4]);
        assert!(trace.len() >= 3);
    }
}

/// A grid with a bad cell: many shortest paths of the same length, so the
/// one chosen is decided by the tie-breaking rule alone.
fn grid_with_bad(w: u64, h: u64, bx: u64, by: u64) -> TestModel {
    let mut m = grid(w, h, true);
    m.invariant = Some(Box::new(move |s| (s[0] == bx && s[1] == by).then_some(3)));
    m
}

#[test]
fn bfs_trace_is_shortest_and_equals_sequential_reference() {
    for (w, h, bx, by) in [(10, 10, 3, 4), (300, 300, 170, 150), (1000, 40, 900, 39)] {
        let m = grid_with_bad(w, h, bx, by);
        let reference = reference_bfs(&m, true);
        let (ref_kind, ref_trace) = reference.violation.clone().unwrap();
        assert_eq!(ref_trace.len() as u64, bx + by + 1);
        for _repeat in 0..3 {
            for threads in [1, 2, 4] {
                let out = run(&m, Strategy::Bfs, threads);
                let (kind, trace) = violation(&out.result);
                assert_eq!(*kind, ref_kind);
                assert_eq!(pairs(trace), ref_trace, "threads={threads}");
                assert_replays(&m, trace);
            }
        }
    }
}

#[test]
fn bfs_stats_identical_for_any_thread_count() {
    let m = grid_with_bad(400, 400, 390, 5);
    let base = run(&m, Strategy::Bfs, 1);
    for threads in [2, 3, 4] {
        let out = run(&m, Strategy::Bfs, threads);
        assert_eq!(out.result, base.result);
        assert_eq!(out.stats.distinct_states, base.stats.distinct_states);
        assert_eq!(out.stats.states_generated, base.stats.states_generated);
        assert_eq!(out.stats.depth, base.stats.depth);
    }
}

#[test]
fn dfs_trace_same_for_one_and_two_threads() {
    let m = grid_with_bad(200, 200, 100, 150);
    let one = run(&m, Strategy::Dfs, 1);
    let (_, trace) = violation(&one.result);
    assert_replays(&m, trace);
    assert_eq!(trace.last().unwrap().state, vec![100, 150]);
    for _ in 0..3 {
        let two = run(&m, Strategy::Dfs, 2);
        assert_eq!(two.result, one.result);
    }
}

#[test]
fn deadlock_trace_ends_in_the_stuck_state() {
    let (w, h) = (6u64, 4u64);
    let m = grid(w, h, false);
    let reference = reference_bfs(&m, true);
    let (_, ref_trace) = reference.violation.unwrap();
    for (strategy, threads) in ALL {
        let out = run(&m, strategy, threads);
        let (kind, trace) = violation(&out.result);
        assert_eq!(*kind, ViolationKind::Deadlock);
        assert_eq!(trace.last().unwrap().state, vec![w - 1, h - 1]);
        assert_eq!(trace.len() as u64, w + h - 1);
        assert_replays(&m, trace);
        if strategy == Strategy::Bfs {
            assert_eq!(pairs(trace), ref_trace);
        }
    }
    // With deadlock checking off the search completes.
    let config = Config {
        check_deadlock: false,
        ..Config::default()
    };
    assert_eq!(run_with(&m, &config).result, Verdict::Ok);
}

#[test]
fn eval_error_trace_ends_where_raised() {
    // Counter mod 20 whose +2 transition fails in state 5.
    let mut m = counter(20);
    m.next = Box::new(|s, t| {
        if s[0] == 5 && t == 1 {
            Err(EvalError::new("boom"))
        } else {
            Ok(Some(vec![(s[0] + 1 + t as u64) % 20]))
        }
    });
    for (strategy, threads) in ALL {
        let out = run(&m, strategy, threads);
        let (kind, trace) = violation(&out.result);
        assert_eq!(
            *kind,
            ViolationKind::EvalError(StepError {
                transition: Some(1),
                error: EvalError::new("boom"),
            })
        );
        assert_eq!(trace.last().unwrap().state, vec![5]);
        assert_replays(&m, trace);
        if strategy == Strategy::Bfs {
            // 0 -> 2 -> 4 -> 5 is shortest (ceil(5/2) = 3 steps).
            assert_eq!(trace.len(), 4);
        }
    }
}

#[test]
fn invariant_violated_by_initial_state() {
    let m = graph(vec![vec![1], vec![0]], vec![1, 0], vec![0]);
    for (strategy, threads) in ALL {
        let out = run(&m, strategy, threads);
        let (_, trace) = violation(&out.result);
        assert_eq!(pairs(trace), vec![(None, vec![0])]);
    }
}

#[test]
fn state_limit() {
    for (strategy, threads) in ALL {
        let config = Config {
            strategy,
            threads,
            max_states: Some(10),
            ..Config::default()
        };
        let out = run_with(&counter(1000), &config);
        assert_eq!(out.result, Verdict::Incomplete(Limit::States));
        assert_eq!(out.stats.distinct_states, 10);
        // Exactly the limit is fine.
        let config = Config {
            max_states: Some(1000),
            ..config
        };
        assert_eq!(run_with(&counter(1000), &config).result, Verdict::Ok);
    }
}

#[test]
fn depth_limit() {
    for (strategy, threads) in ALL {
        let config = Config {
            strategy,
            threads,
            max_depth: Some(3),
            ..Config::default()
        };
        let out = run_with(&grid(10, 10, true), &config);
        assert_eq!(out.result, Verdict::Incomplete(Limit::Depth));
        if strategy == Strategy::Bfs {
            // Cells with x + y <= 3: 1 + 2 + 3 + 4.
            assert_eq!(out.stats.distinct_states, 10);
            assert_eq!(out.stats.depth, 3);
        }
        // The farthest cell is 18 moves away: a bound above it cuts nothing
        // off; a bound at it leaves the corner unexpanded, which counts as
        // cut off (states at the bound are never expanded).
        let above = Config {
            max_depth: Some(19),
            ..config.clone()
        };
        assert_eq!(run_with(&grid(10, 10, true), &above).result, Verdict::Ok);
        let at = Config {
            max_depth: Some(18),
            ..config
        };
        let out = run_with(&grid(10, 10, true), &at);
        assert_eq!(out.result, Verdict::Incomplete(Limit::Depth));
        assert_eq!(out.stats.distinct_states, 100);
    }
}

#[test]
fn memory_limit() {
    for (strategy, threads) in ALL {
        let config = Config {
            strategy,
            threads,
            max_memory: Some(200_000),
            ..Config::default()
        };
        let out = run_with(&grid(1000, 1000, true), &config);
        assert_eq!(out.result, Verdict::Incomplete(Limit::Memory));
        assert!(out.stats.distinct_states < 1_000_000);
        assert!(out.stats.bytes_used <= 200_000, "{}", out.stats.bytes_used);
    }
    // BFS stops at the same synchronisation point whatever the thread count.
    let wide = wide_tree(300_000, 7);
    let stats: Vec<(u64, u64)> = [1, 2, 4]
        .into_iter()
        .map(|threads| {
            let config = Config {
                threads,
                max_memory: Some(1_000_000),
                ..Config::default()
            };
            let out = run_with(&wide, &config);
            assert_eq!(out.result, Verdict::Incomplete(Limit::Memory));
            assert!(
                out.stats.bytes_used <= 1_000_000,
                "{}",
                out.stats.bytes_used
            );
            (out.stats.distinct_states, out.stats.states_generated)
        })
        .collect();
    assert!(stats.iter().all(|s| *s == stats[0]), "{stats:?}");
}

#[test]
fn multiple_and_duplicate_initial_states() {
    let adj = vec![vec![1], vec![2], vec![], vec![2], vec![0]];
    let m = graph(adj, vec![3, 4, 3, 0], vec![]);
    let reference = reference_bfs(&m, false);
    for (strategy, threads) in ALL {
        let config = Config {
            strategy,
            threads,
            check_deadlock: false,
            ..Config::default()
        };
        let out = run_with(&m, &config);
        assert_eq!(out.result, Verdict::Ok);
        assert_eq!(out.stats.distinct_states, reference.distinct);
        assert_eq!(out.stats.states_generated, reference.generated);
    }
}

/// A k-ary tree over 0..n (children k*x+1 ..= k*x+k, transitions 0..k) with
/// a back edge to the parent (transition k): levels much wider than one
/// batch, so the per-level table grows in the middle of a level.
fn wide_tree(n: u64, k: u64) -> TestModel {
    TestModel {
        words: 1,
        transitions: k as usize + 1,
        init: vec![vec![0]],
        next: Box::new(move |s, t| {
            let x = s[0];
            let t = t as u64;
            Ok(if t < k {
                Some(k * x + t + 1).filter(|&c| c < n).map(|c| vec![c])
            } else {
                (x > 0).then(|| vec![(x - 1) / k])
            })
        }),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live::default(),
    }
}

#[test]
fn wide_levels_closed_form_and_reference() {
    let (n, k) = (300_000u64, 7u64);
    let m = wide_tree(n, k);
    let reference = reference_bfs(&m, true);
    // Every node is reachable; each non-root node is generated once as a
    // child and once more by its own back edge to its parent, plus the root.
    assert_eq!(reference.distinct, n);
    assert_eq!(reference.generated, 2 * n - 1);
    for (strategy, threads) in ALL {
        let out = run(&m, strategy, threads);
        assert_eq!(out.result, Verdict::Ok);
        assert_eq!(out.stats.distinct_states, n, "{strategy:?}/{threads}");
        assert_eq!(out.stats.states_generated, 2 * n - 1);
        if strategy == Strategy::Bfs {
            assert_eq!(out.stats.depth, reference.max_distance);
        }
    }
}

#[test]
fn wide_levels_violation_identical_across_threads() {
    let (n, k) = (300_000u64, 7u64);
    let mut m = wide_tree(n, k);
    // Several bad nodes in the same (wide) level, and a deeper one.
    m.invariant = Some(Box::new(|s| {
        [299_999, 150_001, 140_000, 139_999, 20_000]
            .contains(&s[0])
            .then_some(1)
    }));
    let reference = reference_bfs(&m, true);
    let (_, ref_trace) = reference.violation.unwrap();
    for _ in 0..3 {
        for threads in [1, 2, 4] {
            let out = run(&m, Strategy::Bfs, threads);
            let (_, trace) = violation(&out.result);
            assert_eq!(pairs(trace), ref_trace, "threads={threads}");
        }
    }
}

/// A model whose transition 0 from state 0 works only the first time it is
/// asked for: the search sees 0 -> 1 (state 1 violates the invariant), the
/// trace's replay of that step finds it disabled. That is what a
/// fingerprint collision looks like to the replay (a recorded step the
/// model does not take); the report must say so, never panic, and keep the
/// steps that did replay (here only the initial state).
#[test]
fn a_counterexample_that_does_not_replay_is_reported_not_a_panic() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for (strategy, threads) in [(Strategy::Bfs, 1), (Strategy::Bfs, 2), (Strategy::Dfs, 1)] {
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let m = TestModel {
            words: 1,
            transitions: 1,
            init: vec![vec![0]],
            next: infallible(move |s, _| {
                (s[0] == 0 && seen.fetch_add(1, Ordering::SeqCst) == 0).then(|| vec![1])
            }),
            invariant: Some(Box::new(|s| (s[0] == 1).then_some(0))),
            terminal: Box::new(|_| true),
            live: Live::default(),
        };
        let out = run(&m, strategy, threads);
        let Verdict::Violation(v) = &out.result else {
            panic!("{strategy:?}/{threads}: {:?}", out.result)
        };
        assert_eq!(v.kind, ViolationKind::Invariant(0));
        let e = v.replay_error.as_ref().expect("a replay error");
        assert_eq!((e.step, e.transition), (1, 0), "{e:?}");
        assert!(e.message().contains("fingerprint"), "{}", e.message());
        assert_eq!(v.trace.len(), 1, "{strategy:?}/{threads}");
        assert_eq!(v.trace[0].state, vec![0]);
    }
}

/// A star: the root 0 has `f` transitions, to the leaves 1..=f, and leaf
/// `i` one transition, to leaf `(7 i) % f + 1`; leaf `bad` violates the
/// invariant. One state with many times more new successors than a batch
/// expects: the chunk expanding it fills its quota of the level table and
/// hands the rest back (overflow), which must change nothing. (The level
/// table starts with room for 768 states; the root's batch expects 8.)
fn star(f: u64, bad: Option<u64>) -> TestModel {
    TestModel {
        words: 1,
        transitions: f as usize,
        init: vec![vec![0]],
        next: Box::new(move |s, t| {
            let (x, t) = (s[0], t as u64);
            Ok(match x {
                0 => Some(vec![t + 1]),
                _ if t == 0 => Some(vec![(7 * x) % f + 1]),
                _ => None,
            })
        }),
        invariant: Some(Box::new(move |s| (Some(s[0]) == bad).then_some(0))),
        terminal: Box::new(|_| true),
        live: Live::default(),
    }
}

#[test]
fn a_state_with_far_more_new_successors_than_expected() {
    let f = 3_000u64;
    // Every leaf once from the root, plus one successor per leaf.
    let m = star(f, None);
    let reference = reference_bfs(&m, true);
    assert_eq!(reference.distinct, f + 1);
    assert_eq!(reference.generated, 1 + f + f);
    for (strategy, threads) in ALL {
        let out = run(&m, strategy, threads);
        assert_eq!(out.result, Verdict::Ok, "{strategy:?}/{threads}");
        assert_eq!(out.stats.distinct_states, f + 1);
        assert_eq!(out.stats.states_generated, 1 + 2 * f);
    }
    // The bad leaf is reached from the root by transition bad - 1.
    let m = star(f, Some(2_500));
    let (_, ref_trace) = reference_bfs(&m, true).violation.expect("violated");
    for threads in [1, 2, 4] {
        let out = run(&m, Strategy::Bfs, threads);
        let (_, trace) = violation(&out.result);
        assert_eq!(pairs(trace), ref_trace, "threads={threads}");
        assert_eq!(trace.len(), 2);
    }
}

/// A model with 2^20 transitions of which one is enabled in each state (a
/// counter 0..=20, transition x taking x to x + 1): memory is reserved
/// from what the search reaches, not from the transition count, so 1 MB is
/// plenty (a reservation of 2^20 table slots per frontier state would need
/// 16 MB and stop the search at once).
#[test]
fn memory_is_reserved_from_what_is_reached() {
    let m = TestModel {
        words: 1,
        transitions: 1 << 20,
        init: vec![vec![0]],
        next: infallible(|s, t| (t as u64 == s[0] && s[0] < 20).then(|| vec![s[0] + 1])),
        invariant: None,
        terminal: Box::new(|_| true),
        live: Live::default(),
    };
    for threads in [1, 2] {
        let config = Config {
            threads,
            max_memory: Some(1 << 20),
            ..Config::default()
        };
        let out = run_with(&m, &config);
        assert_eq!(out.result, Verdict::Ok, "threads={threads}");
        assert_eq!(out.stats.distinct_states, 21);
    }
}

/// A checkpoint's contents are checked before a search resumes from them:
/// the parent links must be a BFS's (parents never decrease, so the
/// search can keep them compressed) and the fingerprints distinct, or
/// the snapshot is refused rather than trusted.
#[test]
fn a_snapshot_with_links_or_fingerprints_no_bfs_writes_is_refused() {
    use dcheck_engine::checkpoint::Snapshot;
    use dcheck_engine::{pack_link, Coverage, ROOT_LINK};
    // The 3x3 grid after two levels: (0,0); (1,0) (0,1); (2,0) (1,1) (0,2).
    let m = grid(3, 3, true);
    let good = Snapshot {
        identity: 7,
        words: 2,
        depth: 2,
        generated: 7,
        seen: vec![11, 12, 13, 14, 15, 16],
        links: vec![
            ROOT_LINK,
            pack_link(0, 0),
            pack_link(0, 1),
            pack_link(1, 0),
            pack_link(1, 1),
            pack_link(2, 1),
        ],
        initial: vec![0, 0],
        frontier: vec![2, 0, 1, 1, 0, 2],
        coverage: vec![
            Coverage::default();
            dcheck_model::system::TransitionSystem::action_count(&m)
        ],
        graph: None,
        part: None,
    };
    assert_eq!(good.fits(&m, 7), Ok(()));
    // A parent that goes back (the DFS's order, not a BFS's).
    let mut back = good.clone();
    back.links[4] = pack_link(2, 0);
    back.links[5] = pack_link(1, 1);
    assert!(back.fits(&m, 7).is_err());
    // The same fingerprint twice.
    let mut twice = good.clone();
    twice.seen[3] = 12;
    assert!(twice.fits(&m, 7).is_err());
    // A root after a non-root.
    let mut late = good.clone();
    late.links[2] = ROOT_LINK;
    assert!(late.fits(&m, 7).is_err());
}
