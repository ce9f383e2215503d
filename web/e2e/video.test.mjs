// Videos in real Chromium against a real `quell serve`: the hashing worker decodes the sample
// videos with WebCodecs and its vPDQ is compared frame by frame with the reference outputs
// (../shared/vectors/vpdq/expected*); then the page fingerprints videos as a person would, opens
// a case with their vPDQ, MD5 and SHA-256, and falls back to MD5 and SHA-256 alone for videos it
// cannot decode. Every request is recorded: none may leave 127.0.0.1 or carry video bytes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileProbe, quellBinary, start, vectorsDir } from "./harness.mjs";

const vpdqDir = join(vectorsDir(), "vpdq");
const sampleNames = readdirSync(join(vpdqDir, "videos"))
  .filter((f) => f.endsWith(".mp4"))
  .map((f) => f.slice(0, -4))
  .sort();

/** `frame_number,quality,pdq_hex,timestamp` lines of a reference file. */
function reference(dir, name) {
  return readFileSync(join(vpdqDir, dir, `${name}.txt`), "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => {
      const [frame, quality, hex, timestamp] = line.split(",");
      return { frame: Number(frame), quality: Number(quality), hex, timestamp };
    });
}

function distance(a, b) {
  let d = 0;
  for (let i = 0; i < 64; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      d += x & 1;
      x >>>= 1;
    }
  }
  return d;
}

/**
 * The tolerance, frame by frame: the same frames (numbers and timestamps), within 10 bits
 * where the reference's quality is at least 80, below 31 where both qualities are at least 50.
 * `got` items are `{frame?, hex, quality, timestamp}` (timestamp a number or a 3-decimal string).
 * Returns a summary line.
 */
function assertAgrees(name, got, want) {
  assert.equal(got.length, want.length, `${name}: frame count`);
  let identical = 0;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (g.frame !== undefined) assert.equal(g.frame, w.frame, `${name}: frame number at ${i}`);
    const t = typeof g.timestamp === "number" ? g.timestamp.toFixed(3) : g.timestamp;
    assert.equal(t, w.timestamp, `${name}: timestamp of frame ${w.frame}`);
    const d = distance(g.hex, w.hex);
    if (w.quality >= 80) assert.ok(d <= 10, `${name}: frame ${w.frame} is ${d} bits from the reference (quality ${w.quality})`);
    if (w.quality >= 50 && g.quality >= 50) assert.ok(d < 31, `${name}: frame ${w.frame} is ${d} bits from the reference`);
    if (d === 0 && g.quality === w.quality) identical++;
    sum += d;
    max = Math.max(max, d);
  }
  return `${name}: ${want.length} frames, ${identical} identical (hash and quality), mean ${(sum / want.length).toFixed(2)} bits, max ${max}`;
}

/** A short generated video (FFmpeg's test source) with the given output options. */
function generated(name, mimeType, options) {
  const dir = mkdtempSync(join(tmpdir(), "quell-e2e-video-"));
  try {
    const path = join(dir, name);
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=duration=2:size=854x480:rate=25", ...options, path]);
    return { name, mimeType, buffer: readFileSync(path) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `body` holds any run of 48 or more bytes of `file` (it then holds an aligned 32-byte chunk). */
function containsRunOf(body, file) {
  if (body.length < 32) return false;
  for (let i = 0; i + 32 <= file.length; i += 16) {
    if (body.indexOf(file.subarray(i, i + 32)) !== -1) return true;
  }
  return false;
}

/** Every video the page was given, for the last test. */
const given = [];

// Every frame of these by default (about 30 s); of all 14 with QUELL_E2E_ALL=1 (about 2.5 min).
const everyFrame = process.env.QUELL_E2E_ALL ? sampleNames : ["chair-19-sd-bar", "pattern-hd-no-bar", "test-padded-dimensions"];

describe("videos in Chromium", () => {
  let env;
  const requests = [];
  const problems = [];

  before(async () => {
    env = await start();
    env.context.on("request", (req) =>
      requests.push({ url: req.url(), method: req.method(), body: req.postDataBuffer() ?? Buffer.alloc(0) }),
    );
    env.page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    env.page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  });

  after(async () => {
    await env?.stop();
  });

  test("this Chromium's WebCodecs decodes the samples' H.264 in software", async () => {
    const { page, base } = env;
    await page.goto(`${base}/`, { waitUntil: "networkidle" });
    const support = await page.evaluate(async () => {
      const out = {};
      for (const codec of ["avc1.4d401e", "avc1.4d401f", "avc1.640020"]) {
        out[codec] = (await VideoDecoder.isConfigSupported({ codec, hardwareAcceleration: "prefer-software" })).supported;
      }
      return out;
    });
    console.log(`# VideoDecoder.isConfigSupported (prefer-software): ${JSON.stringify(support)}`);
    assert.deepEqual(support, { "avc1.4d401e": true, "avc1.4d401f": true, "avc1.640020": true });
  });

  test(`every frame of ${everyFrame.length} sample videos, hashed by the page's worker, agrees with the reference`, async () => {
    const { page, base } = env;
    await page.goto(`${base}/`, { waitUntil: "networkidle" });
    await fileProbe(page, "video-probe");
    const lines = [];
    for (const name of everyFrame) {
      await page.setInputFiles("#video-probe", join(vpdqDir, "videos", `${name}.mp4`));
      const started = Date.now();
      // The page's own worker script, asked for every frame (secondsPerHash 0) as `expected/` has.
      const reply = await page.evaluate(
        () =>
          new Promise((ok) => {
            const worker = new Worker("/assets/worker.js", { type: "module" });
            worker.onmessage = (e) => {
              if ("progress" in e.data) return;
              worker.terminate();
              ok(e.data);
            };
            worker.postMessage({ id: 1, file: document.getElementById("video-probe").files[0], secondsPerHash: 0 });
          }),
      );
      const ms = Date.now() - started;
      assert.ok(reply.ok && reply.hashes.vpdq, `${name}: ${JSON.stringify(reply.hashes ?? reply)}`);
      lines.push(`${assertAgrees(name, reply.hashes.vpdq, reference("expected", name))}; ${ms} ms in the browser`);
    }
    console.log(`# ${lines.join("\n# ")}`);
  });

  test("the page sends the vPDQ, MD5 and SHA-256 of the videos it decodes, MD5 and SHA-256 of the others", async () => {
    const { page, base } = env;
    await page.goto(`${base}/`, { waitUntil: "networkidle" });
    const samples = sampleNames.map((name) => ({ name: `${name}.mp4`, mimeType: "video/mp4", buffer: readFileSync(join(vpdqDir, "videos", `${name}.mp4`)) }));
    // Decodable here but not in the reference outputs: QuickTime with an audio track, 854 px wide
    // (not a multiple of 8); compared with `quell hash` below.
    const wide = generated("wide.mov", "video/quicktime", ["-f", "lavfi", "-i", "sine=duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]);
    // Not decodable here: MPEG-4 Part 2 (no WebCodecs decoder), WebM (not MP4), fragmented MP4.
    const fallbacks = [
      generated("part2.mp4", "video/mp4", ["-c:v", "mpeg4", "-pix_fmt", "yuv420p"]),
      generated("clip.webm", "video/webm", ["-c:v", "libvpx", "-pix_fmt", "yuv420p"]),
      generated("fragmented.mp4", "video/mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov"]),
    ];
    const all = [...samples, wide, ...fallbacks];
    given.push(...all);
    const loaded = requests.length;
    const started = Date.now();
    await page.setInputFiles("#files", all);
    // A person sees the video's progress while it is decoded.
    await page.waitForFunction(() => [...document.querySelectorAll("#file-list .status")].some((s) => /\d+% done/.test(s.textContent)), null, { timeout: 60_000 });
    await page.waitForFunction(
      (n) => document.querySelectorAll("#file-list .status[data-state='hashing']").length === 0 &&
        document.querySelectorAll("#file-list .file").length === n,
      all.length,
      { timeout: 300_000 },
    );
    const hashingMs = Date.now() - started;
    assert.deepEqual(requests.slice(loaded).map((r) => r.url), [], "requests during hashing");

    const shown = new Map(
      (await page.$$eval("#file-list .file", (items) =>
        items.map((li) => ({
          name: li.querySelector(".name").textContent,
          state: li.querySelector(".status").dataset.state,
          text: li.querySelector(".status").textContent,
          vpdq: li.dataset.vpdq,
          md5: li.dataset.md5,
          sha256: li.dataset.sha256,
        })),
      )).map((s) => [s.name, s]),
    );
    const lines = [];
    for (const f of all) {
      const got = shown.get(f.name);
      assert.equal(got.md5, createHash("md5").update(f.buffer).digest("hex"), `${f.name} md5`);
      assert.equal(got.sha256, createHash("sha256").update(f.buffer).digest("hex"), `${f.name} sha256`);
    }
    for (const name of sampleNames) {
      const got = shown.get(`${name}.mp4`);
      assert.equal(got.state, "done", `${name}: ${got.text}`);
      assert.match(got.text, /Edited copies of this video can be found too/);
      const frames = JSON.parse(got.vpdq).map((s) => {
        const [hex, quality, timestamp] = s.split(",");
        return { hex, quality: Number(quality), timestamp };
      });
      lines.push(assertAgrees(`${name} (1 per second)`, frames, reference("expected-1s", name)));
    }
    // The generated video against `quell hash` (quell-vpdq: FFmpeg in a child process) on the same bytes.
    const toFrames = (list) => list.map((s) => {
      const [hex, quality, timestamp] = s.split(",");
      return { hex, quality: Number(quality), timestamp };
    });
    const wideFrames = toFrames(JSON.parse(shown.get("wide.mov").vpdq));
    assert.deepEqual(wideFrames.map((f) => f.timestamp), ["0.000", "1.000"], "2 s at 25 fps: frames 0 and 25");
    const wideDir = mkdtempSync(join(tmpdir(), "quell-e2e-video-"));
    try {
      writeFileSync(join(wideDir, "wide.mov"), wide.buffer);
      const cli = JSON.parse(execFileSync(quellBinary(), ["hash", "--json", join(wideDir, "wide.mov")], { encoding: "utf8" }));
      const cliFrames = toFrames(typeof cli.vpdq === "string" ? JSON.parse(cli.vpdq) : cli.vpdq);
      lines.push(assertAgrees("wide.mov against quell hash", wideFrames, cliFrames.map((f, i) => ({ ...f, frame: i * 25 }))));
    } finally {
      rmSync(wideDir, { recursive: true, force: true });
    }
    for (const f of fallbacks) {
      const got = shown.get(f.name);
      assert.equal(got.state, "exact", `${f.name}: ${got.text}`);
      assert.equal(got.vpdq, "", `${f.name} has no vPDQ`);
      assert.match(got.text, /cannot read this video's format, so only exact copies can be found/);
    }
    console.log(`# hashed ${all.length} videos (${samples.length} samples) in ${hashingMs} ms\n# ${lines.join("\n# ")}`);

    // Open the case: each decoded video's vPDQ, and every video's MD5 and SHA-256.
    const beforeSubmit = requests.length;
    await page.click("#submit");
    await page.waitForSelector("#opened:not([hidden])");
    const posts = requests.slice(beforeSubmit).filter((r) => r.method === "POST");
    assert.equal(posts.length, 1);
    const sent = JSON.parse(posts[0].body.toString("utf8"));
    assert.deepEqual(Object.keys(sent), ["hashes"]);
    const want = new Set();
    for (const f of all) {
      const got = shown.get(f.name);
      if (got.vpdq) want.add(`vpdq:${got.vpdq}`);
      want.add(`md5:${got.md5}`);
      want.add(`sha256:${got.sha256}`);
    }
    for (const h of sent.hashes) assert.deepEqual(Object.keys(h).sort(), ["file", "type", "value"], JSON.stringify(h).slice(0, 200));
    // One file number per video (a video's vPDQ, MD5 and SHA-256 share it), each a different one.
    assert.equal(new Set(sent.hashes.map((h) => h.file)).size, all.length);
    assert.deepEqual(new Set(sent.hashes.map((h) => `${h.type}:${h.value}`)), want);
    const registered = Number(/(\d+) fingerprint/.exec(await page.textContent("#opened-count"))[1]);
    assert.equal(registered, want.size, "the registry took every fingerprint, the vPDQs in canonical form");

    // The registry counts the vPDQs in the case's status.
    const caseId = await page.textContent("#new-case-id");
    const secret = await page.textContent("#new-secret");
    const status = await (await fetch(`${base}/v1/cases/${caseId}`, { headers: { authorization: `Bearer ${secret}` } })).json();
    assert.equal(status.hashes.vpdq, samples.length + 1);
    assert.equal(status.hashes.md5, all.length);
  });

  test("no request left 127.0.0.1 and none carried video bytes", () => {
    const { base } = env;
    for (const r of requests) {
      assert.ok(r.url.startsWith(`${base}/`) || r.url.startsWith("blob:") || r.url.startsWith("data:"), `request to ${r.url}`);
      if (r.method === "POST") {
        assert.ok(r.body.length < 256 << 10, `${r.url}: ${r.body.length} bytes`);
        for (const f of given) assert.ok(!containsRunOf(r.body, f.buffer), `${r.url} carries bytes of ${f.name}`);
      } else {
        assert.equal(r.body.length, 0, `${r.method} ${r.url} has a body`);
      }
    }
    assert.deepEqual(problems, [], "console errors or CSP violations");
  });
});
