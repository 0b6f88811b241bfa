/**
 * Multus networks: the NetworkAttachmentDefinitions against the CRD, the CNI config objects, the pod annotation, the
 * warnings and the config checks with their messages.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ANNOTATION, cniConfig, multusWarnings, networkAttachmentDefinition, podAnnotations } from "../../src/multus/networks";
import { CrdValidator } from "../support/schemas";
import { ROOT, exampleSections, parse1, problemsOf, sshSections } from "../helpers";
import { defaultDenyProblems, kubeObjectsOf, type PolicyResource } from "../../policy/rules";
import { planOf, planOfSections } from "../plan/run";
import { NETWORKS, withNetworks } from "./sites";

const CRD = CrdValidator.fromFiles(join(ROOT, "upstream", "multus", "network-attachment-definition-crd.yaml"));

describe("NetworkAttachmentDefinitions", () => {
  it("build each CNI config as an object and fit the CRD", () => {
    const site = parse1(withNetworks());
    const [dmzIn, dmzOut, slaac] = site.networks;
    assert.deepEqual(cniConfig(dmzIn!), {
      cniVersion: "0.3.1",
      name: "dmz-in",
      plugins: [
        {
          type: "macvlan",
          master: "eno1.20",
          mode: "bridge",
          capabilities: { ips: true },
          ipam: { type: "static", routes: [{ dst: "0.0.0.0/0", gw: "192.168.20.1" }] },
        },
        { type: "sbr" },
      ],
    }, "its own default route is put to use by source-based routing, chained after macvlan");
    assert.equal(cniConfig(dmzOut!).type, "macvlan", "no default route of its own: one plugin, routes in the main table");
    assert.deepEqual((cniConfig(dmzOut!).ipam as { ranges: unknown }).ranges, [
      [{ subnet: "192.168.30.0/24", gateway: "192.168.30.1" }],
      [{ subnet: "fd00:30::/64" }],
    ]);
    assert.equal("ipam" in cniConfig(slaac!), false, "IPv6 by router advertisement: no IPAM");
    for (const n of site.networks) {
      const nad = networkAttachmentDefinition(n);
      CRD.validate(nad);
      assert.deepEqual(JSON.parse(nad.spec.config), cniConfig(n));
    }
  });

  it("write the pod annotation each attached app needs, and warn for each", () => {
    const site = parse1(
      withNetworks([
        { name: "mail", namespace: "dmz", networks: [{ name: "dmz-in", addresses: ["192.168.20.25/24"] }, { name: "dmz-out" }] },
        { name: "web", namespace: "web" },
      ]),
    );
    assert.equal(ANNOTATION, "k8s.v1.cni.cncf.io/networks");
    assert.deepEqual(podAnnotations(site), {
      mail: '[{"name":"dmz-in","namespace":"dmz","ips":["192.168.20.25/24"]},{"name":"dmz-out","namespace":"dmz"}]',
    });
    assert.deepEqual(multusWarnings(site), [
      "app mail (namespace dmz) is attached to dmz-in, dmz-out: NetworkPolicies do not apply to Multus interfaces, so only the LAN firewall (the router between that VLAN and the rest) protects the pod there",
    ]);
  });
});

describe("Multus config checks", () => {
  it("rejects a network an app names but no one declares", () => {
    assert.deepEqual(problemsOf(withNetworks([{ name: "mail", namespace: "dmz", networks: [{ name: "dmz" }] }])), [
      "networkPolicies.apps[0].networks[0].name dmz is not declared in networks (declared: dmz-in, dmz-out, slaac): declare it, or fix the name",
    ]);
  });

  it("rejects a DMZ subnet overlapping the cluster's or the LAN's ranges", () => {
    const networks = [{ name: "dmz", namespace: "dmz", master: "eno1.20", ipam: { type: "host-local", ranges: [{ subnet: "10.42.128.0/24" }] } }];
    assert.deepEqual(problemsOf(withNetworks([], networks)), [
      "networks[0].ipam.ranges[0].subnet 10.42.128.0/24 overlaps k3s.clusterCidr 10.42.0.0/16: a DMZ network needs a subnet of its own, outside the cluster's and the LAN's ranges",
    ]);
  });

  it("rejects a parent interface a host does not list", () => {
    const raw = withNetworks();
    raw.site.hosts[0].interfaces = ["eth0", "eno1.20", "eno1.40"];
    assert.deepEqual(problemsOf(raw), [
      "site.hosts[0].interfaces lists eth0, eno1.20, eno1.40 but not eno1.30, the parent of networks[1] (dmz-out): create that interface on nuc (e.g. the VLAN interface) and list it, or pick a parent it has",
    ]);
  });

  it("rejects static addresses outside the subnet, shared, or on a network that assigns its own", () => {
    const problems = problemsOf(
      withNetworks([
        { name: "a", namespace: "dmz", networks: [{ name: "dmz-in", addresses: ["192.168.21.5/24"] }] },
        { name: "b", namespace: "dmz", networks: [{ name: "dmz-in", addresses: ["192.168.20.5/24"] }, { name: "dmz-out", addresses: ["192.168.30.5/24"] }] },
        { name: "c", namespace: "dmz", networks: [{ name: "dmz-in", addresses: ["192.168.20.5/24"] }] },
      ]),
    );
    assert.deepEqual(problems, [
      "networkPolicies.apps[0].networks[0].addresses[0] 192.168.21.5/24 is not an address of networks[0].ipam.subnet 192.168.20.0/24: pick one inside it, with the subnet's prefix",
      "networkPolicies.apps[1].networks[1].addresses needs networks[1].ipam.type static, but dmz-out uses host-local, which picks addresses itself: remove the addresses, or make the network static",
      "networkPolicies.apps[2].networks[0].addresses[0] 192.168.20.5/24 is also app b's address: each pod needs its own",
    ]);
  });

  it("refuses host-local on a site with two nodes, which would hand both nodes' pods the same address", () => {
    const raw = withNetworks();
    raw.site.hosts = sshSections().site.hosts;
    assert.deepEqual(problemsOf(raw), [
      "networks[1].ipam.type host-local keeps its allocations on each node, so pods of dmz-out on different nodes (nuc, pi) would get the same address: use ipam.type static with a subnet, and give each attached app its own address in networkPolicies.apps[].networks[].addresses (or run the site on one node)",
    ]);
  });

  it("refuses Multus networks on a Cilium site", () => {
    assert.match(problemsOf(withNetworks([], NETWORKS, "cilium")).join("\n"), /networks are set but cni\.plugin is cilium/);
  });
});

describe("Multus on the lan example", () => {
  it("applies the NADs after the CRD and exports the mail app's annotation", async () => {
    const run = await planOf("lan");
    const nads = run.resources.filter((r) => r.name === "site-multus-networks");
    assert.equal(nads.length, 1);
    assert.deepEqual(((nads[0]!.inputs.objs as { metadata: { name: string } }[]) ?? []).map((o) => o.metadata.name), ["dmz-in", "dmz-out"]);
    assert.ok((run.outputs.multusAnnotations as Record<string, string>).mail?.includes('"ips":["192.168.20.25/24"]'));
    assert.equal(exampleSections("lan").networks.length, 2);
  });
});

describe("Multus networks in a namespace no app declares", () => {
  const lab = { name: "lab", namespace: "lab", master: "eno1.50", ipam: { type: "static", subnet: "192.168.50.0/24" } };
  const sections = (defaultDeny: boolean) => {
    const lan = exampleSections("lan") as any;
    const hosts = lan.site.hosts.map((h: any) => ({ ...h, interfaces: [...h.interfaces, "eno1.50"] }));
    return { ...lan, site: { ...lan.site, hosts }, networks: [...lan.networks, lab], networkPolicies: { ...lan.networkPolicies, defaultDeny } };
  };
  const objectsOf = (run: Awaited<ReturnType<typeof planOfSections>>) =>
    kubeObjectsOf(run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.name, inputs: r.inputs }) as unknown as PolicyResource));

  it("get the site's baseline: default-deny and DNS on a defaultDeny site, which the policy pack accepts", async () => {
    const run = await planOfSections(sections(true), "lan");
    const objects = objectsOf(run);
    const namespace = objects.find((o) => o.kind === "Namespace" && o.metadata?.name === "lab")!;
    assert.equal(namespace.metadata?.labels?.["k3s-sites/default-deny"], undefined, "isolated like the site's other namespaces");
    assert.deepEqual(objects.filter((o) => o.kind === "NetworkPolicy" && o.metadata?.namespace === "lab").map((o) => o.metadata?.name).sort(), ["allow-dns", "default-deny"].sort());
    assert.deepEqual(defaultDenyProblems(objects), []);
  });

  it("are labelled as not isolated where the site isolates nothing", async () => {
    const run = await planOfSections(sections(false), "lan");
    const objects = objectsOf(run);
    assert.equal(objects.find((o) => o.kind === "Namespace" && o.metadata?.name === "lab")!.metadata?.labels?.["k3s-sites/default-deny"], "off");
    assert.equal(objects.some((o) => o.kind === "NetworkPolicy" && o.metadata?.namespace === "lab"), false);
    assert.deepEqual(defaultDenyProblems(objects), []);
  });
});
