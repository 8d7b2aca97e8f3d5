//! Field tests (`runtime::FieldTest`): comparisons of fields at fixed
//! positions with constants, which junctions merge into one masked compare
//! and run without closure calls. Random `and` / `or` / `not` formulas over
//! such comparisons, nested in unrolled quantifiers and mixed with
//! comparisons that are not field tests (and one that can fail, so the
//! order in which the parts run shows), are checked against a plain
//! interpreter on every state: the same verdict and the same evaluation
//! errors.
//!
//! The variables are laid out so that fields share words: `c` has four
//! values per key (two bits each, a power of two: field tests), `t` is a
//! bitset (membership of a constant: a one-bit test), `u` a whole variable,
//! `d` has three values per key (not a power of two: compiled code, not a
//! field test).

use proptest::prelude::*;

use dcheck_model::system::TransitionSystem;
use dcheck_model::Model;

#[derive(Clone, Debug)]
enum B {
    /// `c[p] == k` (or `!=`); `p` a literal 1..3 or the quantified `q`.
    C(Option<i64>, i64, bool),
    /// `p in t`.
    T(Option<i64>),
    /// `u == k` (or `!=`).
    U(i64, bool),
    /// `d[p] == k`: not a field test.
    D(Option<i64>, i64),
    /// `10 / u >= 5`: fails when `u == 0`.
    Div,
    Not(Box<B>),
    /// An n-ary `and` (true) or `or` (false), written as a chain.
    Chain(bool, Vec<B>),
    Implies(Box<B>, Box<B>),
    /// `true` or `false`.
    Lit(bool),
    /// `forall` (true) or `exists` (false) `q in P` (one level: `q` is
    /// the only bound name).
    Quant(bool, Box<B>),
}

/// The state: `c[1..=3]`, `t` as membership of 1..=3, `u`, `d[1..=3]`.
#[derive(Clone, Copy, Debug)]
struct St {
    c: [i64; 3],
    t: [bool; 3],
    u: i64,
    d: [i64; 3],
}

/// The formula generator, reading its choices as `folding.rs`'s does.
struct Gen<'a>(crate::folding::Gen<'a>);

impl Gen<'_> {
    fn next(&mut self, n: u8) -> u8 {
        self.0.next(n)
    }

    fn p(&mut self, bound: bool) -> Option<i64> {
        match self.next(if bound { 4 } else { 3 }) {
            3 => None,
            i => Some(i as i64 + 1),
        }
    }

    fn b(&mut self, depth: u32, bound: bool) -> B {
        let pick = if depth == 0 {
            self.next(5)
        } else {
            self.next(11)
        };
        let d = depth.saturating_sub(1);
        match pick {
            0 | 1 => B::C(self.p(bound), self.next(4) as i64, self.next(2) == 0),
            2 => B::T(self.p(bound)),
            3 => B::U(self.next(4) as i64, self.next(2) == 0),
            4 => {
                if self.next(4) == 0 {
                    B::Div
                } else {
                    B::D(self.p(bound), self.next(3) as i64)
                }
            }
            5 => B::Not(Box::new(self.b(d, bound))),
            6 | 7 => {
                let n = 2 + self.next(4) as usize;
                let and = self.next(2) == 0;
                B::Chain(and, (0..n).map(|_| self.b(d, bound)).collect())
            }
            8 => B::Implies(Box::new(self.b(d, bound)), Box::new(self.b(d, bound))),
            9 => B::Lit(self.next(2) == 0),
            _ if !bound => B::Quant(self.next(2) == 0, Box::new(self.b(d, true))),
            _ => B::Not(Box::new(self.b(d, bound))),
        }
    }
}

fn p_text(p: Option<i64>) -> String {
    p.map_or("q".to_string(), |v| v.to_string())
}

fn text(e: &B) -> String {
    let cmp = |eq: bool| if eq { "==" } else { "!=" };
    match e {
        B::C(p, k, eq) => format!("c[{}] {} {k}", p_text(*p), cmp(*eq)),
        B::T(p) => format!("{} in t", p_text(*p)),
        B::U(k, eq) => format!("u {} {k}", cmp(*eq)),
        B::D(p, k) => format!("d[{}] == {k}", p_text(*p)),
        B::Div => "10 / u >= 5".to_string(),
        B::Not(x) => format!("not ({})", text(x)),
        B::Chain(and, xs) => {
            let op = if *and { " and " } else { " or " };
            let parts: Vec<String> = xs.iter().map(|x| format!("({})", text(x))).collect();
            parts.join(op)
        }
        B::Implies(a, b) => format!("({}) implies ({})", text(a), text(b)),
        B::Lit(v) => v.to_string(),
        B::Quant(all, x) => {
            let q = if *all { "forall" } else { "exists" };
            format!("{q} q in P: ({})", text(x))
        }
    }
}

/// The plain meaning: `Err(())` for an evaluation error; `and` / `or`
/// stop at the first deciding operand, left to right.
fn eval(e: &B, st: &St, q: i64) -> Result<bool, ()> {
    let at = |p: &Option<i64>| (p.unwrap_or(q) - 1) as usize;
    Ok(match e {
        B::C(p, k, eq) => (st.c[at(p)] == *k) == *eq,
        B::T(p) => st.t[at(p)],
        B::U(k, eq) => (st.u == *k) == *eq,
        B::D(p, k) => st.d[at(p)] == *k,
        B::Div => {
            if st.u == 0 {
                return Err(());
            }
            10 / st.u >= 5
        }
        B::Not(x) => !eval(x, st, q)?,
        B::Chain(and, xs) => {
            for x in xs {
                if eval(x, st, q)? != *and {
                    return Ok(!*and);
                }
            }
            *and
        }
        B::Implies(a, b) => !eval(a, st, q)? || eval(b, st, q)?,
        B::Lit(v) => *v,
        B::Quant(all, x) => {
            for v in 1..=3 {
                if eval(x, st, v)? != *all {
                    return Ok(!*all);
                }
            }
            *all
        }
    })
}

fn model(invariant: &str) -> Model {
    let text = format!(
        r##"(
    name: "FieldTests",
    types: [ (name: "P", def: "1..3") ],
    vars: [
        (name: "c", type: "[P -> 0..3]"),
        (name: "t", type: "set<P>"),
        (name: "u", type: "0..3"),
        (name: "d", type: "[P -> 0..2]"),
    ],
    init: (params: "c1: 0..3, c2: 0..3, c3: 0..3, t1: bool, t2: bool, t3: bool, u0: 0..3, d1: 0..2, d2: 0..2, d3: 0..2", effect: r#"
        c[1] = c1; c[2] = c2; c[3] = c3;
        if t1 {{ insert(t, 1); }}
        if t2 {{ insert(t, 2); }}
        if t3 {{ insert(t, 3); }}
        u = u0;
        d[1] = d1; d[2] = d2; d[3] = d3;
    "#),
    actions: [],
    invariants: [ (name: "I", expr: "{invariant}") ],
    terminal: "true",
)"##
    );
    crate::compile_text("field_tests.ron", &text, invariant)
}

/// Every state, in `init`'s order (parameters first slowest).
fn states() -> Vec<St> {
    let mut out = Vec::new();
    for c in 0..64 {
        for t in 0..8u32 {
            for u in 0..4 {
                for d in 0..27 {
                    out.push(St {
                        c: [c / 16, c / 4 % 4, c % 4],
                        t: [t & 4 != 0, t & 2 != 0, t & 1 != 0],
                        u,
                        d: [d / 9, d / 3 % 3, d % 3],
                    });
                }
            }
        }
    }
    out
}

fn agree(e: &B, all: &[St]) {
    let text = text(e);
    let m = model(&text);
    let mut sc = m.scratch();
    let mut words = Vec::new();
    m.initial_states(&mut sc, &mut |st| words.push(st.to_vec()))
        .unwrap();
    assert_eq!(words.len(), all.len());
    for (w, st) in words.iter().zip(all) {
        let got = match m.check_invariants(&mut sc, w) {
            Ok(None) => Ok(true),
            Ok(Some(_)) => Ok(false),
            Err(_) => Err(()),
        };
        assert_eq!(got, eval(e, st, 0), "{text} at {st:?}");
    }
}

// 200 random expressions, as two tests of 100 that the harness runs side by
// side.
proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn field_tests_agree_with_an_interpreter(bytes in proptest::collection::vec(any::<u8>(), 4..64)) {
        agree_on_random(&bytes);
    }

    #[test]
    fn field_tests_agree_with_an_interpreter_more(bytes in proptest::collection::vec(any::<u8>(), 4..64)) {
        agree_on_random(&bytes);
    }
}

/// [`agree`] on the expression that `bytes` picks.
fn agree_on_random(bytes: &[u8]) {
    let e = Gen(crate::folding::Gen { bytes, pos: 0 }).b(3, false);
    agree(&e, &states());
}

/// Shapes that merge: every conjunct of an unrolled `forall` is a test of
/// the same word; an `or` of inequalities; a contradiction on one field
/// (not merged: the masks overlap); tests around a part that can fail.
#[test]
fn merged_shapes() {
    let all = states();
    let c = |p, k, eq| B::C(Some(p), k, eq);
    for e in [
        B::Quant(true, Box::new(B::C(None, 2, true))),
        B::Quant(false, Box::new(B::C(None, 1, false))),
        B::Chain(true, vec![c(1, 1, true), c(1, 2, true)]),
        B::Chain(false, vec![c(2, 3, false), c(3, 0, false), B::U(1, false)]),
        B::Chain(
            true,
            vec![c(1, 0, true), B::Div, c(2, 0, true), B::T(Some(3))],
        ),
        B::Chain(false, vec![B::T(Some(1)), B::Div, B::T(Some(2))]),
        B::Not(Box::new(B::Chain(true, vec![c(1, 3, true), B::T(Some(2))]))),
        B::Quant(
            true,
            Box::new(B::Implies(
                Box::new(B::C(None, 1, true)),
                Box::new(B::Lit(true)),
            )),
        ),
        B::Implies(Box::new(c(2, 2, true)), Box::new(B::Lit(false))),
        B::Implies(Box::new(c(2, 2, true)), Box::new(B::Div)),
        B::Chain(true, vec![c(1, 0, true), B::Lit(false), B::Div]),
    ] {
        agree(&e, &all);
    }
}
