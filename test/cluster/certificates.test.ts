import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { SAMPLE_CLIENT_CERTIFICATE_DATA, SAMPLE_K3S_KUBECONFIG } from "../../plan/mocks";
import type { ProgramRun } from "../../plan/engine";
import { KUBECONFIG_EXPIRES_OUTPUT, RENEW_WITHIN_DAYS, clientCertificateExpiry, renewalDue } from "../../src/cluster/certificates";
import { commandSecretProblems } from "../../policy/rules";
import { NEW_K3S, SCENARIOS, baseConfig } from "../scenarios/cases";
import { edited, exampleConfig, planConfig, previewOf } from "../scenarios/harness";

const DAY = 24 * 60 * 60 * 1000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

describe("the admin client certificate's expiry", () => {
  it("is read from the first certificate of the kubeconfig's client-certificate-data", () => {
    assert.equal(clientCertificateExpiry(SAMPLE_K3S_KUBECONFIG), "2126-11-08T03:30:29.000Z");
    // k3s writes the client certificate followed by its CA, two PEM blocks.
    const pem = Buffer.from(SAMPLE_CLIENT_CERTIFICATE_DATA, "base64").toString();
    const bundle = Buffer.from(`${pem}${pem}`).toString("base64");
    const kubeconfig = stringify({ users: [{ name: "default", user: { "client-certificate-data": bundle } }] });
    assert.equal(clientCertificateExpiry(kubeconfig), "2126-11-08T03:30:29.000Z");
  });

  it("is unknown for a kubeconfig without a readable certificate", () => {
    assert.equal(clientCertificateExpiry(stringify({ users: [{ user: { token: "x" } }] })), undefined);
    assert.equal(clientCertificateExpiry(stringify({ users: [{ user: { "client-certificate-data": "UExBQ0VIT0xERVI=" } }] })), undefined);
    assert.equal(clientCertificateExpiry(": not yaml :\n\t-"), undefined);
  });
});

describe("a certificate renewal", () => {
  it("is due within 90 days of the expiry, or after it, and never before a deployment recorded one", () => {
    const now = new Date("2026-12-02T00:00:00Z");
    assert.equal(renewalDue("2027-03-03T00:00:00.000Z", now), undefined, "91 days ahead");
    assert.deepEqual(renewalDue("2027-03-02T00:00:00.000Z", now), { expires: "2027-03-02T00:00:00.000Z" });
    assert.deepEqual(renewalDue("2026-11-01T00:00:00.000Z", now), { expires: "2026-11-01T00:00:00.000Z" }, "expired");
    assert.equal(renewalDue(undefined, now), undefined);
    assert.equal(renewalDue("soon", now), undefined);
  });

  it("asks inside k3s's own renewal window, which is 90 days (120 in later releases): the restart always renews", () => {
    // k3s-io/k3s pkg/daemons/config/types.go, CertificateRenewDays (see src/cluster/certificates.ts).
    assert.ok(RENEW_WITHIN_DAYS <= 90);
  });
});

describe("a run whose admin client certificate is near its expiry", () => {
  const prod = exampleConfig("prod");
  // One program at a time: the offline engine's mocks are global. Each plan is made once, when a test first needs it.
  const nearExpiry = (o: Record<string, unknown>) => (o[KUBECONFIG_EXPIRES_OUTPUT] = inDays(30));
  let basePlan: Promise<ProgramRun> | undefined;
  let renewedPlan: Promise<ProgramRun> | undefined;
  const base = () => (basePlan ??= planConfig(prod));
  const renewed = () => (renewedPlan ??= base().then((before) => planConfig(prod, before, "prod", nearExpiry)));
  const commands = (run: ProgramRun) => run.resources.filter((r) => r.type === "command:remote:Command");
  const renewals = (run: ProgramRun) => commands(run).filter((r) => /-renew-/.test(r.name));
  const urnOf = (run: ProgramRun, name: string) => run.resources.find((r) => r.name === name)!.urn;

  it("records the expiry of the kubeconfig it read, and renews nothing on an ordinary run", async () => {
    const before = await base();
    assert.equal(before.outputs[KUBECONFIG_EXPIRES_OUTPUT], "2126-11-08T03:30:29.000Z");
    const again = await planConfig(prod, before);
    assert.deepEqual(renewals(again), []);
  });

  it("restarts k3s once on every node: servers one at a time from the join server, then agents in batches", async () => {
    const run = await renewed();
    assert.deepEqual(renewals(run).map((r) => r.name).sort(), [
      "site-k3s-renew-control-1",
      "site-k3s-renew-control-2",
      "site-k3s-renew-control-3",
      "site-k3s-renew-worker-1",
      "site-k3s-renew-worker-2",
    ]);
    const deps = (name: string) => run.resources.find((r) => r.name === name)!.dependsOn;
    // After every node's bootstrap of the run.
    for (const node of ["control-1", "control-2", "control-3", "worker-1", "worker-2"]) {
      assert.ok(deps("site-k3s-renew-control-1").includes(urnOf(run, `site-k3s-node-${node}`)), node);
    }
    assert.ok(deps("site-k3s-renew-control-2").includes(urnOf(run, "site-k3s-renew-control-1")));
    assert.ok(deps("site-k3s-renew-control-3").includes(urnOf(run, "site-k3s-renew-control-2")));
    assert.ok(deps("site-k3s-renew-worker-1").includes(urnOf(run, "site-k3s-renew-control-3")));
    for (const r of renewals(run)) {
      assert.match(String(r.inputs.create), /^RENEW='the admin client certificate expires at /m, r.name);
      assert.equal(r.inputs.delete, undefined, "a renewal undoes nothing when it goes");
    }
    // The renewals carry the tokens on stdin like the bootstrap commands: secret, as the policy pack demands.
    assert.deepEqual(renewals(run).flatMap((r) => commandSecretProblems(r.type, r.inputs)), []);
    assert.notEqual(renewals(run)[0]!.inputs.stdin, undefined);
    // The kubeconfig is read after the join server's restart.
    assert.ok(deps("site-k3s-kubeconfig").includes(urnOf(run, "site-k3s-renew-control-1")));
  });

  it("creates the renewals, reads the kubeconfig again and updates the provider in place; nothing else changes", async () => {
    const diff = previewOf(await base(), await renewed());
    const changes = diff.steps.filter((s) => s.action !== "same" && s.action !== "not-compared");
    assert.deepEqual(
      changes.filter((s) => !(s.action === "create" && /-renew-/.test(s.name))).map((s) => `${s.action} ${s.name}`),
      // The read has no delete; the provider's identity is its clusterIdentifier, so a new kubeconfig updates it.
      ["replace site-k3s-kubeconfig", "update site-k3s-provider"],
    );
    assert.equal(changes.filter((s) => s.action === "create").length, 5);
  });

  it("follows an upgrade in the same run: the upgrade's restarts renew only what is near its expiry", async () => {
    // From the old pin, one minor up (the rule of src/k3s/rules-upgrade.ts).
    const upgrade = edited(prod, (c) => (c["k3s-sites:k3s"].version = NEW_K3S));
    const run = await planConfig(upgrade, await planConfig(baseConfig(SCENARIOS.k3sMinorUpgrade.base)), "prod", nearExpiry);
    const deps = (name: string) => run.resources.find((r) => r.name === name)!.dependsOn;
    assert.equal(renewals(run).length, 5);
    for (const node of ["control-1", "control-2", "control-3", "worker-1", "worker-2"]) {
      assert.ok(deps("site-k3s-renew-control-1").includes(urnOf(run, `site-k3s-node-${node}`)), node);
    }
  });
});
