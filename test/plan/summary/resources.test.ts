/** The plan summary's groups of resources: every resource in exactly one, so the counts add up to the total. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupLines, groupOf, resourceGroups } from "../../../plan/summary/resources";
import { summarize } from "../../../plan/render";
import { planOf } from "../run";
import { CHART_TYPE, TYPE } from "../../../src/type-tokens";

describe("the plan summary's groups of resources", () => {
  for (const stack of ["prod", "home", "lan", "multisite"]) {
    it(`add up to the total the summary states for the ${stack} example`, async () => {
      const run = await planOf(stack);
      const groups = resourceGroups(run.resources);
      assert.equal(
        groups.reduce((sum, g) => sum + g.count, 0),
        run.resources.length,
      );
      const lines = summarize(run, {}).split("\n");
      const head = lines.indexOf(`stack ${stack}: ${run.resources.length} resources, which pulumi up registers:`);
      assert.ok(head >= 0, lines[0]);
      const counted = lines.slice(head + 1, head + 1 + groups.length).map((l) => Number(/^ +(\d+) /.exec(l)?.[1]));
      assert.equal(counted.reduce((a, b) => a + b, 0), run.resources.length);
    });
  }

  it("groups the prod example's resources in a person's words", async () => {
    const run = await planOf("prod");
    assert.deepEqual(groupLines(resourceGroups(run.resources)), [
      "   5 servers at Hetzner",
      "   4 private network, its subnets and routes",
      "   1 firewall(s)",
      "   9 load balancer with its services, targets and network",
      "   2 spread placement group(s)",
      "   1 SSH key(s) at Hetzner",
      "  11 commands run over SSH (bootstrap, membership, kubeconfig)",
      "   2 generated secrets (k3s tokens, keys)",
      "  13 Kubernetes objects (besides those of the charts and manifests, counted in the lines after the charts)",
      "   2 Helm chart(s)",
      "   8 manifest groups (a pinned upstream manifest each)",
      "   3 apps' manifests and the Secrets made for them (networkPolicies.apps: manifest, secrets)",
      "   8 checks: their Jobs run on pulumi up, with what they need (namespace, echo servers, policies)",
      "   2 providers (connections to Hetzner, Kubernetes: nothing of their own)",
      "  13 components (Pulumi's grouping: nothing of their own)",
    ]);
  });

  it("puts charts and manifests in their own groups though Pulumi sees components, and the checks' objects with the checks", () => {
    assert.equal(groupOf({ type: CHART_TYPE, custom: false }), "Helm chart(s)");
    assert.equal(groupOf({ type: "kubernetes:yaml/v2:ConfigGroup", custom: false }), "manifest groups (a pinned upstream manifest each)");
    assert.equal(groupOf({ type: TYPE.site, custom: false }), "components (Pulumi's grouping: nothing of their own)");
    const app = `${TYPE.site}$${TYPE.appWorkloads}::site-apps`;
    for (const type of ["kubernetes:yaml/v2:ConfigGroup", "kubernetes:core/v1:Secret", "random:index/randomPassword:RandomPassword"]) {
      assert.match(groupOf({ type, custom: type !== "kubernetes:yaml/v2:ConfigGroup", parent: app }), /^apps' manifests/, type);
    }
    const check = { type: "kubernetes:batch/v1:Job", custom: true, parent: `${TYPE.site}$${TYPE.verify}::site-verify` };
    assert.match(groupOf(check), /^checks:/);
    assert.match(groupOf({ ...check, parent: `${TYPE.site}$${TYPE.certManager}::site-cert-manager` }), /^Kubernetes objects/);
    assert.equal(groupOf({ type: "hcloud:index/volume:Volume", custom: true }), "other Hetzner resources");
    assert.equal(groupOf({ type: "aws:s3/bucket:Bucket", custom: true }), "other resources");
  });
});
