//! Lexer for the code language embedded in spec strings (types, expressions,
//! statements): turns a code string into [`Token`]s with byte spans.
//!
//! Spans are produced through an [`OffsetMap`], so that a code string taken
//! out of a `.ron` file (possibly with escapes) yields spans into the file.
//! The lexer never panics: unexpected characters (including any non-ASCII
//! character outside a comment) become diagnostics.

use crate::diag::Diagnostic;
use crate::span::{FileId, Span};

/// Maps byte offsets in a code string to byte offsets in its source file.
#[derive(Clone, Debug)]
pub struct OffsetMap {
    /// For every byte of the code string: the file range of the source text
    /// that produced it (one byte, or a whole escape sequence).
    bytes: Vec<(u32, u32)>,
    /// File offset standing for the end of the string (e.g. its closing quote).
    end: u32,
    /// Used when the map is the identity shifted by `base`.
    base: Option<u32>,
}

impl OffsetMap {
    /// The identity map shifted by `base` (code text copied verbatim).
    pub fn shifted(base: u32) -> OffsetMap {
        OffsetMap {
            bytes: Vec::new(),
            end: 0,
            base: Some(base),
        }
    }
    /// A map given the source range of every content byte and the offset of
    /// the end of the string.
    pub fn from_table(bytes: Vec<(u32, u32)>, end: u32) -> OffsetMap {
        OffsetMap {
            bytes,
            end,
            base: None,
        }
    }
    fn start_of(&self, i: usize) -> u32 {
        if let Some(b) = self.base {
            return b.saturating_add(i as u32);
        }
        match self.bytes.get(i) {
            Some(&(s, _)) => s,
            None => self.end,
        }
    }
    fn end_of(&self, i: usize) -> u32 {
        if let Some(b) = self.base {
            return b.saturating_add(i as u32);
        }
        if i == 0 {
            return self.start_of(0);
        }
        match self.bytes.get(i - 1) {
            Some(&(_, e)) => e,
            None => self.end,
        }
    }
    /// The file span of the code-string byte range `start..end`.
    pub fn span(&self, file: FileId, start: usize, end: usize) -> Span {
        let s = self.start_of(start);
        let e = if end > start { self.end_of(end) } else { s };
        Span::new(file, s, e.max(s))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    // keywords
    Forall,
    Exists,
    In,
    NotIn,
    If,
    Then,
    Else,
    Let,
    And,
    Or,
    Not,
    Implies,
    Union,
    Intersect,
    Minus,
    Subseteq,
    True,
    False,
    For,
    Require,
    Enum,
    Set,
    Multiset,
    Seq,
    Bool,
    /// `mod` and `div`: TLA+'s modulus (in `0..b-1`) and floor division.
    ModKw,
    DivKw,
    Match,
    Choose,
    // temporal keywords (only meaningful in `properties`)
    Always,
    Eventually,
    LeadsTo,
    // punctuation
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Semi,
    Dot,
    DotDot,
    Arrow,
    MapsTo,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Assign,
    Plus,
    Dash,
    Star,
    Slash,
    Percent,
    PlusPlus,
    FatArrow,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

impl Tok {
    /// `always`, `eventually` or `leads_to`.
    pub fn is_temporal(&self) -> bool {
        matches!(self, Tok::Always | Tok::Eventually | Tok::LeadsTo)
    }
    /// How the token is shown in "expected ..., found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier `{s}`"),
            Tok::Int(i) => format!("integer `{i}`"),
            Tok::Eof => "end of input".to_string(),
            t => format!("`{}`", t.text()),
        }
    }
    fn text(&self) -> &'static str {
        match self {
            Tok::Ident(_) | Tok::Int(_) | Tok::Eof => "",
            Tok::Forall => "forall",
            Tok::Exists => "exists",
            Tok::In => "in",
            Tok::NotIn => "notin",
            Tok::If => "if",
            Tok::Then => "then",
            Tok::Else => "else",
            Tok::Let => "let",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::Implies => "implies",
            Tok::Union => "union",
            Tok::Intersect => "intersect",
            Tok::Minus => "minus",
            Tok::Subseteq => "subseteq",
            Tok::True => "true",
            Tok::False => "false",
            Tok::For => "for",
            Tok::Require => "require",
            Tok::Enum => "enum",
            Tok::Set => "set",
            Tok::Multiset => "multiset",
            Tok::Seq => "seq",
            Tok::Bool => "bool",
            Tok::ModKw => "mod",
            Tok::DivKw => "div",
            Tok::Match => "match",
            Tok::Choose => "choose",
            Tok::Always => "always",
            Tok::Eventually => "eventually",
            Tok::LeadsTo => "leads_to",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Semi => ";",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::Arrow => "->",
            Tok::MapsTo => "|->",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Assign => "=",
            Tok::Plus => "+",
            Tok::Dash => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::PlusPlus => "++",
            Tok::FatArrow => "=>",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Whether `s` is a keyword of the code language (and so cannot be a name).
pub fn is_keyword(s: &str) -> bool {
    keyword(s).is_some()
}

fn keyword(s: &str) -> Option<Tok> {
    Some(match s {
        "forall" => Tok::Forall,
        "exists" => Tok::Exists,
        "in" => Tok::In,
        "notin" => Tok::NotIn,
        "if" => Tok::If,
        "then" => Tok::Then,
        "else" => Tok::Else,
        "let" => Tok::Let,
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "implies" => Tok::Implies,
        "union" => Tok::Union,
        "intersect" => Tok::Intersect,
        "minus" => Tok::Minus,
        "subseteq" => Tok::Subseteq,
        "true" => Tok::True,
        "false" => Tok::False,
        "for" => Tok::For,
        "require" => Tok::Require,
        "enum" => Tok::Enum,
        "set" => Tok::Set,
        "multiset" => Tok::Multiset,
        "seq" => Tok::Seq,
        "bool" => Tok::Bool,
        "mod" => Tok::ModKw,
        "div" => Tok::DivKw,
        "match" => Tok::Match,
        "choose" => Tok::Choose,
        "always" => Tok::Always,
        "eventually" => Tok::Eventually,
        "leads_to" => Tok::LeadsTo,
        _ => return None,
    })
}

/// Lexes `text`. Returns the tokens (always ending with [`Tok::Eof`]) and
/// the diagnostics for characters that could not be lexed (they are skipped).
pub fn lex(text: &str, file: FileId, map: &OffsetMap) -> (Vec<Token>, Vec<Diagnostic>) {
    lex_with(text, file, map, false)
}

/// [`lex`]; with `primes`, `x'` (a name followed by `'`, an action
/// property's value after the step) is the identifier `x'`.
pub fn lex_with(
    text: &str,
    file: FileId,
    map: &OffsetMap,
    primes: bool,
) -> (Vec<Token>, Vec<Diagnostic>) {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut diags = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if primes && b.get(i) == Some(&b'\'') {
                toks.push(Token {
                    tok: Tok::Ident(text[start..i + 1].to_string()),
                    span: map.span(file, start, i + 1),
                });
                i += 1;
                continue;
            }
            let word = &text[start..i];
            let span = map.span(file, start, i);
            // TLA+'s reserved words: a diagnostic that names the dcheck
            // form, and the token it stands for where there is one.
            let tok = match tla_word(word) {
                Some((help, stands_for)) => {
                    diags.push(tla_diag(span, word, help));
                    stands_for.unwrap_or_else(|| Tok::Ident(word.to_string()))
                }
                None => keyword(word).unwrap_or_else(|| Tok::Ident(word.to_string())),
            };
            toks.push(Token { tok, span });
            // TLA+'s primed variable, `x'`.
            if b.get(i) == Some(&b'\'') {
                diags.push(tla_diag(
                    map.span(file, start, i + 1),
                    &format!("{word}'"),
                    "a primed variable is TLA+'s next state: assign it in an effect, \
                     `x = e;` (for `x' = e`), and leave out what does not change (for \
                     `UNCHANGED`); `x'` is read in `action_properties`",
                ));
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let span = map.span(file, start, i);
            let value = match text[start..i].parse::<i64>() {
                Ok(v) => v,
                Err(_) => {
                    diags.push(
                        Diagnostic::new(span, "integer literal too large")
                            .label("does not fit in 64 bits")
                            .help("integers are 64-bit signed values"),
                    );
                    0
                }
            };
            toks.push(Token {
                tok: Tok::Int(value),
                span,
            });
            continue;
        }
        let next = b.get(i + 1).copied();
        let next2 = b.get(i + 2).copied();
        let (tok, len) = match (c, next) {
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b'{', _) => (Tok::LBrace, 1),
            (b'}', _) => (Tok::RBrace, 1),
            (b',', _) => (Tok::Comma, 1),
            (b':', _) => (Tok::Colon, 1),
            (b';', _) => (Tok::Semi, 1),
            (b'.', Some(b'.')) => (Tok::DotDot, 2),
            (b'.', _) => (Tok::Dot, 1),
            (b'-', Some(b'>')) => (Tok::Arrow, 2),
            (b'-', _) => (Tok::Dash, 1),
            (b'|', Some(b'-')) if next2 == Some(b'>') => (Tok::MapsTo, 3),
            (b'|', Some(b'|')) => (Tok::OrOr, 2),
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'=', Some(b'>')) => (Tok::FatArrow, 2),
            (b'=', _) => (Tok::Assign, 1),
            (b'!', Some(b'=')) => (Tok::Ne, 2),
            (b'!', _) => (Tok::Bang, 1),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'>', _) => (Tok::Gt, 1),
            (b'+', Some(b'+')) => (Tok::PlusPlus, 2),
            (b'+', _) => (Tok::Plus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', Some(b'\\' | b'=')) | (b'\\', _) | (b'#', _) => {
                let len = tla_operator(&b[i..]);
                let op = &text[i..i + len];
                let help = match op {
                    "/\\" => "write `and` (TLA+'s `/\\`)",
                    "\\/" => "write `or` (TLA+'s `\\/`)",
                    "/=" | "#" => "write `!=` (TLA+'s `/=` and `#`)",
                    "\\in" => "write `in`: `x in S` (TLA+'s `\\in`)",
                    "\\notin" => "write `notin`: `x notin S` (TLA+'s `\\notin`)",
                    "\\A" => "write `forall x in S: P` (TLA+'s `\\A x \\in S : P`)",
                    "\\E" => "write `exists x in S: P` (TLA+'s `\\E x \\in S : P`)",
                    _ => {
                        "TLA+ operators are words here: `and`, `or`, `not`, `in`, `forall`, \
                          `exists`, `implies` (docs/language.md)"
                    }
                };
                diags.push(tla_diag(map.span(file, i, i + len), op, help));
                i += len;
                continue;
            }
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            (b'&', Some(b'&')) => (Tok::AndAnd, 2),
            _ => {
                // Skip one whole character (it may be multi-byte).
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                let w = ch.len_utf8().max(1);
                let tilde_arrow = ch == '~' && next == Some(b'>');
                i += if tilde_arrow { 2 } else { w };
                let span = map.span(file, start, i);
                let (msg, help) = if tilde_arrow {
                    (
                        "unexpected `~>`".to_string(),
                        "write `P leads_to Q` (TLA+'s `P ~> Q`)",
                    )
                } else if ch.is_ascii() {
                    (
                        format!("unexpected character `{}`", ch.escape_default()),
                        "this character is not part of the spec language",
                    )
                } else {
                    (
                        format!("non-ASCII character `{ch}` in code"),
                        "code may only use ASCII characters (outside `//` comments)",
                    )
                };
                diags.push(
                    Diagnostic::new(span, msg)
                        .label("unexpected character")
                        .help(help),
                );
                continue;
            }
        };
        i += len;
        toks.push(Token {
            tok,
            span: map.span(file, start, i),
        });
    }
    toks.push(Token {
        tok: Tok::Eof,
        span: map.span(file, b.len(), b.len()),
    });
    (toks, diags)
}

/// TLA+'s reserved words that a TLA+ user may write: the help line, and
/// the token the word stands for (so parsing goes on as if it were right).
fn tla_word(word: &str) -> Option<(&'static str, Option<Tok>)> {
    Some(match word {
        "TRUE" => ("write `true` (TLA+'s `TRUE`)", keyword("true")),
        "FALSE" => ("write `false` (TLA+'s `FALSE`)", keyword("false")),
        "CHOOSE" => (
            "write `choose x in S: P` (TLA+'s `CHOOSE x \\in S : P`): the least such x",
            keyword("choose"),
        ),
        "EXCEPT" => (
            "assign the element in an effect, `f[k] = v;` (for TLA+'s \
             `f' = [f EXCEPT ![k] = v]`)",
            None,
        ),
        "UNCHANGED" => (
            "leave it out: a variable an effect does not assign keeps its value \
             (TLA+'s `UNCHANGED x`)",
            None,
        ),
        _ => return None,
    })
}

/// The length of the TLA+ operator at the start of `b` (which starts with
/// `/`, `\\` or `#`): `\\in`, `\\notin`, `\\A`, `\\E`, or two characters.
fn tla_operator(b: &[u8]) -> usize {
    if b[0] == b'#' {
        return 1;
    }
    if b[0] == b'\\' {
        let word = b[1..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if matches!(&b[1..1 + word], b"in" | b"notin" | b"A" | b"E") {
            return 1 + word;
        }
    }
    if b.len() > 1 && b[1].is_ascii() {
        2
    } else {
        1
    }
}

fn tla_diag(span: Span, op: &str, help: &str) -> Diagnostic {
    Diagnostic::new(span, format!("`{op}` is TLA+, not dcheck"))
        .label("TLA+ syntax")
        .help(help.to_string())
}
