/**
 * The lan example's Multus DMZ, run: two nodes (tower, mini-1) on the LAN, each with the DMZ VLAN interfaces the
 * example names (eno1.20, eno1.30) plugged into a bridge standing for each VLAN; the DMZ's router on both VLANs
 * with the internet behind it; a pod on each node attached exactly as the plan emits it: the NADs' configs and the
 * pods' networks annotations (stack output multusAnnotations), run by the real CNI plugins (macvlan, static, sbr)
 * the way Multus runs them (test/lab/cni.ts).
 *
 * The pod's cluster interface stands for what k3s's Flannel sets up (k3s pkg/agent/flannel/setup.go writes the
 * flannel conflist with a delegate `isDefaultGateway: true`; flannel-io/cni-plugin flannel_linux.go adds a route to
 * the whole cluster range through the same gateway): eth0 with an address of the node's pod range, a default route
 * and a route to k3s.clusterCidr via the node's first pod address. The node routes the other node's pod range to it
 * over the LAN (what flannel's vxlan does, minus the tunnel), and holds a Service address on lo (kube-proxy
 * rewrites a Service's address in the node's namespace, so what matters is that the packet reaches the node).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { cniConfig } from "../../src/multus/networks";
import { exampleSections, parse1, problemsOf } from "../helpers";
import { planOfSections } from "../plan/run";
import { cniAdd, cniAddOne, cniSkip, txPackets, type CniResult, type Selection } from "./cni";
import { Lab, labSkip } from "./netns";
import { connect, serve } from "./tcp";

const SKIP = labSkip({ ping: true }) || cniSkip(["macvlan", "static", "sbr", "host-local"]);

/** The lan example with a second DMZ app, which the lab places on the other node. */
function lanWithWeb() {
  const raw = exampleSections("lan");
  raw.networkPolicies.apps.push({
    name: "web",
    namespace: "dmz",
    ports: [{ port: 25 }],
    networks: [
      { name: "dmz-in", addresses: ["192.168.20.26/24"] },
      { name: "dmz-out", addresses: ["192.168.30.26/24"] },
    ],
  });
  return raw;
}

const NODES = {
  tower: { lan: "192.168.10.5/24", podRange: "10.42.0", other: { range: "10.42.1.0/24", via: "192.168.10.11" } },
  "mini-1": { lan: "192.168.10.11/24", podRange: "10.42.1", other: { range: "10.42.0.0/24", via: "192.168.10.5" } },
} as const;
const SERVICE = "10.43.0.10";
const CLIENT = "203.0.113.10";

/** Counters of a pod's interfaces, and what changed since. */
function counters(lab: Lab, pod: string, ifnames: readonly string[]) {
  const read = () => Object.fromEntries(ifnames.map((i) => [i, txPackets(lab, pod, i)]));
  const start = read();
  return () => {
    const now = read();
    return Object.fromEntries(ifnames.map((i) => [i, now[i]! - start[i]!]));
  };
}

describe("lab: the lan example's Multus DMZ, with the real CNI plugins", { skip: SKIP, timeout: 60_000 }, () => {
  let lab: Lab;
  const servers: ChildProcess[] = [];
  const results = new Map<string, CniResult[]>();
  let configs: Record<string, Record<string, unknown>>;

  /** A pod namespace (IPv4 only) on a node's cni0 bridge, with the routes Flannel's delegate gives it. */
  function clusterPod(pod: string, node: keyof typeof NODES, host: number) {
    lab.addNamespace(pod);
    lab.exec(pod, "sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
    const range = NODES[node].podRange;
    lab.link({ ns: node, ifname: `veth-${pod}` }, { ns: pod, ifname: "eth0", addresses: [`${range}.${host}/24`] });
    lab.ip(node, "link", "set", `veth-${pod}`, "master", "cni0");
    lab.ip(pod, "route", "add", "default", "via", `${range}.1`);
    lab.ip(pod, "route", "add", "10.42.0.0/16", "via", `${range}.1`);
  }

  /** A node's pod: the cluster interface, then each annotation entry through Multus's delegates. */
  function addPod(pod: string, node: keyof typeof NODES, host: number, selections: readonly Selection[]) {
    clusterPod(pod, node, host);
    results.set(
      pod,
      selections.map((s, k) => cniAdd(lab, node, pod, `net${k + 1}`, configs[s.name]!, s, { namespace: "dmz", name: pod })),
    );
  }

  before(async () => {
    const run = await planOfSections(lanWithWeb(), "lan");
    const nads = run.resources.find((r) => r.name === "site-multus-networks")!.inputs.objs as { metadata: { name: string }; spec: { config: string } }[];
    configs = Object.fromEntries(nads.map((n) => [n.metadata.name, JSON.parse(n.spec.config) as Record<string, unknown>]));
    const annotations = run.outputs.multusAnnotations as Record<string, string>;
    lab = new Lab();
    for (const name of ["lan", "vlan20", "vlan30"]) lab.addSwitch(name);
    lab.addNamespace("fw", { forwarding: true });
    lab.plug("vlan20", { ns: "fw", ifname: "dmz20", addresses: ["192.168.20.1/24"] });
    lab.plug("vlan30", { ns: "fw", ifname: "dmz30", addresses: ["192.168.30.1/24"] });
    lab.addNamespace("client");
    lab.link({ ns: "fw", ifname: "wan", addresses: ["203.0.113.1/24"] }, { ns: "client", ifname: "eth0", addresses: [`${CLIENT}/24`] });
    lab.ip("client", "route", "add", "default", "via", "203.0.113.1");
    for (const [node, n] of Object.entries(NODES)) {
      lab.addNamespace(node, { forwarding: true });
      lab.plug("lan", { ns: node, ifname: "eno1", addresses: [n.lan] });
      lab.plug("vlan20", { ns: node, ifname: "eno1.20" }); // the VLAN interfaces carry no address: only the pods' macvlans do
      lab.plug("vlan30", { ns: node, ifname: "eno1.30" });
      lab.ip(node, "link", "add", "cni0", "type", "bridge");
      lab.addAddresses(node, "cni0", [`${n.podRange}.1/24`]);
      lab.ip(node, "link", "set", "cni0", "up");
      lab.ip(node, "route", "add", n.other.range, "via", n.other.via);
      lab.addLoopback(node, [SERVICE]);
    }
    addPod("mail", "tower", 10, JSON.parse(annotations.mail!) as Selection[]);
    addPod("web", "mini-1", 10, JSON.parse(annotations.web!) as Selection[]);
    for (const pod of ["mail", "web"]) servers.push(await serve(lab, pod, 25));
    servers.push(await serve(lab, "client", 8080));
  }, { timeout: 60_000 }); // the suite's timeout does not bound its hooks

  after(() => {
    for (const s of servers) s.kill("SIGKILL");
    lab?.destroy();
  });

  it("attaches each pod as the annotation says: net1 on dmz-in, net2 on dmz-out, with the app's addresses", () => {
    assert.deepEqual(
      results.get("mail")!.map((r) => r.ips!.map((i) => i.address)),
      [["192.168.20.25/24"], ["192.168.30.25/24"]],
    );
    // sbr: one rule per DMZ address, its routes in the first free table from 100 (shown in docs/home-lan.md).
    assert.match(lab.ip("mail", "-4", "rule", "show"), /^32764:\tfrom 192\.168\.30\.25 lookup 101\n32765:\tfrom 192\.168\.20\.25 lookup 100\n/m);
    assert.equal(lab.ip("mail", "-4", "route", "show", "table", "100"), "default via 192.168.20.1 dev net1 \n192.168.20.0/24 dev net1 proto kernel scope link src 192.168.20.25 \n");
    const first = lab.routes("mail", 4).find((r) => r.dst === "default");
    assert.deepEqual([first?.gateway, first?.dev], ["10.42.0.1", "eth0"], "the cluster network keeps the pod's default route");
  });

  it("answers a connection that arrives on the DMZ address through the DMZ interface", () => {
    const delta = counters(lab, "mail", ["eth0", "net1", "net2"]);
    assert.equal(connect(lab, "client", "192.168.20.25", 25), CLIENT, "the internet's connection is answered, unNATed");
    const d = delta();
    assert.ok(d.net1! >= 2, `answers left through net1 (dmz-in): ${JSON.stringify(d)}`);
    assert.equal(d.eth0, 0, `nothing left through the cluster interface: ${JSON.stringify(d)}`);
    assert.match(lab.ip("mail", "route", "get", CLIENT, "from", "192.168.20.25"), /via 192\.168\.20\.1 dev net1 table 10\d/);
  });

  it("sends traffic to pods and Services through the cluster interface", () => {
    const delta = counters(lab, "mail", ["eth0", "net1", "net2"]);
    assert.ok(lab.ping("mail", { to: SERVICE }), "a Service address, as the node's kube-proxy takes it");
    assert.ok(lab.ping("mail", { to: "10.42.1.10" }), "the pod on the other node");
    const d = delta();
    assert.ok(d.eth0! >= 2, JSON.stringify(d));
    assert.deepEqual([d.net1, d.net2], [0, 0], JSON.stringify(d));
    assert.match(lab.ip("mail", "route", "get", SERVICE), /dev eth0/);
  });

  it("sends dmz-out egress (from the app's dmz-out address) through the DMZ", () => {
    const delta = counters(lab, "mail", ["eth0", "net1", "net2"]);
    assert.equal(connect(lab, "mail", CLIENT, 8080, "192.168.30.25"), "192.168.30.25");
    const d = delta();
    assert.ok(d.net2! >= 2, JSON.stringify(d));
    assert.deepEqual([d.eth0, d.net1], [0, 0], JSON.stringify(d));
  });

  it("gives the pods on the two nodes their own DMZ addresses, each answered on its own", () => {
    const addresses = [...results.values()].flatMap((r) => r.flatMap((x) => x.ips!.map((i) => i.address)));
    assert.deepEqual(addresses, ["192.168.20.25/24", "192.168.30.25/24", "192.168.20.26/24", "192.168.30.26/24"]);
    assert.equal(new Set(addresses).size, addresses.length);
    assert.equal(connect(lab, "client", "192.168.20.26", 25), CLIENT, "web on mini-1");
    assert.equal(connect(lab, "client", "192.168.20.25", 25), CLIENT, "mail on tower, still");
  });

  it("without sbr (the NAD as it was), the DMZ's default route goes first and takes the pod's Service traffic", async () => {
    // ConfigureIface adds the route with NLM_F_CREATE alone, a prepend: see src/multus/networks.ts.
    const plain = (configs["dmz-in"]!.plugins as Record<string, unknown>[])[0]!;
    clusterPod("old", "tower", 11);
    cniAdd(lab, "tower", "old", "net1", { ...plain, name: "dmz-in", cniVersion: configs["dmz-in"]!.cniVersion }, { name: "dmz-in", ips: ["192.168.20.27/24"] }, { namespace: "dmz", name: "old" });
    assert.match(lab.ip("old", "-4", "route", "show", "default"), /^default via 192\.168\.20\.1 dev net1 \ndefault via 10\.42\.0\.1 dev eth0/);
    const delta = counters(lab, "old", ["eth0", "net1"]);
    assert.equal(lab.ping("old", { to: SERVICE, timeoutS: 1 }), false, "a Service address is sent into the DMZ, whose router drops it");
    const d = delta();
    assert.ok(d.net1! >= 1 && d.eth0 === 0, `the Service packet left through net1: ${JSON.stringify(d)}`);
  });

  it("host-local (refused on this site) hands the same address to a pod on each node", () => {
    const raw = exampleSections("lan");
    raw.networks[1].ipam = { type: "host-local", ranges: [{ subnet: "192.168.30.0/24", rangeStart: "192.168.30.100", gateway: "192.168.30.1" }] };
    raw.networkPolicies.apps.find((a: { name: string }) => a.name === "mail").networks[1] = { name: "dmz-out" };
    assert.match(problemsOf(raw).join("\n"), /^networks\[1\]\.ipam\.type host-local keeps its allocations on each node/m);
    raw.site.hosts = raw.site.hosts.slice(0, 1);
    const conf = cniConfig(parse1(raw).networks[1]!);
    const got = (["tower", "mini-1"] as const).map((node) => {
      const ipam = { ...(conf.ipam as Record<string, unknown>), dataDir: `${lab.dir}/host-local-${node}` };
      return cniAddOne(lab, node, node, "probe", { cniVersion: conf.cniVersion, name: conf.name, ipam, type: "host-local" }, { namespace: "dmz", name: node }).ips![0]!.address;
    });
    assert.deepEqual(got, ["192.168.30.100/24", "192.168.30.100/24"]);
  });
});
