// The TypeScript pdq-robust-v6 (the default) and v5 against the Rust golden vectors on lossless PNGs (identical pixels): every submission
// line, in order. Plus the geometric steps against simple oracles, and the tilt trigonometry against glibc's.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { lumaOf, pdqDihedralFromLuma, pdqFromLuma } from "../src/pdq";
import { type Luma, centreCrop, crop, pad, type RobustProfile, robustSubmission, roundHalfAway, shrink, sideCrop, sinCosDegrees } from "../src/robust";
import { vectorsDir } from "./vectors";

const pdqDir = join(vectorsDir(), "pdq");
const goldenDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../crates/robust/tests/golden");

/** One image of a golden file: its path under the vectors' `pdq/` and its `submit` lines. */
interface GoldenImage {
  path: string;
  submit: string[];
}

/** The images of a golden file with their `submit` lines (`upload` lines are the upload side, not ported). */
function readGolden(name: string): GoldenImage[] {
  const images: GoldenImage[] = [];
  for (const line of readFileSync(join(goldenDir, name), "utf8").split("\n")) {
    if (line.startsWith("image ")) images.push({ path: line.slice("image ".length), submit: [] });
    else if (line.startsWith("submit ")) images[images.length - 1].submit.push(line);
  }
  return images;
}

/** The luminance of a PNG as `LumaImage::from_rgb` makes it: RGB of the 8-bit pixels, alpha dropped. */
function lumaOfPng(path: string): Luma {
  const png = PNG.sync.read(readFileSync(join(pdqDir, path)));
  return { width: png.width, height: png.height, data: lumaOf(png.data, png.width, png.height, 4) };
}

/** The first line where two lists differ, for a readable failure; null when equal. */
function firstDifference(got: string[], want: string[]): string | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) return `line ${i} of ${want.length}: got ${got[i]}, want ${want[i]}`;
  }
  return null;
}

for (const profile of ["pdq-robust-v6", "pdq-robust-v5"] satisfies RobustProfile[]) {
  describe(`${profile} submissions on the lossless golden images`, () => {
    const images = readGolden(`${profile}.lossless.txt`);
    it("has the 8 lossless images", () => expect(images.length).toBe(8));
    for (const { path, submit } of images) {
      it(`${path}: every submit line, in order`, () => {
        const { width, height, data } = lumaOfPng(path);
        const started = performance.now();
        const got = robustSubmission(profile, data, width, height).map((h) => `submit ${h.part} ${h.hex} ${h.quality}`);
        console.log(`${profile} ${path} (${width}x${height}): ${(performance.now() - started).toFixed(0)} ms`);
        expect(firstDifference(got, submit)).toBeNull();
        expect(got).toEqual(submit);
      });
    }
  });
}

describe("pdq-plain-v1 on the lossless golden images", () => {
  for (const { path, submit } of readGolden("pdq-plain-v1.lossless.txt")) {
    it(`${path}: the one submit line is pdqFromLuma's`, () => {
      const { width, height, data } = lumaOfPng(path);
      const { hex, quality } = pdqFromLuma(data, width, height);
      expect([`submit whole ${hex} ${quality}`]).toEqual(submit);
    });
  }
});

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A small image of random float32 levels. */
function randomImage(next: () => number, maxSide: number): Luma {
  const width = 1 + Math.floor(next() * maxSide);
  const height = 1 + Math.floor(next() * maxSide);
  return { width, height, data: Float32Array.from({ length: width * height }, () => next() * 255) };
}

/** The pixel at (x, y). */
const at = (image: Luma, x: number, y: number): number => image.data[y * image.width + x];

describe("geometric steps against oracles", () => {
  it("round halves away from zero, as Rust's f64::round", () => {
    const cases: [number, number][] = [
      [0.5, 1],
      [1.5, 2],
      [2.5, 3],
      [-0.5, -1],
      [-2.5, -3],
      [0.49999999999999994, 0],
      [2.4999999999999996, 2],
      [1600 * 0.15, 240],
      [1004 * 0.925, 929],
    ];
    for (const [x, want] of cases) expect(roundHalfAway(x)).toBe(want);
  });

  it("crop copies exactly the pixels of the rectangle", () => {
    const next = random(1);
    for (let n = 0; n < 200; n++) {
      const image = randomImage(next, 20);
      const x = Math.floor(next() * image.width);
      const y = Math.floor(next() * image.height);
      const width = Math.floor(next() * (image.width - x + 1));
      const height = Math.floor(next() * (image.height - y + 1));
      const cut = crop(image, { x, y, width, height });
      expect([cut.width, cut.height]).toEqual([width, height]);
      for (let j = 0; j < height; j++) {
        for (let i = 0; i < width; i++) expect(at(cut, i, j)).toBe(at(image, x + i, y + j));
      }
    }
    expect(() => crop({ width: 2, height: 2, data: new Float32Array(4) }, { x: 1, y: 0, width: 2, height: 1 })).toThrow(
      /outside 2x2/,
    );
  });

  it("pad frames the image with the level on the chosen sides only", () => {
    const next = random(2);
    const choices: Parameters<typeof pad>[3][] = [["top", "bottom", "left", "right"], ["top", "bottom"], ["left"], []];
    for (let n = 0; n < 100; n++) {
      const image = randomImage(next, 12);
      const sides = choices[n % choices.length];
      const thickness = Math.floor(next() * 4);
      const level = Math.floor(next() * 256);
      const framed = pad(image, level, thickness, sides);
      const [top, left] = [sides.includes("top") ? thickness : 0, sides.includes("left") ? thickness : 0];
      const right = sides.includes("right") ? thickness : 0;
      const bottom = sides.includes("bottom") ? thickness : 0;
      expect([framed.width, framed.height]).toEqual([image.width + left + right, image.height + top + bottom]);
      for (let y = 0; y < framed.height; y++) {
        for (let x = 0; x < framed.width; x++) {
          const inside = x >= left && y >= top && x < left + image.width && y < top + image.height;
          expect(at(framed, x, y)).toBe(inside ? at(image, x - left, y - top) : level);
        }
      }
    }
  });

  it("side and centre crops keep the rounded share, centred or against the other side", () => {
    const next = random(3);
    for (let n = 0; n < 100; n++) {
      const image = randomImage(next, 40);
      const { width: w, height: h } = image;
      const cutW = roundHalfAway(w * 0.25);
      const cutH = roundHalfAway(h * 0.25);
      expect(sideCrop(image, "top", 0.25)).toEqual(crop(image, { x: 0, y: cutH, width: w, height: h - cutH }));
      expect(sideCrop(image, "bottom", 0.25)).toEqual(crop(image, { x: 0, y: 0, width: w, height: h - cutH }));
      expect(sideCrop(image, "left", 0.25)).toEqual(crop(image, { x: cutW, y: 0, width: w - cutW, height: h }));
      expect(sideCrop(image, "right", 0.25)).toEqual(crop(image, { x: 0, y: 0, width: w - cutW, height: h }));
      const kw = Math.max(roundHalfAway(w * 0.85), 1);
      const kh = Math.max(roundHalfAway(h * 0.7), 1);
      const rect = { x: Math.floor((w - kw) / 2), y: Math.floor((h - kh) / 2), width: kw, height: kh };
      expect(centreCrop(image, 0.85, 0.7)).toEqual(crop(image, rect));
    }
  });

  it("shrink is the float32 mean of each footprint, summed down the columns first", () => {
    const next = random(4);
    for (let n = 0; n < 50; n++) {
      const image = randomImage(next, 30);
      const maxSide = 1 + Math.floor(next() * 30);
      const small = shrink(image, maxSide);
      const longer = Math.max(image.width, image.height);
      if (longer <= maxSide) {
        expect(small).toEqual(image);
        continue;
      }
      expect(Math.max(small.width, small.height)).toBe(maxSide);
      // Each output pixel on its own: its footprint's column sums, then their sum, over the pixel count.
      const edges = (n: number, out: number, i: number): [number, number] => {
        const start = Math.floor((i * n) / out);
        return [start, Math.max(Math.floor(((i + 1) * n) / out), start + 1)];
      };
      for (let j = 0; j < small.height; j++) {
        const [y0, y1] = edges(image.height, small.height, j);
        for (let i = 0; i < small.width; i++) {
          const [x0, x1] = edges(image.width, small.width, i);
          let across = 0;
          for (let x = x0; x < x1; x++) {
            let down = 0;
            for (let y = y0; y < y1; y++) down = Math.fround(down + at(image, x, y));
            across = x === x0 ? down : Math.fround(across + down);
          }
          expect(at(small, i, j)).toBe(Math.fround(across / ((x1 - x0) * (y1 - y0))));
        }
      }
    }
  });
});

describe("PDQ's dihedral hashes", () => {
  it("the first is the plain hash (but at exactly 64×64, which only the plain path copies unblurred)", () => {
    const next = random(5);
    for (const [width, height] of [
      [70, 50],
      [5, 9],
      [300, 64],
    ]) {
      const luma = Float32Array.from({ length: width * height }, () => next() * 255);
      const { hexes, quality } = pdqDihedralFromLuma(luma, width, height);
      expect({ hex: hexes[0], quality }).toEqual(pdqFromLuma(luma, width, height));
      expect(hexes.length).toBe(8);
    }
  });
});

describe("tilt trigonometry", () => {
  it("the fixed tilts are glibc's bits, which this engine's Math.sin and Math.cos give too", () => {
    // sin(d·π/180), cos(d·π/180) of glibc (Rust's f64::sin_cos on Linux), as f64 bit patterns.
    const glibc: [number, bigint, bigint][] = [
      [4.5, 0x3fb415e532398e49n, 0x3fefe6bf2e2660afn],
      [3.5, 0x3faf41c1118aa2cdn, 0x3feff0b86387164an],
    ];
    const bits = (x: number): bigint => {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, x);
      return view.getBigUint64(0);
    };
    for (const [degrees, sin, cos] of glibc) {
      for (const sign of [1, -1]) {
        const radians = sign * degrees * (Math.PI / 180);
        expect(bits(Math.abs(Math.sin(radians)))).toBe(sin);
        expect(bits(Math.cos(radians))).toBe(cos);
        const [fixedSin, fixedCos] = sinCosDegrees(sign * degrees);
        expect([bits(Math.abs(fixedSin)), bits(fixedCos), Math.sign(fixedSin)]).toEqual([sin, cos, sign]);
      }
    }
  });
});
