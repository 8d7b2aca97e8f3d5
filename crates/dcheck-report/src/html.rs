//! The HTML trace report (`--trace-format html`, `dcheck replay
//! --trace-format html`): one self-contained page for a counterexample, to
//! open from a CI artifact or an email. It holds the step list, a table of
//! every variable over the steps (changed cells marked, long values
//! folded), the Messages chart as inline SVG for a spec with roles, the
//! violated property with why (the text report's own lines), the lasso's
//! cycle marked, and keyboard navigation between steps.
//!
//! The page is inert whatever the spec says (docs/security.md): every text
//! that comes from a spec or a trace (names, doc strings, values, the
//! file name) goes through [`esc`], in element text and in attribute
//! values alike, and no data is embedded in the script, so a doc string
//! such as `</script><script>...` stays text. The page's one `<style>` and
//! one `<script>` are fixed text, allowed by their SHA-256 hashes in a
//! Content-Security-Policy that forbids everything else: no network, no
//! other script or style, no images, frames, forms or plugins.

use std::fmt::Write;

use base64::Engine as _;
use dcheck_engine::Violation;
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_syntax::span::SourceMap;
use sha2::Digest as _;

use crate::events::{self, Event};
use crate::RunInfo;

/// The stylesheet (fixed text: its hash is in the policy).
const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#24292f;color:#fff;padding:12px 20px}
header h1{font-size:18px;margin:0 0 4px}
header p{margin:2px 0}
.bad{color:#ffb3b3;font-weight:600}
main{padding:8px 20px 40px}
h2{font-size:16px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:24px}
pre{background:#f6f8fa;padding:10px;overflow:auto;font:12px/1.4 ui-monospace,monospace}
ol.steps{list-style:none;padding:0;margin:0}
ol.steps li{padding:3px 8px;border-left:4px solid transparent;cursor:pointer;font-family:ui-monospace,monospace}
ol.steps li .n{display:inline-block;min-width:2.5em;color:#57606a}
ol.steps li.loop{border-left-color:#bf8700}
ol.steps li .note{color:#9a6700;margin-left:1em}
.cur{background:#ddf4ff}
.tablebox{overflow:auto;max-height:70vh}
table.vars{border-collapse:collapse;font:12px/1.3 ui-monospace,monospace}
table.vars th,table.vars td{border:1px solid #d0d7de;padding:2px 6px;vertical-align:top;text-align:left;white-space:nowrap}
table.vars thead th{position:sticky;top:0;background:#f6f8fa}
table.vars tbody th{position:sticky;left:0;background:#f6f8fa}
table.vars td.chg{background:#fff1b8;font-weight:600}
table.vars td.cur,table.vars th.cur{outline:2px solid #0969da}
table.vars th.loop{color:#9a6700}
details summary{cursor:pointer;color:#0969da}
svg text{font:11px ui-monospace,monospace}
footer{color:#57606a;font-size:12px;padding:0 20px 20px}
kbd{border:1px solid #d0d7de;border-radius:3px;padding:0 3px;font-size:11px}
"#;

/// Keyboard and click navigation (fixed text: its hash is in the policy).
const SCRIPT: &str = r#"
(function(){
var items=document.querySelectorAll('#steps li');var n=items.length;var cur=0;
function show(i){if(i<0||i>=n){return;}cur=i;
document.querySelectorAll('.cur').forEach(function(e){e.classList.remove('cur');});
document.querySelectorAll('[data-step="'+i+'"]').forEach(function(e){e.classList.add('cur');});
var li=document.getElementById('s'+i);if(li){li.scrollIntoView({block:'nearest'});}}
document.addEventListener('keydown',function(e){
if(e.key==='ArrowDown'||e.key==='ArrowRight'||e.key==='j'){show(cur+1);e.preventDefault();}
else if(e.key==='ArrowUp'||e.key==='ArrowLeft'||e.key==='k'){show(cur-1);e.preventDefault();}
else if(e.key==='Home'){show(0);e.preventDefault();}
else if(e.key==='End'){show(n-1);e.preventDefault();}});
items.forEach(function(li){li.addEventListener('click',function(){show(+li.getAttribute('data-step'));});});
show(0);})();
"#;

/// A value longer than this is folded in the variables table.
const FOLD: usize = 48;

/// Escapes `s` for element text and for a quoted attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-...'` of a fixed text, for the policy.
fn hash(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of every report: nothing but the page's
/// own style and script.
pub fn policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        hash(STYLE),
        hash(SCRIPT)
    )
}

/// One row of the variables table: a variable, or one entry of a map or
/// record variable (one level deep, so each key gets its own row).
fn rows(vars: &[(String, Value)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, v) in vars {
        match v {
            Value::Map(entries) if !entries.is_empty() && entries.len() <= 64 => {
                for (k, x) in entries {
                    out.push((format!("{name}[{k}]"), x.to_string()));
                }
            }
            Value::Record(fields) if !fields.is_empty() => {
                for (f, x) in fields {
                    out.push((format!("{name}.{f}"), x.to_string()));
                }
            }
            _ => out.push((name.clone(), v.to_string())),
        }
    }
    out
}

/// A value cell's contents: the value, folded when long.
fn cell(text: &str) -> String {
    if text.chars().count() <= FOLD {
        return esc(text);
    }
    let head: String = text.chars().take(FOLD - 8).collect();
    format!(
        "<details><summary>{}&hellip;</summary>{}</details>",
        esc(&head),
        esc(text)
    )
}

/// The report for `v`, a counterexample of `model` (`procs`: the roles of
/// a spec with roles, for the Messages chart).
pub fn report(
    model: &Model,
    sources: &SourceMap,
    v: &Violation,
    info: &RunInfo,
    procs: Option<&dcheck_net::Processes>,
) -> String {
    let mut s = String::new();
    let title = format!(
        "dcheck: {}: {}",
        model.name,
        crate::text::violated_line(model, v)
    );
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&policy()),
        esc(&title)
    );
    let constants: Vec<String> = model
        .constants
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    let _ = write!(
        s,
        "<header>\n<h1>{}</h1>\n<p class=\"bad\" id=\"verdict\">{}</p>\n<p>{}{}</p>\n</header>\n<main>\n",
        esc(&model.name),
        esc(&crate::text::violated_line(model, v)),
        esc(&info.spec_path),
        if constants.is_empty() {
            String::new()
        } else {
            esc(&format!(" with {}", constants.join(" ")))
        }
    );
    if !model.doc.is_empty() {
        let _ = writeln!(s, "<p id=\"doc\">{}</p>", esc(&model.doc));
    }
    steps(&mut s, model, v);
    let _ = writeln!(
        s,
        "<h2>Why</h2>\n<pre id=\"why\">{}</pre>",
        esc(crate::text::violation_text(model, sources, v, false).trim_end())
    );
    table(&mut s, model, v);
    if let Some(p) = procs {
        let evs = events::events(model, &v.trace, p);
        let _ = writeln!(s, "<h2>Messages</h2>");
        s.push_str(&chart(&evs, p));
    }
    let _ = write!(
        s,
        "</main>\n<footer>Keys: <kbd>&darr;</kbd>/<kbd>j</kbd> next step, \
         <kbd>&uarr;</kbd>/<kbd>k</kbd> previous, <kbd>Home</kbd>/<kbd>End</kbd>. \
         Written by dcheck {}.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// The step list: each step's action, the lasso's cycle marked.
fn steps(s: &mut String, model: &Model, v: &Violation) {
    let loop_start = v.lasso.as_ref().map(|l| l.loop_start);
    let last = v.trace.len().saturating_sub(1);
    let _ = writeln!(s, "<h2>Steps</h2>\n<ol class=\"steps\" id=\"steps\">");
    for (i, step) in v.trace.iter().enumerate() {
        let what = match step.transition {
            None => "initial state".to_string(),
            Some(t) => crate::text::transition_text(model, t),
        };
        let note = match loop_start {
            Some(k) if k == i && i == last => {
                format!("the behaviour stays in state {i} forever (it stutters)")
            }
            Some(k) if k == i => "the cycle starts here".to_string(),
            Some(k) if i == last => format!("back to state {k}: the cycle repeats forever"),
            _ => String::new(),
        };
        let class = if loop_start.is_some_and(|k| i >= k) {
            " class=\"loop\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<li id=\"s{i}\" data-step=\"{i}\"{class}><span class=\"n\">{i}.</span>{}",
            esc(&what)
        );
        if !note.is_empty() {
            let _ = write!(s, "<span class=\"note\">{}</span>", esc(&note));
        }
        let _ = writeln!(s, "</li>");
    }
    let _ = writeln!(s, "</ol>");
}

/// The variables table: a row per variable (per entry of a map or record
/// variable), a column per step.
fn table(s: &mut String, model: &Model, v: &Violation) {
    let loop_start = v.lasso.as_ref().map(|l| l.loop_start);
    let states: Vec<Vec<(String, String)>> = v
        .trace
        .iter()
        .map(|st| rows(&model.decode_state(&st.state)))
        .collect();
    let _ = write!(
        s,
        "<h2>Variables</h2>\n<div class=\"tablebox\"><table class=\"vars\" id=\"vars\">\n<thead><tr><th>variable</th>"
    );
    for i in 0..v.trace.len() {
        let class = if loop_start == Some(i) { " loop" } else { "" };
        let _ = write!(s, "<th class=\"step{class}\" data-step=\"{i}\">{i}</th>");
    }
    let _ = writeln!(s, "</tr></thead>\n<tbody>");
    let names: Vec<&str> = states
        .first()
        .map(|r| r.iter().map(|(n, _)| n.as_str()).collect())
        .unwrap_or_default();
    for (r, name) in names.iter().enumerate() {
        let _ = write!(s, "<tr><th>{}</th>", esc(name));
        for (i, st) in states.iter().enumerate() {
            // Rows line up while the shape is the same; a map whose keys
            // change is looked up by name.
            let text = match st.get(r) {
                Some((n, t)) if n == name => Some(t),
                _ => st.iter().find(|(n, _)| n == name).map(|(_, t)| t),
            };
            let prev = i
                .checked_sub(1)
                .and_then(|j| states[j].iter().find(|(n, _)| n == name).map(|(_, t)| t));
            let changed = i > 0 && prev != text;
            let class = if changed { " class=\"chg\"" } else { "" };
            let _ = write!(
                s,
                "<td{class} data-step=\"{i}\">{}</td>",
                text.map_or(String::new(), |t| cell(t))
            );
        }
        let _ = writeln!(s, "</tr>");
    }
    let _ = writeln!(s, "</tbody></table></div>");
}

/// The Messages chart as inline SVG: a lifeline per process, a row per
/// step, an arrow from each send to the receive that takes the message
/// (dashed when nothing receives it in the trace), and labelled marks for
/// the other events.
fn chart(evs: &[Vec<Event>], procs: &dcheck_net::Processes) -> String {
    let lanes = events::lanes(evs, procs);
    if lanes.is_empty() {
        return "<p>(no messages or process steps)</p>\n".into();
    }
    const LANE: usize = 170;
    const ROW: usize = 34;
    const TOP: usize = 40;
    let width = 60 + lanes.len() * LANE;
    let height = TOP + evs.len() * ROW + 20;
    let x = |p: &Value| {
        lanes
            .iter()
            .position(|l| l == p)
            .map(|i| 60 + i * LANE + LANE / 2)
    };
    let y = |step: usize| TOP + step * ROW;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"message sequence chart\">"
    );
    let _ = writeln!(
        s,
        "<defs><marker id=\"arr\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#57606a\"/></marker></defs>"
    );
    for (i, p) in lanes.iter().enumerate() {
        let cx = 60 + i * LANE + LANE / 2;
        let _ = writeln!(
            s,
            "<text x=\"{cx}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{}</text><line x1=\"{cx}\" y1=\"28\" x2=\"{cx}\" y2=\"{}\" stroke=\"#d0d7de\" stroke-width=\"2\"/>",
            esc(&p.to_string()),
            height - 10
        );
    }
    for step in 0..evs.len() {
        let _ = writeln!(
            s,
            "<text x=\"8\" y=\"{}\" fill=\"#57606a\" data-step=\"{step}\">{step}.</text>",
            y(step) + 4
        );
    }
    // Sends waiting for their receive: (from, to, msg, step, drawn).
    let mut pending: Vec<(&Value, &Value, &Value, usize, bool)> = Vec::new();
    let arrow = |s: &mut String,
                 (x1, y1): (usize, usize),
                 (x2, y2): (usize, usize),
                 label: &str,
                 dashed: bool| {
        let dash = if dashed {
            " stroke-dasharray=\"5,4\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#57606a\" stroke-width=\"1.5\" marker-end=\"url(#arr)\"{dash}/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"4\">{}</text>",
            (x1 + x2) / 2,
            (y1 + y2) / 2 - 4,
            esc(label)
        );
    };
    for (step, es) in evs.iter().enumerate() {
        for e in es {
            match e {
                Event::Send { from, to, msg } if from != to => {
                    pending.push((from, to, msg, step, false));
                }
                Event::Receive { at, from, msg } => {
                    let sent = pending
                        .iter_mut()
                        .find(|(f, t, m, _, done)| !*done && *f == from && *t == at && *m == msg);
                    let (Some(x1), Some(x2)) = (x(from), x(at)) else {
                        continue;
                    };
                    match sent {
                        Some(p) => {
                            p.4 = true;
                            arrow(&mut s, (x1, y(p.3)), (x2, y(step)), &msg.to_string(), false);
                        }
                        // Sent before the trace began (in the initial network).
                        None => arrow(
                            &mut s,
                            (x1, y(step) - ROW / 2),
                            (x2, y(step)),
                            &msg.to_string(),
                            false,
                        ),
                    }
                }
                other => {
                    let Some(p) = other.process() else { continue };
                    let Some(cx) = x(p) else { continue };
                    let (label, color) = match other {
                        Event::Send { msg, .. } => (format!("send {msg} to self"), "#0969da"),
                        Event::Crash { .. } => ("CRASH".to_string(), "#cf222e"),
                        Event::Lose { to, msg, .. } => (format!("lost {msg} to {to}"), "#cf222e"),
                        Event::Step { name, .. } => (name.clone(), "#1a7f37"),
                        Event::Receive { .. } => unreachable!("matched above"),
                    };
                    let _ = writeln!(
                        s,
                        "<circle cx=\"{cx}\" cy=\"{}\" r=\"4\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" fill=\"{color}\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"4\">{}</text>",
                        y(step),
                        cx + 7,
                        y(step) + 4,
                        esc(&label)
                    );
                }
            }
        }
    }
    // Messages still in flight at the end of the trace.
    for (from, to, msg, step, done) in &pending {
        if let (false, Some(x1), Some(x2)) = (*done, x(from), x(to)) {
            let x2 = (x1 + x2) / 2;
            arrow(
                &mut s,
                (x1, y(*step)),
                (x2, y(*step) + ROW / 2),
                &format!("{msg} (in flight)"),
                true,
            );
        }
    }
    let _ = writeln!(s, "</svg>");
    s
}
