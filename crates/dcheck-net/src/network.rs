//! Network semantics: which state variable holds the messages in flight and
//! what sending, delivering and losing a message do to it. Selected by the
//! spec's `network` section, overridable with `--network`.

use dcheck_syntax::ast::{ActionDecl, BinOp, Expr, NetworkDecl, Stmt, TypeKind, VarDecl};
use dcheck_syntax::span::Span;

use crate::build;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A bag of `(sender, receiver, message)`: any message may be delivered next.
    Unordered,
    /// One queue per ordered pair of processes.
    Fifo,
}

/// The chosen semantics.
#[derive(Clone, Debug)]
pub struct Network {
    pub delivery: Delivery,
    /// A delivered message stays in flight (TLA+'s message-set semantics).
    pub duplicating: bool,
    /// Any message in flight may be lost.
    pub lossy: bool,
    /// Bound on messages in flight (per channel for `fifo` or `per_channel`).
    pub capacity: Expr,
    /// Unordered delivery with the messages stored (and the capacity
    /// counted) per (sender, receiver) channel: the variable `chan` maps each
    /// pair to a bag (or set) of messages, so the network holds far more
    /// messages in all than one collection ranked into 64 bits could.
    pub per_channel: bool,
    pub span: Span,
}

/// The words `--network` takes.
pub const WORDS: &str = "unordered, fifo, lossy, duplicating";

impl Network {
    pub fn from_decl(d: &NetworkDecl) -> Result<Network, String> {
        let delivery = match d.delivery.name.as_str() {
            "unordered" => Delivery::Unordered,
            "fifo" => Delivery::Fifo,
            other => {
                return Err(format!(
                    "unknown delivery `{other}`: use \"unordered\" or \"fifo\""
                ))
            }
        };
        let net = Network {
            delivery,
            duplicating: d.duplicating,
            lossy: d.lossy,
            capacity: d.capacity.clone(),
            per_channel: d.per_channel,
            span: d.span,
        };
        net.check()?;
        Ok(net)
    }

    /// Applies `--network LIST`: the words replace the spec's delivery and
    /// flags (an unnamed flag is off); the capacity stays.
    pub fn apply_flag(&mut self, list: &str) -> Result<(), String> {
        let (mut delivery, mut duplicating, mut lossy) = (None, false, false);
        for w in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match w {
                "unordered" | "fifo" => {
                    let d = if w == "fifo" {
                        Delivery::Fifo
                    } else {
                        Delivery::Unordered
                    };
                    if delivery.is_some_and(|x| x != d) {
                        return Err("--network: `unordered` and `fifo` exclude each other".into());
                    }
                    delivery = Some(d);
                }
                "lossy" => lossy = true,
                "duplicating" => duplicating = true,
                other => {
                    return Err(format!(
                        "--network: unknown word `{other}` (valid: {WORDS})"
                    ))
                }
            }
        }
        self.delivery = delivery.unwrap_or(self.delivery);
        self.duplicating = duplicating;
        self.lossy = lossy;
        self.check()
    }

    fn check(&self) -> Result<(), String> {
        if self.delivery == Delivery::Fifo && self.duplicating {
            return Err("`duplicating` applies to unordered delivery only (a FIFO channel that keeps its head would deliver it forever)".into());
        }
        Ok(())
    }

    fn triple(src: Expr, dst: Expr, msg: Expr, span: Span) -> Expr {
        build::tuple(vec![src, dst, msg], span)
    }

    /// Whether messages are stored in `chan`, one collection per channel.
    fn channelled(&self) -> bool {
        self.delivery == Delivery::Fifo || self.per_channel
    }

    /// The collection `msg` from `src` to `dst` is stored in: `net` (as a
    /// triple) or its channel `chan[(src, dst)]`; and the element itself.
    fn slot(&self, src: Expr, dst: Expr, msg: Expr, span: Span) -> (Expr, Expr) {
        if self.channelled() {
            (Self::channel(src, dst, span), msg)
        } else {
            (build::name("net", span), Self::triple(src, dst, msg, span))
        }
    }

    /// Whether the collection a message from `src` to `dst` goes into has
    /// room for one more.
    pub fn room(&self, src: Expr, dst: Expr, span: Span) -> Expr {
        let (coll, _) = self.slot(src, dst, build::int(0, span), span);
        build::bin(
            BinOp::Lt,
            build::call("len", vec![coll], span),
            self.capacity.clone(),
            span,
        )
    }

    fn channel(src: Expr, dst: Expr, span: Span) -> Expr {
        build::index(
            build::name("chan", span),
            build::tuple(vec![src, dst], span),
            span,
        )
    }

    /// The state variable holding the messages in flight.
    pub fn var(&self) -> VarDecl {
        let s = self.span;
        let proc = || build::named_ty("Proc", s);
        let msg = build::named_ty("Msg", s);
        let cap = Box::new(self.capacity.clone());
        let (name, kind, doc) = match self.delivery {
            Delivery::Unordered if self.per_channel => {
                let pair = build::ty(TypeKind::Tuple(vec![proc(), proc()]), s);
                let coll = if self.duplicating {
                    TypeKind::BoundedSet(Box::new(msg), cap)
                } else {
                    TypeKind::Bag(Box::new(msg), cap)
                };
                (
                    "chan",
                    TypeKind::Map(Box::new(pair), Box::new(build::ty(coll, s))),
                    "messages in flight, per (sender, receiver)",
                )
            }
            Delivery::Unordered => {
                let triple = build::ty(TypeKind::Tuple(vec![proc(), proc(), msg]), s);
                let kind = if self.duplicating {
                    TypeKind::BoundedSet(Box::new(triple), cap)
                } else {
                    TypeKind::Bag(Box::new(triple), cap)
                };
                (
                    "net",
                    kind,
                    "messages in flight: (sender, receiver, message)",
                )
            }
            Delivery::Fifo => {
                let pair = build::ty(TypeKind::Tuple(vec![proc(), proc()]), s);
                let queue = build::ty(TypeKind::Seq(Box::new(msg), cap), s);
                (
                    "chan",
                    TypeKind::Map(Box::new(pair), Box::new(queue)),
                    "one FIFO queue per (sender, receiver)",
                )
            }
        };
        VarDecl {
            name: build::ident(name, s),
            ty: build::ty(kind, s),
            doc: doc.into(),
        }
    }

    /// `send(dst, msg)` from process `me`.
    pub fn send(&self, me: Expr, dst: Expr, msg: Expr, span: Span) -> Stmt {
        let verb = match self.delivery {
            Delivery::Unordered => "insert",
            Delivery::Fifo => "append",
        };
        let (coll, elem) = self.slot(me, dst, msg, span);
        build::call_stmt(verb, vec![coll, elem], span)
    }

    /// Whether `msg` from `src` to `dst` can be delivered now.
    pub fn deliverable(&self, src: Expr, dst: Expr, msg: Expr, span: Span) -> Expr {
        match self.delivery {
            Delivery::Unordered => {
                let (coll, elem) = self.slot(src, dst, msg, span);
                build::bin(BinOp::In, elem, coll, span)
            }
            Delivery::Fifo => {
                let chan = Self::channel(src, dst, span);
                let nonempty = build::bin(
                    BinOp::Gt,
                    build::call("len", vec![chan.clone()], span),
                    build::int(0, span),
                    span,
                );
                let head = build::bin(BinOp::Eq, build::call("head", vec![chan], span), msg, span);
                build::bin(BinOp::And, nonempty, head, span)
            }
        }
    }

    /// What delivering `msg` from `src` to `dst` does to the network.
    pub fn consume(&self, src: Expr, dst: Expr, msg: Expr, span: Span) -> Option<Stmt> {
        match self.delivery {
            Delivery::Unordered if self.duplicating => None,
            Delivery::Unordered => Some(self.remove(src, dst, msg, span)),
            Delivery::Fifo => {
                let chan = Self::channel(src, dst, span);
                Some(build::assign(
                    chan.clone(),
                    build::call("tail", vec![chan], span),
                    span,
                ))
            }
        }
    }

    /// Take one copy of `msg` from `src` to `dst` out of an unordered network.
    fn remove(&self, src: Expr, dst: Expr, msg: Expr, span: Span) -> Stmt {
        let (coll, elem) = self.slot(src, dst, msg, span);
        build::call_stmt("remove", vec![coll, elem], span)
    }

    /// For a lossy network, the action that loses any one message in flight.
    pub fn lose_action(&self) -> Option<ActionDecl> {
        if !self.lossy {
            return None;
        }
        let s = self.span;
        let (src, dst, msg) = (
            build::name("src", s),
            build::name("dst", s),
            build::name("m", s),
        );
        let mut params = vec![
            build::param("src", build::named_ty("Proc", s), s),
            build::param("dst", build::named_ty("Proc", s), s),
        ];
        let (guard, effect) = match self.delivery {
            Delivery::Unordered => {
                params.push(build::param("m", build::named_ty("Msg", s), s));
                (
                    self.deliverable(src.clone(), dst.clone(), msg.clone(), s),
                    self.consume(src, dst, msg, s),
                )
            }
            Delivery::Fifo => {
                // Any message of a channel may be lost: the k-th, kept out
                // by `take(q, k - 1) ++ drop(q, k)`.
                params.push(build::param(
                    "k",
                    build::ty(
                        TypeKind::Range(
                            Box::new(build::int(1, s)),
                            Box::new(self.capacity.clone()),
                        ),
                        s,
                    ),
                    s,
                ));
                let chan = Self::channel(src, dst, s);
                let k = build::name("k", s);
                let present = build::bin(
                    BinOp::Le,
                    k.clone(),
                    build::call("len", vec![chan.clone()], s),
                    s,
                );
                let before = build::call(
                    "take",
                    vec![
                        chan.clone(),
                        build::bin(BinOp::Sub, k.clone(), build::int(1, s), s),
                    ],
                    s,
                );
                let after = build::call("drop", vec![chan.clone(), k], s);
                (
                    present,
                    Some(build::assign(
                        chan,
                        build::bin(BinOp::Concat, before, after, s),
                        s,
                    )),
                )
            }
        };
        // Losing from a duplicating network removes the message for good.
        let effect = effect.unwrap_or_else(|| {
            self.remove(
                build::name("src", s),
                build::name("dst", s),
                build::name("m", s),
                s,
            )
        });
        Some(ActionDecl {
            name: build::ident("lose", s),
            params,
            guard: Some(guard),
            effect: build::block(vec![effect], s),
            doc: "the network loses a message in flight".into(),
        })
    }
}
