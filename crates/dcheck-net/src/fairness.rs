//! The fairness words of message-passing specs: in the spec-level
//! `fairness` list and in every property's own list, an assumption whose
//! only target is `delivery` or `processes` (no arguments, and no action of
//! that name) is expanded into assumptions on the lowered actions:
//!
//! - `weak delivery` (or `strong`): one assumption, `each`, on every
//!   `deliver_<Msg>_to_<Role>` action: every message in flight that stays
//!   deliverable to its receiver is eventually delivered, per message and
//!   receiver.
//! - `weak processes`: per role `R`, `forall self in R: weak {S(self, _),
//!   deliver_M_to_R(self, _, ...)}` over the role's steps and handlers:
//!   every correct process that can keep taking steps does. A crashed
//!   process has no enabled step, so the assumption holds for it.
//!
//! Generated nodes carry the span of the fairness assumption.

use dcheck_syntax::ast::{Distributed, FairTarget, FairnessDecl, Spec};
use dcheck_syntax::diag::Diagnostic;

use crate::build;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Delivery,
    Processes,
}

impl Word {
    fn text(self) -> &'static str {
        match self {
            Word::Delivery => "delivery",
            Word::Processes => "processes",
        }
    }
}

struct Ctx<'a> {
    /// The actions after lowering: name and number of parameters.
    actions: Vec<(String, usize)>,
    d: &'a Distributed,
}

impl Ctx<'_> {
    fn params(&self, action: &str) -> Option<usize> {
        self.actions
            .iter()
            .find(|(n, _)| n == action)
            .map(|&(_, k)| k)
    }
    /// A target that is one of the two words (and not an action's name).
    fn word(&self, t: &FairTarget) -> Option<Word> {
        let w = match t.name.name.as_str() {
            "delivery" => Word::Delivery,
            "processes" => Word::Processes,
            _ => return None,
        };
        self.params(&t.name.name).is_none().then_some(w)
    }
}

/// Expands `delivery` and `processes` in `spec.fairness` and in every
/// property's `fairness`; `spec.actions` must already be lowered (`d` is
/// the spec's message-passing sections, empty for a spec without roles).
pub(crate) fn expand(spec: &mut Spec, d: &Distributed, diags: &mut Vec<Diagnostic>) {
    let ctx = Ctx {
        actions: spec
            .actions
            .iter()
            .map(|a| (a.name.name.clone(), a.params.len()))
            .collect(),
        d,
    };
    spec.fairness = expand_list(std::mem::take(&mut spec.fairness), &ctx, diags);
    for p in &mut spec.properties {
        if let Some(list) = p.fairness.take() {
            p.fairness = Some(expand_list(list, &ctx, diags));
        }
    }
}

fn expand_list(
    list: Vec<FairnessDecl>,
    ctx: &Ctx,
    diags: &mut Vec<Diagnostic>,
) -> Vec<FairnessDecl> {
    let mut out = Vec::new();
    for f in list {
        let Some((word, target)) = f.targets.iter().find_map(|t| ctx.word(t).map(|w| (w, t)))
        else {
            out.push(f);
            continue;
        };
        match misuse(word, target, &f, ctx) {
            Some(d) => {
                diags.push(d);
                out.push(f);
            }
            None => match word {
                Word::Delivery => out.extend(delivery(&f, ctx)),
                Word::Processes => out.extend(processes(&f, ctx)),
            },
        }
    }
    out
}

/// Why `word` cannot be expanded here, if it cannot.
fn misuse(word: Word, t: &FairTarget, f: &FairnessDecl, ctx: &Ctx) -> Option<Diagnostic> {
    let w = word.text();
    let span = t.span;
    if ctx.d.roles.is_empty() {
        let (msg, help) = match word {
            Word::Delivery => (
                "`delivery` needs a spec with roles and messages",
                "`weak delivery` makes the delivery of every message fair in a spec with \
                 `roles`, `messages` and `handlers`; here it is neither that nor the name of an action",
            ),
            Word::Processes => (
                "`processes` needs a spec with roles",
                "`weak processes` makes the steps and handlers of every process fair in a spec \
                 with `roles`; here it is neither that nor the name of an action",
            ),
        };
        return Some(Diagnostic::new(span, msg).label("no roles").help(help));
    }
    let example = match word {
        Word::Delivery => "weak delivery",
        Word::Processes => "weak processes",
    };
    if f.targets.len() > 1 {
        return Some(
            Diagnostic::new(span, format!("`{w}` cannot be part of a group"))
                .label("in a group")
                .help(format!(
                    "write `{example}` as an assumption of its own, and the other actions in another"
                )),
        );
    }
    if t.args.is_some() {
        let help = match word {
            Word::Delivery => "`delivery` stands for every `deliver_<Msg>_to_<Role>` action; \
                to make some deliveries fair, name those actions: `weak deliver_Ping_to_Server(_, _)`"
                .to_string(),
            Word::Processes => "`processes` stands for every step and handler of every process; \
                to make some processes fair, name their actions: `forall s in Server: weak {Step(s), deliver_Ping_to_Server(s, _)}`"
                .to_string(),
        };
        return Some(
            Diagnostic::new(span, format!("`{w}` takes no arguments"))
                .label("arguments")
                .help(help),
        );
    }
    if f.each {
        let help = match word {
            Word::Delivery => "`weak delivery` already makes the delivery of every message to \
                every receiver a constraint of its own: drop `each`",
            Word::Processes => "`weak processes` gives one constraint per process (over all its \
                steps and handlers): drop `each`, or name the actions: `weak each {Step, deliver_Ping_to_Server}`",
        };
        return Some(
            Diagnostic::new(span, format!("`{w}` cannot be combined with `each`"))
                .label("with `each`")
                .help(help),
        );
    }
    if !f.binders.is_empty() {
        return Some(
            Diagnostic::new(span, format!("`{w}` cannot be under `forall`"))
                .label("under `forall`")
                .help(format!(
                    "`{example}` already covers every process: drop the `forall`, or name the actions"
                )),
        );
    }
    None
}

/// The lowered handler actions of role `role` (every role if `None`), in
/// declaration order, with their parameter counts.
fn handler_actions(ctx: &Ctx, role: Option<&str>) -> Vec<(String, usize)> {
    ctx.d
        .handlers
        .iter()
        .filter(|h| match role {
            Some(r) => h.role.name == r,
            None => true,
        })
        .filter_map(|h| {
            let name = format!("deliver_{}_to_{}", h.on.name, h.role.name);
            ctx.params(&name).map(|k| (name, k))
        })
        .collect()
}

fn delivery(f: &FairnessDecl, ctx: &Ctx) -> Option<FairnessDecl> {
    let s = f.span;
    let targets: Vec<FairTarget> = handler_actions(ctx, None)
        .into_iter()
        .map(|(name, _)| FairTarget {
            name: build::ident(&name, s),
            args: None,
            span: s,
        })
        .collect();
    (!targets.is_empty()).then(|| FairnessDecl {
        kind: f.kind,
        binders: Vec::new(),
        each: true,
        targets,
        span: s,
    })
}

fn processes(f: &FairnessDecl, ctx: &Ctx) -> Vec<FairnessDecl> {
    let s = f.span;
    let mut out = Vec::new();
    for r in &ctx.d.roles {
        let role = r.name.name.as_str();
        let mut actions: Vec<(String, usize)> = ctx
            .d
            .steps
            .iter()
            .filter(|st| st.role.name == role)
            .filter_map(|st| ctx.params(&st.name.name).map(|k| (st.name.name.clone(), k)))
            .collect();
        actions.extend(handler_actions(ctx, Some(role)));
        if actions.is_empty() {
            continue;
        }
        // `A(self, _, ...)`: this process's instances of A.
        let targets = actions
            .into_iter()
            .map(|(name, k)| {
                let mut args = vec![Some(build::name("self", s))];
                args.extend((1..k).map(|_| None));
                FairTarget {
                    name: build::ident(&name, s),
                    args: Some(args),
                    span: s,
                }
            })
            .collect();
        out.push(FairnessDecl {
            kind: f.kind,
            binders: vec![build::binder("self", build::name(role, s), s)],
            each: false,
            targets,
            span: s,
        });
    }
    out
}
