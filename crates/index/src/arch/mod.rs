//! Hamming-distance kernels, one per instruction set, chosen once at run time.
//!
//! This is the only module allowed to use `unsafe`: the SIMD kernels are `#[target_feature]`
//! functions, which may only be called after the CPU has been checked for the feature. The
//! check happens once, in [`kernels`], and the chosen function pointers are cached in a
//! `OnceLock` (the memchr pattern), so every later call is one indirect call.
//!
//! Every kernel computes exactly the same thing as the portable one in [`generic`]; the unit
//! tests below check that on random and adversarial inputs for each kernel this CPU supports.

#![allow(unsafe_code)]

use std::sync::OnceLock;

/// A PDQ hash as four `u64` words ([`quell_hash::Pdq::to_words`] order).
pub(crate) type Code = [u64; 4];

/// Appends `(base + i, distance)` for every `codes[i]` within `max` bits of `query`, in order.
type ScanFn = fn(&Code, &[Code], u32, u32, &mut Vec<(u32, u32)>);

/// Appends `(ordinal, distance)` for every ordinal whose code is within `max` bits of `query`,
/// in order. Used to verify multi-index-hashing candidates, which are scattered in memory.
type GatherFn = fn(&Code, &[Code], &[u32], u32, &mut Vec<(u32, u32)>);

struct Kernels {
    name: &'static str,
    scan: ScanFn,
    gather: GatherFn,
}

static KERNELS: OnceLock<Kernels> = OnceLock::new();

fn kernels() -> &'static Kernels {
    KERNELS.get_or_init(detect)
}

/// Picks the best kernels for this CPU. `QUELL_INDEX_KERNEL=portable|avx2` forces a slower
/// one, so that benchmarks can compare them; an unsupported choice falls back to detection.
fn detect() -> Kernels {
    let forced = std::env::var("QUELL_INDEX_KERNEL").ok();
    let portable = Kernels {
        name: "portable",
        scan: generic::scan,
        gather: generic::gather,
    };
    if forced.as_deref() == Some("portable") {
        return portable;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if forced.as_deref() != Some("avx2") && x86::has_avx512() {
            return Kernels {
                name: "avx512vpopcntdq",
                scan: x86::scan_avx512,
                gather: x86::gather_popcnt,
            };
        }
        if x86::has_avx2() {
            return Kernels {
                name: "avx2",
                scan: x86::scan_avx2,
                gather: x86::gather_popcnt,
            };
        }
    }
    portable
}

/// Name of the kernel this process uses: `"avx512vpopcntdq"`, `"avx2"` or `"portable"`.
pub(crate) fn kernel_name() -> &'static str {
    kernels().name
}

/// See [`ScanFn`].
pub(crate) fn scan(query: &Code, codes: &[Code], base: u32, max: u32, out: &mut Vec<(u32, u32)>) {
    (kernels().scan)(query, codes, base, max, out);
}

/// See [`GatherFn`].
pub(crate) fn gather(
    query: &Code,
    codes: &[Code],
    ordinals: &[u32],
    max: u32,
    out: &mut Vec<(u32, u32)>,
) {
    (kernels().gather)(query, codes, ordinals, max, out);
}

/// Hamming distance between two codes, portable.
#[inline]
pub(crate) fn distance(a: &Code, b: &Code) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}

/// The reference kernels: plain Rust, any CPU.
mod generic {
    use super::{Code, distance};

    pub(super) fn scan(
        query: &Code,
        codes: &[Code],
        base: u32,
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        for (i, code) in codes.iter().enumerate() {
            let d = distance(query, code);
            if d <= max {
                out.push((base + i as u32, d));
            }
        }
    }

    pub(super) fn gather(
        query: &Code,
        codes: &[Code],
        ordinals: &[u32],
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        for &o in ordinals {
            let d = distance(query, &codes[o as usize]);
            if d <= max {
                out.push((o, d));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::Code;

    pub(super) fn has_avx2() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
    }

    pub(super) fn has_avx512() -> bool {
        is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vpopcntdq")
    }

    /// Safe entry point; only reachable through [`super::detect`] after [`has_avx2`].
    pub(super) fn scan_avx2(
        query: &Code,
        codes: &[Code],
        base: u32,
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        debug_assert!(has_avx2());
        // SAFETY: `detect` (and the tests) install this kernel only when the CPU has AVX2 and
        // POPCNT.
        unsafe { scan_avx2_impl(query, codes, base, max, out) }
    }

    /// Safe entry point; only reachable through [`super::detect`] after [`has_avx512`].
    pub(super) fn scan_avx512(
        query: &Code,
        codes: &[Code],
        base: u32,
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        debug_assert!(has_avx512());
        // SAFETY: `detect` (and the tests) install this kernel only when the CPU has AVX-512F
        // and VPOPCNTDQ.
        unsafe { scan_avx512_impl(query, codes, base, max, out) }
    }

    /// Safe entry point; only reachable through [`super::detect`] after [`has_avx2`] (which
    /// includes POPCNT).
    pub(super) fn gather_popcnt(
        query: &Code,
        codes: &[Code],
        ordinals: &[u32],
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        debug_assert!(has_avx2());
        // SAFETY: installed only when the CPU has POPCNT.
        unsafe { gather_popcnt_impl(query, codes, ordinals, max, out) }
    }

    #[inline]
    #[target_feature(enable = "popcnt")]
    fn distance_popcnt(a: &Code, b: &Code) -> u32 {
        // With the feature enabled, `count_ones` compiles to the POPCNT instruction.
        super::distance(a, b)
    }

    /// Per-byte popcounts of `query ^ code` summed into four `u64` lanes (each at most 64),
    /// using the nibble lookup table trick (AVX2 has no vector popcount).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn lane_counts(query: __m256i, code: &Code) -> __m256i {
        // SAFETY: `code` is 32 readable bytes; `loadu` has no alignment requirement.
        let v = unsafe { _mm256_loadu_si256(code.as_ptr().cast()) };
        let v = _mm256_xor_si256(query, v);
        let lut = _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2,
            3, 3, 4,
        );
        let low = _mm256_set1_epi8(0x0f);
        let lo = _mm256_and_si256(v, low);
        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low);
        let bytes = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
        _mm256_sad_epu8(bytes, _mm256_setzero_si256())
    }

    #[target_feature(enable = "avx2,popcnt")]
    fn scan_avx2_impl(
        query: &Code,
        codes: &[Code],
        base: u32,
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        // SAFETY: `query` is 32 readable bytes; `loadu` has no alignment requirement.
        let q = unsafe { _mm256_loadu_si256(query.as_ptr().cast()) };
        let chunks = codes.chunks_exact(4);
        let tail = chunks.remainder();
        for (c, four) in chunks.enumerate() {
            // Pack the four codes' lane sums into 16-bit fields so that one horizontal add
            // gives all four distances: field j of the result is code j's distance (<= 256).
            let a = lane_counts(q, &four[0]);
            let b = lane_counts(q, &four[1]);
            let cc = lane_counts(q, &four[2]);
            let d = lane_counts(q, &four[3]);
            let ab = _mm256_or_si256(a, _mm256_slli_epi64::<16>(b));
            let cd = _mm256_or_si256(cc, _mm256_slli_epi64::<16>(d));
            let abcd = _mm256_or_si256(ab, _mm256_slli_epi64::<32>(cd));
            let s = _mm_add_epi16(
                _mm256_castsi256_si128(abcd),
                _mm256_extracti128_si256::<1>(abcd),
            );
            let s = _mm_add_epi16(s, _mm_unpackhi_epi64(s, s));
            let packed = _mm_cvtsi128_si64(s) as u64;
            for j in 0..4 {
                let dist = (packed >> (16 * j)) as u32 & 0xffff;
                if dist <= max {
                    out.push((base + (4 * c + j) as u32, dist));
                }
            }
        }
        let done = (codes.len() - tail.len()) as u32;
        for (i, code) in tail.iter().enumerate() {
            let dist = distance_popcnt(query, code);
            if dist <= max {
                out.push((base + done + i as u32, dist));
            }
        }
    }

    #[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
    fn scan_avx512_impl(
        query: &Code,
        codes: &[Code],
        base: u32,
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        // SAFETY: `query` is 32 readable bytes; `loadu` has no alignment requirement.
        let q256 = unsafe { _mm256_loadu_si256(query.as_ptr().cast()) };
        let q = _mm512_broadcast_i64x4(q256);
        let chunks = codes.chunks_exact(8);
        let tail = chunks.remainder();
        for (c, eight) in chunks.enumerate() {
            // Register k holds codes 2k (lanes 0..4) and 2k+1 (lanes 4..8).
            let p = |k: usize| {
                // SAFETY: `eight[2k..2k+2]` is 64 contiguous readable bytes.
                let v = unsafe { _mm512_loadu_si512(eight[2 * k].as_ptr().cast()) };
                _mm512_popcnt_epi64(_mm512_xor_si512(q, v))
            };
            // Lane counts are at most 64, so register k's lanes fit 16-bit field k.
            let t = _mm512_or_si512(
                _mm512_or_si512(p(0), _mm512_slli_epi64::<16>(p(1))),
                _mm512_or_si512(_mm512_slli_epi64::<32>(p(2)), _mm512_slli_epi64::<48>(p(3))),
            );
            // Sum the four lanes of each 256-bit half: swap 128-bit blocks, then 64-bit lanes
            // within blocks. Fields sum to at most 256, so 64-bit adds never carry between
            // them (and need only AVX-512F, not BW).
            let t = _mm512_add_epi64(t, _mm512_shuffle_i64x2::<0b10_11_00_01>(t, t));
            let t = _mm512_add_epi64(t, _mm512_shuffle_epi32::<0b01_00_11_10>(t));
            let even = _mm512_castsi512_si128(t);
            let odd = _mm512_extracti32x4_epi32::<2>(t);
            let even = _mm_cvtsi128_si64(even) as u64;
            let odd = _mm_cvtsi128_si64(odd) as u64;
            for k in 0..4 {
                for (half, packed) in [(0, even), (1, odd)] {
                    let dist = (packed >> (16 * k)) as u32 & 0xffff;
                    if dist <= max {
                        out.push((base + (8 * c + 2 * k + half) as u32, dist));
                    }
                }
            }
        }
        // The loop above emits codes 0, 1, 2, ... in order within each chunk, since `k` runs
        // over pairs and `half` within a pair.
        let done = (codes.len() - tail.len()) as u32;
        for (i, code) in tail.iter().enumerate() {
            let dist = distance_popcnt(query, code);
            if dist <= max {
                out.push((base + done + i as u32, dist));
            }
        }
    }

    #[target_feature(enable = "popcnt,sse")]
    fn gather_popcnt_impl(
        query: &Code,
        codes: &[Code],
        ordinals: &[u32],
        max: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        // Candidates are scattered over the whole code array, so each one is a cache miss:
        // prefetching a few ahead overlaps the misses instead of paying them one by one.
        const AHEAD: usize = 16;
        for &o in ordinals.iter().take(AHEAD) {
            prefetch(codes, o);
        }
        for (i, &o) in ordinals.iter().enumerate() {
            if let Some(&next) = ordinals.get(i + AHEAD) {
                prefetch(codes, next);
            }
            let dist = distance_popcnt(query, &codes[o as usize]);
            if dist <= max {
                out.push((o, dist));
            }
        }
    }

    #[inline]
    #[target_feature(enable = "sse")]
    fn prefetch(codes: &[Code], ordinal: u32) {
        if let Some(code) = codes.get(ordinal as usize) {
            // A prefetch is only a hint: it never faults, and the pointer is in bounds anyway.
            _mm_prefetch::<_MM_HINT_T0>(code.as_ptr().cast());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every kernel this CPU can run, portable first.
    fn available() -> Vec<(&'static str, ScanFn, GatherFn)> {
        let mut all: Vec<(&'static str, ScanFn, GatherFn)> =
            vec![("portable", generic::scan, generic::gather)];
        #[cfg(target_arch = "x86_64")]
        {
            if x86::has_avx2() {
                all.push(("avx2", x86::scan_avx2, x86::gather_popcnt));
            }
            if x86::has_avx512() && x86::has_avx2() {
                all.push(("avx512", x86::scan_avx512, x86::gather_popcnt));
            }
        }
        all
    }

    /// Codes near the query: flip a random number of bits so distances cover 0..=256,
    /// including the all-bits-differ extreme that would overflow an 8-bit field.
    fn codes_near() -> impl Strategy<Value = (Code, Vec<Code>, u32)> {
        (
            any::<[u64; 4]>(),
            prop::collection::vec((any::<[u64; 4]>(), 0u8..6), 0..70),
            0u32..=256,
        )
            .prop_map(|(q, raw, max)| {
                let codes = raw
                    .into_iter()
                    .map(|(noise, kind)| match kind {
                        0 => q,
                        1 => q.map(|w| !w),
                        2 => std::array::from_fn(|i| q[i] ^ (noise[i] & noise[(i + 1) % 4])),
                        _ => noise,
                    })
                    .collect();
                (q, codes, max)
            })
    }

    proptest! {
        #[test]
        fn kernels_agree_with_portable((q, codes, max) in codes_near(), base in 0u32..1000) {
            let mut expected = Vec::new();
            generic::scan(&q, &codes, base, max, &mut expected);
            let ordinals: Vec<u32> = (0..codes.len() as u32).rev().collect();
            let mut expected_gather = Vec::new();
            generic::gather(&q, &codes, &ordinals, max, &mut expected_gather);
            for (name, scan, gather) in available() {
                let mut got = Vec::new();
                scan(&q, &codes, base, max, &mut got);
                prop_assert_eq!(&got, &expected, "scan kernel {}", name);
                let mut got = Vec::new();
                gather(&q, &codes, &ordinals, max, &mut got);
                prop_assert_eq!(&got, &expected_gather, "gather kernel {}", name);
            }
        }
    }

    #[test]
    fn extremes() {
        let q = [0u64; 4];
        let codes = vec![[u64::MAX; 4]; 19];
        for (name, scan, _) in available() {
            let mut got = Vec::new();
            scan(&q, &codes, 0, 256, &mut got);
            assert!(got.iter().all(|&(_, d)| d == 256), "{name}");
            assert_eq!(got.len(), 19, "{name}");
        }
    }

    #[test]
    fn detection_is_cached() {
        assert_eq!(kernel_name(), kernel_name());
        assert!(["portable", "avx2", "avx512vpopcntdq"].contains(&kernel_name()));
    }
}
