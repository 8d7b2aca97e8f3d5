//! The HTML trace report (`--trace-format html`, and `dcheck replay
//! --trace-format html`): self-contained, every step and variable present,
//! changed cells marked where the value changed, inert whatever the spec's
//! texts say; and, in headless Chromium (Debian's `chromium`), the page's
//! own script runs under its Content-Security-Policy while injected markup
//! stays text.
//!
//! The browser tests need `chromium` (or `DCHECK_CHROMIUM=path`); without
//! one they say so on stderr and check nothing in the browser, unless
//! `DCHECK_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs it), where
//! a missing browser fails them.

use std::path::{Path, PathBuf};

use crate::common;

const RAFT: &str = "specs/bugs/raft_figure8.ron";
const INJECT: &str = "tests/fixtures/html/inject.ron";

/// `spec`, and for [`RAFT`] `--invariants-only`: the same counterexample
/// in a fraction of the time (80,372 orbits instead of 482,087 states, as
/// its temporal properties no longer keep the symmetry off).
fn spec_args(spec: &str) -> Vec<&str> {
    let mut args = vec![spec];
    if spec == RAFT {
        args.push("--invariants-only");
    }
    args
}

/// Runs `dcheck run SPEC --trace-format html --trace-out FILE` and returns
/// the page.
fn report(spec: &str, dir: &Path) -> String {
    let out = dir.join("report.html");
    let path = out.to_str().expect("utf-8 path");
    let args = [
        &spec_args(spec)[..],
        &["--trace-format", "html", "--trace-out", path],
    ]
    .concat();
    let (code, _, err) = common::dcheck_run(&args);
    assert_eq!(code, 1, "{err}");
    std::fs::read_to_string(&out).expect("the report")
}

/// The number of states in the JSON report's trace of `spec`.
fn trace_len(spec: &str) -> usize {
    let (code, j, _) = common::dcheck_json(&spec_args(spec));
    assert_eq!(code, 1);
    j["violation"]["trace"].as_array().expect("trace").len()
}

/// The variables table's rows: (name, [(changed, cell text)]).
fn table(page: &str) -> Vec<(String, Vec<(bool, String)>)> {
    let body = &page[page.find("<tbody>").expect("tbody")..page.find("</tbody>").expect("/tbody")];
    body.lines()
        .filter(|l| l.starts_with("<tr><th>"))
        .map(|l| {
            let name = l["<tr><th>".len()..l.find("</th>").expect("th")].to_string();
            let cells = l
                .split("<td")
                .skip(1)
                .map(|c| {
                    let changed = c.starts_with(" class=\"chg\"");
                    let text = &c[c.find('>').expect(">") + 1..c.find("</td>").expect("/td")];
                    (changed, text.to_string())
                })
                .collect();
            (name, cells)
        })
        .collect()
}

#[test]
fn the_report_has_every_step_and_marks_what_changed() {
    let dir = tempfile::tempdir().expect("dir");
    let page = report(RAFT, dir.path());
    let n = trace_len(RAFT);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // A step per state, a column per state.
    assert_eq!(page.matches("<li id=\"s").count(), n);
    let rows = table(&page);
    assert!(rows.len() >= 10, "{}", rows.len());
    for (name, cells) in &rows {
        assert_eq!(cells.len(), n, "{name}");
        // Marked changed exactly where the text differs from the step before.
        for i in 1..n {
            assert_eq!(
                cells[i].0,
                cells[i].1 != cells[i - 1].1,
                "{name} at step {i}"
            );
        }
        assert!(!cells[0].0, "{name}: nothing changes in the initial state");
    }
    // Every step of the trace changes some variable (a BFS trace has no
    // stutter), and the elections counter ends at its bound.
    for i in 1..n {
        assert!(rows.iter().any(|(_, c)| c[i].0), "no change at step {i}");
    }
    let elections = rows
        .iter()
        .find(|(r, _)| r == "elections")
        .expect("elections row");
    assert_eq!(elections.1[n - 1].1, "4");
    // The violated invariant and its failing part, and the Messages chart
    // with a lifeline per server.
    assert!(page.contains("Invariant StateMachineSafety is violated."));
    assert!(page.contains("failing part:"));
    for s in 1..=3 {
        assert!(page.contains(&format!(">Server({s})</text>")), "lane {s}");
    }
    assert!(page.contains("RequestVote(1, 0, 0)"));
}

#[test]
fn the_report_is_self_contained_and_allows_only_its_own_code() {
    let dir = tempfile::tempdir().expect("dir");
    let page = report(RAFT, dir.path());
    // Nothing fetched: no external reference of any kind (the SVG
    // namespace is a name, not a fetch).
    let without_ns = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in [
        "http://", "https://", "<link", "@import", " src=", "<iframe", "<object",
    ] {
        assert!(!without_ns.contains(bad), "{bad}");
    }
    for href in page.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "{}", &href[..20.min(href.len())]);
    }
    // One style, one script, and a policy that forbids anything else.
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("<style").count(), 1);
    let csp = page
        .split("Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a policy");
    assert!(csp.starts_with("default-src &#39;none&#39;"), "{csp}");
    assert!(csp.contains("script-src &#39;sha256-"), "{csp}");
    assert!(csp.contains("style-src &#39;sha256-"), "{csp}");
}

#[test]
fn injected_markup_in_a_spec_stays_text() {
    let dir = tempfile::tempdir().expect("dir");
    let page = report(INJECT, dir.path());
    assert_eq!(page.matches("<script").count(), 1, "only the report's own");
    assert!(!page.contains("<img"));
    assert!(!page.contains("<style>body{display:none}"));
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;document.title=&#39;pwned&#39;"));
    assert!(page.contains("onerror=&quot;"));
}

#[test]
fn replay_writes_the_same_report_from_a_saved_trace() {
    let dir = tempfile::tempdir().expect("dir");
    for spec in [RAFT, "specs/bugs/2pc_lazy_tm_tcommit.ron"] {
        let page = report(spec, dir.path());
        for format in ["json", "itf"] {
            let saved = dir.path().join(format!("t.{format}"));
            let saved = saved.to_str().expect("path");
            let args = [
                &spec_args(spec)[..],
                &["--trace-format", format, "--trace-out", saved],
            ]
            .concat();
            let (code, _, _) = common::dcheck_run(&args);
            assert_eq!(code, 1);
            let out = dir.path().join("replayed.html");
            let (code, _, err) = common::dcheck_args(&[
                "replay",
                spec,
                saved,
                "--trace-format",
                "html",
                "--trace-out",
                out.to_str().expect("path"),
            ]);
            assert_eq!(code, 0, "{err}");
            assert!(err.contains("Still violated"), "{err}");
            let replayed = std::fs::read_to_string(&out).expect("replayed report");
            assert_eq!(replayed, page, "{spec} from {format}");
        }
    }
    // A trace that does not replay against the spec writes nothing.
    let saved = dir.path().join("t.json");
    let (code, _, _) = common::dcheck_run(&[
        "specs/bugs/2pc_commit_early.ron",
        "--trace-format",
        "json",
        "--trace-out",
        saved.to_str().expect("path"),
    ]);
    assert_eq!(code, 1);
    let (code, out, err) = common::dcheck_args(&[
        "replay",
        "specs/2pc.ron",
        saved.to_str().expect("path"),
        "--trace-format",
        "html",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("nothing to write"), "{err}");
}

/// The browser to test with: `DCHECK_CHROMIUM`, else `chromium` or
/// `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DCHECK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// The DOM of `page` after its scripts ran, from headless Chromium; `None`
/// (with a note) when no browser is installed and none is required.
fn dom(page: &Path) -> Option<String> {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("DCHECK_REQUIRE_BROWSER").is_none(),
            "DCHECK_REQUIRE_BROWSER is set but no chromium was found"
        );
        eprintln!("note: no chromium on PATH: the HTML report was not opened in a browser");
        return None;
    };
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf-8 DOM"))
}

#[test]
fn in_chromium_the_script_runs_and_injected_markup_does_not() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("raft.html");
    let page = report(RAFT, dir.path());
    std::fs::write(&file, &page).expect("write");
    let Some(d) = dom(&file) else { return };
    // The page's own script ran under its policy: it marked step 0 current,
    // in the step list and in the table.
    let first = d.split("<li id=\"s0\"").nth(1).expect("step 0");
    assert!(
        first[..first.find('>').expect(">")].contains("cur"),
        "{}",
        &first[..80]
    );
    assert!(d.matches("class=\"cur\"").count() > 2);
    // The changed cells are marked in the rendered table too: the number
    // of cells that differ from their left neighbour, counted by the test.
    let changed: usize = table(&page)
        .iter()
        .map(|(_, c)| (1..c.len()).filter(|&i| c[i].1 != c[i - 1].1).count())
        .sum();
    assert!(changed > 0);
    assert_eq!(
        d.matches("class=\"chg\"").count() + d.matches("class=\"chg cur\"").count(),
        changed
    );
    assert_eq!(d.matches("<li id=\"s").count(), trace_len(RAFT));

    let file = dir.path().join("inject.html");
    std::fs::write(&file, report(INJECT, dir.path())).expect("write");
    let Some(d) = dom(&file) else { return };
    assert!(!d.contains("<img"), "an injected element");
    assert!(!d.contains("id=\"injected\""));
    assert!(!d.contains("pwned</title>"), "an injected script ran");
    assert_eq!(d.matches("<script").count(), 1);
    let first = d.split("<li id=\"s0\"").nth(1).expect("step 0");
    assert!(first[..first.find('>').expect(">")].contains("cur"));
}
