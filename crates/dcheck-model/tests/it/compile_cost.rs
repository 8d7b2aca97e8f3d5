//! What compiling a spec costs: quantifier unrolling is bounded per nest,
//! so a nest over large domains compiles into a bounded number of bodies
//! (loops past the bound) and still computes the same values.

use dcheck_model::system::TransitionSystem;
use dcheck_model::{compile, Model};
use dcheck_syntax::load_spec_str;

fn model(text: &str) -> Model {
    let (_, ast) = load_spec_str("cost.ron", text).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    compile(&ast, &[]).unwrap_or_else(|e| panic!("{:?}", e.diagnostics))
}

/// A spec over `A = 0..31` with the invariants `invs`.
fn spec(invs: &str) -> String {
    format!(
        r#"(
    name: "Cost",
    types: [ (name: "A", def: "0..31") ],
    vars: [ (name: "x", type: "A") ],
    init: (effect: "x = 31;"),
    terminal: "true",
    invariants: [ {invs} ],
)"#
    )
}

/// `exists a in A, b in A, c in A, d in A` over 32 values: unrolled per
/// variable it would be 32 + 32^2 + 32^3 + 32^4 = 1,082,400 bodies; with
/// the nest sharing one bound of 256, `a` is unrolled (32 copies, leaving
/// 256 / 32 = 8 for each copy's inner quantifiers) and `b`, `c`, `d` are
/// loops: 32 bodies. An invariant is compiled twice (the fast check and the
/// explaining tree, see `model::Invariant`; an `exists` is a leaf of that
/// tree, compiled as in the check), so the two invariants give
/// 2 * 2 * 32 = 128 bodies (4 * 1,082,400 before the bound was shared).
/// The values: a + b + c + d reaches 124 = 4 * 31 only with all four 31,
/// and never 125.
#[test]
fn a_quantifier_nest_unrolls_at_most_its_bound() {
    let m = model(&spec(
        r#"(name: "Reach", expr: "exists a in A, b in A, c in A, d in A: a + b + c + d == 4 * x"),
           (name: "Miss", expr: "not (exists a in A, b in A, c in A, d in A: a + b + c + d == 4 * x + 1)")"#,
    ));
    assert_eq!(m.unrolled_bodies, 128);
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |st| states.push(st.to_vec()))
        .unwrap();
    assert_eq!(m.check_invariants(&mut sc, &states[0]).unwrap(), None);
}

/// Two small quantifiers still unroll fully: 3 values, then 3 per copy
/// (256 / 3 = 85 left), so 3 + 3 * 3 = 12 bodies, in the check only (the
/// explaining tree binds a top-level `forall`'s variables itself and
/// compiles just its body, `a + b <= 4`).
#[test]
fn small_nests_unroll_completely() {
    let m = model(
        &spec(r#"(name: "Small", expr: "forall a in B, b in B: a + b <= 4")"#).replace(
            r#"types: [ (name: "A", def: "0..31") ]"#,
            r#"types: [ (name: "A", def: "0..31"), (name: "B", def: "0..2") ]"#,
        ),
    );
    assert_eq!(m.unrolled_bodies, 12);
}
