/** The support windows of the release lines k3s-sites pins, and the check that no pin has outlived its line. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SUPPORT, codePins, lineOf, pinSupport, type Pin, type SupportWindow } from "../../src/versions/support";
import { exampleSections } from "../helpers";

const EXAMPLES = ["prod", "home", "lan", "multisite"] as const;

/** The code's pins and each example stack's k3s.version. */
function allPins(): Pin[] {
  return [
    ...EXAMPLES.map((stack) => ({
      component: "k3s" as const,
      version: exampleSections(stack).k3s.version as string,
      where: `Pulumi.${stack}.yaml`,
    })),
    ...codePins(),
  ];
}

/** A table to exercise the check on, independent of the facts in SUPPORT. */
const TABLE: Record<string, readonly SupportWindow[]> = {
  k3s: [
    { line: "1.33", released: "2025-04-23", endOfSupport: "2026-06-28", source: "s" },
    { line: "1.34", released: "2025-08-27", endOfSupport: "2026-10-27", newest: { version: "v1.34.12+k3s1" }, source: "s" },
    { line: "1.36", released: "2026-04-22", endOfSupport: "2027-06-28", newest: { version: "v1.36.5+k3s1" }, source: "s" },
    { line: "1.37", released: "2026-08-26", endOfSupport: "2027-10-28", source: "s" },
  ],
  cilium: [{ line: "1.19", released: "2026-02-04", endsWhen: "the release of 1.22", source: "s" }],
};

const k3s133: Pin = { component: "k3s", version: "v1.33.5+k3s1", where: "Pulumi.home.yaml" };

describe("support windows", () => {
  it("reports a pin past its line's last day, naming the pin and the newest supported release", () => {
    assert.deepEqual(pinSupport([k3s133], "2026-06-28", TABLE), { lapsed: [], unlisted: [] });
    assert.deepEqual(pinSupport([k3s133], "2026-06-29", TABLE).lapsed, [
      "Pulumi.home.yaml pins k3s v1.33.5+k3s1: line 1.33 left upstream support on 2026-06-28; newest supported release: " +
        "v1.36.5+k3s1 (supported lines: 1.36 (v1.36.5+k3s1) until 2027-06-28, 1.34 (v1.34.12+k3s1) until 2026-10-27)",
    ]);
    // 1.37 counts once it is released; it has no newest release listed, so 1.36's is named.
    assert.match(pinSupport([k3s133], "2026-09-01", TABLE).lapsed[0] ?? "", /newest supported release: v1\.36\.5\+k3s1 \(supported lines: 1\.37 until 2027-10-28, 1\.36/);
  });

  it("says so when no listed line is supported any more", () => {
    assert.deepEqual(pinSupport([k3s133], "2028-01-01", TABLE).lapsed, [
      "Pulumi.home.yaml pins k3s v1.33.5+k3s1: line 1.33 left upstream support on 2026-06-28; no supported line is listed",
    ]);
  });

  it("keeps a line whose end upstream states as an event, not a day", () => {
    const cilium: Pin = { component: "cilium", version: "1.19.6", where: "CILIUM_CHART" };
    assert.deepEqual(pinSupport([cilium], "2030-01-01", TABLE), { lapsed: [], unlisted: [] });
  });

  it("names a pin whose line the table does not list", () => {
    const pin: Pin = { component: "cilium", version: "1.20.0", where: "CILIUM_CHART" };
    assert.deepEqual(pinSupport([pin], "2026-12-07", TABLE).unlisted, [
      "CILIUM_CHART pins cilium 1.20.0: no support window for line 1.20 in src/versions/support.ts",
    ]);
  });

  it("lists the release line of every pin: the code's and each example's k3s.version", () => {
    assert.deepEqual(pinSupport(allPins(), "2026-12-07").unlisted, []);
    assert.deepEqual(
      allPins().map((p) => `${p.component} ${lineOf(p.version)}`).sort(),
      [
        "calico 3.31",
        "calico 3.32",
        "cert-manager 1.21",
        "cert-manager-webhook-hetzner 0.9",
        "cilium 1.20",
        "hcloud-csi 2.22",
        "k3s 1.36",
        "k3s 1.36",
        "k3s 1.36",
        "k3s 1.36",
        "metallb 0.16",
        "nginx-ingress 5.5",
        "traefik 3.7",
      ],
    );
  });

  it("gives every window a source, ISO days in order, and a newest release of its own line", () => {
    const day = /^\d{4}-\d{2}-\d{2}$/;
    for (const [component, windows] of Object.entries(SUPPORT) as [string, readonly SupportWindow[]][]) {
      const lines = windows.map((w) => w.line);
      assert.deepEqual(new Set(lines).size, lines.length, `${component}: one entry per line`);
      for (const w of windows) {
        const name = `${component} ${w.line}`;
        assert.ok(w.source.length > 0, name);
        assert.ok((w.endOfSupport === undefined) !== (w.endsWhen === undefined), `${name}: an end day or how it ends`);
        for (const d of [w.released, w.endOfSupport, w.newest?.date]) if (d !== undefined) assert.match(d, day, name);
        if (w.released !== undefined && w.endOfSupport !== undefined) assert.ok(w.released < w.endOfSupport, name);
        if (w.newest) {
          assert.equal(lineOf(w.newest.version), w.line, name);
          if (w.released !== undefined && w.newest.date !== undefined) assert.ok(w.released <= w.newest.date, name);
        }
      }
    }
  });

  // Fails on the day a pin's line leaves upstream support, naming the pin and the newest supported release: move the
  // pin (and the examples' k3s.version, one minor per pulumi up for deployed sites) before that day.
  it("has every pin inside its upstream support window today", () => {
    const today = new Date().toISOString().slice(0, 10);
    const { lapsed } = pinSupport(allPins(), today);
    assert.deepEqual(lapsed, [], `on ${today}:\n${lapsed.join("\n")}`);
  });

  it("would fail today with the examples' previous k3s pin, naming it and the newest supported release", () => {
    const old: Pin = { component: "k3s", version: "v1.33.5+k3s1", where: "Pulumi.prod.yaml" };
    const [message, ...rest] = pinSupport([old], "2026-12-07").lapsed;
    assert.deepEqual(rest, []);
    assert.match(message ?? "", /^Pulumi\.prod\.yaml pins k3s v1\.33\.5\+k3s1: line 1\.33 left upstream support on 2026-06-28; newest supported release: v1\.37\.1\+k3s1 /);
  });
});
