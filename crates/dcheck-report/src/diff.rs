//! What changed between two values, down to map entries, record fields and
//! tuple components, so a trace step shows `rmState[2]: working -> prepared`
//! rather than two whole maps; and the short form of a big map for a
//! trace's initial state.

use dcheck_model::value::Value;

/// Changed leaves of `old` → `new` as (path suffix, old, new).
pub fn changes(path: &str, old: &Value, new: &Value, out: &mut Vec<(String, Value, Value)>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Map(a), Value::Map(b)) if a.len() == b.len() => {
            for ((k, va), (_, vb)) in a.iter().zip(b) {
                changes(&format!("{path}[{k}]"), va, vb, out);
            }
        }
        (Value::Record(a), Value::Record(b)) if a.len() == b.len() => {
            for ((f, va), (_, vb)) in a.iter().zip(b) {
                changes(&format!("{path}.{f}"), va, vb, out);
            }
        }
        (Value::Tuple(a), Value::Tuple(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                changes(&format!("{path}.{i}"), va, vb, out);
            }
        }
        _ => out.push((path.to_string(), old.clone(), new.clone())),
    }
}

/// Maps with more entries than this are shown with their most common value
/// folded into one `any other key` entry.
const FOLD_ABOVE: usize = 6;

/// `v` as text; a big map whose entries mostly share one value (a network's
/// empty channels, say) lists only the other entries:
/// `[(RM(1), TM(1)) |-> {Prepared}, any other key |-> {}]`.
pub fn compact(v: &Value) -> String {
    let Value::Map(entries) = v else {
        return v.to_string();
    };
    if entries.len() <= FOLD_ABOVE {
        return v.to_string();
    }
    // The most common value (the first of the most common, for ties).
    let common = entries
        .iter()
        .map(|(_, x)| x)
        .max_by_key(|x| {
            let n = entries.iter().filter(|(_, y)| y == *x).count();
            (
                n,
                std::cmp::Reverse(entries.iter().position(|(_, y)| y == *x)),
            )
        })
        .expect("more than FOLD_ABOVE entries");
    let shared = entries.iter().filter(|(_, x)| x == common).count();
    if shared * 2 < entries.len() {
        return v.to_string();
    }
    let mut parts: Vec<String> = entries
        .iter()
        .filter(|(_, x)| x != common)
        .map(|(k, x)| format!("{k} |-> {}", compact(x)))
        .collect();
    let rest = if parts.is_empty() {
        "every key"
    } else {
        "any other key"
    };
    parts.push(format!("{rest} |-> {}", compact(common)));
    format!("[{}]", parts.join(", "))
}
