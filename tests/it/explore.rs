//! `dcheck explore` in a real terminal: a tmux session of 80x24 columns
//! (`send-keys`, `capture-pane`) walks the raft Figure 8 counterexample:
//! the first state's enabled transitions, a step forward along the trace,
//! an expression evaluated there, a jump to the last step and its violated
//! invariant, a step off the trace, back, and quit.
//!
//! The expected screens come from the spec, derived by hand: in raft's
//! initial state every server is a follower in term 0 with an empty
//! network, so only `Timeout` is enabled, once per server (3); the trace's
//! first step is `Timeout(self = 1)`, which makes server 1 a candidate in
//! term 1; the trace ends in the StateMachineSafety violation it records.
//!
//! Needs `tmux`; without it the test says so on stderr and checks nothing,
//! unless `DCHECK_REQUIRE_TMUX=1` (set by `.ci/run`, which installs it).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common;

/// A tmux server of our own (`-L`), so a user's sessions are untouched;
/// killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "x"]).stdout).into_owned()
    }

    /// Waits (up to 20 s) until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "never showed {text:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "x"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    fn type_text(&self, text: &str) {
        assert!(self
            .cmd(&["send-keys", "-t", "x", "-l", text])
            .status
            .success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("DCHECK_REQUIRE_TMUX").is_none(),
            "DCHECK_REQUIRE_TMUX is set but tmux is not installed"
        );
        eprintln!("note: no tmux: dcheck explore was not run in a terminal");
    }
    ok
}

#[test]
fn explore_walks_the_raft_counterexample_in_80_by_24() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let trace = dir.path().join("raft.json");
    let trace = trace.to_str().expect("path");
    let spec = "specs/bugs/raft_figure8.ron";
    let (code, _, _) = common::dcheck_run(&[
        spec,
        "--invariants-only",
        "--trace-format",
        "json",
        "--trace-out",
        trace,
    ]);
    assert_eq!(code, 1);
    let t = Tmux {
        socket: format!("dcheck-test-{}", std::process::id()),
    };
    let bin = env!("CARGO_BIN_EXE_dcheck");
    let root = env!("CARGO_MANIFEST_DIR");
    let command = format!("cd {root} && {bin} explore {spec} --trace {trace}");
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "x",
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The initial state: three timeouts enabled, within 80x24 (the help
    // line is the last of the 24).
    let s = t.wait_for("dcheck explore: RaftFigure8 | step 0 of 30");
    assert!(s.contains("Enabled (3)"), "{s}");
    for i in 1..=3 {
        assert!(s.contains(&format!("Timeout(self = {i})")), "{s}");
    }
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines.len() <= 24, "{}", lines.len());
    assert!(lines.iter().all(|l| l.chars().count() <= 80));
    assert!(s.is_ascii(), "plain ASCII, for any SSH client:\n{s}");
    assert!(s.contains("q quit"), "{s}");
    assert!(s.contains("invariants: all"), "{s}");

    // One step along the trace: server 1 timed out.
    t.keys(&["Right"]);
    let s = t.wait_for("step 1 of 30");
    assert!(s.contains("after Timeout(self = 1)"), "{s}");
    assert!(s.contains("* currentTerm"), "{s}");
    // An expression in that state.
    t.keys(&["e"]);
    t.type_text("currentTerm[1] + 1");
    t.keys(&["Enter"]);
    let s = t.wait_for("currentTerm[1] + 1 = 2");
    assert!(s.contains("step 1 of 30"), "{s}");
    t.keys(&["e"]);
    t.type_text("state[1]");
    t.keys(&["Enter"]);
    t.wait_for("state[1] = Candidate");
    // A mistake in an expression is a message, not a crash.
    t.keys(&["e"]);
    t.type_text("nosuchvar + 1");
    t.keys(&["Enter"]);
    t.wait_for("nosuchvar + 1: ");

    // The last step, where the recorded invariant fails.
    t.keys(&["g"]);
    t.type_text("30");
    t.keys(&["Enter"]);
    let s = t.wait_for("step 30 of 30");
    assert!(s.contains("invariant StateMachineSafety VIOLATED"), "{s}");

    // Off the trace: from the initial state take the second timeout.
    t.keys(&["Home"]);
    t.wait_for("step 0 of 30");
    t.keys(&["Down", "Enter"]);
    let s = t.wait_for("step 1 of 1");
    assert!(s.contains("after Timeout(self = 2)"), "{s}");
    t.keys(&["Left"]);
    t.wait_for("step 0 of 1");

    // Quit: the program ends, and with it the session.
    t.keys(&["q"]);
    let start = Instant::now();
    while t.cmd(&["has-session", "-t", "x"]).status.success() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after q"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Without a terminal (piped), explore refuses with exit 2 and says why;
/// so it does for a trace that does not replay against the spec (the
/// commit-early bug's trace against the correct TwoPhase: its TMCommit
/// step is not enabled there).
#[test]
fn explore_needs_a_terminal_and_a_trace_that_replays() {
    let (code, _, err) = common::dcheck_args(&["explore", "specs/2pc.ron"]);
    assert_eq!(code, 2);
    assert!(err.contains("needs a terminal"), "{err}");
    let dir = tempfile::tempdir().expect("dir");
    let trace = dir.path().join("early.json");
    let trace = trace.to_str().expect("path");
    let (code, _, _) = common::dcheck_run(&[
        "specs/bugs/2pc_commit_early.ron",
        "--trace-format",
        "json",
        "--trace-out",
        trace,
    ]);
    assert_eq!(code, 1);
    let (code, _, err) = common::dcheck_args(&["explore", "specs/2pc.ron", "--trace", trace]);
    assert_eq!(code, 2);
    assert!(err.contains("Diverged at step"), "{err}");
    assert!(err.contains("does not replay"), "{err}");
}
