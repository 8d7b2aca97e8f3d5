//! Recursive-descent / Pratt parser for the code language embedded in spec
//! strings: types, expressions, statement blocks and parameter lists.
//!
//! The public entry points ([`parse_expr`], [`parse_type`], [`parse_block`],
//! [`parse_params`], [`parse_temporal`], [`parse_fairness`]) give spans
//! relative to the start of the string; the
//! `*_mapped` variants map every span through an [`OffsetMap`] (used by the
//! loader to point into the `.ron` file).
//!
//! Precedence, lowest first: quantifiers / `if` / `let` (bodies extend as
//! far right as possible), `implies` (right-assoc), `or`, `and`, `not`,
//! comparisons (non-associative), `..`, additive, multiplicative, unary
//! minus, postfix (`.f`, `.0`, `[i]`, calls).
//!
//! Temporal formulas (`properties`), lowest first: `forall` (body as far
//! right as possible), `leads_to` and `implies` (right-assoc), the prefixes
//! `always` / `eventually`, then state predicates: expressions parsed just
//! above `implies`, so `always x == 1 or y` is `always (x == 1 or y)`.

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::lexer::{OffsetMap, Tok, Token};
use crate::span::{FileId, Span};

type PResult<T> = Result<T, Diagnostic>;

/// Parses an expression. Spans are byte offsets into `text`.
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    parse_expr_mapped(file, text, &OffsetMap::shifted(0))
}

/// Parses a type expression. Spans are byte offsets into `text`.
pub fn parse_type(file: FileId, text: &str) -> Result<TypeExpr, Vec<Diagnostic>> {
    parse_type_mapped(file, text, &OffsetMap::shifted(0))
}

/// Parses a sequence of statements. Spans are byte offsets into `text`.
/// Reports several errors when there are several bad statements.
pub fn parse_block(file: FileId, text: &str) -> Result<Block, Vec<Diagnostic>> {
    parse_block_mapped(file, text, &OffsetMap::shifted(0))
}

/// Parses a parameter list `r: RM, v: 0..3` (the empty string gives none).
pub fn parse_params(file: FileId, text: &str) -> Result<Vec<Param>, Vec<Diagnostic>> {
    parse_params_mapped(file, text, &OffsetMap::shifted(0))
}

fn run<T>(
    file: FileId,
    text: &str,
    map: &OffsetMap,
    f: impl FnOnce(&mut Parser) -> PResult<T>,
) -> Result<T, Vec<Diagnostic>> {
    run_with(file, text, map, false, f)
}

fn run_with<T>(
    file: FileId,
    text: &str,
    map: &OffsetMap,
    primes: bool,
    f: impl FnOnce(&mut Parser) -> PResult<T>,
) -> Result<T, Vec<Diagnostic>> {
    let (tokens, lex_errors) = crate::lexer::lex_with(text, file, map, primes);
    if !lex_errors.is_empty() {
        return Err(lex_errors);
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        diags: Vec::new(),
        no_in: false,
        depth: 0,
        temporal: false,
    };
    match f(&mut p) {
        Ok(v) => {
            if p.diags.is_empty() {
                Ok(v)
            } else {
                Err(p.diags)
            }
        }
        Err(d) => {
            p.diags.push(d);
            Err(p.diags)
        }
    }
}

/// [`parse_expr`] with spans mapped through `map`.
pub fn parse_expr_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<Expr, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let e = p.expr()?;
        p.expect_eof("expression")?;
        Ok(e)
    })
}

/// A refinement mapping (`refines`' `with`): `name <- expr, ...`, TLA+'s
/// `INSTANCE ... WITH`; possibly empty.
pub fn parse_mapping_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<Vec<(Ident, Expr)>, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let mut out = Vec::new();
        while !p.at(&Tok::Eof) {
            let name = p.ident("the name of a constant or variable of the refined spec")?;
            let lt = p.peek_span();
            let arrow = p.at(&Tok::Lt) && matches!(p.peek_at(1), Tok::Dash);
            if !arrow {
                return Err(p
                    .unexpected("`<-` after the name")
                    .help("map each constant and variable of the refined spec: `rmState <- rmState, N <- N`"));
            }
            p.bump();
            let minus = p.bump().span;
            if minus.start != lt.end {
                return Err(Diagnostic::new(lt.to(minus), "write `<-` without a space")
                    .label("`<` and `-` apart")
                    .help("`name <- expr`"));
            }
            let e = p.expr()?;
            out.push((name, e));
            if !p.eat(&Tok::Comma) {
                p.expect_eof("mapping")?;
            }
        }
        Ok(out)
    })
}

/// An action property's expression: [`parse_expr_mapped`] where `x'`
/// names variable `x` after the step.
pub fn parse_action_expr_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<Expr, Vec<Diagnostic>> {
    run_with(file, text, map, true, |p| {
        let e = p.expr()?;
        p.expect_eof("expression")?;
        Ok(e)
    })
}

/// [`parse_type`] with spans mapped through `map`.
pub fn parse_type_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<TypeExpr, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let t = p.ty()?;
        p.expect_eof("type")?;
        Ok(t)
    })
}

/// [`parse_block`] with spans mapped through `map`.
pub fn parse_block_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<Block, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let start = p.peek_span();
        let stmts = p.stmts(true);
        let end = p.peek_span();
        Ok(Block {
            stmts,
            span: start.to(end),
        })
    })
}

/// [`parse_params`] with spans mapped through `map`.
pub fn parse_params_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<Vec<Param>, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let mut params = Vec::new();
        if p.at(&Tok::Eof) {
            return Ok(params);
        }
        loop {
            let name = p.ident("a parameter name")?;
            p.expect(&Tok::Colon, "`:` after the parameter name")?;
            let ty = p.ty()?;
            params.push(Param { name, ty });
            if !p.eat(&Tok::Comma) {
                break;
            }
        }
        p.expect_eof("parameter list")?;
        Ok(params)
    })
}

/// Parses a temporal formula (a property's `expr`). Spans are byte offsets
/// into `text`.
pub fn parse_temporal(file: FileId, text: &str) -> Result<Temporal, Vec<Diagnostic>> {
    parse_temporal_mapped(file, text, &OffsetMap::shifted(0))
}

/// [`parse_temporal`] with spans mapped through `map`.
pub fn parse_temporal_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<Temporal, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        p.temporal = true;
        let t = p.temporal_formula()?;
        p.expect_eof("temporal formula")?;
        Ok(t)
    })
}

/// Parses a fairness assumption: `[forall x in S:] weak|strong [each]
/// target` or `... {target, ...}`. Spans are byte offsets into `text`.
pub fn parse_fairness(file: FileId, text: &str) -> Result<FairnessDecl, Vec<Diagnostic>> {
    parse_fairness_mapped(file, text, &OffsetMap::shifted(0))
}

/// [`parse_fairness`] with spans mapped through `map`.
pub fn parse_fairness_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<FairnessDecl, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let f = p.fairness()?;
        p.expect_eof("fairness assumption")?;
        Ok(f)
    })
}

/// Help shown under a malformed `on` pattern.
pub const ON_HELP: &str = "write the message name, then optionally one name per message field: \
`on: \"Commit\"` or `on: \"Promise(b, v)\"`";

/// Help shown under a malformed `from` pattern.
pub const FROM_HELP: &str = "write `from: \"p\"` to bind the sender process, or `from: \"RM(r)\"` \
to accept senders of role RM and bind their id";

/// Prefixes every diagnostic with the pattern's kind and gives it `help`
/// (unless it already has one, e.g. for a keyword used as a name).
fn pattern_diags(ds: Vec<Diagnostic>, kind: &str, help: &str) -> Vec<Diagnostic> {
    ds.into_iter()
        .map(|mut d| {
            d.message = format!("malformed `{kind}` pattern: {}", d.message);
            if d.help.is_none() {
                d.help = Some(help.to_string());
            }
            d
        })
        .collect()
}

/// Parses a handler's message pattern `Name` or `Name(a, b, ...)`: the
/// message name and the names bound to its fields. Spans are byte offsets
/// into `text`.
pub fn parse_on_pattern(file: FileId, text: &str) -> Result<(Ident, Vec<Ident>), Vec<Diagnostic>> {
    parse_on_pattern_mapped(file, text, &OffsetMap::shifted(0))
}

/// [`parse_on_pattern`] with spans mapped through `map`.
pub fn parse_on_pattern_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<(Ident, Vec<Ident>), Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let name = p.ident("a message name")?;
        let mut bind: Vec<Ident> = Vec::new();
        if p.eat(&Tok::LParen) {
            while !p.at(&Tok::RParen) {
                let b = p.ident("a name for a message field")?;
                if let Some(first) = bind.iter().find(|x| x.name == b.name) {
                    let d = Diagnostic::new(b.span, format!("`{}` is bound twice", b.name))
                        .label("second binding")
                        .help(format!(
                            "give every field its own name (`{}` already names field {})",
                            first.name,
                            bind.iter().position(|x| x.name == b.name).unwrap_or(0) + 1
                        ));
                    p.diags.push(d);
                }
                bind.push(b);
                if !p.eat(&Tok::Comma) {
                    break;
                }
            }
            p.expect(&Tok::RParen, "`,` or `)` after a field name")?;
        }
        p.expect_eof("message pattern")?;
        Ok((name, bind))
    })
    .map_err(|ds| pattern_diags(ds, "on", ON_HELP))
}

/// Parses a handler's sender pattern `p` or `Role(p)`. Spans are byte
/// offsets into `text`.
pub fn parse_from_pattern(file: FileId, text: &str) -> Result<FromPattern, Vec<Diagnostic>> {
    parse_from_pattern_mapped(file, text, &OffsetMap::shifted(0))
}

/// [`parse_from_pattern`] with spans mapped through `map`.
pub fn parse_from_pattern_mapped(
    file: FileId,
    text: &str,
    map: &OffsetMap,
) -> Result<FromPattern, Vec<Diagnostic>> {
    run(file, text, map, |p| {
        let first = p.ident("a name for the sender, or a role name")?;
        let pat = if p.eat(&Tok::LParen) {
            let name = p.ident("a name for the sender's id")?;
            p.expect(&Tok::RParen, "`)` after the sender's name")?;
            FromPattern {
                role: Some(first),
                name,
            }
        } else {
            FromPattern {
                role: None,
                name: first,
            }
        };
        p.expect_eof("sender pattern")?;
        Ok(pat)
    })
    .map_err(|ds| pattern_diags(ds, "from", FROM_HELP))
}

const MAX_DEPTH: u32 = 64;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    /// While parsing the value of `let x = e in ...`: `in` ends the value.
    no_in: bool,
    depth: u32,
    /// Parsing a temporal formula: a temporal keyword met inside a state
    /// predicate gets a help on how formulas combine.
    temporal: bool,
}

/// Help for a temporal keyword in an ordinary expression.
pub const TEMPORAL_ONLY_HELP: &str =
    "temporal operators (`always`, `eventually`, `leads_to`) are allowed only in `properties`";

/// Help for a temporal keyword inside a state predicate of a property.
const TEMPORAL_IN_PREDICATE_HELP: &str = "temporal formulas combine through `not`, `and`, `or`, \
`implies`, `leads_to`, `until`, `always`, `eventually`, `forall` and `exists`; the other \
operators apply to state predicates: write e.g. `always (P implies eventually Q)`";

/// Help for a fairness assumption that does not start with its kind.
pub const FAIRNESS_HELP: &str =
    "start a fairness assumption with `weak` or `strong`, e.g. `weak Tick`";

/// Help for a malformed fairness target.
const FAIR_TARGET_HELP: &str = "name an action (`weak Tick`), instances of it (`weak Send(_, 2)`, \
`_` for any value) or a group (`weak {Send, Receive}`)";

// Binding powers.
const BP_IMPLIES: u8 = 1;
const BP_OR: u8 = 3;
const BP_AND: u8 = 5;
const BP_NOT: u8 = 7;
const BP_CMP: u8 = 9;
const BP_RANGE: u8 = 11;
const BP_ADD: u8 = 13;
const BP_MUL: u8 = 15;
const BP_NEG: u8 = 17;

enum Infix {
    Bin(BinOp),
    Range,
}

fn infix(t: &Tok) -> Option<(Infix, u8)> {
    use BinOp::*;
    Some(match t {
        Tok::Implies | Tok::FatArrow => (Infix::Bin(Implies), BP_IMPLIES),
        Tok::Or | Tok::OrOr => (Infix::Bin(Or), BP_OR),
        Tok::And | Tok::AndAnd => (Infix::Bin(And), BP_AND),
        Tok::EqEq => (Infix::Bin(Eq), BP_CMP),
        Tok::Ne => (Infix::Bin(Ne), BP_CMP),
        Tok::Lt => (Infix::Bin(Lt), BP_CMP),
        Tok::Le => (Infix::Bin(Le), BP_CMP),
        Tok::Gt => (Infix::Bin(Gt), BP_CMP),
        Tok::Ge => (Infix::Bin(Ge), BP_CMP),
        Tok::In => (Infix::Bin(In), BP_CMP),
        Tok::NotIn => (Infix::Bin(NotIn), BP_CMP),
        Tok::Subseteq => (Infix::Bin(Subseteq), BP_CMP),
        Tok::DotDot => (Infix::Range, BP_RANGE),
        Tok::Plus => (Infix::Bin(Add), BP_ADD),
        Tok::Dash => (Infix::Bin(Sub), BP_ADD),
        Tok::Union => (Infix::Bin(Union), BP_ADD),
        Tok::Minus => (Infix::Bin(Minus), BP_ADD),
        Tok::PlusPlus => (Infix::Bin(Concat), BP_ADD),
        Tok::Star => (Infix::Bin(Mul), BP_MUL),
        Tok::Slash => (Infix::Bin(Div), BP_MUL),
        Tok::Percent => (Infix::Bin(Mod), BP_MUL),
        Tok::DivKw => (Infix::Bin(FloorDiv), BP_MUL),
        Tok::ModKw => (Infix::Bin(FloorMod), BP_MUL),
        Tok::Intersect => (Infix::Bin(Intersect), BP_MUL),
        _ => return None,
    })
}

/// Is `e` an assignable place: a name followed by `.f`, `.0` and `[i]`?
pub fn is_place(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(_) => true,
        ExprKind::Field(b, _) | ExprKind::TupleField(b, _) | ExprKind::Index(b, _) => is_place(b),
        _ => false,
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }
    fn peek_at(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }
    fn peek_span(&self) -> Span {
        self.tokens[self.pos.min(self.tokens.len() - 1)].span
    }
    fn prev_span(&self) -> Span {
        if self.pos == 0 {
            self.peek_span()
        } else {
            self.tokens[(self.pos - 1).min(self.tokens.len() - 1)].span
        }
    }
    fn at(&self, t: &Tok) -> bool {
        self.peek() == t
    }
    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos.min(self.tokens.len() - 1)].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.at(t) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn unexpected(&self, what: &str) -> Diagnostic {
        let found = self.peek().describe();
        let d = Diagnostic::new(self.peek_span(), format!("expected {what}, found {found}"))
            .label(format!("expected {what}"));
        self.temporal_help(d)
    }
    /// Adds the help for a temporal keyword at the current token.
    fn temporal_help(&self, d: Diagnostic) -> Diagnostic {
        if !self.peek().is_temporal() {
            d
        } else if self.temporal {
            d.help(TEMPORAL_IN_PREDICATE_HELP)
        } else {
            d.help(TEMPORAL_ONLY_HELP)
        }
    }
    fn expect(&mut self, t: &Tok, what: &str) -> PResult<Span> {
        if self.at(t) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(what))
        }
    }
    fn expect_eof(&mut self, what: &str) -> PResult<()> {
        if self.at(&Tok::Eof) {
            Ok(())
        } else {
            let found = self.peek().describe();
            let mut d = Diagnostic::new(
                self.peek_span(),
                format!("unexpected {found} after the {what}"),
            )
            .label("not expected here");
            if matches!(self.peek(), Tok::Assign) {
                d = d.help("use `==` to compare; `=` only assigns, in statements");
            } else if what == "expression" && matches!(self.peek(), Tok::Semi) {
                d = d.help("an expression is not ended by `;`");
            } else if self.peek().is_temporal() {
                d = self.temporal_help(d);
            } else if what == "temporal formula" {
                d = d.help(TEMPORAL_IN_PREDICATE_HELP);
            } else if what == "fairness assumption" {
                d = d.help(
                    "write one assumption per list entry, or a group: `weak {Send, Receive}`",
                );
            }
            Err(d)
        }
    }
    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            t => {
                let mut d = self.unexpected(what);
                let desc = t.describe();
                let word = desc.trim_matches('`');
                if crate::lexer::is_keyword(word) {
                    d = d.help(format!(
                        "`{word}` is a keyword and cannot be used as a name: rename it, e.g. `{word}_`"
                    ));
                }
                Err(d)
            }
        }
    }
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Diagnostic::new(self.peek_span(), "code nested too deeply")
                .label("nesting limit reached here"))
        } else {
            Ok(())
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self) -> PResult<Expr> {
        self.expr_bp(0)
    }

    /// An expression where `in` is an operator again (inside brackets).
    fn nested_expr(&mut self) -> PResult<Expr> {
        let saved = std::mem::replace(&mut self.no_in, false);
        let r = self.expr();
        self.no_in = saved;
        r
    }

    fn expr_bp(&mut self, min: u8) -> PResult<Expr> {
        self.enter()?;
        let r = self.expr_bp_inner(min);
        self.depth -= 1;
        r
    }

    fn expr_bp_inner(&mut self, min: u8) -> PResult<Expr> {
        let mut lhs = self.prefix()?;
        // Operators the compiler evaluates one nested call per operand
        // (all but `and`, `or`, `+`, `-`, `*` and the set operators, whose
        // chains it turns into loops): a chain of them is nesting.
        let mut nested = 0;
        while let Some((op, bp)) = infix(self.peek()) {
            if bp < min || (self.no_in && matches!(self.peek(), Tok::In)) {
                break;
            }
            if let Infix::Bin(
                BinOp::Concat | BinOp::Div | BinOp::Mod | BinOp::FloorDiv | BinOp::FloorMod,
            ) = op
            {
                nested += 1;
                if self.depth + nested > MAX_DEPTH {
                    return Err(Diagnostic::new(self.peek_span(), "code nested too deeply")
                        .label("nesting limit reached here")
                        .help(format!(
                            "a chain of `++`, `/`, `%`, `div` or `mod` counts as nesting \
                             (at most {MAX_DEPTH} levels): split it with `let`"
                        )));
                }
            }
            self.bump();
            // implies is right-associative; everything else left (or non-assoc).
            let rbp = if bp == BP_IMPLIES { bp } else { bp + 1 };
            let rhs = self.expr_bp(rbp)?;
            let span = lhs.span.to(rhs.span);
            lhs = match op {
                Infix::Bin(b) => Expr {
                    kind: ExprKind::Binary(b, Box::new(lhs), Box::new(rhs)),
                    span,
                },
                Infix::Range => Expr {
                    kind: ExprKind::Range(Box::new(lhs), Box::new(rhs)),
                    span,
                },
            };
            if bp == BP_CMP || bp == BP_RANGE {
                if let Some((_, nbp)) = infix(self.peek()) {
                    if nbp == bp && !(self.no_in && matches!(self.peek(), Tok::In)) {
                        let what = if bp == BP_CMP { "comparison" } else { "range" };
                        return Err(Diagnostic::new(
                            self.peek_span(),
                            format!("{what} operators cannot be chained"),
                        )
                        .label("second operator")
                        .help("add parentheses, or split the comparison with `and`"));
                    }
                }
            }
        }
        Ok(lhs)
    }

    fn prefix(&mut self) -> PResult<Expr> {
        let start = self.peek_span();
        match self.peek() {
            Tok::Not | Tok::Bang => {
                self.bump();
                let e = self.expr_bp(BP_NOT + 1)?;
                Ok(Expr {
                    span: start.to(e.span),
                    kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
                })
            }
            Tok::Dash => {
                self.bump();
                let e = self.expr_bp(BP_NEG)?;
                Ok(Expr {
                    span: start.to(e.span),
                    kind: ExprKind::Unary(UnOp::Neg, Box::new(e)),
                })
            }
            Tok::Match => {
                self.bump();
                self.match_expr(start)
            }
            Tok::Forall | Tok::Exists => {
                let q = if self.at(&Tok::Forall) {
                    Quantifier::Forall
                } else {
                    Quantifier::Exists
                };
                self.bump();
                let binders = self.binders()?;
                self.expect(&Tok::Colon, "`:` before the quantifier body")?;
                let body = self.expr()?;
                Ok(Expr {
                    span: start.to(body.span),
                    kind: ExprKind::Quant(q, binders, Box::new(body)),
                })
            }
            Tok::Choose => {
                self.bump();
                let mut binders = self.binders()?;
                if binders.len() != 1 {
                    return Err(Diagnostic::new(start.to(self.prev_span()), "`choose` takes one binder")
                        .label("one `x in S` here")
                        .help("write `choose x in S: P`; for a pair, choose over a set of tuples, `choose p in { (a, b) for a in A, b in B }: P`"));
                }
                self.expect(&Tok::Colon, "`:` before the condition of `choose`")?;
                let body = self.expr()?;
                Ok(Expr {
                    span: start.to(body.span),
                    kind: ExprKind::Choose(Box::new(binders.remove(0)), Box::new(body)),
                })
            }
            Tok::If => {
                self.bump();
                let c = self.nested_expr()?;
                if !self.at(&Tok::Then) {
                    let mut d = self.unexpected("`then`");
                    if self.at(&Tok::LBrace) {
                        d = d.help("in an expression write `if c then a else b`; `if c { .. }` is a statement");
                    }
                    return Err(d);
                }
                self.bump();
                let a = self.nested_expr()?;
                if !self.at(&Tok::Else) {
                    return Err(self
                        .unexpected("`else`")
                        .help("an `if` expression needs an `else` branch"));
                }
                self.bump();
                let b = self.expr()?;
                Ok(Expr {
                    span: start.to(b.span),
                    kind: ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                })
            }
            Tok::Let => {
                self.bump();
                let name = self.ident("a name after `let`")?;
                self.expect(&Tok::Assign, "`=` after the name")?;
                let saved = std::mem::replace(&mut self.no_in, true);
                let v = self.expr();
                self.no_in = saved;
                let v = v?;
                if !self.at(&Tok::In) {
                    return Err(self
                        .unexpected("`in`")
                        .help("a `let` expression is written `let x = e in body`"));
                }
                self.bump();
                let body = self.expr()?;
                Ok(Expr {
                    span: start.to(body.span),
                    kind: ExprKind::Let(name, Box::new(v), Box::new(body)),
                })
            }
            _ => self.postfix(),
        }
    }

    fn binder(&mut self) -> PResult<Binder> {
        let name = self.ident("a bound variable name")?;
        let pattern = if self.at(&Tok::LParen) {
            Some(self.payload_pattern()?)
        } else {
            None
        };
        self.expect(&Tok::In, "`in` after the bound variable")?;
        let saved = std::mem::replace(&mut self.no_in, false);
        let domain = self.expr_bp(BP_RANGE);
        self.no_in = saved;
        let domain = domain?;
        Ok(Binder {
            span: name.span.to(domain.span),
            name,
            domain,
            pattern,
        })
    }

    /// `(a, _, c)` after a variant name: names bind payload components,
    /// `_` skips one.
    fn payload_pattern(&mut self) -> PResult<PayloadPattern> {
        self.expect(&Tok::LParen, "`(`")?;
        let mut parts = Vec::new();
        loop {
            let id = self.ident("a name or `_` for a payload component")?;
            parts.push((id.name != "_").then_some(id));
            if self.eat(&Tok::RParen) {
                return Ok(parts);
            }
            if !self.eat(&Tok::Comma) {
                return Err(self
                    .unexpected("`,` or `)`")
                    .help("a pattern is written `variant(a, _, c)`: a name per payload component, `_` to skip one"));
            }
        }
    }

    /// `match e { v(a, _) => x, w => y, _ => z }` (after `match`).
    fn match_expr(&mut self, start: Span) -> PResult<Expr> {
        let scrutinee = self.nested_expr()?;
        self.expect(&Tok::LBrace, "`{` after the matched expression")?;
        let mut arms = Vec::new();
        while !self.at(&Tok::RBrace) {
            let arm_start = self.peek_span();
            let id = self.ident("a variant name or `_`")?;
            let parts = if self.at(&Tok::LParen) {
                Some(self.payload_pattern()?)
            } else {
                None
            };
            self.expect(&Tok::FatArrow, "`=>` after the pattern")?;
            let body = self.nested_expr()?;
            arms.push(MatchArm {
                span: arm_start.to(body.span),
                variant: (id.name != "_").then_some(id),
                parts,
                body,
            });
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RBrace, "`}` at the end of the match")?;
        if arms.is_empty() {
            return Err(Diagnostic::new(
                start.to(self.prev_span()),
                "a match needs at least one arm",
            )
            .help("write `match e { variant(a, b) => ..., _ => ... }`"));
        }
        Ok(Expr {
            span: start.to(self.prev_span()),
            kind: ExprKind::Match(Box::new(scrutinee), arms),
        })
    }

    fn binders(&mut self) -> PResult<Vec<Binder>> {
        let mut v = vec![self.binder()?];
        while self.eat(&Tok::Comma) {
            v.push(self.binder()?);
        }
        Ok(v)
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    match self.peek().clone() {
                        Tok::Ident(name) => {
                            let span = self.bump().span;
                            e = Expr {
                                span: e.span.to(span),
                                kind: ExprKind::Field(Box::new(e), Ident { name, span }),
                            };
                        }
                        Tok::Int(i) => {
                            let span = self.bump().span;
                            let Ok(i) = u32::try_from(i) else {
                                return Err(Diagnostic::new(span, "tuple index too large"));
                            };
                            e = Expr {
                                span: e.span.to(span),
                                kind: ExprKind::TupleField(Box::new(e), i),
                            };
                        }
                        _ => return Err(self.unexpected("a field name or tuple index after `.`")),
                    }
                }
                Tok::LBracket => {
                    self.bump();
                    let i = self.nested_expr()?;
                    let end = self.expect(&Tok::RBracket, "`]` after the index")?;
                    e = Expr {
                        span: e.span.to(end),
                        kind: ExprKind::Index(Box::new(e), Box::new(i)),
                    };
                }
                Tok::LParen => {
                    let ExprKind::Name(f) = &e.kind else {
                        return Err(
                            Diagnostic::new(self.peek_span(), "only a name can be called")
                                .label("call of something that is not a name"),
                        );
                    };
                    let f = f.clone();
                    self.bump();
                    let args = self.expr_list(&Tok::RParen, "`,` or `)` in the argument list")?;
                    let end = self.prev_span();
                    e = Expr {
                        span: e.span.to(end),
                        kind: ExprKind::Call(f, args),
                    };
                }
                _ => break,
            }
        }
        Ok(e)
    }

    /// Comma-separated expressions up to and including `close` (the opening
    /// bracket already consumed). A trailing comma is allowed.
    fn expr_list(&mut self, close: &Tok, what: &str) -> PResult<Vec<Expr>> {
        let mut v = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(v);
            }
            v.push(self.nested_expr()?);
            if self.eat(close) {
                return Ok(v);
            }
            if !self.eat(&Tok::Comma) {
                return Err(self.unexpected(what));
            }
        }
    }

    fn atom(&mut self) -> PResult<Expr> {
        let start = self.peek_span();
        match self.peek().clone() {
            Tok::True => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Bool(true),
                    span: start,
                })
            }
            Tok::False => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Bool(false),
                    span: start,
                })
            }
            Tok::Int(i) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Int(i),
                    span: start,
                })
            }
            Tok::Ident(name) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Name(Ident { name, span: start }),
                    span: start,
                })
            }
            // The type `bool` where a type name may stand (`b in bool`,
            // `[b in bool |-> e]`); elsewhere the checker says a type is not
            // a value.
            Tok::Bool => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Name(Ident {
                        name: "bool".into(),
                        span: start,
                    }),
                    span: start,
                })
            }
            Tok::LParen => {
                self.bump();
                let first = self.nested_expr()?;
                if self.eat(&Tok::RParen) {
                    return Ok(Expr {
                        kind: first.kind,
                        span: start.to(self.prev_span()),
                    });
                }
                if !self.eat(&Tok::Comma) {
                    return Err(self.unexpected("`,` or `)`"));
                }
                let mut items = vec![first];
                items.extend(self.expr_list(&Tok::RParen, "`,` or `)` in the tuple")?);
                if items.len() < 2 {
                    return Err(Diagnostic::new(
                        start,
                        "a tuple needs two or more components",
                    ));
                }
                Ok(Expr {
                    kind: ExprKind::TupleLit(items),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::LBracket => {
                self.bump();
                if self.eat(&Tok::RBracket) {
                    return Ok(Expr {
                        kind: ExprKind::SeqLit(Vec::new()),
                        span: start.to(self.prev_span()),
                    });
                }
                let first = self.nested_expr()?;
                if self.at(&Tok::MapsTo) {
                    let mapsto = self.bump().span;
                    let binder = match first.kind {
                        ExprKind::Binary(BinOp::In, lhs, domain) => match lhs.kind {
                            ExprKind::Name(name) => Binder {
                                span: first.span,
                                name,
                                domain: *domain,
                                pattern: None,
                            },
                            _ => {
                                return Err(Diagnostic::new(
                                    lhs.span,
                                    "expected a variable name before `in` in a map literal",
                                )
                                .label("not a name")
                                .help("a map literal is written `[x in S |-> e]`"))
                            }
                        },
                        _ => {
                            return Err(Diagnostic::new(
                                first.span.to(mapsto),
                                "expected `x in S` before `|->`",
                            )
                            .label("not a binder")
                            .help("a map literal is written `[x in S |-> e]`"))
                        }
                    };
                    let body = self.nested_expr()?;
                    self.expect(&Tok::RBracket, "`]` at the end of the map literal")?;
                    return Ok(Expr {
                        kind: ExprKind::MapLit(Box::new(binder), Box::new(body)),
                        span: start.to(self.prev_span()),
                    });
                }
                let mut items = vec![first];
                if !self.eat(&Tok::RBracket) {
                    if !self.eat(&Tok::Comma) {
                        return Err(self.unexpected("`,`, `]` or `|->`"));
                    }
                    items.extend(self.expr_list(&Tok::RBracket, "`,` or `]` in the sequence")?);
                }
                Ok(Expr {
                    kind: ExprKind::SeqLit(items),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::LBrace => {
                self.bump();
                if self.eat(&Tok::RBrace) {
                    return Ok(Expr {
                        kind: ExprKind::SetLit(Vec::new()),
                        span: start.to(self.prev_span()),
                    });
                }
                if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Colon) {
                    let mut fields = Vec::new();
                    loop {
                        if self.eat(&Tok::RBrace) {
                            break;
                        }
                        let f = self.ident("a field name")?;
                        self.expect(&Tok::Colon, "`:` after the field name")?;
                        let v = self.nested_expr()?;
                        fields.push((f, v));
                        if self.eat(&Tok::RBrace) {
                            break;
                        }
                        if !self.eat(&Tok::Comma) {
                            return Err(self.unexpected("`,` or `}` in the record"));
                        }
                    }
                    return Ok(Expr {
                        kind: ExprKind::RecordLit(fields),
                        span: start.to(self.prev_span()),
                    });
                }
                let first = self.nested_expr()?;
                if self.eat(&Tok::For) {
                    let binders = self.binders()?;
                    let cond = if self.eat(&Tok::If) {
                        Some(Box::new(self.nested_expr()?))
                    } else {
                        None
                    };
                    self.expect(&Tok::RBrace, "`}` at the end of the set comprehension")?;
                    return Ok(Expr {
                        kind: ExprKind::SetComp(Box::new(first), binders, cond),
                        span: start.to(self.prev_span()),
                    });
                }
                let mut items = vec![first];
                if !self.eat(&Tok::RBrace) {
                    if !self.eat(&Tok::Comma) {
                        return Err(self.unexpected("`,`, `}` or `for`"));
                    }
                    items.extend(self.expr_list(&Tok::RBrace, "`,` or `}` in the set")?);
                }
                Ok(Expr {
                    kind: ExprKind::SetLit(items),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::Eof => Err(self.unexpected("an expression")),
            _ => {
                let mut d = self.unexpected("an expression");
                if matches!(self.peek(), Tok::Set | Tok::Seq | Tok::Multiset | Tok::Enum) {
                    d = d.help("a type is not allowed here");
                }
                Err(d)
            }
        }
    }

    // ------------------------------------------------------------ temporal formulas

    /// `T leads_to T`, `T implies T` (right-associative), or a unary formula.
    fn temporal_formula(&mut self) -> PResult<Temporal> {
        self.enter()?;
        let r = self.temporal_binary();
        self.depth -= 1;
        r
    }

    fn temporal_binary(&mut self) -> PResult<Temporal> {
        let lhs = self.temporal_or()?;
        let leads_to = match self.peek() {
            Tok::LeadsTo => true,
            Tok::Implies | Tok::FatArrow => false,
            Tok::Ident(w) if w == "until" => {
                self.bump();
                let rhs = self.temporal_formula()?;
                let span = lhs.span.to(rhs.span);
                let kind = TemporalKind::Until(Box::new(lhs), Box::new(rhs));
                return Ok(Temporal { kind, span });
            }
            _ => return Ok(lhs),
        };
        self.bump();
        let rhs = self.temporal_formula()?;
        let span = lhs.span.to(rhs.span);
        let kind = match (leads_to, lhs, rhs) {
            (true, l, r) => TemporalKind::LeadsTo(Box::new(l), Box::new(r)),
            // Two state predicates: one predicate, the ordinary `implies`.
            (
                false,
                Temporal {
                    kind: TemporalKind::Pred(a),
                    ..
                },
                Temporal {
                    kind: TemporalKind::Pred(b),
                    ..
                },
            ) => TemporalKind::Pred(Expr {
                kind: ExprKind::Binary(BinOp::Implies, Box::new(a), Box::new(b)),
                span,
            }),
            (false, l, r) => TemporalKind::Implies(Box::new(l), Box::new(r)),
        };
        Ok(Temporal { kind, span })
    }

    /// `T or T ...`: as `or` between expressions; over two state
    /// predicates, one predicate.
    fn temporal_or(&mut self) -> PResult<Temporal> {
        let mut lhs = self.temporal_and()?;
        while matches!(self.peek(), Tok::Or | Tok::OrOr) {
            self.bump();
            let rhs = self.temporal_and()?;
            lhs = junction(BinOp::Or, lhs, rhs);
        }
        Ok(lhs)
    }

    /// `T and T ...` (binds tighter than `or`, as between expressions).
    fn temporal_and(&mut self) -> PResult<Temporal> {
        let mut lhs = self.temporal_unary()?;
        while matches!(self.peek(), Tok::And | Tok::AndAnd) {
            self.bump();
            let rhs = self.temporal_unary()?;
            lhs = junction(BinOp::And, lhs, rhs);
        }
        Ok(lhs)
    }

    /// `always T`, `eventually T`, `not T`, `forall`/`exists x in S: T`,
    /// `taken T`, `enabled T`, `( T )`, or a state predicate.
    fn temporal_unary(&mut self) -> PResult<Temporal> {
        self.enter()?;
        let r = self.temporal_unary_inner();
        self.depth -= 1;
        r
    }

    fn temporal_unary_inner(&mut self) -> PResult<Temporal> {
        let start = self.peek_span();
        match self.peek() {
            Tok::Always | Tok::Eventually => {
                let always = self.at(&Tok::Always);
                self.bump();
                // Looser than `and` and `or` (`always x == 1 or y` is
                // `always (x == 1 or y)`), tighter than `implies`,
                // `leads_to` and `until`.
                let body = Box::new(self.temporal_or()?);
                let span = start.to(body.span);
                let kind = if always {
                    TemporalKind::Always(body)
                } else {
                    TemporalKind::Eventually(body)
                };
                Ok(Temporal { kind, span })
            }
            Tok::Forall | Tok::Exists if self.quantifier_has_temporal() => {
                let forall = self.at(&Tok::Forall);
                self.bump();
                let binders = self.binders()?;
                self.expect(&Tok::Colon, "`:` before the quantifier body")?;
                let body = self.temporal_formula()?;
                let span = start.to(body.span);
                let q = if forall {
                    Quantifier::Forall
                } else {
                    Quantifier::Exists
                };
                let kind = match body.kind {
                    // A quantifier over a state predicate is a state predicate.
                    TemporalKind::Pred(e) => TemporalKind::Pred(Expr {
                        kind: ExprKind::Quant(q, binders, Box::new(e)),
                        span,
                    }),
                    kind => {
                        let body = Box::new(Temporal {
                            kind,
                            span: body.span,
                        });
                        if forall {
                            TemporalKind::Forall(binders, body)
                        } else {
                            TemporalKind::Exists(binders, body)
                        }
                    }
                };
                Ok(Temporal { kind, span })
            }
            Tok::Not | Tok::Bang if self.operand_has_temporal() => {
                self.bump();
                let body = self.temporal_unary()?;
                let span = start.to(body.span);
                let kind = match body.kind {
                    TemporalKind::Pred(e) => TemporalKind::Pred(Expr {
                        kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
                        span,
                    }),
                    kind => TemporalKind::Not(Box::new(Temporal {
                        kind,
                        span: body.span,
                    })),
                };
                Ok(Temporal { kind, span })
            }
            Tok::Ident(w) if w != "until" && self.temporal_word(self.pos) => {
                let taken = w == "taken";
                self.bump();
                let targets = self.fair_targets()?;
                let span = start.to(self.prev_span());
                let kind = if taken {
                    TemporalKind::Taken(targets)
                } else {
                    TemporalKind::Enabled(targets)
                };
                Ok(Temporal { kind, span })
            }
            Tok::LParen if self.paren_has_temporal() => {
                self.bump();
                let inner = self.temporal_formula()?;
                let end = self.expect(&Tok::RParen, "`)` after the formula")?;
                Ok(Temporal {
                    kind: inner.kind,
                    span: start.to(end),
                })
            }
            Tok::Lt if matches!(self.peek_at(1), Tok::Gt) => {
                let end = self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].span;
                Err(Diagnostic::new(start.to(end), "`<>` is not an operator")
                    .label("TLA+ syntax")
                    .help("write `eventually P` for TLA+'s `<>P` (and `always P` for `[]P`)"))
            }
            Tok::LBracket
                if matches!(self.peek_at(1), Tok::RBracket)
                    && matches!(
                        self.peek_at(2),
                        Tok::Ident(_)
                            | Tok::LParen
                            | Tok::Lt
                            | Tok::LBracket
                            | Tok::Always
                            | Tok::Eventually
                            | Tok::Not
                            | Tok::Bang
                            | Tok::Forall
                    ) =>
            {
                let end = self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].span;
                Err(Diagnostic::new(start.to(end), "`[]` is not an operator")
                    .label("TLA+ syntax")
                    .help("write `always P` for TLA+'s `[]P` (and `eventually P` for `<>P`)"))
            }
            Tok::Eof => Err(self.unexpected("a temporal formula")),
            _ => {
                // Up to `and`, `or` and `implies`, which the temporal
                // levels above join (two predicates into one).
                let e = self.expr_bp(BP_NOT + 1)?;
                Ok(Temporal {
                    span: e.span,
                    kind: TemporalKind::Pred(e),
                })
            }
        }
    }

    /// At `not`: is its operand temporal (a temporal word right after it,
    /// or a `(` holding one)? Else `not` belongs to the predicate.
    fn operand_has_temporal(&self) -> bool {
        let next = self.peek_at(1);
        self.temporal_word(self.pos + 1)
            || matches!(next, Tok::Not | Tok::Bang | Tok::Forall | Tok::Exists)
            || (matches!(next, Tok::LParen) && self.temporal_before_close(self.pos + 2))
    }

    /// At `forall`/`exists`: does its body (to the end of the enclosing
    /// parentheses) hold a temporal word? Else the quantifier is one
    /// predicate, parsed by the expression parser.
    fn quantifier_has_temporal(&self) -> bool {
        self.temporal_before_close(self.pos)
    }

    /// At `(`: does a temporal word occur before the matching `)`?
    fn paren_has_temporal(&self) -> bool {
        self.temporal_before_close(self.pos + 1)
    }

    /// Whether a temporal word occurs from token `pos` on, before a closing
    /// bracket that has no opening one after `pos` (or the end).
    fn temporal_before_close(&self, pos: usize) -> bool {
        let mut depth = 0usize;
        for i in pos..self.tokens.len() {
            match &self.tokens[i].tok {
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    if depth == 0 {
                        return false;
                    }
                    depth -= 1;
                }
                Tok::Eof => return false,
                _ if self.temporal_word(i) => return true,
                _ => {}
            }
        }
        false
    }

    /// Whether token `i` is a temporal word: a keyword (`always`, ...),
    /// `until`, or `taken` / `enabled` before a target (a name or `{`);
    /// elsewhere these three are ordinary names.
    fn temporal_word(&self, i: usize) -> bool {
        let tok = |i: usize| self.tokens.get(i).map(|t| &t.tok);
        match tok(i) {
            Some(t) if t.is_temporal() => true,
            Some(Tok::Ident(w)) if w == "until" => true,
            Some(Tok::Ident(w)) if w == "taken" || w == "enabled" => {
                matches!(tok(i + 1), Some(Tok::Ident(_) | Tok::LBrace))
            }
            _ => false,
        }
    }

    // ------------------------------------------------------------ fairness

    fn fairness(&mut self) -> PResult<FairnessDecl> {
        let start = self.peek_span();
        let binders = if self.eat(&Tok::Forall) {
            let b = self.binders()?;
            self.expect(&Tok::Colon, "`:` after the binders")?;
            b
        } else {
            Vec::new()
        };
        let kind = match self.peek() {
            Tok::Ident(w) if w == "weak" => FairnessKind::Weak,
            Tok::Ident(w) if w == "strong" => FairnessKind::Strong,
            _ => return Err(self.unexpected("`weak` or `strong`").help(FAIRNESS_HELP)),
        };
        self.bump();
        let each = matches!(self.peek(), Tok::Ident(w) if w == "each")
            && matches!(self.peek_at(1), Tok::Ident(_) | Tok::LBrace);
        if each {
            self.bump();
        }
        let targets = self.fair_targets()?;
        Ok(FairnessDecl {
            kind,
            binders,
            each,
            targets,
            span: start.to(self.prev_span()),
        })
    }

    /// One target, or a `{...}` group of them.
    fn fair_targets(&mut self) -> PResult<Vec<FairTarget>> {
        Ok(if self.at(&Tok::LBrace) {
            let open = self.bump().span;
            let mut v = Vec::new();
            loop {
                if self.at(&Tok::RBrace) {
                    let close = self.bump().span;
                    if v.is_empty() {
                        return Err(Diagnostic::new(open.to(close), "empty group")
                            .label("names no action")
                            .help(FAIR_TARGET_HELP));
                    }
                    break;
                }
                v.push(self.fair_target()?);
                if self.eat(&Tok::RBrace) {
                    break;
                }
                if !self.eat(&Tok::Comma) {
                    return Err(self.unexpected("`,` or `}` in the group"));
                }
            }
            v
        } else {
            vec![self.fair_target()?]
        })
    }

    /// `Name` or `Name(arg, ...)`, each argument `_` or an expression.
    fn fair_target(&mut self) -> PResult<FairTarget> {
        let name = self.ident("an action name").map_err(|d| {
            if d.help.is_none() {
                d.help(FAIR_TARGET_HELP)
            } else {
                d
            }
        })?;
        if matches!(name.name.as_str(), "weak" | "strong") {
            return Err(Diagnostic::new(
                name.span,
                format!("`{}` after the kind of fairness", name.name),
            )
            .label("second kind")
            .help("give `weak` or `strong` once, then the actions"));
        }
        let args = if self.eat(&Tok::LParen) {
            let mut v = Vec::new();
            loop {
                if self.eat(&Tok::RParen) {
                    break;
                }
                let wildcard = matches!(self.peek(), Tok::Ident(w) if w == "_")
                    && matches!(self.peek_at(1), Tok::Comma | Tok::RParen);
                if wildcard {
                    self.bump();
                    v.push(None);
                } else {
                    v.push(Some(self.nested_expr()?));
                }
                if self.eat(&Tok::RParen) {
                    break;
                }
                if !self.eat(&Tok::Comma) {
                    return Err(self.unexpected("`,` or `)` in the argument list"));
                }
            }
            Some(v)
        } else {
            None
        };
        let span = name.span.to(self.prev_span());
        Ok(FairTarget { name, args, span })
    }

    // ------------------------------------------------------------ types

    fn ty(&mut self) -> PResult<TypeExpr> {
        self.enter()?;
        let r = self.ty_inner();
        self.depth -= 1;
        r
    }

    fn ty_inner(&mut self) -> PResult<TypeExpr> {
        let start = self.peek_span();
        match self.peek().clone() {
            Tok::Bool => {
                self.bump();
                Ok(TypeExpr {
                    kind: TypeKind::Bool,
                    span: start,
                })
            }
            Tok::Enum => {
                self.bump();
                self.expect(&Tok::LBrace, "`{` after `enum`")?;
                let mut variants = Vec::new();
                loop {
                    if self.eat(&Tok::RBrace) {
                        break;
                    }
                    let name = self.ident("a variant name")?;
                    let mut payload = Vec::new();
                    if self.eat(&Tok::LParen) {
                        loop {
                            payload.push(self.ty()?);
                            if self.eat(&Tok::RParen) {
                                break;
                            }
                            if !self.eat(&Tok::Comma) {
                                return Err(self.unexpected("`,` or `)` in the payload"));
                            }
                        }
                    }
                    variants.push(VariantDecl { name, payload });
                    if self.eat(&Tok::RBrace) {
                        break;
                    }
                    if !self.eat(&Tok::Comma) {
                        return Err(self.unexpected("`,` or `}` in the enum"));
                    }
                }
                if variants.is_empty() {
                    return Err(Diagnostic::new(start.to(self.prev_span()), "empty enum")
                        .label("no variants")
                        .help("an enum needs at least one variant"));
                }
                Ok(TypeExpr {
                    kind: TypeKind::Enum(variants),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::LBrace => {
                self.bump();
                let mut fields = Vec::new();
                loop {
                    if self.eat(&Tok::RBrace) {
                        break;
                    }
                    let f = self.ident("a field name")?;
                    self.expect(&Tok::Colon, "`:` after the field name")?;
                    let t = self.ty()?;
                    fields.push((f, t));
                    if self.eat(&Tok::RBrace) {
                        break;
                    }
                    if !self.eat(&Tok::Comma) {
                        return Err(self.unexpected("`,` or `}` in the record type"));
                    }
                }
                Ok(TypeExpr {
                    kind: TypeKind::Record(fields),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::LParen => {
                self.bump();
                let mut items = vec![self.ty()?];
                while self.eat(&Tok::Comma) {
                    if self.at(&Tok::RParen) {
                        break;
                    }
                    items.push(self.ty()?);
                }
                self.expect(&Tok::RParen, "`,` or `)` in the tuple type")?;
                let span = start.to(self.prev_span());
                if items.len() == 1 {
                    let mut t = items.pop().unwrap_or_else(|| unreachable_ty(span));
                    t.span = span;
                    return Ok(t);
                }
                Ok(TypeExpr {
                    kind: TypeKind::Tuple(items),
                    span,
                })
            }
            Tok::LBracket => {
                self.bump();
                let k = self.ty()?;
                self.expect(&Tok::Arrow, "`->` in the map type")?;
                let v = self.ty()?;
                self.expect(&Tok::RBracket, "`]` at the end of the map type")?;
                Ok(TypeExpr {
                    kind: TypeKind::Map(Box::new(k), Box::new(v)),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::Set => {
                self.bump();
                self.expect(&Tok::Lt, "`<` after `set`")?;
                let t = self.ty()?;
                let bound = if self.eat(&Tok::Comma) {
                    Some(self.expr_bp(BP_RANGE)?)
                } else {
                    None
                };
                self.expect(&Tok::Gt, "`>` at the end of the set type")?;
                let kind = match bound {
                    Some(c) => TypeKind::BoundedSet(Box::new(t), Box::new(c)),
                    None => TypeKind::Set(Box::new(t)),
                };
                Ok(TypeExpr {
                    kind,
                    span: start.to(self.prev_span()),
                })
            }
            Tok::Ident(name) if name == "bag" && *self.peek_at(1) == Tok::Lt => {
                self.bump();
                self.expect(&Tok::Lt, "`<` after `bag`")?;
                let t = self.ty()?;
                if !self.eat(&Tok::Comma) {
                    return Err(self
                        .unexpected("`,` and a bound")
                        .help("`bag<T, C>` needs a bound: the most members it can hold in total"));
                }
                let c = self.expr_bp(BP_RANGE)?;
                self.expect(&Tok::Gt, "`>` at the end of the bag type")?;
                Ok(TypeExpr {
                    kind: TypeKind::Bag(Box::new(t), Box::new(c)),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::Multiset | Tok::Seq => {
                let is_seq = self.at(&Tok::Seq);
                let kw = if is_seq { "seq" } else { "multiset" };
                self.bump();
                self.expect(&Tok::Lt, &format!("`<` after `{kw}`"))?;
                let t = self.ty()?;
                if !self.eat(&Tok::Comma) {
                    let bound = if is_seq { "L" } else { "M" };
                    return Err(self.unexpected("`,` and a bound").help(format!(
                        "`{kw}<T, {bound}>` needs a bound: the maximum {}",
                        if is_seq {
                            "length"
                        } else {
                            "number of copies of an element"
                        }
                    )));
                }
                let n = self.expr_bp(BP_RANGE)?;
                self.expect(&Tok::Gt, &format!("`>` at the end of the {kw} type"))?;
                let span = start.to(self.prev_span());
                let kind = if is_seq {
                    TypeKind::Seq(Box::new(t), Box::new(n))
                } else {
                    TypeKind::Multiset(Box::new(t), Box::new(n))
                };
                Ok(TypeExpr { kind, span })
            }
            Tok::Ident(_) | Tok::Int(_) | Tok::Dash => {
                let lo = self.expr_bp(BP_ADD)?;
                if self.eat(&Tok::DotDot) {
                    let hi = self.expr_bp(BP_ADD)?;
                    return Ok(TypeExpr {
                        span: lo.span.to(hi.span),
                        kind: TypeKind::Range(Box::new(lo), Box::new(hi)),
                    });
                }
                match lo.kind {
                    ExprKind::Name(id) => Ok(TypeExpr {
                        kind: TypeKind::Named(id),
                        span: lo.span,
                    }),
                    _ => Err(Diagnostic::new(lo.span, "expected a type")
                        .label("not a type")
                        .help("an integer type is written `lo..hi`")),
                }
            }
            _ => Err(self.unexpected("a type")),
        }
    }

    // ------------------------------------------------------------ statements

    /// Statements until `}` (not consumed) or end of input. With
    /// `top == true` a stray `}` is reported and skipped.
    fn stmts(&mut self, top: bool) -> Vec<Stmt> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Tok::Eof => break,
                Tok::RBrace if !top => break,
                Tok::RBrace => {
                    let d = Diagnostic::new(self.peek_span(), "unmatched `}`")
                        .label("no block to close");
                    self.diags.push(d);
                    self.bump();
                    continue;
                }
                _ => {}
            }
            let before = self.pos;
            match self.stmt() {
                Ok(s) => out.push(s),
                Err(d) => {
                    self.diags.push(d);
                    self.recover();
                    if self.pos == before {
                        self.bump();
                    }
                }
            }
        }
        out
    }

    /// Skips to just after the next `;` of this block (or to its `}`).
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                Tok::LBrace | Tok::LParen | Tok::LBracket => depth += 1,
                Tok::RBrace | Tok::RParen | Tok::RBracket => {
                    if depth == 0 {
                        if matches!(self.peek(), Tok::RBrace) {
                            return;
                        }
                    } else {
                        depth -= 1;
                        if depth == 0 && matches!(self.peek(), Tok::RBrace) {
                            // end of a nested block: a statement may follow
                            self.bump();
                            return;
                        }
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn block(&mut self) -> PResult<Block> {
        self.enter()?;
        let r = self.block_inner();
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self) -> PResult<Block> {
        let start = self.expect(&Tok::LBrace, "`{`")?;
        let stmts = self.stmts(false);
        let end = self.expect(&Tok::RBrace, "`}` at the end of the block")?;
        Ok(Block {
            stmts,
            span: start.to(end),
        })
    }

    fn semi(&mut self) -> PResult<Span> {
        if self.at(&Tok::Semi) {
            return Ok(self.bump().span);
        }
        let found = self.peek().describe();
        let at = self.prev_span();
        let mut d = Diagnostic::new(
            Span::new(at.file, at.end, at.end),
            format!("expected `;` after the statement, found {found}"),
        )
        .label("missing `;`")
        .help("every statement (other than `if`, `for`, `either` and `with`) ends with `;`");
        if self.at(&Tok::EqEq) {
            d = d.help("to assign write `place = e;` (`==` compares)");
        }
        Err(d)
    }

    fn stmt(&mut self) -> PResult<Stmt> {
        let start = self.peek_span();
        match self.peek().clone() {
            Tok::Let => {
                self.bump();
                let name = self.ident("a name after `let`")?;
                self.expect(&Tok::Assign, "`=` after the name")?;
                let e = self.expr()?;
                let end = self.semi()?;
                Ok(Stmt {
                    kind: StmtKind::Let(name, e),
                    span: start.to(end),
                })
            }
            Tok::Require => {
                self.bump();
                let e = self.expr()?;
                let end = self.semi()?;
                Ok(Stmt {
                    kind: StmtKind::Require(e),
                    span: start.to(end),
                })
            }
            Tok::If => {
                self.bump();
                let c = self.expr()?;
                if !self.at(&Tok::LBrace) {
                    let mut d = self.unexpected("`{` after the condition");
                    if self.at(&Tok::Then) {
                        d = d.help("statement `if` is written `if c { ... } else { ... }`");
                    }
                    return Err(d);
                }
                let then = self.block()?;
                let mut end = then.span;
                let els = if self.eat(&Tok::Else) {
                    if self.at(&Tok::If) {
                        let s = self.stmt()?;
                        end = s.span;
                        Some(Block {
                            span: s.span,
                            stmts: vec![s],
                        })
                    } else {
                        let b = self.block()?;
                        end = b.span;
                        Some(b)
                    }
                } else {
                    None
                };
                Ok(Stmt {
                    kind: StmtKind::If(c, then, els),
                    span: start.to(end),
                })
            }
            Tok::For => {
                self.bump();
                let binders = self.binders()?;
                let body = self.block()?;
                Ok(Stmt {
                    span: start.to(body.span),
                    kind: StmtKind::For(binders, body),
                })
            }
            // `either` and `with` are words only where a statement starts
            // with them as PlusCal's do (a variable may still be named so).
            Tok::Ident(name) if name == "either" && matches!(self.peek_at(1), Tok::LBrace) => {
                self.bump();
                let mut branches = vec![self.block()?];
                while self.eat(&Tok::Or) {
                    branches.push(self.block()?);
                }
                let end = branches.last().map(|b| b.span).unwrap_or(start);
                if branches.len() < 2 {
                    return Err(Diagnostic::new(
                        start.to(end),
                        "`either` needs at least two branches",
                    )
                    .label("only one branch")
                    .help(
                        "write `either { ... } or { ... }`; a single branch is just its statements",
                    ));
                }
                Ok(Stmt {
                    span: start.to(end),
                    kind: StmtKind::Either(branches),
                })
            }
            Tok::Ident(name) if name == "with" && matches!(self.peek_at(1), Tok::Ident(_)) => {
                self.bump();
                let binders = self.binders()?;
                let body = self.block()?;
                Ok(Stmt {
                    span: start.to(body.span),
                    kind: StmtKind::With(binders, body),
                })
            }
            Tok::Ident(name)
                if matches!(
                    name.as_str(),
                    "insert" | "remove" | "append" | "send" | "broadcast" | "reset"
                ) && matches!(self.peek_at(1), Tok::LParen) =>
            {
                let f = self.ident("a statement")?;
                self.bump();
                let args = self.expr_list(&Tok::RParen, "`,` or `)` in the argument list")?;
                let arity = if f.name == "reset" { 1 } else { 2 };
                if args.len() != arity {
                    return Err(Diagnostic::new(
                        start.to(self.prev_span()),
                        format!(
                            "`{}` takes {} argument{}, found {}",
                            f.name,
                            if arity == 1 { "one" } else { "two" },
                            if arity == 1 { "" } else { "s" },
                            args.len()
                        ),
                    )
                    .label("wrong number of arguments")
                    .help(match f.name.as_str() {
                        "send" => "write `send(destination, message);`".to_string(),
                        "broadcast" => "write `broadcast(Role, message);`".to_string(),
                        "reset" => "write `reset(place);`".to_string(),
                        _ => format!("write `{}(place, value);`", f.name),
                    }));
                }
                // `send(dst, m)` and `broadcast(R, m)` (message passing,
                // lowered by dcheck-net) take values, not places.
                let takes_place = !matches!(f.name.as_str(), "send" | "broadcast");
                if takes_place && !is_place(&args[0]) {
                    return Err(Diagnostic::new(
                        args[0].span,
                        format!("the first argument of `{}` must be a place", f.name),
                    )
                    .label("not a variable, field or index")
                    .help("a place is a variable, possibly followed by `.f`, `.0` and `[i]`"));
                }
                let end = self.semi()?;
                Ok(Stmt {
                    kind: StmtKind::Call(f, args),
                    span: start.to(end),
                })
            }
            Tok::Semi => Err(Diagnostic::new(start, "empty statement")
                .label("stray `;`")
                .help("remove this `;`")),
            _ => {
                let lhs = self.expr()?;
                if self.at(&Tok::Assign) {
                    if !is_place(&lhs) {
                        return Err(Diagnostic::new(lhs.span, "cannot assign to this expression")
                            .label("not a place")
                            .help("a place is a variable, possibly followed by `.f`, `.0` and `[i]`"));
                    }
                    self.bump();
                    let rhs = self.expr()?;
                    let end = self.semi()?;
                    return Ok(Stmt {
                        kind: StmtKind::Assign(lhs, rhs),
                        span: start.to(end),
                    });
                }
                let mut d = Diagnostic::new(lhs.span, "expected a statement, found an expression")
                    .label("expression used as a statement");
                d = if matches!(lhs.kind, ExprKind::Binary(BinOp::Eq, _, _)) {
                    d.help("to assign write `place = e;` (`==` compares)")
                } else {
                    d.help("statements are `place = e;`, `let x = e;`, `require c;`, `if`, `for`, `insert(..)`, `remove(..)`, `append(..)`")
                };
                Err(d)
            }
        }
    }
}

fn unreachable_ty(span: Span) -> TypeExpr {
    TypeExpr {
        kind: TypeKind::Bool,
        span,
    }
}

/// `l and r` / `l or r` between temporal formulas: one predicate when both
/// are predicates (the expression the expression parser would build).
fn junction(op: BinOp, l: Temporal, r: Temporal) -> Temporal {
    let span = l.span.to(r.span);
    let kind = match (l.kind, r.kind) {
        (TemporalKind::Pred(a), TemporalKind::Pred(b)) => TemporalKind::Pred(Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            span,
        }),
        (a, b) => {
            let (a, b) = (
                Box::new(Temporal {
                    kind: a,
                    span: l.span,
                }),
                Box::new(Temporal {
                    kind: b,
                    span: r.span,
                }),
            );
            match op {
                BinOp::And => TemporalKind::And(a, b),
                _ => TemporalKind::Or(a, b),
            }
        }
    };
    Temporal { kind, span }
}
