// The TypeScript PDQ against the golden values on identical pixels: bit-exact hash, equal quality.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { pdqFromPixels, rgbLuma } from "../src/pdq";
import { readTsv, vectorsDir } from "./vectors";

const pdqDir = join(vectorsDir(), "pdq");

function decodePng(path: string): { data: Uint8Array; width: number; height: number } {
  const png = PNG.sync.read(readFileSync(path));
  return { data: png.data, width: png.width, height: png.height };
}

describe("PDQ on the decoded vectors (identical pixels)", () => {
  const rows = readTsv(join(pdqDir, "decoded", "expected.tsv"));
  it("has the 14 decoded vectors", () => expect(rows.length).toBe(14));
  for (const row of rows) {
    it(`${row.file}: identical hash and quality`, () => {
      const { data, width, height } = decodePng(join(pdqDir, row.file));
      // pngjs always returns RGBA; the decoded vectors are opaque RGB, so alpha is 255.
      const got = pdqFromPixels(data, width, height, 4);
      expect({ hex: got.hex, quality: got.quality }).toEqual({
        hex: row.pdq_hex,
        quality: Number(row.quality),
      });
    });
  }
});

describe("PDQ on the lossless PNG rows of expected.tsv", () => {
  // Pillow's convert("RGB") drops alpha and replicates grey; pngjs gives RGBA with grey replicated
  // and palettes expanded, so the same RGB pixels reach the hasher.
  const rows = readTsv(join(pdqDir, "expected.tsv")).filter((r) => r.lossless_decode === "yes");
  it("has the 7 lossless rows", () => expect(rows.length).toBe(7));
  for (const row of rows) {
    it(`${row.file}: identical hash and quality`, () => {
      const { data, width, height } = decodePng(join(pdqDir, row.file));
      const got = pdqFromPixels(data, width, height, 4);
      expect(got).toEqual({ hex: row.pdq_hex, quality: Number(row.quality) });
    });
  }
});

describe("PDQ edge cases", () => {
  it("luma is the float64 sum rounded once to float32", () => {
    for (const [r, g, b] of [
      [0, 0, 0],
      [255, 255, 255],
      [1, 2, 3],
      [200, 17, 99],
    ]) {
      expect(rgbLuma(r, g, b)).toBe(Math.fround(r * 0.299 + g * 0.587 + b * 0.114));
    }
  });

  it("images with a side under 5 hash to zeros with quality 0", () => {
    const px = new Uint8Array(4 * 100 * 4).fill(200);
    expect(pdqFromPixels(px, 100, 4, 4)).toEqual({ hex: "0".repeat(64), quality: 0 });
  });

  it("a flat image has quality 0", () => {
    const px = new Uint8Array(3 * 80 * 60).fill(128);
    expect(pdqFromPixels(px, 80, 60, 3).quality).toBe(0);
  });

  it("RGB and RGBA layouts of the same pixels agree", () => {
    const { data, width, height } = decodePng(join(pdqDir, "decoded", "misc-images__wee.png"));
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) rgb.set(data.subarray(i * 4, i * 4 + 3), i * 3);
    expect(pdqFromPixels(rgb, width, height, 3)).toEqual(pdqFromPixels(data, width, height, 4));
  });

  it("refuses a short pixel buffer", () => {
    expect(() => pdqFromPixels(new Uint8Array(10), 10, 10, 4)).toThrow(/too short for 10x10x4/);
  });
});
