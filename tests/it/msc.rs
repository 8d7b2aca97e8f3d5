//! The per-process event view of counterexamples of message-passing specs
//! (`crates/dcheck-report/src/events.rs`), through the CLI: the events of
//! the JSON report and the text lane view. Expected events are derived by
//! hand from the specs.

use serde_json::{json, Value as Json};

use crate::common;

use common::dcheck_run as run;

fn run_json(args: &[&str]) -> Json {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let (code, out, err) = run(&a);
    assert_eq!(code, 1, "expected a violation: {out}{err}");
    serde_json::from_str(&out).expect("json")
}

const FIFO: [&str; 5] = [
    "specs/examples/fifo_required.ron",
    "--network",
    "unordered",
    "--threads",
    "1",
];

/// On an unordered network the shortest InOrder violation (BFS) is: the
/// Sender sends Data(1) (next = 1), sends Data(2) (next = 2), then the
/// Receiver is delivered Data(2) first, so got = [2]. The deliver step
/// consumes Data(2) from the bag `net`.
#[test]
fn fifo_required_events_are_two_sends_and_an_overtaking_receive() {
    let j = run_json(&FIFO);
    let events = &j["violation"]["events"];
    assert_eq!(
        events,
        &json!([
            {"step": 1, "kind": "send", "process": "Sender(1)", "peer": "Receiver(1)", "message": "Data(1)"},
            {"step": 2, "kind": "send", "process": "Sender(1)", "peer": "Receiver(1)", "message": "Data(2)"},
            {"step": 3, "kind": "receive", "process": "Receiver(1)", "peer": "Sender(1)", "message": "Data(2)"},
        ]),
        "{j:#}"
    );
}

#[test]
fn fifo_required_lane_view_has_lanes_and_messages() {
    let (code, out, _) = run(&FIFO);
    assert_eq!(code, 1, "{out}");
    let view = out
        .split("Messages:\n")
        .nth(1)
        .expect("a Messages: section")
        .split("Violated:")
        .next()
        .unwrap();
    let lines: Vec<&str> = view.lines().collect();
    // Header, then one row per event (three events, one per step).
    assert_eq!(lines.len(), 4, "{view}");
    let (s, r) = (
        lines[0].find("Sender(1)").expect("Sender lane"),
        lines[0].find("Receiver(1)").expect("Receiver lane"),
    );
    assert!(s < r, "lanes in role declaration order:\n{view}");
    assert!(
        lines[1].contains("Data(1)") && lines[1].contains('>'),
        "{view}"
    );
    assert!(
        lines[2].contains("Data(2)") && lines[2].contains('>'),
        "{view}"
    );
    assert!(
        lines[3].contains("recv Data(2)") && lines[3].contains("from Sender(1)"),
        "{view}"
    );
    assert!(view.is_ascii(), "{view}");
}

/// 2pc_msgs with room for one message: the error is found when the second
/// message is sent; the view must cope with whatever the trace holds.
#[test]
fn capacity_error_trace_view_does_not_crash() {
    let (code, out, _) = run(&["tests/fixtures/net/2pc_capacity_1.ron", "--threads", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Messages:"), "{out}");
    let j = run_json(&["tests/fixtures/net/2pc_capacity_1.ron", "--threads", "1"]);
    assert!(j["violation"]["events"].is_array(), "{j:#}");
}

#[test]
fn specs_without_roles_have_no_message_view() {
    let spec = "specs/bugs/2pc_commit_early.ron";
    let (code, out, _) = run(&[spec, "--threads", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("Messages:"), "{out}");
    let j = run_json(&[spec, "--threads", "1"]);
    assert!(j["violation"].is_object(), "{j:#}");
    assert!(j["violation"].get("events").is_none(), "{j:#}");
}
