/**
 * The affected person's page: choose photos, fingerprint them in a worker, open a case with
 * the fingerprints only, show the case number and secret once, check a case and withdraw it.
 *
 * The page talks to its own origin only (`/v1/cases…`), and every request body is a small JSON
 * document built here from hex strings: the files themselves are read only by the worker.
 * Videos the browser decodes (MP4/MOV with H.264, through WebCodecs) are sent as their vPDQ,
 * MD5 and SHA-256; other videos and files the page cannot decode as their MD5 and SHA-256 (exact
 * copies), and the page says so and points to `quell case open` for the rest.
 * The secret is kept in memory and sent only as an `Authorization` header, never in a URL.
 */

import "./style.css";
import { MIN_QUALITY, vpdqSignal, type ExactOnly, type FileHashes, type HashReply, type WorkerMessage } from "./protocol";

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

type Entry = {
  id: number;
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

function show(node: HTMLElement, text: string | null): void {
  node.hidden = text === null;
  node.textContent = text ?? "";
}

/** Whether a video's vPDQ has a frame good enough to match (the registry refuses it otherwise). */
function matchableVideo(h: FileHashes): boolean {
  return h.vpdq?.some((f) => f.quality >= MIN_QUALITY) ?? false;
}

/**
 * The hashes a file contributes: PDQ (photo) or vPDQ (video) with MD5 and SHA-256, or only the
 * exact ones if it has no perceptual hash or only a low-quality one.
 */
function hashInputs(h: FileHashes): { type: string; value: string; quality?: number }[] {
  const out: { type: string; value: string; quality?: number }[] = [];
  if (h.pdq && h.pdq.quality >= MIN_QUALITY) out.push({ type: "pdq", value: h.pdq.hex, quality: h.pdq.quality });
  if (h.vpdq && matchableVideo(h)) out.push({ type: "vpdq", value: vpdqSignal(h.vpdq) });
  out.push({ type: "md5", value: h.md5 }, { type: "sha256", value: h.sha256 });
  return out;
}

function refresh(): void {
  const all = [...entries.values()];
  const hashing = all.filter((e) => e.state === "hashing").length;
  const ready = all.filter((e) => e.state === "done").length;
  submit.disabled = hashing > 0 || ready === 0;
  if (all.length === 0) summary.textContent = "";
  else if (hashing > 0) summary.textContent = `Making fingerprints: ${hashing} of ${all.length} still to do.`;
  else summary.textContent = `${ready} of ${all.length} ready to send.`;
}

function addFiles(files: Iterable<File>): void {
  for (const file of files) {
    const id = nextId++;
    const item = document.createElement("li");
    item.className = "file";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name || "unnamed file";
    const status = document.createElement("span");
    status.className = "status";
    status.dataset.state = "hashing";
    status.textContent = "Making the fingerprint…";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button small";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${file.name || "this file"}`);
    remove.addEventListener("click", () => {
      entries.delete(id);
      item.remove();
      refresh();
      el("files").focus();
    });
    item.append(name, status, remove);
    list.append(item);
    entries.set(id, { id, name: file.name, item, status, state: "hashing" });
    // Posting a File hands the worker a reference, not its bytes; the worker reads it.
    worker.postMessage({ id, file });
  }
  refresh();
}

/** What a file with only its exact fingerprints (MD5, SHA-256) is told, by why it has no PDQ. */
const EXACT_ONLY_TEXT: Record<ExactOnly, string> = {
  video:
    "Ready, with a limit: this browser cannot read this video's format here. Exact copies of this file can now be " +
    "found. Copies that were re-encoded, cut or resized will not match: for those, fingerprint the video with " +
    "the quell command-line tool (quell case open).",
  video_too_long:
    "Ready, with a limit: this video is longer than this page can fingerprint (about an hour). Exact copies of " +
    "this file can now be found. Copies that were re-encoded, cut or resized will not match: for those, " +
    "fingerprint the video with the quell command-line tool (quell case open).",
  not_image:
    "Ready, with a limit: this is not a photo this page can read, so only exact copies of this file can be found.",
  too_large:
    "Ready, with a limit: this photo is too large for this page to read, so only exact copies of this file can " +
    "be found. The quell command-line tool (quell case open) can fingerprint it fully.",
  unreadable:
    "Ready, with a limit: this browser cannot read this photo's format, so only exact copies of this file can be " +
    "found. Saving it as JPEG or PNG first, or using the quell command-line tool, finds edited copies too.",
};

function finish(reply: HashReply): void {
  const entry = entries.get(reply.id);
  if (!entry) return; // removed while it was being hashed
  const { status } = entry;
  if (reply.ok) {
    entry.state = "done";
    entry.hashes = reply.hashes;
    const { pdq, vpdq } = reply.hashes;
    entry.item.dataset.pdq = pdq?.hex ?? "";
    entry.item.dataset.quality = String(pdq?.quality ?? "");
    entry.item.dataset.vpdq = vpdq ? vpdqSignal(vpdq) : "";
    entry.item.dataset.md5 = reply.hashes.md5;
    entry.item.dataset.sha256 = reply.hashes.sha256;
    if (reply.hashes.detail) console.info(`${entry.name}: exact fingerprints only: ${reply.hashes.detail}`);
    if (pdq && pdq.quality >= MIN_QUALITY) {
      status.dataset.state = "done";
      status.textContent = "Fingerprint ready.";
    } else if (vpdq && matchableVideo(reply.hashes)) {
      status.dataset.state = "done";
      status.textContent = "Fingerprint ready. Copies of this video that were re-encoded, resized or cut can be found too.";
    } else if (vpdq) {
      status.dataset.state = "low";
      status.textContent =
        "Ready, with a limit: this video is too plain or too dark to match reliably, so only exact copies of this " +
        "file can be found.";
    } else if (pdq) {
      status.dataset.state = "low";
      status.textContent =
        "Ready, with a limit: this photo is too plain or too small to match reliably, so only exact copies " +
        "of this file can be found. Edited or resized copies may be missed. A larger or more detailed version " +
        "of the photo, if you have one, works better.";
    } else {
      status.dataset.state = "exact";
      status.textContent = EXACT_ONLY_TEXT[reply.hashes.exactOnly ?? "not_image"];
    }
  } else {
    entry.state = "failed";
    status.dataset.state = "failed";
    status.textContent = "This file could not be read, so it will not be sent. You can remove it and try choosing it again.";
  }
  refresh();
}

/** A video's progress, in steps of 10% so that screen readers are not flooded. */
function progress(id: number, done: number): void {
  const entry = entries.get(id);
  if (!entry || entry.state !== "hashing") return;
  const text = `Making the video fingerprint on this device: ${Math.floor(done * 10) * 10}% done…`;
  if (entry.status.textContent !== text) entry.status.textContent = text;
}

worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
  const message = event.data;
  if ("progress" in message) progress(message.id, message.progress);
  else finish(message);
};
worker.onerror = () => {
  for (const entry of entries.values()) {
    if (entry.state === "hashing") finish({ id: entry.id, ok: false, reason: "unreadable", detail: "worker failed" });
  }
};

const input = el<HTMLInputElement>("files");
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

submit.addEventListener("click", async () => {
  const seen = new Set<string>();
  const hashes = [];
  for (const entry of entries.values()) {
    if (entry.state !== "done" || !entry.hashes) continue;
    for (const h of hashInputs(entry.hashes)) {
      const key = `${h.type}:${h.value}`;
      if (!seen.has(key)) {
        seen.add(key);
        hashes.push(h);
      }
    }
  }
  submit.disabled = true;
  show(submitError, null);
  try {
    const response = await callApi("POST", "/v1/cases", null, { hashes });
    if (response.status !== 201) {
      const err = await apiError(response);
      show(submitError, `The case could not be opened: ${err?.message ?? `the registry answered ${response.status}`}. Nothing was saved. You can try again.`);
      submit.disabled = false;
      return;
    }
    const body = (await response.json()) as { case_id: string; secret: string; hashes: number };
    opened = { caseId: body.case_id, secret: body.secret };
    el("new-case-id").textContent = body.case_id;
    el("new-secret").textContent = body.secret;
    el("opened-count").textContent = `${body.hashes} fingerprint${body.hashes === 1 ? " was" : "s were"} registered.`;
    // The photos are no longer needed here; the list goes so a second submit cannot repeat it.
    entries.clear();
    list.replaceChildren();
    refresh();
    el<HTMLInputElement>("case-id").value = body.case_id;
    const section = el("opened");
    section.hidden = false;
    section.focus();
  } catch {
    show(submitError, "The registry could not be reached. Nothing was sent. Check your connection and try again.");
    submit.disabled = false;
  }
});

function codesText(): string {
  if (!opened) return "";
  return `Quell case\nCase number: ${opened.caseId}\nSecret: ${opened.secret}\n\nKeep this safe. The secret cannot be recovered.\n`;
}

el("copy-codes").addEventListener("click", async () => {
  const result = el("copy-result");
  try {
    await navigator.clipboard.writeText(codesText());
    result.textContent = "Copied. Paste them somewhere safe, such as a password manager.";
  } catch {
    // Clipboard access can be refused (or missing on plain HTTP): select the codes instead.
    const range = document.createRange();
    range.selectNodeContents(el("opened").querySelector("dl") as Node);
    const sel = window.getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    result.textContent = "This browser did not allow copying. The codes are selected: press Ctrl+C (or Cmd+C) to copy them.";
  }
});

el("download-codes").addEventListener("click", () => {
  if (!opened) return;
  const url = URL.createObjectURL(new Blob([codesText()], { type: "text/plain" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `quell-case-${opened.caseId}.txt`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  el("copy-result").textContent = "Downloaded. Keep the file somewhere safe.";
});

const OUTCOME_TEXT: Record<string, string> = {
  blocked: "found a copy and removed or blocked it",
  under_review: "found a possible copy and is reviewing it",
  not_actioned: "reviewed a possible copy and did not act on it",
};

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
}

type CaseStatus = {
  case_id: string;
  opened_at: string;
  withdrawn_at?: string;
  hashes: { pdq: number; md5: number; sha256: number; vpdq?: number; pdq_filed?: number };
  outcomes: { member: string; outcome: string; at: string }[];
  paused?: number;
};

let current: { caseId: string; secret: string } | null = null;
const statusError = el("status-error");
const statusView = el("status-view");

function renderStatus(s: CaseStatus): void {
  const h = s.hashes;
  const total = h.pdq + h.md5 + h.sha256 + (h.vpdq ?? 0) + (h.pdq_filed ?? 0);
  const state = el("status-state");
  state.dataset.state = s.withdrawn_at ? "withdrawn" : "open";
  state.textContent = s.withdrawn_at
    ? `Case ${s.case_id} was withdrawn on ${formatDate(s.withdrawn_at)}. Platforms no longer look for its photos.`
    : `Case ${s.case_id} is open since ${formatDate(s.opened_at)}, with ${total} fingerprint${total === 1 ? "" : "s"}. Platforms that take part are looking for copies.` +
      pausedText(s.paused ?? 0);
  const outcomes = el("status-outcomes");
  outcomes.replaceChildren();
  if (s.outcomes.length === 0) {
    const li = document.createElement("li");
    li.textContent = s.withdrawn_at
      ? "No platform reported finding a copy."
      : "No platform has reported finding a copy yet. That is normal: they report only when a copy is uploaded.";
    outcomes.append(li);
  }
  for (const o of s.outcomes) {
    const li = document.createElement("li");
    li.textContent = `${o.member} ${OUTCOME_TEXT[o.outcome] ?? `reported: ${o.outcome}`} (${formatDate(o.at)}).`;
    outcomes.append(li);
  }
  el("withdraw-box").hidden = Boolean(s.withdrawn_at);
  statusView.hidden = false;
}

/** Hashes the registry's operators are checking: said plainly, with no one's reasons. */
function pausedText(paused: number): string {
  if (paused === 0) return "";
  return paused === 1
    ? " One of them is paused while the registry checks it: platforms are not looking for it until then."
    : ` ${paused} of them are paused while the registry checks them: platforms are not looking for them until then.`;
}

function explain(status: number, err: { code: string; message: string } | null): string {
  if (status === 401 || status === 403) return "The case number and secret do not match. Check both and try again.";
  if (err?.code === "invalid_case_id") return "That case number is not in the right form. It starts with c_.";
  if (status === 404) return "There is no case with that number.";
  if (status === 429) return "Too many tries. Please wait a minute and try again.";
  return `Something went wrong on the registry (${err?.message ?? status}). Please try again later.`;
}

async function loadStatus(caseId: string, secret: string): Promise<void> {
  show(statusError, null);
  try {
    const response = await callApi("GET", `/v1/cases/${encodeURIComponent(caseId)}`, secret);
    if (!response.ok) {
      statusView.hidden = true;
      show(statusError, explain(response.status, await apiError(response)));
      return;
    }
    current = { caseId, secret };
    renderStatus((await response.json()) as CaseStatus);
    statusView.focus();
  } catch {
    show(statusError, "The registry could not be reached. Check your connection and try again.");
  }
}

el<HTMLFormElement>("status-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const caseId = el<HTMLInputElement>("case-id").value.trim();
  const secret = el<HTMLInputElement>("secret").value.trim();
  if (!caseId || !secret) {
    show(statusError, "Enter both the case number and the secret.");
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
      show(statusError, explain(response.status, await apiError(response)));
      return;
    }
    await loadStatus(caseId, secret);
  } catch {
    show(statusError, "The registry could not be reached, so the case was not withdrawn. Please try again.");
  }
});
