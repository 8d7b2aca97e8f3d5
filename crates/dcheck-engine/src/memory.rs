//! How much memory this process may still use: the default memory limit
//! of a search (`Config::memory_budget`), so that a run too large for the
//! machine stops cleanly (exit 3, with its figures) instead of being
//! killed by the OOM killer or aborted by a failed allocation.
//!
//! The smallest of, where known: the memory the kernel reports available
//! (`MemAvailable`), the room left under the process's cgroup memory limit
//! (v2 `memory.max`, v1 `memory.limit_in_bytes`, minus the usage), and the
//! room left under the soft `ulimit -v` (address space) and `ulimit -d`
//! (data) limits. Linux only (read from `/proc` and `/sys/fs/cgroup`);
//! elsewhere nothing is known and there is no default limit.

use std::fs;

/// Where the figure comes from, for the report's hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `MemAvailable` in `/proc/meminfo`.
    Available,
    /// The cgroup memory limit.
    Cgroup,
    /// `ulimit -v`.
    AddressSpace,
    /// `ulimit -d`.
    Data,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Available => "the memory available (MemAvailable)",
            Source::Cgroup => "the room under the cgroup memory limit",
            Source::AddressSpace => "the room under `ulimit -v`",
            Source::Data => "the room under `ulimit -d`",
        }
    }
}

/// The fraction of what is available that a search may use by default.
pub const DEFAULT_SHARE: f64 = 0.9;

/// Bytes this process may still allocate, and the source of the figure:
/// the smallest of the sources above that is known.
pub fn available() -> Option<(u64, Source)> {
    let read = |p: &str| fs::read_to_string(p).ok();
    let mut best: Option<(u64, Source)> = None;
    let mut offer = |bytes: Option<u64>, source: Source| {
        if let Some(b) = bytes {
            if best.is_none_or(|(x, _)| b < x) {
                best = Some((b, source));
            }
        }
    };
    offer(
        read("/proc/meminfo").and_then(|t| meminfo_available(&t)),
        Source::Available,
    );
    offer(
        read("/proc/self/cgroup").and_then(|t| cgroup_room(&t, &|p| read(p))),
        Source::Cgroup,
    );
    if let (Some(limits), Some(status)) = (read("/proc/self/limits"), read("/proc/self/status")) {
        offer(
            room(&limits, "Max address space", &status, "VmSize:"),
            Source::AddressSpace,
        );
        offer(
            room(&limits, "Max data size", &status, "VmData:"),
            Source::Data,
        );
    }
    best
}

/// Address space a thread takes besides the search's own data: glibc
/// gives each thread that allocates a malloc arena of 64 MiB of address
/// space, and a worker's stack is 2 MiB.
const PER_THREAD_ADDRESS_SPACE: u64 = 66 << 20;

/// Memory a search uses that its accounting does not see, whatever its
/// size: touched thread stacks, memory the allocator keeps after a free,
/// page tables, the kernel's own charges to a cgroup. Measured: TwoPhase N=9
/// under a 150 MiB cgroup with only the 10% share as slack was killed by
/// the OOM killer about one run in eight on a loaded machine.
const UNTRACKED: u64 = 16 << 20;

/// Per thread, the same.
const UNTRACKED_PER_THREAD: u64 = 4 << 20;

/// The default memory budget of a search on `threads` workers:
/// [`DEFAULT_SHARE`] of [`available`], less what the accounting does not
/// see ([`UNTRACKED`], per thread [`UNTRACKED_PER_THREAD`]); where the
/// figure is address space (a `ulimit`), less the threads' own (the
/// workers, this thread and the main thread).
pub fn default_budget(threads: usize) -> Option<(u64, Source)> {
    let threads = threads as u64 + 2;
    available().map(|(b, s)| {
        let b = match s {
            Source::AddressSpace | Source::Data => {
                b.saturating_sub(threads * PER_THREAD_ADDRESS_SPACE)
            }
            _ => b,
        };
        let b = b.saturating_sub(UNTRACKED + threads * UNTRACKED_PER_THREAD);
        ((b as f64 * DEFAULT_SHARE) as u64, s)
    })
}

/// The soft `ulimit -v` in bytes, if there is one.
pub fn address_space_limit() -> Option<u64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    room(&limits, "Max address space", "", "VmSize:")
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
pub fn meminfo_available(meminfo: &str) -> Option<u64> {
    kib_field(meminfo, "MemAvailable:")
}

/// A `NAME: N kB` field of `/proc/meminfo` or `/proc/self/status`, in
/// bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The room under a soft limit of `/proc/self/limits` (`Max address
/// space`, in bytes, or `unlimited`) given the current use (a `kB` field
/// of `/proc/self/status`).
pub fn room(limits: &str, limit: &str, status: &str, used: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with(limit))?;
    let soft = line[limit.len()..].split_whitespace().next()?;
    let soft: u64 = soft.parse().ok()?; // "unlimited" does not parse
    Some(soft.saturating_sub(kib_field(status, used).unwrap_or(0)))
}

/// Limits at or above this are "no limit" (cgroup v1 writes
/// 9223372036854771712).
const NO_LIMIT: u64 = 1 << 60;

/// The room under the memory limit of the cgroup `/proc/self/cgroup`
/// names (v2 `0::/path`, or v1 `N:memory:/path`), `read` reading files.
pub fn cgroup_room(self_cgroup: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<u64> {
    let num = |p: String| read(&p).and_then(|t| t.trim().parse::<u64>().ok());
    for line in self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_end_matches('/');
        let (dir, limit_file, usage_file) = if controllers.is_empty() {
            ("/sys/fs/cgroup".to_string(), "memory.max", "memory.current")
        } else if controllers.split(',').any(|c| c == "memory") {
            (
                "/sys/fs/cgroup/memory".to_string(),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        } else {
            continue;
        };
        // The process's own cgroup if it is visible, else the root of
        // the namespace (a container sees its own cgroup as the root).
        for d in [format!("{dir}{path}"), dir.clone()] {
            if let Some(limit) = num(format!("{d}/{limit_file}")) {
                if limit >= NO_LIMIT {
                    break;
                }
                let used = num(format!("{d}/{usage_file}")).unwrap_or(0);
                return Some(limit.saturating_sub(used));
            }
        }
    }
    None
}

/// Makes the allocator give every block of 1 MiB or more back to the
/// system when it is freed (glibc only; elsewhere nothing to do).
///
/// Why: the BFS frees and allocates its per-level buffers (the new states'
/// words, fingerprints and order, the next frontier) at every level. glibc
/// raises its mmap threshold (up to 32 MiB) each time a mapped block is
/// freed, so from the second level on these buffers come from the heap,
/// where freed blocks stay resident and fragment: on TwoPhase N=9 the peak
/// RSS was 227 MB for 141 MB of live data, and 149 MB with the threshold
/// fixed at 1 MiB (the same wall time, 2 threads).
pub(crate) fn return_large_frees() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator; it
    // is safe to call at any time from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
