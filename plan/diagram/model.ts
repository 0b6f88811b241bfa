/**
 * What the site diagram shows, from one offline run and the site's parsed config: the nodes inside their networks
 * (Hetzner private network and pool subnets, the home LAN, Calico segments with their routers), the load balancer
 * with its ports, the CNI and the ingress. Plain data in, plain data out; the layout and the SVG are elsewhere.
 */
import type { SiteConfig } from "../../src/config/site";
import type { ProgramRun } from "../engine";
import { cniOf, ingressOf } from "../../src/concerns/registry";
import { manifestsOf } from "../render";

export type BoxKind = "internet" | "network" | "subnet" | "node" | "loadBalancer" | "router" | "cluster";

export interface Box {
  readonly id: string;
  readonly kind: BoxKind;
  readonly title: string;
  /** One line each, under the title. */
  readonly lines: readonly string[];
  /** Boxes drawn inside this one. */
  readonly children: readonly Box[];
}

export interface Link {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
}

export interface SiteDiagram {
  readonly title: string;
  readonly boxes: readonly Box[];
  readonly links: readonly Link[];
  /** Said under the drawing: what the addresses marked "placeholder" are. */
  readonly notes: readonly string[];
}

/** One port of the load balancer, as the diagram writes it: `443 -> 443 https, PROXY`. */
export interface DiagramPort {
  readonly listenPort: number;
  readonly destinationPort: number;
  readonly name?: string;
  readonly proxyProtocol?: boolean;
}

export function portLine(p: DiagramPort): string {
  return `${p.listenPort} -> ${p.destinationPort}${p.name ? ` ${p.name}` : ""}${p.proxyProtocol ? ", PROXY" : ""}`;
}

/** The node's box id: a contract with the test that finds each node in the SVG. */
export const nodeBoxId = (name: string): string => `node-${name}`;
export const LOAD_BALANCER_BOX = "load-balancer";

interface OutputNode {
  readonly name: string;
  readonly role: string;
  readonly arch: string;
  readonly privateIp: string;
  readonly publicIpv4?: string;
  readonly publicIpv6?: string;
}

interface OutputLoadBalancer {
  readonly ipv4: string;
  readonly ipv6: string;
  readonly privateIp: string;
  readonly ports: readonly DiagramPort[];
}

const PLACEHOLDER = " (placeholder)";

/**
 * The load balancer's ports on a home site: the ports of the LoadBalancer Services of the plan's objects (nginx's)
 * and of its charts' (Traefik's), with the address each asked for.
 */
function serviceLoadBalancers(objects: readonly Record<string, unknown>[]): { name: string; address?: string; ports: DiagramPort[] }[] {
  return objects
    .filter((o) => o.kind === "Service" && (o.spec as { type?: string } | undefined)?.type === "LoadBalancer")
    .map((o) => {
      const metadata = o.metadata as { name: string; namespace?: string; annotations?: Record<string, string> };
      const spec = o.spec as { loadBalancerIP?: string; ports?: { name?: string; port: number; targetPort?: unknown }[] };
      const address = metadata.annotations?.["metallb.io/loadBalancerIPs"] ?? spec.loadBalancerIP;
      return {
        name: metadata.name,
        ...(address ? { address } : {}),
        ports: (spec.ports ?? []).map((p) => ({
          listenPort: p.port,
          destinationPort: typeof p.targetPort === "number" ? p.targetPort : p.port,
          ...(p.name ? { name: p.name } : {}),
        })),
      };
    });
}

/** Address pools for LoadBalancer Services: MetalLB's IPAddressPools and Cilium's LB-IPAM pools. */
function addressPools(run: ProgramRun): string[] {
  const lines: string[] = [];
  for (const o of manifestsOf(run)) {
    const spec = o.spec as Record<string, unknown> | undefined;
    const name = (o.metadata as { name?: string } | undefined)?.name ?? "";
    if (o.kind === "IPAddressPool") {
      lines.push(`MetalLB pool ${name}: ${((spec?.addresses as string[] | undefined) ?? []).join(", ")}`);
    } else if (o.kind === "CiliumLoadBalancerIPPool") {
      const blocks = (spec?.blocks as { cidr?: string; start?: string; stop?: string }[] | undefined) ?? [];
      lines.push(`Cilium LB-IPAM pool: ${blocks.map((b) => b.cidr ?? `${b.start}-${b.stop}`).join(", ")}`);
    } else if (o.kind === "L2Advertisement") {
      const interfaces = (spec?.interfaces as string[] | undefined) ?? [];
      lines.push(`announced by ARP${interfaces.length ? ` on ${interfaces.join(", ")}` : ""}`);
    } else if (o.kind === "CiliumL2AnnouncementPolicy") {
      const interfaces = ((spec?.interfaces as string[] | undefined) ?? []).map((i) => i.replace(/^\^|\$$/g, ""));
      lines.push(`L2 announcements${interfaces.length ? ` on ${interfaces.join(", ")}` : ""}`);
    }
  }
  return lines;
}

function nodeBox(node: OutputNode, config: SiteConfig, hetzner: boolean): Box {
  const spec = config.nodes.find((n) => n.name === node.name);
  const lines = [
    [node.role, node.arch, spec?.hetzner?.serverType].filter(Boolean).join(" · "),
    node.privateIp + (spec?.privateIpv6 ? `, ${spec.privateIpv6}` : ""),
  ];
  if (hetzner && node.publicIpv4) lines.push(`public ${node.publicIpv4}${PLACEHOLDER}`);
  if (!hetzner && spec?.ssh) {
    const via = spec.ssh.jumpHost ? ` via ${spec.ssh.jumpHost.user}@${spec.ssh.jumpHost.address}` : "";
    if (spec.ssh.address !== node.privateIp || via) lines.push(`ssh ${spec.ssh.user}@${spec.ssh.address}${via}`);
  }
  return { id: nodeBoxId(node.name), kind: "node", title: node.name, lines, children: [] };
}

/**
 * The diagram of a planned site. `config` is the SiteConfig the run was planned from; `chartObjects` what its charts
 * render (plan/charts/plan.ts), [] when they were not rendered.
 */
export function siteDiagram(run: ProgramRun, config: SiteConfig, chartObjects: readonly Record<string, unknown>[] = []): SiteDiagram {
  const nodes = (run.outputs.nodes as OutputNode[] | undefined) ?? [];
  const site = config.site;
  const boxes: Box[] = [];
  const links: Link[] = [];
  const notes: string[] = [];
  const clusterLines = [
    `CNI: ${cniOf(config).title}`,
    `ingress: ${config.ingress.controller}${config.ingress.proxyProtocol ? " (PROXY protocol)" : ""}`,
  ];

  if (site.kind === "hetzner") {
    const plan = (site as Extract<SiteConfig["site"], { plan: unknown }>).plan;
    const lb = run.outputs.loadBalancer as OutputLoadBalancer | undefined;
    const subnets: Box[] = [];
    if (lb) {
      boxes.push({
        id: LOAD_BALANCER_BOX,
        kind: "loadBalancer",
        title: `load balancer ${site.loadBalancer.type}`,
        lines: [
          `${lb.ipv4}${PLACEHOLDER}`,
          `${lb.ipv6}${PLACEHOLDER}`,
          `private ${lb.privateIp} (edge subnet ${plan.edgeSubnet})`,
          ...lb.ports.map(portLine),
        ],
        children: [],
      });
    }
    for (const pool of site.pools) {
      const cidr = plan.subnets.find((s) => s.pool === pool.name)?.cidr ?? "";
      const members = nodes.filter((n) => config.nodes.find((s) => s.name === n.name)?.hetzner?.pool === pool.name);
      if (members.length === 0) continue;
      subnets.push({
        id: `subnet-${pool.name}`,
        kind: "subnet",
        title: `pool ${pool.name} ${cidr}`,
        lines: [],
        children: members.map((n) => nodeBox(n, config, true)),
      });
    }
    boxes.push({
      id: "network",
      kind: "network",
      title: `Hetzner private network ${site.network.cidr}`,
      lines: [`${site.location} (${site.networkZone})`],
      children: subnets,
    });
    boxes.unshift({
      id: "internet",
      kind: "internet",
      title: "internet",
      lines: [`operators: ${site.operatorCidrs.join(", ")}`],
      children: [],
    });
    if (lb) {
      links.push({ from: "internet", to: LOAD_BALANCER_BOX, label: `ports ${lb.ports.map((p) => p.listenPort).join(", ")}` });
      links.push({ from: LOAD_BALANCER_BOX, to: "network", label: "every node, over the private network" });
    }
    links.push({ from: "internet", to: "network", label: "operators: SSH 22, API 6443" });
    notes.push(
      "placeholder: a public address the offline plan made up (documentation ranges); Hetzner assigns the real one at deploy time",
    );
  } else {
    const services = serviceLoadBalancers([...manifestsOf(run), ...chartObjects]);
    const pools = addressPools(run);
    const lanChildren: Box[] = [];
    const segments = site.segments;
    if (segments.length > 0) {
      for (const segment of segments) {
        const members = nodes.filter((n) => config.nodes.find((s) => s.name === n.name)?.segment === segment.name);
        const routerId = `router-${segment.name}`;
        const children: Box[] = members.map((n) => nodeBox(n, config, false));
        if (segment.router) {
          children.unshift({
            id: routerId,
            kind: "router",
            title: `router ${segment.router.address}`,
            lines: [
              `AS ${segment.router.asNumber}${segment.router.addressV6 ? `, ${segment.router.addressV6}` : ""}`,
              "BGP with every node of the segment",
            ],
            children: [],
          });
          for (const n of members) links.push({ from: nodeBoxId(n.name), to: routerId });
        }
        lanChildren.push({
          id: `segment-${segment.name}`,
          kind: "subnet",
          title: `segment ${segment.name} ${segment.cidr}`,
          lines: segment.cidrV6 ? [segment.cidrV6] : [],
          children,
        });
      }
    } else {
      lanChildren.push(...nodes.map((n) => nodeBox(n, config, false)));
    }
    if (services.length > 0 || pools.length > 0) {
      lanChildren.push({
        id: LOAD_BALANCER_BOX,
        kind: "loadBalancer",
        title: "LoadBalancer addresses",
        lines: [
          ...pools,
          ...services.flatMap((s) => [
            `${s.name} at ${s.address ?? "the first free pool address"}`,
            ...s.ports.map(portLine),
          ]),
        ],
        children: [],
      });
    }
    // MetalLB in BGP mode: the routers it announces the pools' addresses to.
    const bgp = (site as Extract<SiteConfig["site"], { kind: "ssh" }>).loadBalancer?.metallb?.bgp;
    for (const peer of bgp?.peers ?? []) {
      lanChildren.push({
        id: `router-${peer.name}`,
        kind: "router",
        title: `router ${peer.address}`,
        lines: [`AS ${peer.asn}, MetalLB's BGP peer ${peer.name}`],
        children: [],
      });
      links.push({ from: LOAD_BALANCER_BOX, to: `router-${peer.name}`, label: `BGP from AS ${bgp!.asn}` });
    }
    for (const network of config.networks) {
      const ipam = network.ipam as { subnet?: string; ranges?: { subnet: string }[] };
      const subnets = ipam.subnet ? [ipam.subnet] : (ipam.ranges ?? []).map((r) => r.subnet);
      lanChildren.push({
        id: `multus-${network.name}`,
        kind: "subnet",
        title: `Multus ${network.name}`,
        lines: [`macvlan on ${network.master}`, ...subnets],
        children: [],
      });
    }
    boxes.push({
      id: "network",
      kind: "network",
      title: `${segments.length > 0 ? "site network" : "home LAN"} ${site.network.cidr}`,
      lines: [],
      children: lanChildren,
    });
    // Without a LoadBalancer Service, the ingress controller listens on every node's ports 80 and 443 (hostPort).
    const edge = ingressOf(config).edge;
    if (services.length === 0 && edge.hostPorts) clusterLines.push(`${edge.controller} on every node: hostPorts 80, 443`);
  }
  boxes.push({
    id: "cluster",
    kind: "cluster",
    title: `k3s ${config.k3s.version}`,
    lines: [
      ...clusterLines,
      `pods ${config.k3s.clusterCidr}, services ${config.k3s.serviceCidr}`,
      `${config.k3s.datastore}, ${config.k3s.ipFamilies}`,
    ],
    children: [],
  });
  return { title: `k3s-sites stack ${run.stack}: ${nodes.length} node${nodes.length === 1 ? "" : "s"}`, boxes, links, notes };
}
