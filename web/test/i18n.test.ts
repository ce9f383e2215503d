// The message catalogs: every language has exactly English's texts, none empty, and the page's
// markup names only texts that exist.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { catalogs, durationHours, humanDuration, pickLanguage, roughWait, type Catalog } from "../src/i18n";

type FnKey = { [K in keyof Catalog]: Catalog[K] extends string ? never : K }[keyof Catalog];

/** The arguments to call each text that is a function with: a missing one is a type error. */
const samples: { [K in FnKey]: Parameters<Catalog[K]>[] } = {
  addMore: [[1], [2]],
  videoProgress: [[40]],
  photoProgress: [[40]],
  duplicate: [["beach.jpg"]],
  summaryHashing: [[1, 3]],
  summaryReady: [[1, 1], [3, 3]],
  openFailed: [["400 invalid_hash"]],
  files: [[{ photos: 1, videos: 0, other: 0 }], [{ photos: 2, videos: 1, other: 3 }]],
  caseOpen: [
    [{ photos: 1, videos: 0, other: 0 }, 3],
    [{ photos: 2, videos: 1, other: 0 }, 8],
    [null, 3],
  ],
  statusOpen: [
    ["c_abc", "5 May 2026", { photos: 3, videos: 0, other: 1 }, 12],
    ["c_abc", "5 May 2026", null, 3],
  ],
  statusWithdrawn: [["c_abc", "5 May 2026"]],
  paused: [[1], [2]],
  outcome: (["blocked", "under_review", "not_actioned"] as const).flatMap((o) => [
    ["ExampleSocial", o, "5 May 2026", null],
    ["ExampleSocial", o, "5 May 2026", { days: 0, hours: 5, minutes: 0 }],
  ]),
  outcomeNext: [["blocked"], ["under_review"], ["not_actioned"]],
  outcomeTarget: [[true, 48], [false, 48], [true, 1]],
  duration: [[{ days: 0, hours: 0, minutes: 0 }], [{ days: 3, hours: 1, minutes: 0 }]],
  reportOutcomeText: [["blocked"], ["under_review"], ["not_actioned"]],
  reportTarget: [[48], [1]],
  helpRunBy: [["Quell Registry", "Example Org"], ["Quell Registry", ""], ["", "Example Org"]],
  outcomeOther: [["ExampleSocial", "escalated", "5 May 2026"]],
  rateLimited: [[{ unit: "minute" }], [{ unit: "minutes", n: 6 }], [{ unit: "hours", n: 2 }]],
  registryError: [["500 internal"]],
};

describe("message catalogs", () => {
  const keys = Object.keys(catalogs.en).sort();

  for (const [lang, catalog] of Object.entries(catalogs)) {
    test(`${lang} has exactly the keys of en, and no empty text`, () => {
      expect(Object.keys(catalog).sort()).toEqual(keys);
      for (const [key, text] of Object.entries(catalog) as [keyof Catalog, Catalog[keyof Catalog]][]) {
        if (typeof text === "string") {
          expect(text.trim(), `${lang}.${key}`).not.toBe("");
        } else {
          for (const args of samples[key as FnKey] as unknown[][]) {
            const out = (text as (...a: unknown[]) => string)(...args);
            expect(out.trim(), `${lang}.${key}(${JSON.stringify(args)})`).not.toBe("");
          }
        }
      }
    });
  }

  test("the markup names only texts that exist and are plain strings", () => {
    const html = readFileSync(new URL("../index.html", import.meta.url), "utf8");
    const named = [...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(20);
    for (const key of named) expect(typeof catalogs.en[key as keyof Catalog], key).toBe("string");
  });
});

describe("language and waits", () => {
  test("the tab's choice, else the first preferred language the page has, else English", () => {
    expect(pickLanguage(null, ["es-ES", "en"])).toBe("es");
    expect(pickLanguage(null, ["es-419"])).toBe("es");
    expect(pickLanguage(null, ["fr-FR", "es"])).toBe("es");
    expect(pickLanguage(null, ["fr-FR", "de"])).toBe("en");
    expect(pickLanguage(null, [])).toBe("en");
    expect(pickLanguage("en", ["es-ES"])).toBe("en");
    expect(pickLanguage("xx", ["es-MX"])).toBe("es");
  });

  test("a wait is said in minutes or hours, never seconds", () => {
    expect(roughWait(5)).toEqual({ unit: "minute" });
    expect(roughWait(60)).toEqual({ unit: "minute" });
    expect(roughWait(344)).toEqual({ unit: "minutes", n: 6 });
    expect(roughWait(3600)).toEqual({ unit: "minutes", n: 60 });
    expect(roughWait(3 * 3600)).toEqual({ unit: "hours", n: 3 });
    expect(catalogs.en.rateLimited(roughWait(344))).toBe(
      "Many requests came from this network. Please try again in about 6 minutes.",
    );
    expect(catalogs.es.rateLimited(roughWait(344))).toContain("en unos 6 minutos");
  });

  test("a time after the case's opening is said in minutes, hours or days, rounded down", () => {
    const minute = 60_000;
    const hour = 60 * minute;
    const cases: [number, string, string][] = [
      [30_000, "less than a minute", "menos de un minuto"],
      [minute, "1 minute", "1 minuto"],
      [42 * minute + 59_000, "42 minutes", "42 minutos"],
      [hour, "1 hour", "1 hora"],
      [5 * hour, "5 hours", "5 horas"],
      [5 * hour + 3 * minute, "5 hours and 3 minutes", "5 horas y 3 minutos"],
      [48 * hour + 20 * minute, "48 hours and 20 minutes", "48 horas y 20 minutos"],
      [72 * hour, "3 days", "3 días"],
      [4 * 24 * hour + hour + 59 * minute, "4 days and 1 hour", "4 días y 1 hora"],
      [31 * 24 * hour, "31 days", "31 días"],
    ];
    for (const [ms, en, es] of cases) {
      expect(catalogs.en.duration(humanDuration(ms)), `${ms} ms`).toBe(en);
      expect(catalogs.es.duration(humanDuration(ms)), `${ms} ms`).toBe(es);
    }
    expect(humanDuration(-5 * hour)).toEqual({ days: 0, hours: 0, minutes: 0 });
  });

  test("whether a platform acted in the expected time agrees with the time shown", () => {
    const hour = 3_600_000;
    // Just over 48 hours is said to the minute, so "later than 48 hours" is never said beside "48 hours".
    expect(durationHours(humanDuration(48 * hour + 60_000))).toBeGreaterThan(48);
    expect(durationHours(humanDuration(48 * hour + 59_000))).toBe(48);
    expect(durationHours(humanDuration(5 * hour))).toBe(5);
    expect(catalogs.en.outcome("PhotoSite", "blocked", "2 May 2026", humanDuration(5 * hour))).toBe(
      "PhotoSite found a copy and removed or blocked it, 5 hours after you opened your case (2 May 2026).",
    );
    expect(catalogs.en.outcomeTarget(true, 48)).toBe("That is within the 48 hours platforms are expected to act in.");
    expect(catalogs.en.outcomeTarget(false, 48)).toBe("That is later than the 48 hours platforms are expected to act in.");
    expect(catalogs.es.outcome("PhotoSite", "blocked", "2 de mayo de 2026", humanDuration(2 * 24 * hour))).toBe(
      "PhotoSite encontró una copia y la eliminó o bloqueó 48 horas después de que abrieras tu caso (2 de mayo de 2026).",
    );
  });
});

describe("files", () => {
  test("say only the kinds present, as a list is said", () => {
    expect(catalogs.en.files({ photos: 1, videos: 0, other: 0 })).toBe("1 photo");
    expect(catalogs.en.files({ photos: 2, videos: 1, other: 0 })).toBe("2 photos and 1 video");
    expect(catalogs.en.files({ photos: 2, videos: 1, other: 3 })).toBe("2 photos, 1 video and 3 other files");
    expect(catalogs.es.files({ photos: 0, videos: 2, other: 1 })).toBe("2 vídeos y 1 archivo más");
  });
});
