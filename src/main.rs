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
    /// Write the state graph of a small spec in Graphviz DOT.
    Graph(GraphArgs),
    /// Re-execute a saved counterexample (JSON report, JSON trace or ITF)
    /// against the spec as it is now. Exit 0: still a behaviour that
    /// violates; 1: still a behaviour, no longer violates; 2: a step no
    /// longer applies, or the file is malformed.
    Replay(ReplayArgs),
    /// Seeded random walks, for specs too big to explore completely: each
    /// run starts from a random initial state and takes up to --depth
    /// random enabled transitions, checking the invariants (and deadlocks)
    /// on the way. Exit 0: no violation found (not a proof); 1: violation.
    Simulate(SimulateArgs),
}

/// How the counterexample is written (`--trace-format`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TraceFormat {
    /// Numbered steps with only what changed (colour on a terminal).
    Text,
    /// The JSON report's `violation` with `schema_version`, `spec`,
    /// `file`, `constants`.
    Json,
    /// The Informal Trace Format of Apalache and Quint.
    Itf,
    /// A Mermaid sequence diagram.
    Mermaid,
    /// A Graphviz DOT path.
    Dot,
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
    /// Format of the counterexample (default: text, or json with
    /// `--format json --trace-out FILE`).
    #[arg(long, value_enum)]
    trace_format: Option<TraceFormat>,
    /// Write the counterexample to FILE instead of stdout; the summary still
    /// goes to the terminal.
    #[arg(long, value_name = "FILE")]
    trace_out: Option<PathBuf>,
    /// Text trace: show every variable in every state (changed ones marked
    /// `*`), not only what changed.
    #[arg(long)]
    full_states: bool,
}

/// The spec and the options that change which model it compiles to.
#[derive(Args)]
struct ModelArgs {
    /// The spec file (.ron).
    spec: PathBuf,
    /// Override a constant: NAME=VALUE (repeatable).
    #[arg(long = "const", value_name = "NAME=VALUE")]
    consts: Vec<String>,
    /// Network semantics, overriding the spec's (see `dcheck help run`).
    #[arg(long, value_name = "LIST")]
    network: Option<String>,
    /// Fault model, overriding the spec's (see `dcheck help run`).
    #[arg(long, value_name = "LIST")]
    faults: Option<String>,
}

#[derive(Args)]
struct GraphArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Refuse (exit 2) specs with more reachable states than this.
    #[arg(long, value_name = "N", default_value = "1000")]
    max_states: usize,
}

#[derive(Args)]
struct ReplayArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The saved trace: a JSON report (`--format json`), a JSON trace
    /// (`--trace-format json`) or an ITF trace (`--trace-format itf`).
    trace: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Args)]
struct SimulateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Number of random walks.
    #[arg(long, value_name = "N", default_value = "1000")]
    runs: u64,
    /// Largest number of steps of a walk.
    #[arg(long, value_name = "D", default_value = "100")]
    depth: u32,
    /// Seed of the random walks: the same seed gives the same walks.
    #[arg(long, value_name = "S", default_value = "0")]
    seed: u64,
    /// Worker threads (default: all cores); the result does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Do not report states without enabled actions as deadlocks.
    #[arg(long)]
    no_deadlock: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Text trace: show every variable in every state (changed ones marked
    /// `*`), not only what changed.
    #[arg(long)]
    full_states: bool,
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
        Command::Graph(args) => graph(args),
        Command::Replay(args) => replay(args),
        Command::Simulate(args) => simulate(args),
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

/// A compiled spec and what the reports need besides.
struct Loaded {
    sources: dcheck_syntax::span::SourceMap,
    model: dcheck_model::Model,
    procs: Option<dcheck_net::Processes>,
}

/// What to load: the spec and the options that shape its model.
struct LoadOptions<'a> {
    spec: &'a std::path::Path,
    consts: &'a [String],
    network: Option<String>,
    faults: Option<String>,
    fairness: &'a [String],
    properties: &'a [String],
    /// Constants recorded in a trace: used for those the spec declares and
    /// `consts` does not set.
    recorded: Option<&'a dcheck_report::replay::RecordedTrace>,
}

/// Load → lower → compile, with diagnostics on stderr; `Err(exit code)`.
fn load(o: LoadOptions) -> Result<Loaded, i32> {
    let color = std::io::stderr().is_terminal();
    let (mut sources, mut spec) = match dcheck_syntax::load_spec(o.spec) {
        Ok(x) => x,
        Err((sources, diags)) => {
            eprint!("{}", dcheck_syntax::render(&sources, &diags, color));
            eprintln!("error: {} problem(s) in {}", diags.len(), o.spec.display());
            return Err(exit::USAGE);
        }
    };
    if !o.fairness.is_empty() {
        let mut decls = Vec::new();
        let mut diags = Vec::new();
        for text in o.fairness.iter().filter(|t| t.trim() != "none") {
            let file = sources.add("--fairness".into(), text.clone());
            match dcheck_syntax::parser::parse_fairness(file, text) {
                Ok(d) => decls.push(d),
                Err(ds) => diags.extend(ds),
            }
        }
        if !diags.is_empty() {
            return Err(spec_problems(&sources, &diags, &[], o.spec, color));
        }
        spec.fairness = decls;
        for p in &mut spec.properties {
            p.fairness = None;
        }
    }
    let flags = dcheck_net::Flags {
        network: o.network,
        faults: o.faults,
    };
    let procs = dcheck_net::processes(&spec);
    let mut spec = match dcheck_net::lower(spec, &flags) {
        Ok(spec) => spec,
        Err(e) => {
            return Err(spec_problems(
                &sources,
                &e.diagnostics,
                &e.usage,
                o.spec,
                color,
            ));
        }
    };
    if !o.properties.is_empty() {
        if let Err(unknown) = select_properties(&mut spec, o.properties) {
            return Err(spec_problems(&sources, &[], &[unknown], o.spec, color));
        }
    }
    let mut overrides = Vec::new();
    for c in o.consts {
        match c.split_once('=') {
            Some((n, v)) => overrides.push((n.trim().to_string(), v.trim().to_string())),
            None => {
                eprintln!("error: --const {c}: expected NAME=VALUE");
                return Err(exit::USAGE);
            }
        }
    }
    if let Some(trace) = o.recorded {
        let declared: Vec<String> = spec.constants.iter().map(|c| c.name.name.clone()).collect();
        for (n, v) in dcheck_report::replay::constant_overrides(trace, &declared) {
            if !overrides.iter().any(|(m, _)| *m == n) {
                overrides.push((n, v));
            }
        }
    }
    let model = match dcheck_model::compile(&spec, &overrides) {
        Ok(m) => m,
        Err(e) => {
            return Err(spec_problems(
                &sources,
                &e.diagnostics,
                &e.usage,
                o.spec,
                color,
            ));
        }
    };
    Ok(Loaded {
        sources,
        model,
        procs,
    })
}

/// Writes `text` to `path`, or says why not (usage exit code).
fn write_file(path: &std::path::Path, text: &str) -> Result<(), i32> {
    std::fs::write(path, text).map_err(|e| {
        eprintln!("error: cannot write {}: {e}", path.display());
        exit::USAGE
    })
}

/// The counterexample in `format`.
fn render_trace(
    format: TraceFormat,
    loaded: &Loaded,
    outcome: &dcheck_engine::Outcome,
    info: &RunInfo,
    style: dcheck_report::text::TraceStyle,
) -> Option<String> {
    let dcheck_engine::Verdict::Violation(v) = &outcome.result else {
        return None;
    };
    let (model, sources, procs) = (&loaded.model, &loaded.sources, loaded.procs.as_ref());
    let pretty = |j: serde_json::Value| serde_json::to_string_pretty(&j).unwrap_or_default() + "\n";
    Some(match format {
        TraceFormat::Text => {
            dcheck_report::text::counterexample_styled(model, sources, v, info, procs, style)
        }
        TraceFormat::Json => pretty(dcheck_report::json::trace_document(
            model, sources, outcome, info, procs,
        )?),
        TraceFormat::Itf => pretty(dcheck_report::itf::trace(model, v, info)),
        TraceFormat::Mermaid => dcheck_report::mermaid::sequence_diagram(model, v, procs),
        TraceFormat::Dot => dcheck_report::dot::trace(model, v),
    })
}

fn default_threads(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1)
}

fn simulate(args: SimulateArgs) -> i32 {
    let loaded = match load(LoadOptions {
        spec: &args.model.spec,
        consts: &args.model.consts,
        network: args.model.network.clone(),
        faults: args.model.faults.clone(),
        fairness: &[],
        properties: &[],
        recorded: None,
    }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = &loaded.model;
    let threads = default_threads(args.threads);
    let config = dcheck_engine::simulate::SimConfig {
        runs: args.runs,
        depth: args.depth,
        seed: args.seed,
        threads,
        check_deadlock: !args.no_deadlock,
    };
    let info = RunInfo {
        spec_path: args.model.spec.display().to_string(),
        strategy: "simulate",
        threads,
    };
    let sim = dcheck_engine::simulate::simulate(model, &config);
    let text = match args.format {
        Format::Json => {
            let j = dcheck_report::simulate::json(
                model,
                &loaded.sources,
                &sim,
                &config,
                &info,
                loaded.procs.as_ref(),
            );
            serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"
        }
        Format::Text => {
            let summary = dcheck_report::simulate::summary(model, &sim, &config, &info);
            match &sim.outcome.result {
                dcheck_engine::Verdict::Violation(v) => {
                    let style = dcheck_report::text::TraceStyle {
                        color: anstream::AutoStream::choice(&std::io::stdout())
                            != anstream::ColorChoice::Never,
                        full_states: args.full_states,
                    };
                    dcheck_report::text::counterexample_styled(
                        model,
                        &loaded.sources,
                        v,
                        &info,
                        loaded.procs.as_ref(),
                        style,
                    ) + "\n"
                        + &summary
                }
                _ => summary,
            }
        }
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    dcheck_report::exit_code(&sim.outcome)
}

fn run(args: RunArgs) -> i32 {
    if args.format == Format::Json && args.trace_format.is_some() && args.trace_out.is_none() {
        eprintln!(
            "error: --trace-format with --format json needs --trace-out FILE (stdout holds the JSON report)"
        );
        return exit::USAGE;
    }
    let loaded = match load(LoadOptions {
        spec: &args.spec,
        consts: &args.consts,
        network: args.network.clone(),
        faults: args.faults.clone(),
        fairness: &args.fairness,
        properties: &args.properties,
        recorded: None,
    }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = &loaded.model;
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
        dcheck_engine::check(model, &config, &progress)
    });
    let trace_format = args.trace_format.unwrap_or(match args.format {
        Format::Json => TraceFormat::Json,
        Format::Text => TraceFormat::Text,
    });
    let mut style = dcheck_report::text::TraceStyle {
        color: false,
        full_states: args.full_states,
    };
    // The counterexample file, if asked for: written before the summary.
    if let Some(path) = &args.trace_out {
        if let Some(t) = render_trace(trace_format, &loaded, &outcome, &info, style) {
            if let Err(code) = write_file(path, &t) {
                return code;
            }
        }
    }
    let summary = dcheck_report::text::summary(model, &outcome, &info);
    let written = |t: &str| {
        format!(
            "Counterexample written to {} ({}).\n\n{t}",
            args.trace_out
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            trace_format
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default()
        )
    };
    let violated = matches!(outcome.result, dcheck_engine::Verdict::Violation(_));
    let text = match args.format {
        Format::Json => {
            let mut j = dcheck_report::json::report(
                model,
                &loaded.sources,
                &outcome,
                &info,
                config.check_deadlock,
            );
            dcheck_report::json::add_events(&mut j, model, &outcome, loaded.procs.as_ref());
            serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"
        }
        Format::Text if args.trace_out.is_some() && violated => written(&summary),
        Format::Text if args.trace_out.is_some() => summary,
        Format::Text if trace_format == TraceFormat::Text => {
            style.color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            match render_trace(trace_format, &loaded, &outcome, &info, style) {
                Some(t) => t + "\n" + &summary,
                None => summary,
            }
        }
        Format::Text => {
            // A machine-readable trace on stdout: the summary goes to
            // stderr, so that stdout is the trace alone.
            eprint!("{summary}");
            render_trace(trace_format, &loaded, &outcome, &info, style).unwrap_or_default()
        }
    };
    // A closed pipe (`dcheck run ... | head`) is not an error of the check:
    // the exit code still reports the verdict.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    dcheck_report::exit_code(&outcome)
}

fn graph(args: GraphArgs) -> i32 {
    let loaded = match load(LoadOptions {
        spec: &args.model.spec,
        consts: &args.model.consts,
        network: args.model.network.clone(),
        faults: args.model.faults.clone(),
        fairness: &[],
        properties: &[],
        recorded: None,
    }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    match dcheck_engine::graph::state_graph(&loaded.model, args.max_states) {
        Ok(g) => {
            let text = dcheck_report::dot::graph(&loaded.model, &g);
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
            exit::OK
        }
        Err(dcheck_engine::graph::GraphError::TooManyStates(n)) => {
            eprintln!(
                "error: {} has more than {n} reachable states; `dcheck graph` draws small specs only \
                 (raise --max-states, or make the spec smaller with --const)",
                args.model.spec.display()
            );
            exit::USAGE
        }
        Err(dcheck_engine::graph::GraphError::Eval(e)) => {
            let what = match e.transition {
                Some(t) => format!(
                    " while evaluating {}",
                    dcheck_report::text::transition_text(&loaded.model, t)
                ),
                None => String::new(),
            };
            eprintln!("error: evaluation error{what}: {}", e.error.message);
            exit::VIOLATION
        }
    }
}

/// Reports a malformed trace file as a diagnostic; returns the usage code.
fn malformed_trace(
    path: &std::path::Path,
    text: &str,
    m: &dcheck_report::replay::Malformed,
) -> i32 {
    let mut sources = dcheck_syntax::span::SourceMap::default();
    let file = sources.add(path.display().to_string(), text.to_string());
    let at = m.offset.unwrap_or(0).min(text.len()) as u32;
    let end = (at + 1).min(text.len() as u32).max(at);
    let d = dcheck_syntax::diag::Diagnostic::new(
        dcheck_syntax::span::Span::new(file, at, end),
        format!("malformed trace: {}", m.message),
    )
    .label(if m.offset.is_some() { "here" } else { "in this file" })
    .help("expected a dcheck JSON report (--format json), a JSON trace (--trace-format json) or an ITF trace (--trace-format itf)");
    eprint!(
        "{}",
        dcheck_syntax::render(&sources, &[d], std::io::stderr().is_terminal())
    );
    exit::USAGE
}

fn replay(args: ReplayArgs) -> i32 {
    let text = match std::fs::read(&args.trace).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            eprintln!(
                "error: malformed trace: {} is not a text file (not UTF-8); expected a dcheck JSON report, JSON trace or ITF trace",
                args.trace.display()
            );
            return exit::USAGE;
        }
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.trace.display());
            return exit::USAGE;
        }
    };
    let trace = match dcheck_report::replay::parse(&text) {
        Ok(t) => t,
        Err(m) => return malformed_trace(&args.trace, &text, &m),
    };
    let loaded = match load(LoadOptions {
        spec: &args.model.spec,
        consts: &args.model.consts,
        network: args.model.network.clone(),
        faults: args.model.faults.clone(),
        fairness: &[],
        properties: &[],
        recorded: Some(&trace),
    }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let r = dcheck_report::replay::replay(&loaded.model, &loaded.sources, &trace);
    let out = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&dcheck_report::replay::json(&r)).unwrap_or_default()
                + "\n"
        }
        Format::Text => dcheck_report::replay::text(
            &r,
            &args.trace.display().to_string(),
            &args.model.spec.display().to_string(),
        ),
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    r.exit_code()
}
