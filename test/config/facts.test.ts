/**
 * The external facts the config rules encode (each cited beside its constant), so that a change to one fails here,
 * and the arithmetic the rules rest on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HETZNER_CANAL_MTU } from "../../src/cni/canal";
import { CILIUM_CHART } from "../../src/cni/cilium";
import { CALICO_PINS } from "../../src/cni/manifest";
import { VXLAN_OVERHEAD } from "../../src/cni/rules-mtu";
import { parseSiteConfig } from "../../src/config/load";
import { CERT_MANAGER_CHART, clusterIssuers } from "../../src/certificates/cert-manager/cert-manager";
import { ingressOf } from "../../src/concerns/registry";
import { NGINX_IMAGE } from "../../src/ingress/nginx/concern";
import { HETZNER_PRIVATE_MTU } from "../../src/hetzner/model";
import { HOSTNAME_LABEL_MAX } from "../../src/hetzner/rules-names";
import { HETZNER_NETWORK_MIN_PREFIX, HETZNER_NETWORK_RANGES, coversWholeFamily } from "../../src/hetzner/rules-network";
import { IPV6_CLUSTER_SUBNET_MAX_DIFF, NODE_CIDR_MASK } from "../../src/k3s/rules-ranges";
import { KUBERNETES_SUPPORT } from "../../src/k3s/kubernetes-support";
import { releaseLine } from "../../src/k3s/rules-versions";
import { METALLB_CHART } from "../../src/lb/metallb/schema";
import { parseCidr, subnetAt, type Cidr } from "../../src/net/cidr";
import { clone, exampleSections, problemsOf } from "../helpers";

describe("Kubernetes versions the pinned components support", () => {
  it("has a row for every pinned release line", () => {
    assert.ok(releaseLine(CILIUM_CHART.version)! in KUBERNETES_SUPPORT.cilium, `no row for Cilium ${CILIUM_CHART.version}`);
    for (const version of Object.keys(CALICO_PINS)) {
      assert.ok(releaseLine(version)! in KUBERNETES_SUPPORT.calico, `no row for Calico ${version}`);
    }
    assert.ok(releaseLine(CERT_MANAGER_CHART.version)! in KUBERNETES_SUPPORT["cert-manager"]);
    assert.ok(releaseLine(NGINX_IMAGE)! in KUBERNETES_SUPPORT["nginx-ingress"]);
    assert.ok(releaseLine(METALLB_CHART.version)! in KUBERNETES_SUPPORT.metallb, `no row for MetalLB ${METALLB_CHART.version}`);
  });

  it("holds the vendors' published ranges", () => {
    assert.deepEqual(KUBERNETES_SUPPORT, {
      cilium: { "1.19": { testedFrom: 32, testedTo: 35 }, "1.20": { testedFrom: 33, testedTo: 36 } },
      calico: { "3.31": { testedFrom: 32, testedTo: 35, worksFrom: 21 }, "3.32": { testedFrom: 34, testedTo: 36, worksFrom: 21 } },
      "cert-manager": { "1.21": { testedFrom: 33, testedTo: 36 } },
      "nginx-ingress": { "5.5": { testedFrom: 29, testedTo: 36 } },
      traefik: { "3.7": { testedFrom: 34, testedTo: 36, worksFrom: 25 } },
      metallb: { "0.16": { testedFrom: 27, testedTo: 31, worksFrom: 19, worksTo: Infinity } },
      "hcloud-csi": { "2.22": { testedFrom: 33, testedTo: 36 } },
    });
  });

  const at = (stack: "prod" | "home", version: string, edit: (r: Record<string, any>) => void = () => {}) => {
    const raw = clone(exampleSections(stack));
    raw.k3s.version = version;
    edit(raw);
    return problemsOf(raw).filter((p) => p.startsWith("k3s.version"));
  };

  it("accepts each stack's whole supported range and refuses one minor past either end", () => {
    for (const v of ["v1.33.0+k3s1", "v1.36.2+k3s1"]) assert.deepEqual(at("prod", v), [], v);
    for (const v of ["v1.32.9+k3s1", "v1.37.0+k3s1"]) assert.equal(at("prod", v).length, 1, v);
    for (const v of ["v1.33.0+k3s1", "v1.36.5+k3s1"]) assert.deepEqual(at("home", v), [], v);
    for (const v of ["v1.32.9+k3s1", "v1.37.0+k3s1"]) assert.equal(at("home", v).length, 1, v);
    // The previous Cilium pin stops one minor earlier: a home site held on 1.19.6 cannot reach 1.36.
    const cilium119 = (r: Record<string, any>) => (r.cni.cilium.version = "1.19.6");
    assert.deepEqual(at("home", "v1.35.9+k3s1", cilium119), []);
    assert.equal(at("home", "v1.36.5+k3s1", cilium119).length, 1);
  });

  it("counts cert-manager only when certificates are on, and Hetzner's volume driver only when it is the driver", () => {
    assert.deepEqual(at("prod", "v1.32.9+k3s1", (r) => ((r.certificates = { enabled: false }), (r.storage = { driver: "local-path" }))), []);
    assert.match(at("prod", "v1.32.9+k3s1", (r) => (r.certificates = { enabled: false }))[0] ?? "", /outside what Hetzner's CSI driver 2.22 supports/);
  });
});

describe("network facts", () => {
  it("gives nodes a /24 and a /64 of the pod ranges, at most 2^16 blocks for IPv6", () => {
    assert.deepEqual(NODE_CIDR_MASK, { 4: 24, 6: 64 });
    assert.equal(IPV6_CLUSTER_SUBNET_MAX_DIFF, 16);
  });

  it("keeps Hetzner networks in RFC 1918, a /24 or larger", () => {
    assert.deepEqual([...HETZNER_NETWORK_RANGES], ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
    assert.equal(HETZNER_NETWORK_MIN_PREFIX, 24);
    assert.equal(HOSTNAME_LABEL_MAX, 63);
  });

  it("takes VXLAN's 50 bytes off the private network's 1450 for Canal's default", () => {
    assert.equal(VXLAN_OVERHEAD, 50);
    assert.equal(HETZNER_CANAL_MTU, HETZNER_PRIVATE_MTU - VXLAN_OVERHEAD);
  });

  it("sees the world however it is split, and nothing less", () => {
    const space = parseCidr("0.0.0.0/0") as Cidr;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), (bits, drop) => {
        // All /bits ranges cover the world; dropping any one of them leaves a hole.
        const all = Array.from({ length: 2 ** bits }, (_, i) => subnetAt(space, bits, i));
        assert.equal(coversWholeFamily(all, 4), true);
        assert.equal(coversWholeFamily(all.filter((_, i) => i !== drop % all.length), 4), false);
        assert.equal(coversWholeFamily(all, 6), false);
      }),
      { numRuns: 50 },
    );
  });
});

describe("certificates.email is optional", () => {
  it("yields ClusterIssuers without an email that cert-manager's schema accepts", async () => {
    // ESM-only: a dynamic import loads it from this CommonJS project.
    const { ClusterIssuer } = await import("@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer");
    const raw = clone(exampleSections("prod"));
    delete raw.certificates.email;
    const config = parseSiteConfig(raw);
    const issuers = clusterIssuers(config, ingressOf(config).certManager.http01(config));
    assert.equal(issuers.length, 2);
    for (const issuer of issuers) {
      assert.equal("email" in issuer.spec!.acme!, false);
      // @kubernetes-models/cert-manager 6.0.0: ACMEIssuer requires privateKeySecretRef and server, not email.
      assert.doesNotThrow(() => new ClusterIssuer(issuer as never).validate());
    }
  });
});
