//! Random simulation and trace shortening on hand-built models.

use crate::common;

use common::{infallible, Live, TestModel};
use dcheck_engine::simulate::{shorten, simulate, SimConfig};
use dcheck_engine::{Verdict, ViolationKind};

/// x in 0..=10; transition 0: x + 1 (x < 10), 1: x - 1 (x > 0), 2: x = 0
/// (always enabled, a self-loop at 0). The invariant `x != 5` fails at 5.
fn walker() -> TestModel {
    TestModel {
        words: 1,
        transitions: 3,
        init: vec![vec![0]],
        next: infallible(|s, t| match t {
            0 if s[0] < 10 => Some(vec![s[0] + 1]),
            1 if s[0] > 0 => Some(vec![s[0] - 1]),
            2 => Some(vec![0]),
            _ => None,
        }),
        invariant: Some(Box::new(|s| (s[0] == 5).then_some(0))),
        terminal: Box::new(|_| false),
        live: Live::default(),
    }
}

fn config(threads: usize) -> SimConfig {
    SimConfig {
        runs: 100,
        depth: 200,
        seed: 42,
        threads,
        check_deadlock: true,
    }
}

#[test]
fn shortening_leaves_the_only_loop_free_path() {
    let m = walker();
    // 0 1 2 1 2 3 0 (reset) 0 (reset) 1 2 3 4 3 4 5.
    let walk = [0, 0, 1, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0, 0, 0];
    // By hand: a behaviour from 0 to 5 without repeated states can only
    // use +1 steps (a -1 or a reset returns to a visited value), so it is
    // five +1 steps; anything shorter cannot reach 5.
    let short = shorten(&m, &[0], &walk, &ViolationKind::Invariant(0), true);
    assert_eq!(short, vec![0; 5]);
}

#[test]
fn shortening_keeps_the_first_violation() {
    let m = walker();
    // 0 1 2 3 4 5: already minimal; nothing can be removed.
    let walk = [0, 0, 0, 0, 0];
    assert_eq!(
        shorten(&m, &[0], &walk, &ViolationKind::Invariant(0), true),
        walk.to_vec()
    );
}

#[test]
fn simulation_finds_the_state_and_ignores_the_thread_count() {
    let m = walker();
    let a = simulate(&m, &config(1));
    let b = simulate(&m, &config(4));
    assert_eq!(a.outcome.result, b.outcome.result);
    assert_eq!((a.runs, a.steps, a.found), (b.runs, b.steps, b.found));
    let Verdict::Violation(v) = &a.outcome.result else {
        panic!("no violation: {:?}", a.outcome.result)
    };
    assert_eq!(v.kind, ViolationKind::Invariant(0));
    let xs: Vec<u64> = v.trace.iter().map(|s| s.state[0]).collect();
    assert_eq!(xs, vec![0, 1, 2, 3, 4, 5]);
    let f = a.found.expect("found");
    assert!(f.walk_steps >= 5 && f.steps == 5);
    assert_eq!(a.runs, f.run + 1);
}

#[test]
fn no_violation_counts_every_step() {
    // Without the invariant every state has an enabled transition (the
    // reset), so every walk takes exactly `depth` steps.
    let mut m = walker();
    m.invariant = None;
    let c = SimConfig {
        runs: 37,
        depth: 11,
        ..config(2)
    };
    let o = simulate(&m, &c);
    assert_eq!(o.outcome.result, Verdict::Ok);
    assert_eq!((o.runs, o.steps), (37, 37 * 11));
}
