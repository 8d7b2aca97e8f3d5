//! `stateright-2pc N [--threads T] [--strategy bfs|dfs]`: checks TwoPhase
//! with N resource managers using Stateright's own checker (no symmetry
//! reduction) and prints one JSON line with the counts and the wall time.
//!
//! Exit code: 0 when `TCConsistent` holds, 1 on a violation, 2 on bad usage.

use std::process::ExitCode;
use std::time::Instant;

use stateright::Model;
use stateright_peer::run::{self, Counts, Strategy};
use stateright_peer::{TwoPhase, MAX_RMS};

const USAGE: &str = "usage: stateright-2pc N [--threads T] [--strategy bfs|dfs]";

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
            "--threads" | "-t" => threads = run::threads(it.next())?,
            "--strategy" | "-s" => strategy = Strategy::parse(it.next().as_deref())?,
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

/// Runs the checker to completion.
fn check(args: &Args) -> Counts {
    run::check(
        TwoPhase::new(args.n).checker().threads(args.threads),
        args.strategy,
    )
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
