//! Language features, end to end through the CLI, on small fixture specs in
//! `tests/fixtures/lang/`.
//!
//! Each fixture checks the *values* its operations compute with invariants
//! against literals (a wrong result is an invariant violation, exit 1), and
//! its actions span a state space whose size is derived by hand in the
//! comment of each test. Counting convention (TLC's): *distinct* = reachable
//! states; *generated* = initial states + one per (reachable state, enabled
//! action instance), duplicates and self-loops included.

use serde_json::Value as Json;

/// Runs `dcheck run <fixture> <extra> --format json` from the repository
/// root; returns the exit code and the report. Fails on a panic.
fn run(fixture: &str, extra: &[&str]) -> (i32, Json) {
    let path = format!("tests/fixtures/lang/{fixture}");
    let out = crate::common::dcheck()
        .args(["run", &path])
        .args(extra)
        .args(["--format", "json"])
        .output()
        .expect("run dcheck");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{fixture}: dcheck panicked:\n{stderr}"
    );
    let code = out.status.code().expect("exit code");
    let report = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("{fixture}: exit {code}, stdout is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}")
    });
    (code, report)
}

/// Asserts a complete, violation-free run with these counts.
fn assert_ok(fixture: &str, extra: &[&str], distinct: u64, generated: u64) -> Json {
    let (code, j) = run(fixture, extra);
    assert_eq!(code, 0, "{fixture}: {j:#}");
    assert_eq!(j["result"], "ok", "{fixture}: {j:#}");
    assert_eq!(
        j["distinct_states"].as_u64(),
        Some(distinct),
        "{fixture}: distinct: {j:#}"
    );
    assert_eq!(
        j["states_generated"].as_u64(),
        Some(generated),
        "{fixture}: generated: {j:#}"
    );
    j
}

/// Asserts a run (with --no-deadlock) that stops at an evaluation error
/// saying `says`, after a shortest trace of `steps` steps.
fn assert_eval_error(fixture: &str, steps: usize, says: &str) {
    let (code, j) = run(fixture, &["--no-deadlock"]);
    assert_eq!(code, 1, "{fixture}: {j:#}");
    assert_eq!(j["violation"]["kind"], "error", "{fixture}: {j:#}");
    let len = j["violation"]["trace"].as_array().map(Vec::len);
    assert_eq!(len, Some(steps + 1), "{fixture}: {j:#}");
    assert!(j.to_string().contains(says), "{fixture}: {j:#}");
}

/// Both strategies and both thread counts must agree on the counts.
fn assert_ok_everywhere(fixture: &str, distinct: u64, generated: u64) {
    for strategy in ["bfs", "dfs"] {
        for threads in ["1", "2"] {
            assert_ok(
                fixture,
                &["--strategy", strategy, "--threads", threads],
                distinct,
                generated,
            );
        }
    }
}

/// Records and tuples (`records_tuples.ron`).
///
/// State: p.a in 0..2 (IncA while < 2), p.b (SetB sets it once), and t,
/// which SetT sets once to (1, p.b at that moment). The pair (p.b, t) has
/// 5 reachable values: (F, (0,F)), (T, (0,F)), (F, (1,F)), (T, (1,F)),
/// (T, (1,T)) — (F, (1,T)) is impossible since p.b never reverts. With
/// p.a independent: 3 * 5 = **15 distinct**.
/// Generated: 1 initial + IncA in the states with p.a < 2 (2 * 5 = 10) +
/// SetB where p.b = F (2 pairs * 3 = 6) + SetT where t.0 = 0 (2 pairs * 3
/// = 6) = **23**. `q` is never assigned: it stays at its default
/// { x: 1, y: (false, 2) } (the `Defaults` invariant).
#[test]
fn records_and_tuples() {
    assert_ok_everywhere("records_tuples.ron", 15, 23);
}

/// Maps with nested field updates (`maps.ron`).
///
/// Each key k runs the chain (n, on) = (0,F) -> (1,F) -> (2,F) -> (2,T)
/// independently: 4 * 4 = **16 distinct**. In each state exactly one action
/// instance per key is enabled unless the key is at the chain's end: per
/// key 3 (non-final positions) * 4 (other key) = 12 enabled, 24 for both;
/// generated = 1 + 24 = **25**. `d` stays at its default (every key 1).
#[test]
fn maps_with_nested_updates() {
    assert_ok_everywhere("maps.ron", 16, 25);
}

/// Sets (`sets.ron`).
///
/// Add(x)/Remove(x) reach every subset of 1..3: **8 distinct** (the other
/// variables are fixed by init). In a state s, Add is enabled for the
/// 3 - |s| elements not in s and Remove for the |s| in it: 3 per state;
/// generated = 1 + 8 * 3 = **25**. The init's computed values (insert,
/// remove, union, minus, intersect, comprehension, subseteq, card) are
/// compared to literals by the invariants.
#[test]
fn sets() {
    assert_ok_everywhere("sets.ron", 8, 25);
}

/// Multisets (`multisets.ron`).
///
/// m holds 0..2 copies of each of 1 and 2: 3 * 3 = **9 distinct**. Per
/// element x with c copies: Add enabled if c < 2, Del if c > 0, so 1, 2, 1
/// instances for c = 0, 1, 2: 4 over c, times 3 values of the other
/// element's count = 12 per element, 24 in all; generated = 1 + 24 =
/// **25**. The init's insert/insert/insert/remove gives {1, 2}.
#[test]
fn multisets() {
    assert_ok_everywhere("multisets.ron", 9, 25);
}

/// Bounded collections (`bags.ron`): `b: bag<0..2, 3>`, `s: set<0..3, 2>`.
///
/// Values: bags of at most 3 members over 3 elements number
/// sum_k C(k + 2, k) = 1 + 3 + 6 + 10 = 20; sets of at most 2 members over 4
/// elements 1 + 4 + 6 = 11; all are reachable, so **220 distinct**.
///
/// Successors per b, over the 20 bags (Put: 3 when len < 3; Take: one per
/// distinct member): size 0: 3; size 1: 3 bags * (3 + 1) = 12; size 2:
/// {x,x} 3 * (3 + 1) + {x,y} 3 * (3 + 2) = 27; size 3: {x,x,x} 3 * 1 +
/// {x,x,y} 6 * 2 + {x,y,z} 1 * 3 = 18; in all 60, for each of the 11 sets:
/// 660. Per s, over the 11 sets (Add: 4 when len < 2, else 2 self-loops on
/// members; Drop: one per member): 4 + 4 * (4 + 1) + 6 * (2 + 2) = 48, for
/// each of the 20 bags: 960. Generated = 1 + 660 + 960 = **1621**.
#[test]
fn bounded_bags_and_sets() {
    assert_ok_everywhere("bags.ron", 220, 1621);
}

/// Inserting into a full bag is an evaluation error, like a full multiset.
#[test]
fn bag_capacity_is_an_evaluation_error() {
    let (code, j) = run("bag_overflow.ron", &[]);
    assert_eq!(code, 1, "{j:#}");
    assert_eq!(j["violation"]["kind"], "error", "{j:#}");
    // 0, 1 and 2 members, then the third Put fails: 3 entries.
    assert_eq!(
        j["violation"]["trace"].as_array().map(Vec::len),
        Some(3),
        "{j:#}"
    );
}

/// A map with more than 2^64 values (`wide_map.ron`: `[1..5 -> 0..16383]`,
/// 2^70 values) is stored one slot per key and used element-wise.
///
/// Inc(p) raises c[p] while it is below 2, so every c[p] is in {0, 1, 2}
/// and all 3^5 = **243** combinations are reachable. Inc instances: each
/// coordinate is below 2 in 2/3 of the states, 5 * 162 = 810; Reset is
/// enabled where some coordinate is 2: 243 - 2^5 = 211. Generated =
/// 1 + 810 + 211 = **1022**.
#[test]
fn wide_maps_are_used_element_wise() {
    assert_ok_everywhere("wide_map.ron", 243, 1022);
}

/// Using a wide map as a whole value is a spec error (exit 2), pointing at
/// the use.
#[test]
fn wide_map_as_a_whole_value_is_rejected() {
    let out = crate::common::dcheck()
        .args(["run", "tests/fixtures/lang/wide_map_whole.ron"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("can only be used element-wise"), "{err}");
    assert!(err.contains("wide_map_whole.ron:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Inserting beyond a multiset's bound (`multiset_overflow.ron`): states
/// with 0, 1, 2 copies (3 distinct; 1 initial + 2 successful inserts = 3
/// generated), then Add fails in the state with 2 copies: the trace is
/// 0 -> 1 -> 2 copies (3 entries).
#[test]
fn multiset_capacity_is_an_evaluation_error() {
    let (code, j) = run("multiset_overflow.ron", &[]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "error", "{v:#}");
    assert!(
        v["error"]["transition"]
            .as_str()
            .unwrap_or("")
            .contains("Add"),
        "{v:#}"
    );
    let trace = v["trace"].as_array().unwrap();
    // A multiset is `[[value, count], ...]` in JSON; the empty one is `[]`.
    let copies: Vec<u64> = trace
        .iter()
        .map(|s| {
            s["state"]["m"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e[1].as_u64().unwrap())
                .sum()
        })
        .collect();
    assert_eq!(copies, [0, 1, 2], "{v:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(3), "{j:#}");
}

/// Sequences (`sequences.ron`).
///
/// Push(v) appends any of 3 values while len < 3, Pop drops the head: every
/// sequence over 0..2 of length 0..3 is reachable, 1 + 3 + 9 + 27 = **40
/// distinct**. Push is enabled in the 13 states of length < 3 (3 instances
/// each: 39) and Pop in the 39 non-empty ones; generated = 1 + 39 + 39 =
/// **79**. The init's head/last/tail/take/len/`++`/1-based indexing are
/// compared to literals by the invariants.
#[test]
fn sequences() {
    assert_ok_everywhere("sequences.ron", 40, 79);
}

/// Appending to a full sequence (`seq_overflow.ron`): [] -> [0] -> [0, 0],
/// then Push fails: trace of 3 entries, 3 distinct states.
#[test]
fn full_sequence_append_is_an_evaluation_error() {
    let (code, j) = run("seq_overflow.ron", &[]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "error", "{v:#}");
    assert!(
        v["error"]["transition"]
            .as_str()
            .unwrap_or("")
            .contains("Push"),
        "{v:#}"
    );
    let lens: Vec<usize> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"]["q"].as_array().unwrap().len())
        .collect();
    assert_eq!(lens, [0, 1, 2], "{v:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(3), "{j:#}");
}

/// Enums with payloads (`enums.ron`). Writing (last, seen) with P0, P1 for
/// Ping(0), Ping(1), and last's default Ping(0) (first variant, zero
/// payload):
///
/// ```text
/// s1 (Ping(0), {})            Send0 -> s2, Send1 -> s3, Halt -> s4       3
/// s2 (Pong(0,F), {P0})        Send1 -> s5, Halt -> s6                    2
/// s3 (Pong(1,T), {P1})        Send0 -> s7, Halt -> s8                    2
/// s4 (Stop, {})               Send0 -> s2, Send1 -> s3                   2
/// s5 (Pong(1,T), {P0,P1})     Halt -> s9                                 1
/// s6 (Stop, {P0})             Send1 -> s5                                1
/// s7 (Pong(0,F), {P0,P1})     Halt -> s9                                 1
/// s8 (Stop, {P1})             Send0 -> s7                                1
/// s9 (Stop, {P0,P1})          (none; terminal holds)                     0
/// ```
///
/// **9 distinct**, generated = 1 + 13 = **14**.
#[test]
fn enums_with_payloads() {
    assert_ok_everywhere("enums.ron", 9, 14);
}

/// `enums_deadlock.ron` is `enums.ron` with `terminal: "false"`: s9
/// (above), the only state without an enabled action, is a deadlock. BFS
/// reaches it in 3 steps (s1 -> s2 -> s5 -> s9, or s1 -> s3 -> s7 -> s9:
/// no path is shorter since each Send adds one Ping and Halt is needed
/// after the last), so the trace has 4 entries, ending in
/// (Stop, {Ping(0), Ping(1)}). With `--no-deadlock`: the counts above.
#[test]
fn enums_deadlock_when_not_terminal() {
    let (code, j) = run("enums_deadlock.ron", &[]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "deadlock", "{v:#}");
    let trace = v["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 4, "{v:#}");
    let last = &trace[3]["state"];
    assert_eq!(last["last"], "Stop", "{v:#}");
    let mut seen: Vec<String> = last["seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, [r#"{"Ping":[0]}"#, r#"{"Ping":[1]}"#], "{v:#}");
    assert_ok("enums_deadlock.ron", &["--no-deadlock"], 9, 14);
}

/// Quantifiers, let, if-then-else, defs with params, `for`, `require`
/// (`logic.ron`).
///
/// a: [I -> 0..2] with I = 1..3 and total = sum(a) (recomputed after every
/// write, so the `Total` invariant checks that a read sees the writes
/// before it). Inc reaches every a: 3^3 = **27 distinct** (total is a
/// function of a). Generated: 1 initial +
/// Inc(i) where a[i] != 2: 18 states per i, 54;
/// Reset where some a[i] == 2: 27 - 2^3 = 19;
/// Half(i) (`require a[i] == 1`): 9 states per i, 27;
/// = 1 + 54 + 19 + 27 = **101**.
#[test]
fn quantifiers_let_if_defs_for_require() {
    assert_ok_everywhere("logic.ron", 27, 101);
}

/// `init: (params: "v: 0..2", effect: "x = v;")`: 3 initial states, no
/// actions: **3 distinct, 3 generated**.
#[test]
fn init_with_parameters() {
    let j = assert_ok("init_params.ron", &[], 3, 3);
    assert_eq!(j["depth"].as_u64(), Some(0), "{j:#}");
}

/// `params: "v: 0..2, w: bool", guard: "v != 1"`: (v, w) in {0, 2} x
/// {false, true}: **4 distinct, 4 generated**.
#[test]
fn init_with_parameters_and_guard() {
    assert_ok("init_params_guard.ron", &[], 4, 4);
}

/// `init_params_shared_guard.ron`: `params: "v: 0..2"`, `guard: "K == 1
/// and v != 1"`, `x = v`, no actions. The conjunct `K == 1` mentions no
/// parameter and is evaluated once for all bindings. K = 1 (default): v in
/// {0, 2}, **2 distinct, 2 generated**. `--const K=0`: the guard is false
/// for every v: no initial state, **0 and 0**.
#[test]
fn init_guard_conjuncts_without_parameters_apply() {
    assert_ok("init_params_shared_guard.ron", &[], 2, 2);
    assert_ok("init_params_shared_guard.ron", &["--const", "K=0"], 0, 0);
}

/// `empty_ranges.ron`: x from 0 to 2 by Tick, and Crash(f) sets down[f]
/// for f in Faulty = 1..F. F = 0 (default): Faulty is empty (`1..0`), so
/// Crash has no transitions and `down` has one value, the empty map:
/// **3 distinct** (x = 0, 1, 2), **3 generated** (1 initial + Tick from
/// x = 0 and 1). The invariants say the quantifiers, `card` and the map
/// literal see the empty set. F = 2: x (3 values) times the subsets of
/// {1, 2} crashed (4, each reachable): **12 distinct**; generated: 1 +
/// Tick in the 2 * 4 states with x < 2 (8) + Crash(f) for each f not yet
/// down, (2 + 1 + 1 + 0) per x, 3 * 4 = 12: **21**.
#[test]
fn empty_ranges_are_empty_sets() {
    assert_ok_everywhere("empty_ranges.ron", 3, 3);
    let j = assert_ok("empty_ranges.ron", &["--const", "F=2"], 12, 21);
    assert_eq!(j["constants"]["F"], 2);
}

/// `base_counter.ron`: x from 0 to N (default 2): N + 1 states, generated
/// 1 + N. `extends_counter.ron` overrides N's default with 4: 5 and 5.
/// `--const` overrides the inherited constant again: N = 1 gives 2 and 2.
#[test]
fn extends_overrides_a_constant_default() {
    let j = assert_ok("base_counter.ron", &[], 3, 3);
    assert_eq!(j["constants"]["N"], 2);
    let j = assert_ok("extends_counter.ron", &[], 5, 5);
    assert_eq!(j["constants"]["N"], 4);
    assert_eq!(j["spec"], "ExtendedCounter");
    let j = assert_ok("extends_counter.ron", &["--const", "N=1"], 2, 2);
    assert_eq!(j["constants"]["N"], 1);
}

/// The names of the checks a report lists (invariants, `deadlock`,
/// properties), in its order.
fn checks(j: &Json) -> Vec<String> {
    j["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// `checked_counter.ron`: x from 0 to N = 3 by Inc, invariants
/// AtMost1 (`x <= 1`) and AtMost2 (`x <= 2`), property Done. BFS meets
/// x = 2 after 2 steps: AtMost1 fails (trace of 3 states). `omit_one.ron`
/// omits AtMost1: AtMost2 fails at x = 3, after 3 steps (4 states).
/// `omit_all.ron` omits both and Done: only deadlocks are checked, and the
/// one end state x = 3 is terminal: x in 0..3 gives **4 distinct**, and
/// 1 initial + one Inc from each of x = 0, 1, 2 gives **4 generated**.
#[test]
fn omit_drops_inherited_invariants_and_properties() {
    let trace_of = |fixture: &str| -> (String, usize) {
        let (code, j) = run(fixture, &[]);
        assert_eq!(code, 1, "{fixture}: {j:#}");
        let v = &j["violation"];
        assert_eq!(v["kind"], "invariant", "{fixture}: {v:#}");
        let len = v["trace"].as_array().map_or(0, Vec::len);
        (v["property"].as_str().unwrap().to_string(), len)
    };
    assert_eq!(trace_of("checked_counter.ron"), ("AtMost1".into(), 3));
    assert_eq!(trace_of("omit_one.ron"), ("AtMost2".into(), 4));
    let (_, j) = run("omit_one.ron", &[]);
    assert_eq!(checks(&j), ["AtMost2", "deadlock", "Done"], "{j:#}");
    let j = assert_ok("omit_all.ron", &[], 4, 4);
    assert_eq!(checks(&j), ["deadlock"], "{j:#}");
}

/// `dcheck ARGS...`: exit code and stderr, failing on a panic.
fn code_and_stderr(args: &[&str]) -> (i32, String) {
    let out = crate::common::dcheck()
        .args(args)
        .output()
        .expect("run dcheck");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().expect("exit code"), stderr)
}

/// `mod` and `div` with TLA+'s meaning (`mod_div.ron`): the invariants
/// compare them, and `%` and `/`, to literals worked out by hand (floor
/// division: -7 div 2 = floor(-3.5) = -4; the modulus is in 0..b-1:
/// -1 mod 3 = 2, -7 mod 3 = -7 - 3 * floor(-7/3) = -7 + 9 = 2).
/// `Back` walks the ring 0 -> 2 -> 1 -> 0 with `(i - 1) mod N`: **3
/// distinct** states, one successor each: generated = 1 + 3 = **4**.
#[test]
fn mod_and_div_are_tla_plus_modulus_and_floor_division() {
    assert_ok_everywhere("mod_div.ron", 3, 4);
}

/// `7 mod d` once `d` reaches 0 (`mod_by_zero.ron`): an evaluation error
/// on the second Shrink; the trace holds the states before it, d = 2 and
/// d = 1 (the failing step is the error's transition).
#[test]
fn mod_by_zero_is_an_evaluation_error() {
    let (code, j) = run("mod_by_zero.ron", &[]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "error", "{v:#}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("7 mod 0") && message.contains("positive"),
        "{v:#}"
    );
    assert_eq!(v["error"]["transition"], "Shrink", "{v:#}");
    assert_eq!(v["trace"].as_array().map(Vec::len), Some(2), "{v:#}");
}

/// TLA+'s `(i - 1) % N` written with `%` (`remainder_warning.ron`): the
/// compiler warns once, at the left operand of `Back` (its bounds reach -1;
/// `Fwd`'s `i + 1` cannot be negative), and suggests `mod`; the run itself
/// goes on and finds the store of -1 (from i = 1: Back to 0, Back again).
#[test]
fn a_possibly_negative_remainder_is_warned_about() {
    let (code, stderr) = code_and_stderr(&["run", "tests/fixtures/lang/remainder_warning.ron"]);
    assert_eq!(code, 1, "{stderr}");
    let warnings = stderr
        .matches("the left operand of `%` can be negative")
        .count();
    assert_eq!(warnings, 1, "{stderr}");
    assert!(stderr.contains("down to -1"), "{stderr}");
    assert!(stderr.contains("`mod`"), "{stderr}");
    assert!(stderr.contains("(i - 1)"), "{stderr}");
}

/// Pattern binders in quantifiers, comprehensions and `for`, and `match`
/// with payload, bare and `_` arms (`patterns.ron`, values in its
/// comments). Promote turns both `m1a` messages into `m1b` ones already
/// present: **2 distinct** states, generated = 1 + 1 = **2**.
#[test]
fn pattern_binders_and_match_take_payloads_apart() {
    assert_ok_everywhere("patterns.ron", 2, 2);
}

/// The spec errors of patterns (`match_errors.ron`), each at its place: a
/// match without `m1b` and `done`, a two-component variant with one name,
/// a name that is no variant, a payload variant matched bare.
#[test]
fn pattern_errors_are_spec_errors() {
    let (code, stderr) = code_and_stderr(&["check", "tests/fixtures/lang/match_errors.ron"]);
    assert_eq!(code, 2, "{stderr}");
    for expected in [
        "does not cover every variant of Msg: m1b(0..1, 0..2), done missing",
        "`m1b` carries 2 component(s), the pattern has 1",
        "`m2` is not a variant of Msg",
        "`m1a` carries a payload: match it with a pattern",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(stderr.contains("4 problem(s)"), "{stderr}");
}

/// Keywords (and a name that is not an identifier) as the names of a
/// constant, a type, variables, an action and a parameter
/// (`keyword_names.ron`): each refused at its declaration with a rename
/// hint, exit 2.
#[test]
fn keywords_cannot_be_declared_names() {
    let (code, stderr) = code_and_stderr(&["check", "tests/fixtures/lang/keyword_names.ron"]);
    assert_eq!(code, 2, "{stderr}");
    for expected in [
        "`div` is a keyword and cannot name a constant",
        "`seq` is a keyword and cannot name a type",
        "`in` is a keyword and cannot name a variable",
        "`match` is a keyword and cannot name an action",
        "`two words` is not a valid variable name",
        "rename it, e.g. `in_`",
        // a parameter, parsed from its code string
        "`seq` is a keyword and cannot be used as a name: rename it, e.g. `seq_`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(stderr.contains("6 problem(s)"), "{stderr}");
}

/// A multiset literal counts repeated members, like a bag literal
/// (`multiset_literal.ron`): the invariants hold in the initial state
/// `{1, 1, 2}`; `{1, 1, 1}` exceeds the bound 2, an evaluation error of
/// Over in that one state.
#[test]
fn multiset_literals_count_repetitions_like_bags() {
    let (code, j) = run("multiset_literal.ron", &[]);
    assert_eq!(code, 1, "{j:#}");
    let v = &j["violation"];
    assert_eq!(v["kind"], "error", "{v:#}");
    assert_eq!(v["error"]["transition"], "Over", "{v:#}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("more than 2 time(s)"), "{v:#}");
    assert_eq!(j["distinct_states"].as_u64(), Some(1), "{j:#}");
}

/// The sequence-enumeration bug's reproduction (`seq_binding.ron`): the 13
/// values of `seq<1..3, 2>` (1 + 3 + 9) as 13 initial states, no two of
/// them empty, exit 0.
#[test]
fn an_enumerated_sequence_type_has_one_form_per_value() {
    assert_ok_everywhere("seq_binding.ron", 13, 13);
}

/// `bool` as a binder's domain and a map literal's keys, and a map literal
/// over a range of constants: values checked by the fixture's invariants,
/// counts by hand in its header (4 distinct, 4 generated).
#[test]
fn bool_domains_and_range_map_literals() {
    for strategy in ["bfs", "dfs"] {
        assert_ok(
            "bool_and_range_maps.ron",
            &["--no-deadlock", "--strategy", strategy],
            4,
            4,
        );
    }
}

/// `choose`: the values its invariants check (least in the type's order,
/// not the first written; signed integers; enums), the counts by hand (4 /
/// 4); and no satisfying value is an evaluation error after the shortest
/// trace that reaches it (x = 2: 2 steps).
#[test]
fn choose_picks_the_least_satisfying_value() {
    for strategy in ["bfs", "dfs"] {
        assert_ok(
            "choose.ron",
            &["--no-deadlock", "--strategy", strategy],
            4,
            4,
        );
    }
    assert_eval_error("choose_none.ron", 2, "no value satisfies");
}

/// Recursive defs (direct, mutual, over the state): values checked by the
/// fixture's invariants, counts by hand (4 / 4), at 1 and 2 threads; a
/// recursion past the limit is an evaluation error in the initial state,
/// not a stack overflow.
#[test]
fn recursive_defs() {
    for threads in ["1", "2"] {
        assert_ok(
            "recursion.ron",
            &["--no-deadlock", "--threads", threads],
            4,
            4,
        );
    }
    assert_eval_error("recursion_deep.ron", 0, "recursion deeper than 200 calls");
}
