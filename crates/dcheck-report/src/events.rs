//! The per-process view of a counterexample of a message-passing spec: what
//! each trace step did in terms of processes and messages (sends, receives,
//! crashes, losses, internal steps), derived from the lowered spec's
//! conventions (`net` / `chan` / `crashed`, `deliver_<Msg>_to_<Role>`,
//! `lose`, `crash_<Role>`, steps with a first parameter `self`; see
//! `crates/dcheck-net`), and a text lane view with one lifeline per process.
//!
//! Sends are the messages that appear in the network in a step (a multiset or
//! set difference for `net`, the appended tail of a queue for `chan`); the
//! message a `deliver_*` step receives is the one that left the network, or,
//! on a duplicating network where nothing leaves, the one named by the
//! action's parameters.

use std::fmt::Write;

use dcheck_engine::TraceStep;
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_net::Processes;
use serde_json::{json, Value as Json};

/// One thing a process (or the network) did in a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Send {
        from: Value,
        to: Value,
        msg: Value,
    },
    Receive {
        at: Value,
        from: Value,
        msg: Value,
    },
    Crash {
        who: Value,
    },
    Lose {
        from: Value,
        to: Value,
        msg: Value,
    },
    /// An internal step; `at` is `None` for an action of no role.
    Step {
        at: Option<Value>,
        name: String,
    },
}

impl Event {
    /// The process whose lifeline shows the event.
    pub fn process(&self) -> Option<&Value> {
        match self {
            Event::Send { from, .. } | Event::Lose { from, .. } => Some(from),
            Event::Receive { at, .. } => Some(at),
            Event::Crash { who } => Some(who),
            Event::Step { at, .. } => at.as_ref(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Event::Send { .. } => "send",
            Event::Receive { .. } => "receive",
            Event::Crash { .. } => "crash",
            Event::Lose { .. } => "lose",
            Event::Step { .. } => "step",
        }
    }
}

fn proc(role: &str, id: Value) -> Value {
    Value::Variant {
        variant: role.to_string(),
        payload: vec![id],
    }
}

/// (sender, receiver, message) triples in flight in an unordered network,
/// with multiplicity: `net` holds triples, a per-channel `chan` holds a bag
/// or set of messages per (sender, receiver). FIFO queues are compared by
/// [`network_change`].
fn in_flight(vars: &[(String, Value)]) -> Vec<(Value, Value, Value)> {
    // The members of a bag or set, each as often as it is in it.
    fn members(v: &Value) -> Vec<&Value> {
        match v {
            Value::Multiset(items) => items
                .iter()
                .flat_map(|(x, c)| std::iter::repeat_n(x, *c as usize))
                .collect(),
            Value::Set(items) => items.iter().collect(),
            _ => vec![],
        }
    }
    let mut out = Vec::new();
    for (n, v) in vars {
        match (n.as_str(), v) {
            ("net", v) => {
                for t in members(v) {
                    if let Value::Tuple(x) = t {
                        if x.len() == 3 {
                            out.push((x[0].clone(), x[1].clone(), x[2].clone()));
                        }
                    }
                }
            }
            ("chan", Value::Map(entries)) => {
                for (key, coll) in entries {
                    if let Value::Tuple(k) = key {
                        if k.len() == 2 {
                            for m in members(coll) {
                                out.push((k[0].clone(), k[1].clone(), m.clone()));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Multiset difference `a - b`.
fn minus<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut rest: Vec<Option<&T>> = b.iter().map(Some).collect();
    let mut out = Vec::new();
    for x in a {
        match rest.iter_mut().find(|r| r.is_some_and(|r| r == x)) {
            Some(slot) => *slot = None,
            None => out.push(x.clone()),
        }
    }
    out
}

/// (sender, receiver, message) triples.
pub type Triples = Vec<(Value, Value, Value)>;

/// (removed, added) messages of a network change: `net` by difference,
/// `chan` queues by what left the front and what was appended. (Public
/// for its test, `tests/it/report_units.rs`.)
pub fn network_change(old: &[(String, Value)], new: &[(String, Value)]) -> (Triples, Triples) {
    let (a, b) = (in_flight(old), in_flight(new));
    let (mut removed, mut added) = (minus(&a, &b), minus(&b, &a));
    let chan = |vars: &[(String, Value)]| {
        vars.iter()
            .find(|(n, _)| n == "chan")
            .map(|(_, v)| v.clone())
    };
    if let (Some(Value::Map(o)), Some(Value::Map(n))) = (chan(old), chan(new)) {
        for ((key, qo), (_, qn)) in o.iter().zip(&n) {
            let (Value::Tuple(k), Value::Seq(qo), Value::Seq(qn)) = (key, qo, qn) else {
                continue;
            };
            if k.len() != 2 || qo == qn {
                continue;
            }
            // The fewest messages taken from the front so that the rest of
            // the old queue is a prefix of the new one.
            let front = (0..=qo.len())
                .find(|&f| qn.len() >= qo.len() - f && qn[..qo.len() - f] == qo[f..])
                .unwrap_or(qo.len());
            let kept = qo.len() - front;
            for m in &qo[..front] {
                removed.push((k[0].clone(), k[1].clone(), m.clone()));
            }
            for m in qn.get(kept..).unwrap_or(&[]) {
                added.push((k[0].clone(), k[1].clone(), m.clone()));
            }
        }
    }
    (removed, added)
}

/// The FIFO queue from `from` to `to` in a decoded state.
fn queue(vars: &[(String, Value)], from: &Value, to: &Value) -> Option<Vec<Value>> {
    let Some((_, Value::Map(entries))) = vars.iter().find(|(n, _)| n == "chan") else {
        return None;
    };
    entries.iter().find_map(|(k, q)| match (k, q) {
        (Value::Tuple(pair), Value::Seq(items))
            if pair.len() == 2 && pair[0] == *from && pair[1] == *to =>
        {
            Some(items.clone())
        }
        _ => None,
    })
}

fn crashed(vars: &[(String, Value)]) -> Vec<Value> {
    match vars.iter().find(|(n, _)| n == "crashed") {
        Some((_, Value::Set(s))) => s.clone(),
        _ => Vec::new(),
    }
}

fn param<'a>(params: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// The events of every step of `trace` (index = step; step 0, the initial
/// state, has none).
pub fn events(model: &Model, trace: &[TraceStep], procs: &Processes) -> Vec<Vec<Event>> {
    let mut out = Vec::with_capacity(trace.len());
    let mut prev: Option<Vec<(String, Value)>> = None;
    for step in trace {
        let vars = model.decode_state(&step.state);
        let mut evs = Vec::new();
        if let (Some(t), Some(old)) = (step.transition, &prev) {
            let (name, params) = model.transition_label(t);
            let (removed, mut added) = network_change(old, &vars);
            let new_crashes = minus(&crashed(&vars), &crashed(old));
            let self_id = params.first().filter(|(n, _)| n == "self").map(|p| &p.1);
            let role = procs
                .roles
                .iter()
                .find(|(_, acts)| acts.iter().any(|a| a == name))
                .map(|(r, _)| r.as_str());
            let handler = procs.handlers.iter().find(|h| h.action == name);
            if let (Some(h), Some(id)) = (handler, self_id) {
                let at = proc(&h.role, id.clone());
                let left = removed.iter().find(|(_, d, m)| {
                    *d == at && matches!(m, Value::Variant { variant, .. } if *variant == h.message)
                });
                let (from, msg) = match left {
                    Some((s, _, m)) => (s.clone(), m.clone()),
                    None => {
                        let sender = params.get(1).map(|p| p.1.clone()).unwrap_or(Value::Int(0));
                        let from = match &h.from_role {
                            Some(r) => proc(r, sender),
                            None => sender,
                        };
                        let fields = params.iter().skip(2).map(|p| p.1.clone()).collect();
                        let msg = Value::Variant {
                            variant: h.message.clone(),
                            payload: fields,
                        };
                        (from, msg)
                    }
                };
                evs.push(Event::Receive { at, from, msg });
            } else if name == "lose" {
                // Losing from a FIFO queue removes its k-th message, which a
                // head/tail comparison of the queues would misread.
                added.clear();
                let fifo_lost = match (
                    param(&params, "src"),
                    param(&params, "dst"),
                    param(&params, "k"),
                ) {
                    (Some(f), Some(t), Some(Value::Int(k))) => queue(old, f, t)
                        .and_then(|q| q.get(*k as usize - 1).cloned())
                        .map(|m| (f.clone(), t.clone(), m)),
                    _ => None,
                };
                match fifo_lost.as_ref().or(removed.first()) {
                    Some((f, t, m)) => evs.push(Event::Lose {
                        from: f.clone(),
                        to: t.clone(),
                        msg: m.clone(),
                    }),
                    None => {
                        if let (Some(f), Some(t), Some(m)) = (
                            param(&params, "src"),
                            param(&params, "dst"),
                            param(&params, "m"),
                        ) {
                            evs.push(Event::Lose {
                                from: f.clone(),
                                to: t.clone(),
                                msg: m.clone(),
                            });
                        }
                    }
                }
            } else if let Some(r) = name.strip_prefix("crash_") {
                let who = match (new_crashes.first(), param(&params, "i")) {
                    (Some(w), _) => Some(w.clone()),
                    (None, Some(i)) => Some(proc(r, i.clone())),
                    _ => None,
                };
                evs.extend(who.map(|who| Event::Crash { who }));
            }
            for (from, to, msg) in &added {
                evs.push(Event::Send {
                    from: from.clone(),
                    to: to.clone(),
                    msg: msg.clone(),
                });
            }
            if evs.is_empty() {
                let at = match (role, self_id) {
                    (Some(r), Some(id)) => Some(proc(r, id.clone())),
                    _ => None,
                };
                evs.push(Event::Step {
                    at,
                    name: name.to_string(),
                });
            }
        }
        out.push(evs);
        prev = Some(vars);
    }
    out
}

/// The events as JSON: `[{step, kind, process, peer?, message?}]`.
pub fn events_json(events: &[Vec<Event>]) -> Json {
    let mut out = Vec::new();
    for (i, evs) in events.iter().enumerate() {
        for e in evs {
            let mut j = json!({"step": i, "kind": e.kind()});
            j["process"] = match e.process() {
                Some(p) => json!(p.to_string()),
                None => Json::Null,
            };
            match e {
                Event::Send { to, msg, .. } | Event::Lose { to, msg, .. } => {
                    j["peer"] = json!(to.to_string());
                    j["message"] = json!(msg.to_string());
                }
                Event::Receive { from, msg, .. } => {
                    j["peer"] = json!(from.to_string());
                    j["message"] = json!(msg.to_string());
                }
                Event::Step { name, .. } => j["action"] = json!(name),
                Event::Crash { .. } => {}
            }
            out.push(j);
        }
    }
    Json::Array(out)
}

/// The processes of the events, ordered by role declaration, then id.
pub(crate) fn lanes(events: &[Vec<Event>], procs: &Processes) -> Vec<Value> {
    let mut ps: Vec<Value> = Vec::new();
    for e in events.iter().flatten() {
        let mut add = |p: &Value| {
            if !ps.contains(p) {
                ps.push(p.clone());
            }
        };
        match e {
            Event::Send { from, to, .. }
            | Event::Lose { from, to, .. }
            | Event::Receive { at: to, from, .. } => {
                add(from);
                add(to);
            }
            Event::Crash { who } => add(who),
            Event::Step { at: Some(p), .. } => add(p),
            Event::Step { at: None, .. } => {}
        }
    }
    let key = |p: &Value| match p {
        Value::Variant { variant, payload } => (
            procs
                .roles
                .iter()
                .position(|(r, _)| r == variant)
                .unwrap_or(usize::MAX),
            payload.first().map(|v| v.to_string()).unwrap_or_default(),
            match payload.first() {
                Some(Value::Int(i)) => *i,
                _ => 0,
            },
        ),
        other => (usize::MAX, other.to_string(), 0),
    };
    ps.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        (ka.0, ka.2, ka.1).cmp(&(kb.0, kb.2, kb.1))
    });
    ps
}

/// The label written right of a lifeline for an event that is not drawn as
/// an arrow, and an optional note at the end of the row.
fn lane_label(e: &Event) -> (String, Option<String>) {
    match e {
        Event::Send { msg, .. } => (format!("send {msg} to self"), None),
        Event::Receive { from, msg, .. } => (format!("recv {msg}"), Some(format!("from {from}"))),
        Event::Crash { .. } => ("CRASH".to_string(), None),
        Event::Lose { to, msg, .. } => (format!("lost {msg}"), Some(format!("to {to}"))),
        Event::Step { name, .. } => (name.clone(), None),
    }
}

/// A send between two processes, drawn as an arrow.
fn arrow(e: &Event) -> Option<(&Value, &Value, String)> {
    match e {
        Event::Send { from, to, msg } if from != to => Some((from, to, msg.to_string())),
        _ => None,
    }
}

/// The lane view: a header of processes, then one row per event with the
/// step number on a step's first row. Sends are arrows between lifelines
/// (`|--Data(1)-->|`); the other events are labels next to the acting
/// process's lifeline, marked `*` (`X` for a crash). Plain ASCII.
///
/// Lanes are as wide as their content needs, but the chart fits `width`
/// columns: when it would not, lanes narrow (to 12 columns at least) and a
/// label that no longer fits becomes a tag `[k]`, spelled out in a legend
/// under the chart.
pub fn lane_view(events: &[Vec<Event>], procs: &Processes, width: usize) -> String {
    let lanes = lanes(events, procs);
    let mut s = String::new();
    if lanes.is_empty() {
        let _ = writeln!(s, "  (no messages or process steps)");
        return s;
    }
    // Lane width: room for headers, labels, and arrow labels between
    // neighbouring lifelines, within `width`.
    let mut w = 12usize;
    for p in &lanes {
        w = w.max(p.to_string().len() + 2);
    }
    for e in events.iter().flatten() {
        match arrow(e) {
            Some((_, _, m)) => w = w.max(m.len() + 6),
            None => w = w.max(lane_label(e).0.len() + 3),
        }
    }
    let fits = (width.saturating_sub(8) / lanes.len()).max(12);
    w = w.min(fits);
    let mut legend: Vec<String> = Vec::new();
    let mut tag = |text: String, room: usize| -> String {
        if text.len() <= room {
            return text;
        }
        let k = match legend.iter().position(|l| *l == text) {
            Some(k) => k,
            None => {
                legend.push(text);
                legend.len() - 1
            }
        };
        format!("[{}]", k + 1)
    };
    let col = |p: &Value| lanes.iter().position(|l| l == p).map(|i| 8 + i * w + w / 2);
    let total = 8 + lanes.len() * w;
    let blank = || {
        let mut row = vec![' '; total];
        for (i, _) in lanes.iter().enumerate() {
            row[8 + i * w + w / 2] = '|';
        }
        row
    };
    let mut header = vec![' '; total];
    let mut names = Vec::new();
    for (i, p) in lanes.iter().enumerate() {
        // A process name wider than its lane is shortened to `P1`, `P2`,
        // ... and spelled out under the chart.
        let mut name = p.to_string();
        if name.len() + 2 > w {
            names.push(format!("  P{} = {name}", i + 1));
            name = format!("P{}", i + 1);
        }
        let c = col(p).unwrap_or(0);
        let start = c.saturating_sub(name.len() / 2);
        for (k, ch) in name.chars().enumerate() {
            if start + k < total {
                header[start + k] = ch;
            }
        }
    }
    let line = |row: Vec<char>, note: Option<String>, s: &mut String| {
        let mut text: String = row.into_iter().collect();
        if let Some(n) = note {
            text = format!("{}  ({n})", text.trim_end());
        }
        let _ = writeln!(s, "{}", text.trim_end());
    };
    // The room a note has after the row (`  (...)`).
    let note_room = |row: &[char]| {
        let used = row.iter().rposition(|c| *c != ' ').map_or(0, |i| i + 1);
        width.saturating_sub(used + 4)
    };
    line(header, None, &mut s);
    for (i, evs) in events.iter().enumerate() {
        for (k, e) in evs.iter().enumerate() {
            let mut row = blank();
            if k == 0 {
                for (j, ch) in format!("{i:>5}").chars().enumerate() {
                    row[j] = ch;
                }
            }
            let mut note = None;
            match (arrow(e), e.process().and_then(col)) {
                (Some((from, to, m)), _) if col(from).is_some() && col(to).is_some() => {
                    let (a, b) = (col(from).unwrap_or(0), col(to).unwrap_or(0));
                    let (lo, hi) = (a.min(b), a.max(b));
                    let m = tag(m, (hi - lo).saturating_sub(4));
                    for c in &mut row[lo + 1..hi] {
                        *c = '-';
                    }
                    if a < b {
                        row[hi - 1] = '>';
                    } else {
                        row[lo + 1] = '<';
                    }
                    let label: Vec<char> = m.chars().collect();
                    let start = lo + 1 + (hi - lo - 1).saturating_sub(label.len()) / 2;
                    for (j, ch) in label.into_iter().enumerate() {
                        if start + j < hi - 1 {
                            row[start + j] = ch;
                        }
                    }
                }
                (_, Some(c)) => {
                    let (label, n) = lane_label(e);
                    // A label runs to the end of the row at most, and its
                    // note after it within the width; else both go to the
                    // legend.
                    let room = width.saturating_sub(c + 2);
                    // The note follows the row's last character: the label's
                    // end or the last lifeline.
                    let last_line = 8 + (lanes.len() - 1) * w + w / 2 + 1;
                    let with_note = match &n {
                        Some(n) => (c + 2 + label.len()).max(last_line) + 4 + n.len() <= width,
                        None => true,
                    };
                    let label = match (&n, with_note && label.len() <= room) {
                        (_, true) => {
                            note = n;
                            label
                        }
                        (Some(n), false) => tag(format!("{label} ({n})"), 0),
                        (None, false) => tag(label, room),
                    };
                    row[c] = if matches!(e, Event::Crash { .. }) {
                        'X'
                    } else {
                        '*'
                    };
                    for (j, ch) in label.chars().enumerate() {
                        if c + 2 + j < total {
                            row[c + 2 + j] = ch;
                        } else {
                            row.push(ch);
                        }
                    }
                }
                (_, None) => {
                    let room = note_room(&row);
                    note = Some(tag(lane_label(e).0, room));
                }
            }
            line(row, note, &mut s);
        }
    }
    for n in names {
        s.push_str(&crate::text::fit(&n, width));
    }
    for (k, text) in legend.iter().enumerate() {
        s.push_str(&crate::text::fit(&format!("  [{}] {text}", k + 1), width));
    }
    s
}
