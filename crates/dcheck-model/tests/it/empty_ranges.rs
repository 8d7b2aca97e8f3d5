//! Empty ranges (`1..0`, `1..F` with F = 0, `3..1`) and the types built
//! from them, as in TLA+: the empty set in expressions, no binding for a
//! parameter, one value (the empty one) for a map keyed by one and for the
//! collections of one; a state variable without values is an error. Every
//! expected value is derived in the comments from those rules.

use dcheck_model::system::TransitionSystem;
use dcheck_model::value::Value;
use dcheck_model::{compile, Model};
use dcheck_syntax::load_spec_str;

/// A spec with F = 0 (so `R = 1..F` is empty), `E = 3..1` (empty too),
/// `x: 0..1` and `m: [R -> bool]`, one initial state, and `extra` spliced
/// into the RON struct (actions, invariants, ...).
fn spec(extra: &str) -> String {
    format!(
        r#"(
    name: "Empty",
    constants: [ (name: "F", default: 0) ],
    types: [ (name: "R", def: "1..F"), (name: "E", def: "3..1") ],
    vars: [ (name: "x", type: "0..1"), (name: "m", type: "[R -> bool]") ],
    init: (effect: "x = 0;"),
    terminal: "true",
    {extra}
)"#
    )
}

fn model(text: &str, consts: &[(&str, &str)]) -> Model {
    let (_, ast) = load_spec_str("empty.ron", text).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    let consts: Vec<(String, String)> = consts
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    compile(&ast, &consts).unwrap_or_else(|e| panic!("{:?}", e.diagnostics))
}

/// The one initial state of `model`.
fn initial(m: &Model) -> Vec<u64> {
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |st| states.push(st.to_vec()))
        .unwrap();
    assert_eq!(states.len(), 1);
    states.pop().unwrap()
}

/// The value of the invariant `expr` in the initial state, or the message
/// of its evaluation error.
fn eval(expr: &str) -> Result<bool, String> {
    let m = model(
        &spec(&format!("invariants: [ (name: \"I\", expr: \"{expr}\") ],")),
        &[],
    );
    let st = initial(&m);
    match m.check_invariants(&mut m.scratch(), &st) {
        Ok(violated) => Ok(violated.is_none()),
        Err(e) => Err(e.message),
    }
}

/// Each formula's value follows from "an empty range is the empty set":
/// `forall` over nothing is true, `exists` false, nothing is a member, the
/// cardinality is 0; `card(a..b)` is b - a + 1 when that is positive.
#[test]
fn quantifiers_membership_and_card_over_empty_ranges() {
    let cases: &[(&str, bool)] = &[
        // a type name (compiled by unrolling when its domain is small)
        ("forall r in R: false", true),
        ("exists r in R: true", false),
        ("forall r in E: false", true),
        // a range written in place
        ("forall y in 1..0: false", true),
        ("exists y in 1..F: true", false),
        ("exists y in 3..1: true", false),
        // nests with an empty domain first or last
        ("forall r in R, q in 0..1: false", true),
        ("exists q in 0..1, r in R: true", false),
        ("exists q in 0..1, y in q..0: q == 1", false),
        ("exists q in 0..1, y in q..0: q == 0", true),
        // the body does not matter, but is hoisted: `x == 1` is false here
        ("forall r in R: x == 1 implies m[r]", true),
        ("exists r in R: x == 0 and m[r]", false),
        // cardinality and membership
        ("card(R) == 0 and card(E) == 0", true),
        (
            "card(1..0) == 0 and card(3..1) == 0 and len(1..F) == F",
            true,
        ),
        (
            "card(2..4) == 3 and card(x..x) == 1 and card(x..(x - 1)) == 0",
            true,
        ),
        ("R == {} and card({ r for r in R }) == 0", true),
        ("1 in R or 0 in 1..0 or 3 in E", false),
        ("1 notin R", true),
        // the empty map: keyed by an empty type, every such map is equal
        (
            "m == [r in R |-> true] and [r in R |-> true] == [r in R |-> false]",
            true,
        ),
        ("forall r in R: m[r]", true),
    ];
    for (expr, want) in cases {
        assert_eq!(eval(expr), Ok(*want), "{expr}");
    }
    // Dividing by the cardinality 0 is an evaluation error, not a crash.
    assert_eq!(eval("x / card(R) == 0"), Err("division by zero".into()));
    let min = eval("min(R) == 1").unwrap_err();
    assert!(min.contains("empty set"), "{min}");
}

/// A transition is an action with one binding of its parameters: an empty
/// parameter type has no binding, so `A(r: R)`, `B(r: R, y: 0..1)` and
/// `C(y: 0..1, e: E)` have no transitions, and `D(y: 0..1)` has two. From
/// x = 0, `D(y)` sets x = y: both enabled, successors x = 0 and x = 1.
/// Their guards divide by `card(R)` = 0: never evaluated, as no binding
/// exists. An `init` with a parameter of an empty type has no initial state.
#[test]
fn empty_parameter_types_give_no_transitions() {
    let m = model(
        &spec(
            r#"actions: [
        (name: "A", params: "r: R", guard: "x / card(R) == 0", effect: "m[r] = true;"),
        (name: "B", params: "r: R, y: 0..1", guard: "y / card(R) == 0", effect: "x = y;"),
        (name: "C", params: "y: 0..1, e: E", effect: "x = y;"),
        (name: "D", params: "y: 0..1", effect: "x = y;"),
    ],"#,
        ),
        &[],
    );
    assert_eq!(m.transition_count(), 2);
    let st = initial(&m);
    let mut seen = Vec::new();
    m.successors(&mut m.scratch(), &st, |t, next| {
        let (label, _) = m.transition_label(t);
        let x = m.decode_state(next)[0].1.clone();
        seen.push((label.to_string(), x));
    })
    .unwrap();
    assert_eq!(
        seen,
        [
            ("D".to_string(), Value::Int(0)),
            ("D".to_string(), Value::Int(1))
        ]
    );

    let text = spec("").replace(
        "init: (effect: \"x = 0;\"),",
        "init: (params: \"r: R\", effect: \"x = 1;\"),",
    );
    let m = model(&text, &[]);
    let mut n = 0;
    m.initial_states(&mut m.scratch(), &mut |_| n += 1).unwrap();
    assert_eq!(n, 0);
}

/// Over an empty element type, a map (with it as the key type), a set, a
/// sequence, a multiset and the bounded collections each have one value,
/// the empty one, stored in 0 bits: the state is x's 1 bit. With F = 2
/// (element type 1..2): [R -> 0..3] has 4^2 = 16 values (4 bits), set<R>
/// 2^2 = 4 (2 bits), seq<R, 3> 1 + 2 + 4 + 8 = 15 sequences of length 0
/// to 3 (4 bits), multiset<R, 2> 3^2 = 9 (4 bits), bag<R, 2> 1 + 2 + 3 = 6
/// collections of 0, 1, 2 members (3 bits), set<R, 2> 1 + 2 + 1 = 4 (2
/// bits): 1 + 4 + 2 + 4 + 4 + 3 + 2 = 20 bits.
#[test]
fn collections_of_an_empty_type_have_one_value() {
    let text = spec("").replace(
        "(name: \"m\", type: \"[R -> bool]\")",
        r#"(name: "m", type: "[R -> 0..3]"), (name: "s", type: "set<R>"),
           (name: "q", type: "seq<R, 3>"), (name: "ms", type: "multiset<R, 2>"),
           (name: "b", type: "bag<R, 2>"), (name: "bs", type: "set<R, 2>")"#,
    );
    let m = model(&text, &[]);
    assert_eq!(m.state_bits(), 1);
    let vars = m.decode_state(&initial(&m));
    let values: Vec<&Value> = vars.iter().map(|(_, v)| v).collect();
    assert_eq!(
        values,
        [
            &Value::Int(0),
            &Value::Map(vec![]),
            &Value::Set(vec![]),
            &Value::Seq(vec![]),
            &Value::Multiset(vec![]),
            &Value::Multiset(vec![]),
            &Value::Set(vec![]),
        ]
    );
    assert_eq!(model(&text, &[("F", "2")]).state_bits(), 20);
}

/// The diagnostics of `text`, as (message, text under the span, help).
fn errors(text: &str) -> Vec<(String, String, String)> {
    let (src, ast) = load_spec_str("empty.ron", text).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    let Err(e) = compile(&ast, &[]) else {
        panic!("must not compile")
    };
    e.diagnostics
        .iter()
        .map(|d| {
            let file = &src.file(d.span.file).text;
            (
                d.message.clone(),
                file[d.span.start as usize..d.span.end as usize].to_string(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// A state variable needs a value: `1..F`, `[0..1 -> R]` (two keys, no
/// value for them) and a record with an `E` field have none; `[R -> R]`
/// (no keys: the empty map) and `set<E>` (the empty set) have one.
#[test]
fn a_variable_without_values_is_an_error() {
    let text = spec("").replace(
        "(name: \"m\", type: \"[R -> bool]\")",
        r#"(name: "r0", type: "1..F"), (name: "m", type: "[0..1 -> R]"),
           (name: "rec", type: "{ a: bool, e: E }"), (name: "ok", type: "[R -> R]"),
           (name: "s", type: "set<E>")"#,
    );
    let ds = errors(&text);
    let shown: Vec<(&str, &str)> = ds.iter().map(|d| (d.0.as_str(), d.1.as_str())).collect();
    assert_eq!(
        shown,
        [
            (
                "variable `r0` has no possible value: its type 1..0 is empty",
                "1..F"
            ),
            (
                "variable `m` has no possible value: its type [0..1 -> 1..0] is empty",
                "[0..1 -> R]"
            ),
            (
                "variable `rec` has no possible value: its type { a: bool, e: 3..1 } is empty",
                "{ a: bool, e: E }"
            ),
        ]
    );
    assert!(ds[0].2.contains("the range 1..0 is empty"), "{ds:?}");
    assert!(ds[2].2.contains("the range 3..1 is empty"), "{ds:?}");
}

/// Code under a binder or parameter with no value is never run, but is
/// still checked: every misspelt name below is reported.
#[test]
fn errors_under_empty_domains_are_reported() {
    let ds = errors(&spec(
        r#"actions: [ (name: "A", params: "r: R", effect: "m[r] = typo1;") ],
    invariants: [ (name: "I", expr: "forall r in R: typo2") ],
    properties: [
        (name: "P", expr: "forall r in R: eventually typo3"),
        (name: "Q", expr: "forall r in R, y in 1..r: typo4 leads_to m[r]"),
    ],
    fairness: [ "forall r in R: weak A(typo5)", "forall r in R: weak Typo6(r)" ],"#,
    ));
    let mut under: Vec<&str> = ds.iter().map(|d| d.1.as_str()).collect();
    under.sort();
    assert_eq!(
        under,
        ["Typo6", "typo1", "typo2", "typo3", "typo4", "typo5"],
        "{ds:#?}"
    );
}
