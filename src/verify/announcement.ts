/**
 * Whether and how the edge check proves nginx's LoadBalancer address is announced on the LAN (EDGE_ANNOUNCE_JOB).
 * The concern that hands out the address says where its announcing node is read (Traits.lanAnnouncer), or why the
 * probe cannot be truthful there; the CNI may add why a node's probe cannot see it (announcementProbeSkip).
 */
import type { LanAnnouncer } from "../concerns/contract";
import { cniOf, concernsInUse, ingressOf } from "../concerns/registry";
import { isHetzner, type SiteConfig } from "../config/site";
import { hasLoadBalancerService } from "../ingress/nginx/nginx";
import { containsIp, formatIp, parseCidr, parseIp } from "../net/cidr";

/** Who announces nginx's LoadBalancer address on the LAN, for the announcement check (EDGE_ANNOUNCE_JOB). */
export interface Announcement {
  readonly service: string;
  /** Where the check reads the announcing node, from the concern that hands out the address. */
  readonly announcer: LanAnnouncer;
  /** On a site of several L2 segments: the one the address is on, where the probing pods must run. */
  readonly segment?: string;
}

/**
 * Whether and how the announcement of nginx's LoadBalancer address can be checked; undefined on a site without one.
 * Where the check cannot be truthful it says why, and the plan summary and docs/checks.md say so too.
 */
export function announcementOf(config: SiteConfig): Announcement | { readonly skip: string } | undefined {
  if (!hasLoadBalancerService(config)) return undefined;
  const service = ingressOf(config).edge.loadBalancerService;
  const announcer = concernsInUse(config)
    .filter((c) => c.loadBalancerAddresses(config))
    .map((c) => c.traits.lanAnnouncer(config, service))
    .find((a) => a !== undefined);
  if (announcer === undefined) return undefined;
  if ("skip" in announcer) return announcer;
  // A CNI may not let a node's probe see the announcement truthfully (its traits say why).
  const cniSkip = cniOf(config).traits.announcementProbeSkip(config);
  if (cniSkip !== undefined) return { skip: cniSkip };
  if (config.nodes.length < 2) {
    return { skip: "the site has one node: no other node's host network to see the announcement from (the Service address check still runs, inside the cluster)" };
  }
  // An ARP or NDP reply crosses no router: on a site of several segments the probes run in the address's segment.
  const segments = isHetzner(config.site) ? [] : config.site.segments;
  if (segments.length > 1) {
    const entry = announcer.addressEntry;
    const address = firstAddressOf(entry);
    const segment = segments.find((g) => [g.cidr, g.cidrV6].some((c) => c !== undefined && inCidr(address, c)));
    if (!segment) {
      return { skip: `nginx's address (from ${entry}) is in none of site.segments: no node is on its LAN to see the announcement from` };
    }
    if (config.nodes.filter((n) => n.segment === segment.name).length < 2) {
      return { skip: `segment ${segment.name}, where nginx's address is announced, has one node: no other node there to see the announcement from` };
    }
    return { service, announcer, segment: segment.name };
  }
  return { service, announcer };
}

/** The first address of a pool entry (a CIDR, a first-last range, or an address). */
function firstAddressOf(entry: string): string {
  if (entry.includes("-")) return entry.split("-")[0]!.trim();
  const cidr = parseCidr(entry);
  return cidr ? formatIp({ version: cidr.version, value: cidr.network }) : entry;
}

/** Whether `address` is in `cidr`. */
function inCidr(address: string, cidr: string): boolean {
  const ip = parseIp(address);
  const range = parseCidr(cidr);
  return ip !== undefined && range !== undefined && range.version === ip.version && containsIp(range, ip);
}
