//! One form for every value: enumerating a type yields each of its values
//! exactly once, and a value built by operations is stored exactly as the
//! enumerated one with the same contents.
//!
//! The expected counts are closed forms, derived next to each type from the
//! language's definition of its values (docs/language.md), not read off the
//! checker.

use std::collections::HashSet;

use dcheck_engine::fingerprint::fingerprint;
use dcheck_model::system::TransitionSystem;
use dcheck_model::value::Value;
use dcheck_model::{compile, Model};
use dcheck_syntax::load_spec_str;
use proptest::prelude::*;

fn model(text: &str) -> Model {
    let (_, ast) = load_spec_str("values.ron", text).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    compile(&ast, &[]).unwrap_or_else(|e| panic!("{:?}", e.diagnostics))
}

fn initial_states(m: &Model) -> Vec<Vec<u64>> {
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |st| states.push(st.to_vec()))
        .unwrap_or_else(|e| panic!("{e:?}"));
    states
}

/// Whether the spec's first invariant holds in `state`.
fn holds(m: &Model, state: &[u64]) -> bool {
    m.invariant_holds(&mut m.scratch(), 0, state)
        .unwrap_or_else(|e| panic!("{}", e.message))
}

/// A spec whose type `T` is `def`, with variables `vars` (RON list items),
/// an init with `params` and `effect`, and the invariants `invs`.
fn spec(def: &str, vars: &str, params: &str, effect: &str, invs: &str) -> String {
    format!(
        r##"(
    name: "Values",
    types: [ (name: "T", def: "{def}") ],
    vars: [ {vars} ],
    init: (params: "{params}", effect: r#"{effect}"#),
    terminal: "true",
    invariants: [ {invs} ],
)"##
    )
}

/// `(type, closed-form number of values, its derivation)`. With
/// `|T|` the number of values of T: `bool` 2; `a..b` b - a + 1; an enum the
/// sum over its variants of the product of the payload counts; records and
/// tuples the product; `[K -> V]` |V|^|K|; `set<T>` 2^|T|; `set<T, C>`
/// sum_{k<=C} C(|T|, k); `multiset<T, M>` (M+1)^|T|; `bag<T, C>`
/// sum_{k<=C} C(|T|+k-1, k); `seq<T, L>` sum_{k<=L} |T|^k.
const TYPES: &[(&str, u64, &str)] = &[
    ("bool", 2, "2"),
    ("0..4", 5, "5"),
    ("enum { a, b, c }", 3, "3"),
    ("enum { p, q(0..2), r(bool, 0..1) }", 8, "1 + 3 + 2*2"),
    ("{ f: bool, g: 0..2 }", 6, "2*3"),
    ("(bool, 0..2, enum { a, b })", 12, "2*3*2"),
    ("[0..2 -> bool]", 8, "2^3"),
    ("set<0..3>", 16, "2^4"),
    ("set<0..4, 2>", 16, "C(5,0) + C(5,1) + C(5,2) = 1 + 5 + 10"),
    ("seq<0..2, 2>", 13, "1 + 3 + 9"),
    ("seq<1..3, 2>", 13, "1 + 3 + 9 (the issue's SeqBinding)"),
    ("seq<1..0, 3>", 1, "only [] over an empty element type"),
    ("seq<bool, 0>", 1, "only []"),
    ("multiset<0..2, 2>", 27, "3^3"),
    ("bag<0..2, 2>", 10, "C(2,0) + C(3,1) + C(4,2) = 1 + 3 + 6"),
    // Nestings two deep.
    (
        "seq<{ f: bool, g: 0..1 }, 2>",
        21,
        "records 2*2 = 4: 1 + 4 + 16",
    ),
    (
        "[0..1 -> seq<bool, 2>]",
        49,
        "seq<bool, 2> = 1 + 2 + 4 = 7: 7^2",
    ),
    ("set<seq<bool, 1>>", 8, "seq<bool, 1> = 1 + 2 = 3: 2^3"),
    ("seq<seq<bool, 1>, 2>", 13, "inner 3: 1 + 3 + 9"),
    ("enum { none, some(seq<0..1, 2>) }", 8, "1 + (1 + 2 + 4)"),
    (
        "bag<(bool, 0..1), 2>",
        15,
        "n = 4: C(3,0) + C(4,1) + C(5,2) = 1 + 4 + 10",
    ),
    ("{ s: seq<bool, 2>, b: bool }", 14, "7*2"),
    ("(seq<0..1, 1>, seq<0..1, 1>)", 9, "3*3"),
    ("multiset<seq<bool, 1>, 1>", 8, "(1+1)^3"),
    ("set<seq<bool, 2>, 2>", 29, "n = 7: 1 + 7 + 21"),
    ("seq<set<0..1>, 2>", 21, "inner 2^2 = 4: 1 + 4 + 16"),
    (
        "seq<enum { a, b(0..1) }, 2>",
        13,
        "inner 1 + 2 = 3: 1 + 3 + 9",
    ),
    ("[bool -> set<0..1>]", 16, "4^2"),
    ("seq<[bool -> bool], 2>", 21, "inner 2^2 = 4: 1 + 4 + 16"),
    ("seq<bag<bool, 1>, 2>", 13, "inner 1 + 2 = 3: 1 + 3 + 9"),
    ("seq<multiset<bool, 1>, 1>", 5, "inner 2^2 = 4: 1 + 4"),
    ("set<(bool, seq<bool, 1>)>", 64, "2*3 = 6 elements: 2^6"),
];

/// As an init parameter, each type gives exactly its number of values:
/// that many initial states, all distinct.
#[test]
fn a_type_as_an_init_parameter_gives_each_value_once() {
    for (def, card, why) in TYPES {
        let m = model(&spec(
            def,
            r#"(name: "v", type: "T")"#,
            "s: T",
            "v = s;",
            "",
        ));
        let states = initial_states(&m);
        let distinct: HashSet<&Vec<u64>> = states.iter().collect();
        assert_eq!(states.len() as u64, *card, "{def}: {why}");
        assert_eq!(distinct.len() as u64, *card, "{def}: {why}");
        let values: HashSet<String> = states
            .iter()
            .map(|s| format!("{}", m.decode_state(s)[0].1))
            .collect();
        assert_eq!(values.len() as u64, *card, "{def}: decoded values");
    }
}

/// As a binder, the pairs `(x, y)` of `T x T` with `x == y` number exactly
/// |T| (one per value), through both compiled forms of a binder: the loop
/// (`for`, and quantifiers over large types) and the unrolled quantifier
/// (`forall` over a type of at most 256 values).
#[test]
fn a_type_as_a_binder_has_one_equal_partner_per_value() {
    for (def, card, why) in TYPES {
        let effect = "pairs = 0; for x in T { for y in T { if x == y { pairs = pairs + 1; } } }";
        let vars = format!(r#"(name: "pairs", type: "0..{}")"#, card * card);
        let m = model(&spec(def, &vars, "", effect, ""));
        let states = initial_states(&m);
        assert_eq!(states.len(), 1);
        assert_eq!(
            m.decode_state(&states[0])[0].1,
            Value::Int(*card as i64),
            "{def}: {why}"
        );
        // Each x has exactly one y equal to it, counted by a quantifier.
        let inv = r#"(name: "One", expr: "forall x in T: (exists y in T: x == y) and not (exists y in T, z in T: y == x and z == x and y != z)")"#;
        let m = model(&spec(
            def,
            r#"(name: "b", type: "bool")"#,
            "",
            "b = true;",
            inv,
        ));
        let st = &initial_states(&m)[0];
        assert!(holds(&m, st), "{def}");
    }
}

/// The issue's reproduction: 13 values of `seq<1..3, 2>`, and no two
/// distinct empty sequences among them.
#[test]
fn seq_binding_has_one_empty_sequence() {
    let m = model(&spec(
        "seq<1..3, 2>",
        r#"(name: "a", type: "T"), (name: "twoEmpties", type: "bool")"#,
        "s: T",
        "a = s; twoEmpties = exists x in T, y in T: len(x) == 0 and len(y) == 0 and x != y;",
        r#"(name: "NoTwoEmpties", expr: "not twoEmpties")"#,
    ));
    let states = initial_states(&m);
    assert_eq!(states.len(), 13);
    assert!(states.iter().all(|s| holds(&m, s)));
}

/// An operation on a collection, applied both by the spec and by the
/// reference model below.
#[derive(Clone, Debug)]
enum Op {
    Append(i64),
    Tail,
    Take(usize),
    Drop(usize),
    Update(usize, i64),
}

/// Sequence contents after `ops` (operations that do not apply are
/// skipped), and the statements that perform them on the variable `var`.
fn seq_ops(ops: &[Op], bound: usize, var: &str) -> (Vec<i64>, String) {
    let mut r: Vec<i64> = Vec::new();
    let mut code = format!("{var} = [];");
    for op in ops {
        match *op {
            Op::Append(x) if r.len() < bound => {
                r.push(x);
                code += &format!(" append({var}, {x});");
            }
            Op::Tail if !r.is_empty() => {
                r.remove(0);
                code += &format!(" {var} = tail({var});");
            }
            Op::Take(n) if n <= r.len() => {
                r.truncate(n);
                code += &format!(" {var} = take({var}, {n});");
            }
            Op::Drop(n) if n <= r.len() => {
                r.drain(..n);
                code += &format!(" {var} = drop({var}, {n});");
            }
            Op::Update(i, x) if i < r.len() => {
                r[i] = x;
                code += &format!(" {var}[{}] = {x};", i + 1);
            }
            _ => {}
        }
    }
    (r, code)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0i64..3).prop_map(Op::Append),
        1 => Just(Op::Tail),
        1 => (0usize..4).prop_map(Op::Take),
        1 => (0usize..4).prop_map(Op::Drop),
        1 => (0usize..4, 0i64..3).prop_map(|(i, x)| Op::Update(i, x)),
    ]
}

fn ints(r: &[i64]) -> Value {
    Value::Seq(r.iter().map(|x| Value::Int(*x)).collect())
}

/// The state built by `code` (which leaves the work variable `w` of type
/// `W` at its default) and the one enumerated state whose `v` decodes to
/// `want`: the same words and the same fingerprint.
fn same_as_enumerated(def: &str, w: &str, code: &str, want: &Value) {
    let vars = format!(r#"(name: "v", type: "T"), (name: "w", type: "{w}")"#);
    let built = model(&spec(def, &vars, "", &format!("{code} reset(w);"), ""));
    let built = initial_states(&built).pop().unwrap();
    let all = model(&spec(def, &vars, "s: T", "v = s;", ""));
    let matching: Vec<Vec<u64>> = initial_states(&all)
        .into_iter()
        .filter(|s| all.decode_state(s)[0].1 == *want)
        .collect();
    assert_eq!(matching.len(), 1, "{def}: {want} enumerated once");
    assert_eq!(matching[0], built, "{def}: {code}");
    assert_eq!(fingerprint(&matching[0]), fingerprint(&built));
}

/// A bag or set operation.
#[derive(Clone, Debug)]
enum BagOp {
    Insert(i64),
    Remove(i64),
}

fn bag_op() -> impl Strategy<Value = BagOp> {
    prop_oneof![
        2 => (0i64..3).prop_map(BagOp::Insert),
        1 => (0i64..3).prop_map(BagOp::Remove),
    ]
}

/// Member counts after `ops` on a collection holding at most `cap` members
/// (each at most `each` times; skipped operations as the language refuses
/// them), and the statements that perform them on `v`.
fn bag_ops(ops: &[BagOp], cap: u64, each: u64) -> ([u64; 3], String) {
    let mut counts = [0u64; 3];
    let mut code = String::new();
    for op in ops {
        match *op {
            BagOp::Insert(x) => {
                let total: u64 = counts.iter().sum();
                let c = &mut counts[x as usize];
                if *c < each && (total < cap || (each == 1 && *c == 1)) {
                    *c += 1;
                    code += &format!(" insert(v, {x});");
                } else if each == 1 && *c == 1 {
                    // a set already holding x: inserting is a no-op
                    code += &format!(" insert(v, {x});");
                }
            }
            BagOp::Remove(x) if counts[x as usize] > 0 => {
                counts[x as usize] -= 1;
                code += &format!(" remove(v, {x});");
            }
            BagOp::Remove(_) => {}
        }
    }
    (counts, code)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Sequences built by append, tail, take, drop and update equal the
    /// enumerated sequence with the same elements.
    #[test]
    fn sequences_built_by_operations_are_the_enumerated_ones(ops in prop::collection::vec(op(), 0..10)) {
        let (r, code) = seq_ops(&ops, 3, "v");
        same_as_enumerated("seq<0..2, 3>", "bool", &code, &ints(&r));
    }

    /// The same for a sequence carried by a payload variant and a sequence
    /// inside a record inside a sequence.
    #[test]
    fn nested_sequences_built_by_operations_are_the_enumerated_ones(ops in prop::collection::vec(op(), 0..8)) {
        let (r, code) = seq_ops(&ops, 2, "w");
        let want = Value::Variant { variant: "some".into(), payload: vec![ints(&r)] };
        same_as_enumerated("enum { none, some(seq<0..2, 2>) }", "seq<0..2, 2>", &format!("{code} v = some(w);"), &want);
        let want = Value::Seq(vec![Value::Record(vec![("s".into(), ints(&r)), ("b".into(), Value::Bool(true))])]);
        same_as_enumerated("seq<{ s: seq<0..2, 2>, b: bool }, 1>", "seq<0..2, 2>", &format!("{code} v = [{{ s: w, b: true }}];"), &want);
    }

    /// Bags, bounded sets and multisets built by insert and remove equal the
    /// enumerated collection with the same members.
    #[test]
    fn collections_built_by_operations_are_the_enumerated_ones(ops in prop::collection::vec(bag_op(), 0..10)) {
        let multi = |counts: [u64; 3]| Value::Multiset(
            (0..3).filter(|i| counts[*i] > 0).map(|i| (Value::Int(i as i64), counts[i])).collect());
        let (counts, code) = bag_ops(&ops, 3, 3);
        same_as_enumerated("bag<0..2, 3>", "bool", &code, &multi(counts));
        let (counts, code) = bag_ops(&ops, 6, 2);
        same_as_enumerated("multiset<0..2, 2>", "bool", &code, &multi(counts));
        let (counts, code) = bag_ops(&ops, 2, 1);
        let set = Value::Set((0..3).filter(|i| counts[*i] > 0).map(|i| Value::Int(i as i64)).collect());
        same_as_enumerated("set<0..2, 2>", "bool", &code, &set);
    }
}
