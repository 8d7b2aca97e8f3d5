//! Measures the explorer on a large allocation-free model: a 3-D grid walk
//! (x, y, z in 0..n, moves +x, +y, +z, and a "reset z" move), printing the
//! statistics and the accounted bytes per distinct state for BFS and DFS at
//! 1 and 2 threads. Run: `cargo run --release -p dcheck-engine --example
//! grid_scale -- 160`.

use dcheck_engine::{check, Config, Progress, Strategy};
use dcheck_model::system::{
    EvalError, InvariantId, StepError, TransitionId, TransitionSystem, Word,
};

struct Grid3 {
    n: u64,
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
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let model = Grid3 { n };
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
