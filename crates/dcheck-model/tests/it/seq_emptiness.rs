//! `len(q) > 0` and its variants are compiled as a comparison of `q` with
//! the empty sequence (`Compiler::seq_emptiness`): one field test when `q`
//! is at a fixed position. Each form, written either way round, is checked
//! on every initial state of a spec whose sequence `q` is built from the
//! binding `(n, x1, x2, x3)`: its first `n` elements are `x1, x2, x3`, so
//! `len(q) == n` (derived by hand from the effect, not from the checker).
//! A sequence that is not at a fixed position (`tail(q)`, an evaluation
//! error when `q` is empty) takes the compiled-code path, and forms that
//! are not emptiness tests (`>= 1`, `> 1`) are compiled as written.

use dcheck_model::system::TransitionSystem;
use dcheck_model::Model;

fn model(invariant: &str) -> Model {
    let text = format!(
        r##"(
    name: "SeqEmptiness",
    vars: [ (name: "u", type: "0..1"), (name: "q", type: "seq<0..2, 3>") ],
    init: (params: "n: 0..3, x1: 0..2, x2: 0..2, x3: 0..2", effect: r#"
        if n >= 1 {{ append(q, x1); }}
        if n >= 2 {{ append(q, x2); }}
        if n >= 3 {{ append(q, x3); }}
    "#),
    actions: [],
    invariants: [ (name: "I", expr: "{invariant}") ],
    terminal: "true",
)"##
    );
    crate::compile_text("seq.ron", &text, invariant)
}

/// The verdict on each initial state, in binding order (first parameter
/// slowest): `Some(holds)`, or `None` for an evaluation error.
fn verdicts(invariant: &str) -> Vec<Option<bool>> {
    let m = model(invariant);
    let mut sc = m.scratch();
    let mut states = Vec::new();
    m.initial_states(&mut sc, &mut |st| states.push(st.to_vec()))
        .expect("initial states");
    states
        .iter()
        .map(|w| match m.check_invariants(&mut sc, w) {
            Ok(None) => Some(true),
            Ok(Some(_)) => Some(false),
            Err(_) => None,
        })
        .collect()
}

/// The expected verdicts, from `n` alone (27 bindings of the x's each).
fn by_length(f: impl Fn(u64) -> Option<bool>) -> Vec<Option<bool>> {
    (0..4).flat_map(|n| std::iter::repeat_n(f(n), 27)).collect()
}

#[test]
fn emptiness_of_a_sequence_either_way_round() {
    let nonempty = by_length(|n| Some(n > 0));
    let empty = by_length(|n| Some(n == 0));
    for (form, want) in [
        ("len(q) > 0", &nonempty),
        ("len(q) != 0", &nonempty),
        ("0 < len(q)", &nonempty),
        ("0 != len(q)", &nonempty),
        ("len(q) == 0", &empty),
        ("0 == len(q)", &empty),
        ("not (len(q) > 0)", &empty),
        ("u == 0 and len(q) > 0", &nonempty),
    ] {
        assert_eq!(&verdicts(form), want, "{form}");
    }
}

#[test]
fn other_sequences_and_other_comparisons_keep_their_meaning() {
    assert_eq!(verdicts("len(q) >= 1"), by_length(|n| Some(n >= 1)));
    assert_eq!(verdicts("len(q) > 1"), by_length(|n| Some(n > 1)));
    assert_eq!(verdicts("len(q) < 1"), by_length(|n| Some(n < 1)));
    // `tail` of the empty sequence is an evaluation error.
    let tail = |n: u64| (n > 0).then_some(n > 1);
    assert_eq!(verdicts("len(tail(q)) > 0"), by_length(tail));
    assert_eq!(verdicts("0 < len(tail(q))"), by_length(tail));
    assert_eq!(
        verdicts("len(tail(q)) == 0"),
        by_length(|n| (n > 0).then_some(n == 1))
    );
}
