/**
 * Switching ingress.controller on a running site (issue 27, point 4): the prod example moved from nginx to Traefik,
 * planned against its own plan. One run deletes nginx's objects and creates Traefik's, says the outage plainly, and
 * does not wait for Traefik's pods, which cannot take the nodes' 80 and 443 until nginx's DaemonSet is deleted at
 * the end of the run. The checks that go through the ingress (edge, certificates) wait for the next run, both ways.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ingressSwitchOf, previousDeploymentOf } from "../../program/ingress-switch";
import { parseSiteConfig } from "../../src/config/load";
import { switchDeferral } from "../../src/verify/switching";
import { destructive, edited, exampleConfig, planConfig, previewOf, steps } from "./harness";
import { CHART_TYPE, TYPE } from "../../src/type-tokens";

const traefikConfig = () => edited(exampleConfig("prod"), (c) => (c["k3s-sites:ingress"] = { controller: "traefik" }));

const runs = (async () => {
  const before = await planConfig(exampleConfig("prod"));
  const after = await planConfig(traefikConfig(), before);
  return { before, after, diff: previewOf(before, after) };
})();

describe("scenario: ingress.controller nginx -> traefik", () => {
  it("deletes nginx's component and creates Traefik's in one run, replacing no server and re-running no node", async () => {
    const { diff } = await runs;
    const deleted = steps(diff, "delete").map((s) => s.type);
    const created = steps(diff, "create").map((s) => s.type);
    assert.ok(deleted.includes(TYPE.nginxIngress), deleted.join(", "));
    assert.ok(created.includes(TYPE.traefik), created.join(", "));
    assert.ok(created.includes(CHART_TYPE), "Traefik's chart");
    assert.deepEqual(destructive(diff), []);
  });

  it("does not wait for Traefik's pods in the switching run, and does on a run that keeps Traefik", async () => {
    const { after } = await runs;
    const chart = after.resources.find((r) => r.type === CHART_TYPE && r.name.includes("traefik"));
    assert.equal(chart?.inputs.skipAwait, true);
    const again = await planConfig(traefikConfig(), after);
    const steady = again.resources.find((r) => r.type === CHART_TYPE && r.name.includes("traefik"));
    assert.equal(steady?.inputs.skipAwait, undefined);
  });

  it("records the controller and says the outage plainly, from the previous deployment's outputs", async () => {
    const { before, after } = await runs;
    assert.equal(before.outputs.ingressController, undefined, "an nginx site records nothing new");
    assert.equal(after.outputs.ingressController, "traefik");
    const raw = Object.fromEntries(Object.entries(traefikConfig()).filter(([k]) => k.startsWith("k3s-sites:") && !k.endsWith("Key")).map(([k, v]) => [k.slice("k3s-sites:".length), v]));
    const change = ingressSwitchOf(parseSiteConfig(raw), previousDeploymentOf(before.outputs));
    assert.equal(change?.waitsForPorts, true);
    assert.match(change!.lines[1]!, /^outage: every node's ports 80 and 443 refuse connections from when nginx's DaemonSet is deleted/);
  });
});

/** The verification Jobs a plan registers, by check: `site-verify-<check>`. */
const checksOf = (run: Awaited<ReturnType<typeof planConfig>>): string[] =>
  run.resources.filter((r) => r.type === "kubernetes:batch/v1:Job" && r.name.startsWith("site-verify-")).map((r) => r.name.slice("site-verify-".length)).sort();

describe("scenario: the checks of a run that switches ingress controllers", () => {
  for (const [from, to] of [["nginx", "traefik"], ["traefik", "nginx"]] as const) {
    it(`${from} -> ${to}: leaves out the edge and certificate checks with the reason, and runs them on the next run`, async () => {
      await runs; // one plan at a time: the engine is the process's
      const config = (controller: string) => edited(exampleConfig("prod"), (c) => (c["k3s-sites:ingress"] = { controller }));
      const first = await planConfig(config(from));
      const steadyChecks = checksOf(first);
      assert.ok(steadyChecks.includes("edge") && steadyChecks.includes("certificates"), steadyChecks.join(", "));
      const switching = await planConfig(config(to), first);
      const left = checksOf(switching);
      assert.deepEqual(left, steadyChecks.filter((c) => !["edge", "edge-host", "edge-announce", "certificates"].includes(c)));
      assert.ok(left.includes("dns") && left.includes("policies"), `the checks that do not go through the ingress still run: ${left.join(", ")} of ${steadyChecks.join(", ")}`);
      const next = await planConfig(config(to), switching);
      // The next run registers them again; absent from the switching run's state, they are created, and so run.
      assert.deepEqual(checksOf(next), steadyChecks);
    });
  }

  it("says which checks wait and why", () => {
    const config = parseSiteConfig(Object.fromEntries(Object.entries(exampleConfig("prod")).filter(([k]) => k.startsWith("k3s-sites:") && !k.endsWith("Key")).map(([k, v]) => [k.slice("k3s-sites:".length), v])));
    const deferral = switchDeferral(config, ["dns", "edge", "edge-host", "certificates"], "nginx", "traefik");
    assert.deepEqual(deferral?.jobs, ["edge", "edge-host", "certificates"]);
    assert.match(deferral!.why, /^checks edge, edge-host, certificates are not run in this run, which switches ingress.controller nginx -> traefik: .*they run on the next pulumi up$/);
    // Under DNS-01 the test certificate does not go through the ingress: it is checked in the switching run.
    const dns01 = { ...config, certificates: { ...config.certificates, dns01: { provider: "cloudflare" } } } as typeof config;
    assert.deepEqual(switchDeferral(dns01, ["dns", "edge", "certificates"], "nginx", "traefik")?.jobs, ["edge"]);
  });
});
