// Measures the page's vPDQ in Chromium against `quell hash` and FFmpeg's decode-only floor, in
// one run, on the 14 sample videos: `R=3 QUELL_BIN=target/debug/quell node web/e2e/video.bench.mjs`.
// Prints the median wall time of R runs of each. Not a test: nothing here can fail but a crash.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileProbe, quellBinary, start, vectorsDir } from "./harness.mjs";

const runs = Number(process.env.R ?? 3);
const dir = join(vectorsDir(), "vpdq", "videos");
const paths = readdirSync(dir)
  .filter((f) => f.endsWith(".mp4"))
  .sort()
  .map((f) => join(dir, f));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function timed(f) {
  const started = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const env = await start();
try {
  const { page, base } = env;
  await page.goto(`${base}/`, { waitUntil: "networkidle" });
  await fileProbe(page, "video-probe", paths);
  /** Seconds for the page's worker to hash every selected file, one after the other. */
  const browser = (secondsPerHash) =>
    page.evaluate(async (secondsPerHash) => {
      const worker = new Worker("/assets/worker.js", { type: "module" });
      const files = [...document.getElementById("video-probe").files];
      const started = performance.now();
      for (const [id, file] of files.entries()) {
        const reply = await new Promise((ok) => {
          worker.onmessage = (e) => "progress" in e.data || ok(e.data);
          worker.postMessage({ id, file, secondsPerHash });
        });
        if (!reply.hashes?.vpdq) throw new Error(`${file.name}: no vPDQ`);
      }
      worker.terminate();
      return (performance.now() - started) / 1000;
    }, secondsPerHash);
  const quell = quellBinary();
  const rows = { "page, 1 per second": [], "page, every frame": [], "quell hash, 1 per second": [], "quell hash, every frame": [], "ffmpeg decode only": [] };
  for (let r = 0; r < runs; r++) {
    rows["page, 1 per second"].push(await browser(1));
    rows["page, every frame"].push(await browser(0));
    rows["quell hash, 1 per second"].push(timed(() => execFileSync(quell, ["hash", "-j", "1", "--json", ...paths], { stdio: "ignore" })));
    rows["quell hash, every frame"].push(timed(() => execFileSync(quell, ["hash", "-j", "1", "--json", "--seconds-per-hash", "0", ...paths], { stdio: "ignore" })));
    rows["ffmpeg decode only"].push(timed(() => {
      for (const p of paths) execFileSync("ffmpeg", ["-v", "error", "-threads", "1", "-i", p, "-map", "0:V:0", "-f", "null", "-"]);
    }));
  }
  for (const [name, xs] of Object.entries(rows)) console.log(`${name}\t${median(xs).toFixed(2)} s\t(${xs.map((x) => x.toFixed(2)).join(", ")})`);
} finally {
  await env.stop();
}
