//! `dcheck replay SPEC TRACE`: re-executes a saved counterexample against
//! the spec as it is now.
//!
//! The trace is a JSON report (`--format json`), a JSON trace document
//! (`--trace-format json`) or an ITF trace (`--trace-format itf`, or another
//! tool's ITF file). The first recorded state must be an initial state of
//! the spec; every later step must be an enabled transition of the spec,
//! found by its action name and parameter values, that leads exactly to the
//! recorded next state. An ITF state without dcheck's `#meta.action` may be
//! reached by any enabled transition. The first step that no longer applies
//! is reported with the reason and the variables that differ.
//!
//! If every step applies, the recorded property is checked again on the
//! replayed behaviour: an invariant in the last state, a deadlock (no action
//! enabled, `terminal` false), an evaluation error (raised by the last
//! state's invariants, `terminal` or successors), or a temporal property on
//! the lasso (the property's form on the prefix and cycle, and every
//! fairness constraint of the instance respected by the cycle). A trace
//! without a recorded property (a foreign ITF file) is checked against every
//! invariant in its last state.
//!
//! Values are compared in the encoding of the file: the JSON report's
//! (exact), or ITF's after [`crate::itf::normalize`] (set and map order,
//! `#bigint` spelling do not matter).

use std::fmt::Write;

use dcheck_model::system::{TemporalForm, TransitionId, TransitionSystem, Word};
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_syntax::span::{SourceMap, Span};
use serde_json::{json, Map, Value as Json};

/// How the trace file writes values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The JSON report's `violation.trace` (see [`crate::json::value`]).
    Report,
    /// ITF (see [`crate::itf::value`]).
    Itf,
}

/// One recorded state and the step that led to it.
#[derive(Clone, Debug)]
pub struct RecordedStep {
    /// `None` for the first state, or an ITF state without `#meta.action`.
    pub action: Option<String>,
    pub params: Map<String, Json>,
    pub state: Map<String, Json>,
}

/// The property the trace was recorded as violating.
#[derive(Clone, Debug)]
pub struct RecordedViolation {
    /// `invariant`, `deadlock`, `error` or `liveness`.
    pub kind: String,
    pub property: String,
    /// The `forall` values of a liveness property's violated instance.
    pub instance: Map<String, Json>,
    /// A refinement's liveness part: the position of the violated
    /// constraint in the refined spec's fairness.
    pub refined_fairness: Option<u64>,
}

/// A parsed trace file.
#[derive(Clone, Debug)]
pub struct RecordedTrace {
    pub encoding: Encoding,
    pub steps: Vec<RecordedStep>,
    pub violation: Option<RecordedViolation>,
    /// For a lasso, where the cycle starts.
    pub loop_start: Option<usize>,
    /// The constants the trace was recorded with (in the file's encoding).
    pub constants: Map<String, Json>,
}

/// Why a trace file could not be read: a message and, for JSON syntax
/// errors, the byte offset in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub message: String,
    pub offset: Option<usize>,
}

fn malformed(message: impl Into<String>) -> Malformed {
    Malformed {
        message: message.into(),
        offset: None,
    }
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn object<'a>(j: &'a Json, what: &str) -> Result<&'a Map<String, Json>, Malformed> {
    j.as_object()
        .ok_or_else(|| malformed(format!("{what} is not a JSON object")))
}

/// Reads a trace file: a dcheck JSON report or trace document, or an ITF
/// trace.
pub fn parse(text: &str) -> Result<RecordedTrace, Malformed> {
    let j: Json = serde_json::from_str(text).map_err(|e| Malformed {
        message: format!("not JSON: {e}"),
        offset: Some(offset_of(text, e.line(), e.column())),
    })?;
    let top = object(&j, "the file")?;
    if top.contains_key("states") && top.contains_key("vars") {
        parse_itf(top)
    } else if top.contains_key("violation") || top.contains_key("result") {
        parse_report(top)
    } else {
        Err(malformed(
            "neither a dcheck JSON report or trace (no `violation`) nor an ITF trace (no `vars` and `states`)",
        ))
    }
}

fn parse_report(top: &Map<String, Json>) -> Result<RecordedTrace, Malformed> {
    let Some(v) = top.get("violation") else {
        let result = top.get("result").and_then(Json::as_str).unwrap_or("?");
        return Err(malformed(format!(
            "the report has no counterexample (result: {result}): nothing to replay"
        )));
    };
    let v = object(v, "`violation`")?;
    let text = |key: &str| -> Result<String, Malformed> {
        v.get(key)
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or_else(|| malformed(format!("`violation.{key}` is missing or not a string")))
    };
    let violation = RecordedViolation {
        kind: text("kind")?,
        property: text("property")?,
        instance: match v.get("instance") {
            Some(i) => object(i, "`violation.instance`")?.clone(),
            None => Map::new(),
        },
        refined_fairness: v
            .get("refined_fairness")
            .and_then(|r| r.get("index"))
            .and_then(Json::as_u64),
    };
    let trace = v
        .get("trace")
        .and_then(Json::as_array)
        .ok_or_else(|| malformed("`violation.trace` is missing or not an array"))?;
    let mut steps = Vec::new();
    for (i, step) in trace.iter().enumerate() {
        let where_ = format!("`violation.trace[{i}]`");
        let step = object(step, &where_)?;
        let action = match step.get("action") {
            Some(Json::Null) | None if i == 0 => None,
            Some(Json::String(a)) if i > 0 => Some(a.clone()),
            _ if i == 0 => return Err(malformed(format!("{where_}.action must be null"))),
            _ => return Err(malformed(format!("{where_}.action must be a string"))),
        };
        let params = match step.get("params") {
            Some(p) => object(p, &format!("{where_}.params"))?.clone(),
            None => Map::new(),
        };
        let state = object(
            step.get("state")
                .ok_or_else(|| malformed(format!("{where_}.state is missing")))?,
            &format!("{where_}.state"),
        )?
        .clone();
        steps.push(RecordedStep {
            action,
            params,
            state,
        });
    }
    if steps.is_empty() {
        return Err(malformed("`violation.trace` is empty"));
    }
    let loop_start = match v.get("loop_start") {
        None | Some(Json::Null) => None,
        Some(l) => Some(
            l.as_u64()
                .map(|l| l as usize)
                .filter(|l| *l < steps.len())
                .ok_or_else(|| malformed("`violation.loop_start` is not an index of the trace"))?,
        ),
    };
    if violation.kind == "liveness" && loop_start.is_none() {
        return Err(malformed(
            "a liveness violation needs `violation.loop_start`",
        ));
    }
    Ok(RecordedTrace {
        encoding: Encoding::Report,
        steps,
        violation: Some(violation),
        loop_start,
        constants: match top.get("constants") {
            Some(c) => object(c, "`constants`")?.clone(),
            None => Map::new(),
        },
    })
}

fn parse_itf(top: &Map<String, Json>) -> Result<RecordedTrace, Malformed> {
    let vars: Vec<&str> = top
        .get("vars")
        .and_then(Json::as_array)
        .and_then(|a| a.iter().map(Json::as_str).collect::<Option<Vec<_>>>())
        .ok_or_else(|| malformed("ITF `vars` is not an array of strings"))?;
    let states = top
        .get("states")
        .and_then(Json::as_array)
        .ok_or_else(|| malformed("ITF `states` is not an array"))?;
    let mut steps = Vec::new();
    for (i, st) in states.iter().enumerate() {
        let st = object(st, &format!("ITF `states[{i}]`"))?;
        let meta = st.get("#meta").and_then(Json::as_object);
        let action = match meta.and_then(|m| m.get("action")) {
            Some(Json::String(a)) if i > 0 => Some(a.clone()),
            None | Some(Json::Null) => None,
            Some(_) if i == 0 => {
                return Err(malformed("ITF `states[0].#meta.action` must be null"))
            }
            Some(_) => {
                return Err(malformed(format!(
                    "ITF `states[{i}].#meta.action` is not a string"
                )))
            }
        };
        let params = match meta.and_then(|m| m.get("params")) {
            Some(p) => object(p, &format!("ITF `states[{i}].#meta.params`"))?
                .iter()
                .map(|(k, v)| (k.clone(), crate::itf::normalize(v)))
                .collect(),
            None => Map::new(),
        };
        let mut state = Map::new();
        for var in &vars {
            let v = st.get(*var).ok_or_else(|| {
                malformed(format!(
                    "ITF `states[{i}]` has no value for variable `{var}`"
                ))
            })?;
            state.insert(var.to_string(), crate::itf::normalize(v));
        }
        steps.push(RecordedStep {
            action,
            params,
            state,
        });
    }
    if steps.is_empty() {
        return Err(malformed("ITF `states` is empty"));
    }
    let loop_start = match top.get("loop") {
        None | Some(Json::Null) => None,
        Some(l) => Some(
            l.as_u64()
                .map(|l| l as usize)
                .filter(|l| *l < steps.len())
                .ok_or_else(|| malformed("ITF `loop` is not an index of `states`"))?,
        ),
    };
    let meta = top.get("#meta").and_then(Json::as_object);
    let violation = meta
        .and_then(|m| m.get("violation"))
        .and_then(Json::as_object)
        .and_then(|v| {
            Some(RecordedViolation {
                kind: v.get("kind")?.as_str()?.to_string(),
                property: v.get("property")?.as_str()?.to_string(),
                instance: v
                    .get("instance")
                    .and_then(Json::as_object)
                    .map(|i| {
                        i.iter()
                            .map(|(k, v)| (k.clone(), crate::itf::normalize(v)))
                            .collect()
                    })
                    .unwrap_or_default(),
                refined_fairness: v.get("refined_fairness").and_then(Json::as_u64),
            })
        });
    if violation.as_ref().is_some_and(|v| v.kind == "liveness") && loop_start.is_none() {
        return Err(malformed("a liveness violation needs the ITF `loop` index"));
    }
    let constants = meta
        .and_then(|m| m.get("constants"))
        .and_then(Json::as_object)
        .map(|c| {
            c.iter()
                .map(|(k, v)| (k.clone(), crate::itf::normalize(v)))
                .collect()
        })
        .unwrap_or_default();
    Ok(RecordedTrace {
        encoding: Encoding::Itf,
        steps,
        violation,
        loop_start,
        constants,
    })
}

/// The recorded constants as `--const` overrides (`NAME=VALUE`), for the
/// integer and boolean constants among `declared`.
pub fn constant_overrides(trace: &RecordedTrace, declared: &[String]) -> Vec<(String, String)> {
    trace
        .constants
        .iter()
        .filter(|(n, _)| declared.contains(n))
        .filter_map(|(n, v)| match v {
            Json::Number(x) if x.is_i64() => Some((n.clone(), x.to_string())),
            Json::Bool(b) => Some((n.clone(), b.to_string())),
            _ => None,
        })
        .collect()
}

/// A variable (or part of one) whose recorded value differs from the
/// spec's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub path: String,
    /// Compact JSON in the file's encoding; `None`: not in the trace.
    pub recorded: Option<String>,
    /// `None`: the spec has no such variable.
    pub actual: Option<String>,
}

/// Why a step no longer applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The first state is not an initial state of the spec.
    NotInitial,
    /// The spec has no action of that name (the names it has).
    UnknownAction(Vec<String>),
    /// The action has no transition with these parameter values (its
    /// parameter names).
    UnknownBinding(Vec<String>),
    /// The action is not enabled in the state before the step: the first
    /// guard conjunct that is false there, as `TEXT (FILE line N)`, if one
    /// is.
    Disabled(Option<String>),
    /// Its guard holds, but its effect refuses the step: the `require`
    /// (or `with`) that does, described.
    Refused(String),
    /// Evaluating the action (or the initial states) failed.
    EvalError(String),
    /// The action leads to a different state.
    DifferentState,
    /// No action recorded, and no enabled transition reaches the state.
    Unreachable,
    /// A lasso whose last state is not its loop start's.
    LoopNotClosed(usize),
}

/// The first step that no longer applies.
#[derive(Clone, Debug)]
pub struct Divergence {
    pub step: usize,
    /// `Action(p = v)` as recorded, or `initial state`.
    pub action: String,
    pub reason: Reason,
    pub differences: Vec<Difference>,
}

/// The outcome of a replay.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Every step applies and the behaviour still violates the property.
    StillViolated(String),
    /// Every step applies but the property is no longer violated.
    NoLongerViolated(String),
    /// A step no longer applies.
    Diverged(Divergence),
}

#[derive(Clone, Debug)]
pub struct Replay {
    /// Steps in the trace (states - 1).
    pub steps: usize,
    /// The recorded property, as text (`invariant TCConsistent`).
    pub property: String,
    pub verdict: Verdict,
    /// The replayed states and the transitions between them (empty when
    /// the trace diverged).
    pub states: Vec<Vec<Word>>,
    pub taken: Vec<TransitionId>,
    /// For a recorded liveness violation: the check it is an instance of.
    pub check: Option<u32>,
}

impl Replay {
    /// 0: still violated; 1: no longer violated; 2: diverged.
    pub fn exit_code(&self) -> i32 {
        match self.verdict {
            Verdict::StillViolated(_) => crate::exit::OK,
            Verdict::NoLongerViolated(_) => crate::exit::VIOLATION,
            Verdict::Diverged(_) => crate::exit::USAGE,
        }
    }
}

/// Per-leaf differences between two JSON values.
fn json_diff(path: &str, a: Option<&Json>, b: Option<&Json>, out: &mut Vec<Difference>) {
    if a == b {
        return;
    }
    let leaf = |out: &mut Vec<Difference>| {
        out.push(Difference {
            path: path.to_string(),
            recorded: a.map(Json::to_string),
            actual: b.map(Json::to_string),
        })
    };
    match (a, b) {
        (Some(Json::Object(x)), Some(Json::Object(y))) => {
            let pairs = |m: &Map<String, Json>| -> Option<Vec<(Json, Json)>> {
                let items = m.get("#map")?.as_array()?;
                items
                    .iter()
                    .map(|p| match p.as_array()?.as_slice() {
                        [k, v] => Some((k.clone(), v.clone())),
                        _ => None,
                    })
                    .collect()
            };
            if let (Some(px), Some(py)) = (pairs(x), pairs(y)) {
                let mut keys: Vec<&Json> = px.iter().map(|p| &p.0).collect();
                keys.extend(
                    py.iter()
                        .map(|p| &p.0)
                        .filter(|k| !px.iter().any(|p| p.0 == **k)),
                );
                for k in keys {
                    let get =
                        |ps: &[(Json, Json)]| ps.iter().find(|p| p.0 == *k).map(|p| p.1.clone());
                    let (va, vb) = (get(&px), get(&py));
                    json_diff(&format!("{path}[{k}]"), va.as_ref(), vb.as_ref(), out);
                }
                return;
            }
            if x.keys().any(|k| k.starts_with('#')) || y.keys().any(|k| k.starts_with('#')) {
                return leaf(out);
            }
            let mut keys: Vec<&String> = x.keys().collect();
            keys.extend(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                json_diff(&format!("{path}.{k}"), x.get(k), y.get(k), out);
            }
        }
        (Some(Json::Array(x)), Some(Json::Array(y))) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{path}[{i}]"), Some(va), Some(vb), out);
            }
        }
        _ => leaf(out),
    }
}

struct Replayer<'m> {
    model: &'m Model,
    sources: &'m SourceMap,
    encoding: Encoding,
    sc: <Model as TransitionSystem>::Scratch,
    /// The liveness check a recorded lasso is an instance of, once found.
    check: Option<u32>,
}

impl Replayer<'_> {
    fn encode(&self, v: &Value) -> Json {
        match self.encoding {
            Encoding::Report => crate::json::value(v),
            Encoding::Itf => crate::itf::normalize(&crate::itf::value(v)),
        }
    }

    fn encode_all(&self, pairs: &[(String, Value)]) -> Map<String, Json> {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), self.encode(v)))
            .collect()
    }

    fn state(&self, words: &[Word]) -> Map<String, Json> {
        self.encode_all(&self.model.decode_state(words))
    }

    /// The differences between a recorded state and a state of the spec.
    fn differences(&self, recorded: &Map<String, Json>, words: &[Word]) -> Vec<Difference> {
        let actual = self.state(words);
        let mut out = Vec::new();
        let mut names: Vec<&String> = actual.keys().collect();
        names.extend(recorded.keys().filter(|k| !actual.contains_key(*k)));
        // Declaration order first, then what only the trace has.
        let order: Vec<&str> = self.model.vars.iter().map(|v| v.name.as_str()).collect();
        names.sort_by_key(|n| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
        for n in names {
            json_diff(n, recorded.get(n), actual.get(n), &mut out);
        }
        out
    }

    /// The state among `candidates` closest to `recorded` (fewest
    /// differences), with its differences.
    fn closest(&self, recorded: &Map<String, Json>, candidates: &[Vec<Word>]) -> Vec<Difference> {
        candidates
            .iter()
            .map(|c| self.differences(recorded, c))
            .min_by_key(Vec::len)
            .unwrap_or_default()
    }

    fn enabled(&mut self, state: &[Word], t: TransitionId) -> bool {
        let mut out = vec![0; self.model.state_words()];
        matches!(self.model.step(&mut self.sc, state, t, &mut out), Ok(true))
    }

    fn successors(&mut self, state: &[Word]) -> Result<Vec<(TransitionId, Vec<Word>)>, String> {
        let mut found = Vec::new();
        self.model
            .successors(&mut self.sc, state, |t, s| found.push((t, s.to_vec())))
            .map_err(|e| e.error.message)?;
        Ok(found)
    }
}

/// A transition with its parameter values, encoded as in the trace file.
type Binding = (TransitionId, Map<String, Json>);

fn label(action: &str, params: &Map<String, Json>) -> String {
    if params.is_empty() {
        return action.to_string();
    }
    let ps: Vec<String> = params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{action}({})", ps.join(", "))
}

/// Replays `trace` against `model`.
pub fn replay(model: &Model, sources: &SourceMap, trace: &RecordedTrace) -> Replay {
    let mut r = Replayer {
        model,
        sources,
        encoding: trace.encoding,
        sc: model.scratch(),
        check: None,
    };
    let property = match &trace.violation {
        Some(v) if v.kind == "deadlock" => "deadlock".to_string(),
        Some(v) if v.kind == "error" => "evaluation error".to_string(),
        Some(v) if v.kind == "liveness" => format!("property {}", v.property),
        Some(v) if v.kind == "action" => format!("action property {}", v.property),
        Some(v) if v.kind == "refinement" => format!("refinement {}", v.property),
        Some(v) => format!("invariant {}", v.property),
        None => "every invariant (none recorded)".to_string(),
    };
    let steps = trace.steps.len() - 1;
    let diverged = |d: Divergence| Replay {
        steps,
        property: property.clone(),
        verdict: Verdict::Diverged(d),
        states: Vec::new(),
        taken: Vec::new(),
        check: None,
    };
    // Step 0: an initial state.
    let mut inits = Vec::new();
    if let Err(e) = model.initial_states(&mut r.sc, &mut |s| inits.push(s.to_vec())) {
        return diverged(Divergence {
            step: 0,
            action: "initial state".into(),
            reason: Reason::EvalError(e.error.message),
            differences: vec![],
        });
    }
    let first = &trace.steps[0].state;
    let Some(init) = inits.iter().find(|s| r.state(s) == *first).cloned() else {
        return diverged(Divergence {
            step: 0,
            action: "initial state".into(),
            reason: Reason::NotInitial,
            differences: r.closest(first, &inits),
        });
    };
    // The transitions of each action, with their parameters encoded.
    let mut by_action: Vec<(String, Vec<Binding>)> = Vec::new();
    for t in 0..model.transition_count() as TransitionId {
        let (name, params) = model.transition_label(t);
        let params = r.encode_all(&params);
        match by_action.iter_mut().find(|(n, _)| n == name) {
            Some((_, ts)) => ts.push((t, params)),
            None => by_action.push((name.to_string(), vec![(t, params)])),
        }
    }
    let mut states = vec![init];
    let mut taken: Vec<TransitionId> = Vec::new();
    for (i, step) in trace.steps.iter().enumerate().skip(1) {
        let cur = states[i - 1].clone();
        let Some(action) = &step.action else {
            // No action recorded: any enabled transition reaching the state.
            let succ = match r.successors(&cur) {
                Ok(s) => s,
                Err(e) => {
                    return diverged(Divergence {
                        step: i,
                        action: "(no action recorded)".into(),
                        reason: Reason::EvalError(e),
                        differences: vec![],
                    })
                }
            };
            match succ.iter().find(|(_, s)| r.state(s) == step.state) {
                Some((t, s)) => {
                    taken.push(*t);
                    states.push(s.clone());
                    continue;
                }
                None => {
                    let cands: Vec<Vec<Word>> = succ.into_iter().map(|p| p.1).collect();
                    return diverged(Divergence {
                        step: i,
                        action: "(no action recorded)".into(),
                        reason: Reason::Unreachable,
                        differences: r.closest(&step.state, &cands),
                    });
                }
            }
        };
        let text = label(action, &step.params);
        let fail = |reason, differences| Divergence {
            step: i,
            action: text.clone(),
            reason,
            differences,
        };
        let Some((_, ts)) = by_action.iter().find(|(n, _)| n == action) else {
            let names = model.actions.iter().map(|a| a.name.clone()).collect();
            return diverged(fail(Reason::UnknownAction(names), vec![]));
        };
        let Some((t, _)) = ts.iter().find(|(_, p)| *p == step.params) else {
            let a = model.actions.iter().find(|a| a.name == *action);
            let names = a
                .map(|a| a.params.iter().map(|p| p.0.clone()).collect())
                .unwrap_or_default();
            return diverged(fail(Reason::UnknownBinding(names), vec![]));
        };
        let mut next = vec![0; model.state_words()];
        match model.step(&mut r.sc, &cur, *t, &mut next) {
            Ok(false) => {
                let part = model
                    .false_guard_part(&mut r.sc, *t, &cur)
                    .map(|span| located(r.sources, span));
                let reason = match (part, model.refusing_part(&mut r.sc, *t, &cur)) {
                    (Some(p), _) => Reason::Disabled(Some(p)),
                    (None, Some(dcheck_model::Refusal::Require(span))) => Reason::Refused(format!(
                        "its effect's `require` {} is false there",
                        located(r.sources, span)
                    )),
                    (None, Some(dcheck_model::Refusal::With(span))) => Reason::Refused(format!(
                        "its `with` value is not in {} there",
                        located(r.sources, span)
                    )),
                    (None, None) => Reason::Disabled(None),
                };
                return diverged(fail(reason, vec![]));
            }
            Err(e) => return diverged(fail(Reason::EvalError(e.message), vec![])),
            Ok(true) => {}
        }
        let diffs = r.differences(&step.state, &next);
        if !diffs.is_empty() {
            return diverged(fail(Reason::DifferentState, diffs));
        }
        taken.push(*t);
        states.push(next);
    }
    let last = states.len() - 1;
    if let Some(k) = trace.loop_start {
        if k < last && states[k] != states[last] {
            let action = trace.steps[last]
                .action
                .as_deref()
                .map(|a| label(a, &trace.steps[last].params))
                .unwrap_or_default();
            return diverged(Divergence {
                step: last,
                action,
                reason: Reason::LoopNotClosed(k),
                differences: r.differences(&trace.steps[k].state, &states[last]),
            });
        }
    }
    let verdict = check_property(&mut r, trace, &states, &taken);
    Replay {
        steps,
        property,
        verdict,
        check: r.check,
        states,
        taken,
    }
}

/// The replayed behaviour as a counterexample of the recorded violation,
/// for the trace formats (`dcheck replay --trace-format html`): `None`
/// when the trace diverged, records no violation, or names a property the
/// spec no longer has. A lasso's fairness witnesses are computed on the
/// replayed cycle, as the liveness checker reports them.
pub fn violation(
    model: &Model,
    trace: &RecordedTrace,
    r: &Replay,
) -> Option<dcheck_engine::Violation> {
    use dcheck_engine::{FairnessWitness, Lasso, TraceStep, Violation, ViolationKind as K};
    if r.states.is_empty() {
        return None;
    }
    let v = trace.violation.as_ref()?;
    let find = |names: Vec<&String>| {
        names
            .iter()
            .position(|n| **n == v.property)
            .map(|i| i as u32)
    };
    let message = match &r.verdict {
        Verdict::StillViolated(m) | Verdict::NoLongerViolated(m) => m.clone(),
        Verdict::Diverged(_) => String::new(),
    };
    let kind = match v.kind.as_str() {
        "invariant" => K::Invariant(find(model.invariants.iter().map(|i| &i.name).collect())?),
        "deadlock" => K::Deadlock,
        "error" => K::EvalError(dcheck_model::system::StepError {
            transition: None,
            error: dcheck_model::system::EvalError::new(message),
        }),
        "liveness" => K::Liveness(r.check?),
        "action" => K::ActionProperty(find(
            model.action_properties.iter().map(|i| &i.name).collect(),
        )?),
        "refinement" => K::Refinement(find(model.refinements.iter().map(|i| &i.name).collect())?),
        _ => return None,
    };
    let steps = r
        .states
        .iter()
        .enumerate()
        .map(|(i, st)| TraceStep {
            transition: i.checked_sub(1).map(|j| r.taken[j]),
            state: st.clone(),
        })
        .collect();
    let last = r.states.len() - 1;
    let lasso = match kind {
        K::Liveness(c) => {
            let k = trace.loop_start.unwrap_or(last).min(last);
            let mut sc = model.scratch();
            let mut next = vec![0; model.state_words()];
            let all = model.fairness_constraints();
            let (s, t) = (&r.states, &r.taken);
            let fairness = model.liveness_checks()[c as usize]
                .fairness
                .iter()
                .map(|&id| {
                    let fc = &all[id as usize];
                    FairnessWitness::of_lasso(
                        id,
                        s.len(),
                        k,
                        |i| s[i] != s[i - 1] && fc.transitions.contains(&t[i - 1]),
                        |i| {
                            fc.transitions.iter().any(|&x| {
                                matches!(model.step(&mut sc, &s[i], x, &mut next), Ok(true))
                                    && next != s[i]
                            })
                        },
                    )
                })
                .collect();
            Some(Lasso {
                loop_start: k,
                fairness,
            })
        }
        _ => None,
    };
    Some(Violation {
        kind,
        trace: steps,
        lasso,
        replay_error: None,
    })
}

/// Whether the replayed behaviour still violates the recorded property.
fn check_property(
    r: &mut Replayer,
    trace: &RecordedTrace,
    states: &[Vec<Word>],
    taken: &[TransitionId],
) -> Verdict {
    let model = r.model;
    let last = states.len() - 1;
    let s = &states[last];
    let Some(v) = &trace.violation else {
        return match model.check_invariants(&mut r.sc, s) {
            Ok(Some(i)) => Verdict::StillViolated(format!(
                "invariant {} is violated in the last state (state {last})",
                model.invariants[i as usize].name
            )),
            Ok(None) => Verdict::NoLongerViolated(format!(
                "every invariant holds in the last state (state {last})"
            )),
            Err(e) => Verdict::StillViolated(format!(
                "evaluating the invariants in the last state fails: {}",
                e.message
            )),
        };
    };
    match v.kind.as_str() {
        "invariant" => {
            let Some(i) = model.invariants.iter().position(|x| x.name == v.property) else {
                return Verdict::NoLongerViolated(format!(
                    "the spec has no invariant {} any more",
                    v.property
                ));
            };
            match model.invariant_holds(&mut r.sc, i as u32, s) {
                Ok(false) => Verdict::StillViolated(format!(
                    "invariant {} is still violated in the last state (state {last})",
                    v.property
                )),
                Ok(true) => Verdict::NoLongerViolated(format!(
                    "invariant {} holds in the last state (state {last})",
                    v.property
                )),
                Err(e) => Verdict::StillViolated(format!(
                    "invariant {} now fails with an evaluation error in the last state: {}",
                    v.property, e.message
                )),
            }
        }
        "deadlock" => {
            let succ = match r.successors(s) {
                Ok(x) => x,
                Err(e) => {
                    return Verdict::NoLongerViolated(format!(
                    "the last state is no longer a deadlock: evaluating its successors fails ({e})"
                ))
                }
            };
            if !succ.is_empty() {
                let (name, _) = model.transition_label(succ[0].0);
                return Verdict::NoLongerViolated(format!(
                    "{} transition(s) are enabled in the last state (state {last}), e.g. {name}",
                    succ.len()
                ));
            }
            match model.is_terminal(&mut r.sc, s) {
                Ok(true) => Verdict::NoLongerViolated(format!(
                    "the last state (state {last}) has no enabled action but `terminal` holds there"
                )),
                Ok(false) => Verdict::StillViolated(format!(
                    "the last state (state {last}) is still a deadlock"
                )),
                Err(e) => Verdict::StillViolated(format!(
                    "the last state (state {last}) has no enabled action and evaluating `terminal` fails: {}",
                    e.message
                )),
            }
        }
        "error" => {
            let err = model
                .check_invariants(&mut r.sc, s)
                .err()
                .map(|e| e.message)
                .or_else(|| model.is_terminal(&mut r.sc, s).err().map(|e| e.message))
                .or_else(|| r.successors(s).err());
            match err {
                Some(m) => Verdict::StillViolated(format!(
                    "evaluating the last state (state {last}) still fails: {m}"
                )),
                None => Verdict::NoLongerViolated(format!(
                    "the last state (state {last}) evaluates without error"
                )),
            }
        }
        "liveness" => check_lasso(r, v, trace.loop_start.unwrap_or(last), states, taken),
        "refinement" => {
            let Some(i) = model.refinements.iter().position(|x| x.name == v.property) else {
                return Verdict::NoLongerViolated(format!(
                    "the spec has no refinement {} any more",
                    v.property
                ));
            };
            let before = last.checked_sub(1).map(|b| &states[b][..]);
            let what = match before {
                None => "the initial state".to_string(),
                Some(_) => format!("the last step (to state {last})"),
            };
            match model.refinement_holds(&mut r.sc, i as u32, before, s) {
                Ok(false) => Verdict::StillViolated(format!(
                    "refinement {}: {what} still maps to nothing the refined spec allows",
                    v.property
                )),
                Ok(true) => {
                    Verdict::NoLongerViolated(format!("refinement {} holds on {what}", v.property))
                }
                Err(e) => Verdict::StillViolated(format!(
                    "refinement {} now fails with an evaluation error on {what}: {}",
                    v.property, e.message
                )),
            }
        }
        "action" => {
            let Some(i) = model
                .action_properties
                .iter()
                .position(|x| x.name == v.property)
            else {
                return Verdict::NoLongerViolated(format!(
                    "the spec has no action property {} any more",
                    v.property
                ));
            };
            let Some(before) = last.checked_sub(1).map(|b| &states[b]) else {
                return Verdict::NoLongerViolated("the trace has no step".to_string());
            };
            // A step that changes nothing satisfies every action property.
            let holds = match before == s {
                true => Ok(true),
                false => model.action_property_holds(&mut r.sc, i as u32, before, s),
            };
            match holds {
                Ok(false) => Verdict::StillViolated(format!(
                    "action property {} is still violated by the last step (to state {last})",
                    v.property
                )),
                Ok(true) => Verdict::NoLongerViolated(format!(
                    "action property {} holds on the last step (to state {last})",
                    v.property
                )),
                Err(e) => Verdict::StillViolated(format!(
                    "action property {} now fails with an evaluation error on the last step: {}",
                    v.property, e.message
                )),
            }
        }
        other => Verdict::NoLongerViolated(format!("unknown violation kind `{other}`")),
    }
}

/// A temporal property on the lasso `states` (cycle from `k`).
fn check_lasso(
    r: &mut Replayer,
    v: &RecordedViolation,
    k: usize,
    states: &[Vec<Word>],
    taken: &[TransitionId],
) -> Verdict {
    let model = r.model;
    // A refinement's liveness part, by the position of its constraint.
    let refined = v.refined_fairness.and_then(|k| {
        let i = model
            .refinements
            .iter()
            .position(|x| x.name == v.property)? as u32;
        model
            .refinement_checks(i)
            .into_iter()
            .find(|c| model.check_info[*c as usize].refined == Some((i, k as u32)))
    });
    let p = model.properties.iter().position(|p| p.name == v.property);
    if p.is_none() && refined.is_none() {
        return Verdict::NoLongerViolated(format!(
            "the spec has no property {} any more",
            v.property
        ));
    }
    let instance = refined.or_else(|| {
        model.properties[p?]
            .checks
            .iter()
            .copied()
            .find(|c| r.encode_all(&model.check_info[*c as usize].bindings) == v.instance)
    });
    r.check = instance;
    let Some(c) = instance else {
        return Verdict::NoLongerViolated(format!(
            "property {} has no instance {}",
            v.property,
            Json::Object(v.instance.clone())
        ));
    };
    let check = model.liveness_checks()[c as usize].clone();
    let last = states.len() - 1;
    // The states visited infinitely often, and the transitions taken on the
    // cycle (none when the lasso stutters in its last state).
    let (cycle, cycle_taken): (&[Vec<Word>], &[TransitionId]) = if k < last {
        (&states[k..last], &taken[k..])
    } else {
        (&states[last..], &[])
    };
    // `Fair`: whether a step of the cycle satisfies its step predicate
    // (a stutter satisfies none).
    let step_taken = match check.form {
        TemporalForm::Fair { taken, .. } if k < last => (|| -> Result<bool, String> {
            for w in states[k..].windows(2) {
                if w[0] != w[1]
                    && model
                        .eval_edge_predicate(&mut r.sc, &w[0], &w[1], taken)
                        .map_err(|e| e.message)?
                {
                    return Ok(true);
                }
            }
            Ok(false)
        })(),
        _ => Ok(false),
    };
    // A general formula: judged by its semantics on the lasso's letters.
    let general = match &check.form {
        TemporalForm::General { formula, atoms, .. } => Some(
            dcheck_model::temporal::lasso_word(model, &mut r.sc, atoms, states, k)
                .map(|w| !dcheck_model::ltl::holds_on_lasso(formula, &w))
                .map_err(|e| e.message),
        ),
        _ => None,
    };
    let mut eval = |p: u32, s: &[Word]| model.eval_predicate(&mut r.sc, s, p);
    let mut holds = |p: u32, ss: &[Vec<Word>]| -> Result<Vec<bool>, String> {
        ss.iter()
            .map(|s| eval(p, s).map_err(|e| e.message))
            .collect()
    };
    let violated = (|| -> Result<bool, String> {
        Ok(match check.form {
            TemporalForm::Eventually(p) => !holds(p, states)?.iter().any(|x| *x),
            TemporalForm::AlwaysEventually(p) => !holds(p, cycle)?.iter().any(|x| *x),
            TemporalForm::EventuallyAlways(p) => !holds(p, cycle)?.iter().all(|x| *x),
            TemporalForm::LeadsTo(p, q) => {
                let ps = holds(p, states)?;
                let qs = holds(q, states)?;
                let q_on_cycle = if k < last {
                    qs[k..last].iter().any(|x| *x)
                } else {
                    qs[last]
                };
                // A P state with no Q at or after it: in the cycle none
                // follows unless the cycle has one; in the prefix, a Q
                // later in the prefix also answers it.
                !q_on_cycle && (0..states.len()).any(|i| ps[i] && !qs[i..].iter().any(|x| *x))
            }
            TemporalForm::General { .. } => general.clone().expect("computed above")?,
            TemporalForm::Fair {
                strong,
                enabled,
                taken,
            } => {
                let _ = taken;
                let en = holds(enabled, cycle)?;
                let is_taken = step_taken.clone()?;
                let en_ok = match strong {
                    true => en.iter().any(|x| *x),
                    false => en.iter().all(|x| *x),
                };
                en_ok && !is_taken
            }
        })
    })();
    let violated = match violated {
        Ok(b) => b,
        Err(e) => {
            return Verdict::StillViolated(format!(
                "evaluating property {} on the replayed lasso fails: {e}",
                v.property
            ))
        }
    };
    if !violated {
        return Verdict::NoLongerViolated(format!(
            "property {} holds on the replayed lasso (cycle from state {k})",
            v.property
        ));
    }
    if model.assume_progress && k == last {
        // Under the progress assumption a behaviour stops only where no
        // step changes the state.
        let here = &states[last];
        match r.successors(here) {
            Ok(next) => {
                if let Some((t, _)) = next.iter().find(|(_, s)| s != here) {
                    return Verdict::NoLongerViolated(format!(
                        "the lasso stutters in state {k}, where {} is enabled: under assume_progress a behaviour does not stop there",
                        crate::text::transition_text(model, *t)
                    ));
                }
            }
            Err(e) => {
                return Verdict::StillViolated(format!(
                    "evaluating the successors of state {k} fails: {e}"
                ))
            }
        }
    }
    for f in &check.fairness {
        let fc = model.fairness_constraints()[*f as usize].clone();
        if cycle_taken.iter().any(|t| fc.transitions.contains(t)) {
            continue;
        }
        let enabled: Vec<bool> = cycle
            .iter()
            .map(|s| fc.transitions.iter().any(|t| r.enabled(s, *t)))
            .collect();
        let unfair = if fc.strong {
            enabled.iter().any(|e| *e)
        } else {
            enabled.iter().all(|e| *e)
        };
        if unfair {
            let name = crate::fairness_text(model, r.sources, *f);
            return Verdict::NoLongerViolated(format!(
                "the cycle no longer respects the fairness assumption {name}: it is enabled {} on the cycle and never taken",
                if fc.strong { "somewhere" } else { "throughout" }
            ));
        }
    }
    Verdict::StillViolated(format!(
        "property {} is still violated by the replayed lasso (cycle from state {k})",
        v.property
    ))
}

/// The replay's result as text.
pub fn text(r: &Replay, trace_path: &str, spec_path: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Replay of {trace_path} ({} step(s), recorded violation: {}) against {spec_path}:",
        r.steps, r.property
    );
    match &r.verdict {
        Verdict::StillViolated(m) => {
            let _ = writeln!(
                s,
                "  every step still applies: the trace is a behaviour of the spec."
            );
            let _ = writeln!(s, "Still violated: {m}.");
        }
        Verdict::NoLongerViolated(m) => {
            let _ = writeln!(
                s,
                "  every step still applies: the trace is a behaviour of the spec."
            );
            let _ = writeln!(s, "No longer violated: {m}.");
        }
        Verdict::Diverged(d) => {
            match d.step {
                0 => {}
                1 => {
                    let _ = writeln!(s, "  the initial state still applies.");
                }
                n => {
                    let _ = writeln!(s, "  the initial state and steps 1..{} still apply.", n - 1);
                }
            }
            let _ = writeln!(s, "Diverged at step {}: {}", d.step, d.action);
            let _ = writeln!(s, "  why: {}", reason_text(d));
            if !d.differences.is_empty() {
                let _ = writeln!(s, "  differences (recorded -> spec now):");
                for x in &d.differences {
                    let _ = writeln!(
                        s,
                        "    {}: {} -> {}",
                        x.path,
                        x.recorded.as_deref().unwrap_or("(not in the trace)"),
                        x.actual.as_deref().unwrap_or("(not in the spec)")
                    );
                }
            }
        }
    }
    s
}

/// `` `TEXT` (FILE line N) `` for a span of the spec.
fn located(sources: &SourceMap, span: Span) -> String {
    let file = sources.file(span.file);
    let (line, _) = file.line_column(span.start as usize);
    format!(
        "`{}` ({} line {line})",
        crate::text::span_text(sources, span),
        file.name
    )
}

fn reason_text(d: &Divergence) -> String {
    let before = d.step.saturating_sub(1);
    match &d.reason {
        Reason::NotInitial => {
            "the first state is not an initial state of the spec (differences to the closest one below)".to_string()
        }
        Reason::UnknownAction(names) => format!(
            "the spec has no action of that name (it has: {})",
            names.join(", ")
        ),
        Reason::UnknownBinding(params) => format!(
            "the action has no transition with these parameter values (its parameters: {})",
            if params.is_empty() { "none".to_string() } else { params.join(", ") }
        ),
        Reason::Disabled(Some(part)) => format!(
            "the action is not enabled in state {before}: its guard's part {part} is false there"
        ),
        Reason::Refused(why) => {
            format!("the action is not enabled in state {before}: its guard holds, but {why}")
        }
        Reason::Disabled(None) => format!(
            "the action is not enabled in state {before} (its guard holds, but a statement of its effect refuses the step)"
        ),
        Reason::EvalError(m) => format!("evaluating it fails: {m}"),
        Reason::DifferentState => format!(
            "from state {before} the action leads to a different state than the recorded state {}",
            d.step
        ),
        Reason::Unreachable => format!(
            "no enabled transition leads from state {before} to the recorded state {} (differences to the closest successor below)",
            d.step
        ),
        Reason::LoopNotClosed(k) => format!(
            "the lasso's last state is not its loop start (state {k})"
        ),
    }
}

/// The replay's result as JSON: `{result, steps, property, message?,
/// divergence?}`.
pub fn json(r: &Replay) -> Json {
    let (result, message) = match &r.verdict {
        Verdict::StillViolated(m) => ("still violated", Some(m.clone())),
        Verdict::NoLongerViolated(m) => ("no longer violated", Some(m.clone())),
        Verdict::Diverged(_) => ("diverged", None),
    };
    let mut out = json!({"result": result, "steps": r.steps, "property": r.property});
    if let Some(m) = message {
        out["message"] = json!(m);
    }
    if let Verdict::Diverged(d) = &r.verdict {
        let reason = match d.reason {
            Reason::NotInitial => "not initial",
            Reason::UnknownAction(_) => "unknown action",
            Reason::UnknownBinding(_) => "unknown parameters",
            Reason::Disabled(_) | Reason::Refused(_) => "disabled",
            Reason::EvalError(_) => "evaluation error",
            Reason::DifferentState => "different state",
            Reason::Unreachable => "unreachable",
            Reason::LoopNotClosed(_) => "loop not closed",
        };
        out["divergence"] = json!({
            "step": d.step,
            "action": d.action,
            "reason": reason,
            "message": reason_text(d),
            "differences": d.differences.iter().map(|x| json!({
                "path": x.path, "recorded": x.recorded, "actual": x.actual,
            })).collect::<Vec<_>>(),
        });
    }
    out
}
