//! Refinement: this spec implements a refined (more abstract) spec under a
//! mapping, TLA+'s `INSTANCE Abs WITH x <- e` and `PROPERTY Abs!Spec`
//! (its safety part, `Init /\ [][Next]_vars`).
//!
//! The refined spec is compiled on its own, as a [`Model`], with its
//! constants set from the mapping (each evaluated here, at compile time).
//! Each of its variables maps to an expression over this spec's state,
//! compiled with this spec's compiler; a mapped value crosses from one
//! model to the other as a [`Value`] (enum variants correspond by name),
//! so the two specs share no types. Then:
//!
//! - every initial state maps to an initial state of the refined spec
//!   ([`Refinement::initial_ok`]);
//! - every step maps to a step of the refined spec, or to a stutter (the
//!   mapped states are equal) ([`Refinement::step_ok`]).
//!
//! The engine asks through `TransitionSystem::check_initial` and
//! `check_step`, where action properties are checked too; the report asks
//! [`Refinement::tried`] why no refined step fits.

use std::collections::HashSet;

use dcheck_syntax::ast::{self, Expr, ExprKind};
use dcheck_syntax::span::Span;

use crate::check::Compiler;
use crate::model::{Model, Scratch};
use crate::runtime::ExprFn;
use crate::system::{EvalError, TransitionId, TransitionSystem, Word};
use crate::types::Ty;
use crate::value::{decode, Value};

/// Most initial states of a refined spec (kept in a set).
const MAX_INITIAL: usize = 1 << 20;

/// One `refines` entry, compiled.
pub struct Refinement {
    pub name: String,
    pub span: Span,
    /// The path as written.
    pub path: String,
    /// The refined spec, compiled with the mapped constants.
    pub abs: Model,
    /// Per variable of `abs`: its mapped expression over this spec's
    /// state.
    maps: Vec<VarMap>,
    /// The refined spec's initial states.
    initial: HashSet<Vec<Word>>,
    /// The refined spec's fairness (its spec-level `fairness` list, as
    /// indices into `abs.fairness_constraints()`): its liveness part, each
    /// checked on this spec's behaviours ([`Refinement::fair_enabled`],
    /// [`Refinement::fair_taken`]).
    pub fairness: Vec<u32>,
}

/// How one variable of the refined spec is computed.
struct VarMap {
    f: ExprFn,
    /// The expression's type here.
    ty: Ty,
    /// Set when that type equals the variable's there (so the two dense
    /// indices agree) and the variable has one slot: the register is
    /// stored as it is. Measured: the `Value` crossing below made
    /// specs/2pc_tcommit.ron 17x slower than specs/2pc.ron at N=7, as it
    /// runs for both states of every step.
    direct: Option<crate::runtime::Store>,
}

/// Per-thread space of one refinement's checks.
pub struct RefScratch {
    sc: Box<Scratch>,
    a: Vec<Word>,
    b: Vec<Word>,
    c: Vec<Word>,
}

/// Why one transition of the refined spec does not give the mapped step.
#[derive(Clone, Debug)]
pub enum Tried {
    /// Its guard is false in the mapped state before the step (`Some`:
    /// the false conjunct).
    Disabled(Option<Span>),
    /// Its guard holds but its effect refuses the step: `Some`, the false
    /// `require` (or the set of a `with`).
    Refused(Option<crate::check::Refusal>),
    /// It is enabled, and leads elsewhere: the variables (as `name =
    /// value` of the refined spec) where its successor differs from the
    /// mapped state after the step.
    Elsewhere(Vec<(String, Value, Value)>),
    /// Evaluating it failed.
    Error(String),
}

impl Refinement {
    pub fn scratch(&self) -> RefScratch {
        let w = self.abs.state_words();
        RefScratch {
            sc: Box::new(self.abs.scratch()),
            a: vec![0; w],
            b: vec![0; w],
            c: vec![0; w],
        }
    }

    /// The refined spec's state that `state` maps to, into `out`.
    pub fn map_state(
        &self,
        state: &[Word],
        locals: &mut [u64],
        out: &mut [Word],
    ) -> Result<(), EvalError> {
        out.fill(0);
        for (i, m) in self.maps.iter().enumerate() {
            let v = m.f.eval(state, locals).map_err(|e| *e)?;
            if let Some(store) = m.direct {
                let index = store.apply(v, self.span).map_err(|e| *e)?;
                self.abs.vars[i].slot.store(out, index);
                continue;
            }
            let value = decode(&m.ty, v, true);
            if !self.abs.store_var(out, i, &value) {
                let var = &self.abs.vars[i];
                return Err(EvalError::new(format!(
                    "refinement {}: `{}` maps to {value}, which is not a value of its type {} in the refined spec",
                    self.name, var.name, var.ty
                )));
            }
        }
        Ok(())
    }

    /// The mapped state, decoded (for reports; `sc`: the refining
    /// model's scratch).
    pub fn mapped(
        &self,
        sc: &mut Scratch,
        state: &[Word],
    ) -> Result<Vec<(String, Value)>, EvalError> {
        let mut out = vec![0; self.abs.state_words()];
        self.map_state(state, sc.locals_mut(), &mut out)?;
        Ok(self.abs.decode_state(&out))
    }

    /// Whether `state` maps to an initial state of the refined spec.
    pub fn initial_ok(
        &self,
        rs: &mut RefScratch,
        state: &[Word],
        locals: &mut [u64],
    ) -> Result<bool, EvalError> {
        self.map_state(state, locals, &mut rs.a)?;
        Ok(self.initial.contains(&rs.a))
    }

    /// Whether the step from `parent` to `state` maps to a step of the
    /// refined spec or to a stutter.
    pub fn step_ok(
        &self,
        rs: &mut RefScratch,
        parent: &[Word],
        state: &[Word],
        locals: &mut [u64],
    ) -> Result<bool, EvalError> {
        self.map_state(parent, locals, &mut rs.a)?;
        self.map_state(state, locals, &mut rs.b)?;
        if rs.a == rs.b {
            return Ok(true);
        }
        let mut found = false;
        let b = &rs.b;
        self.abs
            .successors(&mut rs.sc, &rs.a, |_, next| found |= next == &b[..])
            .map_err(|e| self.abs_error(e.error))?;
        Ok(found)
    }

    /// Whether the refined spec's fairness constraint `fairness[k]` is
    /// enabled in the state `state` maps to: one of its transitions leads
    /// to another state (TLA+'s `ENABLED <<A>>_vars` there).
    pub fn fair_enabled(
        &self,
        rs: &mut RefScratch,
        state: &[Word],
        locals: &mut [u64],
        k: u32,
    ) -> Result<bool, EvalError> {
        self.map_state(state, locals, &mut rs.a)?;
        let RefScratch { sc, a, c, .. } = rs;
        self.some_step(sc, a, c, k, |to| to != &a[..])
    }

    /// Whether the step from `parent` to `state` maps to a step of the
    /// refined spec's fairness constraint `fairness[k]` that changes the
    /// refined state (TLA+'s `<<A>>_vars`): never a stutter.
    pub fn fair_taken(
        &self,
        rs: &mut RefScratch,
        parent: &[Word],
        state: &[Word],
        locals: &mut [u64],
        k: u32,
    ) -> Result<bool, EvalError> {
        self.map_state(parent, locals, &mut rs.a)?;
        self.map_state(state, locals, &mut rs.b)?;
        if rs.a == rs.b {
            return Ok(false);
        }
        let RefScratch { sc, a, b, c } = rs;
        self.some_step(sc, a, c, k, |to| to == &b[..])
    }

    /// Whether a transition of the refined constraint `fairness[k]` leads
    /// from the refined state `from` to a state `accept` likes (written to
    /// `out` on the way).
    fn some_step(
        &self,
        sc: &mut Scratch,
        from: &[Word],
        out: &mut [Word],
        k: u32,
        accept: impl Fn(&[Word]) -> bool,
    ) -> Result<bool, EvalError> {
        let c = &self.abs.fairness_constraints()[self.fairness[k as usize] as usize];
        for &t in &c.transitions {
            let moved = self
                .abs
                .step(sc, from, t, out)
                .map_err(|e| self.abs_error(e))?;
            if moved && accept(out) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn abs_error(&self, e: EvalError) -> EvalError {
        EvalError {
            message: format!(
                "in the refined spec of refinement {}: {}",
                self.name, e.message
            ),
            span: e.span,
        }
    }

    /// For a step that maps to no refined step: every transition of the
    /// refined spec, and why it does not give it.
    pub fn tried(
        &self,
        sc: &mut Scratch,
        parent: &[Word],
        state: &[Word],
    ) -> Result<Vec<(TransitionId, Tried)>, EvalError> {
        let locals = sc.locals_mut();
        let mut rs = self.scratch();
        self.map_state(parent, locals, &mut rs.a)?;
        self.map_state(state, locals, &mut rs.b)?;
        let want = self.abs.decode_state(&rs.b);
        let mut out = Vec::new();
        let mut next = vec![0; self.abs.state_words()];
        for t in 0..self.abs.transition_count() as TransitionId {
            let why = match self.abs.step(&mut rs.sc, &rs.a, t, &mut next) {
                Err(e) => Tried::Error(e.message),
                Ok(false) => match self.abs.false_guard_part(&mut rs.sc, t, &rs.a) {
                    Some(span) => Tried::Disabled(Some(span)),
                    None => Tried::Refused(self.abs.refusing_part(&mut rs.sc, t, &rs.a)),
                },
                Ok(true) => Tried::Elsewhere(
                    self.abs
                        .decode_state(&next)
                        .into_iter()
                        .zip(&want)
                        .filter(|((_, got), (_, w))| got != w)
                        .map(|((n, got), (_, w))| (n, got, w.clone()))
                        .collect(),
                ),
            };
            out.push((t, why));
        }
        Ok(out)
    }
}

/// Compiles the `refines` entries with this spec's compiler (its
/// variables and defs in scope), reporting problems to it.
pub(crate) fn compile(c: &mut Compiler, spec: &ast::Spec) -> Vec<Refinement> {
    let mut out = Vec::new();
    for r in &spec.refines {
        if let Some(x) = one(c, spec, r) {
            out.push(x);
        }
    }
    out
}

fn one(c: &mut Compiler, spec: &ast::Spec, r: &ast::RefinesDecl) -> Option<Refinement> {
    let abs_spec = &r.spec;
    let name = &r.name.name;
    // Every mapped name must be a constant or variable of the refined spec.
    let abs_vars: Vec<&str> = abs_vars(abs_spec);
    for (n, _) in &r.with {
        let known = abs_spec.constants.iter().any(|k| k.name.name == n.name)
            || abs_vars.contains(&n.name.as_str());
        if !known {
            c.error(
                n.span,
                format!(
                    "`{}` is not a constant or variable of the refined spec `{}`",
                    n.name, abs_spec.name.name
                ),
                Some(format!(
                    "map the refined spec's names: constants {}; variables {}",
                    list(abs_spec.constants.iter().map(|k| k.name.name.as_str())),
                    list(abs_vars.iter().copied())
                )),
            );
        }
    }
    let mapping = |n: &str| {
        r.with
            .iter()
            .find(|(m, _)| m.name == n)
            .map(|(_, e)| e.clone())
    };
    let same_name = |n: &ast::Ident| Expr {
        kind: ExprKind::Name(n.clone()),
        span: r.name.span,
    };
    // The constants: mapped, else the same name here, else the refined
    // spec's default.
    let mut overrides = Vec::new();
    for k in &abs_spec.constants {
        let e = match mapping(&k.name.name) {
            Some(e) => e,
            None if spec.constants.iter().any(|m| m.name.name == k.name.name) => same_name(&k.name),
            None => continue,
        };
        let before = c.diags.len();
        let (ty, f) = c.expr(&e, None);
        if c.diags.len() > before {
            continue;
        }
        let Some(v) = f.value() else {
            c.error(
                e.span,
                format!(
                    "the refined spec's constant `{}` must map to a constant",
                    k.name.name
                ),
                Some("use this spec's constants and literals only".into()),
            );
            continue;
        };
        overrides.push((k.name.name.clone(), decode(&ty, v, true).to_string()));
    }
    let abs = match crate::compile(abs_spec, &overrides) {
        Ok(m) => m,
        Err(e) => {
            c.diags.extend(e.diagnostics);
            for u in e.usage {
                c.error(r.path_span, format!("refined spec `{}`: {u}", r.path), None);
            }
            return None;
        }
    };
    if !abs.refinements.is_empty() {
        c.error(
            r.path_span,
            format!("`{}` refines other specs itself; its refinements are not checked from here", r.path),
            Some("check the refined spec's own `refines` with a run of its own, and drop them from the copy this spec refines".into()),
        );
    }
    // The variables: mapped, else the same name here.
    let mut maps = Vec::new();
    for v in &abs.vars {
        let e = match mapping(&v.name) {
            Some(e) => e,
            None if c.var_index.contains_key(&v.name) => same_name(&ast::Ident {
                name: v.name.clone(),
                span: r.name.span,
            }),
            None => {
                c.error(
                    r.name.span,
                    format!(
                        "refinement {name}: the refined spec's variable `{}` has no mapping",
                        v.name
                    ),
                    Some(format!("add `{} <- expression` to `with`", v.name)),
                );
                continue;
            }
        };
        let (ty, f) = c.expr(&e, None);
        if !ty.is_error() && ty.card_u64().is_none() && !matches!(ty, Ty::Int(_)) {
            c.error(
                e.span,
                format!(
                    "the mapping of `{}` has a type with more than 2^64 values ({ty})",
                    v.name
                ),
                Some("map to a smaller value (a variable of a finite type)".into()),
            );
        }
        let direct = (ty == v.ty && v.keys.is_none()).then(|| crate::expr::store_of(&ty));
        maps.push(VarMap { f, ty, direct });
    }
    if maps.len() != abs.vars.len() {
        return None;
    }
    let mut sc = abs.scratch();
    let mut initial = HashSet::new();
    let mut too_many = false;
    let init = abs.initial_states(&mut sc, &mut |st: &[Word]| {
        if initial.len() < MAX_INITIAL {
            initial.insert(st.to_vec());
        } else {
            too_many = true;
        }
    });
    if let Err(e) = init {
        c.error(
            r.path_span,
            format!(
                "refinement {name}: the refined spec's init fails: {}",
                e.error.message
            ),
            None,
        );
        return None;
    }
    if too_many {
        c.error(
            r.path_span,
            format!(
                "refinement {name}: the refined spec has more than {MAX_INITIAL} initial states"
            ),
            None,
        );
        return None;
    }
    Some(Refinement {
        name: name.clone(),
        span: r.name.span,
        path: r.path.clone(),
        fairness: abs.spec_fairness.clone(),
        abs,
        maps,
        initial,
    })
}

/// The refined spec's variables (its roles' variables were lowered to
/// plain ones by now).
fn abs_vars(s: &ast::Spec) -> Vec<&str> {
    s.vars.iter().map(|v| v.name.name.as_str()).collect()
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = names.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
