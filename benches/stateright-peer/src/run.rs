//! What the peer binaries share: the search strategy flag, the thread
//! count flag, and running a Stateright checker to completion.

use std::hash::Hash;

use stateright::{Checker, CheckerBuilder, Model};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Bfs,
    Dfs,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Bfs => "bfs",
            Strategy::Dfs => "dfs",
        }
    }

    /// The value of `--strategy`.
    pub fn parse(v: Option<&str>) -> Result<Strategy, String> {
        match v {
            Some("bfs") => Ok(Strategy::Bfs),
            Some("dfs") => Ok(Strategy::Dfs),
            other => Err(format!("bad strategy {other:?}: bfs or dfs")),
        }
    }
}

/// The value of `--threads`: at least 1.
pub fn threads(v: Option<String>) -> Result<usize, String> {
    let v = v.ok_or("--threads needs a value")?;
    v.parse()
        .ok()
        .filter(|&t| t >= 1)
        .ok_or(format!("bad thread count {v:?}"))
}

/// (distinct, generated, depth, ok): `ok` when no property was violated.
pub type Counts = (usize, usize, usize, bool);

/// Runs `builder`'s checker to completion with `strategy`.
pub fn check<M>(builder: CheckerBuilder<M>, strategy: Strategy) -> Counts
where
    M: Model + Send + Sync + 'static,
    M::State: Hash + Send + Sync + Clone + PartialEq + 'static,
    M::Action: Clone + PartialEq,
{
    fn finish<M: Model, C: Checker<M>>(c: C) -> Counts
    where
        M::State: Clone + PartialEq,
        M::Action: Clone + PartialEq,
    {
        let ok = c.discoveries().is_empty();
        (c.unique_state_count(), c.state_count(), c.max_depth(), ok)
    }
    match strategy {
        Strategy::Bfs => finish(builder.spawn_bfs().join()),
        Strategy::Dfs => finish(builder.spawn_dfs().join()),
    }
}
