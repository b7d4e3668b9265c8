//! The byte scan of x86_64 Step B (`x86.rs`): every offset `s` of a code range where
//! `REX.W` (`0x48..=0x4f`), `0x8D`, ModRM with mod=00 rm=101 (`& 0xc7 == 0x05`) start, i.e. a
//! candidate `lea r64, [rip+disp32]`.
//!
//! Searching for the `0x8D` byte alone (memchr) and filtering stops far too often: in compiled
//! code about one byte in 48 is `0x8D` (libjax_common.so's 178 MB `.text`: 3.7 M of them, of
//! which 0.86 M are RIP-relative `lea r64`). Testing all three bytes in one SIMD compare leaves
//! only real candidates; a scalar loop handles the tail and non-x86_64 hosts.

use std::ops::ControlFlow;

/// Does `t[s..s + 3]` look like `REX.W 8D modrm(mod=00, rm=101)`?
#[inline]
fn is_rip_lea(t: &[u8], s: usize) -> bool {
    matches!(t.get(s..s + 3), Some([rex, 0x8d, modrm]) if rex & 0xf8 == 0x48 && modrm & 0xc7 == 0x05)
}

/// Call `f` with every candidate offset, in increasing order, until it breaks.
pub(crate) fn scan(text: &[u8], f: &mut impl FnMut(usize) -> ControlFlow<()>) -> ControlFlow<()> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { simd::scan_avx2(text, f) }
        } else {
            // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
            unsafe { simd::scan_sse2(text, f) }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scan_scalar(text, 0, f)
    }
}

/// The reference scan, from offset `from`: memchr for `0x8D`, then the other two bytes.
pub(crate) fn scan_scalar(
    text: &[u8],
    from: usize,
    f: &mut impl FnMut(usize) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Some(rest) = text.get(from.saturating_add(1)..) else {
        return ControlFlow::Continue(());
    };
    for i in memchr::memchr_iter(0x8d, rest) {
        // `rest` starts one byte after `from`: the candidate starts at `from + i`.
        let s = from + i;
        if is_rip_lea(text, s) {
            f(s)?;
        }
    }
    ControlFlow::Continue(())
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm256_testz_si256, _mm_and_si128,
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    use std::ops::ControlFlow;

    use super::scan_scalar;

    /// How far ahead of the scan position the next cache line is prefetched. Large `.text`
    /// sections come from the page cache, not from CPU caches; one prefetch per 64 bytes
    /// scanned, a page ahead, cut a `check --no-cache` of the benchmark environment by ~10%
    /// (tried 512, 1024, 2048, 4096, 8192 bytes: 4096 was best). A prefetch never faults, so
    /// the address may lie past the end of `text` (it is computed with `wrapping_add` and never
    /// dereferenced).
    const PREFETCH: usize = 4096;

    #[inline]
    #[target_feature(enable = "sse")]
    fn prefetch(p: *const u8, at: usize) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(at).cast::<i8>());
    }

    /// Report the set bits of `mask` (bit j = candidate at `base + j`).
    #[inline(always)]
    fn report(
        mut mask: u32,
        base: usize,
        f: &mut impl FnMut(usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        while mask != 0 {
            f(base + mask.trailing_zeros() as usize)?;
            mask &= mask - 1;
        }
        ControlFlow::Continue(())
    }

    /// 16 candidates per step with SSE2 (baseline on x86_64).
    #[target_feature(enable = "sse2")]
    pub(super) fn scan_sse2(
        text: &[u8],
        f: &mut impl FnMut(usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        const W: usize = 16;
        let p = text.as_ptr();
        let rex_mask = _mm_set1_epi8(0xf8u8 as i8);
        let rex = _mm_set1_epi8(0x48);
        let op = _mm_set1_epi8(0x8du8 as i8);
        let modrm_mask = _mm_set1_epi8(0xc7u8 as i8);
        let modrm = _mm_set1_epi8(0x05);
        let mut s = 0usize;
        // Each step reads text[s .. s + W + 2].
        while s + W + 2 <= text.len() {
            // SAFETY: s + 2 + W <= text.len(), so the three unaligned W-byte loads at s, s + 1
            // and s + 2 stay inside `text`.
            let (a, b, c) = unsafe {
                (
                    _mm_loadu_si128(p.add(s).cast::<__m128i>()),
                    _mm_loadu_si128(p.add(s + 1).cast::<__m128i>()),
                    _mm_loadu_si128(p.add(s + 2).cast::<__m128i>()),
                )
            };
            let hit = _mm_and_si128(
                _mm_and_si128(
                    _mm_cmpeq_epi8(_mm_and_si128(a, rex_mask), rex),
                    _mm_cmpeq_epi8(b, op),
                ),
                _mm_cmpeq_epi8(_mm_and_si128(c, modrm_mask), modrm),
            );
            report(_mm_movemask_epi8(hit) as u32, s, f)?;
            if s.is_multiple_of(64) {
                prefetch(p, s + PREFETCH);
            }
            s += W;
        }
        scan_scalar(text, s, f)
    }

    /// 64 candidates per step with AVX2 (two 32-byte halves, one test for "none").
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan_avx2(
        text: &[u8],
        f: &mut impl FnMut(usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        const W: usize = 32;
        let p = text.as_ptr();
        let rex_mask = _mm256_set1_epi8(0xf8u8 as i8);
        let rex = _mm256_set1_epi8(0x48);
        let op = _mm256_set1_epi8(0x8du8 as i8);
        let modrm_mask = _mm256_set1_epi8(0xc7u8 as i8);
        let modrm = _mm256_set1_epi8(0x05);
        // Candidates at s .. s + W: needs text[s .. s + W + 2].
        let block = |s: usize| -> __m256i {
            // SAFETY: callers keep s + W + 2 <= text.len(), so the three unaligned W-byte loads
            // at s, s + 1 and s + 2 stay inside `text`.
            let (a, b, c) = unsafe {
                (
                    _mm256_loadu_si256(p.add(s).cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(s + 1).cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(s + 2).cast::<__m256i>()),
                )
            };
            _mm256_and_si256(
                _mm256_and_si256(
                    _mm256_cmpeq_epi8(_mm256_and_si256(a, rex_mask), rex),
                    _mm256_cmpeq_epi8(b, op),
                ),
                _mm256_cmpeq_epi8(_mm256_and_si256(c, modrm_mask), modrm),
            )
        };
        let mut s = 0usize;
        while s + 2 * W + 2 <= text.len() {
            prefetch(p, s + PREFETCH);
            let lo = block(s);
            let hi = block(s + W);
            let any = _mm256_or_si256(lo, hi);
            if _mm256_testz_si256(any, any) == 0 {
                report(_mm256_movemask_epi8(lo) as u32, s, f)?;
                report(_mm256_movemask_epi8(hi) as u32, s + W, f)?;
            }
            s += 2 * W;
        }
        if s + W + 2 <= text.len() {
            report(_mm256_movemask_epi8(block(s)) as u32, s, f)?;
            s += W;
        }
        scan_scalar(text, s, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(
        scanner: impl Fn(&[u8], &mut dyn FnMut(usize) -> ControlFlow<()>),
        t: &[u8],
    ) -> Vec<usize> {
        let mut v = Vec::new();
        scanner(t, &mut |s| {
            v.push(s);
            ControlFlow::Continue(())
        });
        v
    }

    /// Every scanner this host can run, by name.
    #[allow(clippy::type_complexity)]
    fn scanners() -> Vec<(&'static str, Box<dyn Fn(&[u8]) -> Vec<usize>>)> {
        let mut v: Vec<(&'static str, Box<dyn Fn(&[u8]) -> Vec<usize>>)> = vec![(
            "dispatch",
            Box::new(|t| {
                collect(
                    |t, f| {
                        let _ = scan(t, &mut |s| f(s));
                    },
                    t,
                )
            }),
        )];
        #[cfg(target_arch = "x86_64")]
        {
            v.push((
                "sse2",
                Box::new(|t| {
                    collect(
                        |t, f| {
                            // SAFETY: SSE2 is x86_64 baseline.
                            let _ = unsafe { simd::scan_sse2(t, &mut |s| f(s)) };
                        },
                        t,
                    )
                }),
            ));
            if std::is_x86_feature_detected!("avx2") {
                v.push((
                    "avx2",
                    Box::new(|t| {
                        collect(
                            |t, f| {
                                // SAFETY: AVX2 checked above.
                                let _ = unsafe { simd::scan_avx2(t, &mut |s| f(s)) };
                            },
                            t,
                        )
                    }),
                ));
            }
        }
        v
    }

    /// The old `lea_hits` filter, byte by byte: the definition the scanners must match.
    fn naive(t: &[u8]) -> Vec<usize> {
        (0..t.len()).filter(|&s| is_rip_lea(t, s)).collect()
    }

    fn reference(t: &[u8]) -> Vec<usize> {
        collect(
            |t, f| {
                let _ = scan_scalar(t, 0, &mut |s| f(s));
            },
            t,
        )
    }

    /// xorshift64*: reproducible bytes without a dev-dependency.
    fn random_bytes(seed: u64, n: usize, bias: bool) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
                let b = (r >> 56) as u8;
                if !bias {
                    return b;
                }
                // Bias towards the pattern's bytes so hits, adjacent and overlapping hits and
                // near misses are common.
                match (r >> 8) % 4 {
                    0 => 0x48 | (b & 0x07),
                    1 => 0x8d,
                    2 => 0x05 | (b & 0x38),
                    _ => b,
                }
            })
            .collect()
    }

    #[test]
    fn known_hits() {
        // lea rdx,[rip+0]; 0x4c 8d 05 (lea r8); 0x49 8d 85 (mod=10: no); 0x48 8d 04 (rm=100: no)
        let t = [
            0x90, 0x48, 0x8d, 0x15, 0, 0, 0, 0, 0x4c, 0x8d, 0x05, 1, 2, 3, 4, 0x49, 0x8d, 0x85,
            0x48, 0x8d, 0x04, 0x24,
        ];
        for (name, s) in scanners() {
            assert_eq!(s(&t), vec![1, 8], "{name}");
        }
        // A candidate whose displacement would run past the end is still reported (the caller
        // bounds-checks the disp32 read); one cut before its ModRM is not.
        for (name, s) in scanners() {
            assert_eq!(s(&[0x48, 0x8d, 0x05]), vec![0], "{name}");
            assert!(s(&[0x48, 0x8d]).is_empty(), "{name}");
            assert!(s(&[]).is_empty(), "{name}");
        }
    }

    #[test]
    fn random_bytes_match_the_scalar_scan() {
        for seed in 1..200u64 {
            for bias in [false, true] {
                // Lengths around the SIMD block sizes, and bigger ones.
                let n = match seed % 5 {
                    0 => (seed as usize) % 70,
                    1 => 16 + (seed as usize % 5),
                    2 => 64 + (seed as usize % 7),
                    _ => 1000 + seed as usize * 37,
                };
                let t = random_bytes(seed, n, bias);
                let want = naive(&t);
                assert_eq!(reference(&t), want, "scalar seed {seed} n {n}");
                for (name, s) in scanners() {
                    assert_eq!(s(&t), want, "{name} seed {seed} n {n} bias {bias}");
                    // Every start offset, so each alignment of every block boundary is seen.
                    if n < 200 {
                        for from in 0..n {
                            let sub = &t[from..];
                            assert_eq!(s(sub), naive(sub), "{name} seed {seed} from {from}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn real_code_matches_the_scalar_scan() {
        // The test executable itself: real compiler output, always present.
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(&exe).unwrap();
        let format = super::super::sniff(&data).unwrap();
        let c = super::super::object_file::parse("test", &data, format).unwrap();
        let mut total = 0;
        for r in &c.code {
            let want = reference(r.data);
            total += want.len();
            for (name, s) in scanners() {
                assert_eq!(s(r.data), want, "{name}");
            }
        }
        // x86_64 test binaries are full of RIP-relative leas; other hosts' code has none.
        if cfg!(target_arch = "x86_64") {
            assert!(total > 1000, "{total}");
        }
    }

    #[test]
    fn break_stops_the_scan() {
        let t = random_bytes(7, 10_000, true);
        let all = naive(&t);
        assert!(all.len() > 10);
        let mut seen = Vec::new();
        let flow = scan(&t, &mut |s| {
            seen.push(s);
            if seen.len() == 5 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert!(flow.is_break());
        assert_eq!(seen, all[..5]);
    }
}
