import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkProtectedRemovals, protectedOf } from "../../src/cluster/protection";
import { clone, exampleSections, parse1 } from "../helpers";

type Pool = { name: string; role: string; count: number; serverType: string };
const prodRaw = exampleSections("prod");
const prod = parse1(prodRaw);
function prodWith(edit: (raw: ReturnType<typeof exampleSections>) => void) {
  const raw = clone(prodRaw);
  edit(raw);
  return parse1(raw);
}
const pools = (raw: ReturnType<typeof exampleSections>) => raw.site.pools as Pool[];

describe("removing what the previous deployment protected", () => {
  it("records the servers and pools a deployment protects, and nothing with site.protect false or at home", () => {
    assert.deepEqual(protectedOf(prod), { servers: ["control-1", "control-2", "control-3"], pools: ["control", "worker"] });
    assert.deepEqual(protectedOf(prodWith((r) => (r.site.protect = false))), { servers: [], pools: [] });
    assert.deepEqual(protectedOf(parse1(exampleSections("home"))), { servers: [], pools: [] });
  });

  it("refuses a pool whose subnet is protected, with the two runs that work", () => {
    const before = { servers: [], pools: ["control", "worker", "old"] };
    const problems = checkProtectedRemovals(prod, before);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!.message,
      /^would delete the subnet of pool old, which the previous deployment protected .* first pulumi up with site\.protect: false and pool old still in site\.pools .* then remove it in the next run/,
    );
  });

  it("lets removals through once the previous run unprotected them, whatever this run's site.protect", () => {
    const three = prodWith((r) => (pools(r).find((p) => p.name === "control")!.count = 1));
    assert.deepEqual(checkProtectedRemovals(three, { servers: [], pools: [] }), []);
    assert.equal(checkProtectedRemovals(three, protectedOf(prod)).length, 1);
    assert.deepEqual(checkProtectedRemovals(three, undefined), []);
  });
});
