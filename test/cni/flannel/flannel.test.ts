/**
 * k3s's own Flannel: the flags each node's config.yaml carries, the policy controller left on, the source of
 * node-to-remote-pod packets, and the backend rule.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeConfig } from "../../../src/k3s/config";
import { remoteNodeSources } from "../../../src/policy/context";
import { hetznerSections, parse1, problemsOf, sshSections } from "../../helpers";

function flannelSite(flannel: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const raw = sshSections();
  raw.cni = { plugin: "flannel", flannel };
  return { ...raw, ...extra };
}

describe("cni.plugin flannel", () => {
  it("runs k3s's Flannel with the configured backend and keeps k3s's network policy controller", () => {
    const site = parse1(flannelSite({ backend: "wireguard-native", interface: "eno1" }));
    const first = site.nodes[0]!;
    const server = nodeConfig(site, { node: first });
    assert.equal(server["flannel-backend"], "wireguard-native");
    assert.equal(server["disable-network-policy"], undefined);
    assert.equal(server["flannel-ipv6-masq"], undefined, "IPv4 site: no IPv6 masquerade flag");
    assert.equal(server["flannel-iface"], "eno1");
    const agent = nodeConfig(site, { node: site.nodes[1]!, joinServer: first });
    assert.equal(agent["flannel-iface"], "eno1", "flannel-iface is an agent flag: every node gets it");
    assert.equal(agent["flannel-backend"], undefined, "backend is a server flag only");
  });

  it("defaults to vxlan, no interface, and masquerades pods' IPv6 on a dual-stack site", () => {
    const raw = flannelSite();
    raw.k3s = { ...raw.k3s, ipFamilies: "dual-stack", clusterCidrV6: "fd00:42::/56", serviceCidrV6: "fd00:43::/112" };
    raw.site.hosts = raw.site.hosts.map((h: Record<string, unknown>, i: number) => ({ ...h, privateIpv6: `fd00:1::${i + 10}` }));
    const site = parse1(raw);
    const first = site.nodes[0]!;
    const server = nodeConfig(site, { node: first });
    assert.equal(server["flannel-backend"], "vxlan");
    assert.equal(server["flannel-ipv6-masq"], true);
    assert.equal(server["cluster-cidr"], "10.42.0.0/16,fd00:42::/56");
    assert.equal("flannel-iface" in server, false);
  });

  it("other CNIs still turn k3s's Flannel and policy controller off", () => {
    const site = parse1(sshSections());
    const first = site.nodes[0]!;
    const server = nodeConfig(site, { node: first });
    assert.equal(server["flannel-backend"], "none");
    assert.equal(server["disable-network-policy"], true);
  });

  it("lets the pod range in as the source of node-to-remote-pod traffic, except with host-gw", () => {
    assert.deepEqual(remoteNodeSources(parse1(flannelSite())), [{ ipBlock: { cidr: "10.42.0.0/16" } }]);
    assert.deepEqual(remoteNodeSources(parse1(flannelSite({ backend: "wireguard-native" }))), [{ ipBlock: { cidr: "10.42.0.0/16" } }]);
    assert.deepEqual(remoteNodeSources(parse1(flannelSite({ backend: "host-gw" }))), []);
  });

  it("rejects an unknown backend with the ones k3s v1.33 accepts", () => {
    assert.match(problemsOf(flannelSite({ backend: "ipsec" })).join("\n"), /cni\.flannel\.backend.*expected vxlan, wireguard-native, host-gw/);
  });

  it("rejects flannel settings on a Cilium site", () => {
    const raw = sshSections();
    raw.cni = { plugin: "cilium", flannel: { backend: "host-gw" } };
    assert.match(problemsOf(raw).join("\n"), /cni\.flannel sets backend, but cni\.plugin is cilium/);
  });
});

describe("cni.flannel.backend host-gw", () => {
  it("is refused on Hetzner, whose private network is routed", () => {
    const raw = hetznerSections();
    raw.cni = { plugin: "flannel", flannel: { backend: "host-gw" } };
    assert.match(problemsOf(raw).join("\n"), /cni\.flannel\.backend host-gw needs every node on one L2 segment/);
  });
});
