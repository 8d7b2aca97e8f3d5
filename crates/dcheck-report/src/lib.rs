//! Outputs of a run: the text summary and counterexample a person reads, the
//! JSON object CI reads, the counterexample in other formats (ITF, Mermaid,
//! DOT), the JUnit XML report of a CI run, the state graph in DOT, the
//! replay of a saved trace, and the progress display on a terminal.

pub mod diff;
pub mod dot;
pub mod events;
pub mod html;
pub mod itf;
pub mod json;
pub mod junit;
pub mod mermaid;
pub mod progress;
pub mod replay;
pub mod simulate;
pub mod text;
pub mod why;

use dcheck_engine::{CheckStatus, Limit, Outcome, Verdict, ViolationKind};
use dcheck_model::system::TransitionSystem;
use dcheck_model::temporal::Property;
use dcheck_model::Model;
use dcheck_syntax::span::SourceMap;

/// What was run, for the headers of reports.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub spec_path: String,
    pub strategy: &'static str,
    pub threads: usize,
    /// The default memory limit in force (no `--max-memory`), described
    /// for the hint of a run it stops: ("21.7 GiB", "90% of the memory
    /// available (MemAvailable)").
    pub default_memory: Option<(String, String)>,
    /// The checkpoint file of `--checkpoint` / `--resume`, and whether the
    /// run continued a saved search (`--resume`).
    pub checkpoint: Option<String>,
    pub resumed: bool,
    /// Whether deadlocks are checked (not `--no-deadlock`).
    pub check_deadlock: bool,
}

/// Exit codes (documented in the README; stable).
pub mod exit {
    /// Every property holds on the complete state space.
    pub const OK: i32 = 0;
    /// A property is violated (invariant, deadlock, or an evaluation error).
    pub const VIOLATION: i32 = 1;
    /// Usage or spec error.
    pub const USAGE: i32 = 2;
    /// A limit stopped the search; no violation was found.
    pub const INCOMPLETE: i32 = 3;
    /// Ctrl-C or SIGTERM stopped the search (128 + SIGINT, as shells
    /// report an interrupted command); the figures so far were printed.
    pub const INTERRUPTED: i32 = 130;
}

pub fn exit_code(outcome: &Outcome) -> i32 {
    match outcome.result {
        Verdict::Ok => exit::OK,
        Verdict::Violation(_) => exit::VIOLATION,
        Verdict::Incomplete(Limit::Interrupted) => exit::INTERRUPTED,
        Verdict::Incomplete(_) => exit::INCOMPLETE,
    }
}

pub fn limit_name(limit: Limit) -> &'static str {
    match limit {
        Limit::States => "max-states",
        Limit::Depth => "max-depth",
        Limit::Memory => "max-memory",
        Limit::Interrupted => "interrupted",
        Limit::Time => "max-time",
        Limit::Store => "store-error",
        Limit::Peer => "peer-error",
    }
}

/// The property a violation is about, as named in reports.
pub fn violated_property(model: &Model, kind: &ViolationKind) -> String {
    match kind {
        ViolationKind::Invariant(i) => model.invariants[*i as usize].name.clone(),
        ViolationKind::Deadlock => "deadlock".to_string(),
        ViolationKind::EvalError(_) => "evaluation".to_string(),
        ViolationKind::Liveness(c) => model.check_name(*c).to_string(),
        ViolationKind::ActionProperty(i) => model.action_properties[*i as usize].name.clone(),
        ViolationKind::Refinement(i) => model.refinements[*i as usize].name.clone(),
    }
}

use dcheck_model::value::Value;

/// Why a refinement is violated, for the reports.
pub struct RefinementWhy {
    /// The trace has no step: its initial state maps to no initial state
    /// of the refined spec.
    pub initial: bool,
    /// Per trace state, the refined spec's state it maps to (`None` if
    /// the mapping fails there), as `name = value`.
    pub mapped: Vec<Option<Vec<(String, Value)>>>,
    /// For a step: each refined transition and why it does not give it.
    pub tried: Vec<Tried>,
    /// Evaluating the mapping or a refined transition failed.
    pub error: Option<String>,
}

/// One refined transition tried for the last step.
pub struct Tried {
    pub label: String,
    pub why: String,
}

/// Computes [`RefinementWhy`] for refinement `r` violated by `v`.
pub fn refinement_why(
    model: &Model,
    sources: &SourceMap,
    r: u32,
    v: &dcheck_engine::Violation,
) -> RefinementWhy {
    use dcheck_model::refine::Tried as T;
    use dcheck_model::Refusal;
    let rf = &model.refinements[r as usize];
    let mut sc = model.scratch();
    let mut error = None;
    let mapped = v
        .trace
        .iter()
        .map(|s| match rf.mapped(&mut sc, &s.state) {
            Ok(m) => Some(m),
            Err(e) => {
                error.get_or_insert(e.message);
                None
            }
        })
        .collect();
    let mut tried = Vec::new();
    // A lasso (the refined spec's fairness) has no offending step.
    let step = match v.kind {
        ViolationKind::Refinement(_) => &v.trace[..],
        _ => &[],
    };
    if let [.., before, after] = step {
        match rf.tried(&mut sc, &before.state, &after.state) {
            Ok(ts) => {
                for (t, why) in ts {
                    let label = crate::text::transition_text(&rf.abs, t);
                    let why = match why {
                        T::Disabled(Some(span)) => {
                            format!("disabled: `{}` is false", text::span_text(sources, span))
                        }
                        T::Disabled(None) | T::Refused(None) => "disabled".to_string(),
                        T::Refused(Some(Refusal::Require(span))) => format!(
                            "disabled: its effect's `require {}` is false",
                            text::span_text(sources, span)
                        ),
                        T::Refused(Some(Refusal::With(span))) => format!(
                            "disabled: its `with` value is not in `{}`",
                            text::span_text(sources, span)
                        ),
                        T::Elsewhere(diffs) => {
                            let mut parts = Vec::new();
                            for (n, got, want) in &diffs {
                                diff::changes(n, want, got, &mut parts);
                            }
                            format!(
                                "gives {}",
                                parts
                                    .iter()
                                    .map(|(path, want, got)| format!("{path} = {got}, not {want}"))
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            )
                        }
                        T::Error(m) => format!("fails: {m}"),
                    };
                    tried.push(Tried { label, why });
                }
            }
            Err(e) => {
                error.get_or_insert(e.message);
            }
        }
    }
    RefinementWhy {
        initial: v.trace.len() == 1 && matches!(v.kind, ViolationKind::Refinement(_)),
        mapped,
        tried,
        error,
    }
}

/// A liveness property's status: violated if one of its instances is,
/// holds if all were checked and hold (vacuously if it has none), not
/// checked otherwise.
pub fn property_status(outcome: &Outcome, p: &Property) -> &'static str {
    checks_status(outcome, &p.checks)
}

/// The status of a group of liveness checks (see [`property_status`]).
fn checks_status(outcome: &Outcome, checks: &[u32]) -> &'static str {
    let status = |c: &u32| outcome.liveness.get(*c as usize).copied();
    if checks
        .iter()
        .any(|c| status(c) == Some(CheckStatus::Violated))
    {
        "violated"
    } else if checks.iter().all(|c| status(c) == Some(CheckStatus::Holds))
        // No instance (a `forall` over nothing): holds once the state space
        // was searched completely (a liveness violation comes after that).
        && (!checks.is_empty()
            || match &outcome.result {
                Verdict::Ok => true,
                Verdict::Violation(v) => matches!(v.kind, ViolationKind::Liveness(_)),
                Verdict::Incomplete(_) => false,
            })
    {
        "holds"
    } else {
        "not checked"
    }
}

/// `x = 1, y = 2`
pub fn bindings_text(bindings: &[(String, dcheck_model::value::Value)]) -> String {
    let bs: Vec<String> = bindings.iter().map(|(n, v)| format!("{n} = {v}")).collect();
    bs.join(", ")
}

/// One check of a run and its verdict: every invariant (and `always`
/// property), every action property, the deadlock check, then every
/// temporal property with the
/// fairness assumptions it was checked under as written (empty: none).
/// The text summary and JSON's `"properties"` both list these.
pub struct Checked {
    pub name: String,
    /// `"invariant"`, `"action"`, `"deadlock"` or `"liveness"`.
    pub kind: &'static str,
    /// `"holds"`, `"violated"` or `"not checked"`.
    pub status: &'static str,
    /// For a temporal property, and a refinement with a liveness part:
    /// the fairness assumptions it was checked under, as written.
    pub fairness: Option<Vec<String>>,
    /// For a temporal property of no fixed shape: the states of its
    /// negation's automaton (the largest over its instances).
    pub automaton: Option<usize>,
}

/// What a run checked, in the order of [`Checked`].
pub fn checked(
    model: &Model,
    sources: &SourceMap,
    outcome: &Outcome,
    check_deadlock: bool,
) -> Vec<Checked> {
    let violated = match &outcome.result {
        Verdict::Violation(v) => Some(&v.kind),
        _ => None,
    };
    // A liveness violation is found after a complete safety search.
    let safety_complete = matches!(&outcome.result, Verdict::Ok)
        || matches!(violated, Some(ViolationKind::Liveness(_)));
    let status = |is_this: bool| match (&outcome.result, is_this) {
        _ if safety_complete && !is_this => "holds",
        (Verdict::Violation(_), true) => "violated",
        // A search stopped early (by a violation elsewhere or a limit) has not
        // shown the others hold.
        _ => "not checked",
    };
    let mut out: Vec<Checked> = model
        .invariants
        .iter()
        .enumerate()
        .map(|(i, inv)| Checked {
            name: inv.name.clone(),
            kind: "invariant",
            status: status(
                matches!(violated, Some(ViolationKind::Invariant(j)) if *j as usize == i),
            ),
            fairness: None,
            automaton: None,
        })
        .collect();
    for (i, ap) in model.action_properties.iter().enumerate() {
        out.push(Checked {
            name: ap.name.clone(),
            kind: "action",
            status: status(
                matches!(violated, Some(ViolationKind::ActionProperty(j)) if *j as usize == i),
            ),
            fairness: None,
            automaton: None,
        });
    }
    for (i, r) in model.refinements.iter().enumerate() {
        // Its safety part, then its liveness part (the refined spec's
        // fairness), checked under this spec's fairness.
        let checks = model.refinement_checks(i as u32);
        let safety =
            status(matches!(violated, Some(ViolationKind::Refinement(j)) if *j as usize == i));
        let status = match (safety, checks.is_empty()) {
            ("holds", false) => checks_status(outcome, &checks),
            (s, _) => s,
        };
        out.push(Checked {
            name: r.name.clone(),
            kind: "refinement",
            status,
            fairness: (!checks.is_empty()).then(|| fairness_texts(model, sources, &checks)),
            automaton: None,
        });
    }
    out.push(Checked {
        name: "deadlock".into(),
        kind: "deadlock",
        status: match check_deadlock {
            true => status(matches!(violated, Some(ViolationKind::Deadlock))),
            false => "not checked",
        },
        fairness: None,
        automaton: None,
    });
    for p in model.properties.iter().filter(|p| p.invariant.is_none()) {
        out.push(Checked {
            name: p.name.clone(),
            kind: "liveness",
            status: property_status(outcome, p),
            fairness: Some(fairness_texts(model, sources, &p.checks)),
            automaton: p
                .checks
                .iter()
                .filter_map(|&c| match &model.liveness_checks()[c as usize].form {
                    dcheck_model::system::TemporalForm::General { automaton, .. } => {
                        Some(automaton.states.len())
                    }
                    _ => None,
                })
                .max(),
        });
    }
    out
}

/// The fairness assumptions `checks` are checked under, as written, once
/// each (a `forall` or `each` gives one constraint per instance).
fn fairness_texts(model: &Model, sources: &SourceMap, checks: &[u32]) -> Vec<String> {
    let mut fairness: Vec<String> = Vec::new();
    for c in checks {
        for &k in &model.liveness_checks()[*c as usize].fairness {
            let text = text::span_text(sources, model.fairness_info[k as usize].span);
            if !fairness.contains(&text) {
                fairness.push(text);
            }
        }
    }
    fairness
}

/// A fairness constraint as written, with the instance it stands for:
/// `weak each Switch [Switch(l = 2)]`, `weak processes [self = 1 (TM)]`.
pub fn fairness_text(model: &Model, sources: &SourceMap, k: u32) -> String {
    let f = &model.fairness_info[k as usize];
    let mut s = text::span_text(sources, f.span);
    if let Some(t) = f.transition {
        s += &format!(" [{}]", text::transition_text(model, t));
    } else if !f.label.is_empty() {
        s += &format!(" [{}]", f.label);
    }
    s
}
