/**
 * The routers' side of MetalLB BGP: neighbours and accepted prefixes from the config, the FRR and BIRD text, and the
 * plan's `routers` output. test/lab/metallb.test.ts runs these files in FRR and BIRD 2 against emulated speakers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatCidr, parseCidr, sizeOf } from "../../../src/net/cidr";
import { parseRange } from "../../../src/lb/metallb/schema";
import { metallbRouterFiles, metallbRouterPlans, rangeCidrs } from "../../../src/lb/metallb/router";
import { exampleSections, parse1 } from "../../helpers";
import { lanBgp } from "./variants";

describe("MetalLB router plans", () => {
  it("peer every node with the router, in bgp.asn, and accept only the BGP pools", () => {
    assert.deepEqual(metallbRouterPlans(parse1(lanBgp())), [
      {
        peer: "router",
        address: "192.168.10.1",
        asn: 64513,
        clusterAs: 64512,
        neighbours: [
          { node: "tower", address: "192.168.10.5" },
          { node: "mini-1", address: "192.168.10.11" },
        ],
        prefixes: ["198.51.100.0/28"],
      },
    ]);
  });

  it("list only the node a kubernetes.io/hostname selector names, and cover a first-last range with CIDRs", () => {
    const raw = lanBgp();
    raw.site.loadBalancer.metallb.bgp.peers[0].nodeSelector = { "kubernetes.io/hostname": "mini-1" };
    raw.site.loadBalancer.metallb.pools[1].addresses = ["198.51.100.3-198.51.100.9"];
    const [plan] = metallbRouterPlans(parse1(raw));
    assert.deepEqual(plan!.neighbours, [{ node: "mini-1", address: "192.168.10.11" }]);
    assert.deepEqual(plan!.prefixes, ["198.51.100.3/32", "198.51.100.4/30", "198.51.100.8/31"]);
  });

  it("cover any range exactly, with aligned blocks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 5000 }), (start, length) => {
        const first = BigInt(start);
        const last = BigInt(Math.min(start + length, 2 ** 32 - 1));
        const cidrs = rangeCidrs({ version: 4, first, last });
        let next = first;
        for (const c of cidrs) {
          assert.equal(c.network, next);
          assert.equal(parseCidr(formatCidr(c))!.network, c.network, "aligned");
          next += sizeOf(c);
        }
        assert.equal(next, last + 1n);
      }),
    );
    assert.deepEqual(rangeCidrs(parseRange("fd00::/126")!).map(formatCidr), ["fd00::/126"]);
  });

  it("write no router file where no pool is announced over BGP", () => {
    assert.deepEqual(metallbRouterFiles(parse1(exampleSections("lan")), "lan"), {});
  });
});

describe("MetalLB router files", () => {
  const files = metallbRouterFiles(parse1(lanBgp()), "lan");

  it("give FRR an import policy (eBGP needs one) accepting the pool up to host routes, and nothing out", () => {
    const frr = files["metallb-router.frr.conf"]!;
    assert.match(frr, /^ip prefix-list METALLB-ROUTER seq 5 permit 198\.51\.100\.0\/28 le 32$/m);
    assert.match(frr, /^ neighbor METALLB-ROUTER remote-as 64512$/m);
    assert.match(frr, /^ neighbor 192\.168\.10\.5 peer-group METALLB-ROUTER\n neighbor 192\.168\.10\.11 peer-group METALLB-ROUTER$/m);
    assert.match(frr, /^  neighbor METALLB-ROUTER route-map METALLB-ROUTER-IN in\n  neighbor METALLB-ROUTER route-map METALLB-ROUTER-OUT out$/m);
    assert.match(frr, /^route-map METALLB-ROUTER-OUT deny 10$/m);
  });

  it("give BIRD a protocol per node importing the pool and exporting nothing", () => {
    const bird = files["metallb-router.bird.conf"]!;
    assert.match(bird, /if net ~ \[ 198\.51\.100\.0\/28\{28,32\} \] then accept;/);
    assert.match(bird, /protocol bgp metallb_mini_1 from metallb_router_nodes \{\n  neighbor 192\.168\.10\.11 as 64512;\n\}/);
    assert.match(bird, /export none;/);
  });
});
