//! Choice points inside an action: `either { .. } or { .. }` and
//! `with x in S { .. }` (PlusCal's names, TLA+'s `\/` and `\E` inside an
//! action).
//!
//! Each choice point is a hidden parameter of its action, appended after
//! the declared ones: `either` picks a branch (`1..n`), `with` a value of
//! its domain's element type. So every combination of choices is its own
//! transition, as TLC's successor enumeration makes every branch its own
//! successor: a faithful translation of a TLA+ action generates TLC's
//! "states generated" exactly, coverage stays per action, and traces,
//! replay and fairness see the choices as parameters.
//!
//! Two rules keep the combinations one-to-one with TLC's successors:
//! - a `with` value outside `S` disables the transition (an empty `S` has
//!   no successor, as `\E x \in {}`);
//! - a choice point the effect does not reach (the other side of an `if`,
//!   an `either` branch not taken) must have its first value, else the
//!   transition is disabled: the effect marks each point it reaches in a
//!   bit of a reserved local, and [`Compiler::choice_check`] compares.
//!
//! A choice point is reached at most once per step: none may sit inside a
//! `for` loop (a diagnostic). The points are found by a syntactic walk in
//! source order ([`collect`]) before the effect compiles; the compiler
//! finds a point's slot by its statement's position.

use dcheck_syntax::ast::{Binder, Block, StmtKind};
use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::span::Span;

use crate::check::Compiler;
use crate::runtime::StmtFn;
use crate::types::Ty;

/// Most choice points in one action (one bit each in the reached mask).
pub(crate) const MAX_CHOICES: usize = 64;

/// The name of the local that holds choice point `k` (no source name can
/// collide: `#` is not an identifier character).
pub(crate) fn slot_name(k: usize) -> String {
    format!("#choice{k}")
}

/// The name of the local holding the bits of the points reached.
pub(crate) const REACHED: &str = "#reached";

#[derive(Clone, Debug)]
pub(crate) struct ChoicePoint {
    /// Where the statement starts: its key.
    pub at: (u32, u32),
    /// The parameter's name in traces: `either` (`either2`, ... when there
    /// are several), or the `with` binder's name.
    pub name: String,
    /// The parameter's type: `1..n` for `either`; the domain's element
    /// type for `with` (set when the generic effect compiles).
    pub ty: Ty,
}

impl ChoicePoint {
    /// The value a point that is not reached must have (the type's first).
    pub fn first(&self) -> u64 {
        self.ty.int_lo().map(|lo| lo as u64).unwrap_or(0)
    }
}

fn key(span: Span) -> (u32, u32) {
    (span.file.0, span.start)
}

/// The choice points of an effect in source order, and diagnostics (a
/// point inside a `for`, which is left out, too many points, a `with` name
/// used twice).
pub(crate) fn collect(effect: &Block, declared: &[String]) -> (Vec<ChoicePoint>, Vec<Diagnostic>) {
    fn walk(
        b: &Block,
        in_for: bool,
        out: &mut Vec<(Span, Option<String>, u64)>,
        diags: &mut Vec<Diagnostic>,
    ) {
        for s in &b.stmts {
            let point = matches!(s.kind, StmtKind::Either(_) | StmtKind::With(..));
            if point && in_for {
                diags.push(
                    Diagnostic::new(s.span, "`either` and `with` cannot be inside a `for` loop")
                        .label("a choice point reached once per iteration")
                        .help("a choice point is a parameter of the step, taken once: move it out of the loop, or make the loop's variable an action parameter"),
                );
                continue;
            }
            match &s.kind {
                StmtKind::If(_, t, e) => {
                    walk(t, in_for, out, diags);
                    if let Some(e) = e {
                        walk(e, in_for, out, diags);
                    }
                }
                StmtKind::For(_, body) => walk(body, true, out, diags),
                StmtKind::Either(branches) => {
                    out.push((s.span, None, branches.len() as u64));
                    for br in branches {
                        walk(br, in_for, out, diags);
                    }
                }
                StmtKind::With(binders, body) => {
                    for (i, bd) in binders.iter().enumerate() {
                        // Each binder is its own point; the later ones are
                        // keyed by their binder's position.
                        let at = if i == 0 { s.span } else { bd.span };
                        out.push((at, Some(binder_name(bd)), 0));
                    }
                    walk(body, in_for, out, diags);
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    let mut diags = Vec::new();
    walk(effect, false, &mut found, &mut diags);
    if found.len() > MAX_CHOICES {
        diags.push(
            Diagnostic::new(
                found[MAX_CHOICES].0,
                format!("more than {MAX_CHOICES} choice points in one action"),
            )
            .help("split the action"),
        );
    }
    let eithers = found.iter().filter(|f| f.1.is_none()).count();
    let mut nth = 0;
    let mut points = Vec::new();
    for (span, name, n) in found {
        let name = match name {
            Some(n) => {
                if declared.contains(&n) || points.iter().any(|p: &ChoicePoint| p.name == n) {
                    diags.push(
                        Diagnostic::new(
                            span,
                            format!("`{n}` names a parameter of this action already"),
                        )
                        .label("a `with` variable is a parameter of the step")
                        .help("give the `with` variable a name of its own"),
                    );
                }
                n
            }
            None => {
                nth += 1;
                if eithers == 1 {
                    "either".to_string()
                } else {
                    format!("either{nth}")
                }
            }
        };
        points.push(ChoicePoint {
            at: key(span),
            name,
            ty: if n > 0 {
                Ty::Int(Some((1, n as i64)))
            } else {
                Ty::Error
            },
        });
    }
    (points, diags)
}

/// How a `with` binder is named in traces: its variable, or for a pattern
/// binder its variant (`Msg(a, b) in net` shows as `Msg`).
fn binder_name(b: &Binder) -> String {
    b.name.name.clone()
}

impl Compiler<'_> {
    /// The slot of choice point `at` and its value when known at compile
    /// time (a specialised transition), and its index.
    fn choice_local(&self, at: Span) -> Option<(usize, usize, Option<u64>)> {
        let k = self.choices.iter().position(|c| c.at == key(at))?;
        let l = self.lookup_local(&slot_name(k))?;
        Some((k, l.slot, l.konst))
    }

    fn reached_slot(&self) -> usize {
        self.lookup_local(REACHED).map(|l| l.slot).unwrap_or(0)
    }

    /// `either { .. } or { .. }`.
    pub(crate) fn either(&mut self, span: Span, branches: &[Block]) -> StmtFn {
        let Some((k, slot, konst)) = self.choice_local(span) else {
            // Left out by `collect`, which said why: type-check only.
            for b in branches {
                let _ = self.block(b);
            }
            return Box::new(|_, _| Ok(true));
        };
        let reached = self.reached_slot();
        let bit = 1u64 << k;
        if let Some(v) = konst {
            // Specialised: only the branch taken is compiled.
            let i = (v as usize).saturating_sub(1).min(branches.len() - 1);
            let f = self.block(&branches[i]);
            return Box::new(move |st, loc| {
                loc[reached] |= bit;
                f(st, loc)
            });
        }
        let fs: Vec<StmtFn> = branches.iter().map(|b| self.block(b)).collect();
        Box::new(move |st, loc| {
            loc[reached] |= bit;
            let i = (loc[slot] as usize).saturating_sub(1);
            match fs.get(i) {
                Some(f) => f(st, loc),
                None => Ok(false),
            }
        })
    }

    /// `with x in S, y in T { .. }`: one point per binder, the first keyed
    /// by the statement's position (`at`), the others by their binder's.
    pub(crate) fn with(&mut self, at: Span, binders: &[Binder], body: &Block) -> StmtFn {
        let Some((first, rest)) = binders.split_first() else {
            return self.block(body);
        };
        let Some((k, cslot, konst)) = self.choice_local(at) else {
            // Left out by `collect`, which said why: type-check only.
            let (_, _, pushed) = self.bind(first);
            let _ = self.with(at, rest, body);
            self.pop_locals(pushed);
            return Box::new(|_, _| Ok(true));
        };
        let (dom, slot, pushed) = self.bind(first);
        let mut ety = self.scopes[self.scopes.len() - pushed].ty.clone();
        if konst.is_none() {
            if !ety.is_error() && ety.card_u64().is_none() {
                self.error(
                    first.domain.span,
                    format!("`with` needs a finite domain; its values are of type {ety}"),
                    Some("choose from a set, or a range with constant bounds".into()),
                );
                ety = Ty::Error;
            }
            self.choices[k].ty = ety;
        }
        // The rest of the binders, keyed by their own positions.
        let inner = match rest.split_first() {
            None => self.block(body),
            Some((next, _)) => self.with(next.span, rest, body),
        };
        self.pop_locals(pushed);
        let reached = self.reached_slot();
        let bit = 1u64 << k;
        let id = self.refusal(crate::check::Refusal::With(first.domain.span));
        Box::new(move |st, loc| {
            loc[reached] |= bit;
            let v = match konst {
                Some(v) => v,
                None => loc[cslot],
            };
            let mut member = false;
            dom.each(&*st, loc, |u, _| {
                member = u == v;
                Ok(!member)
            })?;
            if !member {
                loc[crate::check::DISABLED_BY] = id;
                return Ok(false);
            }
            loc[slot] = v;
            dom.rebind(v, loc);
            inner(st, loc)
        })
    }

    /// Wraps an effect with choice points: clears the reached bits, runs
    /// it, and disables the transition if a point it did not reach has a
    /// value other than its first. `konsts`: the points' values when the
    /// effect is specialised, else read from `slots` at run time.
    pub(crate) fn choice_check(
        &self,
        effect: StmtFn,
        slots: Vec<usize>,
        konsts: Option<Vec<u64>>,
    ) -> StmtFn {
        let reached = self.reached_slot();
        let firsts: Vec<u64> = self.choices.iter().map(ChoicePoint::first).collect();
        match konsts {
            Some(vs) => {
                let need: u64 = vs
                    .iter()
                    .zip(&firsts)
                    .enumerate()
                    .filter(|(_, (v, f))| v != f)
                    .map(|(k, _)| 1u64 << k)
                    .sum();
                Box::new(move |st, loc| {
                    loc[reached] = 0;
                    Ok(effect(st, loc)? && loc[reached] & need == need)
                })
            }
            None => Box::new(move |st, loc| {
                loc[reached] = 0;
                if !effect(st, loc)? {
                    return Ok(false);
                }
                let mut need = 0u64;
                for (k, (&s, &f)) in slots.iter().zip(&firsts).enumerate() {
                    if loc[s] != f {
                        need |= 1 << k;
                    }
                }
                Ok(loc[reached] & need == need)
            }),
        }
    }
}
