/**
 * Cross-field rules of Cilium's settings: what is refused on a Cilium site, and why. src/config runs them with the
 * other rules.
 */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";
import { containsCidr, containsIp, formatCidr, parseCidr, parseIp } from "../../net/cidr";
import { VXLAN_OVERHEAD, underlayOf } from "../rules-mtu";

/** L2 announcements need an ARP-answering LAN and a pool to announce. */
export function checkCilium(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  const cilium = config.cni.cilium;
  if (cilium.l2Announcements && config.site.kind === "hetzner") {
    problems.push({
      path: "cni.cilium.l2Announcements",
      message:
        "does not work on Hetzner Cloud, whose private network is routed and answers no ARP between servers: " +
        "remove it; the Hetzner load balancer carries outside traffic",
    });
  }
  if (cilium.l2Announcements && cilium.loadBalancerPools.length === 0) {
    problems.push({
      path: "cni.cilium.loadBalancerPools",
      message: "is empty but cni.cilium.l2Announcements is set: add a LAN range for LoadBalancer Services, e.g. 192.168.1.240/28",
    });
  }
  return problems;
}

/**
 * Whether an entry of Cilium's devices list selects an interface: a name, or a prefix ending in `+` (eth+), as
 * Cilium's deviceFilter.match does (pkg/datapath/linux, devices controller).
 */
function deviceMatches(device: string, name: string): boolean {
  return device.endsWith("+") ? name.startsWith(device.replace(/\++$/, "")) : device === name;
}

/**
 * Cilium announces only on its own devices: with cni.cilium.devices set, an L2 interface outside that list would
 * get LoadBalancer IPs that nobody answers ARP for (Cilium docs, L2 Announcements, "Interfaces"). For the config
 * rules.
 */
export function checkCiliumL2Devices(config: SiteConfig): Problem[] {
  const { devices, l2Announcements } = config.cni.cilium;
  if (config.cni.plugin !== "cilium" || devices === undefined || l2Announcements === undefined) return [];
  return l2Announcements.interfaces.flatMap((name, i): Problem[] =>
    devices.some((d) => deviceMatches(d, name))
      ? []
      : [
          {
            path: `cni.cilium.l2Announcements.interfaces[${i}]`,
            message:
              `${name} is not in cni.cilium.devices [${devices.join(", ")}]: Cilium announces only on its devices; ` +
              `add ${name} to cni.cilium.devices, or remove cni.cilium.devices to let Cilium detect them`,
          },
        ],
  );
}

/** Cilium's MTU value is the underlay's: Cilium takes its tunnel header off it (chart values.yaml, MTU). */
export function checkCiliumMtu(config: SiteConfig): Problem[] {
  const { cilium } = config.cni;
  const { underlay, where } = underlayOf(config);
  if (config.cni.plugin !== "cilium" || cilium.mtu === undefined || cilium.mtu <= underlay) return [];
  return [
    {
      path: "cni.cilium.mtu",
      message:
        `${cilium.mtu} is larger than the network allows: it is the MTU of the network under Cilium's VXLAN (Cilium ` +
        `takes the ${VXLAN_OVERHEAD}-byte header off it), and ${where}; set ${underlay} or less, or leave cni.cilium.mtu unset`,
    },
  ];
}

/**
 * LB-IPAM's pools hold no node's address and, with L2 announcements, lie inside the node network. (Their overlaps
 * with the cluster's ranges: checkDisjointRanges of src/config/rules-ranges.ts.)
 */
export function checkCiliumLoadBalancerPools(config: SiteConfig): Problem[] {
  const network = parseCidr(config.nodeCidr);
  const l2 = config.cni.cilium.l2Announcements !== undefined;
  const pools = config.cni.cilium.loadBalancerPools.flatMap((text, i) => {
    const cidr = parseCidr(text);
    return cidr ? [{ path: `cni.cilium.loadBalancerPools[${i}]`, cidr }] : [];
  });
  return pools.flatMap((pool): Problem[] => {
    const node = config.nodes.find((n) => {
      const ip = parseIp(n.privateIp);
      return ip !== undefined && containsIp(pool.cidr, ip);
    });
    if (node) {
      return [
        {
          path: pool.path,
          message: `${formatCidr(pool.cidr)} holds node ${node.name}'s address ${node.privateIp}: pick a range of free addresses, outside your DHCP range`,
        },
      ];
    }
    if (l2 && network && !containsCidr(network, pool.cidr)) {
      return [
        {
          path: pool.path,
          message: `${formatCidr(pool.cidr)} is outside site.network.cidr ${config.nodeCidr}: L2 announcements answer ARP on the LAN, so the pool must be free addresses of that LAN`,
        },
      ];
    }
    return [];
  });
}
