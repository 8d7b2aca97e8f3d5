//! The human-readable report: the verdict, the statistics of the search and,
//! for a violation, the counterexample as numbered steps (the full first
//! state, then only what changed) ending with the violated property, the
//! conjunct that failed and the binding that falsified it.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use dcheck_engine::{Outcome, Verdict, Violation, ViolationKind};
use dcheck_model::system::TransitionId;
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::span::{SourceMap, Span};

use crate::diff::{changes, compact};
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

/// The actions (by name, each once, at most three then `...`) with a
/// transition that leads from `state` to another state: what a stuttering
/// lasso's last state does not take.
fn changing_actions(model: &Model, state: &[dcheck_model::system::Word]) -> Vec<String> {
    use dcheck_model::system::TransitionSystem;
    let mut sc = model.scratch();
    let mut names: Vec<String> = Vec::new();
    let _ = model.successors(&mut sc, state, |t, next| {
        let name = model.transition_label(t).0;
        if next != state && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    });
    if names.len() > 3 {
        names.truncate(3);
        names.push("...".into());
    }
    names
}

/// The source text under a span.
pub fn span_text(sources: &SourceMap, span: Span) -> String {
    let text = &sources.file(span.file).text;
    text.get(span.start as usize..span.end as usize)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Whether every reachable state was expanded: the search found nothing,
/// or only a liveness violation (found on the complete state graph).
fn search_complete(outcome: &Outcome) -> bool {
    match &outcome.result {
        Verdict::Ok => true,
        Verdict::Violation(v) => matches!(v.kind, ViolationKind::Liveness(_)),
        Verdict::Incomplete(_) => false,
    }
}

/// The per-action coverage table of `dcheck run --coverage`: for each
/// action, in declaration order, the states in which it was enabled and the
/// successors it generated, with the share of the expanded states. Empty
/// when the search measured none.
pub fn coverage_table(model: &Model, outcome: &Outcome, columns: usize) -> String {
    let mut s = String::new();
    if outcome.coverage.is_empty() {
        return s;
    }
    // Names longer than the columns leave are cut, ending in `~`.
    let room = columns.saturating_sub(2 + 2 + 12 + 2 + 7 + 2 + 12).max(8);
    let width = model
        .actions
        .iter()
        .map(|a| a.name.len())
        .max()
        .unwrap_or(0)
        .max("action".len())
        .min(room);
    let scope = if search_complete(outcome) {
        "every reachable state expanded"
    } else {
        "the states expanded before the search stopped"
    };
    let _ = writeln!(s, "Action coverage ({scope}):");
    let _ = writeln!(
        s,
        "  {:<width$}  {:>12}  {:>7}  {:>12}",
        "action", "enabled in", "share", "successors"
    );
    let states = outcome.stats.distinct_states.max(1) as f64;
    for (c, a) in outcome.coverage.iter().zip(&model.actions) {
        let share = format!("{:.1}%", 100.0 * c.enabled as f64 / states);
        let name = if a.name.len() > width {
            format!("{}~", &a.name[..width - 1])
        } else {
            a.name.clone()
        };
        let _ = writeln!(
            s,
            "  {:<width$}  {:>12}  {:>7}  {:>12}",
            name, c.enabled, share, c.taken
        );
    }
    s
}

/// The verdict line of a violation: `Invariant X is violated.`
pub fn violated_line(model: &Model, v: &Violation) -> String {
    match &v.kind {
        ViolationKind::Invariant(i) => format!(
            "Invariant {} is violated.",
            model.invariants[*i as usize].name
        ),
        ViolationKind::Deadlock => "Deadlock reached.".to_string(),
        ViolationKind::EvalError(_) => "Evaluation error.".to_string(),
        ViolationKind::Liveness(k) => match model.check_info[*k as usize].refined {
            Some((r, _)) => format!(
                "Refinement {} ({}) is violated: its fairness is not implemented.",
                model.refinements[r as usize].name, model.refinements[r as usize].path
            ),
            None => format!(
                "Property {} is violated.",
                crate::violated_property(model, &v.kind)
            ),
        },
        ViolationKind::ActionProperty(i) => format!(
            "Action property {} is violated.",
            model.action_properties[*i as usize].name
        ),
        ViolationKind::Refinement(i) => format!(
            "Refinement {} ({}) is violated.",
            model.refinements[*i as usize].name, model.refinements[*i as usize].path
        ),
    }
}

/// The verdict line and statistics.
pub fn summary(model: &Model, sources: &SourceMap, outcome: &Outcome, info: &RunInfo) -> String {
    let mut s = String::new();
    let st = &outcome.stats;
    let verdict = match &outcome.result {
        Verdict::Ok => "All properties hold (complete search).".to_string(),
        Verdict::Violation(v) => violated_line(model, v),
        Verdict::Incomplete(dcheck_engine::Limit::Interrupted) => {
            "Search interrupted (Ctrl-C or SIGTERM); no violation found so far. The figures below are what was explored.".to_string()
        }
        Verdict::Incomplete(dcheck_engine::Limit::Memory) if info.default_memory.is_some() => {
            let (size, what) = info.default_memory.clone().unwrap_or_default();
            format!(
                "Search incomplete: the default memory limit ({size}: {what}) was reached; no violation found so far.\n  hint: --max-memory SIZE sets another limit; a larger run needs a machine with more memory, or fewer states (smaller constants)."
            )
        }
        Verdict::Incomplete(dcheck_engine::Limit::Store) => format!(
            "Search incomplete: the disk store failed ({}); no violation found so far.\n  hint: --store disk:DIR puts the store on a file system with room; --store memory keeps everything in memory.",
            st.store_error.as_deref().unwrap_or("no reason given")
        ),
        Verdict::Incomplete(dcheck_engine::Limit::Peer) => format!(
            "Search incomplete: the distributed run failed ({}); no result.\n  hint: every process must run the same command but for --process, and stay up until the end; --peer-timeout sets how long a worker waits for the others.",
            st.peer_error.as_deref().unwrap_or("no reason given")
        ),
        Verdict::Incomplete(l) => format!(
            "Search incomplete: the --{} limit was reached; no violation found so far.",
            limit_name(*l)
        ),
    };
    let secs = st.elapsed.as_secs_f64();
    let _ = writeln!(s, "{verdict}");
    let checked = crate::checked(model, sources, outcome, info.check_deadlock);
    let width = checked
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0)
        .max(8);
    for c in &checked {
        let kind = match c.kind {
            "liveness" => "property",
            "refinement" => "refines",
            k => k,
        };
        let name = if c.kind == "deadlock" { "" } else { &c.name };
        let automaton = match c.automaton {
            Some(n) => format!("; automaton: {n} states"),
            None => String::new(),
        };
        let fairness = match &c.fairness {
            Some(f) if f.is_empty() => format!("(fairness: none{automaton})"),
            Some(f) => format!("(fairness: {}{automaton})", f.join(", ")),
            None => String::new(),
        };
        let line = format!("  {kind:<9} {name:<width$}  {}", c.status);
        // Within 80 columns: a long fairness list goes on lines of its own.
        if fairness.is_empty() {
            let _ = writeln!(s, "{line}");
        } else if line.len() + 2 + fairness.len() <= 80 {
            let _ = writeln!(s, "{line}  {fairness}");
        } else {
            let _ = writeln!(s, "{line}");
            // Cut at spaces; a word longer than a line stands alone.
            let options = textwrap::Options::new(80 - 14).break_words(false);
            for part in textwrap::wrap(&fairness, options) {
                let _ = writeln!(s, "              {part}");
            }
        }
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
    match distributed_shape(st) {
        Some((workers, processes)) => {
            let _ = writeln!(
                s,
                "  search                 {} on {workers} worker(s) in {processes} process(es)",
                info.strategy
            );
        }
        None => {
            let _ = writeln!(
                s,
                "  search                 {} on {} thread(s)",
                info.strategy, info.threads
            );
        }
    }
    let bits = model.state_bits();
    let _ = writeln!(
        s,
        "  state encoding         {bits} bits ({} word(s))",
        bits.div_ceil(64).max(1)
    );
    if !model.constraint_names.is_empty() {
        let _ = writeln!(
            s,
            "  constraints            {} (states outside them are counted, not stored)",
            model.constraint_names.join(", ")
        );
    }
    if model.has_view() {
        let _ = writeln!(
            s,
            "  view                   states are told apart by the spec's view"
        );
    }
    // Each line fits 80 columns for the usual one or two type names.
    if let Some(sym) = &model.symmetry {
        let _ = writeln!(
            s,
            "  symmetry               {}: counts are orbits, states up to permutation",
            sym.names().join(", ")
        );
        if sym.inexact() {
            let _ = writeln!(
                s,
                "                         (inexact: some states had too many ties to order\n                          exactly, so an orbit may be counted more than once)"
            );
        }
    }
    if !model.symmetry_skipped.is_empty() {
        let _ = writeln!(
            s,
            "  symmetry               {}: not applied: temporal properties are checked on\n                         every state (--invariants-only reduces)",
            model.symmetry_skipped.join(", ")
        );
    }
    if !model.properties.iter().all(|p| p.invariant.is_some()) {
        let _ = writeln!(
            s,
            "  liveness semantics     {}",
            if model.assume_progress {
                "assume_progress (stops only where no step is enabled)"
            } else {
                "TLA+ stuttering (may stop unless fairness forbids)"
            }
        );
    }
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
    // Coverage: after a complete search an action never enabled is enabled
    // in no reachable state, usually a bug in the spec.
    if search_complete(outcome) {
        for (c, a) in outcome.coverage.iter().zip(&model.actions) {
            if c.enabled == 0 {
                let _ = writeln!(
                    s,
                    "  warning: action {} is never enabled (its guard is false in every reachable state)",
                    a.name
                );
            }
        }
    }
    if let Some(store) = &st.store {
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        let from = match store.switched_at {
            Some(n) => format!("from {n} states on (memory was short)"),
            None => "from the start".to_string(),
        };
        let _ = writeln!(s, "  store                  disk, {from}");
        let _ = writeln!(
            s,
            "  disk store             {} fingerprints; {:.1} MiB out, {:.1} MiB in",
            store.on_disk,
            mib(store.bytes_written),
            mib(store.bytes_read)
        );
    }
    if distributed_shape(st).is_some() {
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        let processes = st.peers.iter().map(|p| p.process).max().unwrap_or(0) + 1;
        for process in 0..processes {
            let ps = || st.peers.iter().filter(|p| p.process == process);
            let _ = writeln!(
                s,
                "  process {process:<14} {} states; {:.1} MiB out, {:.1} MiB in; {:.2} s waiting",
                ps().map(|p| p.states).sum::<u64>(),
                mib(ps().map(|p| p.bytes_sent).sum()),
                mib(ps().map(|p| p.bytes_received).sum()),
                ps().map(|p| p.waited.as_secs_f64()).sum::<f64>(),
            );
        }
    }
    if let Some(file) = &info.checkpoint {
        let how = if info.resumed { "resumed from, " } else { "" };
        let _ = writeln!(
            s,
            "  checkpoint             {file} ({how}written {} time(s))",
            st.checkpoints_written
        );
        if let Some(e) = &st.checkpoint_error {
            let _ = writeln!(s, "  warning: {e}");
        }
        if matches!(outcome.result, Verdict::Incomplete(_)) && st.checkpoints_written > 0 {
            let _ = writeln!(
                s,
                "  hint: continue with `dcheck run {} --resume {file}` (the same --const and options; limits may change)",
                info.spec_path
            );
        }
    }
    if st.graph_bytes > 0 {
        let _ = writeln!(
            s,
            "  liveness graph         {} edges, {:.1} MiB ({:.1} bytes/state), {:.3} s",
            st.graph_edges,
            st.graph_bytes as f64 / (1u64 << 20) as f64,
            st.graph_bytes as f64 / st.distinct_states.max(1) as f64,
            st.liveness_seconds
        );
    }
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
    counterexample_styled(model, sources, v, info, procs, TraceStyle::default())
}

/// How the text counterexample is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceStyle {
    /// ANSI colours: actions in bold, changed values in green, the violated
    /// property in red. The text is the same with and without.
    pub color: bool,
    /// Every variable in every state (changed ones marked `*`), instead of
    /// the first state in full and then only the changes.
    pub full_states: bool,
    /// The columns the text fits in (`--width`, the terminal's, or 80);
    /// 0 means 80.
    pub width: usize,
}

impl TraceStyle {
    /// The columns to fit in.
    pub fn columns(&self) -> usize {
        if self.width == 0 {
            80
        } else {
            self.width
        }
    }
}

/// `text` with every line wider than `width` columns cut at spaces (or
/// inside a word longer than a line), the continuation lines indented four
/// columns more than the line they continue. Colour codes take no width.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if textwrap::core::display_width(line) <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let more = format!("{indent}    ");
        let options = textwrap::Options::new(width.max(more.len() + 8))
            .initial_indent(indent)
            .subsequent_indent(&more)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .break_words(true);
        for part in textwrap::wrap(body, options) {
            out.push_str(part.trim_end());
            out.push('\n');
        }
    }
    out
}

const BOLD: Style = Style::new().bold();
const CHANGED: Style = AnsiColor::Green.on_default().bold();
const OLD: Style = Style::new().dimmed();
const BAD: Style = AnsiColor::Red.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default();

/// `text` in `style` when colours are on.
pub fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// The counterexample, drawn as `style` says; for a spec with roles
/// (`procs`), followed by the per-process message view.
pub fn counterexample_styled(
    model: &Model,
    sources: &SourceMap,
    v: &Violation,
    info: &RunInfo,
    procs: Option<&dcheck_net::Processes>,
    style: TraceStyle,
) -> String {
    let c = style.color;
    let mut s = String::new();
    let note = if info.strategy == "bfs" {
        ", a shortest one"
    } else {
        ""
    };
    match &v.lasso {
        None => {
            let _ = writeln!(
                s,
                "Counterexample ({} step(s){note}):",
                v.trace.len().saturating_sub(1)
            );
        }
        Some(l) => {
            let cycle = v.trace.len() - 1 - l.loop_start;
            let _ = writeln!(
                s,
                "Counterexample: a lasso, a shortest {}-step prefix then {}:",
                l.loop_start,
                if cycle == 0 {
                    "stuttering forever in its last state".to_string()
                } else {
                    format!("a {cycle}-step cycle repeated forever")
                }
            );
        }
    }
    if let Some(e) = &v.replay_error {
        let _ = writeln!(s, "  Warning: {}.", e.message());
    }
    let loop_start = v.lasso.as_ref().map(|l| l.loop_start);
    // A refinement violation shows the refined spec's state each state
    // maps to, under it (first in full, then what changed).
    let refined = match &v.kind {
        ViolationKind::Refinement(r) => Some(*r),
        ViolationKind::Liveness(k) => model.check_info[*k as usize].refined.map(|x| x.0),
        _ => None,
    }
    .map(|r| {
        (
            &model.refinements[r as usize].name,
            crate::refinement_why(model, sources, r, v),
        )
    });
    let mut prev: Option<Vec<(String, Value)>> = None;
    for (i, step) in v.trace.iter().enumerate() {
        let vars = model.decode_state(&step.state);
        let title = match step.transition {
            None => "initial state".to_string(),
            Some(t) => paint(c, BOLD, &transition_text(model, t)),
        };
        let _ = writeln!(s, "  {i:>3}. {title}");
        match (&prev, style.full_states) {
            (None, _) | (Some(_), true) => {
                let w = vars.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                for (k, (n, val)) in vars.iter().enumerate() {
                    let changed = prev.as_ref().is_some_and(|p| p[k].1 != *val);
                    let text = if style.full_states {
                        val.to_string()
                    } else {
                        compact(val)
                    };
                    let (mark, text) = match (style.full_states, changed) {
                        (false, _) => ("", text),
                        (true, false) => ("  ", text),
                        (true, true) => ("* ", paint(c, CHANGED, &text)),
                    };
                    let _ = writeln!(s, "         {mark}{n:<w$} = {text}");
                }
            }
            (Some(p), false) => {
                let mut out = Vec::new();
                for ((n, old), (_, new)) in p.iter().zip(&vars) {
                    changes(n, old, new, &mut out);
                }
                if out.is_empty() {
                    let _ = writeln!(s, "         (no change)");
                }
                for (path, old, new) in out {
                    let _ = writeln!(
                        s,
                        "         {path}: {} -> {}",
                        paint(c, OLD, &old.to_string()),
                        paint(c, CHANGED, &new.to_string())
                    );
                }
            }
        }
        prev = Some(vars);
        if let Some((name, why)) = &refined {
            let tag = paint(c, NOTE, &format!("[{name}]"));
            match (
                why.mapped.get(i).cloned().flatten(),
                i.checked_sub(1)
                    .and_then(|j| why.mapped.get(j).cloned().flatten()),
            ) {
                (None, _) => {
                    let _ = writeln!(s, "         {tag} (the mapping fails here)");
                }
                (Some(now), Some(before)) => {
                    let mut out = Vec::new();
                    for ((n, old), (_, new)) in before.iter().zip(&now) {
                        changes(n, old, new, &mut out);
                    }
                    if out.is_empty() {
                        let _ = writeln!(s, "         {tag} (no change: a stutter)");
                    }
                    for (path, old, new) in out {
                        let _ = writeln!(s, "         {tag} {path}: {old} -> {new}");
                    }
                }
                (Some(now), None) => {
                    for (n, val) in &now {
                        let _ = writeln!(s, "         {tag} {n} = {}", compact(val));
                    }
                }
            }
        }
        let note = if loop_start == Some(i) {
            if i + 1 == v.trace.len() {
                let enabled = changing_actions(model, &step.state);
                Some(if enabled.is_empty() {
                    format!("       -- no action is enabled here: the behaviour stays in state {i} forever")
                } else {
                    format!(
                        "       -- the behaviour stutters in state {i} forever (TLA+ semantics):\n          no fairness assumption forces {}, enabled here",
                        enabled.join(", ")
                    )
                })
            } else {
                Some(format!("       -- the cycle starts in state {i}"))
            }
        } else if loop_start.is_some() && i + 1 == v.trace.len() {
            Some(format!(
                "       -- back to state {}: the cycle repeats forever",
                loop_start.unwrap_or(0)
            ))
        } else {
            None
        };
        if let Some(n) = note {
            let _ = writeln!(s, "{}", paint(c, NOTE, &n));
        }
    }
    let width = style.columns();
    let mut out = fit(&s, width);
    s.clear();
    if let Some(p) = procs {
        let evs = crate::events::events(model, &v.trace, p);
        let _ = writeln!(out, "Messages:");
        out.push_str(&crate::events::lane_view(&evs, p, width));
    }
    out.push_str(&fit(&violation_text(model, sources, v, c), width));
    out
}

/// What the violation is, after its trace: the violated property and why
/// (the failing conjunct and its bindings, the refinement's tried actions,
/// the lasso's fairness, the error), as lines of plain text (coloured with
/// `c`).
pub fn violation_text(model: &Model, sources: &SourceMap, v: &Violation, c: bool) -> String {
    let mut s = String::new();
    match &v.kind {
        ViolationKind::Liveness(k) => liveness_text(&mut s, model, sources, *k, v, c),
        ViolationKind::Invariant(i) => {
            let inv = &model.invariants[*i as usize];
            let _ = writeln!(
                s,
                "{} invariant {} in the last state.",
                paint(c, BAD, "Violated:"),
                inv.name
            );
            if let Some(last) = v.trace.last() {
                if let Some(ex) = model.explain(*i, &last.state) {
                    let _ = writeln!(s, "  failing part: {}", span_text(sources, ex.conjunct));
                    if !ex.bindings.is_empty() {
                        let _ =
                            writeln!(s, "  for:          {}", crate::bindings_text(&ex.bindings));
                    }
                }
            }
        }
        ViolationKind::ActionProperty(i) => {
            let _ = writeln!(
                s,
                "{} action property {} by the last step.",
                paint(c, BAD, "Violated:"),
                model.action_properties[*i as usize].name
            );
            if let [.., before, after] = &v.trace[..] {
                if let Some(ex) = model.explain_step(*i, &before.state, &after.state) {
                    let _ = writeln!(s, "  failing part: {}", span_text(sources, ex.conjunct));
                    if !ex.bindings.is_empty() {
                        let _ =
                            writeln!(s, "  for:          {}", crate::bindings_text(&ex.bindings));
                    }
                }
            }
        }
        ViolationKind::Refinement(r) => {
            let rf = &model.refinements[*r as usize];
            let why = crate::refinement_why(model, sources, *r, v);
            let spec = &rf.abs.name;
            if why.initial {
                let _ = writeln!(
                    s,
                    "{} refinement {} ({}): the initial state maps to no initial state of {spec}.",
                    paint(c, BAD, "Violated:"),
                    rf.name,
                    rf.path
                );
            } else {
                let _ = writeln!(
                    s,
                    "{} refinement {} ({}): the last step maps to no step of {spec}\n  (and changes its state, so it is no stutter either).",
                    paint(c, BAD, "Violated:"),
                    rf.name,
                    rf.path
                );
                let _ = writeln!(s, "  {spec}'s actions, tried on the mapped step:");
                const SHOWN: usize = 20;
                for t in why.tried.iter().take(SHOWN) {
                    let _ = writeln!(s, "    {}: {}", t.label, t.why);
                }
                if why.tried.len() > SHOWN {
                    let _ = writeln!(
                        s,
                        "    ... and {} more (all in the JSON report)",
                        why.tried.len() - SHOWN
                    );
                }
            }
            if let Some(e) = &why.error {
                let _ = writeln!(s, "  error: {e}");
            }
        }
        ViolationKind::Deadlock => {
            let _ = writeln!(s, "{} deadlock: no action is enabled in the last state and `terminal` does not hold there.", paint(c, BAD, "Violated:"));
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
                // No trace: no initial state was computed.
                None if v.trace.is_empty() => {
                    "while computing the initial states (`init`)".to_string()
                }
                None => "while evaluating the invariants, `terminal`, a property's predicates \
                         or an action property in the last state"
                    .to_string(),
            };
            let _ = writeln!(
                s,
                "{} evaluation error {what}: {}",
                paint(c, BAD, "Violated:"),
                e.error.message
            );
            if let Some(span) = e.error.span {
                let d = Diagnostic::new(span, e.error.message.clone()).label("evaluated here");
                s.push_str(&dcheck_syntax::render(sources, &[d], false));
            }
        }
    }
    s
}

/// The end of a liveness counterexample: the property, the instance, and
/// why the cycle is fair.
fn liveness_text(
    s: &mut String,
    model: &Model,
    sources: &SourceMap,
    c: u32,
    v: &Violation,
    color: bool,
) {
    let info = &model.check_info[c as usize];
    if let Some((r, k)) = info.refined {
        let rf = &model.refinements[r as usize];
        let _ = writeln!(
            s,
            "{} refinement {} ({}): the refined spec's fairness\n  {} is not implemented: on the cycle the mapped {} state\n  {}, and no step takes it.",
            paint(color, BAD, "Violated:"),
            rf.name,
            rf.path,
            crate::fairness_text(&rf.abs, sources, rf.fairness[k as usize]),
            rf.abs.name,
            match dcheck_model::system::TransitionSystem::liveness_checks(model)[c as usize].form {
                dcheck_model::system::TemporalForm::Fair { strong: true, .. } => "enables it again and again",
                _ => "enables it in every state",
            }
        );
    } else {
        let p = &model.properties[info.property as usize];
        let _ = writeln!(
            s,
            "{} property {}: {}",
            paint(color, BAD, "Violated:"),
            p.name,
            span_text(sources, p.formula)
        );
    }
    if !info.bindings.is_empty() {
        let _ = writeln!(
            s,
            "  for:          {}",
            crate::bindings_text(&info.bindings)
        );
    }
    if let Some(facts) = crate::why::explain(model, sources, c, v) {
        for (i, fact) in facts.iter().enumerate() {
            let head = if i == 0 { "  why:" } else { "" };
            let _ = writeln!(s, "{head:<16}{}", fact.text());
        }
    }
    let Some(l) = &v.lasso else { return };
    if l.fairness.is_empty() {
        let _ = writeln!(s, "  fairness:     none assumed");
        return;
    }
    let _ = writeln!(s, "  fairness respected by the cycle:");
    for w in &l.fairness {
        let why = match (w.taken_at, w.disabled_at) {
            (Some(t), _) => format!("taken at step {t}"),
            (None, Some(d)) if !w.enabled_somewhere => {
                format!("never enabled on the cycle (e.g. state {d})")
            }
            (None, Some(d)) => format!("disabled in state {d}"),
            (None, None) => "never enabled on the cycle".to_string(),
        };
        let _ = writeln!(
            s,
            "    {}: {why}",
            crate::fairness_text(model, sources, w.constraint)
        );
    }
}

/// A distributed search's workers and processes, from its per-worker
/// figures.
fn distributed_shape(st: &dcheck_engine::Stats) -> Option<(usize, usize)> {
    let processes = st.peers.iter().map(|p| p.process).max()? + 1;
    Some((st.peers.len(), processes))
}
