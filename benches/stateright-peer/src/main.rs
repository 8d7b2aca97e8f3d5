//! `stateright-2pc N [--threads T] [--strategy bfs|dfs]`: checks TwoPhase
//! with N resource managers using Stateright's own checker (no symmetry
//! reduction) and prints one JSON line with the counts and the wall time.
//!
//! Exit code: 0 when `TCConsistent` holds, 1 on a violation, 2 on bad usage.

use std::process::ExitCode;
use std::time::Instant;

use stateright::{Checker, Model};
use stateright_peer::{TwoPhase, MAX_RMS};

const USAGE: &str = "usage: stateright-2pc N [--threads T] [--strategy bfs|dfs]";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    Bfs,
    Dfs,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Bfs => "bfs",
            Strategy::Dfs => "dfs",
        }
    }
}

struct Args {
    n: usize,
    threads: usize,
    strategy: Strategy,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut n = None;
    let mut threads = 1;
    let mut strategy = Strategy::Bfs;
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--threads" | "-t" => {
                let v = it.next().ok_or("--threads needs a value")?;
                threads = v
                    .parse()
                    .ok()
                    .filter(|&t| t >= 1)
                    .ok_or(format!("bad thread count {v:?}"))?;
            }
            "--strategy" | "-s" => {
                strategy = match it.next().as_deref() {
                    Some("bfs") => Strategy::Bfs,
                    Some("dfs") => Strategy::Dfs,
                    other => return Err(format!("bad strategy {other:?}: bfs or dfs")),
                };
            }
            "-h" | "--help" => return Err(String::new()),
            _ if n.is_none() => {
                let v: usize = arg.parse().map_err(|_| format!("bad N {arg:?}"))?;
                if !(1..=MAX_RMS).contains(&v) {
                    return Err(format!("N must be in 1..={MAX_RMS}"));
                }
                n = Some(v);
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Args {
        n: n.ok_or("missing N")?,
        threads,
        strategy,
    })
}

/// Runs the checker to completion; returns (distinct, generated, depth, ok).
fn check(args: &Args) -> (usize, usize, usize, bool) {
    let builder = TwoPhase::new(args.n).checker().threads(args.threads);
    fn finish<C: Checker<TwoPhase>>(c: C) -> (usize, usize, usize, bool) {
        let ok = c.discoveries().is_empty();
        (c.unique_state_count(), c.state_count(), c.max_depth(), ok)
    }
    match args.strategy {
        Strategy::Bfs => finish(builder.spawn_bfs().join()),
        Strategy::Dfs => finish(builder.spawn_dfs().join()),
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("stateright-2pc: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let (distinct, generated, depth, ok) = check(&args);
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"stateright\",\"n\":{},\"threads\":{},\"strategy\":\"{}\",\
         \"result\":\"{}\",\"distinct_states\":{},\"states_generated\":{},\
         \"depth\":{},\"elapsed_seconds\":{:.6}}}",
        args.n,
        args.threads,
        args.strategy.name(),
        if ok { "ok" } else { "violation" },
        distinct,
        generated,
        depth,
        elapsed
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
