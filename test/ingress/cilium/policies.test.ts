import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ciliumIngressPolicies } from "../../../src/ingress/cilium/policies";
import { clone, exampleSections, parse1 } from "../../helpers";

/** The home example with one app behind the ingress, on a default-deny site. */
function home(defaultDeny: boolean) {
  const raw = clone(exampleSections("home")) as any;
  raw.networkPolicies = {
    defaultDeny,
    apps: [
      // The older name of the peer, kept working: the config reads it as ingress.
      { name: "web", namespace: "shop", ports: [{ port: 8080 }], from: [{ nginx: true }], to: [{ app: "db" }] },
      { name: "db", namespace: "shop", ports: [{ port: 5432 }], from: [{ app: "web" }] },
    ],
  };
  return parse1(raw);
}

describe("admitting Cilium's Envoy to apps", () => {
  it("gives each app behind the ingress a CiliumNetworkPolicy from the ingress entity on its ports, and none to others", () => {
    const policies = ciliumIngressPolicies(home(false));
    assert.deepEqual(policies, [
      {
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: "web-from-ingress", namespace: "shop", labels: { "app.kubernetes.io/managed-by": "k3s-sites" } },
        spec: { endpointSelector: { matchLabels: { app: "web" } }, ingress: [{ fromEntities: ["ingress"], toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }] }] },
      },
    ]);
  });

  it("lets the ingress reach HTTP-01 solver pods in every app namespace of a default-deny site", () => {
    const names = ciliumIngressPolicies(home(true)).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    assert.deepEqual(names, ["shop/web-from-ingress", "shop/acme-http01-solver-from-ingress"]);
  });
});
