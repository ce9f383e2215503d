/**
 * The affected person's page: choose photos, fingerprint them in a worker, open a case with
 * the fingerprints only, show the case number and secret once, check a case and withdraw it.
 *
 * The page talks to its own origin only (`/v1/cases…`), and every request body is a small JSON
 * document built here from hex strings: the files themselves are read only by the worker.
 * Videos the browser decodes (MP4/MOV with H.264, through WebCodecs) are sent as their vPDQ,
 * MD5 and SHA-256; other videos and files the page cannot decode as their MD5 and SHA-256 (exact
 * copies), and the page says so.
 * The secret is kept in memory and sent only as an `Authorization` header, never in a URL, and
 * is never part of the case record the person can print or download.
 * What the registry says about itself (who runs it, where to get help, the platforms' expected
 * time to act) is fetched once at load and shown only as text and checked links.
 *
 * Every text shown comes from the catalog of the chosen language (`i18n.ts`); a text that
 * depends on the page's state is set with `say`, which keeps how to make it so that a change of
 * language re-renders it too.
 */

import "./style.css";
import {
  catalogs,
  durationHours,
  humanDuration,
  pickLanguage,
  roughWait,
  type Catalog,
  type Duration,
  type Lang,
  type Outcome,
  type StaticKey,
} from "./i18n";
import {
  DEFAULT_PROFILE,
  MAX_FILED_HASHES_PER_CASE,
  MAX_HASHES_PER_CASE,
  MIN_QUALITY,
  vpdqSignal,
  type ExactOnly,
  type FileHashes,
  type HashReply,
  type WorkerMessage,
} from "./protocol";
import {
  caseRecord,
  contactHref,
  isSafeLink,
  parseAbout,
  regionOf,
  splitByRegion,
  type CaseStatus,
  type MediaCounts,
  type HelpResource,
  type RegistryAbout,
} from "./registry";

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

// The language chosen with the switch is kept in sessionStorage, not localStorage: it lasts
// while the tab is open and leaves no trace of this page on a shared device afterwards.
const LANGUAGE_KEY = "quell-language";

function storedLanguage(): string | null {
  try {
    return sessionStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null; // storage can be disabled; the browser's languages decide then
  }
}

let lang: Lang = pickLanguage(storedLanguage(), navigator.languages);
let t: Catalog = catalogs[lang];

/** The texts that depend on the page's state, each with how to make it in the current language. */
const texts = new Map<HTMLElement, () => string>();

function say(node: HTMLElement, text: (() => string) | null): void {
  if (text === null) {
    texts.delete(node);
    node.textContent = "";
  } else {
    texts.set(node, text);
    node.textContent = text();
  }
}

function show(node: HTMLElement, text: (() => string) | null): void {
  node.hidden = text === null;
  say(node, text);
}

function render(): void {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    node.textContent = t[node.dataset.i18n as StaticKey];
  }
  for (const [node, text] of texts) {
    if (node.isConnected) node.textContent = text();
    else texts.delete(node);
  }
}

const languageSelect = el<HTMLSelectElement>("language");
for (const [code, catalog] of Object.entries(catalogs)) {
  const option = new Option(catalog.languageName, code);
  option.lang = code;
  languageSelect.append(option);
}
languageSelect.value = lang;
languageSelect.addEventListener("change", () => {
  lang = languageSelect.value as Lang;
  t = catalogs[lang];
  try {
    sessionStorage.setItem(LANGUAGE_KEY, lang);
  } catch {
    // not remembered across reloads, but switched all the same
  }
  render();
});

type Entry = {
  id: number;
  /** Name, size and modification time: the same file chosen again is skipped before hashing. */
  key: string;
  name: string;
  item: HTMLLIElement;
  status: HTMLElement;
  state: "hashing" | "done" | "failed";
  hashes?: FileHashes;
};

const entries = new Map<number, Entry>();
let nextId = 1;
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });

const list = el<HTMLUListElement>("file-list");
const summary = el("summary");
const submit = el<HTMLButtonElement>("submit");
const submitError = el("submit-error");
const input = el<HTMLInputElement>("files");
/** The last file left out because it was already listed, said once in the summary. */
let duplicate: string | null = null;

/** Whether a video's vPDQ has a frame good enough to match (the registry refuses it otherwise). */
function matchableVideo(h: FileHashes): boolean {
  return h.vpdq?.some((f) => f.quality >= MIN_QUALITY) ?? false;
}

/**
 * The hashes a file contributes: PDQ (photo) or vPDQ (video) with MD5 and SHA-256, or only the
 * exact ones if it has no perceptual hash or only a low-quality one.
 */
type HashInput = { type: string; value: string; quality?: number; profile?: string; part?: string; file: number };

/** One file's hashes as the registry takes them, as `quell case open` sends them: a photo's PDQ,
 * then its default profile hashes filed by part. `file` numbers the file in the request, so the
 * registry gives all of them one media id (one photo, one ticket at a platform). */
function hashInputs(h: FileHashes, file: number): HashInput[] {
  const out: HashInput[] = [];
  if (h.pdq && h.pdq.quality >= MIN_QUALITY) {
    out.push({ type: "pdq", value: h.pdq.hex, quality: h.pdq.quality, file });
    // (The profile keeps its first hash whatever its quality; the registry refuses one below 50.)
    for (const f of (h.filed ?? []).filter((f) => f.quality >= MIN_QUALITY)) {
      out.push({ type: "pdq", value: f.hex, quality: f.quality, profile: DEFAULT_PROFILE, part: f.part, file });
    }
  }
  if (h.vpdq && matchableVideo(h)) out.push({ type: "vpdq", value: vpdqSignal(h.vpdq), file });
  out.push({ type: "md5", value: h.md5, file }, { type: "sha256", value: h.sha256, file });
  return out;
}

/** What the case will hold: every ready file's hashes, each once (a copy's go with the first file). */
function caseHashes(): HashInput[] {
  const seen = new Set<string>();
  const hashes: HashInput[] = [];
  let file = 0;
  for (const entry of entries.values()) {
    if (entry.state !== "done" || !entry.hashes) continue;
    for (const h of hashInputs(entry.hashes, file++)) {
      const key = `${h.type}:${h.value}:${h.profile ?? ""}:${h.part ?? ""}`;
      if (!seen.has(key)) {
        seen.add(key);
        hashes.push(h);
      }
    }
  }
  return hashes;
}

/** Whether `hashes` fit one case (the registry's `MAX_HASHES_PER_CASE` and `MAX_FILED_HASHES_PER_CASE`). */
function fitsOneCase(hashes: HashInput[]): boolean {
  const filed = hashes.filter((h) => h.profile !== undefined).length;
  return hashes.length - filed <= MAX_HASHES_PER_CASE && filed <= MAX_FILED_HASHES_PER_CASE;
}

function refresh(): void {
  const all = [...entries.values()];
  const hashing = all.filter((e) => e.state === "hashing").length;
  const ready = all.filter((e) => e.state === "done").length;
  // Counted before sending: a case the registry would refuse is said plainly here, not after.
  const fits = hashing > 0 || fitsOneCase(caseHashes());
  submit.disabled = hashing > 0 || ready === 0 || !fits;
  const label = el("files-label");
  // Once files are listed, sending them is the next step: the chooser steps back from primary.
  label.classList.toggle("primary", all.length === 0);
  say(label, () => (all.length === 0 ? t.chooseButton : t.addMore(all.length)));
  const said = duplicate;
  say(summary, () => {
    const state =
      all.length === 0
        ? ""
        : hashing > 0
          ? t.summaryHashing(hashing, all.length)
          : fits
            ? t.summaryReady(ready, all.length)
            : t.tooManyForOneCase;
    return said === null ? state : `${t.duplicate(said)} ${state}`.trim();
  });
}

function addFiles(files: Iterable<File>): void {
  duplicate = null;
  for (const file of files) {
    const key = `${file.name}\u0000${file.size}\u0000${file.lastModified}`;
    const name = file.name || null;
    if ([...entries.values()].some((e) => e.key === key)) {
      duplicate = file.name;
      continue;
    }
    const id = nextId++;
    const item = document.createElement("li");
    item.className = "file";
    const nameNode = document.createElement("span");
    nameNode.className = "name";
    nameNode.id = `file-${id}-name`;
    say(nameNode, () => name ?? t.unnamed);
    const status = document.createElement("span");
    status.className = "status";
    status.dataset.state = "hashing";
    say(status, () => t.hashing);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button small";
    remove.id = `file-${id}-remove`;
    say(remove, () => t.remove);
    // Named "Remove" and the file's name, in whatever language the page is in.
    remove.setAttribute("aria-labelledby", `${remove.id} ${nameNode.id}`);
    remove.addEventListener("click", () => {
      entries.delete(id);
      item.remove();
      duplicate = null;
      refresh();
      input.focus();
    });
    item.append(nameNode, status, remove);
    list.append(item);
    entries.set(id, { id, key, name: file.name, item, status, state: "hashing" });
    // Posting a File hands the worker a reference, not its bytes; the worker reads it.
    worker.postMessage({ id, file });
  }
  refresh();
}

/** What a file with only its exact fingerprints (MD5, SHA-256) is told, by why it has no PDQ. */
const EXACT_ONLY_TEXT: Record<ExactOnly, StaticKey> = {
  video: "exactVideo",
  video_too_long: "exactVideoTooLong",
  not_image: "exactNotImage",
  too_large: "exactTooLarge",
  unreadable: "exactUnreadable",
};

function finish(reply: HashReply): void {
  const entry = entries.get(reply.id);
  if (!entry) return; // removed while it was being hashed
  const { status } = entry;
  if (!reply.ok) {
    entry.state = "failed";
    status.dataset.state = "failed";
    say(status, () => t.failed);
    refresh();
    return;
  }
  const same = [...entries.values()].find((e) => e.state === "done" && e.hashes?.sha256 === reply.hashes.sha256);
  if (same) {
    // The same bytes under another name or chosen again: listed and sent once.
    entries.delete(entry.id);
    entry.item.remove();
    duplicate = entry.name;
    refresh();
    return;
  }
  entry.state = "done";
  entry.hashes = reply.hashes;
  const { pdq, vpdq } = reply.hashes;
  entry.item.dataset.pdq = pdq?.hex ?? "";
  entry.item.dataset.quality = String(pdq?.quality ?? "");
  entry.item.dataset.vpdq = vpdq ? vpdqSignal(vpdq) : "";
  entry.item.dataset.md5 = reply.hashes.md5;
  entry.item.dataset.sha256 = reply.hashes.sha256;
  if (reply.hashes.detail) console.info(`${entry.name}: ${reply.hashes.detail}`);
  let key: StaticKey;
  if (pdq && pdq.quality >= MIN_QUALITY) [status.dataset.state, key] = ["done", "ready"];
  else if (vpdq && matchableVideo(reply.hashes)) [status.dataset.state, key] = ["done", "readyVideo"];
  else if (vpdq) [status.dataset.state, key] = ["low", "lowVideo"];
  else if (pdq) [status.dataset.state, key] = ["low", "lowPhoto"];
  else [status.dataset.state, key] = ["exact", EXACT_ONLY_TEXT[reply.hashes.exactOnly ?? "not_image"]];
  say(status, () => t[key]);
  refresh();
}

/** A video's or a photo's progress, in steps of 10% so that screen readers are not flooded. */
function progress(id: number, done: number, what: "video" | "photo"): void {
  const entry = entries.get(id);
  if (!entry || entry.state !== "hashing") return;
  const percent = Math.floor(done * 10) * 10;
  const text = what === "video" ? () => t.videoProgress(percent) : () => t.photoProgress(percent);
  if (entry.status.textContent !== text()) say(entry.status, text);
}

worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
  const message = event.data;
  if ("progress" in message) progress(message.id, message.progress, message.what);
  else finish(message);
};
worker.onerror = () => {
  for (const entry of entries.values()) {
    if (entry.state === "hashing") finish({ id: entry.id, ok: false, reason: "unreadable", detail: "worker failed" });
  }
};

input.addEventListener("change", () => {
  if (input.files) addFiles(input.files);
  input.value = "";
});

const drop = el("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer?.files) addFiles(e.dataTransfer.files);
});
// A drop that misses the drop area must not open the photo in the tab.
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

/** An API error body `{"error": {"code", "message"}}`, or null. */
async function apiError(response: Response): Promise<{ code: string; message: string } | null> {
  try {
    const body = await response.json();
    return body?.error ?? null;
  } catch {
    return null;
  }
}

/** The registry's 429, in words: how long to wait (its `Retry-After`), not whom it blames. */
function rateLimited(response: Response): () => string {
  const seconds = Number(response.headers.get("retry-after"));
  const wait = roughWait(Number.isFinite(seconds) && seconds > 0 ? seconds : 60);
  return () => t.rateLimited(wait);
}

async function callApi(method: "GET" | "POST", path: string, secret: string | null, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (secret !== null) headers.authorization = `Bearer ${secret}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
}

let opened: { caseId: string; secret: string } | null = null;
/**
 * Whether the newly opened case's codes are still only on the screen: until they are
 * downloaded or copied, leaving or reloading the page asks first, as they cannot be shown again.
 */
let codesUnsaved = false;
window.addEventListener("beforeunload", (e) => {
  if (!codesUnsaved) return;
  e.preventDefault();
  // Older browsers ask only when `returnValue` is set; its text is not shown by any of them.
  e.returnValue = "";
});

submit.addEventListener("click", async () => {
  const hashes = caseHashes();
  submit.disabled = true;
  show(submitError, null);
  try {
    const response = await callApi("POST", "/v1/cases", null, { hashes });
    if (response.status !== 201) {
      if (response.status === 429) show(submitError, rateLimited(response));
      else {
        const detail = (await apiError(response))?.message ?? String(response.status);
        show(submitError, () => t.openFailed(detail));
      }
      submit.disabled = false;
      return;
    }
    const body = (await response.json()) as { case_id: string; secret: string; hashes: number; media?: MediaCounts };
    opened = { caseId: body.case_id, secret: body.secret };
    codesUnsaved = true;
    el("new-case-id").textContent = body.case_id;
    el("new-secret").textContent = body.secret;
    say(el("copy-result"), null);
    say(el("opened-count"), () => t.caseOpen(body.media ?? null, body.hashes));
    // The photos are no longer needed here; the list goes so a second submit cannot repeat it,
    // and the steps before go so that the codes are the one thing left to do.
    entries.clear();
    list.replaceChildren();
    duplicate = null;
    refresh();
    el("choose").hidden = true;
    el("send").hidden = true;
    el<HTMLInputElement>("case-id").value = body.case_id;
    const section = el("opened");
    section.hidden = false;
    section.focus();
  } catch {
    show(submitError, () => t.openUnreachable);
    submit.disabled = false;
  }
});

/** The codes as the command-line tool writes them (`quell case open --save`), so `--case-file` reads either. */
function codesText(): string {
  if (!opened) return "";
  return (
    `Quell case\nRegistry: ${location.origin}\nCase number: ${opened.caseId}\nSecret: ${opened.secret}\n\n` +
    "Keep this safe. The secret cannot be recovered.\n"
  );
}

const codes = el("opened").querySelector("dl") as HTMLElement;

el("copy-codes").addEventListener("click", async () => {
  const result = el("copy-result");
  try {
    await navigator.clipboard.writeText(codesText());
    codesUnsaved = false;
    say(result, () => t.copied);
  } catch {
    // Clipboard access can be refused (or missing on plain HTTP): select the codes instead.
    const range = document.createRange();
    range.selectNodeContents(codes);
    const sel = window.getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    say(result, () => t.copyRefused);
  }
});
// Codes copied by hand (after a refused copy, or selected with the mouse) count as saved.
document.addEventListener("copy", () => {
  const sel = window.getSelection();
  if (sel && sel.rangeCount > 0 && codes.contains(sel.getRangeAt(0).commonAncestorContainer)) codesUnsaved = false;
});

function saveFile(name: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

el("download-codes").addEventListener("click", () => {
  if (!opened) return;
  saveFile(`quell-case-${opened.caseId}.txt`, "text/plain", codesText());
  codesUnsaved = false;
  say(el("copy-result"), () => t.downloaded);
});

/**
 * A time as the page shows it; `exact` adds the seconds and the time zone, for the case record,
 * which may be read far from where it was made.
 */
function formatDate(iso: string, exact = false): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(lang, { dateStyle: "long", timeStyle: exact ? "long" : "short" });
}

/** How long after `from` the time `to` came, or null if either is unreadable or `to` is earlier. */
function timeAfter(from: string, to: string): Duration | null {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? humanDuration(ms) : null;
}

// What the registry says about itself. The case status waits for it (for the platforms'
// expected time to act); when it cannot be read, the page does without.
let about: RegistryAbout | null = null;
const aboutLoaded: Promise<void> = callApi("GET", "/v1/registry", null)
  .then(async (response) => {
    if (!response.ok) return;
    about = parseAbout(await response.json());
    renderHelp(about);
  })
  .catch(() => undefined);

/** A link the page made from the registry's words, or plain text when its address is not one the page links to. */
function link(href: string | null, text: () => string): HTMLElement {
  if (href === null || !isSafeLink(href)) {
    const span = document.createElement("span");
    say(span, text);
    return span;
  }
  const a = document.createElement("a");
  a.href = href;
  // In a new tab, so that leaving for help never loses the case codes on this page; without
  // an opener or a referrer, so the other site learns nothing of this one.
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  say(a, text);
  return a;
}

function node<K extends keyof HTMLElementTagNameMap>(tag: K, text: (() => string) | null, ...children: (Node | string)[]) {
  const n = document.createElement(tag);
  if (text) say(n, text);
  n.append(...children);
  return n;
}

function countryName(code: string): string {
  try {
    return new Intl.DisplayNames([lang], { type: "region" }).of(code) ?? code;
  } catch {
    return code; // not a region code the browser knows: as the operator wrote it
  }
}

function resourceList(list: HelpResource[]): HTMLUListElement {
  const ul = document.createElement("ul");
  ul.className = "resources";
  for (const r of list) {
    const li = document.createElement("li");
    li.append(link(r.url, () => r.name));
    if (r.country) li.append(node("span", () => ` (${countryName(r.country)})`));
    if (r.contact) li.append(": ", link(contactHref(r.contact), () => r.contact));
    ul.append(li);
  }
  return ul;
}

/** A list of services, those for the person's region in sight and the others behind a disclosure. */
function resourcesPart(title: StaticKey, intro: StaticKey, list: HelpResource[]): HTMLElement[] {
  const { near, other } = splitByRegion(list, regionOf(navigator.language));
  const part: HTMLElement[] = [node("h3", () => t[title]), node("p", () => t[intro]), resourceList(near)];
  if (other.length > 0) {
    const details = node("details", null, node("summary", () => t.helpOtherCountries), resourceList(other));
    details.className = "more";
    part.push(details);
  }
  return part;
}

/** Fills the help section with the parts the operator filled in; with none, it stays hidden. */
function renderHelp(a: RegistryAbout): void {
  const parts: HTMLElement[] = [];
  if (a.name || a.operator || a.contact || a.privacyNotice) {
    parts.push(node("h3", () => t.helpWho));
    if (a.name || a.operator) parts.push(node("p", () => t.helpRunBy(a.name, a.operator)));
    if (a.contact) {
      parts.push(node("p", null, node("span", () => t.helpContact), " ", link(contactHref(a.contact), () => a.contact)));
    }
    if (a.privacyNotice) parts.push(node("p", null, link(a.privacyNotice, () => t.helpPrivacy)));
  }
  if (a.help.length > 0) parts.push(...resourcesPart("helpTalkTitle", "helpTalkIntro", a.help));
  if (a.under18.length > 0) parts.push(...resourcesPart("helpUnder18Title", "helpUnder18Intro", a.under18));
  if (a.platforms.length > 0) {
    const ul = document.createElement("ul");
    ul.append(...a.platforms.map((p) => node("li", () => p)));
    parts.push(node("h3", () => t.helpPlatformsTitle), ul);
  }
  el("help-body").replaceChildren(...parts);
  el("help").hidden = parts.length === 0;
  el("help-link").hidden = a.help.length === 0 && a.under18.length === 0;
}

const OUTCOMES: readonly string[] = ["blocked", "under_review", "not_actioned"] satisfies Outcome[];

let current: { caseId: string; secret: string } | null = null;
/** The status last shown, as the registry sent it: what the downloaded record carries. */
let shown: { status: CaseStatus; raw: unknown } | null = null;
const statusError = el("status-error");
const statusView = el("status-view");

/** One line of the case's outcomes: what happened, and below it what the person can do. */
function outcomeItem(what: () => string, next: (() => string) | null): HTMLLIElement {
  const li = document.createElement("li");
  const whatNode = document.createElement("span");
  say(whatNode, what);
  li.append(whatNode);
  if (next) {
    const nextNode = document.createElement("span");
    nextNode.className = "next";
    say(nextNode, next);
    li.append(" ", nextNode);
  }
  return li;
}

function renderStatus(s: CaseStatus): void {
  const h = s.hashes;
  const total = h.pdq + h.md5 + h.sha256 + (h.vpdq ?? 0) + (h.pdq_filed ?? 0);
  const { withdrawn_at: withdrawn } = s;
  const state = el("status-state");
  state.dataset.state = withdrawn ? "withdrawn" : "open";
  say(state, () =>
    withdrawn
      ? t.statusWithdrawn(s.case_id, formatDate(withdrawn))
      : [t.statusOpen(s.case_id, formatDate(s.opened_at), s.media ?? null, total), s.paused ? t.paused(s.paused) : ""]
          .join(" ")
          .trim(),
  );
  const outcomes = el("status-outcomes");
  outcomes.replaceChildren();
  if (s.outcomes.length === 0) {
    outcomes.append(
      withdrawn ? outcomeItem(() => t.noOutcomesWithdrawn, null) : outcomeItem(() => t.noOutcomes, () => t.noOutcomesNext),
    );
  }
  const target = about?.actionTargetHours ?? null;
  for (const o of s.outcomes) {
    const known = OUTCOMES.includes(o.outcome) ? (o.outcome as Outcome) : null;
    const after = timeAfter(s.opened_at, o.at);
    // Only a removal is measured against the expected time: it is the action the time is for,
    // and a review still under way or a refusal is not made better or worse by its speed.
    const judged = known === "blocked" && after !== null && target !== null;
    outcomes.append(
      known
        ? outcomeItem(
            () =>
              [
                t.outcome(o.member, known, formatDate(o.at), after),
                judged ? t.outcomeTarget(durationHours(after) <= target, target) : "",
              ]
                .join(" ")
                .trim(),
            () => t.outcomeNext(known),
          )
        : outcomeItem(() => t.outcomeOther(o.member, o.outcome, formatDate(o.at)), () => t.outcomeOtherNext),
    );
  }
  el("withdraw-box").hidden = Boolean(withdrawn);
  if (withdrawn && opened?.caseId === s.case_id) {
    // A withdrawn case needs no saving: the codes and their warning go, the status says why,
    // and the first steps come back for a new case.
    codesUnsaved = false;
    el("opened").hidden = true;
    el("choose").hidden = false;
    el("send").hidden = false;
  }
  renderReport(s);
  statusView.hidden = false;
}

/** One `label: value` line of the report. */
function fact(list: HTMLElement, label: () => string, value: () => string): void {
  list.append(node("dt", label), node("dd", value));
}

/** The printable case record: the status in full, with nothing that is not in the downloaded one. */
function renderReport(s: CaseStatus): void {
  const made = new Date().toISOString();
  const facts = el("report-facts");
  facts.replaceChildren();
  fact(facts, () => t.reportRegistry, () => {
    const who = about && (about.name || about.operator) ? ` (${t.helpRunBy(about.name, about.operator)})` : "";
    return `${location.origin}${who}`;
  });
  fact(facts, () => t.reportMade, () => formatDate(made, true));
  fact(facts, () => t.caseNumber, () => s.case_id);
  fact(facts, () => t.reportOpened, () => formatDate(s.opened_at, true));
  if (s.withdrawn_at) {
    const withdrawn = s.withdrawn_at;
    fact(facts, () => t.reportWithdrawn, () => formatDate(withdrawn, true));
  }

  const counts = el("report-counts");
  counts.replaceChildren();
  const files = s.media;
  if (files) fact(counts, () => t.reportFiles, () => t.files(files));
  const h = s.hashes;
  const rows: [StaticKey, number][] = [
    ["reportPdq", h.pdq],
    ["reportMd5", h.md5],
    ["reportSha256", h.sha256],
    ["reportVpdq", h.vpdq ?? 0],
    ["reportPdqFiled", h.pdq_filed ?? 0],
    ["reportPaused", s.paused ?? 0],
  ];
  for (const [key, n] of rows) fact(counts, () => t[key], () => String(n));

  const target = about?.actionTargetHours ?? null;
  show(el("report-target"), target === null ? null : () => t.reportTarget(target));
  el("report-no-outcomes").hidden = s.outcomes.length > 0;
  const table = el("report-outcomes");
  table.hidden = s.outcomes.length === 0;
  const body = table.querySelector("tbody") as HTMLTableSectionElement;
  body.replaceChildren(
    ...s.outcomes.map((o) => {
      const known = OUTCOMES.includes(o.outcome) ? (o.outcome as Outcome) : null;
      const after = timeAfter(s.opened_at, o.at);
      return node(
        "tr",
        null,
        node("td", () => o.member),
        node("td", () => (known ? t.reportOutcomeText(known) : `“${o.outcome}”`)),
        node("td", () => formatDate(o.at, true)),
        node("td", () => (after ? t.duration(after) : "")),
      );
    }),
  );

  el("report-audit").hidden = !s.audit_head;
  el("report-audit-head").textContent = s.audit_head ?? "";
}

const report = el("report");

function closeReport(): void {
  report.hidden = true;
  document.body.classList.remove("report-open");
}

el("print-record").addEventListener("click", () => {
  report.hidden = false;
  // The print stylesheet leaves only the report on paper while it is open.
  document.body.classList.add("report-open");
  report.focus();
  window.print();
});
el("report-back").addEventListener("click", () => {
  closeReport();
  el("print-record").focus();
});

el("download-record").addEventListener("click", () => {
  if (!shown) return;
  const record = caseRecord(shown.raw, about, location.origin, new Date());
  saveFile(`quell-case-record-${shown.status.case_id}.json`, "application/json", `${JSON.stringify(record, null, 2)}\n`);
  say(el("record-result"), () => t.recordDownloaded);
});

async function explain(response: Response): Promise<() => string> {
  const { status } = response;
  if (status === 429) return rateLimited(response);
  const err = await apiError(response);
  if (status === 401 || status === 403) return () => t.mismatch;
  if (err?.code === "invalid_case_id") return () => t.badCaseId;
  if (status === 404) return () => t.noCase;
  const detail = err?.message ?? String(status);
  return () => t.registryError(detail);
}

async function loadStatus(caseId: string, secret: string): Promise<void> {
  show(statusError, null);
  try {
    const response = await callApi("GET", `/v1/cases/${encodeURIComponent(caseId)}`, secret);
    if (!response.ok) {
      statusView.hidden = true;
      closeReport();
      shown = null;
      show(statusError, await explain(response));
      return;
    }
    const raw: unknown = await response.json();
    await aboutLoaded;
    current = { caseId, secret };
    shown = { status: raw as CaseStatus, raw };
    say(el("record-result"), null);
    renderStatus(shown.status);
    statusView.focus();
  } catch {
    show(statusError, () => t.unreachable);
  }
}

el<HTMLFormElement>("status-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const caseId = el<HTMLInputElement>("case-id").value.trim();
  const secret = el<HTMLInputElement>("secret").value.trim();
  if (!caseId || !secret) {
    show(statusError, () => t.enterBoth);
    return;
  }
  void loadStatus(caseId, secret);
});

const dialog = el<HTMLDialogElement>("confirm-withdraw");
el("withdraw").addEventListener("click", () => dialog.showModal());
el("confirm-no").addEventListener("click", () => dialog.close());
el("confirm-yes").addEventListener("click", async () => {
  dialog.close();
  if (!current) return;
  const { caseId, secret } = current;
  try {
    const response = await callApi("POST", `/v1/cases/${encodeURIComponent(caseId)}/withdraw`, secret);
    if (!response.ok) {
      show(statusError, await explain(response));
      return;
    }
    await loadStatus(caseId, secret);
  } catch {
    show(statusError, () => t.withdrawUnreachable);
  }
});

refresh();
render();
