//! Measures the explorer on a large allocation-free model: a 3-D grid walk
//! (x, y, z in 0..n, moves +x, +y, +z, and a "reset z" move), printing the
//! statistics and the accounted bytes per distinct state for BFS and DFS at
//! 1 and 2 threads. Run: `cargo run --release -p dcheck-engine --features
//! measure --example grid_scale -- 160`. With `--liveness` (`-- 100 --liveness`: 1 M states)
//! it measures the liveness checker instead (graph build and analysis)
//! with three checks, printing the graph bytes per state and the time.

use dcheck_engine::{check, Config, Progress, Strategy, Verdict};
use dcheck_model::system::{
    EvalError, FairnessConstraint, InvariantId, LivenessCheck, PredicateId, StepError,
    TemporalForm, TransitionId, TransitionSystem, Word,
};

struct Grid3 {
    n: u64,
    checks: Vec<LivenessCheck>,
    fairness: Vec<FairnessConstraint>,
}

impl Grid3 {
    fn next(&self, s: &[Word], t: TransitionId, out: &mut [Word]) -> bool {
        out.copy_from_slice(s);
        match t {
            0..=2 if s[t as usize] + 1 < self.n => out[t as usize] += 1,
            3 if s[2] > 0 => out[2] = 0,
            _ => return false,
        }
        true
    }
}

impl TransitionSystem for Grid3 {
    type Scratch = [Word; 3];

    fn scratch(&self) -> [Word; 3] {
        [0; 3]
    }

    fn state_words(&self) -> usize {
        3
    }

    fn transition_count(&self) -> usize {
        4
    }

    fn initial_states(
        &self,
        _: &mut [Word; 3],
        emit: &mut dyn FnMut(&[Word]),
    ) -> Result<(), StepError> {
        emit(&[0, 0, 0]);
        Ok(())
    }

    fn successors<F: FnMut(TransitionId, &[Word])>(
        &self,
        buf: &mut [Word; 3],
        state: &[Word],
        mut emit: F,
    ) -> Result<(), StepError> {
        for t in 0..4 {
            if self.next(state, t, buf) {
                emit(t, buf);
            }
        }
        Ok(())
    }

    fn step(
        &self,
        _: &mut [Word; 3],
        state: &[Word],
        t: TransitionId,
        out: &mut [Word],
    ) -> Result<bool, EvalError> {
        Ok(self.next(state, t, out))
    }

    fn check_invariants(
        &self,
        _: &mut [Word; 3],
        _: &[Word],
    ) -> Result<Option<InvariantId>, EvalError> {
        Ok(None)
    }

    fn is_terminal(&self, _: &mut [Word; 3], _: &[Word]) -> Result<bool, EvalError> {
        Ok(true)
    }

    fn liveness_checks(&self) -> &[LivenessCheck] {
        &self.checks
    }

    fn fairness_constraints(&self) -> &[FairnessConstraint] {
        &self.fairness
    }

    fn predicate_count(&self) -> usize {
        3
    }

    /// 0: z == 0; 1: x == n-1; 2: x == 0.
    fn eval_predicate(
        &self,
        _: &mut [Word; 3],
        s: &[Word],
        p: PredicateId,
    ) -> Result<bool, EvalError> {
        Ok(match p {
            0 => s[2] == 0,
            1 => s[0] == self.n - 1,
            _ => s[0] == 0,
        })
    }
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    if std::env::args().any(|a| a == "--liveness") {
        liveness(n);
    } else {
        safety(n);
    }
}

fn safety(n: u64) {
    let model = Grid3 {
        n,
        checks: vec![],
        fairness: vec![],
    };
    for (strategy, threads) in [
        (Strategy::Bfs, 1),
        (Strategy::Bfs, 2),
        (Strategy::Dfs, 1),
        (Strategy::Dfs, 2),
    ] {
        let config = Config {
            strategy,
            threads,
            ..Config::default()
        };
        let out = check(&model, &config, &Progress::new());
        let s = &out.stats;
        println!(
            "{strategy:?} threads={threads}: {:?} distinct={} generated={} depth={} time={:.2}s \
             rate={:.1}M gen/s bytes={} ({:.1} B/state) p_collision={:.1e}",
            out.result,
            s.distinct_states,
            s.states_generated,
            s.depth,
            s.elapsed.as_secs_f64(),
            s.states_generated as f64 / s.elapsed.as_secs_f64() / 1e6,
            s.bytes_used,
            s.bytes_used as f64 / s.distinct_states as f64,
            s.fingerprint_collision_probability,
        );
    }
}

fn liveness(n: u64) {
    // Cycles exist only through "reset z" (moves +x, +y, +z only grow).
    // 0: always eventually z == 0: no cycle avoids z == 0 -> holds.
    // 1: eventually always x == n-1: the z cycle at x = 0 -> violated.
    // 2: x == 0 leads to x == n-1 under weak fairness of +x: every cycle
    //    has a fixed x < n-1 where +x is always enabled, never taken -> holds.
    let model = Grid3 {
        n,
        checks: vec![
            LivenessCheck {
                form: TemporalForm::AlwaysEventually(0),
                fairness: vec![],
            },
            LivenessCheck {
                form: TemporalForm::EventuallyAlways(1),
                fairness: vec![],
            },
            LivenessCheck {
                form: TemporalForm::LeadsTo(2, 1),
                fairness: vec![0],
            },
        ],
        fairness: vec![FairnessConstraint {
            strong: false,
            transitions: vec![0],
        }],
    };
    for (strategy, threads) in [(Strategy::Bfs, 1), (Strategy::Bfs, 2), (Strategy::Dfs, 1)] {
        let config = Config {
            strategy,
            threads,
            ..Config::default()
        };
        let out = check(&model, &config, &Progress::new());
        let s = &out.stats;
        let lasso = match &out.result {
            Verdict::Violation(v) => format!(
                "check {:?} trace len {} loop_start {:?}",
                v.kind,
                v.trace.len(),
                v.lasso.as_ref().map(|l| l.loop_start)
            ),
            other => format!("{other:?}"),
        };
        println!(
            "{strategy:?} threads={threads}: {:?} {lasso} distinct={} edges={} total={:.2}s \
             liveness={:.2}s graph_bytes={} ({:.1} B/state, {:.1} B/edge) bytes_used={}",
            out.liveness,
            s.distinct_states,
            s.graph_edges,
            s.elapsed.as_secs_f64(),
            s.liveness_seconds,
            s.graph_bytes,
            s.graph_bytes as f64 / s.distinct_states as f64,
            s.graph_bytes as f64 / s.graph_edges as f64,
            s.bytes_used,
        );
    }
}
