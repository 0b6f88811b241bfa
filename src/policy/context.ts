/**
 * What the policy code hands every concern's policy hooks (src/concerns/contract.ts, PolicyContext): the peers that
 * depend on the site's CNI and ingress controller, read from their hooks, so that no concern names another.
 */
import type { PolicyContext } from "../concerns/contract";
import { cniOf, ingressLoadBalancerService, ingressOf } from "../concerns/registry";
import type { SiteConfig } from "../config/site";
import { ipBlock, type PolicyPeer } from "./objects";
import { apiServerPeers } from "./system";

/**
 * The addresses a packet from a node's host network to a pod on another node leaves with, besides the node's own
 * address: what the API server's calls to webhook pods come from when the webhook runs on another node. Both CNIs
 * send it through an overlay device whose address is the first of that node's pod range, inside k3s.clusterCidr
 * (the node pod ranges are not known before the nodes exist, so the whole range stands in for them):
 * - Canal: flannel.1, whose address Flannel takes from the node's pod range (its first address).
 * - k3s's own Flannel (cni.plugin flannel): the same flannel.1 with vxlan, flannel-wg with wireguard-native; host-gw
 *   sends with the node's address (flannelOverlaySource in src/cni/flannel/flannel.ts).
 * - Cilium in tunnel mode: the route to every remote pod range is `<range> via <router IP> dev cilium_host src
 *   <router IP>` for IPv4 (pkg/datapath/linux/node.go, createNodeRouteSpec: the IPv4 `local`, the route's source, is
 *   the router address, CiliumInternalIPv4 in recent versions, Router() in old ones). Read in the stored versions of
 *   that file, from an old one (commit 005d3ed35c13) to a recent one with netip, slog and hybrid routing, the same in
 *   all; the v1.19.6 tree itself could not be fetched here (too large), so it is not read at the tag. The router
 *   (cilium_host) address comes from the node's pod range (IPAM kubernetes). For IPv6 the source is the node's own
 *   address, and with native routing the packet leaves with the node's address: both are the servers' addresses,
 *   already allowed.
 * - Calico with IPIP or VXLAN(CrossSubnet) on the IPv4 pool: calico-node gives each node a tunnel address from an
 *   enabled pool whose ipipMode or vxlanMode is Always or CrossSubnet (node/pkg/allocateip/allocateip.go,
 *   reconcileTunnelAddrs and determineEnabledPoolCIDRs, v3.31.7 and v3.32.1), and Felix puts it on tunl0 or
 *   vxlan.calico, which the tunnelled routes leave by: a pod-range source. With encapsulation None there is no
 *   tunnel device, and the routes BIRD programs carry no preferred source (no krt_prefsrc in confd/etc templates at
 *   both tags), so the packet leaves with the node's own address. With VXLANCrossSubnet inside one segment too.
 * Webhook Services are single-stack IPv4 (the first family of a dual-stack site), so IPv4 is what matters.
 */
export function remoteNodeSources(config: SiteConfig): PolicyPeer[] {
  return cniOf(config).policies.nodeTrafficFromPodRange(config) ? [ipBlock(config.k3s.clusterCidr)] : [];
}

/** The site's peers for the concerns' policy hooks. */
export function policyContext(config: SiteConfig): PolicyContext {
  const ingress = ingressOf(config).pods;
  return {
    apiServer: apiServerPeers(config),
    webhookCallers: [...apiServerPeers(config), ...remoteNodeSources(config)],
    ingress: ingress.peer,
    ingressHttpPort: ingress.httpPort,
    ingressLoadBalancerService: ingressLoadBalancerService(config),
  };
}
