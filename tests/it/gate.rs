//! The CI gate: `dcheck check` (parse, lower and type-check only) and
//! `dcheck run` over several specs or a folder (`--quiet`, `--junit`,
//! `--format json`, the worst exit code).
//!
//! Expectations come from the spec files themselves (their names, the
//! listing of `specs/` read here with `std::fs`), from hand derivations in
//! comments, and from TLC's published TwoPhase count (N = 3: 288 distinct
//! states). The JUnit report is read back with an XML parser (roxmltree),
//! not with string matching.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value as Json;

/// The fixture folder: a copy (by `extends`) of specs/2pc.ron, which holds,
/// and of specs/bugs/2pc_commit_early.ron, which violates TCConsistent.
const GATE: &str = "tests/fixtures/gate";
const GATE_OK: &str = "tests/fixtures/gate/2pc.ron";
const GATE_BUG: &str = "tests/fixtures/gate/2pc_commit_early.ron";

fn dcheck(args: &[&str]) -> Output {
    let out = crate::common::dcheck()
        .args(args)
        .output()
        .expect("run dcheck");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked"),
        "{args:?}: dcheck panicked:\n{err}"
    );
    out
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("dcheck exited by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `.ron` files directly in `dir` (relative to the repository root),
/// sorted: what a folder argument stands for.
fn ron_files(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect()
}

// ------------------------------------------------------------ dcheck check

#[test]
fn check_every_shipped_spec_is_ok() {
    let dirs = ["specs", "specs/bugs", "specs/examples"];
    let expected: Vec<String> = dirs
        .iter()
        .flat_map(|d| ron_files(d))
        .map(|f| format!("ok {f}"))
        .collect();
    assert!(expected.len() >= 10, "specs/ lists {expected:?}");
    let out = dcheck(&["check", "specs", "specs/bugs", "specs/examples"]);
    assert_eq!(code(&out), 0, "stderr:\n{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines, expected);
}

#[test]
fn check_recursive_takes_subfolders() {
    // Sorted by path: "specs/2pc.ron" < "specs/bugs/..." < "specs/examples/..."
    // < "specs/maekawa.ron" ('2' < 'b' < 'e' < 'm'), so compare as sets.
    let mut expected: Vec<String> = ["specs", "specs/bugs", "specs/examples"]
        .iter()
        .flat_map(|d| ron_files(d))
        .map(|f| format!("ok {f}"))
        .collect();
    expected.sort();
    let out = dcheck(&["check", "--recursive", "specs"]);
    assert_eq!(code(&out), 0, "stderr:\n{}", stderr(&out));
    let mut lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    lines.sort();
    assert_eq!(lines, expected);
}

#[test]
fn check_malformed_fixture_exits_2_with_its_diagnostic() {
    let bad = "tests/fixtures/expr_syntax_error.ron";
    let out = dcheck(&["check", bad, "specs/2pc.ron"]);
    assert_eq!(code(&out), 2);
    // The good spec is still reported ok; the bad one only by diagnostics.
    assert_eq!(stdout(&out), "ok specs/2pc.ron\n");
    let err = stderr(&out);
    assert!(err.contains("unexpected `=`"), "{err}");
    assert!(err.contains(&format!("1 problem(s) in {bad}")), "{err}");
}

#[test]
fn check_json_gives_file_line_column_message() {
    let bad = "tests/fixtures/expr_syntax_error.ron";
    let out = dcheck(&["check", "--format", "json", bad, "specs/2pc.ron"]);
    assert_eq!(code(&out), 2);
    let all: Json = serde_json::from_str(&stdout(&out)).expect("JSON array");
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["spec"], bad);
    assert_eq!(all[0]["ok"], false);
    assert_eq!(all[1]["spec"], "specs/2pc.ron");
    assert_eq!(all[1]["ok"], true);
    assert_eq!(all[1]["name"], "TwoPhase");
    assert_eq!(all[1]["diagnostics"], Json::Array(vec![]));
    let diags = all[0]["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    // Where the stray `=` of `guard: "x = 2"` is, found in the file here.
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(bad)).unwrap();
    let (line_idx, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(r#"guard: "x = 2""#))
        .expect("the guard line");
    let column = line.find(r#"x = 2""#).unwrap() + 2 + 1; // the `=` after "x ", 1-based
    assert_eq!(d["file"], bad);
    assert_eq!(d["line"], line_idx + 1);
    assert_eq!(d["column"], column);
    assert!(d["message"].as_str().unwrap().contains("unexpected `=`"));
}

#[test]
fn check_type_errors_reports_each() {
    // tests/fixtures/type_errors.ron has two errors: an int compared with an
    // enum, and an unknown name in an invariant.
    let out = dcheck(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/type_errors.ron",
    ]);
    assert_eq!(code(&out), 2);
    let all: Json = serde_json::from_str(&stdout(&out)).expect("JSON array");
    let diags = all[0]["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(diags
        .iter()
        .any(|d| d["message"].as_str().unwrap().contains("noSuchVar")));
}

#[test]
fn check_missing_file_and_empty_folder_exit_2() {
    let out = dcheck(&["check", "tests/fixtures/no_such_spec.ron"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read spec file"));
    let empty = tempfile::tempdir().unwrap();
    let out = dcheck(&["check", empty.path().to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no .ron file"), "{}", stderr(&out));
}

// --------------------------------------------------- dcheck run, several specs

#[test]
fn run_folder_quiet_prints_one_verdict_line_per_spec() {
    let out = dcheck(&["run", GATE, "--quiet"]);
    // One spec holds, one violates: the worst is 1.
    assert_eq!(code(&out), 1, "stderr:\n{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // Folder order is sorted by name: "2pc.ron" < "2pc_commit_early.ron".
    // 288 distinct states: TLC's TwoPhase figure for N = 3.
    assert!(
        lines[0].starts_with(&format!("{GATE_OK}: ok, 288 distinct states, ")),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{GATE_BUG}: violation (invariant TCConsistent), ")),
        "{text}"
    );
    assert!(lines.iter().all(|l| l.ends_with(" s")), "{text}");
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
}

#[test]
fn run_folder_junit_report() {
    let dir = tempfile::tempdir().unwrap();
    let xml_path = dir.path().join("out.xml");
    let out = dcheck(&["run", GATE, "--junit", xml_path.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "stderr:\n{}", stderr(&out));
    let xml = std::fs::read_to_string(&xml_path).expect("JUnit file written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc.root_element();
    assert_eq!(suite.tag_name().name(), "testsuite");
    assert_eq!(attr(suite, "name"), "dcheck");
    assert_eq!(attr(suite, "tests"), "2");
    assert_eq!(attr(suite, "failures"), "1");
    assert_eq!(attr(suite, "errors"), "0");
    assert!(attr(suite, "time").parse::<f64>().unwrap() >= 0.0);
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    // classname: the path; name: the spec's `name` (TwoPhase in
    // specs/2pc.ron, TwoPhaseCommitEarly in specs/bugs/2pc_commit_early.ron).
    assert_eq!(attr(cases[0], "classname"), GATE_OK);
    assert_eq!(attr(cases[0], "name"), "TwoPhase");
    assert_eq!(cases[0].children().filter(|n| n.is_element()).count(), 0);
    assert_eq!(attr(cases[1], "classname"), GATE_BUG);
    assert_eq!(attr(cases[1], "name"), "TwoPhaseCommitEarly");
    for c in &cases {
        assert!(attr(*c, "time").parse::<f64>().unwrap() >= 0.0);
    }
    let failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("<failure>");
    assert_eq!(attr(failure, "type"), "invariant");
    assert!(attr(failure, "message").contains("TCConsistent"));
    let body = failure.text().unwrap_or_default();
    // The counterexample: 5 steps (derivation in specs/bugs/2pc_commit_early.ron),
    // with the arrows of the text trace unescaped by the parser.
    assert!(body.contains("Counterexample (5 step(s)"), "{body}");
    assert!(body.contains("RMPrepare(r = 1)"), "{body}");
    assert!(body.contains("working -> prepared"), "{body}");
    assert!(body.contains("Violated: invariant TCConsistent"), "{body}");
}

#[test]
fn run_spec_error_is_a_junit_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let xml_path = dir.path().join("out.xml");
    let out = dcheck(&[
        "run",
        GATE,
        "tests/fixtures/type_errors.ron",
        "--quiet",
        "--junit",
        xml_path.to_str().unwrap(),
    ]);
    // A spec that cannot be checked outranks a violation.
    assert_eq!(code(&out), 2);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text
        .lines()
        .nth(2)
        .unwrap()
        .starts_with("tests/fixtures/type_errors.ron: error (2 problem(s))"));
    // The diagnostics still go to stderr.
    assert!(stderr(&out).contains("noSuchVar"));
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc.root_element();
    assert_eq!(attr(suite, "tests"), "3");
    assert_eq!(attr(suite, "failures"), "1");
    assert_eq!(attr(suite, "errors"), "1");
    let case = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .nth(2)
        .unwrap();
    assert_eq!(attr(case, "classname"), "tests/fixtures/type_errors.ron");
    let error = case
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("<error>");
    assert!(error.text().unwrap_or_default().contains("noSuchVar"));
}

#[test]
fn run_exit_code_is_the_worst() {
    // --max-depth 5: TwoPhase has states deeper than 5 (committing all
    // three RMs takes 3 RMPrepare + 3 TMRcvPrepared + TMCommit + 3
    // RMRcvCommitMsg = 10 steps, one fact changed per step), so its search
    // is incomplete (3); the bug's shortest counterexample has exactly 5
    // steps and its last state (depth 5) is still checked: violation (1).
    // Worst of {3, 1} is 1.
    let out = dcheck(&["run", GATE, "--quiet", "--max-depth", "5"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("{GATE_OK}: incomplete (max-depth)")));
    assert!(text.contains(&format!("{GATE_BUG}: violation (invariant TCConsistent)")));
    // Only incomplete runs: 3.
    let out = dcheck(&["run", GATE_OK, GATE_OK, "--quiet", "--max-depth", "5"]);
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    // All hold: 0.
    let out = dcheck(&["run", GATE_OK, "specs/2pc.ron", "--quiet"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn run_folder_json_is_an_array_of_reports() {
    let out = dcheck(&[
        "run",
        GATE,
        "tests/fixtures/type_errors.ron",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 2);
    let all: Json = serde_json::from_str(&stdout(&out)).expect("one JSON array");
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["file"], GATE_OK);
    assert_eq!(all[0]["result"], "ok");
    assert_eq!(all[0]["distinct_states"], 288);
    assert_eq!(all[1]["file"], GATE_BUG);
    assert_eq!(all[1]["result"], "violation");
    assert_eq!(all[1]["violation"]["property"], "TCConsistent");
    assert_eq!(all[2]["file"], "tests/fixtures/type_errors.ron");
    assert_eq!(all[2]["result"], "error");
    assert_eq!(all[2]["diagnostics"].as_array().unwrap().len(), 2);
}

#[test]
fn run_several_specs_text_reports_each_then_the_verdicts() {
    let out = dcheck(&["run", GATE]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let ok_at = text
        .find(&format!("=== {GATE_OK}\n"))
        .expect("first header");
    let bug_at = text
        .find(&format!("=== {GATE_BUG}\n"))
        .expect("second header");
    assert!(ok_at < bug_at);
    assert!(text[ok_at..bug_at].contains("All properties hold"));
    assert!(text[bug_at..].contains("Invariant TCConsistent is violated."));
    let tail = &text[text.find("=== 2 spec(s)\n").expect("verdict list")..];
    assert!(tail.contains(&format!("{GATE_OK}: ok, 288 distinct states")));
}

#[test]
fn run_single_spec_with_junit_keeps_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let xml_path = dir.path().join("one.xml");
    let out = dcheck(&[
        "run",
        "specs/2pc.ron",
        "--threads",
        "1",
        "--junit",
        xml_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("All properties hold (complete search)."),
        "{text}"
    );
    assert!(!text.contains("==="), "{text}");
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert_eq!(attr(doc.root_element(), "tests"), "1");
    assert_eq!(attr(doc.root_element(), "failures"), "0");
}

#[test]
fn run_usage_errors_of_the_gate() {
    // One counterexample file cannot hold several specs' counterexamples.
    let out = dcheck(&["run", GATE, "--trace-out", "never-written.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--trace-out"));
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("never-written.json")
        .exists());
    let out = dcheck(&["run", GATE, "--quiet", "--format", "json"]);
    assert_eq!(code(&out), 2);
    let empty = tempfile::tempdir().unwrap();
    let out = dcheck(&["run", empty.path().to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no .ron file"));
}

/// `dcheck check --const` compiles with the value, as `run` does: the
/// TLA+ Examples' Paxos compiles at MaxBallot = 1 but not at 2, where its
/// message set would need more than 64 bits (see the spec's header); an
/// unknown constant is a usage error.
#[test]
fn check_takes_constants_like_run() {
    let spec = "specs/examples/paxos_tla_examples.ron";
    let out = dcheck(&["check", spec, "--const", "MaxBallot=1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = dcheck(&["check", spec, "--const", "MaxBallot=2"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("set<Msg, 16>"), "{}", stderr(&out));
    let out = dcheck(&["check", spec, "--const", "Nope=1"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("Nope"), "{}", stderr(&out));
}
