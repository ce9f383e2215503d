//! The partial 2-D DCT (64×64 → 16×16, DC row and column skipped), as the reference
//! computes it: a direct matrix product with `f32` sums in ascending order.

use std::sync::OnceLock;

/// `D[i][j] = (f32)(sqrt(2/64) as f32 · cos(π/128 · (i+1) · (2j+1)))`, the reference's
/// `compute_dct_matrix`: the scale factor is rounded to `f32` first, the product is taken in
/// `f64`, and the result is rounded to `f32` once.
fn dct_matrix() -> &'static [[f32; 64]; 16] {
    static MATRIX: OnceLock<[[f32; 64]; 16]> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0);
                (f64::from(scale) * angle.cos()) as f32
            })
        })
    })
}

/// `B = D · A · Dᵀ` (`dct64To16`). Row index of `B` is vertical frequency, column horizontal.
pub(crate) fn dct64_to_16(a: &[[f32; 64]; 64]) -> [[f32; 16]; 16] {
    let d = dct_matrix();
    // T = D · A, accumulated over k in ascending order for each (i, j). Iterating k in the
    // outer position with a row of 64 running sums keeps each sum's order while letting the
    // 64 independent sums share vector lanes.
    let mut t = [[0.0f32; 64]; 16];
    for (t_row, d_row) in t.iter_mut().zip(d) {
        for (&dk, a_row) in d_row.iter().zip(a) {
            for (s, &x) in t_row.iter_mut().zip(a_row) {
                *s += dk * x;
            }
        }
    }
    // B[i][j] = Σ_k T[i][k] · D[j][k], ascending k.
    let mut b = [[0.0f32; 16]; 16];
    for (b_row, t_row) in b.iter_mut().zip(&t) {
        for (out, d_row) in b_row.iter_mut().zip(d) {
            let mut sum = 0.0f32;
            for (&x, &y) in t_row.iter().zip(d_row) {
                sum += x * y;
            }
            *out = sum;
        }
    }
    b
}
