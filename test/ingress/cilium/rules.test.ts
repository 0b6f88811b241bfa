import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../../../src/config/problems";
import { ciliumIngressProblems } from "../../../src/ingress/cilium/rules";
import { clone, exampleSections, parse1 } from "../../helpers";

const problems = (raw: Record<string, unknown>) => ciliumIngressProblems(parse1(raw)).map(formatProblem);

/** The home example on Cilium 1.20, whose Gateway API CRDs are vendored. */
function home120(): any {
  const raw = clone(exampleSections("home")) as any;
  raw.cni.cilium.version = "1.20.0";
  return raw;
}

describe("ingress.controller cilium's rules", () => {
  it("accepts a home site on Cilium 1.20 with LB-IPAM", () => {
    assert.deepEqual(problems(home120()), []);
  });

  it("refuses a CNI other than Cilium, with key, value and fix", () => {
    assert.deepEqual(problems(exampleSections("lan")), [
      "ingress.controller cilium: Cilium's ingress and Gateway API run in the Cilium agent, and cni.plugin is flannel; set cni.plugin: cilium, or choose ingress.controller: nginx or traefik",
    ]);
  });

  it("refuses a Cilium whose Gateway API CRDs are not vendored; the pinned Cilium has them", () => {
    assert.deepEqual(problems(exampleSections("home")), []);
    for (const version of ["1.19.5", "1.19.6"]) {
      const raw = home120();
      raw.cni.cilium.version = version;
      raw.k3s.version = "v1.35.9+k3s1"; // the newest Kubernetes Cilium 1.19 supports
      assert.deepEqual(problems(raw), [
        `cni.cilium.version ${version}: Cilium's Gateway API support needs the Gateway API CRDs of its release, and k3s-sites vendors them for Cilium 1.20 only; set cni.cilium.version: 1.20.0`,
      ]);
    }
  });

  it("refuses a home site without LoadBalancer addresses", () => {
    const raw = home120();
    delete raw.cni.cilium.l2Announcements;
    raw.cni.cilium.loadBalancerPools = [];
    assert.deepEqual(problems(raw), [
      "cni.cilium.loadBalancerPools is empty but ingress.controller is cilium, whose ingress and Gateway are reached through LoadBalancer Services; add a LAN range, e.g. 192.168.1.240/28, with cni.cilium.l2Announcements",
    ]);
  });

  it("refuses a Hetzner site: Envoy's PROXY protocol would believe any sender", () => {
    const raw = clone(exampleSections("prod")) as any;
    raw.cni = { plugin: "cilium", cilium: { version: "1.20.0" } };
    const found = problems(raw);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0]!, /^ingress\.controller cilium: on a Hetzner site .* any pod or node could forge a client's address; choose ingress\.controller: nginx or traefik on Hetzner sites$/);
  });

  it("refuses the PROXY protocol and nginx's ConfigMap keys on a home site", () => {
    const raw = home120();
    raw.ingress = { proxyProtocol: true, config: { "client-max-body-size": "10m" } };
    assert.deepEqual(problems(raw), [
      "ingress.proxyProtocol true: Cilium's Envoy would accept a PROXY header from any sender; set ingress.proxyProtocol: false (the client's address is kept by externalTrafficPolicy Local)",
      `ingress.config.client-max-body-size "10m": ingress.config holds keys of nginx's ConfigMap, and ingress.controller is cilium; remove it`,
    ]);
  });
});
