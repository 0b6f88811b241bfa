import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SECRET } from "../../../plan/engine";
import { CERT_MANAGER_CHART, certManagerHookOverrides } from "../../../src/certificates/cert-manager/cert-manager";
import { byName, planOf, planOfSections } from "../../plan/run";
import { hetznerSections } from "../../helpers";

type Obj = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> };

describe("edge on the offline engine", () => {
  it("starts nginx once the CNI is in, and reports the load balancer's address in Ingress status", async () => {
    const run = await planOf("prod");
    const nginx = byName(run, "site-nginx-objects");
    assert.ok(nginx.dependsOn.includes(byName(run, "site-canal-manifest").urn), "nginx waits for the CNI");
    assert.equal(nginx.provider, byName(run, "site-k3s-provider").urn);
    const config = (nginx.inputs.objs as Obj[]).find((o) => o.kind === "ConfigMap")!;
    const lb = run.outputs.loadBalancer as { ipv4: string };
    assert.equal(config.data!["external-status-address"], lb.ipv4);
    assert.equal(config.data!["proxy-protocol"], "True");
  });

  it("installs cert-manager after the CNI, and the issuers after its chart", async () => {
    const run = await planOf("prod");
    const namespace = byName(run, "site-cert-manager-namespace");
    assert.ok(namespace.dependsOn.includes(byName(run, "site-canal-manifest").urn));
    const chart = byName(run, "site-cert-manager-chart");
    assert.equal(chart.inputs.version, CERT_MANAGER_CHART.version);
    assert.ok(chart.dependsOn.includes(namespace.urn));
    // The startupapicheck Job stays in the chart (not a hook), so the issuers also wait for the webhook to answer.
    assert.deepEqual(chart.inputs.valueYamlFiles, [{ asset: { text: certManagerHookOverrides() } }]);
    const issuers = byName(run, "site-cert-manager-issuers");
    assert.ok(issuers.dependsOn.includes(chart.urn), "issuers wait for the CRDs and the webhook");
    assert.deepEqual(
      (issuers.inputs.objs as Obj[]).map((o) => o.metadata.name),
      ["letsencrypt-staging", "letsencrypt-prod"],
    );
  });

  it("keeps the DNS provider's token secret, and adds Hetzner's webhook for Hetzner DNS", async () => {
    const raw = hetznerSections();
    raw.certificates = { email: "ops@example.com", dns01: { provider: "hetzner" } };
    const run = await planOfSections(raw);
    const secret = byName(run, "site-cert-manager-dns-secret");
    assert.equal(secret.inputs.objs, SECRET);
    const webhook = byName(run, "site-cert-manager-hetzner-webhook");
    const issuers = byName(run, "site-cert-manager-issuers");
    assert.ok(issuers.dependsOn.includes(webhook.urn));
    assert.ok(issuers.dependsOn.includes(secret.urn));
  });

  it("installs no cert-manager when certificates are off", async () => {
    const raw = hetznerSections();
    raw.certificates = { enabled: false };
    const run = await planOfSections(raw);
    assert.ok(!run.resources.some((r) => r.name.startsWith("site-cert-manager")));
  });

  it("creates the apps' namespaces, kept on delete, and applies the policies after them and the edge", async () => {
    const run = await planOf("prod");
    const web = byName(run, "site-policies-namespace-web");
    assert.equal(web.retainOnDelete, true, "removing an app never deletes its namespace");
    const policies = byName(run, "site-policies-policies");
    assert.ok(policies.dependsOn.includes(web.urn));
    assert.ok(policies.dependsOn.includes(byName(run, "site-nginx-objects").urn));
    assert.ok(policies.dependsOn.includes(byName(run, "site-cert-manager-chart").urn));
    const objs = policies.inputs.objs as Obj[];
    assert.ok(objs.length > 0 && objs.every((o) => o.kind === "NetworkPolicy"));
    const namespaces = new Set(objs.map((o) => o.metadata.namespace));
    for (const ns of ["nginx-ingress", "cert-manager", "web", "mail"]) assert.ok(namespaces.has(ns), ns);
  });
});
