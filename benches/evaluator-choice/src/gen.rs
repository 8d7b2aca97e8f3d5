//! Random programs for the agreement tests: every node kind, constants at
//! the edges of `i64` (overflow), divisors that may be 0, stores whose
//! range check may fail, fields anywhere in two words.

use crate::ir::{BinOp, Expr, Field, Program, Quant, Stmt};
use crate::rng::Rng;

/// Locals 0 and 1 are parameters; quantifiers bind 2, 3, ... by depth.
pub const PARAMS: u16 = 2;
pub const WORDS: usize = 2;
pub const LOCALS: usize = 8;

const EDGES: [u64; 10] = [
    0,
    1,
    2,
    3,
    7,
    63,
    64,
    i64::MAX as u64,
    i64::MIN as u64,
    u64::MAX,
];

pub struct Gen {
    pub rng: Rng,
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng::new(seed),
        }
    }

    fn konst(&mut self) -> u64 {
        if self.rng.below(3) == 0 {
            self.rng.next_u64()
        } else {
            EDGES[self.rng.below(EDGES.len() as u64) as usize]
        }
    }

    fn field(&mut self) -> Field {
        let wide = self.rng.below(8) == 0;
        let bits = 1 + self.rng.below(if wide { 64 } else { 6 }) as u8;
        let shift = self.rng.below(65 - bits as u64) as u8;
        Field::new(self.rng.below(WORDS as u64) as u16, shift, bits)
    }

    /// A random expression of depth at most `depth`, with `bound` locals
    /// bound by enclosing quantifiers.
    pub fn expr(&mut self, depth: u32, bound: u16) -> Expr {
        let leaf = depth == 0 || self.rng.below(4) == 0;
        if leaf {
            return match self.rng.below(3) {
                0 => Expr::Const(self.konst()),
                1 => Expr::Local(self.rng.below((PARAMS + bound) as u64) as u16),
                _ => Expr::Field(self.field()),
            };
        }
        let d = depth - 1;
        match self.rng.below(9) {
            0 => Expr::Digit {
                base: self.field(),
                width: self.rng.below(9) as u8,
                index: Box::new(self.expr(d, bound)),
            },
            1..=3 => {
                let op = BinOp::ALL[self.rng.below(BinOp::ALL.len() as u64) as usize];
                Expr::Bin(
                    op,
                    Box::new(self.expr(d, bound)),
                    Box::new(self.expr(d, bound)),
                    self.rng.below(1000) as u32,
                )
            }
            4 => Expr::Not(Box::new(self.expr(d, bound))),
            5 => {
                let n = 1 + self.rng.below(4);
                let ps = (0..n).map(|_| self.expr(d, bound)).collect();
                if self.rng.below(2) == 0 {
                    Expr::And(ps)
                } else {
                    Expr::Or(ps)
                }
            }
            6 => Expr::If(
                Box::new(self.expr(d, bound)),
                Box::new(self.expr(d, bound)),
                Box::new(self.expr(d, bound)),
            ),
            _ if (PARAMS + bound) as usize >= LOCALS => Expr::Const(self.konst()),
            _ => {
                let q = [Quant::Forall, Quant::Exists, Quant::Count][self.rng.below(3) as usize];
                Expr::Quant {
                    q,
                    slot: PARAMS + bound,
                    lo: self.rng.below(5),
                    n: self.rng.below(6),
                    body: Box::new(self.expr(d, bound + 1)),
                }
            }
        }
    }

    fn stmt(&mut self, depth: u32) -> Stmt {
        if depth > 0 && self.rng.below(4) == 0 {
            let a = (0..self.rng.below(3))
                .map(|_| self.stmt(depth - 1))
                .collect();
            let b = (0..self.rng.below(3))
                .map(|_| self.stmt(depth - 1))
                .collect();
            return Stmt::If(self.expr(3, 0), a, b);
        }
        let field = self.field();
        Stmt::Set {
            field,
            // Sometimes below the field's range: the check can fail.
            max: if self.rng.below(2) == 0 {
                field.mask()
            } else {
                self.rng.below(field.mask().min(64))
            },
            value: self.expr(3, 0),
            at: self.rng.below(1000) as u32,
        }
    }

    pub fn program(&mut self) -> Program {
        if self.rng.below(3) == 0 {
            Program::Transition {
                guard: self.expr(4, 0),
                effect: (0..1 + self.rng.below(4)).map(|_| self.stmt(2)).collect(),
            }
        } else {
            Program::Expr(self.expr(5, 0))
        }
    }

    pub fn state(&mut self) -> Vec<u64> {
        (0..WORDS)
            .map(|_| {
                if self.rng.below(4) == 0 {
                    self.konst()
                } else {
                    self.rng.next_u64()
                }
            })
            .collect()
    }

    pub fn locals(&mut self) -> Vec<u64> {
        (0..LOCALS).map(|_| self.konst()).collect()
    }
}
