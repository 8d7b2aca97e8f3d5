//! Back end 2: a register bytecode. The IR becomes an array of 16-byte
//! instructions over a small register file (at most [`REGS`] registers,
//! allocated as a stack: a subexpression's value goes to the next free
//! one), interpreted by one `match` loop. Conditions compile to jumps
//! (short-circuit `and`/`or`, `not` swaps the targets) and the commonest
//! guard shape, a fixed field compared with a constant, is one
//! compare-and-branch instruction. Every state word and local an
//! instruction names is checked against the slices' lengths once, at the
//! entry, so the loop reads them unchecked.

use crate::ir::{binop, BinOp, ErrKind, Expr, Fault, Field, Program, Quant, Stmt};

pub const REGS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Insn {
    Const {
        d: u16,
        v: u64,
    },
    Local {
        d: u16,
        s: u16,
    },
    /// `loc[s] = lo + regs[i]` (a quantifier binding its element).
    Bind {
        s: u16,
        i: u16,
        lo: u32,
    },
    Field {
        d: u16,
        word: u16,
        shift: u8,
        mask: u64,
    },
    /// `regs[d] = ((field == k) == eq)`.
    FieldEqK {
        d: u16,
        word: u16,
        shift: u8,
        bits: u8,
        eq: bool,
        k: u32,
    },
    /// Jump to `t` if `(field == k) == eq`.
    BrField {
        word: u16,
        shift: u8,
        bits: u8,
        eq: bool,
        k: u32,
        t: u32,
    },
    Digit {
        d: u16,
        i: u16,
        word: u16,
        shift: u8,
        width: u8,
        bits: u8,
    },
    /// Checked arithmetic: overflow (and division by zero) fail at `at`.
    Add {
        d: u16,
        a: u16,
        b: u16,
        at: u32,
    },
    Sub {
        d: u16,
        a: u16,
        b: u16,
        at: u32,
    },
    Mul {
        d: u16,
        a: u16,
        b: u16,
        at: u32,
    },
    Div {
        d: u16,
        a: u16,
        b: u16,
        at: u32,
    },
    /// Checked arithmetic with a constant right operand.
    AddK {
        d: u16,
        a: u16,
        at: u32,
        k: i32,
    },
    MulK {
        d: u16,
        a: u16,
        at: u32,
        k: i32,
    },
    /// `regs[d] = (regs[a] >> regs[b]) & 1`: membership in a bitset.
    Bit {
        d: u16,
        a: u16,
        b: u16,
    },
    /// `Digit` indexed by local `s` directly.
    DigitL {
        d: u16,
        s: u16,
        word: u16,
        shift: u8,
        width: u8,
        bits: u8,
    },
    Eq {
        d: u16,
        a: u16,
        b: u16,
    },
    Ne {
        d: u16,
        a: u16,
        b: u16,
    },
    Lt {
        d: u16,
        a: u16,
        b: u16,
    },
    Le {
        d: u16,
        a: u16,
        b: u16,
    },
    Gt {
        d: u16,
        a: u16,
        b: u16,
    },
    Ge {
        d: u16,
        a: u16,
        b: u16,
    },
    BitAnd {
        d: u16,
        a: u16,
        b: u16,
    },
    BitOr {
        d: u16,
        a: u16,
        b: u16,
    },
    Shl {
        d: u16,
        a: u16,
        b: u16,
    },
    Shr {
        d: u16,
        a: u16,
        b: u16,
    },
    /// `regs[d] = (regs[a] == k) == eq`.
    CmpK {
        d: u16,
        a: u16,
        eq: bool,
        k: u64,
    },
    Not {
        d: u16,
        a: u16,
    },
    Jz {
        a: u16,
        t: u32,
    },
    Jnz {
        a: u16,
        t: u32,
    },
    Jmp {
        t: u32,
    },
    /// Jump to `t` if `regs[i] >= n` (a loop's exit test).
    JGe {
        i: u16,
        n: u32,
        t: u32,
    },
    /// `regs[i] += 1; goto t` (a loop's back edge).
    Next {
        i: u16,
        t: u32,
    },
    /// `regs[d] += (regs[a] != 0)`.
    CountIf {
        d: u16,
        a: u16,
    },
    /// Fails with `OutOfRange` at `at` if `regs[a] > max`.
    CheckLe {
        a: u16,
        at: u32,
        max: u64,
    },
    /// Writes `regs[a]` to a field of the written state.
    Store {
        a: u16,
        word: u16,
        shift: u8,
        mask: u64,
    },
    Ret {
        a: u16,
    },
}

/// One compiled piece of code and what it touches.
#[derive(Clone, Debug)]
pub struct Code {
    pub insns: Vec<Insn>,
    /// One more than the highest state word and local named.
    pub words: usize,
    pub locals: usize,
}

pub enum Compiled {
    Expr(Code),
    Transition { guard: Code, effect: Code },
}

impl Compiled {
    #[inline]
    pub fn run(&self, st: &[u64], next: &mut [u64], loc: &mut [u64]) -> Result<u64, Fault> {
        match self {
            Compiled::Expr(c) => c.eval(st, loc),
            Compiled::Transition { guard, effect } => {
                if guard.eval(st, loc)? == 0 {
                    return Ok(0);
                }
                next.copy_from_slice(st);
                effect.exec(next, loc)?;
                Ok(1)
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Compiled::Expr(c) => c.insns.len(),
            Compiled::Transition { guard, effect } => guard.insns.len() + effect.insns.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Code {
    /// Evaluates read-only code (an expression, a guard).
    #[inline]
    pub fn eval(&self, st: &[u64], loc: &mut [u64]) -> Result<u64, Fault> {
        assert!(st.len() >= self.words && loc.len() >= self.locals);
        // SAFETY: the code stores nothing (`Store` is emitted only by
        // `effect`), and every word it reads is below `self.words`.
        unsafe { interp(&self.insns, st.as_ptr(), std::ptr::null_mut(), loc) }
    }

    /// Runs an effect on `st`, which it reads and writes.
    #[inline]
    pub fn exec(&self, st: &mut [u64], loc: &mut [u64]) -> Result<u64, Fault> {
        assert!(st.len() >= self.words && loc.len() >= self.locals);
        let p = st.as_mut_ptr();
        // SAFETY: every word read or written is below `self.words`.
        unsafe { interp(&self.insns, p, p, loc) }
    }
}

#[inline(always)]
fn mask(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The interpreter. `rd` is read, `wr` written (null for read-only code).
///
/// # Safety
/// Every word the code names must be in bounds of `rd` (and `wr` if it
/// stores), every local in bounds of `loc`, every register below [`REGS`]
/// and every jump target inside the code, as [`compile`] guarantees.
#[inline(never)]
unsafe fn interp(
    code: &[Insn],
    rd: *const u64,
    wr: *mut u64,
    loc: &mut [u64],
) -> Result<u64, Fault> {
    // Not zeroed: `compile` writes every register before reading it.
    let mut r = [std::mem::MaybeUninit::<u64>::uninit(); REGS];
    let loc = loc.as_mut_ptr();
    let mut pc = 0usize;
    macro_rules! reg {
        ($i:expr) => {
            *r.get_unchecked_mut($i as usize).as_mut_ptr()
        };
    }
    macro_rules! word {
        ($w:expr) => {
            *rd.add($w as usize)
        };
    }
    loop {
        let insn = *code.get_unchecked(pc);
        pc += 1;
        match insn {
            Insn::Const { d, v } => reg!(d) = v,
            Insn::Local { d, s } => reg!(d) = *loc.add(s as usize),
            Insn::Bind { s, i, lo } => *loc.add(s as usize) = (lo as u64).wrapping_add(reg!(i)),
            Insn::Field {
                d,
                word,
                shift,
                mask,
            } => reg!(d) = (word!(word) >> shift) & mask,
            Insn::FieldEqK {
                d,
                word,
                shift,
                bits,
                eq,
                k,
            } => reg!(d) = ((((word!(word) >> shift) & mask(bits)) == k as u64) == eq) as u64,
            Insn::BrField {
                word,
                shift,
                bits,
                eq,
                k,
                t,
            } => {
                if (((word!(word) >> shift) & mask(bits)) == k as u64) == eq {
                    pc = t as usize;
                }
            }
            Insn::Digit {
                d,
                i,
                word,
                shift,
                width,
                bits,
            } => {
                let sh = (shift as u64).wrapping_add(reg!(i).wrapping_mul(width as u64));
                reg!(d) = word!(word).wrapping_shr(sh as u32) & mask(bits);
            }
            Insn::Add { d, a, b, at } => reg!(d) = binop(BinOp::Add, reg!(a), reg!(b), at)?,
            Insn::Sub { d, a, b, at } => reg!(d) = binop(BinOp::Sub, reg!(a), reg!(b), at)?,
            Insn::Mul { d, a, b, at } => reg!(d) = binop(BinOp::Mul, reg!(a), reg!(b), at)?,
            Insn::Div { d, a, b, at } => reg!(d) = binop(BinOp::Div, reg!(a), reg!(b), at)?,
            Insn::AddK { d, a, at, k } => {
                reg!(d) = binop(BinOp::Add, reg!(a), k as i64 as u64, at)?
            }
            Insn::MulK { d, a, at, k } => {
                reg!(d) = binop(BinOp::Mul, reg!(a), k as i64 as u64, at)?
            }
            Insn::Bit { d, a, b } => reg!(d) = reg!(a).wrapping_shr(reg!(b) as u32) & 1,
            Insn::DigitL {
                d,
                s,
                word,
                shift,
                width,
                bits,
            } => {
                let sh =
                    (shift as u64).wrapping_add((*loc.add(s as usize)).wrapping_mul(width as u64));
                reg!(d) = word!(word).wrapping_shr(sh as u32) & mask(bits);
            }
            Insn::Eq { d, a, b } => reg!(d) = (reg!(a) == reg!(b)) as u64,
            Insn::Ne { d, a, b } => reg!(d) = (reg!(a) != reg!(b)) as u64,
            Insn::Lt { d, a, b } => reg!(d) = ((reg!(a) as i64) < (reg!(b) as i64)) as u64,
            Insn::Le { d, a, b } => reg!(d) = ((reg!(a) as i64) <= (reg!(b) as i64)) as u64,
            Insn::Gt { d, a, b } => reg!(d) = ((reg!(a) as i64) > (reg!(b) as i64)) as u64,
            Insn::Ge { d, a, b } => reg!(d) = ((reg!(a) as i64) >= (reg!(b) as i64)) as u64,
            Insn::BitAnd { d, a, b } => reg!(d) = reg!(a) & reg!(b),
            Insn::BitOr { d, a, b } => reg!(d) = reg!(a) | reg!(b),
            Insn::Shl { d, a, b } => reg!(d) = reg!(a).wrapping_shl(reg!(b) as u32),
            Insn::Shr { d, a, b } => reg!(d) = reg!(a).wrapping_shr(reg!(b) as u32),
            Insn::CmpK { d, a, eq, k } => reg!(d) = ((reg!(a) == k) == eq) as u64,
            Insn::Not { d, a } => reg!(d) = (reg!(a) == 0) as u64,
            Insn::Jz { a, t } => {
                if reg!(a) == 0 {
                    pc = t as usize;
                }
            }
            Insn::Jnz { a, t } => {
                if reg!(a) != 0 {
                    pc = t as usize;
                }
            }
            Insn::Jmp { t } => pc = t as usize,
            Insn::JGe { i, n, t } => {
                if reg!(i) >= n as u64 {
                    pc = t as usize;
                }
            }
            Insn::Next { i, t } => {
                reg!(i) += 1;
                pc = t as usize;
            }
            Insn::CountIf { d, a } => reg!(d) += (reg!(a) != 0) as u64,
            Insn::CheckLe { a, at, max } => {
                if reg!(a) > max {
                    return Err(Fault {
                        kind: ErrKind::OutOfRange,
                        at,
                    });
                }
            }
            Insn::Store {
                a,
                word,
                shift,
                mask,
            } => {
                let m = mask << shift;
                let w = wr.add(word as usize);
                *w = (*w & !m) | ((reg!(a) << shift) & m);
            }
            Insn::Ret { a } => return Ok(reg!(a)),
        }
    }
}

// ---------------------------------------------------------------------
// The compiler.

struct Emitter {
    insns: Vec<Insn>,
    next_reg: u16,
    max_reg: u16,
    words: usize,
    locals: usize,
}

const HOLE: u32 = u32::MAX;

impl Emitter {
    fn new() -> Emitter {
        Emitter {
            insns: Vec::new(),
            next_reg: 0,
            max_reg: 0,
            words: 0,
            locals: 0,
        }
    }

    fn reg(&mut self) -> u16 {
        let r = self.next_reg;
        self.next_reg += 1;
        self.max_reg = self.max_reg.max(self.next_reg);
        assert!(
            (self.max_reg as usize) <= REGS,
            "expression needs more than {REGS} registers"
        );
        r
    }

    fn free_to(&mut self, r: u16) {
        self.next_reg = r;
    }

    fn emit(&mut self, i: Insn) -> usize {
        self.insns.push(i);
        self.insns.len() - 1
    }

    fn here(&self) -> u32 {
        self.insns.len() as u32
    }

    fn word(&mut self, w: u16) {
        self.words = self.words.max(w as usize + 1);
    }

    fn local(&mut self, s: u16) {
        self.locals = self.locals.max(s as usize + 1);
    }

    /// Points the jump at `at` to `t`.
    fn patch(&mut self, at: usize, t: u32) {
        match &mut self.insns[at] {
            Insn::Jz { t: x, .. }
            | Insn::Jnz { t: x, .. }
            | Insn::Jmp { t: x }
            | Insn::JGe { t: x, .. }
            | Insn::BrField { t: x, .. } => *x = t,
            other => unreachable!("not a jump: {other:?}"),
        }
    }

    fn finish(self) -> Code {
        Code {
            insns: self.insns,
            words: self.words,
            locals: self.locals,
        }
    }

    /// Code that leaves the value of `e` in register `d`.
    fn expr(&mut self, e: &Expr, d: u16) {
        match e {
            &Expr::Const(v) => {
                self.emit(Insn::Const { d, v });
            }
            &Expr::Local(s) => {
                self.local(s);
                self.emit(Insn::Local { d, s });
            }
            &Expr::Field(f) => {
                self.word(f.word);
                self.emit(Insn::Field {
                    d,
                    word: f.word,
                    shift: f.shift,
                    mask: f.mask(),
                });
            }
            Expr::Digit { base, width, index } => {
                self.word(base.word);
                if let Expr::Local(s) = **index {
                    self.local(s);
                    self.emit(Insn::DigitL {
                        d,
                        s,
                        word: base.word,
                        shift: base.shift,
                        width: *width,
                        bits: base.bits,
                    });
                    return;
                }
                let mark = self.next_reg;
                let i = self.reg();
                self.expr(index, i);
                self.emit(Insn::Digit {
                    d,
                    i,
                    word: base.word,
                    shift: base.shift,
                    width: *width,
                    bits: base.bits,
                });
                self.free_to(mark);
            }
            Expr::Bin(op, a, b, at) => self.bin(*op, a, b, *at, d),
            Expr::Not(a) => {
                self.expr(a, d);
                self.emit(Insn::Not { d, a: d });
            }
            Expr::And(_) | Expr::Or(_) => {
                // As a condition: jumps to the false case, then 1 or 0.
                let mut to_false = Vec::new();
                self.branch(e, false, &mut to_false);
                self.emit(Insn::Const { d, v: 1 });
                let j = self.emit(Insn::Jmp { t: HOLE });
                let f = self.here();
                for at in to_false {
                    self.patch(at, f);
                }
                self.emit(Insn::Const { d, v: 0 });
                let end = self.here();
                self.patch(j, end);
            }
            Expr::If(c, a, b) => {
                let mut to_else = Vec::new();
                self.branch(c, false, &mut to_else);
                self.expr(a, d);
                let j = self.emit(Insn::Jmp { t: HOLE });
                let els = self.here();
                for at in to_else {
                    self.patch(at, els);
                }
                self.expr(b, d);
                let end = self.here();
                self.patch(j, end);
            }
            Expr::Quant {
                q,
                slot,
                lo,
                n,
                body,
            } => self.quant(*q, *slot, *lo, *n, body, d),
        }
    }

    fn bin(&mut self, op: BinOp, a: &Expr, b: &Expr, at: u32, d: u16) {
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let eq = op == BinOp::Eq;
            if let Some((f, k)) = field_const(a, b) {
                self.word(f.word);
                self.emit(Insn::FieldEqK {
                    d,
                    word: f.word,
                    shift: f.shift,
                    bits: f.bits,
                    eq,
                    k,
                });
                return;
            }
            if let (x, Expr::Const(k)) | (Expr::Const(k), x) = (a, b) {
                self.expr(x, d);
                self.emit(Insn::CmpK { d, a: d, eq, k: *k });
                return;
            }
        }
        // `(set >> x) & 1`: one bit test.
        if let (BinOp::BitAnd, Expr::Bin(BinOp::Shr, set, x, _), Expr::Const(1)) = (op, a, b) {
            let mark = self.next_reg;
            self.expr(set, d);
            let rb = self.reg();
            self.expr(x, rb);
            self.emit(Insn::Bit { d, a: d, b: rb });
            self.free_to(mark);
            return;
        }
        // `x + k`, `x * k` with a small constant `k`.
        if let (BinOp::Add | BinOp::Mul, Expr::Const(kk)) = (op, b) {
            if let Ok(k) = i32::try_from(*kk as i64) {
                self.expr(a, d);
                self.emit(if op == BinOp::Add {
                    Insn::AddK { d, a: d, at, k }
                } else {
                    Insn::MulK { d, a: d, at, k }
                });
                return;
            }
        }
        let mark = self.next_reg;
        self.expr(a, d);
        let rb = self.reg();
        self.expr(b, rb);
        let (a, b) = (d, rb);
        self.emit(match op {
            BinOp::Add => Insn::Add { d, a, b, at },
            BinOp::Sub => Insn::Sub { d, a, b, at },
            BinOp::Mul => Insn::Mul { d, a, b, at },
            BinOp::Div => Insn::Div { d, a, b, at },
            BinOp::Eq => Insn::Eq { d, a, b },
            BinOp::Ne => Insn::Ne { d, a, b },
            BinOp::Lt => Insn::Lt { d, a, b },
            BinOp::Le => Insn::Le { d, a, b },
            BinOp::Gt => Insn::Gt { d, a, b },
            BinOp::Ge => Insn::Ge { d, a, b },
            BinOp::BitAnd => Insn::BitAnd { d, a, b },
            BinOp::BitOr => Insn::BitOr { d, a, b },
            BinOp::Shl => Insn::Shl { d, a, b },
            BinOp::Shr => Insn::Shr { d, a, b },
        });
        self.free_to(mark);
    }

    /// Code that jumps (the jumps' indices pushed to `out`, for patching)
    /// when `e` is `when`, and falls through otherwise.
    fn branch(&mut self, e: &Expr, when: bool, out: &mut Vec<usize>) {
        match e {
            Expr::Not(a) => self.branch(a, !when, out),
            Expr::And(ps) | Expr::Or(ps) => {
                // `and` jumps out on the first false part (`or`: true); if
                // that is the wanted value, those jumps are the result,
                // else they skip to the end.
                let decisive = matches!(e, Expr::Or(_));
                if when == decisive {
                    for p in ps {
                        self.branch(p, decisive, out);
                    }
                } else {
                    let mut skip = Vec::new();
                    let (last, init) = ps.split_last().expect("a junction has parts");
                    for p in init {
                        self.branch(p, decisive, &mut skip);
                    }
                    self.branch(last, when, out);
                    let end = self.here();
                    for at in skip {
                        self.patch(at, end);
                    }
                }
            }
            Expr::Bin(op @ (BinOp::Eq | BinOp::Ne), a, b, _) if field_const(a, b).is_some() => {
                let (f, k) = field_const(a, b).expect("checked");
                self.word(f.word);
                let eq = (*op == BinOp::Eq) == when;
                out.push(self.emit(Insn::BrField {
                    word: f.word,
                    shift: f.shift,
                    bits: f.bits,
                    eq,
                    k,
                    t: HOLE,
                }));
            }
            &Expr::Const(v) => {
                if (v != 0) == when {
                    out.push(self.emit(Insn::Jmp { t: HOLE }));
                }
            }
            _ => {
                let mark = self.next_reg;
                let r = self.reg();
                self.expr(e, r);
                out.push(self.emit(if when {
                    Insn::Jnz { a: r, t: HOLE }
                } else {
                    Insn::Jz { a: r, t: HOLE }
                }));
                self.free_to(mark);
            }
        }
    }

    fn quant(&mut self, q: Quant, slot: u16, lo: u64, n: u64, body: &Expr, d: u16) {
        let lo = u32::try_from(lo).expect("bytecode: a domain's low end must fit 32 bits");
        let n = u32::try_from(n).expect("bytecode: a domain must have < 2^32 elements");
        self.local(slot);
        let mark = self.next_reg;
        let i = self.reg();
        self.emit(Insn::Const { d: i, v: 0 });
        if q == Quant::Count {
            self.emit(Insn::Const { d, v: 0 });
        }
        let top = self.here();
        let exit = self.emit(Insn::JGe { i, n, t: HOLE });
        self.emit(Insn::Bind { s: slot, i, lo });
        let mut out = Vec::new();
        match q {
            Quant::Forall => self.branch(body, false, &mut out),
            Quant::Exists => self.branch(body, true, &mut out),
            Quant::Count => {
                let r = self.reg();
                self.expr(body, r);
                self.emit(Insn::CountIf { d, a: r });
            }
        }
        self.emit(Insn::Next { i, t: top });
        let done = self.here();
        self.patch(exit, done);
        if q != Quant::Count {
            // Ran through: forall is true, exists false; jumped out: the
            // opposite.
            let all = (q == Quant::Forall) as u64;
            self.emit(Insn::Const { d, v: all });
            let j = self.emit(Insn::Jmp { t: HOLE });
            let early = self.here();
            for at in out {
                self.patch(at, early);
            }
            self.emit(Insn::Const { d, v: 1 - all });
            let end = self.here();
            self.patch(j, end);
        }
        self.free_to(mark);
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Set {
                field,
                max,
                value,
                at,
            } => {
                self.word(field.word);
                let mark = self.next_reg;
                let r = self.reg();
                self.expr(value, r);
                self.emit(Insn::CheckLe {
                    a: r,
                    at: *at,
                    max: *max,
                });
                self.emit(Insn::Store {
                    a: r,
                    word: field.word,
                    shift: field.shift,
                    mask: field.mask(),
                });
                self.free_to(mark);
            }
            Stmt::If(c, a, b) => {
                let mut to_else = Vec::new();
                self.branch(c, false, &mut to_else);
                for s in a {
                    self.stmt(s);
                }
                let j = self.emit(Insn::Jmp { t: HOLE });
                let els = self.here();
                for at in to_else {
                    self.patch(at, els);
                }
                for s in b {
                    self.stmt(s);
                }
                let end = self.here();
                self.patch(j, end);
            }
        }
    }
}

/// `field == k` (either side) with `k` small enough for a fused
/// instruction.
fn field_const(a: &Expr, b: &Expr) -> Option<(Field, u32)> {
    match (a, b) {
        (Expr::Field(f), Expr::Const(k)) | (Expr::Const(k), Expr::Field(f)) => {
            Some((*f, u32::try_from(*k).ok()?))
        }
        _ => None,
    }
}

pub fn compile_expr(e: &Expr) -> Code {
    let mut em = Emitter::new();
    let r = em.reg();
    em.expr(e, r);
    em.emit(Insn::Ret { a: r });
    em.finish()
}

pub fn compile_effect(ss: &[Stmt]) -> Code {
    let mut em = Emitter::new();
    for s in ss {
        em.stmt(s);
    }
    let r = em.reg();
    em.emit(Insn::Const { d: r, v: 1 });
    em.emit(Insn::Ret { a: r });
    em.finish()
}

pub fn compile(p: &Program) -> Compiled {
    match p {
        Program::Expr(e) => Compiled::Expr(compile_expr(e)),
        Program::Transition { guard, effect } => Compiled::Transition {
            guard: compile_expr(guard),
            effect: compile_effect(effect),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn instructions_are_16_bytes() {
        assert_eq!(std::mem::size_of::<super::Insn>(), 16);
    }
}
