//! From luminance rows to the 16×16 DCT, the quality score and the hash bits.

use quell_hash::{Pdq, Quality};

use crate::dct::dct64_to_16;
use crate::jarosz::{
    ColumnBox, LANES, Lanes, box_rows, box_rows_sampled, sample_indices, window_size,
};
use crate::luma::LumaRows;

/// Images with a side shorter than this hash to all zeros with quality 0, as in the reference
/// (`MIN_HASHABLE_DIM`).
pub const MIN_HASHABLE_SIDE: usize = 5;

/// A PDQ hash with its quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdqHash {
    /// The hash.
    pub hash: Pdq,
    /// Its quality, 0..=100; below [`quell_hash::MIN_QUALITY`] the hash is unreliable.
    pub quality: Quality,
}

/// The eight symmetries of the square, in the reference's order (`--pdqdih-across`,
/// `compute_dihedral`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dihedral {
    /// The image as given.
    Original,
    /// Rotated 90° counter-clockwise.
    Rotate90,
    /// Rotated 180°.
    Rotate180,
    /// Rotated 90° clockwise.
    Rotate270,
    /// Upside down (mirrored about the horizontal axis).
    FlipX,
    /// Mirrored left to right.
    FlipY,
    /// Transposed about the main diagonal.
    FlipPlus1,
    /// Transposed about the anti-diagonal.
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the reference's order.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The DCT of the transformed image, derived from the original's without re-hashing
    /// (`dct16OriginalTo*`): odd-indexed basis functions change sign under a flip, and a
    /// transpose swaps the axes.
    fn transform(self, a: &[[f32; 16]; 16]) -> [[f32; 16]; 16] {
        let mut b = [[0.0f32; 16]; 16];
        for i in 0..16 {
            for j in 0..16 {
                let v = a[i][j];
                let odd = |x: usize| x & 1 == 1;
                match self {
                    Dihedral::Original => b[i][j] = v,
                    Dihedral::Rotate90 => b[j][i] = if odd(j) { v } else { -v },
                    Dihedral::Rotate180 => b[i][j] = if odd(i + j) { -v } else { v },
                    Dihedral::Rotate270 => b[j][i] = if odd(i) { v } else { -v },
                    Dihedral::FlipX => b[i][j] = if odd(i) { v } else { -v },
                    Dihedral::FlipY => b[i][j] = if odd(j) { v } else { -v },
                    Dihedral::FlipPlus1 => b[j][i] = v,
                    Dihedral::FlipMinus1 => b[j][i] = if odd(i + j) { -v } else { v },
                }
            }
        }
        b
    }
}

/// All eight dihedral hashes of an image, with its quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DihedralHashes {
    /// Hashes in [`Dihedral::ALL`] order; index 0 is the plain hash.
    pub hashes: [Pdq; 8],
    /// The quality, shared by all eight.
    pub quality: Quality,
}

impl DihedralHashes {
    /// The hash for one symmetry.
    pub fn get(&self, d: Dihedral) -> Pdq {
        self.hashes[Dihedral::ALL
            .iter()
            .position(|&x| x == d)
            .expect("all variants listed")]
    }
}

/// Hashes an image.
///
/// Bit-exact with the reference's `pdqHash256FromFloatLuma` given the same luminance.
pub fn hash(image: &impl LumaRows) -> PdqHash {
    match dct16(image, Shortcut64::Copy) {
        None => PdqHash {
            hash: Pdq::ZERO,
            quality: Quality::default(),
        },
        Some((dct, quality)) => PdqHash {
            hash: bits_above_median(&dct),
            quality,
        },
    }
}

/// Hashes an image and its seven rotations and reflections in one pass.
///
/// Bit-exact with the reference's `pdqDihedralHash256esFromFloatLuma`: the seven extra hashes
/// are derived in the DCT domain, so they approximate (closely, on natural photographs) the
/// hash of the transformed image rather than equal it.
pub fn hash_dihedral(image: &impl LumaRows) -> DihedralHashes {
    match dct16(image, Shortcut64::Blur) {
        None => DihedralHashes {
            hashes: [Pdq::ZERO; 8],
            quality: Quality::default(),
        },
        Some((dct, quality)) => DihedralHashes {
            hashes: Dihedral::ALL.map(|d| bits_above_median(&d.transform(&dct))),
            quality,
        },
    }
}

/// Whether an exactly 64×64 input skips the blur. The reference's single-hash path copies it
/// (the blur would be the identity but for float rounding); its dihedral path always blurs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shortcut64 {
    Copy,
    Blur,
}

fn dct16(image: &impl LumaRows, shortcut: Shortcut64) -> Option<([[f32; 16]; 16], Quality)> {
    let (width, height) = (image.width(), image.height());
    if width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE {
        return None;
    }
    let small = if width == 64 && height == 64 && shortcut == Shortcut64::Copy {
        let mut buf = [[0.0f32; 64]; 64];
        for (y, row) in buf.iter_mut().enumerate() {
            image.luma_row(y, row);
        }
        buf
    } else {
        blur_and_decimate(image)
    };
    Some((dct64_to_16(&small), quality(&small)))
}

/// The reference's `jaroszFilterFloat` (two passes of rows-then-columns box filters) followed
/// by `decimateFloat` to 64×64, streamed in blocks of [`LANES`] rows (see [`crate::jarosz`]).
fn blur_and_decimate(image: &impl LumaRows) -> [[f32; 64]; 64] {
    let (width, height) = (image.width(), image.height());
    let (row_window, col_window) = (window_size(width), window_size(height));
    let sample_cols = sample_indices(width);
    let sample_rows = sample_indices(height);

    let mut row = vec![0.0f32; width];
    let mut block = vec![[0.0f32; LANES]; width];
    let mut filtered = vec![[0.0f32; LANES]; width];
    let mut pass1 = ColumnBox::new(width, height, col_window);
    let mut second = SecondPass {
        pending: vec![[0.0f32; LANES]; width],
        pending_rows: 0,
        sampled: [[0.0f32; LANES]; 64],
        row_window,
        sample_cols,
        column: ColumnBox::new(64, height, col_window),
        sample_rows,
        next_sample: 0,
        out: [[0.0f32; 64]; 64],
    };

    for y0 in (0..height).step_by(LANES) {
        let rows = LANES.min(height - y0);
        for lane in 0..rows {
            image.luma_row(y0 + lane, &mut row);
            for (b, &v) in block.iter_mut().zip(&row) {
                b[lane] = v;
            }
        }
        box_rows(&block, &mut filtered, row_window);
        for lane in 0..rows {
            for (r, f) in row.iter_mut().zip(&filtered) {
                *r = f[lane];
            }
            if let Some((_, out)) = pass1.push(&row) {
                second.push(out);
            }
        }
    }
    while let Some((_, out)) = pass1.drain() {
        second.push(out);
    }
    second.finish()
}

/// The second filter pass, which is only read at the 64×64 sample points: rows are filtered in
/// blocks of [`LANES`] keeping the 64 sampled columns, then those 64 columns are filtered and
/// the sampled rows kept.
struct SecondPass {
    pending: Vec<Lanes>,
    pending_rows: usize,
    sampled: [Lanes; 64],
    row_window: usize,
    sample_cols: [usize; 64],
    column: ColumnBox,
    sample_rows: [usize; 64],
    next_sample: usize,
    out: [[f32; 64]; 64],
}

impl SecondPass {
    fn push(&mut self, row: &[f32]) {
        let lane = self.pending_rows;
        for (p, &v) in self.pending.iter_mut().zip(row) {
            p[lane] = v;
        }
        self.pending_rows += 1;
        if self.pending_rows == LANES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        box_rows_sampled(
            &self.pending,
            self.row_window,
            &self.sample_cols,
            &mut self.sampled,
        );
        let mut row = [0.0f32; 64];
        for lane in 0..self.pending_rows {
            for (r, s) in row.iter_mut().zip(&self.sampled) {
                *r = s[lane];
            }
            if let Some((index, out)) = self.column.push(&row) {
                Self::keep(
                    &self.sample_rows,
                    &mut self.next_sample,
                    &mut self.out,
                    index,
                    out,
                );
            }
        }
        self.pending_rows = 0;
    }

    fn finish(mut self) -> [[f32; 64]; 64] {
        self.flush();
        while let Some((index, out)) = self.column.drain() {
            Self::keep(
                &self.sample_rows,
                &mut self.next_sample,
                &mut self.out,
                index,
                out,
            );
        }
        debug_assert_eq!(self.next_sample, 64);
        self.out
    }

    /// Copies output row `index` to every sample that reads it (the sample list is sorted, so
    /// a cursor walks it once; short images sample a row more than once).
    fn keep(
        sample_rows: &[usize; 64],
        next: &mut usize,
        out: &mut [[f32; 64]; 64],
        index: usize,
        row: &[f32],
    ) {
        while *next < 64 && sample_rows[*next] == index {
            out[*next].copy_from_slice(row);
            *next += 1;
        }
    }
}

/// The reference's `pdqImageDomainQualityMetric`: the sum of truncated, scaled absolute
/// differences between neighbours, over 90, capped at 100.
fn quality(a: &[[f32; 64]; 64]) -> Quality {
    let step = |u: f32, v: f32| (((u - v) * 100.0) / 255.0) as i32;
    // An integer sum, so the order of the terms does not matter.
    let mut sum: i32 = 0;
    for (upper, lower) in a.iter().zip(&a[1..]) {
        for (&u, &v) in upper.iter().zip(lower) {
            sum += step(u, v).abs();
        }
    }
    for row in a {
        for (&u, &v) in row.iter().zip(&row[1..]) {
            sum += step(u, v).abs();
        }
    }
    Quality::new(i64::from((sum / 90).min(100))).expect("0..=100 by construction")
}

/// Bit `16i + j` is set iff `B[i][j]` exceeds the median, the 128th smallest of the 256
/// coefficients (what Torben's algorithm returns for an even count).
fn bits_above_median(b: &[[f32; 16]; 16]) -> Pdq {
    let mut values: Vec<f32> = b.iter().flatten().copied().collect();
    let (_, &mut median, _) = values.select_nth_unstable_by(127, f32::total_cmp);
    Pdq::from_fn(|k| b[k / 16][k % 16] > median)
}
