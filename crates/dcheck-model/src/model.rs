//! The compiled model: transitions enumerated once (an action with one
//! binding of its parameters each), compiled guards, effects and invariants,
//! and the [`TransitionSystem`] implementation the engine explores. Also the
//! slow-path helpers for reports: decoding states, naming transitions and
//! explaining which part of an invariant failed.

use dcheck_syntax::ast::{self, BinOp, Expr, ExprKind, Quantifier};
use dcheck_syntax::span::Span;

use crate::check::{Compiler, VarInfo, MAX_BINDINGS};
use crate::drive::Driver;
use crate::rewrite::{and_all, conjuncts, split_guard as split_conjuncts};
use crate::runtime::{Domain, ExprFn, StmtFn};
use crate::system::{
    EvalError, FairnessConstraint, InvariantId, LivenessCheck, PredicateId, StepCheck, StepError,
    TransitionId, TransitionSystem, Word,
};
use crate::temporal::{ActionShape, CheckInfo, FairnessInfo, Property};
use crate::types::Ty;
use crate::value::{decode, Value};

/// An action of the spec, compiled.
pub struct Action {
    pub name: String,
    /// The declared parameters, then one per choice point of the effect
    /// (`crate::choice`).
    pub params: Vec<(String, Ty)>,
    /// How many of `params` are declared (the rest are choice points).
    pub declared: usize,
    choices: Vec<crate::choice::ChoicePoint>,
    pub span: Span,
    slots: Vec<usize>,
    /// The guard's conjuncts that mention no parameter: evaluated once per
    /// state for all bindings.
    shared_guard: Option<ExprFn>,
    /// The rest of the guard.
    guard: Option<ExprFn>,
    effect: StmtFn,
    /// Each conjunct of the guard as written, compiled on its own (the
    /// parameters in `slots`): only for naming the false one in reports.
    guard_parts: Vec<(Span, ExprFn)>,
    /// Set when a guard conjunct `x in c` picks the bindings that can be
    /// enabled from the members of `c` (see [`crate::drive`]).
    driver: Option<Driver>,
    /// The transitions of this action: `first..end`.
    pub(crate) first: u32,
    pub(crate) end: u32,
    /// Transition `first + i`'s arguments are `Model::args[args + i *
    /// slots.len()..]`.
    args: usize,
    /// Code specialised for each binding (parameters folded to
    /// constants), by `t - first`; empty to run the generic code above
    /// with the arguments in locals.
    codes: Vec<Code>,
}

impl Action {
    /// The arguments of this action's transition `t`, in `args`
    /// (`Model::args`).
    #[inline]
    fn args_of<'a>(&self, args: &'a [u64], t: TransitionId) -> &'a [u64] {
        let n = self.slots.len();
        let at = self.args + (t - self.first) as usize * n;
        &args[at..at + n]
    }
}

/// Every binding of an action's parameters, flat: binding `i` is
/// `values[i * width..(i + 1) * width]`, the first parameter slowest. One
/// allocation, not one a binding: as a vector of vectors, 2^24 bindings of
/// two parameters took about 1 GB while compiling.
pub(crate) struct Bindings {
    width: usize,
    count: usize,
    values: Vec<u64>,
}

impl Bindings {
    fn none(width: usize) -> Bindings {
        Bindings {
            width,
            count: 0,
            values: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u64]> + '_ {
        (0..self.count).map(move |i| &self.values[i * self.width..(i + 1) * self.width])
    }
}

/// Guard and effect of one transition.
struct Code {
    guard: Option<ExprFn>,
    effect: StmtFn,
}

/// Actions with at most this many bindings get code specialised per binding;
/// larger ones run their generic code with the parameters in locals.
///
/// Measured: specialising is worth 1.2-1.7x on actions of up to a few
/// hundred bindings (2pc, paxos, maekawa, byzantine agreement: every action
/// at most 216), whose code stays in cache. Raft's AppendEntries handler has
/// 1,458 bindings; specialised, they took 12 MB (of the 15 MB the compiled
/// model took), and a state runs a scattered few of them, so the constants
/// bought nothing: `specs/raft.ron`, 2 threads, 126.0 MiB peak against
/// 137.6 MiB at 4096, 0.997x the wall time (`farm-bench -n 7`).
const SPECIALISE_MAX: usize = 512;

/// An invariant, compiled twice: once fast, once as a tree that can say
/// which conjunct failed for which binding.
pub struct Invariant {
    pub name: String,
    pub span: Span,
    check: ExprFn,
    /// The bits of the state it reads, `(word, mask)` in word order: a
    /// successor equal to its parent on them needs no evaluation.
    reads: Vec<(usize, u64)>,
    explain: Explain,
}

enum Explain {
    Forall {
        name: String,
        ty: Ty,
        dom: Domain,
        slot: usize,
        body: Box<Explain>,
    },
    And(Vec<Explain>),
    Leaf {
        check: ExprFn,
        span: Span,
    },
}

/// Why an invariant failed: the innermost conjunct that is false, under the
/// bindings of the enclosing `forall`s.
#[derive(Clone, Debug)]
pub struct Explanation {
    pub conjunct: Span,
    pub bindings: Vec<(String, Value)>,
}

/// A compiled spec.
pub struct Model {
    pub name: String,
    pub doc: String,
    pub vars: Vec<VarInfo>,
    pub constants: Vec<(String, Value)>,
    pub actions: Vec<Action>,
    pub invariants: Vec<Invariant>,
    /// The spec's temporal properties, in declaration order.
    pub properties: Vec<Property>,
    /// What each liveness check (`liveness_checks()[i]`) is an instance of.
    pub check_info: Vec<CheckInfo>,
    /// Where each fairness constraint (`fairness_constraints()[i]`) comes from.
    pub fairness_info: Vec<FairnessInfo>,
    /// What the compiler warns about (the spec is still checked).
    pub warnings: Vec<dcheck_syntax::diag::Diagnostic>,
    /// Quantifier bodies compiled by unrolling (a measure of compile cost,
    /// bounded per quantifier nest by `UNROLL_MAX`).
    pub unrolled_bodies: u64,
    checks: Vec<LivenessCheck>,
    fairness: Vec<FairnessConstraint>,
    /// The constraints of the spec-level `fairness` list.
    pub spec_fairness: Vec<u32>,
    predicates: Vec<ExprFn>,
    /// The refinements' fairness checks, as (refinement, position in its
    /// `fairness`): entry `i` is state predicate `predicates.len() + i`
    /// (the refined constraint is enabled) and step predicate `i` (a step
    /// takes it).
    refined: Vec<(u32, u32)>,
    words: usize,
    locals: usize,
    init: Action,
    init_args: Bindings,
    /// The action of each transition (a binding of its parameters): four
    /// bytes a binding, and its arguments in `args`. The code of a binding
    /// is its action's (an action of 2^24 bindings once held 64 bytes a
    /// binding here, with the code inline).
    transitions: Vec<u32>,
    args: Vec<u64>,
    terminal: Option<ExprFn>,
    /// The state constraints' names, in declaration order.
    pub constraint_names: Vec<String>,
    constraints: Vec<ExprFn>,
    /// The view's components (a tuple literal's items, or the one
    /// expression); empty without a view.
    view: Vec<ExprFn>,
    /// The symmetry reduction, if the spec declares symmetric types and
    /// the run checks no temporal property.
    pub symmetry: Option<crate::symmetry::Symmetry>,
    /// The action properties: invariants over a step, evaluated on the
    /// state before it followed by the state after it (`x'` reads the
    /// second half; see `compile_with`).
    pub action_properties: Vec<Invariant>,
    /// The symmetric types the spec declares but this run does not reduce
    /// by, because it checks temporal properties (see [`compile_with`]).
    pub symmetry_skipped: Vec<String>,
    /// The spec's `assume_progress` (see
    /// [`TransitionSystem::assume_progress`]).
    pub assume_progress: bool,
    /// The specs this one refines (`refines`).
    pub refinements: Vec<crate::refine::Refinement>,
    /// The statements of effects that refuse steps (`check::DISABLED_BY`).
    refusals: Vec<crate::check::Refusal>,
}

impl Model {
    /// The name of what liveness check `c` checks: its temporal property,
    /// or the refinement whose refined spec's fairness it is.
    pub fn check_name(&self, c: u32) -> &str {
        let info = &self.check_info[c as usize];
        match info.refined {
            Some((r, _)) => &self.refinements[r as usize].name,
            None => &self.properties[info.property as usize].name,
        }
    }

    /// The liveness checks of refinement `r` (its refined spec's fairness).
    pub fn refinement_checks(&self, r: u32) -> Vec<u32> {
        (0..self.check_info.len() as u32)
            .filter(|&c| {
                self.check_info[c as usize]
                    .refined
                    .is_some_and(|(x, _)| x == r)
            })
            .collect()
    }
}

impl Scratch {
    /// The local registers, for code of this crate run from outside a
    /// step (refinement mappings in reports).
    pub(crate) fn locals_mut(&mut self) -> &mut [u64] {
        &mut self.locals
    }
}

/// Per-thread evaluation space.
pub struct Scratch {
    locals: Vec<u64>,
    next: Vec<Word>,
    /// The candidate transitions of a driven action.
    candidates: Vec<TransitionId>,
    /// Decoded collections, for the drivers.
    members: crate::drive::MemberCache,
    /// The canonical form's buffers.
    sym: crate::symmetry::SymScratch,
    /// A step's two states, one after the other, for action properties.
    pair: Vec<Word>,
    /// Per refinement, the refined spec's space.
    refine: Vec<crate::refine::RefScratch>,
}

impl Scratch {
    /// Lays a step's two states end to end, for action properties.
    fn set_pair(&mut self, parent: &[Word], state: &[Word]) {
        let (before, after) = self.pair.split_at_mut(parent.len());
        before.copy_from_slice(parent);
        after.copy_from_slice(state);
    }
}

/// `dst.copy_from_slice(src)` without a `memcpy` call for the usual
/// one- or two-word states.
#[inline(always)]
fn copy_words(dst: &mut [Word], src: &[Word]) {
    if src.len() <= 4 {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    } else {
        dst.copy_from_slice(src);
    }
}

#[allow(clippy::boxed_local)] // takes the error as the closures return it
fn step_err(t: Option<TransitionId>, e: Box<EvalError>) -> StepError {
    StepError {
        transition: t,
        error: *e,
    }
}

/// A guard split into (shared, per-binding) parts; see [`Action`].
fn split_guard(params: &[ast::Param], guard: Option<&Expr>) -> (Option<Expr>, Option<Expr>) {
    let Some(g) = guard else { return (None, None) };
    if params.is_empty() {
        return (None, Some(g.clone()));
    }
    let names: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
    let (shared, rest) = split_conjuncts(g, &names);
    let part = |v: &[&Expr]| (!v.is_empty()).then(|| and_all(v));
    (part(&shared), part(&rest))
}

/// `guard` without its conjunct number `at` (`None` if nothing is left).
fn without(guard: Option<&Expr>, at: usize) -> Option<Expr> {
    let (mut parts, _) = split_conjuncts(guard?, &[]);
    parts.remove(at);
    (!parts.is_empty()).then(|| and_all(&parts))
}

/// Every binding of parameters of the given types, first parameter slowest.
fn bindings(params: &[(String, Ty, usize)]) -> Option<Bindings> {
    let mut total: u128 = 1;
    for (_, ty, _) in params {
        total = total.checked_mul(ty.card()?)?;
    }
    if total > MAX_BINDINGS {
        return None;
    }
    let count = total as usize;
    let width = params.len();
    // (card, low end) of each parameter.
    let mut digits = Vec::with_capacity(width);
    for (_, ty, _) in params {
        debug_assert!(crate::value::indices_are_canonical(ty));
        digits.push((ty.card_u64()?, ty.int_lo()));
    }
    let mut values = vec![0u64; count * width];
    for (i, b) in values.chunks_exact_mut(width.max(1)).enumerate() {
        let mut rest = i as u64;
        for (v, &(card, lo)) in b.iter_mut().zip(&digits).rev() {
            let d = rest % card;
            rest /= card;
            *v = match lo {
                Some(lo) => (lo + d as i64) as u64,
                None => d,
            };
        }
    }
    Some(Bindings {
        width,
        count,
        values,
    })
}

impl<'a> Compiler<'a> {
    fn action(
        &mut self,
        name: &str,
        span: Span,
        params: &[ast::Param],
        guard: Option<&Expr>,
        effect: &ast::Block,
    ) -> (Action, Bindings, Option<Expr>) {
        let full_guard = guard;
        let (shared, guard) = split_guard(params, guard);
        let shared_guard = shared.as_ref().map(|g| self.bool_expr(g));
        let base = self.next_slot;
        let mut bound = self.bind_params(params);
        let declared = bound.len();
        let names: Vec<String> = bound.iter().map(|b| b.0.clone()).collect();
        let (choices, diags) = crate::choice::collect(effect, &names);
        self.choices = choices;
        self.diags.extend(diags);
        let choice_slots: Vec<usize> = (0..self.choices.len())
            .map(|k| self.push_local(&crate::choice::slot_name(k), Ty::Bool))
            .collect();
        let has_choices = !self.choices.is_empty();
        if has_choices {
            self.push_local(crate::choice::REACHED, Ty::Bool);
        }
        let guard_fn = guard.as_ref().map(|g| self.bool_expr(g));
        let mut effect = self.block(effect);
        if has_choices {
            effect = self.choice_check(effect, choice_slots.clone(), None);
            self.pop_local();
        }
        let choices = std::mem::take(&mut self.choices);
        for (c, slot) in choices.iter().zip(choice_slots) {
            bound.push((c.name.clone(), c.ty.clone(), slot));
        }
        let guard_parts = self.guard_parts(full_guard);
        let binds = bindings(&bound);
        let slots: Vec<usize> = bound.iter().map(|b| b.2).collect();
        let driver = match &binds {
            Some(b) if self.diags.is_empty() => self.driver(guard.as_ref(), &slots, b),
            _ => None,
        };
        // The per-binding guard, without a driving conjunct (see
        // `Driver::conjunct`): compiled again when there is one, and what
        // every binding compiles when specialised.
        let (guard, guard_fn) = match &driver {
            Some(d) => {
                let g = without(guard.as_ref(), d.conjunct);
                let f = g.as_ref().map(|g| self.bool_expr(g));
                (g, f)
            }
            None => (guard, guard_fn),
        };
        for _ in &bound {
            self.pop_local();
        }
        self.next_slot = base;
        let binds = match binds {
            Some(b) => b,
            None => {
                if bound.iter().all(|b| !b.1.is_error()) {
                    self.error(
                        span,
                        format!("`{name}` has more than {MAX_BINDINGS} parameter bindings"),
                        Some("use smaller parameter types".into()),
                    );
                }
                Bindings::none(bound.len())
            }
        };
        let action = Action {
            name: name.to_string(),
            params: bound
                .iter()
                .map(|(n, t, _)| (n.clone(), t.clone()))
                .collect(),
            declared,
            choices,
            span,
            slots,
            shared_guard,
            guard: guard_fn,
            effect,
            guard_parts,
            driver,
            first: 0,
            end: 0,
            args: 0,
            codes: Vec::new(),
        };
        (action, binds, guard)
    }

    /// The conjuncts of a guard, each compiled alone (diagnostics were
    /// reported for the whole guard and are dropped here).
    fn guard_parts(&mut self, guard: Option<&Expr>) -> Vec<(Span, ExprFn)> {
        let mut parts = Vec::new();
        if let Some(g) = guard {
            conjuncts(g, &mut parts);
        }
        let before = self.diags.len();
        let compiled = parts
            .into_iter()
            .map(|p| (p.span, self.bool_expr(p)))
            .collect();
        self.diags.truncate(before);
        compiled
    }

    /// Compile an action's guard (its per-binding part, see `compile`) and
    /// effect for one binding, with the parameters as constants.
    /// Diagnostics were reported by the generic compile and are dropped
    /// here.
    fn specialise(
        &mut self,
        action: &Action,
        binding: &[u64],
        guard: Option<&Expr>,
        effect: &ast::Block,
    ) -> Code {
        let before = self.diags.len();
        for (k, ((name, ty), v)) in action.params.iter().zip(binding).enumerate() {
            match k.checked_sub(action.declared) {
                None => self.push_const_local(name, ty.clone(), *v),
                Some(c) => self.push_const_local(&crate::choice::slot_name(c), ty.clone(), *v),
            }
        }
        let has_choices = !action.choices.is_empty();
        self.choices = action.choices.clone();
        if has_choices {
            self.push_local(crate::choice::REACHED, Ty::Bool);
        }
        let guard = guard.map(|g| self.bool_expr(g));
        let mut effect = self.block(effect);
        if has_choices {
            let konsts = binding[action.declared..].to_vec();
            effect = self.choice_check(effect, Vec::new(), Some(konsts));
            self.pop_local();
        }
        self.choices.clear();
        for _ in binding {
            self.pop_local();
        }
        self.diags.truncate(before);
        Code { guard, effect }
    }

    fn explain(&mut self, e: &Expr) -> Explain {
        match &e.kind {
            ExprKind::Quant(Quantifier::Forall, binders, body) => {
                let Some((first, rest)) = binders.split_first() else {
                    return self.explain(body);
                };
                let (ty, dom) = self.domain(&first.domain, None);
                let slot = self.push_local(&first.name.name, ty.clone());
                let inner = if rest.is_empty() {
                    self.explain(body)
                } else {
                    let rest_e = Expr {
                        kind: ExprKind::Quant(Quantifier::Forall, rest.to_vec(), body.clone()),
                        span: e.span,
                    };
                    self.explain(&rest_e)
                };
                self.pop_local();
                Explain::Forall {
                    name: first.name.name.clone(),
                    ty,
                    dom,
                    slot,
                    body: Box::new(inner),
                }
            }
            ExprKind::Binary(BinOp::And, ..) => {
                let mut all = Vec::new();
                conjuncts(e, &mut all);
                Explain::And(all.into_iter().map(|x| self.explain(x)).collect())
            }
            _ => Explain::Leaf {
                check: self.bool_expr(e),
                span: e.span,
            },
        }
    }
}

/// Compile a parsed spec with constant overrides (`NAME`, `VALUE` text).
pub fn compile(
    spec: &ast::Spec,
    overrides: &[(String, String)],
) -> Result<Model, crate::CompileError> {
    compile_with(spec, overrides, true)
}

/// [`compile`], choosing whether each transition's guard and effect are
/// compiled again for its binding (`specialise`): the search runs those,
/// but they add no diagnostic, so `dcheck check` (a save hook: it must
/// answer in a fraction of a second) leaves them out. Without them every
/// transition runs its action's generic code, with the same results.
pub fn compile_with(
    spec: &ast::Spec,
    overrides: &[(String, String)],
    specialise: bool,
) -> Result<Model, crate::CompileError> {
    compile_inner(spec, overrides, specialise, None)
}

/// An expression of a spec compiled on its own, to evaluate in its states
/// (`dcheck explore`'s `e`): [`Probe::eval`].
pub struct Probe {
    ty: Ty,
    f: ExprFn,
    locals: usize,
}

impl Probe {
    /// The expression's value in `state`.
    pub fn eval(&self, state: &[Word]) -> Result<Value, EvalError> {
        let mut locals = vec![0u64; self.locals];
        let v = self.f.eval(state, &mut locals).map_err(|e| *e)?;
        Ok(decode(&self.ty, v, true))
    }

    /// The expression's type.
    pub fn ty(&self) -> String {
        self.ty.to_string()
    }
}

/// Compiles `expr` in the scope of `spec` (its constants, types, variables
/// and defs), with the same constant overrides as its model; the spec's
/// own diagnostics, if any, come back too.
pub fn compile_probe(
    spec: &ast::Spec,
    overrides: &[(String, String)],
    expr: &Expr,
) -> Result<Probe, crate::CompileError> {
    let mut probe = None;
    compile_inner(spec, overrides, false, Some((expr, &mut probe)))?;
    Ok(probe.expect("compiled with the model"))
}

fn compile_inner(
    spec: &ast::Spec,
    overrides: &[(String, String)],
    specialise: bool,
    probe: Option<(&Expr, &mut Option<Probe>)>,
) -> Result<Model, crate::CompileError> {
    let mut c = Compiler::new();
    let mut usage = Vec::new();
    c.declare_consts(&spec.constants, overrides, &mut usage);
    c.symmetric = spec.symmetry.iter().map(|n| n.name.clone()).collect();
    c.declare_types(&spec.types);
    for n in &spec.symmetry {
        if !c.is_type_name(&n.name) {
            c.error(
                n.span,
                format!("`symmetry` names `{}`, which is no type or role of the spec", n.name),
                Some("list the types (or roles) whose values are interchangeable, like `symmetry: [\"RM\"]` for `types: [(name: \"RM\", def: \"1..N\")]`".into()),
            );
        }
    }
    let words = c.declare_vars(&spec.vars);
    for d in &spec.defs {
        if c.defs.insert(d.name.name.clone(), d).is_some() {
            c.error(
                d.name.span,
                format!("def `{}` declared twice", d.name.name),
                None,
            );
        }
    }
    let (init, init_args, _) = c.action(
        "init",
        spec.init.span,
        &spec.init.params,
        spec.init.guard.as_ref(),
        &spec.init.effect,
    );
    let mut actions = Vec::new();
    let mut transitions = Vec::new();
    let mut args = Vec::new();
    for a in &spec.actions {
        let (mut action, binds, guard) = c.action(
            &a.name.name,
            a.name.span,
            &a.params,
            a.guard.as_ref(),
            &a.effect,
        );
        let per_binding = specialise && c.diags.is_empty() && binds.len() <= SPECIALISE_MAX;
        action.first = transitions.len() as u32;
        action.end = (transitions.len() + binds.len()) as u32;
        if let Some(d) = &mut action.driver {
            d.shift(action.first);
        }
        action.args = args.len();
        if per_binding {
            action.codes = binds
                .iter()
                .map(|b| c.specialise(&action, b, guard.as_ref(), &a.effect))
                .collect();
        }
        transitions.resize(action.end as usize, actions.len() as u32);
        // Moved, not copied, when it is the first action's.
        if args.is_empty() {
            args = binds.values;
        } else {
            args.extend_from_slice(&binds.values);
        }
        actions.push(action);
    }
    let mut invariants: Vec<Invariant> = spec
        .invariants
        .iter()
        .map(|inv| invariant(&mut c, inv))
        .collect();
    // Action properties read `x'` through a copy of every variable whose
    // slots lie one state further on: they run on the two states of a step
    // laid end to end. The copies exist only while they compile.
    let mut action_properties = Vec::new();
    if !spec.action_properties.is_empty() {
        let declared = c.vars.len();
        let shift = (words * 64) as u32;
        let moved = |s: &crate::encoding::Slot| crate::encoding::Slot {
            offset: s.offset + shift,
            bits: s.bits,
        };
        for i in 0..declared {
            let v = c.vars[i].clone();
            let primed = crate::check::VarInfo {
                name: format!("{}'", v.name),
                ty: v.ty,
                slot: moved(&v.slot),
                keys: v
                    .keys
                    .map(|k| std::sync::Arc::new(k.iter().map(moved).collect())),
            };
            c.var_index.insert(primed.name.clone(), c.vars.len());
            c.vars.push(primed);
        }
        for ap in &spec.action_properties {
            action_properties.push(invariant(&mut c, ap));
        }
        for v in c.vars.drain(declared..) {
            c.var_index.remove(&v.name);
        }
        c.vars_read.clear();
    }
    let shapes: Vec<ActionShape> = actions
        .iter()
        .map(|a| ActionShape {
            name: &a.name,
            // Fairness names the declared parameters; the choice points
            // (after them) are always `_`.
            params: &a.params[..a.declared],
            first: a.first,
            end: a.end,
        })
        .collect();
    let arg = |t: u32, k: usize| actions[transitions[t as usize] as usize].args_of(&args, t)[k];
    let mut temporal = crate::temporal::compile(&mut c, spec, &shapes, &arg);
    drop(shapes);
    // `always P` properties are checked as invariants, after the spec's own.
    for (name, span, expr) in &temporal.safety {
        c.vars_read.clear();
        let check = c.bool_expr(expr);
        let reads = c.read_masks();
        let before = c.diags.len();
        let explain = c.explain(expr);
        c.diags.truncate(before);
        if let Some(p) = temporal.properties.iter_mut().find(|p| &p.name == name) {
            p.invariant = Some(invariants.len() as u32);
        }
        invariants.push(Invariant {
            name: name.clone(),
            span: *span,
            check,
            reads,
            explain,
        });
    }
    let terminal = spec.terminal.as_ref().map(|t| c.bool_expr(t));
    let groups: Vec<_> = spec
        .symmetry
        .iter()
        .filter_map(|n| match c.type_by_name(n) {
            Ty::Enum(e) if e.scalarset.is_some() => Some(e),
            _ => None,
        })
        .collect();
    let symmetry = (!groups.is_empty()).then(|| crate::symmetry::Symmetry::new(groups, &c.vars));
    if let (Some(n), Some(v)) = (spec.symmetry.first(), &spec.view) {
        c.error(
            v.span,
            format!(
                "a view and a symmetry (`{}`) cannot be combined yet",
                n.name
            ),
            Some("drop the view, or run with --symmetry off".into()),
        );
    }
    let probe = probe.map(|(e, out)| (c.expr(e, None), out));
    // A refinement's liveness part: each fairness constraint of the refined
    // spec, under this spec's fairness.
    let refinements = crate::refine::compile(&mut c, spec);
    let mut refined = Vec::new();
    for (r, rf) in refinements.iter().enumerate() {
        for k in 0..rf.fairness.len() {
            let strong = rf.abs.fairness_constraints()[rf.fairness[k] as usize].strong;
            temporal.checks.push(LivenessCheck {
                form: crate::system::TemporalForm::Fair {
                    strong,
                    enabled: (temporal.predicates.len() + refined.len()) as u32,
                    taken: refined.len() as u32,
                },
                fairness: temporal.spec_fairness.clone(),
            });
            temporal.check_info.push(crate::temporal::CheckInfo {
                property: u32::MAX,
                refined: Some((r as u32, k as u32)),
                bindings: Vec::new(),
                atoms: Vec::new(),
            });
            refined.push((r as u32, k as u32));
        }
    }
    let reduced = spec
        .constraints
        .first()
        .map(|k| (k.name.span, "a state constraint"))
        .or(spec.view.as_ref().map(|v| (v.span, "a view")));
    if let (Some((span, what)), false) = (reduced, temporal.checks.is_empty()) {
        c.error(
            span,
            format!("temporal properties cannot be checked under {what} yet: the state graph it leaves is not the spec's"),
            Some("check the temporal properties without the reduction (a spec without `constraints` and `view`), or select the invariants with --property".into()),
        );
    }
    // Fairness and properties about single values (`forall r in RM:
    // eventually ...`, `weak each ...`) are not checked on orbits: a run
    // with temporal properties explores every state, and says so. The
    // spec's uses of its symmetric types are still checked above.
    let (symmetry, symmetry_skipped) = match symmetry {
        Some(s) if !temporal.checks.is_empty() => (None, s.names()),
        s => (s, Vec::new()),
    };
    let constraints = spec
        .constraints
        .iter()
        .map(|k| c.bool_expr(&k.expr))
        .collect();
    // A view written as a tuple is compiled item by item, so it may hold
    // more than 2^64 values (TLC users write `<<x, y, z>>`).
    let view = match spec.view.as_ref().map(|v| (&v.kind, v)) {
        None => Vec::new(),
        Some((ExprKind::TupleLit(items), _)) => items.iter().map(|e| c.expr(e, None).1).collect(),
        Some((_, v)) => vec![c.expr(v, None).1],
    };
    if transitions.len() > u32::MAX as usize / 2 {
        usage.push("too many transitions".into());
    }
    if !c.diags.is_empty() || !usage.is_empty() {
        return Err(crate::CompileError {
            diagnostics: c.diags,
            usage,
        });
    }
    if let Some(((ty, f), out)) = probe {
        *out = Some(Probe {
            ty,
            f,
            locals: c.max_slots.max(1),
        });
    }
    let constants = spec
        .constants
        .iter()
        .map(|k| {
            let (ty, v) = c.consts[&k.name.name].clone();
            (k.name.name.clone(), decode(&ty, v, true))
        })
        .collect();
    Ok(Model {
        name: spec.name.name.clone(),
        doc: spec.doc.clone(),
        vars: c.vars,
        constants,
        actions,
        invariants,
        properties: temporal.properties,
        check_info: temporal.check_info,
        fairness_info: temporal.fairness_info,
        warnings: c.warnings,
        unrolled_bodies: c.unrolled_bodies,
        checks: temporal.checks,
        fairness: temporal.fairness,
        spec_fairness: temporal.spec_fairness,
        predicates: temporal.predicates,
        refined,
        words,
        locals: c.max_slots.max(1),
        init,
        init_args,
        transitions,
        args,
        terminal,
        constraint_names: spec
            .constraints
            .iter()
            .map(|k| k.name.name.clone())
            .collect(),
        constraints,
        view,
        symmetry,
        symmetry_skipped,
        action_properties,
        assume_progress: spec.assume_progress,
        refinements,
        refusals: c.refusals,
    })
}

/// Compiles an invariant (or an action property): its check, the bits of
/// the state it reads, and its explanation.
fn invariant(c: &mut Compiler, decl: &ast::InvariantDecl) -> Invariant {
    c.vars_read.clear();
    let check = c.bool_expr(&decl.expr);
    let reads = c.read_masks();
    let before = c.diags.len();
    let explain = c.explain(&decl.expr);
    c.diags.truncate(before);
    Invariant {
        name: decl.name.name.clone(),
        span: decl.name.span,
        check,
        reads,
        explain,
    }
}

impl Action {
    /// Whether the members of a collection pick this action's candidate
    /// transitions (see [`crate::drive`]).
    pub fn is_driven(&self) -> bool {
        self.driver.is_some()
    }
}

impl Model {
    /// Whether the spec has a view: states are told apart by it.
    pub fn has_view(&self) -> bool {
        !self.view.is_empty()
    }

    /// The action and parameter values of a transition.
    pub fn transition_label(&self, t: TransitionId) -> (&str, Vec<(String, Value)>) {
        let a = self.action(t);
        let args = a.args_of(&self.args, t);
        let params = a
            .params
            .iter()
            .zip(args)
            .map(|((n, ty), v)| (n.clone(), decode(ty, *v, true)))
            .collect();
        (&a.name, params)
    }

    /// The action of transition `t`.
    #[inline]
    fn action(&self, t: TransitionId) -> &Action {
        &self.actions[self.transitions[t as usize] as usize]
    }

    /// The guard and effect to run for transition `t` of action `a`; for
    /// generic code, the arguments are written to their locals first.
    #[inline]
    fn code<'m>(
        &'m self,
        a: &'m Action,
        t: TransitionId,
        locals: &mut [u64],
    ) -> (Option<&'m ExprFn>, &'m StmtFn) {
        match a.codes.get((t - a.first) as usize) {
            Some(c) => (c.guard.as_ref(), &c.effect),
            None => {
                self.set_args(a, t, locals);
                (a.guard.as_ref(), &a.effect)
            }
        }
    }

    /// Writes transition `t`'s arguments to its action `a`'s parameter
    /// locals, for the action's generic code.
    #[inline]
    fn set_args(&self, a: &Action, t: TransitionId, locals: &mut [u64]) {
        for (slot, v) in a.slots.iter().zip(a.args_of(&self.args, t)) {
            locals[*slot] = *v;
        }
    }

    /// Evaluate one transition (its shared guard already passed) and emit
    /// the successor if it is enabled.
    #[inline]
    fn one<F: FnMut(TransitionId, &[Word])>(
        &self,
        sc: &mut Scratch,
        a: &Action,
        state: &[Word],
        t: TransitionId,
        emit: &mut F,
    ) -> Result<(), StepError> {
        let (guard, effect) = self.code(a, t, &mut sc.locals);
        if let Some(g) = guard {
            // A guard that is one field test (most per-binding guards once
            // the parameters are constants) runs inline, without the call.
            match g.test() {
                Some(test) if !test.holds(state) => return Ok(()),
                Some(_) => {}
                None => match g.eval(state, &mut sc.locals) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(step_err(Some(t), e)),
                },
            }
        }
        copy_words(&mut sc.next, state);
        match effect(&mut sc.next, &mut sc.locals) {
            Ok(true) => emit(t, &sc.next),
            Ok(false) => {}
            Err(e) => return Err(step_err(Some(t), e)),
        }
        Ok(())
    }

    /// The variables of a state, decoded, in declaration order.
    pub fn decode_state(&self, state: &[Word]) -> Vec<(String, Value)> {
        self.vars
            .iter()
            .map(|v| {
                let value = match (&v.keys, &v.ty) {
                    (Some(slots), Ty::Map(kv)) => Value::Map(
                        slots
                            .iter()
                            .enumerate()
                            .map(|(k, slot)| {
                                (
                                    decode(&kv.0, k as u64, false),
                                    decode(&kv.1, slot.load(state), false),
                                )
                            })
                            .collect(),
                    ),
                    _ => decode(&v.ty, v.slot.load(state), false),
                };
                (v.name.clone(), value)
            })
            .collect()
    }

    /// Why transition `t` is disabled in `state` although its guard holds:
    /// the `require` (or `with` set) of its effect that refused the step.
    /// `None` if the step is not refused there, or by nothing named.
    pub fn refusing_part(
        &self,
        sc: &mut Scratch,
        t: TransitionId,
        state: &[Word],
    ) -> Option<crate::check::Refusal> {
        let mut out = vec![0; self.words];
        sc.locals[crate::check::DISABLED_BY] = u64::MAX;
        match self.step(sc, state, t, &mut out) {
            Ok(false) => self
                .refusals
                .get(sc.locals[crate::check::DISABLED_BY] as usize)
                .copied(),
            _ => None,
        }
    }

    /// Whether refinement `r` holds on the step from `parent` to `state`,
    /// or on the initial state `state` when `parent` is `None` (for
    /// `dcheck replay`).
    pub fn refinement_holds(
        &self,
        sc: &mut Scratch,
        r: u32,
        parent: Option<&[Word]>,
        state: &[Word],
    ) -> Result<bool, EvalError> {
        let rf = &self.refinements[r as usize];
        let rs = &mut sc.refine[r as usize];
        match parent {
            None => rf.initial_ok(rs, state, &mut sc.locals),
            Some(p) => rf.step_ok(rs, p, state, &mut sc.locals),
        }
    }

    /// Stores `value` as variable `var` of `state` (the inverse of
    /// [`Self::decode_state`] for one variable); `false` if it is not a
    /// value of the variable's type.
    pub fn store_var(&self, state: &mut [Word], var: usize, value: &Value) -> bool {
        let v = &self.vars[var];
        match (&v.keys, &v.ty, value) {
            (Some(slots), Ty::Map(kv), Value::Map(entries)) => {
                for (k, slot) in slots.iter().enumerate() {
                    let key = decode(&kv.0, k as u64, false);
                    let Some((_, val)) = entries.iter().find(|(ek, _)| *ek == key) else {
                        return false;
                    };
                    match crate::value::encode(&kv.1, val) {
                        Some(i) => slot.store(state, i),
                        None => return false,
                    }
                }
                entries.len() == slots.len()
            }
            (Some(_), _, _) => false,
            (None, ty, value) => match crate::value::encode(ty, value) {
                Some(i) => {
                    v.slot.store(state, i);
                    true
                }
                None => false,
            },
        }
    }

    /// The bits of a state invariant `inv` reads, as `(word, mask)` pairs:
    /// two states equal on them give it the same value.
    pub fn invariant_reads(&self, inv: InvariantId) -> &[(usize, u64)] {
        &self.invariants[inv as usize].reads
    }

    /// Which conjunct of invariant `inv` fails in `state`, and for which
    /// bindings of the enclosing `forall`s.
    pub fn explain(&self, inv: InvariantId, state: &[Word]) -> Option<Explanation> {
        self.explain_with(&self.invariants[inv as usize], state)
    }

    fn explain_with(&self, inv: &Invariant, state: &[Word]) -> Option<Explanation> {
        let mut locals = vec![0u64; self.locals];
        let mut bindings = Vec::new();
        let span = explain_node(&inv.explain, state, &mut locals, &mut bindings)?;
        bindings.reverse();
        Some(Explanation {
            conjunct: span,
            bindings,
        })
    }

    /// Whether action property `i` holds on the step from `parent` to
    /// `state` (for `dcheck replay`).
    pub fn action_property_holds(
        &self,
        sc: &mut Scratch,
        i: u32,
        parent: &[Word],
        state: &[Word],
    ) -> Result<bool, EvalError> {
        sc.set_pair(parent, state);
        let p = &self.action_properties[i as usize];
        Ok(p.check.eval(&sc.pair, &mut sc.locals).map_err(|e| *e)? != 0)
    }

    /// [`Self::explain`] for action property `i` on the step from
    /// `parent` to `state`.
    pub fn explain_step(&self, i: u32, parent: &[Word], state: &[Word]) -> Option<Explanation> {
        let pair: Vec<Word> = parent.iter().chain(state).copied().collect();
        self.explain_with(&self.action_properties[i as usize], &pair)
    }

    /// The first conjunct of transition `t`'s guard, in source order, that
    /// is false in `state`: why `dcheck replay` finds a step disabled.
    /// `None` when every conjunct holds (a statement of the effect refused
    /// the step) or one fails to evaluate.
    pub fn false_guard_part(
        &self,
        sc: &mut Scratch,
        t: TransitionId,
        state: &[Word],
    ) -> Option<Span> {
        let a = self.action(t);
        self.set_args(a, t, &mut sc.locals);
        for (span, part) in &a.guard_parts {
            match part.eval(state, &mut sc.locals) {
                Ok(0) => return Some(*span),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    /// Whether invariant `inv` holds in `state` (for `dcheck replay`, which
    /// asks about one named invariant rather than the first violated one).
    pub fn invariant_holds(
        &self,
        sc: &mut Scratch,
        inv: InvariantId,
        state: &[Word],
    ) -> Result<bool, EvalError> {
        let check = &self.invariants[inv as usize].check;
        Ok(check.eval(state, &mut sc.locals).map_err(|e| *e)? != 0)
    }

    /// Bits used by one encoded state.
    pub fn state_bits(&self) -> u32 {
        self.vars
            .iter()
            .map(|v| match &v.keys {
                Some(slots) => slots.iter().map(|s| s.bits).sum(),
                None => v.slot.bits,
            })
            .sum()
    }
}

fn explain_node(
    node: &Explain,
    st: &[Word],
    loc: &mut [u64],
    out: &mut Vec<(String, Value)>,
) -> Option<Span> {
    match node {
        Explain::Leaf { check, span } => match check.eval(st, loc) {
            Ok(0) => Some(*span),
            _ => None,
        },
        Explain::And(parts) => parts.iter().find_map(|p| explain_node(p, st, loc, out)),
        Explain::Forall {
            name,
            ty,
            dom,
            slot,
            body,
        } => {
            let mut found = None;
            let _ = dom.each(st, loc, |v, loc| {
                loc[*slot] = v;
                if let Some(span) = explain_node(body, st, loc, out) {
                    out.push((name.clone(), decode(ty, v, true)));
                    found = Some(span);
                    return Ok(false);
                }
                Ok(true)
            });
            found
        }
    }
}

impl TransitionSystem for Model {
    type Scratch = Scratch;

    fn scratch(&self) -> Scratch {
        Scratch {
            locals: crate::line_apart(self.locals),
            next: crate::line_apart(self.words),
            candidates: Vec::new(),
            members: Default::default(),
            sym: Default::default(),
            pair: crate::line_apart(2 * self.words),
            refine: self.refinements.iter().map(|r| r.scratch()).collect(),
        }
    }

    fn state_words(&self) -> usize {
        self.words
    }

    fn transition_count(&self) -> usize {
        self.transitions.len()
    }

    fn action_count(&self) -> usize {
        self.actions.len()
    }

    fn action_of(&self, t: TransitionId) -> u32 {
        self.transitions[t as usize]
    }

    fn initial_states(
        &self,
        sc: &mut Scratch,
        emit: &mut dyn FnMut(&[Word]),
    ) -> Result<(), StepError> {
        let zero = vec![0; self.words];
        // The guard's conjuncts that mention no parameter, then the rest.
        if let Some(g) = &self.init.shared_guard {
            if self.init_args.is_empty()
                || g.eval(&zero, &mut sc.locals)
                    .map_err(|e| step_err(None, e))?
                    == 0
            {
                return Ok(());
            }
        }
        for b in self.init_args.iter() {
            for (slot, v) in self.init.slots.iter().zip(b) {
                sc.locals[*slot] = *v;
            }
            if let Some(g) = &self.init.guard {
                if g.eval(&zero, &mut sc.locals)
                    .map_err(|e| step_err(None, e))?
                    == 0
                {
                    continue;
                }
            }
            sc.next.copy_from_slice(&zero);
            if (self.init.effect)(&mut sc.next, &mut sc.locals).map_err(|e| step_err(None, e))? {
                emit(&sc.next);
            }
        }
        Ok(())
    }

    #[inline]
    fn successors<F: FnMut(TransitionId, &[Word])>(
        &self,
        sc: &mut Scratch,
        state: &[Word],
        mut emit: F,
    ) -> Result<(), StepError> {
        for a in &self.actions {
            if a.first == a.end {
                continue;
            }
            if let Some(g) = &a.shared_guard {
                match g.eval(state, &mut sc.locals) {
                    Ok(0) => continue,
                    Ok(_) => {}
                    Err(e) => return Err(step_err(Some(a.first), e)),
                }
            }
            match &a.driver {
                Some(d) => {
                    let mut candidates = std::mem::take(&mut sc.candidates);
                    d.enabled_candidates(state, &mut candidates, &mut sc.members);
                    let result = candidates
                        .iter()
                        .try_for_each(|&t| self.one(sc, a, state, t, &mut emit));
                    sc.candidates = candidates;
                    result?;
                }
                None => {
                    for t in a.first..a.end {
                        self.one(sc, a, state, t, &mut emit)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn step(
        &self,
        sc: &mut Scratch,
        state: &[Word],
        t: TransitionId,
        out: &mut [Word],
    ) -> Result<bool, EvalError> {
        let a = self.action(t);
        if let Some(g) = &a.shared_guard {
            if g.eval(state, &mut sc.locals).map_err(|e| *e)? == 0 {
                return Ok(false);
            }
        }
        // The driving conjunct, which the compiled guard leaves out, is
        // tested where the successor loop tests it: after the shared guard.
        if let Some(d) = &a.driver {
            if !d.admits(state, (t - a.first) as usize) {
                return Ok(false);
            }
        }
        let (guard, effect) = self.code(a, t, &mut sc.locals);
        if let Some(g) = guard {
            if g.eval(state, &mut sc.locals).map_err(|e| *e)? == 0 {
                return Ok(false);
            }
        }
        out.copy_from_slice(state);
        effect(out, &mut sc.locals).map_err(|e| *e)
    }

    fn check_invariants(
        &self,
        sc: &mut Scratch,
        state: &[Word],
    ) -> Result<Option<InvariantId>, EvalError> {
        for (i, inv) in self.invariants.iter().enumerate() {
            if (inv.check).eval(state, &mut sc.locals).map_err(|e| *e)? == 0 {
                return Ok(Some(i as InvariantId));
            }
        }
        Ok(None)
    }

    fn check_invariants_from(
        &self,
        sc: &mut Scratch,
        parent: &[Word],
        state: &[Word],
    ) -> Result<Option<InvariantId>, EvalError> {
        for (i, inv) in self.invariants.iter().enumerate() {
            let unchanged = inv
                .reads
                .iter()
                .all(|&(w, m)| (parent[w] ^ state[w]) & m == 0);
            if !unchanged && (inv.check).eval(state, &mut sc.locals).map_err(|e| *e)? == 0 {
                return Ok(Some(i as InvariantId));
            }
        }
        Ok(None)
    }

    fn has_constraints(&self) -> bool {
        !self.constraints.is_empty()
    }

    fn has_step_checks(&self) -> bool {
        !self.refinements.is_empty() || !self.action_properties.is_empty()
    }

    fn check_initial(&self, sc: &mut Scratch, state: &[Word]) -> Result<Option<u32>, EvalError> {
        for (i, r) in self.refinements.iter().enumerate() {
            if !r.initial_ok(&mut sc.refine[i], state, &mut sc.locals)? {
                return Ok(Some(i as u32));
            }
        }
        Ok(None)
    }

    fn check_step(
        &self,
        sc: &mut Scratch,
        parent: &[Word],
        state: &[Word],
    ) -> Result<Option<StepCheck>, EvalError> {
        if !self.action_properties.is_empty() {
            sc.set_pair(parent, state);
            for (i, p) in self.action_properties.iter().enumerate() {
                if p.check.eval(&sc.pair, &mut sc.locals).map_err(|e| *e)? == 0 {
                    return Ok(Some(StepCheck::ActionProperty(i as u32)));
                }
            }
        }
        for (i, r) in self.refinements.iter().enumerate() {
            if !r.step_ok(&mut sc.refine[i], parent, state, &mut sc.locals)? {
                return Ok(Some(StepCheck::Refinement(i as u32)));
            }
        }
        Ok(None)
    }

    fn within_constraints(&self, sc: &mut Scratch, state: &[Word]) -> Result<bool, EvalError> {
        for k in &self.constraints {
            if k.eval(state, &mut sc.locals).map_err(|e| *e)? == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn view_words(&self) -> usize {
        match &self.symmetry {
            Some(_) => self.words,
            None => self.view.len(),
        }
    }

    fn view(&self, sc: &mut Scratch, state: &[Word], out: &mut [Word]) -> Result<(), EvalError> {
        if let Some(s) = &self.symmetry {
            s.canonical(&self.vars, state, out, &mut sc.sym);
            return Ok(());
        }
        for (o, v) in out.iter_mut().zip(&self.view) {
            *o = v.eval(state, &mut sc.locals).map_err(|e| *e)?;
        }
        Ok(())
    }

    fn is_terminal(&self, sc: &mut Scratch, state: &[Word]) -> Result<bool, EvalError> {
        match &self.terminal {
            Some(t) => Ok(t.eval(state, &mut sc.locals).map_err(|e| *e)? != 0),
            None => Ok(false),
        }
    }

    fn liveness_checks(&self) -> &[LivenessCheck] {
        &self.checks
    }

    fn fairness_constraints(&self) -> &[FairnessConstraint] {
        &self.fairness
    }

    fn assume_progress(&self) -> bool {
        self.assume_progress
    }

    fn predicate_count(&self) -> usize {
        self.predicates.len() + self.refined.len()
    }

    fn eval_predicate(
        &self,
        sc: &mut Scratch,
        state: &[Word],
        p: PredicateId,
    ) -> Result<bool, EvalError> {
        let Some(f) = self.predicates.get(p as usize) else {
            let (r, k) = self.refined[p as usize - self.predicates.len()];
            let rf = &self.refinements[r as usize];
            return rf.fair_enabled(&mut sc.refine[r as usize], state, &mut sc.locals, k);
        };
        Ok(f.eval(state, &mut sc.locals).map_err(|e| *e)? != 0)
    }

    fn edge_predicate_count(&self) -> usize {
        self.refined.len()
    }

    fn eval_edge_predicate(
        &self,
        sc: &mut Scratch,
        parent: &[Word],
        state: &[Word],
        q: u32,
    ) -> Result<bool, EvalError> {
        let (r, k) = self.refined[q as usize];
        let rf = &self.refinements[r as usize];
        rf.fair_taken(&mut sc.refine[r as usize], parent, state, &mut sc.locals, k)
    }
}
