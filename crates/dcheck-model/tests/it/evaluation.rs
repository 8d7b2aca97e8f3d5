//! The compiled evaluator against a second, independent evaluation.
//!
//! A small spec whose `init` ranges over every value of its variables
//! (`a: [P -> 0..2]` and `s: set<P>`, P = 1..3: 27 * 8 = 216 states), and
//! invariants written in the shapes the compiler optimises (quantifier
//! hoisting, unrolling over small types, fused field reads, guards shared by
//! all bindings). For each invariant, the states the model calls violating
//! must be exactly those for which a direct Rust evaluation of the same
//! formula over the decoded state is false.

use dcheck_model::system::TransitionSystem;
use dcheck_model::value::Value;
use dcheck_model::{compile, Model};

fn spec(invariant: &str) -> String {
    spec_with_defs("", invariant)
}

/// The spec with `defs` (a RON list's items) and invariant `I`.
pub(crate) fn spec_with_defs(defs: &str, invariant: &str) -> String {
    format!(
        r##"(
    name: "Eval",
    types: [ (name: "P", def: "1..3") ],
    vars: [ (name: "a", type: "[P -> 0..2]"), (name: "s", type: "set<P>") ],
    defs: [ {defs} ],
    init: (params: "a1: 0..2, a2: 0..2, a3: 0..2, s1: bool, s2: bool, s3: bool", effect: r#"
        a[1] = a1; a[2] = a2; a[3] = a3;
        if s1 {{ insert(s, 1); }}
        if s2 {{ insert(s, 2); }}
        if s3 {{ insert(s, 3); }}
    "#),
    actions: [],
    invariants: [ (name: "I", expr: "{invariant}") ],
    terminal: "true",
)"##
    )
}

fn model(invariant: &str) -> Model {
    crate::compile_text("eval.ron", &spec(invariant), invariant)
}

/// The decoded state as (a[1..=3], s as membership of 1..=3).
fn decode(m: &Model, st: &[u64]) -> ([i64; 3], [bool; 3]) {
    let vars = m.decode_state(st);
    let mut a = [0; 3];
    let mut s = [false; 3];
    if let Value::Map(entries) = &vars[0].1 {
        for (k, v) in entries {
            if let (Value::Int(k), Value::Int(v)) = (k, v) {
                a[*k as usize - 1] = *v;
            }
        }
    }
    if let Value::Set(items) = &vars[1].1 {
        for i in items {
            if let Value::Int(i) = i {
                s[*i as usize - 1] = true;
            }
        }
    }
    (a, s)
}

fn check(invariant: &str, reference: impl Fn(&[i64; 3], &[bool; 3]) -> bool) {
    let m = model(invariant);
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |st| states.push(st.to_vec()))
        .unwrap();
    assert_eq!(states.len(), 216, "init enumerates every valuation");
    let mut violating = 0;
    for st in &states {
        let (a, s) = decode(&m, st);
        let holds = m.check_invariants(&mut sc, st).unwrap().is_none();
        assert_eq!(
            holds,
            reference(&a, &s),
            "{invariant} at a = {a:?}, s = {s:?}"
        );
        violating += usize::from(!holds);
    }
    // Each formula below is chosen to be neither always true nor always false.
    assert!(
        violating > 0 && violating < 216,
        "{invariant}: {violating} violating states"
    );
}

#[test]
fn forall_not_and_is_hoisted_correctly() {
    check(
        "forall x in P, y in P: not (a[x] == 2 and y in s)",
        |a, s| !(a.contains(&2) && s.contains(&true)),
    );
}

#[test]
fn forall_implies_is_hoisted_correctly() {
    check(
        "forall x in P: (len(s) == 2 and a[x] > 0) implies a[x] == 1",
        |a, s| {
            let n = s.iter().filter(|b| **b).count();
            (0..3).all(|x| !(n == 2 && a[x] > 0) || a[x] == 1)
        },
    );
}

#[test]
fn exists_and_is_hoisted_correctly() {
    check("exists x in P: len(s) > 0 and a[x] == 0", |a, s| {
        (0..3).any(|x| s.iter().any(|b| *b) && a[x] == 0)
    });
}

#[test]
fn range_domains_use_the_generic_path() {
    check("forall x in 1..3: a[x] != 1 or x in s", |a, s| {
        (0..3).all(|x| a[x] != 1 || s[x])
    });
}

#[test]
fn set_domains_iterate_members() {
    check("exists x in s: a[x] == 2", |a, s| {
        (0..3).any(|x| s[x] && a[x] == 2)
    });
}

#[test]
fn comprehension_and_arithmetic() {
    check(
        "card({ x for x in P if a[x] >= 1 }) + min(1, len(s)) <= 2",
        |a, s| {
            let c = a.iter().filter(|v| **v >= 1).count() as i64;
            c + i64::from(s.iter().any(|b| *b)) <= 2
        },
    );
}

#[test]
fn if_let_and_nested_quantifiers() {
    check(
        "let total = a[1] + a[2] + a[3] in if total > 3 then exists x in P: forall y in P: a[x] >= a[y] and x in s else true",
        |a, s| {
            let total: i64 = a.iter().sum();
            total <= 3 || (0..3).any(|x| (0..3).all(|y| a[x] >= a[y]) && s[x])
        },
    );
}

/// Guards: conjuncts that mention no parameter are evaluated once for all
/// bindings; the enabled transitions must be exactly those whose full guard
/// holds.
#[test]
fn shared_guard_conjuncts_keep_transitions_exact() {
    let text = spec("true").replace(
        "actions: [],",
        r#"actions: [ (name: "Bump", params: "x: P", guard: "len(s) >= 2 and a[x] < 2 and x in s", effect: "a[x] = a[x] + 1;") ],"#,
    );
    let (_, ast) =
        dcheck_syntax::load_spec_str("eval.ron", &text).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    let m = compile(&ast, &[]).unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |st| states.push(st.to_vec()))
        .unwrap();
    let mut total = 0;
    for st in &states {
        let (a, s) = decode(&m, st);
        let n = s.iter().filter(|b| **b).count();
        let expected: Vec<usize> = (0..3).filter(|&x| n >= 2 && a[x] < 2 && s[x]).collect();
        let mut got = Vec::new();
        m.successors(&mut sc, st, |t, next| {
            let (a2, _) = decode(&m, next);
            got.push(t as usize);
            let mut want = a;
            want[t as usize] += 1;
            assert_eq!(a2, want, "Bump({}) increments a[{}] only", t + 1, t + 1);
        })
        .unwrap();
        assert_eq!(got, expected, "enabled bindings at a = {a:?}, s = {s:?}");
        total += got.len();
    }
    assert!(total > 0);
}

/// A def whose argument calls a def: each argument is bound to its own
/// parameter (before the fix, `first(1, id(2))` evaluated `id`'s parameter
/// into the slot of `first`'s `a` and gave 2). Each invariant is true by
/// substitution: first(1, id(2)) = 1, second(id(1), id(2)) = 2,
/// pick(id(3), first(4, 5), id(6)) = 3 + 10 * 4 + 100 * 6 = 643.
#[test]
fn def_arguments_that_call_defs_keep_earlier_arguments() {
    let text = r##"(
    name: "Defs",
    vars: [ (name: "x", type: "0..9") ],
    defs: [
        (name: "id", params: "i: 0..9", body: "i"),
        (name: "first", params: "a: 0..9, b: 0..9", body: "a"),
        (name: "second", params: "a: 0..9, b: 0..9", body: "b"),
        (name: "pick", params: "a: 0..9, b: 0..9, c: 0..9", body: "a + 10 * b + 100 * c"),
    ],
    init: (effect: "x = first(1, id(2));"),
    actions: [],
    invariants: [
        (name: "First", expr: "x == 1 and first(1, id(2)) == 1"),
        (name: "Second", expr: "second(id(1), id(2)) == 2"),
        (name: "Pick", expr: "pick(id(3), first(4, 5), id(6)) == 643"),
    ],
    terminal: "true",
)"##;
    let (_, ast) =
        dcheck_syntax::load_spec_str("defs.ron", text).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    let m = compile(&ast, &[]).unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |s| states.push(s.to_vec()))
        .expect("init");
    assert_eq!(states.len(), 1);
    assert_eq!(m.check_invariants(&mut sc, &states[0]).expect("eval"), None);
}
