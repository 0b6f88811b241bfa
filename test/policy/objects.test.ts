/**
 * src/policy/objects.ts keeps its own NetworkPolicy type, narrower than Kubernetes' (a name, a namespace, labels,
 * explicit policyTypes, numeric ports, readonly throughout), because the evaluator relies on those. It stays a
 * Kubernetes NetworkPolicy: `tsc` (the first step of `npm test`) fails here when a field it shares with
 * kubernetes-models' type drifts (a wrong value or type); a field Kubernetes does not have still compiles, so the
 * objects built here also go through Kubernetes' schema.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy" with { "resolution-mode": "import" };
import { networkPolicy, type NetworkPolicy } from "../../src/policy/objects";
import { validateBuiltin } from "../support/schemas";

/** Readonly removed at every depth: the generated Kubernetes types use mutable arrays and fields. */
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
/** Compiles only when A is assignable to B. */
type Assignable<A extends B, B> = A;
// The check itself: a NetworkPolicy of the program's, mutable, is a Kubernetes NetworkPolicy.
export type ProgramPolicyIsKubernetes = Assignable<Mutable<NetworkPolicy>, INetworkPolicy>;

describe("the program's NetworkPolicy type", () => {
  it("writes objects Kubernetes' schema accepts: selectors, ipBlocks, ports, and both directions", async () => {
    const policy = networkPolicy("web", "app-website", { app: "website" }, {
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "nginx-ingress" } }, podSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.42.0.0/16"] } }], ports: [{ protocol: "UDP", port: 53 }] }],
    });
    await validateBuiltin(policy as never);
    assert.deepEqual(policy.spec.policyTypes, ["Ingress", "Egress"]);
  });

  it("says Egress whenever egress rules are given, even none: an empty list closes egress", async () => {
    const closed = networkPolicy("web", "deny-egress", {}, { egress: [] });
    await validateBuiltin(closed as never);
    assert.deepEqual(closed.spec.policyTypes, ["Egress"]);
    assert.deepEqual(closed.spec.podSelector, {});
  });
});
