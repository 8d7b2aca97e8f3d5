//! The three back ends must give the reference semantics (`ir::run`) on
//! every input: the same value or the same fault, and the same next state.

use evaluator_choice::ir::{self, ErrKind, Outcome, Program};
use evaluator_choice::{bytecode, closures, gen, workloads};

#[cfg(feature = "jit")]
use evaluator_choice::jit;

/// Runs `p` on one input with every back end; panics on a disagreement.
/// Returns the reference outcome.
fn check_one(
    p: &Program,
    compiled: &Compiled,
    st: &[u64],
    locals: &[u64],
    what: &dyn Fn() -> String,
) -> Outcome {
    let mut results = Vec::new();
    let mut run = |name: &str, f: &dyn Fn(&mut [u64], &mut [u64]) -> Outcome| {
        let mut next = vec![0xdead_beef_u64; st.len()];
        let mut loc = locals.to_vec();
        let r = f(&mut next, &mut loc);
        results.push((name.to_string(), r, next));
    };
    run("reference", &|next, loc| ir::run(p, st, next, loc));
    run("closures", &|next, loc| {
        compiled.closures.run(st, next, loc)
    });
    run("bytecode", &|next, loc| {
        compiled.bytecode.run(st, next, loc)
    });
    #[cfg(feature = "jit")]
    run("jit", &|next, loc| compiled.jit.run(st, next, loc));
    let (_, want, want_next) = &results[0];
    for (name, got, got_next) in &results[1..] {
        assert_eq!(got, want, "{name} vs reference: {}\nprogram: {p:?}", what());
        if matches!(want, Ok(1)) && matches!(p, Program::Transition { .. }) {
            assert_eq!(
                got_next,
                want_next,
                "{name}: next state differs: {}\nprogram: {p:?}",
                what()
            );
        }
    }
    *want
}

struct Compiled {
    closures: closures::Compiled,
    bytecode: bytecode::Compiled,
    #[cfg(feature = "jit")]
    jit: jit::Compiled,
}

fn compile_all(
    p: &Program,
    #[cfg(feature = "jit")] isa: &cranelift_codegen::isa::OwnedTargetIsa,
) -> Compiled {
    Compiled {
        closures: closures::compile(p),
        bytecode: bytecode::compile(p),
        #[cfg(feature = "jit")]
        jit: jit::compile(isa, p),
    }
}

macro_rules! compile {
    ($p:expr, $isa:expr) => {{
        #[cfg(feature = "jit")]
        let c = compile_all($p, $isa);
        #[cfg(not(feature = "jit"))]
        let c = {
            let _ = $isa;
            compile_all($p)
        };
        c
    }};
}

#[cfg(feature = "jit")]
fn isa() -> cranelift_codegen::isa::OwnedTargetIsa {
    jit::host_isa()
}
/// Without the `jit` feature: nothing to build.
#[cfg(not(feature = "jit"))]
struct NoIsa;
#[cfg(not(feature = "jit"))]
fn isa() -> NoIsa {
    NoIsa
}

#[test]
fn workloads_agree_in_both_forms() {
    let isa = isa();
    for w in workloads::all() {
        let states = w.states(2000);
        let prepared = w.programs();
        let mut enabled = 0;
        for (src, p) in w.source.iter().zip(&prepared) {
            // The front end's unrolling and folding keep the meaning.
            for form in [src, p] {
                let c = compile!(form, &isa);
                for (i, st) in states.iter().enumerate() {
                    let locals = vec![0u64; w.locals.max(1)];
                    let r = check_one(form, &c, st, &locals, &|| format!("{} state {i}", w.name));
                    let src_r = ir::run(src, st, &mut st.clone(), &mut locals.clone());
                    assert_eq!(r, src_r, "{}: prepared and source differ", w.name);
                    enabled += matches!(r, Ok(v) if v != 0) as usize;
                }
            }
        }
        // The states exercise both outcomes (an invariant holds on them
        // all, as on reachable states; its violation is checked below).
        let total = 2 * prepared.len() * states.len();
        let invariant = w.name.contains("OneValuePerBallot");
        assert!(
            enabled > 0 && (invariant || enabled < total),
            "{}: {enabled} of {total} true",
            w.name
        );
    }
}

#[test]
fn a_violated_invariant_is_false_everywhere() {
    // Acceptor 1 voted (1, 1), acceptor 2 voted (1, 2): votes at bit 18 of
    // word 3, 4 bits per acceptor, bit (b - 1) * 2 + (v - 1).
    let isa = isa();
    for w in workloads::all() {
        if !w.name.contains("OneValuePerBallot") {
            continue;
        }
        let mut st = vec![0u64; w.words];
        st[3] = (1 << 18) | (2 << 22);
        for p in w.programs().iter().chain(&w.source) {
            let c = compile!(p, &isa);
            let r = check_one(p, &c, &st, &vec![0; w.locals], &|| w.name.to_string());
            assert_eq!(r, Ok(0), "{}", w.name);
        }
    }
}

/// Many programs in one Cranelift module (as a spec would be compiled).
#[cfg(feature = "jit")]
#[test]
fn one_module_for_many_programs_agrees() {
    let isa = isa();
    for w in workloads::all() {
        let programs = w.programs();
        let all = jit::compile_all(&isa, &programs);
        for st in w.states(300) {
            for (p, c) in programs.iter().zip(&all) {
                let (mut n1, mut n2) = (st.clone(), st.clone());
                let (mut l1, mut l2) = (vec![0; w.locals.max(1)], vec![0; w.locals.max(1)]);
                let want = ir::run(p, &st, &mut n1, &mut l1);
                assert_eq!(c.run(&st, &mut n2, &mut l2), want, "{}", w.name);
                assert_eq!(n1, n2, "{}", w.name);
            }
        }
    }
}

#[test]
fn random_programs_agree() {
    let isa = isa();
    let mut g = gen::Gen::new(15);
    let mut faults = std::collections::HashMap::new();
    let (mut oks, mut applied) = (0usize, 0usize);
    for n in 0..1500 {
        let src = g.program();
        for form in [src.clone(), ir::prepare_program(&src, ir::UNROLL_MAX)] {
            let c = compile!(&form, &isa);
            for i in 0..24 {
                let st = g.state();
                let locals = g.locals();
                let r = check_one(&form, &c, &st, &locals, &|| {
                    format!("program {n} input {i}: state {st:x?} locals {locals:x?}")
                });
                match r {
                    Ok(v) => {
                        oks += 1;
                        applied += (v == 1 && matches!(form, Program::Transition { .. })) as usize;
                    }
                    Err(f) => *faults.entry(f.kind).or_insert(0usize) += 1,
                }
            }
        }
    }
    // The inputs reach every error kind, values and applied effects.
    for kind in [ErrKind::Overflow, ErrKind::DivByZero, ErrKind::OutOfRange] {
        assert!(
            faults.get(&kind).copied().unwrap_or(0) > 20,
            "{kind:?}: {faults:?}"
        );
    }
    assert!(
        oks > 10_000 && applied > 1000,
        "{oks} values, {applied} effects"
    );
}

#[test]
fn a_fault_is_reported_not_a_value() {
    // `1 / (x - x)` at position 7: division by zero, in every back end.
    use ir::{bin, field, k, BinOp, Field};
    let f = Field::new(0, 0, 8);
    let p = Program::Expr(bin(
        BinOp::Add,
        k(1),
        bin(BinOp::Div, k(1), bin(BinOp::Sub, field(f), field(f), 3), 7),
        9,
    ));
    let isa = isa();
    let c = compile!(&p, &isa);
    let r = check_one(&p, &c, &[5], &[0], &|| "div".into());
    assert_eq!(
        r,
        Err(ir::Fault {
            kind: ErrKind::DivByZero,
            at: 7
        })
    );
}
