//! Why a general temporal property fails on its lasso: the subformulas
//! that refute it and where ("`terminated` holds in state 3", "`terminated`
//! does not hold in state 5"), for the text, JSON and HTML reports. The
//! facts come from [`dcheck_model::ltl::why_not`] on the lasso's letters
//! ([`dcheck_model::temporal::lasso_word`]); this module only names them.

use dcheck_engine::Violation;
use dcheck_model::ltl::{why_not, Formula, Why};
use dcheck_model::system::{TemporalForm, TransitionSystem, Word};
use dcheck_model::Model;
use dcheck_syntax::span::SourceMap;

use crate::text::span_text;

/// A formula as text, its atoms by `atom`; every operand that is not an
/// atom or a constant is parenthesised.
pub fn formula_text(f: &Formula, atom: &dyn Fn(u32) -> String) -> String {
    use Formula as F;
    let operand = |g: &Formula| match g {
        F::True | F::False => formula_text(g, atom),
        F::Atom(a) => {
            let t = atom(*a);
            if t.contains(' ') {
                format!("({t})")
            } else {
                t
            }
        }
        _ => format!("({})", formula_text(g, atom)),
    };
    match f {
        F::True => "true".into(),
        F::False => "false".into(),
        F::Atom(a) => atom(*a),
        F::Not(a) => format!("not {}", operand(a)),
        F::And(a, b) => format!("{} and {}", operand(a), operand(b)),
        F::Or(a, b) => format!("{} or {}", operand(a), operand(b)),
        F::Implies(a, b) => format!("{} implies {}", operand(a), operand(b)),
        F::Until(a, b) => format!("{} until {}", operand(a), operand(b)),
        F::LeadsTo(a, b) => format!("{} leads_to {}", operand(a), operand(b)),
        F::Always(a) => format!("always {}", operand(a)),
        F::Eventually(a) => format!("eventually {}", operand(a)),
    }
}

/// One fact of an explanation: a subformula, as text, and where it holds
/// or fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// `holds`, `fails`, or `never` (it holds in no state from `state` on).
    pub kind: &'static str,
    pub formula: String,
    /// An index into the trace.
    pub state: usize,
}

impl Fact {
    /// The fact as a sentence for the text and HTML reports.
    pub fn text(&self) -> String {
        let f = format!("`{}`", self.formula);
        match (self.kind, self.state) {
            ("holds", i) => format!("{f} holds in state {i}"),
            ("fails", i) => format!("{f} does not hold in state {i}"),
            (_, 0) => format!("{f} never holds"),
            (_, i) => format!("{f} holds in no state from state {i} on"),
        }
    }
}

/// The explanation of liveness check `check`'s violation `v`, outermost
/// fact first; `None` for a fixed form, a lasso that could not be
/// replayed, or an evaluation error (the replay reports those).
pub fn explain(model: &Model, sources: &SourceMap, check: u32, v: &Violation) -> Option<Vec<Fact>> {
    let lasso = v.lasso.as_ref()?;
    let TemporalForm::General { formula, atoms, .. } =
        &model.liveness_checks().get(check as usize)?.form
    else {
        return None;
    };
    let info = &model.check_info[check as usize];
    let states: Vec<Vec<Word>> = v.trace.iter().map(|s| s.state.clone()).collect();
    let mut sc = model.scratch();
    let word = dcheck_model::temporal::lasso_word(model, &mut sc, atoms, &states, lasso.loop_start)
        .ok()?;
    let atom = |a: u32| {
        let i = &info.atoms[a as usize];
        let text = span_text(sources, i.span);
        if i.label.is_empty() {
            text
        } else {
            format!("{text} [{}]", i.label)
        }
    };
    let fact = |kind, f: &Formula, state: &usize| Fact {
        kind,
        formula: formula_text(f, &atom),
        state: *state,
    };
    Some(
        why_not(formula, &word)
            .iter()
            .map(|w| match w {
                Why::Holds(f, i) => fact("holds", f, i),
                Why::Fails(f, i) => fact("fails", f, i),
                Why::Never(f, i) => fact("never", f, i),
            })
            .collect(),
    )
}
