import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { archOfServerType } from "../../src/config/site";
import { LOAD_BALANCER_TYPES, SERVER_TYPES, loadBalancerType, orderableAlternative, serverType } from "../../src/hetzner/types";
import { exampleSections } from "../helpers";

describe("the table of Hetzner types", () => {
  it("holds lb11's and lb21's limits as Hetzner's data gives them", () => {
    // terraform-provider-hcloud v1.68.0 acceptance test (lb11) and hcloud-python v2.23.0 fixtures (lb11, lb21).
    assert.deepEqual(
      LOAD_BALANCER_TYPES.filter((t) => t.verified).map((t) => [t.name, t.services, t.targets]),
      [
        ["lb11", 5, 25],
        ["lb21", 15, 75],
      ],
    );
    assert.equal(loadBalancerType("lb31")?.verified, false);
  });

  it("lists load-balancer types from small to large, so the first that fits is the cheapest", () => {
    for (let i = 1; i < LOAD_BALANCER_TYPES.length; i++) {
      assert.ok(LOAD_BALANCER_TYPES[i]!.services > LOAD_BALANCER_TYPES[i - 1]!.services);
      assert.ok(LOAD_BALANCER_TYPES[i]!.targets > LOAD_BALANCER_TYPES[i - 1]!.targets);
    }
  });

  it("gives each server type the architecture the config derives from its name", () => {
    for (const t of SERVER_TYPES) assert.equal(t.arch, archOfServerType(t.name), t.name);
  });

  it("marks every Cost-Optimized type not orderable and cpx22 orderable", () => {
    const costOptimized = ["cx23", "cx33", "cx43", "cx53", "cax11", "cax21", "cax31", "cax41"];
    assert.deepEqual(costOptimized.map((n) => serverType(n)?.status), costOptimized.map(() => "not-orderable"));
    assert.deepEqual(serverType("cpx22"), {
      name: "cpx22",
      arch: "amd64",
      cores: 2,
      memory: 4,
      status: "orderable",
      source: serverType("cpx22")!.source,
    });
    assert.equal(orderableAlternative("cx23", "amd64")?.name, "cpx22");
    assert.equal(orderableAlternative("cax21", "arm64"), undefined, "no arm64 type is orderable in the data read");
  });

  it("keeps the prod example on types that can be ordered and a load balancer that holds its ports", () => {
    const site = exampleSections("prod").site;
    for (const pool of site.pools) assert.equal(serverType(pool.serverType)?.status, "orderable", pool.name);
    assert.ok(2 + site.loadBalancer.services.length <= loadBalancerType(site.loadBalancer.type)!.services);
  });
});
