import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProgramRun, RecordedResource } from "../../../plan/engine";
import { LOAD_BALANCER_BOX, nodeBoxId, portLine, siteDiagram, type Box } from "../../../plan/diagram/model";
import { parseSiteConfig } from "../../../src/config/load";
import { exampleSections } from "../../helpers";

/** A run with just what the diagram reads: the stack outputs and the Kubernetes objects. */
function runOf(outputs: Record<string, unknown>, objects: Record<string, unknown>[] = []): ProgramRun {
  const resources = objects.map(
    (o, i): RecordedResource => ({
      urn: `kubernetes:x::o${i}`,
      type: `kubernetes:v1:${String(o.kind)}`,
      name: `o${i}`,
      custom: true,
      dependsOn: [],
      inputs: o,
      rawInputs: o,
    }),
  );
  return { project: "k3s-sites", stack: "test", resources, outputs, outputDependencies: {}, messages: [] };
}

function find(boxes: readonly Box[], id: string): Box | undefined {
  for (const box of boxes) {
    if (box.id === id) return box;
    const inside = find(box.children, id);
    if (inside) return inside;
  }
  return undefined;
}

const homeNodes = [
  { name: "nuc", role: "server", arch: "amd64", privateIp: "192.168.1.10" },
  { name: "pi-1", role: "agent", arch: "arm64", privateIp: "192.168.1.21" },
  { name: "pi-2", role: "agent", arch: "arm64", privateIp: "192.168.1.22" },
];

describe("the site diagram's model", () => {
  it("puts Hetzner nodes in their pool's subnet and labels the made-up public addresses", () => {
    const config = parseSiteConfig(exampleSections("prod"), "prod");
    const run = runOf({
      nodes: [
        { name: "control-1", role: "server", arch: "amd64", privateIp: "10.0.116.10", publicIpv4: "198.51.100.7" },
        { name: "worker-1", role: "agent", arch: "amd64", privateIp: "10.0.243.10", publicIpv4: "198.51.100.8" },
      ],
      loadBalancer: {
        ipv4: "198.51.100.9",
        ipv6: "2001:db8:1::1",
        privateIp: "10.0.0.10",
        ports: [{ name: "smtp", listenPort: 25, destinationPort: 2525, proxyProtocol: true }],
      },
    });
    const diagram = siteDiagram(run, config);
    const control = find(diagram.boxes, "subnet-control");
    assert.equal(control?.title, "pool control 10.0.116.0/24");
    assert.deepEqual(control?.children.map((c) => c.id), [nodeBoxId("control-1")]);
    assert.deepEqual(find(diagram.boxes, nodeBoxId("control-1"))?.lines, [
      "server · amd64 · cpx22",
      "10.0.116.10",
      "public 198.51.100.7 (placeholder)",
    ]);
    const lb = find(diagram.boxes, LOAD_BALANCER_BOX);
    assert.ok(lb?.lines.includes("198.51.100.9 (placeholder)"));
    assert.ok(lb?.lines.includes("25 -> 2525 smtp, PROXY"));
    assert.ok(diagram.links.some((l) => l.from === "internet" && l.to === LOAD_BALANCER_BOX && l.label === "ports 25"));
    assert.match(diagram.notes[0] ?? "", /^placeholder: /);
  });

  it("shows a home site's LoadBalancer Service ports and address pools, and the jump host", () => {
    const config = parseSiteConfig(exampleSections("home"), "home");
    const run = runOf({ nodes: homeNodes }, [
      { kind: "CiliumLoadBalancerIPPool", metadata: { name: "k3s-sites" }, spec: { blocks: [{ cidr: "192.168.1.240/28" }] } },
      {
        kind: "Service",
        metadata: { name: "nginx-ingress", namespace: "nginx-ingress" },
        spec: { type: "LoadBalancer", ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "https", port: 443 }] },
      },
      { kind: "Service", metadata: { name: "internal" }, spec: { type: "ClusterIP", ports: [{ port: 9000 }] } },
    ]);
    const diagram = siteDiagram(run, config);
    assert.deepEqual(find(diagram.boxes, LOAD_BALANCER_BOX)?.lines, [
      "Cilium LB-IPAM pool: 192.168.1.240/28",
      "nginx-ingress at the first free pool address",
      "80 -> 80 http",
      "443 -> 443 https",
    ]);
    assert.ok(find(diagram.boxes, nodeBoxId("pi-2"))?.lines.includes("ssh pi@192.168.1.22 via admin@nuc.lan"));
    assert.equal(find(diagram.boxes, "network")?.title, "home LAN 192.168.1.0/24");
    assert.deepEqual(diagram.notes, []);
  });

  it("says nginx listens on every node when no LoadBalancer Service exists", () => {
    const config = parseSiteConfig(exampleSections("home"), "home");
    const diagram = siteDiagram(runOf({ nodes: homeNodes }), config);
    assert.equal(find(diagram.boxes, LOAD_BALANCER_BOX), undefined);
    assert.ok(find(diagram.boxes, "cluster")?.lines.includes("nginx on every node: hostPorts 80, 443"));
  });

  it("draws each Calico segment with its router, linked to the segment's nodes", () => {
    const config = parseSiteConfig(exampleSections("multisite"), "multisite");
    const nodes = [
      { name: "nuc", role: "server", arch: "amd64", privateIp: "10.20.1.10" },
      { name: "pi", role: "agent", arch: "arm64", privateIp: "10.20.1.21" },
      { name: "mini", role: "agent", arch: "amd64", privateIp: "10.20.2.10" },
      { name: "vps-1", role: "agent", arch: "amd64", privateIp: "10.20.3.10" },
    ];
    const diagram = siteDiagram(runOf({ nodes }), config);
    const homeA = find(diagram.boxes, "segment-home-a");
    assert.deepEqual(homeA?.children.map((c) => c.id), ["router-home-a", nodeBoxId("nuc"), nodeBoxId("pi")]);
    assert.equal(find(diagram.boxes, "router-home-b")?.title, "router 10.20.2.1");
    assert.deepEqual(
      diagram.links.filter((l) => l.to === "router-home-a").map((l) => l.from),
      [nodeBoxId("nuc"), nodeBoxId("pi")],
    );
  });

  it("draws the routers MetalLB announces its pools to over BGP", () => {
    const sections = exampleSections("lan");
    sections.site.loadBalancer.metallb.bgp = { asn: 64512, peers: [{ name: "edge", address: "192.168.10.1", asn: 64513 }] };
    sections.site.loadBalancer.metallb.pools[0] = { name: "lan", addresses: ["192.168.10.240/28"], advertise: "bgp" };
    const config = parseSiteConfig(sections, "lan");
    const diagram = siteDiagram(runOf({ nodes: homeNodes.slice(0, 1) }, [
      { kind: "IPAddressPool", metadata: { name: "lan" }, spec: { addresses: ["192.168.10.240/28"] } },
    ]), config);
    assert.deepEqual(find(diagram.boxes, "router-edge")?.lines, ["AS 64513, MetalLB's BGP peer edge"]);
    assert.ok(find(diagram.boxes, "network")?.children.some((c) => c.id === "router-edge"));
    assert.ok(diagram.links.some((l) => l.from === LOAD_BALANCER_BOX && l.to === "router-edge" && l.label === "BGP from AS 64512"));
  });

  it("writes a port as listen -> destination, name and PROXY", () => {
    assert.equal(portLine({ listenPort: 443, destinationPort: 443, name: "https", proxyProtocol: true }), "443 -> 443 https, PROXY");
    assert.equal(portLine({ listenPort: 8080, destinationPort: 80 }), "8080 -> 80");
  });
});
