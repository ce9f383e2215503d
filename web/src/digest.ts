/**
 * MD5 and SHA-256 of a file's bytes, in TypeScript so the page needs neither a third-party
 * library nor `crypto.subtle` (which browsers only offer on secure origins, and a registry may
 * be reached over plain HTTP on a local network, and which has no streaming digest anyway).
 * Both are the textbook algorithms (RFC 1321, FIPS 180-4), written incrementally: `update` takes
 * the bytes in chunks of any size, so a large video is hashed a slice at a time with bounded
 * memory. The unit tests check them against `node:crypto` across chunk boundaries.
 */

import { toHex } from "./pdq";

/** The Merkle–Damgård frame both share: 64-byte blocks, then 0x80, zeros and the bit length. */
abstract class BlockDigest {
  private readonly block = new Uint8Array(64);
  private readonly blockView = new DataView(this.block.buffer);
  private filled = 0;
  private length = 0;
  private done = false;

  /** Mixes one 64-byte block, read from `view` at `offset`, into the state. */
  protected abstract compress(view: DataView, offset: number): void;

  /** Adds the next bytes of the message. */
  update(data: Uint8Array): this {
    if (this.done) throw new Error("digest already finished");
    this.length += data.length;
    let i = 0;
    if (this.filled > 0) {
      i = Math.min(64 - this.filled, data.length);
      this.block.set(data.subarray(0, i), this.filled);
      this.filled += i;
      if (this.filled < 64) return this;
      this.compress(this.blockView, 0);
      this.filled = 0;
    }
    // Whole blocks straight from the caller's buffer: no copy.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (; i + 64 <= data.length; i += 64) this.compress(view, i);
    this.block.set(data.subarray(i), 0);
    this.filled = data.length - i;
    return this;
  }

  /** Pads the message, with its bit length in the last 8 bytes in the algorithm's order. */
  protected finish(bigEndianLength: boolean): void {
    if (this.done) throw new Error("digest already finished");
    this.done = true;
    const bits = this.length * 8;
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 0x100000000) >>> 0;
    this.block[this.filled++] = 0x80;
    if (this.filled > 56) {
      this.block.fill(0, this.filled);
      this.compress(this.blockView, 0);
      this.filled = 0;
    }
    this.block.fill(0, this.filled, 56);
    if (bigEndianLength) {
      this.blockView.setUint32(56, hi);
      this.blockView.setUint32(60, lo);
    } else {
      this.blockView.setUint32(56, lo, true);
      this.blockView.setUint32(60, hi, true);
    }
    this.compress(this.blockView, 0);
  }

  /** The digest as lowercase hex; the object cannot be updated afterwards. */
  abstract hex(): string;
}

const MD5_S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
  21,
];
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) >>> 0);

/** MD5 (RFC 1321), fed in chunks. */
export class Md5 extends BlockDigest {
  private readonly state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  private readonly m = new Uint32Array(16);

  protected compress(view: DataView, off: number): void {
    const m = this.m;
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(off + i * 4, true);
    let [a, b, c, d] = this.state;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const x = (f + a + MD5_K[i] + m[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((x << MD5_S[i]) | (x >>> (32 - MD5_S[i])))) | 0;
    }
    this.state[0] += a;
    this.state[1] += b;
    this.state[2] += c;
    this.state[3] += d;
  }

  hex(): string {
    this.finish(false);
    const out = new DataView(new ArrayBuffer(16));
    this.state.forEach((v, i) => out.setInt32(i * 4, v, true));
    return toHex(new Uint8Array(out.buffer));
  }
}

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

/** SHA-256 (FIPS 180-4), fed in chunks. */
export class Sha256 extends BlockDigest {
  private readonly h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  private readonly w = new Uint32Array(64);

  protected compress(view: DataView, off: number): void {
    const { h, w } = this;
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + SHA256_K[i] + w[i]) | 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }

  hex(): string {
    this.finish(true);
    const out = new DataView(new ArrayBuffer(32));
    this.h.forEach((v, i) => out.setUint32(i * 4, v));
    return toHex(new Uint8Array(out.buffer));
  }
}

/** MD5 of `data`, as 32 lowercase hex digits. */
export function md5Hex(data: Uint8Array): string {
  return new Md5().update(data).hex();
}

/** SHA-256 of `data`, as 64 lowercase hex digits. */
export function sha256Hex(data: Uint8Array): string {
  return new Sha256().update(data).hex();
}

/** Bytes read from a file at a time when digesting it in slices. */
export const DIGEST_CHUNK_BYTES = 4 << 20;

/**
 * MD5 and SHA-256 of a `Blob` (a `File`), read `chunkBytes` at a time: memory stays at one
 * slice whatever the file's size.
 */
export async function digestBlob(blob: Blob, chunkBytes = DIGEST_CHUNK_BYTES): Promise<{ md5: string; sha256: string }> {
  const md5 = new Md5();
  const sha256 = new Sha256();
  for (let off = 0; off < blob.size; off += chunkBytes) {
    const chunk = new Uint8Array(await blob.slice(off, off + chunkBytes).arrayBuffer());
    md5.update(chunk);
    sha256.update(chunk);
  }
  return { md5: md5.hex(), sha256: sha256.hex() };
}
