//! The JSON report (`--format json`): one object on stdout with the verdict,
//! statistics, every checked property with its status, and on a violation
//! the trace as `{action, params, state}` steps (the first is the initial
//! state, with `action: null`).

use dcheck_engine::{Outcome, Verdict, ViolationKind};
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_syntax::span::SourceMap;
use serde_json::{json, Map, Value as Json};

use crate::text::span_text;
use crate::{limit_name, violated_property, RunInfo};

/// A decoded value as JSON: enum variants as their name (or `{name: [payload]}`),
/// records and maps as objects, sets and sequences as arrays, multisets as
/// arrays of `[value, count]`.
pub fn value(v: &Value) -> Json {
    match v {
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Variant { variant, payload } if payload.is_empty() => json!(variant),
        Value::Variant { variant, payload } => {
            let mut m = Map::new();
            m.insert(
                variant.clone(),
                Json::Array(payload.iter().map(value).collect()),
            );
            Json::Object(m)
        }
        Value::Record(fields) => {
            Json::Object(fields.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
        Value::Tuple(items) | Value::Set(items) | Value::Seq(items) => {
            Json::Array(items.iter().map(value).collect())
        }
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), value(v)))
                .collect(),
        ),
        Value::Multiset(items) => {
            Json::Array(items.iter().map(|(v, c)| json!([value(v), c])).collect())
        }
    }
}

/// The version of the JSON report and trace documents
/// (`docs/schema/report-v1.json`, `docs/schema/trace-v1.json`): raised when
/// a field changes meaning or goes away, not when one is added.
pub const SCHEMA_VERSION: u32 = 1;

fn object(pairs: &[(String, Value)]) -> Json {
    Json::Object(pairs.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

pub fn report(
    model: &Model,
    sources: &SourceMap,
    outcome: &Outcome,
    info: &RunInfo,
    check_deadlock: bool,
) -> Json {
    let st = &outcome.stats;
    let secs = st.elapsed.as_secs_f64();
    let result = match outcome.result {
        Verdict::Ok => "ok",
        Verdict::Violation(_) => "violation",
        Verdict::Incomplete(dcheck_engine::Limit::Interrupted) => "interrupted",
        Verdict::Incomplete(_) => "incomplete",
    };
    let properties: Vec<Json> = crate::checked(model, sources, outcome, check_deadlock)
        .into_iter()
        .map(|c| {
            let mut j = json!({"name": c.name, "kind": c.kind, "status": c.status});
            if let Some(f) = c.fairness {
                j["fairness"] = json!(f);
            }
            if let Some(n) = c.automaton {
                j["automaton_states"] = json!(n);
            }
            j
        })
        .collect();
    let mut out = json!({
        "schema_version": SCHEMA_VERSION,
        "spec": model.name,
        "file": info.spec_path,
        "constants": object(&model.constants),
        "strategy": info.strategy,
        "threads": info.threads,
        "result": result,
        "distinct_states": st.distinct_states,
        "states_generated": st.states_generated,
        "depth": st.depth,
        "elapsed_seconds": secs,
        "distinct_states_per_second": st.distinct_states as f64 / secs.max(1e-9),
        "bytes_per_state": st.bytes_used as f64 / st.distinct_states.max(1) as f64,
        "state_bits": model.state_bits(),
        "fingerprint_collision_probability": st.fingerprint_collision_probability,
        "graph_bytes": st.graph_bytes,
        "graph_edges": st.graph_edges,
        "liveness_seconds": st.liveness_seconds,
        "constraints": model.constraint_names,
        "view": model.has_view(),
        "symmetry": model.symmetry.as_ref().map(|s| s.names()).unwrap_or_default(),
        "symmetry_not_applied": model.symmetry_skipped,
        "assume_progress": model.assume_progress,
        "properties": properties,
    });
    if let Some(file) = &info.checkpoint {
        out["checkpoint"] = json!({
            "file": file,
            "resumed": info.resumed,
            "written": st.checkpoints_written,
            "error": st.checkpoint_error,
        });
    }
    if st.store.is_some() || st.store_error.is_some() {
        let store = st.store.clone().unwrap_or_default();
        out["store"] = json!({
            "dir": st.store.as_ref().map(|s| &s.dir),
            "switched_at": store.switched_at,
            "fingerprints_on_disk": store.on_disk,
            "bytes_written": store.bytes_written,
            "bytes_read": store.bytes_read,
            "error": st.store_error,
        });
    }
    if !st.peers.is_empty() || st.peer_error.is_some() {
        out["distributed"] = json!({
            "workers": st.peers.len(),
            "processes": st.peers.iter().map(|p| p.process + 1).max().unwrap_or(0),
            "peers": st.peers.iter().enumerate().map(|(w, p)| json!({
                "worker": w,
                "process": p.process,
                "states": p.states,
                "bytes_sent": p.bytes_sent,
                "bytes_received": p.bytes_received,
                "waited_seconds": p.waited.as_secs_f64(),
                "bytes_used": p.bytes_used,
            })).collect::<Vec<_>>(),
            "error": st.peer_error,
        });
    }
    if !outcome.coverage.is_empty() {
        out["coverage"] = Json::Array(
            outcome
                .coverage
                .iter()
                .zip(&model.actions)
                .map(|(c, a)| json!({"action": a.name, "enabled": c.enabled, "taken": c.taken}))
                .collect(),
        );
    }
    if let Verdict::Incomplete(l) = outcome.result {
        if l != dcheck_engine::Limit::Interrupted {
            out["incomplete_reason"] = json!(limit_name(l));
        }
    }
    if let Verdict::Violation(v) = &outcome.result {
        let trace: Vec<Json> = v
            .trace
            .iter()
            .map(|step| {
                let (action, params) = match step.transition {
                    None => (Json::Null, Json::Object(Map::new())),
                    Some(t) => {
                        let (name, params) = model.transition_label(t);
                        (json!(name), object(&params))
                    }
                };
                json!({"action": action, "params": params, "state": object(&model.decode_state(&step.state))})
            })
            .collect();
        let kind = match v.kind {
            ViolationKind::Invariant(_) => "invariant",
            ViolationKind::Deadlock => "deadlock",
            ViolationKind::EvalError(_) => "error",
            ViolationKind::Liveness(_) => "liveness",
            ViolationKind::ActionProperty(_) => "action",
            ViolationKind::Refinement(_) => "refinement",
        };
        let mut vj =
            json!({"kind": kind, "property": violated_property(model, &v.kind), "trace": trace});
        if let Some(e) = &v.replay_error {
            vj["replay_error"] = json!(e.message());
        }
        let explained = match (&v.kind, &v.trace[..]) {
            (ViolationKind::Invariant(i), [.., last]) => model.explain(*i, &last.state),
            (ViolationKind::ActionProperty(i), [.., before, after]) => {
                model.explain_step(*i, &before.state, &after.state)
            }
            _ => None,
        };
        if let Some(ex) = explained {
            vj["explanation"] = json!({
                "failing_part": span_text(sources, ex.conjunct),
                "bindings": object(&ex.bindings),
            });
        }
        if let (ViolationKind::Liveness(c), Some(l)) = (&v.kind, &v.lasso) {
            let info = &model.check_info[*c as usize];
            vj["instance"] = object(&info.bindings);
            if let Some((r, k)) = info.refined {
                let rf = &model.refinements[r as usize];
                let why = crate::refinement_why(model, sources, r, v);
                vj["refined_fairness"] = json!({
                    "spec": rf.path,
                    "index": k,
                    "constraint": crate::fairness_text(&rf.abs, sources, rf.fairness[k as usize]),
                    "kind": if rf.abs.fairness_info[rf.fairness[k as usize] as usize].strong { "strong" } else { "weak" },
                    "abstract_trace": why.mapped.iter().map(|m| m.as_ref().map(|s| object(s)).unwrap_or(Json::Null)).collect::<Vec<_>>(),
                    "error": why.error,
                });
            }
            if let Some(facts) = crate::why::explain(model, sources, *c, v) {
                vj["why"] = facts
                    .iter()
                    .map(|f| json!({"fact": f.kind, "formula": f.formula, "state": f.state}))
                    .collect();
            }
            vj["loop_start"] = json!(l.loop_start);
            vj["stutters"] = json!(l.loop_start + 1 == v.trace.len());
            vj["fairness"] = Json::Array(
                l.fairness
                    .iter()
                    .map(|w| {
                        json!({
                            "constraint": crate::fairness_text(model, sources, w.constraint),
                            "kind": if model.fairness_info[w.constraint as usize].strong { "strong" } else { "weak" },
                            "taken_at": w.taken_at,
                            "disabled_at": w.disabled_at,
                            "enabled_on_cycle": w.enabled_somewhere,
                        })
                    })
                    .collect(),
            );
        }
        if let ViolationKind::Refinement(r) = &v.kind {
            vj["refinement"] = refinement(model, sources, *r, v);
        }
        if let ViolationKind::EvalError(e) = &v.kind {
            vj["error"] = json!({
                "message": e.error.message,
                "transition": e.transition.map(|t| crate::text::transition_text(model, t)),
                "at": e.error.span.map(|s| span_text(sources, s)),
            });
        }
        out["violation"] = vj;
    }
    out
}

/// For a spec with roles, adds the violation's per-process events
/// (`violation.events`: `[{step, kind, process, peer?, message?}]`, see
/// [`crate::events`]) to a [`report`].
pub fn add_events(
    j: &mut Json,
    model: &Model,
    outcome: &Outcome,
    procs: Option<&dcheck_net::Processes>,
) {
    if let (Verdict::Violation(v), Some(p)) = (&outcome.result, procs) {
        let evs = crate::events::events(model, &v.trace, p);
        j["violation"]["events"] = crate::events::events_json(&evs);
    }
}

/// The counterexample alone (`--trace-format json`): `schema_version`,
/// `spec`, `file`, `constants` and `violation` of the [`report`] (with its
/// `events` for a spec with roles); `None` without a violation.
pub fn trace_document(
    model: &Model,
    sources: &SourceMap,
    outcome: &Outcome,
    info: &RunInfo,
    procs: Option<&dcheck_net::Processes>,
) -> Option<Json> {
    if !matches!(outcome.result, Verdict::Violation(_)) {
        return None;
    }
    let mut full = report(model, sources, outcome, info, true);
    add_events(&mut full, model, outcome, procs);
    let mut out = Map::new();
    for key in ["schema_version", "spec", "file", "constants", "violation"] {
        if let Some(v) = full.get_mut(key) {
            out.insert(key.to_string(), v.take());
        }
    }
    Some(Json::Object(out))
}

/// A refinement violation: the refined spec, the mapped states of the
/// trace, and why each refined transition does not fit the last step.
fn refinement(model: &Model, sources: &SourceMap, r: u32, v: &dcheck_engine::Violation) -> Json {
    let why = crate::refinement_why(model, sources, r, v);
    json!({
        "spec": model.refinements[r as usize].path,
        "initial": why.initial,
        "abstract_trace": why.mapped.iter().map(|m| m.as_ref().map(|s| object(s)).unwrap_or(Json::Null)).collect::<Vec<_>>(),
        "tried": why.tried.iter().map(|t| json!({"action": t.label, "why": t.why})).collect::<Vec<_>>(),
        "error": why.error,
    })
}
