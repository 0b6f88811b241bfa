/**
 * MetalLB BGP on the lan variant with a routed pool (test/lb/metallb/variants.ts), run: the LAN's router runs FRR, then
 * BIRD 2, with the router file the plan exports (stack output `routers`, metallb-router.*.conf) as its whole
 * configuration; each node runs a speaker configured from the plan's BGPPeer, BGPAdvertisement and IPAddressPool as
 * FRR-K8s would configure it (test/lab/metallb-speaker.ts, the mapping cited there); a client on the internet side
 * of the router opens a TCP connection to the Service's address, which the announcing node holds on lo (kube-proxy
 * accepts a LoadBalancer address on every node; here the node's own stack answers).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { describe, it } from "node:test";
import { manifestsOf } from "../../plan/render";
import { lanBgp } from "../lb/metallb/variants";
import { planOfSections } from "../plan/run";
import { speakerFrrConfig, speakerTimers, type BgpPeerSpec } from "./metallb-speaker";
import { Lab, labSkip, type Daemon } from "./netns";
import { connect, serve } from "./tcp";

const CLIENT = "203.0.113.10";
const NODES = { tower: "192.168.10.5", "mini-1": "192.168.10.11" } as const;
/** A Service's address from the routed pool (198.51.100.0/28), as the controller assigns it or the annotation asks. */
const SERVICE = "198.51.100.1";

type Obj = { kind: string; spec: Record<string, unknown> };

async function planned() {
  const run = await planOfSections(lanBgp(), "lan");
  const objects = manifestsOf(run) as Obj[];
  const peers = objects.filter((o) => o.kind === "BGPPeer").map((o) => o.spec as unknown as BgpPeerSpec & { nodeSelectors?: unknown });
  const ads = objects.filter((o) => o.kind === "BGPAdvertisement").map((o) => o.spec as { ipAddressPools: string[]; nodeSelectors?: { matchLabels: Record<string, string> }[] });
  const routers = (run.outputs as { routers?: Record<string, string> }).routers ?? {};
  return { peers, ads, routers };
}

/** Whether a BGPAdvertisement's nodeSelectors pick a node (k3s labels each node kubernetes.io/hostname=<name>). */
function selects(ad: { nodeSelectors?: { matchLabels: Record<string, string> }[] }, node: string): boolean {
  return !ad.nodeSelectors || ad.nodeSelectors.some((s) => Object.entries(s.matchLabels).every(([k, v]) => k === "kubernetes.io/hostname" && v === node));
}

describe("lab: MetalLB BGP on the lan variant, the router's file against FRR-K8s speakers", () => {
  for (const daemon of ["frr", "bird"] as const) {
    it(`${daemon === "frr" ? "FRR" : "BIRD 2"} on the router learns the Service address from the announcing node, and a client behind it connects`, { skip: labSkip({ frr: true, bird: daemon === "bird", ping: true }), timeout: 60_000 }, async () => {
      const { peers, ads, routers } = await planned();
      const routerFile = routers[`metallb-router.${daemon}.conf`];
      assert.ok(routerFile, `the plan exports metallb-router.${daemon}.conf (have: ${Object.keys(routers).join(", ") || "none"})`);
      assert.deepEqual(peers.map((p) => [p.myASN, p.peerASN, p.peerAddress]), [[64512, 64513, "192.168.10.1"]]);
      const lab = new Lab();
      let server: ChildProcess | undefined;
      try {
        lab.addSwitch("lan");
        lab.addNamespace("router", { forwarding: true });
        lab.plug("lan", { ns: "router", ifname: "lan0", addresses: ["192.168.10.1/24"] });
        lab.addNamespace("client");
        lab.link({ ns: "router", ifname: "wan0", addresses: ["203.0.113.1/24"] }, { ns: "client", ifname: "eth0", addresses: [`${CLIENT}/24`] });
        lab.ip("client", "route", "add", "default", "via", "203.0.113.1");
        const router: Daemon =
          daemon === "frr"
            ? lab.startFrr("router", routerFile!)
            : lab.startBird("router", `router id 192.168.10.1;\nprotocol device {}\nprotocol kernel { ipv4 { export all; }; }\n${routerFile!}`);
        const speakers: Daemon[] = [];
        for (const [node, address] of Object.entries(NODES)) {
          lab.addNamespace(node, { forwarding: true });
          lab.plug("lan", { ns: node, ifname: "eno1", addresses: [`${address}/24`] });
          lab.ip(node, "route", "add", "default", "via", "192.168.10.1");
          const announces = ads.some((ad) => ad.ipAddressPools.includes("routed") && selects(ad, node));
          if (announces) lab.addLoopback(node, [SERVICE]);
          speakers.push(lab.startFrr(node, speakerFrrConfig(peers, announces ? [`${SERVICE}/32`] : [])));
        }
        await lab.waitEstablished([router], { min: 2, timeoutMs: 30_000 });
        const routes = await lab.waitRoutes("router", 4, (rs) => rs.some((r) => r.dst === SERVICE));
        assert.deepEqual(
          routes.filter((r) => r.dst.startsWith("198.51.100.")).map((r) => [r.dst, r.gateway, r.dev]),
          [[SERVICE, NODES.tower, "lan0"]],
          "one host route, next hop the announcing node",
        );
        server = await serve(lab, "tower", 80);
        assert.equal(connect(lab, "client", SERVICE, 80), CLIENT, "the client reaches the Service address through the router");
        assert.equal(lab.ping("client", { to: "198.51.100.2" }), false, "an unassigned pool address is announced by no one");
        if (daemon === "frr") {
          // No timers in the BGPPeer: FRR's traditional defaults on both ends (hold 180 s), no password.
          const session = (JSON.parse(lab.vtysh(router, `show bgp neighbors ${NODES.tower} json`)) as Record<string, { bgpTimerHoldTimeMsecs?: number; remoteAs?: number }>)[NODES.tower]!;
          assert.deepEqual([session.remoteAs, session.bgpTimerHoldTimeMsecs], [64512, 180_000]);
          // Why the file carries an import route map: FRR's eBGP default (bgp ebgp-requires-policy) takes nothing in without one.
          lab.vtysh(router, "configure terminal", "router bgp 64513", "address-family ipv4 unicast", "no neighbor METALLB-ROUTER route-map METALLB-ROUTER-IN in", "end", "clear bgp ipv4 unicast * soft in");
          await lab.waitRoutes("router", 4, (rs) => !rs.some((r) => r.dst === SERVICE));
        }
      } finally {
        server?.kill("SIGKILL");
        lab.destroy();
      }
    });
  }
});

describe("the emulated speaker's timers, as MetalLB's parseTimers sets them", () => {
  const peer = { myASN: 64512, peerASN: 64513, peerAddress: "192.168.10.1" };
  it("none without holdTime and keepaliveTime; hold is 3 × keepaliveTime given alone; keepalive is holdTime / 3 given alone", () => {
    assert.equal(speakerTimers({}), undefined);
    assert.deepEqual(speakerTimers({ keepaliveTime: "10s" }), { keepalive: 10, hold: 30 });
    assert.deepEqual(speakerTimers({ holdTime: "90s" }), { keepalive: 30, hold: 90 });
    assert.deepEqual(speakerTimers({ holdTime: "90s", keepaliveTime: "20s" }), { keepalive: 20, hold: 90 });
    assert.match(speakerFrrConfig([{ ...peer, keepaliveTime: "10s" }], []), /^ {2}neighbor 192\.168\.10\.1 timers 10 30$/m);
    assert.doesNotMatch(speakerFrrConfig([peer], []), /timers/);
  });
});
