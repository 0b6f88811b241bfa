/**
 * The plan's manifests.yaml and summary count what the site applies: the program's objects and every chart's
 * rendered ones (a Chart is one registration offline, but Chart v4 registers each rendered object on `pulumi up`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { objectKey } from "../../plan/charts/diff";
import type { K8sObject } from "../../plan/charts/render";
import { chartSummary, manifestsFile } from "../../plan/charts/site";
import { manifestsOf } from "../../plan/render";
import { planOf } from "../plan/run";
import { HELM_SKIP, siteUnderTest } from "./support";

const docsOf = (text: string) =>
  parseAllDocuments(text)
    .map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as K8sObject | null;
    })
    .filter((d): d is K8sObject => d !== null);

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
});
