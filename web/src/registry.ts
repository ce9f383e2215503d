/**
 * What the registry says about itself (`GET /v1/registry`) and the case record built from a
 * case's status: plain data and pure functions, so that what reaches the page (and the file a
 * person may hand to the police) is decided here and tested without a browser.
 *
 * The operator writes the registry's description, and the server already refuses a web address
 * that is not http(s); the page checks again all the same, because a `javascript:` link on this
 * page would run with the person's case codes in reach.
 */

/** A service a person can turn to; an empty `country` serves everywhere. */
export type HelpResource = { country: string; name: string; contact: string; url: string | null };

export type RegistryAbout = {
  name: string;
  operator: string;
  contact: string;
  privacyNotice: string | null;
  help: HelpResource[];
  under18: HelpResource[];
  platforms: string[];
  /** Hours platforms are expected to act in after a case is opened; null if not said. */
  actionTargetHours: number | null;
};

/** The files a case's fingerprints were made from, by what they are. */
export type MediaCounts = { photos: number; videos: number; other: number };

/** The status of a case, as `GET /v1/cases/{id}` sends it. */
export type CaseStatus = {
  case_id: string;
  opened_at: string;
  withdrawn_at?: string;
  hashes: { pdq: number; md5: number; sha256: number; vpdq?: number; pdq_filed?: number };
  /** Absent for a case opened before the registry kept files. */
  media?: MediaCounts;
  outcomes: { member: string; outcome: string; at: string }[];
  paused?: number;
  audit_head?: string;
};

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

/** `value` if it is an absolute http(s) address, else null: the only web links the page makes. */
export function safeHref(value: unknown): string | null {
  const s = text(value);
  try {
    const url = new URL(s);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Whether the page may put `href` in a link: http(s) and mailto only. Every link it makes from
 * the registry's words passes here last, whatever made the address, so no other scheme
 * (`javascript:`, `data:`) can reach the page.
 */
export function isSafeLink(href: string): boolean {
  try {
    return ["http:", "https:", "mailto:"].includes(new URL(href).protocol);
  } catch {
    return false;
  }
}

// One address, with nothing a mailto: link would read as extra headers or recipients.
const EMAIL = /^[^\s@?&,;:<>"'()/\\]+@[^\s@?&,;:<>"'()/\\]+\.[^\s@?&,;:<>"'()/\\]+$/;

/** Where a contact (an email address, a web page, a phone number…) links to, or null for plain text. */
export function contactHref(contact: string): string | null {
  if (EMAIL.test(contact)) return `mailto:${contact}`;
  return /^https?:\/\//i.test(contact) ? safeHref(contact) : null;
}

function resources(value: unknown): HelpResource[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((r) => ({
      country: text(r?.country).toUpperCase(),
      name: text(r?.name),
      contact: text(r?.contact),
      url: safeHref(r?.url),
    }))
    .filter((r) => r.name !== "");
}

/** The registry's answer as the page uses it; anything missing or malformed is left out. */
export function parseAbout(json: unknown): RegistryAbout {
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const hours = o.action_target_hours;
  return {
    name: text(o.name),
    operator: text(o.operator),
    contact: text(o.contact),
    privacyNotice: safeHref(o.privacy_notice),
    help: resources(o.help),
    under18: resources(o.under_18),
    platforms: Array.isArray(o.platforms) ? o.platforms.map(text).filter((p) => p !== "") : [],
    actionTargetHours: typeof hours === "number" && Number.isFinite(hours) && hours > 0 ? hours : null,
  };
}

/** The region of a language tag (`es-ES` → `ES`), or null when it names none (`es`). */
export function regionOf(tag: string): string | null {
  try {
    return new Intl.Locale(tag).region ?? null;
  } catch {
    return null;
  }
}

/**
 * The resources for the person's region first (theirs, then those for everywhere), and the
 * rest apart. When none is for their region or everywhere, all are near: hiding every one
 * behind "Other countries" would leave the person nothing in sight.
 */
export function splitByRegion(list: HelpResource[], region: string | null): { near: HelpResource[]; other: HelpResource[] } {
  const mine = list.filter((r) => region !== null && r.country === region);
  const everywhere = list.filter((r) => r.country === "");
  const near = [...mine, ...everywhere];
  if (near.length === 0) return { near: list, other: [] };
  return { near, other: list.filter((r) => !near.includes(r)) };
}

/**
 * The case record a person can download: the status exactly as the registry sent it (the
 * secret is never part of it), with where and when it was read.
 */
export function caseRecord(status: unknown, about: RegistryAbout | null, origin: string, now: Date) {
  return {
    report: "quell-case-record-v1",
    registry: origin,
    registry_name: about?.name || null,
    generated_at: now.toISOString(),
    action_target_hours: about?.actionTargetHours ?? null,
    status,
  };
}
