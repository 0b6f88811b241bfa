/**
 * The checks on what each example site's charts render (plan/charts/checks.ts, reach.ts): hooks, references,
 * schemas, values, images and the ports the API server and Hubble Relay must reach.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageProblems, missingReferences, unlistedHooks } from "../../../plan/charts/checks";
import { IMAGE_RULES, KNOWN_HOOKS, RUNTIME_OBJECTS } from "../../../plan/charts/known";
import { blockedReaches, hubbleReaches, webhookReaches } from "../../../plan/charts/reach";
import { workloadsOf } from "../../../src/kubernetes/pods";
import { ciliumChart } from "../../../src/cni/cilium";
import { CERT_MANAGER_CHART, HETZNER_WEBHOOK } from "../../../src/certificates/cert-manager/cert-manager";
import { CERT_MANAGER } from "../../../src/edge/names";
import { METALLB_CHART } from "../../../src/lb/metallb/schema";
import { TRAEFIK_CHART } from "../../../src/ingress/traefik/values";
import { HCLOUD_CSI_CHART } from "../../../src/storage/hcloud-csi/schema";
import { HELM_SKIP, SITES, chartOf, crdValidator, schemaProblems, siteUnderTest, valuesProblems } from "./support";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

/** The charts each example site installs, with the versions its config pins. */
const EXPECTED: Record<(typeof SITES)[number], string[]> = {
  prod: ["cert-manager", HCLOUD_CSI_CHART.chart],
  home: ["cilium", "cert-manager"],
  lan: ["metallb", "cert-manager", "traefik"],
  "hetzner-dns01": ["cert-manager", HETZNER_WEBHOOK.chart, HCLOUD_CSI_CHART.chart],
  "home-cilium-ingress": ["cilium", "cert-manager"],
};

for (const name of SITES) {
  describe(`charts of the ${name} site`, skip, () => {
    it("renders every chart the program installs, at the version its config pins", async () => {
      const site = await siteUnderTest(name);
      assert.deepEqual(site.charts.charts.map((c) => c.spec.chart).sort(), [...EXPECTED[name]].sort());
      const pins: Record<string, string> = {
        "cert-manager": CERT_MANAGER_CHART.version,
        [HETZNER_WEBHOOK.chart]: HETZNER_WEBHOOK.version,
        ...(site.config.cni.plugin === "cilium" ? { cilium: ciliumChart(site.config).version } : {}),
        metallb: METALLB_CHART.version,
        [TRAEFIK_CHART.chart]: TRAEFIK_CHART.version,
        [HCLOUD_CSI_CHART.chart]: HCLOUD_CSI_CHART.version,
      };
      for (const c of site.charts.charts) {
        assert.equal(c.spec.version, pins[c.spec.chart], c.spec.chart);
        assert.ok(c.objects.some((o) => o.kind === "Deployment" || o.kind === "DaemonSet"), `${c.spec.chart} renders pods`);
      }
    });

    it("drops no hook the site needs", async () => {
      const site = await siteUnderTest(name);
      assert.deepEqual(site.charts.charts.flatMap((c) => unlistedHooks(c, KNOWN_HOOKS)), []);
    });

    it("creates every Secret, ConfigMap and ServiceAccount a pod uses", async () => {
      const site = await siteUnderTest(name);
      const problems = site.charts.charts.flatMap((c) => missingReferences(c, site.all, site.program, RUNTIME_OBJECTS));
      assert.deepEqual(problems, []);
    });

    it("renders only objects that fit their Kubernetes or CRD schema", async () => {
      const site = await siteUnderTest(name);
      const objects = site.charts.charts.flatMap((c) => c.objects);
      assert.deepEqual(await schemaProblems(objects, crdValidator(site.all)), []);
    });

    it("gives each chart values that fit its values.schema.json", async () => {
      const site = await siteUnderTest(name);
      for (const c of site.charts.charts) assert.deepEqual(valuesProblems(c) ?? [], [], c.spec.chart);
      // cilium and cert-manager ship a schema; an absent file must not pass for a checked one.
      assert.notEqual(valuesProblems(chartOf(site, "cert-manager")), undefined);
    });

    it("pins every image, and the charts' own images at the pinned version", async () => {
      const site = await siteUnderTest(name);
      for (const c of site.charts.charts) {
        const rule = IMAGE_RULES[c.spec.chart];
        assert.ok(rule, `no image rule for chart ${c.spec.chart} in plan/charts/known.ts`);
        assert.deepEqual(imageProblems(c, rule), []);
      }
    });

    it("finds the webhooks the API server calls in the rendered objects", async () => {
      const site = await siteUnderTest(name);
      const { reaches, problems } = webhookReaches(site.all);
      assert.deepEqual(problems, []);
      const services = reaches.map((r) => r.service);
      assert.ok(services.includes("cert-manager/cert-manager-webhook:443"), services.join(", "));
      if (EXPECTED[name].includes(HETZNER_WEBHOOK.chart)) {
        const hetzner = reaches.find((r) => r.target.owner.metadata.name === HETZNER_WEBHOOK.release);
        assert.equal(hetzner?.port, HETZNER_WEBHOOK.port, "the Hetzner webhook's pod port behind its APIService");
      }
    });

    it("renders the pods with the labels and ports the site's policies name (src/edge/names.ts)", async () => {
      const site = await siteUnderTest(name);
      const pods = workloadsOf(site.charts.charts.flatMap((c) => c.objects));
      const podOf = (labels: Record<string, string>) => pods.filter((w) => Object.entries(labels).every(([k, v]) => w.labels[k] === v));
      const instance = { "app.kubernetes.io/instance": CERT_MANAGER.release };
      for (const app of [CERT_MANAGER.controllerName, CERT_MANAGER.webhookName, CERT_MANAGER.cainjectorName]) {
        assert.equal(podOf({ "app.kubernetes.io/name": app, ...instance }).filter((w) => w.owner.kind === "Deployment").length, 1, app);
      }
      const webhook = podOf({ "app.kubernetes.io/name": CERT_MANAGER.webhookName, ...instance })[0]!;
      assert.ok(webhook.spec.containers?.some((c) => c.ports?.some((p) => p.containerPort === CERT_MANAGER.webhookPort)));
      if (EXPECTED[name].includes(HETZNER_WEBHOOK.chart)) {
        const hetzner = podOf(HETZNER_WEBHOOK.podLabels);
        assert.equal(hetzner.length, 1);
        assert.ok(hetzner[0]!.spec.containers?.some((c) => c.ports?.some((p) => p.containerPort === HETZNER_WEBHOOK.port)));
      }
    });

    const servers = async () => {
      const site = await siteUnderTest(name);
      return {
        site,
        apiServerIps: site.config.nodes.filter((n) => n.role === "server").map((n) => n.privateIp),
        nodeIps: site.config.nodes.map((n) => n.privateIp),
      };
    };

    it("lets the API server reach every webhook through the site's NetworkPolicies", async () => {
      const { site, apiServerIps, nodeIps } = await servers();
      const policies = site.all.filter((o) => o.kind === "NetworkPolicy");
      assert.deepEqual(blockedReaches(webhookReaches(site.all).reaches, policies, apiServerIps, nodeIps), []);
    });

    if (EXPECTED[name].includes("cilium")) {
      it("lets Hubble Relay reach every agent's Hubble server", async () => {
        const { site, apiServerIps, nodeIps } = await servers();
        const { reaches, problems } = hubbleReaches(site.all);
        assert.deepEqual(problems, []);
        assert.equal(reaches[0]?.port, 4244, "hubble-peer's target port on the agents");
        const policies = site.all.filter((o) => o.kind === "NetworkPolicy");
        assert.deepEqual(blockedReaches(reaches, policies, apiServerIps, nodeIps), []);
      });
    }
  });
}
