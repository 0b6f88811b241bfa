import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hetznerSections } from "../../helpers";
import { byName, ofType, planOf, planOfSections } from "../../plan/run";
import { nodeOfCommand } from "../../../src/k3s/names";

const JOB = "kubernetes:batch/v1:Job";

describe("Verify on the offline engine", () => {
  it("runs the checks last: the objects wait for the site's components, the Jobs for the objects", async () => {
    const run = await planOf("prod");
    const objects = byName(run, "site-verify-objects");
    assert.equal(objects.parent, byName(run, "site-verify").urn);
    // The engine receives a component dependency as its resources: every node has joined, every component is in.
    const nodes = run.resources.filter((c) => nodeOfCommand(c) !== undefined);
    assert.equal(nodes.length, 5);
    for (const dep of [...nodes.map((n) => n.name), "site-policies-policies", "site-nginx-objects", "site-cert-manager-chart", "site-canal-manifest"]) {
      assert.ok(objects.dependsOn.includes(byName(run, dep).urn), `after ${dep}`);
    }
    // The storage check's Jobs are its driver's (src/storage/verify.ts): the reader after the writer.
    const storage = ofType(run, JOB).filter((j) => j.name.startsWith("site-hcloud-csi-check-"));
    assert.deepEqual(storage.map((j) => j.name).sort(), ["site-hcloud-csi-check-read", "site-hcloud-csi-check-write"]);
    assert.ok(byName(run, "site-hcloud-csi-check-read").dependsOn.includes(byName(run, "site-hcloud-csi-check-write").urn));
    const jobs = ofType(run, JOB).filter((j) => !storage.includes(j));
    assert.deepEqual(jobs.map((j) => j.name).sort(), [
      "site-verify-certificates",
      "site-verify-dns",
      "site-verify-edge",
      "site-verify-edge-host",
      "site-verify-pods",
      "site-verify-policies",
      "site-verify-policies-app",
      "site-verify-policies-app-server",
    ]);
    const provider = byName(run, "site-k3s-provider").urn;
    for (const j of jobs) {
      assert.ok(j.dependsOn.includes(objects.urn), j.name);
      assert.equal(j.provider, provider);
      assert.match(String((j.inputs.metadata as { name: string }).name), /^verify-[a-z0-9-]+-[0-9a-f]{10}$/);
    }
  });

  it("calls the Hetzner load balancer's public address from the edge check", async () => {
    const run = await planOf("prod");
    const lb = ofType(run, "hcloud:index/loadBalancer:LoadBalancer")[0]!;
    const edge = byName(run, "site-verify-edge");
    const env = (edge.inputs.spec as any).template.spec.containers[0].env as { name: string; value: string }[];
    const targets = env.find((e) => e.name === "LB_TARGETS")!.value;
    assert.match(targets, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(lb, "prod has a load balancer");
    // Its IPv6, from the host network: the pods of a Hetzner cluster have no IPv6.
    const edge6 = byName(run, "site-verify-edge-host");
    const spec6 = (edge6.inputs.spec as any).template.spec;
    assert.equal(spec6.hostNetwork, true);
    assert.match(spec6.containers[0].env.find((e: { name: string }) => e.name === "LB_TARGETS").value, /^[0-9a-f:]+$/);
    assert.deepEqual(spec6.containers[0].command, ["bash", "/verify/edge.sh"]);
  });

  it("registers nothing of the checks with verify: false", async () => {
    const run = await planOfSections({ ...hetznerSections(), verify: false });
    assert.deepEqual(ofType(run, JOB), []);
    assert.equal(run.resources.some((r) => r.name === "site-verify-objects"), false);
  });
});
