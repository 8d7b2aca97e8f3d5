//! Small constructors for AST nodes the lowering generates. Every node gets
//! the span of the spec item it comes from, so a diagnostic or evaluation
//! error in generated code points at the user's text.

use dcheck_syntax::ast::{
    BinOp, Binder, Block, Expr, ExprKind, Ident, Param, Stmt, StmtKind, TypeExpr, TypeKind, UnOp,
};
use dcheck_syntax::span::Span;

pub fn ident(name: &str, span: Span) -> Ident {
    Ident {
        name: name.to_string(),
        span,
    }
}

pub fn name(n: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(ident(n, span)),
        span,
    }
}

pub fn call(f: &str, args: Vec<Expr>, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Call(ident(f, span), args),
        span,
    }
}

pub fn tuple(items: Vec<Expr>, span: Span) -> Expr {
    Expr {
        kind: ExprKind::TupleLit(items),
        span,
    }
}

pub fn index(base: Expr, key: Expr, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Index(Box::new(base), Box::new(key)),
        span,
    }
}

pub fn bin(op: BinOp, a: Expr, b: Expr, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
        span,
    }
}

pub fn not(a: Expr, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Unary(UnOp::Not, Box::new(a)),
        span,
    }
}

pub fn int(i: i64, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Int(i),
        span,
    }
}

/// `a and b`, where either may be absent.
pub fn and(a: Option<Expr>, b: Option<Expr>, span: Span) -> Option<Expr> {
    match (a, b) {
        (Some(a), Some(b)) => Some(bin(BinOp::And, a, b, span)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// A value of role `role` for process id `id`: `Role(id)`.
pub fn process(role: &str, id: Expr, span: Span) -> Expr {
    call(role, vec![id], span)
}

/// `Msg` or `Msg(a, b)`.
pub fn message(msg: &str, fields: Vec<Expr>, span: Span) -> Expr {
    if fields.is_empty() {
        name(msg, span)
    } else {
        call(msg, fields, span)
    }
}

pub fn stmt(kind: StmtKind, span: Span) -> Stmt {
    Stmt { kind, span }
}

pub fn call_stmt(f: &str, args: Vec<Expr>, span: Span) -> Stmt {
    stmt(StmtKind::Call(ident(f, span), args), span)
}

pub fn assign(place: Expr, value: Expr, span: Span) -> Stmt {
    stmt(StmtKind::Assign(place, value), span)
}

pub fn block(stmts: Vec<Stmt>, span: Span) -> Block {
    Block { stmts, span }
}

/// `var in domain`.
pub fn binder(var: &str, domain: Expr, span: Span) -> Binder {
    Binder {
        name: ident(var, span),
        domain,
        pattern: None,
        span,
    }
}

pub fn for_each(var: &str, domain: Expr, body: Vec<Stmt>, span: Span) -> Stmt {
    stmt(
        StmtKind::For(vec![binder(var, domain, span)], block(body, span)),
        span,
    )
}

pub fn ty(kind: TypeKind, span: Span) -> TypeExpr {
    TypeExpr { kind, span }
}

pub fn named_ty(n: &str, span: Span) -> TypeExpr {
    ty(TypeKind::Named(ident(n, span)), span)
}

pub fn param(n: &str, t: TypeExpr, span: Span) -> Param {
    Param {
        name: ident(n, span),
        ty: t,
    }
}
