// File sniffing: the vector photos are images, a generated MP4 header and other containers are
// videos, HEIF stills are images and not videos, text is neither.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { looksLikeImage, looksLikeVideo } from "../src/sniff";
import { vectorsDir } from "./vectors";

const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

describe("sniffing", () => {
  it("vector photos are images, not videos", () => {
    const dir = join(vectorsDir(), "pdq", "images", "misc-images");
    const files = readdirSync(dir).filter((f) => /\.(png|jpg)$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const head = new Uint8Array(readFileSync(join(dir, f))).subarray(0, 512);
      expect(looksLikeImage(head), f).toBe(true);
      expect(looksLikeVideo(head), f).toBe(false);
    }
  });

  it("video containers, HEIF stills and other files", () => {
    expect(looksLikeVideo(ascii("\0\0\0\x20ftypisom"))).toBe(true);
    expect(looksLikeVideo(ascii("\0\0\0\x20ftypheic"))).toBe(false);
    expect(looksLikeImage(ascii("\0\0\0\x20ftypheic"))).toBe(true);
    expect(looksLikeVideo(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1]))).toBe(true);
    expect(looksLikeVideo(ascii("RIFF\0\0\0\0AVI LIST"))).toBe(true);
    expect(looksLikeVideo(ascii("RIFF\0\0\0\0WEBPVP8 "))).toBe(false);
    expect(looksLikeImage(ascii("RIFF\0\0\0\0WEBPVP8 "))).toBe(true);
    const ts = new Uint8Array(400);
    for (const k of [0, 1, 2]) ts[k * 188] = 0x47;
    expect(looksLikeVideo(ts)).toBe(true);
    expect(looksLikeVideo(ts.subarray(0, 200))).toBe(false);
    for (const other of [ascii("hello, world"), new Uint8Array(), ascii("PK\x03\x04zip")]) {
      expect(looksLikeImage(other)).toBe(false);
      expect(looksLikeVideo(other)).toBe(false);
    }
  });
});
