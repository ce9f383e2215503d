//! Transparent huge pages for the tables a MIH search reads at random.
//!
//! A search of a big index verifies each candidate by reading its hash from anywhere in the
//! code array, and looks each probed key up anywhere in a slot's offsets: on 4 KiB pages
//! nearly every such read also misses the TLB, and the page walk costs as much as the read.
//! Asking Linux for 2 MiB pages (`madvise(MADV_HUGEPAGE)`, honoured when
//! `/sys/kernel/mm/transparent_hugepage/enabled` is `always` or `madvise`, the Debian
//! default) made searches of 71 million entries about 30% faster (BENCHMARKS.md). It is only
//! a hint: elsewhere, or when the kernel refuses, the tables are ordinary memory.

#![allow(unsafe_code)]

/// Huge pages are only asked for from this size on: below it a table has few pages to miss.
const WORTH_IT: usize = 8 << 20;

/// A vector of `len` copies of `value` whose memory is advised to use huge pages (the advice
/// is given before the first write, so the pages are huge from their first fault).
pub(crate) fn filled<T: Copy>(len: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise(v.as_ptr(), len * size_of::<T>());
    v.resize(len, value);
    v
}

/// `src`'s contents in memory advised to use huge pages (see [`filled`]): a copy when `src`
/// is big enough to ask for them, `src` itself otherwise (no copy for small indexes).
pub(crate) fn moved<T: Copy>(src: Vec<T>) -> Vec<T> {
    if size_of_val(src.as_slice()) < WORTH_IT {
        return src;
    }
    let mut v = Vec::with_capacity(src.len());
    advise(v.as_ptr(), size_of_val(src.as_slice()));
    v.extend_from_slice(&src);
    v
}

#[cfg(target_os = "linux")]
fn advise<T>(start: *const T, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < WORTH_IT {
        return;
    }
    // Only whole 2 MiB pages inside the allocation can be huge.
    let from = (start as usize).next_multiple_of(HUGE);
    let to = (start as usize + bytes) / HUGE * HUGE;
    if to > from {
        // SAFETY: `from..to` lies inside an allocation this process owns (the vector's
        // buffer); MADV_HUGEPAGE changes how it is paged, never its contents, and a refusal
        // (a kernel without transparent huge pages) leaves it as it was, so the result is
        // ignored.
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise<T>(_start: *const T, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_hold_what_was_asked() {
        for len in [0, 1, 1000, WORTH_IT / 4 + 3] {
            let v = filled(len, 7u32);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 7));
            let src: Vec<u32> = (0..len as u32).collect();
            assert_eq!(moved(src.clone()), src);
        }
    }
}
