//! What changed between two values, down to map entries, record fields and
//! tuple components, so a trace step shows `rmState[2]: working -> prepared`
//! rather than two whole maps.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_changes_are_reported_per_key() {
        let old = Value::Map(vec![
            (Value::Int(1), Value::Bool(false)),
            (Value::Int(2), Value::Bool(false)),
        ]);
        let new = Value::Map(vec![
            (Value::Int(1), Value::Bool(false)),
            (Value::Int(2), Value::Bool(true)),
        ]);
        let mut out = Vec::new();
        changes("m", &old, &new, &mut out);
        assert_eq!(
            out,
            vec![("m[2]".to_string(), Value::Bool(false), Value::Bool(true))]
        );
    }

    #[test]
    fn equal_values_have_no_changes() {
        let v = Value::Set(vec![Value::Int(1)]);
        let mut out = Vec::new();
        changes("s", &v, &v, &mut out);
        assert!(out.is_empty());
    }
}
