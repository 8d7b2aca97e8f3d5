//! The compiled model: type checks a parsed spec, lays its state out as
//! packed words and compiles guards, effects and invariants to closures over
//! that encoding. The engine sees only [`system::TransitionSystem`].

pub mod system;
