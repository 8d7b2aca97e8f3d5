//! Rewrites the code of a role's steps and handlers into core-language code:
//! a role variable `v` becomes `v[self]` (the calling process's element of
//! the map the lowering makes of it), and `send` / `broadcast` become
//! operations on the network variable.

use std::collections::HashSet;

use dcheck_syntax::ast::{Binder, Block, Expr, ExprKind, Stmt, StmtKind};
use dcheck_syntax::diag::Diagnostic;

use crate::build;
use crate::network::Network;

/// Rewriting context for the code of one role.
pub struct RoleCode<'a> {
    pub role: &'a str,
    pub vars: &'a HashSet<String>,
    pub net: &'a Network,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Under Byzantine faults, messages to Byzantine processes are dropped
    /// at the send: their behaviour does not depend on what they receive.
    pub byzantine: bool,
    /// Names bound inside the code being rewritten (they shadow role vars).
    bound: Vec<String>,
}

impl<'a> RoleCode<'a> {
    pub fn new(
        role: &'a str,
        vars: &'a HashSet<String>,
        net: &'a Network,
        diags: &'a mut Vec<Diagnostic>,
    ) -> RoleCode<'a> {
        RoleCode {
            role,
            vars,
            net,
            diags,
            byzantine: false,
            bound: Vec::new(),
        }
    }

    fn is_role_var(&self, n: &str) -> bool {
        self.vars.contains(n) && !self.bound.iter().any(|b| b == n)
    }

    fn binders(&mut self, bs: &mut [Binder]) -> usize {
        let mut k = 0;
        for b in bs.iter_mut() {
            self.expr(&mut b.domain);
            for id in b.bound() {
                self.bound.push(id.name.clone());
                k += 1;
            }
        }
        k
    }

    fn unbind(&mut self, n: usize) {
        self.bound.truncate(self.bound.len() - n);
    }

    pub fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Name(n) if self.is_role_var(&n.name) => {
                let span = e.span;
                let var = build::name(&n.name, n.span);
                *e = build::index(var, build::name("self", span), span);
            }
            ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Name(_) => {}
            ExprKind::Call(_, args)
            | ExprKind::SetLit(args)
            | ExprKind::SeqLit(args)
            | ExprKind::TupleLit(args) => {
                args.iter_mut().for_each(|a| self.expr(a));
            }
            ExprKind::Field(b, _) | ExprKind::TupleField(b, _) | ExprKind::Unary(_, b) => {
                self.expr(b)
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::If(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::Let(n, v, body) => {
                self.expr(v);
                self.bound.push(n.name.clone());
                self.expr(body);
                self.unbind(1);
            }
            ExprKind::Quant(_, bs, body) => {
                let k = self.binders(bs);
                self.expr(body);
                self.unbind(k);
            }
            ExprKind::RecordLit(fields) => fields.iter_mut().for_each(|(_, v)| self.expr(v)),
            ExprKind::MapLit(b, body) | ExprKind::Choose(b, body) => {
                let k = self.binders(std::slice::from_mut(b));
                self.expr(body);
                self.unbind(k);
            }
            ExprKind::SetComp(el, bs, cond) => {
                let k = self.binders(bs);
                self.expr(el);
                if let Some(c) = cond {
                    self.expr(c);
                }
                self.unbind(k);
            }
            ExprKind::Match(e, arms) => {
                self.expr(e);
                for arm in arms {
                    let names: Vec<String> = arm.bound().map(|i| i.name.clone()).collect();
                    let k = names.len();
                    self.bound.extend(names);
                    self.expr(&mut arm.body);
                    self.unbind(k);
                }
            }
        }
    }

    /// A step's or handler's guard and effect, rewritten.
    pub fn rewrite(&mut self, guard: Option<&Expr>, effect: &Block) -> (Option<Expr>, Block) {
        let mut guard = guard.cloned();
        if let Some(g) = &mut guard {
            self.expr(g);
        }
        let mut effect = effect.clone();
        self.block(&mut effect);
        (guard, effect)
    }

    /// A send, dropped when the receiver is Byzantine.
    fn send(&self, me: Expr, dst: Expr, msg: Expr, span: dcheck_syntax::span::Span) -> Stmt {
        let send = self.net.send(me, dst.clone(), msg, span);
        if !self.byzantine {
            return send;
        }
        let to_byzantine = build::bin(
            dcheck_syntax::ast::BinOp::In,
            dst,
            build::name("byzantine", span),
            span,
        );
        build::stmt(
            StmtKind::If(
                build::not(to_byzantine, span),
                build::block(vec![send], span),
                None,
            ),
            span,
        )
    }

    pub fn block(&mut self, b: &mut Block) {
        let depth = self.bound.len();
        let stmts = std::mem::take(&mut b.stmts);
        for s in stmts {
            self.stmt(s, &mut b.stmts);
        }
        self.bound.truncate(depth);
    }

    /// Rewrites `s` and pushes the result (one or more statements) to `out`.
    fn stmt(&mut self, mut s: Stmt, out: &mut Vec<Stmt>) {
        let span = s.span;
        match &mut s.kind {
            StmtKind::Assign(place, value) => {
                self.expr(place);
                self.expr(value);
            }
            StmtKind::Let(n, v) => {
                self.expr(v);
                self.bound.push(n.name.clone());
            }
            StmtKind::If(c, t, e) => {
                self.expr(c);
                self.block(t);
                if let Some(e) = e {
                    self.block(e);
                }
            }
            StmtKind::Require(c) => self.expr(c),
            StmtKind::For(bs, body) | StmtKind::With(bs, body) => {
                let k = self.binders(bs);
                self.block(body);
                self.unbind(k);
            }
            StmtKind::Either(branches) => {
                for b in branches {
                    self.block(b);
                }
            }
            StmtKind::Call(f, args) if f.name == "send" || f.name == "broadcast" => {
                let is_send = f.name == "send";
                let fspan = f.span;
                if args.len() != 2 {
                    self.diags.push(
                        Diagnostic::new(span, format!("`{}` takes two arguments", f.name)).help(
                            if is_send {
                                "send(destination process, message), e.g. send(TM(1), Prepared)"
                            } else {
                                "broadcast(Role, message), e.g. broadcast(RM, Commit)"
                            },
                        ),
                    );
                    return;
                }
                let mut args = std::mem::take(args);
                args.iter_mut().for_each(|a| self.expr(a));
                let msg = args.pop().expect("two arguments");
                let target = args.pop().expect("two arguments");
                let me = build::process(self.role, build::name("self", span), span);
                if is_send {
                    out.push(self.send(me, target, msg, span));
                } else {
                    let ExprKind::Name(role) = &target.kind else {
                        self.diags.push(
                            Diagnostic::new(
                                target.span,
                                "`broadcast` sends to every process of a role",
                            )
                            .help("name the role: broadcast(RM, Commit)"),
                        );
                        return;
                    };
                    let i = "broadcast_to";
                    let dst = build::process(&role.name, build::name(i, fspan), fspan);
                    let body = vec![self.send(me, dst, msg, span)];
                    out.push(build::for_each(i, target.clone(), body, span));
                }
                return;
            }
            StmtKind::Call(_, args) => args.iter_mut().for_each(|a| self.expr(a)),
        }
        out.push(s);
    }
}
