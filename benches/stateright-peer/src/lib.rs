//! Gray & Lamport's TLA+ `TwoPhase` commit specification as a Stateright
//! [`Model`], used as the peer baseline for dcheck's benchmarks.
//!
//! The model follows the TLA+ semantics action for action:
//!
//! | action               | guard                                      | effect                                   |
//! |----------------------|--------------------------------------------|------------------------------------------|
//! | `TMRcvPrepared(rm)`  | `tmState = init`, `Prepared(rm) ∈ msgs`    | `tmPrepared ∪= {rm}` (self-loop allowed) |
//! | `TMCommit`           | `tmState = init`, `tmPrepared = RM`        | `tmState = committed`, send `Commit`     |
//! | `TMAbort`            | `tmState = init`                           | `tmState = aborted`, send `Abort`        |
//! | `RMPrepare(rm)`      | `rmState[rm] = working`                    | `prepared`, send `Prepared(rm)`          |
//! | `RMChooseToAbort(rm)`| `rmState[rm] = working`                    | `aborted`                                |
//! | `RMRcvCommitMsg(rm)` | `Commit ∈ msgs`                            | `rmState[rm] = committed`                |
//! | `RMRcvAbortMsg(rm)`  | `Abort ∈ msgs`                             | `rmState[rm] = aborted`                  |
//!
//! Every enabled action yields exactly one successor (possibly equal to the
//! current state), so Stateright's `state_count` equals TLC's "states
//! generated" (initial states plus every successor computed).
//!
//! The whole state is packed into one `u64` so hashing and storing it is as
//! cheap as it can be; this keeps the comparison fair to Stateright.

use stateright::{Model, Property};

pub mod paxos;
pub mod run;

/// Largest number of resource managers the packed state can hold.
pub const MAX_RMS: usize = 14;

/// State of one resource manager (`rmState[rm]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RmState {
    /// `"working"`
    Working = 0,
    /// `"prepared"`
    Prepared = 1,
    /// `"committed"`
    Committed = 2,
    /// `"aborted"`
    Aborted = 3,
}

/// State of the transaction manager (`tmState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TmState {
    /// `"init"`
    Init = 0,
    /// `"committed"`
    Committed = 1,
    /// `"aborted"`
    Aborted = 2,
}

// Bit layout of `State(u64)`:
//   [0, 28)   rmState, 2 bits per RM (RmState discriminant)
//   [28, 42)  tmPrepared, 1 bit per RM
//   [42, 56)  Prepared(rm) ∈ msgs, 1 bit per RM
//   [56, 58)  tmState (TmState discriminant)
//   58        Commit ∈ msgs
//   59        Abort ∈ msgs
const TM_PREPARED_SHIFT: u32 = 28;
const MSG_PREPARED_SHIFT: u32 = 42;
const TM_SHIFT: u32 = 56;
const MSG_COMMIT_BIT: u64 = 1 << 58;
const MSG_ABORT_BIT: u64 = 1 << 59;

/// One global state of TwoPhase, bit-packed (see the layout above).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State(u64);

impl State {
    /// The initial state: every RM working, TM in init, no messages.
    pub const INIT: State = State(0);

    /// `rmState[rm]`.
    pub fn rm(self, rm: usize) -> RmState {
        match (self.0 >> (2 * rm)) & 3 {
            0 => RmState::Working,
            1 => RmState::Prepared,
            2 => RmState::Committed,
            _ => RmState::Aborted,
        }
    }

    fn with_rm(self, rm: usize, s: RmState) -> State {
        let shift = 2 * rm;
        State((self.0 & !(3 << shift)) | ((s as u64) << shift))
    }

    /// `tmState`.
    pub fn tm(self) -> TmState {
        match (self.0 >> TM_SHIFT) & 3 {
            0 => TmState::Init,
            1 => TmState::Committed,
            _ => TmState::Aborted,
        }
    }

    fn with_tm(self, s: TmState) -> State {
        State((self.0 & !(3 << TM_SHIFT)) | ((s as u64) << TM_SHIFT))
    }

    /// `rm ∈ tmPrepared`.
    pub fn tm_prepared(self, rm: usize) -> bool {
        self.0 & (1 << (TM_PREPARED_SHIFT as usize + rm)) != 0
    }

    /// `tmPrepared` as a bitset over RMs.
    fn tm_prepared_bits(self) -> u64 {
        (self.0 >> TM_PREPARED_SHIFT) & ((1 << MAX_RMS) - 1)
    }

    /// `Prepared(rm) ∈ msgs`.
    pub fn msg_prepared(self, rm: usize) -> bool {
        self.0 & (1 << (MSG_PREPARED_SHIFT as usize + rm)) != 0
    }

    /// `Commit ∈ msgs`.
    pub fn msg_commit(self) -> bool {
        self.0 & MSG_COMMIT_BIT != 0
    }

    /// `Abort ∈ msgs`.
    pub fn msg_abort(self) -> bool {
        self.0 & MSG_ABORT_BIT != 0
    }
}

/// One TwoPhase action; the `u8` is the resource manager it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `TMRcvPrepared(rm)`
    TmRcvPrepared(u8),
    /// `TMCommit`
    TmCommit,
    /// `TMAbort`
    TmAbort,
    /// `RMPrepare(rm)`
    RmPrepare(u8),
    /// `RMChooseToAbort(rm)`
    RmChooseToAbort(u8),
    /// `RMRcvCommitMsg(rm)`
    RmRcvCommitMsg(u8),
    /// `RMRcvAbortMsg(rm)`
    RmRcvAbortMsg(u8),
}

/// The TwoPhase model over `n` resource managers (`RM = 0..n`).
#[derive(Clone, Debug)]
pub struct TwoPhase {
    n: usize,
}

impl TwoPhase {
    /// A model with `n` resource managers, `1 <= n <= MAX_RMS`.
    ///
    /// # Panics
    /// If `n` is 0 or larger than [`MAX_RMS`].
    pub fn new(n: usize) -> Self {
        assert!(
            (1..=MAX_RMS).contains(&n),
            "N must be in 1..={MAX_RMS}, got {n}"
        );
        TwoPhase { n }
    }

    /// Number of resource managers.
    pub fn n(&self) -> usize {
        self.n
    }

    fn all_rms(&self) -> u64 {
        (1 << self.n) - 1
    }
}

/// `TCConsistent`: no RM has committed while another has aborted.
pub fn tc_consistent(model: &TwoPhase, s: &State) -> bool {
    let (mut committed, mut aborted) = (false, false);
    for rm in 0..model.n {
        match s.rm(rm) {
            RmState::Committed => committed = true,
            RmState::Aborted => aborted = true,
            _ => {}
        }
    }
    !(committed && aborted)
}

impl Model for TwoPhase {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State::INIT]
    }

    /// Pushes exactly the enabled actions, so every pushed action yields a
    /// successor in `next_state`.
    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        let tm_init = s.tm() == TmState::Init;
        if tm_init {
            if s.tm_prepared_bits() == self.all_rms() {
                actions.push(Action::TmCommit);
            }
            actions.push(Action::TmAbort);
        }
        let (commit, abort) = (s.msg_commit(), s.msg_abort());
        for rm in 0..self.n {
            let id = rm as u8;
            if tm_init && s.msg_prepared(rm) {
                actions.push(Action::TmRcvPrepared(id));
            }
            if s.rm(rm) == RmState::Working {
                actions.push(Action::RmPrepare(id));
                actions.push(Action::RmChooseToAbort(id));
            }
            if commit {
                actions.push(Action::RmRcvCommitMsg(id));
            }
            if abort {
                actions.push(Action::RmRcvAbortMsg(id));
            }
        }
    }

    fn next_state(&self, s: &State, action: Action) -> Option<State> {
        let s = *s;
        Some(match action {
            Action::TmRcvPrepared(rm) => {
                State(s.0 | (1 << (TM_PREPARED_SHIFT as usize + rm as usize)))
            }
            Action::TmCommit => State(s.with_tm(TmState::Committed).0 | MSG_COMMIT_BIT),
            Action::TmAbort => State(s.with_tm(TmState::Aborted).0 | MSG_ABORT_BIT),
            Action::RmPrepare(rm) => {
                let s = s.with_rm(rm as usize, RmState::Prepared);
                State(s.0 | (1 << (MSG_PREPARED_SHIFT as usize + rm as usize)))
            }
            Action::RmChooseToAbort(rm) => s.with_rm(rm as usize, RmState::Aborted),
            Action::RmRcvCommitMsg(rm) => s.with_rm(rm as usize, RmState::Committed),
            Action::RmRcvAbortMsg(rm) => s.with_rm(rm as usize, RmState::Aborted),
        })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("TCConsistent", tc_consistent)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    fn counts(n: usize, dfs: bool, threads: usize) -> (usize, usize) {
        let builder = TwoPhase::new(n).checker().threads(threads);
        let checker = if dfs {
            builder.spawn_dfs().join()
        } else {
            // Different concrete types, so join inside each arm.
            let c = builder.spawn_bfs().join();
            c.assert_properties();
            return (c.unique_state_count(), c.state_count());
        };
        checker.assert_properties();
        (checker.unique_state_count(), checker.state_count())
    }

    #[test]
    fn n3_matches_tlc() {
        assert_eq!(counts(3, false, 1), (288, 1146));
        assert_eq!(counts(3, true, 1), (288, 1146));
        assert_eq!(counts(3, false, 2), (288, 1146));
        assert_eq!(counts(3, true, 2), (288, 1146));
    }

    #[test]
    fn n1_small() {
        // See tests/twophase_reference.rs at the repo root for the hand count.
        assert_eq!(counts(1, false, 1).0, 12);
    }

    #[test]
    fn state_accessors_round_trip() {
        let s = State::INIT
            .with_rm(13, RmState::Aborted)
            .with_rm(0, RmState::Prepared)
            .with_tm(TmState::Committed);
        assert_eq!(s.rm(13), RmState::Aborted);
        assert_eq!(s.rm(0), RmState::Prepared);
        assert_eq!(s.rm(1), RmState::Working);
        assert_eq!(s.tm(), TmState::Committed);
        assert!(!s.tm_prepared(0) && !s.msg_prepared(0));
    }
}
