/**
 * Constants kept by hand that describe what a chart renders (src/edge/names.ts, src/certificates/cert-manager/cert-manager.ts,
 * src/cni/cilium.ts and the assumptions of src/policy/system.ts), each checked against the rendered chart objects.
 * The pure tests in test/ingress, test/certificates, test/cni and test/policy keep their literals and run without helm; these cross-checks
 * skip with the reason when there is no helm.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { findHelm } from "../../../plan/charts/helm";
import { matches, type Policy } from "../../../plan/charts/reach";
import { renderChart } from "../../../plan/charts/render";
import { workloadsOf, type Workload } from "../../../src/kubernetes/pods";
import { CILIUM_NAMESPACE, K3S_LOCAL_API, ciliumOperatorReplicas } from "../../../src/cni/cilium";
import { HETZNER_WEBHOOK, certManagerHookOverrides, hetznerWebhookValues } from "../../../src/certificates/cert-manager/cert-manager";
import { CERT_MANAGER } from "../../../src/edge/names";
import { remoteNodeSources } from "../../../src/policy/context";
import { VERIFY_NAMESPACE } from "../../../src/verify/names";
import { HELM_SKIP, SITES, chartOf, siteUnderTest } from "./support";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

/** A verification Job's pod outside the verify namespace: a stand-in with another workload's labels. */
const isStandIn = (w: Workload) => w.labels["k3s-sites/check"] !== undefined && w.namespace !== VERIFY_NAMESPACE;

const policiesOf = (objects: readonly KubernetesObject[]) => objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
const selected = (p: Policy, pods: readonly Workload[]) =>
  pods.filter((w) => w.namespace === p.metadata.namespace && matches(p.spec.podSelector, w.labels));

/**
 * Pods no chart or program renders, which a policy selects by a label from elsewhere: HTTP-01 solver pods are
 * created by cert-manager's controller for each challenge (pkg/issuer/acme/http/pod.go), with CERT_MANAGER.solverLabel.
 */
const RUNTIME_PODS = [CERT_MANAGER.solverLabel];

describe("hand-kept constants against the rendered charts", skip, () => {
  for (const name of SITES) {
    it(`on the ${name} site, every NetworkPolicy of a namespace the site runs pods in selects pods it renders, on ports those pods open`, async () => {
      const site = await siteUnderTest(name);
      const pods = workloadsOf(site.all);
      for (const p of policiesOf(site.all)) {
        const sel = p.spec.podSelector.matchLabels ?? {};
        if (Object.keys(sel).length === 0 && !p.spec.podSelector.matchExpressions) continue; // the whole namespace
        if (RUNTIME_PODS.some((labels) => matches({ matchLabels: labels }, sel))) continue;
        // Apps' namespaces hold the user's pods, which the site does not render (the policies check's stand-in for an
        // app runs there only while it checks: src/verify/app-rule.ts appRuleJobs).
        if (!pods.some((w) => w.namespace === p.metadata.namespace && !isStandIn(w))) continue;
        const targets = selected(p, pods);
        assert.ok(targets.length > 0, `NetworkPolicy ${p.metadata.namespace}/${p.metadata.name} selects ${JSON.stringify(sel)}, which no rendered pod carries`);
        for (const rule of p.spec.ingress ?? []) {
          for (const port of rule.ports ?? []) {
            if (typeof port.port !== "number") continue;
            const opened = targets.some((w) => (w.spec.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.containerPort === port.port)));
            assert.ok(opened, `NetworkPolicy ${p.metadata.namespace}/${p.metadata.name} lets in port ${port.port}, which no pod it selects opens`);
          }
        }
      }
    });
  }

  it("CERT_MANAGER: every namespaced object of the chart, leader-election Roles included, is in its namespace", async () => {
    const site = await siteUnderTest("prod");
    const namespaces = new Set(chartOf(site, "cert-manager").objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])));
    assert.deepEqual([...namespaces], [CERT_MANAGER.namespace]);
  });

  it("CERT_MANAGER.webhookPort is the chart's default webhook.securePort, which the values state again", async () => {
    const site = await siteUnderTest("prod");
    const chart = chartOf(site, "cert-manager");
    const helm = findHelm();
    assert.ok("helm" in helm);
    const { webhook: _stated, ...rest } = chart.spec.values;
    const defaults = renderChart(helm.helm, { ...chart.spec, values: rest }, site.charts.capabilities);
    const webhook = workloadsOf(defaults.objects).find((w) => w.labels["app.kubernetes.io/name"] === CERT_MANAGER.webhookName);
    const https = webhook?.spec.containers?.[0]?.ports?.find((p) => p.name === "https");
    assert.equal(https?.containerPort, CERT_MANAGER.webhookPort);
  });

  it("the hook overrides null every Helm hook annotation the chart puts on startupapicheck", async () => {
    const site = await siteUnderTest("prod");
    const chart = chartOf(site, "cert-manager");
    const helm = findHelm();
    assert.ok("helm" in helm);
    const bare = renderChart(helm.helm, { ...chart.spec, valuesFiles: [] }, site.charts.capabilities);
    assert.deepEqual(bare.hooks.map((h) => `${h.object.kind} ${h.object.metadata.name}`).sort(), [
      "Job cert-manager-startupapicheck",
      "Role cert-manager-startupapicheck:create-cert",
      "RoleBinding cert-manager-startupapicheck:create-cert",
      "ServiceAccount cert-manager-startupapicheck",
    ]);
    const overrides = parse(certManagerHookOverrides()) as { startupapicheck: Record<string, any> };
    const nulled = new Set(Object.keys(overrides.startupapicheck.jobAnnotations));
    for (const h of bare.hooks) {
      const keys = Object.keys(h.object.metadata.annotations ?? {}).filter((k) => k.startsWith("helm.sh/"));
      for (const k of keys) assert.ok(nulled.has(k), `${h.object.kind} ${h.object.metadata.name} carries ${k}, which the overrides keep`);
    }
  });

  it("hetznerWebhookValues names the service account cert-manager's chart gives its controller", async () => {
    const site = await siteUnderTest("hetzner-dns01");
    const controller = workloadsOf(chartOf(site, "cert-manager").objects).find(
      (w) => w.owner.kind === "Deployment" && w.labels["app.kubernetes.io/name"] === CERT_MANAGER.controllerName,
    );
    const { certManager } = hetznerWebhookValues();
    assert.equal(controller?.spec.serviceAccountName, certManager.serviceAccountName);
    assert.equal(controller?.namespace, certManager.namespace);
    // Hetzner's chart binds that account to its API group.
    const bindings = chartOf(site, HETZNER_WEBHOOK.chart).objects.filter((o) => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding");
    const subjects = bindings.flatMap((b) => (b.subjects as { kind: string; name: string; namespace?: string }[] | undefined) ?? []);
    assert.ok(subjects.some((s) => s.kind === "ServiceAccount" && s.name === certManager.serviceAccountName && s.namespace === certManager.namespace));
  });

  it("HETZNER_WEBHOOK.groupName is the chart's default group, served by its APIService", async () => {
    const site = await siteUnderTest("hetzner-dns01");
    const chart = chartOf(site, HETZNER_WEBHOOK.chart);
    const helm = findHelm();
    assert.ok("helm" in helm);
    const { groupName: _ours, ...rest } = chart.spec.values;
    const defaults = renderChart(helm.helm, { ...chart.spec, values: rest }, site.charts.capabilities);
    const apiService = defaults.objects.find((o) => o.kind === "APIService");
    assert.equal((apiService?.spec as { group?: string } | undefined)?.group, HETZNER_WEBHOOK.groupName);
    assert.equal(defaults.objects.find((o) => o.kind === "Deployment")?.metadata.name, HETZNER_WEBHOOK.release);
  });

  it("CILIUM_NAMESPACE and K3S_LOCAL_API: the agents run there and reach the API through k3s's local port", async () => {
    const site = await siteUnderTest("home");
    const cilium = chartOf(site, "cilium");
    const agent = workloadsOf(cilium.objects).find((w) => w.owner.kind === "DaemonSet" && w.owner.metadata.name === "cilium")!;
    assert.equal(agent.namespace, CILIUM_NAMESPACE);
    const env = Object.fromEntries((agent.spec.containers?.[0]?.env ?? []).map((e) => [e.name, (e as { value?: string }).value]));
    assert.equal(env.KUBERNETES_SERVICE_HOST, K3S_LOCAL_API.host);
    assert.equal(env.KUBERNETES_SERVICE_PORT, String(K3S_LOCAL_API.port));
  });

  it("ciliumOperatorReplicas: one per node at most, as the chart's required anti-affinity on the host name demands", async () => {
    const site = await siteUnderTest("home");
    const operator = chartOf(site, "cilium").objects.find((o) => o.kind === "Deployment" && o.metadata.name === "cilium-operator")!;
    const spec = operator.spec as { replicas: number; template: { spec: { affinity?: any } } };
    assert.equal(spec.replicas, ciliumOperatorReplicas(site.config));
    const required = spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    assert.ok(required.some((t: { topologyKey: string }) => t.topologyKey === "kubernetes.io/hostname"));
  });

  it("remoteNodeSources and the server ipBlocks: the agents run a VXLAN tunnel and match node addresses in CIDR rules", async () => {
    const site = await siteUnderTest("home");
    const config = chartOf(site, "cilium").objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cilium-config");
    const data = (config?.data ?? {}) as Record<string, string>;
    assert.equal(data["routing-mode"], "tunnel");
    assert.equal(data["tunnel-protocol"], "vxlan");
    assert.equal(data["policy-cidr-match-mode"], "nodes");
    // In tunnel mode the API server's calls from another node come from the pod range: remoteNodeSources lets it in.
    assert.deepEqual(remoteNodeSources(site.config), [{ ipBlock: { cidr: site.config.k3s.clusterCidr } }]);
    // The port the policies assume Hubble's server listens on is the one the agents are told.
    assert.equal(data["hubble-listen-address"], ":4244");
  });
});
