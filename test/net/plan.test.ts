import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { containsIp, overlaps, parseCidr, parseIp, type Cidr } from "../../src/net/cidr";
import { fnv1a, planNetwork, type PoolPlanInput } from "../../src/net/plan";

const paths = { network: "site.network", pools: "site.pools" };
const plan = (pools: PoolPlanInput[], network = "10.0.0.0/16", prefix = 24) => planNetwork(network, prefix, pools, paths);

const poolName = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const pools = fc.uniqueArray(fc.record({ name: poolName, count: fc.integer({ min: 0, max: 20 }) }), {
  selector: (p) => p.name,
  maxLength: 6,
});

describe("planNetwork", () => {
  it("names nodes <pool>-<n> and starts addresses after the reserved offset", () => {
    const { plan: p, problems } = plan([{ name: "control", count: 2, subnet: "10.0.1.0/24" }]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      p.nodes.map((n) => [n.name, n.privateIp]),
      [
        ["control-1", "10.0.1.10"],
        ["control-2", "10.0.1.11"],
      ],
    );
    assert.equal(p.edgeSubnet, "10.0.0.0/24");
    assert.equal(p.loadBalancerIp, "10.0.0.10");
  });

  it("hashes names with FNV-1a (the plan of every existing site depends on it)", () => {
    assert.equal(fnv1a(""), 0x811c9dc5);
    assert.equal(fnv1a("a"), 0xe40c292c);
    assert.equal(fnv1a("control"), 1386144670); // slot 1 + 1386144670 % 255 = 116
  });

  it("refuses a pool whose default subnet is taken, and names a free one", () => {
    // "control" hashes to slot 116 of a /16 cut into /24s.
    const { problems } = plan([
      { name: "a", count: 1, subnet: "10.0.116.0/24" },
      { name: "control", count: 1 },
    ]);
    assert.deepEqual(problems, [
      {
        path: "site.pools[1].subnet",
        message:
          "pool control would get 10.0.116.0/24, which overlaps pool a 10.0.116.0/24: set site.pools[1].subnet to a free range, e.g. 10.0.1.0/24",
      },
    ]);
  });

  it("refuses more nodes than a subnet holds", () => {
    const { problems } = plan([{ name: "big", count: 6, subnet: "10.0.1.0/28" }]);
    assert.deepEqual(problems, [
      {
        path: "site.pools[0].count",
        message:
          "6 nodes do not fit in pool big's subnet 10.0.1.0/28, which holds 5: lower the count or give the pool a larger subnet",
      },
    ]);
  });

  it("refuses a subnet outside the network", () => {
    const { problems } = plan([{ name: "x", count: 1, subnet: "10.1.0.0/24" }]);
    assert.equal(problems[0]?.message, "10.1.0.0/24 is outside site.network.cidr 10.0.0.0/16: choose a range inside it");
  });

  it("keeps subnets disjoint and every address inside its pool's subnet (property)", () => {
    fc.assert(
      fc.property(pools, (ps) => {
        const { plan: p, problems } = plan(ps);
        fc.pre(problems.length === 0);
        const subnets = [p.edgeSubnet, ...p.subnets.map((s) => s.cidr)].map((s) => parseCidr(s) as Cidr);
        subnets.forEach((a, i) => subnets.slice(i + 1).forEach((b) => assert.ok(!overlaps(a, b))));
        for (const node of p.nodes) {
          const subnet = parseCidr(p.subnets.find((s) => s.pool === node.pool)!.cidr) as Cidr;
          assert.ok(containsIp(subnet, parseIp(node.privateIp)!), `${node.name} ${node.privateIp}`);
        }
        assert.equal(new Set(p.nodes.map((n) => n.privateIp)).size, p.nodes.length);
      }),
    );
  });

  it("leaves every other node's address unchanged when nodes or pools are added or removed (property)", () => {
    fc.assert(
      fc.property(pools, pools, (before, after) => {
        const a = plan(before);
        const b = plan(after);
        fc.pre(a.problems.length === 0 && b.problems.length === 0);
        const addresses = new Map(a.plan.nodes.map((n) => [n.name, n.privateIp]));
        for (const node of b.plan.nodes) {
          const old = addresses.get(node.name);
          if (old !== undefined) assert.equal(node.privateIp, old, node.name);
        }
      }),
    );
  });
});
