//! Expression compilation: type-checks an expression (bidirectionally: an
//! expected type, when known, resolves bare enum variants and empty or literal
//! collections) and returns a closure that evaluates it over the encoding.

use std::sync::Arc;

use dcheck_syntax::ast::{
    BinOp, Binder, Expr, ExprKind, Ident, MatchArm, PayloadPattern, Quantifier, UnOp,
};
use dcheck_syntax::span::Span;

use crate::check::{contains_error, Compiler};
use crate::encoding::{get_digit, BitField, Digit};
use crate::rewrite;
use crate::runtime::{fail, Destructure, Domain, ExprFn, FieldTest, Load, Store};
use crate::seq::SeqShape;
use crate::types::{EnumTy, Ty};

/// `v(T, U)` or `v`, as a person writes the variant in a pattern.
fn variant_shape(v: &crate::types::Variant) -> String {
    if v.payload.is_empty() {
        v.name.clone()
    } else {
        let parts: Vec<String> = v.payload.iter().map(|t| t.to_string()).collect();
        format!("{}({})", v.name, parts.join(", "))
    }
}

pub(crate) fn load_of(ty: &Ty) -> Load {
    match ty.int_lo() {
        Some(lo) => Load::Int { lo },
        None => Load::Id,
    }
}

pub(crate) fn store_of(ty: &Ty) -> Store {
    match ty {
        Ty::Int(Some((lo, hi))) => Store::Int { lo: *lo, hi: *hi },
        _ => Store::Id,
    }
}

/// Strides `base^i` for `i in 0..n` (indexed like a slice).
pub(crate) fn powers(base: u64, n: u64) -> Arc<Strides> {
    Arc::new(Strides::new(base, n))
}

/// The strides `base^i`, `i in 0..n`, of the digits of a dense index. At
/// most 65 are stored: past them `base^i` is constant (bases 0 and 1: a
/// `[0..10^12 -> 0..0]` has 10^12 keys and one value) or exceeds 2^64 (no
/// index of a storable type has such a digit).
pub(crate) struct Strides {
    table: Vec<u64>,
    /// `base^i` for every `i >= table.len()` (0 once past 2^64).
    tail: u64,
    n: u64,
}

impl Strides {
    fn new(base: u64, n: u64) -> Strides {
        let mut table = Vec::new();
        let mut s = Some(1u64);
        while let Some(x) = s.filter(|_| (table.len() as u64) < n.min(65)) {
            table.push(x);
            s = x.checked_mul(base);
        }
        let tail = match base {
            0 => 0,
            1 => 1,
            _ => 0,
        };
        Strides { table, tail, n }
    }

    /// `base^i` for `i < n`.
    pub fn get(&self, i: usize) -> Option<u64> {
        ((i as u64) < self.n).then(|| self[i])
    }
}

impl std::ops::Index<usize> for Strides {
    type Output = u64;
    #[inline]
    fn index(&self, i: usize) -> &u64 {
        self.table.get(i).unwrap_or(&self.tail)
    }
}

/// The digit of each key of a map whose values have `card` values (its
/// entry at key `k` is digit `(v / strides[k]) % card`), as [`Digit`]s: a
/// read at a key known only when run divides by reciprocals too. Keys
/// past the table (only where the strides are constant, see [`Strides`])
/// take [`get_digit`].
///
/// Measured: raft's handlers read `matchIndex[i][j]`, `log[i]` and the
/// like with `i` a run-time parameter (their actions have too many
/// bindings to be specialised), and the divisions were 35-40% of those
/// reading closures' samples.
pub(crate) struct KeyDigits {
    digits: Vec<Digit>,
    strides: Arc<Strides>,
    card: u64,
}

impl KeyDigits {
    pub(crate) fn new(strides: Arc<Strides>, card: u64) -> KeyDigits {
        KeyDigits {
            digits: strides.table.iter().map(|&s| Digit::new(s, card)).collect(),
            strides,
            card,
        }
    }

    /// Key `k`'s stride and its digit of `v`.
    #[inline]
    pub(crate) fn get(&self, v: u64, k: usize) -> (u64, u64) {
        match self.digits.get(k) {
            Some(d) => (d.stride(), d.get(v)),
            None => {
                let stride = self.strides[k];
                (stride, get_digit(v, stride, self.card))
            }
        }
    }
}

/// Index of `x` (a register of type `elem`) in `0..card(elem)`, or `None`
/// when an integer lies outside the element range.
#[inline]
fn elem_index(store: Store, x: u64) -> Option<u64> {
    match store {
        Store::Id => Some(x),
        Store::Int { lo, hi } => {
            let v = x as i64;
            (v >= lo && v <= hi).then(|| (v - lo) as u64)
        }
    }
}

/// Most nested calls of recursive defs in one evaluation (deeper is an
/// evaluation error; each level takes a few native stack frames).
pub const MAX_RECURSION: u32 = 200;

thread_local! {
    /// The nesting of recursive def calls on this thread.
    static RECURSION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A recursive def compiled once for its recursive calls: the body (set
/// once compiled) with the size of its frame of locals, where the frame
/// starts, the body's type, and the variables it reads.
#[derive(Clone)]
pub(crate) struct RecDef {
    cell: Arc<std::sync::OnceLock<(ExprFn, usize)>>,
    base: usize,
    ty: Ty,
    reads: Arc<Vec<usize>>,
}

/// Largest number of copies a quantifier nest is unrolled into: a
/// quantifier inside an unrolled body gets what its enclosing ones left
/// (`Compiler::unroll_left`), so `exists a in A, b in A, c in A: ...` over a
/// 32-value type unrolls `a` and loops over `b` and `c`, never 32^3 copies.
pub(crate) const UNROLL_MAX: u64 = 256;

fn err_pair() -> (Ty, ExprFn) {
    (Ty::Error, ExprFn::konst(0))
}

impl<'a> Compiler<'a> {
    /// Compile a boolean expression.
    pub fn bool_expr(&mut self, e: &Expr) -> ExprFn {
        let (ty, f) = self.expr(e, Some(&Ty::Bool));
        if !ty.compatible(&Ty::Bool) {
            self.error(e.span, format!("expected a boolean, found {ty}"), Some("guards, invariants, conditions and quantifier bodies are boolean: compare values with ==, !=, <, in, ...".into()));
        }
        f
    }

    /// Compile an integer expression.
    pub fn int_expr(&mut self, e: &Expr) -> ExprFn {
        let (ty, f) = self.expr(e, Some(&Ty::Int(None)));
        if let Some(name) = ty.symmetric() {
            self.error(
                e.span,
                format!("a value of the symmetric type `{name}` used as an integer (arithmetic, ordering or a range)"),
                Some(symmetric_why(name)),
            );
        } else if !ty.is_int() && !ty.is_error() {
            self.error(
                e.span,
                format!("expected an integer, found {ty}"),
                Some("arithmetic, ordering and ranges need integers".into()),
            );
        }
        f
    }

    /// Compile `e` for storing into a place of type `target`: type-checks and
    /// appends the range check; yields an index.
    pub fn expr_to_index(&mut self, e: &Expr, target: &Ty) -> ExprFn {
        let (ty, f) = self.expr(e, Some(target));
        if !ty.compatible(target) {
            self.error(
                e.span,
                format!("expected {target}, found {ty}"),
                Some(type_hint(target)),
            );
            return ExprFn::konst(0);
        }
        match store_of(target) {
            Store::Id => f,
            store if f.value().is_some() => match f.value().map(|v| store.apply(v, e.span)) {
                Some(Ok(i)) => ExprFn::konst(i),
                // Out of range: an error when (and if) it is evaluated.
                _ => {
                    let span = e.span;
                    ExprFn::new(move |st, loc| store.apply(f.eval(st, loc)?, span))
                }
            },
            store => {
                let span = e.span;
                ExprFn::new(move |st, loc| store.apply(f.eval(st, loc)?, span))
            }
        }
    }

    /// Whether an expression's type can only be known from its context.
    fn needs_context(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(n) => {
                self.lookup_local(&n.name).is_none()
                    && !self.var_index.contains_key(&n.name)
                    && !self.consts.contains_key(&n.name)
                    && !self.defs.contains_key(&n.name)
                    && !self.is_type_name(&n.name)
                    && self.variants.contains_key(&n.name)
            }
            ExprKind::Call(n, _) => {
                !self.defs.contains_key(&n.name) && self.variants.contains_key(&n.name)
            }
            ExprKind::SetLit(_)
            | ExprKind::SeqLit(_)
            | ExprKind::RecordLit(_)
            | ExprKind::TupleLit(_) => true,
            _ => false,
        }
    }

    /// Compile two operands that must have the same type, letting whichever
    /// is self-typed give the other its expected type.
    fn pair(&mut self, a: &Expr, b: &Expr) -> (Ty, ExprFn, ExprFn) {
        if self.needs_context(a) && !self.needs_context(b) {
            let (tb, fb) = self.expr(b, None);
            let (ta, fa) = self.expr(a, Some(&tb));
            self.expect_compatible(a.span, &ta, &tb);
            (tb, fa, fb)
        } else {
            let (ta, fa) = self.expr(a, None);
            let (tb, fb) = self.expr(b, Some(&ta));
            self.expect_compatible(b.span, &tb, &ta);
            let ty = if ta.is_error() { tb } else { ta };
            (ty, fa, fb)
        }
    }

    pub(crate) fn expect_compatible(&mut self, span: Span, found: &Ty, expected: &Ty) {
        if !found.compatible(expected) {
            self.error(
                span,
                format!("type mismatch: expected {expected}, found {found}"),
                Some(type_hint(expected)),
            );
        }
    }

    fn find_variant(
        &mut self,
        name: &Ident,
        expected: Option<&Ty>,
    ) -> Option<(Arc<EnumTy>, usize)> {
        let candidates = self.variants.get(&name.name)?.clone();
        let pick = if let Some(Ty::Enum(exp)) = expected {
            candidates
                .iter()
                .find(|c| Arc::ptr_eq(c, exp) || **c == *exp)
                .cloned()
        } else {
            None
        };
        let e = match pick {
            Some(e) => e,
            None if candidates.len() == 1 => candidates[0].clone(),
            None => {
                let names: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("{}.{}", c.name, name.name))
                    .collect();
                self.error(
                    name.span,
                    format!("`{}` is a variant of several enums", name.name),
                    Some(format!("qualify it: {}", names.join(" or "))),
                );
                return None;
            }
        };
        let idx = e.variants.iter().position(|v| v.name == name.name)?;
        Some((e, idx))
    }

    /// Compile a variant constructor with payload arguments.
    fn construct(&mut self, e: Arc<EnumTy>, idx: usize, args: &[Expr], span: Span) -> (Ty, ExprFn) {
        let var = e.variants[idx].clone();
        if var.payload.len() != args.len() {
            self.error(
                span,
                format!(
                    "variant `{}` takes {} argument(s), found {}",
                    var.name,
                    var.payload.len(),
                    args.len()
                ),
                None,
            );
            return err_pair();
        }
        let offset = e.offsets()[idx];
        let strides = Ty::component_strides(&var.payload);
        let parts: Vec<(u64, ExprFn)> = args
            .iter()
            .zip(&var.payload)
            .zip(strides)
            .map(|((a, t), s)| (s, self.expr_to_index(a, t)))
            .collect();
        let f: ExprFn = ExprFn::new(move |st, loc| {
            let mut v = offset;
            for (s, p) in &parts {
                v = v.wrapping_add(p.eval(st, loc)?.wrapping_mul(*s));
            }
            Ok(v)
        });
        (Ty::Enum(e), f)
    }

    /// Compile a def use: bind the arguments, compile the body in a scope that
    /// sees only the parameters.
    fn def_call(&mut self, name: &Ident, args: &[Expr], expected: Option<&Ty>) -> (Ty, ExprFn) {
        let def = self.defs[&name.name];
        if def.params.len() != args.len() {
            self.error(
                name.span,
                format!(
                    "`{}` takes {} argument(s), found {}",
                    name.name,
                    def.params.len(),
                    args.len()
                ),
                None,
            );
            return err_pair();
        }
        if self.def_stack.contains(&name.name) {
            return self.recursive_call(name, args, expected);
        }
        // The parameters take slots base.. base + n; the arguments are
        // compiled above them, so an argument that calls a def itself does
        // not overwrite a parameter already bound.
        let base = self.next_slot;
        self.next_slot += def.params.len();
        self.max_slots = self.max_slots.max(self.next_slot);
        let mut binds = Vec::new();
        let mut param_tys = Vec::new();
        for (p, a) in def.params.iter().zip(args) {
            let ty = self.resolve_type(&p.ty);
            let f = self.expr_to_index(a, &ty);
            binds.push((f, load_of(&ty)));
            param_tys.push((p.name.name.clone(), ty));
        }
        self.next_slot = base;
        let saved_scopes = std::mem::take(&mut self.scopes);
        // Arguments known at compile time (a def called inside an unrolled
        // quantifier, or with literals) become constants of the body, which
        // is compiled for them: its own folding and fixed-position field
        // reads (`pp[i][n]` once `i` and `n` are known) then apply.
        let all_const = binds.iter().all(|(f, _)| f.value().is_some());
        let mut slots = Vec::new();
        for ((n, ty), (f, load)) in param_tys.into_iter().zip(&binds) {
            match f.value() {
                Some(v) if all_const => self.push_const_local(&n, ty, load.apply(v)),
                _ => slots.push(self.push_local(&n, ty)),
            }
        }
        if all_const {
            binds.clear();
        }
        self.def_stack.push(name.name.clone());
        let (ty, body) = self.expr(&def.body, expected);
        self.def_stack.pop();
        self.scopes = saved_scopes;
        self.next_slot = base;
        if binds.is_empty() {
            return (ty, body);
        }
        let binds: Vec<(usize, ExprFn, Load)> = slots
            .into_iter()
            .zip(binds)
            .map(|(s, (f, l))| (s, f, l))
            .collect();
        let f: ExprFn = ExprFn::new(move |st, loc| {
            for (slot, f, load) in &binds {
                let v = f.eval(st, loc)?;
                loc[*slot] = load.apply(v);
            }
            body.eval(st, loc)
        });
        (ty, f)
    }

    /// A call of a def from inside its own expansion (recursion, direct
    /// or through other defs). The def is compiled once more with its
    /// parameters as run-time locals in a frame of its own (the first such
    /// call compiles it; calls inside that compilation refer to it); a call
    /// saves the frame, binds the arguments, runs the body and restores
    /// the frame, so the caller's locals survive. Calls nest at most
    /// [`MAX_RECURSION`] deep per evaluation: deeper is an evaluation
    /// error, not a stack overflow.
    fn recursive_call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        expected: Option<&Ty>,
    ) -> (Ty, ExprFn) {
        let def = self.defs[&name.name];
        let mut binds = Vec::new();
        let mut param_tys = Vec::new();
        for (p, a) in def.params.iter().zip(args) {
            let ty = self.resolve_type(&p.ty);
            binds.push((self.expr_to_index(a, &ty), load_of(&ty)));
            param_tys.push((p.name.name.clone(), ty));
        }
        let rec = match self.rec_defs.get(&name.name) {
            Some(r) => r.clone(),
            None => {
                // The frame starts above every slot in use here.
                let base = self.max_slots.max(self.next_slot);
                let rec = RecDef {
                    cell: Arc::new(std::sync::OnceLock::new()),
                    base,
                    ty: expected.cloned().unwrap_or(Ty::Error),
                    reads: Arc::new(Vec::new()),
                };
                self.rec_defs.insert(name.name.clone(), rec.clone());
                let saved_scopes = std::mem::take(&mut self.scopes);
                let saved_next = self.next_slot;
                let saved_reads = std::mem::take(&mut self.vars_read);
                let saved_state = self.reads_state;
                self.next_slot = base;
                for (n, ty) in &param_tys {
                    self.push_local(n, ty.clone());
                }
                let (ty, body) = self.expr(&def.body, expected);
                let frame = self.max_slots - base;
                let reads: Vec<usize> = self.vars_read.iter().copied().collect();
                self.vars_read = saved_reads;
                self.vars_read.extend(reads.iter().copied());
                self.reads_state = saved_state;
                self.scopes = saved_scopes;
                self.next_slot = saved_next;
                let _ = rec.cell.set((body, frame));
                let rec = RecDef {
                    ty,
                    reads: Arc::new(reads),
                    ..rec
                };
                self.rec_defs.insert(name.name.clone(), rec.clone());
                rec
            }
        };
        // Whatever the body reads, the call reads (and it is never folded:
        // the body may not be compiled yet when this call is).
        self.reads_state = true;
        for &v in rec.reads.iter() {
            self.vars_read.insert(v);
        }
        let (cell, base, span) = (rec.cell, rec.base, name.span);
        let f = ExprFn::new(move |st, loc| {
            let Some((body, frame)) = cell.get() else {
                return Err(fail(
                    span,
                    "a recursive def called before it is compiled".into(),
                ));
            };
            let mut values = crate::runtime::Saved::new();
            for (f, load) in &binds {
                values.push(load.apply(f.eval(st, loc)?));
            }
            let values = values.as_slice();
            let depth = RECURSION.with(|d| {
                d.set(d.get() + 1);
                d.get()
            });
            let result = if depth > MAX_RECURSION {
                Err(fail(
                    span,
                    format!("recursion deeper than {MAX_RECURSION} calls"),
                ))
            } else {
                let saved = crate::runtime::Saved::of(&loc[base..base + frame]);
                loc[base..base + values.len()].copy_from_slice(values);
                let r = body.eval(st, loc);
                loc[base..base + frame].copy_from_slice(saved.as_slice());
                r
            };
            RECURSION.with(|d| d.set(d.get() - 1));
            result
        });
        (rec.ty, f)
    }

    /// The type a binder's domain names (`x in Server`), unless the name
    /// is a local or a variable.
    fn domain_type(&mut self, d: &Expr) -> Option<Ty> {
        let ExprKind::Name(n) = &d.kind else {
            return None;
        };
        if !self.is_type_name(&n.name)
            || self.lookup_local(&n.name).is_some()
            || self.var_index.contains_key(&n.name)
        {
            return None;
        }
        let ty = self.type_by_name(n);
        debug_assert!(crate::value::indices_are_canonical(&ty));
        Some(ty)
    }

    /// Compile the domain of a binder; returns the element type.
    pub fn domain(&mut self, d: &Expr, elem_expected: Option<&Ty>) -> (Ty, Domain) {
        if let Some(ty) = self.domain_type(d) {
            return match ty.card_u64() {
                Some(card) => (
                    ty.clone(),
                    Domain::Indices {
                        card,
                        load: load_of(&ty),
                    },
                ),
                None => (Ty::Error, Domain::Lit(vec![])),
            };
        }
        match &d.kind {
            ExprKind::Range(a, b) => {
                let fa = self.int_expr(a);
                let fb = self.int_expr(b);
                (Ty::Int(None), Domain::Range(fa, fb))
            }
            ExprKind::SetLit(items) => {
                let mut ty = elem_expected.cloned().unwrap_or(Ty::Error);
                let mut fs = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    let exp = if ty.is_error() {
                        None
                    } else {
                        Some(ty.clone())
                    };
                    let (t, f) = self.expr(it, exp.as_ref());
                    if i == 0 && ty.is_error() {
                        ty = t;
                    } else {
                        self.expect_compatible(it.span, &t, &ty);
                    }
                    fs.push(f);
                }
                (ty, Domain::Lit(fs))
            }
            _ => {
                let (ty, f) = self.expr(d, None);
                match ty {
                    Ty::Set(t) => {
                        let n = t.card_u64().unwrap_or(0);
                        (
                            (*t).clone(),
                            Domain::Bits {
                                set: f,
                                n,
                                load: load_of(&t),
                            },
                        )
                    }
                    Ty::Bag(t, c, distinct) => {
                        match crate::bag::BagShape::new(t.card_u64().unwrap_or(0), c, distinct) {
                            Some(shape) => (
                                (*t).clone(),
                                Domain::Bag {
                                    b: f,
                                    shape,
                                    load: load_of(&t),
                                },
                            ),
                            None => (Ty::Error, Domain::Lit(vec![])),
                        }
                    }
                    Ty::Multiset(t, max) => {
                        let n = t.card_u64().unwrap_or(0);
                        (
                            (*t).clone(),
                            Domain::Multi {
                                m: f,
                                n,
                                max,
                                load: load_of(&t),
                            },
                        )
                    }
                    Ty::Seq(t, l) => (
                        (*t).clone(),
                        Domain::Seq {
                            s: f,
                            shape: SeqShape::of(&t, l),
                            load: load_of(&t),
                        },
                    ),
                    Ty::Error => (Ty::Error, Domain::Lit(vec![])),
                    other => {
                        self.error(
                            d.span,
                            format!("cannot range over a value of type {other}"),
                            Some("a binder ranges over a type name, a set, a multiset, a sequence or a range a..b".into()),
                        );
                        (Ty::Error, Domain::Lit(vec![]))
                    }
                }
            }
        }
    }

    /// Compile nested binders around `body`, which is compiled with all of
    /// them in scope. `combine` builds the closure for one binder level.
    fn with_binders(
        &mut self,
        binders: &[Binder],
        body: &mut dyn FnMut(&mut Compiler<'a>) -> (Ty, ExprFn),
        combine: &dyn Fn(Domain, usize, ExprFn) -> ExprFn,
    ) -> (Ty, ExprFn) {
        let Some((first, rest)) = binders.split_first() else {
            return body(self);
        };
        let (dom, slot, pushed) = self.bind(first);
        let (ty, inner) = self.with_binders(rest, body, combine);
        self.pop_locals(pushed);
        (ty, combine(dom, slot, inner))
    }

    /// Compiles binder `b`'s domain and binds its names: the variable, or
    /// for a pattern binder `v(a, _, c) in S` a hidden local for the
    /// element and the named payload components (the domain then yields
    /// only the members that are `v`, writing their payload to those
    /// locals). Returns the domain, the element's slot and the number of
    /// locals to pop after the body.
    pub fn bind(&mut self, b: &Binder) -> (Domain, usize, usize) {
        let (ety, dom) = self.domain(&b.domain, None);
        let Some(parts) = &b.pattern else {
            let slot = self.push_local(&b.name.name, ety);
            return (dom, slot, 1);
        };
        // No source name is empty, so code cannot refer to this local.
        let slot = self.push_local("", ety.clone());
        let (d, pushed) = self.destructure(&ety, &b.name, Some(parts));
        let dom = match d {
            Some(d) => Domain::Pattern(Box::new(dom), d),
            None => Domain::Lit(vec![]),
        };
        (dom, slot, 1 + pushed)
    }

    /// Pops `n` locals.
    pub fn pop_locals(&mut self, n: usize) {
        for _ in 0..n {
            self.pop_local();
        }
    }

    /// The variant `variant` of the enum type `ty` with the payload pattern
    /// `parts`: binds a local per named component (of type `<error>` when
    /// the pattern does not fit, so the body still compiles without
    /// follow-up errors) and returns how to match and destructure, with the
    /// number of locals pushed. Reports what does not fit.
    fn destructure(
        &mut self,
        ty: &Ty,
        variant: &Ident,
        parts: Option<&PayloadPattern>,
    ) -> (Option<Destructure>, usize) {
        let found = match ty {
            Ty::Enum(e) => match e.variants.iter().position(|v| v.name == variant.name) {
                Some(i) => Some((e.clone(), i)),
                None => {
                    let names: Vec<String> = e.variants.iter().map(variant_shape).collect();
                    self.error(
                        variant.span,
                        format!("`{}` is not a variant of {}", variant.name, e.name),
                        Some(format!("the variants of {}: {}", e.name, names.join(", "))),
                    );
                    None
                }
            },
            Ty::Error => None,
            other => {
                self.error(
                    variant.span,
                    format!("a pattern matches the variants of an enum, but this is a value of type {other}"),
                    Some("bind the whole value instead: `x in S`".into()),
                );
                None
            }
        };
        let payload: Option<Vec<Ty>> = found.as_ref().map(|(e, i)| e.variants[*i].payload.clone());
        // How the variant is written with its payload, for the hints.
        let v = found
            .as_ref()
            .map(|(e, i)| variant_shape(&e.variants[*i]))
            .unwrap_or_default();
        let arity_ok = match (&payload, parts) {
            (Some(p), Some(parts)) if p.len() != parts.len() => {
                self.error(
                    variant.span,
                    format!(
                        "`{}` carries {} component(s), the pattern has {}",
                        variant.name,
                        p.len(),
                        parts.len()
                    ),
                    Some(format!("write one name or `_` per component: {v}")),
                );
                false
            }
            (Some(p), None) if !p.is_empty() => {
                self.error(
                    variant.span,
                    format!(
                        "`{}` carries a payload: match it with a pattern",
                        variant.name
                    ),
                    Some(format!(
                        "write {v}, with `_` for the components you do not need"
                    )),
                );
                false
            }
            _ => true,
        };
        let payload = payload.filter(|_| arity_ok);
        let strides = payload.as_deref().map(Ty::component_strides);
        let mut bound = Vec::new();
        let mut pushed = 0;
        for (k, part) in parts.into_iter().flatten().enumerate() {
            let Some(id) = part else { continue };
            let t = payload.as_ref().map_or(Ty::Error, |p| p[k].clone());
            let slot = self.push_local(&id.name, t.clone());
            pushed += 1;
            if let Some(strides) = &strides {
                bound.push((slot, strides[k], t.card_u64().unwrap_or(1), load_of(&t)));
            }
        }
        let d = match (found, payload) {
            (Some((e, i)), Some(p)) => Some(Destructure {
                offset: e.offsets()[i],
                count: crate::types::payload_card(&p).unwrap_or(1) as u64,
                parts: bound,
            }),
            _ => None,
        };
        (d, pushed)
    }

    /// `match e { v(a, _) => x, w => y, _ => z }`: the arms in order, the
    /// first that matches chosen; every variant must be covered (or `_`).
    fn match_expr(
        &mut self,
        scrutinee: &Expr,
        arms: &[MatchArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ty, ExprFn) {
        let (sty, fs) = self.expr(scrutinee, None);
        let mut covered = match &sty {
            Ty::Enum(e) => Some((e.clone(), vec![false; e.variants.len()])),
            _ => None,
        };
        let mut ty: Option<Ty> = None;
        let mut compiled: Vec<(Option<Destructure>, ExprFn)> = Vec::new();
        let mut catch_all = false;
        for arm in arms {
            if catch_all {
                self.warn(
                    dcheck_syntax::diag::Diagnostic::new(
                        arm.span,
                        "unreachable arm: `_` above matches everything",
                    )
                    .label("never chosen")
                    .help("remove the arm or move it above `_`"),
                );
            }
            let (d, pushed) = match &arm.variant {
                None => {
                    catch_all = true;
                    (None, 0)
                }
                Some(v) => {
                    let (d, pushed) = self.destructure(&sty, v, arm.parts.as_ref());
                    if let Some((e, cov)) = covered.as_mut() {
                        if let Some(i) = e.variants.iter().position(|x| x.name == v.name) {
                            if cov[i] {
                                self.warn(
                                    dcheck_syntax::diag::Diagnostic::new(
                                        arm.span,
                                        format!("unreachable arm: `{}` is matched above", v.name),
                                    )
                                    .label("never chosen")
                                    .help(format!("each variant of {} needs one arm", e.name)),
                                );
                            }
                            cov[i] = true;
                        }
                    }
                    (d, pushed)
                }
            };
            let want = ty.as_ref().filter(|t| !t.is_error()).or(expected).cloned();
            let (t, f) = self.expr(&arm.body, want.as_ref());
            self.pop_locals(pushed);
            ty = Some(match ty {
                None => t,
                Some(prev) => {
                    self.expect_compatible(arm.body.span, &t, &prev);
                    match (&prev, &t) {
                        (Ty::Int(x), Ty::Int(y)) if x != y => Ty::Int(None),
                        (Ty::Error, _) => t,
                        _ => prev,
                    }
                }
            });
            if arm.variant.is_none() || d.is_some() {
                compiled.push((d, f));
            }
        }
        if let (Some((e, cov)), false) = (&covered, catch_all) {
            let missing: Vec<String> = e
                .variants
                .iter()
                .zip(cov)
                .filter(|(_, c)| !**c)
                .map(|(v, _)| variant_shape(v))
                .collect();
            if !missing.is_empty() {
                self.error(
                    span,
                    format!(
                        "this match does not cover every variant of {}: {} missing",
                        e.name,
                        missing.join(", ")
                    ),
                    Some("add an arm for each missing variant, or `_ => ...` for the rest".into()),
                );
            }
        } else if covered.is_none() && !sty.is_error() {
            self.error(
                scrutinee.span,
                format!("`match` takes an enum value, found {sty}"),
                Some("use `if ... then ... else` on other values".into()),
            );
        }
        let ty = ty.unwrap_or(Ty::Error);
        (
            ty,
            ExprFn::new(move |st, loc| {
                let v = fs.eval(st, loc)?;
                for (d, f) in &compiled {
                    match d {
                        Some(d) if d.matches(v) => {
                            d.bind(v, loc);
                            return f.eval(st, loc);
                        }
                        None => return f.eval(st, loc),
                        _ => {}
                    }
                }
                Err(fail(span, "no arm of the match applies".into()))
            }),
        )
    }

    /// Compile an expression. Expressions that read neither the state nor
    /// a runtime local are evaluated once here and become constants.
    pub fn expr(&mut self, e: &Expr, expected: Option<&Ty>) -> (Ty, ExprFn) {
        let saved = (self.reads_state, self.lowest_local_read);
        (self.reads_state, self.lowest_local_read) = (false, usize::MAX);
        let start = self.next_slot;
        let (ty, f) = self.expr_inner(e, expected);
        // Closed: reads neither the state nor a local bound outside `e`
        // (its own binders' locals are written before they are read).
        let closed = !self.reads_state && self.lowest_local_read >= start;
        self.reads_state |= saved.0;
        self.lowest_local_read = self.lowest_local_read.min(saved.1);
        if f.value().is_some() {
            return (ty, f);
        }
        // (Closedness replaces a test of the expression tree here, which
        // made a chain of n operators cost n^2.)
        let foldable = closed && !matches!(e.kind, ExprKind::Bool(_) | ExprKind::Int(_));
        if foldable && !ty.is_error() {
            if let Ok(v) = self.eval_const(&f) {
                return (ty, ExprFn::konst(v));
            }
        }
        (ty, f)
    }

    /// Whether `e` reads neither the state nor a local unknown at compile
    /// time (conservative: defs, quantifiers and comprehensions count as
    /// not constant).
    pub fn is_const(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Bool(_) | ExprKind::Int(_) => true,
            ExprKind::Name(n) => match self.lookup_local(&n.name) {
                Some(l) => l.konst.is_some(),
                None => {
                    !self.var_index.contains_key(&n.name)
                        && !self.defs.contains_key(&n.name)
                        && (self.consts.contains_key(&n.name)
                            || self.is_type_name(&n.name)
                            || self.variants.contains_key(&n.name))
                }
            },
            ExprKind::Call(n, args) => {
                !self.defs.contains_key(&n.name) && args.iter().all(|a| self.is_const(a))
            }
            ExprKind::Field(b, _) | ExprKind::TupleField(b, _) | ExprKind::Unary(_, b) => {
                self.is_const(b)
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.is_const(a) && self.is_const(b)
            }
            ExprKind::If(a, b, c) => self.is_const(a) && self.is_const(b) && self.is_const(c),
            ExprKind::SetLit(items) | ExprKind::SeqLit(items) | ExprKind::TupleLit(items) => {
                items.iter().all(|i| self.is_const(i))
            }
            ExprKind::RecordLit(fields) => fields.iter().all(|(_, v)| self.is_const(v)),
            _ => false,
        }
    }

    /// `len(q) > 0`, `len(q) != 0`, `0 < len(q)`, `0 != len(q)` (whether
    /// `q` is not empty) and `len(q) == 0`, `0 == len(q)` (whether it is),
    /// for a sequence `q`: compared with the empty sequence, index 0, so one
    /// field test when `q` is at a fixed position, without computing the
    /// length. `None` for any other shape (compiled as written).
    ///
    /// Measured hot path: a FIFO channel's delivery guard is `len(chan[(s,
    /// d)]) > 0 and head(...) == m`, evaluated for every binding of every
    /// handler in every state; the length, the comparison and the channel
    /// read were about a third of maekawa's time.
    fn seq_emptiness(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Option<ExprFn> {
        fn len_of(e: &Expr) -> Option<&Expr> {
            match &e.kind {
                ExprKind::Call(n, args) if n.name == "len" && args.len() == 1 => Some(&args[0]),
                _ => None,
            }
        }
        let zero = |e: &Expr| matches!(e.kind, ExprKind::Int(0));
        let (q, nonempty) = match (len_of(a), len_of(b), op) {
            (Some(q), _, BinOp::Gt | BinOp::Ne) if zero(b) => (q, true),
            (Some(q), _, BinOp::Eq) if zero(b) => (q, false),
            (_, Some(q), BinOp::Lt | BinOp::Ne) if zero(a) => (q, true),
            (_, Some(q), BinOp::Eq) if zero(a) => (q, false),
            _ => return None,
        };
        // `len` is the builtin only where no def of that name hides it.
        if self.defs.contains_key("len") {
            return None;
        }
        if let Some((bf, Ty::Seq(..))) = self.fixed_field(q) {
            return Some(ExprFn::field_test(FieldTest {
                word: bf.word,
                mask: bf.mask << bf.shift,
                value: 0,
                eq: !nonempty,
            }));
        }
        let before = self.diags.len();
        let (ty, fq) = self.expr(q, None);
        if !matches!(ty, Ty::Seq(..)) || self.diags.len() > before {
            self.diags.truncate(before);
            return None;
        }
        Some(ExprFn::new(move |st, loc| {
            Ok(((fq.eval(st, loc)? != 0) == nonempty) as u64)
        }))
    }

    /// `e` as a field at a fixed position of the state, with its type: a
    /// whole variable, or `var[k]` of a map variable with `k` constant.
    pub fn fixed_field(&mut self, e: &Expr) -> Option<(BitField, Ty)> {
        if let Some(slot) = self.var_slot(e) {
            let ExprKind::Name(n) = &e.kind else {
                return None;
            };
            let var = self.var_index[&n.name];
            self.note_state_read(var);
            let ty = self.vars[var].ty.clone();
            return BitField::whole(slot).map(|bf| (bf, ty));
        }
        let ExprKind::Index(base, key) = &e.kind else {
            return None;
        };
        if let Some((var, slots, kt, vt)) = self.wide_var(base) {
            if !self.is_const(key) {
                return None;
            }
            self.note_state_read(var);
            let before = self.diags.len();
            let fk = self.expr_to_index(key, &kt);
            self.diags.truncate(before);
            let k = self.eval_const(&fk).ok()?;
            return BitField::whole(*slots.get(k as usize)?).map(|bf| (bf, vt));
        }
        let slot = self.var_slot(base)?;
        if !self.is_const(key) {
            return None;
        }
        let ExprKind::Name(n) = &base.kind else {
            return None;
        };
        self.note_state_read(self.var_index[&n.name]);
        let Ty::Map(kv) = self.vars[self.var_index[&n.name]].ty.clone() else {
            return None;
        };
        let before = self.diags.len();
        let fk = self.expr_to_index(key, &kv.0);
        self.diags.truncate(before);
        let k = self.eval_const(&fk).ok()?;
        let vc = kv.1.card_u64()?;
        let stride = powers(vc, k + 1).get(k as usize)?;
        BitField::of(slot, stride, vc).map(|bf| (bf, kv.1.clone()))
    }

    /// The slot of `e` if it is a plain (unshadowed) state variable.
    pub fn var_slot(&self, e: &Expr) -> Option<crate::encoding::Slot> {
        match &e.kind {
            ExprKind::Name(n) if self.lookup_local(&n.name).is_none() && self.allow_state => self
                .var_index
                .get(&n.name)
                .filter(|&&i| self.vars[i].keys.is_none())
                .map(|&i| self.vars[i].slot),
            _ => None,
        }
    }

    /// `e` as a wide map variable (see [`crate::check::is_wide_map`]): its
    /// per-key slots, key type and value type.
    /// `e` as a wide map variable: (its index, its key slots, key type,
    /// value type).
    pub fn wide_var(&self, e: &Expr) -> Option<(usize, Arc<Vec<crate::encoding::Slot>>, Ty, Ty)> {
        let ExprKind::Name(n) = &e.kind else {
            return None;
        };
        if self.lookup_local(&n.name).is_some() || !self.allow_state {
            return None;
        }
        let i = *self.var_index.get(&n.name)?;
        let v = &self.vars[i];
        let (Some(keys), Ty::Map(kv)) = (&v.keys, &v.ty) else {
            return None;
        };
        Some((i, keys.clone(), kv.0.clone(), kv.1.clone()))
    }

    /// `m[k]` on a wide map: the slot of key k.
    fn wide_index(
        &mut self,
        var: usize,
        slots: Arc<Vec<crate::encoding::Slot>>,
        kt: Ty,
        vt: Ty,
        key: &Expr,
    ) -> (Ty, ExprFn) {
        self.note_state_read(var);
        let fk = self.expr_to_index(key, &kt);
        let load = load_of(&vt);
        if fk.value().is_some() {
            if let Ok(k) = self.eval_const(&fk) {
                let slot = slots[k as usize];
                if let Some(bf) = BitField::whole(slot) {
                    return (vt, ExprFn::field(bf, load));
                }
                return (vt, ExprFn::new(move |st, _| Ok(load.apply(slot.load(st)))));
            }
        }
        (
            vt,
            ExprFn::new(move |st, loc| Ok(load.apply(slots[fk.eval(st, loc)? as usize].load(st)))),
        )
    }

    fn expr_inner(&mut self, e: &Expr, expected: Option<&Ty>) -> (Ty, ExprFn) {
        let span = e.span;
        match &e.kind {
            ExprKind::Bool(b) => (Ty::Bool, ExprFn::konst(*b as u64)),
            ExprKind::Int(i) => (Ty::Int(None), ExprFn::konst(*i as u64)),
            ExprKind::Name(n) => self.name(n, expected),
            ExprKind::Call(n, args) => self.call(n, args, expected, span),
            ExprKind::Field(base, field) => self.field(base, field, expected),
            ExprKind::TupleField(base, i) => {
                let (ty, f) = self.expr(base, None);
                match &ty {
                    Ty::Tuple(items) if (*i as usize) < items.len() => {
                        let strides = Ty::component_strides(items);
                        let t = items[*i as usize].clone();
                        let (stride, card) = (strides[*i as usize], t.card_u64().unwrap_or(1));
                        let (load, digit) = (load_of(&t), Digit::new(stride, card));
                        (
                            t,
                            ExprFn::new(move |st, loc| Ok(load.apply(digit.get(f.eval(st, loc)?)))),
                        )
                    }
                    Ty::Error => err_pair(),
                    other => {
                        self.error(
                            span,
                            format!("no component {i} in a value of type {other}"),
                            None,
                        );
                        err_pair()
                    }
                }
            }
            ExprKind::Index(base, key) => self.index(base, key),
            ExprKind::Unary(UnOp::Not, a) => {
                // `not (x == y)` is `x != y` and `not not x` is `x`: keeps
                // fused comparisons a single closure.
                match &a.kind {
                    ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), x, y) => {
                        let flipped = if *op == BinOp::Eq {
                            BinOp::Ne
                        } else {
                            BinOp::Eq
                        };
                        return self.binary(flipped, x, y, span);
                    }
                    ExprKind::Unary(UnOp::Not, inner) => return (Ty::Bool, self.bool_expr(inner)),
                    _ => {}
                }
                let f = self.bool_expr(a);
                if let Some(v) = f.value() {
                    return (Ty::Bool, ExprFn::konst((v == 0) as u64));
                }
                if let Some(t) = f.test() {
                    return (Ty::Bool, ExprFn::field_test(t.not()));
                }
                (
                    Ty::Bool,
                    ExprFn::new(move |st, loc| Ok((f.eval(st, loc)? == 0) as u64)),
                )
            }
            ExprKind::Unary(UnOp::Neg, a) => {
                let f = self.int_expr(a);
                (
                    Ty::Int(None),
                    ExprFn::new(move |st, loc| {
                        (f.eval(st, loc)? as i64)
                            .checked_neg()
                            .map(|v| v as u64)
                            .ok_or_else(|| fail(span, "integer overflow in negation".into()))
                    }),
                )
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ExprKind::If(c, a, b) => {
                let fc = self.bool_expr(c);
                let (ta, fa) = self.expr(a, expected);
                let (tb, fb) = self.expr(b, Some(&ta).filter(|t| !t.is_error()).or(expected));
                self.expect_compatible(b.span, &tb, &ta);
                let ty = match (&ta, &tb) {
                    (Ty::Int(x), Ty::Int(y)) if x != y => Ty::Int(None),
                    (Ty::Error, _) => tb,
                    _ => ta,
                };
                if let Some(c) = fc.value() {
                    return (ty, if c != 0 { fa } else { fb });
                }
                (
                    ty,
                    ExprFn::new(move |st, loc| {
                        if fc.eval(st, loc)? != 0 {
                            fa.eval(st, loc)
                        } else {
                            fb.eval(st, loc)
                        }
                    }),
                )
            }
            ExprKind::Let(name, value, body) => {
                let (vt, fv) = self.expr(value, None);
                let slot = self.push_local(&name.name, vt);
                let (ty, fb) = self.expr(body, expected);
                self.pop_local();
                (
                    ty,
                    ExprFn::new(move |st, loc| {
                        loc[slot] = fv.eval(st, loc)?;
                        fb.eval(st, loc)
                    }),
                )
            }
            ExprKind::Quant(q, binders, body) => {
                // Nest the binders one by one, so each level can be hoisted.
                if binders.len() > 1 {
                    let inner = Expr {
                        kind: ExprKind::Quant(*q, binders[1..].to_vec(), body.clone()),
                        span,
                    };
                    let outer = Expr {
                        kind: ExprKind::Quant(*q, vec![binders[0].clone()], Box::new(inner)),
                        span,
                    };
                    return self.expr(&outer, expected);
                }
                if let Some(split) = binders.first().and_then(|b| self.factor(*q, b, body, e)) {
                    return self.expr(&split, expected);
                }
                let nonempty = binders.first().is_some_and(|b| {
                    let before = self.diags.len();
                    let known = self.unrollable_domain(b);
                    self.diags.truncate(before);
                    known.is_some_and(|(_, _, card)| card > 0)
                });
                if let Some(rewritten) = binders
                    .first()
                    .and_then(|b| rewrite::hoist(*q, b, body, e, nonempty))
                {
                    return self.expr(&rewritten, expected);
                }
                if let Some(f) = self.unrolled_quant(*q, binders, body) {
                    return (Ty::Bool, f);
                }
                let q = *q;
                let (_, f) = self.with_binders(
                    binders,
                    &mut |c: &mut Compiler<'a>| (Ty::Bool, c.bool_expr(body)),
                    &move |dom, slot, inner| -> ExprFn {
                        ExprFn::new(move |st, loc| {
                            let mut found = false;
                            dom.each(st, loc, |v, loc| {
                                loc[slot] = v;
                                let b = inner.eval(st, loc)? != 0;
                                // forall stops at the first false, exists at the first true
                                if b != (q == Quantifier::Forall) {
                                    found = true;
                                    return Ok(false);
                                }
                                Ok(true)
                            })?;
                            Ok(match q {
                                Quantifier::Forall => !found,
                                Quantifier::Exists => found,
                            } as u64)
                        })
                    },
                );
                (Ty::Bool, f)
            }
            ExprKind::Choose(binder, body) => {
                let (dom, slot, pushed) = self.bind(binder);
                let ety = self.scopes[self.scopes.len() - pushed].ty.clone();
                let cond = self.bool_expr(body);
                self.pop_locals(pushed);
                if ety.has_scalarset() {
                    let name = ety.symmetric().unwrap_or("a symmetric type").to_string();
                    self.error(
                        span,
                        format!(
                            "`choose` over values of the symmetric type `{name}` singles one out"
                        ),
                        Some(symmetric_why(&name)),
                    );
                    return err_pair();
                }
                // The least satisfying value: integers compare as such,
                // everything else by its index (the type's order).
                let signed = matches!(ety, Ty::Int(_));
                let less = move |a: u64, b: u64| {
                    if signed {
                        (a as i64) < (b as i64)
                    } else {
                        a < b
                    }
                };
                (
                    ety,
                    ExprFn::new(move |st, loc| {
                        let mut best: Option<u64> = None;
                        dom.each(st, loc, |v, loc| {
                            loc[slot] = v;
                            if cond.eval(st, loc)? != 0 && best.is_none_or(|b| less(v, b)) {
                                best = Some(v);
                            }
                            Ok(true)
                        })?;
                        best.ok_or_else(|| {
                            fail(span, "`choose`: no value satisfies the condition".into())
                        })
                    }),
                )
            }
            ExprKind::SetLit(items) if matches!(expected, Some(Ty::Bag(..))) => {
                let ty = expected.cloned().unwrap_or(Ty::Error);
                let (Ty::Bag(t, cap, _), Some(shape)) = (&ty, ty.bag_shape()) else {
                    return err_pair();
                };
                if items.len() as u64 > *cap && !shape.distinct {
                    self.error(
                        span,
                        format!("{} members do not fit in {ty}", items.len()),
                        None,
                    );
                }
                let t = (**t).clone();
                let fs: Vec<ExprFn> = items.iter().map(|it| self.expr_to_index(it, &t)).collect();
                (
                    ty,
                    ExprFn::new(move |st, loc| {
                        let mut v = 0u64;
                        for f in &fs {
                            v = shape.insert(v, f.eval(st, loc)?).ok_or_else(|| {
                                fail(span, "the literal exceeds the collection's bound".into())
                            })?;
                        }
                        Ok(v)
                    }),
                )
            }
            // One rule with bags: `{a, a}` holds `a` twice; beyond the
            // bound M is an evaluation error, as for `insert`.
            ExprKind::SetLit(items) if matches!(expected, Some(Ty::Multiset(..))) => {
                let ty = expected.cloned().unwrap_or(Ty::Error);
                let Ty::Multiset(t, m) = &ty else {
                    return err_pair();
                };
                let (t, m) = ((**t).clone(), *m);
                let strides = powers(m + 1, t.card_u64().unwrap_or(0));
                let fs: Vec<ExprFn> = items.iter().map(|it| self.expr_to_index(it, &t)).collect();
                (
                    ty,
                    ExprFn::new(move |st, loc| {
                        let mut v = 0u64;
                        for f in &fs {
                            let stride = strides[f.eval(st, loc)? as usize];
                            if get_digit(v, stride, m + 1) >= m {
                                return Err(fail(
                                    span,
                                    format!("the literal holds an element more than {m} time(s), the multiset's bound"),
                                ));
                            }
                            v += stride;
                        }
                        Ok(v)
                    }),
                )
            }
            ExprKind::SetLit(items) => {
                let elem = match expected {
                    Some(Ty::Set(t)) => Some((**t).clone()),
                    _ => None,
                };
                let elem = match elem {
                    Some(t) => t,
                    None => match items.first() {
                        Some(first) => self.expr(first, None).0,
                        None => {
                            self.error(span, "cannot tell the element type of `{}` here", Some("use it where a set of known type is expected, e.g. `x = {}` for a variable of type set<T>".into()));
                            return err_pair();
                        }
                    },
                };
                self.set_from_elems(&elem, span, |c, elem| {
                    items.iter().map(|it| c.expr_to_index(it, elem)).collect()
                })
            }
            ExprKind::SeqLit(items) => {
                let (elem, l) = match expected {
                    Some(Ty::Seq(t, l)) => ((**t).clone(), *l),
                    _ => match items.first() {
                        Some(first) => (self.expr(first, None).0, items.len() as u64),
                        None => {
                            self.error(
                                span,
                                "cannot tell the element type of `[]` here",
                                Some("use it where a sequence of known type is expected".into()),
                            );
                            return err_pair();
                        }
                    },
                };
                let ty = Ty::Seq(Arc::new(elem.clone()), l);
                if self.check_storable(&ty, span).is_none() {
                    return err_pair();
                }
                if items.len() as u64 > l {
                    self.error(
                        span,
                        format!("{} elements do not fit in {ty}", items.len()),
                        None,
                    );
                }
                let shape = SeqShape::of(&elem, l);
                let fs: Vec<ExprFn> = items
                    .iter()
                    .map(|it| self.expr_to_index(it, &elem))
                    .collect();
                (
                    ty,
                    ExprFn::new(move |st, loc| {
                        let mut v = 0u64;
                        for f in &fs {
                            v = shape.push(v, f.eval(st, loc)?).ok_or_else(|| {
                                fail(span, "sequence literal exceeds its bound".into())
                            })?;
                        }
                        Ok(v)
                    }),
                )
            }
            ExprKind::TupleLit(items) => {
                let tys: Vec<Ty> = match expected {
                    Some(Ty::Tuple(ts)) if ts.len() == items.len() => (**ts).clone(),
                    _ => items.iter().map(|it| self.expr(it, None).0).collect(),
                };
                let ty = Ty::Tuple(Arc::new(tys.clone()));
                self.components(ty, &tys, items.iter().collect(), span)
            }
            ExprKind::RecordLit(fields) => {
                let rec = match expected {
                    Some(Ty::Record(fs)) => (**fs).clone(),
                    _ => fields
                        .iter()
                        .map(|(n, v)| (n.name.clone(), self.expr(v, None).0))
                        .collect(),
                };
                let mut ordered = Vec::new();
                for (name, _) in &rec {
                    match fields.iter().find(|(n, _)| &n.name == name) {
                        Some((_, v)) => ordered.push(v),
                        None => {
                            self.error(span, format!("field `{name}` is missing"), None);
                            return err_pair();
                        }
                    }
                }
                for (n, _) in fields {
                    if !rec.iter().any(|(r, _)| *r == n.name) {
                        self.error(
                            n.span,
                            format!("no field `{}` in this record type", n.name),
                            None,
                        );
                        return err_pair();
                    }
                }
                let tys: Vec<Ty> = rec.iter().map(|r| r.1.clone()).collect();
                self.components(Ty::Record(Arc::new(rec)), &tys, ordered, span)
            }
            ExprKind::MapLit(binder, body) => {
                let key_ty = match &binder.domain.kind {
                    ExprKind::Name(n) if self.is_type_name(&n.name) => self.type_by_name(n),
                    // A range of constants is the range type (TLA+'s
                    // `[k \in 0..1 |-> e]`).
                    ExprKind::Range(a, b) => {
                        let (lo, hi) = (self.int_expr(a), self.int_expr(b));
                        match (lo.value(), hi.value()) {
                            (Some(lo), Some(hi)) => Ty::Int(Some((lo as i64, hi as i64))),
                            _ => {
                                self.error(binder.domain.span, "a map literal over a range needs constant bounds", Some("maps are total over their key type: write [x in lo..hi |-> e] with constant lo and hi, or name a type".into()));
                                return err_pair();
                            }
                        }
                    }
                    _ => {
                        self.error(binder.domain.span, "a map literal ranges over a type", Some("write [x in T |-> e] with T a type name or a range of constants: maps are total over their key type".into()));
                        return err_pair();
                    }
                };
                let val_expected = match expected {
                    Some(Ty::Map(kv)) => Some(kv.1.clone()),
                    _ => None,
                };
                let (kc, kload) = (key_ty.card_u64().unwrap_or(0), load_of(&key_ty));
                let slot = self.push_local(&binder.name.name, key_ty.clone());
                let val_ty = match val_expected {
                    Some(v) => v,
                    None => self.expr(body, None).0,
                };
                let fv = self.expr_to_index(body, &val_ty);
                self.pop_local();
                let ty = Ty::Map(Arc::new((key_ty, val_ty.clone())));
                if self.check_storable(&ty, span).is_none() {
                    return err_pair();
                }
                let vc = val_ty.card_u64().unwrap_or(1);
                (
                    ty,
                    ExprFn::new(move |st, loc| {
                        let mut v = 0u64;
                        let mut stride = 1u64;
                        for k in 0..kc {
                            loc[slot] = kload.apply(k);
                            v = v.wrapping_add(fv.eval(st, loc)?.wrapping_mul(stride));
                            stride = stride.wrapping_mul(vc);
                        }
                        Ok(v)
                    }),
                )
            }
            ExprKind::SetComp(elem_e, binders, cond) => {
                let elem_expected = match expected {
                    Some(Ty::Set(t)) => Some((**t).clone()),
                    _ => None,
                };
                let mut elem_ty = Ty::Error;
                let (_, f) = self.with_binders(
                    binders,
                    &mut |c: &mut Compiler<'a>| {
                        let et = match &elem_expected {
                            Some(t) => t.clone(),
                            None => c.expr(elem_e, None).0,
                        };
                        let fe = c.expr_to_index(elem_e, &et);
                        let fc = cond.as_ref().map(|p| c.bool_expr(p));
                        elem_ty = et;
                        // The innermost closure adds one element to the set accumulated in `acc_slot`.
                        let f: ExprFn = ExprFn::new(move |st, loc| {
                            if let Some(fc) = &fc {
                                if fc.eval(st, loc)? == 0 {
                                    return Ok(0);
                                }
                            }
                            Ok(1u64 << fe.eval(st, loc)?)
                        });
                        (Ty::Bool, f)
                    },
                    &|dom, slot, inner| -> ExprFn {
                        ExprFn::new(move |st, loc| {
                            let mut acc = 0u64;
                            dom.each(st, loc, |v, loc| {
                                loc[slot] = v;
                                acc |= inner.eval(st, loc)?;
                                Ok(true)
                            })?;
                            Ok(acc)
                        })
                    },
                );
                let ty = Ty::Set(Arc::new(elem_ty));
                if self.check_storable(&ty, span).is_none() {
                    return err_pair();
                }
                let Ty::Set(elem_ty) = &ty else {
                    unreachable!("built as a set just above")
                };
                match self.unrolled_comp(binders, elem_e, elem_ty, cond.as_deref()) {
                    Some(u) => (ty, u),
                    None => (ty, f),
                }
            }
            ExprKind::Match(scrutinee, arms) => self.match_expr(scrutinee, arms, span, expected),
            ExprKind::Range(_, _) => {
                self.error(span, "a range a..b is not a value here", Some("use ranges after `in` (membership or a binder), or declare a type `lo..hi`".into()));
                err_pair()
            }
        }
    }

    /// Warns when the left operand of `%` can be negative (as far as its
    /// bounds show): `%` keeps the left operand's sign, so a TLA+ `%`
    /// (always in `0..b-1`) translated as `%` silently differs there.
    fn warn_negative_remainder(&mut self, a: &Expr) {
        if let Some((lo, _)) = self.int_bounds(a) {
            if lo < 0 {
                self.warn(
                    dcheck_syntax::diag::Diagnostic::new(a.span, format!("the left operand of `%` can be negative (down to {lo})"))
                        .label("can be negative")
                        .help("`%` keeps the sign of its left operand, as in Rust and C (-1 % 3 == -1); TLA+'s `%` is `mod` here (always in 0..b-1), and `\\div` is `div`"),
                );
            }
        }
    }

    /// Bounds of an integer expression as far as the declared ranges show
    /// them (constants, range-typed names and places, and `+`, `-`, `*` and
    /// negation of those); `None` when unknown. For warnings only: compiles
    /// `e` again and drops what that reports.
    fn int_bounds(&mut self, e: &Expr) -> Option<(i128, i128)> {
        let before = self.diags.len();
        let bounds = if self.is_const(e) {
            let f = self.int_expr(e);
            self.eval_const(&f)
                .ok()
                .map(|v| (v as i64 as i128, v as i64 as i128))
        } else {
            match &e.kind {
                ExprKind::Unary(UnOp::Neg, x) => self.int_bounds(x).map(|(lo, hi)| (-hi, -lo)),
                ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), x, y) => {
                    let ((a, b), (c, d)) = (self.int_bounds(x)?, self.int_bounds(y)?);
                    Some(match op {
                        BinOp::Add => (a + c, b + d),
                        BinOp::Sub => (a - d, b - c),
                        _ => {
                            let p = [a * c, a * d, b * c, b * d];
                            (*p.iter().min()?, *p.iter().max()?)
                        }
                    })
                }
                _ => match self.expr(e, None).0 {
                    Ty::Int(Some((lo, hi))) => Some((lo as i128, hi as i128)),
                    _ => None,
                },
            }
        };
        self.diags.truncate(before);
        bounds
    }

    /// [`rewrite::factor`] of `q b: body`, with the checks it leaves to the
    /// compiler: the inner domain known at compile time, and the first
    /// part unable to fail ([`Compiler::infallible`], `b`'s variable of
    /// the type of its domain).
    fn factor(&mut self, q: Quantifier, b: &Binder, body: &Expr, whole: &Expr) -> Option<Expr> {
        let ExprKind::Quant(_, inner, _) = &body.kind else {
            return None;
        };
        let before = self.diags.len();
        let outer = self.unrollable_domain(b).map(|(ty, _, _)| ty);
        let known = inner.len() == 1 && self.unrollable_domain(&inner[0]).is_some();
        self.diags.truncate(before);
        let ty = outer.filter(|_| known)?;
        rewrite::factor(q, b, body, whole, |c| {
            self.infallible(c, (b.name.name.as_str(), &ty))
        })
    }

    /// Whether evaluating `e` cannot fail: literals, names that are not
    /// defs, `not`, `and`/`or`/`implies`, comparisons and membership of
    /// such, record fields, and a map variable read at a key that is a
    /// local of the map's key type (`x`: the variable being quantified,
    /// not bound yet, and its type). Conservative: anything else
    /// (arithmetic, calls, sequences, defs) may fail.
    fn infallible(&self, e: &Expr, x: (&str, &Ty)) -> bool {
        let name_ty = |n: &str| -> Option<Ty> {
            if n == x.0 {
                return Some(x.1.clone());
            }
            self.lookup_local(n).map(|l| l.ty.clone())
        };
        match &e.kind {
            ExprKind::Bool(_) | ExprKind::Int(_) => true,
            ExprKind::Name(n) => name_ty(&n.name).is_some() || !self.defs.contains_key(&n.name),
            ExprKind::Unary(UnOp::Not, a) | ExprKind::Field(a, _) => self.infallible(a, x),
            ExprKind::Binary(op, a, b) => {
                matches!(
                    op,
                    BinOp::And
                        | BinOp::Or
                        | BinOp::Implies
                        | BinOp::Eq
                        | BinOp::Ne
                        | BinOp::Lt
                        | BinOp::Le
                        | BinOp::Gt
                        | BinOp::Ge
                        | BinOp::In
                        | BinOp::NotIn
                ) && self.infallible(a, x)
                    && self.infallible(b, x)
            }
            ExprKind::Index(base, key) => {
                let (ExprKind::Name(m), ExprKind::Name(k)) = (&base.kind, &key.kind) else {
                    return false;
                };
                if name_ty(&m.name).is_some() {
                    return false;
                }
                let Some(&v) = self.var_index.get(&m.name) else {
                    return false;
                };
                let Ty::Map(kv) = &self.vars[v].ty else {
                    return false;
                };
                name_ty(&k.name).is_some_and(|t| t == kv.0)
            }
            _ => false,
        }
    }

    /// A binder's domain as a list known at compile time, for unrolling:
    /// a type (its indices, `load`ed) or a range with constant bounds (then
    /// `lo + i`). `(element type, load, number of values)`.
    fn unrollable_domain(&mut self, b: &Binder) -> Option<(Ty, Load, u64)> {
        if b.pattern.is_some() {
            return None;
        }
        if let Some(ty) = self.domain_type(&b.domain) {
            let card = ty.card_u64()?;
            return Some((ty.clone(), load_of(&ty), card));
        }
        match &b.domain.kind {
            ExprKind::Range(a, b) if self.is_const(a) && self.is_const(b) => {
                let before = self.diags.len();
                let (fa, fb) = (self.int_expr(a), self.int_expr(b));
                let bounds = (self.eval_const(&fa), self.eval_const(&fb));
                if self.diags.len() > before {
                    // Reported again by the loop this falls back to.
                    self.diags.truncate(before);
                    return None;
                }
                let (Ok(lo), Ok(hi)) = bounds else {
                    return None;
                };
                let (lo, hi) = (lo as i64, hi as i64);
                let card = if hi < lo {
                    0
                } else {
                    hi.abs_diff(lo).checked_add(1)?
                };
                Some((Ty::Int(None), Load::Int { lo }, card))
            }
            _ => None,
        }
    }

    /// `forall`/`exists` over small types, unrolled: the body is compiled
    /// once per element with the bound variable as a constant, so indexing
    /// by it folds to a fixed digit. Only when the whole nest has at most
    /// [`UNROLL_MAX`] bindings, shared with the quantifiers of its body.
    fn unrolled_quant(&mut self, q: Quantifier, binders: &[Binder], body: &Expr) -> Option<ExprFn> {
        // Binders are nested one per quantifier before this (see `Quant`
        // in `expr_inner`), so there is one.
        let [first] = binders else {
            return None;
        };
        let mut kept = self.diags.len();
        let mut parts = Vec::new();
        let unrolled = self.unroll_each(first, |c, i| {
            let f = c.bool_expr(body);
            // Report a problem in the body once, not once per element.
            if i == 0 {
                kept = c.diags.len();
            } else {
                c.diags.truncate(kept);
            }
            parts.push(f);
            true
        });
        // A `forall` is the conjunction of its copies, `exists` the
        // disjunction.
        unrolled.then(|| junction(parts, q == Quantifier::Exists))
    }

    /// The one unrolling of a binder, for quantifiers and comprehensions:
    /// `copy` compiles a copy with `b`'s variable bound to the constant
    /// element `i` of its domain, for each `i` in order, until one returns
    /// false. Each copy's own unrolling shares what this one leaves of the
    /// [`UNROLL_MAX`] budget. False, with nothing compiled, when the domain
    /// is not known at compile time, is over the budget or is empty (the
    /// body would never be compiled and its errors never reported; the
    /// loop, over nothing, does both); false too if a copy said so.
    fn unroll_each(&mut self, b: &Binder, mut copy: impl FnMut(&mut Self, u64) -> bool) -> bool {
        let Some((ty, load, card)) = self.unrollable_domain(b) else {
            return false;
        };
        if card == 0 || card > self.unroll_left {
            return false;
        }
        let saved = self.unroll_left;
        self.unroll_left = saved / card;
        self.unrolled_bodies += card;
        let mut all = true;
        for i in 0..card {
            self.push_const_local(&b.name.name, ty.clone(), load.apply(i));
            all = copy(self, i);
            self.pop_local();
            if !all {
                break;
            }
        }
        self.unroll_left = saved;
        all
    }

    /// `{ e for x in D, y in E if c }` over domains known at compile time,
    /// unrolled as a quantifier nest is ([`Compiler::unrolled_quant`], and
    /// within the same budget): `c` and `e` are compiled once per binding
    /// with the bound variables as constants, so `votes[a]` with `a` known
    /// folds to a fixed field and `(b, v) in votes[a]` to one field test;
    /// a copy whose `c` is false at compile time is dropped, and a
    /// constant `e` is a constant bit. The copies run in the loop's order
    /// (binders outermost first, each domain in index order), each
    /// evaluating `e` only where `c` holds, so the value and the first
    /// evaluation error are the loop's.
    ///
    /// Compiled after the loop (which reports the expression's problems and
    /// gives the element type); `None`, and the loop is kept, when a domain
    /// is not known, is empty or is over the budget, or when a copy raises
    /// an error at compile time.
    ///
    /// Measured: paxos's `chosenAt(b, v)` (`card` of the acceptors whose
    /// `votes` hold `(b, v)`), raft's quorum counts and Chandy-Lamport's
    /// recorded total are such comprehensions, evaluated in every state by
    /// invariants and properties.
    fn unrolled_comp(
        &mut self,
        binders: &[Binder],
        elem: &Expr,
        elem_ty: &Ty,
        cond: Option<&Expr>,
    ) -> Option<ExprFn> {
        let before = (self.diags.len(), self.unroll_left, self.unrolled_bodies);
        let mut parts = Vec::new();
        let unrolled = self.comp_parts(binders, (elem, elem_ty, cond), &mut parts);
        self.unroll_left = before.1;
        // The loop reported the expression's problems already; a copy may
        // only repeat its warnings.
        let failed = self.diags[before.0..].iter().any(|d| !d.warning);
        self.diags.truncate(before.0);
        if !unrolled || failed {
            self.unrolled_bodies = before.2;
            return None;
        }
        if parts
            .iter()
            .all(|(c, bit)| c.is_none() && bit.value().is_some())
        {
            let set = parts
                .iter()
                .fold(0, |acc, (_, bit)| acc | 1 << bit.value().unwrap_or(0));
            return Some(ExprFn::konst(set));
        }
        Some(ExprFn::new(move |st, loc| {
            let mut acc = 0u64;
            for (c, bit) in &parts {
                if let Some(c) = c {
                    if c.eval(st, loc)? == 0 {
                        continue;
                    }
                }
                acc |= 1 << bit.eval(st, loc)?;
            }
            Ok(acc)
        }))
    }

    /// The copies of [`Compiler::unrolled_comp`] for `binders` (those
    /// before them bound as constants already): (condition, unless true
    /// at compile time; element index). False if a domain cannot be
    /// unrolled.
    fn comp_parts(
        &mut self,
        binders: &[Binder],
        comp @ (elem, elem_ty, cond): (&Expr, &Ty, Option<&Expr>),
        parts: &mut Vec<(Option<ExprFn>, ExprFn)>,
    ) -> bool {
        let Some((first, rest)) = binders.split_first() else {
            let c = cond.map(|c| self.bool_expr(c));
            match c.as_ref().and_then(ExprFn::value) {
                Some(0) => {}
                Some(_) => parts.push((None, self.expr_to_index(elem, elem_ty))),
                None => parts.push((c, self.expr_to_index(elem, elem_ty))),
            }
            return true;
        };
        self.unroll_each(first, |c, _| c.comp_parts(rest, comp, parts))
    }

    /// Check that a type can be stored (finite, fits 64 bits).
    fn check_storable(&mut self, ty: &Ty, span: Span) -> Option<u64> {
        match ty.card() {
            Some(c) => Some(c.min(u64::MAX as u128) as u64),
            None => {
                if !contains_error(ty) {
                    self.error(span, format!("a value of type {ty} cannot be stored"), Some("integers in collections, records and tuples need a declared range: use this where a typed variable or parameter is expected".into()));
                }
                None
            }
        }
    }

    fn set_from_elems(
        &mut self,
        elem: &Ty,
        span: Span,
        build: impl FnOnce(&mut Compiler<'a>, &Ty) -> Vec<ExprFn>,
    ) -> (Ty, ExprFn) {
        let ty = Ty::Set(Arc::new(elem.clone()));
        if self.check_storable(&ty, span).is_none() {
            return err_pair();
        }
        let fs = build(self, elem);
        (
            ty,
            ExprFn::new(move |st, loc| {
                let mut v = 0u64;
                for f in &fs {
                    v |= 1u64 << f.eval(st, loc)?;
                }
                Ok(v)
            }),
        )
    }

    fn components(&mut self, ty: Ty, tys: &[Ty], items: Vec<&Expr>, span: Span) -> (Ty, ExprFn) {
        if self.check_storable(&ty, span).is_none() {
            return err_pair();
        }
        let strides = Ty::component_strides(tys);
        let parts: Vec<(u64, ExprFn)> = items
            .into_iter()
            .zip(tys)
            .zip(strides)
            .map(|((it, t), s)| (s, self.expr_to_index(it, t)))
            .collect();
        (
            ty,
            ExprFn::new(move |st, loc| {
                let mut v = 0u64;
                for (s, f) in &parts {
                    v = v.wrapping_add(f.eval(st, loc)?.wrapping_mul(*s));
                }
                Ok(v)
            }),
        )
    }

    fn name(&mut self, n: &Ident, expected: Option<&Ty>) -> (Ty, ExprFn) {
        if let Some(l) = self.lookup_local(&n.name) {
            let (slot, ty) = (l.slot, l.ty.clone());
            if let Some(v) = l.konst {
                return (ty, ExprFn::konst(v));
            }
            self.note_local_read(slot);
            return (ty, ExprFn::local(slot));
        }
        if let Some(&i) = self.var_index.get(&n.name) {
            if !self.allow_state {
                self.error(
                    n.span,
                    format!(
                        "`{}` is a state variable; a constant is needed here",
                        n.name
                    ),
                    None,
                );
                return err_pair();
            }
            let v = &self.vars[i];
            if v.keys.is_some() {
                let ty = v.ty.clone();
                self.error(
                    n.span,
                    format!("`{}` ({ty}) has more than 2^64 values and can only be used element-wise", n.name),
                    Some(format!("read and assign its elements, `{}[k]`; quantify over the keys to compare or copy it", n.name)),
                );
                return err_pair();
            }
            let (slot, load, ty) = (v.slot, load_of(&v.ty), v.ty.clone());
            self.note_state_read(i);
            if let Some(bf) = BitField::whole(slot) {
                return (ty, ExprFn::field(bf, load));
            }
            return (ty, ExprFn::new(move |st, _| Ok(load.apply(slot.load(st)))));
        }
        if let Some((ty, v)) = self.consts.get(&n.name).cloned() {
            return (ty, ExprFn::konst(v));
        }
        if self.defs.contains_key(&n.name) {
            return self.def_call(n, &[], expected);
        }
        if self.is_type_name(&n.name) {
            let t = self.type_by_name(n);
            return match t.card_u64() {
                Some(c) if c <= 64 => {
                    let all = if c == 64 { u64::MAX } else { (1u64 << c) - 1 };
                    (Ty::Set(Arc::new(t)), ExprFn::konst(all))
                }
                _ => {
                    if !t.is_error() {
                        self.error(
                            n.span,
                            format!(
                                "the type `{}` has too many values to be used as a set value",
                                n.name
                            ),
                            Some(
                                "use it as the domain of a binder (`forall x in T: ...`) instead"
                                    .into(),
                            ),
                        );
                    }
                    err_pair()
                }
            };
        }
        if self.variants.contains_key(&n.name) {
            return match self.find_variant(n, expected) {
                Some((e, idx)) => self.construct(e, idx, &[], n.span),
                None => err_pair(),
            };
        }
        self.error(
            n.span,
            format!("unknown name `{}`", n.name),
            Some("names are state variables, constants, defs, parameters, bound variables, types or enum variants".into()),
        );
        err_pair()
    }

    fn field(&mut self, base: &Expr, field: &Ident, expected: Option<&Ty>) -> (Ty, ExprFn) {
        // `Type.variant`: a qualified enum variant.
        if let ExprKind::Name(n) = &base.kind {
            if self.is_type_name(&n.name)
                && self.lookup_local(&n.name).is_none()
                && !self.var_index.contains_key(&n.name)
            {
                let t = self.type_by_name(n);
                if let Ty::Enum(e) = &t {
                    return match e.variants.iter().position(|v| v.name == field.name) {
                        Some(idx) => self.construct(e.clone(), idx, &[], field.span),
                        None => {
                            self.error(
                                field.span,
                                format!("enum `{}` has no variant `{}`", n.name, field.name),
                                None,
                            );
                            err_pair()
                        }
                    };
                }
            }
        }
        let _ = expected;
        let (ty, f) = self.expr(base, None);
        match &ty {
            Ty::Record(fields) => match fields.iter().position(|x| x.0 == field.name) {
                Some(i) => {
                    let tys: Vec<Ty> = fields.iter().map(|x| x.1.clone()).collect();
                    let stride = Ty::component_strides(&tys)[i];
                    let t = tys[i].clone();
                    let card = t.card_u64().unwrap_or(1);
                    let (load, digit) = (load_of(&t), Digit::new(stride, card));
                    (
                        t,
                        ExprFn::new(move |st, loc| Ok(load.apply(digit.get(f.eval(st, loc)?)))),
                    )
                }
                None => {
                    let names: Vec<&str> = fields.iter().map(|x| x.0.as_str()).collect();
                    self.error(
                        field.span,
                        format!("no field `{}` in {ty}", field.name),
                        Some(format!("fields: {}", names.join(", "))),
                    );
                    err_pair()
                }
            },
            Ty::Error => err_pair(),
            other => {
                self.error(
                    field.span,
                    format!("a value of type {other} has no fields"),
                    None,
                );
                err_pair()
            }
        }
    }

    fn index(&mut self, base: &Expr, key: &Expr) -> (Ty, ExprFn) {
        if let Some((var, slots, kt, vt)) = self.wide_var(base) {
            return self.wide_index(var, slots, kt, vt, key);
        }
        let var = self.var_slot(base);
        let (ty, f) = self.expr(base, None);
        let span = key.span;
        match &ty {
            Ty::Map(kv) => {
                let (kt, vt) = (kv.0.clone(), kv.1.clone());
                let fk = self.expr_to_index(key, &kt);
                let key_const = fk.value().is_some();
                let vc = vt.card_u64().unwrap_or(1);
                let strides = powers(vc, kt.card_u64().unwrap_or(0));
                let load = load_of(&vt);
                // Hot path: `var[k]` with k known at compile time is one digit
                // of one slot.
                if let (Some(slot), true) = (var, key_const) {
                    if let Ok(k) = self.eval_const(&fk) {
                        let stride = strides[k as usize];
                        if let Some(bf) = BitField::of(slot, stride, vc) {
                            return (vt, ExprFn::field(bf, load));
                        }
                        return (vt, ExprFn::digit(slot, Digit::new(stride, vc), load));
                    }
                }
                let digits = KeyDigits::new(strides, vc);
                if let Some(slot) = var {
                    return (
                        vt,
                        ExprFn::new(move |st, loc| {
                            let k = fk.eval(st, loc)? as usize;
                            Ok(load.apply(digits.get(slot.load(st), k).1))
                        }),
                    );
                }
                (
                    vt,
                    ExprFn::new(move |st, loc| {
                        let m = f.eval(st, loc)?;
                        let k = fk.eval(st, loc)? as usize;
                        Ok(load.apply(digits.get(m, k).1))
                    }),
                )
            }
            Ty::Seq(t, l) => {
                let fi = self.int_expr(key);
                let shape = SeqShape::of(t, *l);
                let load = load_of(t);
                (
                    (**t).clone(),
                    ExprFn::new(move |st, loc| {
                        let s = f.eval(st, loc)?;
                        let i = fi.eval(st, loc)? as i64;
                        let len = shape.len(s);
                        if i < 1 || i as u64 > len {
                            return Err(fail(
                                span,
                                format!("index {i} is out of range 1..{len} of the sequence"),
                            ));
                        }
                        Ok(load.apply(shape.elem(s, i as u64 - 1)))
                    }),
                )
            }
            Ty::Error => err_pair(),
            other => {
                self.error(
                    base.span,
                    format!("cannot index a value of type {other}"),
                    Some("only maps and sequences can be indexed".into()),
                );
                err_pair()
            }
        }
    }

    fn call(
        &mut self,
        n: &Ident,
        args: &[Expr],
        expected: Option<&Ty>,
        span: Span,
    ) -> (Ty, ExprFn) {
        if self.defs.contains_key(&n.name) {
            return self.def_call(n, args, expected);
        }
        let arity = |c: &mut Compiler<'a>, k: usize| -> bool {
            if args.len() != k {
                c.error(
                    span,
                    format!("`{}` takes {k} argument(s), found {}", n.name, args.len()),
                    None,
                );
                false
            } else {
                true
            }
        };
        match n.name.as_str() {
            "len" | "card" => {
                if !arity(self, 1) {
                    return err_pair();
                }
                if let ExprKind::Range(lo, hi) = &args[0].kind {
                    // The number of integers from lo to hi: 0 if hi < lo.
                    let (flo, fhi) = (self.int_expr(lo), self.int_expr(hi));
                    let (aspan, name) = (args[0].span, n.name.clone());
                    return (
                        Ty::Int(None),
                        ExprFn::new(move |st, loc| {
                            let (lo, hi) = (flo.eval(st, loc)? as i64, fhi.eval(st, loc)? as i64);
                            let n = (hi as i128 - lo as i128 + 1).max(0);
                            u64::try_from(n).map_err(|_| {
                                fail(aspan, format!("`{name}` of {lo}..{hi} exceeds 64 bits"))
                            })
                        }),
                    );
                }
                let (ty, f) = self.expr(&args[0], None);
                let f: ExprFn = match &ty {
                    Ty::Set(_) => {
                        ExprFn::new(move |st, loc| Ok(f.eval(st, loc)?.count_ones() as u64))
                    }
                    Ty::Seq(t, l) => {
                        let shape = SeqShape::of(t, *l);
                        ExprFn::new(move |st, loc| Ok(shape.len(f.eval(st, loc)?)))
                    }
                    Ty::Bag(..) => {
                        let Some(shape) = ty.bag_shape() else {
                            return err_pair();
                        };
                        ExprFn::new(move |st, loc| Ok(shape.len(f.eval(st, loc)?)))
                    }
                    Ty::Multiset(t, m) => {
                        let (n, m) = (t.card_u64().unwrap_or(0), *m);
                        ExprFn::new(move |st, loc| {
                            let mut v = f.eval(st, loc)?;
                            let mut total = 0;
                            for _ in 0..n {
                                total += v % (m + 1);
                                v /= m + 1;
                            }
                            Ok(total)
                        })
                    }
                    Ty::Error => return err_pair(),
                    other => {
                        self.error(
                            args[0].span,
                            format!(
                                "`{}` needs a set, multiset or sequence, found {other}",
                                n.name
                            ),
                            None,
                        );
                        return err_pair();
                    }
                };
                (Ty::Int(None), f)
            }
            "min" | "max" => {
                let is_min = n.name == "min";
                if args.len() == 2 {
                    let a = self.int_expr(&args[0]);
                    let b = self.int_expr(&args[1]);
                    return (
                        Ty::Int(None),
                        ExprFn::new(move |st, loc| {
                            let (x, y) = (a.eval(st, loc)? as i64, b.eval(st, loc)? as i64);
                            Ok(if is_min { x.min(y) } else { x.max(y) } as u64)
                        }),
                    );
                }
                if !arity(self, 1) {
                    return err_pair();
                }
                let (ty, f) = self.expr(&args[0], None);
                match &ty {
                    Ty::Set(t) if t.symmetric().is_some() => {
                        let name = t.symmetric().unwrap_or_default().to_string();
                        self.error(
                            n.span,
                            format!("`{}` of a set of the symmetric type `{name}` singles one value out", n.name),
                            Some(symmetric_why(&name)),
                        );
                        err_pair()
                    }
                    Ty::Set(t) if t.is_int() || matches!(**t, Ty::Enum(_)) => {
                        let load = load_of(t);
                        let aspan = args[0].span;
                        let name = n.name.clone();
                        (
                            (**t).clone(),
                            ExprFn::new(move |st, loc| {
                                let s = f.eval(st, loc)?;
                                if s == 0 {
                                    return Err(fail(aspan, format!("`{name}` of an empty set")));
                                }
                                let i = if is_min {
                                    s.trailing_zeros()
                                } else {
                                    63 - s.leading_zeros()
                                };
                                Ok(load.apply(i as u64))
                            }),
                        )
                    }
                    Ty::Error => err_pair(),
                    other => {
                        self.error(
                            args[0].span,
                            format!(
                                "`{}` needs a set of integers or two integers, found {other}",
                                n.name
                            ),
                            None,
                        );
                        err_pair()
                    }
                }
            }
            "abs" => {
                if !arity(self, 1) {
                    return err_pair();
                }
                let a = self.int_expr(&args[0]);
                (
                    Ty::Int(None),
                    ExprFn::new(move |st, loc| {
                        (a.eval(st, loc)? as i64)
                            .checked_abs()
                            .map(|v| v as u64)
                            .ok_or_else(|| fail(span, "integer overflow in abs".into()))
                    }),
                )
            }
            "count" => {
                if !arity(self, 2) {
                    return err_pair();
                }
                let (ty, f) = self.expr(&args[0], None);
                if let (Ty::Bag(t, _, _), Some(shape)) = (&ty, ty.bag_shape()) {
                    let t = (**t).clone();
                    let (xt, fx) = self.expr(&args[1], Some(&t));
                    self.expect_compatible(args[1].span, &xt, &t);
                    let store = store_of(&t);
                    return (
                        Ty::Int(None),
                        ExprFn::new(move |st, loc| {
                            let v = f.eval(st, loc)?;
                            Ok(match elem_index(store, fx.eval(st, loc)?) {
                                Some(i) => shape.count(v, i),
                                None => 0,
                            })
                        }),
                    );
                }
                let Ty::Multiset(t, m) = &ty else {
                    if !ty.is_error() {
                        self.error(
                            args[0].span,
                            format!("`count` needs a multiset, found {ty}"),
                            None,
                        );
                    }
                    return err_pair();
                };
                let (t, m) = ((**t).clone(), *m);
                let (xt, fx) = self.expr(&args[1], Some(&t));
                self.expect_compatible(args[1].span, &xt, &t);
                let store = store_of(&t);
                let strides = powers(m + 1, t.card_u64().unwrap_or(0));
                (
                    Ty::Int(None),
                    ExprFn::new(move |st, loc| {
                        let v = f.eval(st, loc)?;
                        Ok(match elem_index(store, fx.eval(st, loc)?) {
                            Some(i) => get_digit(v, strides[i as usize], m + 1),
                            None => 0,
                        })
                    }),
                )
            }
            "head" | "last" | "tail" | "take" | "drop" | "append" => {
                self.seq_builtin(n, args, span)
            }
            _ => {
                if self.variants.contains_key(&n.name) {
                    return match self.find_variant(n, expected) {
                        Some((e, idx)) => self.construct(e, idx, args, span),
                        None => err_pair(),
                    };
                }
                self.error(
                    n.span,
                    format!("unknown function `{}`", n.name),
                    Some("builtins: len, card, min, max, abs, count, head, last, tail, take, append; or a def or an enum variant".into()),
                );
                err_pair()
            }
        }
    }

    fn seq_builtin(&mut self, n: &Ident, args: &[Expr], span: Span) -> (Ty, ExprFn) {
        let want = if matches!(n.name.as_str(), "take" | "drop" | "append") {
            2
        } else {
            1
        };
        if args.len() != want {
            self.error(
                span,
                format!(
                    "`{}` takes {want} argument(s), found {}",
                    n.name,
                    args.len()
                ),
                None,
            );
            return err_pair();
        }
        let (ty, f) = self.expr(&args[0], None);
        let Ty::Seq(t, l) = &ty else {
            if !ty.is_error() {
                self.error(
                    args[0].span,
                    format!("`{}` needs a sequence, found {ty}", n.name),
                    None,
                );
            }
            return err_pair();
        };
        let shape = SeqShape::of(t, *l);
        let load = load_of(t);
        let name = n.name.clone();
        let empty = move || fail(span, format!("`{name}` of an empty sequence"));
        match n.name.as_str() {
            "head" => (
                (**t).clone(),
                ExprFn::new(move |st, loc| {
                    let s = f.eval(st, loc)?;
                    if shape.len(s) == 0 {
                        return Err(empty());
                    }
                    Ok(load.apply(shape.elem(s, 0)))
                }),
            ),
            "last" => (
                (**t).clone(),
                ExprFn::new(move |st, loc| {
                    let s = f.eval(st, loc)?;
                    let len = shape.len(s);
                    if len == 0 {
                        return Err(empty());
                    }
                    Ok(load.apply(shape.elem(s, len - 1)))
                }),
            ),
            "tail" => (
                ty.clone(),
                ExprFn::new(move |st, loc| {
                    let s = f.eval(st, loc)?;
                    if shape.len(s) == 0 {
                        return Err(empty());
                    }
                    Ok(shape.tail(s))
                }),
            ),
            "take" | "drop" => {
                let fk = self.int_expr(&args[1]);
                let take = n.name == "take";
                let name = n.name.clone();
                (
                    ty.clone(),
                    ExprFn::new(move |st, loc| {
                        let s = f.eval(st, loc)?;
                        let k = fk.eval(st, loc)? as i64;
                        let len = shape.len(s);
                        if k < 0 || k as u64 > len {
                            return Err(fail(
                                span,
                                format!("{name}({k}) of a sequence of length {len}"),
                            ));
                        }
                        Ok(if take {
                            shape.take(s, k as u64)
                        } else {
                            shape.drop(s, k as u64)
                        })
                    }),
                )
            }
            _ => {
                let t = (**t).clone();
                let fx = self.expr_to_index(&args[1], &t);
                let l = shape.l;
                (
                    ty.clone(),
                    ExprFn::new(move |st, loc| {
                        let s = f.eval(st, loc)?;
                        shape.push(s, fx.eval(st, loc)?).ok_or_else(|| {
                            fail(span, format!("append to a full sequence (bound {l})"))
                        })
                    }),
                )
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, span: Span) -> (Ty, ExprFn) {
        use BinOp::*;
        if let Some(f) = self.seq_emptiness(op, a, b) {
            return (Ty::Bool, f);
        }
        match op {
            And | Or if matches!(&a.kind, ExprKind::Binary(o, ..) if *o == op) => {
                let parts = left_chain(op, a, b, |o| o == op)
                    .into_iter()
                    .map(|(_, x)| self.bool_expr(x))
                    .collect();
                (Ty::Bool, junction(parts, op == Or))
            }
            Add | Sub | Mul if matches!(&a.kind, ExprKind::Binary(o, ..) if same_level(*o) == same_level(op)) =>
            {
                let chain = left_chain(op, a, b, |o| same_level(o) == same_level(op));
                let first = chain[0].1.span;
                let fs: Vec<(BinOp, ExprFn, Span)> = chain
                    .into_iter()
                    .map(|(o, x)| (o, self.int_expr(x), first.to(x.span)))
                    .collect();
                let f = ExprFn::new(move |st, loc| {
                    let mut acc = fs[0].1.eval(st, loc)? as i64;
                    for (o, f, span) in &fs[1..] {
                        let y = f.eval(st, loc)? as i64;
                        acc = match o {
                            Add => acc.checked_add(y),
                            Sub => acc.checked_sub(y),
                            _ => acc.checked_mul(y),
                        }
                        .ok_or_else(|| {
                            fail(
                                *span,
                                format!("integer overflow in {acc} {} {y}", op_text(*o)),
                            )
                        })?;
                    }
                    Ok(acc as u64)
                });
                (Ty::Int(None), f)
            }
            And | Or | Implies => {
                let fa = self.bool_expr(a);
                let fb = self.bool_expr(b);
                // A constant left operand decides or vanishes: `false and
                // x` is false, `true and x` is x (x is not evaluated in the
                // first case, evaluated alone in the second, as before). A
                // constant right operand that does not decide vanishes:
                // `x and true` is x.
                if let Some(v) = fa.value() {
                    let v = v != 0;
                    return match op {
                        And if !v => (Ty::Bool, ExprFn::konst(0)),
                        Or if v => (Ty::Bool, ExprFn::konst(1)),
                        Implies if !v => (Ty::Bool, ExprFn::konst(1)),
                        _ => (Ty::Bool, fb),
                    };
                }
                if let Some(v) = fb.value() {
                    let v = v != 0;
                    match op {
                        And if v => return (Ty::Bool, fa),
                        Or if !v => return (Ty::Bool, fa),
                        _ => {}
                    }
                }
                if op != Implies && (fa.test().is_some() || fb.test().is_some()) {
                    // Field tests merge or run inline (see `FieldTest`).
                    return (Ty::Bool, junction(vec![fa, fb], op == Or));
                }
                if let (Implies, Some(t)) = (op, fa.test()) {
                    // `t implies x` is `not t or x`; `t` never fails, so
                    // `t implies true` is true and `t implies false` is
                    // `not t` (an unrolled `forall ... implies v1 == v2`
                    // has both).
                    let not_t = ExprFn::field_test(t.not());
                    return (Ty::Bool, junction(vec![not_t, fb], true));
                }
                let f: ExprFn = match op {
                    And => ExprFn::new(move |st, loc| {
                        Ok((fa.eval(st, loc)? != 0 && fb.eval(st, loc)? != 0) as u64)
                    }),
                    Or => ExprFn::new(move |st, loc| {
                        Ok((fa.eval(st, loc)? != 0 || fb.eval(st, loc)? != 0) as u64)
                    }),
                    _ => ExprFn::new(move |st, loc| {
                        Ok((fa.eval(st, loc)? == 0 || fb.eval(st, loc)? != 0) as u64)
                    }),
                };
                (Ty::Bool, f)
            }
            Eq | Ne => {
                let (_, fa, fb) = self.pair(a, b);
                let (ca, cb) = (fa.value().is_some(), fb.value().is_some());
                if ca != cb {
                    // Compare against a constant: one closure call fewer, and
                    // none at all beyond this one when the other side is a
                    // field at a fixed position (compared as indices).
                    let field = self.fixed_field(if ca { b } else { a });
                    let (fk, fx) = if ca { (fa, fb) } else { (fb, fa) };
                    if let Some((bf, ty)) = field {
                        if let Ok(k) = self.eval_const(&fk) {
                            let eq = op == Eq;
                            return match elem_index(store_of(&ty), k) {
                                Some(ki) if ki <= bf.mask => (
                                    Ty::Bool,
                                    ExprFn::field_test(FieldTest {
                                        word: bf.word,
                                        mask: bf.mask << bf.shift,
                                        value: ki << bf.shift,
                                        eq,
                                    }),
                                ),
                                // No value of the field's type: never equal.
                                _ => (Ty::Bool, ExprFn::konst((!eq) as u64)),
                            };
                        }
                    }
                    if let Ok(k) = self.eval_const(&fk) {
                        let eq = op == Eq;
                        return (
                            Ty::Bool,
                            ExprFn::new(move |st, loc| Ok(((fx.eval(st, loc)? == k) == eq) as u64)),
                        );
                    }
                    let f: ExprFn = if op == Eq {
                        ExprFn::new(move |st, loc| {
                            Ok((fk.eval(st, loc)? == fx.eval(st, loc)?) as u64)
                        })
                    } else {
                        ExprFn::new(move |st, loc| {
                            Ok((fk.eval(st, loc)? != fx.eval(st, loc)?) as u64)
                        })
                    };
                    return (Ty::Bool, f);
                }
                let f: ExprFn = if op == Eq {
                    ExprFn::new(move |st, loc| Ok((fa.eval(st, loc)? == fb.eval(st, loc)?) as u64))
                } else {
                    ExprFn::new(move |st, loc| Ok((fa.eval(st, loc)? != fb.eval(st, loc)?) as u64))
                };
                (Ty::Bool, f)
            }
            Lt | Le | Gt | Ge => {
                let fa = self.int_expr(a);
                let fb = self.int_expr(b);
                let f: ExprFn = ExprFn::new(move |st, loc| {
                    let (x, y) = (fa.eval(st, loc)? as i64, fb.eval(st, loc)? as i64);
                    Ok(match op {
                        Lt => x < y,
                        Le => x <= y,
                        Gt => x > y,
                        _ => x >= y,
                    } as u64)
                });
                (Ty::Bool, f)
            }
            Add | Sub | Mul | Div | Mod | FloorDiv | FloorMod => {
                if op == Mod {
                    self.warn_negative_remainder(a);
                }
                let fa = self.int_expr(a);
                let fb = self.int_expr(b);
                let f: ExprFn = ExprFn::new(move |st, loc| {
                    let (x, y) = (fa.eval(st, loc)? as i64, fb.eval(st, loc)? as i64);
                    let r = match op {
                        Add => x.checked_add(y),
                        Sub => x.checked_sub(y),
                        Mul => x.checked_mul(y),
                        Div | Mod if y == 0 => return Err(fail(span, "division by zero".into())),
                        Div => x.checked_div(y),
                        Mod => x.checked_rem(y),
                        FloorDiv | FloorMod if y <= 0 => {
                            return Err(fail(
                                span,
                                format!(
                                    "{x} {} {y}: the divisor of `{0}` must be positive",
                                    op_text(op)
                                ),
                            ))
                        }
                        // With y > 0, Euclidean division is floor division.
                        FloorDiv => x.checked_div_euclid(y),
                        _ => x.checked_rem_euclid(y),
                    };
                    r.map(|v| v as u64).ok_or_else(|| {
                        fail(span, format!("integer overflow in {x} {} {y}", op_text(op)))
                    })
                });
                (Ty::Int(None), f)
            }
            In | NotIn => {
                let f = self.membership(a, b);
                if op == NotIn {
                    (
                        Ty::Bool,
                        ExprFn::new(move |st, loc| Ok((f.eval(st, loc)? == 0) as u64)),
                    )
                } else {
                    (Ty::Bool, f)
                }
            }
            Union | Intersect | Minus if matches!(&a.kind, ExprKind::Binary(o, ..) if set_level(*o) == set_level(op)) =>
            {
                let chain = left_chain(op, a, b, |o| set_level(o) == set_level(op));
                // The type comes from the first operand that does not need
                // it from the context (`{} union s`).
                let anchor = chain
                    .iter()
                    .position(|(_, x)| !self.needs_context(x))
                    .unwrap_or(0);
                let (ty, f) = self.expr(chain[anchor].1, None);
                if !self.expect_set(&ty, op, span) {
                    return err_pair();
                }
                let mut anchored = Some(f);
                let mut fs = Vec::with_capacity(chain.len());
                for (i, (o, x)) in chain.into_iter().enumerate() {
                    let f = match anchored.take_if(|_| i == anchor) {
                        Some(f) => f,
                        None => {
                            let (t, f) = self.expr(x, Some(&ty));
                            self.expect_compatible(x.span, &t, &ty);
                            f
                        }
                    };
                    fs.push((o, f));
                }
                let f = ExprFn::new(move |st, loc| {
                    let mut acc = fs[0].1.eval(st, loc)?;
                    for (o, f) in &fs[1..] {
                        let v = f.eval(st, loc)?;
                        acc = match o {
                            Union => acc | v,
                            Intersect => acc & v,
                            _ => acc & !v,
                        };
                    }
                    Ok(acc)
                });
                (ty, f)
            }
            Union | Intersect | Minus | Subseteq => {
                let (ty, fa, fb) = self.pair(a, b);
                if !self.expect_set(&ty, op, span) {
                    return err_pair();
                }
                let f: ExprFn = match op {
                    Union => ExprFn::new(move |st, loc| Ok(fa.eval(st, loc)? | fb.eval(st, loc)?)),
                    Intersect => {
                        ExprFn::new(move |st, loc| Ok(fa.eval(st, loc)? & fb.eval(st, loc)?))
                    }
                    Minus => ExprFn::new(move |st, loc| Ok(fa.eval(st, loc)? & !fb.eval(st, loc)?)),
                    _ => {
                        return (
                            Ty::Bool,
                            ExprFn::new(move |st, loc| {
                                Ok((fa.eval(st, loc)? & !fb.eval(st, loc)? == 0) as u64)
                            }),
                        )
                    }
                };
                (ty, f)
            }
            Concat => {
                let (ty, fa, fb) = self.pair(a, b);
                let Ty::Seq(t, l) = &ty else {
                    if !ty.is_error() {
                        self.error(span, format!("`++` needs sequences, found {ty}"), None);
                    }
                    return err_pair();
                };
                let shape = SeqShape::of(t, *l);
                (
                    ty.clone(),
                    ExprFn::new(move |st, loc| {
                        let (mut s, u) = (fa.eval(st, loc)?, fb.eval(st, loc)?);
                        for i in 0..shape.len(u) {
                            s = shape.push(s, shape.elem(u, i)).ok_or_else(|| {
                                fail(span, "`++` exceeds the sequence bound".into())
                            })?;
                        }
                        Ok(s)
                    }),
                )
            }
        }
    }

    /// Whether `ty` is a set (or an error already reported); reports
    /// that set operator `op` needs sets otherwise.
    fn expect_set(&mut self, ty: &Ty, op: BinOp, span: Span) -> bool {
        if matches!(ty, Ty::Set(_) | Ty::Error) {
            return true;
        }
        self.error(
            span,
            format!("`{}` needs sets, found {ty}", op_text(op)),
            None,
        );
        false
    }

    /// `x in c`: membership in a range, a set literal, a type, a set, a
    /// multiset or a sequence.
    fn membership(&mut self, x: &Expr, c: &Expr) -> ExprFn {
        match &c.kind {
            ExprKind::Range(lo, hi) => {
                let fx = self.int_expr(x);
                let (flo, fhi) = (self.int_expr(lo), self.int_expr(hi));
                return ExprFn::new(move |st, loc| {
                    let v = fx.eval(st, loc)? as i64;
                    Ok((v >= flo.eval(st, loc)? as i64 && v <= fhi.eval(st, loc)? as i64) as u64)
                });
            }
            ExprKind::SetLit(items) if !items.is_empty() => {
                let (xt, fx) = if self.needs_context(x) {
                    let t = self.expr(&items[0], None).0;
                    self.expr(x, Some(&t))
                } else {
                    self.expr(x, None)
                };
                let mut fs = Vec::new();
                for it in items {
                    let (t, f) = self.expr(it, Some(&xt));
                    self.expect_compatible(it.span, &t, &xt);
                    fs.push(f);
                }
                return ExprFn::new(move |st, loc| {
                    let v = fx.eval(st, loc)?;
                    for f in &fs {
                        if f.eval(st, loc)? == v {
                            return Ok(1);
                        }
                    }
                    Ok(0)
                });
            }
            _ => {}
        }
        let (ct, fc) = self.expr(c, None);
        let elem = match &ct {
            Ty::Set(t) | Ty::Multiset(t, _) | Ty::Seq(t, _) | Ty::Bag(t, _, _) => (**t).clone(),
            Ty::Error => return ExprFn::konst(0),
            other => {
                self.error(
                    c.span,
                    format!("`in` needs a collection on its right, found {other}"),
                    None,
                );
                return ExprFn::konst(0);
            }
        };
        let x_const = self.is_const(x);
        let (xt, fx) = self.expr(x, Some(&elem));
        self.expect_compatible(x.span, &xt, &elem);
        let store = store_of(&elem);
        if let (Ty::Set(_), true) = (&ct, x_const) {
            if let Ok(xv) = self.eval_const(&fx) {
                let Some(i) = elem_index(store, xv) else {
                    return ExprFn::konst(0);
                };
                // A set at a fixed position: one bit of one word.
                if let Some((bf, _)) = self.fixed_field(c) {
                    if i < 64 && (1u64 << i) <= bf.mask {
                        let bit = 1u64 << (bf.shift + i as u32);
                        return ExprFn::field_test(FieldTest {
                            word: bf.word,
                            mask: bit,
                            value: bit,
                            eq: true,
                        });
                    }
                }
                return ExprFn::new(move |st, loc| Ok((fc.eval(st, loc)? >> i) & 1));
            }
        }
        match ct {
            Ty::Set(_) => ExprFn::new(move |st, loc| {
                let s = fc.eval(st, loc)?;
                Ok(match elem_index(store, fx.eval(st, loc)?) {
                    Some(i) => (s >> i) & 1,
                    None => 0,
                })
            }),
            Ty::Multiset(t, m) => {
                let strides = powers(m + 1, t.card_u64().unwrap_or(0));
                ExprFn::new(move |st, loc| {
                    let s = fc.eval(st, loc)?;
                    Ok(match elem_index(store, fx.eval(st, loc)?) {
                        Some(i) => (get_digit(s, strides[i as usize], m + 1) > 0) as u64,
                        None => 0,
                    })
                })
            }
            Ty::Seq(t, l) => {
                let shape = SeqShape::of(&t, l);
                ExprFn::new(move |st, loc| {
                    let s = fc.eval(st, loc)?;
                    let Some(i) = elem_index(store, fx.eval(st, loc)?) else {
                        return Ok(0);
                    };
                    Ok((0..shape.len(s)).any(|k| shape.elem(s, k) == i) as u64)
                })
            }
            Ty::Bag(..) => {
                let Some(shape) = ct.bag_shape() else {
                    return ExprFn::konst(0);
                };
                ExprFn::new(move |st, loc| {
                    let v = fc.eval(st, loc)?;
                    Ok(match elem_index(store, fx.eval(st, loc)?) {
                        Some(i) => (shape.count(v, i) > 0) as u64,
                        None => 0,
                    })
                })
            }
            // Every other type was rejected above with a diagnostic.
            _ => ExprFn::konst(0),
        }
    }
}

/// A help line saying what values a type has.
/// `p0 and p1 and ...` (`decisive` false) or `p0 or p1 or ...`
/// (`decisive` true) as one loop: the parts are evaluated in order until
/// one has the decisive value. Parts whose value is known fold: one that
/// does not decide is dropped, one that decides ends the list (the parts
/// before it are still evaluated, for their errors).
fn junction(parts: Vec<ExprFn>, decisive: bool) -> ExprFn {
    let mut kept = Vec::with_capacity(parts.len());
    let mut decided = false;
    for p in parts {
        match p.value() {
            Some(v) if (v != 0) == decisive => {
                decided = true;
                break;
            }
            Some(_) => {}
            None => kept.push(p),
        }
    }
    // The value when no kept part decides.
    let otherwise = (decided == decisive) as u64;
    if kept.is_empty() {
        return ExprFn::konst(otherwise);
    }
    if kept.len() == 1 && !decided {
        return kept.pop().expect("one part");
    }
    if decided && kept.iter().all(|p| p.test().is_some()) {
        // What runs before the deciding constant never fails.
        return ExprFn::konst(otherwise);
    }
    let j = ExprFn::junction(kept, decisive, otherwise);
    match (j.junction_parts().and_then(ExprFn::junction_test), decided) {
        // Merged into one test, which an outer junction may merge again.
        (Some(t), false) => ExprFn::field_test(t),
        _ => j,
    }
}

/// The operands of the left-leaning chain `((x0 op1 x1) op2 x2) ...` that
/// ends in `a op b`, as `[(op1, x0), (op1, x1), (op2, x2), ...]` (each
/// operand with the operator before it; the first with the first
/// operator), for the operators that `same` accepts. Collected by a loop:
/// a chain of a million operands is compiled into one loop, not a million
/// nested closures.
fn left_chain<'e>(
    op: BinOp,
    a: &'e Expr,
    b: &'e Expr,
    same: impl Fn(BinOp) -> bool,
) -> Vec<(BinOp, &'e Expr)> {
    let mut rev = vec![(op, b)];
    let mut cur = a;
    while let ExprKind::Binary(o, l, r) = &cur.kind {
        if !same(*o) {
            break;
        }
        rev.push((*o, r));
        cur = l;
    }
    let first = rev.last().map_or(op, |x| x.0);
    rev.push((first, cur));
    rev.reverse();
    rev
}

/// `union` and `minus` chain together, `intersect` on its own.
fn set_level(op: BinOp) -> u8 {
    match op {
        BinOp::Union | BinOp::Minus => 1,
        BinOp::Intersect => 2,
        _ => 0,
    }
}

/// `+` and `-` chain together (one precedence level, left to right);
/// `*` chains on its own.
fn same_level(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul => 2,
        _ => 0,
    }
}

/// Why a symmetric type's values may not be used this way.
pub(crate) fn symmetric_why(name: &str) -> String {
    format!(
        "`{name}` is symmetric (`symmetry`): its values are interchangeable, so they may be compared \
         for equality, used as keys, set members and message fields, and quantified over, but not \
         ordered, computed with, written as literals or singled out by a constant (each would tell \
         one value from the others); drop `{name}` from `symmetry` or run with --symmetry off"
    )
}

fn type_hint(ty: &Ty) -> String {
    match ty {
        Ty::Enum(e) if e.scalarset.is_some() => symmetric_why(&e.name),
        Ty::Enum(e) => {
            let names: Vec<String> = e
                .variants
                .iter()
                .map(|v| {
                    if v.payload.is_empty() {
                        v.name.clone()
                    } else {
                        format!("{}(..)", v.name)
                    }
                })
                .collect();
            format!("values of {} are: {}", e.name, names.join(", "))
        }
        Ty::Int(Some((lo, hi))) => format!("an integer from {lo} to {hi} is expected here"),
        Ty::Bool => "true or false is expected here".to_string(),
        other => format!("a value of type {other} is expected here"),
    }
}

fn op_text(op: BinOp) -> &'static str {
    use BinOp::*;
    match op {
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Mod => "%",
        FloorDiv => "div",
        FloorMod => "mod",
        Union => "union",
        Intersect => "intersect",
        Minus => "minus",
        Subseteq => "subseteq",
        _ => "?",
    }
}
