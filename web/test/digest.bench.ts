// Throughput of the page's incremental MD5 and SHA-256, fed in the worker's 4 MiB slices:
// `npx vitest bench --run` (not part of `npm test`).
import { bench, describe } from "vitest";
import { DIGEST_CHUNK_BYTES, Md5, Sha256 } from "../src/digest";

const data = new Uint8Array(32 << 20);
for (let i = 0; i < data.length; i++) data[i] = Math.imul(i, 0x9e3779b1) >>> 24;

function feed(d: Md5 | Sha256): string {
  for (let off = 0; off < data.length; off += DIGEST_CHUNK_BYTES) d.update(data.subarray(off, off + DIGEST_CHUNK_BYTES));
  return d.hex();
}

describe("32 MiB in 4 MiB slices", () => {
  bench("MD5", () => void feed(new Md5()), { iterations: 3, warmupIterations: 1 });
  bench("SHA-256", () => void feed(new Sha256()), { iterations: 3, warmupIterations: 1 });
});
