//! `dcheck`: the command-line front of the checker. Parses arguments, loads
//! and compiles the spec, runs the engine and prints the report. All logic
//! lives in the `crates/` libraries; this file only wires them together.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dcheck_engine::{Config, Progress, Strategy};
use dcheck_report::{exit, RunInfo};

#[derive(Parser)]
#[command(
    name = "dcheck",
    version,
    about = "Model checker for distributed-protocol specifications"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explore every reachable state of a spec and check its properties.
    Run(RunArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Bfs,
    Dfs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Args)]
struct RunArgs {
    /// The spec file (.ron).
    spec: PathBuf,
    /// Override a constant: NAME=VALUE (repeatable).
    #[arg(long = "const", value_name = "NAME=VALUE")]
    consts: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Search order: bfs gives shortest counterexamples.
    #[arg(long, value_enum, default_value = "bfs")]
    strategy: StrategyArg,
    /// Do not report states without enabled actions as deadlocks.
    #[arg(long)]
    no_deadlock: bool,
    /// Stop (exit 3) after this many distinct states.
    #[arg(long, value_name = "N")]
    max_states: Option<u64>,
    /// Do not explore beyond this depth (exit 3 if states were cut off).
    #[arg(long, value_name = "N")]
    max_depth: Option<u32>,
    /// Stop (exit 3) before the search's memory exceeds this (e.g. 512M, 4G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Network semantics, overriding the spec's: a comma-separated list of
    /// unordered | fifo, lossy, duplicating (e.g. `unordered,lossy`).
    #[arg(long, value_name = "LIST")]
    network: Option<String>,
    /// Fault model, overriding the spec's: e.g. `crash=1`.
    #[arg(long, value_name = "LIST")]
    faults: Option<String>,
    /// Check only this invariant or temporal property (repeatable); the
    /// others are ignored. Deadlock checking is set by --no-deadlock.
    #[arg(long = "property", value_name = "NAME")]
    properties: Vec<String>,
    /// Fairness assumption replacing the spec's and every property's own
    /// (repeatable; e.g. `weak each Tick`, `strong delivery`); `none`: no
    /// fairness.
    #[arg(long, value_name = "FAIRNESS")]
    fairness: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `123`, `64K`, `512M`, `4G` (binary units) → bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M') => (&s[..s.len() - 1], 1 << 20),
        Some('G') => (&s[..s.len() - 1], 1 << 30),
        Some('T') => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let n: u64 = digits.trim().parse().map_err(|_| format!("`{s}` is not a size: a whole number with an optional K, M, G or T (examples: 1000000, 512M, 4G)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run(args),
    };
    ExitCode::from(code as u8)
}

/// Reports problems found in a spec (diagnostics in its text, and command
/// line problems) on stderr; returns the usage exit code.
fn spec_problems(
    sources: &dcheck_syntax::span::SourceMap,
    diagnostics: &[dcheck_syntax::diag::Diagnostic],
    usage: &[String],
    path: &std::path::Path,
    color: bool,
) -> i32 {
    if !diagnostics.is_empty() {
        eprint!("{}", dcheck_syntax::render(sources, diagnostics, color));
    }
    for u in usage {
        eprintln!("error: {u}");
    }
    eprintln!(
        "error: {} problem(s) in {}",
        diagnostics.len() + usage.len(),
        path.display()
    );
    exit::USAGE
}

/// Keeps only the named invariants and properties (`--property`).
fn select_properties(spec: &mut dcheck_syntax::ast::Spec, names: &[String]) -> Result<(), String> {
    let known: Vec<&str> = spec
        .invariants
        .iter()
        .map(|i| i.name.name.as_str())
        .chain(spec.properties.iter().map(|p| p.name.name.as_str()))
        .collect();
    if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(format!(
            "--property {bad}: no invariant or property of that name (the spec has: {})",
            known.join(", ")
        ));
    }
    let wanted = |n: &str| names.iter().any(|w| w == n);
    spec.invariants.retain(|i| wanted(&i.name.name));
    spec.properties.retain(|p| wanted(&p.name.name));
    Ok(())
}

fn run(args: RunArgs) -> i32 {
    let color = std::io::stderr().is_terminal();
    let (mut sources, mut spec) = match dcheck_syntax::load_spec(&args.spec) {
        Ok(x) => x,
        Err((sources, diags)) => {
            eprint!("{}", dcheck_syntax::render(&sources, &diags, color));
            eprintln!(
                "error: {} problem(s) in {}",
                diags.len(),
                args.spec.display()
            );
            return exit::USAGE;
        }
    };
    if !args.fairness.is_empty() {
        let mut decls = Vec::new();
        let mut diags = Vec::new();
        for text in args.fairness.iter().filter(|t| t.trim() != "none") {
            let file = sources.add("--fairness".into(), text.clone());
            match dcheck_syntax::parser::parse_fairness(file, text) {
                Ok(d) => decls.push(d),
                Err(ds) => diags.extend(ds),
            }
        }
        if !diags.is_empty() {
            return spec_problems(&sources, &diags, &[], &args.spec, color);
        }
        spec.fairness = decls;
        for p in &mut spec.properties {
            p.fairness = None;
        }
    }
    let flags = dcheck_net::Flags {
        network: args.network.clone(),
        faults: args.faults.clone(),
    };
    let procs = dcheck_net::processes(&spec);
    let mut spec = match dcheck_net::lower(spec, &flags) {
        Ok(spec) => spec,
        Err(e) => {
            return spec_problems(&sources, &e.diagnostics, &e.usage, &args.spec, color);
        }
    };
    if !args.properties.is_empty() {
        if let Err(unknown) = select_properties(&mut spec, &args.properties) {
            return spec_problems(&sources, &[], &[unknown], &args.spec, color);
        }
    }
    let mut overrides = Vec::new();
    for c in &args.consts {
        match c.split_once('=') {
            Some((n, v)) => overrides.push((n.trim().to_string(), v.trim().to_string())),
            None => {
                eprintln!("error: --const {c}: expected NAME=VALUE");
                return exit::USAGE;
            }
        }
    }
    let model = match dcheck_model::compile(&spec, &overrides) {
        Ok(m) => m,
        Err(e) => {
            return spec_problems(&sources, &e.diagnostics, &e.usage, &args.spec, color);
        }
    };
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let config = Config {
        strategy: match args.strategy {
            StrategyArg::Bfs => Strategy::Bfs,
            StrategyArg::Dfs => Strategy::Dfs,
        },
        threads,
        check_deadlock: !args.no_deadlock,
        max_states: args.max_states,
        max_depth: args.max_depth,
        max_memory: args.max_memory,
    };
    let info = RunInfo {
        spec_path: args.spec.display().to_string(),
        strategy: match config.strategy {
            Strategy::Bfs => "bfs",
            Strategy::Dfs => "dfs",
        },
        threads,
    };
    let progress = Progress::new();
    let show = std::io::stdout().is_terminal() && args.format == Format::Text;
    let outcome = dcheck_report::progress::with_progress(&progress, show, || {
        dcheck_engine::check(&model, &config, &progress)
    });
    let text = match args.format {
        Format::Json => {
            let mut j = dcheck_report::json::report(
                &model,
                &sources,
                &outcome,
                &info,
                config.check_deadlock,
            );
            dcheck_report::json::add_events(&mut j, &model, &outcome, procs.as_ref());
            serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"
        }
        Format::Text => {
            let mut t = String::new();
            if let dcheck_engine::Verdict::Violation(v) = &outcome.result {
                t += &dcheck_report::text::counterexample_with(
                    &model,
                    &sources,
                    v,
                    &info,
                    procs.as_ref(),
                );
                t += "\n";
            }
            t + &dcheck_report::text::summary(&model, &outcome, &info)
        }
    };
    // A closed pipe (`dcheck run ... | head`) is not an error of the check:
    // the exit code still reports the verdict.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    dcheck_report::exit_code(&outcome)
}
