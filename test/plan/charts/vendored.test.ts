/** The vendored charts are the upstream trees upstream/SOURCES.md lists, and the plan refuses any other version. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { treeDigest } from "../../../plan/charts/digest";
import { CHARTS_DIR, vendoredChart, vendoredVersions } from "../../../plan/charts/vendored";
import { CILIUM_CHART } from "../../../src/cni/cilium";
import { CERT_MANAGER_CHART, HETZNER_WEBHOOK } from "../../../src/certificates/cert-manager/cert-manager";
import { METALLB_CHART } from "../../../src/lb/metallb/schema";
import { ROOT } from "../../helpers";

const SOURCES = readFileSync(join(ROOT, "upstream", "SOURCES.md"), "utf8");

/** Rows of the "charts" table: folder, file count and tree digest. */
function listed(): { folder: string; files: number; digest: string }[] {
  return SOURCES.split("\n")
    .filter((l) => l.startsWith("| charts/"))
    .map((l) => l.split("|").map((c) => c.trim()))
    .map((cells) => ({ folder: cells[1]!, files: Number(cells[5]), digest: cells[6]! }));
}

/** The version each chart is pinned at. */
const PINNED: Record<string, string> = {
  cilium: CILIUM_CHART.version,
  "cert-manager": CERT_MANAGER_CHART.version,
  [HETZNER_WEBHOOK.chart]: HETZNER_WEBHOOK.version,
  metallb: METALLB_CHART.version,
};

/** Every other vendored version, and what it is there for. */
const UNPINNED: Record<string, Record<string, string>> = {
  cilium: {
    "1.19.5": "a site still on the 1.19 line before 1.19.6: --chart-diff cilium=1.19.5",
    "1.19.6": "the previous pin, the upgrade source of the 1.20 line (issue 26): --chart-diff cilium=1.19.6",
  },
  "cert-manager": { "v1.21.1": "the previous patch release: --chart-diff cert-manager=v1.21.1" },
  traefik: {
    "41.3.0": "ingress.controller traefik (issue 27) is not built yet: its values keys, CRDs and images are facts in upstream/SOURCES.md, traefik",
  },
  "hcloud-csi": {
    "2.22.1": "Hetzner volumes (issue 28) are not built yet: its values keys and the driver's needs are facts in upstream/SOURCES.md, hcloud-csi",
  },
};

/** Every chart folder under upstream/charts. */
const CHARTS = readdirSync(CHARTS_DIR).sort();

describe("vendored charts", () => {
  it("vendors each chart's pinned version, and another only with the reason it is kept", () => {
    assert.deepEqual(CHARTS, [...new Set([...Object.keys(PINNED), ...Object.keys(UNPINNED)])].sort());
    for (const chart of CHARTS) {
      const pin = PINNED[chart];
      const kept = Object.keys(UNPINNED[chart] ?? {});
      assert.deepEqual(vendoredVersions(chart), [...(pin === undefined ? [] : [pin]), ...kept].sort(), chart);
    }
  });

  it("lists every vendored chart version in upstream/SOURCES.md with the digest of its tree", () => {
    const rows = listed();
    const folders = CHARTS.flatMap((c) =>
      vendoredVersions(c).map((v) => `charts/${c}/${v}`),
    );
    assert.deepEqual(rows.map((r) => r.folder).sort(), folders.sort());
    for (const r of rows) {
      assert.deepEqual(treeDigest(join(ROOT, "upstream", r.folder)), { digest: r.digest, files: r.files }, r.folder);
    }
  });

  it("fills cert-manager's templated Chart.yaml fields with the release, as its release build does", () => {
    for (const version of vendoredVersions("cert-manager")) {
      const chart = parse(readFileSync(join(CHARTS_DIR, "cert-manager", version, "Chart.yaml"), "utf8")) as {
        version: string;
        appVersion: string;
        annotations: Record<string, string>;
      };
      assert.equal(chart.version, version);
      assert.equal(chart.appVersion, version);
      assert.equal(chart.annotations["artifacthub.io/prerelease"], "false");
      const signKey = readFileSync(join(CHARTS_DIR, "cert-manager", version, "signkey_annotation.txt"), "utf8");
      assert.equal(chart.annotations["artifacthub.io/signKey"], signKey);
    }
  });

  it("keeps every other chart's Chart.yaml version equal to its folder", () => {
    for (const chart of CHARTS.filter((c) => c !== "cert-manager")) {
      for (const version of vendoredVersions(chart)) {
        const meta = parse(readFileSync(join(CHARTS_DIR, chart, version, "Chart.yaml"), "utf8")) as { version: string };
        assert.equal(meta.version, version, `${chart} ${version}`);
      }
    }
  });

  it("refuses a chart version that is not vendored, naming what is", () => {
    assert.throws(
      () => vendoredChart("cilium", "1.19.7"),
      /^Error: chart cilium 1\.19\.7 is not vendored \(no upstream\/charts\/cilium\/1\.19\.7\/Chart\.yaml; vendored: 1\.19\.5, 1\.19\.6, 1\.20\.0\): vendor/,
    );
    assert.throws(() => vendoredChart("longhorn", "1.0.0"), /vendored: none/);
  });
});
