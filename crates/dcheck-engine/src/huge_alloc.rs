//! Zero-initialised slices backed by transparent huge pages where possible.
//!
//! Why this exists: the fingerprint tables ([`crate::fingerprint_table`])
//! are probed at random addresses, one probe per generated successor, in
//! arrays of tens to hundreds of MB. Even with the prefetch batching of
//! [`crate::bfs`], probing was still ~10% of the samples, much of it page
//! walks: in 4 KB pages such a table needs far more TLB entries than the CPU
//! has. On Linux a [`HugeSlice`] of at least [`HUGE_PAGE`] bytes is a
//! private anonymous mapping of whole huge pages, aligned to 2 MB and
//! advised with `MADV_HUGEPAGE` (so it gets huge pages when THP is in
//! `madvise` mode, the common default); one of at least [`MAP_MIN`] bytes
//! is a mapping of small pages. A mapping is zero-filled by the kernel and
//! faulted in lazily, so creating a table no longer touches every page.
//! Smaller slices, other targets, and a failed `mmap` fall back to the
//! global allocator (`alloc_zeroed`).

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// Size (and alignment) of a huge page on x86_64 and most aarch64 Linux.
pub const HUGE_PAGE: usize = 2 << 20;

/// The smallest slice that is mapped rather than taken from the heap. Well
/// under a huge page: the shards of [`crate::seen`] can be a few hundred
/// KB each and grow every level; from the heap, each growth was a copy,
/// and the freed blocks stayed in glibc's arenas (3 MB of raft's 100 MB
/// peak with sixteen shards). Mapped, a growth moves pages and a drop
/// returns them.
const MAP_MIN: usize = 64 << 10;

/// Types for which the all-zero bit pattern is a valid value.
///
/// # Safety
///
/// Implement only for types whose every field is valid when all bytes are
/// zero, with no drop glue that matters for zeroed values.
pub unsafe trait Zeroable {}

// SAFETY: 0 is a valid u64 / AtomicU64 and neither has drop glue.
unsafe impl Zeroable for u64 {}
// SAFETY: as above.
unsafe impl Zeroable for AtomicU64 {}
// SAFETY: all zeros is the value 0.
unsafe impl Zeroable for std::sync::atomic::AtomicU32 {}
// SAFETY: as above.
unsafe impl Zeroable for u32 {}
// SAFETY: as above.
unsafe impl Zeroable for u8 {}

/// How a [`HugeSlice`]'s memory was obtained (and so how to free it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backing {
    /// Nothing allocated (no bytes): a dangling, aligned pointer.
    None,
    /// `alloc::alloc_zeroed` with `Layout::array::<T>(len)`.
    Heap,
    /// An anonymous mapping of this many bytes, starting on a
    /// [`HUGE_PAGE`] boundary (see `map_huge`).
    #[cfg(target_os = "linux")]
    Mapped(usize),
}

/// A fixed-length, zero-initialised `[T]`, huge-page backed when large (see
/// the module documentation). Dereferences to `[T]`.
pub struct HugeSlice<T: Zeroable> {
    ptr: NonNull<T>,
    len: usize,
    backing: Backing,
}

// SAFETY: a HugeSlice owns its elements like a Box<[T]>.
unsafe impl<T: Zeroable + Send> Send for HugeSlice<T> {}
// SAFETY: as above; shared access only hands out &[T].
unsafe impl<T: Zeroable + Sync> Sync for HugeSlice<T> {}

impl<T: Zeroable> HugeSlice<T> {
    /// `len` zeroed elements.
    ///
    /// # Panics
    ///
    /// If the size overflows `isize`; aborts (like `Box`) if memory runs out.
    pub fn zeroed(len: usize) -> HugeSlice<T> {
        let layout = Layout::array::<T>(len).expect("HugeSlice: size overflow");
        if layout.size() == 0 {
            return HugeSlice {
                ptr: NonNull::dangling(),
                len,
                backing: Backing::None,
            };
        }
        #[cfg(target_os = "linux")]
        if layout.size() >= MAP_MIN && layout.align() <= HUGE_PAGE {
            if let Some((ptr, mapped)) = map_huge(layout.size()) {
                return HugeSlice {
                    ptr: ptr.cast(),
                    len,
                    backing: Backing::Mapped(mapped),
                };
            }
        }
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(p.cast::<T>()) else {
            alloc::handle_alloc_error(layout)
        };
        HugeSlice {
            ptr,
            len,
            backing: Backing::Heap,
        }
    }

    /// Changes the length to `len`, keeping the first elements; new ones
    /// are zero. A mapping grows by `mremap` onto a fresh 2 MB-aligned
    /// range: its pages move, their bytes are not copied, so growing needs
    /// no second copy of the slice (the sorted fingerprint set,
    /// [`crate::seen`], grows this way at every BFS level).
    ///
    /// # Panics
    ///
    /// As [`HugeSlice::zeroed`].
    pub fn resize(&mut self, len: usize) {
        let keep = self.len.min(len);
        #[cfg(target_os = "linux")]
        if let Backing::Mapped(mapped) = self.backing {
            let size = Layout::array::<T>(len)
                .expect("HugeSlice: size overflow")
                .size();
            if size <= mapped {
                if len < self.len {
                    // Keep the bytes past the length zero, for a later grow.
                    // SAFETY: the range lies inside the mapping.
                    unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(len), 0, self.len - len) }
                }
                self.len = len;
                return;
            }
            if let Some((to, grown)) = map_huge(size) {
                // SAFETY: moves the whole old mapping onto the start of the
                // new one (MREMAP_FIXED replaces what is there), grown to
                // its length; the grown part is zero-filled anonymous
                // memory. On failure both mappings stay valid.
                let moved = unsafe {
                    libc::mremap(
                        self.ptr.as_ptr().cast(),
                        mapped,
                        grown,
                        libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                        to.as_ptr().cast::<libc::c_void>(),
                    )
                };
                if moved != libc::MAP_FAILED {
                    self.ptr = to.cast();
                    self.len = len;
                    self.backing = Backing::Mapped(grown);
                    return;
                }
                // SAFETY: the fresh mapping is unused.
                unsafe { libc::munmap(to.as_ptr().cast(), grown) };
            }
        }
        let mut next = HugeSlice::<T>::zeroed(len);
        // SAFETY: both hold at least `keep` elements; distinct allocations;
        // the moved-from elements are plain data (Zeroable) and are freed
        // without being used again.
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), next.ptr.as_ptr(), keep);
        }
        std::mem::swap(self, &mut next);
    }

    /// Whether the memory is a huge-page-advised mapping (false when it fell
    /// back to the global allocator).
    pub fn is_mapped(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Backing::Mapped(_) = self.backing {
            return true;
        }
        false
    }
}

/// Maps `size` bytes of zeroed, read-write anonymous memory at a 2
/// MB-aligned address. Returns the start and the mapped length, or `None`
/// if `mmap` failed.
///
/// From [`HUGE_PAGE`] up, the length is rounded up to whole huge pages and
/// huge pages are advised: the kernel backs with a huge page only a 2 MB
/// range wholly inside the mapping, and a slice that grows (by `mremap`,
/// see [`HugeSlice::resize`]) keeps the small pages its old tail had, so
/// without the rounding every level of [`crate::seen`] would leave up to
/// 2 MB of small pages inside it. The price is the last huge page,
/// resident in full once touched. Below it, the length is rounded up to
/// the page size only: a huge page there would make a 64 KB slice 2 MB
/// resident.
#[cfg(target_os = "linux")]
fn map_huge(size: usize) -> Option<(NonNull<u8>, usize)> {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 && (p as usize).is_power_of_two() && p as usize <= HUGE_PAGE => p as usize,
        _ => HUGE_PAGE,
    };
    let huge = size >= HUGE_PAGE;
    let unit = if huge { HUGE_PAGE } else { page };
    let len = size.checked_add(unit - 1)? & !(unit - 1);
    let total = len.checked_add(HUGE_PAGE)?;
    // SAFETY: a fresh private anonymous mapping aliases nothing.
    let raw = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            total,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return None;
    }
    let addr = raw as usize;
    let start = (addr + HUGE_PAGE - 1) & !(HUGE_PAGE - 1);
    let head = start - addr;
    let tail = total - head - len;
    // SAFETY: both ranges lie inside the mapping just created and outside
    // [start, start + len); page-aligned since mmap returns page-aligned
    // memory and HUGE_PAGE is a multiple of the page size. Failing to unmap
    // the slack would only leak address space, so the results are ignored.
    unsafe {
        if head > 0 {
            libc::munmap(raw, head);
        }
        if tail > 0 {
            libc::munmap((start + len) as *mut libc::c_void, tail);
        }
        // Only advice: without it (or if refused) the memory is still valid.
        if huge {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    NonNull::new(start as *mut u8).map(|p| (p, len))
}

impl<T: Zeroable> Drop for HugeSlice<T> {
    fn drop(&mut self) {
        // SAFETY: the elements are initialised and owned; drop them in place
        // (a no-op for the plain types used here, but correct in general).
        unsafe {
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(
                self.ptr.as_ptr(),
                self.len,
            ));
        }
        match self.backing {
            Backing::None => {}
            Backing::Heap => {
                let layout = Layout::array::<T>(self.len).expect("checked at allocation");
                // SAFETY: allocated by alloc_zeroed with this very layout.
                unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) }
            }
            #[cfg(target_os = "linux")]
            Backing::Mapped(mapped) => {
                // SAFETY: exactly the range map_huge kept mapped.
                unsafe {
                    libc::munmap(self.ptr.as_ptr().cast(), mapped);
                }
            }
        }
    }
}

impl<T: Zeroable> Deref for HugeSlice<T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: ptr is valid (or dangling with a zero size) for len
        // initialised elements, owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> DerefMut for HugeSlice<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in deref, and &mut self gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    fn check_zeroed_and_writable(len: usize) {
        let mut s = HugeSlice::<u64>::zeroed(len);
        assert_eq!(s.len(), len);
        assert!(s.iter().all(|&x| x == 0));
        for (i, x) in s.iter_mut().enumerate() {
            *x = i as u64 + 1;
        }
        assert!(s.iter().enumerate().all(|(i, &x)| x == i as u64 + 1));
    }

    #[test]
    fn empty_and_small() {
        check_zeroed_and_writable(0);
        check_zeroed_and_writable(1);
        check_zeroed_and_writable(1000);
        assert!(!HugeSlice::<u64>::zeroed(16).is_mapped());
        // Mapped from MAP_MIN, in small pages below a huge page; grown and
        // shrunk like any mapping.
        #[cfg(target_os = "linux")]
        {
            let mut s = HugeSlice::<u64>::zeroed(MAP_MIN / 8);
            assert!(s.is_mapped());
            s[MAP_MIN / 8 - 1] = 9;
            s.resize(MAP_MIN / 4 + 1);
            assert!(s.is_mapped());
            assert_eq!((s[MAP_MIN / 8 - 1], s[MAP_MIN / 4]), (9, 0));
            check_zeroed_and_writable(MAP_MIN / 8 + 3);
        }
    }

    #[test]
    fn large_sizes_not_multiples_of_huge_page() {
        let per_page = HUGE_PAGE / 8;
        for len in [per_page, per_page + 1, 3 * per_page - 7, 5 * per_page + 123] {
            check_zeroed_and_writable(len);
            let s = HugeSlice::<AtomicU64>::zeroed(len);
            #[cfg(target_os = "linux")]
            {
                assert!(s.is_mapped());
                assert_eq!(s.as_ptr() as usize % HUGE_PAGE, 0);
            }
            s[len - 1].store(7, Ordering::Relaxed);
            assert_eq!(s[len - 1].load(Ordering::Relaxed), 7);
            assert_eq!(s[0].load(Ordering::Relaxed), 0);
        }
    }

    #[test]
    fn repeated_alloc_and_drop() {
        // Would exhaust memory (or trip a sanitizer) if drop leaked or
        // freed the wrong range.
        for i in 0..64 {
            let s = HugeSlice::<u64>::zeroed(4 * HUGE_PAGE / 8 + i);
            assert_eq!(s[s.len() - 1], 0);
            drop(s);
        }
    }

    #[test]
    fn resize_keeps_the_contents_and_zeroes_the_rest() {
        let per_page = HUGE_PAGE / 8;
        // Heap to heap, heap to mapped, mapped to mapped (in place and
        // moved), and back down.
        let mut s = HugeSlice::<u64>::zeroed(10);
        for (step, len) in [
            100,
            per_page + 3,
            per_page + 50,
            3 * per_page + 1,
            40,
            2 * per_page,
        ]
        .into_iter()
        .enumerate()
        {
            let old = s.len();
            for (i, x) in s.iter_mut().enumerate() {
                *x = (step * 1_000_000 + i) as u64 + 1;
            }
            s.resize(len);
            assert_eq!(s.len(), len);
            let keep = old.min(len);
            for (i, &x) in s.iter().enumerate() {
                let want = if i < keep {
                    (step * 1_000_000 + i) as u64 + 1
                } else {
                    0
                };
                assert_eq!(x, want, "step {step}, index {i}");
            }
            #[cfg(target_os = "linux")]
            if len * 8 >= HUGE_PAGE {
                assert!(s.is_mapped());
                assert_eq!(s.as_ptr() as usize % HUGE_PAGE, 0);
            }
        }
    }

    #[test]
    fn shared_across_threads() {
        let s = HugeSlice::<AtomicU64>::zeroed(HUGE_PAGE / 8 + 5);
        std::thread::scope(|sc| {
            for t in 0..2 {
                let s = &s;
                sc.spawn(move || {
                    for i in (t..s.len()).step_by(2) {
                        s[i].fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert!(s.iter().all(|x| x.load(Ordering::Relaxed) == 1));
    }
}
