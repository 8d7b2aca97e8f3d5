//! Unit tests of `dcheck-model`'s internals, one module per source file
//! (moved here from the crate: a unit-test harness would build it a second
//! time in `cargo test`). The internals they reach are re-exported, hidden,
//! in `dcheck_model::internals`.

mod bag {
    use dcheck_model::bag::*;

    /// Every sorted collection of at most `cap` members over `0..n`, by a
    /// plain recursive enumeration (the independent side of the tests).
    fn enumerate(n: u64, cap: usize, distinct: bool) -> Vec<Vec<u64>> {
        fn go(
            n: u64,
            cap: usize,
            distinct: bool,
            from: u64,
            cur: &mut Vec<u64>,
            out: &mut Vec<Vec<u64>>,
        ) {
            out.push(cur.clone());
            if cur.len() == cap {
                return;
            }
            for e in from..n {
                cur.push(e);
                go(n, cap, distinct, if distinct { e + 1 } else { e }, cur, out);
                cur.pop();
            }
        }
        let mut out = Vec::new();
        go(n, cap, distinct, 0, &mut Vec::new(), &mut out);
        out
    }

    /// The closed form of `card` agrees with the binomial table's class
    /// offsets (two computations that share no code), and sizes a huge
    /// element type without building its table: `bag<0..3999999999, 1>`
    /// has the empty bag and 4e9 singletons.
    #[test]
    fn card_in_closed_form_matches_the_table() {
        for distinct in [false, true] {
            for n in 0..40u64 {
                for cap in 0..9u64 {
                    let table =
                        BagShape::build(n, cap, distinct).map(|s| s.offsets[s.cap + 1] as u128);
                    assert_eq!(
                        BagShape::card(n, cap, distinct),
                        table,
                        "n={n} cap={cap} {distinct}"
                    );
                }
            }
        }
        assert_eq!(BagShape::card(4_000_000_000, 1, false), Some(4_000_000_001));
        assert_eq!(BagShape::card(1 << 40, 32, false), None);
    }

    #[test]
    fn rank_is_a_bijection_onto_0_card() {
        for distinct in [false, true] {
            for n in 0..6u64 {
                for cap in 0..5usize {
                    let all = enumerate(n, cap, distinct);
                    let shape = BagShape::new(n, cap as u64, distinct).unwrap();
                    let card = BagShape::card(n, cap as u64, distinct).unwrap();
                    assert_eq!(
                        card as usize,
                        all.len(),
                        "n={n} cap={cap} distinct={distinct}"
                    );
                    let mut seen = vec![false; all.len()];
                    for members in &all {
                        let r = shape.rank(members);
                        assert!((r as usize) < all.len(), "rank in range");
                        assert!(!seen[r as usize], "rank is injective");
                        seen[r as usize] = true;
                        let (m, k) = shape.unrank(r);
                        assert_eq!(&m[..k], &members[..], "unrank inverts rank");
                        assert_eq!(shape.len(r), members.len() as u64);
                    }
                    assert_eq!(
                        shape.rank(&[]),
                        0,
                        "the empty collection is the default value"
                    );
                }
            }
        }
    }

    #[test]
    fn insert_and_remove_keep_members_sorted() {
        let bag = BagShape::new(4, 3, false).unwrap();
        let v = bag.insert(0, 2).unwrap();
        let v = bag.insert(v, 0).unwrap();
        let v = bag.insert(v, 2).unwrap();
        let (m, k) = bag.unrank(v);
        assert_eq!(&m[..k], &[0, 2, 2]);
        assert_eq!(bag.count(v, 2), 2);
        assert_eq!(bag.insert(v, 1), None, "full at capacity 3");
        let v = bag.remove(v, 2).unwrap();
        assert_eq!(bag.count(v, 2), 1);
        assert_eq!(bag.remove(v, 3), None, "3 is not a member");
        let set = BagShape::new(4, 2, true).unwrap();
        let s = set.insert(0, 3).unwrap();
        assert_eq!(set.insert(s, 3), Some(s), "sets ignore a second insert");
    }

    #[test]
    fn large_message_domains_fit() {
        // (sender, receiver, message) over 4 processes and 5 messages: 80
        // elements; a bitset would need 2^80 values.
        let card = BagShape::card(80, 8, false).unwrap();
        // sum_{k<=8} C(79 + k, k) = C(88, 8) by the hockey-stick identity;
        // the number was computed separately with Python's math.comb.
        assert_eq!(card, 64_276_915_527);
    }
}

mod seq {
    use dcheck_model::seq::*;

    /// Every sequence over `0..tc` of length at most `l`, by brute force.
    fn all(l: u64, tc: u64) -> Vec<Vec<u64>> {
        let mut out = vec![vec![]];
        let mut layer = vec![vec![]];
        for _ in 0..l {
            let mut next = Vec::new();
            for s in &layer {
                for x in 0..tc {
                    let mut t: Vec<u64> = s.clone();
                    t.push(x);
                    next.push(t);
                }
            }
            out.extend(next.iter().cloned());
            layer = next;
        }
        out
    }

    #[test]
    fn indices_are_a_bijection_onto_the_sequences() {
        for (l, tc) in [(0, 3), (1, 1), (2, 3), (3, 2), (4, 1), (2, 0), (3, 5)] {
            let card = SeqShape::card(l, tc as u128, u64::MAX as u128).unwrap() as u64;
            let shape = SeqShape::new(l, tc);
            let seqs = all(l, tc);
            // sum_{k <= l} tc^k sequences, each a distinct index in 0..card.
            assert_eq!(seqs.len() as u64, card, "l={l} tc={tc}");
            let mut seen = vec![false; card as usize];
            for s in &seqs {
                let v = shape.encode(s).unwrap();
                assert!(v < card);
                assert!(!seen[v as usize], "{s:?} shares index {v}");
                seen[v as usize] = true;
                assert_eq!(shape.items(v).collect::<Vec<_>>(), *s);
                assert_eq!(shape.len(v), s.len() as u64);
            }
        }
    }

    #[test]
    fn operations_agree_with_vectors() {
        let (l, tc) = (4, 3);
        let shape = SeqShape::new(l, tc);
        for s in all(l, tc) {
            let v = shape.encode(&s).unwrap();
            for (i, x) in s.iter().enumerate() {
                assert_eq!(shape.elem(v, i as u64), *x);
            }
            for x in 0..tc {
                let mut t = s.clone();
                t.push(x);
                assert_eq!(shape.push(v, x), shape.encode(&t));
            }
            for n in 0..=s.len() {
                assert_eq!(shape.take(v, n as u64), shape.encode(&s[..n]).unwrap());
                assert_eq!(shape.drop(v, n as u64), shape.encode(&s[n..]).unwrap());
            }
            if !s.is_empty() {
                assert_eq!(shape.tail(v), shape.encode(&s[1..]).unwrap());
            }
        }
    }

    #[test]
    fn the_largest_types_do_not_overflow() {
        // tc = 2^32, l = 1: 1 + 2^32 values; l = 2 would exceed 2^64.
        let tc = 1u128 << 32;
        assert_eq!(SeqShape::card(1, tc, u64::MAX as u128), Some(1 + tc));
        assert_eq!(SeqShape::card(2, tc, u64::MAX as u128), None);
        let shape = SeqShape::new(1, 1 << 32);
        let last = shape.encode(&[(1 << 32) - 1]).unwrap();
        assert_eq!(last, 1 << 32);
        assert_eq!(shape.len(last), 1);
        assert_eq!(shape.elem(last, 0), (1 << 32) - 1);
        assert_eq!(shape.tail(last), 0);
    }
}

mod encoding {
    use dcheck_model::encoding::*;

    #[test]
    fn bits_for_small_cards() {
        assert_eq!(bits_for(1), 0);
        assert_eq!(bits_for(2), 1);
        assert_eq!(bits_for(3), 2);
        assert_eq!(bits_for(4), 2);
        assert_eq!(bits_for(5), 3);
        assert_eq!(bits_for(1u128 << 64), 64);
    }

    #[test]
    fn slots_straddling_words_round_trip() {
        let mut state = vec![0u64; 3];
        let a = Slot {
            offset: 0,
            bits: 60,
        };
        let b = Slot {
            offset: 60,
            bits: 10,
        };
        let c = Slot {
            offset: 70,
            bits: 64,
        };
        a.store(&mut state, (1 << 60) - 1);
        b.store(&mut state, 0b10_1010_1010);
        c.store(&mut state, u64::MAX - 5);
        assert_eq!(a.load(&state), (1 << 60) - 1);
        assert_eq!(b.load(&state), 0b10_1010_1010);
        assert_eq!(c.load(&state), u64::MAX - 5);
        b.store(&mut state, 1);
        assert_eq!(a.load(&state), (1 << 60) - 1);
        assert_eq!(b.load(&state), 1);
        assert_eq!(c.load(&state), u64::MAX - 5);
    }

    #[test]
    fn digits_of_mixed_radix_numbers() {
        // 2*1 + 1*3 + 4*12 in radix (3, 4, 5): digits 2, 1, 4
        let v = 2 + 3 + 4 * 12;
        assert_eq!(get_digit(v, 1, 3), 2);
        assert_eq!(get_digit(v, 3, 4), 1);
        assert_eq!(get_digit(v, 12, 5), 4);
        let w = set_digit(v, 3, 1, 3);
        assert_eq!(get_digit(w, 3, 4), 3);
        assert_eq!(get_digit(w, 12, 5), 4);
    }

    /// Against the divisions themselves: divisors of every kind (1, powers
    /// of two, odd, near and past 2^32) and values at the edges of the
    /// fast path's range and past it, plus a pseudo-random sweep.
    #[test]
    fn a_digit_by_reciprocals_is_the_divisions_digit() {
        // Around the fast path's bound, 2^32: as divisors and as values.
        let edges = [
            (1 << 31) - 1,
            1 << 31,
            u32::MAX as u64 - 1,
            u32::MAX as u64,
            1 << 32,
            (1 << 32) + 1,
        ];
        let mut divisors = vec![
            1u64,
            2,
            3,
            5,
            7,
            9,
            10,
            27,
            64,
            81,
            1000,
            6561,
            1 << 40,
            3u64.pow(30),
        ];
        divisors.extend(edges);
        let mut values = vec![0u64, 1, 2, 3, u64::MAX - 1, u64::MAX];
        values.extend(edges);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
            values.push(x & u32::MAX as u64);
        }
        for &stride in &divisors {
            for &card in &divisors {
                let d = Digit::new(stride, card);
                for &v in &values {
                    assert_eq!(
                        d.get(v),
                        (v / stride) % card,
                        "v {v} stride {stride} card {card}"
                    );
                    assert_eq!(d.get(v), get_digit(v, stride, card));
                }
            }
        }
    }
}

mod ltl {
    use dcheck_model::ltl::*;
    use proptest::prelude::*;
    use Formula as F;

    fn b(f: Formula) -> Box<Formula> {
        Box::new(f)
    }

    fn arb_formula() -> impl Strategy<Value = Formula> {
        let leaf = prop_oneof![Just(F::True), Just(F::False), (0u32..3).prop_map(F::Atom),];
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(|a| F::Not(b(a))),
                (inner.clone(), inner.clone()).prop_map(|(x, y)| F::And(b(x), b(y))),
                (inner.clone(), inner.clone()).prop_map(|(x, y)| F::Or(b(x), b(y))),
                (inner.clone(), inner.clone()).prop_map(|(x, y)| F::Implies(b(x), b(y))),
                (inner.clone(), inner.clone()).prop_map(|(x, y)| F::Until(b(x), b(y))),
                (inner.clone(), inner.clone()).prop_map(|(x, y)| F::LeadsTo(b(x), b(y))),
                inner.clone().prop_map(|a| F::Always(b(a))),
                inner.prop_map(|a| F::Eventually(b(a))),
            ]
        })
    }

    fn arb_lasso() -> impl Strategy<Value = Lasso> {
        (1usize..=6).prop_flat_map(|n| {
            (prop::collection::vec(0u64..8, n), 0..n).prop_map(|(letters, loop_start)| Lasso {
                letters,
                loop_start,
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The automaton of `f` accepts a lasso word exactly when `f`
        /// holds on it, and the automaton of `not f` exactly when it does
        /// not (the semantics: `holds_on_lasso`, which shares no code
        /// with the tableau).
        #[test]
        fn the_automaton_accepts_what_the_formula_says(f in arb_formula(), w in arb_lasso()) {
            let expected = holds_on_lasso(&f, &w);
            let a = translate(&f, 1 << 16).expect("small");
            prop_assert_eq!(a.accepts(&w), expected, "{:?}", f);
            let not = translate(&F::Not(b(f.clone())), 1 << 16).expect("small");
            prop_assert_eq!(not.accepts(&w), !expected, "not {:?}", f);
        }
    }

    /// Hand-checked words: `always (p implies always p)` (p stable) fails
    /// once p goes back to false, and `always eventually p` needs p on the
    /// loop.
    #[test]
    fn stable_and_recurrent_by_hand() {
        let p = || b(F::Atom(0));
        let stable = F::Always(b(F::Implies(p(), b(F::Always(p())))));
        // p, not p, then p forever: p does not stay.
        let w = Lasso {
            letters: vec![1, 0, 1],
            loop_start: 2,
        };
        assert!(!holds_on_lasso(&stable, &w));
        assert!(!translate(&stable, 64).unwrap().accepts(&w));
        // not p, then p forever.
        let w = Lasso {
            letters: vec![0, 1],
            loop_start: 1,
        };
        assert!(translate(&stable, 64).unwrap().accepts(&w));
        let recurrent = F::Always(b(F::Eventually(p())));
        let w = Lasso {
            letters: vec![1, 0],
            loop_start: 1,
        };
        assert!(!translate(&recurrent, 64).unwrap().accepts(&w));
        let w = Lasso {
            letters: vec![0, 0, 1],
            loop_start: 1,
        };
        assert!(translate(&recurrent, 64).unwrap().accepts(&w));
    }

    /// The size limit is an error, not an allocation: a conjunction of
    /// many `always eventually` needs more states than allowed.
    #[test]
    fn a_limit_on_the_states() {
        let mut f = F::True;
        for a in 0..5 {
            f = F::And(b(f), b(F::Always(b(F::Eventually(b(F::Atom(a)))))));
        }
        let g = F::Or(b(f.clone()), b(F::Until(b(F::Atom(0)), b(F::Atom(1)))));
        assert_eq!(translate(&g, 4).err(), Some(TooLarge(4)));
        assert!(translate(&f, 1 << 16).is_ok());
    }

    /// A formula whose tableau splits exponentially is refused within the
    /// work bound, without finishing the splits (2^40 of them here).
    #[test]
    fn a_limit_on_the_work() {
        let mut f = F::True;
        for i in 0..40 {
            let alt = F::Or(
                b(F::Eventually(b(F::Atom(i % 6)))),
                b(F::Always(b(F::Atom((i + 1) % 6)))),
            );
            f = F::And(b(f), b(alt));
        }
        assert_eq!(translate(&f, 1 << 10).err(), Some(TooLarge(1 << 10)));
    }
}

mod symmetry {
    //! The canonical form against the classical definition of an orbit's
    //! representative (TLC's): the smallest of the state's images under
    //! every permutation of the symmetric values, n! of them (affordable at
    //! n = 3 and 4). The images come from [`Symmetry::permuted`], which
    //! the form also uses for its final renaming; what the test checks is
    //! the rest (the profiles, the tie classes, the memo). A wrong renaming
    //! would show in the counts pinned independently: the queue fixture's
    //! orbits here, TwoPhase's against a brute force that permutes decoded
    //! states in `tests/it/symmetry.rs`.

    use std::collections::{HashSet, VecDeque};
    use std::path::Path;

    use dcheck_model::symmetry::*;
    use dcheck_model::system::TransitionSystem;
    use dcheck_model::system::Word;

    fn model(spec: &str, consts: &[(&str, &str)]) -> dcheck_model::Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(spec);
        let (_, ast) = dcheck_syntax::load_spec(&path).unwrap_or_else(|(_, d)| panic!("{d:?}"));
        let flags = dcheck_net::Flags {
            network: None,
            faults: None,
        };
        let mut ast = dcheck_net::lower(ast, &flags).unwrap_or_else(|e| panic!("{spec}: {e:?}"));
        // A run with temporal properties explores every state.
        ast.properties.retain(dcheck_model::temporal::is_safety);
        let consts: Vec<(String, String)> = consts
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        dcheck_model::compile(&ast, &consts)
            .unwrap_or_else(|e| panic!("{spec}: {:?}", e.diagnostics))
    }

    /// Every order of `0..n`.
    fn orders(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![Vec::new()];
        }
        let mut out = Vec::new();
        for rest in orders(n - 1) {
            for at in 0..n {
                let mut o = rest.clone();
                o.insert(at, n - 1);
                out.push(o);
            }
        }
        out
    }

    /// Explores `spec` without reduction; in every reachable state checks
    /// that the canonical form is the same for every image of the state
    /// and for a cold memo, and returns (distinct canonical forms,
    /// distinct smallest images, states).
    fn orbits(spec: &str, consts: &[(&str, &str)]) -> (usize, usize, usize) {
        let m = model(spec, consts);
        let sym = m.symmetry.as_ref().expect("a symmetric spec");
        assert_eq!(sym.groups.len(), 1, "{spec}");
        let n = sym.groups[0].variants.len();
        let all = orders(n);
        let mut sc = m.scratch();
        let mut sym_sc = SymScratch::default();
        let mut seen: HashSet<Vec<Word>> = HashSet::new();
        let mut queue = VecDeque::new();
        m.initial_states(&mut sc, &mut |s| {
            if seen.insert(s.to_vec()) {
                queue.push_back(s.to_vec());
            }
        })
        .expect("initial states");
        let (mut forms, mut smallest) = (HashSet::new(), HashSet::new());
        let words = m.state_words();
        let (mut form, mut other, mut image) = (vec![0; words], vec![0; words], vec![0; words]);
        let mut perms = vec![Vec::new()];
        while let Some(s) = queue.pop_front() {
            sym.canonical(&m.vars, &s, &mut form, &mut sym_sc);
            sym.canonical(&m.vars, &s, &mut other, &mut SymScratch::default());
            assert_eq!(form, other, "{spec}: a cold memo differs in {s:?}");
            let mut least: Option<Vec<Word>> = None;
            for order in &all {
                image.copy_from_slice(&s);
                let orders = [order.clone()];
                sym.permuted(
                    &m.vars,
                    &s,
                    &orders,
                    &mut perms,
                    &mut sym_sc.memo,
                    &mut image,
                );
                sym.canonical(&m.vars, &image, &mut other, &mut sym_sc);
                assert_eq!(form, other, "{spec}: an image of {s:?} has another form");
                if least.as_ref().is_none_or(|l| image < *l) {
                    least = Some(image.clone());
                }
            }
            forms.insert(form.clone());
            smallest.insert(least.expect("n! >= 1"));
            m.successors(&mut sc, &s, |_, next| {
                if seen.insert(next.to_vec()) {
                    queue.push_back(next.to_vec());
                }
            })
            .expect("successors");
        }
        (forms.len(), smallest.len(), seen.len())
    }

    /// Paxos (defaults, symmetric acceptors): the channels are a wide map
    /// keyed by the roles, the acceptors' variables maps and sets.
    #[test]
    fn paxos_forms_are_the_orbits() {
        let (forms, orbits, states) = orbits("specs/paxos.ron", &[]);
        assert_eq!(
            states, 47089,
            "the unreduced count, pinned against Stateright"
        );
        assert_eq!(forms, orbits);
        assert!(orbits < states);
    }

    /// Raft (symmetric servers), a small configuration.
    #[test]
    fn raft_forms_are_the_orbits() {
        let small = [("MaxLogLen", "1"), ("MaxElections", "1")];
        let (forms, orbits, states) = orbits("specs/raft.ron", &small);
        assert_eq!(forms, orbits);
        assert!(orbits < states);
    }

    /// TwoPhase with 4 RMs, and the queue fixture of sequences and
    /// multisets (10 orbits of 38 states by hand, in its header).
    #[test]
    fn twophase_and_queue_forms_are_the_orbits() {
        let (forms, least, _) = orbits("specs/2pc.ron", &[("N", "4")]);
        assert_eq!(forms, least);
        assert_eq!(orbits("tests/fixtures/sym/queue.ron", &[]), (10, 10, 38));
    }
}

mod drive {
    use dcheck_model::bag::*;
    use dcheck_model::internals::MemberCache;

    /// The memo gives the distinct members `unrank` gives, for drivers
    /// with shapes of their own, over far more values than it has entries
    /// (so entries are evicted and tags must tell the drivers apart), and
    /// for collections too large to keep.
    #[test]
    fn the_member_cache_agrees_with_unrank() {
        let sets = BagShape::new(20, 4, true).expect("shape");
        let bags = BagShape::new(9, 5, false).expect("shape");
        let wide = BagShape::new(12, 8, true).expect("shape");
        let mut cache = MemberCache::default();
        let distinct = |shape: &BagShape, v: u64| {
            let (m, n) = shape.unrank(v);
            let mut d = m[..n].to_vec();
            d.dedup();
            d
        };
        let cached = |cache: &mut MemberCache, id, shape: &BagShape, v| {
            let mut out = Vec::new();
            cache.members(id, shape, v, |e| out.push(e));
            out
        };
        // Two drivers whose entries for one value share a slot.
        let v = 77;
        let other = (4..)
            .find(|id| MemberCache::slot(*id, v) == MemberCache::slot(3, v))
            .expect("a colliding id");
        assert_ne!(distinct(&sets, v), distinct(&bags, v));
        for (id, shape) in [(3, &sets), (other, &bags), (3, &sets)] {
            assert_eq!(cached(&mut cache, id, shape, v), distinct(shape, v));
        }
        for round in 0..2 {
            for v in (0..6196u64).map(|i| (i * 7919 + round) % 6196) {
                assert_eq!(
                    cached(&mut cache, 3, &sets, v),
                    distinct(&sets, v),
                    "set {v}"
                );
                let w = v % 2002;
                assert_eq!(
                    cached(&mut cache, 8, &bags, w),
                    distinct(&bags, w),
                    "bag {w}"
                );
                // Up to 8 members: those with more than 6 are not kept.
                let x = v * 3 % 3797;
                assert_eq!(
                    cached(&mut cache, 9, &wide, x),
                    distinct(&wide, x),
                    "wide {x}"
                );
            }
        }
    }
}

mod runtime {
    use dcheck_model::internals::Saved;

    /// Up to 32 words on the stack, then all of them in the vector, in
    /// order either way.
    #[test]
    fn saved_keeps_every_word_in_order() {
        for n in [0u64, 1, 31, 32, 33, 70] {
            let words: Vec<u64> = (0..n).map(|i| i * 7 + 1).collect();
            assert_eq!(Saved::of(&words).as_slice(), &words[..], "{n}");
        }
    }
}
