// EXIF orientation: the tag read from the vector phone photos, and the pixel transforms checked
// on a tiny image against layouts written out by hand from the EXIF definition.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jpegOrientation, undoOrientation } from "../src/orientation";
import { vectorsDir } from "./vectors";

const images = join(vectorsDir(), "pdq", "images");

/** A w×h RGBA image whose pixel values are the given labels (in the red channel). */
function image(labels: number[][]): { data: Uint8ClampedArray; width: number; height: number } {
  const height = labels.length;
  const width = labels[0].length;
  const data = new Uint8ClampedArray(width * height * 4);
  labels.flat().forEach((v, i) => data.set([v, 0, 0, 255], i * 4));
  return { data, width, height };
}

function labels(img: { data: Uint8ClampedArray; width: number; height: number }): number[][] {
  return Array.from({ length: img.height }, (_, y) =>
    Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 4]));
}

describe("EXIF orientation", () => {
  it("reads the tag of the vector phone photos", () => {
    for (const o of [1, 3, 6, 8]) {
      const bytes = new Uint8Array(readFileSync(join(images, "reg-test-input", "exif-rotn", `exif-rotn-${o}.jpg`)));
      expect(jpegOrientation(bytes)).toBe(o);
    }
  });

  it("is 1 for files without the tag and for non-JPEGs", () => {
    expect(jpegOrientation(new Uint8Array(readFileSync(join(images, "misc-images", "small.jpg"))))).toBe(1);
    expect(jpegOrientation(new Uint8Array(readFileSync(join(images, "misc-images", "c.png"))))).toBe(1);
    expect(jpegOrientation(new Uint8Array([0xff, 0xd8, 0xff]))).toBe(1);
    expect(jpegOrientation(new Uint8Array())).toBe(1);
  });

  // The stored image is [[1, 2, 3], [4, 5, 6]] (3 wide, 2 high). What a viewer shows for each tag:
  const stored = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const shown: Record<number, number[][]> = {
    1: stored,
    2: [[3, 2, 1], [6, 5, 4]],
    3: [[6, 5, 4], [3, 2, 1]],
    4: [[4, 5, 6], [1, 2, 3]],
    5: [[1, 4], [2, 5], [3, 6]],
    6: [[4, 1], [5, 2], [6, 3]], // rotated 90° clockwise: the first stored row is the right column
    7: [[6, 3], [5, 2], [4, 1]],
    8: [[3, 6], [2, 5], [1, 4]], // rotated 90° counter-clockwise
  };
  for (const [o, layout] of Object.entries(shown)) {
    it(`undoes orientation ${o}`, () => {
      const img = image(layout);
      expect(labels(undoOrientation(img.data, img.width, img.height, Number(o)))).toEqual(stored);
    });
  }

  it("refuses an orientation outside 1 to 8", () => {
    const img = image(stored);
    expect(() => undoOrientation(img.data, img.width, img.height, 9)).toThrow(/not 1 to 8/);
  });
});
