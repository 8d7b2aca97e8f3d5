-- TwoPhase (specs/2pc.ron, Gray & Lamport's TLA+ TwoPhase) in Murphi for
-- Rumur, with the resource managers as a scalarset: the peer of
-- specs/examples/2pc_symmetric.ron (benches/rumur/README.md). Each RM's
-- state, the TM's record of its Prepared message and the message itself
-- are one record, as Murphi users write it: Rumur's symmetry reduction
-- sorts one array of records (with three separate arrays, its heuristic
-- took 57 s at N=9). N is set by the bench script (sed on the line below).
const N: 3;

type
  RM: scalarset(N);
  RMState: enum { working, prepared, committed, aborted };
  TMState: enum { tinit, tcommitted, taborted };
  RMRecord: record
    state: RMState;
    tmPrepared: boolean;  -- the TM received its Prepared
    msgPrepared: boolean; -- its Prepared message was sent
  end;

var
  rm: array [RM] of RMRecord;
  tmState: TMState;
  msgCommit: boolean;
  msgAbort: boolean;

startstate
begin
  for r: RM do
    rm[r].state := working;
    rm[r].tmPrepared := false;
    rm[r].msgPrepared := false;
  end;
  tmState := tinit;
  msgCommit := false;
  msgAbort := false;
end;

ruleset r: RM do
  rule "TMRcvPrepared" tmState = tinit & rm[r].msgPrepared ==>
  begin rm[r].tmPrepared := true; end;

  rule "RMPrepare" rm[r].state = working ==>
  begin rm[r].state := prepared; rm[r].msgPrepared := true; end;

  rule "RMChooseToAbort" rm[r].state = working ==>
  begin rm[r].state := aborted; end;

  rule "RMRcvCommitMsg" msgCommit ==>
  begin rm[r].state := committed; end;

  rule "RMRcvAbortMsg" msgAbort ==>
  begin rm[r].state := aborted; end;
end;

rule "TMCommit" tmState = tinit & forall r: RM do rm[r].tmPrepared endforall ==>
begin tmState := tcommitted; msgCommit := true; end;

rule "TMAbort" tmState = tinit ==>
begin tmState := taborted; msgAbort := true; end;

invariant "TCConsistent"
  forall r1: RM do forall r2: RM do
    !(rm[r1].state = aborted & rm[r2].state = committed)
  endforall endforall;
