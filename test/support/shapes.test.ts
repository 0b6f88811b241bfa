/**
 * The site shapes cover every value of every dimension, and every pair of values of two dimensions that the config
 * schema allows, and each is a site the schema accepts with the dimensions it claims.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasLoadBalancerService } from "../../src/ingress/nginx/nginx";
import { problemsOf } from "../helpers";
import { SHAPES, configOfShape, type ShapeDimensions } from "./shapes";

const VALUES: { [K in keyof ShapeDimensions]: readonly ShapeDimensions[K][] } = {
  cni: ["canal", "cilium", "calico", "flannel"],
  site: ["hetzner", "home"],
  defaultDeny: [true, false],
  proxyProtocol: [true, false],
  loadBalancerService: [true, false],
  families: ["ipv4", "dual-stack"],
};

/** Pairs the config schema refuses (config rules), so no shape can have them. */
function forbidden(a: [string, unknown], b: [string, unknown]): boolean {
  const d = Object.fromEntries([a, b]) as Partial<ShapeDimensions>;
  if (d.site === "hetzner" && (d.families === "dual-stack" || d.loadBalancerService === true || d.cni === "calico")) return true;
  if (d.cni === "canal" && d.families === "dual-stack") return true;
  return false;
}

describe("the site shapes", () => {
  it("are sites the schema accepts, with the dimensions they claim", () => {
    for (const shape of SHAPES) {
      assert.deepEqual(problemsOf(shape.sections), [], shape.name);
      const c = configOfShape(shape);
      const d = shape.dimensions;
      assert.equal(c.cni.plugin, d.cni, shape.name);
      assert.equal(c.site.kind === "hetzner" ? "hetzner" : "home", d.site, shape.name);
      assert.equal(c.networkPolicies.defaultDeny, d.defaultDeny, shape.name);
      assert.equal(c.ingress.proxyProtocol, d.proxyProtocol, shape.name);
      assert.equal(hasLoadBalancerService(c), d.loadBalancerService, shape.name);
      assert.equal(c.k3s.ipFamilies === "dual-stack" ? "dual-stack" : "ipv4", d.families, shape.name);
    }
  });

  it("cover every pair of values the schema allows", () => {
    const keys = Object.keys(VALUES) as (keyof ShapeDimensions)[];
    const missing: string[] = [];
    for (const [i, k1] of keys.entries()) {
      for (const k2 of keys.slice(i + 1)) {
        for (const v1 of VALUES[k1]) {
          for (const v2 of VALUES[k2]) {
            if (forbidden([k1, v1], [k2, v2])) continue;
            if (!SHAPES.some((s) => s.dimensions[k1] === v1 && s.dimensions[k2] === v2)) missing.push(`${k1}=${v1} ${k2}=${v2}`);
          }
        }
      }
    }
    assert.deepEqual(missing, []);
  });
});
