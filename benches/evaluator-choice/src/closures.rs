//! Back end 1: a tree of boxed closures, the way dcheck compiles today
//! (crates/dcheck-model/src/runtime.rs `ExprFn`, expr.rs): every node is a
//! `Box<dyn Fn(&[Word], &mut [u64]) -> Result<u64, Box<EvalError>>>`, the
//! error is boxed with a formatted message on the cold path, `and`/`or`
//! chains are one loop over their parts (`junction`), a comparison with a
//! constant is one closure (and none below it for a fixed field), loops
//! over a domain call their body through the same closure type.

use crate::ir::{binop, At, BinOp, ErrKind, Expr, Fault, Field, Program, Quant, Stmt};

/// dcheck's `EvalError`: a message and where.
#[derive(Debug)]
pub struct EvalError {
    pub message: String,
    pub kind: ErrKind,
    pub at: At,
}

pub type Err = Box<EvalError>;
pub type R = Result<u64, Err>;
pub type ExprCode = dyn Fn(&[u64], &mut [u64]) -> R + Send + Sync;
pub type ExprFn = Box<ExprCode>;
/// dcheck's `StmtFn` (without `require`, so always `Ok(true)`).
pub type StmtFn = Box<dyn Fn(&mut [u64], &mut [u64]) -> Result<bool, Err> + Send + Sync>;

#[cold]
#[inline(never)]
fn fail(f: Fault, message: String) -> Err {
    Box::new(EvalError {
        message,
        kind: f.kind,
        at: f.at,
    })
}

#[cold]
#[inline(never)]
fn fail_bin(f: Fault, op: BinOp, x: u64, y: u64) -> Err {
    let message = match f.kind {
        ErrKind::DivByZero => "division by zero".to_string(),
        _ => format!("integer overflow in {} {op:?} {}", x as i64, y as i64),
    };
    fail(f, message)
}

pub enum Compiled {
    Expr(ExprFn),
    Transition { guard: ExprFn, effect: StmtFn },
}

impl Compiled {
    #[inline]
    pub fn run(&self, st: &[u64], next: &mut [u64], loc: &mut [u64]) -> Result<u64, Fault> {
        let r = match self {
            Compiled::Expr(f) => f(st, loc),
            Compiled::Transition { guard, effect } => (|| {
                if guard(st, loc)? == 0 {
                    return Ok(0);
                }
                next.copy_from_slice(st);
                effect(next, loc)?;
                Ok(1)
            })(),
        };
        r.map_err(|e| Fault {
            kind: e.kind,
            at: e.at,
        })
    }
}

pub fn compile(p: &Program) -> Compiled {
    match p {
        Program::Expr(e) => Compiled::Expr(expr(e)),
        Program::Transition { guard, effect } => Compiled::Transition {
            guard: expr(guard),
            effect: block(effect),
        },
    }
}

fn block(ss: &[Stmt]) -> StmtFn {
    let fs: Vec<StmtFn> = ss.iter().map(stmt).collect();
    Box::new(move |st, loc| {
        for f in &fs {
            if !f(st, loc)? {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

fn stmt(s: &Stmt) -> StmtFn {
    match s {
        Stmt::Set {
            field,
            max,
            value,
            at,
        } => {
            let (f, max, at) = (*field, *max, *at);
            let fv = expr(value);
            Box::new(move |st, loc| {
                let v = fv(st, loc)?;
                if v > max {
                    return Err(fail(
                        Fault {
                            kind: ErrKind::OutOfRange,
                            at,
                        },
                        format!("value {v} is outside the range 0..{max}"),
                    ));
                }
                f.set(st, v);
                Ok(true)
            })
        }
        Stmt::If(c, a, b) => {
            let fc = expr(c);
            let (fa, fb) = (block(a), block(b));
            Box::new(move |st, loc| {
                if fc(st, loc)? != 0 {
                    fa(st, loc)
                } else {
                    fb(st, loc)
                }
            })
        }
    }
}

pub fn expr(e: &Expr) -> ExprFn {
    match e {
        &Expr::Const(v) => Box::new(move |_, _| Ok(v)),
        &Expr::Local(s) => {
            let s = s as usize;
            Box::new(move |_, loc| Ok(loc[s]))
        }
        &Expr::Field(f) => Box::new(move |st, _| Ok(f.get(st))),
        Expr::Digit { base, width, index } => {
            let (b, w) = (*base, *width as u64);
            let fi = expr(index);
            Box::new(move |st, loc| {
                let i = fi(st, loc)?;
                let sh = (b.shift as u64).wrapping_add(i.wrapping_mul(w));
                Ok((st[b.word as usize].wrapping_shr(sh as u32)) & b.mask())
            })
        }
        Expr::Bin(op, a, b, at) => bin(*op, a, b, *at),
        Expr::Not(a) => {
            let fa = expr(a);
            Box::new(move |st, loc| Ok((fa(st, loc)? == 0) as u64))
        }
        Expr::And(ps) => junction(ps, false),
        Expr::Or(ps) => junction(ps, true),
        Expr::If(c, a, b) => {
            let (fc, fa, fb) = (expr(c), expr(a), expr(b));
            Box::new(move |st, loc| {
                if fc(st, loc)? != 0 {
                    fa(st, loc)
                } else {
                    fb(st, loc)
                }
            })
        }
        Expr::Quant {
            q,
            slot,
            lo,
            n,
            body,
        } => quant(*q, *slot as usize, *lo, *n, expr(body)),
    }
}

/// dcheck's `Domain::each` over `Domain::Indices`: the body is a closure
/// called once per element.
#[inline]
fn each(
    lo: u64,
    n: u64,
    loc: &mut [u64],
    mut f: impl FnMut(u64, &mut [u64]) -> Result<bool, Err>,
) -> Result<bool, Err> {
    for i in 0..n {
        if !f(lo.wrapping_add(i), loc)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn quant(q: Quant, slot: usize, lo: u64, n: u64, inner: ExprFn) -> ExprFn {
    match q {
        Quant::Forall | Quant::Exists => Box::new(move |st, loc| {
            let mut found = false;
            each(lo, n, loc, |v, loc| {
                loc[slot] = v;
                let b = inner(st, loc)? != 0;
                // forall stops at the first false, exists at the first true
                if b != (q == Quant::Forall) {
                    found = true;
                    return Ok(false);
                }
                Ok(true)
            })?;
            Ok(match q {
                Quant::Forall => !found,
                _ => found,
            } as u64)
        }),
        Quant::Count => Box::new(move |st, loc| {
            let mut count = 0u64;
            each(lo, n, loc, |v, loc| {
                loc[slot] = v;
                count += (inner(st, loc)? != 0) as u64;
                Ok(true)
            })?;
            Ok(count)
        }),
    }
}

fn junction(parts: &[Expr], decisive: bool) -> ExprFn {
    let kept: Vec<ExprFn> = parts.iter().map(expr).collect();
    let otherwise = (!decisive) as u64;
    Box::new(move |st, loc| {
        for p in &kept {
            if (p(st, loc)? != 0) == decisive {
                return Ok(decisive as u64);
            }
        }
        Ok(otherwise)
    })
}

fn bin(op: BinOp, a: &Expr, b: &Expr, at: At) -> ExprFn {
    // dcheck's fast paths (expr.rs `binary`): a fixed field compared with a
    // constant is one closure; a comparison with a constant calls one.
    if matches!(op, BinOp::Eq | BinOp::Ne) {
        let (x, kk) = match (a, b) {
            (x, Expr::Const(kk)) | (Expr::Const(kk), x) => (Some(x), Some(*kk)),
            _ => (None, None),
        };
        if let (Some(x), Some(kk)) = (x, kk) {
            let eq = op == BinOp::Eq;
            if let Expr::Field(f) = x {
                let f: Field = *f;
                return Box::new(move |st, _| Ok(((f.get(st) == kk) == eq) as u64));
            }
            let fx = expr(x);
            return Box::new(move |st, loc| Ok(((fx(st, loc)? == kk) == eq) as u64));
        }
    }
    let (fa, fb) = (expr(a), expr(b));
    macro_rules! total {
        ($x:ident, $y:ident, $e:expr) => {
            Box::new(move |st, loc| {
                let $x = fa(st, loc)?;
                let $y = fb(st, loc)?;
                Ok($e)
            })
        };
    }
    match op {
        BinOp::Eq => total!(x, y, (x == y) as u64),
        BinOp::Ne => total!(x, y, (x != y) as u64),
        BinOp::Lt => total!(x, y, ((x as i64) < (y as i64)) as u64),
        BinOp::Le => total!(x, y, ((x as i64) <= (y as i64)) as u64),
        BinOp::Gt => total!(x, y, ((x as i64) > (y as i64)) as u64),
        BinOp::Ge => total!(x, y, ((x as i64) >= (y as i64)) as u64),
        BinOp::BitAnd => total!(x, y, x & y),
        BinOp::BitOr => total!(x, y, x | y),
        BinOp::Shl => total!(x, y, x.wrapping_shl(y as u32)),
        BinOp::Shr => total!(x, y, x.wrapping_shr(y as u32)),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => Box::new(move |st, loc| {
            let x = fa(st, loc)?;
            let y = fb(st, loc)?;
            binop(op, x, y, at).map_err(|f| fail_bin(f, op, x, y))
        }),
    }
}
