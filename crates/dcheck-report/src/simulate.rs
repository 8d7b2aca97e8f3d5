//! Reports of `dcheck simulate`: the text summary and the JSON object. The
//! counterexample itself is printed as for `dcheck run` (`text.rs`,
//! `json.rs`).

use std::fmt::Write;

use dcheck_engine::simulate::{SimConfig, SimOutcome};
use dcheck_engine::{Verdict, ViolationKind};
use dcheck_model::Model;
use dcheck_syntax::span::SourceMap;
use serde_json::{json, Value as Json};

use crate::RunInfo;

/// The verdict line and statistics of a simulation.
pub fn summary(model: &Model, sim: &SimOutcome, config: &SimConfig, info: &RunInfo) -> String {
    let mut s = String::new();
    let verdict = match &sim.outcome.result {
        Verdict::Violation(v) => match &v.kind {
            ViolationKind::Invariant(i) => format!(
                "Invariant {} is violated (found by random simulation).",
                model.invariants[*i as usize].name
            ),
            ViolationKind::Deadlock => "Deadlock reached (found by random simulation).".into(),
            ViolationKind::EvalError(_) => "Evaluation error (found by random simulation).".into(),
            ViolationKind::Liveness(_) => "Property violated.".into(),
            ViolationKind::ActionProperty(i) => format!(
                "Action property {} is violated (found by random simulation).",
                model.action_properties[*i as usize].name
            ),
            ViolationKind::Refinement(i) => format!(
                "Refinement {} is violated (found by random simulation).",
                model.refinements[*i as usize].name
            ),
        },
        Verdict::Incomplete(dcheck_engine::Limit::Interrupted) => format!(
            "Simulation interrupted (Ctrl-C or SIGTERM) after {} random run(s); no violation found.",
            sim.runs
        ),
        _ => format!(
            "No violation found in {} random run(s) (not a complete search).",
            sim.runs
        ),
    };
    let _ = writeln!(s, "{verdict}");
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
        "  simulation             {} run(s) of at most {} step(s), seed {}, on {} thread(s)",
        config.runs, config.depth, config.seed, info.threads
    );
    let _ = writeln!(s, "  runs done              {}", sim.runs);
    let _ = writeln!(s, "  steps taken            {}", sim.steps);
    let _ = writeln!(s, "  longest run            {}", sim.outcome.stats.depth);
    if let Some(f) = sim.found {
        let _ = writeln!(
            s,
            "  violating run          {} (from 0; reproduce with --seed {} --depth {} --runs {})",
            f.run,
            config.seed,
            config.depth,
            f.run + 1
        );
        let _ = writeln!(
            s,
            "  trace                  {} step(s), shortened from {}",
            f.steps, f.walk_steps
        );
    }
    let temporal = model
        .properties
        .iter()
        .filter(|p| p.invariant.is_none())
        .count();
    if temporal > 0 {
        let _ = writeln!(
            s,
            "  temporal properties    {temporal} not checked (simulation checks invariants only)"
        );
    }
    let _ = writeln!(
        s,
        "  time                   {:.3} s",
        sim.outcome.stats.elapsed.as_secs_f64()
    );
    s
}

/// The `--format json` object of a simulation: `mode: "simulate"`, the
/// options, the counts, every property with its status (`violated`,
/// `no violation found`, or `not checked` for temporal properties and for
/// deadlock under `--no-deadlock`) and the `violation` as in
/// [`crate::json::report`] plus `run` and `walk_steps`.
pub fn json(
    model: &Model,
    sources: &SourceMap,
    sim: &SimOutcome,
    config: &SimConfig,
    info: &RunInfo,
    procs: Option<&dcheck_net::Processes>,
) -> Json {
    let violated = match &sim.outcome.result {
        Verdict::Violation(v) => Some(&v.kind),
        _ => None,
    };
    let status = |this: bool| {
        if this {
            "violated"
        } else {
            "no violation found"
        }
    };
    let mut properties: Vec<Json> = model
        .invariants
        .iter()
        .enumerate()
        .map(|(i, inv)| {
            let this = matches!(violated, Some(ViolationKind::Invariant(j)) if *j as usize == i);
            json!({"name": inv.name, "kind": "invariant", "status": status(this)})
        })
        .collect();
    properties.push(json!({
        "name": "deadlock",
        "kind": "deadlock",
        "status": if config.check_deadlock {
            status(matches!(violated, Some(ViolationKind::Deadlock)))
        } else {
            "not checked"
        },
    }));
    for p in model.properties.iter().filter(|p| p.invariant.is_none()) {
        properties.push(json!({"name": p.name, "kind": "liveness", "status": "not checked"}));
    }
    let mut out = json!({
        "schema_version": crate::json::SCHEMA_VERSION,
        "mode": "simulate",
        "spec": model.name,
        "file": info.spec_path,
        "constants": Json::Object(model.constants.iter().map(|(k, v)| (k.clone(), crate::json::value(v))).collect()),
        "seed": config.seed,
        "runs": config.runs,
        "depth": config.depth,
        "threads": info.threads,
        "result": match &sim.outcome.result {
            Verdict::Violation(_) => "violation",
            Verdict::Incomplete(dcheck_engine::Limit::Interrupted) => "interrupted",
            _ => "ok",
        },
        "runs_done": sim.runs,
        "steps": sim.steps,
        "longest_run": sim.outcome.stats.depth,
        "elapsed_seconds": sim.outcome.stats.elapsed.as_secs_f64(),
        "properties": properties,
    });
    if violated.is_some() {
        let mut full =
            crate::json::report(model, sources, &sim.outcome, info, config.check_deadlock);
        crate::json::add_events(&mut full, model, &sim.outcome, procs);
        let mut v = full["violation"].take();
        if let Some(f) = sim.found {
            v["run"] = json!(f.run);
            v["walk_steps"] = json!(f.walk_steps);
        }
        out["violation"] = v;
    }
    out
}
