//! The counterexample as a Mermaid `sequenceDiagram`
//! (`--trace-format mermaid`).
//!
//! For a spec with roles, one participant per process that takes part
//! (ordered as in the "Messages:" chart, see [`crate::events`]): a send is a
//! solid arrow `A->>B: 3: Msg` drawn at the step that sends it, its
//! delivery a dotted arrow `A-->>B: 5: recv Msg` at the step that receives
//! it, a loss `A-xB: lost Msg`; local steps and crashes are notes over the
//! process. Labels start with the trace step number. For a spec without
//! roles, one participant (the spec) and a note per step with the action
//! and what it changed. A lasso's cycle is a `loop` block; the violated
//! property is a final note.

use std::fmt::Write;

use dcheck_engine::{Violation, ViolationKind};
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_net::Processes;

use crate::diff::changes;
use crate::events::{events, lanes, Event};
use crate::text::transition_text;

/// Text safe inside a Mermaid label: `#`, `;` and `<` (which could open an
/// HTML tag) as entity codes, a line break as `<br/>`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '\n' => out.push_str("<br/>"),
            c => out.push(c),
        }
    }
    out
}

/// A participant id: the name's letters, digits and `_` (others become
/// `_`), made unique with a numeric suffix.
fn ids(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let mut id: String = n
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        id = id.trim_end_matches('_').to_string();
        if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
            id = format!("P_{id}");
        }
        let base = id.clone();
        let mut k = 2;
        while out.contains(&id) {
            id = format!("{base}_{k}");
            k += 1;
        }
        out.push(id);
    }
    out
}

fn violation_note(model: &Model, v: &Violation) -> String {
    let p = crate::violated_property(model, &v.kind);
    match v.kind {
        ViolationKind::Invariant(_) => format!("Violated: invariant {p}"),
        ViolationKind::Deadlock => "Violated: deadlock (no action enabled)".to_string(),
        ViolationKind::EvalError(_) => "Violated: evaluation error".to_string(),
        ViolationKind::Liveness(_) => format!("Violated: property {p}"),
        ViolationKind::ActionProperty(_) => format!("Violated: action property {p}"),
        ViolationKind::Refinement(_) => format!("Violated: refinement {p}"),
    }
}

/// The sequence diagram of `v`.
pub fn sequence_diagram(model: &Model, v: &Violation, procs: Option<&Processes>) -> String {
    let loop_start = v.lasso.as_ref().map(|l| l.loop_start);
    let mut s = String::from("sequenceDiagram\n");
    // Every line of step `i` goes through `row`, which opens the loop block
    // before the first step of the cycle.
    let evs = procs.map(|p| (events(model, &v.trace, p), p));
    let lanes = evs
        .as_ref()
        .map(|(e, p)| lanes(e, p))
        .filter(|l| !l.is_empty());
    match (&evs, lanes) {
        (Some((evs, _)), Some(lanes)) => {
            let names: Vec<String> = lanes.iter().map(|p| p.to_string()).collect();
            let ids = ids(&names);
            for (id, n) in ids.iter().zip(&names) {
                let _ = writeln!(s, "    participant {id} as {}", escape(n));
            }
            let id = |p: &Value| {
                lanes
                    .iter()
                    .position(|l| l == p)
                    .map(|k| ids[k].as_str())
                    .unwrap_or("")
            };
            let all = match (ids.first(), ids.last()) {
                (Some(a), Some(b)) if a != b => format!("{a},{b}"),
                (Some(a), _) => a.clone(),
                _ => String::new(),
            };
            for (i, step_events) in evs.iter().enumerate() {
                open_loop(&mut s, loop_start, i, v.trace.len());
                for e in step_events {
                    let line = match e {
                        Event::Send { from, to, msg } => {
                            format!(
                                "{}->>{}: {i}: {}",
                                id(from),
                                id(to),
                                escape(&msg.to_string())
                            )
                        }
                        Event::Receive { at, from, msg } => format!(
                            "{}-->>{}: {i}: recv {}",
                            id(from),
                            id(at),
                            escape(&msg.to_string())
                        ),
                        Event::Lose { from, to, msg } => format!(
                            "{}-x{}: {i}: lost {}",
                            id(from),
                            id(to),
                            escape(&msg.to_string())
                        ),
                        Event::Crash { who } => format!("Note over {}: {i}: CRASH", id(who)),
                        Event::Step { at: Some(p), name } if !id(p).is_empty() => {
                            format!("Note over {}: {i}: {}", id(p), escape(name))
                        }
                        Event::Step { name, .. } => {
                            format!("Note over {all}: {i}: {}", escape(name))
                        }
                    };
                    let _ = writeln!(s, "{}{line}", indent(loop_start, i));
                }
            }
            close_loop(&mut s, loop_start, v.trace.len(), &all);
            let _ = writeln!(
                s,
                "    Note over {all}: {}",
                escape(&violation_note(model, v))
            );
        }
        _ => {
            let _ = writeln!(s, "    participant Spec as {}", escape(&model.name));
            let mut prev: Option<Vec<(String, Value)>> = None;
            for (i, step) in v.trace.iter().enumerate() {
                open_loop(&mut s, loop_start, i, v.trace.len());
                let vars = model.decode_state(&step.state);
                let mut lines = Vec::new();
                match (step.transition, &prev) {
                    (Some(t), Some(p)) => {
                        lines.push(format!("{i}: {}", transition_text(model, t)));
                        let mut out = Vec::new();
                        for ((n, old), (_, new)) in p.iter().zip(&vars) {
                            changes(n, old, new, &mut out);
                        }
                        if out.is_empty() {
                            lines.push("(no change)".to_string());
                        }
                        for (path, old, new) in out {
                            lines.push(format!("{path}: {old} -> {new}"));
                        }
                    }
                    _ => {
                        lines.push(format!("{i}: initial state"));
                        for (n, val) in &vars {
                            lines.push(format!("{n} = {val}"));
                        }
                    }
                }
                let text: Vec<String> = lines.iter().map(|l| escape(l)).collect();
                let _ = writeln!(
                    s,
                    "{}Note over Spec: {}",
                    indent(loop_start, i),
                    text.join("<br/>")
                );
                prev = Some(vars);
            }
            close_loop(&mut s, loop_start, v.trace.len(), "Spec");
            let _ = writeln!(
                s,
                "    Note over Spec: {}",
                escape(&violation_note(model, v))
            );
        }
    }
    s
}

/// The steps of a lasso's cycle (after the loop start) go in a `loop` block.
fn in_cycle(loop_start: Option<usize>, i: usize) -> bool {
    loop_start.is_some_and(|k| i > k)
}

fn indent(loop_start: Option<usize>, i: usize) -> &'static str {
    if in_cycle(loop_start, i) {
        "        "
    } else {
        "    "
    }
}

fn open_loop(s: &mut String, loop_start: Option<usize>, i: usize, len: usize) {
    if let Some(k) = loop_start {
        if i == k + 1 && i < len {
            let _ = writeln!(s, "    loop back to state {k}, forever");
        }
    }
}

/// Ends the `loop` block, or for a lasso that stutters in its last state,
/// says so in a note over `over`.
fn close_loop(s: &mut String, loop_start: Option<usize>, len: usize, over: &str) {
    match loop_start {
        Some(k) if k + 1 < len => {
            let _ = writeln!(s, "    end");
        }
        Some(k) => {
            let _ = writeln!(
                s,
                "    Note over {over}: {k}: no action enabled, stays here forever"
            );
        }
        None => {}
    }
}
