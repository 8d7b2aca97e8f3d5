//! Temporal properties and fairness, compiled for the liveness checker.
//!
//! Each property of the spec is brought to one of the forms the engine
//! checks directly ([`TemporalForm`]): `eventually P`, `always eventually P`,
//! `eventually always P`, `P leads_to Q` (also written
//! `always (P implies eventually Q)`), or `always P`, which is a safety
//! property and becomes an invariant. A leading `forall x in S: ...` is
//! unrolled at compile time: every binding is one check (one instance), with
//! the bound names as constants in its predicates.
//!
//! Fairness assumptions are resolved to sets of transitions: `A` is every
//! transition of action `A`, `A(e, _)` those whose parameters equal the
//! constant arguments (`_` matches anything); without `each`, every
//! binding of the assumption's `forall` is one constraint on the union of
//! its targets' transitions, with `each` every matched transition is a
//! constraint of its own. Identical constraints are shared between checks.

use std::collections::HashMap;

use dcheck_syntax::ast::{self, Binder, Expr, ExprKind, FairnessDecl, Quantifier, Temporal};
use dcheck_syntax::span::Span;

use crate::check::Compiler;
use crate::ltl::Formula;
use crate::runtime::ExprFn;
use crate::system::{Atom, FairnessConstraint, LivenessCheck, TemporalForm, TransitionId};
use crate::types::Ty;
use crate::value::{decode, Value};

/// Largest number of instances a property's `forall` or a fairness
/// assumption's `forall` may unroll to.
const MAX_INSTANCES: usize = 4096;

/// A temporal property of the spec, as reports name it.
#[derive(Clone, Debug)]
pub struct Property {
    pub name: String,
    /// The formula's text span.
    pub formula: Span,
    /// `always P`: checked as this invariant (an index into
    /// `Model::invariants`), not by the liveness checker.
    pub invariant: Option<u32>,
    /// The liveness checks (indices into `Model::checks`), one per binding of
    /// the property's `forall`.
    pub checks: Vec<u32>,
}

/// What a liveness check is an instance of.
#[derive(Clone, Debug)]
pub struct CheckInfo {
    /// Index into `Model::properties` (`u32::MAX` for a refinement's).
    pub property: u32,
    /// A refinement's liveness part: (the refinement, the position of the
    /// refined spec's fairness constraint in its `Refinement::fairness`).
    pub refined: Option<(u32, u32)>,
    /// Values of the property's `forall` names for this instance.
    pub bindings: Vec<(String, Value)>,
    /// A general formula's atoms ([`TemporalForm::General`]), for reports.
    pub atoms: Vec<AtomInfo>,
}

/// Where an atom of a general formula comes from.
#[derive(Clone, Debug)]
pub struct AtomInfo {
    /// The state predicate's, or the `taken` / `enabled` formula's, text.
    pub span: Span,
    /// The values of the inner `forall` / `exists` names it was unrolled
    /// with (`r = 2 (RM)`), empty outside them.
    pub label: String,
}

/// Where a fairness constraint comes from, for reports.
#[derive(Clone, Debug)]
pub struct FairnessInfo {
    /// The fairness assumption's text.
    pub span: Span,
    pub strong: bool,
    /// The values of the assumption's `forall` names as text, with the domain when it is a type name:
    /// `self = 1 (TM)`.
    pub label: String,
    /// For `each`: the one transition of this constraint.
    pub transition: Option<TransitionId>,
}

/// An action's transitions as the fairness resolution needs them.
pub(crate) struct ActionShape<'m> {
    pub name: &'m str,
    pub params: &'m [(String, Ty)],
    pub first: u32,
    pub end: u32,
}

/// Everything compiled from `properties` and `fairness`.
#[derive(Default)]
pub(crate) struct Compiled {
    pub properties: Vec<Property>,
    pub checks: Vec<LivenessCheck>,
    pub check_info: Vec<CheckInfo>,
    pub predicates: Vec<ExprFn>,
    pub fairness: Vec<FairnessConstraint>,
    pub fairness_info: Vec<FairnessInfo>,
    /// The constraints of the spec-level `fairness` list (a refining
    /// spec checks them as its refinement's liveness part).
    pub spec_fairness: Vec<u32>,
    /// `always P` properties to add as invariants: (name, name span, expr
    /// with the `forall` folded in).
    pub safety: Vec<(String, Span, Expr)>,
}

/// The forms a property can take once its `forall`s are peeled off.
enum Shape<'s> {
    Always(&'s Expr),
    Eventually(&'s Expr),
    AlwaysEventually(&'s Expr),
    EventuallyAlways(&'s Expr),
    LeadsTo(&'s Expr, &'s Expr),
    /// Any other formula: checked through the automaton of its negation.
    General(&'s Temporal),
}

/// Most states the automaton of a property's negation may have.
pub const MAX_AUTOMATON_STATES: usize = 1 << 16;

/// Most atoms (state predicates, `taken`, `enabled`) a general property
/// may have once its inner `forall`s and `exists` are unrolled: a
/// position's letter is one `u64`.
const MAX_ATOMS: usize = 64;

fn pred(t: &Temporal) -> Option<&Expr> {
    match &t.kind {
        ast::TemporalKind::Pred(e) => Some(e),
        _ => None,
    }
}

/// Peels the leading `forall`s and matches the body against the fixed
/// forms; any other formula with a temporal operator is `General`.
fn shape(t: &Temporal) -> Result<(Vec<&Binder>, Shape<'_>), (Span, String)> {
    use ast::TemporalKind as K;
    let mut binders = Vec::new();
    let mut t = t;
    while let K::Forall(bs, body) = &t.kind {
        binders.extend(bs.iter());
        t = body;
    }
    let fixed = match &t.kind {
        K::Always(inner) => match &inner.kind {
            K::Pred(p) => Some(Shape::Always(p)),
            K::Eventually(e) => pred(e).map(Shape::AlwaysEventually),
            K::Implies(a, b) => match (pred(a), &b.kind) {
                (Some(p), K::Eventually(q)) => pred(q).map(|q| Shape::LeadsTo(p, q)),
                _ => None,
            },
            _ => None,
        },
        K::Eventually(inner) => match &inner.kind {
            K::Pred(p) => Some(Shape::Eventually(p)),
            K::Always(a) => pred(a).map(Shape::EventuallyAlways),
            _ => None,
        },
        K::LeadsTo(a, b) => match (pred(a), pred(b)) {
            (Some(p), Some(q)) => Some(Shape::LeadsTo(p, q)),
            _ => None,
        },
        K::Pred(_) => {
            return Err((
                t.span,
                "a property needs a temporal operator: a state predicate alone says nothing \
                 about behaviours"
                    .into(),
            ))
        }
        _ => None,
    };
    Ok((binders, fixed.unwrap_or(Shape::General(t))))
}

/// The first `taken` that is not directly under `eventually` (or on the
/// right of `leads_to`, which is `always (P implies eventually Q)`), where
/// it would tell a stutter from no step at all: a property must not, as in
/// TLA+, where `<<A>>_vars` may only appear as `<><<A>>_vars`.
fn misplaced_taken(t: &Temporal, ok: bool) -> Option<Span> {
    use ast::TemporalKind as K;
    match &t.kind {
        K::Taken(_) => (!ok).then_some(t.span),
        K::Pred(_) | K::Enabled(_) => None,
        K::Eventually(a) => misplaced_taken(a, true),
        K::LeadsTo(a, b) => misplaced_taken(a, false).or_else(|| misplaced_taken(b, true)),
        K::Forall(_, a) | K::Exists(_, a) => misplaced_taken(a, ok),
        K::Always(a) | K::Not(a) => misplaced_taken(a, false),
        K::And(a, b) | K::Or(a, b) | K::Implies(a, b) | K::Until(a, b) => {
            misplaced_taken(a, false).or_else(|| misplaced_taken(b, false))
        }
    }
}

/// Whether a property is a safety property (`always P`, under `forall`s),
/// which is checked as an invariant.
pub fn is_safety(p: &ast::PropertyDecl) -> bool {
    matches!(shape(&p.formula), Ok((_, Shape::Always(_))))
}

/// `x = 1 (T), y = 2`: the domain is named when it is a plain name.
fn binding_label(binders: &[&Binder], binding: &[(Ty, u64)]) -> String {
    let parts: Vec<String> = binders
        .iter()
        .zip(binding)
        .map(|(b, (ty, v))| {
            let value = decode(ty, *v, true);
            match &b.domain.kind {
                ExprKind::Name(n) => format!("{} = {value} ({})", b.name.name, n.name),
                _ => format!("{} = {value}", b.name.name),
            }
        })
        .collect();
    parts.join(", ")
}

impl<'a> Compiler<'a> {
    /// Every binding of `binders` (constant domains), first binder slowest,
    /// as (type, value) per binder. Reports an error and returns `None` if a
    /// domain is not constant or there are too many bindings.
    fn const_bindings(&mut self, binders: &[&Binder], span: Span) -> Option<Vec<Vec<(Ty, u64)>>> {
        let mut out: Vec<Vec<(Ty, u64)>> = vec![vec![]];
        if let Some(b) = binders.iter().find(|b| b.pattern.is_some()) {
            self.error(
                b.span,
                "a pattern binder cannot name the instances of a property or fairness assumption",
                Some("bind the whole value (`x in S`) and use `match` or `==` on it; patterns work in quantifiers, set comprehensions and `for` loops".into()),
            );
            return None;
        }
        for b in binders {
            let mut next = Vec::new();
            for prefix in &out {
                for ((ty, v), pb) in prefix.iter().zip(binders.iter()) {
                    self.push_const_local(&pb.name.name, ty.clone(), *v);
                }
                let saved = self.allow_state;
                self.allow_state = false;
                let before = self.diags.len();
                let (ty, dom) = self.domain(&b.domain, None);
                self.allow_state = saved;
                for _ in prefix {
                    self.pop_local();
                }
                if self.diags.len() > before {
                    return None;
                }
                if ty.is_error() {
                    // No element type and no error: an empty literal such
                    // as `{}`. Nothing to bind.
                    return Some(Vec::new());
                }
                let state = vec![0u64; self.state_words.max(1)];
                let mut locals = vec![0u64; self.max_slots.max(1) + 1];
                let mut values = Vec::new();
                let r = dom.each(&state, &mut locals, |v, _| {
                    values.push(v);
                    Ok(values.len() <= MAX_INSTANCES)
                });
                if let Err(e) = r {
                    self.error(
                        b.domain.span,
                        format!("cannot enumerate: {}", e.message),
                        None,
                    );
                    return None;
                }
                for v in values {
                    let mut p = prefix.clone();
                    p.push((ty.clone(), v));
                    next.push(p);
                }
                if next.len() > MAX_INSTANCES {
                    self.error(
                        span,
                        format!("more than {MAX_INSTANCES} instances"),
                        Some("use smaller domains in the `forall`".into()),
                    );
                    return None;
                }
            }
            out = next;
        }
        Some(out)
    }

    /// Runs `f` with the names `binders` bind in scope as runtime locals of
    /// their domains' element types: a `forall` over an empty domain has no
    /// binding to compile its body with, but the body is still checked.
    /// Nothing if a domain does not compile (already reported).
    fn with_binder_locals(&mut self, binders: &[&Binder], f: impl FnOnce(&mut Self)) {
        let mut pushed = 0;
        for b in binders {
            let saved = self.allow_state;
            self.allow_state = false;
            let before = self.diags.len();
            let (ty, _) = self.domain(&b.domain, None);
            self.allow_state = saved;
            if self.diags.len() > before || ty.is_error() {
                break;
            }
            self.push_local(&b.name.name, ty);
            pushed += 1;
        }
        if pushed == binders.len() {
            f(self);
        }
        for _ in 0..pushed {
            self.pop_local();
        }
    }

    /// Compiles `e` as a predicate with the binding's names as constants.
    fn predicate(&mut self, binders: &[&Binder], binding: &[(Ty, u64)], e: &Expr) -> ExprFn {
        for ((ty, v), b) in binding.iter().zip(binders) {
            self.push_const_local(&b.name.name, ty.clone(), *v);
        }
        let f = self.bool_expr(e);
        for _ in binding {
            self.pop_local();
        }
        f
    }

    /// The transitions fairness targets (of an assumption, or of `taken` /
    /// `enabled`) match under one binding of the names `binders` bind.
    ///
    /// With `binding` `None` (a `forall` over an empty domain) the targets
    /// are only checked, with the bound names as runtime locals already in
    /// scope (see [`Compiler::with_binder_locals`]), and match nothing.
    fn fair_targets(
        &mut self,
        targets: &[ast::FairTarget],
        binders: &[&Binder],
        binding: Option<&[(Ty, u64)]>,
        actions: &[ActionShape],
        arg: &dyn Fn(u32, usize) -> u64,
    ) -> Vec<TransitionId> {
        let mut out = Vec::new();
        for target in targets {
            let Some(action) = actions.iter().find(|a| a.name == target.name.name) else {
                let names: Vec<&str> = actions.iter().map(|a| a.name).collect();
                self.error(
                    target.name.span,
                    format!(
                        "unknown action `{}` in a fairness assumption",
                        target.name.name
                    ),
                    Some(format!("actions of this spec: {}", names.join(", "))),
                );
                continue;
            };
            let mut want: Vec<Option<u64>> = vec![None; action.params.len()];
            if let Some(args) = &target.args {
                if args.len() != action.params.len() {
                    self.error(
                        target.span,
                        format!(
                            "`{}` has {} parameter(s), {} given",
                            action.name,
                            action.params.len(),
                            args.len()
                        ),
                        Some("give one value or `_` per parameter".into()),
                    );
                    continue;
                }
                let values = binding.unwrap_or_default();
                for ((ty, v), b) in values.iter().zip(binders) {
                    self.push_const_local(&b.name.name, ty.clone(), *v);
                }
                for (k, a) in args.iter().enumerate() {
                    let Some(e) = a else { continue };
                    let saved = self.allow_state;
                    self.allow_state = false;
                    let before = self.diags.len();
                    let (ty, f) = self.expr(e, Some(&action.params[k].1));
                    self.expect_compatible(e.span, &ty, &action.params[k].1);
                    self.allow_state = saved;
                    if self.diags.len() > before || binding.is_none() {
                        continue;
                    }
                    match self.eval_const(&f) {
                        Ok(v) => want[k] = Some(v),
                        Err(err) => self.error(e.span, err.message.clone(), None),
                    }
                }
                for _ in values {
                    self.pop_local();
                }
            }
            if binding.is_none() {
                continue;
            }
            for t in action.first..action.end {
                if want
                    .iter()
                    .enumerate()
                    .all(|(k, w)| !matches!(w, Some(w) if arg(t, k) != *w))
                {
                    out.push(t);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Compiles a general temporal formula with the names in `env` as
    /// constants; inner `forall` / `exists` are unrolled into `and` / `or`
    /// over their bindings. State predicates go to `out.predicates`, every
    /// atom to `atoms`. `None` after an error (reported).
    fn general<'s>(
        &mut self,
        t: &'s Temporal,
        env: &mut Vec<(&'s Binder, (Ty, u64))>,
        atoms: &mut Vec<(Atom, AtomInfo)>,
        out: &mut Compiled,
        ctx: (&[ActionShape], &dyn Fn(u32, usize) -> u64, bool),
    ) -> Option<Formula> {
        use ast::TemporalKind as K;
        let bx = Box::new;
        let split = |env: &Vec<(&'s Binder, (Ty, u64))>| {
            let bs: Vec<&Binder> = env.iter().map(|(b, _)| *b).collect();
            let vs: Vec<(Ty, u64)> = env.iter().map(|(_, v)| v.clone()).collect();
            (bs, vs)
        };
        let atom = |atoms: &mut Vec<(Atom, AtomInfo)>, a: Atom, span: Span, env: &Vec<_>| {
            let (bs, vs) = split(env);
            atoms.push((
                a,
                AtomInfo {
                    span,
                    label: binding_label(&bs, &vs),
                },
            ));
            Formula::Atom((atoms.len() - 1) as u32)
        };
        Some(match &t.kind {
            K::Pred(e) => {
                let (bs, vs) = split(env);
                let f = self.predicate(&bs, &vs, e);
                out.predicates.push(f);
                let id = (out.predicates.len() - 1) as u32;
                atom(atoms, Atom::State(id), e.span, env)
            }
            K::Taken(ts) | K::Enabled(ts) => {
                let (bs, vs) = split(env);
                // Only checked (the names of an empty domain are runtime
                // locals, with no value): the targets match nothing.
                let values = ctx.2.then_some(&vs[..]);
                let tr = self.fair_targets(ts, &bs, values, ctx.0, ctx.1);
                let a = match &t.kind {
                    K::Taken(_) => Atom::Taken(tr),
                    _ => Atom::Enabled(tr),
                };
                atom(atoms, a, t.span, env)
            }
            K::Always(a) => Formula::Always(bx(self.general(a, env, atoms, out, ctx)?)),
            K::Eventually(a) => Formula::Eventually(bx(self.general(a, env, atoms, out, ctx)?)),
            K::Not(a) => Formula::Not(bx(self.general(a, env, atoms, out, ctx)?)),
            K::And(a, b) | K::Or(a, b) | K::Implies(a, b) | K::LeadsTo(a, b) | K::Until(a, b) => {
                // Both sides compile (and report their errors) first.
                let x = self.general(a, env, atoms, out, ctx);
                let y = self.general(b, env, atoms, out, ctx);
                let (x, y) = (bx(x?), bx(y?));
                match &t.kind {
                    K::And(..) => Formula::And(x, y),
                    K::Or(..) => Formula::Or(x, y),
                    K::Implies(..) => Formula::Implies(x, y),
                    K::LeadsTo(..) => Formula::LeadsTo(x, y),
                    _ => Formula::Until(x, y),
                }
            }
            K::Forall(bs, body) | K::Exists(bs, body) => {
                let forall = matches!(t.kind, K::Forall(..));
                let binders: Vec<&Binder> = bs.iter().collect();
                // The domains may name the enclosing bound names.
                for (b, (ty, v)) in env.iter() {
                    self.push_const_local(&b.name.name, ty.clone(), *v);
                }
                let bindings = self.const_bindings(&binders, t.span);
                if bindings.as_ref().is_some_and(|b| b.is_empty()) {
                    // Nothing to unroll: the body is still checked, with
                    // the names as runtime locals.
                    let (np, na) = (out.predicates.len(), atoms.len());
                    let mut inner = env.clone();
                    self.with_binder_locals(&binders, |c| {
                        c.general(body, &mut inner, atoms, out, (ctx.0, ctx.1, false));
                    });
                    out.predicates.truncate(np);
                    atoms.truncate(na);
                }
                for _ in env.iter() {
                    self.pop_local();
                }
                let mut acc: Option<Formula> = None;
                for b in bindings? {
                    let depth = env.len();
                    env.extend(binders.iter().copied().zip(b));
                    let f = self.general(body, env, atoms, out, ctx);
                    env.truncate(depth);
                    let f = f?;
                    acc = Some(match acc {
                        None => f,
                        Some(a) if forall => Formula::And(bx(a), bx(f)),
                        Some(a) => Formula::Or(bx(a), bx(f)),
                    });
                }
                acc.unwrap_or(if forall {
                    Formula::True
                } else {
                    Formula::False
                })
            }
        })
    }
}

/// Compiles the spec's properties and the fairness they assume.
pub(crate) fn compile(
    c: &mut Compiler,
    spec: &ast::Spec,
    actions: &[ActionShape],
    arg: &dyn Fn(u32, usize) -> u64,
) -> Compiled {
    let mut out = Compiled::default();
    let mut shared: HashMap<(bool, Vec<TransitionId>), u32> = HashMap::new();
    // Fairness lists are resolved once each (the spec's, or a property's own).
    let mut resolve = |c: &mut Compiler, out: &mut Compiled, decls: &[FairnessDecl]| -> Vec<u32> {
        let mut ids = Vec::new();
        // Membership of `ids`, which may get one constraint per
        // transition (`each`): a linear search made that quadratic.
        let mut listed = std::collections::HashSet::new();
        for d in decls {
            let binders: Vec<&Binder> = d.binders.iter().collect();
            let Some(bindings) = c.const_bindings(&binders, d.span) else {
                continue;
            };
            if bindings.is_empty() {
                // A `forall` over an empty domain: no constraint, but the
                // targets are checked.
                c.with_binder_locals(&binders, |c| {
                    c.fair_targets(&d.targets, &binders, None, actions, arg);
                });
            }
            let strong = d.kind == ast::FairnessKind::Strong;
            for b in &bindings {
                let ts = c.fair_targets(&d.targets, &binders, Some(b), actions, arg);
                let groups: Vec<Vec<TransitionId>> = if d.each {
                    ts.iter().map(|t| vec![*t]).collect()
                } else if ts.is_empty() {
                    vec![]
                } else {
                    vec![ts]
                };
                for g in groups {
                    let single = d.each.then(|| g[0]);
                    let id = *shared.entry((strong, g.clone())).or_insert_with(|| {
                        out.fairness.push(FairnessConstraint {
                            strong,
                            transitions: g,
                        });
                        out.fairness_info.push(FairnessInfo {
                            span: d.span,
                            strong,
                            label: binding_label(&binders, b),
                            transition: single,
                        });
                        (out.fairness.len() - 1) as u32
                    });
                    if listed.insert(id) {
                        ids.push(id);
                    }
                }
            }
        }
        ids
    };
    let default_fairness = resolve(c, &mut out, &spec.fairness);
    out.spec_fairness = default_fairness.clone();

    for p in &spec.properties {
        let index = out.properties.len() as u32;
        let mut prop = Property {
            name: p.name.name.clone(),
            formula: p.formula.span,
            invariant: None,
            checks: Vec::new(),
        };
        let (binders, s) = match shape(&p.formula) {
            Ok(x) => x,
            Err((span, msg)) => {
                c.error(
                    span,
                    msg,
                    Some("write it under a temporal operator: `always P`, `eventually P`, `P leads_to Q`, `P until Q`, ... (docs/language.md, Temporal properties)".into()),
                );
                continue;
            }
        };
        if let Some(span) = misplaced_taken(&p.formula, false) {
            c.error(
                span,
                "`taken` is checked only as `eventually taken T` (or `P leads_to taken T`): anywhere else it would tell a stuttering step from none, and properties are stuttering-invariant (TLA+ allows `<<A>>_vars` only as `<><<A>>_vars`)",
                Some("`always eventually taken A`: A happens infinitely often; `not eventually taken A`: A never happens; `P leads_to taken A`".into()),
            );
            continue;
        }
        if let Shape::Always(e) = s {
            // A safety property: an invariant with the `forall` folded in.
            let expr = if binders.is_empty() {
                e.clone()
            } else {
                Expr {
                    kind: ExprKind::Quant(
                        Quantifier::Forall,
                        binders.iter().map(|b| (*b).clone()).collect(),
                        Box::new(e.clone()),
                    ),
                    span: p.formula.span,
                }
            };
            out.safety.push((p.name.name.clone(), p.name.span, expr));
            out.properties.push(prop);
            continue;
        }
        let fairness = match &p.fairness {
            Some(own) => resolve(c, &mut out, own),
            None => default_fairness.clone(),
        };
        let Some(bindings) = c.const_bindings(&binders, p.formula.span) else {
            continue;
        };
        if bindings.is_empty() {
            // A `forall` over an empty domain: no check (the property
            // holds), but its predicates are checked.
            c.with_binder_locals(&binders, |c| {
                let preds: Vec<&Expr> = match s {
                    Shape::Eventually(e)
                    | Shape::AlwaysEventually(e)
                    | Shape::EventuallyAlways(e) => {
                        vec![e]
                    }
                    Shape::LeadsTo(a, q) => vec![a, q],
                    Shape::General(t) => {
                        let (np, mut atoms) = (out.predicates.len(), Vec::new());
                        c.general(
                            t,
                            &mut Vec::new(),
                            &mut atoms,
                            &mut out,
                            (actions, arg, false),
                        );
                        out.predicates.truncate(np);
                        vec![]
                    }
                    Shape::Always(_) => unreachable!("handled above"),
                };
                for e in preds {
                    drop(c.bool_expr(e));
                }
            });
        }
        for b in &bindings {
            let mut atom_info = Vec::new();
            if let Shape::General(t) = s {
                let mut env: Vec<(&Binder, (Ty, u64))> =
                    binders.iter().copied().zip(b.iter().cloned()).collect();
                let mut atoms = Vec::new();
                let Some(formula) =
                    c.general(t, &mut env, &mut atoms, &mut out, (actions, arg, true))
                else {
                    break;
                };
                if atoms.len() > MAX_ATOMS {
                    c.error(
                        p.formula.span,
                        format!(
                            "this property has {} atoms (state predicates, `taken`, `enabled`) once its `forall` and `exists` are unrolled; at most {MAX_ATOMS} are supported",
                            atoms.len()
                        ),
                        Some("split it into several properties, or bound its inner quantifiers' domains".into()),
                    );
                    break;
                }
                let negated = Formula::Not(Box::new(formula.clone()));
                let automaton = match crate::ltl::translate(&negated, MAX_AUTOMATON_STATES) {
                    Ok(a) => a,
                    Err(_) => {
                        c.error(
                            p.formula.span,
                            format!("this property is too large to check: the automaton of its negation needs more than {MAX_AUTOMATON_STATES} states, or more work to build than that many allow"),
                            Some("simplify it, split a conjunction into several properties (each is checked on its own), or bound its inner quantifiers' domains".into()),
                        );
                        break;
                    }
                };
                let (atoms, info): (Vec<Atom>, Vec<AtomInfo>) = atoms.into_iter().unzip();
                atom_info = info;
                prop.checks.push(out.checks.len() as u32);
                out.checks.push(LivenessCheck {
                    form: TemporalForm::General {
                        formula,
                        atoms,
                        automaton,
                    },
                    fairness: fairness.clone(),
                });
            }
            let pred = |c: &mut Compiler, out: &mut Compiled, e: &Expr| {
                let f = c.predicate(&binders, b, e);
                out.predicates.push(f);
                (out.predicates.len() - 1) as u32
            };
            let form = match s {
                Shape::Eventually(e) => Some(TemporalForm::Eventually(pred(c, &mut out, e))),
                Shape::AlwaysEventually(e) => {
                    Some(TemporalForm::AlwaysEventually(pred(c, &mut out, e)))
                }
                Shape::EventuallyAlways(e) => {
                    Some(TemporalForm::EventuallyAlways(pred(c, &mut out, e)))
                }
                Shape::LeadsTo(a, q) => {
                    let pa = pred(c, &mut out, a);
                    Some(TemporalForm::LeadsTo(pa, pred(c, &mut out, q)))
                }
                Shape::Always(_) => unreachable!("handled above"),
                Shape::General(_) => None,
            };
            if let Some(form) = form {
                prop.checks.push(out.checks.len() as u32);
                out.checks.push(LivenessCheck {
                    form,
                    fairness: fairness.clone(),
                });
            }
            out.check_info.push(CheckInfo {
                property: index,
                refined: None,
                bindings: binders
                    .iter()
                    .zip(b)
                    .map(|(bd, (ty, v))| (bd.name.name.clone(), decode(ty, *v, true)))
                    .collect(),
                atoms: atom_info,
            });
        }
        out.properties.push(prop);
    }
    out
}

/// The letters of a lasso of concrete states for a general formula's
/// atoms (`states[loop_start..]` is the cycle, its last state equal to
/// `states[loop_start]`; `loop_start` the last index: the last state
/// repeats forever). A position is a state and the step from it: the last
/// state of a cycle is not a position of its own (the word goes back to
/// `loop_start`), and a stutter satisfies no `taken`. `taken T` holds on a
/// step when it changes the state and some transition of T leads there.
pub fn lasso_word<M: crate::system::TransitionSystem>(
    model: &M,
    sc: &mut M::Scratch,
    atoms: &[Atom],
    states: &[Vec<crate::system::Word>],
    loop_start: usize,
) -> Result<crate::ltl::Lasso, crate::system::EvalError> {
    let last = states.len() - 1;
    let positions = if loop_start < last { last } else { last + 1 };
    let mut out = vec![0; model.state_words()];
    let mut leads = |sc: &mut M::Scratch, from: &[u64], ts: &[TransitionId], to: Option<&[u64]>| {
        for &t in ts {
            if model.step(sc, from, t, &mut out)?
                && out[..] != *from
                && to.is_none_or(|to| out[..] == *to)
            {
                return Ok(true);
            }
        }
        Ok::<bool, crate::system::EvalError>(false)
    };
    let mut letters = Vec::with_capacity(positions);
    for i in 0..positions {
        let s = &states[i];
        let next = (i < last).then(|| &states[i + 1][..]);
        let mut l = 0u64;
        for (a, atom) in atoms.iter().enumerate() {
            let v = match atom {
                Atom::State(p) => model.eval_predicate(sc, s, *p)?,
                Atom::Enabled(ts) => leads(sc, s, ts, None)?,
                Atom::Taken(ts) => match next {
                    Some(n) if n != &s[..] => leads(sc, s, ts, Some(n))?,
                    _ => false,
                },
            };
            l |= (v as u64) << a;
        }
        letters.push(l);
    }
    Ok(crate::ltl::Lasso {
        letters,
        loop_start,
    })
}
