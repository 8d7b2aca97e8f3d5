//! The counterexample in the Informal Trace Format (ITF) of Apalache and
//! Quint (`--trace-format itf`; Apalache ADR-015): a JSON object with
//! `#meta`, `vars`, `states` (each with `#meta.index` and one entry per
//! variable) and, for a lasso, `loop`.
//!
//! Values: booleans as JSON booleans; integers as JSON numbers when
//! |i| < 2^53, else `{"#bigint": "digits"}`; sets `{"#set": [...]}`; maps
//! `{"#map": [[key, value], ...]}`; tuples `{"#tup": [...]}`; records as
//! JSON objects; sequences as JSON arrays; enum variants as Quint writes sum
//! types, `{"tag": "Name", "value": payload}` with `{}` for no payload, the
//! value itself for one and `{"#tup": [...]}` for several; multisets (bags)
//! as `{"#map": [[element, count], ...]}`.
//!
//! dcheck adds to the trace's `#meta`: `spec`, `constants` (ITF values) and
//! `violation` (`kind`, `property`, `instance`), and to each state's
//! `#meta`: `action` (`null` for the initial state) and `params` (the
//! action's parameter values). For a lasso, the last state repeats the state
//! at index `loop` (the cycle's last step leads back to it), except when
//! `loop` is the last index: then the behaviour stays in that state forever.

use dcheck_engine::{Violation, ViolationKind};
use dcheck_model::value::Value;
use dcheck_model::Model;
use serde_json::{json, Map, Value as Json};

use crate::{violated_property, RunInfo};

/// Where the format is described.
pub const FORMAT_DESCRIPTION: &str = "https://apalache-mc.org/docs/adr/015adr-trace.html";

/// The largest integer written as a plain JSON number (2^53 - 1).
const SAFE_INT: i64 = (1 << 53) - 1;

/// A decoded value as an ITF expression.
pub fn value(v: &Value) -> Json {
    match v {
        Value::Bool(b) => json!(b),
        Value::Int(i) if (-SAFE_INT..=SAFE_INT).contains(i) => json!(i),
        Value::Int(i) => json!({"#bigint": i.to_string()}),
        Value::Variant { variant, payload } => {
            let inner = match payload.as_slice() {
                [] => Json::Object(Map::new()),
                [one] => value(one),
                many => json!({"#tup": many.iter().map(value).collect::<Vec<_>>()}),
            };
            json!({"tag": variant, "value": inner})
        }
        Value::Record(fields) => {
            Json::Object(fields.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
        Value::Tuple(items) => json!({"#tup": items.iter().map(value).collect::<Vec<_>>()}),
        Value::Set(items) => json!({"#set": items.iter().map(value).collect::<Vec<_>>()}),
        Value::Seq(items) => Json::Array(items.iter().map(value).collect()),
        Value::Map(entries) => json!({
            "#map": entries.iter().map(|(k, v)| json!([value(k), value(v)])).collect::<Vec<_>>()
        }),
        Value::Multiset(items) => json!({
            "#map": items.iter().map(|(v, c)| json!([value(v), c])).collect::<Vec<_>>()
        }),
    }
}

fn object(pairs: &[(String, Value)]) -> Json {
    Json::Object(pairs.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

/// The canonical form of an ITF expression, so that two writings of one
/// value compare equal: the elements of `#set` and the entries of `#map`
/// sorted, `#bigint`s that fit an `i64` as numbers, a payload-less
/// variant's `{"#tup": []}` as `{}`.
pub fn normalize(j: &Json) -> Json {
    match j {
        Json::Array(items) => Json::Array(items.iter().map(normalize).collect()),
        Json::Object(m) => {
            if let (1, Some(Json::String(digits))) = (m.len(), m.get("#bigint")) {
                if let Ok(i) = digits.parse::<i64>() {
                    return json!(i);
                }
            }
            let sorted = |key: &str, items: &[Json]| {
                let mut items: Vec<Json> = items.iter().map(normalize).collect();
                items.sort_by_cached_key(|x| x.to_string());
                let mut out = Map::new();
                out.insert(key.to_string(), Json::Array(items));
                Json::Object(out)
            };
            if m.len() == 1 {
                for key in ["#set", "#map"] {
                    if let Some(Json::Array(items)) = m.get(key) {
                        return sorted(key, items);
                    }
                }
            }
            let mut out: Map<String, Json> =
                m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect();
            if m.len() == 2
                && m.contains_key("tag")
                && out.get("value") == Some(&json!({"#tup": []}))
            {
                out.insert("value".to_string(), json!({}));
            }
            Json::Object(out)
        }
        other => other.clone(),
    }
}

/// The counterexample of `v` as an ITF trace.
pub fn trace(model: &Model, v: &Violation, info: &RunInfo) -> Json {
    let kind = match v.kind {
        ViolationKind::Invariant(_) => "invariant",
        ViolationKind::Deadlock => "deadlock",
        ViolationKind::EvalError(_) => "error",
        ViolationKind::Liveness(_) => "liveness",
        ViolationKind::ActionProperty(_) => "action",
        ViolationKind::Refinement(_) => "refinement",
    };
    let mut violation = json!({"kind": kind, "property": violated_property(model, &v.kind)});
    if let ViolationKind::Liveness(c) = v.kind {
        violation["instance"] = object(&model.check_info[c as usize].bindings);
        if let Some((_, k)) = model.check_info[c as usize].refined {
            violation["refined_fairness"] = json!(k);
        }
    }
    let meta = json!({
        "format": "ITF",
        "format-description": FORMAT_DESCRIPTION,
        "source": info.spec_path,
        "description": format!("Created by dcheck {}", env!("CARGO_PKG_VERSION")),
        "spec": model.name,
        "constants": object(&model.constants),
        "violation": violation,
    });
    let vars: Vec<String> = model.vars.iter().map(|v| v.name.clone()).collect();
    let states: Vec<Json> = v
        .trace
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut m = Map::new();
            let (action, params) = match step.transition {
                None => (Json::Null, json!({})),
                Some(t) => {
                    let (name, params) = model.transition_label(t);
                    (json!(name), object(&params))
                }
            };
            m.insert(
                "#meta".to_string(),
                json!({"index": i, "action": action, "params": params}),
            );
            for (n, val) in model.decode_state(&step.state) {
                m.insert(n, value(&val));
            }
            Json::Object(m)
        })
        .collect();
    let mut out = json!({"#meta": meta, "vars": vars, "states": states});
    if let Some(l) = &v.lasso {
        out["loop"] = json!(l.loop_start);
    }
    out
}
