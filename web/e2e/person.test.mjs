// What the page does for a person in distress, in real Chromium against a real `quell serve`:
// the codes are never lost by leaving the page, the codes file is the command-line tool's,
// the same photo chosen twice is listed once, waits and refusals are said in plain words, every
// outcome comes with a next step, and the page speaks Spanish to a Spanish browser.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { start, vectorsDir } from "./harness.mjs";

const images = join(vectorsDir(), "pdq", "images");
const bridge = { name: "bridge.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(images, "reg-test-input/dih/bridge-1-original.jpg")) };

const CODES_FILE =
  /^Quell case\nRegistry: (\S+)\nCase number: (c_\S+)\nSecret: (\S+)\n\nKeep this safe\. The secret cannot be recovered\.\n$/;

/** Chooses `files`, waits for their fingerprints and opens a case; returns its case number. */
async function openCase(page, files) {
  await page.setInputFiles("#files", files);
  await page.waitForSelector("#submit:not([disabled])");
  await page.click("#submit");
  await page.waitForSelector("#opened:not([hidden])");
  return page.textContent("#new-case-id");
}

/** Asks to close `page` as a person would (the browser runs its beforeunload); the dialogs it raised. */
async function tryToClose(page) {
  const dialogs = [];
  const closed = new Promise((ok) => page.once("close", ok));
  page.on("dialog", (d) => {
    dialogs.push(d.type());
    void d.dismiss(); // "stay on this page"
  });
  await page.close({ runBeforeUnload: true });
  const outcome = await Promise.race([closed.then(() => "closed"), new Promise((ok) => setTimeout(() => ok("open"), 2_000))]);
  return { dialogs, outcome };
}

describe("the page for a person in distress", () => {
  let env;
  before(async () => {
    env = await start();
  });
  after(async () => {
    await env?.stop();
  });

  test("leaving before the codes are saved asks first; the download is the CLI's case file", async () => {
    const { context, base, bin } = env;
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const caseId = await openCase(page, [bridge]);

    const unsaved = await tryToClose(page);
    assert.deepEqual(unsaved, { dialogs: ["beforeunload"], outcome: "open" }, "the page asked and stayed");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-codes")]);
    const path = await download.path();
    const text = readFileSync(path, "utf8");
    const m = CODES_FILE.exec(text);
    assert.ok(m, `the codes file is in the CLI's format:\n${text}`);
    assert.equal(m[1], base, "it names this registry");
    assert.equal(m[2], caseId);
    assert.equal(m[3], await page.textContent("#new-secret"));
    // The command-line tool reads it with no other argument, the registry included.
    const status = JSON.parse(execFileSync(bin, ["case", "status", "--case-file", path, "--json"], { encoding: "utf8" }));
    assert.equal(status.case_id, caseId);
    assert.equal(status.withdrawn_at, undefined);

    const saved = await tryToClose(page);
    assert.deepEqual(saved, { dialogs: [], outcome: "closed" }, "once downloaded, leaving does not ask");
  });

  test("copying the codes counts as saving them, and copies the same text", async () => {
    const { context, base } = env;
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const caseId = await openCase(page, [bridge]);
    await page.click("#copy-codes");
    await page.waitForFunction(() => /Copied/.test(document.getElementById("copy-result").textContent));
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const m = CODES_FILE.exec(copied);
    assert.ok(m, copied);
    assert.deepEqual([m[1], m[2]], [base, caseId]);
    assert.deepEqual(await tryToClose(page), { dialogs: [], outcome: "closed" });
  });

  test("the same photo chosen twice, or under another name, is listed once; the chooser counts", async () => {
    const { context, base } = env;
    const page = await context.newPage();
    await page.goto(`${base}/`);
    assert.equal((await page.textContent("#files-label")).trim(), "Choose photos or videos");
    const box = await page.$eval("#files", (n) => n.getBoundingClientRect().width);
    assert.ok(box <= 1, "the browser's own chooser, with its “No file chosen”, is not shown");
    await page.setInputFiles("#files", [bridge]);
    await page.waitForSelector("#file-list .status[data-state='done']");
    await page.setInputFiles("#files", [bridge, { ...bridge, name: "bridge copy.jpg" }]);
    await page.waitForFunction(() => /already in the list/.test(document.getElementById("summary").textContent));
    await page.waitForFunction(() => !document.querySelector("#file-list .status[data-state='hashing']"));
    assert.deepEqual(await page.$$eval("#file-list .name", (n) => n.map((x) => x.textContent)), ["bridge.jpg"]);
    assert.equal((await page.textContent("#files-label")).trim(), "Add more (1 chosen)");
    assert.match(await page.textContent("#summary"), /1 of 1 ready to send/);
    await page.close();
  });

  test("a refusal for too many requests says how long to wait, and blames no one", async () => {
    const { context, base } = env;
    const page = await context.newPage();
    await page.goto(`${base}/`);
    // The registry's own 429 for case opening, as `quell serve` sends it.
    await page.route(`${base}/v1/cases`, (route) =>
      route.fulfill({
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "344" },
        body: JSON.stringify({ error: { code: "rate_limited", message: "too many cases were opened from this address; try again in 344 s" } }),
      }),
    );
    await page.setInputFiles("#files", [bridge]);
    await page.waitForSelector("#submit:not([disabled])");
    await page.click("#submit");
    await page.waitForSelector("#submit-error:not([hidden])");
    assert.equal(await page.textContent("#submit-error"), "Many requests came from this network. Please try again in about 6 minutes.");
    assert.equal(await page.isEnabled("#submit"), true, "the person can try again");
    await page.close();
  });

  test("every outcome in the case status comes with a next step in plain words", async () => {
    const { context, base } = env;
    const page = await context.newPage();
    await page.goto(`${base}/`);
    // A status with one outcome of each kind (members' reports need a member; the wording is the page's).
    await page.route(`${base}/v1/cases/c_example`, (route) =>
      route.fulfill({
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          case_id: "c_example",
          opened_at: "2026-05-01T10:00:00Z",
          hashes: { pdq: 1, md5: 1, sha256: 1 },
          outcomes: [
            { member: "PhotoSite", outcome: "blocked", at: "2026-05-02T10:00:00Z" },
            { member: "VideoSite", outcome: "under_review", at: "2026-05-03T10:00:00Z" },
            { member: "ChatSite", outcome: "not_actioned", at: "2026-05-04T10:00:00Z" },
          ],
        }),
      }),
    );
    await page.fill("#case-id", "c_example");
    await page.fill("#secret", "s_example");
    await page.click("#show-status");
    await page.waitForSelector("#status-view:not([hidden])");
    const lines = await page.$$eval("#status-outcomes li", (items) =>
      items.map((li) => ({ text: li.textContent, next: li.querySelector(".next")?.textContent ?? "" })),
    );
    assert.equal(lines.length, 3);
    for (const l of lines) assert.ok(l.next.length > 10, `a next step for: ${l.text}`);
    assert.match(lines[0].text, /PhotoSite found a copy and removed or blocked it/);
    assert.match(lines[2].text, /ChatSite reviewed a possible copy and did not act on it/);
    assert.equal(
      lines[2].next,
      "If you believe this is your photo, you can report it to that platform directly and keep this record.",
    );
    await page.close();
  });
});

describe("the page in the person's language", () => {
  let env;
  before(async () => {
    env = await start({ locale: "es-ES" });
  });
  after(async () => {
    await env?.stop();
  });

  test("a Spanish browser gets Spanish; the switch changes to English and is kept on reload", async () => {
    const { page, base } = env;
    await page.goto(`${base}/`);
    assert.deepEqual(await page.evaluate(() => navigator.languages), ["es-ES"]);
    assert.equal(await page.getAttribute("html", "lang"), "es");
    assert.equal(await page.textContent("h1"), "Frena la difusión de imágenes íntimas tuyas");
    assert.equal(await page.title(), "Quell: ayuda para frenar la difusión de imágenes íntimas tuyas");
    assert.equal((await page.textContent("#files-label")).trim(), "Elegir fotos o vídeos");
    assert.equal(await page.inputValue("#language"), "es");

    // A text set after loading (a file's state) changes language too.
    await page.setInputFiles("#files", [bridge]);
    await page.waitForSelector("#file-list .status[data-state='done']");
    assert.equal(await page.textContent("#file-list .status"), "Huella lista.");
    assert.equal(await page.getAttribute("#file-list button", "aria-labelledby").then((ids) =>
      page.evaluate((ids) => ids.split(" ").map((id) => document.getElementById(id).textContent).join(" "), ids)), "Quitar bridge.jpg");

    await page.selectOption("#language", "en");
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.equal(await page.textContent("h1"), "Stop intimate images of you from being shared");
    assert.equal(await page.textContent("#file-list .status"), "Fingerprint ready.");
    assert.equal((await page.textContent("#files-label")).trim(), "Add more (1 chosen)");
    assert.match(await page.textContent("#summary"), /1 of 1 ready to send/);

    await page.reload();
    assert.equal(await page.textContent("h1"), "Stop intimate images of you from being shared", "the choice is kept");
    assert.equal(await page.getAttribute("html", "lang"), "en");
  });
});
