//! The commands of `dcheck`: from parsed arguments ([`Cli`]) to an exit
//! code. Each subcommand's pipeline (load → lower → compile → search →
//! report), the choice of outputs, the checkpoint options, the Ctrl-C
//! handler and the large-stack command thread live here; the binary
//! (`src/main.rs`) only parses the command line and calls [`execute`].
//! The checking itself lives in the other `crates/` libraries.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use dcheck_engine::{Config, Progress, Store, Strategy};
use dcheck_report::{exit, RunInfo};

mod args;

pub use args::Cli;
use args::*;

/// Why `--store disk:DIR` cannot run this search, if it cannot.
fn store_refusal(args: &RunArgs, model: &dcheck_model::Model) -> Option<String> {
    let StoreArg::Disk(_) = args.store else {
        return None;
    };
    if !matches!(args.strategy, StrategyArg::Bfs) {
        return Some("--store disk:DIR stores a breadth-first search: drop --strategy dfs".into());
    }
    if !dcheck_model::system::TransitionSystem::liveness_checks(model).is_empty() {
        return Some("--store disk:DIR checks invariants only: checking the temporal properties needs the state graph in memory; add --invariants-only (or --property NAME for the invariants), or use --store auto".into());
    }
    None
}

/// The workers and processes of a distributed run (`--workers`,
/// `--hosts`, `--process`; see `dcheck_engine::dist`), `None` for a run
/// in one process, or the message of a usage error: what a distributed
/// run does not do, a hosts file that cannot be read, a process index
/// beyond it.
fn cluster(
    args: &RunArgs,
    model: &dcheck_model::Model,
    identity: u64,
) -> Result<Option<dcheck_engine::dist::Cluster>, String> {
    use dcheck_model::system::TransitionSystem;
    if args.workers.is_none() && args.hosts.is_none() {
        return Ok(None);
    }
    let refused = |what: &str| Err(format!("a distributed run (--workers, --hosts) {what}"));
    if !matches!(args.strategy, StrategyArg::Bfs) {
        return refused("is a breadth-first search: drop --strategy dfs");
    }
    if !model.liveness_checks().is_empty() {
        return refused("checks invariants only: the temporal properties need the state graph in one process; add --invariants-only (or --property NAME for the invariants), or run without --workers and --hosts");
    }
    if matches!(args.store, StoreArg::Disk(_)) {
        return refused("keeps its states in memory: drop --store disk:DIR");
    }
    let workers = args.workers.unwrap_or(1).max(1);
    let hosts = match &args.hosts {
        None => Vec::new(),
        Some(file) => {
            let text = read_hosts(file)?;
            let hosts: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            if hosts.is_empty() {
                return Err(format!(
                    "the hosts file {} names no process",
                    file.display()
                ));
            }
            hosts
        }
    };
    let process = args.process.unwrap_or(0);
    if !hosts.is_empty() && process >= hosts.len() {
        return Err(format!(
            "--process {process}: the hosts file names {} process(es), numbered from 0",
            hosts.len()
        ));
    }
    // What the workers' checkpoints must agree on: the spec and options
    // (the one-process checkpoint identity), the version and the workers.
    // What every process must agree on besides: what decides the search's
    // course in every worker alike (limits may change across a resume).
    let id = dcheck_engine::checkpoint::identity;
    let shape = format!(
        "dcheck {} workers {workers} processes {}",
        env!("CARGO_PKG_VERSION"),
        hosts.len().max(1)
    );
    let spec = identity.to_le_bytes();
    let checkpoint_identity = id([spec.as_slice(), shape.as_bytes()]);
    // Checkpointing and resuming add rounds: all or none must.
    let limits = format!(
        "max-states {:?} max-depth {:?} checkpoint {} resume {}",
        args.max_states,
        args.max_depth,
        args.checkpoint.is_some() || args.resume.is_some(),
        args.resume.is_some()
    );
    let shared = checkpoint_identity.to_le_bytes();
    let identity = id([shared.as_slice(), limits.as_bytes()]);
    Ok(Some(dcheck_engine::dist::Cluster {
        workers,
        hosts,
        process,
        identity,
        checkpoint_identity,
        peer_timeout: args.peer_timeout,
        resume: args.resume.clone(),
    }))
}

/// The hosts file: a regular file of at most 1 MiB (it is a list of
/// addresses), read whole.
fn read_hosts(file: &Path) -> Result<String, String> {
    let cannot =
        |e: &dyn std::fmt::Display| format!("cannot read the hosts file {}: {e}", file.display());
    let meta = std::fs::metadata(file).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"not a regular file"));
    }
    if meta.len() > 1 << 20 {
        return Err(cannot(&"larger than 1 MiB"));
    }
    std::fs::read_to_string(file).map_err(|e| cannot(&e))
}

/// Runs the command `cli` names, on a thread with a large stack, with the
/// Ctrl-C / SIGTERM handler installed; returns its exit code.
pub fn execute(cli: Cli) -> ExitCode {
    // Ctrl-C or SIGTERM: the first asks the searches to stop (each prints
    // what it explored and the exit code is 130); a second exits at once.
    // Outside a search (loading or compiling a spec, which may be slow
    // for a huge one) nothing answers the request: exit after a second
    // unless a search has started by then. (The handler runs on its own
    // thread, so it may sleep.)
    let _ = ctrlc::set_handler(|| {
        use dcheck_engine::progress;
        if progress::stop_requested() {
            std::process::exit(exit::INTERRUPTED);
        }
        progress::request_stop();
        if !progress::search_running() {
            std::thread::sleep(std::time::Duration::from_secs(1));
            if !progress::search_running() {
                std::process::exit(exit::INTERRUPTED);
            }
        }
    });
    // Taken by whichever thread runs it.
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(cli.command)));
    let command = move || match slot.lock().ok().and_then(|mut c| c.take()) {
        Some(Command::Run(args)) => run(*args),
        Some(Command::Check(args)) => check(args),
        Some(Command::Graph(args)) => graph(args),
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Explore(args)) => explore(args),
        Some(Command::Simulate(args)) => simulate(args),
        None => exit::USAGE,
    };
    // The command runs on a thread with a large stack: the front end and
    // the compiler recurse once per operand along a chain of binary
    // operators (`a and b and ...`), and a million operands need far more
    // than the 8 MiB of the main thread. Address space only: pages are
    // committed as they are used. Where it cannot be reserved (a low
    // `ulimit -v`), the command runs here.
    // Under a `ulimit -v`, a sixteenth of it (the rest is for the search).
    let stack = dcheck_engine::memory::address_space_limit().map_or(COMMAND_STACK, |limit| {
        COMMAND_STACK.min(limit as usize / 16)
    });
    let worker = std::thread::Builder::new()
        .name("dcheck".into())
        .stack_size(stack);
    let code = match worker.spawn(command.clone()) {
        Ok(handle) => handle.join().unwrap_or(101),
        Err(_) => command(),
    };
    ExitCode::from(code as u8)
}

/// Stack of the thread that runs the command (see [`execute`]).
const COMMAND_STACK: usize = 1 << 30;

/// Why a spec could not be loaded: diagnostics in its text, and command
/// line problems.
struct SpecError {
    sources: dcheck_syntax::span::SourceMap,
    diagnostics: Vec<dcheck_syntax::diag::Diagnostic>,
    usage: Vec<String>,
    /// Only the usage lines, without the closing "N problem(s)" line.
    bare: bool,
}

impl SpecError {
    fn new(
        sources: &dcheck_syntax::span::SourceMap,
        diagnostics: &[dcheck_syntax::diag::Diagnostic],
        usage: &[String],
    ) -> SpecError {
        SpecError {
            sources: sources.clone(),
            diagnostics: diagnostics.to_vec(),
            usage: usage.to_vec(),
            bare: false,
        }
    }

    fn count(&self) -> usize {
        self.diagnostics.len() + self.usage.len()
    }

    /// The problems as shown on stderr.
    fn render(&self, path: &Path, color: bool) -> String {
        let mut s = String::new();
        if !self.diagnostics.is_empty() {
            s += &dcheck_syntax::render(&self.sources, &self.diagnostics, color);
        }
        for u in &self.usage {
            s += &format!("error: {u}\n");
        }
        if !self.bare {
            s += &format!("error: {} problem(s) in {}\n", self.count(), path.display());
        }
        s
    }

    /// `[{file, line, column, message, label, help}]`; command line problems
    /// have the spec as file and no line or column. Lines and columns count
    /// from 1; columns in characters.
    fn json(&self, path: &Path) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for d in &self.diagnostics {
            let file = self.sources.files.get(d.span.file.0 as usize);
            let (line, column) = match file {
                Some(f) => {
                    let (l, c) = f.line_column(d.span.start as usize);
                    (serde_json::json!(l), serde_json::json!(c))
                }
                None => (serde_json::Value::Null, serde_json::Value::Null),
            };
            out.push(serde_json::json!({
                "file": file.map(|f| f.name.clone()).unwrap_or_else(|| path.display().to_string()),
                "line": line,
                "column": column,
                "message": d.message,
                "label": d.label,
                "help": d.help,
            }));
        }
        for u in &self.usage {
            out.push(serde_json::json!({
                "file": path.display().to_string(),
                "line": null,
                "column": null,
                "message": u,
                "label": null,
                "help": null,
            }));
        }
        out
    }
}

/// Keeps only the named invariants and properties (`--property`).
fn select_properties(spec: &mut dcheck_syntax::ast::Spec, names: &[String]) -> Result<(), String> {
    let known: Vec<&str> = spec
        .invariants
        .iter()
        .chain(&spec.action_properties)
        .map(|i| i.name.name.as_str())
        .chain(spec.properties.iter().map(|p| p.name.name.as_str()))
        .chain(spec.refines.iter().map(|r| r.name.name.as_str()))
        .collect();
    if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(format!(
            "--property {bad}: no invariant, action property, property or refinement of that name (the spec has: {})",
            known.join(", ")
        ));
    }
    let wanted = |n: &str| names.iter().any(|w| w == n);
    spec.invariants.retain(|i| wanted(&i.name.name));
    spec.action_properties.retain(|i| wanted(&i.name.name));
    spec.properties.retain(|p| wanted(&p.name.name));
    spec.refines.retain(|r| wanted(&r.name.name));
    Ok(())
}

/// A compiled spec and what the reports need besides.
struct Loaded {
    /// The lowered spec and the constant overrides it was compiled with
    /// (`dcheck explore` compiles expressions in its scope).
    spec: dcheck_syntax::ast::Spec,
    overrides: Vec<(String, String)>,
    sources: dcheck_syntax::span::SourceMap,
    model: dcheck_model::Model,
    procs: Option<dcheck_net::Processes>,
}

/// What to load: the spec and the options that shape its model.
struct LoadOptions<'a> {
    spec: &'a std::path::Path,
    /// What the loader may read.
    access: dcheck_syntax::load::Access,
    consts: &'a [String],
    network: Option<String>,
    faults: Option<String>,
    fairness: &'a [String],
    properties: &'a [String],
    /// Drop the temporal properties (`--invariants-only`).
    invariants_only: bool,
    /// Constants recorded in a trace: used for those the spec declares and
    /// `consts` does not set.
    recorded: Option<&'a dcheck_report::replay::RecordedTrace>,
    /// Compile every transition for its binding (see
    /// `dcheck_model::compile_with`); off for `check`.
    specialise: bool,
    /// Keep the spec's symmetry reduction (`--symmetry`).
    symmetry: bool,
    /// `--assume-progress`: check temporal properties under the progress
    /// assumption whatever the spec's `assume_progress` says.
    assume_progress: bool,
}

/// Load → lower → compile, with diagnostics on stderr; `Err(exit code)`.
fn load(o: LoadOptions) -> Result<Loaded, i32> {
    let spec = o.spec;
    load_quiet(o).map_err(|e| {
        eprint!("{}", e.render(spec, std::io::stderr().is_terminal()));
        exit::USAGE
    })
}

/// Load → lower → compile; `Err` holds the problems, not yet shown.
fn load_quiet(o: LoadOptions) -> Result<Loaded, SpecError> {
    let (mut sources, mut spec) = match dcheck_syntax::load::load_spec_with(o.spec, &o.access) {
        Ok(x) => x,
        Err((sources, diags)) => return Err(SpecError::new(&sources, &diags, &[])),
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
            return Err(SpecError::new(&sources, &diags, &[]));
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
        Err(e) => return Err(SpecError::new(&sources, &e.diagnostics, &e.usage)),
    };
    if !o.symmetry {
        spec.symmetry.clear();
    }
    if o.assume_progress {
        spec.assume_progress = true;
    }
    if !o.properties.is_empty() {
        if let Err(unknown) = select_properties(&mut spec, o.properties) {
            return Err(SpecError::new(&sources, &[], &[unknown]));
        }
    }
    if o.invariants_only {
        spec.properties.retain(dcheck_model::temporal::is_safety);
        // A refinement keeps its safety part; its liveness part is the
        // refined spec's fairness.
        for r in &mut spec.refines {
            r.spec.fairness.clear();
        }
    }
    let mut overrides = Vec::new();
    for c in o.consts {
        match c.split_once('=') {
            Some((n, v)) => overrides.push((n.trim().to_string(), v.trim().to_string())),
            None => {
                let mut e = SpecError::new(
                    &sources,
                    &[],
                    &[format!("--const {c}: expected NAME=VALUE")],
                );
                e.bare = true;
                return Err(e);
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
    let model = match dcheck_model::compile_with(&spec, &overrides, o.specialise) {
        Ok(m) => m,
        Err(e) => return Err(SpecError::new(&sources, &e.diagnostics, &e.usage)),
    };
    // Warnings do not stop the run: shown on stderr whatever the output.
    if !model.warnings.is_empty() {
        let color = std::io::stderr().is_terminal();
        eprint!(
            "{}",
            dcheck_syntax::render(&sources, &model.warnings, color)
        );
    }
    Ok(Loaded {
        spec,
        overrides,
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
        TraceFormat::Html => dcheck_report::html::report(model, sources, v, info, procs),
    })
}

impl TraceArgs {
    /// The counterexample's format: asked for, or the report's own.
    fn format(&self, report: Format) -> TraceFormat {
        self.trace_format.unwrap_or(match report {
            Format::Json => TraceFormat::Json,
            Format::Text => TraceFormat::Text,
        })
    }

    /// Refuses a machine-readable trace on stdout beside the JSON report.
    fn check_usage(&self, report: Format) -> Result<(), i32> {
        if report == Format::Json && self.trace_format.is_some() && self.trace_out.is_none() {
            eprintln!(
                "error: --trace-format with --format json needs --trace-out FILE (stdout holds the JSON report)"
            );
            return Err(exit::USAGE);
        }
        Ok(())
    }

    /// The plain-text style (no colour: files, JUnit) of the trace.
    fn plain(&self) -> dcheck_report::text::TraceStyle {
        dcheck_report::text::TraceStyle {
            color: false,
            full_states: self.full_states,
            width: self.columns(),
        }
    }

    /// The columns text output fits in: `--width`, else the terminal's
    /// when stdout is one, else 80.
    fn columns(&self) -> usize {
        match self.width {
            Some(w) => w as usize,
            None => terminal_columns(),
        }
    }

    /// Writes the counterexample to `--trace-out`, if asked and if there is
    /// one.
    fn write(
        &self,
        report: Format,
        loaded: &Loaded,
        outcome: &dcheck_engine::Outcome,
        info: &RunInfo,
    ) -> Result<(), i32> {
        let Some(path) = &self.trace_out else {
            return Ok(());
        };
        match render_trace(self.format(report), loaded, outcome, info, self.plain()) {
            Some(t) => write_file(path, &t),
            None => Ok(()),
        }
    }

    /// What a text report prints on stdout: the counterexample (coloured on
    /// a terminal) and then `summary`; with `--trace-out`, a line naming the
    /// file instead of the trace; with a machine-readable `--trace-format`,
    /// the trace alone (the summary goes to stderr).
    fn text_report(
        &self,
        loaded: &Loaded,
        outcome: &dcheck_engine::Outcome,
        info: &RunInfo,
        summary: &str,
    ) -> String {
        let format = self.format(Format::Text);
        let violated = matches!(outcome.result, dcheck_engine::Verdict::Violation(_));
        if let Some(path) = &self.trace_out {
            if !violated {
                return summary.to_string();
            }
            let name = format
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            return format!(
                "Counterexample written to {} ({name}).\n\n{summary}",
                path.display()
            );
        }
        if format == TraceFormat::Text {
            let style = dcheck_report::text::TraceStyle {
                color: anstream::AutoStream::choice(&std::io::stdout())
                    != anstream::ColorChoice::Never,
                ..self.plain()
            };
            return match render_trace(format, loaded, outcome, info, style) {
                Some(t) => t + "\n" + summary,
                None => summary.to_string(),
            };
        }
        // A machine-readable trace on stdout: the summary goes to stderr, so
        // that stdout is the trace alone.
        eprint!("{summary}");
        render_trace(format, loaded, outcome, info, self.plain()).unwrap_or_default()
    }
}

/// `dcheck explore`: the terminal UI of `dcheck-explore`, on this spec,
/// from its first initial state or along `--trace`.
fn explore(args: ExploreArgs) -> i32 {
    let recorded = match &args.trace {
        Some(p) => match read_trace(p, args.model.input.max_input_size) {
            Ok(t) => Some(t),
            Err(code) => return code,
        },
        None => None,
    };
    let loaded = match load(LoadOptions {
        recorded: recorded.as_ref(),
        symmetry: false,
        ..args.model.options()
    }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let start = match &recorded {
        None => None,
        Some(t) => {
            let r = dcheck_report::replay::replay(&loaded.model, &loaded.sources, t);
            if r.states.is_empty() {
                eprint!(
                    "{}",
                    dcheck_report::replay::text(
                        &r,
                        &args
                            .trace
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        &args.model.spec.display().to_string(),
                    )
                );
                eprintln!(
                    "error: the trace does not replay against the spec: nothing to explore along"
                );
                return exit::USAGE;
            }
            let mut steps: Vec<dcheck_explore::Step> = vec![(None, r.states[0].clone())];
            steps.extend(
                r.taken
                    .iter()
                    .zip(&r.states[1..])
                    .map(|(t, s)| (Some(*t), s.clone())),
            );
            Some(steps)
        }
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!("error: dcheck explore needs a terminal (stdin and stdout); for a file, use dcheck replay --trace-format");
        return exit::USAGE;
    }
    let explorer = match dcheck_explore::Explorer::new(&loaded.model, &loaded.sources, start) {
        Ok(e) => e,
        Err(m) => {
            eprintln!("error: {m}");
            return exit::USAGE;
        }
    };
    let mut sources = loaded.sources.clone();
    let (spec, overrides) = (&loaded.spec, &loaded.overrides);
    let mut eval = |text: &str, state: &[dcheck_model::system::Word]| -> Result<String, String> {
        let file = sources.add("expression".into(), text.to_string());
        let first = |d: Vec<dcheck_syntax::diag::Diagnostic>| {
            d.into_iter()
                .find(|d| !d.warning)
                .map_or_else(|| "not an expression".to_string(), |d| d.message)
        };
        let expr = dcheck_syntax::parser::parse_expr(file, text).map_err(first)?;
        let probe = dcheck_model::compile_probe(spec, overrides, &expr).map_err(|e| {
            e.usage
                .first()
                .cloned()
                .unwrap_or_else(|| first(e.diagnostics))
        })?;
        probe
            .eval(state)
            .map(|v| v.to_string())
            .map_err(|e| e.message)
    };
    match dcheck_explore::run(explorer, &mut eval) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: the terminal: {e}");
            exit::USAGE
        }
    }
}

/// `dcheck replay --trace-format F`: the replayed counterexample in format
/// F, on `--trace-out` or stdout; the verdict text goes to stderr.
fn replay_trace(
    args: &ReplayArgs,
    format: TraceFormat,
    loaded: &Loaded,
    trace: &dcheck_report::replay::RecordedTrace,
    r: &dcheck_report::replay::Replay,
) -> i32 {
    let verdict = dcheck_report::replay::text(
        r,
        &args.trace.display().to_string(),
        &args.model.spec.display().to_string(),
    );
    let Some(v) = dcheck_report::replay::violation(&loaded.model, trace, r) else {
        eprint!("{verdict}");
        eprintln!(
            "error: nothing to write: the trace did not replay as a counterexample of this spec"
        );
        return exit::USAGE;
    };
    let outcome = dcheck_engine::Outcome {
        result: dcheck_engine::Verdict::Violation(v),
        stats: Default::default(),
        liveness: Vec::new(),
        coverage: Vec::new(),
    };
    let info = RunInfo {
        spec_path: args.model.spec.display().to_string(),
        strategy: "replay",
        threads: 1,
        default_memory: None,
        checkpoint: None,
        resumed: false,
        check_deadlock: true,
    };
    let style = dcheck_report::text::TraceStyle {
        color: false,
        full_states: false,
        width: args.width.map_or_else(terminal_columns, |w| w as usize),
    };
    let text = render_trace(format, loaded, &outcome, &info, style).unwrap_or_default();
    eprint!("{verdict}");
    let written = match &args.trace_out {
        Some(path) => write_file(path, &text),
        None => {
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
            Ok(())
        }
    };
    match written {
        Ok(()) => r.exit_code(),
        Err(code) => code,
    }
}

/// The width of the terminal on stdout, or 80 when stdout is not one.
fn terminal_columns() -> usize {
    match terminal_size::terminal_size_of(std::io::stdout()) {
        Some((terminal_size::Width(w), _)) if w >= 40 => w as usize,
        _ => 80,
    }
}

/// What `run_spec` prints on stdout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// The report of a single-spec run, exactly.
    Full,
    /// Nothing: the caller prints the verdict line (`--quiet`).
    Quiet,
    /// Nothing: the JSON report is kept for the array of several specs.
    Collect,
}

/// How the check of one spec ended: for the verdict line, the JUnit report,
/// the JSON array and the exit code.
struct SpecRun {
    path: PathBuf,
    code: i32,
    seconds: f64,
    /// `None` for a spec error.
    distinct_states: Option<u64>,
    /// `ok`, `violation`, `incomplete` or `error`.
    verdict: &'static str,
    /// What was violated, which limit stopped the search, or how many
    /// problems the spec has.
    detail: Option<String>,
    case: dcheck_report::junit::Case,
    json: Option<serde_json::Value>,
}

impl SpecRun {
    /// The run of a spec that has problems (or was given options that do
    /// not fit it): printed on stderr, exit 2.
    fn spec_error(
        spec: &Path,
        stem: String,
        e: &SpecError,
        started: std::time::Instant,
    ) -> SpecRun {
        use dcheck_report::junit::{Case, CaseResult};
        eprint!("{}", e.render(spec, std::io::stderr().is_terminal()));
        let problems = format!("{} problem(s)", e.count().max(1));
        SpecRun {
            path: spec.to_path_buf(),
            code: exit::USAGE,
            seconds: started.elapsed().as_secs_f64(),
            distinct_states: None,
            verdict: "error",
            detail: Some(problems.clone()),
            case: Case {
                classname: spec.display().to_string(),
                name: stem,
                seconds: started.elapsed().as_secs_f64(),
                result: CaseResult::Error {
                    message: format!("{problems} in {}", spec.display()),
                    text: e.render(spec, false),
                },
            },
            json: Some(serde_json::json!({
                "schema_version": 1,
                "file": spec.display().to_string(),
                "result": "error",
                "diagnostics": e.json(spec),
            })),
        }
    }

    /// `PATH: VERDICT (DETAIL), N distinct states, T s`.
    fn line(&self) -> String {
        let mut s = format!("{}: {}", self.path.display(), self.verdict);
        if let Some(d) = &self.detail {
            s += &format!(" ({d})");
        }
        if let Some(n) = self.distinct_states {
            s += &format!(", {n} distinct states");
        }
        s + &format!(", {:.3} s", self.seconds)
    }
}

/// Writes to stdout; a closed pipe (`dcheck run ... | head`) is not an error
/// of the check: the exit code still reports the verdict.
fn print_out(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
}

/// The spec files the arguments name: a file as given; a folder as the
/// `.ron` files directly in it (with `recursive`, in its subfolders too),
/// sorted by path.
fn expand_specs(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let p = entry.path();
            if p.is_dir() {
                // Subfolders reached through a symbolic link are not
                // entered (a link cycle would never end).
                let real_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if recursive && real_dir {
                    walk(&p, recursive, &mut found)?;
                }
            } else if p.extension().is_some_and(|e| e == "ron") {
                found.push(p);
            }
        }
        found.sort();
        out.extend(found);
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            walk(p, recursive, &mut out)?;
            if out.len() == before {
                return Err(format!(
                    "no .ron file in {}{}",
                    p.display(),
                    if recursive { " or its subfolders" } else { "" }
                ));
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The worst of two exit codes: 130 (interrupted) > 2 (a spec could not
/// be checked) > 1 (a violation) > 3 (incomplete) > 0.
fn worst(a: i32, b: i32) -> i32 {
    let rank = |c: i32| match c {
        exit::OK => 0,
        exit::INCOMPLETE => 1,
        exit::VIOLATION => 2,
        exit::INTERRUPTED => 4,
        _ => 3,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
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
    if let Err(code) = args.trace.check_usage(args.format) {
        return code;
    }
    let loaded = match load(args.model.options()) {
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
        default_memory: None,
        checkpoint: None,
        resumed: false,
        check_deadlock: !args.no_deadlock,
    };
    let sim = dcheck_engine::simulate::simulate(model, &config);
    if let Err(code) = args.trace.write(args.format, &loaded, &sim.outcome, &info) {
        return code;
    }
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
            let summary = dcheck_report::text::fit(
                &dcheck_report::simulate::summary(model, &sim, &config, &info),
                args.trace.columns(),
            );
            args.trace
                .text_report(&loaded, &sim.outcome, &info, &summary)
        }
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    dcheck_report::exit_code(&sim.outcome)
}

fn run(args: RunArgs) -> i32 {
    if let Err(code) = args.trace.check_usage(args.format) {
        return code;
    }
    if args.quiet && args.format == Format::Json {
        eprintln!(
            "error: --quiet prints text verdict lines; it cannot be combined with --format json"
        );
        return exit::USAGE;
    }
    // One spec file: the report as it has always been.
    let single = args.specs.len() == 1 && !args.specs[0].is_dir();
    let specs = match expand_specs(&args.specs, args.recursive) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("error: {m}");
            return exit::USAGE;
        }
    };
    if specs.len() > 1 && (args.checkpoint.is_some() || args.resume.is_some()) {
        eprintln!(
            "error: --checkpoint and --resume save or continue one search: give a single spec ({} were given)",
            specs.len()
        );
        return exit::USAGE;
    }
    if specs.len() > 1 && args.trace.trace_out.is_some() {
        eprintln!(
            "error: --trace-out writes one counterexample: give it a single spec ({} were given)",
            specs.len()
        );
        return exit::USAGE;
    }
    let shown = if args.quiet {
        Shown::Quiet
    } else if single || args.format == Format::Text {
        Shown::Full
    } else {
        Shown::Collect
    };
    // A distributed run's processes other than 0 leave every report
    // (text, JSON, JUnit) to process 0.
    let follower = args.hosts.is_some() && args.process.is_some_and(|p| p != 0);
    let mut runs = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if shown == Shown::Full && !single && !follower {
            print_out(&format!(
                "{}=== {}\n",
                if i > 0 { "\n" } else { "" },
                spec.display()
            ));
        }
        let r = run_spec(&args, spec, shown);
        if shown == Shown::Quiet {
            print_out(&(r.line() + "\n"));
        }
        let interrupted = r.code == exit::INTERRUPTED;
        runs.push(r);
        // The specs after an interrupted one are not started.
        if interrupted {
            break;
        }
    }
    if shown == Shown::Collect && !follower {
        let all: Vec<serde_json::Value> = runs.iter_mut().filter_map(|r| r.json.take()).collect();
        print_out(&(serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"));
    }
    if shown == Shown::Full && !single && !follower {
        let lines: String = runs.iter().map(|r| r.line() + "\n").collect();
        print_out(&format!("\n=== {} spec(s)\n{lines}", runs.len()));
    }
    let mut code = runs.iter().fold(exit::OK, |c, r| worst(c, r.code));
    if let Some(path) = args.junit.as_ref().filter(|_| !follower) {
        let cases: Vec<_> = runs.iter().map(|r| r.case.clone()).collect();
        if let Err(c) = write_file(path, &dcheck_report::junit::report(&cases)) {
            code = worst(code, c);
        }
    }
    code
}

/// The identity a checkpoint records: a hash of every source file the
/// spec was loaded from and of the options that shape its state space or
/// what is checked (not the limits, the threads or the output).
fn checkpoint_identity(args: &RunArgs, sources: &dcheck_syntax::span::SourceMap) -> u64 {
    let mut consts = args.consts.clone();
    consts.sort();
    let mut parts: Vec<String> = sources.files.iter().map(|f| f.text.clone()).collect();
    parts.push(format!(
        "consts {consts:?} network {:?} faults {:?} properties {:?} fairness {:?} deadlock {}{}{}",
        args.network,
        args.faults,
        args.properties,
        args.fairness,
        !args.no_deadlock,
        if args.symmetry == OnOff::Off {
            " symmetry off"
        } else {
            ""
        },
        if args.invariants_only {
            " invariants only"
        } else {
            ""
        }
    ));
    dcheck_engine::checkpoint::identity(parts.iter().map(String::as_bytes))
}

/// The checkpoints to write and the search to continue, as `--checkpoint`,
/// `--checkpoint-every` and `--resume` say; `Err` with the message of a
/// usage error.
fn checkpointing(
    args: &RunArgs,
    model: &dcheck_model::Model,
    config: &Config,
    identity: u64,
) -> Result<
    (
        Option<dcheck_engine::checkpoint::Checkpointing>,
        Option<dcheck_engine::checkpoint::Snapshot>,
    ),
    String,
> {
    let path = args.checkpoint.clone().or_else(|| args.resume.clone());
    let Some(path) = path else {
        return Ok((None, None));
    };
    if config.strategy != Strategy::Bfs {
        return Err("checkpoints are written by the BFS only: drop --strategy dfs".into());
    }
    // A distributed run's workers read and write their own files
    // (`FILE.workerK`), under the identity its processes share.
    if let Some(cluster) = &config.cluster {
        return Ok((
            Some(dcheck_engine::checkpoint::Checkpointing {
                path,
                every: args.checkpoint_every,
                identity: cluster.checkpoint_identity,
            }),
            None,
        ));
    }
    let snap = match &args.resume {
        None => None,
        Some(file) => {
            let distributed = dcheck_engine::checkpoint::part_path(file, 0);
            let snap = dcheck_engine::checkpoint::read(file).map_err(|e| {
                match distributed.exists() && !file.exists() {
                    true => format!(
                        "cannot resume from {}: it was written by a distributed run ({} is there): resume with the same --workers (and --hosts)",
                        file.display(),
                        distributed.display()
                    ),
                    false => format!("cannot resume from {}: {e}", file.display()),
                }
            })?;
            if snap.part.is_some() {
                return Err(format!(
                    "cannot resume from {}: it is one worker's part of a distributed run's checkpoint: resume with the same --workers (and --hosts) and --resume FILE without its .workerK",
                    file.display()
                ));
            }
            snap.fits(model, identity)
                .map_err(|why| format!("cannot resume from {}: {why}", file.display()))?;
            Some(snap)
        }
    };
    Ok((
        Some(dcheck_engine::checkpoint::Checkpointing {
            path,
            every: args.checkpoint_every,
            identity,
        }),
        snap,
    ))
}

/// Loads and checks one spec; prints its report as `shown` says.
fn run_spec(args: &RunArgs, spec: &Path, shown: Shown) -> SpecRun {
    use dcheck_report::junit::{Case, CaseResult};
    let started = std::time::Instant::now();
    let stem = spec
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let loaded = match load_quiet(LoadOptions {
        spec,
        access: args.input.access(),
        consts: &args.consts,
        network: args.network.clone(),
        faults: args.faults.clone(),
        fairness: &args.fairness,
        properties: &args.properties,
        invariants_only: args.invariants_only,
        recorded: None,
        specialise: true,
        symmetry: args.symmetry == OnOff::On,
        assume_progress: args.assume_progress,
    }) {
        Ok(l) => l,
        Err(e) => return SpecRun::spec_error(spec, stem, &e, started),
    };
    let model = &loaded.model;
    let threads = default_threads(args.threads);
    // Without --max-memory, a search stops before it uses 90% of the
    // memory available to the process.
    let budget = match args.max_memory {
        None => dcheck_engine::memory::default_budget(threads),
        Some(_) => None,
    };
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
        memory_budget: budget.map(|(bytes, _)| bytes),
        max_time: args.max_time,
        checkpoint: None,
        general_liveness: args.temporal_path == TemporalPath::General,
        store: match &args.store {
            StoreArg::Memory => Store::Memory,
            StoreArg::Auto => Store::Auto(std::env::temp_dir()),
            StoreArg::Disk(dir) => Store::Disk(dir.clone()),
        },
        cluster: None,
    };
    if let Some(message) = store_refusal(args, model) {
        let e = SpecError::new(&loaded.sources, &[], &[message]);
        return SpecRun::spec_error(spec, stem, &e, started);
    }
    let identity = checkpoint_identity(args, &loaded.sources);
    let mut config = config;
    match cluster(args, model, identity) {
        Ok(c) => config.cluster = c,
        Err(message) => {
            let e = SpecError::new(&loaded.sources, &[], &[message]);
            return SpecRun::spec_error(spec, stem, &e, started);
        }
    }
    let resumed = match checkpointing(args, model, &config, identity) {
        Ok((cp, snap)) => {
            config.checkpoint = cp;
            snap
        }
        Err(message) => {
            let e = SpecError::new(&loaded.sources, &[], &[message]);
            return SpecRun::spec_error(spec, stem, &e, started);
        }
    };
    let info = RunInfo {
        spec_path: spec.display().to_string(),
        strategy: match config.strategy {
            Strategy::Bfs => "bfs",
            Strategy::Dfs => "dfs",
        },
        // A DFS with a view or a symmetry runs on one thread (the engine
        // decides; the report says what ran).
        threads: match config.strategy {
            Strategy::Dfs if dcheck_model::system::TransitionSystem::view_words(model) > 0 => 1,
            _ => threads,
        },
        default_memory: budget.map(|(bytes, source)| {
            (
                if bytes >= 1 << 30 {
                    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
                } else {
                    format!("{} MiB", bytes >> 20)
                },
                format!(
                    "{:.0}% of {}",
                    dcheck_engine::memory::DEFAULT_SHARE * 100.0,
                    source.describe()
                ),
            )
        }),
        checkpoint: config
            .checkpoint
            .as_ref()
            .map(|c| c.path.display().to_string()),
        resumed: resumed.is_some() || config.cluster.as_ref().is_some_and(|c| c.resume.is_some()),
        check_deadlock: config.check_deadlock,
    };
    let progress = Progress::new();
    // A distributed run's other processes leave the progress, the report
    // and the trace files to process 0.
    let follower = config
        .cluster
        .as_ref()
        .filter(|c| c.process != 0 && !c.hosts.is_empty())
        .map(|c| (c.process, c.hosts.len()));
    let show = std::io::stdout().is_terminal()
        && args.format == Format::Text
        && shown == Shown::Full
        && follower.is_none();
    let outcome = dcheck_report::progress::with_progress(&progress, show, || match resumed {
        Some(snap) => dcheck_engine::resume(model, &config, &progress, snap),
        None => dcheck_engine::check(model, &config, &progress),
    });
    let mut summary = dcheck_report::text::summary(model, &loaded.sources, &outcome, &info);
    if args.coverage {
        summary += &dcheck_report::text::coverage_table(model, &outcome, args.trace.columns());
    }
    let summary = dcheck_report::text::fit(&summary, args.trace.columns());
    let mut code = dcheck_report::exit_code(&outcome);
    // What the verdict line and the JUnit report say.
    let (verdict, detail, result) = match &outcome.result {
        dcheck_engine::Verdict::Ok => ("ok", None, CaseResult::Passed),
        dcheck_engine::Verdict::Violation(v) => {
            let property = dcheck_report::violated_property(model, &v.kind);
            let (kind, what) = match &v.kind {
                dcheck_engine::ViolationKind::Invariant(_) => {
                    ("invariant", format!("invariant {property}"))
                }
                dcheck_engine::ViolationKind::Deadlock => ("deadlock", "deadlock".to_string()),
                dcheck_engine::ViolationKind::EvalError(_) => {
                    ("evaluation", "evaluation error".to_string())
                }
                dcheck_engine::ViolationKind::Liveness(c) => {
                    match model.check_info[*c as usize].refined {
                        Some(_) => ("liveness", format!("refinement {property} (its fairness)")),
                        None => ("liveness", format!("property {property}")),
                    }
                }
                dcheck_engine::ViolationKind::ActionProperty(_) => {
                    ("action", format!("action property {property}"))
                }
                dcheck_engine::ViolationKind::Refinement(_) => {
                    ("refinement", format!("refinement {property}"))
                }
            };
            let trace = render_trace(
                TraceFormat::Text,
                &loaded,
                &outcome,
                &info,
                args.trace.plain(),
            )
            .unwrap_or_default();
            (
                "violation",
                Some(what),
                CaseResult::Failure {
                    kind: kind.to_string(),
                    message: summary.lines().next().unwrap_or_default().to_string(),
                    text: trace + "\n" + &summary,
                },
            )
        }
        dcheck_engine::Verdict::Incomplete(l) => (
            "incomplete",
            Some(dcheck_report::limit_name(*l).to_string()),
            CaseResult::Failure {
                kind: "incomplete".to_string(),
                message: summary.lines().next().unwrap_or_default().to_string(),
                text: summary.clone(),
            },
        ),
    };
    // The counterexample file, if asked for: written before the summary.
    if follower.is_none() {
        if let Err(c) = args.trace.write(args.format, &loaded, &outcome, &info) {
            code = c;
        }
    }
    let json = || {
        let mut j = dcheck_report::json::report(
            model,
            &loaded.sources,
            &outcome,
            &info,
            config.check_deadlock,
        );
        dcheck_report::json::add_events(&mut j, model, &outcome, loaded.procs.as_ref());
        j
    };
    let mut kept = None;
    if let (Some((process, processes)), true) = (follower, code != exit::USAGE) {
        eprintln!(
            "dcheck: process {process} of {processes}: {verdict} ({} distinct states){}; the report is process 0's",
            outcome.stats.distinct_states,
            outcome
                .stats
                .peer_error
                .as_ref()
                .map_or(String::new(), |e| format!(": {e}"))
        );
    } else if code != exit::USAGE {
        match shown {
            Shown::Quiet => {}
            Shown::Collect => kept = Some(json()),
            Shown::Full => {
                let text = match args.format {
                    Format::Json => {
                        serde_json::to_string_pretty(&json()).unwrap_or_default() + "\n"
                    }
                    Format::Text => args.trace.text_report(&loaded, &outcome, &info, &summary),
                };
                print_out(&text);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    SpecRun {
        path: spec.to_path_buf(),
        code,
        seconds,
        distinct_states: Some(outcome.stats.distinct_states),
        verdict,
        detail,
        case: Case {
            classname: spec.display().to_string(),
            name: model.name.clone(),
            seconds,
            result,
        },
        json: kept,
    }
}

/// `dcheck check`: load, lower and compile (type-check) each spec, no
/// exploration.
fn check(args: CheckArgs) -> i32 {
    let specs = match expand_specs(&args.specs, args.recursive) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("error: {m}");
            return exit::USAGE;
        }
    };
    let color = std::io::stderr().is_terminal();
    let mut code = exit::OK;
    let mut all = Vec::new();
    for spec in &specs {
        let result = load_quiet(LoadOptions {
            spec,
            access: args.input.access(),
            consts: &args.consts,
            network: None,
            faults: None,
            fairness: &[],
            properties: &[],
            invariants_only: false,
            recorded: None,
            specialise: false,
            symmetry: true,
            assume_progress: false,
        });
        let path = spec.display().to_string();
        match (&result, args.format) {
            (Ok(l), Format::Json) => all.push(serde_json::json!({
                "spec": path, "name": l.model.name, "ok": true, "diagnostics": [],
            })),
            (Err(e), Format::Json) => all.push(serde_json::json!({
                "spec": path, "name": null, "ok": false, "diagnostics": e.json(spec),
            })),
            (Ok(_), Format::Text) => print_out(&format!("ok {path}\n")),
            (Err(e), Format::Text) => eprint!("{}", e.render(spec, color)),
        }
        if result.is_err() {
            code = exit::USAGE;
        }
    }
    if args.format == Format::Json {
        print_out(&(serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"));
    }
    code
}

fn graph(args: GraphArgs) -> i32 {
    let loaded = match load(args.model.options()) {
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
        Err(dcheck_engine::graph::GraphError::Stopped(limit)) => {
            eprintln!(
                "error: stopped before the graph was complete: {}",
                dcheck_report::limit_name(limit)
            );
            match limit {
                dcheck_engine::Limit::Interrupted => exit::INTERRUPTED,
                _ => exit::INCOMPLETE,
            }
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

/// Reads and parses a saved trace (JSON report, JSON trace or ITF), or
/// says why not (usage exit code).
fn read_trace(
    path: &std::path::Path,
    max_input_size: u64,
) -> Result<dcheck_report::replay::RecordedTrace, i32> {
    use dcheck_syntax::load::NotText;
    let text = match dcheck_syntax::load::read_input(path, max_input_size) {
        Ok(text) => text,
        Err(NotText::Binary | NotText::Encoding { .. }) => {
            eprintln!(
                "error: malformed trace: {} is not a text file (not UTF-8); expected a dcheck JSON report, JSON trace or ITF trace",
                path.display()
            );
            return Err(exit::USAGE);
        }
        Err(NotText::Refused(why)) => {
            eprintln!("error: cannot read {}: {why}", path.display());
            return Err(exit::USAGE);
        }
        Err(NotText::Io(e)) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return Err(exit::USAGE);
        }
    };
    dcheck_report::replay::parse(&text).map_err(|m| malformed_trace(path, &text, &m))
}

fn replay(args: ReplayArgs) -> i32 {
    let trace = match read_trace(&args.trace, args.model.input.max_input_size) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let loaded = match load(LoadOptions {
        recorded: Some(&trace),
        assume_progress: args.assume_progress,
        ..args.model.options()
    }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let r = dcheck_report::replay::replay(&loaded.model, &loaded.sources, &trace);
    if let Some(format) = args.trace_format {
        return replay_trace(&args, format, &loaded, &trace, &r);
    }
    let out = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&dcheck_report::replay::json(&r)).unwrap_or_default()
                + "\n"
        }
        Format::Text => dcheck_report::text::fit(
            &dcheck_report::replay::text(
                &r,
                &args.trace.display().to_string(),
                &args.model.spec.display().to_string(),
            ),
            args.width.map_or_else(terminal_columns, |w| w as usize),
        ),
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    r.exit_code()
}
