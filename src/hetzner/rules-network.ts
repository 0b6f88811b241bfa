/**
 * Rules for a Hetzner site's addresses: the private network Hetzner accepts, a NAT gateway that is not an address
 * the site uses, and operator addresses that neither open the site to the world nor miss it.
 */
import { addressAt, checkedCidr, type Cidr, containsCidr, containsIp, formatIp, type IpVersion, parseCidr, parseIp, sizeOf } from "../net/cidr";
import { RESERVED_HOST_OFFSET } from "../net/plan";
import type { Problem } from "../config/problems";
import { isHetzner, type SiteConfig } from "../config/site";

/**
 * The ranges a Hetzner network may use, and its smallest size: the Cloud API's POST /networks, ip_range "Must be one
 * of the private IPv4 ranges of RFC1918. Minimum network size is /24." (docs.hetzner.cloud, Networks).
 */
export const HETZNER_NETWORK_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;
export const HETZNER_NETWORK_MIN_PREFIX = 24;

export function checkHetznerNetwork(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const text = config.site.network.cidr;
  const cidr = parseCidr(text);
  if (!cidr) return [];
  if (!HETZNER_NETWORK_RANGES.some((r) => containsCidr(checkedCidr(r), cidr))) {
    return [
      {
        path: "site.network.cidr",
        message:
          `${text} is not a private range: Hetzner networks must lie in ${HETZNER_NETWORK_RANGES.join(", ")} ` +
          "(RFC 1918), e.g. 10.0.0.0/16",
      },
    ];
  }
  if (cidr.prefix > HETZNER_NETWORK_MIN_PREFIX) {
    return [
      {
        path: "site.network.cidr",
        message: `${text} is smaller than Hetzner allows: a network must be a /${HETZNER_NETWORK_MIN_PREFIX} or larger, e.g. 10.0.0.0/16`,
      },
    ];
  }
  return [];
}

/**
 * The NAT gateway is another server's private address: not one Hetzner or the site already uses, nor one a pool's
 * node gets when the pool grows. (Hetzner's routes: "The gateway cannot be the first IP of the network's ip_range".)
 */
export function checkNatGatewayAddress(config: SiteConfig): Problem[] {
  const site = config.site;
  if (!isHetzner(site) || site.publicIpv4 || site.network.natGateway === undefined) return [];
  const text = site.network.natGateway;
  const ip = parseIp(text);
  const network = parseCidr(site.network.cidr);
  if (!ip || !network || !containsIp(network, ip)) return []; // checkPublicIpv4 reports it outside
  const at = (what: string, fix = "use the NAT server's own private address"): Problem[] => [
    { path: "site.network.natGateway", message: `${text} is ${what}: ${fix}` },
  ];
  if (ip.value === network.network) return at(`the network address of site.network.cidr ${site.network.cidr}`);
  if (ip.value === network.network + sizeOf(network) - 1n) {
    return at(`the broadcast address of site.network.cidr ${site.network.cidr}`);
  }
  if (ip.value === addressAt(network, 1n).value) {
    return at(`the first address of site.network.cidr, which is Hetzner's own gateway and cannot be a route's gateway`);
  }
  if (text === site.plan.loadBalancerIp) return at("the load balancer's private address");
  if (config.nodes.some((n) => n.privateIp === text)) return []; // checkPublicIpv4 names the node
  for (const subnet of site.plan.subnets) {
    const cidr = parseCidr(subnet.cidr);
    if (!cidr || !containsIp(cidr, ip)) continue;
    const offset = ip.value - cidr.network;
    if (offset >= BigInt(RESERVED_HOST_OFFSET) && offset < sizeOf(cidr) - 1n) {
      const number = Number(offset) - RESERVED_HOST_OFFSET + 1;
      return at(
        `the address node ${subnet.pool}-${number} of pool ${subnet.pool} gets (its subnet ${subnet.cidr} gives nodes ` +
          `the addresses from its ${RESERVED_HOST_OFFSET}th on)`,
        `put the NAT server outside the pools' subnets, e.g. ${formatIp(addressAt(checkedCidr(site.plan.edgeSubnet), 2n))}`,
      );
    }
  }
  return [];
}

/** The merged intervals of the ranges of one family: sorted, disjoint [start, end] pairs. */
function coverage(cidrs: readonly Cidr[]): [bigint, bigint][] {
  const intervals = cidrs
    .map((c): [bigint, bigint] => [c.network, c.network + sizeOf(c) - 1n])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [start, end] of intervals) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1] + 1n) last[1] = end > last[1] ? end : last[1];
    else merged.push([start, end]);
  }
  return merged;
}

/** True when the ranges together hold every address of the family: 0.0.0.0/0 however it is split. */
export function coversWholeFamily(cidrs: readonly Cidr[], version: IpVersion): boolean {
  const merged = coverage(cidrs.filter((c) => c.version === version));
  const top = (1n << BigInt(version === 4 ? 32 : 128)) - 1n;
  return merged.length === 1 && merged[0]![0] === 0n && merged[0]![1] === top;
}

/**
 * SSH and the Kubernetes API are open to the whole internet only on purpose, however the world is written; and the
 * operators can reach the nodes at all: without a public IPv4 the nodes have only their public IPv6.
 */
export function checkOperatorAddresses(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const site = config.site;
  const parsed = site.operatorCidrs.map((text, i) => ({ text, i, cidr: parseCidr(text) }));
  const cidrs = parsed.flatMap((p) => (p.cidr ? [p.cidr] : []));
  const problems: Problem[] = [];
  if (!site.allowWorld) {
    const open = " SSH and the Kubernetes API to the whole internet: list your own addresses (e.g. 203.0.113.7/32), or set " +
      "site.allowWorld: true if you really mean it";
    for (const e of parsed) {
      if (e.cidr?.prefix === 0) problems.push({ path: `site.operatorCidrs[${e.i}]`, message: `${e.text} opens${open}` });
    }
    for (const version of [4, 6] as const) {
      const entries = parsed.filter((p) => p.cidr?.version === version);
      if (!coversWholeFamily(cidrs, version) || entries.some((e) => e.cidr?.prefix === 0)) continue;
      problems.push({
        path: "site.operatorCidrs",
        message:
          `${entries.map((e) => e.text).join(", ")} together cover every IPv${version} address, like ` +
          `${version === 4 ? "0.0.0.0/0" : "::/0"}: they open${open}`,
      });
    }
  }
  if (!site.publicIpv4 && cidrs.length > 0 && cidrs.every((c) => c.version === 4)) {
    problems.push({
      path: "site.operatorCidrs",
      message:
        `lists only IPv4 addresses (${site.operatorCidrs.join(", ")}), but site.publicIpv4 is false: the nodes have ` +
        "no public IPv4, so SSH reaches them over IPv6 only and nobody listed could. Add your IPv6 prefix " +
        "(e.g. 2001:db8:1234::/48), or set site.publicIpv4: true",
    });
  }
  return problems;
}
