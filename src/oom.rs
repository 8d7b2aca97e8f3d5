//! Allocation failures end a run cleanly.
//!
//! The engine stops before its accounted memory passes the limit (the
//! default one, 90% of what the process may use, or `--max-memory`), so an
//! allocation should not fail. When one still does (a `--max-memory` above
//! what the machine or `ulimit -v` allows, memory taken by something the
//! engine does not account for), Rust's default is to print "memory
//! allocation of N bytes failed" and abort (SIGABRT, exit 134), losing the
//! figures. The global allocator here is the system's, wrapped: a failed
//! allocation prints what was explored so far (the engine's last published
//! figures, [`dcheck_engine::progress::last_figures`]) with a hint, and
//! exits with 3 (incomplete) during a search, 2 (the spec cannot be
//! loaded) before one.
//!
//! The handler must not allocate (the allocator just failed): it formats
//! into a stack buffer and writes with `write(2)`, then leaves with
//! `_exit`, which runs no destructors or atexit handlers that could.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;

/// The system allocator, with the failure handling above.
pub struct Guarded;

// SAFETY: every call is forwarded to `System` unchanged; only a null
// result, which `System` returns on failure, is intercepted, and then the
// process ends without returning.
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// A fixed buffer `fmt::Write` writes into (what does not fit is dropped).
struct StackText {
    buf: [u8; 1024],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Reports a failed allocation of `size` bytes and exits.
fn out_of_memory(size: usize) -> ! {
    let mut t = StackText {
        buf: [0; 1024],
        len: 0,
    };
    let searching = dcheck_engine::progress::search_running();
    let _ = write!(
        t,
        "\nerror: out of memory: an allocation of {size} bytes failed "
    );
    let code = if searching {
        let (distinct, generated, depth) = dcheck_engine::progress::last_figures();
        let _ = write!(
            t,
            "during the search.\nSearch incomplete: no violation found so far.\n  distinct states        {distinct}\n  states generated       {generated}\n  depth                  {depth}\n  hint: --max-memory SIZE below the memory this process may use (RAM, cgroup limit, `ulimit -v`) stops cleanly with a full summary; with --checkpoint FILE, continue with --resume FILE on a larger machine.\n"
        );
        dcheck_report::exit::INCOMPLETE
    } else {
        let _ = write!(
            t,
            "while loading the spec.\n  hint: the spec needs more memory than this process may use (RAM, cgroup limit, `ulimit -v`): smaller constants or types make it smaller.\n"
        );
        dcheck_report::exit::USAGE
    };
    // SAFETY: writes the initialised prefix of a live stack buffer to
    // stderr, then ends the process; neither allocates.
    unsafe {
        libc::write(2, t.buf.as_ptr().cast(), t.len);
        libc::_exit(code)
    }
}
