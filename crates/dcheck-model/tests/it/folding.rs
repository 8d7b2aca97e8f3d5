//! The compiler's partial evaluation against a direct interpreter, on
//! random expressions.
//!
//! The compiler folds what it knows at compile time: closed expressions
//! (no state, no outer local), `true and x`, an unrolled quantifier's
//! constant copies, a def called with constant arguments (its body is
//! compiled for them). Each random invariant below mixes those shapes with
//! state reads, quantifiers over a type (unrolled: the variable is a
//! constant) and over a set variable (a run-time loop), defs with and
//! without parameters, range-checked def arguments and `div` / `mod`
//! (evaluation errors). On each of the 216 states of the spec of
//! `evaluation.rs` the model's verdict (holds, violated, evaluation error)
//! must be the interpreter's, and states equal on the bits the invariant
//! is recorded to read must get the same verdict (the read set that
//! `check_invariants_from` relies on is complete). The interpreter here
//! shares no code with the
//! compiler: it walks its own tree, left to right, with the short-circuit
//! and iteration order that `docs/semantics.md` gives.

use proptest::prelude::*;

use dcheck_model::system::TransitionSystem;
use dcheck_model::Model;

/// An element of P = 1..3: a literal or a bound variable.
#[derive(Clone, Debug)]
enum P {
    Lit(i64),
    Var(usize),
}

#[derive(Clone, Debug)]
enum I {
    Lit(i64),
    A(P),
    Elem(P),
    Add(Box<I>, Box<I>),
    Sub(Box<I>, Box<I>),
    Div(Box<I>, Box<I>),
    Mod(Box<I>, Box<I>),
    Card,
    /// `card({ e for v in D if c })`, `e` the new variable `v` or `a[v]`
    /// (true), `D` P (unrolled) or `s` (a loop; true).
    Comp(bool, bool, Box<B>),
}

#[derive(Clone, Debug)]
enum B {
    Lit(bool),
    InS(P),
    InK(P),
    Cmp(&'static str, I, I),
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
    Implies(Box<B>, Box<B>),
    If(Box<B>, Box<B>, Box<B>),
    /// `forall` (true) or `exists` over P (unrolled) or over s (a loop).
    Quant(bool, bool, Box<B>),
    /// `f(p, k)`: `a[p] == k or p in s`, with `k: 0..2` range-checked.
    F(P, I),
}

/// Reads the generator's choices from a byte string (proptest shrinks it).
pub(crate) struct Gen<'b> {
    pub(crate) bytes: &'b [u8],
    pub(crate) pos: usize,
}

impl Gen<'_> {
    pub(crate) fn next(&mut self, n: u8) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b % n
    }

    fn p(&mut self, vars: usize) -> P {
        if vars > 0 && self.next(3) != 0 {
            P::Var(self.next(vars as u8) as usize)
        } else {
            P::Lit(1 + self.next(3) as i64)
        }
    }

    fn i(&mut self, depth: u32, vars: usize) -> I {
        let pick = if depth == 0 {
            self.next(4)
        } else {
            self.next(10)
        };
        let sub = |g: &mut Self| Box::new(g.i(depth.saturating_sub(1), vars));
        if pick == 9 && vars < 3 {
            let (elem_a, over_s) = (self.next(2) == 0, self.next(3) == 0);
            let cond = self.b(depth.saturating_sub(1), vars + 1);
            return I::Comp(elem_a, over_s, Box::new(cond));
        }
        match pick {
            0 => I::Lit(self.next(4) as i64),
            1 => I::A(self.p(vars)),
            2 => I::Elem(self.p(vars)),
            3 => I::Card,
            4 | 5 => I::Add(sub(self), sub(self)),
            6 => I::Sub(sub(self), sub(self)),
            7 => I::Div(sub(self), sub(self)),
            _ => I::Mod(sub(self), sub(self)),
        }
    }

    fn b(&mut self, depth: u32, vars: usize) -> B {
        let pick = if depth == 0 {
            self.next(4)
        } else {
            self.next(13)
        };
        let d = depth.saturating_sub(1);
        match pick {
            0 => B::Lit(self.next(2) == 0),
            1 => B::InS(self.p(vars)),
            2 => B::InK(self.p(vars)),
            3 => {
                let op = ["==", "!=", "<", "<="][self.next(4) as usize];
                B::Cmp(op, self.i(1, vars), self.i(1, vars))
            }
            4 => B::Not(Box::new(self.b(d, vars))),
            5 | 6 => B::And(Box::new(self.b(d, vars)), Box::new(self.b(d, vars))),
            7 => B::Or(Box::new(self.b(d, vars)), Box::new(self.b(d, vars))),
            8 => B::Implies(Box::new(self.b(d, vars)), Box::new(self.b(d, vars))),
            9 => B::If(
                Box::new(self.b(d, vars)),
                Box::new(self.b(d, vars)),
                Box::new(self.b(d, vars)),
            ),
            10 | 11 if vars < 3 => {
                let forall = self.next(2) == 0;
                let over_s = self.next(3) == 0;
                B::Quant(forall, over_s, Box::new(self.b(d, vars + 1)))
            }
            _ => B::F(self.p(vars), self.i(0, vars)),
        }
    }
}

const NAMES: [&str; 3] = ["x", "y", "z"];

fn p_text(p: &P) -> String {
    match p {
        P::Lit(v) => v.to_string(),
        P::Var(i) => NAMES[*i].to_string(),
    }
}

fn i_text(e: &I, vars: usize) -> String {
    match e {
        I::Lit(v) => v.to_string(),
        I::A(p) => format!("a[{}]", p_text(p)),
        I::Elem(p) => p_text(p),
        I::Card => "len(s)".into(),
        I::Add(a, b) => format!("({} + {})", i_text(a, vars), i_text(b, vars)),
        I::Sub(a, b) => format!("({} - {})", i_text(a, vars), i_text(b, vars)),
        I::Div(a, b) => format!("({} div {})", i_text(a, vars), i_text(b, vars)),
        I::Mod(a, b) => format!("({} mod {})", i_text(a, vars), i_text(b, vars)),
        I::Comp(elem_a, over_s, cond) => {
            let v = NAMES[vars];
            format!(
                "card({{ {} for {v} in {} if {} }})",
                if *elem_a {
                    format!("a[{v}]")
                } else {
                    v.to_string()
                },
                if *over_s { "s" } else { "P" },
                b_text(cond, vars + 1)
            )
        }
    }
}

fn b_text(e: &B, vars: usize) -> String {
    match e {
        B::Lit(v) => v.to_string(),
        B::InS(p) => format!("({} in s)", p_text(p)),
        B::InK(p) => format!("({} in K)", p_text(p)),
        B::Cmp(op, a, b) => format!("({} {op} {})", i_text(a, vars), i_text(b, vars)),
        B::Not(a) => format!("(not {})", b_text(a, vars)),
        B::And(a, b) => format!("({} and {})", b_text(a, vars), b_text(b, vars)),
        B::Or(a, b) => format!("({} or {})", b_text(a, vars), b_text(b, vars)),
        B::Implies(a, b) => format!("({} implies {})", b_text(a, vars), b_text(b, vars)),
        B::If(c, a, b) => format!(
            "(if {} then {} else {})",
            b_text(c, vars),
            b_text(a, vars),
            b_text(b, vars)
        ),
        B::Quant(forall, over_s, body) => format!(
            "({} {} in {}: {})",
            if *forall { "forall" } else { "exists" },
            NAMES[vars],
            if *over_s { "s" } else { "P" },
            b_text(body, vars + 1)
        ),
        B::F(p, k) => format!("f({}, {})", p_text(p), i_text(k, vars)),
    }
}

/// A state: `a[1..=3]` and the membership of 1..=3 in `s`.
struct St {
    a: [i64; 3],
    s: [bool; 3],
}

/// An evaluation error (which one is not compared).
type Ev<T> = Result<T, ()>;

fn p_val(p: &P, env: &[i64]) -> i64 {
    match p {
        P::Lit(v) => *v,
        P::Var(i) => env[*i],
    }
}

fn i_eval(e: &I, st: &St, env: &[i64]) -> Ev<i64> {
    Ok(match e {
        I::Lit(v) => *v,
        I::A(p) => st.a[p_val(p, env) as usize - 1],
        I::Elem(p) => p_val(p, env),
        I::Card => st.s.iter().filter(|m| **m).count() as i64,
        I::Comp(elem_a, over_s, cond) => {
            // In domain order, the condition first, the element only where
            // it holds.
            let mut set = std::collections::BTreeSet::new();
            for x in 1..=3 {
                if *over_s && !st.s[x as usize - 1] {
                    continue;
                }
                let mut env = env.to_vec();
                env.push(x);
                if b_eval(cond, st, &mut env)? {
                    set.insert(if *elem_a { st.a[x as usize - 1] } else { x });
                }
            }
            set.len() as i64
        }
        I::Add(a, b) => i_eval(a, st, env)? + i_eval(b, st, env)?,
        I::Sub(a, b) => i_eval(a, st, env)? - i_eval(b, st, env)?,
        I::Div(a, b) | I::Mod(a, b) => {
            let (x, y) = (i_eval(a, st, env)?, i_eval(b, st, env)?);
            if y <= 0 {
                return Err(());
            }
            if matches!(e, I::Div(..)) {
                x.div_euclid(y)
            } else {
                x.rem_euclid(y)
            }
        }
    })
}

fn b_eval(e: &B, st: &St, env: &mut Vec<i64>) -> Ev<bool> {
    Ok(match e {
        B::Lit(v) => *v,
        B::InS(p) => st.s[p_val(p, env) as usize - 1],
        B::InK(p) => p_val(p, env) >= 2,
        B::Cmp(op, a, b) => {
            let (x, y) = (i_eval(a, st, env)?, i_eval(b, st, env)?);
            match *op {
                "==" => x == y,
                "!=" => x != y,
                "<" => x < y,
                _ => x <= y,
            }
        }
        B::Not(a) => !b_eval(a, st, env)?,
        B::And(a, b) => b_eval(a, st, env)? && b_eval(b, st, env)?,
        B::Or(a, b) => b_eval(a, st, env)? || b_eval(b, st, env)?,
        B::Implies(a, b) => !b_eval(a, st, env)? || b_eval(b, st, env)?,
        B::If(c, a, b) => {
            if b_eval(c, st, env)? {
                b_eval(a, st, env)?
            } else {
                b_eval(b, st, env)?
            }
        }
        B::Quant(forall, over_s, body) => {
            let mut result = *forall;
            for x in 1..=3 {
                if *over_s && !st.s[x as usize - 1] {
                    continue;
                }
                env.push(x);
                let v = b_eval(body, st, env);
                env.pop();
                if v? != *forall {
                    result = !*forall;
                    break;
                }
            }
            result
        }
        B::F(p, k) => {
            let p = p_val(p, env);
            let k = i_eval(k, st, env)?;
            if !(0..=2).contains(&k) {
                return Err(());
            }
            st.a[p as usize - 1] == k || st.s[p as usize - 1]
        }
    })
}

fn model(invariant: &str) -> Model {
    let defs = r#"
        (name: "K", body: "{ i for i in P if i >= 2 }"),
        (name: "f", params: "p: P, k: 0..2", body: "a[p] == k or p in s"),
    "#;
    let text = crate::evaluation::spec_with_defs(defs, invariant);
    crate::compile_text("fold.ron", &text, invariant)
}

/// The states in `init`'s order: parameters enumerated first slowest.
fn states() -> Vec<St> {
    let mut out = Vec::new();
    for a1 in 0..3 {
        for a2 in 0..3 {
            for a3 in 0..3 {
                for bits in 0..8u32 {
                    let s = [bits & 4 != 0, bits & 2 != 0, bits & 1 != 0];
                    out.push(St { a: [a1, a2, a3], s });
                }
            }
        }
    }
    out
}

fn agree(e: &B) {
    let text = b_text(e, 0);
    let m = model(&text);
    let mut sc = m.scratch();
    let mut words = Vec::new();
    m.initial_states(&mut sc, &mut |st| words.push(st.to_vec()))
        .unwrap();
    let expected = states();
    assert_eq!(words.len(), expected.len());
    // States equal on the bits the invariant reads have the same verdict:
    // its recorded read set is complete (`check_invariants_from` skips on
    // it).
    let mut by_reads = std::collections::HashMap::new();
    for (w, st) in words.iter().zip(&expected) {
        let got = match m.check_invariants(&mut sc, w) {
            Ok(None) => Ok(true),
            Ok(Some(_)) => Ok(false),
            Err(_) => Err(()),
        };
        let want = b_eval(e, st, &mut Vec::new());
        assert_eq!(got, want, "{text} at a = {:?}, s = {:?}", st.a, st.s);
        let read: Vec<u64> = m
            .invariant_reads(0)
            .iter()
            .map(|&(i, mask)| w[i] & mask)
            .collect();
        let first = by_reads.entry(read).or_insert(want);
        assert_eq!(
            *first, want,
            "{text}: states equal on its reads differ, at a = {:?}, s = {:?}",
            st.a, st.s
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn folded_code_agrees_with_an_interpreter(bytes in proptest::collection::vec(any::<u8>(), 8..96)) {
        let e = Gen { bytes: &bytes, pos: 0 }.b(4, 0);
        agree(&e);
    }
}

/// Shapes the folding rewrites, each checked on every state.
#[test]
fn folding_shapes() {
    use B::*;
    let x = || P::Var(0);
    let cases = [
        // A def called with constants inside an unrolled quantifier.
        Quant(
            true,
            false,
            Box::new(Implies(Box::new(InK(x())), Box::new(F(x(), I::Lit(1))))),
        ),
        // `false and <error>` never evaluates the error; `<error> and false` does.
        And(
            Box::new(Lit(false)),
            Box::new(Cmp(
                "==",
                I::Div(Box::new(I::Lit(1)), Box::new(I::Lit(0))),
                I::Lit(0),
            )),
        ),
        And(
            Box::new(Cmp(
                "==",
                I::Div(Box::new(I::Lit(1)), Box::new(I::Lit(0))),
                I::Lit(0),
            )),
            Box::new(Lit(false)),
        ),
        // An out-of-range constant argument is an error when evaluated.
        Or(Box::new(InS(P::Lit(1))), Box::new(F(P::Lit(2), I::Lit(3)))),
        // A forall whose constant-false copy comes after a state-dependent one.
        Quant(
            true,
            false,
            Box::new(Or(
                Box::new(InS(x())),
                Box::new(Cmp("<", I::Elem(x()), I::Lit(3))),
            )),
        ),
        // Found by the proptest: hoisting `forall y in s: ...` (which does
        // not mention x) ahead of the conjunct before it skipped that
        // conjunct's evaluation error (`x mod a[x]` with a[x] = 0); only
        // leading conjuncts are hoisted now.
        Quant(
            true,
            false,
            Box::new(Implies(
                Box::new(And(
                    Box::new(If(
                        Box::new(InS(P::Lit(2))),
                        Box::new(Lit(true)),
                        Box::new(Cmp(
                            "<=",
                            I::Div(Box::new(I::A(x())), Box::new(I::Lit(1))),
                            I::Mod(Box::new(I::Elem(x())), Box::new(I::A(x()))),
                        )),
                    )),
                    Box::new(Quant(
                        true,
                        true,
                        Box::new(Cmp("<", I::Elem(P::Var(1)), I::Card)),
                    )),
                )),
                Box::new(InK(P::Lit(3))),
            )),
        ),
    ];
    for e in &cases {
        agree(e);
    }
}

/// A nest of two quantifiers split in two (`rewrite::factor`): each shape
/// agrees with the interpreter on every state, and the split is taken
/// exactly where its conditions hold. Bodies compiled by unrolling tell:
/// the nest over P x P is 3 + 3 * 3 = 12 (the outer copies, then the inner
/// ones of each), split it is 3 + 3 = 6; an inner quantifier over `s` is a
/// loop, 3 bodies. An `exists` invariant is compiled twice (the tree that
/// explains a violation unrolls it too; it has its own form for `forall`
/// only), so its figures double: 24 kept, 12 split, 6 over `s`, to which
/// the one use of `K` adds its comprehension `{ i for i in P if i >= 2 }`,
/// unrolled in each of those 6 bodies (3 copies each): 24.
#[test]
fn a_quantifier_nest_splits_where_it_may() {
    use B::*;
    let (x, y) = (|| P::Var(0), || P::Var(1));
    let a_is = |p: P, k: i64| Cmp("==", I::A(p), I::Lit(k));
    let fallible = |p: fn() -> P| {
        Cmp(
            "==",
            I::Mod(Box::new(I::Elem(p())), Box::new(I::A(p()))),
            I::Lit(0),
        )
    };
    let nest = |forall: bool, inner_over_s: bool, body: B| {
        Quant(
            forall,
            false,
            Box::new(Quant(forall, inner_over_s, Box::new(body))),
        )
    };
    let not_and = |a: B, b: B| Not(Box::new(And(Box::new(a), Box::new(b))));
    let and = |a: B, b: B| And(Box::new(a), Box::new(b));
    let cases = [
        // TwoPhase's TCConsistent: split.
        (nest(true, false, not_and(a_is(x(), 1), a_is(y(), 2))), 6),
        // The part about x may fail (`x mod a[x]` with a[x] = 0): kept.
        (nest(true, false, not_and(fallible(x), a_is(y(), 2))), 12),
        // exists, the part about y may fail: split.
        (nest(false, false, and(a_is(x(), 1), fallible(y))), 12),
        // The inner domain is the state's `s`: kept.
        (nest(false, true, and(a_is(x(), 1), InK(y()))), 24),
        // The first conjunct mentions both: kept.
        (
            nest(
                true,
                false,
                not_and(Cmp("<", I::A(x()), I::A(y())), a_is(y(), 2)),
            ),
            12,
        ),
    ];
    for (e, bodies) in &cases {
        agree(e);
        let text = b_text(e, 0);
        assert_eq!(model(&text).unrolled_bodies, *bodies, "{text}");
    }
}

/// A comprehension over a type is unrolled like a quantifier
/// (`Compiler::unrolled_comp`): each shape agrees with the interpreter on
/// every state (value and evaluation errors), and the bodies compiled by
/// unrolling show where it is: 3 for one over P; none over `s` (a loop).
/// It is compiled as a loop first, then unrolled, so a comprehension in
/// another's condition is unrolled in the outer loop's body (3) and in
/// each of the outer copies (3 * 3), beside the outer copies themselves
/// (3): 15. `K` is such a comprehension too (over P, 3 copies). These
/// invariants are compiled twice (the tree that explains a violation has
/// its own compile), so every figure doubles: 6, 30, 6, 30, 0, 30.
#[test]
fn a_comprehension_over_a_type_is_unrolled() {
    use B::*;
    let (x, y) = (|| P::Var(0), || P::Var(1));
    let comp = |elem_a: bool, over_s: bool, cond: B| I::Comp(elem_a, over_s, Box::new(cond));
    let cases = [
        // paxos's shape: the members of P whose condition holds.
        (Cmp("==", comp(false, false, InS(x())), I::Card), 6),
        // Elements `a[x]`, which may coincide; `K` in each copy: 2 * (3 + 4 * 3).
        (Cmp("<", comp(true, false, InK(x())), I::Lit(2)), 30),
        // A condition that fails in some copies (`x mod a[x]` with a[x] = 0).
        (
            Cmp(
                "==",
                comp(
                    false,
                    false,
                    Cmp(
                        "==",
                        I::Mod(Box::new(I::Elem(x())), Box::new(I::A(x()))),
                        I::Lit(0),
                    ),
                ),
                I::Lit(1),
            ),
            6,
        ),
        // Copies whose condition is constant (false for x = 1).
        (Cmp("==", comp(false, false, InK(x())), I::Lit(2)), 30),
        // Over the state's `s`: a loop.
        (Cmp("==", comp(true, true, Lit(true)), I::Card), 0),
        // Nested in the condition of another.
        (
            Cmp(
                "<=",
                comp(
                    false,
                    false,
                    Cmp(
                        "<",
                        comp(false, false, Cmp("<", I::Elem(y()), I::Elem(x()))),
                        I::A(x()),
                    ),
                ),
                I::Lit(1),
            ),
            30,
        ),
    ];
    for (e, bodies) in &cases {
        agree(e);
        let text = b_text(e, 0);
        assert_eq!(model(&text).unrolled_bodies, *bodies, "{text}");
    }
}
