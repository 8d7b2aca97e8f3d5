//! Loader tests: a valid spec, spans mapped into the `.ron` file (raw strings,
//! escapes, duplicate strings), RON errors, several errors at once, `extends`,
//! and rendered diagnostics (insta snapshots).

use dcheck_syntax::ast::{ConstValue, ExprKind, StmtKind, TemporalKind};
use dcheck_syntax::{load_spec, load_spec_str, render};

use crate::support;

use support::{at, errors, fixture};

const MINIMAL: &str = r#"(name: "M", vars: [(name: "x", type: "0..3")], init: (effect: "x = 1;"))"#;

#[test]
fn valid_spec_loads_with_exact_spans() {
    let (src, spec) = load_spec(&fixture("twophase.ron")).unwrap();
    assert_eq!(spec.name.name, "TwoPhase");
    assert_eq!(at(&src, spec.name.span), "TwoPhase");
    assert_eq!(spec.constants.len(), 1);
    assert!(matches!(spec.constants[0].default, ConstValue::Int(3)));
    assert_eq!(at(&src, spec.constants[0].default_span), "3");
    assert_eq!(spec.types.len(), 4);
    assert_eq!(spec.vars.len(), 4);
    assert_eq!(spec.vars[3].doc, "messages sent so far");
    assert_eq!(spec.defs[0].params.len(), 1);
    let names: Vec<_> = spec.actions.iter().map(|a| a.name.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "TMRcvPrepared",
            "TMCommit",
            "TMAbort",
            "RMPrepare",
            "RMChooseToAbort",
            "RMRcvMsg"
        ]
    );
    // spans inside a raw string
    let prep = &spec.actions[3];
    assert_eq!(prep.effect.stmts.len(), 2);
    assert_eq!(
        at(&src, prep.effect.stmts[1].span),
        "insert(msgs, Prepared(r));"
    );
    let StmtKind::If(c, _, Some(els)) = &spec.actions[5].effect.stmts[0].kind else {
        panic!("expected if/else")
    };
    assert_eq!(
        at(&src, c.span),
        "Commit in msgs and rmState[r] != committed"
    );
    assert!(matches!(els.stmts[0].kind, StmtKind::If(..)));
    let guard = spec.actions[0].guard.as_ref().unwrap();
    assert_eq!(
        at(&src, guard.span),
        "tmState == init and Prepared(r) in msgs"
    );
    assert!(spec.terminal.is_some());
    assert_eq!(spec.invariants.len(), 1);
    assert_eq!(spec.properties.len(), 1);
    let prop = &spec.properties[0];
    assert_eq!(prop.name.name, "AllDecide");
    assert_eq!(
        at(&src, prop.formula.span),
        "eventually (forall r in RM: decided(r))"
    );
    let TemporalKind::Eventually(body) = &prop.formula.kind else {
        panic!("expected eventually")
    };
    assert!(matches!(body.kind, TemporalKind::Pred(_)));
    assert_eq!(at(&src, body.span), "(forall r in RM: decided(r))");
    assert!(prop.fairness.is_none());
    assert!(spec.fairness.is_empty());
    assert_eq!(spec.init.effect.stmts.len(), 2);
}

#[test]
fn duplicate_strings_map_to_their_own_literal() {
    let text = r#"(name: "M", vars: [(name: "x", type: "bool")], init: (effect: "x = true;"),
        actions: [ (name: "A", guard: "x", effect: "x = true;"),
                   (name: "B", guard: "x", effect: "x = true;") ])"#;
    let (src, spec) = load_spec_str("dup.ron", text).unwrap();
    let a = spec.actions[0].guard.as_ref().unwrap().span;
    let b = spec.actions[1].guard.as_ref().unwrap().span;
    assert_eq!(at(&src, a), "x");
    assert_eq!(at(&src, b), "x");
    assert!(b.start > a.start);
    assert!(spec.actions[1].effect.span.start > spec.actions[0].effect.span.start);
    assert!(spec.actions[0].effect.span.start > spec.init.effect.span.start);
}

#[test]
fn ron_syntax_error_has_a_position() {
    let text = "(\n    name: \"M\"\n    vars: [],\n)";
    let (src, ds) = errors("bad.ron", text);
    assert_eq!(ds.len(), 1);
    assert!(
        ds[0].message.starts_with("invalid spec file"),
        "{}",
        ds[0].message
    );
    // the error is reported where `vars` starts (line 3)
    assert_eq!(ds[0].span.start as usize, text.find("vars").unwrap());
    assert!(ds[0].help.is_some());
    insta::assert_snapshot!("ron_syntax_error", render(&src, &ds, false));
}

#[test]
fn unknown_field_underlines_the_field() {
    let text = "(\n    name: \"M\",\n    varz: [],\n)";
    let (src, ds) = errors("typo.ron", text);
    assert_eq!(ds.len(), 1);
    assert_eq!(at(&src, ds[0].span), "varz");
    assert!(ds[0].help.as_deref().unwrap().contains("vars"));
    insta::assert_snapshot!("unknown_field", render(&src, &ds, false));
}

#[test]
fn error_in_raw_string_is_exact() {
    let text = "(name: \"M\", vars: [(name: \"x\", type: \"0..3\")],\n init: (effect: r#\"\n    x = 1;\n    x = (x + ;\n\"#))";
    let (src, ds) = errors("raw.ron", text);
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(at(&src, ds[0].span), ";");
    assert_eq!(ds[0].span.start as usize, text.rfind(';').unwrap());
    insta::assert_snapshot!("raw_string_error", render(&src, &ds, false));
}

#[test]
fn error_after_escapes_is_exact() {
    // In the file: `\n`, `\t`, `\"` and `\u{41}` escapes before the error.
    let text = r#"(name: "M", vars: [(name: "x", type: "0..3")], init: (effect: ""),
  invariants: [(name: "I", expr: "x == 1 // \"one\"\n\tand \u{41} == @ 2")])"#;
    let (src, ds) = errors("esc.ron", text);
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(at(&src, ds[0].span), "@");
    // and an expression after escapes gets a span covering the escapes
    let text = r#"(name: "M", vars: [(name: "x", type: "0..3")], init: (effect: ""),
  invariants: [(name: "I", expr: "x == 1\n\tand x\t!= 2")], terminal: "x ==")"#;
    let (src, ds) = errors("esc2.ron", text);
    assert_eq!(ds.len(), 1, "{ds:?}");
    // end of input: an empty span just before the closing quote
    assert_eq!(ds[0].span.start, ds[0].span.end);
    assert_eq!(
        &src.file(ds[0].span.file).text[ds[0].span.start as usize..][..2],
        "\")"
    );
    let ok = text.replace("terminal: \"x ==\"", "terminal: \"x == 1\"");
    let (src, spec) = load_spec_str("esc3.ron", &ok).unwrap();
    let inv = &spec.invariants[0].expr;
    assert_eq!(at(&src, inv.span), r"x == 1\n\tand x\t!= 2");
    let ExprKind::Binary(_, _, rhs) = &inv.kind else {
        panic!()
    };
    assert_eq!(at(&src, rhs.span), r"x\t!= 2");
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let text = r#"(
    name: "Many",
    types: [ (name: "T", def: "set<>") ],
    vars: [ (name: "x", type: "0..3"), (name: "x", type: "bool") ],
    init: (effect: "x = 0;"),
    actions: [
        (name: "A", guard: "x == ", effect: "x = ; x == 2; y = 1;"),
        (name: "A", effect: "x = 1;"),
    ],
    invariants: [ (name: "Inv", expr: "x ≠ 1") ],
)"#;
    let (src, ds) = errors("many.ron", text);
    let msgs: Vec<_> = ds.iter().map(|d| d.message.clone()).collect();
    assert_eq!(ds.len(), 7, "{msgs:#?}");
    assert!(msgs.iter().any(|m| m == "duplicate variable `x`"));
    assert!(msgs.iter().any(|m| m == "duplicate action `A`"));
    assert!(msgs.iter().any(|m| m.contains("non-ASCII")));
    let dup = ds
        .iter()
        .find(|d| d.message == "duplicate action `A`")
        .unwrap();
    assert_eq!(dup.span.start as usize, text.rfind("\"A\"").unwrap() + 1);
    insta::assert_snapshot!("many_errors", render(&src, &ds, false));
}

#[test]
fn missing_required_parts() {
    let (_, ds) = errors("empty.ron", "( doc: \"nothing\" )");
    let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "the spec has no `name`",
            "the spec has no `vars`",
            "the spec has no `init`"
        ]
    );
    assert!(ds.iter().all(|d| d.help.is_some()));
    assert!(load_spec_str("min.ron", MINIMAL).is_ok());
}

#[test]
fn extends_replaces_in_place_and_appends() {
    let (src, spec) = load_spec(&fixture("twophase_ext.ron")).unwrap();
    assert_eq!(spec.name.name, "TwoPhaseNoAbort");
    assert_eq!(spec.doc, "Two-phase commit with a transaction manager.");
    let names: Vec<_> = spec.actions.iter().map(|a| a.name.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "TMRcvPrepared",
            "TMCommit",
            "TMAbort",
            "RMPrepare",
            "RMChooseToAbort",
            "RMRcvMsg",
            "Stutter"
        ]
    );
    let abort = &spec.actions[2];
    assert!(matches!(
        abort.guard.as_ref().unwrap().kind,
        ExprKind::Bool(false)
    ));
    assert!(src
        .file(abort.name.span.file)
        .name
        .ends_with("twophase_ext.ron"));
    assert!(src
        .file(spec.actions[0].name.span.file)
        .name
        .ends_with("twophase.ron"));
    assert_eq!(at(&src, abort.name.span), "TMAbort");
    assert_eq!(spec.vars.len(), 4);
    assert_eq!(spec.init.effect.stmts.len(), 2);
    assert!(spec.terminal.is_some());
}

#[test]
fn extends_errors() {
    let (src, ds) = match load_spec(&fixture("cycle_a.ron")) {
        Err(e) => e,
        Ok(_) => panic!("cycle must fail"),
    };
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert!(ds[0].message.contains("cycle"), "{}", ds[0].message);
    assert_eq!(at(&src, ds[0].span), "cycle_a.ron");
    let (src, ds) = errors(
        "tests/fixtures/x.ron",
        r#"(extends: "no_such_base.ron", name: "X")"#,
    );
    assert!(ds[0].message.contains("no_such_base.ron"));
    assert_eq!(at(&src, ds[0].span), "no_such_base.ron");
}

#[test]
fn unreadable_file_is_a_diagnostic() {
    let (src, ds) = match load_spec(&fixture("does_not_exist.ron")) {
        Err(e) => e,
        Ok(_) => panic!(),
    };
    assert_eq!(ds.len(), 1);
    assert!(ds[0].message.contains("does_not_exist.ron"));
    assert!(render(&src, &ds, false).contains("does_not_exist.ron"));
}

#[test]
fn rendering_shows_location_label_and_help() {
    let text =
        "(name: \"M\", vars: [(name: \"x\", type: \"0..3\")],\n init: (effect: \"x = 1 + ;\"))";
    let (src, ds) = errors("loc.ron", text);
    let out = render(&src, &ds, false);
    assert!(out.contains("loc.ron:2:"), "{out}");
    assert!(out.contains("expected an expression"), "{out}");
    assert!(out.is_ascii(), "{out}");
    // miette directly
    let err = dcheck_syntax::render::SpecError::new(&src, &ds[0]);
    let report = miette::Report::new(err);
    assert!(report.to_string().contains("expected an expression"));
    let colored = render(&src, &ds, true);
    assert!(colored.contains("loc.ron"));
}

#[test]
fn missing_item_field_and_bad_default() {
    let text = "(name: \"M\", vars: [], init: (),\n  actions: [ (guard: \"true\") ])";
    let (src, ds) = errors("noname.ron", text);
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0].message, "missing field `name`");
    insta::assert_snapshot!("missing_item_field", render(&src, &ds, false));
    let (_, ds) = errors(
        "baddefault.ron",
        "(name: \"M\", constants: [(name: \"N\", default: \"3\")], vars: [], init: ())",
    );
    assert!(ds[0].message.contains("integer or a boolean"), "{ds:?}");
}

#[test]
fn const_defaults_and_quotes_in_raw_strings() {
    let text = r##"(
    // default: 99 in a comment is not a constant
    name: "C", doc: "default: 42",
    constants: [ (name: "A", default: -1), (doc: "x", default : true, name: "B") ],
    vars: [ (name: "x", type: "A..1") ],
    init: (effect: r#"x = 0; // a "quoted" comment
    x = 1;"#),
    invariants: [ (name: "I", expr: r#"x == 1 // "#) ],
)"##;
    let (src, spec) = load_spec_str("c.ron", text).unwrap();
    assert!(matches!(spec.constants[0].default, ConstValue::Int(-1)));
    assert!(matches!(spec.constants[1].default, ConstValue::Bool(true)));
    assert_eq!(at(&src, spec.constants[0].default_span), "-1");
    assert_eq!(at(&src, spec.constants[1].default_span), "true");
    assert_eq!(at(&src, spec.constants[1].name.span), "B");
    assert_eq!(at(&src, spec.init.effect.stmts[1].span), "x = 1;");
    assert_eq!(at(&src, spec.invariants[0].expr.span), "x == 1");
}

#[test]
fn omit_drops_inherited_invariants_and_properties() {
    // from the grandbase, through twophase_ext.ron
    let (_, spec) = load_spec(&fixture("twophase_omit.ron")).unwrap();
    assert_eq!(spec.name.name, "TwoPhaseNoInvariant");
    assert!(spec.invariants.is_empty());
    let props: Vec<_> = spec.properties.iter().map(|p| &p.name.name).collect();
    assert_eq!(props, ["AllDecide"]);
    assert_eq!(spec.actions.len(), 7, "the actions are kept");
    // an invariant and a property at once; `omit: []` drops nothing
    let path = fixture("inline.ron");
    let name = path.to_str().unwrap();
    let (_, both) = load_spec_str(
        name,
        r#"(extends: "twophase.ron", omit: ["AllDecide", "TCConsistent"])"#,
    )
    .unwrap();
    assert!(both.invariants.is_empty() && both.properties.is_empty());
    let (_, none) = load_spec_str(name, r#"(extends: "twophase.ron", omit: [])"#).unwrap();
    assert_eq!((none.invariants.len(), none.properties.len()), (1, 1));
    // A file extending one that omits `TCConsistent` may declare a new one
    // (appended, as for any new name), but not omit it again.
    let (src, again) = load_spec_str(
        name,
        r#"(extends: "twophase_omit.ron", invariants: [ (name: "TCConsistent", expr: "true") ])"#,
    )
    .unwrap();
    assert_eq!(again.invariants.len(), 1);
    assert!(src
        .file(again.invariants[0].name.span.file)
        .name
        .ends_with("inline.ron"));
    let (src, ds) = errors(
        name,
        r#"(extends: "twophase_omit.ron", omit: ["TCConsistent"])"#,
    );
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(at(&src, ds[0].span), "TCConsistent");
    assert!(
        ds[0]
            .help
            .as_deref()
            .unwrap()
            .ends_with("can remove: `AllDecide`"),
        "{ds:#?}"
    );
}

#[test]
fn omit_errors_are_all_reported_with_exact_spans() {
    let path = fixture("omit.ron");
    let name = path.to_str().unwrap();
    let text = r#"(
    extends: "twophase.ron",
    name: "BadOmit",
    omit: ["TCConsistnt", "TMCommit", "AllDecide", "TCConsistnt", "Extra"],
    invariants: [ (name: "Extra", expr: "true") ],
    properties: [ (name: "AllDecide", expr: "eventually tmState == done") ],
)"#;
    let (src, ds) = errors(name, text);
    let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "cannot omit `TCConsistnt`: the base spec has no invariant or property of that name",
            "cannot omit `TMCommit`: the base spec has no invariant or property of that name",
            "`AllDecide` is both omitted and redefined",
            "`TCConsistnt` is omitted twice",
            "`Extra` is both omitted and redefined",
        ],
        "{ds:#?}"
    );
    let spans: Vec<_> = ds.iter().map(|d| at(&src, d.span)).collect();
    assert_eq!(
        spans,
        [
            "TCConsistnt",
            "TMCommit",
            "AllDecide",
            "TCConsistnt",
            "Extra"
        ]
    );
    // the second `TCConsistnt` is the one reported as a repetition
    assert_eq!(
        ds[3].span.start as usize,
        text.rfind("\"TCConsistnt\"").unwrap() + 1
    );
    assert!(ds[0]
        .help
        .as_deref()
        .unwrap()
        .ends_with("which `omit` can remove: `TCConsistent`, `AllDecide`"));
    assert!(ds[1]
        .help
        .as_deref()
        .unwrap()
        .starts_with("`TMCommit` is an action of the base spec"));
    // The file name differs between machines: render from the file's name.
    let shown = render(&src, &ds, false).replace(name, "omit.ron");
    insta::assert_snapshot!("omit_errors", shown);

    // Without `extends`: the field's name is underlined, and the other
    // errors of the file are reported too.
    let text = r#"(
    name: "NoBase", vars: [ (name: "x", type: "0..3") ], init: (effect: "x = 4 +;"),
    omit: ["Inv"],
)"#;
    let (src, ds) = errors("nobase.ron", text);
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert_eq!(ds[1].message, "`omit` without `extends`");
    assert_eq!(at(&src, ds[1].span), "omit");
    insta::assert_snapshot!("omit_without_extends", render(&src, &ds, false));
}
