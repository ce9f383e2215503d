// Every screen the person can reach, in each language: axe-core finds no accessibility
// violation on any of them. With QUELL_SHOTS=DIR, each screen is also saved as a full-page
// screenshot at a phone's width (390 px) and a desktop's (1280 px), for a person to look at.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXAMPLE_ABOUT, EXAMPLE_OUTCOMES, answerWith, start, vectorsDir } from "./harness.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const images = join(vectorsDir(), "pdq", "images");
const files = [
  { name: "bridge.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(images, "reg-test-input/dih/bridge-1-original.jpg")) },
  { name: "small.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(images, "misc-images/small.jpg")) },
  { name: "damaged.png", mimeType: "image/png", buffer: Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(2000, 7)]) },
];
const shots = process.env.QUELL_SHOTS;

describe("every screen, in every language, for axe-core and for the eye", () => {
  let env;
  before(async () => {
    // With a description of the registry, so the help section is on every screen.
    env = await start({ about: EXAMPLE_ABOUT });
    if (shots) mkdirSync(shots, { recursive: true });
  });
  after(async () => {
    await env?.stop();
  });

  /** axe-core on the page as it is now; then the screenshots, if asked for. */
  async function check(lang, screen) {
    const { page } = env;
    // The page's Content-Security-Policy allows only its own scripts, so axe-core is not added as
    // a <script> (addScriptTag would inline it and be refused): it is evaluated through the
    // DevTools protocol, which the policy does not govern, and the page's policy stays in force.
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
    const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    assert.deepEqual(
      violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
      [],
      `${lang}, ${screen}`,
    );
    if (!shots) return;
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width < 500 ? 844 : 900 });
      await page.screenshot({ path: join(shots, `${lang}-${screen}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  for (const lang of ["en", "es"]) {
    test(`${lang}: start, files chosen, codes, status with outcomes, the case record, withdrawn`, async () => {
      const { page, base } = env;
      await page.goto(`${base}/`);
      await page.selectOption("#language", lang);
      await page.waitForSelector("#help:not([hidden])");
      await page.click("#help details summary");
      await check(lang, "1-start");

      await page.setInputFiles("#files", files);
      await page.waitForFunction(
        (n) => document.querySelectorAll("#file-list .file").length === n && !document.querySelector("#file-list .status[data-state='hashing']"),
        files.length,
      );
      await page.click("#choose details summary");
      await check(lang, "2-chosen");

      await page.click("#submit");
      await page.waitForSelector("#opened:not([hidden])");
      await check(lang, "3-codes");
      const caseId = await page.textContent("#new-case-id");
      const secret = await page.textContent("#new-secret");
      await Promise.all([page.waitForEvent("download"), page.click("#download-codes")]);

      await page.fill("#secret", secret);
      await page.click("#show-status");
      await page.waitForSelector("#status-view:not([hidden])");
      await check(lang, "4-status");

      // How reported outcomes look (a member's reports need a member; the wording is the page's).
      await answerWith(page, `${base}/v1/cases/c_example`, 200, {
        case_id: "c_example",
        opened_at: "2026-05-01T10:00:00Z",
        hashes: { pdq: 1, md5: 3, sha256: 3 },
        outcomes: EXAMPLE_OUTCOMES,
        paused: 1,
        audit_head: `41:${"ab".repeat(32)}`,
      });
      await page.fill("#case-id", "c_example");
      await page.click("#show-status");
      await page.waitForSelector("#status-outcomes .next");
      await check(lang, "5-outcomes");

      // The printable record, as it shows on the screen (the print dialog itself is not opened).
      await page.evaluate(() => {
        window.print = () => {};
      });
      await page.click("#print-record");
      await page.waitForSelector("#report:not([hidden])");
      await check(lang, "6-record");
      await page.click("#report-back");
      await page.unroute(`${base}/v1/cases/c_example`);

      await page.fill("#case-id", caseId);
      await page.click("#show-status");
      await page.waitForFunction((id) => document.getElementById("status-state").textContent.includes(id), caseId);
      await page.click("#withdraw");
      await page.waitForSelector("#confirm-withdraw[open]");
      await check(lang, "7-confirm");
      await page.click("#confirm-yes");
      await page.waitForSelector("#status-state[data-state='withdrawn']");
      await check(lang, "8-withdrawn");
    });
  }
});
