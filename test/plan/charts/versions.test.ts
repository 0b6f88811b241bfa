/** The same checks on every vendored version of each chart, with the values of a site that installs it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageProblems, missingReferences, unlistedHooks } from "../../../plan/charts/checks";
import { findHelm } from "../../../plan/charts/helm";
import { IMAGE_RULES, KNOWN_HOOKS, KNOWN_METRICS, RUNTIME_OBJECTS } from "../../../plan/charts/known";
import { metricsEndpoints, metricsProblems } from "../../../plan/charts/metrics";
import { renderChart } from "../../../plan/charts/render";
import { vendoredVersions } from "../../../plan/charts/vendored";
import { HETZNER_WEBHOOK } from "../../../src/certificates/cert-manager/cert-manager";
import { HELM_SKIP, chartOf, crdValidator, schemaProblems, siteUnderTest, valuesProblems, type SiteName } from "./support";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

const SITE_OF: Record<string, SiteName> = {
  cilium: "home",
  "cert-manager": "prod",
  [HETZNER_WEBHOOK.chart]: "hetzner-dns01",
  metallb: "lan",
};

describe("every vendored chart version", skip, () => {
  it("vendors two versions of cilium and cert-manager, for upgrade diffs", () => {
    assert.ok(vendoredVersions("cilium").length >= 2);
    assert.ok(vendoredVersions("cert-manager").length >= 2);
  });

  for (const [chart, siteName] of Object.entries(SITE_OF)) {
    for (const version of vendoredVersions(chart)) {
      it(`${chart} ${version} passes the chart checks with the ${siteName} site's values`, async () => {
        const site = await siteUnderTest(siteName);
        const pinned = chartOf(site, chart);
        const helm = findHelm();
        assert.ok("helm" in helm);
        const rendered = renderChart(helm.helm, { ...pinned.spec, version }, site.charts.capabilities);
        assert.equal(rendered.spec.version, version);
        const all = [...site.all.filter((o) => !pinned.objects.includes(o)), ...rendered.objects];
        assert.deepEqual(unlistedHooks(rendered, KNOWN_HOOKS), []);
        assert.deepEqual(missingReferences(rendered, all, site.program, RUNTIME_OBJECTS), []);
        assert.deepEqual(await schemaProblems(rendered.objects, crdValidator(all)), []);
        assert.deepEqual(valuesProblems(rendered) ?? [], []);
        assert.deepEqual(imageProblems(rendered, IMAGE_RULES[chart]!), []);
        assert.deepEqual(metricsProblems(chart, metricsEndpoints(rendered.objects), all, KNOWN_METRICS), []);
      });
    }
  }
});
