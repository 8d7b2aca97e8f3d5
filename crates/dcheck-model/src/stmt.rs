//! Statement compilation: assignments to nested places, `let`, `if`,
//! `require`, `for`, and collection updates, compiled to closures that
//! update the next state in place.

use std::sync::Arc;

use dcheck_syntax::ast::{Block, Expr, ExprKind, Stmt, StmtKind};
use dcheck_syntax::span::Span;

use crate::check::Compiler;
use crate::encoding::{get_digit, set_digit, Digit, Slot};
use crate::expr::{powers, KeyDigits};
use crate::runtime::{fail, Err, ExprFn, StmtFn, R};
use crate::seq::SeqShape;
use crate::system::Word;
use crate::types::Ty;

/// Deepest place path (`a[i].f[j]...`) supported.
const MAX_PATH: usize = 8;

/// One step down a place path: where the child digit sits in its parent.
enum Step {
    Static(Digit),
    MapKey {
        key: ExprFn,
        digits: KeyDigits,
    },
    SeqIndex {
        index: ExprFn,
        shape: SeqShape,
        span: Span,
    },
}

impl Step {
    /// The stride of the selected component within `parent`, and the
    /// component's index (its digit there).
    #[inline]
    fn locate(&self, parent: u64, st: &[Word], loc: &mut [u64]) -> Result<(u64, u64), Err> {
        match self {
            Step::Static(d) => Ok((d.stride(), d.get(parent))),
            Step::MapKey { key, digits } => Ok(digits.get(parent, key.eval(st, loc)? as usize)),
            Step::SeqIndex { index, shape, span } => {
                let i = index.eval(st, loc)? as i64;
                let len = shape.len(parent);
                if i < 1 || i as u64 > len {
                    return Err(fail(
                        *span,
                        format!("index {i} is out of range 1..{len} of the sequence"),
                    ));
                }
                // Not a plain digit of `parent`: the sequence's index also
                // holds the offset of its length's block (see `crate::seq`).
                Ok((shape.stride(i as u64 - 1), shape.elem(parent, i as u64 - 1)))
            }
        }
    }
}

/// A compiled assignable place: a variable and a path into it.
pub(crate) struct Place {
    var: Slot,
    /// For an element of a wide map: the key (as an index) selects the slot
    /// used instead of `var`.
    keyed: Option<(ExprFn, Arc<Vec<Slot>>)>,
    steps: Vec<Step>,
}

impl Place {
    /// Replace the leaf index by `f(old leaf index)`.
    #[inline]
    fn modify(
        &self,
        st: &mut [Word],
        loc: &mut [u64],
        f: impl FnOnce(u64, &[Word], &mut [u64]) -> R,
    ) -> Result<(), Err> {
        let n = self.steps.len();
        let mut vals = [0u64; MAX_PATH + 1];
        let mut strides = [0u64; MAX_PATH];
        let var = match &self.keyed {
            Some((key, slots)) => slots[key.eval(st, loc)? as usize],
            None => self.var,
        };
        vals[0] = var.load(st);
        for (i, step) in self.steps.iter().enumerate() {
            (strides[i], vals[i + 1]) = step.locate(vals[i], st, loc)?;
        }
        let mut cur = f(vals[n], st, loc)?;
        for i in (0..n).rev() {
            cur = set_digit(vals[i], strides[i], vals[i + 1], cur);
        }
        var.store(st, cur);
        Ok(())
    }
}

impl<'a> Compiler<'a> {
    /// Compile a place expression; returns it with the leaf's type.
    fn place(&mut self, e: &Expr) -> Option<(Place, Ty)> {
        match &e.kind {
            ExprKind::Name(n) => {
                if self.lookup_local(&n.name).is_some() {
                    self.error(n.span, format!("`{}` is a local binding and cannot be assigned", n.name), Some("only state variables (and parts of them) can be assigned".into()));
                    return None;
                }
                match self.var_index.get(&n.name) {
                    Some(&i) if self.vars[i].keys.is_some() => {
                        self.error(n.span, format!("`{}` has more than 2^64 values and is assigned element-wise", n.name), Some(format!("assign `{}[k] = ...` for each key, e.g. in a `for k in K {{ ... }}` loop", n.name)));
                        None
                    }
                    Some(&i) => Some((Place { var: self.vars[i].slot, keyed: None, steps: vec![] }, self.vars[i].ty.clone())),
                    None => {
                        self.error(n.span, format!("`{}` is not a state variable", n.name), Some("only state variables (and parts of them) can be assigned".into()));
                        None
                    }
                }
            }
            ExprKind::Field(base, field) => {
                let (mut p, ty) = self.place(base)?;
                let Ty::Record(fields) = &ty else {
                    self.error(field.span, format!("a value of type {ty} has no fields"), None);
                    return None;
                };
                let Some(i) = fields.iter().position(|f| f.0 == field.name) else {
                    self.error(field.span, format!("no field `{}` in {ty}", field.name), None);
                    return None;
                };
                let tys: Vec<Ty> = fields.iter().map(|f| f.1.clone()).collect();
                let stride = Ty::component_strides(&tys)[i];
                let t = tys[i].clone();
                p.steps.push(Step::Static(Digit::new(stride, t.card_u64().unwrap_or(1))));
                Some((p, t))
            }
            ExprKind::TupleField(base, i) => {
                let (mut p, ty) = self.place(base)?;
                let Ty::Tuple(items) = &ty else {
                    self.error(e.span, format!("a value of type {ty} has no components"), None);
                    return None;
                };
                let Some(t) = items.get(*i as usize).cloned() else {
                    self.error(e.span, format!("no component {i} in {ty}"), None);
                    return None;
                };
                let stride = Ty::component_strides(items)[*i as usize];
                p.steps.push(Step::Static(Digit::new(stride, t.card_u64().unwrap_or(1))));
                Some((p, t))
            }
            ExprKind::Index(base, key) if self.wide_var(base).is_some() => {
                let (_, slots, kt, vt) = self.wide_var(base)?;
                let key_const = self.is_const(key);
                let fk = self.expr_to_index(key, &kt);
                let place = match key_const.then(|| self.eval_const(&fk)) {
                    Some(Ok(k)) => Place { var: slots[k as usize], keyed: None, steps: vec![] },
                    _ => Place { var: slots[0], keyed: Some((fk, slots)), steps: vec![] },
                };
                Some((place, vt))
            }
            ExprKind::Index(base, key) => {
                let (mut p, ty) = self.place(base)?;
                match &ty {
                    Ty::Map(kv) => {
                        let (kt, vt) = (kv.0.clone(), kv.1.clone());
                        let key_const = self.is_const(key);
                        let fk = self.expr_to_index(key, &kt);
                        let card = vt.card_u64().unwrap_or(1);
                        let strides = powers(card, kt.card_u64().unwrap_or(0));
                        match key_const.then(|| self.eval_const(&fk)) {
                            Some(Ok(k)) => p.steps.push(Step::Static(Digit::new(strides[k as usize], card))),
                            _ => p.steps.push(Step::MapKey {
                                key: fk,
                                digits: KeyDigits::new(strides, card),
                            }),
                        }
                        Some((p, vt))
                    }
                    Ty::Seq(t, l) => {
                        let fi = self.int_expr(key);
                        let shape = SeqShape::of(t, *l);
                        p.steps.push(Step::SeqIndex { index: fi, shape, span: key.span });
                        Some((p, (**t).clone()))
                    }
                    other => {
                        self.error(base.span, format!("cannot index a value of type {other}"), None);
                        None
                    }
                }
            }
            _ => {
                self.error(e.span, "not an assignable place", Some("assign to a variable, a field (`v.f`), a component (`v.0`) or an element (`v[i]`)".into()));
                None
            }
        }
        .and_then(|(p, t)| {
            if p.steps.len() > MAX_PATH {
                self.error(e.span, format!("place paths deeper than {MAX_PATH} are not supported"), None);
                None
            } else {
                Some((p, t))
            }
        })
    }

    pub fn block(&mut self, b: &Block) -> StmtFn {
        let depth = self.scopes.len();
        let slots = self.next_slot;
        let mut stmts: Vec<StmtFn> = b.stmts.iter().map(|s| self.stmt(s)).collect();
        self.scopes.truncate(depth);
        self.next_slot = slots;
        match stmts.len() {
            0 => return noop(),
            1 => return stmts.pop().unwrap_or_else(noop),
            2 => {
                let (b2, a1) = (
                    stmts.pop().unwrap_or_else(noop),
                    stmts.pop().unwrap_or_else(noop),
                );
                return Box::new(move |st, loc| Ok(a1(st, loc)? && b2(st, loc)?));
            }
            _ => {}
        }
        Box::new(move |st, loc| {
            for s in &stmts {
                if !s(st, loc)? {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn stmt(&mut self, s: &Stmt) -> StmtFn {
        let span = s.span;
        match &s.kind {
            StmtKind::Assign(place, value) => {
                // Hot path: a field at a fixed position gets one masked store.
                if let Some((bf, ty)) = self.fixed_field(place) {
                    let value_const = self.is_const(value);
                    let fv = self.expr_to_index(value, &ty);
                    let clear = !(bf.mask << bf.shift);
                    if let Some(Ok(v)) = value_const.then(|| self.eval_const(&fv)) {
                        let bits = (v & bf.mask) << bf.shift;
                        return Box::new(move |st, _| {
                            st[bf.word] = (st[bf.word] & clear) | bits;
                            Ok(true)
                        });
                    }
                    return Box::new(move |st, loc| {
                        let v = fv.eval(st, loc)?;
                        st[bf.word] = (st[bf.word] & clear) | ((v & bf.mask) << bf.shift);
                        Ok(true)
                    });
                }
                let Some((p, ty)) = self.place(place) else {
                    let _ = self.expr(value, None);
                    return noop();
                };
                let fv = self.expr_to_index(value, &ty);
                Box::new(move |st, loc| {
                    p.modify(st, loc, |_, st, loc| fv.eval(st, loc))?;
                    Ok(true)
                })
            }
            StmtKind::Let(name, value) => {
                let (ty, fv) = self.expr(value, None);
                let slot = self.push_local(&name.name, ty);
                // Popped at the end of the enclosing block.
                Box::new(move |st, loc| {
                    loc[slot] = fv.eval(st, loc)?;
                    Ok(true)
                })
            }
            StmtKind::If(c, then, els) => {
                let fc = self.bool_expr(c);
                let ft = self.block(then);
                let fe = els.as_ref().map(|b| self.block(b));
                Box::new(move |st, loc| {
                    if fc.eval(st, loc)? != 0 {
                        ft(st, loc)
                    } else if let Some(fe) = &fe {
                        fe(st, loc)
                    } else {
                        Ok(true)
                    }
                })
            }
            StmtKind::Require(c) => {
                let fc = self.bool_expr(c);
                let id = self.refusal(crate::check::Refusal::Require(c.span));
                Box::new(move |st, loc| {
                    if fc.eval(st, loc)? != 0 {
                        return Ok(true);
                    }
                    loc[crate::check::DISABLED_BY] = id;
                    Ok(false)
                })
            }
            StmtKind::For(binders, body) => self.for_loop(binders, body, s.span),
            StmtKind::Either(branches) => self.either(s.span, branches),
            StmtKind::With(binders, body) => self.with(s.span, binders, body),
            StmtKind::Call(name, args) if name.name == "reset" && args.len() == 1 => {
                // The default value of every type is index 0.
                let Some((p, _)) = self.place(&args[0]) else {
                    return noop();
                };
                Box::new(move |st, loc| {
                    p.modify(st, loc, |_, _, _| Ok(0))?;
                    Ok(true)
                })
            }
            StmtKind::Call(name, args) => {
                if args.len() != 2 {
                    self.error(
                        span,
                        format!("`{}` takes a place and a value", name.name),
                        None,
                    );
                    return noop();
                }
                if let Some(f) = self.fixed_set_update(&name.name, &args[0], &args[1]) {
                    return f;
                }
                let Some((p, ty)) = self.place(&args[0]) else {
                    return noop();
                };
                self.collection_update(&name.name, p, ty, &args[1], span, name.span)
            }
        }
    }

    /// Hot path of `insert(s, x)` / `remove(s, x)` on a set at a fixed
    /// position with a constant element: one bit operation.
    fn fixed_set_update(&mut self, op: &str, place: &Expr, value: &Expr) -> Option<StmtFn> {
        if !matches!(op, "insert" | "remove") || !self.is_const(value) {
            return None;
        }
        let (bf, ty) = self.fixed_field(place)?;
        let Ty::Set(elem) = ty else { return None };
        let before = self.diags.len();
        let fx = self.expr_to_index(value, &elem);
        if self.diags.len() > before {
            self.diags.truncate(before);
            return None;
        }
        let i = self.eval_const(&fx).ok()?;
        if i >= 64 || bf.shift as u64 + i >= 64 {
            return None;
        }
        let bit = 1u64 << (bf.shift as u64 + i);
        let w = bf.word;
        Some(if op == "insert" {
            Box::new(move |st, _| {
                st[w] |= bit;
                Ok(true)
            })
        } else {
            Box::new(move |st, _| {
                st[w] &= !bit;
                Ok(true)
            })
        })
    }

    /// `for x in S, ... { body }`. Over values of a symmetric type (which
    /// have no order), the loop runs in both orders and must end in the
    /// same state: otherwise its effect singles out a value (`last = x`,
    /// `append(q, x)`, a first-come flag), which the type checker cannot
    /// see, and the run stops with an evaluation error at the loop.
    fn for_loop(
        &mut self,
        binders: &[dcheck_syntax::ast::Binder],
        body: &Block,
        span: Span,
    ) -> StmtFn {
        let Some((first, rest)) = binders.split_first() else {
            return self.block(body);
        };
        let (dom, slot, pushed) = self.bind(first);
        let symmetric = self.scopes[self.scopes.len() - pushed].ty.has_scalarset();
        let inner = self.for_loop(rest, body, span);
        self.pop_locals(pushed);
        Box::new(move |st, loc| {
            // The domain is read on the state as it is when the loop starts;
            // elements go to a stack buffer (spilling only past 64 elements)
            // because the body may write the state the domain reads.
            let mut buf = [0u64; 64];
            let mut n = 0;
            let mut spill: Vec<u64> = Vec::new();
            dom.each(st, loc, |v, _| {
                if n < buf.len() {
                    buf[n] = v;
                    n += 1;
                } else {
                    spill.push(v);
                }
                Ok(true)
            })?;
            let run = |st: &mut [Word], loc: &mut [u64], v: u64| {
                loc[slot] = v;
                dom.rebind(v, loc);
                inner(st, loc)
            };
            if !symmetric || n < 2 {
                for &v in buf[..n].iter().chain(spill.iter()) {
                    if !run(st, loc, v)? {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            let before = crate::runtime::Saved::of(st);
            let mut forward = Ok(true);
            for &v in buf[..n].iter().chain(spill.iter()) {
                forward = run(st, loc, v);
                if !matches!(forward, Ok(true)) {
                    break;
                }
            }
            let after = crate::runtime::Saved::of(st);
            st.copy_from_slice(before.as_slice());
            let mut backward = Ok(true);
            for &v in buf[..n].iter().chain(spill.iter()).rev() {
                backward = run(st, loc, v);
                if !matches!(backward, Ok(true)) {
                    break;
                }
            }
            let same = match (&forward, &backward) {
                (Ok(a), Ok(b)) => a == b && (!a || st[..] == *after.as_slice()),
                (Err(_), Err(_)) => true,
                _ => false,
            };
            if !same {
                return Err(fail(
                    span,
                    "this `for` loop over the values of a symmetric type ends in another state \
                     when its values come in another order: its effect singles out a value \
                     (the last one assigned, an append, a first-come flag), which a symmetry \
                     does not allow; use a comprehension or quantifier, whose result has no \
                     order, or drop the type from `symmetry`"
                        .into(),
                ));
            }
            st.copy_from_slice(after.as_slice());
            forward
        })
    }

    fn collection_update(
        &mut self,
        op: &str,
        p: Place,
        ty: Ty,
        value: &Expr,
        span: Span,
        op_span: Span,
    ) -> StmtFn {
        match (op, &ty) {
            ("insert" | "remove", Ty::Set(t)) => {
                let fx = self.expr_to_index(value, t);
                let insert = op == "insert";
                Box::new(move |st, loc| {
                    p.modify(st, loc, |old, st, loc| {
                        let bit = 1u64 << fx.eval(st, loc)?;
                        Ok(if insert { old | bit } else { old & !bit })
                    })?;
                    Ok(true)
                })
            }
            ("insert" | "remove", Ty::Multiset(t, m)) => {
                let fx = self.expr_to_index(value, t);
                let (m, insert) = (*m, op == "insert");
                let strides = powers(m + 1, t.card_u64().unwrap_or(0));
                Box::new(move |st, loc| {
                    p.modify(st, loc, |old, st, loc| {
                        let stride = strides[fx.eval(st, loc)? as usize];
                        let c = get_digit(old, stride, m + 1);
                        if insert {
                            if c == m {
                                return Err(fail(span, format!("multiset capacity exceeded: an element is already there {m} time(s)")));
                            }
                            Ok(set_digit(old, stride, c, c + 1))
                        } else {
                            if c == 0 {
                                return Err(fail(span, "remove of an element that is not in the multiset".into()));
                            }
                            Ok(set_digit(old, stride, c, c - 1))
                        }
                    })?;
                    Ok(true)
                })
            }
            ("insert" | "remove", Ty::Bag(t, cap, distinct)) => {
                let Some(shape) = ty.bag_shape() else {
                    return noop();
                };
                let fx = self.expr_to_index(value, t);
                let (insert, cap, distinct) = (op == "insert", *cap, *distinct);
                Box::new(move |st, loc| {
                    p.modify(st, loc, |old, st, loc| {
                        let x = fx.eval(st, loc)?;
                        if insert {
                            shape.insert(old, x).ok_or_else(|| fail(span, format!("capacity exceeded: the collection already holds {cap} member(s)")))
                        } else if distinct {
                            Ok(shape.remove(old, x).unwrap_or(old))
                        } else {
                            shape.remove(old, x).ok_or_else(|| fail(span, "remove of an element that is not in the bag".into()))
                        }
                    })?;
                    Ok(true)
                })
            }
            ("append", Ty::Seq(t, l)) => {
                let fx = self.expr_to_index(value, t);
                let shape = SeqShape::of(t, *l);
                let l = *l;
                Box::new(move |st, loc| {
                    p.modify(st, loc, |old, st, loc| {
                        shape.push(old, fx.eval(st, loc)?).ok_or_else(|| {
                            fail(span, format!("append to a full sequence (bound {l})"))
                        })
                    })?;
                    Ok(true)
                })
            }
            // The type's own error was reported where it was declared.
            ("insert" | "remove" | "append", Ty::Error) => noop(),
            ("insert" | "remove" | "append", other) => {
                self.error(
                    op_span,
                    format!("`{op}` does not apply to a value of type {other}"),
                    Some("insert/remove apply to sets and multisets, append to sequences".into()),
                );
                noop()
            }
            _ => {
                self.error(
                    op_span,
                    format!("unknown statement `{op}`"),
                    Some(
                        "statements: assignment, let, if, require, for, either, with, insert, remove, append"
                            .into(),
                    ),
                );
                noop()
            }
        }
    }
}

fn noop() -> StmtFn {
    Box::new(|_, _| Ok(true))
}
