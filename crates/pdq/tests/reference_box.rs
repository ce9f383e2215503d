//! The reference's `box1DFloat`, ported literally: the oracle for the library's streaming box
//! filters, shared by the unit tests (`src/jarosz.rs`) and the integration tests.

/// Filters `len` samples of `input` starting at `start` with a stride, into `output`.
pub(crate) fn box1d(
    input: &[f32],
    output: &mut [f32],
    start: usize,
    len: usize,
    stride: usize,
    w: usize,
) {
    let half = (w + 2) / 2;
    let (p1, p2, p3, p4) = (half - 1, w - half + 1, len - w, half - 1);
    let (mut li, mut ri, mut oi) = (start, start, start);
    let mut sum = 0.0f32;
    let mut cur = 0usize;
    for _ in 0..p1 {
        sum += input[ri];
        cur += 1;
        ri += stride;
    }
    for _ in 0..p2 {
        sum += input[ri];
        cur += 1;
        output[oi] = sum / cur as f32;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p3 {
        sum += input[ri];
        sum -= input[li];
        output[oi] = sum / w as f32;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p4 {
        sum -= input[li];
        cur -= 1;
        output[oi] = sum / cur as f32;
        li += stride;
        oi += stride;
    }
}
