import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterRanges } from "../../src/net/ranges";
import { exampleSections, parse1 } from "../helpers";

describe("clusterRanges", () => {
  it("lists pods, services and the node network with the keys that set them", () => {
    const config = parse1(exampleSections("prod"));
    assert.deepEqual(
      clusterRanges(config).map((r) => `${r.kind} ${r.path} ${r.text}`),
      [
        `pods k3s.clusterCidr ${config.k3s.clusterCidr}`,
        `services k3s.serviceCidr ${config.k3s.serviceCidr}`,
        `nodes site.network.cidr ${config.nodeCidr}`,
      ],
    );
  });

  it("adds the IPv6 ranges where they are set, and leaves out one that does not parse", () => {
    const config = parse1(exampleSections("prod"));
    const k3s = { ...config.k3s, clusterCidrV6: "fd00:42::/56", serviceCidrV6: "not a range" };
    const ranges = clusterRanges({ k3s, nodeCidr: config.nodeCidr });
    assert.deepEqual(ranges.map((r) => r.path), ["k3s.clusterCidr", "k3s.serviceCidr", "k3s.clusterCidrV6", "site.network.cidr"]);
    assert.equal(ranges[2]!.cidr.version, 6);
    assert.equal(ranges[2]!.cidr.prefix, 56);
  });
});
