import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { z } from "zod";
import type { Concern } from "../../src/concerns/contract";
import { BY_KIND, CNIS, CONCERNS, CONCERN_RULES, INGRESS_CONTROLLERS, cniOf, concernsInUse, ingressOf } from "../../src/concerns/registry";
import { CONCERN_KINDS } from "../../src/concerns/contract";
import { INGRESS_CONTROLLER_NAMES, ingressSchema } from "../../src/ingress/section";
import { canal } from "../../src/cni/canal/concern";
import { CNI_NAMES, cniSchema } from "../../src/cni/section";
import { exampleSections, parse1 } from "../helpers";

/** The fragment a section entry wraps: `prefault({})`, and `.meta()` on top of it for some. */
function innerOf(schema: z.ZodType): unknown {
  const def = schema._zod.def as { innerType?: z.ZodType };
  return def.innerType ?? schema;
}

describe("the registry of CNIs", () => {
  it("has one concern per value of cni.plugin, under cni.<name>, with the fragment the schema holds there", () => {
    assert.deepEqual(Object.keys(CNIS), [...CNI_NAMES]);
    for (const name of CNI_NAMES) {
      const concern = CNIS[name];
      assert.equal(concern.name, name);
      assert.equal(concern.key, `cni.${name}`);
      assert.equal(innerOf(cniSchema.shape[name]), concern.fragment, `cni.${name} is not the concern's fragment`);
    }
  });

  it("picks the site's CNI, which alone says it is used", () => {
    const cases = { prod: "canal", home: "cilium", lan: "flannel", multisite: "calico" } as const;
    for (const [stack, plugin] of Object.entries(cases)) {
      const config = parse1(exampleSections(stack as keyof typeof cases));
      assert.equal(cniOf(config).name, plugin, stack);
      assert.deepEqual(
        CNI_NAMES.filter((name) => CNIS[name].uses(config)),
        [plugin],
        stack,
      );
    }
  });

  it("runs every rule of every concern, the add-ons' too", () => {
    for (const concern of CONCERNS) for (const rule of concern.rules) assert.ok(CONCERN_RULES.includes(rule), `${concern.name}: ${rule.name}`);
    assert.ok(CONCERNS.some((c) => c.name === "metallb"));
  });

  it("lists the concerns a site uses, its CNI first, then its ingress controller: MetalLB only where site.loadBalancer.metallb is set", () => {
    const used = (stack: "prod" | "lan") => concernsInUse(parse1(exampleSections(stack))).map((c) => c.name);
    // Storage: Hetzner's driver on Hetzner and k3s's local-path at home, and the volumes prod declares.
    assert.deepEqual(used("prod"), ["canal", "nginx", "cert-manager", "hcloud-csi", "volumes"]);
    assert.deepEqual(used("lan"), ["flannel", "traefik", "cert-manager", "metallb", "multus", "local-path"]);
  });

  it("pins what each CNI installs: Canal and Calico their Calico, Cilium its chart; k3s's Flannel is k3s's", () => {
    const pinsOf = (stack: "prod" | "home" | "lan" | "multisite") => {
      const config = parse1(exampleSections(stack));
      return cniOf(config).pins(config).map((p) => `${p.name} ${p.version(config)} ${p.key(config) ?? "(pin)"}`);
    };
    assert.deepEqual(pinsOf("prod"), ["Calico (Canal) v3.32.1 cni.canal.version"]);
    assert.deepEqual(pinsOf("multisite"), ["Calico v3.32.1 cni.calico.version"]);
    assert.deepEqual(pinsOf("lan"), []);
    assert.equal(pinsOf("home").length, 1);
  });

  it("does not compile a concern without its pins", () => {
    const { pins: _pins, ...withoutPins } = canal;
    // @ts-expect-error: pins is required (tsc --noEmit fails here if it ever becomes optional)
    const broken: Concern<"canal", typeof canal.fragment> = withoutPins;
    assert.equal("pins" in broken, false);
  });
});

describe("the registry of ingress controllers", () => {
  it("has one concern per value of ingress.controller, nginx the default", () => {
    assert.deepEqual(Object.keys(INGRESS_CONTROLLERS), [...INGRESS_CONTROLLER_NAMES]);
    for (const name of INGRESS_CONTROLLER_NAMES) assert.equal(INGRESS_CONTROLLERS[name].name, name);
    assert.equal(ingressSchema.parse({}).controller, "nginx");
    assert.equal(ingressOf(parse1(exampleSections("prod"))).name, "nginx");
  });
});

describe("every concern", () => {
  it("is of a registered kind, listed under it once, with a name unique in its kind and a key unique among all", () => {
    for (const kind of CONCERN_KINDS) for (const concern of BY_KIND[kind]) assert.equal(concern.kind, kind, concern.name);
    // cilium is a CNI and an ingress controller: the name is the selecting key's value, the key tells them apart.
    assert.equal(new Set(CONCERNS.map((c) => `${c.kind}/${c.name}`)).size, CONCERNS.length);
    assert.equal(new Set(CONCERNS.map((c) => c.key)).size, CONCERNS.length);
    assert.equal(CONCERN_KINDS.reduce((n, kind) => n + BY_KIND[kind].length, 0), CONCERNS.length);
  });

  it("answers its policy hooks on every example site without naming a namespace twice", () => {
    for (const stack of ["prod", "home", "lan", "multisite"] as const) {
      const config = parse1(exampleSections(stack));
      const namespaces = concernsInUse(config).flatMap((c) => c.policies.namespaces(config));
      assert.equal(new Set(namespaces).size, namespaces.length, stack);
    }
  });
});
