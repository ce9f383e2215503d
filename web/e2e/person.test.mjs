// What the page does for a person in distress, in real Chromium against a real `quell serve`:
// the codes are never lost by leaving the page, the codes file is the command-line tool's,
// the same photo chosen twice is listed once, waits and refusals are said in plain words, every
// outcome comes with a next step and the time the platform took, the case record can be printed
// and downloaded without the secret, the registry's operator and help for the person's country
// are shown, and the page speaks Spanish to a Spanish browser.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXAMPLE_ABOUT, EXAMPLE_OUTCOMES, answerWith, start, vectorsDir } from "./harness.mjs";

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

/** Makes `window.print()` count its calls instead of opening the print dialog. */
async function stubPrint(page) {
  await page.evaluate(() => {
    window.printed = 0;
    window.print = () => {
      window.printed += 1;
    };
  });
}

/** Shows the status the registry gives for `caseId` and `secret`. */
async function showStatus(page, caseId, secret) {
  await page.fill("#case-id", caseId);
  await page.fill("#secret", secret);
  await page.click("#show-status");
  await page.waitForFunction((id) => document.getElementById("status-state").textContent.includes(id), caseId);
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
    await answerWith(page, `${base}/v1/cases`, 429, { error: { code: "rate_limited", message: "too many cases were opened from this address; try again in 344 s" } }, { "retry-after": "344" });
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
    await answerWith(page, `${base}/v1/cases/c_example`, 200, {
      case_id: "c_example",
      opened_at: "2026-05-01T10:00:00Z",
      hashes: { pdq: 1, md5: 1, sha256: 1 },
      outcomes: EXAMPLE_OUTCOMES,
    });
    await showStatus(page, "c_example", "s_example");
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

  test("each outcome says how long after the opening it came, and a removal whether it was in the expected time", async () => {
    const { context, base } = env;
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await stubPrint(page);
    const auditHead = `41:${"ab".repeat(32)}`;
    await answerWith(page, `${base}/v1/cases/c_example`, 200, {
      case_id: "c_example",
      opened_at: "2026-05-01T10:00:00Z",
      hashes: { pdq: 2, md5: 3, sha256: 3, vpdq: 1, pdq_filed: 12 },
      outcomes: [
        { member: "PhotoSite", outcome: "blocked", at: "2026-05-01T15:00:00Z" },
        { member: "VideoSite", outcome: "blocked", at: "2026-05-04T12:00:00Z" },
        { member: "ChatSite", outcome: "under_review", at: "2026-05-01T10:42:30Z" },
      ],
      paused: 1,
      audit_head: auditHead,
    });
    await showStatus(page, "c_example", "s_example");
    const lines = await page.$$eval("#status-outcomes li > span:not(.next)", (spans) => spans.map((s) => s.textContent));
    assert.match(
      lines[0],
      /^PhotoSite found a copy and removed or blocked it, 5 hours after you opened your case \(.+\)\. That is within the 48 hours platforms are expected to act in\.$/,
    );
    assert.match(
      lines[1],
      /^VideoSite found a copy and removed or blocked it, 3 days and 2 hours after you opened your case \(.+\)\. That is later than the 48 hours platforms are expected to act in\.$/,
    );
    assert.match(lines[2], /^ChatSite found a possible copy, 42 minutes after you opened your case, and is reviewing it \(.+\)\.$/);
    // This registry says nothing about itself: the help section stays hidden, with nothing in it.
    assert.equal(await page.isHidden("#help"), true);
    assert.equal(await page.isHidden("#help-link"), true);
    assert.equal(await page.$eval("#help-body", (n) => n.childElementCount), 0);

    // The printable record, with every outcome and the audit chain head, and never the secret.
    await page.click("#print-record");
    assert.equal(await page.evaluate(() => window.printed), 1);
    await page.waitForSelector("#report:not([hidden])");
    const rows = await page.$$eval("#report-outcomes tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[3]]),
      [
        ["PhotoSite", "Found a copy and removed or blocked it", "5 hours"],
        ["VideoSite", "Found a copy and removed or blocked it", "3 days and 2 hours"],
        ["ChatSite", "Found a possible copy and is reviewing it", "42 minutes"],
      ],
    );
    const report = await page.textContent("#report");
    assert.match(report, /Case numberc_example/);
    assert.ok(report.includes(auditHead), "the audit chain head");
    assert.match(report, /Extra fingerprints for edited copies \(PDQ\)12/);
    assert.match(report, /Fingerprints paused while the registry checks them1/);
    assert.match(report, /expected to act within 48 hours/);
    assert.ok(!report.includes("s_example"), "never the secret");
    await page.close();
  });

  test("the case record downloads as JSON without the secret, and prints alone", async () => {
    const { context, base } = env;
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await stubPrint(page);
    const caseId = await openCase(page, [bridge]);
    const secret = await page.textContent("#new-secret");
    await Promise.all([page.waitForEvent("download"), page.click("#download-codes")]);
    await showStatus(page, caseId, secret);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-record")]);
    assert.equal(download.suggestedFilename(), `quell-case-record-${caseId}.json`);
    const text = readFileSync(await download.path(), "utf8");
    assert.ok(!text.includes(secret), "the secret is not in the record");
    assert.ok(!/secret/i.test(text), "nor any field named after it");
    const record = JSON.parse(text);
    assert.deepEqual(Object.keys(record).sort(), ["action_target_hours", "generated_at", "registry", "registry_name", "report", "status"]);
    assert.equal(record.report, "quell-case-record-v1");
    assert.equal(record.registry, base);
    assert.equal(record.registry_name, null);
    assert.equal(record.action_target_hours, 48);
    assert.ok(Math.abs(Date.parse(record.generated_at) - Date.now()) < 60_000, record.generated_at);
    assert.equal(record.status.case_id, caseId);
    // The photo's PDQ, MD5 and SHA-256, and the default profile's hashes of its crops and edits; one photo.
    const { pdq_filed: filed, ...plain } = record.status.hashes;
    assert.deepEqual(plain, { pdq: 1, md5: 1, sha256: 1, vpdq: 0 });
    assert.ok(filed > 10, `${filed} hashes of the photo's crops and edits`);
    assert.deepEqual(record.status.media, { photos: 1, videos: 0, other: 0 });
    assert.match(record.status.audit_head, /^\d+:[0-9a-f]{64}$/);

    await page.click("#print-record");
    assert.equal(await page.evaluate(() => window.printed), 1);
    const report = await page.textContent("#report");
    assert.ok(report.includes(caseId));
    assert.ok(report.includes(record.status.audit_head));
    assert.match(report, /No platform has reported finding a copy\./);
    assert.ok(!report.includes(secret), "the printed record has no secret");
    // On paper, the record alone: not the steps, and not the codes shown after opening the case.
    await page.emulateMedia({ media: "print" });
    const display = (sel) => page.$eval(sel, (n) => getComputedStyle(n).display);
    for (const sel of ["header", "#opened", "#status", "#choose", "#report .no-print"]) assert.equal(await display(sel), "none", sel);
    assert.notEqual(await display("#report"), "none");
    await page.emulateMedia({ media: "screen" });
    await page.click("#report-back");
    assert.equal(await page.isHidden("#report"), true);
    await page.close();
  });
});

describe("who runs the registry, and where to get help", () => {
  let env;
  before(async () => {
    env = await start({ locale: "es-ES", about: EXAMPLE_ABOUT });
  });
  after(async () => {
    await env?.stop();
  });

  test("the operator, help for the person's country first, the under-18 services and the platforms", async () => {
    const { page, base } = env;
    await page.goto(`${base}/`);
    await page.waitForSelector("#help:not([hidden])");
    const help = await page.textContent("#help");
    // Help is one step from the top of the page, in the person's language.
    assert.equal(await page.textContent("#help-link a"), "¿Necesitas hablar con alguien? Mira dónde pedir ayuda.");
    await page.click("#help-link a");
    assert.equal(await page.evaluate(() => location.hash), "#help");
    assert.match(help, /Quell Test Registry lo gestiona Example Support Org\./);
    assert.equal(await page.getAttribute("#help a[href^='mailto:']", "href"), "mailto:help@registry.example");
    assert.equal(await page.getAttribute("#help a[href='https://registry.example/privacy']", "rel"), "noopener noreferrer");

    // Spain's services and those for everywhere in sight; the others behind "Otros países".
    const lists = await page.$$eval("#help-body > ul.resources", (uls) =>
      uls.map((ul) => [...ul.children].map((li) => li.firstChild.textContent)),
    );
    assert.deepEqual(lists, [["Línea de ayuda ES", "Worldwide Chat"], ["Ayuda Menores ES"]]);
    assert.match(help, /Si necesitas hablar con alguien/);
    assert.match(help, /Si tienes menos de 18 años/);
    assert.equal(await page.isVisible("text=Línea de ayuda ES"), true);
    assert.equal(await page.isVisible("text=US Helpline"), false);
    await page.click("#help details:first-of-type summary");
    assert.equal(await page.isVisible("text=US Helpline"), true);
    assert.deepEqual(await page.$$eval("#help-body > ul:not(.resources) li", (li) => li.map((n) => n.textContent)), ["PhotoSite", "VideoSite"]);

    // Every link is http(s) or mailto, opens apart from this page, and tells the other site nothing.
    const links = await page.$$eval("#help a", (as) => as.map((a) => ({ href: a.href, rel: a.rel, target: a.target })));
    assert.ok(links.length >= 6, JSON.stringify(links));
    for (const l of links) {
      assert.match(l.href, /^(https?:\/\/|mailto:)/, l.href);
      assert.deepEqual([l.rel, l.target], ["noopener noreferrer", "_blank"], l.href);
    }

    await page.selectOption("#language", "en");
    const english = await page.textContent("#help");
    assert.match(english, /Quell Test Registry is run by Example Support Org\./);
    assert.match(english, /If you need to talk to someone/);
    assert.match(english, /Línea de ayuda ES \(Spain\): 016/);
  });

  test("what the registry says is shown as text, and a link that is not http(s) or mailto is not made", async () => {
    const { context, base } = env;
    const page = await context.newPage();
    // Not what `quell serve` sends (it refuses such addresses): the page checks again.
    await answerWith(page, `${base}/v1/registry`, 200, {
      name: "<img src=x onerror=alert(1)>",
      operator: "",
      contact: "javascript:alert(1)",
      privacy_notice: "javascript:alert(1)",
      help: [{ country: "", name: "Line", contact: "", url: "JavaScript:alert(1)" }],
      under_18: [],
      platforms: [],
      action_target_hours: 48,
    });
    await page.goto(`${base}/`);
    await page.waitForSelector("#help:not([hidden])");
    assert.match(await page.textContent("#help"), /<img src=x onerror=alert\(1\)>/);
    assert.equal(await page.$$eval("#help img", (n) => n.length), 0);
    assert.deepEqual(await page.$$eval("#help a", (as) => as.map((a) => a.getAttribute("href"))), []);
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
