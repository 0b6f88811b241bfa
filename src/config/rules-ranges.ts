/**
 * Cross-field rules on the site's ranges: pods, services, the node network and load-balancer pools are disjoint,
 * the cluster DNS address sits in the service range, and a dual-stack site has its IPv6 ranges.
 */
import { containsIp, formatCidr, overlaps, parseCidr, parseIp, suggestFreeRange, type Cidr } from "../net/cidr";
import { concernsInUse } from "../concerns/registry";
import { clusterRanges } from "../net/ranges";
import { type Problem } from "./problems";
import type { SiteConfig } from "./site";

interface NamedRange {
  readonly path: string;
  readonly cidr: Cidr;
  readonly lbPool?: boolean;
}

/**
 * Every range of the site: the cluster's (clusterRanges), then the load-balancer pools of the concerns in use
 * (Traits.addressPools). The cluster's come in families (IPv4 pods, services, IPv6, nodes); ranges of different
 * families never overlap, so which one a clash names is the same as in any other order of the list.
 */
function siteRanges(config: SiteConfig): NamedRange[] {
  const pools = concernsInUse(config)
    .flatMap((concern) => concern.traits.addressPools(config))
    .flatMap(({ path, text }): NamedRange[] => {
      const cidr = parseCidr(text);
      return cidr ? [{ path, cidr, lbPool: true }] : [];
    });
  return [...clusterRanges(config).map(({ path, cidr }) => ({ path, cidr })), ...pools];
}

/**
 * Pods, services, the node network and load-balancer pools must be disjoint, with one exception: a load-balancer
 * pool may (and with L2 announcements must) lie inside the node network, as long as it holds no node's address.
 */
export function checkDisjointRanges(config: SiteConfig): Problem[] {
  const ranges = siteRanges(config);
  const problems: Problem[] = [];
  ranges.forEach((range, i) => {
    const clash = ranges
      .slice(0, i)
      .find((other) => overlaps(other.cidr, range.cidr) && !(range.lbPool && other.path === "site.network.cidr"));
    if (!clash) return;
    const free = range.lbPool ? undefined : suggestFreeRange(range.cidr, ranges.map((r) => r.cidr));
    problems.push({
      path: range.path,
      message:
        `${formatCidr(range.cidr)} overlaps ${clash.path} ${formatCidr(clash.cidr)}: choose disjoint ranges` +
        (free ? `, e.g. ${formatCidr(free)}` : ""),
    });
  });
  return problems;
}

export function checkClusterDns(config: SiteConfig): Problem[] {
  const service = parseCidr(config.k3s.serviceCidr);
  const dns = parseIp(config.k3s.clusterDns);
  if (!service || !dns || containsIp(service, dns)) return [];
  return [
    {
      path: "k3s.clusterDns",
      message: `${config.k3s.clusterDns} is outside k3s.serviceCidr ${config.k3s.serviceCidr}: pick an address inside it, or leave clusterDns unset for the 10th address`,
    },
  ];
}

export function checkDualStack(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  const k3s = config.k3s;
  if (k3s.ipFamilies === "dual-stack") {
    for (const key of ["clusterCidrV6", "serviceCidrV6"] as const) {
      if (k3s[key] === undefined) {
        problems.push({
          path: `k3s.${key}`,
          message: `is required when k3s.ipFamilies is dual-stack: set an IPv6 range, e.g. ${key === "clusterCidrV6" ? "fd00:42::/56" : "fd00:43::/112"}`,
        });
      }
    }
    const service = k3s.serviceCidrV6 ? parseCidr(k3s.serviceCidrV6) : undefined;
    if (service && service.prefix < 108) {
      problems.push({
        path: "k3s.serviceCidrV6",
        message: `${k3s.serviceCidrV6} is too large: Kubernetes allows IPv6 service ranges of /108 or smaller, e.g. fd00:43::/112`,
      });
    }
    if (config.site.kind === "hetzner") {
      problems.push({
        path: "k3s.ipFamilies",
        message:
          "dual-stack is not possible on a hetzner site: Hetzner private networks carry IPv4 only, and k3s needs an " +
          "IPv6 node address on the network its nodes talk over. Use ipv4 (the load balancer still has a public IPv6)",
      });
    } else {
      config.site.hosts.forEach((host, i) => {
        if (host.privateIpv6 === undefined) {
          problems.push({
            path: `site.hosts[${i}].privateIpv6`,
            message: `is required when k3s.ipFamilies is dual-stack: k3s refuses a dual-stack cluster whose node ${host.name} has only an IPv4 node-ip; set the host's IPv6 address on the LAN`,
          });
        }
      });
    }
  } else {
    for (const key of ["clusterCidrV6", "serviceCidrV6"] as const) {
      if (k3s[key] !== undefined) {
        problems.push({
          path: `k3s.${key}`,
          message: `${k3s[key]} is set but k3s.ipFamilies is ipv4: set k3s.ipFamilies to dual-stack, or remove ${key}`,
        });
      }
    }
  }
  return problems;
}
