//! A literal, slow port of the reference pipeline (full-size float buffers, four filter passes,
//! Torben's median), kept as the oracle for the library's streaming implementation.

// A literal port keeps the reference's shape (index loops, spelled-out ceilings) so that it can
// be checked line by line against the C++; the idiomatic rewrites live in the library.
#![allow(clippy::manual_div_ceil, clippy::needless_range_loop)]

use quell_hash::{Pdq, Quality};

#[path = "reference_box.rs"]
mod reference_box;
use quell_pdq::LumaRows;
use reference_box::box1d;

fn torben(m: &[f32]) -> f32 {
    let n = m.len();
    let (mut min, mut max) = (m[0], m[0]);
    for &v in &m[1..] {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let half = (n + 1) / 2;
    loop {
        let guess = (min + max) / 2.0;
        let (mut less, mut greater, mut equal) = (0, 0, 0);
        let (mut maxlt, mut mingt) = (min, max);
        for &v in m {
            if v < guess {
                less += 1;
                if v > maxlt {
                    maxlt = v;
                }
            } else if v > guess {
                greater += 1;
                if v < mingt {
                    mingt = v;
                }
            } else {
                equal += 1;
            }
        }
        if less <= half && greater <= half {
            return if less >= half {
                maxlt
            } else if less + equal >= half {
                guess
            } else {
                mingt
            };
        } else if less > greater {
            max = maxlt;
        } else {
            min = mingt;
        }
    }
}

/// Returns the 16×16 DCT and the quality, or `None` for images with a side under 5.
pub(crate) fn dct16(image: &impl LumaRows, dihedral: bool) -> Option<([[f32; 16]; 16], Quality)> {
    let (cols, rows) = (image.width(), image.height());
    if rows < 5 || cols < 5 {
        return None;
    }
    let mut buf1 = vec![0.0f32; rows * cols];
    for (y, row) in buf1.chunks_exact_mut(cols).enumerate() {
        image.luma_row(y, row);
    }
    let mut a = [[0.0f32; 64]; 64];
    if rows == 64 && cols == 64 && !dihedral {
        for i in 0..64 {
            a[i].copy_from_slice(&buf1[i * 64..(i + 1) * 64]);
        }
    } else {
        let wr = (cols + 127) / 128;
        let wc = (rows + 127) / 128;
        let mut buf2 = vec![0.0f32; rows * cols];
        for _ in 0..2 {
            for i in 0..rows {
                box1d(&buf1, &mut buf2, i * cols, cols, 1, wr);
            }
            for j in 0..cols {
                box1d(&buf2, &mut buf1, j, rows, cols, wc);
            }
        }
        for i in 0..64 {
            let ini = (((i as f64 + 0.5) * rows as f64) / 64.0) as usize;
            for j in 0..64 {
                let inj = (((j as f64 + 0.5) * cols as f64) / 64.0) as usize;
                a[i][j] = buf1[ini * cols + inj];
            }
        }
    }
    let mut gradient = 0i32;
    for i in 0..63 {
        for j in 0..64 {
            gradient += ((((a[i][j] - a[i + 1][j]) * 100.0) / 255.0) as i32).abs();
        }
    }
    for i in 0..64 {
        for j in 0..63 {
            gradient += ((((a[i][j] - a[i][j + 1]) * 100.0) / 255.0) as i32).abs();
        }
    }
    let quality = Quality::new(i64::from((gradient / 90).min(100))).unwrap();

    let scale = (2.0f64 / 64.0).sqrt() as f32;
    let mut d = [[0.0f32; 64]; 16];
    for i in 0..16 {
        for j in 0..64 {
            d[i][j] = (f64::from(scale)
                * ((std::f64::consts::PI / 2.0 / 64.0) * (i + 1) as f64 * (2 * j + 1) as f64).cos())
                as f32;
        }
    }
    let mut t = [[0.0f32; 64]; 16];
    for i in 0..16 {
        for j in 0..64 {
            let mut s = 0.0f32;
            for k in 0..64 {
                s += d[i][k] * a[k][j];
            }
            t[i][j] = s;
        }
    }
    let mut b = [[0.0f32; 16]; 16];
    for i in 0..16 {
        for j in 0..16 {
            let mut s = 0.0f32;
            for k in 0..64 {
                s += t[i][k] * d[j][k];
            }
            b[i][j] = s;
        }
    }
    Some((b, quality))
}

/// The reference's `pdqBuffer16x16ToBits`.
pub(crate) fn bits(b: &[[f32; 16]; 16]) -> Pdq {
    let flat: Vec<f32> = b.iter().flatten().copied().collect();
    let median = torben(&flat);
    Pdq::from_fn(|k| b[k / 16][k % 16] > median)
}

/// The reference's plain hash and quality.
pub(crate) fn hash(image: &impl LumaRows) -> (Pdq, Quality) {
    match dct16(image, false) {
        None => (Pdq::ZERO, Quality::default()),
        Some((b, q)) => (bits(&b), q),
    }
}
