//! The compiler's state and name resolution: constants, declared types,
//! state variables, defs and local scopes, plus the diagnostics it collects.
//! Expression and statement compilation live in [`crate::expr`] and
//! [`crate::stmt`]; both type-check and generate closures in one pass.

use std::collections::HashMap;
use std::sync::Arc;

use dcheck_syntax::ast::{self, ConstValue, Expr, TypeExpr, TypeKind};
use dcheck_syntax::diag::Diagnostic;
use dcheck_syntax::span::Span;

use crate::encoding::{bits_for, Slot};
use crate::runtime::ExprFn;
use crate::types::{EnumTy, Ty, Variant};

/// A state variable and where it lives.
#[derive(Clone, Debug)]
pub struct VarInfo {
    pub name: String,
    pub ty: Ty,
    /// The whole variable (zero bits for a wide map).
    pub slot: Slot,
    /// For a *wide map* (a `[K -> V]` with more than 2^64 values in all):
    /// one slot per key index, so it is used element-wise (`m[k]`).
    pub keys: Option<std::sync::Arc<Vec<Slot>>>,
}

/// Most bits one state may take (1 Mi bits, 128 KiB): far beyond any spec
/// a search can explore, and a bound that keeps offsets in `u32` and every
/// per-key table small.
pub const MAX_STATE_BITS: u128 = 1 << 20;

/// A map whose keys and values are each narrow but whose whole value has
/// more than 2^64 values: stored one slot per key.
pub fn is_wide_map(ty: &Ty) -> bool {
    matches!(ty, Ty::Map(kv) if ty.card().is_none() && kv.0.card_u64().is_some() && kv.1.card().is_some())
}

pub(crate) struct Local {
    pub name: String,
    pub slot: usize,
    pub ty: Ty,
    /// Set when the binding is known at compile time (a parameter of a
    /// specialised transition, an unrolled quantifier variable): uses fold
    /// to a constant.
    pub konst: Option<u64>,
}

enum TypeState<'a> {
    Unresolved(&'a TypeExpr),
    Resolving,
    Resolved(Ty),
}

pub(crate) struct Compiler<'a> {
    pub consts: HashMap<String, (Ty, u64)>,
    types: HashMap<String, TypeState<'a>>,
    /// Bare variant name → the enums that declare it.
    pub variants: HashMap<String, Vec<Arc<EnumTy>>>,
    pub vars: Vec<VarInfo>,
    pub var_index: HashMap<String, usize>,
    pub defs: HashMap<String, &'a ast::DefDecl>,
    pub def_stack: Vec<String>,
    /// Recursive defs, compiled once each for calls from inside their own
    /// expansion (see `expr::recursive_call`).
    pub rec_defs: HashMap<String, crate::expr::RecDef>,
    pub scopes: Vec<Local>,
    pub next_slot: usize,
    pub max_slots: usize,
    /// How many more copies of a quantifier body the quantifier being
    /// compiled may still unroll into (shared by a whole nest, so nested
    /// unrolling never multiplies past `expr::UNROLL_MAX`).
    pub unroll_left: u64,
    /// Quantifier bodies compiled by unrolling, over the whole spec.
    pub unrolled_bodies: u64,
    pub diags: Vec<Diagnostic>,
    /// Warnings: shown, but the spec compiles.
    pub warnings: Vec<Diagnostic>,
    /// False while compiling constant expressions (type bounds).
    pub allow_state: bool,
    /// Words of a state, once the variables are laid out: compile-time
    /// evaluation runs over a zeroed state of this size.
    pub state_words: usize,
    /// Whether the expression being compiled reads the state, and the
    /// lowest local slot it reads at run time: an expression that reads
    /// neither the state nor a local bound outside it is closed, and
    /// `expr` folds it to its value (see [`Compiler::note_state_read`]).
    pub reads_state: bool,
    pub lowest_local_read: usize,
    /// The variables (indices into `vars`) read by the code compiled since
    /// it was last cleared: what an invariant depends on.
    pub vars_read: std::collections::BTreeSet<usize>,
    /// The names listed in `symmetry` (set before the types are declared).
    pub symmetric: Vec<String>,
    /// The choice points of the action being compiled (`crate::choice`).
    pub choices: Vec<crate::choice::ChoicePoint>,
    /// The statements that can refuse a step from inside an effect (a
    /// `require`, a `with` value outside its set), by the id they write to
    /// local `DISABLED_BY` when they do.
    pub refusals: Vec<Refusal>,
}

/// A statement that can refuse a step, for reports.
#[derive(Clone, Copy, Debug)]
pub enum Refusal {
    /// `require c`: the condition's span.
    Require(dcheck_syntax::span::Span),
    /// `with x in S`: the set's span (the value is not in it).
    With(dcheck_syntax::span::Span),
}

/// The local a statement that refuses a step writes its id to (an index
/// into `Compiler::refusals`): why a step an effect refused was refused,
/// for reports. Written only on that path.
pub const DISABLED_BY: usize = 0;

/// Largest number of enumerated bindings (transitions, initial states).
pub const MAX_BINDINGS: u128 = 1 << 24;

impl<'a> Compiler<'a> {
    pub fn new() -> Compiler<'a> {
        Compiler {
            consts: HashMap::new(),
            types: HashMap::new(),
            variants: HashMap::new(),
            vars: Vec::new(),
            var_index: HashMap::new(),
            defs: HashMap::new(),
            def_stack: Vec::new(),
            rec_defs: HashMap::new(),
            scopes: Vec::new(),
            // Slot 0 is `DISABLED_BY` (see there).
            next_slot: 1,
            max_slots: 1,
            unroll_left: crate::expr::UNROLL_MAX,
            unrolled_bodies: 0,
            diags: Vec::new(),
            warnings: Vec::new(),
            allow_state: true,
            state_words: 0,
            reads_state: false,
            lowest_local_read: usize::MAX,
            vars_read: std::collections::BTreeSet::new(),
            symmetric: Vec::new(),
            choices: Vec::new(),
            refusals: Vec::new(),
        }
    }

    /// Called by every piece of compiled code that reads variable `var`
    /// of the state itself (not through a sub-expression): the expression
    /// is not closed, and it depends on `var`. Every state read goes
    /// through here; skipping unchanged invariants relies on it
    /// (`Model::check_invariants_from`).
    pub fn note_state_read(&mut self, var: usize) {
        self.reads_state = true;
        self.vars_read.insert(var);
    }

    /// The bits of the state that the variables in `vars_read` take, as
    /// `(word, mask)` pairs in word order.
    pub fn read_masks(&self) -> Vec<(usize, u64)> {
        let mut masks = std::collections::BTreeMap::new();
        for &v in &self.vars_read {
            let var = &self.vars[v];
            let slots = var.keys.as_deref().map_or(&[][..], |k| &k[..]);
            for slot in std::iter::once(&var.slot).chain(slots) {
                for (w, m) in slot.word_masks() {
                    *masks.entry(w).or_insert(0u64) |= m;
                }
            }
        }
        masks.into_iter().collect()
    }

    /// Called by compiled code that reads local `slot` at run time.
    pub fn note_local_read(&mut self, slot: usize) {
        self.lowest_local_read = self.lowest_local_read.min(slot);
    }

    /// Records a warning once (a part compiled several times, once per
    /// binding, warns once).
    pub fn warn(&mut self, d: Diagnostic) {
        let d = d.warning();
        let seen = self
            .warnings
            .iter()
            .any(|w| w.span == d.span && w.message == d.message);
        if !seen {
            self.warnings.push(d);
        }
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        let mut d = Diagnostic::new(span, message);
        d.help = help;
        self.diags.push(d);
    }

    // ------------------------------------------------------------ constants

    pub fn declare_consts(
        &mut self,
        decls: &[ast::ConstDecl],
        overrides: &[(String, String)],
        usage: &mut Vec<String>,
    ) {
        for c in decls {
            let v = match c.default {
                ConstValue::Int(i) => (Ty::Int(None), i as u64),
                ConstValue::Bool(b) => (Ty::Bool, b as u64),
            };
            self.consts.insert(c.name.name.clone(), v);
        }
        for (name, text) in overrides {
            let Some((ty, _)) = self.consts.get(name).cloned() else {
                let known: Vec<&str> = decls.iter().map(|c| c.name.name.as_str()).collect();
                usage.push(format!(
                    "--const {name}: the spec has no constant {name} (constants: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
                continue;
            };
            let parsed = match ty {
                Ty::Bool => text.parse::<bool>().ok().map(|b| b as u64),
                _ => text.trim().parse::<i64>().ok().map(|i| i as u64),
            };
            match parsed {
                Some(v) => {
                    self.consts.insert(name.clone(), (ty, v));
                }
                None => {
                    let t = text.trim();
                    let digits = t.strip_prefix('-').unwrap_or(t);
                    let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                    usage.push(if ty == Ty::Bool {
                        format!("--const {name}={text}: expected true or false")
                    } else if integer {
                        format!(
                            "--const {name}={text}: out of range: constants are 64-bit integers, from {} to {}",
                            i64::MIN,
                            i64::MAX
                        )
                    } else {
                        format!("--const {name}={text}: expected an integer")
                    })
                }
            }
        }
    }

    // ------------------------------------------------------------ types

    pub fn declare_types(&mut self, decls: &'a [ast::TypeDecl]) {
        // `bool` is a type name too where one may stand in an expression
        // (`b in bool`); it is a keyword, so no declaration can shadow it.
        self.types
            .insert("bool".into(), TypeState::Resolved(Ty::Bool));
        for d in decls {
            self.types
                .insert(d.name.name.clone(), TypeState::Unresolved(&d.def));
        }
        for d in decls {
            self.named_type(&d.name);
        }
    }

    fn named_type(&mut self, name: &ast::Ident) -> Ty {
        match self.types.get(&name.name) {
            None => {
                self.error(
                    name.span,
                    format!("unknown type `{}`", name.name),
                    Some("declare it under `types`, or use bool, lo..hi, enum {..}, set<T>, seq<T, L>, multiset<T, M>, [K -> V]".into()),
                );
                Ty::Error
            }
            Some(TypeState::Resolved(t)) => t.clone(),
            Some(TypeState::Resolving) => {
                self.error(
                    name.span,
                    format!("type `{}` is defined in terms of itself", name.name),
                    Some("types must be finite: recursive types are not allowed".into()),
                );
                Ty::Error
            }
            Some(TypeState::Unresolved(def)) => {
                let def: &'a TypeExpr = def;
                self.types.insert(name.name.clone(), TypeState::Resolving);
                let mut ty = self.resolve_type(def);
                if self.symmetric.contains(&name.name) {
                    ty = self.scalarset(name, ty);
                }
                if let Ty::Enum(e) = &ty {
                    // Name anonymous enums after their declaration.
                    let mut e2 = (**e).clone();
                    e2.name = name.name.clone();
                    let e2 = Arc::new(e2);
                    for v in &e2.variants {
                        let list = self.variants.entry(v.name.clone()).or_default();
                        list.retain(|x| !Arc::ptr_eq(x, e));
                        list.push(e2.clone());
                    }
                    ty = Ty::Enum(e2);
                }
                self.types
                    .insert(name.name.clone(), TypeState::Resolved(ty.clone()));
                ty
            }
        }
    }

    /// The symmetric type `name` declared as `ty` (see
    /// [`EnumTy::scalarset`]): a range becomes an enum of as many values
    /// that only equality tells apart.
    fn scalarset(&mut self, name: &ast::Ident, ty: Ty) -> Ty {
        match ty {
            Ty::Int(Some((lo, hi))) if hi >= lo && hi - lo < 64 => Ty::Enum(Arc::new(EnumTy {
                name: name.name.clone(),
                variants: (lo..=hi)
                    .map(|i| Variant {
                        name: i.to_string(),
                        payload: Vec::new(),
                    })
                    .collect(),
                scalarset: Some(lo),
            })),
            Ty::Error => Ty::Error,
            other => {
                self.error(
                    name.span,
                    format!("`{}` is listed in `symmetry` but is {other}, not a range of at most 64 values", name.name),
                    Some("a symmetric type is a range `lo..hi` (or a role) whose values are interchangeable, like `RM: 1..N`".into()),
                );
                other
            }
        }
    }

    pub fn is_type_name(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    pub fn type_by_name(&mut self, name: &ast::Ident) -> Ty {
        self.named_type(name)
    }

    /// Evaluate a constant integer expression (type bounds, capacities).
    pub fn const_int(&mut self, e: &Expr) -> Option<i64> {
        let saved = self.allow_state;
        self.allow_state = false;
        let (ty, f) = self.expr(e, None);
        self.allow_state = saved;
        if ty.is_error() {
            return None;
        }
        if !ty.is_int() {
            self.error(
                e.span,
                format!("expected a constant integer, found {ty}"),
                None,
            );
            return None;
        }
        match self.eval_const(&f) {
            Ok(v) => Some(v as i64),
            Err(err) => {
                self.error(
                    e.span,
                    format!("cannot evaluate this constant: {}", err.message),
                    None,
                );
                None
            }
        }
    }

    pub fn resolve_type(&mut self, t: &TypeExpr) -> Ty {
        let ty = match &t.kind {
            TypeKind::Bool => Ty::Bool,
            // `hi < lo` is the empty range (TLA+'s `1..0`): a parameter or
            // binder over it has no values, a map keyed by it is empty; a
            // state variable needs a type with values (`declare_vars`).
            TypeKind::Range(lo, hi) => match (self.const_int(lo), self.const_int(hi)) {
                (Some(lo), Some(hi)) => Ty::Int(Some((lo, hi))),
                _ => Ty::Error,
            },
            TypeKind::Named(n) => self.named_type(n),
            TypeKind::Enum(vs) => {
                let mut variants = Vec::new();
                for v in vs {
                    if variants.iter().any(|x: &Variant| x.name == v.name.name) {
                        self.error(
                            v.name.span,
                            format!("variant `{}` declared twice", v.name.name),
                            None,
                        );
                    }
                    let payload = v.payload.iter().map(|p| self.resolve_type(p)).collect();
                    variants.push(Variant {
                        name: v.name.name.clone(),
                        payload,
                    });
                }
                let e = Arc::new(EnumTy {
                    name: "enum".into(),
                    variants,
                    scalarset: None,
                });
                for v in &e.variants {
                    self.variants
                        .entry(v.name.clone())
                        .or_default()
                        .push(e.clone());
                }
                Ty::Enum(e)
            }
            TypeKind::Record(fields) => {
                let mut out: Vec<(String, Ty)> = Vec::new();
                for (n, ft) in fields {
                    if out.iter().any(|x| x.0 == n.name) {
                        self.error(n.span, format!("field `{}` declared twice", n.name), None);
                    }
                    let ty = self.resolve_type(ft);
                    out.push((n.name.clone(), ty));
                }
                Ty::Record(Arc::new(out))
            }
            TypeKind::Tuple(items) => Ty::Tuple(Arc::new(
                items.iter().map(|i| self.resolve_type(i)).collect(),
            )),
            TypeKind::Map(k, v) => {
                let k = self.resolve_type(k);
                let v = self.resolve_type(v);
                Ty::Map(Arc::new((k, v)))
            }
            TypeKind::Set(e) => Ty::Set(Arc::new(self.resolve_type(e))),
            TypeKind::Multiset(e, m) => {
                let e = self.resolve_type(e);
                match self.const_int(m) {
                    Some(m) if m >= 1 => Ty::Multiset(Arc::new(e), m as u64),
                    Some(_) => {
                        self.error(m.span, "a multiset bound must be at least 1", None);
                        Ty::Error
                    }
                    None => Ty::Error,
                }
            }
            TypeKind::Bag(e, c) | TypeKind::BoundedSet(e, c) => {
                let distinct = matches!(t.kind, TypeKind::BoundedSet(..));
                let e = self.resolve_type(e);
                match self.const_int(c) {
                    Some(c) if (0..=crate::bag::MAX_CAP as i64).contains(&c) => {
                        let entries = e.card_u64().map(|n| crate::bag::table_entries(n, c as u64));
                        if entries.is_some_and(|x| x > crate::bag::MAX_TABLE_ENTRIES) {
                            self.error(
                                t.span,
                                format!("type {} is too large to rank: {} element values", Ty::Bag(Arc::new(e.clone()), c as u64, distinct), e.card_u64().unwrap_or(0)),
                                Some(format!("a bounded collection's ranking table has (values + bound + 1) x (bound + 1) entries, at most {}: use a smaller element type", crate::bag::MAX_TABLE_ENTRIES)),
                            );
                            Ty::Error
                        } else {
                            Ty::Bag(Arc::new(e), c as u64, distinct)
                        }
                    }
                    Some(_) => {
                        self.error(c.span, format!("a bound from 0 to {} is needed here", crate::bag::MAX_CAP), Some("bounded collections unpack their members on the stack; use a smaller bound".into()));
                        Ty::Error
                    }
                    None => Ty::Error,
                }
            }
            TypeKind::Seq(e, l) => {
                let e = self.resolve_type(e);
                match self.const_int(l) {
                    Some(l) if l >= 0 => Ty::Seq(Arc::new(e), l as u64),
                    Some(_) => {
                        self.error(l.span, "a sequence bound must not be negative", None);
                        Ty::Error
                    }
                    None => Ty::Error,
                }
            }
        };
        if !ty.is_error() && ty.card().is_none() && !contains_error(&ty) && !is_wide_map(&ty) {
            // The network of a roles spec: one collection of triples.
            let network = matches!(&ty, Ty::Bag(t, _, _) if matches!(&**t, Ty::Tuple(items)
                if matches!(items.first(), Some(Ty::Enum(e)) if e.name == "Proc")));
            let help = if network {
                "the messages in flight do not fit one 64-bit collection: add `per_channel: true` to the `network` section to store one collection per (sender, receiver) channel, with `capacity` bounding each"
            } else {
                "every value must fit in 64 bits in this version: use smaller ranges or bounds, or split the variable into several"
            };
            self.error(
                t.span,
                format!("type {ty} has more than 2^64 values"),
                Some(help.into()),
            );
            return Ty::Error;
        }
        if contains_error(&ty) {
            return Ty::Error;
        }
        ty
    }

    // ------------------------------------------------------------ variables

    /// Registers variable `name` with the error type and no bits, after an
    /// error about it was reported, so that its uses raise no follow-ups.
    fn error_var(&mut self, name: &str, offset: u32) {
        self.vars.push(VarInfo {
            name: name.to_string(),
            ty: Ty::Error,
            slot: Slot { offset, bits: 0 },
            keys: None,
        });
    }

    pub fn declare_vars(&mut self, decls: &[ast::VarDecl]) -> usize {
        let mut offset: u32 = 0;
        for d in decls {
            let ty = self.resolve_type(&d.ty);
            if ty.card() == Some(0) {
                self.error(
                    d.ty.span,
                    format!(
                        "variable `{}` has no possible value: its type {ty} is empty",
                        d.name.name
                    ),
                    Some(format!(
                        "a state variable needs a type with at least one value; {}",
                        empty_part(&ty).unwrap_or_else(|| "widen its ranges".into())
                    )),
                );
            }
            let bits = ty.card().map(bits_for).unwrap_or(0);
            if self.var_index.contains_key(&d.name.name) {
                self.error(
                    d.name.span,
                    format!("variable `{}` declared twice", d.name.name),
                    None,
                );
                continue;
            }
            self.var_index.insert(d.name.name.clone(), self.vars.len());
            if let (true, Ty::Map(kv)) = (is_wide_map(&ty), &ty) {
                let vbits = kv.1.card().map(bits_for).unwrap_or(0);
                let n = kv.0.card_u64().unwrap_or(0);
                // Checked before anything is allocated: one slot per key.
                let need = u128::from(n) * u128::from(vbits);
                if u128::from(offset) + need > MAX_STATE_BITS {
                    self.error(
                        d.ty.span,
                        format!(
                            "variable `{}` would take {n} keys x {vbits} bits = {need} bits of every state",
                            d.name.name
                        ),
                        Some(format!(
                            "a state holds at most {MAX_STATE_BITS} bits (all variables together): use a smaller key type or constant"
                        )),
                    );
                    self.error_var(&d.name.name, offset);
                    continue;
                }
                let slots: Vec<Slot> = (0..n)
                    .map(|k| Slot {
                        offset: offset + k as u32 * vbits,
                        bits: vbits,
                    })
                    .collect();
                self.vars.push(VarInfo {
                    name: d.name.name.clone(),
                    ty: ty.clone(),
                    slot: Slot { offset, bits: 0 },
                    keys: Some(std::sync::Arc::new(slots)),
                });
                offset += n as u32 * vbits;
                continue;
            }
            if u128::from(offset) + u128::from(bits) > MAX_STATE_BITS {
                self.error(
                    d.ty.span,
                    format!(
                        "variable `{}` does not fit: the state would exceed {MAX_STATE_BITS} bits",
                        d.name.name
                    ),
                    Some("use fewer or narrower variables".into()),
                );
                self.error_var(&d.name.name, offset);
                continue;
            }
            self.vars.push(VarInfo {
                name: d.name.name.clone(),
                ty,
                slot: Slot { offset, bits },
                keys: None,
            });
            offset += bits;
        }
        self.state_words = (offset as usize).div_ceil(64).max(1);
        self.state_words
    }

    /// Evaluate a compiled expression at compile time (for expressions
    /// [`Compiler::is_const`] accepts). It runs over a zeroed state of the
    /// real size, so even a mistaken call reads defaults instead of failing.
    pub fn eval_const(&self, f: &ExprFn) -> Result<u64, crate::runtime::Err> {
        if let Some(v) = f.value() {
            return Ok(v);
        }
        let state = vec![0u64; self.state_words.max(1)];
        let mut locals = vec![0u64; self.max_slots.max(1)];
        f.eval(&state, &mut locals)
    }

    // ------------------------------------------------------------ locals

    pub fn lookup_local(&self, name: &str) -> Option<&Local> {
        self.scopes.iter().rev().find(|l| l.name == name)
    }

    /// Bind a new local; returns its slot. Pair with [`Compiler::pop_local`].
    pub fn push_local(&mut self, name: &str, ty: Ty) -> usize {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.max_slots = self.max_slots.max(self.next_slot);
        self.scopes.push(Local {
            name: name.to_string(),
            slot,
            ty,
            konst: None,
        });
        slot
    }

    /// Bind a name to a value known at compile time. Pair with
    /// [`Compiler::pop_local`].
    pub fn push_const_local(&mut self, name: &str, ty: Ty, value: u64) {
        self.push_local(name, ty);
        if let Some(l) = self.scopes.last_mut() {
            l.konst = Some(value);
        }
    }

    pub fn pop_local(&mut self) {
        self.scopes.pop();
        self.next_slot -= 1;
    }

    /// Registers a statement that may refuse a step: its id for
    /// `DISABLED_BY`.
    pub fn refusal(&mut self, r: Refusal) -> u64 {
        self.refusals.push(r);
        (self.refusals.len() - 1) as u64
    }

    /// Bind parameters (of an action or init) to fresh slots.
    pub fn bind_params(&mut self, params: &[ast::Param]) -> Vec<(String, Ty, usize)> {
        params
            .iter()
            .map(|p| {
                let ty = self.resolve_type(&p.ty);
                if !ty.is_error() && ty.card_u64().is_none() {
                    self.error(p.ty.span, "a parameter needs a finite type", None);
                }
                let slot = self.push_local(&p.name.name, ty.clone());
                (p.name.name.clone(), ty, slot)
            })
            .collect()
    }
}

/// Why a type with no values is empty: its first empty range (or enum
/// without variants), named in a hint.
fn empty_part(t: &Ty) -> Option<String> {
    match t {
        Ty::Int(Some((lo, hi))) if hi < lo => Some(format!(
            "the range {lo}..{hi} is empty (its upper bound is below its lower bound)"
        )),
        Ty::Enum(e) if e.variants.is_empty() => {
            Some(format!("the enum {} has no variants", e.name))
        }
        Ty::Enum(e) => e
            .variants
            .iter()
            .flat_map(|v| &v.payload)
            .find_map(empty_part),
        Ty::Record(f) => f.iter().find_map(|x| empty_part(&x.1)),
        Ty::Tuple(i) => i.iter().find_map(empty_part),
        // Only a map with keys needs a value of V; a set, multiset,
        // sequence or bag of an empty type has one value, the empty one.
        Ty::Map(kv) => empty_part(&kv.1),
        _ => None,
    }
}

pub(crate) fn contains_error(t: &Ty) -> bool {
    match t {
        Ty::Error => true,
        Ty::Enum(e) => e
            .variants
            .iter()
            .any(|v| v.payload.iter().any(contains_error)),
        Ty::Record(f) => f.iter().any(|x| contains_error(&x.1)),
        Ty::Tuple(i) => i.iter().any(contains_error),
        Ty::Map(kv) => contains_error(&kv.0) || contains_error(&kv.1),
        Ty::Set(e) | Ty::Multiset(e, _) | Ty::Seq(e, _) | Ty::Bag(e, _, _) => contains_error(e),
        _ => false,
    }
}
