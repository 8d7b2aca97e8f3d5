//! Temporal properties and fairness assumptions: the shape of parsed
//! formulas (printed as fully bracketed text), the spans of their nodes,
//! rendered diagnostics (insta snapshots), and loading them from `.ron`
//! files (per-property fairness, `extends`).

use dcheck_syntax::ast::{
    BinOp, Expr, ExprKind, FairnessDecl, FairnessKind, Quantifier, Temporal, TemporalKind, UnOp,
};
use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::parser::{parse_fairness, parse_temporal, TEMPORAL_ONLY_HELP};
use dcheck_syntax::span::{FileId, SourceMap};
use dcheck_syntax::{load_spec, load_spec_str, render};

use crate::support;

use support::{at, errors, fixture};

// ------------------------------------------------------------ printers

fn op(b: BinOp) -> &'static str {
    use BinOp::*;
    match b {
        And => "and",
        Or => "or",
        Implies => "implies",
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Mod => "%",
        FloorDiv => "div",
        FloorMod => "mod",
        In => "in",
        NotIn => "notin",
        Union => "union",
        Intersect => "intersect",
        Minus => "minus",
        Subseteq => "subseteq",
        Concat => "++",
    }
}

/// An expression, every binary operation in parentheses.
fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Call(f, args) => format!(
            "{}({})",
            f.name,
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Index(b, i) => format!("{}[{}]", expr(b), expr(i)),
        ExprKind::Field(b, f) => format!("{}.{}", expr(b), f.name),
        ExprKind::Unary(UnOp::Not, a) => format!("(not {})", expr(a)),
        ExprKind::Unary(UnOp::Neg, a) => format!("(-{})", expr(a)),
        ExprKind::Binary(b, l, r) => format!("({} {} {})", expr(l), op(*b), expr(r)),
        ExprKind::Quant(q, bs, body) => format!(
            "({} {}: {})",
            if *q == Quantifier::Forall {
                "forall"
            } else {
                "exists"
            },
            bs.iter()
                .map(|b| format!("{} in {}", b.name.name, expr(&b.domain)))
                .collect::<Vec<_>>()
                .join(", "),
            expr(body)
        ),
        ExprKind::SetLit(items) => format!(
            "{{{}}}",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Range(a, b) => format!("{}..{}", expr(a), expr(b)),
        other => format!("<{other:?}>"),
    }
}

/// A temporal formula: state predicates in braces.
fn show(t: &Temporal) -> String {
    match &t.kind {
        TemporalKind::Pred(e) => format!("{{{}}}", expr(e)),
        TemporalKind::Always(a) => format!("always {}", show(a)),
        TemporalKind::Eventually(a) => format!("eventually {}", show(a)),
        TemporalKind::LeadsTo(a, b) => format!("[{} leads_to {}]", show(a), show(b)),
        TemporalKind::Implies(a, b) => format!("[{} implies {}]", show(a), show(b)),
        TemporalKind::Forall(bs, body) | TemporalKind::Exists(bs, body) => format!(
            "[{} {}: {}]",
            if matches!(t.kind, TemporalKind::Forall(..)) {
                "forall"
            } else {
                "exists"
            },
            bs.iter()
                .map(|b| format!("{} in {}", b.name.name, expr(&b.domain)))
                .collect::<Vec<_>>()
                .join(", "),
            show(body)
        ),
        TemporalKind::Not(a) => format!("[not {}]", show(a)),
        TemporalKind::And(a, b) => format!("[{} and {}]", show(a), show(b)),
        TemporalKind::Or(a, b) => format!("[{} or {}]", show(a), show(b)),
        TemporalKind::Until(a, b) => format!("[{} until {}]", show(a), show(b)),
        TemporalKind::Taken(ts) | TemporalKind::Enabled(ts) => format!(
            "{} {}",
            if matches!(t.kind, TemporalKind::Taken(_)) {
                "taken"
            } else {
                "enabled"
            },
            ts.iter()
                .map(|t| t.name.name.clone())
                .collect::<Vec<_>>()
                .join("|")
        ),
    }
}

fn show_fairness(f: &FairnessDecl) -> String {
    let mut s = String::new();
    if !f.binders.is_empty() {
        let bs: Vec<_> = f
            .binders
            .iter()
            .map(|b| format!("{} in {}", b.name.name, expr(&b.domain)))
            .collect();
        s += &format!("forall {}: ", bs.join(", "));
    }
    s += match f.kind {
        FairnessKind::Weak => "weak ",
        FairnessKind::Strong => "strong ",
    };
    if f.each {
        s += "each ";
    }
    let targets: Vec<_> = f
        .targets
        .iter()
        .map(|t| match &t.args {
            None => t.name.name.clone(),
            Some(args) => format!(
                "{}({})",
                t.name.name,
                args.iter()
                    .map(|a| a.as_ref().map_or("_".to_string(), expr))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect();
    s + &format!("{{{}}}", targets.join(", "))
}

fn temporal(text: &str) -> Temporal {
    match parse_temporal(FileId(0), text) {
        Ok(t) => t,
        Err(ds) => panic!("`{text}` does not parse: {ds:#?}"),
    }
}

/// Every node's span lies inside `text` and covers its children.
fn check_spans(t: &Temporal, text: &str) {
    assert!(t.span.start <= t.span.end && t.span.end as usize <= text.len());
    let children: Vec<&Temporal> = match &t.kind {
        TemporalKind::Pred(e) => {
            assert!(t.span.start <= e.span.start && e.span.end <= t.span.end);
            vec![]
        }
        TemporalKind::Always(a)
        | TemporalKind::Eventually(a)
        | TemporalKind::Forall(_, a)
        | TemporalKind::Exists(_, a)
        | TemporalKind::Not(a) => vec![a],
        TemporalKind::LeadsTo(a, b)
        | TemporalKind::Implies(a, b)
        | TemporalKind::And(a, b)
        | TemporalKind::Or(a, b)
        | TemporalKind::Until(a, b) => vec![a, b],
        TemporalKind::Taken(_) | TemporalKind::Enabled(_) => vec![],
    };
    for c in children {
        assert!(t.span.start <= c.span.start && c.span.end <= t.span.end);
        check_spans(c, text);
    }
}

// ------------------------------------------------------------ shapes

#[test]
fn formulas_parse_to_the_expected_trees() {
    let cases = [
        (
            "always eventually (light[1] == green or light[2] == green)",
            "always eventually {((light[1] == green) or (light[2] == green))}",
        ),
        (
            "forall l in Light: always eventually light[l] == green",
            "[forall l in Light: always eventually {(light[l] == green)}]",
        ),
        ("eventually always done", "eventually always {done}"),
        ("p leads_to q", "[{p} leads_to {q}]"),
        (
            "requesting[p] leads_to served[p]",
            "[{requesting[p]} leads_to {served[p]}]",
        ),
        (
            "forall p in Proc: requesting[p] leads_to served[p]",
            "[forall p in Proc: [{requesting[p]} leads_to {served[p]}]]",
        ),
        (
            "always (x == 1 implies eventually x == 2)",
            "always [{(x == 1)} implies eventually {(x == 2)}]",
        ),
        (
            "eventually (forall r in RM: rmState[r] == committed or rmState[r] == aborted)",
            "eventually {(forall r in RM: ((rmState[r] == committed) or (rmState[r] == aborted)))}",
        ),
        ("always x < 3", "always {(x < 3)}"),
        // prefixes bind looser than every expression operator
        ("always x == 1 or y", "always {((x == 1) or y)}"),
        // ... and tighter than `implies` / `leads_to`
        (
            "always x == 1 implies eventually y",
            "[always {(x == 1)} implies eventually {y}]",
        ),
        (
            "eventually a leads_to always b",
            "[eventually {a} leads_to always {b}]",
        ),
        // two state predicates: one predicate
        ("always (a implies b)", "always {(a implies b)}"),
        ("a => b", "{(a implies b)}"),
        ("a implies b implies c", "{(a implies (b implies c))}"),
        // right-associative, mixed
        (
            "a leads_to b leads_to c",
            "[{a} leads_to [{b} leads_to {c}]]",
        ),
        ("a implies b leads_to c", "[{a} implies [{b} leads_to {c}]]"),
        // parentheses without a temporal keyword are an expression
        ("(a or b) and c", "{((a or b) and c)}"),
        // `and`, `or`, `not` between temporal formulas, with expression
        // precedence; `until` as loose as `leads_to`
        ("x == 1 and always y", "[{(x == 1)} and always {y}]"),
        ("(always p) and q", "[always {p} and {q}]"),
        // a prefix extends over `and` and `or`, also between temporal
        // formulas: parenthesize to stop it
        (
            "eventually always p or always eventually q",
            "eventually always [{p} or always eventually {q}]",
        ),
        (
            "(eventually always p) or (always eventually q)",
            "[eventually always {p} or always eventually {q}]",
        ),
        ("not always p", "[not always {p}]"),
        ("not p and q", "{((not p) and q)}"),
        ("pc <= 1 until pc == 2", "[{(pc <= 1)} until {(pc == 2)}]"),
        (
            "always (terminated implies always terminated)",
            "always [{terminated} implies always {terminated}]",
        ),
        (
            "(always eventually enabled A) implies (always eventually taken A)",
            "[always eventually enabled A implies always eventually taken A]",
        ),
        (
            "always eventually taken {Commit, Abort}",
            "always eventually taken Commit|Abort",
        ),
        (
            "exists x in S: eventually always p[x]",
            "[exists x in S: eventually always {p[x]}]",
        ),
        ("exists x in S: p[x]", "{(exists x in S: p[x])}"),
        ("always ((a or b) and c)", "always {((a or b) and c)}"),
        ("((always a))", "always {a}"),
        (
            "(a leads_to b) implies always c",
            "[[{a} leads_to {b}] implies always {c}]",
        ),
        // `forall` over a state predicate is a predicate
        ("forall r in RM: x[r] > 0", "{(forall r in RM: (x[r] > 0))}"),
        (
            "forall p in Proc, q in Proc: always (p != q implies eventually m[p][q])",
            "[forall p in Proc, q in Proc: always [{(p != q)} implies eventually {m[p][q]}]]",
        ),
        (
            "always forall r in RM: eventually decided(r)",
            "always [forall r in RM: eventually {decided(r)}]",
        ),
        // other expression prefixes stay state predicates
        ("not a leads_to b", "[{(not a)} leads_to {b}]"),
        // a quantifier's body extends right, over temporal operators too
        // (as `forall`'s always did)
        (
            "exists i in 1..3: x == i leads_to y",
            "[exists i in 1..3: [{(x == i)} leads_to {y}]]",
        ),
        (
            "(exists i in 1..3: x == i) leads_to y",
            "[{(exists i in 1..3: (x == i))} leads_to {y}]",
        ),
    ];
    for (text, want) in cases {
        let t = temporal(text);
        assert_eq!(show(&t), want, "parsing `{text}`");
        check_spans(&t, text);
    }
}

#[test]
fn nodes_carry_the_span_of_their_text() {
    let text = "forall p in Proc: always (req[p] implies eventually served[p])";
    let t = temporal(text);
    let s = |sp: dcheck_syntax::span::Span| &text[sp.start as usize..sp.end as usize];
    assert_eq!(s(t.span), text);
    let TemporalKind::Forall(bs, body) = &t.kind else {
        panic!()
    };
    assert_eq!(s(bs[0].span), "p in Proc");
    assert_eq!(s(body.span), "always (req[p] implies eventually served[p])");
    let TemporalKind::Always(imp) = &body.kind else {
        panic!()
    };
    assert_eq!(s(imp.span), "(req[p] implies eventually served[p])");
    let TemporalKind::Implies(a, b) = &imp.kind else {
        panic!()
    };
    assert_eq!(s(a.span), "req[p]");
    assert_eq!(s(b.span), "eventually served[p]");
    // a combined predicate spans both sides
    let text = "a == 1 implies b";
    let t = temporal(text);
    let TemporalKind::Pred(e) = &t.kind else {
        panic!()
    };
    assert_eq!(
        &text[e.span.start as usize..e.span.end as usize],
        "a == 1 implies b"
    );
    assert!(matches!(e.kind, ExprKind::Binary(BinOp::Implies, _, _)));
}

#[test]
fn fairness_assumptions_parse() {
    let cases = [
        ("weak Tick", "weak {Tick}"),
        ("strong Enter", "strong {Enter}"),
        ("weak each Enter", "weak each {Enter}"),
        (
            "forall p in Proc: weak Enter(p)",
            "forall p in Proc: weak {Enter(p)}",
        ),
        ("weak {Send, Receive(_, 2)}", "weak {Send, Receive(_, 2)}"),
        ("weak delivery", "weak {delivery}"),
        ("weak processes", "weak {processes}"),
        ("strong each {A, B}", "strong each {A, B}"),
        ("weak {A, B,}", "weak {A, B}"),
        (
            "forall p in Proc, v in 0..2: strong each {Put(p, v + 1), Get(_)}",
            "forall p in Proc, v in 0..2: strong each {Put(p, (v + 1)), Get(_)}",
        ),
        ("weak A()", "weak {A()}"),
        // `each` alone is an action name
        ("weak each", "weak {each}"),
    ];
    for (text, want) in cases {
        let f = match parse_fairness(FileId(0), text) {
            Ok(f) => f,
            Err(ds) => panic!("`{text}` does not parse: {ds:#?}"),
        };
        assert_eq!(show_fairness(&f), want, "parsing `{text}`");
        assert_eq!((f.span.start, f.span.end as usize), (0, text.len()));
    }
    let text = "weak {Send, Receive(_, 2)}";
    let f = parse_fairness(FileId(0), text).unwrap();
    let t = &f.targets[1];
    assert_eq!(
        &text[t.span.start as usize..t.span.end as usize],
        "Receive(_, 2)"
    );
    assert_eq!(
        &text[t.name.span.start as usize..t.name.span.end as usize],
        "Receive"
    );
    let args = t.args.as_ref().unwrap();
    assert!(args[0].is_none());
    assert!(matches!(args[1].as_ref().unwrap().kind, ExprKind::Int(2)));
}

// ------------------------------------------------------------ errors

fn rendered(name: &str, text: &str, ds: &[Diagnostic]) -> String {
    let mut src = SourceMap::default();
    src.add(name.to_string(), text.to_string());
    render(&src, ds, false)
}

fn temporal_errors(text: &str) -> Vec<Diagnostic> {
    match parse_temporal(FileId(0), text) {
        Ok(t) => panic!("`{text}` should not parse: {}", show(&t)),
        Err(ds) => ds,
    }
}

fn fairness_errors(text: &str) -> Vec<Diagnostic> {
    match parse_fairness(FileId(0), text) {
        Ok(f) => panic!("`{text}` should not parse: {}", show_fairness(&f)),
        Err(ds) => ds,
    }
}

#[test]
fn temporal_formula_errors() {
    let cases = [
        ("tla_eventually", "<> done"),
        ("tla_always", "[] (x < 3)"),
        ("tla_leads_to", "p ~> q"),
        ("empty", ""),
        ("unclosed_group", "always (p leads_to q"),
        ("dangling_leads_to", "p leads_to"),
    ];
    let mut out = String::new();
    for (name, text) in cases {
        let ds = temporal_errors(text);
        for d in &ds {
            assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        }
        out += &format!("--- {name}: `{text}`\n{}\n", rendered("prop", text, &ds));
    }
    insta::assert_snapshot!("temporal_errors", out);
}

#[test]
fn fairness_errors_have_help() {
    let ds = fairness_errors("fair delivery");
    assert_eq!(ds.len(), 1);
    assert_eq!(at_text("fair delivery", &ds[0]), "fair");
    assert_eq!(
        ds[0].help.as_deref(),
        Some("start a fairness assumption with `weak` or `strong`, e.g. `weak Tick`")
    );
    let cases = [
        ("no_kind", "fair delivery"),
        ("no_kind_after_forall", "forall p in Proc: Enter(p)"),
        ("no_target", "weak"),
        ("empty_group", "weak {}"),
        ("unclosed_args", "weak Send(_, "),
        ("two_targets", "weak Tick and Tock"),
        ("kind_twice", "weak strong Tick"),
        ("bad_group", "weak {A B}"),
    ];
    let mut out = String::new();
    for (name, text) in cases {
        let ds = fairness_errors(text);
        for d in &ds {
            assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        }
        out += &format!(
            "--- {name}: `{text}`\n{}\n",
            rendered("fairness", text, &ds)
        );
    }
    insta::assert_snapshot!("fairness_errors", out);
}

fn at_text<'a>(text: &'a str, d: &Diagnostic) -> &'a str {
    &text[d.span.start as usize..d.span.end as usize]
}

#[test]
fn temporal_keywords_outside_properties_are_errors() {
    let text = r#"(name: "M", vars: [(name: "x", type: "0..3")], init: (effect: "x = 0;"),
  actions: [ (name: "A", guard: "eventually x == 1", effect: "x = 1;") ],
  invariants: [ (name: "I", expr: "x == 0 leads_to x == 1"),
                (name: "J", expr: "always x < 3") ])"#;
    let (src, ds) = errors("kw.ron", text);
    assert_eq!(ds.len(), 3, "{ds:#?}");
    let words: Vec<_> = ds.iter().map(|d| at(&src, d.span)).collect();
    assert_eq!(words, ["eventually", "leads_to", "always"]);
    assert!(ds
        .iter()
        .all(|d| d.help.as_deref() == Some(TEMPORAL_ONLY_HELP)));
    insta::assert_snapshot!("keywords_outside_properties", render(&src, &ds, false));
    // and they are not names
    let (src, ds) = errors(
        "kw2.ron",
        r#"(name: "M", vars: [(name: "x", type: "0..3")], init: (effect: "let always = 1; x = always;"))"#,
    );
    assert_eq!(at(&src, ds[0].span), "always");
}

// ------------------------------------------------------------ loading

#[test]
fn properties_and_fairness_load_with_spans() {
    let (src, spec) = load_spec(&fixture("live.ron")).unwrap();
    let names: Vec<_> = spec
        .properties
        .iter()
        .map(|p| p.name.name.as_str())
        .collect();
    assert_eq!(names, ["Progress", "Reach", "Unfair"]);
    let [progress, reach, unfair] = &spec.properties[..] else {
        panic!()
    };
    assert_eq!(show(&progress.formula), "always eventually {(x == 3)}");
    assert_eq!(at(&src, progress.formula.span), "always eventually x == 3");
    assert_eq!(progress.doc, "x keeps reaching 3");
    assert!(progress.fairness.is_none());
    // fields in another order: the doc, then fairness, then the formula
    assert_eq!(reach.doc, "reaches 3");
    assert_eq!(at(&src, reach.formula.span), "eventually x == 3");
    let own: Vec<_> = reach
        .fairness
        .as_ref()
        .unwrap()
        .iter()
        .map(show_fairness)
        .collect();
    assert_eq!(own, ["weak {Tick}", "forall v in 0..2: strong {Reset(v)}"]);
    let f = &reach.fairness.as_ref().unwrap()[1];
    assert_eq!(at(&src, f.span), "forall v in 0..2: strong Reset(v)");
    assert_eq!(at(&src, f.targets[0].span), "Reset(v)");
    assert_eq!(show(&unfair.formula), "[{(x == 0)} leads_to {(x == 1)}]");
    assert_eq!(unfair.fairness.as_ref().map(Vec::len), Some(0));
    // spec-level fairness; `weak Tick` also occurs in Reach's list, earlier
    let spec_level: Vec<_> = spec.fairness.iter().map(show_fairness).collect();
    assert_eq!(spec_level, ["weak {Tick}", "strong each {Tick, Reset(_)}"]);
    let own_tick = reach.fairness.as_ref().unwrap()[0].span;
    let spec_tick = spec.fairness[0].span;
    assert_eq!(at(&src, spec_tick), "weak Tick");
    assert!(spec_tick.start > own_tick.start);
    assert_eq!(at(&src, spec.fairness[1].targets[1].span), "Reset(_)");
}

#[test]
fn extends_merges_properties_and_replaces_fairness() {
    let (src, spec) = load_spec(&fixture("live_ext.ron")).unwrap();
    let names: Vec<_> = spec
        .properties
        .iter()
        .map(|p| p.name.name.as_str())
        .collect();
    assert_eq!(names, ["Progress", "Reach", "Unfair", "Extra"]);
    assert_eq!(
        show(&spec.properties[1].formula),
        "eventually always {(x == 3)}"
    );
    assert!(src
        .file(spec.properties[1].name.span.file)
        .name
        .ends_with("live_ext.ron"));
    // the replacing `Reach` has no fairness of its own
    assert!(spec.properties[1].fairness.is_none());
    assert_eq!(
        show(&spec.properties[3].formula),
        "[forall v in 0..3: always [{(x == v)} implies eventually {(x != v)}]]"
    );
    let fair: Vec<_> = spec.fairness.iter().map(show_fairness).collect();
    assert_eq!(fair, ["weak {Reset}"]);

    // no `fairness` field: the base's list is kept; `fairness: []` clears it
    let path = fixture("inline.ron");
    let name = path.to_str().unwrap();
    let (_, keep) = load_spec_str(name, r#"(extends: "live.ron", name: "Keep")"#).unwrap();
    assert_eq!(keep.fairness.len(), 2);
    assert_eq!(keep.properties.len(), 3);
    let (_, none) =
        load_spec_str(name, r#"(extends: "live.ron", name: "None", fairness: [])"#).unwrap();
    assert!(none.fairness.is_empty());
}

#[test]
fn property_errors_are_all_reported() {
    let text = r#"(name: "M", vars: [(name: "x", type: "0..3")], init: (effect: "x = 0;"),
  properties: [
    (name: "P", expr: "always"),
    (name: "P", expr: "eventually x == 1", fairness: ["weak", "Tick"]),
    (name: "Q", expr: "x == 1", fairnes: []),
  ],
  fairness: ["strong {}"],
)"#;
    let (src, ds) = errors("props.ron", text);
    // `fairnes` is a RON error: the file stops there
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(at(&src, ds[0].span), "fairnes");
    assert_eq!(ds[0].message, "unknown field `fairnes` in a property");
    let text = text.replace("fairnes:", "doc: \"\", fairness:");
    let (src, ds) = errors("props.ron", &text);
    let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(ds.len(), 5, "{msgs:#?}");
    assert!(msgs.contains(&"duplicate property `P`"));
    insta::assert_snapshot!("property_errors", render(&src, &ds, false));
}
