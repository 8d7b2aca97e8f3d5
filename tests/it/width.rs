//! Text output fits the terminal: every line of a report within the width
//! (80 columns when stdout is not a terminal, `--width N` to choose), the
//! Messages chart narrowed with a legend, long values cut onto indented
//! continuation lines; and snapshots of the counterexamples at 80 and 120
//! columns (the summary's timings left out).

use crate::common;

const RAFT: &str = "specs/bugs/raft_figure8.ron";

/// The Messages chart of `spec`'s counterexample at `width` columns.
/// (`--invariants-only`: the same counterexample, found on orbits.)
fn chart(spec: &str, width: &str) -> String {
    let (_, out, _) = common::dcheck_run(&[spec, "--invariants-only", "--width", width]);
    out.split("Messages:\n")
        .nth(1)
        .expect("a chart")
        .split("Violated:")
        .next()
        .unwrap_or("")
        .to_string()
}

/// Every line of `text` fits `width` columns.
fn assert_fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "{what}: a line of {} columns:\n{line}\n\n{text}",
            line.chars().count()
        );
    }
}

/// The report with the lines that change from run to run (times, rates,
/// memory) left out.
fn stable(text: &str) -> String {
    text.lines()
        .filter(|l| {
            ![
                "time ",
                "distinct states/s",
                "bytes per state",
                "fingerprint collision",
                "liveness graph",
                "search   ",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every shipped bug variant's report (trace, Messages chart, summary,
/// coverage) fits 80 columns by default and 120 with `--width 120`.
#[test]
fn every_report_fits_the_width() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bugs: Vec<String> = std::fs::read_dir(root.join("specs/bugs"))
        .expect("specs/bugs")
        .map(|e| {
            format!(
                "specs/bugs/{}",
                e.expect("entry").file_name().to_string_lossy()
            )
        })
        .filter(|p| p.ends_with(".ron"))
        .collect();
    bugs.sort();
    assert!(bugs.len() >= 7, "{bugs:?}");
    for spec in &bugs {
        for (extra, width) in [(&[][..], 80), (&["--width", "120"][..], 120)] {
            let (code, out, err) =
                common::dcheck_run(&[&[spec.as_str(), "--coverage"][..], extra].concat());
            assert_eq!(code, 1, "{spec}: {err}{out}");
            assert_fits(&out, width, spec);
        }
    }
}

/// The raft counterexample's Messages chart: at 120 columns every label is
/// written out; at 80 the lanes narrow and the labels that no longer fit
/// become tags spelled out under the chart.
#[test]
fn the_messages_chart_narrows_with_a_legend() {
    let chart = |width: &str| chart(RAFT, width);
    let legend = |c: &str| c.lines().filter(|l| l.starts_with("  [")).count();
    let wide = chart("120");
    assert!(
        wide.contains("|<---RequestVoteResponse(1, true)----|"),
        "{wide}"
    );
    let narrow = chart("80");
    assert!(legend(&narrow) > legend(&wide), "{wide}\n{narrow}");
    assert!(
        narrow.contains("  [1] recv RequestVote(1, 0, 0) (from Server(1))"),
        "{narrow}"
    );
    assert_fits(&narrow, 80, "chart");
    // The header names every server at both widths.
    for c in [&wide, &narrow] {
        let header = c.lines().next().expect("header");
        for s in ["Server(1)", "Server(2)", "Server(3)"] {
            assert!(header.contains(s), "{header}");
        }
    }
}

/// A value too long for a line continues on the next, indented.
#[test]
fn long_values_continue_on_indented_lines() {
    let (_, out, _) = common::dcheck_run(&[RAFT, "--invariants-only", "--full-states"]);
    assert_fits(&out, 80, "full states");
    assert!(
        out.lines()
            .any(|l| l.starts_with("               ") && l.contains("|->")),
        "{out}"
    );
    // The trace is the same text, whitespace aside, as at a width where
    // nothing is cut (the chart is laid out for each width).
    let (_, wide, _) =
        common::dcheck_run(&[RAFT, "--invariants-only", "--full-states", "--width", "400"]);
    let trace = |t: &str| common::flat(t.split("Messages:").next().unwrap_or(""));
    assert!(
        trace(&out) == trace(&wide),
        "the trace differs at 80 and 400 columns"
    );
}

/// `--width` below 40 is refused.
#[test]
fn a_width_below_40_is_refused() {
    let (code, _, err) = common::dcheck_run(&[RAFT, "--width", "20"]);
    assert_eq!(code, 2);
    assert!(err.contains("--width"), "{err}");
}

/// Snapshots of the counterexamples at 80 and 120 columns: a raft trace
/// with its Messages chart, a refinement, a lasso, an evaluation error;
/// the summary and coverage table without the lines that vary.
#[test]
fn snapshots_at_80_and_120_columns() {
    let cases = [
        ("raft_figure8", RAFT),
        (
            "commit_early_tcommit",
            "specs/bugs/2pc_commit_early_tcommit.ron",
        ),
        (
            "paxos_ignore_promises",
            "specs/bugs/paxos_ignore_promises.ron",
        ),
        ("init_error", "tests/fixtures/init_error.ron"),
        // A lasso: the refinement's fairness, with the refined states.
        ("lazy_tm_tcommit", "specs/bugs/2pc_lazy_tm_tcommit.ron"),
    ];
    for (name, spec) in cases {
        for width in ["80", "120"] {
            let (_, out, _) =
                common::dcheck_run(&[spec, "--coverage", "--threads", "1", "--width", width]);
            insta::assert_snapshot!(format!("{name}_{width}"), stable(&out));
        }
    }
}

/// `dcheck replay` of a saved raft trace against the fixed spec, and a
/// seeded `dcheck simulate` of the commit-early bug, within 80 and 120
/// columns, as snapshots.
#[test]
fn replay_and_simulate_snapshots() {
    let dir = tempfile::tempdir().expect("dir");
    let saved = dir.path().join("t.json");
    let saved = saved.to_str().expect("path");
    let (code, _, err) = common::dcheck_run(&[
        RAFT,
        "--invariants-only",
        "--trace-format",
        "json",
        "--trace-out",
        saved,
    ]);
    assert_eq!(code, 1, "{err}");
    for width in ["80", "120"] {
        let columns: usize = width.parse().expect("width");
        let (_, out, _) =
            common::dcheck_args(&["replay", "specs/raft.ron", saved, "--width", width]);
        let out = out.replace(saved, "TRACE");
        assert_fits(&out, columns, "replay");
        insta::assert_snapshot!(format!("replay_raft_{width}"), out);
        let sim = [
            "simulate",
            "specs/bugs/2pc_commit_early.ron",
            "--seed",
            "7",
            "--threads",
            "1",
            "--width",
            width,
        ];
        let (_, out, _) = common::dcheck_args(&sim);
        assert_fits(&out, columns, "simulate");
        insta::assert_snapshot!(format!("simulate_commit_early_{width}"), stable(&out));
    }
}

/// A process name wider than its narrowed lane is shortened to `Pk` in the
/// chart's header and spelled out under it (paxos: 6 processes, so at 60
/// columns each lane has its minimum of 12, too narrow for `Acceptor(1)`).
#[test]
fn long_process_names_are_shortened_with_a_legend() {
    const PAXOS: &str = "specs/bugs/paxos_ignore_promises.ron";
    let chart = |width: &str| chart(PAXOS, width);
    let narrow = chart("60");
    let header = narrow.lines().next().expect("header");
    assert!(header.contains("P3"), "{header}");
    assert!(
        narrow.lines().any(|l| l == "  P3 = Acceptor(1)"),
        "{narrow}"
    );
    let wide = chart("120");
    assert!(
        wide.lines().next().expect("header").contains("Acceptor(1)"),
        "{wide}"
    );
    assert!(!wide.contains(" = Acceptor(1)"), "{wide}");
}
