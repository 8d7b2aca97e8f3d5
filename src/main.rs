//! `dcheck`: the binary. Parses the command line and hands it to
//! `dcheck_cli`, which holds every command's pipeline; installs the
//! allocator that turns a failed allocation into a clean stop.

use clap::Parser;

mod oom;

/// A failed allocation ends the run with its figures, not an abort.
#[global_allocator]
static ALLOCATOR: oom::Guarded = oom::Guarded;

fn main() -> std::process::ExitCode {
    dcheck_cli::execute(dcheck_cli::Cli::parse())
}
