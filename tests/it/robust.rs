//! Input at the edges of size: long operator chains never crash.
//!
//! Before, an `and` or `+` chain of about 20,000 operands overflowed the
//! stack (SIGABRT) and checking grew quadratically with its length. Chains
//! of `and`, `or`, `+`, `-`, `*` and the set operators now compile into
//! loops (on a thread with a large stack for the front end's recursion
//! along the chain); a chain of the other operators counts as nesting and
//! gets the nesting diagnostic. The specs are generated here (a
//! million-operand file is 8 MB); each chain is long enough to overflow
//! the old 8 MiB main stack ten times over.

use std::path::PathBuf;

use crate::common::{dcheck, dcheck_args};

/// A two-state spec (x flips between 0 and 1) with invariant `inv`.
fn spec(name: &str, inv: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("dcheck-robust-{}-{name}.ron", std::process::id()));
    let text = format!(
        r#"(
    name: "Chain",
    vars: [ (name: "x", type: "0..1") ],
    init: (effect: "x = 0;"),
    actions: [ (name: "Flip", effect: "x = 1 - x;") ],
    invariants: [ (name: "I", expr: "{inv}") ],
    terminal: "true",
)"#
    );
    std::fs::write(&path, text).expect("write the spec");
    path
}

/// `dcheck run PATH`, then the generated file is removed.
fn run(path: &PathBuf) -> (i32, String, String) {
    let out = dcheck_args(&["run", &path.display().to_string()]);
    let _ = std::fs::remove_file(path);
    out
}

const N: usize = 200_000;

#[test]
fn long_chains_are_checked_without_a_crash() {
    // Each holds in both states (x in 0..1): exit 0, two states.
    let holds = [
        ("and", vec!["x <= 1"; N].join(" and ")),
        ("or", format!("{} or x <= 1", vec!["x > 1"; N].join(" or "))),
        ("sum", format!("{} >= 0", vec!["x"; N].join(" + "))),
        ("mixed", format!("x{} <= 1", " + 1 - 1 * 1".repeat(N / 3))),
        (
            "union",
            format!("card({}) == 1", vec!["{x}"; N].join(" union ")),
        ),
    ];
    for (name, inv) in holds {
        let (code, stdout, stderr) = run(&spec(name, &inv));
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(
            stdout.contains("distinct states        2"),
            "{name}: {stdout}"
        );
    }
    // The last conjunct fails once x = 1: a violation after one step,
    // found by evaluating all N conjuncts.
    let fails = format!("{} and x == 0", vec!["x <= 1"; N].join(" and "));
    let (code, stdout, stderr) = run(&spec("fails", &fails));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("Invariant I is violated"), "{stdout}");
    // x * 2 * 2 * ... (63 twos) is 0 at x = 0 and overflows at x = 1 (the
    // 63rd product is 2^63): an evaluation error after one step.
    let overflow = format!("x{} >= 0", " * 2".repeat(63));
    let (code, stdout, _) = run(&spec("overflow", &overflow));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("integer overflow"), "{stdout}");
}

#[test]
fn long_chains_of_other_operators_are_nesting() {
    let inv = format!("x{} <= 1", " div 1".repeat(N));
    let (code, _, stderr) = run(&spec("div", &inv));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("code nested too deeply"), "{stderr}");
    assert!(stderr.contains("split it with `let`"), "{stderr}");
}

/// The "distinct states" figure of a TwoPhase N=9 run that stopped early:
/// some of its 10,340,352 states, not all.
fn stopped_part_of_2pc9(report: &str) -> u64 {
    let distinct: u64 = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("distinct states"))
        .and_then(|v| v.trim().parse().ok())
        .expect("distinct states line");
    assert!(distinct > 0 && distinct < 10_340_352, "{distinct}");
    distinct
}

/// `sh -c "SCRIPT"` with `$0` the dcheck binary, from the repository root
/// (for runs under a ulimit or in a cgroup).
fn dcheck_in_sh(script: &str) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_dcheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run sh")
}

/// Under `ulimit -v`, a run too large for the address space stops (with
/// `--store memory`; by default it moves to disk there) at the
/// default memory limit (90% of the room left, after the threads' own)
/// with exit 3 and its figures, instead of aborting on a failed
/// allocation (as it did before the default limit). TwoPhase N=9 needs
/// about 350 MB; 550 MB of address space leaves it about 150 MiB.
#[cfg(target_os = "linux")]
#[test]
fn a_run_under_ulimit_v_stops_cleanly() {
    let out = dcheck_in_sh(
        "ulimit -v 550000 && exec \"$0\" run specs/2pc.ron --symmetry off --const N=9 --threads 2 --store memory",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("the default memory limit") && stdout.contains("`ulimit -v`"),
        "{stdout}"
    );
    assert!(stdout.contains("hint: --max-memory SIZE"), "{stdout}");
    stopped_part_of_2pc9(&stdout);
}

/// A failed allocation (here: `--max-memory` far above what `ulimit -v`
/// leaves, so the engine's own limit never stops it) ends the run with
/// exit 3 and the figures explored so far on stderr, not with Rust's
/// "memory allocation failed" abort (SIGABRT, exit 134). TwoPhase N=9
/// needs about 350 MB; 250 MB of address space, the binary and the
/// threads' stacks included, is not enough (and fails sooner than more).
#[cfg(target_os = "linux")]
#[test]
fn a_failed_allocation_ends_with_the_figures_so_far() {
    let out = dcheck_in_sh("ulimit -v 250000 && exec \"$0\" run specs/2pc.ron --symmetry off --const N=9 --threads 2 --max-memory 100G");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("error: out of memory"), "{stderr}");
    assert!(stderr.contains("hint: --max-memory SIZE"), "{stderr}");
    stopped_part_of_2pc9(&stderr);
}

/// A memory cgroup of 150 MiB (v1 `memory.limit_in_bytes`, or v2
/// `memory.max`), created for the test: TwoPhase N=9 (about 350 MB), with
/// `--store memory`, stops
/// at the default limit, 90% of the room under the cgroup's limit, with
/// exit 3 and its summary, and the OOM killer never sees it. Creating a
/// cgroup needs root and a writable cgroup file system: where the machine
/// does not allow it, the test says so on stderr and checks nothing.
#[cfg(target_os = "linux")]
#[test]
fn a_run_under_a_cgroup_memory_limit_stops_cleanly() {
    let name = format!("dcheck-test-{}", std::process::id());
    let limit = (150u64 << 20).to_string();
    let v2 = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .is_ok_and(|c| c.split_whitespace().any(|w| w == "memory"));
    let (dir, file) = if v2 {
        (format!("/sys/fs/cgroup/{name}"), "memory.max")
    } else {
        (
            format!("/sys/fs/cgroup/memory/{name}"),
            "memory.limit_in_bytes",
        )
    };
    if std::fs::create_dir(&dir).is_err() {
        eprintln!("skipped: cannot create the cgroup {dir}");
        return;
    }
    if std::fs::write(format!("{dir}/{file}"), &limit).is_err() {
        let _ = std::fs::remove_dir(&dir);
        eprintln!("skipped: cannot set {dir}/{file}");
        return;
    }
    let out = dcheck_in_sh(&format!(
        "echo $$ > {dir}/cgroup.procs && exec \"$0\" run specs/2pc.ron --symmetry off --const N=9 --threads 2 --store memory"
    ));
    let _ = std::fs::remove_dir(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("the default memory limit") && stdout.contains("cgroup memory limit"),
        "{stdout}"
    );
    stopped_part_of_2pc9(&stdout);
}

/// The findings of the issue that are about sizes: an action with 2^20
/// bindings runs (2 states: x = 0, x = 1, each with one enabled binding)
/// within 16 MB, and a constant that would make a state 2 * 10^10 bits is
/// a diagnostic at the variable it sizes, not an allocation.
#[test]
fn sizes_come_from_what_is_reached_and_declared() {
    let (code, out, err) = dcheck_args(&[
        "run",
        "tests/fixtures/robust/bindings_2pow20.ron",
        "--max-memory",
        "16M",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("distinct states        2"), "{out}");
    // Generated: the initial state, then one successor of each of the
    // two states (the other one): 1 + 2.
    assert!(out.contains("states generated       3"), "{out}");
    let (code, _, err) = dcheck_args(&[
        "run",
        "specs/2pc.ron",
        "--const",
        "N=10000000000",
        "--max-memory",
        "2G",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would take 10000000000 keys"), "{err}");
}

/// A binary file and a Latin-1 file are recognised as such (they got
/// "check the path and the file permissions"); the Latin-1 one points at
/// its first byte that is not UTF-8 (line 2, column 15: the `é` of
/// `"Café"` written as the single byte 0xE9).
#[test]
fn files_that_are_not_utf8_text_are_named_so() {
    let (code, _, stderr) = dcheck_args(&["check", "tests/fixtures/robust/binary.ron"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is a binary file, not a spec"), "{stderr}");
    let (code, _, stderr) = dcheck_args(&["check", "tests/fixtures/robust/latin1.ron"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not UTF-8 text"), "{stderr}");
    assert!(stderr.contains("latin1.ron:2:15"), "{stderr}");
    assert!(!stderr.contains("permissions"), "{stderr}");
}

/// Sizes computed in closed form, not one key at a time: a map over 10^12
/// keys into a one-value type (no answer in minutes before; then an 8 TB
/// stride table), and TwoPhase with 400,000 resource managers (rejected:
/// its state does not fit; 66 s before, quadratic in the fairness list).
#[test]
fn huge_domains_are_sized_without_enumerating_them() {
    let (code, stdout, stderr) = dcheck_args(&["run", "tests/fixtures/robust/unit_map_10e12.ron"]);
    assert_eq!(code, 0, "{stderr}");
    // x flips; m has one value.
    assert!(stdout.contains("distinct states        2"), "{stdout}");
    let (code, _, stderr) = dcheck_args(&["check", "specs/2pc_msgs.ron", "--const", "N=400000"]);
    assert_eq!(code, 2, "{stderr}");
}

/// SIGTERM while a spec compiles (nothing polls the stop request then)
/// ends the process a second later with exit 130; it used to run on to
/// the end of the compile.
#[cfg(unix)]
#[test]
fn a_signal_during_compilation_exits() {
    let mut child = dcheck()
        .args(["check", "tests/fixtures/robust/slow_compile.ron"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dcheck");
    std::thread::sleep(std::time::Duration::from_millis(500));
    crate::common::signal(&child, "-TERM");
    let status = child.wait().expect("wait for dcheck");
    assert_eq!(status.code(), Some(130));
}
