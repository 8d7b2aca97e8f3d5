//! Counterexample formats through the CLI (`--trace-format`, `--trace-out`,
//! `--full-states`, colour) and `dcheck graph`: the JSON report and trace
//! validated against the schemas in `docs/schema/`, an ITF reader written
//! here from the format's field definitions (Apalache ADR-015 and the
//! README) checked against the JSON trace, the Mermaid and DOT shapes, and
//! state graph counts derived by hand in `tests/fixtures/trace/tiny.ron`.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::schema::errors as schema_errors;

const BUG: &str = "specs/bugs/2pc_commit_early.ron";
const LASSO: &str = "tests/fixtures/live/revisit_cycle.ron";
const DEADLOCK: &str = "tests/fixtures/counter_deadlock.ron";
const OVERFLOW: &str = "tests/fixtures/counter_overflow.ron";
const TINY: &str = "tests/fixtures/trace/tiny.ron";
const FIFO: [&str; 3] = ["specs/examples/fifo_required.ron", "--network", "unordered"];

/// `dcheck ARGS...` from the repository root with extra environment
/// variables: (exit code, stdout, stderr).
fn dcheck_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = crate::common::dcheck();
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run dcheck");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

fn dcheck(args: &[&str]) -> (i32, String, String) {
    dcheck_env(args, &[])
}

fn json_of(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// `dcheck run SPEC... --threads 1 --format json`.
fn report(spec: &[&str]) -> (i32, Json) {
    let mut args = vec!["run"];
    args.extend_from_slice(spec);
    args.extend(["--threads", "1", "--format", "json"]);
    let (code, out, err) = dcheck(&args);
    assert!(code == 0 || code == 1 || code == 3, "{out}{err}");
    (code, json_of(&out))
}

/// `dcheck run SPEC... --threads 1 --trace-format FORMAT --trace-out FILE`:
/// the exit code, the summary on stdout and the file's text.
fn trace_file(spec: &[&str], format: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("trace.{format}"));
    let mut args = vec!["run"];
    args.extend_from_slice(spec);
    let p = path.to_str().expect("utf-8 path").to_string();
    args.extend([
        "--threads",
        "1",
        "--trace-format",
        format,
        "--trace-out",
        &p,
    ]);
    let (code, out, err) = dcheck(&args);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, out, text)
}

#[test]
fn reports_of_every_kind_validate_against_the_schema() {
    let cases: [(&[&str], i32, &str); 7] = [
        (&[BUG], 1, "violation"),
        (&[LASSO], 1, "violation"),
        (&[DEADLOCK], 1, "violation"),
        (&[OVERFLOW], 1, "violation"),
        (&["specs/bugs/2pc_commit_early_tcommit.ron"], 1, "violation"),
        (&["specs/2pc.ron"], 0, "ok"),
        (&["specs/2pc.ron", "--max-states", "10"], 3, "incomplete"),
    ];
    let mut kinds = Vec::new();
    for (spec, code, result) in cases {
        let (c, j) = report(spec);
        assert_eq!((c, j["result"].as_str()), (code, Some(result)), "{spec:?}");
        assert_eq!(j["schema_version"], json!(1));
        let errors = schema_errors("report-v1.json", &j);
        assert!(errors.is_empty(), "{spec:?}: {errors:#?}\n{j:#}");
        kinds.push(j["violation"]["kind"].clone());
    }
    // The five violations are five kinds.
    assert_eq!(
        kinds[..5],
        [
            json!("invariant"),
            json!("liveness"),
            json!("deadlock"),
            json!("error"),
            json!("refinement")
        ]
    );
}

#[test]
fn the_schema_rejects_a_report_missing_fields() {
    let (_, mut j) = report(&[BUG]);
    j["violation"]
        .as_object_mut()
        .expect("violation")
        .remove("trace");
    assert!(!schema_errors("report-v1.json", &j).is_empty());
    let (_, mut j) = report(&[BUG]);
    j["violation"]["trace"][1]["action"] = json!(3);
    assert!(!schema_errors("report-v1.json", &j).is_empty());
    let (_, mut j) = report(&["specs/2pc.ron"]);
    j["result"] = json!("violation");
    assert!(!schema_errors("report-v1.json", &j).is_empty());
}

#[test]
fn json_traces_validate_and_equal_the_reports_violation() {
    for spec in [&[BUG][..], &[LASSO], &[DEADLOCK], &[OVERFLOW], &FIFO] {
        let (code, summary, text) = trace_file(spec, "json");
        assert_eq!(code, 1, "{summary}");
        assert!(summary.contains("Counterexample written to"), "{summary}");
        let t = json_of(&text);
        let errors = schema_errors("trace-v1.json", &t);
        assert!(errors.is_empty(), "{spec:?}: {errors:#?}\n{t:#}");
        let (_, r) = report(spec);
        for key in ["schema_version", "spec", "file", "constants", "violation"] {
            assert_eq!(t[key], r[key], "{spec:?}: {key}");
        }
    }
}

/// A value read from ITF by the field definitions of ADR-015 and dcheck's
/// README: nothing here comes from dcheck's code.
#[derive(Clone, Debug, PartialEq)]
enum Itf {
    Bool(bool),
    Int(i128),
    Str(String),
    List(Vec<Itf>),
    Record(BTreeMap<String, Itf>),
    Tup(Vec<Itf>),
    Set(Vec<Itf>),
    Map(Vec<(Itf, Itf)>),
    Variant(String, Box<Itf>),
}

fn read_itf(j: &Json) -> Itf {
    match j {
        Json::Bool(b) => Itf::Bool(*b),
        Json::Number(n) => {
            let i = n.as_i64().expect("an ITF number is an integer");
            assert!(i.unsigned_abs() < 1 << 53, "unsafe JSON integer {i}");
            Itf::Int(i as i128)
        }
        Json::String(s) => Itf::Str(s.clone()),
        Json::Array(items) => Itf::List(items.iter().map(read_itf).collect()),
        Json::Object(m) => {
            if let Some(d) = m.get("#bigint") {
                assert_eq!(m.len(), 1);
                return Itf::Int(d.as_str().expect("digits").parse().expect("a big integer"));
            }
            let items = |key: &str| -> Vec<Itf> {
                assert_eq!(m.len(), 1, "{key} alone in its object");
                m[key]
                    .as_array()
                    .expect("an array")
                    .iter()
                    .map(read_itf)
                    .collect()
            };
            if m.contains_key("#tup") {
                return Itf::Tup(items("#tup"));
            }
            if m.contains_key("#set") {
                return Itf::Set(items("#set"));
            }
            if m.contains_key("#map") {
                assert_eq!(m.len(), 1);
                let pairs = m["#map"].as_array().expect("#map array");
                return Itf::Map(
                    pairs
                        .iter()
                        .map(|p| {
                            let p = p.as_array().expect("a pair");
                            assert_eq!(p.len(), 2, "a [key, value] pair");
                            (read_itf(&p[0]), read_itf(&p[1]))
                        })
                        .collect(),
                );
            }
            if m.len() == 2 && m.contains_key("tag") && m.contains_key("value") {
                let tag = m["tag"].as_str().expect("tag is a name").to_string();
                return Itf::Variant(tag, Box::new(read_itf(&m["value"])));
            }
            assert!(m.keys().all(|k| !k.starts_with('#')), "unknown form {j}");
            Itf::Record(m.iter().map(|(k, v)| (k.clone(), read_itf(v))).collect())
        }
        Json::Null => panic!("null is not an ITF value"),
    }
}

/// A map key as the README's JSON report writes it (its display).
fn key_text(k: &Itf) -> String {
    match k {
        Itf::Int(i) => i.to_string(),
        Itf::Bool(b) => b.to_string(),
        Itf::Variant(tag, v) => match v.as_ref() {
            Itf::Record(r) if r.is_empty() => tag.clone(),
            Itf::Tup(items) => {
                let parts: Vec<String> = items.iter().map(key_text).collect();
                format!("{tag}({})", parts.join(", "))
            }
            one => format!("{tag}({})", key_text(one)),
        },
        Itf::Tup(items) => {
            let parts: Vec<String> = items.iter().map(key_text).collect();
            format!("({})", parts.join(", "))
        }
        other => panic!("unexpected key {other:?}"),
    }
}

/// Whether the ITF value `v` is the value the JSON report writes as `j`
/// (README: variants as their name or `{"Name": [payload]}`, records and
/// maps as objects, sets and sequences as arrays, multisets as arrays of
/// `[value, count]`).
fn same(v: &Itf, j: &Json) -> bool {
    match (v, j) {
        (Itf::Bool(a), Json::Bool(b)) => a == b,
        (Itf::Int(a), Json::Number(b)) => b.as_i64().map(i128::from) == Some(*a),
        (Itf::Variant(tag, payload), Json::String(name)) => {
            tag == name && *payload.as_ref() == Itf::Record(BTreeMap::new())
        }
        (Itf::Variant(tag, payload), Json::Object(m)) => {
            let Some(Json::Array(items)) = m.get(tag) else {
                return false;
            };
            match payload.as_ref() {
                Itf::Tup(ps) if ps.len() == items.len() && ps.len() != 1 => {
                    ps.iter().zip(items).all(|(p, i)| same(p, i))
                }
                one => items.len() == 1 && same(one, &items[0]),
            }
        }
        (Itf::Record(r), Json::Object(m)) => {
            r.len() == m.len() && r.iter().all(|(k, v)| m.get(k).is_some_and(|x| same(v, x)))
        }
        (Itf::Map(pairs), Json::Object(m)) => {
            pairs.len() == m.len()
                && pairs
                    .iter()
                    .all(|(k, v)| m.get(&key_text(k)).is_some_and(|x| same(v, x)))
        }
        // A multiset: [element, count] pairs.
        (Itf::Map(pairs), Json::Array(items)) => {
            pairs.len() == items.len()
                && pairs.iter().zip(items).all(|((k, c), i)| {
                    i.as_array()
                        .is_some_and(|p| p.len() == 2 && same(k, &p[0]) && same(c, &p[1]))
                })
        }
        (Itf::Set(xs) | Itf::List(xs) | Itf::Tup(xs), Json::Array(items)) => {
            xs.len() == items.len() && xs.iter().zip(items).all(|(x, i)| same(x, i))
        }
        _ => false,
    }
}

#[test]
fn itf_traces_decode_to_the_json_trace() {
    for spec in [&[BUG][..], &[LASSO], &FIFO, &[DEADLOCK]] {
        let (code, _, text) = trace_file(spec, "itf");
        assert_eq!(code, 1);
        let itf = json_of(&text);
        let (_, r) = report(spec);
        let trace = r["violation"]["trace"].as_array().expect("trace");
        let vars: Vec<&str> = itf["vars"]
            .as_array()
            .expect("vars")
            .iter()
            .map(|v| v.as_str().expect("var name"))
            .collect();
        let states = itf["states"].as_array().expect("states");
        assert_eq!(states.len(), trace.len(), "{spec:?}");
        assert_eq!(itf["#meta"]["format"], json!("ITF"));
        for (i, (st, step)) in states.iter().zip(trace).enumerate() {
            let st = st.as_object().expect("state object");
            assert_eq!(st["#meta"]["index"], json!(i));
            assert_eq!(st["#meta"]["action"], step["action"], "{spec:?} step {i}");
            // Every variable of `vars`, and nothing else but `#meta`.
            assert_eq!(st.len(), vars.len() + 1);
            let recorded = step["state"].as_object().expect("state");
            assert_eq!(recorded.len(), vars.len());
            for var in &vars {
                let v = read_itf(&st[*var]);
                assert!(
                    same(&v, &recorded[*var]),
                    "{spec:?} state {i} {var}: ITF {v:?} vs JSON {}",
                    recorded[*var]
                );
            }
            for (name, p) in st["#meta"]["params"].as_object().expect("params") {
                assert!(same(&read_itf(p), &step["params"][name]), "{name}");
            }
        }
        assert_eq!(
            itf.get("loop"),
            r["violation"].get("loop_start"),
            "{spec:?}"
        );
    }
}

#[test]
fn itf_of_the_lasso_loops_back() {
    // revisit_cycle.ron: prefix 0 steps, cycle Step, Step, Wrap back to the
    // initial state: loop = 0, and the last state repeats state 0.
    let (_, _, text) = trace_file(&[LASSO], "itf");
    let itf = json_of(&text);
    assert_eq!(itf["loop"], json!(0));
    let xs: Vec<&Json> = itf["states"]
        .as_array()
        .expect("states")
        .iter()
        .map(|s| &s["x"])
        .collect();
    assert_eq!(xs, [&json!(0), &json!(1), &json!(2), &json!(0)]);
}

#[test]
fn mermaid_of_a_message_passing_violation() {
    // fifo_required.ron on an unordered network (its header and
    // tests/msc.rs): Send (Data(1)), Send (Data(2)), then Receiver(1) is
    // delivered Data(2) first, and InOrder fails.
    let mut args = vec!["run"];
    args.extend_from_slice(&FIFO);
    args.extend(["--threads", "1", "--trace-format", "mermaid"]);
    let (code, out, err) = dcheck(&args);
    assert_eq!(code, 1, "{err}");
    // The summary goes to stderr when stdout holds the diagram.
    assert!(err.contains("Invariant InOrder is violated."), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "sequenceDiagram",
            "    participant Sender_1 as Sender(1)",
            "    participant Receiver_1 as Receiver(1)",
            "    Sender_1->>Receiver_1: 1: Data(1)",
            "    Sender_1->>Receiver_1: 2: Data(2)",
            "    Sender_1-->>Receiver_1: 3: recv Data(2)",
            "    Note over Sender_1,Receiver_1: Violated: invariant InOrder",
        ],
        "{out}"
    );
}

/// The grammar subset dcheck writes: a header, participants, arrows
/// between declared participants, notes, loop blocks.
fn check_mermaid_shape(text: &str) -> (Vec<String>, usize) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    let mut participants = Vec::new();
    let mut arrows = 0;
    for l in lines {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("participant ") {
            let id = rest.split(" as ").next().expect("an id");
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{l}"
            );
            participants.push(id.to_string());
        } else if let Some(rest) = t.strip_prefix("Note over ") {
            let (who, _) = rest.split_once(": ").expect("Note over X: text");
            assert!(
                who.split(',').all(|p| participants.iter().any(|q| q == p)),
                "{l}"
            );
        } else if t.starts_with("loop ") || t == "end" {
        } else {
            let (head, msg) = t.split_once(": ").expect("an arrow with a label");
            assert!(!msg.is_empty());
            let arrow = ["-->>", "->>", "-x"]
                .into_iter()
                .find(|a| head.contains(a))
                .unwrap_or_else(|| panic!("not an arrow: {l}"));
            let (a, b) = head.split_once(arrow).expect("two ends");
            assert!(participants.iter().any(|p| p == a), "{l}");
            assert!(participants.iter().any(|p| p == b), "{l}");
            arrows += 1;
        }
    }
    (participants, arrows)
}

#[test]
fn mermaid_shapes_with_and_without_roles() {
    // Maekawa v1 (roles, a deadlock): one arrow per send and receive event
    // of the JSON report.
    let spec = ["specs/bugs/maekawa_v1.ron"];
    let (_, _, text) = trace_file(&spec, "mermaid");
    let (participants, arrows) = check_mermaid_shape(&text);
    let (_, r) = report(&spec);
    let events = r["violation"]["events"].as_array().expect("events");
    let count = |k: &str| events.iter().filter(|e| e["kind"] == json!(k)).count();
    assert_eq!(
        arrows,
        count("send") + count("receive") + count("lose"),
        "{text}"
    );
    assert!(participants.len() >= 2, "{text}");
    // Without roles: one participant, one note per trace state (6 for the
    // 5-step 2PC trace) plus the violation's.
    let (_, _, text) = trace_file(&[BUG], "mermaid");
    let (participants, arrows) = check_mermaid_shape(&text);
    assert_eq!((participants.len(), arrows), (1, 0), "{text}");
    assert_eq!(text.matches("Note over Spec:").count(), 6 + 1, "{text}");
    // A lasso: the cycle's three steps inside one loop block.
    let (_, _, text) = trace_file(&[LASSO], "mermaid");
    check_mermaid_shape(&text);
    let inner = text
        .split("loop ")
        .nth(1)
        .and_then(|t| t.split("\n    end").next())
        .expect("a loop block");
    assert_eq!(inner.matches("Note over Spec:").count(), 3, "{text}");
}

/// (nodes, edges) of a DOT digraph in dcheck's shape: one `sN [...]` line
/// per node, one `sA -> sB [...]` line per edge.
fn dot_counts(text: &str) -> (usize, usize, Vec<(usize, usize)>) {
    assert!(text.starts_with("digraph "), "{text}");
    assert!(text.trim_end().ends_with('}'), "{text}");
    let mut nodes = 0;
    let mut edges = Vec::new();
    let id = |s: &str| -> usize { s.trim().trim_start_matches('s').parse().expect("sN") };
    for l in text.lines().map(str::trim) {
        if !l.starts_with('s') || !l.ends_with("];") {
            continue;
        }
        let head = l.split(" [").next().expect("statement");
        match head.split_once(" -> ") {
            Some((a, b)) => edges.push((id(a), id(b))),
            None => {
                id(head);
                nodes += 1;
            }
        }
    }
    (nodes, edges.len(), edges)
}

#[test]
fn graph_of_a_tiny_spec_has_every_state_and_transition() {
    let (code, out, err) = dcheck(&["graph", TINY]);
    assert_eq!(code, 0, "{err}");
    let (nodes, edges, _) = dot_counts(&out);
    // Hand count in tiny.ron: 6 states, 12 transitions.
    assert_eq!((nodes, edges), (6, 12), "{out}");
    // The run agrees: distinct states, and generated = initial + edges.
    let (_, r) = report(&[TINY]);
    assert_eq!(r["distinct_states"], json!(nodes));
    assert_eq!(r["states_generated"], json!(1 + edges));
    // One initial state, marked.
    assert_eq!(out.matches("peripheries=2").count(), 1, "{out}");
    assert!(
        out.contains("x = 0\\lb = false\\l\", peripheries=2"),
        "{out}"
    );
    // Past --max-states: refused with exit 2.
    let (code, out, err) = dcheck(&["graph", TINY, "--max-states", "5"]);
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("more than 5"), "{err}");
    let (code, _, _) = dcheck(&["graph", TINY, "--max-states", "6"]);
    assert_eq!(code, 0);
}

#[test]
fn dot_trace_is_a_path_or_a_lasso() {
    // The 5-step 2PC trace: 6 states on a path s0 -> ... -> s5.
    let (_, _, text) = trace_file(&[BUG], "dot");
    let (nodes, edges, list) = dot_counts(&text);
    assert_eq!((nodes, edges), (6, 5), "{text}");
    assert_eq!(list, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]);
    // The lasso 0 -> 1 -> 2 -> 0: three states, the last step back to s0.
    let (_, _, text) = trace_file(&[LASSO], "dot");
    let (nodes, _, list) = dot_counts(&text);
    assert_eq!(nodes, 3, "{text}");
    assert_eq!(list, [(0, 1), (1, 2), (2, 0)]);
}

#[test]
fn text_trace_colour_follows_the_environment() {
    let args = ["run", BUG, "--threads", "1"];
    let esc = "\u{1b}[";
    // Not a terminal: no colour.
    let (_, plain, _) = dcheck(&args);
    assert!(!plain.contains(esc));
    // Forced on; NO_COLOR wins over forcing.
    let (_, forced, _) = dcheck_env(&args, &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains(esc), "{forced}");
    let (_, off, _) = dcheck_env(&args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!off.contains(esc));
    // Colour changes nothing but the escape codes.
    let stripped = strip_ansi(&forced);
    let no_time = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("time") && !l.contains("states/s"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(no_time(&stripped), no_time(&plain));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn full_states_show_every_variable_in_every_state() {
    let (code, out, _) = dcheck(&["run", BUG, "--threads", "1", "--full-states"]);
    assert_eq!(code, 1);
    let trace = out.split("Violated:").next().expect("trace");
    // 6 states of 4 variables (rmState, tmState, tmPrepared, msgs).
    for var in ["rmState", "tmState", "tmPrepared", "msgs"] {
        let n = trace
            .lines()
            .filter(|l| {
                let t = l.trim_start_matches([' ', '*']);
                t.starts_with(var) && t[var.len()..].trim_start().starts_with('=')
            })
            .count();
        assert_eq!(n, 6, "{var}:\n{trace}");
    }
    // Step 1 (RMPrepare(r = 1)) changes rmState and msgs: two marked lines.
    let step1 = trace
        .split("    1. ")
        .nth(1)
        .and_then(|t| t.split("    2. ").next())
        .expect("step 1");
    let marked: Vec<&str> = step1
        .lines()
        .filter(|l| l.trim_start().starts_with("* "))
        .collect();
    assert_eq!(marked.len(), 2, "{step1}");
    assert!(
        marked[0].contains("rmState") && marked[1].contains("msgs"),
        "{step1}"
    );
}

#[test]
fn trace_out_needs_a_writable_file_and_json_reports_keep_stdout() {
    // --format json with --trace-format but no --trace-out: usage error.
    let (code, _, err) = dcheck(&["run", BUG, "--format", "json", "--trace-format", "itf"]);
    assert_eq!(code, 2, "{err}");
    // --format json and --trace-out: the report on stdout, the ITF trace in
    // the file.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.itf.json");
    let p = path.to_str().expect("path");
    let (code, out, _) = dcheck(&[
        "run",
        BUG,
        "--threads",
        "1",
        "--format",
        "json",
        "--trace-format",
        "itf",
        "--trace-out",
        p,
    ]);
    assert_eq!(code, 1);
    assert_eq!(json_of(&out)["result"], json!("violation"));
    let itf = json_of(&std::fs::read_to_string(&path).expect("written"));
    assert!(itf["states"].is_array());
    // An unwritable path: exit 2, not a panic.
    let (code, _, err) = dcheck(&["run", BUG, "--trace-out", "/nonexistent-dir/t.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot write"), "{err}");
}
