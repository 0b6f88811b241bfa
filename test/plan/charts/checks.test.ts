/** Each chart check fails on the defect it is there for, shown on the real rendered charts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { imageProblems, missingReferences, parseImage, unlistedHooks } from "../../../plan/charts/checks";
import { findHelm } from "../../../plan/charts/helm";
import { IMAGE_RULES, KNOWN_HOOKS, RUNTIME_OBJECTS } from "../../../plan/charts/known";
import { blockedReaches, ingressAllowed, webhookReaches } from "../../../plan/charts/reach";
import { renderChart } from "../../../plan/charts/render";
import { workloadsOf } from "../../../src/kubernetes/pods";
import { HELM_SKIP, chartOf, crdValidator, schemaProblems, siteUnderTest } from "./support";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

describe("chart checks", skip, () => {
  it("names cert-manager's startupapicheck as a dropped hook without the program's hook overrides", async () => {
    const site = await siteUnderTest("prod");
    const chart = chartOf(site, "cert-manager");
    const helm = findHelm();
    assert.ok("helm" in helm);
    const bare = renderChart(helm.helm, { ...chart.spec, valuesFiles: [] }, site.charts.capabilities);
    const problems = unlistedHooks(bare, KNOWN_HOOKS);
    assert.ok(problems.some((p) => p.includes("Job cert-manager-startupapicheck is a post-install")), problems.join("\n"));
    // With the overrides the program gives, the Job is an ordinary object that Pulumi applies and awaits.
    assert.ok(chart.objects.some((o) => o.kind === "Job" && o.metadata.name === "cert-manager-startupapicheck"));
    assert.equal(chart.hooks.length, 0);
  });

  it("names a Secret a pod mounts when no one creates it", async () => {
    const site = await siteUnderTest("home");
    const cilium = chartOf(site, "cilium");
    const problems = missingReferences(cilium, site.all, site.program, []);
    assert.deepEqual(problems.map((p) => /uses (Secret \S+)/.exec(p)?.[1]), ["Secret hubble-relay-client-certs"]);
    // The listed creator does create it: cilium's certgen Job has it in its config.
    const certgen = workloadsOf(cilium.objects).find((w) => w.owner.kind === "Job" && w.owner.metadata.name.startsWith("hubble-generate-certs"));
    const config = certgen?.spec.containers?.[0]?.env?.find((e) => e.name === "CILIUM_CERTGEN_CONFIG") as { value?: string } | undefined;
    const certs = (parse(config?.value ?? "") as { certs: { name: string; namespace: string }[] }).certs;
    for (const r of RUNTIME_OBJECTS) assert.ok(certs.some((c) => c.name === r.name && c.namespace === r.namespace), r.name);
  });

  it("refuses an unpinned image and one that is not the chart's version", async () => {
    const site = await siteUnderTest("home");
    const chart = chartOf(site, "cilium");
    const withImage = (image: string) => ({
      ...chart,
      objects: chart.objects.map((o) =>
        o.kind === "Deployment" && o.metadata.name === "hubble-relay"
          ? (JSON.parse(JSON.stringify(o).replace(/"image":"[^"]+"/, `"image":"${image}"`)) as KubernetesObject)
          : o,
      ),
    });
    const rule = IMAGE_RULES.cilium!;
    assert.match(imageProblems(withImage("quay.io/cilium/hubble-relay"), rule).join(), /not pinned/);
    assert.match(imageProblems(withImage("quay.io/cilium/hubble-relay:latest"), rule).join(), /not pinned/);
    assert.match(imageProblems(withImage("quay.io/cilium/hubble-relay:v1.19.6"), rule).join(), /is not v1\.20\.0/);
    assert.deepEqual(parseImage("localhost:5000/x@sha256:ab"), { repository: "localhost:5000/x", digest: "sha256:ab" });
  });

  it("reports an object that does not fit its schema", async () => {
    const site = await siteUnderTest("home");
    const relay = chartOf(site, "cilium").objects.find((o) => o.kind === "Deployment")!;
    const broken = { ...relay, spec: { ...(relay.spec as object), replicas: "two" } } as KubernetesObject;
    const problems = await schemaProblems([broken], crdValidator(site.all));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /replicas/);
  });

  it("reports a webhook the site's NetworkPolicies block", async () => {
    const site = await siteUnderTest("prod");
    const servers = site.config.nodes.filter((n) => n.role === "server").map((n) => n.privateIp);
    const policies = site.all.filter(
      (o) => o.kind === "NetworkPolicy" && o.metadata.name !== "cert-manager-webhook-from-api-server",
    );
    const problems = blockedReaches(webhookReaches(site.all).reaches, policies, servers, []);
    assert.ok(problems.length > 0 && problems.every((p) => p.includes("cert-manager-webhook")), problems.join("\n"));
  });
});

describe("NetworkPolicy evaluation", () => {
  const policy = (ingress: unknown[], podSelector: object = { matchLabels: { app: "web" } }) =>
    ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p", namespace: "ns" }, spec: { podSelector, policyTypes: ["Ingress"], ingress } }) as never;
  const pod = { namespace: "ns", labels: { app: "web" } };

  it("allows anything into a pod no policy selects", () => {
    assert.equal(ingressAllowed([policy([], { matchLabels: { app: "other" } })], pod, 443, undefined, { ip: "10.0.0.2" }), true);
  });

  it("allows only the ipBlocks and ports a rule names", () => {
    const p = policy([{ from: [{ ipBlock: { cidr: "10.0.0.0/24", except: ["10.0.0.9/32"] } }], ports: [{ protocol: "TCP", port: 10250 }] }]);
    assert.equal(ingressAllowed([p], pod, 10250, undefined, { ip: "10.0.0.2" }), true);
    assert.equal(ingressAllowed([p], pod, 10250, undefined, { ip: "10.0.0.9" }), false);
    assert.equal(ingressAllowed([p], pod, 10251, undefined, { ip: "10.0.0.2" }), false);
    assert.equal(ingressAllowed([p], pod, 10250, undefined, { ip: "10.0.1.2" }), false);
  });

  it("matches named ports and namespace selectors", () => {
    const p = policy([{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mon" } } }], ports: [{ port: "metrics" }] }]);
    assert.equal(ingressAllowed([p], pod, 9402, "metrics", { pod: { namespace: "mon", labels: {} } }), true);
    assert.equal(ingressAllowed([p], pod, 9402, "https", { pod: { namespace: "mon", labels: {} } }), false);
    assert.equal(ingressAllowed([p], pod, 9402, "metrics", { pod: { namespace: "ns", labels: {} } }), false);
  });
});
