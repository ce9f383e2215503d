/**
 * PDQ (Meta's perceptual hash) in TypeScript, a literal port of the reference pipeline that
 * `quell-pdq` reproduces bit for bit: luma, two passes of a Jarosz box filter, 64×64
 * decimation, a 16×64 DCT matrix product, Torben's median and the gradient quality score.
 *
 * Key decision: every arithmetic step is float32, as in the C++. JavaScript numbers are float64,
 * so each +, −, ×, ÷ is followed by `Math.fround`; for these four operations rounding the exact
 * float64 result to float32 equals doing the operation in float32 (float64 has more than
 * 2·24+2 bits), so the result is the reference's bit for bit. The order of operations is the
 * reference's, and nothing is fused. Buffers are `Float32Array`s, which round on store.
 */

const fround = Math.fround;

/** Images with a side shorter than this hash to all zeros with quality 0 (`MIN_HASHABLE_DIM`). */
export const MIN_HASHABLE_SIDE = 5;

/** A PDQ hash as the standard 64 lowercase hex digits, with its quality (0–100). */
export interface PdqResult {
  hex: string;
  quality: number;
}

/**
 * The luminance of one 8-bit RGB pixel as the reference Python binding (and `quell-pdq`)
 * computes it: `(R·0.299 + G·0.587) + B·0.114` in float64, rounded once to float32.
 */
export function rgbLuma(r: number, g: number, b: number): number {
  return fround(r * 0.299 + g * 0.587 + b * 0.114);
}

/**
 * The luminance of interleaved 8-bit pixels with R, G, B first in each pixel (3 for RGB, 4 for
 * RGBA as canvas `getImageData` returns them). Further channels such as alpha are ignored, as
 * the reference ignores alpha rather than compositing it.
 */
export function lumaOf(pixels: ArrayLike<number>, width: number, height: number, channels: number): Float32Array {
  if (channels < 3) throw new Error(`need at least 3 channels per pixel, got ${channels}`);
  if (pixels.length < width * height * channels) {
    throw new Error(`pixel buffer too short for ${width}x${height}x${channels}: ${pixels.length} bytes`);
  }
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += channels) {
    out[i] = rgbLuma(pixels[p], pixels[p + 1], pixels[p + 2]);
  }
  return out;
}

/** The reference's `box1DFloat`: `len` samples from `start` with a stride, window `w`. */
function box1d(input: Float32Array, output: Float32Array, start: number, len: number, stride: number, w: number): void {
  const half = Math.floor((w + 2) / 2);
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = len - w;
  const p4 = half - 1;
  let li = start;
  let ri = start;
  let oi = start;
  let sum = 0;
  let cur = 0;
  for (let k = 0; k < p1; k++) {
    sum = fround(sum + input[ri]);
    cur++;
    ri += stride;
  }
  for (let k = 0; k < p2; k++) {
    sum = fround(sum + input[ri]);
    cur++;
    output[oi] = sum / cur;
    ri += stride;
    oi += stride;
  }
  for (let k = 0; k < p3; k++) {
    sum = fround(sum + input[ri]);
    sum = fround(sum - input[li]);
    output[oi] = sum / w;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (let k = 0; k < p4; k++) {
    sum = fround(sum - input[li]);
    cur--;
    output[oi] = sum / cur;
    li += stride;
    oi += stride;
  }
}

/** Torben's median, as the reference computes it (float32 midpoints). */
function torben(m: Float32Array): number {
  const n = m.length;
  let min = m[0];
  let max = m[0];
  for (let i = 1; i < n; i++) {
    const v = m[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const half = Math.floor((n + 1) / 2);
  for (;;) {
    const guess = fround(fround(min + max) / 2);
    let less = 0;
    let greater = 0;
    let equal = 0;
    let maxlt = min;
    let mingt = max;
    for (let i = 0; i < n; i++) {
      const v = m[i];
      if (v < guess) {
        less++;
        if (v > maxlt) maxlt = v;
      } else if (v > guess) {
        greater++;
        if (v < mingt) mingt = v;
      } else {
        equal++;
      }
    }
    if (less <= half && greater <= half) {
      if (less >= half) return maxlt;
      if (less + equal >= half) return guess;
      return mingt;
    } else if (less > greater) {
      max = maxlt;
    } else {
      min = mingt;
    }
  }
}

/** The 16×64 DCT basis, rows 1..16 of the 64-point DCT-II, as float32. */
const DCT: Float32Array = (() => {
  const scale = fround(Math.sqrt(2 / 64));
  const d = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      d[i * 64 + j] = scale * Math.cos(((Math.PI / 2 / 64) * (i + 1)) * (2 * j + 1));
    }
  }
  return d;
})();

/**
 * The PDQ hash of a luminance image (row-major, `width × height`), as the reference's
 * `pdqHash256FromFloatLuma` at full resolution (no pre-shrink).
 */
export function pdqFromLuma(luma: Float32Array, width: number, height: number): PdqResult {
  const dct = dct16(luma, width, height, true);
  if (dct === null) return { hex: "0".repeat(64), quality: 0 };
  return { hex: bitsAboveMedian(dct.b), quality: dct.quality };
}

/** The eight PDQ hashes of an image's rotations and reflections, with the quality they share. */
export interface PdqDihedral {
  /** In `quell_pdq::Dihedral::ALL` order: original, rotated 90°, 180°, 270°, flipped X, Y, about either diagonal. */
  hexes: string[];
  quality: number;
}

/**
 * The reference's `pdqDihedralHash256esFromFloatLuma` (`quell_pdq::hash_dihedral`): the seven extra hashes come from
 * the original's DCT (a flip changes the sign of half the basis functions, a transpose swaps the axes), so they
 * approximate the hashes of the turned images rather than equal them. Unlike `pdqFromLuma` it blurs an exact 64×64
 * image too, as the reference does.
 */
export function pdqDihedralFromLuma(luma: Float32Array, width: number, height: number): PdqDihedral {
  const dct = dct16(luma, width, height, false);
  if (dct === null) return { hexes: new Array<string>(8).fill("0".repeat(64)), quality: 0 };
  const hexes = DIHEDRAL.map((place) => {
    const turned = new Float32Array(256);
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        const v = dct.b[i * 16 + j];
        const [at, negate] = place(i, j);
        turned[at] = negate ? -v : v;
      }
    }
    return bitsAboveMedian(turned);
  });
  return { hexes, quality: dct.quality };
}

/** Whether an index is odd. */
const odd = (k: number): boolean => (k & 1) === 1;

/**
 * Where DCT coefficient (i, j) of the original goes under each symmetry, in `Dihedral::ALL` order, and whether it
 * changes sign (`Dihedral::transform`, the reference's `dct16OriginalTo*`).
 */
const DIHEDRAL: ((i: number, j: number) => [number, boolean])[] = [
  (i, j) => [i * 16 + j, false],
  (i, j) => [j * 16 + i, !odd(j)],
  (i, j) => [i * 16 + j, odd(i + j)],
  (i, j) => [j * 16 + i, !odd(i)],
  (i, j) => [i * 16 + j, !odd(i)],
  (i, j) => [i * 16 + j, !odd(j)],
  (i, j) => [j * 16 + i, false],
  (i, j) => [j * 16 + i, odd(i + j)],
];

/**
 * PDQ up to the median: the 16×16 DCT `b` (row-major) of the blurred and decimated 64×64 image, and its quality;
 * null for an image with a side under `MIN_HASHABLE_SIDE`. With `copy64` an exact 64×64 input is copied instead of
 * blurred (the reference's single-hash path; its dihedral path always blurs).
 */
function dct16(
  luma: Float32Array,
  width: number,
  height: number,
  copy64: boolean,
): { b: Float32Array; quality: number } | null {
  const cols = width;
  const rows = height;
  if (luma.length !== rows * cols) {
    throw new Error(`luma buffer has ${luma.length} values, expected ${cols}x${rows}`);
  }
  if (rows < MIN_HASHABLE_SIDE || cols < MIN_HASHABLE_SIDE) return null;
  // 64×64 decimated image, row-major.
  const a = new Float32Array(64 * 64);
  if (rows === 64 && cols === 64 && copy64) {
    // The reference copies an exact 64×64 input instead of blurring it.
    a.set(luma);
  } else {
    const buf1 = Float32Array.from(luma);
    const buf2 = new Float32Array(rows * cols);
    const wr = Math.floor((cols + 127) / 128);
    const wc = Math.floor((rows + 127) / 128);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < rows; i++) box1d(buf1, buf2, i * cols, cols, 1, wr);
      for (let j = 0; j < cols; j++) box1d(buf2, buf1, j, rows, cols, wc);
    }
    for (let i = 0; i < 64; i++) {
      const ini = Math.floor(((i + 0.5) * rows) / 64);
      for (let j = 0; j < 64; j++) {
        const inj = Math.floor(((j + 0.5) * cols) / 64);
        a[i * 64 + j] = buf1[ini * cols + inj];
      }
    }
  }

  let gradient = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      const d = fround(a[i * 64 + j] - a[(i + 1) * 64 + j]);
      gradient += Math.abs(Math.trunc(fround(fround(d * 100) / 255)));
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      const d = fround(a[i * 64 + j] - a[i * 64 + j + 1]);
      gradient += Math.abs(Math.trunc(fround(fround(d * 100) / 255)));
    }
  }
  const quality = Math.min(Math.trunc(gradient / 90), 100);

  // T = D·A (16×64), then B = T·Dᵀ (16×16), each sum accumulated in float32 in index order.
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = fround(s + fround(DCT[i * 64 + k] * a[k * 64 + j]));
      t[i * 64 + j] = s;
    }
  }
  const b = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = fround(s + fround(t[i * 64 + k] * DCT[j * 64 + k]));
      b[i * 16 + j] = s;
    }
  }
  return { b, quality };
}

/** The hash of a 16×16 DCT: bit k is set iff `b[k]` exceeds the median; bytes most significant first (hex order). */
function bitsAboveMedian(b: Float32Array): string {
  const median = torben(b);
  const bytes = new Uint8Array(32);
  for (let k = 0; k < 256; k++) {
    if (b[k] > median) bytes[31 - (k >> 3)] |= 1 << (k & 7);
  }
  return toHex(bytes);
}

/**
 * The luminance of interleaved 8-bit RGB as Meta's C++ computes it (`fillFloatLumaFromRGB`,
 * which vPDQ uses for every frame): `0.299f·R + 0.587f·G + 0.114f·B` with every product and sum
 * in float32. It differs from `lumaOf` (the Python binding's float64 form) in the last bit of
 * some pixels, which can flip a bit of a hash whose DCT value sits at the median.
 */
export function lumaOfFloat32(rgb: ArrayLike<number>, width: number, height: number, out: Float32Array): void {
  if (rgb.length < width * height * 3 || out.length < width * height) {
    throw new Error(`buffers too short for ${width}x${height}`);
  }
  const r = fround(0.299);
  const g = fround(0.587);
  const b = fround(0.114);
  for (let i = 0, p = 0; i < width * height; i++, p += 3) {
    out[i] = fround(fround(fround(r * rgb[p]) + fround(g * rgb[p + 1])) + fround(b * rgb[p + 2]));
  }
}

/** PDQ of interleaved 8-bit RGB(A) pixels. */
export function pdqFromPixels(pixels: ArrayLike<number>, width: number, height: number, channels: number): PdqResult {
  return pdqFromLuma(lumaOf(pixels, width, height, channels), width, height);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const v of bytes) s += v.toString(16).padStart(2, "0");
  return s;
}
