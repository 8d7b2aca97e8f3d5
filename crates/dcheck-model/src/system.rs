//! The interface between a compiled model and the explorer.
//!
//! The engine sees a model only through [`TransitionSystem`]: states are
//! fixed-length slices of [`Word`]s, transitions are dense [`TransitionId`]s
//! (one per action and binding of its parameters, in declaration order), and
//! properties are dense [`InvariantId`]s. Everything else (names, values,
//! spans) stays in the model crate and is looked up by the report layer.

/// Where an evaluation error is in the spec ([`EvalError::span`]).
pub use dcheck_syntax::span::{FileId, Span};

/// One machine word of an encoded state.
pub type Word = u64;

/// An action together with one binding of its parameters.
pub type TransitionId = u32;

/// An invariant, by its position in the spec.
pub type InvariantId = u32;

/// A state predicate used by a temporal property, by position in
/// [`TransitionSystem::liveness_checks`]' numbering.
pub type PredicateId = u32;

/// A predicate of a step (a pair of states), by position in
/// [`TransitionSystem::edge_predicate_count`]'s numbering.
pub type EdgePredicateId = u32;

/// One temporal property instance to check, in one of the forms the
/// liveness algorithm handles directly. `P`, `Q` are state predicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemporalForm {
    /// `eventually P`: every fair behaviour reaches a `P` state.
    Eventually(PredicateId),
    /// `always eventually P`: every fair behaviour meets `P` infinitely often.
    AlwaysEventually(PredicateId),
    /// `eventually always P`: every fair behaviour is in `P` from some point on.
    EventuallyAlways(PredicateId),
    /// `P leads_to Q`: in every fair behaviour, every `P` state is followed
    /// (at it or later) by a `Q` state.
    LeadsTo(PredicateId, PredicateId),
    /// A fairness assumption stated as a property (a refined spec's
    /// fairness, `refines`): from some point on, `enabled` holds in every
    /// state (weak) or in infinitely many states (strong) and no step
    /// satisfies `taken`; every fair behaviour must not do that. `taken`
    /// is false on a stutter.
    Fair {
        strong: bool,
        enabled: PredicateId,
        taken: EdgePredicateId,
    },
    /// Any other temporal formula: `formula` over the atoms `atoms`
    /// (`Formula::Atom(i)` is `atoms[i]`, at most 64), and `automaton`, the
    /// generalized Büchi automaton of its negation
    /// ([`crate::ltl::translate`]): a fair behaviour the automaton accepts
    /// violates the property.
    General {
        formula: crate::ltl::Formula,
        atoms: Vec<Atom>,
        automaton: crate::ltl::Automaton,
    },
}

impl TemporalForm {
    /// A fixed form as the same property in the general form, so the two
    /// checking paths can be compared. `None` for `Fair` (its `taken` is a
    /// step predicate of the model) and for a general form.
    pub fn as_general(&self) -> Option<TemporalForm> {
        use crate::ltl::Formula as F;
        let atom = |i| Box::new(F::Atom(i));
        let (formula, atoms) = match *self {
            TemporalForm::Eventually(p) => (F::Eventually(atom(0)), vec![Atom::State(p)]),
            TemporalForm::AlwaysEventually(p) => (
                F::Always(Box::new(F::Eventually(atom(0)))),
                vec![Atom::State(p)],
            ),
            TemporalForm::EventuallyAlways(p) => (
                F::Eventually(Box::new(F::Always(atom(0)))),
                vec![Atom::State(p)],
            ),
            TemporalForm::LeadsTo(p, q) => (
                F::LeadsTo(atom(0), atom(1)),
                vec![Atom::State(p), Atom::State(q)],
            ),
            TemporalForm::Fair { .. } | TemporalForm::General { .. } => return None,
        };
        let automaton = crate::ltl::translate(&F::Not(Box::new(formula.clone())), 64).ok()?;
        Some(TemporalForm::General {
            formula,
            atoms,
            automaton,
        })
    }
}

/// An atom of a [`TemporalForm::General`] formula: what it says about one
/// position of a behaviour (a state, and the step from it to the next).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Atom {
    /// A state predicate holds in the state.
    State(PredicateId),
    /// `enabled T`: one of these transitions (sorted) leads from the state
    /// to another state.
    Enabled(Vec<TransitionId>),
    /// `taken T`: the step to the next state changes the state and one of
    /// these transitions (sorted) leads from the state to that next state
    /// (TLA+'s `<<A>>_vars`: a property of the pair of states). A stutter
    /// takes nothing.
    Taken(Vec<TransitionId>),
}

/// A fairness constraint: weak (`strong == false`) or strong fairness of the
/// set of transitions `transitions` taken as one action (enabled when one
/// of them is, taken when one of them is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FairnessConstraint {
    pub strong: bool,
    /// Sorted, without duplicates, never empty.
    pub transitions: Vec<TransitionId>,
}

/// A temporal property instance and the fairness it is checked under
/// (indices into [`TransitionSystem::fairness_constraints`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LivenessCheck {
    pub form: TemporalForm,
    pub fairness: Vec<u32>,
}

/// What a step can violate ([`TransitionSystem::check_step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepCheck {
    /// The action property at this index.
    ActionProperty(u32),
    /// The refinement at this index.
    Refinement(u32),
}

/// An error raised while evaluating the model in some state (integer
/// overflow, a value leaving its declared range, an index out of range, a
/// capacity exceeded, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    /// Where in the spec the failing expression is.
    pub span: Option<dcheck_syntax::span::Span>,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
            span: None,
        }
    }
}

/// An evaluation error together with the transition whose evaluation raised it
/// (`None`: raised while evaluating invariants or the terminal predicate of the
/// state itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepError {
    pub transition: Option<TransitionId>,
    pub error: EvalError,
}

/// A finite transition system over encoded states.
///
/// Implementations must be deterministic: the same state always yields the
/// same successors in the same order.
pub trait TransitionSystem: Sync {
    /// Per-thread scratch space (evaluation stacks, a successor buffer); made
    /// once per worker so the hot loop never allocates.
    type Scratch: Send;

    fn scratch(&self) -> Self::Scratch;

    /// Number of words in every encoded state.
    fn state_words(&self) -> usize;

    /// Total number of transition ids (`0..transition_count()`).
    fn transition_count(&self) -> usize;

    /// Number of actions. Every transition belongs to one action
    /// ([`TransitionSystem::action_of`]) and the transitions of an action
    /// have consecutive ids. Default: each transition is its own action.
    fn action_count(&self) -> usize {
        self.transition_count()
    }

    /// The action (`0..action_count()`) transition `t` belongs to.
    fn action_of(&self, t: TransitionId) -> u32 {
        t
    }

    /// Calls `emit` for every initial state, in a fixed order.
    fn initial_states(
        &self,
        scratch: &mut Self::Scratch,
        emit: &mut dyn FnMut(&[Word]),
    ) -> Result<(), StepError>;

    /// Calls `emit(t, next)` for every enabled transition `t` of `state`, in
    /// increasing order of `t`. Returns the first evaluation error met.
    fn successors<F: FnMut(TransitionId, &[Word])>(
        &self,
        scratch: &mut Self::Scratch,
        state: &[Word],
        emit: F,
    ) -> Result<(), StepError>;

    /// Applies transition `t` to `state`, writing the successor into `out`
    /// (`out.len() == state_words()`). `Ok(false)`: `t` is not enabled.
    fn step(
        &self,
        scratch: &mut Self::Scratch,
        state: &[Word],
        t: TransitionId,
        out: &mut [Word],
    ) -> Result<bool, EvalError>;

    /// The first invariant (in declaration order) that `state` violates.
    fn check_invariants(
        &self,
        scratch: &mut Self::Scratch,
        state: &[Word],
    ) -> Result<Option<InvariantId>, EvalError>;

    /// [`TransitionSystem::check_invariants`] of `state`, a successor of
    /// `parent`, given that `parent` violates no invariant: an invariant
    /// that reads nothing in which the two states differ holds in `state`
    /// too and need not be evaluated. The same result, faster.
    fn check_invariants_from(
        &self,
        scratch: &mut Self::Scratch,
        parent: &[Word],
        state: &[Word],
    ) -> Result<Option<InvariantId>, EvalError> {
        let _ = parent;
        self.check_invariants(scratch, state)
    }

    /// Whether a state without enabled transitions is an intended end state
    /// rather than a deadlock.
    fn is_terminal(&self, scratch: &mut Self::Scratch, state: &[Word]) -> Result<bool, EvalError>;

    /// Whether the model has state constraints (TLC's CONSTRAINT): a
    /// reached state outside them is counted and checked against the
    /// invariants, but neither stored nor expanded.
    fn has_constraints(&self) -> bool {
        false
    }

    /// Whether the model checks steps ([`Self::check_step`]): it has
    /// action properties or refinements.
    fn has_step_checks(&self) -> bool {
        false
    }

    /// What the step from `parent` to `state` (a successor that differs
    /// from it) violates first, if anything: an action property, then a
    /// refinement whose refined spec has no step between the mapped states.
    fn check_step(
        &self,
        _scratch: &mut Self::Scratch,
        _parent: &[Word],
        _state: &[Word],
    ) -> Result<Option<StepCheck>, EvalError> {
        Ok(None)
    }

    /// The first refinement whose refined spec has no initial state that
    /// the initial state `state` maps to, if any.
    fn check_initial(
        &self,
        _scratch: &mut Self::Scratch,
        _state: &[Word],
    ) -> Result<Option<u32>, EvalError> {
        Ok(None)
    }

    /// Whether `state` satisfies every state constraint.
    fn within_constraints(
        &self,
        _scratch: &mut Self::Scratch,
        _state: &[Word],
    ) -> Result<bool, EvalError> {
        Ok(true)
    }

    /// The number of words of a state's view (TLC's VIEW); 0: the model has
    /// no view, and states are told apart by all their words.
    fn view_words(&self) -> usize {
        0
    }

    /// Writes the view of `state` to `out` (`out.len() == view_words()`):
    /// two states with the same view are one state to the search.
    fn view(
        &self,
        _scratch: &mut Self::Scratch,
        _state: &[Word],
        _out: &mut [Word],
    ) -> Result<(), EvalError> {
        Ok(())
    }

    /// The temporal properties to check on the state graph (none by default).
    fn liveness_checks(&self) -> &[LivenessCheck] {
        &[]
    }

    /// The fairness constraints the [`LivenessCheck`]s refer to.
    fn fairness_constraints(&self) -> &[FairnessConstraint] {
        &[]
    }

    /// Which behaviours the [`LivenessCheck`]s range over. `false` (the
    /// default, TLA+'s semantics): a behaviour may stutter forever in any
    /// state, unless a fairness constraint it lists is enabled there.
    /// `true` (`assume_progress`): a behaviour stops only in a state where
    /// no transition changes the state, as if `WF_vars(Next /\ ~SelfLoop)`
    /// were assumed (docs/semantics.md).
    fn assume_progress(&self) -> bool {
        false
    }

    /// Number of state predicates (`0..predicate_count()`) the checks use.
    fn predicate_count(&self) -> usize {
        0
    }

    /// Number of step predicates (`0..edge_predicate_count()`) the checks
    /// use ([`TemporalForm::Fair`]).
    fn edge_predicate_count(&self) -> usize {
        0
    }

    /// Evaluates step predicate `q` on the step from `parent` to `state`
    /// (a successor that differs from it).
    fn eval_edge_predicate(
        &self,
        _scratch: &mut Self::Scratch,
        _parent: &[Word],
        _state: &[Word],
        _q: EdgePredicateId,
    ) -> Result<bool, EvalError> {
        Err(EvalError::new("the model has no step predicates"))
    }

    /// Evaluates predicate `p` in `state`.
    fn eval_predicate(
        &self,
        _scratch: &mut Self::Scratch,
        _state: &[Word],
        _p: PredicateId,
    ) -> Result<bool, EvalError> {
        Err(EvalError::new("the model has no state predicates"))
    }
}
