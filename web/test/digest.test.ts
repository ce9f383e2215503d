// MD5 and SHA-256 against node:crypto on vector files and generated lengths around block edges,
// whole and fed in chunks of every awkward size (the page streams large files in slices).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Md5, Sha256, digestBlob, md5Hex, sha256Hex } from "../src/digest";
import { vectorsDir } from "./vectors";

const node = (alg: string, data: Uint8Array) => createHash(alg).update(data).digest("hex");

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** Feeds `data` to both digests in chunks cut at `cuts` (sizes, repeated). */
function chunked(data: Uint8Array, cuts: number[]): { md5: string; sha256: string } {
  const md5 = new Md5();
  const sha = new Sha256();
  let off = 0;
  for (let k = 0; off < data.length; k++) {
    const end = Math.min(data.length, off + cuts[k % cuts.length]);
    md5.update(data.subarray(off, end));
    sha.update(data.subarray(off, end));
    off = end;
  }
  return { md5: md5.hex(), sha256: sha.hex() };
}

describe("MD5 and SHA-256", () => {
  it("known answers", () => {
    const abc = new TextEncoder().encode("abc");
    expect(md5Hex(new Uint8Array())).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5Hex(abc)).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(sha256Hex(new Uint8Array())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex(abc)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("every length from 0 to 300 bytes (all padding cases)", () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255;
    for (let n = 0; n <= data.length; n++) {
      const part = data.subarray(0, n);
      expect(md5Hex(part)).toBe(node("md5", part));
      expect(sha256Hex(part)).toBe(node("sha256", part));
    }
  });

  it("the vector image files", () => {
    const dir = join(vectorsDir(), "pdq", "images", "reg-test-input", "labelme-subset");
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      expect(md5Hex(bytes)).toBe(node("md5", bytes));
      expect(sha256Hex(bytes)).toBe(node("sha256", bytes));
    }
  });

  it("fed in chunks: every split of short messages, and uneven chunks across block edges", () => {
    const data = bytes(200, 7);
    for (let n = 0; n <= 200; n += 7) {
      const part = data.subarray(0, n);
      const want = { md5: node("md5", part), sha256: node("sha256", part) };
      for (let cut = 0; cut <= n; cut++) {
        const md5 = new Md5().update(part.subarray(0, cut)).update(part.subarray(cut));
        const sha = new Sha256().update(part.subarray(0, cut)).update(part.subarray(cut));
        expect({ md5: md5.hex(), sha256: sha.hex() }).toEqual(want);
      }
    }
    for (const size of [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 65_537, 300_001]) {
      const data = bytes(size, size + 1);
      const want = { md5: node("md5", data), sha256: node("sha256", data) };
      for (const cuts of [[1], [3, 61], [63], [64], [65], [0, 7, 128], [4096], [size || 1]]) {
        expect(chunked(data, cuts), `size ${size}, cuts ${cuts}`).toEqual(want);
      }
    }
  });

  it("chunks that are views into a larger buffer at odd offsets", () => {
    const backing = bytes(10_000, 99);
    const data = backing.subarray(3, 9_001);
    const md5 = new Md5();
    const sha = new Sha256();
    for (let off = 0; off < data.length; off += 777) {
      const view = new Uint8Array(backing.buffer, 3 + off, Math.min(777, data.length - off));
      md5.update(view);
      sha.update(view);
    }
    expect(md5.hex()).toBe(node("md5", data));
    expect(sha.hex()).toBe(node("sha256", data));
  });

  it("a Blob read in slices of several sizes", async () => {
    const data = bytes(1_000_003, 5);
    const want = { md5: node("md5", data), sha256: node("sha256", data) };
    for (const chunk of [1 << 20, 65_536, 1_000, 64, 1_000_003, 2_000_000]) {
      expect(await digestBlob(new Blob([data]), chunk)).toEqual(want);
    }
    expect(await digestBlob(new Blob([]))).toEqual({ md5: node("md5", new Uint8Array()), sha256: node("sha256", new Uint8Array()) });
  });

  it("a finished digest refuses more input", () => {
    const md5 = new Md5();
    md5.hex();
    expect(() => md5.update(new Uint8Array(1))).toThrow(/finished/);
  });
});
