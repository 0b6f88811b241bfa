/**
 * Cross-field rules of Calico's settings and of an ssh site's segments: what is refused, and why. src/config runs
 * them with the other rules.
 */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";
import { containsCidr, containsIp, formatCidr, overlaps, parseCidr, parseIp, sizeOf, type Cidr } from "../../net/cidr";
import { clusterRanges } from "../../net/ranges";
import { CALICO_MANIFEST_PINS } from "../manifest";
import { calicoOverhead } from "./manifest";

/** The AS ranges for private use (RFC 6996): 2-byte and 4-byte. */
export const PRIVATE_AS_RANGES = [
  [64512, 65534],
  [4200000000, 4294967294],
] as const;

export function isPrivateAs(as: number): boolean {
  return PRIVATE_AS_RANGES.some(([low, high]) => as >= low && as <= high);
}

export function checkCalico(config: SiteConfig): Problem[] {
  if (config.cni.plugin !== "calico") return [];
  const calico = config.cni.calico;
  const problems: Problem[] = [];
  if (config.site.kind === "hetzner") {
    problems.push({
      path: "cni.plugin",
      message:
        "calico is for ssh sites here: Hetzner's private network routes only the servers' own addresses and has no " +
        "BGP router to peer with; use canal (the default) or cilium on a hetzner site",
    });
  }
  if (calico.sha256 === undefined && CALICO_MANIFEST_PINS[calico.version] === undefined) {
    problems.push({
      path: "cni.calico.version",
      message:
        `${calico.version} has no pinned calico.yaml digest in k3s-sites (pinned: ${Object.keys(CALICO_MANIFEST_PINS).join(", ")}): ` +
        "use a pinned version, or set cni.calico.sha256 to the sha256 of that release's manifests/calico.yaml",
    });
  }
  const dual = config.k3s.ipFamilies === "dual-stack";
  const overhead = calicoOverhead(calico.encapsulation, dual ? calico.encapsulationV6 : "None");
  if (calico.mtu !== undefined && calico.mtu > calico.underlayMtu - overhead) {
    problems.push({
      path: "cni.calico.mtu",
      message:
        `${calico.mtu} does not fit cni.calico.underlayMtu ${calico.underlayMtu}: the pools' encapsulation adds ` +
        `${overhead} bytes, so pod packets can be at most ${calico.underlayMtu - overhead}; set that or less, or leave ` +
        "cni.calico.mtu unset",
    });
  }
  const blocks: [string, string | undefined, number, string][] = [
    ["k3s.clusterCidr", config.k3s.clusterCidr, calico.blockSize, "cni.calico.blockSize"],
    ...(dual ? [["k3s.clusterCidrV6", config.k3s.clusterCidrV6, calico.blockSizeV6, "cni.calico.blockSizeV6"] as [string, string | undefined, number, string]] : []),
  ];
  for (const [key, text, size, sizeKey] of blocks) {
    const cidr = text === undefined ? undefined : parseCidr(text);
    if (cidr && cidr.prefix > size) {
      problems.push({
        path: sizeKey,
        message: `${size} is larger than ${key} ${text}: a node takes blocks of /${size} from the pool; set ${sizeKey} to ${cidr.prefix} or more, or widen ${key}`,
      });
    }
  }
  const as = calico.bgp.asNumber;
  const routers = config.site.kind === "ssh" ? config.site.segments.filter((s) => s.router) : [];
  // calico-node's BIRD programs an IPIP pool's routes into tunl0 towards the route's BGP next hop (confd
  // pkg/backends/calico/bgp_processor.go, extraStatementForKernelProgrammingIPIPNoEncap at v3.32.1: Always ->
  // krt_tunnel="tunl0"). A router passes another segment's routes with itself as next hop, and does not decapsulate;
  // within its segment it keeps the node's own address (FRR and BIRD both keep a third-party next hop between peers
  // on one interface; the lab asserts it), so one segment is refused for gaining nothing, not for failing.
  if (routers.length > 0 && calico.encapsulation === "IPIP") {
    const several = config.site.kind === "ssh" && config.site.segments.length > 1;
    problems.push({
      path: "cni.calico.encapsulation",
      message: several
        ? "IPIP does not work between site.segments: calico-node tunnels pod packets to each route's BGP next hop, and a router " +
          "passes the routes of other segments with itself as next hop, and does not decapsulate IPIP; use None " +
          "(the routers carry the pod routes) or VXLANCrossSubnet (VXLAN to the other node itself)"
        : "IPIP is not supported with a site.segments router: on one segment the router passes each node's routes with " +
          "the node itself as next hop, so IPIP would add 20 bytes to every pod packet and cross nothing the router does " +
          "not already route, and k3s-sites has not seen it carry traffic; use None (the router carries the pod routes) " +
          "or VXLANCrossSubnet",
    });
  }
  // A segment's IPv6 goes through its router: calicoBgpPeers makes an IPv6 BGPPeer only for a router's addressV6, so
  // without it the segment's nodes announce their IPv6 blocks and Service ranges to no one. Unencapsulated, no IPv6
  // pod route crosses; with VXLAN, IPv6 pod packets to other segments travel between the nodes' own IPv6 addresses
  // (Felix's IPv6 VTEPs: felix/dataplane/linux/vxlan_mgr.go at v3.32.1 points each at ParentDeviceIpv6), which the
  // router must route.
  if (dual && config.site.kind === "ssh") {
    const { segments, hosts } = config.site;
    const several = segments.length > 1;
    segments.forEach((segment, i) => {
      if (!segment.router || segment.router.addressV6 !== undefined) return;
      const members = hosts.filter((h) => (h.segment ?? (segments.length === 1 ? segment.name : undefined)) === segment.name);
      if (members.length === 0) return;
      const names = members.map((h) => h.name).join(", ");
      const why =
        calico.encapsulationV6 === "None"
          ? `cni.calico.encapsulationV6 is None, so IPv6 pod routes travel over IPv6 BGP sessions with the router, and without its IPv6 address ${names} would neither announce nor learn any`
          : `without an IPv6 address on the router ${names} have no IPv6 BGP session: no router learns the IPv6 Service ranges` +
            (several
              ? `, and cni.calico.encapsulationV6 ${calico.encapsulationV6} sends IPv6 pod packets to other segments inside IPv6 packets between the nodes' own addresses, which this router does not route`
              : "");
      problems.push({
        path: `site.segments[${i}].router.addressV6`,
        message:
          `is required: k3s.ipFamilies is dual-stack and ${why}; set the router's IPv6 address` +
          (segment.cidrV6 ? ` in ${segment.cidrV6}` : ", with the segment's cidrV6") +
          " (a dual-stack site needs IPv6 routed by every router that has nodes, whatever cni.calico.encapsulationV6 is)",
      });
    });
  }
  routers.forEach((segment) => {
    if (segment.router!.asNumber === as) {
      const i = config.site.kind === "ssh" ? config.site.segments.indexOf(segment) : -1;
      problems.push({
        path: `site.segments[${i}].router.asNumber`,
        message:
          `${as} is also cni.calico.bgp.asNumber: the sessions would be iBGP, and a router passes no iBGP route from ` +
          `one node to another unless it is a route reflector; give the router its own private AS, e.g. ${as === 65001 ? 65002 : 65001}`,
      });
    }
  });
  return problems;
}

/** Everything an ssh site's segments must satisfy. */
export function checkSegments(config: SiteConfig): Problem[] {
  if (config.site.kind !== "ssh") return [];
  const { segments, hosts } = config.site;
  if (segments.length === 0) return [];
  const problems: Problem[] = [];
  const at = (i: number) => `site.segments[${i}]`;
  if (config.cni.plugin !== "calico") {
    problems.push({
      path: "site.segments",
      message: `are set but cni.plugin is ${config.cni.plugin}, which peers with no router: set cni.plugin: calico (only on a new site), or remove site.segments`,
    });
  }
  const network = parseCidr(config.site.network.cidr);
  // Segments lie inside the node network (checked here too), so only pods' and Services' ranges can clash.
  const ranges = clusterRanges(config).filter((r) => r.kind !== "nodes");
  const seen = new Map<string, number>();
  const parsed: { v4?: Cidr; v6?: Cidr }[] = [];
  segments.forEach((segment, i) => {
    const first = seen.get(segment.name);
    if (first !== undefined) {
      problems.push({ path: `${at(i)}.name`, message: `"${segment.name}" is also the name of ${at(first)}: segment names must be unique` });
    } else seen.set(segment.name, i);
    const v4 = parseCidr(segment.cidr);
    const v6 = segment.cidrV6 === undefined ? undefined : parseCidr(segment.cidrV6);
    parsed.push({ ...(v4 ? { v4 } : {}), ...(v6 ? { v6 } : {}) });
    if (v4 && network && !containsCidr(network, v4)) {
      problems.push({
        path: `${at(i)}.cidr`,
        message: `${segment.cidr} is outside site.network.cidr ${config.site.network.cidr}: site.network.cidr is the range that holds every segment; widen it, e.g. to a /16 around the segments`,
      });
    }
    for (const { path: key, text, cidr: range } of ranges) {
      for (const [field, own] of [["cidr", v4], ["cidrV6", v6]] as const) {
        if (own && overlaps(range, own)) {
          problems.push({ path: `${at(i)}.${field}`, message: `${formatCidr(own)} overlaps ${key} ${text}: pods and Services need ranges of their own; choose disjoint ranges` });
        }
      }
    }
    parsed.slice(0, i).forEach((other, k) => {
      if (v4 && other.v4 && overlaps(v4, other.v4)) {
        problems.push({ path: `${at(i)}.cidr`, message: `${segment.cidr} overlaps ${at(k)}.cidr ${segments[k]!.cidr}: segments are separate networks; choose disjoint ranges` });
      }
      if (v6 && other.v6 && overlaps(v6, other.v6)) {
        problems.push({ path: `${at(i)}.cidrV6`, message: `${segment.cidrV6} overlaps ${at(k)}.cidrV6 ${segments[k]!.cidrV6}: choose disjoint prefixes` });
      }
    });
    const router = segment.router;
    if (router) {
      const ip = parseIp(router.address);
      if (ip && v4 && !containsIp(v4, ip)) {
        problems.push({ path: `${at(i)}.router.address`, message: `${router.address} is outside the segment's cidr ${segment.cidr}: the nodes peer with the router on their own network; use its address there` });
      } else if (ip && v4 && v4.prefix < 31 && (ip.value === v4.network || ip.value === v4.network + sizeOf(v4) - 1n)) {
        problems.push({ path: `${at(i)}.router.address`, message: `${router.address} is the network or broadcast address of ${segment.cidr}: use the router's own address` });
      }
      const host = hosts.find((h) => h.privateIp === router.address);
      if (host) {
        problems.push({ path: `${at(i)}.router.address`, message: `${router.address} is host ${host.name}'s address: use the router's own address (a node does not peer with itself)` });
      }
      if (router.addressV6 !== undefined) {
        const ip6 = parseIp(router.addressV6);
        if (!v6) {
          problems.push({ path: `${at(i)}.router.addressV6`, message: `is set but ${at(i)}.cidrV6 is not: declare the segment's IPv6 prefix, e.g. 2001:db8:1::/64` });
        } else if (ip6 && !containsIp(v6, ip6)) {
          problems.push({ path: `${at(i)}.router.addressV6`, message: `${router.addressV6} is outside the segment's cidrV6 ${segment.cidrV6}: use the router's address in that prefix` });
        }
      }
    }
  });

  // Hosts: each on a declared segment, inside its range.
  hosts.forEach((host, i) => {
    const name = host.segment ?? (segments.length === 1 ? segments[0]!.name : undefined);
    if (name === undefined) {
      problems.push({
        path: `site.hosts[${i}].segment`,
        message: `is required when site.segments lists several segments: name the one ${host.name} is on (${segments.map((s) => s.name).join(", ")})`,
      });
      return;
    }
    const k = segments.findIndex((s) => s.name === name);
    if (k < 0) {
      problems.push({
        path: `site.hosts[${i}].segment`,
        message: `"${name}" is not in site.segments (${segments.map((s) => s.name).join(", ")}): fix the name, or declare the segment`,
      });
      return;
    }
    const ip = parseIp(host.privateIp);
    const own = parsed[k]!;
    if (ip && own.v4 && !containsIp(own.v4, ip)) {
      problems.push({
        path: `site.hosts[${i}].privateIp`,
        message: `${host.privateIp} is outside ${at(k)}.cidr ${segments[k]!.cidr} (segment ${name}): use the host's address on that segment, or fix site.hosts[${i}].segment`,
      });
    }
    const ip6 = host.privateIpv6 === undefined ? undefined : parseIp(host.privateIpv6);
    if (ip6 && own.v6 && !containsIp(own.v6, ip6)) {
      problems.push({
        path: `site.hosts[${i}].privateIpv6`,
        message: `${host.privateIpv6} is outside ${at(k)}.cidrV6 ${segments[k]!.cidrV6} (segment ${name}): use the host's IPv6 address on that segment`,
      });
    }
  });

  // With one router the node-to-node mesh is off, so a segment without one would have nodes nobody routes to.
  if (segments.some((s) => s.router)) {
    segments.forEach((segment, i) => {
      if (segment.router) return;
      const members = hosts.filter((h) => (h.segment ?? (segments.length === 1 ? segments[0]!.name : undefined)) === segment.name);
      if (members.length === 0) return;
      problems.push({
        path: `${at(i)}.router`,
        message:
          `is required: other segments have routers, so the node-to-node mesh is off, and nothing would route to the pods of ` +
          `${members.map((h) => h.name).join(", ")}; declare the segment's router {address, asNumber}`,
      });
    });
  }
  return problems;
}
