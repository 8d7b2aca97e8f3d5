//! Front end of dcheck: reads a `.ron` spec file, parses the code strings
//! embedded in it and produces the [`ast::Spec`], or every [`diag::Diagnostic`]
//! found in the file.

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod load;
pub mod parser;
pub mod render;
pub mod span;

pub use load::{load_spec, load_spec_str};
pub use render::render;
