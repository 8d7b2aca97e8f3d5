//! Diagnostics: what every stage reports about a spec, rendered with miette.

use crate::span::{SourceMap, Span};

/// One problem found in a spec.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
    /// Text shown under the span.
    pub label: String,
    /// A hint on how to fix it.
    pub help: Option<String>,
    /// A warning: reported, but the spec is still checked.
    pub warning: bool,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            label: String::from("here"),
            help: None,
            warning: false,
        }
    }
    /// Makes this a warning.
    pub fn warning(mut self) -> Diagnostic {
        self.warning = true;
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Renders this diagnostic alone (see [`crate::render::render`]).
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        crate::render::render(sources, std::slice::from_ref(self), color)
    }
}
