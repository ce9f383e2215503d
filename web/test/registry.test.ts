// What the registry says about itself, as the page will show it: only http(s) and mailto links,
// help for the person's region first, and a case record that is the status as sent, never more.
import { describe, expect, test } from "vitest";
import { caseRecord, contactHref, isSafeLink, parseAbout, regionOf, safeHref, splitByRegion } from "../src/registry";

describe("links from the registry's words", () => {
  test("only http(s) web addresses, whatever their case", () => {
    expect(safeHref("https://help.example/es")).toBe("https://help.example/es");
    expect(safeHref("HTTP://help.example")).toBe("http://help.example/");
    for (const bad of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "//help.example", "help.example", "", 7, null]) {
      expect(safeHref(bad), String(bad)).toBeNull();
    }
  });

  test("a contact links by email or web address; anything else stays text", () => {
    expect(contactHref("help@registry.example")).toBe("mailto:help@registry.example");
    expect(contactHref("https://registry.example/contact")).toBe("https://registry.example/contact");
    expect(contactHref("+1 800 555 0100")).toBeNull();
    expect(contactHref("Text HOME to 741741")).toBeNull();
    expect(contactHref("a@b.example?bcc=c@d.example")).toBeNull();
    expect(contactHref("javascript:alert(1)//@x.example")).toBeNull();
  });

  test("the last check before a link lets through http(s) and mailto only", () => {
    expect(isSafeLink("https://a.example/")).toBe(true);
    expect(isSafeLink("mailto:a@b.example")).toBe(true);
    for (const bad of ["javascript:alert(1)", " javascript:alert(1)", "data:,x", "tel:+1800", "relative/path"]) {
      expect(isSafeLink(bad), bad).toBe(false);
    }
  });
});

describe("the registry's description", () => {
  test("anything missing or malformed is left out", () => {
    expect(parseAbout({})).toEqual({
      name: "",
      operator: "",
      contact: "",
      privacyNotice: null,
      help: [],
      under18: [],
      platforms: [],
      actionTargetHours: null,
    });
    const about = parseAbout({
      name: " Quell ",
      privacy_notice: "javascript:alert(1)",
      help: [{ country: "es", name: "Línea", url: "javascript:x" }, { name: "" }, "nonsense"],
      platforms: ["PhotoSite", 3, ""],
      action_target_hours: 48,
    });
    expect(about.name).toBe("Quell");
    expect(about.privacyNotice).toBeNull();
    expect(about.help).toEqual([{ country: "ES", name: "Línea", contact: "", url: null }]);
    expect(about.platforms).toEqual(["PhotoSite"]);
    expect(about.actionTargetHours).toBe(48);
    expect(parseAbout({ action_target_hours: -1 }).actionTargetHours).toBeNull();
  });

  test("help for the person's region, then for everywhere, and the others apart", () => {
    expect(regionOf("es-ES")).toBe("ES");
    expect(regionOf("en-US")).toBe("US");
    expect(regionOf("es")).toBeNull();
    expect(regionOf("not a tag")).toBeNull();
    const r = (country: string, name: string) => ({ country, name, contact: "", url: null });
    const list = [r("US", "US line"), r("", "Everywhere"), r("ES", "ES line"), r("MX", "MX line")];
    expect(splitByRegion(list, "ES")).toEqual({ near: [r("ES", "ES line"), r("", "Everywhere")], other: [r("US", "US line"), r("MX", "MX line")] });
    expect(splitByRegion(list, null)).toEqual({ near: [r("", "Everywhere")], other: [r("US", "US line"), r("ES", "ES line"), r("MX", "MX line")] });
    // Nothing for the region or everywhere: all in sight rather than all hidden.
    expect(splitByRegion([r("US", "US line")], "ES")).toEqual({ near: [r("US", "US line")], other: [] });
  });
});

describe("the case record", () => {
  test("is the status as sent, with where and when it was read", () => {
    const status = { case_id: "c_abc", opened_at: "2026-05-01T10:00:00Z", audit_head: "7:" + "ab".repeat(32) };
    const about = parseAbout({ name: "Quell Registry", action_target_hours: 48 });
    expect(caseRecord(status, about, "https://registry.example", new Date("2026-05-03T12:00:00Z"))).toEqual({
      report: "quell-case-record-v1",
      registry: "https://registry.example",
      registry_name: "Quell Registry",
      generated_at: "2026-05-03T12:00:00.000Z",
      action_target_hours: 48,
      status,
    });
    const unnamed = caseRecord(status, parseAbout({}), "https://r.example", new Date(0));
    expect(unnamed.registry_name).toBeNull();
    expect(unnamed.action_target_hours).toBeNull();
  });
});
