------------------------------ MODULE PaxosTLA ------------------------------
(***************************************************************************)
(* The TLA+ twin of dcheck's specs/examples/paxos_tla.ron: single-decree   *)
(* Paxos after Lamport's Paxos.tla (tlaplus/Examples,                      *)
(* specifications/Paxos), with explicit proposers (pBal, pPhase), learners *)
(* (learned) and crash-stop of the last F acceptors, written so that TLC   *)
(* explores exactly the states and transitions dcheck explores:            *)
(*                                                                         *)
(*  - the same variables with the same values (dcheck's msgs is a map      *)
(*    [Msg -> bool]; here it is the set of the messages mapped to TRUE,    *)
(*    a bijection, so the distinct-state counts are equal);                *)
(*  - one disjunct of Next per dcheck action, existentially quantified     *)
(*    over the action's parameters, so TLC computes one successor per      *)
(*    enabled dcheck transition (binding) and its "states generated"       *)
(*    equals dcheck's states_generated (initial states plus every          *)
(*    successor computed, duplicates and self-loops included);             *)
(*  - the same four invariants and, in PaxosTLALive.cfg, the two liveness  *)
(*    properties under the spec's fairness.                               *)
(*                                                                         *)
(* The ballot, phase and value encodings follow the .ron: 0 is "none",     *)
(* proposer p owns ballots p, p + P, ... and proposes value p.             *)
(***************************************************************************)
EXTENDS Integers, FiniteSets

CONSTANTS P,          \* proposers; proposer p proposes value p
          A,          \* acceptors; a majority is more than A / 2
          L,          \* learners
          MaxBallot,  \* ballots are 1..MaxBallot
          F           \* the last F acceptors may crash

Proposer     == 1..P
Acceptor     == 1..A
Learner      == 1..L
Ballot       == 1..MaxBallot
BallotOrNone == 0..MaxBallot
Value        == 1..P
ValueOrNone  == 0..P

VARIABLES msgs,     \* every message sent so far (the network)
          pBal,     \* the proposer's current ballot (0: none yet)
          pPhase,   \* "idle", "preparing" (1a sent), "accepting" (2a sent)
          maxBal,   \* highest ballot promised or voted in
          maxVBal,  \* ballot of the last vote (0: none)
          maxVal,   \* value of the last vote (0: none)
          crashed,
          learned   \* values learned

vars == <<msgs, pBal, pPhase, maxBal, maxVBal, maxVal, crashed, learned>>

\* The messages (dcheck's enum Msg).
PrepareMsg(b)               == [type |-> "Prepare", bal |-> b]
PromiseMsg(a, b, vb, vv)    == [type |-> "Promise", acc |-> a, bal |-> b, vbal |-> vb, vval |-> vv]
AcceptMsg(b, v)             == [type |-> "Accept", bal |-> b, val |-> v]
AcceptedMsg(a, b, v)        == [type |-> "Accepted", acc |-> a, bal |-> b, val |-> v]

Input(p) == p
Majority(n) == 2 * n > A
Max(S) == CHOOSE x \in S : \A y \in S : x >= y

PromisedBy(a, b) == \E vb \in BallotOrNone, vv \in ValueOrNone : PromiseMsg(a, b, vb, vv) \in msgs
ChosenAt(b, v) == Majority(Cardinality({a \in Acceptor : AcceptedMsg(a, b, v) \in msgs}))
Chosen(v) == \E b \in Ballot : ChosenAt(b, v)
Proposed(v) == \E p \in Proposer : Input(p) = v /\ pBal[p] # 0

TypeOK ==
    /\ pBal \in [Proposer -> BallotOrNone]
    /\ pPhase \in [Proposer -> {"idle", "preparing", "accepting"}]
    /\ maxBal \in [Acceptor -> BallotOrNone]
    /\ maxVBal \in [Acceptor -> BallotOrNone]
    /\ maxVal \in [Acceptor -> ValueOrNone]
    /\ crashed \in [Acceptor -> BOOLEAN]
    /\ learned \in [Learner -> SUBSET Value]

Init ==
    /\ msgs = {}
    /\ pBal = [p \in Proposer |-> 0]
    /\ pPhase = [p \in Proposer |-> "idle"]
    /\ maxBal = [a \in Acceptor |-> 0]
    /\ maxVBal = [a \in Acceptor |-> 0]
    /\ maxVal = [a \in Acceptor |-> 0]
    /\ crashed = [a \in Acceptor |-> FALSE]
    /\ learned = [l \in Learner |-> {}]

\* Proposer p abandons its ballot (if any) and starts its next one.
Phase1a(p) ==
    LET b == IF pBal[p] = 0 THEN p ELSE pBal[p] + P IN
    /\ b <= MaxBallot
    /\ pBal' = [pBal EXCEPT ![p] = b]
    /\ pPhase' = [pPhase EXCEPT ![p] = "preparing"]
    /\ msgs' = msgs \cup {PrepareMsg(b)}
    /\ UNCHANGED <<maxBal, maxVBal, maxVal, crashed, learned>>

\* Acceptor a receives Prepare(b) and promises b.
Phase1b(a, b) ==
    /\ ~crashed[a]
    /\ PrepareMsg(b) \in msgs
    /\ b > maxBal[a]
    /\ maxBal' = [maxBal EXCEPT ![a] = b]
    /\ msgs' = msgs \cup {PromiseMsg(a, b, maxVBal[a], maxVal[a])}
    /\ UNCHANGED <<pBal, pPhase, maxVBal, maxVal, crashed, learned>>

\* Proposer p has received the promises of a majority Q for its ballot and
\* sends Accept(b, v): v is the value of the highest vote Q reported, or its
\* own value if Q reported none.
Phase2a(p, Q) ==
    /\ pPhase[p] = "preparing"
    /\ Majority(Cardinality(Q))
    /\ \A a \in Q : PromisedBy(a, pBal[p])
    /\ LET b   == pBal[p]
           Q1b == {m \in msgs : m.type = "Promise" /\ m.acc \in Q /\ m.bal = b}
           hb  == Max({m.vbal : m \in Q1b})
           v   == IF hb = 0 THEN Input(p)
                  ELSE Max({m.vval : m \in {mm \in Q1b : mm.vbal = hb}})
       IN  /\ pPhase' = [pPhase EXCEPT ![p] = "accepting"]
           /\ msgs' = msgs \cup {AcceptMsg(b, v)}
    /\ UNCHANGED <<pBal, maxBal, maxVBal, maxVal, crashed, learned>>

\* Acceptor a receives Accept(b, v) and votes for it unless it promised a
\* higher ballot.
Phase2b(a, b, v) ==
    /\ ~crashed[a]
    /\ AcceptMsg(b, v) \in msgs
    /\ b >= maxBal[a]
    /\ maxBal' = [maxBal EXCEPT ![a] = b]
    /\ maxVBal' = [maxVBal EXCEPT ![a] = b]
    /\ maxVal' = [maxVal EXCEPT ![a] = v]
    /\ msgs' = msgs \cup {AcceptedMsg(a, b, v)}
    /\ UNCHANGED <<pBal, pPhase, crashed, learned>>

\* Learner l has received Accepted(_, b, v) from a majority and learns v
\* (again: a self-loop once learned, as in dcheck).
Learn(l, b, v) ==
    /\ ChosenAt(b, v)
    /\ learned' = [learned EXCEPT ![l] = @ \cup {v}]
    /\ UNCHANGED <<msgs, pBal, pPhase, maxBal, maxVBal, maxVal, crashed>>

\* One of the last F acceptors crashes for good.
Crash(a) ==
    /\ a > A - F
    /\ ~crashed[a]
    /\ crashed' = [crashed EXCEPT ![a] = TRUE]
    /\ UNCHANGED <<msgs, pBal, pPhase, maxBal, maxVBal, maxVal, learned>>

Next ==
    \/ \E p \in Proposer : Phase1a(p)
    \/ \E a \in Acceptor, b \in Ballot : Phase1b(a, b)
    \/ \E p \in Proposer, Q \in SUBSET Acceptor : Phase2a(p, Q)
    \/ \E a \in Acceptor, b \in Ballot, v \in Value : Phase2b(a, b, v)
    \/ \E l \in Learner, b \in Ballot, v \in Value : Learn(l, b, v)
    \/ \E a \in Acceptor : Crash(a)

\* The .ron's fairness:
\*   "forall p in Proposer: weak {Phase1a(p), Phase2a(p, _)}",
\*   "weak each {Phase1b, Phase2b}", "weak each Learn".
Fairness ==
    /\ \A p \in Proposer :
          WF_vars(Phase1a(p) \/ \E Q \in SUBSET Acceptor : Phase2a(p, Q))
    /\ \A a \in Acceptor, b \in Ballot : WF_vars(Phase1b(a, b))
    /\ \A a \in Acceptor, b \in Ballot, v \in Value : WF_vars(Phase2b(a, b, v))
    /\ \A l \in Learner, b \in Ballot, v \in Value : WF_vars(Learn(l, b, v))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
\* Invariants (names and formulas of the .ron).
Consistency == \A v1, v2 \in Value : (Chosen(v1) /\ Chosen(v2)) => v1 = v2

Nontriviality ==
    \A v \in Value : /\ Chosen(v) => Proposed(v)
                     /\ \A l \in Learner : v \in learned[l] => Chosen(v)

LearnerAgreement ==
    \A l1, l2 \in Learner, v1, v2 \in Value :
        (v1 \in learned[l1] /\ v2 \in learned[l2]) => v1 = v2

OneValuePerBallot ==
    \A b \in Ballot, v1, v2 \in Value :
        (AcceptMsg(b, v1) \in msgs /\ AcceptMsg(b, v2) \in msgs) => v1 = v2

\* Liveness properties.
ValueChosen == <>(\E v \in Value : Chosen(v))
ValueLearned == \A l \in Learner : <>(learned[l] # {})
=============================================================================
