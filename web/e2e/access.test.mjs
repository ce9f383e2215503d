// Keyboard-only use, accessible names, text contrast and phone width, in real Chromium against a
// real `quell serve`; and the page's own response headers as the browser receives them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { start } from "./harness.mjs";

describe("the page without a mouse, for screen readers, on a phone", () => {
  let env;
  before(async () => {
    env = await start();
  });
  after(async () => {
    await env?.stop();
  });

  test("the page arrives with the strict security headers", async () => {
    const response = await env.page.goto(`${env.base}/`);
    const h = await response.allHeaders();
    assert.match(h["content-security-policy"], /default-src 'none'/);
    assert.match(h["content-security-policy"], /script-src 'self'/);
    assert.doesNotMatch(h["content-security-policy"], /unsafe/);
    assert.equal(h["x-content-type-options"], "nosniff");
    assert.equal(h["referrer-policy"], "no-referrer");
  });

  test("every control has an accessible name and text has at least 4.5:1 contrast", async () => {
    const { page, base } = env;
    await page.goto(`${base}/`);
    const unnamed = await page.$$eval("button, input, output, a", (nodes) =>
      nodes
        .filter((n) => {
          const labelled = n.labels && [...n.labels].some((l) => l.textContent.trim());
          const by = n.getAttribute("aria-labelledby");
          const byText = by && by.split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join("").trim();
          return !(labelled || byText || n.getAttribute("aria-label") || n.textContent.trim());
        })
        .map((n) => n.outerHTML),
    );
    assert.deepEqual(unnamed, []);
    const low = await page.evaluate(() => {
      const rgb = (c) => c.match(/[\d.]+/g).map(Number);
      const lum = ([r, g, b]) => {
        const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const background = (n) => {
        for (; n; n = n.parentElement) {
          const c = rgb(getComputedStyle(n).backgroundColor);
          if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const out = [];
      for (const n of document.querySelectorAll("h1, h2, p, label, li, button, .hint, dt, code")) {
        if (!n.textContent.trim() || n.closest("[hidden]") || n.closest("dialog:not([open])")) continue;
        const fg = lum(rgb(getComputedStyle(n).color));
        const bg = lum(background(n));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < 4.5) out.push(`${n.tagName}.${n.className}: ${ratio.toFixed(2)}`);
      }
      return out;
    });
    assert.deepEqual(low, []);
  });

  test("keyboard only: skip link, file chooser, the status form by Enter, the withdraw dialog", async () => {
    const { page, base } = env;
    await page.goto(`${base}/`);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "language");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "files");
    // The file input is visually hidden: its label, styled as a button, shows the focus.
    assert.match(await page.$eval("#files-label", (l) => getComputedStyle(l).outlineStyle), /solid/);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.tagName), "SUMMARY", "“Which files work?”");
    // The submit button is disabled (nothing chosen), so the next stop is the case number.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "case-id");

    // Open a real case through the API, then find it with the keyboard alone.
    const opened = await (
      await fetch(`${base}/v1/cases`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hashes: [{ type: "md5", value: "0123456789abcdef0123456789abcdef" }] }),
      })
    ).json();
    await page.keyboard.type(opened.case_id);
    await page.keyboard.press("Tab");
    await page.keyboard.type(opened.secret);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#status-view:not([hidden])");
    assert.match(await page.textContent("#status-state"), /has been open since/);
    assert.equal(await page.evaluate(() => document.activeElement.id), "status-view", "focus moves to the result");

    // Keeping a record comes first; withdrawing, which cannot be undone, last.
    for (const id of ["print-record", "download-record", "withdraw"]) {
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), id);
    }
    await page.keyboard.press("Enter");
    await page.waitForSelector("#confirm-withdraw[open]");
    assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-no", "the safe choice has focus");
    await page.keyboard.press("Escape");
    assert.equal(await page.$("#confirm-withdraw[open]"), null, "Escape closes the dialog");
    await page.keyboard.press("Enter"); // focus is back on the withdraw button
    await page.waitForSelector("#confirm-withdraw[open]");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-yes");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#status-state[data-state='withdrawn']");
  });

  test("at a phone's width (390 px) nothing is wider than the screen", async () => {
    const { page, base } = env;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
