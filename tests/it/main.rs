//! The integration tests of the `dcheck` binary and the libraries behind
//! it, as one test binary (the dcheck crates are linked once, not once per
//! file). Each module is one area; `common` holds the shared helpers and
//! the independent TwoPhase reference model.
//!
//! Run one area with `cargo test --test it MODULE::`, e.g.
//! `cargo test --test it protocol_raft::`.

mod common;

mod action_properties;
mod checkpoint;
mod choice;
mod cli;
mod coverage;
mod distributed;
mod explore;
mod gate;
mod html;
mod language;
mod liveness;
mod ltl;
mod msc;
mod network;
mod protocol_clm;
mod protocol_paxos;
mod protocol_pbft;
mod protocol_raft;
mod reduce;
mod refine;
mod replay;
mod report_units;
mod robust;
mod schema;
mod security;
mod simulate;
mod specs;
mod symmetry;
mod trace_formats;
mod twophase_reference;
mod values;
mod width;
