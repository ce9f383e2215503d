//! Trimming borders, letterboxes, caption bars and screenshot canvases.
//!
//! **Key decision: a border run starts at a uniform line and goes on while the run's grey
//! level dominates each line, not only while lines are uniform.** A caption bar is a flat
//! colour with text on it and a screenshot canvas has status-bar icons; requiring uniformity
//! would stop at the first row of text. Requiring a uniform line to *start* a run keeps a
//! photograph's own edge (which is rarely flat) intact, and anchoring the run to one level
//! stops it where the bar ends. The same rule runs at
//! submission and at match time, so whatever a photograph's own flat sky or dark background
//! loses, it loses on both sides.

use crate::luma::{LumaImage, Rect};

/// The parameters of border trimming; part of a profile's definition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrimRule {
    /// Share of a line's pixels that must sit within `tolerance` of the run's level for the
    /// line to continue a border run.
    pub dominance: f32,
    /// Luminance half-width (0–255 scale) of "the same level", wide enough for JPEG noise.
    pub tolerance: u8,
    /// Most of each dimension that may be trimmed away in total; past it the image is kept
    /// whole (a nearly flat picture is not a border around a sliver).
    pub max_trim: f32,
    /// Longest run of lines, as a share of the dimension, a border run may jump over when the
    /// line after it is uniform at the run's level again: lines of text on a caption bar,
    /// blurred by downscaling until the bar's level no longer dominates them. 0 for none.
    pub bridge: f32,
    /// How far in (a share of the dimension) a run may *start*, when the edge line itself is
    /// not uniform: a status bar's first rows carrying JPEG ringing from its text. 0 for none.
    pub start_within: f32,
    /// Share of a line's pixels at one level that makes it uniform: what a run starts at (and
    /// a jump lands on). [`TrimRule::UNIFORM`] for every rule but [`SmoothTrim`]'s.
    pub uniform: f32,
}

impl TrimRule {
    /// The rule of `pdq-robust-v1`.
    pub const V1: TrimRule = TrimRule {
        dominance: 0.6,
        tolerance: 12,
        max_trim: 0.8,
        bridge: 0.0,
        start_within: 0.0,
        uniform: TrimRule::UNIFORM,
    };

    /// `pdq-robust-v2`'s main rule: [`TrimRule::V1`] that also jumps over up to 4% of the
    /// dimension between two uniform lines of the run's level (a caption's text lines).
    pub const V2: TrimRule = TrimRule {
        bridge: 0.04,
        ..TrimRule::V1
    };

    /// `pdq-robust-v2`'s second rule: a run goes on only while lines stay 90% at its level.
    /// Status bars with a few icons still come off; a photograph's own dark or pale edge
    /// next to a canvas of nearly its colour is eaten far less than under [`TrimRule::V1`].
    pub const STRICT: TrimRule = TrimRule {
        dominance: 0.9,
        tolerance: 12,
        max_trim: 0.8,
        bridge: 0.0,
        start_within: 0.0,
        uniform: TrimRule::UNIFORM,
    };

    /// `pdq-robust-v3`'s strict rule: [`TrimRule::STRICT`] that may jump 4% of the dimension
    /// to the next uniform line of its level (the text lines of a status bar, which stopped
    /// `STRICT` at the bar and left a screenshot's canvas on), and may start a run up to 4%
    /// in (a status bar's first rows, disturbed by JPEG ringing from its text).
    pub const V3_STRICT: TrimRule = TrimRule {
        bridge: 0.04,
        start_within: 0.04,
        ..TrimRule::STRICT
    };

    /// `pdq-robust-v4`'s third rule: [`TrimRule::V3_STRICT`] with "the same level" narrowed
    /// to ±3. A canvas a program drew (a screenshot's, a border) is flat to within codec
    /// noise, while a photograph's dark or pale edge next to it varies by more than that; at
    /// ±12 a near-black canvas and a night photograph's edge are one level, and the trim eats
    /// into the photograph. At ±3 it stops at the photograph, and then peels the photograph's
    /// own flat edge as it would without the canvas (a new run, at the edge's own level), so
    /// trimming the framed image gives what trimming the bare image gives.
    pub const TIGHT: TrimRule = TrimRule {
        tolerance: 3,
        ..TrimRule::V3_STRICT
    };

    /// The rectangle left after peeling border lines off all four edges.
    ///
    /// A run of border lines starts at a *uniform* line (at least [`TrimRule::uniform`] of its
    /// pixels at one level, ±tolerance) and goes on while lines are dominated by that same
    /// level, so text on a caption bar comes off with the bar, while a photograph's edge must
    /// be truly flat to lose anything. Edges are peeled in turn until none moves, so a caption
    /// bar next to a letterbox comes off too; each line is judged only over the columns (or
    /// rows) still kept.
    pub fn inner_rect(&self, image: &LumaImage) -> Rect {
        let (w, h) = (image.width(), image.height());
        let (mut top, mut bottom, mut left, mut right) = (0, h, 0, w);
        let (min_w, min_h) = least_kept(image, self.max_trim);
        let (gap_w, gap_h) = (
            (w as f32 * self.bridge) as usize,
            (h as f32 * self.bridge) as usize,
        );
        let (start_w, start_h) = (
            (w as f32 * self.start_within) as usize,
            (h as f32 * self.start_within) as usize,
        );
        let row = |y: usize, l: usize, r: usize| self.histogram(image.row(y)[l..r].iter());
        let column =
            |x: usize, t: usize, b: usize| self.histogram((t..b).map(|y| &image.row(y)[x]));
        loop {
            let before = (top, bottom, left, right);
            self.peel(
                &mut top,
                bottom - min_h.min(bottom),
                (gap_h, start_h),
                |y| row(y, left, right),
            );
            self.peel_back(&mut bottom, top + min_h, (gap_h, start_h), |y| {
                row(y - 1, left, right)
            });
            self.peel(&mut left, right - min_w.min(right), (gap_w, start_w), |x| {
                column(x, top, bottom)
            });
            self.peel_back(&mut right, left + min_w, (gap_w, start_w), |x| {
                column(x - 1, top, bottom)
            });
            if (top, bottom, left, right) == before {
                break;
            }
        }
        between(top, bottom, left, right)
    }

    /// Share of a line that must sit at one level for the line to start a border run, in
    /// every rule but [`SmoothTrim`]'s.
    pub const UNIFORM: f32 = 0.97;

    /// Advances `edge` (a top or left index) while lines are border lines, up to `limit`,
    /// jumping over at most `gaps.0` lines to a uniform line of the run's level; a run may
    /// start at a uniform line at most `gaps.1` lines in (the lines before it go too).
    fn peel(
        &self,
        edge: &mut usize,
        limit: usize,
        gaps: (usize, usize),
        line: impl Fn(usize) -> Histogram,
    ) {
        let mut level = None;
        while *edge < limit {
            let hist = line(*edge);
            if self.continues(&hist, &mut level) {
                *edge += 1;
                continue;
            }
            let gap = if level.is_some() { gaps.0 } else { gaps.1 };
            match (1..=gap)
                .take_while(|k| *edge + k < limit)
                .find(|k| self.lands(&line(*edge + k), &mut level))
            {
                Some(k) => *edge += k + 1,
                None => break,
            }
        }
    }

    /// Moves `edge` (a bottom or right bound, exclusive) back while lines are border lines,
    /// jumping as [`TrimRule::peel`] does.
    fn peel_back(
        &self,
        edge: &mut usize,
        limit: usize,
        gaps: (usize, usize),
        line: impl Fn(usize) -> Histogram,
    ) {
        let mut level = None;
        while *edge > limit {
            let hist = line(*edge);
            if self.continues(&hist, &mut level) {
                *edge -= 1;
                continue;
            }
            let gap = if level.is_some() { gaps.0 } else { gaps.1 };
            match (1..=gap)
                .take_while(|k| *edge > limit + k)
                .find(|k| self.lands(&line(*edge - k), &mut level))
            {
                Some(k) => *edge -= k + 1,
                None => break,
            }
        }
    }

    /// Whether a jump may land on this line: uniform at the run's level, or, before any run,
    /// uniform at all (which starts the run at its level).
    fn lands(&self, hist: &Histogram, level: &mut Option<usize>) -> bool {
        match *level {
            Some(_) => self.uniform_at(hist, *level),
            None => {
                let (l, share) = hist.peak(self.tolerance);
                let starts = share >= self.uniform;
                if starts {
                    *level = Some(l);
                }
                starts
            }
        }
    }

    /// Whether a line is uniform ([`TrimRule::uniform`]) at the current run's level.
    fn uniform_at(&self, hist: &Histogram, level: Option<usize>) -> bool {
        level.is_some_and(|l| hist.share_near(l, self.tolerance) >= self.uniform)
    }

    /// Whether a line continues the current border run (at `level`) or starts a new one.
    fn continues(&self, hist: &Histogram, level: &mut Option<usize>) -> bool {
        if let Some(l) = *level
            && hist.share_near(l, self.tolerance) >= self.dominance
        {
            return true;
        }
        let (l, share) = hist.peak(self.tolerance);
        if share >= self.uniform {
            *level = Some(l);
            return true;
        }
        false
    }

    fn histogram<'a>(&self, line: impl Iterator<Item = &'a f32>) -> Histogram {
        let mut counts = [0u32; 256];
        let mut n = 0u32;
        for &v in line {
            counts[grey_level(v)] += 1;
            n += 1;
        }
        Histogram { counts, n }
    }

    /// The level within ±`tolerance` of which at least `dominance` of `line` lies, if any:
    /// a border of that level would continue into this line.
    pub fn dominant_level(&self, line: &[f32]) -> Option<f32> {
        let (level, share) = self.histogram(line.iter()).peak(self.tolerance);
        (share >= self.dominance).then_some(level as f32)
    }

    /// The image inside [`TrimRule::inner_rect`].
    pub fn trim(&self, image: &LumaImage) -> LumaImage {
        let rect = self.inner_rect(image);
        if rect.width == image.width() && rect.height == image.height() {
            return image.clone();
        }
        image.crop(rect)
    }
}

/// `v.round().clamp(0.0, 255.0) as usize`, exactly (rounding half away from zero; NaN to 0),
/// without the `roundf` call that baseline x86-64 makes of `f32::round`: the histograms of the
/// trims read every pixel of every line they judge, and this was most of their time.
fn grey_level(v: f32) -> usize {
    if v.is_nan() || v <= 0.0 {
        return 0;
    }
    if v >= 255.0 {
        return 255;
    }
    // `v - whole` is exact for 0 < v < 255, so this is round-half-away-from-zero.
    let whole = v as u32;
    whole as usize + usize::from(v - whole as f32 >= 0.5)
}

/// Grey-level counts of one line.
struct Histogram {
    counts: [u32; 256],
    n: u32,
}

impl Histogram {
    /// Share of the line within `tolerance` levels of `level`.
    fn share_near(&self, level: usize, tolerance: u8) -> f32 {
        let t = usize::from(tolerance);
        let lo = level.saturating_sub(t);
        let hi = (level + t).min(255);
        let inside: u32 = self.counts[lo..=hi].iter().sum();
        inside as f32 / self.n.max(1) as f32
    }

    /// The centre of the window of `2·tolerance + 1` levels holding most of the line, and
    /// the share it holds.
    fn peak(&self, tolerance: u8) -> (usize, f32) {
        let span = 2 * usize::from(tolerance) + 1;
        let mut window: u32 = self.counts[..span].iter().sum();
        let (mut best, mut at) = (window, 0);
        for i in span..256 {
            window += self.counts[i];
            window -= self.counts[i - span];
            if window > best {
                (best, at) = (window, i + 1 - span);
            }
        }
        (at + span / 2, best as f32 / self.n.max(1) as f32)
    }
}

/// Trimming a background that is smooth but not flat: a desktop's gradient wallpaper around a
/// window, whose rows and columns each change level slowly along their length, so that no
/// level dominates a column of it and [`TrimRule`] keeps it all.
///
/// A line is a border line when at least `share` of the steps between neighbouring pixels
/// along it are at most `step` grey levels: a gradient, a flat bar with a few icons, or a
/// window's one-pixel outline (two steps) passes, a photograph's textured edge does not.
/// Edges are peeled in turn until none moves, each line judged over the span still kept, as
/// [`TrimRule::inner_rect`] does. A window's title bar (a flat bar with text) stops it, so
/// after the smooth lines a level rule (`then`) peels what is left, and the two alternate
/// until neither moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothTrim {
    /// Largest step between neighbouring pixels that counts as smooth (0–255 scale).
    pub step: f32,
    /// Share of a line's steps that must be smooth.
    pub share: f32,
    /// Most of each dimension that may be trimmed away in total.
    pub max_trim: f32,
    /// The level rule run on what the smooth lines leave.
    pub then: TrimRule,
}

impl SmoothTrim {
    /// `pdq-robust-v5`'s: steps of at most 4 levels (a gradient, and a codec's noise on it)
    /// in 97% of a line, then [`TrimRule::V2`] starting a run at a line 90% at one level, up to
    /// 4% in: the smooth lines take a title bar's flat rows above its text, so what is left
    /// starts with text (blended into the bar's level by a downscale, or not).
    pub const V5: SmoothTrim = SmoothTrim {
        step: 4.0,
        share: 0.97,
        max_trim: 0.8,
        then: TrimRule {
            uniform: 0.9,
            start_within: 0.04,
            ..TrimRule::V2
        },
    };

    /// The rectangle left after peeling smooth lines, then `then`'s border lines, off all
    /// four edges, in turn until neither moves.
    pub fn inner_rect(&self, image: &LumaImage) -> Rect {
        // The bound holds for the whole alternation, not for each step.
        let (min_w, min_h) = least_kept(image, self.max_trim);
        let within = |r: Rect| r.width >= min_w && r.height >= min_h;
        let mut rect = self.smooth_rect(image);
        if !within(rect) {
            return between(0, image.height(), 0, image.width());
        }
        for _ in 0..4 {
            let inner = offset(rect, self.then.inner_rect(&image.crop(rect)));
            let next = offset(inner, self.smooth_rect(&image.crop(inner)));
            if next == rect || !within(next) {
                break;
            }
            rect = next;
        }
        rect
    }

    /// The rectangle left after peeling smooth lines off all four edges.
    fn smooth_rect(&self, image: &LumaImage) -> Rect {
        let (w, h) = (image.width(), image.height());
        let (mut top, mut bottom, mut left, mut right) = (0, h, 0, w);
        let (min_w, min_h) = least_kept(image, self.max_trim);
        let row_smooth = |y: usize, l: usize, r: usize| {
            let row = &image.row(y)[l..r];
            self.smooth(row.windows(2).map(|p| (p[0], p[1])))
        };
        let column_smooth = |x: usize, t: usize, b: usize| {
            self.smooth((t + 1..b).map(|y| (image.get(x, y - 1), image.get(x, y))))
        };
        loop {
            let before = (top, bottom, left, right);
            while top + min_h < bottom && row_smooth(top, left, right) {
                top += 1;
            }
            while bottom > top + min_h && row_smooth(bottom - 1, left, right) {
                bottom -= 1;
            }
            while left + min_w < right && column_smooth(left, top, bottom) {
                left += 1;
            }
            while right > left + min_w && column_smooth(right - 1, top, bottom) {
                right -= 1;
            }
            if (top, bottom, left, right) == before {
                break;
            }
        }
        between(top, bottom, left, right)
    }

    fn smooth(&self, steps: impl Iterator<Item = (f32, f32)>) -> bool {
        let (mut small, mut n) = (0u32, 0u32);
        for (a, b) in steps {
            small += u32::from((a - b).abs() <= self.step);
            n += 1;
        }
        n > 0 && small as f32 >= self.share * n as f32
    }
}

/// `inner`, a rectangle of the crop `outer`, in the coordinates `outer` is in.
fn offset(outer: Rect, inner: Rect) -> Rect {
    Rect {
        x: outer.x + inner.x,
        y: outer.y + inner.y,
        ..inner
    }
}

/// The least width and height a trim may keep of `image` when it may remove `max_trim` of each.
fn least_kept(image: &LumaImage, max_trim: f32) -> (usize, usize) {
    let keep = |len: usize| ((len as f32 * (1.0 - max_trim)).ceil() as usize).max(1);
    (keep(image.width()), keep(image.height()))
}

/// The rectangle between rows `top..bottom` and columns `left..right`.
fn between(top: usize, bottom: usize, left: usize, right: usize) -> Rect {
    Rect {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    }
}
