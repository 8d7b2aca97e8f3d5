//! Lowers the message-passing sections of a spec (roles, messages, network,
//! faults, steps, handlers) to the core language, so the model, the engine
//! and the reports need nothing special for distributed systems. The design
//! is `docs/design/processes.md`.
//!
//! What it generates: a type per role (its process ids, `1..count`), `Proc`
//! (every process: `RM(2)`), `Msg` (the messages), role variables as maps
//! over the role's ids, the network variable, `crashed` under crash faults,
//! and actions: each step and each handler (one transition per process,
//! sender and message field values), `lose` for a lossy network and
//! `crash_<Role>` for crash faults. It also expands the fairness words
//! `delivery` and `processes` (see `fairness.rs`).

mod build;
mod fairness;
pub mod network;
mod role_code;

use std::collections::HashSet;

use dcheck_syntax::ast::{
    ActionDecl, BinOp, Distributed, Expr, ExprKind, Spec, TypeDecl, TypeKind, VarDecl, VariantDecl,
};
use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::span::Span;

use network::Network;
use role_code::RoleCode;

/// Command-line overrides of the spec's sections.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--network LIST`
    pub network: Option<String>,
    /// `--faults LIST`
    pub faults: Option<String>,
}

/// Why a spec could not be lowered: problems in the spec text, and problems
/// with the command line.
#[derive(Debug, Default)]
pub struct LowerError {
    pub diagnostics: Vec<Diagnostic>,
    pub usage: Vec<String>,
}

/// The fault model in force.
#[derive(Clone, Debug, Default)]
struct Faults {
    /// At most this many processes down at once; `None`: no crashes.
    crash: Option<Expr>,
    /// Recoveries allowed in all (crash-recovery); `None`: crash-stop.
    recover: Option<Expr>,
    /// Byzantine processes: the last `byzantine` ids of each listed role.
    byzantine: Option<Expr>,
    roles: Vec<String>,
}

/// A fault count: `None` when it is the literal 0 (that kind of fault off).
fn count(e: &Expr) -> Option<Expr> {
    (!matches!(e.kind, ExprKind::Int(0))).then(|| e.clone())
}

/// `--faults crash=1` (the words: crash, recover, byzantine).
fn parse_faults(list: &str, f: &mut Faults, span: Span) -> Result<(), String> {
    for item in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            return Err(format!(
                "--faults: `{item}` is not KIND=COUNT (kinds: crash, recover, byzantine)"
            ));
        };
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("--faults: `{v}` is not a count"))?;
        match k.trim() {
            "crash" => f.crash = count(&build::int(n as i64, span)),
            "recover" => f.recover = count(&build::int(n as i64, span)),
            "byzantine" => f.byzantine = count(&build::int(n as i64, span)),
            other => {
                return Err(format!(
                    "--faults: unknown kind `{other}` (kinds: crash, recover, byzantine)"
                ))
            }
        }
    }
    Ok(())
}

/// Lowers `spec`'s message-passing sections, if it has roles. A spec
/// without roles is returned unchanged (and rejects `--network`/`--faults`).
pub fn lower(mut spec: Spec, flags: &Flags) -> Result<Spec, LowerError> {
    // A refined spec is lowered with its own network and faults (the
    // command line's flags are the concrete spec's).
    let mut refined_err = LowerError::default();
    for mut r in std::mem::take(&mut spec.refines) {
        match lower(*r.spec, &Flags::default()) {
            Ok(s) => {
                r.spec = Box::new(s);
                spec.refines.push(r);
            }
            Err(e) => {
                refined_err.diagnostics.extend(e.diagnostics);
                refined_err.usage.extend(e.usage);
            }
        }
    }
    if !refined_err.diagnostics.is_empty() || !refined_err.usage.is_empty() {
        return Err(refined_err);
    }
    let d = std::mem::take(&mut spec.distributed);
    let mut err = LowerError::default();
    if d.roles.is_empty() {
        if flags.network.is_some() || flags.faults.is_some() {
            err.usage.push(
                "--network and --faults apply to specs with roles; this spec has none".into(),
            );
        }
        for s in &d.steps {
            err.diagnostics.push(
                Diagnostic::new(s.name.span, "a step needs a role")
                    .help("declare the roles under `roles`"),
            );
        }
        for h in &d.handlers {
            err.diagnostics.push(
                Diagnostic::new(h.span, "a handler needs a role")
                    .help("declare the roles under `roles`"),
            );
        }
        fairness::expand(&mut spec, &d, &mut err.diagnostics);
        return if err.diagnostics.is_empty() && err.usage.is_empty() {
            Ok(spec)
        } else {
            Err(err)
        };
    }
    let anchor = d.roles[0].name.span;
    // The network: from the spec, or an unordered one with room for 8
    // messages, then the command line.
    let mut net = match &d.network {
        Some(decl) => Network::from_decl(decl).unwrap_or_else(|m| {
            err.diagnostics.push(
                Diagnostic::new(decl.delivery.span, m)
                    .help(format!("network words: {}", network::WORDS)),
            );
            Network {
                delivery: network::Delivery::Unordered,
                duplicating: false,
                lossy: false,
                capacity: decl.capacity.clone(),
                per_channel: decl.per_channel,
                span: decl.span,
            }
        }),
        None => Network {
            delivery: network::Delivery::Unordered,
            duplicating: false,
            lossy: false,
            capacity: build::int(8, anchor),
            per_channel: false,
            span: anchor,
        },
    };
    if let Some(list) = &flags.network {
        if let Err(m) = net.apply_flag(list) {
            err.usage.push(m);
        }
    }
    let mut faults = Faults::default();
    if let Some(f) = &d.faults {
        for c in [&f.crash, &f.recover, &f.byzantine] {
            if let ExprKind::Int(i) = c.kind {
                if i < 0 {
                    err.diagnostics.push(
                        Diagnostic::new(c.span, "a fault count cannot be negative")
                            .help("use 0 to turn this kind of fault off"),
                    );
                }
            }
            if let ExprKind::Unary(dcheck_syntax::ast::UnOp::Neg, _) = c.kind {
                err.diagnostics.push(
                    Diagnostic::new(c.span, "a fault count cannot be negative")
                        .help("use 0 to turn this kind of fault off"),
                );
            }
        }
        faults.crash = count(&f.crash);
        faults.recover = count(&f.recover);
        faults.roles = f.roles.iter().map(|r| r.name.clone()).collect();
        faults.byzantine = count(&f.byzantine);
    }
    if let Some(list) = &flags.faults {
        if let Err(m) = parse_faults(list, &mut faults, anchor) {
            err.usage.push(m);
        }
    }
    if faults.byzantine.is_some() && faults.roles.is_empty() {
        err.usage.push("faults: `byzantine` needs `roles` (the last `byzantine` processes of each listed role are Byzantine)".into());
    }
    if faults.recover.is_some() && faults.crash.is_none() {
        err.usage.push(
            "faults: `recover` needs `crash` (a process must crash before it can recover)".into(),
        );
    }
    lower_items(&mut spec, &d, &net, &faults, &mut err);
    fairness::expand(&mut spec, &d, &mut err.diagnostics);
    if err.diagnostics.is_empty() && err.usage.is_empty() {
        Ok(spec)
    } else {
        Err(err)
    }
}

fn lower_items(
    spec: &mut Spec,
    d: &Distributed,
    net: &Network,
    faults: &Faults,
    err: &mut LowerError,
) {
    let taken: HashSet<String> = spec
        .types
        .iter()
        .map(|t| t.name.name.clone())
        .chain(spec.vars.iter().map(|v| v.name.name.clone()))
        .collect();
    for reserved in [
        "Proc",
        "Msg",
        "net",
        "chan",
        "crashed",
        "recoveries",
        "byzantine",
    ] {
        if taken.contains(reserved) {
            err.diagnostics.push(
                Diagnostic::new(
                    spec.name.span,
                    format!("`{reserved}` is a name the roles section defines"),
                )
                .help("rename your type or variable"),
            );
        }
    }
    let roles: Vec<&str> = d.roles.iter().map(|r| r.name.name.as_str()).collect();
    let crashable = |role: &str| {
        faults.crash.is_some()
            && (faults.roles.is_empty() || faults.roles.iter().any(|r| r == role))
    };
    for r in &faults.roles {
        if !roles.contains(&r.as_str()) {
            err.usage.push(format!(
                "faults: no role `{r}` (roles: {})",
                roles.join(", ")
            ));
        }
    }
    // Types: each role's ids, every process, every message.
    let mut proc_variants = Vec::new();
    for r in &d.roles {
        let s = r.name.span;
        spec.types.push(TypeDecl {
            name: r.name.clone(),
            def: build::ty(
                TypeKind::Range(Box::new(build::int(1, s)), Box::new(r.count.clone())),
                s,
            ),
        });
        proc_variants.push(VariantDecl {
            name: r.name.clone(),
            payload: vec![build::named_ty(&r.name.name, s)],
        });
    }
    spec.types.push(TypeDecl {
        name: build::ident("Proc", d.roles[0].name.span),
        def: build::ty(TypeKind::Enum(proc_variants), d.roles[0].name.span),
    });
    if d.messages.is_empty() {
        err.diagnostics.push(Diagnostic::new(d.roles[0].name.span, "a spec with roles needs messages").help("declare them: messages: [ (name: \"Ping\"), (name: \"Promise\", fields: \"b: Ballot\") ]"));
        return;
    }
    let msg_variants = d
        .messages
        .iter()
        .map(|m| VariantDecl {
            name: m.name.clone(),
            payload: m.fields.iter().map(|f| f.ty.clone()).collect(),
        })
        .collect();
    spec.types.push(TypeDecl {
        name: build::ident("Msg", d.messages[0].name.span),
        def: build::ty(TypeKind::Enum(msg_variants), d.messages[0].name.span),
    });
    // Variables: role variables as maps over the role's ids, the network, crashes.
    let mut role_vars: Vec<(String, HashSet<String>)> = Vec::new();
    for r in &d.roles {
        let mut names = HashSet::new();
        for v in &r.vars {
            let s = v.name.span;
            let map = TypeKind::Map(
                Box::new(build::named_ty(&r.name.name, s)),
                Box::new(v.ty.clone()),
            );
            spec.vars.push(VarDecl {
                name: v.name.clone(),
                ty: build::ty(map, v.ty.span),
                doc: v.doc.clone(),
            });
            names.insert(v.name.name.clone());
        }
        role_vars.push((r.name.name.clone(), names));
    }
    spec.vars.push(net.var());
    if faults.crash.is_some() {
        let s = d.roles[0].name.span;
        spec.vars.push(VarDecl {
            name: build::ident("crashed", s),
            ty: build::ty(TypeKind::Set(Box::new(build::named_ty("Proc", s))), s),
            doc: "processes that have crashed".into(),
        });
        if let Some(recover) = &faults.recover {
            let range = TypeKind::Range(Box::new(build::int(0, s)), Box::new(recover.clone()));
            spec.vars.push(VarDecl {
                name: build::ident("recoveries", s),
                ty: build::ty(range, s),
                doc: "recoveries so far".into(),
            });
        }
    }
    let vars_of = |role: &str| {
        role_vars
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, v)| v.clone())
    };
    let byzantine_role =
        |role: &str| faults.byzantine.is_some() && faults.roles.iter().any(|r| r == role);
    // A step or handler runs only at a live, correct process.
    let alive = |role: &str, span: Span| {
        let me = || build::process(role, build::name("self", span), span);
        let not_in = |set: &str| {
            build::not(
                build::bin(BinOp::In, me(), build::name(set, span), span),
                span,
            )
        };
        build::and(
            crashable(role).then(|| not_in("crashed")),
            byzantine_role(role).then(|| not_in("byzantine")),
            span,
        )
    };
    // Steps.
    for st in &d.steps {
        let Some(vars) = vars_of(&st.role.name) else {
            err.diagnostics.push(
                Diagnostic::new(st.role.span, format!("no role `{}`", st.role.name))
                    .help(format!("roles: {}", roles.join(", "))),
            );
            continue;
        };
        let s = st.name.span;
        let mut code = RoleCode::new(&st.role.name, &vars, net, &mut err.diagnostics);
        code.byzantine = faults.byzantine.is_some();
        let (guard, effect) = code.rewrite(st.guard.as_ref(), &st.effect);
        let mut params = vec![build::param("self", build::named_ty(&st.role.name, s), s)];
        params.extend(st.params.iter().cloned());
        spec.actions.push(ActionDecl {
            name: st.name.clone(),
            params,
            guard: build::and(alive(&st.role.name, s), guard, s),
            effect,
            doc: st.doc.clone(),
        });
    }
    // Handlers: one transition per receiver, sender and message value.
    for h in &d.handlers {
        let Some(vars) = vars_of(&h.role.name) else {
            err.diagnostics.push(
                Diagnostic::new(h.role.span, format!("no role `{}`", h.role.name))
                    .help(format!("roles: {}", roles.join(", "))),
            );
            continue;
        };
        let Some(msg) = d.messages.iter().find(|m| m.name.name == h.on.name) else {
            let names: Vec<&str> = d.messages.iter().map(|m| m.name.name.as_str()).collect();
            err.diagnostics.push(
                Diagnostic::new(h.on.span, format!("no message `{}`", h.on.name))
                    .help(format!("messages: {}", names.join(", "))),
            );
            continue;
        };
        if msg.fields.len() != h.bind.len() {
            err.diagnostics.push(
                Diagnostic::new(
                    h.on.span,
                    format!(
                        "`{}` has {} field(s); the handler binds {}",
                        msg.name.name,
                        msg.fields.len(),
                        h.bind.len()
                    ),
                )
                .help(format!(
                    "bind every field by position: on: \"{}({})\"",
                    msg.name.name,
                    msg.fields
                        .iter()
                        .map(|f| f.name.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            continue;
        }
        let s = h.span;
        let mut params = vec![build::param("self", build::named_ty(&h.role.name, s), s)];
        let src = match &h.from {
            Some(p) => match &p.role {
                Some(role) if roles.contains(&role.name.as_str()) => {
                    params.push(build::param(
                        &p.name.name,
                        build::named_ty(&role.name, role.span),
                        p.name.span,
                    ));
                    build::process(
                        &role.name,
                        build::name(&p.name.name, p.name.span),
                        p.name.span,
                    )
                }
                Some(role) => {
                    err.diagnostics.push(
                        Diagnostic::new(role.span, format!("no role `{}`", role.name))
                            .help(format!("roles: {}", roles.join(", "))),
                    );
                    continue;
                }
                None => {
                    params.push(build::param(
                        &p.name.name,
                        build::named_ty("Proc", p.name.span),
                        p.name.span,
                    ));
                    build::name(&p.name.name, p.name.span)
                }
            },
            None => {
                params.push(build::param("sender", build::named_ty("Proc", s), s));
                build::name("sender", s)
            }
        };
        for (b, f) in h.bind.iter().zip(&msg.fields) {
            params.push(build::param(&b.name, f.ty.clone(), b.span));
        }
        let fields = h
            .bind
            .iter()
            .map(|b| build::name(&b.name, b.span))
            .collect();
        let m = build::message(&msg.name.name, fields, h.on.span);
        let me = build::process(&h.role.name, build::name("self", s), s);
        let mut code = RoleCode::new(&h.role.name, &vars, net, &mut err.diagnostics);
        code.byzantine = faults.byzantine.is_some();
        let (guard, mut effect) = code.rewrite(h.guard.as_ref(), &h.effect);
        if let Some(c) = net.consume(src.clone(), me.clone(), m.clone(), s) {
            effect.stmts.insert(0, c);
        }
        let deliverable = Some(net.deliverable(src, me, m, s));
        let guard = build::and(build::and(alive(&h.role.name, s), deliverable, s), guard, s);
        let name = format!("deliver_{}_to_{}", msg.name.name, h.role.name);
        spec.actions.push(ActionDecl {
            name: build::ident(&name, h.on.span),
            params,
            guard,
            effect,
            doc: h.doc.clone(),
        });
    }
    // Byzantine faults: the def `byzantine` (the set of Byzantine
    // processes, empty without such faults, for invariants about correct
    // processes) and an action by which they send any message to anyone.
    let first = &d.roles[0];
    let s0 = first.name.span;
    let members = |role: &dcheck_syntax::ast::RoleDecl, n: Expr| {
        let s = role.name.span;
        let i = build::name("i", s);
        let last_n = build::bin(
            BinOp::Gt,
            i.clone(),
            build::bin(BinOp::Sub, role.count.clone(), n, s),
            s,
        );
        let binder = build::binder("i", build::name(&role.name.name, s), s);
        dcheck_syntax::ast::Expr {
            kind: dcheck_syntax::ast::ExprKind::SetComp(
                Box::new(build::process(&role.name.name, i, s)),
                vec![binder],
                Some(Box::new(last_n)),
            ),
            span: s,
        }
    };
    let mut set = members(first, build::int(0, s0));
    for r in d.roles.iter().filter(|r| byzantine_role(&r.name.name)) {
        if let Some(b) = &faults.byzantine {
            set = build::bin(BinOp::Union, set, members(r, b.clone()), r.name.span);
        }
    }
    spec.defs.push(dcheck_syntax::ast::DefDecl {
        name: build::ident("byzantine", s0),
        params: vec![],
        body: set,
        doc: "the Byzantine processes".into(),
    });
    if faults.byzantine.is_some() {
        let s = s0;
        let (b, dst, m) = (
            build::name("b", s),
            build::name("dst", s),
            build::name("m", s),
        );
        let is_byz =
            |e: dcheck_syntax::ast::Expr| build::bin(BinOp::In, e, build::name("byzantine", s), s);
        // At most one copy of each Byzantine message in flight, and only
        // while the network has room: the adversary does not overflow it.
        let room = net.room(b.clone(), dst.clone(), s);
        let room = match net.delivery {
            network::Delivery::Unordered => build::and(
                Some(build::not(
                    net.deliverable(b.clone(), dst.clone(), m.clone(), s),
                    s,
                )),
                Some(room),
                s,
            ),
            network::Delivery::Fifo => Some(room),
        };
        let guard = build::and(
            build::and(
                Some(is_byz(b.clone())),
                Some(build::not(is_byz(dst.clone()), s)),
                s,
            ),
            room,
            s,
        );
        spec.actions.push(ActionDecl {
            name: build::ident("byzantine_send", s),
            params: vec![
                build::param("b", build::named_ty("Proc", s), s),
                build::param("dst", build::named_ty("Proc", s), s),
                build::param("m", build::named_ty("Msg", s), s),
            ],
            guard,
            effect: build::block(vec![net.send(b, dst, m, s)], s),
            doc: "a Byzantine process sends any message to any correct process".into(),
        });
    }
    spec.actions.extend(net.lose_action());
    // Faults: at most `crash` processes of the crashable roles are down at
    // once. Crash-stop: a crashed process keeps its state, frozen. With
    // recovery, a crash loses the process's volatile (non-persistent)
    // variables (they restart at their type's default) and `recover`
    // recoveries in all bring processes back.
    if let Some(crash) = &faults.crash {
        for r in &d.roles {
            if !crashable(&r.name.name) {
                continue;
            }
            let s = r.name.span;
            let p = build::process(&r.name.name, build::name("i", s), s);
            let is_down = build::bin(BinOp::In, p.clone(), build::name("crashed", s), s);
            let room = build::bin(
                BinOp::Lt,
                build::call("card", vec![build::name("crashed", s)], s),
                crash.clone(),
                s,
            );
            let mut effect = vec![build::call_stmt(
                "insert",
                vec![build::name("crashed", s), p.clone()],
                s,
            )];
            if faults.recover.is_some() {
                for v in r.vars.iter().filter(|v| !v.persistent) {
                    let place = build::index(
                        build::name(&v.name.name, v.name.span),
                        build::name("i", s),
                        s,
                    );
                    effect.push(build::call_stmt("reset", vec![place], s));
                }
            }
            let ids = vec![build::param("i", build::named_ty(&r.name.name, s), s)];
            spec.actions.push(ActionDecl {
                name: build::ident(&format!("crash_{}", r.name.name), s),
                params: ids.clone(),
                guard: Some(build::bin(
                    BinOp::And,
                    build::not(is_down.clone(), s),
                    room,
                    s,
                )),
                effect: build::block(effect, s),
                doc: format!("a process of role {} crashes", r.name.name),
            });
            if let Some(recover) = &faults.recover {
                let budget =
                    build::bin(BinOp::Lt, build::name("recoveries", s), recover.clone(), s);
                let count = build::bin(
                    BinOp::Add,
                    build::name("recoveries", s),
                    build::int(1, s),
                    s,
                );
                let back = build::call_stmt("remove", vec![build::name("crashed", s), p], s);
                spec.actions.push(ActionDecl {
                    name: build::ident(&format!("recover_{}", r.name.name), s),
                    params: ids,
                    guard: Some(build::bin(BinOp::And, is_down, budget, s)),
                    effect: build::block(
                        vec![back, build::assign(build::name("recoveries", s), count, s)],
                        s,
                    ),
                    doc: format!(
                        "a crashed process of role {} recovers with its persistent variables",
                        r.name.name
                    ),
                });
            }
        }
    }
}

/// Which process role each lowered action belongs to, for reports that show
/// a trace per process (`dcheck-report`'s message view). Role counts are only
/// known after compilation, so this lists names: the roles in declaration
/// order, each with its action names (its steps and its
/// `deliver_<Msg>_to_<Role>` handlers), and the handlers' details.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Processes {
    /// (role, names of the actions it performs), in declaration order.
    pub roles: Vec<(String, Vec<String>)>,
    pub handlers: Vec<HandlerInfo>,
}

/// A lowered handler: `deliver_<message>_to_<role>(self, sender, fields...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerInfo {
    pub action: String,
    /// The receiving role (`self` is an id of it).
    pub role: String,
    pub message: String,
    /// `Some(role)` when the sender parameter is an id of that role
    /// (`from: "RM(r)"`); `None` when it is a `Proc`.
    pub from_role: Option<String>,
}

/// The role metadata of a spec, computed before [`lower`]; `None` for a spec
/// without roles.
pub fn processes(spec: &Spec) -> Option<Processes> {
    let d = &spec.distributed;
    if d.roles.is_empty() {
        return None;
    }
    let mut p = Processes::default();
    for r in &d.roles {
        let role = &r.name.name;
        let mut actions: Vec<String> = d
            .steps
            .iter()
            .filter(|s| &s.role.name == role)
            .map(|s| s.name.name.clone())
            .collect();
        for h in d.handlers.iter().filter(|h| &h.role.name == role) {
            let action = format!("deliver_{}_to_{}", h.on.name, role);
            actions.push(action.clone());
            p.handlers.push(HandlerInfo {
                action,
                role: role.clone(),
                message: h.on.name.clone(),
                from_role: h
                    .from
                    .as_ref()
                    .and_then(|f| f.role.as_ref().map(|r| r.name.clone())),
            });
        }
        p.roles.push((role.clone(), actions));
    }
    Some(p)
}
