//! The two-pass Jarosz (box) filter and 64×64 decimation, reorganised to stream rows.
//!
//! The reference (`pdq/cpp/downscaling/downscaling.cpp`) filters a whole float image four
//! times (rows, columns, rows, columns) between two full-size buffers, then samples 64×64
//! points. Each 1-D filter is a running `f32` sum whose rounding depends on every earlier
//! sample of the same row or column, so a bit-exact port must keep each row's (or column's)
//! additions, subtractions and divisions in the reference's order. It need not keep the order
//! *between* rows or columns, and that freedom is what this module uses:
//!
//! * a column filter runs all columns side by side as the rows arrive (the running sums are a
//!   vector, one lane per column, which the compiler vectorises without changing any lane's
//!   arithmetic), keeping only the last `window` input rows for the subtractions;
//! * the second pass is only ever read at the 64 sampled columns and rows, so its row filter
//!   divides only at those columns and its column filter runs on 64 columns only.
//!
//! Memory is therefore `O(width × window)` instead of two `f32` copies of the image, and the
//! result is bit for bit the reference's. `tests/tests.rs` holds a direct port of the reference
//! as the oracle for this reorganisation.

/// The box-filter window the reference uses to shrink `len` samples to 64:
/// `ceil(len / 128)` (`computeJaroszFilterWindowSize`).
pub(crate) fn window_size(len: usize) -> usize {
    len.div_ceil(2 * 64)
}

/// The four phases of the reference's `box1DFloat` for a vector of `len` samples and a window
/// of `window`: accumulate `p1` samples silently, then write `p2` outputs with a growing
/// window, `p3` with the full window, and `p4` with a shrinking one.
#[derive(Clone, Copy, Debug)]
struct Phases {
    window: usize,
    p1: usize,
    p2: usize,
    p3: usize,
}

impl Phases {
    fn new(len: usize, window: usize) -> Self {
        debug_assert!(window >= 1 && window <= len);
        let half = (window + 2) / 2;
        Self {
            window,
            p1: half - 1,
            p2: window - half + 1,
            p3: len - window,
        }
    }
}

/// How many rows the row filters process side by side.
pub(crate) const LANES: usize = 8;

/// One sample from each of [`LANES`] rows: the interleaved layout of a block of rows.
pub(crate) type Lanes = [f32; LANES];

/// The reference's `box1DFloat` along [`LANES`] rows at once, interleaved (`input[x][lane]`).
///
/// A row's running sum is a serial chain of dependent additions, so one row at a time leaves
/// the CPU waiting on latency. Lane `l` here performs exactly the operations the reference
/// performs on row `l`, in the same order, so the result is bit-identical while the lanes fill the
/// vector units.
pub(crate) fn box_rows(input: &[Lanes], output: &mut [Lanes], window: usize) {
    debug_assert_eq!(input.len(), output.len());
    let Phases { window, p1, p2, p3 } = Phases::new(input.len(), window);
    let mut sum = [0.0f32; LANES];
    let mut count = 0usize;
    for x in &input[..p1] {
        add(&mut sum, x);
        count += 1;
    }
    for (x, o) in input[p1..p1 + p2].iter().zip(&mut output[..p2]) {
        add(&mut sum, x);
        count += 1;
        divide(&sum, count as f32, o);
    }
    let full = window as f32;
    for ((x, old), o) in input[window..]
        .iter()
        .zip(&input[..p3])
        .zip(&mut output[p2..p2 + p3])
    {
        add(&mut sum, x);
        subtract(&mut sum, old);
        divide(&sum, full, o);
    }
    let p4 = input.len() - p2 - p3;
    for (old, o) in input[p3..p3 + p4].iter().zip(&mut output[p2 + p3..]) {
        subtract(&mut sum, old);
        count -= 1;
        divide(&sum, count as f32, o);
    }
}

/// [`box_rows`], keeping only the outputs at `sample_cols` (sorted, possibly repeated):
/// `output[k]` receives column `sample_cols[k]` of every lane.
pub(crate) fn box_rows_sampled(
    input: &[Lanes],
    window: usize,
    sample_cols: &[usize; 64],
    output: &mut [Lanes; 64],
) {
    let Phases { window, p1, p2, p3 } = Phases::new(input.len(), window);
    let mut next = 0;
    let mut keep = |oi: usize, sum: &Lanes, n: f32| {
        while next < 64 && sample_cols[next] == oi {
            divide(sum, n, &mut output[next]);
            next += 1;
        }
    };
    let mut sum = [0.0f32; LANES];
    let mut count = 0usize;
    for x in &input[..p1] {
        add(&mut sum, x);
        count += 1;
    }
    for (oi, x) in input[p1..p1 + p2].iter().enumerate() {
        add(&mut sum, x);
        count += 1;
        keep(oi, &sum, count as f32);
    }
    let full = window as f32;
    for (t, (x, old)) in input[window..].iter().zip(&input[..p3]).enumerate() {
        add(&mut sum, x);
        subtract(&mut sum, old);
        keep(p2 + t, &sum, full);
    }
    let p4 = input.len() - p2 - p3;
    for (t, old) in input[p3..p3 + p4].iter().enumerate() {
        subtract(&mut sum, old);
        count -= 1;
        keep(p2 + p3 + t, &sum, count as f32);
    }
}

#[inline(always)]
fn add(sum: &mut Lanes, x: &Lanes) {
    for (s, v) in sum.iter_mut().zip(x) {
        *s += v;
    }
}

#[inline(always)]
fn subtract(sum: &mut Lanes, x: &Lanes) {
    for (s, v) in sum.iter_mut().zip(x) {
        *s -= v;
    }
}

#[inline(always)]
fn divide(sum: &Lanes, n: f32, out: &mut Lanes) {
    for (o, s) in out.iter_mut().zip(sum) {
        *o = s / n;
    }
}

/// A column box filter over a stream of rows: the reference's `box1DFloat` applied to every
/// column with stride `width`, fed one input row at a time and yielding output rows in order.
///
/// Feed all `len` rows with [`ColumnBox::push`] (each call yields at most one output row),
/// then call [`ColumnBox::drain`] until it yields `None`.
pub(crate) struct ColumnBox {
    width: usize,
    phases: Phases,
    len: usize,
    /// The last `window` input rows, row `r` in slot `r % window`, for the subtractions.
    ring: Vec<f32>,
    sums: Vec<f32>,
    out: Vec<f32>,
    count: usize,
    rows_in: usize,
    rows_out: usize,
}

impl ColumnBox {
    pub(crate) fn new(width: usize, len: usize, window: usize) -> Self {
        Self {
            width,
            phases: Phases::new(len, window),
            len,
            ring: vec![0.0; width * window],
            sums: vec![0.0; width],
            out: vec![0.0; width],
            count: 0,
            rows_in: 0,
            rows_out: 0,
        }
    }

    /// Adds input row `rows_in`; returns output row `(index, values)` if one is complete.
    pub(crate) fn push(&mut self, row: &[f32]) -> Option<(usize, &[f32])> {
        debug_assert_eq!(row.len(), self.width);
        debug_assert!(self.rows_in < self.len);
        let Phases { window, p1, p2, .. } = self.phases;
        let ri = self.rows_in;
        let slot = ri % window;
        let stored = &mut self.ring[slot * self.width..(slot + 1) * self.width];
        self.rows_in += 1;
        if ri < p1 + p2 {
            // Phases 1 and 2: the window grows.
            for (s, &x) in self.sums.iter_mut().zip(row) {
                *s += x;
            }
            stored.copy_from_slice(row);
            self.count += 1;
            if ri < p1 {
                return None;
            }
            let n = self.count as f32;
            for (o, &s) in self.out.iter_mut().zip(&self.sums) {
                *o = s / n;
            }
        } else {
            // Phase 3: add the new row, subtract the one `window` rows back (in the slot the
            // new row is about to take), divide by the full window.
            let n = window as f32;
            for (((s, &x), old), o) in self
                .sums
                .iter_mut()
                .zip(row)
                .zip(stored.iter_mut())
                .zip(self.out.iter_mut())
            {
                *s += x;
                *s -= *old;
                *old = x;
                *o = *s / n;
            }
        }
        let index = self.rows_out;
        self.rows_out += 1;
        Some((index, &self.out))
    }

    /// After all rows are pushed, yields the remaining output rows (phase 4) one by one.
    pub(crate) fn drain(&mut self) -> Option<(usize, &[f32])> {
        debug_assert_eq!(self.rows_in, self.len);
        if self.rows_out == self.len {
            return None;
        }
        let Phases { window, p2, .. } = self.phases;
        // Output row `oi` subtracts input row `oi - p2`, in phase 3 and phase 4 alike.
        let li = self.rows_out - p2;
        let slot = li % window;
        let old = &self.ring[slot * self.width..(slot + 1) * self.width];
        self.count -= 1;
        let n = self.count as f32;
        for ((s, &x), o) in self.sums.iter_mut().zip(old).zip(self.out.iter_mut()) {
            *s -= x;
            *o = *s / n;
        }
        let index = self.rows_out;
        self.rows_out += 1;
        Some((index, &self.out))
    }
}

/// The reference's decimation indices: sample `i` of 64 reads input
/// `floor((i + 0.5) · len / 64)`, evaluated in `f64` (`decimateFloat`).
pub(crate) fn sample_indices(len: usize) -> [usize; 64] {
    std::array::from_fn(|i| (((i as f64 + 0.5) * len as f64) / 64.0) as usize)
}

/// The literal port of the reference's box filter, shared with the integration tests.
#[cfg(test)]
#[path = "../tests/reference_box.rs"]
mod reference_box;

#[cfg(test)]
mod tests {
    use super::*;

    /// The literal port, called as the streaming forms' oracle.
    fn reference_box1d(input: &[f32], output: &mut [f32], len: usize, stride: usize, w: usize) {
        super::reference_box::box1d(input, output, 0, len, stride, w);
    }

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 25600) as f32 / 100.0
            })
            .collect()
    }

    #[test]
    fn column_filter_matches_reference_for_every_small_shape() {
        let width = 3;
        for len in 1..60 {
            for window in 1..=len.min(9) {
                let input = noise(len * width, (len * 7 + window) as u32);
                let mut want = vec![0.0; len * width];
                for c in 0..width {
                    reference_box1d(&input[c..], &mut want[c..], len, width, window);
                }
                let mut got = vec![f32::NAN; len * width];
                let mut col = ColumnBox::new(width, len, window);
                for r in 0..len {
                    if let Some((i, out)) = col.push(&input[r * width..(r + 1) * width]) {
                        got[i * width..(i + 1) * width].copy_from_slice(out);
                    }
                }
                while let Some((i, out)) = col.drain() {
                    got[i * width..(i + 1) * width].copy_from_slice(out);
                }
                assert_eq!(
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "len {len} window {window}"
                );
            }
        }
    }

    #[test]
    fn row_filters_match_reference_for_every_small_shape() {
        for len in 1..70 {
            for window in 1..=len.min(10) {
                let rows: Vec<Vec<f32>> = (0..LANES)
                    .map(|l| noise(len, (len * 13 + window * 3 + l) as u32))
                    .collect();
                let interleaved: Vec<Lanes> = (0..len)
                    .map(|x| std::array::from_fn(|l| rows[l][x]))
                    .collect();
                let mut out = vec![[0.0; LANES]; len];
                box_rows(&interleaved, &mut out, window);
                let cols = sample_indices(len);
                let mut sampled = [[0.0; LANES]; 64];
                box_rows_sampled(&interleaved, window, &cols, &mut sampled);
                for (l, row) in rows.iter().enumerate() {
                    let mut want = vec![0.0; len];
                    reference_box1d(row, &mut want, len, 1, window);
                    for x in 0..len {
                        assert_eq!(
                            out[x][l].to_bits(),
                            want[x].to_bits(),
                            "len {len} w {window}"
                        );
                    }
                    for (k, &c) in cols.iter().enumerate() {
                        assert_eq!(sampled[k][l].to_bits(), want[c].to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn window_sizes() {
        assert_eq!(window_size(64), 1);
        assert_eq!(window_size(128), 1);
        assert_eq!(window_size(129), 2);
        assert_eq!(window_size(1004), 8);
        assert_eq!(window_size(1600), 13);
    }
}
