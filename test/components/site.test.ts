import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SECRET, secretPlaceholder } from "../../plan/engine";
import { byName, ofType, planOf } from "../plan/run";
import { TYPE } from "../../src/type-tokens";

describe("Site on the offline engine", () => {
  it("records the settings k3s fixes at creation, and refuses a change before registering anything", async () => {
    const first = await planOf("home");
    const fixed = first.outputs.fixedSettings as Record<string, unknown>;
    assert.equal(fixed.cni, "cilium");
    assert.equal(fixed.clusterCidr, "10.42.0.0/16");
    // The same site again: accepted.
    await planOf("home", undefined, { fixedSettings: fixed });
    // The site as if it had been created with another pod range.
    const resources: unknown[] = [];
    await assert.rejects(
      planOf("home", undefined, { fixedSettings: { ...fixed, clusterCidr: "10.52.0.0/16" } }).then((r) => resources.push(...r.resources)),
      (err: Error) => {
        assert.match(
          err.message,
          /k3s\.clusterCidr cannot change on a live cluster: it was 10\.52\.0\.0\/16 when the site was created and is now 10\.42\.0\.0\/16/,
        );
        return true;
      },
    );
    assert.deepEqual(resources, []);
  });

  it("builds the Hetzner network and one subnet per pool from the address plan, protected", async () => {
    const run = await planOf("prod");
    const network = byName(run, "site-hetzner-network");
    assert.equal(network.inputs.ipRange, "10.0.0.0/16");
    assert.equal(network.protect, true);
    assert.equal(network.inputs.deleteProtection, true);
    const subnets = ofType(run, "hcloud:index/networkSubnet:NetworkSubnet");
    assert.deepEqual(
      subnets.map((s) => [s.name, s.inputs.ipRange, s.inputs.networkZone]),
      [
        ["site-hetzner-subnet-edge", "10.0.0.0/24", "eu-central"],
        ["site-hetzner-subnet-control", "10.0.116.0/24", "eu-central"],
        ["site-hetzner-subnet-worker", "10.0.243.0/24", "eu-central"],
      ],
    );
    for (const s of subnets) {
      assert.equal(typeof s.inputs.networkId, "number", "hcloud takes the network ID as a number");
      assert.ok(s.dependsOn.includes(network.urn));
      assert.equal(s.protect, true);
    }
  });

  it("uses an explicit hcloud provider whose token stays secret", async () => {
    const run = await planOf("prod");
    const provider = byName(run, "site-hetzner-provider");
    assert.equal(provider.inputs.token, SECRET);
    assert.deepEqual(provider.rawInputs.token, { secret: secretPlaceholder("hcloud:token") });
    for (const r of ofType(run, "hcloud:index/network:Network")) assert.equal(r.provider, provider.urn);
  });

  it("parents every resource under the site and names children after their parent", async () => {
    const run = await planOf("prod");
    const site = byName(run, "site");
    assert.equal(site.type, TYPE.site);
    for (const r of run.resources) {
      if (r === site) continue;
      assert.ok(r.parent, `${r.name} has no parent`);
      assert.ok(r.name.startsWith("site-"), `${r.name} is not prefixed with its parent's name`);
    }
  });

  it("reports the nodes as stack outputs", async () => {
    const run = await planOf("home");
    assert.deepEqual(run.outputs.nodes, [
      { name: "nuc", role: "server", arch: "amd64", privateIp: "192.168.1.10", sshAddress: "192.168.1.10" },
      { name: "pi-1", role: "agent", arch: "arm64", privateIp: "192.168.1.21", sshAddress: "192.168.1.21" },
      { name: "pi-2", role: "agent", arch: "arm64", privateIp: "192.168.1.22", sshAddress: "192.168.1.22" },
    ]);
    assert.equal(ofType(run, "pulumi:providers:hcloud").length, 0, "a home site creates no cloud resources");
  });
});
