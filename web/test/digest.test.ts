// MD5 and SHA-256 against node:crypto on vector files and generated lengths around block edges.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { md5Hex, sha256Hex } from "../src/digest";
import { vectorsDir } from "./vectors";

const node = (alg: string, data: Uint8Array) => createHash(alg).update(data).digest("hex");

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
});
