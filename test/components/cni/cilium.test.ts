import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CILIUM_CHART } from "../../../src/cni/cilium";
import { byName, planOf, planOfSections } from "../../plan/run";
import { hetznerSections } from "../../helpers";
import { SECRET, secretPlaceholder } from "../../../plan/engine";
import { CHART_TYPE } from "../../../src/type-tokens";

type Obj = { kind: string; metadata: { name: string }; data?: Record<string, string> };

describe("CNI on the offline engine", () => {
  it("applies Canal's CRDs first, then the customized manifest, once the first server is up", async () => {
    const run = await planOf("prod");
    const crds = byName(run, "site-canal-crds");
    const manifest = byName(run, "site-canal-manifest");
    const first = byName(run, "site-k3s-node-control-1");
    const provider = byName(run, "site-k3s-provider");
    assert.ok(crds.dependsOn.includes(first.urn), "the CRDs wait for the first server");
    assert.ok(!crds.dependsOn.includes(byName(run, "site-k3s-node-control-2").urn), "and not for the others");
    assert.ok(manifest.dependsOn.includes(crds.urn), "the manifest waits for the CRDs");
    for (const group of [crds, manifest]) assert.equal(group.provider, provider.urn);

    const crdObjs = crds.inputs.objs as Obj[];
    const objs = manifest.inputs.objs as Obj[];
    assert.ok(crdObjs.length > 10 && crdObjs.every((o) => o.kind === "CustomResourceDefinition"));
    assert.ok(!objs.some((o) => o.kind === "CustomResourceDefinition"));
    const config = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === "canal-config")!;
    assert.equal(JSON.parse(config.data!["net-conf.json"]!).Network, "10.42.0.0/16");
    assert.equal(config.data!.veth_mtu, "1400");
  });

  it("stops the run when the Canal manifest cannot be had: a digest that does not match", async () => {
    const raw = hetznerSections();
    // A configured digest wins over the pin, so the vendored v3.32.1 file no longer matches.
    raw.cni = { plugin: "canal", canal: { version: "v3.32.1", sha256: "0".repeat(64) } };
    await assert.rejects(planOfSections(raw), /has sha256 aa58a7b2.*but cni\.canal\.sha256 is 0{64}/);
  });

  it("installs the pinned Cilium chart after the first server, and its LB-IPAM objects after the chart", async () => {
    const run = await planOf("home");
    const chart = byName(run, "site-cilium-chart");
    assert.equal(chart.type, CHART_TYPE);
    assert.equal(chart.inputs.version, CILIUM_CHART.version);
    assert.deepEqual(chart.inputs.repositoryOpts, { repo: "https://helm.cilium.io" });
    assert.ok(chart.dependsOn.includes(byName(run, "site-k3s-node-nuc").urn));
    assert.equal(chart.provider, byName(run, "site-k3s-provider").urn);
    const values = chart.inputs.values as Record<string, any>;
    assert.equal(values.ipam.mode, "kubernetes");
    assert.equal(values.kubeProxyReplacement, true);
    const lb = byName(run, "site-cilium-lb-ipam");
    assert.ok(lb.dependsOn.includes(chart.urn));
    assert.deepEqual(
      (lb.inputs.objs as Obj[]).map((o) => o.kind),
      ["CiliumLoadBalancerIPPool", "CiliumL2AnnouncementPolicy"],
    );
  });

  it("Calico: CRDs first; pools, BGP and the password Secret before calico-node; routers' files as a stack output", async () => {
    const run = await planOf("multisite");
    const crds = byName(run, "site-calico-crds");
    const resources = byName(run, "site-calico-resources");
    const manifest = byName(run, "site-calico-manifest");
    const secret = byName(run, "site-calico-bgp-passwords");
    assert.ok(crds.dependsOn.includes(byName(run, "site-k3s-node-nuc").urn));
    for (const group of [resources, manifest]) {
      assert.ok(group.dependsOn.includes(crds.urn));
      assert.ok(group.dependsOn.includes(secret.urn), "calico-node starts with the password there");
      assert.equal(group.provider, byName(run, "site-k3s-provider").urn);
    }
    assert.ok(!resources.dependsOn.includes(manifest.urn), "the pools do not wait for calico-node, which waits for them");
    assert.deepEqual(
      (resources.inputs.objs as Obj[]).map((o) => `${o.kind} ${o.metadata.name}`),
      [
        "IPPool k3s-sites-ipv4",
        "IPPool k3s-sites-ipv6",
        "BGPConfiguration default",
        "BGPPeer k3s-sites-home-a",
        "BGPPeer k3s-sites-home-a-v6",
        "BGPPeer k3s-sites-home-b",
        "BGPPeer k3s-sites-home-b-v6",
        "BGPPeer k3s-sites-vps",
        "BGPPeer k3s-sites-vps-v6",
      ],
    );
    // The password stays a secret: the plan shows a marker, never the value.
    assert.equal(secret.inputs.stringData, SECRET);
    assert.deepEqual(secret.rawInputs.stringData, { secret: { password: secretPlaceholder("k3s-sites:bgpPassword") } });
    const routers = run.outputs.routers as Record<string, string>;
    assert.match(routers["home-b.frr.conf"]!, /^router bgp 65102$/m);
    assert.ok(!(objsOf(manifest).some((o) => o.kind === "CustomResourceDefinition")));
  });
});

function objsOf(r: { inputs: Record<string, unknown> }): Obj[] {
  return r.inputs.objs as Obj[];
}
