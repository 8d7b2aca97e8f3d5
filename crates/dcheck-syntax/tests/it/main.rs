//! The integration tests of `dcheck-syntax`, as one test binary (one link
//! of the crate and its dependencies, not one per file).

mod distributed;
mod fuzz;
mod lexer;
mod load;
mod parser;
mod support;
mod temporal;
