//! The human-readable report: the verdict, the statistics of the search and,
//! for a violation, the counterexample as numbered steps (the full first
//! state, then only what changed) ending with the violated property, the
//! conjunct that failed and the binding that falsified it.

use std::fmt::Write;

use dcheck_engine::{Outcome, Verdict, Violation, ViolationKind};
use dcheck_model::system::TransitionId;
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::span::{SourceMap, Span};

use crate::diff::changes;
use crate::{limit_name, RunInfo};

/// `Action(p = v, ...)`
pub fn transition_text(model: &Model, t: TransitionId) -> String {
    let (name, params) = model.transition_label(t);
    if params.is_empty() {
        return name.to_string();
    }
    let ps: Vec<String> = params.iter().map(|(n, v)| format!("{n} = {v}")).collect();
    format!("{name}({})", ps.join(", "))
}

/// The source text under a span.
pub fn span_text(sources: &SourceMap, span: Span) -> String {
    let text = &sources.file(span.file).text;
    text.get(span.start as usize..span.end as usize)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The verdict line and statistics.
pub fn summary(model: &Model, outcome: &Outcome, info: &RunInfo) -> String {
    let mut s = String::new();
    let st = &outcome.stats;
    let verdict = match &outcome.result {
        Verdict::Ok => "All properties hold (complete search).".to_string(),
        Verdict::Violation(v) => match &v.kind {
            ViolationKind::Invariant(i) => format!(
                "Invariant {} is violated.",
                model.invariants[*i as usize].name
            ),
            ViolationKind::Deadlock => "Deadlock reached.".to_string(),
            ViolationKind::EvalError(_) => "Evaluation error.".to_string(),
            ViolationKind::Liveness(_) => "Liveness property violated.".to_string(),
        },
        Verdict::Incomplete(l) => format!(
            "Search incomplete: the --{} limit was reached; no violation found so far.",
            limit_name(*l)
        ),
    };
    let secs = st.elapsed.as_secs_f64();
    let _ = writeln!(s, "{verdict}");
    if !model.temporal.is_empty() {
        let _ = writeln!(
            s,
            "  note: {} temporal propert{} not checked (liveness checking is not implemented yet): {}",
            model.temporal.len(),
            if model.temporal.len() == 1 { "y" } else { "ies" },
            model.temporal.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "  spec                   {} ({})",
        model.name, info.spec_path
    );
    if !model.constants.is_empty() {
        let cs: Vec<String> = model
            .constants
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let _ = writeln!(s, "  constants              {}", cs.join(" "));
    }
    let _ = writeln!(
        s,
        "  search                 {} on {} thread(s)",
        info.strategy, info.threads
    );
    let bits = model.state_bits();
    let _ = writeln!(
        s,
        "  state encoding         {bits} bits ({} word(s))",
        bits.div_ceil(64).max(1)
    );
    let _ = writeln!(s, "  distinct states        {}", st.distinct_states);
    let _ = writeln!(s, "  states generated       {}", st.states_generated);
    let _ = writeln!(s, "  depth                  {}", st.depth);
    let _ = writeln!(s, "  time                   {secs:.3} s");
    let _ = writeln!(
        s,
        "  distinct states/s      {:.0}",
        st.distinct_states as f64 / secs.max(1e-9)
    );
    let _ = writeln!(
        s,
        "  bytes per state        {:.1}",
        st.bytes_used as f64 / st.distinct_states.max(1) as f64
    );
    let _ = writeln!(
        s,
        "  fingerprint collision  {:.1e} (probability estimate)",
        st.fingerprint_collision_probability
    );
    s
}

/// The counterexample.
pub fn counterexample(model: &Model, sources: &SourceMap, v: &Violation, info: &RunInfo) -> String {
    counterexample_with(model, sources, v, info, None)
}

/// The counterexample; for a spec with roles (`procs`), followed by the
/// per-process message view ("Messages:", see [`crate::events`]).
pub fn counterexample_with(
    model: &Model,
    sources: &SourceMap,
    v: &Violation,
    info: &RunInfo,
    procs: Option<&dcheck_net::Processes>,
) -> String {
    let mut s = String::new();
    let note = if info.strategy == "bfs" {
        ", a shortest one"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "Counterexample ({} step(s){note}):",
        v.trace.len().saturating_sub(1)
    );
    let mut prev: Option<Vec<(String, Value)>> = None;
    for (i, step) in v.trace.iter().enumerate() {
        let vars = model.decode_state(&step.state);
        match step.transition {
            None => {
                let _ = writeln!(s, "  {i:>3}. initial state");
                let w = vars.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                for (n, val) in &vars {
                    let _ = writeln!(s, "         {n:<w$} = {val}");
                }
            }
            Some(t) => {
                let _ = writeln!(s, "  {i:>3}. {}", transition_text(model, t));
                let mut out = Vec::new();
                if let Some(p) = &prev {
                    for ((n, old), (_, new)) in p.iter().zip(&vars) {
                        changes(n, old, new, &mut out);
                    }
                }
                if out.is_empty() {
                    let _ = writeln!(s, "         (no change)");
                }
                for (path, old, new) in out {
                    let _ = writeln!(s, "         {path}: {old} -> {new}");
                }
            }
        }
        prev = Some(vars);
    }
    if let Some(p) = procs {
        let evs = crate::events::events(model, &v.trace, p);
        let _ = writeln!(s, "Messages:");
        s.push_str(&crate::events::lane_view(&evs, p));
    }
    match &v.kind {
        ViolationKind::Liveness(_) => {}
        ViolationKind::Invariant(i) => {
            let inv = &model.invariants[*i as usize];
            let _ = writeln!(s, "Violated: invariant {} in the last state.", inv.name);
            if let Some(last) = v.trace.last() {
                if let Some(ex) = model.explain(*i, &last.state) {
                    let _ = writeln!(s, "  failing part: {}", span_text(sources, ex.conjunct));
                    if !ex.bindings.is_empty() {
                        let bs: Vec<String> = ex
                            .bindings
                            .iter()
                            .map(|(n, v)| format!("{n} = {v}"))
                            .collect();
                        let _ = writeln!(s, "  for:          {}", bs.join(", "));
                    }
                }
            }
        }
        ViolationKind::Deadlock => {
            let _ = writeln!(s, "Violated: deadlock: no action is enabled in the last state and `terminal` does not hold there.");
            let _ = writeln!(
                s,
                "  (use --no-deadlock, or declare intended end states with `terminal`)"
            );
        }
        ViolationKind::EvalError(e) => {
            let what = match e.transition {
                Some(t) => format!(
                    "while evaluating {} in the last state",
                    transition_text(model, t)
                ),
                None => {
                    "while evaluating the invariants or `terminal` in the last state".to_string()
                }
            };
            let _ = writeln!(s, "Violated: evaluation error {what}: {}", e.error.message);
            if let Some(span) = e.error.span {
                let d = Diagnostic::new(span, e.error.message.clone()).label("evaluated here");
                s.push_str(&dcheck_syntax::render(sources, &[d], false));
            }
        }
    }
    s
}
