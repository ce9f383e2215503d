//! Finding a photograph shown inside an app's or a page's chrome: the rectangle a screenshot
//! of a post keeps the photo in.
//!
//! **Key decision: find the photo by its straight flat margins, row by row, not by peeling
//! whole lines.** In a screenshot of an app the photo sits between a header (avatar, name),
//! buttons and caption lines, and those reach into the margins beside it, so no column of the
//! margin is flat from top to bottom and the border trims ([`crate::TrimRule`]) keep the
//! whole screen. Each row, though, has flat margins where it crosses the photo: its content
//! starts and ends at the photo's left and right edges, the same columns in row after row,
//! while lines of text start and end where their words do. The longest run of rows sharing
//! one left and one right end is the photo; it grows up and down over rows whose content
//! stays between those columns (a dark edge of the photo next to a dark canvas), and stops at
//! the first row that has none there or reaches past them.
//!
//! Used at upload only: a photograph as taken rarely has flat margins on both sides (an
//! object on a plain backdrop may), and when it does the framed rectangle is one more upload
//! hash, searched as a trim, so nothing is registered for it.

use crate::luma::{LumaImage, Rect};

/// The parameters of [`FramedPhoto::inner_rect`]; part of a profile's definition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FramedPhoto {
    /// Luminance half-width (0–255 scale) within which a pixel is still the margin's level
    /// (the row's first, or last, pixel).
    pub tolerance: f32,
    /// How far, as a share of the width, a row's content may start or end from the run's
    /// columns and still agree with them (a downscale's blended edge, a codec's ringing).
    pub agree: f32,
    /// Least share of the width each margin must have: a photo shown narrower than the screen.
    pub margin: f32,
    /// Least share of the width and of the height the photo must span.
    pub least: f32,
    /// Most rows, as a share of the height, a run may go on past that do not agree with it
    /// (a stretch of the photo whose edge is at the margin's level).
    pub gap: f32,
}

impl FramedPhoto {
    /// `pdq-robust-v6`'s.
    pub const V6: FramedPhoto = FramedPhoto {
        tolerance: 12.0,
        agree: 0.006,
        margin: 0.03,
        least: 0.2,
        gap: 0.03,
    };

    /// The photo's rectangle, if `image` shows one framed by flat margins on its left and its
    /// right (see the module's documentation); `None` otherwise.
    pub fn inner_rect(&self, image: &LumaImage) -> Option<Rect> {
        let (w, h) = (image.width(), image.height());
        if w < 8 || h < 8 {
            return None;
        }
        let ends: Vec<Option<(usize, usize)>> = (0..h).map(|y| self.ends(image.row(y))).collect();
        let agree = ((w as f32 * self.agree).round() as usize).max(1);
        let near = |a: usize, b: usize| a.abs_diff(b) <= agree;
        let gap = (h as f32 * self.gap) as usize;

        // The longest run of rows whose ends agree with the run's first row's, allowing up to
        // `gap` rows in a row that do not.
        let mut best: Option<(usize, usize, usize)> = None; // (agreeing rows, first, last)
        let mut y = 0;
        while y < h {
            let Some((l, r)) = ends[y] else {
                y += 1;
                continue;
            };
            let (mut count, mut last, mut misses) = (1, y, 0);
            let mut next = y + 1;
            while next < h && misses <= gap {
                match ends[next] {
                    Some((l2, r2)) if near(l, l2) && near(r, r2) => {
                        (count, last, misses) = (count + 1, next, 0);
                    }
                    _ => misses += 1,
                }
                next += 1;
            }
            if best.is_none_or(|(c, ..)| count > c) {
                best = Some((count, y, last));
            }
            y = last + 1;
        }
        let (count, first, last) = best?;
        if (count as f32) < self.least * h as f32 {
            return None;
        }
        // The photo's columns: the median ends of the run's agreeing rows.
        let (l0, r0) = ends[first]?;
        let mut lefts = Vec::with_capacity(count);
        let mut rights = Vec::with_capacity(count);
        for &(l, r) in ends[first..=last].iter().flatten() {
            if near(l, l0) && near(r, r0) {
                lefts.push(l);
                rights.push(r);
            }
        }
        let (left, right) = (median(&mut lefts), median(&mut rights));
        let margin = (w as f32 * self.margin) as usize;
        if left < margin || right + margin > w || ((right - left) as f32) < self.least * w as f32 {
            return None;
        }
        // Grow over rows whose content stays between the columns.
        let inside =
            |y: usize| ends[y].is_some_and(|(l, r)| l + agree >= left && r <= right + agree);
        let (mut top, mut bottom) = (first, last + 1);
        while top > 0 && inside(top - 1) {
            top -= 1;
        }
        while bottom < h && inside(bottom) {
            bottom += 1;
        }
        Some(Rect {
            x: left,
            y: top,
            width: right - left,
            height: bottom - top,
        })
    }

    /// Where a row's content starts and ends (end exclusive): the first pixel away from the
    /// row's first pixel's level and the last away from its last pixel's. `None` for a row
    /// that is all one level.
    fn ends(&self, row: &[f32]) -> Option<(usize, usize)> {
        let (first, last) = (row[0], row[row.len() - 1]);
        let left = row
            .iter()
            .position(|&v| (v - first).abs() > self.tolerance)?;
        let right = row
            .iter()
            .rposition(|&v| (v - last).abs() > self.tolerance)?
            + 1;
        (left < right).then_some((left, right))
    }
}

fn median(values: &mut [usize]) -> usize {
    values.sort_unstable();
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured photo of `pw`×`ph` at (`x`, `y`) on a `w`×`h` canvas of `level`, with lines
    /// of "text" above and below it reaching into the margins.
    fn screen(
        w: usize,
        h: usize,
        (x, y, pw, ph): (usize, usize, usize, usize),
        level: f32,
    ) -> LumaImage {
        let mut data = vec![level; w * h];
        for yy in 0..ph {
            for xx in 0..pw {
                data[(y + yy) * w + x + xx] = ((xx * 7 + yy * 13) % 200) as f32 + 40.0;
            }
        }
        let ink = if level > 128.0 { 20.0 } else { 235.0 };
        for line in [y.saturating_sub(12), y + ph + 6, y + ph + 16] {
            for xx in (4..w - 10).filter(|xx| xx % 9 < 5) {
                for yy in line..(line + 4).min(h) {
                    data[yy * w + xx] = ink;
                }
            }
        }
        LumaImage::new(w, h, data)
    }

    #[test]
    fn finds_a_photo_between_text_lines_on_light_and_dark_screens() {
        for level in [255.0, 0.0, 18.0] {
            let rect = FramedPhoto::V6
                .inner_rect(&screen(300, 500, (60, 120, 180, 200), level))
                .expect("a framed photo");
            assert_eq!(
                rect,
                Rect {
                    x: 60,
                    y: 120,
                    width: 180,
                    height: 200
                },
                "level {level}"
            );
        }
    }

    #[test]
    fn a_photograph_as_taken_has_no_frame() {
        let photo = LumaImage::new(
            200,
            150,
            (0..200 * 150)
                .map(|i| ((i % 200) * 3 + (i / 200) * 5 % 97) as f32 % 256.0)
                .collect(),
        );
        assert_eq!(FramedPhoto::V6.inner_rect(&photo), None);
        // A photo reaching the screen's sides is left to the border trims.
        assert_eq!(
            FramedPhoto::V6.inner_rect(&screen(300, 500, (0, 120, 300, 200), 255.0)),
            None
        );
        // A flat image, and a tiny one.
        assert_eq!(
            FramedPhoto::V6.inner_rect(&LumaImage::new(50, 50, vec![9.0; 2500])),
            None
        );
        assert_eq!(
            FramedPhoto::V6.inner_rect(&LumaImage::new(4, 4, vec![9.0; 16])),
            None
        );
    }
}
