//! Concurrent insertion into the engine's lock-free fingerprint table versus
//! `dashmap::DashSet<u64>` (ahash), at 1 and 2 threads. The workload is the
//! explorer's: 2^20 fingerprints, every value inserted twice (half the
//! inserts are duplicates), split evenly between the threads. Each iteration
//! starts from an empty set pre-sized for the distinct values.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dashmap::DashSet;
use dcheck_engine::fingerprint::nonzero;
use dcheck_engine::fingerprint_table::{capacity_for, FingerprintTable};

const DISTINCT: usize = 1 << 19;

fn workload() -> Vec<u64> {
    let h = ahash::RandomState::with_seeds(1, 2, 3, 4);
    let mut v: Vec<u64> = (0..DISTINCT as u64)
        .map(|i| nonzero(h.hash_one(i)))
        .collect();
    // Second copy in another order, interleaved with the first.
    let second: Vec<u64> = v.iter().rev().copied().collect();
    v = v
        .into_iter()
        .zip(second)
        .flat_map(|(a, b)| [a, b])
        .collect();
    v
}

fn run_threads(fps: &[u64], threads: usize, insert: impl Fn(u64) -> bool + Sync) -> usize {
    let per = fps.len().div_ceil(threads);
    std::thread::scope(|sc| {
        let handles: Vec<_> = fps
            .chunks(per)
            .map(|part| {
                let insert = &insert;
                sc.spawn(move || part.iter().filter(|&&fp| insert(fp)).count())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn bench(c: &mut Criterion) {
    let fps = workload();
    let mut group = c.benchmark_group("concurrent_insert");
    group.throughput(Throughput::Elements(fps.len() as u64));
    group.sample_size(15);
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    for threads in [1usize, 2] {
        group.bench_function(format!("fingerprint_table/{threads}"), |b| {
            b.iter_batched(
                || FingerprintTable::with_capacity(capacity_for(DISTINCT, 16)),
                |table| {
                    let n = run_threads(&fps, threads, |fp| table.insert(fp).new);
                    assert_eq!(n, DISTINCT);
                    table
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(format!("dashset_ahash/{threads}"), |b| {
            b.iter_batched(
                || {
                    DashSet::with_capacity_and_hasher(
                        DISTINCT,
                        ahash::RandomState::with_seeds(5, 6, 7, 8),
                    )
                },
                |set: DashSet<u64, ahash::RandomState>| {
                    let n = run_threads(&fps, threads, |fp| set.insert(fp));
                    assert_eq!(n, DISTINCT);
                    set
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
