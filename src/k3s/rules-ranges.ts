/**
 * Rules for the cluster's own ranges: the pod range must give every node its block, and the service range must hold
 * the `kubernetes` Service and the cluster DNS address at usable addresses.
 */
import { addressAt, formatCidr, formatIp, parseCidr, parseIp, sizeOf, type Cidr, type IpVersion } from "../net/cidr";
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";

/**
 * The block of the pod range each node gets. k3s runs kube-controller-manager with allocate-node-cidrs and
 * cluster-cidr but no node-cidr-mask-size (k3s pkg/daemons/control/server.go, controllerManager; read at commit
 * c8331835, not re-read at v1.33.5+k3s1), so Kubernetes' defaults apply: NodeCIDRMaskSizeIPv4 24 and
 * NodeCIDRMaskSizeIPv6 64 (kubernetes pkg/controller/nodeipam/config/v1alpha1/defaults.go, flags
 * --node-cidr-mask-size-ipv4/-ipv6). k3s-sites passes no kube-controller-manager-arg that would change them.
 */
export const NODE_CIDR_MASK: Readonly<Record<IpVersion, number>> = { 4: 24, 6: 64 };

/**
 * An IPv6 pod range may be at most 16 bits shorter than the node block: the allocator's bitmap is uncompressed
 * (kubernetes v1.33 pkg/controller/nodeipam/ipam/cidrset/cidr_set.go, clusterSubnetMaxDiff = 16; a larger IPv6
 * range fails with ErrCIDRSetSubNetTooBig and the controller-manager does not start).
 */
export const IPV6_CLUSTER_SUBNET_MAX_DIFF = 16;

/** Nodes the site declares, counted from the config (a pool the address plan refused still counts). */
export function declaredNodeCount(config: SiteConfig): number {
  return config.site.kind === "hetzner"
    ? config.site.pools.reduce((sum, p) => sum + p.count, 0)
    : config.site.hosts.length;
}

function podRangeProblems(key: string, text: string | undefined, nodes: number): Problem[] {
  const cidr = text === undefined ? undefined : parseCidr(text);
  if (!cidr) return [];
  const mask = NODE_CIDR_MASK[cidr.version];
  const example = cidr.version === 4 ? "10.42.0.0/16" : "fd00:42::/56";
  if (cidr.prefix > mask) {
    return [
      {
        path: key,
        message:
          `${text} is smaller than one node's block: k3s gives every node a /${mask} of the pod range ` +
          `(kube-controller-manager's node-cidr-mask-size), so the range must be a /${mask} or larger, e.g. ${example}`,
      },
    ];
  }
  if (cidr.version === 6 && mask - cidr.prefix > IPV6_CLUSTER_SUBNET_MAX_DIFF) {
    return [
      {
        path: key,
        message:
          `${text} is too large: Kubernetes splits an IPv6 pod range into at most 2^${IPV6_CLUSTER_SUBNET_MAX_DIFF} node ` +
          `blocks of /${mask}, so the range must be a /${mask - IPV6_CLUSTER_SUBNET_MAX_DIFF} or smaller, e.g. ${example}`,
      },
    ];
  }
  const blocks = 1n << BigInt(mask - cidr.prefix);
  if (BigInt(nodes) > blocks) {
    let prefix = cidr.prefix;
    while (prefix > 0 && 1n << BigInt(mask - prefix) < BigInt(nodes)) prefix--;
    return [
      {
        path: key,
        message:
          `${text} holds ${blocks} node block${blocks === 1n ? "" : "s"} of /${mask}, but the site has ${nodes} nodes: ` +
          `every node needs its own block, so use a /${prefix} or larger`,
      },
    ];
  }
  return [];
}

/** The addresses of a service range Kubernetes never hands out or hands to itself, by what they are. */
function reservedServiceAddresses(cidr: Cidr): [bigint, string][] {
  const reserved: [bigint, string][] = [
    [cidr.network, "the network address"],
    [addressAt(cidr, 1n).value, "the first address, which the API server takes for the kubernetes Service,"],
  ];
  // Kubernetes' service IP allocators never hand out the network address nor, for IPv4, the broadcast address
  // (kubernetes v1.33 pkg/registry/core/service/ipallocator: bitmap.go NewAllocatorCIDRRangeWithOffset and
  // ipallocator.go hostsPerNetwork, "Don't use the network's .0 address" / "the IPv4 network's broadcast address"),
  // and the API server takes the first address for the kubernetes Service (10.43.0.1 in k3s's default range).
  if (cidr.version === 4) reserved.push([cidr.network + sizeOf(cidr) - 1n, "the broadcast address"]);
  return reserved;
}

/** The pod ranges give every node its block; the service range holds the API's and CoreDNS's addresses. */
export function checkClusterRanges(config: SiteConfig): Problem[] {
  const k3s = config.k3s;
  const nodes = declaredNodeCount(config);
  const problems = [
    ...podRangeProblems("k3s.clusterCidr", k3s.clusterCidr, nodes),
    ...podRangeProblems("k3s.clusterCidrV6", k3s.clusterCidrV6, nodes),
  ];
  const service = parseCidr(k3s.serviceCidr);
  if (service && sizeOf(service) < 4n) {
    problems.push({
      path: "k3s.serviceCidr",
      message:
        `${k3s.serviceCidr} is too small: it must hold the kubernetes Service's address and the cluster DNS address ` +
        "besides its network and broadcast addresses; use a /28 or larger, e.g. 10.43.0.0/16",
    });
    return problems;
  }
  const dns = parseIp(k3s.clusterDns);
  if (service && dns && dns.version === service.version) {
    const hit = reservedServiceAddresses(service).find(([value]) => value === dns.value);
    if (hit) {
      const suggestion = sizeOf(service) > 11n ? formatIp(addressAt(service, 10n)) : formatIp(addressAt(service, 2n));
      problems.push({
        path: "k3s.clusterDns",
        message:
          `${k3s.clusterDns} is ${hit[1]} of k3s.serviceCidr ${formatCidr(service)}, which CoreDNS cannot have: ` +
          `use another address of the range, e.g. ${suggestion}, or leave k3s.clusterDns unset`,
      });
    }
  }
  return problems;
}
