//! Parser tests: precedence, body extent of binders, disambiguation of the
//! bracket forms, statements, and error reporting. ASTs are compared through
//! a compact S-expression printer.

use dcheck_syntax::ast::*;
use dcheck_syntax::parser::{parse_block, parse_expr, parse_params, parse_type};
use dcheck_syntax::span::FileId;

fn pattern(parts: &PayloadPattern) -> String {
    let names: Vec<&str> = parts
        .iter()
        .map(|p| p.as_ref().map_or("_", |i| i.name.as_str()))
        .collect();
    format!("({})", names.join(" "))
}

fn binder(b: &Binder) -> String {
    let pat = b.pattern.as_ref().map(pattern).unwrap_or_default();
    format!("{}{pat} in {}", b.name.name, ex(&b.domain))
}

fn ex(e: &Expr) -> String {
    use ExprKind::*;
    let list = |v: &[Expr]| v.iter().map(ex).collect::<Vec<_>>().join(" ");
    match &e.kind {
        Bool(b) => b.to_string(),
        Int(i) => i.to_string(),
        Name(n) => n.name.clone(),
        Call(f, a) => format!("(call {} {})", f.name, list(a)),
        Field(b, f) => format!("(. {} {})", ex(b), f.name),
        TupleField(b, i) => format!("(. {} {i})", ex(b)),
        Index(b, i) => format!("([] {} {})", ex(b), ex(i)),
        Unary(op, x) => format!("({op:?} {})", ex(x)),
        Binary(op, a, b) => format!("({op:?} {} {})", ex(a), ex(b)),
        If(c, a, b) => format!("(if {} {} {})", ex(c), ex(a), ex(b)),
        Let(x, v, b) => format!("(let {} {} {})", x.name, ex(v), ex(b)),
        Quant(q, bs, b) => format!(
            "({q:?} [{}] {})",
            bs.iter().map(binder).collect::<Vec<_>>().join(", "),
            ex(b)
        ),
        SetLit(v) => format!("(set {})", list(v)),
        SeqLit(v) => format!("(seq {})", list(v)),
        TupleLit(v) => format!("(tuple {})", list(v)),
        RecordLit(fs) => format!(
            "(record {})",
            fs.iter()
                .map(|(f, e)| format!("{}={}", f.name, ex(e)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        MapLit(b, e) => format!("(map [{}] {})", binder(b), ex(e)),
        Choose(b, e) => format!("(choose [{}] {})", binder(b), ex(e)),
        SetComp(e, bs, c) => format!(
            "(comp {} [{}]{})",
            ex(e),
            bs.iter().map(binder).collect::<Vec<_>>().join(", "),
            c.as_ref()
                .map(|c| format!(" if {}", ex(c)))
                .unwrap_or_default()
        ),
        Range(a, b) => format!("(.. {} {})", ex(a), ex(b)),
        Match(e, arms) => {
            let arms: Vec<String> = arms
                .iter()
                .map(|a| {
                    let v = a.variant.as_ref().map_or("_", |i| i.name.as_str());
                    let pat = a.parts.as_ref().map(pattern).unwrap_or_default();
                    format!("{v}{pat} => {}", ex(&a.body))
                })
                .collect();
            format!("(match {} [{}])", ex(e), arms.join(", "))
        }
    }
}

fn ty(t: &TypeExpr) -> String {
    use TypeKind::*;
    match &t.kind {
        Bool => "bool".into(),
        Range(a, b) => format!("(.. {} {})", ex(a), ex(b)),
        Named(n) => n.name.clone(),
        Enum(vs) => format!(
            "(enum {})",
            vs.iter()
                .map(|v| if v.payload.is_empty() {
                    v.name.name.clone()
                } else {
                    format!(
                        "{}({})",
                        v.name.name,
                        v.payload.iter().map(ty).collect::<Vec<_>>().join(" ")
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Record(fs) => format!(
            "(record {})",
            fs.iter()
                .map(|(f, t)| format!("{}:{}", f.name, ty(t)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Tuple(ts) => format!(
            "(tuple {})",
            ts.iter().map(ty).collect::<Vec<_>>().join(" ")
        ),
        Map(k, v) => format!("(map {} {})", ty(k), ty(v)),
        Set(t) => format!("(set {})", ty(t)),
        Multiset(t, m) => format!("(multiset {} {})", ty(t), ex(m)),
        BoundedSet(t, c) => format!("(set {} {})", ty(t), ex(c)),
        Bag(t, c) => format!("(bag {} {})", ty(t), ex(c)),
        Seq(t, l) => format!("(seq {} {})", ty(t), ex(l)),
    }
}

fn block(b: &Block) -> String {
    b.stmts.iter().map(stmt).collect::<Vec<_>>().join(" ")
}

fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Assign(p, e) => format!("(= {} {})", ex(p), ex(e)),
        StmtKind::Let(x, e) => format!("(let {} {})", x.name, ex(e)),
        StmtKind::If(c, t, e) => format!(
            "(if {} {{{}}}{})",
            ex(c),
            block(t),
            e.as_ref()
                .map(|e| format!(" else {{{}}}", block(e)))
                .unwrap_or_default()
        ),
        StmtKind::Require(e) => format!("(require {})", ex(e)),
        StmtKind::For(bs, b) => format!(
            "(for [{}] {{{}}})",
            bs.iter().map(binder).collect::<Vec<_>>().join(", "),
            block(b)
        ),
        StmtKind::Either(bs) => format!(
            "(either {})",
            bs.iter()
                .map(|b| format!("{{{}}}", block(b)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        StmtKind::With(bs, b) => format!(
            "(with [{}] {{{}}})",
            bs.iter().map(binder).collect::<Vec<_>>().join(", "),
            block(b)
        ),
        StmtKind::Call(f, a) => format!(
            "({} {})",
            f.name,
            a.iter().map(ex).collect::<Vec<_>>().join(" ")
        ),
    }
}

fn e(s: &str) -> String {
    match parse_expr(FileId(0), s) {
        Ok(e) => ex(&e),
        Err(d) => panic!("parse error in {s:?}: {d:?}"),
    }
}

fn err(s: &str) -> Vec<dcheck_syntax::diag::Diagnostic> {
    match parse_expr(FileId(0), s) {
        Ok(e) => panic!("{s:?} should not parse, got {}", ex(&e)),
        Err(d) => d,
    }
}

fn b(s: &str) -> String {
    match parse_block(FileId(0), s) {
        Ok(b) => block(&b),
        Err(d) => panic!("parse error in {s:?}: {d:?}"),
    }
}

#[test]
fn boolean_precedence() {
    assert_eq!(e("a or b and c"), "(Or a (And b c))");
    assert_eq!(e("a and b or c"), "(Or (And a b) c)");
    assert_eq!(e("not a == b"), "(Not (Eq a b))");
    assert_eq!(e("not a and b"), "(And (Not a) b)");
    assert_eq!(e("!a || b && c"), "(Or (Not a) (And b c))");
    assert_eq!(e("a implies b implies c"), "(Implies a (Implies b c))");
    assert_eq!(e("a => b or c"), "(Implies a (Or b c))");
}

#[test]
fn arithmetic_and_set_precedence() {
    assert_eq!(e("1 + 2 * 3"), "(Add 1 (Mul 2 3))");
    assert_eq!(e("1 - 2 - 3"), "(Sub (Sub 1 2) 3)");
    assert_eq!(e("-a * b"), "(Mul (Neg a) b)");
    assert_eq!(e("- a.f"), "(Neg (. a f))");
    assert_eq!(e("S union T intersect U"), "(Union S (Intersect T U))");
    assert_eq!(e("s ++ t minus u"), "(Minus (Concat s t) u)");
    assert_eq!(e("x in 1..3"), "(In x (.. 1 3))");
    assert_eq!(e("x in 1..N+1"), "(In x (.. 1 (Add N 1)))");
    assert_eq!(
        e("S subseteq T and x notin S"),
        "(And (Subseteq S T) (NotIn x S))"
    );
    assert_eq!(e("a % b / c"), "(Div (Mod a b) c)");
}

#[test]
fn comparisons_do_not_chain() {
    let d = err("a < b < c");
    assert!(d[0].message.contains("cannot be chained"), "{:?}", d[0]);
    assert_eq!(d[0].span.start, 6);
    assert_eq!(e("(a < b) == c"), "(Eq (Lt a b) c)");
}

#[test]
fn binder_bodies_extend_right() {
    assert_eq!(e("forall x in S: p and q"), "(Forall [x in S] (And p q))");
    assert_eq!(
        e("a and forall x in S, y in T: p or q"),
        "(And a (Forall [x in S, y in T] (Or p q)))"
    );
    assert_eq!(
        e("exists r in RM: rmState[r] == aborted"),
        "(Exists [r in RM] (Eq ([] rmState r) aborted))"
    );
    assert_eq!(e("if c then a else b + 1"), "(if c a (Add b 1))");
    assert_eq!(
        e("if a then if b then 1 else 2 else 3"),
        "(if a (if b 1 2) 3)"
    );
    assert_eq!(e("let x = y in z in S and p"), "(let x y (And (In z S) p))");
    assert_eq!(e("let x = (a in S) in x"), "(let x (In a S) x)");
}

#[test]
fn bracket_forms() {
    assert_eq!(e("{}"), "(set )");
    assert_eq!(e("{a, b}"), "(set a b)");
    assert_eq!(e("{a}"), "(set a)");
    assert_eq!(e("{ f: 1, g: x }"), "(record f=1 g=x)");
    assert_eq!(
        e("{ x + 1 for x in S, y in T if x < y }"),
        "(comp (Add x 1) [x in S, y in T] if (Lt x y))"
    );
    assert_eq!(e("{ x for x in 1..3 }"), "(comp x [x in (.. 1 3)])");
    assert_eq!(e("[]"), "(seq )");
    assert_eq!(e("[a, b]"), "(seq a b)");
    assert_eq!(e("[x in S]"), "(seq (In x S))");
    assert_eq!(e("[r in RM |-> working]"), "(map [r in RM] working)");
    assert_eq!(
        e("[i in 1..N |-> i * 2]"),
        "(map [i in (.. 1 N)] (Mul i 2))"
    );
    assert_eq!(e("(a)"), "a");
    assert_eq!(e("(a, b, c)"), "(tuple a b c)");
    assert_eq!(e("t.0.1"), "(. (. t 0) 1)");
    assert_eq!(e("RMState.working"), "(. RMState working)");
    assert_eq!(e("log[p][i].term"), "(. ([] ([] log p) i) term)");
    assert_eq!(e("Prepared(r)"), "(call Prepared r)");
    assert_eq!(e("max(a, b) + len(s)"), "(Add (call max a b) (call len s))");
    assert_eq!(e("f()"), "(call f )");
}

#[test]
fn expression_errors() {
    assert!(err("a +")
        .iter()
        .any(|d| d.message.contains("expected an expression")));
    assert!(err("[1 + 2 |-> 3]")[0].message.contains("before `|->`"));
    assert!(err("a = b")[0].help.as_deref().unwrap_or("").contains("=="));
    assert!(err("(a.b)(c)")[0].message.contains("only a name"));
    let d = err("x ≠ y");
    assert_eq!((d[0].span.start, d[0].span.end), (2, 5));
    assert!(err("99999999999999999999")[0].message.contains("too large"));
    assert!(!err("").is_empty());
    // deep nesting is an error, not a stack overflow
    let deep = "(".repeat(5000) + "1" + &")".repeat(5000);
    assert!(err(&deep)[0].message.contains("nested too deeply"));
}

#[test]
fn types() {
    let t = |s: &str| ty(&parse_type(FileId(0), s).unwrap());
    assert_eq!(t("bool"), "bool");
    assert_eq!(t("1..N"), "(.. 1 N)");
    assert_eq!(t("0..N-1"), "(.. 0 (Sub N 1))");
    assert_eq!(t("RM"), "RM");
    assert_eq!(
        t("enum { Prepared(RM), Commit, Abort }"),
        "(enum Prepared(RM) Commit Abort)"
    );
    assert_eq!(
        t("{ term: 0..3, ok: bool }"),
        "(record term:(.. 0 3) ok:bool)"
    );
    assert_eq!(t("(RM, bool)"), "(tuple RM bool)");
    assert_eq!(t("[RM -> set<Msg>]"), "(map RM (set Msg))");
    assert_eq!(t("multiset<Msg, 2>"), "(multiset Msg 2)");
    assert_eq!(t("set<Msg, N + 1>"), "(set Msg (Add N 1))");
    assert_eq!(t("bag<(P, P, Msg), 8>"), "(bag (tuple P P Msg) 8)");
    assert_eq!(t("seq<0..3, N>"), "(seq (.. 0 3) N)");
    assert!(parse_type(FileId(0), "seq<bool>").is_err());
    assert!(parse_type(FileId(0), "1 + 2").is_err());
    assert!(parse_type(FileId(0), "enum {}").is_err());
}

#[test]
fn params() {
    assert!(parse_params(FileId(0), "").unwrap().is_empty());
    assert!(parse_params(FileId(0), "  // nothing\n")
        .unwrap()
        .is_empty());
    let ps = parse_params(FileId(0), "r: RM, v: 0..3").unwrap();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0].name.name, "r");
    assert_eq!(ty(&ps[1].ty), "(.. 0 3)");
    assert_eq!((ps[1].name.span.start, ps[1].name.span.end), (7, 8));
    assert!(parse_params(FileId(0), "r RM").is_err());
}

#[test]
fn statements() {
    assert_eq!(b(""), "");
    assert_eq!(b("log[p][i].term = t;"), "(= (. ([] ([] log p) i) term) t)");
    assert_eq!(b("t.0 = 1; x = x + 1;"), "(= (. t 0) 1) (= x (Add x 1))");
    assert_eq!(
        b("rmState[r] = prepared; insert(msgs, Prepared(r));"),
        "(= ([] rmState r) prepared) (insert msgs (call Prepared r))"
    );
    assert_eq!(
        b("remove(m, x); append(s[1], 2);"),
        "(remove m x) (append ([] s 1) 2)"
    );
    assert_eq!(
        b("let y = x in S; require y;"),
        "(let y (In x S)) (require y)"
    );
    assert_eq!(
        b("if a { x = 1; } else if b { x = 2; } else { x = 3; }"),
        "(if a {(= x 1)} else {(if b {(= x 2)} else {(= x 3)})})"
    );
    assert_eq!(b("if a { } x = 1;"), "(if a {}) (= x 1)");
    assert_eq!(
        b("for r in RM, v in 1..2 { if r in S { x[r] = v; } }"),
        "(for [r in RM, v in (.. 1 2)] {(if (In r S) {(= ([] x r) v)})})"
    );
    assert_eq!(
        b("either { x = 1; } or { require a; } or { } y = 2;"),
        "(either {(= x 1)} {(require a)} {}) (= y 2)"
    );
    assert_eq!(
        b("with m in msgs, v in 1..2 { x = v; }"),
        "(with [m in msgs, v in (.. 1 2)] {(= x v)})"
    );
    // Elsewhere the words are names: an assignment, a call, a value.
    assert_eq!(b("with = either;"), "(= with either)");
    assert_eq!(b("either[1] = 2;"), "(= ([] either 1) 2)");
}

#[test]
fn statement_errors_are_all_reported() {
    let ds = parse_block(FileId(0), "x = ; y == 1; f(a) = 2; insert(s, 1) ; z = 1").unwrap_err();
    let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(ds.len(), 4, "{msgs:?}");
    assert!(msgs[0].contains("expected an expression"));
    assert!(msgs[1].contains("expected a statement"));
    assert!(ds[1].help.as_deref().unwrap().contains("place = e"));
    assert!(msgs[2].contains("cannot assign"));
    // `insert(s, 1) ;` is fine; the last statement lacks `;`
    assert!(msgs[3].contains("expected `;`"));
    let ds = parse_block(FileId(0), "x = 1").unwrap_err();
    assert!(ds[0].message.contains("expected `;`"));
    assert_eq!((ds[0].span.start, ds[0].span.end), (5, 5));
    let ds = parse_block(FileId(0), "insert(1, 2); if a { x = ; } y = 2; }").unwrap_err();
    assert_eq!(ds.len(), 3, "{ds:?}");
    assert!(ds[0].message.contains("must be a place"));
    assert!(ds[2].message.contains("unmatched"));
}

#[test]
fn keyword_as_name_gets_a_hint() {
    let ds = parse_params(FileId(0), "set: RM").unwrap_err();
    assert!(ds[0].help.as_deref().unwrap_or("").contains("keyword"));
    let ds = parse_params(FileId(0), "(: RM").unwrap_err();
    assert!(ds[0].help.is_none());
}

/// Each TLA+ operator a TLA+ user types by habit gets a spanned error
/// that names it and gives the dcheck form (issue: TLA+ users).
#[test]
fn tla_operators_get_the_dcheck_form() {
    for (src, op, says) in [
        ("a /\\ b", "/\\", "`and`"),
        ("a \\/ b", "\\/", "`or`"),
        ("x \\in S", "\\in", "`in`"),
        ("x \\notin S", "\\notin", "`notin`"),
        ("\\A x \\in S: p", "\\A", "`forall x in S: P`"),
        ("\\E x \\in S: p", "\\E", "`exists x in S: P`"),
        ("x /= 1", "/=", "`!=`"),
        ("x # 1", "#", "`!=`"),
        ("x' == 1", "x'", "`x = e;`"),
        ("x == TRUE", "TRUE", "`true`"),
        ("x == FALSE", "FALSE", "`false`"),
        ("CHOOSE x \\in S: p", "CHOOSE", "`choose x in S: P`"),
        ("[f EXCEPT ![1] = 2]", "EXCEPT", "`f[k] = v;`"),
    ] {
        let ds = err(src);
        let d = ds
            .iter()
            .find(|d| d.message == format!("`{op}` is TLA+, not dcheck"))
            .unwrap_or_else(|| panic!("{src:?}: {ds:?}"));
        let help = d.help.as_deref().unwrap_or("");
        assert!(help.contains(says), "{src:?}: {help}");
        let at = src.find(op).expect("op in source");
        assert_eq!(
            (d.span.start as usize, d.span.end as usize),
            (at, at + op.len()),
            "{src:?}"
        );
    }
    // UNCHANGED is a statement habit.
    let ds = parse_block(FileId(0), "UNCHANGED x;").unwrap_err();
    assert!(
        ds.iter().any(|d| d.message.contains("`UNCHANGED` is TLA+")
            && d.help.as_deref().unwrap_or("").contains("keeps its value")),
        "{ds:?}"
    );
    // `==` where an effect assigns.
    let ds = parse_block(FileId(0), "x == 1;").unwrap_err();
    assert!(
        ds[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("`==` compares"),
        "{ds:?}"
    );
}
