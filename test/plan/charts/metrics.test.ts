/**
 * Metrics endpoints of the rendered charts against the site's NetworkPolicies (plan/charts/metrics.ts): no scraper
 * is configured with the values the program passes, so pod-network metrics stay closed, host-network ones are listed,
 * and a monitor that renders must be able to reach what it scrapes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findHelm } from "../../../plan/charts/helm";
import { KNOWN_METRICS } from "../../../plan/charts/known";
import { metricsEndpoints, metricsProblems } from "../../../plan/charts/metrics";
import { renderChart, type RenderedChart } from "../../../plan/charts/render";
import { CERT_MANAGER } from "../../../src/edge/names";
import { HELM_SKIP, SITES, chartOf, siteUnderTest, type SiteUnderTest } from "./support";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

function rerender(site: SiteUnderTest, chart: string, values: Record<string, unknown>, apiVersions: string[] = []): RenderedChart {
  const pinned = chartOf(site, chart);
  const helm = findHelm();
  assert.ok("helm" in helm);
  const caps = { ...site.charts.capabilities, apiVersions: [...site.charts.capabilities.apiVersions, ...apiVersions] };
  return renderChart(helm.helm, { ...pinned.spec, values: { ...pinned.spec.values, ...values } }, caps);
}

const summary = (c: RenderedChart) =>
  metricsEndpoints(c.objects)
    .map((e) => `${e.target.owner.kind} ${e.target.owner.metadata.name}:${e.port}${e.target.spec.hostNetwork ? " host" : ""}`)
    .sort();

describe("metrics endpoints of the rendered charts", skip, () => {
  for (const name of SITES) {
    it(`on the ${name} site, leaves no metrics port open that no scraper is configured for`, async () => {
      const site = await siteUnderTest(name);
      for (const c of site.charts.charts) {
        assert.deepEqual(metricsProblems(c.spec.chart, metricsEndpoints(c.objects), site.all, KNOWN_METRICS), [], c.spec.chart);
      }
    });
  }

  it("finds cert-manager's three metrics ports on the pod network, and none of cilium's: the site turns them off", async () => {
    const home = await siteUnderTest("home");
    assert.deepEqual(summary(chartOf(home, "cert-manager")), [
      "Deployment cert-manager-cainjector:9402",
      "Deployment cert-manager-webhook:9402",
      "Deployment cert-manager:9402",
    ]);
    // The operator's and Envoy's are on by default and would serve plain HTTP on the host network, where no policy
    // applies: ciliumValues turns them off.
    assert.deepEqual(summary(chartOf(home, "cilium")), []);
    // The agent's metrics and Hubble's are off with the site's values: the agent serves none.
    const config = chartOf(home, "cilium").objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cilium-config");
    const keys = Object.keys((config?.data ?? {}) as object);
    assert.deepEqual(
      keys.filter((k) => ["prometheus-serve-addr", "operator-prometheus-serve-addr", "hubble-metrics-server"].includes(k)),
      [],
    );
    // Every listed host-network endpoint still renders: a stale entry would hide nothing but mislead.
    const found = summary(chartOf(home, "cilium"));
    for (const k of KNOWN_METRICS) assert.ok(found.some((f) => f.startsWith(`${k.kind} ${k.name}:${k.port}`)), k.name);
  });

  it("fails when the agent's metrics are turned on: a host-network port nobody listed", async () => {
    const home = await siteUnderTest("home");
    const on = rerender(home, "cilium", { prometheus: { enabled: true } });
    const problems = metricsProblems("cilium", metricsEndpoints(on.objects), home.all, KNOWN_METRICS);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^cilium: DaemonSet kube-system\/cilium serves metrics on port 9962 .* on the host network, where NetworkPolicies do not apply/);
  });

  it("fails when cert-manager's ServiceMonitor renders but the policies let nothing scrape it, and passes once they do", async () => {
    const prod = await siteUnderTest("prod");
    const monitored = rerender(prod, "cert-manager", { prometheus: { enabled: true, servicemonitor: { enabled: true } } }, ["monitoring.coreos.com/v1"]);
    assert.ok(monitored.objects.some((o) => o.kind === "ServiceMonitor"));
    const endpoints = metricsEndpoints(monitored.objects);
    const policies = prod.all.filter((o) => o.kind === "NetworkPolicy");
    const problems = metricsProblems("cert-manager", endpoints, policies, KNOWN_METRICS);
    assert.equal(problems.length, 3, problems.join("\n"));
    for (const p of problems) assert.match(p, /ServiceMonitor cert-manager\/cert-manager scrapes it, but the site's NetworkPolicies let no pod reach it/);
    const scraper: KubernetesObject = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "metrics-from-monitoring", namespace: CERT_MANAGER.namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ port: 9402 }] }],
      },
    };
    assert.deepEqual(metricsProblems("cert-manager", endpoints, [...policies, scraper], KNOWN_METRICS), []);
  });

  it("fails when a policy opens cert-manager's metrics to pods with no scraper configured", async () => {
    const prod = await siteUnderTest("prod");
    const open: KubernetesObject = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "too-open", namespace: CERT_MANAGER.namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: 9402 }] }] },
    };
    const c = chartOf(prod, "cert-manager");
    const problems = metricsProblems("cert-manager", metricsEndpoints(c.objects), [...prod.all, open], KNOWN_METRICS);
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.match(problems[0]!, /let pods reach it, and no ServiceMonitor or PodMonitor is configured/);
  });
});
