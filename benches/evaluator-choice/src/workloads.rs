//! The measured workloads: guards, effects and invariants of the shipped
//! specs written in the IR as dcheck compiles them. dcheck compiles every
//! binding of an action's parameters separately, with the parameters as
//! constants (ARCHITECTURE.md, `model.rs`), so an action is one program
//! per binding, and each evaluation runs one binding on one state.

use crate::ir::{
    bin, digit, eq, field, implies, k, loc, member, quant, BinOp, Expr, Field, Program, Quant, Stmt,
};
use crate::rng::Rng;

pub struct Workload {
    pub name: &'static str,
    /// The spec text it stands for.
    pub mirrors: &'static str,
    /// As written (quantifiers not unrolled, nothing folded).
    pub source: Vec<Program>,
    /// Unrolling budget of [`crate::ir::prepare`]: dcheck's `UNROLL_MAX`,
    /// or 0 for the loop form.
    pub unroll: u64,
    pub words: usize,
    pub locals: usize,
    pub state: fn(&mut Rng) -> Vec<u64>,
}

impl Workload {
    /// The programs as dcheck's front end hands them to code generation.
    pub fn programs(&self) -> Vec<Program> {
        self.source
            .iter()
            .map(|p| crate::ir::prepare_program(p, self.unroll))
            .collect()
    }

    /// `n` states from a fixed seed.
    pub fn states(&self, n: usize) -> Vec<Vec<u64>> {
        let mut rng = Rng::new(0x5eed ^ self.name.len() as u64);
        (0..n).map(|_| (self.state)(&mut rng)).collect()
    }
}

pub fn all() -> Vec<Workload> {
    vec![
        twopc_rmprepare(),
        twopc_forall(),
        paxos_accept(),
        pbft_quorum(4),
        pbft_quorum(7),
        paxos_one_value(true),
        paxos_one_value(false),
    ]
}

// ---------------------------------------------------------------------
// TwoPhase, N = 9 (specs/2pc.ron): rmState [RM -> RMState] 9 x 2 bits at
// bit 0, tmState 2 bits at 18, tmPrepared 9 bits at 20, msgs 11 bits at 29:
// one word. RMState: working 0, prepared 1, committed 2, aborted 3.

const N2PC: u64 = 9;
const RM_STATE: Field = Field::new(0, 0, 2);
const TM_STATE: Field = Field::new(0, 18, 2);

fn twopc_state(rng: &mut Rng) -> Vec<u64> {
    let mut w = rng.next_u64() & !((1u64 << 40) - 1);
    // Half the states have every RM prepared (the forall runs through),
    // the rest random RM states.
    let all_prepared = rng.below(2) == 0;
    for r in 0..N2PC {
        let s = if all_prepared && rng.below(16) != 0 {
            1
        } else {
            rng.below(4)
        };
        w |= s << (2 * r);
    }
    w |= rng.below(3) << 18;
    w |= (rng.next_u64() & ((1 << 20) - 1)) << 20;
    vec![w]
}

/// specs/2pc.ron:43-44 `RMPrepare(r)`, guard `rmState[r] == working`: nine
/// bindings, each a fixed field compared with a constant.
fn twopc_rmprepare() -> Workload {
    Workload {
        name: "2pc RMPrepare guard x9",
        mirrors: "specs/2pc.ron:44 `rmState[r] == working`, one program per r in 1..9",
        source: (0..N2PC)
            .map(|r| Program::Expr(eq(digit(RM_STATE, 2, k(r)), k(0))))
            .collect(),
        unroll: crate::ir::UNROLL_MAX,
        words: 1,
        locals: 0,
        state: twopc_state,
    }
}

/// `tmState == init and forall rm in RM: rmState[rm] == prepared`: the
/// TMCommit guard (specs/2pc.ron:37-38) written over rmState as the
/// `terminal` predicate (line 63) is, N = 9; dcheck unrolls the forall.
fn twopc_forall() -> Workload {
    Workload {
        name: "2pc forall rm: prepared (N=9)",
        mirrors: "specs/2pc.ron:38 TMCommit guard with the forall of line 63",
        source: vec![Program::Expr(Expr::And(vec![
            eq(field(TM_STATE), k(0)),
            quant(
                Quant::Forall,
                0,
                0,
                N2PC,
                eq(digit(RM_STATE, 2, loc(0)), k(1)),
            ),
        ]))],
        unroll: crate::ir::UNROLL_MAX,
        words: 1,
        locals: 1,
        state: twopc_state,
    }
}

// ---------------------------------------------------------------------
// Paxos defaults (specs/paxos.ron: P = 2, A = 3, L = 1, MaxBallot = 2): the
// acceptors' variables in word 3 of a 10-word state (the spec's 609 bits):
// maxBal, maxVBal, maxVal (0..2, 2 bits each per acceptor) at 0, 6, 12;
// votes set<(Ballot, Value)> (4 bits per acceptor) at 18; the channel to
// the learner as a 4-bit set of Accepted(b, v) per acceptor at 30.

const PAXOS_WORDS: usize = 10;
const PW: u16 = 3;
const MAX_BAL: Field = Field::new(PW, 0, 2);
const MAX_VBAL: Field = Field::new(PW, 6, 2);
const MAX_VAL: Field = Field::new(PW, 12, 2);
const VOTES: Field = Field::new(PW, 18, 4);
const TO_LEARNER: Field = Field::new(PW, 30, 4);
const ACCEPTORS: u64 = 3;

fn paxos_state(rng: &mut Rng) -> Vec<u64> {
    let mut st: Vec<u64> = (0..PAXOS_WORDS).map(|_| rng.next_u64()).collect();
    let mut w = 0u64;
    // Per ballot one value (the invariant holds, as on every reachable
    // state); each acceptor voted for it or not.
    let val = [1 + rng.below(2), 1 + rng.below(2)];
    for a in 0..ACCEPTORS {
        let mut votes = 0u64;
        let mut vbal = 0;
        for b in 1..=2u64 {
            if rng.below(2) == 0 {
                votes |= 1 << ((b - 1) * 2 + (val[b as usize - 1] - 1));
                vbal = b;
            }
        }
        let maxbal = vbal.max(rng.below(3));
        let maxval = if vbal == 0 { 0 } else { val[vbal as usize - 1] };
        w |= maxbal << (2 * a);
        w |= vbal << (6 + 2 * a);
        w |= maxval << (12 + 2 * a);
        w |= votes << (18 + 4 * a);
        w |= rng.below(16) << (30 + 4 * a);
    }
    st[PW as usize] = w | (rng.next_u64() << 42);
    st
}

/// The Accept handler, specs/paxos.ron:221-227, one program per binding
/// (acceptor a, ballot b, value v; 12 bindings): guard `b >= maxBal`, then
/// `maxBal = b; maxVBal = b; maxVal = v; insert(votes, (b, v));
/// broadcast(Learner, Accepted(b, v))` (the send as an insert into the
/// learner channel's bitset).
fn paxos_accept() -> Workload {
    let mut source = Vec::new();
    for a in 0..ACCEPTORS {
        for b in 1..=2u64 {
            for v in 1..=2u64 {
                let at = |f: Field| digit(f, 2, k(a));
                let bit = (b - 1) * 2 + (v - 1);
                let set4 = |f: Field| digit(f, 4, k(a));
                let fixed =
                    |f: Field, width: u8| Field::new(f.word, f.shift + width * a as u8, f.bits);
                source.push(Program::Transition {
                    guard: bin(BinOp::Ge, k(b), at(MAX_BAL), 1),
                    effect: vec![
                        Stmt::Set {
                            field: fixed(MAX_BAL, 2),
                            max: 2,
                            value: k(b),
                            at: 2,
                        },
                        Stmt::Set {
                            field: fixed(MAX_VBAL, 2),
                            max: 2,
                            value: k(b),
                            at: 3,
                        },
                        Stmt::Set {
                            field: fixed(MAX_VAL, 2),
                            max: 2,
                            value: k(v),
                            at: 4,
                        },
                        Stmt::Set {
                            field: fixed(VOTES, 4),
                            max: 15,
                            value: bin(BinOp::BitOr, set4(VOTES), k(1 << bit), 0),
                            at: 5,
                        },
                        Stmt::Set {
                            field: fixed(TO_LEARNER, 4),
                            max: 15,
                            value: bin(BinOp::BitOr, set4(TO_LEARNER), k(1 << bit), 0),
                            at: 6,
                        },
                    ],
                });
            }
        }
    }
    Workload {
        name: "paxos Accept handler x12",
        mirrors:
            "specs/paxos.ron:221-227 guard `b >= maxBal` and its effect, one program per (a, b, v)",
        source,
        unroll: crate::ir::UNROLL_MAX,
        words: PAXOS_WORDS,
        locals: 0,
        state: paxos_state,
    }
}

/// OneValuePerBallot, specs/paxos.ron:243-244: `forall a1 in Acceptor, a2
/// in Acceptor, b in Ballot, v1 in Value, v2 in Value: ((b, v1) in
/// votes[a1] and (b, v2) in votes[a2]) implies v1 == v2` (indices: locals
/// 0..5 hold a1, a2, b - 1, v1 - 1, v2 - 1). `unrolled`: as dcheck compiles
/// it (3 * 3 * 2 * 2 * 2 = 72 copies, fewer than `UNROLL_MAX`; the copies
/// with v1 == v2 fold away); otherwise five nested loops.
fn paxos_one_value(unrolled: bool) -> Workload {
    let pair = |v: u16| bin(BinOp::Add, bin(BinOp::Mul, loc(2), k(2), 10), loc(v), 11);
    let body = implies(
        Expr::And(vec![
            member(digit(VOTES, 4, loc(0)), pair(3)),
            member(digit(VOTES, 4, loc(1)), pair(4)),
        ]),
        eq(loc(3), loc(4)),
    );
    let e = quant(
        Quant::Forall,
        0,
        0,
        ACCEPTORS,
        quant(
            Quant::Forall,
            1,
            0,
            ACCEPTORS,
            quant(
                Quant::Forall,
                2,
                0,
                2,
                quant(Quant::Forall, 3, 0, 2, quant(Quant::Forall, 4, 0, 2, body)),
            ),
        ),
    );
    Workload {
        name: if unrolled {
            "paxos OneValuePerBallot (unrolled)"
        } else {
            "paxos OneValuePerBallot (loops)"
        },
        mirrors: "specs/paxos.ron:243-244, 5 nested quantifiers (3 x 3 x 2 x 2 x 2)",
        source: vec![Program::Expr(e)],
        unroll: if unrolled { crate::ir::UNROLL_MAX } else { 0 },
        words: PAXOS_WORDS,
        locals: 5,
        state: paxos_state,
    }
}

// ---------------------------------------------------------------------
// PBFT: `prepared: [Replica -> [View -> [Seq -> bool]]]` with 2 views and 2
// sequence numbers, 4 bits per replica from bit 0 of word 1 (of 2).

/// `card({ r in Replica if prepared[r][v][n] }) >= 2 * F + 1`, F = (R - 1)
/// / 3, one program per (v, n): the certificate count of specs/pbft.ron
/// (`quorum`, line 112; `prepared`, lines 121-122) as a counting loop
/// over R replicas.
fn pbft_quorum(r: u64) -> Workload {
    let f = (r - 1) / 3;
    let mut source = Vec::new();
    for v in 0..2u64 {
        for n in 0..2u64 {
            let cell = Field::new(1, (v * 2 + n) as u8, 1);
            source.push(Program::Expr(bin(
                BinOp::Ge,
                quant(Quant::Count, 0, 0, r, digit(cell, 4, loc(0))),
                bin(BinOp::Add, bin(BinOp::Mul, k(2), k(f), 20), k(1), 21),
                0,
            )));
        }
    }
    Workload {
        name: if r == 4 {
            "pbft quorum count R=4 x4"
        } else {
            "pbft quorum count R=7 x4"
        },
        mirrors: "specs/pbft.ron:112, 121-122 `card(...) >= quorum`, one program per (view, seq)",
        source,
        unroll: crate::ir::UNROLL_MAX,
        words: 2,
        locals: 1,
        state: if r == 4 {
            pbft_state::<4>
        } else {
            pbft_state::<7>
        },
    }
}

fn pbft_state<const R: u64>(rng: &mut Rng) -> Vec<u64> {
    // Each replica prepared each (v, n) with probability 3/4: counts around
    // the quorum.
    let mut w = 0u64;
    for bit in 0..4 * R {
        if rng.below(4) != 0 {
            w |= 1 << bit;
        }
    }
    vec![rng.next_u64(), w | (rng.next_u64() << (4 * R))]
}
