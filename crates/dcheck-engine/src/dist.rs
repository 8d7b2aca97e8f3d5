//! Distributed BFS: the workers, their connections and the one
//! communication step they share, on timely dataflow.
//!
//! A distributed search runs `workers` timely workers in each of one or
//! more processes (`--workers N`; `--hosts FILE --process I`). Worker `w`
//! of `peers` owns the states whose fingerprint [`owner`] maps to `w`
//! ([`owner`]); each runs the level loop of [`crate::bfs`] on the states
//! it owns and meets the others only in [`Comm::exchange`]: every worker
//! hands in one buffer of words per worker and gets back what every worker
//! handed in for it. That step is one timely round: an input, an exchange
//! by destination, a sink that keeps what arrives, and a probe that says
//! when every worker's round has arrived everywhere. Each worker's loop
//! makes the same sequence of calls (the decisions that lead to a call
//! are made from data every worker has), so the rounds line up.
//!
//! What this module does not do: decide anything about the search. The
//! search (ids, links, traces, limits) is in `bfs.rs`; this module starts
//! the workers, connects the processes, counts bytes and waiting time, and
//! turns a worker that died (a panic, a peer process gone, a peer that
//! makes no progress for [`Cluster::peer_timeout`]) into an error on every
//! worker instead of a hang.
//!
//! Processes connect over TCP before timely starts, by this module's code
//! rather than timely's (which prints to stdout and retries forever):
//! process `i` listens only on its own line of the hosts file, connects to
//! every process before it and accepts every process after it; each
//! connection begins with the connecting process's index and the run's
//! identity ([`Cluster::identity`]: dcheck's version, the spec and the
//! options that shape the state space), and a process whose identity
//! differs is refused before any state is sent.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::communication::allocator::zero_copy::allocator::TcpBuilder;
use timely::communication::allocator::zero_copy::bytes_slab::BytesRefill;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{Allocator, ProcessBuilder};
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Input, Probe};
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::worker::Worker;

/// Where the workers of a distributed search run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// Worker threads in each process (every process the same).
    pub workers: usize,
    /// The processes' addresses (`host:port`), in process order: the
    /// hosts file's lines. Empty: one process, no network.
    pub hosts: Vec<String>,
    /// This process's index in `hosts`.
    pub process: usize,
    /// What every process must agree on: a hash of dcheck's version, the
    /// spec and the options that shape the state space, exchanged when
    /// the processes connect.
    pub identity: u64,
    /// What the workers' checkpoints record and check on resuming: as
    /// `identity`, without the limits (which may change across a resume).
    pub checkpoint_identity: u64,
    /// How long a worker waits for its peers in one round, or for a
    /// process to connect, before it ends the run.
    pub peer_timeout: Duration,
    /// Continue the search whose workers checkpointed to this path
    /// ([`crate::checkpoint::part_path`]).
    pub resume: Option<std::path::PathBuf>,
}

/// The worker that owns a state, by its fingerprint: its low 32 bits,
/// which neither the level table (bits 32 and up) nor the sorted set (the
/// top bits) index by, scaled to `0..peers` by a multiplication (a
/// division by `peers` cost the hot loop a tenth of its time: perf, 2pc
/// N=9 on one worker).
#[inline]
pub(crate) fn owner(fp: u64, peers: usize) -> usize {
    (((fp & 0xffff_ffff) * peers as u64) >> 32) as usize
}

/// A distributed search ended without a result: a worker failed, a peer
/// process went away or made no progress, or the processes could not
/// connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerError(pub String);

/// What one worker sent, received and waited for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Time spent waiting for the other workers at the end of rounds.
    pub waited: Duration,
}

/// One message: (destination worker, sending worker, words).
type Msg = (u32, u32, Vec<u64>);

/// A worker's end of the communication step (see the module docs).
pub(crate) struct Comm<'w> {
    worker: &'w mut Worker,
    input: InputHandle<u64, timely::container::CapacityContainerBuilder<Vec<Msg>>>,
    probe: ProbeHandle<u64>,
    /// What arrived, with its round: a faster worker's next round may
    /// arrive before this round is complete.
    inbox: Rc<RefCell<Vec<(u64, Msg)>>>,
    failed: &'w AtomicBool,
    timeout: Duration,
    pub(crate) traffic: Traffic,
}

impl<'w> Comm<'w> {
    fn new(worker: &'w mut Worker, failed: &'w AtomicBool, timeout: Duration) -> Comm<'w> {
        let mut input = InputHandle::new();
        let probe = ProbeHandle::new();
        let inbox: Rc<RefCell<Vec<(u64, Msg)>>> = Rc::default();
        let sink = inbox.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            scope
                .input_from(&mut input)
                .unary::<timely::container::CapacityContainerBuilder<Vec<()>>, _, _, _>(
                    Exchange::new(|m: &Msg| m.0 as u64),
                    "Inbox",
                    move |_, _| {
                        move |input, _output| {
                            input.for_each(|cap, data| {
                                let round = *cap.time();
                                sink.borrow_mut().extend(data.drain(..).map(|m| (round, m)));
                            });
                        }
                    },
                )
                .probe_with(&probe);
        });
        Comm {
            worker,
            input,
            probe,
            inbox,
            failed,
            timeout,
            traffic: Traffic::default(),
        }
    }

    pub(crate) fn index(&self) -> usize {
        self.worker.index()
    }

    pub(crate) fn peers(&self) -> usize {
        self.worker.peers()
    }

    /// Sends `out[w]` to worker `w` and returns, by sender, what every
    /// worker sent to this one. Every worker must call this the same
    /// number of times.
    pub(crate) fn exchange(&mut self, out: Vec<Vec<u64>>) -> Result<Vec<Vec<u64>>, PeerError> {
        let me = self.index();
        let peers = self.peers();
        debug_assert_eq!(out.len(), peers);
        let mut got: Vec<Vec<u64>> = vec![Vec::new(); peers];
        for (w, words) in out.into_iter().enumerate() {
            if w == me {
                got[me] = words;
            } else if !words.is_empty() {
                self.traffic.bytes_sent += words.len() as u64 * 8;
                self.input.send((w as u32, me as u32, words));
            }
        }
        let round = *self.input.time();
        self.input.advance_to(round + 1);
        // A peer process that died closes its connection (timely's threads
        // then fail, and so does `failed`); one that hangs says nothing: a
        // round that takes longer than the timeout ends the run. (A round
        // is one batch of work on every worker, or a checkpoint's write.)
        let waiting = Instant::now();
        while self.probe.less_than(self.input.time()) {
            self.worker.step_or_park(Some(Duration::from_millis(20)));
            if self.failed.load(Ordering::Relaxed) {
                return Err(PeerError("another worker of the run failed".into()));
            }
            if waiting.elapsed() > self.timeout {
                self.failed.store(true, Ordering::Relaxed);
                return Err(PeerError(format!(
                    "no progress from the other workers for {} s (--peer-timeout): a peer process is stuck or unreachable",
                    self.timeout.as_secs()
                )));
            }
        }
        self.traffic.waited += waiting.elapsed();
        let mut inbox = self.inbox.borrow_mut();
        let mut i = 0;
        while i < inbox.len() {
            if inbox[i].0 != round {
                i += 1;
                continue;
            }
            let (_, (_, from, words)) = inbox.swap_remove(i);
            self.traffic.bytes_received += words.len() as u64 * 8;
            got[from as usize] = words;
        }
        Ok(got)
    }

    /// Every worker's `mine`, by worker.
    pub(crate) fn all_gather(&mut self, mine: &[u64]) -> Result<Vec<Vec<u64>>, PeerError> {
        self.exchange(vec![mine.to_vec(); self.peers()])
    }

    /// The sum over the workers of each of `mine`'s words.
    pub(crate) fn all_sum(&mut self, mine: &[u64]) -> Result<Vec<u64>, PeerError> {
        let all = self.all_gather(mine)?;
        Ok((0..mine.len())
            .map(|i| all.iter().map(|v| v[i]).sum())
            .collect())
    }
}

thread_local! {
    /// Set on the thread that joins the network threads (see [`run`]).
    static CLOSING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A peer that goes away makes timely's network threads and then the
/// workers panic, and joining the network threads re-panics; that is
/// reported as a `PeerError`, so those panics are not printed. Installed
/// once per process, over whatever hook there was, and never removed
/// (distributed runs may overlap, as in the tests): other threads' panics
/// print as before.
fn quiet_peer_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("");
            let quiet =
                name.starts_with("timely:") || name == "dcheck-worker" || CLOSING.with(|c| c.get());
            if !quiet {
                previous(info)
            }
        }));
    });
}

/// How a worker's allocator is made (timely's own builder enum cannot be
/// built outside timely).
enum Builder {
    Process(ProcessBuilder),
    Tcp(TcpBuilder),
}

/// Runs `work` on every worker of this process (see [`Cluster`]), each
/// with its end of the communication step, and returns their results in
/// worker order, or why the run failed: connecting, or a worker that
/// panicked (whose peers then stop too) or reported a [`PeerError`].
pub(crate) fn run<T: Send>(
    cluster: &Cluster,
    work: impl Fn(&mut Comm) -> Result<T, PeerError> + Sync,
) -> Result<Vec<T>, PeerError> {
    let workers = cluster.workers.max(1);
    let refill = BytesRefill {
        logic: Arc::new(|size| {
            Box::new(vec![0_u8; size]) as Box<dyn std::ops::DerefMut<Target = [u8]>>
        }),
        limit: None,
    };
    // Handles on the connections, to close them when the run fails: a
    // peer that hangs (stopped, not dead) would otherwise keep timely's
    // network threads, and this process, waiting.
    let mut closers: Vec<TcpStream> = Vec::new();
    let (builders, guard): (Vec<Builder>, Box<dyn std::any::Any>) = if cluster.hosts.len() <= 1 {
        let b = ProcessBuilder::new_typed_vector(workers, refill)
            .into_iter()
            .map(Builder::Process)
            .collect();
        (b, Box::new(()))
    } else {
        let sockets = connect(cluster)?;
        closers = sockets
            .iter()
            .flatten()
            .filter_map(|s| s.try_clone().ok())
            .collect();
        let process = ProcessBuilder::new_typed_vector(workers, refill.clone());
        let (b, guard) = initialize_networking_from_sockets(
            process,
            sockets,
            cluster.process,
            workers,
            refill,
            Arc::new(|_| None),
        )
        .map_err(|e| PeerError(format!("cannot start the network: {e}")))?;
        (b.into_iter().map(Builder::Tcp).collect(), Box::new(guard))
    };
    let failed = AtomicBool::new(false);
    quiet_peer_panics();
    let results: Vec<Result<T, PeerError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = builders
            .into_iter()
            .map(|builder| {
                let (work, failed) = (&work, &failed);
                std::thread::Builder::new()
                    .name("dcheck-worker".into())
                    .spawn_scoped(scope, move || {
                        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            let alloc = match builder {
                                Builder::Process(b) => Allocator::Process(b.build()),
                                Builder::Tcp(b) => Allocator::Tcp(b.build()),
                            };
                            let mut worker = Worker::new(
                                timely::WorkerConfig::default(),
                                alloc,
                                Some(Instant::now()),
                            );
                            let mut comm = Comm::new(&mut worker, failed, cluster.peer_timeout);
                            work(&mut comm)
                        }));
                        let r = match caught {
                            Ok(r) => r,
                            Err(panic) => Err(PeerError(panic_text(&panic))),
                        };
                        if r.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        r
                    })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|p| Err(PeerError(panic_text(&p)))),
                Err(e) => Err(PeerError(format!("cannot start a worker thread: {e}"))),
            })
            .collect()
    });
    if results.iter().any(Result::is_err) {
        for c in &closers {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
    // The network threads end when the sockets close; joining them
    // panics if one of them did (a peer went away): already reported.
    CLOSING.with(|c| c.set(true));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(guard)));
    CLOSING.with(|c| c.set(false));
    // The first worker's own failure, rather than its peers' echo of it.
    let mut out = Vec::with_capacity(results.len());
    let mut first: Option<PeerError> = None;
    for r in results {
        match r {
            Ok(t) => out.push(t),
            Err(e)
                if first.is_none()
                    || first.as_ref().is_some_and(|f| f.0.starts_with("another")) =>
            {
                first = Some(e)
            }
            Err(_) => {}
        }
    }
    match first {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// What a panic said, for the error it becomes; timely's own words when a
/// peer process closed its connection.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a worker failed".into());
    if text.contains("MergeQueue poisoned") || text.contains("communication error") {
        format!("a peer process went away (its connection closed): {text}")
    } else {
        format!("a worker failed: {text}")
    }
}

/// The handshake's first bytes, before the process index and identity.
const MAGIC: &[u8; 8] = b"dcheck\0\x01";

/// Connects this process to every other (see the module docs): the
/// sockets by process index, `None` at this process's own.
fn connect(cluster: &Cluster) -> Result<Vec<Option<TcpStream>>, PeerError> {
    let me = cluster.process;
    let n = cluster.hosts.len();
    let deadline = Instant::now() + cluster.peer_timeout;
    let own = &cluster.hosts[me];
    let listener = TcpListener::bind(own).map_err(|e| {
        PeerError(format!(
            "cannot listen on {own} (line {} of the hosts file): {e}",
            me + 1
        ))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| PeerError(format!("cannot listen on {own}: {e}")))?;
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    // Connect to every process before this one.
    for (j, host) in cluster.hosts.iter().enumerate().take(me) {
        let stream = loop {
            let tried = host
                .to_socket_addrs()
                .map_err(|e| {
                    PeerError(format!(
                        "cannot resolve {host} (line {} of the hosts file): {e}",
                        j + 1
                    ))
                })?
                .find_map(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).ok());
            if let Some(s) = tried {
                break s;
            }
            if Instant::now() > deadline {
                return Err(PeerError(format!(
                    "process {j} ({host}) did not accept a connection within {} s",
                    cluster.peer_timeout.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut stream = stream;
        hello(&mut stream, me, cluster.identity)
            .and_then(|()| read_hello(&mut stream, deadline))
            .map_err(|e| PeerError(format!("handshake with process {j} ({host}): {e}")))
            .and_then(|(index, identity)| check_peer(cluster, j, index, identity))?;
        sockets[j] = Some(stream);
    }
    // Accept every process after this one.
    while sockets.iter().skip(me + 1).any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, from)) => {
                // A connection that is not a dcheck process of this run
                // (a port scan, a health check, a silent client: it gets
                // a few seconds) is dropped, and the wait goes on.
                let greeting = Instant::now() + Duration::from_secs(5);
                let Ok((index, identity)) = stream
                    .set_nonblocking(false)
                    .and_then(|()| read_hello(&mut stream, greeting.min(deadline)))
                else {
                    continue;
                };
                if index <= me || index >= n || sockets[index].is_some() {
                    continue;
                }
                // Answer first, so that a peer with another identity says
                // so too.
                hello(&mut stream, me, cluster.identity)
                    .map_err(|e| PeerError(format!("handshake with {from}: {e}")))?;
                check_peer(cluster, index, index, identity)?;
                sockets[index] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    let missing: Vec<String> = (me + 1..n)
                        .filter(|&j| sockets[j].is_none())
                        .map(|j| format!("{j} ({})", cluster.hosts[j]))
                        .collect();
                    return Err(PeerError(format!(
                        "process(es) {} did not connect within {} s",
                        missing.join(", "),
                        cluster.peer_timeout.as_secs()
                    )));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(PeerError(format!("cannot accept on {own}: {e}"))),
        }
    }
    for s in sockets.iter().flatten() {
        let _ = s.set_nodelay(true);
        let _ = s.set_read_timeout(None);
    }
    Ok(sockets)
}

fn hello(stream: &mut TcpStream, me: usize, identity: u64) -> std::io::Result<()> {
    let mut msg = Vec::with_capacity(24);
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&(me as u64).to_be_bytes());
    msg.extend_from_slice(&identity.to_be_bytes());
    stream.write_all(&msg)
}

fn read_hello(stream: &mut TcpStream, deadline: Instant) -> std::io::Result<(usize, u64)> {
    let left = deadline.saturating_duration_since(Instant::now());
    stream.set_read_timeout(Some(left.max(Duration::from_secs(1))))?;
    let mut msg = [0u8; 24];
    stream.read_exact(&mut msg)?;
    if &msg[..8] != MAGIC {
        return Err(std::io::Error::other(
            "not a dcheck process of this version",
        ));
    }
    let index = u64::from_be_bytes(msg[8..16].try_into().expect("8 bytes"));
    let identity = u64::from_be_bytes(msg[16..24].try_into().expect("8 bytes"));
    Ok((index as usize, identity))
}

fn check_peer(
    cluster: &Cluster,
    expected: usize,
    index: usize,
    identity: u64,
) -> Result<(), PeerError> {
    if index != expected {
        return Err(PeerError(format!(
            "the process at {} says it is process {index}, not {expected}: check the hosts file and --process",
            cluster.hosts[expected]
        )));
    }
    if identity != cluster.identity {
        return Err(PeerError(format!(
            "process {index} ({}) runs a different dcheck version, spec or options (identity {identity:016x}, this process {:016x}): every process must run the same command but for --process",
            cluster.hosts[index], cluster.identity
        )));
    }
    Ok(())
}
