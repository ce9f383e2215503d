/**
 * The submission hashes of the `pdq-robust-v6` profile (the default) and of `pdq-robust-v5` before it
 * (`quell_robust::Profile::submission_entries`): PDQ of an image, its turned copies, crops, tilts, trims and cuts, each
 * filed under a part, as a case sends them.
 *
 * Key decision: this is a bit-exact port of `quell-robust` (`crates/robust/src/{profile,luma,trim}.rs`), checked by
 * the committed golden vectors (`crates/robust/tests/golden/<profile>.lossless.txt`), not a look-alike: a
 * registry compares these hashes with ones the Rust code made, so any change to what is computed here is a new
 * profile version on both sides, never an edit of one. Every `f32` operation of the Rust is a float64 operation
 * rounded once with `Math.fround` (exact for + − × ÷ on float32 operands), images are `Float32Array`s (which round on
 * store), `f64` geometry stays float64, and the order of operations is Rust's: no reassociation, nothing fused.
 * Integer casts truncate (`as usize`), `.round()` rounds half away from zero (`roundHalfAway`).
 */

import { pdqDihedralFromLuma, pdqFromLuma, type PdqResult } from "./pdq";
import { MIN_QUALITY } from "./protocol";

const fround = Math.fround;

/** The part of an image's registered hashes a hash is filed under (`quell_hash::Part`). */
export type Part = "whole" | "variant" | "cut";

/** One registered hash: its part, its 64 hex digits and its PDQ quality (0–100). */
export type FiledHash = { part: Part; hex: string; quality: number };

/** A row-major float32 luminance image (`LumaImage`). */
export interface Luma {
  width: number;
  height: number;
  data: Float32Array;
}

/** A rectangle of pixels (`Rect`). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One side of an image (`Side`). */
export type Side = "top" | "bottom" | "left" | "right";

/** All four sides, in `Side::ALL` order (the order hashes of one-side crops are made in). */
const SIDES: readonly Side[] = ["top", "bottom", "left", "right"];

/**
 * Rust's `f64::round`: to the nearest integer, halves away from zero (JavaScript's `Math.round` takes halves up,
 * and `Math.floor(x + 0.5)` errs just below a half). `x - trunc(x)` is exact, so the comparison is too.
 */
export function roundHalfAway(x: number): number {
  const whole = Math.trunc(x);
  const rest = x - whole;
  if (rest >= 0.5) return whole + 1;
  if (rest <= -0.5) return whole - 1;
  return whole;
}

/** Rust's `usize::div_ceil` on non-negative integers. */
function divCeil(a: number, b: number): number {
  return Math.trunc((a + b - 1) / b);
}

/** Whether two rectangles are the same (Rust's derived `==`). */
function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

/** The whole of an image as a rectangle (`SmallCopy::whole`). */
function wholeRect(image: Luma): Rect {
  return { x: 0, y: 0, width: image.width, height: image.height };
}

/** The sub-rectangle `rect` of an image, copied (`LumaImage::crop`). Throws if it does not lie inside. */
export function crop(image: Luma, rect: Rect): Luma {
  if (rect.x + rect.width > image.width || rect.y + rect.height > image.height) {
    throw new Error(`${JSON.stringify(rect)} outside ${image.width}x${image.height}`);
  }
  const data = new Float32Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * image.width + rect.x;
    data.set(image.data.subarray(from, from + rect.width), y * rect.width);
  }
  return { width: rect.width, height: rect.height, data };
}

/** The central `fx` of the width and `fy` of the height (`LumaImage::centre_crop_axes`; `centre_crop` is fx = fy). */
export function centreCrop(image: Luma, fx: number, fy: number): Luma {
  const w = Math.min(Math.max(roundHalfAway(image.width * fx), 1), image.width);
  const h = Math.min(Math.max(roundHalfAway(image.height * fy), 1), image.height);
  const [x, y] = [Math.trunc((image.width - w) / 2), Math.trunc((image.height - h) / 2)];
  return crop(image, { x, y, width: w, height: h });
}

/** The image without `fraction` of its extent on one side (`LumaImage::side_crop`). */
export function sideCrop(image: Luma, side: Side, fraction: number): Luma {
  const { width: w, height: h } = image;
  const cutW = roundHalfAway(w * fraction);
  const cutH = roundHalfAway(h * fraction);
  switch (side) {
    case "top":
      return crop(image, { x: 0, y: cutH, width: w, height: h - cutH });
    case "bottom":
      return crop(image, { x: 0, y: 0, width: w, height: h - cutH });
    case "left":
      return crop(image, { x: cutW, y: 0, width: w - cutW, height: h });
    case "right":
      return crop(image, { x: 0, y: 0, width: w - cutW, height: h });
  }
}

/**
 * The image inside a frame `thickness` pixels wide of luminance `level` on the chosen sides (`LumaImage::pad`): what a
 * border or letterbox of that colour does to it.
 */
export function pad(image: Luma, level: number, thickness: number, sides: readonly Side[]): Luma {
  const t = (s: Side): number => (sides.includes(s) ? thickness : 0);
  const [top, bottom, left, right] = [t("top"), t("bottom"), t("left"), t("right")];
  const w = image.width + left + right;
  const h = image.height + top + bottom;
  const data = new Float32Array(w * h).fill(level);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width, (y + 1) * image.width), (y + top) * w + left);
  }
  return { width: w, height: h, data };
}

/** Source index range of each of `out` output samples over `n` input samples: an area average's footprints (`bins`). */
function bins(n: number, out: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.trunc((i * n) / out);
    ranges.push([start, Math.max(Math.trunc(((i + 1) * n) / out), start + 1)]);
  }
  return ranges;
}

/**
 * The area-averaged copy whose longer side is at most `maxSide` (`LumaImage::shrink`, the `Fold` of `ShrinkingRows`),
 * or a copy if the image is no larger. Sums run down each source column over an output row's rows first, then across
 * the output column's footprint: that order is part of the profile (`downscale` sums the other way round).
 */
export function shrink(image: Luma, maxSide: number): Luma {
  const { width: w, height: h } = image;
  const longer = Math.max(w, h);
  const copy = longer <= maxSide || maxSide === 0 || w === 0 || h === 0;
  const ow = copy ? w : Math.max(divCeil(w * maxSide, longer), 1);
  const oh = copy ? h : Math.max(divCeil(h * maxSide, longer), 1);
  const columns = bins(w, ow);
  const data = new Float32Array(ow * oh);
  const sums = new Float32Array(w);
  let at = 0;
  for (const [y0, y1] of bins(h, oh)) {
    sums.fill(0);
    for (let y = y0; y < y1; y++) {
      const row = y * w;
      // A Float32Array element rounds the float64 sum once: float32 addition.
      for (let x = 0; x < w; x++) sums[x] += image.data[row + x];
    }
    for (const [x0, x1] of columns) {
      let across = sums[x0];
      for (let x = x0 + 1; x < x1; x++) across = fround(across + sums[x]);
      data[at++] = across / ((x1 - x0) * (y1 - y0));
    }
  }
  return { width: ow, height: oh, data };
}

/**
 * The image rotated by `degrees` counter-clockwise about its centre, sampled (bilinear) on an `ow` × `oh` canvas
 * centred on it (`LumaImage::rotated`): pixels from outside the image are `fill`, or with null the nearest edge pixel.
 * The geometry is float64 and the samples float32, as in Rust.
 */
/** The bits of a float64. */
const fromBits = (bits: bigint): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
};

/** glibc's sine and cosine of the profile's tilts (±3.5° and ±4.5°), which Rust fixes too (`sin_cos_degrees`). */
const FIXED_TILTS: [number, number, number][] = [
  [4.5, fromBits(0x3fb415e532398e49n), fromBits(0x3fefe6bf2e2660afn)],
  [3.5, fromBits(0x3faf41c1118aa2cdn), fromBits(0x3feff0b86387164an)],
];

/**
 * The sine and cosine of `degrees` (`sin_cos_degrees`), the same in every browser for the profile's tilts: fixed as
 * glibc computes them, since JavaScript does not require `Math.sin` and `Math.cos` to round the same everywhere.
 * Any other angle is computed, with Rust's `f64::to_radians` (one product with π/180).
 */
export function sinCosDegrees(degrees: number): [number, number] {
  for (const [angle, sin, cos] of FIXED_TILTS) {
    if (Math.abs(degrees) === angle) return [degrees < 0 ? -sin : sin, cos];
  }
  const radians = degrees * (Math.PI / 180);
  return [Math.sin(radians), Math.cos(radians)];
}

function rotated(image: Luma, degrees: number, ow: number, oh: number, fill: number | null): Luma {
  const { width: w, height: h, data: src } = image;
  const [sin, cos] = sinCosDegrees(degrees);
  const [cx, cy] = [w / 2, h / 2];
  const [ocx, ocy] = [ow / 2, oh / 2];
  const [maxX, maxY] = [w - 1, h - 1];
  const data = new Float32Array(ow * oh);
  let at = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const dx = x + 0.5 - ocx;
      const dy = y + 0.5 - ocy;
      // Inverse rotation: where in the source this output pixel comes from.
      const sx = cos * dx - sin * dy + cx - 0.5;
      const sy = sin * dx + cos * dy + cy - 0.5;
      if (fill !== null && (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5)) {
        data[at++] = fill;
        continue;
      }
      // `LumaImage::bilinear`, with `f64::clamp`'s comparisons (a -0 stays -0).
      const bx = sx < 0 ? 0 : sx > maxX ? maxX : sx;
      const by = sy < 0 ? 0 : sy > maxY ? maxY : sy;
      const x0 = Math.floor(bx);
      const y0 = Math.floor(by);
      const x1 = Math.min(x0 + 1, maxX);
      const y1 = Math.min(y0 + 1, maxY);
      const fx = fround(bx - x0);
      const fy = fround(by - y0);
      const gx = fround(1 - fx);
      const gy = fround(1 - fy);
      const top = fround(fround(src[y0 * w + x0] * gx) + fround(src[y0 * w + x1] * fx));
      const bottom = fround(fround(src[y1 * w + x0] * gx) + fround(src[y1 * w + x1] * fx));
      data[at++] = fround(fround(top * gy) + fround(bottom * fy));
    }
  }
  return { width: ow, height: oh, data };
}

/** Rotated on a same-size canvas, the uncovered corners `fill` (`LumaImage::rotate_filled`): a tilted re-post. */
export function rotateFilled(image: Luma, degrees: number, fill: number): Luma {
  return rotated(image, degrees, image.width, image.height, fill);
}

/**
 * Rotated on a canvas grown to hold the whole rotated image, the corners `fill` (`LumaImage::rotate_expanded`): what
 * ImageMagick's `-rotate` and Pillow's `rotate(expand=True)` make of a tilt.
 */
export function rotateExpanded(image: Luma, degrees: number, fill: number): Luma {
  const [w, h] = [image.width, image.height];
  const [s, c] = sinCosDegrees(degrees).map(Math.abs);
  return rotated(image, degrees, Math.ceil(w * c + h * s), Math.ceil(w * s + h * c), fill);
}

/**
 * Rotated, then cut to the largest centred rectangle of the original's aspect holding no pixel from outside
 * (`LumaImage::rotate_inscribed`): a tilted re-post with its fill corners cropped away.
 */
export function rotateInscribed(image: Luma, degrees: number): Luma {
  const [w, h] = [image.width, image.height];
  const [s, c] = sinCosDegrees(degrees).map(Math.abs);
  const k = Math.min(w / (w * c + h * s), h / (w * s + h * c));
  return rotated(image, degrees, Math.max(Math.floor(w * k), 1), Math.max(Math.floor(h * k), 1), null);
}

/** The parameters of border trimming (`TrimRule`); the shares are float32, as in Rust. */
export interface TrimRule {
  /** Share of a line within `tolerance` of the run's level for the line to continue a border run. */
  dominance: number;
  /** Grey levels either side of "the same level". */
  tolerance: number;
  /** Most of each dimension that may be trimmed away in total. */
  maxTrim: number;
  /** Longest run of lines (a share of the dimension) a run may jump to a uniform line of its level. */
  bridge: number;
  /** How far in (a share of the dimension) a run may start when the edge line is not uniform. */
  startWithin: number;
  /** Share of a line at one level that makes it uniform: what a run starts at and a jump lands on. */
  uniform: number;
}

/** `TrimRule::V1`. */
export const TRIM_V1: TrimRule = {
  dominance: fround(0.6),
  tolerance: 12,
  maxTrim: fround(0.8),
  bridge: 0,
  startWithin: 0,
  uniform: fround(0.97),
};

/** `TrimRule::V2`: V1 that jumps over up to 4% of the dimension between uniform lines of the run's level. */
export const TRIM_V2: TrimRule = { ...TRIM_V1, bridge: fround(0.04) };

/** `TrimRule::V3_STRICT`: `STRICT` (runs go on while lines are 90% at their level) with V2's bridge, starting 4% in. */
export const TRIM_V3_STRICT: TrimRule = {
  dominance: fround(0.9),
  tolerance: 12,
  maxTrim: fround(0.8),
  bridge: fround(0.04),
  startWithin: fround(0.04),
  uniform: fround(0.97),
};

/** `TrimRule::TIGHT`: V3_STRICT at ±3 levels. */
export const TRIM_TIGHT: TrimRule = { ...TRIM_V3_STRICT, tolerance: 3 };

/** `v.round().clamp(0, 255)` of a float32 luminance, NaN to 0 (`grey_level`). */
function greyLevel(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  const whole = Math.trunc(v);
  return v - whole >= 0.5 ? whole + 1 : whole;
}

/** Grey-level counts of one line (`Histogram`); one is refilled for each line judged. */
class Histogram {
  readonly counts = new Uint32Array(256);
  n = 0;

  /** Counts row `y` between columns `l` and `r`. */
  ofRow(image: Luma, y: number, l: number, r: number): this {
    this.counts.fill(0);
    const at = y * image.width;
    for (let x = l; x < r; x++) this.counts[greyLevel(image.data[at + x])]++;
    this.n = r - l;
    return this;
  }

  /** Counts column `x` between rows `t` and `b`. */
  ofColumn(image: Luma, x: number, t: number, b: number): this {
    this.counts.fill(0);
    for (let y = t; y < b; y++) this.counts[greyLevel(image.data[y * image.width + x])]++;
    this.n = b - t;
    return this;
  }

  /** Share of the line within `tolerance` levels of `level` (float32). */
  shareNear(level: number, tolerance: number): number {
    const hi = Math.min(level + tolerance, 255);
    let inside = 0;
    for (let i = Math.max(level - tolerance, 0); i <= hi; i++) inside += this.counts[i];
    return fround(inside / Math.max(this.n, 1));
  }

  /** The centre of the window of `2·tolerance + 1` levels holding most of the line (the first such), and its share. */
  peak(tolerance: number): [number, number] {
    const span = 2 * tolerance + 1;
    let window = 0;
    for (let i = 0; i < span; i++) window += this.counts[i];
    let best = window;
    let at = 0;
    for (let i = span; i < 256; i++) {
      window += this.counts[i] - this.counts[i - span];
      if (window > best) [best, at] = [window, i + 1 - span];
    }
    return [at + Math.trunc(span / 2), fround(best / Math.max(this.n, 1))];
  }
}

/**
 * Whether a line continues the current border run at `level` or starts a new one (`TrimRule::continues`): the run's
 * level after it, or null when it does neither (the level then stays).
 */
function continues(rule: TrimRule, hist: Histogram, level: number | null): number | null {
  if (level !== null && hist.shareNear(level, rule.tolerance) >= rule.dominance) return level;
  const [l, share] = hist.peak(rule.tolerance);
  return share >= rule.uniform ? l : null;
}

/**
 * Whether a jump may land on this line (`TrimRule::lands`): uniform at the run's level or, before any run, uniform at
 * all, which starts the run there. The run's level after it, or null when it may not.
 */
function lands(rule: TrimRule, hist: Histogram, level: number | null): number | null {
  if (level !== null) return hist.shareNear(level, rule.tolerance) >= rule.uniform ? level : null;
  const [l, share] = hist.peak(rule.tolerance);
  return share >= rule.uniform ? l : null;
}

/**
 * Advances a top or left `edge` while lines are border lines, up to `limit`, jumping over at most `bridge` lines to a
 * uniform line of the run's level, or, before any run, at most `start` lines to a uniform line (`TrimRule::peel`).
 * `line(i)` is the histogram of line `i`. Returns the new edge.
 */
function peel(
  rule: TrimRule,
  edge: number,
  limit: number,
  bridge: number,
  start: number,
  line: (i: number) => Histogram,
): number {
  let level: number | null = null;
  while (edge < limit) {
    const next = continues(rule, line(edge), level);
    if (next !== null) {
      level = next;
      edge++;
      continue;
    }
    const gap = level !== null ? bridge : start;
    let landed = 0;
    for (let k = 1; k <= gap && edge + k < limit; k++) {
      const at = lands(rule, line(edge + k), level);
      if (at !== null) {
        level = at;
        landed = k;
        break;
      }
    }
    if (landed === 0) break;
    edge += landed + 1;
  }
  return edge;
}

/**
 * Moves a bottom or right `edge` (exclusive) back while lines are border lines, jumping as `peel` does
 * (`TrimRule::peel_back`); `line(e)` is the histogram of the line before bound `e`. Returns the new edge.
 */
function peelBack(
  rule: TrimRule,
  edge: number,
  limit: number,
  bridge: number,
  start: number,
  line: (e: number) => Histogram,
): number {
  let level: number | null = null;
  while (edge > limit) {
    const next = continues(rule, line(edge), level);
    if (next !== null) {
      level = next;
      edge--;
      continue;
    }
    const gap = level !== null ? bridge : start;
    let landed = 0;
    for (let k = 1; k <= gap && edge > limit + k; k++) {
      const at = lands(rule, line(edge - k), level);
      if (at !== null) {
        level = at;
        landed = k;
        break;
      }
    }
    if (landed === 0) break;
    edge -= landed + 1;
  }
  return edge;
}

/** The least width and height a trim may keep when it may remove `maxTrim` of each (`least_kept`). */
function leastKept(image: Luma, maxTrim: number): [number, number] {
  const keep = (len: number): number => Math.max(Math.ceil(fround(len * fround(1 - maxTrim))), 1);
  return [keep(image.width), keep(image.height)];
}

/** The rectangle between rows `top..bottom` and columns `left..right` (`between`). */
function between(top: number, bottom: number, left: number, right: number): Rect {
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The rectangle left after peeling border lines off all four edges in turn until none moves, each line judged over
 * the columns (or rows) still kept (`TrimRule::inner_rect`).
 */
export function innerRect(rule: TrimRule, image: Luma): Rect {
  const { width: w, height: h } = image;
  let [top, bottom, left, right] = [0, h, 0, w];
  const [minW, minH] = leastKept(image, rule.maxTrim);
  const [gapW, gapH] = [Math.trunc(fround(w * rule.bridge)), Math.trunc(fround(h * rule.bridge))];
  const [startW, startH] = [Math.trunc(fround(w * rule.startWithin)), Math.trunc(fround(h * rule.startWithin))];
  const hist = new Histogram();
  for (;;) {
    const before = [top, bottom, left, right];
    top = peel(rule, top, bottom - Math.min(minH, bottom), gapH, startH, (y) => hist.ofRow(image, y, left, right));
    bottom = peelBack(rule, bottom, top + minH, gapH, startH, (y) => hist.ofRow(image, y - 1, left, right));
    left = peel(rule, left, right - Math.min(minW, right), gapW, startW, (x) => hist.ofColumn(image, x, top, bottom));
    right = peelBack(rule, right, left + minW, gapW, startW, (x) => hist.ofColumn(image, x - 1, top, bottom));
    if (before[0] === top && before[1] === bottom && before[2] === left && before[3] === right) break;
  }
  return between(top, bottom, left, right);
}

/** The image inside `innerRect` (`TrimRule::trim`): the image itself when nothing comes off. */
export function trim(rule: TrimRule, image: Luma): Luma {
  const rect = innerRect(rule, image);
  return rect.width === image.width && rect.height === image.height ? image : crop(image, rect);
}

/** The level within ±tolerance of which at least `dominance` of `line` lies, if any (`TrimRule::dominant_level`). */
function dominantLevel(rule: TrimRule, line: Float32Array): number | null {
  const hist = new Histogram();
  for (const v of line) hist.counts[greyLevel(v)]++;
  hist.n = line.length;
  const [level, share] = hist.peak(rule.tolerance);
  return share >= rule.dominance ? level : null;
}

/** Trimming a smooth background such as a gradient wallpaper (`SmoothTrim`). */
interface SmoothTrim {
  /** Largest step between neighbouring pixels that counts as smooth. */
  step: number;
  /** Share of a line's steps that must be smooth (float32). */
  share: number;
  /** Most of each dimension that may be trimmed away in total (float32). */
  maxTrim: number;
  /** The level rule run on what the smooth lines leave. */
  then: TrimRule;
}

/** `SmoothTrim::V5`: steps of at most 4 levels in 97% of a line, then V2 starting a run at a 90% line up to 4% in. */
const SMOOTH_V5: SmoothTrim = {
  step: 4,
  share: fround(0.97),
  maxTrim: fround(0.8),
  then: { ...TRIM_V2, uniform: fround(0.9), startWithin: fround(0.04) },
};

/** `inner`, a rectangle of the crop `outer`, in the coordinates `outer` is in (`offset`). */
function offset(outer: Rect, inner: Rect): Rect {
  return { ...inner, x: outer.x + inner.x, y: outer.y + inner.y };
}

/**
 * The rectangle left after peeling smooth lines, then `then`'s border lines, off all four edges, in turn until neither
 * moves (at most four rounds), within the bound of `maxTrim` over the whole alternation (`SmoothTrim::inner_rect`).
 */
function smoothInnerRect(trimRule: SmoothTrim, image: Luma): Rect {
  const [minW, minH] = leastKept(image, trimRule.maxTrim);
  const within = (r: Rect): boolean => r.width >= minW && r.height >= minH;
  let rect = smoothRect(trimRule, image);
  if (!within(rect)) return between(0, image.height, 0, image.width);
  for (let round = 0; round < 4; round++) {
    const inner = offset(rect, innerRect(trimRule.then, crop(image, rect)));
    const next = offset(inner, smoothRect(trimRule, crop(image, inner)));
    if (sameRect(next, rect) || !within(next)) break;
    rect = next;
  }
  return rect;
}

/** The rectangle left after peeling smooth lines off all four edges in turn until none moves (`smooth_rect`). */
function smoothRect(trimRule: SmoothTrim, image: Luma): Rect {
  const { width: w, height: h, data } = image;
  let [top, bottom, left, right] = [0, h, 0, w];
  const [minW, minH] = leastKept(image, trimRule.maxTrim);
  // Whether at least `share` of a line's `n` steps are smooth (`SmoothTrim::smooth`).
  const smooth = (small: number, n: number): boolean => n > 0 && small >= fround(trimRule.share * n);
  const rowSmooth = (y: number, l: number, r: number): boolean => {
    let small = 0;
    for (let x = l + 1; x < r; x++) {
      if (Math.abs(fround(data[y * w + x - 1] - data[y * w + x])) <= trimRule.step) small++;
    }
    return smooth(small, Math.max(r - l - 1, 0));
  };
  const columnSmooth = (x: number, t: number, b: number): boolean => {
    let small = 0;
    for (let y = t + 1; y < b; y++) {
      if (Math.abs(fround(data[(y - 1) * w + x] - data[y * w + x])) <= trimRule.step) small++;
    }
    return smooth(small, Math.max(b - t - 1, 0));
  };
  for (;;) {
    const before = [top, bottom, left, right];
    while (top + minH < bottom && rowSmooth(top, left, right)) top++;
    while (bottom > top + minH && rowSmooth(bottom - 1, left, right)) bottom--;
    while (left + minW < right && columnSmooth(left, top, bottom)) left++;
    while (right > left + minW && columnSmooth(right - 1, top, bottom)) right--;
    if (before[0] === top && before[1] === bottom && before[2] === left && before[3] === right) break;
  }
  return between(top, bottom, left, right);
}

/** Centre crops registered by v1's part of the profile: the kept share of each side. */
const CENTRE_CROPS = [0.95, 0.925, 0.9, 0.875, 0.85, 0.825, 0.8, 0.775, 0.75, 0.725, 0.7];
/** Share of the extent removed by each one-side crop. */
const SIDE_CROP = 0.15;
/** Tilts, in degrees. */
const TILTS = [-4.5, -3.5, 3.5, 4.5];
/** Share of one side cut away to leave a corner logo out. */
const LOGO_CUT = 0.25;
/** Shares of one side `pdq-robust-v6` also cuts away (`DEEP_CUTS`): a sticker over a corner. */
const DEEP_CUTS = [0.4, 0.55] as const;

/** The profiles this port computes, and what v6 adds to v5 at submission (`Recipe::deep_cuts`). */
export type RobustProfile = "pdq-robust-v5" | "pdq-robust-v6";
const PROFILE_DEEP_CUTS: Record<RobustProfile, readonly number[]> = {
  "pdq-robust-v5": [],
  "pdq-robust-v6": DEEP_CUTS,
};
/** Levels of the simulated borders besides the image's own edge levels: black, #121212, white. */
const BORDER_LEVELS = [0, 18, 255];
/** Longer side of the copy trims and edge levels are decided on. */
const DECIDE_SIDE = 512;
/** Longer side of the copy (of the decision copy) sub-regions are hashed from. */
const SMALL_SIDE = 256;
/** Width of the simulated borders, in pixels of the decision copy (`V3_PAD`). */
const PAD = 2;
/** Width of the simulated wide canvas, as a share of the decision copy's longer side (`V3_CANVAS`). */
const CANVAS = 0.2;
/** Shares of each axis kept by the centre crops to another aspect ratio, in every unequal pair. */
const ASPECT_CROPS = [0.9, 0.85, 0.8, 0.75, 0.7];
/** The rules after V2 (`Recipe::V5.strict`). */
const STRICT_RULES: readonly TrimRule[] = [TRIM_V3_STRICT, TRIM_TIGHT];

/** PDQ of an image (`quell_pdq::hash`). */
function hash(image: Luma): PdqResult {
  return pdqFromLuma(image.data, image.width, image.height);
}

/** Appends `image`'s 8 dihedral hashes as whole-part entries (`push_whole` with `turned`). */
function pushWhole(out: FiledHash[], image: Luma): void {
  const { hexes, quality } = pdqDihedralFromLuma(image.data, image.width, image.height);
  for (const hex of hexes) out.push({ part: "whole", hex, quality });
}

/** Appends a hash under `part`. */
function pushHash(out: FiledHash[], part: Part, h: PdqResult): void {
  out.push({ part, hex: h.hex, quality: h.quality });
}

/**
 * v1's hashes at full resolution (`v1_parts` with `turned` and `side_cuts`): for the image and, when `TRIM_V1` removes
 * something, its trim: the 8 turned hashes, the centre crops, the one-side crops (filed as variant and as cut) and the
 * tilts on black, trimmed again.
 */
function v1Parts(image: Luma, progress: (done: number) => void): FiledHash[] {
  const trimmed = trim(TRIM_V1, image);
  const bases = [image];
  if (trimmed.width !== image.width || trimmed.height !== image.height) bases.push(trimmed);
  const out: FiledHash[] = [];
  // Most of the work: one hash of each base's crops and tilts at full size, counted for progress.
  const steps = bases.length * (1 + CENTRE_CROPS.length + SIDES.length + TILTS.length);
  let done = 0;
  const step = (): void => progress(++done / (steps + 1));
  for (const base of bases) {
    pushWhole(out, base);
    step();
    for (const f of CENTRE_CROPS) {
      pushHash(out, "variant", hash(centreCrop(base, f, f)));
      step();
    }
    for (const side of SIDES) {
      const h = hash(sideCrop(base, side, SIDE_CROP));
      pushHash(out, "variant", h);
      pushHash(out, "cut", h);
      step();
    }
    for (const degrees of TILTS) {
      pushHash(out, "variant", hash(trim(TRIM_V1, rotateFilled(base, degrees, 0))));
      step();
    }
  }
  return out;
}

/**
 * The part of the small copy inside `rect` (pixels of the decision copy, `full` wide and high), rounded inwards so no
 * pixel from outside it leaks in (`SmallCopy::crop`).
 */
function smallCrop(full: Luma, small: Luma, rect: Rect): Luma {
  const span = (start: number, len: number, fullLen: number, smallLen: number): [number, number] => {
    const a = divCeil(start * smallLen, fullLen);
    const b = Math.min(Math.max(Math.trunc(((start + len) * smallLen) / fullLen), a + 1), smallLen);
    return [Math.min(a, smallLen - 1), b];
  };
  const [x0, x1] = span(rect.x, rect.width, full.width, small.width);
  const [y0, y1] = span(rect.y, rect.height, full.height, small.height);
  return crop(small, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
}

/** The level dominating each of the image's four edge lines, where one does (`edge_levels`). */
function edgeLevels(image: Luma): number[] {
  const { width: w, height: h, data } = image;
  const column = (x: number): Float32Array => Float32Array.from({ length: h }, (_, y) => data[y * w + x]);
  const lines = [data.subarray(0, w), data.subarray((h - 1) * w, h * w), column(0), column(w - 1)];
  return lines.map((line) => dominantLevel(TRIM_V1, line)).filter((level): level is number => level !== null);
}

/**
 * What other tools make of a tilt or a crop (`tool_variants`): from the decision copy, for each tilt, white corners
 * trimmed; black and white corners on a grown canvas, as is and after the loose trim; the inner rectangle. From the
 * small copy, centre crops keeping unequal shares of the two axes.
 */
function toolVariants(decide: Luma, small: Luma): PdqResult[] {
  const out: PdqResult[] = [];
  for (const degrees of TILTS) {
    out.push(hash(trim(TRIM_V1, rotateFilled(decide, degrees, 255))));
    for (const fill of [0, 255]) {
      const grown = rotateExpanded(decide, degrees, fill);
      out.push(hash(grown));
      out.push(hash(trim(TRIM_V2, grown)));
    }
    out.push(hash(rotateInscribed(decide, degrees)));
  }
  for (const fx of ASPECT_CROPS) {
    for (const fy of ASPECT_CROPS) {
      if (fx !== fy) out.push(hash(centreCrop(small, fx, fy)));
    }
  }
  return out;
}

/**
 * The hashes beyond v1's (`small_copy_extras` with `Recipe::V5` or `V6`), every rectangle decided on `decide` (the
 * 512 px copy) and hashed from `small` (its 256 px copy): the cuts of the image and its loose trim (v6: then its deeper
 * cuts, `deepCuts`); the image's trims by every rule
 * (8 turned hashes each); the image inside thin borders and a wide canvas of a few levels, trimmed again by every rule;
 * the tool variants.
 */
function smallCopyExtras(decide: Luma, small: Luma, deepCuts: readonly number[]): FiledHash[] {
  const whole = wholeRect(decide);
  const loose = innerRect(TRIM_V2, decide);
  const out: FiledHash[] = [];
  const bases = [whole, loose].map((rect) => smallCrop(decide, small, rect));
  for (const base of bases) {
    for (const side of SIDES) pushHash(out, "cut", hash(sideCrop(base, side, LOGO_CUT)));
  }
  for (const base of bases) {
    for (const share of deepCuts) {
      for (const side of SIDES) pushHash(out, "cut", hash(sideCrop(base, side, share)));
    }
  }
  const levels = [...BORDER_LEVELS, ...edgeLevels(decide)];
  // v1's hashes already cover the whole image and its v1 trim.
  const seen = [whole, innerRect(TRIM_V1, decide)];
  const rects: [Part, Rect][] = [["whole", loose]];
  for (const rule of STRICT_RULES) rects.push(["whole", innerRect(rule, decide)]);
  rects.push(["whole", smoothInnerRect(SMOOTH_V5, decide)]);
  const wide = roundHalfAway(Math.max(decide.width, decide.height) * CANVAS);
  const framings: [readonly Side[], number][] = [
    [SIDES, PAD],
    [["top", "bottom"], PAD],
    [["left", "right"], PAD],
    [SIDES, Math.max(wide, PAD)],
  ];
  for (const level of levels) {
    for (const [sides, thickness] of framings) {
      const padded = pad(decide, level, thickness, sides);
      const t = (side: Side): number => (sides.includes(side) ? thickness : 0);
      for (const rule of [TRIM_V2, ...STRICT_RULES]) {
        const rect = innerRect(rule, padded);
        // Back to the image's coordinates; a trim that stopped inside the pad leaves that side whole.
        const [x0, y0] = [Math.max(rect.x, t("left")), Math.max(rect.y, t("top"))];
        const x1 = Math.min(rect.x + rect.width, padded.width - t("right"));
        const y1 = Math.min(rect.y + rect.height, padded.height - t("bottom"));
        if (x1 > x0 && y1 > y0) {
          rects.push(["variant", { x: x0 - t("left"), y: y0 - t("top"), width: x1 - x0, height: y1 - y0 }]);
        }
      }
    }
  }
  for (const [part, rect] of rects) {
    if (seen.some((r) => sameRect(r, rect))) continue;
    seen.push(rect);
    const cut = smallCrop(decide, small, rect);
    if (part === "whole") pushWhole(out, cut);
    else pushHash(out, part, hash(cut));
  }
  for (const h of toolVariants(decide, small)) pushHash(out, "variant", h);
  return out;
}

/**
 * `profile`'s submission hashes of one image, in the Rust order, with Rust's filtering (below quality 50 left out
 * except the first, duplicates of (part, hash) dropped). `progress` is told the share of the work done (0 to 1) as it
 * goes: a 12 MP photo takes seconds.
 */
export function robustSubmission(
  profile: RobustProfile,
  luma: Float32Array,
  width: number,
  height: number,
  progress: (done: number) => void = () => {},
): FiledHash[] {
  if (luma.length !== width * height) {
    throw new Error(`luma buffer has ${luma.length} values, expected ${width}x${height}`);
  }
  const image: Luma = { width, height, data: luma };
  const decide = shrink(image, DECIDE_SIDE);
  const extras = smallCopyExtras(decide, shrink(decide, SMALL_SIDE), PROFILE_DEEP_CUTS[profile]);
  const all = [...v1Parts(image, progress), ...extras];
  // The image's own first hash is kept whatever its quality (it decides whether the image is registered at all);
  // as in Rust, a hash left out for its quality is not recorded as seen.
  const seen = new Set<string>();
  return all.filter((entry, i) => {
    if (i > 0 && entry.quality < MIN_QUALITY) return false;
    const key = `${entry.part} ${entry.hex}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
