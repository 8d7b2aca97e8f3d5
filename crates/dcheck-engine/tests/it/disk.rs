//! The disk store against the independent reference BFS of `common`:
//! with a memory limit far below what the search needs in memory, the
//! counts, the verdict and the trace are the reference's (so those of a
//! search in memory), the fingerprints really went to disk, and the store's
//! directory is gone afterwards.

use crate::common;

use crate::random_graphs::arb_graph_of;
use common::*;
use dcheck_engine::{check, Config, Limit, Outcome, Progress, Store, Verdict};
use proptest::prelude::*;

fn run(m: &TestModel, store: Store, max_memory: u64, threads: usize) -> Outcome {
    let config = Config {
        strategy: dcheck_engine::Strategy::Bfs,
        threads,
        check_deadlock: false,
        max_memory: Some(max_memory),
        store,
        ..Config::default()
    };
    check(m, &config, &Progress::new())
}

/// Files and folders left under `dir`.
fn left(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path()).unwrap().count()
}

/// A 300 x 300 grid walk: 90,000 states, in memory about 16 bytes each
/// with the level tables; 128 KiB holds a tenth of it. Reference figures:
/// every cell, `2wh - w - h + 1` states generated (each cell's enabled
/// moves, plus the initial state), depth `w + h - 2`.
#[test]
fn a_grid_far_larger_than_the_memory_limit_completes_on_disk() {
    let (w, h) = (300u64, 300u64);
    let m = grid(w, h, true);
    let limit = 128 << 10;
    // In memory, the limit stops it.
    let mem = run(&m, Store::Memory, limit, 2);
    assert_eq!(mem.result, Verdict::Incomplete(Limit::Memory));
    for threads in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        for store in [
            Store::Disk(dir.path().to_path_buf()),
            Store::Auto(dir.path().to_path_buf()),
        ] {
            let auto = matches!(store, Store::Auto(_));
            let out = run(&m, store, limit, threads);
            assert_eq!(out.result, Verdict::Ok, "auto {auto}, {threads} thread(s)");
            assert_eq!(out.stats.distinct_states, w * h);
            assert_eq!(out.stats.states_generated, 2 * w * h - w - h + 1);
            assert_eq!(out.stats.depth as u64, w + h - 2);
            assert!(out.stats.bytes_used <= limit, "{}", out.stats.bytes_used);
            let store = out.stats.store.expect("the disk store was used");
            assert!(store.on_disk > w * h / 2, "{}", store.on_disk);
            assert!(store.on_disk <= w * h);
            // Auto: in memory first, so the switch came after the start.
            assert_eq!(store.switched_at.is_some_and(|n| n > 1), auto);
            assert_eq!(left(&dir), 0, "the store's directory is removed");
        }
    }
}

/// Many shortest paths of equal length: the one reported is decided by
/// the BFS's tie-breaking alone, which the disk store keeps.
#[test]
fn a_violation_found_on_disk_has_the_reference_trace() {
    let m = {
        let mut m = grid(300, 300, true);
        m.invariant = Some(Box::new(|s| (s[0] == 170 && s[1] == 150).then_some(3)));
        m
    };
    let reference = reference_bfs(&m, false);
    let (kind, trace) = reference.violation.clone().unwrap();
    for threads in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            &m,
            Store::Disk(dir.path().to_path_buf()),
            192 << 10,
            threads,
        );
        let Verdict::Violation(v) = &out.result else {
            panic!("{:?}", out.result)
        };
        assert_eq!(v.kind, kind);
        assert_eq!(pairs(&v.trace), trace, "{threads} thread(s)");
        assert!(out.stats.store.unwrap().on_disk > 0);
    }
}

#[test]
fn a_store_that_cannot_be_created_stops_the_search_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = run(
        &grid(50, 50, true),
        Store::Disk(file.join("store")),
        1 << 30,
        1,
    );
    assert_eq!(out.result, Verdict::Incomplete(Limit::Store));
    let why = out.stats.store_error.unwrap();
    assert!(why.contains("cannot create the disk store"), "{why}");
    assert!(why.contains("a-file"), "{why}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Random graphs, in a store squeezed to 56 KiB (the level tables'
    /// smallest sizes and little more): the reference's counts or its
    /// first violation and trace.
    #[test]
    fn random_graphs_on_disk_match_the_reference((adj, init, bad) in arb_graph_of(2000..20000), threads in 1usize..3) {
        let m = graph(adj, init, bad);
        let r = reference_bfs(&m, false);
        let dir = tempfile::tempdir().unwrap();
        let out = run(&m, Store::Disk(dir.path().to_path_buf()), 56 << 10, threads);
        match (&r.violation, &out.result) {
            (None, Verdict::Ok) => {
                prop_assert_eq!(out.stats.distinct_states, r.distinct);
                prop_assert_eq!(out.stats.states_generated, r.generated);
                prop_assert_eq!(out.stats.depth, r.max_distance);
            }
            (Some((kind, trace)), Verdict::Violation(v)) => {
                prop_assert_eq!(&v.kind, kind);
                prop_assert_eq!(&pairs(&v.trace), trace);
            }
            (expected, got) => prop_assert!(false, "reference {:?}, disk store {:?}", expected, got),
        }
        prop_assert_eq!(left(&dir), 0);
    }
}

/// A search on disk stopped by a limit writes a checkpoint (fingerprints
/// from memory and the runs, links from their file, the level from its
/// file); resumed, it ends with the reference's counts.
#[test]
fn a_checkpoint_of_a_search_on_disk_resumes_to_the_reference_counts() {
    use dcheck_engine::checkpoint::{self, Checkpointing};
    let (w, h) = (200u64, 200u64);
    let m = grid(w, h, true);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp");
    let store = tempfile::tempdir().unwrap();
    let config = Config {
        threads: 2,
        check_deadlock: false,
        max_memory: Some(96 << 10),
        max_states: Some(15_000),
        store: Store::Disk(store.path().to_path_buf()),
        checkpoint: Some(Checkpointing {
            path: path.clone(),
            every: std::time::Duration::ZERO,
            identity: 7,
        }),
        ..Config::default()
    };
    let out = check(&m, &config, &Progress::new());
    assert_eq!(out.result, Verdict::Incomplete(Limit::States));
    assert!(out.stats.checkpoints_written > 0);
    assert!(
        out.stats.store.unwrap().on_disk > 0,
        "fingerprints went to runs"
    );
    let snap = checkpoint::read(&path).unwrap();
    snap.fits(&m, 7).unwrap();
    assert!(snap.seen.len() < (w * h) as usize && snap.seen.len() > 5_000);
    let resumed = Config {
        max_states: None,
        ..config
    };
    let out = dcheck_engine::resume(&m, &resumed, &Progress::new(), snap);
    assert_eq!(out.result, Verdict::Ok);
    assert_eq!(out.stats.distinct_states, w * h);
    assert_eq!(out.stats.states_generated, 2 * w * h - w - h + 1);
    assert_eq!(out.stats.depth as u64, w + h - 2);
    assert_eq!(left(&store), 0);
}
