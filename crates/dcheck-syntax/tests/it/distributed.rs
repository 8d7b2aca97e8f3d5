//! The message-passing sections (`roles`, `messages`, `network`, `faults`,
//! `steps`, `handlers`): exact spans, the `on` / `from` patterns, `extends`
//! and duplicate names.

use dcheck_syntax::ast::ExprKind;
use dcheck_syntax::parser::{parse_from_pattern, parse_on_pattern};
use dcheck_syntax::span::FileId;
use dcheck_syntax::{load_spec, load_spec_str, render};

use crate::support;

use support::{at, errors, fixture};

/// A minimal spec followed by `extra` fields.
fn spec(extra: &str) -> String {
    format!("(name: \"M\", vars: [], init: (),\n{extra})")
}

#[test]
fn message_passing_fixture_loads_with_exact_spans() {
    let (src, spec) = load_spec(&fixture("twophase_msgs.ron")).unwrap();
    let d = &spec.distributed;

    // roles
    let roles: Vec<_> = d.roles.iter().map(|r| r.name.name.as_str()).collect();
    assert_eq!(roles, ["TM", "RM"]);
    let rm = &d.roles[1];
    assert_eq!(at(&src, rm.name.span), "RM");
    assert_eq!(at(&src, rm.count.span), "N");
    assert!(matches!(&rm.count.kind, ExprKind::Name(n) if n.name == "N"));
    assert_eq!(at(&src, d.roles[0].count.span), "1");
    assert_eq!(d.roles[0].doc, "the transaction manager");
    let tm_prepared = &d.roles[0].vars[1];
    assert_eq!(at(&src, tm_prepared.name.span), "tmPrepared");
    assert_eq!(at(&src, tm_prepared.ty.span), "set<RM>");
    assert!(tm_prepared.persistent);
    assert_eq!(tm_prepared.doc, "who said Prepared");
    assert!(!d.roles[0].vars[0].persistent);
    assert!(rm.vars[0].persistent);
    assert_eq!(at(&src, rm.vars[1].ty.span), "0..2");

    // messages
    let msgs: Vec<_> = d.messages.iter().map(|m| m.name.name.as_str()).collect();
    assert_eq!(msgs, ["Prepared", "Commit", "Abort", "Promise"]);
    assert!(d.messages[0].fields.is_empty());
    assert_eq!(d.messages[2].doc, "the TM gave up");
    let promise = &d.messages[3];
    assert_eq!(promise.fields.len(), 2);
    assert_eq!(at(&src, promise.fields[1].name.span), "v");
    assert_eq!(at(&src, promise.fields[1].ty.span), "0..2");

    // network and faults
    let net = d.network.as_ref().unwrap();
    assert_eq!(net.delivery.name, "unordered");
    assert_eq!(at(&src, net.delivery.span), "unordered");
    assert!(net.duplicating);
    assert!(!net.lossy);
    assert!(matches!(net.capacity.kind, ExprKind::Int(8)));
    assert_eq!(at(&src, net.capacity.span), "8");
    assert!(at(&src, net.span).starts_with("network: (delivery"));
    assert!(at(&src, net.span).ends_with("capacity: \"8\")"));
    let faults = d.faults.as_ref().unwrap();
    assert_eq!(
        (
            int(&faults.crash),
            int(&faults.recover),
            int(&faults.byzantine)
        ),
        (1, 0, 0)
    );
    assert_eq!(faults.roles.len(), 1);
    assert_eq!(at(&src, faults.roles[0].span), "TM");
    assert_eq!(
        at(&src, faults.span),
        r#"faults: (crash: 1, recover: 0, byzantine: 0, roles: ["TM"])"#
    );

    // steps
    let steps: Vec<_> = d
        .steps
        .iter()
        .map(|s| (s.role.name.as_str(), s.name.name.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("RM", "Prepare"),
            ("RM", "ChooseToAbort"),
            ("TM", "Commit"),
            ("TM", "Abort")
        ]
    );
    let commit = &d.steps[2];
    assert_eq!(at(&src, commit.role.span), "TM");
    assert_eq!(
        at(&src, commit.guard.as_ref().unwrap().span),
        "tmState == init and tmPrepared == { r for r in RM }"
    );
    assert_eq!(
        at(&src, d.steps[0].effect.stmts[1].span),
        "send(TM(1), Prepared);"
    );
    assert!(d.steps[0].params.is_empty());

    // handlers
    assert_eq!(d.handlers.len(), 4);
    let prepared = &d.handlers[0];
    assert_eq!(at(&src, prepared.on.span), "Prepared");
    assert!(prepared.bind.is_empty());
    let from = prepared.from.as_ref().unwrap();
    assert_eq!(at(&src, from.role.as_ref().unwrap().span), "RM");
    assert_eq!(at(&src, from.name.span), "r");
    assert_eq!(from.name.name, "r");
    assert!(at(&src, prepared.span).starts_with("(role: \"TM\", on: \"Prepared\""));
    assert!(at(&src, prepared.span).ends_with("effect: \"insert(tmPrepared, r);\")"));
    assert!(d.handlers[1].from.is_none());
    let p = d.handlers[2].from.as_ref().unwrap();
    assert!(p.role.is_none());
    assert_eq!(at(&src, p.name.span), "p");

    let promise = &d.handlers[3];
    assert_eq!(promise.on.name, "Promise");
    assert_eq!(at(&src, promise.on.span), "Promise");
    let bind: Vec<_> = promise.bind.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(bind, ["b", "v"]);
    assert_eq!(at(&src, promise.bind[0].span), "b");
    assert_eq!(at(&src, promise.bind[1].span), "v");
    // `b` of the pattern, not the `b` of `role` or `by` elsewhere
    let text = &src.file(promise.on.span.file).text;
    assert_eq!(
        promise.bind[0].span.start as usize,
        text.find("Promise( b").unwrap() + "Promise( ".len()
    );
    assert_eq!(at(&src, promise.from.as_ref().unwrap().name.span), "t");
    assert_eq!(
        at(&src, promise.guard.as_ref().unwrap().span),
        "b > promised"
    );
    assert_eq!(at(&src, promise.effect.stmts[0].span), "promised = b;");
    assert_eq!(promise.doc, "a payload handler");
}

#[test]
fn spec_without_roles_has_empty_sections() {
    let (_, spec) = load_spec(&fixture("twophase.ron")).unwrap();
    let d = &spec.distributed;
    assert!(d.roles.is_empty() && d.messages.is_empty());
    assert!(d.steps.is_empty() && d.handlers.is_empty());
    assert!(d.network.is_none() && d.faults.is_none());
}

#[test]
fn integers_for_count_and_capacity_and_defaults() {
    let text = spec(
        "roles: [ (name: \"A\", count: 4) ],\n network: (capacity: 12), faults: (),\n \
         handlers: [ (role: \"A\", on: \"M\") ]",
    );
    let (src, spec) = load_spec_str("ints.ron", &text).unwrap();
    let d = &spec.distributed;
    assert!(matches!(d.roles[0].count.kind, ExprKind::Int(4)));
    assert_eq!(at(&src, d.roles[0].count.span), "4");
    assert!(d.roles[0].vars.is_empty());
    let net = d.network.as_ref().unwrap();
    assert!(matches!(net.capacity.kind, ExprKind::Int(12)));
    assert_eq!(at(&src, net.capacity.span), "12");
    assert_eq!(net.delivery.name, "unordered");
    assert!(!net.duplicating && !net.lossy);
    let f = d.faults.as_ref().unwrap();
    assert_eq!(
        (int(&f.crash), int(&f.recover), int(&f.byzantine)),
        (0, 0, 0)
    );
    assert!(f.roles.is_empty());
    assert_eq!(at(&src, f.span), "faults: ()");
    let h = &d.handlers[0];
    assert!(h.from.is_none() && h.guard.is_none() && h.bind.is_empty());
    assert!(h.effect.stmts.is_empty());
}

#[test]
fn malformed_on_patterns_are_spanned() {
    let cases = [
        ("Promise(b, v", "", "expected `,` or `)`"),
        ("Promise(b v)", "v", "expected `,` or `)`"),
        ("Promise(1)", "1", "expected a name for a message field"),
        ("Promise(b, b)", "b", "bound twice"),
        ("", "", "expected a message name"),
        ("Promise x", "x", "unexpected identifier `x`"),
        ("(b)", "(", "expected a message name"),
    ];
    for (pat, under, msg) in cases {
        let text = spec(&format!("handlers: [ (role: \"R\", on: \"{pat}\") ]"));
        let (src, ds) = errors("on.ron", &text);
        assert_eq!(ds.len(), 1, "{pat}: {ds:?}");
        let d = &ds[0];
        assert!(
            d.message.starts_with("malformed `on` pattern"),
            "{pat}: {}",
            d.message
        );
        assert!(d.message.contains(msg), "{pat}: {}", d.message);
        assert!(d.help.is_some(), "{pat}");
        assert_eq!(at(&src, d.span), under, "{pat}");
        // inside the `on` string
        let start = text.find("on: \"").unwrap() + 5;
        assert!(
            (start..=start + pat.len()).contains(&(d.span.start as usize)),
            "{pat}: {:?}",
            d.span
        );
    }
}

#[test]
fn malformed_from_patterns_are_spanned() {
    let cases = [
        ("RM(r", "", "expected `)`"),
        ("RM(r, s)", ",", "expected `)`"),
        ("RM()", ")", "expected a name for the sender's id"),
        ("RM(r) x", "x", "unexpected identifier `x`"),
        ("3", "3", "expected a name for the sender, or a role name"),
        ("in", "in", "expected a name for the sender"),
    ];
    for (pat, under, msg) in cases {
        let text = spec(&format!(
            "handlers: [ (role: \"R\", on: \"M\", from: \"{pat}\") ]"
        ));
        let (src, ds) = errors("from.ron", &text);
        assert_eq!(ds.len(), 1, "{pat}: {ds:?}");
        let d = &ds[0];
        assert!(
            d.message.starts_with("malformed `from` pattern"),
            "{pat}: {}",
            d.message
        );
        assert!(d.message.contains(msg), "{pat}: {}", d.message);
        assert!(d.help.is_some(), "{pat}");
        assert_eq!(at(&src, d.span), under, "{pat}");
    }
}

#[test]
fn patterns_parse_on_their_own() {
    let (name, bind) = parse_on_pattern(FileId(0), " Promise ( b,v ,) ").unwrap();
    assert_eq!(name.name, "Promise");
    assert_eq!((name.span.start, name.span.end), (1, 8));
    assert_eq!(bind.len(), 2);
    assert_eq!((bind[1].span.start, bind[1].span.end), (13, 14));
    let (_, bind) = parse_on_pattern(FileId(0), "Ping()").unwrap();
    assert!(bind.is_empty());
    let f = parse_from_pattern(FileId(0), "p").unwrap();
    assert!(f.role.is_none());
    assert_eq!(f.name.name, "p");
    let f = parse_from_pattern(FileId(0), "Acceptor(a)").unwrap();
    assert_eq!(f.role.unwrap().name, "Acceptor");
    assert_eq!((f.name.span.start, f.name.span.end), (9, 10));
    assert!(parse_from_pattern(FileId(0), "é").is_err());
}

#[test]
fn malformed_pattern_renders_with_help() {
    let text =
        spec("handlers: [\n    (role: \"Acceptor\", on: \"Prepare(b\", from: \"Proposer(p)\"),\n]");
    let (src, ds) = errors("pattern.ron", &text);
    assert_eq!(ds.len(), 1, "{ds:?}");
    insta::assert_snapshot!("malformed_on_pattern", render(&src, &ds, false));
}

#[test]
fn code_errors_in_the_new_sections_are_all_reported() {
    let text = spec(
        "roles: [ (name: \"R\", count: \"N +\", vars: [ (name: \"x\", type: \"0..\") ]) ],\n \
         messages: [ (name: \"M\", fields: \"a 0..2\") ],\n \
         network: (capacity: \"(8\"),\n \
         steps: [ (role: \"R\", name: \"S\", params: \"i:\", guard: \"x ==\", effect: \"x = ;\") ],\n \
         handlers: [ (role: \"R\", on: \"M(\", from: \"R(\", guard: \"and\", effect: \"x\") ]",
    );
    let (src, ds) = errors("many.ron", &text);
    assert_eq!(ds.len(), 11, "{ds:#?}");
    for d in &ds {
        assert!(d.span.end as usize <= text.len());
        assert!(d.span.start as usize > text.find("roles").unwrap(), "{d:?}");
    }
    // sorted by position; the first is in the count
    assert_eq!(at(&src, ds[0].span), "");
    assert!(ds[0].message.contains("expected an expression"), "{ds:?}");
}

#[test]
fn duplicates_are_reported() {
    let text = spec(
        "roles: [ (name: \"R\", count: \"1\", vars: [ (name: \"x\", type: \"bool\") ]),\n \
                  (name: \"R\", count: \"2\"),\n \
                  (name: \"S\", count: \"2\", vars: [ (name: \"x\", type: \"bool\") ]) ],\n \
         messages: [ (name: \"M\"), (name: \"M\", fields: \"a: bool\") ],\n \
         steps: [ (role: \"R\", name: \"A\"), (role: \"S\", name: \"A\"), (role: \"R\", name: \"A\") ],\n \
         handlers: [ (role: \"R\", on: \"M\"), (role: \"S\", on: \"M\"),\n \
                     (role: \"R\", on: \"M(a)\", from: \"p\"), (role: \"R\", on: \"N\") ]",
    );
    let (src, ds) = errors("dups.ron", &text);
    let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "duplicate role `R`",
            "duplicate role variable `x`",
            "duplicate message `M`",
            "duplicate step `A` of role `R`",
            "duplicate handler for `M` in role `R`",
        ]
    );
    assert!(ds.iter().all(|d| d.help.is_some()));
    // each points at the second declaration
    let second = |needle: &str| {
        let first = text.find(needle).unwrap();
        first + 1 + text[first + 1..].find(needle).unwrap()
    };
    assert_eq!(ds[0].span.start as usize, second("name: \"R\"") + 7);
    assert_eq!(at(&src, ds[3].span), "A");
    assert_eq!(
        ds[3].span.start as usize,
        text.rfind("role: \"R\", name: \"A\"").unwrap() + 18
    );
    assert_eq!(at(&src, ds[4].span), "M");
    assert_eq!(
        ds[4].span.start as usize,
        text.find("on: \"M(a)").unwrap() + 5
    );
    assert!(
        ds[4].help.as_deref().unwrap().contains("line 7, column 31"),
        "{:?}",
        ds[4]
    );
}

#[test]
fn unknown_fields_in_new_sections() {
    for (extra, field, within) in [
        ("roles: [ (name: \"R\", count: \"1\", size: 2) ]", "size", "in a role"),
        (
            "roles: [ (name: \"R\", count: \"1\", vars: [ (name: \"x\", type: \"bool\", persist: true) ]) ]",
            "persist",
            "in a role variable",
        ),
        ("messages: [ (name: \"M\", payload: \"\") ]", "payload", "in a message"),
        ("network: (capacity: 1, ordered: true)", "ordered", "in `network`"),
        ("faults: (crashes: 1)", "crashes", "in `faults`"),
        ("steps: [ (role: \"R\", name: \"S\", when: \"\") ]", "when", "in a step"),
        ("handlers: [ (role: \"R\", on: \"M\", sender: \"p\") ]", "sender", "in a handler"),
        ("process: []", "process", "in the spec"),
    ] {
        let (src, ds) = errors("unknown.ron", &spec(extra));
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert_eq!(ds[0].message, format!("unknown field `{field}` {within}"));
        assert_eq!(at(&src, ds[0].span), field);
        assert!(ds[0].help.is_some());
    }
    // wrong value types are RON errors
    let (_, ds) = errors("bool.ron", &spec("faults: (crash: true)"));
    assert_eq!(ds.len(), 1, "{ds:?}");
    let (_, ds) = errors("missing.ron", &spec("network: (delivery: \"fifo\")"));
    assert_eq!(ds[0].message, "missing field `capacity`");
}

#[test]
fn extends_replaces_handlers_steps_network_and_appends() {
    let (src, spec) = load_spec(&fixture("twophase_msgs_ext.ron")).unwrap();
    assert_eq!(spec.name.name, "TwoPhaseMsgsNoCommit");
    let d = &spec.distributed;
    let roles: Vec<_> = d.roles.iter().map(|r| r.name.name.as_str()).collect();
    assert_eq!(roles, ["TM", "RM", "Client"]);
    assert_eq!(d.messages.len(), 4);
    // network replaced as a whole (duplicating back to its default)
    let net = d.network.as_ref().unwrap();
    assert_eq!(net.delivery.name, "fifo");
    assert!(!net.duplicating);
    assert!(matches!(net.capacity.kind, ExprKind::Int(4)));
    assert!(src
        .file(net.span.file)
        .name
        .ends_with("twophase_msgs_ext.ron"));
    assert_eq!(at(&src, net.capacity.span), "4");
    // faults kept from the base
    let faults = d.faults.as_ref().unwrap();
    assert!(src
        .file(faults.span.file)
        .name
        .ends_with("twophase_msgs.ron"));
    assert_eq!(int(&faults.crash), 1);
    // the step (TM, Commit) replaced in place
    assert_eq!(d.steps.len(), 4);
    assert_eq!(d.steps[2].name.name, "Commit");
    assert!(matches!(
        d.steps[2].guard.as_ref().unwrap().kind,
        ExprKind::Bool(false)
    ));
    assert!(src
        .file(d.steps[2].name.span.file)
        .name
        .ends_with("twophase_msgs_ext.ron"));
    assert_eq!(at(&src, d.steps[3].name.span), "Abort");
    // the handler (RM, Commit) replaced in place; (Client, Abort) appended,
    // (RM, Abort) kept
    let handlers: Vec<_> = d
        .handlers
        .iter()
        .map(|h| (h.role.name.as_str(), h.on.name.as_str()))
        .collect();
    assert_eq!(
        handlers,
        [
            ("TM", "Prepared"),
            ("RM", "Commit"),
            ("RM", "Abort"),
            ("RM", "Promise"),
            ("Client", "Abort"),
        ]
    );
    let commit = &d.handlers[1];
    assert!(src
        .file(commit.span.file)
        .name
        .ends_with("twophase_msgs_ext.ron"));
    assert_eq!(at(&src, commit.bind[0].span), "x");
    assert_eq!(
        at(
            &src,
            commit.from.as_ref().unwrap().role.as_ref().unwrap().span
        ),
        "TM"
    );
    assert_eq!(at(&src, commit.effect.stmts[0].span), "require false;");
    assert!(src
        .file(d.handlers[2].span.file)
        .name
        .ends_with("twophase_msgs.ron"));
}

#[test]
fn send_and_broadcast_are_statements() {
    use dcheck_syntax::ast::StmtKind;
    use dcheck_syntax::parser::parse_block;
    let b = parse_block(
        FileId(0),
        "send(RM(r + 1), Promise(b, 2)); broadcast(RM, Commit);",
    )
    .unwrap();
    assert_eq!(b.stmts.len(), 2);
    assert!(
        matches!(&b.stmts[0].kind, StmtKind::Call(f, args) if f.name == "send" && args.len() == 2)
    );
    assert!(matches!(&b.stmts[1].kind, StmtKind::Call(f, _) if f.name == "broadcast"));
    let ds = parse_block(FileId(0), "send(TM(1));").unwrap_err();
    assert_eq!(ds[0].message, "`send` takes two arguments, found 1");
    assert_eq!(
        ds[0].help.as_deref(),
        Some("write `send(destination, message);`")
    );
    // places are still required for the collection updates
    assert!(parse_block(FileId(0), "insert(TM(1), 2);").is_err());
}

/// The value of an integer literal (fault counts written as RON integers).
fn int(e: &dcheck_syntax::ast::Expr) -> i64 {
    match e.kind {
        dcheck_syntax::ast::ExprKind::Int(i) => i,
        ref other => panic!("not an integer literal: {other:?}"),
    }
}
