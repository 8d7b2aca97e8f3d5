//! The integration tests of `dcheck-engine`, as one test binary (one link
//! of the crate and its dependencies, not one per file).

mod common;
mod disk;
mod distributed;
mod engine;
mod liveness;
mod memory;
mod random_graphs;
mod simulate;
