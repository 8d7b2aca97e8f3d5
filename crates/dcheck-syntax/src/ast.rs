//! Abstract syntax of a dcheck spec after the `.ron` file (and any base spec
//! it `extends`) has been read and every embedded code string parsed.
//!
//! Every node carries a [`Span`] into the original `.ron` text so that later
//! stages (type checking, compilation, evaluation errors) can point at it.

use crate::span::Span;

/// An identifier with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole spec, with `extends` already resolved (base items first, items of
/// the extending file replacing base items of the same name in place, new
/// items appended).
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: Ident,
    pub doc: String,
    pub constants: Vec<ConstDecl>,
    pub types: Vec<TypeDecl>,
    pub vars: Vec<VarDecl>,
    pub defs: Vec<DefDecl>,
    pub init: InitDecl,
    pub actions: Vec<ActionDecl>,
    pub invariants: Vec<InvariantDecl>,
    /// `terminal`: a state with no enabled action is an intended end state
    /// (not a deadlock) when this predicate holds. `None`: every such state
    /// is a deadlock.
    pub terminal: Option<Expr>,
    /// State constraints (`constraints`, TLC's CONSTRAINT): a state that
    /// violates one is counted as generated and checked against the
    /// invariants, but neither stored nor expanded.
    pub constraints: Vec<InvariantDecl>,
    /// `action_properties` (TLA+'s `[][A]_vars`): each must hold for every
    /// step that changes the state, reading the state before it as `x` and
    /// after it as `x'`.
    pub action_properties: Vec<InvariantDecl>,
    /// `view` (TLC's VIEW): states are told apart by the value of this
    /// expression instead of by all their variables.
    pub view: Option<Expr>,
    /// `symmetry`: the names of the types (or roles) whose values are
    /// interchangeable; states are told apart up to permutations of them.
    pub symmetry: Vec<Ident>,
    /// `assume_progress`: temporal properties are checked assuming the
    /// system keeps taking steps that change the state while one is enabled
    /// (`WF_vars(Next /\ ~SelfLoop)`, docs/semantics.md) instead of TLA+'s
    /// stuttering semantics, where a behaviour may stop anywhere fairness
    /// allows.
    pub assume_progress: bool,
    /// Temporal properties (`properties`), checked under fairness.
    pub properties: Vec<PropertyDecl>,
    /// Specs this one refines (`refines`).
    pub refines: Vec<RefinesDecl>,
    /// The spec-level fairness assumptions (`fairness`): the default of every
    /// property that does not give its own.
    pub fairness: Vec<FairnessDecl>,
    /// Processes, messages, network and faults (`docs/design/processes.md`);
    /// lowered to the items above by `dcheck-net` before compilation.
    pub distributed: Distributed,
}

/// The message-passing sections of a spec. All empty / `None` in a spec
/// without roles.
#[derive(Clone, Debug, Default)]
pub struct Distributed {
    pub roles: Vec<RoleDecl>,
    pub messages: Vec<MessageDecl>,
    pub network: Option<NetworkDecl>,
    pub faults: Option<FaultsDecl>,
    pub steps: Vec<StepDecl>,
    pub handlers: Vec<HandlerDecl>,
}

/// `(name: "RM", count: "N", vars: [...])`
#[derive(Clone, Debug)]
pub struct RoleDecl {
    pub name: Ident,
    /// Number of processes of the role (a constant expression).
    pub count: Expr,
    pub vars: Vec<RoleVarDecl>,
    pub doc: String,
}

/// A per-process variable: `(name: "rmState", type: "RMState", persistent: true)`.
#[derive(Clone, Debug)]
pub struct RoleVarDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    /// Survives a crash of its process (crash-recovery faults).
    pub persistent: bool,
    pub doc: String,
}

/// `(name: "Promise", fields: "b: Ballot, v: Value")`
#[derive(Clone, Debug)]
pub struct MessageDecl {
    pub name: Ident,
    pub fields: Vec<Param>,
    pub doc: String,
}

/// `network: (delivery: "unordered", duplicating: true, lossy: false, capacity: "8")`
#[derive(Clone, Debug)]
pub struct NetworkDecl {
    /// `"unordered"` or `"fifo"` (checked by the lowering).
    pub delivery: Ident,
    pub duplicating: bool,
    pub lossy: bool,
    /// Bound on in-flight messages (a constant expression).
    pub capacity: Expr,
    /// `per_channel: true`: the capacity bounds each (sender, receiver)
    /// channel and the messages are stored per channel (always so for FIFO).
    pub per_channel: bool,
    pub span: Span,
}

/// `faults: (crash: 1, recover: 0, byzantine: 0, roles: ["TM"])`
#[derive(Clone, Debug)]
pub struct FaultsDecl {
    /// At most this many processes down at once (a constant expression).
    pub crash: Expr,
    /// Recoveries allowed in all (a constant expression).
    pub recover: Expr,
    /// Byzantine processes per listed role (a constant expression).
    pub byzantine: Expr,
    /// The roles whose processes may fail (empty: every role).
    pub roles: Vec<Ident>,
    pub span: Span,
}

/// An internal step of every process of a role: `(role: "RM", name: "Prepare", ...)`.
#[derive(Clone, Debug)]
pub struct StepDecl {
    pub role: Ident,
    pub name: Ident,
    pub params: Vec<Param>,
    pub guard: Option<Expr>,
    pub effect: Block,
    pub doc: String,
}

/// A message handler: `(role: "TM", on: "Prepared", from: "RM(r)", ...)`.
#[derive(Clone, Debug)]
pub struct HandlerDecl {
    pub role: Ident,
    /// The message name.
    pub on: Ident,
    /// Names bound to the message's fields, in order (`on: "Promise(b, v)"`).
    pub bind: Vec<Ident>,
    /// The sender: `from: "p"` binds the sender process (a `Proc`);
    /// `from: "RM(r)"` accepts senders of role RM and binds their id.
    pub from: Option<FromPattern>,
    pub guard: Option<Expr>,
    pub effect: Block,
    pub doc: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FromPattern {
    pub role: Option<Ident>,
    pub name: Ident,
}

#[derive(Clone, Debug)]
pub enum ConstValue {
    Int(i64),
    Bool(bool),
}

#[derive(Clone, Debug)]
pub struct ConstDecl {
    pub name: Ident,
    pub default: ConstValue,
    /// Span of the default value in the `.ron` text.
    pub default_span: Span,
    pub doc: String,
}

#[derive(Clone, Debug)]
pub struct TypeDecl {
    pub name: Ident,
    pub def: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct VarDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub doc: String,
}

/// A named helper expression, expanded where it is used.
#[derive(Clone, Debug)]
pub struct DefDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Expr,
    pub doc: String,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

/// The initial states: every variable starts at its type's default value,
/// then `effect` runs once for every binding of `params` for which `guard`
/// holds.
#[derive(Clone, Debug)]
pub struct InitDecl {
    pub params: Vec<Param>,
    pub guard: Option<Expr>,
    pub effect: Block,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ActionDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub guard: Option<Expr>,
    pub effect: Block,
    pub doc: String,
}

/// `refines: [(name: "TC", spec: "tcommit.ron", with: "rmState <- rmState")]`:
/// this spec implements the refined one (TLA+'s `INSTANCE ... WITH` and
/// `PROPERTY TC!Spec`).
#[derive(Clone, Debug)]
pub struct RefinesDecl {
    pub name: Ident,
    /// The path as written (relative to the spec that names it) and the
    /// refined spec, loaded.
    pub path: String,
    pub path_span: Span,
    pub spec: Box<Spec>,
    /// `abstract name <- concrete expression`; a constant or variable of
    /// the refined spec not listed maps to the same name here.
    pub with: Vec<(Ident, Expr)>,
}

#[derive(Clone, Debug)]
pub struct InvariantDecl {
    pub name: Ident,
    pub expr: Expr,
    pub doc: String,
}

/// A temporal property:
/// `(name: "Live", expr: "forall p in Proc: always eventually served[p]",
///   fairness: ["weak Serve"])`.
#[derive(Clone, Debug)]
pub struct PropertyDecl {
    pub name: Ident,
    pub formula: Temporal,
    /// The property's own fairness assumptions, replacing the spec-level
    /// `fairness` list for this property (`Some(vec![])`: no fairness).
    /// `None`: the spec-level list applies.
    pub fairness: Option<Vec<FairnessDecl>>,
    pub doc: String,
}

/// A temporal formula over state predicates, as written. The model accepts
/// the forms listed in `docs/language.md` (`always P`, `eventually P`,
/// `always eventually P`, `eventually always P`, `P leads_to Q`,
/// `always (P implies eventually Q)`, each optionally under `forall`).
#[derive(Clone, Debug)]
pub struct Temporal {
    pub kind: TemporalKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TemporalKind {
    /// A state predicate (an expression of the core language).
    Pred(Expr),
    /// `always T`
    Always(Box<Temporal>),
    /// `eventually T`
    Eventually(Box<Temporal>),
    /// `T leads_to U`
    LeadsTo(Box<Temporal>, Box<Temporal>),
    /// `T implies U` where a side is temporal (`P implies Q` over two state
    /// predicates is one `Pred`).
    Implies(Box<Temporal>, Box<Temporal>),
    /// `forall x in S, y in T: body`
    Forall(Vec<Binder>, Box<Temporal>),
    /// `exists x in S: body` with a temporal body (over a state predicate
    /// it is one `Pred`).
    Exists(Vec<Binder>, Box<Temporal>),
    /// `not T`, `T and U`, `T or U` where a side is temporal (over state
    /// predicates alone they are one `Pred`).
    Not(Box<Temporal>),
    And(Box<Temporal>, Box<Temporal>),
    Or(Box<Temporal>, Box<Temporal>),
    /// `T until U` (strong until).
    Until(Box<Temporal>, Box<Temporal>),
    /// `taken T`: the step from this position is one of the target's
    /// transitions and changes the state (TLA+'s `<<A>>_vars`).
    Taken(Vec<FairTarget>),
    /// `enabled T`: some transition of the target is enabled and changes
    /// the state (TLA+'s `ENABLED <<A>>_vars`).
    Enabled(Vec<FairTarget>),
}

/// Weak or strong fairness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FairnessKind {
    /// If continuously enabled from some point on, eventually taken.
    Weak,
    /// If enabled infinitely often, taken infinitely often.
    Strong,
}

/// A fairness assumption: `[forall x in S:] weak|strong [each] target` or
/// `... {target, target, ...}`.
///
/// Without `each`, every binding of the `forall` gives one constraint on
/// the union of the transitions its targets match (a group of actions is
/// fair as a whole); with `each`, every matching transition is a
/// constraint of its own (TLA+'s `\A p: WF(A(p))`).
#[derive(Clone, Debug)]
pub struct FairnessDecl {
    pub kind: FairnessKind,
    /// The `forall` binders (empty if none).
    pub binders: Vec<Binder>,
    pub each: bool,
    /// One target, or the targets of a `{...}` group.
    pub targets: Vec<FairTarget>,
    pub span: Span,
}

/// A set of transitions named in a fairness assumption: `A` (every instance
/// of action `A`), `A(e1, _, e3)` (the instances whose parameters equal the
/// given constant expressions; `_` matches any value). The words `delivery`
/// and `processes` (with no arguments, when no action has that name) are
/// expanded by `dcheck-net` for message-passing specs.
#[derive(Clone, Debug)]
pub struct FairTarget {
    pub name: Ident,
    /// `None`: no argument list. `Some(args)`: one entry per parameter,
    /// `None` for `_`.
    pub args: Option<Vec<Option<Expr>>>,
    pub span: Span,
}

// ---------------------------------------------------------------- types

#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    /// `bool`
    Bool,
    /// `lo..hi`, both inclusive, constant expressions.
    Range(Box<Expr>, Box<Expr>),
    /// A declared type name.
    Named(Ident),
    /// `enum { a, b(T, U), c }`: variants, each with an optional payload.
    Enum(Vec<VariantDecl>),
    /// `{ f: T, g: U }`
    Record(Vec<(Ident, TypeExpr)>),
    /// `(T, U, ...)`, two or more components.
    Tuple(Vec<TypeExpr>),
    /// `[K -> V]`: a total function over the finite type K.
    Map(Box<TypeExpr>, Box<TypeExpr>),
    /// `set<T>`
    Set(Box<TypeExpr>),
    /// `set<T, C>`: a set with at most C members.
    BoundedSet(Box<TypeExpr>, Box<Expr>),
    /// `bag<T, C>`: a multiset with at most C members in total.
    Bag(Box<TypeExpr>, Box<Expr>),
    /// `multiset<T, M>`: each element at most M times.
    Multiset(Box<TypeExpr>, Box<Expr>),
    /// `seq<T, L>`: at most L elements.
    Seq(Box<TypeExpr>, Box<Expr>),
}

#[derive(Clone, Debug)]
pub struct VariantDecl {
    pub name: Ident,
    pub payload: Vec<TypeExpr>,
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    /// A variable, constant, local, parameter, enum variant without payload,
    /// type name (standing for the set of its values) or parameterless def.
    Name(Ident),
    /// `f(a, b)`: a builtin (`len`, `min`, `max`, `card`, `count`, `head`,
    /// `tail`, `last`, `append`, `take`, `abs`), a def, or a variant
    /// constructor.
    Call(Ident, Vec<Expr>),
    /// `e.f` (also `Type.variant`).
    Field(Box<Expr>, Ident),
    /// `e.0`
    TupleField(Box<Expr>, u32),
    /// `e[i]`
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `let x = e in body`
    Let(Ident, Box<Expr>, Box<Expr>),
    /// `forall x in S, y in T: body` / `exists ...`
    Quant(Quantifier, Vec<Binder>, Box<Expr>),
    /// `choose x in S: body`: the least element of S (in its type's
    /// order) that satisfies body.
    Choose(Box<Binder>, Box<Expr>),
    /// `{a, b}` and `{}`
    SetLit(Vec<Expr>),
    /// `[a, b]` and `[]`
    SeqLit(Vec<Expr>),
    /// `(a, b)`
    TupleLit(Vec<Expr>),
    /// `{ f: a, g: b }`
    RecordLit(Vec<(Ident, Expr)>),
    /// `[x in S |-> e]`
    MapLit(Box<Binder>, Box<Expr>),
    /// `{ e for x in S, y in T if p }`
    SetComp(Box<Expr>, Vec<Binder>, Option<Box<Expr>>),
    /// `a..b` as a set of integers.
    Range(Box<Expr>, Box<Expr>),
    /// `match e { v(a, _) => x, w => y, _ => z }`
    Match(Box<Expr>, Vec<MatchArm>),
}

/// The payload part of a pattern, `(a, _, c)`: a name binds a component,
/// `None` (written `_`) skips it.
pub type PayloadPattern = Vec<Option<Ident>>;

/// One arm of a `match`.
#[derive(Clone, Debug)]
pub struct MatchArm {
    /// The variant matched; `None` for the catch-all `_`.
    pub variant: Option<Ident>,
    /// `v(a, _)`: the payload's components; `None` for a bare `v` (a
    /// variant without payload) or `_`.
    pub parts: Option<PayloadPattern>,
    pub body: Expr,
    pub span: Span,
}

impl MatchArm {
    /// The names this arm binds in its body.
    pub fn bound(&self) -> impl Iterator<Item = &Ident> {
        self.parts.iter().flatten().flatten()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    Forall,
    Exists,
}

/// `x in S`, where S is a type name or a collection-valued expression; or
/// a pattern binder `v(a, _, c) in S`, which ranges over the members of S
/// that are the variant `v` (then `name`) and binds their payload.
#[derive(Clone, Debug)]
pub struct Binder {
    pub name: Ident,
    pub domain: Expr,
    /// The payload pattern of a pattern binder.
    pub pattern: Option<PayloadPattern>,
    pub span: Span,
}

impl Binder {
    /// The names this binder binds: its variable, or a pattern's names.
    pub fn bound(&self) -> Vec<&Ident> {
        match &self.pattern {
            None => vec![&self.name],
            Some(parts) => parts.iter().flatten().collect(),
        }
    }

    /// Whether this binder binds `name`.
    pub fn binds(&self, name: &str) -> bool {
        self.bound().iter().any(|i| i.name == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Implies,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    /// `/`: truncating division, as in Rust.
    Div,
    /// `%`: the remainder of `/` (its sign is the left operand's).
    Mod,
    /// `div`: floor division, TLA+'s `\div` (divisor > 0).
    FloorDiv,
    /// `mod`: the modulus in `0..b-1`, TLA+'s `%` (divisor > 0).
    FloorMod,
    In,
    NotIn,
    Union,
    Intersect,
    Minus,
    Subseteq,
    /// `s ++ t` on sequences
    Concat,
}

// ---------------------------------------------------------------- statements

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `place = e;` where place is a Name, Field, TupleField or Index chain.
    Assign(Expr, Expr),
    /// `let x = e;` (visible to the rest of the block)
    Let(Ident, Expr),
    /// `if c { .. } else if d { .. } else { .. }` (else-if nests in the else block)
    If(Expr, Block, Option<Block>),
    /// `require e;`: the transition is disabled unless e holds.
    Require(Expr),
    /// `for x in S, y in T { .. }`
    For(Vec<Binder>, Block),
    /// `either { .. } or { .. } ...` (PlusCal's): a choice point, at least
    /// two branches; each branch is taken by its own transition.
    Either(Vec<Block>),
    /// `with x in S, y in T { .. }` (PlusCal's): a choice point per binder;
    /// each value is taken by its own transition, none if S is empty.
    With(Vec<Binder>, Block),
    /// `insert(place, e);`, `remove(place, e);`, `append(place, e);`; in
    /// steps and handlers also `send(dst, m);` and `broadcast(Role, m);`
    /// (their first argument is a value, not a place).
    Call(Ident, Vec<Expr>),
}
