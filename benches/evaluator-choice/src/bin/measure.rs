//! The measurement of docs/design/evaluator.md: for every workload, ns per
//! evaluation of the three back ends in interleaved rounds (the order
//! rotates each round; medians, and the median of each round's ratio to
//! the closures), and the compile cost of each (medians of repeated
//! compilations of the workload's programs). Prints Markdown.
//!
//! `measure [--rounds N] [--states N] [--compile-reps N] [--only TEXT]`

use std::hint::black_box;
use std::time::Instant;

use evaluator_choice::ir::{self, Fault, Program};
use evaluator_choice::workloads::{self, Workload};
use evaluator_choice::{bytecode, closures, jit};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One pass over every (state, program) pair; returns ns per evaluation
/// and a checksum of the outcomes (the back ends must agree on it).
#[inline(never)]
fn pass<C>(
    progs: &[C],
    states: &[Vec<u64>],
    next: &mut [u64],
    loc: &mut [u64],
    run: impl Fn(&C, &[u64], &mut [u64], &mut [u64]) -> Result<u64, Fault>,
) -> (f64, u64) {
    next.fill(0);
    let t = Instant::now();
    let mut sum = 0u64;
    for st in states {
        for p in progs {
            let r = run(p, black_box(st), next, loc);
            sum = sum.wrapping_mul(31).wrapping_add(match r {
                Ok(v) => v,
                Err(f) => f.pack(),
            });
            sum = sum.wrapping_add(next[next.len() - 1] & 1);
        }
    }
    let ns = t.elapsed().as_nanos() as f64 / (states.len() * progs.len()) as f64;
    (ns, black_box(sum))
}

/// Median ns of `reps` runs of `f`.
fn time_median(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    median(&mut v)
}

struct Row {
    name: &'static str,
    programs: usize,
    nodes: usize,
    insns: usize,
    ns: [f64; 3],
    ratio: [f64; 3],
    compile_us: [f64; 3],
    /// Cranelift, all the workload's programs in one module.
    jit_one_module_us: f64,
}

fn measure(
    w: &Workload,
    isa: &cranelift_codegen::isa::OwnedTargetIsa,
    rounds: usize,
    n_states: usize,
    reps: usize,
) -> Row {
    let progs: Vec<Program> = w.programs();
    let states = w.states(n_states);
    let cl: Vec<_> = progs.iter().map(closures::compile).collect();
    let bc: Vec<_> = progs.iter().map(bytecode::compile).collect();
    let jt: Vec<_> = progs.iter().map(|p| jit::compile(isa, p)).collect();
    let words = states[0].len();
    let mut next = vec![0u64; words];
    let mut loc = vec![0u64; w.locals.max(1)];

    let mut ns: [Vec<f64>; 3] = Default::default();
    let mut ratio: [Vec<f64>; 3] = Default::default();
    let mut sums = [0u64; 3];
    // One warm-up round, then the measured ones.
    for round in 0..=rounds {
        let mut this = [0f64; 3];
        for j in 0..3 {
            let which = (round + j) % 3;
            let (t, s) = match which {
                0 => pass(&cl, &states, &mut next, &mut loc, |c, st, nx, l| {
                    c.run(st, nx, l)
                }),
                1 => pass(&bc, &states, &mut next, &mut loc, |c, st, nx, l| {
                    c.run(st, nx, l)
                }),
                _ => pass(&jt, &states, &mut next, &mut loc, |c, st, nx, l| {
                    c.run(st, nx, l)
                }),
            };
            this[which] = t;
            sums[which] = s;
        }
        assert!(
            sums[0] == sums[1] && sums[1] == sums[2],
            "{}: the back ends disagree ({sums:x?})",
            w.name
        );
        if round > 0 {
            for j in 0..3 {
                ns[j].push(this[j]);
                ratio[j].push(this[j] / this[0]);
            }
        }
    }

    // Compile cost of the whole workload (all its programs), interleaved.
    let mut compile: [Vec<f64>; 3] = Default::default();
    let mut one_module = Vec::new();
    for _ in 0..reps {
        compile[0].push(time_median(1, || {
            black_box(progs.iter().map(closures::compile).collect::<Vec<_>>());
        }));
        compile[1].push(time_median(1, || {
            black_box(progs.iter().map(bytecode::compile).collect::<Vec<_>>());
        }));
        compile[2].push(time_median(1, || {
            black_box(
                progs
                    .iter()
                    .map(|p| jit::compile(isa, p))
                    .collect::<Vec<_>>(),
            );
        }));
        one_module.push(time_median(1, || {
            black_box(jit::compile_all(isa, &progs));
        }));
    }
    Row {
        name: w.name,
        programs: progs.len(),
        nodes: progs.iter().map(ir::program_size).sum(),
        insns: bc.iter().map(|c| c.len()).sum(),
        ns: [median(&mut ns[0]), median(&mut ns[1]), median(&mut ns[2])],
        ratio: [1.0, median(&mut ratio[1]), median(&mut ratio[2])],
        compile_us: [
            median(&mut compile[0]) / 1e3,
            median(&mut compile[1]) / 1e3,
            median(&mut compile[2]) / 1e3,
        ],
        jit_one_module_us: median(&mut one_module) / 1e3,
    }
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = arg(&args, "--rounds", 41);
    let n_states = arg(&args, "--states", 4096);
    let reps = arg(&args, "--compile-reps", 31);

    let isa_us = time_median(reps, || {
        black_box(jit::host_isa());
    }) / 1e3;
    let isa = jit::host_isa();

    // `--only TEXT`: the workloads whose name contains TEXT.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_default();
    // Warm-up (CPU clock, caches, the allocator): one short discarded run
    // of the first workload; without it the first workload's figures came
    // out 1.5-2x too high in half the processes.
    if let Some(w) = workloads::all().first() {
        measure(w, &isa, 5, n_states, 3);
    }
    let rows: Vec<Row> = workloads::all()
        .iter()
        .filter(|w| w.name.contains(only.as_str()))
        .map(|w| measure(w, &isa, rounds, n_states, reps))
        .collect();

    println!("rounds {rounds}, states {n_states}, compile repetitions {reps}\n");
    println!("### Evaluation: median ns per evaluation (one program on one state)\n");
    println!("| workload | programs | IR nodes | bytecode insns | closures ns | bytecode ns | Cranelift ns | bytecode / closures | Cranelift / closures |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.name, r.programs, r.nodes, r.insns, r.ns[0], r.ns[1], r.ns[2], r.ratio[1], r.ratio[2]
        );
    }
    println!("\n### Compile cost: median µs to lower all the workload's programs\n");
    println!("Cranelift: codegen and finalize, one JIT module per program, or all the workload's programs in one module; the host ISA (built once per process) took a median {isa_us:.1} µs. Break-even: evaluations of one program for Cranelift's compile cost (one module per program) over the closures' to be paid back by its saving per evaluation.\n");
    println!("| workload | programs | closures µs | bytecode µs | Cranelift µs | Cranelift µs, one module | Cranelift µs per program | Cranelift / closures | break-even evaluations per program |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let per = r.compile_us[2] / r.programs as f64;
        let saved_ns = r.ns[0] - r.ns[2];
        let breakeven = if saved_ns > 0.0 {
            format!(
                "{:.0}",
                (r.compile_us[2] - r.compile_us[0]) * 1e3 / r.programs as f64 / saved_ns
            )
        } else {
            "never".into()
        };
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            r.name,
            r.programs,
            r.compile_us[0],
            r.compile_us[1],
            r.compile_us[2],
            r.jit_one_module_us,
            per,
            r.compile_us[2] / r.compile_us[0],
            breakeven
        );
    }
}
