//! The command line: the clap definitions of every subcommand and flag,
//! and the parsers of their values (sizes, stores). Plain data: what the
//! commands do with them is in the crate root.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::LoadOptions;

#[derive(Parser)]
#[command(
    name = "dcheck",
    version,
    about = "Model checker for distributed-protocol specifications",
    // Help wraps to the terminal, at most 80 columns (also when piped).
    max_term_width = 80
)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// A switch: `on` or `off`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnOff {
    On,
    Off,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Explore every reachable state of one or more specs and check their
    /// properties. Several specs or a folder: each is reported in turn and
    /// the exit code is the worst (2 > 1 > 3 > 0).
    Run(Box<RunArgs>),
    /// Parse, lower and type-check specs without exploring them. Exit 0:
    /// every spec is fine; 2: at least one has an error.
    Check(CheckArgs),
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
    /// Walk a spec's state space by hand in a terminal UI, from an initial
    /// state or along a saved counterexample (--trace): the state, what
    /// changed, every enabled transition (Enter takes one, Left goes back),
    /// the invariants, and expressions evaluated in the current state (e).
    /// Needs a terminal; 80x24 is enough.
    Explore(ExploreArgs),
}

/// How the counterexample is written (`--trace-format`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormat {
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
    /// A self-contained HTML page: steps, a table of every variable, the
    /// Messages chart, keyboard navigation.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum StrategyArg {
    Bfs,
    Dfs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct RunArgs {
    /// The spec files (.ron), or folders: every `.ron` file directly in a
    /// folder, sorted by name (`--recursive`: in its subfolders too).
    #[arg(required = true, value_name = "SPEC")]
    pub(crate) specs: Vec<PathBuf>,
    /// Folders: take the `.ron` files of their subfolders too.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Print only one verdict line per spec (path, verdict, distinct
    /// states, time) on stdout; spec errors still go to stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Also write a JUnit XML report to FILE: one testcase per spec.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Override a constant: NAME=VALUE (repeatable).
    #[arg(long = "const", value_name = "NAME=VALUE")]
    pub(crate) consts: Vec<String>,
    /// Worker threads (default: all cores; at most 256).
    #[arg(long, value_parser = parse_threads)]
    pub(crate) threads: Option<usize>,
    /// Search order: bfs gives shortest counterexamples.
    #[arg(long, value_enum, default_value = "bfs")]
    pub(crate) strategy: StrategyArg,
    /// Distributed BFS (timely dataflow): N workers in this process, each
    /// owning the states whose fingerprint it is given; with --hosts, N in
    /// every process; each worker is one thread (--threads does not
    /// apply). Invariants only; the same counts, verdict and trace as a
    /// search in one process (see docs/distributed.md).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub(crate) workers: Option<usize>,
    /// The processes of a distributed run: a file with one `host:port` a
    /// line, in process order (blank lines and `#` comments skipped).
    /// Each process listens on its own line only. Needs --process.
    #[arg(long, value_name = "FILE", requires = "process")]
    pub(crate) hosts: Option<PathBuf>,
    /// This process's line of --hosts, from 0. Every process runs the same
    /// command but for --process; process 0 prints the report.
    #[arg(long, value_name = "I", requires = "hosts")]
    pub(crate) process: Option<usize>,
    /// How long a worker of a distributed run waits for the others (to
    /// connect, or to finish a round: a batch of work, a checkpoint's
    /// write) before it ends the run (exit 3). A process that dies is
    /// noticed at once; this bounds one that hangs.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = humantime::parse_duration)]
    pub(crate) peer_timeout: std::time::Duration,
    /// Do not report states without enabled actions as deadlocks.
    #[arg(long)]
    pub(crate) no_deadlock: bool,
    /// Stop (exit 3) after this many distinct states.
    #[arg(long, value_name = "N")]
    pub(crate) max_states: Option<u64>,
    /// Do not explore beyond this depth (exit 3 if states were cut off).
    #[arg(long, value_name = "N")]
    pub(crate) max_depth: Option<u32>,
    /// Keep the search's memory under this (e.g. 512M, 4G): a BFS moves to
    /// disk there (--store auto), other searches stop (exit 3).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_memory: Option<u64>,
    /// Where the BFS keeps its fingerprints, parent links and frontier:
    /// `memory`; `auto` (memory, moving to a fresh directory under the
    /// system's temporary directory when --max-memory or the default limit
    /// would stop the search); `disk:DIR` (files in a fresh directory
    /// under DIR from the start; invariants only). The store's directory
    /// is removed at the end.
    #[arg(long, value_name = "STORE", default_value = "auto", value_parser = parse_store)]
    pub(crate) store: StoreArg,
    /// Stop (exit 3) once the search has run this long (e.g. 30s, 10m, 2h),
    /// after writing the --checkpoint if one is asked for.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) max_time: Option<std::time::Duration>,
    /// Network semantics, overriding the spec's: a comma-separated list of
    /// unordered | fifo, lossy, duplicating (e.g. `unordered,lossy`).
    #[arg(long, value_name = "LIST")]
    pub(crate) network: Option<String>,
    /// Fault model, overriding the spec's: e.g. `crash=1`.
    #[arg(long, value_name = "LIST")]
    pub(crate) faults: Option<String>,
    /// The spec's symmetry reduction (`symmetry`): `off` explores every
    /// state instead of one per orbit (counts are then the unreduced ones).
    #[arg(long, value_enum, default_value = "on")]
    pub(crate) symmetry: OnOff,
    /// Check only this invariant or temporal property (repeatable); the
    /// others are ignored. Deadlock checking is set by --no-deadlock.
    #[arg(long = "property", value_name = "NAME")]
    pub(crate) properties: Vec<String>,
    /// Check the invariants (and `always` properties) but no temporal
    /// property: the spec's symmetry then applies (a run that checks
    /// temporal properties explores every state).
    #[arg(long)]
    pub(crate) invariants_only: bool,
    /// Check temporal properties assuming the system keeps taking steps
    /// while one that changes the state is enabled, as if the spec said
    /// `assume_progress: true`; without it a behaviour may stop in any
    /// state unless fairness forbids it (TLA+'s stuttering semantics).
    #[arg(long)]
    pub(crate) assume_progress: bool,
    /// How `eventually P`, `always eventually P`, `eventually always P`
    /// and `P leads_to Q` are checked: `auto` by their direct algorithm,
    /// `general` through the automaton of the negated formula as every
    /// other shape is (a cross-check: same verdicts).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) temporal_path: TemporalPath,
    /// Fairness assumption replacing the spec's and every property's own
    /// (repeatable; e.g. `weak each Tick`, `strong delivery`); `none`: no
    /// fairness.
    #[arg(long, value_name = "FAIRNESS")]
    pub(crate) fairness: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) trace: TraceArgs,
    /// Text summary: add a table of every action's coverage (states in
    /// which it is enabled, successors it generated); JSON always has it.
    #[arg(long)]
    pub(crate) coverage: bool,
    /// Save the search to FILE (atomically) every --checkpoint-every, and
    /// when it stops at a limit or on Ctrl-C; continue it with --resume.
    /// BFS only.
    #[arg(long, value_name = "FILE")]
    pub(crate) checkpoint: Option<PathBuf>,
    /// How often to write the checkpoint (e.g. 30s, 10m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub(crate) checkpoint_every: std::time::Duration,
    /// Continue the search saved in FILE (same spec, constants and
    /// options; limits may differ); checkpoints keep going to FILE unless
    /// --checkpoint names another.
    #[arg(long, value_name = "FILE")]
    pub(crate) resume: Option<PathBuf>,
}

/// `--store`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoreArg {
    Memory,
    Auto,
    Disk(PathBuf),
}

pub(crate) fn parse_store(s: &str) -> Result<StoreArg, String> {
    match s {
        "memory" => Ok(StoreArg::Memory),
        "auto" => Ok(StoreArg::Auto),
        _ => match s.strip_prefix("disk:") {
            Some(dir) if !dir.is_empty() => Ok(StoreArg::Disk(PathBuf::from(dir))),
            _ => Err("expected memory, auto or disk:DIR (e.g. disk:/var/tmp)".into()),
        },
    }
}

/// `--temporal-path`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TemporalPath {
    Auto,
    General,
}

/// How a counterexample is shown: shared by `run` and `simulate`.
#[derive(Args)]
pub(crate) struct TraceArgs {
    /// Format of the counterexample (default: text, or json with
    /// `--format json --trace-out FILE`).
    #[arg(long, value_enum)]
    pub(crate) trace_format: Option<TraceFormat>,
    /// Write the counterexample to FILE instead of stdout; the summary still
    /// goes to the terminal.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace_out: Option<PathBuf>,
    /// Text trace: show every variable in every state (changed ones marked
    /// `*`), not only what changed.
    #[arg(long)]
    pub(crate) full_states: bool,
    /// Fit the text output in N columns (default: the terminal's width, or
    /// 80 when stdout is not a terminal).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub(crate) width: Option<u16>,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The spec files (.ron), or folders (every `.ron` file directly in a
    /// folder, sorted; `--recursive`: in its subfolders too).
    #[arg(required = true, value_name = "SPEC")]
    pub(crate) specs: Vec<PathBuf>,
    /// Folders: take the `.ron` files of their subfolders too.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Override a constant: NAME=VALUE (repeatable), as for `run`: the
    /// spec is compiled with that value.
    #[arg(long = "const", value_name = "NAME=VALUE")]
    pub(crate) consts: Vec<String>,
    /// Output format: text (`ok SPEC` on stdout, diagnostics on stderr) or
    /// json (one array on stdout: `[{spec, ok, diagnostics}]`).
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// What the loader may read (see docs/security.md).
#[derive(Args, Clone)]
pub(crate) struct InputArgs {
    /// Files a spec names (`extends`) must be inside DIR (after following
    /// symbolic links); default: the spec's enclosing git work tree, else
    /// its directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) spec_root: Option<PathBuf>,
    /// Refuse input files (specs, traces) larger than this (e.g. 64M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16M")]
    pub(crate) max_input_size: u64,
}

impl InputArgs {
    pub(crate) fn access(&self) -> dcheck_syntax::load::Access {
        dcheck_syntax::load::Access {
            root: self.spec_root.clone(),
            max_size: self.max_input_size,
        }
    }
}

/// The spec and the options that change which model it compiles to.
#[derive(Args)]
pub(crate) struct ModelArgs {
    /// The spec file (.ron).
    pub(crate) spec: PathBuf,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Override a constant: NAME=VALUE (repeatable).
    #[arg(long = "const", value_name = "NAME=VALUE")]
    pub(crate) consts: Vec<String>,
    /// Network semantics, overriding the spec's (see `dcheck help run`).
    #[arg(long, value_name = "LIST")]
    pub(crate) network: Option<String>,
    /// Fault model, overriding the spec's (see `dcheck help run`).
    #[arg(long, value_name = "LIST")]
    pub(crate) faults: Option<String>,
    /// The spec's symmetry reduction (see `dcheck help run`).
    #[arg(long, value_enum, default_value = "on")]
    pub(crate) symmetry: OnOff,
}

impl ModelArgs {
    /// The load options these arguments give: the spec's own fairness and
    /// properties, its symmetry unless `--symmetry off`; callers change
    /// what differs with `..` (a recorded trace, the progress assumption).
    pub(crate) fn options(&self) -> LoadOptions<'_> {
        LoadOptions {
            spec: &self.spec,
            access: self.input.access(),
            consts: &self.consts,
            network: self.network.clone(),
            faults: self.faults.clone(),
            fairness: &[],
            properties: &[],
            invariants_only: false,
            recorded: None,
            specialise: true,
            symmetry: self.symmetry == OnOff::On,
            assume_progress: false,
        }
    }
}

#[derive(Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Refuse (exit 2) specs with more reachable states than this.
    #[arg(long, value_name = "N", default_value = "1000")]
    pub(crate) max_states: usize,
}

#[derive(Args)]
pub(crate) struct ExploreArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Start along this saved counterexample: a JSON report, JSON trace or
    /// ITF trace, as `dcheck replay` reads them.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// The saved trace: a JSON report (`--format json`), a JSON trace
    /// (`--trace-format json`) or an ITF trace (`--trace-format itf`).
    pub(crate) trace: PathBuf,
    /// Fit the text output in N columns (default: the terminal's width, or
    /// 80 when stdout is not a terminal).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub(crate) width: Option<u16>,
    /// Judge a lasso under the progress assumption, as `dcheck run
    /// --assume-progress` checked it (see `dcheck help run`).
    #[arg(long)]
    pub(crate) assume_progress: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    /// Write the replayed counterexample in this format (html: the HTML
    /// report) to --trace-out, or to stdout instead of the verdict (which
    /// then goes to stderr).
    #[arg(long, value_enum)]
    pub(crate) trace_format: Option<TraceFormat>,
    /// With --trace-format: the file to write.
    #[arg(long, value_name = "FILE", requires = "trace_format")]
    pub(crate) trace_out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct SimulateArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Number of random walks.
    #[arg(long, value_name = "N", default_value = "1000")]
    pub(crate) runs: u64,
    /// Largest number of steps of a walk.
    #[arg(long, value_name = "D", default_value = "100")]
    pub(crate) depth: u32,
    /// Seed of the random walks: the same seed gives the same walks.
    #[arg(long, value_name = "S", default_value = "0")]
    pub(crate) seed: u64,
    /// Worker threads (default: all cores; at most 256); the result does
    /// not depend on it.
    #[arg(long, value_parser = parse_threads)]
    pub(crate) threads: Option<usize>,
    /// Do not report states without enabled actions as deadlocks.
    #[arg(long)]
    pub(crate) no_deadlock: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) trace: TraceArgs,
}

/// `123`, `64K`, `512M`, `4G` (binary units) → bytes.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
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

/// Most worker threads `--threads` accepts: far beyond the cores of any
/// machine this runs on, and still a thread pool that starts in an instant.
pub(crate) const MAX_THREADS: usize = 256;

/// `--threads N`: up to [`MAX_THREADS`] (0 counts as 1, as documented),
/// refused beyond (a usage error, rather than thousands of threads started
/// for a few states).
pub(crate) fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of threads"))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n <= MAX_THREADS {
        Ok(n)
    } else {
        Err(format!(
            "at most {MAX_THREADS} threads (this machine has {cores} cores)"
        ))
    }
}
