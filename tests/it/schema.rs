//! A JSON Schema (2020-12) checker for the keywords `docs/schema/*.json`
//! use, and only those: `type` (a name or a list), `const`, `enum`,
//! `minimum`, `required`, `properties`, `additionalProperties` (a boolean
//! or a schema), `prefixItems`, `items`, `minItems`, `allOf`, `anyOf`, `not`,
//! `if`/`then`/`else` and `$ref` (`#/...` within a schema, `FILE#/...` to
//! another file of `docs/schema/`). Any other keyword (other than the
//! annotations `$schema`, `$id`, `$defs`, `title`, `description`) is a
//! failure, so a schema that grows a keyword makes this checker grow with it
//! rather than silently pass.

use std::path::Path;

use serde_json::Value as Json;

/// Reads `docs/schema/NAME`.
pub fn load(name: &str) -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("JSON")
}

/// The errors of `instance` against `docs/schema/NAME`, each with the JSON
/// pointer of the offending part; empty when it validates.
pub fn errors(name: &str, instance: &Json) -> Vec<String> {
    let root = load(name);
    let mut out = Vec::new();
    check(&root, &root, instance, "", &mut out);
    out
}

/// Follows a `$ref` from within `root`.
fn resolve(root: &Json, reference: &str) -> (Json, Json) {
    let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
    let doc = if file.is_empty() {
        root.clone()
    } else {
        load(file)
    };
    let target = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("unresolved $ref {reference}"))
        .clone();
    (doc, target)
}

fn type_matches(name: &str, v: &Json) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type name {other}"),
    }
}

fn valid(root: &Json, schema: &Json, v: &Json) -> bool {
    let mut errs = Vec::new();
    check(root, schema, v, "", &mut errs);
    errs.is_empty()
}

fn check(root: &Json, schema: &Json, v: &Json, at: &str, out: &mut Vec<String>) {
    let obj = match schema {
        Json::Bool(true) => return,
        Json::Bool(false) => return out.push(format!("{at}: not allowed")),
        Json::Object(o) => o,
        other => panic!("not a schema: {other}"),
    };
    for (key, s) in obj {
        match key.as_str() {
            "$schema" | "$id" | "$defs" | "title" | "description" => {}
            "$ref" => {
                let (doc, target) = resolve(root, s.as_str().expect("$ref string"));
                check(&doc, &target, v, at, out);
            }
            "type" => {
                let ok = match s {
                    Json::String(t) => type_matches(t, v),
                    Json::Array(ts) => ts.iter().any(|t| type_matches(t.as_str().unwrap(), v)),
                    other => panic!("bad type {other}"),
                };
                if !ok {
                    out.push(format!("{at}: {v} is not of type {s}"));
                }
            }
            "const" if v != s => out.push(format!("{at}: {v} is not {s}")),
            "enum" if !s.as_array().unwrap().contains(v) => {
                out.push(format!("{at}: {v} is not one of {s}"))
            }
            "minimum" => {
                if let (Some(x), Some(min)) = (v.as_f64(), s.as_f64()) {
                    if x < min {
                        out.push(format!("{at}: {x} is less than {min}"));
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in s.as_array().unwrap() {
                        if !o.contains_key(name.as_str().unwrap()) {
                            out.push(format!("{at}: missing required {name}"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in s.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            check(root, sub, x, &format!("{at}/{name}"), out);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let declared = obj.get("properties").and_then(Json::as_object);
                    for (name, x) in o {
                        if !declared.is_some_and(|d| d.contains_key(name)) {
                            check(root, s, x, &format!("{at}/{name}"), out);
                        }
                    }
                }
            }
            // `items` applies after the `prefixItems` positions (2020-12).
            "items" => {
                let skip = obj
                    .get("prefixItems")
                    .and_then(Json::as_array)
                    .map_or(0, Vec::len);
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate().skip(skip) {
                        check(root, s, x, &format!("{at}/{i}"), out);
                    }
                }
            }
            "prefixItems" => {
                if let Some(a) = v.as_array() {
                    for (i, (x, sub)) in a.iter().zip(s.as_array().unwrap()).enumerate() {
                        check(root, sub, x, &format!("{at}/{i}"), out);
                    }
                }
            }
            "minItems" => {
                if let Some(a) = v.as_array() {
                    if (a.len() as u64) < s.as_u64().unwrap() {
                        out.push(format!("{at}: fewer than {s} items"));
                    }
                }
            }
            "allOf" => {
                for sub in s.as_array().unwrap() {
                    check(root, sub, v, at, out);
                }
            }
            "anyOf" => {
                if !s.as_array().unwrap().iter().any(|sub| valid(root, sub, v)) {
                    out.push(format!("{at}: matches none of anyOf"));
                }
            }
            "not" if valid(root, s, v) => out.push(format!("{at}: matches a `not` schema {s}")),
            "if" => {
                let branch = if valid(root, s, v) { "then" } else { "else" };
                if let Some(sub) = obj.get(branch) {
                    check(root, sub, v, at, out);
                }
            }
            "then" | "else" | "const" | "enum" | "not" => {}
            other => panic!("schema keyword `{other}` is not supported by this checker"),
        }
    }
}

/// The checker itself, on small schemas whose verdicts follow from the
/// keywords' definitions.
#[test]
fn the_checker_refuses_what_the_keywords_refuse() {
    let root = serde_json::json!({
        "type": "object",
        "required": ["a"],
        "additionalProperties": false,
        "properties": {
            "a": { "type": ["integer", "null"], "minimum": 0 },
            "b": { "type": "array", "minItems": 1, "prefixItems": [{ "const": "x" }], "items": { "enum": ["x", "y"] } },
            "c": { "$ref": "#/$defs/c" }
        },
        "if": { "properties": { "a": { "const": 1 } } },
        "then": { "required": ["b"] },
        "else": { "not": { "required": ["b"] } },
        "$defs": { "c": { "anyOf": [{ "type": "string" }, { "type": "boolean" }] } }
    });
    let ok = |v: Json| {
        let mut out = Vec::new();
        check(&root, &root, &v, "", &mut out);
        out.is_empty()
    };
    assert!(ok(serde_json::json!({ "a": 0 })));
    assert!(ok(serde_json::json!({ "a": null, "c": true })));
    assert!(ok(serde_json::json!({ "a": 1, "b": ["x"] })));
    assert!(!ok(serde_json::json!({})), "required");
    assert!(!ok(serde_json::json!({ "a": -1 })), "minimum");
    assert!(!ok(serde_json::json!({ "a": 0.5 })), "integer");
    assert!(
        !ok(serde_json::json!({ "a": 0, "z": 1 })),
        "additionalProperties"
    );
    assert!(!ok(serde_json::json!({ "a": 1 })), "if/then");
    assert!(!ok(serde_json::json!({ "a": 0, "b": ["x"] })), "else/not");
    assert!(!ok(serde_json::json!({ "a": 1, "b": [] })), "minItems");
    assert!(!ok(serde_json::json!({ "a": 1, "b": ["x", "z"] })), "enum");
    assert!(
        !ok(serde_json::json!({ "a": 1, "b": ["y"] })),
        "prefixItems"
    );
    assert!(ok(serde_json::json!({ "a": 1, "b": ["x", "y", "x"] })));
    assert!(!ok(serde_json::json!({ "a": 0, "c": 3 })), "$ref/anyOf");
}
