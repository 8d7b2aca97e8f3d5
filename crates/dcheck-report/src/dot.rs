//! Graphviz DOT output: the counterexample as a path (`--trace-format dot`)
//! and the whole state graph of a small spec (`dcheck graph`).
//!
//! Nodes are boxes labelled with the state's variables (`name = value`, one
//! per line), edges are labelled with the transition (`Action(p = v)`).
//! Initial states have a double border (`peripheries=2`); states that
//! violate an invariant are red, deadlocks dashed.

use std::fmt::Write;

use dcheck_engine::graph::StateGraph;
use dcheck_engine::{Violation, ViolationKind};
use dcheck_model::system::{TransitionSystem, Word};
use dcheck_model::Model;

use crate::text::transition_text;

/// `s` with `"` and `\` escaped for a DOT double-quoted string.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A DOT double-quoted label, each line ended by `\l` (left-justified).
fn quote(lines: &[String]) -> String {
    let body: String = lines.iter().map(|l| esc(l) + "\\l").collect();
    format!("\"{body}\"")
}

fn state_lines(model: &Model, state: &[Word]) -> Vec<String> {
    model
        .decode_state(state)
        .into_iter()
        .map(|(n, v)| format!("{n} = {v}"))
        .collect()
}

fn header(s: &mut String, name: &str) {
    let _ = writeln!(s, "digraph \"{}\" {{", esc(name));
    let _ = writeln!(s, "  node [shape=box, fontname=\"monospace\"];");
    let _ = writeln!(s, "  edge [fontname=\"monospace\"];");
}

/// The counterexample as a path `s0 -> s1 -> ...`; a lasso's last step goes
/// back to the node of its loop start (a stuttering lasso gets a self-loop).
pub fn trace(model: &Model, v: &Violation) -> String {
    let mut s = String::new();
    header(&mut s, &format!("{} counterexample", model.name));
    let loop_start = v.lasso.as_ref().map(|l| l.loop_start);
    let last = v.trace.len().saturating_sub(1);
    // With a cycle, the last state is the loop start's again: no new node.
    let nodes = match loop_start {
        Some(k) if k < last => last,
        _ => last + 1,
    };
    let violated = crate::violated_property(model, &v.kind);
    for (i, step) in v.trace.iter().enumerate().take(nodes) {
        let mut lines = vec![format!("state {i}")];
        lines.extend(state_lines(model, &step.state));
        let mut attrs = String::new();
        if i == 0 {
            attrs += ", peripheries=2";
        }
        if i == last && !matches!(v.kind, ViolationKind::Liveness(_)) {
            lines.push(format!("violates: {violated}"));
            attrs += ", color=red";
        }
        let _ = writeln!(s, "  s{i} [label={}{attrs}];", quote(&lines));
    }
    for (i, step) in v.trace.iter().enumerate().skip(1) {
        let Some(t) = step.transition else { continue };
        let to = if i == last && nodes == last {
            loop_start.unwrap_or(i)
        } else {
            i
        };
        let _ = writeln!(
            s,
            "  s{} -> s{to} [label={}];",
            i - 1,
            quote(&[transition_text(model, t)])
        );
    }
    if let Some(k) = loop_start {
        if k == last {
            let _ = writeln!(
                s,
                "  s{k} -> s{k} [label=\"stutters forever\", style=dashed];"
            );
        }
        let _ = writeln!(
            s,
            "  label={}; labelloc=b;",
            quote(&[format!("violates: {violated} (the cycle repeats forever)")])
        );
    }
    s.push_str("}\n");
    s
}

/// The state graph `g` of `model`: node `sI` per state, an edge per
/// generated transition.
pub fn graph(model: &Model, g: &StateGraph) -> String {
    let mut s = String::new();
    header(&mut s, &model.name);
    let mut sc = model.scratch();
    let mut outgoing = vec![0usize; g.states.len()];
    for (from, _, _) in &g.edges {
        outgoing[*from as usize] += 1;
    }
    for (i, state) in g.states.iter().enumerate() {
        let mut lines = state_lines(model, state);
        let mut attrs = String::new();
        if i < g.initial {
            attrs += ", peripheries=2";
        }
        if let Ok(Some(inv)) = model.check_invariants(&mut sc, state) {
            lines.push(format!("violates: {}", model.invariants[inv as usize].name));
            attrs += ", color=red";
        }
        if outgoing[i] == 0 && !model.is_terminal(&mut sc, state).unwrap_or(false) {
            lines.push("deadlock".to_string());
            attrs += ", style=dashed";
        }
        let _ = writeln!(s, "  s{i} [label={}{attrs}];", quote(&lines));
    }
    for (from, t, to) in &g.edges {
        let _ = writeln!(
            s,
            "  s{from} -> s{to} [label={}];",
            quote(&[transition_text(model, *t)])
        );
    }
    s.push_str("}\n");
    s
}
