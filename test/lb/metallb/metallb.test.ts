/**
 * MetalLB: the config checks with their messages, the custom resources against MetalLB v0.16.1's CRDs, the
 * memberlist Secret the chart's pods read, and nginx's fixed address.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { METALLB, checkMetallb, metallbOf, metallbResources, metallbValues, nginxAddressOf } from "../../../src/lb/metallb/metallb";
import { siteConcerns } from "../../../src/concerns/registry";
import { parseRange } from "../../../src/lb/metallb/schema";
import { nginxObjects } from "../../../src/ingress/nginx/nginx";
import { networkPolicies } from "../../../src/policy/network-policies";
import type { SiteConfig } from "../../../src/config/site";
import { CrdValidator } from "../../support/schemas";
import { HELM_SKIP, chartOf, siteUnderTest } from "../../plan/charts/support";
import { byName, ofType, planOf } from "../../plan/run";
import { ROOT, exampleSections, hetznerSections, parse1, problemsOf, sshSections } from "../../helpers";
import { SECRET } from "../../../plan/engine";

const CRDS = CrdValidator.fromFiles(join(ROOT, "upstream", "metallb", "crds.yaml"));

function withMetallb(metallb: Record<string, unknown>, cni: Record<string, unknown> = { plugin: "flannel" }) {
  const raw = sshSections();
  raw.site.loadBalancer = { metallb };
  raw.cni = cni;
  return raw;
}

const L2 = { pools: [{ name: "lan", addresses: ["192.168.1.240/28"] }] };

describe("MetalLB config", () => {
  it("parses CIDRs and first-last ranges of one family, and nothing else", () => {
    assert.deepEqual(parseRange("192.168.1.240/30"), { version: 4, first: 0xc0a801f0n, last: 0xc0a801f3n });
    assert.deepEqual(parseRange("192.168.1.240-192.168.1.241"), { version: 4, first: 0xc0a801f0n, last: 0xc0a801f1n });
    assert.equal(parseRange("192.168.1.241-192.168.1.240"), undefined);
    assert.equal(parseRange("192.168.1.240-fd00::1"), undefined);
    assert.equal(parseRange("192.168.1.240"), undefined);
  });

  it("rejects a malformed range with an example", () => {
    assert.match(
      problemsOf(withMetallb({ pools: [{ name: "lan", addresses: ["192.168.1.240"] }] })).join("\n"),
      /site\.loadBalancer\.metallb\.pools\[0\]\.addresses\[0\].*expected a CIDR such as 192\.168\.1\.240\/28 or a range/,
    );
  });

  it("rejects an L2 pool outside the LAN", () => {
    assert.deepEqual(problemsOf(withMetallb({ pools: [{ name: "lan", addresses: ["10.9.0.0/28"] }] })), [
      "site.loadBalancer.metallb.pools[0].addresses[0] 10.9.0.0/28 is outside site.network.cidr 192.168.1.0/24: L2 advertisement answers ARP on the LAN, so the pool must be free addresses of that LAN",
    ]);
  });

  it("rejects overlapping pools, a pool holding a host, and a pool in the cluster's ranges", () => {
    const problems = problemsOf(
      withMetallb({
        pools: [
          { name: "a", addresses: ["192.168.1.240/28"] },
          { name: "b", addresses: ["192.168.1.250-192.168.1.251", "192.168.1.8/29"] },
          { name: "c", addresses: ["10.43.0.0/28"], advertise: "bgp" },
        ],
        bgp: { asn: 64512, peers: [{ name: "router", address: "192.168.1.1", asn: 64513 }] },
      }),
    );
    assert.deepEqual(problems, [
      "site.loadBalancer.metallb.pools[1].addresses[0] 192.168.1.250-192.168.1.251 overlaps site.loadBalancer.metallb.pools[0].addresses[0] 192.168.1.240/28: pools must be disjoint",
      "site.loadBalancer.metallb.pools[1].addresses[1] 192.168.1.8/29 holds node nuc's address 192.168.1.10: pick free addresses, outside your DHCP range",
      "site.loadBalancer.metallb.pools[2].addresses[0] 10.43.0.0/28 overlaps k3s.serviceCidr 10.43.0.0/16: the pool must be LAN addresses, outside the cluster's ranges",
    ]);
  });

  it("refuses MetalLB next to Cilium's LB-IPAM", () => {
    assert.match(problemsOf(withMetallb(L2, { plugin: "cilium" })).join("\n"), /site\.loadBalancer\.metallb is set but cni\.plugin is cilium/);
  });

  it("refuses MetalLB BGP on a Calico site, and BGP pools without peers", () => {
    const raw = withMetallb({ pools: [{ name: "lan", addresses: ["192.168.1.240/28"], advertise: "bgp" }] });
    const site = parse1({ ...raw, site: { ...raw.site, loadBalancer: { metallb: { ...L2 } } } });
    // cni.plugin calico comes from another branch; the rule reads the plugin's name only.
    const metallb = { ...metallbOf(site)!, pools: [{ ...metallbOf(site)!.pools[0]!, advertise: "bgp" as const }] };
    const calico = { ...site, cni: { ...site.cni, plugin: "calico" }, site: { ...site.site, loadBalancer: { metallb } } } as unknown as SiteConfig;
    const messages = checkMetallb(calico, siteConcerns(calico)).map((p) => `${p.path} ${p.message}`);
    assert.match(messages.join("\n"), /site\.loadBalancer\.metallb\.bgp MetalLB BGP and Calico's BGP would both peer/);
    assert.match(messages.join("\n"), /site\.loadBalancer\.metallb\.bgp is missing but a pool has advertise bgp/);
  });

  it("rejects an nginx address in no pool", () => {
    assert.match(
      problemsOf(withMetallb({ ...L2, nginxAddress: "192.168.1.100" })).join("\n"),
      /nginxAddress 192\.168\.1\.100 is in no pool/,
    );
  });

  it("is not a setting of Hetzner sites, whose load balancer is Hetzner's", () => {
    const raw = hetznerSections();
    raw.site.loadBalancer = { metallb: L2 };
    assert.match(problemsOf(raw).join("\n"), /site\.loadBalancer.*metallb/);
    assert.deepEqual(problemsOf(withMetallb(L2)), [], "the same pools are fine on a home site");
  });
});

describe("MetalLB objects", () => {
  it("writes a pool and an L2Advertisement per L2 pool, BGP advertisements and peers, all valid for v0.16.1's CRDs", () => {
    const site = parse1(
      withMetallb({
        pools: [
          { name: "lan", addresses: ["192.168.1.240/28", "fd00:1::f0-fd00:1::ff"], interfaces: ["eno1"], nodeSelector: { lb: "yes" } },
          { name: "routed", addresses: ["198.51.100.0/28"], advertise: "bgp", autoAssign: false },
        ],
        bgp: { asn: 64512, peers: [{ name: "router", address: "192.168.1.1", asn: 64513 }] },
      }),
    );
    const objects = metallbResources(metallbOf(site)!);
    assert.deepEqual(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`), [
      "metallb.io/v1beta1 IPAddressPool lan",
      "metallb.io/v1beta1 L2Advertisement lan",
      "metallb.io/v1beta1 IPAddressPool routed",
      "metallb.io/v1beta1 BGPAdvertisement routed",
      "metallb.io/v1beta2 BGPPeer router",
    ]);
    assert.deepEqual(objects[1]!.spec, { ipAddressPools: ["lan"], interfaces: ["eno1"], nodeSelectors: [{ matchLabels: { lb: "yes" } }] });
    assert.deepEqual(objects[4]!.spec, { myASN: 64512, peerASN: 64513, peerAddress: "192.168.1.1" });
    for (const o of objects) CRDS.validate(o);
    assert.equal(metallbValues(metallbOf(site)!).frrk8s && (metallbValues(metallbOf(site)!).frrk8s as { enabled: boolean }).enabled, true);
  });

  it("catches a field MetalLB's CRD does not have", () => {
    assert.throws(
      () => CRDS.validate({ apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "x" }, spec: { ipAddressPools: "lan" } } as never),
      /L2Advertisement x: \/spec\/ipAddressPools must be array/,
    );
  });

  it("gives nginx a LoadBalancer Service at the first pool address, with FRR-K8s off for L2 only", () => {
    const site = parse1(withMetallb(L2));
    assert.equal(nginxAddressOf(metallbOf(site)!), "192.168.1.240");
    assert.deepEqual(metallbValues(metallbOf(site)!).frrk8s, { enabled: false });
    const service = nginxObjects(site).find((o) => o.kind === "Service") as { metadata: { annotations?: Record<string, string> }; spec: { type: string } };
    assert.equal(service.spec.type, "LoadBalancer");
    assert.deepEqual(service.metadata.annotations, { "metallb.io/loadBalancerIPs": "192.168.1.240" });
  });
});

describe("MetalLB on the lan example", () => {
  it("generates the memberlist key once, as a secret, under the name and key the chart's pods read", async () => {
    const run = await planOf("lan");
    assert.equal(ofType(run, "random:index/randomPassword:RandomPassword").filter((r) => r.name.includes("memberlist")).length, 1);
    const secret = byName(run, "site-metallb-memberlist");
    assert.deepEqual(secret.inputs.metadata, { name: METALLB.memberlistSecret, namespace: METALLB.namespace });
    assert.equal(secret.inputs.stringData, SECRET, "the plan never shows the key");
    assert.match(JSON.stringify(secret.rawInputs.stringData), new RegExp(`"${METALLB.memberlistKey}":.*<random:site-metallb-memberlist-key>`));
    assert.deepEqual(exampleSections("lan").site.loadBalancer.metallb.pools[0].addresses, ["192.168.10.240/28"]);
  });

  it("names the Secret the rendered chart's controller and speaker use", HELM_SKIP ? { skip: HELM_SKIP } : {}, async () => {
    const site = await siteUnderTest("lan");
    const chart = chartOf(site, "metallb");
    const text = JSON.stringify(chart.objects);
    const controller = chart.objects.find((o) => o.kind === "Deployment") as unknown as {
      spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
    };
    const env = controller.spec.template.spec.containers.flatMap((c) => c.env ?? []);
    assert.equal(env.find((e) => e.name === "METALLB_ML_SECRET_NAME")?.value, METALLB.memberlistSecret);
    assert.match(text, new RegExp(`"secretName":"${METALLB.memberlistSecret}"`));
    assert.equal(chart.objects.some((o) => o.kind === "Secret" && o.metadata.name === METALLB.memberlistSecret), false, "the chart does not render it");
  });
});

describe("MetalLB's namespace under default-deny", () => {
  it("gets default-deny and DNS, its controller the API, and the API server its webhook port only", () => {
    const lan = parse1(exampleSections("lan"));
    const policies = networkPolicies(lan).filter((p) => p.metadata.namespace === "metallb-system");
    assert.deepEqual(policies.map((p) => p.metadata.name).sort(), [
      "allow-dns",
      "default-deny",
      "metallb-controller-to-api-server",
      "metallb-webhook-from-api-server",
    ]);
    const webhook = policies.find((p) => p.metadata.name === "metallb-webhook-from-api-server")!;
    assert.deepEqual(webhook.spec.ingress?.flatMap((r) => r.ports ?? []), [{ protocol: "TCP", port: 9443 }]);
    // A site without MetalLB has no such namespace to guard.
    assert.equal(networkPolicies(parse1(exampleSections("home"))).some((p) => p.metadata.namespace === "metallb-system"), false);
  });
});
