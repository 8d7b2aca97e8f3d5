//! Back end 3: native code through Cranelift (`cranelift-jit`,
//! `cranelift-frontend`, `cranelift-codegen`, `cranelift-module`,
//! `cranelift-native`). Each piece of code becomes one function
//!
//! ```text
//! extern "C" fn(rd: *const u64, wr: *mut u64, loc: *mut u64, err: *mut u64) -> u64
//! ```
//!
//! reading state words from `rd`, writing them through `wr` (effects only;
//! an effect gets the same pointer for both), action parameters from
//! `loc`. An evaluation error stores `Fault::pack` to `*err` and returns 0
//! (the out-of-band error flag). Quantifier-bound locals live in SSA
//! variables (registers), not in `loc`.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, BlockArg, InstBuilder, MemFlagsData, UserFuncName, Value,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};

use std::sync::Arc;

use crate::ir::{BinOp, ErrKind, Expr, Fault, Program, Quant, Stmt};

type RawFn = unsafe extern "C" fn(*const u64, *mut u64, *mut u64, *mut u64) -> u64;

/// The host ISA, built once (what dcheck would do once per process).
pub fn host_isa() -> OwnedTargetIsa {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").expect("flag");
    flags.set("use_colocated_libcalls", "false").expect("flag");
    flags.set("is_pic", "false").expect("flag");
    cranelift_native::builder()
        .expect("host machine is not supported by Cranelift")
        .finish(settings::Flags::new(flags))
        .expect("ISA")
}

/// One compiled program: its module (owning the code) and entry points.
pub struct Compiled {
    _module: Arc<Owner>,
    kind: Kind,
    /// Bounds the code reads and writes, checked at every call.
    words: usize,
    locals: usize,
}

enum Kind {
    Expr(RawFn),
    Transition { guard: RawFn, effect: RawFn },
}

/// The module that owns the code of some `Compiled`s (never freed before
/// them).
struct Owner(#[allow(dead_code)] JITModule);

// SAFETY: the code is immutable once finalized and only touches its
// arguments; the module is not used again after finalizing.
unsafe impl Send for Owner {}
unsafe impl Sync for Owner {}
unsafe impl Send for Compiled {}
unsafe impl Sync for Compiled {}

impl Compiled {
    #[inline]
    pub fn run(&self, st: &[u64], next: &mut [u64], loc: &mut [u64]) -> Result<u64, Fault> {
        assert!(st.len() >= self.words && next.len() >= st.len() && loc.len() >= self.locals);
        let mut err = 0u64;
        // SAFETY: the code reads only state words below `self.words` and
        // locals below `self.locals`; an effect writes only below
        // `self.words` of `next`.
        unsafe {
            match self.kind {
                Kind::Expr(f) => {
                    let v = f(
                        st.as_ptr(),
                        std::ptr::null_mut(),
                        loc.as_mut_ptr(),
                        &mut err,
                    );
                    if err != 0 {
                        return Err(Fault::unpack(err).expect("a fault"));
                    }
                    Ok(v)
                }
                Kind::Transition { guard, effect } => {
                    let g = guard(
                        st.as_ptr(),
                        std::ptr::null_mut(),
                        loc.as_mut_ptr(),
                        &mut err,
                    );
                    if err != 0 {
                        return Err(Fault::unpack(err).expect("a fault"));
                    }
                    if g == 0 {
                        return Ok(0);
                    }
                    next.copy_from_slice(st);
                    let p = next.as_mut_ptr();
                    effect(p, p, loc.as_mut_ptr(), &mut err);
                    if err != 0 {
                        return Err(Fault::unpack(err).expect("a fault"));
                    }
                    Ok(1)
                }
            }
        }
    }
}

/// Compiles a program into a module of its own, finalized.
pub fn compile(isa: &OwnedTargetIsa, p: &Program) -> Compiled {
    compile_all(isa, std::slice::from_ref(p))
        .pop()
        .expect("one program")
}

/// Compiles programs into one module (as dcheck would compile a spec's
/// code), finalized once.
pub fn compile_all(isa: &OwnedTargetIsa, ps: &[Program]) -> Vec<Compiled> {
    let mut module = JITModule::new(JITBuilder::with_isa(isa.clone(), default_libcall_names()));
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let mut define = |module: &mut JITModule, name: String, body: Body| {
        let config = module.target_config();
        let ptr = config.pointer_type();
        let mut sig = module.make_signature();
        for _ in 0..4 {
            sig.params.push(AbiParam::new(ptr));
        }
        sig.returns.push(AbiParam::new(types::I64));
        let id = module
            .declare_function(&name, Linkage::Local, &sig)
            .expect("declare");
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let b;
        {
            let fb = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut g = Gen::new(fb);
            g.body(body);
            b = (g.words, g.locals);
            g.b.seal_all_blocks();
            g.b.finalize(config);
        }
        module.define_function(id, &mut ctx).expect("define");
        module.clear_context(&mut ctx);
        (id, b)
    };
    let mut defined = Vec::new();
    for (i, p) in ps.iter().enumerate() {
        defined.push(match p {
            Program::Expr(e) => {
                let (id, b) = define(&mut module, format!("expr{i}"), Body::Expr(e));
                (vec![id], b)
            }
            Program::Transition { guard, effect } => {
                let (g, bg) = define(&mut module, format!("guard{i}"), Body::Expr(guard));
                let (e, be) = define(&mut module, format!("effect{i}"), Body::Effect(effect));
                (vec![g, e], (bg.0.max(be.0), bg.1.max(be.1)))
            }
        });
    }
    module.finalize_definitions().expect("finalize");
    let f = |id| -> RawFn {
        // SAFETY: defined above with this signature.
        unsafe { std::mem::transmute::<*const u8, RawFn>(module.get_finalized_function(id)) }
    };
    let kinds: Vec<(Kind, (usize, usize))> = defined
        .into_iter()
        .map(|(ids, b)| {
            let kind = match ids[..] {
                [e] => Kind::Expr(f(e)),
                [g, e] => Kind::Transition {
                    guard: f(g),
                    effect: f(e),
                },
                _ => unreachable!(),
            };
            (kind, b)
        })
        .collect();
    let owner = Arc::new(Owner(module));
    kinds
        .into_iter()
        .map(|(kind, (words, locals))| Compiled {
            _module: owner.clone(),
            kind,
            words,
            locals,
        })
        .collect()
}

enum Body<'a> {
    Expr(&'a Expr),
    Effect(&'a [Stmt]),
}

struct Gen<'f> {
    b: FunctionBuilder<'f>,
    rd: Value,
    wr: Value,
    loc: Value,
    err: Value,
    /// The error exit: stores its parameter (a packed `Fault`) to `*err`,
    /// returns 0.
    fail: cranelift_codegen::ir::Block,
    /// Quantifier-bound locals in scope: slot and its SSA variable.
    bound: Vec<(u16, Variable)>,
    words: usize,
    locals: usize,
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

fn arg(v: Value) -> BlockArg {
    BlockArg::Value(v)
}

impl<'f> Gen<'f> {
    fn new(mut b: FunctionBuilder<'f>) -> Gen<'f> {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let ps = b.block_params(entry).to_vec();
        let fail = b.create_block();
        b.append_block_param(fail, types::I64);
        b.set_cold_block(fail);
        Gen {
            b,
            rd: ps[0],
            wr: ps[1],
            loc: ps[2],
            err: ps[3],
            fail,
            bound: Vec::new(),
            words: 0,
            locals: 0,
        }
    }

    fn body(&mut self, body: Body) {
        let v = match body {
            Body::Expr(e) => self.expr(e),
            Body::Effect(ss) => {
                for s in ss {
                    self.stmt(s);
                }
                self.b.ins().iconst(types::I64, 1)
            }
        };
        self.b.ins().return_(&[v]);
        // The error exit.
        self.b.switch_to_block(self.fail);
        let code = self.b.block_params(self.fail)[0];
        self.b.ins().store(flags(), code, self.err, 0);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().return_(&[zero]);
    }

    /// Branches to the error exit with `f` if `cond` (an `i8`) is set.
    fn fail_if(&mut self, cond: Value, f: Fault) {
        let ok = self.b.create_block();
        let code = self.b.ins().iconst(types::I64, f.pack() as i64);
        self.b.ins().brif(cond, self.fail, &[arg(code)], ok, &[]);
        self.b.switch_to_block(ok);
    }

    fn bool64(&mut self, c: Value) -> Value {
        self.b.ins().uextend(types::I64, c)
    }

    fn word(&mut self, base: Value, w: u16) -> Value {
        self.words = self.words.max(w as usize + 1);
        self.b.ins().load(types::I64, flags(), base, (w as i32) * 8)
    }

    fn expr(&mut self, e: &Expr) -> Value {
        self.expr_on(e, self.rd)
    }

    /// `e` reading the state at `base` (`rd` for guards, `wr` for effects).
    fn expr_on(&mut self, e: &Expr, base: Value) -> Value {
        match e {
            &Expr::Const(v) => self.b.ins().iconst(types::I64, v as i64),
            &Expr::Local(s) => {
                if let Some(&(_, var)) = self.bound.iter().rev().find(|(x, _)| *x == s) {
                    return self.b.use_var(var);
                }
                self.locals = self.locals.max(s as usize + 1);
                self.b
                    .ins()
                    .load(types::I64, flags(), self.loc, (s as i32) * 8)
            }
            &Expr::Field(f) => {
                let w = self.word(base, f.word);
                let v = self.b.ins().ushr_imm_u(w, f.shift as i64);
                self.b.ins().band_imm_u(v, f.mask() as i64)
            }
            Expr::Digit {
                base: f,
                width,
                index,
            } => {
                let i = self.expr_on(index, base);
                let w = self.word(base, f.word);
                let sh = self.b.ins().imul_imm_u(i, *width as i64);
                let sh = self.b.ins().iadd_imm_s(sh, f.shift as i64);
                // `ushr` takes the amount modulo 64, as `wrapping_shr`.
                let v = self.b.ins().ushr(w, sh);
                self.b.ins().band_imm_u(v, f.mask() as i64)
            }
            Expr::Bin(op, a, b, at) => {
                let x = self.expr_on(a, base);
                let y = self.expr_on(b, base);
                self.bin(*op, x, y, *at)
            }
            Expr::Not(a) => {
                let x = self.expr_on(a, base);
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, x, 0);
                self.bool64(c)
            }
            Expr::And(ps) => self.junction(ps, false, base),
            Expr::Or(ps) => self.junction(ps, true, base),
            Expr::If(c, a, b) => {
                let (then, els, join) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                let r = self.b.append_block_param(join, types::I64);
                let c = self.expr_on(c, base);
                self.b.ins().brif(c, then, &[], els, &[]);
                self.b.switch_to_block(then);
                let x = self.expr_on(a, base);
                self.b.ins().jump(join, &[arg(x)]);
                self.b.switch_to_block(els);
                let y = self.expr_on(b, base);
                self.b.ins().jump(join, &[arg(y)]);
                self.b.switch_to_block(join);
                r
            }
            Expr::Quant {
                q,
                slot,
                lo,
                n,
                body,
            } => self.quant(*q, *slot, *lo, *n, body, base),
        }
    }

    fn junction(&mut self, ps: &[Expr], decisive: bool, base: Value) -> Value {
        let exit = self.b.create_block();
        let r = self.b.append_block_param(exit, types::I64);
        let dec = self.b.ins().iconst(types::I64, decisive as i64);
        for p in ps {
            let v = self.expr_on(p, base);
            let next = self.b.create_block();
            if decisive {
                self.b.ins().brif(v, exit, &[arg(dec)], next, &[]);
            } else {
                self.b.ins().brif(v, next, &[], exit, &[arg(dec)]);
            }
            self.b.switch_to_block(next);
        }
        let other = self.b.ins().iconst(types::I64, (!decisive) as i64);
        self.b.ins().jump(exit, &[arg(other)]);
        self.b.switch_to_block(exit);
        r
    }

    fn quant(&mut self, q: Quant, slot: u16, lo: u64, n: u64, body: &Expr, base: Value) -> Value {
        let i = self.b.declare_var(types::I64);
        let acc = self.b.declare_var(types::I64);
        let x = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(i, zero);
        self.b.def_var(acc, zero);
        let (head, body_b, cont, done, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let r = self.b.append_block_param(exit, types::I64);
        self.b.ins().jump(head, &[]);

        self.b.switch_to_block(head);
        let iv = self.b.use_var(i);
        let end = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, iv, n as i64);
        self.b.ins().brif(end, done, &[], body_b, &[]);

        self.b.switch_to_block(body_b);
        let iv = self.b.use_var(i);
        let xv = self.b.ins().iadd_imm_s(iv, lo as i64);
        self.b.def_var(x, xv);
        self.bound.push((slot, x));
        let v = self.expr_on(body, base);
        self.bound.pop();
        match q {
            Quant::Forall => {
                let f = self.b.ins().iconst(types::I64, 0);
                self.b.ins().brif(v, cont, &[], exit, &[arg(f)]);
            }
            Quant::Exists => {
                let t = self.b.ins().iconst(types::I64, 1);
                self.b.ins().brif(v, exit, &[arg(t)], cont, &[]);
            }
            Quant::Count => {
                let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, v, 0);
                let c = self.bool64(c);
                let a = self.b.use_var(acc);
                let a = self.b.ins().iadd(a, c);
                self.b.def_var(acc, a);
                self.b.ins().jump(cont, &[]);
            }
        }

        self.b.switch_to_block(cont);
        let iv = self.b.use_var(i);
        let iv = self.b.ins().iadd_imm_s(iv, 1);
        self.b.def_var(i, iv);
        self.b.ins().jump(head, &[]);

        self.b.switch_to_block(done);
        let all = match q {
            Quant::Forall => self.b.ins().iconst(types::I64, 1),
            Quant::Exists => self.b.ins().iconst(types::I64, 0),
            Quant::Count => self.b.use_var(acc),
        };
        self.b.ins().jump(exit, &[arg(all)]);
        self.b.switch_to_block(exit);
        r
    }

    fn bin(&mut self, op: BinOp, x: Value, y: Value, at: u32) -> Value {
        let overflow = Fault {
            kind: ErrKind::Overflow,
            at,
        };
        let cmp = |g: &mut Gen, cc: IntCC| {
            let c = g.b.ins().icmp(cc, x, y);
            g.bool64(c)
        };
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul => {
                let (v, of) = match op {
                    BinOp::Add => self.b.ins().sadd_overflow(x, y),
                    BinOp::Sub => self.b.ins().ssub_overflow(x, y),
                    _ => self.b.ins().smul_overflow(x, y),
                };
                self.fail_if(of, overflow);
                v
            }
            BinOp::Div => {
                let z = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
                self.fail_if(
                    z,
                    Fault {
                        kind: ErrKind::DivByZero,
                        at,
                    },
                );
                let a = self.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                let b = self.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
                let both = self.b.ins().band(a, b);
                self.fail_if(both, overflow);
                self.b.ins().sdiv(x, y)
            }
            BinOp::Eq => cmp(self, IntCC::Equal),
            BinOp::Ne => cmp(self, IntCC::NotEqual),
            BinOp::Lt => cmp(self, IntCC::SignedLessThan),
            BinOp::Le => cmp(self, IntCC::SignedLessThanOrEqual),
            BinOp::Gt => cmp(self, IntCC::SignedGreaterThan),
            BinOp::Ge => cmp(self, IntCC::SignedGreaterThanOrEqual),
            BinOp::BitAnd => self.b.ins().band(x, y),
            BinOp::BitOr => self.b.ins().bor(x, y),
            BinOp::Shl => self.b.ins().ishl(x, y),
            BinOp::Shr => self.b.ins().ushr(x, y),
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Set {
                field,
                max,
                value,
                at,
            } => {
                let v = self.expr_on(value, self.wr);
                let big = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::UnsignedGreaterThan, v, *max as i64);
                self.fail_if(
                    big,
                    Fault {
                        kind: ErrKind::OutOfRange,
                        at: *at,
                    },
                );
                let w = self.word(self.wr, field.word);
                let m = field.mask() << field.shift;
                let keep = self.b.ins().band_imm_u(w, !m as i64);
                let v = self.b.ins().ishl_imm_u(v, field.shift as i64);
                let v = self.b.ins().band_imm_u(v, m as i64);
                let nw = self.b.ins().bor(keep, v);
                self.b
                    .ins()
                    .store(flags(), nw, self.wr, (field.word as i32) * 8);
            }
            Stmt::If(c, a, b) => {
                let (then, els, join) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                let c = self.expr_on(c, self.wr);
                self.b.ins().brif(c, then, &[], els, &[]);
                self.b.switch_to_block(then);
                for s in a {
                    self.stmt(s);
                }
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(els);
                for s in b {
                    self.stmt(s);
                }
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(join);
            }
        }
    }
}
