/** Hetzner's prices as data: what a site costs a month, and what the table cannot price. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOAD_BALANCER_PRICES, monthlyCost, PRICES_AS_OF, PRICES_READ, SERVER_PRICES } from "../../src/hetzner/prices";
import { SERVER_TYPES } from "../../src/hetzner/types";

describe("Hetzner's prices", () => {
  it("prices the prod example at 121.44 EUR a month: five cpx22, an lb21 and five primary IPv4", () => {
    const cost = monthlyCost({
      location: "fsn1",
      servers: Array.from({ length: 5 }, () => ({ serverType: "cpx22", publicIpv4: true })),
      loadBalancerType: "lb21",
    });
    assert.deepEqual(cost.items, [
      { what: "server cpx22", count: 5, each: 19.49 },
      { what: "load balancer lb21", count: 1, each: 21.49 },
      { what: "primary IPv4", count: 5, each: 0.5 },
    ]);
    assert.equal(cost.known, 121.44);
    assert.deepEqual(cost.unknown, []);
  });

  it("charges no IPv4 for servers without one, and leaves out what it cannot price: a type not in the table, lb31, a US location", () => {
    const cost = monthlyCost({
      location: "nbg1",
      servers: [
        { serverType: "cax11", publicIpv4: false },
        { serverType: "cpx42", publicIpv4: false },
      ],
      loadBalancerType: "lb31",
    });
    assert.equal(cost.known, 5.99);
    assert.deepEqual(cost.unknown.map((i) => i.what), ["server cpx42", "load balancer lb31"]);
    const us = monthlyCost({ location: "ash", servers: [{ serverType: "cpx22", publicIpv4: true }] });
    assert.deepEqual(us.unknown.map((i) => i.what), ["server cpx22"]);
  });

  it("says when the figures were read, names a source for each, and prices the types the limits know that can be ordered or not", () => {
    assert.match(PRICES_READ, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(PRICES_AS_OF, /^\d{4}-\d{2}-\d{2}$/);
    for (const p of [...Object.values(SERVER_PRICES), ...Object.values(LOAD_BALANCER_PRICES)]) assert.ok(p.source.length > 10);
    // Every current (not retired) type of the limits table with a price read: cpx32 is the one still missing.
    const missing = SERVER_TYPES.filter((t) => t.status !== "retired" && !(t.name in SERVER_PRICES)).map((t) => t.name);
    assert.deepEqual(missing, ["cpx32"]);
  });
});
