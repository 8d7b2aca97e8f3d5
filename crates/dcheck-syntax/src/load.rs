//! Loading a spec: reads the `.ron` file, deserializes it into raw structs
//! whose code fields are strings, parses every code string and builds the
//! [`ast::Spec`], resolving `extends` (recursively, with cycle detection).
//!
//! The `ron` crate does not report where strings are, so a small scanner
//! ([`scan_ron`]) finds every string literal of the file, with a map from
//! offsets in its unescaped content back to file offsets. Deserialized
//! strings are matched to the literals in document order, and every span of
//! the parsed code is mapped into the file: a diagnostic underlines the exact
//! characters inside the `.ron` file, even after escapes.
//!
//! All errors of a file are reported at once; loading never panics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::ast::{self, Ident};
use crate::diag::Diagnostic;
use crate::lexer::{self, OffsetMap};
use crate::parser;
use crate::span::{FileId, SourceMap, Span};

/// Result of loading: the spec, or every diagnostic. The [`SourceMap`] holds
/// every file read, in both cases.
pub type LoadResult = Result<(SourceMap, ast::Spec), (SourceMap, Vec<Diagnostic>)>;

/// The default limit on the size of a file dcheck reads (16 MiB);
/// `--max-input-size` changes it.
pub const DEFAULT_MAX_INPUT: u64 = 16 << 20;

/// What the loader may read (see `docs/security.md`): regular files of at
/// most `max_size` bytes and, for every path a spec names (`extends`),
/// only files inside `root` once symbolic links are followed, never in a
/// `.git` directory.
#[derive(Clone, Debug)]
pub struct Access {
    /// The spec root; `None`: [`spec_root`] of the top-level spec.
    pub root: Option<PathBuf>,
    pub max_size: u64,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            root: None,
            max_size: DEFAULT_MAX_INPUT,
        }
    }
}

/// The default spec root of the spec at `path`: the nearest enclosing git
/// work tree (a directory with a `.git` entry), else the spec's own
/// directory; canonical.
pub fn spec_root(path: &Path) -> PathBuf {
    let dir = canonical(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut at = Some(dir.as_path());
    while let Some(d) = at {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        at = d.parent();
    }
    dir
}

/// Loads the spec at `path` (and the bases it extends) with the default
/// [`Access`].
pub fn load_spec(path: &Path) -> LoadResult {
    load_spec_with(path, &Access::default())
}

/// Loads the spec at `path` (and the bases it extends), reading only what
/// `access` allows.
pub fn load_spec_with(path: &Path, access: &Access) -> LoadResult {
    let name = path.display().to_string();
    let root = access
        .root
        .as_deref()
        .map(canonical)
        .unwrap_or_else(|| spec_root(path));
    let mut loader = Loader {
        access: Access {
            root: Some(root),
            max_size: access.max_size,
        },
        ..Loader::default()
    };
    match read_input(path, access.max_size) {
        Ok(text) => loader.finish(&name, text),
        Err(NotText::Refused(why)) => {
            let file = loader.sources.add(name.clone(), String::new());
            let d = Diagnostic::new(
                Span::new(file, 0, 0),
                format!("cannot read `{name}`: {why}"),
            )
            .label("not read")
            .help("give the path of a dcheck spec (a .ron text file)");
            Err((loader.sources, vec![d]))
        }
        Err(NotText::Io(e)) => {
            let file = loader.sources.add(name.clone(), String::new());
            let d = Diagnostic::new(
                Span::new(file, 0, 0),
                format!("cannot read spec file `{name}`: {e}"),
            )
            .label("unreadable")
            .help("check the path and the file permissions");
            Err((loader.sources, vec![d]))
        }
        Err(NotText::Binary) => {
            let file = loader.sources.add(name.clone(), String::new());
            let d = Diagnostic::new(
                Span::new(file, 0, 0),
                format!("`{name}` is a binary file, not a spec"),
            )
            .label("binary data (NUL bytes)")
            .help(NOT_TEXT_HELP);
            Err((loader.sources, vec![d]))
        }
        Err(NotText::Encoding { shown, at }) => {
            let file = loader.sources.add(name.clone(), shown);
            let at = u32::try_from(at).unwrap_or(u32::MAX - 3);
            let d = Diagnostic::new(
                Span::new(file, at, at + '\u{FFFD}'.len_utf8() as u32),
                format!("`{name}` is not UTF-8 text"),
            )
            .label("not UTF-8")
            .help(NOT_TEXT_HELP);
            Err((loader.sources, vec![d]))
        }
    }
}

const NOT_TEXT_HELP: &str =
    "a spec is a RON text file in UTF-8; save it as UTF-8 (or check that this is the right file)";

/// Why a file's contents are not a spec's text.
pub enum NotText {
    Io(std::io::Error),
    /// Not read at all: what the file is (a FIFO, too large, outside the
    /// spec root, ...).
    Refused(String),
    /// NUL bytes in its first 8 KiB.
    Binary,
    /// Not UTF-8: the text with invalid bytes shown as U+FFFD, and the
    /// offset of the first.
    Encoding {
        shown: String,
        at: usize,
    },
}

/// The kind of a file that is not a regular file, for a refusal.
fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    if meta.is_dir() {
        return Some("a directory");
    }
    (!meta.is_file()).then_some("not a regular file")
}

/// Reads an input file (a spec, a trace) as text: only a regular file,
/// outside `/proc`, `/sys` and `/dev`, of at most `max_size` bytes, all
/// checked before any byte is read.
pub fn read_input(path: &Path, max_size: u64) -> Result<String, NotText> {
    let meta = std::fs::metadata(path).map_err(NotText::Io)?;
    if let Some(kind) = not_regular(&meta) {
        return Err(NotText::Refused(format!(
            "it is {kind}, not a regular file"
        )));
    }
    let canon = canonical(path);
    if ["/proc", "/sys", "/dev"]
        .iter()
        .any(|p| canon.starts_with(p))
    {
        return Err(NotText::Refused(format!(
            "`{}` is a system file, not a spec",
            canon.display()
        )));
    }
    if meta.len() > max_size {
        return Err(NotText::Refused(format!(
            "it is {} bytes, over the input size limit of {} bytes (--max-input-size raises it)",
            meta.len(),
            max_size
        )));
    }
    let file = std::fs::File::open(path).map_err(NotText::Io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows after the check is still read only up to the limit.
    std::io::Read::read_to_end(&mut std::io::Read::take(file, max_size + 1), &mut bytes)
        .map_err(NotText::Io)?;
    if bytes.len() as u64 > max_size {
        return Err(NotText::Refused(format!(
            "it is over the input size limit of {max_size} bytes (--max-input-size raises it)"
        )));
    }
    text_of(bytes)
}

/// The spec at `path`, named by another spec (`extends`): refused, without
/// reading it, unless it resolves inside `root` and outside any `.git`
/// directory; then as [`read_input`].
fn read_named(path: &Path, access: &Access) -> Result<String, NotText> {
    let canon = std::fs::canonicalize(path).map_err(NotText::Io)?;
    if let Some(root) = &access.root {
        if !canon.starts_with(root) {
            return Err(NotText::Refused(format!(
                "`{}` is outside the spec root `{}` (every file a spec names must be inside it; --spec-root sets it)",
                canon.display(),
                root.display()
            )));
        }
        let inside = canon.strip_prefix(root).unwrap_or(&canon);
        if inside.components().any(|c| c.as_os_str() == ".git") {
            return Err(NotText::Refused(format!(
                "`{}` is inside a `.git` directory, which a spec may not read",
                canon.display()
            )));
        }
    }
    read_input(path, access.max_size)
}

/// A file's bytes as a spec's text, or why they are not text.
fn text_of(bytes: Vec<u8>) -> Result<String, NotText> {
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(NotText::Binary);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        NotText::Encoding {
            shown: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            at,
        }
    })
}

/// Loads a spec from `text`, as if read from the file `name` (`extends`
/// paths are resolved relative to `name`'s directory).
pub fn load_spec_str(name: &str, text: &str) -> LoadResult {
    Loader::default().finish(name, text.to_string())
}

// ------------------------------------------------------------------ scanner

/// A string literal of the RON text.
#[derive(Clone, Debug)]
pub struct Literal {
    /// The unescaped content.
    pub content: String,
    /// File range of the content (inside the quotes).
    pub content_start: u32,
    pub content_end: u32,
    /// For every content byte, the file range that produced it.
    pub map: Vec<(u32, u32)>,
}

/// What [`scan_ron`] finds in a RON text.
#[derive(Clone, Debug, Default)]
pub struct RonScan {
    /// Every string literal, in order.
    pub literals: Vec<Literal>,
    /// The file range of the value of every `default:` field, in order.
    pub defaults: Vec<(u32, u32)>,
    /// Offset of the first token (normally the opening `(`).
    pub first_token: u32,
    /// The file range of every integer value of a `count:` or `capacity:`
    /// field (written as a RON integer instead of a code string), in order.
    pub ints: Vec<(u32, u32)>,
    /// Top-level fields whose value is bracketed (`network: (...)`): the
    /// field name and the file range from the name to the closing bracket.
    pub fields: Vec<(String, u32, u32)>,
    /// The elements of top-level list fields (`handlers: [ (...), (...) ]`):
    /// the list's field name and the file range of the element.
    pub items: Vec<(String, u32, u32)>,
}

impl RonScan {
    /// Range of the top-level field `name` (first occurrence).
    pub fn field(&self, name: &str) -> Option<(u32, u32)> {
        self.fields
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|&(_, s, e)| (s, e))
    }
    /// Range of the `k`-th element of the top-level list field `name`.
    pub fn item(&self, name: &str, k: usize) -> Option<(u32, u32)> {
        self.items
            .iter()
            .filter(|(n, _, _)| n == name)
            .nth(k)
            .map(|&(_, s, e)| (s, e))
    }
}

/// An open bracket of the RON text, while scanning.
struct Frame {
    open: u8,
    start: usize,
    /// The top-level field this bracket is the value of.
    key: Option<(String, usize)>,
    /// The top-level list field this bracket is an element of.
    list_of: Option<String>,
}

fn push_char(content: &mut Vec<u8>, map: &mut Vec<(u32, u32)>, c: char, from: usize, to: usize) {
    let mut buf = [0u8; 4];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        content.push(b);
        map.push((from as u32, to as u32));
    }
}

/// Skips whitespace and comments from `i`; returns the new offset.
fn skip_trivia(b: &[u8], mut i: usize) -> usize {
    loop {
        if i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        } else if b.get(i) == Some(&b'/') && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b.get(i) == Some(&b'/') && b.get(i + 1) == Some(&b'*') {
            let mut level = 1;
            i += 2;
            while i < b.len() && level > 0 {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    level += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    level -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
        } else {
            return i;
        }
    }
}

fn hex_value(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Finds the string literals (normal with escapes, raw `r"..."`,
/// `r#"..."#`) of a RON text, skipping comments and char literals.
pub fn scan_ron(text: &str) -> RonScan {
    let b = text.as_bytes();
    let mut scan = RonScan::default();
    let mut i = skip_trivia(b, 0);
    scan.first_token = i as u32;
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending_key: Option<(String, usize)> = None;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'(' | b'[' | b'{') {
            let key = if stack.len() == 1 {
                pending_key.take()
            } else {
                None
            };
            let list_of = match stack.get(1) {
                Some(f) if stack.len() == 2 && f.open == b'[' => {
                    f.key.as_ref().map(|k| k.0.clone())
                }
                _ => None,
            };
            stack.push(Frame {
                open: c,
                start: i,
                key,
                list_of,
            });
            i += 1;
            continue;
        }
        if matches!(c, b')' | b']' | b'}') {
            if let Some(f) = stack.pop() {
                if let Some((name, s)) = f.key {
                    scan.fields.push((name, s as u32, i as u32 + 1));
                }
                if let Some(name) = f.list_of {
                    scan.items.push((name, f.start as u32, i as u32 + 1));
                }
            }
            pending_key = None;
            i += 1;
            continue;
        }
        if c == b',' {
            pending_key = None;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() || c == b'/' {
            let j = skip_trivia(b, i);
            i = if j == i { i + 1 } else { j };
            continue;
        }
        if c == b'"' {
            // normal string
            let mut content = Vec::new();
            let mut map = Vec::new();
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' && j + 1 < b.len() {
                    let esc = j;
                    let (ch, len) = match b[j + 1] {
                        b'n' => (Some('\n'), 2),
                        b'r' => (Some('\r'), 2),
                        b't' => (Some('\t'), 2),
                        b'0' => (Some('\0'), 2),
                        b'\\' => (Some('\\'), 2),
                        b'"' => (Some('"'), 2),
                        b'\'' => (Some('\''), 2),
                        b'x' if j + 3 < b.len() => {
                            (hex_value(&b[j + 2..j + 4]).and_then(char::from_u32), 4)
                        }
                        b'u' if b.get(j + 2) == Some(&b'{') => {
                            let mut k = j + 3;
                            while k < b.len() && b[k] != b'}' && k < j + 10 {
                                k += 1;
                            }
                            let v = hex_value(&b[(j + 3).min(k)..k]).and_then(char::from_u32);
                            (v, k + 1 - j)
                        }
                        _ => (None, 2),
                    };
                    let end = (esc + len).min(b.len());
                    if let Some(ch) = ch {
                        push_char(&mut content, &mut map, ch, esc, end);
                    }
                    j = end;
                } else {
                    content.push(b[j]);
                    map.push((j as u32, j as u32 + 1));
                    j += 1;
                }
            }
            scan.literals.push(Literal {
                content: String::from_utf8_lossy(&content).into_owned(),
                content_start: start as u32,
                content_end: j.min(b.len()) as u32,
                map,
            });
            i = j + 1;
            continue;
        }
        if c == b'r' && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) {
            let mut j = i + 1;
            while j < b.len() && b[j] == b'#' {
                j += 1;
            }
            if b.get(j) == Some(&b'"') {
                let hashes = j - i - 1;
                let start = j + 1;
                let mut k = start;
                let end = loop {
                    if k >= b.len() {
                        break b.len();
                    }
                    if b[k] == b'"'
                        && b[k + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&h| h == b'#')
                            .count()
                            == hashes
                    {
                        break k;
                    }
                    k += 1;
                };
                let content = String::from_utf8_lossy(&b[start..end]).into_owned();
                let map = (start..end).map(|p| (p as u32, p as u32 + 1)).collect();
                scan.literals.push(Literal {
                    content,
                    content_start: start as u32,
                    content_end: end as u32,
                    map,
                });
                i = end + 1 + hashes;
                continue;
            }
        }
        if c == b'\'' {
            // char literal: skip `'x'`, `'\x'`
            let mut j = i + 1;
            if b.get(j) == Some(&b'\\') {
                j += 2;
            }
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let k = skip_trivia(b, i);
            if b.get(k) == Some(&b':') {
                let word = &b[s..i];
                if stack.len() == 1 {
                    pending_key = Some((String::from_utf8_lossy(word).into_owned(), s));
                }
                let v = skip_trivia(b, k + 1);
                let mut e = v;
                if b.get(e) == Some(&b'-') || b.get(e) == Some(&b'+') {
                    e += 1;
                }
                let signed = e > v;
                while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'_') {
                    e += 1;
                }
                if word == b"default" {
                    scan.defaults.push((v as u32, e as u32));
                } else if matches!(
                    word,
                    b"count" | b"capacity" | b"crash" | b"recover" | b"byzantine"
                ) && b
                    .get(if signed { v + 1 } else { v })
                    .is_some_and(u8::is_ascii_digit)
                {
                    scan.ints.push((v as u32, e as u32));
                }
            }
            continue;
        }
        i += 1;
    }
    scan
}

// ------------------------------------------------------------------ raw structs

struct Tracker {
    contents: Vec<String>,
    cursor: usize,
    /// [`RonScan::ints`] and the next one to hand out.
    ints: Vec<(u32, u32)>,
    int_cursor: usize,
}

/// Index of the next literal with content `text` (advancing the cursor).
fn locate(text: &str) -> Option<usize> {
    TRACKER.with(|t| {
        let mut t = t.borrow_mut();
        let t = t.as_mut()?;
        let j = (t.cursor..t.contents.len()).find(|&j| t.contents[j] == text)?;
        t.cursor = j + 1;
        Some(j)
    })
}

thread_local! {
    static TRACKER: RefCell<Option<Tracker>> = const { RefCell::new(None) };
}

/// A string of the RON file, with the index of its literal (if found).
#[derive(Clone, Debug, Default)]
struct Located {
    text: String,
    lit: Option<usize>,
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let lit = locate(&text);
        Ok(Located { text, lit })
    }
}

/// A constant expression written as a code string (`count: "N"`) or as a
/// RON integer (`capacity: 8`).
#[derive(Clone, Debug)]
enum CodeOrInt {
    Code(Located),
    /// The value and its file range (if the scanner found it).
    Int(i64, Option<(u32, u32)>),
}

impl CodeOrInt {
    fn zero() -> CodeOrInt {
        CodeOrInt::Int(0, None)
    }
}

impl<'de> Deserialize<'de> for CodeOrInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn int(v: i64) -> CodeOrInt {
            let span = TRACKER.with(|t| {
                let mut t = t.borrow_mut();
                let t = t.as_mut()?;
                let r = t.ints.get(t.int_cursor).copied()?;
                t.int_cursor += 1;
                Some(r)
            });
            CodeOrInt::Int(v, span)
        }
        impl Visitor<'_> for V {
            type Value = CodeOrInt;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a code string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CodeOrInt, E> {
                Ok(CodeOrInt::Code(Located {
                    text: v.to_string(),
                    lit: locate(v),
                }))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CodeOrInt, E> {
                Ok(int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CodeOrInt, E> {
                i64::try_from(v)
                    .map(int)
                    .map_err(|_| E::custom("integer too large for 64 bits"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug)]
enum RawValue {
    Int(i64),
    Bool(bool),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer or a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                i64::try_from(v)
                    .map(RawValue::Int)
                    .map_err(|_| E::custom("integer constant too large for 64 bits"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    name: Option<Located>,
    #[serde(default)]
    doc: Option<Located>,
    #[serde(default)]
    extends: Option<Located>,
    /// Inherited invariants and properties to drop (only with `extends`).
    #[serde(default)]
    omit: Option<Vec<Located>>,
    #[serde(default)]
    constants: Vec<RawConst>,
    #[serde(default)]
    types: Vec<RawType>,
    #[serde(default)]
    vars: Option<Vec<RawVar>>,
    #[serde(default)]
    defs: Vec<RawDef>,
    #[serde(default)]
    init: Option<RawInit>,
    #[serde(default)]
    actions: Vec<RawAction>,
    #[serde(default)]
    invariants: Vec<RawInvariant>,
    #[serde(default)]
    terminal: Option<Located>,
    /// State constraints: (name, expr, doc), like invariants.
    #[serde(default)]
    constraints: Vec<RawInvariant>,
    /// Action properties: (name, expr, doc), the expression reading `x'`.
    #[serde(default)]
    action_properties: Vec<RawInvariant>,
    #[serde(default)]
    view: Option<Located>,
    /// `None`: no `symmetry` field (an extending file keeps its base's).
    #[serde(default)]
    symmetry: Option<Vec<Located>>,
    /// `None`: no `assume_progress` field (an extending file keeps its base's).
    #[serde(default)]
    assume_progress: Option<bool>,
    #[serde(default)]
    refines: Vec<RawRefines>,
    #[serde(default)]
    properties: Vec<RawProperty>,
    /// `None`: no `fairness` field (an extending file keeps its base's).
    #[serde(default)]
    fairness: Option<Vec<Located>>,
    #[serde(default)]
    roles: Vec<RawRole>,
    #[serde(default)]
    messages: Vec<RawMessage>,
    #[serde(default)]
    network: Option<RawNetwork>,
    #[serde(default)]
    faults: Option<RawFaults>,
    #[serde(default)]
    steps: Vec<RawStep>,
    #[serde(default)]
    handlers: Vec<RawHandler>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: Located,
    count: CodeOrInt,
    #[serde(default)]
    vars: Vec<RawRoleVar>,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoleVar {
    name: Located,
    #[serde(rename = "type")]
    ty: Located,
    #[serde(default)]
    persistent: bool,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    name: Located,
    #[serde(default)]
    fields: Option<Located>,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    #[serde(default)]
    delivery: Option<Located>,
    #[serde(default)]
    duplicating: bool,
    #[serde(default)]
    lossy: bool,
    capacity: CodeOrInt,
    #[serde(default)]
    per_channel: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaults {
    #[serde(default = "CodeOrInt::zero")]
    crash: CodeOrInt,
    #[serde(default = "CodeOrInt::zero")]
    recover: CodeOrInt,
    #[serde(default = "CodeOrInt::zero")]
    byzantine: CodeOrInt,
    #[serde(default)]
    roles: Vec<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    role: Located,
    name: Located,
    #[serde(default)]
    params: Option<Located>,
    #[serde(default)]
    guard: Option<Located>,
    #[serde(default)]
    effect: Option<Located>,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHandler {
    role: Located,
    on: Located,
    #[serde(default)]
    from: Option<Located>,
    #[serde(default)]
    guard: Option<Located>,
    #[serde(default)]
    effect: Option<Located>,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConst {
    name: Located,
    default: RawValue,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawType {
    name: Located,
    def: Located,
    #[serde(default)]
    #[allow(dead_code)] // read only to keep the string cursor in step
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVar {
    name: Located,
    #[serde(rename = "type")]
    ty: Located,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDef {
    name: Located,
    #[serde(default)]
    params: Option<Located>,
    body: Located,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInit {
    #[serde(default)]
    params: Option<Located>,
    #[serde(default)]
    guard: Option<Located>,
    #[serde(default)]
    effect: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    name: Located,
    #[serde(default)]
    params: Option<Located>,
    #[serde(default)]
    guard: Option<Located>,
    #[serde(default)]
    effect: Option<Located>,
    #[serde(default)]
    doc: Option<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInvariant {
    name: Located,
    expr: Located,
    #[serde(default)]
    doc: Option<Located>,
}

/// A refinement: (name, spec path, mapping).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefines {
    name: Located,
    spec: Located,
    #[serde(default)]
    with: Option<Located>,
}

/// A temporal property. Every string field is a [`Located`], so the
/// string cursor stays in step whatever the order of the fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProperty {
    name: Located,
    expr: Located,
    /// `None`: the spec-level fairness applies; `Some([])`: none.
    #[serde(default)]
    fairness: Option<Vec<Located>>,
    #[serde(default)]
    doc: Option<Located>,
}

// ------------------------------------------------------------------ loader

/// One file's items, before merging with its base.
#[derive(Default)]
struct Partial {
    name: Option<Ident>,
    doc: Option<String>,
    constants: Vec<ast::ConstDecl>,
    types: Vec<ast::TypeDecl>,
    vars: Vec<ast::VarDecl>,
    defs: Vec<ast::DefDecl>,
    init: Option<ast::InitDecl>,
    actions: Vec<ast::ActionDecl>,
    invariants: Vec<ast::InvariantDecl>,
    terminal: Option<ast::Expr>,
    constraints: Vec<ast::InvariantDecl>,
    action_properties: Vec<ast::InvariantDecl>,
    view: Option<ast::Expr>,
    symmetry: Option<Vec<Ident>>,
    assume_progress: Option<bool>,
    refines: Vec<ast::RefinesDecl>,
    properties: Vec<ast::PropertyDecl>,
    /// `None`: the file has no `fairness` field.
    fairness: Option<Vec<ast::FairnessDecl>>,
    distributed: ast::Distributed,
    /// The names of the invariants and properties declared in this file and
    /// its bases, minus the omitted ones (also those whose expression did not
    /// parse, so omitting one is no second error): what an extending file
    /// may `omit`.
    checks: Vec<String>,
}

trait Named {
    fn ident(&self) -> &Ident;
}

impl Named for Ident {
    fn ident(&self) -> &Ident {
        self
    }
}
macro_rules! named {
    ($($t:ty),*) => { $(impl Named for $t { fn ident(&self) -> &Ident { &self.name } })* };
}
named!(
    ast::ConstDecl,
    ast::TypeDecl,
    ast::VarDecl,
    ast::DefDecl,
    ast::ActionDecl,
    ast::InvariantDecl,
    ast::PropertyDecl,
    ast::RefinesDecl,
    ast::RoleDecl,
    ast::MessageDecl
);

/// [`merge`] with items identified by `key` (steps by role and name,
/// handlers by role and message).
fn merge_by<T>(mut base: Vec<T>, over: Vec<T>, key: impl Fn(&T) -> (&str, &str)) -> Vec<T> {
    for item in over {
        match base.iter().position(|b| key(b) == key(&item)) {
            Some(i) => base[i] = item,
            None => base.push(item),
        }
    }
    base
}

fn step_key(s: &ast::StepDecl) -> (&str, &str) {
    (&s.role.name, &s.name.name)
}

fn handler_key(h: &ast::HandlerDecl) -> (&str, &str) {
    (&h.role.name, &h.on.name)
}

/// Base items first; an item of `over` replaces the base item of the same
/// name in place, others are appended.
fn merge<T: Named>(mut base: Vec<T>, over: Vec<T>) -> Vec<T> {
    for item in over {
        match base
            .iter()
            .position(|b| b.ident().name == item.ident().name)
        {
            Some(i) => base[i] = item,
            None => base.push(item),
        }
    }
    base
}

impl Partial {
    fn apply(self, over: Partial) -> Partial {
        Partial {
            name: over.name.or(self.name),
            doc: over.doc.or(self.doc),
            constants: merge(self.constants, over.constants),
            types: merge(self.types, over.types),
            vars: merge(self.vars, over.vars),
            defs: merge(self.defs, over.defs),
            init: over.init.or(self.init),
            actions: merge(self.actions, over.actions),
            invariants: merge(self.invariants, over.invariants),
            terminal: over.terminal.or(self.terminal),
            constraints: merge(self.constraints, over.constraints),
            action_properties: merge(self.action_properties, over.action_properties),
            view: over.view.or(self.view),
            symmetry: over.symmetry.or(self.symmetry),
            assume_progress: over.assume_progress.or(self.assume_progress),
            refines: merge(self.refines, over.refines),
            properties: merge(self.properties, over.properties),
            // A `fairness` field of the extending file replaces the base's list.
            fairness: over.fairness.or(self.fairness),
            distributed: {
                let (b, o) = (self.distributed, over.distributed);
                ast::Distributed {
                    roles: merge(b.roles, o.roles),
                    messages: merge(b.messages, o.messages),
                    network: o.network.or(b.network),
                    faults: o.faults.or(b.faults),
                    steps: merge_by(b.steps, o.steps, step_key),
                    handlers: merge_by(b.handlers, o.handlers, handler_key),
                }
            },
            checks: {
                let mut names = self.checks;
                for n in over.checks {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                names
            },
        }
    }

    /// Removes the invariants and properties named `name`.
    fn remove_check(&mut self, name: &str) {
        self.invariants.retain(|i| i.name.name != name);
        self.action_properties.retain(|i| i.name.name != name);
        self.properties.retain(|p| p.name.name != name);
        self.checks.retain(|n| n != name);
    }

    /// What kind of item of this spec `name` is, other than an invariant or
    /// a property (for the hint of an `omit` that names one).
    fn kind_of(&self, name: &str) -> Option<&'static str> {
        fn has<T: Named>(items: &[T], name: &str) -> bool {
            items.iter().any(|i| i.ident().name == name)
        }
        let d = &self.distributed;
        [
            (has(&self.actions, name), "an action"),
            (has(&self.defs, name), "a def"),
            (has(&self.vars, name), "a variable"),
            (has(&self.constants, name), "a constant"),
            (has(&self.types, name), "a type"),
            (has(&d.roles, name), "a role"),
            (has(&d.messages, name), "a message"),
            (d.steps.iter().any(|s| s.name.name == name), "a step"),
        ]
        .into_iter()
        .find_map(|(found, kind)| found.then_some(kind))
    }
}

#[derive(Default)]
struct Loader {
    /// What may be read.
    access: Access,
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    /// Canonical paths of the files being loaded (for cycle detection).
    chain: Vec<PathBuf>,
}

/// The per-file context: file id and scanned literals.
struct FileCtx {
    file: FileId,
    scan: RonScan,
    first: Span,
}

impl FileCtx {
    fn literal(&self, l: &Located) -> Option<&Literal> {
        l.lit.and_then(|i| self.scan.literals.get(i))
    }
    /// Span of the content of the string (inside the quotes).
    fn span(&self, l: &Located) -> Span {
        match self.literal(l) {
            Some(lit) => Span::new(self.file, lit.content_start, lit.content_end),
            None => self.first,
        }
    }
    fn map(&self, l: &Located) -> OffsetMap {
        match self.literal(l) {
            Some(lit) => OffsetMap::from_table(lit.map.clone(), lit.content_end),
            None => OffsetMap::from_table(
                vec![(self.first.start, self.first.end); l.text.len()],
                self.first.end,
            ),
        }
    }
    fn ident(&self, l: &Located) -> Ident {
        Ident {
            name: l.text.clone(),
            span: self.span(l),
        }
    }
}

/// The spec a fully merged file makes, if it has a name and an init.
fn into_spec(p: Partial) -> Option<ast::Spec> {
    Some(ast::Spec {
        name: p.name?,
        doc: p.doc.unwrap_or_default(),
        constants: p.constants,
        types: p.types,
        vars: p.vars,
        defs: p.defs,
        init: p.init?,
        actions: p.actions,
        invariants: p.invariants,
        terminal: p.terminal,
        constraints: p.constraints,
        action_properties: p.action_properties,
        view: p.view,
        symmetry: p.symmetry.unwrap_or_default(),
        assume_progress: p.assume_progress.unwrap_or(false),
        refines: p.refines,
        properties: p.properties,
        fairness: p.fairness.unwrap_or_default(),
        distributed: p.distributed,
    })
}

/// `omit` names `id`, which `base` (the spec at `extends: "path"`, merged
/// with its own bases) has no invariant or property of.
fn unknown_omit(base: &Partial, id: &Ident, path: &str) -> Diagnostic {
    let name = &id.name;
    let list = if base.checks.is_empty() {
        format!("`{path}` (with its bases) declares no invariant or property, so there is nothing to omit")
    } else {
        let names: Vec<String> = base.checks.iter().map(|n| format!("`{n}`")).collect();
        format!(
            "the invariants and properties that `{path}` (with its bases) declares, which `omit` can remove: {}",
            names.join(", ")
        )
    };
    let help = match base.kind_of(name) {
        Some(kind) => format!(
            "`{name}` is {kind} of the base spec, and `omit` removes only invariants and \
             properties; {list}"
        ),
        None => list,
    };
    Diagnostic::new(
        id.span,
        format!("cannot omit `{name}`: the base spec has no invariant or property of that name"),
    )
    .label("not an inherited invariant or property")
    .help(help)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn line_col_to_offset(text: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            return (off + col.saturating_sub(1)).min(off + l.len());
        }
        off += l.len();
    }
    text.len()
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const RON_HELP: &str = "a spec is a RON struct: `( name: \"...\", vars: [ (name: \"x\", type: \"bool\") ], ... )`; \
strings are in double quotes (use r#\"...\"# for code with quotes or several lines), lists in `[ ]`, and fields are separated by commas";

fn ron_diag(file: FileId, text: &str, e: &ron::error::SpannedError) -> Diagnostic {
    use ron::error::Error as E;
    let mut off = line_col_to_offset(text, e.position.line, e.position.col);
    while off < text.len() && !text.is_char_boundary(off) {
        off += 1;
    }
    let b = text.as_bytes();
    // One character at the error position (or the identifier ending there).
    let mut span = {
        let end = text[off..]
            .chars()
            .next()
            .map_or(off, |c| off + c.len_utf8());
        Span::new(file, off as u32, end as u32)
    };
    let mut message = format!("invalid spec file: {}", e.code);
    let (label, help) = match &e.code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let within = match outer.as_deref() {
                Some("RawSpec") => "in the spec",
                Some("RawConst") => "in a constant",
                Some("RawType") => "in a type",
                Some("RawVar") => "in a variable",
                Some("RawDef") => "in a def",
                Some("RawInit") => "in `init`",
                Some("RawAction") => "in an action",
                Some("RawInvariant") => "in an invariant",
                Some("RawProperty") => "in a property",
                Some("RawRole") => "in a role",
                Some("RawRoleVar") => "in a role variable",
                Some("RawMessage") => "in a message",
                Some("RawNetwork") => "in `network`",
                Some("RawFaults") => "in `faults`",
                Some("RawStep") => "in a step",
                Some("RawHandler") => "in a handler",
                _ => "here",
            };
            message = format!("unknown field `{found}` {within}");
            // ron reports the position after the field name: find the name.
            let mut s = off.min(b.len());
            while s > 0 && !is_ident_byte(b[s - 1]) {
                s -= 1;
            }
            let end = s;
            while s > 0 && is_ident_byte(b[s - 1]) {
                s -= 1;
            }
            if &text[s..end] == found.as_str() {
                span = Span::new(file, s as u32, end as u32);
            }
            (
                "unknown field".to_string(),
                format!("the fields allowed here are: {}", expected.join(", ")),
            )
        }
        E::MissingStructField { field, .. } => (
            {
                message = format!("missing field `{field}`");
                format!("`{field}` missing")
            },
            format!("add the field `{field}: ...`"),
        ),
        E::DuplicateStructField { field, .. } => (
            "duplicate field".to_string(),
            format!("give the field `{field}` only once"),
        ),
        _ => ("here".to_string(), RON_HELP.to_string()),
    };
    Diagnostic::new(span, message).label(label).help(help)
}

impl Loader {
    /// Invariants or constraints: (name, expression, doc) each; those whose
    /// expression does not parse are left out (their errors are recorded).
    fn named_exprs(&mut self, ctx: &FileCtx, list: &[RawInvariant]) -> Vec<ast::InvariantDecl> {
        self.named_exprs_with(ctx, list, parser::parse_expr_mapped)
    }

    /// [`Self::named_exprs`] parsed by `parse`.
    fn named_exprs_with(
        &mut self,
        ctx: &FileCtx,
        list: &[RawInvariant],
        parse: fn(FileId, &str, &OffsetMap) -> Result<ast::Expr, Vec<Diagnostic>>,
    ) -> Vec<ast::InvariantDecl> {
        list.iter()
            .filter_map(|i| {
                let expr = self.code(ctx, &i.expr, parse)?;
                Some(ast::InvariantDecl {
                    name: ctx.ident(&i.name),
                    expr,
                    doc: i.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn finish(mut self, name: &str, text: String) -> LoadResult {
        self.chain.push(canonical(Path::new(name)));
        let partial = self.load_file(name, text);
        match partial {
            Some(p) if self.diags.is_empty() => match into_spec(p) {
                Some(spec) => Ok((self.sources, spec)),
                None => {
                    // Reported while loading the base without `extends`;
                    // kept as a safety net.
                    let d = Diagnostic::new(Span::default(), "the spec has no name or no init")
                        .help("add `name: \"...\"` and `init: (effect: \"...\")`");
                    Err((self.sources, vec![d]))
                }
            },
            _ => {
                if self.diags.is_empty() {
                    self.diags.push(Diagnostic::new(
                        Span::default(),
                        "the spec could not be loaded",
                    ));
                }
                self.diags
                    .sort_by_key(|d| (d.span.file.0, d.span.start, d.span.end));
                Err((self.sources, self.diags))
            }
        }
    }

    fn code<T>(
        &mut self,
        ctx: &FileCtx,
        l: &Located,
        f: fn(FileId, &str, &OffsetMap) -> Result<T, Vec<Diagnostic>>,
    ) -> Option<T> {
        match f(ctx.file, &l.text, &ctx.map(l)) {
            Ok(v) => Some(v),
            Err(ds) => {
                self.diags.extend(ds);
                None
            }
        }
    }

    /// Parses every fairness assumption of a list (all errors reported);
    /// `None` if any fails.
    fn fairness_list(&mut self, ctx: &FileCtx, list: &[Located]) -> Option<Vec<ast::FairnessDecl>> {
        let parsed: Vec<_> = list
            .iter()
            .map(|l| self.code(ctx, l, parser::parse_fairness_mapped))
            .collect();
        parsed.into_iter().collect()
    }

    fn params(&mut self, ctx: &FileCtx, l: &Option<Located>) -> Option<Vec<ast::Param>> {
        match l {
            Some(l) => self.code(ctx, l, parser::parse_params_mapped),
            None => Some(Vec::new()),
        }
    }

    fn guard(&mut self, ctx: &FileCtx, l: &Option<Located>) -> Option<Option<ast::Expr>> {
        match l {
            Some(l) => self.code(ctx, l, parser::parse_expr_mapped).map(Some),
            None => Some(None),
        }
    }

    fn effect(&mut self, ctx: &FileCtx, l: &Option<Located>) -> Option<ast::Block> {
        match l {
            Some(l) => self.code(ctx, l, parser::parse_block_mapped),
            None => Some(ast::Block {
                stmts: Vec::new(),
                span: ctx.first,
            }),
        }
    }

    /// The name a declaration gives, refused here (at the declaration,
    /// rather than at every use) when code could not refer to it: a keyword
    /// of the code language (`in`, `seq`) or not an identifier at all.
    fn decl_name(&mut self, ctx: &FileCtx, l: &Located, kind: &str) -> Ident {
        let id = ctx.ident(l);
        let name = &id.name;
        let identifier = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let a = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        if lexer::is_keyword(name) {
            self.diags.push(
                Diagnostic::new(id.span, format!("`{name}` is a keyword and cannot name {a} {kind}"))
                    .label("a keyword of the code language")
                    .help(format!(
                        "code could never refer to this {kind}: rename it, e.g. `{name}_` or `my_{name}`"
                    )),
            );
        } else if !identifier {
            self.diags.push(
                Diagnostic::new(id.span, format!("`{name}` is not a valid {kind} name"))
                    .label("not an identifier")
                    .help("a name starts with a letter or `_` and has only ASCII letters, digits and `_`, so that code can refer to it"),
            );
        }
        id
    }

    fn check_duplicates<T: Named>(&mut self, kind: &str, items: &[T]) {
        let mut seen: HashMap<&str, &Ident> = HashMap::new();
        for item in items {
            let id = item.ident();
            if let Some(first) = seen.get(id.name.as_str()) {
                let (line, col) = self.line_col(first.span);
                self.diags.push(
                    Diagnostic::new(id.span, format!("duplicate {kind} `{}`", id.name))
                        .label(format!("second {kind} named `{}`", id.name))
                        .help(format!(
                            "{} {kind} with this name is already defined at line {line}, column {col}; rename or remove one of them",
                            if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
                        )),
                );
            } else {
                seen.insert(&id.name, id);
            }
        }
    }

    /// Reports items with the same `(scope, ident name)` after the first;
    /// `diag(scope, second, line, column of the first)`.
    fn check_keyed_duplicates(
        &mut self,
        items: &[(String, Ident)],
        diag: impl Fn(&str, &Ident, usize, usize) -> Diagnostic,
    ) {
        let mut seen: HashMap<(&str, &str), &Ident> = HashMap::new();
        for (scope, id) in items {
            if let Some(first) = seen.get(&(scope.as_str(), id.name.as_str())) {
                let (line, col) = self.line_col(first.span);
                self.diags.push(diag(scope, id, line, col));
            } else {
                seen.insert((scope, &id.name), id);
            }
        }
    }

    /// A constant expression: a code string, or a RON integer.
    fn const_expr(&mut self, ctx: &FileCtx, c: &CodeOrInt) -> Option<ast::Expr> {
        match c {
            CodeOrInt::Code(l) => self.code(ctx, l, parser::parse_expr_mapped),
            CodeOrInt::Int(v, range) => Some(ast::Expr {
                kind: ast::ExprKind::Int(*v),
                span: range.map_or(ctx.first, |(s, e)| Span::new(ctx.file, s, e)),
            }),
        }
    }

    /// The message-passing sections of one file.
    fn distributed(&mut self, ctx: &FileCtx, raw: &RawSpec) -> ast::Distributed {
        let doc = |l: &Option<Located>| l.as_ref().map(|d| d.text.clone()).unwrap_or_default();
        let range =
            |r: Option<(u32, u32)>, or: Span| r.map_or(or, |(s, e)| Span::new(ctx.file, s, e));
        let mut d = ast::Distributed::default();
        for r in &raw.roles {
            let count = self.const_expr(ctx, &r.count);
            let mut vars = Some(Vec::new());
            for v in &r.vars {
                let ty = self.code(ctx, &v.ty, parser::parse_type_mapped);
                match (ty, vars.as_mut()) {
                    (Some(ty), Some(vars)) => vars.push(ast::RoleVarDecl {
                        name: self.decl_name(ctx, &v.name, "role variable"),
                        ty,
                        persistent: v.persistent,
                        doc: doc(&v.doc),
                    }),
                    _ => vars = None,
                }
            }
            if let (Some(count), Some(vars)) = (count, vars) {
                d.roles.push(ast::RoleDecl {
                    name: self.decl_name(ctx, &r.name, "role"),
                    count,
                    vars,
                    doc: doc(&r.doc),
                });
            }
        }
        for m in &raw.messages {
            if let Some(fields) = self.params(ctx, &m.fields) {
                d.messages.push(ast::MessageDecl {
                    name: self.decl_name(ctx, &m.name, "message"),
                    fields,
                    doc: doc(&m.doc),
                });
            }
        }
        if let Some(n) = &raw.network {
            let span = range(ctx.scan.field("network"), ctx.first);
            let delivery = match &n.delivery {
                Some(l) => ctx.ident(l),
                None => Ident {
                    name: "unordered".to_string(),
                    span,
                },
            };
            if let Some(capacity) = self.const_expr(ctx, &n.capacity) {
                d.network = Some(ast::NetworkDecl {
                    delivery,
                    duplicating: n.duplicating,
                    lossy: n.lossy,
                    capacity,
                    per_channel: n.per_channel,
                    span,
                });
            }
        }
        if let Some(f) = &raw.faults {
            let span = range(ctx.scan.field("faults"), ctx.first);
            let count = |this: &mut Self, c: &CodeOrInt| {
                this.const_expr(ctx, c).unwrap_or(ast::Expr {
                    kind: ast::ExprKind::Int(0),
                    span,
                })
            };
            d.faults = Some(ast::FaultsDecl {
                crash: count(self, &f.crash),
                recover: count(self, &f.recover),
                byzantine: count(self, &f.byzantine),
                roles: f.roles.iter().map(|r| ctx.ident(r)).collect(),
                span: range(ctx.scan.field("faults"), ctx.first),
            });
        }
        for s in &raw.steps {
            let params = self.params(ctx, &s.params);
            let guard = self.guard(ctx, &s.guard);
            let effect = self.effect(ctx, &s.effect);
            if let (Some(params), Some(guard), Some(effect)) = (params, guard, effect) {
                d.steps.push(ast::StepDecl {
                    role: ctx.ident(&s.role),
                    name: self.decl_name(ctx, &s.name, "step"),
                    params,
                    guard,
                    effect,
                    doc: doc(&s.doc),
                });
            }
        }
        for (k, h) in raw.handlers.iter().enumerate() {
            let on = self.code(ctx, &h.on, parser::parse_on_pattern_mapped);
            let from = match &h.from {
                Some(l) => self
                    .code(ctx, l, parser::parse_from_pattern_mapped)
                    .map(Some),
                None => Some(None),
            };
            let guard = self.guard(ctx, &h.guard);
            let effect = self.effect(ctx, &h.effect);
            if let (Some((on, bind)), Some(from), Some(guard), Some(effect)) =
                (on, from, guard, effect)
            {
                let span = range(ctx.scan.item("handlers", k), ctx.span(&h.on));
                d.handlers.push(ast::HandlerDecl {
                    role: ctx.ident(&h.role),
                    on,
                    bind,
                    from,
                    guard,
                    effect,
                    doc: doc(&h.doc),
                    span,
                });
            }
        }
        d
    }

    /// The names of a file's `omit` list to look up in its base: every one
    /// but those listed twice or redefined in the file itself (reported
    /// here).
    fn omit_list(&mut self, ctx: &FileCtx, raw: &RawSpec) -> Vec<Ident> {
        let Some(list) = &raw.omit else {
            return Vec::new();
        };
        let own: Vec<(&str, Ident)> = raw
            .invariants
            .iter()
            .map(|i| ("invariant", ctx.ident(&i.name)))
            .chain(
                raw.properties
                    .iter()
                    .map(|p| ("property", ctx.ident(&p.name))),
            )
            .chain(
                raw.action_properties
                    .iter()
                    .map(|a| ("action property", ctx.ident(&a.name))),
            )
            .collect();
        // Every name listed so far, and those to look up in the base.
        let mut seen: Vec<Ident> = Vec::new();
        let mut out: Vec<Ident> = Vec::new();
        for l in list {
            let id = ctx.ident(l);
            if let Some(first) = seen.iter().find(|o| o.name == id.name) {
                let (line, col) = self.line_col(first.span);
                self.diags.push(
                    Diagnostic::new(id.span, format!("`{}` is omitted twice", id.name))
                        .label("second mention in `omit`")
                        .help(format!(
                            "`omit` already names `{}` at line {line}, column {col}; remove one of them",
                            id.name
                        )),
                );
                continue;
            }
            seen.push(id.clone());
            if let Some((kind, def)) = own.iter().find(|(_, d)| d.name == id.name) {
                let (line, col) = self.line_col(def.span);
                let name = &id.name;
                self.diags.push(
                    Diagnostic::new(id.span, format!("`{name}` is both omitted and redefined"))
                        .label("omitted here")
                        .help(format!(
                            "this file also declares the {kind} `{name}` at line {line}, column \
                             {col}; keep one of the two: the declaration (to replace or add `{name}`) \
                             or the `omit` entry (to drop an inherited `{name}`)"
                        )),
                );
            } else {
                out.push(id);
            }
        }
        out
    }

    fn line_col(&self, span: Span) -> (usize, usize) {
        let Some(f) = self.sources.files.get(span.file.0 as usize) else {
            return (0, 0);
        };
        let upto = &f.text.as_bytes()[..(span.start as usize).min(f.text.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        (line, col)
    }

    /// Reads the spec file `l` names (`extends`, `refines`), relative to
    /// the directory of the file `name`, through the spec root's rules;
    /// `None` after a diagnostic (a cycle, a refusal, unreadable).
    fn read_relative(
        &mut self,
        ctx: &FileCtx,
        name: &str,
        l: &Located,
        field: &str,
        what: &str,
    ) -> Option<(PathBuf, PathBuf, String)> {
        let span = ctx.span(l);
        let dir = Path::new(name).parent().unwrap_or(Path::new(""));
        let path = dir.join(&l.text);
        let canon = canonical(&path);
        if self.chain.contains(&canon) {
            self.diags.push(
                Diagnostic::new(
                    span,
                    format!("`{field}` cycle: `{}` {field} itself", path.display()),
                )
                .label("leads back to a spec being loaded")
                .help(format!(
                    "a spec cannot {} itself, directly or through other specs",
                    if field == "extends" {
                        "extend"
                    } else {
                        "refine"
                    }
                )),
            );
            return None;
        }
        let text = match read_named(&path, &self.access) {
            Ok(t) => t,
            Err(NotText::Refused(why)) => {
                self.diags.push(
                    Diagnostic::new(
                        span,
                        format!("{what} `{}` not read: {why}", l.text),
                    )
                    .label("not read")
                    .help(
                        format!("`{field}` names a spec file inside the spec root (the enclosing git work tree, else the top-level spec's directory)"),
                    ),
                );
                return None;
            }
            Err(NotText::Binary | NotText::Encoding { .. }) => {
                self.diags.push(
                    Diagnostic::new(
                        span,
                        format!("{what} `{}` is not UTF-8 text", path.display()),
                    )
                    .label("not a spec's text")
                    .help(NOT_TEXT_HELP),
                );
                return None;
            }
            Err(NotText::Io(e)) => {
                self.diags.push(
                    Diagnostic::new(
                        span,
                        format!("cannot read {what} `{}`: {e}", path.display()),
                    )
                    .label(format!("{what} not readable"))
                    .help(format!(
                        "the path of `{field}` is relative to the directory of this file"
                    )),
                );
                return None;
            }
        };
        Some((path, canon, text))
    }

    /// A `refines` entry: the refined spec loaded (with its own bases), and
    /// the mapping parsed.
    fn refines(&mut self, ctx: &FileCtx, name: &str, r: &RawRefines) -> Option<ast::RefinesDecl> {
        let (path, canon, text) =
            self.read_relative(ctx, name, &r.spec, "refines", "refined spec")?;
        self.chain.push(canon);
        let loaded = self.load_file(&path.display().to_string(), text);
        self.chain.pop();
        let with = match &r.with {
            Some(w) => self.code(ctx, w, parser::parse_mapping_mapped)?,
            None => Vec::new(),
        };
        let spec = into_spec(loaded?)?;
        Some(ast::RefinesDecl {
            name: ctx.ident(&r.name),
            path: r.spec.text.clone(),
            path_span: ctx.span(&r.spec),
            spec: Box::new(spec),
            with,
        })
    }

    fn load_file(&mut self, name: &str, text: String) -> Option<Partial> {
        let scan = scan_ron(&text);
        // A file that is not a spec up to its opening `(` is never quoted
        // (it may be a credentials file an `extends` or a command line
        // pointed at): it is kept with no text, so no diagnostic can show a
        // line of it, and said to be what it is not.
        if text.as_bytes().get(scan.first_token as usize) != Some(&b'(') {
            let file = self.sources.add(name.to_string(), String::new());
            self.diags.push(
                Diagnostic::new(
                    Span::new(file, 0, 0),
                    format!("`{name}` is not a dcheck spec: expected `(` at the start"),
                )
                .label("not a spec")
                .help(
                    "a spec is a RON text file that starts with `(` (after comments):                      `( name: \"MySpec\", vars: [...], ... )`",
                ),
            );
            return None;
        }
        let file = self.sources.add(name.to_string(), text);
        let text = self.sources.file(file).text.clone();
        let first_len = u32::from(!text.is_empty());
        let first = Span::new(
            file,
            scan.first_token,
            (scan.first_token + first_len).min(text.len() as u32),
        );
        TRACKER.with(|t| {
            *t.borrow_mut() = Some(Tracker {
                contents: scan.literals.iter().map(|l| l.content.clone()).collect(),
                cursor: 0,
                ints: scan.ints.clone(),
                int_cursor: 0,
            })
        });
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let raw: Result<RawSpec, _> = options.from_str(&text);
        TRACKER.with(|t| *t.borrow_mut() = None);
        let raw = match raw {
            Ok(r) => r,
            Err(e) => {
                self.diags.push(ron_diag(file, &text, &e));
                return None;
            }
        };
        let ctx = FileCtx { file, scan, first };
        let mut p = Partial {
            name: raw.name.as_ref().map(|n| ctx.ident(n)),
            doc: raw.doc.as_ref().map(|d| d.text.clone()),
            ..Partial::default()
        };

        for (k, c) in raw.constants.iter().enumerate() {
            let default_span = match ctx.scan.defaults.get(k) {
                Some(&(s, e)) => Span::new(file, s, e),
                None => ctx.span(&c.name),
            };
            p.constants.push(ast::ConstDecl {
                name: self.decl_name(&ctx, &c.name, "constant"),
                default: match c.default {
                    RawValue::Int(i) => ast::ConstValue::Int(i),
                    RawValue::Bool(b) => ast::ConstValue::Bool(b),
                },
                default_span,
                doc: c.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
            });
        }
        for t in &raw.types {
            if let Some(def) = self.code(&ctx, &t.def, parser::parse_type_mapped) {
                p.types.push(ast::TypeDecl {
                    name: self.decl_name(&ctx, &t.name, "type"),
                    def,
                });
            }
        }
        for v in raw.vars.iter().flatten() {
            if let Some(ty) = self.code(&ctx, &v.ty, parser::parse_type_mapped) {
                p.vars.push(ast::VarDecl {
                    name: self.decl_name(&ctx, &v.name, "variable"),
                    ty,
                    doc: v.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
                });
            }
        }
        for d in &raw.defs {
            let params = self.params(&ctx, &d.params);
            let body = self.code(&ctx, &d.body, parser::parse_expr_mapped);
            if let (Some(params), Some(body)) = (params, body) {
                p.defs.push(ast::DefDecl {
                    name: self.decl_name(&ctx, &d.name, "definition"),
                    params,
                    body,
                    doc: d.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
                });
            }
        }
        if let Some(init) = &raw.init {
            let params = self.params(&ctx, &init.params);
            let guard = self.guard(&ctx, &init.guard);
            let effect = self.effect(&ctx, &init.effect);
            if let (Some(params), Some(guard), Some(effect)) = (params, guard, effect) {
                let span = init.effect.as_ref().map_or(first, |e| ctx.span(e));
                p.init = Some(ast::InitDecl {
                    params,
                    guard,
                    effect,
                    span,
                });
            }
        }
        for a in &raw.actions {
            let params = self.params(&ctx, &a.params);
            let guard = self.guard(&ctx, &a.guard);
            let effect = self.effect(&ctx, &a.effect);
            if let (Some(params), Some(guard), Some(effect)) = (params, guard, effect) {
                p.actions.push(ast::ActionDecl {
                    name: self.decl_name(&ctx, &a.name, "action"),
                    params,
                    guard,
                    effect,
                    doc: a.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
                });
            }
        }
        p.invariants = self.named_exprs(&ctx, &raw.invariants);
        if let Some(t) = &raw.terminal {
            p.terminal = self.code(&ctx, t, parser::parse_expr_mapped);
        }
        p.constraints = self.named_exprs(&ctx, &raw.constraints);
        p.action_properties = self.named_exprs_with(
            &ctx,
            &raw.action_properties,
            parser::parse_action_expr_mapped,
        );
        if let Some(v) = &raw.view {
            p.view = self.code(&ctx, v, parser::parse_expr_mapped);
        }
        if let Some(list) = &raw.symmetry {
            p.symmetry = Some(list.iter().map(|n| ctx.ident(n)).collect());
        }
        p.assume_progress = raw.assume_progress;
        for r in &raw.refines {
            if let Some(decl) = self.refines(&ctx, name, r) {
                p.refines.push(decl);
            }
        }
        for pr in &raw.properties {
            let formula = self.code(&ctx, &pr.expr, parser::parse_temporal_mapped);
            let fairness = match &pr.fairness {
                Some(list) => self.fairness_list(&ctx, list).map(Some),
                None => Some(None),
            };
            if let (Some(formula), Some(fairness)) = (formula, fairness) {
                p.properties.push(ast::PropertyDecl {
                    name: ctx.ident(&pr.name),
                    formula,
                    fairness,
                    doc: pr.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
                });
            }
        }
        if let Some(list) = &raw.fairness {
            p.fairness = Some(self.fairness_list(&ctx, list).unwrap_or_default());
        }
        p.distributed = self.distributed(&ctx, &raw);
        for n in raw.invariants.iter().map(|i| &i.name) {
            p.checks.push(n.text.clone());
        }
        for n in raw
            .properties
            .iter()
            .map(|p| &p.name)
            .chain(raw.action_properties.iter().map(|a| &a.name))
        {
            if !p.checks.contains(&n.text) {
                p.checks.push(n.text.clone());
            }
        }

        // Duplicate names (checked on the declarations, even unparsable ones).
        let ids =
            |v: Vec<&Located>| -> Vec<Ident> { v.into_iter().map(|n| ctx.ident(n)).collect() };
        self.check_duplicates(
            "constant",
            &ids(raw.constants.iter().map(|c| &c.name).collect()),
        );
        self.check_duplicates("type", &ids(raw.types.iter().map(|c| &c.name).collect()));
        self.check_duplicates(
            "variable",
            &ids(raw.vars.iter().flatten().map(|c| &c.name).collect()),
        );
        self.check_duplicates("def", &ids(raw.defs.iter().map(|c| &c.name).collect()));
        self.check_duplicates(
            "action",
            &ids(raw.actions.iter().map(|c| &c.name).collect()),
        );
        self.check_duplicates(
            "invariant",
            &ids(raw.invariants.iter().map(|c| &c.name).collect()),
        );
        self.check_duplicates(
            "constraint",
            &ids(raw.constraints.iter().map(|c| &c.name).collect()),
        );
        self.check_duplicates(
            "action property",
            &ids(raw.action_properties.iter().map(|c| &c.name).collect()),
        );
        self.check_duplicates(
            "property",
            &ids(raw.properties.iter().map(|c| &c.name).collect()),
        );
        self.check_duplicates("role", &ids(raw.roles.iter().map(|c| &c.name).collect()));
        self.check_duplicates(
            "role variable",
            &ids(raw
                .roles
                .iter()
                .flat_map(|r| r.vars.iter().map(|v| &v.name))
                .collect()),
        );
        self.check_duplicates(
            "message",
            &ids(raw.messages.iter().map(|c| &c.name).collect()),
        );
        let steps: Vec<_> = raw
            .steps
            .iter()
            .map(|s| (s.role.text.clone(), ctx.ident(&s.name)))
            .collect();
        self.check_keyed_duplicates(&steps, |role, id, line, col| {
            Diagnostic::new(id.span, format!("duplicate step `{}` of role `{role}`", id.name))
                .label(format!("second step `{}` of role `{role}`", id.name))
                .help(format!(
                    "role `{role}` already has a step named `{}` at line {line}, column {col}; rename or remove one of them",
                    id.name
                ))
        });
        // handlers: keyed by role and message name (read from `on`, ignoring
        // the field binders; patterns that do not parse are reported above).
        let handlers: Vec<_> = p
            .distributed
            .handlers
            .iter()
            .map(|h| (h.role.name.clone(), h.on.clone()))
            .collect();
        self.check_keyed_duplicates(&handlers, |role, id, line, col| {
            Diagnostic::new(
                id.span,
                format!("duplicate handler for `{}` in role `{role}`", id.name),
            )
            .label(format!("second handler for `{}`", id.name))
            .help(format!(
                "role `{role}` already handles `{}` at line {line}, column {col}; \
                 merge the two handlers (use `if` in the effect to tell cases apart)",
                id.name
            ))
        });

        let omitted = self.omit_list(&ctx, &raw);
        match &raw.extends {
            None => {
                if raw.omit.is_some() {
                    let span = match ctx.scan.field("omit") {
                        Some((s, _)) => Span::new(file, s, s + "omit".len() as u32),
                        None => first,
                    };
                    self.diags.push(
                        Diagnostic::new(span, "`omit` without `extends`")
                            .label("`omit` needs a base spec")
                            .help(
                                "`omit` drops invariants and properties inherited through \
                                 `extends: \"base.ron\"`; in a spec without a base, delete \
                                 the invariant or property itself",
                            ),
                    );
                }
                let missing = [
                    (raw.name.is_none(), "name", "add `name: \"MySpec\",`"),
                    (
                        // Role variables count as state variables.
                        raw.vars.is_none() && raw.roles.is_empty(),
                        "vars",
                        "add the state variables: `vars: [ (name: \"x\", type: \"0..3\") ],`",
                    ),
                    (
                        raw.init.is_none(),
                        "init",
                        "add the initial states: `init: (effect: \"x = 0;\"),` (an empty effect keeps every variable at its default)",
                    ),
                ];
                for (absent, field, help) in missing {
                    if absent {
                        self.diags.push(
                            Diagnostic::new(first, format!("the spec has no `{field}`"))
                                .label(format!("`{field}` missing in this spec"))
                                .help(format!("{help} (or `extends` a base spec that has one)")),
                        );
                    }
                }
                Some(p)
            }
            Some(ext) => {
                let (path, canon, text) =
                    self.read_relative(&ctx, name, ext, "extends", "base spec")?;
                self.chain.push(canon);
                let base = self.load_file(&path.display().to_string(), text);
                self.chain.pop();
                let mut base = base?;
                for id in omitted {
                    if base.checks.contains(&id.name) {
                        base.remove_check(&id.name);
                    } else {
                        self.diags.push(unknown_omit(&base, &id, &ext.text));
                    }
                }
                Some(base.apply(p))
            }
        }
    }
}
