/**
 * MetalLB's BGP path through the whole program: a lan variant whose routed pool is announced to a router plans, its
 * BGPAdvertisement and BGPPeer validate against MetalLB v0.16.1's CRDs, the chart renders FRR-K8s for it, and the
 * combinations that fight are refused on real configs (Calico's BGP with the same router, Cilium's LB-IPAM).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderSiteCharts } from "../../../plan/charts/site";
import { manifestsOf, renderFiles, summarize } from "../../../plan/render";
import { HELM_SKIP } from "../../plan/charts/support";
import { CrdValidator } from "../../support/schemas";
import { ROOT, exampleSections, parse1, problemsOf } from "../../helpers";
import { lanBgp } from "./variants";
import { planOfSections } from "../../plan/run";
import { CHART_TYPE } from "../../../src/type-tokens";

const CRDS = CrdValidator.fromFiles(join(ROOT, "upstream", "metallb", "crds.yaml"));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

describe("MetalLB BGP on a lan variant", () => {
  it("plans, with BGPAdvertisement and BGPPeer valid for v0.16.1's CRDs and FRR-K8s on in the chart values", async () => {
    const run = await planOfSections(lanBgp(), "lan");
    const metallb = (manifestsOf(run) as Obj[]).filter((o) => o.apiVersion.startsWith("metallb.io/"));
    assert.deepEqual(metallb.map((o) => `${o.kind} ${o.metadata.name}`), [
      "IPAddressPool lan",
      "L2Advertisement lan",
      "IPAddressPool routed",
      "BGPAdvertisement routed",
      "BGPPeer router",
    ]);
    for (const o of metallb) CRDS.validate(o as never);
    assert.deepEqual(metallb.find((o) => o.kind === "BGPPeer")!.spec, { myASN: 64512, peerASN: 64513, peerAddress: "192.168.10.1" });
    assert.deepEqual(metallb.find((o) => o.kind === "BGPAdvertisement")!.spec, {
      ipAddressPools: ["routed"],
      nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": "tower" } }],
    });
    const chart = run.resources.find((r) => r.type === CHART_TYPE && r.inputs.chart === "metallb")!;
    assert.deepEqual((chart.inputs.values as { frrk8s: unknown }).frrk8s, { enabled: true });
    assert.match(summarize(run, renderFiles(run)), /pool routed 198\.51\.100\.0\/28 \(BGP to router 192\.168\.10\.1 AS 64513\)/);
  });

  it("renders the chart's FRR-K8s subchart for it", HELM_SKIP ? { skip: HELM_SKIP } : {}, async () => {
    const raw = lanBgp();
    const run = await planOfSections(raw, "lan");
    const charts = renderSiteCharts(run, parse1(raw));
    assert.ok(!("skipped" in charts), "helm is there");
    const metallb = charts.charts.find((c) => c.spec.chart === "metallb")!;
    const daemonSets = metallb.objects.filter((o) => o.kind === "DaemonSet").map((o) => o.metadata.name).sort();
    assert.ok(daemonSets.some((n) => n.includes("frr-k8s")), `an FRR-K8s DaemonSet among ${daemonSets.join(", ")}`);
    assert.ok(metallb.objects.some((o) => o.kind === "CustomResourceDefinition" && o.metadata.name === "frrconfigurations.frrk8s.metallb.io"));
  });
});

describe("MetalLB BGP peers", () => {
  it("refuse an eBGP router outside the nodes' LAN, which the speakers cannot reach without multihop", () => {
    const raw = lanBgp();
    raw.site.loadBalancer.metallb.bgp.peers[0].address = "10.0.0.1";
    assert.deepEqual(problemsOf(raw), [
      "site.loadBalancer.metallb.bgp.peers[0].address 10.0.0.1 is outside site.network.cidr 192.168.10.0/24: the speakers peer over eBGP from the nodes' LAN addresses without multihop, so the router must be on that LAN: give the router's LAN address",
    ]);
    assert.deepEqual(problemsOf(lanBgp()), []);
  });

  it("refuse a kubernetes.io/hostname selector that names no node (no node would announce or peer)", () => {
    const raw = lanBgp();
    raw.site.loadBalancer.metallb.pools[1].nodeSelector = { "kubernetes.io/hostname": "towr" };
    raw.site.loadBalancer.metallb.bgp.peers[0].nodeSelector = { "kubernetes.io/hostname": "mini-2" };
    assert.deepEqual(problemsOf(raw), [
      "site.loadBalancer.metallb.pools[1].nodeSelector kubernetes.io/hostname towr names no node of the site (tower, mini-1): use a node's name",
      "site.loadBalancer.metallb.bgp.peers[0].nodeSelector kubernetes.io/hostname mini-2 names no node of the site (tower, mini-1): use a node's name",
    ]);
  });
});

describe("MetalLB BGP beside other BGP and LB-IPAM", () => {
  function multisiteWith(peerAddress: string, advertise: "bgp" | "l2" = "bgp") {
    const raw = exampleSections("multisite");
    raw.site.loadBalancer = {
      metallb: {
        pools: [{ name: "lan", addresses: ["10.20.1.240/28"], advertise }],
        ...(advertise === "bgp" ? { bgp: { asn: 64512, peers: [{ name: "router", address: peerAddress, asn: 65101 }] } } : {}),
      },
    };
    return raw;
  }

  it("refuses MetalLB peering with a Calico segment's router, naming the segment and its nodes", () => {
    assert.deepEqual(problemsOf(multisiteWith("10.20.1.1")), [
      "site.loadBalancer.metallb.bgp.peers[0].address 10.20.1.1 is the router of site.segments home-a, which Calico's BGP already peers with from nodes nuc, pi, and a router keeps one session per node address: MetalLB's sessions would fight Calico's. Announce Service addresses through Calico (cni.calico.bgp.serviceLoadBalancerIPs) instead, or announce the pools with advertise l2",
    ]);
    assert.match(problemsOf(multisiteWith("fd00:20:2::1")).join("\n"), /fd00:20:2::1 is the router of site\.segments home-b, which Calico's BGP already peers with from nodes mini/);
  });

  it("refuses MetalLB BGP to another router on a Calico site too, and accepts MetalLB L2 there", () => {
    assert.deepEqual(problemsOf(multisiteWith("10.20.1.2")), [
      "site.loadBalancer.metallb.bgp MetalLB BGP and Calico's BGP would both peer from the same nodes with the same routers, and a router keeps one session per node: announce the pools with advertise l2, or announce Service addresses through Calico (cni.calico) instead of MetalLB",
    ]);
    assert.deepEqual(problemsOf(multisiteWith("", "l2")), []);
  });

  it("refuses MetalLB on the home example, whose Cilium hands out the same addresses", () => {
    const raw = exampleSections("home");
    raw.site.loadBalancer = { metallb: { pools: [{ name: "lan", addresses: ["192.168.1.200/29"] }] } };
    assert.deepEqual(
      problemsOf(raw).filter((p) => p.startsWith("site.loadBalancer.metallb ")),
      [
        "site.loadBalancer.metallb is set but cni.plugin is cilium, whose LB-IPAM would hand out the same Services' addresses: use cni.cilium.loadBalancerPools and l2Announcements instead, or a CNI without LB-IPAM (canal, calico, flannel)",
      ],
    );
  });
});
