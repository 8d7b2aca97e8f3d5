//! The expression IR the three back ends lower: a small model of what
//! dcheck's `Compiler` (crates/dcheck-model/src/expr.rs, stmt.rs) has in
//! hand once types are resolved, constants folded and small quantifiers
//! unrolled.
//!
//! Values are `u64` registers, read as `i64` by arithmetic and ordering
//! (as in dcheck's `runtime.rs`). Booleans are 0 and 1.
//!
//! [`eval`] and [`run`] are the reference semantics (a plain recursive
//! walk); the tests hold every back end to them.

/// Where an erring expression is, standing in for dcheck's `Span`.
pub type At = u32;

/// A digit of the state at a fixed position, within one word: dcheck's
/// `encoding::BitField` (`(state[word] >> shift) & mask`), `mask` being
/// `bits` ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub word: u16,
    pub shift: u8,
    pub bits: u8,
}

impl Field {
    pub const fn new(word: u16, shift: u8, bits: u8) -> Field {
        Field { word, shift, bits }
    }

    #[inline(always)]
    pub fn mask(self) -> u64 {
        if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    #[inline(always)]
    pub fn get(self, st: &[u64]) -> u64 {
        (st[self.word as usize] >> self.shift) & self.mask()
    }

    #[inline(always)]
    pub fn set(self, st: &mut [u64], v: u64) {
        let m = self.mask() << self.shift;
        let w = &mut st[self.word as usize];
        *w = (*w & !m) | ((v << self.shift) & m);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// Checked `i64` arithmetic: overflow is an evaluation error.
    Add,
    Sub,
    Mul,
    /// Checked `i64` division: by zero, and `MIN / -1`, are errors.
    Div,
    Eq,
    Ne,
    /// Signed comparisons.
    Lt,
    Le,
    Gt,
    Ge,
    /// Bit operations (sets are bitsets): never fail; shifts take the
    /// amount modulo 64.
    BitAnd,
    BitOr,
    Shl,
    Shr,
}

impl BinOp {
    pub const ALL: [BinOp; 14] = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::BitAnd,
        BinOp::BitOr,
        BinOp::Shl,
        BinOp::Shr,
    ];

    pub fn can_fail(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    Forall,
    Exists,
    /// `card({ x in lo..lo+n if body })`: the number of true bodies.
    Count,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrKind {
    Overflow,
    DivByZero,
    OutOfRange,
}

impl ErrKind {
    pub fn code(self) -> u64 {
        match self {
            ErrKind::Overflow => 1,
            ErrKind::DivByZero => 2,
            ErrKind::OutOfRange => 3,
        }
    }

    pub fn from_code(c: u64) -> Option<ErrKind> {
        match c {
            1 => Some(ErrKind::Overflow),
            2 => Some(ErrKind::DivByZero),
            3 => Some(ErrKind::OutOfRange),
            _ => None,
        }
    }
}

/// An evaluation error, reduced to what the back ends must agree on: what
/// went wrong and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    pub kind: ErrKind,
    pub at: At,
}

impl Fault {
    /// One word for the JIT's out-of-band error slot (0: no error).
    pub fn pack(self) -> u64 {
        (self.kind.code() << 32) | self.at as u64
    }

    pub fn unpack(w: u64) -> Option<Fault> {
        Some(Fault {
            kind: ErrKind::from_code(w >> 32)?,
            at: w as u32,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Const(u64),
    /// A local: an action parameter or a bound variable.
    Local(u16),
    /// A field at a fixed position (`rmState[r]` with `r` known).
    Field(Field),
    /// Digit `index` of an array laid out from `base` in `width`-bit digits:
    /// `(state[word] >> (shift + index * width)) & mask` (`maxBal[a]` with
    /// `a` a local; the shift amount wraps modulo 64).
    Digit {
        base: Field,
        width: u8,
        index: Box<Expr>,
    },
    Bin(BinOp, Box<Expr>, Box<Expr>, At),
    Not(Box<Expr>),
    /// `p0 and p1 and ...`, left to right, stopping at the first false.
    And(Vec<Expr>),
    /// `p0 or p1 or ...`, left to right, stopping at the first true.
    Or(Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Binds local `slot` to `lo, lo+1, ..., lo+n-1` in turn.
    Quant {
        q: Quant,
        slot: u16,
        lo: u64,
        n: u64,
        body: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `field = value` on the next state; `value > max` is an error (a
    /// range check, dcheck's `Store::Int`).
    Set {
        field: Field,
        max: u64,
        value: Expr,
        at: At,
    },
    If(Expr, Vec<Stmt>, Vec<Stmt>),
}

/// What a back end compiles: an expression (guard, invariant), or a
/// transition (guard on the state, then the effect on a copy of it, whose
/// expressions read the copy as it is being updated, as dcheck's
/// `StmtFn`s do).
#[derive(Clone, Debug, PartialEq)]
pub enum Program {
    Expr(Expr),
    Transition { guard: Expr, effect: Vec<Stmt> },
}

/// The result every back end must reproduce: the value (for a transition:
/// 1 if enabled and applied, 0 if not) or the fault. The next state is
/// compared separately.
pub type Outcome = Result<u64, Fault>;

// ---------------------------------------------------------------------
// Helpers for writing workloads.

pub fn k(v: u64) -> Expr {
    Expr::Const(v)
}
pub fn loc(s: u16) -> Expr {
    Expr::Local(s)
}
pub fn field(f: Field) -> Expr {
    Expr::Field(f)
}
pub fn digit(base: Field, width: u8, index: Expr) -> Expr {
    Expr::Digit {
        base,
        width,
        index: Box::new(index),
    }
}
pub fn bin(op: BinOp, a: Expr, b: Expr, at: At) -> Expr {
    Expr::Bin(op, Box::new(a), Box::new(b), at)
}
pub fn eq(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Eq, a, b, 0)
}
pub fn not(a: Expr) -> Expr {
    Expr::Not(Box::new(a))
}
pub fn implies(a: Expr, b: Expr) -> Expr {
    Expr::Or(vec![not(a), b])
}
pub fn quant(q: Quant, slot: u16, lo: u64, n: u64, body: Expr) -> Expr {
    Expr::Quant {
        q,
        slot,
        lo,
        n,
        body: Box::new(body),
    }
}
/// `(set >> elem) & 1`: membership in a bitset.
pub fn member(set: Expr, elem: Expr) -> Expr {
    bin(BinOp::BitAnd, bin(BinOp::Shr, set, elem, 0), k(1), 0)
}

// ---------------------------------------------------------------------
// Reference semantics.

pub fn eval(e: &Expr, st: &[u64], l: &mut [u64]) -> Outcome {
    Ok(match e {
        Expr::Const(v) => *v,
        Expr::Local(s) => l[*s as usize],
        Expr::Field(f) => f.get(st),
        Expr::Digit { base, width, index } => {
            let i = eval(index, st, l)?;
            let sh = (base.shift as u64).wrapping_add(i.wrapping_mul(*width as u64));
            (st[base.word as usize].wrapping_shr(sh as u32)) & base.mask()
        }
        Expr::Bin(op, a, b, at) => {
            let x = eval(a, st, l)?;
            let y = eval(b, st, l)?;
            binop(*op, x, y, *at)?
        }
        Expr::Not(a) => (eval(a, st, l)? == 0) as u64,
        Expr::And(ps) => {
            for p in ps {
                if eval(p, st, l)? == 0 {
                    return Ok(0);
                }
            }
            1
        }
        Expr::Or(ps) => {
            for p in ps {
                if eval(p, st, l)? != 0 {
                    return Ok(1);
                }
            }
            0
        }
        Expr::If(c, a, b) => {
            if eval(c, st, l)? != 0 {
                eval(a, st, l)?
            } else {
                eval(b, st, l)?
            }
        }
        Expr::Quant {
            q,
            slot,
            lo,
            n,
            body,
        } => {
            let mut count = 0u64;
            for i in 0..*n {
                l[*slot as usize] = lo.wrapping_add(i);
                let b = eval(body, st, l)? != 0;
                match q {
                    Quant::Forall if !b => return Ok(0),
                    Quant::Exists if b => return Ok(1),
                    Quant::Count => count += b as u64,
                    _ => {}
                }
            }
            match q {
                Quant::Forall => 1,
                Quant::Exists => 0,
                Quant::Count => count,
            }
        }
    })
}

/// The one definition of the binary operators (the closures and the
/// bytecode call it; the JIT emits the same checks).
#[inline(always)]
pub fn binop(op: BinOp, x: u64, y: u64, at: At) -> Outcome {
    let (a, b) = (x as i64, y as i64);
    let r = match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div => {
            if b == 0 {
                return Err(Fault {
                    kind: ErrKind::DivByZero,
                    at,
                });
            }
            a.checked_div(b)
        }
        BinOp::Eq => return Ok((x == y) as u64),
        BinOp::Ne => return Ok((x != y) as u64),
        BinOp::Lt => return Ok((a < b) as u64),
        BinOp::Le => return Ok((a <= b) as u64),
        BinOp::Gt => return Ok((a > b) as u64),
        BinOp::Ge => return Ok((a >= b) as u64),
        BinOp::BitAnd => return Ok(x & y),
        BinOp::BitOr => return Ok(x | y),
        BinOp::Shl => return Ok(x.wrapping_shl(y as u32)),
        BinOp::Shr => return Ok(x.wrapping_shr(y as u32)),
    };
    r.map(|v| v as u64).ok_or(Fault {
        kind: ErrKind::Overflow,
        at,
    })
}

pub fn exec(s: &Stmt, next: &mut [u64], l: &mut [u64]) -> Result<(), Fault> {
    match s {
        Stmt::Set {
            field,
            max,
            value,
            at,
        } => {
            let v = eval(value, next, l)?;
            if v > *max {
                return Err(Fault {
                    kind: ErrKind::OutOfRange,
                    at: *at,
                });
            }
            field.set(next, v);
        }
        Stmt::If(c, a, b) => {
            let branch = if eval(c, next, l)? != 0 { a } else { b };
            for s in branch {
                exec(s, next, l)?;
            }
        }
    }
    Ok(())
}

/// Runs a program: `next` receives the successor of a transition (a copy
/// of `st` updated by the effect; untouched if the guard is false).
pub fn run(p: &Program, st: &[u64], next: &mut [u64], l: &mut [u64]) -> Outcome {
    match p {
        Program::Expr(e) => eval(e, st, l),
        Program::Transition { guard, effect } => {
            if eval(guard, st, l)? == 0 {
                return Ok(0);
            }
            next.copy_from_slice(st);
            for s in effect {
                exec(s, next, l)?;
            }
            Ok(1)
        }
    }
}

// ---------------------------------------------------------------------
// The front end's own optimisations, shared by every back end.

/// dcheck's `UNROLL_MAX`: a quantifier nest is unrolled into at most this
/// many copies.
pub const UNROLL_MAX: u64 = 256;

/// What dcheck's compiler does before it emits code: `forall`/`exists`
/// over a known domain unrolled (the body copied once per element with the
/// bound local a constant; nested quantifiers share the budget, as
/// `Compiler::unroll_left`), then constant folding: a digit at a constant
/// index becomes a fixed field (`BitField`), constant operands fold (but
/// not an erring one: its error stays for run time), and `and`/`or` drop
/// parts that cannot decide (`junction`). `budget` 0 unrolls nothing.
pub fn prepare(e: &Expr, budget: u64) -> Expr {
    fold(&unroll(e, budget))
}

pub fn prepare_program(p: &Program, budget: u64) -> Program {
    match p {
        Program::Expr(e) => Program::Expr(prepare(e, budget)),
        Program::Transition { guard, effect } => Program::Transition {
            guard: prepare(guard, budget),
            effect: effect.iter().map(|s| prepare_stmt(s, budget)).collect(),
        },
    }
}

fn prepare_stmt(s: &Stmt, budget: u64) -> Stmt {
    match s {
        Stmt::Set {
            field,
            max,
            value,
            at,
        } => Stmt::Set {
            field: *field,
            max: *max,
            value: prepare(value, budget),
            at: *at,
        },
        Stmt::If(c, a, b) => Stmt::If(
            prepare(c, budget),
            a.iter().map(|s| prepare_stmt(s, budget)).collect(),
            b.iter().map(|s| prepare_stmt(s, budget)).collect(),
        ),
    }
}

fn unroll(e: &Expr, budget: u64) -> Expr {
    match e {
        Expr::Quant {
            q: q @ (Quant::Forall | Quant::Exists),
            slot,
            lo,
            n,
            body,
        } if *n > 0 && *n <= budget => {
            let inner = budget / n;
            let parts = (0..*n)
                .map(|i| unroll(&subst(body, *slot, lo.wrapping_add(i)), inner))
                .collect();
            if *q == Quant::Forall {
                Expr::And(parts)
            } else {
                Expr::Or(parts)
            }
        }
        _ => map_children(e, &|c| unroll(c, budget)),
    }
}

fn map_children(e: &Expr, f: &dyn Fn(&Expr) -> Expr) -> Expr {
    match e {
        Expr::Const(_) | Expr::Local(_) | Expr::Field(_) => e.clone(),
        Expr::Digit { base, width, index } => Expr::Digit {
            base: *base,
            width: *width,
            index: Box::new(f(index)),
        },
        Expr::Bin(op, a, b, at) => Expr::Bin(*op, Box::new(f(a)), Box::new(f(b)), *at),
        Expr::Not(a) => Expr::Not(Box::new(f(a))),
        Expr::And(ps) => Expr::And(ps.iter().map(f).collect()),
        Expr::Or(ps) => Expr::Or(ps.iter().map(f).collect()),
        Expr::If(c, a, b) => Expr::If(Box::new(f(c)), Box::new(f(a)), Box::new(f(b))),
        Expr::Quant {
            q,
            slot,
            lo,
            n,
            body,
        } => Expr::Quant {
            q: *q,
            slot: *slot,
            lo: *lo,
            n: *n,
            body: Box::new(f(body)),
        },
    }
}

/// `e` with local `slot` replaced by the constant `v` (up to a quantifier
/// that binds `slot` again).
fn subst(e: &Expr, slot: u16, v: u64) -> Expr {
    match e {
        Expr::Local(s) if *s == slot => Expr::Const(v),
        Expr::Quant { slot: s, .. } if *s == slot => e.clone(),
        _ => map_children(e, &|c| subst(c, slot, v)),
    }
}

fn fold(e: &Expr) -> Expr {
    let e = map_children(e, &fold);
    match e {
        Expr::Digit { base, width, index } => match *index {
            Expr::Const(i) => {
                let sh = (base.shift as u64).wrapping_add(i.wrapping_mul(width as u64));
                if sh
                    .checked_add(base.bits as u64)
                    .is_some_and(|end| end <= 64)
                {
                    Expr::Field(Field::new(base.word, sh as u8, base.bits))
                } else {
                    Expr::Digit {
                        base,
                        width,
                        index: Box::new(Expr::Const(i)),
                    }
                }
            }
            index => Expr::Digit {
                base,
                width,
                index: Box::new(index),
            },
        },
        Expr::Bin(op, a, b, at) => match (&*a, &*b) {
            // Membership of a constant in a set at a fixed position: one
            // bit of the state (dcheck's `BitField` of a set element).
            (Expr::Bin(BinOp::Shr, set, s, _), Expr::Const(1)) if op == BinOp::BitAnd => {
                match (&**set, &**s) {
                    (Expr::Field(f), Expr::Const(s)) if *s < f.bits as u64 => {
                        Expr::Field(Field::new(f.word, f.shift + *s as u8, 1))
                    }
                    _ => Expr::Bin(op, a, b, at),
                }
            }
            (Expr::Const(x), Expr::Const(y)) => match binop(op, *x, *y, at) {
                Ok(v) => Expr::Const(v),
                Err(_) => Expr::Bin(op, a, b, at),
            },
            _ => Expr::Bin(op, a, b, at),
        },
        Expr::Not(a) => match *a {
            Expr::Const(x) => Expr::Const((x == 0) as u64),
            a => Expr::Not(Box::new(a)),
        },
        Expr::And(ps) => junction(ps, false),
        Expr::Or(ps) => junction(ps, true),
        Expr::If(c, a, b) => match *c {
            Expr::Const(x) => {
                if x != 0 {
                    *a
                } else {
                    *b
                }
            }
            c => Expr::If(Box::new(c), a, b),
        },
        e => e,
    }
}

/// dcheck's `expr::junction`: a part that cannot decide is dropped, one that
/// decides ends the list (an always-deciding constant).
fn junction(parts: Vec<Expr>, decisive: bool) -> Expr {
    let mut kept = Vec::new();
    let mut decided = false;
    for p in parts {
        match p {
            Expr::Const(v) if (v != 0) == decisive => {
                decided = true;
                break;
            }
            Expr::Const(_) => {}
            p => kept.push(p),
        }
    }
    let otherwise = (decided == decisive) as u64;
    if kept.is_empty() {
        return Expr::Const(otherwise);
    }
    if decided {
        // The kept parts still run first (for their errors), then the
        // decisive constant.
        kept.push(Expr::Const(decisive as u64));
    }
    if kept.len() == 1 {
        // A lone part must still yield a boolean.
        let p = kept.pop().expect("one part");
        return if is_bool(&p) {
            p
        } else {
            Expr::Not(Box::new(Expr::Not(Box::new(p))))
        };
    }
    if decisive {
        Expr::Or(kept)
    } else {
        Expr::And(kept)
    }
}

fn is_bool(e: &Expr) -> bool {
    match e {
        Expr::Const(v) => *v <= 1,
        Expr::Bin(op, ..) => matches!(
            op,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        ),
        Expr::Not(_) | Expr::And(_) | Expr::Or(_) => true,
        Expr::Quant { q, .. } => *q != Quant::Count,
        _ => false,
    }
}

/// Number of IR nodes: the size the compile costs are measured against.
pub fn size(e: &Expr) -> usize {
    1 + match e {
        Expr::Const(_) | Expr::Local(_) | Expr::Field(_) => 0,
        Expr::Digit { index, .. } => size(index),
        Expr::Bin(_, a, b, _) => size(a) + size(b),
        Expr::Not(a) => size(a),
        Expr::And(ps) | Expr::Or(ps) => ps.iter().map(size).sum(),
        Expr::If(c, a, b) => size(c) + size(a) + size(b),
        Expr::Quant { body, .. } => size(body),
    }
}

pub fn program_size(p: &Program) -> usize {
    fn stmt_size(s: &Stmt) -> usize {
        match s {
            Stmt::Set { value, .. } => 1 + size(value),
            Stmt::If(c, a, b) => {
                1 + size(c)
                    + a.iter().map(stmt_size).sum::<usize>()
                    + b.iter().map(stmt_size).sum::<usize>()
            }
        }
    }
    match p {
        Program::Expr(e) => size(e),
        Program::Transition { guard, effect } => {
            size(guard) + effect.iter().map(stmt_size).sum::<usize>()
        }
    }
}
