import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { networkPolicies, policiesByLifetime, type NetworkPolicy } from "../../../src/policy/network-policies";
import { clone, declaredApps, exampleSections, hetznerSections, parse1 } from "../../helpers";
import { byName, ofType, planOf } from "../../plan/run";

type Obj = { kind: string; metadata: { name: string; namespace?: string } };
const key = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;

describe("policiesByLifetime", () => {
  it("keeps default-deny and DNS of app namespaces with the namespace, and nothing else", () => {
    const raw = clone(hetznerSections());
    raw.networkPolicies = { apps: declaredApps() };
    const config = parse1(raw);
    const { withNamespace, rest } = policiesByLifetime(config);
    assert.deepEqual(
      Object.fromEntries([...withNamespace].map(([ns, ps]) => [ns, ps.map(key)])),
      { web: ["web/default-deny", "web/allow-dns"], mail: ["mail/default-deny", "mail/allow-dns"] },
    );
    // Together they are every policy of the site, each once.
    const all = networkPolicies(config);
    const split: NetworkPolicy[] = [...[...withNamespace.values()].flat(), ...rest];
    assert.deepEqual(split.map(key).sort(), all.map(key).sort());
    assert.ok(rest.some((p) => key(p) === "nginx-ingress/default-deny"), "nginx's namespace goes with the edge");
  });

  it("keeps nothing with a namespace when defaultDeny is off", () => {
    const raw = clone(hetznerSections());
    raw.networkPolicies = { apps: declaredApps(), defaultDeny: false };
    assert.equal(policiesByLifetime(parse1(raw)).withNamespace.size, 0);
  });
});

describe("NetworkPolicies on the offline engine", () => {
  it("registers each app namespace's default-deny and DNS on their own, deleted only with their kept namespace", async () => {
    const run = await planOf("prod");
    const config = parse1(exampleSections("prod"));
    const group = byName(run, "site-policies-policies");
    const expected = policiesByLifetime(config);
    assert.deepEqual((group.inputs.objs as Obj[]).map(key), expected.rest.map(key));

    const kept = ofType(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    assert.deepEqual(
      kept.map((r) => key(r.inputs as unknown as Obj)).sort(),
      [...expected.withNamespace.values()].flat().map(key).sort(),
    );
    assert.ok(kept.length >= 2);
    for (const policy of kept) {
      const { namespace, name } = (policy.inputs as unknown as Obj).metadata;
      const ns = byName(run, `site-policies-namespace-${namespace}`);
      assert.equal(ns.retainOnDelete, true, `namespace ${namespace} is kept when its last app goes`);
      assert.equal(policy.deletedWith, ns.urn, `${namespace}/${name} goes only where its namespace goes`);
      assert.equal(policy.retainOnDelete, undefined, `${namespace}/${name} is deleted when defaultDeny is turned off`);
      assert.ok(policy.dependsOn.includes(ns.urn));
      assert.equal(policy.provider, byName(run, "site-k3s-provider").urn);
      // The URN it had as a child of the ConfigGroup, so that moving it out neither deletes nor recreates it.
      const groupChain = group.urn.split("::")[0];
      const alias = `${groupChain}$kubernetes:networking.k8s.io/v1:NetworkPolicy::site-policies-policies:${namespace}/${name}`;
      assert.ok(policy.aliases?.includes(alias), String(policy.aliases));
      const spec = expected.withNamespace.get(namespace!)!.find((p) => p.metadata.name === name)!;
      assert.deepEqual(policy.inputs, spec);
    }
  });
});
