/**
 * The plan's manifests.yaml and summary count what the site applies: the program's objects and every chart's
 * rendered ones (a Chart is one registration offline, but Chart v4 registers each rendered object on `pulumi up`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { objectKey } from "../../../plan/charts/diff";
import { reachSummary } from "../../../plan/charts/plan";
import { chartSummary, manifestsFile } from "../../../plan/charts/site";
import { manifestsOf } from "../../../plan/render";
import { planOf } from "../run";
import { planProcess } from "../command-run";
import { HELM_SKIP, siteUnderTest } from "./support";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const docsOf = (text: string) =>
  parseAllDocuments(text)
    .map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as KubernetesObject | null;
    })
    .filter((d): d is KubernetesObject => d !== null);

describe("manifests.yaml and the summary, with the rendered charts", HELM_SKIP ? { skip: HELM_SKIP } : {}, () => {
  it("holds the program's objects and then every chart's, and the summary counts them all", async () => {
    const site = await siteUnderTest("home");
    const text = manifestsFile(site.run, site.charts);
    const keys = docsOf(text).map(objectKey);
    assert.deepEqual(keys, site.all.map(objectKey));
    assert.ok(keys.includes("Job cert-manager/cert-manager-startupapicheck"));
    assert.ok(keys.includes("DaemonSet kube-system/cilium"));
    assert.match(text, /^# chart cert-manager: cert-manager v1\.21\.2 in cert-manager, 50 objects \(also in charts\/cert-manager\.yaml\)$/m);
    const program = site.program.length;
    const rendered = site.all.length - program;
    assert.ok(rendered > 0);
    assert.equal(
      chartSummary(site.charts, site.run)[0],
      `kubernetes objects: ${site.all.length} (${program} of the program, ${rendered} rendered by 2 charts), all in manifests.yaml`,
    );
  });
});

describe("the summary's reach and metrics lines", HELM_SKIP ? { skip: HELM_SKIP } : {}, () => {
  it("lists what must reach the charts' pods and the metrics endpoints, and prints a blocked webhook as a problem", async () => {
    const site = await siteUnderTest("home");
    const lines = reachSummary(site.all, site.config, site.charts.charts);
    assert.deepEqual(lines, [
      "must reach the charts' pods (allowed by the site's NetworkPolicies unless listed below): " +
        "api-server -> cert-manager/cert-manager-webhook:443 (port 10250), hubble-relay -> kube-system/hubble-peer:443 (port 4244)",
      "metrics endpoints (no scraper configured unless scraped): cert-manager/cert-manager-cainjector:9402 closed, " +
        "cert-manager/cert-manager:9402 closed, cert-manager/cert-manager-webhook:9402 closed",
    ]);
    const blocked = reachSummary(
      site.all.filter((o) => !(o.kind === "NetworkPolicy" && o.metadata.name === "cert-manager-webhook-from-api-server")),
      site.config,
      site.charts.charts,
    );
    // The validating and the mutating webhook configuration, each a problem.
    assert.deepEqual(blocked.slice(0, 2), lines);
    assert.equal(blocked.length, 4);
    for (const line of blocked.slice(2)) {
      assert.match(line, /^ {2}problem: the API server \(\w+WebhookConfiguration cert-manager-webhook\) -> cert-manager\/cert-manager-webhook:443 .*block it from 192\.168\.1\.10$/);
    }
  });
});

describe("manifests.yaml without helm", () => {
  it("holds the program's objects and says which charts it could not render", async () => {
    const run = await planOf("prod");
    const skipped = { skipped: "K3S_SITES_HELM=none" };
    const text = manifestsFile(run, skipped);
    assert.equal(docsOf(text).length, manifestsOf(run).length);
    assert.match(text, /^# chart cert-manager: cert-manager v1\.21\.2 in cert-manager, not rendered: K3S_SITES_HELM=none \(its inputs are in charts\.yaml\)$/m);
    assert.deepEqual(chartSummary(skipped, run), [
      `kubernetes objects: ${manifestsOf(run).length} of the program; the charts' objects are not known`,
      "charts: not rendered: K3S_SITES_HELM=none",
    ]);
  });

  it("refuses --chart-diff with the reason there is no helm, rather than printing no diff", () => {
    const result = planProcess(
      ["--stack", "home", "--out", join(tmpdir(), "never-written-nohelm"), "--chart-diff", "cert-manager=v1.21.1"],
      { ...process.env, K3S_SITES_HELM: "none" },
    );
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stderr, /^--chart-diff needs helm: K3S_SITES_HELM=none$/m);
  });
});
