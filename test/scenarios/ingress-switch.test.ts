/**
 * Switching ingress.controller on a running site (issue 27, point 4): the prod example moved from nginx to Traefik,
 * planned against its own plan. One run deletes nginx's objects and creates Traefik's, says the outage plainly, and
 * does not wait for Traefik's pods, which cannot take the nodes' 80 and 443 until nginx's DaemonSet is deleted at
 * the end of the run.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ingressSwitchOf, previousDeploymentOf } from "../../components/ingress/switch";
import { parseSiteConfig } from "../../src/config/load";
import { destructive, edited, exampleConfig, planConfig, previewOf, steps } from "./harness";
import { TYPE } from "../../src/type-tokens";

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
    assert.ok(created.includes("kubernetes:helm.sh/v4:Chart"), "Traefik's chart");
    assert.deepEqual(destructive(diff), []);
  });

  it("does not wait for Traefik's pods in the switching run, and does on a run that keeps Traefik", async () => {
    const { after } = await runs;
    const chart = after.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name.includes("traefik"));
    assert.equal(chart?.inputs.skipAwait, true);
    const again = await planConfig(traefikConfig(), after);
    const steady = again.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name.includes("traefik"));
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
