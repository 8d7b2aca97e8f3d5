//! What compiled code is made of: the closure types, value conversions,
//! iteration over finite domains, and evaluation errors with their spans.
//!
//! Registers are `u64`: integers hold their value (two's complement), every
//! other type holds its dense index (see [`crate::encoding`]).

use dcheck_syntax::span::Span;

use crate::encoding::{get_digit, BitField};
use crate::system::{EvalError, Word};

pub type Err = Box<EvalError>;
pub type R = Result<u64, Err>;

/// The code of a compiled expression.
pub type ExprCode = dyn Fn(&[Word], &mut [u64]) -> R + Send + Sync;

/// A compiled expression: reads a state and the locals, yields a register.
/// Called with [`ExprFn::eval`]. One whose value is known at compile time
/// says so ([`ExprFn::value`]), so the code that uses it folds it away
/// (`true and x` is `x`, a `forall` drops its true copies, a def called
/// with constant arguments is specialised). One that is a test of fields at
/// fixed positions of one state word says so too ([`ExprFn::test`]), so a
/// junction can merge it with its neighbours and run runs of them without
/// closure calls.
pub struct ExprFn {
    code: Code,
}

/// How an [`ExprFn`] runs: the leaves most expressions bottom out in
/// (constants, locals, fields at fixed positions, field tests) inline in
/// the caller, everything else through its closure.
///
/// Measured: a leaf used to be a boxed closure of its own, an indirect
/// call that loaded one word (raft spent 2.6% of its time in constant
/// closures alone). Inline leaves made raft 0.97x the time and paxos the
/// same (farm-bench, 1 and 2 threads), and cut raft's compiled model from
/// 26 to 21 MB peak RSS and 0.16 to 0.10 s (`--max-depth 1`): an
/// `ExprFn` is 40 bytes and a leaf no longer allocates.
enum Code {
    Const(u64),
    Local(usize),
    /// `bf.get(st) + lo`: a stored index loaded as a register (`lo` is
    /// the range's low end for integers, 0 otherwise).
    Field {
        bf: BitField,
        lo: u64,
    },
    Test(FieldTest),
    /// A digit of a slot at a stride known when compiled, loaded like
    /// `Field` (boxed: the slot, digit and low end are 56 bytes, and
    /// every `ExprFn` is as large as its largest variant).
    Digit(Box<(crate::encoding::Slot, crate::encoding::Digit, u64)>),
    /// `and` / `or` of parts, run by [`Junction::run`] (a direct call, not
    /// a closure), and spliced into an enclosing junction of the same kind
    /// ([`ExprFn::junction`]).
    Junction(Box<Junction>),
    Dyn(Box<ExprCode>),
}

/// A compiled junction (`and`: `decisive` false, `or`: true): the parts in
/// order until one has the decisive value, else `otherwise`.
pub struct Junction {
    parts: Vec<JunctionPart>,
    decisive: bool,
    otherwise: u64,
}

impl Junction {
    #[inline(never)]
    fn run(&self, st: &[Word], loc: &mut [u64]) -> R {
        let decisive = self.decisive;
        for p in &self.parts {
            match p {
                JunctionPart::Tests(run) => {
                    for t in run {
                        if t.holds(st) == decisive {
                            return Ok(decisive as u64);
                        }
                    }
                }
                JunctionPart::Code(f) => {
                    if (f.eval(st, loc)? != 0) == decisive {
                        return Ok(decisive as u64);
                    }
                }
            }
        }
        Ok(self.otherwise)
    }
}

impl ExprFn {
    pub fn new(f: impl Fn(&[Word], &mut [u64]) -> R + Send + Sync + 'static) -> ExprFn {
        ExprFn {
            code: Code::Dyn(Box::new(f)),
        }
    }

    /// The constant `v`.
    pub fn konst(v: u64) -> ExprFn {
        ExprFn {
            code: Code::Const(v),
        }
    }

    /// The boolean test `t`.
    pub fn field_test(t: FieldTest) -> ExprFn {
        ExprFn {
            code: Code::Test(t),
        }
    }

    /// Local `slot` (a parameter or a bound variable).
    pub fn local(slot: usize) -> ExprFn {
        ExprFn {
            code: Code::Local(slot),
        }
    }

    /// The field `bf` of the state, loaded as a register with `load`.
    pub fn field(bf: BitField, load: Load) -> ExprFn {
        ExprFn {
            code: Code::Field {
                bf,
                lo: load.offset(),
            },
        }
    }

    /// Digit `digit` of the variable in `slot`, loaded as a register with
    /// `load` (a map entry at a constant key that is not a bit field).
    pub fn digit(slot: crate::encoding::Slot, digit: crate::encoding::Digit, load: Load) -> ExprFn {
        ExprFn {
            code: Code::Digit(Box::new((slot, digit, load.offset()))),
        }
    }

    /// The junction of `parts` (none of them constant): `and` when
    /// `decisive` is false, `or` when true; `otherwise` is its value when
    /// no part decides. A part that is itself such a junction, of the same
    /// kind and not decided in advance, is spliced in: a quantifier nest
    /// unrolled into junctions of junctions runs as one list, and the
    /// field tests that meet at the seams merge.
    ///
    /// Measured (`benches/evaluator-choice`): an unrolled nest ran 2x
    /// slower as nested closures than as one flat list.
    pub fn junction(parts: Vec<ExprFn>, decisive: bool, otherwise: u64) -> ExprFn {
        let mut flat = Vec::with_capacity(parts.len());
        for p in parts {
            match p.code {
                Code::Junction(j) if j.decisive == decisive && j.otherwise == !decisive as u64 => {
                    for part in j.parts {
                        match part {
                            JunctionPart::Tests(run) => {
                                flat.extend(run.into_iter().map(ExprFn::field_test))
                            }
                            JunctionPart::Code(f) => flat.push(f),
                        }
                    }
                }
                code => flat.push(ExprFn { code }),
            }
        }
        ExprFn {
            code: Code::Junction(Box::new(Junction {
                parts: junction_parts(flat, decisive),
                decisive,
                otherwise,
            })),
        }
    }

    /// The single field test a junction of these parts would be, if so.
    pub fn junction_test(parts: &[JunctionPart]) -> Option<FieldTest> {
        match parts {
            [JunctionPart::Tests(run)] if run.len() == 1 => Some(run[0]),
            _ => None,
        }
    }

    /// Run it on a state and locals.
    #[inline(always)]
    pub fn eval(&self, st: &[Word], loc: &mut [u64]) -> R {
        match &self.code {
            Code::Const(v) => Ok(*v),
            Code::Local(slot) => Ok(loc[*slot]),
            Code::Field { bf, lo } => Ok(bf.get(st).wrapping_add(*lo)),
            Code::Digit(d) => Ok(d.1.get(d.0.load(st)).wrapping_add(d.2)),
            Code::Test(t) => Ok(t.holds(st) as u64),
            Code::Junction(j) => j.run(st, loc),
            Code::Dyn(f) => f(st, loc),
        }
    }

    /// The value, if it is known at compile time.
    #[inline]
    pub fn value(&self) -> Option<u64> {
        match self.code {
            Code::Const(v) => Some(v),
            _ => None,
        }
    }

    /// A junction's parts, if it is one.
    pub fn junction_parts(&self) -> Option<&[JunctionPart]> {
        match &self.code {
            Code::Junction(j) => Some(&j.parts),
            _ => None,
        }
    }

    /// The field test this boolean expression is, if it is one.
    #[inline]
    pub fn test(&self) -> Option<FieldTest> {
        match self.code {
            Code::Test(t) => Some(t),
            _ => None,
        }
    }
}

/// `(state[word] & mask == value) == eq`: fields at fixed positions of one
/// word compared with constants (`rmState[r] == working` once `r` is known,
/// `Prepared(r) in msgs` for a bitset, `not` of either). It never fails.
///
/// Measured hot path (TwoPhase spends a fifth of its time in such
/// comparisons and the junctions around them; `benches/evaluator-choice`
/// puts a closure call at several times the cost of the test): a junction
/// merges neighbouring tests of one word into one masked compare
/// (`forall rm in RM: rmState[rm] == prepared` is `word & M == V`) and runs
/// the rest inline, see [`junction_parts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldTest {
    pub word: usize,
    pub mask: u64,
    pub value: u64,
    pub eq: bool,
}

impl FieldTest {
    #[inline(always)]
    pub fn holds(self, st: &[Word]) -> bool {
        (st[self.word] & self.mask == self.value) == self.eq
    }

    /// The negation.
    pub fn not(self) -> FieldTest {
        FieldTest {
            eq: !self.eq,
            ..self
        }
    }

    /// One test equal to `self` followed by `next` in a junction that
    /// stops at the value `decisive` (`or`: true, `and`: false), if there
    /// is one: both compare disjoint bits of one word, for equality in an
    /// `and` or for inequality in an `or`.
    pub fn merge(self, next: FieldTest, decisive: bool) -> Option<FieldTest> {
        (self.word == next.word
            && self.mask & next.mask == 0
            && self.eq != decisive
            && next.eq != decisive)
            .then_some(FieldTest {
                word: self.word,
                mask: self.mask | next.mask,
                value: self.value | next.value,
                eq: self.eq,
            })
    }
}

/// One step of a compiled junction: a run of field tests, checked inline,
/// or compiled code.
pub enum JunctionPart {
    Tests(Vec<FieldTest>),
    Code(ExprFn),
}

/// The parts of a junction (`and`: `decisive` false, `or`: true) in
/// order: neighbouring field tests merged where [`FieldTest::merge`] can,
/// consecutive tests gathered into one inline run. Tests never fail, so
/// merging only neighbours keeps the order in which the other parts are
/// evaluated, and so their errors.
pub fn junction_parts(parts: Vec<ExprFn>, decisive: bool) -> Vec<JunctionPart> {
    let mut out: Vec<JunctionPart> = Vec::new();
    for p in parts {
        match (p.test(), out.last_mut()) {
            (Some(t), Some(JunctionPart::Tests(run))) => {
                let last = run.len() - 1;
                match run[last].merge(t, decisive) {
                    Some(m) => run[last] = m,
                    None => run.push(t),
                }
            }
            (Some(t), _) => out.push(JunctionPart::Tests(vec![t])),
            (None, _) => out.push(JunctionPart::Code(p)),
        }
    }
    out
}

/// A compiled statement: updates the next state in place. `Ok(false)`: a
/// `require` failed, the transition is not enabled.
pub type StmtFn = Box<dyn Fn(&mut [Word], &mut [u64]) -> Result<bool, Err> + Send + Sync>;

#[cold]
pub fn fail(span: Span, message: String) -> Err {
    Box::new(EvalError {
        message,
        span: Some(span),
    })
}

/// Conversion of a register into a stored index: a range check for integers.
#[derive(Clone, Copy, Debug)]
pub enum Store {
    Id,
    Int { lo: i64, hi: i64 },
}

impl Store {
    #[inline]
    pub fn apply(self, v: u64, span: Span) -> R {
        match self {
            Store::Id => Ok(v),
            Store::Int { lo, hi } => {
                let x = v as i64;
                if x < lo || x > hi {
                    Err(fail(
                        span,
                        format!("value {x} is outside the range {lo}..{hi}"),
                    ))
                } else {
                    Ok((x - lo) as u64)
                }
            }
        }
    }
}

/// Conversion of a stored index into a register: adds `lo` for integers.
#[derive(Clone, Copy, Debug)]
pub enum Load {
    Id,
    Int { lo: i64 },
}

impl Load {
    #[inline]
    pub fn apply(self, v: u64) -> u64 {
        v.wrapping_add(self.offset())
    }

    /// What `apply` adds (wrapping): the range's low end for integers.
    #[inline]
    pub fn offset(self) -> u64 {
        match self {
            Load::Id => 0,
            Load::Int { lo } => lo as u64,
        }
    }
}

/// A binder's callback on one element, behind `dyn` (see `Domain::Pattern`).
type ElementFn<'f> = dyn FnMut(u64, &mut [u64]) -> Result<bool, Err> + 'f;

/// A finite collection a binder ranges over. Elements are produced as
/// registers, in a fixed order (ascending index; sequence order for
/// sequences; written order for literals).
pub enum Domain {
    /// All values of a type: indices `0..card`.
    Indices { card: u64, load: Load },
    /// The integers `lo..=hi`.
    Range(ExprFn, ExprFn),
    /// The members of a set (a bitset over `n` element indices).
    Bits { set: ExprFn, n: u64, load: Load },
    /// The distinct members of a multiset.
    Multi {
        m: ExprFn,
        n: u64,
        max: u64,
        load: Load,
    },
    /// The elements of a sequence, in order.
    Seq {
        s: ExprFn,
        shape: crate::seq::SeqShape,
        load: Load,
    },
    /// The distinct members of a `bag<T, C>` or `set<T, C>`.
    Bag {
        b: ExprFn,
        shape: crate::bag::BagShape,
        load: Load,
    },
    /// The elements of a literal `{a, b}`.
    Lit(Vec<ExprFn>),
    /// The members of `inner` that are one enum variant, with its payload
    /// bound (a pattern binder `v(a, _, c) in S`).
    Pattern(Box<Domain>, Destructure),
}

/// Matching one enum variant and binding its payload components to locals:
/// a pattern binder's or a `match` arm's.
pub struct Destructure {
    /// The variant's first index and number of values.
    pub offset: u64,
    pub count: u64,
    /// `(local slot, stride, card, load)` of each named component.
    pub parts: Vec<(usize, u64, u64, Load)>,
}

impl Destructure {
    #[inline]
    pub fn matches(&self, v: u64) -> bool {
        v.wrapping_sub(self.offset) < self.count
    }

    /// Writes the payload components of `v` (a value of the variant) to
    /// their locals.
    #[inline]
    pub fn bind(&self, v: u64, loc: &mut [u64]) {
        let payload = v - self.offset;
        for &(slot, stride, card, load) in &self.parts {
            loc[slot] = load.apply(get_digit(payload, stride, card));
        }
    }
}

impl Domain {
    /// For a pattern domain, writes the payload of element `v` to the
    /// pattern's locals again (a `for` loop that buffered the elements).
    #[inline]
    pub fn rebind(&self, v: u64, loc: &mut [u64]) {
        if let Domain::Pattern(_, d) = self {
            d.bind(v, loc);
        }
    }

    /// Calls `f` on every element until it returns `Ok(false)`. Returns
    /// `Ok(false)` if stopped early.
    #[inline]
    pub fn each(
        &self,
        st: &[Word],
        loc: &mut [u64],
        mut f: impl FnMut(u64, &mut [u64]) -> Result<bool, Err>,
    ) -> Result<bool, Err> {
        match self {
            Domain::Indices { card, load } => {
                for i in 0..*card {
                    if !f(load.apply(i), loc)? {
                        return Ok(false);
                    }
                }
            }
            Domain::Range(lo, hi) => {
                let lo = lo.eval(st, loc)? as i64;
                let hi = hi.eval(st, loc)? as i64;
                let mut x = lo;
                while x <= hi {
                    if !f(x as u64, loc)? {
                        return Ok(false);
                    }
                    x += 1;
                }
            }
            Domain::Bits { set, n, load } => {
                let mut bits = set.eval(st, loc)?;
                if *n < 64 {
                    bits &= (1u64 << n) - 1;
                }
                while bits != 0 {
                    let i = bits.trailing_zeros() as u64;
                    bits &= bits - 1;
                    if !f(load.apply(i), loc)? {
                        return Ok(false);
                    }
                }
            }
            Domain::Multi { m, n, max, load } => {
                let v = m.eval(st, loc)?;
                let mut stride = 1u64;
                for i in 0..*n {
                    if get_digit(v, stride, max + 1) > 0 && !f(load.apply(i), loc)? {
                        return Ok(false);
                    }
                    stride = stride.wrapping_mul(max + 1);
                }
            }
            Domain::Seq { s, shape, load } => {
                for x in shape.items(s.eval(st, loc)?) {
                    if !f(load.apply(x), loc)? {
                        return Ok(false);
                    }
                }
            }
            Domain::Bag { b, shape, load } => {
                let mut m = [0u64; crate::bag::MAX_CAP];
                let k = shape.unrank_into(b.eval(st, loc)?, &mut m);
                for (i, x) in m[..k].iter().enumerate() {
                    if (i == 0 || m[i - 1] != *x) && !f(load.apply(*x), loc)? {
                        return Ok(false);
                    }
                }
            }
            Domain::Pattern(inner, d) => {
                // Through `dyn`: a generic closure here would instantiate
                // `each` with ever deeper closure types.
                let mut g = |v: u64, loc: &mut [u64]| {
                    if !d.matches(v) {
                        return Ok(true);
                    }
                    d.bind(v, loc);
                    f(v, loc)
                };
                let g: &mut ElementFn = &mut g;
                return inner.each(st, loc, g);
            }
            Domain::Lit(items) => {
                for e in items {
                    let v = e.eval(st, loc)?;
                    if !f(v, loc)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

/// A few words kept aside during an evaluation (a recursive call's
/// arguments and saved frame, a state a `for` loop rolls back to): on the
/// stack up to 32 words, so the evaluator does not allocate for them.
pub struct Saved {
    small: [u64; 32],
    big: Vec<u64>,
    len: usize,
}

impl Saved {
    pub fn new() -> Saved {
        Saved {
            small: [0; 32],
            big: Vec::new(),
            len: 0,
        }
    }

    /// A copy of `words`.
    pub fn of(words: &[u64]) -> Saved {
        let mut s = Saved::new();
        for &w in words {
            s.push(w);
        }
        s
    }

    pub fn push(&mut self, w: u64) {
        if self.len < self.small.len() {
            self.small[self.len] = w;
        } else {
            if self.big.is_empty() {
                self.big.extend_from_slice(&self.small);
            }
            self.big.push(w);
        }
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[u64] {
        match self.len <= self.small.len() {
            true => &self.small[..self.len],
            false => &self.big,
        }
    }
}

impl Default for Saved {
    fn default() -> Saved {
        Saved::new()
    }
}
