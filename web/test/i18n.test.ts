// The message catalogs: every language has exactly English's texts, none empty, and the page's
// markup names only texts that exist.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { catalogs, pickLanguage, roughWait, type Catalog } from "../src/i18n";

type FnKey = { [K in keyof Catalog]: Catalog[K] extends string ? never : K }[keyof Catalog];

/** The arguments to call each text that is a function with: a missing one is a type error. */
const samples: { [K in FnKey]: Parameters<Catalog[K]>[] } = {
  addMore: [[1], [2]],
  videoProgress: [[40]],
  duplicate: [["beach.jpg"]],
  summaryHashing: [[1, 3]],
  summaryReady: [[1, 1], [3, 3]],
  openFailed: [["400 invalid_hash"]],
  caseOpen: [[1], [3]],
  statusOpen: [["c_abc", "5 May 2026", 3]],
  statusWithdrawn: [["c_abc", "5 May 2026"]],
  paused: [[1], [2]],
  outcome: (["blocked", "under_review", "not_actioned"] as const).map((o) => ["ExampleSocial", o, "5 May 2026"]),
  outcomeNext: [["blocked"], ["under_review"], ["not_actioned"]],
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
});
