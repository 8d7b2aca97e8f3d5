//! The fairness words `delivery` and `processes`: expanded by the lowering
//! into assumptions on the generated actions (spec-level and per-property
//! lists), rejected with a diagnostic when combined with `each`, `forall`,
//! arguments or a group, or used in a spec without roles; plain action
//! targets when an action has that name.

use dcheck_net::{lower, Flags, LowerError};
use dcheck_syntax::ast::{FairnessDecl, FairnessKind, Spec};
use dcheck_syntax::load_spec_str;

/// Client processes send a `Ping` (with a payload) to the server, which
/// answers `Pong`; the `Idle` role has no steps and no handlers.
const PING: &str = r#"(
    name: "Ping",
    roles: [
        (name: "Client", count: "2", vars: [ (name: "sent", type: "bool") ]),
        (name: "Server", count: "1", vars: [ (name: "got", type: "0..2") ]),
        (name: "Idle", count: "1"),
    ],
    messages: [ (name: "Ping", fields: "k: 0..1"), (name: "Pong") ],
    init: (effect: ""),
    steps: [
        (role: "Client", name: "Send", params: "k: 0..1", guard: "not sent",
         effect: "sent = true; send(Server(1), Ping(k));"),
        (role: "Server", name: "Tick"),
    ],
    handlers: [
        (role: "Server", on: "Ping(k)", from: "Client(c)", effect: "send(Client(c), Pong);"),
        (role: "Client", on: "Pong", from: "p"),
    ],
    properties: [
        (name: "Served", expr: "always eventually got[1] == 2",
         fairness: ["weak processes", "strong delivery"]),
        (name: "Bare", expr: "eventually got[1] == 2"),
        (name: "None", expr: "eventually got[1] == 2", fairness: []),
    ],
    fairness: FAIRNESS,
)"#;

fn spec(fairness: &str) -> String {
    PING.replace("FAIRNESS", fairness)
}

fn lowered(text: &str) -> Result<Spec, LowerError> {
    let (_, spec) = match load_spec_str("ping.ron", text) {
        Ok(s) => s,
        Err((_, ds)) => panic!("does not load: {ds:#?}"),
    };
    lower(spec, &Flags::default())
}

/// `forall self in Client: weak {Send(self, _)}`: binders, kind, `each`,
/// targets with their arguments (`self` or `_`).
fn show(f: &FairnessDecl) -> String {
    let mut s = String::new();
    for b in &f.binders {
        let dom = match &b.domain.kind {
            dcheck_syntax::ast::ExprKind::Name(n) => n.name.clone(),
            _ => "?".into(),
        };
        s += &format!("forall {} in {dom}: ", b.name.name);
    }
    s += match f.kind {
        FairnessKind::Weak => "weak ",
        FairnessKind::Strong => "strong ",
    };
    if f.each {
        s += "each ";
    }
    let targets: Vec<String> = f
        .targets
        .iter()
        .map(|t| match &t.args {
            None => t.name.name.clone(),
            Some(args) => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match a.as_ref().map(|e| &e.kind) {
                        None => "_".into(),
                        Some(dcheck_syntax::ast::ExprKind::Name(n)) => n.name.clone(),
                        Some(_) => "?".into(),
                    })
                    .collect();
                format!("{}({})", t.name.name, args.join(", "))
            }
        })
        .collect();
    s + &format!("{{{}}}", targets.join(", "))
}

fn shows(list: &[FairnessDecl]) -> Vec<String> {
    list.iter().map(show).collect()
}

#[test]
fn delivery_and_processes_expand_to_the_generated_actions() {
    let spec = lowered(&spec(r#"["weak delivery", "weak Tick"]"#)).unwrap();
    // every handler's action, each instance a constraint of its own
    assert_eq!(
        shows(&spec.fairness),
        [
            "weak each {deliver_Ping_to_Server, deliver_Pong_to_Client}",
            "weak {Tick}"
        ]
    );
    let served = spec.properties[0].fairness.as_ref().unwrap();
    // one assumption per role with actions (not `Idle`): the steps, then
    // the handlers, `self` first and one `_` per further parameter
    assert_eq!(
        shows(served),
        [
            "forall self in Client: weak {Send(self, _), deliver_Pong_to_Client(self, _)}",
            "forall self in Server: weak {Tick(self), deliver_Ping_to_Server(self, _, _)}",
            "strong each {deliver_Ping_to_Server, deliver_Pong_to_Client}",
        ]
    );
    // the wildcards match the generated actions' parameters
    for f in served.iter().take(2) {
        for t in &f.targets {
            let action = spec
                .actions
                .iter()
                .find(|a| a.name.name == t.name.name)
                .unwrap();
            assert_eq!(t.args.as_ref().unwrap().len(), action.params.len());
        }
    }
    // generated nodes carry the span of the assumption
    let processes = &served[0];
    assert_eq!(processes.targets[0].span, processes.span);
    assert_eq!(processes.binders[0].span, processes.span);
    assert!(spec.properties[1].fairness.is_none());
    assert_eq!(spec.properties[2].fairness.as_ref().unwrap().len(), 0);
}

#[test]
fn misused_words_are_diagnostics() {
    let err = lowered(&spec(
        r#"["weak each delivery", "forall p in Proc: weak processes", "weak delivery(1)",
            "strong {processes, Tick}"]"#,
    ))
    .unwrap_err();
    let msgs: Vec<&str> = err.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "`delivery` cannot be combined with `each`",
            "`processes` cannot be under `forall`",
            "`delivery` takes no arguments",
            "`processes` cannot be part of a group",
        ]
    );
    assert!(err.diagnostics.iter().all(|d| d.help.is_some()));
    assert!(err.usage.is_empty());
}

const PLAIN: &str = r#"(
    name: "Plain",
    vars: [ (name: "x", type: "0..2") ],
    init: (effect: "x = 0;"),
    actions: [ (name: "Tick", guard: "x < 2", effect: "x = x + 1;") ACTION ],
    properties: [ (name: "P", expr: "eventually x == 2", fairness: FAIR) ],
)"#;

#[test]
fn words_need_roles_unless_an_action_has_that_name() {
    let text = PLAIN.replace("ACTION", "").replace(
        "FAIR",
        r#"["weak delivery", "strong processes", "weak Tick"]"#,
    );
    let err = lowered(&text).unwrap_err();
    let msgs: Vec<&str> = err.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "`delivery` needs a spec with roles and messages",
            "`processes` needs a spec with roles",
        ]
    );
    // an action named `delivery` is a plain target
    let text = PLAIN
        .replace(
            "ACTION",
            r#", (name: "delivery", guard: "x == 2", effect: "x = 0;")"#,
        )
        .replace("FAIR", r#"["weak delivery", "weak each {delivery, Tick}"]"#);
    let spec = lowered(&text).unwrap();
    assert_eq!(
        shows(spec.properties[0].fairness.as_ref().unwrap()),
        ["weak {delivery}", "weak each {delivery, Tick}"]
    );
}

#[test]
fn a_step_named_processes_is_a_plain_target() {
    let text = spec(r#"["weak processes"]"#).replace(
        r#"(role: "Server", name: "Tick"),"#,
        r#"(role: "Server", name: "Tick"), (role: "Server", name: "processes"),"#,
    );
    let spec = lowered(&text).unwrap();
    assert_eq!(shows(&spec.fairness), ["weak {processes}"]);
}
