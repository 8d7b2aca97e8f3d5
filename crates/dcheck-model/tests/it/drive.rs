//! Message-driven successor generation (`drive.rs`) against the plain
//! definition: in every reachable state of the specs below, `successors()`
//! (which reads the messages in flight to find a handler's candidate
//! transitions) must emit exactly the transitions, in the same order and
//! with the same next states, as trying `step()` on every transition id in
//! turn (which evaluates each guard and, for a driven action, tests the
//! driving conjunct through the transition's own (collection, element)
//! entry, not through the candidate lists); and `step()` must agree with the
//! guard as written, each conjunct compiled on its own
//! (`false_guard_part`): the compiled guards of driven actions leave the
//! driving conjunct out.

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use dcheck_model::system::{TransitionId, TransitionSystem, Word};
use dcheck_model::{compile, Model};

fn model(spec: &str, network: Option<&str>, consts: &[(&str, &str)]) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(spec);
    let (_, ast) = dcheck_syntax::load_spec(&path).unwrap_or_else(|(_, d)| panic!("{d:?}"));
    let flags = dcheck_net::Flags {
        network: network.map(str::to_string),
        faults: None,
    };
    let ast = dcheck_net::lower(ast, &flags).unwrap_or_else(|e| panic!("{spec}: {e:?}"));
    let consts: Vec<(String, String)> = consts
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    compile(&ast, &consts).unwrap_or_else(|e| panic!("{spec}: {:?}", e.diagnostics))
}

/// Explores `m` breadth-first, comparing the two successor relations in
/// every state; returns (distinct states, states generated).
fn compare(m: &Model) -> (usize, usize) {
    let mut sc = m.scratch();
    let mut seen: HashSet<Vec<Word>> = HashSet::new();
    let mut queue = VecDeque::new();
    let mut generated = 0;
    m.initial_states(&mut sc, &mut |s| {
        generated += 1;
        if seen.insert(s.to_vec()) {
            queue.push_back(s.to_vec());
        }
    })
    .expect("initial states");
    let mut out = vec![0; m.state_words()];
    while let Some(s) = queue.pop_front() {
        // Both lists stop at an evaluation error, which names its transition.
        let mut driven: Vec<(TransitionId, Vec<Word>)> = Vec::new();
        let driven_err = m
            .successors(&mut sc, &s, |t, next| driven.push((t, next.to_vec())))
            .err()
            .and_then(|e| e.transition);
        let mut plain = Vec::new();
        let mut plain_err = None;
        for t in 0..m.transition_count() as TransitionId {
            let written = m.false_guard_part(&mut sc, t, &s);
            match m.step(&mut sc, &s, t, &mut out) {
                Ok(true) => {
                    assert_eq!(written, None, "{}: {t} taken in {s:?}", m.name);
                    plain.push((t, out.clone()))
                }
                Ok(false) => {}
                Err(_) => {
                    plain_err = Some(t);
                    break;
                }
            }
        }
        assert_eq!(driven, plain, "{}: state {s:?}", m.name);
        assert_eq!(driven_err, plain_err, "{}: state {s:?}", m.name);
        generated += driven.len();
        for (_, next) in driven {
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    (seen.len(), generated)
}

fn driven(m: &Model) -> Vec<&str> {
    m.actions
        .iter()
        .filter(|a| a.is_driven())
        .map(|a| a.name.as_str())
        .collect()
}

/// Handlers over the network's collection (`net`: a set when duplicating, a
/// bag otherwise; or per channel) and a TLA+-style `m in msgs` guard.
#[test]
fn driven_successors_are_the_plain_successors() {
    let handlers = [
        "deliver_Prepared_to_TM",
        "deliver_Commit_to_RM",
        "deliver_Abort_to_RM",
    ];
    for (spec, net) in [
        ("specs/2pc_msgs.ron", None),
        ("specs/2pc_msgs.ron", Some("unordered")),
        ("specs/2pc_msgs.ron", Some("unordered,lossy")),
        ("tests/fixtures/net/2pc_per_channel.ron", None),
        ("tests/fixtures/net/2pc_per_channel.ron", Some("unordered")),
    ] {
        let m = model(spec, net, &[]);
        let d = driven(&m);
        for h in handlers {
            assert!(d.contains(&h), "{spec} {net:?}: {d:?}");
        }
        compare(&m);
    }
    // specs/2pc.ron: `Prepared(r) in msgs` (a bitset `set<Msg>`); TLC's
    // figures for TwoPhase, N = 3: 288 distinct, 1146 generated.
    let m = model("specs/2pc.ron", None, &[]);
    assert!(driven(&m).contains(&"TMRcvPrepared"), "{:?}", driven(&m));
    assert_eq!(compare(&m), (288, 1146));
    // Bags with repeated members and a lossy network.
    let m = model(
        "specs/chandy_lamport.ron",
        Some("unordered,lossy"),
        &[("N", "2"), ("T", "1")],
    );
    assert!(!driven(&m).is_empty());
    compare(&m);
}

/// benches/specs/wide_handler.ron with K = 3: each of the N = 3 ring links
/// is independent; a link whose sender has sent a (0..3) distinct messages
/// holds any subset S of them in flight (the receiver got a - |S|), so it
/// has sum_a 2^a = 15 states and the system 15^3 = 3375. Successors of a
/// link state: one Send if a < 3, plus |S| deliveries; summed over its
/// states, (1 + 2 + 4) + sum_a a 2^(a-1) = 7 + (0 + 1 + 4 + 12) = 24. Each
/// successor of the system changes one link: generated = 1 (initial) + 3 *
/// 24 * 15^2 = 16201.
#[test]
fn a_wide_handler_is_driven_by_the_messages_in_flight() {
    let m = model("benches/specs/wide_handler.ron", None, &[("K", "3")]);
    assert_eq!(driven(&m), vec!["deliver_Data_to_P"]);
    assert_eq!(compare(&m), (3375, 16201));
}
