/**
 * k3s's own Flannel (`cni.plugin: flannel`): the simplest site. k3s runs Flannel inside its agent and keeps its
 * network policy controller (kube-router's netpol) on, so the site's NetworkPolicies are enforced.
 *
 * Facts read in k3s-io/k3s (the repository is too large to fetch here; read in the stored files of the search index,
 * not at the v1.33.5+k3s1 tag itself):
 * - pkg/cli/cmds/server.go: `flannel-backend` (valid values none, vxlan, host-gw, wireguard-native; default vxlan)
 *   and `flannel-ipv6-masq` ("Enable IPv6 masquerading for pod") are server flags; docs.k3s.io "Basic Network
 *   Options": Flannel options "can only be set on server nodes, and must be identical on all servers".
 * - pkg/cli/cmds/agent.go: `flannel-iface` ("Override default flannel interface") is an agent flag, set per node.
 * - pkg/daemons/executor/embed.go (Bootstrap): the flag names an interface that must exist ("unable to find
 *   interface"); without it Flannel picks the interface of the default route (flannel pkg/ip, as Canal's note in
 *   src/cni/canal.ts says).
 * - `disable-network-policy` unset keeps the embedded controller (pkg/agent/netpol), kube-router's.
 */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";

/** The VXLAN device whose address, the first of the node's pod range, is the source of node-to-remote-pod packets. */
export const FLANNEL_VXLAN_DEVICE = "flannel.1";

/** Cluster-wide server flags of a Flannel site; identical on every server (k3s checks it on join). */
export function flannelServerConfig(config: SiteConfig): Record<string, unknown> {
  const flannel = config.cni.flannel;
  return {
    "flannel-backend": flannel.backend,
    ...(config.k3s.ipFamilies === "dual-stack" && flannel.ipv6Masq ? { "flannel-ipv6-masq": true } : {}),
  };
}

/** Per-node flags of a Flannel site: the private interface, when named. */
export function flannelNodeConfig(config: SiteConfig): Record<string, unknown> {
  const iface = config.cni.flannel.interface;
  return iface === undefined ? {} : { "flannel-iface": iface };
}

/**
 * Whether packets from a node's host network to a pod on another node leave with an address from the pod range:
 * vxlan sends them out of flannel.1 and wireguard-native out of flannel-wg, and Flannel gives both devices the IP of
 * the node's lease, the first address of its pod range (flannel-io/flannel v0.28.9, commit 5cd0d526:
 * pkg/backend/vxlan/vxlan.go `dev.Configure(ip.IP4Net{IP: lease.Subnet.IP, PrefixLen: 32}, ...)`,
 * pkg/backend/wireguard/wireguard.go `dev.Configure(lease.Subnet.IP, config.Network)`). host-gw routes them out of
 * the LAN interface with the node's own address, which the rules already allow.
 */
export function flannelOverlaySource(config: SiteConfig): boolean {
  return config.cni.plugin === "flannel" && config.cni.flannel.backend !== "host-gw";
}

export function checkFlannel(config: SiteConfig): Problem[] {
  if (config.cni.plugin !== "flannel") return [];
  const problems: Problem[] = [];
  if (config.cni.flannel.backend === "host-gw" && config.site.kind === "hetzner") {
    problems.push({
      path: "cni.flannel.backend",
      message:
        "host-gw needs every node on one L2 segment, and Hetzner's private network is routed (no ARP between " +
        "servers): use vxlan (the default) or wireguard-native",
    });
  }
  return problems;
}
