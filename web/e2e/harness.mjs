// A real `quell serve` on a free loopback port with a temporary data directory, and Debian's
// Chromium driven by playwright-core with a fresh profile. Everything started here is stopped
// by `stop()`, which the tests call in `after` hooks so it runs even when a test fails.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");

/** The shared vectors directory (QUELL_VECTORS, or ../shared/vectors beside the repository). */
export function vectorsDir() {
  const dir = process.env.QUELL_VECTORS ?? resolve(repoRoot, "../shared/vectors");
  if (!existsSync(join(dir, "pdq", "expected.tsv"))) {
    throw new Error(`no PDQ vectors at ${dir}/pdq (set QUELL_VECTORS)`);
  }
  return dir;
}

/** QUELL_BIN, or target/debug/quell after `cargo build -p quell`. */
export function quellBinary() {
  if (process.env.QUELL_BIN) return process.env.QUELL_BIN;
  execFileSync("cargo", ["build", "-p", "quell"], { cwd: repoRoot, stdio: "inherit" });
  const target = process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target");
  return join(target, "debug", "quell");
}

/**
 * A registry's description as an operator writes it for `quell serve --about FILE`: help in two
 * countries and everywhere, services for under-18s, and the platforms that take part.
 */
export const EXAMPLE_ABOUT = {
  name: "Quell Test Registry",
  operator: "Example Support Org",
  contact: "help@registry.example",
  privacy_notice: "https://registry.example/privacy",
  help: [
    { country: "US", name: "US Helpline", contact: "+1 800 555 0100", url: "https://us-help.example/" },
    { country: "ES", name: "Línea de ayuda ES", contact: "016", url: "https://es-help.example/" },
    { country: "", name: "Worldwide Chat", contact: "https://chat.example/" },
  ],
  under_18: [
    { country: "ES", name: "Ayuda Menores ES", contact: "116 111" },
    { country: "US", name: "US Youth Line", contact: "youth@us-help.example" },
  ],
  platforms: ["PhotoSite", "VideoSite"],
  action_target_hours: 48,
};

/** Resolves with the base URL once the server prints its bound address (it was given port 0). */
function listeningAddress(child, log) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`quell serve printed no address within 30 s:\n${log.join("")}`)), 30_000);
    let out = "";
    child.stdout.on("data", (d) => {
      out += String(d);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`quell serve exited with ${code}:\n${log.join("")}`));
    });
  });
}

async function waitHealthy(base, child, log) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`quell serve exited with ${child.exitCode}:\n${log.join("")}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`quell serve did not become healthy within 30 s:\n${log.join("")}`);
}

/** One outcome of each kind a case's holder sees, a day apart from May 2, 2026. */
export const EXAMPLE_OUTCOMES = [
  { member: "PhotoSite", outcome: "blocked", at: "2026-05-02T10:00:00Z" },
  { member: "VideoSite", outcome: "under_review", at: "2026-05-03T10:00:00Z" },
  { member: "ChatSite", outcome: "not_actioned", at: "2026-05-04T10:00:00Z" },
];

/** Makes `page` receive `body` as JSON with `status` (and `headers`) for requests to `url`:
 * what the registry would answer where a real answer needs a member or a refusal. */
export function answerWith(page, url, status, body, headers = {}) {
  return page.route(url, (route) =>
    route.fulfill({ status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }),
  );
}

/**
 * Starts the server and the browser; returns `{ base, bin, context, page, stop }`. `about`, if
 * given, is what the registry says about itself (`quell serve --about FILE`, served at
 * `/v1/registry`); the other options are added to the browser context's (e.g. `{ locale: "es-ES" }`).
 */
export async function start({ about, ...contextOptions } = {}) {
  const cleanups = [];
  const stop = async () => {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch (e) {
        console.error("cleanup:", e);
      }
    }
    cleanups.length = 0;
  };
  try {
    const bin = quellBinary();
    const dataDir = mkdtempSync(join(tmpdir(), "quell-e2e-data-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const log = [];
    const args = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "text"];
    if (about !== undefined) {
      const file = join(dataDir, "about.json");
      writeFileSync(file, JSON.stringify(about));
      args.push("--about", file);
    }
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => log.push(String(d)));
    child.stderr.on("data", (d) => log.push(String(d)));
    cleanups.push(
      () =>
        new Promise((ok) => {
          if (child.exitCode !== null) return ok();
          child.once("exit", ok);
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
        }),
    );
    const base = await listeningAddress(child, log);
    await waitHealthy(base, child, log);

    const profile = mkdtempSync(join(tmpdir(), "quell-e2e-chromium-"));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      ...contextOptions,
    });
    cleanups.push(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    return { base, bin, context, page, stop, serverLog: log };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Adds a hidden file input `#id` to the page (a probe for tests and benchmarks that hand files to
 * the page's worker directly) and, if given, chooses `paths` in it.
 */
export async function fileProbe(page, id, paths = []) {
  await page.evaluate((id) => {
    const input = document.createElement("input");
    input.type = "file";
    input.id = id;
    input.multiple = true;
    document.body.append(input);
  }, id);
  if (paths.length > 0) await page.setInputFiles(`#${id}`, paths);
}

