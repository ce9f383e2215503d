// Measures what the default profile costs a person in the page: the worker's time per photo with
// the profile's hashes (what the page does) and with the plain PDQ only, in Chromium, in one run,
// on a 12 MP phone-sized photo (the bridge vector scaled to 4000x3000 by FFmpeg) and a small one
// (the same at 640x480): `R=5 QUELL_BIN=target/debug/quell node web/e2e/photo.bench.mjs`.
// Prints the median wall time of R runs of each. Not a test: nothing here can fail but a crash.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileProbe, start, vectorsDir } from "./harness.mjs";

const runs = Number(process.env.R ?? 5);
const source = join(vectorsDir(), "pdq", "images", "reg-test-input", "dih", "bridge-1-original.jpg");
const dir = mkdtempSync(join(tmpdir(), "quell-photo-bench-"));
const sizes = [
  ["12 MP (4000x3000)", "4000:3000"],
  ["0.3 MP (640x480)", "640:480"],
];
const photos = sizes.map(([label, scale], i) => {
  const path = join(dir, `photo-${i}.jpg`);
  execFileSync("ffmpeg", ["-v", "error", "-i", source, "-vf", `scale=${scale}`, "-q:v", "3", "-y", path]);
  return { label, path };
});

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const env = await start();
try {
  const { page, base } = env;
  await page.goto(`${base}/`, { waitUntil: "networkidle" });
  await fileProbe(page, "photo-probe", photos.map((p) => p.path));
  /** Seconds for the page's worker to hash file `index`, with or without the profile's hashes. */
  const browser = (index, filed) =>
    page.evaluate(
      async ([index, filed]) => {
        const worker = new Worker("/assets/worker.js", { type: "module" });
        const file = document.getElementById("photo-probe").files[index];
        const started = performance.now();
        const reply = await new Promise((ok) => {
          worker.onmessage = (e) => "progress" in e.data || ok(e.data);
          worker.postMessage({ id: 0, file, filed });
        });
        const seconds = (performance.now() - started) / 1000;
        worker.terminate();
        if (!reply.hashes?.pdq) throw new Error(`${file.name}: no PDQ`);
        return { seconds, filed: reply.hashes.filed?.length ?? 0 };
      },
      [index, filed],
    );
  console.log(`| photo | plain PDQ (s) | default profile (s) | ratio | hashes |`);
  console.log(`|---|---|---|---|---|`);
  for (const [index, photo] of photos.entries()) {
    const plain = [];
    const robust = [];
    let count = 0;
    for (let r = 0; r < runs; r++) {
      plain.push((await browser(index, false)).seconds);
      const got = await browser(index, true);
      robust.push(got.seconds);
      count = got.filed;
    }
    const [p, q] = [median(plain), median(robust)];
    console.log(`| ${photo.label} | ${p.toFixed(2)} | ${q.toFixed(2)} | ${(q / p).toFixed(1)}x | 1 + ${count} |`);
  }
} finally {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
}
