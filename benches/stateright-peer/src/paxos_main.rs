//! `stateright-paxos [NAME=VALUE ...] [--threads T] [--strategy bfs|dfs]`:
//! checks dcheck's `specs/paxos.ron` (single-decree Paxos with roles and
//! messages) as a Stateright model with Stateright's own checker (no
//! symmetry reduction) and prints one JSON line with the counts and the
//! wall time.
//!
//! The constants are the spec's, with its defaults: `P=2 A=3 L=1
//! MaxBallot=2 F=0`; give them as `NAME=VALUE` or `--const NAME=VALUE`, as
//! for `dcheck run specs/paxos.ron --const NAME=VALUE`. The four invariants
//! (Consistency, Nontriviality, LearnerAgreement, OneValuePerBallot) are
//! checked; the liveness properties are not (compare with dcheck run with
//! `--property` for each invariant).
//!
//! Exit code: 0 when every invariant holds, 1 on a violation, 2 on bad usage.

use std::process::ExitCode;
use std::time::Instant;

use stateright::Model;
use stateright_peer::paxos::{words_needed, Config, Paxos, MAX_CONST};
use stateright_peer::run::{self, Counts, Strategy};

const USAGE: &str = "usage: stateright-paxos [P=.. A=.. L=.. MaxBallot=.. F=..] \
                     [--const NAME=VALUE] [--threads T] [--strategy bfs|dfs]";

struct Args {
    config: Config,
    threads: usize,
    strategy: Strategy,
}

fn set_const(c: &mut Config, arg: &str) -> Result<(), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or(format!("expected NAME=VALUE, got {arg:?}"))?;
    let v: u32 = value
        .parse()
        .map_err(|_| format!("bad value {value:?} for {name}"))?;
    let min = if name == "F" { 0 } else { 1 };
    if !(min..=MAX_CONST).contains(&v) {
        return Err(format!("{name} must be in {min}..={MAX_CONST}"));
    }
    match name {
        "P" => c.p = v,
        "A" => c.a = v,
        "L" => c.l = v,
        "MaxBallot" => c.max_ballot = v,
        "F" => c.f = v,
        _ => return Err(format!("no constant {name:?}: P, A, L, MaxBallot, F")),
    }
    Ok(())
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut config = Config::default();
    let mut threads = 1;
    let mut strategy = Strategy::Bfs;
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--threads" | "-t" => threads = run::threads(it.next())?,
            "--strategy" | "-s" => strategy = Strategy::parse(it.next().as_deref())?,
            "--const" => {
                let v = it.next().ok_or("--const needs NAME=VALUE")?;
                set_const(&mut config, &v)?;
            }
            "-h" | "--help" => return Err(String::new()),
            _ if arg.contains('=') => set_const(&mut config, &arg)?,
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Args {
        config,
        threads,
        strategy,
    })
}

/// Runs the checker to completion with the state packed in `W` words.
fn check<const W: usize>(args: &Args) -> Counts {
    run::check(
        Paxos::<W>::new(args.config).checker().threads(args.threads),
        args.strategy,
    )
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("stateright-paxos: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let c = args.config;
    let start = Instant::now();
    let (distinct, generated, depth, ok) = match words_needed(&c) {
        1 => check::<1>(&args),
        2 => check::<2>(&args),
        3 => check::<3>(&args),
        4 => check::<4>(&args),
        5 | 6 => check::<6>(&args),
        7 | 8 => check::<8>(&args),
        w => {
            eprintln!("stateright-paxos: the state needs {w} words; at most 8 are supported");
            return ExitCode::from(2);
        }
    };
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"stateright\",\"model\":\"paxos\",\
         \"constants\":{{\"P\":{},\"A\":{},\"L\":{},\"MaxBallot\":{},\"F\":{}}},\
         \"state_words\":{},\"threads\":{},\"strategy\":\"{}\",\
         \"result\":\"{}\",\"distinct_states\":{},\"states_generated\":{},\
         \"depth\":{},\"elapsed_seconds\":{:.6}}}",
        c.p,
        c.a,
        c.l,
        c.max_ballot,
        c.f,
        words_needed(&c),
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
