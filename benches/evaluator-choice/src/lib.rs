//! # evaluator-choice: closures, register bytecode or Cranelift? (issue 15)
//!
//! dcheck compiles guards, effects and invariants into trees of boxed
//! closures over the bit-packed state. This standalone package measures the
//! two replacements issue 15 names against that baseline, on one IR
//! ([`ir`]) lowered three ways:
//!
//! 1. [`closures`]: `Box<dyn Fn(&[u64], &mut [u64]) -> Result<u64,
//!    Box<EvalError>>>` trees, as crates/dcheck-model/src/expr.rs builds
//!    them (the baseline);
//! 2. [`bytecode`]: 16-byte register instructions and a `match` loop;
//! 3. [`jit`] (feature `jit`, on by default): native code through the
//!    Cranelift JIT crates.
//!
//! The workloads ([`workloads`]) are guards, effects and invariants of
//! specs/2pc.ron, paxos.ron and pbft.ron. Results and their reading:
//! docs/design/evaluator.md.
//!
//! ## Running
//!
//! From this directory, on a shared machine (niced, one job, a target
//! directory outside the work tree):
//!
//! ```sh
//! export CARGO_TARGET_DIR=/tmp/evaluator-choice-target
//! # the three back ends agree (values, errors, next states) on every
//! # workload and on random programs:
//! nice -n 19 cargo test --release -j 1
//! # the measurement: ns per evaluation (interleaved rounds, medians and
//! # ratios to the closures), compile cost per workload, as a Markdown
//! # table (`--rounds N`, `--states N`; defaults 41 and 4096):
//! nice -n 19 cargo run --release -j 1 --bin measure
//! # medians over several runs (docs/design/evaluator.md took 7):
//! python3 aggregate.py run-1.md run-2.md ...
//! # what Cranelift adds to a build: clean builds with and without it
//! sh build-cost.sh
//! ```
//!
//! `profile-share.py` groups a `perf record` of `dcheck run` by kind of
//! code (the evaluator's share of the time).
//!
//! `--no-default-features` leaves Cranelift out: the closures and the
//! bytecode only (`cargo test --no-default-features` checks those two).

pub mod bytecode;
pub mod closures;
pub mod gen;
pub mod ir;
#[cfg(feature = "jit")]
pub mod jit;
pub mod rng;
pub mod workloads;
