//! Rendering of [`Diagnostic`]s with miette: file name, line and column, the
//! source with the span underlined, the label and the help text.
//!
//! [`render`] turns a list of diagnostics into one string (plain ASCII when
//! `color` is false, stable for snapshot tests); [`SpecError`] wraps one
//! diagnostic as a [`miette::Diagnostic`] for callers that use miette directly.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan, ThemeCharacters,
    ThemeStyles,
};

use crate::diag::Diagnostic;
use crate::span::SourceMap;

/// One [`Diagnostic`] with its source file, usable as a `miette::Report`.
#[derive(Debug)]
pub struct SpecError {
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    pub span: SourceSpan,
    pub src: NamedSource<String>,
    pub warning: bool,
}

impl SpecError {
    /// Builds the error for `diag`, taking the file text from `sources`.
    /// A span outside its file is clamped into it (never panics).
    pub fn new(sources: &SourceMap, diag: &Diagnostic) -> SpecError {
        let (name, text) = match sources.files.get(diag.span.file.0 as usize) {
            Some(f) => (f.name.clone(), f.text.clone()),
            None => (String::from("<unknown>"), String::new()),
        };
        let start = floor_boundary(&text, diag.span.start as usize);
        let end = floor_boundary(&text, (diag.span.end as usize).max(start)).max(start);
        SpecError {
            message: diag.message.clone(),
            label: diag.label.clone(),
            help: diag.help.clone(),
            span: SourceSpan::new(start.into(), end - start),
            src: NamedSource::new(name, text),
            warning: diag.warning,
        }
    }
}

fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}

impl miette::Diagnostic for SpecError {
    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.warning {
            miette::Severity::Warning
        } else {
            miette::Severity::Error
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.label.clone()),
            self.span,
        ))))
    }
}

/// Most diagnostics rendered for one call (one file): a garbage file must
/// not flood the terminal; the count of all of them is still reported.
const MAX_SHOWN: usize = 50;

/// Longest source line shown with the span underlined: miette cannot lay
/// out columns past 65,535, and such a snippet helps nobody anyway.
const MAX_SHOWN_LINE: usize = 4096;

/// The diagnostic as plain lines (message, file:line:column, label, help)
/// when the line it points into is too long to show.
fn long_line(sources: &SourceMap, d: &Diagnostic) -> Option<String> {
    let file = sources.files.get(d.span.file.0 as usize)?;
    let at = floor_boundary(&file.text, d.span.start as usize);
    let start = file.text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = file.text[at..]
        .find('\n')
        .map_or(file.text.len(), |i| at + i);
    if end - start <= MAX_SHOWN_LINE {
        return None;
    }
    let (line, col) = file.line_column(at);
    let kind = if d.warning { "warning" } else { "error" };
    let mut s = format!(
        "{kind}: {}\n  at {}:{line}:{col}: {} (the line is {} bytes long, too long to show)\n",
        d.message,
        file.name,
        d.label,
        end - start
    );
    if let Some(h) = &d.help {
        s += &format!("  help: {h}\n");
    }
    Some(s)
}

/// Renders every diagnostic, separated by blank lines. With `color == false`
/// the output is plain ASCII without escape codes.
pub fn render(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme {
            characters: ThemeCharacters::ascii(),
            styles: ThemeStyles::none(),
        }
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i == MAX_SHOWN {
            out += &format!(
                "\n... and {} more problem(s), not shown (the first {MAX_SHOWN} are)\n",
                diags.len() - MAX_SHOWN
            );
            break;
        }
        if i > 0 {
            out.push('\n');
        }
        if let Some(plain) = long_line(sources, d) {
            out.push_str(&plain);
            continue;
        }
        let err = SpecError::new(sources, d);
        let mut one = String::new();
        if handler.render_report(&mut one, &err).is_err() {
            one = format!("error: {}\n", d.message);
        }
        out.push_str(&one);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
