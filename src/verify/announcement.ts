/** Whether and how the edge check proves nginx's LoadBalancer address is announced on the LAN (EDGE_ANNOUNCE_JOB). */
import { cniOf, ingressOf } from "../concerns/registry";
import { isHetzner, type SiteConfig } from "../config/site";
import { hasLoadBalancerService } from "../ingress/nginx/nginx";
import { metallbOf, nginxAddressOf } from "../lb/metallb/metallb";
import { containsIp, formatIp, parseCidr, parseIp } from "../net/cidr";

/** Who announces nginx's LoadBalancer address on the LAN, for the announcement check (EDGE_ANNOUNCE_JOB). */
export interface Announcement {
  readonly service: string;
  readonly announcer: "cilium" | "metallb";
  /** Cilium: the Lease whose holder announces (kube-system/cilium-l2announce-<namespace>-<name>). */
  readonly lease: string;
  /** On a site of several L2 segments: the one the address is on, where the probing pods must run. */
  readonly segment?: string;
}

/**
 * Whether and how the announcement of nginx's LoadBalancer address can be checked; undefined on a site without one.
 * - Cilium L2 announcements: the agent that holds the Lease `cilium-l2announce-<namespace>-<name>` in its own
 *   namespace (kube-system here) answers ARP and NDP for the address (cilium/cilium pkg/l2announcer/l2announcer.go;
 *   not read at the pinned v1.19.6 here, the name is the one operators' tools read).
 * - MetalLB L2: the speaker named in the ServiceL2Status's status.node answers (metallb.io/v1beta1
 *   ServiceL2Status, upstream/metallb/crds.yaml at v0.16.1: status.node, serviceName, serviceNamespace).
 * Where the check cannot be truthful it says why, and the plan summary and docs/checks.md say so too.
 */
export function announcementOf(config: SiteConfig): Announcement | { readonly skip: string } | undefined {
  if (!hasLoadBalancerService(config)) return undefined;
  const service = ingressOf(config).edge.loadBalancerService;
  const lease = `cilium-l2announce-${service.replace("/", "-")}`;
  const metallb = metallbOf(config);
  if (metallb) {
    const address = nginxAddressOf(metallb);
    const pools = metallb.pools.filter((p) => address === undefined || p.addresses.some((a) => inPoolEntry(address, a)));
    if (pools.every((p) => p.advertise === "bgp")) {
      return { skip: "MetalLB announces nginx's address over BGP: no check here reads the routers' tables (check them on the routers)" };
    }
  } else if (!config.cni.cilium.l2Announcements) {
    return { skip: "cni.cilium.l2Announcements is unset: Cilium does not announce nginx's address on the LAN, the network routes it (check the router)" };
  }
  // A CNI may not let a node's probe see the announcement truthfully (its traits say why).
  const cniSkip = cniOf(config).traits.announcementProbeSkip(config);
  if (cniSkip !== undefined) return { skip: cniSkip };
  if (config.nodes.length < 2) {
    return { skip: "the site has one node: no other node's host network to see the announcement from (the Service address check still runs, inside the cluster)" };
  }
  // An ARP or NDP reply crosses no router: on a site of several segments the probes run in the address's segment.
  const segments = isHetzner(config.site) ? [] : config.site.segments;
  if (segments.length > 1) {
    const entry = metallb ? (nginxAddressOf(metallb) ?? metallb.pools[0]!.addresses[0]!) : config.cni.cilium.loadBalancerPools[0]!;
    const address = firstAddressOf(entry);
    const segment = segments.find((g) => [g.cidr, g.cidrV6].some((c) => c !== undefined && inPoolEntry(address, c)));
    if (!segment) {
      return { skip: `nginx's address (from ${entry}) is in none of site.segments: no node is on its LAN to see the announcement from` };
    }
    if (config.nodes.filter((n) => n.segment === segment.name).length < 2) {
      return { skip: `segment ${segment.name}, where nginx's address is announced, has one node: no other node there to see the announcement from` };
    }
    return { service, announcer: metallb ? "metallb" : "cilium", lease, segment: segment.name };
  }
  return { service, announcer: metallb ? "metallb" : "cilium", lease };
}

/** The first address of a pool entry (a CIDR, a first-last range, or an address). */
function firstAddressOf(entry: string): string {
  if (entry.includes("-")) return entry.split("-")[0]!.trim();
  const cidr = parseCidr(entry);
  return cidr ? formatIp({ version: cidr.version, value: cidr.network }) : entry;
}

/** Whether `address` is in a MetalLB pool entry: a CIDR, or a first-last range. */
function inPoolEntry(address: string, entry: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  const [first, last] = entry.split("-").map((a) => parseIp(a.trim()));
  if (first && last) return first.version === ip.version && first.value <= ip.value && ip.value <= last.value;
  const cidr = parseCidr(entry);
  return cidr !== undefined && cidr.version === ip.version && containsIp(cidr, ip);
}
